//! The documents `plan` and `apply` print (JSON, schema version [`plan::SCHEMA_VERSION`]) and
//! their table rendering, and the exit code a run's outcome gives.

use eks_sso_sync::desired::Problem;
use eks_sso_sync::engine::{ClusterReport, ReconcileStatus};
use eks_sso_sync::plan::{self, AccessPlan};
use serde::Serialize;

use crate::exit;
use crate::output;

/// A cluster whose reconcile could not even plan (a read failed): that cluster's failure only.
#[derive(Debug, Clone, Serialize)]
pub struct FailedCluster {
    /// The cluster ARN.
    pub cluster: String,
    /// Why, as the engine reported it.
    pub error: String,
}

/// What one run of the engine over the chosen clusters gave.
#[derive(Debug, Default)]
pub struct Run {
    /// The clusters reconciled, in order.
    pub reports: Vec<ClusterReport>,
    /// The clusters that failed.
    pub failed: Vec<FailedCluster>,
    /// Places that could not be listed (`account/region: error`).
    pub unreachable: Vec<String>,
    /// Whether Ctrl-C stopped the run before every cluster was done.
    pub interrupted: bool,
}

/// The JSON document `plan` prints: each cluster's status, the plan (as `plan::to_json`
/// documents it), the problems, and what failed.
#[derive(Debug, Serialize)]
pub struct PlanDocument {
    /// Bumped on any incompatible change.
    pub schema_version: u32,
    /// Per-cluster status.
    pub clusters: Vec<ClusterStatusLine>,
    /// The plan.
    pub plan: AccessPlan,
    /// Problems (names that do not resolve, ambiguous roles, invalid captures, ...).
    pub problems: Vec<Problem>,
    /// Clusters that could not be reconciled.
    pub failed: Vec<FailedCluster>,
    /// Account/regions that could not be listed.
    pub unreachable: Vec<String>,
}

/// One cluster's status in a plan or apply document.
#[derive(Debug, Serialize)]
pub struct ClusterStatusLine {
    /// The cluster ARN.
    pub cluster: String,
    /// Where it stands.
    pub status: ReconcileStatus,
    /// Managed entries on a cluster the mapping no longer manages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub orphaned: Vec<String>,
    /// Unmanaged entries granting cluster-admin or Admin (`creator: true` for the cluster
    /// creator's bootstrap entry): reported for review, never changed, no effect on the exit code.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmanaged_admins: Vec<plan::UnmanagedAdmin>,
}

impl PlanDocument {
    /// The document of `run`.
    pub fn of(run: &Run) -> Self {
        let mut problems: Vec<Problem> = run
            .reports
            .iter()
            .flat_map(|r| r.problems.iter().cloned())
            .collect();
        problems.sort();
        problems.dedup();
        Self {
            schema_version: plan::SCHEMA_VERSION,
            clusters: run.reports.iter().map(status_line).collect(),
            plan: AccessPlan {
                clusters: run.reports.iter().filter_map(|r| r.plan.clone()).collect(),
            },
            problems,
            failed: run.failed.clone(),
            unreachable: run.unreachable.clone(),
        }
    }

    /// Whether a person must look: problems, withheld operations, orphans.
    pub fn needs_attention(&self) -> bool {
        !self.problems.is_empty()
            || self.plan.clusters.iter().any(|c| !c.withheld.is_empty())
            || self.clusters.iter().any(|c| !c.orphaned.is_empty())
    }

    /// Whether anything failed.
    pub fn has_failures(&self) -> bool {
        !self.failed.is_empty() || !self.unreachable.is_empty()
    }

    /// Whether anything is still to happen: operations to apply, or a cluster not yet `ACTIVE`
    /// (`CREATING`, `UPDATING`) whose entries follow once it is: never "in sync".
    pub fn pending(&self) -> bool {
        self.changing().next().is_some()
            || self
                .clusters
                .iter()
                .any(|c| matches!(c.status, ReconcileStatus::Waiting { .. }))
    }

    /// The clusters whose plan has operations to apply.
    pub fn changing(&self) -> impl Iterator<Item = &plan::ClusterPlan> {
        self.plan
            .clusters
            .iter()
            .filter(|c| !c.operations.is_empty())
    }
}

fn status_line(report: &ClusterReport) -> ClusterStatusLine {
    ClusterStatusLine {
        cluster: report.cluster.arn(),
        status: report.status.clone(),
        orphaned: report.orphaned.iter().map(ToString::to_string).collect(),
        unmanaged_admins: report.unmanaged_admins.clone(),
    }
}

/// `AmazonEKSClusterAdminPolicy (cluster), …` for one unmanaged admin.
fn admin_policies(admin: &plan::UnmanagedAdmin) -> String {
    admin
        .policies
        .iter()
        .map(|p| format!("{} ({})", p.policy.name(), p.scope))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The exit code of a plan whose outcome is `document` (and of an apply with nothing to do):
/// 130 interrupted, 1 something failed, 3 needs attention, 2 changes pending, 0 in sync.
pub fn exit_code(document: &PlanDocument, interrupted: bool, apply_failed: bool) -> u8 {
    if interrupted {
        exit::INTERRUPTED
    } else if document.has_failures() || apply_failed {
        exit::ERROR
    } else if document.needs_attention() {
        exit::NEEDS_ATTENTION
    } else if document.pending() {
        exit::CHANGES_PENDING
    } else {
        exit::IN_SYNC
    }
}

/// The table rendering of a plan document: the plan, each cluster's status (and orphans), the
/// problems and the failures, then a one-line summary.
pub fn render(document: &PlanDocument) -> String {
    let mut out = plan::render_table(&document.plan);
    for line in &document.clusters {
        out.push_str(&format!(
            "{}: {}\n",
            line.cluster,
            output::status_label(&line.status)
        ));
        for orphan in &line.orphaned {
            out.push_str(&format!(
                "  ! orphaned {orphan}: a managed entry on a cluster the mapping does not manage \
                 (options.on_unmanaged_cluster decides: report, release or prune)\n"
            ));
        }
        for admin in line.unmanaged_admins.iter().filter(|a| !a.creator) {
            out.push_str(&format!(
                "  ! unmanaged admin {}: {} — not managed by eks-sso-sync, never changed by it; \
                 review it (or declare it in break_glass / rbac_admins)\n",
                admin.principal,
                admin_policies(admin)
            ));
        }
    }
    for p in &document.problems {
        let account = p
            .account
            .as_ref()
            .map(|a| format!(" in {a}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "problem: rule {}{account}: {}\n",
            p.rule, p.message
        ));
    }
    for failed in &document.failed {
        out.push_str(&format!("FAILED {}: {}\n", failed.cluster, failed.error));
    }
    for place in &document.unreachable {
        out.push_str(&format!("FAILED to list clusters in {place}\n"));
    }
    let changes: usize = document.changing().map(|c| c.operations.len()).sum();
    let withheld: usize = document
        .plan
        .clusters
        .iter()
        .map(|c| c.withheld.len())
        .sum();
    out.push_str(&format!(
        "{changes} change(s) planned on {} cluster(s), {withheld} withheld, {} problem(s), {} failed\n",
        document.clusters.len(),
        document.problems.len(),
        document.failed.len() + document.unreachable.len(),
    ));
    out
}
