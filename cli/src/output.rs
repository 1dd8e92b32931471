//! Output format selection and printing: tables for people, JSON for machines.

use std::io::IsTerminal;

use serde::Serialize;

use crate::args::{GlobalArgs, OutputFormat};

/// The format to print in: as asked, else a table on a terminal and JSON when piped.
pub fn format(global: &GlobalArgs) -> OutputFormat {
    global.output.unwrap_or(if std::io::stdout().is_terminal() {
        OutputFormat::Table
    } else {
        OutputFormat::Json
    })
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
