//! The table rendering of a bench report: phases, calls per operation, cold starts.

use std::collections::BTreeSet;

use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use super::BenchReport;
use super::cold_start::ColdStartResult;

/// The whole report as text tables.
pub fn render(report: &BenchReport) -> String {
    let p = &report.parameters;
    let mut out = format!(
        "synthetic organization: {} account(s) × {} cluster(s), {} unmanaged entries per cluster, {} ms per call, {} clusters at a time\n\n",
        p.accounts, p.clusters_per_account, p.entries_per_cluster, p.latency_ms, p.concurrency
    );
    out.push_str(&phases(report).to_string());
    out.push_str("\n\ncalls per operation\n");
    out.push_str(&operations(report).to_string());
    if !report.cold_starts.is_empty() {
        out.push_str(
            "\n\ncold starts (process start → first Runtime API `next`), one event each\n",
        );
        out.push_str(&cold_starts(report).to_string());
    }
    out.push_str(&format!("\n\n{}\n", report.minimum_definition));
    for phase in &report.phases {
        for error in &phase.errors {
            out.push_str(&format!("error in {}: {error}\n", phase.phase));
        }
    }
    out
}

pub(super) fn table(header: Vec<&str>) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header(header);
    table
}

pub(super) fn right_align(table: &mut Table, from: usize) {
    let columns = table.column_count();
    for i in from..columns {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn phases(report: &BenchReport) -> Table {
    let mut t = table(vec![
        "phase",
        "wall ms",
        "clusters",
        "calls",
        "calls/cluster",
        "failed",
        "mutations",
        "minimum",
        "ratio",
    ]);
    for p in &report.phases {
        t.add_row(vec![
            p.phase.clone(),
            format!("{:.0}", p.wall_ms),
            p.clusters.to_string(),
            p.calls.to_string(),
            format!("{:.1}", p.calls_per_cluster),
            p.failed_calls.to_string(),
            p.mutations.to_string(),
            p.minimum.total.to_string(),
            format!("{:.2}", p.ratio),
        ]);
    }
    right_align(&mut t, 1);
    t
}

fn operations(report: &BenchReport) -> Table {
    let names: BTreeSet<&String> = report
        .phases
        .iter()
        .flat_map(|p| p.calls_by_operation.keys())
        .collect();
    let mut header = vec!["operation"];
    header.extend(report.phases.iter().map(|p| p.phase.as_str()));
    let mut t = table(header);
    for name in names {
        let mut row = vec![name.clone()];
        row.extend(report.phases.iter().map(|p| {
            p.calls_by_operation
                .get(name)
                .map_or_else(|| "-".to_owned(), u64::to_string)
        }));
        t.add_row(row);
    }
    right_align(&mut t, 1);
    t
}

fn cold_starts(report: &BenchReport) -> Table {
    let mut t = table(vec![
        "function",
        "event",
        "init ms",
        "invocation ms",
        "peak RSS MiB",
        "calls",
        "outcome",
    ]);
    for c in &report.cold_starts {
        let row = match &c.result {
            ColdStartResult::Measured {
                init_ms,
                invocation_ms,
                peak_rss_kib,
                calls_by_operation,
                outcome,
                ..
            } => vec![
                format!("{init_ms:.1}"),
                format!("{invocation_ms:.1}"),
                peak_rss_kib
                    .map_or_else(|| "?".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0)),
                calls_by_operation.values().sum::<u64>().to_string(),
                outcome.clone(),
            ],
            ColdStartResult::NotBuilt { hint } => {
                vec!["-".into(), "-".into(), "-".into(), "-".into(), hint.clone()]
            }
            ColdStartResult::Failed { reason } => {
                vec![
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    format!("FAILED: {reason}"),
                ]
            }
        };
        let mut cells = vec![c.function.clone(), c.event.clone()];
        cells.extend(row);
        t.add_row(cells);
    }
    right_align(&mut t, 2);
    if let Some(column) = t.column_mut(6) {
        column.set_cell_alignment(CellAlignment::Left);
    }
    t
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::cold_start::ColdStart;
    use super::super::{BenchReport, Parameters};
    use super::*;

    fn cold(function: &str, result: ColdStartResult) -> ColdStart {
        ColdStart {
            function: function.to_owned(),
            event: "e.json".to_owned(),
            result,
        }
    }

    #[test]
    fn every_cold_start_row_fits_the_header() {
        let report = BenchReport {
            schema_version: 1,
            parameters: Parameters {
                accounts: 1,
                clusters_per_account: 1,
                entries_per_cluster: 0,
                latency_ms: 0,
                concurrency: 1,
                skip_cold_start: false,
            },
            minimum_definition: "minimum = ...".to_owned(),
            phases: Vec::new(),
            cold_starts: vec![
                cold(
                    "a",
                    ColdStartResult::Measured {
                        init_ms: 9.25,
                        invocation_ms: 20.0,
                        peak_rss_kib: Some(20480),
                        calls_by_operation: BTreeMap::from([("eks:DescribeCluster".to_owned(), 3)]),
                        outcome: "response".to_owned(),
                        detail: String::new(),
                    },
                ),
                cold(
                    "b",
                    ColdStartResult::NotBuilt {
                        hint: "build it".to_owned(),
                    },
                ),
                cold(
                    "c",
                    ColdStartResult::Failed {
                        reason: "boom".to_owned(),
                    },
                ),
            ],
        };
        let table = cold_starts(&report);
        let header = table.header().map(|h| h.cell_count());
        assert!(
            table.row_iter().all(|row| Some(row.cell_count()) == header),
            "a row does not fit the header"
        );
        let text = render(&report);
        assert!(
            text.contains("20.0") && text.contains("build it") && text.contains("FAILED: boom")
        );
        let measured = text
            .lines()
            .find(|l| l.contains("e.json") && l.contains("9.2"))
            .unwrap();
        assert!(
            measured.contains(" 3 ") && measured.contains("response"),
            "{measured}"
        );
    }
}
