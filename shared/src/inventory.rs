//! The inventory snapshot: everything read from Identity Center, IAM and EKS that the desired
//! state is computed from. Plain values; the engine fills it through the ports.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::{
    AccountId, ClusterInfo, GroupName, PermissionSetArn, PermissionSetName, PrincipalArn, RoleInfo,
};

/// Where a permission set is provisioned and who holds its assignments there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionSetInventory {
    /// The permission set ARN.
    pub arn: PermissionSetArn,
    /// Accounts with at least one assignment of this permission set → display names of the
    /// groups holding an assignment there (empty when only users are assigned directly).
    pub accounts: BTreeMap<AccountId, BTreeSet<GroupName>>,
}

/// A snapshot of the world, as read at the start of a reconcile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// Permission sets by name (only those some rule may match need be present).
    pub permission_sets: BTreeMap<PermissionSetName, PermissionSetInventory>,
    /// The SSO roles (under `/aws-reserved/sso.amazonaws.com/`) of each account.
    pub sso_roles: BTreeMap<AccountId, Vec<RoleInfo>>,
    /// The explicit principals of `principals:` rules that exist in IAM, as IAM reports them.
    /// A principal missing here does not exist (yet) and gets no entry.
    pub principal_roles: BTreeMap<PrincipalArn, RoleInfo>,
    /// The clusters in scope.
    pub clusters: Vec<ClusterInfo>,
    /// Every permission set name of the Identity Center instance, when it was read (`None`: not
    /// read, and rules are not checked against it). An exact rule naming one missing here is a
    /// problem that holds the entries it manages.
    #[serde(default)]
    pub permission_set_names: Option<BTreeSet<PermissionSetName>>,
    /// Groups named exactly in a `groups:` filter that the Identity Store does not know, with
    /// the closest existing names (best first).
    #[serde(default)]
    pub unknown_groups: BTreeMap<GroupName, Vec<String>>,
}
