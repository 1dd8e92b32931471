//! Unit tests of the identity store.

use super::*;
use crate::clock::Clock;
use crate::world::WorldSettings;

#[test]
fn groups_members_and_lookups() {
    let mut w = World::new(WorldSettings::default(), Clock::wall());
    let g = dispatch(&mut w, "CreateGroup", &json!({"DisplayName": "devs"})).unwrap();
    let gid = g["GroupId"].as_str().unwrap().to_owned();
    assert_eq!(
        g["GroupArn"],
        json!(format!("arn:aws:identitystore:::group/{gid}"))
    );
    assert_eq!(
        dispatch(&mut w, "CreateGroup", &json!({"DisplayName": "devs"}))
            .unwrap_err()
            .code,
        "ConflictException"
    );
    let u = dispatch(
        &mut w,
        "CreateUser",
        &json!({"UserName": "ana", "DisplayName": "Ana"}),
    )
    .unwrap();
    let uid = u["UserId"].as_str().unwrap().to_owned();
    let by_name = json!({"Filters": [{"AttributePath": "UserName", "AttributeValue": "ana"}]});
    let users = dispatch(&mut w, "ListUsers", &by_name).unwrap();
    assert_eq!(
        (
            users["Users"][0]["UserId"].as_str(),
            users["Users"][0]["DisplayName"].as_str()
        ),
        (Some(uid.as_str()), Some("Ana"))
    );
    let m = json!({"GroupId": gid, "MemberId": {"UserId": uid}});
    let mid = dispatch(&mut w, "CreateGroupMembership", &m).unwrap()["MembershipId"].clone();
    assert_eq!(
        dispatch(&mut w, "GetGroupMembershipId", &m).unwrap()["MembershipId"],
        mid
    );
    let by_name = json!({"AlternateIdentifier": {"UniqueAttribute": {"AttributePath": "displayName", "AttributeValue": "devs"}}});
    assert_eq!(
        dispatch(&mut w, "GetGroupId", &by_name).unwrap()["GroupId"],
        json!(gid)
    );
    let filtered = json!({"Filters": [{"AttributePath": "DisplayName", "AttributeValue": "nope"}]});
    assert_eq!(
        dispatch(&mut w, "ListGroups", &filtered).unwrap()["Groups"],
        json!([])
    );
    dispatch(&mut w, "DeleteGroup", &json!({"GroupId": gid})).unwrap();
    let listed = dispatch(
        &mut w,
        "ListGroupMembershipsForMember",
        &json!({"MemberId": {"UserId": uid}}),
    )
    .unwrap();
    assert_eq!(
        listed["GroupMemberships"],
        json!([]),
        "deleting a group drops its memberships"
    );
    assert_eq!(
        dispatch(&mut w, "DescribeGroup", &json!({"GroupId": gid}))
            .unwrap_err()
            .code,
        "ResourceNotFoundException"
    );
}

#[test]
fn get_user_id_by_user_name() {
    let mut w = World::new(WorldSettings::default(), Clock::wall());
    let u = dispatch(&mut w, "CreateUser", &json!({"UserName": "ana"})).unwrap();
    let by_name = |name: &str| json!({"AlternateIdentifier": {"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": name}}});
    assert_eq!(
        dispatch(&mut w, "GetUserId", &by_name("ana")).unwrap()["UserId"],
        u["UserId"]
    );
    assert_eq!(
        dispatch(&mut w, "GetUserId", &by_name("bo"))
            .unwrap_err()
            .code,
        "ResourceNotFoundException"
    );
    let by_email = json!({"AlternateIdentifier": {"UniqueAttribute": {"AttributePath": "emails.value", "AttributeValue": "a@x"}}});
    assert_eq!(
        dispatch(&mut w, "GetUserId", &by_email).unwrap_err().code,
        "ValidationException"
    );
}
