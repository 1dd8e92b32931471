//! `eks.amazonaws.com` records: clusters created, reconfigured, tagged or deleted, and (through
//! [`super::access_entry`]) access entries changed by someone else.
//!
//! These are the only cluster triggers EKS offers (there is no "cluster became ACTIVE" event,
//! AWS-FACTS §3); they arrive in the cluster's own account and region.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::Value;

use super::access_entry::{self, ENTRY_OPERATIONS};
use super::cloudtrail::{CloudTrailDetail, record_account, record_region};
use super::fields::{first_of, percent_decoded};
use super::{EventError, Trigger};
use crate::domain::{Arn, ClusterName, ClusterRef, ClusterStatus, PrincipalArn};

/// Classifies a cluster lifecycle record.
pub(crate) fn classify_call(
    event: &EventBridgeEvent<Value>,
    name: &str,
    detail: &CloudTrailDetail,
    context: &str,
) -> Result<Trigger, EventError> {
    let trigger = match name {
        "CreateCluster" => Trigger::ClusterCreated {
            cluster: cluster_by_name(event, detail, context)?,
            status: status(detail, context)?,
            creator: creator(detail),
        },
        "UpdateClusterConfig" => Trigger::ClusterConfigUpdated {
            cluster: cluster_by_name(event, detail, context)?,
            status: status(detail, context)?,
        },
        "DeleteCluster" => Trigger::ClusterDeleted {
            cluster: cluster_by_name(event, detail, context)?,
            status: status(detail, context)?,
        },
        name if ENTRY_OPERATIONS.contains(&name) => {
            access_entry::classify_entry_call(event, name, detail, context)?
        }
        "TagResource" | "UntagResource" => {
            let request = detail.request(context);
            let arn = percent_decoded(request.req_str("resourceArn")?);
            let path = request.path_of("resourceArn");
            if let Some(trigger) = access_entry::classify_tagging(name, &arn, detail, &path)? {
                return Ok(trigger);
            }
            // Removing a tag changes selection as much as adding one: a cluster can leave a
            // rule's `clusters:` or the mapping's scope.
            match ClusterRef::from_arn(&arn) {
                Ok(cluster) => Trigger::ClusterTagged {
                    cluster,
                    status: None,
                },
                // Node groups, add-ons, access entries ... are tagged through the same call.
                Err(_) if is_other_eks_resource(&arn) => {
                    Trigger::ignored(format!("{name} on {arn}, which is not a cluster"))
                }
                Err(e) => {
                    return Err(EventError::invalid(path, e.to_string()));
                }
            }
        }
        other => Trigger::ignored(format!(
            "eks.amazonaws.com {other} does not change a cluster's lifecycle, config or tags"
        )),
    };
    Ok(trigger)
}

/// The cluster a record names: account and region of the record, name from
/// `requestParameters.name` (older records: `clusterName`) or the response.
fn cluster_by_name(
    event: &EventBridgeEvent<Value>,
    detail: &CloudTrailDetail,
    context: &str,
) -> Result<ClusterRef, EventError> {
    let request = detail.request(context);
    let raw = first_of(&[
        (request, "name"),
        (request, "clusterName"),
        (detail.response(context), "cluster.name"),
    ])?
    .ok_or_else(|| EventError::missing(request.path_of("name"), context))?;
    let name = ClusterName::new(raw.as_str())
        .map_err(|e| EventError::invalid(request.path_of("name"), e.to_string()))?;
    Ok(ClusterRef::new(
        record_account(event, detail, context)?,
        record_region(event, detail, context)?,
        name,
    ))
}

/// The principal whose bootstrap entry `CreateCluster` gave cluster-admin: the IAM role that
/// issued the caller's session (`userIdentity.sessionContext.sessionIssuer.arn`, which keeps the
/// role's path, unlike the STS session ARN) or the IAM user. Anything else (the root user, an
/// AWS service, an empty `sessionIssuer: {}`) names no principal EKS would have an entry for.
fn creator(detail: &CloudTrailDetail) -> Option<PrincipalArn> {
    let identity = detail.user_identity.as_ref()?;
    let arn = match identity.identity_type.as_deref()? {
        "AssumedRole" => identity
            .session_context
            .as_ref()?
            .session_issuer
            .as_ref()?
            .arn
            .as_deref()?,
        "IAMUser" => identity.arn.as_deref()?,
        _ => return None,
    };
    match PrincipalArn::new(arn) {
        Ok(principal) => Some(principal),
        Err(error) => {
            tracing::warn!(%arn, %error, "CreateCluster caller is not a principal an access entry can name");
            None
        }
    }
}

/// `responseElements.cluster.status`, when present and known.
fn status(detail: &CloudTrailDetail, context: &str) -> Result<Option<ClusterStatus>, EventError> {
    Ok(detail
        .response(context)
        .opt_str("cluster.status")?
        .and_then(ClusterStatus::parse))
}

/// Whether `arn` is a well-formed EKS ARN of something other than a cluster.
fn is_other_eks_resource(arn: &str) -> bool {
    Arn::of_service(arn, "eks").is_some_and(|arn| arn.resource_after("cluster/").is_none())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn creator_of(identity: Value) -> Option<String> {
        let detail = CloudTrailDetail::from_value(&json!({ "userIdentity": identity })).unwrap();
        creator(&detail).map(|p| p.to_string())
    }

    #[test]
    fn the_creator_is_the_session_issuer_with_its_path_or_the_user() {
        let role = "arn:aws:iam::222222222222:role/platform/cluster-creator";
        let assumed = json!({
            "type": "AssumedRole",
            "arn": "arn:aws:sts::222222222222:assumed-role/cluster-creator/ci",
            "sessionContext": { "sessionIssuer": { "type": "Role", "arn": role } }
        });
        assert_eq!(creator_of(assumed).as_deref(), Some(role));
        let user = "arn:aws:iam::222222222222:user/ops/alice";
        let iam_user = json!({ "type": "IAMUser", "arn": user });
        assert_eq!(creator_of(iam_user).as_deref(), Some(user));
    }

    #[test]
    fn root_services_and_empty_issuers_name_no_creator() {
        let root = json!({ "type": "Root", "arn": "arn:aws:iam::222222222222:root" });
        let service = json!({ "type": "AWSService", "invokedBy": "cloudformation.amazonaws.com" });
        let empty = json!({ "type": "AssumedRole", "sessionContext": { "sessionIssuer": {} } });
        let session_only = json!({
            "type": "AssumedRole",
            "sessionContext": { "sessionIssuer": {
                "arn": "arn:aws:sts::222222222222:assumed-role/x/y" } }
        });
        for identity in [root, service, empty, session_only] {
            assert_eq!(creator_of(identity.clone()), None, "{identity}");
        }
    }
}
