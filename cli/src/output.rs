//! Output format selection and printing: tables for people, JSON for machines. Everything for
//! stdout goes through [`out!`]/[`outln!`], so a reader that goes away (`| head -1`) ends the
//! command quietly instead of with the panic of `println!`.

use std::io::{IsTerminal, Write as _};

/// `print!` to stdout, ending the process quietly when stdout is closed.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` to stdout, ending the process quietly when stdout is closed.
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes `args` to stdout. A closed stdout (`EPIPE`: the reader is gone) ends the process with
/// [`crate::exit::STDOUT_CLOSED`] and no message: nobody is left to read one.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    let written = std::io::stdout().lock().write_fmt(args);
    if let Err(error) = written {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(crate::exit::STDOUT_CLOSED));
        }
        eprintln!("error: cannot write to stdout: {error}");
        std::process::exit(i32::from(crate::exit::ERROR));
    }
}

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
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A short label for a cluster's reconcile status.
pub fn status_label(status: &eks_sso_sync::engine::ReconcileStatus) -> String {
    use eks_sso_sync::engine::ReconcileStatus as S;
    match status {
        S::InSync => "in sync".to_owned(),
        S::Applied => "applied".to_owned(),
        S::PartiallyApplied => "partially applied (failures below; rerun to retry)".to_owned(),
        S::Pending => "changes pending".to_owned(),
        S::Refused => {
            "REFUSED in part: the lockout guard withheld the last admin's removal (see withheld)"
                .to_owned()
        }
        S::Held { withheld } => format!("{withheld} operation(s) WITHHELD (see withheld)"),
        S::Waiting { status } => format!(
            "pending: the cluster is {}; its entries follow once it is ACTIVE",
            status.as_str()
        ),
        S::NeedsAuthModeSwitch => {
            "needs authentication mode API_AND_CONFIG_MAP (CONFIG_MAP cluster)".to_owned()
        }
        S::NotManaged => "not managed by the mapping".to_owned(),
        S::Gone => "cluster not found".to_owned(),
    }
}

/// One line describing an applied operation and its outcome.
pub fn result_line(result: &eks_sso_sync::engine::OperationResult) -> String {
    use eks_sso_sync::engine::Outcome;
    let op = serde_json::to_value(&result.operation).ok();
    let kind = op
        .as_ref()
        .and_then(|v| v.get("op"))
        .and_then(|v| v.as_str())
        .unwrap_or("operation")
        .to_owned();
    let who = result
        .operation
        .principal()
        .map(|p| p.name().to_owned())
        .unwrap_or_else(|| "cluster".to_owned());
    let outcome = match &result.outcome {
        Outcome::Applied => "applied".to_owned(),
        Outcome::AlreadyDone { detail } => format!("already done ({detail})"),
        Outcome::Failed { error } => format!("FAILED: {error}"),
        Outcome::NotAttempted { reason } => format!("not attempted: {reason}"),
    };
    format!("{kind:<20} {who:<60} {outcome}")
}
