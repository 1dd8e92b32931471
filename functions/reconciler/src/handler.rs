//! Reconciler handler. Each SQS message names one cluster; the FIFO queue's message group is the
//! cluster ARN, so one cluster is never reconciled twice at once. A cluster that is not `ACTIVE`
//! yet is waited for durably: the message is hidden again with a growing visibility timeout, and
//! after a bounded total wait it is failed so that the redrive policy moves it to the DLQ.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use eks_sso_sync::domain::ClusterRef;
use eks_sso_sync::engine::{self, ReconcileContext, ReconcileOptions, ReconcileStatus};
use eks_sso_sync::metrics::{Metrics, names};
use eks_sso_sync::ports::{JobQueue, ReconcileJob};
use serde::Serialize;
use serde_json::Value;

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
    },
    /// The cluster is not ready: hidden for `delay_secs`, then redelivered.
    Waiting {
        /// The cluster.
        cluster: ClusterRef,
        /// The visibility delay set.
        delay_secs: u32,
    },
    /// Failed: redelivered by SQS, to the DLQ after `maxReceiveCount`.
    Failed {
        /// Why.
        reason: String,
    },
}

/// The reconciler: the engine context and the queue, built once per cold start.
pub struct Reconciler {
    ctx: ReconcileContext,
    queue: Arc<dyn JobQueue>,
    wait: WaitPolicy,
    now: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl Reconciler {
    /// A reconciler over `ctx` and `queue`, using the wall clock.
    pub fn new(ctx: ReconcileContext, queue: Arc<dyn JobQueue>, wait: WaitPolicy) -> Self {
        Self {
            ctx,
            queue,
            wait,
            now: Arc::new(|| time::OffsetDateTime::now_utc().unix_timestamp()),
        }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.now = Arc::new(now);
        self
    }

    /// The Lambda entry point: an SQS batch (has `Records`) or anything else, which is the
    /// scheduled sweep. Returns the `SqsBatchResponse` or the sweep summary as JSON.
    pub async fn handle(
        &self,
        event: Value,
        event_id: Option<String>,
    ) -> Result<Value, serde_json::Error> {
        if event.get("Records").is_some() {
            let batch: SqsEvent = serde_json::from_value(event)?;
            let response = self.handle_batch(&batch).await;
            return serde_json::to_value(response);
        }
        let event_id =
            event_id.or_else(|| event.get("id").and_then(Value::as_str).map(str::to_owned));
        serde_json::to_value(self.sweep(event_id).await)
    }

    /// Processes an SQS batch and reports exactly the failed items: every message that is not
    /// [`MessageOutcome::Done`] (a waiting message was already hidden for its delay, so reporting
    /// it keeps it in the queue without an immediate retry).
    pub async fn handle_batch(&self, batch: &SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for (id, outcome) in self.process_batch(batch).await {
            if matches!(outcome, MessageOutcome::Done { .. }) {
                continue;
            }
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
        response
    }

    /// Processes an SQS batch and returns each message's id and outcome, in batch order. For a
    /// FIFO queue, once a message of a group fails, the later messages of that group are failed
    /// too (unprocessed), so that their order is kept.
    pub async fn process_batch(&self, batch: &SqsEvent) -> Vec<(String, MessageOutcome)> {
        let ctx = self.ctx.fresh();
        let mut metrics = Metrics::new("reconciler");
        let mut failed_groups = BTreeSet::new();
        let mut done_clusters = BTreeSet::new();
        let mut outcomes = Vec::with_capacity(batch.records.len());
        for message in &batch.records {
            let id = message.message_id.clone().unwrap_or_default();
            let group = message.attributes.get("MessageGroupId").cloned();
            let outcome = if group.as_ref().is_some_and(|g| failed_groups.contains(g)) {
                MessageOutcome::Failed {
                    reason: "an earlier message of this group failed".to_owned(),
                }
            } else {
                self.process(&ctx, message, &mut done_clusters, &mut metrics)
                    .await
            };
            if let (MessageOutcome::Failed { .. }, Some(g)) = (&outcome, group) {
                failed_groups.insert(g);
            }
            outcomes.push((id, outcome));
        }
        metrics.flush();
        outcomes
    }

    async fn process(
        &self,
        ctx: &ReconcileContext,
        message: &SqsMessage,
        done: &mut BTreeSet<ClusterRef>,
        metrics: &mut Metrics,
    ) -> MessageOutcome {
        let job: ReconcileJob = match message.body.as_deref().map(serde_json::from_str) {
            Some(Ok(job)) => job,
            Some(Err(e)) => {
                return poisoned(
                    message,
                    &format!("body is not a reconcile job: {e}"),
                    metrics,
                );
            }
            None => return poisoned(message, "message has no body", metrics),
        };
        // Two jobs for one cluster in a batch: the first reconcile read fresh state already.
        if done.contains(&job.cluster) {
            return MessageOutcome::Done {
                cluster: job.cluster,
                status: ReconcileStatus::InSync,
                changes: 0,
            };
        }
        let options = ReconcileOptions {
            dry_run: false,
            trigger_event_id: job.event_id.clone(),
            // Only an operator overrides the deletion limit, never an event.
            allow_mass_deletion: false,
        };
        let report = match engine::reconcile_cluster(&job.cluster, ctx, &options).await {
            Ok(report) => report,
            Err(e) => {
                metrics.add(names::APPLY_ERRORS, 1);
                tracing::error!(cluster = %job.cluster.arn(), error = %e, transient = e.is_transient(), "reconcile failed");
                return MessageOutcome::Failed {
                    reason: e.to_string(),
                };
            }
        };
        report.count_into(metrics);
        match report.status {
            ReconcileStatus::Waiting { status } => self.wait_for(message, &job, status).await,
            ReconcileStatus::PartiallyApplied => MessageOutcome::Failed {
                reason: format!(
                    "{} operation(s) failed on {}",
                    report.apply.failures().count(),
                    job.cluster
                ),
            },
            status => {
                done.insert(job.cluster.clone());
                MessageOutcome::Done {
                    cluster: job.cluster,
                    status,
                    changes: report.apply.applied(),
                }
            }
        }
    }

    async fn wait_for(
        &self,
        message: &SqsMessage,
        job: &ReconcileJob,
        status: eks_sso_sync::domain::ClusterStatus,
    ) -> MessageOutcome {
        let waited = (self.now)() - job.first_enqueued_at;
        if waited > self.wait.max_wait_secs {
            let reason = format!(
                "cluster {} still {} after {waited} s (limit {} s); giving up so the message reaches the DLQ",
                job.cluster.arn(),
                status.as_str(),
                self.wait.max_wait_secs
            );
            tracing::error!(cluster = %job.cluster.arn(), status = status.as_str(), waited, "{reason}");
            // Make SQS redeliver at once so the redrive policy moves it to the DLQ quickly.
            if let Some(handle) = &message.receipt_handle {
                let _ = self.queue.retry_later(handle, 0).await;
            }
            return MessageOutcome::Failed { reason };
        }
        let receive_count = message
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|c| c.parse().ok())
            .unwrap_or(1);
        let delay_secs = self.wait.delay(receive_count);
        if let Some(handle) = &message.receipt_handle {
            if let Err(e) = self.queue.retry_later(handle, delay_secs).await {
                tracing::warn!(cluster = %job.cluster.arn(), error = %e, "could not delay the message; SQS retries after its visibility timeout");
            }
        }
        tracing::info!(cluster = %job.cluster.arn(), status = status.as_str(), delay_secs, "cluster not ready; waiting");
        MessageOutcome::Waiting {
            cluster: job.cluster.clone(),
            delay_secs,
        }
    }

    /// The scheduled sweep: one job per managed cluster in every configured account and region.
    pub async fn sweep(&self, event_id: Option<String>) -> SweepSummary {
        let ctx = self.ctx.fresh();
        let mut metrics = Metrics::new("reconciler");
        let listing = engine::list_clusters(&ctx, None).await;
        let (clusters, errors) = (listing.managed, listing.errors);
        for (account, region, error) in &errors {
            metrics.add(names::APPLY_ERRORS, 1);
            tracing::error!(account = %account, region = %region, error = %error, "cannot list clusters");
        }
        let now = (self.now)();
        // Out-of-scope clusters are reconciled too: their managed entries (orphans) are reported
        // and handled as options.on_unmanaged_cluster says, never silently forgotten.
        let jobs: Vec<ReconcileJob> = clusters
            .iter()
            .map(|c| ReconcileJob::new(c.clone(), "scheduled sweep", event_id.clone(), now))
            .chain(listing.out_of_scope.iter().map(|c| {
                ReconcileJob::new(
                    c.clone(),
                    "scheduled sweep (out of scope)",
                    event_id.clone(),
                    now,
                )
            }))
            .collect();
        let enqueue_error = match self.queue.enqueue(&jobs).await {
            Ok(()) => None,
            Err(e) => {
                metrics.add(names::APPLY_ERRORS, 1);
                tracing::error!(error = %e, "enqueueing sweep jobs failed");
                Some(e.to_string())
            }
        };
        metrics.add(names::JOBS_ENQUEUED, jobs.len());
        metrics.flush();
        SweepSummary {
            clusters,
            listing_errors: errors
                .iter()
                .map(|(a, r, e)| format!("{a}/{r}: {e}"))
                .collect(),
            enqueue_error,
        }
    }
}

/// What the sweep did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    /// The clusters a job was enqueued for.
    pub clusters: Vec<ClusterRef>,
    /// Accounts/regions that could not be listed.
    pub listing_errors: Vec<String>,
    /// Why enqueueing failed, if it did.
    pub enqueue_error: Option<String>,
}

fn poisoned(message: &SqsMessage, reason: &str, metrics: &mut Metrics) -> MessageOutcome {
    metrics.add(names::MALFORMED_EVENTS, 1);
    tracing::error!(
        message_id = message.message_id.as_deref(),
        reason,
        "poisoned message"
    );
    MessageOutcome::Failed {
        reason: reason.to_owned(),
    }
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
