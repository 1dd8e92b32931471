//! Each cluster's Kubernetes API, as far as `import-aws-auth --cluster` needs it: `GET
//! /api/v1/namespaces/kube-system/configmaps/aws-auth`, served under the cluster's endpoint
//! (`<emulator>/_k8s/<account>/<region>/<cluster>`, which `DescribeCluster` reports), with EKS
//! token authentication checked for its shape as the EKS authenticator would see it: the
//! `k8s-aws-v1.` prefix, base64url of a presigned STS `GetCallerIdentity` URL on an STS host,
//! SigV4 query parameters with the `sts` scope, a lifetime of at most 15 minutes, and
//! `x-k8s-aws-id` among the signed headers. Signatures are not checked (as everywhere in the
//! emulator); the access key in the credential scope names the caller.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use http::HeaderMap;
use serde_json::{Value, json};

use crate::protocol::respond;
use crate::state::EmulatorState;
use crate::world::World;

/// The prefix of an EKS bearer token.
const TOKEN_PREFIX: &str = "k8s-aws-v1.";

/// The longest presigned-URL lifetime the authenticator accepts, in seconds.
const MAX_TOKEN_SECONDS: u64 = 900;

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
    let access_key = match check_token(authorization) {
        Ok(key) => key,
        Err(why) => return status(401, "Unauthorized", &why),
    };
    let key = (account, region, cluster);
    let found = state.with_world(|w| {
        let caller = w.resolve_caller(&access_key, &key.1);
        tracing::debug!(caller = %caller.account, cluster = %key.2, "kubernetes GET configmap");
        let exists = w.eks.clusters.keys().any(|k| {
            (k.account.as_str(), k.region.as_str(), k.name.as_str())
                == (key.0.as_str(), key.1.as_str(), key.2.as_str())
        });
        exists.then(|| w.kubernetes.aws_auth.get(&key).cloned())
    });
    match found {
        None => status(404, "NotFound", &format!("cluster {} not found", key.2)),
        Some(Some(data)) if namespace == "kube-system" && name == "aws-auth" => {
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
        Some(_) => status(
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

/// The access key of a well-shaped EKS token, or why the authenticator would refuse it.
pub fn check_token(authorization: &str) -> Result<String, String> {
    use base64::Engine as _;
    let token = authorization
        .strip_prefix("Bearer ")
        .ok_or("no bearer token")?;
    let encoded = token
        .strip_prefix(TOKEN_PREFIX)
        .ok_or("the token does not start with k8s-aws-v1.")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .map_err(|e| format!("the token is not base64url: {e}"))?;
    let url = String::from_utf8(bytes).map_err(|_| "the token is not a URL")?;
    let rest = url
        .strip_prefix("https://")
        .ok_or("the presigned URL is not https")?;
    let (host, query) = rest
        .split_once("/?")
        .ok_or("the presigned URL has no query")?;
    let sts_host = host.starts_with("sts.")
        && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"));
    if !sts_host {
        return Err(format!("{host} is not an STS endpoint"));
    }
    let params: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    if get("Action") != "GetCallerIdentity" {
        return Err("the presigned URL is not sts:GetCallerIdentity".into());
    }
    if get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" || get("X-Amz-Signature").is_empty() {
        return Err("the URL is not presigned with SigV4".into());
    }
    let signed: Vec<&str> = get("X-Amz-SignedHeaders").split(';').collect();
    if !signed.contains(&"x-k8s-aws-id") || !signed.contains(&"host") {
        return Err("x-k8s-aws-id (the cluster name) is not a signed header".into());
    }
    let expires: u64 = get("X-Amz-Expires")
        .parse()
        .map_err(|_| "no X-Amz-Expires")?;
    if expires > MAX_TOKEN_SECONDS {
        return Err(format!(
            "X-Amz-Expires {expires} is over {MAX_TOKEN_SECONDS}"
        ));
    }
    let scope: Vec<&str> = get("X-Amz-Credential").split('/').collect();
    match scope.as_slice() {
        [key, _date, _region, "sts", "aws4_request"] if !key.is_empty() => Ok((*key).to_owned()),
        _ => Err("the credential scope is not for sts".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn token(url: &str) -> String {
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url);
        format!("Bearer {TOKEN_PREFIX}{encoded}")
    }

    const GOOD: &str = "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Feu-west-1%2Fsts%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=abc";

    #[test]
    fn a_presigned_get_caller_identity_token_names_its_caller() {
        assert_eq!(check_token(&token(GOOD)), Ok("AKID".to_owned()));
    }

    #[test]
    fn tokens_the_authenticator_would_refuse_are_refused() {
        let unsigned_cluster = GOOD.replace("host%3Bx-k8s-aws-id", "host");
        assert!(
            check_token(&token(&unsigned_cluster))
                .unwrap_err()
                .contains("x-k8s-aws-id")
        );
        let other_action = GOOD.replace("GetCallerIdentity", "AssumeRole");
        assert!(check_token(&token(&other_action)).is_err());
        let long = GOOD.replace("X-Amz-Expires=60", "X-Amz-Expires=3600");
        assert!(check_token(&token(&long)).is_err());
        let evil = GOOD.replace("sts.eu-west-1.amazonaws.com", "evil.example.com");
        assert!(
            check_token(&token(&evil))
                .unwrap_err()
                .contains("not an STS endpoint")
        );
        assert!(check_token("Bearer abc").is_err());
        assert!(check_token("").is_err());
    }
}
