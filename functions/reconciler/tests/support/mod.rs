//! The world the end-to-end handler tests run in: the emulator seeded from `fixtures/seed.yaml`,
//! the mapping in `fixtures/mapping.yaml`, the engine context built by `aws::setup` exactly as a
//! Lambda builds it, and a real SQS FIFO queue on the emulator behind `SdkJobQueue`. [`World::deliver`]
//! and [`World::acknowledge`] play the part of Lambda's SQS event source mapping.

// Shared by two test binaries (end_to_end, edges), each using a part of it.
#![allow(dead_code)]

pub mod triggers;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::QueueAttributeName;
use cluster_bootstrap::handler::ClusterBootstrap;
use eks_sso_sync::aws::{SdkJobQueue, setup, static_credentials};
use eks_sso_sync::config::Mapping;
use eks_sso_sync::domain::ClusterRef;
use eks_sso_sync::engine::ReconcileContext;
use eks_sso_sync::ports::ReconcileJob;
use eks_sso_sync_emulator::{
    Emulator, EmulatorConfig, EntryView, RequestRecord, RunningEmulator, Seed,
};
use group_sync::handler::GroupSync;
use lambda_runtime::{Context, LambdaEvent};
use reconciler::handler::{Reconciler, WaitPolicy};
use reconciler::local::LocalEventSource;
use serde_json::Value;

/// The hub account: Identity Center, the queue, and cluster `hub-1`.
pub const HUB: &str = "111111111111";
/// The member account: clusters `prod-a`, `prod-b` (managed) and `unmanaged`.
pub const MEMBER: &str = "222222222222";
/// The Identity Center home region, and every cluster's region.
pub const HOME: &str = "eu-west-1";
/// The managed clusters of the seed, as `(account, name)`.
pub const MANAGED: [(&str, &str); 3] = [(HUB, "hub-1"), (MEMBER, "prod-a"), (MEMBER, "prod-b")];

const QUEUE_NAME: &str = "reconcile.fifo";

/// The reconciler's timeout in the template: what the tests give an invocation by default.
pub const LAMBDA_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `payload` as Lambda hands it to a function with `remaining` until its deadline.
pub fn lambda_event(payload: Value, remaining: std::time::Duration) -> LambdaEvent<Value> {
    let mut context = Context::default();
    context.request_id = "test-request-id".to_owned();
    let deadline = std::time::SystemTime::now() + remaining;
    let since_epoch = deadline
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch");
    context.deadline = u64::try_from(since_epoch.as_millis()).expect("fits");
    LambdaEvent::new(payload, context)
}

/// The member account's clusters unreachable: its role is one that does not exist, so every
/// call into the account is denied (AssumeRole fails).
pub fn member_unreachable(mapping: String) -> String {
    mapping.replace(
        r#"{ id: "222222222222", regions: [eu-west-1] }"#,
        r#"{ id: "222222222222", regions: [eu-west-1], role: "arn:aws:iam::222222222222:role/not-there" }"#,
    )
}

/// A sample event from the workspace's `events/` directory.
pub fn sample(name: &str) -> Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The seeded emulator, the context and the queue, and SDK clients to look and poke behind the
/// engine's back.
pub struct World {
    /// The emulator.
    pub emulator: RunningEmulator,
    /// The engine context, as `aws::setup` builds it for a Lambda.
    pub ctx: ReconcileContext,
    /// The reconcile queue, through the production adapter.
    pub queue: Arc<SdkJobQueue>,
    /// SQS, as the event source mapping reaches the queue.
    pub sqs: aws_sdk_sqs::Client,
    /// Hub credentials (Identity Center, the queue, `hub-1`).
    pub hub: SdkConfig,
    /// Member-account credentials (its clusters).
    pub member: SdkConfig,
}

impl World {
    /// Starts the emulator with the seed, creates the FIFO queue and connects the engine.
    pub async fn start() -> World {
        World::start_with(|mapping| mapping).await
    }

    /// Like [`World::start`], with the fixture mapping's text edited by `edit` first.
    pub async fn start_with(edit: impl FnOnce(String) -> String) -> World {
        let seed = Seed::from_yaml(&fixture("seed.yaml")).expect("seed parses");
        let config = EmulatorConfig {
            home_region: HOME.to_owned(),
            seed: Some(seed),
            ..EmulatorConfig::default()
        };
        let emulator = Emulator::start(config).await.expect("emulator starts");
        let mapping = Arc::new(
            Mapping::from_str(&edit(fixture("mapping.yaml")), "fixtures/mapping.yaml")
                .unwrap_or_else(|report| panic!("mapping is valid:\n{report}")),
        );
        let endpoint = Some((
            emulator.endpoint.as_str(),
            static_credentials(HUB, "secret"),
        ));
        let hub = setup::sdk_config(&mapping, endpoint).await;
        let ports = setup::ports(&mapping, &hub).await;
        let ctx = setup::context(mapping.clone(), &ports);
        let member = setup::sdk_config(
            &mapping,
            Some((
                emulator.endpoint.as_str(),
                static_credentials(MEMBER, "secret"),
            )),
        )
        .await;
        let sqs = aws_sdk_sqs::Client::new(&hub);
        let queue_url = sqs
            .create_queue()
            .queue_name(QUEUE_NAME)
            .attributes(QueueAttributeName::FifoQueue, "true")
            .send()
            .await
            .expect("CreateQueue")
            .queue_url()
            .expect("queue URL")
            .to_owned();
        let queue = Arc::new(SdkJobQueue::new(sqs.clone(), queue_url));
        World {
            emulator,
            ctx,
            queue,
            sqs,
            hub,
            member,
        }
    }

    /// The group-sync function over this world.
    pub fn group_sync(&self) -> GroupSync {
        GroupSync::new(self.ctx.fresh(), self.queue.clone())
    }

    /// The cluster-bootstrap function over this world.
    pub fn cluster_bootstrap(&self) -> ClusterBootstrap {
        ClusterBootstrap::new(self.ctx.fresh(), self.queue.clone())
    }

    /// The reconciler over this world.
    pub fn reconciler(&self, wait: WaitPolicy) -> Reconciler {
        Reconciler::new(self.ctx.fresh(), self.queue.clone(), wait)
    }

    /// One delivery of the event source mapping (see `reconciler::local::LocalEventSource`).
    pub async fn deliver(&self) -> SqsEvent {
        self.source().receive().await.expect("ReceiveMessage")
    }

    /// What the event source mapping does after the function returns: deletes every message of
    /// `batch` not reported in `response`.
    pub async fn acknowledge(&self, batch: &SqsEvent, response: &SqsBatchResponse) {
        let failed: BTreeSet<String> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        self.source()
            .acknowledge(batch, &failed)
            .await
            .expect("DeleteMessage");
    }

    fn source(&self) -> LocalEventSource {
        LocalEventSource::new(self.sqs.clone(), self.queue.queue_url())
    }

    /// Delivers and acknowledges until the queue is empty; every message must succeed. Returns
    /// the cluster ARNs reconciled, one per message.
    pub async fn drain(&self, reconciler: &Reconciler) -> Vec<String> {
        let mut reconciled = Vec::new();
        for _ in 0..20 {
            let batch = self.deliver().await;
            if batch.records.is_empty() {
                return reconciled;
            }
            let response = reconciler.handle_batch(&batch, None).await;
            assert!(
                response.batch_item_failures.is_empty(),
                "every job succeeds: {:?}",
                response.batch_item_failures
            );
            self.acknowledge(&batch, &response).await;
            reconciled.extend(batch.records.iter().map(|m| job_cluster(m.body.as_deref())));
        }
        panic!("the queue did not drain in 20 deliveries");
    }

    /// One delivery of what is waiting in the queue, every message made visible again at once.
    async fn peek(&self) -> SqsEvent {
        let batch = self.deliver().await;
        for message in &batch.records {
            self.sqs
                .change_message_visibility()
                .queue_url(self.queue.queue_url())
                .receipt_handle(message.receipt_handle.clone().expect("receipt handle"))
                .visibility_timeout(0)
                .send()
                .await
                .expect("ChangeMessageVisibility");
        }
        batch
    }

    /// The jobs waiting in the queue, by cluster ARN (delivered and then made visible again).
    pub async fn queued_clusters(&self) -> Vec<String> {
        let batch = self.peek().await;
        let mut clusters: Vec<String> = batch
            .records
            .iter()
            .map(|m| job_cluster(m.body.as_deref()))
            .collect();
        clusters.sort();
        clusters
    }

    /// The jobs waiting in the queue (delivered and then made visible again), by cluster ARN.
    pub async fn queued_jobs(&self) -> Vec<ReconcileJob> {
        let batch = self.peek().await;
        let mut jobs: Vec<ReconcileJob> = batch
            .records
            .iter()
            .map(|m| serde_json::from_str(m.body.as_deref().expect("body")).expect("a job"))
            .collect();
        jobs.sort();
        jobs
    }

    /// The access entries of `cluster` in `account`, as the emulator holds them.
    pub fn entries(&self, account: &str, cluster: &str) -> Vec<EntryView> {
        self.emulator.entries(account, HOME, cluster)
    }

    /// Calls that changed something (anything but reads), from the emulator's request log.
    pub fn writes(&self) -> Vec<RequestRecord> {
        const READS: [&str; 5] = ["List", "Describe", "Get", "Receive", "AssumeRole"];
        self.emulator
            .requests()
            .into_iter()
            .filter(|r| !READS.iter().any(|p| r.operation.starts_with(p)))
            .collect()
    }

    /// The Identity Center instance ARN and identity store id.
    pub async fn instance(&self) -> (String, String) {
        let out = aws_sdk_ssoadmin::Client::new(&self.hub)
            .list_instances()
            .send()
            .await
            .expect("ListInstances");
        let instance = out.instances().first().expect("one instance");
        (
            instance.instance_arn().expect("instance ARN").to_owned(),
            instance.identity_store_id().expect("store id").to_owned(),
        )
    }

    /// The id of the group called `name`.
    pub async fn group_id(&self, name: &str) -> String {
        let (_, store) = self.instance().await;
        let out = aws_sdk_identitystore::Client::new(&self.hub)
            .list_groups()
            .identity_store_id(store)
            .send()
            .await
            .expect("ListGroups");
        out.groups()
            .iter()
            .find(|g| g.display_name() == Some(name))
            .unwrap_or_else(|| panic!("group {name}"))
            .group_id()
            .to_owned()
    }

    /// The id of the user called `name`.
    pub async fn user_id(&self, name: &str) -> String {
        let (_, store) = self.instance().await;
        let out = aws_sdk_identitystore::Client::new(&self.hub)
            .list_users()
            .identity_store_id(store)
            .send()
            .await
            .expect("ListUsers");
        out.users()
            .iter()
            .find(|u| u.user_name() == Some(name))
            .unwrap_or_else(|| panic!("user {name}"))
            .user_id()
            .to_owned()
    }

    /// The ARN of the permission set called `name`.
    pub async fn permission_set_arn(&self, name: &str) -> String {
        let (instance, _) = self.instance().await;
        let client = aws_sdk_ssoadmin::Client::new(&self.hub);
        let listed = client
            .list_permission_sets()
            .instance_arn(&instance)
            .send()
            .await
            .expect("ListPermissionSets");
        for arn in listed.permission_sets() {
            let described = client
                .describe_permission_set()
                .instance_arn(&instance)
                .permission_set_arn(arn)
                .send()
                .await
                .expect("DescribePermissionSet");
            if described.permission_set().and_then(|p| p.name()) == Some(name) {
                return arn.clone();
            }
        }
        panic!("permission set {name}");
    }
}

/// The cluster ARN a job body names (`"<not a job>"` for anything else).
fn job_cluster(body: Option<&str>) -> String {
    body.and_then(|b| serde_json::from_str::<eks_sso_sync::ports::ReconcileJob>(b).ok())
        .map_or_else(|| "<not a job>".to_owned(), |job| job.cluster.arn())
}

/// The ARN of a managed cluster of the seed.
pub fn cluster_arn(account: &str, name: &str) -> String {
    format!("arn:aws:eks:{HOME}:{account}:cluster/{name}")
}

/// The entry of `permission_set`'s SSO role among `entries`, if there is one.
pub fn sso_entry<'a>(entries: &'a [EntryView], permission_set: &str) -> Option<&'a EntryView> {
    let marker = format!("/AWSReservedSSO_{permission_set}_");
    entries.iter().find(|e| e.principal_arn.contains(&marker))
}

/// The policies of an entry as `name -> "cluster"` or `name -> "namespace:a,b"`.
pub fn policies(entry: &EntryView) -> BTreeMap<String, String> {
    entry
        .policies
        .iter()
        .map(|(arn, scope)| {
            let name = arn.rsplit('/').next().unwrap_or(arn).to_owned();
            let scope = match scope.scope_type.as_str() {
                "namespace" => format!("namespace:{}", scope.namespaces.join(",")),
                other => other.to_owned(),
            };
            (name, scope)
        })
        .collect()
}

/// The access the `payments` rule grants.
pub fn payments_policies() -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "AmazonEKSEditPolicy".to_owned(),
            "namespace:payments,payments-*".to_owned(),
        ),
        ("AmazonEKSViewPolicy".to_owned(), "cluster".to_owned()),
    ])
}

/// The ARNs of the seed's managed clusters, sorted.
pub fn managed_arns() -> Vec<String> {
    MANAGED.iter().map(|(a, n)| cluster_arn(a, n)).collect()
}

/// The ARNs of `clusters`, sorted.
pub fn arns(clusters: &[ClusterRef]) -> Vec<String> {
    sorted(clusters.iter().map(ClusterRef::arn).collect())
}

/// `values`, sorted.
pub fn sorted(mut values: Vec<String>) -> Vec<String> {
    values.sort();
    values
}

/// Seconds since the epoch, by the wall clock (the clock the functions date jobs with).
pub fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

impl World {
    /// Sweeps and drains, so that every managed cluster has its desired entries.
    pub async fn converge(&self) {
        let reconciler = self.reconciler(WaitPolicy::default());
        let summary = reconciler.sweep(None).await;
        assert!(summary.listing_errors.is_empty() && summary.enqueue_error.is_none());
        self.drain(&reconciler).await;
    }
}
