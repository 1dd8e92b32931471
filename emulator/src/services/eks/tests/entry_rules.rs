//! Unit tests of the access-entry and access-policy rules.

use serde_json::{Value, json};

use super::{ACCOUNT, DEV_ROLE, VIEW, call, code, create_entry, world};
use crate::services::iam;

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
