//! Scalar expressions (and the tabular expressions that may stand where a value goes: a name, a
//! call, a parenthesised subquery). Precedence, loosest first: `or`, `and`, comparisons and
//! string operators, `+ -`, `* / %`, prefix signs, postfix `.`/`[]`/calls
//! (learn.microsoft.com/kusto/query/scalar-data-types, "Operator precedence"). Each level's chain
//! is one flat `BIN_EXPR` node.

use super::MAX_NESTING;
use super::SyntaxKind::*;
use super::parser::Parser;
use crate::kql::language;

/// How many significant tokens make up the comparison or string operator at the cursor
/// (`has` 1, `!has` 2, `!in~` 3, `matches regex` 2), and whether it takes a list.
enum Comparison {
    Binary(usize),
    List(usize),
    Between(usize),
}

impl Parser<'_> {
    /// A full expression, or a tabular one (`T | where …`) where a subquery may stand: inside
    /// parentheses and call arguments, and as a statement.
    pub(super) fn pipeline_expr(&mut self) {
        let checkpoint = self.checkpoint();
        if !self.source_operator() {
            self.expr();
        }
        if self.at(PIPE) {
            self.start_at(checkpoint, PIPELINE);
            while self.eat(PIPE) {
                self.operator();
            }
            self.finish();
        }
    }

    /// A scalar expression.
    pub(super) fn expr(&mut self) {
        self.chain(Level::Or);
    }

    /// An expression without comparisons or logic (`a + b * c`).
    pub(super) fn additive_expr(&mut self) {
        self.chain(Level::Add);
    }

    fn chain(&mut self, level: Level) {
        let checkpoint = self.checkpoint();
        self.operand(level);
        if !self.at_level_operator(level) {
            return;
        }
        self.start_at(checkpoint, BIN_EXPR);
        while self.at_level_operator(level) {
            match level {
                Level::Compare => match self.comparison() {
                    Some(Comparison::Binary(n)) => {
                        for _ in 0..n {
                            self.bump();
                        }
                        self.operand(level);
                    }
                    // Handled in `operand`; never a chain operator.
                    _ => break,
                },
                _ => {
                    self.bump();
                    self.operand(level);
                }
            }
        }
        self.finish();
    }

    fn operand(&mut self, level: Level) {
        match level {
            Level::Or => self.chain(Level::And),
            Level::And => self.chain(Level::Compare),
            Level::Compare => self.compare_operand(),
            Level::Add => self.chain(Level::Mul),
            Level::Mul => self.prefix(),
        }
    }

    fn at_level_operator(&self, level: Level) -> bool {
        match level {
            Level::Or => self.at_word("or"),
            Level::And => self.at_word("and"),
            Level::Compare => matches!(self.comparison(), Some(Comparison::Binary(_))),
            Level::Add => matches!(self.nth(0), Some(PLUS | MINUS)),
            Level::Mul => matches!(self.nth(0), Some(STAR | SLASH | PERCENT)),
        }
    }

    /// An additive expression, then any `in (…)` / `between (…)` that applies to it.
    fn compare_operand(&mut self) {
        let checkpoint = self.checkpoint();
        self.chain(Level::Add);
        for _ in 0..=MAX_NESTING {
            match self.comparison() {
                Some(Comparison::List(n)) => {
                    self.start_at(checkpoint, IN_EXPR);
                    for _ in 0..n {
                        self.bump();
                    }
                    self.arg_list("'(' and a list of values");
                    self.finish();
                }
                Some(Comparison::Between(n)) => {
                    self.start_at(checkpoint, BETWEEN_EXPR);
                    for _ in 0..n {
                        self.bump();
                    }
                    if self.expect(L_PAREN, "'(' after 'between'") {
                        self.chain(Level::Add);
                        self.expect(DOT_DOT, "'..' between the bounds");
                        self.chain(Level::Add);
                        self.expect(R_PAREN, "')' to close 'between'");
                    }
                    self.finish();
                }
                _ => return,
            }
        }
        self.too_deep_here();
    }

    /// The comparison or string operator at the cursor, if any.
    fn comparison(&self) -> Option<Comparison> {
        match self.nth(0)? {
            EQ_EQ | NOT_EQ | LT | LE | GT | GE | EQ_TILDE | BANG_TILDE => {
                return Some(Comparison::Binary(1));
            }
            _ => {}
        }
        let negated = self.at(BANG) && !self.spaced(1);
        let word_at = usize::from(negated);
        let word = self.nth_word(word_at)?;
        if word == "matches" && !negated && self.nth_word(1) == Some("regex") {
            return Some(Comparison::Binary(2));
        }
        let tilde =
            word == "in" && self.nth(word_at + 1) == Some(TILDE) && !self.spaced(word_at + 1);
        // The spelling as the language table lists it (`has`, `!has_cs`, `!in~`), built without
        // allocating: this runs after every operand.
        let mut buffer = [0u8; 24];
        let parts: [&[u8]; 3] = [
            if negated { b"!" } else { b"" },
            word.as_bytes(),
            if tilde { b"~" } else { b"" },
        ];
        let mut length = 0;
        for part in parts {
            buffer
                .get_mut(length..length + part.len())?
                .copy_from_slice(part);
            length += part.len();
        }
        let spelled = std::str::from_utf8(&buffer[..length]).ok()?;
        if !language::is_string_operator(spelled) {
            return None;
        }
        let length = word_at + 1 + usize::from(tilde);
        Some(match word {
            "between" => Comparison::Between(length),
            "in" | "has_any" | "has_all" => Comparison::List(length),
            _ => Comparison::Binary(length),
        })
    }

    /// Prefix signs (a run of them is one node), then a postfix expression.
    fn prefix(&mut self) {
        if !matches!(self.nth(0), Some(PLUS | MINUS)) {
            self.postfix();
            return;
        }
        self.start(PREFIX_EXPR);
        while matches!(self.nth(0), Some(PLUS | MINUS)) {
            self.bump();
        }
        self.postfix();
        self.finish();
    }

    fn postfix(&mut self) {
        let checkpoint = self.checkpoint();
        if !self.primary() {
            return;
        }
        // Each `.x` or `[i]` wraps what came before: a long chain would be a deep tree.
        let mut links = 0;
        loop {
            if matches!(self.nth(0), Some(DOT | L_BRACKET)) {
                links += 1;
                if links > MAX_NESTING {
                    self.too_deep_here();
                    return;
                }
            }
            match self.nth(0) {
                Some(DOT) => {
                    self.start_at(checkpoint, MEMBER_EXPR);
                    self.bump();
                    match self.nth(0) {
                        Some(IDENT) if self.nth(1) == Some(L_PAREN) => self.call(),
                        Some(IDENT) => {
                            self.start(NAME_REF);
                            self.bump();
                            self.finish();
                        }
                        Some(L_BRACKET) => self.bracket_name(),
                        _ => self.expected("a property name after '.'"),
                    }
                    self.finish();
                }
                Some(L_BRACKET) => {
                    self.start_at(checkpoint, INDEX_EXPR);
                    self.bump();
                    if self.enter() {
                        self.expr();
                        self.leave();
                    }
                    self.expect(R_BRACKET, "']'");
                    self.finish();
                }
                _ => return,
            }
        }
    }

    /// A literal, name, call, bracketed name, `*` or parenthesised expression. False (with a
    /// diagnostic) when there is none here.
    fn primary(&mut self) -> bool {
        match self.nth(0) {
            Some(STRING) => {
                self.start(LITERAL);
                // Adjacent string literals concatenate.
                while self.at(STRING) {
                    self.bump();
                }
                self.finish();
            }
            Some(INT | REAL | TIMESPAN) => {
                self.start(LITERAL);
                self.bump();
                self.finish();
            }
            Some(L_PAREN) => {
                self.start(PAREN_EXPR);
                self.bump();
                if self.enter() {
                    self.pipeline_expr();
                    self.leave();
                }
                self.expect(R_PAREN, "')'");
                self.finish();
            }
            Some(L_BRACKET) => self.bracket_name(),
            Some(STAR) => {
                self.start(STAR_EXPR);
                self.bump();
                self.finish();
            }
            Some(IDENT) => self.name_or_call(),
            _ => {
                self.expected("an expression");
                if self.at(UNKNOWN) {
                    self.start(ERROR);
                    self.bump();
                    self.finish();
                }
                return false;
            }
        }
        true
    }

    fn name_or_call(&mut self) {
        let word = self.nth_text(0);
        if matches!(word, "true" | "false" | "True" | "False" | "TRUE" | "FALSE") {
            self.start(LITERAL);
            self.bump();
            self.finish();
            return;
        }
        if self.nth(1) != Some(L_PAREN) {
            self.start(NAME_REF);
            self.bump();
            self.finish();
            return;
        }
        if is_typed_literal(word) {
            self.start(TYPED_LITERAL);
            self.bump();
            // The lexer reads `datetime(…)`'s text whole; other forms (`dynamic({…})`,
            // `int(null)`, `real(+inf)`) are taken as a bracketed group without reading them.
            if self.nth(1) == Some(RAW) && self.nth(2) == Some(R_PAREN) {
                self.bump();
                self.bump();
                self.bump();
            } else {
                self.skip_group();
            }
            self.finish();
            return;
        }
        self.call();
    }

    /// `Name(Args)`.
    pub(super) fn call(&mut self) {
        self.start(CALL_EXPR);
        self.bump();
        self.arg_list("'('");
        self.finish();
    }

    /// `( Arg, … )`: each argument a value, `Name = Value`, `*`, or a subquery.
    pub(super) fn arg_list(&mut self, what: &str) {
        self.start(ARG_LIST);
        if self.expect(L_PAREN, what) {
            if self.enter() {
                if !self.at(R_PAREN) {
                    loop {
                        self.argument();
                        if !self.eat(COMMA) {
                            break;
                        }
                    }
                }
                self.leave();
            }
            self.expect(R_PAREN, "',' or ')'");
        }
        self.finish();
    }

    fn argument(&mut self) {
        if self.at(IDENT) && self.nth(1) == Some(ASSIGN) {
            self.start(NAMED_ARG);
            self.bump();
            self.bump();
            self.expr();
            self.finish();
            return;
        }
        self.pipeline_expr();
    }

    /// `['Column name']` (also `["x"]`).
    pub(super) fn bracket_name(&mut self) {
        self.start(BRACKET_NAME);
        self.bump();
        if !self.eat(STRING) {
            self.expected("a quoted name inside '[ ]'");
        }
        self.expect(R_BRACKET, "']'");
        self.finish();
    }
}

/// Precedence levels of binary operators, loosest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Or,
    And,
    Compare,
    Add,
    Mul,
}

/// Names that make a literal when `(` follows: `datetime(2024-01-01)`, `dynamic([1])`,
/// `int(null)`, `real(nan)`, `guid(…)`, `timespan(1d)` (scalar-data-types pages).
pub(crate) fn is_typed_literal(word: &str) -> bool {
    matches!(
        word,
        "datetime"
            | "date"
            | "timespan"
            | "time"
            | "guid"
            | "uuid"
            | "uniqueid"
            | "dynamic"
            | "bool"
            | "boolean"
            | "int"
            | "int32"
            | "long"
            | "int64"
            | "real"
            | "double"
            | "decimal"
            | "string"
    )
}
