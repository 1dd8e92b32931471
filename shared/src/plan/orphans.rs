//! Managed entries on a cluster that left the mapping's scope (its tag was removed, it was
//! excluded): listed always, and released or pruned only when `options.on_unmanaged_cluster`
//! says so — never on the mere fact that the cluster is no longer matched.

use std::collections::BTreeMap;

use crate::desired::ClusterDesired;
use crate::domain::{ActualEntry, ClusterInfo, ManagedTags, PrincipalArn};

use super::{ClusterPlan, Operation, PlanOptions, UnmanagedClusterPolicy, plan_cluster};

/// The managed entries of an out-of-scope cluster, in principal order.
pub fn orphaned_entries(actual: &[ActualEntry]) -> Vec<PrincipalArn> {
    let mut orphans: Vec<PrincipalArn> = actual
        .iter()
        .filter(|e| e.is_managed())
        .map(|e| e.principal.clone())
        .collect();
    orphans.sort();
    orphans.dedup();
    orphans
}

/// The plan for an out-of-scope cluster's managed entries under `policy`, or `None` when the
/// policy is to report only (or there is nothing to act on).
///
/// - `release`: each entry's managed marker is set to [`ManagedTags::RELEASED_VALUE`], so it
///   stays exactly as it is and eks-sso-sync never touches it again (a tag change, not an
///   untag: the member role may only tag entries that carry the managed marker).
/// - `prune`: the entries are planned as no longer desired, under the same deletion limit and
///   lockout guard as any prune.
pub fn plan_orphans(
    cluster: &ClusterInfo,
    actual: &[ActualEntry],
    options: &PlanOptions,
    policy: UnmanagedClusterPolicy,
) -> Option<ClusterPlan> {
    if orphaned_entries(actual).is_empty() {
        return None;
    }
    match policy {
        UnmanagedClusterPolicy::Report => None,
        UnmanagedClusterPolicy::Release => Some(release(cluster, actual)),
        UnmanagedClusterPolicy::Prune => {
            // The deletion limit and the lockout guard still bound what one run removes.
            let nothing_desired = ClusterDesired::nothing(cluster);
            let prune = PlanOptions {
                prune: true,
                ..options.clone()
            };
            Some(plan_cluster(&nothing_desired, actual, &prune))
        }
    }
}

fn release(cluster: &ClusterInfo, actual: &[ActualEntry]) -> ClusterPlan {
    let operations = actual
        .iter()
        .filter(|e| e.is_managed())
        .filter_map(|e| {
            Some(Operation::TagEntry {
                principal: e.principal.clone(),
                entry_arn: e.arn.clone()?,
                tags: BTreeMap::from([(
                    ManagedTags::MANAGED.to_owned(),
                    ManagedTags::RELEASED_VALUE.to_owned(),
                )]),
            })
        })
        .collect();
    let mut plan = ClusterPlan {
        cluster: cluster.cluster.clone(),
        operations,
        skipped: Vec::new(),
        conflicts: Vec::new(),
        withheld: Vec::new(),
        refused: None,
        provenance: Default::default(),
        origin: None,
    };
    super::provenance::record(&mut plan, &BTreeMap::new(), actual);
    plan
}
