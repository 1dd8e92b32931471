//! Why each principal is in a plan: the mapping rules behind its operations, so that "why did
//! entry X change?" is answered by the plan (and the audit record) itself, not by a lookup.

use std::collections::{BTreeMap, BTreeSet};

use crate::desired::{DesiredEntry, RuleSource};
use crate::domain::{ActualEntry, PrincipalArn, RuleName};

use super::{ClusterPlan, same_principal};

/// Fills `plan.provenance` for every principal its operations and withheld operations name:
/// the rule sources of the principal's desired entry (with the permission set, captures and
/// groups that made each apply), else the rules its entry's tag recorded.
pub(super) fn record(
    plan: &mut ClusterPlan,
    desired: &BTreeMap<PrincipalArn, DesiredEntry>,
    actual: &[ActualEntry],
) {
    let principals: BTreeSet<PrincipalArn> = plan
        .operations
        .iter()
        .chain(plan.withheld.iter().map(|w| &w.operation))
        .filter_map(|op| op.principal().cloned())
        .collect();
    for principal in principals {
        let rules = rules_behind(&principal, desired, actual);
        if !rules.is_empty() {
            plan.provenance.insert(principal, rules);
        }
    }
}

fn rules_behind(
    principal: &PrincipalArn,
    desired: &BTreeMap<PrincipalArn, DesiredEntry>,
    actual: &[ActualEntry],
) -> Vec<RuleSource> {
    if let Some(entry) = desired.get(principal) {
        return entry.sources.clone();
    }
    // A tag someone else edited may hold a name no rule could have: it is not provenance.
    let recorded: BTreeSet<RuleName> = actual
        .iter()
        .filter(|e| e.is_managed() && same_principal(&e.principal, principal))
        .flat_map(|e| e.recorded_rules().filter_map(|r| RuleName::new(r).ok()))
        .collect();
    recorded.into_iter().map(RuleSource::recorded).collect()
}
