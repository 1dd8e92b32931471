//! Positions in the file a ConfigMap was read from. `mapRoles` and `mapUsers` are YAML documents
//! embedded in strings, so a parser reports their errors inside the string; people need the line
//! of the file they have open. For a literal or folded block (`|`, `|-`, `>`), every content line
//! is one file line, shifted by the block's indentation, so the translation is exact; for a quoted
//! or JSON string it is not, and the position says where the string starts instead.

use std::fmt;

use serde::Serialize;

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Where the value of `key` (`mapRoles`, …) sits in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BlockStart {
    /// A `|`/`>` block: content line 1 is file line `first_line`, indented by `indent` spaces.
    Block {
        /// File line of the first content line.
        first_line: usize,
        /// Indentation removed from every content line.
        indent: usize,
    },
    /// A quoted or JSON string starting at this file position: inner positions do not map.
    String(Position),
}

impl BlockStart {
    /// The file position of `inner` (a position inside the string), or, for a quoted string,
    /// the string's own position with the inner one spelled out.
    pub(super) fn describe(self, origin: &str, inner: Position) -> String {
        match self {
            Self::Block { first_line, indent } => {
                let at = Position {
                    line: first_line + inner.line - 1,
                    column: inner.column + indent,
                };
                format!("{origin}:{at}")
            }
            Self::String(at) => format!(
                "{origin}:{at} (line {} column {} of that string)",
                inner.line, inner.column
            ),
        }
    }
}

/// Finds where the value of `key` starts: the first line `key:` (quoted or not, at any
/// indentation, also inside JSON) with a value on it.
pub(super) fn block_start(text: &str, key: &str) -> Option<BlockStart> {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some((key_col, rest)) = value_after_key(line, key) else {
            continue;
        };
        let rest_trim = rest.trim_start();
        if rest_trim.starts_with('|') || rest_trim.starts_with('>') {
            let first = lines
                .iter()
                .enumerate()
                .skip(i + 1)
                .find(|(_, l)| !l.trim().is_empty());
            let indent = first.map_or(0, |(_, l)| l.len() - l.trim_start().len());
            return Some(BlockStart::Block {
                first_line: i + 2,
                indent,
            });
        }
        if !rest_trim.is_empty() {
            let column = key_col + (rest.len() - rest_trim.len()) + 1;
            return Some(BlockStart::String(Position {
                line: i + 1,
                column,
            }));
        }
    }
    None
}

/// `(column where the value text starts, value text)` if `line` is `key:` (optionally quoted).
fn value_after_key<'a>(line: &'a str, key: &str) -> Option<(usize, &'a str)> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let unquoted = trimmed
        .strip_prefix('"')
        .and_then(|t| t.strip_prefix(key)?.strip_prefix('"'))
        .or_else(|| {
            trimmed
                .strip_prefix('\'')
                .and_then(|t| t.strip_prefix(key)?.strip_prefix('\''))
        })
        .or_else(|| trimmed.strip_prefix(key))?;
    let after_colon = unquoted.trim_start().strip_prefix(':')?;
    let column = line.len() - after_colon.len();
    debug_assert!(column >= indent);
    Some((column, after_colon))
}

/// Splits a YAML library message `"… at line 3 column 6"` into the text and the position.
pub(super) fn split_yaml_error(error: &serde_yaml_ng::Error) -> (String, Option<Position>) {
    let text = error.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    };
    let position = error.location().map(|l| Position {
        line: l.line(),
        column: l.column(),
    });
    (message, position)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_positions_shift_by_the_key_line_and_the_indentation() {
        let text = "data:\n  mapRoles: |\n   groups:\n        - x\n";
        let start = block_start(text, "mapRoles").unwrap();
        assert_eq!(
            start,
            BlockStart::Block {
                first_line: 3,
                indent: 3
            }
        );
        let inner = Position { line: 3, column: 6 };
        assert_eq!(start.describe("f.yaml", inner), "f.yaml:5:9");
    }

    #[test]
    fn quoted_and_json_strings_point_at_the_string() {
        let text = "{\n  \"data\": {\n    \"mapRoles\": \"- groups: x\"\n  }\n}\n";
        let start = block_start(text, "mapRoles").unwrap();
        assert_eq!(
            start,
            BlockStart::String(Position {
                line: 3,
                column: 17
            })
        );
        let inner = Position { line: 1, column: 3 };
        assert!(
            start
                .describe("f", inner)
                .starts_with("f:3:17 (line 1 column 3")
        );
        assert_eq!(block_start("f:mapRoles: {}\n", "mapRoles"), None);
    }
}
