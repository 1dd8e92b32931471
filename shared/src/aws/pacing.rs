//! Our own token bucket per Identity Center API, so that one process never throttles itself.
//!
//! IAM Identity Center administration (`sso-admin`) admits about 20 requests/s per account in
//! total, the Identity Store about 20 requests/s per API (AWS-FACTS §5). The engine reads them
//! with up to eight calls in flight, so an Identity Center snapshot offers more than that and
//! would be throttled into retries. The SDK's adaptive retry mode paces too, but measured
//! against the emulator's token buckets it settled at about half the quota (and collapses to
//! its floor when throttling is random, README "AWS behaviours it handles"). A fixed bucket a
//! little under the documented rate keeps a single caller (the CLI, group-sync, a sweep) at
//! ≈ 90 % of the quota with no throttling at all; callers that share the quota (warm
//! reconcilers starting together) are left to the SDK's jittered retries.
//!
//! The buckets sit in the HTTP client of the two Identity Center clients, so every attempt
//! (pages and SDK retries included) takes a token, whichever adapter made it. The operation
//! is the request's `X-Amz-Target` (both are JSON-protocol services). Both clients only ever
//! talk to the Identity Center account, so "per client" is "per API and account".

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Requests per second we allow ourselves on one Identity Center bucket: 90 % of the ≈ 20
/// AWS admits, leaving headroom for the console, other tools and clock jitter.
pub const IDENTITY_CENTER_PER_SECOND: NonZeroU32 = NonZeroU32::MIN.saturating_add(17);

/// Requests sent at once after a quiet spell: small, so that callers starting together do not
/// spend the service's whole burst in the first instant.
pub const IDENTITY_CENTER_BURST: NonZeroU32 = NonZeroU32::MIN.saturating_add(3);

/// How the calls of one client share buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    /// One bucket for every operation (`sso-admin`).
    Service,
    /// One bucket per operation (the Identity Store).
    PerOperation,
}

/// The buckets of one client, created per operation as calls arrive.
#[derive(Debug)]
pub struct Pacer {
    share: Share,
    quota: Quota,
    buckets: Mutex<HashMap<String, Arc<DefaultDirectRateLimiter>>>,
}

impl Pacer {
    /// Buckets of `per_second` holding `burst`, shared as `share` says.
    pub fn new(share: Share, per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        Self {
            share,
            quota: Quota::per_second(per_second).allow_burst(burst),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The Identity Center pacing for `share`.
    pub fn identity_center(share: Share) -> Self {
        Self::new(share, IDENTITY_CENTER_PER_SECOND, IDENTITY_CENTER_BURST)
    }

    /// The bucket a request to `operation` (its `X-Amz-Target`) draws from.
    pub fn bucket(&self, operation: &str) -> Arc<DefaultDirectRateLimiter> {
        let key = match self.share {
            Share::Service => "",
            Share::PerOperation => operation,
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        buckets
            .entry(key.to_owned())
            .or_insert_with(|| Arc::new(RateLimiter::direct(self.quota)))
            .clone()
    }
}

/// An HTTP client that waits for a token of its [`Pacer`] before each request.
#[derive(Debug, Clone)]
pub struct PacedHttpClient {
    inner: SharedHttpClient,
    pacer: Arc<Pacer>,
}

impl PacedHttpClient {
    /// `inner` (the configuration's client, else the SDK's default HTTPS client) paced by
    /// `pacer`.
    pub fn wrap(inner: Option<SharedHttpClient>, pacer: Pacer) -> SharedHttpClient {
        let inner = inner.unwrap_or_else(|| {
            // The client the SDK would have built itself (hyper 1 over rustls with aws-lc).
            aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
                ))
                .build_https()
        });
        SharedHttpClient::new(Self {
            inner,
            pacer: Arc::new(pacer),
        })
    }
}

impl HttpClient for PacedHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pacer: self.pacer.clone(),
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Arc<Pacer>,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let bucket = self
            .pacer
            .bucket(request.headers().get("x-amz-target").unwrap_or_default());
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            bucket.until_ready().await;
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sso_admin_shares_one_bucket_and_identity_store_has_one_per_api() {
        let service = Pacer::new(Share::Service, NonZeroU32::MIN, NonZeroU32::MIN);
        assert!(
            service
                .bucket("SWBExternalService.ListPermissionSets")
                .check()
                .is_ok()
        );
        assert!(
            service
                .bucket("SWBExternalService.DescribePermissionSet")
                .check()
                .is_err(),
            "the one token is spent, whatever the operation"
        );
        let per_api = Pacer::new(Share::PerOperation, NonZeroU32::MIN, NonZeroU32::MIN);
        assert!(
            per_api
                .bucket("AWSIdentityStore.ListGroups")
                .check()
                .is_ok()
        );
        assert!(
            per_api
                .bucket("AWSIdentityStore.DescribeGroup")
                .check()
                .is_ok()
        );
        assert!(
            per_api
                .bucket("AWSIdentityStore.ListGroups")
                .check()
                .is_err()
        );
    }

    #[test]
    fn the_identity_center_bucket_admits_its_burst_then_waits() {
        let pacer = Pacer::identity_center(Share::Service);
        let bucket = pacer.bucket("SWBExternalService.ListInstances");
        let admitted = (0..100).take_while(|_| bucket.check().is_ok()).count();
        assert_eq!(admitted, IDENTITY_CENTER_BURST.get() as usize);
    }
}
