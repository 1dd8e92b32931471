//! Small validated identifiers: account ids, regions, names, Kubernetes groups and namespaces.

use super::Partition;

validated_string!(
    /// A 12-digit AWS account id, kept as a string because leading zeros matter.
    AccountId,
    "account id",
    check_account_id
);
validated_string!(
    /// An AWS region code such as `eu-west-1` or `us-gov-west-1`.
    Region,
    "region",
    check_region
);
validated_string!(
    /// An EKS cluster name: 1–100 characters, alphanumeric first, then alphanumerics, `-` and `_`.
    ClusterName,
    "cluster name",
    check_cluster_name
);
validated_string!(
    /// An IAM Identity Center permission set name: 1–32 characters of `[\w+=,.@-]`.
    PermissionSetName,
    "permission set name",
    check_permission_set_name
);
validated_string!(
    /// An Identity Store group display name (1–1024 characters, no control characters).
    GroupName,
    "group name",
    check_group_name
);
validated_string!(
    /// A Kubernetes group given to an access entry; EKS rejects names starting with `system:`.
    KubernetesGroup,
    "kubernetes group",
    check_kubernetes_group
);
validated_string!(
    /// A Kubernetes username for an access entry; EKS rejects the reserved prefixes
    /// `system:`, `eks:`, `aws:`, `amazon:` and `iam:`.
    Username,
    "kubernetes username",
    check_username
);
validated_string!(
    /// A namespace an access policy is scoped to: a DNS-1123 label, optionally ending in a single
    /// `*` wildcard (`payments-*`), which is the only wildcard EKS accepts.
    NamespacePattern,
    "namespace pattern",
    check_namespace_pattern
);
validated_string!(
    /// An IAM role's unique id (`AROA…`). EKS binds an access entry to it, not to the ARN.
    RoleId,
    "role id",
    check_role_id
);

validated_string!(
    /// The name of a mapping rule (`rules:` or `principals:` item): 1–64 letters, digits, `-`,
    /// `_` or `.`, unique in the mapping. Entries record it in their `eks-sso-sync:rules` tag,
    /// so it is what ties an access entry back to the rule that made it.
    RuleName,
    "rule name",
    check_rule_name
);

/// The longest rule name: short enough that a few fit in one 256-character EKS tag value.
pub const MAX_RULE_NAME_LEN: usize = 64;

fn check_rule_name(value: &str) -> Result<(), String> {
    let well_formed = !value.is_empty()
        && value.len() <= MAX_RULE_NAME_LEN
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if well_formed {
        Ok(())
    } else {
        Err("1-64 letters, digits, '-', '_' or '.' (names are recorded in entry tags)".into())
    }
}

impl RuleName {
    /// The name standing for a mapping option (`options.remove_creator_admin`) where a problem
    /// comes from an option rather than a rule. `key` is an option's key: a literal of letters
    /// and `_`, so the name is always valid.
    pub fn option(key: &'static str) -> Self {
        let name = format!("options.{key}");
        debug_assert!(check_rule_name(&name).is_ok(), "{name}");
        Self(name)
    }
}

impl PartialEq<str> for RuleName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RuleName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// The rule names `names` (each must be valid), for tests.
#[cfg(test)]
pub(crate) fn rule_names<const N: usize>(names: [&str; N]) -> std::collections::BTreeSet<RuleName> {
    names
        .into_iter()
        .map(|n| RuleName::new(n).expect("a valid rule name"))
        .collect()
}

// A rule name orders, compares and hashes as its string, so maps keyed by it can be searched
// with the `&str` an entry's rules tag holds.
impl std::borrow::Borrow<str> for RuleName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

fn check_account_id(value: &str) -> Result<(), String> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err("an account id is exactly 12 digits; quote it in YAML so leading zeros survive".into())
    }
}

fn check_region(value: &str) -> Result<(), String> {
    // `xx-[partition-]name-N`, e.g. eu-west-1, us-gov-west-1, ap-southeast-4, eusc-de-east-1.
    let parts: Vec<&str> = value.split('-').collect();
    let well_formed = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err("expected a region code such as eu-west-1".into());
    }
    // A region whose partition is unsupported is refused here, once, so that every `Region`
    // value has a partition every ARN built from it can trust.
    Partition::for_region_code(value).map(|_| ())
}

fn check_cluster_name(value: &str) -> Result<(), String> {
    let mut bytes = value.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if first_ok && rest_ok && value.len() <= 100 {
        Ok(())
    } else {
        Err("1-100 characters: a letter or digit, then letters, digits, '-' or '_'".into())
    }
}

/// Whether `c` is one of the characters IAM allows in a permission set name (`[\w+=,.@-]`).
pub(crate) fn is_permission_set_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

fn check_permission_set_name(value: &str) -> Result<(), String> {
    let len = value.chars().count();
    if (1..=32).contains(&len) && value.chars().all(is_permission_set_char) {
        Ok(())
    } else {
        Err("a permission set name is 1-32 characters of letters, digits and _+=,.@-".into())
    }
}

fn check_group_name(value: &str) -> Result<(), String> {
    let len = value.chars().count();
    if (1..=1024).contains(&len) && !value.chars().any(char::is_control) {
        Ok(())
    } else {
        Err("a group name is 1-1024 characters without control characters".into())
    }
}

fn check_kubernetes_group(value: &str) -> Result<(), String> {
    if value.is_empty() || value.len() > 255 {
        return Err("a kubernetes group is 1-255 characters".into());
    }
    if value.starts_with("system:") {
        return Err(
            "EKS rejects kubernetes groups starting with 'system:'; for cluster-admin use \
                    the AmazonEKSClusterAdminPolicy access policy instead of system:masters"
                .into(),
        );
    }
    if let Some(prefix) = reserved_prefix(value) {
        return Err(format!(
            "kubernetes groups starting with '{prefix}' are reserved for EKS and AWS; \
             name the group after your team (e.g. payments-devs)"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err("a kubernetes group may not contain control characters".into());
    }
    Ok(())
}

/// Prefixes EKS reserves for itself in usernames (AWS-FACTS §2). eks-sso-sync refuses them in
/// Kubernetes groups too: EKS documents only `system:` for groups, but a group such as
/// `eks:...` or `aws:...` would look like (and might one day collide with) one EKS binds itself.
pub const RESERVED_USERNAME_PREFIXES: [&str; 5] = ["system:", "eks:", "aws:", "amazon:", "iam:"];

/// The reserved prefix `value` starts with, if any.
fn reserved_prefix(value: &str) -> Option<&'static str> {
    RESERVED_USERNAME_PREFIXES
        .iter()
        .copied()
        .find(|p| value.starts_with(p))
}

/// The templates EKS expands in an access entry's username (AWS-FACTS §2).
pub const USERNAME_TEMPLATES: [&str; 3] =
    ["{{SessionName}}", "{{SessionNameRaw}}", "{{AccountID}}"];

/// The username templates that carry the role session name, i.e. the person.
const SESSION_TEMPLATES: [&str; 2] = ["{{SessionName}}", "{{SessionNameRaw}}"];

fn check_username(value: &str) -> Result<(), String> {
    if value.is_empty() || value.len() > 255 {
        return Err("a username is 1-255 characters".into());
    }
    if let Some(prefix) = reserved_prefix(value) {
        return Err(format!(
            "EKS rejects usernames starting with '{prefix}'; leave username unset to get EKS's default"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err("a username may not contain control characters".into());
    }
    check_username_templates(value)
}

/// Every `{{...}}` must be one of [`USERNAME_TEMPLATES`], and a session template needs a `:`
/// somewhere before it (EKS refuses `alice{{SessionName}}` but takes `alice:{{SessionName}}`).
fn check_username_templates(value: &str) -> Result<(), String> {
    let allowed = USERNAME_TEMPLATES.join(", ");
    let mut rest = value;
    let mut offset = 0;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open..];
        let Some(close) = after.find("}}") else {
            return Err(format!(
                "'{{{{' without a matching '}}}}'; EKS username templates are {allowed}"
            ));
        };
        let template = &after[..close + 2];
        if !USERNAME_TEMPLATES.contains(&template) {
            return Err(format!(
                "EKS does not expand {template} in usernames; use one of {allowed}"
            ));
        }
        let before = &value[..offset + open];
        if SESSION_TEMPLATES.contains(&template) && !before.contains(':') {
            return Err(format!(
                "EKS requires a ':' before {template}, e.g. alice:{template} (not alice{template})"
            ));
        }
        offset += open + close + 2;
        rest = &value[offset..];
    }
    Ok(())
}

impl Username {
    /// Whether the username carries the role session name (`{{SessionName}}` or
    /// `{{SessionNameRaw}}`). Without it, everyone using the role is one Kubernetes identity and
    /// audit logs cannot tell people apart.
    pub fn names_the_session(&self) -> bool {
        names_the_session(&self.0)
    }
}

/// Whether `text` (a username or a username template) contains a session template.
pub(crate) fn names_the_session(text: &str) -> bool {
    SESSION_TEMPLATES.iter().any(|t| text.contains(t))
}

/// Whether `value` is a DNS-1123 label: 1–63 of `[a-z0-9-]`, alphanumeric at both ends.
pub(crate) fn is_dns1123_label(value: &str) -> bool {
    let b = value.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn check_namespace_pattern(value: &str) -> Result<(), String> {
    let (stem, wildcard) = match value.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (value, false),
    };
    if stem.contains('*') {
        return Err("EKS accepts '*' only as the last character (e.g. 'team-*')".into());
    }
    if wildcard {
        // A prefix may end in '-' ("dev-*") but must otherwise be label characters; a bare "*"
        // would mean every namespace, which is what scope `cluster` is for.
        let ok = !stem.is_empty()
            && stem.len() <= 62
            && stem
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            && !stem.starts_with('-');
        if ok {
            Ok(())
        } else {
            Err(
                "a wildcard namespace is a lowercase DNS-1123 prefix followed by '*' \
                 (e.g. 'payments-*'); use scope: cluster for all namespaces"
                    .into(),
            )
        }
    } else if is_dns1123_label(stem) {
        Ok(())
    } else {
        Err(
            "a namespace is a DNS-1123 label: 1-63 lowercase letters, digits or '-', \
             starting and ending with a letter or digit"
                .into(),
        )
    }
}

fn check_role_id(value: &str) -> Result<(), String> {
    if value.len() >= 16
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        Ok(())
    } else {
        Err("an IAM unique id is 16-128 uppercase letters and digits (e.g. AROA...)".into())
    }
}

/// The namespaces Kubernetes creates for itself. Access to them (DaemonSets, CoreDNS, the
/// aws-auth ConfigMap, leases) is cluster-admin in all but name.
pub const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

/// The prefix Kubernetes reserves for its system namespaces ("avoid creating namespaces with the
/// prefix kube-"): any `kube-...` namespace is treated as a system namespace.
pub const SYSTEM_NAMESPACE_PREFIX: &str = "kube-";

impl Region {
    /// The partition of this region (every `Region` has a supported one; see [`Partition`]).
    pub fn partition(&self) -> Partition {
        Partition::of(self)
    }
}

impl NamespacePattern {
    /// Whether this pattern can reach a Kubernetes system namespace: a literal `kube-...`
    /// namespace, or a wildcard whose prefix a `kube-...` name can start with (`k*`, `kube*`,
    /// `kube-*`, `kube-s*`, `kube-system*`). `kube` alone or `kubernetes-*` cannot.
    pub fn reaches_system_namespace(&self) -> bool {
        match self.0.strip_suffix('*') {
            Some(prefix) => {
                SYSTEM_NAMESPACE_PREFIX.starts_with(prefix)
                    || prefix.starts_with(SYSTEM_NAMESPACE_PREFIX)
            }
            None => self.0.starts_with(SYSTEM_NAMESPACE_PREFIX),
        }
    }

    /// Whether this pattern ends in the `*` wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.0.ends_with('*')
    }

    /// Whether this pattern grants access to the namespace `namespace`.
    pub fn matches(&self, namespace: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some(prefix) => namespace.starts_with(prefix),
            None => self.0 == namespace,
        }
    }
}

#[cfg(test)]
#[path = "ids_tests.rs"]
mod tests;
