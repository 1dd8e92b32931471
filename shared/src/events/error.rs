//! Why an event could not be classified: always names the field path at fault.

/// A malformed event. Classification never guesses: a trigger that needs a field fails with the
/// field's full path (`detail.requestParameters.targetId`), so the operator can find it in the
/// event as logged.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The input is not JSON at all. (Not a `#[source]`: the message already carries it, and
    /// chained reporters would print it twice.)
    #[error("event is not valid JSON: {0}")]
    Json(serde_json::Error),
    /// The envelope has every required field, each of the right type, and still does not parse
    /// (the field checks in [`super::envelope`] name the field in every case they know).
    #[error("event envelope is malformed: {0}")]
    Envelope(serde_json::Error),
    /// A field the trigger needs is absent, null or empty.
    #[error("event field `{path}` is missing (needed for {needed_for})")]
    MissingField {
        /// Full path from the envelope root, e.g. `detail.requestParameters.targetId`.
        path: String,
        /// What needed it, e.g. `sso.amazonaws.com CreateAccountAssignment`.
        needed_for: String,
    },
    /// A field is present but its value is not acceptable.
    #[error("event field `{path}` is invalid: {reason}")]
    InvalidField {
        /// Full path from the envelope root (empty for the whole event).
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl EventError {
    /// The path of the missing or invalid field, when the error is about one field.
    pub fn field_path(&self) -> Option<&str> {
        match self {
            Self::MissingField { path, .. } | Self::InvalidField { path, .. } => Some(path),
            Self::Json(_) | Self::Envelope(_) => None,
        }
    }

    pub(crate) fn missing(path: impl Into<String>, needed_for: impl Into<String>) -> Self {
        Self::MissingField {
            path: path.into(),
            needed_for: needed_for.into(),
        }
    }

    pub(crate) fn invalid(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidField {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
