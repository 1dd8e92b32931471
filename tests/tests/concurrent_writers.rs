//! Concurrent writers cannot lock a cluster out (issue 8, item 13), through the real SDK
//! adapters against the in-process emulator. Two plans made from one snapshot of a cluster with
//! two admin entries each drop a different admin: each plan's own lockout guard passes, so only
//! the executor's fresh re-check (and, in one process, its per-cluster writer lock) stands
//! between them and a cluster without any cluster-admin entry. What remains is read from the
//! emulator's own state, not through the code under test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod adapters_support;

use std::sync::Arc;
use std::time::Duration;

use adapters_support::{HOME, HUB, account, cluster, hub_config, ports, region};
use eks_sso_sync::domain::{
    AccessScope, ClusterRef, ManagedTags, PolicyArn, PrincipalArn, RoleInfo,
};
use eks_sso_sync::engine::{ApplyReport, Outcome, RetryPolicy, apply_plan, read_actual};
use eks_sso_sync::plan::{ClusterPlan, DeleteReason, Operation};
use eks_sso_sync::ports::{AccountConnector, EksApi, NewEntry};
use eks_sso_sync_emulator::{Emulator, EmulatorConfig, RunningEmulator, Seed};

/// One account with two admin roles and an API-mode cluster without a creator entry.
const SEED: &str = r#"
default_account: "111111111111"
accounts:
  - { id: "111111111111", name: hub }
identity_center: { home_region: eu-west-1 }
roles:
  - { account: "111111111111", name: admin-a }
  - { account: "111111111111", name: admin-b }
clusters:
  - { name: prod-1, authentication_mode: API }
"#;

const CLUSTER: &str = "prod-1";
const ADMIN_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
/// Enough trials to catch an interleaving that loses the race now and then; each is a handful
/// of loopback calls.
const TRIALS: usize = 20;
/// The whole concurrent test must end well within this.
const BUDGET: Duration = Duration::from_secs(120);

struct Harness {
    emulator: RunningEmulator,
    eks: Arc<dyn EksApi>,
    cluster: ClusterRef,
    admins: [RoleInfo; 2],
}

async fn harness() -> Harness {
    let config = EmulatorConfig {
        home_region: HOME.to_owned(),
        seed: Some(Seed::from_yaml(SEED).expect("seed parses")),
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config).await.expect("emulator starts");
    let aws = ports(&hub_config(&emulator)).await;
    let eks = aws
        .connector
        .eks(&account(HUB), &region(HOME))
        .await
        .expect("EKS port");
    let iam = aws.connector.iam(&account(HUB)).await.expect("IAM port");
    let mut admins = Vec::new();
    for name in ["admin-a", "admin-b"] {
        let arn = PrincipalArn::new(format!("arn:aws:iam::{HUB}:role/{name}")).expect("ARN");
        admins.push(iam.get_role(&arn).await.expect("GetRole").expect("seeded"));
    }
    Harness {
        emulator,
        eks,
        cluster: ClusterRef::new(account(HUB), region(HOME), cluster(CLUSTER)),
        admins: admins.try_into().expect("two roles"),
    }
}

/// Makes both admin entries exist as eks-sso-sync creates them (managed tags, cluster-admin at
/// cluster scope), whatever the previous trial left.
async fn seed_two_admins(h: &Harness) {
    let name = &h.cluster.name;
    for role in &h.admins {
        // A 404 is expected: the previous trial deleted one of them.
        let _ = h.eks.delete_access_entry(name, &role.arn).await;
        let entry = NewEntry {
            principal: role.arn.clone(),
            kubernetes_groups: Default::default(),
            username: None,
            tags: ManagedTags::for_entry(&["admins".to_owned()], &role.role_id),
        };
        h.eks
            .create_access_entry(name, &entry)
            .await
            .expect("CreateAccessEntry");
        h.eks
            .associate_access_policy(
                name,
                &role.arn,
                &PolicyArn::cluster_admin(),
                &AccessScope::Cluster,
            )
            .await
            .expect("AssociateAccessPolicy");
    }
    assert_eq!(working_admins(&h.emulator).len(), 2);
}

/// The working cluster-admin entries as the emulator holds them: STANDARD, bound to the role's
/// current id, cluster-admin at cluster scope.
fn working_admins(emulator: &RunningEmulator) -> Vec<String> {
    emulator
        .entries(HUB, HOME, CLUSTER)
        .into_iter()
        .filter(|e| e.entry_type == "STANDARD" && e.live)
        .filter(|e| {
            e.policies
                .get(ADMIN_POLICY)
                .is_some_and(|s| s.scope_type == "cluster")
        })
        .map(|e| e.principal_arn)
        .collect()
}

fn delete_plan(cluster: &ClusterRef, principal: &PrincipalArn) -> ClusterPlan {
    ClusterPlan {
        cluster: cluster.clone(),
        operations: vec![Operation::DeleteEntry {
            principal: principal.clone(),
            reason: DeleteReason::NoLongerDesired,
        }],
        skipped: vec![],
        conflicts: vec![],
        withheld: vec![],
        refused: None,
        provenance: Default::default(),
        origin: None,
    }
}

async fn apply(
    eks: &dyn EksApi,
    plan: &ClusterPlan,
    snapshot: &[eks_sso_sync::domain::ActualEntry],
) -> ApplyReport {
    apply_plan(eks, plan, snapshot, &RetryPolicy::fast(), 4).await
}

fn refused_as_lockout(report: &ApplyReport, cluster: &ClusterRef) -> bool {
    matches!(
        &report.results[0].outcome,
        Outcome::NotAttempted { reason }
            if reason.contains(&cluster.to_string()) && reason.contains("no other working cluster-admin")
    )
}

#[tokio::test]
async fn plans_from_one_snapshot_applied_in_turn_keep_one_admin_either_order() {
    let h = harness().await;
    for first in [0, 1] {
        seed_two_admins(&h).await;
        let snapshot = read_actual(h.eks.as_ref(), &h.cluster.name, 4)
            .await
            .expect("snapshot");
        let (gone, kept) = (&h.admins[first], &h.admins[1 - first]);

        let report = apply(
            h.eks.as_ref(),
            &delete_plan(&h.cluster, &gone.arn),
            &snapshot,
        )
        .await;
        assert_eq!(report.results[0].outcome, Outcome::Applied, "{report:#?}");

        h.emulator.clear_requests();
        let report = apply(
            h.eks.as_ref(),
            &delete_plan(&h.cluster, &kept.arn),
            &snapshot,
        )
        .await;
        assert!(refused_as_lockout(&report, &h.cluster), "{report:#?}");
        let deletes = h
            .emulator
            .requests()
            .into_iter()
            .filter(|r| r.operation == "DeleteAccessEntry")
            .count();
        assert_eq!(deletes, 0, "the refused delete never reached EKS");
        assert_eq!(working_admins(&h.emulator), vec![kept.arn.to_string()]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_never_leave_a_cluster_without_an_admin() {
    let h = harness().await;
    let trials = async {
        for trial in 0..TRIALS {
            seed_two_admins(&h).await;
            let snapshot = read_actual(h.eks.as_ref(), &h.cluster.name, 4)
                .await
                .expect("snapshot");
            let plan_a = delete_plan(&h.cluster, &h.admins[0].arn);
            let plan_b = delete_plan(&h.cluster, &h.admins[1].arn);
            let (a, b) = tokio::join!(
                apply(h.eks.as_ref(), &plan_a, &snapshot),
                apply(h.eks.as_ref(), &plan_b, &snapshot),
            );
            let left = working_admins(&h.emulator);
            assert_eq!(left.len(), 1, "trial {trial}: {a:#?} {b:#?}");
            let applied = [&a, &b]
                .iter()
                .filter(|r| r.results[0].outcome == Outcome::Applied)
                .count();
            assert_eq!(applied, 1, "trial {trial}: exactly one delete goes ahead");
            assert!(
                refused_as_lockout(&a, &h.cluster) || refused_as_lockout(&b, &h.cluster),
                "trial {trial}: the other is refused as a lockout: {a:#?} {b:#?}"
            );
        }
    };
    tokio::time::timeout(BUDGET, trials)
        .await
        .expect("trials finish within the budget");
}
