//! Mapping changes previewed before they are deployed, the way `eks-sso-sync plan` previews
//! them: a typo that is held and reported instead of deleting a team's access, and a change the
//! lockout guard refuses in part.

use std::sync::Arc;

use anyhow::Context;
use eks_sso_sync::config::Mapping;
use eks_sso_sync::engine::{self, ClusterReport, ReconcileOptions, ReconcileStatus};

use super::narrator::Narrator;
use super::world::DemoWorld;

/// Plans (dry run) every managed cluster with the mapping `text` instead of the one in force.
async fn plan_with(world: &DemoWorld, text: &str) -> anyhow::Result<Vec<ClusterReport>> {
    let mapping = Mapping::from_str(text, "mapping.yaml").map_err(|r| anyhow::anyhow!("{r}"))?;
    let session =
        crate::connect::connect_with(Arc::new(mapping), Some(&world.emulator.endpoint)).await?;
    let (clusters, _) = engine::list_managed_clusters(&session.ctx, None).await;
    let options = ReconcileOptions {
        dry_run: true,
        ..ReconcileOptions::default()
    };
    let mut reports = Vec::new();
    for cluster in clusters {
        reports.push(engine::reconcile_cluster(&cluster, &session.ctx, &options).await?);
    }
    Ok(reports)
}

/// Step: one letter wrong in a permission-set name. The plan reports the problem with the name
/// it probably meant, and holds the entries the rule manages instead of deleting them.
pub async fn typo(world: &DemoWorld, n: &mut Narrator) -> anyhow::Result<()> {
    let (right, wrong) = (
        "permission_set: PaymentsDeveloper",
        "permission_set: PaymentsDevloper",
    );
    anyhow::ensure!(
        world.mapping_text.contains(right),
        "mapping.yaml no longer has the payments rule the demo misspells"
    );
    n.note("proposed change: PaymentsDeveloper misspelt PaymentsDevloper (validate still passes)");
    let reports = plan_with(world, &world.mapping_text.replace(right, wrong)).await?;
    let mut problems: Vec<String> = reports
        .iter()
        .flat_map(|r| r.problems.iter())
        .map(|p| format!("problem: rule {}: {}", p.rule, p.message))
        .collect();
    problems.sort();
    problems.dedup();
    for problem in problems {
        n.note(problem);
    }
    let mut deletes = 0;
    let mut held = std::collections::BTreeSet::new();
    for report in &reports {
        let Some(plan) = &report.plan else { continue };
        deletes += plan.operations.iter().filter(|op| op.is_removal()).count();
        for withheld in &plan.withheld {
            let who = withheld
                .operation
                .principal()
                .map_or("cluster", |p| p.name());
            held.insert(format!("{}: held, not deleted: {who}", report.cluster.name));
        }
    }
    for line in held {
        n.note(line);
    }
    n.note(format!(
        "removals planned: {deletes}; `plan` exits 3 (needs attention) until the name is fixed"
    ));
    Ok(())
}

/// Step: a mapping change that would remove the last working cluster-admin entry of a cluster:
/// the guard withholds that removal and would apply the rest.
pub async fn lockout(world: &DemoWorld, n: &mut Narrator) -> anyhow::Result<()> {
    let start = world
        .mapping_text
        .find("  - name: platform-admins")
        .context("platform-admins rule")?;
    let end = world.mapping_text[start..]
        .find("  - name: payments")
        .context("payments rule")?
        + start;
    let mut text = world.mapping_text.clone();
    text.replace_range(start..end, "");
    n.note("proposed change: delete the platform-admins rule");
    for report in plan_with(world, &text).await? {
        let name = &report.cluster.name;
        match (
            &report.status,
            report.plan.as_ref().and_then(|p| p.refused.as_ref()),
        ) {
            (ReconcileStatus::Refused, Some(reason)) => {
                n.note(format!("{name}: REFUSED in part: {reason}"))
            }
            (status, _) => n.note(format!("{name}: {}", crate::output::status_label(status))),
        }
    }
    n.note(
        "the mapping in force is unchanged; deployed, the reconciler would withhold the same \
         removal and apply the rest",
    );
    Ok(())
}
