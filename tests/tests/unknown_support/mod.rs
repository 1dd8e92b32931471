//! Fixtures of `unknown_never_deletes.rs`: its world (`tests/fixtures/unknown-seed.yaml`), the
//! rules its mappings are assembled from, a reconcile with the operator's options, and readers of
//! what a report withheld and what the emulator was asked to write.

use std::sync::Arc;
use std::time::Duration;

use eks_sso_sync::config::Mapping;
use eks_sso_sync::engine::{
    ClusterReport, EngineError, ReconcileContext, ReconcileOptions, ReconcileStatus,
    reconcile_cluster,
};
use eks_sso_sync::plan::{Operation, Withheld};
use eks_sso_sync_emulator::{Faults, RunningEmulator};

use crate::adapters_support::HUB;
use crate::scenario_support::{context, hub_cluster, mapping_text, start_with};

/// The scenario world.
pub const SEED: &str = include_str!("../../fixtures/unknown-seed.yaml");

/// The part of every mapping before its rules: the hub account, Identity Center discovered.
pub const HEADER: &str = r#"version: 1
identity_center: { region: eu-west-1 }
accounts:
  - { id: "111111111111", regions: [eu-west-1], role: none }
"#;

/// The demo's admin rule: the only cluster-admin access the mapping grants.
pub const ADMINS: &str = r#"
  - name: admins
    permission_set: Admin
    access_policies:
      - { policy: ClusterAdmin, scope: cluster }
"#;

/// The demo's payments rule.
pub const PAYMENTS: &str = r#"
  - name: payments
    permission_set: PaymentsDeveloper
    kubernetes_groups: [payments-devs]
    access_policies:
      - { policy: Edit, namespaces: [payments, "payments-*"] }
      - { policy: View, scope: cluster }
"#;

/// A read-only rule for the `Viewer` permission set.
pub const VIEWERS: &str = r#"
  - name: viewers
    permission_set: Viewer
    access_policies:
      - { policy: View, scope: cluster }
"#;

/// A rule for `Observer`, which exists in Identity Center but is assigned nowhere.
pub const OBSERVERS: &str = r#"
  - name: observers
    permission_set: Observer
    access_policies:
      - { policy: View, scope: cluster }
"#;

/// A convention rule giving each of the eight `Squad-*` permission sets its own entry.
pub const SQUADS: &str = r#"
  - name: squads
    permission_set: "Squad-{squad}"
    access_policies:
      - { policy: View, scope: cluster }
"#;

/// A convention rule whose namespaces come from the capture: `EKSTeam-kube` would reach `kube-*`.
pub const TEAMS: &str = r#"
  - name: teams
    permission_set: "EKSTeam-{team}"
    kubernetes_groups: ["team-{team}"]
    access_policies:
      - { policy: Edit, namespaces: ["{team}-*"] }
"#;

/// [`TEAMS`] as an older mapping had it, allowing the system namespaces.
pub const TEAMS_WITH_SYSTEM_NAMESPACES: &str = r#"
  - name: teams
    permission_set: "EKSTeam-{team}"
    kubernetes_groups: ["team-{team}"]
    allow_system_namespaces: true
    access_policies:
      - { policy: Edit, namespaces: ["{team}-*"] }
"#;

/// The break-glass role of the seed, as its entries name it.
pub const BREAK_GLASS: &str = "arn:aws:iam::111111111111:role/BreakGlassAdmin";

/// An emulator loaded with [`SEED`], no faults.
pub async fn start() -> RunningEmulator {
    start_with(SEED, Faults::default()).await
}

/// A validated mapping: [`HEADER`], then `rules`, then `options` (full YAML lines, may be empty).
pub fn mapping(rules: &[&str], options: &str) -> Arc<Mapping> {
    mapping_text(&format!("{HEADER}rules:{}\n{options}", rules.concat()))
}

/// How long one reconcile may take: the emulator answers in milliseconds and the retries are
/// fast, so a run that takes longer is stuck, not slow.
const RECONCILE_TIMEOUT: Duration = Duration::from_secs(30);

/// One reconcile of hub cluster `name` from fresh caches, with or without the operator's
/// `--allow-mass-deletion`.
pub async fn try_reconcile(
    ctx: &ReconcileContext,
    name: &str,
    allow_mass_deletion: bool,
) -> Result<ClusterReport, EngineError> {
    let options = ReconcileOptions {
        allow_mass_deletion,
        ..ReconcileOptions::default()
    };
    run(ctx, name, &options).await
}

/// A dry run of hub cluster `name`: the plan, and no call that changes anything.
pub async fn plan_only(ctx: &ReconcileContext, name: &str) -> ClusterReport {
    let options = ReconcileOptions {
        dry_run: true,
        ..ReconcileOptions::default()
    };
    run(ctx, name, &options)
        .await
        .expect("reconcile reads state")
}

async fn run(
    ctx: &ReconcileContext,
    name: &str,
    options: &ReconcileOptions,
) -> Result<ClusterReport, EngineError> {
    let (cluster, fresh) = (hub_cluster(name), ctx.fresh());
    let reconcile = reconcile_cluster(&cluster, &fresh, options);
    match tokio::time::timeout(RECONCILE_TIMEOUT, reconcile).await {
        Ok(result) => result,
        Err(_) => panic!("reconcile of {name} took over {RECONCILE_TIMEOUT:?}"),
    }
}

/// [`try_reconcile`] that must get as far as a report.
pub async fn reconcile(
    ctx: &ReconcileContext,
    name: &str,
    allow_mass_deletion: bool,
) -> ClusterReport {
    try_reconcile(ctx, name, allow_mass_deletion)
        .await
        .expect("reconcile reads state")
}

/// Brings cluster `name` in line with a mapping of `rules` and `options` (the state before a
/// scenario's mapping change), asserting that it applied cleanly.
pub async fn converge(emulator: &RunningEmulator, name: &str, rules: &[&str], options: &str) {
    let ctx = context(emulator, mapping(rules, options), None).await;
    let report = reconcile(&ctx, name, false).await;
    assert_eq!(report.status, ReconcileStatus::Applied, "{report:#?}");
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
}

/// The operations the report's plan withheld.
pub fn withheld(report: &ClusterReport) -> &[Withheld] {
    report.plan.as_ref().map_or(&[], |p| p.withheld.as_slice())
}

/// Asserts what a typo does: rule `rule` has a problem whose message names `typo` and
/// `hint`, and the one operation withheld is the deletion of `principal`, held by that problem.
pub fn assert_held_by_typo(
    report: &ClusterReport,
    rule: &str,
    typo: &str,
    hint: &str,
    principal: &str,
) {
    let problem = report
        .problems
        .iter()
        .find(|p| p.rule == rule)
        .unwrap_or_else(|| panic!("a problem for the rule: {:#?}", report.problems));
    assert!(
        problem.message.contains(typo) && problem.message.contains(hint),
        "{}",
        problem.message
    );
    let held = withheld(report);
    assert_eq!(held.len(), 1, "{held:#?}");
    assert_eq!(withheld_delete(&held[0]), Some(principal));
    assert!(
        matches!(&held[0].reason, eks_sso_sync::plan::WithholdReason::Problem { rule: r } if r == rule),
        "{:?}",
        held[0].reason
    );
}

/// The principal a withheld entry deletion concerns, `None` for any other operation.
pub fn withheld_delete(w: &Withheld) -> Option<&str> {
    match &w.operation {
        Operation::DeleteEntry { principal, .. } => Some(principal.as_str()),
        _ => None,
    }
}

/// The calls of `operation` (any service, any status) since the log was last cleared.
pub fn calls(emulator: &RunningEmulator, operation: &str) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.operation == operation)
        .count()
}

/// The full ARN of the SSO role of `permission_set` in the hub, from the emulator's IAM.
pub fn sso_role_arn(emulator: &RunningEmulator, permission_set: &str) -> String {
    let prefix = format!("AWSReservedSSO_{permission_set}_");
    emulator.state().with_world(|w| {
        let roles = &w.accounts[HUB].roles;
        let mut matching = roles.values().filter(|r| r.name.starts_with(&prefix));
        let role = matching
            .next()
            .unwrap_or_else(|| panic!("no SSO role for {permission_set}"));
        assert!(matching.next().is_none(), "one role per permission set");
        role.arn.clone()
    })
}
