//! Official-client conformance: the AWS CLI (botocore, which checks answers against AWS's own
//! service models) runs against the in-process emulator for the emulated operations of every
//! service, and the parsed JSON answers are asserted on. Groups of calls run concurrently.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::process::Output;

use eks_sso_sync_emulator::{Emulator, EmulatorConfig, RunningEmulator, Seed};
use serde_json::Value;
use tokio::process::Command;

#[path = "awscli/eks.rs"]
mod eks;
#[path = "awscli/iam_sts_sqs.rs"]
mod iam_sts_sqs;
#[path = "awscli/identity_center.rs"]
mod identity_center;

const SEED: &str = include_str!("fixtures/seed.yaml");
const MEMBER: &str = "222222222222";

/// How to reach the emulator with the CLI.
#[derive(Clone)]
struct Cli {
    endpoint: String,
    program: String,
}

/// Credentials and region of one CLI call.
#[derive(Clone, Copy)]
struct As<'a> {
    key: &'a str,
    session_token: Option<&'a str>,
    region: &'a str,
}

const DEFAULT: As<'static> = As {
    key: "test",
    session_token: None,
    region: "eu-west-1",
};
const MEMBER_EU: As<'static> = As {
    key: MEMBER,
    session_token: None,
    region: "eu-west-1",
};

impl Cli {
    async fn run(&self, who: As<'_>, args: &[&str]) -> Output {
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .args([
                "--endpoint-url",
                &self.endpoint,
                "--output",
                "json",
                "--region",
                who.region,
            ])
            .env("AWS_ACCESS_KEY_ID", who.key)
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", who.region)
            .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/aws-credentials",
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_SESSION_TOKEN");
        if let Some(token) = who.session_token {
            command.env("AWS_SESSION_TOKEN", token);
        }
        command.output().await.unwrap_or_else(|err| {
            panic!("cannot run the AWS CLI `aws` ({err}); install it with `pip install awscli` (scripts/test.sh does)")
        })
    }

    /// Runs a call that must succeed and returns its parsed JSON answer (`null` for no output).
    async fn ok(&self, who: As<'_>, args: &[&str]) -> Value {
        let out = self.run(who, args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "aws {} failed: {stderr}",
            args.join(" ")
        );
        if out.stdout.iter().all(u8::is_ascii_whitespace) {
            return Value::Null;
        }
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|err| panic!("aws {}: not JSON ({err})", args.join(" ")))
    }

    /// Runs a call that must fail with `code`.
    async fn fails(&self, who: As<'_>, args: &[&str], code: &str) {
        let out = self.run(who, args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "aws {} should fail", args.join(" "));
        assert!(
            stderr.contains(&format!("({code})")),
            "aws {}: expected {code}, got {stderr}",
            args.join(" ")
        );
    }
}

/// The `aws` executable. Under pyenv, `aws` on PATH is a shell shim costing ~0.2 s per call, so
/// the real script is resolved once; `AWS_CLI` overrides both.
async fn cli_program() -> String {
    if let Ok(program) = std::env::var("AWS_CLI") {
        return program;
    }
    match Command::new("pyenv").args(["which", "aws"]).output().await {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        _ => "aws".to_owned(),
    }
}

async fn start(program: String) -> (RunningEmulator, Cli) {
    let config = EmulatorConfig {
        seed: Some(Seed::from_yaml(SEED).unwrap()),
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config).await.unwrap();
    let cli = Cli {
        endpoint: emulator.endpoint.clone(),
        program,
    };
    (emulator, cli)
}

fn s(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_accepts_every_service_s_answers() {
    let program = cli_program().await;
    let probe = Command::new(&program).arg("--version").output().await;
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "the AWS CLI `aws` is not installed: `pip install awscli` (scripts/test.sh installs it)"
    );
    let (emulator, cli) = start(program).await;
    tokio::join!(
        eks::eks_clusters(&cli, &emulator),
        eks::eks_entries(&cli),
        iam_sts_sqs::iam_and_sts(&cli),
        identity_center::identity_center(&cli),
        iam_sts_sqs::sqs(&cli)
    );
    emulator.shutdown().await;
}
