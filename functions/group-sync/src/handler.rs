//! Group-sync handler: works out which clusters an Identity Center or SSO-role change may affect
//! (group → its assignments → permission sets → rules → accounts → clusters) and enqueues one
//! reconcile job per cluster. It never acts on the event's contents directly: the reconciler reads
//! the current state. When a record hides the group, the scope widens to every managed cluster.

use std::sync::Arc;

use eks_sso_sync::domain::{AccountId, ClusterRef, GroupId, Region, UserId};
use eks_sso_sync::engine::{self, GroupAccess, ReconcileContext, Scope};
use eks_sso_sync::events::{Classified, Trigger};
use eks_sso_sync::invocation::{self, FailureKind, InvocationError, TriggerFunction, TriggerInput};
use eks_sso_sync::metrics::{Metrics, names};
use eks_sso_sync::ports::{JobQueue, PortError, ReconcileJob};
use serde::Serialize;
use serde_json::Value;

/// What one event led to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSyncOutcome {
    /// The classified event.
    pub event: Classified,
    /// The part of the world it may have changed.
    pub scope: Scope,
    /// The clusters a reconcile job was enqueued for.
    pub clusters: Vec<ClusterRef>,
    /// For a membership added: who now reaches what (also logged as an audit record).
    pub onboarding: Option<Onboarding>,
}

/// The onboarding audit record of a membership added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Onboarding {
    /// The Identity Store user id.
    pub user_id: Option<UserId>,
    /// The group joined.
    pub group_id: GroupId,
    /// The clusters, roles, policies and namespaces the user now reaches through that group.
    pub access: Vec<GroupAccess>,
}

/// The group-sync function: engine context and queue, built once per cold start.
pub struct GroupSync {
    ctx: ReconcileContext,
    queue: Arc<dyn JobQueue>,
    now: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl GroupSync {
    /// A handler over `ctx` and `queue`.
    pub fn new(ctx: ReconcileContext, queue: Arc<dyn JobQueue>) -> Self {
        Self {
            ctx,
            queue,
            now: Arc::new(|| time::OffsetDateTime::now_utc().unix_timestamp()),
        }
    }

    /// Handles one EventBridge event (see [`invocation::handle_trigger`]).
    pub async fn handle(&self, event: Value) -> Result<GroupSyncOutcome, InvocationError> {
        invocation::handle_trigger(self, event).await
    }

    /// Enqueues one job per cluster found. Accounts whose clusters could not be listed are
    /// reported, and the invocation then fails (see [`unlisted`]).
    async fn enqueue(
        &self,
        input: &TriggerInput,
        clusters: &[ClusterRef],
        metrics: &mut Metrics,
    ) -> Result<(), InvocationError> {
        // The event's time, not the clock: a retried delivery gets the same deduplication ids.
        let enqueued_at = invocation::enqueue_time(input.time, (self.now)());
        let classified = &input.classified;
        let jobs: Vec<ReconcileJob> = clusters
            .iter()
            .map(|c| {
                ReconcileJob::new(
                    c.clone(),
                    classified.trigger.kind(),
                    Some(classified.event_id.clone()),
                    enqueued_at,
                )
                // The same change arriving from several Regions (a replicated Identity Center
                // instance emits it in each) or delivered twice leads to one job.
                .with_change_id(classified.change_id.clone())
            })
            .collect();
        if !jobs.is_empty() {
            self.queue
                .enqueue(&jobs)
                .await
                .map_err(|e| InvocationError::from_port(&e))?;
        }
        metrics.add(names::JOBS_ENQUEUED, jobs.len());
        tracing::info!(jobs = jobs.len(), "reconcile jobs enqueued");
        Ok(())
    }
}

impl TriggerFunction for GroupSync {
    const NAME: &'static str = "group-sync";
    type Outcome = GroupSyncOutcome;

    fn mapping_sha256(&self) -> &str {
        &self.ctx.mapping.sha256
    }

    async fn act(
        &self,
        input: TriggerInput,
        metrics: &mut Metrics,
    ) -> Result<GroupSyncOutcome, InvocationError> {
        let ctx = self.ctx.fresh();
        let port = |e: PortError| InvocationError::from_port(&e);
        let scope = scope_of(&ctx, &input.classified.trigger)
            .await
            .map_err(port)?;
        tracing::info!(scope = ?scope, "scope worked out");
        let (clusters, errors) = engine::clusters_in_scope(&ctx, &scope).await;
        // What was found is enqueued even when an account could not be listed: those clusters
        // need the change now, not after the retry.
        self.enqueue(&input, &clusters, metrics).await?;
        if !errors.is_empty() {
            return Err(unlisted(&errors, clusters.len(), metrics));
        }
        let classified = input.classified;
        let onboarding = match &classified.trigger {
            Trigger::MembershipAdded {
                group_id: Some(group_id),
                user_id,
                ..
            } => Some(
                onboarding(
                    &ctx,
                    group_id,
                    user_id.clone(),
                    &clusters,
                    &classified.event_id,
                )
                .await
                .map_err(port)?,
            ),
            _ => None,
        };
        Ok(GroupSyncOutcome {
            event: classified,
            scope,
            clusters,
            onboarding,
        })
    }
}

/// The failure of an invocation that could not list some accounts' clusters. It fails (rather
/// than answering success with a list of gaps) so that Lambda's async retries and then the
/// on-failure destination engage: an event that revokes access must reach every cluster, and
/// the next sweep may be an hour away. The retry re-enqueues the clusters already found, which
/// is harmless: their jobs carry the same deduplication ids (same event id and time) and a
/// reconcile is idempotent anyway.
fn unlisted(
    errors: &[(AccountId, Region, PortError)],
    enqueued: usize,
    metrics: &mut Metrics,
) -> InvocationError {
    metrics.add(names::APPLY_ERRORS, errors.len());
    for (account, region, error) in errors {
        tracing::error!(account = %account, region = %region, error = %error, "cannot list clusters; reported for retry");
    }
    InvocationError::Incomplete {
        kind: FailureKind::worst(errors.iter().map(|(_, _, e)| FailureKind::of(e))),
        completed: format!("{enqueued} job(s) enqueued"),
        failures: errors
            .iter()
            .map(|(a, r, e)| format!("{a}/{r}: {e}"))
            .collect(),
    }
}

/// The scope of a trigger. Membership changes do not change any access entry by themselves
/// (entries belong to permission-set roles, not to people), but they are where a reconcile is
/// cheapest insurance and where onboarding is recorded.
async fn scope_of(ctx: &ReconcileContext, trigger: &Trigger) -> Result<Scope, PortError> {
    match trigger {
        // A new group holds no assignment yet.
        Trigger::GroupCreated { .. } => Ok(Scope::Nothing),
        Trigger::GroupUpdated {
            group_id: Some(g), ..
        }
        | Trigger::MembershipAdded {
            group_id: Some(g), ..
        }
        | Trigger::MembershipRemoved {
            group_id: Some(g), ..
        }
        | Trigger::GroupMembersPatched {
            group_id: Some(g), ..
        } => engine::scope_for_group(ctx, g).await,
        // The group is gone (its assignments with it) or the record hides it: everything.
        Trigger::GroupDeleted { .. }
        | Trigger::GroupUpdated { group_id: None, .. }
        | Trigger::MembershipAdded { group_id: None, .. }
        | Trigger::MembershipRemoved { group_id: None, .. }
        | Trigger::GroupMembersPatched { group_id: None, .. } => Ok(Scope::Everything),
        Trigger::AccountAssignmentCreated {
            account,
            permission_set_arn,
            ..
        }
        | Trigger::AccountAssignmentDeleted {
            account,
            permission_set_arn,
            ..
        } => engine::scope_for_assignment(ctx, account, permission_set_arn).await,
        Trigger::PermissionSetProvisioned {
            permission_set_arn,
            account,
            ..
        } => {
            engine::scope_for_permission_set(ctx, permission_set_arn, account.as_ref(), false).await
        }
        Trigger::PermissionSetDeleted {
            permission_set_arn,
            account,
            ..
        } => {
            engine::scope_for_permission_set(ctx, permission_set_arn, account.as_ref(), true).await
        }
        Trigger::SsoRoleCreated {
            account, role_name, ..
        }
        | Trigger::SsoRoleDeleted {
            account, role_name, ..
        } => Ok(
            match eks_sso_sync::domain::sso_role_permission_set(role_name) {
                Some(ps) => engine::scope_for_sso_role(ctx, account, &ps),
                None => Scope::Nothing,
            },
        ),
        // Cluster events and the sweep belong to the other functions; an EventBridge rule that
        // routes them here is a template bug, so say so instead of doing their work.
        Trigger::ClusterCreated { .. }
        | Trigger::ClusterConfigUpdated { .. }
        | Trigger::ClusterTagged { .. }
        | Trigger::ClusterDeleted { .. }
        | Trigger::AccessEntryChanged { .. }
        | Trigger::ScheduledSweep => {
            tracing::warn!(
                trigger = trigger.kind(),
                "event routed to group-sync but handled by another function"
            );
            Ok(Scope::Nothing)
        }
        Trigger::Ignored { reason } => {
            tracing::info!(reason = %reason, "event ignored");
            Ok(Scope::Nothing)
        }
    }
}

async fn onboarding(
    ctx: &ReconcileContext,
    group_id: &GroupId,
    user_id: Option<UserId>,
    clusters: &[ClusterRef],
    event_id: &str,
) -> Result<Onboarding, PortError> {
    let access = engine::access_via_group(ctx, group_id, clusters).await?;
    for grant in &access {
        let policies: Vec<String> = grant
            .policies
            .iter()
            .map(|(p, s)| format!("{} ({s})", p.name()))
            .collect();
        tracing::info!(
            target: "audit",
            event_id,
            user_id = user_id.as_ref().map(UserId::as_str),
            group_id = group_id.as_str(),
            cluster = %grant.cluster.arn(),
            principal = %grant.principal,
            permission_set = %grant.permission_set,
            policies = %policies.join(", "),
            "onboarding: user reaches cluster"
        );
    }
    Ok(Onboarding {
        user_id,
        group_id: group_id.clone(),
        access,
    })
}
