//! Unit tests of the request-context builder, the IAM log and enforcement, on pure state.

use serde_json::{Value, json};

use super::log::{IamLog, IamLogRecord};
use super::*;
use crate::clock::Clock;
use crate::services::{eks, iam};
use crate::world::{Session, WorldSettings};

const ACCOUNT: &str = "111111111111";
const SSO_ROLE: &str = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_0123456789abcdef";

fn world() -> World {
    let mut w = World::new(
        WorldSettings::default(),
        Clock::fixed(time::macros::datetime!(2024-05-01 0:00 UTC)),
    );
    let old = w.now() - time::Duration::days(1);
    let path = "/aws-reserved/sso.amazonaws.com/eu-west-1/";
    iam::insert_role(
        &mut w,
        ACCOUNT,
        "AWSReservedSSO_Dev_0123456789abcdef",
        path,
        "{}",
        old,
    )
    .unwrap();
    iam::insert_role(&mut w, ACCOUNT, "sync", "/eks-sso-sync/", "{}", old).unwrap();
    let create = json!({"name": "prod", "roleArn": "r", "tags": {"env": "prod"},
        "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"}});
    eks::dispatch(&mut w, &admin(), "CreateCluster", &create).unwrap();
    w.clock.advance(600.0);
    w.tick();
    w
}

fn admin() -> Caller {
    Caller::account(ACCOUNT, "eu-west-1")
}

fn session() -> Caller {
    admin().with_session(Session {
        account: ACCOUNT.to_owned(),
        role_name: "sync".to_owned(),
        session_name: "reconciler".to_owned(),
    })
}

fn eks_auths(w: &World, op: &str, input: &Value) -> Vec<Authorization> {
    let params = Params::new();
    let request = Request {
        service: "eks",
        operation: op,
        json: input,
        params: &params,
    };
    authorizations(w, &session(), request)
}

fn value(auth: &Authorization, key: &str) -> Option<ContextValue> {
    auth.context.get(key).cloned()
}

fn one(v: &str) -> Option<ContextValue> {
    Some(ContextValue::One(v.to_owned()))
}

#[test]
fn create_with_tags_authorizes_the_cluster_and_tagging_the_entry_it_will_create() {
    let mut w = world();
    let input = json!({"name": "prod", "principalArn": SSO_ROLE, "type": "STANDARD",
        "kubernetesGroups": ["devs"], "tags": {"eks-sso-sync:managed": "true"}});
    let auths = eks_auths(&w, "CreateAccessEntry", &input);
    let create = &auths[0];
    assert_eq!(create.action, "eks:CreateAccessEntry");
    assert_eq!(
        create.resource,
        "arn:aws:eks:eu-west-1:111111111111:cluster/prod"
    );
    assert_eq!(value(create, "eks:principalArn"), one(SSO_ROLE));
    assert_eq!(value(create, "eks:accessEntryType"), one("STANDARD"));
    assert_eq!(
        value(create, "eks:kubernetesGroups"),
        Some(ContextValue::Many(vec!["devs".into()]))
    );
    assert_eq!(value(create, "aws:ResourceTag/env"), one("prod"));
    assert_eq!(
        value(create, "aws:RequestTag/eks-sso-sync:managed"),
        one("true")
    );
    assert_eq!(
        value(create, "aws:PrincipalArn"),
        one("arn:aws:iam::111111111111:role/eks-sso-sync/sync")
    );
    assert_eq!(value(create, "eks:username"), None);
    let tag = &auths[1];
    assert_eq!(tag.action, "eks:TagResource");
    let created = eks::dispatch(&mut w, &admin(), "CreateAccessEntry", &input).unwrap();
    assert_eq!(
        tag.resource,
        created["accessEntry"]["accessEntryArn"].as_str().unwrap()
    );
    assert!(
        tag.resource
            .contains(":access-entry/prod/role/111111111111/AWSReservedSSO_Dev_0123456789abcdef/")
    );
}

#[test]
fn entry_actions_carry_the_entry_tags_and_the_request_keys() {
    let mut w = world();
    let input =
        json!({"name": "prod", "principalArn": SSO_ROLE, "tags": {"eks-sso-sync:managed": "true"}});
    eks::dispatch(&mut w, &admin(), "CreateAccessEntry", &input).unwrap();
    let assoc = json!({"name": "prod", "principalArn": SSO_ROLE, "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
        "accessScope": {"type": "namespace", "namespaces": ["a", "b-*"]}});
    let auth = &eks_auths(&w, "AssociateAccessPolicy", &assoc)[0];
    assert!(
        auth.resource
            .starts_with("arn:aws:eks:eu-west-1:111111111111:access-entry/prod/role/")
    );
    assert_eq!(
        value(auth, "aws:ResourceTag/eks-sso-sync:managed"),
        one("true")
    );
    assert_eq!(value(auth, "eks:accessScope"), one("namespace"));
    assert_eq!(
        value(auth, "eks:namespaces"),
        Some(ContextValue::Many(vec!["a".into(), "b-*".into()]))
    );
    assert_eq!(
        value(auth, "eks:policyArn"),
        one("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
    );
    let delete = &eks_auths(
        &w,
        "DeleteAccessEntry",
        &json!({"name": "prod", "principalArn": SSO_ROLE}),
    )[0];
    assert_eq!(delete.resource, auth.resource);
    assert_eq!(value(delete, "eks:clusterName"), one("prod"));
    assert_eq!(value(delete, "eks:policyArn"), None);
    let missing = "arn:aws:iam::111111111111:role/other";
    let gone = &eks_auths(
        &w,
        "DescribeAccessEntry",
        &json!({"name": "prod", "principalArn": missing}),
    )[0];
    assert!(
        gone.resource
            .ends_with("/role/111111111111/other/00000000-0000-0000-0000-000000000000")
    );
    let untag = &eks_auths(
        &w,
        "UntagResource",
        &json!({"resourceArn": auth.resource, "tagKeys": ["eks-sso-sync:managed"]}),
    )[0];
    assert_eq!(
        value(untag, "aws:TagKeys"),
        Some(ContextValue::Many(vec!["eks-sso-sync:managed".into()]))
    );
    let mode = &eks_auths(
        &w,
        "UpdateClusterConfig",
        &json!({"name": "prod", "accessConfig": {"authenticationMode": "API"}}),
    )[0];
    assert_eq!(value(mode, "eks:authenticationMode"), one("API"));
}

#[test]
fn other_services_name_every_required_resource() {
    let w = world();
    let params: Params = [(
        "RoleArn".to_owned(),
        "arn:aws:iam::222222222222:role/x".to_owned(),
    )]
    .into();
    let sso_input = json!({"InstanceArn": "arn:aws:sso:::instance/ssoins-1", "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-1/ps-1", "AccountId": "222222222222"});
    let cases: Vec<(&str, &str, Value, Vec<&str>)> = vec![
        ("sso", "ListInstances", json!({}), vec!["*"]),
        (
            "sso",
            "ListAccountAssignments",
            sso_input.clone(),
            vec![
                "arn:aws:sso:::account/222222222222",
                "arn:aws:sso:::instance/ssoins-1",
                "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
            ],
        ),
        (
            "identitystore",
            "GetGroupId",
            json!({"IdentityStoreId": "d-1"}),
            vec![
                "arn:aws:identitystore:::group/*",
                "arn:aws:identitystore::111111111111:identitystore/d-1",
            ],
        ),
        (
            "sqs",
            "SendMessageBatch",
            json!({"QueueUrl": "http://h/111111111111/jobs.fifo"}),
            vec!["arn:aws:sqs:eu-west-1:111111111111:jobs.fifo"],
        ),
    ];
    for (service, op, input, resources) in cases {
        let request = Request {
            service,
            operation: op,
            json: &input,
            params: &Params::new(),
        };
        let got: Vec<String> = authorizations(&w, &session(), request)
            .into_iter()
            .map(|a| a.resource)
            .collect();
        assert_eq!(got, resources, "{service}:{op}");
    }
    let request = Request {
        service: "sts",
        operation: "AssumeRole",
        json: &json!({}),
        params: &params,
    };
    assert_eq!(
        authorizations(&w, &session(), request)[0].resource,
        "arn:aws:iam::222222222222:role/x"
    );
    let list = Request {
        service: "iam",
        operation: "ListRoles",
        json: &json!({}),
        params: &Params::new(),
    };
    let auth = &authorizations(&w, &session(), list)[0];
    assert_eq!(
        (
            auth.action.as_str(),
            auth.resource.as_str(),
            value(auth, "aws:RequestedRegion")
        ),
        ("iam:ListRoles", "*", None)
    );
}

#[test]
fn the_log_holds_one_json_line_per_authorization_of_assumed_role_calls_only() {
    let w = world();
    let path = std::env::temp_dir().join(format!("iam-log-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let log = IamLog::open(Some(&path)).unwrap();
    let params = Params::new();
    let input = json!({"name": "prod"});
    let request = Request {
        service: "eks",
        operation: "DescribeCluster",
        json: &input,
        params: &params,
    };
    authorize(&w, &log, &session(), request).unwrap();
    authorize(&w, &log, &admin(), request).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let records: Vec<IamLogRecord> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].principal,
        "arn:aws:iam::111111111111:role/eks-sso-sync/sync"
    );
    assert_eq!(records[0].action, "eks:DescribeCluster");
    assert_eq!(
        records[0].context.get("aws:ResourceTag/env"),
        Some(&ContextValue::One("prod".into()))
    );
    let _ = std::fs::remove_file(&path);
}

#[test]
fn enforced_roles_are_refused_with_the_aws_message_and_others_are_not_enforced() {
    let mut w = world();
    let log = IamLog::default();
    let params = Params::new();
    let input = json!({"name": "prod", "principalArn": SSO_ROLE});
    let delete = Request {
        service: "eks",
        operation: "DeleteAccessEntry",
        json: &input,
        params: &params,
    };
    assert!(
        authorize(&w, &log, &session(), delete).is_ok(),
        "a role without policies is not enforced"
    );
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:Describe*","Resource":"*"},
        {"Effect":"Deny","Action":"eks:DescribeAccessEntry","Resource":"*"}]}"#;
    let policy = crate::services::iam_policies::parse_policy(doc).unwrap();
    w.iam_policies
        .inline
        .entry((ACCOUNT.to_owned(), "sync".to_owned()))
        .or_default()
        .insert("p".into(), policy);
    let err = authorize(&w, &log, &session(), delete).unwrap_err();
    assert_eq!(
        (err.status, err.code.as_str()),
        (403, "AccessDeniedException")
    );
    assert!(err.message.starts_with("User: arn:aws:sts::111111111111:assumed-role/sync/reconciler is not authorized to perform: eks:DeleteAccessEntry on resource: arn:aws:eks:eu-west-1:111111111111:access-entry/prod/role/111111111111/AWSReservedSSO_Dev_0123456789abcdef/"), "{}", err.message);
    assert!(
        err.message
            .ends_with("because no identity-based policy allows the eks:DeleteAccessEntry action")
    );
    let describe = Request {
        operation: "DescribeAccessEntry",
        ..delete
    };
    assert!(
        authorize(&w, &log, &session(), describe)
            .unwrap_err()
            .message
            .ends_with("with an explicit deny in an identity-based policy")
    );
    let cluster = Request {
        operation: "DescribeCluster",
        ..delete
    };
    assert!(authorize(&w, &log, &session(), cluster).is_ok());
}

#[test]
fn the_log_carries_the_emulators_decision_for_enforced_roles_only() {
    let mut w = world();
    let path = std::env::temp_dir().join(format!("iam-log-dec-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let log = IamLog::open(Some(&path)).unwrap();
    let params = Params::new();
    let input = json!({"name": "prod", "principalArn": SSO_ROLE});
    let request = |operation| Request {
        service: "eks",
        operation,
        json: &input,
        params: &params,
    };
    authorize(&w, &log, &session(), request("DescribeCluster")).unwrap();
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:DescribeCluster","Resource":"*"}]}"#;
    let policy = crate::services::iam_policies::parse_policy(doc).unwrap();
    w.iam_policies
        .inline
        .entry((ACCOUNT.to_owned(), "sync".to_owned()))
        .or_default()
        .insert("p".into(), policy);
    authorize(&w, &log, &session(), request("DescribeCluster")).unwrap();
    authorize(&w, &log, &session(), request("DeleteAccessEntry")).unwrap_err();
    let decisions: Vec<Option<String>> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<IamLogRecord>(l)
                .unwrap()
                .emulator_decision
        })
        .collect();
    assert_eq!(
        decisions,
        [
            None,
            Some("Allowed".into()),
            Some("ImplicitlyDenied".into())
        ]
    );
    let _ = std::fs::remove_file(&path);
}
