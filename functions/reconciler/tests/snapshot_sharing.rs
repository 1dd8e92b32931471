//! Identity Center read once per sweep, not once per batch, counted in the emulator's request
//! log: the batches of one sweep share a warm container's snapshot, an event-driven job reads
//! fresh (and sees the change that triggered it), and a new sweep reads again.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod support;

use eks_sso_sync::domain::ClusterRef;
use eks_sso_sync::ports::{JobQueue, ReconcileJob};
use reconciler::handler::{Reconciler, WaitPolicy};
use reconciler::local::LocalEventSource;
use support::triggers::assignment_created;
use support::{MEMBER, World, sso_entry, time_now};

/// Calls of `service:operation` in the request log since the last clear.
fn calls(world: &World, service: &str, operation: &str) -> usize {
    world
        .emulator
        .requests()
        .iter()
        .filter(|r| r.service == service && r.operation == operation)
        .count()
}

/// One delivery of at most `size` messages, handled and acknowledged; every message succeeds.
/// Returns how many messages it held.
async fn batch_of(world: &World, reconciler: &Reconciler, size: usize) -> usize {
    let source = LocalEventSource::new(world.sqs.clone(), world.queue.queue_url());
    let batch = source.receive_up_to(size).await.expect("ReceiveMessage");
    let response = reconciler.handle_batch(&batch, None).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "every job succeeds: {:?}",
        response.batch_item_failures
    );
    world.acknowledge(&batch, &response).await;
    batch.records.len()
}

#[tokio::test]
async fn two_batches_of_one_sweep_read_identity_center_once_and_eks_per_cluster() {
    let world = World::start().await;
    let reconciler = world.reconciler(WaitPolicy::default());
    let summary = reconciler
        .run_sweep(Some("sweep-1".into()), time_now())
        .await;
    assert!(summary.is_ok(), "{summary:?}");
    world.emulator.clear_requests();

    let first = batch_of(&world, &reconciler, 1).await;
    let rest = batch_of(&world, &reconciler, 10).await;
    assert_eq!(first, 1);
    assert!(rest >= 2, "the sweep's other jobs, in a second batch");

    assert_eq!(calls(&world, "sso", "ListInstances"), 1);
    assert_eq!(calls(&world, "sso", "ListPermissionSets"), 1);
    // Each account's assignments and SSO roles once, however many batches reach it.
    let accounts = 2;
    assert_eq!(
        calls(&world, "sso", "ListPermissionSetsProvisionedToAccount"),
        accounts
    );
    assert_eq!(calls(&world, "iam", "ListRoles"), accounts);
    // EKS state stays fresh: every reconcile describes its own cluster.
    assert_eq!(calls(&world, "eks", "DescribeCluster"), first + rest);
}

#[tokio::test]
async fn an_event_driven_job_reads_fresh_and_sees_the_change_that_triggered_it() {
    let world = World::start().await;
    let reconciler = world.reconciler(WaitPolicy::default());
    reconciler
        .run_sweep(Some("sweep-1".into()), time_now())
        .await
        .expect("sweep");
    while batch_of(&world, &reconciler, 10).await > 0 {}
    assert!(sso_entry(&world.entries(MEMBER, "prod-a"), "EKSReadOnly").is_none());

    // The change, after the container's snapshot was read.
    let event = assignment_created(&world, "EKSReadOnly", "auditors").await;
    world.group_sync().handle(event).await.expect("group-sync");
    world.emulator.clear_requests();
    while batch_of(&world, &reconciler, 10).await > 0 {}

    assert_eq!(calls(&world, "sso", "ListPermissionSets"), 1, "read fresh");
    for cluster in ["prod-a", "prod-b"] {
        assert!(
            sso_entry(&world.entries(MEMBER, cluster), "EKSReadOnly").is_some(),
            "{cluster} got the new assignment's entry"
        );
    }
}

#[tokio::test]
async fn a_new_sweep_reads_identity_center_again() {
    let world = World::start().await;
    let reconciler = world.reconciler(WaitPolicy::default());
    for (i, sweep) in ["sweep-1", "sweep-2"].into_iter().enumerate() {
        reconciler
            .run_sweep(Some(sweep.into()), time_now())
            .await
            .expect("sweep");
        world.emulator.clear_requests();
        while batch_of(&world, &reconciler, 10).await > 0 {}
        assert_eq!(
            calls(&world, "sso", "ListPermissionSets"),
            1,
            "sweep {} reads its own snapshot",
            i + 1
        );
    }
}

#[tokio::test]
async fn a_job_enqueued_without_a_generation_never_uses_the_sweeps_snapshot() {
    let world = World::start().await;
    let reconciler = world.reconciler(WaitPolicy::default());
    reconciler
        .run_sweep(Some("sweep-1".into()), time_now())
        .await
        .expect("sweep");
    while batch_of(&world, &reconciler, 10).await > 0 {}
    let cluster = ClusterRef::from_arn(&support::cluster_arn(MEMBER, "prod-a")).expect("arn");
    let job = ReconcileJob::new(cluster, "cluster-created", Some("ev-1".into()), time_now());
    world.queue.enqueue(&[job]).await.expect("enqueue");
    world.emulator.clear_requests();
    assert_eq!(batch_of(&world, &reconciler, 10).await, 1);
    assert_eq!(calls(&world, "sso", "ListPermissionSets"), 1);
}

/// Read only what can change a decision: on a converged cluster, every entry is described, but
/// policies are listed only for managed entries and for holders of an admin-class policy (found
/// with one `ListAccessEntries(associatedPolicyArn)` per admin policy).
#[tokio::test]
async fn policies_are_listed_only_for_managed_entries_and_admin_holders() {
    let world = World::start().await;
    world.converge().await;
    // Someone else's plain entry (a CI role with View in one namespace): unmanaged, no admin.
    let eks = aws_sdk_eks::Client::new(&world.member);
    let ci = format!("arn:aws:iam::{MEMBER}:role/eks-sso-sync-target");
    eks.create_access_entry()
        .cluster_name("prod-a")
        .principal_arn(&ci)
        .send()
        .await
        .expect("CreateAccessEntry");
    eks.associate_access_policy()
        .cluster_name("prod-a")
        .principal_arn(&ci)
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
        .access_scope(
            aws_sdk_eks::types::AccessScope::builder()
                .r#type(aws_sdk_eks::types::AccessScopeType::Namespace)
                .namespaces("ci")
                .build(),
        )
        .send()
        .await
        .expect("AssociateAccessPolicy");
    let reconciler = world.reconciler(WaitPolicy::default());
    let cluster = ClusterRef::from_arn(&support::cluster_arn(MEMBER, "prod-a")).expect("arn");
    let job = ReconcileJob::new(cluster, "check", Some("ev-2".into()), time_now());
    world.queue.enqueue(&[job]).await.expect("enqueue");
    world.emulator.clear_requests();
    assert_eq!(batch_of(&world, &reconciler, 10).await, 1);

    let entries = world.entries(MEMBER, "prod-a");
    let decisive = entries
        .iter()
        .filter(|e| {
            e.tags.contains_key("eks-sso-sync:managed")
                || e.policies.keys().any(|p| {
                    p.ends_with("/AmazonEKSClusterAdminPolicy")
                        || p.ends_with("/AmazonEKSAdminPolicy")
                })
        })
        .count();
    assert!(
        decisive < entries.len(),
        "the seed has plain unmanaged entries"
    );
    assert_eq!(calls(&world, "eks", "DescribeAccessEntry"), entries.len());
    assert_eq!(
        calls(&world, "eks", "ListAssociatedAccessPolicies"),
        decisive
    );
    // All entries, then the holders of ClusterAdmin and of Admin.
    assert_eq!(calls(&world, "eks", "ListAccessEntries"), 3);
    assert!(world.writes().iter().all(|w| w.service != "eks"), "in sync");
}
