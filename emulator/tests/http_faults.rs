//! HTTP-level tests of fault injection: reproducible sequences, latency, each protocol's fault
//! shapes, and an admin API that is never faulted.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod common;

use common::{Calls, start};
use serde_json::{Value, json};

async fn statuses(calls: &Calls, n: usize) -> Vec<u16> {
    let mut out = vec![];
    for _ in 0..n {
        out.push(
            calls
                .eks("test", reqwest::Method::GET, "/clusters", None)
                .await
                .status()
                .as_u16(),
        );
    }
    out
}

#[tokio::test]
async fn faults_are_reproducible_and_spare_the_admin_api() {
    let emulator = start().await;
    let calls = Calls::new(&emulator);
    let faults = json!({"throttle_rate": 0.3, "error_rate": 0.3, "seed": 7}).to_string();
    calls
        .admin(reqwest::Method::PUT, "faults", Some(faults.clone()))
        .await;
    let first = statuses(&calls, 30).await;
    assert!(
        first.contains(&429) && first.contains(&500) && first.contains(&200),
        "{first:?}"
    );
    calls
        .admin(reqwest::Method::PUT, "faults", Some(faults))
        .await;
    assert_eq!(
        statuses(&calls, 30).await,
        first,
        "same seed, same sequence"
    );
    let current = calls.admin(reqwest::Method::GET, "faults", None).await;
    assert_eq!(current["seed"], 7);
    let log = emulator.requests();
    let codes: std::collections::BTreeSet<_> =
        log.iter().filter_map(|r| r.error_code.clone()).collect();
    assert!(
        codes.contains("ThrottlingException") && codes.contains("ServerException"),
        "{codes:?}"
    );

    calls
        .admin(
            reqwest::Method::PUT,
            "faults",
            Some(json!({"latency_ms": 80}).to_string()),
        )
        .await;
    let started = std::time::Instant::now();
    assert_eq!(statuses(&calls, 1).await, [200]);
    assert!(started.elapsed() >= std::time::Duration::from_millis(80));
    emulator.shutdown().await;
}

#[tokio::test]
async fn injected_faults_use_each_protocol_s_error_shape() {
    let emulator = start().await;
    let calls = Calls::new(&emulator);
    let put = |faults: Value| calls.admin(reqwest::Method::PUT, "faults", Some(faults.to_string()));
    put(json!({"throttle_rate": 1.0})).await;
    let iam = calls
        .query("test", "iam", "Action=ListRoles&Version=2010-05-08")
        .await;
    assert_eq!(iam.status(), 400);
    assert!(
        iam.text()
            .await
            .unwrap()
            .contains("<Code>Throttling</Code>")
    );
    let store = calls
        .json(
            "identitystore",
            "AWSIdentityStore.ListGroups",
            "1.1",
            json!({}),
        )
        .await;
    assert_eq!(store.status(), 400);
    assert_eq!(
        store.json::<Value>().await.unwrap()["__type"],
        "ThrottlingException"
    );
    // The admin API is never faulted.
    assert_eq!(
        calls.admin(reqwest::Method::GET, "faults", None).await["throttle_rate"],
        1.0
    );

    put(json!({"error_rate": 1.0})).await;
    let sts = calls
        .query("test", "sts", "Action=GetCallerIdentity&Version=2011-06-15")
        .await;
    assert_eq!(sts.status(), 503);
    assert!(
        sts.text()
            .await
            .unwrap()
            .contains("<Type>Receiver</Type><Code>ServiceUnavailable</Code>")
    );
    let sqs = calls
        .json(
            "sqs",
            "AmazonSQS.GetQueueUrl",
            "1.0",
            json!({"QueueName": "q"}),
        )
        .await;
    assert_eq!(sqs.status(), 500);
    assert_eq!(
        sqs.json::<Value>().await.unwrap()["__type"],
        "com.amazonaws.sqs#InternalFailure"
    );
    emulator.shutdown().await;
}
