//! Tabular sources that need no table: `print`, `datatable` and `range` — what every
//! self-contained example of the KQL documentation starts with.
//! Facts: print-operator.md, datatable-operator.md, range-operator.md
//! (learn.microsoft.com/kusto/query).

use datafusion::arrow::datatypes::DataType;
use datafusion::functions_nested::expr_fn::gen_series;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlanBuilder, cast, lit};

use super::{Frame, Planner, Typed};
use crate::backend::QueryError;
use crate::kql::Span;
use crate::kql::ast::{Expr, Ident, Literal, NamedExpr};
use crate::results::KqlType;

/// The most rows a `range` may make: past it the query is refused rather than run out of memory
/// (the engine's memory limit is issue 10's); checked when planning for constant bounds and as
/// the query runs for the others.
pub(super) const MAX_RANGE_ROWS: i64 = 10_000_000;

impl Planner<'_> {
    /// `print a = 1, 'x'`: one row; an unnamed column is `print_N`, N its position from 0.
    pub(super) fn print(&mut self, items: &[NamedExpr], span: Span) -> Result<Frame, QueryError> {
        let frame = Frame::empty();
        let items = self.spread_items(items, &frame)?;
        let mut exprs = Vec::with_capacity(items.len());
        let mut columns: Vec<(String, KqlType)> = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let typed = self.expr(&item.expr, &frame)?;
            let name = match &item.name {
                Some(ident) => ident.name.clone(),
                None => format!("print_{index}"),
            };
            if columns.iter().any(|(n, _)| *n == name) {
                let at = item.name.as_ref().map_or(item.expr.span, |i| i.span);
                return Err(self.semantic(format!("the column '{name}' is defined twice"), at));
            }
            exprs.push(typed.expr.alias(name.as_str()));
            columns.push((name, typed.ty));
        }
        self.projected(frame, exprs, columns, span)
    }

    /// `datatable (A: string, B: long) ['x', 1, …]`: the values row by row, each a constant of
    /// its column's type (a long goes into an int or real column as Kusto allows).
    pub(super) fn datatable(
        &mut self,
        declared: &[(Ident, Ident)],
        values: &[Expr],
        span: Span,
    ) -> Result<Frame, QueryError> {
        let mut columns = Vec::with_capacity(declared.len());
        for (name, type_name) in declared {
            let ty = self.declared_type(type_name)?;
            if columns
                .iter()
                .any(|(n, _): &(String, KqlType)| *n == name.name)
            {
                return Err(self.semantic(
                    format!("the column '{}' is defined twice", name.name),
                    name.span,
                ));
            }
            columns.push((name.name.clone(), ty));
        }
        let empty = Frame::empty();
        let mut rows: Vec<Vec<DfExpr>> = Vec::with_capacity(values.len() / columns.len().max(1));
        for row in values.chunks(columns.len()) {
            let mut cells = Vec::with_capacity(row.len());
            for (value, (name, ty)) in row.iter().zip(&columns) {
                let typed = self.expr(value, &empty)?;
                cells.push(self.datatable_cell(typed, *ty, name, value.span)?);
            }
            rows.push(cells);
        }
        let named = |i: usize| format!("column{}", i + 1);
        let builder =
            if rows.is_empty() {
                // No values: the columns, no row.
                let exprs: Vec<DfExpr> = columns
                    .iter()
                    .map(|(name, ty)| {
                        cast(lit(datafusion::common::ScalarValue::Null), ty.arrow_type())
                            .alias(name.as_str())
                    })
                    .collect();
                LogicalPlanBuilder::empty(true)
                    .project(exprs)
                    .and_then(|b| b.limit(0, Some(0)))
            } else {
                LogicalPlanBuilder::values(rows).and_then(|b| {
                    b.project(columns.iter().enumerate().map(|(i, (name, _))| {
                        datafusion::prelude::col(named(i)).alias(name.as_str())
                    }))
                })
            }
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }

    /// One value of a datatable: a constant, converted to its column's type.
    fn datatable_cell(
        &self,
        typed: Typed,
        ty: KqlType,
        column: &str,
        span: Span,
    ) -> Result<DfExpr, QueryError> {
        let constant = typed.literal.is_some();
        let fits = typed.ty == ty
            || matches!(
                (typed.ty, ty),
                (
                    KqlType::Long | KqlType::Int,
                    KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal
                ) | (KqlType::Real, KqlType::Decimal)
                    | (KqlType::String, KqlType::Guid | KqlType::Dynamic)
            )
            || matches!(typed.literal, Some(Literal::Null(_)));
        if !constant {
            return Err(self.semantic(
                "a datatable value must be a constant (a literal such as 'text', 42, datetime(…))",
                span,
            ));
        }
        if !fits {
            return Err(self.semantic(
                format!(
                    "column '{column}' is {}, this value is {}",
                    ty.with_article(),
                    typed.ty.with_article()
                ),
                span,
            ));
        }
        Ok(cast(typed.expr, ty.arrow_type()))
    }

    /// `range X from A to B step S` over longs, datetimes or timespans (stored as i64 ticks),
    /// Stop included when reached, descending with a negative step.
    pub(super) fn range(
        &mut self,
        column: &Ident,
        from: &Expr,
        to: &Expr,
        step: &Expr,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let empty = Frame::empty();
        let start = self.expr(from, &empty)?;
        let stop = self.expr(to, &empty)?;
        let by = self.expr(step, &empty)?;
        let ty = start.ty;
        let step_ty = match ty {
            KqlType::Long | KqlType::Int => KqlType::Long,
            KqlType::DateTime | KqlType::Timespan => KqlType::Timespan,
            other => {
                return Err(self.unsupported(
                    format!(
                        "range over {} values is not supported by the local engine yet",
                        other.kql_name()
                    ),
                    from.span,
                ));
            }
        };
        let numeric = |t: KqlType| matches!(t, KqlType::Long | KqlType::Int);
        if !(stop.ty == ty || numeric(stop.ty) && numeric(ty)) {
            return Err(self.semantic(
                format!(
                    "range goes from {} to {}: both ends need one type",
                    ty.with_article(),
                    stop.ty.with_article()
                ),
                to.span,
            ));
        }
        if !(by.ty == step_ty || numeric(by.ty) && numeric(step_ty)) {
            return Err(self.semantic(
                format!("the step of this range must be {}", step_ty.with_article()),
                step.span,
            ));
        }
        if let (Some(a), Some(b), Some(s)) = (
            ticks(&start.literal),
            ticks(&stop.literal),
            ticks(&by.literal),
        ) {
            if s == 0 {
                return Err(self.semantic("the step of a range cannot be zero", step.span));
            }
            let rows = (b as i128 - a as i128) / s as i128 + 1;
            if rows > MAX_RANGE_ROWS as i128 {
                return Err(self.unsupported(
                    format!(
                        "this range makes {rows} rows; the local engine makes at most {MAX_RANGE_ROWS}"
                    ),
                    span,
                ));
            }
        }
        let long = |t: Typed| cast(t.expr, DataType::Int64);
        let (start, stop, by) = (long(start), long(stop), long(by));
        // Bounds that are not constants are checked as the query runs.
        let by = crate::engine::udf::RangeStepUdf::udf(MAX_RANGE_ROWS).call(vec![
            start.clone(),
            stop.clone(),
            by,
        ]);
        let series = gen_series(start, stop, by).alias("__range");
        let name = column.name.as_str();
        let builder = LogicalPlanBuilder::empty(true)
            .project(vec![series])
            .and_then(|b| b.unnest_column("__range"))
            .and_then(|b| {
                b.project(vec![
                    cast(datafusion::prelude::col("__range"), ty.arrow_type()).alias(name),
                ])
            })
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame {
            builder,
            columns: vec![(column.name.clone(), ty)],
        })
    }
}

/// A constant long, datetime or timespan as i64 (ticks for the time types).
fn ticks(literal: &Option<Literal>) -> Option<i64> {
    match literal {
        Some(Literal::Long(v)) | Some(Literal::Timespan(v)) | Some(Literal::Datetime(v)) => {
            Some(*v)
        }
        Some(Literal::Int(v)) => Some(i64::from(*v)),
        _ => None,
    }
}
