//! Each cluster's Kubernetes API, as far as `import-aws-auth --cluster` needs it: `GET
//! /api/v1/namespaces/kube-system/configmaps/aws-auth`, served under the cluster's endpoint
//! (`<emulator>/_k8s/<account>/<region>/<cluster>`, which `DescribeCluster` reports), with EKS
//! token authentication checked for its shape as the EKS authenticator would see it: the
//! `k8s-aws-v1.` prefix, base64url of a presigned STS `GetCallerIdentity` URL on an STS host,
//! SigV4 query parameters with the `sts` scope, a lifetime of at most 15 minutes, and
//! `x-k8s-aws-id` among the signed headers (see [`token`]). For a session the emulator's STS
//! issued, the signature is checked too, with the cluster name of the request's path as
//! `x-k8s-aws-id`, as STS checks it for the authenticator: a token made for another cluster, or
//! signed with another secret, is refused. Static account keys (whose secrets the emulator never
//! sees) are checked for shape only.

use std::collections::BTreeMap;
use std::sync::Arc;

mod token;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use http::HeaderMap;
use serde_json::{Value, json};

use crate::protocol::respond;
use crate::state::EmulatorState;
use crate::world::World;

/// Kubernetes state of the emulated clusters.
#[derive(Debug, Clone, Default)]
pub struct KubernetesState {
    /// `http://host:port` of the emulator once it listens: cluster endpoints point below it.
    pub base_url: Option<String>,
    /// `data` of each cluster's `kube-system/aws-auth`, by (account, region, cluster name).
    pub aws_auth: BTreeMap<(String, String, String), BTreeMap<String, String>>,
}

/// Points the `endpoint` of a `DescribeCluster`/`CreateCluster` answer at the emulator, so the
/// real clients reach the cluster's Kubernetes API here.
pub fn with_endpoint(world: &World, mut answer: Value) -> Value {
    let Some(base) = &world.kubernetes.base_url else {
        return answer;
    };
    let Some(cluster) = answer.get_mut("cluster") else {
        return answer;
    };
    if cluster.get("endpoint").is_none() {
        return answer;
    }
    // arn:aws:eks:<region>:<account>:cluster/<name>
    let arn = cluster
        .get("arn")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if let [_, _, _, region, account, resource] = parts.as_slice() {
        if let Some(name) = resource.strip_prefix("cluster/") {
            cluster["endpoint"] = json!(format!("{base}/_k8s/{account}/{region}/{name}"));
        }
    }
    answer
}

/// The Kubernetes routes (nested under `/_k8s`).
pub fn router() -> Router<Arc<EmulatorState>> {
    Router::new().route(
        "/{account}/{region}/{cluster}/api/v1/namespaces/{namespace}/configmaps/{name}",
        get(get_configmap),
    )
}

type ConfigMapPath = Path<(String, String, String, String, String)>;

async fn get_configmap(
    State(state): State<Arc<EmulatorState>>,
    Path((account, region, cluster, namespace, name)): ConfigMapPath,
    headers: HeaderMap,
) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let presigned = match token::check_shape(authorization) {
        Ok(presigned) => presigned,
        Err(why) => return status(401, "Unauthorized", &why),
    };
    let key = (account, region, cluster);
    let found = state.with_world(|w| -> Result<_, String> {
        if let Some(secret) = w.session_secrets.get(&presigned.access_key) {
            token::check_signature(&presigned, &key.2, secret)?;
        }
        let caller = w.resolve_caller(&presigned.access_key, &key.1);
        tracing::debug!(caller = %caller.account, cluster = %key.2, "kubernetes GET configmap");
        let exists = w.eks.clusters.keys().any(|k| {
            (k.account.as_str(), k.region.as_str(), k.name.as_str())
                == (key.0.as_str(), key.1.as_str(), key.2.as_str())
        });
        Ok(exists.then(|| w.kubernetes.aws_auth.get(&key).cloned()))
    });
    match found {
        Err(why) => status(401, "Unauthorized", &why),
        Ok(None) => status(404, "NotFound", &format!("cluster {} not found", key.2)),
        Ok(Some(Some(data))) if namespace == "kube-system" && name == "aws-auth" => {
            let body = json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "aws-auth", "namespace": "kube-system"},
                "data": data,
            });
            respond(
                200,
                &[("content-type", "application/json".to_owned())],
                body.to_string(),
            )
        }
        Ok(Some(_)) => status(
            404,
            "NotFound",
            &format!("configmaps \"{name}\" not found in namespace {namespace}"),
        ),
    }
}

/// A Kubernetes `Status` answer.
fn status(code: u16, reason: &str, message: &str) -> Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "status": "Failure",
        "message": message, "reason": reason, "code": code,
    });
    respond(
        code,
        &[("content-type", "application/json".to_owned())],
        body.to_string(),
    )
}
