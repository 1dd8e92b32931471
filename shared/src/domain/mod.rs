//! Domain types: validated newtypes for every identifier that crosses a boundary, and the plain
//! values (clusters, access entries, roles) the engine reasons about. No SDK types live here.

#[macro_use]
mod validated;

mod arn;
mod arn_syntax;
mod change;
mod cluster;
mod entry;
mod identity_ids;
mod ids;
mod partition;
mod policy;

pub use arn::{
    PrincipalArn, PrincipalKind, SSO_ROLE_PATH_PREFIX, is_sso_role_of, sso_role_path,
    sso_role_permission_set,
};
pub use arn_syntax::Arn;
pub use change::EntryChange;
pub use cluster::{AuthenticationMode, ClusterInfo, ClusterRef, ClusterStatus};
pub use entry::{ActualEntry, EntryType, ManagedTags, NewEntry, PrincipalStatus, RoleInfo};
pub use identity_ids::{
    AccessEntryArn, GroupId, IdentityStoreId, InstanceArn, PermissionSetArn, UserId,
};
pub(crate) use ids::names_the_session;
#[cfg(test)]
pub(crate) use ids::rule_names;
pub use ids::{
    AccountId, ClusterName, GroupName, KubernetesGroup, MAX_RULE_NAME_LEN, NamespacePattern,
    PermissionSetName, RESERVED_USERNAME_PREFIXES, Region, RoleId, RuleName,
    SYSTEM_NAMESPACE_PREFIX, SYSTEM_NAMESPACES, USERNAME_TEMPLATES, Username,
};
pub use partition::Partition;
pub use policy::{AWS_ENTRY_POLICIES, AccessScope, PEOPLE_POLICIES, PolicyArn, PolicyAudience};

/// Why a value was rejected on construction. The message names the value and the rule it broke, so
/// it can be shown to an operator as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: {reason}")]
pub struct InvalidValue {
    /// What kind of value it was meant to be ("account id", "namespace pattern", ...).
    pub kind: &'static str,
    /// The rejected input, verbatim.
    pub value: String,
    /// The rule it broke, phrased as a fix hint where possible.
    pub reason: String,
}

impl InvalidValue {
    pub(crate) fn new(kind: &'static str, value: &str, reason: impl Into<String>) -> Self {
        Self {
            kind,
            value: value.to_owned(),
            reason: reason.into(),
        }
    }
}
