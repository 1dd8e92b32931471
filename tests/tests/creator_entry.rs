//! The creator's bootstrap entry, end to end on the demo organization: only the principal the
//! `CreateCluster` record names (carried in the job as `ReconcileOptions::creator`) is ever taken
//! for the creator, never an entry guessed from its age; with `remove_creator_admin` its entry is
//! removed once a managed admin exists, and when the member role's policy does not allow that
//! (`member-account.yaml` without `AllowCreatorEntryRemoval`, as rendered) the refusal is a
//! reported problem while the rest of the plan applies.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::sync::Arc;

use eks_sso_sync::aws::{setup, static_credentials};
use eks_sso_sync::config::Mapping;
use eks_sso_sync::domain::{AccountId, ClusterName, ClusterRef, PrincipalArn, Region};
use eks_sso_sync::engine::{
    ClusterReport, Outcome, ReconcileContext, ReconcileOptions, ReconcileStatus, reconcile_cluster,
};
use eks_sso_sync::plan::{DeleteReason, Operation};
use eks_sso_sync_emulator::rendered::RenderedPolicies;
use eks_sso_sync_emulator::{Emulator, EmulatorConfig, RunningEmulator, Seed};

const SEED: &str = include_str!("../../cli/src/cmd/demo/seed.yaml");
const MAPPING: &str = include_str!("../../mapping.yaml");
/// The seed's payments-prod was created by this role (`created_by: cluster-creator`).
const CREATOR: &str = "arn:aws:iam::222222222222:role/cluster-creator";

async fn start(enforced: bool) -> RunningEmulator {
    let mut seed = Seed::from_yaml(SEED).expect("demo seed");
    if enforced {
        let rendered = RenderedPolicies::member_roles().expect("rendered policies");
        rendered
            .enforce_role(&mut seed, "eks-sso-sync-target")
            .expect("enforced");
    }
    let config = EmulatorConfig {
        seed: Some(seed),
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

async fn ctx(emulator: &RunningEmulator) -> ReconcileContext {
    let text = MAPPING.replace("remove_creator_admin: false", "remove_creator_admin: true");
    let mapping = Arc::new(Mapping::from_str(&text, "mapping.yaml").expect("mapping"));
    let endpoint = Some((
        emulator.endpoint.as_str(),
        static_credentials("test", "test"),
    ));
    let sdk = setup::sdk_config(&mapping, endpoint).await;
    setup::context(mapping.clone(), &setup::ports(&mapping, &sdk).await)
}

async fn reconcile(emulator: &RunningEmulator, creator: Option<&str>) -> ClusterReport {
    let cluster = ClusterRef::new(
        AccountId::new("222222222222").expect("account"),
        Region::new("eu-west-1").expect("region"),
        ClusterName::new("payments-prod").expect("name"),
    );
    let options = ReconcileOptions {
        creator: creator.map(|arn| PrincipalArn::new(arn).expect("arn")),
        ..ReconcileOptions::default()
    };
    reconcile_cluster(&cluster, &ctx(emulator).await, &options)
        .await
        .expect("reconcile reads state")
}

fn creator_removals(report: &ClusterReport) -> Vec<&Outcome> {
    report
        .apply
        .results
        .iter()
        .filter(|r| {
            matches!(
                &r.operation,
                Operation::DeleteEntry { principal, reason: DeleteReason::CreatorAdminRemoved }
                    if principal.as_str() == CREATOR
            )
        })
        .map(|r| &r.outcome)
        .collect()
}

fn has_creator_entry(emulator: &RunningEmulator) -> bool {
    emulator
        .entries("222222222222", "eu-west-1", "payments-prod")
        .iter()
        .any(|e| e.principal_arn == CREATOR)
}

#[tokio::test]
async fn without_the_record_no_entry_is_taken_for_the_creators() {
    let emulator = start(false).await;
    assert!(has_creator_entry(&emulator));
    let report = reconcile(&emulator, None).await;
    assert_eq!(report.status, ReconcileStatus::Applied, "{report:#?}");
    assert!(creator_removals(&report).is_empty());
    assert!(
        has_creator_entry(&emulator),
        "kept: nothing names it the creator"
    );
}

#[tokio::test]
async fn the_recorded_creator_is_removed_once_a_managed_admin_exists() {
    let emulator = start(false).await;
    let report = reconcile(&emulator, Some(CREATOR)).await;
    assert_eq!(report.status, ReconcileStatus::Applied, "{report:#?}");
    assert_eq!(creator_removals(&report), [&Outcome::Applied]);
    assert!(!has_creator_entry(&emulator));
}

#[tokio::test]
async fn a_removal_the_member_policy_refuses_is_a_problem_not_a_failed_plan() {
    let emulator = start(true).await;
    let report = reconcile(&emulator, Some(CREATOR)).await;
    let removals = creator_removals(&report);
    assert!(
        matches!(removals.as_slice(), [Outcome::Failed { error }] if error.to_string().contains("AccessDenied")),
        "{removals:#?}"
    );
    assert_eq!(
        report.status,
        ReconcileStatus::Applied,
        "the rest of the plan stands"
    );
    assert!(
        report.apply.applied() > 0,
        "the managed entries were created"
    );
    let problem = report
        .problems
        .iter()
        .find(|p| p.rule == "options.remove_creator_admin")
        .expect("the refusal is reported");
    assert!(
        problem.message.contains(CREATOR) && problem.message.contains("AllowCreatorEntryRemoval"),
        "{}",
        problem.message
    );
    assert!(has_creator_entry(&emulator));
}
