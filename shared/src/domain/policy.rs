//! EKS access policies and the scope they are associated with.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{InvalidValue, NamespacePattern};

/// Prefix of every EKS access policy ARN.
const POLICY_ARN_PREFIX: &str = "arn:aws:eks::aws:cluster-access-policy/";

/// The access policies meant for people (AWS-FACTS §2). The others (Auto Mode, networking,
/// storage, hybrid …) are for entries AWS creates itself, and a mapping may not hand them out.
pub const PEOPLE_POLICIES: [&str; 6] = [
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSAdminPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSViewPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSSecretReaderPolicy",
];

/// An EKS access policy ARN, `arn:aws:eks::aws:cluster-access-policy/<Name>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PolicyArn(String);

impl PolicyArn {
    /// Parses a full policy ARN (any partition) as EKS returns it; accepts every policy name,
    /// including those AWS reserves for its own entries.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidValue> {
        let value = value.into();
        let name = value
            .strip_prefix("arn:")
            .and_then(|rest| rest.split_once(":eks::aws:cluster-access-policy/"))
            .map(|(_, name)| name);
        match name {
            Some(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric()) => {
                Ok(Self(value))
            }
            _ => Err(InvalidValue::new(
                "access policy ARN",
                &value,
                "expected arn:aws:eks::aws:cluster-access-policy/<Name>",
            )),
        }
    }

    /// Resolves what a person may write in a mapping file: a full ARN, the policy name
    /// (`AmazonEKSEditPolicy`) or its short form (`Edit`, `ClusterAdmin`, `AdminView`, …). Only the
    /// policies meant for people are accepted.
    pub fn for_people(value: &str) -> Result<Self, InvalidValue> {
        let name = if value.starts_with("arn:") {
            Self::new(value)?.name().to_owned()
        } else if value.starts_with("AmazonEKS") {
            value.to_owned()
        } else {
            format!("AmazonEKS{value}Policy")
        };
        if PEOPLE_POLICIES.contains(&name.as_str()) {
            Ok(Self(format!("{POLICY_ARN_PREFIX}{name}")))
        } else {
            Err(InvalidValue::new(
                "access policy",
                value,
                format!(
                    "not an access policy for people; use one of {} (or its short form, e.g. Edit)",
                    PEOPLE_POLICIES.join(", ")
                ),
            ))
        }
    }

    /// The well-known cluster-admin policy, the one the lockout guard looks for.
    pub fn cluster_admin() -> Self {
        Self(format!("{POLICY_ARN_PREFIX}AmazonEKSClusterAdminPolicy"))
    }

    /// Whether this is `AmazonEKSClusterAdminPolicy`.
    pub fn is_cluster_admin(&self) -> bool {
        self.name() == "AmazonEKSClusterAdminPolicy"
    }

    /// Whether a mapping may hand this policy to people.
    pub fn is_for_people(&self) -> bool {
        PEOPLE_POLICIES.contains(&self.name())
    }

    /// The policy name, e.g. `AmazonEKSEditPolicy`.
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The full ARN.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PolicyArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PolicyArn {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<PolicyArn> for String {
    fn from(value: PolicyArn) -> String {
        value.0
    }
}

/// Where an access policy applies: the whole cluster, or a set of namespaces (patterns).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "namespaces", rename_all = "lowercase")]
pub enum AccessScope {
    /// Every namespace and the cluster-scoped resources.
    Cluster,
    /// Only these namespaces (never empty).
    Namespace(BTreeSet<NamespacePattern>),
}

impl AccessScope {
    /// The union of two scopes: `cluster` wins over namespaces; namespace sets are merged.
    pub fn union(&self, other: &AccessScope) -> AccessScope {
        match (self, other) {
            (AccessScope::Namespace(a), AccessScope::Namespace(b)) => {
                AccessScope::Namespace(a.union(b).cloned().collect())
            }
            _ => AccessScope::Cluster,
        }
    }

    /// Whether every namespace `other` reaches is reached by `self` too (pattern-aware, so
    /// `team-*` covers `team-a` and `team-a-*`).
    pub fn covers(&self, other: &AccessScope) -> bool {
        match (self, other) {
            (AccessScope::Cluster, _) => true,
            (AccessScope::Namespace(_), AccessScope::Cluster) => false,
            (AccessScope::Namespace(mine), AccessScope::Namespace(theirs)) => {
                theirs.iter().all(|t| {
                    mine.iter().any(|m| match m.as_str().strip_suffix('*') {
                        Some(prefix) => t.as_str().starts_with(prefix),
                        None => m == t,
                    })
                })
            }
        }
    }
}

impl fmt::Display for AccessScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccessScope::Cluster => f.write_str("cluster"),
            AccessScope::Namespace(ns) => {
                let list: Vec<&str> = ns.iter().map(NamespacePattern::as_str).collect();
                write!(f, "namespaces {}", list.join(","))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(list: &[&str]) -> AccessScope {
        AccessScope::Namespace(
            list.iter()
                .map(|n| NamespacePattern::new(*n).unwrap())
                .collect(),
        )
    }

    #[test]
    fn short_names_resolve_to_people_policies() {
        let edit = PolicyArn::for_people("Edit").unwrap();
        assert_eq!(
            edit.as_str(),
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
        );
        assert_eq!(PolicyArn::for_people("AmazonEKSEditPolicy").unwrap(), edit);
        assert_eq!(PolicyArn::for_people(edit.as_str()).unwrap(), edit);
        assert!(
            PolicyArn::for_people("ClusterAdmin")
                .unwrap()
                .is_cluster_admin()
        );
        assert!(PolicyArn::for_people("AdminView").is_ok());
    }

    #[test]
    fn policies_for_aws_managed_entries_are_refused() {
        let err = PolicyArn::for_people("AmazonEKSAutoNodePolicy").unwrap_err();
        assert!(err.reason.contains("AmazonEKSEditPolicy"), "{err}");
        assert!(PolicyArn::for_people("Nonsense").is_err());
        // ... but are still representable when EKS reports them on an existing entry.
        let auto = PolicyArn::new("arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy")
            .unwrap();
        assert!(!auto.is_for_people());
    }

    #[test]
    fn union_prefers_cluster_and_merges_namespaces() {
        assert_eq!(ns(&["a"]).union(&ns(&["b"])), ns(&["a", "b"]));
        assert_eq!(
            ns(&["a"]).union(&AccessScope::Cluster),
            AccessScope::Cluster
        );
    }

    #[test]
    fn covers_is_pattern_aware() {
        assert!(ns(&["team-*"]).covers(&ns(&["team-a", "team-b-*"])));
        assert!(!ns(&["team-a"]).covers(&ns(&["team-*"])));
        assert!(AccessScope::Cluster.covers(&ns(&["x"])));
        assert!(!ns(&["x"]).covers(&AccessScope::Cluster));
    }

    #[test]
    fn scope_serializes_in_a_stable_shape() {
        assert_eq!(
            serde_json::to_string(&AccessScope::Cluster).unwrap(),
            r#"{"type":"cluster"}"#
        );
        assert_eq!(
            serde_json::to_string(&ns(&["b", "a"])).unwrap(),
            r#"{"type":"namespace","namespaces":["a","b"]}"#
        );
    }
}
