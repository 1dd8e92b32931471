//! restJson1 (EKS): operations are chosen by method and path; path labels (percent-encoded ARNs
//! included), query parameters and the JSON body merge into one input object. Errors carry the
//! code in `x-amzn-ErrorType` and in the body's `__type`.

use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

use super::respond;
use crate::services::ApiError;
use crate::services::eks::unknown_operation;

/// Query parameters that EKS models as lists (repeated keys).
const LIST_QUERY_PARAMS: [&str; 2] = ["tagKeys", "include"];

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// The EKS operation and its path labels for a method and raw (still percent-encoded) path.
fn route(method: &str, path: &str) -> Option<(&'static str, Vec<(&'static str, String)>)> {
    let segments: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let label = |name: &'static str, index: usize| (name, segments[index].clone());
    let op = match (method, s.as_slice()) {
        ("GET", ["clusters"]) => ("ListClusters", vec![]),
        ("POST", ["clusters"]) => ("CreateCluster", vec![]),
        ("GET", ["clusters", _]) => ("DescribeCluster", vec![label("name", 1)]),
        ("DELETE", ["clusters", _]) => ("DeleteCluster", vec![label("name", 1)]),
        ("POST", ["clusters", _, "update-config"]) => {
            ("UpdateClusterConfig", vec![label("name", 1)])
        }
        ("GET", ["clusters", _, "updates", _]) => (
            "DescribeUpdate",
            vec![label("name", 1), label("updateId", 3)],
        ),
        ("GET", ["clusters", _, "access-entries"]) => ("ListAccessEntries", vec![label("name", 1)]),
        ("POST", ["clusters", _, "access-entries"]) => {
            ("CreateAccessEntry", vec![label("name", 1)])
        }
        (m, ["clusters", _, "access-entries", _]) => {
            let op = match m {
                "GET" => "DescribeAccessEntry",
                "POST" => "UpdateAccessEntry",
                "DELETE" => "DeleteAccessEntry",
                _ => return None,
            };
            (op, vec![label("name", 1), label("principalArn", 3)])
        }
        ("GET", ["clusters", _, "access-entries", _, "access-policies"]) => (
            "ListAssociatedAccessPolicies",
            vec![label("name", 1), label("principalArn", 3)],
        ),
        ("POST", ["clusters", _, "access-entries", _, "access-policies"]) => (
            "AssociateAccessPolicy",
            vec![label("name", 1), label("principalArn", 3)],
        ),
        ("DELETE", ["clusters", _, "access-entries", _, "access-policies", _]) => (
            "DisassociateAccessPolicy",
            vec![
                label("name", 1),
                label("principalArn", 3),
                label("policyArn", 5),
            ],
        ),
        ("GET", ["access-policies"]) => ("ListAccessPolicies", vec![]),
        ("POST", ["tags", _]) => ("TagResource", vec![label("resourceArn", 1)]),
        ("DELETE", ["tags", _]) => ("UntagResource", vec![label("resourceArn", 1)]),
        ("GET", ["tags", _]) => ("ListTagsForResource", vec![label("resourceArn", 1)]),
        _ => return None,
    };
    Some(op)
}

/// Decodes a request into `(operation, input)`; an unknown path is `UnknownOperationException`.
pub fn decode_request(
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> Result<(String, Value), (String, ApiError)> {
    let unknown = format!("{method} {path}");
    let Some((op, labels)) = route(method, path) else {
        return Err((unknown.clone(), unknown_operation(&unknown)));
    };
    let mut input: Map<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice(body) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Err((
                    op.to_owned(),
                    ApiError::new(400, "BadRequestException", "Malformed JSON body"),
                ));
            }
        }
    };
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if LIST_QUERY_PARAMS.contains(&key.as_ref()) {
            let list = input.entry(key.into_owned()).or_insert_with(|| json!([]));
            if let Value::Array(items) = list {
                items.push(json!(value));
            }
        } else {
            input.insert(key.into_owned(), json!(value));
        }
    }
    for (key, value) in labels {
        input.insert(key.to_owned(), json!(value));
    }
    Ok((op.to_owned(), Value::Object(input)))
}

/// A successful answer.
pub fn success(output: &Value) -> Response {
    respond(
        200,
        &[("content-type", "application/json".to_owned())],
        output.to_string(),
    )
}

/// An error answer with the code in the header and the body.
pub fn error(err: &ApiError) -> Response {
    let body = json!({"message": err.message, "__type": err.code});
    let headers = [
        ("content-type", "application/json".to_owned()),
        ("x-amzn-errortype", err.code.clone()),
    ];
    respond(err.status, &headers, body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_encoded_arns_and_merges_query_and_body() {
        let path = "/clusters/prod/access-entries/arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fa%2Fb/access-policies";
        let (op, input) = decode_request("POST", path, "", br#"{"policyArn":"p"}"#).unwrap();
        assert_eq!(op, "AssociateAccessPolicy");
        assert_eq!(input["principalArn"], "arn:aws:iam::111111111111:role/a/b");
        assert_eq!(
            (input["name"].clone(), input["policyArn"].clone()),
            (json!("prod"), json!("p"))
        );
        let (op, input) =
            decode_request("DELETE", "/tags/arn%3Ax", "tagKeys=a&tagKeys=b", b"").unwrap();
        assert_eq!(
            (op.as_str(), input["tagKeys"].clone()),
            ("UntagResource", json!(["a", "b"]))
        );
        let (_, err) = decode_request("PUT", "/clusters/x", "", b"").unwrap_err();
        assert_eq!(
            (err.status, err.code.as_str()),
            (404, "UnknownOperationException")
        );
    }
}
