//! Fixtures of `reconcile_emulator.rs`: the scenario world (`tests/fixtures/reconcile-seed.yaml`),
//! its mapping (`tests/fixtures/reconcile-mapping.yaml`), an engine context over the real SDK
//! adapters pointed at the emulator, and readers of the emulator's entries and request log.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;

use eks_sso_sync::aws::{SdkConnector, setup};
use eks_sso_sync::config::Mapping;
use eks_sso_sync::domain::ClusterRef;
use eks_sso_sync::engine::{
    ClusterReport, ReconcileContext, ReconcileOptions, RetryPolicy, reconcile_cluster,
};
use eks_sso_sync_emulator::{Emulator, EmulatorConfig, EntryView, Faults, RunningEmulator, Seed};

use crate::adapters_support::{HOME, HUB, account, cluster, hub_config, region};

/// The scenario world.
pub const SEED: &str = include_str!("../../fixtures/reconcile-seed.yaml");
/// The scenario mapping.
pub const MAPPING: &str = include_str!("../../fixtures/reconcile-mapping.yaml");

/// EKS operations that change state: none may appear in the log of an in-sync reconcile.
pub const EKS_WRITES: [&str; 8] = [
    "CreateAccessEntry",
    "UpdateAccessEntry",
    "DeleteAccessEntry",
    "AssociateAccessPolicy",
    "DisassociateAccessPolicy",
    "TagResource",
    "UpdateClusterConfig",
    "CreateCluster",
];

/// An emulator loaded with `seed` and `faults`.
pub async fn start_with(seed: &str, faults: Faults) -> RunningEmulator {
    let config = EmulatorConfig {
        home_region: HOME.to_owned(),
        seed: Some(Seed::from_yaml(seed).expect("seed parses")),
        faults,
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.expect("emulator starts")
}

/// An emulator loaded with [`SEED`], no faults.
pub async fn start() -> RunningEmulator {
    start_with(SEED, Faults::default()).await
}

/// [`MAPPING`] with `extra` YAML appended (e.g. an `options:` section), validated.
pub fn mapping_with(extra: &str) -> Arc<Mapping> {
    mapping_text(&format!("{MAPPING}\n{extra}"))
}

/// A mapping from its full text, validated.
pub fn mapping_text(text: &str) -> Arc<Mapping> {
    match Mapping::from_str(text, "scenario mapping") {
        Ok(mapping) => Arc::new(mapping),
        Err(report) => panic!("scenario mapping is invalid:\n{report}"),
    }
}

/// The engine context a Lambda builds (`aws::setup`), over the emulator, with fast retries and
/// list calls fetching `page_size` items per page when given.
pub async fn context(
    emulator: &RunningEmulator,
    mapping: Arc<Mapping>,
    page_size: Option<i32>,
) -> ReconcileContext {
    let sdk = fast_sdk_config(emulator);
    let ports = setup::ports(&mapping, &sdk).await;
    let ctx = setup::context(mapping.clone(), &ports).with_retry(RetryPolicy::fast());
    let Some(size) = page_size else {
        return ctx;
    };
    let roles = mapping.clone();
    let connector = SdkConnector::new(
        sdk,
        eks_sso_sync::aws::RoleSessionName::default(),
        move |id| roles.account(id).and_then(|a| roles.role_to_assume(a)),
    )
    .with_page_size(size);
    ReconcileContext::new(
        mapping,
        Arc::new(connector),
        ctx.sso_admin.clone(),
        ctx.identity_store.clone(),
    )
    .with_retry(RetryPolicy::fast())
}

/// The hub credentials with the production retry mode (standard, five attempts) but millisecond
/// backoffs: the emulator's injected faults are instant, and seconds of backoff would only slow
/// the tests down without exercising anything more.
pub fn fast_sdk_config(emulator: &RunningEmulator) -> SdkConfig {
    let retries = eks_sso_sync::aws::config::retry_config()
        .with_initial_backoff(Duration::from_millis(2))
        .with_max_backoff(Duration::from_millis(20));
    hub_config(emulator)
        .to_builder()
        .retry_config(retries)
        .build()
}

/// The hub cluster `name` in the home region.
pub fn hub_cluster(name: &str) -> ClusterRef {
    ClusterRef::new(account(HUB), region(HOME), cluster(name))
}

/// One reconcile of `name` from fresh caches, as one invocation does it.
pub async fn reconcile(ctx: &ReconcileContext, name: &str) -> ClusterReport {
    reconcile_cluster(
        &hub_cluster(name),
        &ctx.fresh(),
        &ReconcileOptions::default(),
    )
    .await
    .expect("reconcile reads state")
}

/// The entries of hub cluster `name`, by principal ARN.
pub fn entries(emulator: &RunningEmulator, name: &str) -> BTreeMap<String, EntryView> {
    emulator
        .entries(HUB, HOME, name)
        .into_iter()
        .map(|e| (e.principal_arn.clone(), e))
        .collect()
}

/// The entry whose principal is the SSO role of `permission_set`.
pub fn sso_entry<'a>(
    entries: &'a BTreeMap<String, EntryView>,
    permission_set: &str,
) -> &'a EntryView {
    let marker = format!("/AWSReservedSSO_{permission_set}_");
    let mut matching = entries
        .values()
        .filter(|e| e.principal_arn.contains(&marker));
    let entry = matching
        .next()
        .unwrap_or_else(|| panic!("no entry for {permission_set}: {entries:#?}"));
    assert!(matching.next().is_none(), "one entry per permission set");
    entry
}

/// The successful calls of each EKS operation since the log was last cleared.
pub fn eks_successes(emulator: &RunningEmulator) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for record in emulator.requests() {
        if record.service == "eks" && record.status < 300 {
            *counts.entry(record.operation).or_insert(0) += 1;
        }
    }
    counts
}

/// The EKS write calls (any status) since the log was last cleared.
pub fn eks_writes(emulator: &RunningEmulator) -> Vec<String> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.service == "eks" && EKS_WRITES.contains(&r.operation.as_str()))
        .map(|r| r.operation)
        .collect()
}

/// A comparable view of a cluster's entries: generated parts (role suffixes, ids) are kept
/// because runs over one seed generate the same ones; only the entry set matters here.
pub fn entry_shapes(emulator: &RunningEmulator, name: &str) -> Vec<(String, Vec<String>, String)> {
    entries(emulator, name)
        .into_values()
        .map(|e| {
            let policies = serde_json::to_string(&e.policies).expect("policies serialize");
            (e.principal_arn, e.kubernetes_groups, policies)
        })
        .collect()
}
