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
    /// Run the whole system on an embedded emulator: a realistic organization, a narrated scenario
    /// through the same handlers the Lambdas run, the effective-access table and API-call counts.
    Demo(DemoArgs),
    /// Load and validate the mapping file; print every problem with line:column (exit 1 if any).
    Validate(ValidateArgs),
    /// Read everything and print the plan. Exit 0: no changes, 2: changes pending, 1: error.
    Plan(PlanArgs),
    /// Plan, show, confirm, apply; print per-operation results and the audit records.
    Apply(ApplyArgs),
    /// Effective access: group → permission set → accounts → clusters → policies and namespaces.
    ///
    /// For a group, a user (their groups and direct assignments) or a permission set: every
    /// managed cluster it reaches, through which SSO role, with which Kubernetes groups, policies
    /// and namespaces, and which mapping rules grant it. For a cluster: every access entry, who
    /// reaches it (permission set and the groups holding it), whether eks-sso-sync manages it,
    /// and the entries the mapping wants that do not exist yet. What `kubectl auth can-i` cannot
    /// show. JSON output has a stable shape (schema_version 1).
    Explain(ExplainArgs),
    /// Run exactly what the Lambda for an EventBridge event does, reconciling inline.
    ///
    /// Classifies the event, runs the real handler of the function it is routed to
    /// (group-sync, cluster-bootstrap, or the reconciler's sweep) and reconciles every cluster
    /// it asks for inline instead of through the queue. Prints JSON (the trigger with its ids,
    /// the reason when ignored, and per cluster the plan and results) unless `--output table`.
    /// A malformed event exits 1 naming the field, and changes nothing.
    HandleEvent(HandleEventArgs),
    /// Serve the AWS emulator until interrupted.
    ///
    /// Prints `listening on http://ADDR` once the socket is bound (the real port with
    /// `--listen 127.0.0.1:0`), then serves EKS, IAM, STS, Identity Store, SSO Admin and SQS until
    /// Ctrl-C or SIGTERM. Point the CLI at it with `--endpoint-url`.
    Emulator(EmulatorArgs),
    /// Turn an aws-auth ConfigMap into a mapping, with a report of what could not be translated.
    ///
    /// Every role is looked up in IAM with the caller's own credentials (its path, which aws-auth
    /// stripped, is needed again). Table output: the mapping on stdout (or in `--write`), the
    /// report on stderr. JSON output: `{mapping_yaml, written_to, report}`.
    ImportAwsAuth(ImportAwsAuthArgs),
    /// Measure a synthetic organization on the emulator: sweeps, onboarding, call counts, cold starts.
    Bench(BenchArgs),
}

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Added latency per emulated AWS call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
}

/// `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Also look up every exact `permission_set` and `groups:` name in Identity Center (needs
    /// credentials, like `plan`); an unknown name is reported with the closest existing ones and
    /// exits 3.
    #[arg(long)]
    pub online: bool,
}

/// Which clusters to work on.
#[derive(Debug, Args)]
pub struct ClusterFilter {
    /// Only these clusters (name or ARN; repeatable). Default: every managed cluster.
    #[arg(long = "cluster", value_name = "NAME|ARN")]
    pub clusters: Vec<String>,
}

/// `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Which clusters.
    #[command(flatten)]
    pub filter: ClusterFilter,
    /// Preview the plan as `apply --allow-mass-deletion` would make it.
    #[arg(long)]
    pub allow_mass_deletion: bool,
    /// Clusters reconciled at once: one cluster's wait for EKS to see a new role overlaps the
    /// others' work. 1 reconciles one after another.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub clusters_at_once: u16,
}

/// `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Which clusters.
    #[command(flatten)]
    pub filter: ClusterFilter,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Apply deletions the blast-radius limit withholds: more than options.max_deletions of a
    /// cluster's managed entries in one run (default 5 entries or 20 %, whichever is larger),
    /// or any in an account whose reads yield no desired entry. For intended clean-ups only;
    /// the Lambda functions never override the limit.
    #[arg(long)]
    pub allow_mass_deletion: bool,
    /// Clusters reconciled at once: one cluster's wait for EKS to see a new role overlaps the
    /// others' work. 1 reconciles one after another.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub clusters_at_once: u16,
}

/// `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A group display name.
    #[arg(long)]
    pub group: Option<String>,
    /// A user name (Identity Store user name).
    #[arg(long)]
    pub user: Option<String>,
    /// A permission set name.
    #[arg(long)]
    pub permission_set: Option<String>,
    /// A cluster name or ARN: every entry, who reaches it, and whether eks-sso-sync manages it.
    #[arg(long)]
    pub cluster: Option<String>,
    /// With `--cluster`: explain one entry — each rule behind it and what that rule gives, the
    /// operations a plan makes for it, what is withheld, and what changed it last.
    #[arg(long, value_name = "ARN", requires = "cluster")]
    pub principal: Option<String>,
}

/// `handle-event`.
#[derive(Debug, Args)]
pub struct HandleEventArgs {
    /// The EventBridge event (JSON file; `-` for stdin).
    pub file: PathBuf,
    /// Plan only; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4566")]
    pub listen: std::net::SocketAddr,
    /// Seed file (YAML) to start from.
    #[arg(long)]
    pub seed: Option<PathBuf>,
    /// Identity Center home region when no seed says otherwise.
    #[arg(long, default_value = "eu-west-1")]
    pub home_region: String,
    /// Added latency per call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Fraction of calls answered with a throttling error (0..1).
    #[arg(long, default_value_t = 0.0)]
    pub throttle_rate: f64,
    /// Fraction of calls answered with a 5xx error (0..1).
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Token buckets per operation and account, as AWS throttles (`aws`: Identity Center 20
    /// requests/s in total, Identity Store 20 requests/s per API).
    #[arg(long, value_enum, default_value_t = RateLimits::None)]
    pub rate_limits: RateLimits,
}

/// Which token buckets the emulator enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateLimits {
    /// No buckets: only the random faults throttle.
    None,
    /// The rates AWS documents or is commonly observed to enforce.
    Aws,
}

impl RateLimits {
    /// The emulator's rules for this choice.
    pub fn rules(self) -> Vec<eks_sso_sync_emulator::RateLimit> {
        match self {
            Self::None => Vec::new(),
            Self::Aws => eks_sso_sync_emulator::RateLimit::aws_defaults(),
        }
    }
}

/// `import-aws-auth`.
#[derive(Debug, Args)]
pub struct ImportAwsAuthArgs {
    /// The ConfigMap as `kubectl get cm aws-auth -n kube-system -o yaml` (or `-o json`) prints
    /// it, or a `data:` block, a `mapRoles:` fragment or a bare list. Without it, the ConfigMap
    /// is read from each cluster's Kubernetes API (`--cluster`, or every cluster found).
    pub file: Option<PathBuf>,
    /// The Identity Center home region.
    #[arg(long, default_value = "eu-west-1")]
    pub identity_center_region: String,
    /// The regions the generated accounts cover, and where clusters are looked for (repeatable).
    #[arg(long = "region", default_value = "eu-west-1")]
    pub regions: Vec<String>,
    /// The cluster the ConfigMap belongs to (repeatable): the mapping manages only these
    /// clusters. Without FILE, each one's aws-auth is read from its Kubernetes API and identical
    /// entries merge.
    #[arg(long = "cluster", value_name = "NAME")]
    pub clusters: Vec<String>,
    /// Without FILE and `--cluster`: read only the clusters carrying this tag (`KEY=VALUE`,
    /// repeatable, all must match; `*` and `?` in VALUE are globs, as in a mapping's selectors).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Accounts whose clusters are read without FILE (repeatable; default: the credentials'
    /// account).
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,
    /// Read the clusters an existing mapping manages: its accounts and regions, its `clusters:`
    /// include/exclude selectors, reached with its member-role settings (as `plan` does).
    #[arg(long, value_name = "MAPPING", conflicts_with_all = ["file", "clusters", "tags", "accounts"])]
    pub clusters_of: Option<PathBuf>,
    /// The member role assumed in every account other than the credentials' own, as the other
    /// commands do (member-account.yaml creates it).
    #[arg(long, default_value = "eks-sso-sync-target")]
    pub member_role_name: String,
    /// After the import, check against each cluster's live access entries that every principal
    /// keeps at least its aws-auth access (exit 3 if not): run it after `apply`, before removing
    /// the ConfigMap entries.
    #[arg(long)]
    pub verify: bool,
    /// Write the mapping here instead of stdout.
    #[arg(long)]
    pub write: Option<PathBuf>,
}

/// `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Member accounts in the synthetic organization.
    #[arg(long, default_value_t = 3)]
    pub accounts: usize,
    /// Clusters per account.
    #[arg(long, default_value_t = 10)]
    pub clusters_per_account: usize,
    /// Unmanaged entries already on each cluster.
    #[arg(long, default_value_t = 20)]
    pub entries_per_cluster: usize,
    /// Added latency per emulated call, in milliseconds.
    #[arg(long, default_value_t = 5)]
    pub latency_ms: u64,
    /// Clusters reconciled at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Skip the cold-start measurement of the function binaries.
    #[arg(long)]
    pub skip_cold_start: bool,
    /// `in-process`: one process reconciles every cluster with one shared cache. `lambda`: the
    /// deployed topology (scheduled sweep → SQS FIFO → reconciler batches on concurrent warm
    /// containers, and group-sync for an assignment event); see docs/benchmarks.md.
    #[arg(long, value_enum, default_value_t = Topology::InProcess)]
    pub topology: Topology,
    /// Permission sets in the Identity Center instance (at least 4; the extra ones alternate
    /// between one a rule wants and one none wants, all assigned in every account).
    #[arg(long, default_value_t = 4)]
    pub permission_sets: usize,
    /// `--topology lambda`: concurrent reconciler containers draining the queue (the template's
    /// `ReconcileConcurrency` default).
    #[arg(long, default_value_t = 10)]
    pub consumers: usize,
    /// `--topology lambda`: messages per SQS batch (the template's `BatchSize`; SQS FIFO
    /// delivers at most 10).
    #[arg(long, default_value_t = 10)]
    pub batch_size: usize,
    /// Token buckets the emulator enforces (`aws`: as AWS throttles); the report then gives
    /// the rate each bucket sustained.
    #[arg(long, value_enum, default_value_t = RateLimits::None)]
    pub rate_limits: RateLimits,
}

/// Which deployment `bench` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topology {
    /// One process, one shared cache.
    InProcess,
    /// The SAM template's functions, queue and batch size.
    Lambda,
}
