//! The scenario's second half: a new cluster, a mapping change and drift behind our back,
//! repaired at once from its CloudTrail records.

use anyhow::Context;
use aws_sdk_eks::types::{AuthenticationMode, CreateAccessConfigRequest, VpcConfigRequest};
use cluster_bootstrap::handler::BootstrapAction;
use eks_sso_sync::events::Trigger;
use serde_json::{Value, json};

use super::narrator::Narrator;
use super::scenario::{narrate_drain, sweep, writes_since};
use super::world::{DemoWorld, event};

const CLUSTER_CREATED: &str = include_str!("../../../../events/eks-create-cluster.json");
const POLICY_DISASSOCIATED: &str =
    include_str!("../../../../events/eks-disassociate-access-policy.json");
const ENTRY_UPDATED: &str = include_str!("../../../../events/eks-update-access-entry.json");
const VIEW: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
const PAYMENTS: &str = "222222222222";

/// Step: a cluster is created; cluster-bootstrap enqueues it; the reconciler waits durably until
/// it is ACTIVE, then gives it its baseline.
pub async fn new_cluster(world: &DemoWorld, n: &mut Narrator) -> anyhow::Result<()> {
    let eks = aws_sdk_eks::Client::new(&world.as_admin(PAYMENTS, "eu-west-1")?);
    let created = eks
        .create_cluster()
        .name("payments-canary")
        .role_arn("arn:aws:iam::222222222222:role/eks-cluster-role")
        .resources_vpc_config(VpcConfigRequest::builder().build())
        .access_config(
            CreateAccessConfigRequest::builder()
                .authentication_mode(AuthenticationMode::ApiAndConfigMap)
                .bootstrap_cluster_creator_admin_permissions(true)
                .build(),
        )
        .tags("eks-sso-sync", "enabled")
        .tags("env", "prod")
        .send()
        .await?;
    let cluster = created.cluster().context("CreateCluster answer")?;
    let arn = cluster.arn().unwrap_or_default().to_owned();
    let status = cluster
        .status()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    n.note(format!(
        "payments-canary created in 222222222222/eu-west-1: {status}"
    ));
    let event = event(
        CLUSTER_CREATED,
        &[
            ("/detail/requestParameters/name", json!("payments-canary")),
            (
                "/detail/responseElements/cluster/name",
                json!("payments-canary"),
            ),
            ("/detail/responseElements/cluster/arn", json!(arn)),
            ("/detail/responseElements/cluster/status", json!(status)),
        ],
    )?;
    let outcome = world.cluster_bootstrap.handle(event).await?;
    let action = serde_json::to_value(&outcome.action)?;
    n.note(format!(
        "cluster-bootstrap: {}",
        action["action"].as_str().unwrap_or("?")
    ));
    narrate_drain(n, &world.drain().await?);
    world.emulator.advance_clock(660.0);
    n.note(
        "… 11 minutes later (emulator clock): the cluster is ACTIVE and the message visible again",
    );
    let before = world.emulator.request_counts();
    narrate_drain(n, &world.drain().await?);
    n.note(format!("changes: {}", writes_since(world, &before)));
    Ok(())
}

/// Step: the payments rule gains a namespace: one re-association per entry, in place.
pub async fn scope_change(world: &mut DemoWorld, n: &mut Narrator) -> anyhow::Result<()> {
    let old = r#"namespaces: [payments, "payments-*"]"#;
    let new = r#"namespaces: [payments, "payments-*", ledger]"#;
    anyhow::ensure!(
        world.mapping_text.contains(old),
        "mapping.yaml no longer has the payments namespaces the demo edits"
    );
    let text = world.mapping_text.replace(old, new);
    world.deploy_mapping(text).await?;
    n.note("mapping change deployed: payments Edit now also covers namespace ledger");
    sweep(world, n, "scope-change").await?;
    n.note("(AssociateAccessPolicy again replaces the scope: no disassociate, no moment without access)");
    Ok(())
}

/// Step: someone edits entries by hand; the CloudTrail records of the edits reach
/// cluster-bootstrap (drift repair), the reconciler puts the entries back at once, and the next
/// sweep finds nothing left to do.
pub async fn drift(world: &DemoWorld, n: &mut Narrator) -> anyhow::Result<()> {
    let eks = aws_sdk_eks::Client::new(&world.as_admin(PAYMENTS, "eu-west-1")?);
    let entries = world
        .emulator
        .entries(PAYMENTS, "eu-west-1", "payments-prod");
    let find = |ps: &str| {
        entries
            .iter()
            .find(|e| e.principal_arn.contains(ps))
            .map(|e| e.principal_arn.clone())
    };
    let reader = find("AWSReservedSSO_EKSReadOnly_").context("EKSReadOnly entry")?;
    let payments = find("AWSReservedSSO_PaymentsDeveloper_").context("PaymentsDeveloper entry")?;
    eks.disassociate_access_policy()
        .cluster_name("payments-prod")
        .principal_arn(&reader)
        .policy_arn(VIEW)
        .send()
        .await?;
    eks.update_access_entry()
        .cluster_name("payments-prod")
        .principal_arn(&payments)
        .kubernetes_groups("cluster-admins-please")
        .send()
        .await?;
    n.note(
        "behind eks-sso-sync's back: View removed from EKSReadOnly, payments-devs' groups replaced",
    );
    let before = world.emulator.request_counts();
    let records = [
        drift_record(POLICY_DISASSOCIATED, &reader, Some(VIEW))?,
        drift_record(ENTRY_UPDATED, &payments, None)?,
    ];
    for record in records {
        let outcome = world.cluster_bootstrap.handle(record).await?;
        let what = match &outcome.event.trigger {
            Trigger::AccessEntryChanged { change, .. } => change.describe(),
            other => other.kind().to_owned(),
        };
        n.note(format!(
            "cluster-bootstrap: drift: {what} → {}",
            action_label(&outcome.action)
        ));
    }
    narrate_drain(n, &world.drain().await?);
    n.note(format!("changes: {}", writes_since(world, &before)));
    n.note("the repairs' own records carry session eks-sso-sync-reconciler: ignored, so a repair never triggers another");
    sweep(world, n, "drift").await
}

/// The CloudTrail record of an access-entry call on payments-prod for `principal`, as the
/// payments account records it (URI path parameters percent-encoded).
fn drift_record(sample: &str, principal: &str, policy: Option<&str>) -> anyhow::Result<Value> {
    let mut patches = vec![
        ("/account", json!(PAYMENTS)),
        ("/detail/recipientAccountId", json!(PAYMENTS)),
        ("/detail/requestParameters/name", json!("payments-prod")),
        (
            "/detail/requestParameters/principalArn",
            json!(encoded(principal)),
        ),
    ];
    if let Some(policy) = policy {
        patches.push((
            "/detail/requestParameters/policyArn",
            json!(encoded(policy)),
        ));
    }
    event(sample, &patches)
}

/// `value` percent-encoded, as CloudTrail records EKS URI path parameters.
fn encoded(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A bootstrap decision in a few words.
fn action_label(action: &BootstrapAction) -> String {
    match action {
        BootstrapAction::Enqueued { cluster } => format!("job enqueued for {}", cluster.name),
        BootstrapAction::NeedsAuthModeSwitch { cluster } => {
            format!("{} needs an authentication mode switch", cluster.name)
        }
        BootstrapAction::NotManaged { cluster } => format!("{} is not managed", cluster.name),
        BootstrapAction::Nothing { reason } => format!("nothing: {reason}"),
    }
}
