//! Loading real mapping files: the example at the repository root, JSON input, policy forms,
//! rule precedence, cluster scope and account roles.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::domain::{
    AccessScope, AuthenticationMode, ClusterName, ClusterRef, ClusterStatus, NamespacePattern,
    PolicyArn,
};

const EXAMPLE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../mapping.yaml"));

fn example() -> Mapping {
    Mapping::from_str(EXAMPLE, "mapping.yaml").unwrap_or_else(|r| panic!("{r}"))
}

fn ps(name: &str) -> PermissionSetName {
    PermissionSetName::new(name).unwrap()
}

fn cluster(account: &str, region: &str, name: &str, tags: &[(&str, &str)]) -> ClusterInfo {
    ClusterInfo {
        cluster: ClusterRef::new(
            AccountId::new(account).unwrap(),
            Region::new(region).unwrap(),
            ClusterName::new(name).unwrap(),
        ),
        status: ClusterStatus::Active,
        authentication_mode: AuthenticationMode::Api,
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        created_at: None,
        creator: None,
    }
}

#[test]
fn the_example_mapping_loads_cleanly() {
    let m = example();
    assert_eq!(m.identity_center.region.as_str(), "eu-west-1");
    assert_eq!(m.member_role_name, DEFAULT_MEMBER_ROLE_NAME);
    let ids: Vec<&str> = m.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["111111111111", "222222222222"]);
    let names: Vec<&str> = m.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["platform-admins", "payments", "readonly", "teams"]);
    assert_eq!(m.principals[0].principal.path(), "/ci/");
    let plan = m.plan_options();
    assert!(plan.prune && !plan.adopt_existing && !plan.switch_auth_mode);
    assert_eq!(plan.break_glass.len(), 1);
}

#[test]
fn the_example_grants_what_its_comments_say() {
    let m = example();
    let payments = m.rules_for_permission_set(&ps("PaymentsDeveloper"));
    assert_eq!(payments.len(), 1);
    let grant = payments[0].rule.grant(&payments[0].captures).unwrap();
    let edit = &grant.policies[&PolicyArn::for_people("Edit").unwrap()];
    assert_eq!(edit.to_string(), "namespaces payments,payments-*");
    assert_eq!(
        grant.policies[&PolicyArn::for_people("View").unwrap()],
        AccessScope::Cluster
    );

    let teams = m.rules_for_permission_set(&ps("EKSTeam-Search"));
    assert_eq!(teams[0].captures["team"], "Search");
    let grant = teams[0].rule.grant(&teams[0].captures).unwrap();
    assert_eq!(
        grant.kubernetes_groups.iter().next().unwrap().as_str(),
        "team-Search"
    );
    let ns = &grant.policies[&PolicyArn::for_people("Edit").unwrap()];
    assert_eq!(ns.to_string(), "namespaces search,search-*");
}

#[test]
fn json_is_accepted() {
    let json = r#"{
      "version": 1,
      "identity_center": { "region": "us-east-1", "instance_arn": "arn:aws:sso:::instance/ssoins-0123456789abcdef" },
      "accounts": [{ "id": "333333333333", "regions": ["us-east-1"], "role": "none" }],
      "rules": [{ "name": "admins", "permission_set": "Admin",
                  "access_policies": [{ "policy": "ClusterAdmin", "scope": "cluster" }] }],
      "options": { "prune": false }
    }"#;
    let m = Mapping::from_str(json, "m.json").unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(m.accounts[0].role, AccountRole::CallerCredentials);
    assert!(m.role_to_assume(&m.accounts[0]).is_none());
    assert!(!m.options.prune);
    assert!(m.identity_center.instance_arn.is_some());
}

#[test]
fn json_problems_are_located_too() {
    let json = "{\n  \"version\": 1,\n  \"identity_center\": { \"region\": \"eu-west-1\" },\n  \"accounts\": [],\n  \"rulez\": []\n}";
    let report = Mapping::from_str(json, "m.json").unwrap_err();
    let at: Vec<(usize, usize)> = report.problems.iter().map(|p| (p.line, p.column)).collect();
    assert_eq!(at, [(4, 15), (5, 3)], "{report}");
}

fn single_policy(policy: &str) -> PolicyArn {
    let doc = format!(
        "version: 1\nidentity_center: {{ region: eu-west-1 }}\naccounts: [{{ id: \"111111111111\", regions: [eu-west-1] }}]\n\
         rules: [{{ name: r, permission_set: Admin, access_policies: [{{ policy: \"{policy}\", scope: cluster }}] }}]\n"
    );
    let m = Mapping::from_str(&doc, "m.yaml").unwrap_or_else(|r| panic!("{r}"));
    m.rules[0].access_policies[0].policy.clone()
}

#[test]
fn policies_are_accepted_by_short_name_full_name_and_arn() {
    let expected = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy";
    for form in ["AdminView", "AmazonEKSAdminViewPolicy", expected] {
        assert_eq!(single_policy(form).as_str(), expected, "{form}");
    }
}

const PRECEDENCE: &str = "version: 1
identity_center: { region: eu-west-1 }
accounts: [{ id: \"111111111111\", regions: [eu-west-1] }]
rules:
  - { name: teams, permission_set: \"EKSTeam-{team}\", access_policies: [{ policy: Edit, namespaces: [\"{team}\"] }] }
  - { name: all-eks, permission_set: \"EKS{rest}\", access_policies: [{ policy: View, scope: cluster }] }
  - { name: platform-1, permission_set: EKSTeam-platform, access_policies: [{ policy: Admin, scope: cluster }] }
  - { name: platform-2, permission_set: EKSTeam-platform, kubernetes_groups: [platform], access_policies: [{ policy: View, scope: cluster }] }
";

#[test]
fn exact_rules_win_over_pattern_rules() {
    let m = Mapping::from_str(PRECEDENCE, "m.yaml").unwrap_or_else(|r| panic!("{r}"));
    let names = |ps_name: &str| -> Vec<String> {
        m.rules_for_permission_set(&ps(ps_name))
            .iter()
            .map(|r| r.rule.name.to_string())
            .collect()
    };
    assert_eq!(names("EKSTeam-platform"), ["platform-1", "platform-2"]);
    assert_eq!(names("EKSTeam-search"), ["teams", "all-eks"]);
    assert_eq!(names("EKSReadOnly"), ["all-eks"]);
    assert!(names("Billing").is_empty());
    assert!(m.wants_permission_set(&ps("EKSTeam-platform")));
    assert!(m.wants_permission_set(&ps("EKSAnything")));
    assert!(!m.wants_permission_set(&ps("Billing")));
}

#[test]
fn manages_honours_accounts_regions_include_and_exclude() {
    let m = example();
    let enabled = [("eks-sso-sync", "enabled")];
    assert!(m.manages(&cluster("111111111111", "us-east-1", "prod-1", &enabled)));
    assert!(!m.manages(&cluster("111111111111", "us-east-1", "legacy-1", &enabled)));
    assert!(!m.manages(&cluster("111111111111", "us-east-1", "prod-1", &[])));
    assert!(!m.manages(&cluster("222222222222", "us-east-1", "prod-1", &enabled)));
    assert!(!m.manages(&cluster("333333333333", "eu-west-1", "prod-1", &enabled)));
}

#[test]
fn selectors_require_every_given_field() {
    let selector = ClusterSelector {
        name: Some(Glob::new("prod-?")),
        tags: BTreeMap::from([("env".to_owned(), Glob::new("prod*"))]),
        accounts: Some([AccountId::new("111111111111").unwrap()].into()),
        regions: None,
    };
    assert!(selector.matches(&cluster(
        "111111111111",
        "eu-west-1",
        "prod-1",
        &[("env", "production")]
    )));
    assert!(!selector.matches(&cluster(
        "111111111111",
        "eu-west-1",
        "prod-1",
        &[("env", "dev")]
    )));
    assert!(!selector.matches(&cluster(
        "111111111111",
        "eu-west-1",
        "prod-12",
        &[("env", "prod")]
    )));
    assert!(!selector.matches(&cluster(
        "222222222222",
        "eu-west-1",
        "prod-1",
        &[("env", "prod")]
    )));
    assert!(ClusterSelector::default().matches(&cluster("222222222222", "eu-west-1", "x", &[])));
}

#[test]
fn role_to_assume_follows_the_account_setting() {
    let doc = "version: 1
identity_center: { region: eu-west-1 }
member_role_name: sync-target
accounts:
  - { id: \"111111111111\", regions: [eu-west-1] }
  - { id: \"222222222222\", regions: [us-gov-west-1] }
  - { id: \"333333333333\", regions: [eu-west-1], role: \"arn:aws:iam::333333333333:role/teams/eks-sync\" }
  - { id: \"444444444444\", regions: [eu-west-1], role: none }
";
    let m = Mapping::from_str(doc, "m.yaml").unwrap_or_else(|r| panic!("{r}"));
    let role = |id: &str| {
        let account = m.account(&AccountId::new(id).unwrap()).unwrap();
        m.role_to_assume(account).map(|a| a.to_string())
    };
    assert_eq!(
        role("111111111111").unwrap(),
        "arn:aws:iam::111111111111:role/sync-target"
    );
    assert_eq!(
        role("222222222222").unwrap(),
        "arn:aws-us-gov:iam::222222222222:role/sync-target"
    );
    assert_eq!(
        role("333333333333").unwrap(),
        "arn:aws:iam::333333333333:role/teams/eks-sync"
    );
    assert_eq!(role("444444444444"), None);
}

#[test]
fn principal_rules_resolve_their_grant_at_load_time() {
    let m = example();
    let ci = &m.principals[0];
    let ns = NamespacePattern::new("apps").unwrap();
    assert_eq!(
        ci.grant.policies[&PolicyArn::for_people("Edit").unwrap()],
        AccessScope::Namespace([ns].into())
    );
    assert_eq!(ci.grant.kubernetes_groups.len(), 1);
}

#[test]
fn a_missing_file_is_reported_as_a_problem() {
    let report = Mapping::from_path(Path::new("/nonexistent/mapping.yaml")).unwrap_err();
    assert_eq!(report.problems.len(), 1);
    assert!(
        report
            .to_string()
            .starts_with("/nonexistent/mapping.yaml:1:1: cannot read")
    );
    let m = Mapping::from_path(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../mapping.yaml"
    )));
    assert!(m.is_ok());
}

/// A one-account mapping in `region` (Identity Center there too) with `rest` appended.
fn mapping_in(region: &str, rest: &str) -> Mapping {
    let doc = format!(
        "version: 1\nidentity_center: {{ region: {region} }}\n\
         accounts: [{{ id: \"111122223333\", regions: [{region}] }}]\n{rest}"
    );
    Mapping::from_str(&doc, "m.yaml").unwrap_or_else(|r| panic!("{r}"))
}

const TEAM_RULE: &str = "rules:
  - name: teams
    permission_set: EKSTeam-{team}
    access_policies: [{ policy: Edit, namespaces: [\"{team}\", \"{team}-*\"] }]
";

#[test]
fn a_convention_rule_never_expands_into_system_namespaces_by_accident() {
    let m = mapping_in("eu-west-1", TEAM_RULE);
    let rule = &m.rules_for_permission_set(&ps("EKSTeam-kube"))[0];
    let err = rule.rule.grant(&rule.captures).unwrap_err();
    assert!(
        err.contains("\"kube-*\"") && err.contains("team=kube"),
        "the error names the namespace and the capture: {err}"
    );
    assert!(err.contains("allow_system_namespaces: true"), "{err}");
    // `{team}` itself reaching kube-system is refused the same way.
    let rule = &m.rules_for_permission_set(&ps("EKSTeam-kube-system"))[0];
    let err = rule.rule.grant(&rule.captures).unwrap_err();
    assert!(err.contains("\"kube-system\""), "{err}");
    // Other teams are untouched.
    let rule = &m.rules_for_permission_set(&ps("EKSTeam-search"))[0];
    assert!(rule.rule.grant(&rule.captures).is_ok());
}

#[test]
fn allow_system_namespaces_lets_a_convention_rule_expand_there() {
    let m = mapping_in(
        "eu-west-1",
        &TEAM_RULE.replace(
            "    access_policies",
            "    allow_system_namespaces: true\n    access_policies",
        ),
    );
    let rule = &m.rules_for_permission_set(&ps("EKSTeam-kube"))[0];
    let grant = rule.rule.grant(&rule.captures).unwrap();
    let edit = &grant.policies[&PolicyArn::for_people("Edit").unwrap()];
    let expected: BTreeSet<NamespacePattern> = ["kube", "kube-*"]
        .into_iter()
        .map(|n| NamespacePattern::new(n).unwrap())
        .collect();
    assert_eq!(edit, &AccessScope::Namespace(expected));
}

/// An inventory with one cluster in `region` and the SSO role of `permission_set` assigned.
fn inventory_with(region: &str, permission_set: &str) -> crate::inventory::Inventory {
    let partition = Region::new(region).unwrap().partition();
    let account = AccountId::new("111122223333").unwrap();
    let role = crate::domain::RoleInfo {
        arn: PrincipalArn::new(format!(
            "arn:{partition}:iam::111122223333:role/aws-reserved/sso.amazonaws.com/{region}/AWSReservedSSO_{permission_set}_0123456789abcdef"
        ))
        .unwrap(),
        role_id: crate::domain::RoleId::new("AROAAAAAAAAAAAAAAAAA").unwrap(),
        created_at: None,
    };
    let mut inventory = crate::inventory::Inventory::default();
    inventory.permission_sets.insert(
        ps(permission_set),
        crate::inventory::PermissionSetInventory {
            arn: format!("arn:{partition}:sso:::permissionSet/ssoins-1/ps-1")
                .parse()
                .unwrap(),
            accounts: BTreeMap::from([(account.clone(), BTreeSet::new())]),
        },
    );
    inventory.sso_roles.insert(account, vec![role]);
    inventory
        .clusters
        .push(cluster("111122223333", region, "prod-1", &[]));
    inventory
}

#[test]
fn an_expansion_into_system_namespaces_is_a_desired_state_problem() {
    let m = mapping_in("eu-west-1", TEAM_RULE);
    let state = crate::desired::compute(&m, &inventory_with("eu-west-1", "EKSTeam-kube"));
    assert_eq!(state.problems.len(), 1, "{state:#?}");
    assert!(state.problems[0].message.contains("kube-*"));
    let desired = state.clusters.values().next().unwrap();
    assert!(
        desired.entries.is_empty(),
        "the rule grants EKSTeam-kube nothing"
    );
}

#[test]
fn desired_policies_and_roles_are_in_the_cluster_partition() {
    for (region, partition) in [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")] {
        let m = mapping_in(
            region,
            "rules:\n  - { name: dev, permission_set: Dev, access_policies: [{ policy: View, scope: cluster }] }\n",
        );
        let account = &m.accounts[0];
        let assumed = m.role_to_assume(account).unwrap();
        assert_eq!(
            assumed.as_str(),
            format!("arn:{partition}:iam::111122223333:role/eks-sso-sync-target")
        );
        let state = crate::desired::compute(&m, &inventory_with(region, "Dev"));
        assert!(state.problems.is_empty(), "{state:#?}");
        let (cluster, desired) = state.clusters.iter().next().unwrap();
        assert_eq!(
            cluster.arn(),
            format!("arn:{partition}:eks:{region}:111122223333:cluster/prod-1")
        );
        let entry = desired.entries.values().next().unwrap();
        let policies: Vec<&str> = entry.policies.keys().map(PolicyArn::as_str).collect();
        assert_eq!(
            policies,
            [format!(
                "arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
            )]
        );
    }
}

#[test]
fn a_mapping_knows_the_hash_of_its_text() {
    let text = "version: 1\nidentity_center: { region: eu-west-1 }\naccounts:\n  - { id: \"111122223333\", regions: [eu-west-1] }\n";
    let mapping = Mapping::from_str(text, "test").unwrap();
    assert_eq!(mapping.sha256, sha256_hex(text));
    assert_eq!(mapping.sha256.len(), 64);
    let other = Mapping::from_str(&format!("{text}# a comment\n"), "test").unwrap();
    assert_ne!(
        other.sha256, mapping.sha256,
        "a different text is another version"
    );
}
