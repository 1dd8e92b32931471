//! Re-resolving the path-stripped ARNs `aws-auth` needed against IAM: EKS access entries need the
//! full ARN, path included. A role is looked up **by name** (`GetRole`; a name is unique in an
//! account whatever its path), in the account of the ARN, through the connector every command
//! uses (which assumes that account's member role). An account the credentials cannot reach, or
//! an IAM that answers for another account, refuses that account's entries, naming the account;
//! it is never resolved somewhere else.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::ImportError;
use crate::domain::{AccountId, PermissionSetName, PrincipalArn, PrincipalKind, RoleInfo};
use crate::ports::{AccountConnector, ErrorKind, IamApi, PortError};

/// IAM of the accounts an import touches, with per-account caches.
pub(super) struct IamDirectory<'a> {
    connector: &'a dyn AccountConnector,
    apis: BTreeMap<AccountId, Result<Arc<dyn IamApi>, String>>,
    sso_roles: BTreeMap<AccountId, Vec<RoleInfo>>,
}

/// What became of an SSO role named in aws-auth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SsoRole {
    /// The role still exists (found by its name), with its real path.
    Current(RoleInfo),
    /// That role is gone, but the permission set has a role again in the account: it was
    /// unassigned and assigned again, which creates a new role with a new suffix.
    Recreated(RoleInfo),
    /// No role of the permission set in the account: it is no longer assigned there.
    Gone,
    /// Several roles match the permission set; picking one would be a guess.
    Ambiguous(Vec<PrincipalArn>),
    /// The account's IAM cannot be reached with these credentials (the reason says why).
    Unreachable(String),
}

/// What became of a non-SSO role, or a user, named in aws-auth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PlainRole {
    /// IAM knows a role of that name; its ARN (with path) may differ from the aws-auth one.
    Found(RoleInfo),
    /// IAM has no role of that name in the account.
    NotFound,
    /// The account's IAM cannot be reached with these credentials (the reason says why).
    Unreachable(String),
}

/// An IAM answer, or why the account cannot be asked.
type Reached<T> = Result<T, String>;

impl<'a> IamDirectory<'a> {
    /// A directory reaching each account's IAM through `connector`.
    pub(super) fn new(connector: &'a dyn AccountConnector) -> Self {
        Self {
            connector,
            apis: BTreeMap::new(),
            sso_roles: BTreeMap::new(),
        }
    }

    /// The IAM port of `account`, opened once; `Err(reason)` when it cannot be reached.
    async fn api(&mut self, account: &AccountId) -> Result<Reached<Arc<dyn IamApi>>, ImportError> {
        if let Some(api) = self.apis.get(account) {
            return Ok(api.clone());
        }
        let api = match self.connector.iam(account).await {
            Ok(api) => Ok(api),
            Err(e) => Err(reach_error(account, e)?),
        };
        self.apis.insert(account.clone(), api.clone());
        Ok(api)
    }

    /// Marks `account` unreachable after a call failed in a way only credentials explain.
    fn refuse(&mut self, account: &AccountId, error: PortError) -> Result<String, ImportError> {
        let reason = reach_error(account, error)?;
        self.apis.insert(account.clone(), Err(reason.clone()));
        Ok(reason)
    }

    /// `GetRole` (or `GetUser`) by name in `account`; `Ok(Err(reason))` if the account cannot
    /// be reached.
    async fn named(
        &mut self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Reached<Option<RoleInfo>>, ImportError> {
        let api = match self.api(account).await? {
            Ok(api) => api,
            Err(reason) => return Ok(Err(reason)),
        };
        let answer = match kind {
            PrincipalKind::Role => api.role_by_name(name).await,
            PrincipalKind::User => api.user_by_name(name).await,
        };
        match answer {
            Ok(Some(role)) if role.arn.account() != account => {
                let reason = wrong_account(account, role.arn.account());
                self.apis.insert(account.clone(), Err(reason.clone()));
                Ok(Err(reason))
            }
            Ok(found) => Ok(Ok(found)),
            Err(e) => Ok(Err(self.refuse(account, e)?)),
        }
    }

    /// The SSO roles of `account`, listed once.
    async fn sso_roles(
        &mut self,
        account: &AccountId,
    ) -> Result<Reached<Vec<RoleInfo>>, ImportError> {
        if let Some(roles) = self.sso_roles.get(account) {
            return Ok(Ok(roles.clone()));
        }
        let api = match self.api(account).await? {
            Ok(api) => api,
            Err(reason) => return Ok(Err(reason)),
        };
        let roles = match api.list_sso_roles().await {
            Ok(roles) => roles,
            Err(e) => return Ok(Err(self.refuse(account, e)?)),
        };
        if let Some(other) = roles.iter().find(|r| r.arn.account() != account) {
            let reason = wrong_account(account, other.arn.account());
            self.apis.insert(account.clone(), Err(reason.clone()));
            return Ok(Err(reason));
        }
        self.sso_roles.insert(account.clone(), roles.clone());
        Ok(Ok(roles))
    }

    /// Finds the current role of `permission_set` in the account of `arn` (an SSO role ARN as
    /// aws-auth had it, path stripped): by its name first, then, if that role is gone, among the
    /// account's SSO roles by permission-set name (the suffix changes when a role is recreated).
    pub(super) async fn sso_role(
        &mut self,
        arn: &PrincipalArn,
        permission_set: &PermissionSetName,
    ) -> Result<SsoRole, ImportError> {
        let account = arn.account();
        match self.named(account, PrincipalKind::Role, arn.name()).await? {
            Err(reason) => return Ok(SsoRole::Unreachable(reason)),
            Ok(Some(role)) => return Ok(SsoRole::Current(role)),
            Ok(None) => {}
        }
        let roles = match self.sso_roles(account).await? {
            Err(reason) => return Ok(SsoRole::Unreachable(reason)),
            Ok(roles) => roles,
        };
        let candidates: Vec<&RoleInfo> = roles
            .iter()
            .filter(|r| {
                super::sso::permission_set_of(r.arn.name()).is_some_and(|ps| &ps == permission_set)
            })
            .collect();
        Ok(match candidates.as_slice() {
            [] => SsoRole::Gone,
            [one] => SsoRole::Recreated((*one).clone()),
            many => SsoRole::Ambiguous(many.iter().map(|r| r.arn.clone()).collect()),
        })
    }

    /// Looks a role (or user) up by the name in `arn`: IAM answers with its real path, which is
    /// the re-resolution aws-auth made necessary.
    pub(super) async fn plain_role(
        &mut self,
        arn: &PrincipalArn,
    ) -> Result<PlainRole, ImportError> {
        Ok(
            match self.named(arn.account(), arn.kind(), arn.name()).await? {
                Err(reason) => PlainRole::Unreachable(reason),
                Ok(Some(role)) => PlainRole::Found(role),
                Ok(None) => PlainRole::NotFound,
            },
        )
    }
}

/// Why an account cannot be asked, or the error that aborts the import: throttling and server
/// errors say nothing about access, and a mapping built without the answer would look complete.
fn reach_error(account: &AccountId, error: PortError) -> Result<String, ImportError> {
    if matches!(error.kind, ErrorKind::Throttled | ErrorKind::Transient) {
        return Err(ImportError::Iam {
            account: account.clone(),
            source: error,
        });
    }
    Ok(format!(
        "account {account} cannot be reached with these credentials ({error}): deploy \
         member-account.yaml in {account} so its member role can be assumed, or run the import \
         with credentials of {account}; its entries are not resolved anywhere else"
    ))
}

fn wrong_account(asked: &AccountId, answered: &AccountId) -> String {
    format!(
        "IAM answered for account {answered} when asked about account {asked}: the credentials \
         are for another account and no member role of {asked} was assumed; deploy \
         member-account.yaml in {asked} or run the import with credentials of {asked}; its \
         entries are not resolved in {answered}"
    )
}
