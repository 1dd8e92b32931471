//! The Identity Center and IAM inventory of a run, read lazily and at most once: the
//! instance, its permission sets, each account's assignments and SSO roles, group names and
//! the explicit principals' roles. A snapshot is shared by every reconcile that may use it
//! (one sweep's batches in a warm container, see `reconciler::batch`); what failed to read is
//! never stored (`OnceCell::get_or_try_init` keeps only successes), so an error is retried by the
//! next reconcile instead of being taken for an empty answer.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::stream::{self, StreamExt, TryStreamExt};
use tokio::sync::{Mutex, OnceCell};

use crate::config::Mapping;
use crate::desired::closest_names;
use crate::domain::{
    AccountId, GroupId, GroupName, IdentityStoreId, PermissionSetArn, PermissionSetName,
    PrincipalArn, RoleInfo,
};
use crate::ports::{
    AccountConnector, ErrorKind, IdentityCenterInstance, IdentityStoreApi, PermissionSetInfo,
    PortError, SsoAdminApi,
};

/// Identity Center and IAM reads of one snapshot in flight at once per account: independent
/// reads in parallel, bounded (all of `sso-admin` shares about 20 requests/s per account).
const READ_CONCURRENCY: usize = 8;

/// The marker operation of a group `DescribeGroup` did not find (never leaves this module).
const GROUP_NOT_FOUND: &str = "DescribeGroup (not found)";

/// A wanted permission set assigned in an account: its name, ARN and the groups holding it.
type AssignedSet = (PermissionSetName, (PermissionSetArn, BTreeSet<GroupName>));

/// What one account contributes to the inventory, read once per snapshot.
#[derive(Debug, Clone, Default)]
pub(super) struct AccountSlice {
    /// Permission set name → groups holding an assignment in this account (present = assigned).
    pub(super) permission_sets:
        BTreeMap<PermissionSetName, (PermissionSetArn, BTreeSet<GroupName>)>,
    /// The account's `AWSReservedSSO_*` roles.
    pub(super) sso_roles: Vec<RoleInfo>,
}

/// The Identity Center and IAM inventory, read through the ports at most once per snapshot.
pub struct IdentitySnapshot {
    mapping: Arc<Mapping>,
    connector: Arc<dyn AccountConnector>,
    sso_admin: Arc<dyn SsoAdminApi>,
    identity_store: Arc<dyn IdentityStoreApi>,
    /// When the snapshot was started (milliseconds since the epoch): everything in it was read
    /// at or after this instant.
    created_at_ms: i64,
    instance: OnceCell<IdentityCenterInstance>,
    all_permission_sets: OnceCell<Vec<PermissionSetInfo>>,
    permission_sets: OnceCell<Vec<PermissionSetInfo>>,
    unknown_groups: OnceCell<BTreeMap<GroupName, Vec<String>>>,
    principal_roles: OnceCell<BTreeMap<PrincipalArn, RoleInfo>>,
    accounts: Mutex<BTreeMap<AccountId, Arc<OnceCell<AccountSlice>>>>,
    /// Names of groups found; a group not found is not remembered (it is an error to retry).
    group_names: Mutex<BTreeMap<GroupId, Arc<OnceCell<GroupName>>>>,
}

impl IdentitySnapshot {
    /// An empty snapshot, started now.
    pub fn new(
        mapping: Arc<Mapping>,
        connector: Arc<dyn AccountConnector>,
        sso_admin: Arc<dyn SsoAdminApi>,
        identity_store: Arc<dyn IdentityStoreApi>,
    ) -> Self {
        let created_at_ms =
            (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        Self {
            mapping,
            connector,
            sso_admin,
            identity_store,
            created_at_ms,
            instance: OnceCell::new(),
            all_permission_sets: OnceCell::new(),
            permission_sets: OnceCell::new(),
            unknown_groups: OnceCell::new(),
            principal_roles: OnceCell::new(),
            accounts: Mutex::new(BTreeMap::new()),
            group_names: Mutex::new(BTreeMap::new()),
        }
    }

    /// When the snapshot was started, in milliseconds since the epoch: nothing in it is older.
    pub fn created_at_ms(&self) -> i64 {
        self.created_at_ms
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

    pub(super) async fn account(&self, account: &AccountId) -> Result<AccountSlice, PortError> {
        let cell = {
            let mut accounts = self.accounts.lock().await;
            accounts.entry(account.clone()).or_default().clone()
        };
        let slice = cell.get_or_try_init(|| self.read_account(account)).await?;
        Ok(slice.clone())
    }

    /// One account's slice: its SSO roles (IAM) and its assignments (Identity Center) are
    /// independent, so they are read side by side.
    async fn read_account(&self, account: &AccountId) -> Result<AccountSlice, PortError> {
        let sso_roles = async { self.connector.iam(account).await?.list_sso_roles().await };
        let (permission_sets, sso_roles) =
            futures::try_join!(self.read_assignments(account), sso_roles)?;
        Ok(AccountSlice {
            permission_sets,
            sso_roles,
        })
    }

    /// The wanted permission sets provisioned to `account`, with the groups holding each; the
    /// sets' assignments are read [`READ_CONCURRENCY`] at a time.
    async fn read_assignments(
        &self,
        account: &AccountId,
    ) -> Result<BTreeMap<PermissionSetName, (PermissionSetArn, BTreeSet<GroupName>)>, PortError>
    {
        let instance = self.instance().await?;
        let wanted = self.wanted_permission_sets().await?;
        let provisioned: BTreeSet<PermissionSetArn> = self
            .sso_admin
            .permission_sets_provisioned_to_account(&instance.instance_arn, account)
            .await?
            .into_iter()
            .collect();
        // Owned items: borrowed ones trip the compiler's higher-ranked lifetime check in the
        // Send futures of the trigger functions.
        let sets: Vec<PermissionSetInfo> = wanted
            .iter()
            .filter(|ps| provisioned.contains(&ps.arn))
            .cloned()
            .collect();
        let read: Vec<Option<AssignedSet>> = stream::iter(sets)
            .map(|ps| async move { self.assigned_groups(instance, account, &ps).await })
            .buffer_unordered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(read.into_iter().flatten().collect())
    }

    /// The groups holding `ps` in `account`; `None` when it is provisioned but unassigned
    /// (Identity Center has deleted the role).
    async fn assigned_groups(
        &self,
        instance: &IdentityCenterInstance,
        account: &AccountId,
        ps: &PermissionSetInfo,
    ) -> Result<Option<AssignedSet>, PortError> {
        let assignments = self
            .sso_admin
            .account_assignments(&instance.instance_arn, account, &ps.arn)
            .await?;
        if assignments.is_empty() {
            return Ok(None);
        }
        let store = &instance.identity_store_id;
        let group_ids: Vec<GroupId> = assignments
            .iter()
            .filter_map(|a| a.principal.group().cloned())
            .collect();
        let groups: Vec<GroupName> = stream::iter(group_ids)
            .map(|group_id| async move {
                // The assignment proves the group exists: a "no such group" here is a store
                // that has not caught up (or the wrong store), never a group to drop.
                self.group_name(store, &group_id)
                    .await?
                    .ok_or_else(|| assigned_group_not_found(&group_id, &ps.name, account))
            })
            .buffer_unordered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(Some((
            ps.name.clone(),
            (ps.arn.clone(), groups.into_iter().collect()),
        )))
    }

    /// A group's name, looked up once per snapshot even when several reads ask at once; a group
    /// not found is not remembered (the caller reports it, and the next read asks again).
    async fn group_name(
        &self,
        store: &IdentityStoreId,
        group_id: &GroupId,
    ) -> Result<Option<GroupName>, PortError> {
        let cell = {
            let mut names = self.group_names.lock().await;
            names.entry(group_id.clone()).or_default().clone()
        };
        let found = cell
            .get_or_try_init(|| async {
                self.identity_store
                    .group_name(store, group_id)
                    .await?
                    .ok_or_else(|| {
                        PortError::new(ErrorKind::NotFound, GROUP_NOT_FOUND, group_id.as_str())
                    })
            })
            .await;
        match found {
            Ok(name) => Ok(Some(name.clone())),
            Err(e) if e.operation == GROUP_NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn principal_roles(
        &self,
    ) -> Result<&BTreeMap<PrincipalArn, RoleInfo>, PortError> {
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
    group_id: &GroupId,
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
#[cfg(test)]
mod tests {
    use crate::engine::tests::world;
    use crate::ports::ErrorKind;

    /// A shared snapshot must never hold a failure as an answer: the next reconcile that uses
    /// it reads again, and what succeeded is then kept.
    #[tokio::test]
    async fn a_failed_read_is_not_kept_and_a_successful_one_is() {
        let w = world();
        let cluster = w.cluster.clone();
        w.aws
            .fail_next("ListAccountAssignments", ErrorKind::Throttled, 1);
        let shared = w.ctx.reader().snapshot().clone();
        let first = w.ctx.sharing(shared.clone());
        let error = first.reader().for_cluster(&cluster).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Throttled);

        let second = w.ctx.sharing(shared.clone());
        let inventory = second.reader().for_cluster(&cluster).await.unwrap();
        assert_eq!(inventory.permission_sets.len(), 2, "both assignments read");
        w.aws.clear_calls();
        let third = w.ctx.sharing(shared);
        third.reader().for_cluster(&cluster).await.unwrap();
        let identity_reads: Vec<String> = w
            .aws
            .calls()
            .into_iter()
            .filter(|c| c.starts_with("List") && c != "ListClusters")
            .collect();
        assert!(
            identity_reads.is_empty(),
            "the snapshot answered: {identity_reads:?}"
        );
    }
}
