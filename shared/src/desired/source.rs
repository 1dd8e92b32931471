//! Where a desired entry comes from: each rule behind it with the values that made it apply (the
//! permission set and its captures, the groups filter), so that a plan and an audit record answer
//! "why does this entry look like this?" without a lookup.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::{GroupName, PermissionSetName, RuleName};

/// One rule behind an entry, and how it reached the entry's principal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RuleSource {
    /// The rule.
    pub rule: RuleName,
    /// How the rule reached the principal.
    #[serde(flatten)]
    pub via: RuleVia,
}

/// How a rule reached a principal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum RuleVia {
    /// A `rules:` item, through the SSO role of a permission set assigned in the role's account.
    PermissionSet {
        /// The permission set whose role the entry is for.
        permission_set: PermissionSetName,
        /// What the rule's convention pattern captured from the permission set name (empty for
        /// an exact rule).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        captures: BTreeMap<String, String>,
        /// The rule's `groups` filter with its captures filled in; absent when the rule has none
        /// (it applies wherever the permission set is assigned).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        groups_filter: Option<BTreeSet<GroupName>>,
        /// The groups holding the assignment in the account that the rule is meant for (all of
        /// them without a filter, the filter's matches with one): whose membership gives it.
        #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
        assigned_to: BTreeSet<GroupName>,
    },
    /// A `principals:` item naming the principal itself.
    Principal,
    /// Named by the entry's `eks-sso-sync:rules` tag only: the mapping no longer gives the
    /// principal anything through this rule (the provenance of a removal).
    Recorded,
}

impl RuleSource {
    /// A rule known only from an entry's rules tag.
    pub fn recorded(rule: RuleName) -> Self {
        Self {
            rule,
            via: RuleVia::Recorded,
        }
    }

    /// `payments (EKSTeam-payments: team=payments; groups payments-devs)`, `ci-deploy
    /// (principal)`, `old-rule (recorded on the entry)`: one line for tables and audit reasons.
    pub fn describe(&self) -> String {
        match &self.via {
            RuleVia::PermissionSet {
                permission_set,
                captures,
                assigned_to,
                ..
            } => {
                let mut detail = permission_set.to_string();
                if !captures.is_empty() {
                    let values: Vec<String> =
                        captures.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    detail.push_str(&format!(": {}", values.join(", ")));
                }
                if !assigned_to.is_empty() {
                    let groups: Vec<&str> = assigned_to.iter().map(GroupName::as_str).collect();
                    detail.push_str(&format!("; groups {}", groups.join(", ")));
                }
                format!("{} ({detail})", self.rule)
            }
            RuleVia::Principal => format!("{} (principal)", self.rule),
            RuleVia::Recorded => format!("{} (recorded on the entry)", self.rule),
        }
    }
}

/// The names of the rules `sources` come from, each once, in name order: what an entry's rules
/// tag, a plan line's `(rules …)` and an audit record's `rules` show.
pub fn rule_names(sources: &[RuleSource]) -> BTreeSet<&RuleName> {
    sources.iter().map(|s| &s.rule).collect()
}

/// Sources for the rules `names`, each as a `principals:` rule (tests that care only about the
/// names).
#[cfg(test)]
pub(crate) fn sources_named<const N: usize>(names: [&str; N]) -> Vec<RuleSource> {
    crate::domain::rule_names(names)
        .into_iter()
        .map(|rule| RuleSource {
            rule,
            via: RuleVia::Principal,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> RuleName {
        RuleName::new(s).unwrap()
    }

    #[test]
    fn describes_captures_and_groups_in_one_line() {
        let source = RuleSource {
            rule: name("teams"),
            via: RuleVia::PermissionSet {
                permission_set: PermissionSetName::new("EKSTeam-payments").unwrap(),
                captures: BTreeMap::from([("team".to_owned(), "payments".to_owned())]),
                groups_filter: Some(BTreeSet::from([GroupName::new("payments-devs").unwrap()])),
                assigned_to: BTreeSet::from([GroupName::new("payments-devs").unwrap()]),
            },
        };
        assert_eq!(
            source.describe(),
            "teams (EKSTeam-payments: team=payments; groups payments-devs)"
        );
        let principal = RuleSource {
            rule: name("ci"),
            via: RuleVia::Principal,
        };
        assert_eq!(principal.describe(), "ci (principal)");
        assert_eq!(
            RuleSource::recorded(name("old")).describe(),
            "old (recorded on the entry)"
        );
    }

    #[test]
    fn serializes_flat_with_the_route_as_a_tag() {
        let source = RuleSource {
            rule: name("admins"),
            via: RuleVia::PermissionSet {
                permission_set: PermissionSetName::new("Admin").unwrap(),
                captures: BTreeMap::new(),
                groups_filter: None,
                assigned_to: BTreeSet::new(),
            },
        };
        let json = serde_json::to_value(&source).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"rule": "admins", "via": "permission_set", "permission_set": "Admin"})
        );
        let back: RuleSource = serde_json::from_value(json).unwrap();
        assert_eq!(back, source);
    }
}
