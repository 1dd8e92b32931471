//! Wire protocols: how requests are decoded and answers and errors encoded for each AWS
//! protocol family (restJson1 for EKS, awsJson for Identity Store, SSO Admin and SQS, awsQuery
//! for IAM and STS).

pub mod aws_json;
pub mod aws_query;
pub mod rest_json;

use axum::response::Response;

/// Builds a response from a status, headers and a body; a failure here is a bug in the emulator.
pub(crate) fn respond(status: u16, headers: &[(&str, String)], body: String) -> Response {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    builder
        .body(axum::body::Body::from(body))
        .unwrap_or_else(|err| {
            tracing::error!(%err, "could not build a response");
            let mut fallback = Response::new(axum::body::Body::from("emulator response error"));
            *fallback.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
}
