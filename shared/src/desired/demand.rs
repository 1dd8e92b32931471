//! Collecting, per principal, what every rule wants for it: permission-set rules through the
//! accounts where the permission set is assigned, and explicit principal rules.

use std::collections::{BTreeMap, BTreeSet};

use super::hint::{closest_names, did_you_mean};
use super::merge::{Contribution, RoleDemand};
use super::roles::resolve_sso_role;
use super::{Problem, RuleSource, RuleVia};
use crate::config::{Mapping, PermissionSetMatcher, RuleMatch};
use crate::domain::{AccountId, ClusterInfo, GroupName, PermissionSetName, PrincipalArn, RuleName};
use crate::inventory::{Inventory, PermissionSetInventory};

/// Every principal's demand, in principal order.
pub(super) type Demands<'m> = BTreeMap<PrincipalArn, RoleDemand<'m>>;

/// What collecting the demands found besides demand.
#[derive(Default)]
pub(super) struct Findings {
    /// Problems: each holds what its rule could have produced.
    pub problems: BTreeSet<Problem>,
    /// Roles a templated `groups:` filter may have covered through a group that does not
    /// exist, with the problem that would explain a change to their entry (see
    /// [`super::ClusterDesired::unconfirmed`]).
    pub unconfirmed: BTreeMap<PrincipalArn, Problem>,
}

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
pub(super) fn collect<'m>(inputs: &Inputs<'_, 'm>, findings: &mut Findings) -> Demands<'m> {
    let mut demands = Demands::new();
    unresolved_names(inputs, &mut findings.problems);
    for (name, permission_set) in &inputs.inventory.permission_sets {
        for rule_match in inputs.mapping.rules_for_permission_set(name) {
            permission_set_rule(
                inputs,
                name,
                permission_set,
                &rule_match,
                &mut demands,
                findings,
            );
        }
    }
    principal_rules(inputs, &mut demands, &mut findings.problems);
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
    findings: &mut Findings,
) {
    let rule = rule_match.rule;
    let expanded = rule
        .grant(&rule_match.captures)
        .and_then(|g| Ok((g, rule.group_filter(&rule_match.captures)?)));
    let (grant, filter) = match expanded {
        Ok(ok) => ok,
        Err(message) => {
            findings.problems.insert(Problem {
                rule: rule.name.clone(),
                account: None,
                permission_set: Some(name.clone()),
                message: format!("permission set {name}: {message}; the rule grants it nothing"),
            });
            return;
        }
    };
    let missing = missing_templated_groups(inputs, rule, filter.as_ref());
    for (account, holders) in &permission_set.accounts {
        if !inputs.reaches(Some(account), &rule.clusters) {
            continue;
        }
        let audience = filter.as_ref().map(|f| intersection(f, holders));
        let role_of = || resolve_sso_role(inputs.inventory.sso_roles.get(account), account, name);
        if let (Some(missing), Ok(role)) = (&missing, role_of()) {
            let problem = unconfirmed_problem(&rule.name, account, name, missing, inputs);
            findings.unconfirmed.insert(role.arn.clone(), problem);
        }
        if audience.as_ref().is_some_and(BTreeSet::is_empty) {
            continue;
        }
        let role = match role_of() {
            Ok(role) => role,
            Err(message) => {
                findings.problems.insert(Problem {
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
        let source = RuleSource {
            rule: rule.name.clone(),
            via: RuleVia::PermissionSet {
                permission_set: name.clone(),
                captures: rule_match.captures.clone(),
                groups_filter: filter.clone(),
                assigned_to: audience.clone().unwrap_or_else(|| holders.clone()),
            },
        };
        demand.contributions.push(Contribution {
            source,
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
            source: RuleSource {
                rule: rule.name.clone(),
                via: RuleVia::Principal,
            },
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
                rule: rule.clone(),
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

/// The groups `filter` names through a template (not literally) that the Identity Store does
/// not have, or `None` when there are none.
fn missing_templated_groups(
    inputs: &Inputs<'_, '_>,
    rule: &crate::config::Rule,
    filter: Option<&BTreeSet<GroupName>>,
) -> Option<BTreeSet<GroupName>> {
    let literal = inputs.mapping.literal_filter_groups();
    let literal = literal.get(&rule.name);
    let missing: BTreeSet<GroupName> = filter?
        .iter()
        .filter(|g| inputs.inventory.unknown_groups.contains_key(*g))
        .filter(|g| literal.is_none_or(|l| !l.contains(*g)))
        .cloned()
        .collect();
    (!missing.is_empty()).then_some(missing)
}

/// The problem reported when an entry that `rule` produced for permission set `name` would
/// change because its templated groups filter names groups that do not exist.
fn unconfirmed_problem(
    rule: &RuleName,
    account: &AccountId,
    name: &PermissionSetName,
    missing: &BTreeSet<GroupName>,
    inputs: &Inputs<'_, '_>,
) -> Problem {
    let described: Vec<String> = missing
        .iter()
        .map(|group| {
            let hints = inputs.inventory.unknown_groups.get(group);
            format!(
                "{group}{}",
                did_you_mean(hints.map_or(&[][..], Vec::as_slice))
            )
        })
        .collect();
    Problem {
        rule: rule.clone(),
        account: Some(account.clone()),
        permission_set: Some(name.clone()),
        message: format!(
            "for permission set {name}, the groups filter names {} that the Identity Store does              not have (looked up with GetGroupId), and an entry this rule made would change; it              is held as it is until the template is fixed or the group exists (if the group was              removed on purpose, delete the entry by hand)",
            described.join(", ")
        ),
    }
}

fn intersection(a: &BTreeSet<GroupName>, b: &BTreeSet<GroupName>) -> BTreeSet<GroupName> {
    a.intersection(b).cloned().collect()
}
