//! EKS access policies and the scope they are associated with.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Arn, InvalidValue, NamespacePattern, Partition};

/// What follows the partition in every EKS access policy ARN.
const POLICY_ARN_RESOURCE: &str = ":eks::aws:cluster-access-policy/";

/// The resource of an access policy ARN, before the policy name.
const POLICY_RESOURCE_PREFIX: &str = "cluster-access-policy/";

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

/// Access policies EKS offers for the entries AWS services create themselves (Auto Mode nodes,
/// hybrid nodes, storage, networking, AWS service integrations …), as the EKS user guide's
/// `aws eks list-access-policies` output and its policy pages name them; the live catalogue has
/// more, which `validate --online` reports as unknown. A rule may never grant them.
/// `AmazonEKSSecretAdminPolicy` is here too: its contents are undocumented, so it is not handed
/// to people until they are.
pub const AWS_ENTRY_POLICIES: [&str; 9] = [
    "AmazonAIOpsAssistantPolicy",
    "AmazonARCRegionSwitchScalingPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingPolicy",
    "AmazonEKSSecretAdminPolicy",
];

/// Who an access policy is for, as far as eks-sso-sync knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyAudience {
    /// One of [`PEOPLE_POLICIES`]: a rule may grant it.
    People,
    /// One of [`AWS_ENTRY_POLICIES`]: for entries AWS creates; a rule may not grant it.
    AwsEntries,
    /// Not known to this version (the catalogue grew): a rule may not grant it until it is
    /// classified; `validate --online` reports it.
    Unknown,
}

impl PolicyAudience {
    /// The audience of the policy named `name` (`AmazonEKSEditPolicy`).
    pub fn of(name: &str) -> Self {
        if PEOPLE_POLICIES.contains(&name) {
            Self::People
        } else if AWS_ENTRY_POLICIES.contains(&name) {
            Self::AwsEntries
        } else {
            Self::Unknown
        }
    }
}

/// An EKS access policy ARN, `arn:<partition>:eks::aws:cluster-access-policy/<Name>`.
///
/// EKS names its policies in the partition of the cluster (`arn:aws-cn:eks::aws:...` in China).
/// A mapping names policies without a partition, so [`PolicyArn::for_people`] gives the `aws`
/// form and desired state moves it into each cluster's partition with
/// [`PolicyArn::in_partition`]; otherwise a desired policy would never equal the actual one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PolicyArn {
    /// The full ARN; compared first, so ordering is by ARN.
    arn: String,
    /// The partition segment of `arn`.
    partition: Partition,
}

impl PolicyArn {
    /// Parses a full policy ARN as EKS returns it, in a supported partition; accepts every
    /// policy name, including those AWS reserves for its own entries.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidValue> {
        const SHAPE: &str = "expected arn:<partition>:eks::aws:cluster-access-policy/<Name>";
        let value = value.into();
        let parsed = Arn::of_service(&value, "eks")
            .filter(|arn| arn.region.is_empty() && arn.account == "aws")
            .and_then(|arn| Some((arn.partition, arn.resource_after(POLICY_RESOURCE_PREFIX)?)));
        let Some((partition, name)) = parsed else {
            return Err(InvalidValue::new("access policy ARN", &value, SHAPE));
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(InvalidValue::new("access policy ARN", &value, SHAPE));
        }
        let partition = Partition::parse(partition)
            .map_err(|reason| InvalidValue::new("access policy ARN", &value, reason))?;
        Ok(Self {
            arn: value,
            partition,
        })
    }

    /// The ARN of policy `name` in `partition`.
    fn named(partition: Partition, name: &str) -> Self {
        Self {
            arn: format!("arn:{partition}{POLICY_ARN_RESOURCE}{name}"),
            partition,
        }
    }

    /// Resolves what a person may write in a mapping file: a full ARN, the policy name
    /// (`AmazonEKSEditPolicy`) or its short form (`Edit`, `ClusterAdmin`, `AdminView`, …). Only the
    /// policies meant for people are accepted. The result is in the `aws` partition (a full ARN
    /// in another partition is accepted and normalised too): see [`PolicyArn::in_partition`].
    pub fn for_people(value: &str) -> Result<Self, InvalidValue> {
        let name = if value.starts_with("arn:") {
            Self::new(value)?.name().to_owned()
        } else if value.starts_with("AmazonEKS") {
            value.to_owned()
        } else {
            format!("AmazonEKS{value}Policy")
        };
        let people = || {
            format!(
                "use one of {} (or its short form, e.g. Edit)",
                PEOPLE_POLICIES.join(", ")
            )
        };
        let why = match PolicyAudience::of(&name) {
            PolicyAudience::People => return Ok(Self::named(Partition::Aws, &name)),
            PolicyAudience::AwsEntries => format!(
                "{name} is for the entries AWS services create themselves (Auto Mode or hybrid \
                 nodes, storage, networking …), never for people; {}",
                people()
            ),
            PolicyAudience::Unknown => {
                format!("not an access policy for people; {}", people())
            }
        };
        Err(InvalidValue::new("access policy", value, why))
    }

    /// The same policy as EKS names it in `partition` (what a cluster of that partition
    /// reports and accepts).
    pub fn in_partition(&self, partition: Partition) -> Self {
        if partition == self.partition {
            self.clone()
        } else {
            Self::named(partition, self.name())
        }
    }

    /// The well-known cluster-admin policy (in the `aws` partition), the one the lockout guard
    /// looks for; the guard compares by name ([`PolicyArn::is_cluster_admin`]), so it holds in
    /// every partition.
    pub fn cluster_admin() -> Self {
        Self::named(Partition::Aws, "AmazonEKSClusterAdminPolicy")
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
        self.arn.rsplit('/').next().unwrap_or(&self.arn)
    }

    /// The partition the ARN is in.
    pub fn partition(&self) -> Partition {
        self.partition
    }

    /// The full ARN.
    pub fn as_str(&self) -> &str {
        &self.arn
    }
}

impl fmt::Display for PolicyArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
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
        value.arn
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
        assert!(err.reason.contains("AWS services create"), "{err}");
        let unknown = PolicyArn::for_people("Nonsense").unwrap_err();
        assert!(
            unknown
                .reason
                .starts_with("not an access policy for people"),
            "{unknown}"
        );
        assert_eq!(
            PolicyAudience::of("AmazonEKSSecretReaderPolicy"),
            PolicyAudience::People
        );
        assert_eq!(
            PolicyAudience::of("AmazonEKSHybridPolicy"),
            PolicyAudience::AwsEntries
        );
        assert_eq!(
            PolicyAudience::of("AmazonEKSFuturePolicy"),
            PolicyAudience::Unknown
        );
        // ... but are still representable when EKS reports them on an existing entry.
        let auto = PolicyArn::new("arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy")
            .unwrap();
        assert!(!auto.is_for_people());
    }

    #[test]
    fn policies_move_between_partitions_by_name() {
        let edit = PolicyArn::for_people("Edit").unwrap();
        assert_eq!(edit.partition(), Partition::Aws);
        let cn = edit.in_partition(Partition::AwsCn);
        assert_eq!(
            cn.as_str(),
            "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
        );
        // What a China cluster reports parses to the very value desired state computes.
        assert_eq!(PolicyArn::new(cn.as_str()).unwrap(), cn);
        assert_ne!(cn, edit, "ARNs in different partitions are different ARNs");
        let gov = edit.in_partition(Partition::AwsUsGov);
        assert!(gov.as_str().starts_with("arn:aws-us-gov:eks::aws:"));
        assert_eq!(gov.in_partition(Partition::Aws), edit);
        assert!(
            PolicyArn::cluster_admin()
                .in_partition(Partition::AwsCn)
                .is_cluster_admin()
        );
        // A full ARN in another partition is accepted in a mapping and normalised.
        assert_eq!(PolicyArn::for_people(cn.as_str()).unwrap(), edit);
        let iso = PolicyArn::new("arn:aws-iso:eks::aws:cluster-access-policy/AmazonEKSEditPolicy");
        assert!(iso.unwrap_err().reason.contains("not supported"));
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
