//! A local stand-in for Lambda's SQS event source mapping: receive up to ten messages, hand them
//! to the reconciler as an `SqsEvent`, delete the ones not reported as failed. The CLI's `demo`
//! and the end-to-end tests drive the reconciler through it against the emulator, so they exercise
//! the same batch handling (partial failures, visibility delays) Lambda would.

use std::collections::{BTreeSet, HashMap};

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use serde::Serialize;

use crate::batch::Disposition;
use crate::handler::{MessageOutcome, Reconciler};

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DrainReport {
    /// Batches handed to the reconciler.
    pub batches: usize,
    /// Messages processed and deleted.
    pub deleted: usize,
    /// Messages reported as failed (left for redelivery); permanent failures are finished and
    /// deleted, and counted in `deleted`.
    pub failed: usize,
    /// What happened to each message, in delivery order.
    pub outcomes: Vec<MessageOutcome>,
}

/// Polls a queue on behalf of the reconciler.
pub struct LocalEventSource {
    client: Client,
    queue_url: String,
}

impl LocalEventSource {
    /// An event source for `queue_url`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// One delivery: up to ten visible messages (FIFO: at most one per message group in
    /// flight), in the shape Lambda hands the function. Empty when nothing is visible.
    pub async fn receive(&self) -> Result<SqsEvent, aws_sdk_sqs::Error> {
        self.receive_up_to(10).await
    }

    /// One delivery of at most `batch_size` messages (the event source mapping's `BatchSize`;
    /// SQS caps one receive at 10).
    pub async fn receive_up_to(&self, batch_size: usize) -> Result<SqsEvent, aws_sdk_sqs::Error> {
        let max = i32::try_from(batch_size.clamp(1, 10)).unwrap_or(10);
        let received = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await?;
        Ok(to_event(
            &received.messages.unwrap_or_default(),
            &self.queue_url,
        ))
    }

    /// What the event source mapping does once the function returned: deletes every message of
    /// `batch` whose id is not in `failed`. Returns how many were deleted.
    pub async fn acknowledge(
        &self,
        batch: &SqsEvent,
        failed: &BTreeSet<String>,
    ) -> Result<usize, aws_sdk_sqs::Error> {
        let mut deleted = 0;
        for message in &batch.records {
            if message
                .message_id
                .as_ref()
                .is_some_and(|id| failed.contains(id))
            {
                continue;
            }
            if let Some(handle) = &message.receipt_handle {
                self.client
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// Delivers batches until no message is visible (delayed and failed messages stay hidden
    /// until their visibility timeout, like on SQS), at most `max_batches` batches.
    pub async fn drain(
        &self,
        reconciler: &Reconciler,
        max_batches: usize,
    ) -> Result<DrainReport, aws_sdk_sqs::Error> {
        let mut report = DrainReport::default();
        while report.batches < max_batches {
            let batch = self.receive().await?;
            if batch.records.is_empty() {
                break;
            }
            // No deadline: a local drain is not bounded by a Lambda timeout.
            let items = reconciler.process_batch(&batch, None).await;
            report.batches += 1;
            // Every message not finished stays in the queue, as the batch response says.
            let failed: BTreeSet<String> = items
                .iter()
                .filter(|item| item.disposition == Disposition::Redeliver)
                .map(|item| item.message_id.clone())
                .collect();
            report.failed += failed.len();
            report.deleted += self.acknowledge(&batch, &failed).await?;
            report
                .outcomes
                .extend(items.into_iter().map(|item| item.outcome));
        }
        Ok(report)
    }
}

/// The `SqsEvent` Lambda would deliver for `messages`.
fn to_event(messages: &[aws_sdk_sqs::types::Message], queue_url: &str) -> SqsEvent {
    let mut event = SqsEvent::default();
    for m in messages {
        let mut message = SqsMessage::default();
        message.message_id = m.message_id().map(str::to_owned);
        message.receipt_handle = m.receipt_handle().map(str::to_owned);
        message.body = m.body().map(str::to_owned);
        message.md5_of_body = m.md5_of_body().map(str::to_owned);
        message.event_source = Some("aws:sqs".to_owned());
        message.event_source_arn = Some(queue_url.to_owned());
        let attributes: HashMap<String, String> = m
            .attributes()
            .map(|a| {
                a.iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        message.attributes = attributes;
        event.records.push(message);
    }
    event
}
