//! The EventBridge rule patterns of `template.yaml` and `member-account.yaml` against every sample
//! in `events/`, evaluated by EventBridge semantics as moto implements them: the template and the
//! event classifier cannot drift apart.
//!
//! - hub: every sample is matched by the rules of the function that handles it (the function the
//!   classifier's [`Trigger::handler`] names, identified in the template by its
//!   `BuildProperties.Binary`) and by no other rule. Ignored samples match no rule. The scheduled
//!   sweep is delivered by an EventBridge Scheduler schedule with no pattern, so its sample must
//!   match no rule either, and the reconciler must have a `ScheduleV2` event.
//! - member: the forwarding rules forward exactly the samples group-sync and cluster-bootstrap
//!   handle.
//! - every rule matches at least one sample, so no rule goes untested.
//! - drift: each access-entry change sample matches exactly the drift rule (hub and member),
//!   which matches nothing else (eks-sso-sync's own session's sample included).
//!
//! moto 5.2's `TestEventPattern` is a stub (it answers an empty 200), so each pattern is installed
//! as a real rule on a moto event bus with a CloudWatch Logs target, each sample is sent with
//! `PutEvents`, and the log groups tell which rules matched. The test starts
//! `moto_server` itself (`pip install 'moto[server]'`) and stops it on every exit path.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::collections::{BTreeMap, BTreeSet};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use eks_sso_sync::events::{Handler, parse_event};
use serde_json::{Value, json};
use serde_yaml_ng::Value as Yaml;

/// The account moto uses for every request.
const MOTO_ACCOUNT: &str = "123456789012";
const MOTO_REGION: &str = "us-east-1";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

// ------------------------------------------------------------------ moto server

/// A `moto_server` child process, killed when dropped (also when a test panics).
struct MotoServer {
    child: Child,
    endpoint: String,
}

impl MotoServer {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("no free loopback port")
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start moto_server ({e}); install it with: pip install 'moto[server]'"
                )
            });
        let mut server = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        server.wait_until_listening(port);
        server
    }

    fn wait_until_listening(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("moto_server exited early with {status}");
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on port {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The two moto JSON APIs the test needs (awsJson1.1, a dummy SigV4 header for routing).
struct Moto {
    http: reqwest::Client,
    endpoint: String,
}

impl Moto {
    async fn call(&self, service: &str, target: &str, body: Value) -> Value {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=test/20260101/{MOTO_REGION}/{service}/aws4_request, \
             SignedHeaders=host;x-amz-target, Signature=0"
        );
        let response = self
            .http
            .post(&self.endpoint)
            .header("X-Amz-Target", target)
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("Authorization", auth)
            .body(body.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{target}: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{target} failed with {status}: {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{target}: {e}: {text}"))
        }
    }

    /// Installs `rules` on a fresh bus, sends every sample to it, and returns, per sample file,
    /// the names of the rules that matched it.
    async fn matches(
        &self,
        bus: &str,
        rules: &[Rule],
        samples: &[Sample],
    ) -> BTreeMap<String, BTreeSet<String>> {
        self.call("events", "AWSEvents.CreateEventBus", json!({ "Name": bus }))
            .await;
        for rule in rules {
            self.install(bus, rule).await;
        }
        for sample in samples {
            let event = &sample.event;
            let entry = json!({
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": event["detail"].to_string(),
                "Resources": event["resources"],
                "EventBusName": bus,
            });
            let put = self
                .call(
                    "events",
                    "AWSEvents.PutEvents",
                    json!({ "Entries": [entry] }),
                )
                .await;
            assert_eq!(put["FailedEntryCount"], 0, "{}: {put}", sample.file);
        }
        let mut matched: BTreeMap<String, BTreeSet<String>> = samples
            .iter()
            .map(|s| (s.file.clone(), BTreeSet::new()))
            .collect();
        for rule in rules {
            for delivered in self.delivered(bus, rule).await {
                let file = samples
                    .iter()
                    .find(|s| s.key() == delivered)
                    .map(|s| s.file.clone())
                    .unwrap_or_else(|| panic!("rule {} delivered an unknown event", rule.name));
                matched.entry(file).or_default().insert(rule.name.clone());
            }
        }
        matched
    }

    async fn install(&self, bus: &str, rule: &Rule) {
        let group = log_group(bus, rule);
        self.call(
            "logs",
            "Logs_20140328.CreateLogGroup",
            json!({ "logGroupName": group }),
        )
        .await;
        self.call(
            "events",
            "AWSEvents.PutRule",
            json!({
                "Name": rule.name,
                "EventBusName": bus,
                "EventPattern": rule.pattern.to_string(),
                "State": "ENABLED",
            }),
        )
        .await;
        let arn = format!("arn:aws:logs:{MOTO_REGION}:{MOTO_ACCOUNT}:log-group:{group}");
        let put = self
            .call(
                "events",
                "AWSEvents.PutTargets",
                json!({ "Rule": rule.name, "EventBusName": bus, "Targets": [{ "Id": "log", "Arn": arn }] }),
            )
            .await;
        assert_eq!(put["FailedEntryCount"], 0, "{}: {put}", rule.name);
    }

    /// The events (as [`Sample::key`]s) a rule's log group received.
    async fn delivered(&self, bus: &str, rule: &Rule) -> Vec<Value> {
        let found = self
            .call(
                "logs",
                "Logs_20140328.FilterLogEvents",
                json!({ "logGroupName": log_group(bus, rule) }),
            )
            .await;
        found["events"]
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .map(|e| {
                        let message: Value =
                            serde_json::from_str(e["message"].as_str().unwrap()).unwrap();
                        event_key(&message)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn log_group(bus: &str, rule: &Rule) -> String {
    format!("{bus}.{}", rule.name)
}

/// What identifies an event after moto rebuilt its envelope (new id, account, region, time).
fn event_key(event: &Value) -> Value {
    json!([event["source"], event["detail-type"], event["detail"]])
}

// ------------------------------------------------------------------ samples

struct Sample {
    file: String,
    event: Value,
    /// The function the classifier routes the sample to; `None` when it is ignored.
    handler: Option<Handler>,
    /// The trigger kind it classifies as (`access_entry_changed`, `ignored`, ...).
    kind: &'static str,
}

impl Sample {
    fn key(&self) -> Value {
        event_key(&self.event)
    }
}

fn samples() -> Vec<Sample> {
    let mut samples = Vec::new();
    for entry in std::fs::read_dir(repo_root().join("events")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let classified = parse_event(&text).unwrap_or_else(|e| panic!("events/{file}: {e}"));
        samples.push(Sample {
            event: serde_json::from_str(&text).unwrap(),
            handler: classified.trigger.handler(),
            kind: classified.trigger.kind(),
            file,
        });
    }
    samples.sort_by(|a, b| a.file.cmp(&b.file));
    let keys: BTreeSet<String> = samples.iter().map(|s| s.key().to_string()).collect();
    assert_eq!(
        keys.len(),
        samples.len(),
        "two samples share source, detail-type and detail"
    );
    samples
}

// ------------------------------------------------------------------ templates

/// One EventBridge rule of a template: its name, the function (binary) or bus it targets, and
/// its pattern.
struct Rule {
    name: String,
    target: String,
    pattern: Value,
}

fn load_template(path: &Path) -> Yaml {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn resources(template: &Yaml) -> Vec<(String, &Yaml)> {
    template["Resources"]
        .as_mapping()
        .expect("template has Resources")
        .iter()
        .map(|(id, resource)| (id.as_str().unwrap().to_owned(), resource))
        .collect()
}

/// The template string of a `!Sub` (or a plain string); empty when absent.
fn sub_string(yaml: &Yaml) -> String {
    match yaml {
        Yaml::Tagged(tagged) => tagged.value.as_str().unwrap_or_default().to_owned(),
        other => other.as_str().unwrap_or_default().to_owned(),
    }
}

fn to_json(yaml: &Yaml, what: &str) -> Value {
    serde_json::to_value(yaml).unwrap_or_else(|e| panic!("{what}: not plain JSON: {e}"))
}

/// The hub's rules (SAM `EventBridgeRule` / `CloudWatchEvent` events of each function, targeted
/// at the function's binary) and, per function with a `ScheduleV2` / `Schedule` event, the
/// schedule's `Input` (the raw `!Sub` string; empty when it has none).
fn hub_rules(template: &Yaml) -> (Vec<Rule>, BTreeMap<String, String>) {
    let mut rules = Vec::new();
    let mut scheduled = BTreeMap::new();
    for (id, resource) in resources(template) {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: Metadata.BuildProperties.Binary is missing"))
            .to_owned();
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (name, event) in events {
            let name = name.as_str().unwrap();
            match event["Type"].as_str() {
                Some("EventBridgeRule" | "CloudWatchEvent") => rules.push(Rule {
                    name: format!("{id}-{name}"),
                    target: binary.clone(),
                    pattern: to_json(&event["Properties"]["Pattern"], name),
                }),
                Some("ScheduleV2" | "Schedule") => {
                    scheduled.insert(binary.clone(), sub_string(&event["Properties"]["Input"]));
                }
                _ => {}
            }
        }
    }
    (rules, scheduled)
}

/// The member template's `AWS::Events::Rule`s, all forwarding to the hub bus.
fn member_rules(template: &Yaml) -> Vec<Rule> {
    resources(template)
        .into_iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Events::Rule"))
        .map(|(id, resource)| Rule {
            pattern: to_json(&resource["Properties"]["EventPattern"], &id),
            target: "hub-bus".into(),
            name: id,
        })
        .collect()
}

/// For every sample, the targets of the rules that matched it.
fn matched_targets(
    matches: &BTreeMap<String, BTreeSet<String>>,
    rules: &[Rule],
) -> BTreeMap<String, BTreeSet<String>> {
    matches
        .iter()
        .map(|(file, names)| {
            let targets = rules
                .iter()
                .filter(|r| names.contains(&r.name))
                .map(|r| r.target.clone())
                .collect();
            (file.clone(), targets)
        })
        .collect()
}

/// Fails listing only the samples whose matched targets differ from the expected ones.
fn assert_routes(
    actual: &BTreeMap<String, BTreeSet<String>>,
    expected: &BTreeMap<String, BTreeSet<String>>,
    what: &str,
) {
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(file, want)| actual.get(*file) != Some(*want))
        .map(|(file, want)| {
            format!(
                "  events/{file}: expected {want:?}, matched {:?}",
                actual.get(file)
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{what}:\n{}", wrong.join("\n"));
}

fn assert_every_rule_is_exercised(rules: &[Rule], matches: &BTreeMap<String, BTreeSet<String>>) {
    let used: BTreeSet<&String> = matches.values().flatten().collect();
    for rule in rules {
        assert!(
            used.contains(&rule.name),
            "rule {} matches no sample in events/",
            rule.name
        );
    }
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn hub_rules_route_every_sample_to_its_function_and_no_other() {
    let server = MotoServer::start();
    let moto = Moto {
        http: reqwest::Client::new(),
        endpoint: server.endpoint.clone(),
    };
    let (rules, scheduled) = hub_rules(&load_template(&repo_root().join("template.yaml")));
    assert!(
        scheduled.contains_key(Handler::Reconciler.name()),
        "the reconciler has no ScheduleV2 event"
    );
    let samples = samples();
    let matches = moto.matches("hub", &rules, &samples).await;
    let actual = matched_targets(&matches, &rules);
    let expected: BTreeMap<String, BTreeSet<String>> = samples
        .iter()
        .map(|s| {
            // The sweep comes from a Scheduler schedule (no pattern); ignored samples from nowhere.
            let targets = match s.handler {
                Some(Handler::Reconciler) | None => BTreeSet::new(),
                Some(handler) => BTreeSet::from([handler.name().to_owned()]),
            };
            (s.file.clone(), targets)
        })
        .collect();
    assert_routes(
        &actual,
        &expected,
        "hub rules route samples to the wrong functions",
    );
    assert_every_rule_is_exercised(&rules, &matches);
    assert_drift_rule_is_exact(
        &matches,
        &samples,
        "ClusterBootstrapFunction-AccessEntryDrift",
    );
}

/// Every access-entry change (drift) sample is matched by the drift rule `rule` and no other
/// rule, and no other sample by it: eks-sso-sync's own calls, tags on clusters and node groups
/// keep out of it.
fn assert_drift_rule_is_exact(
    matches: &BTreeMap<String, BTreeSet<String>>,
    samples: &[Sample],
    rule: &str,
) {
    let drift: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.kind == "access_entry_changed")
        .collect();
    assert!(drift.len() >= 7, "one drift sample per operation");
    for sample in samples {
        let want = if sample.kind == "access_entry_changed" {
            BTreeSet::from([rule.to_owned()])
        } else {
            matches[&sample.file]
                .iter()
                .filter(|r| *r != rule)
                .cloned()
                .collect()
        };
        assert_eq!(matches[&sample.file], want, "events/{}", sample.file);
    }
}

#[tokio::test]
async fn member_rules_forward_exactly_what_the_hub_handles() {
    let server = MotoServer::start();
    let moto = Moto {
        http: reqwest::Client::new(),
        endpoint: server.endpoint.clone(),
    };
    let rules = member_rules(&load_template(&repo_root().join("member-account.yaml")));
    let samples = samples();
    let matches = moto.matches("member", &rules, &samples).await;
    let actual = matched_targets(&matches, &rules);
    let expected: BTreeMap<String, BTreeSet<String>> = samples
        .iter()
        .map(|s| {
            let forwarded = matches!(
                s.handler,
                Some(Handler::GroupSync | Handler::ClusterBootstrap)
            );
            let targets = if forwarded {
                BTreeSet::from(["hub-bus".to_owned()])
            } else {
                BTreeSet::new()
            };
            (s.file.clone(), targets)
        })
        .collect();
    assert_routes(&actual, &expected, "member rules forward the wrong samples");
    assert_every_rule_is_exercised(&rules, &matches);
    assert_drift_rule_is_exact(&matches, &samples, "ForwardAccessEntryEvents");
}

#[test]
fn the_sweep_schedule_input_classifies_as_a_sweep_for_the_reconciler() {
    let (_, scheduled) = hub_rules(&load_template(&repo_root().join("template.yaml")));
    let input = scheduled
        .get(Handler::Reconciler.name())
        .expect("the reconciler has no ScheduleV2 event");
    // What CloudFormation and EventBridge Scheduler substitute at deploy and run time.
    let delivered = input
        .replace("${AWS::AccountId}", "111111111111")
        .replace("${AWS::Region}", "eu-west-1")
        .replace(
            "<aws.scheduler.execution-id>",
            "0f7c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b",
        )
        .replace("<aws.scheduler.scheduled-time>", "2026-11-28T11:00:00Z")
        .replace(
            "<aws.scheduler.schedule-arn>",
            "arn:aws:scheduler:eu-west-1:111111111111:schedule/default/sweep",
        );
    let classified = parse_event(&delivered)
        .unwrap_or_else(|e| panic!("schedule Input {delivered:?} does not parse: {e}"));
    assert_eq!(classified.trigger.handler(), Some(Handler::Reconciler));
    assert_eq!(classified.event_id, "0f7c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b");
}
