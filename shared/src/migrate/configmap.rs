//! Reading an `aws-auth` ConfigMap in every shape people have one in: the whole ConfigMap (YAML
//! or JSON, as `kubectl get -o yaml|json` prints it, metadata and `managedFields` ignored), a bare
//! `data:` block, a bare `mapRoles:`/`mapUsers:` fragment at any indentation, or a bare list of
//! entries. `mapRoles` and `mapUsers` are YAML documents embedded as strings, so they are parsed
//! a second time; a list that does not parse is reported (at its position in the file) and the
//! other lists are still read. Only a file that is not YAML at all fails the import.

use serde_yaml_ng::{Mapping as YamlMap, Value};

use super::entries::{AuthEntry, Section, read_entry, section_of};
use super::position::{block_start, split_yaml_error};
use super::{ImportError, Untranslated};

/// The ConfigMap keys the import reads.
const LIST_KEYS: [&str; 3] = ["mapRoles", "mapUsers", "mapAccounts"];

/// The parts of an `aws-auth` ConfigMap the import reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct AwsAuth {
    /// `mapRoles` then `mapUsers` entries that could be read, each list in file order.
    pub entries: Vec<AuthEntry>,
    /// `mapAccounts` items (every IAM principal of an account), which access entries cannot express.
    pub map_accounts: Vec<String>,
    /// Lists and entries that could not be read, each with the reason.
    pub unreadable: Vec<Untranslated>,
    /// How many entries the lists hold (read or not), so the report can account for each.
    pub entry_count: usize,
}

/// Parses the ConfigMap text; `origin` (a file name, or `cluster/kube-system/aws-auth`) prefixes
/// every position.
pub(super) fn parse(text: &str, origin: &str) -> Result<AwsAuth, ImportError> {
    let root = first_document(text, origin)?;
    let mut auth = AwsAuth::default();
    match &root {
        Value::Sequence(items) => read_list(&mut auth, None, items),
        Value::Mapping(map) => {
            let data = lists_of(map)?;
            for key in LIST_KEYS {
                read_key(&mut auth, data, key, text, origin);
            }
        }
        other => {
            return Err(ImportError::NotAConfigMap(format!(
                "{}, not a ConfigMap, a data: block or a list of entries",
                value_kind(other)
            )));
        }
    }
    Ok(auth)
}

/// The first YAML document of `text` that is not empty (a file may hold several, `---`-separated).
fn first_document(text: &str, origin: &str) -> Result<Value, ImportError> {
    use serde::Deserialize as _;
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let value = Value::deserialize(document).map_err(|e| not_yaml(&e, origin))?;
        if !value.is_null() {
            return Ok(value);
        }
    }
    Err(ImportError::NoData)
}

fn not_yaml(error: &serde_yaml_ng::Error, origin: &str) -> ImportError {
    let (message, position) = split_yaml_error(error);
    let at = position.map_or_else(|| origin.to_owned(), |p| format!("{origin}:{p}"));
    ImportError::NotYaml(format!("{at}: {message}"))
}

/// The mapping holding `mapRoles`/`mapUsers`/`mapAccounts`: `data` of a ConfigMap, or the root
/// itself for a bare `data:` content or fragment.
fn lists_of(root: &YamlMap) -> Result<&YamlMap, ImportError> {
    if let Some(kind) = root.get("kind") {
        if kind.as_str() != Some("ConfigMap") {
            return Err(ImportError::NotAConfigMap(format!(
                "kind {}",
                scalar_text(kind)
            )));
        }
    }
    let holder = match root.get("data") {
        Some(Value::Mapping(data)) => data,
        _ => root,
    };
    if LIST_KEYS.iter().any(|k| holder.contains_key(*k)) {
        Ok(holder)
    } else {
        Err(ImportError::NoData)
    }
}

/// Reads `data.<key>` into `auth`; a value that cannot be read is reported, never fatal.
fn read_key(auth: &mut AwsAuth, data: &YamlMap, key: &'static str, text: &str, origin: &str) {
    let items = match data.get(key) {
        None | Some(Value::Null) => return,
        Some(Value::String(inner)) => match embedded_list(inner, key, text, origin) {
            Ok(items) => items,
            Err(reason) => {
                auth.unreadable.push(Untranslated {
                    entry: key.to_owned(),
                    reason,
                });
                return;
            }
        },
        // Kubernetes stores ConfigMap values as strings, so the API would refuse this; the
        // intent is still clear, and reading it costs nothing.
        Some(Value::Sequence(items)) => items.clone(),
        Some(other) => {
            let reason = format!(
                "expected a string holding a YAML list (write it as a `|` block), found {}; no \
                 entry could be read from {key}",
                value_kind(other)
            );
            auth.unreadable.push(Untranslated {
                entry: key.to_owned(),
                reason,
            });
            return;
        }
    };
    if key == "mapAccounts" {
        auth.map_accounts.extend(items.iter().map(scalar_text));
    } else {
        let section = if key == "mapRoles" {
            Section::MapRoles
        } else {
            Section::MapUsers
        };
        read_list(auth, Some(section), &items);
    }
}

/// The list embedded in a ConfigMap string, or why not (with the position in the file).
fn embedded_list(inner: &str, key: &str, text: &str, origin: &str) -> Result<Vec<Value>, String> {
    let value = serde_yaml_ng::from_str::<Value>(inner).map_err(|e| {
        let (message, position) = split_yaml_error(&e);
        let at = match (block_start(text, key), position) {
            (Some(start), Some(p)) => start.describe(origin, p),
            (None, Some(p)) => format!("{origin} (line {} of {key})", p.line),
            (_, None) => origin.to_owned(),
        };
        format!(
            "{key} is not valid YAML at {at}: {message}; no entry could be read from {key} \
             (the other lists are still imported)"
        )
    })?;
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Sequence(items) => Ok(items),
        other => Err(format!(
            "{key} must hold a YAML list of entries (each starting with `- `), found {}; no \
             entry could be read from {key}",
            value_kind(&other)
        )),
    }
}

/// Reads the entries of one list; `section` is `None` for a bare list, where each entry's key
/// (`rolearn` or `userarn`) says which list it belongs to.
fn read_list(auth: &mut AwsAuth, section: Option<Section>, items: &[Value]) {
    let mut next = [0usize; 2];
    for item in items {
        let section = section.unwrap_or_else(|| section_of(item));
        let slot = &mut next[section as usize];
        let index = *slot;
        *slot += 1;
        auth.entry_count += 1;
        match read_entry(section, index, item) {
            Ok(entry) => auth.entries.push(entry),
            Err(problem) => auth.unreadable.push(problem),
        }
    }
}

/// A scalar as text (for kinds, account ids and keys); other values by their kind.
pub(super) fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => value_kind(other).to_owned(),
    }
}

/// A YAML value's kind, for messages.
pub(super) fn value_kind(value: &Value) -> &'static str {
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
