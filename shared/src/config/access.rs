//! Reading the access part of a rule: Kubernetes groups, username and access policies, whose
//! strings may use the `{captures}` of the rule's permission set pattern.
//!
//! Two checks here go beyond what EKS itself refuses, because both are valid-but-wrong input:
//! a namespace that reaches the Kubernetes system namespaces (`kube-system`, `k*`, `kube-*`) is
//! an error unless the rule sets `allow_system_namespaces: true`, and a username that does not
//! carry the session name is a (non-fatal) warning.

use std::collections::BTreeSet;

use super::pattern::{CaptureCase, Captures, Template};
use super::report::ConfigProblem;
use super::rule::{GrantScope, PolicyGrant};
use super::yaml::{self, Fields, Node, Problems};
use crate::domain::{
    InvalidValue, KubernetesGroup, NamespacePattern, PolicyArn, SYSTEM_NAMESPACES, Username,
};

/// The key that lets a rule reach the Kubernetes system namespaces.
pub(super) const ALLOW_SYSTEM_NAMESPACES: &str = "allow_system_namespaces";

/// What the messages about system namespaces list, so every one says the whole rule.
pub(super) fn system_namespaces_description() -> String {
    format!(
        "{} and every other kube-* namespace",
        SYSTEM_NAMESPACES.join(", ")
    )
}

/// The parts rules and principal rules share: kubernetes groups, username, access policies.
pub(super) type Access = (Vec<Template>, Option<Template>, Vec<PolicyGrant>);

pub(super) fn read_access(fields: &Fields<'_, '_>, t: &mut TemplateReader<'_, '_>) -> Access {
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
        let path = fields.path("username");
        let template = t.read(n, &path, CaptureCase::AsIs, Username::new)?;
        if t.sessions_matter && !crate::domain::names_the_session(template.as_str()) {
            t.warn_shared_username(n, &path, template.as_str());
        }
        Some(template)
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
    let scope = read_scope(&fields, t);
    let scope = decide_scope(&fields, scope, t.problems);
    Some(PolicyGrant {
        policy: policy?,
        scope: scope?,
    })
}

/// What a policy item says about its scope: the `scope` value and the `namespaces` list.
struct ScopeKeys<'a, 'y> {
    scope: Option<(&'a Node<'y>, String)>,
    namespaces: Option<(&'a Node<'y>, Vec<Template>)>,
}

/// Reads `scope` (reporting unknown values) and `namespaces` (reporting an empty list).
fn read_scope<'a, 'y>(
    fields: &Fields<'a, 'y>,
    t: &mut TemplateReader<'_, '_>,
) -> ScopeKeys<'a, 'y> {
    let scope_path = fields.path("scope");
    let scope = fields.get("scope").and_then(|n| {
        let text = yaml::string(n, &scope_path, t.problems)?;
        if !matches!(text, "cluster" | "namespace") {
            let hint = Some("use scope: cluster, or give namespaces: [...]".into());
            t.problems
                .at(n, &scope_path, format!("unknown scope {text:?}"), hint);
        }
        Some((n, text.to_owned()))
    });
    let ns_path = fields.path("namespaces");
    let namespaces = fields.get("namespaces").map(|n| {
        let items = yaml::list(n, &ns_path, t.problems);
        if items.is_empty() && matches!(n.data, saphyr::YamlData::Sequence(_)) {
            let hint = Some("list at least one namespace, or use scope: cluster".into());
            t.problems.at(n, &ns_path, "empty namespace list", hint);
        }
        let list = items
            .into_iter()
            .filter_map(|(p, item)| {
                let template = t.read(item, &p, CaptureCase::Lower, NamespacePattern::new)?;
                t.check_system_namespace(item, &p, &template)
                    .then_some(template)
            })
            .collect();
        (n, list)
    });
    ScopeKeys { scope, namespaces }
}

/// Exactly one kind of scope: `scope: cluster`, or a namespaces list (`scope: namespace` may
/// accompany it).
fn decide_scope(
    fields: &Fields<'_, '_>,
    keys: ScopeKeys<'_, '_>,
    problems: &mut Problems,
) -> Option<GrantScope> {
    let (message, at, hint) = match (keys.scope, keys.namespaces) {
        (Some((_, s)), None) if s == "cluster" => return Some(GrantScope::Cluster),
        (Some((_, s)), Some((n, _))) if s == "cluster" => (
            "namespaces cannot be combined with scope: cluster",
            Some((n, fields.path("namespaces"))),
            "remove one of them",
        ),
        // Already reported as an unknown scope.
        (Some((_, s)), _) if s != "namespace" => return None,
        (_, Some((_, list))) => return Some(GrantScope::Namespaces(list)),
        (Some((n, _)), None) => (
            "scope: namespace needs a namespaces list",
            Some((n, fields.path("scope"))),
            "add namespaces: [...]",
        ),
        (None, None) => (
            "missing the scope of the policy",
            None,
            "add scope: cluster, or namespaces: [...]",
        ),
    };
    match at {
        Some((node, path)) => problems.at(node, &path, message, Some(hint.into())),
        None => fields.report_here(problems, message, Some(hint.into())),
    }
    None
}

/// Reads template strings, checking their captures against those the permission set defines.
pub(super) struct TemplateReader<'d, 'p> {
    /// The capture names the rule's permission set defines.
    pub(super) defined: &'d BTreeSet<String>,
    /// Where problems go.
    pub(super) problems: &'p mut Problems,
    /// The rule says `allow_system_namespaces: true`.
    pub(super) allow_system_namespaces: bool,
    /// The principal is a role people assume with a session name (every SSO role; a `principals:`
    /// role, not a user), so a username without `{{SessionName}}` merges people.
    pub(super) sessions_matter: bool,
    /// Non-fatal findings, located like problems.
    pub(super) warnings: Vec<ConfigProblem>,
}

impl TemplateReader<'_, '_> {
    /// Whether a namespace item may stay: reports it (and returns false) when it reaches a
    /// system namespace and the rule does not allow that. A template with captures is refused
    /// here only when its literal text already reaches one (`kube-{team}`); otherwise each
    /// expansion is checked by [`Rule::grant`](super::Rule::grant).
    fn check_system_namespace(&mut self, node: &Node<'_>, path: &str, template: &Template) -> bool {
        if self.allow_system_namespaces {
            return true;
        }
        let sample: Captures = template
            .capture_names()
            .iter()
            .map(|c| ((*c).to_owned(), "a".to_owned()))
            .collect();
        let expanded = NamespacePattern::new(template.expand(&sample, CaptureCase::Lower));
        if !expanded.is_ok_and(|ns| ns.reaches_system_namespace()) {
            return true;
        }
        let what = if template.capture_names().is_empty() {
            "reaches the Kubernetes system namespaces"
        } else {
            "always expands into the Kubernetes system namespaces"
        };
        self.problems.at(
            node,
            path,
            format!(
                "namespace {:?} {what} ({})",
                template.as_str(),
                system_namespaces_description()
            ),
            Some(format!(
                "access there is cluster-admin in all but name: name the team's own namespaces \
                 (e.g. payments-*), or set {ALLOW_SYSTEM_NAMESPACES}: true on this rule if it is \
                 really meant"
            )),
        );
        false
    }

    /// Records the warning for a username that everyone using the role shares.
    fn warn_shared_username(&mut self, node: &Node<'_>, path: &str, username: &str) {
        let (line, column) = yaml::position(node);
        self.warnings.push(ConfigProblem {
            line,
            column,
            path: path.to_owned(),
            message: format!(
                "username {username:?} has no {{{{SessionName}}}}: everyone using the role is one \
                 Kubernetes user, and audit logs cannot tell people apart"
            ),
            hint: Some(format!(
                "append the session name after a colon, e.g. {username}:{{{{SessionName}}}}, \
                 or leave username unset to get EKS's default (which has it)"
            )),
        });
    }

    /// Reads a template whose expansion must pass `check`. The literal parts are checked now by
    /// expanding with a harmless sample value (`a`) for every capture: `system:{team}` or
    /// `Team-{team}` can never be valid, whatever the capture.
    pub(super) fn read<T>(
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
