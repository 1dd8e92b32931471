//! The public corpus (`tests/fixtures/aws-auth/`, sources in `SOURCES.md`, expectations in
//! `EXPECTED.md`) against the in-memory IAM seeded with the roles the files name, at their real
//! paths and in their own accounts: each file imports (or fails at the position EXPECTED.md
//! gives), its mapping validates, and every entry is accounted for exactly once.

use super::*;
use crate::config::{Captures, Mapping};
use crate::domain::PolicyArn;
use crate::memory::MemoryAws;

const SSO: &str = "/aws-reserved/sso.amazonaws.com/";
const SSO_EU: &str = "/aws-reserved/sso.amazonaws.com/eu-west-1/";

fn corpus(name: &str) -> String {
    let path = format!(
        "{}/../tests/fixtures/aws-auth/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The IAM the corpus names: every role at the path EXPECTED.md gives, in its account.
pub(super) fn corpus_world() -> MemoryAws {
    let aws = MemoryAws::new("eu-west-1");
    let roles: &[(&str, &str, &str)] = &[
        (
            "111122223333",
            SSO,
            "AWSReservedSSO_SomeRole_e11aa594f712e1dc",
        ),
        (
            "222222222222",
            SSO_EU,
            "AWSReservedSSO_Permission_AdminFullAccess_8a2319305372f153",
        ),
        ("111122223333", "/teams/", "SomeTeam"),
        ("111122223333", "/teams/", "AnotherTeam"),
        ("111122223333", "/", "BasicPrivilegesRole"),
        ("111122223333", "/", "EKSServiceWorker"),
        ("111122223333", "/gitlab-ci/", "gitlab-runner"),
        ("111122223333", "/", "code-build-role"),
        ("111122223333", "/", "ApplicationOwner"),
        ("111122223333", "/", "k8s-user"),
        ("111122223333", "/", "k8s-read-only"),
        (
            "111122223333",
            SSO_EU,
            "AWSReservedSSO_EKSLogsPermissionSet_641e07934445cd33",
        ),
        ("012345678901", "/", "account-admin"),
        (
            "012345678901",
            "/",
            "stratus-red-team-eks-backdoor-aws-auth-role",
        ),
        (
            "000000000000",
            SSO_EU,
            "AWSReservedSSO_MyPermissionSet_1234567890abcde",
        ),
    ];
    for (account, path, name) in roles {
        aws.add_role(account, path, name);
    }
    let users: &[(&str, &str)] = &[
        ("111122223333", "Admin"),
        ("444455556666", "ops-user"),
        ("111222333444", "jane.doe"),
        ("111222333444", "test.user"),
    ];
    for (account, name) in users {
        aws.add_user(account, "/", name);
    }
    aws
}

fn settings() -> ImportSettings {
    ImportSettings {
        identity_center_region: Region::new("eu-west-1").unwrap(),
        regions: vec![Region::new("eu-west-1").unwrap()],
        clusters: vec![],
        cluster_accounts: vec![],
    }
}

async fn import_file(name: &str) -> Result<Import, ImportError> {
    let source = ConfigMapSource {
        origin: name.to_owned(),
        text: corpus(name),
    };
    import_configmaps(&[source], &settings(), &corpus_world()).await
}

/// `(file, entries, translated, left to EKS, rules + principals)` for every file that imports.
const IMPORTS: &[(&str, usize, usize, usize, usize)] = &[
    ("01-sso-stripped-path-misindented.yaml", 0, 0, 0, 0),
    ("02-sso-one-role-two-usernames.yaml", 2, 1, 0, 1),
    ("03-wildcard-rolearn-flow-groups.yaml", 1, 0, 0, 0),
    ("04-roles-under-team-path.yaml", 2, 2, 0, 2),
    ("05-get-o-yaml-managedfields-quoted-keys.yaml", 2, 1, 1, 1),
    ("06-ci-role-under-path.yaml", 3, 2, 1, 2),
    ("07-double-quoted-escaped-scalars.yaml", 3, 2, 1, 2),
    ("08-aws-docs-cross-account-user.yaml", 3, 2, 1, 2),
    ("09-root-user-and-lost-node-template.yaml", 3, 2, 0, 2),
    ("10-fargate-kubectl-edit-fragment.yaml", 1, 0, 1, 0),
    ("11-fargate-profile-arn-as-rolearn.yaml", 1, 0, 0, 0),
    ("12-windows-bare-maproles-quoted-keys.yaml", 1, 0, 0, 0),
    ("13-strip-chomp-angle-bracket-groups.yaml", 1, 0, 0, 0),
    ("14-templated-usernames-bare-list.yaml", 3, 3, 0, 3),
    ("16-audit-event-configmap.json", 3, 2, 1, 2),
];

/// `(file, position)` of the files that are not YAML at all.
const NOT_YAML: &[(&str, &str)] = &[
    ("15-flattened-paste-sso-and-sts-userarn.yaml", ":7:1: "),
    ("17-sso-matcher-doc-unindented-block.yaml", ":2:3: "),
];

#[tokio::test]
async fn every_corpus_file_imports_validates_and_accounts_for_every_entry() {
    for &(name, entries, translated, nodes, rules) in IMPORTS {
        let import = import_file(name)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = &import.report;
        let context = format!("{name}: {report:#?}");
        assert_eq!(report.entries, entries, "{context}");
        assert_eq!(report.entries_accounted(), entries, "{context}");
        assert_eq!(report.translated.len(), translated, "{context}");
        assert_eq!(report.node_roles.len(), nodes, "{context}");
        match &import.mapping_yaml {
            None => assert_eq!(rules, 0, "{context}"),
            Some(yaml) => {
                let mapping = Mapping::from_str(yaml, name).unwrap_or_else(|r| panic!("{r}"));
                assert_eq!(
                    mapping.rules.len() + mapping.principals.len(),
                    rules,
                    "{context}"
                );
                assert!(!mapping.options.prune, "{name}");
                assert!(yaml.contains("\n  prune: false\n"), "{name}");
            }
        }
    }
}

#[tokio::test]
async fn files_that_are_not_yaml_fail_at_their_position_in_the_file() {
    for &(name, position) in NOT_YAML {
        let error = import_file(name)
            .await
            .err()
            .unwrap_or_else(|| panic!("{name}"));
        let text = error.to_string();
        assert!(text.contains(&format!("{name}{position}")), "{text}");
    }
}

/// The reason given for the one untranslated entry or list whose label contains `needle`.
fn reason<'a>(report: &'a ImportReport, needle: &str) -> &'a str {
    let found: Vec<&Untranslated> = report
        .untranslated
        .iter()
        .filter(|u| u.entry.contains(needle))
        .collect();
    assert_eq!(found.len(), 1, "{needle}: {:#?}", report.untranslated);
    &found[0].reason
}

#[tokio::test]
async fn block_errors_are_reported_at_their_line_in_the_file() {
    let one = import_file("01-sso-stripped-path-misindented.yaml")
        .await
        .unwrap();
    let why = reason(&one.report, "mapRoles");
    assert!(
        why.contains("01-sso-stripped-path-misindented.yaml:5:9"),
        "{why}"
    );
    let nine = import_file("09-root-user-and-lost-node-template.yaml")
        .await
        .unwrap();
    let why = reason(&nine.report, "mapRoles");
    assert!(
        why.contains("09-root-user-and-lost-node-template.yaml:8:28"),
        "{why}"
    );
    let root = reason(&nine.report, "mapUsers[0]");
    assert!(
        root.contains("root user cannot be an access-entry principal"),
        "{root}"
    );
}

#[tokio::test]
async fn a_role_mapped_twice_follows_the_last_mapping() {
    let import = import_file("02-sso-one-role-two-usernames.yaml")
        .await
        .unwrap();
    let shadowed = reason(&import.report, "mapRoles[0]");
    assert!(
        shadowed.starts_with("shadowed by mapRoles[1], same role"),
        "{shadowed}"
    );
    let mapping = Mapping::from_str(import.mapping_yaml.as_deref().unwrap(), "02").unwrap();
    let rule = &mapping.rules[0];
    assert_eq!(
        rule.permission_set.to_string(),
        "Permission_AdminFullAccess"
    );
    let grant = rule.grant(&Captures::new()).unwrap();
    assert!(
        !grant.policies.contains_key(&PolicyArn::cluster_admin()),
        "no silent admin"
    );
    assert_eq!(grant.username.as_ref().map(|u| u.as_str()), Some("user2"));
    let groups: Vec<&str> = grant.kubernetes_groups.iter().map(|g| g.as_str()).collect();
    assert_eq!(groups, ["sd:developers"]);
    let t = &import.report.translated[0];
    assert_eq!(t.principal.path(), SSO_EU, "real path shown");
}

#[tokio::test]
async fn roles_get_their_full_arn_and_usernames_their_verbatim_templates() {
    let six = import_file("06-ci-role-under-path.yaml").await.unwrap();
    let runner = six
        .report
        .translated
        .iter()
        .find(|t| t.entry.contains("gitlab"))
        .unwrap();
    assert_eq!(
        runner.principal.as_str(),
        "arn:aws:iam::111122223333:role/gitlab-ci/gitlab-runner"
    );
    assert!(runner.cluster_admin);
    let fourteen = import_file("14-templated-usernames-bare-list.yaml")
        .await
        .unwrap();
    let names: Vec<Option<&str>> = fourteen
        .report
        .translated
        .iter()
        .map(|t| t.username.as_deref())
        .collect();
    assert_eq!(
        names,
        [
            Some("ao:{{SessionName}}"),
            Some("user:{{SessionName}}"),
            Some("ro:{{SessionName}}")
        ]
    );
    let warned = fourteen
        .report
        .translated
        .iter()
        .any(|t| t.notes.iter().any(|n| n.contains("one Kubernetes user")));
    assert!(!warned);
    let json = import_file("16-audit-event-configmap.json").await.unwrap();
    let admin = json
        .report
        .translated
        .iter()
        .find(|t| t.entry.contains("account-admin"))
        .unwrap();
    assert_eq!(admin.username, None);
    assert!(
        admin
            .notes
            .iter()
            .any(|n| n.contains("suggested: \"cluster-admin:{{SessionName}}\"")),
        "{:?}",
        admin.notes
    );
    assert!(
        !json
            .mapping_yaml
            .unwrap()
            .contains("cluster-admin-{{SessionName}}")
    );
}

#[tokio::test]
async fn mistakes_of_the_corpus_get_their_own_reasons() {
    let cases = [
        (
            "03-wildcard-rolearn-flow-groups.yaml",
            "mapRoles[0]",
            "wildcards are not supported",
        ),
        (
            "11-fargate-profile-arn-as-rolearn.yaml",
            "mapRoles[0]",
            "is a Fargate profile ARN",
        ),
        (
            "12-windows-bare-maproles-quoted-keys.yaml",
            "mapRoles[0]",
            "left to EKS (EC2_WINDOWS)",
        ),
        (
            "13-strip-chomp-angle-bracket-groups.yaml",
            "mapRoles[0]",
            "template angle brackets left in",
        ),
    ];
    for (file, entry, needle) in cases {
        let import = import_file(file).await.unwrap();
        let why = reason(&import.report, entry);
        assert!(why.contains(needle), "{file}: {why}");
    }
    let fargate = import_file("10-fargate-kubectl-edit-fragment.yaml")
        .await
        .unwrap();
    assert_eq!(
        fargate.report.node_roles[0].node_kind,
        NodeKind::FargateLinux
    );
}

/// The re-indented content of file 15 (EXPECTED.md): an SSO role in an `eks:` group and an STS
/// session ARN in `mapUsers`.
const FIFTEEN_REINDENTED: &str = "data:
  mapRoles: |
    - groups:
      - system:bootstrappers
      - system:nodes
      rolearn: arn:aws:iam::111122223333:role/EXAMPLE-BIGEKSALB-rEksNodeInstanceRole-SPBSyWhYeoDe
      username: system:node:{{EC2PrivateDNSName}}
    - groups:
      - eks:developer
      - log-readers
      rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_EKSLogsPermissionSet_641e07934445cd33
      username: deleteme1
  mapUsers: |
    - groups:
      - eks:developer
      userarn: arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_EKSLogsPermissionSet_641e07934445cd33/deleteme1
      username: deleteme1
";

#[tokio::test]
async fn variants_stripped_paths_non_hex_suffixes_and_sessions() {
    let aws = corpus_world();
    let s = settings();
    let fifteen = import_aws_auth(FIFTEEN_REINDENTED, &s, &aws).await.unwrap();
    let sso = &fifteen.report.translated[0];
    assert_eq!(
        sso.permission_set.as_ref().unwrap().as_str(),
        "EKSLogsPermissionSet"
    );
    assert!(
        sso.notes
            .iter()
            .any(|n| n.contains("eks:developer") && n.contains("reserved"))
    );
    let session = reason(&fifteen.report, "mapUsers[0]");
    assert!(session.contains("an STS session ARN, not a user") && session.contains("mapRoles[1]"));

    let seventeen = "mapRoles: |\n  - rolearn: arn:aws:iam::000000000000:role/AWSReservedSSO_MyPermissionSet_1234567890abcde\n    groups: [system:masters]\n";
    let import = import_aws_auth(seventeen, &s, &aws).await.unwrap();
    let mapping = Mapping::from_str(import.mapping_yaml.as_deref().unwrap(), "17").unwrap();
    assert_eq!(
        mapping.rules[0].permission_set.to_string(),
        "MyPermissionSet",
        "a PS rule"
    );
    assert!(
        mapping.principals.is_empty(),
        "never pinned to the AWSReservedSSO_* ARN"
    );

    let stripped = "mapRoles: |\n  - rolearn: arn:aws:iam::111122223333:role/gitlab-runner\n    groups: [system:masters]\n";
    let import = import_aws_auth(stripped, &s, &aws).await.unwrap();
    let t = &import.report.translated[0];
    assert_eq!(
        t.principal.as_str(),
        "arn:aws:iam::111122223333:role/gitlab-ci/gitlab-runner"
    );
    assert!(
        t.notes
            .iter()
            .any(|n| n.starts_with("re-resolved to its full ARN"))
    );
}

#[tokio::test]
async fn identical_entries_of_several_clusters_merge_into_one_rule() {
    let sources: Vec<ConfigMapSource> = ["a", "b"]
        .iter()
        .map(|cluster| ConfigMapSource {
            origin: format!("111122223333/eu-west-1/{cluster}"),
            text: corpus("06-ci-role-under-path.yaml"),
        })
        .collect();
    let import = import_configmaps(&sources, &settings(), &corpus_world())
        .await
        .unwrap();
    let report = &import.report;
    assert_eq!(report.entries, 6);
    assert_eq!(report.entries_accounted(), 6);
    assert!(
        report.translated[2]
            .entry
            .starts_with("111122223333/eu-west-1/b mapRoles[1]")
    );
    let mapping = Mapping::from_str(import.mapping_yaml.as_deref().unwrap(), "merged").unwrap();
    assert_eq!(
        mapping.principals.len(),
        2,
        "one rule per principal, not per cluster"
    );
}

#[tokio::test]
async fn the_equivalence_check_names_every_principal_that_would_lose_access() {
    use crate::domain::{AccessScope, ActualEntry, ClusterName, EntryType};
    let import = import_file("06-ci-role-under-path.yaml").await.unwrap();
    let cluster = ClusterName::new("c").unwrap();
    let entry = |arn: &str, kind: EntryType, admin: bool, username: Option<&str>| ActualEntry {
        principal: crate::domain::PrincipalArn::new(arn).unwrap(),
        arn: None,
        entry_type: kind,
        kubernetes_groups: Default::default(),
        username: username.map(str::to_owned),
        tags: Default::default(),
        policies: if admin {
            [(PolicyArn::cluster_admin(), AccessScope::Cluster)]
                .into_iter()
                .collect()
        } else {
            Default::default()
        },
        created_at: None,
        principal_status: Default::default(),
    };
    let node = "arn:aws:iam::111122223333:role/EKSWorkerNode";
    let worker = "arn:aws:iam::111122223333:role/EKSServiceWorker";
    let runner = "arn:aws:iam::111122223333:role/gitlab-ci/gitlab-runner";
    let full = [
        entry(node, EntryType::parse("EC2_LINUX"), false, None),
        entry(worker, EntryType::Standard, true, Some("kubernetes-admin")),
        entry(runner, EntryType::Standard, true, Some("gitlab-admin")),
    ];
    assert!(equivalence::check(&import.report, &cluster, &full).holds());
    let partial = [
        entry(node, EntryType::parse("EC2_LINUX"), false, None),
        entry(worker, EntryType::Standard, false, Some("kubernetes-admin")),
    ];
    let result = equivalence::check(&import.report, &cluster, &partial);
    assert!(!result.holds());
    let missing: Vec<(&str, &str)> = result
        .checks
        .iter()
        .filter_map(|c| c.missing.as_deref().map(|m| (c.principal.as_str(), m)))
        .collect();
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert!(
        missing[0].1.contains("no AmazonEKSClusterAdminPolicy"),
        "{missing:?}"
    );
    assert_eq!(missing[1].0, runner);
    assert!(missing[1].1.starts_with("no access entry"), "{missing:?}");
}
