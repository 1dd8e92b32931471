//! Writing the translated rules as a complete mapping file: deterministic rule names, a comment
//! naming the aws-auth entries behind each rule, and options safe for a first migration.
//! Values go through `serde_yaml_ng` so quoting is always right (account ids stay strings).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::translate::{Draft, RuleKey};
use super::{ImportError, ImportSettings, RBAC_ONLY_NAMESPACE};
use crate::domain::{AccountId, MAX_RULE_NAME_LEN as MAX_RULE_NAME, PrincipalKind, Region};

/// Names every rule: `sso-<permission set>`, `principal-<role>` or `user-<user>`, lowercased,
/// with characters a rule name cannot hold turned into `-`, and `-2`, `-3`… on collisions.
pub(super) fn name_rules(drafts: &BTreeMap<RuleKey, Draft>) -> BTreeMap<RuleKey, String> {
    let mut taken = BTreeSet::new();
    drafts
        .keys()
        .map(|key| {
            let base = match key {
                RuleKey::PermissionSet(ps) => format!("sso-{ps}"),
                RuleKey::Principal(arn) if arn.kind() == PrincipalKind::User => {
                    format!("user-{}", arn.name())
                }
                RuleKey::Principal(arn) => format!("principal-{}", arn.name()),
            };
            (key.clone(), unique_name(&sanitize(&base), &mut taken))
        })
        .collect()
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '-' | '_' | '.') => c,
            _ => '-',
        })
        .collect()
}

fn unique_name(base: &str, taken: &mut BTreeSet<String>) -> String {
    let mut n = 1usize;
    loop {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("-{n}")
        };
        let mut name: String = base.chars().take(MAX_RULE_NAME - suffix.len()).collect();
        name.push_str(&suffix);
        if taken.insert(name.clone()) {
            return name;
        }
        n += 1;
    }
}

#[derive(Serialize)]
struct Head<'a> {
    version: u32,
    identity_center: IdentityCenter<'a>,
    accounts: Vec<Account<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clusters: Option<Clusters<'a>>,
}

#[derive(Serialize)]
struct IdentityCenter<'a> {
    region: &'a str,
}

#[derive(Serialize)]
struct Account<'a> {
    id: &'a str,
    regions: Vec<&'a str>,
}

#[derive(Serialize)]
struct Clusters<'a> {
    include: Vec<NameSelector<'a>>,
}

#[derive(Serialize)]
struct NameSelector<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct RuleItem<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    permission_set: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    kubernetes_groups: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    access_policies: Vec<PolicyItem>,
}

#[derive(Serialize)]
struct PolicyItem {
    policy: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespaces: Option<Vec<&'static str>>,
}

const HEADER: &str = "\
# eks-sso-sync mapping generated from an aws-auth ConfigMap by `eks-sso-sync import-aws-auth`.
# Review it with `eks-sso-sync plan` before applying, and read the import report: it lists the
# entries that could not be translated, and why. Node roles are left to EKS.
";

const OPTIONS: &str = "\
options:
  # prune: false for a first migration. While aws-auth and access entries coexist, a rule removed
  # or narrowed by mistake would delete access at once; with prune off it only stops being
  # maintained. Turn it on once the migration is verified.
  prune: false
  # An existing access entry for a principal of a rule is reported, not taken over.
  adopt_existing: false
  # CONFIG_MAP clusters take no access entries: switch them to API_AND_CONFIG_MAP (one-way) by
  # hand or with this option once the plan looks right.
  switch_auth_mode: false
  remove_creator_admin: false
";

/// The whole mapping file.
pub(super) fn mapping_yaml(
    settings: &ImportSettings,
    accounts: &BTreeSet<AccountId>,
    drafts: &BTreeMap<RuleKey, Draft>,
    names: &BTreeMap<RuleKey, String>,
) -> Result<String, ImportError> {
    let regions = distinct_regions(&settings.regions);
    let head = Head {
        version: 1,
        identity_center: IdentityCenter {
            region: settings.identity_center_region.as_str(),
        },
        accounts: accounts
            .iter()
            .map(|id| Account {
                id: id.as_str(),
                regions: regions.clone(),
            })
            .collect(),
        clusters: (!settings.clusters.is_empty()).then(|| Clusters {
            include: settings
                .clusters
                .iter()
                .map(|c| NameSelector { name: c.as_str() })
                .collect(),
        }),
    };
    let mut out = HEADER.to_owned();
    out.push_str(&to_yaml(&head)?);
    let (sso, principals): (Vec<_>, Vec<_>) = drafts
        .iter()
        .partition(|(key, _)| matches!(key, RuleKey::PermissionSet(_)));
    for (section, items) in [("rules", sso), ("principals", principals)] {
        if items.is_empty() {
            continue;
        }
        out.push_str(&format!("{section}:\n"));
        for (key, draft) in items {
            let name = names.get(key).map(String::as_str).unwrap_or_default();
            out.push_str(&rule_yaml(key, draft, name)?);
        }
    }
    out.push_str(OPTIONS);
    Ok(out)
}

/// One `rules:` / `principals:` item, preceded by comments naming its sources.
fn rule_yaml(key: &RuleKey, draft: &Draft, name: &str) -> Result<String, ImportError> {
    let access = &draft.access;
    let mut policies = Vec::new();
    if access.cluster_admin {
        policies.push(PolicyItem {
            policy: "AmazonEKSClusterAdminPolicy",
            scope: Some("cluster"),
            namespaces: None,
        });
    } else {
        // The mapping insists on an access policy; this one is scoped to a namespace nobody
        // creates, so the rule grants exactly what aws-auth did: its Kubernetes groups.
        policies.push(PolicyItem {
            policy: "AmazonEKSViewPolicy",
            scope: None,
            namespaces: Some(vec![RBAC_ONLY_NAMESPACE]),
        });
    }
    let (permission_set, principal) = match key {
        RuleKey::PermissionSet(ps) => (Some(ps.as_str()), None),
        RuleKey::Principal(arn) => (None, Some(arn.as_str())),
    };
    let item = RuleItem {
        name,
        permission_set,
        principal,
        kubernetes_groups: access
            .kubernetes_groups
            .iter()
            .map(|g| g.as_str())
            .collect(),
        username: access.username.as_ref().map(|u| u.as_str()),
        access_policies: policies,
    };
    let mut out = String::new();
    for source in &draft.sources {
        out.push_str(&comment(&format!("from {source}")));
    }
    if !access.cluster_admin {
        out.push_str(&comment(
            "RBAC-only: access comes from kubernetes_groups through the cluster's RBAC bindings;",
        ));
        out.push_str(&comment(
            "the View policy's namespace does not exist (a mapping rule needs a policy).",
        ));
    }
    out.push_str(&to_yaml(&[item])?);
    Ok(out)
}

/// A YAML comment line; a line break in the text cannot escape it.
fn comment(text: &str) -> String {
    format!("# {}\n", text.replace(['\n', '\r'], " "))
}

fn distinct_regions(regions: &[Region]) -> Vec<&str> {
    let mut seen = BTreeSet::new();
    regions
        .iter()
        .filter(|r| seen.insert(*r))
        .map(Region::as_str)
        .collect()
}

fn to_yaml<T: Serialize + ?Sized>(value: &T) -> Result<String, ImportError> {
    serde_yaml_ng::to_string(value).map_err(|e| ImportError::Render(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PermissionSetName, PrincipalArn};

    fn draft() -> Draft {
        Draft {
            access: Default::default(),
            sources: vec![],
        }
    }

    #[test]
    fn rule_names_are_sanitized_unique_and_short_enough() {
        let long = "r".repeat(64);
        let keys = [
            RuleKey::PermissionSet(PermissionSetName::new("Admin+Ops@Team").unwrap()),
            RuleKey::Principal(
                PrincipalArn::new("arn:aws:iam::111122223333:role/a/Deployer").unwrap(),
            ),
            RuleKey::Principal(
                PrincipalArn::new("arn:aws:iam::222222222222:role/Deployer").unwrap(),
            ),
            RuleKey::Principal(
                PrincipalArn::new(format!("arn:aws:iam::111122223333:role/{long}")).unwrap(),
            ),
            RuleKey::Principal(PrincipalArn::new("arn:aws:iam::111122223333:user/alice").unwrap()),
        ];
        let drafts: BTreeMap<RuleKey, Draft> = keys.iter().map(|k| (k.clone(), draft())).collect();
        let names = name_rules(&drafts);
        assert_eq!(names[&keys[0]], "sso-admin-ops-team");
        // Ordered by ARN: the account 1111… role is named first.
        assert_eq!(names[&keys[1]], "principal-deployer");
        assert_eq!(names[&keys[2]], "principal-deployer-2");
        assert_eq!(names[&keys[3]].len(), MAX_RULE_NAME);
        assert_eq!(names[&keys[4]], "user-alice");
    }

    #[test]
    fn comments_cannot_break_out_of_their_line() {
        assert_eq!(comment("a\nb: c"), "# a b: c\n");
    }
}
