//! IAM principal ARNs, with their path kept: EKS access entries need the full path, and SSO
//! permission-set roles live under `/aws-reserved/sso.amazonaws.com/[<region>/]`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ids::is_permission_set_char;
use super::{AccountId, Arn, InvalidValue, Partition, PermissionSetName, Region};

/// The IAM path prefix under which IAM Identity Center creates permission-set roles.
pub const SSO_ROLE_PATH_PREFIX: &str = "/aws-reserved/sso.amazonaws.com/";

/// Prefix of the name of every role IAM Identity Center creates for a permission set.
const SSO_ROLE_NAME_PREFIX: &str = "AWSReservedSSO_";

/// Whether the principal is an IAM role or an IAM user (the two kinds EKS accepts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    /// `arn:…:iam::<account>:role/<path><name>`
    Role,
    /// `arn:…:iam::<account>:user/<path><name>`
    User,
}

/// A full IAM role or user ARN, path included: `arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef`.
///
/// Orders and compares by its canonical string, so maps keyed by it are deterministic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PrincipalArn {
    arn: String,
    partition: Partition,
    account: AccountId,
    kind: PrincipalKind,
    /// Always starts and ends with `/` (`/` alone for no path).
    path: String,
    name: String,
}

impl PrincipalArn {
    /// Parses an IAM role or user ARN. STS assumed-role ARNs and service-linked roles are rejected
    /// with the reason, because EKS rejects them too.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidValue> {
        let value = value.into();
        let err = |reason: &str| InvalidValue::new("IAM principal ARN", &value, reason);
        let Some(Arn {
            partition,
            service,
            region,
            account,
            resource: rest,
        }) = Arn::parse(&value)
        else {
            return Err(err(
                "expected arn:<partition>:iam::<account>:role/<path>/<name>",
            ));
        };
        let partition = Partition::parse(partition).map_err(|reason| err(&reason))?;
        if service == "sts" {
            return Err(err(
                "an STS assumed-role ARN has no path and is rejected by EKS; give the IAM role ARN \
                 (arn:aws:iam::<account>:role/<path>/<name>)",
            ));
        }
        if service != "iam" || !region.is_empty() {
            return Err(err(
                "expected an IAM ARN (arn:<partition>:iam::<account>:...)",
            ));
        }
        let account = AccountId::new(account).map_err(|e| err(&e.reason))?;
        let (kind, resource) = if let Some(r) = rest.strip_prefix("role/") {
            (PrincipalKind::Role, r)
        } else if let Some(r) = rest.strip_prefix("user/") {
            (PrincipalKind::User, r)
        } else {
            return Err(err("EKS access entries take IAM roles or users only"));
        };
        let (path, name) = match resource.rfind('/') {
            Some(i) => (format!("/{}", &resource[..=i]), &resource[i + 1..]),
            None => ("/".to_owned(), resource),
        };
        let name_ok =
            !name.is_empty() && name.len() <= 64 && name.chars().all(is_permission_set_char);
        if !name_ok {
            return Err(err(
                "the role or user name is 1-64 characters of [\\w+=,.@-]",
            ));
        }
        if path.contains("//") || path.len() > 512 {
            return Err(err("malformed IAM path"));
        }
        if path.starts_with("/aws-service-role/") {
            return Err(err("service-linked roles cannot have access entries"));
        }
        Ok(Self {
            partition,
            account,
            kind,
            path,
            name: name.to_owned(),
            arn: value,
        })
    }

    /// Builds a role ARN from its parts (`path` must start and end with `/`).
    pub fn role(
        partition: &str,
        account: &AccountId,
        path: &str,
        name: &str,
    ) -> Result<Self, InvalidValue> {
        Self::new(format!("arn:{partition}:iam::{account}:role{path}{name}"))
    }

    /// The ARN as EKS wants it.
    pub fn as_str(&self) -> &str {
        &self.arn
    }

    /// `aws`, `aws-cn` or `aws-us-gov` (other partitions are refused on construction).
    pub fn partition(&self) -> &'static str {
        self.partition.as_str()
    }

    /// The partition as a value.
    pub fn partition_kind(&self) -> Partition {
        self.partition
    }

    /// The account the principal lives in.
    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// Role or user.
    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    /// The IAM path, starting and ending with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The role or user name, without path.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The ARN with the path stripped, as the `aws-auth` ConfigMap needed it. For display and
    /// import only: EKS rejects it.
    pub fn without_path(&self) -> String {
        let kind = match self.kind {
            PrincipalKind::Role => "role",
            PrincipalKind::User => "user",
        };
        format!(
            "arn:{}:iam::{}:{kind}/{}",
            self.partition, self.account, self.name
        )
    }

    /// Whether this is a role IAM Identity Center created for a permission set: under the reserved
    /// path, with the reserved name shape.
    pub fn is_sso_role(&self) -> bool {
        self.sso_permission_set_name().is_some()
    }

    /// The Identity Center home region encoded in an SSO role's path, `None` both for non-SSO
    /// principals and for instances in us-east-1 (whose roles have no region segment).
    pub fn sso_region(&self) -> Option<Region> {
        if self.kind != PrincipalKind::Role {
            return None;
        }
        let rest = self.path.strip_prefix(SSO_ROLE_PATH_PREFIX)?;
        let segment = rest.strip_suffix('/')?;
        Region::new(segment).ok()
    }

    /// For an SSO role `AWSReservedSSO_<PermissionSetName>_<16 hex>`, the permission set name.
    pub fn sso_permission_set_name(&self) -> Option<PermissionSetName> {
        if self.kind != PrincipalKind::Role || !self.path.starts_with(SSO_ROLE_PATH_PREFIX) {
            return None;
        }
        let rest = &self.path[SSO_ROLE_PATH_PREFIX.len()..];
        // Either no region segment (us-east-1 instance) or exactly one region segment.
        let path_ok = rest.is_empty()
            || rest
                .strip_suffix('/')
                .is_some_and(|seg| !seg.contains('/') && Region::new(seg).is_ok());
        if !path_ok {
            return None;
        }
        sso_role_permission_set(&self.name)
    }
}

/// Extracts the permission set name from an SSO role name `AWSReservedSSO_<name>_<16 lowercase hex>`.
pub fn sso_role_permission_set(role_name: &str) -> Option<PermissionSetName> {
    let rest = role_name.strip_prefix(SSO_ROLE_NAME_PREFIX)?;
    let (name, suffix) = rest.rsplit_once('_')?;
    let suffix_ok = suffix.len() == 16
        && suffix
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !suffix_ok {
        return None;
    }
    PermissionSetName::new(name).ok()
}

/// Whether `role_name` is exactly the SSO role of `permission_set`: the anchored match
/// `^AWSReservedSSO_<name>_[0-9a-f]{16}$`, so `Admin` never matches `AWSReservedSSO_Admin_Read_…`.
pub fn is_sso_role_of(role_name: &str, permission_set: &PermissionSetName) -> bool {
    sso_role_permission_set(role_name).is_some_and(|ps| &ps == permission_set)
}

/// The IAM path Identity Center uses for permission-set roles of an instance in `home_region`.
pub fn sso_role_path(home_region: &Region) -> String {
    if home_region.as_str() == "us-east-1" {
        SSO_ROLE_PATH_PREFIX.to_owned()
    } else {
        format!("{SSO_ROLE_PATH_PREFIX}{home_region}/")
    }
}

impl fmt::Display for PrincipalArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

impl TryFrom<String> for PrincipalArn {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl std::str::FromStr for PrincipalArn {
    type Err = InvalidValue;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::new(value)
    }
}

impl From<PrincipalArn> for String {
    fn from(value: PrincipalArn) -> String {
        value.arn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGIONAL: &str = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_PaymentsDeveloper_0123456789abcdef";
    const US_EAST_1: &str = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_fedcba9876543210";

    #[test]
    fn parses_regional_sso_role() {
        let arn = PrincipalArn::new(REGIONAL).unwrap();
        assert_eq!(arn.account().as_str(), "111122223333");
        assert_eq!(arn.path(), "/aws-reserved/sso.amazonaws.com/eu-west-1/");
        assert_eq!(arn.sso_region().unwrap().as_str(), "eu-west-1");
        assert_eq!(
            arn.sso_permission_set_name().unwrap().as_str(),
            "PaymentsDeveloper"
        );
        assert_eq!(
            arn.without_path(),
            "arn:aws:iam::111122223333:role/AWSReservedSSO_PaymentsDeveloper_0123456789abcdef"
        );
    }

    #[test]
    fn parses_us_east_1_sso_role_without_region_segment() {
        let arn = PrincipalArn::new(US_EAST_1).unwrap();
        assert_eq!(arn.path(), SSO_ROLE_PATH_PREFIX);
        assert!(arn.sso_region().is_none());
        assert_eq!(arn.sso_permission_set_name().unwrap().as_str(), "Admin");
        assert_eq!(
            sso_role_path(&Region::new("us-east-1").unwrap()),
            SSO_ROLE_PATH_PREFIX
        );
        assert_eq!(
            sso_role_path(&Region::new("eu-west-1").unwrap()),
            "/aws-reserved/sso.amazonaws.com/eu-west-1/"
        );
    }

    #[test]
    fn anchored_match_does_not_confuse_prefixes() {
        let admin = PermissionSetName::new("Admin").unwrap();
        assert!(is_sso_role_of(
            "AWSReservedSSO_Admin_0123456789abcdef",
            &admin
        ));
        assert!(!is_sso_role_of(
            "AWSReservedSSO_Admin_Read_0123456789abcdef",
            &admin
        ));
        assert!(!is_sso_role_of(
            "AWSReservedSSO_Admin_0123456789ABCDEF",
            &admin
        ));
        assert!(!is_sso_role_of("AWSReservedSSO_Admin_0123", &admin));
    }

    #[test]
    fn non_sso_roles_and_users_parse() {
        let ci = PrincipalArn::new("arn:aws:iam::111122223333:role/ci/deployer").unwrap();
        assert_eq!(ci.path(), "/ci/");
        assert!(!ci.is_sso_role());
        let user = PrincipalArn::new("arn:aws:iam::111122223333:user/alice").unwrap();
        assert_eq!(user.kind(), PrincipalKind::User);
        assert_eq!(user.path(), "/");
    }

    #[test]
    fn principals_keep_their_partition() {
        let cn = PrincipalArn::new("arn:aws-cn:iam::111122223333:role/ci/deployer").unwrap();
        assert_eq!(cn.partition(), "aws-cn");
        assert_eq!(cn.partition_kind(), Partition::AwsCn);
        assert_eq!(
            cn.without_path(),
            "arn:aws-cn:iam::111122223333:role/deployer"
        );
        let err = PrincipalArn::new("arn:aws-iso:iam::111122223333:role/x").unwrap_err();
        assert!(err.reason.contains("aws-iso is not supported"), "{err}");
    }

    #[test]
    fn rejects_what_eks_rejects() {
        for bad in [
            "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice",
            "arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS",
            "arn:aws:iam::11112222333:role/x",
            "arn:aws:iam::111122223333:group/x",
            "arn:aws:iam::111122223333:role/",
            "arn:aws-iso:iam::111122223333:role/x",
            "arn:aws-iso-b:iam::111122223333:role/x",
            "not-an-arn",
        ] {
            assert!(PrincipalArn::new(bad).is_err(), "{bad}");
        }
    }
}
