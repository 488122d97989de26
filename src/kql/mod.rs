//! The KQL language: lexer, resilient parser, syntax tree and diagnostics.
//!
//! Nothing here knows about Arrow, HTTP or the terminal: the engine plans the tree, the TUI
//! highlights and reports with the spans.

pub mod analysis;
pub mod ast;
pub mod completion;
pub mod earlier;
pub mod format;
pub mod language;
pub mod lexer;
pub mod lower;
pub mod regex;
pub mod signature;
pub mod sources;
pub mod syntax;
pub mod time;

use std::fmt;

pub use ast::Query;
pub use lower::parse;
pub use time::format_timespan;

/// A byte range in the query text. Every token and tree node carries one so that errors can be
/// pointed at precisely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// The first line of a query that says something: not blank and not a `//` comment, trimmed.
/// Titles, tab labels and history entries are named by it. Takes the lines (so a caller with
/// an editor's lines need not join them).
pub fn first_meaningful_line<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    lines
        .into_iter()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//"))
}

/// Converts a byte offset into a line and column. Offsets past the end, or inside a multi-byte
/// character, are clamped so that bad spans can never panic.
pub fn line_col(source: &str, offset: usize) -> LineCol {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    LineCol { line, col }
}

/// A problem found in a query, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
}

impl Diagnostic {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
        }
    }

    /// `LINE:COL: message`, the form the CLI and the status line use.
    pub fn render(&self, source: &str) -> String {
        format!("{}: {}", line_col(source, self.span.start), self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let text = "ab\ncdé\nx";
        assert_eq!(line_col(text, 0), LineCol { line: 1, col: 1 });
        assert_eq!(line_col(text, 3), LineCol { line: 2, col: 1 });
        assert_eq!(line_col(text, 7), LineCol { line: 2, col: 4 });
        assert_eq!(line_col(text, 8), LineCol { line: 3, col: 1 });
        assert_eq!(line_col(text, 9), LineCol { line: 3, col: 2 });
    }

    #[test]
    fn line_col_clamps_bad_offsets() {
        let text = "é";
        assert_eq!(line_col(text, 1), LineCol { line: 1, col: 1 });
        assert_eq!(line_col(text, 99), LineCol { line: 1, col: 2 });
    }
}
