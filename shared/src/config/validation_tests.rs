//! One test per kind of validation problem, each asserting line, column and message, plus a file
//! with many problems reporting all of them.

use super::{ConfigProblem, Mapping};

/// Three valid lines every document below starts with; the text under test starts on line 4.
const HEAD: &str = "version: 1\n\
                    identity_center: { region: eu-west-1 }\n\
                    accounts: [{ id: \"111111111111\", regions: [eu-west-1] }]\n";

fn problems(body: &str) -> Vec<ConfigProblem> {
    match Mapping::from_str(&format!("{HEAD}{body}"), "m.yaml") {
        Ok(_) => panic!("expected problems in:\n{body}"),
        Err(report) => report.problems,
    }
}

/// The single problem of `body`, checked at `line`:`column` with a message containing `message`.
#[track_caller]
fn single(body: &str, line: usize, column: usize, message: &str) -> ConfigProblem {
    let found = problems(body);
    assert_eq!(found.len(), 1, "{found:#?}");
    let p = found.into_iter().next().unwrap();
    assert_eq!((p.line, p.column), (line, column), "{p:#?}");
    assert!(p.message.contains(message), "{p:#?}");
    p
}

/// A rule whose policy line (line 7) is `policy_line`.
fn rule_with(extra: &str, policy: &str) -> String {
    format!(
        "rules:\n  - name: r\n    permission_set: EKSTeam-{{team}}\n{extra}    access_policies:\n      - {policy}\n"
    )
}

#[test]
fn unknown_top_level_key_lists_valid_keys() {
    let p = single("rulez: []\n", 4, 1, "unknown key `rulez`");
    assert_eq!(p.path, "rulez");
    assert!(p.hint.unwrap().contains("rules"));
}

#[test]
fn unknown_key_in_a_rule_is_located_at_the_key() {
    let body = "rules:\n  - name: r\n    permission_set: Admin\n    acces_policies: []\n    access_policies: [{ policy: View, scope: cluster }]\n";
    let p = single(body, 7, 5, "unknown key `acces_policies`");
    assert_eq!(p.path, "rules[0].acces_policies");
    assert!(p.hint.unwrap().contains("access_policies"));
}

#[test]
fn wrong_type_is_reported() {
    let p = single(
        "options: { prune: \"yes\" }\n",
        4,
        19,
        "expected true or false",
    );
    assert_eq!(p.path, "options.prune");
    single("rules: { name: r }\n", 4, 8, "expected a list");
}

#[test]
fn unknown_policy_is_reported_with_the_valid_ones() {
    let p = single(
        &rule_with("", "{ policy: Nonsense, scope: cluster }"),
        8,
        19,
        "invalid access policy \"Nonsense\"",
    );
    assert_eq!(p.path, "rules[0].access_policies[0].policy");
    assert!(p.hint.unwrap().contains("AmazonEKSEditPolicy"));
}

#[test]
fn policies_for_aws_managed_entries_are_refused() {
    single(
        &rule_with("", "{ policy: AmazonEKSAutoNodePolicy, scope: cluster }"),
        8,
        19,
        "AmazonEKSAutoNodePolicy",
    );
}

#[test]
fn namespace_patterns_eks_rejects_are_reported() {
    let p = single(
        &rule_with("", "{ policy: Edit, namespaces: [\"pay*ments\"] }"),
        8,
        38,
        "invalid namespace pattern",
    );
    assert_eq!(p.path, "rules[0].access_policies[0].namespaces[0]");
    // With a capture, the literal parts alone already make it invalid.
    single(
        &rule_with("", "{ policy: Edit, namespaces: [\"Team-{team}\"] }"),
        8,
        38,
        "can never expand to a valid namespace pattern",
    );
}

#[test]
fn system_kubernetes_groups_are_refused() {
    let p = single(
        &rule_with(
            "    kubernetes_groups: [\"system:masters\"]\n",
            "{ policy: View, scope: cluster }",
        ),
        7,
        25,
        "invalid kubernetes group",
    );
    assert!(p.hint.unwrap().contains("AmazonEKSClusterAdminPolicy"));
    single(
        &rule_with(
            "    kubernetes_groups: [\"system:{team}\"]\n",
            "{ policy: View, scope: cluster }",
        ),
        7,
        25,
        "can never expand",
    );
}

#[test]
fn reserved_username_prefixes_are_refused() {
    single(
        &rule_with(
            "    username: \"eks:{team}\"\n",
            "{ policy: View, scope: cluster }",
        ),
        7,
        15,
        "kubernetes username",
    );
}

#[test]
fn duplicate_names_are_refused_across_rules_and_principals() {
    let body = "rules:\n  - { name: ops, permission_set: Ops, access_policies: [{ policy: View, scope: cluster }] }\nprincipals:\n  - name: ops\n    principal: arn:aws:iam::111111111111:role/ci/deployer\n    access_policies: [{ policy: View, scope: cluster }]\n";
    let p = single(body, 7, 11, "duplicate rule name \"ops\"");
    assert!(p.hint.unwrap().contains("line 5"));
}

#[test]
fn malformed_arns_account_ids_and_regions_are_reported() {
    let body = "principals:\n  - name: ci\n    principal: arn:aws:iam::111111111111:group/ci\n    access_policies: [{ policy: View, scope: cluster }]\n";
    single(body, 6, 16, "invalid IAM principal ARN");
    let doc = "version: 1\nidentity_center: { region: eu-west-1 }\naccounts:\n  - { id: \"12345\", regions: [eu-west-1] }\n  - { id: \"222222222222\", regions: [eu-west] }\n";
    let found = Mapping::from_str(doc, "m.yaml").unwrap_err().problems;
    let at: Vec<_> = found
        .iter()
        .map(|p| (p.line, p.column, p.path.as_str()))
        .collect();
    assert_eq!(
        at,
        [(4, 11, "accounts[0].id"), (5, 37, "accounts[1].regions[0]")]
    );
    assert!(found[0].message.contains("invalid account id"));
    assert!(found[1].message.contains("invalid region"));
}

#[test]
fn unquoted_account_id_that_lost_its_leading_zero_says_to_quote_it() {
    let doc = "version: 1\nidentity_center: { region: eu-west-1 }\naccounts: [{ id: 012345678901, regions: [eu-west-1] }]\n";
    let found = Mapping::from_str(doc, "m.yaml").unwrap_err().problems;
    assert_eq!((found[0].line, found[0].column), (3, 18));
    assert!(found[0].hint.as_deref().unwrap().contains("quote"));
}

#[test]
fn permission_sets_that_cannot_exist_are_refused() {
    let body = "rules:\n  - name: r\n    permission_set: \"EKS Team\"\n    access_policies: [{ policy: View, scope: cluster }]\n";
    single(body, 6, 21, "permission set \"EKS Team\" cannot exist");
    let body = "rules:\n  - name: r\n    permission_set: \"EKS Team-{team}\"\n    access_policies: [{ policy: View, scope: cluster }]\n";
    let p = single(body, 6, 21, "cannot exist");
    assert!(p.hint.unwrap().contains("' '"));
}

#[test]
fn captures_must_be_defined_by_the_permission_set() {
    let p = single(
        &rule_with(
            "    kubernetes_groups: [\"team-{squad}\"]\n",
            "{ policy: View, scope: cluster }",
        ),
        7,
        25,
        "capture {squad} is not defined",
    );
    assert!(p.hint.unwrap().contains("{team}"));
    let body = "rules:\n  - name: r\n    permission_set: Admin\n    groups: [\"{team}-admins\"]\n    access_policies: [{ policy: View, scope: cluster }]\n";
    single(body, 7, 14, "capture {team} is not defined");
}

#[test]
fn empty_access_policies_are_refused() {
    let body = "rules:\n  - name: r\n    permission_set: Admin\n    access_policies: []\n";
    single(body, 7, 22, "at least one access policy");
    let body = "rules:\n  - name: r\n    permission_set: Admin\n";
    single(body, 5, 5, "missing required key `access_policies`");
}

#[test]
fn a_policy_needs_exactly_one_kind_of_scope() {
    single(
        &rule_with("", "{ policy: View }"),
        8,
        9,
        "missing the scope",
    );
    single(
        &rule_with("", "{ policy: View, scope: cluster, namespaces: [a] }"),
        8,
        53,
        "cannot be combined",
    );
    single(
        &rule_with("", "{ policy: View, scope: everywhere }"),
        8,
        32,
        "unknown scope",
    );
    single(
        &rule_with("", "{ policy: View, namespaces: [] }"),
        8,
        37,
        "empty namespace list",
    );
}

#[test]
fn a_policy_listed_twice_in_a_rule_is_refused() {
    let body = "rules:\n  - name: r\n    permission_set: Admin\n    access_policies:\n      - { policy: View, scope: cluster }\n      - { policy: AmazonEKSViewPolicy, namespaces: [a] }\n";
    single(body, 9, 9, "listed twice");
}

#[test]
fn only_version_1_is_accepted() {
    let doc = "version: 2\nidentity_center: { region: eu-west-1 }\naccounts: [{ id: \"111111111111\", regions: [eu-west-1] }]\n";
    let found = Mapping::from_str(doc, "m.yaml").unwrap_err().problems;
    assert_eq!((found[0].line, found[0].column), (1, 10));
    assert!(found[0].message.contains("unsupported version 2"));
}

#[test]
fn break_glass_entries_must_be_iam_principals() {
    let body =
        "options:\n  break_glass:\n    - arn:aws:sts::111111111111:assumed-role/Admin/alice\n";
    let p = single(body, 6, 7, "invalid IAM principal ARN");
    assert!(p.hint.unwrap().contains("STS"));
}

#[test]
fn an_account_listed_twice_is_refused() {
    let doc = "version: 1\nidentity_center: { region: eu-west-1 }\naccounts:\n  - { id: \"111111111111\", regions: [eu-west-1] }\n  - { id: \"111111111111\", regions: [us-east-1] }\n";
    let found = Mapping::from_str(doc, "m.yaml").unwrap_err().problems;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].line, found[0].column), (5, 5));
    assert!(found[0].message.contains("listed twice"));
}

#[test]
fn an_account_role_must_be_a_role_in_that_account() {
    let doc = "version: 1\nidentity_center: { region: eu-west-1 }\naccounts:\n  - id: \"111111111111\"\n    regions: [eu-west-1]\n    role: arn:aws:iam::222222222222:role/eks-sso-sync-target\n";
    let found = Mapping::from_str(doc, "m.yaml").unwrap_err().problems;
    assert_eq!((found[0].line, found[0].column), (6, 11));
    assert!(found[0].message.contains("account 222222222222"));
}

#[test]
fn yaml_syntax_errors_are_located() {
    let found = Mapping::from_str("version: 1\nrules: [\n", "m.yaml")
        .unwrap_err()
        .problems;
    assert_eq!(found.len(), 1);
    assert!(found[0].message.starts_with("not valid YAML"), "{found:#?}");
    assert_eq!(found[0].line, 3);
    let found = Mapping::from_str("", "m.yaml").unwrap_err().problems;
    assert!(found[0].message.contains("empty"));
}

#[test]
fn a_file_with_many_problems_reports_all_of_them_in_order() {
    let doc = "\
version: 3
identity_center: { region: EU }
accounts:
  - { id: \"1\", regions: [eu-west-1] }
colour: blue
rules:
  - name: a
    permission_set: EKSTeam-{team}
    kubernetes_groups: [\"system:x\", \"team-{squad}\"]
    access_policies:
      - { policy: Edit, namespaces: [\"*\"] }
      - { policy: Bogus, scope: cluster }
  - name: a
    permission_set: Admin
    access_policies: []
options: { prune: maybe, break_glass: [nope] }
";
    let report = Mapping::from_str(doc, "many.yaml").unwrap_err();
    let at: Vec<(usize, usize)> = report.problems.iter().map(|p| (p.line, p.column)).collect();
    assert_eq!(
        at,
        [
            (1, 10),  // version
            (2, 28),  // region
            (4, 11),  // account id
            (5, 1),   // unknown key
            (9, 25),  // system: group
            (9, 37),  // undefined capture
            (11, 38), // bare * namespace
            (12, 19), // unknown policy
            (13, 11), // duplicate name
            (15, 22), // empty access_policies
            (16, 19), // prune not a bool
            (16, 40), // break_glass not an ARN
        ],
        "{report}"
    );
    let text = report.to_string();
    assert_eq!(text.lines().count(), 12);
    assert!(
        text.starts_with("many.yaml:1:10: version: unsupported version 3 (hint: use version: 1)"),
        "{text}"
    );
}

/// The mapping of `body`, which must be valid.
fn valid(body: &str) -> Mapping {
    Mapping::from_str(&format!("{HEAD}{body}"), "m.yaml").unwrap_or_else(|r| panic!("{r}"))
}

/// An exact rule (line 4-5) whose `access_policies` item is on line 7, after `extra` lines.
fn exact_rule(extra: &str, policy: &str) -> String {
    format!(
        "rules:\n  - name: r\n    permission_set: Dev\n{extra}    access_policies:\n      - {policy}\n"
    )
}

#[test]
fn system_namespaces_are_rejected_with_their_line_and_the_fix() {
    // Column 48 is where the second namespace item starts inside the flow list.
    for ns in [
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "kube-*",
        "k*",
        "ku*",
        "kube*",
        "kube-s*",
        "kube-monitoring",
    ] {
        let policy = format!("{{ policy: Edit, namespaces: [payments, \"{ns}\"] }}");
        let p = single(
            &exact_rule("", &policy),
            8,
            48,
            "Kubernetes system namespaces",
        );
        assert!(p.message.contains(ns), "{p:#?}");
        assert!(p.message.contains("kube-system"), "{p:#?}");
        assert_eq!(p.path, "rules[0].access_policies[0].namespaces[1]");
        assert!(p.hint.unwrap().contains("allow_system_namespaces: true"));
    }
}

#[test]
fn namespaces_merely_resembling_system_ones_are_fine() {
    for ns in [
        "kube",
        "kubernetes-*",
        "kubeflow",
        "payments-kube-system",
        "team-*",
    ] {
        let policy = format!("{{ policy: Edit, namespaces: [\"{ns}\"] }}");
        valid(&exact_rule("", &policy));
    }
}

#[test]
fn a_rule_may_allow_system_namespaces_explicitly() {
    let m = valid(&exact_rule(
        "    allow_system_namespaces: true\n",
        "{ policy: View, namespaces: [kube-system, \"kube-*\"] }",
    ));
    assert!(m.rules[0].allow_system_namespaces);
    let grant = m.rules[0].grant(&Default::default()).unwrap();
    assert_eq!(grant.policies.len(), 1);
    // ... and the flag is a boolean, reported where it is not.
    let p = single(
        &exact_rule(
            "    allow_system_namespaces: yes-please\n",
            "{ policy: View, scope: cluster }",
        ),
        7,
        30,
        "expected true or false",
    );
    assert_eq!(p.path, "rules[0].allow_system_namespaces");
}

#[test]
fn a_template_whose_literal_text_is_a_system_namespace_is_refused() {
    let p = single(
        &rule_with("", "{ policy: Edit, namespaces: [\"kube-{team}\"] }"),
        8,
        38,
        "always expands into the Kubernetes system namespaces",
    );
    assert!(p.hint.unwrap().contains("allow_system_namespaces"));
}

#[test]
fn principal_rules_are_checked_for_system_namespaces_too() {
    let body = "principals:\n  - name: ci\n    principal: arn:aws:iam::111111111111:role/ci/deployer\n    access_policies: [{ policy: Edit, namespaces: [kube-system] }]\n";
    single(body, 7, 52, "Kubernetes system namespaces");
    let allowed = body.replace(
        "    access_policies",
        "    allow_system_namespaces: true\n    access_policies",
    );
    valid(&allowed);
}

#[test]
fn eks_username_templates_are_accepted() {
    for username in [
        "alice:{{SessionName}}",
        ":{{SessionName}}",
        "team:{{SessionNameRaw}}",
        "{{AccountID}}:{{SessionName}}",
        "arn:aws:sts::{{AccountID}}:assumed-role/dev/{{SessionName}}",
    ] {
        let m = valid(&exact_rule(
            &format!("    username: \"{username}\"\n"),
            "{ policy: View, scope: cluster }",
        ));
        let grant = m.rules[0].grant(&Default::default()).unwrap();
        assert_eq!(grant.username.unwrap().as_str(), username);
        assert!(m.warnings().is_empty(), "{:#?}", m.warnings());
    }
}

#[test]
fn eks_templates_work_next_to_convention_captures() {
    let m = valid(&rule_with(
        "    username: \"{team}:{{SessionName}}\"\n",
        "{ policy: Edit, namespaces: [\"{team}-*\"] }",
    ));
    let captures = m.rules[0]
        .permission_set
        .matches(&crate::domain::PermissionSetName::new("EKSTeam-Search").unwrap())
        .unwrap();
    let grant = m.rules[0].grant(&captures).unwrap();
    assert_eq!(grant.username.unwrap().as_str(), "Search:{{SessionName}}");
}

#[test]
fn usernames_eks_would_refuse_are_reported() {
    for (username, message) in [
        (
            "alice{{SessionName}}",
            "requires a ':' before {{SessionName}}",
        ),
        (
            "alice{{SessionNameRaw}}",
            "requires a ':' before {{SessionNameRaw}}",
        ),
        ("alice:{{SessionId}}", "does not expand {{SessionId}}"),
        ("alice:{{EC2PrivateDNSName}}", "does not expand"),
        ("system:{{SessionName}}", "'system:'"),
        ("eks:admin", "'eks:'"),
        ("aws:x", "'aws:'"),
        ("amazon:x", "'amazon:'"),
        ("iam:x", "'iam:'"),
    ] {
        let body = exact_rule(
            &format!("    username: \"{username}\"\n"),
            "{ policy: View, scope: cluster }",
        );
        let p = single(&body, 7, 15, "invalid kubernetes username");
        assert!(p.hint.as_deref().unwrap_or("").contains(message), "{p:#?}");
    }
    // A capture cannot hide a reserved prefix either.
    single(
        &rule_with(
            "    username: \"eks:{team}\"\n",
            "{ policy: View, scope: cluster }",
        ),
        7,
        15,
        "can never expand to a valid kubernetes username",
    );
}

#[test]
fn reserved_prefixes_are_refused_for_kubernetes_groups() {
    for group in ["system:masters", "eks:admins", "aws:x", "amazon:x", "iam:x"] {
        let body = exact_rule(
            &format!("    kubernetes_groups: [\"{group}\"]\n"),
            "{ policy: View, scope: cluster }",
        );
        let p = single(&body, 7, 25, "invalid kubernetes group");
        assert!(p.message.contains(group), "{p:#?}");
    }
}

#[test]
fn a_username_without_the_session_name_is_a_warning_not_an_error() {
    let m = valid(&exact_rule(
        "    username: dev-team\n",
        "{ policy: View, scope: cluster }",
    ));
    let warnings = m.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    let w = &warnings[0];
    assert_eq!(
        (w.line, w.column, w.path.as_str()),
        (7, 15, "rules[0].username")
    );
    assert!(w.message.contains("audit logs"), "{w:#?}");
    assert!(
        w.hint
            .as_deref()
            .unwrap()
            .contains("dev-team:{{SessionName}}")
    );
    // {{AccountID}} alone does not name the person either.
    let m = valid(&exact_rule(
        "    username: \"dev:{{AccountID}}\"\n",
        "{ policy: View, scope: cluster }",
    ));
    assert_eq!(m.warnings().len(), 1);
}

#[test]
fn an_iam_user_principal_needs_no_session_name() {
    let body = |arn: &str| {
        format!(
            "principals:\n  - name: p\n    principal: {arn}\n    username: deployer\n    access_policies: [{{ policy: View, scope: cluster }}]\n"
        )
    };
    let user = valid(&body("arn:aws:iam::111111111111:user/alice"));
    assert!(user.warnings().is_empty(), "a user is one person");
    let role = valid(&body("arn:aws:iam::111111111111:role/ci/deployer"));
    assert_eq!(role.warnings().len(), 1, "a role has many sessions");
}

#[test]
fn regions_of_unsupported_partitions_are_refused_with_their_line() {
    let body = "version: 1\nidentity_center: { region: eu-west-1 }\naccounts: [{ id: \"111111111111\", regions: [eu-west-1, us-iso-east-1] }]\n";
    let report = Mapping::from_str(body, "m.yaml").unwrap_err();
    assert_eq!(report.problems.len(), 1, "{report}");
    let p = &report.problems[0];
    assert_eq!(p.line, 3, "{p:#?}");
    assert!(p.hint.as_deref().unwrap().contains("aws-iso"), "{p:#?}");
}
