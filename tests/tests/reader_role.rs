//! The trigger functions under the read-only reader role. group-sync and cluster-bootstrap are
//! wired as `template.yaml` wires them (`MEMBER_ROLE_NAME=eks-sso-sync-reader`, each its own
//! `MEMBER_ROLE_SESSION_NAME`) over the demo organization, whose member roles the emulator
//! enforces with the policies `member-account.yaml` renders (`emulator/policies/`). Their
//! member-account calls must all be allowed, and a write through the reader role must be
//! refused, naming the function's session.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::sync::Arc;

use cluster_bootstrap::handler::{BootstrapAction, ClusterBootstrap};
use eks_sso_sync::aws::{
    MemberAccess, RoleSessionName, sdk_config_for_endpoint, setup, static_credentials,
};
use eks_sso_sync::config::Mapping;
use eks_sso_sync::domain::{AccountId, ClusterName, ClusterRef, Region};
use eks_sso_sync::engine::{Outcome, ReconcileContext, ReconcileOptions, reconcile_cluster};
use eks_sso_sync::memory::MemoryAws;
use eks_sso_sync::ports::ErrorKind;
use eks_sso_sync_emulator::rendered::RenderedPolicies;
use eks_sso_sync_emulator::{Emulator, EmulatorConfig, RunningEmulator, Seed};
use group_sync::handler::GroupSync;
use serde_json::{Value, json};

const SEED: &str = include_str!("../../cli/src/cmd/demo/seed.yaml");
const MAPPING: &str = include_str!("../../mapping.yaml");
const READER: &str = "eks-sso-sync-reader";

/// The demo organization with both member roles of both accounts enforced.
async fn start() -> RunningEmulator {
    let mut seed = Seed::from_yaml(SEED).expect("demo seed");
    let rendered = RenderedPolicies::member_roles().expect("rendered policies");
    for role in ["eks-sso-sync-target", READER] {
        assert_eq!(rendered.enforce_role(&mut seed, role).expect(role), 2);
    }
    let config = EmulatorConfig {
        seed: Some(seed),
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

/// The engine context of a function reaching member accounts as `role`, session `session`.
async fn function_ctx(emulator: &RunningEmulator, role: &str, session: &str) -> ReconcileContext {
    let mapping = Arc::new(Mapping::from_str(MAPPING, "mapping.yaml").expect("mapping"));
    let access = MemberAccess {
        session_name: RoleSessionName::new(session).expect("session name"),
        role_name: Some(role.to_owned()),
    };
    let credentials = static_credentials("test", "test");
    let sdk = setup::sdk_config(&mapping, Some((&emulator.endpoint, credentials))).await;
    setup::context(mapping.clone(), &setup::ports_for(&mapping, &sdk, &access))
}

/// A sample event of `events/` with JSON-pointer patches applied.
fn sample(file: &str, patches: &[(&str, Value)]) -> Value {
    let path = format!("{}/../events/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect(file)).expect(file);
    for (pointer, value) in patches {
        *event.pointer_mut(pointer).expect(pointer) = value.clone();
    }
    event
}

/// Every refused call in the emulator's log, and how many calls reached member accounts.
fn refusals_and_member_calls(emulator: &RunningEmulator) -> (Vec<String>, usize) {
    let log = emulator.requests();
    let refused = log
        .iter()
        .filter(|r| {
            r.error_code
                .as_deref()
                .is_some_and(|c| c.starts_with("AccessDenied"))
        })
        .map(|r| format!("{}:{} in {}", r.service, r.operation, r.account))
        .collect();
    let member = log
        .iter()
        .filter(|r| matches!(r.service.as_str(), "eks" | "iam"))
        .count();
    (refused, member)
}

#[tokio::test]
async fn cluster_bootstrap_reads_the_new_cluster_within_the_reader_role() {
    let emulator = start().await;
    let ctx = function_ctx(&emulator, READER, "eks-sso-sync-cluster-bootstrap").await;
    let queue = MemoryAws::new("eu-west-1");
    let handler = ClusterBootstrap::new(ctx, Arc::new(queue.clone()));
    let event = sample(
        "eks-create-cluster.json",
        &[
            ("/detail/requestParameters/name", json!("payments-prod")),
            (
                "/detail/responseElements/cluster/name",
                json!("payments-prod"),
            ),
        ],
    );
    let outcome = handler.handle(event).await.expect("handled");
    assert!(
        matches!(outcome.action, BootstrapAction::Enqueued { .. }),
        "{:?}",
        outcome.action
    );
    let jobs = queue.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        jobs[0].creator.as_ref().map(ToString::to_string).as_deref(),
        Some(
            "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-west-1/\
             AWSReservedSSO_EKSPlatformAdmin_1a2b3c4d5e6f7a8b"
        ),
        "the job carries the CreateCluster record's session issuer"
    );
    let (refused, member_calls) = refusals_and_member_calls(&emulator);
    assert!(refused.is_empty(), "{refused:?}");
    assert!(
        member_calls > 0,
        "DescribeCluster reached the member account"
    );
}

#[tokio::test]
async fn group_sync_finds_affected_clusters_within_the_reader_role() {
    let emulator = start().await;
    let ctx = function_ctx(&emulator, READER, "eks-sso-sync-group-sync").await;
    let queue = MemoryAws::new("eu-west-1");
    let handler = GroupSync::new(ctx, Arc::new(queue.clone()));
    // An assignment of EKSReadOnly in the payments account: its clusters are affected.
    let event = sample(
        "sso-create-account-assignment.json",
        &[(
            "/detail/requestParameters/permissionSetArn",
            json!(permission_set_arn(&emulator, "EKSReadOnly").await),
        )],
    );
    handler.handle(event).await.expect("handled");
    assert!(
        !queue.jobs().is_empty(),
        "the payments clusters are affected"
    );
    let (refused, member_calls) = refusals_and_member_calls(&emulator);
    assert!(refused.is_empty(), "{refused:?}");
    assert!(
        member_calls > 0,
        "clusters were listed in the member account"
    );
}

#[tokio::test]
async fn a_write_through_the_reader_role_is_refused_naming_the_session() {
    let emulator = start().await;
    let ctx = function_ctx(&emulator, READER, "eks-sso-sync-group-sync").await;
    let cluster = ClusterRef::new(
        AccountId::new("222222222222").expect("account"),
        Region::new("eu-west-1").expect("region"),
        ClusterName::new("payments-prod").expect("name"),
    );
    let report = reconcile_cluster(&cluster, &ctx, &ReconcileOptions::default())
        .await
        .expect("the reads are allowed");
    let errors: Vec<_> = report
        .apply
        .failures()
        .filter_map(|r| match &r.outcome {
            Outcome::Failed { error } => Some(error),
            _ => None,
        })
        .collect();
    assert!(!errors.is_empty(), "{:#?}", report.apply.results);
    for error in errors {
        assert_eq!(error.kind, ErrorKind::AccessDenied, "{error}");
        let message = error.to_string();
        assert!(
            message.contains("assumed-role/eks-sso-sync-reader/eks-sso-sync-group-sync"),
            "{message}"
        );
    }
    let managed = emulator
        .entries("222222222222", "eu-west-1", "payments-prod")
        .into_iter()
        .filter(|e| e.tags.contains_key("eks-sso-sync:managed"))
        .count();
    assert_eq!(managed, 0, "nothing was written");
}

/// The ARN of permission set `name` in the emulator's Identity Center, asked as its admin.
async fn permission_set_arn(emulator: &RunningEmulator, name: &str) -> String {
    const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-6804c1a2b3c4d5e6";
    let sdk = sdk_config_for_endpoint(
        &emulator.endpoint,
        &Region::new("eu-west-1").expect("region"),
        static_credentials("111111111111", "admin"),
    );
    let sso = aws_sdk_ssoadmin::Client::new(&sdk);
    let listed = sso
        .list_permission_sets()
        .instance_arn(INSTANCE)
        .send()
        .await
        .expect("ListPermissionSets");
    for arn in listed.permission_sets() {
        let described = sso
            .describe_permission_set()
            .instance_arn(INSTANCE)
            .permission_set_arn(arn)
            .send()
            .await
            .expect("DescribePermissionSet");
        if described.permission_set().and_then(|p| p.name()) == Some(name) {
            return arn.clone();
        }
    }
    panic!("no permission set {name}")
}
