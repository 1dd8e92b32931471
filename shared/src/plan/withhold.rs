//! Unknown never means delete: the passes that hold planned operations back before the lockout
//! guard — entries a rule with a problem could have produced, and deletions beyond the
//! per-run blast radius (DESIGN.md, invariants 8 and 9).

use crate::desired::{ClusterDesired, Problem};
use crate::domain::{ActualEntry, sso_role_permission_set};

use super::guard::take;
use super::{DeleteReason, Operation, PlanOptions, Withheld, WithholdReason, same_principal};

/// The problem that holds `entry` as it is, if any: a rule with a problem (in this cluster's
/// account, or everywhere) could have produced it. A managed entry is matched by the rules its
/// `eks-sso-sync:rules` tag names (any problem at all when that tag was truncated); any entry is
/// matched by principal when desired state found the problem rule could produce it (the SSO
/// role-name shape of its permission set, or the `principals:` rule's own principal).
pub fn held_by<'d>(entry: &ActualEntry, desired: &'d ClusterDesired) -> Option<&'d Problem> {
    let by_principal = desired
        .problem_principals
        .get(&entry.principal)
        .or_else(|| {
            desired
                .problem_principals
                .iter()
                .find(|(p, _)| same_principal(p, &entry.principal))
                .map(|(_, problem)| problem)
        });
    if by_principal.is_some() || !entry.is_managed() {
        return by_principal;
    }
    let concerns = |problem: &&Problem| match &problem.permission_set {
        // A problem about one permission set of a convention rule holds only that permission
        // set's entries, not every team's; an entry whose role name has no SSO shape may be it.
        Some(only) => sso_role_permission_set(entry.principal.name()).is_none_or(|ps| &ps == only),
        None => true,
    };
    if let Some(problem) = entry
        .recorded_rules()
        .filter_map(|rule| desired.problem_rules.get(rule))
        .flatten()
        .find(concerns)
    {
        return Some(problem);
    }
    if entry.recorded_rules_truncated() {
        return desired.problem_rules.values().flatten().next();
    }
    unconfirmed_by(entry, desired)
}

/// The problem of a templated groups filter naming a group that does not exist, when `entry`
/// (managed) was made by that filter's rule: its change may be the typo's doing.
fn unconfirmed_by<'d>(entry: &ActualEntry, desired: &'d ClusterDesired) -> Option<&'d Problem> {
    let (_, problem) = desired
        .unconfirmed
        .iter()
        .find(|(p, _)| same_principal(p, &entry.principal))?;
    let made_by_rule = entry.recorded_rules().any(|r| r == problem.rule.as_str());
    (made_by_rule || entry.recorded_rules_truncated()).then_some(problem)
}

/// The problems of templated groups filters (see [`ClusterDesired::unconfirmed`]) that hold
/// something in `withheld`: they are real now, and reported with the desired state's own.
pub fn confirmed_problems(desired: &ClusterDesired, withheld: &[Withheld]) -> Vec<Problem> {
    let mut confirmed: Vec<Problem> = withheld
        .iter()
        .filter(|w| matches!(w.reason, WithholdReason::Problem { .. }))
        .filter_map(|w| w.operation.principal())
        .filter_map(|principal| {
            desired
                .unconfirmed
                .iter()
                .find(|(p, _)| same_principal(p, principal))
                .map(|(_, problem)| problem.clone())
        })
        .collect();
    confirmed.sort();
    confirmed.dedup();
    confirmed
}

/// Moves every operation on an entry that a problem holds into `withheld`: the entry's desired
/// state is incomplete (a rule that could have produced it did not resolve), so any change
/// computed from it — a removal above all — is a guess.
pub fn hold_for_problems(
    operations: &mut Vec<Operation>,
    withheld: &mut Vec<Withheld>,
    actual: &[ActualEntry],
    desired: &ClusterDesired,
) {
    if desired.problem_rules.is_empty()
        && desired.problem_principals.is_empty()
        && desired.unconfirmed.is_empty()
    {
        return;
    }
    for entry in actual {
        let Some(problem) = held_by(entry, desired) else {
            continue;
        };
        let held = take(operations, |op| op.principal() == Some(&entry.principal));
        withheld.extend(held.into_iter().map(|operation| Withheld {
            operation,
            reason: WithholdReason::Problem {
                rule: problem.rule.clone(),
            },
            detail: format!(
                "held as it is: rule {} has a problem: {}",
                problem.rule, problem.message
            ),
        }));
    }
}

/// Moves the cluster's entry deletions into `withheld` when there are more than
/// `options.max_deletions` allows, or when the account has managed entries but no desired
/// entry at all — unless the operator allowed mass deletion. Deletions are refused together:
/// which few of a suspicious mass deletion to let through is not a choice to make for people.
pub fn limit_deletions(
    operations: &mut Vec<Operation>,
    withheld: &mut Vec<Withheld>,
    actual: &[ActualEntry],
    desired: &ClusterDesired,
    options: &PlanOptions,
) {
    if options.allow_mass_deletion {
        return;
    }
    let is_prune = |op: &Operation| {
        matches!(
            op,
            Operation::DeleteEntry {
                reason: DeleteReason::NoLongerDesired,
                ..
            }
        )
    };
    let planned = operations.iter().filter(|op| is_prune(op)).count();
    if planned == 0 {
        return;
    }
    let managed = actual.iter().filter(|e| e.is_managed()).count();
    let allowed = options.max_deletions.allowed(managed);
    let (reason, detail) = if !desired.account_has_demand {
        (
            WithholdReason::EmptyAccount,
            format!(
                "account {} has {managed} managed entries on this cluster but its reads yield no \
                 desired entry at all; if the clean-up is intended, apply with \
                 --allow-mass-deletion",
                desired.cluster.cluster.account
            ),
        )
    } else if planned > allowed {
        (
            WithholdReason::DeletionLimit { planned, allowed },
            format!(
                "{planned} deletions planned, options.max_deletions allows {allowed} of the \
                 cluster's {managed} managed entries per run; check the mapping, then apply with \
                 --allow-mass-deletion if the clean-up is intended"
            ),
        )
    } else {
        return;
    };
    let held = take(operations, is_prune);
    withheld.extend(held.into_iter().map(|operation| Withheld {
        operation,
        reason: reason.clone(),
        detail: detail.clone(),
    }));
}
