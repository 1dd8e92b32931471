//! `handle-event` against the emulator: the real handler decides, the CLI reconciles inline;
//! `--dry-run` changes nothing; a malformed event fails naming its field and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod common;

use common::{Env, assert_golden, json, json_success, workspace};
use predicates::prelude::*;

const PAYMENTS: (&str, &str, &str) = ("222222222222", "eu-west-1", "prod-eu");

fn sample(name: &str) -> std::path::PathBuf {
    workspace().join("events").join(name)
}

#[test]
fn cluster_event_dry_run_plans_and_changes_nothing() {
    let env = Env::start("seed.yaml");
    let before = env.entries(PAYMENTS.0, PAYMENTS.1, PAYMENTS.2);
    let document = json_success(
        env.cli()
            .arg("handle-event")
            .arg(sample("eks-create-cluster.json"))
            .arg("--dry-run"),
    );
    assert_eq!(document["handler"], "cluster-bootstrap", "{document}");
    assert_eq!(document["dry_run"], true);
    let clusters = document["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1, "{document}");
    assert_eq!(clusters[0]["status"]["state"], "pending");
    assert_eq!(clusters[0]["results"], serde_json::json!([]));
    assert_eq!(env.entries(PAYMENTS.0, PAYMENTS.1, PAYMENTS.2), before);
}

#[test]
fn cluster_event_reconciles_the_cluster_inline() {
    let env = Env::start("seed.yaml");
    let document = json_success(
        env.cli()
            .arg("handle-event")
            .arg(sample("eks-create-cluster.json")),
    );
    assert_eq!(document["trigger"]["kind"], "cluster_created", "{document}");
    assert_eq!(document["ignored"], serde_json::Value::Null);
    assert_eq!(document["clusters"][0]["status"]["state"], "applied");
    assert_golden("handle-event", &document);
    let managed = env
        .entries(PAYMENTS.0, PAYMENTS.1, PAYMENTS.2)
        .iter()
        .filter(|e| e.tags.get("eks-sso-sync:managed").map(String::as_str) == Some("true"))
        .count();
    assert_eq!(
        managed, 4,
        "three permission sets and the ci-deployer principal"
    );
    // Handling the same event again converges: nothing left to change.
    let out = env
        .cli()
        .arg("handle-event")
        .arg(sample("eks-create-cluster.json"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(json(&out)["clusters"][0]["status"]["state"], "in_sync");
}

#[test]
fn scheduled_sweep_reaches_every_managed_cluster() {
    let env = Env::start("seed.yaml");
    let document = json_success(
        env.cli()
            .arg("handle-event")
            .arg(sample("scheduled-sweep.json"))
            .arg("--dry-run"),
    );
    assert_eq!(document["handler"], "reconciler");
    let clusters: Vec<(&str, &str)> = document["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| Some((c["cluster"].as_str()?, c["status"]["state"].as_str()?)))
        .collect();
    assert_eq!(
        clusters,
        [
            // Excluded by name, yet reconciled: an out-of-scope cluster's managed entries are
            // orphans to report, and the sweep is what finds them.
            (
                "arn:aws:eks:eu-west-1:111111111111:cluster/legacy-1",
                "not_managed"
            ),
            (
                "arn:aws:eks:eu-west-1:111111111111:cluster/platform-1",
                "pending"
            ),
            (
                "arn:aws:eks:us-east-1:111111111111:cluster/tools-1",
                "pending"
            ),
            (
                "arn:aws:eks:eu-west-1:222222222222:cluster/prod-eu",
                "pending"
            ),
        ],
    );
}

#[test]
fn ignored_event_says_why_and_needs_no_aws() {
    // No emulator and no mapping: an ignored event is answered before connecting.
    common::bare_cli()
        .args(["--config", "/nonexistent/mapping.yaml", "handle-event"])
        .arg(sample("ignored-error-code.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("\"ignored\": \"call failed"));
    // `-` reads the event from stdin.
    common::bare_cli()
        .args(["--config", "/nonexistent/mapping.yaml", "handle-event", "-"])
        .write_stdin(std::fs::read(sample("ignored-error-code.json")).unwrap())
        .assert()
        .success()
        .stdout(predicate::str::contains("\"handler\": null"));
}

#[test]
fn malformed_event_names_the_field_and_changes_nothing() {
    let env = Env::start("seed.yaml");
    let dir = tempfile::tempdir().unwrap();
    let mut event = json(&std::fs::read(sample("eks-create-cluster.json")).unwrap());
    event.as_object_mut().unwrap().remove("detail-type");
    let path = dir.path().join("malformed.json");
    std::fs::write(&path, event.to_string()).unwrap();
    let before = env.entries(PAYMENTS.0, PAYMENTS.1, PAYMENTS.2);
    env.cli()
        .arg("handle-event")
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("`detail-type` is missing"));
    assert_eq!(env.entries(PAYMENTS.0, PAYMENTS.1, PAYMENTS.2), before);
    assert!(
        env.emulator.request_counts().is_empty(),
        "no AWS call at all"
    );
}
