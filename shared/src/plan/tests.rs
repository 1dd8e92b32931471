//! Table tests: one behaviour of the planner per test, on small hand-written clusters.

use std::collections::{BTreeMap, BTreeSet};

use crate::desired::{ClusterDesired, Conflict, DesiredEntry, DesiredState};
use crate::domain::{
    AccessScope, AccountId, ActualEntry, AuthenticationMode, ClusterInfo, ClusterName, ClusterRef,
    ClusterStatus, EntryType, KubernetesGroup, ManagedTags, NamespacePattern, PolicyArn,
    PrincipalArn, Region, RoleId, Username,
};

use super::*;

pub(super) const CLUSTER_CREATED_AT: i64 = 1_700_000_000;

pub(super) fn arn(name: &str) -> PrincipalArn {
    PrincipalArn::new(format!(
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/{name}"
    ))
    .unwrap()
}

pub(super) fn role_id(n: u32) -> RoleId {
    RoleId::new(format!("AROAEXAMPLE{n:09}")).unwrap()
}

pub(super) fn policy(name: &str) -> PolicyArn {
    PolicyArn::for_people(name).unwrap()
}

pub(super) fn ns(list: &[&str]) -> AccessScope {
    AccessScope::Namespace(
        list.iter()
            .map(|n| NamespacePattern::new(*n).unwrap())
            .collect(),
    )
}

pub(super) fn cluster_ref(name: &str) -> ClusterRef {
    ClusterRef::new(
        AccountId::new("111122223333").unwrap(),
        Region::new("eu-west-1").unwrap(),
        ClusterName::new(name).unwrap(),
    )
}

pub(super) fn cluster_info(status: ClusterStatus, mode: AuthenticationMode) -> ClusterInfo {
    ClusterInfo {
        cluster: cluster_ref("prod-1"),
        status,
        authentication_mode: mode,
        tags: BTreeMap::new(),
        created_at: Some(CLUSTER_CREATED_AT),
    }
}

fn want(name: &str, id: u32, groups: &[&str], policies: &[(&str, AccessScope)]) -> DesiredEntry {
    DesiredEntry {
        principal: arn(name),
        role_id: role_id(id),
        kubernetes_groups: groups
            .iter()
            .map(|g| KubernetesGroup::new(*g).unwrap())
            .collect(),
        username: None,
        policies: policies
            .iter()
            .map(|(p, s)| (policy(p), s.clone()))
            .collect(),
        rules: BTreeSet::from(["rule-a".to_owned()]),
    }
}

/// The entry EKS holds once `desired` has been applied: managed tags, server-default username.
fn managed(desired: &DesiredEntry) -> ActualEntry {
    ActualEntry {
        principal: desired.principal.clone(),
        arn: Some(format!("{}-entry", desired.principal)),
        entry_type: EntryType::Standard,
        kubernetes_groups: desired
            .kubernetes_groups
            .iter()
            .map(|g| g.to_string())
            .collect(),
        username: Some(default_username(&desired.principal)),
        tags: ManagedTags::for_entry(&desired.rules, &desired.role_id),
        policies: desired.policies.clone(),
        created_at: Some(CLUSTER_CREATED_AT + 86_400),
    }
}

fn unmanaged(name: &str, policies: &[(&str, AccessScope)]) -> ActualEntry {
    ActualEntry {
        principal: arn(name),
        arn: Some(format!("{name}-entry")),
        entry_type: EntryType::Standard,
        kubernetes_groups: BTreeSet::new(),
        username: Some(default_username(&arn(name))),
        tags: BTreeMap::from([("team".to_owned(), "platform".to_owned())]),
        policies: policies
            .iter()
            .map(|(p, s)| (policy(p), s.clone()))
            .collect(),
        created_at: Some(CLUSTER_CREATED_AT + 86_400),
    }
}

fn cluster(entries: Vec<DesiredEntry>) -> ClusterDesired {
    ClusterDesired {
        cluster: cluster_info(ClusterStatus::Active, AuthenticationMode::Api),
        entries: entries
            .into_iter()
            .map(|e| (e.principal.clone(), e))
            .collect(),
        held: BTreeMap::new(),
    }
}

fn kinds(plan: &ClusterPlan) -> Vec<&'static str> {
    plan.operations
        .iter()
        .map(|op| match op {
            Operation::SetAuthenticationMode { .. } => "mode",
            Operation::CreateEntry { .. } => "create",
            Operation::RecreateEntry { .. } => "recreate",
            Operation::UpdateEntry { .. } => "update",
            Operation::TagEntry { .. } => "tag",
            Operation::AssociatePolicy { .. } => "associate",
            Operation::DisassociatePolicy { .. } => "disassociate",
            Operation::DeleteEntry { .. } => "delete",
        })
        .collect()
}

fn reasons(plan: &ClusterPlan) -> Vec<SkipReason> {
    plan.skipped.iter().map(|s| s.reason.clone()).collect()
}

const ADMIN: &str = "ClusterAdmin";

#[test]
fn missing_entry_is_created_then_associated() {
    let alice = want(
        "Dev",
        1,
        &["devs"],
        &[("Edit", ns(&["a"])), ("View", AccessScope::Cluster)],
    );
    let plan = plan_cluster(&cluster(vec![alice.clone()]), &[], &PlanOptions::default());
    assert_eq!(kinds(&plan), ["create", "associate", "associate"]);
    let Operation::CreateEntry { entry } = &plan.operations[0] else {
        panic!("{:?}", plan.operations[0]);
    };
    assert_eq!(
        entry.tags,
        ManagedTags::for_entry(&alice.rules, &alice.role_id)
    );
    assert_eq!(entry.username, None);
    assert!(
        plan.operations[1..]
            .iter()
            .all(|op| matches!(op, Operation::AssociatePolicy { before: None, .. }))
    );
}

#[test]
fn role_recreated_under_the_same_arn_recreates_the_entry() {
    let old = want("Dev", 1, &["devs"], &[("Edit", ns(&["a"]))]);
    let new = want("Dev", 2, &["devs"], &[("Edit", ns(&["a"]))]);
    let plan = plan_cluster(
        &cluster(vec![new]),
        &[managed(&old)],
        &PlanOptions::default(),
    );
    assert_eq!(kinds(&plan), ["recreate", "associate"]);
    assert_eq!(
        plan.operations[0],
        Operation::RecreateEntry {
            entry: entry::new_entry(&want("Dev", 2, &["devs"], &[("Edit", ns(&["a"]))])),
            old_role_id: Some(role_id(1).to_string()),
            new_role_id: role_id(2),
        }
    );
    assert!(matches!(
        &plan.operations[1],
        Operation::AssociatePolicy { before: None, .. }
    ));
}

#[test]
fn scope_change_is_one_associate_with_before_and_no_disassociate() {
    let before = want("Dev", 1, &[], &[("Edit", ns(&["a"]))]);
    let after = want("Dev", 1, &[], &[("Edit", ns(&["a", "b-*"]))]);
    let plan = plan_cluster(
        &cluster(vec![after]),
        &[managed(&before)],
        &PlanOptions::default(),
    );
    assert_eq!(
        plan.operations,
        [Operation::AssociatePolicy {
            principal: arn("Dev"),
            policy: policy("Edit"),
            scope: ns(&["a", "b-*"]),
            before: Some(ns(&["a"])),
        }]
    );
}

#[test]
fn group_change_is_exactly_one_update_with_the_whole_list() {
    let before = want("Dev", 1, &["devs"], &[]);
    let after = want("Dev", 1, &["devs", "oncall"], &[]);
    let plan = plan_cluster(
        &cluster(vec![after]),
        &[managed(&before)],
        &PlanOptions::default(),
    );
    assert_eq!(kinds(&plan), ["update"]);
    let Operation::UpdateEntry {
        kubernetes_groups,
        username,
        before_groups,
        ..
    } = &plan.operations[0]
    else {
        panic!("{:?}", plan.operations);
    };
    let names: Vec<&str> = kubernetes_groups.iter().map(|g| g.as_str()).collect();
    assert_eq!(names, ["devs", "oncall"]);
    assert_eq!(*username, None);
    assert_eq!(*before_groups, BTreeSet::from(["devs".to_owned()]));
}

#[test]
fn server_default_username_is_no_change_but_a_set_username_is() {
    let dev = want("Dev", 1, &["devs"], &[("View", AccessScope::Cluster)]);
    let plan = plan_cluster(
        &cluster(vec![dev.clone()]),
        &[managed(&dev)],
        &PlanOptions::default(),
    );
    assert!(plan.is_empty(), "{:?}", plan.operations);

    let mut named = dev.clone();
    named.username = Some(Username::new("alice").unwrap());
    let plan = plan_cluster(
        &cluster(vec![named]),
        &[managed(&dev)],
        &PlanOptions::default(),
    );
    assert_eq!(kinds(&plan), ["update"]);
}

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
fn unmanaged_entry_is_a_conflict_unless_adopted() {
    let dev = want("Dev", 1, &["devs"], &[("Edit", ns(&["a"]))]);
    let existing = unmanaged("Dev", &[("View", AccessScope::Cluster)]);
    let desired = cluster(vec![dev.clone()]);
    let plan = plan_cluster(&desired, &[existing.clone()], &PlanOptions::default());
    assert!(plan.is_empty());
    assert_eq!(reasons(&plan), [SkipReason::UnmanagedEntry]);
    assert!(plan.skipped[0].detail.contains("adopt_existing"));

    let adopt = PlanOptions {
        adopt_existing: true,
        ..PlanOptions::default()
    };
    let plan = plan_cluster(&desired, &[existing.clone()], &adopt);
    assert_eq!(kinds(&plan), ["tag", "update", "associate", "disassociate"]);
    let Operation::TagEntry {
        entry_arn, tags, ..
    } = &plan.operations[0]
    else {
        panic!("{:?}", plan.operations);
    };
    assert_eq!(entry_arn, "Dev-entry");
    assert_eq!(tags, &ManagedTags::for_entry(&dev.rules, &dev.role_id));
    let after = apply_to_actual(&[existing], &plan.operations);
    assert!(after[0].is_managed());
    assert_eq!(after[0].tags["team"], "platform", "other tags are kept");
    assert!(plan_cluster(&desired, &after, &adopt).is_empty());
}

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

#[test]
fn creator_entry_is_kept_without_the_option() {
    let admin = want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]);
    let plan = plan_cluster(
        &cluster(vec![admin.clone()]),
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
    let plan = plan_cluster(&cluster(vec![admin]), &[creator_entry()], &remove);
    assert_eq!(kinds(&plan), ["create", "associate", "delete"]);
    assert_eq!(
        plan.operations[2],
        Operation::DeleteEntry {
            principal: arn("Creator"),
            reason: DeleteReason::CreatorAdminRemoved,
        }
    );

    let viewer = want("Viewer", 1, &[], &[("View", AccessScope::Cluster)]);
    let plan = plan_cluster(&cluster(vec![viewer]), &[creator_entry()], &remove);
    assert_eq!(kinds(&plan), ["create", "associate"]);
    assert_eq!(reasons(&plan), [SkipReason::CreatorEntry]);
    assert!(plan.skipped[0].detail.contains("no managed cluster-admin"));
}

#[test]
fn an_admin_entry_added_long_after_creation_is_not_the_creators() {
    let mut late = creator_entry();
    late.created_at = Some(CLUSTER_CREATED_AT + CREATOR_ENTRY_WINDOW_SECS + 1);
    let admin = want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]);
    let options = PlanOptions {
        remove_creator_admin: true,
        ..PlanOptions::default()
    };
    let plan = plan_cluster(
        &cluster(vec![admin.clone()]),
        &[late, managed(&admin)],
        &options,
    );
    assert!(plan.is_empty(), "{:?}", plan.operations);
}

#[test]
fn prune_deletes_managed_entries_no_longer_desired_only_when_on() {
    let gone = managed(&want("Gone", 1, &[], &[("View", AccessScope::Cluster)]));
    let desired = cluster(vec![]);
    let kept = plan_cluster(&desired, &[gone.clone()], &PlanOptions::default());
    assert!(kept.is_empty() && kept.skipped.is_empty());
    let prune = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let plan = plan_cluster(&desired, &[gone, unmanaged("Other", &[])], &prune);
    assert_eq!(
        plan.operations,
        [Operation::DeleteEntry {
            principal: arn("Gone"),
            reason: DeleteReason::NoLongerDesired,
        }]
    );
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
            rules: BTreeSet::from(["a".to_owned(), "b".to_owned()]),
            detail: "different policies".into(),
        },
    );
    let prune = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let plan = plan_cluster(&desired, &[admin.clone()], &prune);
    assert!(plan.is_empty());
    let reason = plan.refused.as_deref().unwrap();
    assert!(reason.contains("111122223333/eu-west-1/prod-1"), "{reason}");
    assert!(reason.contains(admin.principal.as_str()), "{reason}");
    assert_eq!(plan.conflicts.len(), 1, "conflicts are kept");
    assert_eq!(reasons(&plan), [SkipReason::SharedRoleConflict]);

    // A break-glass entry is an admin the plan cannot remove: no refusal.
    let glass = unmanaged("Glass", &[]);
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

#[test]
fn held_principal_is_left_exactly_as_it_is() {
    let shared = want("Shared", 1, &["x"], &[("Edit", ns(&["a"]))]);
    let mut desired = cluster(vec![want("Shared", 1, &["y"], &[])]);
    let conflict = Conflict {
        principal: arn("Shared"),
        rules: BTreeSet::from(["payments".to_owned(), "search".to_owned()]),
        detail: "payments gives Edit, search gives View".into(),
    };
    desired.held.insert(arn("Shared"), conflict.clone());
    let plan = plan_cluster(&desired, &[managed(&shared)], &PlanOptions::default());
    assert!(plan.is_empty());
    assert_eq!(plan.conflicts, [conflict]);
    assert_eq!(reasons(&plan), [SkipReason::SharedRoleConflict]);
    assert!(plan.skipped[0].detail.contains("payments, search"));
}

#[test]
fn rules_tag_is_refreshed_only_when_it_differs() {
    let dev = want("Dev", 1, &[], &[]);
    let mut renamed = dev.clone();
    renamed.rules = BTreeSet::from(["rule-a".to_owned(), "rule-b".to_owned()]);
    let same = plan_cluster(
        &cluster(vec![dev.clone()]),
        &[managed(&dev)],
        &PlanOptions::default(),
    );
    assert!(same.is_empty());
    let plan = plan_cluster(
        &cluster(vec![renamed.clone()]),
        &[managed(&dev)],
        &PlanOptions::default(),
    );
    assert_eq!(kinds(&plan), ["tag"]);
    let Operation::TagEntry { tags, .. } = &plan.operations[0] else {
        panic!();
    };
    assert_eq!(tags[ManagedTags::RULES], "rule-a,rule-b");
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

fn sample_plan() -> AccessPlan {
    let admin = want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]);
    let dev_before = want(
        "Dev",
        1,
        &["devs"],
        &[("Edit", ns(&["a"])), ("View", AccessScope::Cluster)],
    );
    let dev_after = want("Dev", 1, &["devs", "oncall"], &[("Edit", ns(&["a", "b"]))]);
    let gone = want("Gone", 1, &[], &[]);
    let mut desired = cluster(vec![admin, dev_after]);
    desired
        .entries
        .get_mut(&arn("Admin"))
        .unwrap()
        .kubernetes_groups
        .clear();
    let mut state = DesiredState::default();
    state.clusters.insert(cluster_ref("prod-1"), desired);
    let mut creating = cluster(vec![]);
    creating.cluster.cluster = cluster_ref("prod-2");
    creating.cluster.status = ClusterStatus::Creating;
    state.clusters.insert(cluster_ref("prod-2"), creating);
    let actual = BTreeMap::from([(
        cluster_ref("prod-1"),
        vec![
            managed(&dev_before),
            managed(&gone),
            unmanaged("Legacy", &[]),
        ],
    )]);
    let options = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    plan(&state, &actual, &options)
}

#[test]
fn rendered_table_shows_each_change_with_its_marker() {
    let table = render_table(&sample_plan());
    let lines: Vec<&str> = table.lines().collect();
    let dev = arn("Dev");
    let expected = [
        "cluster 111122223333/eu-west-1/prod-1: 2 to add, 2 to change, 2 to remove".to_owned(),
        format!(
            "  + create {} groups [] username (EKS default)",
            arn("Admin")
        ),
        format!("  ~ update {dev} groups [devs] -> [devs,oncall]"),
        format!(
            "  + associate {} AmazonEKSClusterAdminPolicy (cluster)",
            arn("Admin")
        ),
        format!("  ~ re-scope {dev} AmazonEKSEditPolicy (namespaces a -> namespaces a,b)"),
        format!("  - disassociate {dev} AmazonEKSViewPolicy (cluster)"),
        format!("  - delete {} (no longer desired)", arn("Gone")),
        "cluster 111122223333/eu-west-1/prod-2: 0 to add, 0 to change, 0 to remove".to_owned(),
        "  ! skipped (cluster): cluster not ACTIVE - the cluster is CREATING; its access entries \
         are planned once it is ACTIVE"
            .to_owned(),
        "  (no changes)".to_owned(),
    ];
    assert_eq!(lines, expected, "\n{table}");
}

#[test]
fn json_has_a_versioned_stable_shape() {
    let plan = sample_plan();
    let json = to_json(&plan);
    assert_eq!(json, to_json(&sample_plan()), "same plan, same bytes");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["schema_version"], 1);
    let first = &value["clusters"][0];
    assert_eq!(first["cluster"]["name"], "prod-1");
    assert_eq!(first["operations"][0]["op"], "create_entry");
    assert_eq!(
        first["operations"][0]["entry"]["username"],
        serde_json::Value::Null
    );
    assert_eq!(first["operations"][3]["op"], "associate_policy");
    assert_eq!(first["operations"][3]["before"]["type"], "namespace");
    assert_eq!(
        first["operations"][5]["reason"]["kind"],
        "no_longer_desired"
    );
    assert_eq!(first["refused"], serde_json::Value::Null);
    assert_eq!(
        value["clusters"][1]["skipped"][0]["reason"]["kind"],
        "cluster_not_active"
    );
    let clusters: Vec<ClusterPlan> = serde_json::from_value(value["clusters"].clone()).unwrap();
    assert_eq!(
        clusters, plan.clusters,
        "the JSON reads back into the same plan"
    );
}

#[test]
fn a_cluster_missing_from_actual_is_planned_as_empty() {
    let plan = sample_plan();
    assert_eq!(plan.clusters.len(), 2);
    assert_eq!(plan.clusters[1].cluster, cluster_ref("prod-2"));
    let mut state = DesiredState::default();
    state.clusters.insert(
        cluster_ref("prod-1"),
        cluster(vec![want("Dev", 1, &[], &[])]),
    );
    let planned = super::plan(&state, &BTreeMap::new(), &PlanOptions::default());
    assert_eq!(kinds(&planned.clusters[0]), ["create"]);
}

#[test]
fn simulation_follows_eks_semantics() {
    let dev = want("Dev", 1, &["devs"], &[]);
    let ops = entry::create(&dev);
    let after = apply_to_actual(&[], &ops);
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].entry_type, EntryType::Standard);
    assert_eq!(
        after[0].username.as_deref(),
        Some("arn:aws:sts::111122223333:assumed-role/Dev/{{SessionName}}")
    );
    let associate = |scope: AccessScope| Operation::AssociatePolicy {
        principal: arn("Dev"),
        policy: policy("Edit"),
        scope,
        before: None,
    };
    let after = apply_to_actual(&after, &[associate(ns(&["a"])), associate(ns(&["b"]))]);
    assert_eq!(
        after[0].policies[&policy("Edit")],
        ns(&["b"]),
        "associate replaces the scope"
    );
    let delete = Operation::DeleteEntry {
        principal: arn("Dev"),
        reason: DeleteReason::NoLongerDesired,
    };
    assert!(apply_to_actual(&after, &[delete.clone(), associate(ns(&["a"]))]).is_empty());
}
