//! `validate`: load the mapping, print every problem with line:column, exit 1 if any.

use std::process::ExitCode;

use eks_sso_sync::config::Mapping;
use serde_json::json;

use crate::args::{GlobalArgs, OutputFormat, ValidateArgs};
use crate::output;

/// Runs `validate`.
pub fn run(global: &GlobalArgs, _args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let loaded = Mapping::from_path(&global.config);
    match (output::format(global), loaded) {
        (OutputFormat::Json, Ok(mapping)) => {
            output::print_json(&json!({
                "valid": true,
                "file": global.config,
                "rules": mapping.rules.len(),
                "principals": mapping.principals.len(),
                "accounts": mapping.accounts.len(),
                "problems": [],
            }))?;
            Ok(ExitCode::SUCCESS)
        }
        (OutputFormat::Table, Ok(mapping)) => {
            println!(
                "{}: valid ({} rules, {} principal rules, {} accounts)",
                global.config.display(),
                mapping.rules.len(),
                mapping.principals.len(),
                mapping.accounts.len()
            );
            Ok(ExitCode::SUCCESS)
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
            Ok(ExitCode::from(1))
        }
        (OutputFormat::Table, Err(report)) => {
            eprintln!("{report}");
            eprintln!("{} problem(s) found", report.problems.len());
            Ok(ExitCode::from(1))
        }
    }
}
