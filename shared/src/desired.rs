//! Desired state: mapping × inventory → the access entries each cluster should have. Pure.
//!
//! The types here are the contract between desired-state computation and the planner;
//! [`compute`] produces them, synchronously and deterministically (same input, same output).
//!
//! For every permission set in the inventory, the mapping's rules for it (exact rules win over
//! pattern rules) are expanded with their captures; a rule whose expansion is not valid is a
//! [`Problem`] and gives that permission set nothing. In each account where the permission set
//! is assigned, a rule with a `groups` filter applies only if one of its groups holds the
//! assignment there. The role is then found among the account's SSO roles by the anchored name
//! match (zero or several candidates: a [`Problem`], no entry). On every managed cluster of that
//! account that the rule's selector matches, the rule contributes to the role's entry.
//! `principals:` rules contribute to their principal's entry on every managed cluster their
//! selector matches, if the principal exists. Break-glass principals never get an entry.
//!
//! # Shared roles
//!
//! One SSO role serves *every* group assigned its permission set in an account, so merging the
//! rules that reach one role can give a group access meant for another. The criterion, per
//! cluster and role, over the rules that apply there:
//!
//! - two rules setting different usernames conflict (an entry has one username);
//! - otherwise each rule is *meant for* an audience: the holders of the assignment when it has
//!   no `groups` filter, else its filter ∩ the holders. The checked groups are all holders if
//!   some rule is unfiltered, else the union of the filtered audiences. If any checked group's
//!   own rules (those meant for it) do not already cover the merged access (policies and scopes,
//!   pattern-aware; Kubernetes groups; username), merging would widen that group's access: a
//!   [`Conflict`] naming the rules, and the role goes to [`ClusterDesired::held`] (the planner
//!   leaves its entry as it is).
//!
//! So rules without filters, or with identical filters, or whose differing grants reach the same
//! groups anyway, simply merge; a single rule never conflicts with itself.

mod demand;
mod hint;
mod holds;
mod merge;
#[cfg(test)]
mod merge_tests;
mod roles;
mod source;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod unknown_tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::config::Mapping;
use crate::domain::{
    AccessScope, AccountId, ClusterInfo, ClusterRef, KubernetesGroup, PermissionSetName, PolicyArn,
    PrincipalArn, RoleId, RuleName, Username,
};
use crate::inventory::Inventory;
use demand::Inputs;
pub use hint::{closest_names, did_you_mean};
use merge::{Contribution, Merged};
#[cfg(test)]
pub(crate) use source::sources_named;
pub use source::{RuleSource, RuleVia, rule_names};

/// One access entry a cluster should have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredEntry {
    /// The role (full path).
    pub principal: PrincipalArn,
    /// The role's current unique id; an existing entry recorded for another id is dead.
    pub role_id: RoleId,
    /// When IAM created the role, if known: an entry older than its role (and recording no role
    /// id) was made for an earlier role of that name, and is dead.
    #[serde(default)]
    pub role_created_at: Option<i64>,
    /// Kubernetes groups (union over the rules that produced the entry).
    pub kubernetes_groups: BTreeSet<KubernetesGroup>,
    /// Username, only when a rule sets one (else EKS's default is left alone).
    pub username: Option<Username>,
    /// Policy → merged scope (namespaces unioned; `cluster` wins).
    pub policies: BTreeMap<PolicyArn, AccessScope>,
    /// The mapping rules that produced this entry, each with the values that made it apply
    /// (permission set, captures, groups filter), in rule order: the entry's provenance.
    pub sources: Vec<RuleSource>,
}

impl DesiredEntry {
    /// The names of the rules that produced this entry, in order (what its rules tag records).
    pub fn rules(&self) -> BTreeSet<&RuleName> {
        rule_names(&self.sources)
    }
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
    /// Rules with a problem that concerns this cluster (one in its account, or everywhere), by
    /// name: every managed entry whose rules tag names one is held as it is.
    #[serde(default)]
    pub problem_rules: BTreeMap<RuleName, Vec<Problem>>,
    /// Principals a rule with a problem could have produced an entry for (the SSO roles whose
    /// name has the shape of the rule's permission set, a `principals:` rule's principal): their
    /// entries are held as they are, managed or not.
    #[serde(default)]
    pub problem_principals: BTreeMap<PrincipalArn, Problem>,
    /// Whether any rule wants an entry for some principal of this cluster's account. An account
    /// with managed entries and no demand at all gets no deletions (the account brake).
    #[serde(default)]
    pub account_has_demand: bool,
    /// Roles of this cluster's account whose entry a rule with a templated `groups:` filter may
    /// have produced through a group that does not exist (a typo in the template, or a team
    /// that has no group). Nothing is reported while nothing rests on it; a change to a managed
    /// entry whose rules tag names the rule is held, and the problem reported, instead.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unconfirmed: BTreeMap<PrincipalArn, Problem>,
}

impl ClusterDesired {
    /// A cluster where nothing is desired (a cluster out of the mapping's scope). It has no
    /// demand to brake on: it left scope by configuration, which is positive knowledge.
    pub fn nothing(cluster: &ClusterInfo) -> Self {
        Self {
            cluster: cluster.clone(),
            entries: BTreeMap::new(),
            held: BTreeMap::new(),
            problem_rules: BTreeMap::new(),
            problem_principals: BTreeMap::new(),
            account_has_demand: true,
            unconfirmed: BTreeMap::new(),
        }
    }
}

/// A problem found while computing desired state: reported, never guessed around.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Problem {
    /// The rule concerned.
    pub rule: RuleName,
    /// The account concerned, if any (`None`: every account).
    pub account: Option<AccountId>,
    /// The one permission set concerned, when the problem is about one (a convention rule's
    /// capture that does not expand, a role that does not resolve): only its entries are held.
    /// `None`: everything the rule could produce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_set: Option<PermissionSetName>,
    /// What is wrong, what was looked up, and what to do about it.
    pub message: String,
}

/// Two rules give one role (one permission set in one account) different access. Merging them
/// would give every group assigned that permission set the union, so the entry is held instead.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Conflict {
    /// The shared role.
    pub principal: PrincipalArn,
    /// The rules that disagree (at least two).
    pub rules: BTreeSet<RuleName>,
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

/// Computes what every managed cluster in `inventory` should have, per `mapping`.
pub fn compute(mapping: &Mapping, inventory: &Inventory) -> DesiredState {
    let managed: Vec<&ClusterInfo> = inventory
        .clusters
        .iter()
        .filter(|c| mapping.manages(c))
        .collect();
    let inputs = Inputs {
        mapping,
        inventory,
        managed: &managed,
    };
    let mut findings = demand::Findings::default();
    let demands = demand::collect(&inputs, &mut findings);
    let problems = findings.problems;
    let mut conflicts = BTreeSet::new();
    let mut clusters = BTreeMap::new();
    for cluster in managed {
        let (problem_rules, problem_principals) =
            holds::for_cluster(mapping, inventory, cluster, &problems);
        let mut desired = ClusterDesired {
            cluster: cluster.clone(),
            entries: BTreeMap::new(),
            held: BTreeMap::new(),
            problem_rules,
            problem_principals,
            account_has_demand: demands
                .keys()
                .any(|p| p.account() == &cluster.cluster.account),
            unconfirmed: findings
                .unconfirmed
                .iter()
                .filter(|(p, _)| p.account() == &cluster.cluster.account)
                .map(|(p, problem)| (p.clone(), problem.clone()))
                .collect(),
        };
        for (principal, demand) in &demands {
            let applicable: Vec<&Contribution<'_>> = demand
                .contributions
                .iter()
                .filter(|c| {
                    (!c.home_account_only || principal.account() == &cluster.cluster.account)
                        && c.clusters.matches(cluster)
                })
                .collect();
            if applicable.is_empty() {
                continue;
            }
            match merge::merge(principal, demand, &applicable) {
                Merged::Entry(mut entry) => {
                    // Rules name policies in the `aws` partition; EKS names them in the
                    // cluster's, and the planner compares ARNs.
                    let partition = cluster.cluster.partition();
                    entry.policies = std::mem::take(&mut entry.policies)
                        .into_iter()
                        .map(|(policy, scope)| (policy.in_partition(partition), scope))
                        .collect();
                    desired.entries.insert(principal.clone(), entry);
                }
                Merged::Held(conflict) => {
                    conflicts.insert(conflict.clone());
                    desired.held.insert(principal.clone(), conflict);
                }
            }
        }
        clusters.insert(cluster.cluster.clone(), desired);
    }
    DesiredState {
        clusters,
        problems: problems.into_iter().collect(),
        conflicts: conflicts.into_iter().collect(),
    }
}
