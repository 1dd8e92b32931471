//! Cluster selectors: which clusters the mapping manages at all, and which a rule applies to.

use std::collections::{BTreeMap, BTreeSet};

use saphyr::{Scalar, YamlData};

use super::pattern::Glob;
use super::yaml::{self, Fields, Node, Problems};
use crate::domain::{AccountId, ClusterInfo, Region};

/// Selects clusters; every field given must match (an empty selector matches every cluster).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterSelector {
    /// Glob on the cluster name.
    pub name: Option<Glob>,
    /// Tag key → glob on its value; the cluster must carry every key.
    pub tags: BTreeMap<String, Glob>,
    /// The cluster's account must be one of these.
    pub accounts: Option<BTreeSet<AccountId>>,
    /// The cluster's region must be one of these.
    pub regions: Option<BTreeSet<Region>>,
}

impl ClusterSelector {
    /// Whether `cluster` satisfies every condition of this selector.
    pub fn matches(&self, cluster: &ClusterInfo) -> bool {
        let at = &cluster.cluster;
        self.name
            .as_ref()
            .is_none_or(|g| g.matches(at.name.as_str()))
            && self
                .tags
                .iter()
                .all(|(k, g)| cluster.tags.get(k).is_some_and(|v| g.matches(v)))
            && self
                .accounts
                .as_ref()
                .is_none_or(|a| a.contains(&at.account))
            && self.regions.as_ref().is_none_or(|r| r.contains(&at.region))
    }
}

/// The mapping's global `clusters:` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterScope {
    /// A cluster must match one of these; `None` (the key absent) means every cluster, while an
    /// empty list means none.
    pub include: Option<Vec<ClusterSelector>>,
    /// A cluster matching any of these is never managed, even if included.
    pub exclude: Vec<ClusterSelector>,
}

impl ClusterScope {
    /// Whether the include/exclude selectors pick `cluster`.
    pub fn selects(&self, cluster: &ClusterInfo) -> bool {
        let included = self
            .include
            .as_ref()
            .is_none_or(|list| list.iter().any(|s| s.matches(cluster)));
        included && !self.exclude.iter().any(|s| s.matches(cluster))
    }
}

const SELECTOR_KEYS: &[&str] = &["name", "tags", "accounts", "regions"];

/// Reads a selector mapping.
pub(super) fn read_selector(
    node: &Node<'_>,
    path: &str,
    problems: &mut Problems,
) -> ClusterSelector {
    let Some(fields) = Fields::read(node, path, SELECTOR_KEYS, problems) else {
        return ClusterSelector::default();
    };
    let name = fields
        .get("name")
        .and_then(|n| yaml::string(n, &fields.path("name"), problems))
        .map(Glob::new);
    let tags = fields
        .get("tags")
        .map(|n| read_tags(n, &fields.path("tags"), problems))
        .unwrap_or_default();
    let accounts = fields.get("accounts").map(|n| {
        yaml::distinct_list(n, &fields.path("accounts"), problems, yaml::account_id)
            .into_iter()
            .collect()
    });
    let regions = fields.get("regions").map(|n| {
        yaml::distinct_list(n, &fields.path("regions"), problems, |n, p, pr| {
            yaml::parsed(n, p, pr, Region::new)
        })
        .into_iter()
        .collect()
    });
    ClusterSelector {
        name,
        tags,
        accounts,
        regions,
    }
}

/// Reads `tags: { key: value-glob }`. Unquoted `true` or `42` are taken as the text they spell,
/// since tag values are always strings on AWS.
fn read_tags(node: &Node<'_>, path: &str, problems: &mut Problems) -> BTreeMap<String, Glob> {
    let mut tags = BTreeMap::new();
    let YamlData::Mapping(map) = &node.data else {
        problems.at(
            node,
            path,
            format!(
                "expected a mapping of tag keys to values, found {}",
                yaml::describe(node)
            ),
            Some("write tags as { key: value }".into()),
        );
        return tags;
    };
    for (key_node, value) in map {
        let Some(key) = yaml::string(key_node, path, problems) else {
            continue;
        };
        let value_path = yaml::key_path(path, key);
        let text = match &value.data {
            YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
            YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
            YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
            _ => yaml::string(value, &value_path, problems).map(str::to_owned),
        };
        if let Some(text) = text {
            tags.insert(key.to_owned(), Glob::new(text));
        }
    }
    tags
}

/// Reads the global `clusters: { include, exclude }` section.
pub(super) fn read_scope(node: &Node<'_>, path: &str, problems: &mut Problems) -> ClusterScope {
    let Some(fields) = Fields::read(node, path, &["include", "exclude"], problems) else {
        return ClusterScope::default();
    };
    let read_list = |key: &str, problems: &mut Problems| {
        fields.get(key).map(|n| {
            yaml::list(n, &fields.path(key), problems)
                .into_iter()
                .map(|(p, item)| read_selector(item, &p, problems))
                .collect::<Vec<_>>()
        })
    };
    let include = read_list("include", problems);
    let exclude = read_list("exclude", problems).unwrap_or_default();
    ClusterScope { include, exclude }
}
