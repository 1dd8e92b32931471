//! Recognising an SSO permission-set role by its name as aws-auth wrote it. Identity Center names
//! its roles `AWSReservedSSO_<permission set>_<suffix>`; the suffix is 16 hex characters today,
//! but the import takes any suffix (documentation examples and older roles differ), because
//! pinning a `principals:` rule to such a role breaks at its next reassignment while a
//! permission-set rule follows it.

use crate::domain::PermissionSetName;

/// Prefix of the name of every role IAM Identity Center creates for a permission set.
const SSO_ROLE_NAME_PREFIX: &str = "AWSReservedSSO_";

/// The permission set of an SSO role name: everything between `AWSReservedSSO_` and the **last**
/// `_` (permission-set names may contain `_`), whatever the suffix after it.
pub(super) fn permission_set_of(role_name: &str) -> Option<PermissionSetName> {
    let rest = role_name.strip_prefix(SSO_ROLE_NAME_PREFIX)?;
    let (name, suffix) = rest.rsplit_once('_')?;
    if suffix.is_empty() || !suffix.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    PermissionSetName::new(name).ok()
}

/// Whether the suffix is the 16 lowercase hex characters Identity Center uses today.
pub(super) fn has_canonical_suffix(role_name: &str) -> bool {
    role_name.rsplit_once('_').is_some_and(|(_, s)| {
        s.len() == 16
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permission_set_is_everything_up_to_the_last_underscore() {
        let ps = |n| permission_set_of(n).map(|p| p.as_str().to_owned());
        assert_eq!(
            ps("AWSReservedSSO_Permission_AdminFullAccess_8a2319305372f153").as_deref(),
            Some("Permission_AdminFullAccess")
        );
        assert_eq!(
            ps("AWSReservedSSO_MyPermissionSet_1234567890abcde").as_deref(),
            Some("MyPermissionSet")
        );
        assert!(!has_canonical_suffix(
            "AWSReservedSSO_MyPermissionSet_1234567890abcde"
        ));
        assert!(has_canonical_suffix("AWSReservedSSO_X_0123456789abcdef"));
        assert_eq!(ps("AWSReservedSSO_NoSuffix_"), None);
        assert_eq!(ps("deployer"), None);
    }
}
