//! The planner: desired × actual → an ordered, guarded access plan. Pure and deterministic.
//!
//! The types here are the contract between the planner and the engine that applies plans.
//! The work is split by concern: [`plan_cluster`] decides per cluster (gates, one decision per
//! principal, the entry limit, the creator's entry, phase order, the lockout guard), with the
//! per-entry diff, creator recognition, the guard, the EKS simulation and rendering beside it.

mod cluster;
mod creator;
mod entry;
mod guard;
mod render;
mod simulate;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use cluster::{MAX_ENTRIES_PER_CLUSTER, plan_cluster};
pub use creator::{CREATOR_ENTRY_WINDOW_SECS, is_creator_entry};
pub use render::{SCHEMA_VERSION, render_table, to_json};
pub use simulate::{apply_to_actual, default_username};

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::desired::{Conflict, DesiredState};
use crate::domain::{
    AccessScope, ActualEntry, AuthenticationMode, ClusterRef, KubernetesGroup, PolicyArn,
    PrincipalArn, RoleId, Username,
};
use crate::ports::NewEntry;

/// The mapping's `options` that steer planning.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOptions {
    /// Delete managed entries that are no longer desired.
    pub prune: bool,
    /// Take over an unmanaged entry of a desired principal (else: report a conflict).
    pub adopt_existing: bool,
    /// Switch `CONFIG_MAP` clusters to `API_AND_CONFIG_MAP` (one-way).
    pub switch_auth_mode: bool,
    /// Delete the cluster creator's bootstrap entry once a managed cluster-admin entry exists.
    pub remove_creator_admin: bool,
    /// Principals never touched, counted as admins by the lockout guard.
    pub break_glass: BTreeSet<PrincipalArn>,
}

/// Why an entry is deleted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DeleteReason {
    /// A managed entry no rule produces any more (`prune`).
    NoLongerDesired,
    /// The creator's bootstrap admin entry (`remove_creator_admin`).
    CreatorAdminRemoved,
}

/// One step of a plan. Every variant names the principal it concerns (but the cluster-level
/// [`Operation::SetAuthenticationMode`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Operation {
    /// Move the cluster to an authentication mode that supports access entries.
    SetAuthenticationMode {
        /// Current mode.
        from: AuthenticationMode,
        /// Target mode.
        to: AuthenticationMode,
    },
    /// Create an entry (with the managed tags).
    CreateEntry {
        /// What to create.
        entry: NewEntry,
    },
    /// The role was recreated (new role id): the old entry is dead even though the ARN is the
    /// same. Delete it and create it again; its policies follow as separate associations.
    RecreateEntry {
        /// What to create after the delete.
        entry: NewEntry,
        /// The role id the dead entry was created for.
        old_role_id: Option<String>,
        /// The role's current id.
        new_role_id: RoleId,
    },
    /// Update groups and/or username in place.
    UpdateEntry {
        /// The principal.
        principal: PrincipalArn,
        /// Groups after (the whole list: `UpdateAccessEntry` replaces it).
        kubernetes_groups: BTreeSet<KubernetesGroup>,
        /// Username after, when one is set.
        username: Option<Username>,
        /// Groups before.
        before_groups: BTreeSet<String>,
        /// Username before.
        before_username: Option<String>,
    },
    /// Put (or replace) the managed tags on an existing entry (adoption, outdated role id).
    TagEntry {
        /// The principal.
        principal: PrincipalArn,
        /// The entry ARN to tag.
        entry_arn: String,
        /// Tags to set.
        tags: BTreeMap<String, String>,
    },
    /// Associate a policy, or re-associate it with a new scope (replaces; no disassociate).
    AssociatePolicy {
        /// The principal.
        principal: PrincipalArn,
        /// The policy.
        policy: PolicyArn,
        /// The scope after.
        scope: AccessScope,
        /// The scope before, if it was associated.
        before: Option<AccessScope>,
    },
    /// Disassociate a policy no rule grants any more.
    DisassociatePolicy {
        /// The principal.
        principal: PrincipalArn,
        /// The policy.
        policy: PolicyArn,
        /// The scope it had.
        before: AccessScope,
    },
    /// Delete an entry.
    DeleteEntry {
        /// The principal.
        principal: PrincipalArn,
        /// Why.
        reason: DeleteReason,
    },
}

impl Operation {
    /// The principal this operation concerns, `None` for cluster-level operations.
    pub fn principal(&self) -> Option<&PrincipalArn> {
        match self {
            Operation::SetAuthenticationMode { .. } => None,
            Operation::CreateEntry { entry } | Operation::RecreateEntry { entry, .. } => {
                Some(&entry.principal)
            }
            Operation::UpdateEntry { principal, .. }
            | Operation::TagEntry { principal, .. }
            | Operation::AssociatePolicy { principal, .. }
            | Operation::DisassociatePolicy { principal, .. }
            | Operation::DeleteEntry { principal, .. } => Some(principal),
        }
    }

    /// Whether this operation removes access (it must come after every operation that grants).
    pub fn is_removal(&self) -> bool {
        matches!(
            self,
            Operation::DisassociatePolicy { .. } | Operation::DeleteEntry { .. }
        )
    }
}

/// Why something that differs was deliberately left alone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SkipReason {
    /// A desired principal already has an entry eks-sso-sync does not manage (and
    /// `adopt_existing` is off).
    UnmanagedEntry,
    /// Not a `STANDARD` entry (node access): never touched.
    NotStandard,
    /// A break-glass principal: never touched.
    BreakGlass,
    /// The cluster creator's bootstrap entry (touched only with `remove_creator_admin`).
    CreatorEntry,
    /// The cluster is in `CONFIG_MAP` mode and `switch_auth_mode` is off.
    ConfigMapCluster,
    /// The cluster is not `ACTIVE`; it will be reconciled when it is.
    ClusterNotActive,
    /// Creating the entry would exceed the 3,000-entries-per-cluster limit.
    EntryLimit,
    /// Rules conflict over a shared role; the entry is held as it is.
    SharedRoleConflict,
}

/// A deliberately skipped item, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Skipped {
    /// The principal concerned, `None` for the whole cluster.
    pub principal: Option<PrincipalArn>,
    /// Why.
    pub reason: SkipReason,
    /// Details for people.
    pub detail: String,
}

/// The plan for one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterPlan {
    /// The cluster.
    pub cluster: ClusterRef,
    /// Operations in the order they must be applied (grants before removals).
    pub operations: Vec<Operation>,
    /// Items deliberately left alone.
    pub skipped: Vec<Skipped>,
    /// Shared-role conflicts affecting this cluster.
    pub conflicts: Vec<Conflict>,
    /// Set when the lockout guard refused the plan: then `operations` is empty.
    pub refused: Option<String>,
}

impl ClusterPlan {
    /// Whether applying this plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }
}

/// A plan for one or more clusters, in cluster order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPlan {
    /// Per-cluster plans.
    pub clusters: Vec<ClusterPlan>,
}

/// Plans every cluster of `desired`, in cluster order, against the entries read from it.
///
/// A cluster missing from `actual` is planned as having no entries: that can only add creates
/// (which EKS answers with 409 for entries that exist after all), never deletes, and the lockout
/// guard has nothing to lose. Clusters in `actual` but not in `desired` are out of scope and
/// not planned.
pub fn plan(
    desired: &DesiredState,
    actual: &BTreeMap<ClusterRef, Vec<ActualEntry>>,
    options: &PlanOptions,
) -> AccessPlan {
    let clusters = desired
        .clusters
        .iter()
        .map(|(cluster, wanted)| {
            let entries = actual.get(cluster).map_or(&[][..], Vec::as_slice);
            plan_cluster(wanted, entries, options)
        })
        .collect();
    AccessPlan { clusters }
}
