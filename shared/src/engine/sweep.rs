//! The full sweep's listing: every cluster, in every configured account and region, that the
//! mapping manages — and those it does not (any more), which may still carry managed entries.

use std::collections::BTreeSet;

use futures::stream::{self, StreamExt, TryStreamExt};

use super::reconcile::ReconcileContext;
use crate::domain::{AccountId, ClusterInfo, ClusterRef, Region};
use crate::ports::PortError;

/// Every cluster found in the mapping's accounts and regions, split by whether it is managed,
/// with the account/region pairs that could not be listed.
#[derive(Debug, Default)]
pub struct ClusterListing {
    /// Clusters the mapping manages, in order.
    pub managed: Vec<ClusterRef>,
    /// Clusters in a listed account and region that the selectors leave out (tag removed,
    /// excluded): their managed entries, if any, are orphans to report.
    pub out_of_scope: Vec<ClusterRef>,
    /// Account/region pairs that could not be read.
    pub errors: Vec<(AccountId, Region, PortError)>,
}

/// Lists the clusters the mapping manages (in `only` these accounts, if given). An account or region that cannot be read is reported
/// next to the clusters found elsewhere, so one broken member account does not stop the sweep.
pub async fn list_managed_clusters(
    ctx: &ReconcileContext,
    only: Option<&BTreeSet<AccountId>>,
) -> (Vec<ClusterRef>, Vec<(AccountId, Region, PortError)>) {
    let listing = list_clusters(ctx, only).await;
    (listing.managed, listing.errors)
}

/// Lists every cluster of the mapping's accounts and regions (in `only` these accounts, if
/// given), managed or not.
pub async fn list_clusters(
    ctx: &ReconcileContext,
    only: Option<&BTreeSet<AccountId>>,
) -> ClusterListing {
    let targets: Vec<(AccountId, Region)> = ctx
        .mapping
        .accounts
        .iter()
        .filter(|a| only.is_none_or(|only| only.contains(&a.id)))
        .flat_map(|a| a.regions.iter().map(move |r| (a.id.clone(), r.clone())))
        .collect();
    let listed = stream::iter(targets)
        .map(|(account, region)| async move {
            let found = list_in(ctx, &account, &region).await;
            (account, region, found)
        })
        .buffer_unordered(ctx.concurrency)
        .collect::<Vec<_>>()
        .await;
    let mut listing = ClusterListing::default();
    for (account, region, found) in listed {
        match found {
            Ok(found) => {
                for (cluster, managed) in found {
                    if managed {
                        listing.managed.push(cluster);
                    } else {
                        listing.out_of_scope.push(cluster);
                    }
                }
            }
            Err(e) => listing.errors.push((account, region, e)),
        }
    }
    listing.managed.sort();
    listing.out_of_scope.sort();
    listing
        .errors
        .sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    listing
}

/// The clusters of one account and region, each with whether the mapping manages it.
async fn list_in(
    ctx: &ReconcileContext,
    account: &AccountId,
    region: &Region,
) -> Result<Vec<(ClusterRef, bool)>, PortError> {
    let eks = ctx.connector.eks(account, region).await?;
    let names = eks.list_clusters().await?;
    // Selectors match on tags, which only DescribeCluster returns; the clusters are
    // independent, so they are described `ctx.concurrency` at a time (in listing order).
    let described: Vec<ClusterInfo> = stream::iter(names)
        .map(|name| {
            let eks = eks.clone();
            async move { eks.describe_cluster(&name).await }
        })
        .buffered(ctx.concurrency)
        .try_collect()
        .await?;
    let mut found = Vec::with_capacity(described.len());
    for info in described {
        ctx.reader().remember_cluster(&info).await;
        let managed = ctx.mapping.manages(&info);
        found.push((info.cluster, managed));
    }
    Ok(found)
}
