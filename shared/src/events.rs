//! EventBridge and CloudTrail events classified into triggers.
//!
//! Events are triggers, never truth (see DESIGN.md): classification only says *what happened to
//! what* (a group, a membership, an assignment, an SSO role, a cluster), so that a handler can work
//! out which clusters to reconcile. Every classification is one of three outcomes:
//!
//! - a [`Trigger`] naming the thing that changed;
//! - [`Trigger::Ignored`] with a reason, for events that are well-formed but not ours (a failed
//!   call carrying `errorCode`, an IAM role outside the SSO path, a source we do not handle);
//! - an [`EventError`] naming the field path that is missing or invalid, for malformed events.
//!
//! The envelope is `aws_lambda_events`' [`EventBridgeEvent`]; CloudTrail `detail` is read with the
//! lenient [`cloudtrail::CloudTrailDetail`] because real records carry shapes a strict struct
//! rejects (AWS-FACTS §4).
//!
//! The EventBridge Scheduler sweep is delivered to the reconciler with a templated `Input` that
//! has exactly the EventBridge envelope shape (`source: aws.scheduler`,
//! `detail-type: Scheduled Event`, `detail: {}`), so one parser covers rules and schedules.

mod access_entry;
pub mod cloudtrail;
mod eks;
mod envelope;
mod error;
mod fields;
mod iam;
mod identity_center;
mod sso;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_drift;
mod trigger;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use access_entry::OWN_SESSION_PREFIX;
pub use error::EventError;
pub use trigger::{AssignedPrincipal, Handler, PrincipalType, Trigger};

/// `detail-type` of every CloudTrail management event delivered by EventBridge.
pub const CLOUDTRAIL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";
/// `detail-type` of scheduled events, from EventBridge rules and from our Scheduler input.
pub const SCHEDULED_DETAIL_TYPE: &str = "Scheduled Event";
/// `source` of Identity Center's native notifications (shared with its CloudTrail records).
pub const IDENTITY_STORE_SOURCE: &str = "aws.identitystore";

/// A classified event: the trigger plus what identifies the event in logs and audit records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classified {
    /// What happened.
    pub trigger: Trigger,
    /// The EventBridge event id (falling back to CloudTrail's `detail.eventID`).
    pub event_id: String,
    /// The CloudTrail `eventName`, or the `detail-type` of a native or scheduled event.
    pub event_name: Option<String>,
    /// The EventBridge `source`, e.g. `aws.eks`.
    pub source: String,
    /// What identifies the *change* independently of the copy of the event that reports it
    /// (see [`change_id`]): the same for a retried delivery and for the copies a replicated
    /// Identity Center instance emits in each of its Regions, so jobs built from any copy share
    /// one FIFO deduplication id. (Empty when read from a document of an older version.)
    #[serde(default)]
    pub change_id: String,
}

/// Parses an EventBridge event from JSON text and classifies it.
pub fn parse_event(json: &str) -> Result<Classified, EventError> {
    let value: Value = serde_json::from_str(json).map_err(EventError::Json)?;
    parse_event_value(value)
}

/// Parses an EventBridge event from a JSON value and classifies it. Missing envelope fields are
/// reported by name before serde gets a chance to report them less helpfully.
pub fn parse_event_value(value: Value) -> Result<Classified, EventError> {
    let Value::Object(map) = &value else {
        return Err(EventError::invalid(
            "",
            "an EventBridge event is a JSON object",
        ));
    };
    for field in ["detail-type", "source", "detail"] {
        if !map.contains_key(field) {
            return Err(EventError::missing(field, "every EventBridge event"));
        }
    }
    envelope::check_fields(map)?;
    let event: EventBridgeEvent<Value> =
        serde_json::from_value(value).map_err(EventError::Envelope)?;
    classify(&event)
}

/// Classifies a parsed EventBridge event. Never calls AWS and never reads the environment.
pub fn classify(event: &EventBridgeEvent<Value>) -> Result<Classified, EventError> {
    let (trigger, event_name) = match (event.source.as_str(), event.detail_type.as_str()) {
        (_, CLOUDTRAIL_DETAIL_TYPE) => cloudtrail::classify_record(event)?,
        (IDENTITY_STORE_SOURCE, detail_type) => (
            identity_center::classify_native(detail_type, &event.detail)?,
            Some(detail_type.to_owned()),
        ),
        ("aws.events" | "aws.scheduler", SCHEDULED_DETAIL_TYPE) => (
            Trigger::ScheduledSweep,
            Some(SCHEDULED_DETAIL_TYPE.to_owned()),
        ),
        (source, detail_type) => (
            Trigger::ignored(format!(
                "not an event eks-sso-sync handles (source {source:?}, detail-type {detail_type:?})"
            )),
            None,
        ),
    };
    let event_id = event_id(event)?;
    Ok(Classified {
        change_id: change_id(event).unwrap_or_else(|| format!("event:{event_id}")),
        trigger,
        event_id,
        event_name,
        source: event.source.clone(),
    })
}

/// The change an event reports, independent of the envelope (`id`, `region`, `time`,
/// `account` differ between copies):
///
/// - a CloudTrail record: the API request it records (`detail.requestID`, else CloudTrail's
///   `detail.eventID`), with its service and operation;
/// - a native Identity Center notification: its `detail-type` and its `detail` in canonical
///   form (keys sorted). The notifications carry no id of their own, so two *identical*
///   notifications inside SQS's five-minute window count as one change; every membership and
///   group notification names a fresh membership or group id, so only repeated `Group Updated`
///   of one group can merge, and the job reads the group's current state anyway.
///
/// `None` for anything else (the scheduled sweep): the envelope id then identifies it.
fn change_id(event: &EventBridgeEvent<Value>) -> Option<String> {
    match (event.source.as_str(), event.detail_type.as_str()) {
        (_, CLOUDTRAIL_DETAIL_TYPE) => {
            let detail = cloudtrail::CloudTrailDetail::from_value(&event.detail).ok()?;
            let request = detail.request_id.or(detail.event_id)?;
            Some(format!(
                "cloudtrail:{}:{}:{request}",
                detail.event_source.unwrap_or_default(),
                detail.event_name.unwrap_or_default()
            ))
        }
        (IDENTITY_STORE_SOURCE, detail_type) => Some(format!(
            "{IDENTITY_STORE_SOURCE}:{detail_type}:{}",
            canonical(&event.detail)
        )),
        _ => None,
    }
}

/// `value` as compact JSON with object keys sorted at every level, so the same content always
/// reads the same whatever order a producer wrote it in.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        scalar => scalar.to_string(),
    }
}

/// The envelope `id`, or CloudTrail's `eventID` for hand-written events without one.
fn event_id(event: &EventBridgeEvent<Value>) -> Result<String, EventError> {
    if let Some(id) = event.id.as_deref().filter(|id| !id.is_empty()) {
        return Ok(id.to_owned());
    }
    event
        .detail
        .get("eventID")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| EventError::missing("id", "identifying the event"))
}
