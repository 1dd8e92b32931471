//! The administrator's change that triggers the onboarding phase: a new team permission set,
//! assigned to a group in one account, through the emulator's SSO Admin API with the real SDK.

use anyhow::Context;
use aws_sdk_ssoadmin::types::{PrincipalType, TargetType};
use eks_sso_sync::aws::{sdk_config_for_endpoint, static_credentials};
use eks_sso_sync::domain::{GroupId, GroupName, InstanceArn, PermissionSetArn, Region};
use eks_sso_sync::engine::ReconcileContext;

use super::org::{ONBOARDING_GROUP, ONBOARDING_PERMISSION_SET, REGION};

/// The assignment the onboarding phase made: what its `CreateAccountAssignment` record names.
#[derive(Debug, Clone)]
pub struct NewAssignment {
    /// The Identity Center instance.
    pub instance_arn: InstanceArn,
    /// The new permission set.
    pub permission_set_arn: PermissionSetArn,
    /// The group it was assigned to.
    pub group_id: GroupId,
}

/// Creates the onboarding permission set and assigns it to the onboarding group in `account`.
pub async fn assign_new_permission_set(
    endpoint: &str,
    ctx: &ReconcileContext,
    account: &str,
) -> anyhow::Result<NewAssignment> {
    let instance = ctx
        .sso_admin
        .list_instances()
        .await?
        .into_iter()
        .next()
        .context("the emulator has no Identity Center instance")?;
    let group = GroupName::new(ONBOARDING_GROUP)?;
    let group_id = ctx
        .identity_store
        .group_id(&instance.identity_store_id, &group)
        .await?
        .with_context(|| format!("group {ONBOARDING_GROUP} is not in the seed"))?;
    let sdk = sdk_config_for_endpoint(
        endpoint,
        &Region::new(REGION)?,
        static_credentials("test", "test"),
    );
    let sso = aws_sdk_ssoadmin::Client::new(&sdk);
    let created = sso
        .create_permission_set()
        .instance_arn(instance.instance_arn.as_str())
        .name(ONBOARDING_PERMISSION_SET)
        .send()
        .await
        .context("CreatePermissionSet")?;
    let arn = created
        .permission_set()
        .and_then(|ps| ps.permission_set_arn())
        .context("CreatePermissionSet answered no ARN")?;
    let arn = PermissionSetArn::new(arn).context("CreatePermissionSet")?;
    sso.create_account_assignment()
        .instance_arn(instance.instance_arn.as_str())
        .target_id(account)
        .target_type(TargetType::AwsAccount)
        .permission_set_arn(arn.as_str())
        .principal_type(PrincipalType::Group)
        .principal_id(group_id.as_str())
        .send()
        .await
        .context("CreateAccountAssignment")?;
    Ok(NewAssignment {
        instance_arn: instance.instance_arn,
        permission_set_arn: arn,
        group_id,
    })
}
