//! `explain` as tables for people (comfy-table).

use comfy_table::Table;

use super::entry::EntryView;
use super::{AccessLine, ClusterView, ExplainDocument, PolicyLine};

/// Every section of `document` that was asked for, as text.
pub fn tables(document: &ExplainDocument) -> String {
    let mut out = String::new();
    if let Some(user) = &document.user {
        out.push_str(&format!(
            "user {} ({}): member of {}\n",
            user.user_name,
            user.user_id,
            list_or(&user.groups, "no groups")
        ));
        if !user.direct_access.is_empty() {
            out.push_str("direct assignments:\n");
            out.push_str(&access_table(&user.direct_access));
        }
    }
    for group in &document.groups {
        out.push_str(&format!("group {} ({}):\n", group.group, group.group_id));
        out.push_str(&access_table(&group.access));
    }
    if let Some(ps) = &document.permission_set {
        let wanted = if ps.wanted {
            ""
        } else {
            " (no mapping rule matches it)"
        };
        out.push_str(&format!("permission set {}{wanted}\n", ps.permission_set));
        for a in &ps.accounts {
            out.push_str(&format!(
                "  account {}: groups {}; users {}\n",
                a.account,
                list_or(&a.groups, "none"),
                list_or(&a.users, "none")
            ));
        }
        out.push_str(&access_table(&ps.access));
    }
    if let Some(cluster) = &document.cluster {
        out.push_str(&cluster_tables(cluster));
    }
    if let Some(entry) = &document.entry {
        out.push_str(&entry_text(entry));
    }
    out
}

/// One entry: as it is, as wanted and why, what a plan does, what changed it last.
fn entry_text(view: &EntryView) -> String {
    let mut out = format!(
        "entry of {} on {}
",
        view.principal, view.cluster
    );
    match &view.actual {
        Some(a) => out.push_str(&format!(
            "  on the cluster: {} {}, username {}, kubernetes groups {}
    {}
",
            a.entry_type,
            if a.managed {
                "(managed)"
            } else {
                "(not managed)"
            },
            a.username.as_deref().unwrap_or("(default)"),
            list_or(&a.kubernetes_groups, "none"),
            list_or(&policy_items(&a.policies), "no policies"),
        )),
        None => out.push_str(
            "  on the cluster: no entry
",
        ),
    }
    match &view.desired {
        Some(d) => out.push_str(&format!(
            "  wanted: kubernetes groups {}; {}
",
            list_or(&d.kubernetes_groups, "none"),
            list_or(&policy_items(&d.policies), "no policies")
        )),
        None => out.push_str(
            "  wanted: nothing (no rule produces this entry)
",
        ),
    }
    for c in &view.because {
        let source = c.permission_set.as_deref().unwrap_or("its principal ARN");
        let captures: Vec<String> = c.captures.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let filter = c
            .groups_filter
            .as_ref()
            .map_or("any group".to_owned(), |g| g.join(", "));
        out.push_str(&format!(
            "  because rule {} ({source}; groups: {filter}{}) gives {}{}
",
            c.rule,
            if captures.is_empty() {
                String::new()
            } else {
                format!("; captured {}", captures.join(", "))
            },
            list_or(&policy_items(&c.policies), "no policies"),
            if c.kubernetes_groups.is_empty() {
                String::new()
            } else {
                format!(", kubernetes groups {}", c.kubernetes_groups.join(", "))
            },
        ));
    }
    if let Some(held) = &view.held {
        out.push_str(&format!(
            "  HELD: {}
",
            held.detail
        ));
    }
    let ops = |values: &[serde_json::Value]| -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    };
    out.push_str(&format!(
        "  a plan now: {}
",
        list_or(&ops(&view.pending), "nothing to change")
    ));
    for w in ops(&view.withheld) {
        out.push_str(&format!(
            "  WITHHELD: {w}
"
        ));
    }
    let last = &view.last_change;
    out.push_str(&format!(
        "  last change: created {}, rules tag {}
  audit records (CloudWatch Logs Insights):
    {}
",
        last.created_at.as_deref().unwrap_or("(unknown)"),
        last.rules_tag.as_deref().unwrap_or("(none)"),
        last.audit_query
    ));
    out
}

fn policy_items(lines: &[PolicyLine]) -> Vec<String> {
    lines
        .iter()
        .map(|p| format!("{} ({})", p.policy, p.scope))
        .collect()
}

fn access_table(lines: &[AccessLine]) -> String {
    if lines.is_empty() {
        return "  (no access on any managed cluster)\n".to_owned();
    }
    let mut table = Table::new();
    table.set_header(vec![
        "cluster",
        "permission set / role",
        "groups holding it",
        "kubernetes groups",
        "policies",
        "rules",
    ]);
    for line in lines {
        table.add_row(vec![
            line.cluster.clone(),
            line.permission_set
                .clone()
                .unwrap_or_else(|| line.principal.clone()),
            line.groups.join("\n"),
            line.kubernetes_groups.join("\n"),
            policies(&line.policies),
            line.rules.join("\n"),
        ]);
    }
    format!("{table}\n")
}

fn cluster_tables(cluster: &ClusterView) -> String {
    let mut out = format!(
        "cluster {} ({}, {}){}\n",
        cluster.cluster,
        cluster.status,
        cluster.authentication_mode,
        if cluster.managed {
            ""
        } else {
            " — not managed by the mapping"
        }
    );
    if cluster.authentication_mode == "CONFIG_MAP" || cluster.status != "ACTIVE" {
        out.push_str(
            "  access entries cannot be read until the cluster is ACTIVE and not in CONFIG_MAP mode\n",
        );
    }
    let mut table = Table::new();
    table.set_header(vec![
        "principal",
        "type",
        "managed",
        "reached by",
        "kubernetes groups",
        "policies",
    ]);
    for e in &cluster.entries {
        let managed = match (e.managed, e.break_glass, e.desired) {
            (_, true, _) => "break-glass",
            (true, _, _) => "yes",
            (false, _, true) => "no (desired, not adopted)",
            (false, _, false) if e.unmanaged_admin => "no (unmanaged admin: review)",
            (false, _, false) => "no",
        };
        let reached_by = match &e.permission_set {
            Some(ps) => format!("{ps}: {}", list_or(&e.groups, "no groups")),
            None if !e.rules.is_empty() => format!("rules {}", e.rules.join(", ")),
            None => String::new(),
        };
        table.add_row(vec![
            e.principal.clone(),
            e.entry_type.clone(),
            managed.to_owned(),
            reached_by,
            e.kubernetes_groups.join("\n"),
            policies(&e.policies),
        ]);
    }
    out.push_str(&format!("{table}\n"));
    if !cluster.missing.is_empty() {
        out.push_str("desired but missing (apply or the next reconcile creates them):\n");
        out.push_str(&access_table(&cluster.missing));
    }
    for held in &cluster.held {
        out.push_str(&format!(
            "held: {} — {} ({})\n",
            held.principal,
            held.detail,
            held.rules.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    for orphan in &cluster.orphaned {
        out.push_str(&format!(
            "orphaned: {orphan} — a managed entry on a cluster the mapping does not manage; \
             options.on_unmanaged_cluster decides (report keeps it as it is)\n"
        ));
    }
    out
}

fn policies(lines: &[PolicyLine]) -> String {
    policy_items(lines).join("\n")
}

fn list_or(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        empty.to_owned()
    } else {
        items.join(", ")
    }
}
