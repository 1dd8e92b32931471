//! The Lambda edges of the reconciler and cluster-bootstrap, end to end on the emulator: what the
//! reconciler accepts, how sweeps fail when part of the work fails, the invocation deadline,
//! concurrency across FIFO groups, permanent failures, and the `errorType`s Lambda sees
//! (group-sync's own edges are in `functions/group-sync/tests/`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use eks_sso_sync::domain::ClusterRef;
use eks_sso_sync::invocation::{FailureKind, InvocationError};
use eks_sso_sync::ports::{ErrorKind, JobQueue, PortError, ReconcileJob};
use eks_sso_sync_emulator::Faults;
use lambda_runtime::Diagnostic;
use reconciler::batch::Disposition;
use reconciler::handler::{DEADLINE_MARGIN, MessageOutcome, Reconciler, WaitPolicy};
use support::triggers::prod_eu_created;
use support::{
    HUB, LAMBDA_TIMEOUT, MEMBER, World, cluster_arn, lambda_event, managed_arns,
    member_unreachable, sample,
};

/// A queue that refuses every enqueue, as SQS does when throttling.
struct ThrottledQueue;

#[async_trait]
impl JobQueue for ThrottledQueue {
    async fn enqueue(&self, _jobs: &[ReconcileJob]) -> Result<(), PortError> {
        Err(PortError::new(
            ErrorKind::Throttled,
            "SendMessageBatch",
            "slow down",
        ))
    }

    async fn retry_later(&self, _handle: &str, _delay: u32) -> Result<(), PortError> {
        Ok(())
    }
}

async fn enqueue(world: &World, clusters: &[(&str, &str)]) {
    let jobs: Vec<ReconcileJob> = clusters
        .iter()
        .map(|(account, name)| {
            let cluster = ClusterRef::from_arn(&cluster_arn(account, name)).expect("cluster ARN");
            ReconcileJob::new(cluster, "test", None, support::time_now())
        })
        .collect();
    world.queue.enqueue(&jobs).await.expect("enqueued");
}

fn failed_items(answer: &serde_json::Value) -> Vec<String> {
    answer["batchItemFailures"]
        .as_array()
        .expect("batchItemFailures")
        .iter()
        .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_event_that_is_neither_a_batch_nor_the_sweep_is_rejected_and_sweeps_nothing() {
    let world = World::start().await;
    let reconciler = world.reconciler(WaitPolicy::default());
    world.emulator.clear_requests();
    let not_sqs =
        serde_json::json!({ "Records": [{ "eventSource": "aws:kinesis", "messageId": "1" }] });
    for (payload, expected) in [
        (
            sample("eks-create-cluster.json"),
            "only SQS batches and the scheduled sweep",
        ),
        (serde_json::json!({}), "detail-type"),
        (not_sqs, "aws:kinesis"),
    ] {
        let answer = reconciler
            .handle(lambda_event(payload, LAMBDA_TIMEOUT))
            .await
            .expect("answered, not retried");
        let rejected = answer["rejected"].as_str().unwrap_or_default();
        assert!(rejected.contains(expected), "{answer}");
    }
    assert!(
        world.emulator.requests().is_empty(),
        "no listing, no enqueue: {:?}",
        world.emulator.requests()
    );
}

#[tokio::test]
async fn the_sweeps_jobs_carry_the_events_id_not_the_request_id() {
    let world = World::start().await;
    let event = sample("scheduled-sweep.json");
    let event_id = event["id"].as_str().expect("an id").to_owned();
    world
        .reconciler(WaitPolicy::default())
        .handle(lambda_event(event, LAMBDA_TIMEOUT))
        .await
        .expect("a sweep");
    let jobs = world.queued_jobs().await;
    assert!(!jobs.is_empty());
    for job in &jobs {
        assert_eq!(job.event_id.as_deref(), Some(event_id.as_str()), "{job:?}");
    }
}

#[tokio::test]
async fn a_sweep_that_cannot_list_an_account_enqueues_the_rest_and_fails() {
    let world = World::start_with(member_unreachable).await;
    let result = world
        .reconciler(WaitPolicy::default())
        .handle(lambda_event(sample("scheduled-sweep.json"), LAMBDA_TIMEOUT))
        .await;
    let Err(error) = result else {
        panic!("the invocation fails: {result:?}");
    };
    let InvocationError::Incomplete { kind, failures, .. } = &error else {
        panic!("incomplete: {error:?}");
    };
    assert_eq!(*kind, FailureKind::AccessDenied);
    assert!(failures.iter().all(|f| f.contains(MEMBER)), "{failures:?}");
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "AccessDenied");
    assert!(diagnostic.error_message.contains(MEMBER), "{diagnostic:?}");
    // What was found was enqueued anyway.
    assert_eq!(world.queued_clusters().await, [cluster_arn(HUB, "hub-1")]);
}

#[tokio::test]
async fn a_sweep_that_cannot_enqueue_fails_retryable() {
    let world = World::start().await;
    let reconciler = Reconciler::new(
        world.ctx.fresh(),
        Arc::new(ThrottledQueue),
        WaitPolicy::default(),
    );
    let error = reconciler
        .handle(lambda_event(sample("scheduled-sweep.json"), LAMBDA_TIMEOUT))
        .await
        .expect_err("the Scheduler must retry");
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "Retryable");
    assert!(
        diagnostic.error_message.contains("SendMessageBatch"),
        "{diagnostic:?}"
    );
}

#[tokio::test]
async fn cluster_bootstrap_failures_reach_lambda_with_their_error_type() {
    let world = World::start_with(member_unreachable).await;
    let event = prod_eu_created(&world).await;
    let error = world
        .cluster_bootstrap()
        .handle(event)
        .await
        .expect_err("describing the cluster is denied");
    assert_eq!(Diagnostic::from(error).error_type, "AccessDenied");
    assert!(world.queued_clusters().await.is_empty());
}

#[tokio::test]
async fn a_permanent_failure_finishes_its_message_and_the_batch_goes_on() {
    let world = World::start_with(member_unreachable).await;
    enqueue(&world, &[(MEMBER, "prod-a"), (HUB, "hub-1")]).await;
    let batch = world.deliver().await;
    assert_eq!(batch.records.len(), 2);
    let reconciler = world.reconciler(WaitPolicy::default());
    let items = reconciler.process_batch(&batch, None).await;
    let prod_a = &items[0];
    let MessageOutcome::Failed { reason } = &prod_a.outcome else {
        panic!("prod-a fails: {items:?}");
    };
    assert!(reason.starts_with("permanent"), "{reason}");
    assert!(reason.contains("AccessDenied"), "{reason}");
    assert_eq!(prod_a.disposition, Disposition::Finished, "not redelivered");
    assert!(
        matches!(&items[1].outcome, MessageOutcome::Done { cluster, .. } if cluster.arn() == cluster_arn(HUB, "hub-1")),
        "{items:?}"
    );
    let answer = reconciler.handle_batch(&batch, None).await;
    assert!(answer.batch_item_failures.is_empty(), "{answer:?}");
}

#[tokio::test]
async fn nothing_is_started_once_the_deadline_is_within_the_margin() {
    let world = World::start().await;
    enqueue(&world, &[(MEMBER, "prod-a"), (MEMBER, "prod-b")]).await;
    let batch = world.deliver().await;
    world.emulator.clear_requests();
    let reconciler = world.reconciler(WaitPolicy::default());
    let event = lambda_event(
        serde_json::to_value(&batch).expect("json"),
        DEADLINE_MARGIN - Duration::from_secs(1),
    );
    let answer = reconciler.handle(event).await.expect("a batch response");
    let mut ids: Vec<String> = batch
        .records
        .iter()
        .filter_map(|m| m.message_id.clone())
        .collect();
    let mut failed = failed_items(&answer);
    ids.sort();
    failed.sort();
    assert_eq!(failed, ids, "every message reported unprocessed");
    assert!(
        world.emulator.requests().is_empty(),
        "no call made: {:?}",
        world.emulator.requests()
    );
}

#[tokio::test]
async fn reconciles_still_running_at_the_deadline_are_abandoned_and_reported() {
    let world = World::start().await;
    enqueue(&world, &[(MEMBER, "prod-a"), (MEMBER, "prod-b")]).await;
    let batch = world.deliver().await;
    world.emulator.set_faults(Faults {
        latency_ms: 400,
        ..Faults::default()
    });
    let reconciler = world.reconciler(WaitPolicy::default());
    let started = Instant::now();
    let event = lambda_event(
        serde_json::to_value(&batch).expect("json"),
        DEADLINE_MARGIN + Duration::from_millis(600),
    );
    let answer = reconciler.handle(event).await.expect("a batch response");
    let elapsed = started.elapsed();
    assert_eq!(failed_items(&answer).len(), 2, "{answer}");
    assert!(
        elapsed < Duration::from_secs(3),
        "answered at the cutoff, well before the deadline: {elapsed:?}"
    );
}

#[tokio::test]
async fn messages_of_different_groups_are_reconciled_concurrently() {
    let world = World::start().await;
    world.converge().await;
    let managed: Vec<String> = managed_arns();
    enqueue(
        &world,
        &[(HUB, "hub-1"), (MEMBER, "prod-a"), (MEMBER, "prod-b")],
    )
    .await;
    let batch = world.deliver().await;
    assert_eq!(batch.records.len(), managed.len());
    world.emulator.set_faults(Faults {
        latency_ms: 100,
        ..Faults::default()
    });
    let batch = &batch;
    let timed = |reconciler: Reconciler| async move {
        let started = Instant::now();
        let items = reconciler.process_batch(batch, None).await;
        assert!(
            items.iter().all(|i| i.disposition == Disposition::Finished),
            "{items:?}"
        );
        started.elapsed()
    };
    let one_at_a_time = timed(world.reconciler(WaitPolicy::default()).with_concurrency(1)).await;
    let concurrent = timed(world.reconciler(WaitPolicy::default())).await;
    assert!(
        concurrent.as_secs_f64() < one_at_a_time.as_secs_f64() * 0.7,
        "concurrent {concurrent:?} vs sequential {one_at_a_time:?}"
    );
}
