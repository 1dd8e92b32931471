//! The shared state of a running emulator: the world, the fault injector and the request log,
//! with the operations the admin API and the Rust helpers offer on them.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use crate::faults::{FaultInjector, Faults};
use crate::seed::{self, Seed};
use crate::services::eks::entries::{EntryView, entry_views};
use crate::services::eks::{ClusterKey, clusters};
use crate::world::World;
use crate::{EmulatorConfig, EmulatorError};

/// One service call as the request log records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Position in the log since the last clear.
    pub seq: u64,
    /// Service (`eks`, `iam`, `sts`, `identitystore`, `sso`, `sqs`, or the unrecognised name).
    pub service: String,
    /// Operation name (`CreateAccessEntry`, ...).
    pub operation: String,
    /// Account the call landed in.
    pub account: String,
    /// Region of the SigV4 scope.
    pub region: String,
    /// HTTP status answered.
    pub status: u16,
    /// Error code, for failed calls.
    pub error_code: Option<String>,
}

/// Locks a mutex, recovering the data if a panicking holder poisoned it (state stays usable).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything a running emulator holds.
#[derive(Debug)]
pub struct EmulatorState {
    pub(crate) world: Mutex<World>,
    pub(crate) faults: Mutex<FaultInjector>,
    pub(crate) log: Mutex<Vec<RequestRecord>>,
    pub(crate) iam_log: crate::authz::log::IamLog,
    config: EmulatorConfig,
}

impl EmulatorState {
    /// State built from a configuration (its seed applied).
    pub fn new(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let mut world =
            seed::build_world(&config, crate::clock::Clock::wall(), config.seed.as_ref())?;
        world.consistency_window_seconds = config.faults.consistency_window_seconds;
        let iam_log_path = crate::authz::log::IamLog::configured_path(config.iam_log.as_deref());
        let iam_log =
            crate::authz::log::IamLog::open(iam_log_path.as_deref()).map_err(|source| {
                EmulatorError::IamLog {
                    path: iam_log_path.clone().unwrap_or_default(),
                    source,
                }
            })?;
        Ok(Self {
            iam_log,
            world: Mutex::new(world),
            faults: Mutex::new(FaultInjector::new(config.faults.clone())),
            log: Mutex::new(Vec::new()),
            config,
        })
    }

    /// Runs `f` on the world (after applying due clock transitions).
    pub fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut world = lock(&self.world);
        world.tick();
        f(&mut world)
    }

    /// Back to the configured start: the configured seed, no sessions, an empty log; the clock
    /// offset and the faults in force are kept.
    pub fn reset(&self) -> Result<(), EmulatorError> {
        self.replace_world(self.config.seed.as_ref())?;
        lock(&self.log).clear();
        Ok(())
    }

    /// Replaces the world by one built from `seed` (clock offset and faults kept).
    pub fn load_seed(&self, seed: &Seed) -> Result<(), EmulatorError> {
        self.replace_world(Some(seed))
    }

    fn replace_world(&self, seed: Option<&Seed>) -> Result<(), EmulatorError> {
        let mut world = lock(&self.world);
        let mut fresh = seed::build_world(&self.config, world.clock.clone(), seed)?;
        fresh.consistency_window_seconds = world.consistency_window_seconds;
        // The listening address outlives a reseed: cluster endpoints keep pointing here.
        fresh.kubernetes.base_url = world.kubernetes.base_url.take();
        *world = fresh;
        Ok(())
    }

    /// Moves the emulator clock forward; returns the new offset in seconds.
    pub fn advance_clock(&self, seconds: f64) -> f64 {
        self.with_world(|w| {
            w.clock.advance(seconds);
            w.tick();
            w.clock.offset_seconds()
        })
    }

    /// Finishes every cluster transition now; returns how many clusters changed.
    pub fn settle_clusters(&self) -> usize {
        self.with_world(|w| {
            let due: Vec<ClusterKey> = w
                .eks
                .clusters
                .values()
                .filter(|c| c.ready_at.is_some())
                .map(|c| c.key.clone())
                .collect();
            for key in &due {
                if let Some(cluster) = w.eks.clusters.get_mut(key) {
                    clusters::settle(cluster);
                }
            }
            due.len()
        })
    }

    /// The request log.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.log).clone()
    }

    /// Calls per `service:Operation` (e.g. `eks:CreateAccessEntry`).
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for record in lock(&self.log).iter() {
            *counts
                .entry(format!("{}:{}", record.service, record.operation))
                .or_insert(0) += 1;
        }
        counts
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        lock(&self.log).clear();
    }

    pub(crate) fn record(&self, mut record: RequestRecord) {
        let mut log = lock(&self.log);
        record.seq = log.len() as u64 + 1;
        log.push(record);
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        lock(&self.faults).faults().clone()
    }

    /// What each token bucket of the faults' `rate_limits` admitted and throttled since the
    /// faults were last set.
    pub fn rate_limit_report(&self) -> Vec<crate::rate_limits::BucketReport> {
        lock(&self.faults).bucket_report()
    }

    /// Replaces the faults (the fault generator is reseeded from `faults.seed`, and every
    /// token bucket starts full).
    pub fn set_faults(&self, faults: Faults) {
        lock(&self.world).consistency_window_seconds = faults.consistency_window_seconds;
        *lock(&self.faults) = FaultInjector::new(faults);
    }

    /// Deletes and recreates a role under the same name and path, as happens behind a
    /// reconciler's back; returns the new role id, or `None` if there is no such role.
    pub fn recreate_role(&self, account: &str, name: &str) -> Option<String> {
        self.with_world(|w| {
            let old = crate::services::iam::delete_role(w, account, name).ok()?;
            let now = w.now();
            let doc = old.assume_role_policy_document.clone();
            crate::services::iam::insert_role(w, account, name, &old.path, &doc, now)
                .ok()
                .map(|r| r.role_id)
        })
    }

    /// Forces a cluster's status (e.g. `FAILED`, which no API call produces); `false` if there is
    /// no such cluster. A forced status is final until changed again.
    pub fn set_cluster_status(
        &self,
        account: &str,
        region: &str,
        cluster: &str,
        status: &str,
    ) -> bool {
        self.with_world(|w| {
            let key = ClusterKey {
                account: account.to_owned(),
                region: region.to_owned(),
                name: cluster.to_owned(),
            };
            w.eks.clusters.get_mut(&key).map(|c| {
                c.status = status.to_owned();
                c.ready_at = None;
            })
        })
        .is_some()
    }

    /// Every access entry of a cluster with its role binding, or `None` if there is no such cluster.
    pub fn entries(&self, account: &str, region: &str, cluster: &str) -> Option<Vec<EntryView>> {
        self.with_world(|w| {
            let key = ClusterKey {
                account: account.to_owned(),
                region: region.to_owned(),
                name: cluster.to_owned(),
            };
            w.eks.clusters.get(&key).map(|c| entry_views(w, c))
        })
    }
}
