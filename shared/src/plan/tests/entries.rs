//! Per-entry decisions: create, recreate, in-place corrections, adoption, holds and prune.

use super::*;

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
        ManagedTags::for_entry(alice.rules(), &alice.role_id)
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
fn unmanaged_entry_is_a_conflict_unless_adopted() {
    let dev = want("Dev", 1, &["devs"], &[("Edit", ns(&["a"]))]);
    let existing = unmanaged("Dev", &[("View", AccessScope::Cluster)]);
    let desired = cluster(vec![dev.clone()]);
    let plan = plan_cluster(
        &desired,
        std::slice::from_ref(&existing),
        &PlanOptions::default(),
    );
    assert!(plan.is_empty());
    assert_eq!(reasons(&plan), [SkipReason::UnmanagedEntry]);
    assert!(plan.skipped[0].detail.contains("adopt_existing"));

    let adopt = PlanOptions {
        adopt_existing: true,
        ..PlanOptions::default()
    };
    let plan = plan_cluster(&desired, std::slice::from_ref(&existing), &adopt);
    assert_eq!(kinds(&plan), ["tag", "update", "associate", "disassociate"]);
    let Operation::TagEntry {
        entry_arn, tags, ..
    } = &plan.operations[0]
    else {
        panic!("{:?}", plan.operations);
    };
    assert_eq!(*entry_arn, super::entry_arn("Dev"));
    assert_eq!(tags, &ManagedTags::for_entry(dev.rules(), &dev.role_id));
    let after = apply_to_actual(&[existing], &plan.operations);
    assert!(after[0].is_managed());
    assert_eq!(after[0].tags["team"], "platform", "other tags are kept");
    assert!(plan_cluster(&desired, &after, &adopt).is_empty());
}

#[test]
fn prune_deletes_managed_entries_no_longer_desired_only_when_on() {
    let gone = managed(&want("Gone", 1, &[], &[("View", AccessScope::Cluster)]));
    let desired = cluster(vec![]);
    let kept = plan_cluster(
        &desired,
        std::slice::from_ref(&gone),
        &PlanOptions::default(),
    );
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
fn held_principal_is_left_exactly_as_it_is() {
    let shared = want("Shared", 1, &["x"], &[("Edit", ns(&["a"]))]);
    let mut desired = cluster(vec![want("Shared", 1, &["y"], &[])]);
    let conflict = Conflict {
        principal: arn("Shared"),
        rules: crate::domain::rule_names(["payments", "search"]),
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
    renamed.sources = crate::desired::sources_named(["rule-a", "rule-b"]);
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
