//! The equivalence check: against a cluster's live access entries, does every principal that
//! had access through aws-auth keep at least that access once the ConfigMap entries go?
//! `system:masters` needs a working cluster-admin entry (STANDARD, `AmazonEKSClusterAdminPolicy`
//! at cluster scope), custom groups the same Kubernetes groups, a kept username that username;
//! node and Fargate roles need EKS's node entry of their type. Pure: [`read_entries`] does the I/O.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ImportReport;
use crate::domain::{AccessScope, ActualEntry, ClusterName, EntryType, PolicyArn, PrincipalArn};
use crate::ports::{EksApi, PortError};

/// The verdict for one ConfigMap entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryCheck {
    /// The ConfigMap entry.
    pub entry: String,
    /// The principal whose access is checked.
    pub principal: String,
    /// `None` when the access is kept; else what is missing and what to do.
    pub missing: Option<String>,
}

/// Every entry's verdict on one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Equivalence {
    /// The cluster checked.
    pub cluster: ClusterName,
    /// One verdict per translated entry and node role, in report order.
    pub checks: Vec<EntryCheck>,
}

impl Equivalence {
    /// Whether every principal keeps its access: the ConfigMap entries may then be removed.
    pub fn holds(&self) -> bool {
        self.checks.iter().all(|c| c.missing.is_none())
    }
}

/// Checks `report` against the cluster's `entries` (as [`read_entries`] returns them).
pub fn check(report: &ImportReport, cluster: &ClusterName, entries: &[ActualEntry]) -> Equivalence {
    let by_principal: BTreeMap<String, &ActualEntry> = entries
        .iter()
        .map(|e| (e.principal.as_str().to_ascii_lowercase(), e))
        .collect();
    let find = |arn: &str| by_principal.get(&arn.to_ascii_lowercase()).copied();
    let mut checks = Vec::new();
    for t in &report.translated {
        let missing = match find(t.principal.as_str()) {
            None => Some(format!(
                "no access entry for {}: run `eks-sso-sync apply` with the imported mapping \
                 (the cluster must be in API_AND_CONFIG_MAP mode)",
                t.principal
            )),
            Some(entry) => standard_gaps(t, entry),
        };
        checks.push(EntryCheck {
            entry: t.entry.clone(),
            principal: t.principal.to_string(),
            missing,
        });
    }
    for node in &report.node_roles {
        let wanted = node.node_kind.entry_type();
        let missing = match find(&node.principal) {
            Some(e) if e.entry_type == EntryType::parse(wanted) => None,
            Some(e) => Some(format!(
                "its access entry is {:?}, not {wanted}: nodes using it would not join",
                e.entry_type
            )),
            None => Some(format!(
                "no {wanted} access entry: EKS creates it for managed node groups and Fargate \
                 profiles; for self-managed nodes create it (aws eks create-access-entry --type \
                 {wanted}) before removing the aws-auth entry"
            )),
        };
        checks.push(EntryCheck {
            entry: node.entry.clone(),
            principal: node.principal.clone(),
            missing,
        });
    }
    Equivalence {
        cluster: cluster.clone(),
        checks,
    }
}

/// What a STANDARD entry lacks of the access the aws-auth entry gave.
fn standard_gaps(t: &super::Translated, entry: &ActualEntry) -> Option<String> {
    let mut gaps = Vec::new();
    if entry.entry_type != EntryType::Standard {
        gaps.push(format!("the entry is {:?}, not STANDARD", entry.entry_type));
    }
    let admin = matches!(
        entry.policies.get(&PolicyArn::cluster_admin()),
        Some(AccessScope::Cluster)
    );
    if t.cluster_admin && !admin {
        gaps.push("no AmazonEKSClusterAdminPolicy at cluster scope (it had system:masters)".into());
    }
    let lost: Vec<&str> = t
        .kubernetes_groups
        .iter()
        .filter(|g| !entry.kubernetes_groups.contains(*g))
        .map(String::as_str)
        .collect();
    if !lost.is_empty() {
        gaps.push(format!("missing Kubernetes groups {}", lost.join(", ")));
    }
    if let Some(wanted) = &t.username {
        if entry.username.as_deref() != Some(wanted.as_str()) {
            gaps.push(format!(
                "username is {:?}, not {wanted:?}: RBAC bound to {wanted:?} would not apply",
                entry.username.as_deref().unwrap_or("EKS's default")
            ));
        }
    }
    (!gaps.is_empty()).then(|| gaps.join("; "))
}

/// The cluster's access entries with their policies (`ListAccessEntries`, then per entry
/// `DescribeAccessEntry` and `ListAssociatedAccessPolicies`).
pub async fn read_entries(
    eks: &dyn EksApi,
    cluster: &ClusterName,
) -> Result<Vec<ActualEntry>, PortError> {
    let principals: Vec<PrincipalArn> = eks.list_access_entries(cluster).await?;
    let mut entries = Vec::with_capacity(principals.len());
    for principal in &principals {
        let mut entry = eks.describe_access_entry(cluster, principal).await?;
        entry.policies = eks.list_associated_policies(cluster, principal).await?;
        entries.push(entry);
    }
    Ok(entries)
}

/// The equivalence as text: one line per entry, `ok` or what is missing.
pub fn render(equivalence: &Equivalence) -> String {
    let mut out = format!("Equivalence on {}:\n", equivalence.cluster);
    for c in &equivalence.checks {
        match &c.missing {
            None => out.push_str(&format!("  ok      {}\n", c.entry)),
            Some(why) => out.push_str(&format!("  MISSING {}\n    {why}\n", c.entry)),
        }
    }
    let verdict = if equivalence.holds() {
        "every principal keeps at least its aws-auth access: the ConfigMap entries can be removed"
    } else {
        "some principals would lose access: keep the aws-auth entries until this check passes"
    };
    out.push_str(&format!("  => {verdict}\n"));
    out
}
