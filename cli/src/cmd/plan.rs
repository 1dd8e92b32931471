//! `plan` and `apply`: the same reconcile the reconciler Lambda runs, as a dry run or for real.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::bail;
use eks_sso_sync::desired::Problem;
use eks_sso_sync::domain::ClusterRef;
use eks_sso_sync::engine::{
    self, ClusterReport, ReconcileContext, ReconcileOptions, ReconcileStatus,
};
use eks_sso_sync::plan::{self, AccessPlan};
use serde::Serialize;

use crate::args::{ApplyArgs, GlobalArgs, OutputFormat, PlanArgs};
use crate::connect;
use crate::output;
use crate::progress::Progress;

/// The JSON document `plan` prints (schema version 1): the plan (as `plan::to_json` documents
/// it), each cluster's status, and the problems found computing desired state.
#[derive(Debug, Serialize)]
pub struct PlanDocument {
    /// Bumped on any incompatible change.
    pub schema_version: u32,
    /// Per-cluster status.
    pub clusters: Vec<ClusterStatusLine>,
    /// The plan.
    pub plan: AccessPlan,
    /// Problems (unresolvable roles, invalid captures, ...).
    pub problems: Vec<Problem>,
}

/// One cluster's status in a plan or apply document.
#[derive(Debug, Serialize)]
pub struct ClusterStatusLine {
    /// The cluster ARN.
    pub cluster: String,
    /// Where it stands.
    pub status: ReconcileStatus,
}

/// Runs `plan`: exit 0 no changes, 2 changes pending, 1 error.
pub async fn run_plan(global: &GlobalArgs, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let session = connect::connect(global).await?;
    let clusters = connect::resolve_clusters(&session, &args.filter).await?;
    let reports = reconcile_all(&session.ctx, &clusters, true, None).await?;
    let document = document(&reports);
    match output::format(global) {
        OutputFormat::Json => output::print_json(&document)?,
        OutputFormat::Table => print!("{}", render(&document)),
    }
    let pending = document
        .plan
        .clusters
        .iter()
        .any(|c| !c.operations.is_empty());
    Ok(if pending {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Runs `apply`: plan, show, confirm, apply, print results and audit records.
pub async fn run_apply(global: &GlobalArgs, args: &ApplyArgs) -> anyhow::Result<ExitCode> {
    let session = connect::connect(global).await?;
    let clusters = connect::resolve_clusters(&session, &args.filter).await?;
    let preview = document(&reconcile_all(&session.ctx, &clusters, true, None).await?);
    let format = output::format(global);
    if format == OutputFormat::Table {
        print!("{}", render(&preview));
    }
    let changing: Vec<ClusterRef> = preview
        .plan
        .clusters
        .iter()
        .filter(|c| !c.operations.is_empty())
        .map(|c| c.cluster.clone())
        .collect();
    if changing.is_empty() {
        if format == OutputFormat::Json {
            output::print_json(
                &serde_json::json!({ "schema_version": 1, "applied": [], "message": "no changes" }),
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    confirm(args.yes, changing.len())?;
    let interrupted = watch_ctrl_c();
    // Apply re-reads each cluster: if something changed since the preview, the fresh plan is
    // what gets applied (and printed), never a stale one.
    let reports = reconcile_all(&session.ctx.fresh(), &changing, false, Some(interrupted)).await?;
    print_results(format, &reports)?;
    let failed = reports.iter().any(|r| {
        matches!(
            r.status,
            ReconcileStatus::PartiallyApplied | ReconcileStatus::Refused
        )
    });
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Asks before applying; refuses without a terminal unless `--yes`.
fn confirm(yes: bool, clusters: usize) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to apply without confirmation: stdin is not a terminal; pass --yes to apply non-interactively"
        );
    }
    print!("Apply these changes to {clusters} cluster(s)? Type 'yes' to continue: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("not applied (answer was not 'yes')");
    }
    Ok(())
}

/// Ctrl-C stops starting new clusters; the cluster being applied finishes its operations, so a
/// rerun converges whatever was left.
fn watch_ctrl_c() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "interrupted: finishing the current cluster, then stopping (rerun apply to finish)"
            );
            set.store(true, Ordering::SeqCst);
        }
    });
    flag
}

/// Reconciles `clusters` one after another (each one's calls are concurrent inside the engine).
pub async fn reconcile_all(
    ctx: &ReconcileContext,
    clusters: &[ClusterRef],
    dry_run: bool,
    interrupted: Option<Arc<AtomicBool>>,
) -> anyhow::Result<Vec<ClusterReport>> {
    let options = ReconcileOptions {
        dry_run,
        trigger_event_id: None,
        allow_mass_deletion: false,
    };
    let label = if dry_run { "planning" } else { "applying" };
    let bar = Progress::for_stderr().bar(clusters.len() as u64, label);
    let mut reports = Vec::with_capacity(clusters.len());
    for cluster in clusters {
        if interrupted
            .as_ref()
            .is_some_and(|f| f.load(Ordering::SeqCst))
        {
            break;
        }
        reports.push(engine::reconcile_cluster(cluster, ctx, &options).await?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(reports)
}

/// The plan document of `reports`.
pub fn document(reports: &[ClusterReport]) -> PlanDocument {
    let mut problems: Vec<Problem> = reports
        .iter()
        .flat_map(|r| r.problems.iter().cloned())
        .collect();
    problems.sort();
    problems.dedup();
    PlanDocument {
        schema_version: plan::SCHEMA_VERSION,
        clusters: reports
            .iter()
            .map(|r| ClusterStatusLine {
                cluster: r.cluster.arn(),
                status: r.status.clone(),
            })
            .collect(),
        plan: AccessPlan {
            clusters: reports.iter().filter_map(|r| r.plan.clone()).collect(),
        },
        problems,
    }
}

/// The table rendering of a plan document.
pub fn render(document: &PlanDocument) -> String {
    let mut out = plan::render_table(&document.plan);
    for line in &document.clusters {
        out.push_str(&format!(
            "{}: {}\n",
            line.cluster,
            output::status_label(&line.status)
        ));
    }
    for p in &document.problems {
        let account = p
            .account
            .as_ref()
            .map(|a| format!(" in {a}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "problem: rule {}{account}: {}\n",
            p.rule, p.message
        ));
    }
    let changes: usize = document
        .plan
        .clusters
        .iter()
        .map(|c| c.operations.len())
        .sum();
    out.push_str(&format!(
        "{changes} change(s) planned on {} cluster(s)\n",
        document.clusters.len()
    ));
    out
}

fn print_results(format: OutputFormat, reports: &[ClusterReport]) -> anyhow::Result<()> {
    if format == OutputFormat::Json {
        let applied: Vec<_> = reports
            .iter()
            .map(|r| serde_json::json!({ "cluster": r.cluster.arn(), "status": r.status, "results": r.apply.results, "audit": r.apply.audit }))
            .collect();
        return output::print_json(&serde_json::json!({ "schema_version": 1, "applied": applied }));
    }
    for report in reports {
        println!(
            "{}: {}",
            report.cluster.arn(),
            output::status_label(&report.status)
        );
        for result in &report.apply.results {
            println!("  {}", output::result_line(result));
        }
    }
    Ok(())
}
