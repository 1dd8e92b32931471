//! Drift repair end to end on the emulator: someone changes an access entry behind eks-sso-sync's
//! back through the SDK, the CloudTrail record of it (a sample from `events/`, patched with what
//! the emulator holds) goes through cluster-bootstrap onto the real SQS FIFO queue, and the
//! reconciler repairs the cluster — one job, for that one cluster. The same change made by
//! eks-sso-sync's own session produces no job; an admin entry made by someone else is reported
//! with who made it and when, and left alone. (Replica copies of one Identity Center event are
//! group-sync's: `functions/group-sync/tests/handler.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod support;

use std::time::{Duration, Instant};

use cluster_bootstrap::handler::BootstrapAction;
use reconciler::batch::ItemReport;
use reconciler::handler::{MessageOutcome, WaitPolicy};
use serde_json::{Value, json};
use support::{
    HOME, HUB, MEMBER, World, cluster_arn, payments_policies, policies, sample, sso_entry,
};

/// Who changes entries by hand in these tests: the person of the samples.
const ALICE: &str = "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_EKSPlatformAdmin_1a2b3c4d5e6f7a8b/alice@example.com";
const EDIT: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";
const CLUSTER_ADMIN: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

/// `value` percent-encoded as CloudTrail records URI path parameters.
fn encoded(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The access-entry `sample` as the member account's trail records a call on `cluster` for
/// `principal` (patched in the places the sample names them).
fn record(sample_file: &str, cluster: &str, principal: &str) -> Value {
    let mut event = sample(sample_file);
    event["account"] = json!(MEMBER);
    event["region"] = json!(HOME);
    let detail = &mut event["detail"];
    detail["recipientAccountId"] = json!(MEMBER);
    detail["awsRegion"] = json!(HOME);
    detail["requestParameters"]["name"] = json!(cluster);
    detail["requestParameters"]["principalArn"] = json!(encoded(principal));
    event
}

/// The principal ARN of the managed `PaymentsDeveloper` entry on `cluster` of the member account.
fn payments_principal(world: &World, cluster: &str) -> String {
    sso_entry(&world.entries(MEMBER, cluster), "PaymentsDeveloper")
        .expect("a converged payments entry")
        .principal_arn
        .clone()
}

fn eks(world: &World) -> aws_sdk_eks::Client {
    aws_sdk_eks::Client::new(&world.member)
}

/// Hands `event` to cluster-bootstrap, which must enqueue a job for `cluster` of the member
/// account; returns the job's reason.
async fn drift_enqueued(world: &World, event: Value, cluster: &str) -> String {
    let outcome = world
        .cluster_bootstrap()
        .handle(event.clone())
        .await
        .expect("handled");
    let arn = cluster_arn(MEMBER, cluster);
    assert!(
        matches!(&outcome.action, BootstrapAction::Enqueued { cluster } if cluster.arn() == arn),
        "{outcome:?}"
    );
    let jobs = world.queued_jobs().await;
    let [job] = jobs.as_slice() else {
        panic!("one job for the one cluster: {jobs:?}");
    };
    assert_eq!(job.cluster.arn(), arn);
    assert_eq!(
        job.event_id.as_deref(),
        event["id"].as_str(),
        "the trigger id is the event's"
    );
    job.reason.clone()
}

#[tokio::test]
async fn a_deleted_managed_entry_is_back_one_reconcile_after_its_event() {
    let world = World::start().await;
    world.converge().await;
    let principal = payments_principal(&world, "prod-a");
    eks(&world)
        .delete_access_entry()
        .cluster_name("prod-a")
        .principal_arn(&principal)
        .send()
        .await
        .expect("DeleteAccessEntry");
    assert!(sso_entry(&world.entries(MEMBER, "prod-a"), "PaymentsDeveloper").is_none());
    world.emulator.clear_requests();

    let started = Instant::now();
    let event = record("eks-delete-access-entry.json", "prod-a", &principal);
    let reason = drift_enqueued(&world, event, "prod-a").await;
    assert_eq!(reason, format!("drift: DeleteAccessEntry by {ALICE}"));
    let reconciled = world.drain(&world.reconciler(WaitPolicy::default())).await;
    let latency = started.elapsed();

    assert_eq!(reconciled, [cluster_arn(MEMBER, "prod-a")]);
    let entries = world.entries(MEMBER, "prod-a");
    let payments = sso_entry(&entries, "PaymentsDeveloper").expect("the entry is back");
    assert_eq!(payments.principal_arn, principal);
    assert_eq!(policies(payments), payments_policies());
    assert!(payments.live);
    // The repair, and nothing on any other cluster.
    let writes: Vec<String> = world
        .writes()
        .into_iter()
        .filter(|w| w.service == "eks")
        .map(|w| w.operation)
        .collect();
    assert_eq!(
        writes,
        [
            "CreateAccessEntry",
            "AssociateAccessPolicy",
            "AssociateAccessPolicy"
        ]
    );
    eprintln!("drift repair, event to repaired entry (emulator, no injected latency): {latency:?}");
}

#[tokio::test]
async fn a_disassociated_policy_is_associated_again() {
    let world = World::start().await;
    world.converge().await;
    let principal = payments_principal(&world, "prod-b");
    eks(&world)
        .disassociate_access_policy()
        .cluster_name("prod-b")
        .principal_arn(&principal)
        .policy_arn(EDIT)
        .send()
        .await
        .expect("DisassociateAccessPolicy");
    world.emulator.clear_requests();

    let started = Instant::now();
    let mut event = record("eks-disassociate-access-policy.json", "prod-b", &principal);
    event["detail"]["requestParameters"]["policyArn"] = json!(encoded(EDIT));
    let reason = drift_enqueued(&world, event, "prod-b").await;
    assert!(
        reason.starts_with("drift: DisassociateAccessPolicy by "),
        "{reason}"
    );
    let reconciled = world.drain(&world.reconciler(WaitPolicy::default())).await;
    let latency = started.elapsed();

    assert_eq!(reconciled, [cluster_arn(MEMBER, "prod-b")]);
    let entries = world.entries(MEMBER, "prod-b");
    let payments = sso_entry(&entries, "PaymentsDeveloper").expect("payments entry");
    assert_eq!(policies(payments), payments_policies());
    let writes: Vec<String> = world
        .writes()
        .into_iter()
        .filter(|w| w.service == "eks")
        .map(|w| w.operation)
        .collect();
    assert_eq!(writes, ["AssociateAccessPolicy"], "only the missing policy");
    eprintln!(
        "drift repair, event to repaired policy (emulator, no injected latency): {latency:?}"
    );
}

#[tokio::test]
async fn the_same_change_by_eks_sso_syncs_own_session_enqueues_nothing() {
    let world = World::start().await;
    world.converge().await;
    let principal = payments_principal(&world, "prod-a");
    eks(&world)
        .delete_access_entry()
        .cluster_name("prod-a")
        .principal_arn(&principal)
        .send()
        .await
        .expect("DeleteAccessEntry");
    world.emulator.clear_requests();

    let event = record(
        "ignored-eks-own-session-delete-access-entry.json",
        "prod-a",
        &principal,
    );
    let outcome = world
        .cluster_bootstrap()
        .handle(event)
        .await
        .expect("handled");
    let BootstrapAction::Nothing { reason } = &outcome.action else {
        panic!("{outcome:?}");
    };
    assert!(
        reason.starts_with("ignored: ") && reason.contains("eks-sso-sync-reconciler"),
        "{reason}"
    );
    assert!(world.queued_jobs().await.is_empty(), "no job: no loop");
    let calls: Vec<String> = world
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.service != "sqs")
        .map(|r| format!("{}:{}", r.service, r.operation))
        .collect();
    assert!(calls.is_empty(), "not even a read: {calls:?}");
}

#[tokio::test]
async fn an_admin_entry_made_by_hand_is_reported_with_who_and_when_and_left_alone() {
    let world = World::start().await;
    world.converge().await;
    // The hub's CI role, given cluster-admin on a member cluster by hand.
    let intruder = format!("arn:aws:iam::{HUB}:role/ci-deployer");
    let client = eks(&world);
    client
        .create_access_entry()
        .cluster_name("prod-a")
        .principal_arn(&intruder)
        .send()
        .await
        .expect("CreateAccessEntry");
    client
        .associate_access_policy()
        .cluster_name("prod-a")
        .principal_arn(&intruder)
        .policy_arn(CLUSTER_ADMIN)
        .access_scope(
            aws_sdk_eks::types::AccessScope::builder()
                .r#type(aws_sdk_eks::types::AccessScopeType::Cluster)
                .build(),
        )
        .send()
        .await
        .expect("AssociateAccessPolicy");
    world.emulator.clear_requests();

    let event = record("eks-associate-access-policy.json", "prod-a", &intruder);
    let event_time = event["detail"]["eventTime"].clone();
    drift_enqueued(&world, event, "prod-a").await;
    let reconciler = world.reconciler(WaitPolicy::default());
    let batch = world.deliver().await;
    let items = reconciler.process_batch(&batch, None).await;
    let [
        ItemReport {
            outcome:
                MessageOutcome::Done {
                    changes,
                    unmanaged_admins,
                    ..
                },
            ..
        },
    ] = items.as_slice()
    else {
        panic!("one reconciled message: {items:?}");
    };
    assert_eq!(*changes, 0, "an unmanaged entry is never changed");
    let admin = unmanaged_admins
        .iter()
        .find(|a| a.principal.as_str() == intruder)
        .expect("reported as a shadow admin");
    let made_by = admin.made_by.as_ref().expect("who made it");
    assert_eq!(made_by.by.as_deref(), Some(ALICE));
    assert_eq!(made_by.at.as_deref(), event_time.as_str());
    assert_eq!(made_by.operation, "AssociateAccessPolicy");
    // Only the entry the event named is attributed.
    assert!(
        unmanaged_admins
            .iter()
            .filter(|a| a.principal.as_str() != intruder)
            .all(|a| a.made_by.is_none())
    );
    let entries = world.entries(MEMBER, "prod-a");
    let kept = entries
        .iter()
        .find(|e| e.principal_arn == intruder)
        .expect("left alone");
    assert!(kept.policies.contains_key(CLUSTER_ADMIN));
    assert!(world.writes().iter().all(|w| w.service != "eks"));
}

#[tokio::test]
async fn identity_center_reads_go_to_the_home_region_wherever_the_function_runs() {
    let world = World::start().await;
    // A function deployed in another Region than Identity Center's home (a replica Region):
    // its own SDK configuration points elsewhere, the Identity Center clients must not.
    let elsewhere = eks_sso_sync::aws::sdk_config_for_endpoint(
        world.emulator.endpoint.as_str(),
        &eks_sso_sync::domain::Region::new("us-west-2").expect("region"),
        eks_sso_sync::aws::static_credentials(HUB, "secret"),
    );
    let mapping = world.ctx.mapping.clone();
    let ports = eks_sso_sync::aws::setup::ports(&mapping, &elsewhere).await;
    let ctx = eks_sso_sync::aws::setup::context(mapping, &ports);
    world.emulator.clear_requests();
    let cluster = eks_sso_sync::domain::ClusterRef::from_arn(&cluster_arn(MEMBER, "prod-a"))
        .expect("cluster");
    let options = eks_sso_sync::engine::ReconcileOptions {
        dry_run: true,
        ..Default::default()
    };
    tokio::time::timeout(
        Duration::from_secs(60),
        eks_sso_sync::engine::reconcile_cluster(&cluster, &ctx, &options),
    )
    .await
    .expect("in time")
    .expect("planned");
    let identity_center: Vec<(String, String, String)> = world
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.service == "sso" || r.service == "identitystore")
        .map(|r| (r.service, r.operation, r.region))
        .collect();
    assert!(
        identity_center
            .iter()
            .any(|(_, op, _)| op == "ListAccountAssignments" || op == "ListPermissionSets"),
        "permission sets and assignments were read: {identity_center:?}"
    );
    let astray: Vec<_> = identity_center
        .iter()
        .filter(|(_, _, r)| r != HOME)
        .collect();
    assert!(
        astray.is_empty(),
        "outside the home region {HOME}: {astray:?}"
    );
}
