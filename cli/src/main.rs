//! `eks-sso-sync`: the operator CLI. Preview and apply what the Lambdas do, explain who can do
//! what where, migrate off `aws-auth`, and run the whole system on the embedded emulator.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

// First: its `out!`/`outln!` macros serve every module below.
#[macro_use]
mod output;
mod args;
mod cmd;
mod connect;
mod exit;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.verbose, cli.global.quiet);
    // The CLI runs the Lambda handlers in-process; their CloudWatch EMF lines would garble stdout.
    eks_sso_sync::metrics::emit_to_stdout(false);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = &cli.global;
    match &cli.command {
        Command::Demo(args) => cmd::demo::run(global, args).await,
        Command::Validate(args) => cmd::validate::run(global, args).await,
        Command::Plan(args) => cmd::plan::run_plan(global, args).await,
        Command::Apply(args) => cmd::plan::run_apply(global, args).await,
        Command::Explain(args) => cmd::explain::run(global, args).await,
        Command::HandleEvent(args) => cmd::handle_event::run(global, args).await,
        Command::Emulator(args) => cmd::emulator::run(args).await,
        Command::ImportAwsAuth(args) => cmd::import_aws_auth::run(global, args).await,
        Command::Bench(args) => cmd::bench::run(global, args).await,
    }
}

/// Logs go to stderr so that stdout stays clean for tables and JSON. `-v` raises the level,
/// `-q` lowers it; `RUST_LOG` overrides both.
fn init_tracing(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
