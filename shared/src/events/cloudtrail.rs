//! The CloudTrail record inside `detail`, read leniently, and the dispatch on its `eventSource`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::Value;

use super::fields::Fields;
use super::identity_center::Origin;
use super::{EventError, Trigger, eks, iam, identity_center, sso};
use crate::domain::{AccountId, Region};

/// A CloudTrail record as EventBridge delivers it in `detail`.
///
/// Every field is optional and unknown fields are ignored: real records carry shapes a strict
/// struct rejects (an empty `sessionIssuer: {}`, `userIdentity.type: IdentityCenterUser`, masked
/// display names). Classification decides which fields it actually needs and reports their path.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CloudTrailDetail {
    /// Record format version, e.g. `1.08`.
    pub event_version: Option<String>,
    /// Who made the call.
    pub user_identity: Option<UserIdentity>,
    /// When the call was made (ISO 8601).
    pub event_time: Option<String>,
    /// The service called, e.g. `sso.amazonaws.com`.
    pub event_source: Option<String>,
    /// The API action, e.g. `CreateAccountAssignment`.
    pub event_name: Option<String>,
    /// The region the call was made in.
    pub aws_region: Option<String>,
    /// Present only when the call failed; such records are ignored.
    pub error_code: Option<String>,
    /// The failure message, when the call failed.
    pub error_message: Option<String>,
    /// The request, in the service's own shape.
    pub request_parameters: Option<Value>,
    /// The response, in the service's own shape (often `null`).
    pub response_elements: Option<Value>,
    /// CloudTrail's own id for the record.
    #[serde(rename = "eventID")]
    pub event_id: Option<String>,
    /// The id of the API request the record is about: the same in every copy of the record.
    #[serde(rename = "requestID")]
    pub request_id: Option<String>,
    /// The account whose trail recorded the call: the account the resource lives in.
    pub recipient_account_id: Option<String>,
}

/// `detail.userIdentity`, leniently: `type` may be `IdentityCenterUser`, `AWSService`, ... and
/// `sessionContext.sessionIssuer` may be an empty object.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserIdentity {
    /// `IAMUser`, `AssumedRole`, `AWSService`, `IdentityCenterUser`, ...
    #[serde(rename = "type")]
    pub identity_type: Option<String>,
    /// The caller's principal id.
    pub principal_id: Option<String>,
    /// The caller's ARN (an STS session ARN for roles).
    pub arn: Option<String>,
    /// The caller's account.
    pub account_id: Option<String>,
    /// The service that made the call on the caller's behalf, e.g. `sso.amazonaws.com`.
    pub invoked_by: Option<String>,
    /// Session details, when the caller used temporary credentials.
    pub session_context: Option<SessionContext>,
}

/// `userIdentity.sessionContext`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SessionContext {
    /// The role or user that issued the session; real records may have `{}` here.
    pub session_issuer: Option<SessionIssuer>,
}

/// `userIdentity.sessionContext.sessionIssuer`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SessionIssuer {
    /// `Role`, `IAMUser`, ...
    #[serde(rename = "type")]
    pub issuer_type: Option<String>,
    /// The issuer's ARN, path included.
    pub arn: Option<String>,
    /// The issuer's name.
    pub user_name: Option<String>,
}

impl CloudTrailDetail {
    /// Reads a record leniently; only a wrongly *typed* known field is an error.
    pub fn from_value(detail: &Value) -> Result<Self, EventError> {
        if !detail.is_object() {
            return Err(EventError::invalid(
                "detail",
                "a CloudTrail record is a JSON object",
            ));
        }
        Self::deserialize(detail).map_err(|e| EventError::invalid("detail", e.to_string()))
    }

    /// `detail.requestParameters`, read on behalf of `context`.
    pub(crate) fn request<'a>(&'a self, context: &'a str) -> Fields<'a> {
        Fields::new(
            self.request_parameters.as_ref(),
            "detail.requestParameters",
            context,
        )
    }

    /// `detail.responseElements`, read on behalf of `context`.
    pub(crate) fn response<'a>(&'a self, context: &'a str) -> Fields<'a> {
        Fields::new(
            self.response_elements.as_ref(),
            "detail.responseElements",
            context,
        )
    }
}

/// Classifies a CloudTrail record; returns the trigger and the `eventName`.
pub(crate) fn classify_record(
    event: &EventBridgeEvent<Value>,
) -> Result<(Trigger, Option<String>), EventError> {
    let detail = CloudTrailDetail::from_value(&event.detail)?;
    let needed_for = "every CloudTrail record";
    let source = detail
        .event_source
        .clone()
        .ok_or_else(|| EventError::missing("detail.eventSource", needed_for))?;
    let name = detail
        .event_name
        .clone()
        .ok_or_else(|| EventError::missing("detail.eventName", needed_for))?;
    if let Some(code) = &detail.error_code {
        return Ok((Trigger::ignored(format!("call failed: {code}")), Some(name)));
    }
    let context = format!("{source} {name}");
    let trigger = match source.as_str() {
        "sso-directory.amazonaws.com" => {
            identity_center::classify_call(Origin::Console, &name, &detail, &context)?
        }
        "identitystore.amazonaws.com" => {
            identity_center::classify_call(Origin::Api, &name, &detail, &context)?
        }
        "identitystore-scim.amazonaws.com" => {
            identity_center::classify_call(Origin::Scim, &name, &detail, &context)?
        }
        "sso.amazonaws.com" => sso::classify_call(&name, &detail, &context)?,
        "iam.amazonaws.com" => iam::classify_call(event, &name, &detail, &context)?,
        "eks.amazonaws.com" => eks::classify_call(event, &name, &detail, &context)?,
        other => Trigger::ignored(format!("CloudTrail source {other} is not one we handle")),
    };
    Ok((trigger, Some(name)))
}

/// The account a record is about: `detail.recipientAccountId` (the account whose trail recorded
/// the call), else the envelope's `account`. Forwarding between buses keeps both intact.
pub(crate) fn record_account(
    event: &EventBridgeEvent<Value>,
    detail: &CloudTrailDetail,
    context: &str,
) -> Result<AccountId, EventError> {
    let (raw, path) = detail
        .recipient_account_id
        .as_deref()
        .map(|a| (a, "detail.recipientAccountId"))
        .or_else(|| event.account.as_deref().map(|a| (a, "account")))
        .ok_or_else(|| EventError::missing("detail.recipientAccountId", context))?;
    AccountId::new(raw).map_err(|e| EventError::invalid(path, e.to_string()))
}

/// The region a call was made in: `detail.awsRegion`, else the envelope's `region`.
pub(crate) fn record_region(
    event: &EventBridgeEvent<Value>,
    detail: &CloudTrailDetail,
    context: &str,
) -> Result<Region, EventError> {
    let (raw, path) = detail
        .aws_region
        .as_deref()
        .map(|r| (r, "detail.awsRegion"))
        .or_else(|| event.region.as_deref().map(|r| (r, "region")))
        .ok_or_else(|| EventError::missing("detail.awsRegion", context))?;
    Region::new(raw).map_err(|e| EventError::invalid(path, e.to_string()))
}
