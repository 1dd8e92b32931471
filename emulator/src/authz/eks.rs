//! IAM request contexts of EKS calls. Cluster actions authorize against the cluster ARN and
//! carry its tags as `aws:ResourceTag/*`; access-entry actions authorize against the entry ARN
//! (`arn:aws:eks:REGION:ACCT:access-entry/CLUSTER/role/ACCT/ROLENAME/UUID`, the role name
//! without its path) and carry the entry's tags plus the `eks:` keys present in the request.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Authorization;
use crate::services::eks::{Cluster, ClusterKey};
use crate::services::{opt_str, opt_str_list, str_map};
use crate::world::{Caller, World};

/// The UUID segment used for an access entry that does not exist (yet): what AWS authorizes a
/// call on a missing entry against is unconfirmed; a fixed placeholder keeps `.../ROLE/*`
/// patterns meaningful without inventing a real-looking id.
pub const MISSING_ENTRY_UUID: &str = "00000000-0000-0000-0000-000000000000";

/// The authorizations of one EKS operation.
pub fn authorizations(
    world: &World,
    caller: &Caller,
    op: &str,
    input: &Value,
) -> Vec<Authorization> {
    let action = format!("eks:{op}");
    let key = ClusterKey {
        account: caller.account.clone(),
        region: caller.region.clone(),
        name: opt_str(input, "name").unwrap_or_default().to_owned(),
    };
    let cluster = world.eks.clusters.get(&key);
    let cluster_arn = format!(
        "arn:aws:eks:{}:{}:cluster/{}",
        key.region, key.account, key.name
    );
    let cluster_tags = cluster.map(|c| c.tags.clone()).unwrap_or_default();
    let on_cluster = || Authorization::new(&action, &cluster_arn).with_resource_tags(&cluster_tags);
    match op {
        "ListClusters" | "ListAccessPolicies" => vec![Authorization::new(&action, "*")],
        "CreateCluster" => vec![create_cluster(&action, input)],
        "DescribeCluster" | "DeleteCluster" | "ListAccessEntries" | "DescribeUpdate" => {
            vec![on_cluster()]
        }
        "UpdateClusterConfig" => vec![update_config(on_cluster(), input)],
        "CreateAccessEntry" => create_entry(world, &key, on_cluster(), input),
        "DescribeAccessEntry"
        | "UpdateAccessEntry"
        | "DeleteAccessEntry"
        | "ListAssociatedAccessPolicies"
        | "AssociateAccessPolicy"
        | "DisassociateAccessPolicy" => vec![on_entry(&action, &key, cluster, op, input)],
        "TagResource" | "UntagResource" | "ListTagsForResource" => {
            vec![tagging(world, caller, &action, op, input)]
        }
        _ => vec![],
    }
}

fn create_cluster(action: &str, input: &Value) -> Authorization {
    let mut auth = Authorization::new(action, "*").with_request_tags(&str_map(input, "tags"));
    if let Some(mode) = input
        .pointer("/accessConfig/authenticationMode")
        .and_then(Value::as_str)
    {
        auth = auth.with("eks:authenticationMode", mode);
    }
    if let Some(flag) = input
        .pointer("/accessConfig/bootstrapClusterCreatorAdminPermissions")
        .and_then(Value::as_bool)
    {
        auth = auth.with(
            "eks:bootstrapClusterCreatorAdminPermissions",
            flag.to_string(),
        );
    }
    auth
}

fn update_config(mut auth: Authorization, input: &Value) -> Authorization {
    if let Some(mode) = input
        .pointer("/accessConfig/authenticationMode")
        .and_then(Value::as_str)
    {
        auth = auth.with("eks:authenticationMode", mode);
    }
    for (member, key) in [
        ("endpointPublicAccess", "eks:endpointPublicAccess"),
        ("endpointPrivateAccess", "eks:endpointPrivateAccess"),
    ] {
        if let Some(flag) = input
            .pointer(&format!("/resourcesVpcConfig/{member}"))
            .and_then(Value::as_bool)
        {
            auth = auth.with(key, flag.to_string());
        }
    }
    auth
}

/// `CreateAccessEntry` on the cluster, and with tags also `TagResource` on the entry about to
/// be created: its UUID is the next one the world's generator draws, so a clone predicts it.
fn create_entry(
    world: &World,
    key: &ClusterKey,
    auth: Authorization,
    input: &Value,
) -> Vec<Authorization> {
    let principal = opt_str(input, "principalArn").unwrap_or_default();
    let tags = str_map(input, "tags");
    let mut create = auth
        .with("eks:principalArn", principal)
        .with_request_tags(&tags);
    if let Some(kind) = opt_str(input, "type") {
        create = create.with("eks:accessEntryType", kind);
    }
    if let Some(groups) = opt_str_list(input, "kubernetesGroups") {
        create = create.with_list("eks:kubernetesGroups", groups);
    }
    if let Some(username) = opt_str(input, "username") {
        create = create.with("eks:username", username);
    }
    let mut out = vec![create];
    if !tags.is_empty() {
        let uuid = world.ids.clone().uuid();
        let arn = entry_arn(key, principal, &uuid);
        out.push(Authorization::new("eks:TagResource", arn).with_request_tags(&tags));
    }
    out
}

/// The ARN of the entry of `principal` on a cluster with the given UUID.
pub fn entry_arn(key: &ClusterKey, principal: &str, uuid: &str) -> String {
    let rest = principal.strip_prefix("arn:aws:iam::").unwrap_or(principal);
    let (account, resource) = rest.split_once(':').unwrap_or((rest, ""));
    let (kind, path) = resource.split_once('/').unwrap_or((resource, ""));
    let name = path.rsplit('/').next().unwrap_or(path);
    format!(
        "arn:aws:eks:{}:{}:access-entry/{}/{kind}/{account}/{name}/{uuid}",
        key.region, key.account, key.name
    )
}

fn on_entry(
    action: &str,
    key: &ClusterKey,
    cluster: Option<&Cluster>,
    op: &str,
    input: &Value,
) -> Authorization {
    let principal = opt_str(input, "principalArn").unwrap_or_default();
    let entry = cluster.and_then(|c| c.entries.get(principal));
    let arn = entry.map_or_else(
        || entry_arn(key, principal, MISSING_ENTRY_UUID),
        |e| e.entry_arn.clone(),
    );
    let tags = entry.map(|e| e.tags.clone()).unwrap_or_default();
    let mut auth = Authorization::new(action, arn)
        .with_resource_tags(&tags)
        .with("eks:clusterName", &key.name)
        .with("eks:principalArn", principal);
    match op {
        "UpdateAccessEntry" => {
            if let Some(groups) = opt_str_list(input, "kubernetesGroups") {
                auth = auth.with_list("eks:kubernetesGroups", groups);
            }
            if let Some(username) = opt_str(input, "username") {
                auth = auth.with("eks:username", username);
            }
        }
        "AssociateAccessPolicy" => {
            auth = auth.with(
                "eks:policyArn",
                opt_str(input, "policyArn").unwrap_or_default(),
            );
            let scope = input.get("accessScope");
            if let Some(kind) = scope.and_then(|s| opt_str(s, "type")) {
                auth = auth.with("eks:accessScope", kind);
            }
            if let Some(namespaces) = scope.and_then(|s| opt_str_list(s, "namespaces")) {
                auth = auth.with_list("eks:namespaces", namespaces);
            }
        }
        "DisassociateAccessPolicy" => {
            auth = auth.with(
                "eks:policyArn",
                opt_str(input, "policyArn").unwrap_or_default(),
            );
        }
        _ => {}
    }
    auth
}

/// Tagging calls authorize against the tagged resource with its current tags.
fn tagging(world: &World, caller: &Caller, action: &str, op: &str, input: &Value) -> Authorization {
    let arn = opt_str(input, "resourceArn").unwrap_or_default();
    let current = resource_tags(world, caller, arn);
    let mut auth = Authorization::new(action, arn).with_resource_tags(&current);
    match op {
        "TagResource" => auth = auth.with_request_tags(&str_map(input, "tags")),
        "UntagResource" => {
            let keys = opt_str_list(input, "tagKeys").unwrap_or_default();
            auth = auth.with_list("aws:TagKeys", keys);
        }
        _ => {}
    }
    auth
}

fn resource_tags(world: &World, caller: &Caller, arn: &str) -> BTreeMap<String, String> {
    world
        .eks
        .clusters
        .values()
        .filter(|c| c.key.account == caller.account)
        .find_map(|c| {
            if c.arn == arn {
                return Some(c.tags.clone());
            }
            c.entries
                .values()
                .find(|e| e.entry_arn == arn)
                .map(|e| e.tags.clone())
        })
        .unwrap_or_default()
}
