//! `import-aws-auth`: turn an `aws-auth` ConfigMap into a mapping file, with a report of what could
//! not be translated. Roles are looked up in IAM with the caller's own credentials (no member
//! role is assumed: the mapping that would name it does not exist yet).
//!
//! JSON document: `{ "schema_version": 1, "mapping_yaml": "…", "written_to": "path" | null,
//! "report": { "translated": […], "node_roles": […], "untranslated": […], "notes": […] } }`.

use std::process::ExitCode;

use anyhow::Context;
use eks_sso_sync::aws::{self, AwsPorts};
use eks_sso_sync::domain::{ClusterName, Region};
use eks_sso_sync::migrate::{self, ImportReport, ImportSettings};
use serde::Serialize;

use crate::args::{GlobalArgs, ImportAwsAuthArgs, OutputFormat};
use crate::output;

/// The document `import-aws-auth` prints in JSON.
#[derive(Debug, Serialize)]
pub struct ImportDocument {
    /// Bumped on any incompatible change.
    pub schema_version: u32,
    /// The generated mapping file (it validates); `null` when no entry gave a rule.
    pub mapping_yaml: Option<String>,
    /// Where it was written (`--write`), if anywhere.
    pub written_to: Option<String>,
    /// What became of each entry.
    pub report: ImportReport,
}

/// Runs `import-aws-auth`.
pub async fn run(global: &GlobalArgs, args: &ImportAwsAuthArgs) -> anyhow::Result<ExitCode> {
    let settings = settings(args)?;
    let configmap = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let sdk = match global.endpoint_url.as_deref() {
        Some(url) => aws::sdk_config_for_endpoint(
            url,
            &settings.identity_center_region,
            crate::connect::endpoint_credentials(),
        ),
        None => aws::load_sdk_config(None).await,
    };
    let ports = AwsPorts::from_config(&sdk, &settings.identity_center_region, |_| None).await;
    let import = migrate::import_aws_auth(&configmap, &settings, ports.connector.as_ref())
        .await
        .with_context(|| format!("cannot import {}", args.file.display()))?;
    let written = match (&args.write, &import.mapping_yaml) {
        (Some(path), Some(yaml)) => {
            std::fs::write(path, yaml)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Some(path)
        }
        _ => None,
    };
    match output::format(global) {
        OutputFormat::Json => output::print_json(&ImportDocument {
            schema_version: 1,
            mapping_yaml: import.mapping_yaml,
            written_to: written.map(|p| p.display().to_string()),
            report: import.report,
        })?,
        OutputFormat::Table => {
            match (written, &import.mapping_yaml) {
                (Some(path), _) => println!("mapping written to {}", path.display()),
                (None, Some(yaml)) => print!("{yaml}"),
                (None, None) => eprintln!("no entry gave a rule: no mapping to write"),
            }
            // The report goes to stderr when the mapping is on stdout, so `> mapping.yaml` works.
            let report = migrate::render_report(&import.report);
            if args.write.is_some() {
                print!("{report}");
            } else {
                eprint!("{report}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The import settings the arguments describe, each value validated.
fn settings(args: &ImportAwsAuthArgs) -> anyhow::Result<ImportSettings> {
    let regions = args
        .regions
        .iter()
        .map(|r| Region::new(r.as_str()).with_context(|| format!("--region {r}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ImportSettings {
        identity_center_region: Region::new(args.identity_center_region.as_str())
            .with_context(|| format!("--identity-center-region {}", args.identity_center_region))?,
        regions,
        cluster: args
            .cluster
            .as_deref()
            .map(|c| ClusterName::new(c).with_context(|| format!("--cluster {c}")))
            .transpose()?,
    })
}
