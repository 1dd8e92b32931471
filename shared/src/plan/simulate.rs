//! An in-memory model of what EKS does with each [`Operation`], so a plan can be checked by
//! applying it and planning again (property tests, the lockout guard, engine fakes).

use std::collections::BTreeMap;

use crate::domain::NewEntry;
use crate::domain::{ActualEntry, EntryType, PrincipalArn, PrincipalKind};

use super::Operation;

/// Applies `operations` to `actual` the way EKS would and returns the resulting entries in
/// principal order.
///
/// The model follows AWS-FACTS §2:
/// - `CreateEntry` makes a `STANDARD` entry with the given tags and groups; a username left `None`
///   gets the server default ([`default_username`]). Creating an entry that already exists is a
///   409 in EKS and changes nothing here.
/// - `RecreateEntry` deletes the entry (with its associations) and creates it again, empty of
///   policies.
/// - `UpdateEntry` replaces the whole group list; a `None` username leaves the username as is.
/// - `TagEntry` merges tags (`TagResource` adds and overwrites, never removes).
/// - `AssociatePolicy` inserts or replaces the policy's scope; `DisassociatePolicy` removes it.
/// - `DeleteEntry` removes the entry and its associations.
/// - An operation on an entry that does not exist is a 404 in EKS and changes nothing here.
///
/// Every role id the model needs travels in the operations' tags, so it takes no role ids. When
/// `actual` holds one principal twice, the later entry wins. Created entries have no ARN and no
/// creation time: the model has no cluster to derive them from, and nothing planned depends on them.
pub fn apply_to_actual(actual: &[ActualEntry], operations: &[Operation]) -> Vec<ActualEntry> {
    let mut entries: BTreeMap<PrincipalArn, ActualEntry> = actual
        .iter()
        .map(|e| (e.principal.clone(), e.clone()))
        .collect();
    for operation in operations {
        apply_one(&mut entries, operation);
    }
    entries.into_values().collect()
}

fn apply_one(entries: &mut BTreeMap<PrincipalArn, ActualEntry>, operation: &Operation) {
    match operation {
        Operation::SetAuthenticationMode { .. } => {}
        Operation::CreateEntry { entry } => {
            if !entries.contains_key(&entry.principal) {
                entries.insert(entry.principal.clone(), created_entry(entry));
            }
        }
        Operation::RecreateEntry { entry, .. } => {
            entries.insert(entry.principal.clone(), created_entry(entry));
        }
        Operation::UpdateEntry {
            principal,
            kubernetes_groups,
            username,
            ..
        } => {
            if let Some(e) = entries.get_mut(principal) {
                e.kubernetes_groups = kubernetes_groups.iter().map(|g| g.to_string()).collect();
                if let Some(u) = username {
                    e.username = Some(u.to_string());
                }
            }
        }
        Operation::TagEntry {
            principal, tags, ..
        } => {
            if let Some(e) = entries.get_mut(principal) {
                e.tags
                    .extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        Operation::AssociatePolicy {
            principal,
            policy,
            scope,
            ..
        } => {
            if let Some(e) = entries.get_mut(principal) {
                e.policies.insert(policy.clone(), scope.clone());
            }
        }
        Operation::DisassociatePolicy {
            principal, policy, ..
        } => {
            if let Some(e) = entries.get_mut(principal) {
                e.policies.remove(policy);
            }
        }
        Operation::DeleteEntry { principal, .. } => {
            entries.remove(principal);
        }
    }
}

/// The entry EKS holds right after `CreateAccessEntry` with `entry`.
fn created_entry(entry: &NewEntry) -> ActualEntry {
    ActualEntry {
        principal: entry.principal.clone(),
        arn: None,
        entry_type: EntryType::Standard,
        kubernetes_groups: entry
            .kubernetes_groups
            .iter()
            .map(|g| g.to_string())
            .collect(),
        username: Some(
            entry
                .username
                .as_ref()
                .map_or_else(|| default_username(&entry.principal), |u| u.to_string()),
        ),
        tags: entry.tags.clone(),
        policies: BTreeMap::new(),
        created_at: None,
        principal_status: Default::default(),
    }
}

/// The username EKS fills in when none is given: for a role
/// `arn:<partition>:sts::<account>:assumed-role/<role name>/{{SessionName}}` (no path), for a
/// user its IAM ARN.
pub fn default_username(principal: &PrincipalArn) -> String {
    match principal.kind() {
        PrincipalKind::Role => format!(
            "arn:{}:sts::{}:assumed-role/{}/{{{{SessionName}}}}",
            principal.partition(),
            principal.account(),
            principal.name()
        ),
        PrincipalKind::User => principal.as_str().to_owned(),
    }
}
