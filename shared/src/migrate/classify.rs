//! What an `aws-auth` entry means in access-entry terms, decided from its groups and username
//! alone (pure): node roles EKS handles itself, `system:masters` → the cluster-admin access
//! policy, custom groups → Kubernetes groups, and which usernames an access entry can keep.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::domain::{KubernetesGroup, PrincipalArn, PrincipalKind, Username};

/// The aws-auth group that made a principal cluster admin.
const SYSTEM_MASTERS: &str = "system:masters";

/// The kind of node a node-role entry lets join, and the access entry type EKS uses for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NodeKind {
    /// Linux EC2 nodes (managed or self-managed node groups).
    Ec2Linux,
    /// Windows EC2 nodes (aws-auth adds `eks:kube-proxy-windows`).
    Ec2Windows,
    /// A Fargate profile's pod execution role (`system:node-proxier`).
    FargateLinux,
}

impl NodeKind {
    /// The access entry type EKS gives such a node role.
    pub fn entry_type(self) -> &'static str {
        match self {
            Self::Ec2Linux => "EC2_LINUX",
            Self::Ec2Windows => "EC2_WINDOWS",
            Self::FargateLinux => "FARGATE_LINUX",
        }
    }

    /// What to do about it, for the report.
    pub(super) fn action(self) -> &'static str {
        match self {
            Self::Ec2Linux | Self::Ec2Windows => {
                "left to EKS (EC2_LINUX access entry created by EKS for managed node groups; \
                 create an EC2_LINUX/EC2_WINDOWS entry for self-managed nodes)"
            }
            Self::FargateLinux => {
                "left to EKS (FARGATE_LINUX access entry created by EKS for the Fargate \
                 profile's pod execution role; check it is listed before removing aws-auth, \
                 and create a FARGATE_LINUX entry if not)"
            }
        }
    }
}

/// Whether the entry is one aws-auth gives a node role, and of which kind. A node role has both
/// `system:bootstrappers` and `system:nodes`; a Fargate pod execution role also has
/// `system:node-proxier` or the username `system:node:{{SessionName}}`.
pub(super) fn node_kind(groups: &[String], username: Option<&str>) -> Option<NodeKind> {
    let has = |g: &str| groups.iter().any(|x| x == g);
    if !(has("system:bootstrappers") && has("system:nodes")) {
        return None;
    }
    Some(
        if has("system:node-proxier") || username == Some("system:node:{{SessionName}}") {
            NodeKind::FargateLinux
        } else if has("eks:kube-proxy-windows") {
            NodeKind::Ec2Windows
        } else {
            NodeKind::Ec2Linux
        },
    )
}

/// The access an entry's groups translate to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct GroupTranslation {
    /// `system:masters` was among the groups: `AmazonEKSClusterAdminPolicy`, scope cluster.
    pub cluster_admin: bool,
    /// Custom groups, kept: the cluster's existing RBAC bindings still apply to them.
    pub kubernetes_groups: BTreeSet<KubernetesGroup>,
    /// Groups that cannot be carried over, each with the reason.
    pub dropped: Vec<(String, String)>,
}

impl GroupTranslation {
    /// Whether anything is left that an access entry can grant.
    pub(super) fn grants_anything(&self) -> bool {
        self.cluster_admin || !self.kubernetes_groups.is_empty()
    }
}

/// Translates aws-auth groups. `system:masters` becomes the cluster-admin policy, never a
/// Kubernetes group: EKS rejects `system:` groups on access entries.
pub(super) fn translate_groups(groups: &[String]) -> GroupTranslation {
    let mut out = GroupTranslation::default();
    for group in groups {
        if group == SYSTEM_MASTERS {
            out.cluster_admin = true;
        } else if group.starts_with("system:") {
            out.dropped
                .push((group.clone(), system_group_reason(group).to_owned()));
        } else if has_braces(group) {
            out.dropped.push((group.clone(), BRACES_REASON.to_owned()));
        } else {
            match KubernetesGroup::new(group.as_str()) {
                Ok(g) => {
                    out.kubernetes_groups.insert(g);
                }
                Err(e) => out.dropped.push((group.clone(), e.reason)),
            }
        }
    }
    out
}

/// Why a value with braces cannot be carried over.
const BRACES_REASON: &str =
    "the mapping reads `{...}` as a capture placeholder, so this value cannot be written in it";

/// Whether the mapping would read `value` as a template with `{captures}`.
fn has_braces(value: &str) -> bool {
    value.contains(['{', '}'])
}

/// Why a `system:` group other than `system:masters` cannot be carried over.
fn system_group_reason(group: &str) -> &'static str {
    match group {
        "system:bootstrappers" | "system:nodes" | "system:node-proxier" => {
            "a node group: EKS grants it only through EC2_LINUX, EC2_WINDOWS or FARGATE_LINUX \
             access entries (a node role has both system:bootstrappers and system:nodes); \
             create such an entry if this role runs nodes"
        }
        _ => {
            "EKS rejects `system:` Kubernetes groups on access entries; bind a custom group \
             with RBAC, or grant an access policy, instead"
        }
    }
}

/// The username an entry keeps, and what the report says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct UsernameTranslation {
    /// Kept verbatim (templates included).
    pub username: Option<Username>,
    /// Why the aws-auth username was dropped, or a warning about the kept one.
    pub note: Option<String>,
}

/// Keeps a username verbatim when EKS accepts it (`ao:{{SessionName}}`, `{{AccountID}}`), leaves
/// EKS's own default unset, and drops one EKS would reject, saying why (with a fix when the fix
/// is only the `:` EKS wants before `{{SessionName}}`).
pub(super) fn translate_username(
    username: Option<&str>,
    arn: &PrincipalArn,
) -> UsernameTranslation {
    let Some(name) = username else {
        return UsernameTranslation::default();
    };
    let default = eks_default_username(arn);
    if name == default || templated_default(arn).as_deref() == Some(name) {
        let note = format!("username {name:?} is EKS's default for the access entry; left unset");
        return dropped(note);
    }
    match Username::new(name) {
        Ok(_) if has_single_braces(name) => dropped(format!(
            "username {name:?} dropped: {BRACES_REASON}; EKS uses its default {default}"
        )),
        Ok(u) => {
            let note = (arn.kind() == PrincipalKind::Role && !u.names_the_session()).then(|| {
                format!(
                    "username {name:?} has no {{{{SessionName}}}}: everyone using the role is one \
                     Kubernetes user and the audit log cannot tell them apart (kept, as aws-auth had it)"
                )
            });
            UsernameTranslation {
                username: Some(u),
                note,
            }
        }
        Err(e) => {
            let fix = session_colon_fix(name)
                .map(|f| format!("; suggested: {f:?}"))
                .unwrap_or_default();
            dropped(format!(
                "username {name:?} is rejected by EKS access entries ({}), so it is not written \
                 into the mapping; EKS uses its default {default}{fix}. The Kubernetes user name \
                 changes: RoleBindings bound to the old name must follow",
                e.reason
            ))
        }
    }
}

fn dropped(note: String) -> UsernameTranslation {
    UsernameTranslation {
        username: None,
        note: Some(note),
    }
}

/// `cluster-admin-{{SessionName}}` → `cluster-admin:{{SessionName}}`, if that is all it takes.
fn session_colon_fix(name: &str) -> Option<String> {
    let at = name.find("{{SessionName")?;
    let (before, after) = name.split_at(at);
    if before.contains(':') {
        return None;
    }
    let stem = before.trim_end_matches(['-', '_', '.']);
    if stem.is_empty() {
        return None;
    }
    let fixed = format!("{stem}:{after}");
    Username::new(fixed.as_str()).ok().map(|_| fixed)
}

/// Whether the mapping would read `value` as a template with `{captures}`: single braces left
/// once the EKS `{{...}}` templates are taken out.
fn has_single_braces(value: &str) -> bool {
    let mut rest = value.to_owned();
    for template in crate::domain::USERNAME_TEMPLATES {
        rest = rest.replace(template, "");
    }
    has_braces(&rest)
}

/// The username EKS gives an access entry created without one (AWS-FACTS §2).
fn eks_default_username(arn: &PrincipalArn) -> String {
    match arn.kind() {
        PrincipalKind::Role => format!(
            "arn:{}:sts::{}:assumed-role/{}/{{{{SessionName}}}}",
            arn.partition(),
            arn.account(),
            arn.name()
        ),
        PrincipalKind::User => arn.as_str().to_owned(),
    }
}

/// EKS's default username written the way aws-auth users wrote it, with `{{AccountID}}`.
fn templated_default(arn: &PrincipalArn) -> Option<String> {
    (arn.kind() == PrincipalKind::Role).then(|| {
        format!(
            "arn:{}:sts::{{{{AccountID}}}}:assumed-role/{}/{{{{SessionName}}}}",
            arn.partition(),
            arn.name()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn node_roles_need_both_node_groups() {
        let ec2 = strings(&["system:bootstrappers", "system:nodes"]);
        assert_eq!(node_kind(&ec2, None), Some(NodeKind::Ec2Linux));
        let fargate = strings(&[
            "system:bootstrappers",
            "system:nodes",
            "system:node-proxier",
        ]);
        assert_eq!(node_kind(&fargate, None), Some(NodeKind::FargateLinux));
        let windows = strings(&[
            "system:bootstrappers",
            "system:nodes",
            "eks:kube-proxy-windows",
        ]);
        assert_eq!(node_kind(&windows, None), Some(NodeKind::Ec2Windows));
        assert_eq!(node_kind(&strings(&["system:bootstrappers"]), None), None);
        assert_eq!(node_kind(&strings(&["system:masters"]), None), None);
        let fargate_by_name = Some("system:node:{{SessionName}}");
        assert_eq!(
            node_kind(&ec2, fargate_by_name),
            Some(NodeKind::FargateLinux)
        );
    }

    #[test]
    fn system_masters_becomes_the_admin_policy_not_a_group() {
        let t = translate_groups(&strings(&["system:masters", "ops", "system:authenticated"]));
        assert!(t.cluster_admin);
        let groups: Vec<&str> = t.kubernetes_groups.iter().map(|g| g.as_str()).collect();
        assert_eq!(groups, ["ops"]);
        assert_eq!(t.dropped.len(), 1);
        assert_eq!(t.dropped[0].0, "system:authenticated");
        assert!(!translate_groups(&strings(&["system:nodes"])).grants_anything());
        let braces = translate_groups(&strings(&["team-{x}"]));
        assert!(!braces.grants_anything());
        assert!(braces.dropped[0].1.contains("capture placeholder"));
    }

    #[test]
    fn usernames_eks_accepts_are_kept_verbatim_and_others_explained() {
        let arn = PrincipalArn::new("arn:aws:iam::111122223333:role/deployer").unwrap();
        let kept = translate_username(Some("ci-bot"), &arn);
        assert_eq!(kept.username.unwrap().as_str(), "ci-bot");
        assert!(kept.note.unwrap().contains("one Kubernetes user"));

        let session = translate_username(Some("ao:{{SessionName}}"), &arn);
        assert_eq!(session.username.unwrap().as_str(), "ao:{{SessionName}}");
        assert!(session.note.is_none());

        let default = "arn:aws:sts::{{AccountID}}:assumed-role/deployer/{{SessionName}}";
        let same = translate_username(Some(default), &arn);
        assert!(same.username.is_none());
        assert!(same.note.unwrap().contains("EKS's default"));

        let dash = translate_username(Some("cluster-admin-{{SessionName}}"), &arn);
        assert!(dash.username.is_none());
        let note = dash.note.unwrap();
        assert!(
            note.contains("suggested: \"cluster-admin:{{SessionName}}\""),
            "{note}"
        );
        assert!(note.contains("RoleBindings"), "{note}");

        let node = translate_username(Some("system:node:{{EC2PrivateDNSName}}"), &arn);
        assert!(node.username.is_none());

        let braces = translate_username(Some("team-{x}"), &arn);
        assert!(braces.username.is_none());
        assert!(braces.note.unwrap().contains("capture placeholder"));

        let reserved = translate_username(Some("eks:admin"), &arn);
        assert!(reserved.username.is_none());
        assert!(reserved.note.unwrap().contains("eks:"));
    }
}
