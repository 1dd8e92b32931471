//! `import-aws-auth`: turn `aws-auth` ConfigMaps (a file, or read live from clusters) into a
//! mapping file, with a report of what became of every entry; `--verify` then checks against
//! each cluster's access entries that every principal keeps its access. Roles are looked up in
//! their own account through the member role the other commands assume.
//!
//! JSON document: `{ "schema_version": 2, "mapping_yaml": "…" | null, "written_to": "path" |
//! null, "report": { "entries": n, "translated": […], "node_roles": […], "untranslated": […],
//! "notes": […] }, "equivalence": [{ "cluster", "checks": [{ "entry", "principal", "missing" }] }] }`.

mod kubernetes;
mod live;

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Context, bail};
use eks_sso_sync::aws;
use eks_sso_sync::config::{ClusterSelector, Glob, Mapping};
use eks_sso_sync::domain::{AccountId, ClusterName, Region};
use eks_sso_sync::migrate::equivalence::{self, Equivalence};
use eks_sso_sync::migrate::{self, ConfigMapSource, ImportReport, ImportSettings};
use serde::Serialize;

use crate::args::{GlobalArgs, ImportAwsAuthArgs, OutputFormat};
use crate::{exit, output};

/// The document `import-aws-auth` prints in JSON.
#[derive(Debug, Serialize)]
pub struct ImportDocument {
    /// Bumped on any incompatible change (2: `mapping_yaml` may be null; `equivalence`).
    pub schema_version: u32,
    /// The generated mapping file (it validates); `null` when no entry gave a rule.
    pub mapping_yaml: Option<String>,
    /// Where it was written (`--write`), if anywhere.
    pub written_to: Option<String>,
    /// What became of each entry.
    pub report: ImportReport,
    /// With `--verify`: per cluster, whether every principal keeps its access.
    pub equivalence: Vec<Equivalence>,
}

/// Runs `import-aws-auth`.
pub async fn run(global: &GlobalArgs, args: &ImportAwsAuthArgs) -> anyhow::Result<ExitCode> {
    let mut settings = settings(args)?;
    let (conn, clusters) = connect_and_find(global, args, &mut settings).await?;
    if args.file.is_none() {
        // The mapping manages exactly the clusters whose ConfigMaps it replaces.
        settings.cluster_accounts = live::accounts_of(&clusters);
        settings.clusters = live::names_of(&clusters);
    }
    let sources = match &args.file {
        Some(path) => vec![ConfigMapSource {
            origin: path.display().to_string(),
            text: std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        }],
        None => live::read_configmaps(&conn, &clusters).await?,
    };
    if sources.is_empty() {
        bail!("no aws-auth ConfigMap found on the clusters read: nothing to import");
    }
    let import = migrate::import_configmaps(&sources, &settings, conn.connector.as_ref())
        .await
        .context("cannot import aws-auth")?;
    let equivalence = if args.verify {
        live::verify(&conn, &clusters, &import.report).await?
    } else {
        Vec::new()
    };
    let written = write_mapping(args, import.mapping_yaml.as_deref())?;
    let holds = equivalence.iter().all(Equivalence::holds);
    print(global, args, import, written, equivalence)?;
    Ok(ExitCode::from(if holds {
        exit::IN_SYNC
    } else {
        exit::NEEDS_ATTENTION
    }))
}

/// The connection and the clusters to read: an existing mapping's (`--clusters-of`), or those
/// `--cluster`, `--account`, `--region` and `--tag` name, through `--member-role-name`.
async fn connect_and_find(
    global: &GlobalArgs,
    args: &ImportAwsAuthArgs,
    settings: &mut ImportSettings,
) -> anyhow::Result<(live::Connection, Vec<live::Found>)> {
    if let Some(path) = &args.clusters_of {
        let mapping = Mapping::from_path(path).map_err(|report| {
            anyhow::anyhow!(
                "--clusters-of {}: invalid mapping:\n{report}",
                path.display()
            )
        })?;
        // The generated mapping lives beside this one: same Identity Center.
        settings.identity_center_region = mapping.identity_center.region.clone();
        let (conn, clusters) =
            live::mapping_clusters(mapping, global.endpoint_url.as_deref()).await?;
        settings.regions = live::regions_of(&clusters);
        return Ok((conn, clusters));
    }
    let sdk = match global.endpoint_url.as_deref() {
        Some(url) => aws::sdk_config_for_endpoint(
            url,
            &settings.identity_center_region,
            crate::connect::endpoint_credentials(),
        ),
        None => aws::load_sdk_config(None).await,
    };
    let conn = live::connect(
        &sdk,
        &settings.identity_center_region,
        &args.member_role_name,
    )
    .await?;
    let clusters = find_clusters(args, settings, &conn).await?;
    Ok((conn, clusters))
}

/// The clusters `--cluster`, `--account`, `--region` and `--tag` name: none with a FILE and
/// without `--verify` (nothing is read live).
async fn find_clusters(
    args: &ImportAwsAuthArgs,
    settings: &ImportSettings,
    conn: &live::Connection,
) -> anyhow::Result<Vec<live::Found>> {
    let needs_clusters = args.file.is_none() || args.verify;
    if args.file.is_some() && args.verify && settings.clusters.is_empty() {
        bail!("--verify with a FILE needs --cluster NAME: the cluster whose entries to check");
    }
    if !needs_clusters {
        return Ok(Vec::new());
    }
    let accounts = accounts(args, &conn.caller)?;
    let selector = ClusterSelector {
        tags: tags(args)?,
        ..ClusterSelector::default()
    };
    live::find_clusters(
        conn,
        &accounts,
        &settings.regions,
        &settings.clusters,
        &selector,
    )
    .await
}

/// Writes the mapping to `--write`, if given and there is one.
fn write_mapping(args: &ImportAwsAuthArgs, yaml: Option<&str>) -> anyhow::Result<Option<String>> {
    match (&args.write, yaml) {
        (Some(path), Some(yaml)) => {
            std::fs::write(path, yaml)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(Some(path.display().to_string()))
        }
        _ => Ok(None),
    }
}

fn print(
    global: &GlobalArgs,
    args: &ImportAwsAuthArgs,
    import: migrate::Import,
    written: Option<String>,
    equivalence: Vec<Equivalence>,
) -> anyhow::Result<()> {
    if output::format(global) == OutputFormat::Json {
        return output::print_json(&ImportDocument {
            schema_version: 2,
            mapping_yaml: import.mapping_yaml,
            written_to: written,
            report: import.report,
            equivalence,
        });
    }
    let mut report = migrate::render_report(&import.report);
    for e in &equivalence {
        report.push_str(&equivalence::render(e));
    }
    match (&written, &import.mapping_yaml) {
        (Some(path), _) => outln!("mapping written to {path}"),
        (None, Some(yaml)) => out!("{yaml}"),
        (None, None) => eprintln!("no entry gave a rule: no mapping to write"),
    }
    // The report goes to stderr when the mapping is on stdout, so `> mapping.yaml` works.
    if args.write.is_some() {
        out!("{report}");
    } else {
        eprint!("{report}");
    }
    Ok(())
}

/// The `--tag KEY=VALUE` selectors (VALUE a glob).
fn tags(args: &ImportAwsAuthArgs) -> anyhow::Result<BTreeMap<String, Glob>> {
    args.tags
        .iter()
        .map(|t| match t.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), Glob::new(v))),
            _ => bail!("--tag {t}: expected KEY=VALUE"),
        })
        .collect()
}

/// The accounts whose clusters are read: `--account`, else the credentials' own.
fn accounts(args: &ImportAwsAuthArgs, caller: &AccountId) -> anyhow::Result<Vec<AccountId>> {
    if args.accounts.is_empty() {
        return Ok(vec![caller.clone()]);
    }
    args.accounts
        .iter()
        .map(|a| AccountId::new(a.as_str()).with_context(|| format!("--account {a}")))
        .collect()
}

/// The import settings the arguments describe, each value validated.
fn settings(args: &ImportAwsAuthArgs) -> anyhow::Result<ImportSettings> {
    let regions = args
        .regions
        .iter()
        .map(|r| Region::new(r.as_str()).with_context(|| format!("--region {r}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let clusters = args
        .clusters
        .iter()
        .map(|c| ClusterName::new(c.as_str()).with_context(|| format!("--cluster {c}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ImportSettings {
        identity_center_region: Region::new(args.identity_center_region.as_str())
            .with_context(|| format!("--identity-center-region {}", args.identity_center_region))?,
        regions,
        clusters,
        cluster_accounts: Vec::new(),
    })
}
