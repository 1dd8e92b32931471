//! Shadow admins: access entries eks-sso-sync does not manage that nevertheless grant
//! cluster-admin (or Admin) access. They are reported by `plan`, `explain` and the sweep (metric
//! `UnmanagedAdmins`), and never changed: who may be an admin outside the mapping is a decision
//! for people, and an entry we do not manage is not ours to remove.

use serde::{Deserialize, Serialize};

use crate::domain::{
    AccessScope, ActualEntry, ClusterInfo, EntryChange, EntryType, PolicyArn, PrincipalArn,
};

use super::{PlanOptions, contains_principal, is_creator_entry};

/// The admin-class policies: full cluster control, or everything but the cluster's own RBAC.
const ADMIN_POLICIES: [&str; 2] = ["AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy"];

/// One unmanaged entry with admin-class access.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UnmanagedAdmin {
    /// The entry's principal, as EKS holds it.
    pub principal: PrincipalArn,
    /// Each admin-class policy it has, with its scope.
    pub policies: Vec<AdminPolicy>,
    /// When EKS created the entry (epoch seconds), if known.
    pub created_at: Option<i64>,
    /// Whether it is the cluster creator's bootstrap entry, as the `CreateCluster` record named
    /// it (expected unless `bootstrapClusterCreatorAdminPermissions` was off;
    /// `remove_creator_admin` removes it). Listed but not counted in `UnmanagedAdmins`; without
    /// the record nothing tells it from a hand-made admin, so it is not marked.
    pub creator: bool,
    /// Who made the entry an admin, and when, when the event that triggered this reconcile says
    /// so: someone else's `CreateAccessEntry` or `AssociateAccessPolicy` naming this principal
    /// (see [`attribute`]). `None` otherwise — a sweep, `plan` or `explain` has no record to ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_by: Option<EntryChange>,
}

/// One admin-class policy of an unmanaged entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AdminPolicy {
    /// The policy ARN.
    pub policy: PolicyArn,
    /// Where it applies.
    pub scope: AccessScope,
}

/// The unmanaged `STANDARD` entries of `cluster` with an admin-class policy, in principal order.
/// Declared admins are left out: break-glass principals and `rbac_admins` are there on purpose.
pub fn unmanaged_admins(
    cluster: &ClusterInfo,
    actual: &[ActualEntry],
    options: &PlanOptions,
) -> Vec<UnmanagedAdmin> {
    let mut found: Vec<UnmanagedAdmin> = actual
        .iter()
        .filter(|e| !e.is_managed() && e.entry_type == EntryType::Standard)
        .filter(|e| {
            !contains_principal(&options.break_glass, &e.principal)
                && !contains_principal(&options.rbac_admins, &e.principal)
        })
        .filter_map(|e| {
            let policies: Vec<AdminPolicy> = e
                .policies
                .iter()
                .filter(|(policy, _)| ADMIN_POLICIES.contains(&policy.name()))
                .map(|(policy, scope)| AdminPolicy {
                    policy: policy.clone(),
                    scope: scope.clone(),
                })
                .collect();
            (!policies.is_empty()).then(|| UnmanagedAdmin {
                principal: e.principal.clone(),
                policies,
                created_at: e.created_at,
                creator: is_creator_entry(e, cluster),
                made_by: None,
            })
        })
        .collect();
    found.sort();
    found
}

/// Names `change` as the origin of the unmanaged admin it granted: the entry of the principal a
/// `CreateAccessEntry` or `AssociateAccessPolicy` record names. Returns whether one was found
/// (an entry the change made that is not an admin, or no longer exists, is not reported).
pub fn attribute(admins: &mut [UnmanagedAdmin], change: &EntryChange) -> bool {
    let mut found = false;
    for admin in admins.iter_mut().filter(|a| change.grants_to(&a.principal)) {
        admin.made_by = Some(change.clone());
        found = true;
    }
    found
}

/// How many of `admins` count as shadow admins (the creator's bootstrap entry does not).
pub fn shadow_admin_count(admins: &[UnmanagedAdmin]) -> usize {
    admins.iter().filter(|a| !a.creator).count()
}
