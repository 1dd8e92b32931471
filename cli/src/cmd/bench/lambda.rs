//! `bench --topology lambda`: the deployed topology on the emulator. The scheduled sweep runs
//! through the reconciler's own Lambda handler and enqueues one FIFO message per cluster; `N`
//! consumers (warm reconciler containers, each with its own ports and credential cache, as
//! Lambda runs them) take batches of the template's size, hand each to the same handler as an
//! `SqsEvent` and delete what the batch response does not report as failed. The event-driven
//! phase assigns a new permission set and hands the `CreateAccountAssignment` record to the
//! group-sync handler, whose jobs are drained the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use eks_sso_sync::aws::{SdkJobQueue, sdk_config_for_endpoint, static_credentials};
use eks_sso_sync::config::Mapping;
use eks_sso_sync::domain::Region;
use eks_sso_sync::ports::ReconcileJob;
use eks_sso_sync_emulator::RunningEmulator;
use group_sync::handler::GroupSync;
use lambda_runtime::LambdaEvent;
use reconciler::handler::{BATCH_CONCURRENCY, Reconciler, WaitPolicy};
use reconciler::local::LocalEventSource;
use serde_json::Value;

use super::onboarding::{self, NewAssignment};
use super::org::{self, REGION, SyntheticOrg};
use super::topology::{BatchWork, Bounds};
use crate::connect;

/// The reconciler's timeout in the template: the deadline each batch is given.
const LAMBDA_TIMEOUT: Duration = Duration::from_secs(300);
/// The reconcile queue's visibility timeout in template.yaml, in seconds.
const QUEUE_VISIBILITY_TIMEOUT: &str = "1800";
/// The event source mapping's own calls (made by Lambda, not by the functions).
pub const ESM_OPERATIONS: [&str; 2] = ["sqs:ReceiveMessage", "sqs:DeleteMessage"];

/// The containers of one run: the reconciler's (index 0 also serves the schedule) and
/// group-sync's, built once as a cold start builds them and kept warm across phases.
pub struct Containers {
    reconcilers: Vec<Reconciler>,
    group_sync: GroupSync,
    source: LocalEventSource,
    /// Per container: the accounts whose credentials it holds (warm across phases).
    credentials: Mutex<BTreeMap<usize, BTreeSet<String>>>,
    batch_size: usize,
}

/// What one delivery loop saw.
#[derive(Debug, Default)]
pub struct Drained {
    /// The batches, as delivered.
    pub batches: Vec<BatchWork>,
    /// Messages reported as failed (left for redelivery).
    pub failed: Vec<String>,
    /// Reconcile outcomes: state → messages.
    pub statuses: BTreeMap<String, usize>,
}

impl Containers {
    /// `consumers` reconciler containers and one group-sync container over `emulator`.
    pub async fn start(
        emulator: &RunningEmulator,
        mapping: &Arc<Mapping>,
        consumers: usize,
        batch_size: usize,
    ) -> anyhow::Result<Self> {
        let sdk = sdk_config_for_endpoint(
            &emulator.endpoint,
            &Region::new(REGION)?,
            static_credentials("test", "test"),
        );
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let queue_url = sqs
            .create_queue()
            .queue_name("eks-sso-sync-reconcile-bench.fifo")
            .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
            // As template.yaml's ReconcileQueue: longer than a batch can take, so a message in
            // flight is never handed to a second consumer.
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
                QUEUE_VISIBILITY_TIMEOUT,
            )
            .send()
            .await
            .context("creating the reconcile queue on the emulator")?
            .queue_url()
            .context("CreateQueue answered no URL")?
            .to_owned();
        let queue = Arc::new(SdkJobQueue::new(sqs.clone(), queue_url.clone()));
        let mut reconcilers = Vec::with_capacity(consumers);
        for _ in 0..consumers.max(1) {
            let session = connect::connect_with(mapping.clone(), Some(&emulator.endpoint)).await?;
            reconcilers.push(Reconciler::new(
                session.ctx,
                queue.clone(),
                WaitPolicy::default(),
            ));
        }
        let session = connect::connect_with(mapping.clone(), Some(&emulator.endpoint)).await?;
        Ok(Self {
            reconcilers,
            group_sync: GroupSync::new(session.ctx, queue),
            source: LocalEventSource::new(sqs, queue_url),
            credentials: Mutex::new(BTreeMap::new()),
            batch_size,
        })
    }

    /// The accounts each container holds credentials for, now.
    pub fn cached_credentials(&self) -> BTreeMap<usize, BTreeSet<String>> {
        self.credentials
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The scheduled sweep, as the Scheduler invokes the reconciler (container 0).
    pub async fn sweep(&self, event_id: &str, all_accounts: &[String]) -> anyhow::Result<Value> {
        let mut event: Value =
            serde_json::from_str(include_str!("../../../../events/scheduled-sweep.json"))?;
        event["id"] = event_id.into();
        event["time"] = now_rfc3339().into();
        let answer = self.reconcilers[0]
            .handle(lambda_event(event))
            .await
            .map_err(|e| anyhow::anyhow!("the sweep failed: {e}"))?;
        self.remember(0, all_accounts.iter().cloned());
        Ok(answer)
    }

    /// group-sync for the `CreateAccountAssignment` record of `assignment` in `account`.
    pub async fn assignment_created(
        &self,
        assignment: &NewAssignment,
        account: &str,
    ) -> anyhow::Result<()> {
        let mut event: Value = serde_json::from_str(include_str!(
            "../../../../events/sso-create-account-assignment.json"
        ))?;
        event["id"] = "bench-assignment".into();
        event["time"] = now_rfc3339().into();
        for place in [
            "/detail/requestParameters",
            "/detail/responseElements/accountAssignmentCreationStatus",
        ] {
            let params = event
                .pointer_mut(place)
                .with_context(|| format!("the sample event has no {place}"))?;
            params["targetId"] = account.into();
            params["permissionSetArn"] = assignment.permission_set_arn.as_str().into();
            params["principalId"] = assignment.group_id.as_str().into();
        }
        event["detail"]["requestParameters"]["instanceArn"] =
            assignment.instance_arn.as_str().into();
        self.group_sync
            .handle(event)
            .await
            .map_err(|e| anyhow::anyhow!("group-sync failed: {e}"))?;
        Ok(())
    }

    /// Every consumer takes batches until nothing is visible; returns what they saw.
    pub async fn drain(&self) -> anyhow::Result<Drained> {
        let loops = (0..self.reconcilers.len()).map(|i| self.consume(i));
        let mut drained = Drained::default();
        for result in futures::future::join_all(loops).await {
            let one = result?;
            drained.batches.extend(one.batches);
            drained.failed.extend(one.failed);
            for (status, n) in one.statuses {
                *drained.statuses.entry(status).or_insert(0) += n;
            }
        }
        Ok(drained)
    }

    /// One consumer: receive, invoke the handler, acknowledge, until an empty receive.
    async fn consume(&self, container: usize) -> anyhow::Result<Drained> {
        let mut drained = Drained::default();
        loop {
            let batch = self.source.receive_up_to(self.batch_size).await?;
            if batch.records.is_empty() {
                return Ok(drained);
            }
            let jobs: Vec<ReconcileJob> = batch
                .records
                .iter()
                .filter_map(|m| serde_json::from_str(m.body.as_deref()?).ok())
                .collect();
            let accounts: BTreeSet<String> = jobs
                .iter()
                .map(|j| j.cluster.account.as_str().to_owned())
                .collect();
            let fresh = jobs.iter().any(|j| j.generation.is_none());
            let payload = serde_json::to_value(&batch)?;
            let answer = self.reconcilers[container]
                .handle(lambda_event(payload))
                .await
                .map_err(|e| anyhow::anyhow!("a batch failed: {e}"))?;
            let response: SqsBatchResponse = serde_json::from_value(answer)?;
            let failed: BTreeSet<String> = response
                .batch_item_failures
                .iter()
                .map(|f| f.item_identifier.clone())
                .collect();
            acknowledge(&self.source, &batch, &failed).await?;
            self.remember(container, accounts.iter().cloned());
            drained.failed.extend(failed);
            *drained
                .statuses
                .entry(if fresh { "event_job" } else { "sweep_job" }.to_owned())
                .or_insert(0) += jobs.len();
            drained.batches.push(BatchWork {
                container,
                accounts,
                fresh,
            });
        }
    }

    fn remember(&self, container: usize, accounts: impl IntoIterator<Item = String>) {
        self.credentials
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(container)
            .or_default()
            .extend(accounts);
    }
}

/// What Lambda's event source mapping does once the function answered: deletes the messages not
/// reported (all at once: Lambda deletes a batch's messages together).
async fn acknowledge(
    source: &LocalEventSource,
    batch: &SqsEvent,
    failed: &BTreeSet<String>,
) -> anyhow::Result<()> {
    let deletes = batch.records.iter().map(|message| {
        let mut one = SqsEvent::default();
        one.records.push(message.clone());
        async move { source.acknowledge(&one, failed).await }
    });
    for result in futures::future::join_all(deletes).await {
        result?;
    }
    Ok(())
}

/// `payload` as Lambda hands it to a function with the template's timeout ahead.
fn lambda_event(payload: Value) -> LambdaEvent<Value> {
    let mut context = lambda_runtime::Context::default();
    context.request_id = "bench".to_owned();
    let deadline = std::time::SystemTime::now() + LAMBDA_TIMEOUT;
    context.deadline = deadline
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    LambdaEvent::new(payload, context)
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The onboarding assignment of the event phase (not measured: it is the administrator's).
pub async fn assign(
    emulator: &RunningEmulator,
    containers: &Containers,
    account: &str,
) -> anyhow::Result<NewAssignment> {
    onboarding::assign_new_permission_set(
        &emulator.endpoint,
        containers.reconcilers[0].context(),
        account,
    )
    .await
}

/// One measured phase: its wall time (trigger to drained queue), the request log and the drain.
pub struct MeasuredPhase {
    /// Trigger to empty queue.
    pub wall: Duration,
    /// Every request the emulator answered.
    pub log: Vec<eks_sso_sync_emulator::RequestRecord>,
    /// The batches and failures.
    pub drained: Drained,
    /// What each of the emulator's token buckets admitted during the phase.
    pub buckets: Vec<eks_sso_sync_emulator::BucketReport>,
}

/// Runs `trigger` then drains the queue, timed, with the emulator's log cleared and its token
/// buckets refilled first.
pub async fn measure<F, Fut>(
    emulator: &RunningEmulator,
    containers: &Containers,
    trigger: F,
) -> anyhow::Result<MeasuredPhase>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    emulator.clear_requests();
    // Full buckets at the start of each phase, as after a quiet spell in AWS: setup calls
    // (container starts, the onboarding) do not eat into the phase's quota.
    emulator.set_faults(emulator.state().faults());
    let started = Instant::now();
    trigger().await?;
    let drained = containers.drain().await?;
    let wall = started.elapsed();
    Ok(MeasuredPhase {
        wall,
        log: emulator.requests(),
        drained,
        buckets: emulator.rate_limit_report(),
    })
}

/// The topology's bounds for `consumers` and `batch_size` (the engine's fan-out and the
/// reconciler's batch concurrency as built).
pub fn bounds(consumers: usize, batch_size: usize, fan_out: usize) -> Bounds {
    Bounds {
        consumers,
        batch_size,
        batch_concurrency: BATCH_CONCURRENCY,
        fan_out,
    }
}

/// The jobs of a phase as its work: per managed cluster of `accounts`, its entries now.
pub fn jobs_of(
    emulator: &RunningEmulator,
    org: &SyntheticOrg,
    accounts: &[String],
    new_entries: usize,
) -> Vec<super::topology::JobWork> {
    accounts
        .iter()
        .flat_map(|account| {
            (0..org.shape.clusters_per_account).map(move |i| {
                let counts =
                    org::entry_counts(&emulator.entries(account, REGION, &org::cluster_name(i)));
                super::topology::JobWork {
                    account: account.clone(),
                    entries_before: counts.total,
                    decisive_before: counts.decisive,
                    unmanaged_admins: counts.unmanaged_admins,
                    new_entries,
                }
            })
        })
        .collect()
}
