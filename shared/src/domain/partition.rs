//! AWS partitions: the one place that decides which partition a region belongs to.
//!
//! Every ARN eks-sso-sync builds (cluster ARNs, access-policy ARNs, the member role to assume)
//! carries a partition, and a wrong one fails late and confusingly (a 400 from EKS, an
//! `AssumeRole` denied, or — worst — a desired policy that never equals the actual one, so the
//! planner re-associates it forever). So the partition is derived from the region here and only
//! here, and a region of a partition this tool does not support (the isolated `aws-iso*`
//! partitions, the European Sovereign Cloud) is refused when the region is parsed, with the
//! reason, instead of being silently treated as `aws`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A partition eks-sso-sync supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Partition {
    /// The commercial partition, `aws`.
    #[serde(rename = "aws")]
    Aws,
    /// China (Beijing, Ningxia), `aws-cn`.
    #[serde(rename = "aws-cn")]
    AwsCn,
    /// AWS GovCloud (US), `aws-us-gov`.
    #[serde(rename = "aws-us-gov")]
    AwsUsGov,
}

/// The geographic prefixes of regions in the commercial partition, as in the botocore partition
/// table (`^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$`). A region with any other prefix is refused
/// rather than guessed to be `aws`: a new geography is added here deliberately, after checking.
const AWS_GEOGRAPHIES: [&str; 9] = ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"];

/// Partitions that exist but that eks-sso-sync does not support, with the leading region
/// segments that identify them. Named so the refusal can say exactly what it saw.
const UNSUPPORTED: [(&str, &str); 5] = [
    ("us-iso-", "aws-iso"),
    ("us-isob-", "aws-iso-b"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-isof-", "aws-iso-f"),
    ("eusc-", "aws-eusc"),
];

/// What every refusal says is supported, so an operator sees the whole rule at once.
const SUPPORTED_LIST: &str = "aws, aws-cn and aws-us-gov";

impl Partition {
    /// **The** region → partition rule: `cn-*` → `aws-cn`, `us-gov-*` → `aws-us-gov`, the
    /// commercial geographies → `aws`. The error (a fix hint) names the partition of a region
    /// that belongs to an unsupported one, or says that the region belongs to no known partition.
    ///
    /// [`Region`](super::Region) calls this on construction, so every `Region` value has a
    /// supported partition and [`Partition::of`] cannot fail.
    pub fn for_region_code(region: &str) -> Result<Partition, String> {
        if let Some((_, partition)) = UNSUPPORTED.iter().find(|(p, _)| region.starts_with(p)) {
            return Err(format!(
                "region {region} is in partition {partition}, which eks-sso-sync does not \
                 support (it supports {SUPPORTED_LIST}); manage those clusters with a tool \
                 deployed inside that partition"
            ));
        }
        let segments: Vec<&str> = region.split('-').collect();
        match segments[..] {
            ["cn", _, _] => Ok(Partition::AwsCn),
            ["us", "gov", _, _] => Ok(Partition::AwsUsGov),
            [geo, _, _] if AWS_GEOGRAPHIES.contains(&geo) => Ok(Partition::Aws),
            _ => Err(format!(
                "region {region} belongs to no partition eks-sso-sync knows ({SUPPORTED_LIST}: \
                 regions such as eu-west-1, cn-north-1, us-gov-west-1)"
            )),
        }
    }

    /// The partition of a (valid, hence supported) region.
    pub fn of(region: &super::Region) -> Partition {
        // `Region::new` accepted it only because `for_region_code` did; the fallback is unreachable
        // and exists only because the type system cannot see that.
        Self::for_region_code(region.as_str()).unwrap_or(Partition::Aws)
    }

    /// Parses the partition segment of an ARN (`aws`, `aws-cn`, `aws-us-gov`); other partitions
    /// are refused with the reason.
    pub fn parse(value: &str) -> Result<Partition, String> {
        match value {
            "aws" => Ok(Partition::Aws),
            "aws-cn" => Ok(Partition::AwsCn),
            "aws-us-gov" => Ok(Partition::AwsUsGov),
            other if other.starts_with("aws-") => Err(format!(
                "partition {other} is not supported by eks-sso-sync (it supports {SUPPORTED_LIST})"
            )),
            other => Err(format!(
                "unknown partition {other:?} (expected one of {SUPPORTED_LIST})"
            )),
        }
    }

    /// The partition segment of ARNs, e.g. `aws-cn`.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Region;

    #[test]
    fn regions_map_to_their_partition() {
        for (region, partition) in [
            ("eu-west-1", Partition::Aws),
            ("us-east-1", Partition::Aws),
            ("ap-southeast-4", Partition::Aws),
            ("il-central-1", Partition::Aws),
            ("cn-north-1", Partition::AwsCn),
            ("cn-northwest-1", Partition::AwsCn),
            ("us-gov-west-1", Partition::AwsUsGov),
            ("us-gov-east-1", Partition::AwsUsGov),
        ] {
            let r = Region::new(region).unwrap();
            assert_eq!(Partition::of(&r), partition, "{region}");
            assert_eq!(r.partition(), partition, "{region}");
        }
    }

    #[test]
    fn isolated_and_unknown_partitions_are_refused_by_name() {
        for (region, partition) in [
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eusc-de-east-1", "aws-eusc"),
        ] {
            let err = Partition::for_region_code(region).unwrap_err();
            assert!(
                err.contains(partition) && err.contains("aws-us-gov"),
                "{err}"
            );
            // ... and so such a region cannot even be constructed.
            let err = Region::new(region).unwrap_err();
            assert!(err.reason.contains(partition), "{err}");
        }
        let err = Region::new("xx-west-1").unwrap_err();
        assert!(err.reason.contains("no partition"), "{err}");
    }

    #[test]
    fn arn_partitions_parse_and_refuse() {
        assert_eq!(Partition::parse("aws-cn"), Ok(Partition::AwsCn));
        assert_eq!(Partition::parse("aws-us-gov"), Ok(Partition::AwsUsGov));
        assert!(
            Partition::parse("aws-iso")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(Partition::parse("amazon").is_err());
        for p in [Partition::Aws, Partition::AwsCn, Partition::AwsUsGov] {
            assert_eq!(Partition::parse(p.as_str()), Ok(p));
        }
    }
}
