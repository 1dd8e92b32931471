//! Tests of the small validated identifiers.

use super::*;

#[test]
fn account_ids_are_twelve_digits() {
    assert!(AccountId::new("012345678901").is_ok());
    assert!(AccountId::new("12345678901").is_err());
    assert!(AccountId::new("1234567890ab").is_err());
}

#[test]
fn regions_follow_the_aws_shape() {
    for ok in ["eu-west-1", "us-east-1", "us-gov-west-1", "ap-southeast-4"] {
        assert!(Region::new(ok).is_ok(), "{ok}");
    }
    for bad in ["", "eu-west", "EU-WEST-1", "euwest1", "eu--1"] {
        assert!(Region::new(bad).is_err(), "{bad}");
    }
}

#[test]
fn permission_set_names_follow_iam_rules() {
    assert!(PermissionSetName::new("PaymentsDeveloper").is_ok());
    assert!(PermissionSetName::new("a+b=c,d.e@f-g_h").is_ok());
    assert!(PermissionSetName::new("x".repeat(32)).is_ok());
    assert!(PermissionSetName::new("x".repeat(33)).is_err());
    assert!(PermissionSetName::new("").is_err());
    assert!(PermissionSetName::new("has space").is_err());
    assert!(PermissionSetName::new("EKSTeam-{team}").is_err());
}

#[test]
fn namespace_patterns_allow_only_a_trailing_wildcard() {
    for ok in ["payments", "payments-*", "a", "dev-*", "x1-*"] {
        assert!(NamespacePattern::new(ok).is_ok(), "{ok}");
    }
    for bad in [
        "*",
        "pay*ments",
        "*-dev",
        "Payments",
        "-a",
        "a-",
        "a_b",
        "a**",
    ] {
        assert!(NamespacePattern::new(bad).is_err(), "{bad}");
    }
    let p = NamespacePattern::new("payments-*").unwrap();
    assert!(p.matches("payments-eu") && !p.matches("payments"));
}

#[test]
fn kubernetes_groups_and_usernames_reject_reserved_prefixes() {
    assert!(KubernetesGroup::new("payments-devs").is_ok());
    assert!(KubernetesGroup::new("system:masters").is_err());
    assert!(Username::new("alice").is_ok());
    for bad in ["system:x", "eks:x", "aws:x", "amazon:x", "iam:x"] {
        assert!(Username::new(bad).is_err(), "{bad}");
    }
}

#[test]
fn kubernetes_groups_reject_every_reserved_prefix() {
    for bad in RESERVED_USERNAME_PREFIXES {
        let group = format!("{bad}admins");
        assert!(KubernetesGroup::new(&group).is_err(), "{group}");
    }
    assert!(KubernetesGroup::new("team:eks-admins").is_ok());
}

#[test]
fn usernames_take_eks_templates_as_eks_does() {
    for ok in [
        "alice:{{SessionName}}",
        "a:b{{SessionName}}",
        "x:{{SessionNameRaw}}",
        "{{AccountID}}-dev",
        "arn:aws:sts::{{AccountID}}:assumed-role/r/{{SessionName}}",
    ] {
        assert!(Username::new(ok).is_ok(), "{ok}");
    }
    for bad in [
        "alice{{SessionName}}",
        "{{SessionName}}",
        "alice{{SessionNameRaw}}",
        "alice:{{sessionname}}",
        "alice:{{SessionName}",
        "alice:{{AccessKeyID}}",
    ] {
        assert!(Username::new(bad).is_err(), "{bad}");
    }
    assert!(
        Username::new("a:{{SessionName}}")
            .unwrap()
            .names_the_session()
    );
    assert!(
        !Username::new("a:{{AccountID}}")
            .unwrap()
            .names_the_session()
    );
}

#[test]
fn system_namespaces_are_recognised_with_every_prefix_that_reaches_them() {
    for reaches in [
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "kube-anything",
        "k*",
        "ku*",
        "kub*",
        "kube*",
        "kube-*",
        "kube-s*",
        "kube-system*",
    ] {
        let p = NamespacePattern::new(reaches).unwrap();
        assert!(p.reaches_system_namespace(), "{reaches}");
    }
    for fine in [
        "kube",
        "kubeflow",
        "kubernetes-*",
        "kx*",
        "a-kube-system",
        "payments-*",
    ] {
        let p = NamespacePattern::new(fine).unwrap();
        assert!(!p.reaches_system_namespace(), "{fine}");
    }
    for ns in SYSTEM_NAMESPACES {
        assert!(
            NamespacePattern::new(ns)
                .unwrap()
                .reaches_system_namespace()
        );
    }
}

#[test]
fn rule_names_fit_entry_tags() {
    for ok in [
        "admins",
        "team.payments-2",
        "a_b",
        &"x".repeat(MAX_RULE_NAME_LEN),
    ] {
        assert!(RuleName::new(ok).is_ok(), "{ok}");
    }
    for bad in ["", "a,b", "a b", "ünï", &"x".repeat(MAX_RULE_NAME_LEN + 1)] {
        assert!(RuleName::new(bad).is_err(), "{bad}");
    }
    // The one name not read from a mapping is still a valid one.
    let option = RuleName::option("remove_creator_admin");
    assert_eq!(RuleName::new(option.as_str()), Ok(option));
}

#[test]
fn serde_round_trips_and_validates() {
    let id: AccountId = serde_json::from_str("\"111122223333\"").unwrap();
    assert_eq!(serde_json::to_string(&id).unwrap(), "\"111122223333\"");
    assert!(serde_json::from_str::<AccountId>("\"1\"").is_err());
}
