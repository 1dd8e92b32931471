//! Turning each `aws-auth` entry into a draft mapping rule, with the principal re-resolved
//! against IAM, or into one report line saying why not: every entry ends up exactly once in the
//! report (translated, left to EKS, or untranslated). Entries for the same permission set (or
//! the same principal) merge into one rule.

use std::collections::{BTreeMap, BTreeSet};

use super::classify::{GroupTranslation, node_kind, translate_groups, translate_username};
use super::entries::{AuthEntry, Section, slot};
use super::principal::{bracketed, principal_of};
use super::resolve::IamDirectory;
use super::{ImportSettings, NodeRole, Translated, Untranslated};
use crate::domain::{
    AccountId, KubernetesGroup, PermissionSetName, PrincipalArn, PrincipalKind, Username,
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
pub(super) struct Target {
    /// The rule.
    pub key: RuleKey,
    /// The principal's ARN as IAM has it today.
    pub principal: PrincipalArn,
    /// Remarks on the resolution.
    pub notes: Vec<String>,
}

/// Translates entries one by one, looking principals up in IAM.
pub(super) struct Translator<'a> {
    pub(super) settings: &'a ImportSettings,
    pub(super) iam: IamDirectory<'a>,
    pub(super) out: Translation,
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

    /// Records entries the authenticator never used: an ARN mapped twice keeps its last mapping.
    pub(super) fn shadowed(&mut self, entry: &AuthEntry, by: &AuthEntry) {
        self.skip(
            entry,
            format!(
                "shadowed by {}, same {}: the authenticator keeps the last mapping of an ARN, so \
                 this one granted nothing and is not carried over",
                slot(by.section, by.index),
                principal_word(entry.section)
            ),
        );
    }

    /// Translates one entry. Only an IAM failure that says nothing about access (throttling, a
    /// server error) aborts the import: a partial mapping built around it would look complete.
    pub(super) async fn entry(
        &mut self,
        entry: &AuthEntry,
        all: &[AuthEntry],
        mut remarks: Vec<String>,
    ) -> Result<(), super::ImportError> {
        remarks.extend(entry.unknown_keys.iter().map(|key| {
            format!(
                "key {key:?} is not an aws-auth field: aws-auth ignored it, and so does the import"
            )
        }));
        let arn = match principal_of(entry, all) {
            Ok(arn) => arn,
            Err(reason) => {
                let reason = with_node_hint(reason, entry);
                self.skip_with(entry, reason, &remarks);
                return Ok(());
            }
        };
        self.out.accounts.insert(arn.account().clone());
        if let Some(reason) = granted_nothing(entry, &arn) {
            self.skip_with(entry, reason, &remarks);
            return Ok(());
        }
        if let Some(kind) = node_kind(&entry.groups, entry.username.as_deref()) {
            let principal = self.node_principal(&arn).await?;
            self.out.node_roles.push(NodeRole {
                entry: entry.label(),
                principal,
                node_kind: kind,
                action: kind.action().to_owned(),
            });
            return Ok(());
        }
        let groups = translate_groups(&entry.groups);
        if !groups.grants_anything() {
            self.skip_with(entry, nothing_granted(&entry.groups, &groups), &remarks);
            return Ok(());
        }
        match self.target(entry, &arn).await? {
            Ok(target) => self.add(entry, &arn, groups, target, remarks),
            Err(reason) => self.skip_with(entry, reason, &remarks),
        }
        Ok(())
    }

    /// A node role's ARN as IAM has it (EKS's node entry names the role with its path), or as
    /// written when IAM cannot say: the node role is listed either way.
    async fn node_principal(&mut self, arn: &PrincipalArn) -> Result<String, super::ImportError> {
        Ok(match self.iam.plain_role(arn).await? {
            super::resolve::PlainRole::Found(role) => role.arn.as_str().to_owned(),
            _ => arn.as_str().to_owned(),
        })
    }

    /// Adds a resolved entry to its draft rule and to the report.
    fn add(
        &mut self,
        entry: &AuthEntry,
        arn: &PrincipalArn,
        groups: GroupTranslation,
        target: Target,
        remarks: Vec<String>,
    ) {
        let username = translate_username(entry.username.as_deref(), &target.principal);
        let mut notes = target.notes;
        notes.extend(username.note);
        notes.extend(path_note(arn));
        notes.extend(
            groups
                .dropped
                .iter()
                .map(|(group, reason)| format!("group {group:?} not translated: {reason}")),
        );
        notes.extend(remarks);
        let access = Access {
            cluster_admin: groups.cluster_admin,
            kubernetes_groups: groups.kubernetes_groups,
            username: username.username,
        };
        let translated = Translated {
            entry: entry.label(),
            rule: String::new(),
            principal: target.principal,
            permission_set: match &target.key {
                RuleKey::PermissionSet(ps) => Some(ps.clone()),
                RuleKey::Principal(_) => None,
            },
            cluster_admin: access.cluster_admin,
            kubernetes_groups: access
                .kubernetes_groups
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            username: access.username.as_ref().map(|u| u.as_str().to_owned()),
            notes,
        };
        let merged = self.merge(&target.key, access, entry.label());
        let mut translated = translated;
        translated.notes.extend(merged);
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

    fn skip(&mut self, entry: &AuthEntry, reason: String) {
        self.skip_label(entry.label(), reason);
    }

    /// One report line per entry: the reason, then any remarks.
    fn skip_with(&mut self, entry: &AuthEntry, reason: String, remarks: &[String]) {
        let reason = if remarks.is_empty() {
            reason
        } else {
            format!("{reason} (also: {})", remarks.join("; "))
        };
        self.skip(entry, reason);
    }

    pub(super) fn skip_label(&mut self, entry: String, reason: String) {
        self.out.untranslated.push(Untranslated { entry, reason });
    }
}

/// Why an entry with a valid principal never granted anything as written: a role in
/// `mapUsers` (or a user in `mapRoles`), or template angle brackets left in.
fn granted_nothing(entry: &AuthEntry, arn: &PrincipalArn) -> Option<String> {
    let expected = match entry.section {
        Section::MapRoles => PrincipalKind::Role,
        Section::MapUsers => PrincipalKind::User,
    };
    if arn.kind() != expected {
        return Some(format!(
            "a {} entry must name an IAM {}: aws-auth never matched it",
            entry.section.key(),
            principal_word(entry.section)
        ));
    }
    let brackets = bracketed(entry);
    (!brackets.is_empty()).then(|| {
        format!(
            "template angle brackets left in ({}): as written it matched no node group and no \
             real user, so it granted nothing; if this is a node role, remove the brackets or let \
             EKS's node access entry cover it",
            brackets.join(", ")
        )
    })
}

fn principal_word(section: Section) -> &'static str {
    match section {
        Section::MapRoles => "role",
        Section::MapUsers => "user",
    }
}

/// A node mapping whose ARN is unusable says what it would have become.
fn with_node_hint(reason: String, entry: &AuthEntry) -> String {
    match node_kind(&entry.groups, entry.username.as_deref()) {
        Some(kind) => format!(
            "{reason}; with a real role ARN this node mapping would be left to EKS ({})",
            kind.entry_type()
        ),
        None => reason,
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

/// aws-auth compared path-less ARNs, so an entry written with a path may never have matched.
fn path_note(arn: &PrincipalArn) -> Option<String> {
    (arn.path() != "/").then(|| {
        "the aws-auth ARN has a path, and EKS's aws-auth matched path-less ARNs only \
         (aws-iam-authenticator#268): this entry may never have granted anything, while the \
         access entry will; check that this access is wanted"
            .to_owned()
    })
}
