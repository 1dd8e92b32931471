//! Shadow admins: unmanaged entries with admin-class policies are listed; declared admins are
//! not, and the creator's bootstrap entry (named by the CreateCluster record) is not counted.

use super::*;

#[test]
fn unmanaged_entries_with_admin_policies_are_listed_declared_ones_are_not() {
    let info = cluster_info(ClusterStatus::Active, AuthenticationMode::Api);
    let shadow = unmanaged("shadow", &[(ADMIN, AccessScope::Cluster)]);
    let ns_admin = unmanaged("ns-admin", &[("Admin", ns(&["apps"]))]);
    let viewer = unmanaged("viewer", &[("View", AccessScope::Cluster)]);
    let ours = managed(&want("ours", 4, &[], &[(ADMIN, AccessScope::Cluster)]));
    let glass = unmanaged("Glass", &[(ADMIN, AccessScope::Cluster)]);
    let rbac = unmanaged("rbac", &[(ADMIN, AccessScope::Cluster)]);
    let mut node = unmanaged("node", &[(ADMIN, AccessScope::Cluster)]);
    node.entry_type = EntryType::parse("EC2_LINUX");
    let options = PlanOptions {
        break_glass: BTreeSet::from([arn("glass")]),
        rbac_admins: BTreeSet::from([arn("rbac")]),
        ..PlanOptions::default()
    };
    let all = [shadow, ns_admin, viewer, ours, glass, rbac, node];
    let found = unmanaged_admins(&info, &all, &options);
    let principals: Vec<&PrincipalArn> = found.iter().map(|a| &a.principal).collect();
    assert_eq!(principals, [&arn("ns-admin"), &arn("shadow")]);
    let expected = AdminPolicy {
        policy: policy("Admin"),
        scope: ns(&["apps"]),
    };
    assert_eq!(found[0].policies, [expected]);
    assert_eq!(shadow_admin_count(&found), 2);
}

#[test]
fn the_creators_bootstrap_entry_is_listed_but_not_counted() {
    let mut info = cluster_info(ClusterStatus::Active, AuthenticationMode::Api);
    let creator = unmanaged("creator", &[(ADMIN, AccessScope::Cluster)]);
    // Without the CreateCluster record nothing tells the creator's entry from a hand-made
    // admin: it counts.
    let found = unmanaged_admins(
        &info,
        std::slice::from_ref(&creator),
        &PlanOptions::default(),
    );
    assert_eq!(shadow_admin_count(&found), 1);
    // The record names it: listed, not counted.
    info.creator = Some(arn("creator"));
    let found = unmanaged_admins(&info, &[creator], &PlanOptions::default());
    assert_eq!(found.len(), 1);
    assert!(found[0].creator);
    assert_eq!(shadow_admin_count(&found), 0);
}

#[test]
fn the_change_that_made_an_admin_is_named_on_that_entry_only() {
    let info = cluster_info(ClusterStatus::Active, AuthenticationMode::Api);
    let all = [
        unmanaged("shadow", &[(ADMIN, AccessScope::Cluster)]),
        unmanaged("other", &[(ADMIN, AccessScope::Cluster)]),
    ];
    let mut found = unmanaged_admins(&info, &all, &PlanOptions::default());
    let change = |operation: &str| crate::domain::EntryChange {
        operation: operation.to_owned(),
        principal: Some(arn("shadow")),
        policy: Some(policy(ADMIN)),
        by: Some("arn:aws:sts::111122223333:assumed-role/ops/alice".to_owned()),
        at: Some("2026-11-28T10:15:47Z".to_owned()),
    };
    // A deletion or an update makes no admin: nothing is attributed.
    assert!(!attribute(&mut found, &change("UpdateAccessEntry")));
    assert!(found.iter().all(|a| a.made_by.is_none()));
    assert!(attribute(&mut found, &change("AssociateAccessPolicy")));
    let named: Vec<(&PrincipalArn, bool)> = found
        .iter()
        .map(|a| (&a.principal, a.made_by.is_some()))
        .collect();
    assert_eq!(named, [(&arn("other"), false), (&arn("shadow"), true)]);
    // Attribution changes what is reported, not what is counted.
    assert_eq!(shadow_admin_count(&found), 2);
}
