//! Import tests against the in-memory IAM: the realistic fixture end to end (the mapping loads
//! and says what it should), the IAM re-resolution cases, and malformed ConfigMaps.

use std::collections::BTreeSet;

use super::*;
use crate::config::{AccountRole, Captures, Grant, Mapping};
use crate::domain::{AccessScope, PolicyArn};
use crate::memory::MemoryAws;
use crate::ports::ErrorKind;

const ACCOUNT: &str = "111122223333";
const SSO_PATH: &str = "/aws-reserved/sso.amazonaws.com/eu-west-1/";
const REALISTIC: &str = include_str!("../../tests/fixtures/aws-auth/realistic.yaml");
const ADMIN_ROLE: &str = "AWSReservedSSO_EKSPlatformAdmin_0123456789abcdef";
const DEV_ROLE: &str = "AWSReservedSSO_PaymentsDeveloper_89abcdef01234567";

/// The IAM of the realistic fixture's account today: LegacyReadOnly is no longer assigned (no
/// role), and the CI role `deployer` lives under `/ci/`.
pub(super) fn world() -> MemoryAws {
    let aws = MemoryAws::new("eu-west-1");
    aws.add_role(
        ACCOUNT,
        "/",
        "eks-payments-prod-NodeInstanceRole-1GH2JK3LM4NO",
    );
    aws.add_role(ACCOUNT, "/", "eks-payments-prod-fargate-pod-execution");
    aws.add_role(ACCOUNT, SSO_PATH, ADMIN_ROLE);
    aws.add_role(ACCOUNT, SSO_PATH, DEV_ROLE);
    aws.add_role(ACCOUNT, "/ci/", "deployer");
    aws.add_role(ACCOUNT, "/", "github-actions");
    aws.add_user(ACCOUNT, "/", "alice");
    aws
}

pub(super) fn settings(cluster: Option<&str>) -> ImportSettings {
    ImportSettings {
        identity_center_region: Region::new("eu-west-1").unwrap(),
        regions: vec![Region::new("eu-west-1").unwrap()],
        clusters: cluster
            .map(|c| ClusterName::new(c).unwrap())
            .into_iter()
            .collect(),
        cluster_accounts: vec![],
    }
}

async fn import(text: &str, aws: &MemoryAws) -> Import {
    import_aws_auth(text, &settings(Some("payments-prod")), aws)
        .await
        .unwrap_or_else(|e| panic!("import failed: {e}"))
}

fn load(import: &Import) -> Mapping {
    let yaml = import.mapping_yaml.as_deref().expect("a mapping");
    Mapping::from_str(yaml, "generated").unwrap_or_else(|r| panic!("{r}\n{yaml}"))
}

fn arn(path: &str, name: &str) -> PrincipalArn {
    PrincipalArn::role("aws", &AccountId::new(ACCOUNT).unwrap(), path, name).unwrap()
}

fn groups(grant: &Grant) -> Vec<&str> {
    grant.kubernetes_groups.iter().map(|g| g.as_str()).collect()
}

fn rbac_only_policy() -> (PolicyArn, AccessScope) {
    let ns = crate::domain::NamespacePattern::new(RBAC_ONLY_NAMESPACE).unwrap();
    (
        PolicyArn::for_people("View").unwrap(),
        AccessScope::Namespace(BTreeSet::from([ns])),
    )
}

fn untranslated_for<'a>(report: &'a ImportReport, needle: &str) -> Vec<&'a str> {
    report
        .untranslated
        .iter()
        .filter(|u| u.entry.contains(needle))
        .map(|u| u.reason.as_str())
        .collect()
}

#[tokio::test]
async fn realistic_configmap_becomes_a_mapping_that_loads() {
    let import = import(REALISTIC, &world()).await;
    let mapping = load(&import);
    assert_eq!(mapping.identity_center.region.as_str(), "eu-west-1");
    assert_eq!(mapping.accounts.len(), 1);
    assert_eq!(mapping.accounts[0].id.as_str(), ACCOUNT);
    assert_eq!(mapping.accounts[0].regions[0].as_str(), "eu-west-1");
    assert_eq!(mapping.accounts[0].role, AccountRole::Default);
    let include = mapping.clusters.include.as_ref().expect("cluster scope");
    assert_eq!(include.len(), 1);
    assert_eq!(
        include[0].name.as_ref().map(|g| g.as_str()),
        Some("payments-prod")
    );
    assert!(!mapping.options.prune, "a first migration must not prune");
    assert!(!mapping.options.adopt_existing);
    let yaml = import.mapping_yaml.as_deref().unwrap();
    assert!(yaml.contains("# prune: false for a first migration"));
    assert_eq!(import.report.entries_accounted(), import.report.entries);
    assert_eq!(import.report.entries, 9);
}

#[tokio::test]
async fn sso_roles_become_permission_set_rules() {
    let mapping = load(&import(REALISTIC, &world()).await);
    let names: Vec<&str> = mapping.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["sso-eksplatformadmin", "sso-paymentsdeveloper"]);

    let admin = &mapping.rules[0];
    assert_eq!(admin.permission_set.to_string(), "EKSPlatformAdmin");
    assert!(admin.permission_set.is_exact());
    let grant = admin.grant(&Captures::new()).unwrap();
    assert_eq!(
        grant.policies.into_iter().collect::<Vec<_>>(),
        [(PolicyArn::cluster_admin(), AccessScope::Cluster)]
    );
    assert!(
        grant.kubernetes_groups.is_empty(),
        "system:masters is not a group"
    );
    assert_eq!(
        grant.username.as_ref().map(|u| u.as_str()),
        Some("platform-admin:{{SessionName}}"),
        "a username EKS accepts is kept verbatim"
    );

    let dev = &mapping.rules[1];
    assert_eq!(dev.permission_set.to_string(), "PaymentsDeveloper");
    let grant = dev.grant(&Captures::new()).unwrap();
    assert_eq!(groups(&grant), ["payments-devs"]);
    assert_eq!(
        grant.policies.into_iter().collect::<Vec<_>>(),
        [rbac_only_policy()]
    );
}

#[tokio::test]
async fn other_roles_and_users_become_principal_rules_with_full_arns() {
    let mapping = load(&import(REALISTIC, &world()).await);
    let names: Vec<&str> = mapping.principals.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "principal-deployer",
            "principal-github-actions",
            "user-alice"
        ]
    );
    let deployer = &mapping.principals[0];
    assert_eq!(
        deployer.principal,
        arn("/ci/", "deployer"),
        "looked up by name"
    );
    assert!(
        deployer
            .grant
            .policies
            .contains_key(&PolicyArn::cluster_admin())
    );

    let ci = &mapping.principals[1];
    assert_eq!(ci.principal, arn("/", "github-actions"));
    assert_eq!(groups(&ci.grant), ["deployers"]);
    assert_eq!(
        ci.grant.username.as_ref().map(|u| u.as_str()),
        Some("github-actions")
    );
    assert_eq!(
        ci.grant.policies.clone().into_iter().collect::<Vec<_>>(),
        [rbac_only_policy()]
    );

    let alice = &mapping.principals[2];
    assert_eq!(
        alice.principal.as_str(),
        "arn:aws:iam::111122223333:user/alice"
    );
    assert_eq!(
        alice.grant.username.as_ref().map(|u| u.as_str()),
        Some("alice")
    );
    assert!(
        alice
            .grant
            .policies
            .contains_key(&PolicyArn::cluster_admin())
    );
}

#[tokio::test]
async fn report_lists_translations_with_full_arns_and_notes() {
    let report = import(REALISTIC, &world()).await.report;
    let rules: Vec<(&str, &str)> = report
        .translated
        .iter()
        .map(|t| (t.entry.split(' ').next().unwrap(), t.rule.as_str()))
        .collect();
    assert_eq!(
        rules,
        [
            ("mapRoles[2]", "sso-eksplatformadmin"),
            ("mapRoles[3]", "sso-paymentsdeveloper"),
            ("mapRoles[4]", "principal-deployer"),
            ("mapRoles[5]", "principal-github-actions"),
            ("mapUsers[0]", "user-alice"),
        ]
    );
    let admin = &report.translated[0];
    assert_eq!(admin.principal, arn(SSO_PATH, ADMIN_ROLE));
    assert_eq!(
        admin.permission_set.as_ref().unwrap().as_str(),
        "EKSPlatformAdmin"
    );
    assert_eq!(
        admin.username.as_deref(),
        Some("platform-admin:{{SessionName}}")
    );
    assert!(admin.cluster_admin);
    assert!(
        admin
            .notes
            .iter()
            .any(|n| n.contains("real path /aws-reserved/sso.amazonaws.com/eu-west-1/")),
        "{:?}",
        admin.notes
    );
    assert!(!admin.notes.iter().any(|n| n.starts_with("RBAC-only")));

    let deployer = &report.translated[2];
    assert_eq!(deployer.principal, arn("/ci/", "deployer"));
    assert!(
        deployer
            .notes
            .iter()
            .any(|n| n.starts_with("re-resolved to its full ARN")),
        "{:?}",
        deployer.notes
    );
    let github = &report.translated[3];
    assert!(
        github
            .notes
            .iter()
            .any(|n| n.contains("system:authenticated"))
    );

    let dev = &report.translated[1];
    assert_eq!(dev.principal, arn(SSO_PATH, DEV_ROLE));
    assert!(
        dev.notes.iter().any(|n| n.starts_with("RBAC-only")),
        "{:?}",
        dev.notes
    );

    let alice = &report.translated[4];
    assert!(
        alice
            .notes
            .iter()
            .any(|n| n.contains("consider moving this person to Identity Center"))
    );
    assert!(report.notes.is_empty(), "{:?}", report.notes);
}

#[tokio::test]
async fn node_and_fargate_roles_are_left_to_eks() {
    let report = import(REALISTIC, &world()).await.report;
    let kinds: Vec<(&str, NodeKind)> = report
        .node_roles
        .iter()
        .map(|n| (n.entry.split(' ').next().unwrap(), n.node_kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("mapRoles[0]", NodeKind::Ec2Linux),
            ("mapRoles[1]", NodeKind::FargateLinux)
        ]
    );
    assert!(
        report.node_roles[0]
            .action
            .starts_with("left to EKS (EC2_LINUX access entry")
    );
    assert!(report.node_roles[1].action.contains("FARGATE_LINUX"));
    let yaml = import(REALISTIC, &world()).await.mapping_yaml.unwrap();
    assert!(
        !yaml.contains("NodeInstanceRole") && !yaml.contains("fargate"),
        "{yaml}"
    );
}

#[tokio::test]
async fn untranslatable_entries_are_reported_with_reasons() {
    let import = import(REALISTIC, &world()).await;
    let report = &import.report;
    let entries: Vec<&str> = report
        .untranslated
        .iter()
        .map(|u| u.entry.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        entries,
        ["mapRoles[6]", "mapRoles[7]"],
        "one line per entry"
    );
    let odd = untranslated_for(report, "legacy-bootstrap");
    assert!(odd[0].contains("system:bootstrappers"), "{odd:?}");
    let gone = untranslated_for(report, "LegacyReadOnly");
    assert!(
        gone[0].starts_with("no role of permission set LegacyReadOnly in account 111122223333"),
        "{gone:?}"
    );
    // Nothing untranslated leaks into the mapping.
    let yaml = import.mapping_yaml.as_deref().unwrap();
    for absent in ["legacy-bootstrap", "LegacyReadOnly", "viewers"] {
        assert!(!yaml.contains(absent), "{absent}");
    }
}

#[tokio::test]
async fn rendered_report_has_every_section() {
    let text = render_report(&import(REALISTIC, &world()).await.report);
    for needle in [
        "Translated (5):",
        "Left to EKS (2):",
        "Not translated (2):",
        "-> rule sso-eksplatformadmin (permission set EKSPlatformAdmin): arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_EKSPlatformAdmin_0123456789abcdef",
        "no role of permission set LegacyReadOnly",
    ] {
        assert!(text.contains(needle), "{needle}\n{text}");
    }
}

#[tokio::test]
async fn a_recreated_sso_role_is_followed_through_its_permission_set() {
    let aws = MemoryAws::new("eu-west-1");
    let ps = aws.add_permission_set("EKSPlatformAdmin");
    let group = aws.add_group("platform");
    let current = aws.assign(&group, &ps, ACCOUNT);
    let report = import(REALISTIC, &aws).await.report;
    let admin = report
        .translated
        .iter()
        .find(|t| t.rule == "sso-eksplatformadmin")
        .unwrap();
    assert_eq!(admin.principal, current.arn);
    assert_ne!(admin.principal.name(), ADMIN_ROLE);
    assert!(
        admin.notes.iter().any(|n| n.contains("no longer exists")),
        "{:?}",
        admin.notes
    );
}

#[tokio::test]
async fn a_role_path_disagreeing_with_the_identity_center_region_is_noted() {
    let aws = world();
    aws.add_role(
        "444455556666",
        "/aws-reserved/sso.amazonaws.com/",
        "AWSReservedSSO_Ops_0123456789abcdef",
    );
    let text = "kind: ConfigMap\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::444455556666:role/AWSReservedSSO_Ops_0123456789abcdef\n      groups: [system:masters]\n";
    let report = import(text, &aws).await.report;
    assert_eq!(report.translated.len(), 1);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("home region is us-east-1; the mapping says eu-west-1")),
        "{:?}",
        report.notes
    );
}

#[tokio::test]
async fn entries_of_one_permission_set_merge_into_one_rule() {
    let aws = world();
    aws.add_role(
        "444455556666",
        SSO_PATH,
        "AWSReservedSSO_PaymentsDeveloper_0000000000000001",
    );
    let text = "kind: ConfigMap\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_PaymentsDeveloper_89abcdef01234567\n      groups: [payments-devs]\n    - rolearn: arn:aws:iam::444455556666:role/AWSReservedSSO_PaymentsDeveloper_0000000000000001\n      groups: [payments-oncall, system:masters]\n";
    let import = import(text, &aws).await;
    let mapping = load(&import);
    assert_eq!(mapping.rules.len(), 1);
    let grant = mapping.rules[0].grant(&Captures::new()).unwrap();
    assert_eq!(groups(&grant), ["payments-devs", "payments-oncall"]);
    assert!(grant.policies.contains_key(&PolicyArn::cluster_admin()));
    assert_eq!(mapping.accounts.len(), 2);
    let report = &import.report;
    assert!(
        report.translated[1]
            .notes
            .iter()
            .any(|n| n.starts_with("merged with mapRoles[0]"))
    );
    assert!(
        !report.translated[0]
            .notes
            .iter()
            .any(|n| n.starts_with("RBAC-only"))
    );
    // Scoped to the cluster by name: listing both accounts manages nothing more.
    assert!(report.notes.is_empty(), "{:?}", report.notes);
}

#[tokio::test]
async fn map_accounts_unknown_keys_and_bad_arns_are_reported() {
    let text = r#"{"kind": "ConfigMap", "data": {
        "mapRoles": "- rolearn: arn:aws:iam::111122223333:role/github-actions\n  groups: [deployers]\n  gropus: [admins]\n- rolearn: arn:aws:sts::111122223333:assumed-role/x/y\n  groups: [ops]\n",
        "mapAccounts": "- \"111122223333\"\n"}}"#;
    let report = import(text, &world()).await.report;
    assert!(
        report.translated[0]
            .notes
            .iter()
            .any(|n| n.contains("\"gropus\" is not an aws-auth field"))
    );
    let reasons: Vec<&str> = report
        .untranslated
        .iter()
        .map(|u| u.reason.as_str())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("an STS session ARN"), "{reasons:?}");
    assert_eq!(report.untranslated[1].entry, "mapAccounts 111122223333");
    assert_eq!(report.entries_accounted(), 2);
}

#[tokio::test]
async fn without_a_cluster_name_the_scope_is_every_cluster_and_said_so() {
    let import = import_aws_auth(REALISTIC, &settings(None), &world())
        .await
        .unwrap();
    let mapping = load(&import);
    assert!(mapping.clusters.include.is_none());
    assert!(
        import
            .report
            .notes
            .iter()
            .any(|n| n.contains("no cluster name given"))
    );
}

#[tokio::test]
async fn iam_errors_that_say_nothing_about_access_abort_the_import() {
    let aws = world();
    aws.fail_next("GetRole", ErrorKind::Transient, 1);
    let err = import_aws_auth(REALISTIC, &settings(None), &aws)
        .await
        .unwrap_err();
    assert!(matches!(&err, ImportError::Iam { account, .. } if account.as_str() == ACCOUNT));
    assert!(
        err.to_string()
            .contains("IAM lookup in account 111122223333 failed"),
        "{err}"
    );
}

#[tokio::test]
async fn an_account_that_cannot_be_reached_refuses_its_entries_by_name() {
    let aws = world();
    aws.fail_next("GetRole", ErrorKind::AccessDenied, 1);
    let report = import(REALISTIC, &aws).await.report;
    let refused: Vec<&Untranslated> = report
        .untranslated
        .iter()
        .filter(|u| {
            u.reason
                .starts_with("account 111122223333 cannot be reached")
        })
        .collect();
    // The first lookup is refused, and the account is not asked again: every role of it is
    // refused with the same reason, never resolved elsewhere.
    assert_eq!(refused.len(), 6, "{:#?}", report.untranslated);
    assert!(refused[0].reason.contains("member-account.yaml"));
    assert_eq!(report.entries_accounted(), report.entries);
}

#[tokio::test]
async fn settings_without_regions_are_rejected() {
    let mut s = settings(None);
    s.regions.clear();
    let err = import_aws_auth(REALISTIC, &s, &world()).await.unwrap_err();
    assert!(matches!(err, ImportError::NoRegions));
}

#[tokio::test]
async fn home_region_notes_never_contradict_themselves() {
    let aws = world();
    aws.add_role(
        ACCOUNT,
        "/aws-reserved/sso.amazonaws.com/us-east-1/",
        "AWSReservedSSO_Ops_0123456789abcdef",
    );
    let text = "mapRoles: |\n  - rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_Ops_0123456789abcdef\n    groups: [system:masters]\n";
    let mut s = settings(None);
    s.identity_center_region = Region::new("us-east-1").unwrap();
    let report = import_aws_auth(text, &s, &aws).await.unwrap().report;
    assert_eq!(report.translated.len(), 1);
    assert!(
        !report.notes.iter().any(|n| n.contains("home region")),
        "the path names the region given: nothing to say ({:?})",
        report.notes
    );
}
