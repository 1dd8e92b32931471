//! Collecting, per principal, what every rule wants for it: permission-set rules through the
//! accounts where the permission set is assigned, and explicit principal rules.

use std::collections::{BTreeMap, BTreeSet};

use super::Problem;
use super::hint::{closest_names, did_you_mean};
use super::merge::{Contribution, RoleDemand};
use super::roles::resolve_sso_role;
use crate::config::{Mapping, PermissionSetMatcher, RuleMatch};
use crate::domain::{AccountId, ClusterInfo, GroupName, PermissionSetName, PrincipalArn};
use crate::inventory::{Inventory, PermissionSetInventory};

/// Every principal's demand, in principal order.
pub(super) type Demands<'m> = BTreeMap<PrincipalArn, RoleDemand<'m>>;

/// What the inputs of one computation are.
pub(super) struct Inputs<'a, 'm> {
    pub mapping: &'m Mapping,
    pub inventory: &'a Inventory,
    /// The clusters the mapping manages.
    pub managed: &'a [&'a ClusterInfo],
}

impl Inputs<'_, '_> {
    /// Whether some managed cluster in `account` (any account if `None`) matches `selector`:
    /// work and problems for rules that reach no cluster are skipped.
    fn reaches(
        &self,
        account: Option<&AccountId>,
        selector: &crate::config::ClusterSelector,
    ) -> bool {
        self.managed
            .iter()
            .any(|c| account.is_none_or(|a| &c.cluster.account == a) && selector.matches(c))
    }
}

/// Collects every demand, recording problems (never half-applying a rule).
pub(super) fn collect<'m>(
    inputs: &Inputs<'_, 'm>,
    problems: &mut BTreeSet<Problem>,
) -> Demands<'m> {
    let mut demands = Demands::new();
    unresolved_names(inputs, problems);
    for (name, permission_set) in &inputs.inventory.permission_sets {
        for rule_match in inputs.mapping.rules_for_permission_set(name) {
            permission_set_rule(
                inputs,
                name,
                permission_set,
                &rule_match,
                &mut demands,
                problems,
            );
        }
    }
    principal_rules(inputs, &mut demands, problems);
    demands
}

/// One rule for one permission set: its grant goes to the permission set's role in every
/// account where the rule's groups filter lets it through.
fn permission_set_rule<'m>(
    inputs: &Inputs<'_, 'm>,
    name: &PermissionSetName,
    permission_set: &PermissionSetInventory,
    rule_match: &RuleMatch<'m>,
    demands: &mut Demands<'m>,
    problems: &mut BTreeSet<Problem>,
) {
    let rule = rule_match.rule;
    let expanded = rule
        .grant(&rule_match.captures)
        .and_then(|g| Ok((g, rule.group_filter(&rule_match.captures)?)));
    let (grant, filter) = match expanded {
        Ok(ok) => ok,
        Err(message) => {
            problems.insert(Problem {
                rule: rule.name.clone(),
                account: None,
                permission_set: Some(name.clone()),
                message: format!("permission set {name}: {message}; the rule grants it nothing"),
            });
            return;
        }
    };
    for (account, holders) in &permission_set.accounts {
        let audience = filter.as_ref().map(|f| intersection(f, holders));
        if audience.as_ref().is_some_and(BTreeSet::is_empty)
            || !inputs.reaches(Some(account), &rule.clusters)
        {
            continue;
        }
        let role = match resolve_sso_role(inputs.inventory.sso_roles.get(account), account, name) {
            Ok(role) => role,
            Err(message) => {
                problems.insert(Problem {
                    rule: rule.name.clone(),
                    account: Some(account.clone()),
                    permission_set: Some(name.clone()),
                    message,
                });
                continue;
            }
        };
        if inputs.mapping.options.break_glass.contains(&role.arn) {
            continue;
        }
        let demand = demands
            .entry(role.arn.clone())
            .or_insert_with(|| RoleDemand {
                role_id: role.role_id.clone(),
                role_created_at: role.created_at,
                holders: BTreeSet::new(),
                contributions: Vec::new(),
            });
        demand.holders.extend(holders.iter().cloned());
        demand.contributions.push(Contribution {
            rule: &rule.name,
            grant: grant.clone(),
            audience,
            clusters: &rule.clusters,
            home_account_only: true,
        });
    }
}

/// `principals:` rules: the entry goes wherever the selector matches, if the principal exists.
fn principal_rules<'m>(
    inputs: &Inputs<'_, 'm>,
    demands: &mut Demands<'m>,
    problems: &mut BTreeSet<Problem>,
) {
    for rule in &inputs.mapping.principals {
        let principal = &rule.principal;
        if inputs.mapping.options.break_glass.contains(principal)
            || !inputs.reaches(None, &rule.clusters)
        {
            continue;
        }
        let Some(role) = inputs.inventory.principal_roles.get(principal) else {
            problems.insert(Problem {
                rule: rule.name.clone(),
                account: None,
                permission_set: None,
                message: format!(
                    "principal {principal} does not exist in IAM (looked up by name in account \
                     {}); no entry is made for it and an existing one is held as it is; check \
                     the ARN, including its path",
                    principal.account()
                ),
            });
            continue;
        };
        let demand = demands
            .entry(principal.clone())
            .or_insert_with(|| RoleDemand {
                role_id: role.role_id.clone(),
                role_created_at: role.created_at,
                holders: BTreeSet::new(),
                contributions: Vec::new(),
            });
        demand.contributions.push(Contribution {
            rule: &rule.name,
            grant: rule.grant.clone(),
            audience: None,
            clusters: &rule.clusters,
            home_account_only: false,
        });
    }
}

/// Names the mapping gives exactly that do not exist: an exact `permission_set` missing from the
/// Identity Center instance, a `groups:` filter naming a group the Identity Store does not know.
/// Each is a problem that holds what the rule could have produced — a one-letter typo must never
/// read as "nobody has this access any more".
fn unresolved_names(inputs: &Inputs<'_, '_>, problems: &mut BTreeSet<Problem>) {
    let inventory = inputs.inventory;
    if let Some(known) = &inventory.permission_set_names {
        for rule in &inputs.mapping.rules {
            let PermissionSetMatcher::Exact(name) = &rule.permission_set else {
                continue;
            };
            if known.contains(name) || !inputs.reaches(None, &rule.clusters) {
                continue;
            }
            let hint = did_you_mean(&closest_names(
                name.as_str(),
                known.iter().map(PermissionSetName::as_str),
            ));
            problems.insert(Problem {
                rule: rule.name.clone(),
                account: None,
                permission_set: None,
                message: format!(
                    "permission set {name} does not exist in Identity Center (looked up with \
                     ListPermissionSets){hint}; the entries this rule manages are held as they \
                     are until the name is fixed"
                ),
            });
        }
    }
    for (rule, groups) in inputs.mapping.literal_filter_groups() {
        for group in groups {
            let Some(suggestions) = inventory.unknown_groups.get(&group) else {
                continue;
            };
            problems.insert(Problem {
                rule: rule.to_owned(),
                account: None,
                permission_set: None,
                message: format!(
                    "group {group} of the groups filter does not exist in the Identity Store \
                     (looked up with GetGroupId){}; the entries this rule manages are held as \
                     they are until the name is fixed",
                    did_you_mean(suggestions)
                ),
            });
        }
    }
}

fn intersection(a: &BTreeSet<GroupName>, b: &BTreeSet<GroupName>) -> BTreeSet<GroupName> {
    a.intersection(b).cloned().collect()
}
