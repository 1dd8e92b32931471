//! The operations that bring one desired principal's entry in line: create it, recreate it for a
//! new role id, or correct it in place (groups, username, tags, policy scopes).

use crate::desired::DesiredEntry;
use crate::domain::NewEntry;
use crate::domain::{AccessEntryArn, ActualEntry, ManagedTags};

use super::Operation;

/// The `CreateAccessEntry` request for `desired`, carrying the managed tags.
pub fn new_entry(desired: &DesiredEntry) -> NewEntry {
    NewEntry {
        principal: desired.principal.clone(),
        kubernetes_groups: desired.kubernetes_groups.clone(),
        username: desired.username.clone(),
        tags: ManagedTags::for_entry(desired.rules(), &desired.role_id),
    }
}

/// A fresh entry for `desired`: create it, then associate each policy.
pub fn create(desired: &DesiredEntry) -> Vec<Operation> {
    let mut ops = vec![Operation::CreateEntry {
        entry: new_entry(desired),
    }];
    ops.extend(associate_all(desired));
    ops
}

/// A managed entry recorded for another role id: the role was recreated and the entry is dead.
/// Delete and create it again, then associate each policy (the delete took them away).
pub fn recreate(desired: &DesiredEntry, actual: &ActualEntry) -> Vec<Operation> {
    let mut ops = vec![Operation::RecreateEntry {
        entry: new_entry(desired),
        old_role_id: actual.recorded_role_id().map(str::to_owned),
        new_role_id: desired.role_id.clone(),
    }];
    ops.extend(associate_all(desired));
    ops
}

/// A live managed entry: fix what differs in place, and refresh the tags when the rules tag is
/// out of date or no role id is recorded (an entry whose deadness was unknown or settled by
/// creation times: from now on the role id settles it). `entry_arn` is needed to tag; without
/// it the tags are left as they are.
pub fn converge_managed(desired: &DesiredEntry, actual: &ActualEntry) -> Vec<Operation> {
    let tags = ManagedTags::for_entry(desired.rules(), &desired.role_id);
    let mut ops = Vec::new();
    if actual.tags.get(ManagedTags::RULES) != tags.get(ManagedTags::RULES)
        || actual.recorded_role_id().is_none()
    {
        if let Some(entry_arn) = &actual.arn {
            ops.push(Operation::TagEntry {
                principal: desired.principal.clone(),
                entry_arn: entry_arn.clone(),
                tags,
            });
        }
    }
    ops.extend(converge_in_place(desired, actual));
    ops
}

/// An unmanaged entry taken over (`adopt_existing`): tag it as managed for the current role id,
/// then fix what differs in place. The caller made sure the entry ARN is known.
pub fn adopt(
    desired: &DesiredEntry,
    actual: &ActualEntry,
    entry_arn: &AccessEntryArn,
) -> Vec<Operation> {
    let mut ops = vec![Operation::TagEntry {
        principal: desired.principal.clone(),
        entry_arn: entry_arn.clone(),
        tags: ManagedTags::for_entry(desired.rules(), &desired.role_id),
    }];
    ops.extend(converge_in_place(desired, actual));
    ops
}

/// One `UpdateEntry` when groups or a set username differ, then per policy: associate when
/// missing or scoped differently (associating again replaces the scope), disassociate when no
/// longer desired.
fn converge_in_place(desired: &DesiredEntry, actual: &ActualEntry) -> Vec<Operation> {
    let mut ops = Vec::new();
    let groups_differ = actual.kubernetes_groups.len() != desired.kubernetes_groups.len()
        || desired
            .kubernetes_groups
            .iter()
            .any(|g| !actual.kubernetes_groups.contains(g.as_str()));
    // A desired `None` means "EKS's default", which the server filled in: never a change.
    let username_differs = desired
        .username
        .as_ref()
        .is_some_and(|u| actual.username.as_deref() != Some(u.as_str()));
    if groups_differ || username_differs {
        ops.push(Operation::UpdateEntry {
            principal: desired.principal.clone(),
            kubernetes_groups: desired.kubernetes_groups.clone(),
            username: desired.username.clone(),
            before_groups: actual.kubernetes_groups.clone(),
            before_username: actual.username.clone(),
        });
    }
    for (policy, scope) in &desired.policies {
        let before = actual.policies.get(policy);
        if before != Some(scope) {
            ops.push(Operation::AssociatePolicy {
                principal: desired.principal.clone(),
                policy: policy.clone(),
                scope: scope.clone(),
                before: before.cloned(),
            });
        }
    }
    for (policy, scope) in &actual.policies {
        if !desired.policies.contains_key(policy) {
            ops.push(Operation::DisassociatePolicy {
                principal: desired.principal.clone(),
                policy: policy.clone(),
                before: scope.clone(),
            });
        }
    }
    ops
}

/// Every desired policy as a fresh association.
fn associate_all(desired: &DesiredEntry) -> impl Iterator<Item = Operation> + '_ {
    desired
        .policies
        .iter()
        .map(|(policy, scope)| Operation::AssociatePolicy {
            principal: desired.principal.clone(),
            policy: policy.clone(),
            scope: scope.clone(),
            before: None,
        })
}
