//! The CLI against the emulator: exit codes, JSON documents (golden files), refusal without
//! `--yes`, `validate` with line:column, `explain`, `import-aws-auth` and `emulator` itself.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use common::{Env, assert_golden, bare_cli, fixture, json, json_success, workspace};
use predicates::prelude::*;

const PAYMENTS: (&str, &str, &str) = ("222222222222", "eu-west-1", "prod-eu");

#[test]
fn every_command_has_help() {
    for command in [
        "",
        "demo",
        "validate",
        "plan",
        "apply",
        "explain",
        "handle-event",
        "emulator",
        "import-aws-auth",
        "bench",
    ] {
        let mut cmd = bare_cli();
        if !command.is_empty() {
            cmd.arg(command);
        }
        cmd.arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage: eks-sso-sync"));
    }
}

#[test]
fn validate_accepts_the_root_mapping_and_reports_line_and_column() {
    bare_cli()
        .arg("--config")
        .arg(workspace().join("mapping.yaml"))
        .args(["validate", "--output", "table"])
        .assert()
        .success()
        .stdout(predicate::str::contains("valid"));

    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        "version: 1\nidentity_center: { region: eu-west-1 }\nacounts: []\nrules: []\n",
    )
    .unwrap();
    bare_cli()
        .arg("--config")
        .arg(&broken)
        .args(["validate", "--output", "table"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "{}:3:1",
            broken.display()
        )));

    // A file PowerShell's `>` wrote (UTF-16) gets the fix for that, not "check the path".
    let utf16 = dir.path().join("utf16.yaml");
    let text: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("version: 1\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(&utf16, text).unwrap();
    bare_cli()
        .arg("--config")
        .arg(&utf16)
        .args(["validate", "--output", "table"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("UTF-16").and(predicate::str::contains("iconv")));

    let out = bare_cli()
        .arg("--config")
        .arg(&broken)
        .args(["validate", "--output", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let mut document = json(&out);
    document["file"] = "broken.yaml".into();
    assert_golden("validate-error", &document);
}

#[test]
fn plan_apply_plan_converges_with_stable_documents() {
    let env = Env::start("seed.yaml");
    let out = env
        .cli()
        .args(["plan", "--output", "json"])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    assert_golden("plan", &json(&out));

    let applied = json_success(env.cli().args(["apply", "--yes", "--output", "json"]));
    assert_eq!(
        applied["applied"].as_array().map(Vec::len),
        Some(3),
        "{applied}"
    );
    assert_golden("apply", &applied);

    env.cli()
        .args(["plan", "--output", "json"])
        .assert()
        .code(0);
}

#[test]
fn apply_without_yes_off_a_terminal_refuses_and_changes_nothing() {
    let env = Env::start("seed.yaml");
    let before = env.entries(PAYMENTS.0, PAYMENTS.1, PAYMENTS.2);
    env.cli()
        .args(["apply", "--output", "json"])
        .write_stdin("yes\n")
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("refusing to apply").and(predicate::str::contains("--yes")),
        );
    assert_eq!(env.entries(PAYMENTS.0, PAYMENTS.1, PAYMENTS.2), before);
    assert!(
        !env.emulator
            .request_counts()
            .keys()
            .any(|op| op.contains("CreateAccessEntry")),
        "nothing may be written"
    );
}

#[test]
fn explain_a_group_and_a_user() {
    let env = Env::start("seed.yaml");
    let document =
        json_success(
            env.cli()
                .args(["explain", "--group", "payments-devs", "--output", "json"]),
        );
    let access = document["groups"][0]["access"].as_array().unwrap();
    assert_eq!(access.len(), 1, "{document}");
    assert_eq!(
        access[0]["cluster"],
        "arn:aws:eks:eu-west-1:222222222222:cluster/prod-eu"
    );
    assert_eq!(access[0]["permission_set"], "PaymentsDeveloper");
    assert_golden("explain-group", &document);

    let document = json_success(
        env.cli()
            .args(["explain", "--user", "ana", "--output", "json"]),
    );
    assert_eq!(
        document["user"]["groups"],
        serde_json::json!(["auditors", "payments-devs"]),
        "{document}"
    );

    assert_eq!(
        document["user"]["direct_access"],
        serde_json::json!([]),
        "ana holds no direct assignment"
    );
    env.cli()
        .args(["explain", "--user", "nobody", "--output", "json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no user named \"nobody\""));
    env.cli()
        .args(["explain", "--group", "nobody", "--output", "json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no group named \"nobody\""));
}

#[test]
fn explain_a_permission_set_and_direct_assignments() {
    let env = Env::start("seed.yaml");
    let document = json_success(env.cli().args([
        "explain",
        "--permission-set",
        "EKSReadOnly",
        "--output",
        "json",
    ]));
    let ps = &document["permission_set"];
    assert_eq!(ps["wanted"], true, "{document}");
    let accounts: Vec<(&str, usize, usize)> = ps["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["account"].as_str().unwrap(),
                a["groups"].as_array().unwrap().len(),
                a["users"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        accounts,
        [("111111111111", 0, 1), ("222222222222", 1, 0)],
        "carla holds it directly in 111111111111, auditors in 222222222222"
    );
    let clusters: Vec<&str> = ps["access"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["cluster"].as_str())
        .collect();
    assert_eq!(
        clusters,
        [
            "arn:aws:eks:eu-west-1:111111111111:cluster/platform-1",
            "arn:aws:eks:eu-west-1:222222222222:cluster/prod-eu",
            "arn:aws:eks:us-east-1:111111111111:cluster/tools-1",
        ]
    );

    // carla: platform-admins by group, EKSReadOnly directly in 111111111111.
    let out = env
        .cli()
        .args(["explain", "--user", "carla", "--output", "table"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("member of platform-admins"), "{text}");
    assert!(text.contains("direct assignments:"), "{text}");
    assert!(text.contains("EKSReadOnly"), "{text}");
}

#[test]
fn explain_a_cluster_before_and_after_apply() {
    let env = Env::start("seed.yaml");
    let before =
        json_success(
            env.cli()
                .args(["explain", "--cluster", "prod-eu", "--output", "json"]),
        );
    let missing: Vec<&str> = before["cluster"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["permission_set"].as_str())
        .collect();
    assert_eq!(
        missing,
        ["EKSPlatformAdmin", "EKSReadOnly", "PaymentsDeveloper"],
        "{before}"
    );

    env.cli().args(["apply", "--yes"]).assert().success();
    let after =
        json_success(
            env.cli()
                .args(["explain", "--cluster", "prod-eu", "--output", "json"]),
        );
    let cluster = &after["cluster"];
    assert_eq!(cluster["missing"], serde_json::json!([]), "{after}");
    let entries = cluster["entries"].as_array().unwrap();
    let managed = entries.iter().filter(|e| e["managed"] == true).count();
    assert_eq!(
        managed, 4,
        "three permission sets and the ci-deployer principal: {after}"
    );
    let alice = entries
        .iter()
        .find(|e| e["principal"] == "arn:aws:iam::222222222222:user/alice")
        .expect("the unmanaged entry is shown");
    assert_eq!(alice["managed"], false);
    let payments = entries
        .iter()
        .find(|e| e["permission_set"] == "PaymentsDeveloper")
        .expect("payments entry");
    assert_eq!(payments["groups"], serde_json::json!(["payments-devs"]));
    assert_eq!(payments["rules"], serde_json::json!(["payments"]));
    assert_golden("explain-cluster", &after);

    // A cluster the mapping excludes (by name) is shown, as not managed, with nothing missing.
    let legacy = json_success(
        env.cli()
            .args(["explain", "--output", "json", "--cluster"])
            .arg("arn:aws:eks:eu-west-1:111111111111:cluster/legacy-1"),
    );
    assert_eq!(legacy["cluster"]["managed"], false, "{legacy}");
    assert_eq!(legacy["cluster"]["missing"], serde_json::json!([]));
    assert_eq!(
        legacy["cluster"]["entries"][0]["principal"], "arn:aws:iam::111111111111:role/admin",
        "the creator's entry is there, untouched"
    );
}

#[test]
fn import_aws_auth_prints_a_mapping_that_validates() {
    let env = Env::start("import-seed.yaml");
    let dir = tempfile::tempdir().unwrap();
    let written = dir.path().join("imported.yaml");
    let configmap = workspace().join("shared/tests/fixtures/aws-auth/realistic.yaml");
    let mut document = json_success(
        env.cli()
            .arg("import-aws-auth")
            .arg(&configmap)
            .args(["--cluster", "payments-prod", "--output", "json", "--write"])
            .arg(&written),
    );
    assert_eq!(
        document["mapping_yaml"].as_str(),
        Some(std::fs::read_to_string(&written).unwrap().as_str())
    );
    document["written_to"] = "imported.yaml".into();
    assert_golden("import-aws-auth", &document);
    bare_cli()
        .arg("--config")
        .arg(&written)
        .arg("validate")
        .assert()
        .success();

    // Table mode: the mapping on stdout, the report on stderr.
    env.cli()
        .arg("import-aws-auth")
        .arg(&configmap)
        .args(["--output", "table"])
        .assert()
        .success()
        .stdout(predicate::str::contains("version: 1"))
        .stderr(predicate::str::contains("Not translated"));
}

#[test]
fn emulator_command_rejects_impossible_fault_rates_and_bad_seeds() {
    bare_cli()
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--throttle-rate",
            "0.7",
            "--error-rate",
            "0.6",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("add up to at most 1"));
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(&seed, "acounts: []\n").unwrap();
    bare_cli()
        .args(["emulator", "--listen", "127.0.0.1:0", "--seed"])
        .arg(&seed)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("acounts"));
}

/// Kills the child on drop, so a failing test leaves no emulator behind.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn emulator_command_prints_its_real_port_and_serves() {
    let binary = assert_cmd::cargo::cargo_bin("eks-sso-sync");
    let child = std::process::Command::new(binary)
        .args(["emulator", "--listen", "127.0.0.1:0", "--seed"])
        .arg(fixture("seed.yaml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("emulator starts");
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let re = regex::Regex::new(r"^listening on (http://127\.0\.0\.1:(\d+))\n$").unwrap();
    let caps = re.captures(&line).unwrap_or_else(|| panic!("{line:?}"));
    assert_ne!(&caps[2], "0", "the real port is printed");
    bare_cli()
        .args(["--endpoint-url", &caps[1], "--config"])
        .arg(workspace().join("mapping.yaml"))
        .args(["plan", "--output", "json"])
        .assert()
        .code(2);

    // SIGTERM stops it gracefully, with success.
    let pid = child.0.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let status = child.0.wait().expect("emulator exits");
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    // `eks-sso-sync demo | head -1`: the reader leaves after one line, while the narrated demo
    // still has steps to print (the JSON document would be one write, done before it leaves).
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("eks-sso-sync"))
        .args(["demo", "--output", "table"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("reads a line");
    // Dropping the reader closes the pipe, as `head` does when it exits.
    let out = child.wait_with_output().expect("ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        first.trim().is_empty(),
        "the first step's blank line: {first:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "128 + SIGPIPE: {stderr}");
}

#[test]
fn a_cluster_still_creating_is_pending_never_in_sync() {
    let text = std::fs::read_to_string(fixture("seed.yaml")).expect("seed fixture");
    let mut seed = eks_sso_sync_emulator::Seed::from_yaml(&text).expect("valid seed");
    seed.clusters
        .push(eks_sso_sync_emulator::seed::SeedCluster {
            account: Some(PAYMENTS.0.to_owned()),
            region: Some(PAYMENTS.1.to_owned()),
            name: "payments-new".to_owned(),
            status: Some("CREATING".to_owned()),
            tags: [("eks-sso-sync".to_owned(), "enabled".to_owned())].into(),
            ..Default::default()
        });
    let env = Env::start_with(seed);
    json_success(env.cli().args(["apply", "--yes", "--output", "json"]));

    let out = env
        .cli()
        .args(["plan", "--output", "json"])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let document = json(&out);
    let creating = document["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .find(|c| {
            c["cluster"]
                .as_str()
                .is_some_and(|a| a.ends_with("/payments-new"))
        })
        .unwrap_or_else(|| panic!("the creating cluster is listed: {document:#}"));
    assert!(
        creating["status"].to_string().contains("CREATING"),
        "{creating:#}"
    );
    env.cli()
        .args(["plan", "--output", "table"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "pending: the cluster is CREATING; its entries follow once it is ACTIVE",
        ));
}

/// Two convention rules behind one role (an exact rule would shadow every pattern).
const TWO_RULES: &str = r#"version: 1
identity_center: { region: eu-west-1 }
accounts: [{ id: "222222222222", regions: [eu-west-1] }]
clusters: { include: [{ tags: { eks-sso-sync: enabled } }] }
rules:
  - name: payments-edit
    permission_set: "{team}Developer"
    groups: [payments-devs]
    access_policies: [{ policy: Edit, namespaces: [payments] }]
  - name: payments-view
    permission_set: "Payments{role}"
    kubernetes_groups: ["payments-{role}"]
    access_policies: [{ policy: View, scope: cluster }]
"#;

#[test]
fn explain_one_entry_names_each_rule_and_what_it_gives() {
    let env = Env::start("seed.yaml");
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("two-rules.yaml");
    std::fs::write(&mapping, TWO_RULES).unwrap();
    let before = json_success(env.cli_with_config(&mapping).args([
        "explain",
        "--cluster",
        "prod-eu",
        "--output",
        "json",
    ]));
    let principal = before["cluster"]["missing"][0]["principal"]
        .as_str()
        .expect("the PaymentsDeveloper role is missing")
        .to_owned();
    let explain = |env: &Env| {
        json_success(env.cli_with_config(&mapping).args([
            "explain",
            "--cluster",
            "prod-eu",
            "--principal",
            &principal,
            "--output",
            "json",
        ]))["entry"]
            .clone()
    };

    let entry = explain(&env);
    assert!(entry["actual"].is_null(), "no entry yet: {entry:#}");
    let because = entry["because"].as_array().expect("because");
    let rule = |name: &str| {
        because
            .iter()
            .find(|c| c["rule"] == name)
            .unwrap_or_else(|| panic!("{name} in {because:#?}"))
    };
    let edit = rule("payments-edit");
    assert_eq!(edit["captures"]["team"], "Payments", "{edit:#}");
    assert_eq!(edit["groups_filter"], serde_json::json!(["payments-devs"]));
    assert_eq!(
        edit["policies"].as_array().map(Vec::len),
        Some(1),
        "{edit:#}"
    );
    assert_eq!(edit["policies"][0]["policy"], "AmazonEKSEditPolicy");
    assert_eq!(
        edit["policies"][0]["scope"]["namespaces"],
        serde_json::json!(["payments"])
    );
    let view = rule("payments-view");
    assert_eq!(view["captures"]["role"], "Developer", "{view:#}");
    assert_eq!(view["policies"][0]["policy"], "AmazonEKSViewPolicy");
    assert!(
        view["kubernetes_groups"][0]
            .as_str()
            .is_some_and(|g| g.to_lowercase() == "payments-developer"),
        "{view:#}"
    );
    assert!(
        entry["pending"]
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op["op"] == "create_entry")),
        "{entry:#}"
    );

    env.cli_with_config(&mapping)
        .args(["apply", "--yes"])
        .assert()
        .success();
    let entry = explain(&env);
    assert_eq!(entry["pending"], serde_json::json!([]), "{entry:#}");
    assert_eq!(
        entry["last_change"]["rules_tag"],
        "payments-edit,payments-view"
    );
    assert!(
        entry["last_change"]["audit_query"]
            .as_str()
            .is_some_and(|q| q.contains(&principal)),
        "{entry:#}"
    );
    env.cli_with_config(&mapping)
        .args([
            "explain",
            "--cluster",
            "prod-eu",
            "--principal",
            &principal,
            "--output",
            "table",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("because rule payments-view"));
}

#[test]
fn validate_online_reports_access_policies_the_catalogue_added() {
    let text = std::fs::read_to_string(fixture("seed.yaml")).expect("seed fixture");
    let mut seed = eks_sso_sync_emulator::Seed::from_yaml(&text).expect("valid seed");
    seed.access_policies = vec!["AmazonEKSFuturePolicy".to_owned()];
    let env = Env::start_with(seed);
    let out = env
        .cli()
        .args(["validate", "--online", "--output", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let document = json(&out);
    assert_eq!(document["valid"], true, "one document: {document:#}");
    let catalogue = &document["online"]["access_policies"];
    assert_eq!(
        catalogue["new"],
        serde_json::json!(["AmazonEKSFuturePolicy"]),
        "{document:#}"
    );
    assert_eq!(catalogue["missing"], serde_json::json!([]), "{document:#}");
    assert_eq!(
        catalogue["offered"], 16,
        "15 built in and the seeded one: {document:#}"
    );
    env.cli()
        .args(["validate", "--online", "--output", "table"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "the access-policy catalogue offers AmazonEKSFuturePolicy",
        ));
}
