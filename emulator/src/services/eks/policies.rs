//! EKS access policies: the catalogue, and associating / disassociating them with access entries
//! (associating again replaces the scope).

use serde_json::{Value, json};

use super::clusters::{find, find_mut};
use super::entries::{entry_of, require_api_mode};
use super::{AssociatedPolicy, invalid_parameter, not_found, page};
use crate::clock::epoch_seconds;
use crate::services::{ApiError, opt_str};
use crate::world::{Caller, World};

/// The access policies EKS offers (people's policies first, then those for AWS-created entries),
/// as the EKS user guide lists them; the real catalogue has more, which a seed can add.
pub const ACCESS_POLICIES: [&str; 15] = [
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSSecretReaderPolicy",
    "AmazonEKSViewPolicy",
    "AmazonAIOpsAssistantPolicy",
    "AmazonARCRegionSwitchScalingPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingPolicy",
    "AmazonEKSSecretAdminPolicy",
];

/// The ARN of an access policy.
pub fn policy_arn(name: &str) -> String {
    format!("arn:aws:eks::aws:cluster-access-policy/{name}")
}

pub(crate) fn dispatch(
    world: &mut World,
    caller: &Caller,
    op: &str,
    input: &Value,
) -> Result<Value, ApiError> {
    if op == "ListAccessPolicies" {
        let mut names: Vec<&str> = ACCESS_POLICIES.to_vec();
        names.extend(world.eks.extra_policies.iter().map(String::as_str));
        // The catalogue lists by name, as AWS does.
        names.sort_unstable();
        names.dedup();
        let policies: Vec<Value> = names
            .iter()
            .map(|name| json!({"name": name, "arn": policy_arn(name)}))
            .collect();
        return page(&policies, input, "accessPolicies");
    }
    let cluster = find(world, caller, input)?;
    require_api_mode(cluster)?;
    let entry = entry_of(cluster, input)?;
    let (cluster_name, principal) = (cluster.key.name.clone(), entry.principal_arn.clone());
    match op {
        "AssociateAccessPolicy" => associate(world, caller, input),
        "DisassociateAccessPolicy" => {
            let arn = opt_str(input, "policyArn").unwrap_or_default().to_owned();
            let cluster = find_mut(world, caller, input)?;
            let entry = cluster
                .entries
                .get_mut(&principal)
                .ok_or_else(|| not_found("entry vanished"))?;
            entry
                .policies
                .remove(&arn)
                .ok_or_else(|| not_found(format!("Policy {arn} is not associated")))?;
            Ok(json!({}))
        }
        _ => {
            let policies: Vec<Value> = entry.policies.values().map(policy_json).collect();
            let mut out = page(&policies, input, "associatedAccessPolicies")?;
            out["clusterName"] = json!(cluster_name);
            out["principalArn"] = json!(principal);
            Ok(out)
        }
    }
}

/// A namespace as EKS accepts it: a DNS label, optionally ending in one `*` wildcard.
fn valid_namespace(ns: &str) -> bool {
    let base = ns.strip_suffix('*').unwrap_or(ns);
    ns.len() <= 63
        && !ns.is_empty()
        && !base.starts_with('-')
        && base
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `(scope type, namespaces)` of a valid `accessScope`.
fn parse_scope(input: &Value) -> Result<(String, Vec<String>), ApiError> {
    let scope = input
        .get("accessScope")
        .ok_or_else(|| invalid_parameter("accessScope is required"))?;
    let kind = opt_str(scope, "type").unwrap_or_default();
    let namespaces = crate::services::opt_str_list(scope, "namespaces").unwrap_or_default();
    match kind {
        "cluster" if namespaces.is_empty() => Ok((kind.to_owned(), namespaces)),
        "cluster" => Err(invalid_parameter(
            "namespaces are not allowed with a cluster scope",
        )),
        "namespace" if namespaces.is_empty() => {
            Err(invalid_parameter("a namespace scope needs namespaces"))
        }
        "namespace" => match namespaces.iter().find(|ns| !valid_namespace(ns)) {
            Some(bad) => Err(invalid_parameter(format!("Invalid namespace {bad}"))),
            None => Ok((kind.to_owned(), namespaces)),
        },
        other => Err(invalid_parameter(format!(
            "Invalid access scope type {other}"
        ))),
    }
}

fn associate(world: &mut World, caller: &Caller, input: &Value) -> Result<Value, ApiError> {
    let arn = opt_str(input, "policyArn").unwrap_or_default().to_owned();
    let offered = ACCESS_POLICIES
        .iter()
        .copied()
        .chain(world.eks.extra_policies.iter().map(String::as_str))
        .any(|name| policy_arn(name) == arn);
    if !offered {
        return Err(invalid_parameter(format!(
            "The specified policyArn is invalid: {arn}"
        )));
    }
    let (scope_type, namespaces) = parse_scope(input)?;
    let (now, window) = (
        world.now(),
        time::Duration::seconds(world.consistency_window_seconds as i64),
    );
    let cluster = find_mut(world, caller, input)?;
    let cluster_name = cluster.key.name.clone();
    let principal = entry_of(cluster, input)?.principal_arn.clone();
    let entry = cluster
        .entries
        .get_mut(&principal)
        .ok_or_else(|| not_found("entry vanished"))?;
    if entry.created_at + window > now {
        // A brand-new entry is not yet visible to the policy store.
        return Err(not_found(format!(
            "The specified principalArn could not be found. ({principal})"
        )));
    }
    if entry.entry_type != "STANDARD" {
        return Err(invalid_parameter(
            "Access policies can only be associated with STANDARD access entries",
        ));
    }
    let associated_at = entry.policies.get(&arn).map_or(now, |p| p.associated_at);
    let policy = AssociatedPolicy {
        policy_arn: arn.clone(),
        scope_type,
        namespaces,
        associated_at,
        modified_at: now,
    };
    let out = policy_json(&policy);
    entry.policies.insert(arn, policy);
    Ok(
        json!({"clusterName": cluster_name, "principalArn": principal, "associatedAccessPolicy": out}),
    )
}

fn policy_json(p: &AssociatedPolicy) -> Value {
    let mut scope = json!({"type": p.scope_type});
    if p.scope_type == "namespace" {
        scope["namespaces"] = json!(p.namespaces);
    }
    json!({"policyArn": p.policy_arn, "accessScope": scope, "associatedAt": epoch_seconds(p.associated_at),
           "modifiedAt": epoch_seconds(p.modified_at)})
}
