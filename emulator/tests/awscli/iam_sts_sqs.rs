//! IAM, STS and SQS through the AWS CLI.

use super::{As, Cli, DEFAULT, MEMBER_EU, s};

pub async fn iam_and_sts(cli: &Cli) {
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

pub async fn sqs(cli: &Cli) {
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
