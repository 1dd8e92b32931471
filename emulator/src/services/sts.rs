//! STS: GetCallerIdentity and AssumeRole, whose keys the emulator maps to the target account and
//! role so that later calls made with them land in that account.

use super::ApiError;
use crate::clock::iso8601;
use crate::protocol::aws_query::{Params, Xml, unknown_action};
use crate::world::{Caller, Session, SessionSecret, World};

/// Handles one STS action.
pub fn dispatch(
    world: &mut World,
    caller: &Caller,
    action: &str,
    params: &Params,
) -> Result<Vec<Xml>, ApiError> {
    match action {
        "GetCallerIdentity" => Ok(caller_identity(world, caller)),
        "AssumeRole" => assume_role(world, caller, params),
        _ => Err(unknown_action(action)),
    }
}

/// The ARN a caller is known by: the assumed-role session ARN, or the account root.
pub fn caller_arn(caller: &Caller) -> String {
    match &caller.session {
        Some(s) => format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            s.account, s.role_name, s.session_name
        ),
        None => format!("arn:aws:iam::{}:root", caller.account),
    }
}

fn caller_identity(world: &World, caller: &Caller) -> Vec<Xml> {
    let user_id = match (&caller.session, world.caller_role(caller)) {
        (Some(s), Some(role)) => format!("{}:{}", role.role_id, s.session_name),
        _ => caller.account.clone(),
    };
    vec![
        Xml::leaf("Arn", caller_arn(caller)),
        Xml::leaf("UserId", user_id),
        Xml::leaf("Account", &caller.account),
    ]
}

/// `(account, role name)` of a role ARN, path allowed.
fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("role/")?;
    let name = path_and_name.rsplit('/').next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty())
        .then_some((account, name))
}

fn assume_role(world: &mut World, caller: &Caller, params: &Params) -> Result<Vec<Xml>, ApiError> {
    let arn = params
        .get("RoleArn")
        .map(String::as_str)
        .unwrap_or_default();
    let session_name = params.get("RoleSessionName").cloned().unwrap_or_default();
    let denied = || {
        ApiError::new(
            403,
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {arn}",
                caller_arn(caller)
            ),
        )
    };
    let (account, name) = parse_role_arn(arn).ok_or_else(denied)?;
    let role = world
        .accounts
        .get(account)
        .and_then(|a| a.roles.get(name))
        .filter(|r| r.arn == arn)
        .cloned()
        .ok_or_else(denied)?;
    let seconds: i64 = params
        .get("DurationSeconds")
        .and_then(|d| d.parse().ok())
        .unwrap_or(3600);
    let access_key = format!("ASIA{}", world.ids.upper_alnum(16));
    let session = Session {
        account: account.to_owned(),
        role_name: role.name.clone(),
        session_name,
    };
    world.sessions.insert(access_key.clone(), session.clone());
    let expiration = iso8601(world.now() + time::Duration::seconds(seconds));
    Ok(vec![
        credentials(world, access_key, expiration),
        Xml::node(
            "AssumedRoleUser",
            vec![
                Xml::leaf(
                    "AssumedRoleId",
                    format!("{}:{}", role.role_id, session.session_name),
                ),
                Xml::leaf(
                    "Arn",
                    caller_arn(&Caller::account(account, "").with_session(session)),
                ),
            ],
        ),
        Xml::leaf("PackedPolicySize", "0"),
    ])
}

/// The `<Credentials>` of a new session. Secret and token are random; API calls never check
/// them (as everywhere in the emulator), but they are kept so an EKS token's signature can be.
fn credentials(world: &mut World, access_key: String, expiration: String) -> Xml {
    let secret = SessionSecret {
        secret_access_key: world.ids.hex(40),
        session_token: format!("FwoGZXIvYXdzE{}", world.ids.hex(64)),
    };
    world
        .session_secrets
        .insert(access_key.clone(), secret.clone());
    Xml::node(
        "Credentials",
        vec![
            Xml::leaf("AccessKeyId", access_key),
            Xml::leaf("SecretAccessKey", secret.secret_access_key),
            Xml::leaf("SessionToken", secret.session_token),
            Xml::leaf("Expiration", expiration),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::world::WorldSettings;

    #[test]
    fn assumed_key_lands_in_the_target_account_and_missing_roles_are_denied() {
        let mut w = World::new(WorldSettings::default(), Clock::wall());
        w.ensure_account("222222222222", "member");
        let caller = Caller::account("111111111111", "eu-west-1");
        let params: Params = [
            ("RoleArn", "arn:aws:iam::222222222222:role/admin"),
            ("RoleSessionName", "s"),
        ]
        .map(|(k, v)| (k.into(), v.into()))
        .into();
        let out = dispatch(&mut w, &caller, "AssumeRole", &params).unwrap();
        let Xml::Node(_, creds) = &out[0] else {
            panic!("no credentials")
        };
        let Xml::Leaf(_, key) = &creds[0] else {
            panic!("no key")
        };
        let assumed = w.resolve_caller(key, "eu-west-1");
        assert_eq!(assumed.account, "222222222222");
        assert_eq!(
            caller_arn(&assumed),
            "arn:aws:sts::222222222222:assumed-role/admin/s"
        );

        let mut bad = params.clone();
        bad.insert(
            "RoleArn".into(),
            "arn:aws:iam::222222222222:role/missing".into(),
        );
        assert_eq!(
            dispatch(&mut w, &caller, "AssumeRole", &bad)
                .unwrap_err()
                .code,
            "AccessDenied"
        );
    }
}
