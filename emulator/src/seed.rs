//! The YAML seed: accounts, Identity Center (users, groups, permission sets, assignments), IAM
//! roles and EKS clusters with pre-existing access entries. Seeding goes through the same code
//! paths as the API (an assignment creates its SSO role exactly as CreateAccountAssignment does).
//! Everything seeded is dated one day back, so the consistency window never applies to it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::clock::Clock;
use crate::services::eks::clusters::{self, NewCluster};
use crate::services::eks::policies::policy_arn;
use crate::services::eks::{AssociatedPolicy, ClusterKey, entries};
use crate::services::{ApiError, iam, identitystore, ssoadmin};
use crate::world::{DEFAULT_ACCOUNT, World, WorldSettings};
use crate::{EmulatorConfig, EmulatorError};

/// A whole seed (see `emulator/README.md` for the format).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Seed {
    /// Account of unknown access keys (default `111111111111`); also the Identity Center owner.
    pub default_account: Option<String>,
    /// Accounts (others referenced elsewhere are added automatically).
    pub accounts: Vec<SeedAccount>,
    /// Identity Center instance settings.
    pub identity_center: Option<SeedIdentityCenter>,
    /// Identity Store users.
    pub users: Vec<SeedUser>,
    /// Identity Store groups and their members.
    pub groups: Vec<SeedGroup>,
    /// More group memberships (in addition to `groups[].members`).
    pub memberships: Vec<SeedMembership>,
    /// Permission sets.
    pub permission_sets: Vec<SeedPermissionSet>,
    /// Account assignments (their SSO roles appear as a consequence).
    pub assignments: Vec<SeedAssignment>,
    /// Extra IAM roles.
    pub roles: Vec<SeedRole>,
    /// IAM users (the principals of `mapUsers`).
    pub iam_users: Vec<SeedIamUser>,
    /// EKS clusters.
    pub clusters: Vec<SeedCluster>,
    /// Access policies the EKS catalogue (`ListAccessPolicies`) offers beyond the built-in
    /// ones: a policy AWS added since, which `validate --online` must report.
    pub access_policies: Vec<String>,
}

/// An account.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedAccount {
    /// 12-digit id.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
}

/// Identity Center settings; ids are generated when absent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedIdentityCenter {
    /// Home region (overrides the configured one).
    pub home_region: Option<String>,
    /// Instance ARN.
    pub instance_arn: Option<String>,
    /// Identity store id.
    pub identity_store_id: Option<String>,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedUser {
    /// Unique user name.
    pub user_name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Primary e-mail address.
    pub email: Option<String>,
}

/// A group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedGroup {
    /// Unique display name.
    pub display_name: String,
    /// Description.
    pub description: Option<String>,
    /// User names of the members.
    pub members: Vec<String>,
}

/// A user's membership in a group.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedMembership {
    /// Group display name.
    pub group: String,
    /// User name.
    pub user: String,
}

/// A permission set.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedPermissionSet {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
}

/// An assignment of a permission set to a group or a user in an account.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedAssignment {
    /// Permission set name.
    pub permission_set: String,
    /// Target account.
    pub account: String,
    /// Group display name (this or `user`).
    pub group: Option<String>,
    /// User name (this or `group`).
    pub user: Option<String>,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedRole {
    /// Account.
    pub account: String,
    /// Path (default `/`).
    pub path: Option<String>,
    /// Name.
    pub name: String,
    /// Inline identity policies by name: a policy document as a mapping or as JSON text. A role
    /// with policies is enforced: its sessions may do only what the policies allow.
    pub policies: std::collections::BTreeMap<String, serde_json::Value>,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedIamUser {
    /// Account.
    pub account: String,
    /// Path (default `/`).
    pub path: Option<String>,
    /// Name.
    pub name: String,
}

/// An EKS cluster.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedCluster {
    /// Account (default: the default account).
    pub account: Option<String>,
    /// Region (default: the Identity Center home region).
    pub region: Option<String>,
    /// Name.
    pub name: String,
    /// Status (default `ACTIVE`; `CREATING`/`UPDATING` settle on the clock as usual).
    pub status: Option<String>,
    /// Authentication mode (default `API_AND_CONFIG_MAP`).
    pub authentication_mode: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Creator role (name in the cluster's account, or full ARN): gets the bootstrap admin entry.
    pub created_by: Option<String>,
    /// Pre-existing access entries.
    pub entries: Vec<SeedEntry>,
    /// `data` of the cluster's `kube-system/aws-auth` ConfigMap (`mapRoles`, `mapUsers`, …),
    /// served by its Kubernetes API.
    pub aws_auth: Option<BTreeMap<String, String>>,
}

/// A pre-existing access entry; exactly one of `principal_arn`, `role`, `permission_set`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedEntry {
    /// Full principal ARN.
    pub principal_arn: Option<String>,
    /// Role name in the cluster's account (its ARN with path is looked up).
    pub role: Option<String>,
    /// Permission set name: its SSO role in the cluster's account.
    pub permission_set: Option<String>,
    /// Entry type (default `STANDARD`).
    #[serde(rename = "type")]
    pub entry_type: Option<String>,
    /// Kubernetes groups.
    pub kubernetes_groups: Vec<String>,
    /// Username (default: EKS's server default).
    pub username: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Associated policies.
    pub policies: Vec<SeedPolicy>,
}

/// An associated access policy: cluster scope unless namespaces are given.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedPolicy {
    /// Policy name (`AmazonEKSViewPolicy`) or ARN.
    pub policy: String,
    /// Namespaces (empty = cluster scope).
    pub namespaces: Vec<String>,
}

impl Seed {
    /// Parses a YAML seed.
    pub fn from_yaml(text: &str) -> Result<Seed, EmulatorError> {
        Ok(serde_yaml_ng::from_str(text)?)
    }
}

#[cfg(test)]
#[path = "seed_tests.rs"]
mod tests;

fn seed_error(what: &str) -> impl Fn(ApiError) -> EmulatorError + '_ {
    move |err| EmulatorError::Seed(format!("{what}: {}", err.message))
}

/// A world for `config`, with `seed` applied, running on `clock`.
pub fn build_world(
    config: &EmulatorConfig,
    clock: Clock,
    seed: Option<&Seed>,
) -> Result<World, EmulatorError> {
    let idc = seed
        .and_then(|s| s.identity_center.clone())
        .unwrap_or_default();
    let settings = WorldSettings {
        home_region: idc
            .home_region
            .clone()
            .unwrap_or_else(|| config.home_region.clone()),
        default_admin_role: config.default_admin_role.clone(),
        creating_seconds: config.creating_seconds,
        updating_seconds: config.updating_seconds,
        id_seed: config.id_seed,
    };
    let default_account = seed
        .and_then(|s| s.default_account.clone())
        .unwrap_or_else(|| DEFAULT_ACCOUNT.to_owned());
    let real_now = clock.now();
    let mut world = World::with_default_account(
        settings,
        Clock::fixed(real_now - time::Duration::days(1)),
        &default_account,
    );
    world.sso.instance_arn = idc.instance_arn.unwrap_or(world.sso.instance_arn);
    world.directory.identity_store_id = idc
        .identity_store_id
        .unwrap_or(world.directory.identity_store_id);
    if let Some(seed) = seed {
        apply(&mut world, seed)?;
    }
    world.clock = clock;
    let (creating, updating) = (
        world.settings.creating_seconds as i64,
        world.settings.updating_seconds as i64,
    );
    for cluster in world.eks.clusters.values_mut() {
        let wait = match cluster.status.as_str() {
            "CREATING" => creating,
            "UPDATING" => updating,
            _ => continue,
        };
        cluster.ready_at = Some(real_now + time::Duration::seconds(wait));
    }
    Ok(world)
}

fn apply(world: &mut World, seed: &Seed) -> Result<(), EmulatorError> {
    for account in &seed.accounts {
        world.ensure_account(&account.id, account.name.as_deref().unwrap_or(&account.id));
    }
    for role in &seed.roles {
        world.ensure_account(&role.account, &role.account);
        let now = world.now();
        let path = role.path.as_deref().unwrap_or("/");
        let doc = json!({"Version": "2012-10-17", "Statement": []}).to_string();
        let created = iam::insert_role(world, &role.account, &role.name, path, &doc, now)
            .map_err(seed_error(&role.name))?;
        for (name, document) in &role.policies {
            let text = match document {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            let policy = crate::services::iam_policies::parse_policy(&text)
                .map_err(seed_error(&format!("{}: policy {name}", role.name)))?;
            world
                .iam_policies
                .inline
                .entry((role.account.clone(), created.name.clone()))
                .or_default()
                .insert(name.clone(), policy);
        }
    }
    for user in &seed.iam_users {
        world.ensure_account(&user.account, &user.account);
        let path = user.path.as_deref().unwrap_or("/");
        crate::services::iam_users::insert_user(world, &user.account, &user.name, path);
    }
    apply_identity_center(world, seed)?;
    world
        .eks
        .extra_policies
        .extend(seed.access_policies.iter().cloned());
    for cluster in &seed.clusters {
        apply_cluster(world, cluster)?;
    }
    Ok(())
}

fn apply_identity_center(world: &mut World, seed: &Seed) -> Result<(), EmulatorError> {
    for user in &seed.users {
        let display = user.display_name.as_ref().unwrap_or(&user.user_name);
        let mut input = json!({"UserName": user.user_name, "DisplayName": display});
        if let Some(email) = &user.email {
            input["Emails"] = json!([{"Value": email, "Primary": true, "Type": "work"}]);
        }
        identitystore::create_user(world, &input).map_err(seed_error(&user.user_name))?;
    }
    let mut memberships = vec![];
    for group in &seed.groups {
        identitystore::create_group(world, &group.display_name, group.description.as_deref())
            .map_err(seed_error(&group.display_name))?;
        memberships.extend(group.members.iter().map(|user| (&group.display_name, user)));
    }
    memberships.extend(seed.memberships.iter().map(|m| (&m.group, &m.user)));
    for (group, user) in memberships {
        let what = format!("membership of {user} in {group}");
        let group_id = world.directory.group_id_by_name(group);
        let user_id = world.directory.user_id_by_name(user);
        let (Some(group_id), Some(user_id)) = (group_id, user_id) else {
            return Err(EmulatorError::Seed(format!(
                "{what}: unknown group or member"
            )));
        };
        identitystore::create_membership(world, &group_id, &user_id).map_err(seed_error(&what))?;
    }
    for set in &seed.permission_sets {
        ssoadmin::create_permission_set(world, &set.name, set.description.as_deref())
            .map_err(seed_error(&set.name))?;
    }
    seed.assignments
        .iter()
        .try_for_each(|a| apply_assignment(world, a))
}

/// Assigns through the same code as CreateAccountAssignment, so the SSO role appears.
fn apply_assignment(world: &mut World, a: &SeedAssignment) -> Result<(), EmulatorError> {
    {
        let what = format!("assignment of {} in {}", a.permission_set, a.account);
        let unknown = |kind: &str| EmulatorError::Seed(format!("{what}: unknown {kind}"));
        world.ensure_account(&a.account, &a.account);
        let set = world
            .sso
            .permission_set_arn(&a.permission_set)
            .ok_or_else(|| unknown("permission set"))?;
        let (kind, id) = match (&a.group, &a.user) {
            (Some(g), None) => (
                "GROUP",
                world
                    .directory
                    .group_id_by_name(g)
                    .ok_or_else(|| unknown("group"))?,
            ),
            (None, Some(u)) => (
                "USER",
                world
                    .directory
                    .user_id_by_name(u)
                    .ok_or_else(|| unknown("user"))?,
            ),
            _ => {
                return Err(EmulatorError::Seed(format!(
                    "{what}: give exactly one of group and user"
                )));
            }
        };
        let assignment = ssoadmin::Assignment {
            account: a.account.clone(),
            permission_set_arn: set,
            principal_type: kind.to_owned(),
            principal_id: id,
        };
        let now = world.now();
        ssoadmin::assign(world, &assignment, now).map_err(seed_error(&what))
    }
}

/// The full ARN of a role named in the seed (name in `account`, or an ARN as is).
fn role_arn(world: &World, account: &str, role: &str) -> Result<String, EmulatorError> {
    if role.starts_with("arn:") {
        return Ok(role.to_owned());
    }
    iam::find_role(world, account, role)
        .map(|r| r.arn.clone())
        .map_err(|_| EmulatorError::Seed(format!("unknown role {role} in account {account}")))
}

fn entry_principal(
    world: &World,
    account: &str,
    entry: &SeedEntry,
) -> Result<String, EmulatorError> {
    match (&entry.principal_arn, &entry.role, &entry.permission_set) {
        (Some(arn), None, None) => Ok(arn.clone()),
        (None, Some(role), None) => role_arn(world, account, role),
        (None, None, Some(set)) => {
            let arn = world.sso.permission_set_arn(set);
            let role = arn.and_then(|arn| {
                world
                    .sso
                    .provisioned
                    .get(&(arn, account.to_owned()))
                    .cloned()
            });
            let role = role.ok_or_else(|| {
                EmulatorError::Seed(format!(
                    "permission set {set} is not provisioned in {account}"
                ))
            })?;
            role_arn(world, account, &role)
        }
        _ => Err(EmulatorError::Seed(
            "an entry needs exactly one of principal_arn, role, permission_set".to_owned(),
        )),
    }
}

fn apply_cluster(world: &mut World, seed: &SeedCluster) -> Result<(), EmulatorError> {
    let account = seed
        .account
        .clone()
        .unwrap_or_else(|| world.default_account.clone());
    world.ensure_account(&account, &account);
    let creator = seed
        .created_by
        .as_deref()
        .map(|r| role_arn(world, &account, r))
        .transpose()?;
    let key = ClusterKey {
        account: account.clone(),
        region: seed
            .region
            .clone()
            .unwrap_or_else(|| world.settings.home_region.clone()),
        name: seed.name.clone(),
    };
    let new = NewCluster {
        key: key.clone(),
        status: seed.status.clone().unwrap_or_else(|| "ACTIVE".to_owned()),
        authentication_mode: seed
            .authentication_mode
            .clone()
            .unwrap_or_else(|| "API_AND_CONFIG_MAP".to_owned()),
        bootstrap_creator_admin: creator.is_some(),
        creator_role_arn: creator,
        tags: seed.tags.clone(),
        version: "1.31".to_owned(),
        role_arn: format!("arn:aws:iam::{account}:role/eks-cluster-role"),
    };
    let cluster = clusters::insert(world, new).map_err(seed_error(&seed.name))?;
    if let Some(data) = &seed.aws_auth {
        let at = (key.account.clone(), key.region.clone(), key.name.clone());
        world.kubernetes.aws_auth.insert(at, data.clone());
    }
    for entry in &seed.entries {
        let principal = entry_principal(world, &account, entry)?;
        let made = seed_entry(world, &cluster, &principal, entry)?;
        if let Some(stored) = world.eks.clusters.get_mut(&key) {
            stored.entries.insert(principal, made);
        }
    }
    Ok(())
}

/// A pre-existing entry with its policies (not subject to the mode check or the window).
fn seed_entry(
    world: &mut World,
    cluster: &crate::services::eks::Cluster,
    principal: &str,
    entry: &SeedEntry,
) -> Result<crate::services::eks::AccessEntry, EmulatorError> {
    let entry_type = entry.entry_type.as_deref().unwrap_or("STANDARD");
    let mut made = entries::new_entry(world, cluster, principal, entry_type, false)
        .map_err(seed_error(principal))?;
    made.kubernetes_groups = entry.kubernetes_groups.clone();
    made.username = entry.username.clone().unwrap_or(made.username);
    made.tags = entry.tags.clone();
    for policy in &entry.policies {
        let arn = if policy.policy.starts_with("arn:") {
            policy.policy.clone()
        } else {
            policy_arn(&policy.policy)
        };
        let scope_type = if policy.namespaces.is_empty() {
            "cluster"
        } else {
            "namespace"
        };
        let associated = AssociatedPolicy {
            policy_arn: arn.clone(),
            scope_type: scope_type.to_owned(),
            namespaces: policy.namespaces.clone(),
            associated_at: made.created_at,
            modified_at: made.created_at,
        };
        made.policies.insert(arn, associated);
    }
    Ok(made)
}
