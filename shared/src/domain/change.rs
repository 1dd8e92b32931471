//! A change someone else made to an access entry, as its CloudTrail record tells it: what drift
//! repair reconciles after, and what the shadow-admin report names as the origin of an entry.

use serde::{Deserialize, Serialize};

use super::{PolicyArn, PrincipalArn};

/// One access-entry change recorded by CloudTrail (`CreateAccessEntry`, `DeleteAccessEntry`,
/// `AssociateAccessPolicy`, ...), made by a caller other than eks-sso-sync.
///
/// It travels with the drift job only to be *reported*: the reconcile never acts on it (events
/// are triggers, never truth) and reads the entry's current state as always.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntryChange {
    /// The CloudTrail `eventName`, e.g. `DeleteAccessEntry`.
    pub operation: String,
    /// The entry's principal, when the record names it (`TagResource` names the entry's ARN,
    /// which drops the role's path, so none is given then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<PrincipalArn>,
    /// The access policy associated or disassociated, for the policy operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyArn>,
    /// Who made it: the record's `userIdentity.arn` (an STS session ARN for roles, which names
    /// the person's session), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When: the record's `eventTime` (ISO 8601), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

impl EntryChange {
    /// Whether this change can have given `principal` an entry or a policy: the operations after
    /// which an unmanaged admin entry may be the caller's doing.
    pub fn grants_to(&self, principal: &PrincipalArn) -> bool {
        matches!(
            self.operation.as_str(),
            "CreateAccessEntry" | "AssociateAccessPolicy"
        ) && self
            .principal
            .as_ref()
            .is_some_and(|p| p.as_str().eq_ignore_ascii_case(principal.as_str()))
    }

    /// `DeleteAccessEntry by arn:aws:sts::…` (or `by an unknown caller`): the reason a drift job
    /// carries into logs and audit records.
    pub fn describe(&self) -> String {
        match &self.by {
            Some(by) => format!("{} by {by}", self.operation),
            None => format!("{} by an unknown caller", self.operation),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(operation: &str, principal: Option<&str>) -> EntryChange {
        EntryChange {
            operation: operation.to_owned(),
            principal: principal.map(|p| PrincipalArn::new(p).expect("principal")),
            policy: None,
            by: Some("arn:aws:sts::222222222222:assumed-role/ops/alice".to_owned()),
            at: Some("2026-11-28T10:15:42Z".to_owned()),
        }
    }

    #[test]
    fn only_creates_and_associations_grant_and_only_to_the_named_principal() {
        let mallory = PrincipalArn::new("arn:aws:iam::222222222222:role/Mallory").unwrap();
        let other = PrincipalArn::new("arn:aws:iam::222222222222:role/other").unwrap();
        let named = Some("arn:aws:iam::222222222222:role/mallory");
        assert!(change("CreateAccessEntry", named).grants_to(&mallory));
        assert!(change("AssociateAccessPolicy", named).grants_to(&mallory));
        assert!(!change("AssociateAccessPolicy", named).grants_to(&other));
        assert!(!change("DeleteAccessEntry", named).grants_to(&mallory));
        assert!(!change("TagResource", None).grants_to(&mallory));
    }

    #[test]
    fn the_description_names_the_operation_and_the_caller() {
        assert_eq!(
            change("DeleteAccessEntry", None).describe(),
            "DeleteAccessEntry by arn:aws:sts::222222222222:assumed-role/ops/alice"
        );
        let anonymous = EntryChange {
            by: None,
            ..change("UpdateAccessEntry", None)
        };
        assert_eq!(
            anonymous.describe(),
            "UpdateAccessEntry by an unknown caller"
        );
    }
}
