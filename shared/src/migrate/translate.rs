//! Turning each `aws-auth` entry into a draft mapping rule, with the principal re-resolved
//! against IAM, or into a report line saying why not. Entries for the same permission set (or
//! the same principal) merge into one rule.

use std::collections::{BTreeMap, BTreeSet};

use super::classify::{GroupTranslation, node_kind, translate_groups, translate_username};
use super::configmap::{AuthEntry, Section};
use super::resolve::{IamDirectory, PlainRole, SsoRole};
use super::{ImportError, ImportSettings, NodeRole, RBAC_ONLY_NAMESPACE, Translated, Untranslated};
use crate::domain::{
    AccountId, KubernetesGroup, PermissionSetName, PrincipalArn, PrincipalKind,
    SSO_ROLE_PATH_PREFIX, Username, sso_role_path, sso_role_permission_set,
};
use crate::ports::AccountConnector;

/// What a rule is about: the mapping has permission-set rules and principal rules.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum RuleKey {
    /// A `rules:` item for the SSO roles of a permission set.
    PermissionSet(PermissionSetName),
    /// A `principals:` item for one IAM role or user (full ARN).
    Principal(PrincipalArn),
}

/// The access a rule grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Access {
    /// `AmazonEKSClusterAdminPolicy`, scope cluster (from `system:masters`).
    pub cluster_admin: bool,
    /// Custom groups, bound by the cluster's existing RBAC.
    pub kubernetes_groups: BTreeSet<KubernetesGroup>,
    /// A custom username, kept.
    pub username: Option<Username>,
}

/// A rule being assembled from one or more entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Draft {
    /// The union of the entries' access.
    pub access: Access,
    /// The entries it comes from (report labels), for a comment in the mapping.
    pub sources: Vec<String>,
}

/// Everything the entries translated to, before rules are named.
#[derive(Debug, Default)]
pub(super) struct Translation {
    /// Draft rules by what they are about (deterministic order).
    pub drafts: BTreeMap<RuleKey, Draft>,
    /// Translated entries in ConfigMap order, with the rule they went to (named later).
    pub translated: Vec<(RuleKey, Translated)>,
    /// Node roles left to EKS.
    pub node_roles: Vec<NodeRole>,
    /// What could not be translated.
    pub untranslated: Vec<Untranslated>,
    /// Accounts of every principal the ConfigMap names.
    pub accounts: BTreeSet<AccountId>,
    /// Remarks about the mapping as a whole.
    pub notes: BTreeSet<String>,
}

/// Where a translated entry goes.
struct Target {
    key: RuleKey,
    principal: PrincipalArn,
    notes: Vec<String>,
}

/// Translates entries one by one, looking principals up in IAM.
pub(super) struct Translator<'a> {
    settings: &'a ImportSettings,
    iam: IamDirectory<'a>,
    out: Translation,
}

impl<'a> Translator<'a> {
    /// A translator reaching IAM through `aws`.
    pub(super) fn new(settings: &'a ImportSettings, aws: &'a dyn AccountConnector) -> Self {
        Self {
            settings,
            iam: IamDirectory::new(aws),
            out: Translation::default(),
        }
    }

    /// What was translated so far.
    pub(super) fn finish(self) -> Translation {
        self.out
    }

    /// Records that `mapAccounts` cannot be carried over.
    pub(super) fn map_account(&mut self, account: &str) {
        self.skip_label(
            format!("mapAccounts {account}"),
            "mapAccounts maps every IAM principal of an account; access entries are per \
             principal: add a rule for each permission set or role that needs access"
                .into(),
        );
    }

    /// Translates one entry (an IAM failure aborts the import: a partial mapping would look
    /// complete).
    pub(super) async fn entry(&mut self, entry: &AuthEntry) -> Result<(), ImportError> {
        for key in &entry.unknown_keys {
            let reason = format!(
                "key {key:?} is not an aws-auth field: aws-auth ignored it, and so does the import"
            );
            self.skip(entry, reason);
        }
        let arn = match PrincipalArn::new(entry.arn.as_str()) {
            Ok(arn) => arn,
            Err(e) => {
                self.skip(entry, format!("not a principal EKS accepts: {}", e.reason));
                return Ok(());
            }
        };
        self.out.accounts.insert(arn.account().clone());
        let (expected, what) = match entry.section {
            Section::MapRoles => (PrincipalKind::Role, "role"),
            Section::MapUsers => (PrincipalKind::User, "user"),
        };
        if arn.kind() != expected {
            let reason = format!(
                "a {} entry must name an IAM {what}: aws-auth never matched it",
                entry.section.key()
            );
            self.skip(entry, reason);
            return Ok(());
        }
        if let Some(kind) = node_kind(&entry.groups) {
            self.out.node_roles.push(NodeRole {
                entry: entry.label(),
                principal: arn.as_str().to_owned(),
                node_kind: kind,
                action: kind.action().to_owned(),
            });
            return Ok(());
        }
        let groups = translate_groups(&entry.groups);
        if !groups.grants_anything() {
            self.skip(entry, nothing_granted(&entry.groups, &groups));
            return Ok(());
        }
        let Some(target) = self.target(entry, &arn).await? else {
            return Ok(());
        };
        self.add(entry, &arn, groups, target);
        Ok(())
    }

    /// Adds a resolved entry to its draft rule and to the report.
    fn add(
        &mut self,
        entry: &AuthEntry,
        arn: &PrincipalArn,
        groups: GroupTranslation,
        target: Target,
    ) {
        let username = translate_username(entry.username.as_deref(), arn);
        let mut notes = target.notes;
        notes.extend(username.note);
        notes.extend(path_note(arn));
        for (group, reason) in &groups.dropped {
            self.skip(entry, format!("group {group:?} not translated: {reason}"));
        }
        let access = Access {
            cluster_admin: groups.cluster_admin,
            kubernetes_groups: groups.kubernetes_groups,
            username: username.username,
        };
        notes.extend(self.merge(&target.key, access, entry.label()));
        let permission_set = match &target.key {
            RuleKey::PermissionSet(ps) => Some(ps.clone()),
            RuleKey::Principal(_) => None,
        };
        let translated = Translated {
            entry: entry.label(),
            rule: String::new(),
            principal: target.principal,
            permission_set,
            notes,
        };
        self.out.translated.push((target.key, translated));
    }

    /// Merges `access` into the draft for `key`; notes a username conflict (the first wins).
    fn merge(&mut self, key: &RuleKey, access: Access, source: String) -> Option<String> {
        let Some(draft) = self.out.drafts.get_mut(key) else {
            let draft = Draft {
                access,
                sources: vec![source],
            };
            self.out.drafts.insert(key.clone(), draft);
            return None;
        };
        let note = match (&draft.access.username, &access.username) {
            (Some(kept), Some(other)) if kept != other => Some(format!(
                "merged with {}, whose username {kept:?} is kept over {other:?}",
                draft.sources.join(", ")
            )),
            _ => Some(format!("merged with {}", draft.sources.join(", "))),
        };
        draft.access.cluster_admin |= access.cluster_admin;
        draft
            .access
            .kubernetes_groups
            .extend(access.kubernetes_groups);
        if draft.access.username.is_none() {
            draft.access.username = access.username;
        }
        draft.sources.push(source);
        note
    }

    /// Where the entry goes: a permission-set rule, a principal rule, or nowhere (reported).
    async fn target(
        &mut self,
        entry: &AuthEntry,
        arn: &PrincipalArn,
    ) -> Result<Option<Target>, ImportError> {
        if arn.kind() == PrincipalKind::User {
            return Ok(Some(Target {
                key: RuleKey::Principal(arn.clone()),
                principal: arn.clone(),
                notes: vec![user_note(arn)],
            }));
        }
        match sso_permission_set(arn) {
            Some(ps) => self.sso_target(entry, arn, ps).await,
            None => self.role_target(entry, arn).await,
        }
    }

    /// An SSO role becomes a rule for its permission set, if the permission set still has a
    /// role in that account.
    async fn sso_target(
        &mut self,
        entry: &AuthEntry,
        arn: &PrincipalArn,
        ps: PermissionSetName,
    ) -> Result<Option<Target>, ImportError> {
        let (role, notes) = match self.iam.sso_role(arn, &ps).await? {
            SsoRole::Current(role) => (role, Vec::new()),
            SsoRole::Recreated(role) => {
                let note = format!(
                    "the role named in aws-auth no longer exists (aws-auth stopped matching it): \
                     the permission set was unassigned and assigned again, creating {}; the \
                     rule follows the permission set",
                    role.arn
                );
                (role, vec![note])
            }
            SsoRole::Gone => {
                self.skip(
                    entry,
                    "role no longer exists: the permission set is no longer assigned in that \
                     account"
                        .into(),
                );
                return Ok(None);
            }
            SsoRole::Ambiguous(roles) => {
                let list: Vec<&str> = roles.iter().map(PrincipalArn::as_str).collect();
                let reason = format!(
                    "several roles of permission set {ps} in account {}: {}; add the rule by hand",
                    arn.account(),
                    list.join(", ")
                );
                self.skip(entry, reason);
                return Ok(None);
            }
        };
        self.check_home_region(&role.arn);
        Ok(Some(Target {
            key: RuleKey::PermissionSet(ps),
            principal: role.arn,
            notes,
        }))
    }

    /// Any other role becomes a principal rule with its full ARN, if IAM knows it.
    async fn role_target(
        &mut self,
        entry: &AuthEntry,
        arn: &PrincipalArn,
    ) -> Result<Option<Target>, ImportError> {
        match self.iam.plain_role(arn).await? {
            PlainRole::Found(role) => {
                let mut notes = Vec::new();
                if role.arn != *arn {
                    notes.push(format!("re-resolved to its full ARN {}", role.arn));
                }
                Ok(Some(Target {
                    key: RuleKey::Principal(role.arn.clone()),
                    principal: role.arn,
                    notes,
                }))
            }
            PlainRole::NotFound => {
                let reason = if arn.path() == "/" {
                    format!(
                        "role {0} not found at path /: aws-auth needed role paths stripped, so it \
                         may live under a path; check its full ARN by hand (aws iam get-role \
                         --role-name {0}) and add a principals rule for it",
                        arn.name()
                    )
                } else {
                    "role does not exist in IAM".to_owned()
                };
                self.skip(entry, reason);
                Ok(None)
            }
        }
    }

    /// Notes when an SSO role's path disagrees with the Identity Center region given.
    fn check_home_region(&mut self, role: &PrincipalArn) {
        let given = &self.settings.identity_center_region;
        if role.path() == sso_role_path(given) {
            return;
        }
        let actual = role
            .sso_region()
            .map_or_else(|| "us-east-1".to_owned(), |r| r.to_string());
        self.out.notes.insert(format!(
            "SSO role {role} lives under {}, so Identity Center's home region is {actual}, not \
             {given}: fix identity_center.region",
            role.path()
        ));
    }

    fn skip(&mut self, entry: &AuthEntry, reason: String) {
        self.skip_label(entry.label(), reason);
    }

    fn skip_label(&mut self, entry: String, reason: String) {
        self.out.untranslated.push(Untranslated { entry, reason });
    }
}

/// The permission set of an SSO role as aws-auth names it: path stripped (or, rarely, kept).
fn sso_permission_set(arn: &PrincipalArn) -> Option<PermissionSetName> {
    let path_ok = arn.path() == "/" || arn.path().starts_with(SSO_ROLE_PATH_PREFIX);
    if path_ok && arn.kind() == PrincipalKind::Role {
        sso_role_permission_set(arn.name())
    } else {
        None
    }
}

/// Why an entry with nothing translatable is skipped.
fn nothing_granted(groups: &[String], translation: &GroupTranslation) -> String {
    if groups.is_empty() {
        return "no groups: aws-auth authenticated the principal but granted nothing (RBAC \
                bindings on its username may); add a rule by hand if it needs access"
            .into();
    }
    let reasons: Vec<String> = translation
        .dropped
        .iter()
        .map(|(group, reason)| format!("{group}: {reason}"))
        .collect();
    format!("nothing an access entry can grant ({})", reasons.join("; "))
}

/// The report's remark on an IAM user.
fn user_note(arn: &PrincipalArn) -> String {
    let mut note = "IAM user: consider moving this person to Identity Center (short-lived \
                    credentials, and access managed by permission set); the user was not \
                    looked up in IAM"
        .to_owned();
    if arn.path() == "/" {
        note.push_str(
            "; aws-auth needed paths stripped: if the user has an IAM path, put it in the ARN",
        );
    }
    note
}

/// The report's remark on an entry whose rule ends up with Kubernetes groups only.
pub(super) fn rbac_only_note() -> String {
    format!(
        "RBAC-only: translated with kubernetes_groups only, which keep working through the \
         cluster's RBAC bindings; the mapping requires an access policy, so the rule carries \
         AmazonEKSViewPolicy scoped to namespace {RBAC_ONLY_NAMESPACE:?}, which does not exist \
         and grants nothing: add a real access policy or keep the bindings"
    )
}

/// aws-auth compared path-less ARNs, so an entry written with a path never matched anyone.
fn path_note(arn: &PrincipalArn) -> Option<String> {
    (arn.path() != "/").then(|| {
        "the aws-auth ARN has a path, and aws-auth matched path-less ARNs only: this entry \
         never granted anything, while the translation does; check that this access is wanted"
            .to_owned()
    })
}
