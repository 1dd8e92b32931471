//! Reading fields out of a JSON object while remembering where they came from, so every missing
//! or invalid field is reported by its full path.

use serde_json::Value;

use super::EventError;
use crate::domain::InvalidValue;

/// CloudTrail replaces sensitive values (group display names, SCIM bodies) with this marker since
/// mid-2025; a masked value is as good as absent.
pub(crate) const MASKED: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// A JSON object found at `path` (e.g. `detail.requestParameters`), read on behalf of `context`
/// (e.g. `sso.amazonaws.com CreateAccountAssignment`) which is named when a field is missing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    value: Option<&'a Value>,
    path: &'a str,
    context: &'a str,
}

impl<'a> Fields<'a> {
    /// Wraps the (possibly absent) object at `path`.
    pub(crate) fn new(value: Option<&'a Value>, path: &'a str, context: &'a str) -> Self {
        Self {
            value,
            path,
            context,
        }
    }

    /// The full path of `key` (which may be dotted: `member.memberId`).
    pub(crate) fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The raw value at the dotted `key`, if present and not null.
    fn get(&self, key: &str) -> Option<&'a Value> {
        key.split('.')
            .try_fold(self.value?, |node, part| node.get(part))
            .filter(|v| !v.is_null())
    }

    /// An optional string: absent, null, empty and masked all read as `None`; a non-string value
    /// is an error, because it means we misunderstood the record's shape.
    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<&'a str>, EventError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() || s == MASKED => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(EventError::invalid(
                self.path_of(key),
                format!("expected a string, found {other}"),
            )),
        }
    }

    /// An optional string, owned.
    pub(crate) fn opt_string(&self, key: &str) -> Result<Option<String>, EventError> {
        Ok(self.opt_str(key)?.map(str::to_owned))
    }

    /// A required string.
    pub(crate) fn req_str(&self, key: &str) -> Result<&'a str, EventError> {
        self.opt_str(key)?
            .ok_or_else(|| EventError::missing(self.path_of(key), self.context))
    }

    /// A required value, validated by `parse` (typically a domain newtype constructor).
    pub(crate) fn req<T>(
        &self,
        key: &str,
        parse: impl FnOnce(&'a str) -> Result<T, InvalidValue>,
    ) -> Result<T, EventError> {
        let raw = self.req_str(key)?;
        parse(raw).map_err(|e| EventError::invalid(self.path_of(key), e.to_string()))
    }

    /// An optional value, validated by `parse` when present.
    pub(crate) fn opt<T>(
        &self,
        key: &str,
        parse: impl FnOnce(&'a str) -> Result<T, InvalidValue>,
    ) -> Result<Option<T>, EventError> {
        self.opt_str(key)?
            .map(|raw| {
                parse(raw).map_err(|e| EventError::invalid(self.path_of(key), e.to_string()))
            })
            .transpose()
    }
}

/// The first of several optional string fields that is present, in order of preference. Used
/// where console, API and SCIM records put the same id in different places.
pub(crate) fn first_of(candidates: &[(Fields<'_>, &str)]) -> Result<Option<String>, EventError> {
    first_parsed(candidates, |found| Ok(found.to_owned()))
}

/// Like [`first_of`], the value validated by `parse` (an error names the field it came from).
pub(crate) fn first_parsed<T>(
    candidates: &[(Fields<'_>, &str)],
    parse: impl Fn(&str) -> Result<T, InvalidValue>,
) -> Result<Option<T>, EventError> {
    for (fields, key) in candidates {
        if let Some(found) = fields.opt(key, &parse)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// `raw` with `%XX` escapes decoded. CloudTrail records REST URI path parameters as they were
/// sent, percent-encoded (`arn%3Aaws%3Aiam%3A%3A…`); values without escapes, and escapes that do
/// not decode to UTF-8, come back unchanged.
pub(crate) fn percent_decoded(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.contains('%') {
        return std::borrow::Cow::Borrowed(raw);
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let escaped = (byte == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(decoded) => {
                out.push(decoded);
                i += 3;
            }
            None => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_or(std::borrow::Cow::Borrowed(raw), std::borrow::Cow::Owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn dotted_keys_reach_nested_fields_and_report_full_paths() {
        let value = json!({ "member": { "memberId": "u-1" }, "count": 3 });
        let fields = Fields::new(Some(&value), "detail.requestParameters", "test");
        assert_eq!(fields.opt_str("member.memberId").unwrap(), Some("u-1"));
        let err = fields.req_str("member.missing").unwrap_err();
        assert_eq!(
            err.field_path(),
            Some("detail.requestParameters.member.missing")
        );
        let err = fields.opt_str("count").unwrap_err();
        assert_eq!(err.field_path(), Some("detail.requestParameters.count"));
    }

    #[test]
    fn percent_encoded_path_parameters_are_decoded() {
        assert_eq!(
            percent_decoded("arn%3Aaws%3Aiam%3A%3A012345678901%3Arole%2Fci"),
            "arn:aws:iam::012345678901:role/ci"
        );
        assert_eq!(
            percent_decoded("arn:aws:iam::1:role/x"),
            "arn:aws:iam::1:role/x"
        );
        assert_eq!(percent_decoded("100%"), "100%");
        assert_eq!(percent_decoded("%zz%4"), "%zz%4");
    }

    #[test]
    fn masked_empty_and_null_values_read_as_absent() {
        let value = json!({ "a": MASKED, "b": "", "c": null });
        let fields = Fields::new(Some(&value), "detail", "test");
        for key in ["a", "b", "c", "d"] {
            assert_eq!(fields.opt_str(key).unwrap(), None, "{key}");
        }
        let absent = Fields::new(None, "detail.responseElements", "test");
        assert_eq!(absent.opt_str("x").unwrap(), None);
    }
}
