//! Identity Store (awsJson1_1, `AWSIdentityStore.*`): users, groups and group memberships.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{ApiError, opt_str, opt_u64, paginate};
use crate::ids::IdGenerator;
use crate::world::World;

/// A user.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Identity-store user id.
    pub id: String,
    /// Unique user name.
    pub user_name: String,
    /// Display name, if given.
    pub display_name: Option<String>,
    /// The raw `Name`, `Emails` and other members given at creation, echoed by DescribeUser.
    pub extra: serde_json::Map<String, Value>,
}

/// A group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Identity-store group id.
    pub id: String,
    /// Unique display name.
    pub display_name: String,
    /// Description, if given.
    pub description: Option<String>,
}

/// A user's membership in a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// Membership id.
    pub id: String,
    /// The group.
    pub group_id: String,
    /// The member user.
    pub user_id: String,
}

/// The identity store of the Identity Center instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Directory {
    /// `d-` + 10 hex digits.
    pub identity_store_id: String,
    /// Users by id.
    pub users: BTreeMap<String, User>,
    /// Groups by id.
    pub groups: BTreeMap<String, Group>,
    /// Memberships by id.
    pub memberships: BTreeMap<String, Membership>,
}

impl Directory {
    /// An empty identity store with a fresh id.
    pub fn new(ids: &mut IdGenerator) -> Self {
        Self {
            identity_store_id: format!("d-{}", ids.hex(10)),
            users: BTreeMap::new(),
            groups: BTreeMap::new(),
            memberships: BTreeMap::new(),
        }
    }

    /// The id of the group with this display name.
    pub fn group_id_by_name(&self, name: &str) -> Option<String> {
        self.groups
            .values()
            .find(|g| g.display_name == name)
            .map(|g| g.id.clone())
    }

    /// The id of the user with this user name.
    pub fn user_id_by_name(&self, name: &str) -> Option<String> {
        self.users
            .values()
            .find(|u| u.user_name == name)
            .map(|u| u.id.clone())
    }
}

/// Identity Center ids look like `<10 hex>-<uuid>`.
fn principal_id(ids: &mut IdGenerator) -> String {
    format!("{}-{}", ids.hex(10), ids.uuid())
}

/// `arn:aws:identitystore:::<kind>/<id>`, as Identity Store names users, groups and memberships.
fn arn(kind: &str, id: &str) -> String {
    format!("arn:aws:identitystore:::{kind}/{id}")
}

/// Every resource here is at its first revision: the emulator has no Update operations.
const REVISION: &str = "1";

fn not_found(kind: &str, id: &str) -> ApiError {
    ApiError::new(
        400,
        "ResourceNotFoundException",
        format!("{kind} with id {id} not found"),
    )
}

fn conflict(message: String) -> ApiError {
    ApiError::new(400, "ConflictException", message)
}

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "ValidationException", message)
}

fn required<'a>(input: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    opt_str(input, key).ok_or_else(|| validation(format!("{key} is required")))
}

/// Names Identity Store reserves for itself. Source: the Identity Store API reference of
/// `CreateGroup.DisplayName` and `CreateUser.UserName` ("Administrator and AWSAdministrators are
/// reserved names and can't be used for users or groups").
pub const RESERVED_NAMES: [&str; 2] = ["Administrator", "AWSAdministrators"];

fn check_reserved(member: &str, name: &str) -> Result<(), ApiError> {
    if RESERVED_NAMES.contains(&name) {
        return Err(validation(format!(
            "{member} {name} is reserved and can't be used for users or groups"
        )));
    }
    Ok(())
}

/// Creates a group; `ConflictException` if the display name is taken, `ValidationException` for
/// a reserved name.
pub fn create_group(
    world: &mut World,
    name: &str,
    description: Option<&str>,
) -> Result<String, ApiError> {
    check_reserved("DisplayName", name)?;
    if world.directory.group_id_by_name(name).is_some() {
        return Err(conflict(format!("Duplicate GroupDisplayName {name}")));
    }
    let id = principal_id(&mut world.ids);
    let group = Group {
        id: id.clone(),
        display_name: name.to_owned(),
        description: description.map(str::to_owned),
    };
    world.directory.groups.insert(id.clone(), group);
    Ok(id)
}

/// Creates a user; `ConflictException` if the user name is taken.
pub fn create_user(world: &mut World, input: &Value) -> Result<String, ApiError> {
    let user_name = required(input, "UserName")?;
    check_reserved("UserName", user_name)?;
    if world.directory.user_id_by_name(user_name).is_some() {
        return Err(conflict(format!("Duplicate UserName {user_name}")));
    }
    let id = principal_id(&mut world.ids);
    let mut extra = input.as_object().cloned().unwrap_or_default();
    for key in ["IdentityStoreId", "UserName", "DisplayName"] {
        extra.remove(key);
    }
    let user = User {
        id: id.clone(),
        user_name: user_name.to_owned(),
        display_name: opt_str(input, "DisplayName").map(str::to_owned),
        extra,
    };
    world.directory.users.insert(id.clone(), user);
    Ok(id)
}

/// Adds a user to a group; `ConflictException` if already a member.
pub fn create_membership(
    world: &mut World,
    group_id: &str,
    user_id: &str,
) -> Result<String, ApiError> {
    let dir = &world.directory;
    if !dir.groups.contains_key(group_id) {
        return Err(not_found("GROUP", group_id));
    }
    if !dir.users.contains_key(user_id) {
        return Err(not_found("USER", user_id));
    }
    if dir
        .memberships
        .values()
        .any(|m| m.group_id == group_id && m.user_id == user_id)
    {
        return Err(conflict(format!(
            "Member {user_id} already exists in group {group_id}"
        )));
    }
    let id = world.ids.uuid();
    let membership = Membership {
        id: id.clone(),
        group_id: group_id.to_owned(),
        user_id: user_id.to_owned(),
    };
    world.directory.memberships.insert(id.clone(), membership);
    Ok(id)
}

/// Handles one Identity Store operation.
pub fn dispatch(world: &mut World, op: &str, input: &Value) -> Result<Value, ApiError> {
    let store = world.directory.identity_store_id.clone();
    if opt_str(input, "IdentityStoreId").is_some_and(|id| id != store) {
        return Err(not_found(
            "IDENTITY_STORE",
            opt_str(input, "IdentityStoreId").unwrap_or_default(),
        ));
    }
    match op {
        "CreateGroup" => {
            let id = create_group(
                world,
                required(input, "DisplayName")?,
                opt_str(input, "Description"),
            )?;
            Ok(
                json!({"GroupId": id, "GroupArn": arn("group", &id), "Revision": REVISION, "IdentityStoreId": store}),
            )
        }
        "DeleteGroup" => {
            let id = required(input, "GroupId")?;
            world
                .directory
                .groups
                .remove(id)
                .ok_or_else(|| not_found("GROUP", id))?;
            world.directory.memberships.retain(|_, m| m.group_id != id);
            Ok(json!({}))
        }
        "DescribeGroup" => {
            let id = required(input, "GroupId")?;
            let group = world
                .directory
                .groups
                .get(id)
                .ok_or_else(|| not_found("GROUP", id))?;
            Ok(group_json(group, &store))
        }
        "ListGroups" => list_groups(world, input),
        "GetGroupId" => get_group_id(world, input),
        "GetUserId" => get_user_id(world, input),
        "CreateUser" => {
            let id = create_user(world, input)?;
            Ok(
                json!({"UserId": id, "UserArn": arn("user", &id), "Revision": REVISION, "IdentityStoreId": store}),
            )
        }
        "DescribeUser" => describe_user(world, input),
        "ListUsers" => list_users(world, input),
        _ => membership_ops(world, op, input),
    }
}

fn membership_ops(world: &mut World, op: &str, input: &Value) -> Result<Value, ApiError> {
    let store = world.directory.identity_store_id.clone();
    match op {
        "CreateGroupMembership" => {
            let user = member_user_id(input)?;
            let id = create_membership(world, required(input, "GroupId")?, &user)?;
            Ok(
                json!({"MembershipId": id, "MembershipArn": arn("membership", &id), "IdentityStoreId": store}),
            )
        }
        "DeleteGroupMembership" => {
            let id = required(input, "MembershipId")?;
            world
                .directory
                .memberships
                .remove(id)
                .ok_or_else(|| not_found("GROUP_MEMBERSHIP", id))?;
            Ok(json!({}))
        }
        "ListGroupMemberships" => {
            let group = required(input, "GroupId")?;
            list_memberships(world, input, |m| m.group_id == group)
        }
        "ListGroupMembershipsForMember" => {
            let user = member_user_id(input)?;
            list_memberships(world, input, |m| m.user_id == user)
        }
        "GetGroupMembershipId" => {
            let (group, user) = (required(input, "GroupId")?, member_user_id(input)?);
            let found = world
                .directory
                .memberships
                .values()
                .find(|m| m.group_id == group && m.user_id == user);
            let m =
                found.ok_or_else(|| not_found("GROUP_MEMBERSHIP", &format!("{group}/{user}")))?;
            Ok(
                json!({"MembershipId": m.id, "MembershipArn": arn("membership", &m.id), "IdentityStoreId": store}),
            )
        }
        _ => Err(super::super::protocol::aws_json::unknown_operation(op)),
    }
}

fn member_user_id(input: &Value) -> Result<String, ApiError> {
    input
        .pointer("/MemberId/UserId")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| validation("MemberId.UserId is required"))
}

fn page_size(input: &Value) -> Result<usize, ApiError> {
    match opt_u64(input, "MaxResults") {
        None => Ok(100),
        Some(n @ 1..=100) => Ok(n as usize),
        Some(n) => Err(validation(format!(
            "MaxResults {n} must be between 1 and 100"
        ))),
    }
}

fn group_json(group: &Group, store: &str) -> Value {
    let mut out = json!({"GroupId": group.id, "GroupArn": arn("group", &group.id), "Revision": REVISION,
               "DisplayName": group.display_name, "IdentityStoreId": store});
    if let Some(description) = &group.description {
        out["Description"] = json!(description);
    }
    out
}

fn list_groups(world: &World, input: &Value) -> Result<Value, ApiError> {
    let store = &world.directory.identity_store_id;
    let filter = input
        .get("Filters")
        .and_then(Value::as_array)
        .and_then(|f| f.first());
    let wanted = match filter {
        Some(f)
            if opt_str(f, "AttributePath")
                .is_some_and(|p| p.eq_ignore_ascii_case("DisplayName")) =>
        {
            opt_str(f, "AttributeValue")
        }
        Some(_) => return Err(validation("Only the DisplayName filter is supported")),
        None => None,
    };
    let groups: Vec<Value> = world
        .directory
        .groups
        .values()
        .filter(|g| wanted.is_none_or(|w| g.display_name == w))
        .map(|g| group_json(g, store))
        .collect();
    let (page, next) =
        paginate(&groups, page_size(input)?, opt_str(input, "NextToken")).map_err(validation)?;
    Ok(with_token(json!({"Groups": page}), next))
}

fn with_token(mut out: Value, next: Option<String>) -> Value {
    if let Some(token) = next {
        out["NextToken"] = json!(token);
    }
    out
}

fn get_group_id(world: &World, input: &Value) -> Result<Value, ApiError> {
    let attr = input
        .pointer("/AlternateIdentifier/UniqueAttribute")
        .ok_or_else(|| validation("AlternateIdentifier.UniqueAttribute is required"))?;
    let path = opt_str(attr, "AttributePath").unwrap_or_default();
    if !path.eq_ignore_ascii_case("displayName") {
        return Err(validation(format!("Unsupported AttributePath {path}")));
    }
    let value = opt_str(attr, "AttributeValue").unwrap_or_default();
    let id = world
        .directory
        .group_id_by_name(value)
        .ok_or_else(|| not_found("GROUP", value))?;
    Ok(
        json!({"GroupId": id, "GroupArn": arn("group", &id), "IdentityStoreId": world.directory.identity_store_id}),
    )
}

/// GetUserId by the `UserName` unique attribute (the one `explain --user` uses).
fn get_user_id(world: &World, input: &Value) -> Result<Value, ApiError> {
    let attr = input
        .pointer("/AlternateIdentifier/UniqueAttribute")
        .ok_or_else(|| validation("AlternateIdentifier.UniqueAttribute is required"))?;
    let path = opt_str(attr, "AttributePath").unwrap_or_default();
    if !path.eq_ignore_ascii_case("userName") {
        return Err(validation(format!("Unsupported AttributePath {path}")));
    }
    let value = opt_str(attr, "AttributeValue").unwrap_or_default();
    let id = world
        .directory
        .user_id_by_name(value)
        .ok_or_else(|| not_found("USER", value))?;
    Ok(json!({"UserId": id, "IdentityStoreId": world.directory.identity_store_id}))
}

fn describe_user(world: &World, input: &Value) -> Result<Value, ApiError> {
    let id = required(input, "UserId")?;
    let user = world
        .directory
        .users
        .get(id)
        .ok_or_else(|| not_found("USER", id))?;
    Ok(user_json(user, &world.directory.identity_store_id))
}

fn user_json(user: &User, store: &str) -> Value {
    let mut out = Value::Object(user.extra.clone());
    out["UserId"] = json!(user.id);
    out["UserArn"] = json!(arn("user", &user.id));
    out["Revision"] = json!(REVISION);
    out["UserName"] = json!(user.user_name);
    out["IdentityStoreId"] = json!(store);
    if let Some(name) = &user.display_name {
        out["DisplayName"] = json!(name);
    }
    out
}

/// ListUsers, optionally filtered by `UserName` (the only filter Identity Store offers for users).
fn list_users(world: &World, input: &Value) -> Result<Value, ApiError> {
    let filter = input
        .get("Filters")
        .and_then(Value::as_array)
        .and_then(|f| f.first());
    let wanted = match filter {
        Some(f)
            if opt_str(f, "AttributePath").is_some_and(|p| p.eq_ignore_ascii_case("UserName")) =>
        {
            opt_str(f, "AttributeValue")
        }
        Some(_) => return Err(validation("Only the UserName filter is supported")),
        None => None,
    };
    let store = &world.directory.identity_store_id;
    let users: Vec<Value> = world
        .directory
        .users
        .values()
        .filter(|u| wanted.is_none_or(|w| u.user_name == w))
        .map(|u| user_json(u, store))
        .collect();
    let (page, next) =
        paginate(&users, page_size(input)?, opt_str(input, "NextToken")).map_err(validation)?;
    Ok(with_token(json!({ "Users": page }), next))
}

fn list_memberships(
    world: &World,
    input: &Value,
    keep: impl Fn(&Membership) -> bool,
) -> Result<Value, ApiError> {
    let store = &world.directory.identity_store_id;
    let items: Vec<Value> = world
        .directory
        .memberships
        .values()
        .filter(|m| keep(m))
        .map(|m| {
            json!({"IdentityStoreId": store, "MembershipId": m.id, "MembershipArn": arn("membership", &m.id),
                   "GroupId": m.group_id,
                   "MemberId": {"UserId": m.user_id}})
        })
        .collect();
    let (page, next) =
        paginate(&items, page_size(input)?, opt_str(input, "NextToken")).map_err(validation)?;
    Ok(with_token(json!({"GroupMemberships": page}), next))
}

#[cfg(test)]
#[path = "identitystore_tests.rs"]
mod tests;
