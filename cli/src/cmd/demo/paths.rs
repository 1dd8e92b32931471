//! The aside on role path shapes: an organization whose Identity Center lives in us-east-1 gets
//! SSO roles with no region segment in their path, and eks-sso-sync resolves them just the same
//! (it never rebuilds an ARN from a template).

use std::sync::Arc;

use anyhow::Context;
use eks_sso_sync::config::Mapping;
use eks_sso_sync::engine::{self, ReconcileOptions};
use eks_sso_sync_emulator::{Emulator, EmulatorConfig, Seed};

use super::narrator::Narrator;
use super::world::MAPPING;
use crate::connect::connect_with;

const SEED: &str = r#"
default_account: "111111111111"
identity_center: { home_region: us-east-1 }
users: [{ user_name: ana }]
groups: [{ display_name: platform-admins, members: [ana] }]
permission_sets: [{ name: EKSPlatformAdmin }]
assignments: [{ permission_set: EKSPlatformAdmin, account: "111111111111", group: platform-admins }]
roles: [{ account: "111111111111", name: eks-sso-sync-target }]
clusters:
  - { account: "111111111111", region: us-east-1, name: edge-us, authentication_mode: API, tags: { eks-sso-sync: enabled } }
"#;

/// Runs the same mapping against a second organization with Identity Center in us-east-1.
pub async fn us_east_1(n: &mut Narrator) -> anyhow::Result<()> {
    let config = EmulatorConfig {
        seed: Some(Seed::from_yaml(SEED)?),
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config).await?;
    let regional = "identity_center:\n  region: eu-west-1";
    anyhow::ensure!(
        MAPPING.contains(regional),
        "mapping.yaml's identity_center block changed"
    );
    let text = MAPPING.replace(regional, "identity_center:\n  region: us-east-1");
    let mapping = Mapping::from_str(&text, "mapping.yaml").map_err(|r| anyhow::anyhow!("{r}"))?;
    let session = connect_with(Arc::new(mapping), Some(&emulator.endpoint)).await?;
    // This organization has only account 111111111111; the mapping also lists 222222222222.
    let only =
        std::collections::BTreeSet::from([eks_sso_sync::domain::AccountId::new("111111111111")?]);
    let (clusters, _) = engine::list_managed_clusters(&session.ctx, Some(&only)).await;
    let cluster = clusters.first().context("edge-us is managed")?;
    let report =
        engine::reconcile_cluster(cluster, &session.ctx, &ReconcileOptions::default()).await?;
    n.note(format!(
        "second organization, Identity Center in us-east-1: {}: {} change(s)",
        cluster.name,
        report.apply.applied()
    ));
    for entry in emulator.entries("111111111111", "us-east-1", "edge-us") {
        if entry.principal_arn.contains("AWSReservedSSO_") {
            n.note(format!("entry for {}", entry.principal_arn));
        }
    }
    n.note("compare the eu-west-1 organization: …:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_…");
    emulator.shutdown().await;
    Ok(())
}
