//! Identity Center read once per sweep, not once per batch: a warm container keeps the
//! Identity Center and IAM snapshot of the sweep whose jobs it is reconciling, keyed by the
//! generation the sweep stamped into each job, and the later batches of that sweep reuse it.
//!
//! When a snapshot may serve a message — the rule that keeps a shared snapshot as safe as a
//! fresh read per batch:
//! - the job carries a generation (a sweep job) equal to the snapshot's, and
//! - the snapshot was started at or after the message was sent (its `SentTimestamp`).
//!
//! The second condition is what makes sharing safe across containers. The queue is FIFO per
//! cluster: an event-driven job that reached a cluster before this sweep job was *sent* before
//! it, so after the change that triggered it; a snapshot started after this message was sent is
//! therefore newer than every change an earlier job of the group has applied, and reconciling
//! with it cannot undo one. A job whose message lacks the attribute, a job of another
//! generation, and every event-driven job (no generation: group-sync and cluster-bootstrap jobs
//! must see the change that triggered them) get the batch's fresh snapshot instead, which then
//! replaces the cached one: an Identity Center or IAM event thereby also refreshes what the
//! container's next sweep batches use. EKS state is never shared (each reconcile reads it).
//!
//! A snapshot never holds a failure: reads that fail are not stored (see
//! `eks_sso_sync::engine::IdentitySnapshot`), so the next job reads them again, and problems
//! (unresolved names) are still computed per reconcile from what was read.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use aws_lambda_events::sqs::SqsMessage;
use eks_sso_sync::engine::{IdentitySnapshot, ReconcileContext};
use serde::Deserialize;

/// The part of a job body the choice needs (the full job is parsed when it is processed).
#[derive(Deserialize)]
struct Stamp {
    #[serde(default)]
    generation: Option<String>,
}

/// The snapshot a warm container keeps between batches.
#[derive(Clone)]
struct Cached {
    generation: String,
    snapshot: Arc<IdentitySnapshot>,
}

/// The container's cache: one snapshot, the latest sweep's.
#[derive(Default)]
pub struct SnapshotCache {
    cached: Mutex<Option<Cached>>,
}

/// Which snapshot each message of a batch reconciles with.
pub struct BatchContexts {
    /// A fresh snapshot, started when the batch was received.
    fresh: ReconcileContext,
    /// The cached snapshot, where it may serve (see the module documentation).
    shared: Option<(String, ReconcileContext)>,
    /// Messages that may use `shared`.
    sharing: BTreeSet<String>,
}

impl BatchContexts {
    /// The context to reconcile `message` with.
    pub fn for_message(&self, message: &SqsMessage) -> &ReconcileContext {
        match (&self.shared, message.message_id.as_ref()) {
            (Some((_, ctx)), Some(id)) if self.sharing.contains(id) => ctx,
            _ => &self.fresh,
        }
    }
}

impl SnapshotCache {
    /// Chooses the snapshot of every message of `batch` and updates the cache: the batch's fresh
    /// snapshot replaces the cached one when any message could not use it.
    pub fn contexts(&self, base: &ReconcileContext, batch: &[SqsMessage]) -> BatchContexts {
        let fresh = base.fresh();
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        let mut sharing = BTreeSet::new();
        let mut fresh_generation: Option<String> = None;
        let mut refresh = false;
        for message in batch {
            let generation = message
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str::<Stamp>(b).ok())
                .and_then(|s| s.generation);
            let usable = match (&*cached, &generation, sent_at_ms(message)) {
                (Some(c), Some(g), Some(sent)) => {
                    c.generation == *g && c.snapshot.created_at_ms() >= sent
                }
                _ => false,
            };
            match (usable, message.message_id.clone()) {
                (true, Some(id)) => {
                    sharing.insert(id);
                }
                _ => {
                    refresh = true;
                    if generation.is_some() {
                        fresh_generation = generation;
                    }
                }
            }
        }
        let shared = cached
            .as_ref()
            .filter(|_| !sharing.is_empty())
            .map(|c| (c.generation.clone(), base.sharing(c.snapshot.clone())));
        if refresh {
            let generation =
                fresh_generation.or_else(|| cached.as_ref().map(|c| c.generation.clone()));
            if let Some(generation) = generation {
                *cached = Some(Cached {
                    generation,
                    snapshot: fresh.reader().snapshot().clone(),
                });
            }
        }
        tracing::info!(
            shared = sharing.len(),
            fresh = batch.len() - sharing.len(),
            generation = shared.as_ref().map(|(g, _)| g.as_str()),
            "identity snapshot chosen"
        );
        BatchContexts {
            fresh,
            shared,
            sharing,
        }
    }
}

/// The message's `SentTimestamp` (milliseconds since the epoch), as SQS reports it.
fn sent_at_ms(message: &SqsMessage) -> Option<i64> {
    message.attributes.get("SentTimestamp")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str, generation: Option<&str>, sent_at_ms: i64) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.to_owned());
        let stamp = generation.map_or_else(String::new, |g| format!(r#","generation":"{g}""#));
        m.body = Some(format!(r#"{{"cluster":"x"{stamp}}}"#));
        m.attributes
            .insert("SentTimestamp".to_owned(), sent_at_ms.to_string());
        m
    }

    fn now_ms() -> i64 {
        (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
    }

    fn ctx() -> ReconcileContext {
        let mapping = eks_sso_sync::config::Mapping::from_str(
            r#"version: 1
identity_center: { region: eu-west-1 }
accounts:
  - { id: "111122223333", regions: [eu-west-1] }
clusters:
  include: [{ tags: { eks-sso-sync: enabled } }]
rules:
  - name: admins
    permission_set: EKSPlatformAdmin
    access_policies: [{ policy: ClusterAdmin, scope: cluster }]
"#,
            "test.yaml",
        )
        .unwrap();
        let aws = Arc::new(eks_sso_sync::memory::MemoryAws::new("eu-west-1"));
        ReconcileContext::new(Arc::new(mapping), aws.clone(), aws.clone(), aws)
    }

    fn shares(batch: &BatchContexts, m: &SqsMessage, snapshot: &Arc<IdentitySnapshot>) -> bool {
        Arc::ptr_eq(batch.for_message(m).reader().snapshot(), snapshot)
    }

    #[test]
    fn a_sweeps_later_batches_share_the_first_batchs_snapshot() {
        let cache = SnapshotCache::default();
        let base = ctx();
        let sent = now_ms() - 1_000;
        let first = cache.contexts(&base, &[message("a", Some("g1"), sent)]);
        let first_snapshot = first.fresh.reader().snapshot().clone();
        let b = message("b", Some("g1"), sent);
        let second = cache.contexts(&base, std::slice::from_ref(&b));
        assert!(shares(&second, &b, &first_snapshot));
        // A later batch of the same sweep still does.
        let c = message("c", Some("g1"), sent);
        assert!(shares(
            &cache.contexts(&base, std::slice::from_ref(&c)),
            &c,
            &first_snapshot
        ));
    }

    #[test]
    fn a_message_sent_after_the_snapshot_began_reads_fresh_and_refreshes_the_cache() {
        let cache = SnapshotCache::default();
        let base = ctx();
        let first = cache.contexts(&base, &[message("a", Some("g1"), now_ms() - 1_000)]);
        let first_snapshot = first.fresh.reader().snapshot().clone();
        let late = message("l", Some("g1"), now_ms() + 60_000);
        let batch = cache.contexts(&base, std::slice::from_ref(&late));
        assert!(!shares(&batch, &late, &first_snapshot));
        let newer = batch.fresh.reader().snapshot().clone();
        let old = message("o", Some("g1"), now_ms() - 1_000);
        assert!(shares(
            &cache.contexts(&base, std::slice::from_ref(&old)),
            &old,
            &newer
        ));
    }

    #[test]
    fn event_jobs_and_other_generations_read_fresh() {
        let cache = SnapshotCache::default();
        let base = ctx();
        let sent = now_ms() - 1_000;
        let first = cache.contexts(&base, &[message("a", Some("g1"), sent)]);
        let first_snapshot = first.fresh.reader().snapshot().clone();
        let event = message("e", None, sent);
        let batch = cache.contexts(&base, std::slice::from_ref(&event));
        assert!(
            !shares(&batch, &event, &first_snapshot),
            "an event-driven job"
        );
        // The event's fresh snapshot is what the sweep's next batch uses.
        let refreshed = batch.fresh.reader().snapshot().clone();
        let next = message("s", Some("g1"), sent);
        assert!(shares(
            &cache.contexts(&base, std::slice::from_ref(&next)),
            &next,
            &refreshed
        ));
        let other = message("n", Some("g2"), sent);
        let batch = cache.contexts(&base, std::slice::from_ref(&other));
        assert!(!shares(&batch, &other, &refreshed), "another sweep");
    }
}
