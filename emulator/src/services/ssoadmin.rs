//! SSO Admin (awsJson1_1, `SWBExternalService.*`): the Identity Center instance, permission sets
//! and account assignments. The first assignment of a permission set in an account creates its
//! `AWSReservedSSO_<name>_<hex>` role in that account's IAM; the last one removed deletes it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{ApiError, opt_str, opt_u64, paginate};
use crate::clock::epoch_seconds;
use crate::ids::IdGenerator;
use crate::protocol::aws_json::unknown_operation;
use crate::world::World;

/// A permission set.
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionSet {
    /// `arn:aws:sso:::permissionSet/ssoins-.../ps-...`.
    pub arn: String,
    /// Name (also the middle of the SSO role name).
    pub name: String,
    /// Description, if given.
    pub description: Option<String>,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// ISO 8601 session length (`PT1H` unless given at creation, PT1H–PT12H).
    pub session_duration: String,
}

/// One account assignment (ordered for stable listing).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Assignment {
    /// Target account.
    pub account: String,
    /// Permission set ARN.
    pub permission_set_arn: String,
    /// `USER` or `GROUP`.
    pub principal_type: String,
    /// Identity-store principal id.
    pub principal_id: String,
}

/// The Identity Center instance and its assignments.
#[derive(Debug, Clone, PartialEq)]
pub struct SsoState {
    /// `arn:aws:sso:::instance/ssoins-<16 hex>`.
    pub instance_arn: String,
    /// Identity Center home region (decides the SSO role path).
    pub home_region: String,
    /// Management account owning the instance.
    pub owner_account: String,
    /// Permission sets by ARN.
    pub permission_sets: BTreeMap<String, PermissionSet>,
    /// Every assignment.
    pub assignments: BTreeSet<Assignment>,
    /// The SSO role name of each provisioned (permission set ARN, account).
    pub provisioned: BTreeMap<(String, String), String>,
    /// Assignment creation / deletion status objects by request id.
    pub requests: BTreeMap<String, Value>,
}

impl SsoState {
    /// A fresh instance.
    pub fn new(ids: &mut IdGenerator, home_region: &str, owner_account: &str) -> Self {
        Self {
            instance_arn: format!("arn:aws:sso:::instance/ssoins-{}", ids.hex(16)),
            home_region: home_region.to_owned(),
            owner_account: owner_account.to_owned(),
            permission_sets: BTreeMap::new(),
            assignments: BTreeSet::new(),
            provisioned: BTreeMap::new(),
            requests: BTreeMap::new(),
        }
    }

    /// The IAM path of SSO roles: no region segment for a us-east-1 instance.
    pub fn role_path(&self) -> String {
        match self.home_region.as_str() {
            "us-east-1" => "/aws-reserved/sso.amazonaws.com/".to_owned(),
            region => format!("/aws-reserved/sso.amazonaws.com/{region}/"),
        }
    }

    /// The ARN of the permission set with this name.
    pub fn permission_set_arn(&self, name: &str) -> Option<String> {
        self.permission_sets
            .values()
            .find(|p| p.name == name)
            .map(|p| p.arn.clone())
    }
}

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "ValidationException", message)
}

fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "ResourceNotFoundException", message)
}

fn required<'a>(input: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    opt_str(input, key).ok_or_else(|| validation(format!("{key} is required")))
}

/// Creates a permission set; `ConflictException` if the name is taken.
pub fn create_permission_set(
    world: &mut World,
    name: &str,
    description: Option<&str>,
) -> Result<PermissionSet, ApiError> {
    let valid = (1..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !valid {
        return Err(validation(format!("Invalid permission set name {name}")));
    }
    if world.sso.permission_set_arn(name).is_some() {
        return Err(ApiError::new(
            400,
            "ConflictException",
            format!("PermissionSet with name {name} already exists"),
        ));
    }
    let instance = world
        .sso
        .instance_arn
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let set = PermissionSet {
        arn: format!(
            "arn:aws:sso:::permissionSet/{instance}/ps-{}",
            world.ids.hex(16)
        ),
        name: name.to_owned(),
        description: description.map(str::to_owned),
        created_at: world.now(),
        session_duration: "PT1H".to_owned(),
    };
    world
        .sso
        .permission_sets
        .insert(set.arn.clone(), set.clone());
    Ok(set)
}

/// Adds an assignment, creating the SSO role (created at `role_created_at`) on the first one of
/// its permission set in the account. Assigning twice is a no-op, as in Identity Center.
pub fn assign(
    world: &mut World,
    assignment: &Assignment,
    role_created_at: OffsetDateTime,
) -> Result<(), ApiError> {
    check_assignment(world, assignment)?;
    let key = (
        assignment.permission_set_arn.clone(),
        assignment.account.clone(),
    );
    if !world.sso.provisioned.contains_key(&key) {
        let set_name = world.sso.permission_sets[&assignment.permission_set_arn]
            .name
            .clone();
        let name = format!("AWSReservedSSO_{set_name}_{}", world.ids.hex(16));
        let path = world.sso.role_path();
        let doc = saml_trust_policy(&assignment.account);
        crate::services::iam::insert_role(
            world,
            &assignment.account,
            &name,
            &path,
            &doc,
            role_created_at,
        )?;
        world.sso.provisioned.insert(key, name);
    }
    world.sso.assignments.insert(assignment.clone());
    Ok(())
}

/// Removes an assignment, deleting the SSO role with the last one of its permission set in the account.
pub fn unassign(world: &mut World, assignment: &Assignment) -> Result<(), ApiError> {
    check_assignment(world, assignment)?;
    world.sso.assignments.remove(assignment);
    let still_used = world.sso.assignments.iter().any(|a| {
        a.account == assignment.account && a.permission_set_arn == assignment.permission_set_arn
    });
    let key = (
        assignment.permission_set_arn.clone(),
        assignment.account.clone(),
    );
    if !still_used {
        if let Some(role) = world.sso.provisioned.remove(&key) {
            // The role may already be gone if someone deleted it behind Identity Center's back.
            let _ = crate::services::iam::delete_role(world, &assignment.account, &role);
        }
    }
    Ok(())
}

fn saml_trust_policy(account: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{account}:saml-provider/AWSSSO_DO_NOT_DELETE")},
        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]})
    .to_string()
}

fn check_assignment(world: &World, a: &Assignment) -> Result<(), ApiError> {
    if !world
        .sso
        .permission_sets
        .contains_key(&a.permission_set_arn)
    {
        return Err(not_found(format!(
            "PermissionSet {} not found",
            a.permission_set_arn
        )));
    }
    if !world.accounts.contains_key(&a.account) {
        return Err(validation(format!(
            "TargetId {} is not an account of the organization",
            a.account
        )));
    }
    let exists = match a.principal_type.as_str() {
        "GROUP" => world.directory.groups.contains_key(&a.principal_id),
        "USER" => world.directory.users.contains_key(&a.principal_id),
        other => return Err(validation(format!("Invalid PrincipalType {other}"))),
    };
    if exists {
        Ok(())
    } else {
        Err(not_found(format!("Principal {} not found", a.principal_id)))
    }
}

/// The operations this emulator knows.
const OPERATIONS: [&str; 13] = [
    "ListInstances",
    "CreatePermissionSet",
    "DescribePermissionSet",
    "ListPermissionSets",
    "CreateAccountAssignment",
    "DeleteAccountAssignment",
    "DescribeAccountAssignmentCreationStatus",
    "DescribeAccountAssignmentDeletionStatus",
    "ListAccountAssignments",
    "ListAccountAssignmentsForPrincipal",
    "ListAccountsForProvisionedPermissionSet",
    "ListPermissionSetsProvisionedToAccount",
    "ProvisionPermissionSet",
];

/// Handles one SSO Admin operation.
pub fn dispatch(world: &mut World, op: &str, input: &Value) -> Result<Value, ApiError> {
    if !OPERATIONS.contains(&op) {
        return Err(unknown_operation(op));
    }
    if op != "ListInstances" {
        let instance = required(input, "InstanceArn")?;
        if instance != world.sso.instance_arn {
            return Err(not_found(format!("Instance {instance} not found")));
        }
    }
    match op {
        "ListInstances" => Ok(list_instances(world)),
        "CreatePermissionSet" => {
            let duration = opt_str(input, "SessionDuration")
                .map(session_duration)
                .transpose()?;
            let mut set = create_permission_set(
                world,
                required(input, "Name")?,
                opt_str(input, "Description"),
            )?;
            if let Some(duration) = duration {
                set.session_duration = duration;
                if let Some(stored) = world.sso.permission_sets.get_mut(&set.arn) {
                    stored.session_duration.clone_from(&set.session_duration);
                }
            }
            Ok(json!({"PermissionSet": permission_set_json(&set)}))
        }
        "DescribePermissionSet" => {
            let arn = required(input, "PermissionSetArn")?;
            let set = world
                .sso
                .permission_sets
                .get(arn)
                .ok_or_else(|| not_found(format!("PermissionSet {arn} not found")))?;
            Ok(json!({"PermissionSet": permission_set_json(set)}))
        }
        "ListPermissionSets" => {
            let arns: Vec<String> = world.sso.permission_sets.keys().cloned().collect();
            page(&arns, input, "PermissionSets")
        }
        "CreateAccountAssignment" | "DeleteAccountAssignment" => {
            change_assignment(world, op, input)
        }
        "DescribeAccountAssignmentCreationStatus" => {
            request_status(world, input, "AccountAssignmentCreation")
        }
        "DescribeAccountAssignmentDeletionStatus" => {
            request_status(world, input, "AccountAssignmentDeletion")
        }
        "ProvisionPermissionSet" => provision(world, input),
        _ => list_ops(world, op, input),
    }
}

fn list_instances(world: &World) -> Value {
    json!({"Instances": [{"InstanceArn": world.sso.instance_arn,
        "IdentityStoreId": world.directory.identity_store_id, "OwnerAccountId": world.sso.owner_account,
        "Name": "emulator", "Status": "ACTIVE"}]})
}

/// A `SessionDuration` as SSO Admin accepts it: ISO 8601 hours and minutes, 1 to 12 hours.
fn session_duration(text: &str) -> Result<String, ApiError> {
    let minutes = text.strip_prefix("PT").and_then(|rest| {
        let (hours, rest) = match rest.split_once('H') {
            Some((h, rest)) => (h.parse::<u32>().ok()?, rest),
            None => (0, rest),
        };
        let minutes = match rest {
            "" => 0,
            m => m.strip_suffix('M')?.parse::<u32>().ok()?,
        };
        Some(hours * 60 + minutes)
    });
    match minutes {
        Some(60..=720) => Ok(text.to_owned()),
        _ => Err(validation(format!(
            "SessionDuration {text} must be an ISO 8601 duration from PT1H to PT12H"
        ))),
    }
}

fn permission_set_json(set: &PermissionSet) -> Value {
    let mut out = json!({"Name": set.name, "PermissionSetArn": set.arn,
        "CreatedDate": epoch_seconds(set.created_at), "SessionDuration": set.session_duration});
    if let Some(description) = &set.description {
        out["Description"] = json!(description);
    }
    out
}

fn page<T: Clone + serde::Serialize>(
    items: &[T],
    input: &Value,
    member: &str,
) -> Result<Value, ApiError> {
    let max = match opt_u64(input, "MaxResults") {
        None => 100,
        Some(n @ 1..=100) => n as usize,
        Some(n) => {
            return Err(validation(format!(
                "MaxResults {n} must be between 1 and 100"
            )));
        }
    };
    let (items, next) = paginate(items, max, opt_str(input, "NextToken")).map_err(validation)?;
    let mut out = json!({ member: items });
    if let Some(token) = next {
        out["NextToken"] = json!(token);
    }
    Ok(out)
}

fn change_assignment(world: &mut World, op: &str, input: &Value) -> Result<Value, ApiError> {
    if opt_str(input, "TargetType").is_some_and(|t| t != "AWS_ACCOUNT") {
        return Err(validation("TargetType must be AWS_ACCOUNT"));
    }
    let assignment = Assignment {
        account: required(input, "TargetId")?.to_owned(),
        permission_set_arn: required(input, "PermissionSetArn")?.to_owned(),
        principal_type: required(input, "PrincipalType")?.to_owned(),
        principal_id: required(input, "PrincipalId")?.to_owned(),
    };
    let (member, now) = if op == "CreateAccountAssignment" {
        let now = world.now();
        assign(world, &assignment, now)?;
        ("AccountAssignmentCreationStatus", now)
    } else {
        unassign(world, &assignment)?;
        ("AccountAssignmentDeletionStatus", world.now())
    };
    let request_id = world.ids.uuid();
    let status = json!({"Status": "SUCCEEDED", "RequestId": request_id, "TargetId": assignment.account,
        "TargetType": "AWS_ACCOUNT", "PermissionSetArn": assignment.permission_set_arn,
        "PrincipalType": assignment.principal_type, "PrincipalId": assignment.principal_id,
        "CreatedDate": epoch_seconds(now)});
    world
        .sso
        .requests
        .insert(request_id, json!({ member: status.clone() }));
    Ok(json!({ member: status }))
}

/// Roles are provisioned with each assignment already, so this only validates and reports success.
fn provision(world: &mut World, input: &Value) -> Result<Value, ApiError> {
    let arn = required(input, "PermissionSetArn")?;
    if !world.sso.permission_sets.contains_key(arn) {
        return Err(not_found(format!("PermissionSet {arn} not found")));
    }
    let status = json!({"Status": "SUCCEEDED", "RequestId": world.ids.uuid(), "PermissionSetArn": arn,
        "AccountId": opt_str(input, "TargetId"), "CreatedDate": epoch_seconds(world.now())});
    Ok(json!({"PermissionSetProvisioningStatus": status}))
}

fn request_status(world: &World, input: &Value, kind: &str) -> Result<Value, ApiError> {
    let id = required(input, &format!("{kind}RequestId"))?;
    world
        .sso
        .requests
        .get(id)
        .filter(|status| status.get(format!("{kind}Status")).is_some())
        .cloned()
        .ok_or_else(|| not_found(format!("Request {id} not found")))
}

fn assignment_json(a: &Assignment) -> Value {
    json!({"AccountId": a.account, "PermissionSetArn": a.permission_set_arn,
           "PrincipalType": a.principal_type, "PrincipalId": a.principal_id})
}

fn list_ops(world: &World, op: &str, input: &Value) -> Result<Value, ApiError> {
    let sso = &world.sso;
    match op {
        "ListAccountAssignments" => {
            let (account, set) = (
                required(input, "AccountId")?,
                required(input, "PermissionSetArn")?,
            );
            let items: Vec<Value> = sso
                .assignments
                .iter()
                .filter(|a| a.account == account && a.permission_set_arn == set)
                .map(assignment_json)
                .collect();
            page(&items, input, "AccountAssignments")
        }
        "ListAccountAssignmentsForPrincipal" => {
            let (id, kind) = (
                required(input, "PrincipalId")?,
                required(input, "PrincipalType")?,
            );
            let account = input.pointer("/Filter/AccountId").and_then(Value::as_str);
            let items: Vec<Value> = sso
                .assignments
                .iter()
                .filter(|a| a.principal_id == id && a.principal_type == kind)
                .filter(|a| account.is_none_or(|acct| a.account == acct))
                .map(assignment_json)
                .collect();
            page(&items, input, "AccountAssignments")
        }
        "ListAccountsForProvisionedPermissionSet" => {
            let set = required(input, "PermissionSetArn")?;
            let accounts: Vec<String> = sso
                .provisioned
                .keys()
                .filter(|(ps, _)| ps == set)
                .map(|(_, a)| a.clone())
                .collect();
            page(&accounts, input, "AccountIds")
        }
        "ListPermissionSetsProvisionedToAccount" => {
            let account = required(input, "AccountId")?;
            let sets: Vec<String> = sso
                .provisioned
                .keys()
                .filter(|(_, a)| a == account)
                .map(|(ps, _)| ps.clone())
                .collect();
            page(&sets, input, "PermissionSets")
        }
        _ => Err(unknown_operation(op)),
    }
}

#[cfg(test)]
#[path = "ssoadmin_tests.rs"]
mod tests;
