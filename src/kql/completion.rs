//! Completion candidates for the editor (Ctrl+Space, and as you type): what may be typed at the
//! cursor, read from the syntax tree of the query block (which a half-written query still has)
//! and the schema of the backend's tables: after `|` a tabular operator; where a tabular
//! expression starts a table; after `kind=` the operator's kinds; elsewhere the columns in scope
//! at the cursor (`kql::analysis`), functions with their signatures, then keywords.
//!
//! Sources of the names: the advanced hunting schema (through the backend), and the vocabulary
//! table [`super::language`] (functions from Microsoft's KQL language service, tabular operators
//! from the KQL reference).

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Column,
    Table,
    Operator,
    Function,
    Keyword,
    /// A value of a column, from the last result (inside a string literal).
    Value,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Column => "column",
            Kind::Table => "table",
            Kind::Operator => "operator",
            Kind::Function => "function",
            Kind::Keyword => "keyword",
            Kind::Value => "value",
        }
    }
}

/// One thing that may be typed: the name shown, what goes into the text (quoted as KQL needs:
/// `['Odd name']`; a function with its `(`), its kind and a detail (a column's type, a
/// function's signature, an operator's purpose).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub text: String,
    pub insert: String,
    pub kind: Kind,
    pub detail: String,
}

impl Candidate {
    fn new(name: &str, kind: Kind, detail: String) -> Candidate {
        let insert = match kind {
            Kind::Column | Kind::Table if !is_plain_name(name) => {
                format!("['{}']", name.replace('\\', "\\\\").replace('\'', "\\'"))
            }
            _ => name.to_string(),
        };
        Candidate {
            text: name.to_string(),
            insert,
            kind,
            detail,
        }
    }
}

/// Whether a name can be written bare: a letter or `_` first, then letters, digits and `_`
/// (KQL's "Entity names": anything else needs `['…']`).
fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A table of the schema: its name and its columns (name, KQL type name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaTable {
    pub name: String,
    pub columns: Vec<(String, String)>,
}

/// The word being typed at the end of `before` (letters, digits, `_`, and `-` inside an
/// operator name, after a `$` that starts it): the part completion replaces. Returns its start (a byte offset).
pub fn word_start(before: &str) -> usize {
    let mut start = before.len();
    for (at, ch) in before.char_indices().rev() {
        if ch.is_alphanumeric() || ch == '_' || ch == '-' {
            start = at;
        } else {
            break;
        }
    }
    // `$last`, `$2`: the `$` is part of the name being typed.
    if before[..start].ends_with('$') {
        start -= 1;
    }
    start
}

/// What may be typed at a place, read from the syntax tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    /// Inside a comment or a string literal.
    Nothing,
    /// After `|`: a tabular operator.
    Operator,
    /// Where a tabular expression starts: a table or a let-bound name.
    Table,
    /// The value of `kind=` (or `bagexpansion=`) of this operator.
    KindValue(String),
    /// After `$left.` / `$right.` in a join's `on` (true: the right side).
    JoinSide(bool),
    /// Anywhere a scalar expression goes; `aggregates` inside summarize-like operators.
    Expression { aggregates: bool },
    /// Right after a value, before anything is typed: what may follow one.
    AfterValue,
}

/// The candidates at byte `offset` of `query` (the query block), best first: filtered by the
/// word being typed (names that start with it, then names that hold its letters in order),
/// recently used ones (`recent`, newest first) first within each group.
///
/// What is offered depends on the place, read from the syntax tree: after `|` the tabular
/// operators; where a tabular expression starts (the query's start, `join`/`union`/`lookup`,
/// a `let … =`) the schema's tables and let-bound names; after `kind=` that operator's kinds;
/// elsewhere the columns in scope at the cursor (through `project`, `extend`, `summarize` …),
/// let-bound names, functions with their signature (aggregates only inside `summarize`,
/// `make-series`, `top-nested`), then keywords. Inside a comment or string, nothing.
pub fn candidates(
    query: &str,
    offset: usize,
    schema: &super::analysis::Schema,
    recent: &[String],
) -> Vec<Candidate> {
    let offset = floor_boundary(query, offset.min(query.len()));
    let before = &query[..offset];
    let start = word_start(before);
    let word = before[start..].to_lowercase();
    let root = super::syntax::parse(query).syntax();
    let place = place_at(&root, start, offset);
    let mut all: Vec<Candidate> = Vec::new();
    let table = |t: &SchemaTable| {
        Candidate::new(&t.name, Kind::Table, format!("{} columns", t.columns.len()))
    };
    let lets = || {
        let_names(&root, start)
            .into_iter()
            .map(|name| Candidate::new(&name, Kind::Table, "let".to_string()))
    };
    match place {
        Place::Nothing => return Vec::new(),
        Place::Operator => {
            for op in super::language::TABULAR_OPERATORS
                .iter()
                .filter(|o| o.after_pipe)
            {
                let text = match op.name {
                    "sort" | "order" => format!("{} by", op.name),
                    name => name.to_string(),
                };
                all.push(Candidate::new(&text, Kind::Operator, op.doc.to_string()));
            }
        }
        Place::Table => {
            all.extend(lets());
            all.extend(schema.tables().iter().map(table));
        }
        Place::AfterValue => {
            all.extend(
                KEYWORDS
                    .iter()
                    .map(|k| Candidate::new(k, Kind::Keyword, String::new())),
            );
        }
        Place::KindValue(operator) => {
            if let Some(op) = super::language::tabular_operator(&operator) {
                all.extend(
                    op.kind_values
                        .iter()
                        .map(|k| Candidate::new(k, Kind::Keyword, format!("{operator} kind"))),
                );
            }
        }
        Place::JoinSide(right) => {
            if let Some((left_side, right_side)) =
                super::analysis::join_sides_at(&root, start, schema)
            {
                let side = if right { right_side } else { left_side };
                all.extend(
                    side.iter().map(|(name, kql_type)| {
                        Candidate::new(name, Kind::Column, kql_type.clone())
                    }),
                );
            }
        }
        Place::Expression { .. } => {
            let aggregates = matches!(place, Place::Expression { aggregates: true });
            let columns = super::analysis::columns_at(&root, start, schema).unwrap_or_default();
            all.extend(
                columns
                    .iter()
                    .map(|(name, kql_type)| Candidate::new(name, Kind::Column, kql_type.clone())),
            );
            all.extend(
                let_names(&root, start)
                    .into_iter()
                    .map(|name| Candidate::new(&name, Kind::Column, "let".to_string())),
            );
            let mut seen = std::collections::HashSet::new();
            let mut functions: Vec<&super::language::Function> =
                super::language::functions().iter().collect();
            functions.sort_by(|a, b| a.name.cmp(&b.name));
            for function in functions {
                let wanted = match function.kind {
                    super::language::FunctionKind::Scalar => true,
                    super::language::FunctionKind::Aggregate => aggregates,
                    super::language::FunctionKind::Plugin => false,
                };
                if wanted && seen.insert(function.name.as_str()) {
                    all.push(Candidate {
                        text: function.name.clone(),
                        insert: format!("{}(", function.name),
                        kind: Kind::Function,
                        detail: function.signature_text(0),
                    });
                }
            }
            all.extend(
                KEYWORDS
                    .iter()
                    .map(|k| Candidate::new(k, Kind::Keyword, String::new())),
            );
        }
    }
    rank(all, &word, recent)
}

/// A string literal being typed where a column's value goes (`FileName == "pow‸`,
/// `Col in ("a", "b‸`): which column, what is typed inside the quotes so far, where the content
/// starts (a byte offset of the query) and how a value must be written there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueSlot {
    pub column: String,
    pub typed: String,
    pub content_start: usize,
    /// The quote character (`'` or `"`).
    pub quote: char,
    /// `@'…'`: backslashes are plain and the quote is doubled.
    pub verbatim: bool,
    /// The literal has no closing quote yet (one is added with the value).
    pub open: bool,
}

impl ValueSlot {
    /// `value` as the literal's content, escaped for its kind of literal, and the closing quote
    /// when the literal has none yet.
    pub fn insertion(&self, value: &str) -> String {
        let mut text = String::with_capacity(value.len() + 2);
        for ch in value.chars() {
            match ch {
                c if c == self.quote && self.verbatim => {
                    text.push(c);
                    text.push(c);
                }
                c if (c == self.quote || c == '\\') && !self.verbatim => {
                    text.push('\\');
                    text.push(c);
                }
                '\n' if !self.verbatim => text.push_str("\\n"),
                '\t' if !self.verbatim => text.push_str("\\t"),
                c => text.push(c),
            }
        }
        if self.open {
            text.push(self.quote);
        }
        text
    }
}

/// The value slot at byte `offset` of `query`, when the cursor is inside a string literal
/// compared with a column (`==`, `!=`, `=~`, `has`, `contains`, `startswith` …, or an `in`
/// list), the column written as a plain or bracketed name.
pub fn value_slot(query: &str, offset: usize) -> Option<ValueSlot> {
    use super::syntax::SyntaxKind::*;
    let offset = floor_boundary(query, offset.min(query.len()));
    let root = super::syntax::parse(query).syntax();
    let at = rowan::TextSize::try_from(offset).ok()?;
    let token = root.token_at_offset(at).left_biased()?;
    if !matches!(token.kind(), STRING | UNKNOWN) || token.text_range().start() >= at {
        return None;
    }
    let text = token.text();
    let start = usize::from(token.text_range().start());
    // The prefix before the quote: `@`, `h`, `H`, `h@`.
    let quote_at = text.find(['\'', '"'])?;
    let prefix = &text[..quote_at];
    if !prefix.chars().all(|c| matches!(c, '@' | 'h' | 'H')) {
        return None;
    }
    let quote = text[quote_at..].chars().next()?;
    let content_start = start + quote_at + 1;
    if offset < content_start {
        return None;
    }
    let closed = token.kind() == STRING;
    if closed && offset >= usize::from(token.text_range().end()) {
        return None;
    }
    // The literal's node, then the comparison or list it stands in.
    let literal = token.parent()?;
    let mut holder = literal.parent()?;
    if holder.kind() == ARG_LIST {
        holder = holder.parent()?;
    }
    if !matches!(holder.kind(), BIN_EXPR | IN_EXPR) {
        return None;
    }
    let column = holder.children().next()?;
    if column == literal {
        return None;
    }
    let column = match column.kind() {
        NAME_REF => column.text().to_string(),
        BRACKET_NAME => {
            let name = column.children_with_tokens().find(|e| e.kind() == STRING)?;
            let quoted = name.to_string();
            quoted.get(1..quoted.len().saturating_sub(1))?.to_string()
        }
        _ => return None,
    };
    Some(ValueSlot {
        column,
        typed: query[content_start..offset].to_string(),
        content_start,
        quote,
        verbatim: prefix.contains('@'),
        open: !closed,
    })
}

/// Orders candidates: prefix matches, then names containing the word, then in-order letter
/// matches; within each, recently used ones first (newest first), then the order they were
/// offered in.
fn rank(all: Vec<Candidate>, word: &str, recent: &[String]) -> Vec<Candidate> {
    // (match group, recency, letter fit, offered order, candidate)
    type Ranked = (u8, usize, (usize, usize), usize, Candidate);
    let mut ranked: Vec<Ranked> = all
        .into_iter()
        .enumerate()
        .filter_map(|(order, c)| {
            let text = c.text.to_lowercase();
            let (group, fit) = if text.starts_with(word) {
                (0, (0, 0))
            } else if text.contains(word) {
                (1, (0, 0))
            } else {
                // Letters in order: fewer letters away from word starts, then shorter names
                // first (`pcl`: ProcessCommandLine before pack_all; `DevPro`:
                // DeviceProcessEvents before DeviceBaselineComplianceProfiles).
                (2, (stray_letters(word, &c.text)?, text.len()))
            };
            let used = recent
                .iter()
                .position(|r| *r == c.text)
                .unwrap_or(usize::MAX);
            Some((group, used, fit, order, c))
        })
        .collect();
    ranked.sort_by_key(|(group, used, fit, order, _)| (*group, *used, *fit, *order));
    let mut seen = std::collections::HashSet::new();
    ranked
        .into_iter()
        .map(|(_, _, _, _, c)| c)
        .filter(|c| seen.insert((c.text.clone(), c.kind)))
        .collect()
}

/// When the letters of `word` (lower case) appear in `name` in order (`pcl` in
/// `ProcessCommandLine`), how many of them land neither right after the previous one nor at the
/// start of a word of the name (`Process`, `Command`, `Line`; after `_` or `-`); `None` when they
/// do not appear. Each letter takes the next letter of the name when it fits, else the next
/// word start, else the next occurrence.
fn stray_letters(word: &str, name: &str) -> Option<usize> {
    let chars: Vec<char> = name.chars().collect();
    let starts_word = |at: usize| {
        at == 0
            || matches!(chars[at - 1], '_' | '-')
            || (chars[at].is_uppercase() && chars[at - 1].is_lowercase())
    };
    let same = |at: usize, w: char| chars[at].to_lowercase().eq(std::iter::once(w));
    let mut next = 0;
    let mut stray = 0;
    for (index, w) in word.chars().enumerate() {
        let at = if index > 0 && next < chars.len() && same(next, w) {
            next
        } else if let Some(at) = (next..chars.len()).find(|&at| starts_word(at) && same(at, w)) {
            at
        } else {
            stray += 1;
            (next..chars.len()).find(|&at| same(at, w))?
        };
        next = at + 1;
    }
    Some(stray)
}

fn floor_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// What the tree says may be typed at the word starting at `start` (the cursor at `offset`).
fn place_at(root: &super::syntax::SyntaxNode, start: usize, offset: usize) -> Place {
    use super::syntax::SyntaxKind::*;
    let Ok(at) = rowan::TextSize::try_from(offset) else {
        return Place::Nothing;
    };
    // Inside a comment or a string (an unterminated one runs to the end of its line).
    if let Some(token) = root.token_at_offset(at).left_biased() {
        let inside = token.text_range().start() < at
            && (at < token.text_range().end()
                || token.kind() == UNKNOWN
                || token.kind() == COMMENT);
        if inside && matches!(token.kind(), COMMENT | STRING | UNKNOWN) {
            let text = token.text();
            let closed = token.kind() == STRING && at == token.text_range().end() && text.len() > 1;
            if !closed {
                return Place::Nothing;
            }
        }
    }
    // The significant token before the word.
    let Ok(word_at) = rowan::TextSize::try_from(start) else {
        return Place::Nothing;
    };
    let previous = root
        .token_at_offset(word_at)
        .left_biased()
        .filter(|t| t.text_range().end() <= word_at)
        .or_else(|| root.token_at_offset(word_at).left_biased())
        .and_then(|t| {
            let mut token = Some(t);
            while let Some(t) = token.clone() {
                if !t.kind().is_trivia() && t.text_range().end() <= word_at {
                    return Some(t);
                }
                token = t.prev_token();
            }
            None
        });
    let Some(previous) = previous else {
        return Place::Table;
    };
    let operator_of = |token: &super::syntax::SyntaxToken| {
        token
            .parent_ancestors()
            .find(|n| n.kind() == OPERATOR)
            .and_then(|op| op.children().find(|c| c.kind() == OPERATOR_NAME))
            .map(|name| name.text().to_string())
    };
    // Right after `join kind=inner`: the parameters are done, the table comes.
    let ends_parameter = previous
        .parent_ancestors()
        .find(|n| n.kind() == OPERATOR_PARAM)
        .is_some_and(|param| param.last_token().is_some_and(|last| last == previous));
    if ends_parameter
        && previous.kind() != ASSIGN
        && matches!(
            operator_of(&previous).as_deref(),
            Some("join" | "lookup" | "union")
        )
    {
        return Place::Table;
    }
    // Right after a value (`take 3 ‸`, `f(x) ‸`) only a keyword can follow (`by`, `and` …).
    if start == offset
        && matches!(
            previous.kind(),
            INT | REAL | TIMESPAN | STRING | R_PAREN | R_BRACKET
        )
    {
        return Place::AfterValue;
    }
    match previous.kind() {
        PIPE => return Place::Operator,
        SEMI => return Place::Table,
        DOT => {
            let side = previous.prev_token().map(|t| t.text().to_string());
            if matches!(side.as_deref(), Some("$left" | "$right")) {
                return Place::JoinSide(side.as_deref() == Some("$right"));
            }
        }
        ASSIGN => {
            let parent = previous.parent();
            if parent.as_ref().is_some_and(|p| p.kind() == LET_STMT) {
                return Place::Table;
            }
            if parent.as_ref().is_some_and(|p| p.kind() == OPERATOR_PARAM) {
                let name = parent
                    .as_ref()
                    .and_then(|p| p.first_token())
                    .map(|t| t.text().to_string());
                if matches!(name.as_deref(), Some("kind" | "bagexpansion")) {
                    return Place::KindValue(operator_of(&previous).unwrap_or_default());
                }
            }
        }
        IDENT if previous.parent().is_some_and(|p| p.kind() == OPERATOR_NAME) => {
            if matches!(previous.text(), "join" | "lookup" | "union") {
                return Place::Table;
            }
        }
        L_PAREN | COMMA => {
            let operator = operator_of(&previous);
            let direct = previous
                .parent()
                .is_some_and(|p| p.kind() == OPERATOR || p.kind() == PAREN_EXPR);
            if direct && matches!(operator.as_deref(), Some("join" | "lookup" | "union")) {
                return Place::Table;
            }
        }
        _ => {}
    }
    let aggregates = operator_of(&previous).is_some_and(|name| {
        matches!(
            name.as_str(),
            "summarize" | "make-series" | "top-nested" | "top-hitters"
        )
    });
    Place::Expression { aggregates }
}

/// The names bound by `let` statements before `offset` (scalars, tabular values, functions).
fn let_names(root: &super::syntax::SyntaxNode, offset: usize) -> Vec<String> {
    use super::syntax::SyntaxKind::*;
    root.descendants()
        .filter(|n| n.kind() == LET_STMT && usize::from(n.text_range().start()) < offset)
        .filter_map(|n| {
            n.children_with_tokens()
                .filter(|e| !e.kind().is_trivia())
                .nth(1)
                .map(|e| e.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::analysis::Schema;
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

    /// The candidates' names at `‸` in `query`.
    fn texts(query: &str) -> Vec<String> {
        found(query).into_iter().map(|c| c.text).collect()
    }

    fn found(query: &str) -> Vec<Candidate> {
        let offset = query.find('‸').expect("a cursor mark");
        candidates(
            &query.replace('‸', ""),
            offset,
            &Schema::new(&schema()),
            &[],
        )
    }

    #[test]
    fn tables_at_the_start_operators_after_a_pipe() {
        assert_eq!(texts("Dev‸"), ["DeviceProcessEvents", "DeviceInfo"]);
        let after_pipe = texts("DeviceInfo | su‸");
        assert_eq!(after_pipe[0], "summarize", "{after_pipe:?}");
        assert!(texts("T\n| ‸").contains(&"where".to_string()));
        assert!(texts("T\n| ‸").contains(&"mv-expand".to_string()));
        assert_eq!(texts("T | join (Devi‸")[0], "DeviceProcessEvents");
        assert_eq!(texts("T | join kind=inner Devi‸")[0], "DeviceProcessEvents");
        assert_eq!(texts("union DeviceInfo, Devi‸")[0], "DeviceProcessEvents");
        assert_eq!(texts("let x = 1;\nDevi‸")[0], "DeviceProcessEvents");
        let lets = texts("let Recent = DeviceInfo | take 5;\nRe‸");
        assert_eq!(lets[0], "Recent", "let-bound tables come first: {lets:?}");
    }

    #[test]
    fn earlier_results_complete_with_their_dollar() {
        let mut tables = schema();
        for name in ["$last", "$1", "$2"] {
            tables.push(SchemaTable {
                name: name.into(),
                columns: vec![("Logons".into(), "long".into())],
            });
        }
        let schema = Schema::new(&tables);
        let at_end = |query: &str| -> Vec<String> {
            candidates(query, query.len(), &schema, &[])
                .into_iter()
                .map(|c| c.text)
                .collect()
        };
        // The `$` belongs to the word: completing `$la` gives `$last`, not `$$last`.
        assert_eq!(word_start("T | join ($la"), 10);
        assert_eq!(word_start("$"), 0);
        assert_eq!(at_end("$la"), ["$last"]);
        let all = at_end("DeviceInfo | join ($");
        assert_eq!(&all[..3], ["$last", "$1", "$2"], "{all:?}");
        assert_eq!(at_end("$last | where Lo")[0], "Logons");
    }

    #[test]
    fn columns_in_scope_flow_through_the_operators() {
        let found = texts("DeviceProcessEvents | where F‸");
        assert_eq!(found[0], "FileName");
        assert!(!found.contains(&"OSPlatform".to_string()), "{found:?}");
        // After a project only what it kept (and what extend added) is in scope.
        let found = texts("DeviceProcessEvents | project FileName | extend Upper = 1 | where ‸");
        assert_eq!(&found[..2], ["FileName", "Upper"], "{found:?}");
        assert!(!found.contains(&"Timestamp".to_string()), "{found:?}");
        let details = found_detail("DeviceProcessEvents | project Proc‸");
        assert_eq!(
            details,
            ("ProcessCommandLine".to_string(), "string".to_string())
        );
        // A word's letters in order match too, after prefix matches.
        let found = texts("DeviceProcessEvents | project pcl‸");
        assert_eq!(found[0], "ProcessCommandLine", "{found:?}");
    }

    fn found_detail(query: &str) -> (String, String) {
        let first = found(query).into_iter().next().expect("a candidate");
        (first.text, first.detail)
    }

    #[test]
    fn functions_carry_their_signature_and_aggregates_stay_in_summarize() {
        let found = found("DeviceProcessEvents | where tolow‸");
        let tolower = found.iter().find(|c| c.text == "tolower").expect("tolower");
        assert_eq!(tolower.insert, "tolower(");
        assert!(tolower.detail.starts_with("tolower("), "{tolower:?}");
        assert!(!texts("DeviceProcessEvents | where dcoun‸").contains(&"dcount".to_string()));
        assert!(texts("DeviceProcessEvents | summarize dcoun‸").contains(&"dcount".to_string()));
    }

    #[test]
    fn kind_values_join_sides_and_quoting() {
        let kinds = texts("T | join kind=‸");
        assert!(kinds.contains(&"leftouter".to_string()), "{kinds:?}");
        assert!(!kinds.contains(&"FileName".to_string()), "{kinds:?}");
        let odd = vec![SchemaTable {
            name: "T".into(),
            columns: vec![
                ("odd name".into(), "string".into()),
                ("it's".into(), "long".into()),
            ],
        }];
        let found = candidates("T | where od", 12, &Schema::new(&odd), &[]);
        assert_eq!(found[0].insert, "['odd name']");
        let found = candidates("T | where it", 12, &Schema::new(&odd), &[]);
        assert_eq!(found[0].insert, "['it\\'s']");
    }

    fn slot(query: &str) -> Option<ValueSlot> {
        let offset = query.find('‸').expect("a cursor mark");
        value_slot(&query.replace('‸', ""), offset)
    }

    #[test]
    fn a_string_compared_with_a_column_is_a_value_slot() {
        let found = slot("T | where FileName == \"pow‸").expect("a slot");
        assert_eq!(
            (
                found.column.as_str(),
                found.typed.as_str(),
                found.quote,
                found.open
            ),
            ("FileName", "pow", '"', true)
        );
        assert_eq!(found.insertion("a\"b\\c"), "a\\\"b\\\\c\"");
        let found = slot("T | where ['File Name'] =~ @'C:\\‸x'").expect("verbatim");
        assert_eq!(
            (found.column.as_str(), found.verbatim, found.open),
            ("File Name", true, false)
        );
        assert_eq!(found.insertion("it's"), "it''s");
        let found = slot("T | where Account in~ ('a', 'b‸").expect("an in list");
        assert_eq!(
            (found.column.as_str(), found.typed.as_str()),
            ("Account", "b")
        );
        assert!(slot("T | where FileName has 'x‸'").is_some());
        assert_eq!(slot("T | where strlen('ab‸') > 1"), None);
        assert_eq!(slot("T | where 'x‸' == FileName"), None);
        assert_eq!(slot("T | extend a = 'x‸'"), None);
        assert_eq!(slot("// FileName == 'x‸"), None);
    }

    #[test]
    fn dollar_left_and_right_offer_their_own_side() {
        let left = texts("DeviceProcessEvents | join (DeviceInfo) on $left.‸");
        assert!(left.contains(&"FileName".to_string()), "{left:?}");
        assert!(!left.contains(&"OSPlatform".to_string()), "{left:?}");
        let right = texts("DeviceProcessEvents | join (DeviceInfo) on $left.FileName == $right.‸");
        assert_eq!(right, ["OSPlatform"]);
    }

    #[test]
    fn letters_at_word_starts_rank_first_and_after_a_value_only_keywords() {
        let tables = vec![
            SchemaTable {
                name: "DeviceBaselineComplianceProfiles".into(),
                columns: vec![],
            },
            SchemaTable {
                name: "DeviceProcessEvents".into(),
                columns: vec![],
            },
        ];
        let found = candidates("DevPro", 6, &Schema::new(&tables), &[]);
        assert_eq!(found[0].text, "DeviceProcessEvents", "{found:?}");
        let after = texts("DeviceInfo | take 3 ‸");
        assert!(after.contains(&"by".to_string()) || after.contains(&"and".to_string()));
        assert!(!after.iter().any(|t| t == "log10"), "{after:?}");
        assert_eq!(stray_letters("pcl", "ProcessCommandLine"), Some(0));
        assert_eq!(stray_letters("pcl", "pack_all"), Some(2));
        assert_eq!(stray_letters("xyz", "pack_all"), None);
    }

    #[test]
    fn recently_used_first_and_nothing_in_comments_or_strings() {
        let recent = vec!["Timestamp".to_string()];
        let query = "DeviceProcessEvents | where ";
        let ranked = candidates(query, query.len(), &Schema::new(&schema()), &recent);
        assert_eq!(ranked[0].text, "Timestamp");
        assert!(texts("T | where x == \"pow‸").is_empty());
        assert!(texts("// Dev‸").is_empty());
        assert!(texts("T | where p == @\"C:\\Temp\\ Dev‸").is_empty());
        assert!(texts("T | where p == ```a Dev‸").is_empty());
        assert!(!texts("DeviceProcessEvents | where p == @\"C:\\\" and Fi‸").is_empty());
        assert!(!texts("DeviceProcessEvents | where x == \"a\" and Fi‸").is_empty());
    }

    #[test]
    fn the_word_being_typed_is_found_from_the_end() {
        assert_eq!(word_start("T | project-aw"), 4);
        assert_eq!(word_start("x == "), 5);
        assert_eq!(word_start(""), 0);
    }
}
