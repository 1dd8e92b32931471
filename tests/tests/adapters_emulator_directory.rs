//! The Identity Center, STS and SQS adapters against the emulator, through the real SDK
//! clients: every `SsoAdminApi` and `IdentityStoreApi` method, assuming a role into a member
//! account (and reusing it), and the reconcile queue.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod adapters_support;

use std::collections::{BTreeMap, BTreeSet};

use adapters_support::*;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use eks_sso_sync::aws::{SdkIdentityStore, SdkJobQueue, SdkSsoAdmin, caller_account};
use eks_sso_sync::domain::ClusterRef;
use eks_sso_sync::ports::{
    AccountConnector, AssignedPrincipal, IdentityStoreApi, JobQueue, ReconcileJob, SsoAdminApi,
};

#[tokio::test]
async fn identity_center_ports_read_the_directory() {
    let emulator = start().await;
    let config = hub_config(&emulator);
    // One result per page, so every list call has to follow its pagination token.
    let sso = &SdkSsoAdmin::new(aws_sdk_ssoadmin::Client::new(&config)).with_page_size(1);
    let store =
        &SdkIdentityStore::new(aws_sdk_identitystore::Client::new(&config)).with_page_size(1);
    emulator.clear_requests();

    let instances = sso.list_instances().await.expect("ListInstances");
    assert_eq!(instances.len(), 1);
    let (instance, store_id) = (&instances[0].instance_arn, &instances[0].identity_store_id);

    let sets = sso
        .list_permission_sets(instance)
        .await
        .expect("ListPermissionSets");
    let names: Vec<&str> = sets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["Admin", "Admin_Read", "PaymentsDeveloper"]);
    let arn_of = |name: &str| {
        sets.iter()
            .find(|s| s.name.as_str() == name)
            .map(|s| s.arn.clone())
            .expect("permission set")
    };
    let payments = arn_of("PaymentsDeveloper");

    let provisioned = sso
        .permission_sets_provisioned_to_account(instance, &account(HUB))
        .await
        .expect("provisioned");
    assert_eq!(provisioned.len(), 3);
    let accounts = sso
        .accounts_for_permission_set(instance, &payments)
        .await
        .expect("accounts");
    assert_eq!(accounts, vec![account(HUB), account(MEMBER)]);

    let group = group_name("payments-devs");
    let group_id = store
        .group_id(store_id, &group)
        .await
        .expect("GetGroupId")
        .expect("exists");
    assert_eq!(
        store
            .group_name(store_id, &group_id)
            .await
            .expect("DescribeGroup"),
        Some(group.clone())
    );
    assert_eq!(
        store
            .group_id(store_id, &group_name("nobody"))
            .await
            .expect("GetGroupId"),
        None
    );

    let assignments = sso
        .account_assignments(instance, &account(HUB), &payments)
        .await
        .expect("assignments");
    assert_eq!(assignments.len(), 1);
    assert_eq!(
        assignments[0].principal,
        AssignedPrincipal::Group(group_id.clone())
    );
    let for_group = sso
        .assignments_for_principal(instance, &AssignedPrincipal::Group(group_id.clone()))
        .await
        .expect("for principal");
    let targets: Vec<&str> = for_group.iter().map(|a| a.account.as_str()).collect();
    assert_eq!(targets, vec![HUB, MEMBER]);

    let platform_id = store
        .group_id(store_id, &group_name("platform"))
        .await
        .expect("GetGroupId")
        .expect("exists");
    let members = store
        .members_of_group(store_id, &platform_id)
        .await
        .expect("members");
    assert_eq!(members.len(), 2);
    // alice is in both groups, bob only in platform.
    let mut group_counts = Vec::new();
    for member in &members {
        let groups = store
            .groups_of_user(store_id, member)
            .await
            .expect("groups of user");
        assert!(groups.contains(&platform_id));
        group_counts.push(groups.len());
    }
    group_counts.sort_unstable();
    assert_eq!(group_counts, vec![1, 2]);

    let calls = emulator.request_counts();
    for (operation, pages) in [
        ("sso:ListPermissionSets", 3),
        ("sso:ListPermissionSetsProvisionedToAccount", 3),
        ("sso:ListAccountsForProvisionedPermissionSet", 2),
        ("sso:ListAccountAssignmentsForPrincipal", 2),
        ("identitystore:ListGroupMemberships", 2),
        ("identitystore:ListGroupMembershipsForMember", 2),
    ] {
        assert!(
            calls.get(operation) >= Some(&pages),
            "{operation}: {calls:?}"
        );
    }

    // A deleted (or never existing) group is `None`, not an error.
    let unknown = store
        .group_name(
            store_id,
            &"00000000-0000-0000-0000-000000000000".parse().unwrap(),
        )
        .await;
    assert_eq!(unknown.expect("DescribeGroup"), None);
    emulator.shutdown().await;
}

#[tokio::test]
async fn assumed_role_lands_in_the_member_account_and_is_reused() {
    let emulator = start().await;
    let config = hub_config(&emulator);
    let ports = ports(&config).await;
    let connector = ports.connector.as_ref();
    let member = account(MEMBER);

    assert_eq!(
        caller_account(&config).await.expect("hub identity"),
        account(HUB)
    );
    emulator.clear_requests();
    let member_config = connector.account_config(&member).await;
    assert_eq!(
        caller_account(&member_config)
            .await
            .expect("member identity"),
        member
    );

    let eks = connector.eks(&member, &region(HOME)).await.expect("eks");
    assert_eq!(
        eks.list_clusters().await.expect("ListClusters"),
        vec![cluster("member-1")]
    );
    let info = eks
        .describe_cluster(&cluster("member-1"))
        .await
        .expect("describe");
    assert_eq!(info.cluster.account, member);
    let iam = connector.iam(&member).await.expect("iam");
    let role = sso_role(iam.as_ref(), "PaymentsDeveloper").await;
    assert_eq!(role.arn.account(), &member);
    // Clients are cached and credentials too: one AssumeRole (made for GetCallerIdentity above)
    // however many calls follow.
    let again = connector.eks(&member, &region(HOME)).await.expect("eks");
    again.list_clusters().await.expect("ListClusters");
    let counts = emulator.request_counts();
    assert_eq!(counts.get("sts:AssumeRole"), Some(&1), "{counts:?}");
    let landed: BTreeSet<String> = emulator
        .requests()
        .iter()
        .filter(|r| r.service != "sts")
        .map(|r| r.account.clone())
        .collect();
    assert_eq!(landed, BTreeSet::from([MEMBER.to_owned()]));
    emulator.shutdown().await;
}

fn job(name: &str, event_id: &str) -> ReconcileJob {
    ReconcileJob {
        cluster: ClusterRef::new(account(HUB), region(HOME), cluster(name)),
        reason: "group-membership".to_owned(),
        event_id: Some(event_id.to_owned()),
        first_enqueued_at: 1_700_000_000,
        attempt: 0,
        creator: None,
        generation: None,
        change_id: None,
        entry_change: None,
    }
}

#[tokio::test]
async fn jobs_are_enqueued_in_batches_grouped_by_cluster_and_deduplicated() {
    let emulator = start().await;
    let config = hub_config(&emulator);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue_url = sqs
        .create_queue()
        .queue_name("reconcile.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .expect("CreateQueue")
        .queue_url()
        .expect("queue url")
        .to_owned();
    let queue = SdkJobQueue::new(sqs.clone(), &queue_url);

    let jobs: Vec<ReconcileJob> = (0..12).map(|i| job(&format!("c-{i:02}"), "e-1")).collect();
    emulator.clear_requests();
    queue.enqueue(&jobs).await.expect("enqueue");
    assert_eq!(emulator.request_counts()["sqs:SendMessageBatch"], 2);
    // The same trigger again is deduplicated by SQS.
    queue.enqueue(&jobs[..3]).await.expect("enqueue duplicates");

    let mut received = BTreeMap::new();
    let mut first_handle = None;
    for _ in 0..5 {
        let out = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .send()
            .await
            .expect("ReceiveMessage");
        for message in out.messages() {
            let body: ReconcileJob =
                serde_json::from_str(message.body().expect("body")).expect("job JSON");
            let group = message
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
                .cloned();
            assert_eq!(group, Some(body.cluster.arn()));
            first_handle = first_handle.or_else(|| message.receipt_handle().map(str::to_owned));
            assert!(
                received.insert(body.cluster.arn(), body).is_none(),
                "duplicate delivery"
            );
        }
    }
    assert_eq!(received.len(), 12);
    assert_eq!(received.into_values().collect::<Vec<_>>(), jobs);

    // Put back with no delay: the message is visible again at once.
    let handle = first_handle.expect("a receipt handle");
    queue
        .retry_later(&handle, 0)
        .await
        .expect("ChangeMessageVisibility");
    let out = sqs
        .receive_message()
        .queue_url(&queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("ReceiveMessage");
    assert_eq!(out.messages().len(), 1);
    emulator.shutdown().await;
}
