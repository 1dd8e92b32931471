//! Changes made through the SDK, as a person or a pipeline would make them, each returning the
//! sample event from `events/` that records it, patched with the ids the emulator generated.

use aws_sdk_eks::types::{AuthenticationMode, CreateAccessConfigRequest, VpcConfigRequest};
use aws_sdk_identitystore::types::MemberId;
use aws_sdk_ssoadmin::types::{PrincipalType, TargetType};
use serde_json::Value;

use super::{MEMBER, World, sample};

/// Adds user `user_id` to group `group_id`; the `CreateGroupMembership` record of it.
pub async fn membership_added(world: &World, group_id: &str, user_id: &str) -> Value {
    let (_, store) = world.instance().await;
    aws_sdk_identitystore::Client::new(&world.hub)
        .create_group_membership()
        .identity_store_id(&store)
        .group_id(group_id)
        .member_id(MemberId::UserId(user_id.to_owned()))
        .send()
        .await
        .expect("CreateGroupMembership");
    let mut event = sample("identitystore-create-group-membership.json");
    let params = &mut event["detail"]["requestParameters"];
    params["identityStoreId"] = store.into();
    params["groupId"] = group_id.into();
    params["memberId"]["userId"] = user_id.into();
    event
}

/// Assigns `permission_set` to `group` in the member account; the `CreateAccountAssignment`
/// record of it.
pub async fn assignment_created(world: &World, permission_set: &str, group: &str) -> Value {
    let (instance, _) = world.instance().await;
    let permission_set = world.permission_set_arn(permission_set).await;
    let group = world.group_id(group).await;
    aws_sdk_ssoadmin::Client::new(&world.hub)
        .create_account_assignment()
        .instance_arn(&instance)
        .target_id(MEMBER)
        .target_type(TargetType::AwsAccount)
        .permission_set_arn(&permission_set)
        .principal_type(PrincipalType::Group)
        .principal_id(&group)
        .send()
        .await
        .expect("CreateAccountAssignment");
    let mut event = sample("sso-create-account-assignment.json");
    for place in [
        "/detail/requestParameters",
        "/detail/responseElements/accountAssignmentCreationStatus",
    ] {
        let params = event.pointer_mut(place).expect(place);
        params["targetId"] = MEMBER.into();
        params["permissionSetArn"] = permission_set.clone().into();
        params["principalId"] = group.clone().into();
    }
    event["detail"]["requestParameters"]["instanceArn"] = instance.into();
    event
}

/// Creates `prod-eu` in the member account, as the `eks-create-cluster.json` sample records it:
/// tagged for eks-sso-sync, `API_AND_CONFIG_MAP`, and `CREATING` for the emulator's 600 s.
pub async fn prod_eu_created(world: &World) -> Value {
    aws_sdk_eks::Client::new(&world.member)
        .create_cluster()
        .name("prod-eu")
        .role_arn(format!("arn:aws:iam::{MEMBER}:role/admin"))
        .resources_vpc_config(VpcConfigRequest::builder().subnet_ids("subnet-1").build())
        .access_config(
            CreateAccessConfigRequest::builder()
                .authentication_mode(AuthenticationMode::ApiAndConfigMap)
                .build(),
        )
        .tags("env", "prod")
        .tags("eks-sso-sync", "enabled")
        .send()
        .await
        .expect("CreateCluster");
    sample("eks-create-cluster.json")
}
