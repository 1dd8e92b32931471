//! `iam.amazonaws.com` records: Identity Center creating and deleting permission-set roles.
//!
//! IAM events reach EventBridge only in us-east-1 (AWS-FACTS §1). A recreated role has a new id,
//! which kills every access entry made for the old one, so both directions matter.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::Value;

use super::cloudtrail::{CloudTrailDetail, record_account};
use super::{EventError, Trigger};
use crate::domain::{PrincipalArn, SSO_ROLE_PATH_PREFIX, sso_role_permission_set};

/// Classifies `CreateRole` / `DeleteRole`; roles that are not Identity Center's are ignored.
pub(crate) fn classify_call(
    event: &EventBridgeEvent<Value>,
    name: &str,
    detail: &CloudTrailDetail,
    context: &str,
) -> Result<Trigger, EventError> {
    let request = detail.request(context);
    match name {
        "CreateRole" => {
            let role_name = request.req_str("roleName")?.to_owned();
            // `path` defaults to `/` when the caller omits it; such a role is never an SSO role.
            let path = request.opt_str("path")?.unwrap_or("/");
            if !path.starts_with(SSO_ROLE_PATH_PREFIX) {
                return Ok(Trigger::ignored(format!(
                    "IAM role {role_name} is outside {SSO_ROLE_PATH_PREFIX}"
                )));
            }
            let role_arn = detail
                .response(context)
                .opt("role.arn", PrincipalArn::new)?;
            Ok(Trigger::SsoRoleCreated {
                account: record_account(event, detail, context)?,
                role_name,
                role_arn,
            })
        }
        "DeleteRole" => {
            // DeleteRole records carry only the name, so the reserved name shape decides.
            let role_name = request.req_str("roleName")?.to_owned();
            if sso_role_permission_set(&role_name).is_none() {
                return Ok(Trigger::ignored(format!(
                    "IAM role {role_name} is not an Identity Center permission-set role"
                )));
            }
            Ok(Trigger::SsoRoleDeleted {
                account: record_account(event, detail, context)?,
                role_name,
                role_arn: None,
            })
        }
        other => Ok(Trigger::ignored(format!(
            "iam.amazonaws.com {other} does not create or delete roles"
        ))),
    }
}
