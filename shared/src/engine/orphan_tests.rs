//! Orphans: a cluster that left the mapping's scope keeps its managed entries until the policy
//! says otherwise; they are listed every time, released or pruned only when asked, and a prune
//! never takes the last working admin.

use std::sync::Arc;

use super::tests::{MAPPING, World, world};
use super::*;
use crate::config::Mapping;
use crate::domain::ManagedTags;

/// The demo mapping with the world's cluster excluded and `policy` for out-of-scope clusters.
fn out_of_scope(w: &World, policy: &str) -> ReconcileContext {
    let text = MAPPING.replace(
        "options:\n  prune: true\n",
        &format!(
            "clusters:\n  exclude: [{{ name: prod }}]\noptions:\n  prune: true\n  on_unmanaged_cluster: {policy}\n"
        ),
    );
    let mapping = Arc::new(Mapping::from_str(&text, "test.yaml").unwrap_or_else(|r| panic!("{r}")));
    let shared = Arc::new(w.aws.clone());
    ReconcileContext::new(mapping, shared.clone(), shared.clone(), shared)
        .with_retry(RetryPolicy::fast())
}

/// A world whose cluster got its two managed entries while it was in scope.
async fn populated() -> World {
    let w = world();
    let report = reconcile_cluster(&w.cluster, &w.ctx.fresh(), &ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(report.status, ReconcileStatus::Applied, "{report:#?}");
    w
}

#[tokio::test]
async fn a_cluster_that_left_scope_reports_its_managed_entries_and_changes_nothing() {
    let w = populated().await;
    let before = w.aws.entries(&w.cluster);
    let ctx = out_of_scope(&w, "report");
    let report = reconcile_cluster(&w.cluster, &ctx, &ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(report.status, ReconcileStatus::NotManaged);
    assert_eq!(report.orphaned.len(), 2, "{report:#?}");
    assert!(report.plan.is_none());
    assert_eq!(w.aws.entries(&w.cluster), before);
    let mut metrics = crate::metrics::Metrics::new("test");
    report.count_into(&mut metrics);
    assert_eq!(metrics.get(crate::metrics::names::ORPHANED_ENTRIES), 2.0);

    // The sweep's listing knows the cluster, as out of scope.
    let listing = list_clusters(&ctx, None).await;
    assert!(listing.managed.is_empty());
    assert_eq!(listing.out_of_scope, std::slice::from_ref(&w.cluster));
}

#[tokio::test]
async fn release_lets_go_of_the_entries_without_changing_their_access() {
    let w = populated().await;
    let ctx = out_of_scope(&w, "release");
    let report = reconcile_cluster(&w.cluster, &ctx, &ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(report.apply.applied(), 2, "{report:#?}");
    for entry in w.aws.entries(&w.cluster) {
        assert!(!entry.is_managed(), "{entry:?}");
        assert_eq!(
            entry.tags[ManagedTags::MANAGED],
            ManagedTags::RELEASED_VALUE
        );
        assert!(!entry.policies.is_empty(), "access kept: {entry:?}");
    }
    let again = reconcile_cluster(&w.cluster, &ctx.fresh(), &ReconcileOptions::default())
        .await
        .unwrap();
    assert!(
        again.orphaned.is_empty(),
        "released entries are not orphans any more"
    );
}

#[tokio::test]
async fn prune_deletes_orphans_but_keeps_the_last_working_admin() {
    let w = populated().await;
    let ctx = out_of_scope(&w, "prune");
    let report = reconcile_cluster(&w.cluster, &ctx, &ReconcileOptions::default())
        .await
        .unwrap();
    let plan = report.plan.clone().expect("a prune plan");
    assert!(plan.refused.is_some(), "{plan:#?}");
    let left: Vec<String> = w
        .aws
        .entries(&w.cluster)
        .iter()
        .map(|e| e.principal.name().to_owned())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].contains("EKSPlatformAdmin"), "{left:?}");
}
