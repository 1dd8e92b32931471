//! `explain`: effective access, which `kubectl auth can-i` cannot show. For a group, a user or a
//! permission set: permission set → accounts → clusters → policies and namespaces. For a cluster:
//! every access entry, who reaches it (permission set and the groups holding it) and whether
//! eks-sso-sync manages it, plus the entries the mapping wants that do not exist yet. For one
//! entry (`--cluster` with `--principal`): why it exists, rule by rule, what a plan does with
//! it, and what changed it last.
//!
//! JSON document (schema version 2, which added `entry`; every section is present, `null`/`[]`
//! when not asked for):
//!
//! ```json
//! {
//!   "schema_version": 1,
//!   "groups": [ { "group": "payments-devs", "group_id": "…", "access": [AccessLine] } ],
//!   "user": { "user_name": "ana", "user_id": "…", "groups": ["payments-devs"],
//!             "direct_access": [AccessLine] } | null,
//!   "permission_set": { "permission_set": "PaymentsDeveloper", "arn": "…", "wanted": true,
//!                       "accounts": [ { "account": "…", "groups": […], "users": […] } ],
//!                       "access": [AccessLine] } | null,
//!   "cluster": { "cluster": "arn:…", "status": "ACTIVE", "authentication_mode": "…",
//!                "managed": true, "entries": [EntryLine], "missing": [AccessLine],
//!                "held": [Conflict], "orphaned": ["arn:…"] } | null,
//!   "entry": { "cluster", "principal", "actual": EntryLine | null, "desired": AccessLine | null,
//!              "because": [ { "rule", "kind", "permission_set", "groups_filter", "captures",
//!                             "policies", "kubernetes_groups" } ],
//!              "pending": [Operation], "withheld": [Withheld], "held": Conflict | null,
//!              "last_change": { "created_at", "rules_tag", "audit_query" } } | null
//! }
//! ```
//!
//! `AccessLine`: `cluster` (ARN), `permission_set` (or null for a `principals:` rule),
//! `principal`, `groups` (Identity Center groups holding the permission set in that account),
//! `kubernetes_groups`, `policies` (`[{policy, scope}]`), `rules`, and `held` (why this access is
//! held on the path; absent when nothing is).
//! `EntryLine`: `principal`, `type`, `managed`, `break_glass`, `unmanaged_admin`, `desired`, `username`,
//! `kubernetes_groups`, `policies`, `rules` (from the managed tag), `permission_set`, `groups`.

mod access;
mod cluster;
mod entry;
mod render;

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::bail;
use eks_sso_sync::desired::Conflict;
use eks_sso_sync::domain::{AccessScope, GroupId, PermissionSetArn, PolicyArn, UserId};
use serde::Serialize;

use crate::args::{ExplainArgs, GlobalArgs, OutputFormat};
use crate::{connect, output};

/// The document `explain` prints.
#[derive(Debug, Default, Serialize)]
pub struct ExplainDocument {
    /// Bumped on any incompatible change.
    pub schema_version: u32,
    /// `--group`, and with `--user` each of the user's groups.
    pub groups: Vec<GroupView>,
    /// `--user`.
    pub user: Option<UserView>,
    /// `--permission-set`.
    pub permission_set: Option<PermissionSetView>,
    /// `--cluster` (without `--principal`).
    pub cluster: Option<ClusterView>,
    /// `--cluster` with `--principal`: that one entry.
    pub entry: Option<entry::EntryView>,
}

/// What one group reaches.
#[derive(Debug, Serialize)]
pub struct GroupView {
    /// Its display name.
    pub group: String,
    /// Its Identity Store id.
    pub group_id: GroupId,
    /// Every cluster it reaches, through which role, with which access.
    pub access: Vec<AccessLine>,
}

/// A user: their groups (each explained in `groups`) and what direct assignments give them.
#[derive(Debug, Serialize)]
pub struct UserView {
    /// The Identity Store user name.
    pub user_name: String,
    /// The Identity Store user id.
    pub user_id: UserId,
    /// Display names of the groups the user belongs to.
    pub groups: Vec<String>,
    /// Access through permission sets assigned to the user directly.
    pub direct_access: Vec<AccessLine>,
}

/// A permission set: where it is assigned, to whom, and what that gives.
#[derive(Debug, Serialize)]
pub struct PermissionSetView {
    /// Its name.
    pub permission_set: String,
    /// Its ARN.
    pub arn: PermissionSetArn,
    /// Whether some mapping rule matches it.
    pub wanted: bool,
    /// The accounts it is provisioned to, with who holds it there.
    pub accounts: Vec<AccountHolders>,
    /// The access its role gets on managed clusters.
    pub access: Vec<AccessLine>,
}

/// Who holds a permission set in one account.
#[derive(Debug, Clone, Serialize)]
pub struct AccountHolders {
    /// The account.
    pub account: String,
    /// Display names of the groups assigned.
    pub groups: Vec<String>,
    /// Ids of the users assigned directly.
    pub users: Vec<String>,
}

/// One way onto a cluster: an (existing or desired) access entry and what it grants.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AccessLine {
    /// The cluster ARN.
    pub cluster: String,
    /// The permission set whose role the entry is for (`None`: a `principals:` rule).
    pub permission_set: Option<String>,
    /// The entry's principal (full role ARN).
    pub principal: String,
    /// Identity Center groups holding the permission set in the cluster's account.
    pub groups: Vec<String>,
    /// Kubernetes groups of the entry.
    pub kubernetes_groups: Vec<String>,
    /// Policies and their scopes.
    pub policies: Vec<PolicyLine>,
    /// The mapping rules granting it.
    pub rules: Vec<String>,
    /// Why this access is held on the path (conflicting rules on the shared role, an
    /// unconfirmed groups filter): the entry stays as it is; absent when nothing is held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
}

/// One associated (or desired) access policy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PolicyLine {
    /// The policy name, e.g. `AmazonEKSEditPolicy`.
    pub policy: String,
    /// `{"type": "cluster"}` or `{"type": "namespace", "namespaces": […]}`.
    pub scope: AccessScope,
}

/// One cluster: its entries and what is missing.
#[derive(Debug, Serialize)]
pub struct ClusterView {
    /// The cluster ARN.
    pub cluster: String,
    /// `ACTIVE`, `CREATING`, ...
    pub status: String,
    /// `API`, `API_AND_CONFIG_MAP` or `CONFIG_MAP` (no entries can be read then).
    pub authentication_mode: String,
    /// Whether the mapping manages this cluster.
    pub managed: bool,
    /// Every access entry on the cluster.
    pub entries: Vec<EntryLine>,
    /// Entries the mapping wants that do not exist (yet).
    pub missing: Vec<AccessLine>,
    /// Roles whose desired access is held because rules conflict on a shared role.
    pub held: Vec<Conflict>,
    /// On a cluster the mapping does not manage (it left scope): the principals of the entries
    /// still marked managed, which `options.on_unmanaged_cluster` decides about.
    pub orphaned: Vec<String>,
}

/// One access entry as it is on the cluster, and who reaches it.
#[derive(Debug, Serialize)]
pub struct EntryLine {
    /// The principal.
    pub principal: String,
    /// `STANDARD` or a node type.
    #[serde(rename = "type")]
    pub entry_type: String,
    /// Whether eks-sso-sync manages it (the managed tag).
    pub managed: bool,
    /// Whether it is a break-glass principal (never touched).
    pub break_glass: bool,
    /// Whether it is unmanaged and grants cluster-admin or Admin without being declared
    /// (break-glass, `rbac_admins`) or the creator's bootstrap entry: a shadow admin to review.
    pub unmanaged_admin: bool,
    /// Whether the mapping wants an entry for this principal.
    pub desired: bool,
    /// The username EKS reports.
    pub username: Option<String>,
    /// Kubernetes groups.
    pub kubernetes_groups: Vec<String>,
    /// Associated policies.
    pub policies: Vec<PolicyLine>,
    /// The rules recorded on a managed entry.
    pub rules: Vec<String>,
    /// For an SSO role, its permission set.
    pub permission_set: Option<String>,
    /// Groups holding that permission set in the cluster's account.
    pub groups: Vec<String>,
}

/// Runs `explain`.
pub async fn run(global: &GlobalArgs, args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    if args.group.is_none()
        && args.user.is_none()
        && args.permission_set.is_none()
        && args.cluster.is_none()
    {
        bail!("say what to explain: --group, --user, --permission-set and/or --cluster");
    }
    let session = connect::connect(global).await?;
    let mut lookup = access::Lookup::new(&session.ctx);
    let mut document = ExplainDocument {
        schema_version: 2,
        ..ExplainDocument::default()
    };
    if let Some(name) = &args.group {
        document.groups.push(lookup.group_by_name(name).await?);
    }
    if let Some(name) = &args.user {
        let (user, groups) = lookup.user(name).await?;
        document.user = Some(user);
        document.groups.extend(groups);
    }
    if let Some(name) = &args.permission_set {
        document.permission_set = Some(lookup.permission_set(name).await?);
    }
    match (&args.cluster, &args.principal) {
        (Some(name), Some(principal)) => {
            document.entry = Some(entry::view(&session, &mut lookup, name, principal).await?);
        }
        (Some(name), None) => {
            document.cluster = Some(cluster::view(&session, &mut lookup, name).await?);
        }
        // clap refuses `--principal` without `--cluster` (`requires`).
        (None, _) => {}
    }
    match output::format(global) {
        OutputFormat::Json => output::print_json(&document)?,
        OutputFormat::Table => out!("{}", render::tables(&document)),
    }
    Ok(ExitCode::SUCCESS)
}

/// Policies as lines, in policy order.
fn policy_lines<'a>(
    policies: impl IntoIterator<Item = (&'a PolicyArn, &'a AccessScope)>,
) -> Vec<PolicyLine> {
    policies
        .into_iter()
        .map(|(policy, scope)| PolicyLine {
            policy: policy.name().to_owned(),
            scope: scope.clone(),
        })
        .collect()
}

/// Sorted, deduplicated strings.
fn sorted<T: ToString>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}
