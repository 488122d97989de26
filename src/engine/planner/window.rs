//! Window functions over a serialized row set (window-functions.md): `row_number`, `prev`,
//! `next`, `row_cumsum`, `row_rank_dense`, `row_rank_min`. Each is a DataFusion window
//! expression over the rows in their current order: no partitions (a partitioned window sorts
//! its input, which would lose the order), restarts computed from running values instead:
//!
//! - `row_number(start, restart)`: N − L + start, where N is the row number and L the number
//!   of the last row where `restart` held;
//! - `row_cumsum(x, restart)`: C − B, where C is the running sum and B the running sum before
//!   the last row where `restart` held;
//! - `row_rank_dense(x)`: the running count of rows whose term differs from the previous row's;
//! - `row_rank_min(x)`: the number of the first row of the current run of equal terms;
//! - with a `restart` argument, the ranks count from the last row where it held;
//! - `row_window_session(t, max_from_first, max_between, restart)`: each session start
//!   depends on the one before.
//!
//! The last three are computed in one pass over the rows by their own window function,
//! [`Sequential`].
//!
//! A window expression may hold another (`row_cumsum(x, name != prev(name))`):
//! [`Planner::with_windows`] plans the innermost first, each as a Window node, and the
//! expressions then read their columns.

use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::functions_window::expr_fn::{lag, lead, row_number};
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{
    Expr as DfExpr, ExprFunctionExt, LogicalPlanBuilder, WindowFrame, WindowFrameBound,
    WindowFrameUnits, WindowFunctionDefinition, cast, lit, when,
};

use super::{Frame, Planner, Typed, is_numeric};
use crate::backend::QueryError;
use crate::kql::Span;
use crate::kql::ast::{Expr, Literal};
use crate::results::KqlType;

/// The window functions, which need a serialized row set.
pub(super) const WINDOW_FUNCTIONS: &[&str] = &[
    "row_number",
    "prev",
    "next",
    "row_cumsum",
    "row_rank_dense",
    "row_rank_min",
    "row_window_session",
];

/// Rows from the first to the current one.
fn running_frame() -> WindowFrame {
    WindowFrame::new_bounds(
        WindowFrameUnits::Rows,
        WindowFrameBound::Preceding(ScalarValue::UInt64(None)),
        WindowFrameBound::CurrentRow,
    )
}

/// An aggregate over the running frame.
fn running_aggregate(aggregate: DfExpr) -> Result<DfExpr, datafusion::error::DataFusionError> {
    running(aggregate, false)
}

/// An aggregate over the running frame, nulls skipped when `ignore_nulls` (`last_value`).
fn running(
    aggregate: DfExpr,
    ignore_nulls: bool,
) -> Result<DfExpr, datafusion::error::DataFusionError> {
    let DfExpr::AggregateFunction(function) = aggregate else {
        return Ok(aggregate);
    };
    let window = DfExpr::from(WindowFunction::new(
        WindowFunctionDefinition::AggregateUDF(function.func),
        function.params.args,
    ))
    .window_frame(running_frame());
    if ignore_nulls {
        window
            .null_treatment(Some(
                datafusion::logical_expr::expr::NullTreatment::IgnoreNulls,
            ))
            .build()
    } else {
        window.build()
    }
}

impl Planner<'_> {
    pub(super) fn window_function(
        &mut self,
        function: &str,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        let engine = |planner: &Self, e| planner.engine_error(e, span);
        let number = || cast(row_number(), datafusion::arrow::datatypes::DataType::Int64);
        match function {
            "row_number" => {
                self.arity(function, args, 0, 2, span)?;
                let start = match args.first() {
                    Some(arg) => match self.expr(arg, frame)?.literal {
                        Some(Literal::Long(n)) => n,
                        Some(Literal::Int(n)) => i64::from(n),
                        _ => {
                            return Err(self.semantic(
                                "row_number()'s start must be a constant whole number",
                                arg.span,
                            ));
                        }
                    },
                    None => 1,
                };
                let Some(restart) = args.get(1) else {
                    return Ok(Typed::new(number() + lit(start - 1), KqlType::Long));
                };
                let restart = self.condition(restart, frame)?;
                let last = running_aggregate(agg::max(
                    when(restart, number())
                        .otherwise(lit(1i64))
                        .map_err(|e| engine(self, e))?,
                ))
                .map_err(|e| engine(self, e))?;
                Ok(Typed::new(number() - last + lit(start), KqlType::Long))
            }
            "prev" | "next" => {
                self.arity(function, args, 1, 3, span)?;
                let value = self.expr(&args[0], frame)?;
                let offset = match args.get(1) {
                    Some(arg) => match self.expr(arg, frame)?.literal {
                        Some(Literal::Long(n)) if n >= 0 => n,
                        Some(Literal::Int(n)) if n >= 0 => i64::from(n),
                        _ => {
                            return Err(self.semantic(
                                format!("{function}()'s offset must be a constant whole number, 0 or more"),
                                arg.span,
                            ));
                        }
                    },
                    None => 1,
                };
                let default = match args.get(2) {
                    Some(arg) => {
                        let typed = self.expr(arg, frame)?;
                        match typed.expr {
                            DfExpr::Literal(value, _) => Some(value),
                            _ => {
                                return Err(self.semantic(
                                    format!("{function}()'s default must be a constant"),
                                    arg.span,
                                ));
                            }
                        }
                    }
                    None => None,
                };
                let default = default
                    .map(|d| d.cast_to(&value.ty.arrow_type()))
                    .transpose()
                    .map_err(|e| engine(self, e))?;
                let shifted = if function == "prev" {
                    lag(value.expr, Some(offset), default)
                } else {
                    lead(value.expr, Some(offset), default)
                };
                Ok(Typed::new(shifted, value.ty))
            }
            "row_cumsum" => {
                self.arity(function, args, 1, 2, span)?;
                let value = self.expr(&args[0], frame)?;
                if !is_numeric(value.ty) {
                    return Err(self.semantic(
                        format!(
                            "row_cumsum() sums numbers, this is {}",
                            value.ty.with_article()
                        ),
                        args[0].span,
                    ));
                }
                let ty = if matches!(value.ty, KqlType::Real | KqlType::Decimal) {
                    KqlType::Real
                } else {
                    KqlType::Long
                };
                let value_expr = cast(value.expr, ty.arrow_type());
                let sum =
                    running_aggregate(agg::sum(value_expr.clone())).map_err(|e| engine(self, e))?;
                let Some(restart) = args.get(1) else {
                    return Ok(Typed::new(sum, ty));
                };
                let restart = self.condition(restart, frame)?;
                // The running sum before the last restart: the last non-null of C − x where
                // restart holds (nulls elsewhere).
                let before = when(restart, sum.clone() - value_expr)
                    .end()
                    .map_err(|e| engine(self, e))?;
                let zero = ScalarValue::try_from(&ty.arrow_type()).map_err(|e| engine(self, e))?;
                let zero = match zero {
                    ScalarValue::Int64(_) => lit(0i64),
                    _ => lit(0.0f64),
                };
                let last =
                    running(agg::last_value(before, vec![]), true).map_err(|e| engine(self, e))?;
                Ok(Typed::new(
                    sum - datafusion::functions::expr_fn::coalesce(vec![last, zero]),
                    ty,
                ))
            }
            "row_window_session" => {
                self.arity(function, args, 3, 4, span)?;
                let mut planned = Vec::with_capacity(4);
                for (index, (arg, ty)) in args
                    .iter()
                    .zip([KqlType::DateTime, KqlType::Timespan, KqlType::Timespan])
                    .enumerate()
                {
                    let typed = self.expr(arg, frame)?;
                    if typed.ty != ty {
                        return Err(self.semantic(
                            format!(
                                "argument {} of row_window_session() must be {}, this is {}",
                                index + 1,
                                ty.with_article(),
                                typed.ty.with_article()
                            ),
                            arg.span,
                        ));
                    }
                    planned.push(typed.expr);
                }
                if let Some(restart) = args.get(3) {
                    planned.push(self.condition(restart, frame)?);
                }
                let session = datafusion::logical_expr::WindowUDF::from(Sequential::new(
                    SequentialKind::Session,
                    planned.len(),
                ));
                Ok(Typed::new(
                    DfExpr::from(WindowFunction::new(
                        WindowFunctionDefinition::WindowUDF(std::sync::Arc::new(session)),
                        planned,
                    )),
                    KqlType::DateTime,
                ))
            }
            _ => {
                // row_rank_dense / row_rank_min, with an optional restart (row-rank-min-function.md):
                // sequential, so their own window function rather than running aggregates.
                self.arity(function, args, 1, 2, span)?;
                let mut planned = vec![self.expr(&args[0], frame)?.expr];
                if let Some(restart) = args.get(1) {
                    planned.push(self.condition(restart, frame)?);
                }
                let rank = datafusion::logical_expr::WindowUDF::from(Sequential::new(
                    if function == "row_rank_dense" {
                        SequentialKind::RankDense
                    } else {
                        SequentialKind::RankMin
                    },
                    planned.len(),
                ));
                Ok(Typed::new(
                    DfExpr::from(WindowFunction::new(
                        WindowFunctionDefinition::WindowUDF(std::sync::Arc::new(rank)),
                        planned,
                    )),
                    KqlType::Long,
                ))
            }
        }
    }

    /// `builder` with every window expression of `exprs` computed by Window nodes (innermost
    /// first) and `exprs` rewritten to read their columns.
    pub(super) fn with_windows(
        &self,
        builder: LogicalPlanBuilder,
        exprs: Vec<DfExpr>,
        span: Span,
    ) -> Result<(LogicalPlanBuilder, Vec<DfExpr>), QueryError> {
        let mut builder = builder;
        let mut exprs = exprs;
        loop {
            let innermost = innermost_windows(&exprs);
            if innermost.is_empty() {
                return Ok((builder, exprs));
            }
            let plan = builder.build().map_err(|e| self.engine_error(e, span))?;
            let before = plan.schema().fields().len();
            // The rows' order is the last sort's: say so, or DataFusion may merge sorted
            // partitions in another order before the window runs.
            let Some(order) = serialized_order(&plan, &self.serialized) else {
                return Err(self.semantic(
                    "window functions need a serialized row set: sort, top or serialize before them (window-functions.md)",
                    span,
                ));
            };
            let ordered: Vec<DfExpr> = innermost
                .iter()
                .map(|w| match w {
                    DfExpr::WindowFunction(function) if !order.is_empty() => {
                        let mut function = function.as_ref().clone();
                        function.params.order_by = order.clone();
                        DfExpr::from(function)
                    }
                    other => other.clone(),
                })
                .collect();
            let plan = LogicalPlanBuilder::window_plan(plan, ordered)
                .map_err(|e| self.engine_error(e, span))?;
            // The Window node adds a column per expression, after the input's, in order.
            let named: Vec<(DfExpr, datafusion::common::Column)> = innermost
                .into_iter()
                .enumerate()
                .map(|(i, w)| {
                    let (qualifier, field) = plan.schema().qualified_field(before + i);
                    (w, datafusion::common::Column::from((qualifier, field)))
                })
                .collect();
            builder = LogicalPlanBuilder::from(plan);
            exprs = exprs
                .into_iter()
                .map(|e| {
                    e.transform_up(|node| {
                        Ok(match named.iter().find(|(w, _)| *w == node) {
                            Some((_, column)) => Transformed::yes(DfExpr::Column(column.clone())),
                            None => Transformed::no(node),
                        })
                    })
                    .map(|t| t.data)
                })
                .collect::<Result<_, _>>()
                .map_err(|e| self.engine_error(e, span))?;
        }
    }
}

/// The window expressions anywhere in `exprs` that hold no other, each once.
fn innermost_windows(exprs: &[DfExpr]) -> Vec<DfExpr> {
    let mut found: Vec<DfExpr> = Vec::new();
    for expr in exprs {
        let _ = expr.apply(|node| {
            if let DfExpr::WindowFunction(function) = node {
                let nested = function.params.args.iter().any(|arg| {
                    arg.exists(|e| Ok(matches!(e, DfExpr::WindowFunction(_))))
                        .unwrap_or(false)
                });
                if !nested && !found.contains(node) {
                    found.push(node.clone());
                }
            }
            Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
        });
    }
    found
}

/// Whether the rows of `plan` are a serialized row set (window-functions.md), and in which
/// order: the sort expressions of the nearest sort below it through operators that keep the
/// order (projections, filters, limits, windows, expansions) — empty when a projection on the
/// way gives a column the sort reads another meaning, or the rows were serialized by
/// `serialize` (a plan whose schema is in `serialized`). `None` when they are not serialized.
pub(super) fn serialized_order(
    plan: &datafusion::logical_expr::LogicalPlan,
    serialized: &std::collections::HashSet<usize>,
) -> Option<Vec<datafusion::logical_expr::SortExpr>> {
    use datafusion::logical_expr::LogicalPlan as P;
    let mut redefined: Vec<String> = Vec::new();
    let mut node = plan;
    // Serialized by `serialize`: in a sort's order if one lies below, else as the rows come.
    let mut marked = false;
    loop {
        marked |= serialized.contains(&schema_key(node));
        node = match node {
            P::Sort(sort) => {
                let reads_redefined = sort.expr.iter().any(|key| {
                    key.expr
                        .column_refs()
                        .iter()
                        .any(|c| redefined.contains(&c.name))
                });
                return Some(if reads_redefined {
                    vec![]
                } else {
                    sort.expr.clone()
                });
            }
            P::Projection(projection) => {
                for (expr, field) in projection.expr.iter().zip(projection.schema.fields()) {
                    let passed_through = match expr {
                        DfExpr::Column(c) => c.name == *field.name(),
                        DfExpr::Alias(alias) => {
                            matches!(alias.expr.as_ref(), DfExpr::Column(c) if c.name == alias.name)
                        }
                        _ => false,
                    };
                    if !passed_through {
                        redefined.push(field.name().clone());
                    }
                }
                &projection.input
            }
            P::Filter(filter) => &filter.input,
            P::Limit(limit) => &limit.input,
            P::Window(window) => &window.input,
            P::SubqueryAlias(alias) => &alias.input,
            P::Unnest(unnest) => &unnest.input,
            _ => return marked.then(Vec::new),
        };
    }
}

/// What marks a plan as serialized: its schema's address (a plan moved out of its `Arc` keeps
/// its schema).
pub(super) fn schema_key(plan: &datafusion::logical_expr::LogicalPlan) -> usize {
    std::sync::Arc::as_ptr(plan.schema()) as usize
}

/// The window functions computed by one pass over the rows in order, each row's value
/// depending on the rows before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum SequentialKind {
    /// `row_rank_min(Term [, Restart])` (row-rank-min-function.md): the number (from 1) of the
    /// first row of the current run of equal terms, counted from the last restart; a row where
    /// `Restart` is true starts the numbering again.
    RankMin,
    /// `row_rank_dense(Term [, Restart])` (row-rank-dense-function.md): 1 at the first row and
    /// at each restart, one more whenever the term differs from the previous row's.
    RankDense,
    /// `row_window_session(Expr, MaxDistanceFromFirst, MaxDistanceBetweenNeighbors [, Restart])`
    /// (row-window-session-function.md): the value of `Expr` (datetime ticks) where the current
    /// session began. A row starts a session when there is no session (the first row, or after
    /// a null `Expr`), when `Expr` ≥ the session's start + the first distance, when `Expr` ≥
    /// the previous row's `Expr` + the second distance, or when `Restart` is true. A null `Expr`
    /// gives null. The distances are timespan ticks, read per row.
    Session,
}

/// A [`SequentialKind`] as a DataFusion window function: its arguments are the KQL
/// arguments in order (a restart as a bool column). Running aggregates over `row_number()`
/// could express the ranks, but DataFusion's common-subexpression pass breaks on window
/// expressions that share `row_number()`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Sequential {
    kind: SequentialKind,
    signature: datafusion::logical_expr::Signature,
}

impl Sequential {
    /// `kind` with `arguments` arguments.
    pub(super) fn new(kind: SequentialKind, arguments: usize) -> Sequential {
        Sequential {
            kind,
            signature: datafusion::logical_expr::Signature::any(
                arguments,
                datafusion::logical_expr::Volatility::Immutable,
            ),
        }
    }
}

impl datafusion::logical_expr::WindowUDFImpl for Sequential {
    fn name(&self) -> &str {
        match self.kind {
            SequentialKind::RankMin => "kql_row_rank_min",
            SequentialKind::RankDense => "kql_row_rank_dense",
            SequentialKind::Session => "kql_row_window_session",
        }
    }

    fn signature(&self) -> &datafusion::logical_expr::Signature {
        &self.signature
    }

    fn partition_evaluator(
        &self,
        _: datafusion::logical_expr::function::PartitionEvaluatorArgs,
    ) -> datafusion::common::Result<Box<dyn datafusion::logical_expr::PartitionEvaluator>> {
        Ok(Box::new(SequentialEvaluator(self.kind)))
    }

    fn field(
        &self,
        args: datafusion::logical_expr::function::WindowUDFFieldArgs,
    ) -> datafusion::common::Result<datafusion::arrow::datatypes::FieldRef> {
        Ok(std::sync::Arc::new(
            datafusion::arrow::datatypes::Field::new(
                args.name(),
                datafusion::arrow::datatypes::DataType::Int64,
                true,
            ),
        ))
    }
}

#[derive(Debug)]
struct SequentialEvaluator(SequentialKind);

fn internal(message: &str) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Internal(message.to_string())
}

impl datafusion::logical_expr::PartitionEvaluator for SequentialEvaluator {
    fn evaluate_all(
        &mut self,
        values: &[datafusion::arrow::array::ArrayRef],
        rows: usize,
    ) -> datafusion::common::Result<datafusion::arrow::array::ArrayRef> {
        use datafusion::arrow::array::{Array, AsArray, BooleanArray};
        let restart_at = match self.0 {
            SequentialKind::Session => 3,
            _ => 1,
        };
        let restart: Option<&BooleanArray> =
            values.get(restart_at).and_then(|a| a.as_boolean_opt());
        let restarts = |row: usize| restart.is_some_and(|r| !r.is_null(row) && r.value(row));
        let mut out = datafusion::arrow::array::Int64Builder::with_capacity(rows);
        match self.0 {
            SequentialKind::RankMin | SequentialKind::RankDense => {
                let terms = values
                    .first()
                    .ok_or_else(|| internal("row_rank(): no term"))?;
                // Whether each row's term differs from the previous row's (nulls are equal).
                let differs = if rows > 1 {
                    Some(datafusion::arrow::compute::kernels::cmp::distinct(
                        &terms.slice(1, rows - 1),
                        &terms.slice(0, rows - 1),
                    )?)
                } else {
                    None
                };
                let changed = |row: usize| {
                    row > 0
                        && differs
                            .as_ref()
                            .is_some_and(|d| !d.is_null(row - 1) && d.value(row - 1))
                };
                let (mut restarted, mut run_start, mut dense) = (0i64, 0i64, 0i64);
                for row in 0..rows {
                    let number = i64::try_from(row).unwrap_or(i64::MAX);
                    if row == 0 || restarts(row) {
                        restarted = number;
                        run_start = number;
                        dense = 1;
                    } else if changed(row) {
                        run_start = number;
                        dense += 1;
                    }
                    out.append_value(match self.0 {
                        SequentialKind::RankDense => dense,
                        _ => run_start - restarted + 1,
                    });
                }
            }
            SequentialKind::Session => {
                let ticks = |index: usize| {
                    values
                        .get(index)
                        .and_then(|a| {
                            a.as_primitive_opt::<datafusion::arrow::datatypes::Int64Type>()
                        })
                        .ok_or_else(|| internal("row_window_session(): an argument is not ticks"))
                };
                let (times, from_first, between) = (ticks(0)?, ticks(1)?, ticks(2)?);
                let read = |array: &datafusion::arrow::array::Int64Array, row: usize| {
                    (!array.is_null(row)).then(|| array.value(row))
                };
                let mut start: Option<i64> = None;
                let mut previous: Option<i64> = None;
                for row in 0..rows {
                    let Some(time) = read(times, row) else {
                        out.append_null();
                        start = None;
                        previous = None;
                        continue;
                    };
                    // `≥ a + b` with a + b past i64 never holds.
                    let reached = |base: Option<i64>, distance: Option<i64>| match (base, distance)
                    {
                        (Some(base), Some(distance)) => {
                            base.checked_add(distance).is_some_and(|end| time >= end)
                        }
                        _ => false,
                    };
                    if start.is_none()
                        || reached(start, read(from_first, row))
                        || reached(previous, read(between, row))
                        || restarts(row)
                    {
                        start = Some(time);
                    }
                    out.append_option(start);
                    previous = Some(time);
                }
            }
        }
        Ok(std::sync::Arc::new(out.finish()))
    }
}
