//! Multi-cluster planning and what operators see: the table and the JSON document.

use super::*;

fn sample_plan() -> AccessPlan {
    let admin = want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]);
    let dev_before = want(
        "Dev",
        1,
        &["devs"],
        &[("Edit", ns(&["a"])), ("View", AccessScope::Cluster)],
    );
    let dev_after = want("Dev", 1, &["devs", "oncall"], &[("Edit", ns(&["a", "b"]))]);
    let gone = want("Gone", 1, &[], &[]);
    let mut desired = cluster(vec![admin, dev_after]);
    desired
        .entries
        .get_mut(&arn("Admin"))
        .unwrap()
        .kubernetes_groups
        .clear();
    let mut state = DesiredState::default();
    state.clusters.insert(cluster_ref("prod-1"), desired);
    let mut creating = cluster(vec![]);
    creating.cluster.cluster = cluster_ref("prod-2");
    creating.cluster.status = ClusterStatus::Creating;
    state.clusters.insert(cluster_ref("prod-2"), creating);
    let actual = BTreeMap::from([(
        cluster_ref("prod-1"),
        vec![
            managed(&dev_before),
            managed(&gone),
            unmanaged("Legacy", &[]),
        ],
    )]);
    let options = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    plan(&state, &actual, &options)
}

#[test]
fn rendered_table_shows_each_change_with_its_marker() {
    let table = render_table(&sample_plan());
    let lines: Vec<&str> = table.lines().collect();
    let dev = arn("Dev");
    let expected = [
        "cluster 111122223333/eu-west-1/prod-1: 2 to add, 2 to change, 2 to remove".to_owned(),
        format!(
            "  + create {} groups [] username (EKS default) (rules rule-a)",
            arn("Admin")
        ),
        format!("  ~ update {dev} groups [devs] -> [devs,oncall] (rules rule-a)"),
        format!(
            "  + associate {} AmazonEKSClusterAdminPolicy (cluster) (rules rule-a)",
            arn("Admin")
        ),
        format!(
            "  ~ re-scope {dev} AmazonEKSEditPolicy (namespaces a -> namespaces a,b) (rules rule-a)"
        ),
        format!("  - disassociate {dev} AmazonEKSViewPolicy (cluster) (rules rule-a)"),
        format!(
            "  - delete {} (no longer desired) (rules rule-a)",
            arn("Gone")
        ),
        "cluster 111122223333/eu-west-1/prod-2: 0 to add, 0 to change, 0 to remove".to_owned(),
        "  ! skipped (cluster): cluster not ACTIVE - the cluster is CREATING; its access entries \
         are planned once it is ACTIVE"
            .to_owned(),
        "  (no changes)".to_owned(),
    ];
    assert_eq!(lines, expected, "\n{table}");
}

#[test]
fn json_has_a_versioned_stable_shape() {
    let plan = sample_plan();
    let json = to_json(&plan);
    assert_eq!(json, to_json(&sample_plan()), "same plan, same bytes");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["schema_version"], 4);
    let first = &value["clusters"][0];
    assert_eq!(
        first["provenance"][arn("Gone").as_str()],
        serde_json::json!([{"rule": "rule-a", "via": "recorded"}]),
        "version 4: sources, not names"
    );
    assert_eq!(
        first["provenance"][arn("Dev").as_str()][0]["via"],
        "principal"
    );
    assert_eq!(first["cluster"]["name"], "prod-1");
    assert_eq!(first["operations"][0]["op"], "create_entry");
    assert_eq!(
        first["operations"][0]["entry"]["username"],
        serde_json::Value::Null
    );
    assert_eq!(first["operations"][3]["op"], "associate_policy");
    assert_eq!(first["operations"][3]["before"]["type"], "namespace");
    assert_eq!(
        first["operations"][5]["reason"]["kind"],
        "no_longer_desired"
    );
    assert_eq!(first["refused"], serde_json::Value::Null);
    assert_eq!(
        first["withheld"],
        serde_json::json!([]),
        "version 2 always says what was held"
    );
    assert_eq!(
        value["clusters"][1]["skipped"][0]["reason"]["kind"],
        "cluster_not_active"
    );
    let clusters: Vec<ClusterPlan> = serde_json::from_value(value["clusters"].clone()).unwrap();
    assert_eq!(
        clusters, plan.clusters,
        "the JSON reads back into the same plan"
    );
}

#[test]
fn a_cluster_missing_from_actual_is_planned_as_empty() {
    let plan = sample_plan();
    assert_eq!(plan.clusters.len(), 2);
    assert_eq!(plan.clusters[1].cluster, cluster_ref("prod-2"));
    let mut state = DesiredState::default();
    state.clusters.insert(
        cluster_ref("prod-1"),
        cluster(vec![want("Dev", 1, &[], &[])]),
    );
    let planned = super::plan(&state, &BTreeMap::new(), &PlanOptions::default());
    assert_eq!(kinds(&planned.clusters[0]), ["create"]);
}

#[test]
fn rendered_table_marks_recreate_tag_username_skips_conflicts_and_refusal() {
    let admin = want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]);
    let mut named = want("Named", 2, &[], &[]);
    let old_named = named.clone();
    named.username = Some(Username::new("alice").unwrap());
    named.sources = crate::desired::sources_named(["rule-a", "rule-b"]);
    let new_role = want("Dev", 3, &[], &[]);
    let mut desired = cluster(vec![admin.clone(), named, new_role]);
    desired.held.insert(
        arn("Shared"),
        Conflict {
            principal: arn("Shared"),
            rules: crate::domain::rule_names(["a", "b"]),
            detail: "Edit vs View".into(),
        },
    );
    let actual = vec![
        managed(&admin),
        managed(&old_named),
        managed(&want("Dev", 1, &[], &[])),
    ];
    let table = render_table(&AccessPlan {
        clusters: vec![plan_cluster(&desired, &actual, &PlanOptions::default())],
    });
    let named_arn = arn("Named");
    for line in [
        format!(
            "  ~ recreate {} (role recreated: id {} -> {}) (rules rule-a)",
            arn("Dev"),
            role_id(1),
            role_id(3)
        ),
        format!(
            "  ~ tag {named_arn} eks-sso-sync:managed=true eks-sso-sync:role-id={} eks-sso-sync:rules=rule-a,rule-b (rules rule-a, rule-b)",
            role_id(2)
        ),
        format!(
            "  ~ update {named_arn} groups [] -> [] username {} -> alice (rules rule-a, rule-b)",
            default_username(&named_arn)
        ),
        format!(
            "  ! skipped {}: shared-role conflict - rules a, b disagree (Edit vs View); no entry is created until they agree",
            arn("Shared")
        ),
        format!("  ! conflict {}: rules a, b - Edit vs View", arn("Shared")),
    ] {
        assert!(
            table.lines().any(|l| l == line),
            "missing {line:?} in\n{table}"
        );
    }

    // The same cluster told to drop its only admin: the refusal heads the cluster's lines.
    let prune = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let refused = plan_cluster(&cluster(vec![]), &[managed(&admin)], &prune);
    let table = render_table(&AccessPlan {
        clusters: vec![refused],
    });
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "cluster 111122223333/eu-west-1/prod-1: 0 to add, 0 to change, 0 to remove"
    );
    assert!(
        lines[1].starts_with(
            "  ! REFUSED: this plan would leave cluster 111122223333/eu-west-1/prod-1"
        ),
        "{table}"
    );
    assert!(
        lines[2].starts_with("  ! withheld (lockout guard) - delete "),
        "{table}"
    );
    assert_eq!(lines.len(), 3, "{table}");
}

#[test]
fn every_planned_principal_carries_the_rules_behind_it() {
    // A desired entry names the rules producing it; an entry no rule produces any more names
    // the rules its tag recorded; an unmanaged admin nobody named has none.
    let mut dev = want("Dev", 2, &[], &[("Edit", ns(&["a"]))]);
    let group = |g: &str| crate::domain::GroupName::new(g).unwrap();
    dev.sources = crate::desired::sources_named(["oncall"]);
    dev.sources.push(crate::desired::RuleSource {
        rule: RuleName::new("payments").unwrap(),
        via: crate::desired::RuleVia::PermissionSet {
            permission_set: crate::domain::PermissionSetName::new("EKSTeam-payments").unwrap(),
            captures: BTreeMap::from([("team".to_owned(), "payments".to_owned())]),
            groups_filter: Some(BTreeSet::from([group("payments-devs")])),
            assigned_to: BTreeSet::from([group("payments-devs")]),
        },
    });
    let admin = want("Admin", 1, &[], &[(ADMIN, AccessScope::Cluster)]);
    let mut gone = want("Gone", 3, &[], &[]);
    gone.sources = crate::desired::sources_named(["retired-rule"]);
    let options = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let plan = plan_cluster(
        &cluster(vec![admin.clone(), dev]),
        &[managed(&admin), managed(&gone)],
        &options,
    );
    let rules = |name: &str| {
        plan.provenance
            .get(&arn(name))
            .map(|r| r.iter().map(|s| s.rule.as_str()).collect::<Vec<_>>())
    };
    assert_eq!(rules("Dev"), Some(vec!["oncall", "payments"]));
    assert_eq!(rules("Gone"), Some(vec!["retired-rule"]));
    assert_eq!(rules("Admin"), None, "not in the plan: nothing to change");
    let table = render_table(&AccessPlan {
        clusters: vec![plan.clone()],
    });
    assert!(table.contains("(rules oncall, payments)"), "{table}");
    assert!(table.contains("(rules retired-rule)"), "{table}");
    let why = format!(
        "  why {}: payments (EKSTeam-payments: team=payments; groups payments-devs)\n",
        arn("Dev")
    );
    assert!(table.contains(&why), "{table}");
    assert!(!table.contains(&format!("why {}", arn("Gone"))), "{table}");
    let json: serde_json::Value = serde_json::from_str(&to_json(&AccessPlan {
        clusters: vec![plan],
    }))
    .unwrap();
    let payments = &json["clusters"][0]["provenance"][arn("Dev").as_str()][1];
    assert_eq!(payments["permission_set"], "EKSTeam-payments");
    assert_eq!(payments["captures"]["team"], "payments");
    assert_eq!(
        payments["groups_filter"],
        serde_json::json!(["payments-devs"])
    );
}
