//! Access entries as they exist on a cluster, the IAM roles they point at, the tags that mark
//! an entry as managed by eks-sso-sync, and the request that creates one ([`NewEntry`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{
    AccessEntryArn, AccessScope, KubernetesGroup, PolicyArn, PrincipalArn, RoleId, Username,
};

/// The access entry type. Only `STANDARD` entries take groups, usernames and policies; the others
/// are how nodes join the cluster and are never touched.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EntryType {
    /// A person or workload principal.
    #[serde(rename = "STANDARD")]
    Standard,
    /// `EC2_LINUX`, `EC2_WINDOWS`, `FARGATE_LINUX`, `EC2`, `HYBRID_LINUX`, `HYPERPOD_LINUX`, ...
    #[serde(untagged)]
    Other(String),
}

impl EntryType {
    /// Parses the type string EKS returns.
    pub fn parse(value: &str) -> Self {
        match value {
            "STANDARD" => Self::Standard,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Standard => "STANDARD",
            Self::Other(t) => t,
        }
    }
}

/// One access entry as it is on the cluster, with its associated policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActualEntry {
    /// The IAM principal (full path).
    pub principal: PrincipalArn,
    /// The access entry ARN (needed to tag it).
    pub arn: Option<AccessEntryArn>,
    /// `STANDARD` or a node type.
    pub entry_type: EntryType,
    /// Kubernetes groups, as EKS returned them (not re-validated: EKS already did).
    pub kubernetes_groups: BTreeSet<String>,
    /// The username EKS reports; EKS fills a default when none was given.
    pub username: Option<String>,
    /// The entry's tags.
    pub tags: BTreeMap<String, String>,
    /// Associated access policies and their scopes.
    pub policies: BTreeMap<PolicyArn, AccessScope>,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: Option<i64>,
    /// What IAM says of the entry's principal, when the engine asked. Only entries whose admin
    /// access the lockout guard may rely on, and that no rule desires, are looked up: for the
    /// others desired state already carries the role's facts.
    #[serde(default, skip_serializing_if = "PrincipalStatus::is_unchecked")]
    pub principal_status: PrincipalStatus,
}

/// Whether an entry's IAM principal exists, as far as the engine looked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum PrincipalStatus {
    /// Not looked up: nothing is known, so the entry is not trusted as a working admin.
    #[default]
    Unchecked,
    /// IAM has no such principal: the entry grants nothing.
    Missing,
    /// The principal exists, created at this time (seconds since the Unix epoch) if reported.
    Exists {
        /// IAM's `CreateDate`.
        created_at: Option<i64>,
    },
}

impl PrincipalStatus {
    /// Whether nobody looked.
    pub fn is_unchecked(&self) -> bool {
        matches!(self, Self::Unchecked)
    }
}

impl ActualEntry {
    /// Whether eks-sso-sync manages this entry (it carries the managed marker tag).
    pub fn is_managed(&self) -> bool {
        self.tags.get(ManagedTags::MANAGED).map(String::as_str) == Some(ManagedTags::MANAGED_VALUE)
    }

    /// The role id recorded when eks-sso-sync created (or adopted) the entry.
    pub fn recorded_role_id(&self) -> Option<&str> {
        self.tags.get(ManagedTags::ROLE_ID).map(String::as_str)
    }

    /// Whether the principal is known to exist and not to be newer than the entry. An entry
    /// created before its principal was belongs to an older principal of the same name (EKS
    /// binds entries to the principal's unique id) and grants nothing. Unknown is not working.
    pub fn principal_works(&self) -> bool {
        match self.principal_status {
            PrincipalStatus::Exists { created_at } => match (self.created_at, created_at) {
                (Some(entry), Some(principal)) => entry >= principal,
                _ => true,
            },
            PrincipalStatus::Unchecked | PrincipalStatus::Missing => false,
        }
    }

    /// The rule names in the `eks-sso-sync:rules` tag (a truncated list ends in `+`, dropped).
    pub fn recorded_rules(&self) -> impl Iterator<Item = &str> {
        self.tags
            .get(ManagedTags::RULES)
            .map(String::as_str)
            .unwrap_or_default()
            .split(',')
            .map(|r| r.trim_end_matches('+'))
            .filter(|r| !r.is_empty())
    }

    /// Whether the rules tag was cut to fit EKS's 256 characters (it ends in `+`): then the rules
    /// beyond it are unknown.
    pub fn recorded_rules_truncated(&self) -> bool {
        self.tags
            .get(ManagedTags::RULES)
            .is_some_and(|r| r.ends_with('+'))
    }

    /// Whether this entry grants cluster-wide `AmazonEKSClusterAdminPolicy`.
    pub fn is_cluster_admin(&self) -> bool {
        self.entry_type == EntryType::Standard
            && self
                .policies
                .iter()
                .any(|(p, s)| p.is_cluster_admin() && *s == AccessScope::Cluster)
    }
}

/// The tags eks-sso-sync puts on entries it manages. Keys are namespaced so they never collide
/// with a team's own tags.
pub struct ManagedTags;

impl ManagedTags {
    /// Marker: the entry is managed by eks-sso-sync (value [`ManagedTags::MANAGED_VALUE`]).
    pub const MANAGED: &'static str = "eks-sso-sync:managed";
    /// Value of the marker tag.
    pub const MANAGED_VALUE: &'static str = "true";
    /// Marker value of an entry eks-sso-sync let go of (`on_unmanaged_cluster: release`): it is
    /// not managed any more, and says so.
    pub const RELEASED_VALUE: &'static str = "released";
    /// Comma-separated names of the mapping rules that produced the entry.
    pub const RULES: &'static str = "eks-sso-sync:rules";
    /// The IAM role id the entry was created for; a different current id means the role was
    /// recreated and the entry is dead.
    pub const ROLE_ID: &'static str = "eks-sso-sync:role-id";
    /// EKS tag values are at most 256 characters.
    pub const MAX_VALUE_LEN: usize = 256;

    /// The tags for a managed entry produced by `rules` for the role `role_id`.
    pub fn for_entry<'a, R: AsRef<str> + ?Sized + 'a>(
        rules: impl IntoIterator<Item = &'a R>,
        role_id: &RoleId,
    ) -> BTreeMap<String, String> {
        let mut joined = String::new();
        for rule in rules {
            let rule = rule.as_ref();
            // Keep whole rule names only; a truncated list says "+" at the end.
            let sep = usize::from(!joined.is_empty());
            if joined.len() + sep + rule.len() > Self::MAX_VALUE_LEN - 1 {
                joined.push('+');
                break;
            }
            if sep == 1 {
                joined.push(',');
            }
            joined.push_str(rule);
        }
        BTreeMap::from([
            (Self::MANAGED.to_owned(), Self::MANAGED_VALUE.to_owned()),
            (Self::RULES.to_owned(), joined),
            (Self::ROLE_ID.to_owned(), role_id.to_string()),
        ])
    }
}

/// An IAM role as `ListRoles` / `GetRole` report it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RoleInfo {
    /// Full role ARN with path.
    pub arn: PrincipalArn,
    /// The unique role id (changes when the role is recreated, even under the same ARN).
    pub role_id: RoleId,
    /// When IAM created the role (`CreateDate`), seconds since the Unix epoch; `None` when not
    /// reported. An access entry created before its role was created belongs to an older role of
    /// the same name, and is dead.
    #[serde(default)]
    pub created_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_tags_fit_eks_limits() {
        let rules: Vec<String> = (0..100).map(|i| format!("rule-number-{i}")).collect();
        let tags = ManagedTags::for_entry(&rules, &RoleId::new("AROAEXAMPLEEXAMPLE01").unwrap());
        let value = &tags[ManagedTags::RULES];
        assert!(value.len() <= ManagedTags::MAX_VALUE_LEN, "{}", value.len());
        assert!(value.ends_with('+'));
        assert_eq!(tags[ManagedTags::ROLE_ID], "AROAEXAMPLEEXAMPLE01");
    }

    #[test]
    fn entry_type_round_trips() {
        assert_eq!(EntryType::parse("STANDARD"), EntryType::Standard);
        assert_eq!(EntryType::parse("EC2_LINUX").as_str(), "EC2_LINUX");
    }
}

/// The request to create one access entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEntry {
    /// The principal (full path).
    pub principal: PrincipalArn,
    /// Kubernetes groups.
    pub kubernetes_groups: BTreeSet<KubernetesGroup>,
    /// Username; `None` lets EKS fill its default.
    pub username: Option<Username>,
    /// Tags set at creation (the managed tags).
    pub tags: BTreeMap<String, String>,
}
