//! SQS (awsJson1_0, `AmazonSQS.*`): enough for a reconcile queue — standard and FIFO queues,
//! send (single and batch, FIFO deduplication incl. content-based), receive with visibility
//! timeouts and receive counts, delete and visibility changes. Receives never long-poll.

mod md5;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::{ApiError, opt_str, opt_u64};
use crate::clock::epoch_seconds;
use crate::protocol::aws_json::unknown_operation;
use crate::world::{Caller, World};

pub use md5::md5_hex;

/// FIFO deduplication interval.
const DEDUP_WINDOW: Duration = Duration::minutes(5);

/// A message in a queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Message id.
    pub id: String,
    /// Body.
    pub body: String,
    /// FIFO message group.
    pub group_id: Option<String>,
    /// FIFO deduplication id (explicit or the body for content-based deduplication).
    pub dedup_id: Option<String>,
    /// Sequence number (FIFO).
    pub sequence: u64,
    /// When it was sent.
    pub sent_at: OffsetDateTime,
    /// When it becomes receivable again.
    pub visible_at: OffsetDateTime,
    /// How often it was received.
    pub receive_count: u64,
    /// First receive time.
    pub first_received_at: Option<OffsetDateTime>,
    /// Handle of the latest receive.
    pub receipt_handle: Option<String>,
}

/// A queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    /// Name (`.fifo` suffix for FIFO queues).
    pub name: String,
    /// Region.
    pub region: String,
    /// FIFO queue.
    pub fifo: bool,
    /// FIFO content-based deduplication.
    pub content_dedup: bool,
    /// Default visibility timeout in seconds.
    pub visibility_timeout: u64,
    /// Messages in send order.
    pub messages: Vec<Message>,
    /// Recently seen deduplication ids and the message id they produced.
    pub dedup: BTreeMap<String, (OffsetDateTime, String)>,
    /// Next sequence number.
    pub next_sequence: u64,
}

/// All queues by (account, name).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SqsState {
    /// Queues.
    pub queues: BTreeMap<(String, String), Queue>,
}

fn error(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(400, code, message)
}

fn no_queue() -> ApiError {
    error("QueueDoesNotExist", "The specified queue does not exist.")
}

/// The legacy query error code SQS sends in `x-amzn-query-error`, which botocore reports.
pub fn legacy_code(code: &str) -> String {
    match code {
        "QueueDoesNotExist" => "AWS.SimpleQueueService.NonExistentQueue".to_owned(),
        "QueueNameExists" => "QueueAlreadyExists".to_owned(),
        "AccessDeniedException" => "AccessDenied".to_owned(),
        "MessageNotInflight" | "TooManyEntriesInBatchRequest" | "EmptyBatchRequest" => {
            format!("AWS.SimpleQueueService.{code}")
        }
        other => other.to_owned(),
    }
}

fn required<'a>(input: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    opt_str(input, key).ok_or_else(|| {
        error(
            "MissingParameter",
            format!("The request must contain the parameter {key}."),
        )
    })
}

/// `(account, name)` from a queue URL `http://host/<account>/<name>`.
fn queue_key(input: &Value) -> Result<(String, String), ApiError> {
    let url = required(input, "QueueUrl")?;
    let mut parts = url.trim_end_matches('/').rsplit('/');
    match (parts.next(), parts.next()) {
        (Some(name), Some(account)) => Ok((account.to_owned(), name.to_owned())),
        _ => Err(no_queue()),
    }
}

fn queue_mut<'a>(world: &'a mut World, input: &Value) -> Result<&'a mut Queue, ApiError> {
    let key = queue_key(input)?;
    world.sqs.queues.get_mut(&key).ok_or_else(no_queue)
}

/// Handles one SQS operation; `host` is the request's `Host`, used in queue URLs.
pub fn dispatch(
    world: &mut World,
    caller: &Caller,
    op: &str,
    input: &Value,
    host: &str,
) -> Result<Value, ApiError> {
    let now = world.now();
    match op {
        "CreateQueue" => create_queue(world, caller, input, host),
        "GetQueueUrl" => {
            let name = required(input, "QueueName")?;
            let account = opt_str(input, "QueueOwnerAWSAccountId")
                .unwrap_or(&caller.account)
                .to_owned();
            let key = (account.clone(), name.to_owned());
            world.sqs.queues.get(&key).ok_or_else(no_queue)?;
            Ok(json!({"QueueUrl": format!("http://{host}/{account}/{name}")}))
        }
        "SendMessage" => {
            let id = world.ids.uuid();
            send(queue_mut(world, input)?, input, id, now)
        }
        "SendMessageBatch" => send_batch(world, input, now),
        "ReceiveMessage" => receive(world, input, now),
        "DeleteMessage" => {
            let handle = required(input, "ReceiptHandle")?.to_owned();
            let queue = queue_mut(world, input)?;
            let before = queue.messages.len();
            queue
                .messages
                .retain(|m| m.receipt_handle.as_deref() != Some(handle.as_str()));
            if queue.messages.len() == before {
                return Err(error(
                    "ReceiptHandleIsInvalid",
                    format!("The receipt handle {handle} is not valid."),
                ));
            }
            Ok(json!({}))
        }
        "ChangeMessageVisibility" => change_visibility(world, input, now),
        "GetQueueAttributes" => attributes(world, input, now),
        _ => Err(unknown_operation(op)),
    }
}

fn create_queue(
    world: &mut World,
    caller: &Caller,
    input: &Value,
    host: &str,
) -> Result<Value, ApiError> {
    let name = required(input, "QueueName")?;
    let attrs = super::str_map(input, "Attributes");
    let fifo = attrs.get("FifoQueue").is_some_and(|v| v == "true");
    if fifo != name.ends_with(".fifo") {
        return Err(error(
            "InvalidParameterValue",
            "A FIFO queue name must end with .fifo, and only FIFO queue names may",
        ));
    }
    let visibility_timeout = attrs
        .get("VisibilityTimeout")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let queue = Queue {
        name: name.to_owned(),
        region: caller.region.clone(),
        fifo,
        content_dedup: attrs
            .get("ContentBasedDeduplication")
            .is_some_and(|v| v == "true"),
        visibility_timeout,
        messages: vec![],
        dedup: BTreeMap::new(),
        next_sequence: 1,
    };
    let key = (caller.account.clone(), name.to_owned());
    match world.sqs.queues.get(&key) {
        Some(existing)
            if (
                existing.fifo,
                existing.content_dedup,
                existing.visibility_timeout,
            ) != (queue.fifo, queue.content_dedup, queue.visibility_timeout) =>
        {
            return Err(error(
                "QueueNameExists",
                format!("A queue named {name} already exists with different attributes"),
            ));
        }
        Some(_) => {}
        None => {
            world.sqs.queues.insert(key, queue);
        }
    }
    Ok(json!({"QueueUrl": format!("http://{host}/{}/{name}", caller.account)}))
}

/// Sends one message (the members of a `SendMessage` input or a batch entry).
fn send(
    queue: &mut Queue,
    input: &Value,
    message_id: String,
    now: OffsetDateTime,
) -> Result<Value, ApiError> {
    let body = required(input, "MessageBody")?.to_owned();
    let (group_id, dedup_id) = if queue.fifo {
        let group = required(input, "MessageGroupId")?.to_owned();
        let dedup = match opt_str(input, "MessageDeduplicationId") {
            Some(id) => id.to_owned(),
            // Content-based deduplication hashes the body; comparing bodies is equivalent.
            None if queue.content_dedup => format!("body:{body}"),
            None => {
                return Err(error(
                    "InvalidParameterValue",
                    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
                ));
            }
        };
        (Some(group), Some(dedup))
    } else {
        (None, None)
    };
    let md5 = md5_hex(body.as_bytes());
    queue.dedup.retain(|_, (at, _)| *at + DEDUP_WINDOW > now);
    if let Some((_, existing)) = dedup_id.as_ref().and_then(|id| queue.dedup.get(id)) {
        return Ok(json!({"MessageId": existing, "MD5OfMessageBody": md5}));
    }
    let delay = opt_u64(input, "DelaySeconds").unwrap_or(0);
    let sequence = queue.next_sequence;
    queue.next_sequence += 1;
    if let Some(id) = &dedup_id {
        queue.dedup.insert(id.clone(), (now, message_id.clone()));
    }
    queue.messages.push(Message {
        id: message_id.clone(),
        body,
        group_id,
        dedup_id,
        sequence,
        sent_at: now,
        visible_at: now + Duration::seconds(delay as i64),
        receive_count: 0,
        first_received_at: None,
        receipt_handle: None,
    });
    let mut out = json!({"MessageId": message_id, "MD5OfMessageBody": md5});
    if queue.fifo {
        out["SequenceNumber"] = json!(format!("{sequence:020}"));
    }
    Ok(out)
}

fn send_batch(world: &mut World, input: &Value, now: OffsetDateTime) -> Result<Value, ApiError> {
    let entries = input
        .get("Entries")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if entries.is_empty() {
        return Err(error(
            "EmptyBatchRequest",
            "There should be at least one SendMessageBatchRequestEntry in the request.",
        ));
    }
    if entries.len() > 10 {
        return Err(error(
            "TooManyEntriesInBatchRequest",
            "Maximum number of entries per request are 10.",
        ));
    }
    let ids: Vec<String> = entries.iter().map(|_| world.ids.uuid()).collect();
    let queue = queue_mut(world, input)?;
    let (mut ok, mut failed) = (vec![], vec![]);
    for (entry, message_id) in entries.iter().zip(ids) {
        let id = opt_str(entry, "Id").unwrap_or_default();
        match send(queue, entry, message_id, now) {
            Ok(mut sent) => {
                sent["Id"] = json!(id);
                ok.push(sent);
            }
            Err(err) => failed.push(
                json!({"Id": id, "SenderFault": true, "Code": err.code, "Message": err.message}),
            ),
        }
    }
    Ok(json!({"Successful": ok, "Failed": failed}))
}

fn receive(world: &mut World, input: &Value, now: OffsetDateTime) -> Result<Value, ApiError> {
    let max = opt_u64(input, "MaxNumberOfMessages").unwrap_or(1);
    if !(1..=10).contains(&max) {
        return Err(error(
            "InvalidParameterValue",
            "MaxNumberOfMessages must be between 1 and 10",
        ));
    }
    let handles: Vec<String> = (0..max).map(|_| world.ids.uuid()).collect();
    let queue = queue_mut(world, input)?;
    let timeout = Duration::seconds(
        opt_u64(input, "VisibilityTimeout").unwrap_or(queue.visibility_timeout) as i64,
    );
    let picked = deliverable(queue, now, max as usize);
    let wanted = wanted_attributes(input);
    let mut out = vec![];
    for (index, handle) in picked.into_iter().zip(handles) {
        let message = &mut queue.messages[index];
        message.receive_count += 1;
        message.first_received_at.get_or_insert(now);
        message.visible_at = now + timeout;
        message.receipt_handle = Some(handle.clone());
        out.push(message_json(message, handle, &wanted));
    }
    Ok(if out.is_empty() {
        json!({})
    } else {
        json!({"Messages": out})
    })
}

/// Indexes of the messages a receive may return: visible ones, and for FIFO only the head of
/// each group, and only while no message of that group is in flight.
fn deliverable(queue: &Queue, now: OffsetDateTime, max: usize) -> Vec<usize> {
    let mut blocked = std::collections::BTreeSet::new();
    let mut picked = vec![];
    for (index, message) in queue.messages.iter().enumerate() {
        let visible = message.visible_at <= now;
        if let Some(group) = &message.group_id {
            if !blocked.insert(group.clone()) {
                continue;
            }
        }
        if visible && picked.len() < max {
            picked.push(index);
        }
    }
    picked
}

/// The system attributes a receive asked for (`AttributeNames` or `MessageSystemAttributeNames`).
fn wanted_attributes(input: &Value) -> Vec<String> {
    ["AttributeNames", "MessageSystemAttributeNames"]
        .iter()
        .flat_map(|key| super::opt_str_list(input, key).unwrap_or_default())
        .collect()
}

fn message_json(m: &Message, handle: String, wanted: &[String]) -> Value {
    let millis = |at: OffsetDateTime| ((epoch_seconds(at) * 1000.0) as u64).to_string();
    let mut attributes = json!({"ApproximateReceiveCount": m.receive_count.to_string(),
        "SentTimestamp": millis(m.sent_at),
        "ApproximateFirstReceiveTimestamp": millis(m.first_received_at.unwrap_or(m.sent_at))});
    if let (Some(group), Some(dedup)) = (&m.group_id, &m.dedup_id) {
        attributes["MessageGroupId"] = json!(group);
        if !dedup.starts_with("body:") {
            attributes["MessageDeduplicationId"] = json!(dedup);
        }
        attributes["SequenceNumber"] = json!(format!("{:020}", m.sequence));
    }
    let mut out = json!({"MessageId": m.id, "ReceiptHandle": handle,
        "MD5OfBody": md5_hex(m.body.as_bytes()), "Body": m.body});
    if let Value::Object(all) = attributes {
        let all_wanted = wanted.iter().any(|w| w == "All");
        let kept: serde_json::Map<String, Value> = all
            .into_iter()
            .filter(|(k, _)| all_wanted || wanted.contains(k))
            .collect();
        if !kept.is_empty() {
            out["Attributes"] = Value::Object(kept);
        }
    }
    out
}

fn change_visibility(
    world: &mut World,
    input: &Value,
    now: OffsetDateTime,
) -> Result<Value, ApiError> {
    let handle = required(input, "ReceiptHandle")?.to_owned();
    let timeout = opt_u64(input, "VisibilityTimeout").unwrap_or(0);
    let queue = queue_mut(world, input)?;
    let message = queue
        .messages
        .iter_mut()
        .find(|m| m.receipt_handle.as_deref() == Some(handle.as_str()))
        .ok_or_else(|| {
            error(
                "ReceiptHandleIsInvalid",
                format!("The receipt handle {handle} is not valid."),
            )
        })?;
    if message.visible_at <= now {
        return Err(error("MessageNotInflight", "The message is not in flight."));
    }
    message.visible_at = now + Duration::seconds(timeout as i64);
    Ok(json!({}))
}

fn attributes(world: &mut World, input: &Value, now: OffsetDateTime) -> Result<Value, ApiError> {
    let (account, _) = queue_key(input)?;
    let queue = queue_mut(world, input)?;
    let visible = queue
        .messages
        .iter()
        .filter(|m| m.visible_at <= now)
        .count();
    Ok(json!({"Attributes": {
        "ApproximateNumberOfMessages": visible.to_string(),
        "ApproximateNumberOfMessagesNotVisible": (queue.messages.len() - visible).to_string(),
        "VisibilityTimeout": queue.visibility_timeout.to_string(),
        "FifoQueue": queue.fifo.to_string(),
        "QueueArn": format!("arn:aws:sqs:{}:{account}:{}", queue.region, queue.name),
    }}))
}

#[cfg(test)]
mod tests;
