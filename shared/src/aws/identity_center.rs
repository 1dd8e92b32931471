//! [`SsoAdminApi`] and [`IdentityStoreApi`] over the official `sso-admin` and `identitystore`
//! clients, in the Identity Center home region. Every list call follows all pages.

use async_trait::async_trait;
use aws_sdk_identitystore::types::{AlternateIdentifier, MemberId, UniqueAttribute};
use aws_sdk_ssoadmin::types::{self as sso, PrincipalType as SdkPrincipalType};
use aws_smithy_types::Document;
use futures::{StreamExt, TryStreamExt};

use crate::aws::errors::{port_error, unexpected_response};
use crate::domain::{
    AccountId, GroupId, GroupName, IdentityStoreId, InstanceArn, InvalidValue, PermissionSetArn,
    PermissionSetName, UserId,
};
use crate::ports::{
    AccountAssignment, AssignedPrincipal, ErrorKind, IdentityCenterInstance, IdentityStoreApi,
    PermissionSetInfo, PortError, PrincipalType, SsoAdminApi,
};

/// Concurrent `DescribePermissionSet` calls: well under sso-admin's ≈20 requests/s shared by
/// every caller, so a listing never starves the reconcilers running beside it.
const DESCRIBE_CONCURRENCY: usize = 8;

/// IAM Identity Center administration.
#[derive(Debug, Clone)]
pub struct SdkSsoAdmin {
    client: aws_sdk_ssoadmin::Client,
    /// `MaxResults` of list calls; `None` leaves the service default.
    page_size: Option<i32>,
}

impl SdkSsoAdmin {
    /// Wraps a client configured for the Identity Center home region.
    pub fn new(client: aws_sdk_ssoadmin::Client) -> Self {
        Self {
            client,
            page_size: None,
        }
    }

    /// Uses `page_size` results per list page (tests use tiny pages to exercise pagination).
    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// `DescribePermissionSet` → its ARN and name; `None` (with a warning) for a name our types
    /// reject, so one odd permission set cannot block every rule.
    async fn describe(
        &self,
        instance_arn: &InstanceArn,
        arn: PermissionSetArn,
    ) -> Result<Option<PermissionSetInfo>, PortError> {
        const OP: &str = "DescribePermissionSet";
        let out = self
            .client
            .describe_permission_set()
            .instance_arn(instance_arn.as_str())
            .permission_set_arn(arn.as_str())
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        let name = out
            .permission_set()
            .and_then(sso::PermissionSet::name)
            .ok_or_else(|| unexpected_response(OP, format!("{arn} has no name")))?;
        match PermissionSetName::new(name) {
            Ok(name) => Ok(Some(PermissionSetInfo { arn, name })),
            Err(error) => {
                tracing::warn!(permission_set = %arn, %error, "skipping a permission set with an unrecognised name");
                Ok(None)
            }
        }
    }
}

/// The domain principal type of an SDK one; `None` for a type this build does not know.
fn principal_type(value: Option<&SdkPrincipalType>) -> Option<PrincipalType> {
    match value? {
        SdkPrincipalType::Group => Some(PrincipalType::Group),
        SdkPrincipalType::User => Some(PrincipalType::User),
        _ => None,
    }
}

/// One assignment's fields → [`AccountAssignment`]; `None` (with a warning) when one is missing or
/// malformed, since a single odd assignment must not hide every other.
fn assignment(
    account: Option<&str>,
    permission_set_arn: Option<&str>,
    kind: Option<&SdkPrincipalType>,
    principal_id: Option<&str>,
) -> Option<AccountAssignment> {
    let converted = (|| {
        Some(AccountAssignment {
            account: AccountId::new(account?).ok()?,
            permission_set_arn: PermissionSetArn::new(permission_set_arn?).ok()?,
            principal: AssignedPrincipal::new(principal_type(kind)?, principal_id?).ok()?,
        })
    })();
    if converted.is_none() {
        tracing::warn!(
            ?account,
            ?permission_set_arn,
            ?kind,
            ?principal_id,
            "skipping an unrecognised account assignment"
        );
    }
    converted
}

/// Ids as listed, rejecting malformed ones loudly (they would be a service bug).
fn parse_ids<T>(op: &str, ids: Vec<String>) -> Result<Vec<T>, PortError>
where
    T: TryFrom<String, Error = InvalidValue>,
{
    ids.into_iter().map(|id| parse_id(op, id)).collect()
}

/// One id of a response, rejected loudly when malformed.
fn parse_id<T>(op: &str, id: impl Into<String>) -> Result<T, PortError>
where
    T: TryFrom<String, Error = InvalidValue>,
{
    T::try_from(id.into()).map_err(|e| unexpected_response(op, e))
}

#[async_trait]
impl SsoAdminApi for SdkSsoAdmin {
    async fn list_instances(&self) -> Result<Vec<IdentityCenterInstance>, PortError> {
        let instances: Vec<_> = self
            .client
            .list_instances()
            .set_max_results(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error("ListInstances", e))?;
        let mut found = Vec::with_capacity(instances.len());
        for instance in &instances {
            let (Some(arn), Some(store)) = (instance.instance_arn(), instance.identity_store_id())
            else {
                continue;
            };
            found.push(IdentityCenterInstance {
                instance_arn: parse_id("ListInstances", arn)?,
                identity_store_id: parse_id("ListInstances", store)?,
            });
        }
        found.sort();
        Ok(found)
    }

    async fn list_permission_sets(
        &self,
        instance_arn: &InstanceArn,
    ) -> Result<Vec<PermissionSetInfo>, PortError> {
        const OP: &str = "ListPermissionSets";
        let arns: Vec<String> = self
            .client
            .list_permission_sets()
            .instance_arn(instance_arn.as_str())
            .set_max_results(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error(OP, e))?;
        let arns: Vec<PermissionSetArn> = parse_ids(OP, arns)?;
        let described: Vec<Option<PermissionSetInfo>> = futures::stream::iter(arns)
            .map(|arn| self.describe(instance_arn, arn))
            .buffer_unordered(DESCRIBE_CONCURRENCY)
            .try_collect()
            .await?;
        let mut sets: Vec<PermissionSetInfo> = described.into_iter().flatten().collect();
        sets.sort_by(|a, b| (&a.name, &a.arn).cmp(&(&b.name, &b.arn)));
        Ok(sets)
    }

    async fn permission_sets_provisioned_to_account(
        &self,
        instance_arn: &InstanceArn,
        account: &AccountId,
    ) -> Result<Vec<PermissionSetArn>, PortError> {
        const OP: &str = "ListPermissionSetsProvisionedToAccount";
        let arns: Vec<String> = self
            .client
            .list_permission_sets_provisioned_to_account()
            .instance_arn(instance_arn.as_str())
            .account_id(account.as_str())
            .set_max_results(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error(OP, e))?;
        let mut arns: Vec<PermissionSetArn> = parse_ids(OP, arns)?;
        arns.sort();
        Ok(arns)
    }

    async fn accounts_for_permission_set(
        &self,
        instance_arn: &InstanceArn,
        permission_set_arn: &PermissionSetArn,
    ) -> Result<Vec<AccountId>, PortError> {
        const OP: &str = "ListAccountsForProvisionedPermissionSet";
        let ids: Vec<String> = self
            .client
            .list_accounts_for_provisioned_permission_set()
            .instance_arn(instance_arn.as_str())
            .permission_set_arn(permission_set_arn.as_str())
            .set_max_results(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error(OP, e))?;
        let mut accounts: Vec<AccountId> = parse_ids(OP, ids)?;
        accounts.sort();
        Ok(accounts)
    }

    async fn account_assignments(
        &self,
        instance_arn: &InstanceArn,
        account: &AccountId,
        permission_set_arn: &PermissionSetArn,
    ) -> Result<Vec<AccountAssignment>, PortError> {
        let listed: Vec<_> = self
            .client
            .list_account_assignments()
            .instance_arn(instance_arn.as_str())
            .account_id(account.as_str())
            .permission_set_arn(permission_set_arn.as_str())
            .set_max_results(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error("ListAccountAssignments", e))?;
        let mut assignments: Vec<_> = listed
            .iter()
            .filter_map(|a| {
                assignment(
                    a.account_id(),
                    a.permission_set_arn(),
                    a.principal_type(),
                    a.principal_id(),
                )
            })
            .collect();
        assignments.sort();
        Ok(assignments)
    }

    async fn assignments_for_principal(
        &self,
        instance_arn: &InstanceArn,
        principal: &AssignedPrincipal,
    ) -> Result<Vec<AccountAssignment>, PortError> {
        let kind = match principal.principal_type() {
            PrincipalType::Group => SdkPrincipalType::Group,
            PrincipalType::User => SdkPrincipalType::User,
        };
        let listed: Vec<_> = self
            .client
            .list_account_assignments_for_principal()
            .instance_arn(instance_arn.as_str())
            .principal_type(kind)
            .principal_id(principal.id())
            .set_max_results(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error("ListAccountAssignmentsForPrincipal", e))?;
        let mut assignments: Vec<_> = listed
            .iter()
            .filter_map(|a| {
                assignment(
                    a.account_id(),
                    a.permission_set_arn(),
                    a.principal_type(),
                    a.principal_id(),
                )
            })
            .collect();
        assignments.sort();
        Ok(assignments)
    }
}

/// The Identity Store (groups and memberships).
#[derive(Debug, Clone)]
pub struct SdkIdentityStore {
    client: aws_sdk_identitystore::Client,
    /// `MaxResults` of list calls; `None` leaves the service default.
    page_size: Option<i32>,
}

impl SdkIdentityStore {
    /// Wraps a client configured for the Identity Center home region.
    pub fn new(client: aws_sdk_identitystore::Client) -> Self {
        Self {
            client,
            page_size: None,
        }
    }

    /// Uses `page_size` results per list page (tests use tiny pages to exercise pagination).
    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = Some(page_size);
        self
    }
}

/// `Ok(None)` for a not-found error, the value otherwise.
fn none_if_not_found<T>(result: Result<T, PortError>) -> Result<Option<T>, PortError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The `AlternateIdentifier` attribute that finds a group or user by a unique attribute.
fn unique_attribute(
    operation: &str,
    path: &str,
    value: &str,
) -> Result<UniqueAttribute, PortError> {
    UniqueAttribute::builder()
        .attribute_path(path)
        .attribute_value(Document::String(value.to_owned()))
        .build()
        .map_err(|e| PortError::new(ErrorKind::Other, operation, e.to_string()))
}

#[async_trait]
impl IdentityStoreApi for SdkIdentityStore {
    async fn group_id(
        &self,
        identity_store_id: &IdentityStoreId,
        name: &GroupName,
    ) -> Result<Option<GroupId>, PortError> {
        const OP: &str = "GetGroupId";
        let by_name = unique_attribute(OP, "displayName", name.as_str())?;
        let result = self
            .client
            .get_group_id()
            .identity_store_id(identity_store_id.as_str())
            .alternate_identifier(AlternateIdentifier::UniqueAttribute(by_name))
            .send()
            .await
            .map_err(|e| port_error(OP, e));
        none_if_not_found(result)?
            .map(|out| parse_id(OP, out.group_id()))
            .transpose()
    }

    async fn user_id(
        &self,
        identity_store_id: &IdentityStoreId,
        user_name: &str,
    ) -> Result<Option<UserId>, PortError> {
        const OP: &str = "GetUserId";
        let by_name = unique_attribute(OP, "userName", user_name)?;
        let result = self
            .client
            .get_user_id()
            .identity_store_id(identity_store_id.as_str())
            .alternate_identifier(AlternateIdentifier::UniqueAttribute(by_name))
            .send()
            .await
            .map_err(|e| port_error(OP, e));
        none_if_not_found(result)?
            .map(|out| parse_id(OP, out.user_id()))
            .transpose()
    }

    async fn group_name(
        &self,
        identity_store_id: &IdentityStoreId,
        group_id: &GroupId,
    ) -> Result<Option<GroupName>, PortError> {
        const OP: &str = "DescribeGroup";
        let result = self
            .client
            .describe_group()
            .identity_store_id(identity_store_id.as_str())
            .group_id(group_id.as_str())
            .send()
            .await
            .map_err(|e| port_error(OP, e));
        let Some(group) = none_if_not_found(result)? else {
            return Ok(None);
        };
        let name = group.display_name().ok_or_else(|| {
            unexpected_response(OP, format!("group {group_id} has no display name"))
        })?;
        GroupName::new(name)
            .map(Some)
            .map_err(|e| unexpected_response(OP, e))
    }

    async fn list_group_names(
        &self,
        identity_store_id: &IdentityStoreId,
    ) -> Result<Vec<GroupName>, PortError> {
        let groups: Vec<_> = self
            .client
            .list_groups()
            .identity_store_id(identity_store_id.as_str())
            .set_max_results(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error("ListGroups", e))?;
        let mut names: Vec<GroupName> = groups
            .iter()
            .filter_map(|g| g.display_name().and_then(|n| GroupName::new(n).ok()))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    async fn groups_of_user(
        &self,
        identity_store_id: &IdentityStoreId,
        user_id: &UserId,
    ) -> Result<Vec<GroupId>, PortError> {
        const OP: &str = "ListGroupMembershipsForMember";
        let memberships: Vec<_> = self
            .client
            .list_group_memberships_for_member()
            .identity_store_id(identity_store_id.as_str())
            .member_id(MemberId::UserId(user_id.to_string()))
            .set_max_results(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error(OP, e))?;
        let ids = memberships
            .iter()
            .filter_map(|m| m.group_id().map(str::to_owned))
            .collect();
        let mut groups: Vec<GroupId> = parse_ids(OP, ids)?;
        groups.sort();
        groups.dedup();
        Ok(groups)
    }

    async fn members_of_group(
        &self,
        identity_store_id: &IdentityStoreId,
        group_id: &GroupId,
    ) -> Result<Vec<UserId>, PortError> {
        const OP: &str = "ListGroupMemberships";
        let memberships: Vec<_> = self
            .client
            .list_group_memberships()
            .identity_store_id(identity_store_id.as_str())
            .group_id(group_id.as_str())
            .set_max_results(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error(OP, e))?;
        let ids = memberships
            .iter()
            .filter_map(|m| m.member_id().and_then(|id| id.as_user_id().ok()).cloned())
            .collect();
        let mut users: Vec<UserId> = parse_ids(OP, ids)?;
        users.sort();
        users.dedup();
        Ok(users)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_convert_and_skip_unknown_principal_types() {
        let group = assignment(
            Some("111122223333"),
            Some("arn:aws:sso:::permissionSet/ssoins-1/ps-1"),
            Some(&SdkPrincipalType::Group),
            Some("g-1"),
        )
        .expect("converts");
        assert_eq!(group.principal.principal_type(), PrincipalType::Group);
        assert_eq!(group.principal.id(), "g-1");
        // A permission set ARN that is not one is an odd assignment: skipped like the others.
        assert!(
            assignment(
                Some("111122223333"),
                Some("ps"),
                Some(&SdkPrincipalType::Group),
                Some("g-1")
            )
            .is_none()
        );
        assert_eq!(group.account.as_str(), "111122223333");
        let unknown = SdkPrincipalType::from("ROBOT");
        assert!(assignment(Some("111122223333"), Some("ps"), Some(&unknown), Some("x")).is_none());
        assert!(
            assignment(
                Some("1"),
                Some("ps"),
                Some(&SdkPrincipalType::User),
                Some("x")
            )
            .is_none()
        );
        assert!(assignment(None, Some("ps"), Some(&SdkPrincipalType::User), Some("x")).is_none());
    }

    #[test]
    fn not_found_becomes_none_and_other_errors_stay() {
        let nf = PortError::new(ErrorKind::NotFound, "DescribeGroup", "gone");
        assert_eq!(none_if_not_found::<()>(Err(nf)), Ok(None));
        let denied = PortError::new(ErrorKind::AccessDenied, "DescribeGroup", "no");
        assert_eq!(none_if_not_found::<()>(Err(denied.clone())), Err(denied));
        assert_eq!(none_if_not_found(Ok(3)), Ok(Some(3)));
    }

    #[test]
    fn malformed_account_ids_are_errors() {
        assert!(parse_ids::<AccountId>("X", vec!["111122223333".into()]).is_ok());
        assert!(parse_ids::<AccountId>("X", vec!["1111".into()]).is_err());
        let wrong = parse_ids::<PermissionSetArn>("X", vec!["ps-1".into()]).unwrap_err();
        assert!(wrong.message.contains("permission set ARN"), "{wrong}");
    }
}
