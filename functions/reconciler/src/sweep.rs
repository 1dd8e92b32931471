//! The scheduled sweep: one job per cluster in every configured account and region, managed or
//! out of scope (whose managed entries are orphans the reconcile reports). A sweep that could not
//! list some accounts, or not enqueue, still enqueues what it found, and then fails the
//! invocation so that the Scheduler retries it and, after its retries, puts the event in the
//! trigger DLQ. The retry is idempotent: its jobs carry the same event id and the same
//! `first_enqueued_at` (the scheduled time, when the retry comes within SQS's five-minute
//! deduplication window; see `invocation::enqueue_time`), so they get the same FIFO
//! deduplication ids and SQS drops the copies; a later copy only costs one more reconcile, which
//! changes nothing on a converged cluster.

use eks_sso_sync::domain::ClusterRef;
use eks_sso_sync::engine;
use eks_sso_sync::invocation::{FailureKind, InvocationError};
use eks_sso_sync::metrics::{Metrics, names};
use eks_sso_sync::ports::ReconcileJob;
use serde::Serialize;

use crate::handler::Reconciler;

/// What the sweep did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    /// The managed clusters a job was enqueued for.
    pub clusters: Vec<ClusterRef>,
    /// Accounts/regions that could not be listed.
    pub listing_errors: Vec<String>,
    /// Why enqueueing failed, if it did.
    pub enqueue_error: Option<String>,
}

impl Reconciler {
    /// The sweep as the CLI runs it: every failure is in the summary, nothing is an error.
    pub async fn sweep(&self, event_id: Option<String>) -> SweepSummary {
        self.sweep_inner(event_id, (self.now)()).await.0
    }

    /// The sweep as Lambda runs it: jobs stamped `enqueued_at` (the scheduled time), and any
    /// listing or enqueue failure fails the invocation after what was found was enqueued.
    #[tracing::instrument(skip(self), fields(mapping_sha256 = %self.ctx.mapping.sha256))]
    pub async fn run_sweep(
        &self,
        event_id: Option<String>,
        enqueued_at: i64,
    ) -> Result<SweepSummary, InvocationError> {
        let (summary, kinds) = self.sweep_inner(event_id, enqueued_at).await;
        if kinds.is_empty() {
            return Ok(summary);
        }
        let completed = match &summary.enqueue_error {
            None => format!("{} managed cluster(s) enqueued", summary.clusters.len()),
            Some(_) => "nothing enqueued".to_owned(),
        };
        Err(InvocationError::Incomplete {
            kind: FailureKind::worst(kinds),
            completed,
            failures: summary
                .listing_errors
                .iter()
                .chain(summary.enqueue_error.iter())
                .cloned()
                .collect(),
        })
    }

    /// Lists, enqueues, and returns the summary with the kind of every failure.
    async fn sweep_inner(
        &self,
        event_id: Option<String>,
        enqueued_at: i64,
    ) -> (SweepSummary, Vec<FailureKind>) {
        let ctx = self.ctx.fresh();
        let mut metrics = Metrics::new("reconciler");
        let listing = engine::list_clusters(&ctx, None).await;
        let mut kinds: Vec<FailureKind> = Vec::new();
        for (account, region, error) in &listing.errors {
            metrics.add(names::APPLY_ERRORS, 1);
            kinds.push(FailureKind::of(error));
            tracing::error!(account = %account, region = %region, error = %error, "cannot list clusters; the sweep will fail for retry");
        }
        // One generation per sweep: its jobs may share an Identity Center snapshot (see
        // `crate::snapshots`). A retried sweep has the same event id and time, so the same one.
        let generation = format!("{}@{enqueued_at}", event_id.as_deref().unwrap_or("sweep"));
        let job = |c: &ClusterRef, reason: &str| {
            ReconcileJob::new(c.clone(), reason, event_id.clone(), enqueued_at)
                .with_generation(generation.clone())
        };
        // Out-of-scope clusters are reconciled too: their managed entries (orphans) are reported
        // and handled as options.on_unmanaged_cluster says, never silently forgotten.
        let jobs: Vec<ReconcileJob> = listing
            .managed
            .iter()
            .map(|c| job(c, "scheduled sweep"))
            .chain(
                listing
                    .out_of_scope
                    .iter()
                    .map(|c| job(c, "scheduled sweep (out of scope)")),
            )
            .collect();
        let enqueue_error = match self.queue.enqueue(&jobs).await {
            Ok(()) => {
                metrics.add(names::JOBS_ENQUEUED, jobs.len());
                None
            }
            Err(e) => {
                metrics.add(names::APPLY_ERRORS, 1);
                kinds.push(FailureKind::of(&e));
                tracing::error!(error = %e, "enqueueing sweep jobs failed");
                Some(format!("enqueue: {e}"))
            }
        };
        tracing::info!(jobs = jobs.len(), failures = kinds.len(), "sweep enqueued");
        metrics.flush();
        let summary = SweepSummary {
            clusters: listing.managed,
            listing_errors: listing
                .errors
                .iter()
                .map(|(a, r, e)| format!("{a}/{r}: {e}"))
                .collect(),
            enqueue_error,
        };
        (summary, kinds)
    }
}
