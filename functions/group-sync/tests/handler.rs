//! group-sync's handler on the emulator: sample events from `events/` go in, reconcile jobs come
//! out on a real SQS FIFO queue through the production SDK adapters. What happens to those jobs
//! (the reconciler) is tested in `functions/reconciler/tests/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod support;

use eks_sso_sync::engine::Scope;
use eks_sso_sync::invocation::{InvocationError, respond};
use lambda_runtime::Diagnostic;
use serde_json::{Value, json};
use support::{
    HOME, HUB, MEMBER, World, arns, cluster_arn, managed_arns, member_unreachable, sample,
};

#[tokio::test]
async fn a_membership_removal_that_hides_the_group_enqueues_every_managed_cluster() {
    let world = World::start().await;
    // `DeleteGroupMembership` carries only the membership id: the group cannot be known.
    let outcome = world
        .group_sync()
        .handle(sample("identitystore-delete-group-membership.json"))
        .await
        .expect("handled");
    assert_eq!(outcome.scope, Scope::Everything);
    assert_eq!(arns(&outcome.clusters), managed_arns());
    assert!(outcome.onboarding.is_none());
    assert_eq!(world.queued_clusters().await, managed_arns());
}

#[tokio::test]
async fn a_malformed_event_is_rejected_by_field_and_changes_nothing() {
    let world = World::start().await;
    let mut event = sample("sso-create-account-assignment.json");
    let params = event["detail"]["requestParameters"]
        .as_object_mut()
        .expect("object");
    params.remove("targetId");
    world.emulator.clear_requests();

    let result = world.group_sync().handle(event.clone()).await;
    let Err(InvocationError::InvalidEvent(error)) = &result else {
        panic!("an invalid event: {result:?}");
    };
    assert_eq!(
        error.field_path(),
        Some("detail.requestParameters.targetId")
    );
    assert!(
        error
            .to_string()
            .contains("detail.requestParameters.targetId"),
        "{error}"
    );
    assert!(
        world.emulator.requests().is_empty(),
        "no call at all: {:?}",
        world.emulator.requests()
    );

    let answer = respond(world.group_sync().handle(event).await).expect("answered, not retried");
    let rejected = answer["rejected"].as_str().unwrap_or_default();
    assert!(
        rejected.contains("detail.requestParameters.targetId"),
        "{answer}"
    );
    assert!(world.queued_clusters().await.is_empty(), "no job enqueued");
}

#[tokio::test]
async fn group_sync_enqueues_what_it_found_and_reports_the_unlisted_account() {
    let world = World::start_with(member_unreachable).await;
    // The record hides the group: every managed cluster, in both accounts.
    let error = world
        .group_sync()
        .handle(sample("identitystore-delete-group-membership.json"))
        .await
        .expect_err("fails for retry");
    let InvocationError::Incomplete {
        failures,
        completed,
        ..
    } = &error
    else {
        panic!("incomplete: {error:?}");
    };
    assert!(failures.iter().all(|f| f.contains(MEMBER)), "{failures:?}");
    assert!(completed.contains("1 job"), "{completed}");
    assert_eq!(Diagnostic::from(error).error_type, "AccessDenied");
    assert_eq!(world.queued_clusters().await, [cluster_arn(HUB, "hub-1")]);
}

/// `event` as another Region's bus delivers it: a new envelope id, region and time.
fn replica(mut event: Value, region: &str, id: &str, time: &str) -> Value {
    event["id"] = json!(id);
    event["region"] = json!(region);
    event["time"] = json!(time);
    event
}

#[tokio::test]
async fn copies_of_one_identity_center_event_from_replica_regions_make_one_job_per_cluster() {
    let world = World::start().await;
    let group = world.group_id("payments-devs").await;
    let bo = world.user_id("bo").await;
    let store = world.identity_store().await;
    let mut event = sample("native-group-membership-created.json");
    event["detail"]["identityStoreId"] = json!(store);
    event["detail"]["groupId"] = json!(group);
    event["detail"]["memberId"]["userId"] = json!(bo);
    let now = time::OffsetDateTime::now_utc();
    let stamp = |offset: i64| {
        (now - time::Duration::seconds(offset))
            .format(&time::format_description::well_known::Rfc3339)
            .expect("formats")
    };

    let copies = [
        replica(
            event.clone(),
            HOME,
            "6c1d0e1a-0001-4000-8000-000000000001",
            &stamp(3),
        ),
        replica(
            event.clone(),
            "us-east-1",
            "6c1d0e1a-0002-4000-8000-000000000002",
            &stamp(2),
        ),
        replica(
            event,
            "ap-southeast-2",
            "6c1d0e1a-0003-4000-8000-000000000003",
            &stamp(1),
        ),
    ];
    for copy in copies {
        let outcome = world.group_sync().handle(copy).await.expect("handled");
        assert_eq!(outcome.clusters.len(), managed_arns().len());
    }
    // Each copy enqueued a job per cluster; SQS kept one per cluster.
    assert_eq!(world.queued_clusters().await, managed_arns());
}
