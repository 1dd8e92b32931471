//! Engine tests of concurrent writers (issue 8, item 13) against the in-memory ports: two plans
//! made from one snapshot must not together remove every cluster-admin entry, whether they are
//! applied in turn (the fresh re-check) or at once in one process (the per-cluster lock).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::tests::{ACCOUNT, World, managed_entry, world};
use super::*;
use crate::domain::{
    AccessScope, ActualEntry, AuthenticationMode, ClusterName, ClusterRef, EntryType, ManagedTags,
    NamespacePattern, PolicyArn, PrincipalArn, RoleId,
};
use crate::plan::{ClusterPlan, Operation};
use crate::ports::{AccountConnector, ErrorKind, NewEntry};

/// A cluster with two working managed admin entries, A and B, and the snapshot a plan sees.
struct TwoAdmins {
    w: World,
    eks: Arc<dyn crate::ports::EksApi>,
    a: PrincipalArn,
    b: PrincipalArn,
    snapshot: Vec<ActualEntry>,
}

async fn two_admins() -> TwoAdmins {
    let w = world();
    let eks = w
        .aws
        .eks(&w.cluster.account, &w.cluster.region)
        .await
        .unwrap();
    let a = w.aws.add_role(ACCOUNT, "/", "admin-a");
    let b = w.aws.add_role(ACCOUNT, "/", "admin-b");
    for role in [&a, &b] {
        w.aws
            .put_entry(&w.cluster, managed_entry(&role.arn, &role.role_id, true));
    }
    let snapshot = w.aws.entries(&w.cluster);
    TwoAdmins {
        eks,
        a: a.arn,
        b: b.arn,
        snapshot,
        w,
    }
}

fn plan_of(cluster: &ClusterRef, operations: Vec<Operation>) -> ClusterPlan {
    ClusterPlan {
        cluster: cluster.clone(),
        operations,
        skipped: vec![],
        conflicts: vec![],
        withheld: vec![],
        refused: None,
        provenance: Default::default(),
        origin: None,
    }
}

fn delete(principal: &PrincipalArn) -> Operation {
    Operation::DeleteEntry {
        principal: principal.clone(),
        reason: crate::plan::DeleteReason::NoLongerDesired,
    }
}

fn admins_left(w: &World) -> Vec<PrincipalArn> {
    w.aws
        .entries(&w.cluster)
        .into_iter()
        .filter(ActualEntry::is_cluster_admin)
        .map(|e| e.principal)
        .collect()
}

async fn apply(
    eks: &dyn crate::ports::EksApi,
    plan: &ClusterPlan,
    snapshot: &[ActualEntry],
) -> ApplyReport {
    apply_plan(eks, plan, snapshot, &RetryPolicy::fast(), 4).await
}

fn assert_refused_as_lockout(result: &OperationResult, cluster: &ClusterRef) {
    match &result.outcome {
        Outcome::NotAttempted { reason } => {
            assert!(reason.contains(&cluster.to_string()), "{reason}");
            assert!(
                reason.contains("no other working cluster-admin"),
                "{reason}"
            );
        }
        other => panic!("expected NotAttempted, got {other:?}"),
    }
    assert_eq!(result.attempts, 0);
}

#[tokio::test]
async fn two_plans_from_one_snapshot_applied_one_after_the_other_keep_an_admin() {
    for first_deletes_a in [true, false] {
        let t = two_admins().await;
        let (first, second) = if first_deletes_a {
            (&t.a, &t.b)
        } else {
            (&t.b, &t.a)
        };
        let plan_1 = plan_of(&t.w.cluster, vec![delete(first)]);
        let plan_2 = plan_of(&t.w.cluster, vec![delete(second)]);

        let report_1 = apply(t.eks.as_ref(), &plan_1, &t.snapshot).await;
        assert_eq!(
            report_1.results[0].outcome,
            Outcome::Applied,
            "{report_1:#?}"
        );
        let report_2 = apply(t.eks.as_ref(), &plan_2, &t.snapshot).await;
        assert_refused_as_lockout(&report_2.results[0], &t.w.cluster);
        assert!(
            report_2.audit.is_empty(),
            "nothing attempted, nothing audited"
        );
        assert_eq!(admins_left(&t.w), vec![second.clone()]);
    }
}

#[tokio::test]
async fn concurrent_writers_in_one_process_are_serialised_per_cluster() {
    for _ in 0..20 {
        let t = two_admins().await;
        // Every call yields first, so without the per-cluster lock both checks would run before
        // either delete and both would pass.
        let eks = YieldingEks(t.eks.clone());
        let plan_1 = plan_of(&t.w.cluster, vec![delete(&t.a)]);
        let plan_2 = plan_of(&t.w.cluster, vec![delete(&t.b)]);
        let (r1, r2) = tokio::join!(
            apply(&eks, &plan_1, &t.snapshot),
            apply(&eks, &plan_2, &t.snapshot)
        );
        let outcomes = [&r1.results[0].outcome, &r2.results[0].outcome];
        assert_eq!(
            outcomes.iter().filter(|o| **o == &Outcome::Applied).count(),
            1,
            "{outcomes:#?}"
        );
        assert_eq!(admins_left(&t.w).len(), 1, "{outcomes:#?}");
    }
}

#[tokio::test]
async fn admin_removals_run_last_and_each_follows_a_fresh_check() {
    let t = two_admins().await;
    let other = t.w.aws.add_role(ACCOUNT, "/", "viewer");
    t.w.aws.put_entry(
        &t.w.cluster,
        managed_entry(&other.arn, &other.role_id, false),
    );
    let snapshot = t.w.aws.entries(&t.w.cluster);
    // Plan order puts the admin delete first; it must still run after the other delete.
    let plan = plan_of(&t.w.cluster, vec![delete(&t.a), delete(&other.arn)]);
    t.w.aws.clear_calls();
    let report = apply(t.eks.as_ref(), &plan, &snapshot).await;
    assert!(
        report.results.iter().all(|r| r.outcome == Outcome::Applied),
        "{report:#?}"
    );
    assert_eq!(
        t.w.aws.calls(),
        vec![
            "DeleteAccessEntry",            // the viewer: not admin access, no check
            "ListAccessEntries",            // fresh check before the admin delete...
            "ListAssociatedAccessPolicies", // ...B, an admin in the snapshot, first
            "DescribeAccessEntry",          // ...and STANDARD
            "DeleteAccessEntry",            // then A
        ]
    );
    assert_eq!(
        report.results[0].operation,
        delete(&t.a),
        "results stay in plan order"
    );
}

#[tokio::test]
async fn only_working_admins_count_and_narrowing_is_guarded() {
    let t = two_admins().await;
    // B is demoted to View behind the engine's back; a node entry carries the admin policy.
    t.w.aws.put_entry(
        &t.w.cluster,
        managed_entry(&t.b, &RoleId::new("AROAEXAMPLEEXAMPLE02").unwrap(), false),
    );
    let node = t.w.aws.add_role(ACCOUNT, "/", "nodes");
    let mut node_entry = managed_entry(&node.arn, &node.role_id, true);
    node_entry.entry_type = EntryType::Other("EC2_LINUX".to_owned());
    t.w.aws.put_entry(&t.w.cluster, node_entry);
    let narrow = Operation::AssociatePolicy {
        principal: t.a.clone(),
        policy: PolicyArn::cluster_admin(),
        scope: AccessScope::Namespace(BTreeSet::from([NamespacePattern::new("ops").unwrap()])),
        before: Some(AccessScope::Cluster),
    };
    let plan = plan_of(&t.w.cluster, vec![narrow]);
    let report = apply(t.eks.as_ref(), &plan, &t.snapshot).await;
    assert_refused_as_lockout(&report.results[0], &t.w.cluster);
    assert_eq!(admins_left(&t.w), vec![t.a.clone()]);

    // A real admin appears: now the narrowing goes ahead.
    let c = t.w.aws.add_role(ACCOUNT, "/", "admin-c");
    t.w.aws
        .put_entry(&t.w.cluster, managed_entry(&c.arn, &c.role_id, true));
    let report = apply(t.eks.as_ref(), &plan, &t.snapshot).await;
    assert_eq!(report.results[0].outcome, Outcome::Applied, "{report:#?}");
    assert_eq!(admins_left(&t.w), vec![c.arn]);
}

#[tokio::test]
async fn a_failed_check_keeps_admin_access_and_what_depends_on_it() {
    let t = two_admins().await;
    t.w.aws
        .fail_next("ListAccessEntries", ErrorKind::AccessDenied, 1);
    let a_role = RoleId::new("AROAEXAMPLEEXAMPLE03").unwrap();
    let recreate = Operation::RecreateEntry {
        entry: NewEntry {
            principal: t.a.clone(),
            kubernetes_groups: BTreeSet::new(),
            username: None,
            tags: ManagedTags::for_entry(&["admins".to_owned()], &a_role),
        },
        old_role_id: None,
        new_role_id: a_role,
    };
    let associate = Operation::AssociatePolicy {
        principal: t.a.clone(),
        policy: PolicyArn::cluster_admin(),
        scope: AccessScope::Cluster,
        before: None,
    };
    let plan = plan_of(&t.w.cluster, vec![recreate, associate]);
    let report = apply(t.eks.as_ref(), &plan, &t.snapshot).await;
    match &report.results[0].outcome {
        Outcome::NotAttempted { reason } => {
            assert!(reason.contains("could not verify"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        report.results[1].outcome,
        Outcome::NotAttempted { .. }
    ));
    assert_eq!(admins_left(&t.w).len(), 2, "nothing removed");
}

/// An EKS port that yields to the scheduler before every call, so concurrent applies really
/// interleave at every await point (the in-memory port never suspends on its own).
struct YieldingEks(Arc<dyn crate::ports::EksApi>);

#[async_trait::async_trait]
impl crate::ports::EksApi for YieldingEks {
    async fn list_clusters(&self) -> Result<Vec<ClusterName>, crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0.list_clusters().await
    }
    async fn describe_cluster(
        &self,
        cluster: &ClusterName,
    ) -> Result<crate::domain::ClusterInfo, crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0.describe_cluster(cluster).await
    }
    async fn set_authentication_mode(
        &self,
        cluster: &ClusterName,
        mode: AuthenticationMode,
    ) -> Result<(), crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0.set_authentication_mode(cluster, mode).await
    }
    async fn list_access_entries(
        &self,
        cluster: &ClusterName,
    ) -> Result<Vec<PrincipalArn>, crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0.list_access_entries(cluster).await
    }
    async fn list_access_entries_with_policy(
        &self,
        cluster: &ClusterName,
        policy: &PolicyArn,
    ) -> Result<Vec<PrincipalArn>, crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0
            .list_access_entries_with_policy(cluster, policy)
            .await
    }
    async fn describe_access_entry(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
    ) -> Result<ActualEntry, crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0.describe_access_entry(cluster, principal).await
    }
    async fn list_associated_policies(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
    ) -> Result<BTreeMap<PolicyArn, AccessScope>, crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0.list_associated_policies(cluster, principal).await
    }
    async fn create_access_entry(
        &self,
        cluster: &ClusterName,
        entry: &NewEntry,
    ) -> Result<(), crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0.create_access_entry(cluster, entry).await
    }
    async fn update_access_entry(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
        kubernetes_groups: &BTreeSet<crate::domain::KubernetesGroup>,
        username: Option<&crate::domain::Username>,
    ) -> Result<(), crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0
            .update_access_entry(cluster, principal, kubernetes_groups, username)
            .await
    }
    async fn delete_access_entry(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
    ) -> Result<(), crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0.delete_access_entry(cluster, principal).await
    }
    async fn associate_access_policy(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
        policy: &PolicyArn,
        scope: &AccessScope,
    ) -> Result<(), crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0
            .associate_access_policy(cluster, principal, policy, scope)
            .await
    }
    async fn disassociate_access_policy(
        &self,
        cluster: &ClusterName,
        principal: &PrincipalArn,
        policy: &PolicyArn,
    ) -> Result<(), crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0
            .disassociate_access_policy(cluster, principal, policy)
            .await
    }
    async fn tag_resource(
        &self,
        resource_arn: &crate::domain::AccessEntryArn,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0.tag_resource(resource_arn, tags).await
    }
}
