//! `validate`: load the mapping, print every problem with line:column, exit 1 if any. Warnings
//! (non-fatal findings such as a username without `{{SessionName}}`) are printed too and keep
//! the exit code 0. With `--online`, every exact permission-set and group name is then looked up
//! in Identity Center, and an unknown one (with the closest existing names) exits 3; the live
//! access-policy catalogue is compared too (new policies reported, a granted one missing exits 3).

use std::process::ExitCode;

use eks_sso_sync::config::Mapping;
use serde_json::json;

use crate::args::{GlobalArgs, OutputFormat, ValidateArgs};
use crate::output;

mod catalogue;
mod online;

/// Runs `validate`, then the online name check when asked and the mapping is valid.
pub async fn run(global: &GlobalArgs, args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let (code, document) = run_offline(global)?;
    if !args.online || code != ExitCode::SUCCESS {
        if let Some(document) = document {
            output::print_json(&document)?;
        }
        return Ok(code);
    }
    let (code, online) = online::run(global).await?;
    // JSON mode prints one document: the offline findings with the online ones under `online`.
    if let (Some(mut document), Some(online)) = (document, online) {
        document["online"] = online;
        output::print_json(&document)?;
    }
    Ok(code)
}

/// Validates the file. In JSON mode a valid mapping's document is returned, not printed, so
/// `--online` can add to it; everything else is printed here.
fn run_offline(global: &GlobalArgs) -> anyhow::Result<(ExitCode, Option<serde_json::Value>)> {
    let loaded = Mapping::from_path(&global.config);
    match (output::format(global), loaded) {
        (OutputFormat::Json, Ok(mapping)) => {
            let warnings: Vec<_> = mapping
                .warnings()
                .iter()
                .map(|w| json!({ "line": w.line, "column": w.column, "path": w.path, "message": w.message, "hint": w.hint }))
                .collect();
            let document = json!({
                "valid": true,
                "file": global.config,
                "rules": mapping.rules.len(),
                "principals": mapping.principals.len(),
                "accounts": mapping.accounts.len(),
                "problems": [],
                "warnings": warnings,
            });
            Ok((ExitCode::SUCCESS, Some(document)))
        }
        (OutputFormat::Table, Ok(mapping)) => {
            // Findings go to stdout in both formats, so `validate | grep` sees them.
            for warning in mapping.warnings() {
                outln!("{}:{warning} (warning)", global.config.display());
            }
            outln!(
                "{}: valid ({} rules, {} principal rules, {} accounts)",
                global.config.display(),
                mapping.rules.len(),
                mapping.principals.len(),
                mapping.accounts.len()
            );
            Ok((ExitCode::SUCCESS, None))
        }
        (OutputFormat::Json, Err(report)) => {
            let problems: Vec<_> = report
                .problems
                .iter()
                .map(|p| json!({ "line": p.line, "column": p.column, "path": p.path, "message": p.message, "hint": p.hint }))
                .collect();
            output::print_json(
                &json!({ "valid": false, "file": global.config, "problems": problems }),
            )?;
            Ok((ExitCode::from(1), None))
        }
        (OutputFormat::Table, Err(report)) => {
            outln!("{report}");
            outln!("{} problem(s) found", report.problems.len());
            Ok((ExitCode::from(1), None))
        }
    }
}
