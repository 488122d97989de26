//! Completion candidates for the editor (Ctrl+Space): what may be typed at the cursor, from the
//! text before it and the schema of the backend's tables. It reads tokens, not the syntax tree,
//! so it works on half-written queries: after `|` a tabular operator; at the start of a query a
//! table; elsewhere the columns of the tables the query names, then scalar and aggregation
//! functions, then keywords. The whole-language parser (issue 8) will make it exact.
//!
//! Sources of the names: the advanced hunting schema (through the backend), the KQL function table
//! ([`super::language`], from Microsoft's KQL language service), and the tabular operators of the
//! KQL reference's "Tabular operators" page.

/// Tabular operators, as written after `|` (KQL reference, "Tabular operators").
pub const TABULAR_OPERATORS: &[&str] = &[
    "as",
    "consume",
    "count",
    "distinct",
    "evaluate",
    "extend",
    "facet",
    "find",
    "fork",
    "getschema",
    "invoke",
    "join",
    "limit",
    "lookup",
    "make-series",
    "mv-apply",
    "mv-expand",
    "order by",
    "parse",
    "parse-kv",
    "parse-where",
    "partition",
    "project",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "reduce",
    "render",
    "sample",
    "sample-distinct",
    "scan",
    "search",
    "serialize",
    "sort by",
    "summarize",
    "take",
    "top",
    "top-hitters",
    "top-nested",
    "union",
    "where",
];

/// Words that follow inside an operator (`by`, `and`, `asc` …) and string operators.
const KEYWORDS: &[&str] = &[
    "and",
    "asc",
    "by",
    "contains",
    "contains_cs",
    "desc",
    "endswith",
    "false",
    "has",
    "has_all",
    "has_any",
    "has_cs",
    "hasprefix",
    "hassuffix",
    "in",
    "in~",
    "kind=",
    "let",
    "matches regex",
    "not",
    "nulls first",
    "nulls last",
    "on",
    "or",
    "startswith",
    "true",
    "with",
];

/// What a candidate is, for the popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Column,
    Table,
    Operator,
    Function,
    Keyword,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Column => "column",
            Kind::Table => "table",
            Kind::Operator => "operator",
            Kind::Function => "function",
            Kind::Keyword => "keyword",
        }
    }
}

/// One thing that may be typed: its text and kind (and for a column, its table and type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub text: String,
    pub kind: Kind,
    pub detail: String,
}

/// A table of the schema: its name and its columns (name, KQL type name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaTable {
    pub name: String,
    pub columns: Vec<(String, String)>,
}

/// The word being typed at the end of `before` (letters, digits, `_`, and `-` inside an
/// operator name): the part completion replaces. Returns its start (a byte offset).
pub fn word_start(before: &str) -> usize {
    let mut start = before.len();
    for (at, ch) in before.char_indices().rev() {
        if ch.is_alphanumeric() || ch == '_' || ch == '-' {
            start = at;
        } else {
            break;
        }
    }
    start
}

/// The candidates for the cursor at the end of `before` (the query block's text up to the
/// cursor), best first, filtered by the word being typed (case-insensitive; names that start
/// with it before names that only contain it). `query` is the whole block (its table names
/// bring their columns in).
pub fn candidates(
    before: &str,
    query: &str,
    tables: &[SchemaTable],
    functions: &[&str],
) -> Vec<Candidate> {
    let start = word_start(before);
    let word = before[start..].to_lowercase();
    let context = before[..start].trim_end();
    // Nothing to complete inside a comment or a string literal.
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    if in_comment_or_string(line) {
        return Vec::new();
    }
    // `join (`, `union (`: a table; any other `(` opens a function's arguments.
    let opener = context.strip_suffix('(').map(str::trim_end);
    let mut all: Vec<Candidate> = Vec::new();
    let table = |t: &SchemaTable| Candidate {
        text: t.name.clone(),
        kind: Kind::Table,
        detail: format!("{} columns", t.columns.len()),
    };
    if context.ends_with('|') {
        all.extend(TABULAR_OPERATORS.iter().map(|op| Candidate {
            text: op.to_string(),
            kind: Kind::Operator,
            detail: String::new(),
        }));
    } else if context.is_empty()
        || context.ends_with(';')
        || opener.is_some_and(|o| o.is_empty() || TABLE_TAKERS.iter().any(|w| ends_with_word(o, w)))
        || context.ends_with(',') && context.contains("union")
        || TABLE_TAKERS.iter().any(|w| ends_with_word(context, w))
    {
        all.extend(tables.iter().map(table));
    } else {
        // Columns of the tables the query names, each once.
        let lowered = query.to_lowercase();
        let mut seen = std::collections::HashSet::new();
        for t in tables {
            if !mentions(&lowered, &t.name.to_lowercase()) {
                continue;
            }
            for (column, kql_type) in &t.columns {
                if seen.insert(column.clone()) {
                    all.push(Candidate {
                        text: column.clone(),
                        kind: Kind::Column,
                        detail: format!("{kql_type} · {}", t.name),
                    });
                }
            }
        }
        all.extend(functions.iter().map(|f| Candidate {
            text: f.to_string(),
            kind: Kind::Function,
            detail: String::new(),
        }));
        all.extend(KEYWORDS.iter().map(|k| Candidate {
            text: k.to_string(),
            kind: Kind::Keyword,
            detail: String::new(),
        }));
        all.extend(tables.iter().map(table));
    }
    let rank = |c: &Candidate| {
        let text = c.text.to_lowercase();
        if text.starts_with(&word) {
            Some(0)
        } else if text.contains(&word) {
            Some(1)
        } else {
            None
        }
    };
    let mut ranked: Vec<(usize, Candidate)> = all
        .into_iter()
        .filter_map(|c| rank(&c).map(|r| (r, c)))
        .collect();
    // Stable: within a rank, the order above (columns, functions, keywords, tables).
    ranked.sort_by_key(|(r, _)| *r);
    ranked.into_iter().map(|(_, c)| c).collect()
}

/// Words a table name follows.
const TABLE_TAKERS: &[&str] = &["join", "union", "lookup", "materialize", "toscalar"];

/// Whether the end of `line` is inside a `//` comment or an unclosed string literal, as KQL's
/// lexer reads it (every string form: `'…'`, `"…"`, `@"…"`, `h"…"`, ``` ```…``` ```).
fn in_comment_or_string(line: &str) -> bool {
    let (tokens, diagnostics) = super::lexer::lex(line);
    // An unclosed string runs to the end of the line, reported as a problem there.
    if diagnostics
        .iter()
        .any(|d| d.span.end == line.len() && d.span.start < d.span.end)
    {
        return true;
    }
    // The lexer skips comments: one is what follows the last token.
    let last_end = tokens
        .iter()
        .filter(|t| t.kind != super::lexer::TokenKind::Eof)
        .map(|t| t.span.end)
        .max()
        .unwrap_or(0);
    line[last_end..].trim_start().starts_with("//")
}

/// Whether `text` ends with `word` as a whole word.
fn ends_with_word(text: &str, word: &str) -> bool {
    text.strip_suffix(word).is_some_and(|before| {
        before
            .chars()
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// Whether the (lower-cased) query names `table` as a whole word.
fn mentions(query: &str, table: &str) -> bool {
    let mut from = 0;
    while let Some(at) = query[from..].find(table) {
        let start = from + at;
        let end = start + table.len();
        let before_ok = query[..start]
            .chars()
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let after_ok = query[end..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if before_ok && after_ok {
            return true;
        }
        from = end;
    }
    false
}

/// The KQL function names hunt knows (scalar functions, aggregations and plugins of
/// [`super::language::functions`]), each once, in alphabetical order, for completion.
pub fn function_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = super::language::functions()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Vec<SchemaTable> {
        vec![
            SchemaTable {
                name: "DeviceProcessEvents".into(),
                columns: vec![
                    ("Timestamp".into(), "datetime".into()),
                    ("FileName".into(), "string".into()),
                    ("ProcessCommandLine".into(), "string".into()),
                ],
            },
            SchemaTable {
                name: "DeviceInfo".into(),
                columns: vec![("OSPlatform".into(), "string".into())],
            },
        ]
    }

    fn texts(before: &str, query: &str) -> Vec<String> {
        candidates(before, query, &schema(), &["count", "countif", "tostring"])
            .into_iter()
            .map(|c| c.text)
            .collect()
    }

    #[test]
    fn tables_at_the_start_operators_after_a_pipe() {
        assert_eq!(texts("Dev", "Dev"), ["DeviceProcessEvents", "DeviceInfo"]);
        // Names that start with the word first, then names that contain it.
        let after_pipe = texts("DeviceInfo | su", "DeviceInfo | su");
        assert_eq!(after_pipe, ["summarize", "consume"]);
        assert!(texts("T\n| ", "T\n| ").contains(&"where".to_string()));
        assert_eq!(
            texts("T | join (Devi", "T | join (Devi")[0],
            "DeviceProcessEvents"
        );
    }

    #[test]
    fn columns_of_the_named_tables_come_first() {
        let query = "DeviceProcessEvents | where F";
        let found = texts(query, query);
        assert_eq!(found[0], "FileName");
        assert!(!found.contains(&"OSPlatform".to_string()), "{found:?}");
        // A prefix match ranks before a match inside the name.
        let query = "DeviceProcessEvents | project co";
        let found = texts(query, query);
        assert_eq!(&found[..2], ["count", "countif"]);
        assert!(
            found.contains(&"ProcessCommandLine".to_string()),
            "{found:?}"
        );
        let details = candidates(query, query, &schema(), &[]);
        let column = details
            .iter()
            .find(|c| c.text == "ProcessCommandLine")
            .unwrap();
        assert_eq!(column.detail, "string · DeviceProcessEvents");
        assert_eq!(column.kind, Kind::Column);
    }

    #[test]
    fn arguments_comments_and_strings() {
        // After `(` of a function: columns and functions, not tables.
        let query = "DeviceProcessEvents | where tolower(";
        let found = candidates(query, query, &schema(), &["tolower"]);
        assert_eq!(found[0].kind, Kind::Column, "{found:?}");
        // `join (`: a table.
        let query = "T | join kind=inner (Dev";
        assert_eq!(texts(query, query)[0], "DeviceProcessEvents");
        // Nothing inside a comment or a string.
        assert!(texts("T | where x == \"pow", "").is_empty());
        assert!(texts("// Dev", "").is_empty());
        assert!(texts("T | where p == @\"C:\\Temp\\ Dev", "").is_empty());
        assert!(texts("T | where p == ```a Dev", "").is_empty());
        assert!(!texts("T | where p == @\"C:\\\" and Dev", "").is_empty());
        assert!(!texts("T | where x == \"a\" and Fi", "DeviceProcessEvents").is_empty());
    }

    #[test]
    fn the_word_being_typed_is_found_from_the_end() {
        assert_eq!(word_start("T | project-aw"), 4);
        assert_eq!(word_start("x == "), 5);
        assert_eq!(word_start(""), 0);
        assert!(mentions("deviceinfo | take 1", "deviceinfo"));
        assert!(!mentions("mydeviceinfo", "deviceinfo"));
    }
}
