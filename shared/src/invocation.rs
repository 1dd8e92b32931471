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
