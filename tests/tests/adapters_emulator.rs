//! The EKS and IAM adapters against the emulator, through the real SDK clients: every `EksApi`
//! and `IamApi` method, pagination with one-item pages, and the error kinds the engine keys on
//! (409, 404, invalid principal, `CONFIG_MAP` cluster, eventual consistency, throttling).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod adapters_support;

use std::collections::{BTreeMap, BTreeSet};

use adapters_support::*;
use aws_sdk_ssoadmin::types::{PrincipalType as SdkPrincipalType, TargetType};
use eks_sso_sync::domain::{
    AccessScope, AuthenticationMode, ClusterRef, ClusterStatus, EntryType, KubernetesGroup,
    NamespacePattern, PolicyArn, PrincipalArn, Username,
};
use eks_sso_sync::ports::{AccountConnector, ErrorKind, IdentityStoreApi, NewEntry, SsoAdminApi};
use eks_sso_sync_emulator::Faults;

#[tokio::test]
async fn clusters_list_describe_and_switch_mode() {
    let emulator = start().await;
    let config = hub_config(&emulator);
    create_cluster(&emulator, &config, "prod-1").await;
    let connector = paging_connector(&config);
    let eks = connector
        .eks(&account(HUB), &region(HOME))
        .await
        .expect("eks");

    emulator.clear_requests();
    let names = eks.list_clusters().await.expect("ListClusters");
    assert_eq!(names, vec![cluster("legacy"), cluster("prod-1")]);
    // One-item pages: the paginator followed nextToken.
    assert!(emulator.request_counts()["eks:ListClusters"] >= 2);

    let info = eks
        .describe_cluster(&cluster("prod-1"))
        .await
        .expect("describe");
    assert_eq!(
        info.cluster,
        ClusterRef::new(account(HUB), region(HOME), cluster("prod-1"))
    );
    assert_eq!(info.status, ClusterStatus::Active);
    assert_eq!(
        info.authentication_mode,
        AuthenticationMode::ApiAndConfigMap
    );
    assert_eq!(info.tags.get("env").map(String::as_str), Some("prod"));
    assert!(info.created_at.is_some_and(|t| t > 1_600_000_000));

    let missing = eks
        .describe_cluster(&cluster("nope"))
        .await
        .expect_err("404");
    assert_eq!(missing.kind, ErrorKind::NotFound);

    // A CONFIG_MAP cluster refuses every access-entry call until switched.
    let legacy = cluster("legacy");
    let refused = eks
        .list_access_entries(&legacy)
        .await
        .expect_err("CONFIG_MAP");
    assert_eq!(refused.kind, ErrorKind::InvalidRequest, "{refused}");
    eks.set_authentication_mode(&legacy, AuthenticationMode::ApiAndConfigMap)
        .await
        .expect("UpdateClusterConfig");
    let updating = eks.describe_cluster(&legacy).await.expect("describe");
    assert_eq!(updating.status, ClusterStatus::Updating);
    emulator.settle_clusters();
    let switched = eks.describe_cluster(&legacy).await.expect("describe");
    assert_eq!(
        switched.authentication_mode,
        AuthenticationMode::ApiAndConfigMap
    );
    assert_eq!(switched.status, ClusterStatus::Active);
    assert!(eks.list_access_entries(&legacy).await.is_ok());
    emulator.shutdown().await;
}

#[tokio::test]
async fn access_entry_lifecycle_through_every_eks_method() {
    let emulator = start().await;
    let config = hub_config(&emulator);
    create_cluster(&emulator, &config, "prod-1").await;
    let connector = paging_connector(&config);
    let hub = account(HUB);
    let eks = connector.eks(&hub, &region(HOME)).await.expect("eks");
    let iam = connector.iam(&hub).await.expect("iam");
    let prod = cluster("prod-1");

    emulator.clear_requests();
    let payments = sso_role(iam.as_ref(), "PaymentsDeveloper").await;
    // Three SSO roles in the hub, one per `ListRoles` page.
    assert!(emulator.request_counts()["iam:ListRoles"] >= 3);
    let admin = sso_role(iam.as_ref(), "Admin").await;
    assert_ne!(
        payments.arn, admin.arn,
        "Admin must not match Admin_Read's role"
    );
    assert_eq!(
        payments.arn.sso_region(),
        Some(region(HOME)),
        "SSO roles carry the home region in their path"
    );

    // The creator's bootstrap entry is there from the start.
    let before = eks.list_access_entries(&prod).await.expect("list");
    assert_eq!(before.len(), 1, "{before:?}");

    let new = NewEntry {
        principal: payments.arn.clone(),
        kubernetes_groups: BTreeSet::from([KubernetesGroup::new("payments-devs").expect("group")]),
        username: None,
        tags: managed_tags(&payments.role_id),
    };
    eks.create_access_entry(&prod, &new).await.expect("create");
    let again = eks.create_access_entry(&prod, &new).await.expect_err("409");
    assert_eq!(again.kind, ErrorKind::AlreadyExists, "{again}");

    let entry = eks
        .describe_access_entry(&prod, &payments.arn)
        .await
        .expect("describe");
    assert_eq!(entry.entry_type, EntryType::Standard);
    assert!(entry.is_managed());
    assert_eq!(entry.recorded_role_id(), Some(payments.role_id.as_str()));
    assert_eq!(
        entry.kubernetes_groups,
        BTreeSet::from(["payments-devs".to_owned()])
    );
    let default_username = entry
        .username
        .clone()
        .expect("EKS fills a default username");
    assert!(
        default_username.contains(payments.arn.name()),
        "{default_username}"
    );
    let entry_arn = entry.arn.clone().expect("entry ARN");
    assert!(entry.created_at.is_some());

    // Policies: associate, replace a scope in place, list, disassociate.
    let edit = PolicyArn::for_people("Edit").expect("policy");
    let view = PolicyArn::for_people("View").expect("policy");
    let namespaces = AccessScope::Namespace(BTreeSet::from([
        NamespacePattern::new("payments").expect("ns"),
        NamespacePattern::new("payments-*").expect("ns"),
    ]));
    eks.associate_access_policy(&prod, &payments.arn, &edit, &namespaces)
        .await
        .expect("associate");
    eks.associate_access_policy(&prod, &payments.arn, &view, &namespaces)
        .await
        .expect("associate");
    eks.associate_access_policy(&prod, &payments.arn, &view, &AccessScope::Cluster)
        .await
        .expect("associate again replaces the scope");
    let policies = eks
        .list_associated_policies(&prod, &payments.arn)
        .await
        .expect("list policies");
    assert_eq!(
        policies,
        BTreeMap::from([
            (edit.clone(), namespaces.clone()),
            (view.clone(), AccessScope::Cluster)
        ])
    );
    eks.disassociate_access_policy(&prod, &payments.arn, &view)
        .await
        .expect("disassociate");
    let policies = eks
        .list_associated_policies(&prod, &payments.arn)
        .await
        .expect("list policies");
    assert_eq!(policies.keys().collect::<Vec<_>>(), vec![&edit]);

    // Update replaces the whole group list (empty clears it) and sets the username.
    let alice = Username::new("payments-alice").expect("username");
    eks.update_access_entry(&prod, &payments.arn, &BTreeSet::new(), Some(&alice))
        .await
        .expect("update");
    let updated = eks
        .describe_access_entry(&prod, &payments.arn)
        .await
        .expect("describe");
    assert!(updated.kubernetes_groups.is_empty());
    assert_eq!(updated.username.as_deref(), Some("payments-alice"));

    let extra = BTreeMap::from([("team".to_owned(), "payments".to_owned())]);
    eks.tag_resource(&entry_arn, &extra).await.expect("tag");
    let tagged = eks
        .describe_access_entry(&prod, &payments.arn)
        .await
        .expect("describe");
    assert_eq!(
        tagged.tags.get("team").map(String::as_str),
        Some("payments")
    );
    assert!(tagged.is_managed(), "tagging adds, it does not replace");

    // A second entry; one-item pages still list all three.
    let admin_entry = NewEntry {
        principal: admin.arn.clone(),
        kubernetes_groups: BTreeSet::new(),
        username: None,
        tags: BTreeMap::new(),
    };
    eks.create_access_entry(&prod, &admin_entry)
        .await
        .expect("create");
    emulator.clear_requests();
    let listed = eks.list_access_entries(&prod).await.expect("list");
    assert_eq!(listed.len(), 3);
    assert!(listed.contains(&payments.arn) && listed.contains(&admin.arn));
    assert!(emulator.request_counts()["eks:ListAccessEntries"] >= 3);

    eks.delete_access_entry(&prod, &payments.arn)
        .await
        .expect("delete");
    let gone = eks
        .describe_access_entry(&prod, &payments.arn)
        .await
        .expect_err("404");
    assert_eq!(gone.kind, ErrorKind::NotFound);
    let gone = eks
        .delete_access_entry(&prod, &payments.arn)
        .await
        .expect_err("404");
    assert_eq!(gone.kind, ErrorKind::NotFound);
    let gone = eks
        .associate_access_policy(&prod, &payments.arn, &edit, &AccessScope::Cluster)
        .await
        .expect_err("404");
    assert_eq!(gone.kind, ErrorKind::NotFound);
    emulator.shutdown().await;
}

#[tokio::test]
async fn bad_principals_are_invalid_principal() {
    let emulator = start().await;
    let config = hub_config(&emulator);
    create_cluster(&emulator, &config, "prod-1").await;
    let connector = paging_connector(&config);
    let hub = account(HUB);
    let eks = connector.eks(&hub, &region(HOME)).await.expect("eks");
    let iam = connector.iam(&hub).await.expect("iam");
    let payments = sso_role(iam.as_ref(), "PaymentsDeveloper").await;

    let entry = |principal: PrincipalArn| NewEntry {
        principal,
        kubernetes_groups: BTreeSet::new(),
        username: None,
        tags: BTreeMap::new(),
    };
    let missing =
        PrincipalArn::new(format!("arn:aws:iam::{HUB}:role/does-not-exist")).expect("arn");
    let err = eks
        .create_access_entry(&cluster("prod-1"), &entry(missing.clone()))
        .await
        .expect_err("400");
    assert_eq!(err.kind, ErrorKind::InvalidPrincipal, "{err}");
    // The SSO role without its path: what aws-auth wanted, what EKS rejects.
    let pathless = PrincipalArn::new(payments.arn.without_path()).expect("arn");
    let err = eks
        .create_access_entry(&cluster("prod-1"), &entry(pathless.clone()))
        .await
        .expect_err("400");
    assert_eq!(err.kind, ErrorKind::InvalidPrincipal, "{err}");

    // IAM agrees: neither exists as written.
    assert_eq!(iam.get_role(&missing).await.expect("GetRole"), None);
    assert_eq!(iam.get_role(&pathless).await.expect("GetRole"), None);
    let found = iam.get_role(&payments.arn).await.expect("GetRole");
    assert_eq!(found, Some(payments.clone()));
    emulator.shutdown().await;
}

#[tokio::test]
async fn injected_faults_map_to_retryable_kinds() {
    let emulator = start().await;
    // No SDK retries: the classification of the very first answer is what is under test.
    let config = hub_config(&emulator)
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    let eks = paging_connector(&config)
        .eks(&account(HUB), &region(HOME))
        .await
        .expect("eks");

    emulator.set_faults(Faults {
        throttle_rate: 1.0,
        ..Default::default()
    });
    let err = eks.list_clusters().await.expect_err("throttled");
    assert_eq!(err.kind, ErrorKind::Throttled, "{err}");
    assert!(err.is_transient());

    emulator.set_faults(Faults {
        error_rate: 1.0,
        ..Default::default()
    });
    let err = eks.list_clusters().await.expect_err("server error");
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");

    emulator.set_faults(Faults::default());
    assert!(eks.list_clusters().await.is_ok());
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_fresh_role_is_an_invalid_principal_until_iam_has_propagated() {
    let emulator = start().await;
    let config = hub_config(&emulator);
    emulator.set_faults(Faults {
        consistency_window_seconds: 60,
        ..Faults::default()
    });
    let ports = ports(&config).await;
    let instance = ports
        .sso_admin
        .list_instances()
        .await
        .expect("ListInstances")[0]
        .clone();
    let admin = ports
        .sso_admin
        .list_permission_sets(&instance.instance_arn)
        .await
        .expect("ListPermissionSets")
        .into_iter()
        .find(|s| s.name.as_str() == "Admin")
        .expect("Admin");
    let platform = ports
        .identity_store
        .group_id(&instance.identity_store_id, &group_name("platform"))
        .await
        .expect("GetGroupId")
        .expect("exists");
    // Assigning Admin in the member account makes Identity Center create its role there now.
    aws_sdk_ssoadmin::Client::new(&config)
        .create_account_assignment()
        .instance_arn(instance.instance_arn.as_str())
        .target_id(MEMBER)
        .target_type(TargetType::AwsAccount)
        .permission_set_arn(admin.arn.as_str())
        .principal_type(SdkPrincipalType::Group)
        .principal_id(platform.as_str())
        .send()
        .await
        .expect("CreateAccountAssignment");

    let member = account(MEMBER);
    let iam = ports.connector.iam(&member).await.expect("iam");
    let role = sso_role(iam.as_ref(), "Admin").await;
    let eks = ports
        .connector
        .eks(&member, &region(HOME))
        .await
        .expect("eks");
    let entry = NewEntry {
        principal: role.arn.clone(),
        kubernetes_groups: BTreeSet::new(),
        username: None,
        tags: managed_tags(&role.role_id),
    };
    let member_1 = cluster("member-1");
    let err = eks
        .create_access_entry(&member_1, &entry)
        .await
        .expect_err("too fresh");
    assert_eq!(err.kind, ErrorKind::InvalidPrincipal, "{err}");

    emulator.advance_clock(61.0);
    eks.create_access_entry(&member_1, &entry)
        .await
        .expect("create after propagation");
    // ... and the brand-new entry is not yet visible to AssociateAccessPolicy.
    let admin_policy = PolicyArn::cluster_admin();
    let err = eks
        .associate_access_policy(&member_1, &role.arn, &admin_policy, &AccessScope::Cluster)
        .await
        .expect_err("entry too fresh");
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    emulator.advance_clock(61.0);
    eks.associate_access_policy(&member_1, &role.arn, &admin_policy, &AccessScope::Cluster)
        .await
        .expect("associate after propagation");
    let actual = eks
        .describe_access_entry(&member_1, &role.arn)
        .await
        .expect("describe");
    assert_eq!(actual.recorded_role_id(), Some(role.role_id.as_str()));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_recreated_role_shows_a_new_id_under_the_same_arn() {
    let emulator = start().await;
    let config = hub_config(&emulator);
    create_cluster(&emulator, &config, "prod-1").await;
    let connector = paging_connector(&config);
    let hub = account(HUB);
    let eks = connector.eks(&hub, &region(HOME)).await.expect("eks");
    let iam = connector.iam(&hub).await.expect("iam");
    let prod = cluster("prod-1");
    let old = sso_role(iam.as_ref(), "PaymentsDeveloper").await;
    let entry = NewEntry {
        principal: old.arn.clone(),
        kubernetes_groups: BTreeSet::new(),
        username: None,
        tags: managed_tags(&old.role_id),
    };
    eks.create_access_entry(&prod, &entry)
        .await
        .expect("create");

    let new_id = emulator
        .recreate_role(HUB, old.arn.name())
        .expect("role recreated");
    let listed = sso_role(iam.as_ref(), "PaymentsDeveloper").await;
    let got = iam
        .get_role(&old.arn)
        .await
        .expect("GetRole")
        .expect("exists");
    assert_eq!(listed, got);
    assert_eq!(got.arn, old.arn, "same ARN");
    assert_eq!(got.role_id.as_str(), new_id);
    assert_ne!(got.role_id, old.role_id);
    // The entry still records the old id: that difference is how the engine spots a dead entry.
    let actual = eks
        .describe_access_entry(&prod, &old.arn)
        .await
        .expect("describe");
    assert_eq!(actual.recorded_role_id(), Some(old.role_id.as_str()));
    let views = emulator.entries(HUB, HOME, "prod-1");
    let view = views
        .iter()
        .find(|v| v.principal_arn == old.arn.as_str())
        .expect("entry");
    assert!(!view.live, "EKS bound the entry to the old role id");
    emulator.shutdown().await;
}
