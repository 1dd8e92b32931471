//! What a problem holds on one cluster: the rules it concerns, and the principals those rules
//! could have produced an entry for. Unknown never means delete (DESIGN.md, invariant 8): the
//! planner leaves every such entry exactly as it is until the problem is fixed.

use std::collections::{BTreeMap, BTreeSet};

use super::Problem;
use super::hint::closest_names;
use crate::config::{Mapping, NamedRule, PermissionSetMatcher, Rule};
use crate::domain::{
    ClusterInfo, PermissionSetName, PrincipalArn, RuleName, sso_role_permission_set,
};
use crate::inventory::Inventory;

/// The problem rules concerning `cluster` (those in its account, or in no particular account)
/// with their problems, and the principals they could have produced, each with the first problem
/// found for it.
pub(super) fn for_cluster(
    mapping: &Mapping,
    inventory: &Inventory,
    cluster: &ClusterInfo,
    problems: &BTreeSet<Problem>,
) -> (
    BTreeMap<RuleName, Vec<Problem>>,
    BTreeMap<PrincipalArn, Problem>,
) {
    let account = &cluster.cluster.account;
    let mut rules = BTreeMap::new();
    let mut principals = BTreeMap::new();
    for problem in problems
        .iter()
        .filter(|p| p.account.as_ref().is_none_or(|a| a == account))
    {
        rules
            .entry(problem.rule.clone())
            .or_insert_with(Vec::new)
            .push(problem.clone());
        match mapping.rule_named(problem.rule.as_str()) {
            Some(NamedRule::PermissionSet(rule)) => {
                // The role-name shape is the fallback for entries whose rules tag is gone or
                // was written by an older mapping that named the rule differently. A misspelt
                // exact name matches no role: then the names it most likely meant stand in.
                let meant = meant_permission_sets(rule, inventory);
                let roles = inventory.sso_roles.get(account).into_iter().flatten();
                for role in roles.filter(|r| r.arn.is_sso_role()) {
                    let shaped = sso_role_permission_set(role.arn.name()).is_some_and(|ps| {
                        match &problem.permission_set {
                            Some(only) => &ps == only,
                            None => {
                                rule.permission_set.matches(&ps).is_some() || meant.contains(&ps)
                            }
                        }
                    });
                    if shaped {
                        principals
                            .entry(role.arn.clone())
                            .or_insert_with(|| problem.clone());
                    }
                }
            }
            Some(NamedRule::Principal(rule)) => {
                principals
                    .entry(rule.principal.clone())
                    .or_insert_with(|| problem.clone());
            }
            None => {}
        }
    }
    (rules, principals)
}

/// For an exact rule naming a permission set the instance does not have: the existing names
/// closest to it (a typo's likely intent), whose roles a rename-plus-typo would otherwise leave
/// unprotected. Empty for every other rule, or when the catalogue was not read.
fn meant_permission_sets(rule: &Rule, inventory: &Inventory) -> Vec<PermissionSetName> {
    let (PermissionSetMatcher::Exact(name), Some(known)) =
        (&rule.permission_set, &inventory.permission_set_names)
    else {
        return Vec::new();
    };
    if known.contains(name) {
        return Vec::new();
    }
    closest_names(name.as_str(), known.iter().map(PermissionSetName::as_str))
        .into_iter()
        .filter_map(|n| PermissionSetName::new(n).ok())
        .collect()
}
