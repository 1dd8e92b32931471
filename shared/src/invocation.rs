//! What every function invocation shares: how a failure is classified for Lambda (so that its
//! `errorType` says whether a retry can help and what to alarm on), how an invocation ends, and —
//! with the `aws` feature — the scaffold the two trigger functions (group-sync,
//! cluster-bootstrap) run in and the mapping source every function starts from.
//!
//! The scaffold lives here rather than in a `functions/common` crate because it is a few dozen
//! lines over types this crate already owns (`Classified`, `Metrics`, `InvocationError`); a
//! fourth function crate would add a workspace member and a build unit for no new dependency.

#[cfg(feature = "aws")]
pub mod mapping_source;
#[cfg(feature = "aws")]
mod trigger;

#[cfg(feature = "aws")]
pub use trigger::{TriggerFunction, TriggerInput, handle_trigger, serve_trigger};

use crate::events::EventError;
use crate::ports::{ErrorKind, PortError};

/// How a failed call is classified: what a retry can do about it, and the `errorType` it
/// surfaces as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Throttling, 5xx, timeouts: a retry later is expected to succeed.
    Retryable,
    /// A 409 on something that is not ours (another writer's entry): retrying the same call
    /// cannot succeed; the next reconcile reads fresh state and reports the conflict.
    Conflict,
    /// Rejected as invalid (a bad parameter, a resource limit): a bug or bad input; retrying the
    /// same call cannot succeed.
    Rejected,
    /// 403: a role or policy forbids the call. Needs a deploy (member role, IAM policy) to fix.
    AccessDenied,
    /// Anything else (not found, an invalid principal EKS cannot see yet, an unexpected error):
    /// retried, bounded by the retry policy.
    Failed,
}

impl FailureKind {
    /// The kind of a failed port call.
    pub fn of(error: &PortError) -> Self {
        match error.kind {
            ErrorKind::Throttled | ErrorKind::Transient => Self::Retryable,
            ErrorKind::AccessDenied => Self::AccessDenied,
            ErrorKind::AlreadyExists => Self::Conflict,
            ErrorKind::InvalidParameter | ErrorKind::LimitExceeded => Self::Rejected,
            ErrorKind::NotFound
            | ErrorKind::InvalidPrincipal
            | ErrorKind::InvalidRequest
            | ErrorKind::Other => Self::Failed,
        }
    }

    /// Whether redelivering the same work cannot succeed until someone changes something: such a
    /// reconcile job is finished (and counted) instead of blocking its FIFO group.
    pub fn is_permanent(self) -> bool {
        matches!(self, Self::AccessDenied | Self::Conflict | Self::Rejected)
    }

    /// The Lambda `errorType` (and the metric-friendly name) of this kind.
    pub fn error_type(self) -> &'static str {
        match self {
            Self::Retryable => "Retryable",
            Self::Conflict => "Conflict",
            Self::Rejected => "Rejected",
            Self::AccessDenied => "AccessDenied",
            Self::Failed => "Failed",
        }
    }

    /// The kind an invocation with several failures reports: access denied first (it needs a
    /// person), then anything not retryable, and `Retryable` only when every failure is.
    pub fn worst(kinds: impl IntoIterator<Item = Self>) -> Self {
        let mut kinds: Vec<Self> = kinds.into_iter().collect();
        kinds.sort();
        kinds.pop().unwrap_or(Self::Failed)
    }
}

/// Why an invocation failed. Converted into a `lambda_runtime::Diagnostic` whose `errorType` is
/// [`InvocationError::error_type`].
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    /// The event is malformed. Retrying cannot help: the functions log it at ERROR, count it in
    /// the `MalformedEvents` metric (which has an alarm) and answer successfully.
    #[error("invalid event: {0}")]
    InvalidEvent(#[from] EventError),
    /// A well-formed event this function does not accept (e.g. anything but an SQS batch or the
    /// scheduled sweep reaching the reconciler). Treated like [`InvocationError::InvalidEvent`].
    #[error("unexpected input for {function}: {what}")]
    UnexpectedInput {
        /// The function that received it.
        function: &'static str,
        /// What it was.
        what: String,
    },
    /// A failed call, classified (throttling, access denied, ...).
    #[error("{kind:?} failure: {message}")]
    Call {
        /// The classification.
        kind: FailureKind,
        /// The failed call, as AWS reported it.
        message: String,
    },
    /// Part of the work was done and part failed: the invocation fails so that it is retried
    /// (whatever was done is idempotent, and enqueues are deduplicated by the FIFO queue).
    #[error("incomplete: {completed}; failed: {}", failures.join("; "))]
    Incomplete {
        /// The worst kind among the failures.
        kind: FailureKind,
        /// What was done anyway, e.g. `3 jobs enqueued`.
        completed: String,
        /// Each failure, naming what it concerned (`111122223333/eu-west-1: ...`).
        failures: Vec<String>,
    },
    /// The answer could not be encoded (a bug).
    #[error("cannot encode the answer: {0}")]
    Encode(#[from] serde_json::Error),
}

impl InvocationError {
    /// The Lambda `errorType`: `InvalidEvent`, `Retryable`, `AccessDenied`, `Conflict`,
    /// `Rejected` or `Failed`. Alarms and the on-failure destination's readers key on it.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidEvent(_) | Self::UnexpectedInput { .. } => "InvalidEvent",
            Self::Call { kind, .. } | Self::Incomplete { kind, .. } => kind.error_type(),
            Self::Encode(_) => "Failed",
        }
    }

    /// A failure from a port call, classified by its kind.
    pub fn from_port(error: &PortError) -> Self {
        Self::Call {
            kind: FailureKind::of(error),
            message: error.to_string(),
        }
    }

    /// Whether this is bad input (answered, counted, never retried).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Self::InvalidEvent(_) | Self::UnexpectedInput { .. })
    }
}

#[cfg(feature = "aws")]
impl From<InvocationError> for lambda_runtime::Diagnostic {
    fn from(error: InvocationError) -> Self {
        Self {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Ends an invocation: bad input is logged at ERROR and counted (`MalformedEvents`, which has an
/// alarm), and the invocation's metrics are flushed, whatever the outcome.
pub fn finish<T>(
    result: Result<T, InvocationError>,
    mut metrics: crate::metrics::Metrics,
) -> Result<T, InvocationError> {
    match &result {
        Err(InvocationError::InvalidEvent(e)) => {
            metrics.add(crate::metrics::names::MALFORMED_EVENTS, 1);
            tracing::error!(error = %e, field = e.field_path(), "malformed event; not retried");
        }
        Err(e @ InvocationError::UnexpectedInput { .. }) => {
            metrics.add(crate::metrics::names::MALFORMED_EVENTS, 1);
            tracing::error!(error = %e, "unexpected input; not retried");
        }
        Err(e) => tracing::error!(error = %e, error_type = e.error_type(), "invocation failed"),
        Ok(_) => {}
    }
    metrics.flush();
    result
}

/// What a function answers Lambda: the outcome as JSON on success; bad input is answered
/// successfully with a `rejected` document (retrying cannot fix it, and it was already logged and
/// counted); any other failure stays an error, which Lambda turns into a `Diagnostic` (see the
/// `From` impl) so the retry policy and the on-failure destination or DLQ apply.
pub fn respond<T: serde::Serialize>(
    result: Result<T, InvocationError>,
) -> Result<serde_json::Value, InvocationError> {
    match result {
        Ok(outcome) => Ok(serde_json::to_value(outcome)?),
        Err(e) if e.is_bad_input() => Ok(serde_json::json!({ "rejected": e.to_string() })),
        Err(e) => Err(e),
    }
}

/// The event's `time` in seconds since the epoch, when it has one. Jobs stamped with it instead
/// of the wall clock get the same FIFO deduplication id when the same event is delivered again
/// (EventBridge and Scheduler retries keep `id` and `time`), so a retried invocation does not
/// enqueue its jobs twice inside SQS's five-minute deduplication window.
pub fn event_time(event: &serde_json::Value) -> Option<i64> {
    let text = event.get("time")?.as_str()?;
    let parsed =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(parsed.unix_timestamp())
}

/// SQS FIFO's deduplication window: a message with the same deduplication id sent within it is
/// accepted but not delivered again.
pub const DEDUPLICATION_WINDOW_SECS: i64 = 300;

/// The `first_enqueued_at` to stamp on jobs for an event with `time` handled at `now`: the event's
/// time when it lies within the deduplication window behind `now`, so a retried delivery of the
/// same event produces the same deduplication ids and SQS drops the copies; the clock otherwise
/// (an old or future-dated event would only distort the wait bound for a cluster not yet
/// `ACTIVE`, and dedup could not help it anyway).
pub fn enqueue_time(time: Option<i64>, now: i64) -> i64 {
    time.filter(|t| *t <= now && now - *t <= DEDUPLICATION_WINDOW_SECS)
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(kind: ErrorKind) -> PortError {
        PortError::new(kind, "ListClusters", "boom")
    }

    #[test]
    fn malformed_events_are_answered_not_retried() {
        let err = crate::events::parse_event("{}").unwrap_err();
        let answer = respond::<()>(Err(InvocationError::InvalidEvent(err))).unwrap();
        assert!(
            answer["rejected"].as_str().unwrap().contains("detail-type"),
            "{answer}"
        );
    }

    #[test]
    fn port_failures_keep_their_kind_as_the_error_type() {
        let cases = [
            (ErrorKind::Throttled, "Retryable"),
            (ErrorKind::Transient, "Retryable"),
            (ErrorKind::AccessDenied, "AccessDenied"),
            (ErrorKind::AlreadyExists, "Conflict"),
            (ErrorKind::LimitExceeded, "Rejected"),
            (ErrorKind::NotFound, "Failed"),
        ];
        for (kind, expected) in cases {
            let error = respond::<()>(Err(InvocationError::from_port(&port(kind)))).unwrap_err();
            assert_eq!(error.error_type(), expected, "{kind:?}");
        }
    }

    #[test]
    fn an_incomplete_invocation_reports_its_worst_failure() {
        let kind = FailureKind::worst([FailureKind::Retryable, FailureKind::AccessDenied]);
        assert_eq!(kind, FailureKind::AccessDenied);
        assert_eq!(
            FailureKind::worst([FailureKind::Retryable, FailureKind::Retryable]),
            FailureKind::Retryable
        );
        let error = InvocationError::Incomplete {
            kind: FailureKind::Retryable,
            completed: "2 jobs enqueued".into(),
            failures: vec!["222222222222/eu-west-1: throttled".into()],
        };
        assert_eq!(error.error_type(), "Retryable");
        assert!(
            error.to_string().contains("222222222222/eu-west-1"),
            "{error}"
        );
    }

    #[cfg(feature = "aws")]
    #[test]
    fn diagnostics_carry_the_error_type_not_a_type_name() {
        let diagnostic: lambda_runtime::Diagnostic =
            InvocationError::from_port(&port(ErrorKind::AccessDenied)).into();
        assert_eq!(diagnostic.error_type, "AccessDenied");
        assert!(diagnostic.error_message.contains("ListClusters"));
        let unexpected: lambda_runtime::Diagnostic = InvocationError::UnexpectedInput {
            function: "reconciler",
            what: "an EKS event".into(),
        }
        .into();
        assert_eq!(unexpected.error_type, "InvalidEvent");
    }

    #[test]
    fn jobs_use_the_event_time_only_inside_the_deduplication_window() {
        let now = 1_000_000;
        assert_eq!(enqueue_time(Some(now - 120), now), now - 120);
        assert_eq!(
            enqueue_time(Some(now - 301), now),
            now,
            "too old to deduplicate"
        );
        assert_eq!(enqueue_time(Some(now + 5), now), now, "future-dated");
        assert_eq!(enqueue_time(None, now), now);
    }

    #[test]
    fn the_event_time_is_read_from_the_envelope() {
        let event = serde_json::json!({ "time": "2026-01-02T03:04:05Z" });
        assert_eq!(event_time(&event), Some(1_767_323_045));
        assert_eq!(event_time(&serde_json::json!({ "time": "soon" })), None);
        assert_eq!(event_time(&serde_json::json!({})), None);
    }
}
