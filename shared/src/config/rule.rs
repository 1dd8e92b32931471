//! Mapping rules: who (a permission set, possibly by convention pattern, or an explicit IAM
//! principal) gets which access policies, Kubernetes groups and username, on which clusters.

use std::collections::{BTreeMap, BTreeSet};

use super::access::{
    ALLOW_SYSTEM_NAMESPACES, TemplateReader, read_access, system_namespaces_description,
};
use super::pattern::{CaptureCase, Captures, PermissionSetMatcher, Template};
use super::report::ConfigProblem;
use super::selector::{ClusterSelector, read_selector};
use super::yaml::{self, Fields, Node, Problems};
use crate::domain::{
    AccessScope, GroupName, InvalidValue, KubernetesGroup, NamespacePattern, PolicyArn,
    PrincipalArn, PrincipalKind, RuleName, Username,
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
    pub name: RuleName,
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
    /// `allow_system_namespaces: true`: the rule may reach `kube-system`, `kube-*`, ... (default
    /// false: such a namespace is a validation error, and an expansion reaching one fails).
    pub allow_system_namespaces: bool,
    /// Non-fatal findings from validation (e.g. a username without `{{SessionName}}`), located
    /// in the file; [`Mapping::warnings`](super::Mapping::warnings) lists them all.
    pub warnings: Vec<ConfigProblem>,
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
    /// invalid namespace, group or username, or a namespace reaching the Kubernetes system
    /// namespaces without `allow_system_namespaces`, as `{team}-*` does for `EKSTeam-kube`) means
    /// the rule contributes nothing for that permission set: it is never half-applied.
    pub fn grant(&self, captures: &Captures) -> Result<Grant, String> {
        build_grant(
            &self.kubernetes_groups,
            self.username.as_ref(),
            &self.access_policies,
            self.allow_system_namespaces,
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
    allow_system_namespaces: bool,
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
                    .map(|t| {
                        let ns = expand(t, captures, CaptureCase::Lower, NamespacePattern::new)?;
                        if ns.reaches_system_namespace() && !allow_system_namespaces {
                            return Err(format!(
                                "namespace {:?} (from {:?} with {}) reaches the Kubernetes \
                                 system namespaces ({}); set {ALLOW_SYSTEM_NAMESPACES}: true on \
                                 the rule if that is meant",
                                ns.as_str(),
                                t.as_str(),
                                capture_values(t, captures),
                                system_namespaces_description()
                            ));
                        }
                        Ok(ns)
                    })
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
        format!(
            "invalid {} {:?} (from {:?} with {}): {}",
            e.kind,
            e.value,
            template.as_str(),
            capture_values(template, captures),
            e.reason
        )
    })
}

/// `team=kube, env=prod`: the captures a template used, for messages.
fn capture_values(template: &Template, captures: &Captures) -> String {
    let used: Vec<String> = template
        .capture_names()
        .iter()
        .map(|c| format!("{c}={}", captures.get(*c).map(String::as_str).unwrap_or("")))
        .collect();
    if used.is_empty() {
        "no captures".to_owned()
    } else {
        used.join(", ")
    }
}

/// A `principals:` item: access for one explicit IAM role or user (a CI deploy role, ...).
#[derive(Debug, Clone)]
pub struct PrincipalRule {
    /// Unique among rules and principals.
    pub name: RuleName,
    /// The principal, full ARN with path.
    pub principal: PrincipalArn,
    /// Which managed clusters the rule applies to (default: all).
    pub clusters: ClusterSelector,
    /// The access granted.
    pub grant: Grant,
    /// Non-fatal findings from validation (e.g. a role's username without `{{SessionName}}`).
    pub warnings: Vec<ConfigProblem>,
}

const RULE_KEYS: &[&str] = &[
    "name",
    "permission_set",
    "groups",
    "clusters",
    "kubernetes_groups",
    "username",
    "access_policies",
    ALLOW_SYSTEM_NAMESPACES,
];

const PRINCIPAL_KEYS: &[&str] = &[
    "name",
    "principal",
    "clusters",
    "kubernetes_groups",
    "username",
    "access_policies",
    ALLOW_SYSTEM_NAMESPACES,
];

/// Reads the optional `allow_system_namespaces` flag (default false).
fn read_allow_system_namespaces(fields: &Fields<'_, '_>, problems: &mut Problems) -> bool {
    fields
        .get(ALLOW_SYSTEM_NAMESPACES)
        .and_then(|n| yaml::boolean(n, &fields.path(ALLOW_SYSTEM_NAMESPACES), problems))
        .unwrap_or(false)
}

/// Rule and principal names seen so far, with their line, to report duplicates.
pub(super) type SeenNames = BTreeMap<RuleName, usize>;

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
    let allow_system_namespaces = read_allow_system_namespaces(&fields, problems);
    let mut t = TemplateReader {
        defined: &defined,
        problems,
        allow_system_namespaces,
        // Every permission-set role is assumed by people, each with their own session name.
        sessions_matter: true,
        warnings: Vec::new(),
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
    let warnings = t.warnings;
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
        allow_system_namespaces,
        warnings,
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
    let allow_system_namespaces = read_allow_system_namespaces(&fields, problems);
    // An IAM user has no session: EKS's default username for it is its ARN, and one user is
    // one person. A role (a CI role, an assumed admin role) can have many sessions.
    let sessions_matter = principal
        .as_ref()
        .is_none_or(|p| p.kind() == PrincipalKind::Role);
    let mut t = TemplateReader {
        defined: &defined,
        problems,
        allow_system_namespaces,
        sessions_matter,
        warnings: Vec::new(),
    };
    let (kubernetes_groups, username, access_policies) = read_access(&fields, &mut t);
    let warnings = t.warnings;
    if problems.0.len() != before {
        return None;
    }
    // Without captures, every template was fully validated while reading.
    let grant = build_grant(
        &kubernetes_groups,
        username.as_ref(),
        &access_policies,
        allow_system_namespaces,
        &Captures::new(),
    )
    .ok()?;
    Some(PrincipalRule {
        name: name?,
        principal: principal?,
        clusters,
        grant,
        warnings,
    })
}

/// Reads `name`, which must be unique among rules and principals and fit in an EKS tag value.
fn read_name(
    fields: &Fields<'_, '_>,
    names: &mut SeenNames,
    problems: &mut Problems,
) -> Option<RuleName> {
    let node = fields.required("name", problems)?;
    let path = fields.path("name");
    let text = yaml::string(node, &path, problems)?;
    let name = match RuleName::new(text) {
        Ok(name) => name,
        Err(invalid) => {
            problems.at(
                node,
                &path,
                format!("invalid rule name {text:?}"),
                Some(invalid.reason),
            );
            return None;
        }
    };
    let (line, _) = yaml::position(node);
    if let Some(first) = names.get(&name) {
        problems.at(
            node,
            &path,
            format!("duplicate rule name {text:?}"),
            Some(format!(
                "already used on line {first}; rules and principals share one set of names"
            )),
        );
        return None;
    }
    names.insert(name.clone(), line);
    Some(name)
}
