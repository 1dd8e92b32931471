//! Property tests: random clusters, entries and options, checked against the planner's
//! invariants (DESIGN.md, "Ownership and safety invariants").

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use crate::desired::{ClusterDesired, Conflict, DesiredEntry};
use crate::domain::{
    AccessScope, ActualEntry, AuthenticationMode, ClusterStatus, EntryType, KubernetesGroup,
    ManagedTags, PrincipalStatus, Username,
};

use super::tests::{CLUSTER_CREATED_AT, arn, cluster_info, ns, policy, role_id};
use super::*;

/// Principals are drawn from a small pool so desired and actual entries meet often.
const PRINCIPALS: usize = 6;

/// One random cluster, the entries on it and the options to plan it with.
#[derive(Debug, Clone)]
struct Scenario {
    desired: ClusterDesired,
    actual: Vec<ActualEntry>,
    options: PlanOptions,
}

fn scope() -> impl Strategy<Value = AccessScope> {
    prop_oneof![
        3 => Just(AccessScope::Cluster),
        1 => Just(ns(&["a"])),
        1 => Just(ns(&["a", "b"])),
        1 => Just(ns(&["team-*"])),
    ]
}

fn policies() -> impl Strategy<Value = BTreeMap<PolicyArnName, AccessScope>> {
    prop::collection::btree_map(
        prop::sample::select(vec!["ClusterAdmin", "Edit", "View"]),
        scope(),
        0..3,
    )
}

type PolicyArnName = &'static str;

fn groups() -> impl Strategy<Value = BTreeSet<&'static str>> {
    prop::collection::btree_set(prop::sample::select(vec!["devs", "oncall", "ops"]), 0..3)
}

fn rules() -> impl Strategy<Value = BTreeSet<String>> {
    prop::collection::btree_set(
        prop::sample::select(vec!["rule-a".to_owned(), "rule-b".to_owned()]),
        1..3,
    )
}

/// What is desired for a principal, without the principal.
type DesiredParts = (
    u32,
    BTreeSet<&'static str>,
    Option<&'static str>,
    BTreeMap<PolicyArnName, AccessScope>,
    BTreeSet<String>,
    // When the role was created: 0 unknown, 1 before every entry, 2 after every entry.
    u8,
);

fn desired_parts() -> impl Strategy<Value = DesiredParts> {
    (
        1u32..=3,
        groups(),
        prop::option::weighted(0.3, prop::sample::select(vec!["alice", "bob"])),
        policies(),
        rules(),
        prop_oneof![1 => Just(0u8), 6 => Just(1u8), 1 => Just(2u8)],
    )
}

/// A role creation time for a [`DesiredParts`] role age.
fn role_created_at(age: u8) -> Option<i64> {
    match age {
        0 => None,
        1 => Some(CLUSTER_CREATED_AT - 86_400),
        _ => Some(CLUSTER_CREATED_AT + 300_000),
    }
}

/// How an actual entry looks, without the principal.
#[derive(Debug, Clone)]
struct ActualParts {
    standard: bool,
    managed: bool,
    recorded_role: Option<u32>,
    rules: BTreeSet<String>,
    groups: BTreeSet<&'static str>,
    /// 0: none, 1: EKS default, 2: "alice".
    username: u8,
    policies: BTreeMap<PolicyArnName, AccessScope>,
    /// Seconds after the cluster's creation (creator entries come in the first minutes).
    created_after: Option<i64>,
    has_arn: bool,
    /// What IAM says of the principal: 0 unchecked, 1 missing, 2 exists (older), 3 exists
    /// (newer than the entry: the entry is an older principal's).
    principal_status: u8,
}

fn actual_parts() -> impl Strategy<Value = ActualParts> {
    (
        (
            prop::bool::weighted(0.85),
            prop::bool::weighted(0.6),
            prop::option::weighted(0.9, 1u32..=3),
            rules(),
            groups(),
        ),
        (
            0u8..3,
            policies(),
            prop::option::weighted(0.8, prop_oneof![0i64..600, 100_000i64..200_000]),
            prop::bool::weighted(0.9),
            prop_oneof![1 => Just(0u8), 1 => Just(1u8), 4 => Just(2u8), 1 => Just(3u8)],
        ),
    )
        .prop_map(
            |(
                (standard, managed, recorded_role, rules, groups),
                (username, policies, created_after, has_arn, principal_status),
            )| ActualParts {
                principal_status,
                standard,
                managed,
                recorded_role,
                rules,
                groups,
                username,
                policies,
                created_after,
                has_arn,
            },
        )
}

fn policy_map(policies: &BTreeMap<PolicyArnName, AccessScope>) -> BTreeMap<PolicyArn, AccessScope> {
    policies
        .iter()
        .map(|(p, s)| (policy(p), s.clone()))
        .collect()
}

fn desired_entry(i: usize, parts: &DesiredParts) -> DesiredEntry {
    let (id, groups, username, policies, rules, role_age) = parts;
    DesiredEntry {
        principal: principal(i),
        role_id: role_id(*id),
        kubernetes_groups: groups
            .iter()
            .map(|g| KubernetesGroup::new(*g).unwrap())
            .collect(),
        username: username.map(|u| Username::new(u).unwrap()),
        policies: policy_map(policies),
        sources: rules
            .iter()
            .map(|r| crate::desired::RuleSource {
                rule: crate::domain::RuleName::new(r.as_str()).unwrap(),
                via: crate::desired::RuleVia::Principal,
            })
            .collect(),
        role_created_at: role_created_at(*role_age),
    }
}

fn actual_entry(i: usize, parts: &ActualParts) -> ActualEntry {
    let mut tags = BTreeMap::from([("team".to_owned(), "x".to_owned())]);
    if parts.managed {
        tags.insert(
            ManagedTags::MANAGED.into(),
            ManagedTags::MANAGED_VALUE.into(),
        );
        tags.insert(ManagedTags::RULES.into(), join(&parts.rules));
    }
    if let Some(id) = parts.recorded_role {
        tags.insert(ManagedTags::ROLE_ID.into(), role_id(id).to_string());
    }
    ActualEntry {
        principal: principal(i),
        arn: parts.has_arn.then(|| {
            format!("arn:aws:eks:eu-west-1:111122223333:access-entry/prod-1/role/{i}")
                .parse()
                .unwrap()
        }),
        entry_type: if parts.standard {
            EntryType::Standard
        } else {
            EntryType::Other("EC2_LINUX".into())
        },
        kubernetes_groups: parts.groups.iter().map(|g| (*g).to_owned()).collect(),
        username: match parts.username {
            0 => None,
            1 => Some(default_username(&principal(i))),
            _ => Some("alice".to_owned()),
        },
        tags,
        policies: policy_map(&parts.policies),
        created_at: parts.created_after.map(|s| CLUSTER_CREATED_AT + s),
        principal_status: match parts.principal_status {
            0 => PrincipalStatus::Unchecked,
            1 => PrincipalStatus::Missing,
            2 => PrincipalStatus::Exists {
                created_at: Some(CLUSTER_CREATED_AT - 86_400),
            },
            _ => PrincipalStatus::Exists {
                created_at: Some(CLUSTER_CREATED_AT + 300_000),
            },
        },
    }
}

fn join(rules: &BTreeSet<String>) -> String {
    rules.iter().cloned().collect::<Vec<_>>().join(",")
}

fn principal(i: usize) -> crate::domain::PrincipalArn {
    arn(&format!("Role{i}"))
}

/// Per principal: desired parts, actual parts, held, break-glass.
type PrincipalParts = (Option<DesiredParts>, Option<ActualParts>, bool, bool);

fn scenario() -> impl Strategy<Value = Scenario> {
    let status = prop_oneof![
        8 => Just(ClusterStatus::Active),
        1 => Just(ClusterStatus::Creating),
        1 => Just(ClusterStatus::Updating),
    ];
    let mode = prop_oneof![
        3 => Just(AuthenticationMode::Api),
        3 => Just(AuthenticationMode::ApiAndConfigMap),
        1 => Just(AuthenticationMode::ConfigMap),
    ];
    let principal_parts = (
        prop::option::weighted(0.6, desired_parts()),
        prop::option::weighted(0.7, actual_parts()),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
    );
    let options = prop::collection::vec(any::<bool>(), 4);
    let unknowns = (
        prop::option::weighted(0.3, prop::sample::select(vec!["rule-a", "rule-b"])),
        prop::option::weighted(0.2, 0..PRINCIPALS),
        prop::bool::weighted(0.8),
        (0usize..4, 0u8..60),
        prop::bool::weighted(0.15),
        prop::option::weighted(
            0.2,
            (
                0..PRINCIPALS,
                prop::sample::select(vec!["rule-a", "rule-b"]),
            ),
        ),
    );
    (
        status,
        mode,
        prop::collection::vec(principal_parts, PRINCIPALS),
        options,
        unknowns,
    )
        .prop_map(|(status, mode, parts, flags, unknowns)| {
            build(status, mode, &parts, &flags, unknowns)
        })
}

/// A rule with a problem, a principal held by one, whether the account has demand, the deletion
/// limit (entries, percent), the operator's override, and a principal left unconfirmed by a
/// rule's templated groups filter.
type Unknowns = (
    Option<&'static str>,
    Option<usize>,
    bool,
    (usize, u8),
    bool,
    Option<(usize, &'static str)>,
);

fn problem(rule: &str) -> crate::desired::Problem {
    crate::desired::Problem {
        rule: crate::domain::RuleName::new(rule).unwrap(),
        account: None,
        permission_set: None,
        message: "permission set Typo does not exist".into(),
    }
}

fn build(
    status: ClusterStatus,
    mode: AuthenticationMode,
    parts: &[PrincipalParts],
    flags: &[bool],
    (
        problem_rule,
        problem_principal,
        account_has_demand,
        (entries, percent),
        allow_mass,
        unconfirmed,
    ): Unknowns,
) -> Scenario {
    let mut desired = ClusterDesired {
        cluster: cluster_info(status, mode),
        entries: BTreeMap::new(),
        held: BTreeMap::new(),
        problem_rules: problem_rule
            .map(|r| (crate::domain::RuleName::new(r).unwrap(), vec![problem(r)]))
            .into_iter()
            .collect(),
        problem_principals: problem_principal
            .map(|i| (principal(i), problem("rule-p")))
            .into_iter()
            .collect(),
        account_has_demand,
        unconfirmed: unconfirmed
            .map(|(i, rule)| (principal(i), problem(rule)))
            .into_iter()
            .collect(),
    };
    let mut actual = Vec::new();
    let mut break_glass = BTreeSet::new();
    for (i, (want, have, held, glass)) in parts.iter().enumerate() {
        if let Some(want) = want {
            desired.entries.insert(principal(i), desired_entry(i, want));
        }
        if let Some(have) = have {
            actual.push(actual_entry(i, have));
        }
        if *held {
            let conflict = Conflict {
                principal: principal(i),
                rules: crate::domain::rule_names(["rule-a", "rule-b"]),
                detail: "different policies".into(),
            };
            // A held principal has no desired entry: desired-state computation holds it instead.
            desired.entries.remove(&principal(i));
            desired.held.insert(principal(i), conflict);
        }
        if *glass {
            break_glass.insert(principal(i));
        }
    }
    let options = PlanOptions {
        prune: flags[0],
        adopt_existing: flags[1],
        switch_auth_mode: flags[2],
        remove_creator_admin: flags[3],
        break_glass,
        rbac_admins: BTreeSet::new(),
        max_deletions: DeletionLimit { entries, percent },
        allow_mass_deletion: allow_mass,
    };
    Scenario {
        desired,
        actual,
        options,
    }
}

/// Working cluster-admin principals, written independently of the planner's guard: a `STANDARD`
/// entry with cluster-admin at cluster scope that is alive — for a desired principal, its
/// recorded role id is the current one, or (none recorded) it is not older than the role; for any
/// other principal (break-glass included), IAM says the principal exists and is not newer.
fn admins(s: &Scenario, entries: &[ActualEntry]) -> BTreeSet<String> {
    entries
        .iter()
        .filter(|e| {
            let admin = e.entry_type == EntryType::Standard
                && e.policies
                    .get(&PolicyArn::cluster_admin())
                    .is_some_and(|scope| *scope == AccessScope::Cluster);
            let alive = match s.desired.entries.get(&e.principal) {
                Some(d) => match e.tags.get(ManagedTags::ROLE_ID) {
                    Some(id) => *id == d.role_id.as_str(),
                    None => match (e.created_at, d.role_created_at) {
                        (Some(entry), Some(role)) => entry >= role,
                        _ => true,
                    },
                },
                None => match e.principal_status {
                    PrincipalStatus::Exists { created_at } => match (e.created_at, created_at) {
                        (Some(entry), Some(role)) => entry >= role,
                        _ => true,
                    },
                    _ => false,
                },
            };
            admin && alive
        })
        .map(|e| e.principal.to_string())
        .collect()
}

/// Whether a problem holds `e`, written independently of the planner: a managed entry whose
/// rules tag names the problem rule, the held principal's entry, or the entry of an unconfirmed
/// principal made by the rule whose filter left it unconfirmed.
fn held_by_problem(s: &Scenario, e: &ActualEntry) -> bool {
    let tag_names = |wanted: &dyn Fn(&str) -> bool| {
        e.is_managed()
            && e.tags
                .get(ManagedTags::RULES)
                .is_some_and(|rules| rules.split(',').any(wanted))
    };
    let tagged = tag_names(&|r| s.desired.problem_rules.contains_key(r));
    let unconfirmed = s
        .desired
        .unconfirmed
        .get(&e.principal)
        .is_some_and(|problem| tag_names(&|r| problem.rule == r));
    tagged || unconfirmed || s.desired.problem_principals.contains_key(&e.principal)
}

fn plannable(s: &Scenario) -> bool {
    s.desired.cluster.status == ClusterStatus::Active
        && s.desired.cluster.authentication_mode != AuthenticationMode::ConfigMap
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn applying_a_plan_then_planning_again_changes_nothing(s in scenario()) {
        let plan = plan_cluster(&s.desired, &s.actual, &s.options);
        prop_assume!(plannable(&s) && plan.refused.is_none() && plan.withheld.is_empty());
        let after = apply_to_actual(&s.actual, &plan.operations);
        let again = plan_cluster(&s.desired, &after, &s.options);
        prop_assert!(again.operations.is_empty(), "first: {:?}\nagain: {:?}", plan.operations, again.operations);
        prop_assert!(again.refused.is_none());
    }

    #[test]
    fn applying_what_was_not_withheld_withholds_the_same_again(s in scenario()) {
        let plan = plan_cluster(&s.desired, &s.actual, &s.options);
        // The deletion limit is a share of the managed entries, so the creates of this run may
        // raise the next run's allowance: those deletions may legitimately pass later.
        let limited = plan.withheld.iter().any(|w| matches!(w.reason, WithholdReason::DeletionLimit { .. }));
        prop_assume!(plannable(&s) && !limited);
        let after = apply_to_actual(&s.actual, &plan.operations);
        let again = plan_cluster(&s.desired, &after, &s.options);
        // What was safe is done; what was withheld stays withheld, never slips through later.
        prop_assert!(again.operations.is_empty(), "first: {:?}\nagain: {:?}", plan.operations, again.operations);
    }

    #[test]
    fn no_plan_touches_an_entry_a_problem_holds(s in scenario()) {
        let plan = plan_cluster(&s.desired, &s.actual, &s.options);
        for e in s.actual.iter().filter(|e| held_by_problem(&s, e)) {
            let touched = plan.operations.iter().find(|op| op.principal() == Some(&e.principal));
            prop_assert!(touched.is_none(), "held entry touched: {:?}", touched);
        }
    }

    #[test]
    fn no_run_deletes_more_than_the_limit(s in scenario()) {
        let plan = plan_cluster(&s.desired, &s.actual, &s.options);
        prop_assume!(!s.options.allow_mass_deletion);
        let pruned = plan
            .operations
            .iter()
            .filter(|op| matches!(op, Operation::DeleteEntry { reason: DeleteReason::NoLongerDesired, .. }))
            .count();
        let managed = s.actual.iter().filter(|e| e.is_managed()).count();
        let limit = s.options.max_deletions;
        let allowed = limit.entries.max(managed * usize::from(limit.percent) / 100);
        prop_assert!(pruned <= allowed, "{pruned} deletions, {allowed} allowed");
        if !s.desired.account_has_demand {
            prop_assert_eq!(pruned, 0, "deletions in an account with no demand");
        }
    }

    #[test]
    fn never_touches_entries_it_does_not_own(s in scenario()) {
        let plan = plan_cluster(&s.desired, &s.actual, &s.options);
        let by_principal: BTreeMap<_, _> = s.actual.iter().map(|e| (&e.principal, e)).collect();
        for op in &plan.operations {
            let Some(p) = op.principal() else { continue };
            prop_assert!(!s.options.break_glass.contains(p), "break-glass touched: {op:?}");
            prop_assert!(!s.desired.held.contains_key(p), "held principal touched: {op:?}");
            let Some(e) = by_principal.get(p) else { continue };
            prop_assert_eq!(&e.entry_type, &EntryType::Standard, "non-STANDARD touched: {:?}", op);
            let creator_removal = s.options.remove_creator_admin
                && !s.desired.entries.contains_key(p)
                && *op == Operation::DeleteEntry {
                    principal: p.clone(),
                    reason: DeleteReason::CreatorAdminRemoved,
                };
            if is_creator_entry(e, &s.desired.cluster) {
                prop_assert!(creator_removal, "creator's entry touched: {:?}", op);
            }
            let adoption = s.options.adopt_existing && s.desired.entries.contains_key(p);
            prop_assert!(
                e.is_managed() || adoption || creator_removal,
                "unmanaged entry touched: {:?}", op
            );
        }
    }

    #[test]
    fn never_leaves_a_cluster_without_a_working_admin(s in scenario()) {
        let plan = plan_cluster(&s.desired, &s.actual, &s.options);
        let before = admins(&s, &s.actual);
        let after = admins(&s, &apply_to_actual(&s.actual, &plan.operations));
        prop_assert!(before.is_empty() || !after.is_empty(), "{:?}", plan.operations);
    }

    #[test]
    fn same_input_gives_byte_identical_json(s in scenario()) {
        let wrap = |actual: Vec<ActualEntry>| {
            let mut state = crate::desired::DesiredState::default();
            state.clusters.insert(s.desired.cluster.cluster.clone(), s.desired.clone());
            let actual = BTreeMap::from([(s.desired.cluster.cluster.clone(), actual)]);
            to_json(&plan(&state, &actual, &s.options))
        };
        let first = wrap(s.actual.clone());
        prop_assert_eq!(&first, &wrap(s.actual.clone()));
        // The order entries were listed in does not matter either.
        let reversed: Vec<ActualEntry> = s.actual.iter().rev().cloned().collect();
        prop_assert_eq!(&first, &wrap(reversed));
    }

    #[test]
    fn removals_come_after_every_grant(s in scenario()) {
        let plan = plan_cluster(&s.desired, &s.actual, &s.options);
        let first_removal = plan.operations.iter().position(Operation::is_removal);
        let last_grant = plan.operations.iter().rposition(|op| !op.is_removal());
        if let (Some(removal), Some(grant)) = (first_removal, last_grant) {
            prop_assert!(grant < removal, "{:?}", plan.operations);
        }
        if plannable(&s) {
            let switches = plan.operations.iter().filter(|op| op.principal().is_none()).count();
            prop_assert_eq!(switches, 0);
        } else {
            prop_assert!(plan.operations.len() <= 1);
        }
    }

    #[test]
    fn every_desired_entry_not_skipped_ends_up_as_desired(s in scenario()) {
        let plan = plan_cluster(&s.desired, &s.actual, &s.options);
        prop_assume!(plannable(&s) && plan.refused.is_none() && plan.withheld.is_empty());
        let after = apply_to_actual(&s.actual, &plan.operations);
        let skipped: BTreeSet<_> = plan.skipped.iter().filter_map(|k| k.principal.as_ref()).collect();
        for (p, want) in &s.desired.entries {
            if skipped.contains(p) {
                continue;
            }
            let have = after.iter().find(|e| &e.principal == p);
            prop_assert!(have.is_some(), "no entry for {}: {:?}", p, plan.operations);
            let have = have.unwrap();
            prop_assert!(have.is_managed());
            // Untaggable without its ARN (real EKS entries always have one): then no id at all.
            let recorded = have.recorded_role_id();
            prop_assert!(recorded.is_none_or(|id| id == want.role_id.as_str()), "{:?}", recorded);
            prop_assert_eq!(&have.policies, &want.policies);
            let groups: BTreeSet<String> = want.kubernetes_groups.iter().map(|g| g.to_string()).collect();
            prop_assert_eq!(&have.kubernetes_groups, &groups);
            if let Some(u) = &want.username {
                prop_assert_eq!(have.username.as_deref(), Some(u.as_str()));
            }
        }
    }
}
