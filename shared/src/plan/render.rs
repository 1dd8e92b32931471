//! Plans for people (a table) and for programs (versioned JSON).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use crate::desired::{RuleSource, RuleVia, rule_names};
use crate::domain::{KubernetesGroup, PrincipalArn, RuleName, Username};

use super::{
    AccessPlan, ClusterPlan, DeleteReason, Operation, RunOrigin, SkipReason, WithholdReason,
};

/// The version of the JSON document [`to_json`] writes; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 4;

/// The JSON document: the schema version, then the per-cluster plans.
#[derive(Serialize)]
struct PlanDocument<'a> {
    schema_version: u32,
    clusters: &'a [ClusterPlan],
}

/// The plan as pretty-printed JSON, for CI gates and audit logs. Same plan, same bytes.
///
/// Schema (version 4):
///
/// ```text
/// { "schema_version": 4,
///   "clusters": [ {
///     "cluster":   { "account": "111122223333", "region": "eu-west-1", "name": "prod-1" },
///     "operations": [ { "op": <kind>, ...fields } ],   // in apply order: what is safe to apply
///     "skipped":   [ { "principal": <arn> | null, "reason": { "kind": <reason> }, "detail": <text> } ],
///     "conflicts": [ { "principal": <arn>, "rules": [<rule>...], "detail": <text> } ],
///     "withheld":  [ { "operation": { "op": <kind>, ... }, "reason": { "kind": <why> }, "detail": <text> } ],
///     "refused":   null | <what the lockout guard withheld, and why>,
///     "provenance": { <principal>: [<source>...] },      // absent when empty
///     "origin": { "event_id": <id>|null, "trigger": <kind>|null,
///                 "mapping_sha256": <hex>|null } } ] }  // absent outside a run
/// ```
///
/// A source is `{"rule": <name>, "via": "permission_set", "permission_set": <name>,
/// "captures": {<capture>: <value>}, "groups_filter": [<group>...], "assigned_to":
/// [<group>...]}` (captures, groups_filter and assigned_to absent when empty or unset),
/// `{"rule": <name>, "via": "principal"}`, or `{"rule": <name>, "via": "recorded"}` for a rule
/// only the entry's `eks-sso-sync:rules` tag names (a removal).
///
/// Version 4 makes each provenance value a list of sources instead of rule names (a reader of
/// version 3 takes `source.rule` where it took the name) and adds `origin`: the trigger and the
/// mapping's SHA-256. Version 3 added `provenance`.
///
/// Withhold reasons: `problem` (with `rule`), `deletion_limit` (with `planned`, `allowed`),
/// `empty_account`, `lockout`. Version 1 emptied `operations` when `refused` was set; since
/// version 2 a refusal is partial: `operations` holds the safe part, `withheld` the rest.
///
/// Operation kinds and their fields (scopes are `{"type":"cluster"}` or
/// `{"type":"namespace","namespaces":[...]}`):
/// - `set_authentication_mode`: `from`, `to` (`CONFIG_MAP`, `API_AND_CONFIG_MAP`, `API`)
/// - `create_entry`: `entry` = `{principal, kubernetes_groups, username|null, tags}`
/// - `recreate_entry`: `entry`, `old_role_id|null`, `new_role_id` (the role was recreated)
/// - `update_entry`: `principal`, `kubernetes_groups`, `username|null`, `before_groups`,
///   `before_username|null`
/// - `tag_entry`: `principal`, `entry_arn`, `tags`
/// - `associate_policy`: `principal`, `policy`, `scope`, `before` (scope or null)
/// - `disassociate_policy`: `principal`, `policy`, `before`
/// - `delete_entry`: `principal`, `reason` = `{"kind": "no_longer_desired" | "creator_admin_removed"}`
///
/// Skip reasons: `unmanaged_entry`, `not_standard`, `break_glass`, `creator_entry`,
/// `config_map_cluster`, `cluster_not_active`, `entry_limit`, `shared_role_conflict`.
pub fn to_json(plan: &AccessPlan) -> String {
    let document = PlanDocument {
        schema_version: SCHEMA_VERSION,
        clusters: &plan.clusters,
    };
    // Cannot fail: every map in the plan has string keys. Should that ever change, the output is
    // still a JSON document that says what went wrong instead of a panic.
    serde_json::to_string_pretty(&document).unwrap_or_else(|e| {
        let message = serde_json::Value::String(e.to_string());
        format!("{{\"schema_version\": {SCHEMA_VERSION}, \"error\": {message}}}")
    })
}

/// The plan as a table for people, grouped by cluster. Each line starts with a marker:
/// `+` create or associate, `~` update, re-scope, tag, recreate or mode switch, `-` delete or
/// disassociate, `!` something skipped, a conflict, or the lockout guard's refusal.
pub fn render_table(plan: &AccessPlan) -> String {
    let mut out = String::new();
    for cluster in &plan.clusters {
        render_cluster(&mut out, cluster);
    }
    out
}

/// Writing to a `String` cannot fail, hence the `let _ = writeln!(..)` below.
fn render_cluster(out: &mut String, plan: &ClusterPlan) {
    let (grants, changes, removals) =
        plan.operations
            .iter()
            .fold((0, 0, 0), |(g, c, r), op| match marker(op) {
                '+' => (g + 1, c, r),
                '-' => (g, c, r + 1),
                _ => (g, c + 1, r),
            });
    let _ = writeln!(
        out,
        "cluster {}: {grants} to add, {changes} to change, {removals} to remove",
        plan.cluster
    );
    let changes_something = !plan.operations.is_empty() || !plan.withheld.is_empty();
    if let (Some(origin), true) = (&plan.origin, changes_something) {
        let _ = writeln!(out, "  origin: {}", describe_origin(origin));
    }
    if let Some(reason) = &plan.refused {
        let _ = writeln!(out, "  ! REFUSED: {reason}");
    }
    for op in &plan.operations {
        let _ = writeln!(
            out,
            "  {} {}{}",
            marker(op),
            describe(op),
            rules_note(plan, op)
        );
    }
    for skip in &plan.skipped {
        let who = skip
            .principal
            .as_ref()
            .map_or_else(|| "(cluster)".to_owned(), ToString::to_string);
        let _ = writeln!(
            out,
            "  ! skipped {who}: {} - {}",
            skip_label(&skip.reason),
            skip.detail
        );
    }
    for held in &plan.withheld {
        let _ = writeln!(
            out,
            "  ! withheld ({}) {} {} - {}",
            withhold_label(&held.reason),
            marker(&held.operation),
            describe(&held.operation),
            held.detail
        );
    }
    for conflict in &plan.conflicts {
        let rules: Vec<&str> = conflict.rules.iter().map(RuleName::as_str).collect();
        let _ = writeln!(
            out,
            "  ! conflict {}: rules {} - {}",
            conflict.principal,
            rules.join(", "),
            conflict.detail
        );
    }
    // The rule names are on every operation line already; a `why` line adds the permission
    // set, captures and groups that made a `rules:` item apply, once per principal.
    for (principal, sources) in &plan.provenance {
        let why: Vec<String> = sources
            .iter()
            .filter(|s| matches!(s.via, RuleVia::PermissionSet { .. }))
            .map(RuleSource::describe)
            .collect();
        if !why.is_empty() {
            let _ = writeln!(out, "  why {principal}: {}", why.join("; "));
        }
    }
    if plan.operations.is_empty() && plan.refused.is_none() && plan.withheld.is_empty() {
        let _ = writeln!(out, "  (no changes)");
    }
}

/// ` (rules a, b)` for an operation whose principal has provenance, else nothing.
fn rules_note(plan: &ClusterPlan, op: &Operation) -> String {
    op.principal()
        .and_then(|p| plan.provenance.get(p))
        .map(|sources| {
            let rules: Vec<&str> = rule_names(sources)
                .into_iter()
                .map(RuleName::as_str)
                .collect();
            format!(" (rules {})", rules.join(", "))
        })
        .unwrap_or_default()
}

/// `operator, mapping sha256 3f2a…` or `membership_added (event 1a2b…), mapping sha256 3f2a…`.
fn describe_origin(origin: &RunOrigin) -> String {
    let mut line = origin
        .trigger
        .clone()
        .unwrap_or_else(|| "unknown trigger".to_owned());
    if let Some(event) = &origin.event_id {
        let _ = write!(line, " (event {event})");
    }
    if let Some(sha) = &origin.mapping_sha256 {
        // Twelve hex digits tell mapping versions apart; the JSON has all of them.
        let short: String = sha.chars().take(12).collect();
        let _ = write!(line, ", mapping sha256 {short}");
    }
    line
}

fn withhold_label(reason: &WithholdReason) -> &'static str {
    match reason {
        WithholdReason::Problem { .. } => "problem",
        WithholdReason::DeletionLimit { .. } => "deletion limit",
        WithholdReason::EmptyAccount => "empty account",
        WithholdReason::Lockout => "lockout guard",
    }
}

fn marker(op: &Operation) -> char {
    match op {
        Operation::CreateEntry { .. } => '+',
        Operation::AssociatePolicy { before: None, .. } => '+',
        Operation::DisassociatePolicy { .. } | Operation::DeleteEntry { .. } => '-',
        _ => '~',
    }
}

fn describe(op: &Operation) -> String {
    match op {
        Operation::SetAuthenticationMode { from, to } => {
            format!("authentication mode {} -> {}", from.as_str(), to.as_str())
        }
        Operation::CreateEntry { entry } => format!(
            "create {} groups [{}] username {}",
            entry.principal,
            join(entry.kubernetes_groups.iter().map(|g| g.as_str())),
            entry
                .username
                .as_ref()
                .map_or("(EKS default)", |u| u.as_str())
        ),
        Operation::RecreateEntry {
            entry,
            old_role_id,
            new_role_id,
        } => format!(
            "recreate {} (role recreated: id {} -> {new_role_id})",
            entry.principal,
            old_role_id.as_deref().unwrap_or("unknown")
        ),
        Operation::UpdateEntry {
            principal,
            kubernetes_groups,
            username,
            before_groups,
            before_username,
        } => describe_update(
            principal,
            (before_groups, kubernetes_groups),
            (before_username.as_deref(), username.as_ref()),
        ),
        Operation::TagEntry {
            principal, tags, ..
        } => format!(
            "tag {principal} {}",
            // Space-separated: the rules tag itself holds commas.
            tags.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Operation::AssociatePolicy {
            principal,
            policy,
            scope,
            before,
        } => match before {
            None => format!("associate {principal} {} ({})", policy.name(), scope),
            Some(was) => format!(
                "re-scope {principal} {} ({} -> {})",
                policy.name(),
                was,
                scope
            ),
        },
        Operation::DisassociatePolicy {
            principal,
            policy,
            before,
        } => format!("disassociate {principal} {} ({})", policy.name(), before),
        Operation::DeleteEntry { principal, reason } => {
            let why = match reason {
                DeleteReason::NoLongerDesired => "no longer desired",
                DeleteReason::CreatorAdminRemoved => "cluster creator's bootstrap admin entry",
            };
            format!("delete {principal} ({why})")
        }
    }
}

fn skip_label(reason: &SkipReason) -> &'static str {
    match reason {
        SkipReason::UnmanagedEntry => "unmanaged entry",
        SkipReason::NotStandard => "not a STANDARD entry",
        SkipReason::BreakGlass => "break-glass principal",
        SkipReason::CreatorEntry => "cluster creator's entry",
        SkipReason::ConfigMapCluster => "CONFIG_MAP cluster",
        SkipReason::ClusterNotActive => "cluster not ACTIVE",
        SkipReason::EntryLimit => "entry limit",
        SkipReason::SharedRoleConflict => "shared-role conflict",
    }
}

fn join<S: AsRef<str>>(items: impl Iterator<Item = S>) -> String {
    items
        .map(|s| s.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(",")
}

/// `groups` and `username` are (before, after); a username is shown only when one is set.
fn describe_update(
    principal: &PrincipalArn,
    groups: (&BTreeSet<String>, &BTreeSet<KubernetesGroup>),
    username: (Option<&str>, Option<&Username>),
) -> String {
    let mut line = format!(
        "update {principal} groups [{}] -> [{}]",
        join(groups.0.iter().map(String::as_str)),
        join(groups.1.iter().map(|g| g.as_str()))
    );
    if let (was, Some(now)) = username {
        let _ = write!(line, " username {} -> {now}", was.unwrap_or("(none)"));
    }
    line
}
