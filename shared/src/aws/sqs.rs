//! [`JobQueue`] over an SQS FIFO queue: one message group per cluster (so one cluster is never
//! reconciled by two workers at once) and a deduplication id derived from the job, so a retried
//! enqueue inside SQS's five-minute window is dropped instead of reconciling twice.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use futures::{StreamExt, TryStreamExt};

use crate::aws::errors::port_error;
use crate::domain::ClusterRef;
use crate::ports::{ErrorKind, JobQueue, PortError, ReconcileJob};

/// SQS takes at most ten entries per `SendMessageBatch`.
const BATCH_SIZE: usize = 10;
/// `SendMessageBatch` calls in flight at once for jobs of distinct clusters.
const SEND_CONCURRENCY: usize = 8;

/// The reconcile queue.
#[derive(Debug, Clone)]
pub struct SdkJobQueue {
    client: Client,
    queue_url: String,
}

impl SdkJobQueue {
    /// The FIFO queue at `queue_url`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// The queue URL.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// Sends one batch of at most [`BATCH_SIZE`] jobs; returns the entries SQS refused as
    /// `(cluster ARN, code, sender fault)`.
    async fn send_batch(
        &self,
        jobs: &[ReconcileJob],
    ) -> Result<Vec<(String, String, bool)>, PortError> {
        const OP: &str = "SendMessageBatch";
        let entries = jobs
            .iter()
            .enumerate()
            .map(|(i, job)| message_entry(i, job))
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| port_error(OP, e))?;
        Ok(out
            .failed()
            .iter()
            .map(|f| {
                let cluster = f
                    .id()
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| jobs.get(i))
                    .map_or_else(|| format!("entry {}", f.id()), |j| j.cluster.arn());
                (cluster, f.code().to_owned(), f.sender_fault())
            })
            .collect())
    }
}

/// The batch entry for `job`, with batch-local id `index`.
fn message_entry(
    index: usize,
    job: &ReconcileJob,
) -> Result<SendMessageBatchRequestEntry, PortError> {
    const OP: &str = "SendMessageBatch";
    let body = serde_json::to_string(job)
        .map_err(|e| PortError::new(ErrorKind::Other, OP, format!("cannot encode job: {e}")))?;
    SendMessageBatchRequestEntry::builder()
        .id(index.to_string())
        .message_body(body)
        .message_group_id(message_group_id(&job.cluster))
        .message_deduplication_id(deduplication_id(job))
        .build()
        .map_err(|e| PortError::new(ErrorKind::Other, OP, e.to_string()))
}

/// SQS caps message group ids at 128 characters.
const MAX_GROUP_ID_LEN: usize = 128;

/// The message group of a cluster's jobs: its ARN, so one cluster is never reconciled by two
/// workers at once. A cluster name may be 100 characters, which can push the ARN past SQS's
/// limit; such an ARN is cut and completed with a hash of the whole ARN, still unique and stable.
pub fn message_group_id(cluster: &ClusterRef) -> String {
    let arn = cluster.arn();
    if arn.len() <= MAX_GROUP_ID_LEN {
        return arn;
    }
    let hash = format!("{:032x}", fnv1a_128(arn.as_bytes()));
    // ARNs are ASCII, so any byte index is a character boundary.
    let keep = MAX_GROUP_ID_LEN - hash.len() - 1;
    format!("{}#{hash}", &arn[..keep])
}

/// A stable deduplication id for `job`: 32 hex digits of FNV-1a/128 over the cluster ARN, what
/// identifies its trigger, and the attempt. The trigger is the change the event reports when
/// the job carries one ([`ReconcileJob::change_id`]: the same in every copy of the event, from
/// whichever Region or delivery it came); otherwise the event id (or the reason when there is
/// none) and when the job was first enqueued. The same trigger enqueued twice gets the same id;
/// a job deliberately re-enqueued with a higher attempt does not, so it is never silently
/// dropped.
pub fn deduplication_id(job: &ReconcileJob) -> String {
    let key = match &job.change_id {
        Some(change) => format!("{}\nchange:{change}\n{}", job.cluster.arn(), job.attempt),
        None => format!(
            "{}\n{}\n{}\n{}",
            job.cluster.arn(),
            job.event_id.as_deref().unwrap_or(&job.reason),
            job.first_enqueued_at,
            job.attempt
        ),
    };
    format!("{:032x}", fnv1a_128(key.as_bytes()))
}

/// FNV-1a with the 128-bit parameters: tiny, stable across builds and platforms (unlike std's
/// hasher), and wide enough that unrelated jobs do not collide.
fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    bytes.iter().fold(OFFSET, |hash, b| {
        (hash ^ u128::from(*b)).wrapping_mul(PRIME)
    })
}

#[async_trait]
impl JobQueue for SdkJobQueue {
    /// Sends every job in batches of ten. A batch call that fails returns at once (resending is
    /// safe: deduplication drops what already went through); entries SQS refuses are collected
    /// over all batches and reported together.
    async fn enqueue(&self, jobs: &[ReconcileJob]) -> Result<(), PortError> {
        // Batches for distinct clusters are independent (FIFO order only binds one message
        // group), so a sweep's batches go out SEND_CONCURRENCY at a time; a cluster named twice
        // keeps the batches in order.
        let clusters: std::collections::BTreeSet<&ClusterRef> =
            jobs.iter().map(|j| &j.cluster).collect();
        let width = if clusters.len() == jobs.len() {
            SEND_CONCURRENCY
        } else {
            1
        };
        let chunks: Vec<Vec<ReconcileJob>> = jobs.chunks(BATCH_SIZE).map(<[_]>::to_vec).collect();
        let sent: Vec<Vec<(String, String, bool)>> = futures::stream::iter(chunks)
            .map(|batch| async move { self.send_batch(&batch).await })
            .buffered(width)
            .try_collect()
            .await?;
        let refused: Vec<(String, String, bool)> = sent.into_iter().flatten().collect();
        if refused.is_empty() {
            return Ok(());
        }
        // Only the service's own failures are worth retrying; a sender fault will fail again.
        let kind = if refused.iter().any(|(_, _, sender_fault)| *sender_fault) {
            ErrorKind::InvalidParameter
        } else {
            ErrorKind::Transient
        };
        let by_cluster: BTreeMap<&str, &str> = refused
            .iter()
            .map(|(cluster, code, _)| (cluster.as_str(), code.as_str()))
            .collect();
        let listed: Vec<String> = by_cluster
            .iter()
            .map(|(cluster, code)| format!("{cluster} ({code})"))
            .collect();
        Err(PortError::new(
            kind,
            "SendMessageBatch",
            format!(
                "{} of {} jobs refused: {}",
                refused.len(),
                jobs.len(),
                listed.join(", ")
            ),
        ))
    }

    /// `ChangeMessageVisibility`: how a job waiting for a cluster to become `ACTIVE` is retried
    /// later without a new message (which FIFO deduplication might drop).
    async fn retry_later(&self, receipt_handle: &str, delay_seconds: u32) -> Result<(), PortError> {
        // SQS caps visibility at 12 hours; the cast cannot truncate below that cap.
        let seconds = delay_seconds.min(43_200) as i32;
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(seconds)
            .send()
            .await
            .map_err(|e| port_error("ChangeMessageVisibility", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{AccountId, ClusterName, Region};

    use super::*;

    fn job(event_id: Option<&str>, attempt: u32) -> ReconcileJob {
        ReconcileJob {
            cluster: ClusterRef::from_arn("arn:aws:eks:eu-west-1:111122223333:cluster/prod-1")
                .expect("arn"),
            reason: "sweep".into(),
            event_id: event_id.map(str::to_owned),
            first_enqueued_at: 1_700_000_000,
            attempt,
            creator: None,
            generation: None,
            change_id: None,
            entry_change: None,
        }
    }

    #[test]
    fn deduplication_ids_are_stable_and_distinguish_jobs() {
        let a = deduplication_id(&job(Some("e-1"), 0));
        assert_eq!(a, deduplication_id(&job(Some("e-1"), 0)));
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, deduplication_id(&job(Some("e-2"), 0)));
        assert_ne!(a, deduplication_id(&job(None, 0)));
        assert_ne!(a, deduplication_id(&job(Some("e-1"), 1)));
        // Pinned: jobs without a change id keep the ids of earlier releases.
        assert_eq!(a, "1298af0c3912156b3d4e2b3690c30643");
        // Pinned: a change of hash would break deduplication across a deployment.
        assert_eq!(fnv1a_128(b""), 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228_cb69_6f1a_8caf_7891_2b70_4e4a_8964);
    }

    #[test]
    fn copies_of_one_change_share_a_deduplication_id_whatever_their_envelope() {
        // Two Regions' copies of one change: other event ids, other times, one change id.
        let mut eu = job(Some("copy-in-eu-west-1"), 0).with_change_id("cloudtrail:sso:X:req-1");
        let mut us = job(Some("copy-in-us-east-1"), 0).with_change_id("cloudtrail:sso:X:req-1");
        eu.first_enqueued_at = 1_700_000_000;
        us.first_enqueued_at = 1_700_000_003;
        assert_eq!(deduplication_id(&eu), deduplication_id(&us));
        let other = job(Some("copy-in-eu-west-1"), 0).with_change_id("cloudtrail:sso:X:req-2");
        assert_ne!(deduplication_id(&eu), deduplication_id(&other));
        let retried = job(Some("copy-in-eu-west-1"), 1).with_change_id("cloudtrail:sso:X:req-1");
        assert_ne!(deduplication_id(&eu), deduplication_id(&retried));
        let mut elsewhere = eu.clone();
        elsewhere.cluster =
            ClusterRef::from_arn("arn:aws:eks:eu-west-1:111122223333:cluster/prod-2").expect("arn");
        assert_ne!(deduplication_id(&eu), deduplication_id(&elsewhere));
    }

    #[test]
    fn long_cluster_arns_fit_the_group_id_limit_and_stay_distinct() {
        let long = |last: char| {
            let name = format!("{}{last}", "n".repeat(99));
            ClusterRef::new(
                AccountId::new("111122223333").expect("account"),
                Region::new("ap-southeast-4").expect("region"),
                ClusterName::new(name).expect("100-character name"),
            )
        };
        let (a, b) = (message_group_id(&long('a')), message_group_id(&long('b')));
        assert_eq!(a.len(), MAX_GROUP_ID_LEN);
        assert_ne!(
            a, b,
            "clusters differing only at the end keep distinct groups"
        );
        assert_eq!(a, message_group_id(&long('a')));
        assert!(a.starts_with("arn:aws:eks:ap-southeast-4:111122223333:cluster/nnn"));
        let short = job(None, 0).cluster;
        assert_eq!(message_group_id(&short), short.arn());
    }

    #[test]
    fn message_entries_group_by_cluster_and_carry_the_job() {
        let j = job(Some("e-1"), 0);
        let entry = message_entry(3, &j).expect("entry");
        assert_eq!(entry.id(), "3");
        assert_eq!(
            entry.message_group_id(),
            Some("arn:aws:eks:eu-west-1:111122223333:cluster/prod-1")
        );
        let back: ReconcileJob = serde_json::from_str(entry.message_body()).expect("json");
        assert_eq!(back, j);
    }

    #[test]
    fn a_job_carries_the_creator_and_older_messages_without_one_still_parse() {
        let creator = crate::domain::PrincipalArn::new("arn:aws:iam::111122223333:role/ci/creator")
            .expect("arn");
        let j = job(None, 0).with_creator(Some(creator));
        let entry = message_entry(0, &j).expect("entry");
        let back: ReconcileJob = serde_json::from_str(entry.message_body()).expect("json");
        assert_eq!(back, j);
        let older = message_entry(0, &job(None, 0)).expect("entry");
        assert!(!older.message_body().contains("creator"));
    }
}
