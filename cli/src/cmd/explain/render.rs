//! `explain` as tables for people (comfy-table).

use comfy_table::Table;

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
    out
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
    lines
        .iter()
        .map(|p| format!("{} ({})", p.policy, p.scope))
        .collect::<Vec<_>>()
        .join("\n")
}

fn list_or(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        empty.to_owned()
    } else {
        items.join(", ")
    }
}
