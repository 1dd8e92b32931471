//! One SQS batch of reconcile jobs: the messages of different FIFO groups (clusters) are
//! reconciled concurrently, up to [`crate::handler::BATCH_CONCURRENCY`] at a time; within a group
//! they stay in order, and once one is not finished the later ones are left unprocessed so SQS
//! redelivers them in order. Nothing is started after the invocation deadline less
//! [`DEADLINE_MARGIN`], and what runs then is abandoned, so the batch response (which lists every
//! message not finished) always reaches Lambda.
//!
//! Failures that retrying cannot fix (access denied, a conflict that is not ours, a rejected
//! request) finish the message and count in [`PERMANENT_FAILURES`] instead of blocking the
//! cluster's group until `maxReceiveCount`. A poison body (not a reconcile job) cannot be fixed
//! by retrying either, but it is kept for the DLQ: it is reported as failed with its visibility
//! set to 0, so SQS redelivers it at once on every receive, it reaches `maxReceiveCount` within
//! seconds instead of after `maxReceiveCount` visibility timeouts (hours), and the queue's
//! redrive policy moves it, body intact, to the DLQ where the `ReconcileDeadLetterAlarm` fires.
//! (Sending it to the DLQ ourselves would need the DLQ's URL and `sqs:SendMessage` on it, and
//! would lose the redrive attributes an operator's `start-message-move-task` relies on.)

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use eks_sso_sync::domain::{ClusterRef, ClusterStatus, EntryChange};
use eks_sso_sync::engine::{
    self, ClusterReport, EngineError, ReconcileContext, ReconcileOptions, ReconcileStatus,
};
use eks_sso_sync::invocation::FailureKind;
use eks_sso_sync::metrics::{Metrics, names};
use eks_sso_sync::ports::{PortError, ReconcileJob};
use futures::stream::{self, StreamExt};
use tokio::time::Instant;

use crate::handler::{DEADLINE_MARGIN, MessageOutcome, PERMANENT_FAILURES, Reconciler};
use crate::snapshots::BatchContexts;

/// What becomes of a message once the function answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Finished: not reported, so the event source mapping deletes it.
    Finished,
    /// Reported as a batch item failure: SQS redelivers it after its visibility timeout (and
    /// moves it to the DLQ after `maxReceiveCount` receives).
    Redeliver,
}

/// One message of a batch and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemReport {
    /// The SQS message id (the batch item identifier).
    pub message_id: String,
    /// What happened.
    pub outcome: MessageOutcome,
    /// Whether it is finished or redelivered.
    pub disposition: Disposition,
}

impl ItemReport {
    fn finished(message: &SqsMessage, outcome: MessageOutcome) -> Self {
        Self::new(message, outcome, Disposition::Finished)
    }

    fn redeliver(message: &SqsMessage, reason: impl Into<String>) -> Self {
        let outcome = MessageOutcome::Failed {
            reason: reason.into(),
        };
        Self::new(message, outcome, Disposition::Redeliver)
    }

    fn new(message: &SqsMessage, outcome: MessageOutcome, disposition: Disposition) -> Self {
        Self {
            message_id: message.message_id.clone().unwrap_or_default(),
            outcome,
            disposition,
        }
    }
}

/// The messages of one FIFO group, in batch order.
type Group<'a> = Vec<(usize, &'a SqsMessage)>;

impl Reconciler {
    /// Processes an SQS batch and reports exactly the messages not finished, before `deadline`
    /// (see [`DEADLINE_MARGIN`]). A waiting message was already hidden for its delay, so
    /// reporting it keeps it in the queue without an immediate retry.
    pub async fn handle_batch(
        &self,
        batch: &SqsEvent,
        deadline: Option<Instant>,
    ) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for item in self.process_batch(batch, deadline).await {
            if item.disposition == Disposition::Redeliver {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = item.message_id;
                response.batch_item_failures.push(failure);
            }
        }
        response
    }

    /// Processes an SQS batch and returns each message's report, in batch order.
    #[tracing::instrument(
        name = "reconcile_batch",
        skip_all,
        fields(messages = batch.records.len(), mapping_sha256 = %self.ctx.mapping.sha256)
    )]
    pub async fn process_batch(
        &self,
        batch: &SqsEvent,
        deadline: Option<Instant>,
    ) -> Vec<ItemReport> {
        // Identity Center once per sweep per container, EKS fresh per reconcile.
        let contexts = self.snapshots.contexts(&self.ctx, &batch.records);
        let metrics = Mutex::new(Metrics::new("reconciler"));
        let cutoff = deadline.map(|d| d.checked_sub(DEADLINE_MARGIN).unwrap_or(d));
        let mut reports: Vec<(usize, ItemReport)> = stream::iter(groups(batch))
            .map(|group| self.process_group(&contexts, group, cutoff, &metrics))
            .buffer_unordered(self.concurrency)
            .flat_map(stream::iter)
            .collect()
            .await;
        reports.sort_by_key(|(index, _)| *index);
        let unfinished = reports
            .iter()
            .filter(|(_, r)| r.disposition == Disposition::Redeliver)
            .count();
        tracing::info!(messages = reports.len(), unfinished, "batch processed");
        metrics
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .flush();
        reports.into_iter().map(|(_, report)| report).collect()
    }

    /// One group's messages in order; after one that is not finished the rest are left
    /// unprocessed, and nothing starts after `cutoff`.
    async fn process_group(
        &self,
        contexts: &BatchContexts,
        group: Group<'_>,
        cutoff: Option<Instant>,
        metrics: &Mutex<Metrics>,
    ) -> Vec<(usize, ItemReport)> {
        let mut done = BTreeSet::new();
        let mut blocked: Option<&str> = None;
        let mut reports = Vec::with_capacity(group.len());
        for (index, message) in group {
            let report = match blocked {
                Some(reason) => ItemReport::redeliver(message, reason),
                None if cutoff.is_some_and(|c| Instant::now() >= c) => {
                    ItemReport::redeliver(message, "not started: the invocation deadline is near")
                }
                None => {
                    let ctx = contexts.for_message(message);
                    let work = self.process(ctx, message, &mut done, metrics);
                    match cutoff {
                        Some(c) => tokio::time::timeout_at(c, work).await.unwrap_or_else(|_| {
                            tracing::warn!(
                                message_id = message.message_id.as_deref(),
                                "reconcile abandoned at the invocation deadline"
                            );
                            ItemReport::redeliver(message, "abandoned at the invocation deadline")
                        }),
                        None => work.await,
                    }
                }
            };
            if report.disposition == Disposition::Redeliver {
                blocked = Some("not processed: an earlier message of this group is not finished");
            }
            reports.push((index, report));
        }
        reports
    }

    /// One message: parse the job, reconcile its cluster, decide what becomes of the message.
    #[tracing::instrument(skip_all, fields(message_id = message.message_id.as_deref()))]
    async fn process(
        &self,
        ctx: &ReconcileContext,
        message: &SqsMessage,
        done: &mut BTreeSet<ClusterRef>,
        metrics: &Mutex<Metrics>,
    ) -> ItemReport {
        let job: ReconcileJob = match message.body.as_deref().map(serde_json::from_str) {
            Some(Ok(job)) => job,
            Some(Err(e)) => {
                let reason = format!("body is not a reconcile job: {e}");
                return self.poisoned(message, &reason, metrics).await;
            }
            None => return self.poisoned(message, "message has no body", metrics).await,
        };
        // Two jobs for one cluster in a batch: the first reconcile read fresh state already.
        if done.contains(&job.cluster) {
            let outcome = MessageOutcome::Done {
                cluster: job.cluster,
                status: ReconcileStatus::InSync,
                changes: 0,
                unmanaged_admins: Vec::new(),
            };
            return ItemReport::finished(message, outcome);
        }
        let options = ReconcileOptions {
            dry_run: false,
            trigger_event_id: job.event_id.clone(),
            trigger: Some(job.reason.clone()),
            // Only an operator overrides the deletion limit, never an event.
            allow_mass_deletion: false,
            creator: job.creator.clone(),
        };
        let mut report = match engine::reconcile_cluster(&job.cluster, ctx, &options).await {
            Ok(report) => report,
            Err(e) => return failed_reconcile(message, &job, &e, metrics),
        };
        if let Some(change) = &job.entry_change {
            attribute_admins(&job, change, &mut report);
        }
        report.count_into(&mut lock(metrics));
        self.settle(message, job, report, done, metrics).await
    }

    /// What a reconcile report means for its message.
    async fn settle(
        &self,
        message: &SqsMessage,
        job: ReconcileJob,
        report: ClusterReport,
        done: &mut BTreeSet<ClusterRef>,
        metrics: &Mutex<Metrics>,
    ) -> ItemReport {
        match report.status {
            ReconcileStatus::Waiting { status } => self.wait_for(message, &job, status).await,
            ReconcileStatus::PartiallyApplied => {
                let failed: Vec<&PortError> = report
                    .apply
                    .failures()
                    .filter_map(|r| match &r.outcome {
                        engine::Outcome::Failed { error } => Some(error),
                        _ => None,
                    })
                    .collect();
                let kind = FailureKind::worst(failed.iter().map(|e| FailureKind::of(e)));
                let reason = format!(
                    "{} operation(s) failed on {} ({})",
                    report.apply.failures().count(),
                    job.cluster,
                    kind.error_type()
                );
                // Permanent only when every failed call is: one transient failure is worth a retry.
                let permanent =
                    !failed.is_empty() && failed.iter().all(|e| FailureKind::of(e).is_permanent());
                if permanent {
                    return permanent_failure(message, &job.cluster, reason, metrics);
                }
                ItemReport::redeliver(message, reason)
            }
            status => {
                done.insert(job.cluster.clone());
                let outcome = MessageOutcome::Done {
                    cluster: job.cluster,
                    status,
                    changes: report.apply.applied(),
                    unmanaged_admins: report.unmanaged_admins,
                };
                ItemReport::finished(message, outcome)
            }
        }
    }

    /// A cluster not `ACTIVE` yet: hide the message for the next delay, or give up after the
    /// bounded total wait.
    async fn wait_for(
        &self,
        message: &SqsMessage,
        job: &ReconcileJob,
        status: ClusterStatus,
    ) -> ItemReport {
        let waited = (self.now)() - job.first_enqueued_at;
        if waited > self.wait.max_wait_secs {
            let reason = format!(
                "cluster {} still {} after {waited} s (limit {} s); giving up so the message reaches the DLQ",
                job.cluster.arn(),
                status.as_str(),
                self.wait.max_wait_secs
            );
            tracing::error!(cluster = %job.cluster.arn(), status = status.as_str(), waited, "{reason}");
            self.redeliver_now(message).await;
            return ItemReport::redeliver(message, reason);
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
        let outcome = MessageOutcome::Waiting {
            cluster: job.cluster.clone(),
            delay_secs,
        };
        ItemReport::new(message, outcome, crate::batch::Disposition::Redeliver)
    }

    /// A body that is not a reconcile job: counted, logged, and sent on its way to the DLQ
    /// (see the module documentation).
    async fn poisoned(
        &self,
        message: &SqsMessage,
        reason: &str,
        metrics: &Mutex<Metrics>,
    ) -> ItemReport {
        lock(metrics).add(names::MALFORMED_EVENTS, 1);
        tracing::error!(
            message_id = message.message_id.as_deref(),
            reason,
            "poisoned message; redelivered at once so that it reaches the DLQ"
        );
        self.redeliver_now(message).await;
        ItemReport::redeliver(message, format!("poisoned: {reason}"))
    }

    /// Makes SQS redeliver `message` at once, so the redrive policy moves it to the DLQ after
    /// `maxReceiveCount` quick receives instead of as many visibility timeouts.
    async fn redeliver_now(&self, message: &SqsMessage) {
        if let Some(handle) = &message.receipt_handle {
            if let Err(e) = self.queue.retry_later(handle, 0).await {
                tracing::warn!(error = %e, "could not make the message visible again; SQS retries after its visibility timeout");
            }
        }
    }
}

/// A drift job: names the access-entry change behind it as the origin of the unmanaged admin it
/// made (someone else's `CreateAccessEntry` / `AssociateAccessPolicy` of that principal), in
/// the report and in an audit line. The entry itself is never changed.
fn attribute_admins(job: &ReconcileJob, change: &EntryChange, report: &mut ClusterReport) {
    if !eks_sso_sync::plan::attribute(&mut report.unmanaged_admins, change) {
        return;
    }
    for admin in report
        .unmanaged_admins
        .iter()
        .filter(|a| a.made_by.is_some())
    {
        tracing::warn!(
            target: "audit",
            cluster = %job.cluster.arn(),
            principal = %admin.principal,
            operation = %change.operation,
            made_by = change.by.as_deref(),
            made_at = change.at.as_deref(),
            event_id = job.event_id.as_deref(),
            "unmanaged admin entry made outside eks-sso-sync; reported, never changed"
        );
    }
}

/// A reconcile that failed before applying anything (reading state failed).
fn failed_reconcile(
    message: &SqsMessage,
    job: &ReconcileJob,
    error: &EngineError,
    metrics: &Mutex<Metrics>,
) -> ItemReport {
    lock(metrics).add(names::APPLY_ERRORS, 1);
    // The engine's error wraps the failed call; its kind decides (new engine variants without
    // a call fall back on the engine's own transient flag).
    let kind = std::error::Error::source(error)
        .and_then(|s| s.downcast_ref::<PortError>())
        .map(FailureKind::of)
        .unwrap_or(if error.is_transient() {
            FailureKind::Retryable
        } else {
            FailureKind::Failed
        });
    let reason = format!("{} ({})", error, kind.error_type());
    if kind.is_permanent() {
        return permanent_failure(message, &job.cluster, reason, metrics);
    }
    tracing::error!(cluster = %job.cluster.arn(), error = %error, error_type = kind.error_type(), "reconcile failed; redelivered");
    ItemReport::redeliver(message, reason)
}

/// Finishes a message whose failure retrying cannot fix, so the cluster's FIFO group moves on;
/// counted in [`PERMANENT_FAILURES`] (which has an alarm) and logged with its cluster.
fn permanent_failure(
    message: &SqsMessage,
    cluster: &ClusterRef,
    reason: String,
    metrics: &Mutex<Metrics>,
) -> ItemReport {
    lock(metrics).add(PERMANENT_FAILURES, 1);
    tracing::error!(cluster = %cluster.arn(), reason = %reason, "permanent failure; message finished, the next sweep retries");
    let outcome = MessageOutcome::Failed {
        reason: format!("permanent: {reason}"),
    };
    ItemReport::finished(message, outcome)
}

/// The batch's messages by FIFO group, groups in order of first appearance. A message without a
/// group (a standard queue) is a group of its own.
fn groups(batch: &SqsEvent) -> Vec<Group<'_>> {
    let mut by_id: BTreeMap<&str, usize> = BTreeMap::new();
    let mut groups: Vec<Group<'_>> = Vec::new();
    for (index, message) in batch.records.iter().enumerate() {
        let slot = match message.attributes.get("MessageGroupId") {
            Some(id) => *by_id.entry(id.as_str()).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            }),
            None => {
                groups.push(Vec::new());
                groups.len() - 1
            }
        };
        groups[slot].push((index, message));
    }
    groups
}

/// The batch's metrics; a poisoned lock (a panic elsewhere) still counts.
fn lock(metrics: &Mutex<Metrics>) -> std::sync::MutexGuard<'_, Metrics> {
    metrics.lock().unwrap_or_else(PoisonError::into_inner)
}
