//! `plan` and `apply`: the same reconcile the reconciler Lambda runs, as a dry run or for real.
//! Every cluster is reported, whatever happens to the others: a failed account fails only its
//! clusters, withheld operations and problems are shown, and the exit code says which it was
//! ([`crate::exit`]).

mod document;

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::bail;
use eks_sso_sync::domain::ClusterRef;
use eks_sso_sync::engine::{
    self, ClusterReport, ReconcileContext, ReconcileOptions, ReconcileStatus,
};
use eks_sso_sync::plan;
use futures::StreamExt as _;

pub use document::{FailedCluster, PlanDocument, Run, render};

use crate::args::{ApplyArgs, GlobalArgs, OutputFormat, PlanArgs};
use crate::connect;
use crate::output;
use crate::progress::Progress;

/// Runs `plan`: exit 0 in sync, 2 changes pending, 3 needs attention, 1 error.
pub async fn run_plan(global: &GlobalArgs, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let session = connect::connect(global).await?;
    let targets = connect::resolve_targets(&session, &args.filter).await?;
    let options = options(true, args.allow_mass_deletion);
    let at_once = usize::from(args.clusters_at_once);
    let mut run = reconcile_all(&session.ctx, &targets.clusters, &options, at_once, None).await;
    run.unreachable = targets.unreachable;
    let document = PlanDocument::of(&run);
    match output::format(global) {
        OutputFormat::Json => output::print_json(&document)?,
        OutputFormat::Table => out!("{}", render(&document)),
    }
    Ok(ExitCode::from(document::exit_code(&document, false, false)))
}

/// Runs `apply`: plan, show, confirm, apply the safe part, print results and audit records.
pub async fn run_apply(global: &GlobalArgs, args: &ApplyArgs) -> anyhow::Result<ExitCode> {
    let session = connect::connect(global).await?;
    let targets = connect::resolve_targets(&session, &args.filter).await?;
    let at_once = usize::from(args.clusters_at_once);
    let mut preview_run = reconcile_all(
        &session.ctx,
        &targets.clusters,
        &options(true, args.allow_mass_deletion),
        at_once,
        None,
    )
    .await;
    preview_run.unreachable = targets.unreachable;
    let preview = PlanDocument::of(&preview_run);
    let format = output::format(global);
    if format == OutputFormat::Table {
        out!("{}", render(&preview));
    }
    let changing: Vec<ClusterRef> = preview.changing().map(|c| c.cluster.clone()).collect();
    if changing.is_empty() {
        if format == OutputFormat::Json {
            output::print_json(&serde_json::json!({
                "schema_version": plan::SCHEMA_VERSION,
                "applied": [],
                "message": "no changes",
                "problems": preview.problems,
                "failed": preview.failed,
                "unreachable": preview.unreachable,
                "preview": preview,
            }))?;
        }
        return Ok(ExitCode::from(document::exit_code(&preview, false, false)));
    }
    confirm(args.yes, changing.len())?;
    let interrupted = watch_ctrl_c();
    // Apply re-reads each cluster: if something changed since the preview, the fresh plan is
    // what gets applied (and printed), never a stale one.
    let options = options(false, args.allow_mass_deletion);
    let run = reconcile_all(
        &session.ctx.fresh(),
        &changing,
        &options,
        at_once,
        Some(interrupted),
    )
    .await;
    print_results(format, &run, &preview)?;
    let applied = PlanDocument::of(&run);
    let apply_failed = run
        .reports
        .iter()
        .any(|r| r.status == ReconcileStatus::PartiallyApplied);
    Ok(ExitCode::from(apply_exit_code(
        &preview,
        &applied,
        run.interrupted,
        apply_failed,
    )))
}

/// The exit code of an apply: 130 if interrupted, 1 if anything failed (in the preview or the
/// apply), 3 if anything needs attention (what the preview found counts too: problems, orphans
/// and withheld operations of clusters that had nothing else to apply), else 0.
fn apply_exit_code(
    preview: &PlanDocument,
    applied: &PlanDocument,
    interrupted: bool,
    apply_failed: bool,
) -> u8 {
    use crate::exit;
    if interrupted {
        exit::INTERRUPTED
    } else if preview.has_failures() || applied.has_failures() || apply_failed {
        exit::ERROR
    } else if preview.needs_attention() || applied.needs_attention() {
        exit::NEEDS_ATTENTION
    } else {
        exit::IN_SYNC
    }
}

fn options(dry_run: bool, allow_mass_deletion: bool) -> ReconcileOptions {
    ReconcileOptions {
        dry_run,
        trigger_event_id: None,
        trigger: Some("operator".to_owned()),
        allow_mass_deletion,
        // Not from a CreateCluster record: no entry is taken for the creator's.
        creator: None,
    }
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
    out!("Apply these changes to {clusters} cluster(s)? Type 'yes' to continue: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("not applied (answer was not 'yes')");
    }
    Ok(())
}

/// Ctrl-C stops starting new clusters; the cluster being applied finishes its operations, so a
/// rerun converges whatever was left, and the run exits 130 after reporting what it did.
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

/// Reconciles `clusters`, `at_once` at a time (`--clusters-at-once`, as the reconciler
/// reconciles a batch), reported in the order given. One cluster's eventual-consistency wait (a
/// new role not yet visible to EKS) overlaps the others' work instead of delaying them; the
/// engine's per-cluster bound keeps the calls in flight at most `at_once` times that. A cluster
/// that fails is recorded and the others go on: one account's failure is that account's. Once
/// `interrupted` is set no further cluster is started; those under way finish, and the run
/// says it was interrupted.
pub async fn reconcile_all(
    ctx: &ReconcileContext,
    clusters: &[ClusterRef],
    options: &ReconcileOptions,
    at_once: usize,
    interrupted: Option<Arc<AtomicBool>>,
) -> Run {
    let label = if options.dry_run {
        "planning"
    } else {
        "applying"
    };
    let bar = Progress::for_stderr().bar(clusters.len() as u64, label);
    let stop = || {
        interrupted
            .as_ref()
            .is_some_and(|f| f.load(Ordering::SeqCst))
    };
    // `buffered` starts each cluster only when a slot frees up, so the interruption is checked
    // at each start, and yields the outcomes in the order of `clusters`.
    let outcomes: Vec<_> = futures::stream::iter(clusters)
        .map(|cluster| {
            let bar = &bar;
            async move {
                if stop() {
                    return None;
                }
                let outcome = engine::reconcile_cluster(cluster, ctx, options).await;
                bar.inc(1);
                Some((cluster, outcome))
            }
        })
        .buffered(at_once.max(1))
        .collect()
        .await;
    bar.finish_and_clear();
    let mut run = Run {
        interrupted: stop(),
        ..Run::default()
    };
    for outcome in outcomes {
        match outcome {
            None => run.interrupted = true,
            Some((_, Ok(report))) => run.reports.push(report),
            Some((cluster, Err(e))) => {
                tracing::error!(cluster = %cluster.arn(), error = %e, "reconcile failed");
                run.failed.push(FailedCluster {
                    cluster: cluster.arn(),
                    error: e.to_string(),
                });
            }
        }
    }
    run
}

fn print_results(format: OutputFormat, run: &Run, preview: &PlanDocument) -> anyhow::Result<()> {
    if format == OutputFormat::Json {
        let applied: Vec<_> = run.reports.iter().map(applied_json).collect();
        return output::print_json(&serde_json::json!({
            "schema_version": plan::SCHEMA_VERSION,
            "applied": applied,
            "failed": run.failed,
            "interrupted": run.interrupted,
            "problems": preview.problems,
            "unreachable": preview.unreachable,
        }));
    }
    for report in &run.reports {
        outln!(
            "{}: {}",
            report.cluster.arn(),
            output::status_label(&report.status)
        );
        for result in &report.apply.results {
            outln!("  {}", output::result_line(result));
        }
        for held in report.plan.iter().flat_map(|p| &p.withheld) {
            outln!("  withheld: {}", held.detail);
        }
        // Every change made, as the audit trail records it: visible whatever the log level.
        for audit in &report.apply.audit {
            outln!("  audit: {}", serde_json::to_string(audit)?);
        }
    }
    for failed in &run.failed {
        outln!("FAILED {}: {}", failed.cluster, failed.error);
    }
    if run.interrupted {
        outln!("interrupted: the clusters above were done; rerun apply to finish");
    }
    Ok(())
}

fn applied_json(report: &ClusterReport) -> serde_json::Value {
    serde_json::json!({
        "cluster": report.cluster.arn(),
        "status": report.status,
        "results": report.apply.results,
        "withheld": report.plan.as_ref().map(|p| &p.withheld),
        "refused": report.plan.as_ref().and_then(|p| p.refused.as_ref()),
        "orphaned": report.orphaned,
        "unmanaged_admins": report.unmanaged_admins,
        "audit": report.apply.audit,
    })
}
