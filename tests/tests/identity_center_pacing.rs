//! Throttling as AWS throttles: with the emulator's token buckets at AWS's rates (Identity
//! Center administration ≈ 20 requests/s in total), the ports pace their Identity Center calls
//! with a bucket of their own and are never throttled, while the same burst from a bare SDK
//! client is.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod adapters_support;

use adapters_support::*;
use eks_sso_sync::ports::SsoAdminApi;
use eks_sso_sync_emulator::{BucketReport, Faults, RateLimit, RunningEmulator};
use futures::future::join_all;

/// Calls in one burst: three times the service's bucket.
const BURST: usize = 60;

fn with_aws_rate_limits(emulator: &RunningEmulator) {
    emulator.set_faults(Faults {
        rate_limits: RateLimit::aws_defaults(),
        ..Faults::default()
    });
}

fn sso_bucket(emulator: &RunningEmulator) -> BucketReport {
    let report = emulator.rate_limit_report();
    let mut sso = report.into_iter().filter(|b| b.service == "sso");
    let bucket = sso.next().expect("the sso bucket saw the calls");
    assert!(
        sso.next().is_none(),
        "one bucket for every sso-admin operation"
    );
    bucket
}

#[tokio::test]
async fn the_ports_pace_identity_center_calls_under_the_quota() {
    let emulator = start().await;
    let ports = ports(&hub_config(&emulator)).await;
    with_aws_rate_limits(&emulator);

    let calls = (0..BURST).map(|_| ports.sso_admin.list_instances());
    let results = join_all(calls).await;

    assert!(results.iter().all(Result::is_ok), "every call succeeds");
    let bucket = sso_bucket(&emulator);
    assert_eq!(bucket.accepted, BURST as u64);
    assert_eq!(
        bucket.throttled, 0,
        "paced calls never meet an empty bucket: {bucket:?}"
    );
}

#[tokio::test]
async fn the_same_burst_unpaced_is_throttled() {
    let emulator = start().await;
    let sso = aws_sdk_ssoadmin::Client::new(&hub_config(&emulator));
    with_aws_rate_limits(&emulator);

    let calls = (0..BURST).map(|_| sso.list_instances().send());
    let results = join_all(calls).await;

    let bucket = sso_bucket(&emulator);
    assert!(
        bucket.throttled > 0,
        "{BURST} calls at once overflow a bucket of 20: {bucket:?}"
    );
    // The SDK's retries carry most of them through; the point is what it cost.
    assert!(results.iter().filter(|r| r.is_ok()).count() >= 20);
}
