//! EKS clusters: create, describe, list, delete, `UpdateClusterConfig` (authentication mode,
//! one way only) and the clock-driven `CREATING`/`UPDATING` → `ACTIVE` transitions.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::{
    AssociatedPolicy, Cluster, ClusterKey, ClusterUpdate, EksState, in_use, invalid_parameter,
    not_found, page,
};
use crate::clock::epoch_seconds;
use crate::services::{ApiError, opt_str, str_map};
use crate::world::{Caller, World};

/// The authentication modes in the only order EKS lets a cluster move through.
const MODES: [&str; 3] = ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"];

/// The policy of the creator's bootstrap entry.
pub const CLUSTER_ADMIN_POLICY: &str =
    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

pub(crate) fn dispatch(
    world: &mut World,
    caller: &Caller,
    op: &str,
    input: &Value,
) -> Result<Value, ApiError> {
    match op {
        "ListClusters" => {
            let names: Vec<String> = world
                .eks
                .clusters
                .keys()
                .filter(|k| k.account == caller.account && k.region == caller.region)
                .map(|k| k.name.clone())
                .collect();
            page(&names, input, "clusters")
        }
        "CreateCluster" => {
            create(world, caller, input).map(|c| json!({"cluster": cluster_json(&c)}))
        }
        "DescribeCluster" => Ok(json!({"cluster": cluster_json(find(world, caller, input)?)})),
        "DeleteCluster" => {
            let key = find(world, caller, input)?.key.clone();
            let mut cluster = world
                .eks
                .clusters
                .remove(&key)
                .ok_or_else(|| not_found("cluster vanished"))?;
            cluster.status = "DELETING".to_owned();
            Ok(json!({"cluster": cluster_json(&cluster)}))
        }
        "UpdateClusterConfig" => update_config(world, caller, input),
        _ => describe_update(world, caller, input),
    }
}

/// The key of the cluster named in `input` (`name`) for the caller's account and region.
pub fn key_of(caller: &Caller, input: &Value) -> ClusterKey {
    ClusterKey {
        account: caller.account.clone(),
        region: caller.region.clone(),
        name: opt_str(input, "name").unwrap_or_default().to_owned(),
    }
}

/// The cluster named in `input`; 404 if it does not exist.
pub fn find<'a>(world: &'a World, caller: &Caller, input: &Value) -> Result<&'a Cluster, ApiError> {
    let key = key_of(caller, input);
    world
        .eks
        .clusters
        .get(&key)
        .ok_or_else(|| not_found(format!("No cluster found for name: {}.", key.name)))
}

/// Mutable access to the cluster named in `input`; 404 if it does not exist.
pub fn find_mut<'a>(
    world: &'a mut World,
    caller: &Caller,
    input: &Value,
) -> Result<&'a mut Cluster, ApiError> {
    let key = key_of(caller, input);
    world
        .eks
        .clusters
        .get_mut(&key)
        .ok_or_else(|| not_found(format!("No cluster found for name: {}.", key.name)))
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    (1..=100).contains(&name.len())
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// What a new cluster looks like, independent of how it is created (API call or seed).
#[derive(Debug, Clone)]
pub struct NewCluster {
    /// Key.
    pub key: ClusterKey,
    /// Initial status (`CREATING` via the API).
    pub status: String,
    /// Authentication mode.
    pub authentication_mode: String,
    /// Whether the creator gets an admin entry.
    pub bootstrap_creator_admin: bool,
    /// The creator's role ARN, if known.
    pub creator_role_arn: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Kubernetes version.
    pub version: String,
    /// Cluster service role.
    pub role_arn: String,
}

fn create(world: &mut World, caller: &Caller, input: &Value) -> Result<Cluster, ApiError> {
    let key = key_of(caller, input);
    if !valid_name(&key.name) {
        return Err(invalid_parameter(format!(
            "Invalid cluster name {}",
            key.name
        )));
    }
    let access = input
        .get("accessConfig")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mode = opt_str(&access, "authenticationMode")
        .unwrap_or("CONFIG_MAP")
        .to_owned();
    if !MODES.contains(&mode.as_str()) {
        return Err(invalid_parameter(format!(
            "Invalid authenticationMode {mode}"
        )));
    }
    let bootstrap = access
        .get("bootstrapClusterCreatorAdminPermissions")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if !bootstrap && mode == "CONFIG_MAP" {
        return Err(invalid_parameter(
            "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP",
        ));
    }
    let tags = str_map(input, "tags");
    super::check_tags(&tags, "InvalidParameterException")?;
    let new = NewCluster {
        key,
        status: "CREATING".to_owned(),
        authentication_mode: mode,
        bootstrap_creator_admin: bootstrap,
        creator_role_arn: world.caller_role(caller).map(|r| r.arn.clone()),
        tags,
        version: opt_str(input, "version").unwrap_or("1.31").to_owned(),
        role_arn: opt_str(input, "roleArn").unwrap_or_default().to_owned(),
    };
    insert(world, new)
}

/// Adds a cluster (and the creator's bootstrap entry); 409 if the name is taken.
pub fn insert(world: &mut World, new: NewCluster) -> Result<Cluster, ApiError> {
    if world.eks.clusters.contains_key(&new.key) {
        return Err(in_use(format!(
            "Cluster already exists with name: {}",
            new.key.name
        )));
    }
    let now = world.now();
    let ready_at = (new.status == "CREATING")
        .then(|| now + Duration::seconds(world.settings.creating_seconds as i64));
    let k = &new.key;
    let mut cluster = Cluster {
        arn: format!("arn:aws:eks:{}:{}:cluster/{}", k.region, k.account, k.name),
        key: new.key.clone(),
        status: new.status,
        ready_at,
        authentication_mode: new.authentication_mode,
        bootstrap_creator_admin: new.bootstrap_creator_admin,
        version: new.version,
        role_arn: new.role_arn,
        created_at: now,
        tags: new.tags,
        entries: BTreeMap::new(),
        updates: BTreeMap::new(),
    };
    if let (true, Some(creator)) = (new.bootstrap_creator_admin, new.creator_role_arn) {
        // EKS keeps the creator's entry even in CONFIG_MAP mode; it shows once the mode allows API access.
        let mut entry = super::entries::new_entry(world, &cluster, &creator, "STANDARD", false)?;
        let policy = AssociatedPolicy {
            policy_arn: CLUSTER_ADMIN_POLICY.to_owned(),
            scope_type: "cluster".to_owned(),
            namespaces: vec![],
            associated_at: now,
            modified_at: now,
        };
        entry
            .policies
            .insert(CLUSTER_ADMIN_POLICY.to_owned(), policy);
        cluster.entries.insert(creator, entry);
    }
    world
        .eks
        .clusters
        .insert(cluster.key.clone(), cluster.clone());
    Ok(cluster)
}

fn update_config(world: &mut World, caller: &Caller, input: &Value) -> Result<Value, ApiError> {
    let wanted = input
        .pointer("/accessConfig/authenticationMode")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            invalid_parameter("The emulator supports only accessConfig.authenticationMode updates")
        })?
        .to_owned();
    let update_id = world.ids.uuid();
    let (now, updating) = (
        world.now(),
        Duration::seconds(world.settings.updating_seconds as i64),
    );
    let cluster = find_mut(world, caller, input)?;
    if cluster.status != "ACTIVE" {
        return Err(in_use(format!(
            "Cluster {} is {}; updates need an ACTIVE cluster",
            cluster.key.name, cluster.status
        )));
    }
    let position = |mode: &str| MODES.iter().position(|m| *m == mode);
    let (from, to) = (position(&cluster.authentication_mode), position(&wanted));
    match (from, to) {
        (_, None) => {
            return Err(invalid_parameter(format!(
                "Invalid authenticationMode {wanted}"
            )));
        }
        // EKS moves one step at a time and answers the same message for a same-mode, backward
        // or two-step update (seen in public transcripts: "from CONFIG_MAP to API",
        // "from API_AND_CONFIG_MAP to API_AND_CONFIG_MAP").
        (Some(f), Some(t)) if t != f + 1 => {
            return Err(invalid_parameter(format!(
                "Unsupported authentication mode update from {} to {wanted}",
                cluster.authentication_mode
            )));
        }
        _ => {}
    }
    cluster.authentication_mode = wanted.clone();
    cluster.status = "UPDATING".to_owned();
    cluster.ready_at = Some(now + updating);
    let update = ClusterUpdate {
        id: update_id.clone(),
        update_type: "AccessConfigUpdate".to_owned(),
        params: vec![("AuthenticationMode".to_owned(), wanted)],
        created_at: now,
        status: "InProgress".to_owned(),
    };
    cluster.updates.insert(update_id, update.clone());
    Ok(json!({"update": update_json(&update)}))
}

fn describe_update(world: &World, caller: &Caller, input: &Value) -> Result<Value, ApiError> {
    let cluster = find(world, caller, input)?;
    let id = opt_str(input, "updateId").unwrap_or_default();
    let update = cluster
        .updates
        .get(id)
        .ok_or_else(|| not_found(format!("No update found for ID: {id}")))?;
    Ok(json!({"update": update_json(update)}))
}

fn update_json(update: &ClusterUpdate) -> Value {
    let params: Vec<Value> = update
        .params
        .iter()
        .map(|(t, v)| json!({"type": t, "value": v}))
        .collect();
    json!({"id": update.id, "status": update.status, "type": update.update_type, "params": params,
           "createdAt": epoch_seconds(update.created_at), "errors": []})
}

/// Moves every cluster whose transition is due to `ACTIVE` (and its updates to `Successful`).
pub fn settle_due(state: &mut EksState, now: OffsetDateTime) {
    for cluster in state.clusters.values_mut() {
        if cluster.ready_at.is_some_and(|at| at <= now) {
            settle(cluster);
        }
    }
}

/// Finishes a cluster's transition now.
pub fn settle(cluster: &mut Cluster) {
    cluster.ready_at = None;
    if matches!(cluster.status.as_str(), "CREATING" | "UPDATING") {
        cluster.status = "ACTIVE".to_owned();
    }
    for update in cluster.updates.values_mut() {
        update.status = "Successful".to_owned();
    }
}

/// The `cluster` object of DescribeCluster.
pub fn cluster_json(c: &Cluster) -> Value {
    let k = &c.key;
    let mut out = json!({
        "name": k.name, "arn": c.arn, "createdAt": epoch_seconds(c.created_at), "version": c.version,
        "roleArn": c.role_arn, "status": c.status, "platformVersion": "eks.1", "tags": c.tags,
        "resourcesVpcConfig": {"subnetIds": [], "securityGroupIds": [], "endpointPublicAccess": true,
            "endpointPrivateAccess": false, "publicAccessCidrs": ["0.0.0.0/0"]},
        "kubernetesNetworkConfig": {"serviceIpv4Cidr": "10.100.0.0/16", "ipFamily": "ipv4"},
        "logging": {"clusterLogging": []},
        "accessConfig": {"bootstrapClusterCreatorAdminPermissions": c.bootstrap_creator_admin,
            "authenticationMode": c.authentication_mode},
    });
    if c.status != "CREATING" {
        out["endpoint"] = json!(format!(
            "https://{}.gr7.{}.eks.amazonaws.com",
            k.name.to_lowercase(),
            k.region
        ));
        out["certificateAuthority"] = json!({"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="});
    }
    out
}
