//! Connecting the CLI to AWS (or to an emulator with `--endpoint-url`) exactly the way the Lambda
//! functions connect, and resolving `--cluster` arguments.

use std::sync::Arc;

use anyhow::{Context, bail};
use eks_sso_sync::aws::setup;
use eks_sso_sync::aws::{AwsPorts, static_credentials};
use eks_sso_sync::config::Mapping;
use eks_sso_sync::domain::ClusterRef;
use eks_sso_sync::engine::{self, ReconcileContext};

use crate::args::{ClusterFilter, GlobalArgs};

/// A mapping and every port, ready to plan or apply.
pub struct Session {
    /// The validated mapping.
    pub mapping: Arc<Mapping>,
    /// The AWS ports.
    pub ports: AwsPorts,
    /// The engine context.
    pub ctx: ReconcileContext,
}

/// Loads the mapping named by `--config` (failing with the full validation report).
pub fn load_mapping(global: &GlobalArgs) -> anyhow::Result<Mapping> {
    Mapping::from_path(&global.config)
        .map_err(|report| anyhow::anyhow!("invalid mapping:\n{report}"))
}

/// Connects with `--endpoint-url` (static credentials: `AWS_ACCESS_KEY_ID` or `test`) or the
/// standard AWS configuration chain.
pub async fn connect(global: &GlobalArgs) -> anyhow::Result<Session> {
    let mapping = Arc::new(load_mapping(global)?);
    connect_with(mapping, global.endpoint_url.as_deref()).await
}

/// Connects `mapping` to `endpoint` (or to AWS when `None`).
pub async fn connect_with(
    mapping: Arc<Mapping>,
    endpoint: Option<&str>,
) -> anyhow::Result<Session> {
    let endpoint = endpoint.map(|url| (url, endpoint_credentials()));
    let sdk = setup::sdk_config(&mapping, endpoint).await;
    let ports = setup::ports(&mapping, &sdk).await;
    let ctx = setup::context(mapping.clone(), &ports);
    Ok(Session {
        mapping,
        ports,
        ctx,
    })
}

/// The credentials used with `--endpoint-url`: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, or
/// `test` (the emulator routes by access key and does not check signatures).
pub fn endpoint_credentials() -> aws_credential_types::Credentials {
    let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "test".to_owned());
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "test".to_owned());
    static_credentials(&key, &secret)
}

/// What `plan` and `apply` work on: the clusters chosen, and the account/regions that could not
/// be listed (reported and failing the run, while every other account is still reconciled).
#[derive(Debug, Default)]
pub struct Targets {
    /// Managed clusters, then (without `--cluster`) the out-of-scope ones, whose managed entries
    /// are orphans to report.
    pub clusters: Vec<ClusterRef>,
    /// `account/region: error` for each place that could not be listed.
    pub unreachable: Vec<String>,
}

/// The clusters of `filter`: with `--cluster`, exactly those (as [`resolve_clusters`] does);
/// without, every cluster of the mapping's accounts and regions, in scope or not. An account
/// that cannot be listed is that account's failure, not the run's.
pub async fn resolve_targets(session: &Session, filter: &ClusterFilter) -> anyhow::Result<Targets> {
    if !filter.clusters.is_empty() {
        return Ok(Targets {
            clusters: resolve_clusters(session, filter).await?,
            unreachable: Vec::new(),
        });
    }
    let listing = engine::list_clusters(&session.ctx, None).await;
    let unreachable = listing
        .errors
        .iter()
        .map(|(account, region, error)| format!("{account}/{region}: {error}"))
        .collect();
    let mut clusters = listing.managed;
    clusters.extend(listing.out_of_scope);
    Ok(Targets {
        clusters,
        unreachable,
    })
}

/// The clusters `--cluster` names (a name or an ARN each), or every managed cluster; an account
/// that cannot be listed fails the whole call.
pub async fn resolve_clusters(
    session: &Session,
    filter: &ClusterFilter,
) -> anyhow::Result<Vec<ClusterRef>> {
    let (managed, errors) = engine::list_managed_clusters(&session.ctx, None).await;
    for (account, region, error) in &errors {
        tracing::warn!(account = %account, region = %region, error = %error, "cannot list clusters");
    }
    if filter.clusters.is_empty() {
        if let Some((account, region, error)) = errors.first() {
            bail!("cannot list clusters in {account}/{region}: {error}");
        }
        return Ok(managed);
    }
    let mut chosen = Vec::new();
    for wanted in &filter.clusters {
        if wanted.starts_with("arn:") {
            chosen
                .push(ClusterRef::from_arn(wanted).with_context(|| format!("--cluster {wanted}"))?);
            continue;
        }
        let matches: Vec<&ClusterRef> = managed
            .iter()
            .filter(|c| c.name.as_str() == wanted)
            .collect();
        match matches.as_slice() {
            [one] => chosen.push((*one).clone()),
            [] => bail!(
                "no managed cluster named {wanted:?} (managed: {})",
                names(&managed)
            ),
            several => bail!(
                "{wanted:?} names {} clusters; give the ARN instead: {}",
                several.len(),
                several
                    .iter()
                    .map(|c| c.arn())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    chosen.sort();
    chosen.dedup();
    Ok(chosen)
}

fn names(clusters: &[ClusterRef]) -> String {
    if clusters.is_empty() {
        return "none".to_owned();
    }
    clusters
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
