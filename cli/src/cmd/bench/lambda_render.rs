//! The table rendering of a deployed-topology bench report: phases with the minimum and the
//! critical path, calls per operation, and how each figure was made up.

use std::collections::BTreeSet;

use super::render::{right_align, table};

/// The deployed-topology report as text tables.
pub fn render_lambda(report: &super::LambdaBenchReport) -> String {
    let p = &report.parameters;
    let b = &report.topology_parameters.bounds;
    let mut out = format!(
        "deployed topology: {} account(s) × {} cluster(s), {} permission sets, {} unmanaged entries per cluster, {} ms per call; {} consumer(s), batches of {}, {} clusters at a time per batch, {} calls in flight per cluster\n\n",
        p.accounts,
        p.clusters_per_account,
        report.topology_parameters.permission_sets,
        p.entries_per_cluster,
        p.latency_ms,
        b.consumers,
        b.batch_size,
        b.batch_concurrency,
        b.fan_out
    );
    let mut t = table(vec![
        "phase",
        "wall ms",
        "jobs",
        "batches",
        "calls",
        "minimum",
        "ratio",
        "IC calls/batch",
        "critical path calls",
        "wall / bound",
        "ESM calls",
        "throttled",
    ]);
    for ph in &report.phases {
        t.add_row(vec![
            ph.phase.clone(),
            format!("{:.0}", ph.wall_ms),
            ph.jobs.to_string(),
            ph.batches.to_string(),
            ph.calls.to_string(),
            ph.minimum.total.to_string(),
            format!("{:.2}", ph.ratio),
            format!("{:.1}", ph.identity_center_calls_per_batch),
            ph.critical_path.calls.to_string(),
            ph.critical_path_ratio
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}")),
            ph.esm_calls.to_string(),
            ph.throttled_calls.to_string(),
        ]);
    }
    right_align(&mut t, 1);
    out.push_str(&t.to_string());
    out.push_str("\n\ncalls per operation\n");
    let names: BTreeSet<&String> = report
        .phases
        .iter()
        .flat_map(|ph| ph.calls_by_operation.keys())
        .collect();
    let mut header = vec!["operation"];
    header.extend(report.phases.iter().map(|ph| ph.phase.as_str()));
    let mut ops = table(header);
    for name in names {
        let mut row = vec![name.clone()];
        row.extend(report.phases.iter().map(|ph| {
            ph.calls_by_operation
                .get(name)
                .map_or_else(|| "-".to_owned(), u64::to_string)
        }));
        ops.add_row(row);
    }
    right_align(&mut ops, 1);
    out.push_str(&ops.to_string());
    out.push_str("\n\nminimum by kind (sts + Identity Center + IAM + EKS reads + mutations)\n");
    for ph in &report.phases {
        let m = &ph.minimum;
        out.push_str(&format!(
            "{}: {} + {} + {} + {} + {} = {}\n",
            ph.phase, m.sts, m.identity_center, m.iam, m.eks_reads, m.mutations, m.total
        ));
    }
    out.push_str("\ncritical path (calls in sequence)\n");
    for ph in &report.phases {
        let steps: Vec<String> = ph
            .critical_path
            .steps
            .iter()
            .map(|s| format!("{} {}", s.step, s.calls))
            .collect();
        out.push_str(&format!(
            "{}: {} round(s); {}\n",
            ph.phase,
            ph.critical_path.rounds,
            steps.join(" + ")
        ));
    }
    out.push_str(&render_buckets(report));
    for ph in &report.phases {
        for error in &ph.errors {
            out.push_str(&format!("error in {}: {error}\n", ph.phase));
        }
    }
    out
}

/// The token buckets the emulator enforced, per phase: what each admitted and throttled and
/// the rate sustained against it. Empty when no bucket was enforced.
fn render_buckets(report: &super::LambdaBenchReport) -> String {
    let mut t = table(vec![
        "phase",
        "bucket",
        "account",
        "rate/s",
        "admitted",
        "throttled",
        "span ms",
        "sustained/s",
        "of rate",
    ]);
    let mut rows = 0;
    for ph in &report.phases {
        for b in &ph.rate_limits {
            let bucket = &b.bucket;
            rows += 1;
            t.add_row(vec![
                ph.phase.clone(),
                format!(
                    "{}:{}",
                    bucket.service,
                    bucket.operation.as_deref().unwrap_or("*")
                ),
                bucket.account.clone(),
                format!("{:.0}", bucket.per_second),
                bucket.accepted.to_string(),
                bucket.throttled.to_string(),
                bucket.span_ms.to_string(),
                bucket
                    .sustained_per_second
                    .map_or_else(|| "-".to_owned(), |s| format!("{s:.1}")),
                b.sustained_ratio
                    .map_or_else(|| "-".to_owned(), |r| format!("{:.0} %", r * 100.0)),
            ]);
        }
    }
    if rows == 0 {
        return String::new();
    }
    right_align(&mut t, 3);
    format!("\ntoken buckets (sustained: admitted beyond the burst ÷ span)\n{t}\n")
}
