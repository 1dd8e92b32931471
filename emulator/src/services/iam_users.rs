//! IAM users, as far as eks-sso-sync meets them: `aws-auth` ConfigMaps map IAM users
//! (`mapUsers`), their access entries name them, and the lockout guard asks `GetUser` whether
//! an admin entry's user still exists. Seeded only (no CreateUser): nobody should make more.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::ApiError;
use crate::clock::iso8601;
use crate::protocol::aws_query::{Params, Xml};
use crate::world::World;

/// An IAM user.
#[derive(Debug, Clone, PartialEq)]
pub struct IamUser {
    /// User name (no path).
    pub name: String,
    /// Path, starting and ending with `/`.
    pub path: String,
    /// `AIDA…` unique id.
    pub user_id: String,
    /// Full ARN, path included.
    pub arn: String,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// Users by account, then by name.
pub type IamUsers = BTreeMap<String, BTreeMap<String, IamUser>>;

/// Adds a user (seeding).
pub fn insert_user(world: &mut World, account: &str, name: &str, path: &str) -> IamUser {
    let user = IamUser {
        name: name.to_owned(),
        path: path.to_owned(),
        user_id: format!("AIDA{}", world.ids.upper_alnum(17)),
        arn: format!("arn:aws:iam::{account}:user{path}{name}"),
        created_at: world.now(),
    };
    world
        .iam_users
        .entry(account.to_owned())
        .or_default()
        .insert(name.to_owned(), user.clone());
    user
}

/// `GetUser` in `account`; names compare case-insensitively, as IAM's do.
pub fn get_user(world: &World, account: &str, params: &Params) -> Result<Vec<Xml>, ApiError> {
    let name = params
        .get("UserName")
        .map(String::as_str)
        .unwrap_or_default();
    let user = world
        .iam_users
        .get(account)
        .and_then(|users| users.values().find(|u| u.name.eq_ignore_ascii_case(name)))
        .ok_or_else(|| {
            ApiError::new(
                404,
                "NoSuchEntity",
                format!("The user with name {name} cannot be found."),
            )
        })?;
    Ok(vec![Xml::node(
        "User",
        vec![
            Xml::leaf("Path", &user.path),
            Xml::leaf("UserName", &user.name),
            Xml::leaf("UserId", &user.user_id),
            Xml::leaf("Arn", &user.arn),
            Xml::leaf("CreateDate", iso8601(user.created_at)),
        ],
    )])
}
