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
mod entries;
pub mod equivalence;
mod position;
mod principal;
mod render;
mod resolve;
mod sso;
mod targets;
mod translate;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_corpus;
#[cfg(test)]
mod tests_reading;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

pub use classify::NodeKind;
pub use position::Position;

use crate::config::Mapping;
use crate::domain::{AccountId, ClusterName, PermissionSetName, PrincipalArn, Region};
use crate::ports::{AccountConnector, PortError};
use targets::rbac_only_note;
use translate::{RuleKey, Translation, Translator};

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
    /// The clusters the ConfigMaps come from. Given, the mapping manages only clusters of those
    /// names; empty, its rules apply to every cluster of the listed accounts and regions.
    pub clusters: Vec<ClusterName>,
    /// The accounts of those clusters, when known (read live): listed in the mapping besides the
    /// accounts of the principals (which the engine needs to look them up).
    pub cluster_accounts: Vec<AccountId>,
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Import {
    /// A complete mapping file (YAML with comments) that loads with [`Mapping::from_str`];
    /// `None` when no entry gave a rule (nothing to write, and the report says why).
    pub mapping_yaml: Option<String>,
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
    /// How many `mapRoles`/`mapUsers` entries the ConfigMap(s) hold, readable or not: each is
    /// in exactly one of `translated`, `node_roles` and `untranslated`.
    pub entries: usize,
}

impl ImportReport {
    /// How many ConfigMap entries the report accounts for: each translated entry, node role
    /// and untranslated entry (list-level problems and `mapAccounts` items are not entries).
    /// Equal to [`ImportReport::entries`] when every entry is accounted for exactly once.
    pub fn entries_accounted(&self) -> usize {
        let is_entry = |label: &str| label.contains("mapRoles[") || label.contains("mapUsers[");
        self.translated.len()
            + self.node_roles.len()
            + self
                .untranslated
                .iter()
                .filter(|u| is_entry(&u.entry))
                .count()
    }
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
    /// The entry had `system:masters`: its access entry must be a cluster admin.
    pub cluster_admin: bool,
    /// The entry's groups kept as Kubernetes groups.
    pub kubernetes_groups: Vec<String>,
    /// The entry's username as the access entry will carry it (`None`: EKS's default).
    pub username: Option<String>,
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
    /// The file is not YAML (or JSON); the message starts with `origin:line:column`.
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
    /// The settings list no region.
    #[error("no regions given: every account of the mapping needs at least one")]
    NoRegions,
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

/// One ConfigMap to import: its text and where it came from (a file name, or
/// `<cluster>:kube-system/aws-auth`), which prefixes positions and, with several, entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigMapSource {
    /// Where the text came from.
    pub origin: String,
    /// The ConfigMap (YAML or JSON, any shape [`import_aws_auth`] accepts).
    pub text: String,
}

/// Reads an `aws-auth` ConfigMap (a whole ConfigMap as YAML or JSON, a `data:` block, a
/// `mapRoles:` fragment or a bare list) and translates it into a mapping, looking every role up
/// in IAM through `aws`.
pub async fn import_aws_auth(
    configmap_yaml: &str,
    settings: &ImportSettings,
    aws: &dyn AccountConnector,
) -> Result<Import, ImportError> {
    let source = ConfigMapSource {
        origin: "aws-auth".to_owned(),
        text: configmap_yaml.to_owned(),
    };
    import_configmaps(&[source], settings, aws).await
}

/// Imports several ConfigMaps (one per cluster) into one mapping: entries for the same
/// principal or permission set merge into one rule, so identical entries of several clusters
/// give one rule, and each entry is listed with its origin.
pub async fn import_configmaps(
    sources: &[ConfigMapSource],
    settings: &ImportSettings,
    aws: &dyn AccountConnector,
) -> Result<Import, ImportError> {
    if settings.regions.is_empty() {
        return Err(ImportError::NoRegions);
    }
    let mut translator = Translator::new(settings, aws);
    let mut entries = 0;
    for source in sources {
        let prefix = (sources.len() > 1).then_some(source.origin.as_str());
        entries += import_one(&mut translator, source, prefix).await?;
    }
    let mut translation = translator.finish();
    // The engine looks each principal up in its own account, reached through the role the
    // mapping lists for it, so principals' accounts stay listed next to the clusters' accounts.
    translation
        .accounts
        .extend(settings.cluster_accounts.iter().cloned());
    let names = render::name_rules(&translation.drafts);
    let mapping_yaml = if translation.drafts.is_empty() {
        None
    } else {
        let yaml =
            render::mapping_yaml(settings, &translation.accounts, &translation.drafts, &names)?;
        if let Err(report) = Mapping::from_str(&yaml, "generated mapping") {
            return Err(ImportError::InvalidOutput(report.to_string()));
        }
        Some(yaml)
    };
    let mut report = build_report(translation, &names, settings);
    report.entries = entries;
    tracing::info!(
        entries,
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

/// Translates one ConfigMap's entries; returns how many entries it holds.
async fn import_one(
    translator: &mut Translator<'_>,
    source: &ConfigMapSource,
    prefix: Option<&str>,
) -> Result<usize, ImportError> {
    let label = |entry: String| match prefix {
        Some(origin) => format!("{origin} {entry}"),
        None => entry,
    };
    let mut auth = configmap::parse(&source.text, &source.origin)?;
    for entry in &mut auth.entries {
        entry.origin = prefix.map(str::to_owned);
    }
    for problem in auth.unreadable {
        translator.skip_label(label(problem.entry), problem.reason);
    }
    let entries = &auth.entries;
    for (i, entry) in entries.iter().enumerate() {
        let last = entries
            .iter()
            .rposition(|e| e.section == entry.section && e.arn.eq_ignore_ascii_case(&entry.arn))
            .unwrap_or(i);
        if last != i {
            translator.shadowed(entry, &entries[last]);
            continue;
        }
        let twins = entries[..i]
            .iter()
            .filter(|e| e.section == entry.section && e.arn.eq_ignore_ascii_case(&entry.arn))
            .count();
        let remarks = (twins > 0)
            .then(|| {
                format!(
                    "{} maps this ARN {} times; the authenticator uses this last mapping, and \
                     so does the import",
                    entry.section.key(),
                    twins + 1
                )
            })
            .into_iter()
            .collect();
        translator.entry(entry, entries, remarks).await?;
    }
    for account in &auth.map_accounts {
        translator.map_account(account);
    }
    Ok(auth.entry_count)
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
        entries: 0,
    }
}

/// Remarks on where the mapping's rules will apply.
fn scope_notes(settings: &ImportSettings, accounts: &BTreeSet<AccountId>) -> Vec<String> {
    let mut notes = Vec::new();
    if settings.clusters.is_empty() {
        notes.push(
            "no cluster name given: the rules apply to every cluster of the listed accounts and \
             regions, not only to the cluster this aws-auth came from"
                .to_owned(),
        );
    }
    if accounts.len() > 1 && settings.clusters.is_empty() {
        let list: Vec<&str> = accounts.iter().map(AccountId::as_str).collect();
        notes.push(format!(
            "the mapping lists the accounts of every principal ({0} accounts: {1}), which the \
             engine needs to look them up, and without a cluster name it manages the clusters of \
             all of them: import with --cluster NAME to limit it to the ConfigMap's cluster(s)",
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
        let _ = writeln!(out, "  {}\n    -> {}: {}", n.entry, n.principal, n.action);
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
