//! EKS (restJson1): clusters, access entries, access policies and tags. The protocol layer
//! turns path, query and body into one JSON input; these modules are plain state transitions.

pub mod clusters;
pub mod entries;
pub mod policies;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{ApiError, opt_str, opt_u64};
use crate::world::{Caller, World};

/// A cluster is identified by account, region and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClusterKey {
    /// Owning account.
    pub account: String,
    /// Region.
    pub region: String,
    /// Cluster name.
    pub name: String,
}

/// An access policy association of an entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AssociatedPolicy {
    /// `arn:aws:eks::aws:cluster-access-policy/<Name>`.
    pub policy_arn: String,
    /// `cluster` or `namespace`.
    pub scope_type: String,
    /// Namespaces of a `namespace` scope.
    pub namespaces: Vec<String>,
    /// First association time.
    pub associated_at: OffsetDateTime,
    /// Last (re-)association time.
    pub modified_at: OffsetDateTime,
}

/// An access entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessEntry {
    /// Full principal ARN as given.
    pub principal_arn: String,
    /// The entry's own ARN.
    pub entry_arn: String,
    /// Kubernetes groups.
    pub kubernetes_groups: Vec<String>,
    /// Kubernetes username (server default if not given).
    pub username: String,
    /// `STANDARD`, `EC2_LINUX`, ...
    pub entry_type: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last modification time.
    pub modified_at: OffsetDateTime,
    /// The role id the entry was bound to at creation (`None` for IAM users).
    pub bound_role_id: Option<String>,
    /// Associated policies by policy ARN.
    pub policies: BTreeMap<String, AssociatedPolicy>,
}

/// A cluster update (`UpdateClusterConfig`).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterUpdate {
    /// Update id.
    pub id: String,
    /// `AccessConfigUpdate`.
    pub update_type: String,
    /// `(type, value)` parameters.
    pub params: Vec<(String, String)>,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// `InProgress` until the cluster settles, then `Successful`.
    pub status: String,
}

/// An EKS cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Its key.
    pub key: ClusterKey,
    /// Cluster ARN.
    pub arn: String,
    /// `CREATING`, `ACTIVE`, `UPDATING`, ...
    pub status: String,
    /// When a transitional status turns `ACTIVE`.
    pub ready_at: Option<OffsetDateTime>,
    /// `CONFIG_MAP`, `API_AND_CONFIG_MAP` or `API`.
    pub authentication_mode: String,
    /// `accessConfig.bootstrapClusterCreatorAdminPermissions` as created.
    pub bootstrap_creator_admin: bool,
    /// Kubernetes version.
    pub version: String,
    /// Cluster service role.
    pub role_arn: String,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Access entries by principal ARN.
    pub entries: BTreeMap<String, AccessEntry>,
    /// Updates by id.
    pub updates: BTreeMap<String, ClusterUpdate>,
}

/// All clusters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EksState {
    /// Clusters by key.
    pub clusters: BTreeMap<ClusterKey, Cluster>,
    /// Access policies the catalogue offers beyond [`policies::ACCESS_POLICIES`] (seeded).
    pub extra_policies: Vec<String>,
}

/// EKS's per-cluster access entry quota (not adjustable).
pub const MAX_ENTRIES_PER_CLUSTER: usize = 3000;

pub(crate) fn invalid_parameter(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidParameterException", message)
}

pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::new(404, "ResourceNotFoundException", message)
}

pub(crate) fn in_use(message: impl Into<String>) -> ApiError {
    ApiError::new(409, "ResourceInUseException", message)
}

/// The error for a request path EKS does not know.
pub fn unknown_operation(what: &str) -> ApiError {
    ApiError::new(
        404,
        "UnknownOperationException",
        format!("Unknown operation {what}"),
    )
}

/// The throttling error of EKS (429, classified as throttling by the SDKs).
pub fn throttling() -> ApiError {
    ApiError::new(429, "ThrottlingException", "Rate exceeded")
}

/// The injected server fault of EKS.
pub fn server_fault() -> ApiError {
    ApiError::new(
        500,
        "ServerException",
        "An internal error occurred (injected fault)",
    )
}

/// `maxResults` (1–100, default 100).
pub(crate) fn max_results(input: &Value) -> Result<usize, ApiError> {
    match opt_u64(input, "maxResults") {
        None => Ok(100),
        Some(n @ 1..=100) => Ok(n as usize),
        Some(n) => Err(invalid_parameter(format!(
            "maxResults {n} must be between 1 and 100"
        ))),
    }
}

/// A page of `items` as `{member: [...], nextToken}`.
pub(crate) fn page<T: Clone + serde::Serialize>(
    items: &[T],
    input: &Value,
    member: &str,
) -> Result<Value, ApiError> {
    let (items, next) = super::paginate(items, max_results(input)?, opt_str(input, "nextToken"))
        .map_err(invalid_parameter)?;
    let mut out = json!({ member: items });
    if let Some(token) = next {
        out["nextToken"] = json!(token);
    }
    Ok(out)
}

/// Handles one EKS operation; `input` holds path and query members merged with the body.
pub fn dispatch(
    world: &mut World,
    caller: &Caller,
    op: &str,
    input: &Value,
) -> Result<Value, ApiError> {
    match op {
        "ListClusters"
        | "DescribeCluster"
        | "CreateCluster"
        | "DeleteCluster"
        | "UpdateClusterConfig"
        | "DescribeUpdate" => clusters::dispatch(world, caller, op, input)
            .map(|answer| super::kubernetes::with_endpoint(world, answer)),
        "CreateAccessEntry"
        | "DescribeAccessEntry"
        | "UpdateAccessEntry"
        | "DeleteAccessEntry"
        | "ListAccessEntries" => entries::dispatch(world, caller, op, input),
        "AssociateAccessPolicy"
        | "DisassociateAccessPolicy"
        | "ListAssociatedAccessPolicies"
        | "ListAccessPolicies" => policies::dispatch(world, caller, op, input),
        "TagResource" | "UntagResource" | "ListTagsForResource" => tags(world, caller, op, input),
        _ => Err(unknown_operation(op)),
    }
}

/// Tags of the cluster or access entry with this ARN, in the caller's account.
fn tags_of<'a>(
    world: &'a mut World,
    caller: &Caller,
    arn: &str,
) -> Result<&'a mut BTreeMap<String, String>, ApiError> {
    for cluster in world
        .eks
        .clusters
        .values_mut()
        .filter(|c| c.key.account == caller.account)
    {
        if cluster.arn == arn {
            return Ok(&mut cluster.tags);
        }
        if let Some(entry) = cluster.entries.values_mut().find(|e| e.entry_arn == arn) {
            return Ok(&mut entry.tags);
        }
    }
    Err(ApiError::new(
        404,
        "NotFoundException",
        format!("Resource {arn} not found"),
    ))
}

/// Checks EKS tag rules: at most 50 tags, key ≤ 128 and value ≤ 256 characters, no `aws:` keys.
pub(crate) fn check_tags(tags: &BTreeMap<String, String>, code: &str) -> Result<(), ApiError> {
    let bad = tags.len() > 50
        || tags
            .iter()
            .any(|(k, v)| k.is_empty() || k.len() > 128 || v.len() > 256 || k.starts_with("aws:"));
    if bad {
        Err(ApiError::new(
            400,
            code,
            "Invalid tags: at most 50, key 1-128, value 0-256 characters, no aws: prefix",
        ))
    } else {
        Ok(())
    }
}

fn tags(world: &mut World, caller: &Caller, op: &str, input: &Value) -> Result<Value, ApiError> {
    let arn = opt_str(input, "resourceArn").unwrap_or_default().to_owned();
    let tags = tags_of(world, caller, &arn)?;
    match op {
        "TagResource" => {
            let mut merged = tags.clone();
            merged.extend(super::str_map(input, "tags"));
            check_tags(&merged, "BadRequestException")?;
            *tags = merged;
            Ok(json!({}))
        }
        "UntagResource" => {
            for key in super::opt_str_list(input, "tagKeys").unwrap_or_default() {
                tags.remove(&key);
            }
            Ok(json!({}))
        }
        _ => Ok(json!({"tags": tags})),
    }
}

#[cfg(test)]
mod tests;
