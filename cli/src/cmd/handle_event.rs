//! `handle-event`: run exactly what the Lambda for an EventBridge event does — classify it, let
//! the real handler decide which clusters are affected — then reconcile those clusters inline
//! instead of through the SQS queue (`--dry-run`: plan only).
//!
//! The JSON document (schema version 1) is the documented interface:
//!
//! ```json
//! {
//!   "schema_version": 1,
//!   "event_id": "…", "source": "aws.sso", "event_name": "CreateAccountAssignment",
//!   "trigger": { "kind": "account_assignment_created", …ids… },
//!   "handler": "group-sync" | "cluster-bootstrap" | "reconciler" | null,
//!   "ignored": "reason" | null,
//!   "dry_run": false,
//!   "handler_outcome": { …what the function itself answers… } | null,
//!   "clusters": [ { "cluster": "arn:…", "reason": "…", "status": {"state": "…"},
//!                   "plan": {…} | null, "results": […], "audit": […], "problems": […] } ]
//! }
//! ```

use std::collections::BTreeMap;
use std::io::Read;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use async_trait::async_trait;
use eks_sso_sync::desired::Problem;
use eks_sso_sync::engine::{
    self, AuditRecord, OperationResult, ReconcileContext, ReconcileOptions, ReconcileStatus,
};
use eks_sso_sync::events::{self, Classified, Handler, Trigger};
use eks_sso_sync::plan::{AccessPlan, ClusterPlan};
use eks_sso_sync::ports::{JobQueue, PortError, ReconcileJob};
use serde::Serialize;
use serde_json::Value;

use crate::args::{GlobalArgs, HandleEventArgs, OutputFormat};
use crate::{connect, output};

/// A [`JobQueue`] that keeps the jobs a handler enqueues, so the CLI can reconcile them inline.
#[derive(Debug, Default)]
pub struct CollectingQueue {
    jobs: Mutex<Vec<ReconcileJob>>,
}

impl CollectingQueue {
    /// The jobs enqueued so far, one per cluster (the first one wins, as FIFO deduplication
    /// would keep it), in cluster order.
    pub fn take_jobs(&self) -> Vec<ReconcileJob> {
        let jobs = std::mem::take(&mut *self.jobs.lock().unwrap_or_else(PoisonError::into_inner));
        let mut by_cluster = BTreeMap::new();
        for job in jobs {
            by_cluster.entry(job.cluster.clone()).or_insert(job);
        }
        by_cluster.into_values().collect()
    }
}

#[async_trait]
impl JobQueue for CollectingQueue {
    async fn enqueue(&self, jobs: &[ReconcileJob]) -> Result<(), PortError> {
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(jobs);
        Ok(())
    }

    /// Inline reconciles never wait on visibility timeouts: nothing to hide.
    async fn retry_later(
        &self,
        _receipt_handle: &str,
        _delay_seconds: u32,
    ) -> Result<(), PortError> {
        Ok(())
    }
}

/// The document `handle-event` prints.
#[derive(Debug, Serialize)]
pub struct EventDocument {
    /// Bumped on any incompatible change.
    pub schema_version: u32,
    /// The EventBridge event id.
    pub event_id: String,
    /// The EventBridge `source`.
    pub source: String,
    /// The CloudTrail `eventName`, or the `detail-type` of a native or scheduled event.
    pub event_name: Option<String>,
    /// What the event says happened (`kind` plus the ids it carries).
    pub trigger: Trigger,
    /// The function that handles it; `None` when ignored.
    pub handler: Option<Handler>,
    /// Why the event asks for no work, when it does not.
    pub ignored: Option<String>,
    /// Whether the clusters were only planned.
    pub dry_run: bool,
    /// What the function itself answered (its Lambda response).
    pub handler_outcome: Option<Value>,
    /// Per affected cluster: plan and results of the inline reconcile.
    pub clusters: Vec<ClusterOutcome>,
}

/// One affected cluster's inline reconcile.
#[derive(Debug, Serialize)]
pub struct ClusterOutcome {
    /// The cluster ARN.
    pub cluster: String,
    /// Why the handler asked for it (the job's reason).
    pub reason: String,
    /// Where it stands.
    pub status: ReconcileStatus,
    /// The plan (absent when there was nothing to plan).
    pub plan: Option<ClusterPlan>,
    /// Per-operation results (empty in a dry run).
    pub results: Vec<OperationResult>,
    /// Audit records of the changes made.
    pub audit: Vec<AuditRecord>,
    /// Problems found computing desired state.
    pub problems: Vec<Problem>,
    /// Shadow admins (unmanaged entries with admin access, never changed); for a drift event that
    /// made one, naming who made it and when (`made_by`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmanaged_admins: Vec<eks_sso_sync::plan::UnmanagedAdmin>,
}

/// Runs `handle-event`: exit 0 when handled (or ignored), 1 on a malformed event (nothing
/// changed) or when any change failed or was refused.
pub async fn run(global: &GlobalArgs, args: &HandleEventArgs) -> anyhow::Result<ExitCode> {
    let text = read_event(&args.file)?;
    // Classify before connecting: a malformed event fails naming its field, with no AWS call.
    let event: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", args.file.display()))?;
    let classified = events::parse_event_value(event.clone())
        .with_context(|| format!("malformed event {}", args.file.display()))?;
    let mut document = EventDocument {
        schema_version: 1,
        event_id: classified.event_id.clone(),
        source: classified.source.clone(),
        event_name: classified.event_name.clone(),
        handler: classified.trigger.handler(),
        ignored: match &classified.trigger {
            Trigger::Ignored { reason } => Some(reason.clone()),
            _ => None,
        },
        trigger: classified.trigger.clone(),
        dry_run: args.dry_run,
        handler_outcome: None,
        clusters: Vec::new(),
    };
    if let Some(handler) = document.handler {
        let session = connect::connect(global).await?;
        let queue = Arc::new(CollectingQueue::default());
        document.handler_outcome =
            Some(run_handler(handler, &session.ctx, queue.clone(), event, &classified).await?);
        document.clusters = reconcile_jobs(&session.ctx, queue.take_jobs(), args.dry_run).await?;
    }
    print(global, &document)?;
    let failed = document.clusters.iter().any(|c| {
        matches!(
            c.status,
            ReconcileStatus::PartiallyApplied | ReconcileStatus::Refused
        )
    });
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The event text from `path`, or stdin for `-`.
fn read_event(path: &std::path::Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the event from stdin")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Calls the function's real handler with the collecting queue; returns its answer as JSON.
async fn run_handler(
    handler: Handler,
    ctx: &ReconcileContext,
    queue: Arc<CollectingQueue>,
    event: Value,
    classified: &Classified,
) -> anyhow::Result<Value> {
    let outcome = match handler {
        Handler::GroupSync => serde_json::to_value(
            group_sync::handler::GroupSync::new(ctx.fresh(), queue)
                .handle(event)
                .await?,
        )?,
        Handler::ClusterBootstrap => serde_json::to_value(
            cluster_bootstrap::handler::ClusterBootstrap::new(ctx.fresh(), queue)
                .handle(event)
                .await?,
        )?,
        Handler::Reconciler => serde_json::to_value(
            reconciler::handler::Reconciler::new(ctx.fresh(), queue, Default::default())
                .sweep(Some(classified.event_id.clone()))
                .await,
        )?,
    };
    Ok(outcome)
}

/// Reconciles each job's cluster, in cluster order, as the reconciler would on receiving it.
async fn reconcile_jobs(
    ctx: &ReconcileContext,
    jobs: Vec<ReconcileJob>,
    dry_run: bool,
) -> anyhow::Result<Vec<ClusterOutcome>> {
    let ctx = ctx.fresh();
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        let options = ReconcileOptions {
            dry_run,
            trigger_event_id: job.event_id.clone(),
            trigger: Some(job.reason.clone()),
            // Only an operator overrides the deletion limit, never an event.
            allow_mass_deletion: false,
            creator: job.creator.clone(),
        };
        let mut report = engine::reconcile_cluster(&job.cluster, &ctx, &options).await?;
        if let Some(change) = &job.entry_change {
            eks_sso_sync::plan::attribute(&mut report.unmanaged_admins, change);
        }
        outcomes.push(ClusterOutcome {
            cluster: report.cluster.arn(),
            reason: job.reason,
            status: report.status,
            plan: report.plan,
            results: report.apply.results,
            audit: report.apply.audit,
            problems: report.problems,
            unmanaged_admins: report.unmanaged_admins,
        });
    }
    Ok(outcomes)
}

/// JSON unless a table was asked for explicitly: the JSON document is the interface.
fn print(global: &GlobalArgs, document: &EventDocument) -> anyhow::Result<()> {
    if global.output != Some(OutputFormat::Table) {
        return output::print_json(document);
    }
    outln!(
        "event {} ({}): trigger {}",
        document.event_id,
        document.event_name.as_deref().unwrap_or(&document.source),
        document.trigger.kind()
    );
    match (&document.ignored, document.handler) {
        (Some(reason), _) => outln!("ignored: {reason}"),
        (None, Some(handler)) => outln!("handled by {}", handler.name()),
        (None, None) => {}
    }
    let plan = AccessPlan {
        clusters: document
            .clusters
            .iter()
            .filter_map(|c| c.plan.clone())
            .collect(),
    };
    out!("{}", eks_sso_sync::plan::render_table(&plan));
    for cluster in &document.clusters {
        outln!(
            "{}: {}",
            cluster.cluster,
            output::status_label(&cluster.status)
        );
        for result in &cluster.results {
            outln!("  {}", output::result_line(result));
        }
    }
    outln!(
        "{} cluster(s) affected{}",
        document.clusters.len(),
        if document.dry_run { " (dry run)" } else { "" }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use eks_sso_sync::domain::ClusterRef;

    use super::*;

    fn job(cluster: &str, reason: &str) -> ReconcileJob {
        let cluster = ClusterRef::from_arn(&format!(
            "arn:aws:eks:eu-west-1:111111111111:cluster/{cluster}"
        ))
        .unwrap();
        ReconcileJob::new(cluster, reason, None, 0)
    }

    #[tokio::test]
    async fn collected_jobs_are_one_per_cluster_first_wins_in_cluster_order() {
        let queue = CollectingQueue::default();
        queue
            .enqueue(&[job("b", "first"), job("a", "first")])
            .await
            .unwrap();
        queue.enqueue(&[job("b", "second")]).await.unwrap();
        let jobs = queue.take_jobs();
        let seen: Vec<(&str, &str)> = jobs
            .iter()
            .map(|j| (j.cluster.name.as_str(), j.reason.as_str()))
            .collect();
        assert_eq!(seen, [("a", "first"), ("b", "first")]);
        assert!(queue.take_jobs().is_empty(), "taking empties the queue");
    }
}
