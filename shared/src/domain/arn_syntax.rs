//! The one ARN parser: `arn:<partition>:<service>:<region>:<account>:<resource>` split into its
//! six fields, which every typed ARN of the domain ([`PrincipalArn`](super::PrincipalArn),
//! [`ClusterRef::from_arn`](super::ClusterRef::from_arn), [`PolicyArn`](super::PolicyArn), the
//! Identity Center and access-entry ARNs) and every event or import that looks at an ARN uses,
//! instead of each splitting on `:` by hand.
//!
//! Why not a library (our rule is "prefer a maintained library")? The candidates were weighed:
//! `aws-arn` (0.3.1, last released in 2022, pulls `lazy_static`) and `scratchstack-arn` both
//! validate with regexes and report their own generic errors, while every caller here must keep
//! its specific message (an STS session ARN, a service-linked role, a partition that does not
//! match its region are each refused with their own fix) and checks the fields itself anyway.
//! What is left for a library — `splitn(6, ':')` with the `arn` prefix checked — is the few
//! lines below, so a dependency would add supply-chain surface to the pure core and remove
//! nothing. The emulator keeps its own ARN handling on purpose: it is the independent oracle
//! the engine is tested against.

/// An ARN split into its fields, borrowing from the string it was parsed from. Only the shape is
/// checked here (the `arn` prefix and six `:`-separated fields, the last of which may itself
/// contain `:`); what each field must hold is the typed ARN's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`, ... (not checked here: see [`super::Partition::parse`]).
    pub partition: &'a str,
    /// The service namespace: `iam`, `eks`, `sts`, `sso`, ...
    pub service: &'a str,
    /// The region, empty for global services (IAM, Identity Center ARNs, EKS access policies).
    pub region: &'a str,
    /// The account id, empty where the service leaves it out; `aws` for AWS-owned resources.
    pub account: &'a str,
    /// Everything after the fifth `:`, e.g. `role/ci/deployer` or `cluster/prod-1`.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `value`; `None` when it does not start with `arn:` or has fewer than six fields.
    pub fn parse(value: &'a str) -> Option<Self> {
        let mut parts = value.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return None;
        };
        Some(Self {
            partition,
            service,
            region,
            account,
            resource,
        })
    }

    /// [`Arn::parse`], only when the ARN belongs to `service`.
    pub fn of_service(value: &'a str, service: &str) -> Option<Self> {
        Self::parse(value).filter(|arn| arn.service == service)
    }

    /// The resource after `prefix` (`cluster/`, `role/`, ...), when it starts with it.
    pub fn resource_after(&self, prefix: &str) -> Option<&'a str> {
        self.resource.strip_prefix(prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_six_fields_and_keeps_colons_in_the_resource() {
        let arn = Arn::parse("arn:aws:eks:eu-west-1:111122223333:cluster/prod-1").unwrap();
        assert_eq!(
            arn,
            Arn {
                partition: "aws",
                service: "eks",
                region: "eu-west-1",
                account: "111122223333",
                resource: "cluster/prod-1",
            }
        );
        assert_eq!(arn.resource_after("cluster/"), Some("prod-1"));
        assert_eq!(arn.resource_after("nodegroup/"), None);
        let global = Arn::parse("arn:aws-cn:iam::111122223333:role/a:b").unwrap();
        assert_eq!((global.region, global.resource), ("", "role/a:b"));
        let policy = Arn::parse("arn:aws:eks::aws:cluster-access-policy/X").unwrap();
        assert_eq!(policy.account, "aws");
    }

    #[test]
    fn refuses_what_is_not_an_arn() {
        for bad in [
            "",
            "prod-1",
            "arn:aws:iam::111122223333",
            "urn:aws:iam::111122223333:role/x",
            "ARN:aws:iam::111122223333:role/x",
        ] {
            assert_eq!(Arn::parse(bad), None, "{bad}");
        }
        assert!(Arn::of_service("arn:aws:sts::1:assumed-role/r/s", "sts").is_some());
        assert!(Arn::of_service("arn:aws:sts::1:assumed-role/r/s", "iam").is_none());
    }
}
