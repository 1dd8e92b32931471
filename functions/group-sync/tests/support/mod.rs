//! The world group-sync's handler tests run in: the emulator seeded from `fixtures/seed.yaml`, the
//! mapping in `fixtures/mapping.yaml`, the engine context built by `aws::setup` exactly as the
//! Lambda builds it, and a real SQS FIFO queue on the emulator behind `SdkJobQueue`. What the
//! function enqueued is read back from the queue, as the reconciler would receive it.

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;
use eks_sso_sync::aws::{SdkJobQueue, setup, static_credentials};
use eks_sso_sync::config::Mapping;
use eks_sso_sync::domain::ClusterRef;
use eks_sso_sync::engine::ReconcileContext;
use eks_sso_sync::ports::ReconcileJob;
use eks_sso_sync_emulator::{Emulator, EmulatorConfig, RunningEmulator, Seed};
use group_sync::handler::GroupSync;
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

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A sample event from the workspace's `events/` directory.
pub fn sample(name: &str) -> Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The member account's clusters unreachable: its role is one that does not exist, so every
/// call into the account is denied (AssumeRole fails).
pub fn member_unreachable(mapping: String) -> String {
    mapping.replace(
        r#"{ id: "222222222222", regions: [eu-west-1] }"#,
        r#"{ id: "222222222222", regions: [eu-west-1], role: "arn:aws:iam::222222222222:role/not-there" }"#,
    )
}

/// The seeded emulator, the engine context and the queue.
pub struct World {
    /// The emulator.
    pub emulator: RunningEmulator,
    /// The engine context, as `aws::setup` builds it for a Lambda.
    pub ctx: ReconcileContext,
    /// The reconcile queue, through the production adapter.
    pub queue: Arc<SdkJobQueue>,
    /// SQS, to read back what was enqueued.
    pub sqs: aws_sdk_sqs::Client,
    /// Hub credentials (Identity Center, the queue).
    pub hub: SdkConfig,
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
        }
    }

    /// The group-sync function over this world, as its `main` builds it.
    pub fn group_sync(&self) -> GroupSync {
        GroupSync::new(self.ctx.fresh(), self.queue.clone())
    }

    /// The cluster ARNs of the jobs waiting in the queue, sorted. Read without taking them: every
    /// message received is made visible again at once.
    pub async fn queued_clusters(&self) -> Vec<String> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(self.queue.queue_url())
            .max_number_of_messages(10)
            .send()
            .await
            .expect("ReceiveMessage");
        let mut clusters = Vec::new();
        for message in received.messages() {
            self.sqs
                .change_message_visibility()
                .queue_url(self.queue.queue_url())
                .receipt_handle(message.receipt_handle().expect("receipt handle"))
                .visibility_timeout(0)
                .send()
                .await
                .expect("ChangeMessageVisibility");
            let job: ReconcileJob =
                serde_json::from_str(message.body().expect("body")).expect("a job");
            clusters.push(job.cluster.arn());
        }
        clusters.sort();
        clusters
    }

    /// The Identity Store id of the seeded instance.
    pub async fn identity_store(&self) -> String {
        let out = aws_sdk_ssoadmin::Client::new(&self.hub)
            .list_instances()
            .send()
            .await
            .expect("ListInstances");
        let instance = out.instances().first().expect("one instance");
        instance.identity_store_id().expect("store id").to_owned()
    }

    /// The id of the group called `name`.
    pub async fn group_id(&self, name: &str) -> String {
        let out = aws_sdk_identitystore::Client::new(&self.hub)
            .list_groups()
            .identity_store_id(self.identity_store().await)
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
        let out = aws_sdk_identitystore::Client::new(&self.hub)
            .list_users()
            .identity_store_id(self.identity_store().await)
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
}

/// The ARN of a cluster of the seed.
pub fn cluster_arn(account: &str, name: &str) -> String {
    format!("arn:aws:eks:{HOME}:{account}:cluster/{name}")
}

/// The ARNs of the seed's managed clusters, sorted.
pub fn managed_arns() -> Vec<String> {
    MANAGED.iter().map(|(a, n)| cluster_arn(a, n)).collect()
}

/// The ARNs of `clusters`, sorted.
pub fn arns(clusters: &[ClusterRef]) -> Vec<String> {
    let mut arns: Vec<String> = clusters.iter().map(ClusterRef::arn).collect();
    arns.sort();
    arns
}
