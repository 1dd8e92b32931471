//! Reading state through the ports: a cluster's actual entries, and the slice of Identity Center
//! and IAM inventory one cluster's desired state needs. The inventory comes from an
//! [`IdentitySnapshot`] (shared when the caller says so); cluster descriptions are per run.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::stream::{self, StreamExt, TryStreamExt};
use tokio::sync::Mutex;

use super::snapshot::IdentitySnapshot;
use crate::config::Mapping;
use crate::domain::{
    ActualEntry, ClusterInfo, ClusterName, ClusterRef, GroupName, PermissionSetName, PolicyArn,
    PrincipalArn,
};
use crate::inventory::{Inventory, PermissionSetInventory};
use crate::ports::{
    AccountConnector, EksApi, ErrorKind, IdentityCenterInstance, IdentityStoreApi,
    PermissionSetInfo, PortError, SsoAdminApi,
};

/// Reads every entry of `cluster` with its policies: `ListAccessEntries`, then
/// `DescribeAccessEntry` + `ListAssociatedAccessPolicies` per entry (tags and groups are only
/// visible that way), `concurrency` entries at a time. An entry deleted between the list and the
/// describe is simply absent.
pub async fn read_actual(
    eks: &dyn EksApi,
    cluster: &ClusterName,
    concurrency: usize,
) -> Result<Vec<ActualEntry>, PortError> {
    let principals = eks.list_access_entries(cluster).await?;
    read_entries(eks, cluster, principals, concurrency).await
}

/// The admin-class policies: an entry holding one (in any scope) is a possible working admin
/// for the lockout guard and a shadow admin when nobody declared it, so its policies are read.
const ADMIN_POLICY_NAMES: [&str; 2] = ["ClusterAdmin", "Admin"];

/// Reads `cluster`'s entries, the policies only where they can change a decision. Every entry is
/// described (tags say who manages it; groups and username are only there), but
/// `ListAssociatedAccessPolicies` is called only for entries that `needs_policies` names
/// (managed entries, desired principals: the plan compares their policies) and for holders of
/// an admin-class policy, found for the whole cluster with one `ListAccessEntries
/// (associatedPolicyArn)` per admin policy. Any other entry (an unmanaged node, CI or
/// AWS-created entry) is returned with no policies: it holds no admin policy, which is all the
/// lockout guard and the shadow-admin report ask of it, and nothing else reads its policies.
pub async fn read_decisive(
    eks: &dyn EksApi,
    cluster: &ClusterRef,
    concurrency: usize,
    needs_policies: &(dyn Fn(&ActualEntry) -> bool + Sync),
) -> Result<Vec<ActualEntry>, PortError> {
    let name = &cluster.name;
    let admin_policies: Vec<PolicyArn> = ADMIN_POLICY_NAMES
        .iter()
        .filter_map(|n| PolicyArn::for_people(n).ok())
        .map(|p| p.in_partition(cluster.region.partition()))
        .collect();
    let holders = futures::future::try_join_all(
        admin_policies
            .iter()
            .map(|p| eks.list_access_entries_with_policy(name, p)),
    );
    let (principals, holders) = futures::try_join!(eks.list_access_entries(name), holders)?;
    let admins: BTreeSet<PrincipalArn> = holders.into_iter().flatten().collect();
    let wants = |entry: &ActualEntry| admins.contains(&entry.principal) || needs_policies(entry);
    read_some(eks, name, principals, concurrency, &wants).await
}

/// Reads the entries of `principals` on `cluster` with their policies, as [`read_actual`] does
/// for all of them.
pub async fn read_entries(
    eks: &dyn EksApi,
    cluster: &ClusterName,
    principals: Vec<PrincipalArn>,
    concurrency: usize,
) -> Result<Vec<ActualEntry>, PortError> {
    read_some(eks, cluster, principals, concurrency, &|_| true).await
}

/// Describes each of `principals` on `cluster` (bounded by `concurrency`), and lists the
/// policies of those `wants_policies` names; an entry gone in between (404) is left out. Sorted
/// by principal.
async fn read_some(
    eks: &dyn EksApi,
    cluster: &ClusterName,
    principals: Vec<PrincipalArn>,
    concurrency: usize,
    wants_policies: &(dyn Fn(&ActualEntry) -> bool + Sync),
) -> Result<Vec<ActualEntry>, PortError> {
    let entries: Vec<Option<ActualEntry>> = stream::iter(principals)
        .map(|principal| async move {
            let mut entry = match eks.describe_access_entry(cluster, &principal).await {
                Ok(entry) => entry,
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            if !wants_policies(&entry) {
                return Ok(Some(entry));
            }
            entry.policies = match eks.list_associated_policies(cluster, &principal).await {
                Ok(policies) => policies,
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            Ok(Some(entry))
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    let mut entries: Vec<ActualEntry> = entries.into_iter().flatten().collect();
    entries.sort_by(|a, b| a.principal.cmp(&b.principal));
    Ok(entries)
}

/// Reads inventory for reconciles: Identity Center and IAM from its snapshot, clusters described
/// once per run. Create one per invocation (or per batch); share a snapshot only between runs
/// that may see the same Identity Center state (see `ReconcileContext::sharing`).
pub struct InventoryReader {
    connector: Arc<dyn AccountConnector>,
    identity: Arc<IdentitySnapshot>,
    /// Clusters already described in this run (by the sweep's listing): a run works from one
    /// snapshot of each cluster instead of describing it twice. Never shared between runs: EKS
    /// state is read fresh by every reconcile.
    clusters: Mutex<BTreeMap<ClusterRef, ClusterInfo>>,
}

impl InventoryReader {
    /// A reader with a new, empty snapshot.
    pub fn new(
        mapping: Arc<Mapping>,
        connector: Arc<dyn AccountConnector>,
        sso_admin: Arc<dyn SsoAdminApi>,
        identity_store: Arc<dyn IdentityStoreApi>,
    ) -> Self {
        let identity = Arc::new(IdentitySnapshot::new(
            mapping,
            connector.clone(),
            sso_admin,
            identity_store,
        ));
        Self::with_snapshot(connector, identity)
    }

    /// A reader over an existing snapshot, with its own (empty) cluster descriptions.
    pub fn with_snapshot(
        connector: Arc<dyn AccountConnector>,
        identity: Arc<IdentitySnapshot>,
    ) -> Self {
        Self {
            connector,
            identity,
            clusters: Mutex::new(BTreeMap::new()),
        }
    }

    /// The Identity Center and IAM snapshot this reader uses.
    pub fn snapshot(&self) -> &Arc<IdentitySnapshot> {
        &self.identity
    }

    /// Remembers a cluster described elsewhere in this run (e.g. while listing clusters).
    pub async fn remember_cluster(&self, info: &ClusterInfo) {
        self.clusters
            .lock()
            .await
            .insert(info.cluster.clone(), info.clone());
    }

    /// The cluster's description: this run's, or `DescribeCluster` (remembered for the run).
    async fn describe(&self, cluster: &ClusterRef) -> Result<ClusterInfo, PortError> {
        if let Some(info) = self.clusters.lock().await.get(cluster).cloned() {
            return Ok(info);
        }
        let eks = self
            .connector
            .eks(&cluster.account, &cluster.region)
            .await?;
        let info = eks.describe_cluster(&cluster.name).await?;
        self.remember_cluster(&info).await;
        Ok(info)
    }

    /// The Identity Center instance (see [`IdentitySnapshot::instance`]).
    pub async fn instance(&self) -> Result<&IdentityCenterInstance, PortError> {
        self.identity.instance().await
    }

    /// The name of every permission set of the instance.
    pub async fn permission_set_names(
        &self,
    ) -> Result<std::collections::BTreeSet<PermissionSetName>, PortError> {
        self.identity.permission_set_names().await
    }

    /// The permission sets some rule wants.
    pub async fn wanted_permission_sets(&self) -> Result<&[PermissionSetInfo], PortError> {
        self.identity.wanted_permission_sets().await
    }

    /// The mapping's filter groups the Identity Store does not know, with hints.
    pub async fn unknown_groups(&self) -> Result<&BTreeMap<GroupName, Vec<String>>, PortError> {
        self.identity.unknown_groups().await
    }

    /// The inventory one cluster's desired state needs: its own description, its account's
    /// assignments and SSO roles, and the explicit principals.
    pub async fn for_cluster(&self, cluster: &ClusterRef) -> Result<Inventory, PortError> {
        // The cluster's description and its account's inventory are independent reads.
        let (info, slice) = futures::try_join!(
            self.describe(cluster),
            self.identity.account(&cluster.account)
        )?;
        let mut inventory = Inventory {
            clusters: vec![info],
            principal_roles: self.identity.principal_roles().await?.clone(),
            permission_set_names: Some(self.identity.permission_set_names().await?),
            unknown_groups: self.identity.unknown_groups().await?.clone(),
            ..Inventory::default()
        };
        for (name, (arn, groups)) in &slice.permission_sets {
            let entry = inventory
                .permission_sets
                .entry(name.clone())
                .or_insert_with(|| PermissionSetInventory {
                    arn: arn.clone(),
                    accounts: BTreeMap::new(),
                });
            entry
                .accounts
                .insert(cluster.account.clone(), groups.clone());
        }
        inventory
            .sso_roles
            .insert(cluster.account.clone(), slice.sso_roles.clone());
        Ok(inventory)
    }
}
