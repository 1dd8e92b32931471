//! Recognising the cluster creator's bootstrap entry, which EKS adds by itself and which
//! eks-sso-sync leaves alone unless told to remove it.
//!
//! The creator is known only from the `CreateCluster` record (its `userIdentity` session issuer,
//! path included), which cluster-bootstrap carries in the reconcile job ([`ClusterInfo::creator`]).
//! It is never guessed: an admin entry created around the cluster's creation time may as well
//! be a person's or a pipeline's, so without the record no entry is the creator's.

use crate::domain::{ActualEntry, ClusterInfo, EntryType};

/// Whether `entry` is the creator's bootstrap entry of `cluster`: the principal the
/// `CreateCluster` record names, unmanaged and `STANDARD`.
pub fn is_creator_entry(entry: &ActualEntry, cluster: &ClusterInfo) -> bool {
    cluster.creator.as_ref() == Some(&entry.principal)
        && !entry.is_managed()
        && entry.entry_type == EntryType::Standard
}
