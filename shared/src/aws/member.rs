//! How one process reaches member accounts: the role it assumes there and the role-session name
//! its calls carry. Each Lambda function gets its own (`MEMBER_ROLE_NAME`,
//! `MEMBER_ROLE_SESSION_NAME` in `template.yaml`), so the trigger functions can run under the
//! read-only reader role and a member account's CloudTrail tells which function made a call.

use std::fmt;

use crate::config::Mapping;
use crate::domain::{AccountId, PrincipalArn};

/// The session name of the CLI and of a function given none: what the first releases used, and
/// what the hub policies' `sts:RoleSessionName` condition (`eks-sso-sync*`) admits.
pub const DEFAULT_SESSION_NAME: &str = "eks-sso-sync";

/// An STS role-session name, checked as `AssumeRole` checks it: 2-64 characters of letters,
/// digits and `_+=,.@-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSessionName(String);

impl RoleSessionName {
    /// Validates `name`; the error says what STS accepts.
    pub fn new(name: &str) -> Result<Self, String> {
        let ok = (2..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
        if !ok {
            return Err(format!(
                "invalid role-session name {name:?}: 2-64 letters, digits and _+=,.@-"
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as STS receives it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RoleSessionName {
    fn default() -> Self {
        Self(DEFAULT_SESSION_NAME.to_owned())
    }
}

impl fmt::Display for RoleSessionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The member-account access of one process. The default (the CLI's) assumes the mapping's
/// roles as session `eks-sso-sync`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberAccess {
    /// The session name of every `AssumeRole` into a member account.
    pub session_name: RoleSessionName,
    /// The role assumed in accounts that name no `role:`, instead of the mapping's
    /// `member_role_name` (the function's `MEMBER_ROLE_NAME`). Accounts with an explicit
    /// `role:` ARN, or `role: none`, keep it.
    pub role_name: Option<String>,
}

impl MemberAccess {
    /// The role to assume in `account` (`None`: the caller's own credentials, also for accounts
    /// the mapping does not list).
    pub fn role_for(&self, mapping: &Mapping, account: &AccountId) -> Option<PrincipalArn> {
        let settings = mapping.account(account)?;
        let name = self
            .role_name
            .as_deref()
            .unwrap_or(&mapping.member_role_name);
        mapping.role_to_assume_as(settings, name)
    }
}

/// Validates an IAM role name given in the environment: 1-64 letters, digits and `_+=,.@-`.
pub fn role_name(variable: &str, name: &str) -> Result<String, String> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !ok {
        return Err(format!(
            "{variable}={name:?} is not an IAM role name: give the name only (no ARN, no path), \
             1-64 letters, digits and _+=,.@-"
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPPING: &str = r#"
version: 1
identity_center: { region: eu-west-1 }
member_role_name: eks-sso-sync-target
accounts:
  - { id: "111111111111", regions: [eu-west-1] }
  - { id: "222222222222", regions: [eu-west-1], role: "arn:aws:iam::222222222222:role/ops/sync" }
  - { id: "333333333333", regions: [eu-west-1], role: none }
rules:
  - { name: r, permission_set: P, access_policies: [{ policy: View, scope: cluster }] }
"#;

    fn roles(access: &MemberAccess) -> Vec<Option<String>> {
        let mapping = Mapping::from_str(MAPPING, "m").expect("mapping");
        [
            "111111111111",
            "222222222222",
            "333333333333",
            "444444444444",
        ]
        .iter()
        .map(|id| {
            let id = AccountId::new(*id).expect("account");
            access.role_for(&mapping, &id).map(|a| a.to_string())
        })
        .collect()
    }

    #[test]
    fn the_role_name_replaces_member_role_name_only_for_default_accounts() {
        let reader = MemberAccess {
            role_name: Some("eks-sso-sync-reader".to_owned()),
            ..MemberAccess::default()
        };
        assert_eq!(
            roles(&reader),
            [
                Some("arn:aws:iam::111111111111:role/eks-sso-sync-reader".to_owned()),
                Some("arn:aws:iam::222222222222:role/ops/sync".to_owned()),
                None,
                None,
            ]
        );
        let default = roles(&MemberAccess::default());
        assert_eq!(
            default[0].as_deref(),
            Some("arn:aws:iam::111111111111:role/eks-sso-sync-target")
        );
    }

    #[test]
    fn session_and_role_names_are_checked_as_aws_checks_them() {
        assert!(RoleSessionName::new("eks-sso-sync-group-sync").is_ok());
        assert!(RoleSessionName::new("x").is_err());
        assert!(RoleSessionName::new("has space").is_err());
        assert!(RoleSessionName::new(&"a".repeat(65)).is_err());
        assert_eq!(RoleSessionName::default().as_str(), "eks-sso-sync");
        // Drift repair ignores calls by sessions with this prefix: the default must carry it.
        assert!(DEFAULT_SESSION_NAME.starts_with(crate::events::OWN_SESSION_PREFIX));
        let err = role_name("MEMBER_ROLE_NAME", "arn:aws:iam::1:role/x").unwrap_err();
        assert!(
            err.contains("MEMBER_ROLE_NAME") && err.contains("no ARN"),
            "{err}"
        );
        assert_eq!(
            role_name("V", "eks-sso-sync-reader").unwrap(),
            "eks-sso-sync-reader"
        );
    }
}
