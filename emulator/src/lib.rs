//! A local AWS emulator on loopback that speaks the real wire protocols of EKS (restJson1), IAM
//! and STS (awsQuery), Identity Store and SSO Admin (awsJson1_1) and SQS (awsJson1_0), so the
//! production AWS SDK clients and the AWS CLI can talk to it through `endpoint_url`.
//!
//! See `emulator/README.md` for the seed format and the admin API.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod admin;
pub mod authz;
pub mod clock;
pub mod faults;
pub mod ids;
pub mod policy;
pub mod protocol;
pub mod rate_limits;
pub mod rendered;
pub mod seed;
pub mod server;
pub mod services;
pub mod state;
pub mod world;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

#[cfg(test)]
mod fidelity_tests;

pub use faults::Faults;
pub use rate_limits::{BucketReport, LimitScope, RateLimit};
pub use seed::Seed;
pub use services::eks::entries::{EntryView, ScopeView};
pub use state::{EmulatorState, RequestRecord};

/// Everything that can go wrong starting or feeding the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The seed refers to something that does not exist or breaks an AWS rule.
    #[error("invalid seed: {0}")]
    Seed(String),
    /// The seed is not valid YAML for the seed format.
    #[error("cannot parse the seed YAML: {0}")]
    SeedYaml(#[from] serde_yaml_ng::Error),
    /// The IAM request log file could not be opened.
    #[error("cannot open the IAM request log {path}: {source}")]
    IamLog {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("the emulator server failed: {0}")]
    Serve(std::io::Error),
}

/// How to start an emulator.
#[derive(Debug, Clone, PartialEq)]
pub struct EmulatorConfig {
    /// Identity Center home region (a seed's `identity_center.home_region` wins).
    pub home_region: String,
    /// Initial state; without one: account `111111111111` and an Identity Center instance.
    pub seed: Option<Seed>,
    /// Faults in force from the start.
    pub faults: Faults,
    /// Name of the path-`/` role every account has, acting for plain (non-assumed) keys.
    pub default_admin_role: String,
    /// How long `CREATING` lasts, in emulator seconds.
    pub creating_seconds: u64,
    /// How long `UPDATING` lasts, in emulator seconds.
    pub updating_seconds: u64,
    /// Seed of the identifier generator.
    pub id_seed: u64,
    /// File receiving the IAM request context of every assumed-role call (JSON lines); without
    /// one, `EKS_SSO_SYNC_IAM_LOG` is read when the emulator starts.
    pub iam_log: Option<std::path::PathBuf>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            home_region: "eu-west-1".to_owned(),
            seed: None,
            faults: Faults::default(),
            default_admin_role: "admin".to_owned(),
            creating_seconds: 600,
            updating_seconds: 60,
            id_seed: 0,
            iam_log: None,
        }
    }
}

/// Entry points to run an emulator.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// Starts an emulator on `127.0.0.1` with a free port, in the background of the current runtime.
    pub async fn start(config: EmulatorConfig) -> Result<RunningEmulator, EmulatorError> {
        let state = Arc::new(EmulatorState::new(config)?);
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| EmulatorError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind { addr, source })?;
        state.with_world(|w| w.kubernetes.base_url = Some(format!("http://{local}")));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = server::router(state.clone());
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(err) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(%err, "emulator server stopped");
            }
        });
        tracing::info!(endpoint = %format!("http://{local}"), "emulator started");
        Ok(RunningEmulator {
            endpoint: format!("http://{local}"),
            state,
            stop: Some(stop),
            task,
        })
    }

    /// Serves on `addr` until `shutdown` completes (for `eks-sso-sync emulator --listen`).
    pub async fn serve(
        config: EmulatorConfig,
        addr: SocketAddr,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), EmulatorError> {
        Self::serve_with_ready(config, addr, shutdown, |_| {}).await
    }

    /// Like [`Emulator::serve`], calling `on_ready` with the bound address (the real port when
    /// `addr` asks for port 0) once the socket accepts connections, before serving.
    pub async fn serve_with_ready(
        config: EmulatorConfig,
        addr: SocketAddr,
        shutdown: impl Future<Output = ()> + Send + 'static,
        on_ready: impl FnOnce(SocketAddr),
    ) -> Result<(), EmulatorError> {
        let state = Arc::new(EmulatorState::new(config)?);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| EmulatorError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind { addr, source })?;
        tracing::info!(addr = %local, "emulator listening");
        state.with_world(|w| w.kubernetes.base_url = Some(format!("http://{local}")));
        on_ready(local);
        axum::serve(listener, server::router(state))
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(EmulatorError::Serve)
    }
}

/// A started emulator; dropping it without [`RunningEmulator::shutdown`] leaves the server
/// running until the runtime ends.
#[derive(Debug)]
pub struct RunningEmulator {
    /// `http://127.0.0.1:PORT`: the `endpoint_url` for every service.
    pub endpoint: String,
    state: Arc<EmulatorState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningEmulator {
    /// The shared state (world, faults, request log).
    pub fn state(&self) -> &Arc<EmulatorState> {
        &self.state
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Every transitional cluster becomes `ACTIVE` now; returns how many changed.
    pub fn settle_clusters(&self) -> usize {
        self.state.settle_clusters()
    }

    /// Moves the emulator clock forward by `seconds`.
    pub fn advance_clock(&self, seconds: f64) {
        self.state.advance_clock(seconds);
    }

    /// Calls per `service:Operation`.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.state.request_counts()
    }

    /// The request log.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.requests()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.state.clear_requests();
    }

    /// Replaces the faults in force.
    pub fn set_faults(&self, faults: Faults) {
        self.state.set_faults(faults);
    }

    /// What each token bucket of the faults' `rate_limits` admitted and throttled.
    pub fn rate_limit_report(&self) -> Vec<BucketReport> {
        self.state.rate_limit_report()
    }

    /// Replaces the world by one built from `seed`.
    pub fn load_seed(&self, seed: &Seed) -> Result<(), EmulatorError> {
        self.state.load_seed(seed)
    }

    /// Deletes and recreates a role under the same name and path; returns its new id.
    pub fn recreate_role(&self, account: &str, name: &str) -> Option<String> {
        self.state.recreate_role(account, name)
    }

    /// Every access entry of a cluster with its role binding (empty if there is no such cluster).
    pub fn entries(&self, account: &str, region: &str, cluster: &str) -> Vec<EntryView> {
        self.state
            .entries(account, region, cluster)
            .unwrap_or_default()
    }
}
