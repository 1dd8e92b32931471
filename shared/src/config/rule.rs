//! Mapping rules: who (a permission set, possibly by convention pattern, or an explicit IAM
//! principal) gets which access policies, Kubernetes groups and username, on which clusters.

use std::collections::{BTreeMap, BTreeSet};

use super::pattern::{CaptureCase, Captures, PermissionSetMatcher, Template};
use super::selector::{ClusterSelector, read_selector};
use super::yaml::{self, Fields, Node, Problems};
use crate::domain::{
    AccessScope, GroupName, InvalidValue, KubernetesGroup, NamespacePattern, PolicyArn,
    PrincipalArn, Username,
};

/// The access an entry gets from one rule, with every capture filled in and validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    /// Kubernetes groups.
    pub kubernetes_groups: BTreeSet<KubernetesGroup>,
    /// Username, when the rule sets one.
    pub username: Option<Username>,
    /// Policy → scope.
    pub policies: BTreeMap<PolicyArn, AccessScope>,
}

/// Where a rule's policy applies, before captures are filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantScope {
    /// The whole cluster.
    Cluster,
    /// These namespaces (templates; captures are lowercased when substituted).
    Namespaces(Vec<Template>),
}

/// One `access_policies` item of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyGrant {
    /// The policy (always one meant for people).
    pub policy: PolicyArn,
    /// Its scope.
    pub scope: GrantScope,
}

/// A `rules:` item: access for the SSO role(s) of a permission set.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique among rules and principals; recorded on the entries it produces.
    pub name: String,
    /// The permission set, exactly or by convention pattern.
    pub permission_set: PermissionSetMatcher,
    /// Only accounts where one of these groups holds the assignment (`None`: any account).
    pub groups: Option<Vec<Template>>,
    /// Which managed clusters the rule applies to (default: all).
    pub clusters: ClusterSelector,
    /// Kubernetes groups (templates).
    pub kubernetes_groups: Vec<Template>,
    /// Username (template), when set.
    pub username: Option<Template>,
    /// Policies and scopes (never empty).
    pub access_policies: Vec<PolicyGrant>,
}

/// A rule that applies to one permission set, with the values its pattern captured.
#[derive(Debug, Clone)]
pub struct RuleMatch<'a> {
    /// The rule.
    pub rule: &'a Rule,
    /// Capture values (empty for an exact rule).
    pub captures: Captures,
}

impl Rule {
    /// The access this rule grants for `captures`. An error (a capture value that makes an
    /// invalid namespace, group or username) means the rule contributes nothing for that
    /// permission set: it is never half-applied.
    pub fn grant(&self, captures: &Captures) -> Result<Grant, String> {
        build_grant(
            &self.kubernetes_groups,
            self.username.as_ref(),
            &self.access_policies,
            captures,
        )
    }

    /// The groups filter for `captures`: `None` when the rule has none (every account where the
    /// permission set is assigned), else the group names it accepts.
    pub fn group_filter(&self, captures: &Captures) -> Result<Option<BTreeSet<GroupName>>, String> {
        self.groups
            .as_ref()
            .map(|list| {
                list.iter()
                    .map(|t| expand(t, captures, CaptureCase::AsIs, GroupName::new))
                    .collect()
            })
            .transpose()
    }
}

/// Fills in and validates every template of a rule.
fn build_grant(
    kubernetes_groups: &[Template],
    username: Option<&Template>,
    access_policies: &[PolicyGrant],
    captures: &Captures,
) -> Result<Grant, String> {
    let mut grant = Grant::default();
    for t in kubernetes_groups {
        let group = expand(t, captures, CaptureCase::AsIs, KubernetesGroup::new)?;
        grant.kubernetes_groups.insert(group);
    }
    if let Some(t) = username {
        grant.username = Some(expand(t, captures, CaptureCase::AsIs, Username::new)?);
    }
    for pg in access_policies {
        let scope = match &pg.scope {
            GrantScope::Cluster => AccessScope::Cluster,
            GrantScope::Namespaces(list) => AccessScope::Namespace(
                list.iter()
                    .map(|t| expand(t, captures, CaptureCase::Lower, NamespacePattern::new))
                    .collect::<Result<_, _>>()?,
            ),
        };
        grant.policies.insert(pg.policy.clone(), scope);
    }
    Ok(grant)
}

/// Fills in a template and validates the result, explaining which capture made it invalid.
fn expand<T>(
    template: &Template,
    captures: &Captures,
    case: CaptureCase,
    check: fn(String) -> Result<T, InvalidValue>,
) -> Result<T, String> {
    let value = template.expand(captures, case);
    check(value).map_err(|e| {
        let used: Vec<String> = template
            .capture_names()
            .iter()
            .map(|c| format!("{c}={}", captures.get(*c).map(String::as_str).unwrap_or("")))
            .collect();
        format!(
            "invalid {} {:?} (from {:?} with {}): {}",
            e.kind,
            e.value,
            template.as_str(),
            used.join(", "),
            e.reason
        )
    })
}

/// A `principals:` item: access for one explicit IAM role or user (a CI deploy role, ...).
#[derive(Debug, Clone)]
pub struct PrincipalRule {
    /// Unique among rules and principals.
    pub name: String,
    /// The principal, full ARN with path.
    pub principal: PrincipalArn,
    /// Which managed clusters the rule applies to (default: all).
    pub clusters: ClusterSelector,
    /// The access granted.
    pub grant: Grant,
}

const RULE_KEYS: &[&str] = &[
    "name",
    "permission_set",
    "groups",
    "clusters",
    "kubernetes_groups",
    "username",
    "access_policies",
];

const PRINCIPAL_KEYS: &[&str] = &[
    "name",
    "principal",
    "clusters",
    "kubernetes_groups",
    "username",
    "access_policies",
];

/// Rule and principal names seen so far, with their line, to report duplicates.
pub(super) type SeenNames = BTreeMap<String, usize>;

/// Reads a `rules:` item; `None` if anything in it is invalid (every problem is recorded).
pub(super) fn read_rule(
    node: &Node<'_>,
    path: &str,
    names: &mut SeenNames,
    problems: &mut Problems,
) -> Option<Rule> {
    let fields = Fields::read(node, path, RULE_KEYS, problems)?;
    let before = problems.0.len();
    let name = read_name(&fields, names, problems);
    let permission_set = fields.required("permission_set", problems).and_then(|n| {
        let p = fields.path("permission_set");
        let text = yaml::string(n, &p, problems)?;
        PermissionSetMatcher::parse(text)
            .map_err(|hint| {
                problems.at(
                    n,
                    &p,
                    format!("permission set {text:?} cannot exist"),
                    Some(hint),
                )
            })
            .ok()
    });
    let defined: BTreeSet<String> = permission_set
        .as_ref()
        .map(|m| m.capture_names().into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut t = TemplateReader {
        defined: &defined,
        problems,
    };
    let groups = fields.get("groups").map(|n| {
        yaml::list(n, &fields.path("groups"), t.problems)
            .into_iter()
            .filter_map(|(p, item)| t.read(item, &p, CaptureCase::AsIs, GroupName::new))
            .collect()
    });
    let clusters = fields
        .get("clusters")
        .map(|n| read_selector(n, &fields.path("clusters"), t.problems))
        .unwrap_or_default();
    let (kubernetes_groups, username, access_policies) = read_access(&fields, &mut t);
    if problems.0.len() != before {
        return None;
    }
    Some(Rule {
        name: name?,
        permission_set: permission_set?,
        groups,
        clusters,
        kubernetes_groups,
        username,
        access_policies,
    })
}

/// Reads a `principals:` item; `None` if anything in it is invalid.
pub(super) fn read_principal_rule(
    node: &Node<'_>,
    path: &str,
    names: &mut SeenNames,
    problems: &mut Problems,
) -> Option<PrincipalRule> {
    let fields = Fields::read(node, path, PRINCIPAL_KEYS, problems)?;
    let before = problems.0.len();
    let name = read_name(&fields, names, problems);
    let principal = fields
        .required("principal", problems)
        .and_then(|n| yaml::parsed(n, &fields.path("principal"), problems, PrincipalArn::new));
    let clusters = fields
        .get("clusters")
        .map(|n| read_selector(n, &fields.path("clusters"), problems))
        .unwrap_or_default();
    let defined = BTreeSet::new();
    let mut t = TemplateReader {
        defined: &defined,
        problems,
    };
    let (kubernetes_groups, username, access_policies) = read_access(&fields, &mut t);
    if problems.0.len() != before {
        return None;
    }
    // Without captures, every template was fully validated while reading.
    let grant = build_grant(
        &kubernetes_groups,
        username.as_ref(),
        &access_policies,
        &Captures::new(),
    )
    .ok()?;
    Some(PrincipalRule {
        name: name?,
        principal: principal?,
        clusters,
        grant,
    })
}

/// Reads `name`, which must be unique among rules and principals and fit in an EKS tag value.
fn read_name(
    fields: &Fields<'_, '_>,
    names: &mut SeenNames,
    problems: &mut Problems,
) -> Option<String> {
    let node = fields.required("name", problems)?;
    let path = fields.path("name");
    let name = yaml::string(node, &path, problems)?;
    let well_formed = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !well_formed {
        problems.at(
            node,
            &path,
            format!("invalid rule name {name:?}"),
            Some("1-64 letters, digits, '-', '_' or '.' (names are recorded in entry tags)".into()),
        );
        return None;
    }
    let (line, _) = yaml::position(node);
    if let Some(first) = names.get(name) {
        problems.at(
            node,
            &path,
            format!("duplicate rule name {name:?}"),
            Some(format!(
                "already used on line {first}; rules and principals share one set of names"
            )),
        );
        return None;
    }
    names.insert(name.to_owned(), line);
    Some(name.to_owned())
}

/// The parts rules and principal rules share: kubernetes groups, username, access policies.
type Access = (Vec<Template>, Option<Template>, Vec<PolicyGrant>);

fn read_access(fields: &Fields<'_, '_>, t: &mut TemplateReader<'_, '_>) -> Access {
    let kubernetes_groups = fields
        .get("kubernetes_groups")
        .map(|n| {
            yaml::list(n, &fields.path("kubernetes_groups"), t.problems)
                .into_iter()
                .filter_map(|(p, item)| t.read(item, &p, CaptureCase::AsIs, KubernetesGroup::new))
                .collect()
        })
        .unwrap_or_default();
    let username = fields.get("username").and_then(|n| {
        t.read(
            n,
            &fields.path("username"),
            CaptureCase::AsIs,
            Username::new,
        )
    });
    let access_policies = fields
        .required("access_policies", t.problems)
        .map(|n| read_policies(n, &fields.path("access_policies"), t))
        .unwrap_or_default();
    (kubernetes_groups, username, access_policies)
}

fn read_policies(node: &Node<'_>, path: &str, t: &mut TemplateReader<'_, '_>) -> Vec<PolicyGrant> {
    let items = yaml::list(node, path, t.problems);
    if items.is_empty() && matches!(node.data, saphyr::YamlData::Sequence(_)) {
        t.problems.at(
            node,
            path,
            "a rule must grant at least one access policy",
            Some("add e.g. { policy: View, scope: cluster }".into()),
        );
    }
    let mut out: Vec<PolicyGrant> = Vec::new();
    for (p, item) in items {
        let Some(grant) = read_policy_grant(item, &p, t) else {
            continue;
        };
        if out.iter().any(|g| g.policy == grant.policy) {
            t.problems.at(
                item,
                &p,
                format!(
                    "policy {} is listed twice in this rule",
                    grant.policy.name()
                ),
                Some(
                    "EKS associates a policy once per entry: list all its namespaces in one item"
                        .into(),
                ),
            );
        } else {
            out.push(grant);
        }
    }
    out
}

fn read_policy_grant(
    node: &Node<'_>,
    path: &str,
    t: &mut TemplateReader<'_, '_>,
) -> Option<PolicyGrant> {
    let fields = Fields::read(node, path, &["policy", "scope", "namespaces"], t.problems)?;
    let policy = fields.required("policy", t.problems).and_then(|n| {
        yaml::parsed(n, &fields.path("policy"), t.problems, |s| {
            PolicyArn::for_people(&s)
        })
    });
    let scope_path = fields.path("scope");
    let scope = fields.get("scope").and_then(|n| {
        let text = yaml::string(n, &scope_path, t.problems)?;
        if !matches!(text, "cluster" | "namespace") {
            t.problems.at(
                n,
                &scope_path,
                format!("unknown scope {text:?}"),
                Some("use scope: cluster, or give namespaces: [...]".into()),
            );
        }
        Some((n, text.to_owned()))
    });
    let ns_path = fields.path("namespaces");
    let namespaces = fields.get("namespaces").map(|n| {
        let items = yaml::list(n, &ns_path, t.problems);
        if items.is_empty() && matches!(n.data, saphyr::YamlData::Sequence(_)) {
            t.problems.at(
                n,
                &ns_path,
                "empty namespace list",
                Some("list at least one namespace, or use scope: cluster".into()),
            );
        }
        (
            n,
            items
                .into_iter()
                .filter_map(|(p, item)| t.read(item, &p, CaptureCase::Lower, NamespacePattern::new))
                .collect::<Vec<_>>(),
        )
    });
    let scope = match (scope, namespaces) {
        (Some((_, s)), Some((n, _))) if s == "cluster" => {
            t.problems.at(
                n,
                &ns_path,
                "namespaces cannot be combined with scope: cluster",
                Some("remove one of them".into()),
            );
            return None;
        }
        (Some((_, s)), None) if s == "cluster" => GrantScope::Cluster,
        (_, Some((_, list))) => GrantScope::Namespaces(list),
        (_, None) => {
            t.problems.at(
                node,
                path,
                "missing the scope of the policy",
                Some("add scope: cluster, or namespaces: [...]".into()),
            );
            return None;
        }
    };
    Some(PolicyGrant {
        policy: policy?,
        scope,
    })
}

/// Reads template strings, checking their captures against those the permission set defines.
struct TemplateReader<'d, 'p> {
    defined: &'d BTreeSet<String>,
    problems: &'p mut Problems,
}

impl TemplateReader<'_, '_> {
    /// Reads a template whose expansion must pass `check`. The literal parts are checked now by
    /// expanding with a harmless sample value (`a`) for every capture: `system:{team}` or
    /// `Team-{team}` can never be valid, whatever the capture.
    fn read<T>(
        &mut self,
        node: &Node<'_>,
        path: &str,
        case: CaptureCase,
        check: fn(String) -> Result<T, InvalidValue>,
    ) -> Option<Template> {
        let text = yaml::string(node, path, self.problems)?;
        let template = match Template::parse(text) {
            Ok(t) => t,
            Err(hint) => {
                self.problems.at(
                    node,
                    path,
                    format!("malformed capture in {text:?}"),
                    Some(hint),
                );
                return None;
            }
        };
        let used = template.capture_names();
        if let Some(missing) = used.iter().find(|c| !self.defined.contains(**c)) {
            let hint = if self.defined.is_empty() {
                "only a permission_set pattern such as EKSTeam-{team} defines captures".to_owned()
            } else {
                let list: Vec<String> = self.defined.iter().map(|c| format!("{{{c}}}")).collect();
                format!("the permission_set defines {}", list.join(", "))
            };
            self.problems.at(
                node,
                path,
                format!("capture {{{missing}}} is not defined"),
                Some(hint),
            );
            return None;
        }
        let sample: Captures = used
            .iter()
            .map(|c| ((*c).to_owned(), "a".to_owned()))
            .collect();
        if let Err(e) = check(template.expand(&sample, case)) {
            if used.is_empty() {
                self.problems.invalid(node, path, &e);
            } else {
                self.problems.at(
                    node,
                    path,
                    format!("{text:?} can never expand to a valid {}", e.kind),
                    Some(e.reason),
                );
            }
            return None;
        }
        Some(template)
    }
}
