//! `import-aws-auth`: turns a cluster's `aws-auth` ConfigMap into an eks-sso-sync mapping file,
//! with a report of what could not be translated and why.
//!
//! - SSO roles (`AWSReservedSSO_<permission set>_<16 hex>`, whose path aws-auth made people
//!   strip) become permission-set rules; the role is looked up in its account's IAM, because a
//!   permission set no longer assigned there has no role any more.
//! - Other roles become `principals:` rules with their full ARN, re-resolved with `GetRole`.
//! - IAM users become `principals:` rules too, flagged for a move to Identity Center.
//! - `system:masters` becomes `AmazonEKSClusterAdminPolicy` (EKS rejects `system:` groups);
//!   custom groups are kept as Kubernetes groups, so the cluster's RBAC bindings still apply.
//! - Node and Fargate roles are left to EKS, which gives them access entries of their own types.
//!
//! The generated mapping is checked with [`Mapping::from_str`] before it is returned.

mod classify;
mod configmap;
mod render;
mod resolve;
mod translate;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

pub use classify::NodeKind;

use crate::config::Mapping;
use crate::domain::{AccountId, ClusterName, PermissionSetName, PrincipalArn, Region};
use crate::ports::{AccountConnector, PortError};
use translate::{RuleKey, Translation, Translator, rbac_only_note};

/// The namespace the placeholder access policy of an RBAC-only rule is scoped to. The mapping
/// requires every rule to grant an access policy, while aws-auth entries with custom groups only
/// granted what RBAC binds to those groups; scoping `AmazonEKSViewPolicy` to a namespace nobody
/// creates keeps the rule valid without widening anyone's access.
pub const RBAC_ONLY_NAMESPACE: &str = "eks-sso-sync-rbac-only";

/// What the caller knows that the ConfigMap does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSettings {
    /// IAM Identity Center's home region (`identity_center.region`).
    pub identity_center_region: Region,
    /// The regions listed for every account of the mapping (at least one).
    pub regions: Vec<Region>,
    /// The cluster the ConfigMap comes from. Given, the mapping manages only clusters of that
    /// name; absent, its rules apply to every cluster of the listed accounts and regions.
    pub cluster: Option<ClusterName>,
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Import {
    /// A complete mapping file (YAML with comments) that loads with [`Mapping::from_str`].
    pub mapping_yaml: String,
    /// What was translated, left to EKS, or not translated.
    pub report: ImportReport,
}

/// What became of each `aws-auth` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Entries carried into a rule, in ConfigMap order.
    pub translated: Vec<Translated>,
    /// Node and Fargate roles, left to EKS.
    pub node_roles: Vec<NodeRole>,
    /// Entries, or parts of entries, that could not be translated.
    pub untranslated: Vec<Untranslated>,
    /// Remarks about the mapping as a whole (scope, accounts, Identity Center region).
    pub notes: Vec<String>,
}

/// One entry carried into a mapping rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Translated {
    /// The entry, e.g. `mapRoles[2] arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_…`.
    pub entry: String,
    /// The name of the rule it went to.
    pub rule: String,
    /// The principal's full ARN, path included, as IAM reports it today.
    pub principal: PrincipalArn,
    /// For SSO roles, the permission set the rule is for.
    pub permission_set: Option<PermissionSetName>,
    /// What changed on the way (dropped username, merged entries, RBAC-only, ...).
    pub notes: Vec<String>,
}

/// A node role: not translated, EKS gives it an access entry of a node type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeRole {
    /// The entry.
    pub entry: String,
    /// The role ARN as aws-auth had it.
    pub principal: String,
    /// Which nodes it lets join.
    pub node_kind: NodeKind,
    /// What happens to it instead.
    pub action: String,
}

/// Something that could not be translated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Untranslated {
    /// The entry (or `mapAccounts <id>`).
    pub entry: String,
    /// Why, and what to do about it.
    pub reason: String,
}

/// Why an import failed. Nothing is half-imported: either a complete mapping and report, or
/// this error.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The text is not YAML (or JSON).
    #[error("the aws-auth ConfigMap is not valid YAML: {0}")]
    NotYaml(String),
    /// The document is not a ConfigMap.
    #[error(
        "expected a ConfigMap (kubectl get configmap aws-auth -n kube-system -o yaml), found {0}"
    )]
    NotAConfigMap(String),
    /// No `data` with `mapRoles`, `mapUsers` or `mapAccounts`.
    #[error(
        "the ConfigMap has no data.mapRoles, data.mapUsers or data.mapAccounts: is it the \
         aws-auth ConfigMap of kube-system?"
    )]
    NoData,
    /// `data.<key>` does not hold a YAML list.
    #[error("data.{key} is not a YAML list of entries: {message}")]
    EmbeddedList {
        /// `mapRoles`, `mapUsers` or `mapAccounts`.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// An entry is not a mapping.
    #[error(
        "data.{key}[{index}]: expected a mapping with rolearn/userarn, username, groups; found {found}"
    )]
    EntryShape {
        /// `mapRoles` or `mapUsers`.
        key: &'static str,
        /// 0-based entry index.
        index: usize,
        /// What was found instead.
        found: &'static str,
    },
    /// A field of an entry is missing or malformed.
    #[error("data.{key}[{index}].{field}: {message}")]
    Entry {
        /// `mapRoles` or `mapUsers`.
        key: &'static str,
        /// 0-based entry index.
        index: usize,
        /// The field (`rolearn`, `groups[1]`, ...).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The settings list no region.
    #[error("no regions given: every account of the mapping needs at least one")]
    NoRegions,
    /// Not one principal ARN in the ConfigMap could be read, so no account is known.
    #[error("the ConfigMap names no valid IAM principal: nothing to import")]
    NothingToImport,
    /// An IAM lookup failed; a mapping built without it would look complete and be wrong.
    #[error("IAM lookup in account {account} failed: {source}")]
    Iam {
        /// The account whose IAM was asked.
        account: AccountId,
        /// The port error.
        #[source]
        source: PortError,
    },
    /// Serializing the mapping failed.
    #[error("cannot write the mapping as YAML: {0}")]
    Render(String),
    /// The generated mapping does not validate: a bug in the import, never the input's fault.
    #[error("bug: the generated mapping does not validate:\n{0}")]
    InvalidOutput(String),
}

/// Reads an `aws-auth` ConfigMap (YAML or JSON, as kubectl prints it) and translates it into a
/// mapping, looking every role up in IAM through `aws`.
pub async fn import_aws_auth(
    configmap_yaml: &str,
    settings: &ImportSettings,
    aws: &dyn AccountConnector,
) -> Result<Import, ImportError> {
    if settings.regions.is_empty() {
        return Err(ImportError::NoRegions);
    }
    let auth = configmap::parse(configmap_yaml)?;
    let mut translator = Translator::new(settings, aws);
    for entry in &auth.entries {
        translator.entry(entry).await?;
    }
    for account in &auth.map_accounts {
        translator.map_account(account);
    }
    let translation = translator.finish();
    if translation.accounts.is_empty() {
        return Err(ImportError::NothingToImport);
    }
    let names = render::name_rules(&translation.drafts);
    let mapping_yaml =
        render::mapping_yaml(settings, &translation.accounts, &translation.drafts, &names)?;
    if let Err(report) = Mapping::from_str(&mapping_yaml, "generated mapping") {
        return Err(ImportError::InvalidOutput(report.to_string()));
    }
    let report = build_report(translation, &names, settings);
    tracing::info!(
        translated = report.translated.len(),
        node_roles = report.node_roles.len(),
        untranslated = report.untranslated.len(),
        "aws-auth imported"
    );
    Ok(Import {
        mapping_yaml,
        report,
    })
}

/// The report: translated entries get their rule's name, and the RBAC-only remark when their
/// rule (after merging) grants no access policy of its own.
fn build_report(
    translation: Translation,
    names: &BTreeMap<RuleKey, String>,
    settings: &ImportSettings,
) -> ImportReport {
    let mut notes: Vec<String> = translation.notes.into_iter().collect();
    notes.extend(scope_notes(settings, &translation.accounts));
    let drafts = &translation.drafts;
    let translated = translation
        .translated
        .into_iter()
        .map(|(key, mut item)| {
            item.rule = names.get(&key).cloned().unwrap_or_default();
            if drafts.get(&key).is_some_and(|d| !d.access.cluster_admin) {
                item.notes.push(rbac_only_note());
            }
            item
        })
        .collect();
    ImportReport {
        translated,
        node_roles: translation.node_roles,
        untranslated: translation.untranslated,
        notes,
    }
}

/// Remarks on where the mapping's rules will apply.
fn scope_notes(settings: &ImportSettings, accounts: &BTreeSet<AccountId>) -> Vec<String> {
    let mut notes = Vec::new();
    if settings.cluster.is_none() {
        notes.push(
            "no cluster name given: the rules apply to every cluster of the listed accounts and \
             regions, not only to the cluster this aws-auth came from"
                .to_owned(),
        );
    }
    if accounts.len() > 1 {
        let list: Vec<&str> = accounts.iter().map(AccountId::as_str).collect();
        notes.push(format!(
            "the ConfigMap names principals of {} accounts ({}): eks-sso-sync manages clusters \
             in every account listed, so keep only the cluster's own account(s)",
            accounts.len(),
            list.join(", ")
        ));
    }
    notes
}

/// The report as text for people: translated entries with their rules, node roles left to EKS,
/// then what was not translated, each with its reason.
pub fn render_report(report: &ImportReport) -> String {
    // `writeln!` into a `String` cannot fail; its `Result` is ignored on purpose.
    let mut out = String::new();
    let _ = writeln!(out, "Translated ({}):", report.translated.len());
    for t in &report.translated {
        let what = match &t.permission_set {
            Some(ps) => format!("rule {} (permission set {ps})", t.rule),
            None => format!("rule {} (principal)", t.rule),
        };
        let _ = writeln!(out, "  {}\n    -> {what}: {}", t.entry, t.principal);
        for note in &t.notes {
            let _ = writeln!(out, "    note: {note}");
        }
    }
    let _ = writeln!(out, "Left to EKS ({}):", report.node_roles.len());
    for n in &report.node_roles {
        let _ = writeln!(out, "  {}\n    {}", n.entry, n.action);
    }
    let _ = writeln!(out, "Not translated ({}):", report.untranslated.len());
    for u in &report.untranslated {
        let _ = writeln!(out, "  {}\n    {}", u.entry, u.reason);
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out, "Notes:");
        for note in &report.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    out
}
