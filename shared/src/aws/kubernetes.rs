//! Reading `kube-system/aws-auth` from a cluster's Kubernetes API, authenticated the way
//! `aws eks get-token` does it: a presigned STS `GetCallerIdentity` URL, signed with the SDK's
//! SigV4 signer (no hand-written crypto) and with the cluster name in the signed header
//! `x-k8s-aws-id`, sent as the bearer token `k8s-aws-v1.<base64url(url)>`. The cluster's
//! endpoint and CA come from `DescribeCluster`; one GET, over rustls with the cluster's CA.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials as _;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_types::error::display::DisplayErrorContext;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http_body_util::{BodyExt as _, Empty};

use crate::aws::SdkEks;
use crate::aws::errors::port_error;
use crate::domain::{ClusterName, Partition, Region};
use crate::ports::{ErrorKind, PortError};

/// The prefix of an EKS bearer token.
pub const TOKEN_PREFIX: &str = "k8s-aws-v1.";

/// The signed header carrying the cluster name, which the EKS authenticator checks.
pub const CLUSTER_ID_HEADER: &str = "x-k8s-aws-id";

/// The path of the ConfigMap the import reads.
pub const AWS_AUTH_PATH: &str = "/api/v1/namespaces/kube-system/configmaps/aws-auth";

/// How long the presigned URL is valid: `aws eks get-token` uses 60 s; the token is used at once.
const TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// Where a cluster's Kubernetes API is, as `DescribeCluster` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterApi {
    /// `https://<id>.<…>.eks.amazonaws.com` (or the emulator's URL).
    pub endpoint: String,
    /// The cluster CA, PEM (`certificateAuthority.data`, base64-decoded).
    pub ca_pem: Option<Vec<u8>>,
}

/// The cluster's API endpoint and CA (`DescribeCluster`); a cluster still `CREATING` has none.
pub async fn cluster_api(eks: &SdkEks, cluster: &ClusterName) -> Result<ClusterApi, PortError> {
    const OP: &str = "DescribeCluster";
    let out = eks
        .client()
        .describe_cluster()
        .name(cluster.as_str())
        .send()
        .await
        .map_err(|e| port_error(OP, e))?;
    let found = out.cluster();
    let endpoint = found.and_then(|c| c.endpoint()).ok_or_else(|| {
        PortError::new(
            ErrorKind::InvalidRequest,
            OP,
            format!("cluster {cluster} has no API endpoint yet (is it still CREATING?)"),
        )
    })?;
    let ca_pem = found
        .and_then(|c| c.certificate_authority())
        .and_then(|ca| ca.data())
        .map(|data| STANDARD.decode(data))
        .transpose()
        .map_err(|e| PortError::new(ErrorKind::Other, OP, format!("certificate authority: {e}")))?;
    Ok(ClusterApi {
        endpoint: endpoint.trim_end_matches('/').to_owned(),
        ca_pem,
    })
}

/// A bearer token for `cluster`, signed with the credentials of `config` (the member role's,
/// when the connector assumed one).
pub async fn eks_token(
    config: &SdkConfig,
    cluster: &ClusterName,
    region: &Region,
) -> Result<String, PortError> {
    const OP: &str = "GetToken";
    let provider = config
        .credentials_provider()
        .ok_or_else(|| PortError::new(ErrorKind::AccessDenied, OP, "no credentials configured"))?;
    let credentials = provider.provide_credentials().await.map_err(|e| {
        PortError::new(
            ErrorKind::AccessDenied,
            OP,
            format!("cannot load credentials: {}", DisplayErrorContext(&e)),
        )
    })?;
    presigned_token(&credentials, cluster.as_str(), region, SystemTime::now())
}

/// The STS endpoint the authenticator accepts for `region`.
fn sts_host(region: &Region) -> String {
    match region.partition() {
        Partition::AwsCn => format!("sts.{region}.amazonaws.com.cn"),
        _ => format!("sts.{region}.amazonaws.com"),
    }
}

/// The token for `cluster`: pure apart from the signer, so tests can decode it.
pub fn presigned_token(
    credentials: &Credentials,
    cluster: &str,
    region: &Region,
    now: SystemTime,
) -> Result<String, PortError> {
    const OP: &str = "GetToken";
    let failed = |what: String| PortError::new(ErrorKind::Other, OP, what);
    let url = format!(
        "https://{}/?Action=GetCallerIdentity&Version=2011-06-15",
        sts_host(region)
    );
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(TOKEN_LIFETIME);
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region.as_str())
        .name("sts")
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| failed(format!("signing parameters: {e}")))?
        .into();
    let headers = [(CLUSTER_ID_HEADER, cluster)];
    let signable = SignableRequest::new("GET", &url, headers.into_iter(), SignableBody::Bytes(&[]))
        .map_err(|e| failed(format!("signable request: {e}")))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| failed(format!("signing: {e}")))?
        .into_parts();
    let mut request = http::Request::builder()
        .method("GET")
        .uri(&url)
        .header(CLUSTER_ID_HEADER, cluster)
        .body(())
        .map_err(|e| failed(format!("request: {e}")))?;
    instructions.apply_to_request_http1x(&mut request);
    let presigned = request.uri().to_string();
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(presigned)
    ))
}

/// `GET kube-system/aws-auth` with `token`: the ConfigMap as the API returns it (JSON), or
/// `None` when the cluster has no aws-auth ConfigMap (404).
pub async fn get_aws_auth(api: &ClusterApi, token: &str) -> Result<Option<String>, PortError> {
    const OP: &str = "GetConfigMap";
    let failed = |kind, what: String| PortError::new(kind, OP, what);
    let client = http_client(api)?;
    let uri = format!("{}{AWS_AUTH_PATH}", api.endpoint);
    let request = http::Request::builder()
        .method("GET")
        .uri(&uri)
        .header("authorization", format!("Bearer {token}"))
        .header("accept", "application/json")
        .body(Empty::<bytes::Bytes>::new())
        .map_err(|e| failed(ErrorKind::Other, format!("request {uri}: {e}")))?;
    let response = client
        .request(request)
        .await
        .map_err(|e| failed(ErrorKind::Transient, format!("GET {uri}: {e}")))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| failed(ErrorKind::Transient, format!("GET {uri}: {e}")))?
        .to_bytes();
    let text = String::from_utf8_lossy(&body).into_owned();
    match status {
        200 => Ok(Some(text)),
        404 => Ok(None),
        401 | 403 => Err(failed(
            ErrorKind::AccessDenied,
            format!(
                "the Kubernetes API of {} refused the token ({status}): the identity used needs \
                 read access to kube-system/aws-auth (an access entry, or a mapping in aws-auth \
                 itself); {text}",
                api.endpoint
            ),
        )),
        _ => Err(failed(
            ErrorKind::Other,
            format!("GET {uri} answered {status}: {text}"),
        )),
    }
}

type HttpsClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Empty<bytes::Bytes>,
>;

/// A client trusting exactly the cluster's CA (plain HTTP is allowed for the emulator).
fn http_client(api: &ClusterApi) -> Result<HttpsClient, PortError> {
    use rustls_pki_types::pem::PemObject as _;
    let failed = |what: String| PortError::new(ErrorKind::Other, "GetConfigMap", what);
    let mut roots = rustls::RootCertStore::empty();
    // Plain HTTP (the emulator) uses no CA; only an https endpoint is checked against it.
    let pem = api
        .ca_pem
        .as_ref()
        .filter(|_| api.endpoint.starts_with("https://"));
    if let Some(pem) = pem {
        for cert in rustls_pki_types::CertificateDer::pem_slice_iter(pem) {
            // An unreadable CA leaves the store empty: the TLS handshake then fails, clearly.
            match cert {
                Ok(cert) => roots
                    .add(cert)
                    .map_err(|e| failed(format!("cluster CA: {e}")))?,
                Err(e) => tracing::warn!(error = %e, "unreadable cluster CA certificate"),
            }
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(connector),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_a_presigned_get_caller_identity_naming_the_cluster() {
        let credentials = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let region = Region::new("eu-west-1").unwrap();
        let token = presigned_token(
            &credentials,
            "payments-prod",
            &region,
            SystemTime::UNIX_EPOCH,
        )
        .unwrap();
        let encoded = token.strip_prefix(TOKEN_PREFIX).expect("prefix");
        let url = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).unwrap()).unwrap();
        assert!(
            url.starts_with("https://sts.eu-west-1.amazonaws.com/?"),
            "{url}"
        );
        for needle in [
            "Action=GetCallerIdentity",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=AKIDEXAMPLE%2F19700101%2Feu-west-1%2Fsts%2Faws4_request",
            "X-Amz-Expires=60",
            "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id",
            "X-Amz-Signature=",
        ] {
            assert!(url.contains(needle), "{needle} not in {url}");
        }
    }
}
