//! The CLI on the bad day: a typo holds what it could concern, a mass deletion waits for the
//! operator's override, and one unreachable account fails only its own clusters — each with the
//! documented exit code (README, "Operator CLI").
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod common;

use std::path::{Path, PathBuf};

use common::{Env, json, workspace};

const PAYMENTS: (&str, &str, &str) = ("222222222222", "eu-west-1", "prod-eu");

/// The root mapping with `from` replaced by `to` (each must occur), written to a temp file.
fn mapping_with(dir: &tempfile::TempDir, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(workspace().join("mapping.yaml")).expect("mapping");
    for (from, to) in edits {
        assert!(
            text.contains(from),
            "the root mapping no longer contains {from:?}"
        );
        text = text.replace(from, to);
    }
    let path = dir.path().join("mapping.yaml");
    std::fs::write(&path, text).expect("write mapping");
    path
}

/// An emulator whose organisation the root mapping has been applied to.
fn applied() -> Env {
    let env = Env::start("seed.yaml");
    env.cli()
        .args(["apply", "--yes", "--output", "json"])
        .assert()
        .code(0);
    env
}

/// Runs the CLI with the mapping `config` and `args`, asserts the exit code, returns stdout.
fn run(env: &Env, config: &Path, args: &[&str], code: i32) -> Vec<u8> {
    env.cli_with_config(config)
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone()
}

fn payments_entries(env: &Env) -> usize {
    env.entries(PAYMENTS.0, PAYMENTS.1, PAYMENTS.2)
        .iter()
        .filter(|e| {
            e.principal_arn
                .contains("AWSReservedSSO_PaymentsDeveloper_")
        })
        .count()
}

#[test]
fn a_misspelt_permission_set_is_reported_with_a_hint_and_holds_its_entries() {
    let env = applied();
    assert_eq!(payments_entries(&env), 1);
    let dir = tempfile::tempdir().unwrap();
    let typo = mapping_with(
        &dir,
        &[(
            "permission_set: PaymentsDeveloper",
            "permission_set: PaymentsDevloper",
        )],
    );
    let out = run(&env, &typo, &["plan", "--output", "table"], 3);
    let table = String::from_utf8_lossy(&out);
    assert!(table.contains("did you mean PaymentsDeveloper?"), "{table}");
    assert!(table.contains("! withheld (problem) - delete"), "{table}");

    let out = run(&env, &typo, &["apply", "--yes", "--output", "json"], 3);
    let document = json(&out);
    assert_eq!(document["problems"][0]["rule"], "payments", "{document}");
    assert_eq!(payments_entries(&env), 1, "the typo deleted nothing");
}

#[test]
fn a_misspelt_group_is_reported_with_the_closest_names() {
    let env = applied();
    let dir = tempfile::tempdir().unwrap();
    let typo = mapping_with(
        &dir,
        &[("groups: [payments-devs]", "groups: [payments-devz]")],
    );
    let out = run(&env, &typo, &["plan", "--output", "json"], 3);
    let document = json(&out);
    let message = document["problems"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("group payments-devz"), "{document}");
    assert!(
        message.contains("did you mean payments-devs?"),
        "{document}"
    );
    assert_eq!(payments_entries(&env), 1);
}

#[test]
fn a_mass_deletion_waits_for_allow_mass_deletion() {
    let env = applied();
    let readonly = |env: &Env| {
        env.entries(PAYMENTS.0, PAYMENTS.1, PAYMENTS.2)
            .iter()
            .filter(|e| e.principal_arn.contains("AWSReservedSSO_EKSReadOnly_"))
            .count()
    };
    assert_eq!(readonly(&env), 1);
    let dir = tempfile::tempdir().unwrap();
    let shrunk = mapping_with(
        &dir,
        &[
            (
                "  - name: readonly\n    permission_set: EKSReadOnly\n    access_policies:\n      - { policy: View, scope: cluster }\n",
                "",
            ),
            (
                "options:\n  prune: true",
                "options:\n  max_deletions: { entries: 0, percent: 0 }\n  prune: true",
            ),
        ],
    );
    let out = run(&env, &shrunk, &["apply", "--yes", "--output", "json"], 3);
    let document = json(&out);
    assert!(
        document.to_string().contains("deletion_limit"),
        "{document}"
    );
    assert_eq!(readonly(&env), 1, "withheld, not deleted");

    env.cli_with_config(&shrunk)
        .args([
            "apply",
            "--yes",
            "--allow-mass-deletion",
            "--output",
            "json",
        ])
        .assert()
        .code(0);
    assert_eq!(readonly(&env), 0, "the override deletes");
}

#[test]
fn an_unreachable_account_fails_only_its_clusters() {
    let env = Env::start("seed.yaml");
    let dir = tempfile::tempdir().unwrap();
    let broken = mapping_with(
        &dir,
        &[(
            "  - id: \"222222222222\"\n    regions: [eu-west-1]\n",
            "  - id: \"222222222222\"\n    regions: [eu-west-1]\n    role: arn:aws:iam::222222222222:role/does-not-exist\n",
        )],
    );
    let out = run(&env, &broken, &["plan", "--output", "json"], 1);
    let document = json(&out);
    let unreachable = document["unreachable"][0].as_str().unwrap_or_default();
    assert!(
        unreachable.starts_with("222222222222/eu-west-1"),
        "{document}"
    );
    assert!(unreachable.contains("member-account.yaml"), "{document}");
    let planned: Vec<&str> = document["clusters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["cluster"].as_str())
        .collect();
    assert!(
        planned.iter().any(|c| c.contains(":111111111111:")),
        "the other account is still planned: {document}"
    );
}

#[test]
fn explain_lists_the_managed_entries_of_a_cluster_that_left_scope() {
    let env = applied();
    let dir = tempfile::tempdir().unwrap();
    let excluded = mapping_with(
        &dir,
        &[(
            "    - name: \"legacy-*\"\n",
            "    - name: \"legacy-*\"\n    - name: tools-1\n",
        )],
    );
    let tools = "arn:aws:eks:us-east-1:111111111111:cluster/tools-1";
    let out = run(
        &env,
        &excluded,
        &["explain", "--cluster", tools, "--output", "json"],
        0,
    );
    let cluster = &json(&out)["cluster"];
    assert_eq!(cluster["managed"], false, "{cluster}");
    let orphaned: Vec<&str> = cluster["orphaned"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str())
        .collect();
    let managed = env
        .entries("111111111111", "us-east-1", "tools-1")
        .into_iter()
        .filter(|e| e.tags.get("eks-sso-sync:managed").map(String::as_str) == Some("true"))
        .count();
    assert!(managed > 0, "the apply left managed entries on tools-1");
    assert_eq!(orphaned.len(), managed, "{cluster}");
    assert!(
        orphaned
            .iter()
            .any(|p| p.contains("AWSReservedSSO_EKSPlatformAdmin_")),
        "{orphaned:?}"
    );

    // The table says what they are and what decides about them.
    let table = run(
        &env,
        &excluded,
        &["explain", "--cluster", tools, "--output", "table"],
        0,
    );
    let table = String::from_utf8_lossy(&table);
    assert!(
        table.contains("orphaned: arn:aws:iam::111111111111:role/")
            && table.contains("on_unmanaged_cluster"),
        "{table}"
    );
}

#[test]
fn ctrl_c_stops_an_apply_after_the_current_cluster_reports_it_and_exits_130() {
    let env = Env::start("seed.yaml");
    // Slow calls, so that the apply is still running when the signal arrives.
    env.emulator
        .set_faults(eks_sso_sync_emulator::faults::Faults {
            latency_ms: 40,
            ..Default::default()
        });
    let binary = assert_cmd::cargo::cargo_bin("eks-sso-sync");
    let child = std::process::Command::new(binary)
        .env_remove("EKS_SSO_SYNC_ENDPOINT_URL")
        .env_remove("RUST_LOG")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .arg("--endpoint-url")
        .arg(&env.emulator.endpoint)
        .arg("--config")
        .arg(workspace().join("mapping.yaml"))
        // One cluster at a time, so that there is a next cluster not to start.
        .args([
            "apply",
            "--yes",
            "--output",
            "json",
            "--clusters-at-once",
            "1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    // Interrupt once the first write landed: the handler is installed before any write.
    let wrote = || {
        env.emulator
            .requests()
            .iter()
            .any(|r| r.operation == "CreateAccessEntry")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !wrote() {
        assert!(std::time::Instant::now() < deadline, "no write in 60 s");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let output = child.wait_with_output().expect("the CLI exits");
    assert_eq!(
        output.status.code(),
        Some(130),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document = json(&output.stdout);
    assert_eq!(document["interrupted"], true, "{document}");
    let applied = document["applied"].as_array().cloned().unwrap_or_default();
    assert!(
        !applied.is_empty(),
        "the cluster being applied is reported: {document}"
    );
    let planned = json(
        &env.cli()
            .args(["plan", "--output", "json"])
            .assert()
            .get_output()
            .stdout,
    );
    let clusters = planned["clusters"].as_array().map_or(0, Vec::len);
    assert!(
        applied.len() < clusters,
        "it stopped before the last cluster ({} of {clusters})",
        applied.len()
    );
    // A rerun converges what was left.
    env.emulator.set_faults(Default::default());
    env.cli()
        .args(["apply", "--yes", "--output", "json"])
        .assert()
        .code(0);
}
