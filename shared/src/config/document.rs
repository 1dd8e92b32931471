//! Reading the whole mapping document: the top-level sections, in one pass that records every
//! problem and returns a [`Mapping`] only when there are none.

use std::collections::BTreeSet;

use regex::Regex;

use super::rule::{PrincipalRule, Rule, SeenNames, read_principal_rule, read_rule};
use super::selector::read_scope;
use super::yaml::{self, Fields, Node, Problems};
use super::{
    AccountRole, AccountSettings, DEFAULT_MEMBER_ROLE_NAME, DeletionLimit, IdentityCenterSettings,
    Mapping, Options, UnmanagedClusterPolicy,
};
use crate::domain::{AccountId, IdentityStoreId, InstanceArn, PrincipalArn, PrincipalKind, Region};

const TOP_KEYS: &[&str] = &[
    "version",
    "identity_center",
    "member_role_name",
    "accounts",
    "clusters",
    "rules",
    "principals",
    "options",
];

/// The only mapping file version this build understands.
const SUPPORTED_VERSION: i64 = 1;

/// Converts the document root into a mapping, or `None` with the problems recorded.
pub(super) fn read_mapping(root: &Node<'_>, problems: &mut Problems) -> Option<Mapping> {
    let fields = Fields::read(root, "", TOP_KEYS, problems)?;
    let version = fields.required("version", problems).and_then(|n| {
        let v = yaml::integer(n, "version", problems)?;
        if v == SUPPORTED_VERSION {
            Some(1)
        } else {
            problems.at(
                n,
                "version",
                format!("unsupported version {v}"),
                Some("use version: 1".into()),
            );
            None
        }
    });
    let identity_center = fields
        .required("identity_center", problems)
        .and_then(|n| read_identity_center(n, "identity_center", problems));
    let member_role_name = match fields.get("member_role_name") {
        None => Some(DEFAULT_MEMBER_ROLE_NAME.to_owned()),
        Some(n) => read_role_name(n, "member_role_name", problems),
    };
    let accounts = fields
        .required("accounts", problems)
        .map(|n| read_accounts(n, "accounts", problems));
    let clusters = fields
        .get("clusters")
        .map(|n| read_scope(n, "clusters", problems))
        .unwrap_or_default();
    let (rules, principals) = read_rules(&fields, problems);
    let options = fields
        .get("options")
        .map(|n| read_options(n, "options", problems))
        .unwrap_or_default();
    if !problems.0.is_empty() {
        return None;
    }
    Some(Mapping {
        version: version?,
        identity_center: identity_center?,
        member_role_name: member_role_name?,
        accounts: accounts?,
        clusters,
        rules,
        principals,
        options,
        // Set from the text by `Mapping::from_str`, which has it.
        sha256: String::new(),
    })
}

/// Reads `rules` and `principals`, whose names share one namespace.
fn read_rules(fields: &Fields<'_, '_>, problems: &mut Problems) -> (Vec<Rule>, Vec<PrincipalRule>) {
    let mut names = SeenNames::new();
    let items = |key: &str, problems: &mut Problems| match fields.get(key) {
        Some(n) => yaml::list(n, key, problems),
        None => Vec::new(),
    };
    let rule_items = items("rules", problems);
    let rules = rule_items
        .into_iter()
        .filter_map(|(p, item)| read_rule(item, &p, &mut names, problems))
        .collect();
    let principal_items = items("principals", problems);
    let principals = principal_items
        .into_iter()
        .filter_map(|(p, item)| read_principal_rule(item, &p, &mut names, problems))
        .collect();
    (rules, principals)
}

fn read_identity_center(
    node: &Node<'_>,
    path: &str,
    problems: &mut Problems,
) -> Option<IdentityCenterSettings> {
    let keys = ["region", "instance_arn", "identity_store_id"];
    let fields = Fields::read(node, path, &keys, problems)?;
    let region = fields
        .required("region", problems)
        .and_then(|n| yaml::parsed(n, &fields.path("region"), problems, Region::new));
    let instance_arn = fields.get("instance_arn").and_then(|n| {
        let hint =
            "arn:aws:sso:::instance/ssoins-<16 characters> (see `aws sso-admin list-instances`)";
        matching(
            n,
            &fields.path("instance_arn"),
            problems,
            INSTANCE_ARN,
            "instance ARN",
            hint,
        )
        // The pattern is stricter than the type, so this keeps every value it let through.
        .and_then(|arn| InstanceArn::new(arn).ok())
    });
    let identity_store_id = fields.get("identity_store_id").and_then(|n| {
        let hint = "d-<10 hex digits> (see `aws sso-admin list-instances`)";
        matching(
            n,
            &fields.path("identity_store_id"),
            problems,
            IDENTITY_STORE_ID,
            "identity store id",
            hint,
        )
        .and_then(|id| IdentityStoreId::new(id).ok())
    });
    Some(IdentityCenterSettings {
        region: region?,
        instance_arn,
        identity_store_id,
    })
}

/// The shape of an Identity Center instance ARN (sso-admin API model).
const INSTANCE_ARN: &str =
    r"^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::instance/(sso)?ins-[a-zA-Z0-9.-]{16}$";
/// The shape of an identity store id (identitystore API model).
const IDENTITY_STORE_ID: &str =
    r"^(d-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$";

/// Reads a string that must match `shape`.
fn matching(
    node: &Node<'_>,
    path: &str,
    problems: &mut Problems,
    shape: &str,
    what: &str,
    hint: &str,
) -> Option<String> {
    let text = yaml::string(node, path, problems)?;
    let ok = Regex::new(shape).is_ok_and(|re| re.is_match(text));
    if !ok {
        problems.at(
            node,
            path,
            format!("invalid {what} {text:?}"),
            Some(hint.to_owned()),
        );
        return None;
    }
    Some(text.to_owned())
}

/// Reads an IAM role name (1-64 of `[\w+=,.@-]`).
fn read_role_name(node: &Node<'_>, path: &str, problems: &mut Problems) -> Option<String> {
    let text = yaml::string(node, path, problems)?;
    let ok = (1..=64).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !ok {
        problems.at(
            node,
            path,
            format!("invalid IAM role name {text:?}"),
            Some("1-64 letters, digits and _+=,.@- (a name, not an ARN)".into()),
        );
        return None;
    }
    Some(text.to_owned())
}

fn read_accounts(node: &Node<'_>, path: &str, problems: &mut Problems) -> Vec<AccountSettings> {
    let items = yaml::list(node, path, problems);
    if items.is_empty() && matches!(node.data, saphyr::YamlData::Sequence(_)) {
        problems.at(
            node,
            path,
            "no accounts listed",
            Some("list the accounts whose clusters are managed".into()),
        );
    }
    let mut seen: BTreeSet<AccountId> = BTreeSet::new();
    let mut out = Vec::new();
    for (p, item) in items {
        let Some(account) = read_account(item, &p, problems) else {
            continue;
        };
        if !seen.insert(account.id.clone()) {
            problems.at(
                item,
                &p,
                format!("account {} is listed twice", account.id),
                Some("list each account once, with all its regions".into()),
            );
            continue;
        }
        out.push(account);
    }
    out
}

fn read_account(node: &Node<'_>, path: &str, problems: &mut Problems) -> Option<AccountSettings> {
    let fields = Fields::read(node, path, &["id", "regions", "role"], problems)?;
    let id = fields
        .required("id", problems)
        .and_then(|n| yaml::account_id(n, &fields.path("id"), problems));
    let regions = fields.required("regions", problems).map(|n| {
        let p = fields.path("regions");
        let list = yaml::distinct_list(n, &p, problems, |n, p, pr| {
            yaml::parsed(n, p, pr, Region::new)
        });
        if matches!(&n.data, saphyr::YamlData::Sequence(items) if items.is_empty()) {
            problems.at(
                n,
                &p,
                "no regions listed",
                Some("list the regions whose clusters are managed".into()),
            );
        }
        list
    });
    let role = match fields.get("role") {
        None => Some(AccountRole::Default),
        Some(n) => read_account_role(n, &fields.path("role"), id.as_ref(), problems),
    };
    Some(AccountSettings {
        id: id?,
        regions: regions?,
        role: role?,
    })
}

/// Reads `role`: `none` (the caller's own credentials) or the ARN of a role in that account.
fn read_account_role(
    node: &Node<'_>,
    path: &str,
    account: Option<&AccountId>,
    problems: &mut Problems,
) -> Option<AccountRole> {
    if yaml::string(node, path, problems)? == "none" {
        return Some(AccountRole::CallerCredentials);
    }
    let arn = yaml::parsed(node, path, problems, PrincipalArn::new)?;
    let hint =
        "give the role this account offers to eks-sso-sync, or `none` for the caller's own account";
    if arn.kind() != PrincipalKind::Role {
        problems.at(node, path, "only a role can be assumed", Some(hint.into()));
        return None;
    }
    if account.is_some_and(|a| a != arn.account()) {
        problems.at(
            node,
            path,
            format!(
                "the role is in account {}, not in this account",
                arn.account()
            ),
            Some(format!(
                "EKS and IAM calls for an account need a role in it; {hint}"
            )),
        );
        return None;
    }
    Some(AccountRole::Arn(arn))
}

fn read_options(node: &Node<'_>, path: &str, problems: &mut Problems) -> Options {
    let keys = [
        "prune",
        "adopt_existing",
        "switch_auth_mode",
        "remove_creator_admin",
        "break_glass",
        "rbac_admins",
        "max_deletions",
        "on_unmanaged_cluster",
    ];
    let mut options = Options::default();
    let Some(fields) = Fields::read(node, path, &keys, problems) else {
        return options;
    };
    let flag = |key: &str, target: &mut bool, problems: &mut Problems| {
        if let Some(v) = fields
            .get(key)
            .and_then(|n| yaml::boolean(n, &fields.path(key), problems))
        {
            *target = v;
        }
    };
    flag("prune", &mut options.prune, problems);
    flag("adopt_existing", &mut options.adopt_existing, problems);
    flag("switch_auth_mode", &mut options.switch_auth_mode, problems);
    flag(
        "remove_creator_admin",
        &mut options.remove_creator_admin,
        problems,
    );
    let principals = |key: &str, problems: &mut Problems| {
        fields.get(key).map(|n| {
            yaml::distinct_list(n, &fields.path(key), problems, |n, p, pr| {
                yaml::parsed(n, p, pr, PrincipalArn::new)
            })
            .into_iter()
            .collect()
        })
    };
    if let Some(list) = principals("break_glass", problems) {
        options.break_glass = list;
    }
    if let Some(list) = principals("rbac_admins", problems) {
        options.rbac_admins = list;
    }
    if let Some(n) = fields.get("max_deletions") {
        options.max_deletions = read_deletion_limit(n, &fields.path("max_deletions"), problems);
    }
    if let Some(n) = fields.get("on_unmanaged_cluster") {
        let key_path = fields.path("on_unmanaged_cluster");
        if let Some(text) = yaml::string(n, &key_path, problems) {
            match UnmanagedClusterPolicy::parse(text) {
                Some(policy) => options.on_unmanaged_cluster = policy,
                None => problems.at(
                    n,
                    &key_path,
                    format!("unknown on_unmanaged_cluster value {text:?}"),
                    Some("use report (the default), release or prune".into()),
                ),
            }
        }
    }
    options
}

/// `max_deletions: { entries: 5, percent: 20 }`: either key may be left out (its default stays).
fn read_deletion_limit(node: &Node<'_>, path: &str, problems: &mut Problems) -> DeletionLimit {
    let mut limit = DeletionLimit::default();
    let Some(fields) = Fields::read(node, path, &["entries", "percent"], problems) else {
        return limit;
    };
    if let Some(n) = fields.get("entries") {
        let key_path = fields.path("entries");
        match yaml::integer(n, &key_path, problems).map(usize::try_from) {
            Some(Ok(entries)) => limit.entries = entries,
            Some(Err(_)) => problems.at(
                n,
                &key_path,
                "max_deletions.entries cannot be negative".to_owned(),
                Some("use 0 to allow no deletions without --allow-mass-deletion".into()),
            ),
            None => {}
        }
    }
    if let Some(n) = fields.get("percent") {
        let key_path = fields.path("percent");
        match yaml::integer(n, &key_path, problems).map(u8::try_from) {
            Some(Ok(percent)) if percent <= 100 => limit.percent = percent,
            Some(_) => problems.at(
                n,
                &key_path,
                "max_deletions.percent must be between 0 and 100".to_owned(),
                Some("a share of the cluster's managed entries, e.g. percent: 20".into()),
            ),
            None => {}
        }
    }
    limit
}
