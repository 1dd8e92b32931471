//! Shared fixtures of the `adapters_emulator*` tests: a seeded emulator with a hub and a member
//! account, Identity Center groups and permission sets, and the SDK configs and ports built
//! against it. Each test binary uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_sdk_eks::types::{
    AuthenticationMode as SdkMode, CreateAccessConfigRequest, VpcConfigRequest,
};
use eks_sso_sync::aws::{AwsPorts, SdkConnector, sdk_config_for_endpoint, static_credentials};
use eks_sso_sync::domain::{
    AccountId, ClusterName, GroupName, ManagedTags, PermissionSetName, PrincipalArn, Region,
    RoleId, RoleInfo, is_sso_role_of,
};
use eks_sso_sync::ports::IamApi;
use eks_sso_sync_emulator::{Emulator, EmulatorConfig, RunningEmulator, Seed};

/// The hub account: where eks-sso-sync runs, reached with the base credentials.
pub const HUB: &str = "111111111111";
/// A member account, reached by assuming [`MEMBER_ROLE`].
pub const MEMBER: &str = "222222222222";
/// The Identity Center home region (and the clusters' region).
pub const HOME: &str = "eu-west-1";
/// The role eks-sso-sync assumes in [`MEMBER`].
pub const MEMBER_ROLE: &str = "arn:aws:iam::222222222222:role/eks-sso-sync-target";

/// Two accounts; `Admin` and `Admin_Read` side by side to catch unanchored role matching; a
/// `CONFIG_MAP` cluster in the hub and an `API_AND_CONFIG_MAP` one in the member account.
pub const SEED: &str = r#"
default_account: "111111111111"
accounts:
  - { id: "111111111111", name: hub }
  - { id: "222222222222", name: member }
identity_center: { home_region: eu-west-1 }
users:
  - { user_name: alice }
  - { user_name: bob }
groups:
  - { display_name: payments-devs, members: [alice] }
  - { display_name: platform, members: [alice, bob] }
permission_sets:
  - { name: PaymentsDeveloper }
  - { name: Admin }
  - { name: Admin_Read }
assignments:
  - { permission_set: PaymentsDeveloper, account: "111111111111", group: payments-devs }
  - { permission_set: PaymentsDeveloper, account: "222222222222", group: payments-devs }
  - { permission_set: Admin, account: "111111111111", user: bob }
  - { permission_set: Admin_Read, account: "111111111111", group: platform }
roles:
  - { account: "222222222222", name: eks-sso-sync-target }
clusters:
  - { account: "111111111111", region: eu-west-1, name: legacy, authentication_mode: CONFIG_MAP }
  - { account: "222222222222", region: eu-west-1, name: member-1, tags: { env: prod } }
"#;

/// A valid account id.
pub fn account(id: &str) -> AccountId {
    AccountId::new(id).expect("account id")
}

/// A valid region.
pub fn region(name: &str) -> Region {
    Region::new(name).expect("region")
}

/// A valid group name.
pub fn group_name(name: &str) -> GroupName {
    GroupName::new(name).expect("group name")
}

/// A valid cluster name.
pub fn cluster(name: &str) -> ClusterName {
    ClusterName::new(name).expect("cluster name")
}

/// An emulator loaded with [`SEED`].
pub async fn start() -> RunningEmulator {
    let config = EmulatorConfig {
        home_region: HOME.to_owned(),
        seed: Some(Seed::from_yaml(SEED).expect("seed parses")),
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

/// Hub credentials: the emulator maps an access key that is an account id to that account.
pub fn hub_config(emulator: &RunningEmulator) -> SdkConfig {
    sdk_config_for_endpoint(
        &emulator.endpoint,
        &region(HOME),
        static_credentials(HUB, "secret"),
    )
}

/// The member account is reached by assuming its role; the hub with the base credentials.
pub fn role_for_account(account: &AccountId) -> Option<PrincipalArn> {
    (account.as_str() == MEMBER).then(|| PrincipalArn::new(MEMBER_ROLE).expect("role"))
}

/// The ports as a Lambda builds them.
pub async fn ports(config: &SdkConfig) -> AwsPorts {
    AwsPorts::from_config(config, &region(HOME), role_for_account).await
}

/// A connector whose EKS and IAM list calls fetch one item per page, to exercise pagination.
pub fn paging_connector(config: &SdkConfig) -> SdkConnector {
    SdkConnector::new(
        config.clone(),
        eks_sso_sync::aws::RoleSessionName::default(),
        role_for_account,
    )
    .with_page_size(1)
}

/// Creates an `API_AND_CONFIG_MAP` cluster through the SDK (not the adapter) and lets it settle.
pub async fn create_cluster(emulator: &RunningEmulator, config: &SdkConfig, name: &str) {
    aws_sdk_eks::Client::new(config)
        .create_cluster()
        .name(name)
        .role_arn(format!("arn:aws:iam::{HUB}:role/admin"))
        .resources_vpc_config(VpcConfigRequest::builder().subnet_ids("subnet-1").build())
        .access_config(
            CreateAccessConfigRequest::builder()
                .authentication_mode(SdkMode::ApiAndConfigMap)
                .build(),
        )
        .tags("env", "prod")
        .send()
        .await
        .expect("CreateCluster");
    assert!(emulator.settle_clusters() >= 1);
}

/// The SSO role of `permission_set` in the account `iam` reaches.
pub async fn sso_role(iam: &dyn IamApi, permission_set: &str) -> RoleInfo {
    let name = PermissionSetName::new(permission_set).expect("name");
    let roles = iam.list_sso_roles().await.expect("ListRoles");
    let mut matching = roles
        .into_iter()
        .filter(|r| is_sso_role_of(r.arn.name(), &name));
    let role = matching.next().expect("an SSO role");
    assert!(matching.next().is_none(), "one role per permission set");
    role
}

/// The tags of an entry eks-sso-sync manages for the `payments` rule.
pub fn managed_tags(role_id: &RoleId) -> BTreeMap<String, String> {
    ManagedTags::for_entry(&["payments".to_owned()], role_id)
}
