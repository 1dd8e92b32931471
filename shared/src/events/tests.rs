//! Classification tests: every sample in `events/`, malformed events, failed calls, lenient shapes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::*;
use crate::domain::{AccountId, ClusterName, ClusterRef, ClusterStatus, PrincipalArn, Region};

/// Every sample in `events/` and the trigger kind it must classify as. A new sample without an
/// entry here fails [`every_sample_classifies_as_expected`].
const EXPECTED: &[(&str, &str)] = &[
    ("eks-associate-access-policy.json", "access_entry_changed"),
    ("eks-create-access-entry.json", "access_entry_changed"),
    ("eks-create-cluster.json", "cluster_created"),
    ("eks-delete-access-entry.json", "access_entry_changed"),
    ("eks-delete-cluster.json", "cluster_deleted"),
    (
        "eks-disassociate-access-policy.json",
        "access_entry_changed",
    ),
    ("eks-tag-access-entry.json", "access_entry_changed"),
    ("eks-tag-resource.json", "cluster_tagged"),
    ("eks-untag-access-entry.json", "access_entry_changed"),
    ("eks-untag-resource.json", "cluster_tagged"),
    ("eks-update-access-entry.json", "access_entry_changed"),
    ("eks-update-cluster-config.json", "cluster_config_updated"),
    ("iam-create-role-sso.json", "sso_role_created"),
    ("iam-delete-role-sso.json", "sso_role_deleted"),
    (
        "identitystore-create-group-membership.json",
        "membership_added",
    ),
    ("identitystore-create-group.json", "group_created"),
    (
        "identitystore-delete-group-membership.json",
        "membership_removed",
    ),
    ("identitystore-delete-group.json", "group_deleted"),
    ("identitystore-update-group.json", "group_updated"),
    ("ignored-error-code.json", "ignored"),
    (
        "ignored-eks-own-session-delete-access-entry.json",
        "ignored",
    ),
    ("ignored-eks-tag-nodegroup.json", "ignored"),
    ("ignored-iam-create-role-non-sso.json", "ignored"),
    ("native-group-created.json", "group_created"),
    ("native-group-deleted.json", "group_deleted"),
    ("native-group-membership-created.json", "membership_added"),
    ("native-group-membership-deleted.json", "membership_removed"),
    ("native-group-updated.json", "group_updated"),
    ("scheduled-sweep.json", "scheduled_sweep"),
    ("scim-create-group.json", "group_created"),
    ("scim-delete-group.json", "group_deleted"),
    ("scim-patch-group.json", "group_members_patched"),
    (
        "sso-create-account-assignment.json",
        "account_assignment_created",
    ),
    (
        "sso-delete-account-assignment.json",
        "account_assignment_deleted",
    ),
    ("sso-delete-permission-set.json", "permission_set_deleted"),
    ("sso-directory-add-member-to-group.json", "membership_added"),
    ("sso-directory-create-group.json", "group_created"),
    ("sso-directory-delete-group.json", "group_deleted"),
    (
        "sso-directory-remove-member-from-group.json",
        "membership_removed",
    ),
    ("sso-directory-update-group.json", "group_updated"),
    (
        "sso-provision-permission-set.json",
        "permission_set_provisioned",
    ),
];

const GROUP: &str = "9067d4c2-50a1-70e4-8b1c-2a3b4c5d6e7f";
const USER: &str = "c2f5e4a0-1091-7012-3b4c-5d6e7f8a9b0c";
const STORE: &str = "d-93670a1b2c";

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

fn sample_text(name: &str) -> String {
    std::fs::read_to_string(samples_dir().join(name)).unwrap()
}

fn sample(name: &str) -> Trigger {
    parse_event(&sample_text(name)).unwrap().trigger
}

fn sample_value(name: &str) -> Value {
    serde_json::from_str(&sample_text(name)).unwrap()
}

/// Classifies a sample after `edit` changed it.
fn edited(name: &str, edit: impl FnOnce(&mut Value)) -> Result<Classified, EventError> {
    let mut value = sample_value(name);
    edit(&mut value);
    parse_event_value(value)
}

fn cluster(account: &str, region: &str, name: &str) -> ClusterRef {
    ClusterRef::new(
        AccountId::new(account).unwrap(),
        Region::new(region).unwrap(),
        ClusterName::new(name).unwrap(),
    )
}

#[test]
fn every_sample_classifies_as_expected() {
    let expected: BTreeMap<&str, &str> = EXPECTED.iter().copied().collect();
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(samples_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".json") {
            continue;
        }
        let want = expected
            .get(name.as_str())
            .unwrap_or_else(|| panic!("events/{name} has no expected classification in EXPECTED"));
        let classified = parse_event(&sample_text(&name))
            .unwrap_or_else(|e| panic!("events/{name} failed to classify: {e}"));
        assert_eq!(classified.trigger.kind(), *want, "events/{name}");
        assert!(!classified.event_id.is_empty(), "events/{name}");
        let json = serde_json::to_value(&classified.trigger).unwrap();
        assert_eq!(json["kind"], *want, "events/{name}: serialized kind tag");
        seen.push(name);
    }
    seen.sort();
    let listed: Vec<&str> = expected.keys().copied().collect();
    assert_eq!(
        seen, listed,
        "EXPECTED lists a sample that is not in events/"
    );
}

#[test]
fn samples_route_to_the_function_that_handles_them() {
    let handler = |name: &str| sample(name).handler();
    assert_eq!(handler("scim-patch-group.json"), Some(Handler::GroupSync));
    assert_eq!(
        handler("iam-create-role-sso.json"),
        Some(Handler::GroupSync)
    );
    assert_eq!(
        handler("sso-create-account-assignment.json"),
        Some(Handler::GroupSync)
    );
    assert_eq!(
        handler("eks-tag-resource.json"),
        Some(Handler::ClusterBootstrap)
    );
    assert_eq!(handler("scheduled-sweep.json"), Some(Handler::Reconciler));
    assert_eq!(handler("ignored-error-code.json"), None);
}

#[test]
fn membership_ids_come_from_where_each_origin_keeps_them() {
    let added = Trigger::MembershipAdded {
        identity_store_id: Some(STORE.parse().unwrap()),
        group_id: Some(GROUP.parse().unwrap()),
        user_id: Some(USER.parse().unwrap()),
        membership_id: None,
    };
    assert_eq!(sample("sso-directory-add-member-to-group.json"), added);
    let Trigger::MembershipAdded { membership_id, .. } =
        sample("identitystore-create-group-membership.json")
    else {
        panic!("expected membership_added");
    };
    assert_eq!(
        membership_id.as_deref(),
        Some("d4a2c3b1-7071-70aa-1234-56789abcdef0")
    );
    // DeleteGroupMembership carries only the membership id: the group must stay unknown.
    assert_eq!(
        sample("identitystore-delete-group-membership.json"),
        Trigger::MembershipRemoved {
            identity_store_id: Some(STORE.parse().unwrap()),
            group_id: None,
            user_id: None,
            membership_id: Some("d4a2c3b1-7071-70aa-1234-56789abcdef0".into()),
        }
    );
}

#[test]
fn group_ids_are_found_in_requests_responses_and_scim_resource_ids() {
    for name in [
        "sso-directory-create-group.json",
        "identitystore-create-group.json",
        "scim-create-group.json",
        "native-group-created.json",
    ] {
        let Trigger::GroupCreated { group_id, .. } = sample(name) else {
            panic!("{name}: expected group_created");
        };
        assert_eq!(group_id.as_ref().map(|g| g.as_str()), Some(GROUP), "{name}");
    }
    assert_eq!(
        sample("scim-patch-group.json"),
        Trigger::GroupMembersPatched {
            identity_store_id: None,
            group_id: Some(GROUP.parse().unwrap()),
        }
    );
}

#[test]
fn account_assignment_names_account_permission_set_and_principal() {
    assert_eq!(
        sample("sso-create-account-assignment.json"),
        Trigger::AccountAssignmentCreated {
            instance_arn: "arn:aws:sso:::instance/ssoins-6804c1a2b3c4d5e6"
                .parse()
                .unwrap(),
            account: AccountId::new("222222222222").unwrap(),
            permission_set_arn:
                "arn:aws:sso:::permissionSet/ssoins-6804c1a2b3c4d5e6/ps-2f3e4d5c6b7a8901"
                    .parse()
                    .unwrap(),
            principal: AssignedPrincipal::Group(GROUP.parse().unwrap()),
        }
    );
    let Trigger::PermissionSetProvisioned { account, .. } =
        sample("sso-provision-permission-set.json")
    else {
        panic!("expected permission_set_provisioned");
    };
    assert_eq!(account.map(String::from).as_deref(), Some("222222222222"));
}

#[test]
fn sso_role_events_carry_account_name_and_full_arn() {
    let Trigger::SsoRoleCreated {
        account,
        role_name,
        role_arn,
    } = sample("iam-create-role-sso.json")
    else {
        panic!("expected sso_role_created");
    };
    assert_eq!(account.as_str(), "222222222222");
    assert_eq!(
        role_name,
        "AWSReservedSSO_PaymentsDeveloper_4f8d2c1a9b3e7d60"
    );
    let arn = role_arn.unwrap();
    assert_eq!(arn.path(), "/aws-reserved/sso.amazonaws.com/eu-west-1/");
    assert!(arn.is_sso_role());
    assert!(matches!(
        sample("iam-delete-role-sso.json"),
        Trigger::SsoRoleDeleted { role_arn: None, .. }
    ));
}

#[test]
fn iam_roles_outside_the_sso_path_or_name_are_ignored() {
    let Trigger::Ignored { reason } = sample("ignored-iam-create-role-non-sso.json") else {
        panic!("expected ignored");
    };
    assert!(reason.contains("ci-deployer"), "{reason}");
    // A DeleteRole of a look-alike name (no 16-hex suffix) is not an SSO role either.
    let other = edited("iam-delete-role-sso.json", |v| {
        v["detail"]["requestParameters"]["roleName"] = json!("AWSReservedSSO_Payments_custom");
    })
    .unwrap();
    assert_eq!(other.trigger.kind(), "ignored");
}

#[test]
fn cluster_events_name_the_cluster_by_account_region_and_name() {
    let prod = cluster("222222222222", "eu-west-1", "prod-eu");
    assert_eq!(
        sample("eks-create-cluster.json"),
        Trigger::ClusterCreated {
            cluster: prod.clone(),
            status: Some(ClusterStatus::Creating),
            // The session issuer, path included: the role the bootstrap entry names.
            creator: Some(
                PrincipalArn::new(
                    "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-west-1/\
                     AWSReservedSSO_EKSPlatformAdmin_1a2b3c4d5e6f7a8b"
                )
                .unwrap()
            ),
        }
    );
    assert_eq!(
        sample("eks-tag-resource.json"),
        Trigger::ClusterTagged {
            cluster: prod.clone(),
            status: None,
        }
    );
    assert_eq!(
        sample("eks-update-cluster-config.json"),
        Trigger::ClusterConfigUpdated {
            cluster: prod,
            status: None,
        }
    );
}

#[test]
fn older_eks_records_with_cluster_name_are_understood() {
    let older = edited("eks-delete-cluster.json", |v| {
        let request = &mut v["detail"]["requestParameters"];
        *request = json!({ "clusterName": "legacy-eu" });
        v["detail"]["responseElements"] = Value::Null;
    })
    .unwrap();
    assert_eq!(
        older.trigger,
        Trigger::ClusterDeleted {
            cluster: cluster("222222222222", "eu-west-1", "legacy-eu"),
            status: None,
        }
    );
}

#[test]
fn tagging_a_node_group_is_ignored_but_a_garbage_arn_is_an_error() {
    let nodegroup = edited("eks-tag-resource.json", |v| {
        v["detail"]["requestParameters"]["resourceArn"] =
            json!("arn:aws:eks:eu-west-1:222222222222:nodegroup/prod-eu/ng-1/0a1b2c3d");
    })
    .unwrap();
    assert_eq!(nodegroup.trigger.kind(), "ignored");
    let garbage = edited("eks-tag-resource.json", |v| {
        v["detail"]["requestParameters"]["resourceArn"] = json!("prod-eu");
    })
    .unwrap_err();
    assert_eq!(
        garbage.field_path(),
        Some("detail.requestParameters.resourceArn")
    );
}

#[test]
fn failed_calls_are_ignored_with_their_error_code() {
    let classified = parse_event(&sample_text("ignored-error-code.json")).unwrap();
    assert_eq!(
        classified.trigger,
        Trigger::Ignored {
            reason: "call failed: AccessDeniedException".into()
        }
    );
    assert_eq!(
        classified.event_name.as_deref(),
        Some("CreateAccountAssignment")
    );
    // An errorCode wins even over a record that would otherwise be malformed.
    let failed_eks = edited("eks-create-cluster.json", |v| {
        v["detail"]["errorCode"] = json!("ResourceInUseException");
        v["detail"]["requestParameters"] = Value::Null;
    })
    .unwrap();
    assert_eq!(failed_eks.trigger.kind(), "ignored");
}

#[test]
fn missing_fields_are_named_by_their_full_path() {
    type Edit = fn(&mut Value);
    let cases: [(&str, &str, Edit); 6] = [
        (
            "sso-create-account-assignment.json",
            "detail.requestParameters.targetId",
            |v| {
                drop(
                    v["detail"]["requestParameters"]
                        .as_object_mut()
                        .unwrap()
                        .remove("targetId"),
                )
            },
        ),
        (
            "sso-delete-account-assignment.json",
            "detail.requestParameters.principalId",
            |v| v["detail"]["requestParameters"]["principalId"] = Value::Null,
        ),
        (
            "eks-create-cluster.json",
            "detail.requestParameters.name",
            |v| {
                v["detail"]["requestParameters"] = json!({});
                v["detail"]["responseElements"] = Value::Null;
            },
        ),
        (
            "iam-create-role-sso.json",
            "detail.requestParameters.roleName",
            |v| {
                v["detail"]["requestParameters"] =
                    json!({ "path": "/aws-reserved/sso.amazonaws.com/" })
            },
        ),
        ("eks-tag-resource.json", "detail.eventName", |v| {
            drop(v["detail"].as_object_mut().unwrap().remove("eventName"))
        }),
        ("scim-patch-group.json", "detail", |v| {
            drop(v.as_object_mut().unwrap().remove("detail"))
        }),
    ];
    for (name, path, edit) in cases {
        let err = edited(name, edit).unwrap_err();
        assert!(
            matches!(err, EventError::MissingField { .. }),
            "{name}: {err}"
        );
        assert_eq!(err.field_path(), Some(path), "{name}: {err}");
        assert!(err.to_string().contains(path), "{name}: {err}");
    }
}

#[test]
fn invalid_values_are_named_by_their_full_path() {
    let short_account = edited("sso-create-account-assignment.json", |v| {
        v["detail"]["requestParameters"]["targetId"] = json!("22222222222");
    })
    .unwrap_err();
    assert_eq!(
        short_account.field_path(),
        Some("detail.requestParameters.targetId")
    );
    assert!(
        short_account.to_string().contains("12 digits"),
        "{short_account}"
    );

    // Ids are typed too: a permission set ARN that is an instance ARN, a group id with a '/'.
    let ps_arn = edited("sso-create-account-assignment.json", |v| {
        v["detail"]["requestParameters"]["permissionSetArn"] =
            json!("arn:aws:sso:::instance/ssoins-6804c1a2b3c4d5e6");
    })
    .unwrap_err();
    assert_eq!(
        ps_arn.field_path(),
        Some("detail.requestParameters.permissionSetArn")
    );
    assert!(ps_arn.to_string().contains("permissionSet/"), "{ps_arn}");
    let group = edited("identitystore-create-group-membership.json", |v| {
        v["detail"]["requestParameters"]["groupId"] = json!("../etc");
    })
    .unwrap_err();
    assert_eq!(group.field_path(), Some("detail.requestParameters.groupId"));

    let principal = edited("sso-create-account-assignment.json", |v| {
        v["detail"]["requestParameters"]["principalType"] = json!("ROLE");
    })
    .unwrap_err();
    assert_eq!(
        principal.field_path(),
        Some("detail.requestParameters.principalType")
    );

    let bad_account = edited("eks-create-cluster.json", |v| {
        v["detail"]["recipientAccountId"] = json!("not-an-account");
    })
    .unwrap_err();
    assert_eq!(bad_account.field_path(), Some("detail.recipientAccountId"));

    let wrong_type = edited("identitystore-delete-group.json", |v| {
        v["detail"]["requestParameters"]["groupId"] = json!(42);
    })
    .unwrap_err();
    assert_eq!(
        wrong_type.field_path(),
        Some("detail.requestParameters.groupId")
    );

    let not_object = edited("eks-create-cluster.json", |v| v["detail"] = json!("x")).unwrap_err();
    assert_eq!(not_object.field_path(), Some("detail"));
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    assert!(matches!(parse_event("{"), Err(EventError::Json(_))));
    assert!(parse_event("[]").is_err());
    let err = parse_event(r#"{"source":"aws.eks","detail":{}}"#).unwrap_err();
    assert_eq!(err.field_path(), Some("detail-type"));
    let bad_time = edited("eks-create-cluster.json", |v| {
        v["time"] = json!("yesterday")
    });
    let bad_time = bad_time.unwrap_err();
    assert_eq!(bad_time.field_path(), Some("time"));
    // Said once, never "input contains invalid characters: input contains invalid characters".
    assert!(
        !bad_time.to_string().contains("invalid characters"),
        "{bad_time}"
    );
}

#[test]
fn lenient_shapes_of_real_records_are_accepted() {
    // Empty sessionIssuer, IdentityCenterUser identities, masked names and unknown fields.
    let classified = edited("sso-directory-update-group.json", |v| {
        v["detail"]["userIdentity"] = json!({
            "type": "IdentityCenterUser",
            "onBehalfOf": { "userId": USER, "identityStoreArn": "arn:aws:identitystore::111111111111:identitystore/d-93670a1b2c" },
            "sessionContext": { "sessionIssuer": {}, "attributes": {} },
            "someFieldFromTheFuture": [1, 2, 3]
        });
        v["detail"]["additionalEventData"] = json!({ "anything": true });
        v["detail"]["requestParameters"]["displayName"] =
            json!("HIDDEN_DUE_TO_SECURITY_REASONS");
    })
    .unwrap();
    assert_eq!(
        classified.trigger,
        Trigger::GroupUpdated {
            identity_store_id: Some(STORE.parse().unwrap()),
            group_id: Some(GROUP.parse().unwrap()),
        }
    );
    let detail = cloudtrail::CloudTrailDetail::from_value(
        &sample_value("sso-directory-add-member-to-group.json")["detail"],
    )
    .unwrap();
    let issuer = detail
        .user_identity
        .and_then(|u| u.session_context)
        .and_then(|s| s.session_issuer)
        .unwrap();
    assert_eq!(issuer, cloudtrail::SessionIssuer::default());
}

#[test]
fn masked_ids_read_as_unknown() {
    let masked = edited("scim-patch-group.json", |v| {
        v["detail"]["requestParameters"]["id"] = json!("HIDDEN_DUE_TO_SECURITY_REASONS");
    })
    .unwrap();
    assert_eq!(
        masked.trigger,
        Trigger::GroupMembersPatched {
            identity_store_id: None,
            group_id: None
        }
    );
}

#[test]
fn native_notifications_are_classified_by_detail_type() {
    let other = edited("native-group-created.json", |v| {
        v["detail-type"] = json!("User Created");
    })
    .unwrap();
    assert_eq!(other.trigger.kind(), "ignored");
    assert_eq!(other.event_name.as_deref(), Some("User Created"));
    // The same source with the CloudTrail detail-type is read as a CloudTrail record.
    let cloudtrail = edited("native-group-created.json", |v| {
        v["detail-type"] = json!(CLOUDTRAIL_DETAIL_TYPE);
    })
    .unwrap_err();
    assert_eq!(cloudtrail.field_path(), Some("detail.eventSource"));
}

#[test]
fn scheduled_events_from_rules_and_scheduler_are_sweeps() {
    let from_rule = edited("scheduled-sweep.json", |v| {
        v["source"] = json!("aws.events")
    })
    .unwrap();
    assert_eq!(from_rule.trigger, Trigger::ScheduledSweep);
    let other = edited("scheduled-sweep.json", |v| {
        v["detail-type"] = json!("Something Else")
    })
    .unwrap();
    assert_eq!(other.trigger.kind(), "ignored");
}

#[test]
fn unknown_sources_and_event_names_are_ignored_with_a_reason() {
    let ec2 = edited("scheduled-sweep.json", |v| {
        v["source"] = json!("aws.ec2");
        v["detail-type"] = json!("EC2 Instance State-change Notification");
    })
    .unwrap();
    let Trigger::Ignored { reason } = ec2.trigger else {
        panic!("expected ignored");
    };
    assert!(reason.contains("aws.ec2"), "{reason}");
    let list = edited("eks-create-cluster.json", |v| {
        v["detail"]["eventName"] = json!("DescribeCluster");
    })
    .unwrap();
    assert_eq!(list.trigger.kind(), "ignored");
}

#[test]
fn the_event_id_falls_back_to_the_cloudtrail_event_id() {
    let classified = edited("eks-create-cluster.json", |v| {
        drop(v.as_object_mut().unwrap().remove("id"));
    })
    .unwrap();
    assert_eq!(
        classified.event_id,
        sample_value("eks-create-cluster.json")["detail"]["eventID"]
    );
    assert_eq!(classified.source, "aws.eks");
    let no_id = edited("scheduled-sweep.json", |v| {
        drop(v.as_object_mut().unwrap().remove("id"));
    })
    .unwrap_err();
    assert_eq!(no_id.field_path(), Some("id"));
}

#[test]
fn triggers_serialize_with_a_stable_kind_tag_and_plain_fields() {
    let json = serde_json::to_value(sample("sso-create-account-assignment.json")).unwrap();
    assert_eq!(
        json,
        json!({
            "kind": "account_assignment_created",
            "instance_arn": "arn:aws:sso:::instance/ssoins-6804c1a2b3c4d5e6",
            "account": "222222222222",
            "permission_set_arn": "arn:aws:sso:::permissionSet/ssoins-6804c1a2b3c4d5e6/ps-2f3e4d5c6b7a8901",
            "principal_type": "GROUP",
            "principal_id": GROUP,
        })
    );
    let json = serde_json::to_value(sample("eks-create-cluster.json")).unwrap();
    assert_eq!(
        json,
        json!({
            "kind": "cluster_created",
            "cluster": { "account": "222222222222", "region": "eu-west-1", "name": "prod-eu" },
            "status": "CREATING",
            "creator": "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_EKSPlatformAdmin_1a2b3c4d5e6f7a8b",
        })
    );
    let back: Trigger = serde_json::from_value(json).unwrap();
    assert_eq!(back, sample("eks-create-cluster.json"));
}
