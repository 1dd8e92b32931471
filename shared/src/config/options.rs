//! The mapping's `options:` section, and the part of it the planner steers by ([`PlanOptions`]).
//!
//! The planner's options live with the mapping, not with the planner, because the mapping is
//! where they are read and validated: `config` never depends on `plan`, and the core modules form
//! a chain (`domain` ← `config` ← `desired` ← `plan`) instead of a cycle.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::domain::PrincipalArn;

/// How many managed entries one run may delete on one cluster: the larger of a count and a
/// share of the cluster's managed entries (`options.max_deletions`).
///
/// Why both: a share alone lets a small cluster lose everything in one run (20 % of 3 is 0, so
/// nothing could ever be pruned there, or 100 % if rounded up); a count alone lets a large cluster
/// lose hundreds of entries to one bad mapping change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionLimit {
    /// Deletions always allowed per cluster and run.
    pub entries: usize,
    /// Deletions allowed as a percentage of the cluster's managed entries.
    pub percent: u8,
}

impl Default for DeletionLimit {
    fn default() -> Self {
        Self {
            entries: 5,
            percent: 20,
        }
    }
}

impl DeletionLimit {
    /// The deletions allowed on a cluster with `managed` managed entries.
    pub fn allowed(&self, managed: usize) -> usize {
        self.entries
            .max(managed.saturating_mul(usize::from(self.percent)) / 100)
    }
}

/// What happens to managed entries on a cluster that left the mapping's scope (its tag was
/// removed, it was excluded, or its region or account was removed from the mapping).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnmanagedClusterPolicy {
    /// List them (plan, explain, the sweep's `OrphanedEntries` metric) and change nothing.
    #[default]
    Report,
    /// Remove the managed tags: the entries stay, as ordinary unmanaged entries.
    Release,
    /// Delete them, under the same lockout guard and deletion limit as any prune.
    Prune,
}

impl UnmanagedClusterPolicy {
    /// Parses the mapping value (`report`, `release`, `prune`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "report" => Some(Self::Report),
            "release" => Some(Self::Release),
            "prune" => Some(Self::Prune),
            _ => None,
        }
    }
}

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
    /// Principals never touched. The lockout guard counts a break-glass entry as an admin only
    /// when it works: `STANDARD`, cluster-wide `AmazonEKSClusterAdminPolicy` (or listed in
    /// `rbac_admins`), and its principal exists and is not newer than the entry.
    pub break_glass: BTreeSet<PrincipalArn>,
    /// Principals whose Kubernetes RBAC makes them cluster admins: the lockout guard counts their
    /// working entries as admins even without `AmazonEKSClusterAdminPolicy`.
    pub rbac_admins: BTreeSet<PrincipalArn>,
    /// How many managed entries one run may delete per cluster.
    pub max_deletions: DeletionLimit,
    /// The operator's override (`apply --allow-mass-deletion`): deletions beyond
    /// `max_deletions`, and in an account whose reads yield no desired entry, go ahead.
    pub allow_mass_deletion: bool,
}

/// The `options:` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Delete managed entries that are no longer desired (default true).
    pub prune: bool,
    /// Take over an unmanaged entry of a desired principal (default false).
    pub adopt_existing: bool,
    /// Switch `CONFIG_MAP` clusters to `API_AND_CONFIG_MAP`, one-way (default false).
    pub switch_auth_mode: bool,
    /// Drop the creator's bootstrap admin entry once a managed admin exists (default false).
    pub remove_creator_admin: bool,
    /// Principals never touched; the lockout guard counts them as admins only when their entry
    /// works (see [`PlanOptions::break_glass`]).
    pub break_glass: BTreeSet<PrincipalArn>,
    /// Principals whose Kubernetes RBAC makes them cluster admins (e.g. their groups are bound to
    /// `cluster-admin`): the lockout guard counts their working entries as admins.
    pub rbac_admins: BTreeSet<PrincipalArn>,
    /// How many managed entries one run may delete per cluster.
    pub max_deletions: DeletionLimit,
    /// What to do with managed entries on a cluster that left the mapping's scope.
    pub on_unmanaged_cluster: UnmanagedClusterPolicy,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            prune: true,
            adopt_existing: false,
            switch_auth_mode: false,
            remove_creator_admin: false,
            break_glass: Default::default(),
            rbac_admins: Default::default(),
            max_deletions: DeletionLimit::default(),
            on_unmanaged_cluster: UnmanagedClusterPolicy::default(),
        }
    }
}
