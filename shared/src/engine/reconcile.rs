//! `reconcile_cluster`: read inventory and actual → desired → plan → guard → apply → report.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tracing::Instrument;

use super::apply::{ApplyReport, apply_plan};
use super::read::{InventoryReader, read_decisive};
use super::retry::RetryPolicy;
use super::snapshot::IdentitySnapshot;
use crate::config::Mapping;
use crate::desired::{self, ClusterDesired, Problem};
use crate::domain::{ClusterRef, ClusterStatus, PrincipalArn};
use crate::plan::{self, ClusterPlan, Operation};
use crate::ports::{AccountConnector, ErrorKind, IdentityStoreApi, PortError, SsoAdminApi};

/// Everything a reconcile needs: the mapping and the ports, built once per process (cold start),
/// plus the per-run inventory caches.
pub struct ReconcileContext {
    /// The validated mapping.
    pub mapping: Arc<Mapping>,
    /// Per-account EKS and IAM.
    pub connector: Arc<dyn AccountConnector>,
    /// Identity Center administration.
    pub sso_admin: Arc<dyn SsoAdminApi>,
    /// The Identity Store.
    pub identity_store: Arc<dyn IdentityStoreApi>,
    /// Eventual-consistency retries.
    pub retry: RetryPolicy,
    /// Calls in flight per cluster (reads and independent writes).
    pub concurrency: usize,
    reader: InventoryReader,
}

impl ReconcileContext {
    /// A context with fresh caches.
    pub fn new(
        mapping: Arc<Mapping>,
        connector: Arc<dyn AccountConnector>,
        sso_admin: Arc<dyn SsoAdminApi>,
        identity_store: Arc<dyn IdentityStoreApi>,
    ) -> Self {
        let reader = InventoryReader::new(
            mapping.clone(),
            connector.clone(),
            sso_admin.clone(),
            identity_store.clone(),
        );
        Self {
            mapping,
            connector,
            sso_admin,
            identity_store,
            retry: RetryPolicy::default(),
            concurrency: 8,
            reader,
        }
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Replaces the per-cluster concurrency.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The same mapping, ports and settings with empty caches: call once per invocation so that
    /// every run reads the world afresh.
    pub fn fresh(&self) -> Self {
        Self::new(
            self.mapping.clone(),
            self.connector.clone(),
            self.sso_admin.clone(),
            self.identity_store.clone(),
        )
        .with_retry(self.retry.clone())
        .with_concurrency(self.concurrency)
    }

    /// The same mapping, ports and settings with empty per-run caches but Identity Center and
    /// IAM read from `snapshot`: for runs that may see the same Identity Center state (the
    /// batches of one sweep). EKS state is still read fresh.
    pub fn sharing(&self, snapshot: Arc<IdentitySnapshot>) -> Self {
        let mut ctx = self.fresh();
        ctx.reader = InventoryReader::with_snapshot(self.connector.clone(), snapshot);
        ctx
    }

    /// The per-run inventory reader.
    pub fn reader(&self) -> &InventoryReader {
        &self.reader
    }
}

/// How a reconcile is run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileOptions {
    /// Plan only; change nothing.
    pub dry_run: bool,
    /// The EventBridge event id that triggered the run, recorded in audit records.
    pub trigger_event_id: Option<String>,
    /// What started the run (a job's trigger kind, `scheduled sweep`, `operator`), recorded in
    /// audit records.
    #[serde(default)]
    pub trigger: Option<String>,
    /// The operator's override of the deletion limit and the empty-account brake
    /// (`apply --allow-mass-deletion`); never set by the Lambda functions.
    #[serde(default)]
    pub allow_mass_deletion: bool,
    /// The cluster's creator, from the `CreateCluster` record the job came from: the only
    /// principal whose bootstrap entry `remove_creator_admin` removes. `None` (every other
    /// trigger, the sweep, the CLI): no entry is taken for the creator's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<PrincipalArn>,
}

impl ReconcileOptions {
    /// The origin every audit record of a run with these options names.
    pub fn origin(&self, mapping: &Mapping) -> super::RunOrigin {
        super::RunOrigin {
            event_id: self.trigger_event_id.clone(),
            trigger: self.trigger.clone(),
            mapping_sha256: Some(mapping.sha256.clone()),
        }
    }
}

/// Where a cluster stands after a reconcile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ReconcileStatus {
    /// Nothing to change: actual already matches desired.
    InSync,
    /// Every planned change was made.
    Applied,
    /// Some changes failed; a rerun (or the next sweep) retries from fresh state.
    PartiallyApplied,
    /// Planned only (dry run) and there are changes pending.
    Pending,
    /// The lockout guard withheld the removals that would take away the last working admin;
    /// the rest of the plan was applied (or is pending, in a dry run).
    Refused,
    /// Operations were withheld (problems, the deletion limit); the rest of the plan was applied
    /// (or is pending, in a dry run).
    Held {
        /// How many operations were withheld.
        withheld: usize,
    },
    /// The cluster is not `ACTIVE` (or was just switched and is `UPDATING`): reconcile it later.
    Waiting {
        /// Its status.
        status: ClusterStatus,
    },
    /// `CONFIG_MAP` cluster and `switch_auth_mode` is off: it needs the switch.
    NeedsAuthModeSwitch,
    /// The mapping does not manage this cluster (selectors, account or region).
    NotManaged,
    /// The cluster does not exist (any more).
    Gone,
}

/// The outcome of reconciling one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterReport {
    /// The cluster.
    pub cluster: ClusterRef,
    /// Where it stands.
    pub status: ReconcileStatus,
    /// The plan that was made (absent when there was nothing to plan).
    pub plan: Option<ClusterPlan>,
    /// What applying it did (empty in a dry run).
    pub apply: ApplyReport,
    /// Problems found computing desired state (unresolvable roles, invalid captures, ...).
    pub problems: Vec<Problem>,
    /// Managed entries found on a cluster the mapping no longer manages (status `NotManaged`);
    /// what happens to them follows `options.on_unmanaged_cluster` (`plan` says what).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orphaned: Vec<crate::domain::PrincipalArn>,
    /// Unmanaged entries that grant cluster-admin or Admin (shadow admins): reported, never
    /// changed. Break-glass and `rbac_admins` principals are declared, so not listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmanaged_admins: Vec<plan::UnmanagedAdmin>,
}

impl ClusterReport {
    /// Adds this report's figures to the invocation's metrics.
    pub fn count_into(&self, metrics: &mut crate::metrics::Metrics) {
        use crate::metrics::names;
        metrics.add(names::CHANGES_APPLIED, self.apply.applied());
        metrics.add(names::APPLY_ERRORS, self.apply.failures().count());
        let recreated = self
            .apply
            .results
            .iter()
            .filter(|r| {
                r.outcome.is_success() && matches!(r.operation, Operation::RecreateEntry { .. })
            })
            .count();
        metrics.add(names::STALE_ENTRIES_RECREATED, recreated);
        metrics.add(names::PROBLEMS, self.problems.len());
        metrics.add(names::ORPHANED_ENTRIES, self.orphaned.len());
        metrics.add(
            names::UNMANAGED_ADMINS,
            plan::shadow_admin_count(&self.unmanaged_admins),
        );
        if let Some(plan) = &self.plan {
            use crate::plan::WithholdReason as Why;
            metrics.add(names::CONFLICTS, plan.conflicts.len());
            metrics.add(names::SKIPPED_ITEMS, plan.skipped.len());
            metrics.add(names::LOCKOUTS_REFUSED, usize::from(plan.refused.is_some()));
            metrics.add(
                names::DELETIONS_REFUSED,
                plan.withheld_count(|r| matches!(r, Why::DeletionLimit { .. } | Why::EmptyAccount)),
            );
            metrics.add(
                names::HELD_BY_PROBLEMS,
                plan.withheld_count(|r| matches!(r, Why::Problem { .. })),
            );
        }
    }

    /// Whether the run needs a person: problems found, or operations withheld.
    pub fn needs_attention(&self) -> bool {
        !self.problems.is_empty() || self.plan.as_ref().is_some_and(|p| !p.withheld.is_empty())
    }
}

/// Why a reconcile could not even plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// Reading state failed.
    #[error("reading state of {cluster} failed: {source}")]
    Read {
        /// The cluster.
        cluster: ClusterRef,
        /// The failed call.
        source: PortError,
    },
}

impl EngineError {
    /// Whether a retry later may succeed (throttling, 5xx, timeouts).
    pub fn is_transient(&self) -> bool {
        match self {
            EngineError::Read { source, .. } => source.is_transient(),
        }
    }
}

/// Reconciles one cluster: never asks *why*, always reads current state and converges.
pub async fn reconcile_cluster(
    cluster: &ClusterRef,
    ctx: &ReconcileContext,
    options: &ReconcileOptions,
) -> Result<ClusterReport, EngineError> {
    let span = tracing::info_span!(
        "reconcile",
        cluster = %cluster.arn(),
        trigger_event_id = options.trigger_event_id.as_deref()
    );
    reconcile_in_span(cluster, ctx, options)
        .instrument(span)
        .await
}

async fn reconcile_in_span(
    cluster: &ClusterRef,
    ctx: &ReconcileContext,
    options: &ReconcileOptions,
) -> Result<ClusterReport, EngineError> {
    let read_err = |source: PortError| EngineError::Read {
        cluster: cluster.clone(),
        source,
    };
    let report = |status, plan, apply, problems| ClusterReport {
        cluster: cluster.clone(),
        status,
        plan,
        apply,
        problems,
        orphaned: Vec::new(),
        unmanaged_admins: Vec::new(),
    };
    let (cluster_desired, mut problems) = match desired_for(cluster, ctx).await.map_err(read_err)? {
        DesiredFor::Gone => {
            return Ok(report(
                ReconcileStatus::Gone,
                None,
                ApplyReport::default(),
                vec![],
            ));
        }
        DesiredFor::NotManaged(info, problems) => {
            let orphans = super::orphans::handle(&info, ctx, options)
                .await
                .map_err(read_err)?;
            let mut out = report(
                ReconcileStatus::NotManaged,
                orphans.plan,
                orphans.apply,
                problems,
            );
            out.orphaned = orphans.orphaned;
            return Ok(out);
        }
        DesiredFor::Managed(desired, problems) => (desired, problems),
    };
    let mut cluster_desired = cluster_desired;
    cluster_desired.cluster.creator = options.creator.clone();
    let info = &cluster_desired.cluster;
    let eks = ctx
        .connector
        .eks(&cluster.account, &cluster.region)
        .await
        .map_err(read_err)?;
    // Access-entry calls fail on CONFIG_MAP clusters and are unconfirmed before ACTIVE: read
    // nothing then; the planner turns the cluster state into a skip or a mode switch.
    let mut actual = if info.status == ClusterStatus::Active
        && info.authentication_mode.supports_access_entries()
    {
        // Policies only where they can change a decision (see `read_decisive`).
        let desired_entries = &cluster_desired.entries;
        let needs_policies = |e: &crate::domain::ActualEntry| {
            e.is_managed() || desired_entries.contains_key(&e.principal)
        };
        read_decisive(eks.as_ref(), cluster, ctx.concurrency, &needs_policies)
            .await
            .map_err(read_err)?
    } else {
        Vec::new()
    };
    let mut plan_options = ctx.mapping.plan_options();
    plan_options.allow_mass_deletion = options.allow_mass_deletion;
    check_admin_principals(ctx, &cluster_desired, &plan_options, &mut actual)
        .await
        .map_err(read_err)?;
    let mut cluster_plan = plan::plan_cluster(&cluster_desired, &actual, &plan_options);
    cluster_plan.origin = Some(options.origin(&ctx.mapping));
    problems.extend(plan::confirmed_problems(
        &cluster_desired,
        &cluster_plan.withheld,
    ));
    let unmanaged_admins = shadow_admins(info, &actual, &plan_options);
    if let Some(status) = pre_apply_status(&cluster_plan, info.status, options.dry_run) {
        let mut out = report(status, Some(cluster_plan), ApplyReport::default(), problems);
        out.unmanaged_admins = unmanaged_admins;
        return Ok(out);
    }
    let applied = apply_plan(
        eks.as_ref(),
        &cluster_plan,
        &actual,
        &ctx.retry,
        ctx.concurrency,
    )
    .await;
    let status = post_apply_status(&cluster_plan, &applied);
    tracing::info!(changes = applied.applied(), failures = applied.failures().count(), status = ?status, "reconciled");
    problems.extend(super::creator::refused_removal_problems(cluster, &applied));
    let mut out = report(status, Some(cluster_plan), applied, problems);
    out.unmanaged_admins = unmanaged_admins;
    Ok(out)
}

/// The unmanaged entries of the cluster with admin-class access, logged as a warning when any
/// besides the creator's is found: they are someone's decision, never ours to change.
fn shadow_admins(
    info: &crate::domain::ClusterInfo,
    actual: &[crate::domain::ActualEntry],
    options: &plan::PlanOptions,
) -> Vec<plan::UnmanagedAdmin> {
    let found = plan::unmanaged_admins(info, actual, options);
    if plan::shadow_admin_count(&found) > 0 {
        let principals: Vec<String> = found
            .iter()
            .filter(|a| !a.creator)
            .map(|a| a.principal.to_string())
            .collect();
        tracing::warn!(
            cluster = %info.cluster,
            unmanaged_admins = ?principals,
            "unmanaged entries grant admin access: review them (eks-sso-sync never changes them)"
        );
    }
    found
}

/// What the mapping wants for one cluster.
enum DesiredFor {
    /// The cluster does not exist.
    Gone,
    /// The mapping does not manage it (problems found on the way).
    NotManaged(Box<crate::domain::ClusterInfo>, Vec<Problem>),
    /// Its desired state and the problems found computing it.
    Managed(Box<ClusterDesired>, Vec<Problem>),
}

async fn desired_for(
    cluster: &ClusterRef,
    ctx: &ReconcileContext,
) -> Result<DesiredFor, PortError> {
    let inventory = match ctx.reader.for_cluster(cluster).await {
        Ok(inventory) => inventory,
        Err(e) if e.kind == ErrorKind::NotFound && e.operation == "DescribeCluster" => {
            return Ok(DesiredFor::Gone);
        }
        Err(e) => return Err(e),
    };
    let mut desired = desired::compute(&ctx.mapping, &inventory);
    let problems = std::mem::take(&mut desired.problems);
    Ok(match desired.clusters.remove(cluster) {
        Some(cluster_desired) => DesiredFor::Managed(Box::new(cluster_desired), problems),
        None => match inventory.clusters.into_iter().next() {
            Some(info) => DesiredFor::NotManaged(Box::new(info), problems),
            None => DesiredFor::Gone,
        },
    })
}

/// Looks up in IAM the principals of entries the lockout guard may count as admins but that no
/// rule desires (break-glass, unmanaged, managed leftovers): only a principal that exists and is
/// not newer than its entry gives working access. Principals in accounts the mapping does not
/// list stay unchecked (no credentials reach them), and so are not counted.
pub(super) async fn check_admin_principals(
    ctx: &ReconcileContext,
    desired: &ClusterDesired,
    options: &plan::PlanOptions,
    actual: &mut [crate::domain::ActualEntry],
) -> Result<(), PortError> {
    use crate::domain::{EntryType, PrincipalStatus};
    for entry in actual.iter_mut() {
        let candidate = entry.entry_type == EntryType::Standard
            && (entry.is_cluster_admin()
                || plan::contains_principal(&options.rbac_admins, &entry.principal))
            && !desired.entries.contains_key(&entry.principal)
            && ctx.mapping.account(entry.principal.account()).is_some();
        if !candidate {
            continue;
        }
        let iam = ctx.connector.iam(entry.principal.account()).await?;
        entry.principal_status = match iam.get_role(&entry.principal).await? {
            Some(role) => PrincipalStatus::Exists {
                created_at: role.created_at,
            },
            None => PrincipalStatus::Missing,
        };
    }
    Ok(())
}

/// The status when there is nothing to apply (or applying is not wanted).
fn pre_apply_status(
    plan: &ClusterPlan,
    status: ClusterStatus,
    dry_run: bool,
) -> Option<ReconcileStatus> {
    use crate::plan::SkipReason;
    let skipped_because = |reason: SkipReason| {
        plan.skipped
            .iter()
            .any(|s| s.principal.is_none() && s.reason == reason)
    };
    if skipped_because(SkipReason::ClusterNotActive) {
        return Some(ReconcileStatus::Waiting { status });
    }
    if skipped_because(SkipReason::ConfigMapCluster) {
        return Some(ReconcileStatus::NeedsAuthModeSwitch);
    }
    if plan.operations.is_empty() {
        return Some(held_status(plan).unwrap_or(ReconcileStatus::InSync));
    }
    dry_run.then(|| held_status(plan).unwrap_or(ReconcileStatus::Pending))
}

/// `Refused` when the lockout guard withheld removals, `Held` when anything else was withheld.
fn held_status(plan: &ClusterPlan) -> Option<ReconcileStatus> {
    if plan.refused.is_some() {
        return Some(ReconcileStatus::Refused);
    }
    (!plan.withheld.is_empty()).then_some(ReconcileStatus::Held {
        withheld: plan.withheld.len(),
    })
}

fn post_apply_status(plan: &ClusterPlan, applied: &ApplyReport) -> ReconcileStatus {
    // A creator removal IAM refused is a reported problem, not a failure worth a retry.
    if applied
        .failures()
        .any(|r| !super::creator::is_refused_creator_removal(r))
    {
        return ReconcileStatus::PartiallyApplied;
    }
    if let Some(held) = held_status(plan) {
        return held;
    }
    // After a mode switch the cluster is UPDATING; its entries follow once it is ACTIVE again.
    if plan
        .operations
        .iter()
        .any(|op| matches!(op, Operation::SetAuthenticationMode { .. }))
    {
        return ReconcileStatus::Waiting {
            status: ClusterStatus::Updating,
        };
    }
    ReconcileStatus::Applied
}
