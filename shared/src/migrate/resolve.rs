//! Re-resolving the path-stripped ARNs `aws-auth` needed against IAM: EKS access entries need the
//! full ARN, path included. Each account's IAM port is opened once and its SSO roles listed once.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::ImportError;
use crate::domain::{AccountId, PermissionSetName, PrincipalArn, RoleInfo, is_sso_role_of};
use crate::ports::{AccountConnector, IamApi};

/// IAM of the accounts an import touches, with per-account caches.
pub(super) struct IamDirectory<'a> {
    connector: &'a dyn AccountConnector,
    apis: BTreeMap<AccountId, Arc<dyn IamApi>>,
    sso_roles: BTreeMap<AccountId, Vec<RoleInfo>>,
}

/// What became of an SSO role named in aws-auth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SsoRole {
    /// The role still exists (found by its exact name).
    Current(RoleInfo),
    /// That role is gone, but the permission set has a role again in the account: it was
    /// unassigned and assigned again, which creates a new role with a new suffix.
    Recreated(RoleInfo),
    /// No role of the permission set in the account: it is no longer assigned there.
    Gone,
    /// Several roles match the permission set; picking one would be a guess.
    Ambiguous(Vec<PrincipalArn>),
}

/// What became of a non-SSO role named in aws-auth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PlainRole {
    /// IAM knows the role; its ARN (with path) may differ from the aws-auth one.
    Found(RoleInfo),
    /// IAM has no role under that ARN.
    NotFound,
}

impl<'a> IamDirectory<'a> {
    /// A directory reaching each account's IAM through `connector`.
    pub(super) fn new(connector: &'a dyn AccountConnector) -> Self {
        Self {
            connector,
            apis: BTreeMap::new(),
            sso_roles: BTreeMap::new(),
        }
    }

    /// The IAM port of `account`, opened once.
    async fn api(&mut self, account: &AccountId) -> Result<Arc<dyn IamApi>, ImportError> {
        if let Some(api) = self.apis.get(account) {
            return Ok(Arc::clone(api));
        }
        let api = self
            .connector
            .iam(account)
            .await
            .map_err(|source| iam_error(account, source))?;
        self.apis.insert(account.clone(), Arc::clone(&api));
        Ok(api)
    }

    /// The SSO roles of `account`, listed once.
    async fn sso_roles(&mut self, account: &AccountId) -> Result<&[RoleInfo], ImportError> {
        if !self.sso_roles.contains_key(account) {
            let roles = self
                .api(account)
                .await?
                .list_sso_roles()
                .await
                .map_err(|source| iam_error(account, source))?;
            self.sso_roles.insert(account.clone(), roles);
        }
        Ok(self
            .sso_roles
            .get(account)
            .map(Vec::as_slice)
            .unwrap_or(&[]))
    }

    /// Finds the current role of `permission_set` in the account of `arn` (an SSO role ARN as
    /// aws-auth had it, path stripped). Matching is anchored (AWS-FACTS §1).
    pub(super) async fn sso_role(
        &mut self,
        arn: &PrincipalArn,
        permission_set: &PermissionSetName,
    ) -> Result<SsoRole, ImportError> {
        let roles = self.sso_roles(arn.account()).await?;
        if let Some(same) = roles.iter().find(|r| r.arn.name() == arn.name()) {
            return Ok(SsoRole::Current(same.clone()));
        }
        let candidates: Vec<&RoleInfo> = roles
            .iter()
            .filter(|r| is_sso_role_of(r.arn.name(), permission_set))
            .collect();
        Ok(match candidates.as_slice() {
            [] => SsoRole::Gone,
            [one] => SsoRole::Recreated((*one).clone()),
            many => SsoRole::Ambiguous(many.iter().map(|r| r.arn.clone()).collect()),
        })
    }

    /// Looks `arn` up with `GetRole`. An adapter that looks roles up by name may answer with the
    /// role's real path, which is then taken: that is the re-resolution aws-auth made necessary.
    pub(super) async fn plain_role(
        &mut self,
        arn: &PrincipalArn,
    ) -> Result<PlainRole, ImportError> {
        let found = self
            .api(arn.account())
            .await?
            .get_role(arn)
            .await
            .map_err(|source| iam_error(arn.account(), source))?;
        Ok(match found {
            Some(role) if role.arn.name() == arn.name() => PlainRole::Found(role),
            _ => PlainRole::NotFound,
        })
    }
}

fn iam_error(account: &AccountId, source: crate::ports::PortError) -> ImportError {
    ImportError::Iam {
        account: account.clone(),
        source,
    }
}
