//! Planning one cluster: the cluster gates, one decision per principal, the entry limit, the
//! creator's entry, the phase order, and finally the lockout guard.

use std::collections::{BTreeMap, BTreeSet};

use crate::desired::{ClusterDesired, DesiredEntry};
use crate::domain::{
    AccessScope, ActualEntry, AuthenticationMode, ClusterStatus, EntryType, PrincipalArn, RuleName,
};

use super::creator::is_creator_entry;
use super::guard::{is_dead, keep_an_admin};
use super::withhold::{hold_for_problems, limit_deletions};
use super::{
    ClusterPlan, DeleteReason, Operation, PlanOptions, SkipReason, Skipped, apply_to_actual,
    contains_principal, entry, same_principal,
};

/// EKS allows at most this many access entries per cluster, and the quota cannot be raised
/// (AWS-FACTS §2). Creates beyond it would fail with `ResourceLimitExceededException`.
pub const MAX_ENTRIES_PER_CLUSTER: usize = 3000;

/// Plans one cluster: the operations that bring its access entries to `desired`, in the order they
/// must be applied, with everything deliberately left alone listed in `skipped`.
///
/// What is left alone without a skip note: entries of principals nobody desires that the plan may
/// not touch anyway (unmanaged, non-`STANDARD`, the creator's entry without
/// `remove_creator_admin`), and managed entries no longer desired when `prune` is off.
pub fn plan_cluster(
    desired: &ClusterDesired,
    actual: &[ActualEntry],
    options: &PlanOptions,
) -> ClusterPlan {
    let mut plan = ClusterPlan {
        cluster: desired.cluster.cluster.clone(),
        operations: Vec::new(),
        skipped: Vec::new(),
        conflicts: desired.held.values().cloned().collect(),
        withheld: Vec::new(),
        refused: None,
        provenance: Default::default(),
        origin: None,
    };
    if let Some((operations, skipped)) = cluster_gate(desired, options) {
        plan.operations = operations;
        plan.skipped.extend(skipped);
        return plan;
    }
    // One entry per principal, in principal order (a duplicate in the input: the later wins).
    let actual = apply_to_actual(actual, &[]);
    let aligned = align_principals(desired, &actual);
    let desired = aligned.as_ref().unwrap_or(desired);
    let (mut operations, mut skipped) = plan_entries(desired, &actual, options);
    // Phase, then principal; the sort is stable, so one principal's associations keep policy order.
    operations.sort_by(|a, b| (phase(a), a.principal()).cmp(&(phase(b), b.principal())));
    skipped.sort();
    plan.skipped.extend(skipped);

    // Unknown never means delete, then the blast radius, then the lockout guard on what is left.
    let withheld = &mut plan.withheld;
    hold_for_problems(&mut operations, withheld, &actual, desired);
    limit_deletions(&mut operations, withheld, &actual, desired, options);
    let cluster = plan.cluster.to_string();
    plan.refused = keep_an_admin(
        &cluster,
        &mut operations,
        withheld,
        &actual,
        desired,
        options,
    );
    plan.operations = operations;
    super::provenance::record(&mut plan, &desired.entries, &actual);
    plan
}

/// `desired` with each desired principal that has an entry under an ARN differing only in the
/// name's case renamed to the entry's ARN, or `None` when there is none. IAM names are unique
/// regardless of case, so both name one principal; EKS keeps the ARN as it was given, so calls
/// must use the entry's.
fn align_principals(desired: &ClusterDesired, actual: &[ActualEntry]) -> Option<ClusterDesired> {
    let renames: Vec<(PrincipalArn, PrincipalArn)> = desired
        .entries
        .keys()
        .filter(|want| !actual.iter().any(|e| &e.principal == *want))
        .filter_map(|want| {
            actual
                .iter()
                .find(|e| same_principal(&e.principal, want))
                .map(|e| (want.clone(), e.principal.clone()))
        })
        .collect();
    if renames.is_empty() {
        return None;
    }
    let mut aligned = desired.clone();
    for (from, to) in renames {
        if let Some(mut entry) = aligned.entries.remove(&from) {
            entry.principal = to.clone();
            aligned.entries.insert(to, entry);
        }
    }
    Some(aligned)
}

/// The operations (unordered) and skip notes for every principal of an `ACTIVE` cluster with
/// access entries enabled; `actual` holds one entry per principal.
fn plan_entries(
    desired: &ClusterDesired,
    actual: &[ActualEntry],
    options: &PlanOptions,
) -> (Vec<Operation>, Vec<Skipped>) {
    let by_principal: BTreeMap<&PrincipalArn, &ActualEntry> =
        actual.iter().map(|e| (&e.principal, e)).collect();
    let principals: BTreeSet<&PrincipalArn> = desired
        .entries
        .keys()
        .chain(desired.held.keys())
        .chain(by_principal.keys().copied())
        .collect();
    let mut operations = Vec::new();
    let mut notes = Vec::new();
    let mut to_create = Vec::new();
    let mut creator_entries = Vec::new();
    for principal in principals {
        let want = desired.entries.get(principal);
        let have = by_principal.get(principal).copied();
        match decide(desired, options, principal, want, have) {
            Decision::Operations(ops) => operations.extend(ops),
            Decision::Skip(reason, detail) => notes.push(skipped(principal, reason, detail)),
            Decision::Create(want) => to_create.push(want),
            Decision::CreatorEntry => creator_entries.push(principal),
            Decision::Leave => {}
        }
    }
    let (creates, over_limit) = limit_creates(to_create, actual.len());
    operations.extend(creates.into_iter().flat_map(entry::create));
    notes.extend(over_limit);
    // Decided last: whether the creator's entry may go depends on everything else planned.
    if !creator_entries.is_empty() && managed_admin_remains(desired, actual, &operations) {
        operations.extend(
            creator_entries
                .into_iter()
                .map(|creator| Operation::DeleteEntry {
                    principal: creator.clone(),
                    reason: DeleteReason::CreatorAdminRemoved,
                }),
        );
    } else {
        notes.extend(creator_entries.into_iter().map(|creator| {
            let detail = "the cluster creator's bootstrap entry is kept: no managed \
                          cluster-admin entry would remain without it";
            skipped(creator, SkipReason::CreatorEntry, detail.to_owned())
        }));
    }
    (operations, notes)
}

/// What to do about one principal.
enum Decision<'a> {
    /// Change its entry.
    Operations(Vec<Operation>),
    /// Leave it, and say why.
    Skip(SkipReason, String),
    /// Create its entry (subject to the entry limit).
    Create(&'a DesiredEntry),
    /// The creator's entry, to delete if a managed admin remains (`remove_creator_admin`).
    CreatorEntry,
    /// Nothing to do and nothing worth reporting.
    Leave,
}

/// The gates that stop a cluster from being planned entry by entry: not `ACTIVE`, or in
/// `CONFIG_MAP` mode (where every access-entry call fails). Returns the cluster's only operations
/// and skip note, or `None` when entries may be planned.
fn cluster_gate(
    desired: &ClusterDesired,
    options: &PlanOptions,
) -> Option<(Vec<Operation>, Option<Skipped>)> {
    let info = &desired.cluster;
    let note = |reason, detail: String| Skipped {
        principal: None,
        reason,
        detail,
    };
    if info.status != ClusterStatus::Active {
        let detail = format!(
            "the cluster is {}; its access entries are planned once it is ACTIVE",
            info.status.as_str()
        );
        return Some((Vec::new(), Some(note(SkipReason::ClusterNotActive, detail))));
    }
    if info.authentication_mode.supports_access_entries() {
        return None;
    }
    if options.switch_auth_mode {
        // Nothing else this time: the switch puts the cluster in UPDATING, and its entries are
        // planned by the next reconcile, once it is ACTIVE again.
        let switch = Operation::SetAuthenticationMode {
            from: info.authentication_mode,
            to: AuthenticationMode::ApiAndConfigMap,
        };
        return Some((vec![switch], None));
    }
    let detail = "the cluster authenticates with the aws-auth ConfigMap only (CONFIG_MAP), where \
                  every access-entry call fails; set switch_auth_mode to move it to \
                  API_AND_CONFIG_MAP (one-way), or switch it yourself"
        .to_owned();
    Some((Vec::new(), Some(note(SkipReason::ConfigMapCluster, detail))))
}

/// The decision for one principal, from what is desired for it and the entry it has.
fn decide<'a>(
    desired: &ClusterDesired,
    options: &PlanOptions,
    principal: &PrincipalArn,
    want: Option<&'a DesiredEntry>,
    have: Option<&ActualEntry>,
) -> Decision<'a> {
    if contains_principal(&options.break_glass, principal) {
        return if want.is_some() || have.is_some_and(ActualEntry::is_managed) {
            Decision::Skip(
                SkipReason::BreakGlass,
                "a break-glass principal: its entry is never created, changed or deleted".into(),
            )
        } else {
            Decision::Leave
        };
    }
    if let Some(conflict) = desired.held.get(principal) {
        let rules: Vec<&str> = conflict.rules.iter().map(RuleName::as_str).collect();
        let held = if have.is_some() {
            "the entry is held as it is until they agree"
        } else {
            "no entry is created until they agree"
        };
        let detail = format!(
            "rules {} disagree ({}); {held}",
            rules.join(", "),
            conflict.detail
        );
        return Decision::Skip(SkipReason::SharedRoleConflict, detail);
    }
    let Some(have) = have else {
        return want.map_or(Decision::Leave, Decision::Create);
    };
    if have.entry_type != EntryType::Standard {
        return match want {
            Some(_) => Decision::Skip(
                SkipReason::NotStandard,
                format!(
                    "the principal has a {} entry (node access), which is never touched",
                    have.entry_type.as_str()
                ),
            ),
            None => Decision::Leave,
        };
    }
    if !have.is_managed() {
        return decide_unmanaged(desired, options, want, have);
    }
    match want {
        Some(want) if is_dead(have, desired) => Decision::Operations(entry::recreate(want, have)),
        Some(want) => Decision::Operations(entry::converge_managed(want, have)),
        None if options.prune => Decision::Operations(vec![Operation::DeleteEntry {
            principal: have.principal.clone(),
            reason: DeleteReason::NoLongerDesired,
        }]),
        None => Decision::Leave,
    }
}

/// The decision for an unmanaged `STANDARD` entry: the creator's, adopted, or left.
fn decide_unmanaged<'a>(
    desired: &ClusterDesired,
    options: &PlanOptions,
    want: Option<&'a DesiredEntry>,
    have: &ActualEntry,
) -> Decision<'a> {
    if is_creator_entry(have, &desired.cluster) {
        return match want {
            Some(_) => Decision::Skip(
                SkipReason::CreatorEntry,
                "the cluster creator's bootstrap entry is desired too; it is left as it is".into(),
            ),
            None if options.remove_creator_admin => Decision::CreatorEntry,
            None => Decision::Leave,
        };
    }
    let Some(want) = want else {
        return Decision::Leave;
    };
    if !options.adopt_existing {
        return Decision::Skip(
            SkipReason::UnmanagedEntry,
            "an entry eks-sso-sync does not manage exists; set adopt_existing to take it over, \
             or delete it"
                .into(),
        );
    }
    match &have.arn {
        Some(arn) => Decision::Operations(entry::adopt(want, have, arn)),
        None => Decision::Skip(
            SkipReason::UnmanagedEntry,
            "cannot adopt: the entry's ARN is unknown, so it cannot be tagged as managed".into(),
        ),
    }
}

/// Splits the creates into those that fit under [`MAX_ENTRIES_PER_CLUSTER`] and skip notes for
/// the rest (in principal order, so the same ones are dropped every time).
///
/// The count is the entries that exist now, before any planned delete: deletes are applied after
/// creates (so access never dips), and a create counted against a slot that a later delete frees
/// would fail. Such creates happen on the next reconcile, once the deletes have freed the slots.
fn limit_creates(
    to_create: Vec<&DesiredEntry>,
    existing: usize,
) -> (Vec<&DesiredEntry>, Vec<Skipped>) {
    let free = MAX_ENTRIES_PER_CLUSTER.saturating_sub(existing);
    let mut creates = to_create;
    let dropped = creates.split_off(free.min(creates.len()));
    let notes = dropped
        .into_iter()
        .map(|want| {
            let detail = format!(
                "the cluster has {existing} access entries and EKS allows \
                 {MAX_ENTRIES_PER_CLUSTER}; this entry is not created"
            );
            skipped(&want.principal, SkipReason::EntryLimit, detail)
        })
        .collect();
    (creates, notes)
}

/// Whether, after `operations`, a managed entry that is desired with
/// `AmazonEKSClusterAdminPolicy` at cluster scope still gives working admin access: the condition
/// for deleting the creator's bootstrap entry.
fn managed_admin_remains(
    desired: &ClusterDesired,
    actual: &[ActualEntry],
    operations: &[Operation],
) -> bool {
    apply_to_actual(actual, operations).iter().any(|e| {
        e.is_managed()
            && e.is_cluster_admin()
            && !is_dead(e, desired)
            && desired.entries.get(&e.principal).is_some_and(|d| {
                d.policies
                    .iter()
                    .any(|(p, s)| p.is_cluster_admin() && *s == AccessScope::Cluster)
            })
    })
}

fn skipped(principal: &PrincipalArn, reason: SkipReason, detail: String) -> Skipped {
    Skipped {
        principal: Some(principal.clone()),
        reason,
        detail,
    }
}

/// The phase an operation belongs to. Grants come before removals so access never dips; a tag
/// comes before the in-place changes because least-privilege policies only let eks-sso-sync
/// change entries that already carry the managed tag (adoption tags first).
fn phase(operation: &Operation) -> u8 {
    match operation {
        Operation::SetAuthenticationMode { .. } => 0,
        Operation::RecreateEntry { .. } => 1,
        Operation::CreateEntry { .. } => 2,
        Operation::TagEntry { .. } => 3,
        Operation::UpdateEntry { .. } => 4,
        Operation::AssociatePolicy { .. } => 5,
        Operation::DisassociatePolicy { .. } => 6,
        Operation::DeleteEntry { .. } => 7,
    }
}
