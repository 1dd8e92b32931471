//! The mapping file: parsing, validation with line and column, convention (pattern) rules.
//!
//! A mapping file (YAML; JSON is accepted since it is YAML) says which clusters are managed and
//! which access every permission set's SSO role gets there. It is validated in full before
//! anything else happens: [`Mapping::from_str`] returns either a mapping in which every name,
//! ARN, policy and namespace is already a validated domain value, or a [`ValidationReport`]
//! listing *every* problem with its line, column and a fix hint.
//!
//! The file is parsed with `saphyr` into a tree whose nodes carry their position, and converted
//! by hand (instead of through serde, which stops at the first error).
//!
//! Convention rules: a rule's `permission_set` may be a pattern such as `EKSTeam-{team}`. It
//! matches whole permission set names, each `{capture}` taking one or more characters of
//! `[\w+=,.@-]`, case-sensitively. The captured values fill `{team}` in the rule's `groups`,
//! `kubernetes_groups`, `username` and namespaces. **In namespaces the value is lowercased**
//! (`EKSTeam-Search` → namespace `search`), because Kubernetes namespaces are lowercase; if the
//! lowercased value still is not a valid namespace (`EKSTeam-Bad_Name` → `bad_name`), the rule
//! contributes nothing for that permission set and desired-state computation reports it.
//! An exact rule for a permission set wins over every pattern rule matching it.

mod access;
mod document;
mod options;
mod pattern;
mod report;
mod rule;
mod selector;
mod yaml;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod validation_tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub use options::{DeletionLimit, Options, PlanOptions, UnmanagedClusterPolicy};
pub use pattern::{CaptureCase, Captures, Glob, NamePattern, PermissionSetMatcher, Template};
pub use report::{ConfigProblem, ValidationReport};
pub use rule::{Grant, GrantScope, PolicyGrant, PrincipalRule, Rule, RuleMatch};
pub use selector::{ClusterScope, ClusterSelector};

use crate::domain::{
    AccountId, ClusterInfo, GroupName, IdentityStoreId, InstanceArn, PermissionSetName,
    PrincipalArn, Region, RuleName,
};

/// The role each member account offers to eks-sso-sync when its entry names no `role`.
pub const DEFAULT_MEMBER_ROLE_NAME: &str = "eks-sso-sync-target";

/// The SHA-256 of `text`, lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A validated mapping file.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// Always 1.
    pub version: u32,
    /// Where Identity Center lives.
    pub identity_center: IdentityCenterSettings,
    /// The role name assumed in accounts that give no `role` (default `eks-sso-sync-target`).
    pub member_role_name: String,
    /// The accounts whose clusters may be managed, each account once.
    pub accounts: Vec<AccountSettings>,
    /// Which clusters are managed at all.
    pub clusters: ClusterScope,
    /// Permission-set rules, in file order.
    pub rules: Vec<Rule>,
    /// Rules for explicit IAM principals, in file order.
    pub principals: Vec<PrincipalRule>,
    /// Planning options.
    pub options: Options,
    /// SHA-256 of the mapping text, lowercase hex: names the mapping version in logs and audit
    /// records (the same text gives the same hash wherever it was loaded from).
    pub sha256: String,
}

/// The `identity_center:` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCenterSettings {
    /// The instance's home region (its SSO roles' path carries it, except for us-east-1).
    pub region: Region,
    /// The instance ARN; discovered with `ListInstances` when absent.
    pub instance_arn: Option<InstanceArn>,
    /// The identity store id; discovered with `ListInstances` when absent.
    pub identity_store_id: Option<IdentityStoreId>,
}

/// One `accounts:` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSettings {
    /// The account.
    pub id: AccountId,
    /// The regions whose clusters may be managed (at least one, each once).
    pub regions: Vec<Region>,
    /// How to get credentials for the account.
    pub role: AccountRole,
}

/// How eks-sso-sync gets credentials for an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRole {
    /// Assume `arn:<partition>:iam::<account>:role/<member_role_name>`.
    Default,
    /// Assume this role (in the account itself).
    Arn(PrincipalArn),
    /// `role: none`: use the caller's own credentials (the hub account itself).
    CallerCredentials,
}

impl Mapping {
    /// Parses and validates a mapping; `source` names the file in messages.
    #[allow(clippy::should_implement_trait)] // `FromStr` cannot take the source name.
    pub fn from_str(text: &str, source: &str) -> Result<Mapping, ValidationReport> {
        let mut problems = yaml::Problems::default();
        let mapping = yaml::load(text, &mut problems)
            .and_then(|root| document::read_mapping(&root, &mut problems));
        match mapping {
            Some(mut mapping) if problems.0.is_empty() => {
                mapping.sha256 = sha256_hex(text);
                Ok(mapping)
            }
            _ => Err(ValidationReport::new(source, problems.0)),
        }
    }

    /// Reads, parses and validates a mapping file; an unreadable file (missing, binary, UTF-16)
    /// is reported as a problem with the fix for that case.
    pub fn from_path(path: &Path) -> Result<Mapping, ValidationReport> {
        let source = path.display().to_string();
        let unreadable = |message: String, hint: &str| {
            ValidationReport::new(
                &source,
                vec![ConfigProblem {
                    line: 1,
                    column: 1,
                    path: String::new(),
                    message,
                    hint: Some(hint.to_owned()),
                }],
            )
        };
        let bytes = std::fs::read(path).map_err(|e| {
            unreadable(
                format!("cannot read the mapping file: {e}"),
                "check the path and its permissions",
            )
        })?;
        match report::decode_text(&bytes) {
            Ok(text) => Self::from_str(text, &source),
            Err((message, hint)) => Err(unreadable(message, hint)),
        }
    }

    /// The options the planner needs.
    pub fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            prune: self.options.prune,
            adopt_existing: self.options.adopt_existing,
            switch_auth_mode: self.options.switch_auth_mode,
            remove_creator_admin: self.options.remove_creator_admin,
            break_glass: self.options.break_glass.clone(),
            rbac_admins: self.options.rbac_admins.clone(),
            max_deletions: self.options.max_deletions,
            allow_mass_deletion: false,
        }
    }

    /// The exact group names of each rule's `groups:` filter (templates with captures are left
    /// out: they name a different group per permission set), by rule name. Each must exist in
    /// the Identity Store; one that does not is a typo that would silently narrow the rule.
    pub fn literal_filter_groups(&self) -> BTreeMap<&RuleName, BTreeSet<GroupName>> {
        self.rules
            .iter()
            .filter_map(|rule| {
                let names: BTreeSet<GroupName> = rule
                    .groups
                    .iter()
                    .flatten()
                    .filter(|t| t.capture_names().is_empty())
                    .filter_map(|t| GroupName::new(t.as_str()).ok())
                    .collect();
                (!names.is_empty()).then_some((&rule.name, names))
            })
            .collect()
    }

    /// The group names the templated `groups:` filters expand to for the permission sets in
    /// `names` (captures filled in, as for a grant). A typo in a template (`{team}-devs` for
    /// `{team}-dev`) names no existing group for any team: these are looked up so it holds the
    /// entries it covered instead of reading as "nobody holds this assignment any more".
    pub fn templated_filter_groups<'n>(
        &self,
        names: impl IntoIterator<Item = &'n PermissionSetName>,
    ) -> BTreeSet<GroupName> {
        let mut groups = BTreeSet::new();
        for name in names {
            for rule_match in self.rules_for_permission_set(name) {
                let templated = rule_match.rule.groups.iter().flatten();
                if templated.clone().all(|t| t.capture_names().is_empty()) {
                    continue;
                }
                if let Ok(Some(filter)) = rule_match.rule.group_filter(&rule_match.captures) {
                    groups.extend(filter);
                }
            }
        }
        groups
    }

    /// The rule (or `principals:` rule) called `name`.
    pub fn rule_named(&self, name: &str) -> Option<NamedRule<'_>> {
        if let Some(rule) = self.rules.iter().find(|r| r.name.as_str() == name) {
            return Some(NamedRule::PermissionSet(rule));
        }
        self.principals
            .iter()
            .find(|r| r.name.as_str() == name)
            .map(NamedRule::Principal)
    }

    /// Whether `cluster` is managed: its account is listed with the cluster's region, and the
    /// global include/exclude selectors pick it.
    pub fn manages(&self, cluster: &ClusterInfo) -> bool {
        let at = &cluster.cluster;
        let located = self
            .account(&at.account)
            .is_some_and(|a| a.regions.contains(&at.region));
        located && self.clusters.selects(cluster)
    }

    /// The settings of account `id`, if listed.
    pub fn account(&self, id: &AccountId) -> Option<&AccountSettings> {
        self.accounts.iter().find(|a| &a.id == id)
    }

    /// The role to assume for `account`'s IAM and EKS calls; `None` means the caller's own
    /// credentials. The default role's partition follows the account's first region.
    pub fn role_to_assume(&self, account: &AccountSettings) -> Option<PrincipalArn> {
        self.role_to_assume_as(account, &self.member_role_name)
    }

    /// [`Mapping::role_to_assume`], with `default_role_name` instead of `member_role_name` for
    /// the accounts that name no `role` (a function's `MEMBER_ROLE_NAME`).
    pub fn role_to_assume_as(
        &self,
        account: &AccountSettings,
        default_role_name: &str,
    ) -> Option<PrincipalArn> {
        match &account.role {
            AccountRole::CallerCredentials => None,
            AccountRole::Arn(arn) => Some(arn.clone()),
            AccountRole::Default => {
                let region = account
                    .regions
                    .first()
                    .unwrap_or(&self.identity_center.region);
                PrincipalArn::role(partition_of(region), &account.id, "/", default_role_name).ok()
            }
        }
    }

    /// The rules for permission set `name`: the exact rules naming it if there are any (all of
    /// them; their grants merge), else every pattern rule matching it, with its captures.
    pub fn rules_for_permission_set(&self, name: &PermissionSetName) -> Vec<RuleMatch<'_>> {
        let matching = |exact: bool| {
            self.rules
                .iter()
                .filter(move |r| r.permission_set.is_exact() == exact)
                .filter_map(|rule| {
                    let captures = rule.permission_set.matches(name)?;
                    Some(RuleMatch { rule, captures })
                })
                .collect::<Vec<_>>()
        };
        let exact = matching(true);
        if exact.is_empty() {
            matching(false)
        } else {
            exact
        }
    }

    /// Whether any rule, exact or pattern, matches permission set `name`.
    pub fn wants_permission_set(&self, name: &PermissionSetName) -> bool {
        self.rules
            .iter()
            .any(|r| r.permission_set.matches(name).is_some())
    }
}

/// A rule found by name: a permission-set rule or a `principals:` rule.
#[derive(Debug, Clone, Copy)]
pub enum NamedRule<'a> {
    /// A `rules:` item.
    PermissionSet(&'a Rule),
    /// A `principals:` item.
    Principal(&'a PrincipalRule),
}

/// The AWS partition of a region: [`Region::partition`], the single source of truth (a region of
/// an unsupported partition is refused when the mapping is read).
fn partition_of(region: &Region) -> &'static str {
    region.partition().as_str()
}
