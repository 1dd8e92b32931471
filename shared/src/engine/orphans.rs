//! Reconciling a cluster the mapping does not manage (any more): its managed entries are
//! orphans, listed on every run and released or pruned only as `options.on_unmanaged_cluster`
//! says (DESIGN.md, invariant 8: a cluster that left scope is no licence to delete).

use super::apply::{ApplyReport, apply_plan};
use super::read::{read_actual, read_entries};
use super::reconcile::{ReconcileContext, ReconcileOptions, check_admin_principals};
use crate::domain::{ClusterInfo, ClusterStatus, PrincipalArn};
use crate::plan::{self, ClusterPlan, UnmanagedClusterPolicy};
use crate::ports::PortError;

/// What was found and done on an out-of-scope cluster.
#[derive(Debug, Default)]
pub(super) struct Orphans {
    /// The managed entries found.
    pub orphaned: Vec<PrincipalArn>,
    /// The plan for them, when the policy acts on them.
    pub plan: Option<ClusterPlan>,
    /// What applying it did (empty in a dry run).
    pub apply: ApplyReport,
}

/// Reads an out-of-scope cluster's entries and applies the orphan policy. Clusters that cannot
/// carry access entries (not `ACTIVE`, `CONFIG_MAP`) have none to read.
pub(super) async fn handle(
    info: &ClusterInfo,
    ctx: &ReconcileContext,
    options: &ReconcileOptions,
) -> Result<Orphans, PortError> {
    if info.status != ClusterStatus::Active || !info.authentication_mode.supports_access_entries() {
        return Ok(Orphans::default());
    }
    let cluster = &info.cluster;
    let eks = ctx.connector.eks(&cluster.account, &cluster.region).await?;
    let policy = ctx.mapping.options.on_unmanaged_cluster;
    let mut actual = if policy == UnmanagedClusterPolicy::Prune {
        // The lockout guard needs every entry to count the admins that remain.
        read_actual(eks.as_ref(), &cluster.name, ctx.concurrency).await?
    } else {
        // Only entries eks-sso-sync can have made need a look: SSO roles and the mapping's
        // principals. Node, CI and AWS-made entries of a cluster nobody maps stay unread.
        let listed = eks.list_access_entries(&cluster.name).await?;
        let ours: Vec<PrincipalArn> = listed
            .into_iter()
            .filter(|p| p.is_sso_role() || ctx.mapping.principals.iter().any(|r| &r.principal == p))
            .collect();
        read_entries(eks.as_ref(), &cluster.name, ours, ctx.concurrency).await?
    };
    let orphaned = plan::orphaned_entries(&actual);
    if orphaned.is_empty() {
        return Ok(Orphans::default());
    }
    let mut plan_options = ctx.mapping.plan_options();
    plan_options.allow_mass_deletion = options.allow_mass_deletion;
    let nothing = crate::desired::ClusterDesired::nothing(info);
    check_admin_principals(ctx, &nothing, &plan_options, &mut actual).await?;
    let planned = plan::plan_orphans(info, &actual, &plan_options, policy).map(|mut p| {
        p.origin = Some(options.origin(&ctx.mapping));
        p
    });
    tracing::warn!(
        cluster = %cluster.arn(),
        orphaned = orphaned.len(),
        policy = ?policy,
        "managed entries on a cluster the mapping does not manage"
    );
    let apply = match &planned {
        Some(p) if !options.dry_run && !p.operations.is_empty() => {
            apply_plan(eks.as_ref(), p, &actual, &ctx.retry, ctx.concurrency).await
        }
        _ => ApplyReport::default(),
    };
    Ok(Orphans {
        orphaned,
        plan: planned,
        apply,
    })
}
