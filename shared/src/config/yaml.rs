//! Reading the marked YAML tree: typed accessors that record a located problem and carry on,
//! instead of stopping at the first one the way a serde deserializer does.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use super::report::ConfigProblem;
use crate::domain::InvalidValue;

/// A YAML node with its position in the source.
pub(super) type Node<'y> = MarkedYaml<'y>;

/// The problems found so far.
#[derive(Debug, Default)]
pub(super) struct Problems(pub(super) Vec<ConfigProblem>);

impl Problems {
    /// Records a problem located at `node`.
    pub(super) fn at(
        &mut self,
        node: &Node<'_>,
        path: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        let (line, column) = position(node);
        self.at_position(line, column, path, message, hint);
    }

    /// Records a problem at an explicit position (parse errors carry their own).
    pub(super) fn at_position(
        &mut self,
        line: usize,
        column: usize,
        path: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.0.push(ConfigProblem {
            line,
            column,
            path: path.to_owned(),
            message: super::report::cut_long_values(&message.into()),
            hint,
        });
    }

    /// Records a rejected value, using the domain type's rule as the hint.
    pub(super) fn invalid(&mut self, node: &Node<'_>, path: &str, error: &InvalidValue) {
        self.at(
            node,
            path,
            format!("invalid {} {:?}", error.kind, error.value),
            Some(error.reason.clone()),
        );
    }
}

/// 1-based line and column of a node.
pub(super) fn position(node: &Node<'_>) -> (usize, usize) {
    (node.span.start.line(), node.span.start.col() + 1)
}

/// Parses a YAML (or JSON) document into a marked tree; a syntax error is one located problem.
pub(super) fn load(text: &str, problems: &mut Problems) -> Option<Node<'static>> {
    // The loader reads characters one by one and owns every string it produces, so the tree
    // does not borrow from `text`.
    match MarkedYaml::<'static>::load_from_str(text) {
        Err(e) => {
            let m = e.marker();
            problems.at_position(
                m.line(),
                m.col() + 1,
                "",
                format!("not valid YAML: {}", e.info()),
                Some("check indentation and quoting around this position".into()),
            );
            None
        }
        Ok(docs) => {
            let mut docs = docs.into_iter();
            let first = docs
                .next()
                .filter(|d| !matches!(d.data, YamlData::BadValue));
            if let Some(extra) = docs.next() {
                problems.at(
                    &extra,
                    "",
                    "more than one YAML document",
                    Some("a mapping file is a single document; remove the extra `---`".into()),
                );
            }
            if first.is_none() {
                problems.at_position(1, 1, "", "the mapping file is empty", None);
            }
            first
        }
    }
}

/// A short description of what a node is, for "expected X, found Y" messages.
pub(super) fn describe(node: &Node<'_>) -> &'static str {
    match &node.data {
        YamlData::Value(Scalar::String(_)) => "a string",
        YamlData::Value(Scalar::Integer(_)) => "a number",
        YamlData::Value(Scalar::FloatingPoint(_)) => "a number",
        YamlData::Value(Scalar::Boolean(_)) => "a boolean",
        YamlData::Value(Scalar::Null) => "nothing (null)",
        YamlData::Sequence(_) => "a list",
        YamlData::Mapping(_) => "a mapping",
        _ => "an unsupported YAML construct (tag or alias)",
    }
}

/// `parent.key`, or `key` at the root.
pub(super) fn key_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub(super) fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// The keys of a mapping node, checked against the keys valid there.
pub(super) struct Fields<'a, 'y> {
    node: &'a Node<'y>,
    path: String,
    entries: Vec<(String, &'a Node<'y>)>,
}

impl<'a, 'y> Fields<'a, 'y> {
    /// Reads `node` as a mapping whose keys must all be in `allowed`; reports anything else
    /// (deny-unknown-fields semantics) and returns `None` if it is not a mapping at all.
    pub(super) fn read(
        node: &'a Node<'y>,
        path: &str,
        allowed: &[&str],
        problems: &mut Problems,
    ) -> Option<Self> {
        let valid = || Some(format!("valid keys here: {}", allowed.join(", ")));
        let YamlData::Mapping(map) = &node.data else {
            problems.at(
                node,
                path,
                format!("expected a mapping, found {}", describe(node)),
                valid(),
            );
            return None;
        };
        let mut entries = Vec::new();
        for (key_node, value) in map {
            let YamlData::Value(Scalar::String(key)) = &key_node.data else {
                problems.at(key_node, path, "keys must be strings", valid());
                continue;
            };
            if allowed.contains(&key.as_ref()) {
                entries.push((key.to_string(), value));
            } else {
                problems.at(
                    key_node,
                    &key_path(path, key),
                    format!("unknown key `{key}`"),
                    valid(),
                );
            }
        }
        Some(Self {
            node,
            path: path.to_owned(),
            entries,
        })
    }

    /// The value of `key`, `None` when absent or explicitly null.
    pub(super) fn get(&self, key: &str) -> Option<&'a Node<'y>> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)
            .filter(|v| !matches!(v.data, YamlData::Value(Scalar::Null)))
    }

    /// The value of a required `key`; reports its absence at the mapping itself.
    pub(super) fn required(&self, key: &str, problems: &mut Problems) -> Option<&'a Node<'y>> {
        let value = self.get(key);
        if value.is_none() {
            problems.at(
                self.node,
                &self.path,
                format!("missing required key `{key}`"),
                None,
            );
        }
        value
    }

    /// Records a problem located at the mapping itself.
    pub(super) fn report_here(&self, problems: &mut Problems, message: &str, hint: Option<String>) {
        problems.at(self.node, &self.path, message, hint);
    }

    /// The path of `key` under this mapping.
    pub(super) fn path(&self, key: &str) -> String {
        key_path(&self.path, key)
    }
}

/// Reads a string scalar.
pub(super) fn string<'a>(
    node: &'a Node<'_>,
    path: &str,
    problems: &mut Problems,
) -> Option<&'a str> {
    if let YamlData::Value(Scalar::String(s)) = &node.data {
        return Some(s.as_ref());
    }
    problems.at(
        node,
        path,
        format!("expected a string, found {}", describe(node)),
        Some("quote the value".into()),
    );
    None
}

/// Reads a boolean scalar (`true` / `false`).
pub(super) fn boolean(node: &Node<'_>, path: &str, problems: &mut Problems) -> Option<bool> {
    if let YamlData::Value(Scalar::Boolean(b)) = &node.data {
        return Some(*b);
    }
    problems.at(
        node,
        path,
        format!("expected true or false, found {}", describe(node)),
        None,
    );
    None
}

/// Reads an integer scalar.
pub(super) fn integer(node: &Node<'_>, path: &str, problems: &mut Problems) -> Option<i64> {
    if let YamlData::Value(Scalar::Integer(i)) = &node.data {
        return Some(*i);
    }
    problems.at(
        node,
        path,
        format!("expected a number, found {}", describe(node)),
        None,
    );
    None
}

/// Reads a list; each item comes with its path.
pub(super) fn list<'a, 'y>(
    node: &'a Node<'y>,
    path: &str,
    problems: &mut Problems,
) -> Vec<(String, &'a Node<'y>)> {
    let YamlData::Sequence(items) = &node.data else {
        problems.at(
            node,
            path,
            format!("expected a list, found {}", describe(node)),
            Some("write a list as [a, b] or with one `- item` per line".into()),
        );
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| (index_path(path, i), item))
        .collect()
}

/// Reads a scalar through a validating constructor, reporting its rule on failure.
pub(super) fn parsed<T>(
    node: &Node<'_>,
    path: &str,
    problems: &mut Problems,
    parse: impl FnOnce(String) -> Result<T, InvalidValue>,
) -> Option<T> {
    let text = string(node, path, problems)?;
    match parse(text.to_owned()) {
        Ok(value) => Some(value),
        Err(e) => {
            problems.invalid(node, path, &e);
            None
        }
    }
}

/// Reads an account id. An unquoted 12-digit number is accepted as is; a shorter one lost its
/// leading zeros to YAML's integer parsing, so the hint says to quote it.
pub(super) fn account_id(
    node: &Node<'_>,
    path: &str,
    problems: &mut Problems,
) -> Option<crate::domain::AccountId> {
    if let YamlData::Value(Scalar::Integer(i)) = &node.data {
        return match crate::domain::AccountId::new(i.to_string()) {
            Ok(id) => Some(id),
            Err(e) => {
                problems.invalid(node, path, &e);
                None
            }
        };
    }
    parsed(node, path, problems, crate::domain::AccountId::new)
}

/// Reads a list of distinct values, reporting duplicates at their second occurrence.
pub(super) fn distinct_list<T: Ord>(
    node: &Node<'_>,
    path: &str,
    problems: &mut Problems,
    mut read: impl FnMut(&Node<'_>, &str, &mut Problems) -> Option<T>,
) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for (item_path, item) in list(node, path, problems) {
        if let Some(value) = read(item, &item_path, problems) {
            if out.contains(&value) {
                problems.at(
                    item,
                    &item_path,
                    "listed twice",
                    Some("remove the duplicate".into()),
                );
            } else {
                out.push(value);
            }
        }
    }
    out
}
