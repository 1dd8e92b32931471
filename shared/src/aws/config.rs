//! Loading the one `SdkConfig` every client is built from: standard retries, an optional region
//! override, and the endpoint from the SDK's standard `AWS_ENDPOINT_URL[_<SERVICE>]` settings, so
//! the same binary talks to AWS or to the emulator without a code path of its own.

use aws_config::identity::IdentityCache;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

use crate::domain::Region;

/// Attempts per call (first try included). Standard mode (jittered exponential backoff), not
/// adaptive: measured on the CLI fixture organisation's `apply` with 20 % of calls throttled
/// and 5 % answered 5xx at random, adaptive mode's client-side limiter fell to its floor and the
/// run took 395 s; standard mode with a 200 ms first delay takes 4–5 s (1.5 s fault-free). At
/// that fault rate one call in a thousand still fails five attempts in a row, which failed a
/// cluster's read in about one `apply` in four; eight attempts (at most ≈ 16 s of backoff) make
/// that one call in 65,000. README, "AWS behaviours it handles".
pub const MAX_ATTEMPTS: u32 = 8;

/// First retry delay (jittered, doubled per attempt).
pub const INITIAL_BACKOFF: std::time::Duration = std::time::Duration::from_millis(200);

/// Longest retry delay.
pub const MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(5);

/// The retry policy every client uses.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(INITIAL_BACKOFF)
        .with_max_backoff(MAX_BACKOFF)
}

/// Attempts per Identity Center call. Callers that share its quota (warm reconcilers starting
/// together) are throttled in turn; more attempts with a longer ceiling let every call through
/// at the quota's pace instead of failing a batch after five tries.
pub const IDENTITY_CENTER_MAX_ATTEMPTS: u32 = 10;

/// Longest retry delay of an Identity Center call.
pub const IDENTITY_CENTER_MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(10);

/// The retry policy of the Identity Center clients (`sso-admin`, the Identity Store): standard
/// mode like every client, more patient (see [`IDENTITY_CENTER_MAX_ATTEMPTS`]).
pub fn identity_center_retry_config() -> RetryConfig {
    retry_config()
        .with_max_attempts(IDENTITY_CENTER_MAX_ATTEMPTS)
        .with_max_backoff(IDENTITY_CENTER_MAX_BACKOFF)
}

/// Cost of a retry after a server error or a timeout in a client's retry quota (the SDK's
/// standard-mode default).
const RETRY_COST: u32 = 14;

/// A retry partition of its own for one client (one service in one account, and region for
/// EKS), whose retry quota charges nothing for throttling retries.
///
/// The quota exists to stop retry storms when a service is failing. Throttling is not a
/// failure: our own bucket ([`super::pacing`], Identity Center) and the jittered backoff already
/// pace those retries, and charging them (5 tokens of 500, refunded only when that very retry
/// succeeds) drained the Identity Center quota within one bench sweep of ten warm reconcilers
/// sharing it: every further call then failed at once and 198 of 200 messages were redelivered.
/// Server errors and timeouts still cost what they cost by default.
///
/// The SDK keeps one quota per partition name for the whole process, hence a name per client:
/// one account's failing EKS does not spend another's quota, and the bench's warm containers
/// (one process) get a quota each, as Lambda containers do. `service` names it in SDK logs.
pub fn retry_partition(service: &str) -> aws_sdk_ssoadmin::config::retry::RetryPartition {
    use aws_sdk_ssoadmin::config::retry::{RetryPartition, TokenBucket};
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let quota = TokenBucket::builder()
        .retry_cost(RETRY_COST)
        .timeout_retry_cost(RETRY_COST)
        .throttling_retry_cost(0)
        .build();
    RetryPartition::custom(format!("eks-sso-sync-{service}-{n}"))
        .token_bucket(quota)
        .build()
}

/// The SDK region for a domain region.
pub fn sdk_region(region: &Region) -> aws_config::Region {
    aws_config::Region::new(region.as_str().to_owned())
}

/// Loads the default configuration chain (environment, profile, container/instance role) once,
/// with standard retries and `region` overriding the configured region when given.
pub async fn load_sdk_config(region: Option<&Region>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry_config());
    if let Some(region) = region {
        loader = loader.region(sdk_region(region));
    }
    loader.load().await
}

/// A configuration pointing every service at `endpoint` (the emulator, or any `--endpoint-url`)
/// with fixed `credentials`, without reading the environment or profile files.
pub fn sdk_config_for_endpoint(
    endpoint: &str,
    region: &Region,
    credentials: Credentials,
) -> SdkConfig {
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(sdk_region(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .retry_config(retry_config())
        // One cache shared by every client built from this config, as `load_sdk_config` gives.
        .identity_cache(IdentityCache::lazy().build());
    // `AssumeRoleProvider` needs a time source on the config it is built from; the loader sets the
    // system clock, and so do we (the default of `SharedTimeSource` is the system clock).
    builder.set_time_source(Some(Default::default()));
    builder.build()
}

/// Static credentials for tests and the emulator (`provider_name` shows up in SDK logs).
pub fn static_credentials(access_key_id: &str, secret_access_key: &str) -> Credentials {
    Credentials::new(
        access_key_id,
        secret_access_key,
        None,
        None,
        "eks-sso-sync-static",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_config_carries_everything_clients_need() {
        let region = Region::new("eu-west-1").expect("region");
        let config = sdk_config_for_endpoint(
            "http://127.0.0.1:4566",
            &region,
            static_credentials("AKIDEXAMPLE", "secret"),
        );
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:4566"));
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert!(config.credentials_provider().is_some());
        assert!(config.time_source().is_some());
        assert!(config.identity_cache().is_some());
        let retry = config.retry_config().expect("retry config");
        assert_eq!(retry.max_attempts(), MAX_ATTEMPTS);
        assert_eq!(retry.mode(), aws_config::retry::RetryMode::Standard);
        assert_eq!(retry.initial_backoff(), INITIAL_BACKOFF);
        assert_eq!(retry.max_backoff(), MAX_BACKOFF);
    }
}
