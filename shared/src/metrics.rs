//! CloudWatch Embedded Metric Format (EMF): one JSON line per flush that CloudWatch Logs turns
//! into metrics, with no `PutMetricData` call on the hot path and no extra IAM permission.
//!
//! EMF lines must reach the log stream as bare JSON objects, so they are written straight to
//! stdout rather than through `tracing` (whose JSON formatter would nest them in a log record).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Map, Value, json};

/// The CloudWatch namespace of every eks-sso-sync metric (the template's alarms use it).
pub const NAMESPACE: &str = "EksSsoSync";

/// The metric names the functions emit; alarms in `template.yaml` refer to them.
pub mod names {
    /// Access changes applied.
    pub const CHANGES_APPLIED: &str = "ChangesApplied";
    /// Shared-role conflicts found.
    pub const CONFLICTS: &str = "Conflicts";
    /// Items deliberately skipped (unmanaged, non-STANDARD, CONFIG_MAP, ...).
    pub const SKIPPED_ITEMS: &str = "SkippedItems";
    /// Dead entries of recreated roles replaced.
    pub const STALE_ENTRIES_RECREATED: &str = "StaleEntriesRecreated";
    /// Operations or reconciles that failed.
    pub const APPLY_ERRORS: &str = "ApplyErrors";
    /// Events that could not be parsed (not retried).
    pub const MALFORMED_EVENTS: &str = "MalformedEvents";
    /// Plans whose admin removals the lockout guard withheld.
    pub const LOCKOUTS_REFUSED: &str = "LockoutsRefused";
    /// Entry deletions withheld by the blast-radius limit or the empty-account brake.
    pub const DELETIONS_REFUSED: &str = "DeletionsRefused";
    /// Desired-state problems found (names that do not resolve, ambiguous roles, ...).
    pub const PROBLEMS: &str = "Problems";
    /// Operations withheld because a rule that could have produced the entry has a problem.
    pub const HELD_BY_PROBLEMS: &str = "HeldByProblems";
    /// Managed entries on clusters that left the mapping's scope.
    pub const ORPHANED_ENTRIES: &str = "OrphanedEntries";
    /// Unmanaged entries granting cluster-admin or Admin (the creator's bootstrap entry aside).
    pub const UNMANAGED_ADMINS: &str = "UnmanagedAdmins";
    /// Reconcile jobs enqueued.
    pub const JOBS_ENQUEUED: &str = "JobsEnqueued";
}

/// Whether flushed metrics are written to stdout (the Lambda default: CloudWatch reads EMF from
/// there). The CLI runs the same handlers and turns this off to keep its own output clean.
static EMF_TO_STDOUT: AtomicBool = AtomicBool::new(true);

/// Chooses where flushed metrics go: stdout as EMF (`true`, the default) or a debug log line.
pub fn emit_to_stdout(enabled: bool) {
    EMF_TO_STDOUT.store(enabled, Ordering::Relaxed);
}

/// Counters collected during one invocation, flushed as one EMF line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    function: String,
    counts: BTreeMap<&'static str, f64>,
}

impl Metrics {
    /// Counters for the function `function` (the `Function` dimension).
    pub fn new(function: impl Into<String>) -> Self {
        Self {
            function: function.into(),
            counts: BTreeMap::new(),
        }
    }

    /// Adds `value` to the metric `name`.
    pub fn add(&mut self, name: &'static str, value: usize) {
        *self.counts.entry(name).or_default() += value as f64;
    }

    /// The current value of `name`.
    pub fn get(&self, name: &str) -> f64 {
        self.counts.get(name).copied().unwrap_or_default()
    }

    /// The EMF document for the collected counters, `None` when there is nothing to report.
    pub fn to_emf(&self, timestamp_ms: i64) -> Option<Value> {
        if self.counts.is_empty() {
            return None;
        }
        let definitions: Vec<Value> = self
            .counts
            .keys()
            .map(|name| json!({ "Name": name, "Unit": "Count" }))
            .collect();
        let mut doc = Map::new();
        doc.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{ "Namespace": NAMESPACE, "Dimensions": [["Function"]], "Metrics": definitions }],
            }),
        );
        doc.insert("Function".into(), json!(self.function));
        for (name, value) in &self.counts {
            doc.insert((*name).to_owned(), json!(value));
        }
        Some(Value::Object(doc))
    }

    /// Writes the EMF line to stdout and resets the counters.
    pub fn flush(&mut self) {
        let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        if let Some(doc) = self.to_emf(now as i64) {
            if EMF_TO_STDOUT.load(Ordering::Relaxed) {
                let mut out = std::io::stdout().lock();
                // A failed metrics write must never fail the invocation; the logs still say what happened.
                let _ = writeln!(out, "{doc}");
            } else {
                tracing::debug!(metrics = %doc, "metrics");
            }
        }
        self.counts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_document_declares_every_metric() {
        let mut m = Metrics::new("reconciler");
        m.add(names::CHANGES_APPLIED, 3);
        m.add(names::CHANGES_APPLIED, 2);
        m.add(names::CONFLICTS, 1);
        let doc = m.to_emf(1_700_000_000_000).unwrap();
        assert_eq!(doc["ChangesApplied"], 5.0);
        assert_eq!(doc["Function"], "reconciler");
        let defs = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(defs["Namespace"], NAMESPACE);
        let names: Vec<&str> = defs["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["ChangesApplied", "Conflicts"]);
    }

    #[test]
    fn nothing_to_report_writes_nothing() {
        assert!(Metrics::new("x").to_emf(0).is_none());
    }
}
