//! Identity Store and SSO Admin through the AWS CLI.

use super::{Cli, DEFAULT, MEMBER, MEMBER_EU, s};

pub async fn identity_center(cli: &Cli) {
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
