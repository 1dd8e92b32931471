//! `apply` reconciles clusters concurrently: while one cluster waits for EKS to see a new
//! role (IAM's eventual consistency), the others go on instead of queueing behind it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod common;

use std::collections::BTreeMap;

use common::{Env, json_success};
use eks_sso_sync_emulator::{Faults, RequestRecord};

/// Per cluster (its account and region), the log positions of its first `CreateAccessEntry`
/// refused for an invalid principal and of its last successful one: the span of its wait.
fn waits(log: &[RequestRecord]) -> BTreeMap<(String, String), (u64, u64)> {
    let mut spans: BTreeMap<(String, String), (Option<u64>, Option<u64>)> = BTreeMap::new();
    for r in log.iter().filter(|r| r.operation == "CreateAccessEntry") {
        let span = spans
            .entry((r.account.clone(), r.region.clone()))
            .or_default();
        if r.status >= 400 {
            span.0 = span.0.or(Some(r.seq));
        } else {
            span.1 = Some(r.seq);
        }
    }
    spans
        .into_iter()
        .filter_map(|(cluster, span)| Some((cluster, (span.0?, span.1?))))
        .collect()
}

#[test]
fn one_clusters_consistency_wait_does_not_delay_the_others() {
    let env = Env::start("seed.yaml");
    // Every permission-set role is made anew, as a fresh assignment makes it: for three
    // seconds EKS refuses it as an invalid principal.
    let sso_roles: Vec<(String, String)> = env.emulator.state().with_world(|w| {
        w.accounts
            .iter()
            .flat_map(|(id, a)| {
                a.roles
                    .keys()
                    .filter(|name| name.starts_with("AWSReservedSSO_"))
                    .map(move |name| (id.clone(), name.clone()))
            })
            .collect()
    });
    assert!(sso_roles.len() >= 3, "{sso_roles:?}");
    for (account, name) in &sso_roles {
        env.emulator
            .recreate_role(account, name)
            .expect("role recreated");
    }
    env.emulator.set_faults(Faults {
        consistency_window_seconds: 3,
        ..Faults::default()
    });
    env.emulator.clear_requests();

    let applied = json_success(env.cli().args(["apply", "--yes", "--output", "json"]));
    assert_eq!(
        applied["applied"].as_array().map(Vec::len),
        Some(3),
        "{applied}"
    );

    let waits = waits(&env.emulator.requests());
    assert!(
        waits.len() >= 2,
        "clusters waited for a new role: {waits:?}"
    );
    let overlapping = waits.values().any(|(start, end)| {
        waits
            .values()
            .any(|(other_start, _)| other_start > start && other_start < end)
    });
    assert!(
        overlapping,
        "another cluster started while one waited: {waits:?}"
    );
}
