//! A resilient recursive-descent parser: it always returns a tree plus diagnostics. When an
//! operator cannot be read it records why, skips to the next `|` and carries on, so completion,
//! highlighting and error reporting work on half-written queries.

use super::ast::*;
use super::lexer::{Token, TokenKind, lex};
use super::{Diagnostic, Span};

/// Operators of the language that this parser knows by name but cannot read yet; they get a
/// specific message instead of "unknown operator".
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
    "render",
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
];

const MAX_DEPTH: usize = 100;

pub fn parse(source: &str) -> (Query, Vec<Diagnostic>) {
    let (tokens, diagnostics) = lex(source);
    let mut parser = Parser {
        src: source,
        tokens,
        pos: 0,
        diagnostics,
        depth: 0,
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
            } else {
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
        if body.is_none() && self.diagnostics.is_empty() {
            let at = self.src.len();
            let message = if lets.is_empty() {
                "the query is empty"
            } else {
                "the query has no tabular expression after its let statements"
            };
            self.diagnostics
                .push(Diagnostic::new(Span::new(at, at), message));
        }
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
        if self.kind() == &TokenKind::LParen && self.looks_like_function_parameters() {
            let span = self.peek().span;
            self.diagnostics.push(Diagnostic::new(
                span,
                "user-defined functions (let f = (...) {...}) are not supported yet",
            ));
            self.recover();
            return None;
        }
        let value_start = self.pos;
        let mut first = self.pos;
        while self.tokens[first].kind == TokenKind::LParen {
            first += 1;
        }
        let first_word = &self.tokens[first.min(self.tokens.len() - 1)];
        if first_word.kind == TokenKind::Ident && NOT_YET_SUPPORTED.contains(&self.text(first_word))
        {
            let value = LetValue::Tabular(self.pipeline());
            let span = start.to(Span::new(self.prev_end(), self.prev_end()));
            return Some(LetStatement { name, value, span });
        }
        let expr = self.expr();
        let value = if self.kind() == &TokenKind::Pipe
            || matches!(expr.kind, ExprKind::Call { ref name, .. } if name.name == "materialize")
        {
            // A tabular let: re-read from the start as a pipeline.
            self.pos = value_start;
            LetValue::Tabular(self.pipeline())
        } else {
            LetValue::Scalar(expr)
        };
        let span = start.to(Span::new(self.prev_end(), self.prev_end()));
        Some(LetStatement { name, value, span })
    }

    /// `(a:string, b:long)` starts a function definition; `(T | where ...)` does not.
    fn looks_like_function_parameters(&self) -> bool {
        let first = &self.peek_at(1).kind;
        *first == TokenKind::RParen
            || (*first == TokenKind::Ident && self.peek_at(2).kind == TokenKind::Colon)
    }

    // ---- tabular ---------------------------------------------------------------------------

    fn pipeline(&mut self) -> Pipeline {
        let start = self.peek().span;
        let source = self.source();
        let mut operators = Vec::new();
        while self.kind() == &TokenKind::Pipe {
            let pipe = self.bump();
            let operator = self.operator(pipe.span);
            operators.push(operator);
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
            TokenKind::Ident | TokenKind::LBracket => {
                let word = self.peek_text().to_string();
                if let Some(operator) = NOT_YET_SUPPORTED.iter().find(|w| **w == word) {
                    let span = self.peek().span;
                    self.diagnostics.push(Diagnostic::new(
                        span,
                        format!("'{operator}' is not supported yet"),
                    ));
                    self.recover();
                    return Source::Error(span);
                }
                match self.ident("a table name") {
                    Some(ident) => {
                        if self.kind() == &TokenKind::LParen {
                            let span = self.peek().span;
                            self.diagnostics.push(Diagnostic::new(
                                ident.span.to(span),
                                format!(
                                    "calling '{}' as a tabular function is not supported yet",
                                    ident.name
                                ),
                            ));
                            self.recover();
                            return Source::Error(ident.span);
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
            other => {
                let message = if NOT_YET_SUPPORTED.contains(&other) {
                    format!("the '{other}' operator is not supported yet")
                } else {
                    format!("unknown operator '{other}'")
                };
                self.diagnostics.push(Diagnostic::new(name_span, message));
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
                    expr: Expr {
                        kind: ExprKind::Star,
                        span: token.span,
                    },
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
            _ => false,
        };
        if is_assignment {
            let name = self.ident("a column name");
            self.bump();
            NamedExpr {
                name,
                expr: self.expr(),
            }
        } else {
            NamedExpr {
                name: None,
                expr: self.expr(),
            }
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
            return Expr {
                kind: ExprKind::Error,
                span,
            };
        }
        self.depth += 1;
        let expr = self.or_expr();
        self.depth -= 1;
        expr
    }

    fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
        let span = left.span.to(right.span);
        Expr {
            kind: ExprKind::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
            },
            span,
        }
    }

    fn or_expr(&mut self) -> Expr {
        let mut left = self.and_expr();
        while self.eat_word("or") {
            let right = self.and_expr();
            left = Self::binary(BinaryOp::Or, left, right);
        }
        left
    }

    fn and_expr(&mut self) -> Expr {
        let mut left = self.comparison();
        while self.eat_word("and") {
            let right = self.comparison();
            left = Self::binary(BinaryOp::And, left, right);
        }
        left
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
            return Self::binary(op, left, right);
        }
        let Some((word, length)) = self.peek_word_operator() else {
            return left;
        };
        let word_span = self.peek().span.to(self.peek_at(length - 1).span);
        if let Some(op) = StringOp::from_word(&word) {
            for _ in 0..length {
                self.bump();
            }
            let right = self.additive();
            return Self::binary(BinaryOp::Str(op), left, right);
        }
        match word.as_str() {
            "in" | "!in" | "in~" | "!in~" => {
                for _ in 0..length {
                    self.bump();
                }
                let list = self.paren_list();
                let span = left.span.to(Span::new(self.prev_end(), self.prev_end()));
                Expr {
                    kind: ExprKind::In {
                        value: Box::new(left),
                        list,
                        negated: word.starts_with('!'),
                        case_insensitive: word.ends_with('~'),
                    },
                    span,
                }
            }
            "has_any" | "has_all" | "has_any_cs" | "has_all_cs" => {
                for _ in 0..length {
                    self.bump();
                }
                let mut args = vec![left];
                args.extend(self.paren_list());
                let span = args[0].span.to(Span::new(self.prev_end(), self.prev_end()));
                Expr {
                    kind: ExprKind::Call {
                        name: Ident {
                            name: word,
                            span: word_span,
                        },
                        args,
                    },
                    span,
                }
            }
            "between" | "!between" => {
                for _ in 0..length {
                    self.bump();
                }
                self.expect(TokenKind::LParen, "'(' after 'between'");
                let low = self.additive();
                self.expect(TokenKind::DotDot, "'..' between the bounds");
                let high = self.additive();
                self.expect(TokenKind::RParen, "')' to close 'between'");
                let span = left.span.to(Span::new(self.prev_end(), self.prev_end()));
                Expr {
                    kind: ExprKind::Between {
                        value: Box::new(left),
                        low: Box::new(low),
                        high: Box::new(high),
                        negated: word.starts_with('!'),
                    },
                    span,
                }
            }
            "matches" => {
                for _ in 0..length {
                    self.bump();
                }
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
                Self::binary(BinaryOp::Str(op), left, right)
            }
            _ => left,
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
            items.push(self.expr());
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(TokenKind::RParen, "')' to close the list");
        items
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
            left = Self::binary(op, left, right);
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
            left = Self::binary(op, left, right);
        }
    }

    fn unary(&mut self) -> Expr {
        while self.kind() == &TokenKind::Plus {
            self.bump();
        }
        if self.kind() == &TokenKind::Minus {
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
            // Fold negative literals so that `-5` stays a literal.
            return match operand.kind {
                ExprKind::Literal(Literal::Long(v)) => Expr {
                    kind: ExprKind::Literal(Literal::Long(v.wrapping_neg())),
                    span,
                },
                ExprKind::Literal(Literal::Real(v)) => Expr {
                    kind: ExprKind::Literal(Literal::Real(-v)),
                    span,
                },
                ExprKind::Literal(Literal::Timespan(v)) => Expr {
                    kind: ExprKind::Literal(Literal::Timespan(v.wrapping_neg())),
                    span,
                },
                _ => Expr {
                    kind: ExprKind::Unary {
                        op: UnaryOp::Neg,
                        operand: Box::new(operand),
                    },
                    span,
                },
            };
        }
        self.postfix()
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
                    expr = Expr {
                        kind: ExprKind::Member {
                            target: Box::new(expr),
                            key: key.name,
                        },
                        span,
                    };
                }
                TokenKind::LBracket => {
                    self.bump();
                    let index = self.expr();
                    self.expect(TokenKind::RBracket, "']'");
                    let span = expr.span.to(Span::new(self.prev_end(), self.prev_end()));
                    expr = match index.kind {
                        ExprKind::Literal(Literal::String(key)) => Expr {
                            kind: ExprKind::Member {
                                target: Box::new(expr),
                                key,
                            },
                            span,
                        },
                        _ => Expr {
                            kind: ExprKind::Index {
                                target: Box::new(expr),
                                index: Box::new(index),
                            },
                            span,
                        },
                    };
                }
                _ => return expr,
            }
        }
    }

    fn primary(&mut self) -> Expr {
        let token = self.peek().clone();
        let literal = |lit| Expr {
            kind: ExprKind::Literal(lit),
            span: token.span,
        };
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
                Expr {
                    kind: ExprKind::Literal(Literal::String(value)),
                    span,
                }
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
                Some(ident) => Expr {
                    kind: ExprKind::Column(ident.name),
                    span: ident.span,
                },
                None => Expr {
                    kind: ExprKind::Error,
                    span: token.span,
                },
            },
            TokenKind::Star => {
                self.bump();
                Expr {
                    kind: ExprKind::Star,
                    span: token.span,
                }
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
                Expr {
                    kind: ExprKind::Column(text),
                    span: token.span,
                }
            }
            _ => {
                self.error_here("expected an expression");
                if token.kind == TokenKind::Unknown {
                    self.bump();
                }
                Expr {
                    kind: ExprKind::Error,
                    span: token.span,
                }
            }
        }
    }

    /// The text between the parentheses that follow the current name, taken raw (for
    /// `datetime(2024-01-01 10:00)` and `dynamic({...})`). Leaves the parser after the `)`.
    fn raw_parenthesised(&mut self) -> (String, Span) {
        self.bump(); // the name
        let open = self.bump(); // (
        let mut depth = 0usize;
        loop {
            match self.kind() {
                TokenKind::Eof => {
                    self.error_here("expected ')'");
                    let text = self.src[open.span.end..self.src.len()].to_string();
                    return (text, open.span);
                }
                TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => depth += 1,
                TokenKind::RBracket | TokenKind::RBrace => depth = depth.saturating_sub(1),
                TokenKind::RParen if depth == 0 => {
                    let close = self.bump();
                    let text = self.src[open.span.end..close.span.start].trim().to_string();
                    return (text, open.span.to(close.span));
                }
                TokenKind::RParen => depth -= 1,
                _ => {}
            }
            self.bump();
        }
    }

    fn call_or_typed_literal(&mut self, name: String, name_span: Span) -> Expr {
        match name.as_str() {
            "datetime" | "date" => {
                let (raw, span) = self.raw_parenthesised();
                let text = unquote(&raw);
                let kind = if text == "null" {
                    Literal::Null("datetime".into())
                } else {
                    Literal::Datetime(text)
                };
                return Expr {
                    kind: ExprKind::Literal(kind),
                    span: name_span.to(span),
                };
            }
            "dynamic" => {
                let (raw, span) = self.raw_parenthesised();
                let full = name_span.to(span);
                let kind = if raw == "null" {
                    Literal::Null("dynamic".into())
                } else {
                    match dynamic_literal_json(&raw) {
                        Ok(json) => Literal::Dynamic(json),
                        Err(message) => {
                            self.diagnostics.push(Diagnostic::new(
                                full,
                                format!("dynamic(...) is not a valid value: {message}"),
                            ));
                            return Expr {
                                kind: ExprKind::Error,
                                span: full,
                            };
                        }
                    }
                };
                return Expr {
                    kind: ExprKind::Literal(kind),
                    span: full,
                };
            }
            "timespan" | "time" => {
                let (raw, span) = self.raw_parenthesised();
                let full = name_span.to(span);
                return match parse_timespan_text(&unquote(&raw)) {
                    Some(ticks) => Expr {
                        kind: ExprKind::Literal(Literal::Timespan(ticks)),
                        span: full,
                    },
                    None if raw == "null" => Expr {
                        kind: ExprKind::Literal(Literal::Null("timespan".into())),
                        span: full,
                    },
                    None => {
                        self.diagnostics.push(Diagnostic::new(
                            full,
                            format!("'{}' is not a timespan", raw.escape_debug()),
                        ));
                        Expr {
                            kind: ExprKind::Error,
                            span: full,
                        }
                    }
                };
            }
            "long" | "int" | "real" | "double" | "bool" | "boolean" | "string" | "guid"
            | "decimal"
                if self.peek_at(2).kind == TokenKind::Ident
                    && self.text(self.peek_at(2)) == "null"
                    && self.peek_at(3).kind == TokenKind::RParen =>
            {
                self.bump();
                self.bump();
                self.bump();
                let close = self.bump();
                return Expr {
                    kind: ExprKind::Literal(Literal::Null(name)),
                    span: name_span.to(close.span),
                };
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
        Expr {
            kind: ExprKind::Call { name: ident, args },
            span,
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
                serde_json::Value::String(super::format_timespan(ticks.saturating_mul(100)))
                    .to_string()
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

/// `timespan()` text: `1.02:03:04.5` (d.hh:mm:ss.frac), `02:03`, or a literal like `7d`.
fn parse_timespan_text(text: &str) -> Option<i64> {
    let (tokens, diags) = lex(text);
    if diags.is_empty()
        && tokens.len() == 2
        && let TokenKind::Timespan(ticks) = tokens[0].kind
    {
        return Some(ticks);
    }
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let (days, hours) = match parts[0].split_once('.') {
        Some((d, h)) => (d.parse::<i64>().ok()?, h.parse::<i64>().ok()?),
        None => (0, parts[0].parse::<i64>().ok()?),
    };
    let minutes = parts[1].parse::<i64>().ok()?;
    let seconds: f64 = if parts.len() == 3 {
        parts[2].parse().ok()?
    } else {
        0.0
    };
    let ticks = ((days * 24 + hours) * 60 + minutes) * 600_000_000
        + (seconds * 10_000_000.0).round() as i64;
    Some(if negative { -ticks } else { ticks })
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
        let ExprKind::Binary {
            op: BinaryOp::Or,
            left,
            right,
        } = &expr.kind
        else {
            panic!("{expr:?}")
        };
        let ExprKind::Binary {
            op: BinaryOp::And,
            left: a,
            ..
        } = &left.kind
        else {
            panic!()
        };
        assert!(matches!(
            a.kind,
            ExprKind::Binary {
                op: BinaryOp::Str(StringOp {
                    kind: StringOpKind::Contains,
                    negated: true,
                    case_sensitive: true
                }),
                ..
            }
        ));
        let ExprKind::Binary {
            left: c, right: d, ..
        } = &right.kind
        else {
            panic!()
        };
        assert!(matches!(
            c.kind,
            ExprKind::In {
                negated: true,
                case_insensitive: true,
                ..
            }
        ));
        assert!(matches!(d.kind, ExprKind::Between { negated: false, .. }));
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
        assert!(text.contains("Datetime(\"2024-01-01 10:00\")"), "{text}");
        assert!(text.contains(r#"Dynamic("{\"a\":[1,2]}")"#), "{text}");
        assert!(text.contains("Null(\"long\")"), "{text}");
        assert!(
            text.contains(&format!("Timespan({})", 26 * 36_000_000_000i64)),
            "{text}"
        );
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
        assert_eq!(
            first_error("  // only a comment\n").message,
            "the query is empty"
        );
        assert_eq!(
            first_error("T | join (U) on A").message,
            "the 'join' operator is not supported yet"
        );
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
