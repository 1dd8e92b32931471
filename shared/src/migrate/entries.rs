//! One `mapRoles` / `mapUsers` entry as written. The authenticator reads the lists with Go's
//! case-insensitive JSON field matching, so `rolearn`, `roleARN` and `RoleArn` are one key, and
//! so are `userarn` and `userARN`. An entry that cannot be read is reported with the field and
//! the fix; it never stops the other entries from being read.

use serde_yaml_ng::{Mapping as YamlMap, Value};

use super::Untranslated;
use super::configmap::{scalar_text, value_kind};

/// The list of the ConfigMap an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Section {
    /// `data.mapRoles`: IAM roles (`rolearn`).
    MapRoles = 0,
    /// `data.mapUsers`: IAM users (`userarn`).
    MapUsers = 1,
}

impl Section {
    /// The key under `data`.
    pub(super) fn key(self) -> &'static str {
        match self {
            Self::MapRoles => "mapRoles",
            Self::MapUsers => "mapUsers",
        }
    }

    /// The field holding the principal ARN, lowercased.
    fn arn_field(self) -> &'static str {
        match self {
            Self::MapRoles => "rolearn",
            Self::MapUsers => "userarn",
        }
    }

    fn other(self) -> Self {
        match self {
            Self::MapRoles => Self::MapUsers,
            Self::MapUsers => Self::MapRoles,
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
    /// `rolearn` / `userarn`, trimmed (usually path-stripped, as aws-auth required).
    pub arn: String,
    /// `username`, verbatim (may hold `{{SessionName}}`-style templates).
    pub username: Option<String>,
    /// `groups`, verbatim.
    pub groups: Vec<String>,
    /// Keys aws-auth does not know (it ignored them, and so does the import).
    pub unknown_keys: Vec<String>,
    /// The ConfigMap it comes from, when several are imported together.
    pub origin: Option<String>,
}

impl AuthEntry {
    /// How the report names the entry: `mapRoles[2] arn:aws:iam::…:role/…`, prefixed by its
    /// origin when several ConfigMaps are imported together.
    pub(super) fn label(&self) -> String {
        let at = format!("{} {}", slot(self.section, self.index), self.arn);
        match &self.origin {
            Some(origin) => format!("{origin} {at}"),
            None => at,
        }
    }
}

/// `mapRoles[2]`.
pub(super) fn slot(section: Section, index: usize) -> String {
    format!("{}[{index}]", section.key())
}

/// The list an entry of a bare list belongs to: `userarn` makes it a `mapUsers` entry.
pub(super) fn section_of(item: &Value) -> Section {
    let has_user_arn = item.as_mapping().is_some_and(|m| {
        m.keys()
            .any(|k| scalar_text(k).eq_ignore_ascii_case("userarn"))
    });
    if has_user_arn {
        Section::MapUsers
    } else {
        Section::MapRoles
    }
}

/// Reads one entry, or the reason it cannot be read.
pub(super) fn read_entry(
    section: Section,
    index: usize,
    item: &Value,
) -> Result<AuthEntry, Untranslated> {
    let at = slot(section, index);
    let problem = |field: &str, reason: String| Untranslated {
        entry: at.clone(),
        reason: format!("{field}: {reason}"),
    };
    let Some(map) = item.as_mapping() else {
        return Err(Untranslated {
            entry: at.clone(),
            reason: format!(
                "expected a mapping with {}, username and groups; found {}",
                section.arn_field(),
                value_kind(item)
            ),
        });
    };
    let fields = Fields::new(map);
    let arn = read_arn(&fields, section).map_err(|r| problem(section.arn_field(), r))?;
    let label = Untranslated {
        entry: format!("{at} {arn}"),
        reason: String::new(),
    };
    let with_label = |field: &str, reason: String| Untranslated {
        reason: format!("{field}: {reason}"),
        ..label.clone()
    };
    let username = read_username(&fields).map_err(|r| with_label("username", r))?;
    let groups = read_groups(&fields).map_err(|r| with_label("groups", r))?;
    let known = [section.arn_field(), "username", "groups"];
    let unknown_keys = fields
        .keys
        .iter()
        .filter(|(lower, _)| !known.contains(&lower.as_str()))
        .map(|(_, original)| original.clone())
        .collect();
    Ok(AuthEntry {
        section,
        index,
        arn,
        username,
        groups,
        unknown_keys,
        origin: None,
    })
}

/// An entry's keys, matched case-insensitively as the authenticator matches them.
struct Fields<'a> {
    map: &'a YamlMap,
    /// `(lowercased, as written)` of every key.
    keys: Vec<(String, String)>,
}

impl<'a> Fields<'a> {
    fn new(map: &'a YamlMap) -> Self {
        let keys = map
            .keys()
            .map(|k| {
                let text = scalar_text(k);
                (text.to_ascii_lowercase(), text)
            })
            .collect();
        Self { map, keys }
    }

    /// The value of the first key equal to `lower` whatever its case.
    fn get(&self, lower: &str) -> Option<&'a Value> {
        self.map
            .iter()
            .find(|(k, _)| scalar_text(k).eq_ignore_ascii_case(lower))
            .map(|(_, v)| v)
    }
}

fn read_arn(fields: &Fields<'_>, section: Section) -> Result<String, String> {
    match fields.get(section.arn_field()) {
        Some(Value::String(arn)) if !arn.trim().is_empty() => Ok(arn.trim().to_owned()),
        Some(Value::String(_)) => Err("is empty".into()),
        Some(other) => Err(format!("expected an ARN, found {}", value_kind(other))),
        None if fields.get(section.other().arn_field()).is_some() => Err(format!(
            "missing; the entry has {} instead: move it to {}",
            section.other().arn_field(),
            section.other().key()
        )),
        None => Err(format!(
            "missing: every {} entry names its principal ({}: arn:aws:iam::<account>:{}/<name>)",
            section.key(),
            section.arn_field(),
            match section {
                Section::MapRoles => "role",
                Section::MapUsers => "user",
            }
        )),
    }
}

fn read_username(fields: &Fields<'_>) -> Result<Option<String>, String> {
    match fields.get("username") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(name)) => Ok(Some(name.clone())),
        Some(other) => Err(format!("expected a string, found {}", value_kind(other))),
    }
}

fn read_groups(fields: &Fields<'_>) -> Result<Vec<String>, String> {
    match fields.get("groups") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(items)) => items
            .iter()
            .enumerate()
            .map(|(i, group)| match group {
                Value::String(group) => Ok(group.clone()),
                other => Err(format!(
                    "item {i}: expected a group name, found {}",
                    value_kind(other)
                )),
            })
            .collect(),
        Some(other) => Err(format!(
            "expected a list of group names (`groups: [a, b]` or one `- a` per line), found {} \
             ({}); the authenticator could not read this entry either",
            value_kind(other),
            scalar_text(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(yaml: &str) -> Result<AuthEntry, Untranslated> {
        let value: Value = serde_yaml_ng::from_str(yaml).unwrap();
        read_entry(section_of(&value), 0, &value)
    }

    #[test]
    fn camel_case_keys_are_the_same_keys() {
        let e =
            entry("roleARN: arn:aws:iam::111122223333:role/a\nUsername: x\nGroups: [g]\n").unwrap();
        assert_eq!(e.arn, "arn:aws:iam::111122223333:role/a");
        assert_eq!(e.username.as_deref(), Some("x"));
        assert_eq!(e.groups, ["g"]);
        assert!(e.unknown_keys.is_empty());
        let u = entry("userARN: arn:aws:iam::111122223333:user/b\n").unwrap();
        assert_eq!(u.section, Section::MapUsers);
    }

    #[test]
    fn a_bad_field_names_the_entry_and_the_field() {
        let groups = entry("rolearn: arn:aws:iam::1:role/a\ngroups: ...\n").unwrap_err();
        assert_eq!(groups.entry, "mapRoles[0] arn:aws:iam::1:role/a");
        assert!(
            groups.reason.starts_with("groups: expected a list"),
            "{}",
            groups.reason
        );
        let missing = entry("username: x\n").unwrap_err();
        assert_eq!(missing.entry, "mapRoles[0]");
        assert!(
            missing.reason.starts_with("rolearn: missing"),
            "{}",
            missing.reason
        );
        let value: Value = serde_yaml_ng::from_str("rolearn: arn:aws:iam::1:user/a").unwrap();
        let wrong_list = read_entry(Section::MapUsers, 1, &value).unwrap_err();
        assert!(
            wrong_list.reason.contains("move it to mapRoles"),
            "{}",
            wrong_list.reason
        );
    }
}
