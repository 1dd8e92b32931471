//! Enforcement: a call made with an assumed-role session of a role that has identity policies is
//! evaluated against them, and refused as AWS refuses it. Roles without policies (every role of
//! the older seeds and tests) are not enforced, so enforcement is opt-in per role.

use super::Authorization;
use crate::policy::{self, Decision};
use crate::services::ApiError;
use crate::services::sts::caller_arn;
use crate::world::{Caller, World};

/// The error code and HTTP status of an access denial in each service's protocol.
fn denial_shape(service: &str) -> (u16, &'static str) {
    match service {
        // awsQuery services use the short code.
        "iam" | "sts" => (403, "AccessDenied"),
        // EKS (restJson1), Identity Store and SSO Admin (awsJson 1.1) model it as an exception;
        // SQS's JSON protocol too, with `AccessDenied` as its legacy query code.
        _ => (403, "AccessDeniedException"),
    }
}

/// AWS's message for a refused call, naming the session, the action and the resource.
pub fn denial_message(caller: &Caller, auth: &Authorization, decision: Decision) -> String {
    let why = match decision {
        Decision::ExplicitlyDenied => {
            "with an explicit deny in an identity-based policy".to_owned()
        }
        _ => format!(
            "because no identity-based policy allows the {} action",
            auth.action
        ),
    };
    format!(
        "User: {} is not authorized to perform: {} on resource: {} {why}",
        caller_arn(caller),
        auth.action,
        auth.resource
    )
}

/// The decision on each authorization when the caller's role is enforced (it has identity
/// policies); `None` when it is not, or the caller has no assumed-role session.
pub fn decisions(world: &World, caller: &Caller, auths: &[Authorization]) -> Option<Vec<Decision>> {
    let session = caller.session.as_ref()?;
    let role = world
        .caller_role(caller)
        .map_or(session.role_name.as_str(), |r| r.name.as_str());
    let documents: Vec<policy::PolicyDocument> = world
        .iam_policies
        .documents(&session.account, role)
        .into_iter()
        .cloned()
        .collect();
    if documents.is_empty() {
        return None;
    }
    Some(
        auths
            .iter()
            .map(|auth| policy::evaluate(&documents, auth))
            .collect(),
    )
}

/// `Ok` if every authorization was allowed (`decisions` from [`decisions`]; `None`: not
/// enforced); otherwise the denial of the first refused authorization.
pub fn check(
    caller: &Caller,
    service: &str,
    auths: &[Authorization],
    decisions: Option<&[Decision]>,
) -> Result<(), ApiError> {
    let Some(decisions) = decisions else {
        return Ok(());
    };
    for (auth, decision) in auths.iter().zip(decisions) {
        if *decision != Decision::Allowed {
            let (status, code) = denial_shape(service);
            return Err(ApiError::new(
                status,
                code,
                denial_message(caller, auth, *decision),
            ));
        }
    }
    Ok(())
}
