//! The lockout guard: a plan may never leave a cluster with no working cluster-admin access
//! entry (DESIGN.md, invariant 3). When it would, only the removals that take away the last
//! working admin are withheld; the rest of the plan (grants, unrelated narrowings) still applies.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::desired::{ClusterDesired, DesiredEntry};
use crate::domain::{AccessScope, ActualEntry, EntryType, PrincipalArn};

use super::{
    Operation, PlanOptions, Withheld, WithholdReason, apply_to_actual, contains_principal,
};

/// Whether a managed entry still belongs to its role. Three-valued, because only an entry
/// *shown* to be dead may be deleted and recreated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deadness {
    /// Created for the role that exists now.
    Alive,
    /// Created for an older role of the same name (recorded role id differs, or the entry is
    /// older than the role): EKS binds entries to role ids, so it grants nothing.
    Dead,
    /// No role id recorded and the creation times cannot settle it: treated as alive, and
    /// tagged with the current role id so the next run knows.
    Unknown,
}

/// The deadness of `entry` against the role `desired` wants it for.
pub fn deadness(entry: &ActualEntry, desired: &DesiredEntry) -> Deadness {
    if let Some(recorded) = entry.recorded_role_id() {
        return if recorded == desired.role_id.as_str() {
            Deadness::Alive
        } else {
            Deadness::Dead
        };
    }
    match (entry.created_at, desired.role_created_at) {
        (Some(entry_at), Some(role_at)) if entry_at < role_at => Deadness::Dead,
        (Some(_), Some(_)) => Deadness::Alive,
        _ => Deadness::Unknown,
    }
}

/// Whether `entry` is a managed entry shown to be dead: its principal is desired and
/// [`deadness`] says [`Deadness::Dead`].
pub fn is_dead(entry: &ActualEntry, desired: &ClusterDesired) -> bool {
    entry.is_managed()
        && desired
            .entries
            .get(&entry.principal)
            .is_some_and(|d| deadness(entry, d) == Deadness::Dead)
}

/// The principals holding a *working* cluster-admin entry: `STANDARD`, cluster-wide
/// `AmazonEKSClusterAdminPolicy` (or listed in `rbac_admins`), and alive — for a desired
/// principal, not [`Deadness::Dead`]; for any other (break-glass, unmanaged, a managed entry
/// no rule wants), its principal looked up in IAM exists and is not newer than the entry.
pub fn working_admins<'a>(
    entries: &'a [ActualEntry],
    desired: &ClusterDesired,
    options: &PlanOptions,
) -> BTreeSet<&'a PrincipalArn> {
    entries
        .iter()
        .filter(|e| is_working_admin(e, desired, options))
        .map(|e| &e.principal)
        .collect()
}

fn is_working_admin(entry: &ActualEntry, desired: &ClusterDesired, options: &PlanOptions) -> bool {
    let admin = entry.is_cluster_admin()
        || (entry.entry_type == EntryType::Standard
            && contains_principal(&options.rbac_admins, &entry.principal));
    if !admin {
        return false;
    }
    match desired.entries.get(&entry.principal) {
        Some(want) => deadness(entry, want) != Deadness::Dead,
        None => entry.principal_works(),
    }
}

/// Keeps the cluster's last working admin: when `operations` would leave no working admin
/// while there is one now, the operations that take admin access from one of them (the first
/// in principal order) are moved to `withheld`, and the refusal message is returned.
///
/// With no working admin before, nothing is withheld: the plan cannot make things worse, and
/// the cluster is not necessarily locked (in `API_AND_CONFIG_MAP` mode the admins may live in
/// the `aws-auth` ConfigMap, which eks-sso-sync does not read); refusing would only block the
/// plan that is about to add an admin.
pub fn keep_an_admin(
    cluster: &str,
    operations: &mut Vec<Operation>,
    withheld: &mut Vec<Withheld>,
    actual: &[ActualEntry],
    desired: &ClusterDesired,
    options: &PlanOptions,
) -> Option<String> {
    let before = working_admins(actual, desired, options);
    let after_entries = apply_to_actual(actual, operations);
    if before.is_empty() || !working_admins(&after_entries, desired, options).is_empty() {
        return None;
    }
    let keep = before.iter().next().copied()?.clone();
    let mut held = take(operations, |op| {
        op.principal() == Some(&keep) && removes_admin(op, &BTreeSet::from([&keep]))
    });
    // Should keeping one principal's admin access not suffice (it cannot, unless the model
    // changes), hold every removal rather than risk the lockout.
    if working_admins(&apply_to_actual(actual, operations), desired, options).is_empty() {
        held.extend(take(operations, |op| {
            op.is_removal() || matches!(op, Operation::RecreateEntry { .. })
        }));
    }
    let going: Vec<&str> = before.iter().map(|p| p.as_str()).collect();
    let message = format!(
        "this plan would leave cluster {cluster} without any working cluster-admin access \
         entry (admins now: {}); {keep} keeps its admin access and the rest of the plan applies. \
         Grant AmazonEKSClusterAdminPolicy at cluster scope through a rule, or list a working \
         admin principal under break_glass, then plan again",
        going.join(", ")
    );
    withheld.extend(held.into_iter().map(|operation| Withheld {
        operation,
        reason: WithholdReason::Lockout,
        detail: format!("would take away the last working cluster-admin access ({keep} is kept)"),
    }));
    Some(message)
}

/// Whether `op` takes cluster-admin access (`AmazonEKSClusterAdminPolicy` at cluster scope on a
/// `STANDARD` entry) away from its principal, judged against the principals that were admins in
/// the snapshot the plan was made from (`admins`). The one place that decides it: it orders these
/// calls last, defers them when a grant failed, and puts a fresh check before each.
///
/// A recreate counts too: it deletes before it creates, and whether the old entry is really
/// dead is the planner's judgement, which the executor does not second-guess with access.
pub fn removes_admin(op: &Operation, admins: &BTreeSet<&PrincipalArn>) -> bool {
    match op {
        Operation::DeleteEntry { principal, .. } => admins.contains(principal),
        Operation::RecreateEntry { entry, .. } => admins.contains(&entry.principal),
        Operation::DisassociatePolicy {
            principal,
            policy,
            before,
        } => {
            policy.is_cluster_admin()
                && (*before == AccessScope::Cluster || admins.contains(principal))
        }
        Operation::AssociatePolicy {
            principal,
            policy,
            scope,
            before,
        } => {
            policy.is_cluster_admin()
                && *scope != AccessScope::Cluster
                && (*before == Some(AccessScope::Cluster) || admins.contains(principal))
        }
        _ => false,
    }
}

/// Removes the operations `pick` selects from `operations` (keeping the others' order) and
/// returns them in order.
pub(super) fn take(
    operations: &mut Vec<Operation>,
    pick: impl Fn(&Operation) -> bool,
) -> Vec<Operation> {
    let (taken, kept): (Vec<Operation>, Vec<Operation>) = std::mem::take(operations)
        .into_iter()
        .partition(|op| pick(op));
    *operations = kept;
    taken
}
