//! Where the queries are in a file: the blank-line-separated blocks of a `.kql` file (the
//! editor's layout), the `kql`/`kusto` fences of a Markdown file, the `query:` values of a
//! YAML detection rule (Sentinel, Defender). Pure functions over text; `hunt check` reads the
//! files, the editor finds the block under its cursor with `block_rows`.
//!
//! Every query is a run of whole lines of the file, so a position in the query maps to the file
//! by adding the query's first line and, for a YAML value, the indentation stripped from each
//! of its lines (`QueryText::file_position`).

use super::{LineCol, first_meaningful_line};

/// How a file holds its queries, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// Queries separated by blank lines (`.kql`, `.csl`, `.kusto`, standard input, any other).
    Kql,
    /// Fenced code blocks tagged `kql`, `kusto` or `csl` (`.md`, `.markdown`).
    Markdown,
    /// The value of each `query:` key (`.yaml`, `.yml`).
    Yaml,
}

impl SourceKind {
    /// The kind of a file by its extension (case-insensitive); anything unknown is KQL.
    pub fn from_path(path: &str) -> SourceKind {
        let extension = path
            .rsplit_once('.')
            .filter(|(_, ext)| !ext.contains(['/', '\\']))
            .map(|(_, ext)| ext.to_ascii_lowercase());
        match extension.as_deref() {
            Some("md" | "markdown") => SourceKind::Markdown,
            Some("yaml" | "yml") => SourceKind::Yaml,
            _ => SourceKind::Kql,
        }
    }

    /// Whether a file of this name holds queries `hunt check` looks for in a directory.
    pub fn is_query_file(path: &str) -> bool {
        let lower = path.to_ascii_lowercase();
        [
            ".kql",
            ".csl",
            ".kusto",
            ".md",
            ".markdown",
            ".yaml",
            ".yml",
        ]
        .iter()
        .any(|ext| lower.ends_with(ext))
    }
}

/// One query found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryText {
    /// The query, its lines joined with `\n` (without the file's `\r`).
    pub text: String,
    /// The 1-based line of the file where `text` starts.
    pub line: usize,
    /// Characters stripped from the start of every line of `text` (a YAML block scalar's
    /// indentation, or where a one-line value starts); 0 when the lines are the file's own.
    pub indent: usize,
}

impl QueryText {
    /// A 1-based position in `text` as the position in the file.
    pub fn file_position(&self, position: LineCol) -> LineCol {
        LineCol {
            line: self.line + position.line.max(1) - 1,
            col: position.col + self.indent,
        }
    }
}

/// The queries of a file's text, in file order. Those with nothing but blanks and `//`
/// comments are left out (nothing to check or run).
pub fn queries(kind: SourceKind, text: &str) -> Vec<QueryText> {
    let lines: Vec<&str> = text.lines().collect();
    let found = match kind {
        SourceKind::Kql => kql_blocks(&lines),
        SourceKind::Markdown => markdown_fences(&lines),
        SourceKind::Yaml => yaml_queries(&lines),
    };
    found
        .into_iter()
        .filter(|q| first_meaningful_line(q.text.lines()).is_some())
        .collect()
}

/// The query block of `row`: the rows from `row` up to the line after a blank one, and down to
/// the line before the next blank one. A blank `row` starts its block (what follows it). The
/// editor runs and completes this block; `hunt check` checks each of a file's blocks.
pub fn block_rows<S: AsRef<str>>(lines: &[S], row: usize) -> (usize, usize) {
    let blank = |r: usize| lines[r].as_ref().trim().is_empty();
    let mut start = row;
    while start > 0 && !blank(row) && !blank(start - 1) {
        start -= 1;
    }
    let mut end = row;
    while end + 1 < lines.len() && !blank(end + 1) {
        end += 1;
    }
    (start, end)
}

fn kql_blocks(lines: &[&str]) -> Vec<QueryText> {
    let mut found = Vec::new();
    let mut row = 0;
    while row < lines.len() {
        if lines[row].trim().is_empty() {
            row += 1;
            continue;
        }
        let (start, end) = block_rows(lines, row);
        found.push(QueryText {
            text: lines[start..=end].join("\n"),
            line: start + 1,
            indent: 0,
        });
        row = end + 1;
    }
    found
}

/// A fence's opening line: its character, its length and whether its info string names KQL.
fn fence_open(line: &str) -> Option<(char, usize, bool)> {
    let trimmed = line.trim_start();
    let fence = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let length = trimmed.chars().take_while(|c| *c == fence).count();
    if length < 3 {
        return None;
    }
    let info = &trimmed[length..];
    // A backtick fence's info string has no backticks (CommonMark).
    if fence == '`' && info.contains('`') {
        return None;
    }
    let language = info
        .trim()
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{' || c == '}')
        .next()
        .unwrap_or("")
        .trim_start_matches('.')
        .to_ascii_lowercase();
    Some((
        fence,
        length,
        matches!(language.as_str(), "kql" | "kusto" | "csl"),
    ))
}

fn fence_closes(line: &str, fence: char, length: usize) -> bool {
    let trimmed = line.trim();
    trimmed.chars().take_while(|c| *c == fence).count() >= length
        && trimmed.chars().all(|c| c == fence)
}

fn markdown_fences(lines: &[&str]) -> Vec<QueryText> {
    let mut found = Vec::new();
    let mut row = 0;
    while row < lines.len() {
        let Some((fence, length, is_kql)) = fence_open(lines[row]) else {
            row += 1;
            continue;
        };
        let start = row + 1;
        let mut end = start;
        while end < lines.len() && !fence_closes(lines[end], fence, length) {
            end += 1;
        }
        // An unclosed fence runs to the end of the document (CommonMark).
        if is_kql && start < end {
            found.push(QueryText {
                text: lines[start..end].join("\n"),
                line: start + 1,
                indent: 0,
            });
        }
        row = end + 1;
    }
    found
}

/// Leading spaces.
fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A mapping entry on a line: the key's column (0-based, after any `- ` list markers), the key
/// and the value's text with its column.
fn yaml_entry(line: &str) -> Option<(usize, &str, &str, usize)> {
    let mut column = indentation(line);
    let mut rest = &line[column..];
    while let Some(after) = rest.strip_prefix("- ") {
        let skipped = after.len() - after.trim_start_matches(' ').len();
        column += 2 + skipped;
        rest = &after[skipped..];
    }
    if rest.starts_with('#') {
        return None;
    }
    let (key, value) = if let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'')
    {
        let close = rest[1..].find(quote)? + 1;
        let value = rest[close + 1..].strip_prefix(':')?;
        (&rest[1..close], value)
    } else {
        let colon = rest
            .char_indices()
            .find(|&(i, c)| c == ':' && rest[i + 1..].chars().next().is_none_or(|n| n == ' '))?
            .0;
        (&rest[..colon], &rest[colon + 1..])
    };
    let value_column = line.len() - value.trim_start().len();
    Some((column, key.trim(), value.trim(), value_column))
}

/// A block scalar's header (`|`, `|-`, `>+`, `|2`, with an optional comment): its explicit
/// indentation, if any.
fn block_header(value: &str) -> Option<Option<usize>> {
    let mut chars = value.chars();
    if !matches!(chars.next(), Some('|' | '>')) {
        return None;
    }
    let rest = chars.as_str();
    let indicators: String = rest
        .chars()
        .take(2)
        .take_while(|c| "+-123456789".contains(*c))
        .collect();
    let after = rest[indicators.len()..].trim_start();
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    let explicit = indicators
        .chars()
        .find_map(|c| c.to_digit(10))
        .map(|d| d as usize);
    Some(explicit)
}

/// The lines of a block scalar whose header is on `row`: the first content row, the
/// indentation and the rows after its last non-blank one.
fn block_scalar(
    lines: &[&str],
    row: usize,
    parent: usize,
    explicit: Option<usize>,
) -> (usize, usize, usize) {
    let mut first = row + 1;
    while first < lines.len() && lines[first].trim().is_empty() {
        first += 1;
    }
    let indent = match explicit {
        Some(n) => parent + n,
        None => match lines.get(first) {
            Some(line) => indentation(line),
            None => return (first, 0, first),
        },
    };
    if indent <= parent && explicit.is_none() {
        return (first, indent, first);
    }
    let mut end = first;
    let mut last = first;
    while end < lines.len() {
        let line = lines[end];
        if !line.trim().is_empty() {
            if indentation(line) < indent {
                break;
            }
            last = end + 1;
        }
        end += 1;
    }
    (first, indent, last)
}

/// A one-line quoted or plain scalar: its text and the column where the text starts.
fn inline_scalar(value: &str, column: usize) -> Option<(String, usize)> {
    let mut chars = value.chars();
    match chars.next()? {
        '"' => {
            let mut text = String::new();
            let mut escaped = false;
            for c in chars {
                match (escaped, c) {
                    (true, 'n') => text.push('\n'),
                    (true, 't') => text.push('\t'),
                    (true, c) => text.push(c),
                    (false, '\\') => {
                        escaped = true;
                        continue;
                    }
                    (false, '"') => return Some((text, column + 1)),
                    (false, c) => text.push(c),
                }
                escaped = false;
            }
            None // a quoted value over several lines: not read
        }
        '\'' => {
            let inner = &value[1..];
            let mut text = String::new();
            let mut rest = inner;
            loop {
                let quote = rest.find('\'')?;
                text.push_str(&rest[..quote]);
                if rest[quote + 1..].starts_with('\'') {
                    text.push('\'');
                    rest = &rest[quote + 2..];
                } else {
                    return Some((text, column + 1));
                }
            }
        }
        _ => {
            // A plain scalar ends at a comment.
            let end = value.find(" #").unwrap_or(value.len());
            Some((value[..end].trim_end().to_string(), column))
        }
    }
}

fn yaml_queries(lines: &[&str]) -> Vec<QueryText> {
    let mut found = Vec::new();
    let mut row = 0;
    while row < lines.len() {
        let line = lines[row];
        let Some((column, key, value, value_column)) = yaml_entry(line) else {
            row += 1;
            continue;
        };
        if let Some(explicit) = block_header(value) {
            // Any key's block scalar is skipped whole: a `query:` inside a description is text.
            let (first, indent, last) = block_scalar(lines, row, column, explicit);
            if key == "query" && first < last {
                let text: Vec<&str> = lines[first..last]
                    .iter()
                    .map(|l| l.get(indent..).unwrap_or("").trim_end_matches(' '))
                    .collect();
                found.push(QueryText {
                    text: text.join("\n"),
                    line: first + 1,
                    indent,
                });
            }
            row = last.max(row + 1);
            continue;
        }
        if key == "query"
            && !value.is_empty()
            && let Some((text, start)) = inline_scalar(value, value_column)
        {
            found.push(QueryText {
                text,
                line: row + 1,
                indent: line[..start].chars().count(),
            });
        }
        row += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str, line: usize, indent: usize) -> QueryText {
        QueryText {
            text: text.to_string(),
            line,
            indent,
        }
    }

    #[test]
    fn kind_from_the_file_name() {
        assert_eq!(SourceKind::from_path("a/b.KQL"), SourceKind::Kql);
        assert_eq!(SourceKind::from_path("rules/x.yml"), SourceKind::Yaml);
        assert_eq!(SourceKind::from_path("rules/x.Yaml"), SourceKind::Yaml);
        assert_eq!(SourceKind::from_path("README.md"), SourceKind::Markdown);
        assert_eq!(SourceKind::from_path("-"), SourceKind::Kql);
        assert_eq!(SourceKind::from_path("dir.md/query"), SourceKind::Kql);
        assert!(SourceKind::is_query_file("x.kusto"));
        assert!(!SourceKind::is_query_file("x.rs"));
    }

    #[test]
    fn kql_blocks_are_the_editors_blocks() {
        let text = "// header\nDeviceInfo\n| take 1\n\n\n  \nDeviceEvents\n| count\n\n// only a comment\n// and another\n\nEmailEvents";
        assert_eq!(
            queries(SourceKind::Kql, text),
            vec![
                q("// header\nDeviceInfo\n| take 1", 1, 0),
                q("DeviceEvents\n| count", 7, 0),
                q("EmailEvents", 13, 0),
            ]
        );
        // Every block is the one the editor runs with the cursor on its lines.
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(block_rows(&lines, 2), (0, 2));
        assert_eq!(block_rows(&lines, 7), (6, 7));
        assert_eq!(
            block_rows(&lines, 3),
            (3, 3),
            "a blank line starts its block"
        );
    }

    #[test]
    fn crlf_lines_and_empty_files() {
        assert_eq!(
            queries(
                SourceKind::Kql,
                "DeviceInfo\r\n| take 1\r\n\r\nDeviceEvents\r\n"
            ),
            vec![q("DeviceInfo\n| take 1", 1, 0), q("DeviceEvents", 4, 0)]
        );
        for kind in [SourceKind::Kql, SourceKind::Markdown, SourceKind::Yaml] {
            assert!(queries(kind, "").is_empty());
            assert!(queries(kind, "\n \n").is_empty());
        }
        assert!(queries(SourceKind::Kql, "// nothing\n\n// here\n").is_empty());
        assert!(queries(SourceKind::Markdown, "# Title\n\nSome text.\n").is_empty());
        assert!(queries(SourceKind::Yaml, "id: 1\nname: x\nseverity: High\n").is_empty());
    }

    #[test]
    fn markdown_fences_tagged_kql() {
        let text = "# Hunts\n\n```kql\nDeviceInfo\n\n| take 1\n```\n\n```python\nprint(1)\n```\n\n```\nuntagged\n```\n\n~~~ Kusto\r\nDeviceEvents\r\n~~~\n\n````KQL title\nEmailEvents\n```\nstill inside\n````\n\n```csl\n```\n";
        assert_eq!(
            queries(SourceKind::Markdown, text),
            vec![
                q("DeviceInfo\n\n| take 1", 4, 0),
                q("DeviceEvents", 18, 0),
                q("EmailEvents\n```\nstill inside", 22, 0),
            ]
        );
        // An unclosed fence runs to the end.
        assert_eq!(
            queries(SourceKind::Markdown, "text\n  ```kql\n  DeviceInfo\n"),
            vec![q("  DeviceInfo", 3, 0)]
        );
    }

    const SENTINEL_RULE: &str = r#"id: 0b9ae89d-8cad-461c-808f-0494f70ad5c4
name: Rare process with encoded command
description: |
  Finds rare processes.
  query: this is not a query key
severity: Medium
requiredDataConnectors:
  - connectorId: MicrosoftThreatProtection
    dataTypes:
      - DeviceProcessEvents
queryFrequency: 1h
queryPeriod: 1d
triggerOperator: gt
triggerThreshold: 0
tactics:
  - Execution
query: |
  // comment
  DeviceProcessEvents
  | where ProcessCommandLine has "-enc"

      | project Timestamp

  | take 10

entityMappings:
  - entityType: Host
    fieldMappings:
      - identifier: HostName
        columnName: DeviceName
version: 1.0.0
kind: Scheduled
"#;

    #[test]
    fn yaml_block_scalar_of_a_sentinel_rule() {
        assert_eq!(
            queries(SourceKind::Yaml, SENTINEL_RULE),
            vec![q(
                "// comment\nDeviceProcessEvents\n| where ProcessCommandLine has \"-enc\"\n\n    | project Timestamp\n\n| take 10",
                18,
                2
            )]
        );
        let found = &queries(SourceKind::Yaml, SENTINEL_RULE)[0];
        assert_eq!(
            found.file_position(LineCol { line: 3, col: 3 }),
            LineCol { line: 20, col: 5 }
        );
    }

    #[test]
    fn yaml_block_scalar_styles_and_nesting() {
        let text = "queries:\r\n  - name: a\r\n    query: |-\r\n      DeviceInfo\r\n      | take 1\r\n  - name: b\r\n    query: >\r\n        DeviceEvents\r\n        | count\r\n    severity: Low\r\n  - query: |+ # keep\r\n      EmailEvents\r\n\r\n  - query: |2\r\n       IdentityInfo\r\n";
        assert_eq!(
            queries(SourceKind::Yaml, text),
            vec![
                q("DeviceInfo\n| take 1", 4, 6),
                q("DeviceEvents\n| count", 8, 8),
                q("EmailEvents", 12, 6),
                q(" IdentityInfo", 15, 6),
            ]
        );
    }

    #[test]
    fn yaml_one_line_values() {
        let text = "query: \"DeviceInfo | where DeviceName == \\\"x\\\"\"\nother:\n  query: 'DeviceEvents | where A == ''b'''\n  query: DeviceInfo | take 1 # plain\n\"query\": \"EmailEvents\"\nquery:\nquery: \"unterminated\n";
        assert_eq!(
            queries(SourceKind::Yaml, text),
            vec![
                q("DeviceInfo | where DeviceName == \"x\"", 1, 8),
                q("DeviceEvents | where A == 'b'", 3, 10),
                q("DeviceInfo | take 1", 4, 9),
                q("EmailEvents", 5, 10),
            ]
        );
    }

    #[test]
    fn a_comment_only_yaml_query_is_left_out() {
        assert!(queries(SourceKind::Yaml, "query: |\n  // todo\n").is_empty());
        assert!(queries(SourceKind::Yaml, "query: |\nname: x\n").is_empty());
    }
}
