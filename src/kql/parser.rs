//! A resilient recursive-descent parser: it always returns a tree plus diagnostics. When an
//! operator cannot be read it records why, skips to the next `|` and carries on, so completion,
//! highlighting and error reporting work on half-written queries.
//!
//! Diagnostics are syntax errors only: valid KQL that the local engine cannot run yet becomes an
//! `Unsupported` node, so that a valid query always parses cleanly. Nesting is bounded
//! (`MAX_DEPTH` open brackets or calls, `ast::MAX_EXPR_DEPTH` tree levels) and `and`/`or` chains
//! are flat, so no input can exhaust the stack.

use super::ast::*;
use super::lexer::{Token, TokenKind, lex};
use super::{Diagnostic, Span, time};

/// Tabular operators and sources of the language that this parser knows by name but does not
/// read yet. A query using one is still valid KQL: the parser keeps an `Unsupported` node (no
/// diagnostic) and the local engine refuses it by name. (Microsoft Graph would run it.)
const NOT_YET_SUPPORTED: &[&str] = &[
    "join",
    "union",
    "lookup",
    "mv-expand",
    "mvexpand",
    "mv-apply",
    "parse",
    "parse-where",
    "parse-kv",
    "make-series",
    "evaluate",
    "as",
    "serialize",
    "top-nested",
    "top-hitters",
    "getschema",
    "invoke",
    "scan",
    "sample",
    "sample-distinct",
    "fork",
    "facet",
    "partition",
    "project-keep",
    "project-reorder",
    "externaldata",
    "find",
    "search",
    "print",
    "range",
    "datatable",
    "consume",
    "reduce",
    "mvapply",
    "make-graph",
    "graph-match",
    "macro-expand",
    "assert-schema",
];

const MAX_DEPTH: usize = 100;

/// The visualizations `render` takes (render-operator.md, "Visualization"; the union of what
/// Azure Data Explorer, Fabric, Azure Monitor and Sentinel document).
pub const RENDER_VISUALIZATIONS: &[&str] = &[
    "anomalychart",
    "areachart",
    "barchart",
    "card",
    "columnchart",
    "ladderchart",
    "linechart",
    "piechart",
    "pivotchart",
    "scatterchart",
    "stackedareachart",
    "table",
    "timechart",
    "timepivot",
    "treemap",
];

/// What a render property's value looks like (render-operator.md, "Supported properties").
#[derive(Debug, Clone, Copy)]
enum RenderShape {
    /// A string, or a bare word.
    Text,
    /// One column name.
    Column,
    /// A comma-separated list of column names.
    Columns,
    /// One of these words.
    Word(&'static [&'static str]),
    Number,
    Bool,
}

/// Every documented render property and the shape of its value.
const RENDER_PROPERTIES: &[(&str, RenderShape)] = &[
    ("accumulate", RenderShape::Bool),
    ("anomalycolumns", RenderShape::Columns),
    (
        "kind",
        RenderShape::Word(&["default", "unstacked", "stacked", "stacked100", "map"]),
    ),
    ("legend", RenderShape::Word(&["visible", "hidden"])),
    ("series", RenderShape::Columns),
    ("title", RenderShape::Text),
    ("xaxis", RenderShape::Word(&["linear", "log"])),
    ("xcolumn", RenderShape::Column),
    ("xtitle", RenderShape::Text),
    ("yaxis", RenderShape::Word(&["linear", "log"])),
    ("ycolumns", RenderShape::Columns),
    ("ymax", RenderShape::Number),
    ("ymin", RenderShape::Number),
    ("ysplit", RenderShape::Word(&["none", "axes", "panels"])),
    ("ytitle", RenderShape::Text),
];

pub fn parse(source: &str) -> (Query, Vec<Diagnostic>) {
    let (tokens, diagnostics) = lex(source);
    let mut parser = Parser {
        src: source,
        tokens,
        pos: 0,
        diagnostics,
        depth: 0,
        too_deep: false,
        body_pipeline: false,
    };
    let query = parser.query();
    let mut diagnostics = parser.diagnostics;
    diagnostics.sort_by_key(|d| d.span.start);
    (query, diagnostics)
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    diagnostics: Vec<Diagnostic>,
    depth: usize,
    /// An expression over `MAX_EXPR_DEPTH` was reported (once is enough).
    too_deep: bool,
    /// The next pipeline read is the query's result (the only place `render` may end).
    body_pipeline: bool,
}

impl Parser<'_> {
    // ---- token helpers -------------------------------------------------------------------

    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_at(&self, ahead: usize) -> &Token {
        &self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)]
    }

    fn kind(&self) -> &TokenKind {
        &self.peek().kind
    }

    fn text(&self, token: &Token) -> &str {
        &self.src[token.span.start..token.span.end]
    }

    fn peek_text(&self) -> &str {
        self.text(self.peek())
    }

    fn at_word(&self, word: &str) -> bool {
        self.peek().kind == TokenKind::Ident && self.peek_text() == word
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        if self.kind() == kind {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.at_word(word) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn prev_end(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.tokens[self.pos - 1].span.end
        }
    }

    fn error_here(&mut self, message: impl Into<String>) {
        let span = self.peek().span;
        let message = message.into();
        let found = self.describe(self.peek());
        self.diagnostics
            .push(Diagnostic::new(span, format!("{message}, found {found}")));
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> bool {
        if self.eat(&kind) {
            true
        } else {
            self.error_here(format!("expected {what}"));
            false
        }
    }

    fn describe(&self, token: &Token) -> String {
        match &token.kind {
            TokenKind::Eof => "end of query".to_string(),
            TokenKind::Unknown => "an unreadable token".to_string(),
            TokenKind::Str(_) => "a string".to_string(),
            _ => {
                let text: String = self.text(token).chars().take(40).collect();
                format!("'{}'", text.escape_debug())
            }
        }
    }

    /// Skips to where the next operator or statement can start: a `|`, `;`, or a `)` that closes
    /// a parenthesis opened before the skipped part.
    fn recover(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.kind() {
                TokenKind::Eof => return,
                TokenKind::Pipe | TokenKind::Semi if depth == 0 => return,
                TokenKind::RParen if depth == 0 => return,
                TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => depth += 1,
                TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                    depth = depth.saturating_sub(1)
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// An identifier or a bracketed name (`['My Column']`).
    fn ident(&mut self, what: &str) -> Option<Ident> {
        let token = self.peek().clone();
        match token.kind {
            TokenKind::Ident => {
                self.bump();
                Some(Ident {
                    name: self.text(&token).to_string(),
                    span: token.span,
                })
            }
            TokenKind::LBracket => {
                if let TokenKind::Str(name) = &self.peek_at(1).kind
                    && self.peek_at(2).kind == TokenKind::RBracket
                {
                    let name = name.clone();
                    self.bump();
                    self.bump();
                    let end = self.bump();
                    return Some(Ident {
                        name,
                        span: token.span.to(end.span),
                    });
                }
                self.error_here(format!("expected {what}"));
                None
            }
            _ => {
                self.error_here(format!("expected {what}"));
                None
            }
        }
    }

    // ---- statements ----------------------------------------------------------------------

    fn query(&mut self) -> Query {
        let mut lets = Vec::new();
        let mut body = None;
        loop {
            while self.eat(&TokenKind::Semi) {}
            if self.kind() == &TokenKind::Eof {
                break;
            }
            let start = self.pos;
            if self.at_word("let") {
                if let Some(statement) = self.let_statement() {
                    lets.push(statement);
                }
            } else if self.at_word("set") || self.at_word("declare") || self.at_word("alias") {
                // Request properties and parameter declarations change nothing the local engine
                // reads; Defender accepts them, so they are skipped, not refused.
                self.recover();
            } else {
                self.body_pipeline = true;
                let pipeline = self.pipeline();
                if let Some(previous) = body.replace(pipeline) {
                    let previous: Pipeline = previous;
                    self.diagnostics.push(Diagnostic::new(
                        previous.span,
                        "a query returns one tabular expression: separate statements with ';' and keep one result",
                    ));
                }
            }
            if !matches!(self.kind(), TokenKind::Semi | TokenKind::Eof) {
                self.error_here("expected ';' or '|'");
                // The rest of a statement that went wrong says nothing reliable: skip to its end.
                while !matches!(self.kind(), TokenKind::Semi | TokenKind::Eof) {
                    self.bump();
                }
            }
            if self.pos == start {
                self.bump();
            }
        }
        if body.is_none() && !lets.is_empty() && self.diagnostics.is_empty() {
            let at = self.src.len();
            self.diagnostics.push(Diagnostic::new(
                Span::new(at, at),
                "the query has no tabular expression after its let statements",
            ));
        }
        // An empty text (or only comments) is a valid, empty script: running it is refused by
        // the engine ("the query is empty"), but it has no syntax error.
        Query {
            lets,
            body,
            span: Span::new(0, self.src.len()),
        }
    }

    fn let_statement(&mut self) -> Option<LetStatement> {
        let start = self.bump().span;
        let name = self.ident("a name after 'let'")?;
        if !self.expect(TokenKind::Assign, "'=' after the let name") {
            self.recover();
            return None;
        }
        let finish = |parser: &Self, value| {
            let end = parser.prev_end();
            Some(LetStatement {
                name: name.clone(),
                value,
                span: start.to(Span::new(end, end)),
            })
        };
        if self.at_word("view") && self.peek_at(1).kind == TokenKind::LParen {
            self.bump();
            self.skip_function_definition();
            return finish(
                self,
                LetValue::Unsupported("a view (let … = view() {…})".into()),
            );
        }
        if self.kind() == &TokenKind::LParen && self.looks_like_function_parameters() {
            self.skip_function_definition();
            return finish(
                self,
                LetValue::Unsupported("a user-defined function (let f = (…) {…})".into()),
            );
        }
        let value_start = self.pos;
        if let Some(pipeline) = self.parenthesised_tabular() {
            return finish(self, LetValue::Tabular(pipeline));
        }
        self.pos = value_start;
        let mut first = self.pos;
        while self.tokens[first].kind == TokenKind::LParen {
            first += 1;
        }
        let first_word = &self.tokens[first.min(self.tokens.len() - 1)];
        let first_text = self.text(first_word);
        if first_word.kind == TokenKind::Ident
            && (NOT_YET_SUPPORTED.contains(&first_text) || first_text == "materialize")
        {
            let value = LetValue::Tabular(self.pipeline());
            return finish(self, value);
        }
        let errors = self.diagnostics.len();
        let expr = self.expr();
        let value = if self.kind() == &TokenKind::Pipe {
            // A tabular let: re-read from the start as a pipeline.
            self.diagnostics.truncate(errors);
            self.pos = value_start;
            LetValue::Tabular(self.pipeline())
        } else {
            LetValue::Scalar(expr)
        };
        finish(self, value)
    }

    /// `let X = (T | where …);`: a parenthesised tabular expression. Tried first and undone when
    /// the parentheses hold a scalar expression: only a reading with a `|` inside, no new
    /// diagnostic, and the statement's end after it counts as tabular.
    fn parenthesised_tabular(&mut self) -> Option<Pipeline> {
        if self.kind() != &TokenKind::LParen {
            return None;
        }
        let (start, errors) = (self.pos, self.diagnostics.len());
        let pipeline = self.pipeline();
        let tabular = self.diagnostics.len() == errors
            && matches!(self.kind(), TokenKind::Semi | TokenKind::Eof)
            && self.tokens[start..self.pos]
                .iter()
                .any(|t| t.kind == TokenKind::Pipe);
        if tabular {
            return Some(pipeline);
        }
        self.diagnostics.truncate(errors);
        self.pos = start;
        None
    }

    /// Skips `(parameters) { body }` of a function or view definition, brackets balanced.
    fn skip_function_definition(&mut self) {
        self.skip_balanced();
        if self.kind() == &TokenKind::LBrace {
            self.skip_balanced();
        } else {
            self.error_here("expected '{' and the function's body");
            self.recover();
        }
    }

    /// Skips one bracketed group starting at the current `(`, `[` or `{`.
    fn skip_balanced(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.kind() {
                TokenKind::Eof => {
                    self.error_here("expected a closing bracket");
                    return;
                }
                TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => depth += 1,
                TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.bump();
                        return;
                    }
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// `(a:string, b:long)` starts a function definition; `(T | where ...)` does not.
    fn looks_like_function_parameters(&self) -> bool {
        let first = &self.peek_at(1).kind;
        *first == TokenKind::RParen
            || (*first == TokenKind::Ident && self.peek_at(2).kind == TokenKind::Colon)
    }

    // ---- tabular ---------------------------------------------------------------------------

    fn pipeline(&mut self) -> Pipeline {
        // Taken before anything nested is read, so that only the query's own result may render.
        let outermost = std::mem::take(&mut self.body_pipeline);
        let start = self.peek().span;
        let source = self.source();
        let mut operators = Vec::new();
        while self.kind() == &TokenKind::Pipe {
            let pipe = self.bump();
            let operator = self.operator(pipe.span);
            operators.push(operator);
        }
        // render-operator.md: "It must be the last operator in your query".
        let last = operators.len().saturating_sub(1);
        for (index, operator) in operators.iter().enumerate() {
            if matches!(operator.kind, OperatorKind::Render(_)) && (index != last || !outermost) {
                let message = if outermost {
                    "render must be the last operator of the query"
                } else {
                    "render must be the last operator of the query, not inside a let or a subquery"
                };
                self.diagnostics
                    .push(Diagnostic::new(operator.span, message));
            }
        }
        Pipeline {
            source,
            operators,
            span: start.to(Span::new(self.prev_end(), self.prev_end())),
        }
    }

    fn source(&mut self) -> Source {
        match self.kind().clone() {
            TokenKind::LParen => {
                if self.depth >= MAX_DEPTH {
                    self.error_here("the query nests too deeply");
                    let span = self.peek().span;
                    self.recover();
                    return Source::Error(span);
                }
                self.bump();
                self.depth += 1;
                let inner = self.pipeline();
                self.depth -= 1;
                self.expect(TokenKind::RParen, "')' to close the nested query");
                Source::Nested(Box::new(inner))
            }
            TokenKind::Ident
                if self.at_word("materialize") && self.peek_at(1).kind == TokenKind::LParen =>
            {
                // `materialize(T)` caches T for reuse; the result is T.
                self.bump();
                self.source()
            }
            TokenKind::Ident | TokenKind::LBracket => {
                let word = self.peek_text().to_string();
                if let Some(construct) = NOT_YET_SUPPORTED.iter().find(|w| **w == word) {
                    // Valid KQL the engine does not run yet: skipped to the next `|`, and the
                    // planner names it.
                    let span = self.peek().span;
                    self.recover();
                    return Source::Unsupported(format!("'{construct}'"), span);
                }
                match self.ident("a table name") {
                    Some(ident) => {
                        if self.kind() == &TokenKind::LParen {
                            let span = ident.span.to(self.peek().span);
                            self.recover();
                            return Source::Unsupported(
                                format!("calling '{}' as a tabular function", ident.name),
                                span,
                            );
                        }
                        Source::Table(ident)
                    }
                    None => Source::Error(self.peek().span),
                }
            }
            _ => {
                let span = self.peek().span;
                self.error_here("expected a table name");
                self.recover();
                Source::Error(span)
            }
        }
    }

    /// Reads an operator name, joining hyphenated names such as `project-away`.
    fn operator_name(&mut self) -> Option<(String, Span)> {
        let token = self.peek().clone();
        if token.kind != TokenKind::Ident {
            return None;
        }
        self.bump();
        let mut name = self.text(&token).to_string();
        let mut span = token.span;
        while self.kind() == &TokenKind::Minus
            && !self.peek().spaced
            && self.peek_at(1).kind == TokenKind::Ident
            && !self.peek_at(1).spaced
        {
            self.bump();
            let part = self.bump();
            name.push('-');
            name.push_str(self.text(&part));
            span = span.to(part.span);
        }
        Some((name, span))
    }

    fn operator(&mut self, pipe: Span) -> Operator {
        let Some((name, name_span)) = self.operator_name() else {
            self.error_here("expected an operator after '|'");
            self.recover();
            return Operator {
                kind: OperatorKind::Error,
                span: pipe,
            };
        };
        let errors_before = self.diagnostics.len();
        let kind = match name.as_str() {
            "where" | "filter" => OperatorKind::Where(self.expr()),
            "project" => OperatorKind::Project(self.named_list(false)),
            "extend" => OperatorKind::Extend(self.named_list(false)),
            "project-away" => OperatorKind::ProjectAway(self.ident_list()),
            "project-rename" => OperatorKind::ProjectRename(self.rename_list()),
            "take" | "limit" => OperatorKind::Take(self.expr()),
            "sort" | "order" => {
                if self.eat_word("by") {
                    OperatorKind::Sort(self.sort_keys())
                } else {
                    self.error_here(format!("expected 'by' after '{name}'"));
                    OperatorKind::Error
                }
            }
            "top" => {
                let count = self.expr();
                if self.eat_word("by") {
                    OperatorKind::Top {
                        count,
                        key: self.sort_key(),
                    }
                } else {
                    self.error_here("expected 'by' after the number of rows of 'top'");
                    OperatorKind::Error
                }
            }
            "count" => OperatorKind::Count,
            "summarize" => self.summarize(),
            "distinct" => OperatorKind::Distinct(self.named_list(true)),
            "render" => self.render(),
            other if NOT_YET_SUPPORTED.contains(&other) => {
                // Valid KQL the engine does not run yet: the planner names it. `join` and
                // `lookup` are read for their shape (so what follows them is checked); other
                // operators' arguments are skipped to the next `|` outside brackets.
                if matches!(other, "join" | "lookup") {
                    self.skip_join();
                } else {
                    self.recover();
                }
                OperatorKind::Unsupported(Ident {
                    name: other.to_string(),
                    span: name_span,
                })
            }
            other => {
                self.diagnostics.push(Diagnostic::new(
                    name_span,
                    format!("unknown operator '{}'", other.escape_debug()),
                ));
                OperatorKind::Error
            }
        };
        if self.diagnostics.len() > errors_before {
            self.recover();
        } else if self.kind() == &TokenKind::Assign {
            let span = self.peek().span;
            self.diagnostics.push(Diagnostic::new(
                span,
                "'=' names a column; to compare, use '=='",
            ));
            self.recover();
        } else if !matches!(
            self.kind(),
            TokenKind::Pipe | TokenKind::Semi | TokenKind::Eof | TokenKind::RParen
        ) {
            self.error_here(format!("unexpected text after the '{name}' operator"));
            self.recover();
        }
        Operator {
            kind,
            span: pipe.to(Span::new(self.prev_end(), self.prev_end())),
        }
    }

    /// `join`/`lookup`: `[Param=Value …] RightTable|(subquery) on Key [, Key …]`
    /// (join-operator.md). The keys are read as expressions (`$left.A == $right.B`).
    fn skip_join(&mut self) {
        // Parameters: `kind=inner`, `hint.strategy=shuffle`, `withsource=X`.
        while self.kind() == &TokenKind::Ident
            && matches!(self.peek_at(1).kind, TokenKind::Assign | TokenKind::Dot)
        {
            while !matches!(
                self.kind(),
                TokenKind::Assign | TokenKind::Eof | TokenKind::Pipe
            ) {
                self.bump();
            }
            if self.eat(&TokenKind::Assign) {
                self.bump();
            }
        }
        match self.kind() {
            TokenKind::LParen => self.skip_balanced(),
            TokenKind::Ident | TokenKind::LBracket => {
                self.ident("the table to join");
                if self.kind() == &TokenKind::LParen {
                    self.skip_balanced();
                }
            }
            _ => {
                self.error_here("expected the table or subquery to join");
                return;
            }
        }
        if !self.eat_word("on") {
            // `lookup` and `join` need keys; so does Kusto.
            self.error_here("expected 'on' and the columns to join on");
            return;
        }
        loop {
            self.expr();
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
    }

    /// `render Visualization [with (Name = Value [, …])]` (render-operator.md). The parentheses
    /// are optional: the documentation also shows `with anomalycolumns=anomalies`.
    fn render(&mut self) -> OperatorKind {
        let token = self.peek().clone();
        if token.kind != TokenKind::Ident {
            self.error_here("expected a visualization after 'render' (timechart, columnchart, …)");
            return OperatorKind::Error;
        }
        let name = self.text(&token).to_string();
        if !RENDER_VISUALIZATIONS.contains(&name.as_str()) {
            self.diagnostics.push(Diagnostic::new(
                token.span,
                format!(
                    "unknown visualization '{}' (render takes {})",
                    name.escape_debug(),
                    RENDER_VISUALIZATIONS.join(", ")
                ),
            ));
            return OperatorKind::Error;
        }
        self.bump();
        let visualization = Ident {
            name,
            span: token.span,
        };
        let mut properties = Vec::new();
        if self.eat_word("with") {
            let parenthesised = self.eat(&TokenKind::LParen);
            loop {
                if parenthesised && self.kind() == &TokenKind::RParen {
                    break;
                }
                match self.render_property() {
                    Some(property) => properties.push(property),
                    None => return OperatorKind::Error,
                }
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
            if parenthesised
                && !self.expect(TokenKind::RParen, "')' to close the render properties")
            {
                return OperatorKind::Error;
            }
        }
        OperatorKind::Render(Render {
            visualization,
            properties,
        })
    }

    /// One `Name = Value` of `render … with (…)`; `None` after a diagnostic.
    fn render_property(&mut self) -> Option<RenderProperty> {
        let token = self.peek().clone();
        if token.kind != TokenKind::Ident {
            self.error_here("expected a render property (title, xcolumn, ycolumns, series, …)");
            return None;
        }
        let name = self.text(&token).to_string();
        let Some((_, shape)) = RENDER_PROPERTIES.iter().find(|(n, _)| *n == name) else {
            let known: Vec<&str> = RENDER_PROPERTIES.iter().map(|(n, _)| *n).collect();
            self.diagnostics.push(Diagnostic::new(
                token.span,
                format!(
                    "unknown render property '{}' (known: {})",
                    name.escape_debug(),
                    known.join(", ")
                ),
            ));
            return None;
        };
        let shape = *shape;
        self.bump();
        let name = Ident {
            name,
            span: token.span,
        };
        if !self.expect(TokenKind::Assign, "'=' after the render property") {
            return None;
        }
        let value_token = self.peek().clone();
        let value = match shape {
            RenderShape::Text => match &value_token.kind {
                TokenKind::Str(text) => {
                    let mut text = text.clone();
                    self.bump();
                    // Adjacent string literals concatenate, as everywhere in KQL.
                    while let TokenKind::Str(next) = &self.peek().kind {
                        text.push_str(next);
                        self.bump();
                    }
                    RenderValue::Text(text)
                }
                TokenKind::Ident => {
                    self.bump();
                    RenderValue::Text(self.text(&value_token).to_string())
                }
                _ => {
                    self.error_here(format!("expected a string for '{}'", name.name));
                    return None;
                }
            },
            RenderShape::Column => RenderValue::Text(self.ident("a column name")?.name),
            RenderShape::Columns => {
                let mut columns = vec![self.ident("a column name")?];
                // `ycolumns=a, b`: a name after a comma continues the list unless an `=`
                // follows it (then it is the next property).
                while self.kind() == &TokenKind::Comma {
                    let next_is_property = match self.peek_at(1).kind {
                        TokenKind::Ident => self.peek_at(2).kind == TokenKind::Assign,
                        TokenKind::LBracket => self.peek_at(4).kind == TokenKind::Assign,
                        _ => true,
                    };
                    if next_is_property {
                        break;
                    }
                    self.bump();
                    columns.push(self.ident("a column name")?);
                }
                RenderValue::Columns(columns)
            }
            RenderShape::Word(words) => {
                let word = self.text(&value_token).to_string();
                if value_token.kind != TokenKind::Ident || !words.contains(&word.as_str()) {
                    self.diagnostics.push(Diagnostic::new(
                        value_token.span,
                        format!(
                            "'{}' takes {}, not {}",
                            name.name,
                            words.join(", "),
                            self.describe(&value_token)
                        ),
                    ));
                    return None;
                }
                self.bump();
                RenderValue::Text(word)
            }
            RenderShape::Number => {
                let negative = self.eat(&TokenKind::Minus);
                let number = match self.peek().kind {
                    TokenKind::Int(v) => v as f64,
                    TokenKind::Real(v) => v,
                    _ => {
                        self.error_here(format!("expected a number for '{}'", name.name));
                        return None;
                    }
                };
                self.bump();
                RenderValue::Number(if negative { -number } else { number })
            }
            RenderShape::Bool => match self.text(&value_token) {
                "true" if value_token.kind == TokenKind::Ident => {
                    self.bump();
                    RenderValue::Bool(true)
                }
                "false" if value_token.kind == TokenKind::Ident => {
                    self.bump();
                    RenderValue::Bool(false)
                }
                _ => {
                    self.error_here(format!("expected true or false for '{}'", name.name));
                    return None;
                }
            },
        };
        let span = name.span.to(Span::new(self.prev_end(), self.prev_end()));
        Some(RenderProperty { name, value, span })
    }

    fn summarize(&mut self) -> OperatorKind {
        // Hints such as `hint.strategy=shuffle` change nothing for us.
        while self.peek_text().starts_with("hint")
            && self.kind() == &TokenKind::Ident
            && self.peek_at(1).kind == TokenKind::Dot
        {
            self.bump();
            self.bump();
            self.bump();
            self.expect(TokenKind::Assign, "'=' after a hint");
            self.bump();
        }
        let aggregates = if self.at_word("by") {
            Vec::new()
        } else {
            self.named_list(false)
        };
        let by = if self.eat_word("by") {
            self.named_list(false)
        } else {
            Vec::new()
        };
        if aggregates.is_empty() && by.is_empty() {
            self.error_here("expected aggregates or 'by' after 'summarize'");
        }
        OperatorKind::Summarize { aggregates, by }
    }

    fn named_list(&mut self, allow_star: bool) -> Vec<NamedExpr> {
        let mut items = Vec::new();
        loop {
            if allow_star && self.kind() == &TokenKind::Star {
                let token = self.bump();
                items.push(NamedExpr {
                    name: None,
                    names: Vec::new(),
                    expr: Expr::new(ExprKind::Star, token.span),
                });
            } else {
                items.push(self.named_expr());
            }
            if !self.eat(&TokenKind::Comma) {
                return items;
            }
        }
    }

    fn named_expr(&mut self) -> NamedExpr {
        let is_assignment = match self.kind() {
            TokenKind::Ident => self.peek_at(1).kind == TokenKind::Assign,
            TokenKind::LBracket => {
                self.peek_at(3).kind == TokenKind::Assign
                    && matches!(self.peek_at(1).kind, TokenKind::Str(_))
            }
            TokenKind::LParen => return self.tuple_named_expr(),
            _ => false,
        };
        let name = if is_assignment {
            let name = self.ident("a column name");
            self.bump();
            name
        } else {
            None
        };
        NamedExpr {
            name,
            names: Vec::new(),
            expr: self.expr(),
        }
    }

    /// `(A, B) = arg_max(...)`, or a parenthesised expression when no `=` follows the `)`.
    fn tuple_named_expr(&mut self) -> NamedExpr {
        let start = self.pos;
        self.bump();
        let mut names = Vec::new();
        loop {
            let is_name = matches!(self.kind(), TokenKind::Ident | TokenKind::LBracket);
            match is_name.then(|| self.ident("a column name")).flatten() {
                Some(name) => names.push(name),
                None => break,
            }
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        if !names.is_empty() && self.eat(&TokenKind::RParen) && self.eat(&TokenKind::Assign) {
            return NamedExpr {
                name: None,
                names,
                expr: self.expr(),
            };
        }
        // Not a list of names after all: read it again as an expression.
        self.diagnostics
            .retain(|d| d.span.start < self.tokens[start].span.start);
        self.pos = start;
        NamedExpr {
            name: None,
            names: Vec::new(),
            expr: self.expr(),
        }
    }

    fn ident_list(&mut self) -> Vec<Ident> {
        let mut items = Vec::new();
        loop {
            match self.ident("a column name") {
                Some(ident) => items.push(ident),
                None => return items,
            }
            if !self.eat(&TokenKind::Comma) {
                return items;
            }
        }
    }

    fn rename_list(&mut self) -> Vec<(Ident, Ident)> {
        let mut items = Vec::new();
        loop {
            let Some(new) = self.ident("a new column name") else {
                return items;
            };
            if !self.expect(TokenKind::Assign, "'=' (NewName = OldName)") {
                return items;
            }
            let Some(old) = self.ident("the column to rename") else {
                return items;
            };
            items.push((new, old));
            if !self.eat(&TokenKind::Comma) {
                return items;
            }
        }
    }

    fn sort_keys(&mut self) -> Vec<SortKey> {
        let mut keys = vec![self.sort_key()];
        while self.eat(&TokenKind::Comma) {
            keys.push(self.sort_key());
        }
        keys
    }

    fn sort_key(&mut self) -> SortKey {
        let expr = self.expr();
        let order = if self.eat_word("asc") {
            Some(SortOrder::Asc)
        } else if self.eat_word("desc") {
            Some(SortOrder::Desc)
        } else {
            None
        };
        let nulls = if self.eat_word("nulls") {
            if self.eat_word("first") {
                Some(NullsOrder::First)
            } else if self.eat_word("last") {
                Some(NullsOrder::Last)
            } else {
                self.error_here("expected 'first' or 'last' after 'nulls'");
                None
            }
        } else {
            None
        };
        SortKey { expr, order, nulls }
    }

    // ---- scalar expressions ----------------------------------------------------------------

    fn expr(&mut self) -> Expr {
        if self.depth >= MAX_DEPTH {
            let span = self.peek().span;
            self.error_here("the expression nests too deeply");
            self.recover();
            return Expr::error(span);
        }
        self.depth += 1;
        let expr = self.or_expr();
        self.depth -= 1;
        expr
    }

    /// A tree node, refused (as an error node with a diagnostic) when it would be deeper than
    /// `MAX_EXPR_DEPTH`: later stages walk trees recursively, so depth is bounded here.
    fn node(&mut self, kind: ExprKind, span: Span) -> Expr {
        let expr = Expr::new(kind, span);
        if expr.depth <= MAX_EXPR_DEPTH {
            return expr;
        }
        if !self.too_deep {
            self.too_deep = true;
            self.diagnostics.push(Diagnostic::new(
                span,
                format!(
                    "this expression is nested more than {MAX_EXPR_DEPTH} levels deep; split it with let statements"
                ),
            ));
        }
        Expr::error(span)
    }

    fn binary(&mut self, op: BinaryOp, left: Expr, right: Expr) -> Expr {
        let span = left.span.to(right.span);
        self.node(
            ExprKind::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
            },
            span,
        )
    }

    /// `a or b or …` as one flat list (real queries chain thousands of IOC comparisons).
    fn or_expr(&mut self) -> Expr {
        let first = self.and_expr();
        self.logical_tail(LogicalOp::Or, first)
    }

    fn and_expr(&mut self) -> Expr {
        let first = self.comparison();
        self.logical_tail(LogicalOp::And, first)
    }

    fn logical_tail(&mut self, op: LogicalOp, first: Expr) -> Expr {
        let word = match op {
            LogicalOp::And => "and",
            LogicalOp::Or => "or",
        };
        if !self.at_word(word) {
            return first;
        }
        let mut operands = vec![first];
        while self.eat_word(word) {
            operands.push(match op {
                LogicalOp::And => self.comparison(),
                LogicalOp::Or => self.and_expr(),
            });
        }
        let span = operands[0]
            .span
            .to(operands.last().map_or(operands[0].span, |e| e.span));
        self.node(ExprKind::Logical { op, operands }, span)
    }

    /// Reads a word operator that may be negated with a leading `!` and may carry `~`
    /// (`!in~`), without consuming anything when the next tokens are not one.
    fn peek_word_operator(&self) -> Option<(String, usize)> {
        let mut ahead = 0;
        let mut word = String::new();
        if self.peek().kind == TokenKind::Bang {
            word.push('!');
            ahead = 1;
            if self.peek_at(1).spaced {
                return None;
            }
        }
        let token = self.peek_at(ahead);
        if token.kind != TokenKind::Ident {
            return None;
        }
        word.push_str(self.text(token));
        ahead += 1;
        if self.peek_at(ahead).kind == TokenKind::Tilde && !self.peek_at(ahead).spaced {
            word.push('~');
            ahead += 1;
        }
        Some((word, ahead))
    }

    fn comparison(&mut self) -> Expr {
        let left = self.additive();
        let symbol = match self.kind() {
            TokenKind::EqEq => Some(BinaryOp::Eq),
            TokenKind::NotEq => Some(BinaryOp::NotEq),
            TokenKind::Lt => Some(BinaryOp::Lt),
            TokenKind::Le => Some(BinaryOp::Le),
            TokenKind::Gt => Some(BinaryOp::Gt),
            TokenKind::Ge => Some(BinaryOp::Ge),
            TokenKind::EqTilde => Some(BinaryOp::Str(StringOp {
                kind: StringOpKind::Equals,
                negated: false,
                case_sensitive: false,
            })),
            TokenKind::BangTilde => Some(BinaryOp::Str(StringOp {
                kind: StringOpKind::Equals,
                negated: true,
                case_sensitive: false,
            })),
            _ => None,
        };
        if let Some(op) = symbol {
            self.bump();
            let right = self.additive();
            return self.binary(op, left, right);
        }
        let Some((word, length)) = self.peek_word_operator() else {
            return left;
        };
        let word_span = self.peek().span.to(self.peek_at(length - 1).span);
        if let Some(op) = StringOp::from_word(&word) {
            self.skip(length);
            let right = self.additive();
            return self.binary(BinaryOp::Str(op), left, right);
        }
        match word.as_str() {
            "in" | "!in" | "in~" | "!in~" => {
                self.skip(length);
                let list = self.paren_list();
                let span = left.span.to(Span::new(self.prev_end(), self.prev_end()));
                let kind = ExprKind::In {
                    value: Box::new(left),
                    list,
                    negated: word.starts_with('!'),
                    case_insensitive: word.ends_with('~'),
                };
                self.node(kind, span)
            }
            "has_any" | "has_all" | "has_any_cs" | "has_all_cs" => {
                self.skip(length);
                let mut args = vec![left];
                args.extend(self.paren_list());
                let span = args[0].span.to(Span::new(self.prev_end(), self.prev_end()));
                let name = Ident {
                    name: word,
                    span: word_span,
                };
                self.node(ExprKind::Call { name, args }, span)
            }
            "between" | "!between" => {
                self.skip(length);
                self.expect(TokenKind::LParen, "'(' after 'between'");
                let low = self.additive();
                self.expect(TokenKind::DotDot, "'..' between the bounds");
                let high = self.additive();
                self.expect(TokenKind::RParen, "')' to close 'between'");
                let span = left.span.to(Span::new(self.prev_end(), self.prev_end()));
                let kind = ExprKind::Between {
                    value: Box::new(left),
                    low: Box::new(low),
                    high: Box::new(high),
                    negated: word.starts_with('!'),
                };
                self.node(kind, span)
            }
            "matches" => {
                self.skip(length);
                if !self.eat_word("regex") {
                    self.error_here("expected 'regex' after 'matches'");
                    return left;
                }
                let right = self.additive();
                let op = StringOp {
                    kind: StringOpKind::MatchesRegex,
                    negated: false,
                    case_sensitive: true,
                };
                self.binary(BinaryOp::Str(op), left, right)
            }
            _ => left,
        }
    }

    fn skip(&mut self, tokens: usize) {
        for _ in 0..tokens {
            self.bump();
        }
    }

    fn paren_list(&mut self) -> Vec<Expr> {
        let mut items = Vec::new();
        if !self.expect(TokenKind::LParen, "'(' and a list of values") {
            return items;
        }
        if self.eat(&TokenKind::RParen) {
            return items;
        }
        loop {
            items.push(self.argument());
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(TokenKind::RParen, "')' to close the list");
        items
    }

    /// One item of a call's or `in`'s list: a value, `name = value`, or a tabular expression
    /// (`toscalar(T | …)`, `in (T | project x)`), told apart by what follows.
    fn argument(&mut self) -> Expr {
        if self.kind() == &TokenKind::Ident && self.peek_at(1).kind == TokenKind::Assign {
            let name = self.ident("a name").unwrap_or_else(|| Ident {
                name: String::new(),
                span: self.peek().span,
            });
            self.bump();
            let value = self.expr();
            let span = name.span.to(value.span);
            let kind = ExprKind::NamedArg {
                name,
                value: Box::new(value),
            };
            return self.node(kind, span);
        }
        let (start, errors) = (self.pos, self.diagnostics.len());
        let starts_tabular = self.kind() == &TokenKind::Ident
            && (NOT_YET_SUPPORTED.contains(&self.peek_text()) || self.at_word("materialize"));
        let value = self.expr();
        let clean = self.diagnostics.len() == errors;
        if clean && !starts_tabular && self.kind() != &TokenKind::Pipe {
            return value;
        }
        // Read it again as a tabular expression; keep whichever reading has no error.
        let (value_end, value_errors) = (self.pos, self.diagnostics.split_off(errors));
        self.pos = start;
        let pipeline = self.pipeline();
        // Only a reading with operators counts: `f(x)` would read as a tabular function call.
        let tabular_clean = self.diagnostics.len() == errors
            && !pipeline.operators.is_empty()
            && matches!(self.kind(), TokenKind::Comma | TokenKind::RParen);
        if starts_tabular || tabular_clean {
            let span = pipeline.span;
            return Expr::new(ExprKind::Tabular(Box::new(pipeline)), span);
        }
        self.diagnostics.truncate(errors);
        self.diagnostics.extend(value_errors);
        self.pos = value_end;
        value
    }

    fn additive(&mut self) -> Expr {
        let mut left = self.multiplicative();
        loop {
            let op = match self.kind() {
                TokenKind::Plus => BinaryOp::Add,
                TokenKind::Minus => BinaryOp::Sub,
                _ => return left,
            };
            self.bump();
            let right = self.multiplicative();
            left = self.binary(op, left, right);
        }
    }

    fn multiplicative(&mut self) -> Expr {
        let mut left = self.unary();
        loop {
            let op = match self.kind() {
                TokenKind::Star => BinaryOp::Mul,
                TokenKind::Slash => BinaryOp::Div,
                TokenKind::Percent => BinaryOp::Mod,
                _ => return left,
            };
            self.bump();
            let right = self.unary();
            left = self.binary(op, left, right);
        }
    }

    fn unary(&mut self) -> Expr {
        while self.kind() == &TokenKind::Plus {
            self.bump();
        }
        if self.kind() != &TokenKind::Minus {
            return self.postfix();
        }
        let start = self.bump().span;
        // Runs of signs are read iteratively so that `- - - … x` cannot exhaust the stack.
        let mut negate = true;
        while matches!(self.kind(), TokenKind::Minus | TokenKind::Plus) {
            if self.bump().kind == TokenKind::Minus {
                negate = !negate;
            }
        }
        let operand = self.postfix();
        if !negate {
            return operand;
        }
        let span = start.to(operand.span);
        // Negative literals stay literals; `-(i64::MIN)` and `-timespan.min` do not exist.
        let folded = match &operand.kind {
            ExprKind::Literal(Literal::Long(v)) => v.checked_neg().map(Literal::Long),
            ExprKind::Literal(Literal::Real(v)) => Some(Literal::Real(-v)),
            ExprKind::Literal(Literal::Timespan(v)) => v.checked_neg().map(Literal::Timespan),
            _ => None,
        };
        match folded {
            Some(literal) => Expr::new(ExprKind::Literal(literal), span),
            None => {
                let kind = ExprKind::Unary {
                    op: UnaryOp::Neg,
                    operand: Box::new(operand),
                };
                self.node(kind, span)
            }
        }
    }

    fn postfix(&mut self) -> Expr {
        let mut expr = self.primary();
        loop {
            match self.kind() {
                TokenKind::Dot => {
                    self.bump();
                    let Some(key) = self.ident("a property name after '.'") else {
                        return expr;
                    };
                    let span = expr.span.to(key.span);
                    let kind = ExprKind::Member {
                        target: Box::new(expr),
                        key: key.name,
                    };
                    expr = self.node(kind, span);
                }
                TokenKind::LBracket => {
                    self.bump();
                    let index = self.expr();
                    self.expect(TokenKind::RBracket, "']'");
                    let span = expr.span.to(Span::new(self.prev_end(), self.prev_end()));
                    let kind = match index.kind {
                        ExprKind::Literal(Literal::String(key)) => ExprKind::Member {
                            target: Box::new(expr),
                            key,
                        },
                        _ => ExprKind::Index {
                            target: Box::new(expr),
                            index: Box::new(index),
                        },
                    };
                    expr = self.node(kind, span);
                }
                _ => return expr,
            }
        }
    }

    fn primary(&mut self) -> Expr {
        let token = self.peek().clone();
        let literal = |lit| Expr::new(ExprKind::Literal(lit), token.span);
        match &token.kind {
            TokenKind::Str(value) => {
                self.bump();
                let mut value = value.clone();
                let mut span = token.span;
                // Adjacent string literals concatenate.
                while let TokenKind::Str(next) = &self.peek().kind {
                    value.push_str(next);
                    span = span.to(self.peek().span);
                    self.bump();
                }
                Expr::new(ExprKind::Literal(Literal::String(value)), span)
            }
            TokenKind::Int(v) => {
                self.bump();
                literal(Literal::Long(*v))
            }
            TokenKind::Real(v) => {
                self.bump();
                literal(Literal::Real(*v))
            }
            TokenKind::Timespan(v) => {
                self.bump();
                literal(Literal::Timespan(*v))
            }
            TokenKind::LParen => {
                self.bump();
                let inner = self.expr();
                self.expect(TokenKind::RParen, "')'");
                inner
            }
            TokenKind::LBracket => match self.ident("a column name") {
                Some(ident) => Expr::new(ExprKind::Column(ident.name), ident.span),
                None => Expr::error(token.span),
            },
            TokenKind::Star => {
                self.bump();
                Expr::new(ExprKind::Star, token.span)
            }
            TokenKind::Ident => {
                let text = self.text(&token).to_string();
                match text.as_str() {
                    "true" | "True" | "TRUE" => {
                        self.bump();
                        return literal(Literal::Bool(true));
                    }
                    "false" | "False" | "FALSE" => {
                        self.bump();
                        return literal(Literal::Bool(false));
                    }
                    _ => {}
                }
                if self.peek_at(1).kind == TokenKind::LParen {
                    return self.call_or_typed_literal(text, token.span);
                }
                self.bump();
                Expr::new(ExprKind::Column(text), token.span)
            }
            _ => {
                self.error_here("expected an expression");
                if token.kind == TokenKind::Unknown {
                    self.bump();
                }
                Expr::error(token.span)
            }
        }
    }

    /// The text between the parentheses that follow the current name (`datetime(…)`,
    /// `dynamic({…})`), taken raw, and the span from the name to the `)`. Leaves the parser
    /// after the `)`.
    fn raw_parenthesised(&mut self) -> (String, Span) {
        let name = self.bump();
        let open = self.bump();
        if let TokenKind::Raw(text) = &self.peek().kind
            && self.peek_at(1).kind == TokenKind::RParen
        {
            let text = text.clone();
            self.bump();
            let close = self.bump();
            return (text, name.span.to(close.span));
        }
        let mut depth = 0usize;
        loop {
            match self.kind() {
                TokenKind::Eof => {
                    self.error_here("expected ')'");
                    let text = self.src[open.span.end..self.src.len()].to_string();
                    return (text, name.span.to(open.span));
                }
                TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => depth += 1,
                TokenKind::RBracket | TokenKind::RBrace => depth = depth.saturating_sub(1),
                TokenKind::RParen if depth == 0 => {
                    let close = self.bump();
                    let text = self.src[open.span.end..close.span.start].trim().to_string();
                    return (text, name.span.to(close.span));
                }
                TokenKind::RParen => depth -= 1,
                _ => {}
            }
            self.bump();
        }
    }

    fn call_or_typed_literal(&mut self, name: String, name_span: Span) -> Expr {
        match name.as_str() {
            "datetime" | "date" => return self.datetime_literal(name_span),
            "dynamic" => return self.dynamic_literal(),
            "timespan" | "time" => return self.timespan_literal(),
            "guid" => return self.guid_literal(),
            "long" | "int" | "real" | "double" | "bool" | "boolean" | "string" | "decimal" => {
                if let Some(expr) = self.typed_literal(&name, name_span) {
                    return expr;
                }
            }
            _ => {}
        }
        self.bump();
        let ident = Ident {
            name,
            span: name_span,
        };
        let args = self.paren_list();
        let span = name_span.to(Span::new(self.prev_end(), self.prev_end()));
        self.node(ExprKind::Call { name: ident, args }, span)
    }

    /// `datetime(2024-03-26T09:39:50Z)`, quoted or not; `datetime(null)`; `datetime()` is now.
    fn datetime_literal(&mut self, name_span: Span) -> Expr {
        let (raw, span) = self.raw_parenthesised();
        let text = unquote(&raw);
        let kind = match text.as_str() {
            "null" => ExprKind::Literal(Literal::Null("datetime".into())),
            "" => ExprKind::Call {
                name: Ident {
                    name: "now".into(),
                    span: name_span,
                },
                args: Vec::new(),
            },
            _ => match time::parse_datetime(&text) {
                Ok(ticks) => ExprKind::Literal(Literal::Datetime(ticks)),
                Err(message) => {
                    self.diagnostics.push(Diagnostic::new(span, message));
                    ExprKind::Error
                }
            },
        };
        Expr::new(kind, span)
    }

    fn dynamic_literal(&mut self) -> Expr {
        let (raw, span) = self.raw_parenthesised();
        if raw == "null" {
            return Expr::new(ExprKind::Literal(Literal::Null("dynamic".into())), span);
        }
        match dynamic_literal_json(&raw) {
            Ok(json) => Expr::new(ExprKind::Literal(Literal::Dynamic(json)), span),
            Err(message) => {
                self.diagnostics.push(Diagnostic::new(
                    span,
                    format!("dynamic(...) is not a valid value: {message}"),
                ));
                Expr::error(span)
            }
        }
    }

    /// `long(5)`, `int(-1)`, `real(1.5)`, `real(nan)`, `real(+inf)`, `bool(true)`,
    /// `decimal(2)`, `long(null)` … (the scalar-data-types pages). `None` (nothing consumed)
    /// when the parentheses hold something else: then it is read as a call.
    fn typed_literal(&mut self, name: &str, name_span: Span) -> Option<Expr> {
        let mut ahead = 2;
        let negative = match self.peek_at(ahead).kind {
            TokenKind::Minus => true,
            TokenKind::Plus => false,
            _ => {
                ahead -= 1;
                false
            }
        };
        ahead += 1;
        let value = self.peek_at(ahead).clone();
        if self.peek_at(ahead + 1).kind != TokenKind::RParen {
            return None;
        }
        let word = self.text(&value).to_ascii_lowercase();
        let real_name = matches!(name, "real" | "double" | "decimal");
        let literal = match (&value.kind, word.as_str()) {
            (TokenKind::Ident, "null") if !negative => Literal::Null(name.into()),
            (TokenKind::Ident, "nan") if real_name => Literal::Real(f64::NAN),
            (TokenKind::Ident, "inf") if real_name => Literal::Real(if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }),
            (TokenKind::Ident, "true" | "false") if matches!(name, "bool" | "boolean") => {
                Literal::Bool(word == "true")
            }
            (TokenKind::Int(v), _) if name == "int" => {
                let v = if negative { v.checked_neg()? } else { *v };
                match i32::try_from(v) {
                    Ok(v) => Literal::Int(v),
                    Err(_) => {
                        self.diagnostics.push(Diagnostic::new(
                            value.span,
                            "this number does not fit an int (32 bits); use long(...)",
                        ));
                        Literal::Int(0)
                    }
                }
            }
            (TokenKind::Int(v), _) if name == "long" => {
                Literal::Long(if negative { v.checked_neg()? } else { *v })
            }
            (TokenKind::Int(v), _) if real_name => {
                let v = *v as f64;
                Literal::Real(if negative { -v } else { v })
            }
            (TokenKind::Real(v), _) if real_name => Literal::Real(if negative { -v } else { *v }),
            _ => return None,
        };
        self.skip(ahead + 1);
        let close = self.bump();
        Some(Expr::new(
            ExprKind::Literal(literal),
            name_span.to(close.span),
        ))
    }

    /// `guid(74be27de-1e4e-49d9-b579-fe0b331d3642)`, `guid(null)`.
    fn guid_literal(&mut self) -> Expr {
        let (raw, span) = self.raw_parenthesised();
        let text = unquote(&raw);
        if text == "null" {
            return Expr::new(ExprKind::Literal(Literal::Null("guid".into())), span);
        }
        let hex: String = text.chars().filter(|c| *c != '-').collect();
        let shape: Vec<usize> = text.split('-').map(str::len).collect();
        if hex.len() == 32
            && hex.chars().all(|c| c.is_ascii_hexdigit())
            && shape == [8, 4, 4, 4, 12]
        {
            return Expr::new(
                ExprKind::Literal(Literal::Guid(text.to_ascii_lowercase())),
                span,
            );
        }
        self.diagnostics.push(Diagnostic::new(
            span,
            format!(
                "'{}' is not a guid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                text.escape_debug()
            ),
        ));
        Expr::error(span)
    }

    /// `timespan(1.02:03:04)`, `timespan(15 seconds)`, `time(2)`, `timespan(null)`.
    fn timespan_literal(&mut self) -> Expr {
        let (raw, span) = self.raw_parenthesised();
        let text = unquote(&raw);
        if text == "null" {
            return Expr::new(ExprKind::Literal(Literal::Null("timespan".into())), span);
        }
        match time::parse_timespan(&text) {
            Ok(ticks) => Expr::new(ExprKind::Literal(Literal::Timespan(ticks)), span),
            Err(message) => {
                self.diagnostics.push(Diagnostic::new(
                    span,
                    format!("'{}' is not a timespan: {message}", text.escape_debug()),
                ));
                Expr::error(span)
            }
        }
    }
}

/// The JSON text of a `dynamic(...)` literal. KQL's literals are JSON with KQL's own strings
/// (single quotes, verbatim `@'...'`) and numbers, so they are read with the KQL lexer.
pub fn dynamic_literal_json(raw: &str) -> Result<String, String> {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(raw) {
        return Ok(value.to_string());
    }
    let (tokens, diagnostics) = lex(raw);
    if let Some(first) = diagnostics.first() {
        return Err(first.message.clone());
    }
    let mut json = String::new();
    let mut negative = false;
    for token in &tokens {
        let text = &raw[token.span.start..token.span.end];
        let piece = match &token.kind {
            TokenKind::Eof => break,
            TokenKind::Str(s) => serde_json::Value::String(s.clone()).to_string(),
            TokenKind::Int(v) => v.to_string(),
            TokenKind::Real(v) if v.is_finite() => v.to_string(),
            TokenKind::Timespan(ticks) => {
                serde_json::Value::String(super::format_timespan(*ticks)).to_string()
            }
            TokenKind::Ident if matches!(text, "true" | "false" | "null") => text.to_string(),
            TokenKind::LBracket
            | TokenKind::RBracket
            | TokenKind::LBrace
            | TokenKind::RBrace
            | TokenKind::Comma
            | TokenKind::Colon => text.to_string(),
            TokenKind::Minus => {
                negative = true;
                continue;
            }
            _ => {
                return Err(format!(
                    "'{}' cannot stand in a dynamic literal",
                    text.escape_debug()
                ));
            }
        };
        if negative {
            json.push('-');
            negative = false;
        }
        json.push_str(&piece);
    }
    serde_json::from_str::<serde_json::Value>(&json)
        .map(|v| v.to_string())
        .map_err(|e| e.to_string())
}

fn unquote(raw: &str) -> String {
    let trimmed = raw.trim();
    for quote in ['"', '\''] {
        if trimmed.len() >= 2 && trimmed.starts_with(quote) && trimmed.ends_with(quote) {
            return trimmed[1..trimmed.len() - 1].to_string();
        }
    }
    trimmed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(source: &str) -> Query {
        let (query, diagnostics) = parse(source);
        assert!(diagnostics.is_empty(), "{source}: {diagnostics:?}");
        query
    }

    fn first_error(source: &str) -> Diagnostic {
        let (_, diagnostics) = parse(source);
        diagnostics
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("expected an error for {source}"))
    }

    #[test]
    fn parses_the_documentation_example() {
        let query = ok(
            "DeviceProcessEvents | where InitiatingProcessFileName =~ \"powershell.exe\" | project Timestamp, FileName, InitiatingProcessFileName | order by Timestamp desc | limit 2",
        );
        let body = query.body.unwrap();
        assert!(matches!(&body.source, Source::Table(t) if t.name == "DeviceProcessEvents"));
        let names: Vec<_> = body.operators.iter().map(|o| o.kind.name()).collect();
        assert_eq!(names, ["where", "project", "sort", "take"]);
        let OperatorKind::Sort(keys) = &body.operators[2].kind else {
            panic!()
        };
        assert_eq!(keys[0].order, Some(SortOrder::Desc));
    }

    #[test]
    fn parses_string_operators_with_negation_and_case() {
        let query = ok(
            "T | where A !contains_cs \"x\" and B has 'y' or C !in~ (\"a\", \"b\") and D between (1 .. 5)",
        );
        let OperatorKind::Where(expr) = &query.body.unwrap().operators[0].kind else {
            panic!()
        };
        let ExprKind::Logical {
            op: LogicalOp::Or,
            operands,
        } = &expr.kind
        else {
            panic!("{expr:?}")
        };
        let [left, right] = operands.as_slice() else {
            panic!("{operands:?}")
        };
        let ExprKind::Logical {
            op: LogicalOp::And,
            operands: ands,
        } = &left.kind
        else {
            panic!()
        };
        assert!(matches!(
            ands[0].kind,
            ExprKind::Binary {
                op: BinaryOp::Str(StringOp {
                    kind: StringOpKind::Contains,
                    negated: true,
                    case_sensitive: true
                }),
                ..
            }
        ));
        let ExprKind::Logical { operands: cd, .. } = &right.kind else {
            panic!()
        };
        assert!(matches!(
            cd[0].kind,
            ExprKind::In {
                negated: true,
                case_insensitive: true,
                ..
            }
        ));
        assert!(matches!(
            cd[1].kind,
            ExprKind::Between { negated: false, .. }
        ));
    }

    #[test]
    fn parses_summarize_top_distinct_and_lets() {
        let query = ok(
            "let since = ago(7d);\nlet Procs = DeviceProcessEvents | where Timestamp > since;\nProcs\n| summarize Count = count(), dcount(AccountName) by DeviceName, bin(Timestamp, 1h)\n| top 10 by Count desc\n| distinct DeviceName",
        );
        assert_eq!(query.lets.len(), 2);
        assert!(matches!(query.lets[0].value, LetValue::Scalar(_)));
        assert!(matches!(query.lets[1].value, LetValue::Tabular(_)));
        let body = query.body.unwrap();
        let OperatorKind::Summarize { aggregates, by } = &body.operators[0].kind else {
            panic!()
        };
        assert_eq!(aggregates.len(), 2);
        assert_eq!(aggregates[0].name.as_ref().unwrap().name, "Count");
        assert_eq!(by.len(), 2);
    }

    #[test]
    fn parses_literals() {
        let query = ok(
            "T | where Timestamp between (datetime(2024-01-01 10:00) .. datetime(\"2024-02-01\")) and D == dynamic({\"a\": [1,2]}) and L == long(null) and S == timespan(1.02:00:00)",
        );
        let OperatorKind::Where(expr) = &query.body.unwrap().operators[0].kind else {
            panic!()
        };
        let text = format!("{expr:?}");
        let ticks = time::parse_datetime("2024-01-01T10:00:00Z").unwrap();
        assert!(text.contains(&format!("Datetime({ticks})")), "{text}");
        assert!(text.contains(r#"Dynamic("{\"a\":[1,2]}")"#), "{text}");
        assert!(text.contains("Null(\"long\")"), "{text}");
        assert!(
            text.contains(&format!("Timespan({})", 26 * 36_000_000_000i64)),
            "{text}"
        );
    }

    /// The literal a one-expression query `print`s, via `T | where <expr>`.
    fn literal(expr: &str) -> Literal {
        let query = ok(&format!("T | where {expr}"));
        let OperatorKind::Where(expr) = &query.body.unwrap().operators[0].kind else {
            panic!()
        };
        match &expr.kind {
            ExprKind::Literal(literal) => literal.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn datetimes_read_in_every_documented_form() {
        let expected = time::parse_datetime("2024-03-26T09:39:50.7688641Z").unwrap();
        for text in [
            "datetime(2024-03-26T09:39:50.7688641Z)",
            "datetime(\"2024-03-26T09:39:50.7688641Z\")",
            "datetime('2024-03-26 09:39:50.7688641')",
            "datetime(2024-03-26T11:39:50.7688641+02:00)",
            "date(2024-03-26T09:39:50.7688641Z)",
        ] {
            assert_eq!(literal(text), Literal::Datetime(expected), "{text}");
        }
        assert_eq!(
            literal("datetime(1601-01-01)"),
            Literal::Datetime(504_911_232_000_000_000)
        );
        assert_eq!(
            literal("datetime(Sat, 8 Nov 14 15:05:02 GMT)"),
            Literal::Datetime(time::parse_datetime("2014-11-08T15:05:02Z").unwrap())
        );
        assert_eq!(literal("datetime(null)"), Literal::Null("datetime".into()));
        let bad = first_error("T | where x > datetime(2024-13-01)");
        assert!(bad.message.contains("2024-13-01"), "{bad:?}");
        assert_eq!(bad.span, Span::new(14, 34));
    }

    #[test]
    fn timespans_out_of_range_are_errors_not_panics() {
        for text in [
            "T | where x > timespan(99999999999999:00:00)",
            "T | where x > 99999999999999999d",
            "T | where x > timespan(10675200)",
        ] {
            let error = first_error(text);
            assert!(error.message.contains("out of range"), "{text}: {error:?}");
        }
        assert_eq!(
            literal("timespan(15 seconds)"),
            Literal::Timespan(150_000_000)
        );
        assert_eq!(literal("time(2)"), Literal::Timespan(2 * 864_000_000_000));
        assert_eq!(literal("-1h"), Literal::Timespan(-36_000_000_000));
    }

    #[test]
    fn parenthesised_tabular_lets_parse_cleanly() {
        let query = ok(
            "let X = (DeviceProcessEvents | where FileName == 'a.exe' | project DeviceId);\nlet n = (1 + 2);\nX | take n",
        );
        assert!(matches!(query.lets[0].value, LetValue::Tabular(_)));
        assert!(matches!(query.lets[1].value, LetValue::Scalar(_)));
    }

    #[test]
    fn valid_kql_the_engine_lacks_parses_without_diagnostics() {
        let query = ok(
            "let f = (a:string, b:long = 5) { a };\nlet v = view () { T | take 1 };\nT | join kind=leftouter (U | where x == 1) on $left.A == $right.B | mv-expand d to typeof(string) | summarize (Last, Who) = arg_max(Timestamp, AccountName) by DeviceId",
        );
        assert!(matches!(query.lets[0].value, LetValue::Unsupported(_)));
        assert!(matches!(query.lets[1].value, LetValue::Unsupported(_)));
        let body = query.body.unwrap();
        assert!(
            matches!(&body.operators[0].kind, OperatorKind::Unsupported(op) if op.name == "join" && op.span == Span::new(74, 78))
        );
        assert!(
            matches!(&body.operators[1].kind, OperatorKind::Unsupported(op) if op.name == "mv-expand")
        );
        let OperatorKind::Summarize { aggregates, .. } = &body.operators[2].kind else {
            panic!()
        };
        assert_eq!(aggregates[0].names.len(), 2);
        let union = ok("union DeviceProcessEvents, DeviceFileEvents | take 1");
        assert!(matches!(
            union.body.unwrap().source,
            Source::Unsupported(_, _)
        ));
    }

    #[test]
    fn join_is_read_for_its_shape() {
        ok(
            "T | join kind=inner hint.strategy=shuffle (U | where a == 1) on $left.A == $right.B, C | take 1",
        );
        ok("T | lookup kind=leftouter U on Key");
        // Two queries with no ';' between them: the second is not swallowed by the join.
        let error = first_error("T | join kind=leftanti (U) on A\n\nV | where x == 1");
        assert!(
            error
                .message
                .contains("unexpected text after the 'join' operator"),
            "{error:?}"
        );
        assert!(
            first_error("T | join (U)")
                .message
                .contains("expected 'on'")
        );
    }

    #[test]
    fn long_or_chains_are_flat_and_deep_arithmetic_is_refused() {
        let terms: Vec<String> = (0..10_000).map(|i| format!("A == \"ioc{i}\"")).collect();
        let query = ok(&format!("T | where {}", terms.join(" or ")));
        let OperatorKind::Where(expr) = &query.body.unwrap().operators[0].kind else {
            panic!()
        };
        assert!(
            matches!(&expr.kind, ExprKind::Logical { operands, .. } if operands.len() == 10_000)
        );
        assert_eq!(expr.depth, 3);
        let sum = format!("T | extend x = {}", vec!["1"; 100_000].join(" + "));
        let error = first_error(&sum);
        assert!(error.message.contains("nested more than"), "{error:?}");
        let members = format!("T | extend x = d{}", ".a".repeat(50_000));
        assert!(first_error(&members).message.contains("nested more than"));
    }

    #[test]
    fn dynamic_literals_take_kql_strings() {
        assert_eq!(
            dynamic_literal_json("['a', \"b\", @'c\\d']").unwrap(),
            r#"["a","b","c\\d"]"#
        );
        assert_eq!(
            dynamic_literal_json("{'k': -1, \"n\": [1.5, true, null]}").unwrap(),
            r#"{"k":-1,"n":[1.5,true,null]}"#
        );
        assert!(
            dynamic_literal_json("[1, foo]")
                .unwrap_err()
                .contains("'foo'")
        );
    }

    #[test]
    fn parses_hyphenated_operators_and_members() {
        let query = ok(
            "T | project-away A, ['B c'] | project-rename X = Y | extend E = tostring(parse_json(F).a.b[0])",
        );
        let body = query.body.unwrap();
        assert!(
            matches!(&body.operators[0].kind, OperatorKind::ProjectAway(v) if v[1].name == "B c")
        );
        assert!(
            matches!(&body.operators[1].kind, OperatorKind::ProjectRename(v) if v[0].0.name == "X")
        );
    }

    #[test]
    fn reports_errors_with_positions_and_keeps_going() {
        let (query, diagnostics) = parse("T | where | project A | frobnicate 3 | take 5");
        let body = query.body.unwrap();
        assert_eq!(body.operators.len(), 4, "recovered at each pipe");
        assert!(matches!(body.operators[3].kind, OperatorKind::Take(_)));
        assert_eq!(diagnostics.len(), 2, "{diagnostics:?}");
        assert_eq!(diagnostics[0].span.start, 10);
        assert!(diagnostics[0].message.starts_with("expected an expression"));
        assert_eq!(diagnostics[1].message, "unknown operator 'frobnicate'");
    }

    #[test]
    fn empty_and_unsupported_queries_say_so() {
        // An empty script is valid (the engine refuses to run it, with its own message).
        assert!(parse("  // only a comment\n").1.is_empty());
        assert!(
            first_error("T | where A == \"x")
                .message
                .contains("unterminated")
        );
        assert!(
            first_error("T | sort Timestamp")
                .message
                .starts_with("expected 'by'")
        );
        assert_eq!(
            first_error("T | where A = 1").message,
            "'=' names a column; to compare, use '=='"
        );
        assert_eq!(
            first_error("T | frobnicate").message,
            "unknown operator 'frobnicate'"
        );
    }

    fn render_of(source: &str) -> Render {
        let query = ok(source);
        match query.body.unwrap().operators.last().map(|o| o.kind.clone()) {
            Some(OperatorKind::Render(render)) => render,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn render_reads_the_visualization_and_its_properties() {
        let render = render_of("T | summarize count() by bin(Timestamp, 1d) | render timechart");
        assert_eq!(render.visualization.name, "timechart");
        assert!(render.properties.is_empty());
        let render = render_of(
            "T | render linechart with (xcolumn=x, ycolumns=y, y_line, ['y poly'], title=\"Spikes\" ' by day', legend=hidden, ymin=-5, ymax=1.5e3, accumulate=true, kind=stacked)",
        );
        let values: Vec<(&str, &RenderValue)> = render
            .properties
            .iter()
            .map(|p| (p.name.name.as_str(), &p.value))
            .collect();
        assert_eq!(values[0], ("xcolumn", &RenderValue::Text("x".into())));
        let RenderValue::Columns(columns) = values[1].1 else {
            panic!("{values:?}")
        };
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["y", "y_line", "y poly"]);
        assert_eq!(
            values[2],
            ("title", &RenderValue::Text("Spikes by day".into()))
        );
        assert_eq!(values[3], ("legend", &RenderValue::Text("hidden".into())));
        assert_eq!(values[4], ("ymin", &RenderValue::Number(-5.0)));
        assert_eq!(values[5], ("ymax", &RenderValue::Number(1500.0)));
        assert_eq!(values[6], ("accumulate", &RenderValue::Bool(true)));
        assert_eq!(values[7], ("kind", &RenderValue::Text("stacked".into())));
        // The documentation's own forms: a series list, no parentheses, an empty list.
        let render = render_of("T | render ladderchart with (series=State, EventType)");
        assert!(matches!(&render.properties[0].value, RenderValue::Columns(c) if c.len() == 2));
        render_of("T | render anomalychart with anomalycolumns=anomalies");
        render_of("T | render piechart with ()");
        // A trailing `;` ends the statement.
        render_of("T | render columnchart;");
    }

    #[test]
    fn render_errors_point_at_the_problem() {
        let source = "T | render sparkline";
        let error = first_error(source);
        assert!(
            error
                .message
                .starts_with("unknown visualization 'sparkline'"),
            "{error:?}"
        );
        assert_eq!(error.span, Span::new(11, 20));
        let error = first_error("T | render timechart with (colour=red)");
        assert!(
            error
                .message
                .starts_with("unknown render property 'colour'"),
            "{error:?}"
        );
        assert_eq!(error.span, Span::new(27, 33));
        let error = first_error("T | render timechart with (legend=maybe)");
        assert_eq!(error.message, "'legend' takes visible, hidden, not 'maybe'");
        assert_eq!(error.span, Span::new(34, 39));
        let error = first_error("T | render timechart with (ymin=low)");
        assert!(
            error.message.starts_with("expected a number for 'ymin'"),
            "{error:?}"
        );
        assert!(
            first_error("T | render")
                .message
                .starts_with("expected a visualization")
        );
        assert!(
            first_error("T | render timechart with (title=\"x\"")
                .message
                .contains("')'")
        );
        // Property and visualization names are case-sensitive.
        assert!(
            first_error("T | render TimeChart")
                .message
                .contains("unknown visualization")
        );
        assert!(
            first_error("T | render timechart with (Title='x')")
                .message
                .contains("unknown render property")
        );
    }

    #[test]
    fn render_must_be_the_last_operator() {
        let source = "T | render timechart | take 5";
        let (query, diagnostics) = parse(source);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(
            diagnostics[0].message,
            "render must be the last operator of the query"
        );
        assert_eq!(diagnostics[0].span, Span::new(2, 20));
        assert_eq!(
            query.body.unwrap().operators.len(),
            2,
            "kept reading after it"
        );
        for nested in [
            "let X = T | render timechart;\nX",
            "(T | render timechart) | take 1",
        ] {
            let error = first_error(nested);
            assert!(
                error.message.contains("not inside a let or a subquery"),
                "{nested}: {error:?}"
            );
        }
        // In a tabular argument the reading with an error is dropped; the query still fails.
        assert!(!parse("T | where A in (U | render table)").1.is_empty());
        // Two statements: the first one's render is not the query's result either.
        assert!(
            !parse("let n = 1;\nT | take n | render table")
                .1
                .iter()
                .any(|d| d.message.contains("render"))
        );
    }

    #[test]
    fn survives_garbage_and_deep_nesting() {
        let garbage: String = (0u8..=255).map(|b| b as char).cycle().take(5000).collect();
        let (_, diagnostics) = parse(&garbage);
        assert!(!diagnostics.is_empty());
        let deep = format!("T | where {}1{}", "(".repeat(5000), ")".repeat(5000));
        let (_, diagnostics) = parse(&deep);
        assert!(
            diagnostics
                .iter()
                .any(|d| d.message.contains("nests too deeply"))
        );
    }
}
