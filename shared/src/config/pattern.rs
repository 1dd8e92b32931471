//! Names with `{captures}`: permission-set patterns that capture parts of a name, templates that
//! put the captured values into namespaces, groups and usernames, and the `*`/`?` globs of
//! cluster selectors.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use regex::Regex;

use crate::domain::PermissionSetName;

/// Captured values by capture name, e.g. `team → search` for `EKSTeam-{team}` and `EKSTeam-search`.
pub type Captures = BTreeMap<String, String>;

/// IAM's limit on permission set names.
const MAX_PERMISSION_SET_LEN: usize = 32;

/// The characters a capture matches: those of a permission set name, `[\w+=,.@-]` in ASCII.
const CAPTURE_CLASS: &str = "[A-Za-z0-9_+=,.@-]+";

/// A piece of a name with captures.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Text taken as is.
    Literal(String),
    /// `{name}`.
    Capture(String),
}

/// Splits `text` into literal text and `{capture}`s. A double-braced `{{Name}}` is an EKS
/// username template (`{{SessionName}}`, `{{SessionNameRaw}}`, `{{AccountID}}`) that EKS expands
/// at authentication time: it is kept as literal text, never read as a capture, and left to the
/// validation of the value it ends up in (only usernames accept it).
fn segments(text: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("`}` without a matching `{`".into());
        }
        if rest[open..].starts_with("{{") {
            let close = rest[open..]
                .find("}}")
                .ok_or("`{{` without a matching `}}` (EKS templates look like {{SessionName}})")?;
            let end = open + close + 2;
            literal.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        literal.push_str(&rest[..open]);
        if !literal.is_empty() {
            out.push(Segment::Literal(std::mem::take(&mut literal)));
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or("`{` without a matching `}`")?;
        let name = &after[..close];
        let valid_name = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            return Err(format!(
                "`{{{name}}}` is not a capture name: use letters, digits and `_`, e.g. {{team}}"
            ));
        }
        out.push(Segment::Capture(name.to_owned()));
        rest = &after[close + 1..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        out.push(Segment::Literal(literal));
    }
    Ok(out)
}

/// How a rule names its permission set: exactly, or as a convention pattern with captures.
#[derive(Debug, Clone)]
pub enum PermissionSetMatcher {
    /// One permission set.
    Exact(PermissionSetName),
    /// Every permission set whose whole name matches the pattern.
    Pattern(NamePattern),
}

impl PermissionSetMatcher {
    /// Parses what a rule's `permission_set` says; the error is a fix hint.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.contains(['{', '}']) {
            NamePattern::parse(text).map(Self::Pattern)
        } else {
            PermissionSetName::new(text)
                .map(Self::Exact)
                .map_err(|e| e.reason)
        }
    }

    /// The captures if `name` matches (empty for an exact match), `None` otherwise.
    pub fn matches(&self, name: &PermissionSetName) -> Option<Captures> {
        match self {
            Self::Exact(exact) => (exact == name).then(Captures::new),
            Self::Pattern(pattern) => pattern.matches(name.as_str()),
        }
    }

    /// The capture names this matcher defines (none for an exact name).
    pub fn capture_names(&self) -> BTreeSet<&str> {
        match self {
            Self::Exact(_) => BTreeSet::new(),
            Self::Pattern(p) => p.captures.iter().map(String::as_str).collect(),
        }
    }

    /// Whether this names one permission set exactly.
    pub fn is_exact(&self) -> bool {
        matches!(self, Self::Exact(_))
    }
}

impl fmt::Display for PermissionSetMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(name) => name.fmt(f),
            Self::Pattern(p) => f.write_str(&p.text),
        }
    }
}

/// A permission set name pattern such as `EKSTeam-{team}`: anchored at both ends, each capture
/// matching one or more characters of `[\w+=,.@-]`, case-sensitively.
#[derive(Debug, Clone)]
pub struct NamePattern {
    text: String,
    captures: Vec<String>,
    regex: Regex,
}

impl NamePattern {
    /// Parses a pattern; the error says why no permission set could ever match it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts = segments(text)?;
        let mut captures: Vec<String> = Vec::new();
        let mut regex = String::from("^");
        let mut min_len = 0;
        let mut previous_was_capture = false;
        for part in &parts {
            match part {
                Segment::Literal(lit) => {
                    if let Some(c) = lit.chars().find(|c| !is_permission_set_char(*c)) {
                        return Err(format!(
                            "{c:?} cannot appear in a permission set name \
                             (letters, digits and _+=,.@- only)"
                        ));
                    }
                    min_len += lit.chars().count();
                    regex.push_str(&regex::escape(lit));
                    previous_was_capture = false;
                }
                Segment::Capture(name) => {
                    if previous_was_capture {
                        return Err("two captures must be separated by literal text, \
                                    or it is ambiguous where one ends"
                            .into());
                    }
                    if captures.contains(name) {
                        return Err(format!("capture {{{name}}} appears twice"));
                    }
                    captures.push(name.clone());
                    min_len += 1;
                    regex.push_str(&format!("(?P<{name}>{CAPTURE_CLASS})"));
                    previous_was_capture = true;
                }
            }
        }
        if min_len > MAX_PERMISSION_SET_LEN {
            return Err(format!(
                "no permission set name this long can exist (at most {MAX_PERMISSION_SET_LEN} characters)"
            ));
        }
        regex.push('$');
        let regex = Regex::new(&regex).map_err(|e| format!("internal pattern error: {e}"))?;
        Ok(Self {
            text: text.to_owned(),
            captures,
            regex,
        })
    }

    /// The captured values when the whole of `name` matches.
    pub fn matches(&self, name: &str) -> Option<Captures> {
        let found = self.regex.captures(name)?;
        self.captures
            .iter()
            .map(|c| Some((c.clone(), found.name(c)?.as_str().to_owned())))
            .collect()
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Whether `c` may appear in a permission set name (`[\w+=,.@-]`, ASCII).
fn is_permission_set_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// How captured values are put into a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureCase {
    /// As captured (groups, usernames).
    AsIs,
    /// Lowercased, because Kubernetes namespaces are lowercase (`EKSTeam-Search` → `search`).
    Lower,
}

/// Text with `{capture}` placeholders filled from a permission set match, e.g. `{team}-*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
    parts: Vec<Segment>,
}

impl Template {
    /// Parses a template; the error is a fix hint.
    pub fn parse(text: &str) -> Result<Self, String> {
        Ok(Self {
            text: text.to_owned(),
            parts: segments(text)?,
        })
    }

    /// The capture names used.
    pub fn capture_names(&self) -> BTreeSet<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Segment::Capture(name) => Some(name.as_str()),
                Segment::Literal(_) => None,
            })
            .collect()
    }

    /// Fills in the captures (a missing capture expands to nothing; validation rules that out).
    pub fn expand(&self, captures: &Captures, case: CaptureCase) -> String {
        let mut out = String::with_capacity(self.text.len());
        for part in &self.parts {
            match part {
                Segment::Literal(lit) => out.push_str(lit),
                Segment::Capture(name) => {
                    let value = captures.get(name).map(String::as_str).unwrap_or_default();
                    match case {
                        CaptureCase::AsIs => out.push_str(value),
                        CaptureCase::Lower => out.push_str(&value.to_lowercase()),
                    }
                }
            }
        }
        out
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A shell-style glob over names and tag values: `*` matches any run of characters, `?` one;
/// matched by the `wildmatch` crate.
#[derive(Debug, Clone)]
pub struct Glob {
    text: String,
    compiled: wildmatch::WildMatch,
}

impl Glob {
    /// Wraps a glob; every string is a valid glob.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let compiled = wildmatch::WildMatch::new(&text);
        Self { text, compiled }
    }

    /// Whether the whole of `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        self.compiled.matches(value)
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for Glob {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Glob {}

#[cfg(test)]
mod tests {
    use super::*;

    fn ps(name: &str) -> PermissionSetName {
        PermissionSetName::new(name).unwrap()
    }

    #[test]
    fn patterns_capture_anchored_and_case_sensitive() {
        let m = PermissionSetMatcher::parse("EKSTeam-{team}").unwrap();
        let caps = m.matches(&ps("EKSTeam-search")).unwrap();
        assert_eq!(caps["team"], "search");
        assert!(m.matches(&ps("EKSTeam-")).is_none());
        assert!(m.matches(&ps("XEKSTeam-search")).is_none());
        assert!(m.matches(&ps("eksteam-search")).is_none());
        let two = PermissionSetMatcher::parse("{env}.{team}").unwrap();
        let caps = two.matches(&ps("prod.payments")).unwrap();
        assert_eq!(
            (caps["env"].as_str(), caps["team"].as_str()),
            ("prod", "payments")
        );
    }

    #[test]
    fn impossible_patterns_are_refused() {
        for bad in [
            "EKS Team-{team}",
            "EKSTeam-{team",
            "EKSTeam-}",
            "{a}{b}",
            "{a}-{a}",
            "{1x}",
            "ThisPrefixIsFarTooLongForIAMNames-{team}",
        ] {
            assert!(PermissionSetMatcher::parse(bad).is_err(), "{bad}");
        }
        assert!(PermissionSetMatcher::parse("Admin").unwrap().is_exact());
    }

    #[test]
    fn templates_expand_and_lowercase_for_namespaces() {
        let t = Template::parse("{team}-*").unwrap();
        let caps = Captures::from([("team".to_owned(), "Search".to_owned())]);
        assert_eq!(t.expand(&caps, CaptureCase::Lower), "search-*");
        assert_eq!(t.expand(&caps, CaptureCase::AsIs), "Search-*");
        assert_eq!(t.capture_names(), BTreeSet::from(["team"]));
    }

    #[test]
    fn eks_templates_are_literal_text_next_to_captures() {
        let t = Template::parse("{team}:{{SessionName}}").unwrap();
        assert_eq!(t.capture_names(), BTreeSet::from(["team"]));
        let caps = Captures::from([("team".to_owned(), "Search".to_owned())]);
        assert_eq!(t.expand(&caps, CaptureCase::AsIs), "Search:{{SessionName}}");
        let plain = Template::parse("arn:{{AccountID}}:{{SessionNameRaw}}").unwrap();
        assert!(plain.capture_names().is_empty());
        assert_eq!(
            plain.expand(&Captures::new(), CaptureCase::AsIs),
            "arn:{{AccountID}}:{{SessionNameRaw}}"
        );
        assert!(Template::parse("a:{{SessionName}").is_err());
        assert!(Template::parse("a:{{SessionName").is_err());
        // In a permission set, braces are never name characters.
        assert!(PermissionSetMatcher::parse("EKS{{SessionName}}").is_err());
    }

    #[test]
    fn globs_match_whole_values() {
        let g = Glob::new("legacy-*");
        assert!(g.matches("legacy-") && g.matches("legacy-eu-1"));
        assert!(!g.matches("new-legacy-1"));
        assert!(Glob::new("prod-?").matches("prod-1") && !Glob::new("prod-?").matches("prod-10"));
        assert!(Glob::new("*a*b").matches("xxaxxb") && !Glob::new("*a*b").matches("xxbxa"));
        assert!(Glob::new("*").matches(""));
    }
}
