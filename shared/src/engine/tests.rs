//! Engine tests against the in-memory ports: retries of the documented eventual-consistency
//! windows, 409/404 convergence, partial failure, idempotence and recreated roles.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::*;
use crate::config::Mapping;
use crate::domain::{
    AccessScope, AccountId, ActualEntry, AuthenticationMode, ClusterName, ClusterRef,
    ClusterStatus, EntryType, ManagedTags, NamespacePattern, PolicyArn, PrincipalArn, Region,
    RoleId,
};
use crate::memory::MemoryAws;
use crate::plan::{ClusterPlan, Operation};
use crate::ports::{AccountConnector, ErrorKind, NewEntry};

const ACCOUNT: &str = "111111111111";

const MAPPING: &str = r#"
version: 1
identity_center: { region: eu-west-1 }
accounts:
  - id: "111111111111"
    regions: [eu-west-1]
    role: none
rules:
  - name: admins
    permission_set: EKSPlatformAdmin
    access_policies:
      - { policy: ClusterAdmin, scope: cluster }
  - name: payments
    permission_set: PaymentsDeveloper
    kubernetes_groups: [payments-devs]
    access_policies:
      - { policy: Edit, namespaces: [payments, "payments-*"] }
      - { policy: View, scope: cluster }
options:
  prune: true
"#;

fn cluster(name: &str) -> ClusterRef {
    ClusterRef::new(
        AccountId::new(ACCOUNT).unwrap(),
        Region::new("eu-west-1").unwrap(),
        ClusterName::new(name).unwrap(),
    )
}

/// A world with two permission sets assigned in the account and one ACTIVE API cluster.
struct World {
    aws: MemoryAws,
    ctx: ReconcileContext,
    cluster: ClusterRef,
    admin_role: PrincipalArn,
    payments_role: PrincipalArn,
}

fn world() -> World {
    let aws = MemoryAws::new("eu-west-1");
    let admins = aws.add_group("platform-admins");
    let payments = aws.add_group("payments-devs");
    let admin_ps = aws.add_permission_set("EKSPlatformAdmin");
    let payments_ps = aws.add_permission_set("PaymentsDeveloper");
    let admin_role = aws.assign(&admins, &admin_ps, ACCOUNT).arn;
    let payments_role = aws.assign(&payments, &payments_ps, ACCOUNT).arn;
    let c = cluster("prod");
    aws.add_cluster(&c, ClusterStatus::Active, AuthenticationMode::Api, &[]);
    let mapping = Arc::new(Mapping::from_str(MAPPING, "test.yaml").unwrap());
    let shared = Arc::new(aws.clone());
    let ctx = ReconcileContext::new(mapping, shared.clone(), shared.clone(), shared)
        .with_retry(RetryPolicy::fast());
    World {
        aws,
        ctx,
        cluster: c,
        admin_role,
        payments_role,
    }
}

async fn reconcile(w: &World) -> ClusterReport {
    reconcile_cluster(&w.cluster, &w.ctx.fresh(), &ReconcileOptions::default())
        .await
        .unwrap()
}

fn policy(name: &str) -> PolicyArn {
    PolicyArn::for_people(name).unwrap()
}

#[tokio::test]
async fn first_run_creates_entries_and_second_run_is_a_no_op() {
    let w = world();
    let report = reconcile(&w).await;
    assert_eq!(report.status, ReconcileStatus::Applied, "{report:#?}");
    let entries = w.aws.entries(&w.cluster);
    assert_eq!(entries.len(), 2);
    let payments = entries
        .iter()
        .find(|e| e.principal == w.payments_role)
        .unwrap();
    assert!(payments.is_managed());
    assert_eq!(
        payments.kubernetes_groups,
        BTreeSet::from(["payments-devs".to_owned()])
    );
    let ns: BTreeSet<NamespacePattern> = ["payments", "payments-*"]
        .iter()
        .map(|n| NamespacePattern::new(*n).unwrap())
        .collect();
    assert_eq!(
        payments.policies[&policy("Edit")],
        AccessScope::Namespace(ns)
    );
    assert_eq!(payments.policies[&policy("View")], AccessScope::Cluster);
    assert!(w.aws.entry_is_live(&w.cluster, &w.admin_role));

    w.aws.clear_calls();
    let again = reconcile(&w).await;
    assert_eq!(again.status, ReconcileStatus::InSync, "{again:#?}");
    let writes: Vec<String> = w
        .aws
        .calls()
        .into_iter()
        .filter(|c| !c.starts_with("List") && !c.starts_with("Describe"))
        .collect();
    assert!(writes.is_empty(), "second run wrote: {writes:?}");
}

#[tokio::test]
async fn brand_new_role_is_retried_through_the_invalid_principal_window() {
    let w = world();
    w.aws
        .fail_next("CreateAccessEntry", ErrorKind::InvalidPrincipal, 2);
    w.aws
        .fail_next("AssociateAccessPolicy", ErrorKind::NotFound, 2);
    let report = reconcile(&w).await;
    assert_eq!(report.status, ReconcileStatus::Applied, "{report:#?}");
    assert_eq!(w.aws.entries(&w.cluster).len(), 2);
    let creates = w
        .aws
        .calls()
        .iter()
        .filter(|c| *c == "CreateAccessEntry")
        .count();
    assert_eq!(creates, 4, "two failures retried, then one create per role");
}

#[tokio::test]
async fn partial_failure_keeps_going_and_reports_each_failure() {
    let w = world();
    // The admin role sorts first: its create fails for good; the payments entry must still land.
    w.aws
        .fail_next("CreateAccessEntry", ErrorKind::InvalidParameter, 1);
    let report = reconcile(&w).await;
    assert_eq!(report.status, ReconcileStatus::PartiallyApplied);
    let failures: Vec<&OperationResult> = report.apply.failures().collect();
    // The failed create, and its association not attempted.
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert!(matches!(failures[0].outcome, Outcome::Failed { .. }));
    assert!(matches!(failures[1].outcome, Outcome::NotAttempted { .. }));
    let entries = w.aws.entries(&w.cluster);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].principal, w.payments_role);
    // The next run finishes the job.
    assert_eq!(reconcile(&w).await.status, ReconcileStatus::Applied);
    assert_eq!(reconcile(&w).await.status, ReconcileStatus::InSync);
}

#[tokio::test]
async fn role_recreated_under_the_same_arn_gets_a_fresh_entry() {
    let w = world();
    reconcile(&w).await;
    let recreated = w.aws.recreate_role(&w.payments_role);
    assert_eq!(recreated.arn, w.payments_role, "same ARN");
    assert!(
        !w.aws.entry_is_live(&w.cluster, &w.payments_role),
        "old entry is dead"
    );
    let report = reconcile(&w).await;
    let plan = report.plan.unwrap();
    assert!(
        plan.operations
            .iter()
            .any(|op| matches!(op, Operation::RecreateEntry { .. })),
        "{plan:#?}"
    );
    assert!(w.aws.entry_is_live(&w.cluster, &w.payments_role));
    let entry = w
        .aws
        .entries(&w.cluster)
        .into_iter()
        .find(|e| e.principal == w.payments_role)
        .unwrap();
    assert_eq!(entry.recorded_role_id(), Some(recreated.role_id.as_str()));
    assert_eq!(entry.policies.len(), 2, "policies re-associated");
}

#[tokio::test]
async fn config_map_cluster_is_reported_and_untouched() {
    let w = world();
    let legacy = cluster("legacy");
    w.aws.add_cluster(
        &legacy,
        ClusterStatus::Active,
        AuthenticationMode::ConfigMap,
        &[],
    );
    let report = reconcile_cluster(&legacy, &w.ctx.fresh(), &ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(report.status, ReconcileStatus::NeedsAuthModeSwitch);
    assert!(
        !w.aws.calls().iter().any(|c| c.contains("AccessEntr")),
        "no access-entry call on CONFIG_MAP"
    );
}

#[tokio::test]
async fn creating_cluster_waits_then_converges() {
    let w = world();
    let fresh = cluster("fresh");
    w.aws.add_cluster(
        &fresh,
        ClusterStatus::Creating,
        AuthenticationMode::Api,
        &[],
    );
    let report = reconcile_cluster(&fresh, &w.ctx.fresh(), &ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(
        report.status,
        ReconcileStatus::Waiting {
            status: ClusterStatus::Creating
        }
    );
    w.aws.set_cluster_status(&fresh, ClusterStatus::Active);
    let report = reconcile_cluster(&fresh, &w.ctx.fresh(), &ReconcileOptions::default())
        .await
        .unwrap();
    assert_eq!(report.status, ReconcileStatus::Applied);
    assert_eq!(w.aws.entries(&fresh).len(), 2);
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let w = world();
    let options = ReconcileOptions {
        dry_run: true,
        trigger_event_id: None,
    };
    let report = reconcile_cluster(&w.cluster, &w.ctx.fresh(), &options)
        .await
        .unwrap();
    assert_eq!(report.status, ReconcileStatus::Pending);
    assert!(!report.plan.unwrap().operations.is_empty());
    assert!(w.aws.entries(&w.cluster).is_empty());
}

#[tokio::test]
async fn gone_cluster_is_reported() {
    let w = world();
    let report = reconcile_cluster(
        &cluster("nope"),
        &w.ctx.fresh(),
        &ReconcileOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.status, ReconcileStatus::Gone);
}

fn managed_entry(principal: &PrincipalArn, role_id: &RoleId, admin: bool) -> ActualEntry {
    let mut policies = BTreeMap::new();
    if admin {
        policies.insert(PolicyArn::cluster_admin(), AccessScope::Cluster);
    }
    ActualEntry {
        principal: principal.clone(),
        arn: Some(format!(
            "arn:aws:eks:eu-west-1:{ACCOUNT}:access-entry/prod/{}",
            principal.name()
        )),
        entry_type: EntryType::Standard,
        kubernetes_groups: BTreeSet::new(),
        username: None,
        tags: ManagedTags::for_entry(&["admins".to_owned()], role_id),
        policies,
        created_at: None,
    }
}

#[tokio::test]
async fn create_conflict_with_our_own_entry_converges_and_delete_404_is_done() {
    let w = world();
    let role = w.aws.add_role(ACCOUNT, "/", "ci");
    let eks = w
        .aws
        .eks(&w.cluster.account, &w.cluster.region)
        .await
        .unwrap();
    // Our own entry already exists (a concurrent run made it): 409 → re-read → converged.
    w.aws
        .put_entry(&w.cluster, managed_entry(&role.arn, &role.role_id, false));
    let entry = NewEntry {
        principal: role.arn.clone(),
        kubernetes_groups: BTreeSet::new(),
        username: None,
        tags: ManagedTags::for_entry(&["admins".to_owned()], &role.role_id),
    };
    let gone = w.aws.add_role(ACCOUNT, "/", "gone");
    let plan = ClusterPlan {
        cluster: w.cluster.clone(),
        operations: vec![
            Operation::CreateEntry { entry },
            Operation::DeleteEntry {
                principal: gone.arn.clone(),
                reason: crate::plan::DeleteReason::NoLongerDesired,
            },
        ],
        skipped: vec![],
        conflicts: vec![],
        refused: None,
    };
    let report = apply_plan(
        eks.as_ref(),
        &plan,
        &[],
        &RetryPolicy::fast(),
        4,
        Some("evt-1"),
    )
    .await;
    assert!(
        matches!(report.results[0].outcome, Outcome::AlreadyDone { .. }),
        "{report:#?}"
    );
    assert!(
        matches!(report.results[1].outcome, Outcome::AlreadyDone { .. }),
        "{report:#?}"
    );
    assert_eq!(report.audit.len(), 2);
    assert_eq!(report.audit[0].trigger_event_id.as_deref(), Some("evt-1"));
}

#[tokio::test]
async fn a_failed_grant_defers_removal_of_admin_access() {
    let w = world();
    let eks = w
        .aws
        .eks(&w.cluster.account, &w.cluster.region)
        .await
        .unwrap();
    let old = w.aws.add_role(ACCOUNT, "/", "old-admin");
    let new = w.aws.add_role(ACCOUNT, "/", "new-admin");
    let old_entry = managed_entry(&old.arn, &old.role_id, true);
    w.aws.put_entry(&w.cluster, old_entry.clone());
    w.aws
        .fail_next("CreateAccessEntry", ErrorKind::InvalidParameter, 1);
    let plan = ClusterPlan {
        cluster: w.cluster.clone(),
        operations: vec![
            Operation::CreateEntry {
                entry: NewEntry {
                    principal: new.arn.clone(),
                    kubernetes_groups: BTreeSet::new(),
                    username: None,
                    tags: ManagedTags::for_entry(&["admins".to_owned()], &new.role_id),
                },
            },
            Operation::AssociatePolicy {
                principal: new.arn.clone(),
                policy: PolicyArn::cluster_admin(),
                scope: AccessScope::Cluster,
                before: None,
            },
            Operation::DeleteEntry {
                principal: old.arn.clone(),
                reason: crate::plan::DeleteReason::NoLongerDesired,
            },
        ],
        skipped: vec![],
        conflicts: vec![],
        refused: None,
    };
    let report = apply_plan(
        eks.as_ref(),
        &plan,
        &[old_entry],
        &RetryPolicy::fast(),
        4,
        None,
    )
    .await;
    assert!(
        matches!(report.results[2].outcome, Outcome::NotAttempted { .. }),
        "{report:#?}"
    );
    assert!(
        w.aws
            .entries(&w.cluster)
            .iter()
            .any(|e| e.principal == old.arn),
        "old admin kept"
    );
}

// ---- Concurrent writers (issue 8, item 13): admin removals are re-checked against fresh state.

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
        refused: None,
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
    apply_plan(eks, plan, snapshot, &RetryPolicy::fast(), 4, None).await
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
        resource_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), crate::ports::PortError> {
        tokio::task::yield_now().await;
        self.0.tag_resource(resource_arn, tags).await
    }
}
