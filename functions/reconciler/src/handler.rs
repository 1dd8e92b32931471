//! Reconciler handler: the typed input (an SQS batch of reconcile jobs, or the scheduled sweep;
//! anything else is rejected) and the Lambda entry point. Batches are processed in [`crate::batch`],
//! the sweep in [`crate::sweep`]. Each SQS message names one cluster; the FIFO queue's message
//! group is the cluster ARN, so one cluster is never reconciled twice at once. A cluster that is
//! not `ACTIVE` yet is waited for durably: the message is hidden again with a growing visibility
//! timeout, and after a bounded total wait it is failed so that the redrive policy moves it to
//! the DLQ.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_lambda_events::sqs::SqsEvent;
use eks_sso_sync::domain::ClusterRef;
use eks_sso_sync::engine::{ReconcileContext, ReconcileStatus};
use eks_sso_sync::events::{self, Trigger};
use eks_sso_sync::invocation::{self, InvocationError, event_time};
use eks_sso_sync::metrics::Metrics;
use eks_sso_sync::ports::JobQueue;
use lambda_runtime::{Context, LambdaEvent};
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

/// How long and how patiently to wait for a cluster to become `ACTIVE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitPolicy {
    /// Give up after this many seconds since the first enqueue (creation takes 10–15 minutes;
    /// an hour leaves room for slow regions and for an auth-mode switch after creation).
    pub max_wait_secs: i64,
    /// The first delay; doubled on each receive.
    pub base_delay_secs: u32,
    /// The longest delay (SQS allows up to 12 hours; 15 minutes keeps new clusters snappy).
    pub max_delay_secs: u32,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        Self {
            max_wait_secs: 3600,
            base_delay_secs: 60,
            max_delay_secs: 900,
        }
    }
}

impl WaitPolicy {
    /// The visibility delay before the `receive_count`-th retry.
    pub fn delay(&self, receive_count: u32) -> u32 {
        let exp = receive_count.saturating_sub(1).min(16);
        self.base_delay_secs
            .saturating_mul(1 << exp)
            .min(self.max_delay_secs)
    }
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum MessageOutcome {
    /// Reconciled (whatever the cluster's state): the message is deleted.
    Done {
        /// The cluster.
        cluster: ClusterRef,
        /// Where it stands.
        status: ReconcileStatus,
        /// Changes applied.
        changes: usize,
        /// The shadow admins found (unmanaged entries with admin access, never changed), each
        /// naming who made it and when if the drift event behind the job says so.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unmanaged_admins: Vec<eks_sso_sync::plan::UnmanagedAdmin>,
    },
    /// The cluster is not ready: hidden for `delay_secs`, then redelivered.
    Waiting {
        /// The cluster.
        cluster: ClusterRef,
        /// The visibility delay set.
        delay_secs: u32,
    },
    /// Failed. Whether the message is redelivered (and reaches the DLQ after `maxReceiveCount`)
    /// or finished (a permanent failure, counted in `PermanentFailures`) is the item's
    /// [`crate::batch::Disposition`].
    Failed {
        /// Why.
        reason: String,
    },
}

/// FIFO message groups (clusters) reconciled at once within one batch. Different groups are
/// independent clusters; four keeps a batch of ten inside the timeout at injected latencies while
/// bounding the EKS and IAM calls one invocation makes at a time (each reconcile has its own
/// bounded fan-out inside the engine).
pub const BATCH_CONCURRENCY: usize = 4;

/// Time kept back before the invocation deadline. At `deadline - DEADLINE_MARGIN` no further
/// message is started and reconciles still running are abandoned (every write is idempotent and
/// the redelivered job reads fresh state, so an abandoned reconcile is safe to redo), leaving the
/// margin to answer Lambda with the unprocessed messages as batch item failures: a function that
/// times out has its whole batch redelivered, the finished messages included. Fifteen seconds
/// covers dropping the in-flight calls, the visibility changes and the response, with room for a
/// slow SDK retry that was already under way.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(15);

/// The metric counting reconcile jobs finished because retrying them cannot help (access denied,
/// a conflict that is not ours, a request rejected as invalid). Each is logged at ERROR with its
/// cluster; the next sweep tries again once someone fixed the cause.
pub const PERMANENT_FAILURES: &str = "PermanentFailures";

/// What the reconciler accepts: nothing else reaches the engine.
#[derive(Debug, Clone)]
pub enum ReconcilerInput {
    /// Reconcile jobs from the SQS event source mapping.
    Batch(SqsEvent),
    /// The scheduled sweep, as the event classifier recognises it.
    Sweep {
        /// The event's id (the Scheduler's execution id): the trigger id of every job.
        event_id: String,
        /// The event's `time` (the scheduled time), seconds since the epoch: it is the same on
        /// the Scheduler's retries, so the retried sweep's jobs get the same deduplication ids.
        time: Option<i64>,
    },
}

impl ReconcilerInput {
    /// Parses a payload: an SQS batch (every record from `aws:sqs`), or an EventBridge-shaped
    /// event the classifier recognises as the scheduled sweep. A malformed event is
    /// [`InvocationError::InvalidEvent`]; any other event is [`InvocationError::UnexpectedInput`].
    pub fn parse(payload: Value) -> Result<Self, InvocationError> {
        let unexpected = |what: String| InvocationError::UnexpectedInput {
            function: "reconciler",
            what,
        };
        if payload.get("Records").is_some() {
            let batch: SqsEvent = serde_json::from_value(payload)
                .map_err(|e| unexpected(format!("`Records` is not an SQS batch: {e}")))?;
            if let Some(other) = batch
                .records
                .iter()
                .find(|r| r.event_source.as_deref() != Some("aws:sqs"))
            {
                return Err(unexpected(format!(
                    "a record from {:?}, not aws:sqs",
                    other.event_source.as_deref().unwrap_or("nowhere")
                )));
            }
            return Ok(Self::Batch(batch));
        }
        let time = event_time(&payload);
        let classified = events::parse_event_value(payload)?;
        match classified.trigger {
            Trigger::ScheduledSweep => Ok(Self::Sweep {
                event_id: classified.event_id,
                time,
            }),
            other => Err(unexpected(format!(
                "a {} event (id {}); only SQS batches and the scheduled sweep are handled here",
                other.kind(),
                classified.event_id
            ))),
        }
    }
}

/// The reconciler: the engine context and the queue, built once per cold start.
pub struct Reconciler {
    pub(crate) ctx: ReconcileContext,
    pub(crate) queue: Arc<dyn JobQueue>,
    pub(crate) wait: WaitPolicy,
    pub(crate) now: Arc<dyn Fn() -> i64 + Send + Sync>,
    pub(crate) concurrency: usize,
    /// The Identity Center snapshot of the sweep being drained (warm-container memory).
    pub(crate) snapshots: crate::snapshots::SnapshotCache,
}

impl Reconciler {
    /// A reconciler over `ctx` and `queue`, using the wall clock.
    pub fn new(ctx: ReconcileContext, queue: Arc<dyn JobQueue>, wait: WaitPolicy) -> Self {
        Self {
            ctx,
            queue,
            wait,
            now: Arc::new(|| time::OffsetDateTime::now_utc().unix_timestamp()),
            concurrency: BATCH_CONCURRENCY,
            snapshots: crate::snapshots::SnapshotCache::default(),
        }
    }

    /// The engine context this reconciler was built with (its ports and mapping).
    pub fn context(&self) -> &ReconcileContext {
        &self.ctx
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.now = Arc::new(now);
        self
    }

    /// Reconciles up to `concurrency` FIFO groups of a batch at once (at least one).
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The Lambda entry point. An SQS batch is answered with its `SqsBatchResponse`, honouring
    /// the invocation deadline; the sweep with its summary, or an error when part of it failed
    /// (so the Scheduler's retry and DLQ engage); anything else is rejected, counted in
    /// `MalformedEvents` and answered (retrying cannot fix it), and nothing is swept.
    #[tracing::instrument(
        name = "invocation",
        skip_all,
        fields(
            function = "reconciler",
            request_id = %event.context.request_id,
            mapping_sha256 = %self.ctx.mapping.sha256,
        )
    )]
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, InvocationError> {
        let deadline = deadline_of(&event.context);
        let result = match ReconcilerInput::parse(event.payload) {
            Ok(ReconcilerInput::Batch(batch)) => {
                let response = self.handle_batch(&batch, deadline).await;
                serde_json::to_value(response).map_err(InvocationError::from)
            }
            Ok(ReconcilerInput::Sweep { event_id, time }) => {
                let enqueued_at = invocation::enqueue_time(time, (self.now)());
                self.run_sweep(Some(event_id), enqueued_at)
                    .await
                    .and_then(|summary| serde_json::to_value(summary).map_err(Into::into))
            }
            Err(e) => Err(e),
        };
        invocation::respond(invocation::finish(result, Metrics::new("reconciler")))
    }
}

/// The invocation deadline as a monotonic instant; `None` when the context has none (a
/// `Context::default()` outside Lambda, where the deadline is 0).
pub fn deadline_of(context: &Context) -> Option<Instant> {
    if context.deadline == 0 {
        return None;
    }
    let remaining = context
        .deadline()
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    Some(Instant::now() + remaining)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_from_the_base_on_each_receive() {
        let wait = WaitPolicy::default();
        let delays: Vec<u32> = (1..=5).map(|n| wait.delay(n)).collect();
        assert_eq!(delays, [60, 120, 240, 480, 900]);
    }

    #[test]
    fn delay_is_capped_and_never_overflows() {
        let wait = WaitPolicy {
            max_wait_secs: 3600,
            base_delay_secs: 60,
            max_delay_secs: 900,
        };
        assert_eq!(wait.delay(6), 900);
        assert_eq!(wait.delay(u32::MAX), 900);
        let huge = WaitPolicy {
            base_delay_secs: u32::MAX / 2,
            max_delay_secs: 43_200,
            ..wait
        };
        assert_eq!(huge.delay(3), 43_200, "a saturated product is still capped");
    }

    #[test]
    fn a_missing_or_zero_receive_count_gets_the_base_delay() {
        let wait = WaitPolicy::default();
        assert_eq!(wait.delay(0), 60);
        assert_eq!(wait.delay(1), 60);
    }
}
