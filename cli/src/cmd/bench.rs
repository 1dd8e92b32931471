//! `bench`: generate a synthetic organization on an in-process emulator, measure a cold full
//! sweep, an event-driven onboarding and a no-op sweep (wall time, calls per operation, calls
//! against the minimum needed), and the cold start and peak memory of each function binary.

mod cold_start;
mod lambda;
mod lambda_phases;
mod lambda_render;
mod minimum;
mod onboarding;
mod org;
mod phases;
mod render;
mod runtime_api;
mod topology;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use eks_sso_sync::aws::{sdk_config_for_endpoint, static_credentials};
use eks_sso_sync::config::Mapping;
use eks_sso_sync::domain::{GroupName, Region};
use eks_sso_sync::engine::ReconcileContext;
use eks_sso_sync_emulator::{Emulator, EmulatorConfig, Faults, RunningEmulator};
use serde::Serialize;

use crate::args::{BenchArgs, GlobalArgs, OutputFormat, Topology};
use crate::connect;
use crate::output;

use crate::progress::Progress;
use cold_start::{ColdStart, FunctionEnvironment};
use org::{OrgShape, SyntheticOrg};
use phases::PhaseReport;

/// The JSON document `bench --output json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Bumped on any incompatible change.
    pub schema_version: u32,
    /// What was measured.
    pub parameters: Parameters,
    /// The definition of `minimum` in every phase.
    pub minimum_definition: String,
    /// The three phases, in order.
    pub phases: Vec<PhaseReport>,
    /// Each function binary's cold start (empty with `--skip-cold-start`).
    pub cold_starts: Vec<ColdStart>,
}

/// The run's parameters.
#[derive(Debug, Clone, Serialize)]
pub struct Parameters {
    /// Member accounts.
    pub accounts: usize,
    /// Clusters per account.
    pub clusters_per_account: usize,
    /// Unmanaged entries per cluster (each cluster also has its creator's entry).
    pub entries_per_cluster: usize,
    /// Added latency per emulated call.
    pub latency_ms: u64,
    /// Clusters reconciled at once.
    pub concurrency: usize,
    /// Whether cold starts were skipped.
    pub skip_cold_start: bool,
}

/// The JSON document `bench --topology lambda --output json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct LambdaBenchReport {
    /// Bumped on any incompatible change.
    pub schema_version: u32,
    /// Always `lambda`.
    pub topology: Topology,
    /// The organization and latency.
    pub parameters: Parameters,
    /// The topology's bounds.
    pub topology_parameters: lambda_phases::TopologyParameters,
    /// The three phases, in order.
    pub phases: Vec<lambda_phases::LambdaPhase>,
}

/// Runs `bench` and prints the figures.
pub async fn run(global: &GlobalArgs, args: &BenchArgs) -> anyhow::Result<ExitCode> {
    if args.topology == Topology::Lambda {
        let report = run_lambda_bench(args, Progress::for_stderr()).await?;
        match output::format(global) {
            OutputFormat::Json => output::print_json(&report)?,
            OutputFormat::Table => print!("{}", lambda_render::render_lambda(&report)),
        }
        let failed = report.phases.iter().any(|p| !p.errors.is_empty());
        return Ok(if failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let report = run_bench(args, Progress::for_stderr()).await?;
    match output::format(global) {
        OutputFormat::Json => output::print_json(&report)?,
        OutputFormat::Table => out!("{}", render::render(&report)),
    }
    let failed = report.phases.iter().any(|p| !p.errors.is_empty());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The organization of `args`, its mapping, and the emulator seeded with it.
async fn start(
    args: &BenchArgs,
    progress: &Progress,
) -> anyhow::Result<(SyntheticOrg, Mapping, RunningEmulator)> {
    if args.accounts == 0 || args.clusters_per_account == 0 || args.concurrency == 0 {
        bail!("--accounts, --clusters-per-account and --concurrency must be at least 1");
    }
    if args.consumers == 0 || !(1..=10).contains(&args.batch_size) {
        bail!(
            "--consumers must be at least 1 and --batch-size between 1 and 10 (SQS FIFO delivers at most 10)"
        );
    }
    if args.permission_sets < org::ASSIGNED.len() {
        bail!(
            "--permission-sets must be at least {} (the organization's fixed sets)",
            org::ASSIGNED.len()
        );
    }
    let org = org::generate(OrgShape {
        accounts: args.accounts,
        clusters_per_account: args.clusters_per_account,
        entries_per_cluster: args.entries_per_cluster,
        permission_sets: args.permission_sets,
    });
    let mapping = Mapping::from_str(&org.mapping_yaml, "bench mapping")
        .map_err(|report| anyhow::anyhow!("the generated mapping is invalid:\n{report}"))?;
    let spinner = progress.spinner("seeding the emulator");
    let emulator = Emulator::start(EmulatorConfig {
        seed: Some(org.seed.clone()),
        faults: Faults {
            latency_ms: args.latency_ms,
            rate_limits: args.rate_limits.rules(),
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .context("starting the emulator")?;
    spinner.finish_and_clear();
    Ok((org, mapping, emulator))
}

/// Generates the organization, starts the emulator, runs the phases and the cold starts.
pub async fn run_bench(args: &BenchArgs, progress: Progress) -> anyhow::Result<BenchReport> {
    let (org, mapping, emulator) = start(args, &progress).await?;
    let result = measure(&emulator, &org, Arc::new(mapping), args, progress).await;
    emulator.shutdown().await;
    result
}

/// `bench --topology lambda`: the deployed topology's three phases (see `lambda.rs`).
pub async fn run_lambda_bench(
    args: &BenchArgs,
    progress: Progress,
) -> anyhow::Result<LambdaBenchReport> {
    // The handlers flush their metrics as EMF on stdout, where the report goes.
    eks_sso_sync::metrics::emit_to_stdout(false);
    let (org, mapping, emulator) = start(args, &progress).await?;
    let mapping = Arc::new(mapping);
    let fan_out = connect::connect_with(mapping.clone(), Some(&emulator.endpoint))
        .await?
        .ctx
        .concurrency;
    let bounds = lambda::bounds(args.consumers, args.batch_size, fan_out);
    let result =
        lambda_phases::run_all(&emulator, &org, mapping, bounds, args.latency_ms, &progress).await;
    emulator.shutdown().await;
    Ok(LambdaBenchReport {
        schema_version: 1,
        topology: Topology::Lambda,
        parameters: parameters(args),
        topology_parameters: lambda_phases::TopologyParameters {
            bounds,
            permission_sets: org.shape.permission_set_count(),
        },
        phases: result?,
    })
}

fn parameters(args: &BenchArgs) -> Parameters {
    Parameters {
        accounts: args.accounts,
        clusters_per_account: args.clusters_per_account,
        entries_per_cluster: args.entries_per_cluster,
        latency_ms: args.latency_ms,
        concurrency: args.concurrency,
        skip_cold_start: args.skip_cold_start,
    }
}

async fn measure(
    emulator: &RunningEmulator,
    org: &SyntheticOrg,
    mapping: Arc<Mapping>,
    args: &BenchArgs,
    progress: Progress,
) -> anyhow::Result<BenchReport> {
    let session = connect::connect_with(mapping, Some(&emulator.endpoint)).await?;
    let phases = phases::run_all(emulator, org, &session.ctx, args.concurrency, &progress).await?;
    let cold_starts = if args.skip_cold_start {
        Vec::new()
    } else {
        let spinner = progress.spinner("cold-starting the function binaries");
        let measured = cold_starts(emulator, org, &session.ctx).await?;
        spinner.finish_and_clear();
        measured
    };
    Ok(BenchReport {
        schema_version: 1,
        parameters: parameters(args),
        minimum_definition: minimum::DEFINITION.to_owned(),
        phases,
        cold_starts,
    })
}

/// Cold-starts each function against the emulator: a mapping file and logs in a temporary
/// directory, and a reconcile queue created on the emulator as the SAM template creates it.
async fn cold_starts(
    emulator: &RunningEmulator,
    org: &SyntheticOrg,
    ctx: &ReconcileContext,
) -> anyhow::Result<Vec<ColdStart>> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let mapping_path = dir.path().join("mapping.yaml");
    std::fs::write(&mapping_path, &org.mapping_yaml).context("writing the mapping file")?;
    let sdk = sdk_config_for_endpoint(
        &emulator.endpoint,
        &Region::new(org::REGION)?,
        static_credentials("test", "test"),
    );
    let queue = aws_sdk_sqs::Client::new(&sdk)
        .create_queue()
        .queue_name("eks-sso-sync-reconcile.fifo")
        .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .context("creating the reconcile queue on the emulator")?;
    let queue_url = queue
        .queue_url()
        .context("CreateQueue answered no URL")?
        .to_owned();
    let env = FunctionEnvironment {
        endpoint: emulator.endpoint.clone(),
        region: org::REGION.to_owned(),
        mapping_path,
        queue_url,
        log_dir: dir.path().to_path_buf(),
        retarget: retarget(org, ctx).await?,
    };
    Ok(cold_start::measure_all(cold_start::binary_dir().as_deref(), &env, Some(emulator)).await)
}

/// What the sample events name, and what it becomes: the first member account and its first
/// cluster, and the identity store and group id of the platform admins (assigned everywhere, so
/// group-sync's scope is every account).
async fn retarget(
    org: &SyntheticOrg,
    ctx: &ReconcileContext,
) -> anyhow::Result<Vec<(String, String)>> {
    let instance = ctx.reader().instance().await?.clone();
    let admins = GroupName::new(org::ASSIGNED[0].1)?;
    let group_id = ctx
        .identity_store
        .group_id(&instance.identity_store_id, &admins)
        .await?
        .with_context(|| format!("group {admins} is not in the seed"))?;
    let account = org
        .accounts
        .first()
        .context("the organization has no account")?;
    Ok(vec![
        (SAMPLE_ACCOUNT.to_owned(), account.clone()),
        (SAMPLE_CLUSTER.to_owned(), org::cluster_name(0)),
        (
            SAMPLE_IDENTITY_STORE.to_owned(),
            instance.identity_store_id.to_string(),
        ),
        (SAMPLE_GROUP_ID.to_owned(), group_id.to_string()),
    ])
}

/// The member account of the sample events (`events/README.md`).
const SAMPLE_ACCOUNT: &str = "222222222222";
/// The cluster of the sample EKS events.
const SAMPLE_CLUSTER: &str = "prod-eu";
/// The identity store of the sample Identity Store events.
const SAMPLE_IDENTITY_STORE: &str = "d-93670a1b2c";
/// The group of the sample membership event.
const SAMPLE_GROUP_ID: &str = "9067d4c2-50a1-70e4-8b1c-2a3b4c5d6e7f";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::RateLimits;

    /// The whole bench on a tiny organization, in-process: the cold sweep creates exactly the
    /// entries the mapping asks for, onboarding adds one per cluster of one account, and the
    /// no-op sweep changes nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tiny_organization_converges_and_then_makes_no_mutation() {
        let args = BenchArgs {
            accounts: 1,
            clusters_per_account: 2,
            entries_per_cluster: 2,
            latency_ms: 0,
            concurrency: 2,
            skip_cold_start: true,
            topology: Topology::InProcess,
            permission_sets: 4,
            consumers: 2,
            batch_size: 10,
            rate_limits: RateLimits::None,
        };
        let report = run_bench(&args, Progress::new(false)).await.unwrap();
        let [cold, onboard, noop] = report.phases.as_slice() else {
            panic!("three phases expected, got {:?}", report.phases);
        };
        assert!(cold.errors.is_empty() && onboard.errors.is_empty() && noop.errors.is_empty());

        // 2 clusters × 3 managed entries, each created and given its one policy.
        assert_eq!(cold.clusters, 2);
        assert_eq!(
            cold.calls_by_operation.get("eks:CreateAccessEntry"),
            Some(&6)
        );
        assert_eq!(
            cold.calls_by_operation.get("eks:AssociateAccessPolicy"),
            Some(&6)
        );
        assert_eq!(cold.mutations, 12);
        assert_eq!(cold.statuses.get("applied"), Some(&2));
        // Before: 2 unmanaged entries + the creator's on each cluster.
        assert_eq!(cold.workload.entries_before, vec![3, 3]);
        assert!(cold.ratio >= 1.0, "calls below the minimum: {cold:?}");

        assert_eq!(onboard.clusters, 2);
        assert_eq!(
            onboard.calls_by_operation.get("eks:CreateAccessEntry"),
            Some(&2)
        );
        assert_eq!(onboard.mutations, 4);

        assert_eq!(noop.mutations, 0);
        assert_eq!(noop.statuses.get("in_sync"), Some(&2));
        assert_eq!(noop.workload.entries_before, vec![7, 7]);
        assert!(noop.ratio >= 1.0, "calls below the minimum: {noop:?}");
        assert!(report.cold_starts.is_empty());
    }

    /// The deployed topology on a tiny organization: batches of two on two containers, every
    /// job finished, the entries created once, and the no-op sweep only enqueues.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_lambda_topology_drains_every_job_through_the_handlers() {
        let args = BenchArgs {
            accounts: 1,
            clusters_per_account: 3,
            entries_per_cluster: 2,
            latency_ms: 0,
            concurrency: 2,
            skip_cold_start: true,
            topology: Topology::Lambda,
            permission_sets: 5,
            consumers: 2,
            batch_size: 2,
            rate_limits: RateLimits::Aws,
        };
        let report = run_lambda_bench(&args, Progress::new(false)).await.unwrap();
        let [cold, event, noop] = report.phases.as_slice() else {
            panic!("three phases expected, got {:?}", report.phases);
        };
        for phase in [cold, event, noop] {
            assert!(
                phase.errors.is_empty(),
                "{}: {:?}",
                phase.phase,
                phase.errors
            );
            assert!(phase.ratio >= 0.99, "{}: below the minimum", phase.phase);
        }
        // 3 clusters × 4 wanted sets (3 fixed + EKSTeam-Team00): create + associate each.
        assert_eq!(cold.jobs, 3);
        assert_eq!(cold.batches, 2, "batches of two");
        assert_eq!(
            cold.calls_by_operation.get("eks:CreateAccessEntry"),
            Some(&12)
        );
        assert_eq!(event.jobs, 3);
        assert_eq!(
            event.calls_by_operation.get("eks:CreateAccessEntry"),
            Some(&3)
        );
        assert_eq!(noop.calls_by_operation.get("eks:CreateAccessEntry"), None);
        assert_eq!(noop.mutations, 1, "one SendMessageBatch, nothing else");
        // AWS's token buckets were enforced and reported; paced, nothing was throttled.
        for phase in [cold, event, noop] {
            assert_eq!(phase.throttled_calls, 0, "{}", phase.phase);
            assert!(
                phase.rate_limits.iter().any(|b| b.bucket.service == "sso"),
                "{}: {:?}",
                phase.phase,
                phase.rate_limits
            );
        }
        assert!(noop.critical_path.calls > 0 && noop.critical_path_ratio.is_none());
    }
}
