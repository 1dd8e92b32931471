//! Classification of access-entry records (drift repair) and of the change id that deduplicates
//! copies of one event: every access-entry sample in `events/`, percent-encoded path parameters,
//! eks-sso-sync's own sessions, failed calls, and replica copies of Identity Center events.

use serde_json::{Value, json};

use super::*;
use crate::domain::{ClusterRef, EntryChange};

const PROD_EU: &str = "arn:aws:eks:eu-west-1:222222222222:cluster/prod-eu";
const CONTRACTOR: &str = "arn:aws:iam::222222222222:role/contractor";
const PAYMENTS: &str = "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_PaymentsDeveloper_0a1b2c3d4e5f6a7b";
const ALICE: &str = "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_EKSPlatformAdmin_1a2b3c4d5e6f7a8b/alice@example.com";

fn sample_value(name: &str) -> Value {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn classify_value(value: Value) -> Classified {
    parse_event_value(value).unwrap()
}

/// The cluster and change of an access-entry sample (panics for any other trigger).
fn drift(name: &str) -> (ClusterRef, EntryChange) {
    match classify_value(sample_value(name)).trigger {
        Trigger::AccessEntryChanged { cluster, change } => (cluster, change),
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn every_access_entry_operation_names_its_cluster_principal_caller_and_time() {
    for (file, operation, principal, policy) in [
        (
            "eks-create-access-entry.json",
            "CreateAccessEntry",
            Some(CONTRACTOR),
            None,
        ),
        (
            "eks-associate-access-policy.json",
            "AssociateAccessPolicy",
            Some(CONTRACTOR),
            Some("AmazonEKSClusterAdminPolicy"),
        ),
        (
            "eks-update-access-entry.json",
            "UpdateAccessEntry",
            Some(PAYMENTS),
            None,
        ),
        (
            "eks-delete-access-entry.json",
            "DeleteAccessEntry",
            Some(PAYMENTS),
            None,
        ),
        (
            "eks-disassociate-access-policy.json",
            "DisassociateAccessPolicy",
            Some(PAYMENTS),
            Some("AmazonEKSEditPolicy"),
        ),
        // The entry ARN names the role without its path: no principal.
        ("eks-tag-access-entry.json", "TagResource", None, None),
        ("eks-untag-access-entry.json", "UntagResource", None, None),
    ] {
        let (cluster, change) = drift(file);
        assert_eq!(cluster.arn(), PROD_EU, "{file}");
        assert_eq!(change.operation, operation, "{file}");
        assert_eq!(
            change.principal.as_ref().map(|p| p.as_str()),
            principal,
            "{file}: percent-encoded principals are decoded"
        );
        assert_eq!(change.policy.as_ref().map(|p| p.name()), policy, "{file}");
        assert_eq!(change.by.as_deref(), Some(ALICE), "{file}");
        assert!(
            change
                .at
                .as_deref()
                .is_some_and(|t| t.starts_with("2026-11-28T10:15")),
            "{file}"
        );
        assert_eq!(
            classify_value(sample_value(file)).trigger.handler(),
            Some(Handler::ClusterBootstrap),
            "{file}"
        );
    }
}

#[test]
fn our_own_sessions_changes_are_ignored_naming_the_session() {
    let own = classify_value(sample_value(
        "ignored-eks-own-session-delete-access-entry.json",
    ));
    let Trigger::Ignored { reason } = &own.trigger else {
        panic!("{:?}", own.trigger);
    };
    assert!(reason.contains("eks-sso-sync-reconciler"), "{reason}");
    assert_eq!(own.trigger.handler(), None);
    // The CLI's session, tagging an entry, is ignored too.
    let mut tag = sample_value("eks-tag-access-entry.json");
    tag["detail"]["userIdentity"]["arn"] =
        json!("arn:aws:sts::222222222222:assumed-role/eks-sso-sync-target/eks-sso-sync");
    assert_eq!(classify_value(tag).trigger.kind(), "ignored");
    // A role *named* eks-sso-sync used by a person is not our session.
    let mut person = sample_value("eks-delete-access-entry.json");
    person["detail"]["userIdentity"]["arn"] =
        json!("arn:aws:sts::222222222222:assumed-role/eks-sso-sync-target/mallory");
    assert_eq!(
        classify_value(person).trigger.kind(),
        "access_entry_changed"
    );
}

#[test]
fn failed_access_entry_calls_are_ignored() {
    let mut failed = sample_value("eks-delete-access-entry.json");
    failed["detail"]["errorCode"] = json!("ResourceNotFoundException");
    let classified = classify_value(failed);
    assert_eq!(
        classified.trigger,
        Trigger::Ignored {
            reason: "call failed: ResourceNotFoundException".into()
        }
    );
}

#[test]
fn tagging_or_untagging_a_cluster_reconciles_it_a_node_group_is_ignored() {
    assert_eq!(
        classify_value(sample_value("eks-tag-resource.json"))
            .trigger
            .kind(),
        "cluster_tagged"
    );
    assert_eq!(
        classify_value(sample_value("ignored-eks-tag-nodegroup.json"))
            .trigger
            .kind(),
        "ignored"
    );
    let mut encoded = sample_value("eks-tag-resource.json");
    encoded["detail"]["requestParameters"]["resourceArn"] =
        json!("arn%3Aaws%3Aeks%3Aeu-west-1%3A222222222222%3Acluster%2Fprod-eu");
    assert_eq!(classify_value(encoded).trigger.kind(), "cluster_tagged");
    let mut untag_cluster = sample_value("eks-untag-access-entry.json");
    untag_cluster["detail"]["requestParameters"]["resourceArn"] = json!(PROD_EU);
    // Removing a tag can take a cluster out of a rule or out of scope: reconciled like a tag.
    assert_eq!(
        classify_value(untag_cluster).trigger.kind(),
        "cluster_tagged"
    );
}

#[test]
fn malformed_access_entry_records_name_the_field() {
    let mut no_cluster = sample_value("eks-delete-access-entry.json");
    no_cluster["detail"]["requestParameters"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let err = parse_event_value(no_cluster).unwrap_err();
    assert_eq!(err.field_path(), Some("detail.requestParameters.name"));
    let mut bad_entry = sample_value("eks-tag-access-entry.json");
    bad_entry["detail"]["requestParameters"]["resourceArn"] =
        json!("arn:aws:eks:eu-west-1:2222:access-entry/prod-eu/role/x/y");
    let err = parse_event_value(bad_entry).unwrap_err();
    assert_eq!(
        err.field_path(),
        Some("detail.requestParameters.resourceArn")
    );
    // A principal we cannot read costs the attribution, not the reconcile.
    let mut odd = sample_value("eks-delete-access-entry.json");
    odd["detail"]["requestParameters"]["principalArn"] = json!("not-an-arn");
    let (_, change) = match classify_value(odd).trigger {
        Trigger::AccessEntryChanged { cluster, change } => (cluster, change),
        other => panic!("{other:?}"),
    };
    assert_eq!(change.principal, None);
}

/// What a copy of `event` looks like when another Region's bus delivers it: new envelope id,
/// region and time, the same detail.
fn replica(mut event: Value, region: &str, id: &str, time: &str) -> Value {
    event["id"] = json!(id);
    event["region"] = json!(region);
    event["time"] = json!(time);
    event
}

#[test]
fn copies_of_one_change_from_several_regions_share_a_change_id() {
    for file in [
        "native-group-membership-created.json",
        "native-group-updated.json",
        "identitystore-create-group-membership.json",
        "sso-create-account-assignment.json",
        "eks-delete-access-entry.json",
    ] {
        let home = classify_value(sample_value(file));
        let copy = classify_value(replica(
            sample_value(file),
            "us-east-1",
            "0f7e2c1a-1111-4222-8333-944455556666",
            "2026-11-28T10:15:44Z",
        ));
        assert_ne!(
            home.event_id, copy.event_id,
            "{file}: the trigger id stays the event's"
        );
        assert_eq!(home.change_id, copy.change_id, "{file}");
    }
}

#[test]
fn distinct_changes_have_distinct_change_ids() {
    let created = classify_value(sample_value("native-group-membership-created.json"));
    let deleted = classify_value(sample_value("native-group-membership-deleted.json"));
    assert_ne!(created.change_id, deleted.change_id);
    let mut other_member = sample_value("native-group-membership-created.json");
    other_member["detail"]["membershipId"] = json!("another-membership");
    assert_ne!(created.change_id, classify_value(other_member).change_id);
    let mut other_request = sample_value("eks-delete-access-entry.json");
    other_request["detail"]["requestID"] = json!("another-request");
    assert_ne!(
        classify_value(sample_value("eks-delete-access-entry.json")).change_id,
        classify_value(other_request).change_id
    );
    // Key order does not matter in native notifications.
    let mut reordered = sample_value("native-group-membership-created.json");
    let detail = reordered["detail"].as_object().unwrap().clone();
    let mut reversed = serde_json::Map::new();
    for (k, v) in detail.into_iter().rev() {
        reversed.insert(k, v);
    }
    reordered["detail"] = Value::Object(reversed);
    assert_eq!(created.change_id, classify_value(reordered).change_id);
    // Without a request id, CloudTrail's event id identifies the record; the sweep has its id.
    let mut no_request = sample_value("eks-delete-access-entry.json");
    no_request["detail"]
        .as_object_mut()
        .unwrap()
        .remove("requestID");
    assert!(classify_value(no_request).change_id.contains("8dab3f64"));
    let sweep = classify_value(sample_value("scheduled-sweep.json"));
    assert_eq!(sweep.change_id, format!("event:{}", sweep.event_id));
}
