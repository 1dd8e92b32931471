//! Table tests of desired-state computation over hand-built inventories.

use std::collections::BTreeMap;

use super::*;
use crate::config::Mapping;
use crate::domain::{
    AuthenticationMode, ClusterName, ClusterStatus, GroupName, NamespacePattern, PermissionSetName,
    Region, RoleInfo,
};
use crate::inventory::PermissionSetInventory;

pub(super) const A1: &str = "111111111111";
pub(super) const A2: &str = "222222222222";

/// A mapping over accounts A1 (eu-west-1, us-east-1) and A2 (eu-west-1) with `rest` appended.
pub(super) fn mapping(rest: &str) -> Mapping {
    let doc = format!(
        "version: 1\nidentity_center: {{ region: eu-west-1 }}\naccounts:\n  \
         - {{ id: \"{A1}\", regions: [eu-west-1, us-east-1] }}\n  \
         - {{ id: \"{A2}\", regions: [eu-west-1] }}\n{rest}"
    );
    Mapping::from_str(&doc, "test.yaml").unwrap_or_else(|r| panic!("{r}"))
}

pub(super) fn acct(id: &str) -> AccountId {
    AccountId::new(id).unwrap()
}

pub(super) fn arn(s: &str) -> PrincipalArn {
    PrincipalArn::new(s).unwrap()
}

/// A role id unique to `seed`.
pub(super) fn role_id(seed: &str) -> RoleId {
    let digits: String = seed
        .bytes()
        .map(|b| char::from(b'A' + b % 26))
        .chain(std::iter::repeat('X'))
        .take(16)
        .collect();
    RoleId::new(format!("AROA{digits}")).unwrap()
}

/// The SSO role of `ps` in `account`, under the regional path unless `region` is `None`
/// (an Identity Center in us-east-1 puts no region segment in the path).
pub(super) fn sso_role(account: &str, ps: &str, suffix: &str, region: Option<&str>) -> RoleInfo {
    let path = region.map_or(String::new(), |r| format!("{r}/"));
    let text = format!(
        "arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{path}AWSReservedSSO_{ps}_{suffix}"
    );
    RoleInfo {
        role_id: role_id(&text),
        arn: arn(&text),
        created_at: Some(1_600_000_000),
    }
}

pub(super) fn cluster(
    account: &str,
    region: &str,
    name: &str,
    tags: &[(&str, &str)],
) -> ClusterInfo {
    ClusterInfo {
        cluster: ClusterRef::new(
            acct(account),
            Region::new(region).unwrap(),
            ClusterName::new(name).unwrap(),
        ),
        status: ClusterStatus::Active,
        authentication_mode: AuthenticationMode::Api,
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
        created_at: None,
        creator: None,
    }
}

/// Builds an inventory step by step.
#[derive(Default)]
pub(super) struct World(pub(super) Inventory);

impl World {
    /// Assigns permission set `ps` in `account` to `groups`, and gives the account its SSO role.
    pub(super) fn assign(mut self, ps: &str, account: &str, groups: &[&str]) -> Self {
        let set = self
            .0
            .permission_sets
            .entry(PermissionSetName::new(ps).unwrap())
            .or_insert_with(|| PermissionSetInventory {
                arn: format!("arn:aws:sso:::permissionSet/ssoins-1/ps-{ps}")
                    .parse()
                    .unwrap(),
                accounts: BTreeMap::new(),
            });
        set.accounts.insert(
            acct(account),
            groups.iter().map(|g| GroupName::new(*g).unwrap()).collect(),
        );
        self
    }

    pub(super) fn role(mut self, role: RoleInfo) -> Self {
        let account = role.arn.account().clone();
        self.0.sso_roles.entry(account).or_default().push(role);
        self
    }

    pub(super) fn cluster(mut self, cluster: ClusterInfo) -> Self {
        self.0.clusters.push(cluster);
        self
    }

    pub(super) fn principal(mut self, principal: &str) -> Self {
        self.0.principal_roles.insert(
            arn(principal),
            RoleInfo {
                arn: arn(principal),
                role_id: role_id(principal),
                created_at: Some(1_600_000_000),
            },
        );
        self
    }
}

pub(super) fn ns(list: &[&str]) -> AccessScope {
    AccessScope::Namespace(
        list.iter()
            .map(|n| NamespacePattern::new(*n).unwrap())
            .collect(),
    )
}

pub(super) fn policy(short: &str) -> PolicyArn {
    PolicyArn::for_people(short).unwrap()
}

pub(super) fn at(state: &DesiredState, account: &str, region: &str, name: &str) -> ClusterDesired {
    let key = ClusterRef::new(
        acct(account),
        Region::new(region).unwrap(),
        ClusterName::new(name).unwrap(),
    );
    state
        .clusters
        .get(&key)
        .cloned()
        .unwrap_or_else(|| panic!("{key} not in {state:#?}"))
}

const TEAMS: &str = "rules:
  - name: teams
    permission_set: \"EKSTeam-{team}\"
    kubernetes_groups: [\"team-{team}\"]
    access_policies:
      - { policy: Edit, namespaces: [\"{team}\", \"{team}-*\"] }
";

#[test]
fn a_convention_rule_onboards_a_new_permission_set() {
    let role = sso_role(A1, "EKSTeam-search", "0123456789abcdef", Some("eu-west-1"));
    let world = World::default()
        .assign("EKSTeam-search", A1, &["search-devs"])
        .role(role.clone())
        .cluster(cluster(A1, "eu-west-1", "prod-1", &[]));
    let state = compute(&mapping(TEAMS), &world.0);
    assert!(
        state.problems.is_empty() && state.conflicts.is_empty(),
        "{state:#?}"
    );
    let entry = &at(&state, A1, "eu-west-1", "prod-1").entries[&role.arn];
    assert_eq!(entry.role_id, role.role_id);
    assert_eq!(
        entry.policies,
        BTreeMap::from([(policy("Edit"), ns(&["search", "search-*"]))])
    );
    let groups: Vec<&str> = entry.kubernetes_groups.iter().map(|g| g.as_str()).collect();
    assert_eq!(groups, ["team-search"]);
    assert_eq!(
        entry.rules(),
        crate::domain::rule_names(["teams"]).iter().collect()
    );
    assert_eq!(entry.username, None);
    // The provenance says which permission set, what it captured and whose assignment it is.
    let [source] = entry.sources.as_slice() else {
        panic!("one source: {:?}", entry.sources);
    };
    assert_eq!(
        source.describe(),
        "teams (EKSTeam-search: team=search; groups search-devs)"
    );
    let crate::desired::RuleVia::PermissionSet { groups_filter, .. } = &source.via else {
        panic!("{source:?}");
    };
    assert_eq!(*groups_filter, None, "the rule has no groups filter");
}

#[test]
fn a_capture_that_is_no_valid_namespace_is_a_problem_and_grants_nothing() {
    let world = World::default()
        .assign("EKSTeam-Bad_Name", A1, &["bad"])
        .role(sso_role(
            A1,
            "EKSTeam-Bad_Name",
            "0123456789abcdef",
            Some("eu-west-1"),
        ))
        .assign("EKSTeam-Search", A1, &["search"])
        .role(sso_role(
            A1,
            "EKSTeam-Search",
            "0123456789abcdef",
            Some("eu-west-1"),
        ))
        .cluster(cluster(A1, "eu-west-1", "prod-1", &[]));
    let state = compute(&mapping(TEAMS), &world.0);
    assert_eq!(state.problems.len(), 1, "{state:#?}");
    let problem = &state.problems[0];
    assert_eq!(problem.rule, "teams");
    assert!(
        problem.message.contains("EKSTeam-Bad_Name") && problem.message.contains("bad_name"),
        "{problem:?}"
    );
    // Not even the (valid) kubernetes group team-Bad_Name: the rule is never half-applied.
    let entries = &at(&state, A1, "eu-west-1", "prod-1").entries;
    assert_eq!(entries.len(), 1);
    let search = entries.values().next().unwrap();
    // Namespaces get the lowercased capture, groups the capture as is.
    assert_eq!(
        search.policies[&policy("Edit")],
        ns(&["search", "search-*"])
    );
    assert_eq!(
        search.kubernetes_groups.iter().next().unwrap().as_str(),
        "team-Search"
    );
}

const READONLY: &str = "rules:
  - { name: readonly, permission_set: EKSReadOnly, access_policies: [{ policy: View, scope: cluster }] }
";

#[test]
fn roles_resolve_under_the_us_east_1_path_and_regional_paths() {
    let us_east_1 = sso_role(A1, "EKSReadOnly", "00000000000000aa", None);
    let regional = sso_role(A2, "EKSReadOnly", "00000000000000bb", Some("eu-west-1"));
    let world = World::default()
        .assign("EKSReadOnly", A1, &["all"])
        .assign("EKSReadOnly", A2, &["all"])
        .role(us_east_1.clone())
        .role(regional.clone())
        .cluster(cluster(A1, "us-east-1", "one", &[]))
        .cluster(cluster(A2, "eu-west-1", "two", &[]));
    let state = compute(&mapping(READONLY), &world.0);
    assert!(state.problems.is_empty(), "{state:#?}");
    let one = at(&state, A1, "us-east-1", "one");
    let two = at(&state, A2, "eu-west-1", "two");
    assert_eq!(one.entries.keys().collect::<Vec<_>>(), [&us_east_1.arn]);
    assert_eq!(two.entries.keys().collect::<Vec<_>>(), [&regional.arn]);
}

#[test]
fn two_matching_roles_are_a_problem_not_a_guess() {
    let world = World::default()
        .assign("EKSReadOnly", A1, &["all"])
        .role(sso_role(
            A1,
            "EKSReadOnly",
            "00000000000000aa",
            Some("eu-west-1"),
        ))
        .role(sso_role(
            A1,
            "EKSReadOnly",
            "00000000000000bb",
            Some("eu-west-1"),
        ))
        .cluster(cluster(A1, "eu-west-1", "prod-1", &[]));
    let state = compute(&mapping(READONLY), &world.0);
    assert_eq!(state.problems.len(), 1);
    assert_eq!(state.problems[0].account, Some(acct(A1)));
    assert!(state.problems[0].message.contains("several SSO roles"));
    assert!(at(&state, A1, "eu-west-1", "prod-1").entries.is_empty());
}

#[test]
fn admin_read_is_not_taken_for_admin() {
    let rules = "rules:\n  - { name: admins, permission_set: Admin, access_policies: [{ policy: ClusterAdmin, scope: cluster }] }\n";
    let read = sso_role(A1, "Admin_Read", "00000000000000aa", Some("eu-west-1"));
    let world = World::default()
        .assign("Admin", A1, &["admins"])
        .role(read.clone())
        .cluster(cluster(A1, "eu-west-1", "prod-1", &[]));
    let state = compute(&mapping(rules), &world.0);
    assert_eq!(state.problems.len(), 1, "{state:#?}");
    assert!(
        state.problems[0]
            .message
            .starts_with("no SSO role AWSReservedSSO_Admin_")
    );
    assert!(at(&state, A1, "eu-west-1", "prod-1").entries.is_empty());

    let admin = sso_role(A1, "Admin", "00000000000000bb", Some("eu-west-1"));
    let state = compute(&mapping(rules), &world.role(admin.clone()).0);
    assert!(state.problems.is_empty());
    let entries = at(&state, A1, "eu-west-1", "prod-1").entries;
    assert_eq!(entries.keys().collect::<Vec<_>>(), [&admin.arn]);
}

#[test]
fn a_groups_filter_skips_accounts_where_only_other_groups_hold_the_assignment() {
    let rules = "rules:
  - name: payments
    permission_set: PaymentsDeveloper
    groups: [payments-devs]
    access_policies: [{ policy: Edit, namespaces: [payments] }]
";
    let world = World::default()
        .assign("PaymentsDeveloper", A1, &["payments-devs", "qa"])
        .assign("PaymentsDeveloper", A2, &["qa"])
        .role(sso_role(
            A1,
            "PaymentsDeveloper",
            "00000000000000aa",
            Some("eu-west-1"),
        ))
        .role(sso_role(
            A2,
            "PaymentsDeveloper",
            "00000000000000bb",
            Some("eu-west-1"),
        ))
        .cluster(cluster(A1, "eu-west-1", "one", &[]))
        .cluster(cluster(A2, "eu-west-1", "two", &[]));
    let state = compute(&mapping(rules), &world.0);
    assert!(
        state.problems.is_empty() && state.conflicts.is_empty(),
        "{state:#?}"
    );
    assert_eq!(at(&state, A1, "eu-west-1", "one").entries.len(), 1);
    assert!(at(&state, A2, "eu-west-1", "two").entries.is_empty());
}

#[test]
fn cluster_selectors_and_global_include_exclude_are_honoured() {
    let rules = "clusters:
  include: [{ tags: { eks-sso-sync: enabled } }]
  exclude: [{ name: \"legacy-*\" }]
rules:
  - { name: prod-only, permission_set: EKSReadOnly, clusters: { tags: { env: prod } }, access_policies: [{ policy: View, scope: cluster }] }
";
    let on = ("eks-sso-sync", "enabled");
    let world = World::default()
        .assign("EKSReadOnly", A1, &["all"])
        .role(sso_role(
            A1,
            "EKSReadOnly",
            "00000000000000aa",
            Some("eu-west-1"),
        ))
        .cluster(cluster(A1, "eu-west-1", "prod-1", &[on, ("env", "prod")]))
        .cluster(cluster(A1, "eu-west-1", "dev-1", &[on, ("env", "dev")]))
        .cluster(cluster(A1, "eu-west-1", "legacy-1", &[on, ("env", "prod")]))
        .cluster(cluster(A1, "eu-west-1", "untagged", &[("env", "prod")]))
        .cluster(cluster(
            A2,
            "us-east-1",
            "other-region",
            &[on, ("env", "prod")],
        ));
    let state = compute(&mapping(rules), &world.0);
    let managed: Vec<&str> = state.clusters.keys().map(|c| c.name.as_str()).collect();
    assert_eq!(managed, ["dev-1", "prod-1"]);
    assert_eq!(at(&state, A1, "eu-west-1", "prod-1").entries.len(), 1);
    assert!(at(&state, A1, "eu-west-1", "dev-1").entries.is_empty());
}

const PRINCIPALS: &str = "principals:
  - { name: ci, principal: \"arn:aws:iam::111111111111:role/ci/deployer\", access_policies: [{ policy: Edit, namespaces: [apps] }] }
  - { name: ghost, principal: \"arn:aws:iam::111111111111:role/ci/ghost\", access_policies: [{ policy: View, scope: cluster }] }
  - { name: glass, principal: \"arn:aws:iam::111111111111:role/BreakGlassAdmin\", access_policies: [{ policy: ClusterAdmin, scope: cluster }] }
options: { break_glass: [\"arn:aws:iam::111111111111:role/BreakGlassAdmin\"] }
";

#[test]
fn principal_rules_reach_every_matching_cluster_if_the_principal_exists() {
    let ci = "arn:aws:iam::111111111111:role/ci/deployer";
    let world = World::default()
        .principal(ci)
        .principal("arn:aws:iam::111111111111:role/BreakGlassAdmin")
        .cluster(cluster(A1, "eu-west-1", "one", &[]))
        .cluster(cluster(A2, "eu-west-1", "two", &[]));
    let state = compute(&mapping(PRINCIPALS), &world.0);
    // The CI role gets an entry in its own account and across accounts alike.
    for (account, name) in [(A1, "one"), (A2, "two")] {
        let entries = at(&state, account, "eu-west-1", name).entries;
        assert_eq!(entries.keys().collect::<Vec<_>>(), [&arn(ci)], "{name}");
        assert_eq!(entries[&arn(ci)].role_id, role_id(ci));
    }
    // The missing principal is reported once; the break-glass one is silently left alone.
    assert_eq!(state.problems.len(), 1, "{state:#?}");
    assert_eq!(state.problems[0].rule, "ghost");
    assert!(state.problems[0].message.contains("does not exist"));
}

#[test]
fn the_same_input_gives_the_same_output_whatever_the_cluster_order() {
    let world = World::default()
        .assign("Dev", A1, &["a", "b"])
        .role(sso_role(A1, "Dev", "00000000000000aa", Some("eu-west-1")))
        .principal("arn:aws:iam::111111111111:role/ci/deployer")
        .cluster(cluster(A1, "eu-west-1", "one", &[]))
        .cluster(cluster(A2, "eu-west-1", "two", &[]))
        .cluster(cluster(A1, "us-east-1", "three", &[]));
    let m = mapping(&format!(
        "{}{}",
        super::merge_tests::SHARED,
        &PRINCIPALS[..PRINCIPALS.find("  - { name: ghost").unwrap()]
    ));
    let first = compute(&m, &world.0);
    let mut reversed = world.0.clone();
    reversed.clusters.reverse();
    assert_eq!(first, compute(&m, &reversed));
    assert_eq!(first, compute(&m, &world.0));
    assert_eq!(first.clusters.len(), 3);
}

#[test]
fn a_groups_filter_may_use_the_captures_of_a_pattern() {
    let rules = "rules:
  - name: teams
    permission_set: \"EKSTeam-{team}\"
    groups: [\"{team}-devs\"]
    access_policies: [{ policy: Edit, namespaces: [\"{team}\"] }]
";
    let world = World::default()
        .assign("EKSTeam-search", A1, &["search-devs"])
        .assign("EKSTeam-search", A2, &["payments-devs"])
        .role(sso_role(
            A1,
            "EKSTeam-search",
            "00000000000000aa",
            Some("eu-west-1"),
        ))
        .role(sso_role(
            A2,
            "EKSTeam-search",
            "00000000000000bb",
            Some("eu-west-1"),
        ))
        .cluster(cluster(A1, "eu-west-1", "one", &[]))
        .cluster(cluster(A2, "eu-west-1", "two", &[]));
    let state = compute(&mapping(rules), &world.0);
    assert!(state.problems.is_empty(), "{state:#?}");
    assert_eq!(at(&state, A1, "eu-west-1", "one").entries.len(), 1);
    assert!(at(&state, A2, "eu-west-1", "two").entries.is_empty());
}
