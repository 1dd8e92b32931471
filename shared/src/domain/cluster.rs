//! EKS clusters as the engine sees them: where they are, their status and authentication mode.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{AccountId, Arn, ClusterName, InvalidValue, Partition, PrincipalArn, Region};

/// Where a cluster lives: account, region and name. Orders by account, region, then name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClusterRef {
    /// The account owning the cluster.
    pub account: AccountId,
    /// The cluster's region.
    pub region: Region,
    /// The cluster name, unique per account and region.
    pub name: ClusterName,
}

impl ClusterRef {
    /// A cluster reference from its parts.
    pub fn new(account: AccountId, region: Region, name: ClusterName) -> Self {
        Self {
            account,
            region,
            name,
        }
    }

    /// The partition the cluster lives in, from its region.
    pub fn partition(&self) -> Partition {
        self.region.partition()
    }

    /// The cluster ARN, `arn:<partition>:eks:<region>:<account>:cluster/<name>`, in the partition
    /// of its region; used as the SQS message group id and in logs.
    pub fn arn(&self) -> String {
        format!(
            "arn:{}:eks:{}:{}:cluster/{}",
            self.partition(),
            self.region,
            self.account,
            self.name
        )
    }

    /// Parses `arn:<partition>:eks:<region>:<account>:cluster/<name>`. The partition must be
    /// the region's (`arn:aws:eks:cn-north-1:...` is refused, not half-believed).
    pub fn from_arn(arn: &str) -> Result<Self, InvalidValue> {
        const SHAPE: &str = "expected arn:<partition>:eks:<region>:<account>:cluster/<name>";
        let err = |reason: &str| InvalidValue::new("cluster ARN", arn, reason);
        let parsed = Arn::of_service(arn, "eks").ok_or_else(|| err(SHAPE))?;
        let name = parsed
            .resource_after("cluster/")
            .ok_or_else(|| err(SHAPE))?;
        let Arn {
            partition,
            region,
            account,
            ..
        } = parsed;
        let partition = Partition::parse(partition).map_err(|reason| err(&reason))?;
        let region = Region::new(region).map_err(|e| err(&e.reason))?;
        if region.partition() != partition {
            return Err(err(&format!(
                "partition {partition} does not match region {region}, which is in {}",
                region.partition()
            )));
        }
        Ok(Self {
            account: AccountId::new(account).map_err(|e| err(&e.reason))?,
            region,
            name: ClusterName::new(name).map_err(|e| err(&e.reason))?,
        })
    }
}

impl fmt::Display for ClusterRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.account, self.region, self.name)
    }
}

/// The EKS cluster status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClusterStatus {
    /// Being created; no access-entry calls yet (their behaviour then is unconfirmed).
    Creating,
    /// Ready for access-entry calls.
    Active,
    /// A config update (e.g. authentication mode) is in progress.
    Updating,
    /// Being deleted.
    Deleting,
    /// Creation failed.
    Failed,
    /// Pending (EKS Anywhere / outposts).
    Pending,
}

impl ClusterStatus {
    /// Parses the status string EKS returns.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "CREATING" => Self::Creating,
            "ACTIVE" => Self::Active,
            "UPDATING" => Self::Updating,
            "DELETING" => Self::Deleting,
            "FAILED" => Self::Failed,
            "PENDING" => Self::Pending,
            _ => return None,
        })
    }

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "CREATING",
            Self::Active => "ACTIVE",
            Self::Updating => "UPDATING",
            Self::Deleting => "DELETING",
            Self::Failed => "FAILED",
            Self::Pending => "PENDING",
        }
    }

    /// Whether waiting may make the cluster `ACTIVE` (as opposed to a dead end like `FAILED`).
    pub fn is_transitional(self) -> bool {
        matches!(self, Self::Creating | Self::Updating | Self::Pending)
    }
}

/// How a cluster authenticates IAM principals. Moves one way only: `ConfigMap → ApiAndConfigMap → Api`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthenticationMode {
    /// Only the `aws-auth` ConfigMap; every access-entry call fails.
    ConfigMap,
    /// Access entries and `aws-auth`; an entry overrides the principal's `aws-auth` mapping.
    ApiAndConfigMap,
    /// Access entries only.
    Api,
}

impl AuthenticationMode {
    /// Parses the mode string EKS returns.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "CONFIG_MAP" => Self::ConfigMap,
            "API_AND_CONFIG_MAP" => Self::ApiAndConfigMap,
            "API" => Self::Api,
            _ => return None,
        })
    }

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConfigMap => "CONFIG_MAP",
            Self::ApiAndConfigMap => "API_AND_CONFIG_MAP",
            Self::Api => "API",
        }
    }

    /// Whether access entries work in this mode.
    pub fn supports_access_entries(self) -> bool {
        !matches!(self, Self::ConfigMap)
    }
}

/// What the engine knows about one cluster, read fresh from `DescribeCluster`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterInfo {
    /// Where the cluster is.
    pub cluster: ClusterRef,
    /// The cluster status at read time.
    pub status: ClusterStatus,
    /// The authentication mode at read time.
    pub authentication_mode: AuthenticationMode,
    /// The cluster's tags (selectors match on them).
    pub tags: BTreeMap<String, String>,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: Option<i64>,
    /// The principal that created the cluster (whose bootstrap admin entry EKS added), as the
    /// `CreateCluster` record names it and the reconcile job carries it. `DescribeCluster` does
    /// not say, so it is `None` unless the run was triggered by that record: then no entry is
    /// taken for the creator's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<PrincipalArn>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_arn_round_trips() {
        let arn = "arn:aws:eks:eu-west-1:111122223333:cluster/prod-1";
        let cluster = ClusterRef::from_arn(arn).unwrap();
        assert_eq!(cluster.name.as_str(), "prod-1");
        assert_eq!(cluster.arn(), arn);
        assert!(ClusterRef::from_arn("arn:aws:eks:eu-west-1:111122223333:nodegroup/x").is_err());
        assert!(ClusterRef::from_arn("prod-1").is_err());
    }

    #[test]
    fn cluster_arns_carry_the_partition_of_their_region() {
        for arn in [
            "arn:aws-cn:eks:cn-north-1:111122223333:cluster/prod-1",
            "arn:aws-us-gov:eks:us-gov-west-1:111122223333:cluster/prod-1",
        ] {
            let cluster = ClusterRef::from_arn(arn).unwrap();
            assert_eq!(cluster.arn(), arn);
        }
        let mismatched = ClusterRef::from_arn("arn:aws:eks:cn-north-1:111122223333:cluster/x");
        assert!(
            mismatched.unwrap_err().reason.contains("does not match"),
            "a cluster ARN whose partition is not its region's is refused"
        );
        let iso = ClusterRef::from_arn("arn:aws-iso:eks:us-iso-east-1:111122223333:cluster/x");
        assert!(iso.unwrap_err().reason.contains("aws-iso"));
    }

    #[test]
    fn modes_and_statuses_parse_their_wire_strings() {
        for m in [
            AuthenticationMode::ConfigMap,
            AuthenticationMode::ApiAndConfigMap,
            AuthenticationMode::Api,
        ] {
            assert_eq!(AuthenticationMode::parse(m.as_str()), Some(m));
        }
        assert_eq!(ClusterStatus::parse("ACTIVE"), Some(ClusterStatus::Active));
        assert!(ClusterStatus::parse("active").is_none());
    }
}
