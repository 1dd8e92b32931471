//! The one mapping from AWS SDK errors to [`PortError`]: decided by the error *code* and the HTTP
//! status, so every adapter classifies failures the same way and the engine can key its retry and
//! convergence logic on [`ErrorKind`].

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::ports::{ErrorKind, PortError};

/// Codes meaning "slow down". The list follows the SDK's own throttling codes, across the JSON,
/// REST-JSON and query protocols our services use.
const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "PriorRequestNotComplete",
];

/// Codes meaning the service failed, not the request: worth retrying.
const TRANSIENT_CODES: &[&str] = &[
    "ServerException",
    "ServiceUnavailableException",
    "ServiceUnavailable",
    "ServiceFailure",
    "ServiceFailureException",
    "InternalFailure",
    "InternalServerException",
    "InternalServerError",
    "InternalError",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// Codes meaning the thing does not exist (EKS, IAM query, Identity Store, SSM, SQS).
const NOT_FOUND_CODES: &[&str] = &[
    "ResourceNotFoundException",
    "NoSuchEntity",
    "NoSuchEntityException",
    "NotFoundException",
    "ParameterNotFound",
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
];

/// Codes meaning the thing already exists.
const ALREADY_EXISTS_CODES: &[&str] = &[
    "ResourceInUseException",
    "EntityAlreadyExists",
    "ResourceAlreadyExistsException",
];

/// Codes meaning the caller's policy forbids the call.
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
];

/// Codes meaning a quota is exhausted (e.g. 3,000 access entries per cluster).
const LIMIT_CODES: &[&str] = &[
    "ResourceLimitExceededException",
    "LimitExceeded",
    "LimitExceededException",
    "ServiceQuotaExceededException",
];

/// Codes meaning a malformed or rejected parameter.
const INVALID_PARAMETER_CODES: &[&str] = &[
    "InvalidParameterException",
    "InvalidParameterValue",
    "InvalidInput",
    "ValidationException",
    "ValidationError",
];

/// Classifies an AWS error from its code, message and HTTP status.
///
/// The code decides; the status is the fallback for codes we do not know (or responses without
/// one). The message is consulted in exactly one case: EKS answers `InvalidParameterException` for
/// every bad parameter, and the only way to tell "this principal does not exist (yet)" — which is
/// retryable while IAM propagates a new role — from a genuinely bad request is that the message
/// names the principal.
pub fn classify(code: Option<&str>, message: Option<&str>, status: Option<u16>) -> ErrorKind {
    let is = |codes: &[&str]| code.is_some_and(|c| codes.contains(&c));
    if code == Some("InvalidParameterException")
        && message.is_some_and(|m| m.to_ascii_lowercase().contains("principal"))
    {
        ErrorKind::InvalidPrincipal
    } else if code == Some("InvalidRequestException") {
        ErrorKind::InvalidRequest
    } else if is(INVALID_PARAMETER_CODES) {
        ErrorKind::InvalidParameter
    } else if is(ALREADY_EXISTS_CODES) {
        ErrorKind::AlreadyExists
    } else if is(NOT_FOUND_CODES) {
        ErrorKind::NotFound
    } else if is(LIMIT_CODES) {
        ErrorKind::LimitExceeded
    } else if is(THROTTLING_CODES) {
        ErrorKind::Throttled
    } else if is(ACCESS_DENIED_CODES) {
        ErrorKind::AccessDenied
    } else if is(TRANSIENT_CODES) {
        ErrorKind::Transient
    } else {
        classify_status(status)
    }
}

/// The kind an HTTP status implies on its own.
fn classify_status(status: Option<u16>) -> ErrorKind {
    match status {
        Some(403) => ErrorKind::AccessDenied,
        Some(404) => ErrorKind::NotFound,
        Some(409) => ErrorKind::AlreadyExists,
        Some(429) => ErrorKind::Throttled,
        Some(500..=599) => ErrorKind::Transient,
        _ => ErrorKind::Other,
    }
}

/// Converts any SDK operation error into a [`PortError`] for `operation` (e.g.
/// `"CreateAccessEntry"`). Timeouts and connection failures are [`ErrorKind::Transient`]; a
/// request the SDK could not even build is [`ErrorKind::Other`] (a bug, not worth retrying).
pub fn port_error<E>(operation: &str, err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let Some(denied) = member_role_refused(&err) {
        return PortError::new(ErrorKind::AccessDenied, operation, denied);
    }
    let status = err.raw_response().map(|r| r.status().as_u16());
    let kind = match &err {
        SdkError::ServiceError(_) => classify(err.code(), err.message(), status),
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => ErrorKind::Transient,
        // The response arrived but could not be read: trust its status, else assume a hiccup.
        SdkError::ResponseError(_) => match classify_status(status) {
            ErrorKind::Other => ErrorKind::Transient,
            kind => kind,
        },
        SdkError::ConstructionFailure(_) => ErrorKind::Other,
        _ => classify_status(status),
    };
    let message = match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(&err).to_string(),
    };
    PortError::new(kind, operation, message)
}

/// The one-line explanation when a call failed because its credentials could not be loaded: in
/// eks-sso-sync that is the member-account role, which does not exist or does not trust the
/// caller. STS's own message names the caller and the role ARN; the fix follows it. `None` for
/// every other failure.
fn member_role_refused<E>(err: &SdkError<E, HttpResponse>) -> Option<String>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut credentials = None;
    while let Some(current) = source {
        if let Some(found) = current.downcast_ref::<CredentialsError>() {
            credentials = Some(found);
        }
        if credentials.is_some() {
            if let Some(sts) = current.downcast_ref::<SdkError<AssumeRoleError, HttpResponse>>() {
                let said = match (sts.code(), sts.message()) {
                    (Some(code), Some(message)) => format!("{code}: {message}"),
                    _ => DisplayErrorContext(sts).to_string(),
                };
                return Some(format!(
                    "cannot assume the member-account role ({said}); {MEMBER_ROLE_FIX}"
                ));
            }
        }
        source = current.source();
    }
    credentials.map(|c| {
        format!(
            "cannot load credentials for the member account ({}); {MEMBER_ROLE_FIX}",
            DisplayErrorContext(c)
        )
    })
}

/// What to do when the member-account role cannot be assumed.
const MEMBER_ROLE_FIX: &str = "deploy member-account.yaml in that account (its role trusts the \
    hub's function roles, HubFunctionRoleArns) or fix accounts[].role in the mapping; for the \
    account eks-sso-sync itself runs in, set accounts[].role: none";

/// A [`PortError`] for an AWS answer that parsed but does not fit the domain (a missing field, a
/// value our validated types reject).
pub(crate) fn unexpected_response(operation: &str, what: impl std::fmt::Display) -> PortError {
    PortError::new(
        ErrorKind::Other,
        operation,
        format!("unexpected response: {what}"),
    )
}

#[cfg(test)]
mod tests {
    use aws_sdk_eks::operation::create_access_entry::CreateAccessEntryError;
    use aws_sdk_eks::types::error::{
        InvalidParameterException, InvalidRequestException, ResourceInUseException,
        ResourceNotFoundException, ServerException,
    };
    use aws_sdk_iam::operation::get_role::GetRoleError;
    use aws_sdk_iam::types::error::NoSuchEntityException;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn response(status: u16) -> HttpResponse {
        Response::new(
            StatusCode::try_from(status).expect("valid status"),
            SdkBody::empty(),
        )
    }

    fn meta(code: &str, message: &str) -> ErrorMetadata {
        ErrorMetadata::builder().code(code).message(message).build()
    }

    fn eks_error(
        err: CreateAccessEntryError,
        status: u16,
    ) -> SdkError<CreateAccessEntryError, HttpResponse> {
        SdkError::service_error(err, response(status))
    }

    #[test]
    fn eks_modeled_errors_map_by_code() {
        let in_use = CreateAccessEntryError::ResourceInUseException(
            ResourceInUseException::builder()
                .message("exists")
                .meta(meta(
                    "ResourceInUseException",
                    "The specified access entry resource is already in use on this cluster.",
                ))
                .build(),
        );
        let e = port_error("CreateAccessEntry", eks_error(in_use, 409));
        assert_eq!(e.kind, ErrorKind::AlreadyExists);
        assert_eq!(e.operation, "CreateAccessEntry");
        assert!(
            e.message.starts_with("ResourceInUseException: "),
            "{}",
            e.message
        );

        let not_found = CreateAccessEntryError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .meta(meta(
                    "ResourceNotFoundException",
                    "No cluster found for name: x.",
                ))
                .build(),
        );
        assert_eq!(
            port_error("CreateAccessEntry", eks_error(not_found, 404)).kind,
            ErrorKind::NotFound
        );

        let config_map = CreateAccessEntryError::InvalidRequestException(
            InvalidRequestException::builder()
                .meta(meta(
                    "InvalidRequestException",
                    "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
                ))
                .build(),
        );
        assert_eq!(
            port_error("CreateAccessEntry", eks_error(config_map, 400)).kind,
            ErrorKind::InvalidRequest
        );

        let server = CreateAccessEntryError::ServerException(
            ServerException::builder()
                .meta(meta("ServerException", "boom"))
                .build(),
        );
        let e = port_error("CreateAccessEntry", eks_error(server, 500));
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.is_transient());
    }

    #[test]
    fn invalid_parameter_naming_the_principal_is_invalid_principal() {
        let principal = CreateAccessEntryError::InvalidParameterException(
            InvalidParameterException::builder()
                .meta(meta(
                    "InvalidParameterException",
                    "The specified principalArn is invalid: invalid principal",
                ))
                .build(),
        );
        assert_eq!(
            port_error("CreateAccessEntry", eks_error(principal, 400)).kind,
            ErrorKind::InvalidPrincipal
        );
        let groups = CreateAccessEntryError::InvalidParameterException(
            InvalidParameterException::builder()
                .meta(meta(
                    "InvalidParameterException",
                    "Kubernetes group name system:masters is invalid",
                ))
                .build(),
        );
        assert_eq!(
            port_error("CreateAccessEntry", eks_error(groups, 400)).kind,
            ErrorKind::InvalidParameter
        );
    }

    #[test]
    fn iam_no_such_entity_is_not_found() {
        let err = GetRoleError::NoSuchEntityException(
            NoSuchEntityException::builder()
                .meta(meta(
                    "NoSuchEntity",
                    "The role with name x cannot be found.",
                ))
                .build(),
        );
        let e = port_error("GetRole", SdkError::service_error(err, response(404)));
        assert_eq!(e.kind, ErrorKind::NotFound);
    }

    #[test]
    fn unmodeled_codes_and_statuses_are_classified() {
        let throttled =
            CreateAccessEntryError::generic(meta("ThrottlingException", "Rate exceeded"));
        assert_eq!(
            port_error("CreateAccessEntry", eks_error(throttled, 400)).kind,
            ErrorKind::Throttled
        );
        let denied = CreateAccessEntryError::generic(meta("AccessDeniedException", "no"));
        assert_eq!(
            port_error("CreateAccessEntry", eks_error(denied, 403)).kind,
            ErrorKind::AccessDenied
        );
        // No code at all: the status decides.
        let bare = CreateAccessEntryError::generic(ErrorMetadata::builder().build());
        assert_eq!(
            port_error("CreateAccessEntry", eks_error(bare, 429)).kind,
            ErrorKind::Throttled
        );
        let bare = CreateAccessEntryError::generic(ErrorMetadata::builder().build());
        assert_eq!(
            port_error("CreateAccessEntry", eks_error(bare, 503)).kind,
            ErrorKind::Transient
        );
        let unknown = CreateAccessEntryError::generic(meta("SomethingNew", "?"));
        assert_eq!(
            port_error("CreateAccessEntry", eks_error(unknown, 400)).kind,
            ErrorKind::Other
        );
    }

    #[test]
    fn transport_failures_are_transient() {
        let timeout: SdkError<CreateAccessEntryError, HttpResponse> =
            SdkError::timeout_error("read timed out");
        assert_eq!(port_error("X", timeout).kind, ErrorKind::Transient);
        let dispatch: SdkError<CreateAccessEntryError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io("connection refused".into()));
        let e = port_error("X", dispatch);
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.message.contains("connection refused"), "{}", e.message);
        let construction: SdkError<CreateAccessEntryError, HttpResponse> =
            SdkError::construction_failure("missing field");
        assert_eq!(port_error("X", construction).kind, ErrorKind::Other);
    }

    #[test]
    fn the_message_is_consulted_only_for_invalid_parameter() {
        // A not-found message mentioning the principal stays NotFound.
        assert_eq!(
            classify(
                Some("ResourceNotFoundException"),
                Some("The specified principal was not found"),
                Some(404)
            ),
            ErrorKind::NotFound
        );
        // The message alone never decides.
        assert_eq!(
            classify(None, Some("invalid principal"), Some(400)),
            ErrorKind::Other
        );
    }
}
