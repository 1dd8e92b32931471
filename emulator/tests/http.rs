//! HTTP-level tests: realistic request shapes (SigV4-style `Authorization`) for each protocol,
//! their error shapes, unknown operations and the admin API.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod common;

use common::{Calls, error_type, start};
use serde_json::{Value, json};

#[tokio::test]
async fn eks_rest_json_answers_and_errors() {
    let emulator = start().await;
    let calls = Calls::new(&emulator);
    let created = calls.eks("test", reqwest::Method::POST, "/clusters", Some(json!({"name": "c1", "roleArn": "arn:aws:iam::111111111111:role/r", "resourcesVpcConfig": {}}))).await;
    assert_eq!(created.status(), 200);
    let body: Value = created.json().await.unwrap();
    assert_eq!(
        (
            body["cluster"]["status"].as_str(),
            body["cluster"]["createdAt"].is_f64()
        ),
        (Some("CREATING"), true)
    );

    let missing = calls
        .eks("test", reqwest::Method::GET, "/clusters/nope", None)
        .await;
    assert_eq!(
        (missing.status().as_u16(), error_type(&missing)),
        (404, "ResourceNotFoundException".to_owned())
    );
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["__type"], "ResourceNotFoundException");
    assert!(body["message"].as_str().unwrap().contains("nope"));

    let unknown = calls
        .eks("test", reqwest::Method::PUT, "/clusters/c1/whatever", None)
        .await;
    assert_eq!(
        (unknown.status().as_u16(), error_type(&unknown)),
        (404, "UnknownOperationException".to_owned())
    );

    // The member account's cluster, reached with the account id as access key; the ARN is percent-encoded.
    let principal = "arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Feks%2Fnode-role";
    let entry = calls
        .eks(
            "222222222222",
            reqwest::Method::GET,
            &format!("/clusters/prod-1/access-entries/{principal}"),
            None,
        )
        .await;
    assert_eq!(entry.status(), 200);
    let body: Value = entry.json().await.unwrap();
    assert_eq!(body["accessEntry"]["type"], "EC2_LINUX");
    emulator.shutdown().await;
}

#[tokio::test]
async fn query_protocols_answer_xml_and_assumed_keys_land_in_the_target_account() {
    let emulator = start().await;
    let calls = Calls::new(&emulator);
    let created = calls.query("test", "iam", "Action=CreateRole&Version=2010-05-08&RoleName=r1&Path=%2Fx%2F&AssumeRolePolicyDocument=%7B%7D").await;
    assert_eq!(created.status(), 200);
    let xml = created.text().await.unwrap();
    assert!(xml.starts_with("<CreateRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateRoleResult><Role>"), "{xml}");
    assert!(
        xml.contains("<Arn>arn:aws:iam::111111111111:role/x/r1</Arn>")
            && xml.contains("<RoleId>AROA"),
        "{xml}"
    );

    let missing = calls
        .query(
            "test",
            "iam",
            "Action=GetRole&Version=2010-05-08&RoleName=ghost",
        )
        .await;
    assert_eq!(missing.status(), 404);
    let xml = missing.text().await.unwrap();
    assert!(
        xml.contains("<Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>"),
        "{xml}"
    );
    let unknown = calls
        .query("test", "iam", "Action=FlyAway&Version=2010-05-08")
        .await;
    assert_eq!(unknown.status(), 400);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("<Code>InvalidAction</Code>")
    );

    let assumed = calls.query("test", "sts", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Fci-deployer&RoleSessionName=t").await;
    let xml = assumed.text().await.unwrap();
    let key = xml
        .split("<AccessKeyId>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let me = calls
        .query(&key, "sts", "Action=GetCallerIdentity&Version=2011-06-15")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        me.contains("<Arn>arn:aws:sts::222222222222:assumed-role/ci-deployer/t</Arn>"),
        "{me}"
    );
    let clusters: Value = calls
        .eks(&key, reqwest::Method::GET, "/clusters", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(clusters["clusters"], json!(["brand-new", "prod-1"]));
    let denied = calls.query("test", "sts", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Fghost&RoleSessionName=t").await;
    assert_eq!(denied.status(), 403);
    assert!(
        denied
            .text()
            .await
            .unwrap()
            .contains("<Code>AccessDenied</Code>")
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn aws_json_protocols_and_their_errors() {
    let emulator = start().await;
    let calls = Calls::new(&emulator);
    let groups = calls
        .json(
            "identitystore",
            "AWSIdentityStore.ListGroups",
            "1.1",
            json!({"IdentityStoreId": "d-1234567890"}),
        )
        .await;
    assert_eq!(
        groups.headers()["content-type"],
        "application/x-amz-json-1.1"
    );
    let body: Value = groups.json().await.unwrap();
    assert_eq!(body["Groups"].as_array().unwrap().len(), 2);
    let missing = calls
        .json(
            "identitystore",
            "AWSIdentityStore.DescribeGroup",
            "1.1",
            json!({"IdentityStoreId": "d-1234567890", "GroupId": "nope"}),
        )
        .await;
    assert_eq!(missing.status(), 400);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["__type"], "ResourceNotFoundException");
    let unknown = calls
        .json("sso", "SWBExternalService.Teleport", "1.1", json!({}))
        .await;
    assert_eq!(unknown.status(), 400);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["__type"],
        "UnknownOperationException"
    );

    let queue = calls
        .json(
            "sqs",
            "AmazonSQS.GetQueueUrl",
            "1.0",
            json!({"QueueName": "nope"}),
        )
        .await;
    assert_eq!(queue.status(), 400);
    assert_eq!(
        queue.headers()["x-amzn-query-error"],
        "AWS.SimpleQueueService.NonExistentQueue;Sender"
    );
    assert_eq!(
        queue.json::<Value>().await.unwrap()["__type"],
        "com.amazonaws.sqs#QueueDoesNotExist"
    );
    let created: Value = calls
        .json(
            "sqs",
            "AmazonSQS.CreateQueue",
            "1.0",
            json!({"QueueName": "q"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let host = emulator.endpoint.trim_start_matches("http://");
    assert_eq!(created["QueueUrl"], format!("http://{host}/111111111111/q"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn admin_api_drives_the_clock_and_shows_entries_and_requests() {
    let emulator = start().await;
    let calls = Calls::new(&emulator);
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;
    let entries = calls
        .admin(get.clone(), "entries/222222222222/eu-west-1/prod-1", None)
        .await;
    assert_eq!(entries.as_array().unwrap().len(), 4);
    assert!(
        entries
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["live"] == json!(true)
                && e["bound_role_id"].as_str().unwrap().starts_with("AROA"))
    );
    let developer = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kubernetes_groups"] == json!(["payments-devs"]))
        .unwrap();
    assert_eq!(
        developer["policies"]["arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"],
        json!({"type": "namespace", "namespaces": ["payments", "payments-*"]})
    );

    let describe = |calls: &Calls| {
        let calls = Calls {
            client: calls.client.clone(),
            endpoint: calls.endpoint.clone(),
        };
        async move {
            let body: Value = calls
                .eks(
                    "222222222222",
                    reqwest::Method::GET,
                    "/clusters/brand-new",
                    None,
                )
                .await
                .json()
                .await
                .unwrap();
            body["cluster"]["status"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(describe(&calls).await, "CREATING");
    let clock = calls
        .admin(
            post.clone(),
            "clock/advance",
            Some(json!({"seconds": 601}).to_string()),
        )
        .await;
    assert!(clock["offset_seconds"].as_f64().unwrap() >= 601.0);
    assert_eq!(describe(&calls).await, "ACTIVE");

    let counts = calls.admin(get.clone(), "requests/counts", None).await;
    assert_eq!(
        counts,
        json!({"eks:DescribeCluster": 2}),
        "admin calls are not logged"
    );
    let log = calls.admin(get.clone(), "requests", None).await;
    assert_eq!(
        (log[0]["account"].as_str(), log[0]["status"].as_u64()),
        (Some("222222222222"), Some(200))
    );
    calls.admin(post.clone(), "requests/clear", None).await;
    assert_eq!(calls.admin(get.clone(), "requests", None).await, json!([]));

    calls
        .admin(
            post.clone(),
            "seed",
            Some("clusters: [{name: solo, status: UPDATING}]".to_owned()),
        )
        .await;
    assert_eq!(
        calls.admin(post.clone(), "clusters/settle", None).await["settled"],
        1
    );
    let gone = calls
        .client
        .get(format!(
            "{}/_emulator/entries/222222222222/eu-west-1/prod-1",
            calls.endpoint
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404, "a seed replaces the world");
    calls.admin(post, "reset", None).await;
    assert_eq!(
        calls
            .admin(get, "entries/222222222222/eu-west-1/prod-1", None)
            .await
            .as_array()
            .unwrap()
            .len(),
        4
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn serve_listens_on_the_given_address_until_shutdown() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = eks_sso_sync_emulator::EmulatorConfig::default();
    let server = tokio::spawn(eks_sso_sync_emulator::Emulator::serve(
        config,
        addr,
        async {
            let _ = stopped.await;
        },
    ));
    let client = reqwest::Client::new();
    let mut answer = None;
    for _ in 0..50 {
        if let Ok(response) = client
            .get(format!("http://{addr}/_emulator/clock"))
            .send()
            .await
        {
            answer = Some(response.status());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(answer, Some(reqwest::StatusCode::OK));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
