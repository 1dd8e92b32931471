//! Tests of AWS behaviours the emulator models for fidelity (issue 9 §4): case-insensitive IAM
//! role names, Identity Store's reserved names, a permission set's `SessionDuration`, the
//! one-step authentication-mode ladder and the colon before `{{SessionName}}`.

use serde_json::{Value, json};

use crate::clock::Clock;
use crate::protocol::aws_query::Params;
use crate::services::{ApiError, eks, iam, identitystore, ssoadmin};
use crate::world::{Caller, World, WorldSettings};

const ACCOUNT: &str = "111111111111";

fn world() -> World {
    World::new(
        WorldSettings::default(),
        Clock::fixed(time::macros::datetime!(2024-05-01 0:00 UTC)),
    )
}

fn caller() -> Caller {
    Caller::account(ACCOUNT, "eu-west-1")
}

fn failure<T: std::fmt::Debug>(result: Result<T, ApiError>) -> (String, String) {
    let err = result.unwrap_err();
    (err.code, err.message)
}

#[test]
fn role_names_are_unique_regardless_of_case_and_keep_their_case() {
    let mut w = world();
    let params = |name: &str| -> Params {
        [("RoleName", name), ("AssumeRolePolicyDocument", "{}")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into()
    };
    iam::dispatch(&mut w, &caller(), "CreateRole", &params("Dev")).unwrap();
    let (code, message) = failure(iam::dispatch(
        &mut w,
        &caller(),
        "CreateRole",
        &params("dev"),
    ));
    assert_eq!(code, "EntityAlreadyExists", "{message}");
    let role = iam::find_role(&w, ACCOUNT, "Dev").unwrap();
    assert_eq!(role.arn, "arn:aws:iam::111111111111:role/Dev");
}

#[test]
fn identity_store_reserves_administrator_and_aws_administrators() {
    let mut w = world();
    let store = w.directory.identity_store_id.clone();
    for name in identitystore::RESERVED_NAMES {
        let group = json!({"IdentityStoreId": store, "DisplayName": name});
        let (code, message) = failure(identitystore::dispatch(&mut w, "CreateGroup", &group));
        assert_eq!(code, "ValidationException", "{message}");
        let user = json!({"IdentityStoreId": store, "UserName": name, "DisplayName": "x",
            "Name": {"GivenName": "a", "FamilyName": "b"}});
        assert_eq!(
            code_of(identitystore::dispatch(&mut w, "CreateUser", &user)),
            "ValidationException"
        );
    }
    let ok = json!({"IdentityStoreId": store, "DisplayName": "Administrators"});
    identitystore::dispatch(&mut w, "CreateGroup", &ok).unwrap();
}

fn code_of(result: Result<Value, ApiError>) -> String {
    result.map(|_| String::new()).unwrap_or_else(|e| e.code)
}

#[test]
fn a_permission_set_keeps_its_session_duration() {
    let mut w = world();
    let instance = w.sso.instance_arn.clone();
    let create = json!({"InstanceArn": instance, "Name": "Dev", "SessionDuration": "PT8H"});
    let out = ssoadmin::dispatch(&mut w, "CreatePermissionSet", &create).unwrap();
    assert_eq!(out["PermissionSet"]["SessionDuration"], "PT8H");
    let arn = out["PermissionSet"]["PermissionSetArn"].clone();
    let described = ssoadmin::dispatch(
        &mut w,
        "DescribePermissionSet",
        &json!({"InstanceArn": instance, "PermissionSetArn": arn}),
    )
    .unwrap();
    assert_eq!(described["PermissionSet"]["SessionDuration"], "PT8H");
    let plain = json!({"InstanceArn": instance, "Name": "Plain"});
    let out = ssoadmin::dispatch(&mut w, "CreatePermissionSet", &plain).unwrap();
    assert_eq!(out["PermissionSet"]["SessionDuration"], "PT1H");
    for bad in ["PT13H", "PT30M", "1H"] {
        let input = json!({"InstanceArn": instance, "Name": "Bad", "SessionDuration": bad});
        assert_eq!(
            code_of(ssoadmin::dispatch(&mut w, "CreatePermissionSet", &input)),
            "ValidationException"
        );
    }
}

fn settled_cluster(w: &mut World, mode: &str) {
    let create =
        json!({"name": "prod", "roleArn": "r", "accessConfig": {"authenticationMode": mode}});
    eks::dispatch(w, &caller(), "CreateCluster", &create).unwrap();
    w.clock.advance(600.0);
    w.tick();
}

fn update_mode(w: &mut World, mode: &str) -> Result<Value, ApiError> {
    let input = json!({"name": "prod", "accessConfig": {"authenticationMode": mode}});
    eks::dispatch(w, &caller(), "UpdateClusterConfig", &input)
}

#[test]
fn the_authentication_mode_moves_one_step_at_a_time() {
    let mut w = world();
    settled_cluster(&mut w, "CONFIG_MAP");
    let (code, message) = failure(update_mode(&mut w, "API"));
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "Unsupported authentication mode update from CONFIG_MAP to API"
    );
    update_mode(&mut w, "API_AND_CONFIG_MAP").unwrap();
    w.clock.advance(60.0);
    w.tick();
    let (_, same) = failure(update_mode(&mut w, "API_AND_CONFIG_MAP"));
    assert_eq!(
        same,
        "Unsupported authentication mode update from API_AND_CONFIG_MAP to API_AND_CONFIG_MAP"
    );
    update_mode(&mut w, "API").unwrap();
}

#[test]
fn a_session_name_template_needs_a_colon_before_it() {
    let mut w = world();
    let now = w.now() - time::Duration::days(1);
    iam::insert_role(&mut w, ACCOUNT, "dev", "/", "{}", now).unwrap();
    settled_cluster(&mut w, "API_AND_CONFIG_MAP");
    let entry = |username: &str| json!({"name": "prod", "principalArn": "arn:aws:iam::111111111111:role/dev", "username": username});
    let (code, message) = failure(eks::dispatch(
        &mut w,
        &caller(),
        "CreateAccessEntry",
        &entry("alice{{SessionName}}"),
    ));
    assert_eq!(code, "InvalidParameterException");
    assert!(
        message.contains("{{SessionName}} must be preceded by a colon"),
        "{message}"
    );
    eks::dispatch(
        &mut w,
        &caller(),
        "CreateAccessEntry",
        &entry("alice:{{SessionName}}"),
    )
    .unwrap();
    let update = |u: &str| entry(u);
    assert_eq!(
        code_of(eks::dispatch(
            &mut w,
            &caller(),
            "UpdateAccessEntry",
            &update("{{SessionName}}")
        )),
        "InvalidParameterException"
    );
    eks::dispatch(
        &mut w,
        &caller(),
        "UpdateAccessEntry",
        &update("sso:{{AccountID}}:{{SessionName}}"),
    )
    .unwrap();
}
