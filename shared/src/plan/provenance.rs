//! Why each principal is in a plan: the mapping rules behind its operations, so that "why did
//! entry X change?" is answered by the plan (and the audit record) itself, not by a lookup.

use std::collections::{BTreeMap, BTreeSet};

use crate::desired::DesiredEntry;
use crate::domain::{ActualEntry, PrincipalArn};

use super::{ClusterPlan, same_principal};

/// Fills `plan.provenance` for every principal its operations and withheld operations name:
/// the rules of the principal's desired entry, else the rules its entry's tag recorded.
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
) -> BTreeSet<String> {
    if let Some(entry) = desired.get(principal) {
        return entry.rules.clone();
    }
    actual
        .iter()
        .filter(|e| e.is_managed() && same_principal(&e.principal, principal))
        .flat_map(|e| e.recorded_rules().map(str::to_owned))
        .collect()
}
