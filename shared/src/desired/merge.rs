//! Merging the grants of several rules into one entry for a shared SSO role, or refusing to when
//! that would give one group access another rule meant only for other groups.

use std::collections::BTreeSet;

use super::{Conflict, DesiredEntry, RuleSource};
use crate::config::{ClusterSelector, Grant};
use crate::domain::{GroupName, PrincipalArn, RoleId, RuleName};

/// One rule's grant for one role.
#[derive(Debug, Clone)]
pub(super) struct Contribution<'m> {
    /// The rule, and the values that made it apply.
    pub source: RuleSource,
    /// What it grants.
    pub grant: Grant,
    /// The groups it is meant for in this account (its `groups` filter ∩ the groups holding the
    /// assignment); `None` when the rule has no filter: meant for everyone using the role.
    pub audience: Option<BTreeSet<GroupName>>,
    /// The clusters it applies to.
    pub clusters: &'m ClusterSelector,
    /// Permission-set rules apply only to clusters in the role's own account; principal rules
    /// apply wherever their selector matches.
    pub home_account_only: bool,
}

/// Everything desired for one principal, before cluster selectors are applied.
#[derive(Debug, Clone)]
pub(super) struct RoleDemand<'m> {
    /// The role's current unique id.
    pub role_id: RoleId,
    /// When IAM created the role, if known.
    pub role_created_at: Option<i64>,
    /// The groups holding the permission set's assignment in the role's account (empty for
    /// principals that are not SSO roles).
    pub holders: BTreeSet<GroupName>,
    /// The rules' grants.
    pub contributions: Vec<Contribution<'m>>,
}

/// What merging the rules for one principal on one cluster gives.
#[derive(Debug)]
pub(super) enum Merged {
    /// One entry with the union of the grants.
    Entry(DesiredEntry),
    /// The rules disagree in a way that would widen a group's access: hold the principal.
    Held(Conflict),
}

/// Merges the contributions that apply on one cluster into one entry, or reports a conflict.
pub(super) fn merge(
    principal: &PrincipalArn,
    demand: &RoleDemand<'_>,
    applicable: &[&Contribution<'_>],
) -> Merged {
    let rules: BTreeSet<RuleName> = applicable.iter().map(|c| c.source.rule.clone()).collect();
    let conflict = |detail: String| Conflict {
        principal: principal.clone(),
        rules: rules.clone(),
        detail,
    };
    let usernames: BTreeSet<&str> = applicable
        .iter()
        .filter_map(|c| c.grant.username.as_ref().map(|u| u.as_str()))
        .collect();
    if usernames.len() > 1 {
        let list: Vec<&str> = usernames.into_iter().collect();
        return Merged::Held(conflict(format!(
            "the rules set different usernames ({}); an access entry has one",
            list.join(", ")
        )));
    }
    let merged = union(applicable.iter().map(|c| &c.grant));
    for group in audience_groups(demand, applicable) {
        let for_group = union(
            applicable
                .iter()
                .filter(|c| c.audience.as_ref().is_none_or(|a| a.contains(&group)))
                .map(|c| &c.grant),
        );
        if !covers(&for_group, &merged) {
            let others: Vec<&str> = applicable
                .iter()
                .filter(|c| c.audience.as_ref().is_some_and(|a| !a.contains(&group)))
                .map(|c| c.source.rule.as_str())
                .collect();
            return Merged::Held(conflict(format!(
                "the role is shared by every group assigned its permission set; merged, group \
                 {group} would also get what rule(s) {} grant only to other groups",
                others.join(", ")
            )));
        }
    }
    Merged::Entry(DesiredEntry {
        principal: principal.clone(),
        role_id: demand.role_id.clone(),
        role_created_at: demand.role_created_at,
        kubernetes_groups: merged.kubernetes_groups,
        username: merged.username,
        policies: merged.policies,
        sources: sources(applicable),
    })
}

/// The rules' sources in rule order, one per rule and route (a rule reaching a role through two
/// permission sets is listed for each).
fn sources(applicable: &[&Contribution<'_>]) -> Vec<RuleSource> {
    let set: BTreeSet<&RuleSource> = applicable.iter().map(|c| &c.source).collect();
    set.into_iter().cloned().collect()
}

/// The groups whose access the merge must not widen: every holder when some rule has no groups
/// filter (it is meant for all of them), else the groups the filtered rules are meant for. A
/// holder no rule names is not checked: a `groups` filter selects accounts, and cannot keep
/// other holders of the same role out.
fn audience_groups(
    demand: &RoleDemand<'_>,
    applicable: &[&Contribution<'_>],
) -> BTreeSet<GroupName> {
    if applicable.len() < 2 {
        return BTreeSet::new();
    }
    if applicable.iter().any(|c| c.audience.is_none()) {
        return demand.holders.clone();
    }
    applicable
        .iter()
        .filter_map(|c| c.audience.as_ref())
        .flatten()
        .cloned()
        .collect()
}

/// The union of grants: groups unioned, the (single) username kept, scopes merged per policy.
fn union<'g>(grants: impl Iterator<Item = &'g Grant>) -> Grant {
    let mut out = Grant::default();
    for grant in grants {
        out.kubernetes_groups
            .extend(grant.kubernetes_groups.iter().cloned());
        if out.username.is_none() {
            out.username.clone_from(&grant.username);
        }
        for (policy, scope) in &grant.policies {
            let merged = match out.policies.get(policy) {
                Some(existing) => existing.union(scope),
                None => scope.clone(),
            };
            out.policies.insert(policy.clone(), merged);
        }
    }
    out
}

/// Whether `mine` already gives everything `all` gives (pattern-aware for namespaces).
fn covers(mine: &Grant, all: &Grant) -> bool {
    all.kubernetes_groups.is_subset(&mine.kubernetes_groups)
        && (all.username.is_none() || mine.username == all.username)
        && all
            .policies
            .iter()
            .all(|(p, scope)| mine.policies.get(p).is_some_and(|s| s.covers(scope)))
}
