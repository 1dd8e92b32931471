//! Command-line arguments (clap derive). Every command has `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Keep Amazon EKS access entries in step with AWS IAM Identity Center.
#[derive(Debug, Parser)]
#[command(name = "eks-sso-sync", version, about, long_about = None)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The mapping file.
    #[arg(
        long,
        global = true,
        default_value = "mapping.yaml",
        env = "EKS_SSO_SYNC_CONFIG"
    )]
    pub config: PathBuf,
    /// Send every AWS call to this endpoint (e.g. the emulator); default: the standard AWS config chain.
    #[arg(long, global = true, env = "EKS_SSO_SYNC_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// Output format; default: table on a terminal, JSON otherwise.
    #[arg(long, global = true, value_enum)]
    pub output: Option<OutputFormat>,
    /// More logs (-v info, -vv debug, -vvv trace), on stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Errors only.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable tables.
    Table,
    /// Machine-readable JSON with a stable schema.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load and validate the mapping file; print every problem with line:column (exit 1 if any).
    Validate(ValidateArgs),
}

/// `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {}
