//! awsJson 1.0 / 1.1 (SQS; Identity Store, SSO Admin): `POST /` with `X-Amz-Target:
//! <Prefix>.<Operation>`, JSON in and out, errors as HTTP 4xx/5xx with a `__type` body member.

use axum::response::Response;
use serde_json::{Value, json};

use super::respond;
use crate::services::ApiError;

/// The operation named by an `X-Amz-Target` header (`AWSIdentityStore.ListGroups` → `ListGroups`).
pub fn operation(target: &str) -> &str {
    target.rsplit_once('.').map_or(target, |(_, op)| op)
}

/// Parses a JSON body (an empty body is an empty object).
pub fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|err| {
        ApiError::new(
            400,
            "SerializationException",
            format!("Malformed JSON: {err}"),
        )
    })
}

/// A successful answer.
pub fn success(version: &str, output: &Value) -> Response {
    respond(
        200,
        &[("content-type", format!("application/x-amz-json-{version}"))],
        output.to_string(),
    )
}

/// An error answer; `query_error` is SQS's `x-amzn-query-error` (the legacy query code).
pub fn error(
    version: &str,
    err: &ApiError,
    type_prefix: &str,
    query_error: Option<&str>,
) -> Response {
    let body = json!({"__type": format!("{type_prefix}{}", err.code), "message": err.message});
    let mut headers = vec![
        ("content-type", format!("application/x-amz-json-{version}")),
        ("x-amzn-errortype", err.code.clone()),
    ];
    if let Some(legacy) = query_error {
        let fault = if err.is_sender_fault() {
            "Sender"
        } else {
            "Receiver"
        };
        headers.push(("x-amzn-query-error", format!("{legacy};{fault}")));
    }
    respond(err.status, &headers, body.to_string())
}

/// The error for an operation the service does not know.
pub fn unknown_operation(op: &str) -> ApiError {
    ApiError::new(
        400,
        "UnknownOperationException",
        format!("Unknown operation {op}"),
    )
}

/// The throttling error (classified as throttling by the SDKs).
pub fn throttling() -> ApiError {
    ApiError::new(400, "ThrottlingException", "Rate exceeded")
}

/// The injected server fault.
pub fn server_fault() -> ApiError {
    ApiError::new(
        500,
        "InternalFailure",
        "An internal error occurred (injected fault)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_and_body_decoding() {
        assert_eq!(
            operation("SWBExternalService.ListInstances"),
            "ListInstances"
        );
        assert_eq!(parse_body(b"").unwrap(), json!({}));
        assert_eq!(parse_body(b"{").unwrap_err().code, "SerializationException");
    }
}
