//! The KQL formatter: `hunt fmt` and the editor's "format the query block" key.
//!
//! It works on the lossless syntax tree (`kql::syntax`), deciding only the white space between
//! tokens; the tokens themselves are written as they are. The house style is the one of the
//! Defender portal's "Format query" and of the KQL documentation's examples:
//!
//! - each `|` of a pipeline starts a line (`| where …`), at the pipeline's indentation: column 0
//!   for a query, 4 more for a `let`'s value, 4 more inside every parenthesised subquery or
//!   function body, whose content starts on its own line and whose closing bracket gets a line
//!   back at the outer indentation;
//! - every statement starts a line; `let x = …;` keeps its `;` on its last line;
//! - one space around binary operators, `=`, `=>` and `..`, after commas and colons, none inside
//!   parentheses and brackets, before a call's `(`, around `.`; `kind=inner` and
//!   `hint.strategy=shuffle` stay written as one word, as the documentation writes them;
//! - comments stay where they are relative to the tokens: a comment that ended a line still ends
//!   it, one on its own line stays on its own line (indented with what follows);
//! - a line break the author put after a comma or before `and`/`or` is kept (the next line
//!   indented by 4 more than its context); no other line break is invented, so a long argument
//!   list written on one line stays on one line;
//! - string literals and everything inside a typed literal (`datetime(…)`, `dynamic(…)`) are
//!   copied untouched, and so is the spacing of the graph operators (their patterns' arrows,
//!   `-->`, `<-[e]-`, are written without spaces), of operators read loosely (`macro-expand`, …)
//!   and of `restrict`/`pattern` statements;
//! - a blank line in the query is kept (at most one) where a line starts anyway.
//!
//! Text with a syntax error is never formatted: its meaning is uncertain, so moving its tokens
//! could change it. After formatting, the result is parsed again and must have exactly the same
//! tree, ignoring trivia (node kinds and significant tokens, kind and text); if it ever does not,
//! `format` returns [`FormatError::Internal`] rather than a wrong text.

use std::fmt;

use super::syntax::{self, SyntaxKind, SyntaxKind::*, SyntaxNode, SyntaxToken};
use super::{Diagnostic, LineCol, line_col};

/// Spaces per level of indentation.
const INDENT: usize = 4;

/// Why a query was not formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The query has a syntax error: the first one, with its 1-based line and column in the
    /// query's text.
    Syntax {
        position: LineCol,
        diagnostic: Diagnostic,
    },
    /// The formatter produced a text whose tree differs from the query's (a bug in the
    /// formatter); nothing was changed.
    Internal(String),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Syntax {
                position,
                diagnostic,
            } => write!(f, "{position}: {}", diagnostic.message),
            FormatError::Internal(message) => write!(f, "internal formatter error: {message}"),
        }
    }
}

impl std::error::Error for FormatError {}

/// Formats one query (statements separated by `;`, as one editor block holds). The result has
/// no trailing newline and no trailing white space on any line. `Err` when the query has a
/// syntax error ([`FormatError::Syntax`], the first diagnostic) or, should the formatter have a
/// bug, when the result would not mean the same ([`FormatError::Internal`]).
pub fn format(source: &str) -> Result<String, FormatError> {
    let parse = syntax::parse(source);
    if let Some(first) = parse.errors.first() {
        return Err(FormatError::Syntax {
            position: line_col(source, first.span.start),
            diagnostic: first.clone(),
        });
    }
    let root = parse.syntax();
    let formatted = Printer::print(&root);
    let again = syntax::parse(&formatted);
    if let Some(first) = again.errors.first() {
        return Err(FormatError::Internal(format!(
            "the formatted text does not parse: {}",
            first.render(&formatted)
        )));
    }
    if shape(&root) != shape(&again.syntax()) {
        return Err(FormatError::Internal(
            "the formatted text's tree differs from the query's".to_string(),
        ));
    }
    Ok(formatted)
}

/// Formats the text of a `.kql` file (or standard input): queries separated by blank lines,
/// each formatted on its own, the blank lines between them kept (trailing white space removed
/// from them), leading and trailing blank lines dropped, and a final newline. `Err` with the
/// first query that cannot be formatted, its error positioned in the file.
pub fn format_kql_file(text: &str) -> Result<String, FormatError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut row = 0;
    let mut blank_run = 0usize;
    while row < lines.len() {
        if lines[row].trim().is_empty() {
            blank_run += 1;
            row += 1;
            continue;
        }
        let (start, end) = super::sources::block_rows(&lines, row);
        let block = lines[start..=end].join("\n");
        let formatted = format(&block).map_err(|error| match error {
            FormatError::Syntax {
                position,
                diagnostic,
            } => FormatError::Syntax {
                position: LineCol {
                    line: position.line + start,
                    col: position.col,
                },
                diagnostic,
            },
            other => other,
        })?;
        if !out.is_empty() {
            out.push_str(&"\n".repeat(blank_run));
        }
        out.push_str(&formatted);
        out.push('\n');
        blank_run = 0;
        row = end + 1;
    }
    Ok(out)
}

/// The tree without its trivia: every node's kind and every significant token's kind and text,
/// in order. Two queries with the same shape mean the same.
fn shape(root: &SyntaxNode) -> Vec<(SyntaxKind, String)> {
    let mut out = Vec::new();
    for event in root.preorder_with_tokens() {
        match event {
            rowan::WalkEvent::Enter(rowan::NodeOrToken::Node(node)) => {
                out.push((node.kind(), String::new()));
            }
            rowan::WalkEvent::Enter(rowan::NodeOrToken::Token(token)) => {
                if !token.kind().is_trivia() {
                    out.push((token.kind(), token.text().to_string()));
                }
            }
            rowan::WalkEvent::Leave(_) => {}
        }
    }
    out
}

/// The significant tokens of a text, kind and text, in order (the tokens `format` must keep).
pub fn significant_tokens(source: &str) -> Vec<(SyntaxKind, String)> {
    syntax::parse(source)
        .syntax()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
        .map(|t| (t.kind(), t.text().to_string()))
        .collect()
}

/// What is written: a significant token, a typed literal copied whole, or a comment.
struct Item {
    /// The first and last tokens (the same for a token; the bounds of a typed literal).
    first: SyntaxToken,
    last: SyntaxToken,
    text: String,
    comment: bool,
    /// The white space before it in the query, since the previous item.
    gap: String,
}

/// Operators whose spacing is kept: the graph operators (a space inside `-->` would change
/// the pattern) and those the parser keeps whole without reading (`grammar.rs`).
const LOOSE_OPERATORS: &[&str] = &[
    "macro-expand",
    "make-graph",
    "graph-match",
    "graph-shortest-paths",
    "graph-to-table",
    "graph-mark-components",
    "graph-where-nodes",
    "graph-where-edges",
    "assert-schema",
    "project-smart",
    "project-by-names",
];

struct Printer {
    items: Vec<Item>,
}

impl Printer {
    fn print(root: &SyntaxNode) -> String {
        let printer = Printer { items: items(root) };
        printer.write()
    }

    fn write(&self) -> String {
        let mut out = String::new();
        let mut previous_significant: Option<usize> = None;
        for (i, item) in self.items.iter().enumerate() {
            let blank = item.gap.matches('\n').count() >= 2;
            let after_comment = i > 0 && self.items[i - 1].comment;
            if item.comment {
                let own_line = i == 0 || item.gap.contains('\n');
                if own_line {
                    let next = self.items[i..].iter().position(|it| !it.comment);
                    let level = next.map_or(0, |n| {
                        self.line_level(i + n, previous_significant)
                            .unwrap_or_else(|| continuation(&self.items[i + n]))
                    });
                    newline(&mut out, level, blank);
                } else if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(item.text.trim_end());
                continue;
            }
            let forced = self.line_level(i, previous_significant);
            if after_comment {
                let level = forced.unwrap_or_else(|| continuation(item));
                newline(&mut out, level, blank);
            } else if let Some(level) = forced {
                newline(&mut out, level, blank);
            } else if let Some(p) = previous_significant
                && item.gap.contains('\n')
                && keeps_break(&self.items[p], item)
            {
                newline(&mut out, continuation(item), blank);
            } else if let Some(p) = previous_significant
                && space_between(&self.items[p], item)
            {
                out.push(' ');
            }
            out.push_str(&item.text);
            previous_significant = Some(i);
        }
        out
    }

    /// The indentation level when item `i` must start a line, `None` when it need not.
    fn line_level(&self, i: usize, previous: Option<usize>) -> Option<usize> {
        let item = &self.items[i];
        let token = &item.first;
        let previous = previous.map(|p| &self.items[p].last);
        let parent = token.parent()?;
        // `| operator` of a pipeline or subquery.
        if token.kind() == PIPE && matches!(parent.kind(), PIPELINE | SUBQUERY) {
            return Some(level(token));
        }
        // The closing bracket of a broken group: back to the group's own level.
        if matches!(token.kind(), R_PAREN | R_BRACE) && is_broken(&parent) {
            return Some(node_level(&parent).saturating_sub(1));
        }
        // The first token in a broken group.
        if let Some(previous) = previous
            && matches!(previous.kind(), L_PAREN | L_BRACE)
            && previous.parent().is_some_and(|p| is_broken(&p))
        {
            return Some(level(token));
        }
        // The first token of a statement.
        if let Some(statement) = statement_started_by(token) {
            let in_block = statement.parent().is_some_and(|p| p.kind() == BLOCK);
            if !in_block || statement.parent().is_some_and(|p| is_broken(&p)) {
                return Some(node_level(&statement));
            }
        }
        None
    }
}

/// Whether a line break the author put between two items is kept: after a comma (a long list
/// over several lines) and before `and`/`or` (a condition over several lines).
fn keeps_break(previous: &Item, current: &Item) -> bool {
    previous.last.kind() == COMMA
        || (current.first.kind() == IDENT
            && matches!(current.text.as_str(), "and" | "or")
            && current.first.parent().is_some_and(|p| p.kind() == BIN_EXPR))
}

/// The level of a line continuing an expression at `item`: one more than its context.
fn continuation(item: &Item) -> usize {
    level(&item.first) + 1
}

fn newline(out: &mut String, level: usize, blank: bool) {
    if out.is_empty() {
        return;
    }
    out.push('\n');
    if blank {
        out.push('\n');
    }
    out.push_str(&" ".repeat(level * INDENT));
}

/// The statement (a child of the query or of a function body) that starts with `token`.
fn statement_started_by(token: &SyntaxToken) -> Option<SyntaxNode> {
    token
        .parent_ancestors()
        .take_while(|n| n.first_token().as_ref() == Some(token))
        .find(|n| {
            matches!(
                n.kind(),
                LET_STMT | SET_STMT | DECLARE_STMT | ALIAS_STMT | OTHER_STMT | EXPR_STMT
            ) && n
                .parent()
                .is_some_and(|p| matches!(p.kind(), QUERY | BLOCK))
        })
}

/// Whether a bracketed node is laid out on lines of its own: it holds a pipeline (a subquery),
/// or is a function body with a pipeline, several statements or a comment.
fn is_broken(node: &SyntaxNode) -> bool {
    match node.kind() {
        PAREN_EXPR => node.children().any(|c| c.kind() == PIPELINE),
        ARG_LIST => {
            node.first_token().is_some_and(|t| t.kind() == L_PAREN)
                && node.children().any(|c| c.kind() == PIPELINE)
        }
        SUBQUERY => node.children_with_tokens().any(|c| c.kind() == PIPE),
        BLOCK => node
            .descendants_with_tokens()
            .any(|c| matches!(c.kind(), PIPE | SEMI | COMMENT)),
        _ => false,
    }
}

/// Whether a node adds a level of indentation to what is inside it.
fn is_indenting(node: &SyntaxNode) -> bool {
    is_broken(node)
        || (node.kind() == PIPELINE && node.parent().is_some_and(|p| p.kind() == LET_STMT))
}

/// The indentation level of a token: how many indenting nodes hold it.
fn level(token: &SyntaxToken) -> usize {
    token.parent_ancestors().filter(is_indenting).count()
}

/// The indentation level of a node (itself included when it indents).
fn node_level(node: &SyntaxNode) -> usize {
    node.ancestors().filter(is_indenting).count()
}

/// The items of a tree in order, with the white space before each.
fn items(root: &SyntaxNode) -> Vec<Item> {
    let mut items = Vec::new();
    let mut gap = String::new();
    let mut walk = root.preorder_with_tokens();
    while let Some(event) = walk.next() {
        let rowan::WalkEvent::Enter(element) = event else {
            continue;
        };
        match element {
            rowan::NodeOrToken::Node(node) => {
                if node.kind() == TYPED_LITERAL
                    && let (Some(first), Some(last)) = (node.first_token(), node.last_token())
                {
                    items.push(Item {
                        first,
                        last,
                        text: node.text().to_string(),
                        comment: false,
                        gap: std::mem::take(&mut gap),
                    });
                    walk.skip_subtree();
                }
            }
            rowan::NodeOrToken::Token(token) => match token.kind() {
                WHITESPACE => gap.push_str(token.text()),
                kind => items.push(Item {
                    text: token.text().to_string(),
                    comment: kind == COMMENT,
                    first: token.clone(),
                    last: token,
                    gap: std::mem::take(&mut gap),
                }),
            },
        }
    }
    items
}

/// Whether a token is in a region whose spacing is kept as written: an operator the parser
/// reads loosely, or a `restrict`/`pattern` statement.
fn loose(token: &SyntaxToken) -> bool {
    let Some(parent) = token.parent() else {
        return false;
    };
    // A graph pattern's arrows and brackets: `-[e*1..3]->` is written without spaces.
    if token.parent_ancestors().any(|n| n.kind() == GRAPH_PATTERN) {
        return true;
    }
    match parent.kind() {
        OTHER_STMT => true,
        // `partitioned-by` is one word with a hyphen.
        CLAUSE => parent
            .first_token()
            .is_some_and(|first| first.text() == "partitioned"),
        OPERATOR => parent
            .children()
            .find(|c| c.kind() == OPERATOR_NAME)
            .is_some_and(|name| LOOSE_OPERATORS.contains(&name.text().to_string().as_str())),
        _ => false,
    }
}

/// Whether one space separates two items on a line.
fn space_between(previous: &Item, current: &Item) -> bool {
    let (p, c) = (&previous.last, &current.first);
    if loose(p) && loose(c) {
        return !current.gap.is_empty();
    }
    let (pk, ck) = (p.kind(), c.kind());
    let p_parent = p.parent().map(|n| n.kind());
    let c_parent = c.parent();
    let c_parent_kind = c_parent.as_ref().map(|n| n.kind());
    // Words the parser reads as one only when written together: `project-away`, `Device*`.
    if p.parent() == c_parent && matches!(c_parent_kind, Some(OPERATOR_NAME | NAME_PATTERN)) {
        return false;
    }
    // `kind=inner`, `hint.strategy=shuffle`.
    let param_of = |t: &SyntaxToken| t.parent_ancestors().find(|n| n.kind() == OPERATOR_PARAM);
    if let Some(param) = param_of(c)
        && param_of(p).as_ref() == Some(&param)
    {
        return false;
    }
    if matches!(ck, R_PAREN | R_BRACKET | COMMA | SEMI | DOT | TILDE | COLON) {
        return false;
    }
    if matches!(pk, L_PAREN | L_BRACKET | DOT | BANG) {
        return false;
    }
    if matches!(pk, MINUS | PLUS) && p_parent == Some(PREFIX_EXPR) {
        return false;
    }
    if pk == COLON {
        return !p.parent_ancestors().any(|n| n.kind() == PARSE_PATTERN);
    }
    match ck {
        L_PAREN => match c_parent_kind {
            Some(ARG_LIST) => c_parent
                .and_then(|n| n.parent())
                .is_none_or(|n| n.kind() != CALL_EXPR),
            Some(SCHEMA) => {
                !(pk == IDENT && matches!(p.text(), "datatable" | "externaldata" | "external_data"))
            }
            Some(PARAM_LIST) => !(pk == IDENT && p.text() == "query_parameters"),
            _ => true,
        },
        L_BRACKET => c_parent_kind != Some(INDEX_EXPR),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(source: &str) -> String {
        format(source).unwrap_or_else(|e| panic!("{source:?}: {e}"))
    }

    #[track_caller]
    fn check(before: &str, after: &str) {
        assert_eq!(fmt(before), after, "formatting {before:?}");
        assert_eq!(fmt(after), after, "formatting again");
    }

    #[test]
    fn each_pipe_starts_a_line() {
        check(
            "T|where a==1|project a,b",
            "T\n| where a == 1\n| project a, b",
        );
        check(
            "DeviceEvents   | where  Timestamp > ago(7d)\n    |   take 10",
            "DeviceEvents\n| where Timestamp > ago(7d)\n| take 10",
        );
    }

    #[test]
    fn spacing_around_operators_commas_and_brackets() {
        check(
            "T | extend x=a+b*-2, y = ( a - 1 ) / 2, z=f( a ,b )[0].c",
            "T\n| extend x = a + b * -2, y = (a - 1) / 2, z = f(a, b)[0].c",
        );
        check(
            "T | where a !has 'x' and b in~ ('a','b') and c !between (1..5) and d =~ \"q\"",
            "T\n| where a !has 'x' and b in~ ('a', 'b') and c !between (1 .. 5) and d =~ \"q\"",
        );
        check(
            "T | join kind = inner hint.strategy=shuffle (U) on $left.A==$right.B",
            "T\n| join kind=inner hint.strategy=shuffle (U) on $left.A == $right.B",
        );
        check(
            "T | project-away Device* , ['a b'] | summarize count() by bin(Timestamp,1h)",
            "T\n| project-away Device*, ['a b']\n| summarize count() by bin(Timestamp, 1h)",
        );
        check(
            "T | parse x with * \"id=\" Id:string \" \" *",
            "T\n| parse x with * \"id=\" Id:string \" \" *",
        );
        check(
            "datatable (A:string, B:long) ['x', 1]",
            "datatable(A: string, B: long) ['x', 1]",
        );
    }

    #[test]
    fn graph_patterns_keep_their_arrows() {
        check(
            "E|make-graph s --> d with N on id partitioned-by t (graph-match cycles=none (a)<-[e*1..3]-(b)-->(c) where a.x==1 and all(e,y>2) project a.x,m=map(e,z))\n| where x>1",
            "E\n| make-graph s --> d with N on id partitioned-by t (graph-match cycles=none (a)<-[e*1..3]-(b)-->(c) where a.x == 1 and all(e, y > 2) project a.x, m = map(e, z))\n| where x > 1",
        );
    }

    #[test]
    fn literals_are_untouched() {
        check(
            "T | where t > datetime( 2024-01-01 ) and d == dynamic({\"a\" :  [1,2]})|where s == 'a  |  b'",
            "T\n| where t > datetime( 2024-01-01 ) and d == dynamic({\"a\" :  [1,2]})\n| where s == 'a  |  b'",
        );
    }

    #[test]
    fn let_statements_one_per_line() {
        check(
            "let a = 1; let b = T | where x == a; b | take 1",
            "let a = 1;\nlet b = T\n    | where x == a;\nb\n| take 1",
        );
        check(
            "let f = (x: long) { x + 1 }; print f(1)",
            "let f = (x: long) { x + 1 };\nprint f(1)",
        );
        check(
            "let f = (n:long) { T | take n }; f(2)",
            "let f = (n: long) {\n    T\n    | take n\n};\nf(2)",
        );
    }

    #[test]
    fn blank_lines_between_statements_are_kept_once() {
        check(
            "let a = 1;\n\n\n\nlet b = 2;\n\nprint a + b",
            "let a = 1;\n\nlet b = 2;\n\nprint a + b",
        );
    }

    #[test]
    fn subqueries_are_indented() {
        check(
            "T | join (U | where a == 1 | project a) on a | take 1",
            "T\n| join (\n    U\n    | where a == 1\n    | project a\n) on a\n| take 1",
        );
        check(
            "let x = toscalar(T | summarize count()); T | mv-apply e = E on (where e > 1 | take 1)",
            "let x = toscalar(\n    T\n    | summarize count()\n);\nT\n| mv-apply e = E on (\n    where e > 1\n    | take 1\n)",
        );
        check(
            "let a = T | join (U | where b | join (V | take 1) on c) on d; a",
            "let a = T\n    | join (\n        U\n        | where b\n        | join (\n            V\n            | take 1\n        ) on c\n    ) on d;\na",
        );
    }

    #[test]
    fn line_breaks_after_commas_and_before_and_or_are_kept() {
        check(
            "T | project A,\n B, C\n| where a == 1\n  and (b == 2\n or c == 3)",
            "T\n| project A,\n    B, C\n| where a == 1\n    and (b == 2\n    or c == 3)",
        );
    }

    #[test]
    fn long_lists_stay_on_one_line() {
        let query = "T\n| project A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, U, V, W, X, Y, Z, AA, BB, CC";
        check(query, query);
    }

    #[test]
    fn comments_stay_where_they_are() {
        // Before a `|`, on its own line.
        check(
            "T\n  // only recent\n| where a",
            "T\n// only recent\n| where a",
        );
        // At the end of a line, after an operator.
        check(
            "T | where a // recent\n| take 1 //last",
            "T\n| where a // recent\n| take 1 //last",
        );
        // Between let statements.
        check(
            "let a = 1; // one\n// two\nlet b = 2;\nprint a",
            "let a = 1; // one\n// two\nlet b = 2;\nprint a",
        );
        // At the end without a newline, and first.
        check(
            "// title\nT | take 1 // end",
            "// title\nT\n| take 1 // end",
        );
        // Inside a multi-line argument list.
        check(
            "T | project A, // first\n   B, // second\n       C",
            "T\n| project A, // first\n    B, // second\n    C",
        );
        check(
            "T | where a in (\n  'x', // why x\n  // and y\n  'y')",
            "T\n| where a in ('x', // why x\n    // and y\n    'y')",
        );
        // After an operator's word, inside a condition.
        check(
            "T | where // the filter\n a == 1\n and b == 2",
            "T\n| where // the filter\n    a == 1\n    and b == 2",
        );
    }

    #[test]
    fn a_query_with_a_syntax_error_is_refused() {
        let error = format("T\n| where a ==").unwrap_err();
        let FormatError::Syntax { position, .. } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(*position, LineCol { line: 2, col: 13 });
        assert!(error.to_string().starts_with("2:13: "), "{error}");
    }

    #[test]
    fn files_are_formatted_block_by_block() {
        let file = "\nT|take 1\n\n\n// second\nU|take 2\n\n";
        let formatted = format_kql_file(file).unwrap();
        assert_eq!(formatted, "T\n| take 1\n\n\n// second\nU\n| take 2\n");
        assert_eq!(format_kql_file(&formatted).unwrap(), formatted);
        let error = format_kql_file("T\n\nU\n| where ==").unwrap_err();
        assert!(error.to_string().starts_with("4:9: "), "{error}");
    }

    fn corpus(name: &str, valid_only: bool) -> Vec<(String, String)> {
        let path = format!("{}/../shared/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("the corpus is missing at {path}: {e}"));
        text.lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .filter(|entry| !valid_only || entry["valid"].as_bool() == Some(true))
            .map(|entry| {
                (
                    entry["id"].to_string(),
                    entry["query"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// Every query of both corpora that parses cleanly formats, and the result parses cleanly,
    /// has the same significant tokens and formats to itself.
    #[test]
    fn the_corpus_formats_idempotently_without_changing_a_token() {
        let mut queries = corpus("defender-hunting-queries.jsonl", true);
        queries.extend(corpus("kql-doc-examples.jsonl", false));
        let mut formatted_count = 0;
        let mut failures = Vec::new();
        for (id, query) in &queries {
            if !syntax::parse(query).errors.is_empty() {
                continue;
            }
            let once = match format(query) {
                Ok(once) => once,
                Err(e) => {
                    failures.push(format!("{id}: {e}"));
                    continue;
                }
            };
            assert!(syntax::parse(&once).errors.is_empty(), "{id}");
            assert_eq!(
                significant_tokens(query),
                significant_tokens(&once),
                "{id}: tokens differ"
            );
            let twice = format(&once).unwrap_or_else(|e| panic!("{id}: {e}\n{once}"));
            if twice != once {
                failures.push(format!("{id}: not idempotent:\n{once}\n----\n{twice}"));
            }
            formatted_count += 1;
        }
        eprintln!(
            "format corpus: {formatted_count} of {} queries formatted",
            queries.len()
        );
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
        assert!(formatted_count > 600, "the corpus looks truncated");
    }
}
