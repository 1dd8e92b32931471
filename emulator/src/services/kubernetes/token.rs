//! The EKS bearer token as the authenticator sees it: its shape (a presigned STS
//! `GetCallerIdentity` URL, base64url after `k8s-aws-v1.`), and, where the emulator knows the
//! secret, its SigV4 signature recomputed with AWS's own signer, `x-k8s-aws-id` set to the
//! cluster the request is for.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;

use crate::world::SessionSecret;

/// The prefix of an EKS bearer token.
pub(super) const TOKEN_PREFIX: &str = "k8s-aws-v1.";

/// The longest presigned-URL lifetime the authenticator accepts, in seconds.
const MAX_TOKEN_SECONDS: u64 = 900;

/// The signed header carrying the cluster name.
const CLUSTER_ID_HEADER: &str = "x-k8s-aws-id";

/// A well-shaped token's presigned URL, taken apart.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Presigned {
    /// The access key of the credential scope: who signed.
    pub access_key: String,
    /// `https://<sts host>/`.
    base: String,
    /// The query parameters, in the order of the URL.
    params: Vec<(String, String)>,
}

impl Presigned {
    fn get(&self, key: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// The presigned URL of a well-shaped EKS token, or why the authenticator would refuse it.
pub(super) fn check_shape(authorization: &str) -> Result<Presigned, String> {
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
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let mut presigned = Presigned {
        access_key: String::new(),
        base: format!("https://{host}/"),
        params,
    };
    presigned.access_key = check_params(&presigned)?;
    Ok(presigned)
}

/// The access key of a presigned `GetCallerIdentity` whose parameters the authenticator accepts.
fn check_params(presigned: &Presigned) -> Result<String, String> {
    let get = |k: &str| presigned.get(k);
    if get("Action") != "GetCallerIdentity" {
        return Err("the presigned URL is not sts:GetCallerIdentity".into());
    }
    if get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" || get("X-Amz-Signature").is_empty() {
        return Err("the URL is not presigned with SigV4".into());
    }
    let signed: Vec<&str> = get("X-Amz-SignedHeaders").split(';').collect();
    if !signed.contains(&CLUSTER_ID_HEADER) || !signed.contains(&"host") {
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

/// Whether `presigned` carries the signature STS would compute for `secret` with `cluster` as
/// `x-k8s-aws-id`: the check that ties a token to one cluster and one set of credentials.
pub(super) fn check_signature(
    presigned: &Presigned,
    cluster: &str,
    secret: &SessionSecret,
) -> Result<(), String> {
    let expected = expected_signature(presigned, cluster, secret)?;
    if expected == presigned.get("X-Amz-Signature") {
        Ok(())
    } else {
        Err(format!(
            "the token's signature does not match (was it made for cluster {cluster}, with the \
             credentials of {}?)",
            presigned.access_key
        ))
    }
}

/// The signature of `presigned`'s request, re-signed with `secret` by AWS's SigV4 signer.
fn expected_signature(
    presigned: &Presigned,
    cluster: &str,
    secret: &SessionSecret,
) -> Result<String, String> {
    let scope: Vec<&str> = presigned.get("X-Amz-Credential").split('/').collect();
    let region = scope.get(2).copied().unwrap_or_default();
    let time = signing_time(presigned.get("X-Amz-Date"))?;
    let expires: u64 = presigned.get("X-Amz-Expires").parse().unwrap_or_default();
    // The URL as the client had it before presigning: every parameter the signer did not add.
    let unsigned: Vec<String> = presigned
        .params
        .iter()
        .filter(|(k, _)| !k.starts_with("X-Amz-"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let url = format!("{}?{}", presigned.base, unsigned.join("&"));
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(expires));
    let credentials = Credentials::new(
        presigned.access_key.clone(),
        secret.secret_access_key.clone(),
        Some(secret.session_token.clone()),
        None,
        "emulator",
    );
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| format!("cannot re-sign the token: {e}"))?
        .into();
    let headers = [(CLUSTER_ID_HEADER, cluster)];
    let signable = SignableRequest::new("GET", &url, headers.into_iter(), SignableBody::Bytes(&[]))
        .map_err(|e| format!("cannot re-sign the token: {e}"))?;
    let output = sign(signable, &params).map_err(|e| format!("cannot re-sign the token: {e}"))?;
    Ok(output.signature().to_owned())
}

/// `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`) as a time.
fn signing_time(date: &str) -> Result<SystemTime, String> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let parsed = time::PrimitiveDateTime::parse(date, &format)
        .map_err(|_| format!("X-Amz-Date {date:?} is not YYYYMMDDTHHMMSSZ"))?;
    Ok(parsed.assume_utc().into())
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
        assert_eq!(
            check_shape(&token(GOOD)).map(|p| p.access_key),
            Ok("AKID".to_owned())
        );
    }

    #[test]
    fn tokens_the_authenticator_would_refuse_are_refused() {
        let unsigned_cluster = GOOD.replace("host%3Bx-k8s-aws-id", "host");
        assert!(
            check_shape(&token(&unsigned_cluster))
                .unwrap_err()
                .contains("x-k8s-aws-id")
        );
        let other_action = GOOD.replace("GetCallerIdentity", "AssumeRole");
        assert!(check_shape(&token(&other_action)).is_err());
        let long = GOOD.replace("X-Amz-Expires=60", "X-Amz-Expires=3600");
        assert!(check_shape(&token(&long)).is_err());
        let evil = GOOD.replace("sts.eu-west-1.amazonaws.com", "evil.example.com");
        assert!(
            check_shape(&token(&evil))
                .unwrap_err()
                .contains("not an STS endpoint")
        );
        assert!(check_shape("Bearer abc").is_err());
        assert!(check_shape("").is_err());
    }

    /// A token as `aws eks get-token` makes it, signed with AWS's signer.
    fn signed_token(cluster: &str, secret: &SessionSecret) -> String {
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(60));
        let identity = Credentials::new(
            "ASIAEXAMPLE",
            secret.secret_access_key.clone(),
            Some(secret.session_token.clone()),
            None,
            "test",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("eu-west-1")
            .name("sts")
            .time(SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000))
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let url =
            "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15";
        let headers = [(CLUSTER_ID_HEADER, cluster)];
        let signable =
            SignableRequest::new("GET", url, headers.into_iter(), SignableBody::Bytes(&[]))
                .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut request = http::Request::builder().uri(url).body(()).unwrap();
        instructions.apply_to_request_http1x(&mut request);
        token(&request.uri().to_string())
    }

    fn secret(key: &str) -> SessionSecret {
        SessionSecret {
            secret_access_key: key.into(),
            session_token: "FwoGZXIvYXdzEtoken".into(),
        }
    }

    #[test]
    fn a_token_is_good_only_for_its_cluster_and_its_credentials() {
        let token = signed_token("payments-prod", &secret("s3cr3t"));
        let presigned = check_shape(&token).unwrap();
        assert_eq!(presigned.access_key, "ASIAEXAMPLE");
        assert_eq!(
            check_signature(&presigned, "payments-prod", &secret("s3cr3t")),
            Ok(())
        );
        let other_cluster = check_signature(&presigned, "payments-dev", &secret("s3cr3t"));
        assert!(other_cluster.unwrap_err().contains("payments-dev"));
        assert!(check_signature(&presigned, "payments-prod", &secret("other")).is_err());
    }
}
