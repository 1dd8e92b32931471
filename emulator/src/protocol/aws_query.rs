//! awsQuery (IAM, STS): form-encoded `Action=...&Version=...` requests, XML answers and the
//! `<ErrorResponse><Error><Type>Sender</Type><Code>..` error shape.

use std::collections::BTreeMap;

use axum::response::Response;

use super::respond;
use crate::services::ApiError;

/// Decoded request parameters (`Action`, `Version` and the operation's members, flattened as
/// `Tags.member.1.Key` and so on).
pub type Params = BTreeMap<String, String>;

/// Parses a form body into parameters.
pub fn parse_params(body: &[u8]) -> Params {
    form_urlencoded::parse(body).into_owned().collect()
}

/// A tiny XML tree: enough for awsQuery answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Xml {
    /// `<name>text</name>` (text escaped on output).
    Leaf(String, String),
    /// `<name>children</name>`.
    Node(String, Vec<Xml>),
}

impl Xml {
    /// A text element.
    pub fn leaf(name: &str, text: impl Into<String>) -> Self {
        Self::Leaf(name.to_owned(), text.into())
    }

    /// An element with children.
    pub fn node(name: &str, children: Vec<Xml>) -> Self {
        Self::Node(name.to_owned(), children)
    }

    fn write(&self, out: &mut String) {
        match self {
            Self::Leaf(name, text) => {
                out.push_str(&format!("<{name}>{}</{name}>", escape(text)));
            }
            Self::Node(name, children) => {
                out.push_str(&format!("<{name}>"));
                children.iter().for_each(|c| c.write(out));
                out.push_str(&format!("</{name}>"));
            }
        }
    }
}

/// Escapes XML text.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The XML namespace of a query service's documents.
fn namespace(service: &str) -> &'static str {
    match service {
        "sts" => "https://sts.amazonaws.com/doc/2011-06-15/",
        _ => "https://iam.amazonaws.com/doc/2010-05-08/",
    }
}

/// `<ActionResponse><ActionResult>..</ActionResult><ResponseMetadata>..` (no Result element
/// when the operation has no output, as with `DeleteRole`).
pub fn success(service: &str, action: &str, result: Vec<Xml>, request_id: &str) -> Response {
    let mut out = format!("<{action}Response xmlns=\"{}\">", namespace(service));
    if !result.is_empty() {
        Xml::node(&format!("{action}Result"), result).write(&mut out);
    }
    Xml::node("ResponseMetadata", vec![Xml::leaf("RequestId", request_id)]).write(&mut out);
    out.push_str(&format!("</{action}Response>"));
    respond(200, &[("content-type", "text/xml".to_owned())], out)
}

/// The awsQuery error document.
pub fn error(service: &str, err: &ApiError, request_id: &str) -> Response {
    let kind = if err.is_sender_fault() {
        "Sender"
    } else {
        "Receiver"
    };
    let mut out = format!("<ErrorResponse xmlns=\"{}\">", namespace(service));
    Xml::node(
        "Error",
        vec![
            Xml::leaf("Type", kind),
            Xml::leaf("Code", &err.code),
            Xml::leaf("Message", &err.message),
        ],
    )
    .write(&mut out);
    Xml::leaf("RequestId", request_id).write(&mut out);
    out.push_str("</ErrorResponse>");
    respond(err.status, &[("content-type", "text/xml".to_owned())], out)
}

/// The error for an action the service does not know.
pub fn unknown_action(action: &str) -> ApiError {
    ApiError::new(
        400,
        "InvalidAction",
        format!("Could not find operation {action} for version"),
    )
}

/// The throttling error of query services (classified as throttling by the SDKs).
pub fn throttling() -> ApiError {
    ApiError::new(400, "Throttling", "Rate exceeded")
}

/// The injected server fault of query services.
pub fn server_fault() -> ApiError {
    ApiError::new(
        503,
        "ServiceUnavailable",
        "Service is unavailable (injected fault)",
    )
}

/// Renders a tree to a string (for tests and logs).
pub fn render(xml: &Xml) -> String {
    let mut out = String::new();
    xml.write(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_xml() {
        let xml = Xml::node("Role", vec![Xml::leaf("RoleName", "a<b&c")]);
        assert_eq!(
            render(&xml),
            "<Role><RoleName>a&lt;b&amp;c</RoleName></Role>"
        );
    }

    #[test]
    fn parses_form_params() {
        let params = parse_params(b"Action=ListRoles&PathPrefix=%2Faws-reserved%2F&MaxItems=5");
        assert_eq!(params["PathPrefix"], "/aws-reserved/");
        assert_eq!(params["MaxItems"], "5");
    }
}
