//! Unit tests of the EKS rules, on pure state.

use serde_json::{Value, json};

use super::dispatch;
use super::entries::entry_views;
use crate::clock::Clock;
use crate::services::{ApiError, iam};
use crate::world::{Caller, Session, World, WorldSettings};

const ACCOUNT: &str = "111111111111";
const DEV_ROLE: &str = "arn:aws:iam::111111111111:role/team/dev";
const VIEW: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

fn caller() -> Caller {
    Caller::account(ACCOUNT, "eu-west-1")
}

/// A world with an `API_AND_CONFIG_MAP` cluster `prod` (settled) and a role `/team/dev`.
fn world() -> World {
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

fn call(w: &mut World, op: &str, input: Value) -> Result<Value, ApiError> {
    dispatch(w, &caller(), op, &input)
}

fn code(result: Result<Value, ApiError>) -> (u16, String) {
    let err = result.unwrap_err();
    (err.status, err.code)
}

fn create_entry(w: &mut World, extra: Value) -> Result<Value, ApiError> {
    let mut input = json!({"name": "prod", "principalArn": DEV_ROLE});
    input
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    call(w, "CreateAccessEntry", input)
}

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
fn principals_must_be_full_path_arns_of_existing_roles() {
    let mut w = world();
    for bad in [
        "arn:aws:iam::111111111111:role/dev",
        "arn:aws:iam::111111111111:role/team/nobody",
        "arn:aws:sts::111111111111:assumed-role/dev/s",
    ] {
        let err = call(
            &mut w,
            "CreateAccessEntry",
            json!({"name": "prod", "principalArn": bad}),
        )
        .unwrap_err();
        assert_eq!(
            (err.status, err.code.as_str()),
            (400, "InvalidParameterException"),
            "{bad}"
        );
        assert!(err.message.contains("invalid principal"), "{}", err.message);
    }
    let entry =
        create_entry(&mut w, json!({"tags": {"managed-by": "x"}})).unwrap()["accessEntry"].clone();
    assert_eq!(
        entry["username"],
        "arn:aws:sts::111111111111:assumed-role/dev/{{SessionName}}"
    );
    assert_eq!(entry["type"], "STANDARD");
    assert_eq!(entry["kubernetesGroups"], json!([]));
    let arn = entry["accessEntryArn"].as_str().unwrap();
    assert!(
        arn.starts_with(
            "arn:aws:eks:eu-west-1:111111111111:access-entry/prod/role/111111111111/dev/"
        ),
        "{arn}"
    );
    assert_eq!(
        code(create_entry(&mut w, json!({}))),
        (409, "ResourceInUseException".into())
    );
    let described = call(
        &mut w,
        "DescribeAccessEntry",
        json!({"name": "prod", "principalArn": DEV_ROLE}),
    )
    .unwrap();
    assert_eq!(described["accessEntry"]["tags"], json!({"managed-by": "x"}));
}

#[test]
fn reserved_groups_and_usernames_are_rejected() {
    let mut w = world();
    assert_eq!(
        code(create_entry(
            &mut w,
            json!({"kubernetesGroups": ["system:masters"]})
        ))
        .1,
        "InvalidParameterException"
    );
    for name in ["system:x", "eks:x", "aws:x", "amazon:x", "iam:x"] {
        assert_eq!(
            code(create_entry(&mut w, json!({"username": name}))).1,
            "InvalidParameterException",
            "{name}"
        );
    }
    create_entry(
        &mut w,
        json!({"kubernetesGroups": ["a", "b"], "username": "dev"}),
    )
    .unwrap();
    let update = json!({"name": "prod", "principalArn": DEV_ROLE, "kubernetesGroups": ["c"]});
    let updated = call(&mut w, "UpdateAccessEntry", update).unwrap()["accessEntry"].clone();
    assert_eq!(
        (
            updated["kubernetesGroups"].clone(),
            updated["username"].clone()
        ),
        (json!(["c"]), json!("dev"))
    );
    let bad =
        json!({"name": "prod", "principalArn": DEV_ROLE, "kubernetesGroups": ["system:nodes"]});
    assert_eq!(
        code(call(&mut w, "UpdateAccessEntry", bad)).1,
        "InvalidParameterException"
    );
}

#[test]
fn policies_only_on_standard_entries_reassociate_replaces_scope_and_delete_drops_them() {
    let mut w = world();
    let now = w.now();
    iam::insert_role(&mut w, ACCOUNT, "node", "/", "{}", now).unwrap();
    let node = "arn:aws:iam::111111111111:role/node";
    let node_entry = json!({"name": "prod", "principalArn": node, "type": "EC2_LINUX"});
    assert_eq!(
        call(&mut w, "CreateAccessEntry", node_entry).unwrap()["accessEntry"]["username"],
        "system:node:{{EC2PrivateDNSName}}"
    );
    let associate = |principal: &str, scope: Value| json!({"name": "prod", "principalArn": principal, "policyArn": VIEW, "accessScope": scope});
    assert_eq!(
        code(call(
            &mut w,
            "AssociateAccessPolicy",
            associate(node, json!({"type": "cluster"}))
        ))
        .1,
        "InvalidParameterException"
    );
    create_entry(&mut w, json!({})).unwrap();
    let first = call(
        &mut w,
        "AssociateAccessPolicy",
        associate(DEV_ROLE, json!({"type": "cluster"})),
    )
    .unwrap();
    w.clock.advance(5.0);
    let scope = json!({"type": "namespace", "namespaces": ["payments", "payments-*"]});
    let second = call(
        &mut w,
        "AssociateAccessPolicy",
        associate(DEV_ROLE, scope.clone()),
    )
    .unwrap();
    assert_eq!(second["associatedAccessPolicy"]["accessScope"], scope);
    assert_eq!(
        second["associatedAccessPolicy"]["associatedAt"],
        first["associatedAccessPolicy"]["associatedAt"]
    );
    assert_ne!(
        second["associatedAccessPolicy"]["modifiedAt"],
        first["associatedAccessPolicy"]["modifiedAt"]
    );
    let listed = call(
        &mut w,
        "ListAssociatedAccessPolicies",
        json!({"name": "prod", "principalArn": DEV_ROLE}),
    )
    .unwrap();
    assert_eq!(
        listed["associatedAccessPolicies"].as_array().unwrap().len(),
        1
    );
    for bad in [
        json!({"type": "namespace", "namespaces": ["*-x"]}),
        json!({"type": "namespace"}),
        json!({"type": "cluster", "namespaces": ["a"]}),
    ] {
        assert_eq!(
            code(call(
                &mut w,
                "AssociateAccessPolicy",
                associate(DEV_ROLE, bad)
            ))
            .1,
            "InvalidParameterException"
        );
    }
    let filtered = call(
        &mut w,
        "ListAccessEntries",
        json!({"name": "prod", "associatedPolicyArn": VIEW}),
    )
    .unwrap();
    assert_eq!(filtered["accessEntries"], json!([DEV_ROLE]));
    call(
        &mut w,
        "DeleteAccessEntry",
        json!({"name": "prod", "principalArn": DEV_ROLE}),
    )
    .unwrap();
    create_entry(&mut w, json!({})).unwrap();
    let listed = call(
        &mut w,
        "ListAssociatedAccessPolicies",
        json!({"name": "prod", "principalArn": DEV_ROLE}),
    )
    .unwrap();
    assert_eq!(
        listed["associatedAccessPolicies"],
        json!([]),
        "deleting an entry removes its associations"
    );
    let gone = json!({"name": "prod", "principalArn": DEV_ROLE, "policyArn": VIEW});
    assert_eq!(
        code(call(&mut w, "DisassociateAccessPolicy", gone)),
        (404, "ResourceNotFoundException".into())
    );
}

#[test]
fn list_access_entries_paginates() {
    let mut w = world();
    let now = w.now();
    for i in 0..5 {
        iam::insert_role(&mut w, ACCOUNT, &format!("r{i}"), "/", "{}", now).unwrap();
        call(
            &mut w,
            "CreateAccessEntry",
            json!({"name": "prod", "principalArn": format!("arn:aws:iam::111111111111:role/r{i}")}),
        )
        .unwrap();
    }
    let (mut seen, mut token) = (vec![], None::<String>);
    loop {
        let mut input = json!({"name": "prod", "maxResults": "2"});
        if let Some(t) = &token {
            input["nextToken"] = json!(t);
        }
        let page = call(&mut w, "ListAccessEntries", input).unwrap();
        seen.extend(page["accessEntries"].as_array().unwrap().iter().cloned());
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6, "five roles and the creator's entry");
    assert_eq!(
        code(call(
            &mut w,
            "ListAccessEntries",
            json!({"name": "prod", "maxResults": "101"})
        ))
        .1,
        "InvalidParameterException"
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
fn consistency_window_makes_new_roles_invalid_and_new_entries_404_on_associate() {
    let mut w = world();
    w.consistency_window_seconds = 30;
    let now = w.now();
    iam::insert_role(&mut w, ACCOUNT, "fresh", "/", "{}", now).unwrap();
    let fresh = json!({"name": "prod", "principalArn": "arn:aws:iam::111111111111:role/fresh"});
    assert_eq!(
        code(call(&mut w, "CreateAccessEntry", fresh.clone())).1,
        "InvalidParameterException"
    );
    w.clock.advance(31.0);
    call(&mut w, "CreateAccessEntry", fresh.clone()).unwrap();
    let mut associate = fresh.clone();
    associate["policyArn"] = json!(VIEW);
    associate["accessScope"] = json!({"type": "cluster"});
    assert_eq!(
        code(call(&mut w, "AssociateAccessPolicy", associate.clone())),
        (404, "ResourceNotFoundException".into())
    );
    w.clock.advance(31.0);
    call(&mut w, "AssociateAccessPolicy", associate).unwrap();
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
