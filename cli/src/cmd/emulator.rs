//! `emulator`: serve the local AWS emulator on a fixed address until Ctrl-C or SIGTERM.
//!
//! `listening on http://ADDR` is printed on stdout (and flushed) only once the socket is bound,
//! with the real port when `--listen` asks for port 0, so scripts and tests can wait for that line
//! and read the endpoint from it.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use eks_sso_sync_emulator::{Emulator, EmulatorConfig, Faults, Seed};

use crate::args::EmulatorArgs;

/// Runs `emulator`.
pub async fn run(args: &EmulatorArgs) -> anyhow::Result<ExitCode> {
    let config = config(args)?;
    Emulator::serve_with_ready(config, args.listen, shutdown_signal(), |addr| {
        outln!("listening on http://{addr}");
        // Readers wait for this line; a pipe would otherwise hold it back in the buffer.
        let _ = std::io::stdout().flush();
    })
    .await?;
    tracing::info!("emulator stopped");
    Ok(ExitCode::SUCCESS)
}

/// The emulator configuration the arguments describe.
fn config(args: &EmulatorArgs) -> anyhow::Result<EmulatorConfig> {
    let seed = match &args.seed {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the seed {}", path.display()))?;
            Some(Seed::from_yaml(&text).with_context(|| format!("seed {}", path.display()))?)
        }
        None => None,
    };
    let faults = Faults {
        latency_ms: args.latency_ms,
        throttle_rate: args.throttle_rate,
        error_rate: args.error_rate,
        rate_limits: args.rate_limits.rules(),
        ..Faults::default()
    };
    if let Some(problem) = faults.problem() {
        // The flags' names, not the admin API's fields.
        bail!(
            "{}",
            problem
                .replace("throttle_rate", "--throttle-rate")
                .replace("error_rate", "--error-rate")
        );
    }
    Ok(EmulatorConfig {
        home_region: args.home_region.clone(),
        seed,
        faults,
        ..EmulatorConfig::default()
    })
}

/// Completes on Ctrl-C, or on SIGTERM where there is one (containers, `kill`).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No Ctrl-C handler available: rely on SIGTERM alone.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
