//! The IAM, STS, Identity Store and SSO Admin half of the differential scenario (moto and ours).

use std::collections::{BTreeMap, BTreeSet};

use aws_config::SdkConfig;
use aws_sdk_identitystore::types::{MemberId, Name};
use aws_sdk_ssoadmin::types::{PrincipalType as SdkPrincipalType, TargetType};
use eks_sso_sync::aws::{SdkConnector, SdkIdentityStore, SdkSsoAdmin, caller_account};
use eks_sso_sync::domain::{
    GroupId, GroupName, IdentityStoreId, InstanceArn, PermissionSetArn, UserId,
};
use eks_sso_sync::ports::{
    AccountAssignment, AssignedPrincipal, IamApi, IdentityStoreApi, SsoAdminApi,
};

use super::{ACCOUNT, SSO_PATH, Transcript, account, arn, create_role, outcome};

/// A raw SDK call's outcome: a 200 answer the SDK cannot parse is told apart from an AWS error.
fn sdk_outcome<E: std::fmt::Debug>(
    result: Result<
        (),
        aws_sdk_ssoadmin::error::SdkError<E, aws_sdk_ssoadmin::config::http::HttpResponse>,
    >,
) -> String {
    use aws_sdk_ssoadmin::error::SdkError;
    match result {
        Ok(()) => "ok".to_owned(),
        Err(SdkError::ServiceError(e)) if e.raw().status().is_success() => {
            "a 200 answer the SDK cannot parse".to_owned()
        }
        Err(e) => format!("error {e:?}"),
    }
}

/// `arn:aws:sso:::permissionSet/ssoins-<id>/ps-<id>` with the generated ids stripped.
fn ps_arn_shape(arn: &str) -> String {
    let mut parts: Vec<&str> = arn.split('/').collect();
    for part in parts.iter_mut().skip(1) {
        if let Some((prefix, _)) = part.split_once('-') {
            *part = prefix;
        }
    }
    parts.join("/")
}

/// The SSO roles an adapter lists, as `path + name` (ids stripped).
async fn sso_roles(iam: &dyn IamApi) -> String {
    outcome(iam.list_sso_roles().await.map(|roles| {
        roles
            .into_iter()
            .map(|r| r.arn.as_str().to_owned())
            .collect::<BTreeSet<_>>()
    }))
}

/// The SSO role names, with a generated 16-hex suffix replaced by `<16 hex>`.
pub fn suffixes_stripped(roles: &str) -> String {
    let mut out = String::new();
    let mut rest = roles;
    while let Some(at) = rest.find("AWSReservedSSO_Admin_") {
        let (head, tail) = rest.split_at(at + "AWSReservedSSO_Admin_".len());
        out.push_str(head);
        let hex: String = tail.chars().take(16).collect();
        if hex.len() == 16 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            out.push_str("<16 hex>");
            rest = &tail[16..];
        } else {
            rest = tail;
        }
    }
    out + rest
}

/// IAM: roles created, listed under the SSO path (one per page) and read; STS: assume role.
pub async fn iam_and_sts(config: &SdkConfig, t: &mut Transcript) {
    create_role(config, "deployer", "/ci/").await;
    create_role(config, "AWSReservedSSO_Manual_0123456789abcdef", SSO_PATH).await;
    create_role(
        config,
        "AWSReservedSSO_Manual_Read_fedcba9876543210",
        SSO_PATH,
    )
    .await;
    create_role(config, "unrelated", "/").await;
    let deployer = format!("arn:aws:iam::{ACCOUNT}:role/ci/deployer");
    let iam = SdkConnector::new(
        config.clone(),
        eks_sso_sync::aws::RoleSessionName::default(),
        |_| None,
    )
    .with_page_size(1)
    .sdk_iam(&account())
    .await;
    t.insert(
        "iam: list SSO roles, one per page",
        sso_roles(iam.as_ref()).await,
    );
    let got = iam.get_role(&arn(&deployer)).await;
    t.insert("iam: get role", outcome(got.map(|r| r.map(|r| r.arn))));
    let missing = iam
        .get_role(&arn(&format!("arn:aws:iam::{ACCOUNT}:role/nobody")))
        .await;
    t.insert("iam: get missing role", outcome(missing));
    sts(config, &deployer, t).await;
}

/// STS through the connector: the account and identity of an assumed role, and a role that
/// does not exist.
async fn sts(config: &SdkConfig, deployer: &str, t: &mut Transcript) {
    let connector = SdkConnector::new(
        config.clone(),
        eks_sso_sync::aws::RoleSessionName::default(),
        {
            let deployer = deployer.to_owned();
            move |_| Some(arn(&deployer))
        },
    );
    let assumed = connector.account_config(&account()).await;
    t.insert(
        "sts: account of assumed role",
        outcome(caller_account(&assumed).await),
    );
    let identity = aws_sdk_sts::Client::new(&assumed)
        .get_caller_identity()
        .send()
        .await;
    t.insert(
        "sts: caller identity of assumed role",
        format!(
            "{:?}",
            identity.ok().and_then(|i| i.arn().map(str::to_owned))
        ),
    );
    let ghost = SdkConnector::new(
        config.clone(),
        eks_sso_sync::aws::RoleSessionName::default(),
        |_| Some(arn(&format!("arn:aws:iam::{ACCOUNT}:role/ghost"))),
    );
    let ghost_config = ghost.account_config(&account()).await;
    let refused = caller_account(&ghost_config).await.is_err();
    t.insert(
        "sts: assume a role that does not exist",
        format!("refused: {refused}"),
    );
}

/// Creates alice, payments-devs and the membership; returns (user id, group id).
async fn directory(config: &SdkConfig, store: &str) -> (String, String) {
    let client = aws_sdk_identitystore::Client::new(config);
    let name = Name::builder()
        .given_name("Alice")
        .family_name("Lima")
        .build();
    let user = client
        .create_user()
        .identity_store_id(store)
        .user_name("alice")
        .display_name("Alice Lima")
        .name(name)
        .send()
        .await
        .expect("CreateUser")
        .user_id;
    let group = client
        .create_group()
        .identity_store_id(store)
        .display_name("payments-devs")
        .send()
        .await
        .expect("CreateGroup")
        .group_id;
    client
        .create_group_membership()
        .identity_store_id(store)
        .group_id(&group)
        .member_id(MemberId::UserId(user.clone()))
        .send()
        .await
        .expect("CreateGroupMembership");
    (user, group)
}

/// Generated Identity Store ids → the names the scenario gave them.
type Names = BTreeMap<String, &'static str>;

/// Identity Center: the instance, the directory reads, then a permission set and its assignment.
pub async fn identity_center(config: &SdkConfig, t: &mut Transcript) {
    let sso = SdkSsoAdmin::new(aws_sdk_ssoadmin::Client::new(config));
    let instances = sso.list_instances().await.expect("ListInstances");
    t.insert("sso-admin: instances", instances.len().to_string());
    let instance = &instances[0];
    let (user, group) = directory(config, instance.identity_store_id.as_str()).await;
    let names = Names::from([(user.clone(), "alice"), (group.clone(), "payments-devs")]);
    directory_reads(
        config,
        &instance.identity_store_id,
        (&user, &group),
        &names,
        t,
    )
    .await;
    let ps_arn = permission_set_and_assignment(config, &instance.instance_arn, &group, t).await;
    assignment_reads(&sso, &instance.instance_arn, &ps_arn, (&group, &names), t).await;
    let iam = SdkConnector::new(
        config.clone(),
        eks_sso_sync::aws::RoleSessionName::default(),
        |_| None,
    )
    .sdk_iam(&account())
    .await;
    let roles = suffixes_stripped(&sso_roles(iam.as_ref()).await);
    t.insert("iam: SSO roles after the assignment", roles);
}

/// The Identity Store port's reads of the directory `directory` created.
async fn directory_reads(
    config: &SdkConfig,
    store_id: &IdentityStoreId,
    (user, group): (&str, &str),
    names: &Names,
    t: &mut Transcript,
) {
    let store = SdkIdentityStore::new(aws_sdk_identitystore::Client::new(config));
    let name_of = |id: &str| names.get(id).copied().unwrap_or("<unknown id>");
    let user: UserId = user.parse().expect("the created user's id");
    let group: GroupId = group.parse().expect("the created group's id");
    let payments = GroupName::new("payments-devs").expect("group");
    let found = store.group_id(store_id, &payments).await;
    let found = found.map(|g| g.as_ref() == Some(&group));
    t.insert("identitystore: group id by name", outcome(found));
    let absent = GroupName::new("nobody").expect("group");
    let absent = store.group_id(store_id, &absent).await;
    t.insert("identitystore: missing group", outcome(absent));
    let name = store.group_name(store_id, &group).await;
    t.insert("identitystore: group name", outcome(name));
    let of_user = store.groups_of_user(store_id, &user).await;
    let of_user = of_user.map(|ids| ids.iter().map(|g| name_of(g.as_str())).collect::<Vec<_>>());
    t.insert("identitystore: groups of user", outcome(of_user));
    let members = store.members_of_group(store_id, &group).await;
    let members = members.map(|ids| ids.iter().map(|u| name_of(u.as_str())).collect::<Vec<_>>());
    t.insert("identitystore: members of group", outcome(members));
}

/// Creates permission set `Admin` and assigns it to `group` in [`ACCOUNT`]; returns its ARN.
async fn permission_set_and_assignment(
    config: &SdkConfig,
    instance_arn: &InstanceArn,
    group: &str,
    t: &mut Transcript,
) -> String {
    let admin = aws_sdk_ssoadmin::Client::new(config);
    let created = admin
        .create_permission_set()
        .instance_arn(instance_arn.as_str())
        .name("Admin")
        .send()
        .await;
    t.insert(
        "sso-admin: create permission set",
        sdk_outcome(created.map(|_| ())),
    );
    // The ARN from ListPermissionSets, whose answer the SDK reads from every emulator.
    let listed = admin
        .list_permission_sets()
        .instance_arn(instance_arn.as_str())
        .send()
        .await
        .expect("ListPermissionSets");
    let ps_arn = listed.permission_sets()[0].clone();
    t.insert("sso-admin: permission set ARN shape", ps_arn_shape(&ps_arn));
    admin
        .create_account_assignment()
        .instance_arn(instance_arn.as_str())
        .permission_set_arn(&ps_arn)
        .target_id(ACCOUNT)
        .target_type(TargetType::AwsAccount)
        .principal_type(SdkPrincipalType::Group)
        .principal_id(group)
        .send()
        .await
        .expect("CreateAccountAssignment");
    ps_arn
}

/// The SSO Admin port's reads of permission sets and assignments.
async fn assignment_reads(
    sso: &SdkSsoAdmin,
    instance_arn: &InstanceArn,
    ps_arn: &str,
    (group, names): (&str, &Names),
    t: &mut Transcript,
) {
    // The typed port takes only a real permission set ARN; an emulator that answers another
    // shape has the reads that need one refused here, as the adapter refuses its answers.
    let typed = PermissionSetArn::new(ps_arn);
    let refused = |e: &eks_sso_sync::domain::InvalidValue| format!("refused: {}", e.reason);
    let ps_name = |arn: &PermissionSetArn| {
        if arn.as_str() == ps_arn {
            "Admin".to_owned()
        } else {
            format!("<other {arn}>")
        }
    };
    let sets = sso.list_permission_sets(instance_arn).await;
    let sets = sets.map(|s| {
        s.into_iter()
            .map(|p| p.name.to_string())
            .collect::<Vec<_>>()
    });
    t.insert("sso-admin: permission sets", outcome(sets));
    let accounts = match &typed {
        Ok(arn) => outcome(sso.accounts_for_permission_set(instance_arn, arn).await),
        Err(e) => refused(e),
    };
    t.insert("sso-admin: accounts of permission set", accounts);
    let provisioned = sso
        .permission_sets_provisioned_to_account(instance_arn, &account())
        .await;
    let provisioned = provisioned.map(|v| v.iter().map(&ps_name).collect::<Vec<_>>());
    t.insert("sso-admin: provisioned to account", outcome(provisioned));
    let normalize = |list: Vec<AccountAssignment>| -> Vec<String> {
        let principal = |id: &str| names.get(id).copied().unwrap_or("?");
        list.into_iter()
            .map(|a| {
                format!(
                    "{} {} {:?} {}",
                    a.account,
                    ps_name(&a.permission_set_arn),
                    a.principal.principal_type(),
                    principal(a.principal.id())
                )
            })
            .collect()
    };
    let assignments = match &typed {
        Ok(arn) => outcome(
            sso.account_assignments(instance_arn, &account(), arn)
                .await
                .map(normalize),
        ),
        Err(e) => refused(e),
    };
    t.insert("sso-admin: account assignments", assignments);
    let for_group = sso
        .assignments_for_principal(
            instance_arn,
            &AssignedPrincipal::Group(group.parse().expect("a group id")),
        )
        .await;
    t.insert(
        "sso-admin: assignments of group",
        outcome(for_group.map(normalize)),
    );
}
