//! Unit tests of SSO Admin: assignments and their SSO roles.
use super::*;
use crate::clock::Clock;
use crate::world::WorldSettings;

fn world(home: &str) -> (World, Assignment) {
    let settings = WorldSettings {
        home_region: home.to_owned(),
        ..WorldSettings::default()
    };
    let mut w = World::new(settings, Clock::wall());
    w.ensure_account("222222222222", "member");
    let set = create_permission_set(&mut w, "Dev", None).unwrap();
    let group = crate::services::identitystore::create_group(&mut w, "devs", None).unwrap();
    let a = Assignment {
        account: "222222222222".into(),
        permission_set_arn: set.arn,
        principal_type: "GROUP".into(),
        principal_id: group,
    };
    (w, a)
}

fn sso_roles(w: &World) -> Vec<crate::world::Role> {
    w.accounts["222222222222"]
        .roles
        .values()
        .filter(|r| r.name.starts_with("AWSReservedSSO_"))
        .cloned()
        .collect()
}

#[test]
fn first_assignment_creates_the_regional_role_and_last_removal_deletes_it() {
    let (mut w, a) = world("eu-west-1");
    let now = w.now();
    assign(&mut w, &a, now).unwrap();
    let roles = sso_roles(&w);
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].path, "/aws-reserved/sso.amazonaws.com/eu-west-1/");
    let suffix = roles[0].name.strip_prefix("AWSReservedSSO_Dev_").unwrap();
    assert!(
        suffix.len() == 16
            && suffix
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    let user =
        crate::services::identitystore::create_user(&mut w, &json!({"UserName": "u"})).unwrap();
    let second = Assignment {
        principal_type: "USER".into(),
        principal_id: user,
        ..a.clone()
    };
    assign(&mut w, &second, now).unwrap();
    assert_eq!(sso_roles(&w), roles, "a second assignment reuses the role");
    let caller = crate::world::Caller::account("222222222222", "us-east-1");
    let params = [("RoleName".to_owned(), roles[0].name.clone())].into();
    let refused =
        crate::services::iam::dispatch(&mut w, &caller, "DeleteRole", &params).unwrap_err();
    assert_eq!(
        refused.code, "UnmodifiableEntity",
        "IAM refuses to delete SSO roles"
    );
    unassign(&mut w, &a).unwrap();
    assert_eq!(sso_roles(&w).len(), 1);
    unassign(&mut w, &second).unwrap();
    assert!(sso_roles(&w).is_empty());
    assign(&mut w, &a, now).unwrap();
    assert_ne!(
        sso_roles(&w)[0].name,
        roles[0].name,
        "a new assignment makes a new role"
    );
}

#[test]
fn us_east_1_roles_have_no_region_segment() {
    let (mut w, a) = world("us-east-1");
    let now = w.now();
    assign(&mut w, &a, now).unwrap();
    assert_eq!(sso_roles(&w)[0].path, "/aws-reserved/sso.amazonaws.com/");
}
