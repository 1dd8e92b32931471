//! The IAM request-context log: one JSON object per line and per authorization,
//! `{"principal": ROLE_ARN, "action": …, "resource": …, "context": {key: "v" | ["v", …]}}`,
//! appended to the file named by `EKS_SSO_SYNC_IAM_LOG` (or [`EmulatorConfig::iam_log`]) so a
//! third-party IAM simulator can replay every call the engine made against the real policies.
//! For an enforced role the line also carries `"emulator_decision"`, what the emulator's own
//! evaluator answered: `scripts/iam-simulate.sh` fails when the simulator disagrees.
//!
//! [`EmulatorConfig::iam_log`]: crate::EmulatorConfig::iam_log

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{Authorization, Context};
use crate::policy::Decision;
use crate::state::lock;

/// The environment variable naming the log file, read once when an emulator starts.
pub const IAM_LOG_ENV: &str = "EKS_SSO_SYNC_IAM_LOG";

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamLogRecord {
    /// The caller's role ARN with its path (`arn:aws:iam::ACCT:role/PATH/NAME`).
    pub principal: String,
    /// `service:Action`.
    pub action: String,
    /// Resource ARN or `*`.
    pub resource: String,
    /// Condition keys the request carries.
    pub context: Context,
    /// The emulator's decision (`Allowed`, `ImplicitlyDenied`, `ExplicitlyDenied`), for
    /// enforced roles only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emulator_decision: Option<String>,
}

/// Where records go: nowhere, or appended to one file.
#[derive(Debug, Default)]
pub struct IamLog {
    file: Mutex<Option<File>>,
}

impl IamLog {
    /// The configured path, else the one in [`IAM_LOG_ENV`], else none.
    pub fn configured_path(configured: Option<&Path>) -> Option<PathBuf> {
        configured.map(Path::to_path_buf).or_else(|| {
            std::env::var_os(IAM_LOG_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
    }

    /// A log appending to `path` (created if missing), or a disabled log without one.
    pub fn open(path: Option<&Path>) -> std::io::Result<Self> {
        let file = match path {
            Some(path) => Some(OpenOptions::new().create(true).append(true).open(path)?),
            None => None,
        };
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    /// Whether records are written anywhere (so callers can skip building them).
    pub fn enabled(&self) -> bool {
        lock(&self.file).is_some()
    }

    /// Appends one line per authorization, with its decision when the role is enforced. A write
    /// failure is logged, never fails the call: the log is evidence for a test, not part of the
    /// emulated service.
    pub fn append(
        &self,
        principal: &str,
        authorizations: &[Authorization],
        decisions: Option<&[Decision]>,
    ) {
        let mut guard = lock(&self.file);
        let Some(file) = guard.as_mut() else { return };
        let mut lines = String::new();
        for (i, auth) in authorizations.iter().enumerate() {
            let record = IamLogRecord {
                principal: principal.to_owned(),
                action: auth.action.clone(),
                resource: auth.resource.clone(),
                context: auth.context.clone(),
                emulator_decision: decisions
                    .and_then(|d| d.get(i))
                    .map(|d| d.as_str().to_owned()),
            };
            match serde_json::to_string(&record) {
                Ok(line) => {
                    lines.push_str(&line);
                    lines.push('\n');
                }
                Err(err) => tracing::warn!(%err, "cannot encode an IAM log record"),
            }
        }
        // One write per call keeps a call's lines together when several emulators share a file.
        if let Err(err) = file.write_all(lines.as_bytes()) {
            tracing::warn!(%err, "cannot append to the IAM request log");
        }
    }
}
