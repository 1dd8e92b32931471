//! Validation problems, each with its line and column, and the report that lists them all;
//! warnings (non-fatal findings, same shape) that a valid mapping carries.

use std::fmt;

/// One thing wrong with a mapping file, located precisely enough to fix without searching.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConfigProblem {
    /// 1-based line of the offending node (the parent mapping's line for a missing key).
    pub line: usize,
    /// 1-based column of the offending node.
    pub column: usize,
    /// Where in the document, e.g. `rules[2].access_policies[0].policy` (empty for the root).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// Every problem found in one mapping file. Validation never stops at the first problem, so one
/// run tells the author everything there is to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationReport {
    /// The file name (or other label) the problems refer to.
    pub source: String,
    /// The problems, in document order.
    pub problems: Vec<ConfigProblem>,
}

impl ValidationReport {
    /// A report for `source` with the given problems, sorted into document order.
    pub fn new(source: &str, mut problems: Vec<ConfigProblem>) -> Self {
        problems.sort();
        problems.dedup();
        Self {
            source: source.to_owned(),
            problems,
        }
    }
}

impl fmt::Display for ValidationReport {
    /// One line per problem: `file:line:col: path: message (hint: ...)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}:{problem}", self.source)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationReport {}

impl super::Mapping {
    /// Non-fatal findings about a valid mapping, in document order: things EKS accepts but
    /// that are probably not meant, such as a username without `{{SessionName}}` (everyone
    /// using the role becomes one Kubernetes user). `validate` prints them; they never make a
    /// mapping invalid. Same shape as a [`ConfigProblem`], line and column included.
    pub fn warnings(&self) -> Vec<ConfigProblem> {
        let mut out: Vec<ConfigProblem> = self
            .rules
            .iter()
            .flat_map(|r| r.warnings.iter().cloned())
            .chain(
                self.principals
                    .iter()
                    .flat_map(|p| p.warnings.iter().cloned()),
            )
            .collect();
        out.sort();
        out.dedup();
        out
    }
}
