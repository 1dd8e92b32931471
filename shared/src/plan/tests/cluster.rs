//! Cluster-level behaviour: the gates, the entry limit and the phase order.

use super::*;

#[test]
fn config_map_cluster_is_skipped_or_switched_and_nothing_else() {
    let mut desired = cluster(vec![want("Dev", 1, &[], &[("View", AccessScope::Cluster)])]);
    desired.cluster.authentication_mode = AuthenticationMode::ConfigMap;
    let plan = plan_cluster(&desired, &[], &PlanOptions::default());
    assert!(plan.is_empty());
    assert_eq!(reasons(&plan), [SkipReason::ConfigMapCluster]);
    assert_eq!(plan.skipped[0].principal, None);

    let switch = PlanOptions {
        switch_auth_mode: true,
        ..PlanOptions::default()
    };
    let plan = plan_cluster(&desired, &[], &switch);
    assert_eq!(
        plan.operations,
        [Operation::SetAuthenticationMode {
            from: AuthenticationMode::ConfigMap,
            to: AuthenticationMode::ApiAndConfigMap,
        }]
    );
    assert!(plan.skipped.is_empty());
}

#[test]
fn cluster_not_active_is_skipped_whole() {
    let mut desired = cluster(vec![want("Dev", 1, &[], &[("View", AccessScope::Cluster)])]);
    desired.cluster.status = ClusterStatus::Creating;
    let plan = plan_cluster(&desired, &[], &PlanOptions::default());
    assert!(plan.is_empty());
    assert_eq!(reasons(&plan), [SkipReason::ClusterNotActive]);
    assert!(plan.skipped[0].detail.contains("CREATING"));
}

/// `count` unmanaged entries nobody desires, named so they sort after the desired ones.
fn filler(count: usize) -> Vec<ActualEntry> {
    (0..count)
        .map(|i| unmanaged(&format!("zz-filler-{i:04}"), &[]))
        .collect()
}

#[test]
fn creates_beyond_the_entry_limit_are_dropped_in_principal_order() {
    let desired = cluster(vec![
        want("Dev-a", 1, &[], &[("View", AccessScope::Cluster)]),
        want("Dev-b", 2, &[], &[("View", AccessScope::Cluster)]),
        want("Dev-c", 3, &[], &[("View", AccessScope::Cluster)]),
    ]);
    let actual = filler(MAX_ENTRIES_PER_CLUSTER - 1);
    let plan = plan_cluster(&desired, &actual, &PlanOptions::default());
    assert_eq!(kinds(&plan), ["create", "associate"]);
    assert_eq!(plan.operations[0].principal(), Some(&arn("Dev-a")));
    let limited: Vec<_> = plan
        .skipped
        .iter()
        .filter(|s| s.reason == SkipReason::EntryLimit)
        .map(|s| s.principal.clone())
        .collect();
    assert_eq!(limited, [Some(arn("Dev-b")), Some(arn("Dev-c"))]);
}

#[test]
fn entry_limit_counts_entries_that_a_later_delete_would_free() {
    // Deletes run after creates, so the slot a prune frees is only usable on the next reconcile.
    let gone = want("Gone", 9, &[], &[]);
    let mut actual = filler(MAX_ENTRIES_PER_CLUSTER - 1);
    actual.push(managed(&gone));
    let desired = cluster(vec![want("Dev", 1, &[], &[])]);
    let prune = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let plan = plan_cluster(&desired, &actual, &prune);
    assert_eq!(kinds(&plan), ["delete"]);
    assert_eq!(reasons(&plan), [SkipReason::EntryLimit]);
    let next = plan_cluster(
        &desired,
        &apply_to_actual(&actual, &plan.operations),
        &prune,
    );
    assert_eq!(kinds(&next), ["create"]);
}

#[test]
fn operations_are_in_phase_order_across_principals() {
    let a_before = want(
        "A",
        1,
        &["g"],
        &[("Edit", ns(&["a"])), ("View", AccessScope::Cluster)],
    );
    let a_after = want("A", 1, &["h"], &[("Edit", ns(&["b"]))]);
    let b_before = want("B", 1, &[], &[]);
    let b_after = want("B", 2, &[], &[("View", AccessScope::Cluster)]);
    let c = want("C", 3, &[], &[("View", AccessScope::Cluster)]);
    let gone = want("Gone", 4, &[], &[]);
    let actual = [managed(&a_before), managed(&b_before), managed(&gone)];
    let prune = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let plan = plan_cluster(&cluster(vec![a_after, b_after, c]), &actual, &prune);
    assert_eq!(
        kinds(&plan),
        [
            "recreate",
            "create",
            "update",
            "associate",
            "associate",
            "associate",
            "disassociate",
            "delete"
        ]
    );
    let associated: Vec<_> = plan.operations[3..6]
        .iter()
        .map(|o| o.principal().unwrap().name().to_owned())
        .collect();
    assert_eq!(
        associated,
        ["A", "B", "C"],
        "principal order within a phase"
    );
}
