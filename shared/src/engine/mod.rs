//! The reconcile engine: read inventory and actual state, compute desired state, plan, guard,
//! and apply through the ports — one cluster at a time, idempotently.
//!
//! Events only decide *which* clusters to reconcile; [`reconcile_cluster`] never asks why it was
//! called. It reads the current state every time, so duplicate, late and reordered events converge.

mod access;
mod admin_removal;
mod affected;
mod apply;
mod audit;
mod creator;
mod instance;
mod orphans;
mod read;
mod reconcile;
mod retry;
mod snapshot;
mod sweep;

pub use access::{GroupAccess, access_via_group, held_on_path};
pub use affected::{
    Scope, clusters_in_scope, scope_for_assignment, scope_for_group, scope_for_permission_set,
    scope_for_sso_role,
};
pub use apply::{ApplyReport, OperationResult, Outcome, apply_plan};
pub use audit::{AuditOutcome, AuditRecord, OperationKind, RunOrigin};
pub use read::{InventoryReader, read_actual, read_decisive};
pub use reconcile::{
    ClusterReport, EngineError, ReconcileContext, ReconcileOptions, ReconcileStatus,
    reconcile_cluster,
};
pub use retry::RetryPolicy;
pub use snapshot::IdentitySnapshot;
pub use sweep::{ClusterListing, list_clusters, list_managed_clusters};

#[cfg(test)]
mod orphan_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod writer_tests;
