//! Table tests of shared-role merging: when the rules reaching one SSO role merge, and when
//! they are held as a conflict.

use super::tests::{A1, World, at, cluster, mapping, ns, policy, sso_role};
use super::*;

pub(super) const SHARED: &str = "rules:
  - { name: a-edit, permission_set: Dev, groups: [a], access_policies: [{ policy: Edit, namespaces: [a] }] }
  - { name: b-edit, permission_set: Dev, groups: [b], access_policies: [{ policy: Edit, namespaces: [b] }] }
";

#[test]
fn rules_that_would_widen_a_shared_role_are_held_as_a_conflict() {
    let role = sso_role(A1, "Dev", "00000000000000aa", Some("eu-west-1"));
    let world = World::default()
        .assign("Dev", A1, &["a", "b"])
        .role(role.clone())
        .cluster(cluster(A1, "eu-west-1", "one", &[]))
        .cluster(cluster(A1, "us-east-1", "two", &[]));
    let state = compute(&mapping(SHARED), &world.0);
    // One conflict, though it is held on two clusters.
    assert_eq!(state.conflicts.len(), 1, "{state:#?}");
    let conflict = &state.conflicts[0];
    assert_eq!(conflict.principal, role.arn);
    assert_eq!(
        conflict.rules,
        crate::domain::rule_names(["a-edit", "b-edit"])
    );
    for (region, name) in [("eu-west-1", "one"), ("us-east-1", "two")] {
        let desired = at(&state, A1, region, name);
        assert!(desired.entries.is_empty());
        assert_eq!(desired.held[&role.arn], *conflict);
    }
}

#[test]
fn rules_merge_when_no_group_gains_access_meant_for_another() {
    let role = sso_role(A1, "Dev", "00000000000000aa", Some("eu-west-1"));
    // Only group a holds the assignment: b-edit does not apply, nothing to widen.
    let world = World::default()
        .assign("Dev", A1, &["a"])
        .role(role.clone())
        .cluster(cluster(A1, "eu-west-1", "one", &[]));
    let state = compute(&mapping(SHARED), &world.0);
    assert!(state.conflicts.is_empty());
    let entry = &at(&state, A1, "eu-west-1", "one").entries[&role.arn];
    assert_eq!(
        entry.rules(),
        crate::domain::rule_names(["a-edit"]).iter().collect()
    );
    let crate::desired::RuleVia::PermissionSet {
        groups_filter,
        assigned_to,
        ..
    } = &entry.sources[0].via
    else {
        panic!("{entry:?}");
    };
    let a = crate::domain::GroupName::new("a").unwrap();
    assert_eq!(groups_filter.as_ref(), Some(&[a.clone()].into()));
    assert_eq!(
        *assigned_to,
        [a].into(),
        "the group whose assignment gives it"
    );

    // Identical filters merge, even with different grants.
    let same = "rules:
  - { name: r1, permission_set: Dev, groups: [a], access_policies: [{ policy: Edit, namespaces: [a] }] }
  - { name: r2, permission_set: Dev, groups: [a], kubernetes_groups: [devs], access_policies: [{ policy: View, scope: cluster }] }
";
    let world = World::default()
        .assign("Dev", A1, &["a", "b"])
        .role(role.clone())
        .cluster(cluster(A1, "eu-west-1", "one", &[]));
    let state = compute(&mapping(same), &world.0);
    assert!(state.conflicts.is_empty(), "{state:#?}");
    assert_eq!(
        at(&state, A1, "eu-west-1", "one").entries[&role.arn]
            .policies
            .len(),
        2
    );

    // An unfiltered rule that already gives everyone more than the filtered one: no widening.
    let covered = "rules:
  - { name: all, permission_set: Dev, access_policies: [{ policy: Edit, namespaces: [\"team-*\"] }] }
  - { name: a-only, permission_set: Dev, groups: [a], access_policies: [{ policy: Edit, namespaces: [team-a] }] }
";
    let state = compute(&mapping(covered), &world.0);
    assert!(state.conflicts.is_empty(), "{state:#?}");

    // ... but one that gives group a more than everyone else gets is a conflict.
    let wider = covered.replace("[team-a]", "[payments]");
    let state = compute(&mapping(&wider), &world.0);
    assert_eq!(state.conflicts.len(), 1);
    assert!(
        state.conflicts[0].detail.contains("group b"),
        "{:?}",
        state.conflicts[0]
    );
}

#[test]
fn different_usernames_for_one_role_conflict() {
    let rules = "rules:
  - { name: r1, permission_set: Dev, username: alice, access_policies: [{ policy: View, scope: cluster }] }
  - { name: r2, permission_set: Dev, username: bob, access_policies: [{ policy: View, scope: cluster }] }
";
    let world = World::default()
        .assign("Dev", A1, &["a"])
        .role(sso_role(A1, "Dev", "00000000000000aa", Some("eu-west-1")))
        .cluster(cluster(A1, "eu-west-1", "one", &[]));
    let state = compute(&mapping(rules), &world.0);
    assert_eq!(state.conflicts.len(), 1);
    assert!(state.conflicts[0].detail.contains("alice, bob"));
}

#[test]
fn scopes_merge_with_cluster_winning_and_namespaces_unioned() {
    let rules = "rules:
  - { name: r1, permission_set: Dev, kubernetes_groups: [one], access_policies: [{ policy: Edit, namespaces: [a] }, { policy: View, namespaces: [x] }] }
  - { name: r2, permission_set: Dev, kubernetes_groups: [two], access_policies: [{ policy: Edit, namespaces: [\"b-*\"] }, { policy: View, scope: cluster }] }
";
    let role = sso_role(A1, "Dev", "00000000000000aa", Some("eu-west-1"));
    let world = World::default()
        .assign("Dev", A1, &["devs"])
        .role(role.clone())
        .cluster(cluster(A1, "eu-west-1", "one", &[]));
    let state = compute(&mapping(rules), &world.0);
    let entry = &at(&state, A1, "eu-west-1", "one").entries[&role.arn];
    assert_eq!(entry.policies[&policy("Edit")], ns(&["a", "b-*"]));
    assert_eq!(entry.policies[&policy("View")], AccessScope::Cluster);
    assert_eq!(entry.kubernetes_groups.len(), 2);
    assert_eq!(entry.rules().len(), 2);
}
