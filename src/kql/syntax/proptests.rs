//! Property tests of the promise that `parse` never panics, keeps every byte, reports inside the
//! input and does linear work on any input: random token streams, corpus queries cut and pasted at
//! random, and adversarial repetitions whose tree and diagnostics are counted (not timed) at two
//! sizes. The fuzz target (`fuzz/fuzz_targets/parse.rs`) checks the same on arbitrary bytes.

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::{Index, select};

use super::*;

/// Tokens and fragments of KQL, glued by [`SEPARATORS`]. Some glue into other tokens (`=` `=`,
/// `'` `x`), which is the point.
const VOCABULARY: &[&str] = &[
    // punctuation
    "|",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    "=",
    "==",
    "!=",
    "=~",
    "..",
    ".",
    "!",
    "~",
    ":",
    "*",
    "-",
    "+",
    "<",
    ">=",
    "=>",
    "'",
    "\"",
    "`",
    // keywords and operators
    "let",
    "where",
    "project",
    "project-away",
    "summarize",
    "by",
    "join",
    "on",
    "kind",
    "inner",
    "in",
    "!in",
    "has",
    "between",
    "and",
    "or",
    "not",
    "mv-expand",
    "mv-apply",
    "parse",
    "with",
    "datatable",
    "range",
    "from",
    "to",
    "step",
    "union",
    "print",
    "datetime",
    "dynamic",
    "timespan",
    "toscalar",
    "materialize",
    "view",
    "typeof",
    "string",
    "long",
    "declare",
    "query_parameters",
    "set",
    "alias",
    "database",
    "evaluate",
    "externaldata",
    "make-series",
    "top-nested",
    "of",
    "take",
    "sort",
    "asc",
    "nulls",
    "first",
    "extend",
    "count",
    "scan",
    "$left",
    "$right",
    // names, numbers, strings, comments
    "T",
    "DeviceProcessEvents",
    "x",
    "a_1",
    "['odd name']",
    "1",
    "0",
    "1.5",
    "1e3",
    "0x1F",
    "7d",
    "100ms",
    "'x'",
    "@\"y\"",
    "\"z\"",
    "h'secret'",
    "```multi\nline```",
    "'a\\'b'",
    "// c\n",
    "\n",
    "é",
    "🦀",
    "\u{0}",
    "\u{feff}",
];

const SEPARATORS: &[&str] = &["", " ", " ", " ", "  ", "\n", "\t", "\r\n"];

/// Every query of both corpora (loaded once).
fn corpus() -> &'static [String] {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut queries = Vec::new();
        for file in ["defender-hunting-queries.jsonl", "kql-doc-examples.jsonl"] {
            let path = format!("{}/../shared/corpus/{file}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("the corpus is missing at {path}: {e}"));
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let record: serde_json::Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{path}: not JSON: {e}: {line}"));
                let query = record["query"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{path}: no `query` in {line}"));
                queries.push(query.to_string());
            }
        }
        assert!(queries.len() > 600, "the corpus looks truncated");
        queries
    })
}

/// The properties every input must have.
fn check(text: &str) -> Result<(), TestCaseError> {
    let first = parse(text);
    prop_assert_eq!(first.syntax().text().to_string(), text);
    for diagnostic in &first.errors {
        let span = diagnostic.span;
        prop_assert!(
            span.start <= span.end && span.end <= text.len(),
            "{:?} outside the input of {} bytes: {}",
            span,
            text.len(),
            diagnostic.message
        );
        prop_assert!(
            text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
            "{:?} not on character boundaries: {}",
            span,
            diagnostic.message
        );
    }
    let second = parse(text);
    prop_assert_eq!(
        &first.green,
        &second.green,
        "the tree differs between two parses"
    );
    prop_assert_eq!(&first.errors, &second.errors, "the diagnostics differ");
    Ok(())
}

/// The largest char boundary at or before `at`.
fn floor(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A random cut or paste of a corpus query.
#[derive(Debug, Clone)]
enum Edit {
    Delete { at: Index, len: usize },
    Duplicate { at: Index, len: usize },
    Insert { at: Index, text: &'static str },
    InsertChar { at: Index, c: char },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), 0..200usize).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<Index>(), 0..200usize).prop_map(|(at, len)| Edit::Duplicate { at, len }),
        (any::<Index>(), select(VOCABULARY)).prop_map(|(at, text)| Edit::Insert { at, text }),
        (any::<Index>(), any::<char>()).prop_map(|(at, c)| Edit::InsertChar { at, c }),
    ]
}

fn apply(text: &mut String, edit: &Edit) {
    let place = |at: &Index, text: &str| floor(text, at.index(text.len() + 1));
    match edit {
        Edit::Delete { at, len } => {
            let start = place(at, text);
            let end = floor(text, start + len);
            text.replace_range(start..end, "");
        }
        Edit::Duplicate { at, len } => {
            let start = place(at, text);
            let end = floor(text, start + len);
            let copy = text[start..end].to_string();
            text.insert_str(end, &copy);
        }
        Edit::Insert { at, text: insert } => {
            let start = place(at, text);
            text.insert_str(start, insert);
        }
        Edit::InsertChar { at, c } => {
            let start = place(at, text);
            text.insert(start, *c);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        // Failures are kept as named regression tests below, not in a file beside the source.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_token_streams_keep_every_byte(
        tokens in prop::collection::vec((select(VOCABULARY), select(SEPARATORS)), 0..80)
    ) {
        let text: String = tokens.iter().flat_map(|(token, gap)| [*token, *gap]).collect();
        check(&text)?;
    }

    #[test]
    fn corpus_queries_cut_and_pasted_keep_every_byte(
        query in any::<Index>(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let queries = corpus();
        let mut text = queries[query.index(queries.len())].clone();
        for edit in &edits {
            apply(&mut text, edit);
        }
        check(&text)?;
    }

    #[test]
    fn arbitrary_text_keeps_every_byte(text in any::<String>()) {
        check(&text)?;
    }
}

#[test]
fn every_corpus_query_keeps_every_byte() {
    for query in corpus() {
        check(query).unwrap_or_else(|e| panic!("{e}\n{query}"));
    }
}

/// What parsing a text produced, counted: elements of the tree, diagnostics and their bytes, and
/// the depth of the tree.
#[derive(Debug, Clone, Copy)]
struct Work {
    elements: usize,
    diagnostics: usize,
    message_bytes: usize,
    depth: usize,
}

fn work(text: &str) -> Work {
    let parse = parse(text);
    let root = parse.syntax();
    assert_eq!(root.text().to_string(), text);
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for event in root.preorder() {
        match event {
            rowan::WalkEvent::Enter(_) => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            rowan::WalkEvent::Leave(_) => depth -= 1,
        }
    }
    Work {
        elements: root.descendants_with_tokens().count(),
        diagnostics: parse.errors.len(),
        message_bytes: parse.errors.iter().map(|d| d.message.len()).sum(),
        depth: deepest,
    }
}

/// Adversarial inputs, as (before, repeated, after).
const ADVERSARIAL: &[(&str, &str, &str)] = &[
    ("print ", "(", "1"),
    ("print ", "(", ""),
    ("print 1", ")", ""),
    ("print ", "f(", "1"),
    ("print ", "f(1, ", ""),
    ("T ", "| where ", ""),
    ("T ", "| where x == ", ""),
    ("", "let a = ", "1"),
    ("", "let f = (a: string) { ", ""),
    ("print ", "'unterminated", ""),
    ("print ", "'unterminated\n", ""),
    ("print ", "\"", ""),
    ("print ", "```", ""),
    ("print ", "// comment\n", "1"),
    ("print a", " or a", ""),
    ("print a", " and not(a) or a", ""),
    ("print ", "-", "1"),
    ("print ", "!", "1"),
    ("print ", "[", ""),
    ("print ", "{", ""),
    ("print ", "dynamic(", ""),
    ("print ", "dynamic([", ""),
    ("", "T | join (", "T"),
    ("", "T | join kind=inner (", ""),
    ("T | where x ", "in (", ""),
    ("T | where x ", "between (1 .. ", ""),
    ("", "union (", ""),
    ("T ", "| mv-apply x on (", ""),
    ("", "datatable(a: string)[", ""),
    ("T | parse x with ", "* 'a' y:string ", ""),
    ("T ", "| summarize count() by ", ""),
    ("", "|", ""),
    ("", ")", ""),
    ("", "]", ""),
    ("", "}", ""),
    ("", ";", ""),
    ("", "=", ""),
    ("", "..", ""),
    ("", "é🦀\u{0}", ""),
];

/// The same pattern 8 times longer must give at most about 8 times the tree and diagnostics, and
/// no deeper a tree than the nesting limit allows. Counted, not timed, so it holds on any
/// machine. Runs on a 1 MiB stack: a parser that recursed once per bracket would overflow it
/// long before the 8,000 levels of the larger inputs.
#[test]
fn adversarial_repetitions_do_linear_work_on_a_small_stack() {
    let worker = std::thread::Builder::new()
        .name("small-stack".into())
        .stack_size(1 << 20)
        .spawn(|| {
            let mut failures = Vec::new();
            for &(before, pattern, after) in ADVERSARIAL {
                let small = format!("{before}{}{after}", pattern.repeat(1_000));
                let large = format!("{before}{}{after}", pattern.repeat(8_000));
                let (s, l) = (work(&small), work(&large));
                let what = format!("{before:?} + {pattern:?} × n + {after:?}: {s:?} then {l:?}");
                if l.elements > 8 * s.elements + 64 {
                    failures.push(format!("the tree grows too fast: {what}"));
                }
                if l.diagnostics > 8 * s.diagnostics + 8 {
                    failures.push(format!("the diagnostics grow too fast: {what}"));
                }
                if l.message_bytes > 8 * s.message_bytes + 1_024 {
                    failures.push(format!("the diagnostics' text grows too fast: {what}"));
                }
                if l.depth > 8 * MAX_NESTING as usize + 64 {
                    failures.push(format!("deeper than the nesting limit allows: {what}"));
                }
            }
            assert!(failures.is_empty(), "{}", failures.join("\n"));
        })
        .expect("spawn a thread");
    worker.join().expect("the parser panicked or overflowed");
}

/// Chains of `.name` and `[index]` give a tree one level deeper per link. They were unbounded:
/// rowan's node cache interns nodes of at most 3 children and, when its table grows, rehashes
/// each by walking its whole subtree recursively (`node_hash` in rowan 0.17's
/// `green/node_cache.rs`), so `x.a.a.a…` took quadratic time (80,000 links: about 70 s in a debug
/// build) and at 100,000 links overflowed an 8 MiB stack. The parser now counts links against
/// `MAX_NESTING` and reports a longer chain.
#[test]
fn postfix_chains_stay_shallow() {
    for pattern in [".a", ".a()", ".['a']", "[0]"] {
        let text = format!("print x{}", pattern.repeat(8_000));
        let found = work(&text);
        assert!(
            found.depth <= 8 * MAX_NESTING as usize + 64,
            "{pattern:?} × 8000: {found:?}"
        );
    }
}
