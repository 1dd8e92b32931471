//! Engine tests against the in-memory ports: retries of the documented eventual-consistency
//! windows, 409/404 convergence, partial failure, idempotence and recreated roles.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::*;
use crate::config::Mapping;
use crate::desired::RuleSource;
use crate::domain::{
    AccessEntryArn, AccessScope, AccountId, ActualEntry, AuthenticationMode, ClusterName,
    ClusterRef, ClusterStatus, EntryType, ManagedTags, NamespacePattern, PolicyArn, PrincipalArn,
    Region, RoleId, RuleName,
};
use crate::memory::MemoryAws;
use crate::plan::{ClusterPlan, Operation};
use crate::ports::{AccountConnector, ErrorKind, NewEntry};

pub(super) const ACCOUNT: &str = "111111111111";

pub(super) const MAPPING: &str = r#"
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
pub(super) struct World {
    pub(super) aws: MemoryAws,
    pub(super) ctx: ReconcileContext,
    pub(super) cluster: ClusterRef,
    admin_role: PrincipalArn,
    payments_role: PrincipalArn,
}

pub(super) fn world() -> World {
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
        ..ReconcileOptions::default()
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

pub(super) fn managed_entry(
    principal: &PrincipalArn,
    role_id: &RoleId,
    admin: bool,
) -> ActualEntry {
    let mut policies = BTreeMap::new();
    if admin {
        policies.insert(PolicyArn::cluster_admin(), AccessScope::Cluster);
    }
    ActualEntry {
        principal: principal.clone(),
        arn: AccessEntryArn::new(format!(
            "arn:aws:eks:eu-west-1:{ACCOUNT}:access-entry/prod/{}",
            principal.name()
        ))
        .ok(),
        entry_type: EntryType::Standard,
        kubernetes_groups: BTreeSet::new(),
        username: None,
        tags: ManagedTags::for_entry(&["admins".to_owned()], role_id),
        policies,
        created_at: None,
        principal_status: Default::default(),
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
        withheld: vec![],
        refused: None,
        provenance: BTreeMap::from([(
            gone.arn.clone(),
            vec![RuleSource::recorded(RuleName::new("old-rule").unwrap())],
        )]),
        origin: Some(RunOrigin {
            event_id: Some("evt-1".to_owned()),
            trigger: Some("membership_added".to_owned()),
            mapping_sha256: Some("abc123".to_owned()),
        }),
    };
    let report = apply_plan(eks.as_ref(), &plan, &[], &RetryPolicy::fast(), 4).await;
    assert!(
        matches!(report.results[0].outcome, Outcome::AlreadyDone { .. }),
        "{report:#?}"
    );
    assert!(
        matches!(report.results[1].outcome, Outcome::AlreadyDone { .. }),
        "{report:#?}"
    );
    assert_eq!(report.audit.len(), 2);
    let audit = &report.audit[0];
    assert_eq!(audit.trigger_event_id.as_deref(), Some("evt-1"));
    assert_eq!(audit.trigger.as_deref(), Some("membership_added"));
    assert_eq!(audit.mapping_sha256.as_deref(), Some("abc123"));
    assert_eq!(audit.operation, super::OperationKind::CreateEntry);
    assert_eq!(audit.outcome, super::AuditOutcome::AlreadyDone);
    assert!(audit.outcome_detail.is_some(), "what was found: {audit:?}");
    let removal = &report.audit[1];
    assert_eq!(removal.operation, super::OperationKind::DeleteEntry);
    assert_eq!(removal.rules, [RuleName::new("old-rule").unwrap()]);
    assert_eq!(
        removal.provenance,
        [RuleSource::recorded(RuleName::new("old-rule").unwrap())]
    );
    assert!(
        removal
            .reason
            .ends_with("; rules old-rule (recorded on the entry)"),
        "{removal:?}"
    );
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
        withheld: vec![],
        refused: None,
        provenance: Default::default(),
        origin: None,
    };
    let report = apply_plan(eks.as_ref(), &plan, &[old_entry], &RetryPolicy::fast(), 4).await;
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
