//! The figures of the deployed-topology bench that are computed from the work, not measured:
//! the minimum number of calls for the same work, and the critical path (the calls that must
//! happen one after another, given the topology's concurrency bounds). Pure: the measured run
//! in `lambda.rs` only supplies what the work was.
//!
//! **Minimum** (the functions' calls; the event source mapping's `ReceiveMessage` and
//! `DeleteMessage` are Lambda's and reported apart):
//! - the trigger: the sweep (in container 0, whose credentials later batches reuse) lists every account (1 `AssumeRole` when the container has no
//!   credentials yet, the `ListClusters` pages, 1 `DescribeCluster` per cluster); group-sync
//!   answers a `CreateAccountAssignment` with 1 `ListInstances` (unless the mapping names the
//!   instance) + 1 `DescribePermissionSet` (is the set wanted?) and lists the account;
//! - the Identity Center and IAM snapshot: once per container per sweep for sweep jobs (a
//!   container's memory is all Lambda shares between invocations without a store), once per
//!   batch for event-driven jobs (they must see the change that triggered them): `ListInstances`,
//!   the `ListPermissionSets` pages, 1 `DescribePermissionSet` per permission set, and per account
//!   of the batch 1 `ListPermissionSetsProvisionedToAccount`, 1 `ListAccountAssignments` per
//!   wanted permission set provisioned there, 1 IAM `ListRoles`, 1 `DescribeGroup` per distinct
//!   group; 1 `AssumeRole` per (container, account) the first time;
//! - per job: 1 `DescribeCluster` (EKS state is read fresh per reconcile), the
//!   `ListAccessEntries` pages, 2 `ListAccessEntries(associatedPolicyArn)` (ClusterAdmin,
//!   Admin), and per entry present before the phase 1 `DescribeAccessEntry`, plus 1
//!   `ListAssociatedAccessPolicies` per managed or admin-holding entry; 1 IAM `GetRole` per
//!   unmanaged admin entry (the lockout guard counts only admins whose role exists);
//! - the successful mutating calls (entries, policies, `SendMessageBatch`).
//!
//! **Critical path** (calls in sequence; the bound `latency × calls` is what wall time cannot beat
//! at a given per-call latency): with `f` the per-cluster fan-out (the engine's concurrency, 8),
//! `k` the clusters reconciled at once in a batch (`BATCH_CONCURRENCY`), `b` the batch size and
//! `N` the consumers:
//! - sweep: `AssumeRole` (cold) + the slowest account's `ListClusters` pages + ⌈clusters/f⌉
//!   `DescribeCluster` levels + ⌈sends/f⌉ `SendMessageBatch` levels; group-sync: `ListInstances` +
//!   `DescribePermissionSet` + `AssumeRole` (cold) + the account's listing + the sends;
//! - then ⌈jobs/(N·b)⌉ delivery rounds, each 1 `ReceiveMessage` + the batch + 1 `DeleteMessage`
//!   level; a batch (full: the event source mapping fills it) is ⌈its jobs/k⌉ waves of one
//!   cluster's chain;
//! - a cluster's chain: `DescribeCluster` (after `AssumeRole` the first time), in parallel with the
//!   snapshot when the batch reads it (`ListInstances` → `ListPermissionSets` pages →
//!   ⌈sets/f⌉ `DescribePermissionSet` levels → `ListPermissionSetsProvisionedToAccount` →
//!   ⌈wanted/f⌉ `ListAccountAssignments` levels → ⌈groups/f⌉ `DescribeGroup` levels), then the
//!   `ListAccessEntries` pages (the two `associatedPolicyArn` lists beside them), then
//!   max(⌈(entries + decisive entries)/f⌉, 2) levels (every entry described, then the policies of
//!   the managed and admin-holding ones), 1 `GetRole` level
//!   when an unmanaged admin entry is there, and 2 × ⌈new entries/f⌉ writes (create, then
//!   associate).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// List pages the services return at most (EKS, Identity Center: 100).
const PAGE: usize = 100;
/// Entries per `SendMessageBatch`.
const SEND_BATCH: usize = 10;
/// The container the scheduled sweep runs in (the bench's first reconciler container).
pub const SWEEP_CONTAINER: usize = 0;

/// List calls needed to read `items` (an empty list is still one call).
fn pages(items: usize) -> u64 {
    items.div_ceil(PAGE).max(1) as u64
}

/// Levels of `items` independent calls made `bound` at a time (0 for none).
fn levels(items: usize, bound: usize) -> u64 {
    items.div_ceil(bound.max(1)) as u64
}

/// The concurrency bounds of the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bounds {
    /// Concurrent reconciler containers (`ReconcileConcurrency`).
    pub consumers: usize,
    /// Messages per batch (`BatchSize`).
    pub batch_size: usize,
    /// Clusters reconciled at once in a batch (`BATCH_CONCURRENCY`).
    pub batch_concurrency: usize,
    /// Calls in flight per cluster (the engine's concurrency).
    pub fan_out: usize,
}

/// The trigger of a phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TriggerWork {
    /// The scheduled sweep: clusters per listed account, and whether the sweep's container had
    /// no credentials yet.
    Sweep {
        /// Clusters in each account.
        listings: Vec<usize>,
        /// Its container assumed the member roles (first invocation).
        cold: bool,
    },
    /// group-sync for an account assignment: the account's clusters.
    Assignment {
        /// Clusters in the account.
        clusters: usize,
        /// The instance is discovered (`ListInstances`).
        discover_instance: bool,
        /// Its container assumed the member role (first invocation).
        cold: bool,
    },
}

/// One job: its account and what its cluster holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobWork {
    /// The cluster's account.
    pub account: String,
    /// Entries on the cluster before the phase.
    pub entries_before: usize,
    /// Of those, the ones whose policies are read (managed, or holding an admin policy).
    pub decisive_before: usize,
    /// Unmanaged admin entries among them (one `GetRole` each).
    pub unmanaged_admins: usize,
    /// Entries the reconcile creates.
    pub new_entries: usize,
}

/// One batch as it was delivered (the event source mapping decides; the minimum follows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchWork {
    /// The container that got it.
    pub container: usize,
    /// The accounts of its jobs.
    pub accounts: BTreeSet<String>,
    /// Its jobs are event-driven (read Identity Center fresh).
    pub fresh: bool,
}

/// What Identity Center holds, as far as the snapshot reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct IdentityWork {
    /// `ListInstances` is needed (the mapping names no instance).
    pub discover_instance: bool,
    /// Permission sets in the instance.
    pub permission_sets: usize,
    /// Per account: the wanted permission sets provisioned there.
    pub wanted: BTreeMap<String, usize>,
    /// Per account: the groups holding those assignments.
    pub groups: BTreeMap<String, BTreeSet<String>>,
}

/// A phase's work: the inputs of its minimum and its critical path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhaseWork {
    /// The trigger.
    pub trigger: TriggerWork,
    /// One item per job.
    pub jobs: Vec<JobWork>,
    /// The batches as delivered.
    pub batches: Vec<BatchWork>,
    /// Per container: the accounts whose credentials it held before the phase.
    pub cached_credentials: BTreeMap<usize, BTreeSet<String>>,
    /// The Identity Center inventory.
    pub identity: IdentityWork,
}

/// The minimum, by kind of call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TopologyMinimum {
    /// STS `AssumeRole`.
    pub sts: u64,
    /// SSO Admin and Identity Store reads.
    pub identity_center: u64,
    /// IAM reads.
    pub iam: u64,
    /// EKS reads.
    pub eks_reads: u64,
    /// Successful mutating calls.
    pub mutations: u64,
    /// The sum.
    pub total: u64,
}

impl PhaseWork {
    /// The minimum for this work, given the mutations made (see the module documentation).
    pub fn minimum(&self, mutations: u64) -> TopologyMinimum {
        let mut m = TopologyMinimum {
            mutations,
            ..TopologyMinimum::default()
        };
        match &self.trigger {
            TriggerWork::Sweep { listings, cold } => {
                m.sts += if *cold { listings.len() as u64 } else { 0 };
                m.eks_reads += listings.iter().map(|&n| pages(n) + n as u64).sum::<u64>();
            }
            TriggerWork::Assignment {
                clusters,
                discover_instance,
                cold,
            } => {
                m.sts += u64::from(*cold);
                m.identity_center += u64::from(*discover_instance) + 1;
                m.eks_reads += pages(*clusters) + *clusters as u64;
            }
        }
        let id = &self.identity;
        let global =
            u64::from(id.discover_instance) + pages(id.permission_sets) + id.permission_sets as u64;
        // Sweep jobs: one snapshot per container; event-driven jobs: one per batch.
        let mut snapshots: Vec<BTreeSet<String>> = Vec::new();
        let mut per_container: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        for batch in &self.batches {
            if batch.fresh {
                snapshots.push(batch.accounts.clone());
            } else {
                per_container
                    .entry(batch.container)
                    .or_default()
                    .extend(batch.accounts.iter().cloned());
            }
        }
        snapshots.extend(per_container.into_values());
        for accounts in &snapshots {
            let groups: BTreeSet<&String> = accounts
                .iter()
                .filter_map(|a| id.groups.get(a))
                .flatten()
                .collect();
            m.identity_center += global
                + accounts
                    .iter()
                    .map(|a| 1 + *id.wanted.get(a).unwrap_or(&0) as u64)
                    .sum::<u64>()
                + groups.len() as u64;
            m.iam += accounts.len() as u64;
        }
        let mut assumed: BTreeMap<usize, BTreeSet<&String>> = BTreeMap::new();
        // The sweep runs in container 0 and has just assumed every account's role.
        let swept = matches!(self.trigger, TriggerWork::Sweep { .. });
        for batch in &self.batches {
            if swept && batch.container == SWEEP_CONTAINER {
                continue;
            }
            let cached = self.cached_credentials.get(&batch.container);
            for account in &batch.accounts {
                if cached.is_none_or(|c| !c.contains(account)) {
                    assumed.entry(batch.container).or_default().insert(account);
                }
            }
        }
        m.sts += assumed.values().map(|a| a.len() as u64).sum::<u64>();
        for job in &self.jobs {
            m.eks_reads += 1
                + pages(job.entries_before)
                + super::minimum::ADMIN_POLICY_LISTS
                + job.entries_before as u64
                + job.decisive_before as u64;
            m.iam += job.unmanaged_admins as u64;
        }
        m.total = m.sts + m.identity_center + m.iam + m.eks_reads + m.mutations;
        m
    }

    /// The critical path: calls in sequence, step by step (see the module documentation).
    pub fn critical_path(&self, bounds: &Bounds) -> CriticalPath {
        let f = bounds.fan_out;
        let sends = levels(self.jobs.len().div_ceil(SEND_BATCH), f);
        let mut steps = vec![self.trigger_chain(f, sends)];
        let per_round = bounds.consumers.max(1) * bounds.batch_size.max(1);
        let rounds = self.jobs.len().div_ceil(per_round);
        let fresh = self.batches.iter().any(|b| b.fresh);
        let snapshot = self.snapshot_chain(f);
        let cluster = self.slowest_cluster_chain(f);
        let cold_credentials = u64::from(self.cached_credentials.values().all(BTreeSet::is_empty));
        for round in 0..rounds {
            let jobs_here = (self.jobs.len() - round * per_round).min(per_round);
            // The event source mapping fills a batch before starting the next one.
            let per_batch = jobs_here.min(bounds.batch_size.max(1));
            let waves = levels(per_batch, bounds.batch_concurrency);
            // The first wave of a batch that reads the snapshot waits for it (DescribeCluster
            // runs beside it); sweep jobs read it in each container's first batch only.
            let reads_snapshot = fresh || round == 0;
            let first = if reads_snapshot {
                snapshot.max(1 + cold_credentials * u64::from(round == 0))
            } else {
                1
            };
            steps.push((
                "delivery round: receive, batch, delete",
                1 + first + cluster + waves.saturating_sub(1) * (1 + cluster) + 1,
            ));
        }
        let mut merged: Vec<(String, u64)> = Vec::new();
        for (label, calls) in steps {
            match merged.last_mut() {
                Some((last, total)) if last.starts_with(label) => *total += calls,
                _ => merged.push((label.to_owned(), calls)),
            }
        }
        let calls = merged.iter().map(|(_, c)| c).sum();
        CriticalPath {
            calls,
            rounds,
            steps: merged
                .into_iter()
                .map(|(step, calls)| CriticalStep { step, calls })
                .collect(),
        }
    }

    /// The trigger's step: the sweep's or group-sync's listing and enqueue.
    fn trigger_chain(&self, f: usize, sends: u64) -> (&'static str, u64) {
        match &self.trigger {
            TriggerWork::Sweep { listings, cold } => {
                let slowest = listings
                    .iter()
                    .map(|&n| pages(n) + levels(n, f))
                    .max()
                    .unwrap_or(0);
                (
                    "sweep: list and describe clusters, enqueue",
                    u64::from(*cold) + slowest + sends,
                )
            }
            TriggerWork::Assignment {
                clusters,
                discover_instance,
                cold,
            } => (
                "group-sync: permission set, list and describe clusters, enqueue",
                u64::from(*discover_instance)
                    + 1
                    + u64::from(*cold)
                    + pages(*clusters)
                    + levels(*clusters, f)
                    + sends,
            ),
        }
    }

    /// The snapshot's chain for the account with the most to read.
    fn snapshot_chain(&self, f: usize) -> u64 {
        let id = &self.identity;
        let slowest_account = id
            .wanted
            .iter()
            .map(|(a, &w)| {
                let groups = id.groups.get(a).map_or(0, BTreeSet::len);
                1 + levels(w, f) + levels(groups, f)
            })
            .max()
            .unwrap_or(1);
        u64::from(id.discover_instance)
            + pages(id.permission_sets)
            + levels(id.permission_sets, f)
            + slowest_account
    }

    /// The EKS chain of the cluster with the most to read and write, after `DescribeCluster`.
    fn slowest_cluster_chain(&self, f: usize) -> u64 {
        self.jobs
            .iter()
            .map(|j| {
                // The admin-policy lists run beside the listing; each entry is described, the
                // decisive ones then have their policies listed, `f` calls in flight.
                let entry_calls = j.entries_before + j.decisive_before;
                let entry_levels = levels(entry_calls, f).max(1 + u64::from(j.decisive_before > 0));
                pages(j.entries_before)
                    + if j.entries_before == 0 {
                        0
                    } else {
                        entry_levels
                    }
                    + u64::from(j.unmanaged_admins > 0)
                    + 2 * levels(j.new_entries, f)
            })
            .max()
            .unwrap_or(0)
    }
}

/// The calls that must be sequential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CriticalPath {
    /// Calls in sequence on the longest dependency chain.
    pub calls: u64,
    /// Delivery rounds (⌈jobs / (consumers × batch size)⌉).
    pub rounds: usize,
    /// Where they are.
    pub steps: Vec<CriticalStep>,
}

/// One step of the critical path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CriticalStep {
    /// What it is.
    pub step: String,
    /// Calls in sequence in it.
    pub calls: u64,
}

/// wall ÷ (latency × critical calls); `None` without injected latency (nothing to compare).
pub fn critical_path_ratio(wall_ms: f64, latency_ms: u64, calls: u64) -> Option<f64> {
    (latency_ms > 0 && calls > 0).then(|| wall_ms / (latency_ms as f64 * calls as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> IdentityWork {
        IdentityWork {
            discover_instance: true,
            permission_sets: 4,
            wanted: BTreeMap::from([("a".into(), 3), ("b".into(), 3)]),
            groups: BTreeMap::from([
                (
                    "a".into(),
                    BTreeSet::from(["g1".into(), "g2".into(), "g3".into()]),
                ),
                (
                    "b".into(),
                    BTreeSet::from(["g1".into(), "g2".into(), "g3".into()]),
                ),
            ]),
        }
    }

    fn job(account: &str) -> JobWork {
        JobWork {
            account: account.into(),
            entries_before: 3,
            decisive_before: 1,
            unmanaged_admins: 1,
            new_entries: 0,
        }
    }

    fn batch(container: usize, accounts: &[&str], fresh: bool) -> BatchWork {
        BatchWork {
            container,
            accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
            fresh,
        }
    }

    fn sweep(batches: Vec<BatchWork>) -> PhaseWork {
        PhaseWork {
            trigger: TriggerWork::Sweep {
                listings: vec![2, 2],
                cold: false,
            },
            jobs: vec![job("a"), job("a"), job("b"), job("b")],
            batches,
            cached_credentials: BTreeMap::from([
                (0, BTreeSet::from(["a".into(), "b".into()])),
                (1, BTreeSet::from(["a".into(), "b".into()])),
            ]),
            identity: identity(),
        }
    }

    #[test]
    fn sweep_jobs_need_one_snapshot_per_container_whatever_the_batches() {
        let one = sweep(vec![batch(0, &["a"], false), batch(0, &["b"], false)]).minimum(0);
        // 1 ListInstances + 1 ListPermissionSets + 4 Describe; 2 × (1 provisioned + 3
        // assignments); 3 groups.
        assert_eq!(one.identity_center, 6 + 8 + 3);
        assert_eq!(
            one.iam,
            2 + 4,
            "ListRoles per account, GetRole per admin entry"
        );
        let two = sweep(vec![batch(0, &["a"], false), batch(1, &["b"], false)]).minimum(0);
        assert_eq!(two.identity_center, 2 * 6 + 8 + 2 * 3);
        assert_eq!(one.sts + two.sts, 0, "credentials were cached");
        // Listing (2 × (1 + 2)) and per job DescribeCluster + ListAccessEntries + 2 admin
        // lists + 3 describes + 1 policy list.
        assert_eq!(one.eks_reads, 6 + 4 * 8);
    }

    #[test]
    fn event_driven_batches_read_fresh_each_time() {
        let mut work = sweep(vec![batch(0, &["a"], true), batch(0, &["a"], true)]);
        work.trigger = TriggerWork::Assignment {
            clusters: 2,
            discover_instance: true,
            cold: true,
        };
        work.jobs.truncate(2);
        let m = work.minimum(4);
        assert_eq!(m.identity_center, 2 + 2 * (6 + 4 + 3));
        assert_eq!(m.sts, 1);
        assert_eq!(m.total, m.sts + m.identity_center + m.iam + m.eks_reads + 4);
    }

    #[test]
    fn the_critical_path_counts_rounds_waves_and_the_snapshot_once() {
        let bounds = Bounds {
            consumers: 1,
            batch_size: 2,
            batch_concurrency: 1,
            fan_out: 8,
        };
        let work = sweep(vec![batch(0, &["a"], false), batch(0, &["b"], false)]);
        let path = work.critical_path(&bounds);
        assert_eq!(path.rounds, 2);
        // Sweep: ListClusters + 1 DescribeCluster level + 1 send level.
        assert_eq!(path.steps[0].calls, 3);
        // Snapshot: 1 + 1 + 1 level + (1 + 1 + 1) = 6; cluster chain after DescribeCluster:
        // 1 page + max(⌈4/8⌉, 2) levels + 1 GetRole = 4; two waves.
        let first_round = 1 + 6 + 4 + (1 + 4) + 1;
        let second_round = 1 + 1 + 4 + (1 + 4) + 1;
        assert_eq!(path.calls, 3 + first_round + second_round);
        assert_eq!(critical_path_ratio(2000.0, 100, 20), Some(1.0));
        assert_eq!(critical_path_ratio(2000.0, 0, 20), None);
    }
}
