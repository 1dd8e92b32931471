//! The triggers an event can carry, and which function handles each.

use serde::{Deserialize, Serialize};

use crate::domain::{
    AccountId, ClusterRef, ClusterStatus, EntryChange, GroupId, IdentityStoreId, InstanceArn,
    PermissionSetArn, PrincipalArn, UserId,
};
pub use crate::ports::{AssignedPrincipal, PrincipalType};

/// What an event says happened, reduced to what decides which clusters to reconcile.
///
/// Serialized with a stable `kind` tag (`"membership_added"`, `"cluster_created"`, ...) for the
/// CLI's JSON output; renaming a variant is a breaking change of that output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// A group was created (console, API or SCIM). Display names are masked in CloudTrail.
    GroupCreated {
        /// The identity store, when the record carries it (SCIM records do not).
        identity_store_id: Option<IdentityStoreId>,
        /// The new group's id, when the record carries it.
        group_id: Option<GroupId>,
    },
    /// A group's attributes changed.
    GroupUpdated {
        /// The identity store, when known.
        identity_store_id: Option<IdentityStoreId>,
        /// The group's id, when known.
        group_id: Option<GroupId>,
    },
    /// A group was deleted.
    GroupDeleted {
        /// The identity store, when known.
        identity_store_id: Option<IdentityStoreId>,
        /// The deleted group's id, when known.
        group_id: Option<GroupId>,
    },
    /// A user joined a group.
    MembershipAdded {
        /// The identity store, when known.
        identity_store_id: Option<IdentityStoreId>,
        /// The group joined, when known.
        group_id: Option<GroupId>,
        /// The user who joined, when known.
        user_id: Option<UserId>,
        /// The membership's id (API records only).
        membership_id: Option<String>,
    },
    /// A user left a group. `DeleteGroupMembership` carries only the membership id: the group is
    /// then unknown and the handler must treat every group as possibly affected.
    MembershipRemoved {
        /// The identity store, when known.
        identity_store_id: Option<IdentityStoreId>,
        /// The group left; `None` for `DeleteGroupMembership`.
        group_id: Option<GroupId>,
        /// The user who left, when known.
        user_id: Option<UserId>,
        /// The membership's id, when known.
        membership_id: Option<String>,
    },
    /// SCIM `PatchGroup`: some members of a group changed, but CloudTrail masks which.
    GroupMembersPatched {
        /// The identity store, when known (SCIM records usually lack it).
        identity_store_id: Option<IdentityStoreId>,
        /// The group's id (`requestParameters.id`), when known.
        group_id: Option<GroupId>,
    },
    /// A permission set was assigned to a group or user in an account (asynchronous on AWS).
    AccountAssignmentCreated {
        /// The Identity Center instance ARN.
        instance_arn: InstanceArn,
        /// The account the assignment targets.
        account: AccountId,
        /// The permission set assigned.
        permission_set_arn: PermissionSetArn,
        /// The group or user it is for (`principal_type`, `principal_id`).
        #[serde(flatten)]
        principal: AssignedPrincipal,
    },
    /// An assignment was removed; when it was the last one, Identity Center deletes the role.
    AccountAssignmentDeleted {
        /// The Identity Center instance ARN.
        instance_arn: InstanceArn,
        /// The account the assignment targeted.
        account: AccountId,
        /// The permission set unassigned.
        permission_set_arn: PermissionSetArn,
        /// The group or user it is for (`principal_type`, `principal_id`).
        #[serde(flatten)]
        principal: AssignedPrincipal,
    },
    /// A permission set was (re)provisioned, to one account or to all its accounts.
    PermissionSetProvisioned {
        /// The Identity Center instance ARN.
        instance_arn: InstanceArn,
        /// The permission set provisioned.
        permission_set_arn: PermissionSetArn,
        /// The single target account, or `None` for `ALL_PROVISIONED_ACCOUNTS`.
        account: Option<AccountId>,
    },
    /// A permission set was deleted.
    PermissionSetDeleted {
        /// The Identity Center instance ARN.
        instance_arn: InstanceArn,
        /// The deleted permission set.
        permission_set_arn: PermissionSetArn,
        /// Always `None` today: deletion is instance-wide.
        account: Option<AccountId>,
    },
    /// Identity Center created a permission-set role (possibly a recreation with a new role id).
    SsoRoleCreated {
        /// The account the role lives in.
        account: AccountId,
        /// `AWSReservedSSO_<PermissionSet>_<16 hex>`.
        role_name: String,
        /// The full role ARN with its path, when the record carries it.
        role_arn: Option<PrincipalArn>,
    },
    /// Identity Center deleted a permission-set role; entries for it are dead.
    SsoRoleDeleted {
        /// The account the role lived in.
        account: AccountId,
        /// `AWSReservedSSO_<PermissionSet>_<16 hex>`.
        role_name: String,
        /// `DeleteRole` records carry only the name, so this is usually `None`.
        role_arn: Option<PrincipalArn>,
    },
    /// `CreateCluster` was called; the cluster is usually still `CREATING`.
    ClusterCreated {
        /// The cluster.
        cluster: ClusterRef,
        /// The status the response reported, when present.
        status: Option<ClusterStatus>,
        /// Who created it, as its bootstrap admin entry names it: the session issuer's role
        /// ARN (path included) or the IAM user's ARN; `None` for the root user, an AWS service
        /// or a record without the field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        creator: Option<PrincipalArn>,
    },
    /// `UpdateClusterConfig` was called (e.g. an authentication mode change).
    ClusterConfigUpdated {
        /// The cluster.
        cluster: ClusterRef,
        /// The cluster status, when the record carries it.
        status: Option<ClusterStatus>,
    },
    /// A cluster's tags changed (`TagResource` or `UntagResource`), which may change which
    /// mapping rules select it.
    ClusterTagged {
        /// The cluster.
        cluster: ClusterRef,
        /// Never carried by `TagResource`/`UntagResource` records.
        status: Option<ClusterStatus>,
    },
    /// `DeleteCluster` was called.
    ClusterDeleted {
        /// The cluster.
        cluster: ClusterRef,
        /// The status the response reported (`DELETING`), when present.
        status: Option<ClusterStatus>,
    },
    /// Someone other than eks-sso-sync changed an access entry of a cluster (created, updated,
    /// deleted, associated or disassociated a policy, tagged or untagged it): drift to repair
    /// at once. eks-sso-sync's own calls classify as [`Trigger::Ignored`].
    AccessEntryChanged {
        /// The cluster whose entry changed.
        cluster: ClusterRef,
        /// What changed, to whom, by whom and when, as the record tells it.
        change: EntryChange,
    },
    /// The periodic full sweep.
    ScheduledSweep,
    /// A well-formed event that asks for no work, with the reason (for logs and metrics).
    Ignored {
        /// Why the event needs no work, e.g. `call failed: AccessDenied`.
        reason: String,
    },
}

impl Trigger {
    /// The stable `kind` tag this trigger serializes with.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::GroupCreated { .. } => "group_created",
            Self::GroupUpdated { .. } => "group_updated",
            Self::GroupDeleted { .. } => "group_deleted",
            Self::MembershipAdded { .. } => "membership_added",
            Self::MembershipRemoved { .. } => "membership_removed",
            Self::GroupMembersPatched { .. } => "group_members_patched",
            Self::AccountAssignmentCreated { .. } => "account_assignment_created",
            Self::AccountAssignmentDeleted { .. } => "account_assignment_deleted",
            Self::PermissionSetProvisioned { .. } => "permission_set_provisioned",
            Self::PermissionSetDeleted { .. } => "permission_set_deleted",
            Self::SsoRoleCreated { .. } => "sso_role_created",
            Self::SsoRoleDeleted { .. } => "sso_role_deleted",
            Self::ClusterCreated { .. } => "cluster_created",
            Self::ClusterConfigUpdated { .. } => "cluster_config_updated",
            Self::ClusterTagged { .. } => "cluster_tagged",
            Self::ClusterDeleted { .. } => "cluster_deleted",
            Self::AccessEntryChanged { .. } => "access_entry_changed",
            Self::ScheduledSweep => "scheduled_sweep",
            Self::Ignored { .. } => "ignored",
        }
    }

    /// The function that acts on this trigger; `None` for [`Trigger::Ignored`].
    pub fn handler(&self) -> Option<Handler> {
        match self {
            Self::GroupCreated { .. }
            | Self::GroupUpdated { .. }
            | Self::GroupDeleted { .. }
            | Self::MembershipAdded { .. }
            | Self::MembershipRemoved { .. }
            | Self::GroupMembersPatched { .. }
            | Self::AccountAssignmentCreated { .. }
            | Self::AccountAssignmentDeleted { .. }
            | Self::PermissionSetProvisioned { .. }
            | Self::PermissionSetDeleted { .. }
            | Self::SsoRoleCreated { .. }
            | Self::SsoRoleDeleted { .. } => Some(Handler::GroupSync),
            Self::ClusterCreated { .. }
            | Self::ClusterConfigUpdated { .. }
            | Self::ClusterTagged { .. }
            | Self::ClusterDeleted { .. }
            | Self::AccessEntryChanged { .. } => Some(Handler::ClusterBootstrap),
            Self::ScheduledSweep => Some(Handler::Reconciler),
            Self::Ignored { .. } => None,
        }
    }

    /// A trigger asking for no work.
    pub(crate) fn ignored(reason: impl Into<String>) -> Self {
        Self::Ignored {
            reason: reason.into(),
        }
    }
}

/// The Lambda function that acts on a trigger; the template routes each event to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Handler {
    /// `functions/group-sync`: Identity Center, assignment and SSO-role events.
    GroupSync,
    /// `functions/cluster-bootstrap`: EKS cluster and access-entry events.
    ClusterBootstrap,
    /// `functions/reconciler`: the scheduled sweep.
    Reconciler,
}

impl Handler {
    /// The function's directory name under `functions/`, also its binary name.
    pub fn name(self) -> &'static str {
        match self {
            Self::GroupSync => "group-sync",
            Self::ClusterBootstrap => "cluster-bootstrap",
            Self::Reconciler => "reconciler",
        }
    }
}
