//! Cluster-bootstrap handler. `CreateCluster` is the only signal a new cluster gives (EKS sends no
//! "became ACTIVE" event), and it arrives while the cluster is still `CREATING`: this handler only
//! decides whether the cluster is managed and enqueues a job; the reconciler waits durably (SQS
//! visibility) until the cluster is `ACTIVE`, then gives it its baseline access.
//!
//! It also handles drift: an access entry changed by someone else (`DeleteAccessEntry`,
//! `DisassociateAccessPolicy`, ...) enqueues an ordinary reconcile of that one cluster at once,
//! whose reason names the change (`drift: DeleteAccessEntry by arn:…`). eks-sso-sync's own calls
//! never get here: the classifier ignores them by their role-session name.

use std::sync::Arc;

use eks_sso_sync::domain::{
    AuthenticationMode, ClusterInfo, ClusterRef, EntryChange, PrincipalArn,
};
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
        let (cluster, origin) = match JobOrigin::of(&classified.trigger) {
            Ok(found) => found,
            Err(reason) => return Ok(nothing(classified, reason)),
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
        let job = origin.job(
            cluster.clone(),
            &classified.event_id,
            &classified.change_id,
            enqueued_at,
        );
        let action = self.decide(&info, job, metrics).await?;
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

    /// Enqueues `job` when the mapping manages the cluster and it can be managed.
    async fn decide(
        &self,
        info: &ClusterInfo,
        job: ReconcileJob,
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
        self.queue
            .enqueue(&[job])
            .await
            .map_err(|e| InvocationError::from_port(&e))?;
        metrics.add(names::JOBS_ENQUEUED, 1);
        Ok(BootstrapAction::Enqueued { cluster })
    }
}

/// What a cluster event asks of the reconcile, beyond "this cluster".
enum JobOrigin {
    /// `CreateCluster`, with the creator its record names (the only principal whose bootstrap
    /// entry `remove_creator_admin` may remove).
    Created(Option<PrincipalArn>),
    /// A config or tag change of the cluster.
    ClusterEvent,
    /// An access entry changed by someone else.
    Drift(EntryChange),
}

impl JobOrigin {
    /// The cluster a trigger asks to reconcile and why; `Err` with the reason when it asks for
    /// nothing. Only the `CreateCluster` record names the creator; other triggers carry none.
    fn of(trigger: &Trigger) -> Result<(ClusterRef, Self), String> {
        match trigger {
            Trigger::ClusterCreated {
                cluster, creator, ..
            } => Ok((cluster.clone(), Self::Created(creator.clone()))),
            Trigger::ClusterConfigUpdated { cluster, .. }
            | Trigger::ClusterTagged { cluster, .. } => Ok((cluster.clone(), Self::ClusterEvent)),
            Trigger::AccessEntryChanged { cluster, change } => {
                Ok((cluster.clone(), Self::Drift(change.clone())))
            }
            Trigger::ClusterDeleted { cluster, .. } => Err(format!(
                "cluster {} deleted; its access entries went with it",
                cluster.arn()
            )),
            // eks-sso-sync's own access-entry calls among them (logged at debug by the classifier).
            Trigger::Ignored { reason } => Err(format!("ignored: {reason}")),
            other => Err(format!("{} is not a cluster event", other.kind())),
        }
    }

    /// The job for `cluster`: the event id stays the trigger id; the change id deduplicates
    /// copies of the event; a drift job's reason names the change and carries it for the report.
    fn job(
        self,
        cluster: ClusterRef,
        event_id: &str,
        change_id: &str,
        enqueued_at: i64,
    ) -> ReconcileJob {
        let reason = match &self {
            Self::Drift(change) => format!("drift: {}", change.describe()),
            Self::Created(_) | Self::ClusterEvent => "cluster event".to_owned(),
        };
        let job = ReconcileJob::new(cluster, reason, Some(event_id.to_owned()), enqueued_at)
            .with_change_id(change_id);
        match self {
            Self::Created(creator) => job.with_creator(creator),
            Self::ClusterEvent => job,
            Self::Drift(change) => job.with_entry_change(change),
        }
    }
}
