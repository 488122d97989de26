//! The expressions of `graph-match` and `graph-shortest-paths` rewritten to read the columns of
//! a scope (`engine::graph::Scope`):
//!
//! - over one element (a node or an edge, for the constraints the matcher applies, and the
//!   bodies of `all()`, `any()`, `map()`): `n.p` of that element's variable, and inside a
//!   graph function's body the bare property name `p` (all-graph-function.md: "A property is
//!   referenced using the property name directly"), read the element's column `p`;
//!   `node_degree_in()`/`node_degree_out()` without an argument (node-degree-in.md) its degree;
//! - over one match: `n.p` reads a match column named `n.p` (a node's or a single edge's
//!   property), `node_degree_in(n)` one named so, a graph function a column holding its
//!   value along the path, a variable length edge itself its path (a dynamic array of its
//!   edges' property bags).
//!
//! `labels()` is the empty array: graphs made by make-graph have no labels
//! (labels-graph-function.md). What the documentation leaves open — a node itself as a value,
//! another variable inside a graph function's body — is refused by name.

use std::collections::HashMap;

use datafusion::logical_expr::Expr as DfExpr;

use super::graph_match::Scopes;
use super::{Columns, Frame, Planner};
use crate::backend::QueryError;
use crate::engine::graph::{DEGREE_IN, DEGREE_OUT, Fold, MatchColumn, MatchValue};
use crate::kql::ast::{Expr, ExprKind, Ident, Literal};
use crate::results::KqlType;

/// A variable of the pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Var {
    Node(usize),
    Edge(usize),
}

/// The pattern's variables: nodes (named or not), edges (named or not, and whether each is a
/// variable length edge), and what each name stands for.
#[derive(Debug, Default)]
pub(super) struct Variables {
    nodes: usize,
    variable: Vec<bool>,
    names: HashMap<String, Var>,
}

impl Variables {
    /// The node variable of `(name)` (a new one for `()` and a name not seen yet).
    pub fn node(&mut self, name: Option<&Ident>) -> Result<usize, String> {
        match name.map(|n| (n, self.names.get(&n.name))) {
            Some((_, Some(Var::Node(var)))) => Ok(*var),
            Some((name, Some(Var::Edge(_)))) => Err(format!(
                "'{}' names an edge of the pattern and a node",
                name.name
            )),
            Some((name, None)) => {
                self.names.insert(name.name.clone(), Var::Node(self.nodes));
                self.nodes += 1;
                Ok(self.nodes - 1)
            }
            None => {
                self.nodes += 1;
                Ok(self.nodes - 1)
            }
        }
    }

    /// A new edge variable; each edge is named once.
    pub fn edge(&mut self, name: Option<&Ident>, variable: bool) -> Result<usize, String> {
        let var = self.variable.len();
        if let Some(name) = name {
            if self.names.contains_key(&name.name) {
                return Err(format!(
                    "'{}' names two elements of the pattern: name each edge once",
                    name.name
                ));
            }
            self.names.insert(name.name.clone(), Var::Edge(var));
        }
        self.variable.push(variable);
        Ok(var)
    }

    /// How many node variables there are.
    pub fn node_count(&self) -> usize {
        self.nodes
    }

    /// The variable `name` stands for.
    pub fn get(&self, name: &str) -> Option<Var> {
        self.names.get(name).copied()
    }

    /// Whether edge variable `var` is a variable length edge.
    pub fn variable(&self, var: usize) -> bool {
        self.variable.get(var).copied().unwrap_or(false)
    }

    /// Whether `name` is a variable length edge.
    pub fn is_variable_edge(&self, name: &str) -> bool {
        matches!(self.get(name), Some(Var::Edge(var)) if self.variable(var))
    }

    /// The names, for messages.
    fn listed(&self) -> String {
        let mut names: Vec<&str> = self.names.keys().map(String::as_str).collect();
        names.sort_unstable();
        names.join(", ")
    }

    /// Whether `expr` names any variable.
    pub fn reads_variables(&self, expr: &Expr) -> bool {
        let mut found = false;
        walk(expr, &mut |e| {
            if let ExprKind::Column(name) = &e.kind {
                found |= self.names.contains_key(name);
            }
        });
        found
    }

    /// The one variable `expr` reads through its properties (`n.p`, `node_degree_in(n)`,
    /// `labels(n)`), when it reads exactly one that way and uses no graph function.
    pub fn only_variable(&self, expr: &Expr) -> Option<Var> {
        let mut seen: Option<Var> = None;
        let mut single = true;
        walk(expr, &mut |e| match &e.kind {
            ExprKind::Call { name, args } if is_graph_function(&name.name) => {
                let through = matches!(
                    name.name.as_str(),
                    "node_degree_in" | "node_degree_out" | "labels"
                ) && args.len() == 1;
                if !through {
                    single = false;
                }
            }
            ExprKind::Column(name) => {
                if let Some(var) = self.get(name) {
                    single &= seen.is_none_or(|s| s == var);
                    seen = Some(var);
                }
            }
            _ => {}
        });
        if single { seen } else { None }
    }
}

/// The graph functions (graph-operators.md and the pages of each).
fn is_graph_function(name: &str) -> bool {
    matches!(
        name,
        "all" | "any" | "map" | "inner_nodes" | "node_degree_in" | "node_degree_out" | "labels"
    )
}

/// Calls `f` on `expr` and every expression under it.
fn walk(expr: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(expr);
    for child in expr.children() {
        walk(child, f);
    }
}

/// `v.p` or `v["p"]`: the variable's name and the property.
fn property_of(expr: &Expr) -> Option<(&str, &str)> {
    match &expr.kind {
        ExprKind::Member { target, key } => match &target.kind {
            ExprKind::Column(var) => Some((var, key)),
            _ => None,
        },
        ExprKind::Index { target, index } => match (&target.kind, &index.kind) {
            (ExprKind::Column(var), ExprKind::Literal(Literal::String(key))) => Some((var, key)),
            _ => None,
        },
        _ => None,
    }
}

/// The empty dynamic array `labels()` gives on a graph made by make-graph.
fn no_labels(span: crate::kql::Span) -> Expr {
    Expr::new(ExprKind::Literal(Literal::Dynamic("[]".into())), span)
}

/// The match columns a graph-match's expressions read, each once.
#[derive(Debug, Default)]
pub(super) struct MatchColumns {
    columns: Vec<MatchColumn<DfExpr>>,
    index: HashMap<String, usize>,
}

impl MatchColumns {
    /// A column named `name` (added when new); an expression reading it.
    fn add(
        &mut self,
        name: String,
        ty: KqlType,
        value: MatchValue<DfExpr>,
        span: crate::kql::Span,
    ) -> Expr {
        if !self.index.contains_key(&name) {
            self.index.insert(name.clone(), self.columns.len());
            self.columns.push(MatchColumn {
                name: name.clone(),
                ty,
                value,
            });
        }
        Expr::new(ExprKind::Column(name), span)
    }

    /// The columns so far, as a frame's.
    pub fn columns(&self) -> Columns {
        self.columns
            .iter()
            .map(|c| (c.name.clone(), c.ty))
            .collect()
    }

    /// The columns, in the order they were added.
    pub fn finish(self) -> Vec<MatchColumn<DfExpr>> {
        self.columns
    }
}

impl Planner<'_> {
    /// A property of the scope's elements: its index and type, or an error naming the
    /// properties there are.
    fn element_property(
        &self,
        scope: &Frame,
        key: &str,
        span: crate::kql::Span,
    ) -> Result<(usize, KqlType), QueryError> {
        let nodes = scope.column_type(DEGREE_IN).is_some();
        let found = scope
            .columns
            .iter()
            .enumerate()
            .find(|(_, (name, _))| name == key && !name.starts_with('$'));
        if let Some((at, (_, ty))) = found {
            return Ok((at, *ty));
        }
        let what = if nodes { "nodes" } else { "edges" };
        let names: Vec<&str> = scope
            .columns
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !n.starts_with('$'))
            .collect();
        let message = if names.is_empty() {
            format!(
                "the {what} of this graph have no properties, so no '{key}' (give make-graph a node table, with T on Id, or with_node_id = Name)"
            )
        } else {
            format!(
                "the {what} have no property '{key}' (they have: {})",
                names.join(", ")
            )
        };
        Err(self.semantic(message, span))
    }

    /// `expr` over one element of `scope`: the properties of `over` (`v.p`), or inside a graph
    /// function's body (`fold`) the bare property names.
    pub(super) fn element_expr(
        &self,
        expr: &Expr,
        vars: &Variables,
        over: Option<Var>,
        scope: &Frame,
        fold: bool,
    ) -> Result<Expr, QueryError> {
        let nodes = scope.column_type(DEGREE_IN).is_some();
        if let Some((name, key)) = property_of(expr)
            && let Some(var) = vars.get(name)
        {
            if Some(var) != over {
                return Err(self.other_variable(name, expr.span));
            }
            self.element_property(scope, key, expr.span)?;
            return Ok(Expr::new(ExprKind::Column(key.to_string()), expr.span));
        }
        match &expr.kind {
            ExprKind::Call { name, args } if is_graph_function(&name.name) => {
                self.element_function(name, args, vars, over, nodes, fold, expr)
            }
            ExprKind::Column(name) => {
                if vars.get(name).is_some() {
                    return Err(self.bare_variable(name, vars, expr.span));
                }
                if !fold && scope.column_type(name).is_some() {
                    return Err(self.bare_property(name, expr.span));
                }
                if fold
                    && scope.column_type(name).is_none()
                    && !self.scalars.contains_key(name)
                    && !self.parameters.contains_key(name)
                {
                    // Inside all()/any()/map(), a bare name is the element's property.
                    self.element_property(scope, name, expr.span)?;
                }
                Ok(expr.clone())
            }
            ExprKind::Tabular(_) => Err(self.graph_subquery(expr.span)),
            _ => expr.try_map_children(&mut |e| self.element_expr(e, vars, over, scope, fold)),
        }
    }

    /// A graph function over one element: the degrees and labels of the element.
    #[allow(clippy::too_many_arguments)]
    fn element_function(
        &self,
        name: &Ident,
        args: &[Expr],
        vars: &Variables,
        over: Option<Var>,
        nodes: bool,
        fold: bool,
        expr: &Expr,
    ) -> Result<Expr, QueryError> {
        let of_element = match args {
            [] => fold,
            [
                Expr {
                    kind: ExprKind::Column(arg),
                    ..
                },
            ] => over.is_some() && vars.get(arg) == over,
            _ => false,
        };
        match name.name.as_str() {
            "node_degree_in" | "node_degree_out" if of_element && nodes => {
                let column = if name.name == "node_degree_in" {
                    DEGREE_IN
                } else {
                    DEGREE_OUT
                };
                Ok(Expr::new(ExprKind::Column(column.to_string()), expr.span))
            }
            "labels" if of_element => Ok(no_labels(expr.span)),
            "node_degree_in" | "node_degree_out" | "labels" => Err(self.semantic(
                format!(
                    "{}() reads a node variable ({}(n)), or without an argument an inner node inside all(), any() or map() of inner_nodes(e)",
                    name.name, name.name
                ),
                expr.span,
            )),
            _ => Err(self.unsupported(
                format!(
                    "{}() inside another graph function's body or a constraint on one element is not supported by the local engine",
                    name.name
                ),
                expr.span,
            )),
        }
    }

    /// `expr` over one match: variables' properties and graph functions read match columns
    /// (added to `columns`).
    pub(super) fn match_expr(
        &mut self,
        expr: &Expr,
        vars: &Variables,
        scopes: &Scopes,
        columns: &mut MatchColumns,
    ) -> Result<Expr, QueryError> {
        if let Some((name, key)) = property_of(expr)
            && let Some(var) = vars.get(name)
        {
            return self.match_property(name, key, var, vars, scopes, columns, expr.span);
        }
        match &expr.kind {
            ExprKind::Call { name, args } if is_graph_function(&name.name) => {
                self.match_function(name, args, vars, scopes, columns, expr)
            }
            ExprKind::Column(name) => match vars.get(name) {
                Some(Var::Edge(var)) if vars.variable(var) => Ok(columns.add(
                    name.clone(),
                    KqlType::Dynamic,
                    MatchValue::Path { var },
                    expr.span,
                )),
                Some(_) => Err(self.bare_variable(name, vars, expr.span)),
                None => {
                    self.known_scalar(name, vars, expr.span)?;
                    Ok(expr.clone())
                }
            },
            ExprKind::Tabular(_) => Err(self.graph_subquery(expr.span)),
            _ => expr.try_map_children(&mut |e| self.match_expr(e, vars, scopes, columns)),
        }
    }

    /// `v.p` over one match.
    #[allow(clippy::too_many_arguments)]
    fn match_property(
        &mut self,
        name: &str,
        key: &str,
        var: Var,
        vars: &Variables,
        scopes: &Scopes,
        columns: &mut MatchColumns,
        span: crate::kql::Span,
    ) -> Result<Expr, QueryError> {
        let column = format!("{name}.{key}");
        match var {
            Var::Node(var) => {
                let (property, ty) = self.element_property(&scopes.node, key, span)?;
                Ok(columns.add(column, ty, MatchValue::NodeProperty { var, property }, span))
            }
            Var::Edge(var) if !vars.variable(var) => {
                let (property, ty) = self.element_property(&scopes.edge, key, span)?;
                Ok(columns.add(column, ty, MatchValue::EdgeProperty { var, property }, span))
            }
            Var::Edge(_) => Err(self.unsupported(
                format!(
                    "'{name}' is a variable length edge: its properties are a list; read them with map({name}, {key}), all({name}, …) or any({name}, …), or project {name}.{key} alone"
                ),
                span,
            )),
        }
    }

    /// A graph function over one match.
    fn match_function(
        &mut self,
        name: &Ident,
        args: &[Expr],
        vars: &Variables,
        scopes: &Scopes,
        columns: &mut MatchColumns,
        expr: &Expr,
    ) -> Result<Expr, QueryError> {
        let node_arg = match args {
            [
                Expr {
                    kind: ExprKind::Column(arg),
                    ..
                },
            ] => match vars.get(arg) {
                Some(Var::Node(var)) => Some((arg, var)),
                _ => None,
            },
            _ => None,
        };
        match (name.name.as_str(), node_arg) {
            ("node_degree_in" | "node_degree_out", Some((arg, var))) => {
                let incoming = name.name == "node_degree_in";
                Ok(columns.add(
                    format!("{}({arg})", name.name),
                    KqlType::Long,
                    MatchValue::NodeDegree { var, incoming },
                    expr.span,
                ))
            }
            ("labels", _) if matches!(args, [Expr { kind: ExprKind::Column(arg), .. }] if vars.get(arg).is_some()) => {
                Ok(no_labels(expr.span))
            }
            ("all" | "any" | "map", _) => self.fold(name, args, vars, scopes, columns, expr),
            ("inner_nodes", _) => Err(self.semantic(
                "inner_nodes() is only the first argument of all(), any() and map() (inner-nodes-graph-function.md)",
                expr.span,
            )),
            _ => Err(self.semantic(
                format!(
                    "{}() reads a node variable of the pattern ({}(n)), or without an argument an inner node inside all(), any() or map() of inner_nodes(e)",
                    name.name, name.name
                ),
                expr.span,
            )),
        }
    }

    /// `all(e, body)`, `any(…)`, `map(…)`, over `e`'s edges or (`inner_nodes(e)`) inner nodes.
    fn fold(
        &mut self,
        name: &Ident,
        args: &[Expr],
        vars: &Variables,
        scopes: &Scopes,
        columns: &mut MatchColumns,
        expr: &Expr,
    ) -> Result<Expr, QueryError> {
        let shape = || {
            self.semantic(
                format!(
                    "{}() takes a variable length edge of the pattern (or inner_nodes() of one) and an expression",
                    name.name
                ),
                expr.span,
            )
        };
        let [first, body] = args else {
            return Err(shape());
        };
        let (edge, inner) = match &first.kind {
            ExprKind::Column(edge) => (edge, false),
            ExprKind::Call { name: inner, args } if inner.name == "inner_nodes" => {
                match args.as_slice() {
                    [
                        Expr {
                            kind: ExprKind::Column(edge),
                            ..
                        },
                    ] => (edge, true),
                    _ => return Err(shape()),
                }
            }
            _ => return Err(shape()),
        };
        let var = match vars.get(edge) {
            Some(Var::Edge(var)) if vars.variable(var) => var,
            Some(Var::Edge(_)) => {
                return Err(self.semantic(
                    format!(
                        "'{edge}' is a single edge; {}() reads a variable length edge (write -[{edge}*1..1]-> for a path of one edge)",
                        name.name
                    ),
                    first.span,
                ));
            }
            _ => return Err(shape()),
        };
        let scope = if inner { &scopes.node } else { &scopes.edge };
        let element = self.element_expr(body, vars, None, scope, true)?;
        let typed = self.expr(&element, scope)?;
        self.one_row_only(&typed.expr, body.span)?;
        let fold = match name.name.as_str() {
            "all" => Fold::All,
            "any" => Fold::Any,
            _ => Fold::Map,
        };
        if fold != Fold::Map && typed.ty != KqlType::Bool {
            return Err(self.semantic(
                format!(
                    "{}()'s condition must be true or false, this is {}",
                    name.name,
                    typed.ty.with_article()
                ),
                body.span,
            ));
        }
        let ty = if fold == Fold::Map {
            KqlType::Dynamic
        } else {
            KqlType::Bool
        };
        let column = format!("{}({edge})#{}", name.name, columns.columns.len());
        Ok(columns.add(
            column,
            ty,
            MatchValue::Fold {
                var,
                inner_nodes: inner,
                fold,
                body: typed.expr,
                body_type: typed.ty,
            },
            expr.span,
        ))
    }

    /// A name that is no variable must be a let-bound scalar.
    fn known_scalar(
        &self,
        name: &str,
        vars: &Variables,
        span: crate::kql::Span,
    ) -> Result<(), QueryError> {
        if self.scalars.contains_key(name) || self.parameters.contains_key(name) {
            return Ok(());
        }
        Err(self.semantic(
            format!(
                "'{name}' is not a variable of the pattern (it has: {}); a property is read as variable.property",
                vars.listed()
            ),
            span,
        ))
    }

    fn bare_variable(&self, name: &str, vars: &Variables, span: crate::kql::Span) -> QueryError {
        let what = match vars.get(name) {
            Some(Var::Node(_)) => "a node",
            _ => "a single edge",
        };
        self.unsupported(
            format!("'{name}' is {what}, which the local engine does not turn into a value: read one of its properties ({name}.Name)"),
            span,
        )
    }

    fn bare_property(&self, name: &str, span: crate::kql::Span) -> QueryError {
        if self.scalars.contains_key(name) || self.parameters.contains_key(name) {
            return self.unsupported(
                format!("'{name}' is both a let-bound value and a property of the graph's elements here: rename the let"),
                span,
            );
        }
        self.semantic(
            format!(
                "'{name}' is not a variable of the pattern: a property is read as variable.{name}"
            ),
            span,
        )
    }

    fn other_variable(&self, name: &str, span: crate::kql::Span) -> QueryError {
        self.unsupported(
            format!("inside all(), any() and map(), properties are the element's own, by name; reading '{name}' there is not supported by the local engine"),
            span,
        )
    }

    fn graph_subquery(&self, span: crate::kql::Span) -> QueryError {
        self.unsupported(
            "a tabular expression inside graph-match's where or project is not supported by the local engine",
            span,
        )
    }
}
