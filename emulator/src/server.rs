//! The HTTP front: service calls are routed by the SigV4 credential scope of their
//! `Authorization` header (signatures are not checked) to the protocol of that service; the
//! fault layer and the request log wrap every service call; `/_emulator/` is the admin API.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};

use crate::faults::Injected;
use crate::protocol::aws_query::{Params, Xml};
use crate::protocol::{aws_json, aws_query, respond, rest_json};
use crate::services::{ApiError, eks, iam, identitystore, sqs, ssoadmin, sts};
use crate::state::{EmulatorState, RequestRecord, lock};
use crate::world::{Caller, World};

/// The emulated services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// EKS, restJson1.
    Eks,
    /// IAM, awsQuery.
    Iam,
    /// STS, awsQuery.
    Sts,
    /// Identity Store, awsJson1_1.
    IdentityStore,
    /// SSO Admin (signing name `sso`), awsJson1_1.
    SsoAdmin,
    /// SQS, awsJson1_0.
    Sqs,
}

impl Service {
    /// The service of a SigV4 signing name.
    pub fn from_signing_name(name: &str) -> Option<Self> {
        Some(match name {
            "eks" => Self::Eks,
            "iam" => Self::Iam,
            "sts" => Self::Sts,
            "identitystore" => Self::IdentityStore,
            "sso" => Self::SsoAdmin,
            "sqs" => Self::Sqs,
            _ => return None,
        })
    }

    /// The service of an `X-Amz-Target` prefix (for unsigned awsJson calls).
    fn from_target(target: &str) -> Option<Self> {
        match target.split('.').next()? {
            "AWSIdentityStore" => Some(Self::IdentityStore),
            "SWBExternalService" => Some(Self::SsoAdmin),
            "AmazonSQS" => Some(Self::Sqs),
            _ => None,
        }
    }

    /// The signing name, used in the request log.
    pub fn name(self) -> &'static str {
        match self {
            Self::Eks => "eks",
            Self::Iam => "iam",
            Self::Sts => "sts",
            Self::IdentityStore => "identitystore",
            Self::SsoAdmin => "sso",
            Self::Sqs => "sqs",
        }
    }

    fn throttling(self) -> ApiError {
        match self {
            Self::Eks => eks::throttling(),
            Self::Iam | Self::Sts => aws_query::throttling(),
            _ => aws_json::throttling(),
        }
    }

    fn server_fault(self) -> ApiError {
        match self {
            Self::Eks => eks::server_fault(),
            Self::Iam | Self::Sts => aws_query::server_fault(),
            _ => aws_json::server_fault(),
        }
    }
}

/// `(access key id, region, service)` of `Credential=AKID/date/region/service/aws4_request`.
pub fn parse_scope(authorization: &str) -> Option<(String, String, String)> {
    let credential = authorization
        .split("Credential=")
        .nth(1)?
        .split([',', ' '])
        .next()?;
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [key, _date, region, service, "aws4_request"] => Some((
            (*key).to_owned(),
            (*region).to_owned(),
            (*service).to_owned(),
        )),
        _ => None,
    }
}

/// The router: admin API under `/_emulator/`, every other path a service call.
pub fn router(state: Arc<EmulatorState>) -> Router {
    Router::new()
        .nest("/_emulator", crate::admin::router())
        .nest("/_k8s", crate::services::kubernetes::router())
        .fallback(service_call)
        .with_state(state)
}

enum Input {
    Json(Value),
    Query(Params),
}

enum Output {
    Json(Value),
    Xml(Vec<Xml>),
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// `(operation, input)` of a request to `service`, or the protocol's error for it.
fn decode(
    service: Service,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, Input), (String, ApiError)> {
    match service {
        Service::Eks => rest_json::decode_request(
            method.as_str(),
            uri.path(),
            uri.query().unwrap_or_default(),
            body,
        )
        .map(|(op, v)| (op, Input::Json(v))),
        Service::Iam | Service::Sts => {
            let params = aws_query::parse_params(body);
            let action = params.get("Action").cloned().unwrap_or_default();
            Ok((action, Input::Query(params)))
        }
        _ => {
            let op = aws_json::operation(header(headers, "x-amz-target")).to_owned();
            aws_json::parse_body(body)
                .map(|v| (op.clone(), Input::Json(v)))
                .map_err(|e| (op, e))
        }
    }
}

fn invoke(
    world: &mut World,
    service: Service,
    caller: &Caller,
    op: &str,
    input: &Input,
    host: &str,
) -> Result<Output, ApiError> {
    let empty = Params::new();
    let (json, params) = match input {
        Input::Json(v) => (v.clone(), &empty),
        Input::Query(p) => (json!({}), p),
    };
    match service {
        Service::Eks => eks::dispatch(world, caller, op, &json).map(Output::Json),
        Service::Iam => iam::dispatch(world, caller, op, params).map(Output::Xml),
        Service::Sts => sts::dispatch(world, caller, op, params).map(Output::Xml),
        Service::IdentityStore => identitystore::dispatch(world, op, &json).map(Output::Json),
        Service::SsoAdmin => ssoadmin::dispatch(world, op, &json).map(Output::Json),
        Service::Sqs => sqs::dispatch(world, caller, op, &json, host).map(Output::Json),
    }
}

fn encode(service: Service, op: &str, outcome: &Result<Output, ApiError>) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    match (service, outcome) {
        (Service::Eks, Ok(Output::Json(v))) => rest_json::success(v),
        (Service::Eks, Err(e)) => rest_json::error(e),
        (Service::Iam | Service::Sts, Ok(Output::Xml(x))) => {
            aws_query::success(service.name(), op, x.clone(), &request_id)
        }
        (Service::Iam | Service::Sts, Err(e)) => aws_query::error(service.name(), e, &request_id),
        (Service::Sqs, Ok(Output::Json(v))) => aws_json::success("1.0", v),
        (Service::Sqs, Err(e)) => aws_json::error(
            "1.0",
            e,
            "com.amazonaws.sqs#",
            Some(&sqs::legacy_code(&e.code)),
        ),
        (_, Ok(Output::Json(v))) => aws_json::success("1.1", v),
        (_, Err(e)) => aws_json::error("1.1", e, "", None),
        (_, Ok(Output::Xml(_))) => rest_json::error(&ApiError::new(
            500,
            "InternalFailure",
            "emulator protocol mismatch",
        )),
    }
}

async fn service_call(
    State(state): State<Arc<EmulatorState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let scope = parse_scope(header(&headers, "authorization"));
    let (key, region, signing_name) =
        scope.unwrap_or_else(|| (String::new(), "us-east-1".to_owned(), String::new()));
    let service = Service::from_signing_name(&signing_name)
        .or_else(|| Service::from_target(header(&headers, "x-amz-target")));
    let Some(service) = service else {
        return unknown_service(&state, &signing_name, &region);
    };
    let caller = state.with_world(|w| w.resolve_caller(&key, &region));
    let decoded = decode(service, &method, &uri, &headers, &body);
    let operation = match &decoded {
        Ok((op, _)) | Err((op, _)) => op.as_str(),
    };
    let (decision, latency) = {
        let mut faults = lock(&state.faults);
        let decision = faults.decide(service.name(), operation, &caller.account);
        (decision, faults.faults().latency_ms)
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let host = header(&headers, "host").to_owned();
    let (op, outcome) = match (decoded, decision) {
        (Err((op, err)), _) => (op, Err(err)),
        (Ok((op, _)), Injected::Throttle) => (op, Err(service.throttling())),
        (Ok((op, _)), Injected::ServerError) => (op, Err(service.server_fault())),
        (Ok((op, input)), Injected::Nothing) => {
            let outcome = state.with_world(|w| {
                let empty = Params::new();
                let no_json = json!({});
                let (json, params) = match &input {
                    Input::Json(v) => (v, &empty),
                    Input::Query(p) => (&no_json, p),
                };
                let request = crate::authz::Request {
                    service: service.name(),
                    operation: &op,
                    json,
                    params,
                };
                crate::authz::authorize(w, &state.iam_log, &caller, request)?;
                invoke(w, service, &caller, &op, &input, &host)
            });
            (op, outcome)
        }
    };
    let response = encode(service, &op, &outcome);
    tracing::debug!(service = service.name(), operation = %op, status = response.status().as_u16(), "service call");
    state.record(RequestRecord {
        seq: 0,
        service: service.name().to_owned(),
        operation: op,
        account: caller.account,
        region: caller.region,
        status: response.status().as_u16(),
        error_code: outcome.err().map(|e| e.code),
    });
    response
}

fn unknown_service(state: &EmulatorState, name: &str, region: &str) -> Response {
    let message = format!("The emulator does not emulate service '{name}'");
    state.record(RequestRecord {
        seq: 0,
        service: name.to_owned(),
        operation: String::new(),
        account: String::new(),
        region: region.to_owned(),
        status: 400,
        error_code: Some("UnknownServiceException".to_owned()),
    });
    let body = json!({"__type": "UnknownServiceException", "message": message}).to_string();
    respond(
        400,
        &[
            ("content-type", "application/json".to_owned()),
            ("x-amzn-errortype", "UnknownServiceException".to_owned()),
        ],
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_parsing() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/eu-west-1/eks/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(
            parse_scope(auth),
            Some(("AKIDEXAMPLE".into(), "eu-west-1".into(), "eks".into()))
        );
        assert_eq!(parse_scope("Bearer x"), None);
        assert_eq!(Service::from_signing_name("sso"), Some(Service::SsoAdmin));
    }
}
