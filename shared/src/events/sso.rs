//! `sso.amazonaws.com` records: account assignments and permission-set provisioning.

use super::cloudtrail::CloudTrailDetail;
use super::{EventError, PrincipalType, Trigger};
use crate::domain::{AccountId, InstanceArn, PermissionSetArn};
use crate::ports::AssignedPrincipal;

/// Classifies an Identity Center admin record. Assignment records must name the account,
/// permission set and principal: without them no cluster can be chosen.
pub(crate) fn classify_call(
    name: &str,
    detail: &CloudTrailDetail,
    context: &str,
) -> Result<Trigger, EventError> {
    let request = detail.request(context);
    let trigger = match name {
        "CreateAccountAssignment" | "DeleteAccountAssignment" => {
            let instance_arn = request.req("instanceArn", InstanceArn::new)?;
            let account = request.req("targetId", AccountId::new)?;
            let permission_set_arn = request.req("permissionSetArn", PermissionSetArn::new)?;
            let principal_type =
                principal_type(request.req_str("principalType")?).ok_or_else(|| {
                    EventError::invalid(request.path_of("principalType"), "expected GROUP or USER")
                })?;
            let principal = request.req("principalId", |id| {
                AssignedPrincipal::new(principal_type, id)
            })?;
            if name == "CreateAccountAssignment" {
                Trigger::AccountAssignmentCreated {
                    instance_arn,
                    account,
                    permission_set_arn,
                    principal,
                }
            } else {
                Trigger::AccountAssignmentDeleted {
                    instance_arn,
                    account,
                    permission_set_arn,
                    principal,
                }
            }
        }
        "ProvisionPermissionSet" => Trigger::PermissionSetProvisioned {
            instance_arn: request.req("instanceArn", InstanceArn::new)?,
            permission_set_arn: request.req("permissionSetArn", PermissionSetArn::new)?,
            // Absent for targetType ALL_PROVISIONED_ACCOUNTS.
            account: request.opt("targetId", AccountId::new)?,
        },
        "DeletePermissionSet" => Trigger::PermissionSetDeleted {
            instance_arn: request.req("instanceArn", InstanceArn::new)?,
            permission_set_arn: request.req("permissionSetArn", PermissionSetArn::new)?,
            account: None,
        },
        other => Trigger::ignored(format!(
            "sso.amazonaws.com {other} does not change assignments"
        )),
    };
    Ok(trigger)
}

fn principal_type(value: &str) -> Option<PrincipalType> {
    match value {
        "GROUP" => Some(PrincipalType::Group),
        "USER" => Some(PrincipalType::User),
        _ => None,
    }
}
