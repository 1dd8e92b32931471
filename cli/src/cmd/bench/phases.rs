//! The three measured phases on the synthetic organization — a cold full sweep, an
//! event-driven onboarding and a no-op sweep — each timed, with the emulator's request log
//! turned into calls per operation, mutations and the ratio to the minimum.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use eks_sso_sync::domain::{AccountId, ClusterRef, PermissionSetArn};
use eks_sso_sync::engine::{self, ClusterReport, ReconcileContext, ReconcileOptions};
use eks_sso_sync_emulator::{RequestRecord, RunningEmulator};
use futures::stream::{self, StreamExt};
use serde::Serialize;

use super::minimum::{self, Minimum, Workload};
use super::onboarding;
use super::org::{self, REGION, SyntheticOrg};
use crate::progress::Progress;

/// One phase's figures.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    /// `cold_full_sweep`, `event_onboarding` or `noop_sweep`.
    pub phase: String,
    /// What it does.
    pub description: String,
    /// Wall time, in milliseconds.
    pub wall_ms: f64,
    /// Clusters reconciled.
    pub clusters: usize,
    /// API calls made (every request the emulator answered, failures included).
    pub calls: u64,
    /// Calls that failed (throttled, errors, retried).
    pub failed_calls: u64,
    /// Calls per `<service>:<Operation>`.
    pub calls_by_operation: BTreeMap<String, u64>,
    /// Calls per reconciled cluster.
    pub calls_per_cluster: f64,
    /// Successful mutating calls.
    pub mutations: u64,
    /// The minimum (see `minimum.rs` for its definition).
    pub minimum: Minimum,
    /// calls / minimum.total.
    pub ratio: f64,
    /// What the phase had to look at (the inputs of the minimum).
    pub workload: Workload,
    /// Reconcile outcomes: status → clusters.
    pub statuses: BTreeMap<String, usize>,
    /// Errors (listing or reading), if any.
    pub errors: Vec<String>,
}

/// What a phase did, before it is turned into figures.
struct PhaseRun {
    reports: Vec<ClusterReport>,
    errors: Vec<String>,
}

/// Runs the three phases in order on `emulator`, which holds `org`'s seed; `ctx` is connected to it.
pub async fn run_all(
    emulator: &RunningEmulator,
    org: &SyntheticOrg,
    ctx: &ReconcileContext,
    concurrency: usize,
    progress: &Progress,
) -> anyhow::Result<Vec<PhaseReport>> {
    let all = org.accounts.clone();
    let sweep_desc = "list every managed cluster, reconcile each (--concurrency at a time)";

    let workload = workload_for(emulator, org, &all, true, None);
    let cold = measure(emulator, workload, || {
        sweep(ctx, concurrency, progress, "cold sweep")
    })
    .await?;
    let mut phases = vec![report("cold_full_sweep", sweep_desc, cold)];

    // The trigger: a new team permission set assigned to a group in one account (not measured:
    // it is the administrator's change, not eks-sso-sync's work).
    let account = all
        .first()
        .context("the organization has no account")?
        .clone();
    let permission_set_arn =
        onboarding::assign_new_permission_set(&emulator.endpoint, ctx, &account)
            .await?
            .permission_set_arn;
    let workload = workload_for(
        emulator,
        org,
        std::slice::from_ref(&account),
        false,
        Some(&account),
    );
    let onboard = measure(emulator, workload, || {
        onboard(ctx, &account, &permission_set_arn, concurrency, progress)
    })
    .await?;
    phases.push(report(
        "event_onboarding",
        "CreateAccountAssignment of a new EKSTeam-* permission set in one account: group-sync's scope, then reconcile the clusters in it",
        onboard,
    ));

    let workload = workload_for(emulator, org, &all, false, Some(&account));
    let noop = measure(emulator, workload, || {
        sweep(ctx, concurrency, progress, "no-op sweep")
    })
    .await?;
    phases.push(report("noop_sweep", sweep_desc, noop));
    Ok(phases)
}

/// A full sweep: what the scheduled reconciler fans out, reconciled inline.
async fn sweep(
    ctx: &ReconcileContext,
    concurrency: usize,
    progress: &Progress,
    label: &str,
) -> anyhow::Result<PhaseRun> {
    let ctx = ctx.fresh();
    let (clusters, listing_errors) = engine::list_managed_clusters(&ctx, None).await;
    let mut run = reconcile_many(&ctx, &clusters, concurrency, progress, label).await;
    run.errors.extend(
        listing_errors
            .into_iter()
            .map(|(account, region, e)| format!("listing {account}/{region}: {e}")),
    );
    Ok(run)
}

/// What group-sync does for a `CreateAccountAssignment`, then the reconciles it asks for.
async fn onboard(
    ctx: &ReconcileContext,
    account: &str,
    permission_set_arn: &PermissionSetArn,
    concurrency: usize,
    progress: &Progress,
) -> anyhow::Result<PhaseRun> {
    let ctx = ctx.fresh();
    let account = AccountId::new(account)?;
    let scope = engine::scope_for_assignment(&ctx, &account, permission_set_arn).await?;
    let (clusters, listing_errors) = engine::clusters_in_scope(&ctx, &scope).await;
    let mut run = reconcile_many(&ctx, &clusters, concurrency, progress, "onboarding").await;
    run.errors.extend(
        listing_errors
            .into_iter()
            .map(|(account, region, e)| format!("listing {account}/{region}: {e}")),
    );
    Ok(run)
}

/// Reconciles `clusters`, `concurrency` at a time, sharing `ctx`'s per-run caches.
async fn reconcile_many(
    ctx: &ReconcileContext,
    clusters: &[ClusterRef],
    concurrency: usize,
    progress: &Progress,
    label: &str,
) -> PhaseRun {
    let bar = progress.bar(clusters.len() as u64, label);
    let options = ReconcileOptions::default();
    let results: Vec<_> = stream::iter(clusters)
        .map(|cluster| {
            let (options, bar) = (&options, &bar);
            async move {
                let result = engine::reconcile_cluster(cluster, ctx, options).await;
                bar.inc(1);
                result
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    bar.finish_and_clear();
    let mut run = PhaseRun {
        reports: Vec::new(),
        errors: Vec::new(),
    };
    for result in results {
        match result {
            Ok(report) => run.reports.push(report),
            Err(e) => run.errors.push(e.to_string()),
        }
    }
    run.reports.sort_by(|a, b| a.cluster.cmp(&b.cluster));
    run.errors.sort();
    run
}

/// A phase run with its wall time, the request log it produced and what it had to look at.
struct Measured {
    run: PhaseRun,
    wall: Duration,
    log: Vec<RequestRecord>,
    workload: Workload,
}

async fn measure<F, Fut>(
    emulator: &RunningEmulator,
    workload: Workload,
    phase: F,
) -> anyhow::Result<Measured>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<PhaseRun>>,
{
    emulator.clear_requests();
    let started = Instant::now();
    let run = phase().await?;
    let wall = started.elapsed();
    Ok(Measured {
        run,
        wall,
        log: emulator.requests(),
        workload,
    })
}

/// What a phase over `accounts` must read, from the organization's shape and the entries the
/// emulator holds now (read through its Rust side: not a logged call). `assumed`: the accounts'
/// credentials are not cached yet. `onboarded`: the account that got the new permission set.
fn workload_for(
    emulator: &RunningEmulator,
    org: &SyntheticOrg,
    accounts: &[String],
    assumed: bool,
    onboarded: Option<&String>,
) -> Workload {
    let onboarded_here = usize::from(onboarded.is_some_and(|a| accounts.contains(a)));
    let wanted = org.shape.managed_entries_per_cluster();
    let counts: Vec<org::EntryCounts> = accounts
        .iter()
        .flat_map(|account| {
            (0..org.shape.clusters_per_account).map(move |i| {
                org::entry_counts(&emulator.entries(account, REGION, &org::cluster_name(i)))
            })
        })
        .collect();
    let entries_before = counts.iter().map(|c| c.total).collect();
    let decisive_before = counts.iter().map(|c| c.decisive).collect();
    let unmanaged_admins_before = counts.iter().map(|c| c.unmanaged_admins).collect();
    Workload {
        // The generated mapping names no instance: every run discovers it.
        discover_instance: true,
        permission_sets: org.shape.permission_set_count() + usize::from(onboarded.is_some()),
        assumed_accounts: if assumed { accounts.len() } else { 0 },
        accounts: accounts.len(),
        assigned_permission_sets: accounts.len() * wanted + onboarded_here,
        groups: if accounts.is_empty() {
            0
        } else {
            wanted + onboarded_here
        },
        listings: vec![org.shape.clusters_per_account; accounts.len()],
        entries_before,
        decisive_before,
        unmanaged_admins_before,
    }
}

/// The figures of a measured phase.
fn report(phase: &str, description: &str, measured: Measured) -> PhaseReport {
    let Measured {
        run,
        wall,
        log,
        workload,
    } = measured;
    let mut calls_by_operation = BTreeMap::new();
    let mut mutations = 0;
    let mut failed_calls = 0;
    for record in &log {
        let name = format!("{}:{}", record.service, record.operation);
        let ok = record.status < 300;
        if ok && minimum::is_mutating(&name) {
            mutations += 1;
        }
        if !ok {
            failed_calls += 1;
        }
        *calls_by_operation.entry(name).or_insert(0) += 1;
    }
    let calls = log.len() as u64;
    let minimum = workload.minimum(mutations);
    let mut statuses = BTreeMap::new();
    for r in &run.reports {
        let label = serde_json::to_value(&r.status)
            .ok()
            .and_then(|v| v.get("state").and_then(|s| s.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "unknown".to_owned());
        *statuses.entry(label).or_insert(0) += 1;
    }
    let clusters = run.reports.len();
    PhaseReport {
        phase: phase.to_owned(),
        description: description.to_owned(),
        wall_ms: wall.as_secs_f64() * 1000.0,
        clusters,
        calls,
        failed_calls,
        calls_by_operation,
        calls_per_cluster: if clusters == 0 {
            0.0
        } else {
            calls as f64 / clusters as f64
        },
        mutations,
        ratio: minimum::ratio(calls, minimum.total),
        minimum,
        workload,
        statuses,
        errors: run.errors,
    }
}
