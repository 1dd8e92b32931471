//! Desired state: mapping × inventory → the access entries each cluster should have. Pure.
//!
//! The types here are the contract between desired-state computation and the planner.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::{
    AccessScope, AccountId, ClusterInfo, ClusterRef, KubernetesGroup, PolicyArn, PrincipalArn,
    RoleId, Username,
};

/// One access entry a cluster should have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredEntry {
    /// The role (full path).
    pub principal: PrincipalArn,
    /// The role's current unique id; an existing entry recorded for another id is dead.
    pub role_id: RoleId,
    /// Kubernetes groups (union over the rules that produced the entry).
    pub kubernetes_groups: BTreeSet<KubernetesGroup>,
    /// Username, only when a rule sets one (else EKS's default is left alone).
    pub username: Option<Username>,
    /// Policy → merged scope (namespaces unioned; `cluster` wins).
    pub policies: BTreeMap<PolicyArn, AccessScope>,
    /// Names of the mapping rules that produced this entry.
    pub rules: BTreeSet<String>,
}

/// Everything desired for one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterDesired {
    /// The cluster, as read.
    pub cluster: ClusterInfo,
    /// Desired entries by principal.
    pub entries: BTreeMap<PrincipalArn, DesiredEntry>,
    /// Principals whose desired access is in conflict (see [`Conflict`]): the planner leaves
    /// whatever entry they have exactly as it is, and creates none.
    pub held: BTreeMap<PrincipalArn, Conflict>,
}

/// A problem found while computing desired state: reported, never guessed around.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Problem {
    /// The rule concerned.
    pub rule: String,
    /// The account concerned, if any.
    pub account: Option<AccountId>,
    /// What is wrong and what to do about it.
    pub message: String,
}

/// Two rules give one role (one permission set in one account) different access. Merging them
/// would give every group assigned that permission set the union, so the entry is held instead.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Conflict {
    /// The shared role.
    pub principal: PrincipalArn,
    /// The rules that disagree (at least two).
    pub rules: BTreeSet<String>,
    /// What they disagree on, for people.
    pub detail: String,
}

/// The desired state of every cluster in scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredState {
    /// Per cluster, in cluster order.
    pub clusters: BTreeMap<ClusterRef, ClusterDesired>,
    /// Problems found (unresolvable roles, captures that are not valid names, ...).
    pub problems: Vec<Problem>,
    /// Shared-role conflicts found.
    pub conflicts: Vec<Conflict>,
}
