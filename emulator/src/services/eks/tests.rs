//! Unit tests of the EKS rules, on pure state.

use serde_json::{Value, json};

use super::dispatch;
use super::entries::entry_views;
use crate::clock::Clock;
use crate::services::{ApiError, iam};
use crate::world::{Caller, Session, World, WorldSettings};

pub(super) const ACCOUNT: &str = "111111111111";
pub(super) const DEV_ROLE: &str = "arn:aws:iam::111111111111:role/team/dev";
pub(super) const VIEW: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

pub(super) fn caller() -> Caller {
    Caller::account(ACCOUNT, "eu-west-1")
}

/// A world with an `API_AND_CONFIG_MAP` cluster `prod` (settled) and a role `/team/dev`.
pub(super) fn world() -> World {
    let mut w = World::new(
        WorldSettings::default(),
        Clock::fixed(time::macros::datetime!(2024-05-01 0:00 UTC)),
    );
    let now = w.now();
    iam::insert_role(&mut w, ACCOUNT, "dev", "/team/", "{}", now).unwrap();
    let create = json!({"name": "prod", "roleArn": "r", "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"}});
    call(&mut w, "CreateCluster", create).unwrap();
    w.clock.advance(600.0);
    w.tick();
    w
}

pub(super) fn call(w: &mut World, op: &str, input: Value) -> Result<Value, ApiError> {
    dispatch(w, &caller(), op, &input)
}

pub(super) fn code(result: Result<Value, ApiError>) -> (u16, String) {
    let err = result.unwrap_err();
    (err.status, err.code)
}

pub(super) fn create_entry(w: &mut World, extra: Value) -> Result<Value, ApiError> {
    let mut input = json!({"name": "prod", "principalArn": DEV_ROLE});
    input
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    call(w, "CreateAccessEntry", input)
}

mod entry_rules;

#[test]
fn config_map_clusters_refuse_every_entry_call_until_moved_one_way() {
    let mut w = world();
    call(
        &mut w,
        "CreateCluster",
        json!({"name": "legacy", "roleArn": "r"}),
    )
    .unwrap();
    assert_eq!(
        call(&mut w, "DescribeCluster", json!({"name": "legacy"})).unwrap()["cluster"]["status"],
        "CREATING"
    );
    w.clock.advance(600.0);
    w.tick();
    let cluster =
        call(&mut w, "DescribeCluster", json!({"name": "legacy"})).unwrap()["cluster"].clone();
    assert_eq!(
        (
            cluster["status"].as_str(),
            cluster["accessConfig"]["authenticationMode"].as_str()
        ),
        (Some("ACTIVE"), Some("CONFIG_MAP"))
    );
    let on_legacy = json!({"name": "legacy", "principalArn": DEV_ROLE});
    for op in [
        "CreateAccessEntry",
        "DescribeAccessEntry",
        "ListAccessEntries",
        "ListAssociatedAccessPolicies",
        "DeleteAccessEntry",
    ] {
        assert_eq!(
            code(call(&mut w, op, on_legacy.clone())),
            (400, "InvalidRequestException".into()),
            "{op}"
        );
    }
    let to = |mode: &str| json!({"name": "legacy", "accessConfig": {"authenticationMode": mode}});
    let update =
        call(&mut w, "UpdateClusterConfig", to("API_AND_CONFIG_MAP")).unwrap()["update"].clone();
    assert_eq!(update["type"], "AccessConfigUpdate");
    assert_eq!(
        update["params"],
        json!([{"type": "AuthenticationMode", "value": "API_AND_CONFIG_MAP"}])
    );
    assert_eq!(
        call(&mut w, "DescribeCluster", json!({"name": "legacy"})).unwrap()["cluster"]["status"],
        "UPDATING"
    );
    assert_eq!(
        code(call(&mut w, "UpdateClusterConfig", to("API"))),
        (409, "ResourceInUseException".into())
    );
    w.clock.advance(60.0);
    w.tick();
    let described = call(
        &mut w,
        "DescribeUpdate",
        json!({"name": "legacy", "updateId": update["id"]}),
    )
    .unwrap();
    assert_eq!(described["update"]["status"], "Successful");
    assert_eq!(
        code(call(&mut w, "UpdateClusterConfig", to("CONFIG_MAP"))),
        (400, "InvalidParameterException".into())
    );
    // The creator's bootstrap entry (the account's admin role, cluster admin) now shows.
    let listed = call(&mut w, "ListAccessEntries", json!({"name": "legacy"})).unwrap();
    assert_eq!(
        listed["accessEntries"],
        json!(["arn:aws:iam::111111111111:role/admin"])
    );
    let policies = call(
        &mut w,
        "ListAssociatedAccessPolicies",
        json!({"name": "legacy", "principalArn": "arn:aws:iam::111111111111:role/admin"}),
    )
    .unwrap();
    assert_eq!(
        policies["associatedAccessPolicies"][0]["accessScope"],
        json!({"type": "cluster"})
    );
}

#[test]
fn an_entry_of_a_recreated_role_is_dead() {
    let mut w = world();
    create_entry(&mut w, json!({})).unwrap();
    let view = |w: &World| {
        let cluster = w.eks.clusters.values().next().unwrap();
        entry_views(w, cluster)
            .into_iter()
            .find(|e| e.principal_arn == DEV_ROLE)
            .unwrap()
    };
    let before = view(&w);
    assert!(before.live);
    iam::delete_role(&mut w, ACCOUNT, "dev").unwrap();
    assert!(!view(&w).live, "a deleted role leaves the entry dead");
    let now = w.now();
    let again = iam::insert_role(&mut w, ACCOUNT, "dev", "/team/", "{}", now).unwrap();
    let after = view(&w);
    assert_eq!(
        (after.live, after.bound_role_id.clone()),
        (false, before.bound_role_id)
    );
    assert_ne!(Some(again.role_id), after.bound_role_id);
}

#[test]
fn quota_of_3000_entries() {
    let mut w = world();
    let cluster = w.eks.clusters.values_mut().next().unwrap();
    let template = cluster.entries.values().next().unwrap().clone();
    for i in cluster.entries.len()..super::MAX_ENTRIES_PER_CLUSTER {
        cluster.entries.insert(
            format!("arn:aws:iam::111111111111:user/u{i}"),
            template.clone(),
        );
    }
    assert_eq!(
        code(create_entry(&mut w, json!({}))),
        (400, "ResourceLimitExceededException".into())
    );
}

#[test]
fn assumed_role_creator_gets_the_bootstrap_entry_with_its_path() {
    let mut w = world();
    let assumed = Caller {
        session: Some(Session {
            account: ACCOUNT.into(),
            role_name: "dev".into(),
            session_name: "s".into(),
        }),
        ..caller()
    };
    let create =
        json!({"name": "new", "roleArn": "r", "accessConfig": {"authenticationMode": "API"}});
    dispatch(&mut w, &assumed, "CreateCluster", &create).unwrap();
    w.clock.advance(600.0);
    w.tick();
    let listed = call(&mut w, "ListAccessEntries", json!({"name": "new"})).unwrap();
    assert_eq!(listed["accessEntries"], json!([DEV_ROLE]));
    let no_bootstrap = json!({"name": "bare", "roleArn": "r",
        "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": false}});
    call(&mut w, "CreateCluster", no_bootstrap).unwrap();
    assert!(
        w.eks
            .clusters
            .values()
            .find(|c| c.key.name == "bare")
            .unwrap()
            .entries
            .is_empty()
    );
    assert_eq!(
        code(call(
            &mut w,
            "CreateCluster",
            json!({"name": "bare", "roleArn": "r"})
        )),
        (409, "ResourceInUseException".into())
    );
}

#[test]
fn tags_on_clusters_and_entries() {
    let mut w = world();
    let entry_arn =
        create_entry(&mut w, json!({})).unwrap()["accessEntry"]["accessEntryArn"].clone();
    call(
        &mut w,
        "TagResource",
        json!({"resourceArn": entry_arn, "tags": {"a": "1", "b": "2"}}),
    )
    .unwrap();
    call(
        &mut w,
        "UntagResource",
        json!({"resourceArn": entry_arn, "tagKeys": ["a"]}),
    )
    .unwrap();
    assert_eq!(
        call(
            &mut w,
            "ListTagsForResource",
            json!({"resourceArn": entry_arn})
        )
        .unwrap()["tags"],
        json!({"b": "2"})
    );
    let described = call(
        &mut w,
        "DescribeAccessEntry",
        json!({"name": "prod", "principalArn": DEV_ROLE}),
    )
    .unwrap();
    assert_eq!(described["accessEntry"]["tags"], json!({"b": "2"}));
    assert_eq!(
        code(call(
            &mut w,
            "TagResource",
            json!({"resourceArn": "arn:nope", "tags": {}})
        )),
        (404, "NotFoundException".into())
    );
    assert_eq!(
        code(call(
            &mut w,
            "TagResource",
            json!({"resourceArn": entry_arn, "tags": {"aws:x": "1"}})
        ))
        .1,
        "BadRequestException"
    );
}
