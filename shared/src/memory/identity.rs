//! The in-memory Identity Center: SSO Admin and Identity Store ports.

use async_trait::async_trait;

use super::{MemoryAws, memory_instance};
use crate::domain::{AccountId, GroupName};
use crate::ports::{
    AccountAssignment, IdentityCenterInstance, IdentityStoreApi, PermissionSetInfo, PortError,
    PrincipalType, SsoAdminApi,
};

#[async_trait]
impl SsoAdminApi for MemoryAws {
    async fn list_instances(&self) -> Result<Vec<IdentityCenterInstance>, PortError> {
        self.world().call("ListInstances")?;
        Ok(vec![memory_instance()])
    }

    async fn list_permission_sets(
        &self,
        _instance_arn: &str,
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
        _instance_arn: &str,
        account: &AccountId,
    ) -> Result<Vec<String>, PortError> {
        let mut w = self.world();
        w.call("ListPermissionSetsProvisionedToAccount")?;
        let mut arns: Vec<String> = w
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
        _instance_arn: &str,
        permission_set_arn: &str,
    ) -> Result<Vec<AccountId>, PortError> {
        let mut w = self.world();
        w.call("ListAccountsForProvisionedPermissionSet")?;
        let mut accounts: Vec<AccountId> = w
            .assignments
            .iter()
            .filter(|a| a.permission_set_arn == permission_set_arn)
            .map(|a| a.account.clone())
            .collect();
        accounts.sort();
        accounts.dedup();
        Ok(accounts)
    }

    async fn account_assignments(
        &self,
        _instance_arn: &str,
        account: &AccountId,
        permission_set_arn: &str,
    ) -> Result<Vec<AccountAssignment>, PortError> {
        let mut w = self.world();
        w.call("ListAccountAssignments")?;
        Ok(w.assignments
            .iter()
            .filter(|a| &a.account == account && a.permission_set_arn == permission_set_arn)
            .cloned()
            .collect())
    }

    async fn assignments_for_principal(
        &self,
        _instance_arn: &str,
        principal_type: PrincipalType,
        principal_id: &str,
    ) -> Result<Vec<AccountAssignment>, PortError> {
        let mut w = self.world();
        w.call("ListAccountAssignmentsForPrincipal")?;
        Ok(w.assignments
            .iter()
            .filter(|a| a.principal_type == principal_type && a.principal_id == principal_id)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl IdentityStoreApi for MemoryAws {
    async fn group_id(&self, _store: &str, name: &GroupName) -> Result<Option<String>, PortError> {
        let mut w = self.world();
        w.call("GetGroupId")?;
        Ok(w.groups
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(id, _)| id.clone()))
    }

    /// The in-memory store keeps memberships by user id only; it has no user names.
    async fn user_id(&self, _store: &str, _user_name: &str) -> Result<Option<String>, PortError> {
        let mut w = self.world();
        w.call("GetUserId")?;
        Ok(None)
    }

    async fn group_name(
        &self,
        _store: &str,
        group_id: &str,
    ) -> Result<Option<GroupName>, PortError> {
        let mut w = self.world();
        w.call("DescribeGroup")?;
        Ok(w.groups.get(group_id).cloned())
    }

    async fn list_group_names(&self, _store: &str) -> Result<Vec<GroupName>, PortError> {
        let mut w = self.world();
        w.call("ListGroups")?;
        let names: std::collections::BTreeSet<GroupName> = w.groups.values().cloned().collect();
        Ok(names.into_iter().collect())
    }

    async fn groups_of_user(&self, _store: &str, user_id: &str) -> Result<Vec<String>, PortError> {
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
        _store: &str,
        group_id: &str,
    ) -> Result<Vec<String>, PortError> {
        let mut w = self.world();
        w.call("ListGroupMemberships")?;
        Ok(w.memberships
            .iter()
            .filter(|(g, _)| g == group_id)
            .map(|(_, u)| u.clone())
            .collect())
    }
}
