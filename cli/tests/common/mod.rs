//! Support for the CLI tests: an emulator seeded to match the root `mapping.yaml`, the binary
//! pointed at it, and golden-file comparison of JSON documents with volatile values normalized.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of this support module"
)]

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use assert_cmd::Command;
use eks_sso_sync_emulator::{Emulator, EmulatorConfig, EntryView, RunningEmulator, Seed};
use regex::Regex;
use serde_json::Value;

/// The workspace root (the CLI crate's parent).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the CLI crate lives in the workspace")
        .to_path_buf()
}

/// A file under `cli/tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// An emulator running in its own runtime for the duration of a test.
pub struct Env {
    pub emulator: RunningEmulator,
    // Kept alive: the emulator's server task runs on it.
    _runtime: tokio::runtime::Runtime,
}

impl Env {
    /// An emulator seeded with `cli/tests/fixtures/<seed>`.
    pub fn start(seed: &str) -> Env {
        let text = std::fs::read_to_string(fixture(seed)).expect("seed fixture");
        Env::start_with(Seed::from_yaml(&text).expect("valid seed"))
    }

    /// An emulator seeded with `seed`.
    pub fn start_with(seed: Seed) -> Env {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let emulator = runtime
            .block_on(Emulator::start(EmulatorConfig {
                seed: Some(seed),
                ..EmulatorConfig::default()
            }))
            .expect("emulator starts");
        Env {
            emulator,
            _runtime: runtime,
        }
    }

    /// The CLI pointed at the emulator with the root `mapping.yaml`.
    pub fn cli(&self) -> Command {
        self.cli_with_config(&workspace().join("mapping.yaml"))
    }

    /// The CLI pointed at the emulator with `config` as the mapping.
    pub fn cli_with_config(&self, config: &Path) -> Command {
        let mut cmd = bare_cli();
        cmd.arg("--endpoint-url")
            .arg(&self.emulator.endpoint)
            .arg("--config")
            .arg(config);
        cmd
    }

    /// The entries of a cluster, as the emulator holds them.
    pub fn entries(&self, account: &str, region: &str, cluster: &str) -> Vec<EntryView> {
        self.emulator.entries(account, region, cluster)
    }
}

/// The CLI with a clean environment (no endpoint or config from the caller's shell).
pub fn bare_cli() -> Command {
    let mut cmd = Command::cargo_bin("eks-sso-sync").expect("binary built");
    cmd.env_remove("EKS_SSO_SYNC_ENDPOINT_URL")
        .env_remove("EKS_SSO_SYNC_CONFIG")
        .env_remove("RUST_LOG")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .timeout(std::time::Duration::from_secs(120));
    cmd
}

/// Runs `command`, asserts it succeeded, and parses its stdout as JSON.
pub fn json_success(command: &mut Command) -> Value {
    json(&command.assert().success().get_output().stdout)
}

/// Parses a command's stdout as JSON.
pub fn json(stdout: &[u8]) -> Value {
    serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(stdout)
        )
    })
}

/// Values that change from run to run, and what they become in golden files.
static VOLATILE: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (
            r"(AWSReservedSSO_[\w+=,.@-]+?)_[0-9a-f]{16}",
            "${1}_<suffix>",
        ),
        (
            r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            "<time>",
        ),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:<port>"),
        (
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            "<uuid>",
        ),
        (r"\bAROA[0-9A-Z]{17}\b", "<role-id>"),
    ]
    .into_iter()
    .map(|(re, to)| (Regex::new(re).expect("regex"), to))
    .collect()
});

/// Keys whose values are generated ids or times, whatever their shape.
const VOLATILE_KEYS: [&str; 9] = [
    "group_id",
    "user_id",
    "principal_id",
    "users",
    "time",
    "created_at",
    "first_enqueued_at",
    "eks-sso-sync:role-id",
    // The root mapping's hash: it changes with every edit of mapping.yaml.
    "mapping_sha256",
];

/// `value` with every volatile string and id replaced by a placeholder.
pub fn normalize(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(VOLATILE.iter().fold(s.clone(), |s, (re, to)| {
            re.replace_all(&s, *to).into_owned()
        })),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if VOLATILE_KEYS.contains(&k.as_str()) && !v.is_null() {
                        placeholder(v)
                    } else {
                        normalize(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Keeps the shape (array length, type) and hides the value.
fn placeholder(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(placeholder).collect()),
        Value::Number(_) => Value::from(0),
        _ => Value::String("<id>".to_owned()),
    }
}

/// Compares `actual` (normalized) with `cli/tests/golden/<name>.json`; `UPDATE_GOLDEN=1`
/// rewrites the file instead. Any difference, of shape or of value, fails.
pub fn assert_golden(name: &str, actual: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"));
    let actual = normalize(actual);
    let text = format!(
        "{}\n",
        serde_json::to_string_pretty(&actual).expect("serializable")
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).expect("golden file written");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    assert!(
        expected == text,
        "{} differs from the output (UPDATE_GOLDEN=1 rewrites it after review):\n--- expected\n{expected}\n--- actual\n{text}",
        path.display()
    );
}
