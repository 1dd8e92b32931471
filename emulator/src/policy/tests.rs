//! Unit tests of the policy evaluator (the differential test against the simulator is in
//! `emulator/tests/iam_differential.rs`).

use super::*;
use crate::authz::ContextValue;

fn request(action: &str, resource: &str) -> Authorization {
    Authorization::new(action, resource)
}

#[test]
fn malformed_documents_are_refused_with_the_reason() {
    for (doc, reason) in [
        ("{", "EOF"),
        (
            r#"{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#,
            "Effect",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
            "Action or NotAction",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*"}]}"#,
            "Resource or NotResource",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"a":"1"}}}}"#,
            "NumericLessThan",
        ),
    ] {
        let err = PolicyDocument::parse(doc).unwrap_err();
        assert!(err.0.contains(reason), "{doc}: {err}");
    }
}

#[test]
fn explicit_deny_beats_allow_and_nothing_is_an_implicit_deny() {
    let allow = PolicyDocument::parse(
        r#"{"Statement":{"Effect":"Allow","Action":"eks:*","Resource":"*"}}"#,
    )
    .unwrap();
    let deny = PolicyDocument::parse(
        r#"{"Statement":[{"Effect":"Deny","Action":"eks:DeleteAccessEntry","Resource":"*",
            "Condition":{"Null":{"aws:ResourceTag/managed":"true"}}}]}"#,
    )
    .unwrap();
    let delete = request(
        "eks:DeleteAccessEntry",
        "arn:aws:eks:eu-west-1:1:access-entry/c/role/1/r/u",
    );
    let both = [allow.clone(), deny];
    assert_eq!(evaluate(&both, &delete), Decision::ExplicitlyDenied);
    let mut tagged = delete.clone();
    tagged.context.insert(
        "aws:ResourceTag/managed".into(),
        ContextValue::One("true".into()),
    );
    assert_eq!(evaluate(&both, &tagged), Decision::Allowed);
    assert_eq!(
        evaluate(&[allow], &request("iam:ListRoles", "*")),
        Decision::ImplicitlyDenied
    );
    assert_eq!(evaluate(&[], &delete), Decision::ImplicitlyDenied);
}
