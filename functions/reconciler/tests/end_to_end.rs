//! End-to-end handler tests: sample events from `events/` go through group-sync and
//! cluster-bootstrap, which enqueue jobs on a real SQS FIFO queue on the emulator; the reconciler
//! receives them as Lambda's event source mapping would deliver them and reconciles through the
//! production SDK adapters. Assertions read the emulator's state and request log.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod support;

use std::collections::BTreeMap;

use cluster_bootstrap::handler::BootstrapAction;
use eks_sso_sync::domain::ClusterRef;
use eks_sso_sync::ports::{JobQueue, ReconcileJob};
use reconciler::batch::{Disposition, ItemReport};
use reconciler::handler::{MessageOutcome, WaitPolicy};
use support::triggers::{assignment_created, membership_added, prod_eu_created};
use support::{
    HUB, LAMBDA_TIMEOUT, MANAGED, MEMBER, World, arns, cluster_arn, lambda_event, managed_arns,
    payments_policies, policies, sample, sorted, sso_entry, time_now,
};

#[tokio::test]
async fn a_membership_added_reconciles_the_groups_clusters_and_records_the_onboarding() {
    let world = World::start().await;
    let group = world.group_id("payments-devs").await;
    let bo = world.user_id("bo").await;
    let event = membership_added(&world, &group, &bo).await;

    let outcome = world.group_sync().handle(event).await.expect("handled");

    // PaymentsDeveloper is assigned to the group in both accounts: every managed cluster.
    assert_eq!(arns(&outcome.clusters), managed_arns());
    assert_eq!(world.queued_clusters().await, managed_arns());
    let onboarding = outcome.onboarding.expect("an onboarding record");
    assert_eq!(
        onboarding.user_id.as_ref().map(|u| u.as_str()),
        Some(bo.as_str())
    );
    assert_eq!(onboarding.group_id.as_str(), group);
    let reached: Vec<ClusterRef> = onboarding
        .access
        .iter()
        .map(|g| g.cluster.clone())
        .collect();
    assert_eq!(arns(&reached), managed_arns());
    for grant in &onboarding.access {
        assert_eq!(grant.permission_set.to_string(), "PaymentsDeveloper");
        assert_eq!(grant.rules.iter().collect::<Vec<_>>(), ["payments"]);
        let names: Vec<&str> = grant.policies.keys().map(|p| p.name()).collect();
        assert_eq!(names, ["AmazonEKSEditPolicy", "AmazonEKSViewPolicy"]);
    }

    let reconciled = world.drain(&world.reconciler(WaitPolicy::default())).await;
    assert_eq!(sorted(reconciled), managed_arns());
    for (account, name) in MANAGED {
        let entries = world.entries(account, name);
        let payments = sso_entry(&entries, "PaymentsDeveloper").expect("payments entry");
        assert_eq!(payments.kubernetes_groups, ["payments-devs"]);
        assert_eq!(policies(payments), payments_policies());
        assert!(payments.live);
        let grant = onboarding
            .access
            .iter()
            .find(|g| g.cluster.name.as_str() == name);
        assert_eq!(
            grant.map(|g| g.principal.to_string()).as_deref(),
            Some(payments.principal_arn.as_str()),
            "the onboarding record names the entry's principal"
        );
        // EKSPlatformAdmin is assigned in the member account only.
        assert_eq!(
            sso_entry(&entries, "EKSPlatformAdmin").is_some(),
            account == MEMBER
        );
    }
    assert!(sso_entry(&world.entries(MEMBER, "unmanaged"), "PaymentsDeveloper").is_none());
}

#[tokio::test]
async fn an_assignment_of_a_new_permission_set_gives_its_new_role_an_entry() {
    let world = World::start().await;
    world.converge().await;
    assert!(sso_entry(&world.entries(MEMBER, "prod-a"), "EKSReadOnly").is_none());
    let event = assignment_created(&world, "EKSReadOnly", "auditors").await;
    world.emulator.clear_requests();

    let outcome = world.group_sync().handle(event).await.expect("handled");
    let member_clusters = vec![cluster_arn(MEMBER, "prod-a"), cluster_arn(MEMBER, "prod-b")];
    assert_eq!(arns(&outcome.clusters), member_clusters);
    assert!(outcome.onboarding.is_none());
    let reconciled = world.drain(&world.reconciler(WaitPolicy::default())).await;
    assert_eq!(sorted(reconciled), member_clusters);

    for name in ["prod-a", "prod-b"] {
        let entries = world.entries(MEMBER, name);
        let readonly = sso_entry(&entries, "EKSReadOnly").expect("the new role's entry");
        assert!(readonly.kubernetes_groups.is_empty());
        assert_eq!(
            policies(readonly),
            BTreeMap::from([("AmazonEKSViewPolicy".to_owned(), "cluster".to_owned())])
        );
    }
    assert!(sso_entry(&world.entries(HUB, "hub-1"), "EKSReadOnly").is_none());
    // The converged entries were left alone: one new entry and one policy per member cluster.
    let mut eks_writes: BTreeMap<String, usize> = BTreeMap::new();
    for write in world.writes().into_iter().filter(|w| w.service == "eks") {
        *eks_writes.entry(write.operation).or_default() += 1;
    }
    assert_eq!(
        eks_writes,
        BTreeMap::from([
            ("AssociateAccessPolicy".to_owned(), 2),
            ("CreateAccessEntry".to_owned(), 2)
        ])
    );
}

#[tokio::test]
async fn a_new_cluster_is_waited_for_durably_then_converges_once_active() {
    let world = World::start().await;
    let event = prod_eu_created(&world).await;
    let prod_eu = cluster_arn(MEMBER, "prod-eu");

    let outcome = world
        .cluster_bootstrap()
        .handle(event)
        .await
        .expect("handled");
    assert!(
        matches!(&outcome.action, BootstrapAction::Enqueued { cluster } if cluster.arn() == prod_eu),
        "{outcome:?}"
    );

    let reconciler = world.reconciler(WaitPolicy::default());
    world.emulator.clear_requests();
    let first = world.deliver().await;
    let outcomes = reconciler.process_batch(&first, None).await;
    let delay = WaitPolicy::default().delay(1);
    assert!(
        matches!(outcomes.as_slice(), [ItemReport { outcome: MessageOutcome::Waiting { cluster, delay_secs }, disposition: Disposition::Redeliver, .. }]
            if cluster.arn() == prod_eu && *delay_secs == delay),
        "{outcomes:?}"
    );
    let writes: Vec<String> = world
        .writes()
        .iter()
        .map(|w| format!("{}:{}", w.service, w.operation))
        .collect();
    assert_eq!(
        writes,
        ["sqs:ChangeMessageVisibility"],
        "no access-entry call before ACTIVE"
    );

    // Hidden for the delay (the failed item is not deleted), visible again after it.
    assert!(world.deliver().await.records.is_empty());
    world.emulator.advance_clock(f64::from(delay) / 2.0);
    assert!(world.deliver().await.records.is_empty());
    world.emulator.advance_clock(600.0);
    let second = world.deliver().await;
    assert_eq!(second.records.len(), 1);
    let count = second.records[0].attributes.get("ApproximateReceiveCount");
    assert_eq!(count.map(String::as_str), Some("2"));
    let outcomes = reconciler.process_batch(&second, None).await;
    assert!(
        matches!(outcomes.as_slice(), [ItemReport { outcome: MessageOutcome::Done { cluster, .. }, disposition: Disposition::Finished, .. }] if cluster.arn() == prod_eu),
        "{outcomes:?}"
    );
    let entries = world.entries(MEMBER, "prod-eu");
    let payments = sso_entry(&entries, "PaymentsDeveloper").expect("payments entry");
    assert_eq!(policies(payments), payments_policies());
    assert!(sso_entry(&entries, "EKSPlatformAdmin").is_some());
}

#[tokio::test]
async fn a_cluster_that_never_becomes_active_is_given_up_with_its_name() {
    let world = World::start().await;
    let event = prod_eu_created(&world).await;
    let outcome = world
        .cluster_bootstrap()
        .handle(event)
        .await
        .expect("handled");
    assert!(matches!(outcome.action, BootstrapAction::Enqueued { .. }));
    let impatient = WaitPolicy {
        max_wait_secs: 0,
        ..WaitPolicy::default()
    };
    let later = time_now() + 120;
    let reconciler = world.reconciler(impatient).with_clock(move || later);

    let batch = world.deliver().await;
    let outcomes = reconciler.process_batch(&batch, None).await;
    let [
        ItemReport {
            outcome: MessageOutcome::Failed { reason },
            disposition: Disposition::Redeliver,
            ..
        },
    ] = outcomes.as_slice()
    else {
        panic!("one failed message: {outcomes:?}");
    };
    assert!(reason.contains(&cluster_arn(MEMBER, "prod-eu")), "{reason}");
    assert!(reason.contains("CREATING"), "{reason}");
    // Made visible at once, so that the redrive policy moves it to the DLQ without delay.
    assert_eq!(world.deliver().await.records.len(), 1);
    assert!(
        world
            .writes()
            .iter()
            .all(|w| w.service != "eks" || w.operation == "CreateCluster")
    );
}

#[tokio::test]
async fn a_poisoned_message_fails_alone_and_the_rest_of_the_batch_is_reconciled() {
    let world = World::start().await;
    let jobs: Vec<ReconcileJob> = ["prod-a", "prod-b"]
        .iter()
        .map(|name| {
            let cluster = ClusterRef::from_arn(&cluster_arn(MEMBER, name)).expect("cluster ARN");
            ReconcileJob::new(cluster, "test", None, time_now())
        })
        .collect();
    world.queue.enqueue(&jobs).await.expect("enqueued");
    world
        .sqs
        .send_message()
        .queue_url(world.queue.queue_url())
        .message_body(r#"{"cluster": "not a cluster"}"#)
        .message_group_id("poison")
        .message_deduplication_id("poison-1")
        .send()
        .await
        .expect("SendMessage");

    let batch = world.deliver().await;
    assert_eq!(batch.records.len(), 3);
    let poisoned = batch
        .records
        .iter()
        .find(|m| m.attributes.get("MessageGroupId").map(String::as_str) == Some("poison"))
        .and_then(|m| m.message_id.clone())
        .expect("the poisoned message");
    // Through `handle`, as Lambda calls it: the answer is the SqsBatchResponse wire shape.
    let reconciler = world.reconciler(WaitPolicy::default());
    let answer = reconciler
        .handle(lambda_event(
            serde_json::to_value(&batch).expect("json"),
            LAMBDA_TIMEOUT,
        ))
        .await
        .expect("an SQS batch");
    let failed: Vec<&str> = answer["batchItemFailures"]
        .as_array()
        .expect("batchItemFailures")
        .iter()
        .filter_map(|f| f["itemIdentifier"].as_str())
        .collect();
    assert_eq!(failed, [poisoned.as_str()]);
    // Made visible again at once, so that it reaches maxReceiveCount (and the DLQ) in seconds.
    world
        .acknowledge(
            &batch,
            &serde_json::from_value(answer).expect("a batch response"),
        )
        .await;
    let again = world.deliver().await;
    assert_eq!(
        again
            .records
            .iter()
            .map(|m| m.message_id.clone())
            .collect::<Vec<_>>(),
        [Some(poisoned.clone())],
        "only the poisoned message is back, without waiting for its visibility timeout"
    );

    for name in ["prod-a", "prod-b"] {
        let entries = world.entries(MEMBER, name);
        assert!(
            sso_entry(&entries, "PaymentsDeveloper").is_some(),
            "{name} reconciled"
        );
    }
    assert!(
        sso_entry(&world.entries(HUB, "hub-1"), "PaymentsDeveloper").is_none(),
        "no job, no change"
    );
}

#[tokio::test]
async fn the_sweep_repairs_drift_made_behind_its_back() {
    let world = World::start().await;
    let reconciler = world.reconciler(WaitPolicy::default());
    let summary = reconciler
        .handle(lambda_event(sample("scheduled-sweep.json"), LAMBDA_TIMEOUT))
        .await
        .expect("a sweep");
    let swept: Vec<ClusterRef> =
        serde_json::from_value(summary["clusters"].clone()).expect("the swept clusters");
    assert_eq!(
        arns(&swept),
        managed_arns(),
        "every managed cluster, not `unmanaged`"
    );
    world.drain(&reconciler).await;
    let converged: Vec<_> = MANAGED.iter().map(|(a, n)| world.entries(a, n)).collect();

    let eks = aws_sdk_eks::Client::new(&world.member);
    let prod_a = world.entries(MEMBER, "prod-a");
    let payments_a = sso_entry(&prod_a, "PaymentsDeveloper").expect("entry");
    eks.disassociate_access_policy()
        .cluster_name("prod-a")
        .principal_arn(&payments_a.principal_arn)
        .policy_arn("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
        .send()
        .await
        .expect("DisassociateAccessPolicy");
    let prod_b = world.entries(MEMBER, "prod-b");
    let payments_b = sso_entry(&prod_b, "PaymentsDeveloper").expect("entry");
    eks.update_access_entry()
        .cluster_name("prod-b")
        .principal_arn(&payments_b.principal_arn)
        .kubernetes_groups("intruders")
        .send()
        .await
        .expect("UpdateAccessEntry");
    let hub_1 = world.entries(HUB, "hub-1");
    let payments_hub = sso_entry(&hub_1, "PaymentsDeveloper").expect("entry");
    aws_sdk_eks::Client::new(&world.hub)
        .delete_access_entry()
        .cluster_name("hub-1")
        .principal_arn(&payments_hub.principal_arn)
        .send()
        .await
        .expect("DeleteAccessEntry");
    assert_ne!(world.entries(MEMBER, "prod-b"), converged[2]);

    let summary = reconciler.sweep(Some("sweep-2".to_owned())).await;
    assert_eq!(arns(&summary.clusters), managed_arns());
    world.drain(&reconciler).await;
    let repaired: Vec<_> = MANAGED.iter().map(|(a, n)| world.entries(a, n)).collect();
    assert_eq!(repaired, converged);
}

#[tokio::test]
async fn cluster_events_the_mapping_does_not_act_on_enqueue_nothing() {
    let world = World::start().await;
    let bootstrap = world.cluster_bootstrap();
    // An untagged cluster: not managed.
    let mut event = sample("eks-create-cluster.json");
    event["detail"]["requestParameters"]["name"] = "unmanaged".into();
    event["detail"]["responseElements"]["cluster"]["name"] = "unmanaged".into();
    event["detail"]["responseElements"]["cluster"]["arn"] = cluster_arn(MEMBER, "unmanaged").into();
    let outcome = bootstrap.handle(event).await.expect("handled");
    assert!(
        matches!(&outcome.action, BootstrapAction::NotManaged { cluster } if cluster.name.as_str() == "unmanaged"),
        "{outcome:?}"
    );
    // A cluster that no longer exists (the event names prod-eu, never created here).
    let outcome = bootstrap
        .handle(sample("eks-tag-resource.json"))
        .await
        .expect("handled");
    assert!(
        matches!(outcome.action, BootstrapAction::Nothing { .. }),
        "{outcome:?}"
    );
    // A deleted cluster took its entries with it.
    let outcome = bootstrap
        .handle(sample("eks-delete-cluster.json"))
        .await
        .expect("handled");
    let BootstrapAction::Nothing { reason } = &outcome.action else {
        panic!("nothing to do: {outcome:?}");
    };
    assert!(reason.contains("deleted"), "{reason}");
    assert!(world.queued_clusters().await.is_empty());
    assert!(
        world
            .writes()
            .iter()
            .all(|w| w.service == "sqs" && w.operation == "CreateQueue")
    );
}
