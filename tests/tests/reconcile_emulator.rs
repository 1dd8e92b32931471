//! Proof of fidelity: the reconcile engine end to end, through the real SDK adapters (built as a
//! Lambda builds them, `aws::setup`) against the in-process emulator. Each scenario seeds a world,
//! runs `reconcile_cluster` and checks what the emulator holds afterwards — entries, their role
//! binding (`live`, `bound_role_id`) and the calls in its request log.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod adapters_support;
mod scenario_support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use adapters_support::{HUB, create_cluster, group_name, hub_config};
use aws_sdk_ssoadmin::types::{PrincipalType, TargetType};
use eks_sso_sync::domain::PrincipalArn;
use eks_sso_sync::engine::{ReconcileOptions, ReconcileStatus, reconcile_cluster};
use eks_sso_sync::plan::Operation;
use eks_sso_sync::ports::IdentityStoreApi;
use eks_sso_sync_emulator::Faults;
use scenario_support::*;

const ADMIN_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const EDIT_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";
const VIEW_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

/// A rule for a permission set the seed does not have yet.
const OBSERVER_RULE: &str = r#"
  - name: observers
    permission_set: Observer
    kubernetes_groups: [observers]
    access_policies:
      - { policy: View, namespaces: [monitoring] }
"#;

/// Creates permission set `name` and assigns it to group `group` in the hub, via SSO Admin.
async fn onboard_permission_set(emulator: &eks_sso_sync_emulator::RunningEmulator, name: &str) {
    let config = hub_config(emulator);
    let sso = aws_sdk_ssoadmin::Client::new(&config);
    let instance = "arn:aws:sso:::instance/ssoins-1111111111111111";
    let created = sso
        .create_permission_set()
        .instance_arn(instance)
        .name(name)
        .send()
        .await
        .expect("CreatePermissionSet");
    let ps_arn = created
        .permission_set()
        .and_then(|p| p.permission_set_arn())
        .expect("permission set ARN")
        .to_owned();
    let group_id = adapters_support::ports(&config)
        .await
        .identity_store
        .group_id(&"d-1111111111".parse().unwrap(), &group_name("platform"))
        .await
        .expect("GetGroupId")
        .expect("the platform group exists");
    sso.create_account_assignment()
        .instance_arn(instance)
        .permission_set_arn(&ps_arn)
        .target_id(HUB)
        .target_type(TargetType::AwsAccount)
        .principal_type(PrincipalType::Group)
        .principal_id(group_id)
        .send()
        .await
        .expect("CreateAccountAssignment");
}

#[tokio::test]
async fn onboarding_a_permission_set_creates_its_entry_then_stays_in_sync() {
    let emulator = start().await;
    let mapping = mapping_text(&format!("{MAPPING}{OBSERVER_RULE}"));
    let ctx = context(&emulator, mapping, None).await;
    assert_eq!(
        reconcile(&ctx, "prod-1").await.status,
        ReconcileStatus::Applied
    );
    assert_eq!(
        entries(&emulator, "prod-1").len(),
        2,
        "Admin and PaymentsDeveloper"
    );

    onboard_permission_set(&emulator, "Observer").await;
    let report = reconcile(&ctx, "prod-1").await;
    assert_eq!(report.status, ReconcileStatus::Applied, "{report:#?}");
    let all = entries(&emulator, "prod-1");
    let observer = sso_entry(&all, "Observer");
    assert!(
        observer
            .principal_arn
            .contains(":role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Observer_"),
        "full path: {}",
        observer.principal_arn
    );
    assert!(observer.live);
    assert_eq!(observer.kubernetes_groups, vec!["observers"]);
    assert_eq!(
        observer
            .tags
            .get("eks-sso-sync:managed")
            .map(String::as_str),
        Some("true")
    );
    assert_eq!(
        observer.tags.get("eks-sso-sync:role-id"),
        observer.bound_role_id.as_ref(),
        "the managed tag records the role id EKS bound the entry to"
    );
    let view = &observer.policies[VIEW_POLICY];
    assert_eq!(
        (view.scope_type.as_str(), view.namespaces.clone()),
        ("namespace", vec!["monitoring".to_owned()])
    );

    emulator.clear_requests();
    let again = reconcile(&ctx, "prod-1").await;
    assert_eq!(again.status, ReconcileStatus::InSync);
    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    assert!(
        eks_successes(&emulator)["ListAccessEntries"] >= 1,
        "it did read"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_namespace_change_is_one_associate_and_no_disassociate() {
    let emulator = start().await;
    let ctx = context(&emulator, mapping_with(""), None).await;
    assert_eq!(
        reconcile(&ctx, "prod-1").await.status,
        ReconcileStatus::Applied
    );

    let changed = MAPPING.replace(
        r#"namespaces: [payments, "payments-*"]"#,
        r#"namespaces: [payments, "payments-*", billing]"#,
    );
    assert_ne!(
        changed, MAPPING,
        "the fixture still has the namespaces this edits"
    );
    let ctx = context(&emulator, mapping_text(&changed), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1").await;
    assert_eq!(report.status, ReconcileStatus::Applied);
    assert_eq!(eks_writes(&emulator), vec!["AssociateAccessPolicy"]);
    let all = entries(&emulator, "prod-1");
    let edit = &sso_entry(&all, "PaymentsDeveloper").policies[EDIT_POLICY];
    let namespaces: BTreeSet<&str> = edit.namespaces.iter().map(String::as_str).collect();
    assert_eq!(
        namespaces,
        BTreeSet::from(["billing", "payments", "payments-*"])
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_role_recreated_under_the_same_arn_gets_its_entry_recreated() {
    let emulator = start().await;
    let ctx = context(&emulator, mapping_with(""), None).await;
    reconcile(&ctx, "prod-1").await;
    let before = sso_entry(&entries(&emulator, "prod-1"), "PaymentsDeveloper").clone();
    let role_name = before
        .principal_arn
        .rsplit('/')
        .next()
        .expect("role name")
        .to_owned();

    let new_id = emulator
        .recreate_role(HUB, &role_name)
        .expect("role exists");
    let dead = sso_entry(&entries(&emulator, "prod-1"), "PaymentsDeveloper").clone();
    assert!(!dead.live, "EKS binds the entry to the old role id");
    assert_eq!(dead.principal_arn, before.principal_arn, "same ARN");

    let report = reconcile(&ctx, "prod-1").await;
    assert_eq!(report.status, ReconcileStatus::Applied, "{report:#?}");
    let ops = &report.plan.expect("a plan").operations;
    assert!(
        ops.iter()
            .any(|op| matches!(op, Operation::RecreateEntry { .. })),
        "{ops:#?}"
    );
    let after = sso_entry(&entries(&emulator, "prod-1"), "PaymentsDeveloper").clone();
    assert!(after.live);
    assert_eq!(after.bound_role_id.as_deref(), Some(new_id.as_str()));
    assert_eq!(after.tags["eks-sso-sync:role-id"], new_id);
    assert_eq!(
        after.policies.len(),
        2,
        "policies follow the recreated entry"
    );
    assert_eq!(
        reconcile(&ctx, "prod-1").await.status,
        ReconcileStatus::InSync
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_config_map_cluster_waits_for_the_switch_then_gets_entries() {
    let emulator = start().await;
    let ctx = context(&emulator, mapping_with(""), None).await;
    emulator.clear_requests();
    assert_eq!(
        reconcile(&ctx, "legacy-cm").await.status,
        ReconcileStatus::NeedsAuthModeSwitch
    );
    let touched: Vec<String> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.service == "eks" && r.operation.contains("Access"))
        .map(|r| r.operation)
        .collect();
    assert_eq!(
        touched,
        Vec::<String>::new(),
        "no access-entry call on CONFIG_MAP"
    );

    let ctx = context(
        &emulator,
        mapping_with("options: { switch_auth_mode: true }"),
        None,
    )
    .await;
    emulator.clear_requests();
    let switched = reconcile(&ctx, "legacy-cm").await;
    assert_eq!(
        switched.status,
        ReconcileStatus::Waiting {
            status: eks_sso_sync::domain::ClusterStatus::Updating
        }
    );
    assert_eq!(eks_writes(&emulator), vec!["UpdateClusterConfig"]);
    assert!(matches!(
        reconcile(&ctx, "legacy-cm").await.status,
        ReconcileStatus::Waiting { .. }
    ));

    assert_eq!(emulator.settle_clusters(), 1);
    assert_eq!(
        reconcile(&ctx, "legacy-cm").await.status,
        ReconcileStatus::Applied
    );
    let all = entries(&emulator, "legacy-cm");
    assert!(sso_entry(&all, "Admin").policies.contains_key(ADMIN_POLICY));
    assert!(sso_entry(&all, "PaymentsDeveloper").live);
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_creator_entry_is_kept_unless_remove_creator_admin_with_a_managed_admin() {
    let emulator = start().await;
    create_cluster(&emulator, &hub_config(&emulator), "fresh").await;
    let creator = format!("arn:aws:iam::{HUB}:role/admin");
    let bootstrap = entries(&emulator, "fresh")[&creator].clone();
    assert!(bootstrap.policies.contains_key(ADMIN_POLICY));

    let ctx = context(&emulator, mapping_with(""), None).await;
    assert_eq!(
        reconcile(&ctx, "fresh").await.status,
        ReconcileStatus::Applied
    );
    let kept = entries(&emulator, "fresh");
    assert_eq!(
        kept[&creator], bootstrap,
        "the bootstrap entry is untouched"
    );
    assert_eq!(kept.len(), 3);

    let ctx = context(
        &emulator,
        mapping_with("options: { remove_creator_admin: true }"),
        None,
    )
    .await;
    // Without the CreateCluster record (a sweep) no entry is the creator's.
    assert_eq!(
        reconcile(&ctx, "fresh").await.status,
        ReconcileStatus::InSync
    );
    assert!(entries(&emulator, "fresh").contains_key(&creator));
    // The record's creator, carried in the job, is removed.
    emulator.clear_requests();
    let options = ReconcileOptions {
        creator: Some(PrincipalArn::new(&creator).expect("arn")),
        ..ReconcileOptions::default()
    };
    let report = reconcile_cluster(&hub_cluster("fresh"), &ctx.fresh(), &options)
        .await
        .expect("reconcile reads state");
    assert_eq!(report.status, ReconcileStatus::Applied);
    assert_eq!(eks_writes(&emulator), vec!["DeleteAccessEntry"]);
    let after = entries(&emulator, "fresh");
    assert!(!after.contains_key(&creator));
    assert!(
        sso_entry(&after, "Admin")
            .policies
            .contains_key(ADMIN_POLICY)
    );
    emulator.shutdown().await;
}

/// 24 extra managed-looking entries plus the two desired ones: one-item pages must see all.
fn crowded_seed() -> String {
    let mut seed = SEED.replace("  - { name: prod-1, tags: { env: prod } }\n", "");
    seed.push_str("  - name: prod-1\n    tags: { env: prod }\n    entries:\n");
    let mut roles = String::from("roles:\n");
    for i in 0..24 {
        roles.push_str(&format!("  - {{ account: \"{HUB}\", name: app-{i:02} }}\n"));
        seed.push_str(&format!(
            "      - {{ role: app-{i:02}, kubernetes_groups: [apps], policies: [{{ policy: AmazonEKSViewPolicy }}] }}\n"
        ));
    }
    seed + &roles
}

#[tokio::test]
async fn one_item_pages_see_every_entry_and_policy() {
    let emulator = start_with(&crowded_seed(), Faults::default()).await;
    assert_eq!(entries(&emulator, "prod-1").len(), 24);
    let ctx = context(&emulator, mapping_with(""), Some(1)).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1").await;
    assert_eq!(report.status, ReconcileStatus::Applied);
    let counts = eks_successes(&emulator);
    // One page per entry, and one (empty) page each for the holders of ClusterAdmin and Admin.
    assert_eq!(
        counts["ListAccessEntries"],
        24 + 2,
        "one page per entry: {counts:?}"
    );
    assert_eq!(
        counts["DescribeAccessEntry"], 24,
        "every listed entry was read"
    );
    assert_eq!(
        entries(&emulator, "prod-1").len(),
        26,
        "unmanaged entries stay"
    );

    emulator.clear_requests();
    assert_eq!(
        reconcile(&ctx, "prod-1").await.status,
        ReconcileStatus::InSync
    );
    let counts = eks_successes(&emulator);
    assert_eq!(counts["DescribeAccessEntry"], 26);
    // Policies only where they can change a decision: the two managed entries (one-item
    // pages: one more for the entry with two policies); the 24 unmanaged View entries hold no
    // admin policy, as the `associatedPolicyArn` lists (one page each) show.
    assert_eq!(counts["ListAssociatedAccessPolicies"], 2 + 1, "{counts:?}");
    assert_eq!(counts["ListAccessEntries"], 26 + 2, "{counts:?}");
    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    emulator.shutdown().await;
}

#[tokio::test]
async fn throttling_and_server_errors_converge_to_the_fault_free_state() {
    let clean = start().await;
    let ctx = context(&clean, mapping_with(""), None).await;
    reconcile(&ctx, "prod-1").await;
    let expected = entry_shapes(&clean, "prod-1");
    clean.shutdown().await;

    let faults = Faults {
        throttle_rate: 0.3,
        error_rate: 0.1,
        seed: 7,
        ..Faults::default()
    };
    let faulty = start_with(SEED, faults).await;
    let ctx = context(&faulty, mapping_with(""), None).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let status = match eks_sso_sync::engine::reconcile_cluster(
            &hub_cluster("prod-1"),
            &ctx.fresh(),
            &Default::default(),
        )
        .await
        {
            Ok(report) => report.status,
            Err(e) => {
                assert!(e.is_transient(), "only transient read failures: {e}");
                continue;
            }
        };
        statuses.push(status.clone());
        if status == ReconcileStatus::InSync {
            break;
        }
    }
    assert_eq!(
        statuses.last(),
        Some(&ReconcileStatus::InSync),
        "{statuses:?}"
    );
    let injected = faulty
        .requests()
        .iter()
        .filter(|r| {
            r.status == 429
                || r.status >= 500
                || r.error_code.as_deref() == Some("ThrottlingException")
        })
        .count();
    assert!(injected > 0, "faults were injected");
    assert_eq!(
        entry_shapes(&faulty, "prod-1"),
        expected,
        "same entries, none lost or doubled"
    );
    faulty.shutdown().await;
}

#[tokio::test]
async fn the_consistency_window_is_retried_until_it_passes() {
    let faults = Faults {
        consistency_window_seconds: 10,
        ..Faults::default()
    };
    let emulator = start_with(SEED, faults).await;
    onboard_permission_set(&emulator, "Observer").await;
    let mapping = mapping_text(&format!("{MAPPING}{OBSERVER_RULE}"));
    let ctx = context(&emulator, mapping, None).await;

    // The engine's fast retries wait ~0.4 s in all; the window is on the emulator clock, so a
    // concurrent task moves the clock on (1 s every 20 ms) while the engine is backing off —
    // from the first refusal on, however long the reads before it took.
    let clock = emulator.state().clone();
    let stop = Arc::new(AtomicBool::new(false));
    let advancing = tokio::spawn({
        let stop = stop.clone();
        async move {
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let refused = clock
                    .requests()
                    .iter()
                    .any(|r| r.operation == "CreateAccessEntry" && r.status == 400);
                if refused {
                    clock.advance_clock(1.0);
                }
            }
        }
    });
    let report = reconcile(&ctx, "prod-1").await;
    stop.store(true, Ordering::Relaxed);
    advancing.await.expect("clock task");
    assert_eq!(report.status, ReconcileStatus::Applied, "{report:#?}");
    let refused = emulator
        .requests()
        .into_iter()
        .filter(|r| r.operation == "CreateAccessEntry" && r.status == 400)
        .count();
    assert!(refused >= 1, "the young role was refused at first");
    let early = emulator
        .requests()
        .into_iter()
        .filter(|r| r.operation == "AssociateAccessPolicy" && r.status == 404)
        .count();
    assert!(early >= 1, "the young entry 404'd on associate at first");
    let all = entries(&emulator, "prod-1");
    assert!(sso_entry(&all, "Observer").live);
    assert_eq!(all.len(), 3);
    emulator.shutdown().await;
}

#[tokio::test]
async fn removing_the_only_admin_rule_is_refused_and_the_entry_stays() {
    let emulator = start().await;
    let ctx = context(&emulator, mapping_with(""), None).await;
    reconcile(&ctx, "prod-1").await;
    let admin_arn = sso_entry(&entries(&emulator, "prod-1"), "Admin")
        .principal_arn
        .clone();

    let without_admins = MAPPING.replace(
        "  - name: admins\n    permission_set: Admin\n    access_policies:\n      - { policy: ClusterAdmin, scope: cluster }\n",
        "",
    );
    assert_ne!(
        without_admins, MAPPING,
        "the fixture still has the admins rule"
    );
    let ctx = context(&emulator, mapping_text(&without_admins), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1").await;
    assert_eq!(report.status, ReconcileStatus::Refused);
    let reason = report.plan.and_then(|p| p.refused).expect("a reason");
    assert!(reason.contains(&admin_arn), "{reason}");
    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    assert!(
        entries(&emulator, "prod-1")[&admin_arn]
            .policies
            .contains_key(ADMIN_POLICY)
    );
    emulator.shutdown().await;
}
