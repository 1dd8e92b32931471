//! Names that do not resolve: each is a problem naming what was looked up (with the closest
//! existing names), and holds what its rule could have produced on every cluster it concerns.

use std::collections::BTreeSet;

use super::tests::{A1, A2, World, acct, arn, at, cluster, mapping, sso_role};
use super::*;
use crate::domain::{GroupName, PermissionSetName, RoleInfo};

const PAYMENTS: &str = "rules:
  - name: payments
    permission_set: PaymentsDevloper
    groups: [payments-devz]
    access_policies:
      - { policy: Edit, namespaces: [payments] }
  - name: admins
    permission_set: EKSPlatformAdmin
    access_policies:
      - { policy: ClusterAdmin, scope: cluster }
";

fn names(list: &[&str]) -> Option<BTreeSet<PermissionSetName>> {
    Some(
        list.iter()
            .map(|n| PermissionSetName::new(*n).unwrap())
            .collect(),
    )
}

fn typo_world() -> (World, RoleInfo) {
    let payments = sso_role(
        A1,
        "PaymentsDeveloper",
        "0123456789abcdef",
        Some("eu-west-1"),
    );
    let admin = sso_role(
        A1,
        "EKSPlatformAdmin",
        "00000000000000aa",
        Some("eu-west-1"),
    );
    let mut world = World::default()
        .assign("PaymentsDeveloper", A1, &["payments-devs"])
        .assign("EKSPlatformAdmin", A1, &["platform"])
        .role(payments.clone())
        .role(admin)
        .cluster(cluster(A1, "eu-west-1", "prod-1", &[]));
    world.0.permission_set_names = names(&["EKSPlatformAdmin", "PaymentsDeveloper"]);
    (world, payments)
}

#[test]
fn a_misspelt_permission_set_is_a_problem_with_the_closest_name_and_holds_its_rule() {
    let (world, _) = typo_world();
    let state = compute(&mapping(PAYMENTS), &world.0);
    let problem = state
        .problems
        .iter()
        .find(|p| p.rule == "payments")
        .unwrap_or_else(|| panic!("no problem for the typo: {state:#?}"));
    assert!(
        problem
            .message
            .contains("permission set PaymentsDevloper does not exist"),
        "{problem:?}"
    );
    assert!(
        problem.message.contains("did you mean PaymentsDeveloper?"),
        "{problem:?}"
    );
    assert!(
        problem.message.contains("ListPermissionSets"),
        "{problem:?}"
    );
    let desired = at(&state, A1, "eu-west-1", "prod-1");
    assert!(desired.problem_rules.contains_key("payments"));
    assert!(!desired.problem_rules.contains_key("admins"));
    assert!(
        desired.account_has_demand,
        "the admins rule still wants entries"
    );
}

#[test]
fn without_the_catalogue_nothing_is_flagged() {
    let (mut world, _) = typo_world();
    world.0.permission_set_names = None;
    let state = compute(&mapping(PAYMENTS), &world.0);
    assert!(
        !state
            .problems
            .iter()
            .any(|p| p.message.contains("does not exist")),
        "{:?}",
        state.problems
    );
}

#[test]
fn a_groups_filter_naming_an_unknown_group_is_a_problem_with_a_hint() {
    let (mut world, _) = typo_world();
    world.0.unknown_groups.insert(
        GroupName::new("payments-devz").unwrap(),
        vec!["payments-devs".to_owned()],
    );
    let state = compute(&mapping(PAYMENTS), &world.0);
    let messages: Vec<&str> = state
        .problems
        .iter()
        .filter(|p| p.rule == "payments")
        .map(|p| p.message.as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("group payments-devz")
            && m.contains("did you mean payments-devs?")
            && m.contains("GetGroupId")),
        "{messages:?}"
    );
}

#[test]
fn ambiguous_roles_hold_every_candidate() {
    let first = sso_role(
        A1,
        "EKSPlatformAdmin",
        "00000000000000aa",
        Some("eu-west-1"),
    );
    let second = sso_role(A1, "EKSPlatformAdmin", "00000000000000bb", None);
    let world = World::default()
        .assign("EKSPlatformAdmin", A1, &["platform"])
        .role(first.clone())
        .role(second.clone())
        .cluster(cluster(A1, "eu-west-1", "prod-1", &[]));
    let state = compute(&mapping(PAYMENTS), &world.0);
    assert_eq!(state.problems.len(), 1, "{:?}", state.problems);
    assert_eq!(state.problems[0].account, Some(acct(A1)));
    let desired = at(&state, A1, "eu-west-1", "prod-1");
    let held: Vec<&PrincipalArn> = desired.problem_principals.keys().collect();
    assert_eq!(held, [&second.arn, &first.arn]);
}

#[test]
fn a_missing_explicit_principal_holds_its_entry_on_every_cluster() {
    let rules = "principals:
  - { name: ci, principal: \"arn:aws:iam::111111111111:role/ci/deployer\", access_policies: [{ policy: Edit, namespaces: [apps] }] }
";
    let world = World::default()
        .cluster(cluster(A1, "eu-west-1", "one", &[]))
        .cluster(cluster(A2, "eu-west-1", "two", &[]));
    let state = compute(&mapping(rules), &world.0);
    assert!(state.problems[0].message.contains("does not exist in IAM"));
    for (account, name) in [(A1, "one"), (A2, "two")] {
        let desired = at(&state, account, "eu-west-1", name);
        assert!(
            desired
                .problem_principals
                .contains_key(&arn("arn:aws:iam::111111111111:role/ci/deployer")),
            "{name}"
        );
    }
    // Account A2 has no demand at all: its managed entries would get no deletions.
    assert!(!at(&state, A2, "eu-west-1", "two").account_has_demand);
}

const SQUADS: &str = "rules:
  - name: squads
    permission_set: \"Squad-{squad}\"
    groups: [\"{squad}-squda\"]
    access_policies: [{ policy: View, scope: cluster }]
";

#[test]
fn a_templated_filter_naming_a_missing_group_leaves_its_role_unconfirmed_not_a_problem() {
    // The template is misspelt: `a-squda` does not exist, `a-squad` holds the assignment. A team
    // that simply has no group looks the same to desired state, so this is no problem yet: the
    // planner reports it only if a change to an entry the rule made rests on it.
    let role = sso_role(A1, "Squad-a", "00000000000000aa", Some("eu-west-1"));
    let mut world = World::default()
        .assign("Squad-a", A1, &["a-squad"])
        .role(role.clone())
        .cluster(cluster(A1, "eu-west-1", "prod-1", &[]));
    world.0.unknown_groups.insert(
        GroupName::new("a-squda").unwrap(),
        vec!["a-squad".to_owned()],
    );
    let state = compute(&mapping(SQUADS), &world.0);
    assert!(state.problems.is_empty(), "{:?}", state.problems);
    let desired = at(&state, A1, "eu-west-1", "prod-1");
    assert!(desired.entries.is_empty());
    let problem = desired
        .unconfirmed
        .get(&role.arn)
        .unwrap_or_else(|| panic!("the role is unconfirmed: {desired:#?}"));
    assert_eq!(problem.rule, "squads");
    assert_eq!(
        problem.permission_set,
        Some(PermissionSetName::new("Squad-a").unwrap())
    );
    assert!(
        problem.message.contains("a-squda (did you mean a-squad?)"),
        "{problem:?}"
    );

    // With the group known, nothing is unconfirmed (the audience is merely empty elsewhere).
    world.0.unknown_groups.clear();
    let state = compute(&mapping(SQUADS), &world.0);
    assert!(at(&state, A1, "eu-west-1", "prod-1").unconfirmed.is_empty());
}
