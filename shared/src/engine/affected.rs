//! Which clusters an Identity Center or IAM change may affect. Events are triggers, never truth:
//! this only narrows *where* to reconcile; the reconcile itself reads the current state. When a
//! record hides what changed (a membership removal carries only its id), the answer widens to
//! everything the mapping manages rather than guessing.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::reconcile::ReconcileContext;
use super::sweep::list_managed_clusters;
use crate::domain::{AccountId, ClusterRef, GroupId, PermissionSetArn, PermissionSetName, Region};
use crate::ports::{AssignedPrincipal, PortError};

/// The part of the world a trigger may have changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Scope {
    /// Nothing eks-sso-sync manages.
    Nothing,
    /// Every managed cluster in these accounts.
    Accounts {
        /// The accounts.
        accounts: BTreeSet<AccountId>,
    },
    /// One cluster.
    Cluster {
        /// The cluster.
        cluster: ClusterRef,
    },
    /// Every managed cluster (the record did not say enough to narrow it down).
    Everything,
}

/// The accounts where a group holds an assignment of a permission set some rule wants.
pub async fn scope_for_group(
    ctx: &ReconcileContext,
    group_id: &GroupId,
) -> Result<Scope, PortError> {
    let instance = ctx.reader().instance().await?;
    let assignments = ctx
        .sso_admin
        .assignments_for_principal(
            &instance.instance_arn,
            &AssignedPrincipal::Group(group_id.clone()),
        )
        .await?;
    let wanted = ctx.reader().wanted_permission_sets().await?;
    let accounts: BTreeSet<AccountId> = assignments
        .into_iter()
        .filter(|a| wanted.iter().any(|ps| ps.arn == a.permission_set_arn))
        .map(|a| a.account)
        .collect();
    Ok(accounts_scope(ctx, accounts))
}

/// The account of an assignment change, if its permission set is one some rule wants.
pub async fn scope_for_assignment(
    ctx: &ReconcileContext,
    account: &AccountId,
    permission_set_arn: &PermissionSetArn,
) -> Result<Scope, PortError> {
    let wanted = ctx.reader().wanted_permission_sets().await?;
    if wanted.iter().any(|ps| &ps.arn == permission_set_arn) {
        Ok(accounts_scope(ctx, BTreeSet::from([account.clone()])))
    } else {
        Ok(Scope::Nothing)
    }
}

/// Every account a provisioned permission set reaches (only `account` when the record names it).
/// A deleted permission set can no longer be looked up, so its deletion widens to every managed
/// cluster: its entries must go wherever they are.
pub async fn scope_for_permission_set(
    ctx: &ReconcileContext,
    permission_set_arn: &PermissionSetArn,
    account: Option<&AccountId>,
    deleted: bool,
) -> Result<Scope, PortError> {
    if deleted {
        return Ok(Scope::Everything);
    }
    let wanted = ctx.reader().wanted_permission_sets().await?;
    if !wanted.iter().any(|ps| &ps.arn == permission_set_arn) {
        return Ok(Scope::Nothing);
    }
    if let Some(account) = account {
        return Ok(accounts_scope(ctx, BTreeSet::from([account.clone()])));
    }
    let instance = ctx.reader().instance().await?;
    let accounts = ctx
        .sso_admin
        .accounts_for_permission_set(&instance.instance_arn, permission_set_arn)
        .await?;
    Ok(accounts_scope(ctx, accounts.into_iter().collect()))
}

/// The account of an SSO role change, if its permission set is one some rule wants.
pub fn scope_for_sso_role(
    ctx: &ReconcileContext,
    account: &AccountId,
    permission_set: &PermissionSetName,
) -> Scope {
    if ctx.mapping.wants_permission_set(permission_set) {
        accounts_scope(ctx, BTreeSet::from([account.clone()]))
    } else {
        Scope::Nothing
    }
}

/// Keeps only the accounts the mapping configures.
fn accounts_scope(ctx: &ReconcileContext, accounts: BTreeSet<AccountId>) -> Scope {
    let accounts: BTreeSet<AccountId> = accounts
        .into_iter()
        .filter(|a| ctx.mapping.account(a).is_some())
        .collect();
    if accounts.is_empty() {
        Scope::Nothing
    } else {
        Scope::Accounts { accounts }
    }
}

/// The managed clusters inside `scope`, and the (account, region) pairs that could not be listed.
pub async fn clusters_in_scope(
    ctx: &ReconcileContext,
    scope: &Scope,
) -> (Vec<ClusterRef>, Vec<(AccountId, Region, PortError)>) {
    match scope {
        Scope::Nothing => (Vec::new(), Vec::new()),
        Scope::Cluster { cluster } => (vec![cluster.clone()], Vec::new()),
        Scope::Everything => list_managed_clusters(ctx, None).await,
        Scope::Accounts { accounts } => list_managed_clusters(ctx, Some(accounts)).await,
    }
}
