//! The engine under IAM enforcement: the emulator evaluates the member role's identity policy,
//! and a role missing one permission (`eks:DeleteAccessEntry`) must give a clear per-operation
//! error naming the action and the resource, apply nothing half-way, still attempt the rest of
//! the plan, and count the failure in the invocation's metrics.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod adapters_support;
mod scenario_support;

use eks_sso_sync::engine::{Outcome, ReconcileStatus};
use eks_sso_sync::metrics::{Metrics, names};
use eks_sso_sync::plan::Operation;
use eks_sso_sync::ports::ErrorKind;
use eks_sso_sync_emulator::Faults;
use scenario_support::*;

/// The member role the engine assumes, with an identity policy that allows everything it needs
/// except deleting access entries.
const MEMBER_ROLE: &str = r#"
roles:
  - account: "111111111111"
    name: eks-sso-sync-member
    path: /eks-sso-sync/
    policies:
      no-delete:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Action: ["iam:ListRoles", "iam:GetRole"], Resource: "*" }
          - Effect: Allow
            NotAction: eks:DeleteAccessEntry
            Resource: "arn:aws:eks:*:111111111111:*"
          - { Effect: Allow, Action: ["eks:ListClusters", "eks:ListAccessPolicies"], Resource: "*" }
"#;

const ROLE_ARN: &str = "arn:aws:iam::111111111111:role/eks-sso-sync/eks-sso-sync-member";

/// [`MAPPING`] with the engine assuming the member role; `edit` changes the rules.
fn mapping(edit: impl Fn(String) -> String) -> std::sync::Arc<eks_sso_sync::config::Mapping> {
    let text = MAPPING.replace("role: none", &format!("role: \"{ROLE_ARN}\""));
    mapping_text(&edit(text))
}

#[tokio::test]
async fn a_missing_permission_fails_only_its_operation_with_the_action_and_resource() {
    let seed = SEED.replace("\nclusters:", &format!("{MEMBER_ROLE}clusters:"));
    let emulator = start_with(&seed, Faults::default()).await;
    let ctx = context(&emulator, mapping(|m| m), None).await;
    let first = reconcile(&ctx, "prod-1").await;
    assert_eq!(first.status, ReconcileStatus::Applied, "{first:#?}");
    let before = entries(&emulator, "prod-1");
    let payments = sso_entry(&before, "PaymentsDeveloper").clone();

    // Dropping the payments rule plans a deletion (denied); a new group on the admins rule plans
    // an update of another entry (allowed) in the same plan.
    let edited = mapping(|m| {
        let start = m.find("  - name: payments").expect("payments rule");
        let without = m[..start].to_owned();
        without.replace(
            "    permission_set: Admin\n",
            "    permission_set: Admin\n    kubernetes_groups: [platform-admins]\n",
        )
    });
    let ctx = context(&emulator, edited, None).await;
    emulator.clear_requests();
    let report = reconcile(&ctx, "prod-1").await;

    let failed: Vec<_> = report.apply.failures().collect();
    assert_eq!(failed.len(), 1, "{:#?}", report.apply.results);
    assert!(
        matches!(failed[0].operation, Operation::DeleteEntry { .. }),
        "{:?}",
        failed[0].operation
    );
    let Outcome::Failed { error } = &failed[0].outcome else {
        panic!("not a failure: {:?}", failed[0].outcome);
    };
    assert_eq!(error.kind, ErrorKind::AccessDenied);
    assert_eq!(error.operation, "DeleteAccessEntry");
    let message = error.to_string();
    assert!(
        message.contains("assumed-role/eks-sso-sync-member/"),
        "{message}"
    );
    assert!(
        message.contains("is not authorized to perform: eks:DeleteAccessEntry"),
        "{message}"
    );
    assert!(
        message
            .contains(":access-entry/prod-1/role/111111111111/AWSReservedSSO_PaymentsDeveloper_"),
        "{message}"
    );
    assert_eq!(failed[0].attempts, 1, "an access denial is not retried");

    // The rest of the plan ran: the admin entry got its new group.
    let after = entries(&emulator, "prod-1");
    assert_eq!(
        sso_entry(&after, "Admin").kubernetes_groups,
        vec!["platform-admins".to_owned()]
    );
    assert!(report.apply.applied() >= 1, "{:#?}", report.apply.results);
    // Nothing half-applied: the payments entry is intact, policies and all.
    assert_eq!(sso_entry(&after, "PaymentsDeveloper"), &payments);

    let mut metrics = Metrics::new("reconciler");
    report.count_into(&mut metrics);
    assert_eq!(metrics.get(names::APPLY_ERRORS), 1.0);
    emulator.shutdown().await;
}
