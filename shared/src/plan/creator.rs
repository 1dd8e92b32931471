//! Recognising the cluster creator's bootstrap entry, which EKS adds by itself and which
//! eks-sso-sync leaves alone unless told to remove it.

use crate::domain::{ActualEntry, ClusterInfo, EntryType};

/// How close (in seconds) an entry's creation time must be to the cluster's for the entry to be
/// taken for the creator's bootstrap entry.
///
/// Why: with `bootstrapClusterCreatorAdminPermissions` (the default), EKS creates the creator's
/// admin entry itself while the cluster is being created, and creation takes minutes (often
/// 10-15, AWS-FACTS §3). Half an hour covers a slow creation while leaving out admin entries
/// people add by hand later.
pub const CREATOR_ENTRY_WINDOW_SECS: i64 = 1800;

/// Whether `entry` looks like the creator's bootstrap entry of `cluster`: unmanaged, `STANDARD`,
/// `AmazonEKSClusterAdminPolicy` at cluster scope, and created within
/// [`CREATOR_ENTRY_WINDOW_SECS`] of the cluster. Both creation times must be known; an entry
/// whose age is unknown is never taken for the creator's.
pub fn is_creator_entry(entry: &ActualEntry, cluster: &ClusterInfo) -> bool {
    let (Some(entry_at), Some(cluster_at)) = (entry.created_at, cluster.created_at) else {
        return false;
    };
    !entry.is_managed()
        && entry.entry_type == EntryType::Standard
        && entry.is_cluster_admin()
        && entry_at.abs_diff(cluster_at) <= CREATOR_ENTRY_WINDOW_SECS.unsigned_abs()
}
