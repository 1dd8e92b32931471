//! The EventBridge envelope's fields, checked one by one before serde reads the envelope, so a
//! bad value is reported by its name ("`time` is not an RFC 3339 timestamp") instead of serde's
//! field-less "input contains invalid characters".

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::EventError;

/// The envelope fields that must be strings when present.
const STRING_FIELDS: [&str; 6] = [
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "region",
];

/// Checks each envelope field the event carries: the strings are strings, `time` is an RFC 3339
/// timestamp, `resources` is a list of strings, `detail` is an object.
pub(super) fn check_fields(map: &Map<String, Value>) -> Result<(), EventError> {
    for field in STRING_FIELDS {
        if let Some(value) = map.get(field).filter(|v| !v.is_string()) {
            return Err(EventError::invalid(
                field,
                format!("expected a string, found {}", kind(value)),
            ));
        }
    }
    if let Some(value) = map.get("time") {
        let parsed = value
            .as_str()
            .map(|text| OffsetDateTime::parse(text, &Rfc3339).is_ok());
        if parsed != Some(true) {
            return Err(EventError::invalid(
                "time",
                format!(
                    "expected an RFC 3339 timestamp such as 2026-12-01T09:30:00Z, found {}",
                    shown(value)
                ),
            ));
        }
    }
    if let Some(value) = map.get("resources") {
        let strings = value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string));
        if !strings {
            return Err(EventError::invalid(
                "resources",
                format!("expected a list of ARN strings, found {}", shown(value)),
            ));
        }
    }
    if let Some(value) = map.get("detail").filter(|v| !v.is_object()) {
        return Err(EventError::invalid(
            "detail",
            format!("expected an object, found {}", kind(value)),
        ));
    }
    Ok(())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The value for a message: short strings as they are, anything else by its kind.
fn shown(value: &Value) -> String {
    match value.as_str() {
        Some(text) if text.chars().count() <= 40 => format!("{text:?}"),
        Some(_) => "a long string".to_owned(),
        None => kind(value).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(value: Value) -> Result<(), EventError> {
        match value {
            Value::Object(map) => check_fields(&map),
            _ => unreachable!("tests pass objects"),
        }
    }

    #[test]
    fn a_bad_time_is_named_once_with_the_expected_format() {
        let err = check(json!({"time": "yesterday", "detail": {}})).unwrap_err();
        assert_eq!(err.field_path(), Some("time"));
        let message = err.to_string();
        assert!(message.contains("RFC 3339"), "{message}");
        assert!(message.contains("\"yesterday\""), "{message}");
        assert_eq!(message.matches("yesterday").count(), 1, "{message}");
        assert!(check(json!({"time": "2026-12-01T09:30:00Z"})).is_ok());
    }

    #[test]
    fn each_field_of_the_wrong_type_is_named() {
        for (field, value) in [
            ("account", json!(111122223333u64)),
            ("region", json!(null)),
            (
                "resources",
                json!("arn:aws:eks:eu-west-1:111122223333:cluster/x"),
            ),
            ("resources", json!([1, 2])),
            ("detail", json!("x")),
        ] {
            let mut map = Map::new();
            map.insert(field.to_owned(), value);
            let err = check_fields(&map).unwrap_err();
            assert_eq!(err.field_path(), Some(field), "{err}");
        }
    }
}
