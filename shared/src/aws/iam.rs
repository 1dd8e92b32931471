//! [`IamApi`] over the official IAM client, for one account: the SSO permission-set roles
//! (found under their reserved path, never rebuilt from a template) and explicit principals.

use async_trait::async_trait;
use aws_sdk_iam::Client;

use crate::aws::errors::{port_error, unexpected_response};
use crate::domain::{
    AccountId, PrincipalArn, PrincipalKind, RoleId, RoleInfo, SSO_ROLE_PATH_PREFIX,
};
use crate::ports::{ErrorKind, IamApi, PortError};

/// `MaxItems` per `ListRoles` page: IAM's maximum, so an account with hundreds of SSO roles is
/// read in one or two calls.
const LIST_ROLES_PAGE: i32 = 1000;

/// IAM in one account.
#[derive(Debug, Clone)]
pub struct SdkIam {
    client: Client,
    account: AccountId,
    /// `MaxItems` per `ListRoles` page.
    page_size: i32,
}

impl SdkIam {
    /// Wraps a client already configured with credentials for `account`.
    pub fn new(client: Client, account: AccountId) -> Self {
        Self {
            client,
            account,
            page_size: LIST_ROLES_PAGE,
        }
    }

    /// Uses `page_size` roles per `ListRoles` page (tests use tiny pages to exercise pagination).
    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = page_size;
        self
    }

    /// The account this client reaches.
    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// `GetRole` / `GetUser` → (ARN, unique id, creation time), `None` when IAM has no such
    /// name.
    async fn principal_ids(
        &self,
        principal: &PrincipalArn,
    ) -> Result<Option<(String, String, Option<i64>)>, PortError> {
        self.ids_by_name(principal.kind(), principal.name()).await
    }

    /// `GetRole` / `GetUser` of `name` → (ARN, unique id, creation time), `None` when IAM has
    /// no such name.
    async fn ids_by_name(
        &self,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Option<(String, String, Option<i64>)>, PortError> {
        let found = match kind {
            PrincipalKind::Role => {
                let out = self.client.get_role().role_name(name).send().await;
                out.map(|o| {
                    o.role().map(|r| {
                        let created = epoch_seconds(r.create_date());
                        (r.arn().to_owned(), r.role_id().to_owned(), created)
                    })
                })
                .map_err(|e| port_error("GetRole", e))
            }
            PrincipalKind::User => {
                let out = self.client.get_user().user_name(name).send().await;
                out.map(|o| {
                    o.user().map(|u| {
                        let created = epoch_seconds(u.create_date());
                        (u.arn().to_owned(), u.user_id().to_owned(), created)
                    })
                })
                .map_err(|e| port_error("GetUser", e))
            }
        };
        match found {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            other => other,
        }
    }
}

/// IAM's `CreateDate` (always present in its answers) as seconds since the Unix epoch.
fn epoch_seconds(date: &aws_smithy_types::DateTime) -> Option<i64> {
    Some(date.secs())
}

/// What a lookup by name found → [`RoleInfo`]; an ARN or id our types reject is an unexpected
/// answer of `operation`.
fn found_by_name(
    operation: &str,
    found: Option<(String, String, Option<i64>)>,
) -> Result<Option<RoleInfo>, PortError> {
    let Some((arn, id, created_at)) = found else {
        return Ok(None);
    };
    Ok(Some(RoleInfo {
        arn: PrincipalArn::new(arn).map_err(|e| unexpected_response(operation, e))?,
        role_id: RoleId::new(id).map_err(|e| unexpected_response(operation, e))?,
        created_at,
    }))
}

/// A `ListRoles` entry → [`RoleInfo`]; `None` (with a warning) for a role our types reject.
fn role_info(arn: &str, role_id: &str, created_at: Option<i64>) -> Option<RoleInfo> {
    match (PrincipalArn::new(arn), RoleId::new(role_id)) {
        (Ok(arn), Ok(role_id)) => Some(RoleInfo {
            arn,
            role_id,
            created_at,
        }),
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(role = arn, %error, "skipping a role with an unrecognised ARN or id");
            None
        }
    }
}

#[async_trait]
impl IamApi for SdkIam {
    async fn list_sso_roles(&self) -> Result<Vec<RoleInfo>, PortError> {
        let roles: Vec<_> = self
            .client
            .list_roles()
            .path_prefix(SSO_ROLE_PATH_PREFIX)
            .max_items(self.page_size)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| port_error("ListRoles", e))?;
        let mut infos: Vec<RoleInfo> = roles
            .iter()
            .filter_map(|r| role_info(r.arn(), r.role_id(), epoch_seconds(r.create_date())))
            .collect();
        infos.sort();
        Ok(infos)
    }

    async fn get_role(&self, role: &PrincipalArn) -> Result<Option<RoleInfo>, PortError> {
        const OP: &str = "GetRole";
        if role.account() != &self.account {
            return Err(PortError::new(
                ErrorKind::InvalidParameter,
                OP,
                format!("{role} is not in account {}", self.account),
            ));
        }
        let Some((arn, role_id, created_at)) = self.principal_ids(role).await? else {
            return Ok(None);
        };
        // IAM names are unique per account whatever the path, so a hit under another path means
        // the ARN as written does not exist — and EKS would reject it.
        if arn != role.as_str() {
            tracing::warn!(principal = %role, actual = %arn, "principal exists under a different path");
            return Ok(None);
        }
        let role_id = RoleId::new(role_id).map_err(|e| unexpected_response(OP, e))?;
        Ok(Some(RoleInfo {
            arn: role.clone(),
            role_id,
            created_at,
        }))
    }

    async fn user_by_name(&self, name: &str) -> Result<Option<RoleInfo>, PortError> {
        let found = self.ids_by_name(PrincipalKind::User, name).await?;
        found_by_name("GetUser", found)
    }

    async fn role_by_name(&self, name: &str) -> Result<Option<RoleInfo>, PortError> {
        let found = self.ids_by_name(PrincipalKind::Role, name).await?;
        found_by_name("GetRole", found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_info_keeps_valid_roles_and_skips_others() {
        let ok = role_info(
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
            "AROAEXAMPLEEXAMPLE01",
            Some(1_700_000_000),
        )
        .expect("valid role");
        assert_eq!(ok.created_at, Some(1_700_000_000));
        assert_eq!(ok.role_id.as_str(), "AROAEXAMPLEEXAMPLE01");
        assert!(ok.arn.is_sso_role());
        assert!(role_info("arn:aws:iam::111122223333:role/x", "lowercase-id", None).is_none());
        assert!(role_info("not-an-arn", "AROAEXAMPLEEXAMPLE01", None).is_none());
    }
}
