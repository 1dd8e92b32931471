//! Reading `kube-system/aws-auth` from a cluster's Kubernetes API with kube-rs, authenticated the
//! way `aws eks get-token` does it: a presigned STS `GetCallerIdentity` URL, signed with the SDK's
//! SigV4 signer (no hand-written crypto) and with the cluster name in the signed header
//! `x-k8s-aws-id`, sent as the bearer token `k8s-aws-v1.<base64url(url)>`. The cluster's
//! endpoint and CA come from `DescribeCluster`.

use std::time::{Duration, SystemTime};

use anyhow::{Context as _, anyhow, bail};
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
use eks_sso_sync::aws::SdkEks;
use eks_sso_sync::domain::{ClusterName, Partition, Region};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;

/// The prefix of an EKS bearer token.
pub const TOKEN_PREFIX: &str = "k8s-aws-v1.";

/// The signed header carrying the cluster name, which the EKS authenticator checks.
pub const CLUSTER_ID_HEADER: &str = "x-k8s-aws-id";

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
pub async fn cluster_api(eks: &SdkEks, cluster: &ClusterName) -> anyhow::Result<ClusterApi> {
    let out = eks
        .client()
        .describe_cluster()
        .name(cluster.as_str())
        .send()
        .await
        .map_err(|e| anyhow!("DescribeCluster {cluster}: {}", DisplayErrorContext(&e)))?;
    let found = out.cluster();
    let endpoint = found.and_then(|c| c.endpoint()).ok_or_else(|| {
        anyhow!("cluster {cluster} has no API endpoint yet (is it still CREATING?)")
    })?;
    let ca_pem = found
        .and_then(|c| c.certificate_authority())
        .and_then(|ca| ca.data())
        .map(|data| STANDARD.decode(data))
        .transpose()
        .with_context(|| format!("cluster {cluster}: certificateAuthority.data is not base64"))?;
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
) -> anyhow::Result<String> {
    let provider = config
        .credentials_provider()
        .context("no credentials configured")?;
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| anyhow!("cannot load credentials: {}", DisplayErrorContext(&e)))?;
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
) -> anyhow::Result<String> {
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
        .context("EKS token: signing parameters")?
        .into();
    let headers = [(CLUSTER_ID_HEADER, cluster)];
    let signable = SignableRequest::new("GET", &url, headers.into_iter(), SignableBody::Bytes(&[]))
        .context("EKS token: signable request")?;
    let (instructions, _signature) = sign(signable, &params)
        .context("EKS token: signing")?
        .into_parts();
    let mut request = http::Request::builder()
        .method("GET")
        .uri(&url)
        .header(CLUSTER_ID_HEADER, cluster)
        .body(())
        .context("EKS token: request")?;
    instructions.apply_to_request_http1x(&mut request);
    let presigned = request.uri().to_string();
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(presigned)
    ))
}

/// A kube-rs client for `api`, sending `token` and trusting exactly the cluster's CA.
fn client(api: &ClusterApi, token: String) -> anyhow::Result<kube::Client> {
    use rustls_pki_types::pem::PemObject as _;
    let url: http::Uri = api
        .endpoint
        .parse()
        .with_context(|| format!("the cluster endpoint {} is not a URL", api.endpoint))?;
    let tls = url.scheme_str() == Some("https");
    let mut config = kube::Config::new(url);
    // Plain HTTP (only the emulator serves it) has no TLS, so no CA to check it against.
    if let Some(pem) = api.ca_pem.as_ref().filter(|_| tls) {
        let certs = rustls_pki_types::CertificateDer::pem_slice_iter(pem)
            .map(|cert| cert.map(|c| c.to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .context("the cluster CA (certificateAuthority.data) is not PEM")?;
        config.root_cert = Some(certs);
    }
    config.auth_info.token = Some(secrecy::SecretString::from(token));
    // One read, retried by the caller's rerun: kube's default retry would hide a refusal's cause.
    config.default_retry = false;
    kube::Client::try_from(config).context("cannot build the Kubernetes client")
}

/// `kube-system/aws-auth` read with `token`: the ConfigMap as JSON (the shape `kubectl get -o
/// json` prints, which the import reads), or `None` when the cluster has none.
pub async fn get_aws_auth(api: &ClusterApi, token: String) -> anyhow::Result<Option<String>> {
    let configmaps: Api<ConfigMap> = Api::namespaced(client(api, token)?, "kube-system");
    let found = match configmaps.get_opt("aws-auth").await {
        Ok(found) => found,
        Err(kube::Error::Api(status)) if matches!(status.code, 401 | 403) => bail!(
            "the Kubernetes API of {} refused the token ({} {}): the identity used needs read \
             access to kube-system/aws-auth (an access entry, or a mapping in aws-auth itself); {}",
            api.endpoint,
            status.code,
            status.reason,
            status.message
        ),
        Err(e) => return Err(e).with_context(|| format!("GET aws-auth from {}", api.endpoint)),
    };
    found
        .map(|cm| serde_json::to_string_pretty(&cm))
        .transpose()
        .context("cannot print the ConfigMap back as JSON")
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

    #[test]
    fn a_ca_that_is_not_pem_is_refused_naming_the_field() {
        let api = ClusterApi {
            endpoint: "https://example.eks.amazonaws.com".into(),
            ca_pem: Some(
                b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".to_vec(),
            ),
        };
        let error = client(&api, "t".into()).err().expect("refused");
        assert!(
            format!("{error:#}").contains("certificateAuthority.data"),
            "{error:#}"
        );
    }
}
