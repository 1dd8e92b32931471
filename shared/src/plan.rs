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
mod orphans;
mod provenance;
mod render;
mod shadow;
mod simulate;
mod withhold;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use cluster::{MAX_ENTRIES_PER_CLUSTER, plan_cluster};
pub use creator::is_creator_entry;
pub use guard::{Deadness, deadness, removes_admin};
pub use orphans::{orphaned_entries, plan_orphans};
pub use render::{SCHEMA_VERSION, render_table, to_json};
pub use shadow::{AdminPolicy, UnmanagedAdmin, attribute, shadow_admin_count, unmanaged_admins};
pub use simulate::{apply_to_actual, default_username};
pub use withhold::confirmed_problems;
// The options moved to the mapping (`config`), where they are read; re-exported so that
// `plan::PlanOptions` keeps naming them.
pub use crate::config::{DeletionLimit, PlanOptions, UnmanagedClusterPolicy};

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::desired::{Conflict, DesiredState, RuleSource};
use crate::domain::NewEntry;
use crate::domain::{
    AccessEntryArn, AccessScope, ActualEntry, AuthenticationMode, ClusterRef, KubernetesGroup,
    PolicyArn, PrincipalArn, RoleId, RuleName, Username,
};

/// Whether `set` holds `principal` as IAM compares principals: role and user names are unique in
/// an account regardless of case (and of path), while EKS keeps each ARN as it was given.
pub fn contains_principal(set: &BTreeSet<PrincipalArn>, principal: &PrincipalArn) -> bool {
    set.contains(principal) || set.iter().any(|p| same_principal(p, principal))
}

/// Whether two ARNs name the same IAM principal: same partition, account and kind, and names
/// equal ignoring case (IAM refuses a second role or user whose name differs only in case).
pub fn same_principal(a: &PrincipalArn, b: &PrincipalArn) -> bool {
    a.partition() == b.partition()
        && a.account() == b.account()
        && a.kind() == b.kind()
        && a.name().eq_ignore_ascii_case(b.name())
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
        entry_arn: AccessEntryArn,
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

/// Why a planned operation was withheld instead of applied.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum WithholdReason {
    /// A rule that could have produced this entry has a problem (a name that does not resolve,
    /// an ambiguous role, ...): its desired state is unknown, so the entry is held as it is.
    Problem {
        /// The rule with the problem.
        rule: RuleName,
    },
    /// The cluster's deletions in this run exceed `options.max_deletions`.
    DeletionLimit {
        /// Deletions planned.
        planned: usize,
        /// Deletions allowed.
        allowed: usize,
    },
    /// The account has managed entries, but its (successful) reads yield no desired entry at
    /// all: more likely a wrong mapping or an empty answer than an intended clean-up.
    EmptyAccount,
    /// Applying it would leave the cluster without a working cluster-admin entry.
    Lockout,
}

/// A planned operation that is not applied, and why. Withheld operations are reported (plan,
/// apply, metrics) and make the CLI exit non-zero; the rest of the plan still applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withheld {
    /// The operation as it would have been applied.
    pub operation: Operation,
    /// Why it is withheld.
    pub reason: WithholdReason,
    /// Details for people: what was looked up, and the fix.
    pub detail: String,
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
    /// Operations held back (problems, the deletion limit, the lockout guard), with why; the
    /// rest of the plan applies.
    pub withheld: Vec<Withheld>,
    /// Set when the lockout guard withheld removals: what it kept and why.
    pub refused: Option<String>,
    /// Why each principal of `operations` and `withheld` is in the plan: the mapping rules that
    /// produce its desired entry, or — for an entry no rule produces any more — the rules its
    /// `eks-sso-sync:rules` tag recorded (what made it). Empty for a principal no rule ever
    /// named (an adopted or creator entry).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub provenance: BTreeMap<PrincipalArn, Vec<RuleSource>>,
    /// What started the run that made the plan and which mapping it used; set by the engine
    /// (the planner itself knows neither), absent in a plan made outside a run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<RunOrigin>,
}

impl ClusterPlan {
    /// Whether applying this plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// How many operations were withheld for `reason`'s kind.
    pub fn withheld_count(&self, matches: impl Fn(&WithholdReason) -> bool) -> usize {
        self.withheld.iter().filter(|w| matches(&w.reason)).count()
    }
}

/// Where a run came from, as its plans and every audit record of it name: the trigger and the
/// mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOrigin {
    /// The triggering EventBridge event id, if event-driven.
    pub event_id: Option<String>,
    /// What started the run: the trigger kind of an event-driven job (`membership_added`, ...),
    /// `scheduled sweep`, or `operator` for the CLI.
    pub trigger: Option<String>,
    /// SHA-256 of the mapping text the run used: which version of the mapping made the plan.
    pub mapping_sha256: Option<String>,
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
