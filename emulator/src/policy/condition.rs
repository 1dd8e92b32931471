//! Condition operators: `StringEquals`, `StringNotEquals`, `StringEqualsIgnoreCase`,
//! `StringNotEqualsIgnoreCase`, `StringLike`, `StringNotLike`, `ArnEquals`, `ArnNotEquals`,
//! `ArnLike`, `ArnNotLike`, `Bool` and `Null`, each with `IfExists` (except `Null`) and the
//! `ForAllValues:` / `ForAnyValue:` set qualifiers.
//!
//! Semantics (checked against the simulator by the differential test): values of one key are
//! alternatives (OR), keys and operators of a statement all must hold (AND); a negated operator
//! holds when no value matches, so also when the key is absent; `IfExists` makes an absent key
//! hold; `ForAllValues` holds for an absent or empty key, `ForAnyValue` does not.

use serde_json::Value;

use super::PolicyError;
use super::pattern::{arn_like, glob, lookup, substitute};
use crate::authz::Context;

/// The base comparison of an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Exact, case-sensitive.
    StringEquals,
    /// Exact, ignoring ASCII case.
    StringEqualsIgnoreCase,
    /// Wildcards, case-sensitive.
    StringLike,
    /// ARN part-by-part with wildcards (`ArnEquals` and `ArnLike` behave alike in IAM).
    Arn,
    /// `true`/`false`, ignoring case.
    Bool,
    /// Key presence.
    Null,
}

/// A set qualifier for multivalued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// Every request value must match.
    ForAllValues,
    /// At least one request value must match.
    ForAnyValue,
}

/// One `operator: {key: values}` pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// The operator as written, for messages.
    pub operator: String,
    /// Base comparison.
    pub comparison: Comparison,
    /// `...Not...`: holds when nothing matches.
    pub negated: bool,
    /// `...IfExists`.
    pub if_exists: bool,
    /// Set qualifier.
    pub qualifier: Option<Qualifier>,
    /// Condition key.
    pub key: String,
    /// Policy values (alternatives).
    pub values: Vec<String>,
}

fn comparison(base: &str) -> Option<(Comparison, bool)> {
    Some(match base {
        "StringEquals" => (Comparison::StringEquals, false),
        "StringNotEquals" => (Comparison::StringEquals, true),
        "StringEqualsIgnoreCase" => (Comparison::StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Comparison::StringEqualsIgnoreCase, true),
        "StringLike" => (Comparison::StringLike, false),
        "StringNotLike" => (Comparison::StringLike, true),
        "ArnEquals" | "ArnLike" => (Comparison::Arn, false),
        "ArnNotEquals" | "ArnNotLike" => (Comparison::Arn, true),
        "Bool" => (Comparison::Bool, false),
        "Null" => (Comparison::Null, false),
        _ => return None,
    })
}

fn value_strings(value: &Value) -> Result<Vec<String>, PolicyError> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match value {
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|s| vec![s]),
    }
    .ok_or_else(|| PolicyError("condition values must be strings, booleans or numbers".to_owned()))
}

fn operator(written: &str) -> Result<(Comparison, bool, bool, Option<Qualifier>), PolicyError> {
    let (qualifier, rest) = if let Some(rest) = written.strip_prefix("ForAllValues:") {
        (Some(Qualifier::ForAllValues), rest)
    } else if let Some(rest) = written.strip_prefix("ForAnyValue:") {
        (Some(Qualifier::ForAnyValue), rest)
    } else {
        (None, written)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) if base != "Null" => (base, true),
        _ => (rest, false),
    };
    let (comparison, negated) = comparison(base)
        .ok_or_else(|| PolicyError(format!("unsupported condition operator {written}")))?;
    Ok((comparison, negated, if_exists, qualifier))
}

/// Parses a statement's `Condition` block.
pub fn parse_block(block: &Value) -> Result<Vec<Clause>, PolicyError> {
    let operators = block
        .as_object()
        .ok_or_else(|| PolicyError("Condition must be an object".to_owned()))?;
    let mut clauses = vec![];
    for (written, keys) in operators {
        let (comparison, negated, if_exists, qualifier) = operator(written)?;
        let keys = keys
            .as_object()
            .ok_or_else(|| PolicyError(format!("{written} must map keys to values")))?;
        for (key, values) in keys {
            clauses.push(Clause {
                operator: written.clone(),
                comparison,
                negated,
                if_exists,
                qualifier,
                key: key.clone(),
                values: value_strings(values)?,
            });
        }
    }
    Ok(clauses)
}

impl Clause {
    /// Whether one request value matches one of the policy values (before negation).
    fn matches(&self, value: &str, context: &Context) -> bool {
        self.values.iter().any(|policy| {
            let Some(policy) = substitute(policy, context) else {
                return false;
            };
            match self.comparison {
                Comparison::StringEquals => policy == value,
                Comparison::StringEqualsIgnoreCase | Comparison::Bool => {
                    policy.eq_ignore_ascii_case(value)
                }
                Comparison::StringLike => glob(&policy, value, false),
                Comparison::Arn => arn_like(&policy, value),
                Comparison::Null => false,
            }
        })
    }

    /// Whether the clause holds for the request context.
    pub fn holds(&self, context: &Context) -> bool {
        let present = lookup(context, &self.key).filter(|values| !values.is_empty());
        if self.comparison == Comparison::Null {
            let wants_absent = self.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            return present.is_none() == wants_absent;
        }
        let Some(values) = present else {
            return self.if_exists
                || match self.qualifier {
                    Some(Qualifier::ForAllValues) => true,
                    Some(Qualifier::ForAnyValue) => false,
                    None => self.negated,
                };
        };
        let hit = |v: &&str| self.matches(v, context) != self.negated;
        match self.qualifier {
            Some(Qualifier::ForAllValues) => values.iter().all(hit),
            Some(Qualifier::ForAnyValue) => values.iter().any(hit),
            // A plain operator on a multivalued key: negated ones need no value to match.
            None if self.negated => !values.iter().any(|v| self.matches(v, context)),
            None => values.iter().any(|v| self.matches(v, context)),
        }
    }
}
