//! IAM request contexts of the IAM, STS, SSO Admin, Identity Store and SQS calls. Actions with
//! several required resource types (most of `sso` and `identitystore`) need one authorization per
//! resource; an id the request does not name (the group `GetGroupId` looks up) is the type's `*`.

use serde_json::Value;

use super::Authorization;
use crate::protocol::aws_query::Params;
use crate::services::opt_str;
use crate::world::{Caller, World};

/// IAM: role actions authorize against the role ARN with its path, policy actions against the
/// policy ARN, `ListRoles` and `ListPolicies` against `*`.
pub fn iam(world: &World, caller: &Caller, op: &str, params: &Params) -> Vec<Authorization> {
    let action = format!("iam:{op}");
    let account = &caller.account;
    let role_arn = || {
        let name = params
            .get("RoleName")
            .map(String::as_str)
            .unwrap_or_default();
        let existing = world.accounts.get(account).and_then(|a| a.roles.get(name));
        existing.map_or_else(
            || {
                // CreateRole names a role that does not exist yet: its ARN comes from the request.
                let path = params.get("Path").map_or("/", String::as_str);
                format!("arn:aws:iam::{account}:role{path}{name}")
            },
            |role| role.arn.clone(),
        )
    };
    let auth = match op {
        "ListRoles" | "ListPolicies" => Authorization::new(&action, "*"),
        "CreatePolicy" => {
            let path = params.get("Path").map_or("/", String::as_str);
            let name = params
                .get("PolicyName")
                .map(String::as_str)
                .unwrap_or_default();
            Authorization::new(
                &action,
                format!("arn:aws:iam::{account}:policy{path}{name}"),
            )
        }
        "GetPolicy" | "GetPolicyVersion" | "DeletePolicy" => Authorization::new(
            &action,
            params.get("PolicyArn").cloned().unwrap_or_default(),
        ),
        "AttachRolePolicy" | "DetachRolePolicy" => Authorization::new(&action, role_arn()).with(
            "iam:PolicyARN",
            params.get("PolicyArn").cloned().unwrap_or_default(),
        ),
        _ => Authorization::new(&action, role_arn()),
    };
    vec![auth]
}

/// STS: `AssumeRole` authorizes against the target role; `GetCallerIdentity` is never denied.
pub fn sts(op: &str, params: &Params) -> Vec<Authorization> {
    match op {
        "AssumeRole" => vec![Authorization::new(
            "sts:AssumeRole",
            params.get("RoleArn").cloned().unwrap_or_default(),
        )],
        _ => vec![],
    }
}

/// The resource types an SSO Admin action requires, in the reference's order.
fn sso_resources(op: &str) -> &'static [&'static str] {
    match op {
        "ListInstances" => &[],
        "ListPermissionSets"
        | "ListAccountAssignmentsForPrincipal"
        | "DescribeAccountAssignmentCreationStatus"
        | "DescribeAccountAssignmentDeletionStatus" => &["instance"],
        "DescribePermissionSet"
        | "CreatePermissionSet"
        | "ListAccountsForProvisionedPermissionSet" => &["instance", "permissionSet"],
        "ListPermissionSetsProvisionedToAccount" => &["account", "instance"],
        _ => &["account", "instance", "permissionSet"],
    }
}

/// SSO Admin: instance `arn:aws:sso:::instance/ID`, permission set
/// `arn:aws:sso:::permissionSet/INSTANCE/ID` and account `arn:aws:sso:::account/ACCT`.
pub fn sso(world: &World, op: &str, input: &Value) -> Vec<Authorization> {
    let action = format!("sso:{op}");
    let instance = opt_str(input, "InstanceArn").unwrap_or(&world.sso.instance_arn);
    let instance_id = instance.rsplit('/').next().unwrap_or_default();
    let resources = sso_resources(op);
    if resources.is_empty() {
        return vec![Authorization::new(action, "*")];
    }
    resources
        .iter()
        .map(|kind| {
            let arn = match *kind {
                "instance" => instance.to_owned(),
                "permissionSet" => opt_str(input, "PermissionSetArn").map_or_else(
                    || format!("arn:aws:sso:::permissionSet/{instance_id}/*"),
                    str::to_owned,
                ),
                _ => {
                    let account =
                        opt_str(input, "AccountId").or_else(|| opt_str(input, "TargetId"));
                    format!("arn:aws:sso:::account/{}", account.unwrap_or("*"))
                }
            };
            Authorization::new(&action, arn)
        })
        .collect()
}

/// The resource types an Identity Store action requires.
fn identitystore_resources(op: &str) -> &'static [&'static str] {
    match op {
        "CreateGroup" | "CreateUser" => &["identitystore"],
        "GetGroupId" | "DescribeGroup" | "DeleteGroup" | "UpdateGroup" => {
            &["group", "identitystore"]
        }
        "GetUserId" | "DescribeUser" | "DeleteUser" | "UpdateUser" => &["identitystore", "user"],
        "ListGroups" => &["allgroups", "identitystore"],
        "ListUsers" => &["allusers", "identitystore"],
        "ListGroupMemberships" => &["allmemberships", "group", "identitystore"],
        "ListGroupMembershipsForMember" => &["allmemberships", "identitystore", "user"],
        "CreateGroupMembership" => &["group", "identitystore", "user"],
        _ => &["group", "membership", "identitystore", "user"],
    }
}

/// Identity Store: the store `arn:aws:identitystore::ACCT:identitystore/d-…` and the
/// account-less `arn:aws:identitystore:::group/ID`, `user/ID`, `membership/ID`.
pub fn identitystore(world: &World, op: &str, input: &Value) -> Vec<Authorization> {
    let action = format!("identitystore:{op}");
    let store = opt_str(input, "IdentityStoreId").unwrap_or(&world.directory.identity_store_id);
    let user = opt_str(input, "UserId")
        .or_else(|| input.pointer("/MemberId/UserId").and_then(Value::as_str));
    let id_arn = |kind: &str, id: Option<&str>| {
        format!("arn:aws:identitystore:::{kind}/{}", id.unwrap_or("*"))
    };
    identitystore_resources(op)
        .iter()
        .map(|kind| {
            let arn = match *kind {
                "identitystore" => format!(
                    "arn:aws:identitystore::{}:identitystore/{store}",
                    world.sso.owner_account
                ),
                "group" => id_arn("group", opt_str(input, "GroupId")),
                "user" => id_arn("user", user),
                "membership" => id_arn("membership", opt_str(input, "MembershipId")),
                "allgroups" => id_arn("group", None),
                "allusers" => id_arn("user", None),
                _ => id_arn("membership", None),
            };
            Authorization::new(&action, arn)
        })
        .collect()
}

/// SQS: the queue `arn:aws:sqs:REGION:ACCT:NAME`; batch calls authorize as their single action.
pub fn sqs(caller: &Caller, op: &str, input: &Value) -> Vec<Authorization> {
    let action = match op {
        "SendMessageBatch" => "sqs:SendMessage".to_owned(),
        "DeleteMessageBatch" => "sqs:DeleteMessage".to_owned(),
        "ChangeMessageVisibilityBatch" => "sqs:ChangeMessageVisibility".to_owned(),
        other => format!("sqs:{other}"),
    };
    let (account, name) = match opt_str(input, "QueueUrl") {
        Some(url) => {
            let mut parts = url.trim_end_matches('/').rsplit('/');
            let name = parts.next().unwrap_or_default();
            (
                parts.next().unwrap_or(&caller.account).to_owned(),
                name.to_owned(),
            )
        }
        None => (
            opt_str(input, "QueueOwnerAWSAccountId")
                .unwrap_or(&caller.account)
                .to_owned(),
            opt_str(input, "QueueName").unwrap_or_default().to_owned(),
        ),
    };
    let arn = format!("arn:aws:sqs:{}:{account}:{name}", caller.region);
    let mut auth = Authorization::new(action, arn);
    if op == "CreateQueue" {
        auth = auth.with_request_tags(&crate::services::str_map(input, "tags"));
    }
    vec![auth]
}
