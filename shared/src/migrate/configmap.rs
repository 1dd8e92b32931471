//! Reading an `aws-auth` ConfigMap as `kubectl get configmap aws-auth -n kube-system -o yaml`
//! prints it: `data.mapRoles` and `data.mapUsers` are YAML lists embedded as *strings* in the
//! ConfigMap, so the document is parsed twice. Structural problems are errors naming the list,
//! the entry index and the field; what the entries *mean* is judged later.

use serde_yaml_ng::{Mapping as YamlMap, Value};

use super::ImportError;

/// The list of the ConfigMap an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Section {
    /// `data.mapRoles`: IAM roles (`rolearn`).
    MapRoles,
    /// `data.mapUsers`: IAM users (`userarn`).
    MapUsers,
}

impl Section {
    /// The key under `data`.
    pub(super) fn key(self) -> &'static str {
        match self {
            Self::MapRoles => "mapRoles",
            Self::MapUsers => "mapUsers",
        }
    }

    /// The field holding the principal ARN.
    fn arn_field(self) -> &'static str {
        match self {
            Self::MapRoles => "rolearn",
            Self::MapUsers => "userarn",
        }
    }
}

/// One `mapRoles` / `mapUsers` entry, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AuthEntry {
    /// Which list it is in.
    pub section: Section,
    /// Its 0-based position in that list.
    pub index: usize,
    /// `rolearn` / `userarn`, verbatim (usually path-stripped, as aws-auth required).
    pub arn: String,
    /// `username`, verbatim (may hold `{{SessionName}}`-style templates).
    pub username: Option<String>,
    /// `groups`, verbatim.
    pub groups: Vec<String>,
    /// Keys aws-auth does not know (it ignored them, and so does the import).
    pub unknown_keys: Vec<String>,
}

impl AuthEntry {
    /// How the report names the entry: `mapRoles[2] arn:aws:iam::…:role/…`.
    pub(super) fn label(&self) -> String {
        format!("{}[{}] {}", self.section.key(), self.index, self.arn)
    }
}

/// The parts of an `aws-auth` ConfigMap the import reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct AwsAuth {
    /// `mapRoles` then `mapUsers` entries, each list in file order.
    pub entries: Vec<AuthEntry>,
    /// `mapAccounts` items (every IAM principal of an account), which access entries cannot express.
    pub map_accounts: Vec<String>,
}

/// Parses the ConfigMap text (YAML or JSON).
pub(super) fn parse(text: &str) -> Result<AwsAuth, ImportError> {
    let root: Value =
        serde_yaml_ng::from_str(text).map_err(|e| ImportError::NotYaml(e.to_string()))?;
    let root = root
        .as_mapping()
        .ok_or_else(|| ImportError::NotAConfigMap("a document that is not a mapping".into()))?;
    if let Some(kind) = root.get("kind") {
        if kind.as_str() != Some("ConfigMap") {
            return Err(ImportError::NotAConfigMap(format!(
                "kind {}",
                scalar_text(kind)
            )));
        }
    }
    let data = root
        .get("data")
        .and_then(Value::as_mapping)
        .ok_or(ImportError::NoData)?;
    let known = ["mapRoles", "mapUsers", "mapAccounts"];
    if !known.iter().any(|k| data.contains_key(*k)) {
        return Err(ImportError::NoData);
    }
    let mut auth = AwsAuth::default();
    for section in [Section::MapRoles, Section::MapUsers] {
        for (index, item) in embedded_list(data, section.key())?.iter().enumerate() {
            auth.entries.push(read_entry(section, index, item)?);
        }
    }
    auth.map_accounts = embedded_list(data, "mapAccounts")?
        .iter()
        .map(scalar_text)
        .collect();
    Ok(auth)
}

/// The YAML list held as a string in `data.<key>`; empty when the key is absent or blank.
fn embedded_list(data: &YamlMap, key: &'static str) -> Result<Vec<Value>, ImportError> {
    let err = |message: String| ImportError::EmbeddedList { key, message };
    let text = match data.get(key) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(text)) => text,
        Some(_) => {
            return Err(err(
                "must be a string holding a YAML list (ConfigMap data values are strings; \
                 write it as a `|` block)"
                    .into(),
            ));
        }
    };
    match serde_yaml_ng::from_str::<Value>(text).map_err(|e| err(e.to_string()))? {
        Value::Null => Ok(Vec::new()),
        Value::Sequence(items) => Ok(items),
        other => Err(err(format!(
            "expected a list of entries, found {}",
            value_kind(&other)
        ))),
    }
}

/// Where an entry is, to name it in errors.
#[derive(Clone, Copy)]
struct At {
    key: &'static str,
    index: usize,
}

impl At {
    fn error(self, field: &str, message: String) -> ImportError {
        ImportError::Entry {
            key: self.key,
            index: self.index,
            field: field.to_owned(),
            message,
        }
    }
}

/// Reads one entry, rejecting a missing ARN and fields of the wrong shape.
fn read_entry(section: Section, index: usize, item: &Value) -> Result<AuthEntry, ImportError> {
    let at = At {
        key: section.key(),
        index,
    };
    let map = item.as_mapping().ok_or_else(|| ImportError::EntryShape {
        key: at.key,
        index,
        found: value_kind(item),
    })?;
    let arn_field = section.arn_field();
    let unknown_keys = map
        .keys()
        .map(scalar_text)
        .filter(|k| ![arn_field, "username", "groups"].contains(&k.as_str()))
        .collect();
    Ok(AuthEntry {
        section,
        index,
        arn: read_arn(map, arn_field, at)?,
        username: read_username(map, at)?,
        groups: read_groups(map, at)?,
        unknown_keys,
    })
}

fn read_arn(map: &YamlMap, field: &str, at: At) -> Result<String, ImportError> {
    match map.get(field) {
        Some(Value::String(arn)) if !arn.trim().is_empty() => Ok(arn.trim().to_owned()),
        Some(Value::String(_)) => Err(at.error(field, "is empty".into())),
        Some(other) => {
            let found = value_kind(other);
            Err(at.error(field, format!("expected an ARN, found {found}")))
        }
        None => {
            let message = format!("missing: every {} entry names its principal", at.key);
            Err(at.error(field, message))
        }
    }
}

fn read_username(map: &YamlMap, at: At) -> Result<Option<String>, ImportError> {
    match map.get("username") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(name)) => Ok(Some(name.clone())),
        Some(other) => {
            let found = value_kind(other);
            Err(at.error("username", format!("expected a string, found {found}")))
        }
    }
}

fn read_groups(map: &YamlMap, at: At) -> Result<Vec<String>, ImportError> {
    match map.get("groups") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(items)) => items
            .iter()
            .enumerate()
            .map(|(i, group)| match group {
                Value::String(group) => Ok(group.clone()),
                other => Err(at.error(
                    &format!("groups[{i}]"),
                    format!("expected a group name, found {}", value_kind(other)),
                )),
            })
            .collect(),
        Some(other) => {
            let found = value_kind(other);
            Err(at.error("groups", format!("expected a list, found {found}")))
        }
    }
}

/// A scalar as text (for kinds, account ids and keys); other values by their kind.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => value_kind(other).to_owned(),
    }
}

/// A YAML value's kind, for messages.
fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}
