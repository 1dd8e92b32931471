//! `eks.amazonaws.com` records: clusters created, reconfigured, tagged or deleted.
//!
//! These are the only cluster triggers EKS offers (there is no "cluster became ACTIVE" event,
//! AWS-FACTS §3); they arrive in the cluster's own account and region.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::Value;

use super::cloudtrail::{CloudTrailDetail, record_account, record_region};
use super::fields::first_of;
use super::{EventError, Trigger};
use crate::domain::{ClusterName, ClusterRef, ClusterStatus};

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
        },
        "UpdateClusterConfig" => Trigger::ClusterConfigUpdated {
            cluster: cluster_by_name(event, detail, context)?,
            status: status(detail, context)?,
        },
        "DeleteCluster" => Trigger::ClusterDeleted {
            cluster: cluster_by_name(event, detail, context)?,
            status: status(detail, context)?,
        },
        "TagResource" => {
            let request = detail.request(context);
            let arn = request.req_str("resourceArn")?;
            match ClusterRef::from_arn(arn) {
                Ok(cluster) => Trigger::ClusterTagged {
                    cluster,
                    status: None,
                },
                // Node groups, add-ons, access entries ... are tagged through the same call.
                Err(_) if is_other_eks_resource(arn) => {
                    Trigger::ignored(format!("TagResource on {arn}, which is not a cluster"))
                }
                Err(e) => {
                    return Err(EventError::invalid(
                        request.path_of("resourceArn"),
                        e.to_string(),
                    ));
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

/// `responseElements.cluster.status`, when present and known.
fn status(detail: &CloudTrailDetail, context: &str) -> Result<Option<ClusterStatus>, EventError> {
    Ok(detail
        .response(context)
        .opt_str("cluster.status")?
        .and_then(ClusterStatus::parse))
}

/// Whether `arn` is a well-formed EKS ARN of something other than a cluster.
fn is_other_eks_resource(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("eks"), Some(_), Some(_), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    !resource.starts_with("cluster/")
}
