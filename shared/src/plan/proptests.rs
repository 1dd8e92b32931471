//! Property tests: random clusters, entries and options, checked against the planner's
//! invariants (DESIGN.md, "Ownership and safety invariants").

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use crate::desired::{ClusterDesired, Conflict, DesiredEntry};
use crate::domain::{
    AccessScope, ActualEntry, AuthenticationMode, ClusterStatus, EntryType, KubernetesGroup,
    ManagedTags, Username,
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
);

fn desired_parts() -> impl Strategy<Value = DesiredParts> {
    (
        1u32..=3,
        groups(),
        prop::option::weighted(0.3, prop::sample::select(vec!["alice", "bob"])),
        policies(),
        rules(),
    )
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
        ),
    )
        .prop_map(
            |(
                (standard, managed, recorded_role, rules, groups),
                (username, policies, created_after, has_arn),
            )| ActualParts {
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
    let (id, groups, username, policies, rules) = parts;
    DesiredEntry {
        principal: principal(i),
        role_id: role_id(*id),
        kubernetes_groups: groups
            .iter()
            .map(|g| KubernetesGroup::new(*g).unwrap())
            .collect(),
        username: username.map(|u| Username::new(u).unwrap()),
        policies: policy_map(policies),
        rules: rules.clone(),
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
        arn: parts.has_arn.then(|| format!("entry-{i}")),
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
    (
        status,
        mode,
        prop::collection::vec(principal_parts, PRINCIPALS),
        options,
    )
        .prop_map(|(status, mode, parts, flags)| build(status, mode, &parts, &flags))
}

fn build(
    status: ClusterStatus,
    mode: AuthenticationMode,
    parts: &[PrincipalParts],
    flags: &[bool],
) -> Scenario {
    let mut desired = ClusterDesired {
        cluster: cluster_info(status, mode),
        entries: BTreeMap::new(),
        held: BTreeMap::new(),
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
                rules: BTreeSet::from(["rule-a".to_owned(), "rule-b".to_owned()]),
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
    };
    Scenario {
        desired,
        actual,
        options,
    }
}

/// Working cluster-admin principals, written independently of the planner's guard: a `STANDARD`
/// entry with cluster-admin at cluster scope whose recorded role id (if managed and desired) is
/// the current one, or any entry of a break-glass principal.
fn admins(s: &Scenario, entries: &[ActualEntry]) -> BTreeSet<String> {
    entries
        .iter()
        .filter(|e| {
            let glass = s.options.break_glass.contains(&e.principal);
            let admin = e.entry_type == EntryType::Standard
                && e.policies
                    .get(&PolicyArn::cluster_admin())
                    .is_some_and(|scope| *scope == AccessScope::Cluster);
            let dead = e.is_managed()
                && s.desired.entries.get(&e.principal).is_some_and(|d| {
                    e.tags.get(ManagedTags::ROLE_ID).map(String::as_str) != Some(d.role_id.as_str())
                });
            glass || (admin && !dead)
        })
        .map(|e| e.principal.to_string())
        .collect()
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
        prop_assume!(plannable(&s) && plan.refused.is_none());
        let after = apply_to_actual(&s.actual, &plan.operations);
        let again = plan_cluster(&s.desired, &after, &s.options);
        prop_assert!(again.operations.is_empty(), "first: {:?}\nagain: {:?}", plan.operations, again.operations);
        prop_assert!(again.refused.is_none());
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
        if plan.refused.is_some() {
            prop_assert!(plan.operations.is_empty());
            return Ok(());
        }
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
        prop_assume!(plannable(&s) && plan.refused.is_none());
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
            prop_assert_eq!(have.recorded_role_id(), Some(want.role_id.as_str()));
            prop_assert_eq!(&have.policies, &want.policies);
            let groups: BTreeSet<String> = want.kubernetes_groups.iter().map(|g| g.to_string()).collect();
            prop_assert_eq!(&have.kubernetes_groups, &groups);
            if let Some(u) = &want.username {
                prop_assert_eq!(have.username.as_deref(), Some(u.as_str()));
            }
        }
    }
}
