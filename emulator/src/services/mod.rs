//! Service logic: pure state transitions on the in-memory [`World`](crate::world::World), one
//! module per AWS service, free of HTTP so it can be tested directly.

pub mod eks;
pub mod iam;
pub mod iam_policies;
pub mod iam_users;
pub mod identitystore;
pub mod kubernetes;
pub mod sqs;
pub mod ssoadmin;
pub mod sts;

use serde_json::Value;

/// An AWS error as a service answers it; the protocol layer gives it its wire shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// The AWS error code (`ResourceNotFoundException`, `NoSuchEntity`, ...).
    pub code: String,
    /// The human-readable message.
    pub message: String,
}

impl ApiError {
    /// An error with the given status, code and message.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// Whether the client is at fault (4xx), which awsQuery reports as `Sender`.
    pub fn is_sender_fault(&self) -> bool {
        self.status < 500
    }
}

/// One page of `items` starting at the offset encoded in `token`, and the token of the next page.
///
/// Tokens are opaque to clients; here they are the decimal offset of the next item, which keeps
/// pages stable while nothing changes (as with AWS, a change between pages may skip or repeat).
pub fn paginate<T: Clone>(
    items: &[T],
    max: usize,
    token: Option<&str>,
) -> Result<(Vec<T>, Option<String>), String> {
    let start = match token {
        None | Some("") => 0,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|&n| n <= items.len())
            .ok_or_else(|| format!("The pagination token {t} is invalid."))?,
    };
    let end = (start + max.max(1)).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((items[start..end].to_vec(), next))
}

/// A string member of a JSON input, if present.
pub fn opt_str<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

/// A list of strings member of a JSON input (missing = `None`).
pub fn opt_str_list(input: &Value, key: &str) -> Option<Vec<String>> {
    input.get(key).and_then(Value::as_array).map(|items| {
        items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    })
}

/// A string-to-string map member of a JSON input (missing = empty).
pub fn str_map(input: &Value, key: &str) -> std::collections::BTreeMap<String, String> {
    input
        .get(key)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// An integer member given as a JSON number or, from a query string, as a numeric string.
pub fn opt_u64(input: &Value, key: &str) -> Option<u64> {
    match input.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_walks_every_item_once() {
        let items: Vec<u32> = (0..7).collect();
        let (first, next) = paginate(&items, 3, None).unwrap();
        assert_eq!(first, vec![0, 1, 2]);
        let (second, next) = paginate(&items, 3, next.as_deref()).unwrap();
        assert_eq!(second, vec![3, 4, 5]);
        let (last, next) = paginate(&items, 3, next.as_deref()).unwrap();
        assert_eq!((last, next), (vec![6], None));
        assert!(paginate(&items, 3, Some("nope")).is_err());
        assert!(paginate(&items, 3, Some("99")).is_err());
    }
}
