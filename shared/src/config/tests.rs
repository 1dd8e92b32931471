//! Loading real mapping files: the example at the repository root, JSON input, policy forms,
//! rule precedence, cluster scope and account roles.

use std::collections::BTreeMap;

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
            .map(|r| r.rule.name.clone())
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
