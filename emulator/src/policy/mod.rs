//! A small IAM identity-policy evaluator for the emulator's enforcement: explicit deny beats
//! allow beats implicit deny; `Action`/`NotAction` and `Resource`/`NotResource` with `*` and `?`;
//! the condition operators in [`condition`]. It is not the test oracle: the third-party
//! simulator is, and `emulator/tests/iam_differential/` holds this evaluator to its decisions.
//!
//! No maintained policy crate was a fit: the candidates on crates.io are young single-author
//! 0.x crates whose condition semantics would need the same differential proof, at the cost of
//! a dependency tree on a build-bound machine.

pub mod condition;
pub mod pattern;

use serde_json::Value;

use crate::authz::Authorization;
use condition::Clause;

/// Why a policy document was refused (IAM's `MalformedPolicyDocument`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed policy document: {0}")]
pub struct PolicyError(pub String);

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Refuses, whatever else grants.
    Deny,
}

/// An `Action`/`NotAction` or `Resource`/`NotResource` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// The patterns.
    pub patterns: Vec<String>,
    /// `NotAction` / `NotResource`: the statement applies to everything *but* these.
    pub negated: bool,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `Sid`, for messages.
    pub sid: Option<String>,
    /// Effect.
    pub effect: Effect,
    /// Actions.
    pub actions: Names,
    /// Resources.
    pub resources: Names,
    /// Every clause must hold.
    pub conditions: Vec<Clause>,
}

/// A parsed identity policy.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    /// Its statements.
    pub statements: Vec<Statement>,
}

/// The outcome of evaluating a request, named as the simulator names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Some statement allows and none denies.
    Allowed,
    /// A `Deny` statement applies.
    ExplicitlyDenied,
    /// No statement allows.
    ImplicitlyDenied,
}

impl Decision {
    /// The simulator's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "Allowed",
            Self::ExplicitlyDenied => "ExplicitlyDenied",
            Self::ImplicitlyDenied => "ImplicitlyDenied",
        }
    }
}

fn one_or_many(value: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| PolicyError(format!("{what} must be a string or a list of strings"))),
        _ => Err(PolicyError(format!(
            "{what} must be a string or a list of strings"
        ))),
    }
}

fn names(statement: &Value, element: &str) -> Result<Names, PolicyError> {
    let not = format!("Not{element}");
    match (statement.get(element), statement.get(&not)) {
        (Some(v), None) => Ok(Names {
            patterns: one_or_many(v, element)?,
            negated: false,
        }),
        (None, Some(v)) => Ok(Names {
            patterns: one_or_many(v, &not)?,
            negated: true,
        }),
        (Some(_), Some(_)) => Err(PolicyError(format!(
            "a statement has both {element} and {not}"
        ))),
        (None, None) => Err(PolicyError(format!("a statement needs {element} or {not}"))),
    }
}

fn statement(value: &Value) -> Result<Statement, PolicyError> {
    let effect = match value.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        other => return Err(PolicyError(format!("invalid Effect {other:?}"))),
    };
    let conditions = match value.get("Condition") {
        None => vec![],
        Some(block) => condition::parse_block(block)?,
    };
    Ok(Statement {
        sid: value.get("Sid").and_then(Value::as_str).map(str::to_owned),
        effect,
        actions: names(value, "Action")?,
        resources: names(value, "Resource")?,
        conditions,
    })
}

impl PolicyDocument {
    /// Parses a JSON policy document.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let doc: Value = serde_json::from_str(text).map_err(|e| PolicyError(e.to_string()))?;
        Self::from_value(&doc)
    }

    /// Parses an already decoded policy document.
    pub fn from_value(doc: &Value) -> Result<Self, PolicyError> {
        let statements = match doc.get("Statement") {
            Some(Value::Array(items)) => items.iter().map(statement).collect::<Result<_, _>>()?,
            Some(one @ Value::Object(_)) => vec![statement(one)?],
            _ => return Err(PolicyError("the document needs a Statement".to_owned())),
        };
        Ok(Self { statements })
    }
}

fn matches_any(names: &Names, test: impl Fn(&str) -> bool) -> bool {
    names.patterns.iter().any(|p| test(p)) != names.negated
}

impl Statement {
    /// Whether the statement applies to the request (action, resource and every condition).
    pub fn applies(&self, request: &Authorization) -> bool {
        let action = matches_any(&self.actions, |p| pattern::glob(p, &request.action, true));
        let resource = matches_any(&self.resources, |p| {
            pattern::substitute_resource(p, &request.context)
                .is_some_and(|p| pattern::arn_like(&p, &request.resource))
        });
        action && resource && self.conditions.iter().all(|c| c.holds(&request.context))
    }
}

/// The decision of a set of identity policies on one request.
pub fn evaluate(policies: &[PolicyDocument], request: &Authorization) -> Decision {
    let mut allowed = false;
    for statement in policies.iter().flat_map(|p| &p.statements) {
        if statement.applies(request) {
            match statement.effect {
                Effect::Deny => return Decision::ExplicitlyDenied,
                Effect::Allow => allowed = true,
            }
        }
    }
    if allowed {
        Decision::Allowed
    } else {
        Decision::ImplicitlyDenied
    }
}

#[cfg(test)]
mod tests;
