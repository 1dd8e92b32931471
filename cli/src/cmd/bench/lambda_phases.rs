//! The three phases of `bench --topology lambda` — a cold sweep, an account assignment handled
//! by group-sync, a no-op sweep — on warm containers, each turned into calls by service and
//! operation, the minimum for the same work, and the critical-path ratio.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::Context as _;
use eks_sso_sync::config::Mapping;
use eks_sso_sync_emulator::{RequestRecord, RunningEmulator};
use serde::Serialize;

use super::lambda::{self, Containers, ESM_OPERATIONS, MeasuredPhase};
use super::minimum::is_mutating;
use super::org::{self, SyntheticOrg};
use super::topology::{
    Bounds, CriticalPath, IdentityWork, PhaseWork, TopologyMinimum, TriggerWork,
    critical_path_ratio,
};
use crate::progress::Progress;

/// One phase's figures.
#[derive(Debug, Clone, Serialize)]
pub struct LambdaPhase {
    /// `cold_sweep`, `event_assignment` or `noop_sweep`.
    pub phase: String,
    /// What it does.
    pub description: String,
    /// Trigger invocation to drained queue, in milliseconds.
    pub wall_ms: f64,
    /// Jobs reconciled.
    pub jobs: usize,
    /// Batches delivered.
    pub batches: usize,
    /// The functions' calls (every request but the event source mapping's).
    pub calls: u64,
    /// The event source mapping's `ReceiveMessage` and `DeleteMessage` calls (Lambda's).
    pub esm_calls: u64,
    /// Calls that failed (throttling excluded).
    pub failed_calls: u64,
    /// Calls answered with a throttling error (retried by the SDK; not in `calls`).
    pub throttled_calls: u64,
    /// Per token bucket the emulator enforced (`bench --rate-limits aws`): what it admitted,
    /// what it throttled and the rate the functions sustained against it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rate_limits: Vec<BucketUse>,
    /// Calls per `<service>:<Operation>`, the event source mapping's included.
    pub calls_by_operation: BTreeMap<String, u64>,
    /// The functions' calls per service.
    pub calls_by_service: BTreeMap<String, u64>,
    /// Identity Center calls (`sso`, `identitystore`) per batch delivered.
    pub identity_center_calls_per_batch: f64,
    /// Successful mutating calls.
    pub mutations: u64,
    /// The minimum for the same work.
    pub minimum: TopologyMinimum,
    /// calls / minimum.total.
    pub ratio: f64,
    /// The calls that must be sequential.
    pub critical_path: CriticalPath,
    /// wall ÷ (latency × critical-path calls); absent without injected latency.
    pub critical_path_ratio: Option<f64>,
    /// Jobs by kind (`sweep_job`, `event_job`).
    pub statuses: BTreeMap<String, usize>,
    /// What went wrong, if anything.
    pub errors: Vec<String>,
    /// The work the minimum and the critical path were computed from.
    pub work: PhaseWork,
}

/// One token bucket during a phase.
#[derive(Debug, Clone, Serialize)]
pub struct BucketUse {
    /// What the emulator reported.
    #[serde(flatten)]
    pub bucket: eks_sso_sync_emulator::BucketReport,
    /// sustained ÷ the bucket's rate: how much of the quota the functions used while they had
    /// calls to make (goal ≥ 0.8); absent when the phase made too few calls to say.
    pub sustained_ratio: Option<f64>,
}

impl BucketUse {
    fn of(bucket: eks_sso_sync_emulator::BucketReport) -> Self {
        let sustained_ratio = bucket.sustained_per_second.map(|s| s / bucket.per_second);
        Self {
            bucket,
            sustained_ratio,
        }
    }
}

/// The topology measured, next to the phases.
#[derive(Debug, Clone, Serialize)]
pub struct TopologyParameters {
    /// The bounds of the topology.
    pub bounds: Bounds,
    /// Permission sets in the instance.
    pub permission_sets: usize,
}

/// Runs the three phases on fresh containers over `emulator`.
pub async fn run_all(
    emulator: &RunningEmulator,
    org: &SyntheticOrg,
    mapping: Arc<Mapping>,
    bounds: Bounds,
    latency_ms: u64,
    progress: &Progress,
) -> anyhow::Result<Vec<LambdaPhase>> {
    let containers =
        Containers::start(emulator, &mapping, bounds.consumers, bounds.batch_size).await?;
    let run = Run {
        emulator,
        org,
        mapping: &mapping,
        containers: &containers,
        bounds,
        latency_ms,
    };
    let spinner = progress.spinner("lambda topology: cold sweep");
    let cold = run
        .sweep_phase(
            "cold_full_sweep",
            true,
            org.shape.managed_entries_per_cluster(),
            None,
        )
        .await?;
    spinner.finish_and_clear();
    let spinner = progress.spinner("lambda topology: account assignment");
    let account = org
        .accounts
        .first()
        .context("the organization has no account")?
        .clone();
    let event = run.assignment_phase(&account).await?;
    spinner.finish_and_clear();
    let spinner = progress.spinner("lambda topology: no-op sweep");
    let noop = run
        .sweep_phase("noop_sweep", false, 0, Some(&account))
        .await?;
    spinner.finish_and_clear();
    Ok(vec![cold, event, noop])
}

/// What every phase of one run shares.
struct Run<'a> {
    emulator: &'a RunningEmulator,
    org: &'a SyntheticOrg,
    mapping: &'a Mapping,
    containers: &'a Containers,
    bounds: Bounds,
    latency_ms: u64,
}

impl Run<'_> {
    /// The scheduled sweep and its drain. `cold`: the sweep's container has no credentials
    /// yet; `new_entries`: what each reconcile creates; `onboarded`: the account holding the
    /// event phase's permission set, once it exists.
    async fn sweep_phase(
        &self,
        phase: &str,
        cold: bool,
        new_entries: usize,
        onboarded: Option<&String>,
    ) -> anyhow::Result<LambdaPhase> {
        let all = &self.org.accounts;
        let cached = self.containers.cached_credentials();
        let jobs = lambda::jobs_of(self.emulator, self.org, all, new_entries);
        let event_id = format!("bench-{phase}");
        let measured = lambda::measure(self.emulator, self.containers, || async {
            self.containers.sweep(&event_id, all).await.map(|_| ())
        })
        .await?;
        let trigger = TriggerWork::Sweep {
            listings: vec![self.org.shape.clusters_per_account; all.len()],
            cold,
        };
        let identity = identity_work(self.org, self.mapping, onboarded);
        Ok(figures(
            phase,
            "scheduled sweep → SQS FIFO → reconciler batches on warm containers",
            measured,
            phase_work(trigger, jobs, cached, identity),
            &self.bounds,
            self.latency_ms,
        ))
    }

    /// A new permission set assigned in `account` (not measured), then group-sync for its
    /// `CreateAccountAssignment` record and the drain of its jobs.
    async fn assignment_phase(&self, account: &String) -> anyhow::Result<LambdaPhase> {
        let assignment = lambda::assign(self.emulator, self.containers, account).await?;
        let cached = self.containers.cached_credentials();
        let jobs = lambda::jobs_of(self.emulator, self.org, std::slice::from_ref(account), 1);
        let measured = lambda::measure(self.emulator, self.containers, || {
            self.containers.assignment_created(&assignment, account)
        })
        .await?;
        let trigger = TriggerWork::Assignment {
            clusters: self.org.shape.clusters_per_account,
            discover_instance: true,
            // group-sync's container is used for the first time.
            cold: true,
        };
        Ok(figures(
            "event_assignment",
            "CreateAccountAssignment → group-sync → jobs → reconciler batches (fresh reads)",
            measured,
            phase_work(
                trigger,
                jobs,
                cached,
                identity_work(self.org, self.mapping, Some(account)),
            ),
            &self.bounds,
            self.latency_ms,
        ))
    }
}

fn phase_work(
    trigger: TriggerWork,
    jobs: Vec<super::topology::JobWork>,
    cached: BTreeMap<usize, BTreeSet<String>>,
    identity: IdentityWork,
) -> PhaseWork {
    PhaseWork {
        trigger,
        jobs,
        batches: Vec::new(),
        cached_credentials: cached,
        identity,
    }
}

/// What Identity Center holds for `org`: every account has the org's assignments; the
/// onboarded account (if any) also the new team permission set, held by its group.
fn identity_work(
    org: &SyntheticOrg,
    mapping: &Mapping,
    onboarded: Option<&String>,
) -> IdentityWork {
    let mapping_wants = |ps: &str| {
        eks_sso_sync::domain::PermissionSetName::new(ps)
            .is_ok_and(|name| mapping.wants_permission_set(&name))
    };
    let assigned = org.shape.assigned();
    let wanted_groups: BTreeSet<String> = assigned
        .iter()
        .filter(|(ps, _)| mapping_wants(ps))
        .map(|(_, g)| g.clone())
        .collect();
    let mut work = IdentityWork {
        discover_instance: true,
        permission_sets: org.shape.permission_set_count() + usize::from(onboarded.is_some()),
        ..IdentityWork::default()
    };
    for account in &org.accounts {
        let extra = onboarded == Some(account);
        let mut groups = wanted_groups.clone();
        if extra {
            groups.insert(org::ONBOARDING_GROUP.to_owned());
        }
        work.wanted.insert(
            account.clone(),
            org.shape.managed_entries_per_cluster() + usize::from(extra),
        );
        work.groups.insert(account.clone(), groups);
    }
    work
}

/// The figures of a measured phase.
fn figures(
    phase: &str,
    description: &str,
    measured: MeasuredPhase,
    mut work: PhaseWork,
    bounds: &Bounds,
    latency_ms: u64,
) -> LambdaPhase {
    let MeasuredPhase {
        wall,
        log,
        drained,
        buckets,
    } = measured;
    work.batches = drained.batches;
    let counts = Counts::of(&log);
    let minimum = work.minimum(counts.mutations);
    let critical_path = work.critical_path(bounds);
    let wall_ms = wall.as_secs_f64() * 1000.0;
    let identity_calls: u64 = ["sso", "identitystore"]
        .iter()
        .filter_map(|s| counts.by_service.get(*s))
        .sum();
    let batches = work.batches.len();
    let mut errors: Vec<String> = drained
        .failed
        .iter()
        .map(|id| format!("message {id} was reported as failed"))
        .collect();
    if counts.failed > 0 {
        errors.push(format!("{} call(s) failed", counts.failed));
    }
    LambdaPhase {
        phase: phase.to_owned(),
        description: description.to_owned(),
        wall_ms,
        jobs: work.jobs.len(),
        batches,
        calls: counts.functions,
        esm_calls: counts.esm,
        failed_calls: counts.failed,
        throttled_calls: counts.throttled,
        rate_limits: buckets.into_iter().map(BucketUse::of).collect(),
        calls_by_operation: counts.by_operation,
        calls_by_service: counts.by_service,
        identity_center_calls_per_batch: if batches == 0 {
            0.0
        } else {
            identity_calls as f64 / batches as f64
        },
        mutations: counts.mutations,
        ratio: super::minimum::ratio(counts.functions, minimum.total),
        minimum,
        critical_path_ratio: critical_path_ratio(wall_ms, latency_ms, critical_path.calls),
        critical_path,
        statuses: drained.statuses,
        errors,
        work,
    }
}

/// The request log, counted.
#[derive(Debug, Default)]
struct Counts {
    functions: u64,
    esm: u64,
    failed: u64,
    throttled: u64,
    mutations: u64,
    by_operation: BTreeMap<String, u64>,
    by_service: BTreeMap<String, u64>,
}

impl Counts {
    fn of(log: &[RequestRecord]) -> Self {
        let mut counts = Counts::default();
        for record in log {
            let name = format!("{}:{}", record.service, record.operation);
            if is_throttling(record) {
                // An attempt AWS answered without doing anything: the SDK retries it.
                counts.throttled += 1;
                continue;
            }
            let ok = record.status < 300;
            counts.mutations += u64::from(ok && is_mutating(&name));
            counts.failed += u64::from(!ok);
            if ESM_OPERATIONS.contains(&name.as_str()) {
                counts.esm += 1;
            } else {
                counts.functions += 1;
                *counts.by_service.entry(record.service.clone()).or_insert(0) += 1;
            }
            *counts.by_operation.entry(name).or_insert(0) += 1;
        }
        counts
    }
}

/// Whether the emulator answered `record` with a service's throttling error.
fn is_throttling(record: &RequestRecord) -> bool {
    matches!(
        record.error_code.as_deref(),
        Some("ThrottlingException" | "Throttling")
    )
}
