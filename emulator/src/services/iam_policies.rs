//! IAM identity policies of roles: inline (`PutRolePolicy`, `GetRolePolicy`, `DeleteRolePolicy`,
//! `ListRolePolicies`) and managed (`CreatePolicy`, `GetPolicy`, `AttachRolePolicy`,
//! `DetachRolePolicy`, `ListAttachedRolePolicies`). A role with any policy is enforced: its
//! sessions' calls are evaluated by [`crate::authz::enforce`].

use std::collections::{BTreeMap, BTreeSet};

use super::ApiError;
use crate::policy::PolicyDocument;
use crate::protocol::aws_query::{Params, Xml, unknown_action};
use crate::world::{Caller, World};

/// A stored policy document: the text as given and its parsed form.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPolicy {
    /// The JSON text.
    pub text: String,
    /// The parsed document.
    pub document: PolicyDocument,
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedPolicy {
    /// Name.
    pub name: String,
    /// `arn:aws:iam::ACCT:policy/PATH/NAME`.
    pub arn: String,
    /// `ANPA…` id.
    pub policy_id: String,
    /// The default version's document.
    pub policy: StoredPolicy,
}

/// Every role's identity policies, keyed by `(account, role name)`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IamPolicies {
    /// Customer managed policies by ARN.
    pub managed: BTreeMap<String, ManagedPolicy>,
    /// Inline policies by role, then policy name.
    pub inline: BTreeMap<(String, String), BTreeMap<String, StoredPolicy>>,
    /// Attached managed policy ARNs by role.
    pub attached: BTreeMap<(String, String), BTreeSet<String>>,
}

impl IamPolicies {
    /// Every document in force for a role (inline, then attached); empty means not enforced.
    pub fn documents(&self, account: &str, role: &str) -> Vec<&PolicyDocument> {
        let key = (account.to_owned(), role.to_owned());
        let inline = self.inline.get(&key).into_iter().flat_map(|m| m.values());
        let attached = self
            .attached
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|arn| self.managed.get(arn))
            .map(|m| &m.policy);
        inline.chain(attached).map(|p| &p.document).collect()
    }

    /// Forgets a deleted role's policies (a role recreated under its name starts with none).
    pub fn forget_role(&mut self, account: &str, role: &str) {
        let key = (account.to_owned(), role.to_owned());
        self.inline.remove(&key);
        self.attached.remove(&key);
    }
}

/// Parses a policy document or answers `MalformedPolicyDocument`.
pub fn parse_policy(text: &str) -> Result<StoredPolicy, ApiError> {
    PolicyDocument::parse(text)
        .map(|document| StoredPolicy {
            text: text.to_owned(),
            document,
        })
        .map_err(|e| ApiError::new(400, "MalformedPolicyDocument", e.to_string()))
}

fn required<'a>(params: &'a Params, key: &str) -> Result<&'a str, ApiError> {
    params.get(key).map(String::as_str).ok_or_else(|| {
        ApiError::new(400, "ValidationError", format!("1 validation error detected: Value null at '{key}' failed to satisfy constraint: Member must not be null"))
    })
}

/// The role named by `RoleName`, as `(account, stored name)`; `NoSuchEntity` if absent.
fn role_key(world: &World, caller: &Caller, params: &Params) -> Result<(String, String), ApiError> {
    let name = required(params, "RoleName")?;
    super::iam::find_role(world, &caller.account, name)
        .map(|r| (caller.account.clone(), r.name.clone()))
}

/// Handles the policy actions of IAM; anything else is an unknown action.
pub fn dispatch(
    world: &mut World,
    caller: &Caller,
    action: &str,
    params: &Params,
) -> Result<Vec<Xml>, ApiError> {
    match action {
        "PutRolePolicy" => {
            let key = role_key(world, caller, params)?;
            let name = required(params, "PolicyName")?.to_owned();
            let policy = parse_policy(required(params, "PolicyDocument")?)?;
            world
                .iam_policies
                .inline
                .entry(key)
                .or_default()
                .insert(name, policy);
            Ok(vec![])
        }
        "GetRolePolicy" => {
            let key = role_key(world, caller, params)?;
            let name = required(params, "PolicyName")?;
            let policy = world
                .iam_policies
                .inline
                .get(&key)
                .and_then(|m| m.get(name))
                .ok_or_else(|| {
                    no_such(&format!(
                        "The role policy with name {name} cannot be found."
                    ))
                })?;
            let doc = percent_encoding::utf8_percent_encode(
                &policy.text,
                percent_encoding::NON_ALPHANUMERIC,
            )
            .to_string();
            Ok(vec![
                Xml::leaf("RoleName", &key.1),
                Xml::leaf("PolicyName", name),
                Xml::leaf("PolicyDocument", doc),
            ])
        }
        "DeleteRolePolicy" => {
            let key = role_key(world, caller, params)?;
            let name = required(params, "PolicyName")?;
            world
                .iam_policies
                .inline
                .get_mut(&key)
                .and_then(|m| m.remove(name))
                .ok_or_else(|| {
                    no_such(&format!(
                        "The role policy with name {name} cannot be found."
                    ))
                })?;
            Ok(vec![])
        }
        "ListRolePolicies" => {
            let key = role_key(world, caller, params)?;
            let names = world
                .iam_policies
                .inline
                .get(&key)
                .map(|m| m.keys().map(|n| Xml::leaf("member", n)).collect())
                .unwrap_or_default();
            Ok(vec![
                Xml::node("PolicyNames", names),
                Xml::leaf("IsTruncated", "false"),
            ])
        }
        _ => managed(world, caller, action, params),
    }
}

fn managed(
    world: &mut World,
    caller: &Caller,
    action: &str,
    params: &Params,
) -> Result<Vec<Xml>, ApiError> {
    match action {
        "CreatePolicy" => {
            let name = required(params, "PolicyName")?.to_owned();
            let path = params.get("Path").map_or("/", String::as_str);
            let arn = format!("arn:aws:iam::{}:policy{path}{name}", caller.account);
            if world.iam_policies.managed.contains_key(&arn) {
                return Err(ApiError::new(
                    409,
                    "EntityAlreadyExists",
                    format!(
                        "A policy called {name} already exists. Duplicate names are not allowed."
                    ),
                ));
            }
            let policy = parse_policy(required(params, "PolicyDocument")?)?;
            let policy_id = format!("ANPA{}", world.ids.upper_alnum(17));
            let stored = ManagedPolicy {
                name,
                arn: arn.clone(),
                policy_id,
                policy,
            };
            let xml = policy_xml(&stored);
            world.iam_policies.managed.insert(arn, stored);
            Ok(vec![xml])
        }
        "GetPolicy" => {
            let arn = required(params, "PolicyArn")?;
            world
                .iam_policies
                .managed
                .get(arn)
                .map(|p| vec![policy_xml(p)])
                .ok_or_else(|| no_such(&format!("Policy {arn} was not found.")))
        }
        "AttachRolePolicy" | "DetachRolePolicy" => {
            let key = role_key(world, caller, params)?;
            let arn = required(params, "PolicyArn")?.to_owned();
            if !world.iam_policies.managed.contains_key(&arn) {
                return Err(no_such(&format!(
                    "Policy {arn} does not exist or is not attachable."
                )));
            }
            let attached = world.iam_policies.attached.entry(key).or_default();
            if action == "AttachRolePolicy" {
                attached.insert(arn);
            } else if !attached.remove(&arn) {
                return Err(no_such(&format!("Policy {arn} was not found.")));
            }
            Ok(vec![])
        }
        "ListAttachedRolePolicies" => {
            let key = role_key(world, caller, params)?;
            let members = world
                .iam_policies
                .attached
                .get(&key)
                .into_iter()
                .flatten()
                .filter_map(|arn| world.iam_policies.managed.get(arn))
                .map(|p| {
                    Xml::node(
                        "member",
                        vec![
                            Xml::leaf("PolicyName", &p.name),
                            Xml::leaf("PolicyArn", &p.arn),
                        ],
                    )
                })
                .collect();
            Ok(vec![
                Xml::node("AttachedPolicies", members),
                Xml::leaf("IsTruncated", "false"),
            ])
        }
        _ => Err(unknown_action(action)),
    }
}

fn no_such(message: &str) -> ApiError {
    ApiError::new(404, "NoSuchEntity", message)
}

fn policy_xml(p: &ManagedPolicy) -> Xml {
    Xml::node(
        "Policy",
        vec![
            Xml::leaf("PolicyName", &p.name),
            Xml::leaf("PolicyId", &p.policy_id),
            Xml::leaf("Arn", &p.arn),
            Xml::leaf("DefaultVersionId", "v1"),
            Xml::leaf("AttachmentCount", "0"),
            Xml::leaf("IsAttachable", "true"),
        ],
    )
}
