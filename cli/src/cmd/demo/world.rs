//! The demo's world: an in-process emulator seeded with a realistic organization, the mapping,
//! the real SDK clients, a real SQS FIFO reconcile queue, and the three Lambda handlers wired
//! exactly as their `main.rs` wires them (only the event source is local).

use std::sync::Arc;

use anyhow::Context;
use aws_config::SdkConfig;
use cluster_bootstrap::handler::ClusterBootstrap;
use eks_sso_sync::aws::{
    MemberAccess, RoleSessionName, SdkJobQueue, sdk_config_for_endpoint, setup, static_credentials,
};
use eks_sso_sync::config::Mapping;
use eks_sso_sync::domain::Region;
use eks_sso_sync::engine::ReconcileContext;
use eks_sso_sync_emulator::rendered::RenderedPolicies;
use eks_sso_sync_emulator::{Emulator, EmulatorConfig, Faults, RunningEmulator, Seed};
use group_sync::handler::GroupSync;
use reconciler::handler::{Reconciler, WaitPolicy};
use reconciler::local::{DrainReport, LocalEventSource};
use serde_json::Value;

use crate::connect::{Session, connect_with, endpoint_credentials};

/// The organization (emulator seed).
pub const SEED: &str = include_str!("seed.yaml");
/// The mapping: the documented example at the repository root.
pub const MAPPING: &str = include_str!("../../../../mapping.yaml");
/// The role the mapping's `member_role_name` names in every account (member-account.yaml's
/// `MemberRoleName`), enforced with its rendered policy.
pub const MEMBER_ROLE: &str = "eks-sso-sync-target";
/// The read-only role the trigger functions assume (member-account.yaml's
/// `MemberReaderRoleName`, the hub's `TriggerMemberRoleName`), enforced with its rendered policy:
/// a write from group-sync or cluster-bootstrap would fail the demo.
pub const READER_ROLE: &str = "eks-sso-sync-reader";
/// The Identity Store of the seed.
pub const IDENTITY_STORE: &str = "d-93670a1b2c";
/// The Identity Center instance of the seed.
pub const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-6804c1a2b3c4d5e6";

/// Everything the demo drives.
pub struct DemoWorld {
    /// The emulator.
    pub emulator: RunningEmulator,
    /// The current mapping text.
    pub mapping_text: String,
    /// Mapping, ports and engine context.
    pub session: Session,
    /// The group-sync Lambda handler.
    pub group_sync: GroupSync,
    /// The cluster-bootstrap Lambda handler.
    pub cluster_bootstrap: ClusterBootstrap,
    /// The reconciler Lambda handler.
    pub reconciler: Reconciler,
    /// Stands in for Lambda's SQS event source mapping.
    pub source: LocalEventSource,
    queue: Arc<SdkJobQueue>,
}

impl DemoWorld {
    /// Starts the emulator with the seed and wires everything.
    pub async fn start(latency_ms: u64) -> anyhow::Result<Self> {
        let mut seed = Seed::from_yaml(SEED).context("demo seed")?;
        // The member role runs under IAM enforcement with the policy member-account.yaml
        // renders, so every step of the demo proves the engine stays within it.
        RenderedPolicies::member_roles()
            .and_then(|rendered| {
                rendered.enforce_role(&mut seed, MEMBER_ROLE)?;
                rendered.enforce_role(&mut seed, READER_ROLE)
            })
            .context("the demo member role's rendered policy")?;
        let faults = Faults {
            latency_ms,
            ..Faults::default()
        };
        let config = EmulatorConfig {
            seed: Some(seed),
            faults,
            ..EmulatorConfig::default()
        };
        let emulator = Emulator::start(config)
            .await
            .context("starting the emulator")?;
        let sqs = aws_sdk_sqs::Client::new(&client_config(
            &emulator.endpoint,
            "111111111111",
            "eu-west-1",
        )?);
        let queue_url = sqs
            .create_queue()
            .queue_name("eks-sso-sync-reconcile.fifo")
            .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
            .send()
            .await
            .context("creating the reconcile queue")?
            .queue_url
            .context("CreateQueue returned no URL")?;
        let queue = Arc::new(SdkJobQueue::new(sqs.clone(), queue_url.clone()));
        let source = LocalEventSource::new(sqs, queue_url);
        let (session, group_sync, cluster_bootstrap, reconciler) =
            wire(&emulator.endpoint, MAPPING, &queue).await?;
        Ok(Self {
            emulator,
            mapping_text: MAPPING.to_owned(),
            session,
            group_sync,
            cluster_bootstrap,
            reconciler,
            source,
            queue,
        })
    }

    /// Deploys a new mapping (as a new function version would): every handler is rebuilt.
    pub async fn deploy_mapping(&mut self, text: String) -> anyhow::Result<()> {
        let (session, group_sync, cluster_bootstrap, reconciler) =
            wire(&self.emulator.endpoint, &text, &self.queue).await?;
        self.session = session;
        self.group_sync = group_sync;
        self.cluster_bootstrap = cluster_bootstrap;
        self.reconciler = reconciler;
        self.mapping_text = text;
        Ok(())
    }

    /// Runs the reconciler on whatever is in the queue, like Lambda's event source mapping.
    pub async fn drain(&self) -> anyhow::Result<DrainReport> {
        self.source
            .drain(&self.reconciler, 50)
            .await
            .context("draining the reconcile queue")
    }

    /// SDK configuration acting as the given account's administrator (a person at the console).
    pub fn as_admin(&self, account: &str, region: &str) -> anyhow::Result<SdkConfig> {
        client_config(&self.emulator.endpoint, account, region)
    }

    /// Stops the emulator.
    pub async fn stop(self) {
        self.emulator.shutdown().await;
    }
}

/// The emulator maps an access key that is an account id to that account's administrator.
fn client_config(endpoint: &str, account: &str, region: &str) -> anyhow::Result<SdkConfig> {
    let region = Region::new(region)?;
    Ok(sdk_config_for_endpoint(
        endpoint,
        &region,
        static_credentials(account, "demo"),
    ))
}

async fn wire(
    endpoint: &str,
    mapping_text: &str,
    queue: &Arc<SdkJobQueue>,
) -> anyhow::Result<(Session, GroupSync, ClusterBootstrap, Reconciler)> {
    let mapping = Mapping::from_str(mapping_text, "mapping.yaml")
        .map_err(|r| anyhow::anyhow!("invalid mapping:\n{r}"))?;
    let mapping = Arc::new(mapping);
    let session = connect_with(mapping.clone(), Some(endpoint)).await?;
    let function = |role, session| function_context(endpoint, &mapping, role, session);
    let group_sync = GroupSync::new(
        function(READER_ROLE, "eks-sso-sync-group-sync").await?,
        queue.clone(),
    );
    let cluster_bootstrap = ClusterBootstrap::new(
        function(READER_ROLE, "eks-sso-sync-cluster-bootstrap").await?,
        queue.clone(),
    );
    let reconciler = Reconciler::new(
        function(MEMBER_ROLE, "eks-sso-sync-reconciler").await?,
        queue.clone(),
        WaitPolicy::default(),
    );
    Ok((session, group_sync, cluster_bootstrap, reconciler))
}

/// The engine context of one function, reaching member accounts as template.yaml sets its
/// `MEMBER_ROLE_NAME` and `MEMBER_ROLE_SESSION_NAME` (the demo's mapping names no `role:`, so
/// the role name decides).
async fn function_context(
    endpoint: &str,
    mapping: &Arc<Mapping>,
    role: &str,
    session: &str,
) -> anyhow::Result<ReconcileContext> {
    let access = MemberAccess {
        session_name: RoleSessionName::new(session).map_err(anyhow::Error::msg)?,
        role_name: Some(role.to_owned()),
    };
    let sdk = setup::sdk_config(mapping, Some((endpoint, endpoint_credentials()))).await;
    let ports = setup::ports_for(mapping, &sdk, &access);
    Ok(setup::context(mapping.clone(), &ports))
}

/// A sample event from `events/`, with fields replaced (JSON pointer → value) so it describes
/// what the demo just did. The handlers parse it exactly as they parse EventBridge's delivery.
pub fn event(sample: &str, patches: &[(&str, Value)]) -> anyhow::Result<Value> {
    let mut event: Value = serde_json::from_str(sample).context("sample event")?;
    for (pointer, value) in patches {
        let slot = event
            .pointer_mut(pointer)
            .with_context(|| format!("sample event has no {pointer}"))?;
        *slot = value.clone();
    }
    Ok(event)
}
