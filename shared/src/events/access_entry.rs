//! `eks.amazonaws.com` access-entry records: entries created, updated or deleted, policies
//! associated or disassociated, entries tagged or untagged — by someone other than eks-sso-sync.
//!
//! Each one asks for a reconcile of its cluster (drift repair): the reconciler reads the entries
//! afresh and repairs the managed ones; unmanaged ones are only reported. The tool's own calls
//! are recognised by their role-session name and ignored, so a repair never triggers itself.
//!
//! Record shapes (see `events/README.md` for the sources): the cluster is
//! `requestParameters.name` (the URI's `{name}`); `principalArn` and `policyArn` are URI path
//! parameters in every call but `CreateAccessEntry`, and CloudTrail records them
//! percent-encoded (`arn%3Aaws%3Aiam%3A%3A…`), so both forms are read.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::Value;

use super::cloudtrail::{CloudTrailDetail, record_account, record_region};
use super::fields::{first_of, percent_decoded};
use super::{EventError, Trigger};
use crate::domain::{
    AccountId, Arn, ClusterName, ClusterRef, EntryChange, PolicyArn, PrincipalArn, Region,
};

/// The access-entry operations whose records carry the cluster name and the principal.
pub(crate) const ENTRY_OPERATIONS: [&str; 5] = [
    "CreateAccessEntry",
    "UpdateAccessEntry",
    "DeleteAccessEntry",
    "AssociateAccessPolicy",
    "DisassociateAccessPolicy",
];

/// Every role-session name eks-sso-sync uses starts with this: the CLI's and the default
/// `eks-sso-sync`, the functions' `eks-sso-sync-<function>` (`MEMBER_ROLE_SESSION_NAME`). The
/// hub's `sts:RoleSessionName` condition (`eks-sso-sync*`) admits no other, and the function
/// settings refuse any other, so a call under our member role always carries it.
pub const OWN_SESSION_PREFIX: &str = "eks-sso-sync";

/// Classifies one of [`ENTRY_OPERATIONS`].
pub(crate) fn classify_entry_call(
    event: &EventBridgeEvent<Value>,
    name: &str,
    detail: &CloudTrailDetail,
    context: &str,
) -> Result<Trigger, EventError> {
    if let Some(ignored) = own_call(name, detail) {
        return Ok(ignored);
    }
    let request = detail.request(context);
    let response = detail.response(context);
    let raw = first_of(&[
        (request, "name"),
        (request, "clusterName"),
        (response, "accessEntry.clusterName"),
        (response, "clusterName"),
    ])?
    .ok_or_else(|| EventError::missing(request.path_of("name"), context))?;
    let cluster_name = ClusterName::new(raw.as_str())
        .map_err(|e| EventError::invalid(request.path_of("name"), e.to_string()))?;
    let cluster = ClusterRef::new(
        record_account(event, detail, context)?,
        record_region(event, detail, context)?,
        cluster_name,
    );
    let principal = first_of(&[
        (request, "principalArn"),
        (response, "accessEntry.principalArn"),
        (response, "principalArn"),
    ])?
    .and_then(|raw| lenient(&percent_decoded(&raw), PrincipalArn::new, "principal"));
    let policy = request
        .opt_str("policyArn")?
        .and_then(|raw| lenient(&percent_decoded(raw), PolicyArn::new, "access policy"));
    Ok(Trigger::AccessEntryChanged {
        cluster,
        change: change(name, principal, policy, detail),
    })
}

/// Classifies `TagResource` / `UntagResource` when `arn` (already percent-decoded) names an
/// access entry; `None` for any other resource, which keeps its own handling.
pub(crate) fn classify_tagging(
    name: &str,
    arn: &str,
    detail: &CloudTrailDetail,
    path: &str,
) -> Result<Option<Trigger>, EventError> {
    let Some(cluster) = access_entry_cluster(arn).map_err(|reason| {
        EventError::invalid(path, format!("{reason} (access-entry ARN {arn:?})"))
    })?
    else {
        return Ok(None);
    };
    if let Some(ignored) = own_call(name, detail) {
        return Ok(Some(ignored));
    }
    Ok(Some(Trigger::AccessEntryChanged {
        cluster,
        // The entry ARN names the role without its path: no principal an entry could match.
        change: change(name, None, None, detail),
    }))
}

/// The cluster of `arn:<partition>:eks:<region>:<account>:access-entry/<cluster>/<kind>/…`;
/// `Ok(None)` when `arn` is not an access-entry ARN, an error when it is one but malformed.
fn access_entry_cluster(arn: &str) -> Result<Option<ClusterRef>, String> {
    let Some(parsed) = Arn::of_service(arn, "eks") else {
        return Ok(None);
    };
    let Some(rest) = parsed.resource_after("access-entry/") else {
        return Ok(None);
    };
    let Arn {
        region, account, ..
    } = parsed;
    let name = rest.split('/').next().unwrap_or_default();
    let account = AccountId::new(account).map_err(|e| e.to_string())?;
    let region = Region::new(region).map_err(|e| e.to_string())?;
    let name = ClusterName::new(name).map_err(|e| e.to_string())?;
    Ok(Some(ClusterRef::new(account, region, name)))
}

/// The change as the job carries it: what, to whom, by whom, when.
fn change(
    operation: &str,
    principal: Option<PrincipalArn>,
    policy: Option<PolicyArn>,
    detail: &CloudTrailDetail,
) -> EntryChange {
    EntryChange {
        operation: operation.to_owned(),
        principal,
        policy,
        by: detail.user_identity.as_ref().and_then(|u| u.arn.clone()),
        at: detail.event_time.clone(),
    }
}

/// [`Trigger::Ignored`] when the call was made by one of eks-sso-sync's own sessions: the
/// reconciler's repairs (and the CLI's applies) must not trigger another reconcile.
fn own_call(operation: &str, detail: &CloudTrailDetail) -> Option<Trigger> {
    let session = own_session(detail)?;
    tracing::debug!(
        operation,
        session,
        "eks-sso-sync's own access-entry call; no job"
    );
    Some(Trigger::ignored(format!(
        "{operation} by eks-sso-sync's own session {session}"
    )))
}

/// The caller's role-session name when it is one of eks-sso-sync's: `userIdentity.arn` is
/// `arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>`.
pub(crate) fn own_session(detail: &CloudTrailDetail) -> Option<&str> {
    let identity = detail.user_identity.as_ref()?;
    if identity.identity_type.as_deref() != Some("AssumedRole") {
        return None;
    }
    let arn = Arn::of_service(identity.arn.as_deref()?, "sts").filter(|a| a.region.is_empty())?;
    let mut parts = arn.resource_after("assumed-role/")?.splitn(2, '/');
    let (Some(_role), Some(session)) = (parts.next(), parts.next()) else {
        return None;
    };
    session.starts_with(OWN_SESSION_PREFIX).then_some(session)
}

/// `parse(raw)`, or `None` with a debug line: these values only name the change in reports, so
/// a value we cannot read must not cost the reconcile the record triggers.
fn lenient<T, E: std::fmt::Display>(
    raw: &str,
    parse: impl FnOnce(String) -> Result<T, E>,
    what: &str,
) -> Option<T> {
    match parse(raw.to_owned()) {
        Ok(value) => Some(value),
        Err(error) => {
            tracing::debug!(value = raw, %error, "access-entry record names an unreadable {what}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn session_of(identity: Value) -> Option<String> {
        let detail = CloudTrailDetail::from_value(&json!({ "userIdentity": identity })).unwrap();
        own_session(&detail).map(str::to_owned)
    }

    #[test]
    fn our_sessions_are_recognised_by_their_name_and_no_other() {
        let assumed = |arn: &str| json!({ "type": "AssumedRole", "arn": arn });
        for (arn, expected) in [
            (
                "arn:aws:sts::222222222222:assumed-role/eks-sso-sync-target/eks-sso-sync-reconciler",
                Some("eks-sso-sync-reconciler"),
            ),
            (
                "arn:aws:sts::222222222222:assumed-role/custom-role/eks-sso-sync",
                Some("eks-sso-sync"),
            ),
            (
                "arn:aws-cn:sts::222222222222:assumed-role/r/eks-sso-sync-cli",
                Some("eks-sso-sync-cli"),
            ),
            // The role's name is not the session's.
            (
                "arn:aws:sts::222222222222:assumed-role/eks-sso-sync-target/alice",
                None,
            ),
            ("arn:aws:sts::222222222222:assumed-role/admin/eks-sso", None),
        ] {
            assert_eq!(session_of(assumed(arn)).as_deref(), expected, "{arn}");
        }
        let user =
            json!({ "type": "IAMUser", "arn": "arn:aws:iam::222222222222:user/eks-sso-sync" });
        assert_eq!(session_of(user), None);
        assert_eq!(session_of(json!({ "type": "AssumedRole" })), None);
    }

    #[test]
    fn access_entry_arns_name_their_cluster() {
        let arn = "arn:aws:eks:eu-west-1:222222222222:access-entry/prod-eu/role/222222222222/ci/8ec7c1e0-6f0b-4c1d-9d35-3d6a1b1c2d3e";
        let cluster = access_entry_cluster(arn).unwrap().expect("an access entry");
        assert_eq!(
            cluster.arn(),
            "arn:aws:eks:eu-west-1:222222222222:cluster/prod-eu"
        );
        let nodegroup = "arn:aws:eks:eu-west-1:222222222222:nodegroup/prod-eu/ng/uuid";
        assert_eq!(access_entry_cluster(nodegroup).unwrap(), None);
        let cluster_arn = "arn:aws:eks:eu-west-1:222222222222:cluster/prod-eu";
        assert_eq!(access_entry_cluster(cluster_arn).unwrap(), None);
        let bad = "arn:aws:eks:eu-west-1:2222:access-entry/prod-eu/role/x";
        assert!(access_entry_cluster(bad).unwrap_err().contains("2222"));
    }
}
