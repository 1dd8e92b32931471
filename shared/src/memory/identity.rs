//! The in-memory Identity Center: SSO Admin and Identity Store ports.

use async_trait::async_trait;

use super::{MemoryAws, memory_instance};
use crate::domain::{
    AccountId, GroupId, GroupName, IdentityStoreId, InstanceArn, PermissionSetArn, UserId,
};
use crate::ports::{
    AccountAssignment, AssignedPrincipal, IdentityCenterInstance, IdentityStoreApi,
    PermissionSetInfo, PortError, SsoAdminApi,
};

#[async_trait]
impl SsoAdminApi for MemoryAws {
    async fn list_instances(&self) -> Result<Vec<IdentityCenterInstance>, PortError> {
        self.world().call("ListInstances")?;
        Ok(vec![memory_instance()])
    }

    async fn list_permission_sets(
        &self,
        _instance_arn: &InstanceArn,
    ) -> Result<Vec<PermissionSetInfo>, PortError> {
        let mut w = self.world();
        w.call("ListPermissionSets")?;
        Ok(w.permission_sets
            .iter()
            .map(|(arn, name)| PermissionSetInfo {
                arn: arn.clone(),
                name: name.clone(),
            })
            .collect())
    }

    async fn permission_sets_provisioned_to_account(
        &self,
        _instance_arn: &InstanceArn,
        account: &AccountId,
    ) -> Result<Vec<PermissionSetArn>, PortError> {
        let mut w = self.world();
        w.call("ListPermissionSetsProvisionedToAccount")?;
        let mut arns: Vec<PermissionSetArn> = w
            .assignments
            .iter()
            .filter(|a| &a.account == account)
            .map(|a| a.permission_set_arn.clone())
            .collect();
        arns.dedup();
        Ok(arns)
    }

    async fn accounts_for_permission_set(
        &self,
        _instance_arn: &InstanceArn,
        permission_set_arn: &PermissionSetArn,
    ) -> Result<Vec<AccountId>, PortError> {
        let mut w = self.world();
        w.call("ListAccountsForProvisionedPermissionSet")?;
        let mut accounts: Vec<AccountId> = w
            .assignments
            .iter()
            .filter(|a| &a.permission_set_arn == permission_set_arn)
            .map(|a| a.account.clone())
            .collect();
        accounts.sort();
        accounts.dedup();
        Ok(accounts)
    }

    async fn account_assignments(
        &self,
        _instance_arn: &InstanceArn,
        account: &AccountId,
        permission_set_arn: &PermissionSetArn,
    ) -> Result<Vec<AccountAssignment>, PortError> {
        let mut w = self.world();
        w.call("ListAccountAssignments")?;
        Ok(w.assignments
            .iter()
            .filter(|a| &a.account == account && &a.permission_set_arn == permission_set_arn)
            .cloned()
            .collect())
    }

    async fn assignments_for_principal(
        &self,
        _instance_arn: &InstanceArn,
        principal: &AssignedPrincipal,
    ) -> Result<Vec<AccountAssignment>, PortError> {
        let mut w = self.world();
        w.call("ListAccountAssignmentsForPrincipal")?;
        Ok(w.assignments
            .iter()
            .filter(|a| &a.principal == principal)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl IdentityStoreApi for MemoryAws {
    async fn group_id(
        &self,
        _store: &IdentityStoreId,
        name: &GroupName,
    ) -> Result<Option<GroupId>, PortError> {
        let mut w = self.world();
        w.call("GetGroupId")?;
        Ok(w.groups
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(id, _)| id.clone()))
    }

    /// The in-memory store keeps memberships by user id only; it has no user names.
    async fn user_id(
        &self,
        _store: &IdentityStoreId,
        _user_name: &str,
    ) -> Result<Option<UserId>, PortError> {
        let mut w = self.world();
        w.call("GetUserId")?;
        Ok(None)
    }

    async fn group_name(
        &self,
        _store: &IdentityStoreId,
        group_id: &GroupId,
    ) -> Result<Option<GroupName>, PortError> {
        let mut w = self.world();
        w.call("DescribeGroup")?;
        Ok(w.groups.get(group_id).cloned())
    }

    async fn list_group_names(
        &self,
        _store: &IdentityStoreId,
    ) -> Result<Vec<GroupName>, PortError> {
        let mut w = self.world();
        w.call("ListGroups")?;
        let names: std::collections::BTreeSet<GroupName> = w.groups.values().cloned().collect();
        Ok(names.into_iter().collect())
    }

    async fn groups_of_user(
        &self,
        _store: &IdentityStoreId,
        user_id: &UserId,
    ) -> Result<Vec<GroupId>, PortError> {
        let mut w = self.world();
        w.call("ListGroupMembershipsForMember")?;
        Ok(w.memberships
            .iter()
            .filter(|(_, u)| u == user_id)
            .map(|(g, _)| g.clone())
            .collect())
    }

    async fn members_of_group(
        &self,
        _store: &IdentityStoreId,
        group_id: &GroupId,
    ) -> Result<Vec<UserId>, PortError> {
        let mut w = self.world();
        w.call("ListGroupMemberships")?;
        Ok(w.memberships
            .iter()
            .filter(|(g, _)| g == group_id)
            .map(|(_, u)| u.clone())
            .collect())
    }
}
