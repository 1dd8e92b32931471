//! Carries a [`ClusterPlan`] out through the EKS port: idempotently, with the documented
//! eventual-consistency retries, collecting a result per operation instead of stopping at the
//! first failure — and without ever letting a failed grant, or another writer working on the
//! same cluster, turn into a lockout (admin removals: the `admin_removal` module).

use std::collections::{BTreeMap, BTreeSet};

use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use super::admin_removal::run_admin_removals;
use super::audit::AuditRecord;
use super::retry::RetryPolicy;
use crate::domain::{ActualEntry, ClusterName, PrincipalArn};
use crate::plan::{ClusterPlan, Operation, removes_admin};
use crate::ports::{EksApi, ErrorKind, NewEntry, PortError};

/// What happened to one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Outcome {
    /// The call succeeded.
    Applied,
    /// Nothing to do after all (a 404 on delete, a 409 on create of our own entry): converged.
    AlreadyDone {
        /// What was found.
        detail: String,
    },
    /// The call failed; the next run retries from fresh state.
    Failed {
        /// The error.
        error: PortError,
    },
    /// Not attempted because an operation it depends on failed, or because doing it now could
    /// lock people out.
    NotAttempted {
        /// Why.
        reason: String,
    },
}

impl Outcome {
    /// Whether the operation's intent now holds.
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Applied | Outcome::AlreadyDone { .. })
    }
}

/// One operation and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationResult {
    /// The operation, as planned.
    pub operation: Operation,
    /// What happened.
    pub outcome: Outcome,
    /// Calls made for it (retries included; 0 if not attempted).
    pub attempts: u32,
}

/// The results of applying one cluster's plan, in plan order, and the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// One result per planned operation, in plan order.
    pub results: Vec<OperationResult>,
    /// One audit record per operation attempted.
    pub audit: Vec<AuditRecord>,
}

impl ApplyReport {
    /// The operations that failed or were not attempted.
    pub fn failures(&self) -> impl Iterator<Item = &OperationResult> {
        self.results.iter().filter(|r| !r.outcome.is_success())
    }

    /// How many operations changed something.
    pub fn applied(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.outcome == Outcome::Applied)
            .count()
    }
}

/// Applies `plan` to its cluster. `actual` is the state the plan was made from (it tells which
/// operations concern cluster-admin access). Grants run first, then the other removals, with up
/// to `concurrency` independent principals in flight (one principal's operations stay in plan
/// order); calls that remove cluster-admin access run last, one at a time, each after a fresh
/// read shows another working admin exists (see `admin_removal`).
pub async fn apply_plan(
    eks: &dyn EksApi,
    plan: &ClusterPlan,
    actual: &[ActualEntry],
    retry: &RetryPolicy,
    concurrency: usize,
) -> ApplyReport {
    // A refusal is partial: the guard already moved what it refused to `withheld`, and every
    // operation left in the plan is safe to apply.
    if plan.operations.is_empty() {
        return ApplyReport::default();
    }
    let cluster = &plan.cluster;
    let admins: BTreeSet<&PrincipalArn> = actual
        .iter()
        .filter(|e| e.is_cluster_admin())
        .map(|e| &e.principal)
        .collect();
    let phases = Phases::split(&plan.operations, &admins);

    // Creates come before removals so access never dips.
    let mut results = run_phase(eks, &cluster.name, phases.grants, retry, concurrency).await;
    let grant_failed = results.iter().any(|(_, r)| !r.outcome.is_success());
    results.extend(run_phase(eks, &cluster.name, phases.removals, retry, concurrency).await);
    let admin_groups = phases.admin_removals.into_values().collect();
    results
        .extend(run_admin_removals(eks, cluster, admin_groups, &admins, grant_failed, retry).await);
    results.sort_by_key(|(i, _)| *i);

    let results: Vec<OperationResult> = results.into_iter().map(|(_, r)| r).collect();
    let audit = audit_trail(plan, &results);
    ApplyReport { results, audit }
}

/// A plan's operations (with their plan index) in the order they are applied.
struct Phases<'p> {
    /// Everything that adds or changes access without removing any.
    grants: Vec<(usize, &'p Operation)>,
    /// Removals that do not touch cluster-admin access.
    removals: Vec<(usize, &'p Operation)>,
    /// Per principal: its first admin removal and every operation of it that follows (they may
    /// depend on it, e.g. a recreate's associations), in plan order.
    admin_removals: BTreeMap<&'p PrincipalArn, Vec<(usize, &'p Operation)>>,
}

impl<'p> Phases<'p> {
    fn split(operations: &'p [Operation], admins: &BTreeSet<&PrincipalArn>) -> Self {
        let mut phases = Phases {
            grants: Vec::new(),
            removals: Vec::new(),
            admin_removals: BTreeMap::new(),
        };
        for (i, op) in operations.iter().enumerate() {
            let principal = op.principal();
            let follows_admin_removal =
                principal.is_some_and(|p| phases.admin_removals.contains_key(p));
            match principal {
                Some(p) if follows_admin_removal || removes_admin(op, admins) => {
                    phases.admin_removals.entry(p).or_default().push((i, op));
                }
                _ if op.is_removal() => phases.removals.push((i, op)),
                _ => phases.grants.push((i, op)),
            }
        }
        phases
    }
}

pub(super) fn not_attempted(op: &Operation, reason: &str) -> OperationResult {
    OperationResult {
        operation: op.clone(),
        outcome: Outcome::NotAttempted {
            reason: reason.to_owned(),
        },
        attempts: 0,
    }
}

fn audit_trail(plan: &ClusterPlan, results: &[OperationResult]) -> Vec<AuditRecord> {
    let origin = plan.origin.clone().unwrap_or_default();
    results
        .iter()
        .filter(|r| r.attempts > 0)
        .map(|r| {
            let sources = r
                .operation
                .principal()
                .and_then(|p| plan.provenance.get(p))
                .cloned()
                .unwrap_or_default();
            let record =
                AuditRecord::new(&plan.cluster, &r.operation, &origin, sources, &r.outcome);
            record.log();
            record
        })
        .collect()
}

/// Runs one phase: operations grouped by principal, groups concurrently, each group in order.
async fn run_phase(
    eks: &dyn EksApi,
    cluster: &ClusterName,
    ops: Vec<(usize, &Operation)>,
    retry: &RetryPolicy,
    concurrency: usize,
) -> Vec<(usize, OperationResult)> {
    let mut groups: BTreeMap<Option<&PrincipalArn>, Vec<(usize, &Operation)>> = BTreeMap::new();
    for (i, op) in ops {
        groups.entry(op.principal()).or_default().push((i, op));
    }
    stream::iter(groups.into_values())
        .map(|group| run_group(eks, cluster, group, retry))
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// One principal's operations in order; once its entry could not be created, the rest of its
/// operations cannot succeed and are not attempted.
async fn run_group(
    eks: &dyn EksApi,
    cluster: &ClusterName,
    group: Vec<(usize, &Operation)>,
    retry: &RetryPolicy,
) -> Vec<(usize, OperationResult)> {
    let mut out = Vec::with_capacity(group.len());
    let mut entry_missing = false;
    for (i, op) in group {
        if entry_missing {
            out.push((i, not_attempted(op, "the entry could not be created")));
            continue;
        }
        let (outcome, attempts) = execute(eks, cluster, op, retry).await;
        let creates = matches!(
            op,
            Operation::CreateEntry { .. } | Operation::RecreateEntry { .. }
        );
        entry_missing = creates && !outcome.is_success();
        out.push((
            i,
            OperationResult {
                operation: op.clone(),
                outcome,
                attempts,
            },
        ));
    }
    out
}

pub(super) async fn execute(
    eks: &dyn EksApi,
    cluster: &ClusterName,
    op: &Operation,
    retry: &RetryPolicy,
) -> (Outcome, u32) {
    match op {
        Operation::SetAuthenticationMode { to, .. } => to_outcome(
            retry
                .run(&[], || eks.set_authentication_mode(cluster, *to))
                .await,
        ),
        Operation::CreateEntry { entry } => create_entry(eks, cluster, entry, retry).await,
        Operation::RecreateEntry { entry, .. } => recreate_entry(eks, cluster, entry, retry).await,
        Operation::UpdateEntry {
            principal,
            kubernetes_groups,
            username,
            ..
        } => to_outcome(
            retry
                .run(&[], || {
                    eks.update_access_entry(
                        cluster,
                        principal,
                        kubernetes_groups,
                        username.as_ref(),
                    )
                })
                .await,
        ),
        Operation::TagEntry {
            entry_arn, tags, ..
        } => to_outcome(retry.run(&[], || eks.tag_resource(entry_arn, tags)).await),
        Operation::AssociatePolicy {
            principal,
            policy,
            scope,
            ..
        } => to_outcome(
            // A just-created entry can 404 on associate for a while (AWS-FACTS §2).
            retry
                .run(&[ErrorKind::NotFound], || {
                    eks.associate_access_policy(cluster, principal, policy, scope)
                })
                .await,
        ),
        Operation::DisassociatePolicy {
            principal, policy, ..
        } => tolerate_not_found(
            retry
                .run(&[], || {
                    eks.disassociate_access_policy(cluster, principal, policy)
                })
                .await,
            "the policy was no longer associated",
        ),
        Operation::DeleteEntry { principal, .. } => tolerate_not_found(
            retry
                .run(&[], || eks.delete_access_entry(cluster, principal))
                .await,
            "the entry was already gone",
        ),
    }
}

/// Replaces a dead entry (its role was recreated): delete (a 404 means already gone), then create.
async fn recreate_entry(
    eks: &dyn EksApi,
    cluster: &ClusterName,
    entry: &NewEntry,
    retry: &RetryPolicy,
) -> (Outcome, u32) {
    let (deleted, n) = retry
        .run(&[], || eks.delete_access_entry(cluster, &entry.principal))
        .await;
    match deleted {
        Ok(()) => {}
        Err(e) if e.kind == ErrorKind::NotFound => {}
        Err(error) => return (Outcome::Failed { error }, n),
    }
    let (outcome, m) = create_entry(eks, cluster, entry, retry).await;
    (outcome, n + m)
}

/// Creates an entry, waiting out the "invalid principal" window of a brand-new role. A 409 means
/// the entry exists already: if it is ours (a previous or concurrent run), converge its groups and
/// username; if it is not, leave it alone and report.
async fn create_entry(
    eks: &dyn EksApi,
    cluster: &ClusterName,
    entry: &NewEntry,
    retry: &RetryPolicy,
) -> (Outcome, u32) {
    let (created, n) = retry
        .run(&[ErrorKind::InvalidPrincipal], || {
            eks.create_access_entry(cluster, entry)
        })
        .await;
    match created {
        Ok(()) => (Outcome::Applied, n),
        Err(e) if e.kind == ErrorKind::AlreadyExists => {
            let (outcome, m) = converge_existing(eks, cluster, entry, retry).await;
            (outcome, n + m)
        }
        Err(error) => (Outcome::Failed { error }, n),
    }
}

async fn converge_existing(
    eks: &dyn EksApi,
    cluster: &ClusterName,
    entry: &NewEntry,
    retry: &RetryPolicy,
) -> (Outcome, u32) {
    let (found, n) = retry
        .run(&[], || eks.describe_access_entry(cluster, &entry.principal))
        .await;
    let existing = match found {
        Ok(existing) => existing,
        Err(error) => return (Outcome::Failed { error }, n),
    };
    let ours = existing.is_managed()
        && existing.recorded_role_id()
            == entry
                .tags
                .get(crate::domain::ManagedTags::ROLE_ID)
                .map(String::as_str);
    if !ours {
        let error = PortError::new(
            ErrorKind::AlreadyExists,
            "CreateAccessEntry",
            "an entry for this principal appeared meanwhile and is not managed by eks-sso-sync for this role; left untouched",
        );
        return (Outcome::Failed { error }, n);
    }
    let groups: std::collections::BTreeSet<String> = entry
        .kubernetes_groups
        .iter()
        .map(|g| g.to_string())
        .collect();
    let username_differs = entry
        .username
        .as_ref()
        .is_some_and(|u| existing.username.as_deref() != Some(u.as_str()));
    if groups == existing.kubernetes_groups && !username_differs {
        return (
            Outcome::AlreadyDone {
                detail: "the entry already existed as planned".to_owned(),
            },
            n,
        );
    }
    let (updated, m) = retry
        .run(&[], || {
            eks.update_access_entry(
                cluster,
                &entry.principal,
                &entry.kubernetes_groups,
                entry.username.as_ref(),
            )
        })
        .await;
    match updated {
        Ok(()) => (
            Outcome::AlreadyDone {
                detail: "the entry already existed; groups converged".to_owned(),
            },
            n + m,
        ),
        Err(error) => (Outcome::Failed { error }, n + m),
    }
}

fn to_outcome((result, attempts): (Result<(), PortError>, u32)) -> (Outcome, u32) {
    match result {
        Ok(()) => (Outcome::Applied, attempts),
        Err(error) => (Outcome::Failed { error }, attempts),
    }
}

fn tolerate_not_found(
    (result, attempts): (Result<(), PortError>, u32),
    detail: &str,
) -> (Outcome, u32) {
    match result {
        Err(e) if e.kind == ErrorKind::NotFound => (
            Outcome::AlreadyDone {
                detail: detail.to_owned(),
            },
            attempts,
        ),
        other => to_outcome((other, attempts)),
    }
}
