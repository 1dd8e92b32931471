//! Finding the SSO role of a permission set in an account, by anchored name match among the
//! roles IAM lists under `/aws-reserved/sso.amazonaws.com/` (never rebuilt from a template).

use crate::domain::{AccountId, PermissionSetName, RoleInfo, is_sso_role_of};

/// The one SSO role of `permission_set` among `roles` (the SSO roles listed in `account`).
/// Zero or several candidates is an error message, never a guess: zero usually means Identity
/// Center has not provisioned the role yet, several that a role was recreated or a stale one
/// is left behind.
pub(super) fn resolve_sso_role<'i>(
    roles: Option<&'i Vec<RoleInfo>>,
    account: &AccountId,
    permission_set: &PermissionSetName,
) -> Result<&'i RoleInfo, String> {
    let candidates: Vec<&RoleInfo> = roles
        .into_iter()
        .flatten()
        .filter(|r| {
            r.arn.account() == account
                && r.arn.is_sso_role()
                && is_sso_role_of(r.arn.name(), permission_set)
        })
        .collect();
    match candidates.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no SSO role AWSReservedSSO_{permission_set}_<16 hex> in account {account}; Identity \
             Center creates it when the permission set is provisioned there (it may still be in \
             progress)"
        )),
        several => {
            let arns: Vec<&str> = several.iter().map(|r| r.arn.as_str()).collect();
            Err(format!(
                "several SSO roles match permission set {permission_set} in account {account} \
                 ({}); refusing to guess which one is current",
                arns.join(", ")
            ))
        }
    }
}
