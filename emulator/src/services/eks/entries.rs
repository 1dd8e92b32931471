//! EKS access entries: create (with EKS's principal, group, username and quota rules), describe,
//! update, delete and list; and the admin view of which entries are still bound to a live role.

use serde::Serialize;
use serde_json::{Value, json};

use super::clusters::{find, find_mut};
use super::{
    AccessEntry, Cluster, MAX_ENTRIES_PER_CLUSTER, in_use, invalid_parameter, not_found, page,
};
use crate::clock::epoch_seconds;
use crate::services::{ApiError, opt_str, opt_str_list, str_map};
use crate::world::{Caller, World};

/// Entry types EKS accepts.
const ENTRY_TYPES: [&str; 7] = [
    "STANDARD",
    "EC2_LINUX",
    "EC2_WINDOWS",
    "FARGATE_LINUX",
    "EC2",
    "HYBRID_LINUX",
    "HYPERPOD_LINUX",
];

/// Username prefixes EKS reserves.
const RESERVED_USERNAME_PREFIXES: [&str; 5] = ["system:", "eks:", "aws:", "amazon:", "iam:"];

pub(crate) fn dispatch(
    world: &mut World,
    caller: &Caller,
    op: &str,
    input: &Value,
) -> Result<Value, ApiError> {
    require_api_mode(find(world, caller, input)?)?;
    match op {
        "CreateAccessEntry" => create(world, caller, input),
        "DescribeAccessEntry" => {
            let cluster = find(world, caller, input)?;
            Ok(json!({"accessEntry": entry_json(cluster, entry_of(cluster, input)?)}))
        }
        "UpdateAccessEntry" => update(world, caller, input),
        "DeleteAccessEntry" => {
            let cluster = find_mut(world, caller, input)?;
            let principal = entry_of(cluster, input)?.principal_arn.clone();
            cluster.entries.remove(&principal);
            Ok(json!({}))
        }
        _ => {
            let cluster = find(world, caller, input)?;
            let filter = opt_str(input, "associatedPolicyArn");
            let arns: Vec<String> = cluster
                .entries
                .values()
                .filter(|e| filter.is_none_or(|p| e.policies.contains_key(p)))
                .map(|e| e.principal_arn.clone())
                .collect();
            page(&arns, input, "accessEntries")
        }
    }
}

/// Every access-entry call fails on a cluster still in `CONFIG_MAP` mode, or not yet created.
pub(crate) fn require_api_mode(cluster: &Cluster) -> Result<(), ApiError> {
    if cluster.authentication_mode == "CONFIG_MAP" {
        return Err(ApiError::new(
            400,
            "InvalidRequestException",
            "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
        ));
    }
    if cluster.status == "CREATING" {
        return Err(ApiError::new(
            400,
            "InvalidRequestException",
            format!("Cluster {} is CREATING", cluster.key.name),
        ));
    }
    Ok(())
}

/// The entry named by `principalArn` in `input`; 404 if absent.
pub(crate) fn entry_of<'a>(
    cluster: &'a Cluster,
    input: &Value,
) -> Result<&'a AccessEntry, ApiError> {
    let principal = opt_str(input, "principalArn").unwrap_or_default();
    cluster.entries.get(principal).ok_or_else(|| {
        not_found(format!("The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'. ({principal})"))
    })
}

fn invalid_principal(arn: &str) -> ApiError {
    invalid_parameter(format!(
        "The specified principalArn is invalid: invalid principal {arn}"
    ))
}

/// The role id a principal binds to (`None` for an IAM user), or "invalid principal": EKS wants
/// the full role ARN with its path, of a role that exists and is older than the consistency window.
fn resolve_principal(
    world: &World,
    arn: &str,
    enforce_window: bool,
) -> Result<Option<String>, ApiError> {
    let rest = arn
        .strip_prefix("arn:aws:iam::")
        .ok_or_else(|| invalid_principal(arn))?;
    let (account, resource) = rest.split_once(':').ok_or_else(|| invalid_principal(arn))?;
    if resource.starts_with("user/") {
        return Ok(None);
    }
    let name = resource
        .strip_prefix("role/")
        .and_then(|r| r.rsplit('/').next())
        .ok_or_else(|| invalid_principal(arn))?;
    let role = world
        .accounts
        .get(account)
        .and_then(|a| a.roles.get(name))
        .filter(|r| r.arn == arn && !r.path.starts_with("/aws-service-role/"))
        .ok_or_else(|| invalid_principal(arn))?;
    let window = time::Duration::seconds(world.consistency_window_seconds as i64);
    if enforce_window && role.created_at + window > world.now() {
        return Err(invalid_principal(arn));
    }
    Ok(Some(role.role_id.clone()))
}

/// A new entry with EKS's server defaults (username, no groups), bound to the role's current id.
pub(crate) fn new_entry(
    world: &mut World,
    cluster: &Cluster,
    principal: &str,
    entry_type: &str,
    enforce_window: bool,
) -> Result<AccessEntry, ApiError> {
    let bound_role_id = resolve_principal(world, principal, enforce_window)?;
    let (kind, account, name) = principal_parts(principal);
    let username = match (entry_type, kind) {
        ("STANDARD", "role") => {
            format!("arn:aws:sts::{account}:assumed-role/{name}/{{{{SessionName}}}}")
        }
        ("STANDARD", _) => principal.to_owned(),
        ("EC2_WINDOWS" | "EC2_LINUX" | "EC2" | "HYBRID_LINUX" | "HYPERPOD_LINUX", _) => {
            "system:node:{{EC2PrivateDNSName}}".to_owned()
        }
        _ => "system:node:{{SessionName}}".to_owned(),
    };
    let now = world.now();
    let k = &cluster.key;
    Ok(AccessEntry {
        principal_arn: principal.to_owned(),
        entry_arn: format!(
            "arn:aws:eks:{}:{}:access-entry/{}/{kind}/{account}/{name}/{}",
            k.region,
            k.account,
            k.name,
            world.ids.uuid()
        ),
        kubernetes_groups: vec![],
        username,
        entry_type: entry_type.to_owned(),
        tags: Default::default(),
        created_at: now,
        modified_at: now,
        bound_role_id,
        policies: Default::default(),
    })
}

/// `(role|user, account, name without path)` of an IAM principal ARN.
fn principal_parts(arn: &str) -> (&str, &str, &str) {
    let rest = arn.strip_prefix("arn:aws:iam::").unwrap_or(arn);
    let (account, resource) = rest.split_once(':').unwrap_or((rest, ""));
    let (kind, path) = resource.split_once('/').unwrap_or((resource, ""));
    (kind, account, path.rsplit('/').next().unwrap_or(path))
}

/// Whether a custom username uses `{{SessionName}}` anywhere but right after a colon, which EKS
/// refuses (`alice:{{SessionName}}` is accepted, `alice{{SessionName}}` is not).
fn session_name_without_colon(username: &str) -> bool {
    const TEMPLATE: &str = "{{SessionName}}";
    username
        .match_indices(TEMPLATE)
        .any(|(at, _)| !username[..at].ends_with(':'))
}

fn check_groups_and_username(groups: &[String], username: Option<&str>) -> Result<(), ApiError> {
    if let Some(group) = groups.iter().find(|g| g.starts_with("system:")) {
        return Err(invalid_parameter(format!(
            "Kubernetes group {group} is invalid: the system: prefix is reserved"
        )));
    }
    if let Some(user) =
        username.filter(|u| RESERVED_USERNAME_PREFIXES.iter().any(|p| u.starts_with(p)))
    {
        return Err(invalid_parameter(format!(
            "Username {user} is invalid: it uses a reserved prefix"
        )));
    }
    if let Some(user) = username.filter(|u| session_name_without_colon(u)) {
        return Err(invalid_parameter(format!(
            "Username {user} is invalid: {{{{SessionName}}}} must be preceded by a colon"
        )));
    }
    Ok(())
}

fn create(world: &mut World, caller: &Caller, input: &Value) -> Result<Value, ApiError> {
    let principal = opt_str(input, "principalArn")
        .ok_or_else(|| invalid_parameter("principalArn is required"))?;
    let entry_type = opt_str(input, "type").unwrap_or("STANDARD");
    if !ENTRY_TYPES.contains(&entry_type) {
        return Err(invalid_parameter(format!(
            "Invalid access entry type {entry_type}"
        )));
    }
    let groups = opt_str_list(input, "kubernetesGroups").unwrap_or_default();
    let username = opt_str(input, "username");
    if entry_type != "STANDARD" && (!groups.is_empty() || username.is_some()) {
        return Err(invalid_parameter(
            "kubernetesGroups and username are only allowed on STANDARD access entries",
        ));
    }
    check_groups_and_username(&groups, username)?;
    let tags = str_map(input, "tags");
    super::check_tags(&tags, "InvalidParameterException")?;
    let cluster = find(world, caller, input)?.clone();
    if cluster.entries.contains_key(principal) {
        return Err(in_use(
            "The specified access entry resource is already in use on this cluster.",
        ));
    }
    if cluster.entries.len() >= MAX_ENTRIES_PER_CLUSTER {
        return Err(ApiError::new(
            400,
            "ResourceLimitExceededException",
            "Access entry quota of the cluster reached",
        ));
    }
    let mut entry = new_entry(world, &cluster, principal, entry_type, true)?;
    entry.kubernetes_groups = groups;
    if let Some(username) = username {
        entry.username = username.to_owned();
    }
    entry.tags = tags;
    let out = json!({"accessEntry": entry_json(&cluster, &entry)});
    find_mut(world, caller, input)?
        .entries
        .insert(principal.to_owned(), entry);
    Ok(out)
}

fn update(world: &mut World, caller: &Caller, input: &Value) -> Result<Value, ApiError> {
    let groups = opt_str_list(input, "kubernetesGroups");
    let username = opt_str(input, "username");
    check_groups_and_username(groups.as_deref().unwrap_or_default(), username)?;
    let now = world.now();
    let cluster = find_mut(world, caller, input)?;
    let principal = entry_of(cluster, input)?.principal_arn.clone();
    let entry = cluster
        .entries
        .get_mut(&principal)
        .ok_or_else(|| not_found("entry vanished"))?;
    if entry.entry_type != "STANDARD" && (groups.is_some() || username.is_some()) {
        return Err(invalid_parameter(
            "kubernetesGroups and username are only allowed on STANDARD access entries",
        ));
    }
    if let Some(groups) = groups {
        entry.kubernetes_groups = groups;
    }
    if let Some(username) = username {
        entry.username = username.to_owned();
    }
    entry.modified_at = now;
    let cluster = find(world, caller, input)?;
    Ok(json!({"accessEntry": entry_json(cluster, &cluster.entries[&principal])}))
}

/// The `accessEntry` object.
pub fn entry_json(cluster: &Cluster, e: &AccessEntry) -> Value {
    json!({"clusterName": cluster.key.name, "principalArn": e.principal_arn, "kubernetesGroups": e.kubernetes_groups,
           "accessEntryArn": e.entry_arn, "createdAt": epoch_seconds(e.created_at),
           "modifiedAt": epoch_seconds(e.modified_at), "tags": e.tags, "username": e.username, "type": e.entry_type})
}

/// What the admin API shows of an entry: everything, plus whether its role binding still works.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct EntryView {
    /// Principal ARN.
    pub principal_arn: String,
    /// Entry type.
    #[serde(rename = "type")]
    pub entry_type: String,
    /// Username.
    pub username: String,
    /// Kubernetes groups.
    pub kubernetes_groups: Vec<String>,
    /// Tags.
    pub tags: std::collections::BTreeMap<String, String>,
    /// The role id bound at creation (`None` for IAM users).
    pub bound_role_id: Option<String>,
    /// Whether the bound role id is still the current id of the role (always true for users).
    pub live: bool,
    /// Associated policies by policy ARN.
    pub policies: std::collections::BTreeMap<String, ScopeView>,
}

/// The access scope of an associated policy, as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ScopeView {
    /// `cluster` or `namespace`.
    #[serde(rename = "type")]
    pub scope_type: String,
    /// Namespaces of a `namespace` scope (empty for `cluster`).
    pub namespaces: Vec<String>,
}

/// Every entry of a cluster, as the admin API shows it.
pub fn entry_views(world: &World, cluster: &Cluster) -> Vec<EntryView> {
    cluster
        .entries
        .values()
        .map(|e| {
            let live = match &e.bound_role_id {
                None => true,
                Some(bound) => {
                    resolve_principal(world, &e.principal_arn, false)
                        .ok()
                        .flatten()
                        .as_ref()
                        == Some(bound)
                }
            };
            let policies = e
                .policies
                .values()
                .map(|p| {
                    let scope = ScopeView {
                        scope_type: p.scope_type.clone(),
                        namespaces: p.namespaces.clone(),
                    };
                    (p.policy_arn.clone(), scope)
                })
                .collect();
            EntryView {
                principal_arn: e.principal_arn.clone(),
                entry_type: e.entry_type.clone(),
                username: e.username.clone(),
                kubernetes_groups: e.kubernetes_groups.clone(),
                tags: e.tags.clone(),
                bound_role_id: e.bound_role_id.clone(),
                live,
                policies,
            }
        })
        .collect()
}
