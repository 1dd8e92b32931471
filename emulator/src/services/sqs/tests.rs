//! Unit tests of the SQS state transitions.

use serde_json::json;

use super::*;
use crate::clock::Clock;
use crate::world::WorldSettings;

fn world() -> (World, Caller) {
    let clock = Clock::fixed(time::macros::datetime!(2024-05-01 0:00 UTC));
    (
        World::new(WorldSettings::default(), clock),
        Caller::account("111111111111", "eu-west-1"),
    )
}

fn fifo(w: &mut World, c: &Caller, content_dedup: bool) -> String {
    let attrs =
        json!({"FifoQueue": "true", "ContentBasedDeduplication": content_dedup.to_string()});
    let out = dispatch(
        w,
        c,
        "CreateQueue",
        &json!({"QueueName": "jobs.fifo", "Attributes": attrs}),
        "h",
    )
    .unwrap();
    assert_eq!(out["QueueUrl"], "http://h/111111111111/jobs.fifo");
    "http://h/111111111111/jobs.fifo".to_owned()
}

#[test]
fn fifo_deduplicates_by_id_and_by_content() {
    let (mut w, c) = world();
    let url = fifo(&mut w, &c, true);
    let send = |w: &mut World, body: &str, dedup: Option<&str>| {
        let mut input = json!({"QueueUrl": url, "MessageBody": body, "MessageGroupId": "g"});
        if let Some(d) = dedup {
            input["MessageDeduplicationId"] = json!(d);
        }
        dispatch(w, &c, "SendMessage", &input, "h").unwrap()["MessageId"].clone()
    };
    let first = send(&mut w, "a", None);
    assert_eq!(
        send(&mut w, "a", None),
        first,
        "same body within 5 minutes is a duplicate"
    );
    assert_ne!(
        send(&mut w, "a", Some("x")),
        first,
        "an explicit id overrides content"
    );
    assert_eq!(send(&mut w, "b", Some("x")), send(&mut w, "c", Some("x")));
    assert_eq!(w.sqs.queues.values().next().unwrap().messages.len(), 2);
    w.clock.advance(301.0);
    assert_ne!(
        send(&mut w, "a", None),
        first,
        "the dedup window has passed"
    );
}

#[test]
fn fifo_without_dedup_id_or_content_dedup_is_rejected() {
    let (mut w, c) = world();
    let url = fifo(&mut w, &c, false);
    let input = json!({"QueueUrl": url, "MessageBody": "a", "MessageGroupId": "g"});
    assert_eq!(
        dispatch(&mut w, &c, "SendMessage", &input, "h")
            .unwrap_err()
            .code,
        "InvalidParameterValue"
    );
}

#[test]
fn fifo_keeps_one_message_in_flight_per_group_and_counts_receives() {
    let (mut w, c) = world();
    let url = fifo(&mut w, &c, true);
    for (body, group) in [("1", "a"), ("2", "a"), ("3", "b")] {
        let input = json!({"QueueUrl": url, "MessageBody": body, "MessageGroupId": group});
        dispatch(&mut w, &c, "SendMessage", &input, "h").unwrap();
    }
    let receive = json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 30,
        "MessageSystemAttributeNames": ["ApproximateReceiveCount"]});
    let got = dispatch(&mut w, &c, "ReceiveMessage", &receive, "h").unwrap();
    let bodies: Vec<_> = got["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Body"].clone())
        .collect();
    assert_eq!(bodies, vec![json!("1"), json!("3")]);
    assert_eq!(
        dispatch(&mut w, &c, "ReceiveMessage", &receive, "h").unwrap(),
        json!({}),
        "groups a and b are busy"
    );
    w.clock.advance(31.0);
    let again = dispatch(&mut w, &c, "ReceiveMessage", &receive, "h").unwrap();
    let first = &again["Messages"][0];
    assert_eq!(
        (first["Body"].clone(), first["Attributes"].clone()),
        (json!("1"), json!({"ApproximateReceiveCount": "2"})),
        "only the requested attributes"
    );
    let delete = json!({"QueueUrl": url, "ReceiptHandle": first["ReceiptHandle"]});
    dispatch(&mut w, &c, "DeleteMessage", &delete, "h").unwrap();
    assert_eq!(
        dispatch(&mut w, &c, "DeleteMessage", &delete, "h")
            .unwrap_err()
            .code,
        "ReceiptHandleIsInvalid"
    );
    let change = json!({"QueueUrl": url, "ReceiptHandle": again["Messages"][1]["ReceiptHandle"], "VisibilityTimeout": 0});
    dispatch(&mut w, &c, "ChangeMessageVisibility", &change, "h").unwrap();
    let next = dispatch(&mut w, &c, "ReceiveMessage", &receive, "h").unwrap();
    let bodies: Vec<_> = next["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Body"].clone())
        .collect();
    assert_eq!(bodies, vec![json!("2"), json!("3")]);
}

#[test]
fn unknown_queue_and_md5() {
    let (mut w, c) = world();
    let err = dispatch(
        &mut w,
        &c,
        "GetQueueUrl",
        &json!({"QueueName": "nope"}),
        "h",
    )
    .unwrap_err();
    assert_eq!(err.code, "QueueDoesNotExist");
    dispatch(
        &mut w,
        &c,
        "CreateQueue",
        &json!({"QueueName": "plain"}),
        "h",
    )
    .unwrap();
    let input = json!({"QueueUrl": "http://h/111111111111/plain", "MessageBody": "abc"});
    let sent = dispatch(&mut w, &c, "SendMessage", &input, "h").unwrap();
    assert_eq!(sent["MD5OfMessageBody"], "900150983cd24fb0d6963f7d28e17f72");
}
