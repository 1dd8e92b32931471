//! Unknown never means delete (DESIGN.md, invariants 8 and 9; issue 8), end to end: the engine
//! through the real SDK adapters against the in-process emulator. Each scenario converges a
//! cluster, changes the mapping (or the world) the way an operator or an outage would, reconciles,
//! and checks the report (problems, withheld operations, status) against what the emulator holds
//! afterwards and the write calls in its request log.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod adapters_support;
mod scenario_support;
mod unknown_support;

use adapters_support::{HUB, group_name, hub_config};
use eks_sso_sync::engine::ReconcileStatus;
use eks_sso_sync::plan::{Operation, SkipReason, WithholdReason};
use eks_sso_sync::ports::IdentityStoreApi;
use scenario_support::{context, eks_writes, entries, mapping_text, sso_entry};
use unknown_support::*;

const ADMIN_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const EDIT_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";
const VIEW_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

/// `break_glass` naming the seed's break-glass role exactly as its entries do.
const BREAK_GLASS_OPTION: &str =
    "options: { break_glass: [\"arn:aws:iam::111111111111:role/BreakGlassAdmin\"] }";

#[tokio::test]
async fn a_typo_in_a_permission_set_holds_its_entries_and_suggests_the_name() {
    let emulator = start().await;
    converge(&emulator, "prod-1", &[ADMINS, PAYMENTS], "").await;
    let before = entries(&emulator, "prod-1");
    let payments = sso_entry(&before, "PaymentsDeveloper")
        .principal_arn
        .clone();

    let typo = PAYMENTS.replace(
        "permission_set: PaymentsDeveloper",
        "permission_set: PaymentsDevloper",
    );
    assert_ne!(typo, PAYMENTS, "the rule still names the permission set");
    let ctx = context(&emulator, mapping(&[ADMINS, &typo], ""), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1", false).await;

    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    assert_eq!(calls(&emulator, "DeleteAccessEntry"), 0);
    assert_held_by_typo(
        &report,
        "payments",
        "PaymentsDevloper",
        "did you mean PaymentsDeveloper?",
        &payments,
    );
    assert_eq!(report.status, ReconcileStatus::Held { withheld: 1 });
    assert!(report.needs_attention());
    assert_eq!(entries(&emulator, "prod-1"), before, "nothing changed");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_typo_in_a_groups_filter_holds_its_entries_and_suggests_the_group() {
    let emulator = start().await;
    converge(&emulator, "prod-1", &[ADMINS, PAYMENTS], "").await;
    let before = entries(&emulator, "prod-1");
    let payments = sso_entry(&before, "PaymentsDeveloper")
        .principal_arn
        .clone();

    let typo = PAYMENTS.replace(
        "    kubernetes_groups: [payments-devs]\n",
        "    groups: [payments-devz]\n    kubernetes_groups: [payments-devs]\n",
    );
    assert_ne!(typo, PAYMENTS, "the rule still has its kubernetes groups");
    let ctx = context(&emulator, mapping(&[ADMINS, &typo], ""), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1", false).await;

    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    let lookups: Vec<(String, u16)> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.service == "identitystore" && r.operation != "DescribeGroup")
        .map(|r| (r.operation, r.status))
        .collect();
    assert!(
        matches!(lookups.as_slice(), [(get, 400..), (list, 200), ..] if get == "GetGroupId" && list == "ListGroups"),
        "the missing group is looked up, then the existing ones listed: {lookups:?}"
    );
    assert_held_by_typo(
        &report,
        "payments",
        "payments-devz",
        "did you mean payments-devs?",
        &payments,
    );
    assert_eq!(report.status, ReconcileStatus::Held { withheld: 1 });
    assert_eq!(entries(&emulator, "prod-1"), before, "nothing changed");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_mass_deletion_is_refused_while_grants_apply_until_the_operator_forces_it() {
    let emulator = start().await;
    converge(&emulator, "prod-1", &[ADMINS, PAYMENTS, SQUADS], "").await;
    assert_eq!(
        entries(&emulator, "prod-1").len(),
        10,
        "8 squads, admin, payments"
    );

    // The squads rule goes, and the payments rule gains a namespace in the same change.
    let wider = PAYMENTS.replace(
        r#"namespaces: [payments, "payments-*"]"#,
        r#"namespaces: [payments, "payments-*", billing]"#,
    );
    assert_ne!(wider, PAYMENTS, "the rule still has its namespaces");
    let ctx = context(&emulator, mapping(&[ADMINS, &wider], ""), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1", false).await;

    assert_eq!(eks_writes(&emulator), vec!["AssociateAccessPolicy"]);
    let held = withheld(&report);
    assert_eq!(held.len(), 8, "{held:#?}");
    for w in held {
        let principal = withheld_delete(w).expect("only deletions are withheld");
        assert!(principal.contains("/AWSReservedSSO_Squad-"), "{principal}");
        assert_eq!(
            w.reason,
            WithholdReason::DeletionLimit {
                planned: 8,
                allowed: 5
            }
        );
        assert!(w.detail.contains("--allow-mass-deletion"), "{}", w.detail);
    }
    assert_eq!(report.status, ReconcileStatus::Held { withheld: 8 });
    let after = entries(&emulator, "prod-1");
    assert_eq!(after.len(), 10, "no entry was deleted");
    let edit = &sso_entry(&after, "PaymentsDeveloper").policies[EDIT_POLICY];
    assert!(
        edit.namespaces.contains(&"billing".to_owned()),
        "the grant applied"
    );

    emulator.clear_requests();
    let forced = reconcile(&ctx, "prod-1", true).await;
    assert_eq!(forced.status, ReconcileStatus::Applied, "{forced:#?}");
    assert!(withheld(&forced).is_empty());
    assert_eq!(eks_writes(&emulator), vec!["DeleteAccessEntry"; 8]);
    let left = entries(&emulator, "prod-1");
    assert_eq!(left.len(), 2, "{left:#?}");
    assert!(
        sso_entry(&left, "Admin")
            .policies
            .contains_key(ADMIN_POLICY)
    );
    assert!(sso_entry(&left, "PaymentsDeveloper").live);
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_account_whose_reads_yield_no_desired_entry_gets_no_deletions() {
    let emulator = start().await;
    converge(&emulator, "prod-1", &[ADMINS, PAYMENTS], "").await;
    let before = entries(&emulator, "prod-1");
    let admin = sso_entry(&before, "Admin").principal_arn.clone();
    let payments = sso_entry(&before, "PaymentsDeveloper")
        .principal_arn
        .clone();

    // Every rule reaching the account is gone; the one left resolves but is assigned nowhere.
    let ctx = context(&emulator, mapping(&[OBSERVERS], ""), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1", false).await;

    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    let held = withheld(&report);
    let mut deletes: Vec<&str> = held.iter().filter_map(withheld_delete).collect();
    deletes.sort();
    let mut expected = vec![admin.as_str(), payments.as_str()];
    expected.sort();
    assert_eq!(deletes, expected, "{held:#?}");
    assert!(
        held.iter()
            .all(|w| w.reason == WithholdReason::EmptyAccount)
    );
    assert_eq!(report.status, ReconcileStatus::Held { withheld: 2 });
    assert_eq!(entries(&emulator, "prod-1"), before, "nothing changed");

    // Forced, the clean-up happens, and the lockout guard still keeps the last admin.
    emulator.clear_requests();
    let forced = reconcile(&ctx, "prod-1", true).await;
    assert_eq!(forced.status, ReconcileStatus::Refused, "{forced:#?}");
    assert_eq!(eks_writes(&emulator), vec!["DeleteAccessEntry"]);
    let left = entries(&emulator, "prod-1");
    assert_eq!(left.keys().collect::<Vec<_>>(), vec![&admin]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_refused_plan_still_creates_the_new_entry_and_keeps_the_last_admin() {
    let emulator = start().await;
    converge(&emulator, "prod-1", &[ADMINS, PAYMENTS], "").await;
    let admin = sso_entry(&entries(&emulator, "prod-1"), "Admin")
        .principal_arn
        .clone();

    let ctx = context(&emulator, mapping(&[PAYMENTS, VIEWERS], ""), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1", false).await;

    assert_eq!(report.status, ReconcileStatus::Refused, "{report:#?}");
    assert_eq!(
        eks_writes(&emulator),
        vec!["CreateAccessEntry", "AssociateAccessPolicy"],
        "the viewer's entry, and no deletion"
    );
    let plan = report.plan.as_ref().expect("a plan");
    let reason = plan.refused.as_deref().expect("a refusal message");
    assert!(reason.contains(&admin), "{reason}");
    assert_eq!(plan.withheld.len(), 1, "{:#?}", plan.withheld);
    assert_eq!(withheld_delete(&plan.withheld[0]), Some(admin.as_str()));
    assert_eq!(plan.withheld[0].reason, WithholdReason::Lockout);
    let after = entries(&emulator, "prod-1");
    assert!(after[&admin].policies.contains_key(ADMIN_POLICY));
    let viewer = sso_entry(&after, "Viewer");
    assert!(viewer.live);
    assert_eq!(viewer.policies[VIEW_POLICY].scope_type, "cluster");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_view_only_break_glass_entry_does_not_count_as_an_admin() {
    for (cluster, counts) in [("glass-view", false), ("glass-admin", true)] {
        let emulator = start().await;
        converge(&emulator, cluster, &[ADMINS, PAYMENTS], BREAK_GLASS_OPTION).await;
        let before = entries(&emulator, cluster);
        let admin = sso_entry(&before, "Admin").principal_arn.clone();

        let ctx = context(&emulator, mapping(&[PAYMENTS], BREAK_GLASS_OPTION), None).await;
        emulator.clear_requests();
        let report = reconcile(&ctx, cluster, false).await;

        let after = entries(&emulator, cluster);
        assert_eq!(
            after[BREAK_GLASS], before[BREAK_GLASS],
            "{cluster}: break-glass is never touched"
        );
        if counts {
            // The control: break-glass with cluster-wide admin access is a working admin.
            assert_eq!(report.status, ReconcileStatus::Applied, "{report:#?}");
            assert_eq!(eks_writes(&emulator), vec!["DeleteAccessEntry"]);
            assert!(!after.contains_key(&admin));
        } else {
            assert_eq!(report.status, ReconcileStatus::Refused, "{report:#?}");
            assert_eq!(eks_writes(&emulator), Vec::<String>::new());
            let held = withheld(&report);
            assert_eq!(held.len(), 1, "{held:#?}");
            assert_eq!(held[0].reason, WithholdReason::Lockout);
            assert_eq!(withheld_delete(&held[0]), Some(admin.as_str()));
            assert!(after[&admin].policies.contains_key(ADMIN_POLICY));
        }
        emulator.shutdown().await;
    }
}

#[tokio::test]
async fn an_unmanaged_admin_whose_role_is_newer_than_its_entry_or_gone_does_not_count() {
    // The control: the hand-made admin's role is as old as its entry, so it is a working admin
    // and the managed admin entry may go.
    let emulator = start().await;
    converge(&emulator, "legacy", &[ADMINS, PAYMENTS], "").await;
    let ctx = context(&emulator, mapping(&[PAYMENTS], ""), None).await;
    emulator.clear_requests();
    let control = reconcile(&ctx, "legacy", false).await;
    assert_eq!(control.status, ReconcileStatus::Applied, "{control:#?}");
    assert_eq!(eks_writes(&emulator), vec!["DeleteAccessEntry"]);
    emulator.shutdown().await;

    let emulator = start().await;
    converge(&emulator, "legacy", &[ADMINS, PAYMENTS], "").await;
    let legacy = format!("arn:aws:iam::{HUB}:role/legacy-admin");
    let admin = sso_entry(&entries(&emulator, "legacy"), "Admin")
        .principal_arn
        .clone();
    // Recreated behind everyone's back: same ARN, a CreateDate after the entry's createdAt.
    emulator
        .recreate_role(HUB, "legacy-admin")
        .expect("the role exists");
    assert!(!entries(&emulator, "legacy")[&legacy].live, "EKS agrees");
    let ctx = context(&emulator, mapping(&[PAYMENTS], ""), None).await;
    emulator.clear_requests();
    let newer = reconcile(&ctx, "legacy", false).await;
    assert!(calls(&emulator, "GetRole") >= 1, "the role was looked up");
    assert_eq!(newer.status, ReconcileStatus::Refused, "{newer:#?}");
    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    let held = withheld(&newer);
    assert_eq!(held.len(), 1, "{held:#?}");
    assert_eq!(withheld_delete(&held[0]), Some(admin.as_str()));
    assert_eq!(held[0].reason, WithholdReason::Lockout);

    // Deleted outright: still not an admin.
    aws_sdk_iam::Client::new(&hub_config(&emulator))
        .delete_role()
        .role_name("legacy-admin")
        .send()
        .await
        .expect("DeleteRole");
    emulator.clear_requests();
    let gone = reconcile(&ctx, "legacy", false).await;
    assert_eq!(gone.status, ReconcileStatus::Refused, "{gone:#?}");
    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    let after = entries(&emulator, "legacy");
    assert!(after[&admin].policies.contains_key(ADMIN_POLICY));
    assert!(after.contains_key(&legacy), "unmanaged: never touched");
    emulator.shutdown().await;
}

/// The ARN of hub cluster `cluster`'s entry for `principal`, read with DescribeAccessEntry.
async fn entry_arn(
    emulator: &eks_sso_sync_emulator::RunningEmulator,
    cluster: &str,
    principal: &str,
) -> String {
    aws_sdk_eks::Client::new(&hub_config(emulator))
        .describe_access_entry()
        .cluster_name(cluster)
        .principal_arn(principal)
        .send()
        .await
        .expect("DescribeAccessEntry")
        .access_entry()
        .and_then(|e| e.access_entry_arn())
        .expect("an entry ARN")
        .to_owned()
}

/// Removes the `eks-sso-sync:role-id` tag from hub cluster `cluster`'s entry for `principal`.
async fn untag_role_id(
    emulator: &eks_sso_sync_emulator::RunningEmulator,
    cluster: &str,
    principal: &str,
) {
    let arn = entry_arn(emulator, cluster, principal).await;
    aws_sdk_eks::Client::new(&hub_config(emulator))
        .untag_resource()
        .resource_arn(arn)
        .tag_keys("eks-sso-sync:role-id")
        .send()
        .await
        .expect("UntagResource");
    let untagged = &entries(emulator, cluster)[principal];
    assert!(!untagged.tags.contains_key("eks-sso-sync:role-id"));
    assert_eq!(untagged.tags["eks-sso-sync:managed"], "true");
}

#[tokio::test]
async fn a_managed_entry_without_a_role_id_newer_than_its_role_is_tagged_not_recreated() {
    let emulator = start().await;
    converge(&emulator, "prod-1", &[ADMINS, PAYMENTS], "").await;
    let payments = sso_entry(&entries(&emulator, "prod-1"), "PaymentsDeveloper").clone();
    untag_role_id(&emulator, "prod-1", &payments.principal_arn).await;

    let ctx = context(&emulator, mapping(&[ADMINS, PAYMENTS], ""), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1", false).await;

    assert_eq!(report.status, ReconcileStatus::Applied, "{report:#?}");
    assert_eq!(eks_writes(&emulator), vec!["TagResource"]);
    let ops = &report.plan.as_ref().expect("a plan").operations;
    assert!(
        matches!(ops.as_slice(), [Operation::TagEntry { principal, .. }] if principal.as_str() == payments.principal_arn),
        "{ops:#?}"
    );
    let after = entries(&emulator, "prod-1")[&payments.principal_arn].clone();
    assert_eq!(
        after.tags.get("eks-sso-sync:role-id"),
        after.bound_role_id.as_ref(),
        "tagged with the role id EKS bound it to"
    );
    assert!(after.live);
    assert_eq!(after.policies, payments.policies, "the same entry, kept");
    emulator.clear_requests();
    assert_eq!(
        reconcile(&ctx, "prod-1", false).await.status,
        ReconcileStatus::InSync
    );
    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_managed_entry_without_a_role_id_older_than_its_role_is_recreated() {
    let emulator = start().await;
    converge(&emulator, "prod-1", &[ADMINS, PAYMENTS], "").await;
    let payments = sso_entry(&entries(&emulator, "prod-1"), "PaymentsDeveloper").clone();
    untag_role_id(&emulator, "prod-1", &payments.principal_arn).await;
    // IAM dates roles in whole seconds: move on past the entry's second before recreating.
    emulator.advance_clock(5.0);
    let role_name = payments.principal_arn.rsplit('/').next().expect("a name");
    let new_id = emulator
        .recreate_role(HUB, role_name)
        .expect("the role exists");

    let ctx = context(&emulator, mapping(&[ADMINS, PAYMENTS], ""), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1", false).await;

    assert_eq!(report.status, ReconcileStatus::Applied, "{report:#?}");
    let ops = &report.plan.as_ref().expect("a plan").operations;
    assert!(
        ops.iter().any(|op| matches!(
            op,
            Operation::RecreateEntry {
                old_role_id: None,
                ..
            }
        )),
        "{ops:#?}"
    );
    let writes = eks_writes(&emulator);
    assert_eq!(
        &writes[..2],
        ["DeleteAccessEntry", "CreateAccessEntry"],
        "{writes:?}"
    );
    let after = entries(&emulator, "prod-1")[&payments.principal_arn].clone();
    assert!(after.live);
    assert_eq!(after.bound_role_id.as_deref(), Some(new_id.as_str()));
    assert_eq!(after.tags["eks-sso-sync:role-id"], new_id);
    emulator.shutdown().await;
}

#[tokio::test]
async fn break_glass_in_another_letter_case_is_never_touched() {
    let emulator = start().await;
    let before = entries(&emulator, "glass-tagged");
    assert_eq!(before[BREAK_GLASS].tags["eks-sso-sync:managed"], "true");

    // The control: without the break-glass list, the managed-tagged entry would be pruned.
    let ctx = context(&emulator, mapping(&[ADMINS, PAYMENTS], ""), None).await;
    let unprotected = plan_only(&ctx, "glass-tagged").await;
    let ops = &unprotected.plan.as_ref().expect("a plan").operations;
    assert!(
        ops.iter().any(|op| matches!(op, Operation::DeleteEntry { principal, .. } if principal.as_str() == BREAK_GLASS)),
        "{ops:#?}"
    );
    assert_eq!(eks_writes(&emulator), Vec::<String>::new(), "a dry run");

    let lower = "options: { break_glass: [\"arn:aws:iam::111111111111:role/breakglassadmin\"] }";
    let ctx = context(&emulator, mapping(&[ADMINS, PAYMENTS], lower), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "glass-tagged", false).await;

    assert_eq!(report.status, ReconcileStatus::Applied, "{report:#?}");
    assert_eq!(calls(&emulator, "DeleteAccessEntry"), 0);
    let plan = report.plan.as_ref().expect("a plan");
    assert!(
        plan.operations
            .iter()
            .all(|op| op.principal().is_none_or(|p| p.as_str() != BREAK_GLASS)),
        "{:#?}",
        plan.operations
    );
    assert!(
        plan.skipped
            .iter()
            .any(|s| s.reason == SkipReason::BreakGlass
                && s.principal
                    .as_ref()
                    .is_some_and(|p| p.as_str() == BREAK_GLASS)),
        "{:#?}",
        plan.skipped
    );
    let after = entries(&emulator, "glass-tagged");
    assert_eq!(after[BREAK_GLASS], before[BREAK_GLASS], "untouched");
    assert_eq!(after.len(), 3, "admin and payments were created beside it");
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_assigned_group_that_describe_group_does_not_find_fails_the_run() {
    let emulator = start().await;
    converge(&emulator, "prod-1", &[ADMINS, PAYMENTS], "").await;
    let before = entries(&emulator, "prod-1");

    // The group goes while its assignment stays (a store that has not caught up, or the wrong one).
    let config = hub_config(&emulator);
    let group_id = adapters_support::ports(&config)
        .await
        .identity_store
        .group_id(
            &"d-1111111111".parse().unwrap(),
            &group_name("payments-devs"),
        )
        .await
        .expect("GetGroupId")
        .expect("the group exists");
    let store = aws_sdk_identitystore::Client::new(&config);
    store
        .delete_group()
        .identity_store_id("d-1111111111")
        .group_id(group_id.as_str())
        .send()
        .await
        .expect("DeleteGroup");

    let ctx = context(&emulator, mapping(&[ADMINS, PAYMENTS], ""), None).await;
    emulator.clear_requests();
    let err = try_reconcile(&ctx, "prod-1", false)
        .await
        .expect_err("an assigned group that is not found is an error");

    let message = err.to_string();
    assert!(
        message.contains(group_id.as_str()) && message.contains("PaymentsDeveloper"),
        "{message}"
    );
    assert!(
        message.contains("identity_center.identity_store_id"),
        "{message}"
    );
    assert!(err.is_transient(), "retried later: {err}");
    assert!(
        emulator
            .requests()
            .iter()
            .any(|r| r.operation == "DescribeGroup" && r.status == 400),
        "DescribeGroup was asked and did not find it"
    );
    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    assert_eq!(entries(&emulator, "prod-1"), before, "nothing changed");
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_instance_and_identity_store_that_do_not_pair_fail_before_any_write() {
    let emulator = start().await;
    let instance = "arn:aws:sso:::instance/ssoins-1111111111111111";
    let cases = [
        (
            instance,
            "d-2222222222",
            "identity_center.identity_store_id",
        ),
        (
            "arn:aws:sso:::instance/ssoins-2222222222222222",
            "d-1111111111",
            "identity_center.instance_arn",
        ),
    ];
    for (arn, store, field) in cases {
        let header = HEADER.replace(
            "identity_center: { region: eu-west-1 }",
            &format!(
                "identity_center: {{ region: eu-west-1, instance_arn: \"{arn}\", identity_store_id: {store} }}"
            ),
        );
        assert_ne!(header, HEADER);
        let text = format!("{header}rules:{ADMINS}{PAYMENTS}");
        let ctx = context(&emulator, mapping_text(&text), None).await;
        emulator.clear_requests();
        let err = try_reconcile(&ctx, "prod-1", false)
            .await
            .expect_err("a mismatched instance is an error");
        let message = err.to_string();
        assert!(message.contains(field), "{message}");
        assert!(!err.is_transient(), "a mapping to fix: {err}");
        let reached: Vec<String> = emulator
            .requests()
            .into_iter()
            .filter(|r| {
                r.service == "identitystore"
                    || (r.service == "eks" && r.operation != "DescribeCluster")
            })
            .map(|r| r.operation)
            .collect();
        assert_eq!(
            reached,
            Vec::<String>::new(),
            "{field}: nothing read or written past ListInstances"
        );
        assert!(
            entries(&emulator, "prod-1").is_empty(),
            "no entry was created"
        );
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_convention_team_named_kube_gets_no_access_to_system_namespaces() {
    let emulator = start().await;
    let ctx = context(&emulator, mapping(&[ADMINS, TEAMS], ""), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1", false).await;

    let problem = report
        .problems
        .iter()
        .find(|p| p.rule == "teams")
        .unwrap_or_else(|| panic!("a problem for the teams rule: {:#?}", report.problems));
    assert_eq!(
        problem.permission_set.as_ref().map(|p| p.as_str()),
        Some("EKSTeam-kube")
    );
    assert!(problem.message.contains("kube"), "{}", problem.message);
    assert!(report.needs_attention());
    let after = entries(&emulator, "prod-1");
    assert!(
        after
            .keys()
            .all(|p| !p.contains("AWSReservedSSO_EKSTeam-kube_")),
        "no entry for EKSTeam-kube: {after:#?}"
    );
    for entry in after.values() {
        for scope in entry.policies.values() {
            assert!(
                scope.namespaces.iter().all(|ns| !ns.starts_with("kube")),
                "{}: {:?}",
                entry.principal_arn,
                scope.namespaces
            );
        }
    }
    let search = sso_entry(&after, "EKSTeam-search");
    assert_eq!(search.policies[EDIT_POLICY].namespaces, vec!["search-*"]);
    assert_eq!(search.kubernetes_groups, vec!["team-search"]);
    assert!(
        sso_entry(&after, "Admin")
            .policies
            .contains_key(ADMIN_POLICY)
    );
    let kube_role = sso_role_arn(&emulator, "EKSTeam-kube");
    assert!(!after.contains_key(&kube_role));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_kube_team_entry_made_by_an_older_mapping_is_held_not_pruned() {
    let emulator = start().await;
    converge(
        &emulator,
        "prod-1",
        &[ADMINS, TEAMS_WITH_SYSTEM_NAMESPACES],
        "",
    )
    .await;
    let before = entries(&emulator, "prod-1");
    let kube = sso_entry(&before, "EKSTeam-kube").principal_arn.clone();
    assert_eq!(
        before[&kube].policies[EDIT_POLICY].namespaces,
        vec!["kube-*"]
    );

    let ctx = context(&emulator, mapping(&[ADMINS, TEAMS], ""), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1", false).await;

    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    let held = withheld(&report);
    assert_eq!(held.len(), 1, "{held:#?}");
    assert_eq!(withheld_delete(&held[0]), Some(kube.as_str()));
    assert!(matches!(&held[0].reason, WithholdReason::Problem { rule } if rule == "teams"));
    assert_eq!(report.status, ReconcileStatus::Held { withheld: 1 });
    assert_eq!(entries(&emulator, "prod-1"), before, "nothing changed");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_typo_in_a_renamed_rule_still_holds_the_entries_of_the_intended_permission_set() {
    let emulator = start().await;
    converge(&emulator, "prod-1", &[ADMINS, PAYMENTS], "").await;
    let before = entries(&emulator, "prod-1");
    let payments = sso_entry(&before, "PaymentsDeveloper")
        .principal_arn
        .clone();
    assert_eq!(before[&payments].tags["eks-sso-sync:rules"], "payments");

    // One edit renames the rule and slips a letter in its permission set: the entry's rules
    // tag names the old rule, so only the role-name shape can tie it to the problem.
    let edited = PAYMENTS
        .replace("name: payments\n", "name: payments-team\n")
        .replace(
            "permission_set: PaymentsDeveloper",
            "permission_set: PaymentsDevloper",
        );
    assert!(edited.contains("payments-team") && edited.contains("PaymentsDevloper"));
    let ctx = context(&emulator, mapping(&[ADMINS, &edited], ""), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1", false).await;

    assert!(
        report
            .problems
            .iter()
            .any(|p| p.rule == "payments-team"
                && p.message.contains("did you mean PaymentsDeveloper?")),
        "{:#?}",
        report.problems
    );
    assert_eq!(calls(&emulator, "DeleteAccessEntry"), 0, "{report:#?}");
    assert_eq!(entries(&emulator, "prod-1"), before, "nothing changed");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_typo_in_a_templated_groups_filter_holds_its_entries() {
    const SQUAD_GROUPS: &str = r#"
  - name: squads
    permission_set: "Squad-{squad}"
    groups: ["{squad}-squad"]
    access_policies:
      - { policy: View, scope: cluster }
"#;
    let emulator = start().await;
    converge(&emulator, "prod-1", &[ADMINS, SQUAD_GROUPS], "").await;
    let before = entries(&emulator, "prod-1");
    assert!(sso_entry(&before, "Squad-a").live && sso_entry(&before, "Squad-b").live);
    assert_eq!(
        before.len(),
        3,
        "only the squads with a group of their own, and the admin"
    );

    let typo = SQUAD_GROUPS.replace(r#"["{squad}-squad"]"#, r#"["{squad}-squda"]"#);
    assert_ne!(typo, SQUAD_GROUPS);
    let ctx = context(&emulator, mapping(&[ADMINS, &typo], ""), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1", false).await;

    let problem = report
        .problems
        .iter()
        .find(|p| p.rule == "squads")
        .unwrap_or_else(|| panic!("a problem names the rule: {report:#?}"));
    assert!(
        problem.message.contains("did you mean a-squad?")
            || problem.message.contains("did you mean b-squad?"),
        "the problem names the group that was meant: {problem:?}"
    );
    assert_eq!(calls(&emulator, "DeleteAccessEntry"), 0, "{report:#?}");
    assert_eq!(entries(&emulator, "prod-1"), before, "nothing changed");
    emulator.shutdown().await;
}

/// A mapping option that takes the seed's `legacy` cluster out of scope.
const EXCLUDE_LEGACY: &str = "clusters: { exclude: [{ name: legacy }] }";

#[tokio::test]
async fn a_cluster_that_left_scope_reports_its_managed_entries_as_orphans_and_keeps_them() {
    let emulator = start().await;
    converge(&emulator, "legacy", &[ADMINS, PAYMENTS], "").await;
    let before = entries(&emulator, "legacy");
    let legacy = format!("arn:aws:iam::{HUB}:role/legacy-admin");
    assert!(
        before.contains_key(&legacy),
        "an unmanaged entry beside ours"
    );
    let mut managed = vec![
        sso_entry(&before, "Admin").principal_arn.clone(),
        sso_entry(&before, "PaymentsDeveloper")
            .principal_arn
            .clone(),
    ];
    managed.sort();

    // The same rules, but the cluster is excluded (`on_unmanaged_cluster` left at `report`).
    let ctx = context(
        &emulator,
        mapping(&[ADMINS, PAYMENTS], EXCLUDE_LEGACY),
        None,
    )
    .await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "legacy", false).await;

    assert_eq!(report.status, ReconcileStatus::NotManaged, "{report:#?}");
    let mut orphaned: Vec<String> = report
        .orphaned
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect();
    orphaned.sort();
    assert_eq!(
        orphaned, managed,
        "the managed entries, not the hand-made one"
    );
    assert!(report.plan.is_none(), "report only: {:#?}", report.plan);
    let mut metrics = eks_sso_sync::metrics::Metrics::new("test");
    report.count_into(&mut metrics);
    assert_eq!(
        metrics.get(eks_sso_sync::metrics::names::ORPHANED_ENTRIES),
        2.0
    );
    assert!(
        calls(&emulator, "ListAccessEntries") >= 1,
        "the cluster was read"
    );
    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    assert_eq!(entries(&emulator, "legacy"), before, "nothing changed");

    // Every run says so again, and still writes nothing.
    emulator.clear_requests();
    let again = reconcile(&ctx, "legacy", false).await;
    assert_eq!(again.orphaned, report.orphaned);
    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    emulator.shutdown().await;
}

#[tokio::test]
async fn released_orphans_are_tagged_released_and_keep_their_access() {
    let emulator = start().await;
    converge(&emulator, "legacy", &[ADMINS, PAYMENTS], "").await;
    let before = entries(&emulator, "legacy");
    let admin = sso_entry(&before, "Admin").principal_arn.clone();

    let options = format!("{EXCLUDE_LEGACY}\noptions: {{ on_unmanaged_cluster: release }}");
    let ctx = context(&emulator, mapping(&[ADMINS, PAYMENTS], &options), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "legacy", false).await;

    assert_eq!(report.status, ReconcileStatus::NotManaged, "{report:#?}");
    assert_eq!(report.orphaned.len(), 2, "{:#?}", report.orphaned);
    assert_eq!(eks_writes(&emulator), vec!["TagResource"; 2]);
    assert_eq!(calls(&emulator, "DeleteAccessEntry"), 0);
    let after = entries(&emulator, "legacy");
    assert_eq!(after.len(), before.len(), "no entry was deleted");
    for (principal, entry) in &after {
        assert_eq!(
            entry.policies, before[principal].policies,
            "{principal} keeps its access"
        );
    }
    assert_eq!(after[&admin].tags["eks-sso-sync:managed"], "released");
    assert_eq!(
        sso_entry(&after, "PaymentsDeveloper").tags["eks-sso-sync:managed"],
        "released"
    );

    // Released entries are no longer ours: the next run finds no orphan and writes nothing.
    emulator.clear_requests();
    let again = reconcile(&ctx, "legacy", false).await;
    assert!(again.orphaned.is_empty(), "{:#?}", again.orphaned);
    assert_eq!(eks_writes(&emulator), Vec::<String>::new());
    emulator.shutdown().await;
}

#[tokio::test]
async fn pruned_orphans_stay_under_the_lockout_guard() {
    let emulator = start().await;
    converge(&emulator, "prod-1", &[ADMINS, PAYMENTS], "").await;
    let before = entries(&emulator, "prod-1");
    let admin = sso_entry(&before, "Admin").principal_arn.clone();
    let payments = sso_entry(&before, "PaymentsDeveloper")
        .principal_arn
        .clone();

    // prod-1 leaves scope with `prune`: its only admin is one of the orphans.
    let options =
        "clusters: { exclude: [{ name: prod-1 }] }\noptions: { on_unmanaged_cluster: prune }";
    let ctx = context(&emulator, mapping(&[ADMINS, PAYMENTS], options), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1", false).await;

    assert_eq!(report.status, ReconcileStatus::NotManaged, "{report:#?}");
    assert_eq!(report.orphaned.len(), 2, "{:#?}", report.orphaned);
    assert_eq!(eks_writes(&emulator), vec!["DeleteAccessEntry"]);
    let held = withheld(&report);
    assert_eq!(held.len(), 1, "{held:#?}");
    assert_eq!(withheld_delete(&held[0]), Some(admin.as_str()));
    assert_eq!(held[0].reason, WithholdReason::Lockout);
    let after = entries(&emulator, "prod-1");
    assert!(!after.contains_key(&payments), "the non-admin orphan went");
    assert!(after[&admin].policies.contains_key(ADMIN_POLICY));
    emulator.shutdown().await;
}

#[tokio::test]
async fn username_templates_reach_the_entries_as_eks_expands_them() {
    // EKS expands `{{SessionName}}` and `{{AccountID}}` at authentication; the entry keeps the
    // template, and the emulator refuses one without the colon EKS requires before it.
    const NAMED_SQUADS: &str = r#"
  - name: squads
    permission_set: "Squad-{squad}"
    username: "squad-{squad}:{{AccountID}}:{{SessionName}}"
    access_policies:
      - { policy: View, scope: cluster }
"#;
    let emulator = start().await;
    converge(&emulator, "prod-1", &[ADMINS, NAMED_SQUADS], "").await;
    let after = entries(&emulator, "prod-1");
    assert_eq!(
        sso_entry(&after, "Squad-a").username,
        "squad-a:{{AccountID}}:{{SessionName}}"
    );

    // A new template is an update in place, not a delete and recreate.
    let raw = NAMED_SQUADS.replace(":{{SessionName}}", ":{{SessionNameRaw}}");
    emulator.clear_requests();
    converge(&emulator, "prod-1", &[ADMINS, &raw], "").await;
    assert_eq!(calls(&emulator, "DeleteAccessEntry"), 0);
    assert!(calls(&emulator, "UpdateAccessEntry") >= 8, "one per squad");
    assert_eq!(
        sso_entry(&entries(&emulator, "prod-1"), "Squad-b").username,
        "squad-b:{{AccountID}}:{{SessionNameRaw}}"
    );

    // Without the colon the mapping is refused, naming the field, before anything is read.
    let text = format!(
        "{HEADER}rules:{}",
        NAMED_SQUADS.replace(
            "squad-{squad}:{{AccountID}}:{{SessionName}}",
            "squad-{squad}{{SessionName}}"
        )
    );
    let refused = eks_sso_sync::config::Mapping::from_str(&text, "scenario mapping")
        .err()
        .map(|report| report.to_string())
        .unwrap_or_default();
    assert!(
        refused.contains("username") && refused.contains("requires a ':' before {{SessionName}}"),
        "{refused}"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_unmanaged_admin_is_reported_never_changed_and_a_declared_one_is_not_reported() {
    let emulator = start().await;
    converge(&emulator, "prod-1", &[ADMINS, PAYMENTS], "").await;
    // Someone grants cluster-admin by hand, days after the cluster was made (so it is not
    // taken for the creator's bootstrap entry).
    emulator.advance_clock(3.0 * 86_400.0);
    let legacy = format!("arn:aws:iam::{HUB}:role/legacy-admin");
    let eks = aws_sdk_eks::Client::new(&adapters_support::hub_config(&emulator));
    eks.create_access_entry()
        .cluster_name("prod-1")
        .principal_arn(&legacy)
        .send()
        .await
        .expect("create by hand");
    eks.associate_access_policy()
        .cluster_name("prod-1")
        .principal_arn(&legacy)
        .policy_arn(ADMIN_POLICY)
        .access_scope(
            aws_sdk_eks::types::AccessScope::builder()
                .r#type(aws_sdk_eks::types::AccessScopeType::Cluster)
                .build(),
        )
        .send()
        .await
        .expect("associate by hand");
    let before = entries(&emulator, "prod-1");

    let ctx = context(&emulator, mapping(&[ADMINS, PAYMENTS], ""), None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1", false).await;
    let listed: Vec<String> = report
        .unmanaged_admins
        .iter()
        .map(|a| a.principal.to_string())
        .collect();
    assert_eq!(listed, std::slice::from_ref(&legacy), "{report:#?}");
    assert!(!report.unmanaged_admins[0].creator);
    let mut metrics = eks_sso_sync::metrics::Metrics::new("test");
    report.count_into(&mut metrics);
    assert_eq!(
        metrics.get(eks_sso_sync::metrics::names::UNMANAGED_ADMINS),
        1.0
    );
    assert!(eks_writes(&emulator).is_empty(), "never changed");
    assert_eq!(entries(&emulator, "prod-1"), before);

    // Declared as an RBAC admin on purpose: no longer a shadow admin.
    let declared = format!("options: {{ rbac_admins: [\"{legacy}\"] }}");
    let ctx = context(&emulator, mapping(&[ADMINS, PAYMENTS], &declared), None).await;
    let report = reconcile(&ctx, "prod-1", false).await;
    assert!(report.unmanaged_admins.is_empty(), "{report:#?}");
    emulator.shutdown().await;
}
