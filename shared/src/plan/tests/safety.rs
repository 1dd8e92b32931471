//! The safety invariants: untouchable entries, the creator's entry and the lockout guard.

use super::*;

#[test]
fn non_standard_and_break_glass_entries_are_never_touched() {
    let mut node = unmanaged("Node", &[]);
    node.entry_type = EntryType::Other("EC2_LINUX".into());
    let glass_want = want("Glass", 2, &[], &[("View", AccessScope::Cluster)]);
    let mut glass = managed(&want("Glass", 1, &[], &[]));
    glass
        .tags
        .insert(ManagedTags::ROLE_ID.into(), role_id(7).to_string());
    let desired = cluster(vec![want("Node", 1, &[], &[]), glass_want]);
    let options = PlanOptions {
        adopt_existing: true,
        prune: true,
        break_glass: BTreeSet::from([arn("Glass")]),
        ..PlanOptions::default()
    };
    let plan = plan_cluster(&desired, &[node, glass], &options);
    assert!(plan.is_empty(), "{:?}", plan.operations);
    assert_eq!(
        reasons(&plan),
        [SkipReason::BreakGlass, SkipReason::NotStandard]
    );
}

fn creator_entry() -> ActualEntry {
    let mut creator = unmanaged("Creator", &[(ADMIN, AccessScope::Cluster)]);
    creator.created_at = Some(CLUSTER_CREATED_AT + 420);
    creator
}

/// The cluster of `entries`, created by `Creator` as its `CreateCluster` record says.
fn created_by_creator(entries: Vec<DesiredEntry>) -> ClusterDesired {
    let mut desired = cluster(entries);
    desired.cluster.creator = Some(arn("Creator"));
    desired
}

#[test]
fn creator_entry_is_kept_without_the_option() {
    let admin = want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]);
    let plan = plan_cluster(
        &created_by_creator(vec![admin.clone()]),
        &[creator_entry(), managed(&admin)],
        &PlanOptions {
            prune: true,
            ..PlanOptions::default()
        },
    );
    assert!(plan.is_empty(), "{:?}", plan.operations);
    assert!(plan.skipped.is_empty());
}

#[test]
fn creator_entry_is_removed_only_with_the_option_and_a_managed_admin() {
    let remove = PlanOptions {
        remove_creator_admin: true,
        ..PlanOptions::default()
    };
    // A managed admin created by this very plan counts: creates come before the delete.
    let admin = want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]);
    let plan = plan_cluster(
        &created_by_creator(vec![admin]),
        &[creator_entry()],
        &remove,
    );
    assert_eq!(kinds(&plan), ["create", "associate", "delete"]);
    assert_eq!(
        plan.operations[2],
        Operation::DeleteEntry {
            principal: arn("Creator"),
            reason: DeleteReason::CreatorAdminRemoved,
        }
    );

    let viewer = want("Viewer", 1, &[], &[("View", AccessScope::Cluster)]);
    let plan = plan_cluster(
        &created_by_creator(vec![viewer]),
        &[creator_entry()],
        &remove,
    );
    assert_eq!(kinds(&plan), ["create", "associate"]);
    assert_eq!(reasons(&plan), [SkipReason::CreatorEntry]);
    assert!(plan.skipped[0].detail.contains("no managed cluster-admin"));
}

#[test]
fn the_creator_is_never_guessed_from_timing() {
    // An admin entry made a few minutes after the cluster, with no CreateCluster record (the
    // sweep) or one naming someone else: not the creator's, whatever its age.
    let admin = want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]);
    let options = PlanOptions {
        remove_creator_admin: true,
        ..PlanOptions::default()
    };
    let unknown = cluster(vec![admin.clone()]);
    let mut someone_else = created_by_creator(vec![admin.clone()]);
    someone_else.cluster.creator = Some(arn("Pipeline"));
    for desired in [unknown, someone_else] {
        let plan = plan_cluster(&desired, &[creator_entry(), managed(&admin)], &options);
        assert!(plan.is_empty(), "{:?}", plan.operations);
    }
}

#[test]
fn lockout_guard_refuses_a_plan_that_removes_the_last_admin() {
    let admin = managed(&want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]));
    let dev = want("Dev", 2, &[], &[("Edit", ns(&["a"]))]);
    let mut desired = cluster(vec![dev]);
    desired.held.insert(
        arn("Shared"),
        Conflict {
            principal: arn("Shared"),
            rules: crate::domain::rule_names(["a", "b"]),
            detail: "different policies".into(),
        },
    );
    let prune = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let plan = plan_cluster(&desired, std::slice::from_ref(&admin), &prune);
    // A refusal is partial: the grant to Dev still applies, only the admin's removal is held.
    assert_eq!(
        kinds(&plan),
        ["create", "associate"],
        "{:?}",
        plan.operations
    );
    assert_eq!(plan.withheld.len(), 1, "the admin's deletion is withheld");
    assert_eq!(
        plan.withheld[0].operation,
        Operation::DeleteEntry {
            principal: admin.principal.clone(),
            reason: DeleteReason::NoLongerDesired,
        }
    );
    assert_eq!(plan.withheld[0].reason, WithholdReason::Lockout);
    let reason = plan.refused.as_deref().unwrap();
    assert!(reason.contains("111122223333/eu-west-1/prod-1"), "{reason}");
    assert!(reason.contains(admin.principal.as_str()), "{reason}");
    assert_eq!(plan.conflicts.len(), 1, "conflicts are kept");
    assert_eq!(reasons(&plan), [SkipReason::SharedRoleConflict]);

    // A working break-glass admin entry is an admin the plan cannot remove: no refusal.
    let glass = unmanaged("Glass", &[(ADMIN, AccessScope::Cluster)]);
    let options = PlanOptions {
        break_glass: BTreeSet::from([arn("Glass")]),
        ..prune.clone()
    };
    let plan = plan_cluster(&desired, &[admin, glass], &options);
    assert!(plan.refused.is_none());
    assert!(kinds(&plan).contains(&"delete"));
}

#[test]
fn lockout_guard_does_not_refuse_when_there_was_no_admin() {
    let viewer = managed(&want("Viewer", 1, &[], &[("View", AccessScope::Cluster)]));
    // A dead admin entry (role recreated) grants nothing, so it is not counted before the plan.
    let dead = managed(&want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]));
    let desired = cluster(vec![want(
        "Admin",
        2,
        &[],
        &[("View", AccessScope::Cluster)],
    )]);
    let prune = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let plan = plan_cluster(&desired, &[viewer, dead], &prune);
    assert!(plan.refused.is_none());
    assert_eq!(kinds(&plan), ["recreate", "associate", "delete"]);
}
