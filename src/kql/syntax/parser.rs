//! The parser's machinery: a cursor over the significant tokens, a green-tree builder that puts
//! the trivia back in, diagnostics and recovery. The grammar is in `grammar.rs` and `expr.rs`.

use rowan::{Checkpoint, GreenNodeBuilder};

use super::SyntaxKind::{self, *};
use super::{MAX_NESTING, Parse, Tok, describe};
use crate::kql::{Diagnostic, Span};

pub(crate) struct Parser<'a> {
    pub(super) src: &'a str,
    tokens: Vec<Tok>,
    /// Indices into `tokens` of the significant (non-trivia) tokens.
    significant: Vec<usize>,
    /// The current significant token (an index into `significant`).
    pos: usize,
    /// The next token of `tokens` not yet in the tree.
    emitted: usize,
    builder: GreenNodeBuilder<'static>,
    errors: Vec<Diagnostic>,
    /// Open brackets, calls and subqueries around the current position.
    pub(super) nesting: u32,
    /// Only the first "too deep" is reported; the rest of the input is skipped by then.
    too_deep: bool,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str, tokens: Vec<Tok>) -> Self {
        let significant = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.kind.is_trivia())
            .map(|(i, _)| i)
            .collect();
        Parser {
            src,
            tokens,
            significant,
            pos: 0,
            emitted: 0,
            builder: GreenNodeBuilder::new(),
            errors: Vec::new(),
            nesting: 0,
            too_deep: false,
        }
    }

    pub(crate) fn run(mut self) -> Parse {
        self.builder.start_node(QUERY.into());
        self.query_body(None);
        // Whatever is left (a stray `)`…) is kept in error nodes.
        while !self.at_end() {
            self.error_here(&format!("unexpected {}", self.describe_current()));
            self.start(ERROR);
            self.bump();
            self.finish();
            self.query_body(None);
        }
        self.flush_trivia(self.tokens.len());
        self.builder.finish_node();
        Parse {
            green: self.builder.finish(),
            errors: self.errors,
        }
    }

    // ---- looking ----------------------------------------------------------------------------

    fn tok(&self, n: usize) -> Option<&Tok> {
        self.significant
            .get(self.pos + n)
            .map(|&index| &self.tokens[index])
    }

    /// The kind of the significant token `n` ahead (`None` at the end).
    pub(super) fn nth(&self, n: usize) -> Option<SyntaxKind> {
        self.tok(n).map(|t| t.kind)
    }

    pub(super) fn at(&self, kind: SyntaxKind) -> bool {
        self.nth(0) == Some(kind)
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.significant.len()
    }

    pub(super) fn nth_text(&self, n: usize) -> &'a str {
        self.tok(n)
            .map_or("", |t| &self.src[t.span.start..t.span.end])
    }

    /// The word `n` ahead, when it is a name.
    pub(super) fn nth_word(&self, n: usize) -> Option<&'a str> {
        (self.nth(n) == Some(IDENT)).then(|| self.nth_text(n))
    }

    pub(super) fn at_word(&self, word: &str) -> bool {
        self.nth_word(0) == Some(word)
    }

    /// Whether white space or a comment comes right before the token `n` ahead.
    pub(super) fn spaced(&self, n: usize) -> bool {
        match self.significant.get(self.pos + n) {
            Some(&index) if index > 0 => self.tokens[index - 1].kind.is_trivia(),
            _ => true,
        }
    }

    pub(super) fn current_span(&self) -> Span {
        match self.tok(0) {
            Some(t) => t.span,
            None => Span::new(self.src.len(), self.src.len()),
        }
    }

    /// The end of the last significant token taken.
    pub(super) fn prev_end(&self) -> usize {
        match self
            .pos
            .checked_sub(1)
            .and_then(|p| self.significant.get(p))
        {
            Some(&index) => self.tokens[index].span.end,
            None => 0,
        }
    }

    pub(super) fn describe_current(&self) -> String {
        describe(self.nth(0), self.nth_text(0))
    }

    // ---- building ---------------------------------------------------------------------------

    /// Puts the trivia before token `upto` into the tree.
    fn flush_trivia(&mut self, upto: usize) {
        while self.emitted < upto.min(self.tokens.len()) {
            let token = self.tokens[self.emitted];
            self.builder.token(
                token.kind.into(),
                &self.src[token.span.start..token.span.end],
            );
            self.emitted += 1;
        }
    }

    /// The index in `tokens` of the current significant token (or the end).
    fn next_index(&self) -> usize {
        self.significant
            .get(self.pos)
            .copied()
            .unwrap_or(self.tokens.len())
    }

    /// Takes the current token into the tree (with the trivia before it).
    pub(super) fn bump(&mut self) {
        if self.at_end() {
            return;
        }
        let index = self.next_index();
        self.flush_trivia(index + 1);
        self.pos += 1;
    }

    /// Takes the current token when it is `kind`.
    pub(super) fn eat(&mut self, kind: SyntaxKind) -> bool {
        let here = self.at(kind);
        if here {
            self.bump();
        }
        here
    }

    pub(super) fn eat_word(&mut self, word: &str) -> bool {
        let here = self.at_word(word);
        if here {
            self.bump();
        }
        here
    }

    /// Starts a node at the current token. Trivia before it stay in the parent, so a node's
    /// range is its own text.
    pub(super) fn start(&mut self, kind: SyntaxKind) {
        let index = self.next_index();
        self.flush_trivia(index);
        self.builder.start_node(kind.into());
    }

    pub(super) fn finish(&mut self) {
        self.builder.finish_node();
    }

    /// A place where a node may later be started around what follows it.
    pub(super) fn checkpoint(&mut self) -> Checkpoint {
        let index = self.next_index();
        self.flush_trivia(index);
        self.builder.checkpoint()
    }

    pub(super) fn start_at(&mut self, checkpoint: Checkpoint, kind: SyntaxKind) {
        self.builder.start_node_at(checkpoint, kind.into());
    }

    // ---- diagnostics and recovery ------------------------------------------------------------

    pub(super) fn error_at(&mut self, span: Span, message: &str) {
        // One message per place: a recovery can meet the same bad token twice.
        if self
            .errors
            .last()
            .is_some_and(|d| d.span.start == span.start)
        {
            return;
        }
        self.errors.push(Diagnostic::new(span, message));
    }

    pub(super) fn error_here(&mut self, message: &str) {
        self.error_at(self.current_span(), message);
    }

    /// "expected X, found Y" at the current token.
    pub(super) fn expected(&mut self, what: &str) {
        let message = format!("expected {what}, found {}", self.describe_current());
        self.error_here(&message);
    }

    /// Takes `kind` or reports that `what` was expected (without taking anything).
    pub(super) fn expect(&mut self, kind: SyntaxKind, what: &str) -> bool {
        if self.eat(kind) {
            return true;
        }
        self.expected(what);
        false
    }

    /// Whether the current token ends what an operator may contain: `|`, `;`, a closing bracket
    /// or the end.
    pub(super) fn at_operator_end(&self) -> bool {
        matches!(
            self.nth(0),
            None | Some(PIPE | SEMI | R_PAREN | R_BRACE | R_BRACKET)
        )
    }

    /// Skips to the next `|` or `;` outside brackets (or a closing bracket that belongs to an
    /// enclosing construct), keeping the skipped tokens in an `ERROR` node.
    pub(super) fn recover(&mut self) {
        if self.at_operator_end() {
            return;
        }
        self.start(ERROR);
        self.skip_to_operator_end();
        self.finish();
    }

    /// Skips balanced tokens up to the next `|`, `;` or unmatched closing bracket. Iterative,
    /// so any depth of brackets is skipped in linear time.
    pub(super) fn skip_to_operator_end(&mut self) {
        let mut depth = 0usize;
        while let Some(kind) = self.nth(0) {
            match kind {
                L_PAREN | L_BRACKET | L_BRACE => depth += 1,
                R_PAREN | R_BRACKET | R_BRACE if depth == 0 => return,
                R_PAREN | R_BRACKET | R_BRACE => depth -= 1,
                PIPE | SEMI if depth == 0 => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// Takes a bracketed group whole, from its opening to its matching closing bracket (or the
    /// end), without reading it. Used for content that is not KQL (a `dynamic` literal's JSON) and
    /// for input nested too deeply to read.
    pub(super) fn skip_group(&mut self) {
        let mut depth = 0usize;
        while let Some(kind) = self.nth(0) {
            match kind {
                L_PAREN | L_BRACKET | L_BRACE => depth += 1,
                R_PAREN | R_BRACKET | R_BRACE => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.bump();
                        return;
                    }
                }
                _ if depth == 0 => return,
                _ => {}
            }
            self.bump();
        }
        if depth > 0 {
            self.expected("a closing bracket");
        }
    }

    /// Enters one more level of nesting; when that is too deep, reports it once, skips the
    /// bracketed group ahead (or to the operator's end) in an `ERROR` node and returns false.
    pub(super) fn enter(&mut self) -> bool {
        if self.nesting < MAX_NESTING {
            self.nesting += 1;
            return true;
        }
        if !self.too_deep {
            self.too_deep = true;
            self.error_here(&format!(
                "the query nests more than {MAX_NESTING} levels deep; split it with let statements"
            ));
        }
        self.start(ERROR);
        if matches!(self.nth(0), Some(L_PAREN | L_BRACKET | L_BRACE)) {
            self.skip_group();
        } else {
            // Inside a bracket already taken: skip to its closing one, which the caller takes.
            let mut depth = 0usize;
            while let Some(kind) = self.nth(0) {
                match kind {
                    L_PAREN | L_BRACKET | L_BRACE => depth += 1,
                    R_PAREN | R_BRACKET | R_BRACE if depth == 0 => break,
                    R_PAREN | R_BRACKET | R_BRACE => depth -= 1,
                    _ => {}
                }
                self.bump();
            }
        }
        self.finish();
        false
    }

    /// A chain (`.a.b.c…`, `in (…) in (…)…`) is longer than [`MAX_NESTING`]: reported once,
    /// the rest of the operator skipped.
    pub(super) fn too_deep_here(&mut self) {
        if !self.too_deep {
            self.too_deep = true;
            self.error_here(&format!(
                "the query nests more than {MAX_NESTING} levels deep; split it with let statements"
            ));
        }
        self.recover();
    }

    pub(super) fn leave(&mut self) {
        self.nesting -= 1;
    }
}
