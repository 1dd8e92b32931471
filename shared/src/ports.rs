//! Ports: the small async traits through which the engine reaches AWS. The SDK adapters in
//! `crate::aws` (feature `aws`) implement them for real; `crate::memory` (tests, feature
//! `memory`) implements them in memory for pure engine tests. Everything crossing a port is a
//! domain type, never an SDK type.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::{
    AccessEntryArn, AccessScope, AccountId, ActualEntry, AuthenticationMode, ClusterInfo,
    ClusterName, ClusterRef, EntryChange, GroupId, GroupName, IdentityStoreId, InstanceArn,
    KubernetesGroup, PermissionSetArn, PermissionSetName, PolicyArn, PrincipalArn, Region,
    RoleInfo, UserId, Username,
};

/// What kind of failure a port call met, decided from the AWS error *code* (never message text
/// alone). The engine's retry and convergence logic keys on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 409 `ResourceInUseException`: the entry (or resource) already exists.
    AlreadyExists,
    /// 404 `ResourceNotFoundException` / `NoSuchEntity`.
    NotFound,
    /// 400 `InvalidParameterException` naming the principal: a just-created role EKS cannot see
    /// yet, or a principal that does not exist.
    InvalidPrincipal,
    /// 400 `InvalidRequestException`: e.g. the cluster is in `CONFIG_MAP` mode or not `ACTIVE`.
    InvalidRequest,
    /// 400 `InvalidParameterException` for anything else: a bug or bad input, not retryable.
    InvalidParameter,
    /// 429 / `ThrottlingException` / `TooManyRequestsException`.
    Throttled,
    /// `ResourceLimitExceededException` (e.g. 3,000 entries per cluster).
    LimitExceeded,
    /// 403 `AccessDeniedException`: the function's or member role's policy forbids the call.
    AccessDenied,
    /// 5xx, timeouts, connection failures: worth retrying.
    Transient,
    /// Anything else.
    Other,
}

/// A failed port call: what kind of failure, during which operation, and AWS's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{operation} failed ({kind:?}): {message}")]
pub struct PortError {
    /// The failure kind the engine reacts to.
    pub kind: ErrorKind,
    /// The AWS operation name, e.g. `CreateAccessEntry`.
    pub operation: String,
    /// AWS's error code and message, for people.
    pub message: String,
}

impl PortError {
    /// A port error of `kind` for `operation`.
    pub fn new(kind: ErrorKind, operation: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            operation: operation.into(),
            message: message.into(),
        }
    }

    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Transient)
    }
}

/// The request to create one access entry: a domain value the planner builds, re-exported here
/// because [`EksApi::create_access_entry`] takes it.
pub use crate::domain::NewEntry;

/// EKS in one account and region.
#[async_trait]
pub trait EksApi: Send + Sync {
    /// `ListClusters`, all pages.
    async fn list_clusters(&self) -> Result<Vec<ClusterName>, PortError>;
    /// `DescribeCluster`.
    async fn describe_cluster(&self, cluster: &ClusterName) -> Result<ClusterInfo, PortError>;
    /// `UpdateClusterConfig(accessConfig.authenticationMode)`; the cluster goes `UPDATING`.
    async fn set_authentication_mode(
        &self,
        cluster: &ClusterName,
        mode: AuthenticationMode,
    ) -> Result<(), PortError>;
    /// `ListAccessEntries`, all pages.
    async fn list_access_entries(
        &self,
        cluster: &ClusterName,
    ) -> Result<Vec<PrincipalArn>, PortError>;
    /// `ListAccessEntries` with `associatedPolicyArn`, all pages: the entries `policy` is
    /// associated with (in any scope). One call answers "who holds this policy" for the whole
    /// cluster, instead of one `ListAssociatedAccessPolicies` per entry.
    async fn list_access_entries_with_policy(
        &self,
        cluster: &ClusterName,
        policy: &PolicyArn,
    ) -> Result<Vec<PrincipalArn>, PortError>;
    /// `DescribeAccessEntry` (policies are left empty; see [`EksApi::list_associated_policies`]).
    async fn describe_access_entry(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
    ) -> Result<ActualEntry, PortError>;
    /// `ListAssociatedAccessPolicies`, all pages.
    async fn list_associated_policies(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
    ) -> Result<BTreeMap<PolicyArn, AccessScope>, PortError>;
    /// `CreateAccessEntry` (type `STANDARD`).
    async fn create_access_entry(
        &self,
        cluster: &ClusterName,
        entry: &NewEntry,
    ) -> Result<(), PortError>;
    /// `UpdateAccessEntry`: replaces the whole group list; `None` username resets nothing.
    async fn update_access_entry(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
        kubernetes_groups: &BTreeSet<KubernetesGroup>,
        username: Option<&Username>,
    ) -> Result<(), PortError>;
    /// `DeleteAccessEntry` (removes its associations too).
    async fn delete_access_entry(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
    ) -> Result<(), PortError>;
    /// `AssociateAccessPolicy`: associating again replaces the scope.
    async fn associate_access_policy(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
        policy: &PolicyArn,
        scope: &AccessScope,
    ) -> Result<(), PortError>;
    /// `DisassociateAccessPolicy`.
    async fn disassociate_access_policy(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
        policy: &PolicyArn,
    ) -> Result<(), PortError>;
    /// `TagResource` on an access entry ARN.
    async fn tag_resource(
        &self,
        resource_arn: &AccessEntryArn,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), PortError>;
}

/// IAM in one account.
#[async_trait]
pub trait IamApi: Send + Sync {
    /// `ListRoles(PathPrefix=/aws-reserved/sso.amazonaws.com/)`, all pages: the SSO roles.
    async fn list_sso_roles(&self) -> Result<Vec<RoleInfo>, PortError>;
    /// `GetRole` for an explicit principal; `Ok(None)` when it does not exist.
    async fn get_role(&self, role: &PrincipalArn) -> Result<Option<RoleInfo>, PortError>;
    /// `GetRole` by name alone: the role of that name whatever its path (IAM names are unique
    /// in an account regardless of path and case); `Ok(None)` when there is none. The import of
    /// `aws-auth` needs it because aws-auth ARNs had their paths stripped.
    async fn role_by_name(&self, name: &str) -> Result<Option<RoleInfo>, PortError>;
    /// `GetUser` by name alone, like [`IamApi::role_by_name`] (the [`RoleInfo`] carries the
    /// user's ARN with its path, its `AIDA…` id and creation time).
    async fn user_by_name(&self, name: &str) -> Result<Option<RoleInfo>, PortError>;
}

/// The Identity Center instance eks-sso-sync works against.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IdentityCenterInstance {
    /// `arn:aws:sso:::instance/ssoins-…`
    pub instance_arn: InstanceArn,
    /// `d-…`
    pub identity_store_id: IdentityStoreId,
}

/// A permission set's ARN and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PermissionSetInfo {
    /// `arn:aws:sso:::permissionSet/ssoins-…/ps-…`
    pub arn: PermissionSetArn,
    /// Its name, which the SSO role name embeds.
    pub name: PermissionSetName,
}

/// Who an account assignment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PrincipalType {
    /// An Identity Store group.
    Group,
    /// An Identity Store user.
    User,
}

/// Who an account assignment is for, by Identity Store id. Serialized as the two fields AWS
/// uses, `principal_type` (`GROUP`/`USER`) and `principal_id`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(
    tag = "principal_type",
    content = "principal_id",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum AssignedPrincipal {
    /// An Identity Store group.
    Group(GroupId),
    /// An Identity Store user.
    User(UserId),
}

impl AssignedPrincipal {
    /// The principal from AWS's two fields, or why they do not make one.
    pub fn new(
        principal_type: PrincipalType,
        id: impl Into<String>,
    ) -> Result<Self, crate::domain::InvalidValue> {
        Ok(match principal_type {
            PrincipalType::Group => Self::Group(GroupId::new(id)?),
            PrincipalType::User => Self::User(UserId::new(id)?),
        })
    }

    /// Group or user.
    pub fn principal_type(&self) -> PrincipalType {
        match self {
            Self::Group(_) => PrincipalType::Group,
            Self::User(_) => PrincipalType::User,
        }
    }

    /// The id, whichever kind it is.
    pub fn id(&self) -> &str {
        match self {
            Self::Group(id) => id.as_str(),
            Self::User(id) => id.as_str(),
        }
    }

    /// The group id, when the principal is a group.
    pub fn group(&self) -> Option<&GroupId> {
        match self {
            Self::Group(id) => Some(id),
            Self::User(_) => None,
        }
    }
}

/// One account assignment: principal → permission set in an account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccountAssignment {
    /// The account.
    pub account: AccountId,
    /// The permission set ARN.
    pub permission_set_arn: PermissionSetArn,
    /// The group or user it is for.
    #[serde(flatten)]
    pub principal: AssignedPrincipal,
}

/// IAM Identity Center administration (`sso-admin`), in the Identity Center home region.
#[async_trait]
pub trait SsoAdminApi: Send + Sync {
    /// `ListInstances`.
    async fn list_instances(&self) -> Result<Vec<IdentityCenterInstance>, PortError>;
    /// `ListPermissionSets` + `DescribePermissionSet` for each.
    async fn list_permission_sets(
        &self,
        instance_arn: &InstanceArn,
    ) -> Result<Vec<PermissionSetInfo>, PortError>;
    /// `ListPermissionSetsProvisionedToAccount`: permission set ARNs provisioned to `account`.
    async fn permission_sets_provisioned_to_account(
        &self,
        instance_arn: &InstanceArn,
        account: &AccountId,
    ) -> Result<Vec<PermissionSetArn>, PortError>;
    /// `ListAccountsForProvisionedPermissionSet`.
    async fn accounts_for_permission_set(
        &self,
        instance_arn: &InstanceArn,
        permission_set_arn: &PermissionSetArn,
    ) -> Result<Vec<AccountId>, PortError>;
    /// `ListAccountAssignments` for one account and permission set.
    async fn account_assignments(
        &self,
        instance_arn: &InstanceArn,
        account: &AccountId,
        permission_set_arn: &PermissionSetArn,
    ) -> Result<Vec<AccountAssignment>, PortError>;
    /// `ListAccountAssignmentsForPrincipal`: everything a group or user is assigned.
    async fn assignments_for_principal(
        &self,
        instance_arn: &InstanceArn,
        principal: &AssignedPrincipal,
    ) -> Result<Vec<AccountAssignment>, PortError>;
}

/// The Identity Store (users, groups, memberships), in the Identity Center home region.
#[async_trait]
pub trait IdentityStoreApi: Send + Sync {
    /// `GetGroupId` by display name; `Ok(None)` when no such group exists.
    async fn group_id(
        &self,
        identity_store_id: &IdentityStoreId,
        name: &GroupName,
    ) -> Result<Option<GroupId>, PortError>;
    /// `GetUserId` by user name; `Ok(None)` when no such user exists.
    async fn user_id(
        &self,
        identity_store_id: &IdentityStoreId,
        user_name: &str,
    ) -> Result<Option<UserId>, PortError>;
    /// `DescribeGroup`: the display name of a group id; `Ok(None)` when it is gone.
    async fn group_name(
        &self,
        identity_store_id: &IdentityStoreId,
        group_id: &GroupId,
    ) -> Result<Option<GroupName>, PortError>;
    /// `ListGroups`: every group's display name, in name order. Read only to suggest the
    /// closest names for one that does not exist.
    async fn list_group_names(
        &self,
        identity_store_id: &IdentityStoreId,
    ) -> Result<Vec<GroupName>, PortError>;
    /// `ListGroupMembershipsForMember`: the group ids a user belongs to.
    async fn groups_of_user(
        &self,
        identity_store_id: &IdentityStoreId,
        user_id: &UserId,
    ) -> Result<Vec<GroupId>, PortError>;
    /// `ListGroupMemberships`: the user ids in a group.
    async fn members_of_group(
        &self,
        identity_store_id: &IdentityStoreId,
        group_id: &GroupId,
    ) -> Result<Vec<UserId>, PortError>;
}

/// Reaches the per-account, per-region APIs, assuming the member-account role where needed.
#[async_trait]
pub trait AccountConnector: Send + Sync {
    /// EKS in `account` / `region`.
    async fn eks(&self, account: &AccountId, region: &Region)
    -> Result<Arc<dyn EksApi>, PortError>;
    /// IAM in `account`.
    async fn iam(&self, account: &AccountId) -> Result<Arc<dyn IamApi>, PortError>;
}

/// One unit of work for the reconciler: reconcile this cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ReconcileJob {
    /// The cluster to reconcile.
    pub cluster: ClusterRef,
    /// Why (the trigger kind), for logs and audit records.
    pub reason: String,
    /// The EventBridge event id that caused it, if any.
    pub event_id: Option<String>,
    /// When the first attempt was enqueued (seconds since the epoch): bounds the wait for a
    /// cluster that is not yet `ACTIVE`.
    pub first_enqueued_at: i64,
    /// How many times the job was put back waiting for the cluster.
    pub attempt: u32,
    /// The cluster's creator, when the job comes from its `CreateCluster` record: the only
    /// principal whose bootstrap entry `options.remove_creator_admin` may remove. Absent in
    /// jobs from other triggers and in messages of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<PrincipalArn>,
    /// The sweep that enqueued the job (absent in event-driven jobs and older messages). The
    /// reconciler's batches of one sweep share one Identity Center and IAM snapshot per warm
    /// container; a job without a generation always reads Identity Center fresh, so it sees
    /// the change that triggered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<String>,
    /// What identifies the change behind the job whatever copy of its event arrived
    /// ([`crate::events::Classified::change_id`]); when present, the FIFO deduplication id is
    /// built from it instead of the event id and time, so the copies a replicated Identity
    /// Center instance emits in each Region lead to one job. Absent in sweep jobs and in
    /// messages of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
    /// The access-entry change a drift job comes from (someone else's `CreateAccessEntry`,
    /// `DeleteAccessEntry`, ...): reported with the unmanaged admins it may have made, never
    /// acted on. Absent in every other job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_change: Option<EntryChange>,
}

impl ReconcileJob {
    /// A first-attempt job for `cluster`, enqueued at `now` (seconds since the epoch).
    pub fn new(
        cluster: ClusterRef,
        reason: impl Into<String>,
        event_id: Option<String>,
        now: i64,
    ) -> Self {
        Self {
            cluster,
            reason: reason.into(),
            event_id,
            first_enqueued_at: now,
            attempt: 0,
            creator: None,
            generation: None,
            change_id: None,
            entry_change: None,
        }
    }

    /// The job, stamped with the generation (the sweep) that enqueued it.
    pub fn with_generation(mut self, generation: impl Into<String>) -> Self {
        self.generation = Some(generation.into());
        self
    }

    /// The job, carrying the cluster's creator from its `CreateCluster` record.
    pub fn with_creator(mut self, creator: Option<PrincipalArn>) -> Self {
        self.creator = creator;
        self
    }

    /// The job, deduplicated by the change its event reports (see [`ReconcileJob::change_id`]).
    pub fn with_change_id(mut self, change_id: impl Into<String>) -> Self {
        self.change_id = Some(change_id.into());
        self
    }

    /// The job, carrying the access-entry change it repairs after.
    pub fn with_entry_change(mut self, change: EntryChange) -> Self {
        self.entry_change = Some(change);
        self
    }
}

/// The reconcile queue (SQS FIFO, message group = cluster ARN).
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Enqueues jobs; a job for a cluster already queued may be deduplicated.
    async fn enqueue(&self, jobs: &[ReconcileJob]) -> Result<(), PortError>;
    /// Hides a received message for `delay_seconds` (SQS `ChangeMessageVisibility`), so that a job
    /// waiting for its cluster comes back later instead of being retried at once.
    async fn retry_later(&self, receipt_handle: &str, delay_seconds: u32) -> Result<(), PortError>;
}
