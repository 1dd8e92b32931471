//! The full sweep's listing: every cluster, in every configured account and region, that the
//! mapping manages.

use std::collections::BTreeSet;

use futures::stream::{self, StreamExt};

use super::reconcile::ReconcileContext;
use crate::domain::{AccountId, ClusterRef, Region};
use crate::ports::PortError;

/// Lists the clusters the mapping manages (in `only` these accounts, if given). An account or region that cannot be read is reported
/// next to the clusters found elsewhere, so one broken member account does not stop the sweep.
pub async fn list_managed_clusters(
    ctx: &ReconcileContext,
    only: Option<&BTreeSet<AccountId>>,
) -> (Vec<ClusterRef>, Vec<(AccountId, Region, PortError)>) {
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
    let mut clusters = Vec::new();
    let mut errors = Vec::new();
    for (account, region, found) in listed {
        match found {
            Ok(mut refs) => clusters.append(&mut refs),
            Err(e) => errors.push((account, region, e)),
        }
    }
    clusters.sort();
    errors.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    (clusters, errors)
}

async fn list_in(
    ctx: &ReconcileContext,
    account: &AccountId,
    region: &Region,
) -> Result<Vec<ClusterRef>, PortError> {
    let eks = ctx.connector.eks(account, region).await?;
    let mut managed = Vec::new();
    for name in eks.list_clusters().await? {
        // Selectors match on tags, which only DescribeCluster returns.
        let info = eks.describe_cluster(&name).await?;
        ctx.reader().remember_cluster(&info).await;
        if ctx.mapping.manages(&info) {
            managed.push(info.cluster);
        }
    }
    Ok(managed)
}
