//! Unknown never means delete: entries held by problems, the deletion limit and the account
//! brake, partial refusals, which admins count, three-valued deadness, and names compared as IAM
//! compares them.

use super::*;
use crate::desired::Problem;

fn prune() -> PlanOptions {
    PlanOptions {
        prune: true,
        ..PlanOptions::default()
    }
}

fn problem(rule: &str, permission_set: Option<&str>) -> Problem {
    Problem {
        rule: RuleName::new(rule).unwrap(),
        account: None,
        permission_set: permission_set.map(|p| crate::domain::PermissionSetName::new(p).unwrap()),
        message: "permission set PaymentsDevloper does not exist".into(),
    }
}

fn with_rules(mut entry: ActualEntry, rules: &str) -> ActualEntry {
    entry
        .tags
        .insert(ManagedTags::RULES.to_owned(), rules.to_owned());
    entry
}

fn deletes(plan: &ClusterPlan) -> usize {
    plan.operations
        .iter()
        .filter(|op| matches!(op, Operation::DeleteEntry { .. }))
        .count()
}

#[test]
fn an_entry_whose_rule_has_a_problem_is_held_not_pruned() {
    let admin = want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]);
    let payments = with_rules(
        managed(&want("Payments", 2, &[], &[("Edit", ns(&["payments"]))])),
        "payments",
    );
    let other = with_rules(managed(&want("Other", 3, &[], &[])), "gone-rule");
    let mut desired = cluster(vec![admin.clone()]);
    desired.problem_rules.insert(
        RuleName::new("payments").unwrap(),
        vec![problem("payments", None)],
    );
    let plan = plan_cluster(&desired, &[managed(&admin), payments, other], &prune());
    // The rule that is really gone still prunes; the one that could not be resolved holds.
    assert_eq!(kinds(&plan), ["delete"]);
    assert_eq!(plan.operations[0].principal(), Some(&arn("Other")));
    assert_eq!(plan.withheld.len(), 1);
    assert_eq!(
        plan.withheld[0].reason,
        WithholdReason::Problem {
            rule: RuleName::new("payments").unwrap()
        }
    );
    assert!(plan.withheld[0].detail.contains("PaymentsDevloper"));
}

#[test]
fn a_problem_principal_is_held_whatever_its_tags_say() {
    // The rules tag is gone (or names an older rule name): the role-name shape holds it.
    let untagged = with_rules(managed(&want("Payments", 2, &[], &[])), "");
    let mut desired = cluster(vec![]);
    desired
        .problem_principals
        .insert(arn("payments"), problem("payments", None));
    let plan = plan_cluster(&desired, &[untagged], &prune());
    assert!(plan.is_empty(), "{:?}", plan.operations);
    assert_eq!(plan.withheld.len(), 1);
}

#[test]
fn a_problem_about_one_permission_set_holds_only_that_one() {
    // A convention rule whose capture does not expand for EKSTeam-Bad_Name holds that team's
    // entry, not every team's.
    let path = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1";
    let team = |ps: &str, id: u32| {
        let mut want = want("x", id, &[], &[]);
        want.principal =
            PrincipalArn::new(format!("{path}/AWSReservedSSO_{ps}_0123456789abcdef")).unwrap();
        with_rules(managed(&want), "teams")
    };
    let bad = team("EKSTeam-Bad_Name", 1);
    let good = team("EKSTeam-search", 2);
    let mut desired = cluster(vec![]);
    desired.problem_rules.insert(
        RuleName::new("teams").unwrap(),
        vec![problem("teams", Some("EKSTeam-Bad_Name"))],
    );
    let options = PlanOptions {
        allow_mass_deletion: true,
        ..prune()
    };
    let plan = plan_cluster(&desired, &[bad.clone(), good.clone()], &options);
    assert_eq!(plan.withheld.len(), 1);
    assert_eq!(plan.withheld[0].operation.principal(), Some(&bad.principal));
    assert_eq!(plan.operations[0].principal(), Some(&good.principal));
}

#[test]
fn more_deletions_than_the_limit_are_all_refused_unless_forced() {
    let admin = want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]);
    let mut actual = vec![managed(&admin)];
    actual.extend((0..6).map(|i| managed(&want(&format!("Gone{i}"), 10 + i, &[], &[]))));
    let dev = want("Dev", 2, &[], &[("View", AccessScope::Cluster)]);
    let desired = cluster(vec![admin.clone(), dev]);
    // 7 managed entries: 20 % is 1, so 5 is the limit; 6 deletions exceed it.
    let plan = plan_cluster(&desired, &actual, &prune());
    assert_eq!(deletes(&plan), 0, "{:?}", plan.operations);
    assert_eq!(
        plan.withheld[0].reason,
        WithholdReason::DeletionLimit {
            planned: 6,
            allowed: 5
        }
    );
    assert_eq!(plan.withheld.len(), 6);
    // Grants still apply.
    assert_eq!(kinds(&plan), ["create", "associate"]);

    let forced = PlanOptions {
        allow_mass_deletion: true,
        ..prune()
    };
    assert_eq!(deletes(&plan_cluster(&desired, &actual, &forced)), 6);
    let wider = PlanOptions {
        max_deletions: DeletionLimit {
            entries: 6,
            percent: 0,
        },
        ..prune()
    };
    assert_eq!(deletes(&plan_cluster(&desired, &actual, &wider)), 6);
}

#[test]
fn the_limit_is_the_larger_of_count_and_share() {
    let limit = DeletionLimit::default();
    assert_eq!(limit.allowed(0), 5);
    assert_eq!(limit.allowed(24), 5);
    assert_eq!(limit.allowed(100), 20);
    assert_eq!(
        DeletionLimit {
            entries: 0,
            percent: 0
        }
        .allowed(1000),
        0
    );
}

#[test]
fn an_account_with_no_demand_gets_no_deletions() {
    let gone = managed(&want("Gone", 1, &[], &[("View", AccessScope::Cluster)]));
    let mut desired = cluster(vec![]);
    desired.account_has_demand = false;
    let plan = plan_cluster(&desired, std::slice::from_ref(&gone), &prune());
    assert!(plan.is_empty(), "{:?}", plan.operations);
    assert_eq!(plan.withheld[0].reason, WithholdReason::EmptyAccount);
    let forced = PlanOptions {
        allow_mass_deletion: true,
        ..prune()
    };
    assert_eq!(deletes(&plan_cluster(&desired, &[gone], &forced)), 1);
}

#[test]
fn a_view_only_break_glass_principal_is_not_an_admin() {
    let admin = managed(&want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]));
    let glass = unmanaged("Glass", &[("View", AccessScope::Cluster)]);
    let options = PlanOptions {
        break_glass: BTreeSet::from([arn("Glass")]),
        ..prune()
    };
    let plan = plan_cluster(&cluster(vec![]), &[admin, glass], &options);
    assert!(
        plan.refused.is_some(),
        "the View-only break-glass was counted"
    );
    assert_eq!(plan.withheld[0].reason, WithholdReason::Lockout);
}

#[test]
fn an_admin_whose_principal_is_missing_or_newer_than_its_entry_does_not_count() {
    let admin = managed(&want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]));
    for status in [
        PrincipalStatus::Missing,
        PrincipalStatus::Unchecked,
        PrincipalStatus::Exists {
            created_at: Some(CLUSTER_CREATED_AT + 10 * 86_400),
        },
    ] {
        let mut other = unmanaged("Other", &[(ADMIN, AccessScope::Cluster)]);
        other.principal_status = status;
        let plan = plan_cluster(&cluster(vec![]), &[admin.clone(), other], &prune());
        assert!(plan.refused.is_some(), "{status:?} was counted as working");
    }
    // The same entry with a principal that predates it is a working admin: no refusal.
    let other = unmanaged("Other", &[(ADMIN, AccessScope::Cluster)]);
    let plan = plan_cluster(&cluster(vec![]), &[admin, other], &prune());
    assert!(plan.refused.is_none());
    assert_eq!(kinds(&plan), ["delete"]);
}

#[test]
fn an_rbac_admin_counts_without_the_admin_policy() {
    let admin = managed(&want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]));
    let rbac = unmanaged("Rbac", &[]);
    let options = PlanOptions {
        rbac_admins: BTreeSet::from([arn("rbac")]),
        ..prune()
    };
    let plan = plan_cluster(&cluster(vec![]), &[admin, rbac], &options);
    assert!(plan.refused.is_none(), "{:?}", plan.refused);
}

#[test]
fn an_entry_without_a_role_id_is_settled_by_creation_times_or_tagged() {
    let wanted = want("Dev", 1, &[], &[("View", AccessScope::Cluster)]);
    let untagged = |created_at: Option<i64>| {
        let mut entry = managed(&wanted);
        entry.tags.remove(ManagedTags::ROLE_ID);
        entry.created_at = created_at;
        entry
    };
    // Newer than the role: alive; it only gets the role-id tag.
    let plan = plan_cluster(
        &cluster(vec![wanted.clone()]),
        &[untagged(Some(CLUSTER_CREATED_AT))],
        &prune(),
    );
    assert_eq!(kinds(&plan), ["tag"]);
    // Unknown creation time: unknown, not dead; tagged, never recreated on a guess.
    let plan = plan_cluster(&cluster(vec![wanted.clone()]), &[untagged(None)], &prune());
    assert_eq!(kinds(&plan), ["tag"]);
    // Older than the role: shown dead, recreated.
    let plan = plan_cluster(
        &cluster(vec![wanted.clone()]),
        &[untagged(Some(ROLE_CREATED_AT - 1))],
        &prune(),
    );
    assert_eq!(kinds(&plan), ["recreate", "associate"]);
    assert_eq!(deadness(&untagged(None), &wanted), Deadness::Unknown);
}

#[test]
fn principals_compare_as_iam_compares_names() {
    // Break-glass listed in another letter case is still break-glass.
    let glass = managed(&want(
        "BreakGlassAdmin",
        1,
        &[],
        &[(ADMIN, AccessScope::Cluster)],
    ));
    let options = PlanOptions {
        break_glass: BTreeSet::from([arn("breakglassadmin")]),
        ..prune()
    };
    let plan = plan_cluster(&cluster(vec![]), std::slice::from_ref(&glass), &options);
    assert!(plan.is_empty(), "{:?}", plan.operations);
    assert_eq!(reasons(&plan), [SkipReason::BreakGlass]);

    // A desired principal whose entry was created under another letter case: one principal,
    // converged in place under the entry's own ARN (EKS keeps it as given), never a second entry.
    let mut wanted = want("deployer", 1, &[], &[("View", AccessScope::Cluster)]);
    let entry = managed(&want("Deployer", 1, &[], &[]));
    wanted.principal = arn("DEPLOYER");
    let plan = plan_cluster(&cluster(vec![wanted]), &[entry], &prune());
    assert_eq!(kinds(&plan), ["associate"], "{:?}", plan.operations);
    assert_eq!(plan.operations[0].principal(), Some(&arn("Deployer")));
}

#[test]
fn an_unconfirmed_role_holds_only_an_entry_its_rule_made_and_then_is_a_problem() {
    // A templated groups filter names a group that does not exist for both roles; only the
    // entry tagged with that rule rests on it.
    let squad = with_rules(managed(&want("Squad-a", 1, &[], &[])), "squads");
    let other = with_rules(managed(&want("Squad-b", 2, &[], &[])), "someone-else");
    let mut desired = cluster(vec![]);
    let unconfirmed = problem("squads", Some("Squad-a"));
    for name in ["Squad-a", "Squad-b"] {
        desired.unconfirmed.insert(arn(name), unconfirmed.clone());
    }
    let options = PlanOptions {
        allow_mass_deletion: true,
        ..prune()
    };
    let plan = plan_cluster(&desired, &[squad, other], &options);
    assert_eq!(kinds(&plan), ["delete"]);
    assert_eq!(plan.operations[0].principal(), Some(&arn("Squad-b")));
    assert_eq!(plan.withheld.len(), 1);
    assert_eq!(
        plan.withheld[0].operation.principal(),
        Some(&arn("Squad-a"))
    );
    assert_eq!(confirmed_problems(&desired, &plan.withheld), [unconfirmed]);

    // Nothing rests on it: no problem to report.
    let plan = plan_cluster(&desired, &[], &options);
    assert!(confirmed_problems(&desired, &plan.withheld).is_empty());
}
