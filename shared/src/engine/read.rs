//! Reading state through the ports: a cluster's actual entries, and the slice of Identity Center
//! and IAM inventory one cluster's desired state needs — each read at most once per run.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::stream::{self, StreamExt, TryStreamExt};
use tokio::sync::{Mutex, OnceCell};

use crate::config::Mapping;
use crate::desired::closest_names;
use crate::domain::{
    AccountId, ActualEntry, ClusterInfo, ClusterName, ClusterRef, GroupName, PermissionSetName,
    PrincipalArn, RoleInfo,
};
use crate::inventory::{Inventory, PermissionSetInventory};
use crate::ports::{
    AccountConnector, EksApi, ErrorKind, IdentityCenterInstance, IdentityStoreApi,
    PermissionSetInfo, PortError, PrincipalType, SsoAdminApi,
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

/// Reads the entries of `principals` on `cluster` with their policies, as [`read_actual`] does
/// for all of them.
pub async fn read_entries(
    eks: &dyn EksApi,
    cluster: &ClusterName,
    principals: Vec<PrincipalArn>,
    concurrency: usize,
) -> Result<Vec<ActualEntry>, PortError> {
    let entries: Vec<Option<ActualEntry>> = stream::iter(principals)
        .map(|principal| async move {
            let mut entry = match eks.describe_access_entry(cluster, &principal).await {
                Ok(entry) => entry,
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
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

/// What one account contributes to the inventory, read once per run.
#[derive(Debug, Clone, Default)]
struct AccountSlice {
    /// Permission set name → groups holding an assignment in this account (present = assigned).
    permission_sets: BTreeMap<PermissionSetName, (String, BTreeSet<GroupName>)>,
    sso_roles: Vec<RoleInfo>,
}

/// Reads inventory through the ports with per-run caches, so a sweep over many clusters reads each
/// account's assignments and roles once. Create one per invocation: caches never outlive a run,
/// which keeps every run's view fresh.
pub struct InventoryReader {
    mapping: Arc<Mapping>,
    connector: Arc<dyn AccountConnector>,
    sso_admin: Arc<dyn SsoAdminApi>,
    identity_store: Arc<dyn IdentityStoreApi>,
    instance: OnceCell<IdentityCenterInstance>,
    all_permission_sets: OnceCell<Vec<PermissionSetInfo>>,
    permission_sets: OnceCell<Vec<PermissionSetInfo>>,
    unknown_groups: OnceCell<BTreeMap<GroupName, Vec<String>>>,
    principal_roles: OnceCell<BTreeMap<PrincipalArn, RoleInfo>>,
    accounts: Mutex<BTreeMap<AccountId, Arc<OnceCell<AccountSlice>>>>,
    group_names: Mutex<BTreeMap<String, Option<GroupName>>>,
    /// Clusters already described in this run (by the sweep's listing): a run works from one
    /// snapshot of each cluster instead of describing it twice.
    clusters: Mutex<BTreeMap<ClusterRef, ClusterInfo>>,
}

impl InventoryReader {
    /// A reader with empty caches.
    pub fn new(
        mapping: Arc<Mapping>,
        connector: Arc<dyn AccountConnector>,
        sso_admin: Arc<dyn SsoAdminApi>,
        identity_store: Arc<dyn IdentityStoreApi>,
    ) -> Self {
        Self {
            mapping,
            connector,
            sso_admin,
            identity_store,
            instance: OnceCell::new(),
            all_permission_sets: OnceCell::new(),
            permission_sets: OnceCell::new(),
            unknown_groups: OnceCell::new(),
            principal_roles: OnceCell::new(),
            accounts: Mutex::new(BTreeMap::new()),
            group_names: Mutex::new(BTreeMap::new()),
            clusters: Mutex::new(BTreeMap::new()),
        }
    }

    /// Remembers a cluster described elsewhere in this run (e.g. while listing clusters).
    pub async fn remember_cluster(&self, info: &ClusterInfo) {
        self.clusters
            .lock()
            .await
            .insert(info.cluster.clone(), info.clone());
    }

    /// The Identity Center instance, as `ListInstances` reports it: the one the mapping names
    /// (its `instance_arn` and `identity_store_id` must be a pair `ListInstances` knows: a store
    /// id from another instance would read the wrong groups), else the only one there is
    /// (several is an error to fix in the mapping, not a guess).
    pub async fn instance(&self) -> Result<&IdentityCenterInstance, PortError> {
        self.instance
            .get_or_try_init(|| async {
                let instances = self.sso_admin.list_instances().await?;
                super::instance::choose(&self.mapping.identity_center, instances)
            })
            .await
    }

    /// The name of every permission set of the instance (for checking a mapping's names).
    pub async fn permission_set_names(&self) -> Result<BTreeSet<PermissionSetName>, PortError> {
        Ok(self
            .all_permission_sets()
            .await?
            .iter()
            .map(|ps| ps.name.clone())
            .collect())
    }

    /// Every permission set of the instance, read once per run.
    async fn all_permission_sets(&self) -> Result<&[PermissionSetInfo], PortError> {
        let sets = self
            .all_permission_sets
            .get_or_try_init(|| async {
                let instance = self.instance().await?;
                let mut all = self
                    .sso_admin
                    .list_permission_sets(&instance.instance_arn)
                    .await?;
                all.sort();
                Ok::<_, PortError>(all)
            })
            .await?;
        Ok(sets)
    }

    /// The permission sets some rule wants (exact or by pattern).
    pub async fn wanted_permission_sets(&self) -> Result<&[PermissionSetInfo], PortError> {
        let sets = self
            .permission_sets
            .get_or_try_init(|| async {
                let mut wanted = self.all_permission_sets().await?.to_vec();
                wanted.retain(|ps| self.mapping.wants_permission_set(&ps.name));
                Ok::<_, PortError>(wanted)
            })
            .await?;
        Ok(sets)
    }

    /// The groups named in the mapping's `groups:` filters that the Identity Store does not
    /// know, with the closest existing names: the exact names, and what the templated ones
    /// expand to for the wanted permission sets. `ListGroups` is read only when one is missing.
    pub async fn unknown_groups(&self) -> Result<&BTreeMap<GroupName, Vec<String>>, PortError> {
        self.unknown_groups
            .get_or_try_init(|| async {
                let store = self.instance().await?.identity_store_id.clone();
                let wanted = self.wanted_permission_sets().await?;
                let mut named: BTreeSet<GroupName> = self
                    .mapping
                    .literal_filter_groups()
                    .into_values()
                    .flatten()
                    .collect();
                named.extend(
                    self.mapping
                        .templated_filter_groups(wanted.iter().map(|ps| &ps.name)),
                );
                let mut missing = Vec::new();
                for group in named {
                    if self
                        .identity_store
                        .group_id(&store, &group)
                        .await?
                        .is_none()
                    {
                        missing.push(group);
                    }
                }
                if missing.is_empty() {
                    return Ok(BTreeMap::new());
                }
                let existing = self.identity_store.list_group_names(&store).await?;
                Ok(missing
                    .into_iter()
                    .map(|group| {
                        let names = existing.iter().map(GroupName::as_str);
                        let hints = closest_names(group.as_str(), names);
                        (group, hints)
                    })
                    .collect())
            })
            .await
    }

    /// The inventory one cluster's desired state needs: its own description, its account's
    /// assignments and SSO roles, and the explicit principals.
    pub async fn for_cluster(&self, cluster: &ClusterRef) -> Result<Inventory, PortError> {
        let remembered = self.clusters.lock().await.get(cluster).cloned();
        let info = match remembered {
            Some(info) => info,
            None => {
                let eks = self
                    .connector
                    .eks(&cluster.account, &cluster.region)
                    .await?;
                let info = eks.describe_cluster(&cluster.name).await?;
                self.remember_cluster(&info).await;
                info
            }
        };
        let slice = self.account(&cluster.account).await?;
        let mut inventory = Inventory {
            clusters: vec![info],
            principal_roles: self.principal_roles().await?.clone(),
            permission_set_names: Some(self.permission_set_names().await?),
            unknown_groups: self.unknown_groups().await?.clone(),
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

    async fn account(&self, account: &AccountId) -> Result<AccountSlice, PortError> {
        let cell = {
            let mut accounts = self.accounts.lock().await;
            accounts.entry(account.clone()).or_default().clone()
        };
        let slice = cell.get_or_try_init(|| self.read_account(account)).await?;
        Ok(slice.clone())
    }

    async fn read_account(&self, account: &AccountId) -> Result<AccountSlice, PortError> {
        let instance = self.instance().await?;
        let wanted = self.wanted_permission_sets().await?;
        let provisioned: BTreeSet<String> = self
            .sso_admin
            .permission_sets_provisioned_to_account(&instance.instance_arn, account)
            .await?
            .into_iter()
            .collect();
        let mut slice = AccountSlice::default();
        for ps in wanted.iter().filter(|ps| provisioned.contains(&ps.arn)) {
            let assignments = self
                .sso_admin
                .account_assignments(&instance.instance_arn, account, &ps.arn)
                .await?;
            if assignments.is_empty() {
                continue; // provisioned but unassigned: Identity Center has deleted the role
            }
            let mut groups = BTreeSet::new();
            for a in assignments
                .iter()
                .filter(|a| a.principal_type == PrincipalType::Group)
            {
                // The assignment proves the group exists: a "no such group" here is a store
                // that has not caught up (or the wrong store), never a group to drop.
                let name = self
                    .group_name(&instance.identity_store_id, &a.principal_id)
                    .await?
                    .ok_or_else(|| assigned_group_not_found(&a.principal_id, &ps.name, account))?;
                groups.insert(name);
            }
            slice
                .permission_sets
                .insert(ps.name.clone(), (ps.arn.clone(), groups));
        }
        slice.sso_roles = self.connector.iam(account).await?.list_sso_roles().await?;
        Ok(slice)
    }

    async fn group_name(
        &self,
        store: &str,
        group_id: &str,
    ) -> Result<Option<GroupName>, PortError> {
        if let Some(cached) = self.group_names.lock().await.get(group_id) {
            return Ok(cached.clone());
        }
        let name = self.identity_store.group_name(store, group_id).await?;
        self.group_names
            .lock()
            .await
            .insert(group_id.to_owned(), name.clone());
        Ok(name)
    }

    async fn principal_roles(&self) -> Result<&BTreeMap<PrincipalArn, RoleInfo>, PortError> {
        self.principal_roles
            .get_or_try_init(|| async {
                let mut found = BTreeMap::new();
                for rule in &self.mapping.principals {
                    let arn = &rule.principal;
                    if found.contains_key(arn) {
                        continue;
                    }
                    let iam = self.connector.iam(arn.account()).await?;
                    if let Some(role) = iam.get_role(arn).await? {
                        found.insert(arn.clone(), role);
                    }
                }
                Ok(found)
            })
            .await
    }
}

/// The error for an assigned group that `DescribeGroup` does not find. Transient: the usual
/// cause is the Identity Store catching up with a change, and the run is retried; should it
/// persist, the message says what to check.
fn assigned_group_not_found(
    group_id: &str,
    permission_set: &PermissionSetName,
    account: &AccountId,
) -> PortError {
    PortError::new(
        ErrorKind::Transient,
        "DescribeGroup",
        format!(
            "group {group_id} holds an assignment of permission set {permission_set} in account \
             {account}, but the Identity Store does not find it; nothing is changed for that \
             account. If this persists, check identity_center.identity_store_id"
        ),
    )
}
