//! Cluster-bootstrap handler. `CreateCluster` is the only signal a new cluster gives (EKS sends no
//! "became ACTIVE" event), and it arrives while the cluster is still `CREATING`: this handler only
//! decides whether the cluster is managed and enqueues a job; the reconciler waits durably (SQS
//! visibility) until the cluster is `ACTIVE`, then gives it its baseline access.

use std::sync::Arc;

use eks_sso_sync::domain::{AuthenticationMode, ClusterInfo, ClusterRef, PrincipalArn};
use eks_sso_sync::engine::ReconcileContext;
use eks_sso_sync::events::{Classified, Trigger};
use eks_sso_sync::invocation::{self, InvocationError, TriggerFunction, TriggerInput};
use eks_sso_sync::metrics::{Metrics, names};
use eks_sso_sync::ports::{ErrorKind, JobQueue, PortError, ReconcileJob};
use serde::Serialize;
use serde_json::Value;

/// What the handler decided for the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum BootstrapAction {
    /// A reconcile job was enqueued.
    Enqueued {
        /// The cluster.
        cluster: ClusterRef,
    },
    /// `CONFIG_MAP` cluster and `switch_auth_mode` is off: nothing can be done until someone
    /// switches it (or enables the option).
    NeedsAuthModeSwitch {
        /// The cluster.
        cluster: ClusterRef,
    },
    /// The mapping does not manage this cluster.
    NotManaged {
        /// The cluster.
        cluster: ClusterRef,
    },
    /// Nothing to do (cluster deleted — its entries went with it — or gone already, or an
    /// event that is not a cluster event).
    Nothing {
        /// Why.
        reason: String,
    },
}

/// What one event led to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BootstrapOutcome {
    /// The classified event.
    pub event: Classified,
    /// The decision.
    pub action: BootstrapAction,
}

/// The cluster-bootstrap function.
pub struct ClusterBootstrap {
    ctx: ReconcileContext,
    queue: Arc<dyn JobQueue>,
    now: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl TriggerFunction for ClusterBootstrap {
    const NAME: &'static str = "cluster-bootstrap";
    type Outcome = BootstrapOutcome;

    fn mapping_sha256(&self) -> &str {
        &self.ctx.mapping.sha256
    }

    async fn act(
        &self,
        input: TriggerInput,
        metrics: &mut Metrics,
    ) -> Result<BootstrapOutcome, InvocationError> {
        let classified = input.classified;
        let nothing = |classified: Classified, reason: String| BootstrapOutcome {
            event: classified,
            action: BootstrapAction::Nothing { reason },
        };
        // Only the CreateCluster record names the creator; other triggers carry none.
        let (cluster, creator) = match &classified.trigger {
            Trigger::ClusterCreated {
                cluster, creator, ..
            } => (cluster.clone(), creator.clone()),
            Trigger::ClusterConfigUpdated { cluster, .. }
            | Trigger::ClusterTagged { cluster, .. } => (cluster.clone(), None),
            Trigger::ClusterDeleted { cluster, .. } => {
                let reason = format!(
                    "cluster {} deleted; its access entries went with it",
                    cluster.arn()
                );
                return Ok(nothing(classified, reason));
            }
            other => {
                let reason = format!("{} is not a cluster event", other.kind());
                return Ok(nothing(classified, reason));
            }
        };
        let Some(info) = self
            .describe(&cluster)
            .await
            .map_err(|e| InvocationError::from_port(&e))?
        else {
            let reason = format!(
                "cluster {} no longer exists (or its account/region is not configured)",
                cluster.arn()
            );
            return Ok(nothing(classified, reason));
        };
        // The event's time, not the clock: a retried delivery gets the same deduplication id.
        let enqueued_at = invocation::enqueue_time(input.time, (self.now)());
        let action = self
            .decide(&info, &classified.event_id, enqueued_at, creator, metrics)
            .await?;
        tracing::info!(cluster = %cluster.arn(), action = ?action, "cluster event handled");
        Ok(BootstrapOutcome {
            event: classified,
            action,
        })
    }
}

impl ClusterBootstrap {
    /// A handler over `ctx` and `queue`.
    pub fn new(ctx: ReconcileContext, queue: Arc<dyn JobQueue>) -> Self {
        Self {
            ctx,
            queue,
            now: Arc::new(|| time::OffsetDateTime::now_utc().unix_timestamp()),
        }
    }

    /// Handles one EventBridge event (see [`invocation::handle_trigger`]).
    pub async fn handle(&self, event: Value) -> Result<BootstrapOutcome, InvocationError> {
        invocation::handle_trigger(self, event).await
    }

    /// The cluster's current description, `None` when it is gone or outside the mapping's accounts.
    async fn describe(&self, cluster: &ClusterRef) -> Result<Option<ClusterInfo>, PortError> {
        let configured = self
            .ctx
            .mapping
            .account(&cluster.account)
            .is_some_and(|a| a.regions.contains(&cluster.region));
        if !configured {
            return Ok(None);
        }
        let eks = self
            .ctx
            .connector
            .eks(&cluster.account, &cluster.region)
            .await?;
        match eks.describe_cluster(&cluster.name).await {
            Ok(info) => Ok(Some(info)),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Enqueues a job when the mapping manages the cluster and it can be managed; the job carries
    /// the creator the `CreateCluster` record named, if any.
    async fn decide(
        &self,
        info: &ClusterInfo,
        event_id: &str,
        enqueued_at: i64,
        creator: Option<PrincipalArn>,
        metrics: &mut Metrics,
    ) -> Result<BootstrapAction, InvocationError> {
        let cluster = info.cluster.clone();
        if !self.ctx.mapping.manages(info) {
            return Ok(BootstrapAction::NotManaged { cluster });
        }
        if info.authentication_mode == AuthenticationMode::ConfigMap
            && !self.ctx.mapping.options.switch_auth_mode
        {
            metrics.add(names::SKIPPED_ITEMS, 1);
            tracing::warn!(
                cluster = %cluster.arn(),
                "cluster uses CONFIG_MAP authentication: switch it to API_AND_CONFIG_MAP (or set options.switch_auth_mode) to let eks-sso-sync manage it"
            );
            return Ok(BootstrapAction::NeedsAuthModeSwitch { cluster });
        }
        let job = ReconcileJob::new(
            cluster.clone(),
            "cluster event",
            Some(event_id.to_owned()),
            enqueued_at,
        )
        .with_creator(creator);
        self.queue
            .enqueue(&[job])
            .await
            .map_err(|e| InvocationError::from_port(&e))?;
        metrics.add(names::JOBS_ENQUEUED, 1);
        Ok(BootstrapAction::Enqueued { cluster })
    }
}
