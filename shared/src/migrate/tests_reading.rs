//! Reading malformed ConfigMaps: file-level errors with their position, list-level and
//! entry-level problems reported one by one while the rest is still imported.

use super::tests::{settings, world};
use super::*;

async fn error_of(text: &str) -> String {
    match import_aws_auth(text, &settings(None), &world()).await {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

async fn problems_of(text: &str) -> Vec<String> {
    let report = import_aws_auth(text, &settings(None), &world())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .report;
    report
        .untranslated
        .iter()
        .map(|u| format!("{}: {}", u.entry, u.reason))
        .collect()
}

#[tokio::test]
async fn malformed_configmaps_are_clear_errors() {
    let fixture = |name| {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/aws-auth/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let no_data = error_of(&fixture("no-data.yaml")).await;
    assert!(no_data.contains("no data.mapRoles"), "{no_data}");
    let cases = [
        (
            "data: [",
            "aws-auth:2:1: did not find expected node content",
        ),
        ("kind: Secret\ndata: {}\n", "found kind Secret"),
        ("42\n", "found a number"),
    ];
    for (text, expected) in cases {
        let message = error_of(text).await;
        assert!(
            message.contains(expected),
            "{expected:?} not in {message:?}"
        );
    }
    let not_yaml = problems_of(&fixture("map-roles-not-yaml.yaml")).await;
    assert!(
        not_yaml[0].starts_with("mapRoles: mapRoles is not valid YAML at aws-auth:"),
        "{not_yaml:?}"
    );
    let no_arn = problems_of(&fixture("entry-without-rolearn.yaml")).await;
    assert!(
        no_arn
            .iter()
            .any(|p| p.starts_with("mapRoles[1]: rolearn: missing")),
        "{no_arn:?}"
    );
}

#[tokio::test]
async fn bad_entries_are_reported_one_by_one_and_never_abort_the_rest() {
    let cases = [
        (
            "kind: ConfigMap\ndata:\n  mapRoles: \"rolearn: x\"\n",
            "mapRoles: mapRoles must hold a YAML list",
        ),
        (
            "kind: ConfigMap\ndata:\n  mapUsers: \"- just-a-string\"\n",
            "mapUsers[0]: expected a mapping",
        ),
        (
            "kind: ConfigMap\ndata:\n  mapRoles: \"- rolearn: arn:aws:iam::111122223333:role/a\\n  groups: admins\"\n",
            "mapRoles[0] arn:aws:iam::111122223333:role/a: groups: expected a list",
        ),
        (
            "kind: ConfigMap\ndata:\n  mapUsers: \"- rolearn: arn:aws:iam::111122223333:user/a\"\n",
            "mapUsers[0]: userarn: missing; the entry has rolearn instead",
        ),
        (
            "kind: ConfigMap\ndata:\n  mapRoles: 7\n",
            "mapRoles: expected a string",
        ),
    ];
    for (text, expected) in cases {
        let problems = problems_of(text).await;
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{expected:?} not in {problems:?}"
        );
    }
    let both = "data:\n  mapRoles: |\n    - rolearn: [\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      groups: [system:masters]\n";
    let import = import_aws_auth(both, &settings(None), &world())
        .await
        .unwrap();
    assert_eq!(import.report.translated.len(), 1, "mapUsers still imported");
    assert!(
        import.report.untranslated[0]
            .reason
            .contains("aws-auth:4:5"),
        "{:?}",
        import.report.untranslated
    );
}

#[tokio::test]
async fn an_empty_configmap_imports_to_no_mapping() {
    let import = import_aws_auth(
        "kind: ConfigMap\ndata:\n  mapRoles: \"\"\n",
        &settings(None),
        &world(),
    )
    .await
    .unwrap();
    assert_eq!(import.mapping_yaml, None);
    assert_eq!(import.report.entries, 0);
}
