//! The syntax tree. Every node has a span; parts the parser could not read are `Error` nodes, so a
//! half-written query still has a tree.

use super::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub lets: Vec<LetStatement>,
    /// The tabular expression the query returns. `None` for an empty query or one with only lets.
    pub body: Option<Pipeline>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LetStatement {
    pub name: Ident,
    pub value: LetValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LetValue {
    Scalar(Expr),
    Tabular(Pipeline),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub source: Source,
    pub operators: Vec<Operator>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A table, or a name bound by `let`.
    Table(Ident),
    Nested(Box<Pipeline>),
    Error(Span),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub kind: OperatorKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OperatorKind {
    Where(Expr),
    Project(Vec<NamedExpr>),
    ProjectAway(Vec<Ident>),
    ProjectRename(Vec<(Ident, Ident)>),
    Extend(Vec<NamedExpr>),
    Take(Expr),
    Sort(Vec<SortKey>),
    Top {
        count: Expr,
        key: SortKey,
    },
    Count,
    Summarize {
        aggregates: Vec<NamedExpr>,
        by: Vec<NamedExpr>,
    },
    Distinct(Vec<NamedExpr>),
    /// An operator that could not be read; the diagnostic says why.
    Error,
}

impl OperatorKind {
    pub fn name(&self) -> &'static str {
        match self {
            OperatorKind::Where(_) => "where",
            OperatorKind::Project(_) => "project",
            OperatorKind::ProjectAway(_) => "project-away",
            OperatorKind::ProjectRename(_) => "project-rename",
            OperatorKind::Extend(_) => "extend",
            OperatorKind::Take(_) => "take",
            OperatorKind::Sort(_) => "sort",
            OperatorKind::Top { .. } => "top",
            OperatorKind::Count => "count",
            OperatorKind::Summarize { .. } => "summarize",
            OperatorKind::Distinct(_) => "distinct",
            OperatorKind::Error => "(error)",
        }
    }
}

/// `Name = expr` or a bare `expr` (whose output name the planner derives).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedExpr {
    pub name: Option<Ident>,
    pub expr: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullsOrder {
    First,
    Last,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    /// `None` means the KQL default: descending.
    pub order: Option<SortOrder>,
    pub nulls: Option<NullsOrder>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Long(i64),
    Real(f64),
    Bool(bool),
    /// Ticks (100 ns).
    Timespan(i64),
    /// The text inside `datetime(...)`, parsed by the engine (it owns time zones and formats).
    Datetime(String),
    /// A typed null such as `long(null)`; the string is the type name.
    Null(String),
    /// `dynamic(...)`: the JSON text.
    Dynamic(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// A string operator such as `has` or `!startswith_cs`.
    Str(StringOp),
}

/// The family of string predicates; `negated` and `case_sensitive` give the sixteen spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StringOp {
    pub kind: StringOpKind,
    pub negated: bool,
    pub case_sensitive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringOpKind {
    /// `=~` / `!~` (equality, case-insensitive; `_cs` does not exist for it).
    Equals,
    Has,
    HasPrefix,
    HasSuffix,
    Contains,
    StartsWith,
    EndsWith,
    MatchesRegex,
}

impl StringOp {
    /// Reads an operator word such as `!contains_cs`; `None` when it is not a string operator.
    pub fn from_word(word: &str) -> Option<StringOp> {
        let (negated, rest) = match word.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, word),
        };
        let (case_sensitive, base) = match rest.strip_suffix("_cs") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let kind = match base {
            "has" => StringOpKind::Has,
            "hasprefix" => StringOpKind::HasPrefix,
            "hassuffix" => StringOpKind::HasSuffix,
            "contains" => StringOpKind::Contains,
            "startswith" => StringOpKind::StartsWith,
            "endswith" => StringOpKind::EndsWith,
            _ => return None,
        };
        Some(StringOp {
            kind,
            negated,
            case_sensitive,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    Column(String),
    Star,
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    /// `x in (a, b)`, `x !in~ (...)`.
    In {
        value: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
        case_insensitive: bool,
    },
    /// `x between (lo .. hi)`.
    Between {
        value: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    /// `d.a` or `d["a"]` on a dynamic value.
    Member {
        target: Box<Expr>,
        key: String,
    },
    /// `d[0]`.
    Index {
        target: Box<Expr>,
        index: Box<Expr>,
    },
    Error,
}
