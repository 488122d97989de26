//! The lossless syntax tree of a KQL query: every token, comment and bit of white space is kept,
//! and text the parser could not read sits in `ERROR` nodes, so any input gives a tree whose text
//! is exactly the input. The formatter, completion and diagnostics work on it; the engine reads it
//! through a typed view.
//!
//! The shape follows rust-analyzer's (matklad's "resilient LL parsing"): a hand-written parser
//! that emits nodes into a [`rowan`] green tree, recovering at the next `|`, `;` or closing
//! bracket. Keywords are contextual in KQL (`kind`, `count`, `project` can all be column names),
//! so they are `IDENT` tokens here; the parser decides by position, from the table in
//! `kql::language`.

mod expr;
mod grammar;
mod graph;
mod parser;

use super::lexer::{TokenKind, lex};
use super::{Diagnostic, Span};

/// Every kind of token and node. Tokens come first; `is_trivia` and `is_token` tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u16)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum SyntaxKind {
    // ---- trivia
    WHITESPACE = 0,
    /// `// …` to the end of the line.
    COMMENT,
    // ---- tokens
    /// A name or a keyword (keywords are contextual; `$left` and `$right` are names too).
    IDENT,
    /// Any string literal form: `'…'`, `"…"`, `@"…"`, `h"…"`, ```` ```…``` ````.
    STRING,
    INT,
    REAL,
    /// `7d`, `1.5h`, `100ms`, `5tick`.
    TIMESPAN,
    /// The text inside `datetime(…)`, `timespan(…)`, `guid(…)` taken as written.
    RAW,
    PIPE,
    L_PAREN,
    R_PAREN,
    L_BRACKET,
    R_BRACKET,
    L_BRACE,
    R_BRACE,
    COMMA,
    SEMI,
    DOT,
    DOT_DOT,
    ASSIGN,
    EQ_EQ,
    NOT_EQ,
    EQ_TILDE,
    BANG_TILDE,
    LT,
    LE,
    GT,
    GE,
    PLUS,
    MINUS,
    STAR,
    SLASH,
    PERCENT,
    COLON,
    BANG,
    TILDE,
    FAT_ARROW,
    /// A character the lexer cannot read (it also reports it).
    UNKNOWN,
    // ---- nodes: statements
    /// The whole query: statements separated by `;`.
    QUERY,
    /// `let Name = Value` (scalar, tabular, function or view).
    LET_STMT,
    /// `set Name [= Value]`.
    SET_STMT,
    /// `declare query_parameters (Name: type [= default], …)`.
    DECLARE_STMT,
    /// `alias database Name = cluster(…).database(…)`.
    ALIAS_STMT,
    /// `restrict access to (…)`, `pattern …` and other statements read loosely.
    OTHER_STMT,
    /// A tabular (or scalar) expression given as a statement: what the query returns.
    EXPR_STMT,
    /// `[view] (Parameters) { Body }` after `let Name =`.
    FUNCTION_DEF,
    /// `(Name: type [= default], …)`.
    PARAM_LIST,
    PARAM,
    /// A scalar type (`string`) or a tabular schema (`(*)`, `(A: string, B: long)`).
    TYPE_REF,
    /// `(A: string, B: long)` in `datatable`, `externaldata`, `parse-kv … as`, tabular parameters.
    SCHEMA,
    /// `Name: type` inside a schema.
    COLUMN_DECL,
    /// `{ statements }`: a function's body.
    BLOCK,
    // ---- nodes: tabular
    /// `Source | Operator | Operator …`.
    PIPELINE,
    /// A tabular operator with its arguments, after `|` or as a pipeline's source (`union`,
    /// `datatable`, `print`, `range`, `search`, `find`, `externaldata`, `evaluate`).
    OPERATOR,
    /// The operator's name, hyphenated parts joined (`project-away`, `mv-expand`).
    OPERATOR_NAME,
    /// `Name = Value` before an operator's arguments (`kind=inner`, `hint.strategy=shuffle`).
    OPERATOR_PARAM,
    /// `Name = Expr`, `(A, B) = Expr`, or a bare expression in a list that names its results.
    NAMED_EXPR,
    /// `Expr [asc|desc] [nulls first|last]`.
    SORT_KEY,
    /// A clause of an operator introduced by a word (`by …`, `on …`, `with (…)`, `of …`,
    /// `to typeof(…)`, `from … to … step …`, `limit …`, `default = …`): its first token is the
    /// word.
    CLAUSE,
    /// The pattern of `parse`: string literals, `*`, and `Name[:type]` items.
    PARSE_PATTERN,
    /// A parenthesised operator sequence without a source (`mv-apply … on (…)`, `fork (…)`,
    /// `partition … (…)`, `facet … with (…)`).
    SUBQUERY,
    // ---- nodes: scalar expressions
    /// A number, string, timespan, `true`/`false`.
    LITERAL,
    /// `datetime(…)`, `timespan(…)`, `guid(…)`, `dynamic(…)`, `int(null)`, `real(nan)` …
    TYPED_LITERAL,
    /// A name: a column, a let-bound name, a table.
    NAME_REF,
    /// `['Column name']`, `["x"]`.
    BRACKET_NAME,
    /// A name with wildcards: `Device*`, `*Id` (project-away, union).
    NAME_PATTERN,
    /// `*` standing for every column or every argument.
    STAR_EXPR,
    /// `( Expr )`; with a pipeline inside, a tabular subquery.
    PAREN_EXPR,
    /// `Operand op Operand op Operand …` at one precedence level, left-associative. Chains of one
    /// level are flat, so ten thousand `or`s make one node, not ten thousand nested ones.
    BIN_EXPR,
    /// `-x`, `+x`.
    PREFIX_EXPR,
    /// `Name(Args)`.
    CALL_EXPR,
    /// `( Arg, Arg, … )` of a call or `in`.
    ARG_LIST,
    /// `Name = Value` among a call's arguments.
    NAMED_ARG,
    /// `Expr . Name`.
    MEMBER_EXPR,
    /// `Expr [ Index ]`.
    INDEX_EXPR,
    /// `Expr [!]in[~] (List)`.
    IN_EXPR,
    /// `Expr [!]between (Low .. High)`.
    BETWEEN_EXPR,
    /// The pattern of `graph-match` and `graph-shortest-paths`: node and edge elements, with
    /// commas between sequences.
    GRAPH_PATTERN,
    /// `(name)` or `()`: a node of a graph pattern.
    GRAPH_NODE,
    /// `-[name*min..max]->`, `<-[name]-`, `-[name]-`, `-->`, `<--`, `--`: an edge of a graph
    /// pattern with its arrows.
    GRAPH_EDGE,
    /// Text that could not be read.
    ERROR,
}

use SyntaxKind::*;

impl SyntaxKind {
    /// White space and comments.
    pub fn is_trivia(self) -> bool {
        matches!(self, WHITESPACE | COMMENT)
    }

    /// A token (a leaf), not a node.
    pub fn is_token(self) -> bool {
        (self as u16) <= (UNKNOWN as u16)
    }
}

impl From<SyntaxKind> for rowan::SyntaxKind {
    fn from(kind: SyntaxKind) -> Self {
        rowan::SyntaxKind(kind as u16)
    }
}

/// The rowan language tag of KQL trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kql {}

impl rowan::Language for Kql {
    type Kind = SyntaxKind;

    fn kind_from_raw(raw: rowan::SyntaxKind) -> SyntaxKind {
        assert!(raw.0 <= ERROR as u16, "not a KQL syntax kind: {}", raw.0);
        // SAFETY: SyntaxKind is `repr(u16)` with contiguous discriminants from 0 to ERROR, and
        // the value was just checked to be in that range.
        unsafe { std::mem::transmute::<u16, SyntaxKind>(raw.0) }
    }

    fn kind_to_raw(kind: SyntaxKind) -> rowan::SyntaxKind {
        kind.into()
    }
}

pub type SyntaxNode = rowan::SyntaxNode<Kql>;
pub type SyntaxToken = rowan::SyntaxToken<Kql>;
pub type SyntaxElement = rowan::SyntaxElement<Kql>;

/// A parsed query: the green tree (cheap to clone, shareable between threads) and the syntax
/// diagnostics, in source order.
#[derive(Debug, Clone)]
pub struct Parse {
    pub green: rowan::GreenNode,
    pub errors: Vec<Diagnostic>,
}

impl Parse {
    /// The root `QUERY` node.
    pub fn syntax(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }
}

/// Parses any text into a lossless tree. Never fails and never panics; the work is linear in the
/// length of the text (every token is looked at a bounded number of times), and nesting deeper
/// than [`MAX_NESTING`] brackets is reported and skipped, never recursed into.
pub fn parse(source: &str) -> Parse {
    let (tokens, lex_errors) = tokens(source);
    let mut parse = parser::Parser::new(source, tokens).run();
    if !lex_errors.is_empty() {
        // The lexer's word on a bad token ("unterminated string") beats the parser's ("expected
        // an expression") at the same place.
        let mut errors = lex_errors;
        errors.append(&mut parse.errors);
        errors.sort_by_key(|d| d.span.start);
        errors.dedup_by(|later, first| later.span.start == first.span.start);
        parse.errors = errors;
    }
    parse
}

/// How many brackets, calls and subqueries may nest inside each other.
pub const MAX_NESTING: u32 = 100;

/// One token of the lossless stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tok {
    pub kind: SyntaxKind,
    pub span: Span,
}

/// The lexer's tokens with the trivia between them put back: white space and `//` comments, as
/// separate tokens, so the stream covers every byte of the source.
pub(crate) fn tokens(source: &str) -> (Vec<Tok>, Vec<Diagnostic>) {
    let (lexed, diagnostics) = lex(source);
    let mut out = Vec::with_capacity(lexed.len() * 2);
    let mut at = 0;
    for token in &lexed {
        if token.span.start > at {
            trivia(source, at, token.span.start, &mut out);
        }
        if token.kind == TokenKind::Eof {
            break;
        }
        out.push(Tok {
            kind: token_kind(&token.kind),
            span: token.span,
        });
        at = token.span.end;
    }
    (out, diagnostics)
}

/// Splits a gap between tokens into white space and comments.
fn trivia(source: &str, start: usize, end: usize, out: &mut Vec<Tok>) {
    let gap = &source[start..end];
    let mut at = 0;
    while at < gap.len() {
        let rest = &gap[at..];
        let (kind, len) = if rest.starts_with("//") {
            (COMMENT, rest.find('\n').unwrap_or(rest.len()))
        } else {
            (WHITESPACE, rest.find("//").unwrap_or(rest.len()))
        };
        out.push(Tok {
            kind,
            span: Span::new(start + at, start + at + len),
        });
        at += len;
    }
}

fn token_kind(kind: &TokenKind) -> SyntaxKind {
    match kind {
        TokenKind::Ident => IDENT,
        TokenKind::Str(_) => STRING,
        TokenKind::Int(_) => INT,
        TokenKind::Real(_) => REAL,
        TokenKind::Timespan(_) => TIMESPAN,
        TokenKind::Raw(_) => RAW,
        TokenKind::Pipe => PIPE,
        TokenKind::LParen => L_PAREN,
        TokenKind::RParen => R_PAREN,
        TokenKind::LBracket => L_BRACKET,
        TokenKind::RBracket => R_BRACKET,
        TokenKind::LBrace => L_BRACE,
        TokenKind::RBrace => R_BRACE,
        TokenKind::Comma => COMMA,
        TokenKind::Semi => SEMI,
        TokenKind::Dot => DOT,
        TokenKind::DotDot => DOT_DOT,
        TokenKind::Assign => ASSIGN,
        TokenKind::EqEq => EQ_EQ,
        TokenKind::NotEq => NOT_EQ,
        TokenKind::EqTilde => EQ_TILDE,
        TokenKind::BangTilde => BANG_TILDE,
        TokenKind::Lt => LT,
        TokenKind::Le => LE,
        TokenKind::Gt => GT,
        TokenKind::Ge => GE,
        TokenKind::Plus => PLUS,
        TokenKind::Minus => MINUS,
        TokenKind::Star => STAR,
        TokenKind::Slash => SLASH,
        TokenKind::Percent => PERCENT,
        TokenKind::Colon => COLON,
        TokenKind::Bang => BANG,
        TokenKind::Tilde => TILDE,
        TokenKind::FatArrow => FAT_ARROW,
        TokenKind::Unknown | TokenKind::Eof => UNKNOWN,
    }
}

/// A readable name of a token for messages: `'|'`, `the name 'x'`, `the end of the query`.
pub(crate) fn describe(kind: Option<SyntaxKind>, text: &str) -> String {
    let Some(kind) = kind else {
        return "the end of the query".to_string();
    };
    let short: String = text.chars().take(30).collect();
    let short = short.escape_debug();
    match kind {
        IDENT => format!("'{short}'"),
        STRING => "a string".to_string(),
        INT | REAL => format!("the number {short}"),
        TIMESPAN => format!("the timespan {short}"),
        UNKNOWN => "an unreadable character".to_string(),
        _ => format!("'{short}'"),
    }
}

/// Writes the tree as indented text, one node or token a line (for tests and debugging).
pub fn debug_tree(node: &SyntaxNode) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for event in node.preorder_with_tokens() {
        match event {
            rowan::WalkEvent::Enter(element) => {
                out.push_str(&"  ".repeat(depth));
                match element {
                    rowan::NodeOrToken::Node(n) => {
                        out.push_str(&format!("{:?}\n", n.kind()));
                        depth += 1;
                    }
                    rowan::NodeOrToken::Token(t) => {
                        out.push_str(&format!("{:?} {:?}\n", t.kind(), t.text()));
                    }
                }
            }
            rowan::WalkEvent::Leave(rowan::NodeOrToken::Node(_)) => depth -= 1,
            rowan::WalkEvent::Leave(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
