//! The demo's closing report: the effective-access table of every managed cluster, read back
//! through the same adapters the Lambdas use, and the API calls made per operation.

use std::collections::BTreeMap;

use comfy_table::{Table, presets::UTF8_BORDERS_ONLY};
use eks_sso_sync::domain::{AccessScope, ActualEntry, ClusterRef, EntryType};
use eks_sso_sync::engine;
use serde::Serialize;

use super::world::DemoWorld;

/// One row of the effective-access table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AccessRow {
    /// `account/region/name`.
    pub cluster: String,
    /// The principal's name (SSO roles shortened to their permission set).
    pub principal: String,
    /// Who owns the entry: `eks-sso-sync`, `node`, `unmanaged`.
    pub managed_by: String,
    /// `Policy (scope)` list, e.g. `Edit (payments, payments-*)`.
    pub access: String,
    /// Kubernetes groups.
    pub kubernetes_groups: String,
}

/// The effective-access rows of every cluster the mapping manages (and reads access entries on).
pub async fn access_rows(world: &DemoWorld) -> anyhow::Result<Vec<AccessRow>> {
    let ctx = world.session.ctx.fresh();
    let (clusters, _) = engine::list_managed_clusters(&ctx, None).await;
    let mut rows = Vec::new();
    for cluster in clusters {
        let eks = world
            .session
            .ctx
            .connector
            .eks(&cluster.account, &cluster.region)
            .await?;
        let info = eks.describe_cluster(&cluster.name).await?;
        if !info.authentication_mode.supports_access_entries() {
            rows.push(AccessRow {
                cluster: label(&cluster),
                principal: "(aws-auth ConfigMap)".to_owned(),
                managed_by: "CONFIG_MAP cluster".to_owned(),
                access: "needs switch_auth_mode".to_owned(),
                kubernetes_groups: String::new(),
            });
            continue;
        }
        for entry in engine::read_actual(eks.as_ref(), &cluster.name, 8).await? {
            rows.push(row(&cluster, &entry));
        }
    }
    rows.sort();
    Ok(rows)
}

fn label(cluster: &ClusterRef) -> String {
    format!("{}/{}/{}", cluster.account, cluster.region, cluster.name)
}

fn row(cluster: &ClusterRef, entry: &ActualEntry) -> AccessRow {
    let principal = match entry.principal.sso_permission_set_name() {
        Some(ps) => format!("SSO {ps}"),
        None => entry.principal.name().to_owned(),
    };
    let managed_by = match (&entry.entry_type, entry.is_managed()) {
        (EntryType::Other(kind), _) => format!("node ({kind})"),
        (_, true) => "eks-sso-sync".to_owned(),
        (_, false) => "unmanaged".to_owned(),
    };
    let access: Vec<String> = entry
        .policies
        .iter()
        .map(|(policy, scope)| {
            let name = policy
                .name()
                .trim_start_matches("AmazonEKS")
                .trim_end_matches("Policy")
                .to_owned();
            match scope {
                AccessScope::Cluster => format!("{name} (cluster)"),
                AccessScope::Namespace(ns) => {
                    format!(
                        "{name} ({})",
                        ns.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
                    )
                }
            }
        })
        .collect();
    let groups: Vec<&str> = entry.kubernetes_groups.iter().map(String::as_str).collect();
    AccessRow {
        cluster: label(cluster),
        principal,
        managed_by,
        access: if access.is_empty() {
            "-".to_owned()
        } else {
            access.join("; ")
        },
        kubernetes_groups: groups.join(", "),
    }
}

/// The access table for people.
pub fn access_table(rows: &[AccessRow]) -> String {
    let mut table = Table::new();
    table.load_style(UTF8_BORDERS_ONLY);
    table.set_header(["cluster", "principal", "managed by", "access", "k8s groups"]);
    for r in rows {
        table.add_row([
            &r.cluster,
            &r.principal,
            &r.managed_by,
            &r.access,
            &r.kubernetes_groups,
        ]);
    }
    table.to_string()
}

/// API calls per operation, as the emulator counted them, busiest first.
pub fn calls_table(counts: &BTreeMap<String, u64>) -> String {
    let mut sorted: Vec<(&String, &u64)> = counts.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut table = Table::new();
    table.load_style(UTF8_BORDERS_ONLY);
    table.set_header(["operation", "calls"]);
    for (op, n) in sorted {
        table.add_row([op.clone(), n.to_string()]);
    }
    let total: u64 = counts.values().sum();
    table.add_row(["total".to_owned(), total.to_string()]);
    table.to_string()
}
