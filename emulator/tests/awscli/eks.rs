//! EKS through the AWS CLI: clusters, access entries and policies.

use eks_sso_sync_emulator::RunningEmulator;

use super::{As, Cli, DEFAULT, MEMBER_EU, s};

pub async fn eks_clusters(cli: &Cli, emulator: &RunningEmulator) {
    let created = cli
        .ok(
            DEFAULT,
            &[
                "eks",
                "create-cluster",
                "--name",
                "cli-1",
                "--role-arn",
                "arn:aws:iam::111111111111:role/admin",
                "--resources-vpc-config",
                "subnetIds=subnet-1",
                "--access-config",
                "authenticationMode=API",
            ],
        )
        .await;
    assert_eq!(s(&created["cluster"]["status"]), "CREATING");
    emulator.settle_clusters();
    let described = cli
        .ok(DEFAULT, &["eks", "describe-cluster", "--name", "cli-1"])
        .await;
    assert_eq!(s(&described["cluster"]["status"]), "ACTIVE");
    assert_eq!(
        s(&described["cluster"]["accessConfig"]["authenticationMode"]),
        "API"
    );
    let member_us = As {
        region: "us-east-1",
        ..MEMBER_EU
    };
    let update = cli
        .ok(
            member_us,
            &[
                "eks",
                "update-cluster-config",
                "--name",
                "legacy",
                "--access-config",
                "authenticationMode=API_AND_CONFIG_MAP",
            ],
        )
        .await;
    assert_eq!(
        (s(&update["update"]["type"]), s(&update["update"]["status"])),
        ("AccessConfigUpdate", "InProgress")
    );
    let listed = cli.ok(DEFAULT, &["eks", "list-clusters"]).await;
    assert_eq!(listed["clusters"], serde_json::json!(["cli-1"]));
    let deleted = cli
        .ok(DEFAULT, &["eks", "delete-cluster", "--name", "cli-1"])
        .await;
    assert_eq!(s(&deleted["cluster"]["status"]), "DELETING");
    cli.fails(
        DEFAULT,
        &["eks", "describe-cluster", "--name", "cli-1"],
        "ResourceNotFoundException",
    )
    .await;
}

pub async fn eks_entries(cli: &Cli) {
    let cluster = ["--cluster-name", "prod-1"];
    let with = |rest: &[&'static str]| [rest, cluster.as_slice()].concat();
    cli.fails(
        MEMBER_EU,
        &with(&[
            "eks",
            "create-access-entry",
            "--principal-arn",
            "arn:aws:iam::222222222222:role/node-role",
        ]),
        "InvalidParameterException",
    )
    .await;
    let dev = "arn:aws:iam::222222222222:role/ci-deployer";
    cli.ok(
        MEMBER_EU,
        &with(&["eks", "delete-access-entry", "--principal-arn", dev]),
    )
    .await;
    let created = cli
        .ok(
            MEMBER_EU,
            &with(&[
                "eks",
                "create-access-entry",
                "--principal-arn",
                dev,
                "--kubernetes-groups",
                "deployers",
                "--tags",
                "managed-by=test",
            ]),
        )
        .await;
    let entry = &created["accessEntry"];
    assert_eq!(
        (s(&entry["type"]), s(&entry["username"])),
        (
            "STANDARD",
            "arn:aws:sts::222222222222:assumed-role/ci-deployer/{{SessionName}}"
        )
    );
    let entry_arn = s(&entry["accessEntryArn"]).to_owned();
    let updated = cli
        .ok(
            MEMBER_EU,
            &with(&[
                "eks",
                "update-access-entry",
                "--principal-arn",
                dev,
                "--kubernetes-groups",
                "a",
                "b",
            ]),
        )
        .await;
    assert_eq!(
        updated["accessEntry"]["kubernetesGroups"],
        serde_json::json!(["a", "b"])
    );
    let policy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";
    let associated = cli
        .ok(
            MEMBER_EU,
            &with(&[
                "eks",
                "associate-access-policy",
                "--principal-arn",
                dev,
                "--policy-arn",
                policy,
                "--access-scope",
                "type=namespace,namespaces=ci,ci-*",
            ]),
        )
        .await;
    assert_eq!(
        associated["associatedAccessPolicy"]["accessScope"]["namespaces"],
        serde_json::json!(["ci", "ci-*"])
    );
    let policies = cli
        .ok(
            MEMBER_EU,
            &with(&[
                "eks",
                "list-associated-access-policies",
                "--principal-arn",
                dev,
            ]),
        )
        .await;
    assert_eq!(
        s(&policies["associatedAccessPolicies"][0]["policyArn"]),
        policy
    );
    cli.ok(
        MEMBER_EU,
        &with(&[
            "eks",
            "disassociate-access-policy",
            "--principal-arn",
            dev,
            "--policy-arn",
            policy,
        ]),
    )
    .await;
    cli.ok(
        MEMBER_EU,
        &[
            "eks",
            "tag-resource",
            "--resource-arn",
            &entry_arn,
            "--tags",
            "team=platform",
        ],
    )
    .await;
    let described = cli
        .ok(
            MEMBER_EU,
            &with(&["eks", "describe-access-entry", "--principal-arn", dev]),
        )
        .await;
    assert_eq!(
        described["accessEntry"]["tags"],
        serde_json::json!({"managed-by": "test", "team": "platform"})
    );
    // --page-size makes the CLI paginate with maxResults=1 and follow every nextToken.
    let listed = cli
        .ok(
            MEMBER_EU,
            &with(&["eks", "list-access-entries", "--page-size", "1"]),
        )
        .await;
    assert_eq!(listed["accessEntries"].as_array().map(Vec::len), Some(4));
    let catalogue = cli.ok(MEMBER_EU, &["eks", "list-access-policies"]).await;
    assert!(
        catalogue["accessPolicies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "AmazonEKSClusterAdminPolicy")
    );
}
