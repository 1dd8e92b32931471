//! Cold start of each function binary the way Lambda sees it: the time from process start until
//! the binary asks the Runtime API for its first event (its init: tracing, settings, mapping,
//! SDK clients), then one real event from `events/` handled against the emulator, and the
//! process's peak resident memory (`VmHWM`) after it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use eks_sso_sync_emulator::RunningEmulator;
use serde::Serialize;
use tokio::process::{Child, Command};

use super::runtime_api::{Observed, Reported, RuntimeApi};

/// What to run cold: binary name, the sample event it is given (file under `events/`, and its
/// text, embedded at build time so the CLI needs no checkout to run).
pub const FUNCTIONS: [(&str, &str, &str); 3] = [
    (
        "group-sync",
        "identitystore-create-group-membership.json",
        include_str!("../../../../events/identitystore-create-group-membership.json"),
    ),
    (
        "cluster-bootstrap",
        "eks-create-cluster.json",
        include_str!("../../../../events/eks-create-cluster.json"),
    ),
    (
        "reconciler",
        "scheduled-sweep.json",
        include_str!("../../../../events/scheduled-sweep.json"),
    ),
];

/// The hint printed when the function binaries are not beside the CLI.
pub const NOT_BUILT_HINT: &str =
    "not built: run cargo build --release -p group-sync -p cluster-bootstrap -p reconciler";

/// The longest a function may take to init, then to handle its event.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);
/// The memory size the function is told it has (the SAM template's).
const MEMORY_MB: &str = "256";

/// The environment shared by every function: where AWS is, the mapping, the queue.
#[derive(Debug, Clone)]
pub struct FunctionEnvironment {
    /// The emulator endpoint (`AWS_ENDPOINT_URL`).
    pub endpoint: String,
    /// The region (`AWS_REGION`).
    pub region: String,
    /// The mapping file (`MAPPING_PATH`).
    pub mapping_path: PathBuf,
    /// The reconcile queue (`RECONCILE_QUEUE_URL`).
    pub queue_url: String,
    /// Where each function's stdout and stderr go.
    pub log_dir: PathBuf,
    /// Text replacements pointing the sample events (written for the sample organization of
    /// `events/README.md`: account 222222222222, cluster prod-eu, a made-up group) at the
    /// synthetic one, so every handler does real work instead of finding nothing.
    pub retarget: Vec<(String, String)>,
}

impl FunctionEnvironment {
    /// `event` with every replacement applied.
    fn retargeted(&self, event: &str) -> String {
        self.retarget
            .iter()
            .fold(event.to_owned(), |text, (from, to)| text.replace(from, to))
    }
}

/// One function's cold start.
#[derive(Debug, Clone, Serialize)]
pub struct ColdStart {
    /// Binary name.
    pub function: String,
    /// The sample event handled.
    pub event: String,
    /// What was measured.
    #[serde(flatten)]
    pub result: ColdStartResult,
}

/// What measuring one function gave.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ColdStartResult {
    /// Measured.
    Measured {
        /// Process start to the first `next` request, in milliseconds.
        init_ms: f64,
        /// First `next` request to the response or error, in milliseconds.
        invocation_ms: f64,
        /// Peak resident set size after handling the event (`VmHWM`), in KiB.
        peak_rss_kib: Option<u64>,
        /// API calls the process made (init and invocation) per `<service>:<Operation>`.
        calls_by_operation: BTreeMap<String, u64>,
        /// `response` or `error` (a handler error is still a handled event).
        outcome: String,
        /// The response or error body, shortened.
        detail: String,
    },
    /// The binary is not beside the CLI.
    NotBuilt {
        /// How to build it.
        hint: String,
    },
    /// The function did not init or answer.
    Failed {
        /// Why, with the tail of its log.
        reason: String,
    },
}

/// The directory the function binaries are expected in: the CLI's own.
pub fn binary_dir() -> Option<PathBuf> {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
}

/// Measures every function found in `dir`; with `emulator`, the calls each one made are read
/// from its request log (cleared before each function).
pub async fn measure_all(
    dir: Option<&Path>,
    env: &FunctionEnvironment,
    emulator: Option<&RunningEmulator>,
) -> Vec<ColdStart> {
    let mut results = Vec::new();
    for (function, file, event) in FUNCTIONS {
        let binary = dir.map(|d| d.join(function)).filter(|p| p.is_file());
        let result = match binary {
            None => ColdStartResult::NotBuilt {
                hint: NOT_BUILT_HINT.to_owned(),
            },
            Some(binary) => {
                if let Some(emulator) = emulator {
                    emulator.clear_requests();
                }
                let mut result = measure(function, &binary, &env.retargeted(event), env).await;
                if let (
                    Some(emulator),
                    ColdStartResult::Measured {
                        calls_by_operation, ..
                    },
                ) = (emulator, &mut result)
                {
                    *calls_by_operation = emulator.request_counts();
                }
                result
            }
        };
        results.push(ColdStart {
            function: function.to_owned(),
            event: file.to_owned(),
            result,
        });
    }
    results
}

/// Runs `binary` once against a fresh Runtime API serving `event`.
async fn measure(
    function: &str,
    binary: &Path,
    event: &str,
    env: &FunctionEnvironment,
) -> ColdStartResult {
    let arn = format!(
        "arn:aws:lambda:{}:111111111111:function:{function}",
        env.region
    );
    let mut api = match RuntimeApi::start(event.to_owned(), arn).await {
        Ok(api) => api,
        Err(e) => {
            return ColdStartResult::Failed {
                reason: format!("cannot start the local Runtime API: {e}"),
            };
        }
    };
    let log = env.log_dir.join(format!("{function}.log"));
    let started = Instant::now();
    let mut child = match spawn(function, binary, api.addr, env, &log) {
        Ok(child) => child,
        Err(e) => {
            return ColdStartResult::Failed {
                reason: format!("cannot start {}: {e}", binary.display()),
            };
        }
    };
    let result = observe(&mut api, &mut child, started, &log).await;
    // The function now waits for its next event; Lambda would freeze it, we stop it.
    if let Err(e) = child.kill().await {
        tracing::warn!(function, error = %e, "cannot stop the function");
    }
    result
}

fn spawn(
    function: &str,
    binary: &Path,
    runtime_api: std::net::SocketAddr,
    env: &FunctionEnvironment,
    log: &Path,
) -> std::io::Result<Child> {
    let out = std::fs::File::create(log)?;
    let err = out.try_clone()?;
    // A clean environment: nothing of the operator's AWS configuration leaks in.
    Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", MEMORY_MB)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", &env.region)
        .env("AWS_ENDPOINT_URL", &env.endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("MAPPING_PATH", &env.mapping_path)
        .env("RECONCILE_QUEUE_URL", &env.queue_url)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .kill_on_drop(true)
        .spawn()
}

/// Waits for init, then for the invocation's end; reads the peak RSS before the caller kills it.
async fn observe(
    api: &mut RuntimeApi,
    child: &mut Child,
    started: Instant,
    log: &Path,
) -> ColdStartResult {
    let inited = |o: &Observed| {
        o.first_next.is_some() || matches!(o.reported, Some((_, Reported::InitError(_))))
    };
    let Some(observed) = wait_or_exit(api, child, inited, log).await else {
        return failed("did not ask for an event", log);
    };
    let Some(first_next) = observed.first_next else {
        return failed("init failed", log);
    };
    let Some(observed) = wait_or_exit(api, child, |o| o.reported.is_some(), log).await else {
        return failed("did not answer its event", log);
    };
    let Some((answered, reported)) = observed.reported else {
        return failed("did not answer its event", log);
    };
    let (outcome, body) = match reported {
        Reported::Response(body) => ("response", body),
        Reported::Error(body) | Reported::InitError(body) => ("error", body),
    };
    ColdStartResult::Measured {
        init_ms: millis(first_next - started),
        invocation_ms: millis(answered - first_next),
        peak_rss_kib: child.id().and_then(peak_rss_kib),
        calls_by_operation: BTreeMap::new(),
        outcome: outcome.to_owned(),
        detail: shorten(&body, 300),
    }
}

/// Waits until `done`, the process exits or the step times out; `None` unless `done`.
async fn wait_or_exit(
    api: &mut RuntimeApi,
    child: &mut Child,
    done: impl Fn(&Observed) -> bool,
    log: &Path,
) -> Option<Observed> {
    tokio::select! {
        observed = api.wait_for(done) => Some(observed),
        status = child.wait() => {
            tracing::warn!(status = ?status, log = %log.display(), "function exited early");
            None
        }
        () = tokio::time::sleep(STEP_TIMEOUT) => None,
    }
}

fn failed(what: &str, log: &Path) -> ColdStartResult {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let tail: String = text.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
    ColdStartResult::Failed {
        reason: format!("{what} (log tail: {})", shorten(&tail, 600)),
    }
}

/// `VmHWM` of a live process, in KiB (Linux only; `None` elsewhere).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_hwm(&status)
}

/// The `VmHWM:  1234 kB` line of a `/proc/<pid>/status` text.
fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_peak_resident_set_from_proc_status() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t    4321 kB\nVmRSS:\t 4000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(4321));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
        // Our own process has one on Linux.
        if cfg!(target_os = "linux") {
            assert!(peak_rss_kib(std::process::id()).is_some_and(|k| k > 0));
        }
    }

    fn environment(retarget: Vec<(String, String)>) -> FunctionEnvironment {
        FunctionEnvironment {
            endpoint: String::new(),
            region: "eu-west-1".to_owned(),
            mapping_path: PathBuf::new(),
            queue_url: String::new(),
            log_dir: PathBuf::new(),
            retarget,
        }
    }

    #[tokio::test]
    async fn missing_binaries_are_reported_with_the_build_command() {
        let empty = tempfile::tempdir().unwrap();
        let results = measure_all(Some(empty.path()), &environment(vec![]), None).await;
        let names: Vec<&str> = results.iter().map(|c| c.function.as_str()).collect();
        assert_eq!(names, ["group-sync", "cluster-bootstrap", "reconciler"]);
        for c in &results {
            assert!(
                matches!(&c.result, ColdStartResult::NotBuilt { hint } if hint.contains("cargo build --release -p group-sync")),
                "{c:?}"
            );
        }
    }

    #[test]
    fn sample_events_are_retargeted_at_the_synthetic_organization() {
        let env = environment(vec![
            ("222222222222".to_owned(), "200000000001".to_owned()),
            ("prod-eu".to_owned(), "bench-0000".to_owned()),
        ]);
        let (_, _, event) = FUNCTIONS[1];
        let value: serde_json::Value = serde_json::from_str(&env.retargeted(event)).unwrap();
        assert_eq!(value["detail"]["requestParameters"]["name"], "bench-0000");
        assert_eq!(
            value["detail"]["responseElements"]["cluster"]["arn"],
            "arn:aws:eks:eu-west-1:200000000001:cluster/bench-0000"
        );
    }

    #[test]
    fn every_sample_event_is_json() {
        for (function, _, event) in FUNCTIONS {
            let value: serde_json::Value = serde_json::from_str(event).unwrap();
            assert!(value.get("detail-type").is_some(), "{function}");
        }
    }
}
