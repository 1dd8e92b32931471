//! The executor's last line of lockout defence: calls that take cluster-admin access away run
//! last, one at a time, each immediately after a fresh read shows that another working
//! cluster-admin entry exists (compare, then delete).
//!
//! Why the planner's guard is not enough: it checks the snapshot the plan was made from. Two
//! writers with different mappings (two `apply --yes` runs, or a warm Lambda still holding the
//! old mapping) each see two admins and each drop a different one; both guards pass and the
//! cluster ends with none. So the executor compares against the cluster as it is *now*.
//!
//! Within one process a per-cluster writer lock (keyed by cluster ARN) is held across the whole
//! admin-removal phase, so two reconciles of one cluster cannot interleave check and delete.
//!
//! Residual window, honestly: the lock does not reach other processes. Two processes can both
//! read "another admin exists" and then both delete; the window is the time between one check's
//! last read and its delete call (one API round trip). The deployed hub closes it by design:
//! every reconcile goes through the SQS FIFO queue whose message group is the cluster, so at most
//! one reconciler works on a cluster at a time. A writer outside the queue (the CLI's `apply`
//! next to a live hub) is defended by the fresh re-check alone.
//!
//! Which calls remove admin access is judged from the plan's snapshot: an entry another writer
//! made an admin after that snapshot is not recognised as one here (the next run's snapshot is).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use super::apply::{OperationResult, execute, not_attempted};
use super::retry::RetryPolicy;
use crate::domain::{AccessScope, ClusterName, ClusterRef, EntryType, PrincipalArn};
use crate::plan::{Operation, removes_admin};
use crate::ports::{EksApi, ErrorKind, PortError};

/// Why admin removals wait for the next run when a grant failed: the plan's lockout check
/// assumed every grant succeeds, so it no longer holds.
const DEFERRED: &str =
    "a grant in this plan failed; removing cluster-admin access is deferred to the next run";

/// The writer lock of one cluster in this process. Entries are weak so the registry only holds
/// clusters someone is working on; dead ones are swept whenever a new lock is made.
fn cluster_lock(cluster_arn: &str) -> Arc<tokio::sync::Mutex<()>> {
    type Registry = Mutex<BTreeMap<String, Weak<tokio::sync::Mutex<()>>>>;
    static LOCKS: OnceLock<Registry> = OnceLock::new();
    // A panic while holding the registry cannot leave it inconsistent: keep using it.
    let mut locks = LOCKS
        .get_or_init(Registry::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(lock) = locks.get(cluster_arn).and_then(Weak::upgrade) {
        return lock;
    }
    locks.retain(|_, lock| lock.strong_count() > 0);
    let lock = Arc::new(tokio::sync::Mutex::new(()));
    locks.insert(cluster_arn.to_owned(), Arc::downgrade(&lock));
    lock
}

/// Runs the admin-removal phase: after every other operation, one principal at a time, under
/// the cluster's writer lock. `groups` are per-principal operation lists in plan order (an
/// admin removal and whatever of that principal follows it, e.g. a recreate's associations).
pub(super) async fn run_admin_removals(
    eks: &dyn EksApi,
    cluster: &ClusterRef,
    groups: Vec<Vec<(usize, &Operation)>>,
    admins: &BTreeSet<&PrincipalArn>,
    grant_failed: bool,
    retry: &RetryPolicy,
) -> Vec<(usize, OperationResult)> {
    let mut out = Vec::new();
    if grant_failed {
        let ops = groups.into_iter().flatten();
        out.extend(ops.map(|(i, op)| (i, not_attempted(op, DEFERRED))));
        return out;
    }
    if groups.is_empty() {
        return out;
    }
    let lock = cluster_lock(&cluster.arn());
    let _held = lock.lock().await;
    for group in groups {
        out.extend(run_admin_group(eks, cluster, group, admins, retry).await);
    }
    out
}

/// One principal's admin-phase operations in order. Each admin removal is preceded by a fresh
/// check; once one is not done, the rest of the principal's operations (which depend on it)
/// are not attempted either.
async fn run_admin_group(
    eks: &dyn EksApi,
    cluster: &ClusterRef,
    group: Vec<(usize, &Operation)>,
    admins: &BTreeSet<&PrincipalArn>,
    retry: &RetryPolicy,
) -> Vec<(usize, OperationResult)> {
    let mut out = Vec::with_capacity(group.len());
    let mut blocked = false;
    for (i, op) in group {
        if blocked {
            let reason = "an earlier operation of this principal was not done";
            out.push((i, not_attempted(op, reason)));
            continue;
        }
        if removes_admin(op, admins) {
            if let Some(reason) = refusal(eks, cluster, op, admins, retry).await {
                out.push((i, not_attempted(op, &reason)));
                blocked = true;
                continue;
            }
        }
        let (outcome, attempts) = execute(eks, &cluster.name, op, retry).await;
        blocked = !outcome.is_success();
        let operation = op.clone();
        out.push((
            i,
            OperationResult {
                operation,
                outcome,
                attempts,
            },
        ));
    }
    out
}

/// `None` when a fresh read finds another working cluster-admin entry, so `op` may go ahead;
/// otherwise why it must not.
async fn refusal(
    eks: &dyn EksApi,
    cluster: &ClusterRef,
    op: &Operation,
    admins: &BTreeSet<&PrincipalArn>,
    retry: &RetryPolicy,
) -> Option<String> {
    let losing = op.principal()?;
    match other_working_admin(eks, &cluster.name, losing, admins, retry).await {
        Ok(Some(admin)) => {
            tracing::info!(cluster = %cluster, principal = %losing, remaining_admin = %admin, "another working cluster-admin entry exists; removing admin access");
            None
        }
        Ok(None) => {
            tracing::warn!(cluster = %cluster, principal = %losing, "admin removal refused: no other working cluster-admin entry exists right now");
            Some(format!(
                "no other working cluster-admin entry exists on cluster {cluster} right now \
                 (fresh read); removing admin access from {losing} would lock the cluster out"
            ))
        }
        Err(error) => {
            tracing::warn!(cluster = %cluster, principal = %losing, error = %error, "admin removal refused: could not verify another working admin");
            Some(format!(
                "could not verify that another working cluster-admin entry exists on cluster \
                 {cluster} right now ({error}); admin access of {losing} kept"
            ))
        }
    }
}

/// Another working cluster-admin entry on `cluster` as it is now, other than `losing`, if any.
/// Reads are kept minimal: one list, then candidates one by one until one is found, the
/// snapshot's admins first because one of them usually still is one.
async fn other_working_admin(
    eks: &dyn EksApi,
    cluster: &ClusterName,
    losing: &PrincipalArn,
    likely: &BTreeSet<&PrincipalArn>,
    retry: &RetryPolicy,
) -> Result<Option<PrincipalArn>, PortError> {
    let (listed, _) = retry.run(&[], || eks.list_access_entries(cluster)).await;
    let mut candidates: Vec<PrincipalArn> = listed?.into_iter().filter(|p| p != losing).collect();
    // Stable: keeps list order within each half.
    candidates.sort_by_key(|p| !likely.contains(p));
    for candidate in candidates {
        if is_working_admin(eks, cluster, &candidate, retry).await? {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

/// Whether `principal`'s entry is `STANDARD` with `AmazonEKSClusterAdminPolicy` at cluster
/// scope. Policies are read first: most entries are not admins, and then one read settles it.
/// An entry gone meanwhile (404) is simply not an admin.
async fn is_working_admin(
    eks: &dyn EksApi,
    cluster: &ClusterName,
    principal: &PrincipalArn,
    retry: &RetryPolicy,
) -> Result<bool, PortError> {
    let (policies, _) = retry
        .run(&[], || eks.list_associated_policies(cluster, principal))
        .await;
    let admin_policy = match policies {
        Ok(policies) => policies
            .iter()
            .any(|(p, s)| p.is_cluster_admin() && *s == AccessScope::Cluster),
        Err(e) if e.kind == ErrorKind::NotFound => false,
        Err(e) => return Err(e),
    };
    if !admin_policy {
        return Ok(false);
    }
    let (entry, _) = retry
        .run(&[], || eks.describe_access_entry(cluster, principal))
        .await;
    match entry {
        Ok(entry) => Ok(entry.entry_type == EntryType::Standard),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}
