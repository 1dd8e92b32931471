//! Official-client conformance: the AWS CLI (botocore, which checks answers against AWS's own
//! service models) runs against the in-process emulator for the emulated operations of every
//! service, and the parsed JSON answers are asserted on. Groups of calls run concurrently.

use std::process::Output;

use eks_sso_sync_emulator::{Emulator, EmulatorConfig, RunningEmulator, Seed};
use serde_json::Value;
use tokio::process::Command;

const SEED: &str = include_str!("fixtures/seed.yaml");
const MEMBER: &str = "222222222222";

/// How to reach the emulator with the CLI.
#[derive(Clone)]
struct Cli {
    endpoint: String,
}

/// Credentials and region of one CLI call.
#[derive(Clone, Copy)]
struct As<'a> {
    key: &'a str,
    session_token: Option<&'a str>,
    region: &'a str,
}

const DEFAULT: As<'static> = As {
    key: "test",
    session_token: None,
    region: "eu-west-1",
};
const MEMBER_EU: As<'static> = As {
    key: MEMBER,
    session_token: None,
    region: "eu-west-1",
};

impl Cli {
    async fn run(&self, who: As<'_>, args: &[&str]) -> Output {
        let mut command = Command::new("aws");
        command
            .args(args)
            .args([
                "--endpoint-url",
                &self.endpoint,
                "--output",
                "json",
                "--region",
                who.region,
            ])
            .env("AWS_ACCESS_KEY_ID", who.key)
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", who.region)
            .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/aws-credentials",
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_SESSION_TOKEN");
        if let Some(token) = who.session_token {
            command.env("AWS_SESSION_TOKEN", token);
        }
        command.output().await.unwrap_or_else(|err| {
            panic!("cannot run the AWS CLI `aws` ({err}); install it with `pip install awscli` (scripts/test.sh does)")
        })
    }

    /// Runs a call that must succeed and returns its parsed JSON answer (`null` for no output).
    async fn ok(&self, who: As<'_>, args: &[&str]) -> Value {
        let out = self.run(who, args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "aws {} failed: {stderr}",
            args.join(" ")
        );
        if out.stdout.iter().all(u8::is_ascii_whitespace) {
            return Value::Null;
        }
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|err| panic!("aws {}: not JSON ({err})", args.join(" ")))
    }

    /// Runs a call that must fail with `code`.
    async fn fails(&self, who: As<'_>, args: &[&str], code: &str) {
        let out = self.run(who, args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "aws {} should fail", args.join(" "));
        assert!(
            stderr.contains(&format!("({code})")),
            "aws {}: expected {code}, got {stderr}",
            args.join(" ")
        );
    }
}

async fn start() -> (RunningEmulator, Cli) {
    let config = EmulatorConfig {
        seed: Some(Seed::from_yaml(SEED).unwrap()),
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config).await.unwrap();
    let cli = Cli {
        endpoint: emulator.endpoint.clone(),
    };
    (emulator, cli)
}

fn s(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_accepts_every_service_s_answers() {
    let probe = Command::new("aws").arg("--version").output().await;
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "the AWS CLI `aws` is not installed: `pip install awscli` (scripts/test.sh installs it)"
    );
    let (emulator, cli) = start().await;
    tokio::join!(
        eks_clusters(&cli, &emulator),
        eks_entries(&cli),
        iam_and_sts(&cli),
        identity_center(&cli),
        sqs(&cli)
    );
    emulator.shutdown().await;
}

async fn eks_clusters(cli: &Cli, emulator: &RunningEmulator) {
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

async fn eks_entries(cli: &Cli) {
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

async fn iam_and_sts(cli: &Cli) {
    let created = cli
        .ok(
            DEFAULT,
            &[
                "iam",
                "create-role",
                "--role-name",
                "cli-role",
                "--path",
                "/team/",
                "--assume-role-policy-document",
                "{\"Version\":\"2012-10-17\",\"Statement\":[]}",
            ],
        )
        .await;
    assert!(s(&created["Role"]["RoleId"]).starts_with("AROA"));
    assert_eq!(
        s(&created["Role"]["Arn"]),
        "arn:aws:iam::111111111111:role/team/cli-role"
    );
    let sso_roles = cli
        .ok(
            MEMBER_EU,
            &[
                "iam",
                "list-roles",
                "--path-prefix",
                "/aws-reserved/sso.amazonaws.com/",
            ],
        )
        .await;
    let names: Vec<&str> = sso_roles["Roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| s(&r["RoleName"]))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("AWSReservedSSO_")));
    cli.fails(
        DEFAULT,
        &["iam", "get-role", "--role-name", "ghost"],
        "NoSuchEntity",
    )
    .await;
    let me = cli.ok(DEFAULT, &["sts", "get-caller-identity"]).await;
    assert_eq!(s(&me["Account"]), "111111111111");
    let assumed = cli
        .ok(
            DEFAULT,
            &[
                "sts",
                "assume-role",
                "--role-arn",
                "arn:aws:iam::222222222222:role/ci-deployer",
                "--role-session-name",
                "cli",
            ],
        )
        .await;
    let creds = &assumed["Credentials"];
    let who = As {
        key: s(&creds["AccessKeyId"]),
        session_token: Some(s(&creds["SessionToken"])),
        region: "eu-west-1",
    };
    let me = cli.ok(who, &["sts", "get-caller-identity"]).await;
    assert_eq!(
        s(&me["Arn"]),
        "arn:aws:sts::222222222222:assumed-role/ci-deployer/cli"
    );
}

async fn identity_center(cli: &Cli) {
    let store = ["--identity-store-id", "d-1234567890"];
    let with = |rest: &[&'static str]| [rest, store.as_slice()].concat();
    let group = cli
        .ok(
            DEFAULT,
            &with(&[
                "identitystore",
                "create-group",
                "--display-name",
                "cli-group",
            ]),
        )
        .await;
    let group_id = s(&group["GroupId"]).to_owned();
    let found = cli
        .ok(
            DEFAULT,
            &with(&[
                "identitystore",
                "list-groups",
                "--filters",
                "AttributePath=DisplayName,AttributeValue=cli-group",
            ]),
        )
        .await;
    assert_eq!(s(&found["Groups"][0]["GroupId"]), group_id);
    let by_name = cli
        .ok(DEFAULT, &with(&["identitystore", "get-group-id", "--alternate-identifier", r#"{"UniqueAttribute":{"AttributePath":"displayName","AttributeValue":"cli-group"}}"#]))
        .await;
    assert_eq!(s(&by_name["GroupId"]), group_id);
    let user = cli
        .ok(
            DEFAULT,
            &with(&[
                "identitystore",
                "create-user",
                "--user-name",
                "cli-user",
                "--display-name",
                "Cli User",
                "--name",
                "GivenName=Cli,FamilyName=User",
            ]),
        )
        .await;
    let user_id = s(&user["UserId"]).to_owned();
    let member = format!("UserId={user_id}");
    cli.ok(
        DEFAULT,
        &[
            &with(&["identitystore", "create-group-membership"])[..],
            &["--group-id", &group_id, "--member-id", &member],
        ]
        .concat(),
    )
    .await;
    let memberships = cli
        .ok(
            DEFAULT,
            &[
                &with(&["identitystore", "list-group-memberships-for-member"])[..],
                &["--member-id", &member],
            ]
            .concat(),
        )
        .await;
    assert_eq!(s(&memberships["GroupMemberships"][0]["GroupId"]), group_id);
    cli.fails(
        DEFAULT,
        &with(&["identitystore", "describe-group", "--group-id", "missing"]),
        "ResourceNotFoundException",
    )
    .await;
    sso_admin(cli, &group_id).await;
}

async fn sso_admin(cli: &Cli, group_id: &str) {
    let instances = cli.ok(DEFAULT, &["sso-admin", "list-instances"]).await;
    let instance = s(&instances["Instances"][0]["InstanceArn"]).to_owned();
    let inst = ["--instance-arn", instance.as_str()];
    let set = cli
        .ok(
            DEFAULT,
            &[
                &["sso-admin", "create-permission-set", "--name", "CliSet"][..],
                &inst,
            ]
            .concat(),
        )
        .await;
    let set_arn = s(&set["PermissionSet"]["PermissionSetArn"]).to_owned();
    let assignment = [
        "--target-id",
        MEMBER,
        "--target-type",
        "AWS_ACCOUNT",
        "--permission-set-arn",
        &set_arn,
        "--principal-type",
        "GROUP",
        "--principal-id",
        group_id,
    ];
    let created = cli
        .ok(
            DEFAULT,
            &[
                &["sso-admin", "create-account-assignment"][..],
                &inst,
                &assignment,
            ]
            .concat(),
        )
        .await;
    assert_eq!(
        s(&created["AccountAssignmentCreationStatus"]["Status"]),
        "SUCCEEDED"
    );
    let roles = cli
        .ok(
            MEMBER_EU,
            &[
                "iam",
                "list-roles",
                "--path-prefix",
                "/aws-reserved/sso.amazonaws.com/eu-west-1/",
            ],
        )
        .await;
    assert!(
        roles["Roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| s(&r["RoleName"]).starts_with("AWSReservedSSO_CliSet_"))
    );
    let listed = cli
        .ok(
            DEFAULT,
            &[
                &[
                    "sso-admin",
                    "list-account-assignments",
                    "--account-id",
                    MEMBER,
                    "--permission-set-arn",
                    &set_arn,
                ][..],
                &inst,
            ]
            .concat(),
        )
        .await;
    assert_eq!(s(&listed["AccountAssignments"][0]["PrincipalId"]), group_id);
    let accounts = cli
        .ok(
            DEFAULT,
            &[
                &[
                    "sso-admin",
                    "list-accounts-for-provisioned-permission-set",
                    "--permission-set-arn",
                    &set_arn,
                ][..],
                &inst,
            ]
            .concat(),
        )
        .await;
    assert_eq!(accounts["AccountIds"], serde_json::json!([MEMBER]));
    let deleted = cli
        .ok(
            DEFAULT,
            &[
                &["sso-admin", "delete-account-assignment"][..],
                &inst,
                &assignment,
            ]
            .concat(),
        )
        .await;
    assert_eq!(
        s(&deleted["AccountAssignmentDeletionStatus"]["Status"]),
        "SUCCEEDED"
    );
}

async fn sqs(cli: &Cli) {
    let created = cli
        .ok(
            DEFAULT,
            &[
                "sqs",
                "create-queue",
                "--queue-name",
                "jobs.fifo",
                "--attributes",
                "FifoQueue=true,ContentBasedDeduplication=true",
            ],
        )
        .await;
    let url = s(&created["QueueUrl"]).to_owned();
    assert!(url.ends_with("/111111111111/jobs.fifo"), "{url}");
    let sent = cli
        .ok(
            DEFAULT,
            &[
                "sqs",
                "send-message",
                "--queue-url",
                &url,
                "--message-body",
                "c1",
                "--message-group-id",
                "c1",
            ],
        )
        .await;
    assert_eq!(
        s(&sent["MD5OfMessageBody"]),
        "a9f7e97965d6cf799a529102a973b8b9"
    );
    let entries = r#"[{"Id":"a","MessageBody":"c1","MessageGroupId":"c1"},{"Id":"b","MessageBody":"c2","MessageGroupId":"c2"}]"#;
    let batch = cli
        .ok(
            DEFAULT,
            &[
                "sqs",
                "send-message-batch",
                "--queue-url",
                &url,
                "--entries",
                entries,
            ],
        )
        .await;
    assert_eq!(batch["Successful"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        batch["Successful"][0]["MessageId"], sent["MessageId"],
        "content-based deduplication"
    );
    let received = cli
        .ok(
            DEFAULT,
            &[
                "sqs",
                "receive-message",
                "--queue-url",
                &url,
                "--max-number-of-messages",
                "10",
                "--attribute-names",
                "All",
            ],
        )
        .await;
    let messages = received["Messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        s(&messages[0]["Attributes"]["ApproximateReceiveCount"]),
        "1"
    );
    cli.ok(
        DEFAULT,
        &[
            "sqs",
            "delete-message",
            "--queue-url",
            &url,
            "--receipt-handle",
            s(&messages[0]["ReceiptHandle"]),
        ],
    )
    .await;
}
