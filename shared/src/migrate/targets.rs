//! Where a translated entry goes, decided with IAM: an SSO role becomes a rule for its permission
//! set (whatever its suffix shape; its real path is shown), any other role a `principals:` rule
//! with the full ARN IAM has for that name, an IAM user a `principals:` rule.

use super::resolve::{PlainRole, SsoRole};
use super::sso::{has_canonical_suffix, permission_set_of};
use super::translate::{RuleKey, Target, Translator};
use super::{ImportError, RBAC_ONLY_NAMESPACE};
use crate::domain::{PrincipalArn, PrincipalKind, Region, SSO_ROLE_PATH_PREFIX};

/// A target, or why there is none (reported for the entry).
type Resolved = Result<Target, String>;

impl Translator<'_> {
    /// Where the entry goes: a permission-set rule, a principal rule, or nowhere (the reason).
    pub(super) async fn target(
        &mut self,
        _entry: &super::entries::AuthEntry,
        arn: &PrincipalArn,
    ) -> Result<Resolved, ImportError> {
        if arn.kind() == PrincipalKind::User {
            return Ok(self.role_target(arn).await?.map(|mut target| {
                target.notes.push(USER_NOTE.to_owned());
                target
            }));
        }
        match sso_permission_set(arn) {
            Some(ps) => self.sso_target(arn, ps).await,
            None => self.role_target(arn).await,
        }
    }

    /// An SSO role becomes a rule for its permission set, if the permission set still has a
    /// role in that account.
    async fn sso_target(
        &mut self,
        arn: &PrincipalArn,
        ps: crate::domain::PermissionSetName,
    ) -> Result<Resolved, ImportError> {
        let (role, mut notes) = match self.iam.sso_role(arn, &ps).await? {
            SsoRole::Current(role) => (role, Vec::new()),
            SsoRole::Recreated(role) => {
                let note = format!(
                    "the role named in aws-auth no longer exists, so aws-auth no longer matched \
                     anyone: permission set {ps} was unassigned and assigned again, and its role \
                     in account {} is now {}; the rule follows the permission set",
                    arn.account(),
                    role.arn
                );
                (role, vec![note])
            }
            SsoRole::Gone => {
                return Ok(Err(format!(
                    "no role of permission set {ps} in account {} (looked up by name, then among \
                     its SSO roles): the permission set is no longer assigned there, so this \
                     entry grants nothing today",
                    arn.account()
                )));
            }
            SsoRole::Ambiguous(roles) => {
                let list: Vec<&str> = roles.iter().map(PrincipalArn::as_str).collect();
                return Ok(Err(format!(
                    "several roles of permission set {ps} in account {}: {}; add the rule by hand",
                    arn.account(),
                    list.join(", ")
                )));
            }
            SsoRole::Unreachable(reason) => return Ok(Err(reason)),
        };
        if role.arn.path() != arn.path() {
            notes.push(format!("real path {} (looked up in IAM)", role.arn.path()));
        }
        if !has_canonical_suffix(role.arn.name()) {
            notes.push(format!(
                "suffix of {} is not the 16 hex characters Identity Center uses today; the rule \
                 is for permission set {ps} all the same, so it follows the role when it is \
                 recreated",
                role.arn.name()
            ));
        }
        self.check_home_region(&role.arn);
        Ok(Ok(Target {
            key: RuleKey::PermissionSet(ps),
            principal: role.arn,
            notes,
        }))
    }

    /// Any other role (or a user) becomes a principal rule with the full ARN IAM has for its name.
    async fn role_target(&mut self, arn: &PrincipalArn) -> Result<Resolved, ImportError> {
        Ok(match self.iam.plain_role(arn).await? {
            PlainRole::Found(role) => {
                let mut notes = Vec::new();
                if role.arn != *arn {
                    notes.push(format!(
                        "re-resolved to its full ARN {} (looked up by name in IAM)",
                        role.arn
                    ));
                }
                Ok(Target {
                    key: RuleKey::Principal(role.arn.clone()),
                    principal: role.arn,
                    notes,
                })
            }
            PlainRole::NotFound => Err(format!(
                "IAM has no {} named {} in account {} (looked up by name, whatever its path): it \
                 was deleted, so this entry grants nothing today",
                match arn.kind() {
                    PrincipalKind::Role => "role",
                    PrincipalKind::User => "user",
                },
                arn.name(),
                arn.account()
            )),
            PlainRole::Unreachable(reason) => Err(reason),
        })
    }

    /// Notes when an SSO role's path shows another Identity Center home region than the one given.
    fn check_home_region(&mut self, role: &PrincipalArn) {
        let given = &self.settings.identity_center_region;
        let Some(rest) = role.path().strip_prefix(SSO_ROLE_PATH_PREFIX) else {
            return;
        };
        let actual = match rest.strip_suffix('/') {
            None => Region::new("us-east-1").ok(),
            Some(segment) => Region::new(segment).ok(),
        };
        match actual {
            Some(actual) if &actual == given => {}
            Some(actual) => {
                self.out.notes.insert(format!(
                    "SSO role {role} lives under {}, the path of an Identity Center instance whose \
                     home region is {actual}; the mapping says {given}: set identity_center.region \
                     to {actual} (or pass --identity-center-region {actual})",
                    role.path()
                ));
            }
            None => {
                self.out.notes.insert(format!(
                    "SSO role {role} lives under {}, which names no region: check \
                     identity_center.region ({given}) by hand",
                    role.path()
                ));
            }
        }
    }
}

/// The permission set of an SSO role as aws-auth names it: path stripped (or, rarely, kept).
fn sso_permission_set(arn: &PrincipalArn) -> Option<crate::domain::PermissionSetName> {
    let path_ok = arn.path() == "/" || arn.path().starts_with(SSO_ROLE_PATH_PREFIX);
    if path_ok && arn.kind() == PrincipalKind::Role {
        permission_set_of(arn.name())
    } else {
        None
    }
}

/// The report's remark on an IAM user.
const USER_NOTE: &str = "IAM user: consider moving this person to Identity Center (short-lived \
    credentials, and access managed by permission set)";

/// The report's remark on an entry whose rule ends up with Kubernetes groups only.
pub(super) fn rbac_only_note() -> String {
    format!(
        "RBAC-only: translated with kubernetes_groups only, which keep working through the \
         cluster's RBAC bindings; the mapping requires an access policy, so the rule carries \
         AmazonEKSViewPolicy scoped to namespace {RBAC_ONLY_NAMESPACE:?}, which does not exist \
         and grants nothing: add a real access policy or keep the bindings"
    )
}
