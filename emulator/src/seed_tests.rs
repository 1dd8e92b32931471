//! Tests of seed parsing and application.

use super::*;

const FIXTURE: &str = include_str!("../tests/fixtures/seed.yaml");

fn world() -> World {
    let seed = Seed::from_yaml(FIXTURE).unwrap();
    build_world(&EmulatorConfig::default(), Clock::wall(), Some(&seed)).unwrap()
}

#[test]
fn fixture_builds_sso_roles_clusters_and_entries() {
    let w = world();
    assert_eq!(w.directory.identity_store_id, "d-1234567890");
    let member = &w.accounts["222222222222"];
    let sso: Vec<&str> = member
        .roles
        .values()
        .filter(|r| r.path == "/aws-reserved/sso.amazonaws.com/eu-west-1/")
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(sso.len(), 2);
    assert!(
        sso.iter()
            .any(|n| n.starts_with("AWSReservedSSO_PaymentsDeveloper_"))
    );
    let key = ClusterKey {
        account: "222222222222".into(),
        region: "eu-west-1".into(),
        name: "prod-1".into(),
    };
    let prod = &w.eks.clusters[&key];
    assert_eq!(
        (prod.status.as_str(), prod.authentication_mode.as_str()),
        ("ACTIVE", "API_AND_CONFIG_MAP")
    );
    assert_eq!(
        prod.entries.len(),
        4,
        "creator, node role and two SSO roles"
    );
    assert!(
        prod.entries
            .contains_key("arn:aws:iam::222222222222:role/ci-deployer")
    );
    let node = &prod.entries["arn:aws:iam::222222222222:role/eks/node-role"];
    assert_eq!(node.entry_type, "EC2_LINUX");
    let dev = prod
        .entries
        .values()
        .find(|e| e.kubernetes_groups == ["payments-devs"])
        .unwrap();
    assert_eq!(
        dev.policies.values().next().unwrap().namespaces,
        ["payments", "payments-*"]
    );
    assert!(
        dev.created_at < w.now() - time::Duration::hours(1),
        "seeded state is old"
    );
    let new = w
        .eks
        .clusters
        .values()
        .find(|c| c.key.name == "brand-new")
        .unwrap();
    assert_eq!(
        (new.key.region.as_str(), new.status.as_str()),
        ("eu-west-1", "CREATING")
    );
    assert!(new.ready_at.unwrap() > w.now() + time::Duration::seconds(500));
}

#[test]
fn bad_seeds_are_clear_errors() {
    let unknown_key = Seed::from_yaml("acounts: []").unwrap_err();
    assert!(unknown_key.to_string().contains("acounts"), "{unknown_key}");
    let bad_member =
        Seed::from_yaml("groups: [{display_name: g}]\nmemberships: [{group: g, user: ghost}]")
            .unwrap();
    let err =
        build_world(&EmulatorConfig::default(), Clock::wall(), Some(&bad_member)).unwrap_err();
    assert!(err.to_string().contains("ghost"), "{err}");
    let unprovisioned =
        Seed::from_yaml("clusters: [{name: c, entries: [{permission_set: Nope}]}]").unwrap();
    let err = build_world(
        &EmulatorConfig::default(),
        Clock::wall(),
        Some(&unprovisioned),
    )
    .unwrap_err();
    assert!(err.to_string().contains("Nope"), "{err}");
}

#[test]
fn no_seed_gives_the_default_account_and_an_instance() {
    let w = build_world(&EmulatorConfig::default(), Clock::wall(), None).unwrap();
    assert_eq!(w.accounts.keys().collect::<Vec<_>>(), ["111111111111"]);
    assert!(
        w.sso
            .instance_arn
            .starts_with("arn:aws:sso:::instance/ssoins-")
    );
    assert_eq!(w.sso.home_region, "eu-west-1");
}

#[test]
fn the_readme_example_seed_builds() {
    let readme = include_str!("../README.md");
    let section = readme.split("## Seed format").nth(1).unwrap();
    let yaml = section
        .split("```yaml")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let seed = Seed::from_yaml(yaml).unwrap();
    let w = build_world(&EmulatorConfig::default(), Clock::wall(), Some(&seed)).unwrap();
    let key = ClusterKey {
        account: "222222222222".into(),
        region: "eu-west-1".into(),
        name: "prod-1".into(),
    };
    assert_eq!(w.eks.clusters[&key].entries.len(), 4);
}
