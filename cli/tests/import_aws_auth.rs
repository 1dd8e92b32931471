//! `import-aws-auth` end to end through the binary and the real SDK clients against the
//! emulator: corpus ConfigMaps served by each cluster's Kubernetes API (read with an EKS token),
//! imported, applied, and verified equivalent against the live access entries; the IAM of
//! another account reached through its member role, or refused clearly when it cannot be.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{Env, bare_cli, json, workspace};
use eks_sso_sync_emulator::Seed;
use serde_json::Value;

/// The account whose credentials the CLI uses (the emulator maps the `test` key to the default
/// account).
const ACCOUNT: &str = "111122223333";

/// Roles the corpus names, at their real paths, and the member role in every account.
const SEED_HEAD: &str = r#"
default_account: "111122223333"
accounts:
  - { id: "111122223333", name: main }
  - { id: "012345678901", name: other }
  - { id: "444455556666", name: docs-other }
  - { id: "222222222222", name: sso }
  - { id: "111222333444", name: users }
  - { id: "999988887777", name: no-member-role }
identity_center: { home_region: eu-west-1 }
users:
  - { user_name: ana }
groups:
  - { display_name: admins, members: [ana] }
permission_sets:
  - { name: Permission_AdminFullAccess }
assignments:
  - { permission_set: Permission_AdminFullAccess, account: "222222222222", group: admins }
roles:
  - { account: "111122223333", name: eks-sso-sync-target }
  - { account: "012345678901", name: eks-sso-sync-target }
  - { account: "444455556666", name: eks-sso-sync-target }
  - { account: "222222222222", name: eks-sso-sync-target }
  - { account: "111222333444", name: eks-sso-sync-target }
  - { account: "111122223333", name: eksctl-my-cluster-nodegroup }
  - { account: "111122223333", name: SomeTeam, path: /teams/ }
  - { account: "111122223333", name: AnotherTeam, path: /teams/ }
  - { account: "111122223333", name: BasicPrivilegesRole }
  - { account: "111122223333", name: EKSServiceWorker }
  - { account: "111122223333", name: gitlab-runner, path: /gitlab-ci/ }
  - { account: "111122223333", name: code-build-role }
  - { account: "111122223333", name: ApplicationOwner }
  - { account: "111122223333", name: k8s-user }
  - { account: "111122223333", name: k8s-read-only }
  - { account: "111122223333", name: EKSWorkerNode }
  - { account: "111122223333", name: eks-cluster-2021011418144523470000000a }
  - { account: "111122223333", name: benchmark-cluster20190708105911506900000008 }
  - { account: "012345678901", name: account-admin }
  - { account: "012345678901", name: stratus-red-team-eks-backdoor-aws-auth-role }
  - { account: "012345678901", name: eksctl-cluser-NodeInstanceRole }
  - { account: "999988887777", name: ops }
iam_users:
  - { account: "111122223333", name: Admin }
  - { account: "444455556666", name: ops-user }
  - { account: "111222333444", name: jane.doe }
  - { account: "111222333444", name: test.user }
"#;

/// The corpus files whose ConfigMap the clusters serve, with the cluster's account and the node
/// roles EKS gave access entries of their own (as it does for managed node groups).
const LIVE: &[(&str, &str, &[&str])] = &[
    ("02-sso-one-role-two-usernames.yaml", "222222222222", &[]),
    (
        "08-aws-docs-cross-account-user.yaml",
        ACCOUNT,
        &["eksctl-my-cluster-nodegroup"],
    ),
    (
        "09-root-user-and-lost-node-template.yaml",
        "111222333444",
        &[],
    ),
    ("04-roles-under-team-path.yaml", ACCOUNT, &[]),
    (
        "05-get-o-yaml-managedfields-quoted-keys.yaml",
        ACCOUNT,
        &["eks-cluster-2021011418144523470000000a"],
    ),
    ("06-ci-role-under-path.yaml", ACCOUNT, &["EKSWorkerNode"]),
    (
        "07-double-quoted-escaped-scalars.yaml",
        ACCOUNT,
        &["benchmark-cluster20190708105911506900000008"],
    ),
    ("14-templated-usernames-bare-list.yaml", ACCOUNT, &[]),
    (
        "16-audit-event-configmap.json",
        "012345678901",
        &["eksctl-cluser-NodeInstanceRole"],
    ),
];

fn corpus(name: &str) -> std::path::PathBuf {
    workspace().join("tests/fixtures/aws-auth").join(name)
}

/// The `data` of a corpus file: a ConfigMap's `data`, or, for a bare list, `mapRoles`.
fn configmap_data(name: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(corpus(name)).expect("corpus file");
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("corpus YAML");
    match doc.get("data") {
        Some(data) => serde_yaml_ng::from_value(data.clone()).expect("string data"),
        None => BTreeMap::from([("mapRoles".to_owned(), text)]),
    }
}

/// One cluster per corpus file, named after its number, serving that file's aws-auth, with
/// the node entries EKS would have made.
fn seed() -> Seed {
    let mut yaml = SEED_HEAD.to_owned();
    yaml.push_str("clusters:\n");
    for (file, account, nodes) in LIVE {
        let data = serde_json::to_string(&configmap_data(file)).expect("json");
        yaml.push_str(&format!(
            "  - {{ account: \"{account}\", region: eu-west-1, name: c{}, aws_auth: {data}, entries: [",
            &file[..2]
        ));
        for node in *nodes {
            yaml.push_str(&format!("{{ role: {node}, type: EC2_LINUX }}, "));
        }
        yaml.push_str("] }\n");
    }
    Seed::from_yaml(&yaml).expect("seed")
}

fn start() -> Env {
    Env::start_with(seed())
}

fn run_json(env: &Env, args: &[&str], config: Option<&Path>) -> (i32, Value) {
    let mut cmd = bare_cli();
    cmd.arg("--endpoint-url").arg(&env.emulator.endpoint);
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    let out = cmd
        .args(args)
        .args(["--output", "json"])
        .output()
        .expect("runs");
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 2 || code == 3,
        "{args:?} exited {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, json(&out.stdout))
}

#[test]
fn live_configmaps_import_apply_and_verify_equivalent() {
    let env = start();
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, account, _) in LIVE {
        let cluster = format!("c{}", &file[..2]);
        let mapping = dir.path().join(format!("{cluster}.yaml"));
        let mapping_arg = mapping.to_str().expect("utf-8 path");
        let import = [
            "import-aws-auth",
            "--cluster",
            &cluster,
            "--account",
            account,
            "--write",
            mapping_arg,
        ];
        let (_, doc) = run_json(&env, &import, None);
        let report = &doc["report"];
        let accounted = ["translated", "node_roles", "untranslated"]
            .iter()
            .map(|k| {
                report[k].as_array().map_or(0, |a| {
                    a.iter()
                        .filter(|e| e["entry"].as_str().is_some_and(|s| s.contains('[')))
                        .count()
                })
            })
            .sum::<usize>();
        assert_eq!(
            Some(accounted as u64),
            report["entries"].as_u64(),
            "{file}: {report:#}"
        );
        assert!(mapping.exists(), "{file}: no mapping written: {report:#}");
        bare_cli()
            .arg("--config")
            .arg(&mapping)
            .arg("validate")
            .assert()
            .success();

        let (code, applied) = run_json(
            &env,
            &["apply", "--yes", "--cluster", &cluster],
            Some(&mapping),
        );
        assert!(
            code == 0 || code == 3,
            "{file}: apply exited {code}: {applied:#}"
        );

        let verify = [
            "import-aws-auth",
            "--cluster",
            &cluster,
            "--account",
            account,
            "--verify",
        ];
        let (code, verified) = run_json(&env, &verify, None);
        let checks = &verified["equivalence"][0]["checks"];
        assert_eq!(code, 0, "{file}: equivalence fails: {checks:#}");
        assert!(
            checks.as_array().is_some_and(|c| !c.is_empty()),
            "{file}: {verified:#}"
        );
    }
}

#[test]
fn verify_before_apply_says_who_would_lose_access() {
    let env = start();
    let (code, doc) = run_json(
        &env,
        &["import-aws-auth", "--cluster", "c06", "--verify"],
        None,
    );
    assert_eq!(code, 3, "{doc:#}");
    let checks = doc["equivalence"][0]["checks"]
        .as_array()
        .expect("checks")
        .clone();
    let missing: Vec<&str> = checks
        .iter()
        .filter(|c| !c["missing"].is_null())
        .filter_map(|c| c["principal"].as_str())
        .collect();
    assert_eq!(
        missing,
        [
            "arn:aws:iam::111122223333:role/EKSServiceWorker",
            "arn:aws:iam::111122223333:role/gitlab-ci/gitlab-runner"
        ],
        "node roles already have EKS's entries: {checks:#?}"
    );
}

#[test]
fn another_accounts_roles_are_resolved_there_or_refused_clearly() {
    let env = start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("aws-auth.yaml");
    std::fs::write(
        &file,
        "mapRoles: |\n  - rolearn: arn:aws:iam::012345678901:role/account-admin\n    groups: [system:masters]\n  - rolearn: arn:aws:iam::999988887777:role/ops\n    groups: [system:masters]\n",
    )
    .expect("write");
    let (_, doc) = run_json(
        &env,
        &["import-aws-auth", file.to_str().expect("path")],
        None,
    );
    let translated = doc["report"]["translated"].as_array().expect("translated");
    assert_eq!(translated.len(), 1, "{doc:#}");
    assert_eq!(
        translated[0]["principal"],
        "arn:aws:iam::012345678901:role/account-admin"
    );
    let refused = &doc["report"]["untranslated"][0];
    let reason = refused["reason"].as_str().expect("reason");
    assert!(
        refused["entry"]
            .as_str()
            .is_some_and(|e| e.contains("999988887777:role/ops"))
    );
    assert!(
        reason.starts_with("account 999988887777 cannot be reached"),
        "{reason}"
    );
    assert!(
        reason.contains("eks-sso-sync-target"),
        "names the role it tried: {reason}"
    );
    assert!(
        !doc["mapping_yaml"]
            .as_str()
            .unwrap_or_default()
            .contains("444455556666:role")
    );
}

/// The README's migration runbook, step by step, on the demo organization.
#[test]
fn the_readme_runbook_works_on_the_demo() {
    let env = Env::start("../../src/cmd/demo/seed.yaml");
    let dir = tempfile::tempdir().expect("tempdir");
    let mapping = dir.path().join("migrated.yaml");
    let mapping_arg = mapping.to_str().expect("utf-8 path");
    let live = ["--cluster", "payments-legacy", "--account", "222222222222"];
    let (code, doc) = run_json(
        &env,
        &[&["import-aws-auth"], &live[..], &["--write", mapping_arg]].concat(),
        None,
    );
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["report"]["entries"], 4);
    let (code, _) = run_json(&env, &["validate"], Some(&mapping));
    assert_eq!(code, 0);
    let (code, plan) = run_json(&env, &["plan"], Some(&mapping));
    assert_eq!(
        code, 0,
        "a CONFIG_MAP cluster takes no entries yet: {plan:#}"
    );
    let text = std::fs::read_to_string(&mapping).expect("mapping");
    std::fs::write(
        &mapping,
        text.replace("switch_auth_mode: false", "switch_auth_mode: true"),
    )
    .expect("write");
    run_json(&env, &["apply", "--yes"], Some(&mapping));
    assert!(
        env.emulator.settle_clusters() >= 1,
        "the switch left it UPDATING"
    );
    let (code, plan) = run_json(&env, &["plan"], Some(&mapping));
    assert_eq!(code, 2, "the entries that replace the ConfigMap: {plan:#}");
    let (code, applied) = run_json(&env, &["apply", "--yes"], Some(&mapping));
    assert_eq!(code, 0, "{applied:#}");
    let (code, verified) = run_json(
        &env,
        &[&["import-aws-auth"], &live[..], &["--verify"]].concat(),
        None,
    );
    assert_eq!(code, 0, "{:#}", verified["equivalence"]);
}

#[test]
fn clusters_matching_a_tag_are_read_and_their_identical_entries_merge() {
    let mut seed = seed();
    let data = configmap_data("06-ci-role-under-path.yaml");
    for name in ["twin-a", "twin-b"] {
        seed.clusters
            .push(eks_sso_sync_emulator::seed::SeedCluster {
                account: Some(ACCOUNT.to_owned()),
                region: Some("eu-west-1".to_owned()),
                name: name.to_owned(),
                tags: BTreeMap::from([("migrate".to_owned(), "yes".to_owned())]),
                aws_auth: Some(data.clone()),
                ..Default::default()
            });
    }
    let env = Env::start_with(seed);
    let (code, doc) = run_json(&env, &["import-aws-auth", "--tag", "migrate=y?s"], None);
    assert_eq!(code, 0, "{doc:#}");
    let report = &doc["report"];
    assert_eq!(
        report["entries"], 6,
        "both tagged clusters read, no other: {report:#}"
    );
    let entries: Vec<&str> = report["translated"]
        .as_array()
        .expect("translated")
        .iter()
        .filter_map(|t| t["entry"].as_str())
        .collect();
    assert!(
        entries
            .iter()
            .any(|e| e.starts_with("111122223333/eu-west-1/twin-b ")),
        "{entries:?}"
    );
    let yaml = doc["mapping_yaml"].as_str().expect("mapping");
    assert_eq!(
        yaml.matches("- name: principal-").count(),
        2,
        "one rule per principal:\n{yaml}"
    );
    assert!(
        yaml.contains("name: twin-a") && yaml.contains("name: twin-b"),
        "{yaml}"
    );
}

#[test]
fn clusters_of_a_mapping_are_those_its_selectors_pick_in_its_accounts() {
    let mut seed = seed();
    let data = configmap_data("06-ci-role-under-path.yaml");
    for (account, name, team) in [
        (ACCOUNT, "pay-prod", "payments"),
        (ACCOUNT, "pay-legacy", "payments"),
        ("012345678901", "pay-eu", "payments-eu"),
        (ACCOUNT, "search-prod", "search"),
    ] {
        seed.clusters
            .push(eks_sso_sync_emulator::seed::SeedCluster {
                account: Some(account.to_owned()),
                region: Some("eu-west-1".to_owned()),
                name: name.to_owned(),
                tags: BTreeMap::from([("team".to_owned(), team.to_owned())]),
                aws_auth: Some(data.clone()),
                ..Default::default()
            });
    }
    let env = Env::start_with(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let mapping = dir.path().join("existing.yaml");
    std::fs::write(
        &mapping,
        r#"version: 1
identity_center: { region: eu-west-1 }
accounts:
  - { id: "111122223333", regions: [eu-west-1] }
  - { id: "012345678901", regions: [eu-west-1] }
clusters:
  include: [{ tags: { team: "payments*" } }]
  exclude: [{ name: "*-legacy" }]
rules:
  - name: admins
    permission_set: Permission_AdminFullAccess
    access_policies: [{ policy: ClusterAdmin, scope: cluster }]
"#,
    )
    .expect("write");
    let mapping_arg = mapping.to_str().expect("utf-8 path");
    let (code, doc) = run_json(
        &env,
        &["import-aws-auth", "--clusters-of", mapping_arg],
        None,
    );
    assert_eq!(code, 0, "{doc:#}");
    let entries: BTreeSet<&str> = doc["report"]["translated"]
        .as_array()
        .expect("translated")
        .iter()
        .filter_map(|t| t["entry"].as_str()?.split(' ').next())
        .collect();
    assert_eq!(
        entries,
        BTreeSet::from([
            "012345678901/eu-west-1/pay-eu",
            "111122223333/eu-west-1/pay-prod"
        ]),
        "the tag glob picks both accounts' payments clusters, the exclude drops the legacy one"
    );
    let yaml = doc["mapping_yaml"].as_str().expect("mapping");
    assert!(
        yaml.contains("name: pay-prod")
            && yaml.contains("name: pay-eu")
            && !yaml.contains("search"),
        "the generated mapping manages exactly the clusters read:\n{yaml}"
    );

    let conflict = bare_cli()
        .args([
            "import-aws-auth",
            "--clusters-of",
            mapping_arg,
            "--cluster",
            "x",
        ])
        .output()
        .expect("runs");
    assert_eq!(conflict.status.code(), Some(2), "clap refuses the mix");
}
