//! `graph-match` (graph-match-operator.md) and `graph-shortest-paths`
//! (graph-shortest-paths-operator.md) planned: the pattern's variables and edges, then the
//! `where` constraints split by what they read — one node variable, one single edge, `all()`
//! over a variable length edge's edges or inner nodes (each given to the matcher, which then
//! never tries an element they exclude) — and the rest, evaluated on each match with the
//! projection. Expressions are rewritten (`graph_expr`) to read the columns of a scope
//! (`engine::graph::Scope`) and planned as any other.

use std::collections::HashMap;

use datafusion::logical_expr::{Expr as DfExpr, LogicalPlanBuilder};

use super::graph_expr::{MatchColumns, Var, Variables};
use super::{Columns, Frame, Planner};
use crate::backend::QueryError;
use crate::engine::graph::{Cycles, DEGREE_IN, DEGREE_OUT, EdgeVar, MatchSpec, Pattern, Shortest};
use crate::kql::Span;
use crate::kql::ast::{Expr, ExprKind, GraphMatch, Literal, LogicalOp, NamedExpr};
use crate::results::KqlType;

/// Where a conjunct of `where` is evaluated.
enum Target {
    /// On one node variable's nodes.
    Node(usize),
    /// On one edge variable's edges: a single edge's own constraint (`e.p`), or the body of
    /// `all(e, body)` (`fold`: names are the edge's properties).
    Edge { var: usize, body: Expr, fold: bool },
    /// On a variable length edge's inner nodes: `all(inner_nodes(e), body)`.
    Inner(usize, Expr),
    /// On each match.
    Match,
}

/// The planned conditions of `where`: per node variable, per edge variable (its edges, its
/// inner nodes), and on each match.
struct Constraints {
    nodes: Vec<Vec<DfExpr>>,
    edges: Vec<Vec<DfExpr>>,
    inner: Vec<Vec<DfExpr>>,
    residual: Vec<DfExpr>,
}

/// A frame that only names columns (expressions are planned over it, never run on its plan).
fn probe(columns: Columns) -> Frame {
    Frame {
        builder: LogicalPlanBuilder::empty(false),
        columns,
    }
}

/// `a and b` of planned conditions.
fn and_all(conditions: Vec<DfExpr>) -> Option<DfExpr> {
    conditions.into_iter().reduce(|a, b| a.and(b))
}

impl Planner<'_> {
    /// The match spec of `graph-match` / `graph-shortest-paths` over a graph whose nodes
    /// have `nodes` properties and edges `edges`, and its output columns.
    pub(super) fn graph_match(
        &mut self,
        nodes: &Columns,
        edges: &Columns,
        matching: &GraphMatch,
        span: Span,
    ) -> Result<(MatchSpec<DfExpr>, Columns), QueryError> {
        let (vars, pattern) = self.pattern(matching, span)?;
        let shortest = self.shortest(matching, &pattern, span)?;
        let mut node_view = nodes.clone();
        node_view.push((DEGREE_IN.to_string(), KqlType::Long));
        node_view.push((DEGREE_OUT.to_string(), KqlType::Long));
        let scopes = Scopes {
            node: probe(node_view),
            edge: probe(edges.clone()),
        };
        let mut constraints = Constraints {
            nodes: vec![Vec::new(); pattern.nodes],
            edges: vec![Vec::new(); pattern.edges.len()],
            inner: vec![Vec::new(); pattern.edges.len()],
            residual: Vec::new(),
        };
        let mut columns = MatchColumns::default();
        if let Some(filter) = &matching.filter {
            self.graph_where(filter, &vars, &scopes, &mut constraints, &mut columns)?;
        }
        let (project, output) =
            self.graph_project(&matching.project, &vars, &scopes, &mut columns)?;
        let spec = MatchSpec {
            pattern,
            shortest,
            node_filters: constraints.nodes.into_iter().map(and_all).collect(),
            edge_filters: constraints.edges.into_iter().map(and_all).collect(),
            inner_filters: constraints.inner.into_iter().map(and_all).collect(),
            columns: columns.finish(),
            residual: and_all(constraints.residual),
            project,
        };
        Ok((spec, output))
    }

    /// `where`: each `and`ed condition planned where it is evaluated.
    fn graph_where(
        &mut self,
        filter: &Expr,
        vars: &Variables,
        scopes: &Scopes,
        constraints: &mut Constraints,
        columns: &mut MatchColumns,
    ) -> Result<(), QueryError> {
        let conjuncts: Vec<&Expr> = match &filter.kind {
            ExprKind::Logical {
                op: LogicalOp::And,
                operands,
            } => operands.iter().collect(),
            _ => vec![filter],
        };
        for conjunct in conjuncts {
            match self.target(conjunct, vars) {
                Target::Node(var) => {
                    let over = Some(Var::Node(var));
                    let element = self.element_expr(conjunct, vars, over, &scopes.node, false)?;
                    constraints.nodes[var].push(self.graph_condition(&element, &scopes.node)?);
                }
                Target::Edge { var, body, fold } => {
                    let over = if fold { None } else { Some(Var::Edge(var)) };
                    let element = self.element_expr(&body, vars, over, &scopes.edge, fold)?;
                    constraints.edges[var].push(self.graph_condition(&element, &scopes.edge)?);
                }
                Target::Inner(var, body) => {
                    let element = self.element_expr(&body, vars, None, &scopes.node, true)?;
                    constraints.inner[var].push(self.graph_condition(&element, &scopes.node)?);
                }
                Target::Match => {
                    let rewritten = self.match_expr(conjunct, vars, scopes, columns)?;
                    let frame = probe(columns.columns());
                    constraints
                        .residual
                        .push(self.graph_condition(&rewritten, &frame)?);
                }
            }
        }
        Ok(())
    }

    /// A planned true/false condition that needs nothing but its row.
    fn graph_condition(&mut self, expr: &Expr, frame: &Frame) -> Result<DfExpr, QueryError> {
        let condition = self.condition(expr, frame)?;
        self.one_row_only(&condition, expr.span)?;
        Ok(condition)
    }

    /// Refuses what a row-at-a-time evaluation cannot run.
    pub(super) fn one_row_only(&self, expr: &DfExpr, span: Span) -> Result<(), QueryError> {
        if super::scan::needs_more_than_a_row(expr) {
            return Err(self.unsupported(
                "aggregates, window functions and subqueries are not supported in graph-match's where and project",
                span,
            ));
        }
        Ok(())
    }

    /// The projection: each item planned over the match columns, and the output columns.
    fn graph_project(
        &mut self,
        items: &[NamedExpr],
        vars: &Variables,
        scopes: &Scopes,
        columns: &mut MatchColumns,
    ) -> Result<(Vec<DfExpr>, Columns), QueryError> {
        let mut exprs = Vec::with_capacity(items.len());
        let mut output: Columns = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            if matches!(item.expr.kind, ExprKind::Star) {
                return Err(self.semantic(
                    "graph-match projects expressions over the pattern's variables, not '*'",
                    item.expr.span,
                ));
            }
            // graph-match-operator.md, "Returns": a variable length edge's property is a
            // dynamic array of its edges' values — `map(e, p)`.
            let expr = match &item.expr.kind {
                ExprKind::Member { target, key } => match &target.kind {
                    ExprKind::Column(name) if vars.is_variable_edge(name) => {
                        let span = item.expr.span;
                        super::call_expr(
                            "map",
                            vec![
                                (**target).clone(),
                                Expr::new(ExprKind::Column(key.clone()), span),
                            ],
                            span,
                        )
                    }
                    _ => item.expr.clone(),
                },
                _ => item.expr.clone(),
            };
            let rewritten = self.match_expr(&expr, vars, scopes, columns)?;
            let typed = self.expr(&rewritten, &probe(columns.columns()))?;
            self.one_row_only(&typed.expr, item.expr.span)?;
            let name = self.output_name(&graph_item_name(item), index, &output)?;
            exprs.push(typed.expr);
            output.push((name, typed.ty));
        }
        Ok((exprs, output))
    }

    /// Where a conjunct is evaluated: on one variable's elements when it reads only that
    /// variable, else on each match.
    fn target(&self, conjunct: &Expr, vars: &Variables) -> Target {
        if let ExprKind::Call { name, args } = &conjunct.kind
            && name.name == "all"
            && let [first, body] = args.as_slice()
        {
            match &first.kind {
                ExprKind::Column(edge) => {
                    if let Some(Var::Edge(var)) = vars.get(edge)
                        && vars.variable(var)
                        && !vars.reads_variables(body)
                    {
                        return Target::Edge {
                            var,
                            body: body.clone(),
                            fold: true,
                        };
                    }
                }
                ExprKind::Call { name, args } if name.name == "inner_nodes" => {
                    if let [edge] = args.as_slice()
                        && let ExprKind::Column(edge) = &edge.kind
                        && let Some(Var::Edge(var)) = vars.get(edge)
                        && vars.variable(var)
                        && !vars.reads_variables(body)
                    {
                        return Target::Inner(var, body.clone());
                    }
                }
                _ => {}
            }
            return Target::Match;
        }
        match vars.only_variable(conjunct) {
            Some(Var::Node(var)) => Target::Node(var),
            Some(Var::Edge(var)) if !vars.variable(var) => Target::Edge {
                var,
                body: conjunct.clone(),
                fold: false,
            },
            _ => Target::Match,
        }
    }

    /// The pattern's variables and the matcher's pattern.
    fn pattern(
        &mut self,
        matching: &GraphMatch,
        span: Span,
    ) -> Result<(Variables, Pattern), QueryError> {
        let cycles = match matching.cycles.as_ref().map(|c| c.name.as_str()) {
            None | Some("unique_edges") => Cycles::UniqueEdges,
            Some("all") => Cycles::All,
            Some("none") => Cycles::None,
            Some(other) => {
                return Err(self.semantic(
                    format!(
                        "cycles is all, none or unique_edges, not '{}'",
                        other.escape_debug()
                    ),
                    matching.cycles.as_ref().map_or(span, |c| c.span),
                ));
            }
        };
        let mut vars = Variables::default();
        let mut edges = Vec::new();
        for sequence in &matching.pattern {
            let mut nodes = Vec::with_capacity(sequence.nodes.len());
            for node in &sequence.nodes {
                nodes.push(
                    vars.node(node.name.as_ref())
                        .map_err(|m| self.semantic(m, node.span))?,
                );
            }
            for (at, edge) in sequence.edges.iter().enumerate() {
                let (min, max) = match &edge.length {
                    Some((least, most)) => (self.edge_bound(least)?, self.edge_bound(most)?),
                    None => (1, 1),
                };
                if min > max {
                    return Err(self.semantic(
                        format!("a variable length edge's least length ({min}) is more than its most ({max})"),
                        edge.span,
                    ));
                }
                vars.edge(edge.name.as_ref(), edge.length.is_some())
                    .map_err(|m| self.semantic(m, edge.span))?;
                edges.push(EdgeVar {
                    left: nodes[at],
                    right: nodes[at + 1],
                    direction: edge.direction,
                    min,
                    max,
                });
            }
        }
        let pattern = Pattern {
            nodes: vars.node_count(),
            edges,
            cycles,
        };
        if !connected(&pattern) {
            return Err(self.semantic(
                "the pattern's sequences must share node names: only one connected pattern is matched (graph-match-operator.md, \"Multiple sequences\")",
                span,
            ));
        }
        Ok((vars, pattern))
    }

    /// A variable length edge's bound: a whole number (a literal or a let-bound scalar).
    fn edge_bound(&mut self, bound: &Expr) -> Result<u32, QueryError> {
        let typed = self.expr(bound, &Frame::empty())?;
        let value = match typed.literal {
            Some(Literal::Long(n)) => Some(n),
            Some(Literal::Int(n)) => Some(i64::from(n)),
            _ => None,
        };
        value.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
            self.semantic(
                "a variable length edge's bounds are whole numbers from 0 (*1..3)",
                bound.span,
            )
        })
    }

    /// `graph-shortest-paths`: one sequence with a variable length edge; its first and last
    /// nodes.
    fn shortest(
        &self,
        matching: &GraphMatch,
        pattern: &Pattern,
        span: Span,
    ) -> Result<Option<Shortest>, QueryError> {
        if !matching.shortest {
            return Ok(None);
        }
        let all = match matching.output.as_ref().map(|o| o.name.as_str()) {
            None | Some("any") => false,
            Some("all") => true,
            Some(other) => {
                return Err(self.semantic(
                    format!("output is any or all, not '{}'", other.escape_debug()),
                    matching.output.as_ref().map_or(span, |o| o.span),
                ));
            }
        };
        let [sequence] = matching.pattern.as_slice() else {
            return Err(self.semantic(
                "graph-shortest-paths takes one sequence, not several (graph-shortest-paths-operator.md)",
                span,
            ));
        };
        if !sequence.edges.iter().any(|e| e.length.is_some()) {
            return Err(self.semantic(
                "graph-shortest-paths needs a variable length edge in its pattern (-[e*1..5]->)",
                span,
            ));
        }
        // The sequence's first node is the pattern's first node variable.
        let first = pattern.edges.first().map_or(0, |e| e.left);
        let last = pattern.edges.last().map_or(first, |e| e.right);
        Ok(Some(Shortest { first, last, all }))
    }
}

/// The node and edge scopes' columns, for planning expressions over one element.
pub(super) struct Scopes {
    pub node: Frame,
    pub edge: Frame,
}

/// An item named as the output names it: a bare `node_degree_in(n)` takes the function's name
/// (node-degree-out.md's example), anything else as `project` names it.
fn graph_item_name(item: &NamedExpr) -> NamedExpr {
    let mut named = item.clone();
    if named.name.is_none()
        && let ExprKind::Call { name, .. } = &item.expr.kind
        && matches!(name.name.as_str(), "node_degree_in" | "node_degree_out")
    {
        named.name = Some(name.clone());
    }
    named
}

/// Whether every variable of the pattern is reached from the first through its edges.
fn connected(pattern: &Pattern) -> bool {
    if pattern.nodes == 0 {
        return false;
    }
    let mut reached = vec![false; pattern.nodes];
    reached[0] = true;
    let mut links: HashMap<usize, Vec<usize>> = HashMap::new();
    for edge in &pattern.edges {
        links.entry(edge.left).or_default().push(edge.right);
        links.entry(edge.right).or_default().push(edge.left);
    }
    let mut todo = vec![0];
    while let Some(var) = todo.pop() {
        for &next in links.get(&var).map_or(&[][..], |v| v.as_slice()) {
            if !reached[next] {
                reached[next] = true;
                todo.push(next);
            }
        }
    }
    reached.iter().all(|&r| r)
}
