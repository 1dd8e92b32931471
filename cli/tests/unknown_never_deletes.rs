//! The CLI on the bad day: a typo holds what it could concern, a mass deletion waits for the
//! operator's override, and one unreachable account fails only its own clusters — each with the
//! documented exit code (README, "Operator CLI").

mod common;

use std::path::PathBuf;

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
    let out = env
        .cli_with_config(&typo)
        .args(["plan", "--output", "table"])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8_lossy(&out);
    assert!(table.contains("did you mean PaymentsDeveloper?"), "{table}");
    assert!(table.contains("! withheld (problem) - delete"), "{table}");

    let out = env
        .cli_with_config(&typo)
        .args(["apply", "--yes", "--output", "json"])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
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
    let out = env
        .cli_with_config(&typo)
        .args(["plan", "--output", "json"])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
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
    let out = env
        .cli_with_config(&shrunk)
        .args(["apply", "--yes", "--output", "json"])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
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
    let out = env
        .cli_with_config(&broken)
        .args(["plan", "--output", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
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
