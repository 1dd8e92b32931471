//! IAM roles: CreateRole, DeleteRole, GetRole, ListRoles. IAM is global: the region is ignored.

use time::OffsetDateTime;

use super::ApiError;
use crate::clock::iso8601;
use crate::protocol::aws_query::{Params, Xml};
use crate::world::{Caller, Role, World};

/// Default and maximum `MaxItems` of `ListRoles`.
const DEFAULT_MAX_ITEMS: usize = 100;
const MAX_MAX_ITEMS: usize = 1000;

/// Handles one IAM action.
pub fn dispatch(
    world: &mut World,
    caller: &Caller,
    action: &str,
    params: &Params,
) -> Result<Vec<Xml>, ApiError> {
    let account = caller.account.clone();
    match action {
        "CreateRole" => {
            let name = required(params, "RoleName")?;
            let path = params.get("Path").map_or("/", String::as_str);
            let doc = required(params, "AssumeRolePolicyDocument")?;
            let now = world.now();
            let mut role = insert_role(world, &account, name, path, doc, now)?;
            role.description = params.get("Description").cloned();
            set_description(world, &account, &role);
            Ok(vec![role_xml(&role)])
        }
        "DeleteRole" => {
            let name = required(params, "RoleName")?;
            if find_role(world, &account, name)?
                .path
                .starts_with("/aws-reserved/")
            {
                // Identity Center owns these roles; IAM refuses to delete them directly.
                return Err(ApiError::new(
                    400,
                    "UnmodifiableEntity",
                    format!(
                        "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
                    ),
                ));
            }
            delete_role(world, &account, name).map(|_| vec![])
        }

        "GetRole" => {
            let name = required(params, "RoleName")?;
            find_role(world, &account, name).map(|role| vec![role_xml(role)])
        }
        "ListRoles" => list_roles(world, &account, params),
        "GetUser" => super::iam_users::get_user(world, &account, params),
        _ => super::iam_policies::dispatch(world, caller, action, params),
    }
}

fn set_description(world: &mut World, account: &str, role: &Role) {
    if let Some(stored) = world
        .accounts
        .get_mut(account)
        .and_then(|a| a.roles.get_mut(&role.name))
    {
        stored.description.clone_from(&role.description);
    }
}

fn required<'a>(params: &'a Params, key: &str) -> Result<&'a str, ApiError> {
    params.get(key).map(String::as_str).ok_or_else(|| {
        ApiError::new(
            400,
            "ValidationError",
            format!("1 validation error detected: Value null at '{key}' failed to satisfy constraint: Member must not be null"),
        )
    })
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// Creates a role with a fresh unique id; `EntityAlreadyExists` (409) if the name is taken.
pub fn insert_role(
    world: &mut World,
    account: &str,
    name: &str,
    path: &str,
    policy_document: &str,
    created_at: OffsetDateTime,
) -> Result<Role, ApiError> {
    if !valid_name(name) {
        return Err(ApiError::new(
            400,
            "ValidationError",
            format!("Invalid role name {name}"),
        ));
    }
    if !path.starts_with('/') || !path.ends_with('/') || path.len() > 512 {
        return Err(ApiError::new(
            400,
            "ValidationError",
            format!(
                "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters: {path}"
            ),
        ));
    }
    let role_id = world.ids.role_id();
    let acct = world
        .accounts
        .get_mut(account)
        .ok_or_else(|| ApiError::new(403, "AccessDenied", format!("Unknown account {account}")))?;
    // IAM names are unique regardless of case (`Dev` blocks `dev`); the ARN keeps the case given.
    if acct
        .roles
        .keys()
        .any(|existing| existing.eq_ignore_ascii_case(name))
    {
        return Err(ApiError::new(
            409,
            "EntityAlreadyExists",
            format!("Role with name {name} already exists."),
        ));
    }
    let role = Role {
        name: name.to_owned(),
        path: path.to_owned(),
        role_id,
        arn: format!("arn:aws:iam::{account}:role{path}{name}"),
        created_at,
        assume_role_policy_document: policy_document.to_owned(),
        description: None,
    };
    acct.roles.insert(name.to_owned(), role.clone());
    Ok(role)
}

/// Deletes a role; `NoSuchEntity` (404) if it does not exist.
pub fn delete_role(world: &mut World, account: &str, name: &str) -> Result<Role, ApiError> {
    world.iam_policies.forget_role(account, name);
    world
        .accounts
        .get_mut(account)
        .and_then(|a| a.roles.remove(name))
        .ok_or_else(|| no_such_role(name))
}

/// A role by name; `NoSuchEntity` (404) if it does not exist.
pub fn find_role<'a>(world: &'a World, account: &str, name: &str) -> Result<&'a Role, ApiError> {
    world
        .accounts
        .get(account)
        .and_then(|a| a.roles.get(name))
        .ok_or_else(|| no_such_role(name))
}

fn no_such_role(name: &str) -> ApiError {
    ApiError::new(
        404,
        "NoSuchEntity",
        format!("The role with name {name} cannot be found."),
    )
}

fn list_roles(world: &World, account: &str, params: &Params) -> Result<Vec<Xml>, ApiError> {
    let prefix = params.get("PathPrefix").map_or("/", String::as_str);
    let max = match params.get("MaxItems") {
        None => DEFAULT_MAX_ITEMS,
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|n| (1..=MAX_MAX_ITEMS).contains(n))
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "ValidationError",
                    format!("Invalid MaxItems {raw}: must be 1 to 1000"),
                )
            })?,
    };
    let roles: Vec<&Role> = world
        .accounts
        .get(account)
        .map(|a| {
            a.roles
                .values()
                .filter(|r| r.path.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default();
    let (page, marker) = super::paginate(&roles, max, params.get("Marker").map(String::as_str))
        .map_err(|msg| ApiError::new(400, "ValidationError", msg))?;
    let members = page
        .iter()
        .map(|r| Xml::Node("member".to_owned(), role_fields(r)))
        .collect();
    let mut out = vec![Xml::leaf("IsTruncated", marker.is_some().to_string())];
    if let Some(marker) = marker {
        out.push(Xml::leaf("Marker", marker));
    }
    out.push(Xml::node("Roles", members));
    Ok(out)
}

/// `<Role>` with the members botocore and the SDK read.
pub fn role_xml(role: &Role) -> Xml {
    Xml::node("Role", role_fields(role))
}

fn role_fields(role: &Role) -> Vec<Xml> {
    // IAM returns policy documents URL-encoded.
    let doc = percent_encoding::utf8_percent_encode(
        &role.assume_role_policy_document,
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    let mut fields = vec![
        Xml::leaf("Path", &role.path),
        Xml::leaf("RoleName", &role.name),
        Xml::leaf("RoleId", &role.role_id),
        Xml::leaf("Arn", &role.arn),
        Xml::leaf("CreateDate", iso8601(role.created_at)),
        Xml::leaf("AssumeRolePolicyDocument", doc),
        Xml::leaf("MaxSessionDuration", "3600"),
    ];
    if let Some(description) = &role.description {
        fields.push(Xml::leaf("Description", description));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::world::WorldSettings;

    fn world() -> World {
        World::new(
            WorldSettings::default(),
            Clock::fixed(time::macros::datetime!(2024-05-01 0:00 UTC)),
        )
    }

    #[test]
    fn recreated_role_gets_a_new_id_and_duplicates_conflict() {
        let mut w = world();
        let now = w.now();
        let first = insert_role(&mut w, "111111111111", "dev", "/team/", "{}", now).unwrap();
        assert_eq!(first.arn, "arn:aws:iam::111111111111:role/team/dev");
        let dup = insert_role(&mut w, "111111111111", "dev", "/", "{}", now).unwrap_err();
        assert_eq!(
            (dup.status, dup.code.as_str()),
            (409, "EntityAlreadyExists")
        );
        delete_role(&mut w, "111111111111", "dev").unwrap();
        let second = insert_role(&mut w, "111111111111", "dev", "/team/", "{}", now).unwrap();
        assert_ne!(first.role_id, second.role_id);
        assert_eq!(
            delete_role(&mut w, "111111111111", "nope")
                .unwrap_err()
                .code,
            "NoSuchEntity"
        );
    }

    #[test]
    fn list_roles_filters_by_prefix_and_paginates_with_marker() {
        let mut w = world();
        let now = w.now();
        for name in ["a", "b", "c"] {
            insert_role(&mut w, "111111111111", name, "/x/", "{}", now).unwrap();
        }
        let caller = Caller::account("111111111111", "us-east-1");
        let params: Params = [("PathPrefix", "/x/"), ("MaxItems", "2")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        let page = dispatch(&mut w, &caller, "ListRoles", &params).unwrap();
        assert_eq!(page[0], Xml::leaf("IsTruncated", "true"));
        assert_eq!(page[1], Xml::leaf("Marker", "2"));
        let mut next = params.clone();
        next.insert("Marker".into(), "2".into());
        let page = dispatch(&mut w, &caller, "ListRoles", &next).unwrap();
        assert_eq!(page[0], Xml::leaf("IsTruncated", "false"));
        assert!(matches!(&page[1], Xml::Node(n, members) if n == "Roles" && members.len() == 1));
    }
}
