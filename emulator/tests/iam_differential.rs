//! Differential test of the emulator's IAM evaluator against the third-party simulator
//! `@cloud-copilot/iam-simulate`: every case of `iam_differential/cases.json` must get the
//! decision the simulator gave in `iam_differential/expected.json` (see the README there for how
//! to regenerate). Every disagreement is a failure, listed together.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::collections::BTreeSet;

use eks_sso_sync_emulator::authz::{Authorization, Context};
use eks_sso_sync_emulator::policy::{PolicyDocument, evaluate};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Case {
    name: String,
    policies: Vec<Value>,
    request: Request,
}

#[derive(Deserialize)]
struct Request {
    action: String,
    resource: String,
    context: Context,
}

#[derive(Deserialize)]
struct Expected {
    name: String,
    decision: String,
}

fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = format!(
        "{}/tests/iam_differential/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The operators the evaluator implements; each must appear in some case.
const OPERATORS: [&str; 12] = [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "ArnEquals",
    "ArnNotEquals",
    "ArnLike",
    "ArnNotLike",
    "Bool",
    "Null",
];

fn operators_used(cases: &[Case]) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for policy in cases.iter().flat_map(|c| &c.policies) {
        for statement in policy["Statement"].as_array().into_iter().flatten() {
            for op in statement["Condition"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.keys())
            {
                used.insert(op.clone());
            }
        }
    }
    used
}

#[test]
fn the_evaluator_agrees_with_the_simulator_on_every_case() {
    let cases: Vec<Case> = fixture("cases.json");
    let expected: Vec<Expected> = fixture("expected.json");
    assert_eq!(
        cases.len(),
        expected.len(),
        "expected.json is stale: regenerate it"
    );
    assert!(cases.len() >= 40, "the corpus must hold at least 40 cases");
    let mut disagreements = vec![];
    for (case, want) in cases.iter().zip(&expected) {
        assert_eq!(
            case.name, want.name,
            "expected.json is stale: regenerate it"
        );
        let policies: Vec<PolicyDocument> = case
            .policies
            .iter()
            .map(|p| PolicyDocument::from_value(p).unwrap_or_else(|e| panic!("{}: {e}", case.name)))
            .collect();
        let request = Authorization {
            action: case.request.action.clone(),
            resource: case.request.resource.clone(),
            context: case.request.context.clone(),
        };
        let got = evaluate(&policies, &request).as_str();
        if got != want.decision {
            disagreements.push(format!(
                "{}: emulator {got}, simulator {}",
                case.name, want.decision
            ));
        }
    }
    println!(
        "{} of {} cases agree with the simulator",
        cases.len() - disagreements.len(),
        cases.len()
    );
    assert!(
        disagreements.is_empty(),
        "disagreements:\n{}",
        disagreements.join("\n")
    );

    let used = operators_used(&cases);
    for op in OPERATORS {
        for variant in [op.to_owned(), format!("{op}IfExists")] {
            let covered = used.iter().any(|u| {
                u.trim_start_matches("ForAllValues:")
                    .trim_start_matches("ForAnyValue:")
                    == variant
            });
            let needed = !variant.ends_with("IfExists")
                || ["StringLike", "StringNotEquals", "ArnLike", "Bool"]
                    .iter()
                    .any(|b| variant == format!("{b}IfExists"));
            assert!(covered || !needed, "no case uses {variant}");
        }
    }
    for qualifier in ["ForAllValues:", "ForAnyValue:"] {
        assert!(
            used.iter().any(|u| u.starts_with(qualifier)),
            "no case uses {qualifier}"
        );
    }
}
