//! In-memory implementations of every port, for pure engine tests: a small world of accounts,
//! IAM roles, Identity Center and EKS clusters with the AWS behaviours the engine depends on
//! (role-id binding, 409/404, CONFIG_MAP refusals, server defaults), plus scripted faults and a
//! call log. Behaviour across the real wire is tested against the emulator, not here.

mod eks;
mod identity;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use crate::domain::{
    AccessScope, AccountId, ActualEntry, AuthenticationMode, ClusterInfo, ClusterRef,
    ClusterStatus, GroupId, GroupName, IdentityStoreId, InstanceArn, PermissionSetArn,
    PermissionSetName, PolicyArn, PrincipalArn, Region, RoleId, RoleInfo, UserId, sso_role_path,
};
use crate::ports::{
    AccountAssignment, AccountConnector, AssignedPrincipal, EksApi, ErrorKind, IamApi,
    IdentityCenterInstance, JobQueue, PortError, ReconcileJob,
};

pub use eks::MemoryEks;

/// An entry as stored: what EKS reports, plus the role id it is bound to (invisible through the
/// API, like in AWS).
#[derive(Debug, Clone)]
pub(crate) struct StoredEntry {
    pub entry: ActualEntry,
    pub bound_role_id: Option<RoleId>,
}

#[derive(Debug, Clone)]
pub(crate) struct StoredCluster {
    pub info: ClusterInfo,
    pub entries: BTreeMap<PrincipalArn, StoredEntry>,
}

/// When the fake's roles were created: before every entry (entries are stamped 1_700_000_000).
const ROLES_CREATED_AT: i64 = 1_600_000_000;
/// When a role recreated by [`MemoryAws::recreate_role`] was created: after every entry.
const RECREATED_ROLES_CREATED_AT: i64 = 1_800_000_000;

#[derive(Debug, Default)]
pub(crate) struct World {
    pub home_region: Option<Region>,
    pub permission_sets: BTreeMap<PermissionSetArn, PermissionSetName>,
    pub assignments: BTreeSet<AccountAssignment>,
    pub groups: BTreeMap<GroupId, GroupName>,
    pub memberships: BTreeSet<(GroupId, UserId)>,
    pub roles: BTreeMap<AccountId, BTreeMap<String, RoleInfo>>,
    pub users: BTreeMap<AccountId, BTreeMap<String, RoleInfo>>,
    pub clusters: BTreeMap<ClusterRef, StoredCluster>,
    pub faults: BTreeMap<String, VecDeque<ErrorKind>>,
    pub calls: Vec<String>,
    pub jobs: Vec<ReconcileJob>,
    pub delayed: Vec<(String, u32)>,
    pub next_id: u64,
}

impl World {
    /// Records a call and returns the scripted fault for it, if any.
    pub fn call(&mut self, operation: &str) -> Result<(), PortError> {
        self.calls.push(operation.to_owned());
        match self.faults.get_mut(operation).and_then(VecDeque::pop_front) {
            Some(kind) => Err(PortError::new(kind, operation, "injected fault")),
            None => Ok(()),
        }
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn create_role(&mut self, account: &AccountId, path: &str, name: &str) -> RoleInfo {
        let n = self.fresh_id();
        let role = RoleInfo {
            arn: PrincipalArn::role("aws", account, path, name)
                .unwrap_or_else(|e| panic!("test role: {e}")),
            role_id: RoleId::new(format!("AROAMEMORY{n:010}"))
                .unwrap_or_else(|e| panic!("test role id: {e}")),
            // Before every entry the fake creates (they are all stamped 1_700_000_000), so a
            // role's entries are never taken for an older role's.
            created_at: Some(ROLES_CREATED_AT + i64::try_from(n).unwrap_or(0)),
        };
        self.roles
            .entry(account.clone())
            .or_default()
            .insert(name.to_owned(), role.clone());
        role
    }
}

/// The in-memory AWS world. Cheap to clone (shared state); every port hands out views of it.
#[derive(Clone, Default)]
pub struct MemoryAws {
    world: Arc<Mutex<World>>,
}

impl MemoryAws {
    /// An empty world whose Identity Center lives in `home_region`.
    pub fn new(home_region: &str) -> Self {
        let aws = Self::default();
        aws.world().home_region = Region::new(home_region).ok();
        aws
    }

    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        // A test that panicked while holding the lock poisons it; the state is still usable.
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates a permission set and returns its ARN.
    pub fn add_permission_set(&self, name: &str) -> PermissionSetArn {
        let mut w = self.world();
        let n = w.fresh_id();
        let arn = PermissionSetArn::new(format!(
            "arn:aws:sso:::permissionSet/ssoins-memory/ps-{n:016x}"
        ))
        .unwrap_or_else(|e| panic!("test permission set ARN: {e}"));
        let name =
            PermissionSetName::new(name).unwrap_or_else(|e| panic!("test permission set: {e}"));
        w.permission_sets.insert(arn.clone(), name);
        arn
    }

    /// Creates a group and returns its id.
    pub fn add_group(&self, name: &str) -> GroupId {
        let mut w = self.world();
        let id = GroupId::new(format!("group-{}", w.fresh_id()))
            .unwrap_or_else(|e| panic!("test group id: {e}"));
        w.groups.insert(
            id.clone(),
            GroupName::new(name).unwrap_or_else(|e| panic!("test group: {e}")),
        );
        id
    }

    /// Assigns the permission set to the group in `account`; like Identity Center, the first
    /// assignment in an account creates the `AWSReservedSSO_<name>_<hex>` role.
    pub fn assign(
        &self,
        group_id: &GroupId,
        permission_set_arn: &PermissionSetArn,
        account: &str,
    ) -> RoleInfo {
        let account = AccountId::new(account).unwrap_or_else(|e| panic!("test account: {e}"));
        let mut w = self.world();
        let name = w.permission_sets[permission_set_arn].clone();
        w.assignments.insert(AccountAssignment {
            account: account.clone(),
            permission_set_arn: permission_set_arn.clone(),
            principal: AssignedPrincipal::Group(group_id.clone()),
        });
        let existing = w.roles.get(&account).and_then(|roles| {
            roles
                .values()
                .find(|r| crate::domain::is_sso_role_of(r.arn.name(), &name))
                .cloned()
        });
        if let Some(role) = existing {
            return role;
        }
        let path = sso_role_path(
            w.home_region
                .as_ref()
                .unwrap_or(&Region::new("us-east-1").unwrap_or_else(|e| panic!("{e}"))),
        );
        let suffix = format!("{:016x}", w.fresh_id() * 0x9e37_79b9);
        w.create_role(&account, &path, &format!("AWSReservedSSO_{name}_{suffix}"))
    }

    /// Deletes and recreates a role under the identical ARN: a new role id, so entries bound to
    /// the old one are dead.
    pub fn recreate_role(&self, role: &PrincipalArn) -> RoleInfo {
        let mut w = self.world();
        let mut info = w.create_role(role.account(), role.path(), role.name());
        // Recreated now: after every entry that exists, which all belong to the old role.
        info.created_at = Some(RECREATED_ROLES_CREATED_AT);
        if let Some(stored) = w
            .roles
            .get_mut(role.account())
            .and_then(|roles| roles.get_mut(role.name()))
        {
            stored.created_at = info.created_at;
        }
        info
    }

    /// Creates an IAM user.
    pub fn add_user(&self, account: &str, path: &str, name: &str) -> RoleInfo {
        let account = AccountId::new(account).unwrap_or_else(|e| panic!("test account: {e}"));
        let mut w = self.world();
        let n = w.fresh_id();
        let user = RoleInfo {
            arn: PrincipalArn::new(format!("arn:aws:iam::{account}:user{path}{name}"))
                .unwrap_or_else(|e| panic!("test user: {e}")),
            role_id: RoleId::new(format!("AIDAMEMORY{n:010}"))
                .unwrap_or_else(|e| panic!("test user id: {e}")),
            created_at: Some(ROLES_CREATED_AT),
        };
        w.users
            .entry(account)
            .or_default()
            .insert(name.to_owned(), user.clone());
        user
    }

    /// Creates a plain IAM role (e.g. a CI role or a break-glass admin).
    pub fn add_role(&self, account: &str, path: &str, name: &str) -> RoleInfo {
        let account = AccountId::new(account).unwrap_or_else(|e| panic!("test account: {e}"));
        self.world().create_role(&account, path, name)
    }

    /// Adds a cluster.
    pub fn add_cluster(
        &self,
        cluster: &ClusterRef,
        status: ClusterStatus,
        mode: AuthenticationMode,
        tags: &[(&str, &str)],
    ) {
        let info = ClusterInfo {
            cluster: cluster.clone(),
            status,
            authentication_mode: mode,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            created_at: Some(1_700_000_000),
            creator: None,
        };
        self.world().clusters.insert(
            cluster.clone(),
            StoredCluster {
                info,
                entries: BTreeMap::new(),
            },
        );
    }

    /// Sets a cluster's status (e.g. CREATING → ACTIVE).
    pub fn set_cluster_status(&self, cluster: &ClusterRef, status: ClusterStatus) {
        if let Some(c) = self.world().clusters.get_mut(cluster) {
            c.info.status = status;
        }
    }

    /// Puts an entry on a cluster directly (an unmanaged entry, a node entry, a creator entry,
    /// drift made behind the engine's back). Bound to the principal's current role id.
    pub fn put_entry(&self, cluster: &ClusterRef, entry: ActualEntry) {
        let mut w = self.world();
        let bound = w
            .roles
            .get(entry.principal.account())
            .and_then(|r| r.get(entry.principal.name()))
            .map(|r| r.role_id.clone());
        if let Some(c) = w.clusters.get_mut(cluster) {
            c.entries.insert(
                entry.principal.clone(),
                StoredEntry {
                    entry,
                    bound_role_id: bound,
                },
            );
        }
    }

    /// Replaces a policy's scope on an entry behind the engine's back (drift).
    pub fn set_policy(
        &self,
        cluster: &ClusterRef,
        principal: &PrincipalArn,
        policy: PolicyArn,
        scope: AccessScope,
    ) {
        if let Some(e) = self
            .world()
            .clusters
            .get_mut(cluster)
            .and_then(|c| c.entries.get_mut(principal))
        {
            e.entry.policies.insert(policy, scope);
        }
    }

    /// Every entry of a cluster with its policies, in principal order.
    pub fn entries(&self, cluster: &ClusterRef) -> Vec<ActualEntry> {
        self.world()
            .clusters
            .get(cluster)
            .map(|c| c.entries.values().map(|s| s.entry.clone()).collect())
            .unwrap_or_default()
    }

    /// Whether an entry works: it exists and is bound to its role's current id.
    pub fn entry_is_live(&self, cluster: &ClusterRef, principal: &PrincipalArn) -> bool {
        let w = self.world();
        let current = w
            .roles
            .get(principal.account())
            .and_then(|r| r.get(principal.name()))
            .map(|r| &r.role_id);
        let stored = w
            .clusters
            .get(cluster)
            .and_then(|c| c.entries.get(principal));
        matches!((stored, current), (Some(s), Some(id)) if s.bound_role_id.as_ref() == Some(id))
    }

    /// Makes the next `times` calls of `operation` (e.g. `CreateAccessEntry`) fail with `kind`.
    pub fn fail_next(&self, operation: &str, kind: ErrorKind, times: usize) {
        let mut w = self.world();
        let queue = w.faults.entry(operation.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(kind, times));
    }

    /// The operations called so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.world().calls.clone()
    }

    /// Forgets the call log.
    pub fn clear_calls(&self) {
        self.world().calls.clear();
    }

    /// The messages put back with `retry_later`: (receipt handle, delay in seconds).
    pub fn delayed(&self) -> Vec<(String, u32)> {
        self.world().delayed.clone()
    }

    /// Forgets the jobs enqueued so far.
    pub fn clear_jobs(&self) {
        self.world().jobs.clear();
    }

    /// The jobs enqueued so far.
    pub fn jobs(&self) -> Vec<ReconcileJob> {
        self.world().jobs.clone()
    }
}

/// IAM of one account of the in-memory world.
pub struct MemoryIam {
    aws: MemoryAws,
    account: AccountId,
}

#[async_trait]
impl IamApi for MemoryIam {
    async fn list_sso_roles(&self) -> Result<Vec<RoleInfo>, PortError> {
        let mut w = self.aws.world();
        w.call("ListRoles")?;
        let roles = w.roles.get(&self.account).map(|r| {
            r.values()
                .filter(|r| {
                    r.arn
                        .path()
                        .starts_with(crate::domain::SSO_ROLE_PATH_PREFIX)
                })
                .cloned()
                .collect()
        });
        Ok(roles.unwrap_or_default())
    }

    async fn get_role(&self, role: &PrincipalArn) -> Result<Option<RoleInfo>, PortError> {
        let mut w = self.aws.world();
        w.call("GetRole")?;
        Ok(w.roles
            .get(&self.account)
            .and_then(|r| r.get(role.name()))
            .filter(|r| &r.arn == role)
            .cloned())
    }

    async fn role_by_name(&self, name: &str) -> Result<Option<RoleInfo>, PortError> {
        let mut w = self.aws.world();
        w.call("GetRole")?;
        Ok(w.roles.get(&self.account).and_then(|roles| {
            roles
                .values()
                .find(|r| r.arn.name().eq_ignore_ascii_case(name))
                .cloned()
        }))
    }

    async fn user_by_name(&self, name: &str) -> Result<Option<RoleInfo>, PortError> {
        let mut w = self.aws.world();
        w.call("GetUser")?;
        Ok(w.users.get(&self.account).and_then(|users| {
            users
                .values()
                .find(|u| u.arn.name().eq_ignore_ascii_case(name))
                .cloned()
        }))
    }
}

#[async_trait]
impl AccountConnector for MemoryAws {
    async fn eks(
        &self,
        account: &AccountId,
        region: &Region,
    ) -> Result<Arc<dyn EksApi>, PortError> {
        Ok(Arc::new(MemoryEks::new(
            self.clone(),
            account.clone(),
            region.clone(),
        )))
    }

    async fn iam(&self, account: &AccountId) -> Result<Arc<dyn IamApi>, PortError> {
        Ok(Arc::new(MemoryIam {
            aws: self.clone(),
            account: account.clone(),
        }))
    }
}

#[async_trait]
impl JobQueue for MemoryAws {
    async fn enqueue(&self, jobs: &[ReconcileJob]) -> Result<(), PortError> {
        let mut w = self.world();
        w.call("SendMessageBatch")?;
        w.jobs.extend_from_slice(jobs);
        Ok(())
    }

    async fn retry_later(&self, receipt_handle: &str, delay_seconds: u32) -> Result<(), PortError> {
        let mut w = self.world();
        w.call("ChangeMessageVisibility")?;
        w.delayed.push((receipt_handle.to_owned(), delay_seconds));
        Ok(())
    }
}

/// The fixed instance of the in-memory Identity Center.
pub(crate) fn memory_instance() -> IdentityCenterInstance {
    IdentityCenterInstance {
        instance_arn: InstanceArn::new("arn:aws:sso:::instance/ssoins-memory")
            .unwrap_or_else(|e| panic!("memory instance: {e}")),
        identity_store_id: IdentityStoreId::new("d-memory")
            .unwrap_or_else(|e| panic!("memory instance: {e}")),
    }
}
