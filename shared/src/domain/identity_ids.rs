//! The Identity Center and access-entry ids that cross the ports: instance and permission-set
//! ARNs, the identity store id, group and user ids, and access-entry ARNs. Each is its own type,
//! so a group id can never be passed where a user id (or a permission-set ARN where an instance
//! ARN) is meant; each is checked for the shape AWS documents for it, loosely enough to take
//! every id AWS hands out.

use super::Arn;

validated_string!(
    /// An IAM Identity Center instance ARN: `arn:aws:sso:::instance/ssoins-…`.
    InstanceArn,
    "Identity Center instance ARN",
    check_instance_arn
);
validated_string!(
    /// A permission set ARN: `arn:aws:sso:::permissionSet/ssoins-…/ps-…`.
    PermissionSetArn,
    "permission set ARN",
    check_permission_set_arn
);
validated_string!(
    /// An Identity Store id: `d-` and ten hex digits, or a UUID for newer stores.
    IdentityStoreId,
    "identity store id",
    check_identity_store_id
);
validated_string!(
    /// An Identity Store group id (a UUID, optionally prefixed with ten hex digits and `-`).
    GroupId,
    "group id",
    check_directory_id
);
validated_string!(
    /// An Identity Store user id (same shape as a [`GroupId`]).
    UserId,
    "user id",
    check_directory_id
);
validated_string!(
    /// An EKS access entry ARN:
    /// `arn:aws:eks:<region>:<account>:access-entry/<cluster>/<type>/<account>/<name>/<uuid>`.
    AccessEntryArn,
    "access entry ARN",
    check_access_entry_arn
);

/// `arn:<partition>:<service>:<region>:<account>:<prefix><rest>` with a non-empty rest, for the
/// given service and resource prefix; the message names the shape expected.
fn check_resource_arn(
    value: &str,
    service: &str,
    prefix: &str,
    expected: &str,
) -> Result<(), String> {
    let well_formed = Arn::parse(value).is_some_and(|arn| {
        arn.service == service
            && arn
                .resource
                .strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty())
    });
    if well_formed {
        Ok(())
    } else {
        Err(format!("expected {expected}"))
    }
}

fn check_instance_arn(value: &str) -> Result<(), String> {
    check_resource_arn(value, "sso", "instance/", "arn:aws:sso:::instance/ssoins-…")
}

fn check_permission_set_arn(value: &str) -> Result<(), String> {
    check_resource_arn(
        value,
        "sso",
        "permissionSet/",
        "arn:aws:sso:::permissionSet/ssoins-…/ps-…",
    )
}

fn check_access_entry_arn(value: &str) -> Result<(), String> {
    check_resource_arn(
        value,
        "eks",
        "access-entry/",
        "arn:aws:eks:<region>:<account>:access-entry/<cluster>/…",
    )
}

/// Letters, digits and `-`, `len` characters at most: the alphabet of every Identity Store id.
fn is_id(value: &str, len: usize) -> bool {
    !value.is_empty()
        && value.len() <= len
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn check_identity_store_id(value: &str) -> Result<(), String> {
    // The API allows 1-36 characters: `d-1234567890` or a UUID.
    if is_id(value, 36) {
        Ok(())
    } else {
        Err("an identity store id is d-1234567890 or a UUID (1-36 letters, digits, '-')".into())
    }
}

fn check_directory_id(value: &str) -> Result<(), String> {
    // The API allows 1-47 characters: a UUID, optionally after ten hex digits and '-'.
    if is_id(value, 47) {
        Ok(())
    } else {
        Err("an Identity Store id is a UUID (1-47 letters, digits, '-')".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_center_arns_name_their_resource() {
        assert!(InstanceArn::new("arn:aws:sso:::instance/ssoins-1234567890abcdef").is_ok());
        assert!(InstanceArn::new("arn:aws-us-gov:sso:::instance/ssoins-1").is_ok());
        for bad in [
            "ssoins-1",
            "arn:aws:sso:::instance/",
            "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
            "arn:aws:iam:::instance/ssoins-1",
        ] {
            assert!(InstanceArn::new(bad).is_err(), "{bad}");
        }
        assert!(PermissionSetArn::new("arn:aws:sso:::permissionSet/ssoins-1/ps-1").is_ok());
        let wrong = PermissionSetArn::new("arn:aws:sso:::instance/ssoins-1").unwrap_err();
        assert!(wrong.to_string().contains("permissionSet/"), "{wrong}");
    }

    #[test]
    fn access_entry_arns_are_eks_access_entries() {
        let arn =
            "arn:aws:eks:eu-west-1:111122223333:access-entry/prod/role/111122223333/dev/ab-cd";
        assert!(AccessEntryArn::new(arn).is_ok());
        assert!(AccessEntryArn::new("arn:aws:eks:eu-west-1:111122223333:cluster/prod").is_err());
    }

    #[test]
    fn directory_ids_take_every_documented_shape() {
        for ok in [
            "d-1234567890",
            "0123456789-a1b2c3d4-e5f6-7890-abcd-ef1234567890",
            "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        ] {
            assert!(GroupId::new(ok).is_ok(), "{ok}");
            assert!(UserId::new(ok).is_ok(), "{ok}");
        }
        assert!(IdentityStoreId::new("d-1234567890").is_ok());
        for bad in ["", "has space", "a/b", &"a".repeat(48)] {
            assert!(GroupId::new(bad).is_err(), "{bad}");
        }
        assert!(IdentityStoreId::new("a".repeat(37)).is_err());
    }

    #[test]
    fn ids_of_different_kinds_round_trip_as_plain_strings() {
        let id: GroupId = serde_json::from_str("\"g-1\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"g-1\"");
        assert!(serde_json::from_str::<InstanceArn>("\"ssoins-1\"").is_err());
    }
}
