//! The typed view of the syntax tree that the engine plans: [`parse`] reads the lossless tree
//! (`kql::syntax`) into `kql::ast`. The tree decides what is KQL; this step gives values their
//! types (a `datetime(…)` its ticks, a `dynamic(…)` its JSON, a string its unescaped text),
//! checks what only a typed reading can (render properties, literal ranges, how deep an
//! expression tree is), and marks valid KQL the local engine cannot run yet as `Unsupported`,
//! naming the construct and where it is, so the engine refuses it rather than answer wrongly.

mod graph;

use super::ast::*;
use super::lexer::{TokenKind, lex};
use super::syntax::{self, SyntaxKind, SyntaxKind::*, SyntaxNode, SyntaxToken};
use super::{Diagnostic, Span, time};

/// Parses `source` into the typed tree and its diagnostics: the syntax tree's errors, then what
/// the typed reading finds. Never fails and never panics.
pub fn parse(source: &str) -> (Query, Vec<Diagnostic>) {
    lower(&syntax::parse(source))
}

/// The typed view of a tree already parsed (for callers that also read the tree), with the
/// tree's errors and the typed reading's, as [`parse`] gives them.
pub fn lower(tree: &syntax::Parse) -> (Query, Vec<Diagnostic>) {
    let mut lower = Lower {
        diagnostics: tree.errors.clone(),
        too_deep: false,
    };
    let root = tree.syntax();
    let length = usize::from(root.text_range().end());
    let query = lower.query(&root, length);
    let mut diagnostics = lower.diagnostics;
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    diagnostics.dedup_by(|a, b| a.span.start == b.span.start);
    (query, diagnostics)
}

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

/// A render clause was refused; its diagnostic is recorded.
struct Refused;

struct Lower {
    diagnostics: Vec<Diagnostic>,
    too_deep: bool,
}

fn span_of(node: &SyntaxNode) -> Span {
    let range = node.text_range();
    Span::new(range.start().into(), range.end().into())
}

fn token_span(token: &SyntaxToken) -> Span {
    let range = token.text_range();
    Span::new(range.start().into(), range.end().into())
}

/// The significant tokens directly under `node`.
fn tokens(node: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> {
    node.children_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
}

/// Whether a node is an expression (or a tabular expression standing where one goes).
fn is_expression(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        LITERAL
            | TYPED_LITERAL
            | NAME_REF
            | BRACKET_NAME
            | NAME_PATTERN
            | STAR_EXPR
            | PAREN_EXPR
            | BIN_EXPR
            | PREFIX_EXPR
            | CALL_EXPR
            | MEMBER_EXPR
            | INDEX_EXPR
            | IN_EXPR
            | BETWEEN_EXPR
            | PIPELINE
            | OPERATOR
            | ERROR
    )
}

/// The first expression node directly under `node`.
fn first_expression(node: &SyntaxNode) -> Option<SyntaxNode> {
    node.children().find(|c| is_expression(c.kind()))
}

/// The value of a string literal token (quotes and escapes read as the lexer reads them).
fn string_value(token: &SyntaxToken) -> String {
    match lex(token.text()).0.first().map(|t| &t.kind) {
        Some(TokenKind::Str(value)) => value.clone(),
        _ => String::new(),
    }
}

/// The name a `NAME_REF`, `BRACKET_NAME` or bare `IDENT` stands for.
fn name_of(element: &syntax::SyntaxElement) -> Option<Ident> {
    match element {
        rowan::NodeOrToken::Token(t) if t.kind() == IDENT => Some(Ident {
            name: t.text().to_string(),
            span: token_span(t),
        }),
        rowan::NodeOrToken::Node(n) if n.kind() == NAME_REF => {
            let t = tokens(n).next()?;
            Some(Ident {
                name: t.text().to_string(),
                span: span_of(n),
            })
        }
        rowan::NodeOrToken::Node(n) if n.kind() == BRACKET_NAME => {
            let t = tokens(n).find(|t| t.kind() == STRING)?;
            Some(Ident {
                name: string_value(&t),
                span: span_of(n),
            })
        }
        _ => None,
    }
}

impl Lower {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(span, message));
    }

    // ---- statements ---------------------------------------------------------------------------

    fn query(&mut self, root: &SyntaxNode, length: usize) -> Query {
        let mut lets = Vec::new();
        let mut body: Option<Pipeline> = None;
        for statement in root.children() {
            match statement.kind() {
                LET_STMT => {
                    if let Some(statement) = self.let_statement(&statement) {
                        lets.push(statement);
                    }
                }
                EXPR_STMT => {
                    let Some(value) = first_expression(&statement) else {
                        continue;
                    };
                    let pipeline = self.pipeline(&value, true);
                    if let Some(previous) = body.replace(pipeline) {
                        self.error(
                            previous.span,
                            "a query returns one tabular expression: separate statements with ';' and keep one result",
                        );
                    }
                }
                // `set`, `declare query_parameters`, `alias`: request settings the local engine
                // has nothing to do with; Defender accepts them.
                _ => {}
            }
        }
        if body.is_none() && !lets.is_empty() && self.diagnostics.is_empty() {
            self.error(
                Span::new(length, length),
                "the query has no tabular expression after its let statements",
            );
        }
        Query {
            lets,
            body,
            span: Span::new(0, length),
        }
    }

    fn let_statement(&mut self, node: &SyntaxNode) -> Option<LetStatement> {
        let name = node
            .children_with_tokens()
            .filter(|e| !e.kind().is_trivia())
            .nth(1)
            .and_then(|e| name_of(&e))?;
        let value = if let Some(function) = node.children().find(|c| c.kind() == FUNCTION_DEF) {
            let mut function_value = self.function(&function);
            function_value.view = tokens(&function).any(|t| t.text() == "view");
            LetValue::Function(std::sync::Arc::new(function_value))
        } else {
            let value = first_expression(node)?;
            if is_tabular(&value) {
                LetValue::Tabular(self.pipeline(&value, false))
            } else {
                LetValue::Scalar(self.expr(&value))
            }
        };
        Some(LetStatement {
            name,
            value,
            span: span_of(node),
        })
    }

    /// `(parameters) { lets; value }`.
    fn function(&mut self, node: &SyntaxNode) -> Function {
        let mut parameters = Vec::new();
        if let Some(list) = node.children().find(|c| c.kind() == PARAM_LIST) {
            for param in list.children().filter(|c| c.kind() == PARAM) {
                let Some(name) = param
                    .children_with_tokens()
                    .find(|e| !e.kind().is_trivia())
                    .and_then(|e| name_of(&e))
                else {
                    continue;
                };
                let type_ref = param.children().find(|c| c.kind() == TYPE_REF);
                let scalar_type = type_ref.as_ref().and_then(|t| {
                    let token = tokens(t).next()?;
                    (token.kind() == IDENT).then(|| Ident {
                        name: token.text().to_string(),
                        span: token_span(&token),
                    })
                });
                let default = param
                    .children()
                    .filter(|c| is_expression(c.kind()))
                    .last()
                    .map(|d| self.expr(&d));
                parameters.push(Parameter {
                    name,
                    scalar_type,
                    default,
                });
            }
        }
        let mut lets = Vec::new();
        let mut value = None;
        if let Some(block) = node.children().find(|c| c.kind() == BLOCK) {
            for statement in block.children() {
                match statement.kind() {
                    LET_STMT => lets.extend(self.let_statement(&statement)),
                    EXPR_STMT => {
                        if let Some(expression) = first_expression(&statement) {
                            value = Some(if is_tabular(&expression) {
                                LetValue::Tabular(self.pipeline(&expression, false))
                            } else {
                                LetValue::Scalar(self.expr(&expression))
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        Function {
            parameters,
            lets,
            value,
            span: span_of(node),
            view: false,
        }
    }

    // ---- tabular ------------------------------------------------------------------------------

    /// A pipeline from a `PIPELINE` node, or from a lone source (a table name, `(…)`, a source
    /// operator). `outermost`: the query's own result (the only place `render` may stand).
    fn pipeline(&mut self, node: &SyntaxNode, outermost: bool) -> Pipeline {
        let (source_node, operators): (Option<SyntaxNode>, Vec<SyntaxNode>) =
            if node.kind() == PIPELINE {
                let mut children = node.children();
                let source = children.next();
                (source, children.filter(|c| c.kind() == OPERATOR).collect())
            } else {
                (Some(node.clone()), Vec::new())
            };
        let source = match &source_node {
            Some(source) => self.source(source),
            None => Source::Error(span_of(node)),
        };
        let operators: Vec<Operator> = operators.iter().map(|op| self.operator(op)).collect();
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
            span: span_of(node),
        }
    }

    fn source(&mut self, node: &SyntaxNode) -> Source {
        let span = span_of(node);
        match node.kind() {
            NAME_REF | BRACKET_NAME => match name_of(&rowan::NodeOrToken::Node(node.clone())) {
                Some(ident) => Source::Table(ident),
                None => Source::Error(span),
            },
            PAREN_EXPR => match first_expression(node) {
                Some(inner) => Source::Nested(Box::new(self.pipeline(&inner, false))),
                None => Source::Error(span),
            },
            CALL_EXPR => {
                let name = tokens(node)
                    .next()
                    .map(|t| t.text().to_string())
                    .unwrap_or_default();
                let argument = node
                    .children()
                    .find(|c| c.kind() == ARG_LIST)
                    .and_then(|list| first_expression(&list));
                match (name.as_str(), argument) {
                    // `materialize(T)` caches T for reuse; the result is T.
                    ("materialize", Some(argument)) => {
                        Source::Nested(Box::new(self.pipeline(&argument, false)))
                    }
                    // A user-defined function, or the planner names what it is.
                    _ => Source::Call(Box::new(self.expr(node))),
                }
            }
            OPERATOR => {
                let name = operator_name(node)
                    .map(|(name, _)| name)
                    .unwrap_or_default();
                match name.as_str() {
                    "print" => Source::Print(
                        node.children()
                            .filter(|c| c.kind() == NAMED_EXPR)
                            .map(|c| self.named_expr(&c))
                            .collect(),
                    ),
                    "datatable" => self.datatable(node).unwrap_or(Source::Error(span)),
                    "range" => self.range(node).unwrap_or(Source::Error(span)),
                    "union" => match self.union(node) {
                        Some(union) => Source::Union(Box::new(union)),
                        None => Source::Unsupported("'union'".into(), span),
                    },
                    _ => Source::Unsupported(format!("'{name}'"), span),
                }
            }
            MEMBER_EXPR => Source::Unsupported(
                "a table of another database or cluster (cluster(…).database(…))".into(),
                span,
            ),
            ERROR => Source::Error(span),
            _ => {
                self.error(span, "expected a table name or a tabular expression");
                Source::Error(span)
            }
        }
    }

    /// `datatable (A: string, …) [values]`; `None` when the tree has an error there (reported).
    fn datatable(&mut self, node: &SyntaxNode) -> Option<Source> {
        let schema = node.children().find(|c| c.kind() == SCHEMA)?;
        let columns = schema_columns(&schema)?;
        let list = node.children().find(|c| c.kind() == ARG_LIST)?;
        let values: Vec<Expr> = list
            .children()
            .filter(|c| is_expression(c.kind()))
            .map(|c| self.expr(&c))
            .collect();
        if columns.is_empty() || !values.len().is_multiple_of(columns.len()) {
            let message = format!(
                "datatable has {} column{} but {} value{}: the values fill whole rows",
                columns.len(),
                if columns.len() == 1 { "" } else { "s" },
                values.len(),
                if values.len() == 1 { "" } else { "s" }
            );
            self.error(span_of(&list), message);
            return None;
        }
        Some(Source::Datatable { columns, values })
    }

    /// `range X from A to B step S`; `None` when a part is missing (the tree reported it).
    fn range(&mut self, node: &SyntaxNode) -> Option<Source> {
        let column = node
            .children_with_tokens()
            .filter(|e| e.kind() == IDENT || e.kind() == BRACKET_NAME)
            .find_map(|e| name_of(&e))?;
        let mut part =
            |word: &str| first_expression(&clause(node, word)?).map(|e| Box::new(self.expr(&e)));
        let from = part("from")?;
        let to = part("to")?;
        let step = part("step")?;
        Some(Source::Range {
            column,
            from,
            to,
            step,
        })
    }

    fn operator(&mut self, node: &SyntaxNode) -> Operator {
        let span = span_of(node);
        let Some((name, name_span)) = operator_name(node) else {
            return Operator {
                kind: OperatorKind::Error,
                span,
            };
        };
        let expressions = || node.children().filter(|c| is_expression(c.kind()));
        let named = |this: &mut Self, parent: &SyntaxNode| -> Vec<NamedExpr> {
            parent
                .children()
                .filter(|c| c.kind() == NAMED_EXPR)
                .map(|c| this.named_expr(&c))
                .collect()
        };
        let unsupported = || {
            OperatorKind::Unsupported(Ident {
                name: name.clone(),
                span: name_span,
            })
        };
        let kind = match name.as_str() {
            "where" | "filter" => match expressions().next() {
                Some(e) => OperatorKind::Where(self.expr(&e)),
                None => OperatorKind::Error,
            },
            "project" => OperatorKind::Project(named(self, node)),
            "extend" => OperatorKind::Extend(named(self, node)),
            "serialize" => OperatorKind::Serialize(named(self, node)),
            "project-away" | "project-keep" | "project-reorder" => {
                let kind = match name.as_str() {
                    "project-away" => ProjectKind::Away,
                    "project-keep" => ProjectKind::Keep,
                    _ => ProjectKind::Reorder,
                };
                OperatorKind::ProjectColumns {
                    kind,
                    items: column_patterns(node),
                }
            }
            "project-rename" => {
                let mut pairs = Vec::new();
                for item in node.children().filter(|c| c.kind() == NAMED_EXPR) {
                    let new = item
                        .children_with_tokens()
                        .find(|e| !e.kind().is_trivia())
                        .and_then(|e| name_of(&e));
                    // The old name is what follows `=` (the new one may be a bracket name,
                    // which reads as an expression too).
                    let old = item
                        .children_with_tokens()
                        .skip_while(|e| e.kind() != ASSIGN)
                        .find_map(|e| match e {
                            rowan::NodeOrToken::Node(n) if is_expression(n.kind()) => Some(n),
                            _ => None,
                        })
                        .and_then(|e| name_of(&rowan::NodeOrToken::Node(e)));
                    match (new, old, tokens(&item).any(|t| t.kind() == ASSIGN)) {
                        (Some(new), Some(old), true) => pairs.push((new, old)),
                        _ => self.error(span_of(&item), "expected NewName = OldName"),
                    }
                }
                OperatorKind::ProjectRename(pairs)
            }
            "take" | "limit" => match expressions().next() {
                Some(e) => OperatorKind::Take(self.expr(&e)),
                None => OperatorKind::Error,
            },
            "sort" | "order" => match clause(node, "by") {
                Some(by) => OperatorKind::Sort(self.sort_keys(&by)),
                None => OperatorKind::Error,
            },
            "top" => match (expressions().next(), clause(node, "by")) {
                (Some(count), Some(by)) => {
                    let count = self.expr(&count);
                    match self.sort_keys(&by).into_iter().next() {
                        Some(key) => OperatorKind::Top { count, key },
                        None => OperatorKind::Error,
                    }
                }
                _ => OperatorKind::Error,
            },
            "count" => OperatorKind::Count,
            "summarize" => {
                let aggregates = named(self, node);
                let by = match clause(node, "by") {
                    Some(by) => named(self, &by),
                    None => Vec::new(),
                };
                OperatorKind::Summarize { aggregates, by }
            }
            "distinct" => OperatorKind::Distinct(named(self, node)),
            "render" => self.render(node),
            "as" => match node
                .children_with_tokens()
                .filter(|e| !e.kind().is_trivia() && e.kind() != OPERATOR_NAME)
                .find_map(|e| name_of(&e))
            {
                Some(name) => OperatorKind::As(name),
                None => OperatorKind::Error,
            },
            "consume" => OperatorKind::Consume,
            "getschema" => OperatorKind::GetSchema,
            "top-hitters" => match (
                expressions().next(),
                clause(node, "of").and_then(|c| first_expression(&c)),
            ) {
                (Some(count), Some(of)) => OperatorKind::TopHitters {
                    count: self.expr(&count),
                    of: self.expr(&of),
                    by: clause(node, "by")
                        .and_then(|c| first_expression(&c))
                        .map(|e| self.expr(&e)),
                },
                _ => OperatorKind::Error,
            },
            "partition" => {
                let column = clause(node, "by").and_then(|by| {
                    by.children_with_tokens()
                        .filter(|e| !e.kind().is_trivia())
                        .nth(1)
                        .and_then(|e| name_of(&e))
                });
                let operators: Option<Vec<Operator>> =
                    node.children().find(|c| c.kind() == SUBQUERY).map(|sub| {
                        sub.children()
                            .filter(|c| c.kind() == OPERATOR)
                            .map(|op| self.operator(&op))
                            .collect()
                    });
                match (column, operators) {
                    (Some(column), Some(operators)) => {
                        OperatorKind::Partition { column, operators }
                    }
                    _ => unsupported(),
                }
            }
            "mv-apply" | "mvapply" => {
                let expand = self.mv_expand(node, false);
                let operators: Option<Vec<Operator>> = clause(node, "on")
                    .and_then(|on| on.children().find(|c| c.kind() == SUBQUERY))
                    .map(|sub| {
                        sub.children()
                            .filter(|c| c.kind() == OPERATOR)
                            .map(|op| self.operator(&op))
                            .collect()
                    });
                match (expand, operators) {
                    (Some(expand), Some(operators)) => {
                        OperatorKind::MvApply(Box::new(MvApply { expand, operators }))
                    }
                    _ => OperatorKind::Error,
                }
            }
            "mv-expand" | "mvexpand" => match self.mv_expand(node, name == "mvexpand") {
                Some(expand) => OperatorKind::MvExpand(Box::new(expand)),
                None => unsupported(),
            },
            "union" => match self.union(node) {
                Some(union) => OperatorKind::Union(Box::new(union)),
                None => unsupported(),
            },
            "join" | "lookup" => match self.join(node, name == "lookup") {
                Some(join) => OperatorKind::Join(Box::new(join)),
                None => unsupported(),
            },
            "sample" => match expressions().next() {
                Some(count) => OperatorKind::Sample(self.expr(&count)),
                None => OperatorKind::Error,
            },
            "sample-distinct" => match (
                expressions().next(),
                clause(node, "of").and_then(|c| first_expression(&c)),
            ) {
                (Some(count), Some(of)) => OperatorKind::SampleDistinct {
                    count: self.expr(&count),
                    of: self.expr(&of),
                },
                _ => OperatorKind::Error,
            },
            "top-nested" => match self.top_nested(node) {
                Some(levels) => OperatorKind::TopNested(levels),
                None => OperatorKind::Error,
            },
            "invoke" => match expressions().next() {
                Some(call) if call.kind() == CALL_EXPR => OperatorKind::Invoke(self.expr(&call)),
                _ => unsupported(),
            },
            "project-by-names" => OperatorKind::ProjectByNames(
                named(self, node)
                    .into_iter()
                    .map(|item| item.expr)
                    .collect(),
            ),
            "evaluate" => match self.evaluate(node) {
                Some(evaluate) => OperatorKind::Evaluate(Box::new(evaluate)),
                None => unsupported(),
            },
            "parse-kv" => match self.parse_kv(node) {
                Some(parse) => OperatorKind::ParseKv(Box::new(parse)),
                None => OperatorKind::Error,
            },
            "parse" | "parse-where" => match self.parse_operator(node, name == "parse-where") {
                Some(parse) => OperatorKind::Parse(Box::new(parse)),
                None => OperatorKind::Error,
            },
            "make-series" => match self.make_series(node) {
                Some(series) => OperatorKind::MakeSeries(Box::new(series)),
                None => OperatorKind::Error,
            },
            "scan" => match self.scan(node) {
                Some(scan) => OperatorKind::Scan(Box::new(scan)),
                None => OperatorKind::Error,
            },
            "reduce" => match self.reduce(node) {
                Some(reduce) => OperatorKind::Reduce(Box::new(reduce)),
                None => OperatorKind::Error,
            },
            "make-graph" => match self.make_graph(node) {
                Some(make) => OperatorKind::MakeGraph(Box::new(make)),
                None => OperatorKind::Error,
            },
            "graph-match" | "graph-shortest-paths" => {
                match self.graph_match(node, name == "graph-shortest-paths") {
                    Some(matching) => OperatorKind::GraphMatch(Box::new(matching)),
                    None => OperatorKind::Error,
                }
            }
            "graph-to-table" => match self.graph_to_table(node) {
                Some(parts) => OperatorKind::GraphToTable(parts),
                None => OperatorKind::Error,
            },
            "graph-mark-components" => self.mark_components(node),
            _ => unsupported(),
        };
        Operator { kind, span }
    }

    /// `reduce [kind=source] by Expr [with threshold=T, characters=C]` (reduce-operator.md);
    /// `None` after a diagnostic, or when a part is missing (the tree reported it).
    fn reduce(&mut self, node: &SyntaxNode) -> Option<Reduce> {
        let mut kind = None;
        for (name, value) in parameters(node) {
            if name == "kind" {
                kind = Some(value_ident(&value));
            } else {
                self.error(
                    span_of(&value),
                    format!(
                        "reduce has no parameter '{}' (it takes kind)",
                        name.escape_debug()
                    ),
                );
                return None;
            }
        }
        let by = clause(node, "by").and_then(|c| first_expression(&c))?;
        let by = self.expr(&by);
        let (mut threshold, mut characters) = (None, None);
        if let Some(with) = clause(node, "with") {
            // `with threshold=…, characters=…`, or the same in parentheses.
            let list = with
                .children()
                .find(|c| c.kind() == ARG_LIST)
                .unwrap_or_else(|| with.clone());
            for item in list
                .children()
                .filter(|c| matches!(c.kind(), NAMED_EXPR | NAMED_ARG))
            {
                let named = tokens(&item)
                    .any(|t| t.kind() == ASSIGN)
                    .then(|| self.named_expr_parts(&item))
                    .flatten();
                let Some((name, value)) = named else {
                    self.error(span_of(&item), "expected threshold = … or characters = …");
                    return None;
                };
                let value = Some(self.expr(&value));
                match name.name.as_str() {
                    "threshold" => threshold = value,
                    "characters" => characters = value,
                    other => {
                        self.error(
                            name.span,
                            format!(
                                "reduce has no property '{}' (it takes threshold and characters)",
                                other.escape_debug()
                            ),
                        );
                        return None;
                    }
                }
            }
        }
        Some(Reduce {
            kind,
            by,
            threshold,
            characters,
        })
    }

    /// `scan …` (scan-operator.md); `None` when a part is missing (the tree reported it).
    fn scan(&mut self, node: &SyntaxNode) -> Option<Scan> {
        let mut match_id = None;
        for (name, value) in parameters(node) {
            if name == "with_match_id" {
                match_id = Some(value_ident(&value));
            } else {
                self.error(
                    span_of(&value),
                    format!(
                        "scan has no parameter '{}' (it takes with_match_id)",
                        name.escape_debug()
                    ),
                );
                return None;
            }
        }
        let mut declared = Vec::new();
        if let Some(declare) = clause(node, "declare") {
            let schema = declare.children().find(|c| c.kind() == SCHEMA)?;
            let columns = schema_columns(&schema)?;
            let defaults: Vec<Option<Expr>> = schema
                .children()
                .filter(|c| c.kind() == COLUMN_DECL)
                .map(|declaration| first_expression(&declaration).map(|e| self.expr(&e)))
                .collect();
            for ((name, type_name), default) in columns.into_iter().zip(defaults) {
                declared.push((name, type_name, default));
            }
        }
        let with = clause(node, "with")?;
        let mut steps = Vec::new();
        for step in with
            .children()
            .filter(|c| c.kind() == CLAUSE && tokens(c).next().is_some_and(|t| t.text() == "step"))
        {
            let name = step
                .children_with_tokens()
                .filter(|e| !e.kind().is_trivia())
                .nth(1)
                .and_then(|e| name_of(&e))?;
            let mut output = None;
            for (param, value) in parameters(&step) {
                if param != "output" {
                    self.error(
                        span_of(&value),
                        format!(
                            "a scan step has no parameter '{}' (it takes output)",
                            param.escape_debug()
                        ),
                    );
                    return None;
                }
                output = Some(value_ident(&value));
            }
            let condition = step.children().find(|c| is_expression(c.kind()))?;
            let condition = self.expr(&condition);
            let assignments = step
                .children()
                .filter(|c| c.kind() == NAMED_EXPR)
                .map(|c| self.named_expr(&c))
                .collect();
            steps.push(ScanStep {
                name,
                output,
                condition,
                assignments,
            });
        }
        if steps.is_empty() {
            self.error(span_of(&with), "scan needs at least one step");
            return None;
        }
        Some(Scan {
            match_id,
            declared,
            steps,
        })
    }

    /// `evaluate Plugin(args) [: (Name: type, …)]`; `None` when the tree has an error there.
    fn evaluate(&mut self, node: &SyntaxNode) -> Option<Evaluate> {
        let call = first_expression(node)?;
        let Expr {
            kind: ExprKind::Call { name, args },
            ..
        } = self.expr(&call)
        else {
            return None;
        };
        let (schema, schema_wildcard) = match node.children().find(|c| c.kind() == SCHEMA) {
            None => (None, false),
            Some(schema) => {
                let columns = schema_columns(&schema)?;
                let wildcard = schema.descendants_with_tokens().any(|e| e.kind() == STAR);
                (Some(columns), wildcard)
            }
        };
        Some(Evaluate {
            plugin: name,
            args,
            schema,
            schema_wildcard,
        })
    }

    /// `parse-kv Expr as (Key: type, …) [with (Name = Value, …)]`; `None` when the tree has an
    /// error there (reported by the parser).
    fn parse_kv(&mut self, node: &SyntaxNode) -> Option<ParseKv> {
        let source = first_expression(node)?;
        let schema = clause(node, "as")?
            .children()
            .find(|c| c.kind() == SCHEMA)?;
        let keys = schema_columns(&schema)?;
        let mut properties = Vec::new();
        if let Some(with) = clause(node, "with") {
            let list = with
                .children()
                .find(|c| c.kind() == ARG_LIST)
                .unwrap_or_else(|| with.clone());
            for item in list.children().filter(|c| c.kind() == NAMED_ARG) {
                let name = tokens(&item).next()?;
                let value = first_expression(&item)?;
                properties.push((
                    Ident {
                        name: name.text().to_string(),
                        span: token_span(&name),
                    },
                    self.expr(&value),
                ));
            }
        }
        let source = self.expr(&source);
        Some(ParseKv {
            source,
            keys,
            properties,
        })
    }

    /// `top-nested` clauses, in order; `None` when the tree has an error there (reported).
    fn top_nested(&mut self, node: &SyntaxNode) -> Option<Vec<TopNestedLevel>> {
        let mut levels = Vec::new();
        let (mut count, mut of, mut others) = (None, None, None);
        for child in node.children() {
            if is_expression(child.kind()) {
                count = Some(self.expr(&child));
                continue;
            }
            if child.kind() != CLAUSE {
                continue;
            }
            let word = tokens(&child).next().map(|t| t.text().to_string());
            let named = child.children().find(|c| c.kind() == NAMED_EXPR);
            match word.as_deref() {
                Some("of") => of = Some(self.named_expr(&named?)),
                Some("with") => others = first_expression(&child).map(|e| self.expr(&e)),
                Some("by") => {
                    let by = self.named_expr(&named?);
                    let ascending = tokens(&child).any(|t| t.text() == "asc");
                    levels.push(TopNestedLevel {
                        count: count.take(),
                        of: of.take()?,
                        others: others.take(),
                        by,
                        ascending,
                    });
                }
                _ => {}
            }
        }
        (!levels.is_empty()).then_some(levels)
    }

    /// `parse[-where] [kind=…] [flags=…] Expr with Pattern`; `None` when the tree has an error
    /// there (reported by the parser).
    fn parse_operator(&mut self, node: &SyntaxNode, filter: bool) -> Option<Parse> {
        let (mut kind, mut flags) = (ParseKind::Simple, None);
        for (name, value) in parameters(node) {
            let value = value_ident(&value);
            match name.as_str() {
                "kind" => {
                    kind = match value.name.as_str() {
                        "regex" => ParseKind::Regex,
                        "relaxed" => ParseKind::Relaxed,
                        "simple" => ParseKind::Simple,
                        _ => {
                            self.error(value.span, "expected kind=simple, regex or relaxed");
                            ParseKind::Simple
                        }
                    }
                }
                "flags" => flags = Some(value),
                _ => {}
            }
        }
        let source = first_expression(node)?;
        let pattern_node = clause(node, "with")?
            .children()
            .find(|c| c.kind() == PARSE_PATTERN)?;
        let mut pattern = Vec::new();
        for element in pattern_node.children_with_tokens() {
            match element {
                rowan::NodeOrToken::Token(t) if t.kind() == STRING => {
                    pattern.push(ParsePart::Text(string_value(&t)));
                }
                rowan::NodeOrToken::Token(t) if t.kind() == STAR => pattern.push(ParsePart::Star),
                rowan::NodeOrToken::Node(n) if n.kind() == COLUMN_DECL => {
                    let name = n
                        .children_with_tokens()
                        .find(|e| !e.kind().is_trivia())
                        .and_then(|e| name_of(&e))?;
                    let ty = n
                        .children()
                        .find(|c| c.kind() == TYPE_REF)
                        .and_then(|t| tokens(&t).next())
                        .map(|t| Ident {
                            name: t.text().to_string(),
                            span: token_span(&t),
                        });
                    pattern.push(ParsePart::Column { name, ty });
                }
                _ => {}
            }
        }
        let source = self.expr(&source);
        Some(Parse {
            kind,
            flags,
            source,
            pattern,
            filter,
        })
    }

    /// `make-series [kind=nonempty] [Name =] Aggregate [default = V], … on Axis (from A to B
    /// step S | in range(A, B, S)) [by …]`; `None` when the tree has an error there (reported
    /// by the parser) or `in` is not followed by `range(start, stop, step)`.
    fn make_series(&mut self, node: &SyntaxNode) -> Option<MakeSeries> {
        let mut nonempty = false;
        for (name, value) in parameters(node) {
            if name == "kind" {
                let value = value_ident(&value);
                match value.name.as_str() {
                    "nonempty" => nonempty = true,
                    _ => self.error(value.span, "expected kind=nonempty"),
                }
            }
        }
        let mut aggregates = Vec::new();
        for item in node.children().filter(|c| c.kind() == NAMED_EXPR) {
            let default = clause(&item, "default")
                .and_then(|clause| first_expression(&clause))
                .map(|e| self.expr(&e));
            let item = self.named_expr(&item);
            aggregates.push(SeriesAggregate { item, default });
        }
        let axis = self.expr(&first_expression(&clause(node, "on")?)?);
        let mut part = |word: &str| {
            clause(node, word)
                .and_then(|c| first_expression(&c))
                .map(|e| self.expr(&e))
        };
        let range = match part("in") {
            Some(Expr {
                kind: ExprKind::Call { name, args },
                ..
            }) if name.name == "range" && args.len() == 3 => {
                let mut args = args.into_iter();
                let (start, stop, step) = (args.next()?, args.next()?, args.next()?);
                SeriesRange::InRange { start, stop, step }
            }
            Some(other) => {
                self.error(other.span, "expected range(start, stop, step) after 'in'");
                return None;
            }
            None => {
                let from = part("from");
                let to = part("to");
                let step = part("step")?;
                SeriesRange::FromTo { from, to, step }
            }
        };
        let by = match clause(node, "by") {
            Some(by) => by
                .children()
                .filter(|c| c.kind() == NAMED_EXPR)
                .map(|c| self.named_expr(&c))
                .collect(),
            None => Vec::new(),
        };
        (!aggregates.is_empty()).then_some(MakeSeries {
            nonempty,
            aggregates,
            axis,
            range,
            by,
        })
    }

    /// `join [kind=K] [hint.…] Right on Keys`; `None` for forms the engine does not read yet
    /// (`on` with an expression that is not a key equality, `join … where`).
    fn join(&mut self, node: &SyntaxNode, lookup: bool) -> Option<Join> {
        let mut kind = Ident {
            name: if lookup { "leftouter" } else { "innerunique" }.into(),
            span: operator_name(node)?.1,
        };
        for (name, value) in parameters(node) {
            if name == "kind" {
                kind = value_ident(&value);
            }
        }
        let right = node.children().find(|c| is_expression(c.kind()))?;
        let on = clause(node, "on")?;
        let mut keys = Vec::new();
        for key in on.children().filter(|c| is_expression(c.kind())) {
            join_keys(&key, &mut keys)?;
        }
        let right = self.pipeline(&right, false);
        Some(Join {
            kind,
            lookup,
            right,
            keys,
        })
    }

    /// `mv-expand [kind=…] [with_itemindex=…] [Name =] Expr [to typeof(T)], … [limit N]`.
    fn mv_expand(&mut self, node: &SyntaxNode, legacy: bool) -> Option<MvExpand> {
        let (mut bag_as_array, mut item_index) = (false, None);
        for (name, value) in parameters(node) {
            let value = name_of(&rowan::NodeOrToken::Node(value))?;
            match name.as_str() {
                "kind" | "bagexpansion" => bag_as_array = value.name == "array",
                "with_itemindex" => item_index = Some(value),
                _ => {}
            }
        }
        let mut items = Vec::new();
        for item in node.children().filter(|c| c.kind() == NAMED_EXPR) {
            let named = self.named_expr(&item);
            let to_type = clause(&item, "to")
                .and_then(|clause| clause.children().find(|c| c.kind() == CALL_EXPR))
                .and_then(|call| call.children().find(|c| c.kind() == ARG_LIST))
                .and_then(|list| first_expression(&list))
                .and_then(|t| name_of(&rowan::NodeOrToken::Node(t)));
            items.push(ExpandItem {
                name: named.name,
                expr: named.expr,
                to_type,
            });
        }
        let limit = clause(node, "limit")
            .and_then(|clause| first_expression(&clause))
            .map(|e| self.expr(&e));
        (!items.is_empty()).then_some(MvExpand {
            items,
            bag_as_array,
            item_index,
            limit,
            legacy,
        })
    }

    /// `union [kind=…] [withsource=…] [isfuzzy=…] Legs`.
    fn union(&mut self, node: &SyntaxNode) -> Option<Union> {
        let mut kind = Ident {
            name: "outer".into(),
            span: operator_name(node)?.1,
        };
        let (mut source_column, mut fuzzy) = (None, false);
        for (name, value) in parameters(node) {
            let ident = value_ident(&value);
            match name.as_str() {
                "kind" => kind = ident,
                "withsource" => source_column = Some(ident),
                "isfuzzy" => fuzzy = ident.name == "true",
                // hint.* change how, not what.
                _ => {}
            }
        }
        let mut legs = Vec::new();
        for leg in node.children() {
            match leg.kind() {
                NAME_PATTERN => legs.push(UnionLeg::Pattern(Ident {
                    name: leg.text().to_string(),
                    span: span_of(&leg),
                })),
                kind if is_expression(kind) => {
                    legs.push(UnionLeg::Pipeline(self.pipeline(&leg, false)))
                }
                _ => {}
            }
        }
        (!legs.is_empty()).then_some(Union {
            kind,
            source_column,
            fuzzy,
            legs,
        })
    }

    fn sort_keys(&mut self, clause: &SyntaxNode) -> Vec<SortKey> {
        clause
            .children()
            .filter(|c| c.kind() == SORT_KEY)
            .filter_map(|key| {
                let expr = self.expr(&first_expression(&key)?);
                let words: Vec<String> = tokens(&key).map(|t| t.text().to_string()).collect();
                let order = if words.iter().any(|w| w == "asc") {
                    Some(SortOrder::Asc)
                } else if words.iter().any(|w| w == "desc") {
                    Some(SortOrder::Desc)
                } else {
                    None
                };
                let nulls = if words.iter().any(|w| w == "first") {
                    Some(NullsOrder::First)
                } else if words.iter().any(|w| w == "last") {
                    Some(NullsOrder::Last)
                } else {
                    None
                };
                Some(SortKey { expr, order, nulls })
            })
            .collect()
    }

    /// `Name = Expr`, `(A, B) = Expr` or `Expr`.
    fn named_expr(&mut self, node: &SyntaxNode) -> NamedExpr {
        let assigned = tokens(node).any(|t| t.kind() == ASSIGN);
        let tuple = assigned && tokens(node).any(|t| t.kind() == L_PAREN);
        let mut names = Vec::new();
        let mut name = None;
        if assigned {
            // The names are the elements before the `=`.
            for element in node.children_with_tokens() {
                if element.kind() == ASSIGN {
                    break;
                }
                if let Some(ident) = name_of(&element) {
                    names.push(ident);
                }
            }
            if !tuple {
                name = names.pop();
                names.clear();
            }
        }
        let expr = match node.children().filter(|c| is_expression(c.kind())).last() {
            Some(value) => self.expr(&value),
            None => Expr::error(span_of(node)),
        };
        NamedExpr { name, names, expr }
    }

    /// `render Visualization [with (Name = Value, …)]`, checked against render-operator.md.
    fn render(&mut self, node: &SyntaxNode) -> OperatorKind {
        self.read_render(node).unwrap_or(OperatorKind::Error)
    }

    fn read_render(&mut self, node: &SyntaxNode) -> Result<OperatorKind, Refused> {
        let Some(visualization) = node
            .children_with_tokens()
            .filter(|e| e.parent().is_some_and(|p| p == *node))
            .find(|e| matches!(e.kind(), IDENT | BRACKET_NAME))
            .and_then(|e| name_of(&e))
        else {
            return Err(Refused);
        };
        if !RENDER_VISUALIZATIONS.contains(&visualization.name.as_str()) {
            self.error(
                visualization.span,
                format!(
                    "unknown visualization '{}' (render takes {})",
                    visualization.name.escape_debug(),
                    RENDER_VISUALIZATIONS.join(", ")
                ),
            );
            return Err(Refused);
        }
        let mut properties = Vec::new();
        if let Some(with) = node.children().find(|c| c.kind() == CLAUSE) {
            let list = with
                .children()
                .find(|c| c.kind() == ARG_LIST)
                .unwrap_or_else(|| with.clone());
            // `ycolumns=a, b`: names after a comma continue the list until the next `Name =`.
            let mut current: Option<(Ident, RenderShape, Vec<SyntaxNode>)> = None;
            for item in list.children() {
                let assignment = match item.kind() {
                    NAMED_ARG => tokens(&item).next().map(|t| {
                        (
                            Ident {
                                name: t.text().to_string(),
                                span: token_span(&t),
                            },
                            first_expression(&item),
                        )
                    }),
                    NAMED_EXPR if tokens(&item).any(|t| t.kind() == ASSIGN) => {
                        let named = self.named_expr_parts(&item);
                        named.map(|(name, value)| (name, Some(value)))
                    }
                    _ => None,
                };
                match assignment {
                    Some((name, value)) => {
                        if let Some(done) = current.take() {
                            properties.push(self.render_property(done)?);
                        }
                        let Some((_, shape)) =
                            RENDER_PROPERTIES.iter().find(|(n, _)| *n == name.name)
                        else {
                            let known: Vec<&str> =
                                RENDER_PROPERTIES.iter().map(|(n, _)| *n).collect();
                            self.error(
                                name.span,
                                format!(
                                    "unknown render property '{}' (known: {})",
                                    name.name.escape_debug(),
                                    known.join(", ")
                                ),
                            );
                            return Err(Refused);
                        };
                        current = Some((name, *shape, value.into_iter().collect()));
                    }
                    None => {
                        match &mut current {
                            // A further column of `ycolumns=a, b`.
                            Some((_, RenderShape::Columns, values)) => {
                                let value = if item.kind() == NAMED_EXPR {
                                    first_expression(&item)
                                } else {
                                    Some(item.clone())
                                };
                                values.extend(value);
                            }
                            _ => {
                                self.error(span_of(&item), "expected a render property (title, xcolumn, ycolumns, series, …)");
                                return Err(Refused);
                            }
                        }
                    }
                }
            }
            if let Some(done) = current.take() {
                properties.push(self.render_property(done)?);
            }
        }
        Ok(OperatorKind::Render(Render {
            visualization,
            properties,
        }))
    }

    /// The name and value of an assigning `NAMED_EXPR`.
    fn named_expr_parts(&mut self, item: &SyntaxNode) -> Option<(Ident, SyntaxNode)> {
        let name = item
            .children_with_tokens()
            .find(|e| !e.kind().is_trivia())
            .and_then(|e| name_of(&e))?;
        Some((name, first_expression(item)?))
    }

    /// One property's value, read by its shape; `Err` (an error operator) after a diagnostic.
    fn render_property(
        &mut self,
        (name, shape, values): (Ident, RenderShape, Vec<SyntaxNode>),
    ) -> Result<RenderProperty, Refused> {
        let fail = |this: &mut Self, span: Span, message: String| {
            this.error(span, message);
            Err(Refused)
        };
        let Some(first) = values.first() else {
            return fail(
                self,
                name.span,
                format!("expected a value for '{}'", name.name),
            );
        };
        let end = values.last().map_or(name.span.end, |v| span_of(v).end);
        let text = first.text().to_string();
        let value = match shape {
            RenderShape::Text => match first.kind() {
                LITERAL if tokens(first).all(|t| t.kind() == STRING) => {
                    RenderValue::Text(tokens(first).map(|t| string_value(&t)).collect())
                }
                NAME_REF => RenderValue::Text(text),
                _ => {
                    return fail(
                        self,
                        span_of(first),
                        format!("expected a string for '{}'", name.name),
                    );
                }
            },
            RenderShape::Column => match name_of(&rowan::NodeOrToken::Node(first.clone())) {
                Some(column) => RenderValue::Text(column.name),
                None => return fail(self, span_of(first), "expected a column name".into()),
            },
            RenderShape::Columns => {
                let mut columns = Vec::new();
                for value in &values {
                    match name_of(&rowan::NodeOrToken::Node(value.clone())) {
                        Some(column) => columns.push(column),
                        None => return fail(self, span_of(value), "expected a column name".into()),
                    }
                }
                RenderValue::Columns(columns)
            }
            RenderShape::Word(words) => {
                if first.kind() != NAME_REF || !words.contains(&text.as_str()) {
                    return fail(
                        self,
                        span_of(first),
                        format!(
                            "'{}' takes {}, not {}",
                            name.name,
                            words.join(", "),
                            syntax::describe(first.first_token().map(|t| t.kind()), &text)
                        ),
                    );
                }
                RenderValue::Text(text)
            }
            RenderShape::Number => match self.expr(first).kind {
                ExprKind::Literal(Literal::Long(v)) => RenderValue::Number(v as f64),
                ExprKind::Literal(Literal::Real(v)) => RenderValue::Number(v),
                _ => {
                    return fail(
                        self,
                        span_of(first),
                        format!("expected a number for '{}'", name.name),
                    );
                }
            },
            RenderShape::Bool => match (first.kind(), text.as_str()) {
                (LITERAL, "true") => RenderValue::Bool(true),
                (LITERAL, "false") => RenderValue::Bool(false),
                _ => {
                    return fail(
                        self,
                        span_of(first),
                        format!("expected true or false for '{}'", name.name),
                    );
                }
            },
        };
        let span = Span::new(name.span.start, end);
        Ok(RenderProperty { name, value, span })
    }

    // ---- scalar expressions ---------------------------------------------------------------

    /// A tree node, refused (an error node with a diagnostic) when it would be deeper than
    /// `MAX_EXPR_DEPTH`: the planner and DataFusion walk expressions recursively.
    fn node(&mut self, kind: ExprKind, span: Span) -> Expr {
        let expr = Expr::new(kind, span);
        if expr.depth <= MAX_EXPR_DEPTH {
            return expr;
        }
        if !self.too_deep {
            self.too_deep = true;
            self.error(
                span,
                format!(
                    "this expression is nested more than {MAX_EXPR_DEPTH} levels deep; split it with let statements"
                ),
            );
        }
        Expr::error(span)
    }

    fn expr(&mut self, node: &SyntaxNode) -> Expr {
        let span = span_of(node);
        match node.kind() {
            LITERAL => self.literal(node),
            TYPED_LITERAL => self.typed_literal(node),
            NAME_REF => {
                let name = tokens(node)
                    .next()
                    .map(|t| t.text().to_string())
                    .unwrap_or_default();
                Expr::new(ExprKind::Column(name), span)
            }
            BRACKET_NAME => match name_of(&rowan::NodeOrToken::Node(node.clone())) {
                Some(ident) => Expr::new(ExprKind::Column(ident.name), span),
                None => Expr::error(span),
            },
            STAR_EXPR => Expr::new(ExprKind::Star, span),
            PAREN_EXPR => match first_expression(node) {
                Some(inner) if is_tabular(&inner) => {
                    let pipeline = self.pipeline(&inner, false);
                    Expr::new(ExprKind::Tabular(Box::new(pipeline)), span)
                }
                Some(inner) => self.expr(&inner),
                None => Expr::error(span),
            },
            PIPELINE | OPERATOR => {
                let pipeline = self.pipeline(node, false);
                Expr::new(ExprKind::Tabular(Box::new(pipeline)), span)
            }
            BIN_EXPR => self.binary(node),
            PREFIX_EXPR => self.prefix(node),
            CALL_EXPR => self.call(node),
            MEMBER_EXPR => self.member(node),
            INDEX_EXPR => {
                let mut parts = node.children().filter(|c| is_expression(c.kind()));
                let (Some(target), Some(index)) = (parts.next(), parts.next()) else {
                    return Expr::error(span);
                };
                let target = self.expr(&target);
                let index = self.expr(&index);
                let kind = match index.kind {
                    ExprKind::Literal(Literal::String(key)) => ExprKind::Member {
                        target: Box::new(target),
                        key,
                    },
                    _ => ExprKind::Index {
                        target: Box::new(target),
                        index: Box::new(index),
                    },
                };
                self.node(kind, span)
            }
            IN_EXPR => self.in_expr(node),
            BETWEEN_EXPR => {
                let mut parts = node.children().filter(|c| is_expression(c.kind()));
                let (Some(value), Some(low), Some(high)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Expr::error(span);
                };
                let negated = tokens(node).any(|t| t.kind() == BANG);
                let kind = ExprKind::Between {
                    value: Box::new(self.expr(&value)),
                    low: Box::new(self.expr(&low)),
                    high: Box::new(self.expr(&high)),
                    negated,
                };
                self.node(kind, span)
            }
            _ => Expr::error(span),
        }
    }

    fn literal(&mut self, node: &SyntaxNode) -> Expr {
        let span = span_of(node);
        let parts: Vec<SyntaxToken> = tokens(node).collect();
        let Some(first) = parts.first() else {
            return Expr::error(span);
        };
        let literal = match first.kind() {
            STRING => Literal::String(parts.iter().map(string_value).collect()),
            IDENT => Literal::Bool(first.text().eq_ignore_ascii_case("true")),
            _ => match lex(first.text()).0.first().map(|t| t.kind.clone()) {
                Some(TokenKind::Int(v)) => Literal::Long(v),
                Some(TokenKind::Real(v)) => Literal::Real(v),
                Some(TokenKind::Timespan(ticks)) => Literal::Timespan(ticks),
                _ => return Expr::error(span),
            },
        };
        Expr::new(ExprKind::Literal(literal), span)
    }

    /// `datetime(…)`, `dynamic(…)`, `timespan(…)`, `guid(…)`, `int(null)`, `real(nan)` …
    fn typed_literal(&mut self, node: &SyntaxNode) -> Expr {
        let span = span_of(node);
        let all: Vec<SyntaxToken> = tokens(node).collect();
        let name = all
            .first()
            .map(|t| t.text().to_string())
            .unwrap_or_default();
        let (Some(open), Some(close)) = (
            all.iter().find(|t| t.kind() == L_PAREN),
            all.iter().rev().find(|t| t.kind() == R_PAREN),
        ) else {
            return Expr::error(span);
        };
        let whole = node.text().to_string();
        let base = usize::from(node.text_range().start());
        let inside = |from: &SyntaxToken, to: &SyntaxToken| {
            let start = usize::from(from.text_range().end()) - base;
            let end = usize::from(to.text_range().start()) - base;
            whole
                .get(start..end.max(start))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let raw = inside(open, close);
        let canonical = match name.as_str() {
            "date" => "datetime",
            "time" => "timespan",
            "uuid" | "uniqueid" => "guid",
            "boolean" => "bool",
            "int32" => "int",
            "int64" => "long",
            "double" => "real",
            other => other,
        };
        let text = unquote(&raw);
        let result: Result<ExprKind, String> = match canonical {
            "datetime" => match text.as_str() {
                "null" => Ok(ExprKind::Literal(Literal::Null("datetime".into()))),
                // `datetime()` is now.
                "" => Ok(ExprKind::Call {
                    name: Ident {
                        name: "now".into(),
                        span,
                    },
                    args: Vec::new(),
                }),
                // `datetime(2025, 6, 14)`: year, month, day [, hour, minute, second] (the
                // startofweek page writes them).
                _ if text.contains(',')
                    && text.split(',').next().is_some_and(|y| {
                        !y.trim().is_empty() && y.trim().bytes().all(|b| b.is_ascii_digit())
                    }) =>
                {
                    time::datetime_from_parts(&text)
                        .map(|t| ExprKind::Literal(Literal::Datetime(t)))
                }
                _ => time::parse_datetime(&text).map(|t| ExprKind::Literal(Literal::Datetime(t))),
            },
            "dynamic" if raw == "null" => Ok(ExprKind::Literal(Literal::Null("dynamic".into()))),
            "dynamic" => dynamic_literal_json(&raw)
                .map(|json| ExprKind::Literal(Literal::Dynamic(json)))
                .map_err(|m| format!("dynamic(...) is not a valid value: {m}")),
            "timespan" if text == "null" => Ok(ExprKind::Literal(Literal::Null("timespan".into()))),
            "timespan" => time::parse_timespan(&text)
                .map(|t| ExprKind::Literal(Literal::Timespan(t)))
                .map_err(|m| format!("'{}' is not a timespan: {m}", text.escape_debug())),
            "guid" => guid_literal(&text),
            scalar => scalar_literal(scalar, &raw),
        };
        match result {
            Ok(kind) => Expr::new(kind, span),
            Err(message) => {
                self.error(span, message);
                Expr::error(span)
            }
        }
    }

    /// A flat chain of one precedence level: `and`/`or` as one list, others left-associative.
    fn binary(&mut self, node: &SyntaxNode) -> Expr {
        let span = span_of(node);
        // Operands are the child nodes; the significant tokens between them spell the operator.
        let mut operands = Vec::new();
        let mut operators: Vec<String> = Vec::new();
        let mut pending = String::new();
        let mut last_word = false;
        for element in node.children_with_tokens() {
            match element {
                rowan::NodeOrToken::Node(n) => {
                    if !operands.is_empty() || !pending.is_empty() {
                        operators.push(std::mem::take(&mut pending));
                    }
                    operands.push(n);
                    last_word = false;
                }
                rowan::NodeOrToken::Token(t) if !t.kind().is_trivia() => {
                    // `matches regex` is two words; `!has` one spelling.
                    if last_word && t.kind() == IDENT {
                        pending.push(' ');
                    }
                    pending.push_str(t.text());
                    last_word = t.kind() == IDENT;
                }
                _ => {}
            }
        }
        // A half-written chain (`a ==` with its operand missing) has an error already.
        if !pending.is_empty() || operators.is_empty() || operators.len() + 1 != operands.len() {
            return Expr::error(span);
        }
        let logical = match operators[0].as_str() {
            "and" => Some(LogicalOp::And),
            "or" => Some(LogicalOp::Or),
            _ => None,
        };
        if let Some(op) = logical {
            let operands: Vec<Expr> = operands.iter().map(|o| self.expr(o)).collect();
            return self.node(ExprKind::Logical { op, operands }, span);
        }
        let mut left = self.expr(&operands[0]);
        for (operator, operand) in operators.iter().zip(&operands[1..]) {
            let right = self.expr(operand);
            let joined = left.span.to(right.span);
            let kind = match binary_op(operator) {
                Some(op) => ExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                // `like` and its kin: valid KQL with no typed form; the planner names it.
                None => ExprKind::Call {
                    name: Ident {
                        name: operator.clone(),
                        span: joined,
                    },
                    args: vec![left, right],
                },
            };
            left = self.node(kind, joined);
        }
        left
    }

    fn prefix(&mut self, node: &SyntaxNode) -> Expr {
        let span = span_of(node);
        let negate = tokens(node).filter(|t| t.kind() == MINUS).count() % 2 == 1;
        let Some(operand) = first_expression(node) else {
            return Expr::error(span);
        };
        let operand = self.expr(&operand);
        if !negate {
            return operand;
        }
        // Negative literals stay literals; `-(i64::MIN)` and `-timespan.min` do not exist.
        let folded = match &operand.kind {
            ExprKind::Literal(Literal::Long(v)) => v.checked_neg().map(Literal::Long),
            ExprKind::Literal(Literal::Real(v)) => Some(Literal::Real(-v)),
            ExprKind::Literal(Literal::Timespan(v)) => v.checked_neg().map(Literal::Timespan),
            _ => None,
        };
        match folded {
            Some(literal) => Expr::new(ExprKind::Literal(literal), span),
            None => self.node(
                ExprKind::Unary {
                    op: UnaryOp::Neg,
                    operand: Box::new(operand),
                },
                span,
            ),
        }
    }

    fn arguments(&mut self, list: Option<SyntaxNode>) -> Vec<Expr> {
        let Some(list) = list else {
            return Vec::new();
        };
        list.children()
            .filter_map(|item| match item.kind() {
                NAMED_ARG => {
                    let name = tokens(&item).next()?;
                    let value = match first_expression(&item) {
                        Some(value) => self.expr(&value),
                        None => Expr::error(span_of(&item)),
                    };
                    let kind = ExprKind::NamedArg {
                        name: Ident {
                            name: name.text().to_string(),
                            span: token_span(&name),
                        },
                        value: Box::new(value),
                    };
                    Some(self.node(kind, span_of(&item)))
                }
                kind if is_expression(kind) => Some(self.expr(&item)),
                _ => None,
            })
            .collect()
    }

    fn call(&mut self, node: &SyntaxNode) -> Expr {
        let span = span_of(node);
        let Some(name) = tokens(node).next() else {
            return Expr::error(span);
        };
        let args = self.arguments(node.children().find(|c| c.kind() == ARG_LIST));
        let kind = ExprKind::Call {
            name: Ident {
                name: name.text().to_string(),
                span: token_span(&name),
            },
            args,
        };
        self.node(kind, span)
    }

    fn member(&mut self, node: &SyntaxNode) -> Expr {
        let span = span_of(node);
        let mut parts = node.children();
        let (Some(target), Some(key)) = (parts.next(), parts.next()) else {
            return Expr::error(span);
        };
        let key = match key.kind() {
            NAME_REF | BRACKET_NAME => name_of(&rowan::NodeOrToken::Node(key)).map(|i| i.name),
            _ => None,
        };
        let Some(key) = key else {
            // `x.f(…)`: only `cluster(…).database(…)` writes calls after a dot.
            self.error(
                span,
                "a call after '.' only names another cluster's or database's table",
            );
            return Expr::error(span);
        };
        let target = self.expr(&target);
        self.node(
            ExprKind::Member {
                target: Box::new(target),
                key,
            },
            span,
        )
    }

    /// `x in (…)`, `x !in~ (…)`, `x has_any (…)`, `x has_all (…)`.
    fn in_expr(&mut self, node: &SyntaxNode) -> Expr {
        let span = span_of(node);
        let Some(value) = first_expression(node) else {
            return Expr::error(span);
        };
        let words: Vec<SyntaxToken> = tokens(node).collect();
        let negated = words.iter().any(|t| t.kind() == BANG);
        let tilde = words.iter().any(|t| t.kind() == TILDE);
        let Some(word) = words.iter().find(|t| t.kind() == IDENT) else {
            return Expr::error(span);
        };
        let word_span = token_span(word);
        let word = word.text().to_string();
        let value = self.expr(&value);
        let list = self.arguments(node.children().find(|c| c.kind() == ARG_LIST));
        let kind = if word == "in" {
            ExprKind::In {
                value: Box::new(value),
                list,
                negated,
                case_insensitive: tilde,
            }
        } else {
            let mut args = vec![value];
            args.extend(list);
            ExprKind::Call {
                name: Ident {
                    name: word,
                    span: word_span,
                },
                args,
            }
        };
        self.node(kind, span)
    }
}

/// The keys one item of `on` names: `A` (the same column on both sides), or
/// `$left.A == $right.B` (either order), several joined by `and`. `None` for anything else.
fn join_keys(node: &SyntaxNode, keys: &mut Vec<(Ident, Ident)>) -> Option<()> {
    match node.kind() {
        NAME_REF | BRACKET_NAME => {
            let name = name_of(&rowan::NodeOrToken::Node(node.clone()))?;
            keys.push((name.clone(), name));
            Some(())
        }
        BIN_EXPR => {
            let operands: Vec<SyntaxNode> = node.children().collect();
            let operators: Vec<String> = tokens(node).map(|t| t.text().to_string()).collect();
            if operators.iter().all(|o| o == "and") {
                return operands.iter().try_for_each(|o| join_keys(o, keys));
            }
            if operands.len() != 2 || operators != ["=="] {
                return None;
            }
            let side = |n: &SyntaxNode| -> Option<(String, Ident)> {
                if n.kind() != MEMBER_EXPR {
                    return None;
                }
                let mut parts = n.children();
                let target = parts.next()?.text().to_string();
                let member = name_of(&rowan::NodeOrToken::Node(parts.next()?))?;
                matches!(target.as_str(), "$left" | "$right").then_some((target, member))
            };
            let (a, b) = (side(&operands[0])?, side(&operands[1])?);
            match (a.0.as_str(), b.0.as_str()) {
                ("$left", "$right") => keys.push((a.1, b.1)),
                ("$right", "$left") => keys.push((b.1, a.1)),
                _ => return None,
            }
            Some(())
        }
        _ => None,
    }
}

/// Whether a `let` value or parenthesised expression is tabular: a pipeline, a source
/// operator, `materialize(…)`, or parentheses around one of these.
fn is_tabular(node: &SyntaxNode) -> bool {
    match node.kind() {
        PIPELINE | OPERATOR => true,
        PAREN_EXPR => first_expression(node).is_some_and(|inner| is_tabular(&inner)),
        CALL_EXPR => tokens(node)
            .next()
            .is_some_and(|t| t.text() == "materialize"),
        _ => false,
    }
}

/// The operator's `word …` clause (`by`, `on`, `to`, `limit` …), when it has one.
fn clause(node: &SyntaxNode, word: &str) -> Option<SyntaxNode> {
    node.children()
        .find(|c| c.kind() == CLAUSE && tokens(c).next().is_some_and(|t| t.text() == word))
}

/// A schema's `Name: type` declarations (datatable, parse-kv's keys, evaluate's output);
/// `None` when one is incomplete (the parser reported it).
fn schema_columns(schema: &SyntaxNode) -> Option<Vec<(Ident, Ident)>> {
    schema
        .children()
        .filter(|c| c.kind() == COLUMN_DECL)
        .map(|declaration| {
            let name = declaration
                .children_with_tokens()
                .find(|e| !e.kind().is_trivia())
                .and_then(|e| name_of(&e))?;
            let type_name = declaration
                .children()
                .find(|c| c.kind() == TYPE_REF)
                .and_then(|t| tokens(&t).next())?;
            Some((
                name,
                Ident {
                    name: type_name.text().to_string(),
                    span: token_span(&type_name),
                },
            ))
        })
        .collect()
}

/// The names and patterns of `project-away`/`-keep`/`-reorder`, each with the order word that
/// follows it (`asc`, `desc`, `granny-asc`, `granny-desc`).
fn column_patterns(node: &SyntaxNode) -> Vec<ColumnPattern> {
    let mut items: Vec<ColumnPattern> = Vec::new();
    let elements = node
        .children_with_tokens()
        .filter(|e| !e.kind().is_trivia() && e.kind() != OPERATOR_NAME);
    for element in elements {
        let text = element.to_string();
        let order = match text.as_str() {
            "asc" => Some(PatternOrder::Asc),
            "desc" => Some(PatternOrder::Desc),
            "granny-asc" => Some(PatternOrder::GrannyAsc),
            "granny-desc" => Some(PatternOrder::GrannyDesc),
            _ => None,
        };
        if let (Some(order), Some(last)) = (order, items.last_mut())
            && last.order.is_none()
        {
            last.order = Some(order);
            continue;
        }
        match element.kind() {
            NAME_PATTERN => items.push(ColumnPattern {
                pattern: text.trim().to_string(),
                span: match &element {
                    rowan::NodeOrToken::Node(n) => span_of(n),
                    rowan::NodeOrToken::Token(t) => token_span(t),
                },
                order: None,
            }),
            IDENT | NAME_REF | BRACKET_NAME => {
                if let Some(ident) = name_of(&element) {
                    items.push(ColumnPattern {
                        pattern: ident.name,
                        span: ident.span,
                        order: None,
                    });
                }
            }
            _ => {}
        }
    }
    items
}

/// The operator's `Name=Value` parameters: the name's first word (`kind`, `hint`) and the value
/// (parameters whose value the tree could not read are left out).
fn parameters(node: &SyntaxNode) -> impl Iterator<Item = (String, SyntaxNode)> {
    node.children()
        .filter(|c| c.kind() == OPERATOR_PARAM)
        .filter_map(|param| {
            let name = tokens(&param).next()?.text().to_string();
            let value = first_expression(&param)
                .or_else(|| param.children().find(|c| c.kind() == BRACKET_NAME))?;
            Some((name, value))
        })
}

/// A parameter's value as a name: the name it spells, else its text (`true`, `0.5`).
fn value_ident(value: &SyntaxNode) -> Ident {
    name_of(&rowan::NodeOrToken::Node(value.clone())).unwrap_or_else(|| Ident {
        name: value.text().to_string(),
        span: span_of(value),
    })
}

/// An operator's name (hyphenated parts joined) and where it is.
fn operator_name(node: &SyntaxNode) -> Option<(String, Span)> {
    let name = node.children().find(|c| c.kind() == OPERATOR_NAME)?;
    Some((name.text().to_string(), span_of(&name)))
}

/// The typed operator of a chain's operator spelling (`==`, `!has_cs`, `matches regex`).
fn binary_op(spelled: &str) -> Option<BinaryOp> {
    let op = match spelled {
        "==" => BinaryOp::Eq,
        "!=" | "<>" => BinaryOp::NotEq,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::Le,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::Ge,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        "%" => BinaryOp::Mod,
        "=~" | "!~" => BinaryOp::Str(StringOp {
            kind: StringOpKind::Equals,
            negated: spelled == "!~",
            case_sensitive: false,
        }),
        "matches regex" => BinaryOp::Str(StringOp {
            kind: StringOpKind::MatchesRegex,
            negated: false,
            case_sensitive: true,
        }),
        // Legacy spellings (the language service's keywords).
        "containscs" => return binary_op("contains_cs"),
        "!containscs" | "notcontainscs" => return binary_op("!contains_cs"),
        "notcontains" => return binary_op("!contains"),
        word => BinaryOp::Str(StringOp::from_word(word)?),
    };
    Some(op)
}

/// `long(5)`, `int(-1)`, `real(1.5)`, `real(nan)`, `real(+inf)`, `bool(true)`, `decimal(2)`,
/// `long(null)` (the scalar-data-types pages).
fn scalar_literal(name: &str, raw: &str) -> Result<ExprKind, String> {
    let text = raw.trim();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.trim()),
        None => (false, text.strip_prefix('+').map_or(text, str::trim)),
    };
    let word = body.to_ascii_lowercase();
    let real_name = matches!(name, "real" | "decimal");
    let not_a_literal = || {
        format!(
            "'{name}({})' is not a {name} literal (to convert a value, use to{name}(…))",
            text.escape_debug()
        )
    };
    let literal = match word.as_str() {
        "null" if !negative => Literal::Null(name.into()),
        _ if name == "decimal" => match lex(body).0.first().map(|t| (t.kind.clone(), t.span)) {
            Some((TokenKind::Int(_) | TokenKind::Real(_), span)) if span.end == body.len() => {
                Literal::Decimal(format!("{}{body}", if negative { "-" } else { "" }))
            }
            _ => return Err(not_a_literal()),
        },
        "nan" if real_name => Literal::Real(f64::NAN),
        "inf" if real_name => Literal::Real(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        "true" | "false" if name == "bool" => Literal::Bool(word == "true"),
        _ => match lex(body).0.first().map(|t| (t.kind.clone(), t.span)) {
            Some((TokenKind::Int(v), span)) if span.end == body.len() => {
                let v = if negative {
                    v.checked_neg().ok_or_else(not_a_literal)?
                } else {
                    v
                };
                match name {
                    "int" => Literal::Int(i32::try_from(v).map_err(|_| {
                        "this number does not fit an int (32 bits); use long(...)".to_string()
                    })?),
                    "long" => Literal::Long(v),
                    _ if real_name => Literal::Real(v as f64),
                    _ => return Err(not_a_literal()),
                }
            }
            Some((TokenKind::Real(v), span)) if span.end == body.len() && real_name => {
                Literal::Real(if negative { -v } else { v })
            }
            _ => return Err(not_a_literal()),
        },
    };
    Ok(ExprKind::Literal(literal))
}

/// `guid(74be27de-1e4e-49d9-b579-fe0b331d3642)`, `guid(null)`.
fn guid_literal(text: &str) -> Result<ExprKind, String> {
    if text == "null" {
        return Ok(ExprKind::Literal(Literal::Null("guid".into())));
    }
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    let shape: Vec<usize> = text.split('-').map(str::len).collect();
    if hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()) && shape == [8, 4, 4, 4, 12] {
        return Ok(ExprKind::Literal(Literal::Guid(text.to_ascii_lowercase())));
    }
    Err(format!(
        "'{}' is not a guid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
        text.escape_debug()
    ))
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
    // `dynamic({'a': dynamic([1])})`: a nested dynamic literal is its value (the
    // dynamic_to_json page writes them); its parentheses are dropped.
    let mut open_nested = 0usize;
    let mut after_dynamic = false;
    for token in &tokens {
        let text = &raw[token.span.start..token.span.end];
        match &token.kind {
            TokenKind::Ident if text == "dynamic" => {
                after_dynamic = true;
                continue;
            }
            TokenKind::LParen if after_dynamic => {
                after_dynamic = false;
                open_nested += 1;
                continue;
            }
            TokenKind::RParen if open_nested > 0 => {
                open_nested -= 1;
                continue;
            }
            _ if after_dynamic => {
                return Err("'dynamic' cannot stand in a dynamic literal".to_string());
            }
            _ => {}
        }
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
        let LetValue::Function(function) = &query.lets[0].value else {
            panic!("{:?}", query.lets[0].value);
        };
        assert_eq!(function.parameters.len(), 2);
        assert!(function.parameters[0].default.is_none());
        assert!(matches!(
            function.parameters[1].default.as_ref().map(|d| &d.kind),
            Some(ExprKind::Literal(Literal::Long(5)))
        ));
        assert!(matches!(function.value, Some(LetValue::Scalar(_))));
        assert!(matches!(&query.lets[1].value, LetValue::Function(v) if v.view));
        let body = query.body.unwrap();
        assert!(matches!(&body.operators[0].kind, OperatorKind::Join(_)));
        assert!(matches!(&body.operators[1].kind, OperatorKind::MvExpand(_)));
        let OperatorKind::Summarize { aggregates, .. } = &body.operators[2].kind else {
            panic!()
        };
        assert_eq!(aggregates[0].names.len(), 2);
        let union = ok("union DeviceProcessEvents, DeviceFileEvents | take 1");
        assert!(matches!(union.body.unwrap().source, Source::Union(_)));
        let lookup = ok("T | lookup (U) on A").body.unwrap();
        assert!(
            matches!(&lookup.operators[0].kind, OperatorKind::Join(j) if j.lookup && j.kind.name == "leftouter")
        );
        let reduce = ok("T | reduce by A").body.unwrap();
        assert!(
            matches!(&reduce.operators[0].kind, OperatorKind::Reduce(r) if r.kind.is_none() && r.threshold.is_none())
        );
    }

    #[test]
    fn reduce_reads_its_kind_and_properties() {
        for source in [
            "T | reduce kind=source by A with threshold=0.5, characters=\"X\"",
            "T | reduce kind=source by A with (threshold=0.5, characters=\"X\")",
        ] {
            let body = ok(source).body.unwrap();
            let OperatorKind::Reduce(reduce) = &body.operators[0].kind else {
                panic!("{source}: {:?}", body.operators[0].kind)
            };
            assert_eq!(
                reduce.kind.as_ref().map(|k| k.name.as_str()),
                Some("source")
            );
            assert!(matches!(reduce.by.kind, ExprKind::Column(ref c) if c == "A"));
            assert!(matches!(
                reduce.threshold.as_ref().map(|t| &t.kind),
                Some(ExprKind::Literal(Literal::Real(r))) if *r == 0.5
            ));
            assert!(matches!(
                reduce.characters.as_ref().map(|c| &c.kind),
                Some(ExprKind::Literal(Literal::String(c))) if c == "X"
            ));
        }
        let error = first_error("T | reduce by A with limit=3");
        assert!(
            error.message.contains("threshold and characters"),
            "{error:?}"
        );
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
                .contains("unexpected 'V' after the 'join' operator"),
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
        assert!(first_error(&members).message.contains("more than"));
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
            matches!(&body.operators[0].kind, OperatorKind::ProjectColumns { items, .. } if items[1].pattern == "B c")
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
        assert_eq!(
            diagnostics[1].message,
            "unknown tabular operator 'frobnicate'"
        );
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
            "unknown tabular operator 'frobnicate'"
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
        assert_eq!(diagnostics[0].span, Span::new(4, 20));
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
                .any(|d| d.message.contains("levels deep"))
        );
    }

    /// Half-written queries are what the editor sends on every keystroke: every prefix (at
    /// every 23rd byte) of every corpus query gets a tree and no panic.
    #[test]
    fn every_prefix_of_the_corpus_lowers_without_panicking() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/corpus/defender-hunting-queries.jsonl"
        );
        let corpus = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("the corpus is missing at {path}: {e}"));
        let mut prefixes = 0;
        for line in corpus.lines() {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap();
            let query = entry["query"].as_str().unwrap();
            for end in (0..query.len())
                .step_by(23)
                .filter(|&i| query.is_char_boundary(i))
            {
                let _ = parse(&query[..end]);
                prefixes += 1;
            }
        }
        assert!(prefixes > 10_000, "{prefixes}");
    }

    /// Field case F05: valid KQL that third-party parsers rejected (default arguments; quotes
    /// inside comments and literals; literals spliced across a comment) parses cleanly here, and
    /// every literal reads as string.md says.
    #[test]
    fn f05_default_arguments_quotes_in_comments_and_spliced_literals() {
        let (query, diagnostics) = parse(
            "let Bump = (v:long = 5) { v + 7 };\nrange x from 1 to 3 step 1 | extend plus7 = Bump(x), dflt = Bump()",
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert!(matches!(query.lets[0].value, LetValue::Function(_)));
        let source = "// analyst's note: don't run this on prod\nlet Ports = datatable(p:int) [22, 445, 3389]\n;\nPorts\n| extend a = \"say \\\"hi\\\"\", b = @\"C:\\Temp\\\", c = @\"say \"\"hi\"\"\", d = 'it\\'s',\n         n = strlen(\"ab\"\n             // it's spliced\n             'cd')";
        let (query, diagnostics) = parse(source);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let body = query.body.expect("Ports is the result");
        let OperatorKind::Extend(items) = &body.operators[0].kind else {
            panic!("{:?}", body.operators[0]);
        };
        let text = |i: usize| match &items[i].expr.kind {
            ExprKind::Literal(Literal::String(s)) => s.clone(),
            ExprKind::Call { args, .. } => match &args[0].kind {
                ExprKind::Literal(Literal::String(s)) => s.clone(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        };
        assert_eq!(text(0), "say \"hi\"");
        assert_eq!(text(1), "C:\\Temp\\");
        assert_eq!(text(2), "say \"hi\"");
        assert_eq!(text(3), "it's");
        assert_eq!(text(4), "abcd", "literals joined across a comment");
    }

    #[test]
    fn scan_reads_its_match_id_declarations_and_steps() {
        let query = ok(
            "T | scan with_match_id=m declare (s: long = 0, t: string) with (step a: x == 1 => s = a.s + 1, t = 'x'; step b output=none: true;)",
        );
        let OperatorKind::Scan(scan) = &query.body.unwrap().operators[0].kind else {
            panic!("not a scan");
        };
        assert_eq!(scan.match_id.as_ref().map(|m| m.name.as_str()), Some("m"));
        let declared: Vec<(&str, &str, bool)> = scan
            .declared
            .iter()
            .map(|(n, t, d)| (n.name.as_str(), t.name.as_str(), d.is_some()))
            .collect();
        assert_eq!(declared, [("s", "long", true), ("t", "string", false)]);
        assert_eq!(scan.steps.len(), 2);
        assert_eq!(scan.steps[0].name.name, "a");
        assert_eq!(scan.steps[0].assignments.len(), 2);
        assert!(scan.steps[0].output.is_none());
        assert_eq!(
            scan.steps[1].output.as_ref().map(|o| o.name.as_str()),
            Some("none")
        );
        assert!(scan.steps[1].assignments.is_empty());
    }

    #[test]
    fn make_series_reads_its_aggregations_axis_range_and_groups() {
        let query = ok(
            "T | make-series kind=nonempty n = count() default = -1, avg(x) on Timestamp from ago(1d) to now() step 1h by A, B",
        );
        let OperatorKind::MakeSeries(series) = &query.body.unwrap().operators[0].kind else {
            panic!()
        };
        assert!(series.nonempty);
        assert_eq!(series.aggregates.len(), 2);
        assert_eq!(series.aggregates[0].item.name.as_ref().unwrap().name, "n");
        assert!(series.aggregates[0].default.is_some());
        assert!(series.aggregates[1].item.name.is_none());
        assert!(series.aggregates[1].default.is_none());
        assert!(matches!(&series.axis.kind, ExprKind::Column(c) if c == "Timestamp"));
        assert!(matches!(
            &series.range,
            SeriesRange::FromTo {
                from: Some(_),
                to: Some(_),
                ..
            }
        ));
        assert_eq!(series.by.len(), 2);
        let query = ok("T | make-series count() on Timestamp in range(ago(1d), now(), 1h)");
        let OperatorKind::MakeSeries(series) = &query.body.unwrap().operators[0].kind else {
            panic!()
        };
        assert!(!series.nonempty);
        assert!(matches!(series.range, SeriesRange::InRange { .. }));
        let query = ok("T | make-series count() on Timestamp step 1h");
        let OperatorKind::MakeSeries(series) = &query.body.unwrap().operators[0].kind else {
            panic!()
        };
        assert!(matches!(
            series.range,
            SeriesRange::FromTo {
                from: None,
                to: None,
                ..
            }
        ));
        let bad = first_error("T | make-series count() on Timestamp in (1, 2)");
        assert!(bad.message.contains("range("), "{bad:?}");
    }
}
