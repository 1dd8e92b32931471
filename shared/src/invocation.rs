//! What every function invocation shares: how a failure is classified for Lambda, so that its
//! `errorType` says whether a retry can help.

use crate::events::EventError;

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    /// The event is malformed. Retrying cannot help: the functions log it at ERROR, count it in
    /// the `MalformedEvents` metric (which has an alarm) and return successfully.
    #[error("invalid event: {0}")]
    InvalidEvent(#[from] EventError),
    /// A read or write failed in a way a later retry may fix (throttling, 5xx, timeouts): Lambda's
    /// async retries and the on-failure destination apply.
    #[error("retryable failure: {0}")]
    Retryable(String),
    /// Anything else (e.g. access denied): retried too, but surfaced as such in the error type.
    #[error("{0}")]
    Failed(String),
}

impl InvocationError {
    /// The Lambda `errorType`.
    pub fn error_type(&self) -> &'static str {
        match self {
            InvocationError::InvalidEvent(_) => "InvalidEvent",
            InvocationError::Retryable(_) => "Retryable",
            InvocationError::Failed(_) => "Failed",
        }
    }

    /// A failure from a port call, classified by its kind.
    pub fn from_port(error: &crate::ports::PortError) -> Self {
        if error.is_transient() {
            InvocationError::Retryable(error.to_string())
        } else {
            InvocationError::Failed(error.to_string())
        }
    }
}

/// Ends an invocation: a malformed event is logged at ERROR and counted (`MalformedEvents`, which
/// has an alarm), and the invocation's metrics are flushed, whatever the outcome.
pub fn finish<T>(
    result: Result<T, InvocationError>,
    mut metrics: crate::metrics::Metrics,
) -> Result<T, InvocationError> {
    if let Err(InvocationError::InvalidEvent(e)) = &result {
        metrics.add(crate::metrics::names::MALFORMED_EVENTS, 1);
        tracing::error!(error = %e, field = e.field_path(), "malformed event; not retried");
    }
    metrics.flush();
    result
}

/// What a function answers Lambda: the outcome as JSON on success; a malformed event is answered
/// successfully with a `rejected` document (retrying cannot fix it, and it was already logged and
/// counted); any other failure becomes `Err((error_type, message))` so Lambda retries it and the
/// on-failure destination receives it.
pub fn respond<T: serde::Serialize>(
    result: Result<T, InvocationError>,
) -> Result<serde_json::Value, (String, String)> {
    match result {
        Ok(outcome) => {
            serde_json::to_value(outcome).map_err(|e| ("Failed".to_owned(), e.to_string()))
        }
        Err(InvocationError::InvalidEvent(e)) => {
            Ok(serde_json::json!({ "rejected": e.to_string() }))
        }
        Err(e) => Err((e.error_type().to_owned(), e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn transient_failures_are_errors_lambda_retries() {
        let (kind, message) =
            respond::<()>(Err(InvocationError::Retryable("throttled".into()))).unwrap_err();
        assert_eq!(kind, "Retryable");
        assert!(message.contains("throttled"));
    }
}
