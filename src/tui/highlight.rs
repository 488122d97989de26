//! KQL syntax highlighting through syntect and the grammar in `kql.sublime-syntax`.
//!
//! The parser carries state from line to line (a ``` string or any grammar context can span
//! lines), so a line's colours depend only on the state after the line before it. [`Highlighter`]
//! keeps that state and the colours per buffer line and, each frame, parses only from the first
//! row it does not know down to the bottom of the screen, at most a budget of lines: the UI thread
//! never stalls, however large the buffer.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use syntect::parsing::{
    ParseState, Scope, ScopeStack, SyntaxDefinition, SyntaxSet, SyntaxSetBuilder,
};

/// A run of text in one syntax role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    /// `comment`, `string`, `number`, `constant`, `keyword`, `operator`, `function`, `type`, or
    /// empty for plain text.
    pub role: &'static str,
}

fn syntax_set() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(|| {
        let definition = SyntaxDefinition::load_from_str(&grammar(), true, None)
            .expect("the bundled KQL grammar is valid");
        let mut builder = SyntaxSetBuilder::new();
        builder.add(definition);
        builder.build()
    })
}

/// The grammar `kql.sublime-syntax` with its word lists filled in from the KQL vocabulary table
/// ([`crate::kql::language`]): each `@NAME@` placeholder becomes a regex alternation of the
/// table's words, so the highlighter and the parser agree on what is a keyword.
fn grammar() -> String {
    use crate::kql::language as lang;
    let (source_functions, source_operators): (Vec<&str>, Vec<&str>) = lang::SOURCE_OPERATORS
        .iter()
        .copied()
        // A source operator that is also a function name (`range`) is a keyword unless `(` follows.
        .partition(|word| lang::function(word).is_some());
    let word_keywords: Vec<&str> = lang::LOGICAL_OPERATORS
        .iter()
        .chain(lang::CLAUSE_KEYWORDS)
        .copied()
        .collect();
    let statements: Vec<&str> = lang::STATEMENT_KEYWORDS
        .iter()
        .copied()
        .filter(|word| *word != "let")
        .collect();
    let fills: [(&str, Vec<&str>); 8] = [
        ("PIPE_OPERATORS", lang::pipe_operator_words()),
        ("SOURCE_OPERATORS", source_operators),
        ("SOURCE_FUNCTIONS", source_functions),
        ("STRING_OPERATORS", lang::STRING_OPERATORS.to_vec()),
        ("WORD_KEYWORDS", word_keywords),
        ("TYPES", lang::TYPE_NAMES.to_vec()),
        ("LITERALS", lang::LITERAL_KEYWORDS.to_vec()),
        ("STATEMENTS", statements),
    ];
    let mut text = include_str!("kql.sublime-syntax").to_string();
    for (name, words) in fills {
        text = text.replace(&format!("@{name}@"), &alternation(words));
    }
    text
}

/// A regex alternation matching any of `words`, longest first (so `project-away` wins over
/// `project`, `in~` over `in`); each word regex-escaped, and the space of a two-word operator
/// (`matches regex`) matching any white space.
fn alternation(mut words: Vec<&str>) -> String {
    crate::kql::language::longest_first(&mut words);
    words
        .iter()
        .map(|word| {
            word.split(' ')
                .map(regex_syntax::escape)
                .collect::<Vec<_>>()
                .join(r"\s+")
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// The roles a [`Piece`] can have; cached runs store an index into this (one byte, not sixteen).
const ROLE_NAMES: [&str; 9] = [
    "", "comment", "string", "number", "constant", "keyword", "operator", "function", "type",
];

/// The theme role (index into [`ROLE_NAMES`]) of the innermost scope that has one.
fn role_of(stack: &ScopeStack) -> u8 {
    static ROLES: OnceLock<Vec<(Scope, u8)>> = OnceLock::new();
    let roles = ROLES.get_or_init(|| {
        [
            ("comment", "comment"),
            ("string", "string"),
            ("constant.numeric", "number"),
            ("constant.language", "constant"),
            ("constant.character", "string"),
            ("keyword.control", "keyword"),
            ("keyword.operator", "operator"),
            ("storage.type", "type"),
            ("support.function", "function"),
            ("variable.language", "constant"),
        ]
        .iter()
        .filter_map(|(scope, role)| {
            let index = ROLE_NAMES.iter().position(|name| name == role)?;
            Some((Scope::new(scope).ok()?, index as u8))
        })
        .collect()
    });
    for scope in stack.as_slice().iter().rev() {
        if let Some(&(_, role)) = roles.iter().find(|(prefix, _)| prefix.is_prefix_of(*scope)) {
            return role;
        }
    }
    0
}

/// The budget the app passes to [`Highlighter::visible`]: lines parsed per frame at most. Query
/// lines take 5–50 µs each in a release build, so a frame spends at most about 25 ms on
/// highlighting, and only while a jump far down a large buffer fills in (100,000 lines take a
/// hundred frames, five seconds, during which the rows on screen show plain).
pub const LINES_PER_FRAME: usize = 1_000;

/// A line costs one unit of budget per this many bytes beyond the first: parsing time follows the
/// bytes, and a budget of plain line counts would let 2,000 pasted log lines stall a frame.
const BYTES_PER_UNIT: usize = 128;

/// Lines longer than this many bytes are shown plain, like a line the grammar cannot read: the
/// budget counts lines, so one pasted megabyte line must not cost a frame its whole time.
const MAX_LINE_BYTES: usize = 20_000;
const _: () = assert!(MAX_LINE_BYTES < u32::MAX as usize, "run offsets are u32");

/// Parser state between two lines: the grammar contexts and the scopes open at the line break.
#[derive(Clone, PartialEq, Eq)]
struct State {
    parse: ParseState,
    scopes: ScopeStack,
}

impl State {
    /// The state at the top of a buffer.
    fn start() -> State {
        State {
            parse: ParseState::new(&syntax_set().syntaxes()[0]),
            scopes: ScopeStack::new(),
        }
    }
}

/// A stretch of a highlighted line in one role. A line's runs cover it in order (none for an empty
/// line), so the cache stores the text once, not once per piece; 8 bytes since it holds a run list
/// per buffer line.
#[derive(Clone, Copy)]
struct Run {
    /// Byte offset where the run ends; past the line's end means "to the end".
    end: u32,
    /// Index into [`ROLE_NAMES`].
    role: u8,
}

/// A whole line as one plain run.
const PLAIN: Run = Run {
    end: u32::MAX,
    role: 0,
};

/// Highlights one line that follows `state`, leaving in `state` the state after it. A line the
/// grammar cannot read, or longer than [`MAX_LINE_BYTES`], comes back as one plain run and resets
/// the state, so one bad line neither stops the editor nor colours the rest of the buffer.
fn parse_line(line: &str, state: &mut State) -> Box<[Run]> {
    let set = syntax_set();
    let ops = if line.len() <= MAX_LINE_BYTES {
        // The grammar matches `$` and `//.*$` against the line break.
        state.parse.parse_line(&format!("{line}\n"), set).ok()
    } else {
        None
    };
    let Some(ops) = ops else {
        *state = State::start();
        return Box::new([PLAIN]);
    };
    let mut runs = Vec::new();
    let mut at = 0;
    for (offset, op) in ops {
        let offset = offset.min(line.len());
        // Offsets come from regex matches, so they fall on characters; checking keeps slicing safe.
        if offset > at && line.is_char_boundary(offset) {
            runs.push(Run {
                end: offset as u32,
                role: role_of(&state.scopes),
            });
            at = offset;
        }
        let _ = state.scopes.apply(&op);
    }
    if at < line.len() {
        runs.push(Run {
            end: line.len() as u32,
            role: role_of(&state.scopes),
        });
    }
    runs.into_boxed_slice()
}

/// The pieces of `text` cut at `runs`.
fn pieces(text: &str, runs: &[Run]) -> Vec<Piece> {
    let mut start = 0;
    runs.iter()
        .map(|run| {
            let end = (run.end as usize).min(text.len());
            let piece = Piece {
                text: text[start..end].to_string(),
                role: ROLE_NAMES[usize::from(run.role)],
            };
            start = end;
            piece
        })
        .collect()
}

/// `text` as one plain piece.
fn plain(text: &str) -> Vec<Piece> {
    vec![Piece {
        text: text.to_string(),
        role: "",
    }]
}

/// Highlights all of `lines` at once, returning one list of pieces per line (empty for an empty
/// line): the reference the tests hold [`Highlighter`] to. The editor never uses it (its cost
/// grows with the buffer).
#[cfg(test)]
fn highlight(lines: &[String]) -> Vec<Vec<Piece>> {
    let mut state = State::start();
    lines
        .iter()
        .map(|line| pieces(line, &parse_line(line, &mut state)))
        .collect()
}

/// One buffer row as last highlighted.
struct Known {
    /// The text that was parsed, to notice a row that changed without an invalidation.
    text: Box<str>,
    runs: Box<[Run]>,
    /// The state after this row. Most rows end in the same state as the row before (outside any
    /// string), so equal states share one allocation.
    after: Arc<State>,
}

/// Highlighting of an editor buffer, computed only as far as the screen needs and kept between
/// frames.
///
/// It knows a prefix of the buffer, rows `0..n`, since each row needs the state after the one
/// before. The owner reports edits with [`invalidate_from`](Self::invalidate_from) or
/// [`invalidate_all`](Self::invalidate_all) and asks each frame for the rows on screen with
/// [`visible`](Self::visible). Memory per known row: its text once more plus about 200 bytes.
#[derive(Default)]
pub struct Highlighter {
    known: Vec<Known>,
    pending: bool,
}

impl Highlighter {
    /// A highlighter that knows nothing yet.
    pub fn new() -> Highlighter {
        Highlighter::default()
    }

    /// The buffer changed at `row` (0-based) or later: forget what was computed from there on.
    /// Rows before it keep their colours, and the next [`visible`](Self::visible) resumes from
    /// the state after `row - 1`.
    pub fn invalidate_from(&mut self, row: usize) {
        self.known.truncate(row);
    }

    /// Forget everything (the whole buffer was replaced), releasing the memory.
    pub fn invalidate_all(&mut self) {
        self.known = Vec::new();
    }

    /// The pieces of `lines[range]` (the rows on screen), one list per row, highlighting only what
    /// is missing: from the first row not yet known up to `range.end`. At most `budget` lines are
    /// parsed per call, fewer when long (a line counts once more per 128 bytes); rows
    /// beyond what the budget reached come back as a single plain piece (role `""`) and are
    /// finished on later calls, and [`pending`](Self::pending) says so.
    ///
    /// The range is clamped to the buffer (it may be empty or past the end). A returned row whose
    /// text differs from what was parsed is treated as an edit there, so a missed invalidation
    /// cannot show wrong text; an edit above the range must still be reported.
    pub fn visible(
        &mut self,
        lines: &[String],
        range: Range<usize>,
        budget: usize,
    ) -> Vec<Vec<Piece>> {
        let end = range.end.min(lines.len());
        let start = range.start.min(end);
        self.known.truncate(lines.len());
        let checked = start..end.min(self.known.len());
        if let Some(row) = checked
            .into_iter()
            .find(|&row| *self.known[row].text != *lines[row])
        {
            self.known.truncate(row);
        }
        self.extend(lines, end, budget);
        self.pending = self.known.len() < end;
        (start..end)
            .map(|row| match self.known.get(row) {
                Some(known) => pieces(&known.text, &known.runs),
                None => plain(&lines[row]),
            })
            .collect()
    }

    /// How many buffer rows, from the top, are highlighted and kept.
    pub fn known_rows(&self) -> usize {
        self.known.len()
    }

    /// True when rows of the last [`visible`](Self::visible) call were returned plain for lack of
    /// budget: the caller should draw again soon (next tick) to finish them.
    pub fn pending(&self) -> bool {
        self.pending
    }

    /// Highlights rows from the first unknown one up to `to` (exclusive) while `budget` lasts. A
    /// line is parsed if any budget is left before it, so every call with a budget makes progress.
    fn extend(&mut self, lines: &[String], to: usize, mut budget: usize) {
        let mut before = match self.known.last() {
            Some(known) => Arc::clone(&known.after),
            None => Arc::new(State::start()),
        };
        for line in lines.iter().take(to).skip(self.known.len()) {
            if budget == 0 {
                break;
            }
            budget = budget.saturating_sub(1 + line.len().min(MAX_LINE_BYTES) / BYTES_PER_UNIT);
            let mut state = State::clone(&before);
            let runs = parse_line(line, &mut state);
            if state != *before {
                before = Arc::new(state);
            }
            self.known.push(Known {
                text: line.as_str().into(),
                runs,
                after: Arc::clone(&before),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(line: &str) -> Vec<(String, &'static str)> {
        highlight(&[line.to_string()])
            .remove(0)
            .into_iter()
            .filter(|p| !p.text.trim().is_empty())
            .map(|p| (p.text.trim().to_string(), p.role))
            .collect()
    }

    #[test]
    fn colours_the_parts_of_a_query() {
        let parts = roles("T | where Name =~ \"x\" and Count > 5 // done");
        assert!(
            parts.contains(&("where".to_string(), "keyword")),
            "{parts:?}"
        );
        assert!(parts.contains(&("=~".to_string(), "operator")), "{parts:?}");
        assert!(
            parts.contains(&("\"x\"".to_string(), "string")),
            "{parts:?}"
        );
        assert!(parts.contains(&("5".to_string(), "number")), "{parts:?}");
        assert!(
            parts.contains(&("// done".to_string(), "comment")),
            "{parts:?}"
        );
        let parts = roles("| summarize count() by bin(Timestamp, 1h)");
        assert!(
            parts.contains(&("count".to_string(), "function")),
            "{parts:?}"
        );
        assert!(parts.contains(&("1h".to_string(), "number")), "{parts:?}");
    }

    #[test]
    fn the_grammar_takes_its_words_from_the_language_table() {
        let text = grammar();
        let placeholder = text.split('@').skip(1).step_by(2).find(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        });
        assert_eq!(placeholder, None, "every placeholder is filled");
        use crate::kql::language as lang;
        // Every operator and synonym that may follow `|`, with and without a space, and on the
        // line after a trailing `|`.
        for word in lang::pipe_operator_words() {
            for line in [format!("T | {word} x"), format!("T |{word}")] {
                let parts = roles(&line);
                assert!(
                    parts.contains(&(word.to_string(), "keyword")),
                    "{line}: {parts:?}"
                );
            }
            let rows = highlight(&owned(&["T |", &format!("  {word} x")]));
            assert_eq!(role_at(&rows[1], word), "keyword", "{word}: {rows:?}");
        }
        // Source operators at the start of a query or after `=`.
        for word in lang::SOURCE_OPERATORS {
            for line in [format!("{word} x"), format!("let t = {word} x")] {
                let parts = roles(&line);
                assert!(
                    parts.contains(&(word.to_string(), "keyword")),
                    "{line}: {parts:?}"
                );
            }
        }
        // `range(` is the function, `range x from` the operator.
        let parts = roles("print r = range(1, 5, 2)");
        assert!(
            parts.contains(&("range".to_string(), "function")),
            "{parts:?}"
        );
        // Every string operator, between two operands.
        for word in lang::STRING_OPERATORS {
            let line = format!("T | where Name {word} (\"a\")");
            let parts = roles(&line);
            assert!(
                parts.contains(&(word.to_string(), "operator")),
                "{line}: {parts:?}"
            );
        }
        let parts = roles("T | where x matches   regex \"a\" and y !in~ (1) or z !has_cs 'q'");
        for word in ["matches   regex", "and", "!in~", "or", "!has_cs"] {
            assert!(parts.contains(&(word.to_string(), "operator")), "{parts:?}");
        }
        // Clause words, types, literals and statements.
        let parts = roles("T | sort by x asc nulls first | extend d = todatetime(x), b = true");
        for word in ["by", "asc", "nulls", "first"] {
            assert!(parts.contains(&(word.to_string(), "operator")), "{parts:?}");
        }
        assert!(
            parts.contains(&("true".to_string(), "constant")),
            "{parts:?}"
        );
        for ty in lang::TYPE_NAMES {
            let parts = roles(&format!("print {ty}(null)"));
            assert!(parts.contains(&(ty.to_string(), "type")), "{parts:?}");
        }
        let parts = roles("datatable(a: long, b: string) [1, 'x']");
        assert!(parts.contains(&("long".to_string(), "type")), "{parts:?}");
        let parts = roles("declare query_parameters(n: long = 5); set notruncation;");
        assert!(
            parts.contains(&("declare".to_string(), "type")),
            "{parts:?}"
        );
        assert!(parts.contains(&("set".to_string(), "type")), "{parts:?}");
        // Words that only contain an operator's name stay plain.
        let parts = roles("T | project-foo hasx, project_x, has_anything");
        let coloured: Vec<_> = parts.iter().filter(|(_, role)| !role.is_empty()).collect();
        assert_eq!(coloured, [&("|".to_string(), "operator")], "{parts:?}");
    }

    #[test]
    fn earlier_results_are_one_name() {
        let parts = roles("$last | join ($2) on $left.A == $right.A");
        for name in ["$last", "$2", "$left", "$right"] {
            assert!(
                parts.contains(&(name.to_string(), "constant")),
                "{name}: {parts:?}"
            );
        }
        assert!(!parts.iter().any(|(text, _)| text == "2"), "{parts:?}");
    }

    #[test]
    fn keeps_all_text() {
        let line = "let x = @\"C:\\a\"\"b\"; T | project-away ['odd col'] | take 10";
        let joined: String = highlight(&[line.to_string()])[0]
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(joined, line);
    }

    fn owned(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    /// A block with state that crosses lines: a ``` string over three lines, and comments with
    /// apostrophes that must not open a string.
    const BLOCK: &[&str] = &[
        "let x = 1; // don't",
        "let y = ```first 'half",
        "second \"still\" string",
        "third``` ;",
        "T | where A == \"x\" // it's",
        "",
        "| take 10",
        "let z = @'C:\\a';",
    ];

    fn buffer(blocks: usize) -> Vec<String> {
        owned(&BLOCK.repeat(blocks))
    }

    fn is_plain(row: &[Piece], text: &str) -> bool {
        row.len() == 1 && row[0].role.is_empty() && row[0].text == text
    }

    /// The role of the piece holding `word` in `row`.
    fn role_at(row: &[Piece], word: &str) -> &'static str {
        row.iter()
            .find(|p| p.text.contains(word))
            .map(|p| p.role)
            .unwrap_or_else(|| panic!("{word} not in {row:?}"))
    }

    /// A small deterministic generator, so failures reproduce.
    fn next(seed: &mut u64) -> usize {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*seed >> 33) as usize
    }

    #[test]
    fn apostrophe_in_comment_does_not_open_a_string() {
        let lines = buffer(1);
        let mut hl = Highlighter::new();
        let rows = hl.visible(&lines, 1..2, LINES_PER_FRAME);
        assert_eq!(role_at(&rows[0], "let"), "type", "{rows:?}");
        let rows = hl.visible(&lines, 5..7, LINES_PER_FRAME);
        assert_eq!(role_at(&rows[1], "take"), "keyword", "{rows:?}");
    }

    #[test]
    fn visible_windows_match_whole_buffer_highlighting() {
        let lines = buffer(12);
        let full = highlight(&lines);
        let mut seed = 7;
        let mut reused = Highlighter::new();
        for _ in 0..300 {
            let start = next(&mut seed) % (lines.len() + 5);
            let end = start + next(&mut seed) % 30;
            let want = &full[start.min(lines.len())..end.min(lines.len())];
            // A fresh highlighter must parse up from the top; a reused one resumes or reuses.
            let mut fresh = Highlighter::new();
            assert_eq!(fresh.visible(&lines, start..end, LINES_PER_FRAME), want);
            assert_eq!(reused.visible(&lines, start..end, LINES_PER_FRAME), want);
            assert!(!fresh.pending() && !reused.pending());
            if next(&mut seed).is_multiple_of(4) {
                reused.invalidate_from(next(&mut seed) % lines.len());
            }
        }
        // Only a later line on screen: the string opened above still colours it.
        let rows = Highlighter::new().visible(&lines, 2..3, LINES_PER_FRAME);
        assert!(rows[0].iter().all(|p| p.role == "string"), "{rows:?}");
    }

    #[test]
    fn budget_leaves_rows_plain_until_later_calls() {
        let lines = buffer(4);
        let full = highlight(&lines);
        let mut hl = Highlighter::new();
        let range = 20..25;
        for _ in 0..2 {
            let rows = hl.visible(&lines, range.clone(), 10);
            assert!(hl.pending());
            for (row, text) in rows.iter().zip(&lines[range.clone()]) {
                assert!(is_plain(row, text), "{row:?}");
            }
        }
        // Third call: 20 rows known, 5 to go within the budget of 10.
        assert_eq!(hl.visible(&lines, range.clone(), 10), full[range.clone()]);
        assert!(!hl.pending());
        assert_eq!(hl.known.len(), 25, "parses only down to the screen");
        // A budget cut inside the range: the rows reached are highlighted, the rest plain.
        hl.invalidate_all();
        let rows = hl.visible(&lines, 0..8, 3);
        assert!(hl.pending());
        assert_eq!(rows[..3], full[..3]);
        assert!(is_plain(&rows[3], &lines[3]));
        assert!(hl.visible(&lines, 0..0, 0).is_empty());
        assert!(!hl.pending(), "an empty range has nothing pending");
    }

    #[test]
    fn invalidating_an_edit_that_opens_a_string_recolours_later_rows() {
        let mut lines = owned(&["let a = 1;", "let s = \"x\";", "T | take 1", "let b = 2"]);
        let mut hl = Highlighter::new();
        assert_eq!(hl.visible(&lines, 0..4, LINES_PER_FRAME), highlight(&lines));
        lines[1] = "let s = ```x".to_string();
        hl.invalidate_from(1);
        let rows = hl.visible(&lines, 2..4, LINES_PER_FRAME);
        assert!(
            rows.iter().flatten().all(|p| p.role == "string"),
            "{rows:?}"
        );
        assert_eq!(rows, highlight(&lines)[2..4]);
        // Closing it again brings the keywords back.
        lines[2] = "``` | take 1".to_string();
        hl.invalidate_from(2);
        let rows = hl.visible(&lines, 3..4, LINES_PER_FRAME);
        assert_eq!(role_at(&rows[0], "let"), "type", "{rows:?}");
        assert_eq!(rows, highlight(&lines)[3..4]);
    }

    #[test]
    fn rows_changed_without_invalidation_are_reparsed() {
        let mut lines = buffer(3);
        let mut hl = Highlighter::new();
        hl.visible(&lines, 0..lines.len(), LINES_PER_FRAME);
        // A caller bug: rows edited, inserted and removed with no invalidate call.
        lines[10] = "let q = ```open".to_string();
        lines.insert(12, "| where x has 'y'".to_string());
        lines.truncate(20);
        let full = highlight(&lines);
        assert_eq!(hl.visible(&lines, 10..20, LINES_PER_FRAME), full[10..20]);
        assert_eq!(hl.visible(&lines, 0..40, LINES_PER_FRAME), full);
        // The buffer grows back past what was known.
        lines.extend(buffer(2));
        let full = highlight(&lines);
        assert_eq!(
            hl.visible(&lines, 15..lines.len(), LINES_PER_FRAME),
            full[15..]
        );
    }

    #[test]
    fn long_lines_take_more_of_the_budget() {
        let lines = vec!["T | take 1 ".repeat(128); 10];
        assert_eq!(lines[0].len(), 11 * BYTES_PER_UNIT);
        let mut hl = Highlighter::new();
        hl.visible(&lines, 0..10, 24);
        assert_eq!(hl.known.len(), 2, "each line costs 12 units");
        // A budget smaller than one line's cost still moves on by a line.
        hl.visible(&lines, 0..10, 1);
        assert_eq!(hl.known.len(), 3);
        while hl.pending() {
            hl.visible(&lines, 0..10, 1);
        }
        assert_eq!(hl.visible(&lines, 0..10, 1), highlight(&lines));
    }

    #[test]
    fn empty_buffers_and_ranges() {
        let mut hl = Highlighter::new();
        assert!(hl.visible(&[], 0..10, LINES_PER_FRAME).is_empty());
        assert!(!hl.pending());
        let lines = buffer(1);
        assert!(hl.visible(&lines, 3..3, LINES_PER_FRAME).is_empty());
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 6..2;
        assert!(hl.visible(&lines, backwards, LINES_PER_FRAME).is_empty());
        assert!(hl.visible(&lines, 50..60, LINES_PER_FRAME).is_empty());
        let full = highlight(&lines);
        assert_eq!(hl.visible(&lines, 6..60, LINES_PER_FRAME), full[6..]);
        assert_eq!(hl.visible(&lines, 0..usize::MAX, usize::MAX), full);
        // An empty line has no pieces; a line the grammar is not asked to read is plain.
        assert!(full[5].is_empty());
        let long = vec!["x".repeat(MAX_LINE_BYTES + 1)];
        let rows = Highlighter::new().visible(&long, 0..1, 1);
        assert!(is_plain(&rows[0], &long[0]));
    }

    #[test]
    fn jump_to_the_end_of_a_huge_buffer_fills_in_over_frames() {
        let lines = buffer(12_500);
        assert_eq!(lines.len(), 100_000);
        let range = lines.len() - 40..lines.len();
        let mut hl = Highlighter::new();
        let began = std::time::Instant::now();
        let rows = hl.visible(&lines, range.clone(), LINES_PER_FRAME);
        let first = began.elapsed();
        assert!(hl.pending());
        assert_eq!(
            hl.known.len(),
            LINES_PER_FRAME,
            "one call parses one budget"
        );
        assert!(
            rows.iter()
                .zip(&lines[range.clone()])
                .all(|(r, t)| is_plain(r, t))
        );
        let mut calls = 1;
        while hl.pending() {
            hl.visible(&lines, range.clone(), LINES_PER_FRAME);
            calls += 1;
        }
        assert_eq!(calls, lines.len() / LINES_PER_FRAME);
        // The window starts on a block boundary, where the state is the start state again.
        let rows = hl.visible(&lines, range.clone(), LINES_PER_FRAME);
        assert_eq!(rows, highlight(&lines[range]));
        // Generous: a debug build on a busy machine; the point is one budget, not the buffer.
        assert!(first < std::time::Duration::from_secs(5), "{first:?}");
    }

    #[test]
    fn highlighter_can_move_between_threads() {
        fn send<T: Send + Sync>() {}
        send::<Highlighter>();
    }
}
