//! The narrated scenario. Every change is made the way a person or AWS makes it (through the
//! emulated AWS APIs), then the matching EventBridge event is handed to the same handler the
//! Lambda runs, and the reconcile queue is drained through the reconciler handler.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use aws_sdk_ssoadmin::types::{PrincipalType, TargetType};
use eks_sso_sync::ports::IdentityStoreApi;
use reconciler::handler::MessageOutcome;
use reconciler::local::DrainReport;
use serde_json::json;

use super::narrator::Narrator;
use super::world::{DemoWorld, IDENTITY_STORE, INSTANCE, event};
use crate::output::status_label;

const MEMBERSHIP: &str =
    include_str!("../../../../events/identitystore-create-group-membership.json");
const ASSIGNMENT: &str = include_str!("../../../../events/sso-create-account-assignment.json");
const ROLE_CREATED: &str = include_str!("../../../../events/iam-create-role-sso.json");
const PAYMENTS: &str = "222222222222";

/// Mutating calls made since `before` (what a step changed), e.g. `CreateAccessEntry ×3`.
pub fn writes_since(world: &DemoWorld, before: &BTreeMap<String, u64>) -> String {
    let now = world.emulator.request_counts();
    let mut changed: Vec<String> = now
        .iter()
        .filter(|(op, _)| {
            op.starts_with("eks:") && !op.contains(":List") && !op.contains(":Describe")
        })
        .filter_map(|(op, n)| {
            let delta = n - before.get(op).copied().unwrap_or(0);
            (delta > 0).then(|| format!("{} ×{delta}", op.trim_start_matches("eks:")))
        })
        .collect();
    if changed.is_empty() {
        changed.push("no EKS changes".to_owned());
    }
    changed.join(", ")
}

/// Narrates a drain: one line per message outcome.
pub fn narrate_drain(n: &mut Narrator, drained: &DrainReport) {
    for outcome in &drained.outcomes {
        match outcome {
            MessageOutcome::Done {
                cluster,
                status,
                changes,
                ..
            } => {
                n.note(format!("reconciler: {}: {} ({changes} change(s))", cluster.name, status_label(status)))
            }
            MessageOutcome::Waiting { cluster, delay_secs } => n.note(format!(
                "reconciler: {} is not ACTIVE yet: message hidden for {delay_secs} s (durable wait, no sleeping Lambda)",
                cluster.name
            )),
            MessageOutcome::Failed { reason } => n.note(format!("reconciler: FAILED: {reason}")),
        }
    }
}

/// Hands `event` to the group-sync handler, then drains the jobs it enqueued through the
/// reconciler, narrating both and the EKS changes made.
async fn deliver_to_group_sync(
    world: &DemoWorld,
    n: &mut Narrator,
    event: serde_json::Value,
) -> anyhow::Result<group_sync::handler::GroupSyncOutcome> {
    let before = world.emulator.request_counts();
    let outcome = world.group_sync.handle(event).await?;
    n.note(format!(
        "group-sync: {} → {} reconcile job(s)",
        outcome.event.trigger.kind(),
        outcome.clusters.len()
    ));
    narrate_drain(n, &world.drain().await?);
    n.note(format!("changes: {}", writes_since(world, &before)));
    Ok(outcome)
}

/// Step: the scheduled sweep reconciles every managed cluster.
pub async fn sweep(world: &DemoWorld, n: &mut Narrator, why: &str) -> anyhow::Result<()> {
    let before = world.emulator.request_counts();
    let summary = world
        .reconciler
        .sweep(Some(format!("demo-sweep-{why}")))
        .await;
    if let Some(e) = summary.enqueue_error {
        bail!("sweep could not enqueue: {e}");
    }
    let names: Vec<&str> = summary.clusters.iter().map(|c| c.name.as_str()).collect();
    n.note(format!(
        "sweep enqueued {} job(s): {}",
        names.len(),
        names.join(", ")
    ));
    narrate_drain(n, &world.drain().await?);
    n.note(format!("changes: {}", writes_since(world, &before)));
    Ok(())
}

async fn group_id(world: &DemoWorld, name: &str) -> anyhow::Result<String> {
    let group = eks_sso_sync::domain::GroupName::new(name)?;
    let store = eks_sso_sync::domain::IdentityStoreId::new(IDENTITY_STORE)?;
    let id = world
        .session
        .ports
        .identity_store
        .group_id(&store, &group)
        .await?
        .with_context(|| format!("group {name}"))?;
    Ok(id.to_string())
}

/// Step: a person joins a group; group-sync records who now reaches what.
pub async fn person_joins(world: &DemoWorld, n: &mut Narrator) -> anyhow::Result<()> {
    let sdk = world.as_admin("111111111111", "eu-west-1")?;
    let store = aws_sdk_identitystore::Client::new(&sdk);
    let users = store
        .list_users()
        .identity_store_id(IDENTITY_STORE)
        .send()
        .await?;
    let eve = users
        .users()
        .iter()
        .find(|u| u.user_name() == Some("eve"))
        .context("user eve")?
        .user_id()
        .to_owned();
    let group = group_id(world, "payments-devs").await?;
    let membership = store
        .create_group_membership()
        .identity_store_id(IDENTITY_STORE)
        .group_id(&group)
        .member_id(aws_sdk_identitystore::types::MemberId::UserId(eve.clone()))
        .send()
        .await?
        .membership_id()
        .to_owned();
    n.note("eve was added to payments-devs (Identity Store CreateGroupMembership)");
    let event = event(
        MEMBERSHIP,
        &[
            (
                "/detail/requestParameters/identityStoreId",
                json!(IDENTITY_STORE),
            ),
            ("/detail/requestParameters/groupId", json!(group)),
            ("/detail/requestParameters/memberId/userId", json!(eve)),
            ("/detail/responseElements/membershipId", json!(membership)),
        ],
    )?;
    let outcome = deliver_to_group_sync(world, n, event).await?;
    for grant in outcome.onboarding.iter().flat_map(|o| &o.access) {
        let policies: Vec<String> = grant
            .policies
            .iter()
            .map(|(p, s)| format!("{} ({s})", p.name()))
            .collect();
        n.note(format!(
            "onboarding audit: eve now reaches {} via {}: {}",
            grant.cluster.name,
            grant.permission_set,
            policies.join("; ")
        ));
    }
    n.note("(access entries belong to roles, not people: a membership changes no entry)");
    Ok(())
}

/// Step: a new team's permission set is assigned; its role appears; entries follow.
pub async fn team_onboards(world: &DemoWorld, n: &mut Narrator) -> anyhow::Result<()> {
    let sso = aws_sdk_ssoadmin::Client::new(&world.as_admin("111111111111", "eu-west-1")?);
    let ps = sso
        .create_permission_set()
        .instance_arn(INSTANCE)
        .name("EKSTeam-search")
        .send()
        .await?;
    let ps_arn = ps
        .permission_set()
        .and_then(|p| p.permission_set_arn())
        .context("permission set ARN")?
        .to_owned();
    let group = group_id(world, "team-search").await?;
    sso.create_account_assignment()
        .instance_arn(INSTANCE)
        .target_id(PAYMENTS)
        .target_type(TargetType::AwsAccount)
        .permission_set_arn(&ps_arn)
        .principal_type(PrincipalType::Group)
        .principal_id(&group)
        .send()
        .await?;
    n.note("permission set EKSTeam-search created and assigned to team-search in 222222222222 (no mapping change)");
    let event = event(
        ASSIGNMENT,
        &[
            ("/detail/requestParameters/instanceArn", json!(INSTANCE)),
            ("/detail/requestParameters/permissionSetArn", json!(ps_arn)),
            ("/detail/requestParameters/principalId", json!(group)),
        ],
    )?;
    deliver_to_group_sync(world, n, event).await?;
    Ok(())
}

/// Step: Identity Center recreates a role under the same ARN; the old entry is dead.
pub async fn role_recreated(world: &DemoWorld, n: &mut Narrator) -> anyhow::Result<()> {
    let entries = world
        .emulator
        .entries(PAYMENTS, "eu-west-1", "payments-prod");
    let entry = entries
        .iter()
        .find(|e| {
            e.principal_arn
                .contains("AWSReservedSSO_PaymentsDeveloper_")
        })
        .context("PaymentsDeveloper entry on payments-prod")?;
    let arn = entry.principal_arn.clone();
    let (path_and_name, name) = (
        arn.split(":role").nth(1).unwrap_or_default(),
        arn.rsplit('/').next().unwrap_or_default(),
    );
    let new_id = world
        .emulator
        .recreate_role(PAYMENTS, name)
        .context("recreating the role")?;
    let live = world
        .emulator
        .entries(PAYMENTS, "eu-west-1", "payments-prod")
        .into_iter()
        .find(|e| e.principal_arn == arn)
        .is_some_and(|e| e.live);
    n.note(format!("{name} was deleted and recreated: same ARN, new role id {new_id}; its entry still exists but live = {live}"));
    let path = path_and_name.trim_end_matches(name);
    let event = event(
        ROLE_CREATED,
        &[
            ("/account", json!(PAYMENTS)),
            ("/detail/recipientAccountId", json!(PAYMENTS)),
            ("/detail/requestParameters/roleName", json!(name)),
            ("/detail/requestParameters/path", json!(path)),
            ("/detail/responseElements/role/roleName", json!(name)),
            ("/detail/responseElements/role/path", json!(path)),
            ("/detail/responseElements/role/arn", json!(arn)),
            ("/detail/responseElements/role/roleId", json!(new_id)),
        ],
    )?;
    deliver_to_group_sync(world, n, event).await?;
    let live = world
        .emulator
        .entries(PAYMENTS, "eu-west-1", "payments-prod")
        .into_iter()
        .find(|e| e.principal_arn == arn)
        .is_some_and(|e| e.live);
    n.note(format!("entry live = {live}"));
    Ok(())
}
