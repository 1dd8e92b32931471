//! The main job runs end to end in CI: `eks-sso-sync demo` on the embedded emulator, with its
//! final effective-access table and narration asserted.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use assert_cmd::Command;
use serde_json::Value;

fn demo() -> Value {
    let output = Command::cargo_bin("eks-sso-sync")
        .expect("binary")
        .args(["demo", "--output", "json"])
        .output()
        .expect("demo runs");
    assert!(
        output.status.success(),
        "demo failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("demo prints one JSON document")
}

fn row<'a>(doc: &'a Value, cluster: &str, principal: &str) -> Option<&'a Value> {
    doc["access"].as_array()?.iter().find(|r| {
        r["cluster"].as_str().is_some_and(|c| c.ends_with(cluster)) && r["principal"] == principal
    })
}

fn notes(doc: &Value, step: usize) -> String {
    doc["steps"][step]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn demo_ends_with_the_expected_effective_access() {
    let doc = demo();
    assert_eq!(doc["schema_version"], 1);

    // Managed entries, with the mapping's policies and scopes (after the scope change of step 7).
    let payments = row(&doc, "/payments-prod", "SSO PaymentsDeveloper").expect("payments entry");
    assert_eq!(payments["managed_by"], "eks-sso-sync");
    assert_eq!(
        payments["access"],
        "Edit (ledger, payments, payments-*); View (cluster)"
    );
    assert_eq!(
        payments["kubernetes_groups"], "payments-devs",
        "drift of step 8 repaired"
    );
    let reader = row(&doc, "/payments-prod", "SSO EKSReadOnly").expect("readonly entry");
    assert_eq!(
        reader["access"], "View (cluster)",
        "drift of step 8 repaired"
    );
    let team = row(&doc, "/payments-prod", "SSO EKSTeam-search")
        .expect("convention rule onboarded the team");
    assert_eq!(team["access"], "Edit (search, search-*)");
    assert_eq!(team["kubernetes_groups"], "team-search");
    assert_eq!(
        row(&doc, "/platform-us", "SSO EKSPlatformAdmin").unwrap()["access"],
        "ClusterAdmin (cluster)"
    );
    assert_eq!(
        row(&doc, "/platform-eu", "deployer").unwrap()["access"],
        "Edit (apps)"
    );

    // The cluster created during the demo got its baseline once ACTIVE.
    let canary: Vec<&Value> = doc["access"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["cluster"].as_str().unwrap().ends_with("/payments-canary")
                && r["managed_by"] == "eks-sso-sync"
        })
        .collect();
    assert_eq!(canary.len(), 5, "{canary:#?}");

    // What eks-sso-sync must never touch is still there, unchanged.
    assert_eq!(
        row(&doc, "/platform-eu", "legacy-ops").unwrap()["managed_by"],
        "unmanaged"
    );
    assert_eq!(
        row(&doc, "/platform-eu", "legacy-ops").unwrap()["kubernetes_groups"],
        "ops"
    );
    assert_eq!(
        row(&doc, "/payments-prod", "BreakGlassAdmin").unwrap()["access"],
        "ClusterAdmin (cluster)"
    );
    assert_eq!(
        row(&doc, "/payments-prod", "cluster-creator").unwrap()["managed_by"],
        "unmanaged"
    );
    assert_eq!(
        row(&doc, "/payments-prod", "node-role").unwrap()["managed_by"],
        "node (EC2_LINUX)"
    );
    assert_eq!(
        row(&doc, "/payments-legacy", "(aws-auth ConfigMap)").unwrap()["managed_by"],
        "CONFIG_MAP cluster"
    );
    let clusters: Vec<&str> = doc["access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cluster"].as_str().unwrap())
        .collect();
    assert!(
        !clusters
            .iter()
            .any(|c| c.ends_with("/sandbox") || c.ends_with("/legacy-batch")),
        "unmanaged clusters untouched"
    );
}

#[test]
fn demo_narrates_every_scenario_step() {
    let doc = demo();
    let titles: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 11, "{titles:#?}");
    assert!(
        notes(&doc, 1)
            .contains(":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_EKSPlatformAdmin_"),
        "us-east-1 path shape"
    );
    assert!(
        notes(&doc, 2)
            .contains("onboarding audit: eve now reaches payments-prod via PaymentsDeveloper")
    );
    assert!(
        notes(&doc, 2).contains("no EKS changes"),
        "a membership changes no access entry"
    );
    assert!(
        notes(&doc, 4).contains("live = false") && notes(&doc, 4).contains("entry live = true")
    );
    assert!(
        notes(&doc, 4).contains("DeleteAccessEntry ×1"),
        "dead entry replaced"
    );
    assert!(notes(&doc, 5).contains("not ACTIVE yet"));
    assert!(
        !notes(&doc, 6).contains("DisassociateAccessPolicy"),
        "scope change in place"
    );
    let drift = notes(&doc, 7);
    assert!(
        drift.contains("cluster-bootstrap: drift: DisassociateAccessPolicy by arn:aws:sts::")
            && drift.contains("changes: AssociateAccessPolicy ×1, UpdateAccessEntry ×1")
            && drift.ends_with("changes: no EKS changes"),
        "drift repaired from its records, before the sweep: {drift}"
    );
    assert!(
        notes(&doc, 8).contains("did you mean PaymentsDeveloper?"),
        "the typo is reported with its hint"
    );
    assert!(
        notes(&doc, 8).contains("held, not deleted: AWSReservedSSO_PaymentsDeveloper_")
            && notes(&doc, 8).contains("removals planned: 0"),
        "the typo holds the payments entries"
    );
    assert!(notes(&doc, 9).contains("platform-us: REFUSED in part"));
    assert!(
        notes(&doc, 10).contains("AccessDenied answers to eks-sso-sync's own calls: 0")
            && notes(&doc, 10).contains("as managed → AccessDeniedException"),
        "the member role ran under its rendered policy, which refuses tag-and-take"
    );
    assert!(doc["api_calls"]["eks:CreateAccessEntry"].as_u64().unwrap() > 0);
}
