//! The lockout guard: a plan that would leave a cluster with no working cluster-admin access
//! entry is refused (DESIGN.md, invariant 3).

use std::collections::BTreeSet;

use crate::desired::ClusterDesired;
use crate::domain::{ActualEntry, PrincipalArn};

use super::PlanOptions;

/// Whether `entry` was created for a role that has since been recreated: it is managed, its
/// principal is desired, and the role id it records differs from the role's current id. EKS binds
/// entries to role ids, so such an entry grants nothing any more, whatever its policies say.
pub fn is_dead(entry: &ActualEntry, desired: &ClusterDesired) -> bool {
    entry.is_managed()
        && desired
            .entries
            .get(&entry.principal)
            .is_some_and(|d| entry.recorded_role_id() != Some(d.role_id.as_str()))
}

/// The principals holding a working cluster-admin access entry: a `STANDARD` entry with
/// `AmazonEKSClusterAdminPolicy` at cluster scope that is not dead, plus every break-glass
/// principal that has an entry (break-glass entries are never touched, so they are trusted).
pub fn working_admins<'a>(
    entries: &'a [ActualEntry],
    desired: &ClusterDesired,
    options: &PlanOptions,
) -> BTreeSet<&'a PrincipalArn> {
    entries
        .iter()
        .filter(|e| {
            options.break_glass.contains(&e.principal)
                || (e.is_cluster_admin() && !is_dead(e, desired))
        })
        .map(|e| &e.principal)
        .collect()
}

/// Why a plan is refused, or `None` when it may go ahead.
///
/// Refuses only when there is at least one working admin before and none after. With none
/// before, the plan cannot make things worse, and the cluster is not necessarily locked: in
/// `API_AND_CONFIG_MAP` mode the admins may live in the `aws-auth` ConfigMap, which eks-sso-sync
/// does not read. Refusing then would only block the plan that is about to add an admin.
pub fn lockout_refusal(
    cluster: &str,
    before: &BTreeSet<&PrincipalArn>,
    after: &BTreeSet<&PrincipalArn>,
) -> Option<String> {
    if before.is_empty() || !after.is_empty() {
        return None;
    }
    let going: Vec<&str> = before.iter().map(|p| p.as_str()).collect();
    Some(format!(
        "this plan would leave cluster {cluster} without any working cluster-admin \
         access entry; the admin entries that would go: {}. Grant AmazonEKSClusterAdminPolicy at \
         cluster scope through a rule, or list an admin principal under break_glass, then plan again",
        going.join(", ")
    ))
}
