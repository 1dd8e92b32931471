//! Validation problems, each with its line and column, and the report that lists them all;
//! warnings (non-fatal findings, same shape) that a valid mapping carries.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// A quoted value (as `{:?}` prints it) longer than this many characters is cut in messages:
/// the position already says where it is, and a 4,000-character line helps nobody.
const MAX_QUOTED_CHARS: usize = 64;

/// How much of a cut value is kept.
const KEPT_CHARS: usize = 40;

/// The quoted values of a message, escapes included.
static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
    // A fixed pattern, checked by the tests below: it compiles.
    #[allow(clippy::unwrap_used)]
    Regex::new(r#""(?:[^"\\]|\\.)*""#).unwrap()
});

/// `message` with every quoted value over [`MAX_QUOTED_CHARS`] cut to its first
/// [`KEPT_CHARS`] characters and its length: `"XXXX…" (400 characters)`.
pub(super) fn cut_long_values(message: &str) -> String {
    QUOTED
        .replace_all(message, |found: &regex::Captures<'_>| {
            let quoted = &found[0];
            let inner = &quoted[1..quoted.len() - 1];
            let chars = inner.chars().count();
            if chars <= MAX_QUOTED_CHARS {
                return quoted.to_owned();
            }
            let kept: String = inner.chars().take(KEPT_CHARS).collect();
            format!("\"{kept}…\" ({chars} characters)")
        })
        .into_owned()
}

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

/// The text of a mapping file's bytes, or what is wrong and the fix: UTF-16 (what PowerShell's
/// `>` writes), a binary file (the wrong path), or bytes that are not UTF-8. A UTF-8 byte-order
/// mark is skipped, as YAML allows.
pub(super) fn decode_text(bytes: &[u8]) -> Result<&str, (String, &'static str)> {
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    if utf16 {
        return Err((
            "the mapping file is UTF-16 text, not UTF-8".into(),
            "save it as UTF-8 (`iconv -f UTF-16 -t UTF-8 in.yaml > out.yaml`; in PowerShell \
             `Out-File -Encoding utf8`)",
        ));
    }
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return Err((
            "the mapping file is binary (it contains NUL bytes), not YAML".into(),
            "check --config (or EKS_SSO_SYNC_CONFIG): it names a binary file",
        ));
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        (
            format!(
                "the mapping file is not UTF-8: invalid bytes at offset {}",
                e.valid_up_to()
            ),
            "save it as UTF-8 (Latin-1 or Windows-1252 text: `iconv -f WINDOWS-1252 -t UTF-8`)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quoted_values_are_cut_short_ones_kept() {
        let long = "X".repeat(400);
        let cut = cut_long_values(&format!(
            "permission set {long:?} cannot exist, nor {:?}",
            "ok"
        ));
        assert_eq!(
            cut,
            format!(
                "permission set \"{}…\" (400 characters) cannot exist, nor \"ok\"",
                "X".repeat(KEPT_CHARS)
            )
        );
        let escaped = format!("{:?}", format!("a\"b{}", "é".repeat(70)));
        assert!(
            cut_long_values(&escaped).ends_with("(74 characters)"),
            "{escaped}"
        );
        assert_eq!(cut_long_values("no quotes here"), "no quotes here");
    }

    #[test]
    fn unreadable_encodings_name_the_fix() {
        let utf16 = decode_text(b"\xFF\xFEv\x00e\x00").unwrap_err();
        assert!(
            utf16.0.contains("UTF-16") && utf16.1.contains("iconv"),
            "{utf16:?}"
        );
        let binary = decode_text(b"\x7FELF\x02\x01\x00\x00").unwrap_err();
        assert!(
            binary.0.contains("binary") && binary.1.contains("--config"),
            "{binary:?}"
        );
        let latin1 = decode_text(b"name: caf\xE9").unwrap_err();
        assert!(latin1.0.contains("offset 9"), "{latin1:?}");
        assert_eq!(decode_text(b"\xEF\xBB\xBFversion: 1"), Ok("version: 1"));
    }
}
