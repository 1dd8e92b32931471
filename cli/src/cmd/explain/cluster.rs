//! `explain --cluster`: every access entry on one cluster, who reaches it and whether eks-sso-sync
//! manages it, and the entries the mapping wants there that do not exist yet.

use eks_sso_sync::desired::{self, ClusterDesired};
use eks_sso_sync::domain::{
    ActualEntry, ClusterInfo, ClusterRef, ClusterStatus, ManagedTags, PrincipalArn,
};
use eks_sso_sync::inventory::Inventory;
use eks_sso_sync::{engine, plan};

use super::access::Lookup;
use super::{ClusterView, EntryLine, policy_lines, sorted};
use crate::args::ClusterFilter;
use crate::connect::{self, Session};

/// What explaining one cluster reads: the cluster, its inventory, what the mapping wants there
/// (`None`: not managed) and its entries as they are.
pub struct ClusterState {
    /// The cluster.
    pub cluster: ClusterRef,
    /// `DescribeCluster`.
    pub info: ClusterInfo,
    /// Identity Center and IAM as the reader saw them, for this cluster.
    pub inventory: Inventory,
    /// The desired state of a managed cluster.
    pub wanted: Option<ClusterDesired>,
    /// The access entries (none on a `CONFIG_MAP` cluster or one not yet `ACTIVE`).
    pub actual: Vec<ActualEntry>,
}

/// Reads the cluster `name` (a managed cluster's name, or any cluster's ARN).
pub async fn read_state(session: &Session, name: &str) -> anyhow::Result<ClusterState> {
    let filter = ClusterFilter {
        clusters: vec![name.to_owned()],
    };
    let chosen = connect::resolve_clusters(session, &filter).await?;
    let Some(cluster) = chosen.into_iter().next() else {
        anyhow::bail!("no cluster matches {name:?}");
    };
    let ctx = &session.ctx;
    let inventory = ctx.reader().for_cluster(&cluster).await?;
    let mut state = desired::compute(&session.mapping, &inventory);
    let wanted = state.clusters.remove(&cluster);
    let info = inventory
        .clusters
        .first()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("DescribeCluster returned nothing for {cluster}"))?;
    // Access-entry calls fail on CONFIG_MAP clusters and are unconfirmed before ACTIVE.
    let actual = if info.status == ClusterStatus::Active
        && info.authentication_mode.supports_access_entries()
    {
        let eks = ctx.connector.eks(&cluster.account, &cluster.region).await?;
        engine::read_actual(eks.as_ref(), &cluster.name, ctx.concurrency).await?
    } else {
        Vec::new()
    };
    Ok(ClusterState {
        cluster,
        info,
        inventory,
        wanted,
        actual,
    })
}

/// The view of the cluster `name` (a managed cluster's name, or any cluster's ARN).
pub async fn view(
    session: &Session,
    lookup: &mut Lookup<'_>,
    name: &str,
) -> anyhow::Result<ClusterView> {
    let ClusterState {
        cluster,
        info,
        wanted,
        actual,
        ..
    } = read_state(session, name).await?;
    let cluster = &cluster;
    let info = &info;
    let shadow = shadow_admins(session, info, &actual);
    let mut entries = Vec::with_capacity(actual.len());
    for entry in &actual {
        let mut line = entry_line(session, lookup, cluster, entry, wanted.as_ref()).await?;
        line.unmanaged_admin = shadow.contains(&entry.principal);
        entries.push(line);
    }
    let mut missing = Vec::new();
    if let Some(wanted) = &wanted {
        for entry in wanted
            .entries
            .values()
            .filter(|e| !actual.iter().any(|a| a.principal == e.principal))
        {
            missing.push(lookup.desired_line(cluster, entry).await?);
        }
    }
    Ok(ClusterView {
        cluster: cluster.arn(),
        status: info.status.as_str().to_owned(),
        authentication_mode: info.authentication_mode.as_str().to_owned(),
        managed: wanted.is_some(),
        orphaned: match wanted {
            Some(_) => Vec::new(),
            None => sorted(plan::orphaned_entries(&actual)),
        },
        entries,
        missing,
        held: wanted
            .map(|w| w.held.into_values().collect())
            .unwrap_or_default(),
    })
}

/// The principals of the unmanaged entries that grant admin access undeclared (shadow admins).
pub fn shadow_admins(
    session: &Session,
    info: &ClusterInfo,
    actual: &[ActualEntry],
) -> Vec<PrincipalArn> {
    plan::unmanaged_admins(info, actual, &session.mapping.plan_options())
        .into_iter()
        .filter(|a| !a.creator)
        .map(|a| a.principal)
        .collect()
}

/// One entry as it is, who reaches it and whether it is managed and desired.
pub async fn entry_line(
    session: &Session,
    lookup: &mut Lookup<'_>,
    cluster: &ClusterRef,
    entry: &ActualEntry,
    wanted: Option<&ClusterDesired>,
) -> anyhow::Result<EntryLine> {
    let permission_set = entry.principal.sso_permission_set_name();
    let groups = match &permission_set {
        Some(ps) => lookup.groups_holding(&cluster.account, ps).await?,
        None => Vec::new(),
    };
    let managed = entry.is_managed();
    let rules = match entry.tags.get(ManagedTags::RULES).filter(|_| managed) {
        Some(joined) => sorted(joined.split(',').filter(|r| !r.is_empty())),
        None => Vec::new(),
    };
    Ok(EntryLine {
        principal: entry.principal.to_string(),
        entry_type: entry.entry_type.as_str().to_owned(),
        managed,
        break_glass: session
            .mapping
            .options
            .break_glass
            .contains(&entry.principal),
        unmanaged_admin: false,
        desired: wanted.is_some_and(|w| w.entries.contains_key(&entry.principal)),
        username: entry.username.clone(),
        kubernetes_groups: sorted(&entry.kubernetes_groups),
        policies: policy_lines(&entry.policies),
        rules,
        permission_set: permission_set.map(|p| p.to_string()),
        groups,
    })
}
