//! `explain --cluster C --principal ARN`: one access entry, in one answer. Why it exists (each
//! rule behind it, with its permission set, groups filter and capture values, and what that rule
//! alone gives: which policy and namespace came from where), how it stands against the mapping
//! (the operations a plan would make for it, what is withheld or held and why), and what changed
//! it last (its managed tag, its creation time, and the query that finds the audit records).

use std::collections::BTreeMap;

use eks_sso_sync::config::Mapping;
use eks_sso_sync::desired::{self, Conflict, DesiredEntry, RuleSource, RuleVia};
use eks_sso_sync::domain::{ClusterRef, ManagedTags, PrincipalArn, RuleName};
use eks_sso_sync::engine::{self, ReconcileOptions};
use eks_sso_sync::inventory::Inventory;
use serde::Serialize;

use super::access::Lookup;
use super::cluster::{self, ClusterState};
use super::{AccessLine, EntryLine, PolicyLine, policy_lines, sorted};
use crate::connect::Session;

/// Everything about one principal's entry on one cluster.
#[derive(Debug, Serialize)]
pub struct EntryView {
    /// The cluster ARN.
    pub cluster: String,
    /// The principal asked about.
    pub principal: String,
    /// The entry as it is on the cluster; `null` when there is none.
    pub actual: Option<EntryLine>,
    /// What the mapping wants for it; `null` when no rule produces it.
    pub desired: Option<AccessLine>,
    /// Each rule behind the desired entry and what that rule alone gives.
    pub because: Vec<RuleContribution>,
    /// The operations a plan makes for it now (empty: in sync).
    pub pending: Vec<serde_json::Value>,
    /// Operations for it the plan withholds, with the reason.
    pub withheld: Vec<serde_json::Value>,
    /// Rules conflicting on this role: its access is held until they agree.
    pub held: Option<Conflict>,
    /// What changed it last, as far as the cluster itself can tell.
    pub last_change: LastChange,
}

/// One rule's share of a desired entry.
#[derive(Debug, Serialize)]
pub struct RuleContribution {
    /// The rule's name.
    pub rule: RuleName,
    /// `permission_set` (a `rules:` item) or `principal` (a `principals:` item).
    pub kind: &'static str,
    /// The permission set, exactly or as its convention pattern (`rules:` only).
    pub permission_set: Option<String>,
    /// The rule's `groups:` filter as written (`null`: any account where it is assigned).
    pub groups_filter: Option<Vec<String>>,
    /// The values its pattern captured from this role's permission set.
    pub captures: BTreeMap<String, String>,
    /// The groups holding the assignment that the rule is meant for: whose membership gives
    /// it (`rules:` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assigned_to: Vec<String>,
    /// The policies and namespaces this rule alone gives.
    pub policies: Vec<PolicyLine>,
    /// The Kubernetes groups this rule alone gives.
    pub kubernetes_groups: Vec<String>,
}

/// The last change the cluster records; the audit records hold the rest.
#[derive(Debug, Serialize)]
pub struct LastChange {
    /// When the entry was created (`createdAt`, RFC 3339).
    pub created_at: Option<String>,
    /// The rules the managed tag names: those of the last write by eks-sso-sync.
    pub rules_tag: Option<String>,
    /// A CloudWatch Logs Insights query over the functions' log groups that lists the audit
    /// records of this entry, newest first: operation, outcome, reason, rules, trigger, event id.
    pub audit_query: String,
}

/// The view of `principal` on cluster `name`.
pub async fn view(
    session: &Session,
    lookup: &mut Lookup<'_>,
    name: &str,
    principal: &str,
) -> anyhow::Result<EntryView> {
    let principal = PrincipalArn::new(principal)
        .map_err(|e| anyhow::anyhow!("--principal {principal}: {}", e.reason))?;
    let state = cluster::read_state(session, name).await?;
    let ClusterState {
        cluster,
        inventory,
        wanted,
        actual,
        ..
    } = &state;
    let entry = actual.iter().find(|e| e.principal == principal);
    let actual_line = match entry {
        Some(entry) => {
            let mut line =
                cluster::entry_line(session, lookup, cluster, entry, wanted.as_ref()).await?;
            line.unmanaged_admin =
                cluster::shadow_admins(session, &state.info, actual).contains(&entry.principal);
            Some(line)
        }
        None => None,
    };
    let desired_entry = wanted.as_ref().and_then(|w| w.entries.get(&principal));
    let desired_line = match desired_entry {
        Some(entry) => Some(lookup.desired_line(cluster, entry).await?),
        None => None,
    };
    let because = desired_entry
        .map(|e| contributions(&session.mapping, inventory, cluster, e))
        .unwrap_or_default();
    let (pending, withheld) = planned_for(session, cluster, &principal).await?;
    Ok(EntryView {
        cluster: cluster.arn(),
        principal: principal.to_string(),
        actual: actual_line,
        desired: desired_line,
        because,
        pending,
        withheld,
        held: wanted
            .as_ref()
            .and_then(|w| w.held.get(&principal).cloned()),
        last_change: LastChange {
            created_at: entry.and_then(|e| e.created_at).map(rfc3339),
            rules_tag: entry.and_then(|e| e.tags.get(ManagedTags::RULES).cloned()),
            audit_query: audit_query(cluster, &principal),
        },
    })
}

/// The operations a dry-run plan of `cluster` makes, and withholds, for `principal`.
async fn planned_for(
    session: &Session,
    cluster: &ClusterRef,
    principal: &PrincipalArn,
) -> anyhow::Result<(Vec<serde_json::Value>, Vec<serde_json::Value>)> {
    let options = ReconcileOptions {
        dry_run: true,
        trigger: Some("operator".to_owned()),
        ..ReconcileOptions::default()
    };
    let report = engine::reconcile_cluster(cluster, &session.ctx, &options).await?;
    let Some(plan) = report.plan else {
        return Ok((Vec::new(), Vec::new()));
    };
    let pending = plan
        .operations
        .iter()
        .filter(|op| op.principal() == Some(principal))
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    let withheld = plan
        .withheld
        .iter()
        .filter(|w| w.operation.principal() == Some(principal))
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    Ok((pending, withheld))
}

/// What each rule behind `entry` gives on its own: the desired state of a mapping holding only
/// that rule, over the same inventory (the planner's merge of rules is then visible per rule).
/// The captures and groups come from the entry's provenance, as the planner recorded them.
fn contributions(
    mapping: &Mapping,
    inventory: &Inventory,
    cluster: &ClusterRef,
    entry: &DesiredEntry,
) -> Vec<RuleContribution> {
    entry
        .sources
        .iter()
        .filter_map(|source| {
            let (only, mut contribution) = single_rule(mapping, source)?;
            let state = desired::compute(&only, inventory);
            let alone = state.clusters.get(cluster)?.entries.get(&entry.principal)?;
            contribution.policies = policy_lines(&alone.policies);
            contribution.kubernetes_groups = sorted(&alone.kubernetes_groups);
            Some(contribution)
        })
        .collect()
}

/// `mapping` with only the rule (or principal rule) of `source`, and what the view says about
/// it.
fn single_rule(mapping: &Mapping, source: &RuleSource) -> Option<(Mapping, RuleContribution)> {
    let mut only = mapping.clone();
    only.rules.retain(|r| r.name == source.rule);
    only.principals.retain(|p| p.name == source.rule);
    let contribution = match (only.rules.first(), &source.via) {
        (
            Some(rule),
            RuleVia::PermissionSet {
                captures,
                assigned_to,
                ..
            },
        ) => RuleContribution {
            rule: rule.name.clone(),
            kind: "permission_set",
            permission_set: Some(rule.permission_set.to_string()),
            groups_filter: rule
                .groups
                .as_ref()
                .map(|g| g.iter().map(|t| t.as_str().to_owned()).collect()),
            captures: captures.clone(),
            assigned_to: sorted(assigned_to),
            policies: Vec::new(),
            kubernetes_groups: Vec::new(),
        },
        (None, RuleVia::Principal) => RuleContribution {
            rule: only.principals.first()?.name.clone(),
            kind: "principal",
            permission_set: None,
            groups_filter: None,
            captures: BTreeMap::new(),
            assigned_to: Vec::new(),
            policies: Vec::new(),
            kubernetes_groups: Vec::new(),
        },
        _ => return None,
    };
    Some((only, contribution))
}

/// The Logs Insights query for the audit records of `principal` on `cluster`. The functions log
/// JSON through `lambda_runtime`'s subscriber (event fields under `fields`, no target), so an
/// audit record is the line whose message is `access change`.
fn audit_query(cluster: &ClusterRef, principal: &PrincipalArn) -> String {
    format!(
        "fields @timestamp, fields.operation, fields.outcome, fields.reason, fields.rules, fields.provenance, \
         fields.trigger, fields.trigger_event_id, fields.mapping_sha256 \
         | filter fields.message = \"access change\" and fields.cluster = \"{}\" \
         and fields.principal = \"{principal}\" | sort @timestamp desc | limit 20",
        cluster.arn()
    )
}

/// Epoch seconds as RFC 3339.
fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| seconds.to_string())
}
