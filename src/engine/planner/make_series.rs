//! `make-series` (make-series-operator.md): the rows grouped by the `by` expressions and the
//! bin of the axis column (`bin_at(Axis, step, from)`), each aggregation computed per bin, then
//! per group each aggregation's values as a dynamic array ordered by bin, `default` (0 unless
//! given) where a bin has no rows, and the axis as the array of bin starts. Columns: the `by`
//! columns, the series, the axis. Rows before `from` or at/after `to` are left out; without
//! `from`/`to` the series span the bins with data over the whole input. `in range(start, stop,
//! step)` aligns bins as `bin()` does and includes `stop`. An empty input gives no rows, or
//! with `kind=nonempty` one row of default values.
//!
//! The plan: the bin of each row (a UDF, null outside the series) → aggregate by groups and bin
//! → per group, each aggregation's `{b, v}` pairs gathered with `array_agg` (with the first and
//! last bin, and the whole input's when a bound is missing) → UDFs that place the values and
//! build the axis.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::functions::core::expr_fn::named_struct;
use datafusion::functions::expr_fn as f;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::functions_aggregate::min_max::{max_udaf, min_udaf};
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt, LogicalPlanBuilder, cast, lit};

use super::{Frame, Planner, Typed, column, is_numeric};
use crate::backend::QueryError;
use crate::engine::udf_series::{NearestRankUdf, SeriesAxis, SeriesPart, SeriesUdf};
use crate::kql::Span;
use crate::kql::ast::{Expr, ExprKind, Literal, MakeSeries, SeriesRange};
use crate::results::KqlType;

/// The hidden column holding each row's bin.
const BIN: &str = "__series_bin";

/// One aggregation of a series, planned: the DataFusion aggregate, what makes its value KQL's,
/// its type and its default name.
struct SeriesAggregate {
    expr: DfExpr,
    finish: Finish,
    ty: KqlType,
    default_name: String,
}

/// The step after aggregating.
enum Finish {
    None,
    /// SQL's null over no values → 0 of the type (`sum`, `stdev` of one value).
    Zero(KqlType),
    /// A mean of ticks → whole ticks (`avg` of a timespan).
    RoundToTicks,
    /// The nearest-rank percentile of the gathered values.
    Percentile {
        percent: f64,
        real: bool,
    },
}

/// The aggregation functions make-series takes (make-series-operator.md, "List of aggregation
/// functions"), with their `…if` forms.
const SERIES_AGGREGATES: &[&str] = &[
    "count",
    "countif",
    "dcount",
    "dcountif",
    "sum",
    "sumif",
    "avg",
    "avgif",
    "min",
    "minif",
    "max",
    "maxif",
    "stdev",
    "stdevif",
    "stdevp",
    "variance",
    "varianceif",
    "variancep",
    "variancepif",
    "covariance",
    "covarianceif",
    "covariancep",
    "covariancepif",
    "percentile",
    "take_any",
    "any",
];

impl Planner<'_> {
    pub(super) fn make_series(
        &mut self,
        frame: Frame,
        series: &MakeSeries,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let ExprKind::Column(axis_name) = &series.axis.kind else {
            return Err(self.unsupported(
                "make-series' axis must be a column (extend it first)",
                series.axis.span,
            ));
        };
        let axis = self.expr(&series.axis, &frame)?;
        let (start, end, step, inclusive) = match &series.range {
            SeriesRange::FromTo { from, to, step } => (from.as_ref(), to.as_ref(), step, false),
            SeriesRange::InRange { start, stop, step } => (Some(start), Some(stop), step, true),
        };
        let start_value = self.series_constant(start)?;
        let end_value = self.series_constant(end)?;
        let step_value = self.expr(step, &Frame::empty())?;
        let layout = self.series_axis(
            &axis,
            series.axis.span,
            [(start, start_value.as_ref()), (end, end_value.as_ref())],
            (step, &step_value),
            inclusive,
        )?;
        let mode = if layout.real {
            DataType::Float64
        } else {
            DataType::Int64
        };
        let bound = |typed: Option<Typed>| match typed {
            Some(typed) => cast(typed.expr, mode.clone()),
            None => typed_null(&mode),
        };
        let (start, end, step) = (
            bound(start_value),
            bound(end_value),
            bound(Some(step_value)),
        );

        // Each row's bin; rows outside the series are dropped.
        let binner = Arc::new(SeriesUdf::udf(SeriesPart::Bin, layout));
        let bin = binner.call(vec![
            cast(axis.expr, mode.clone()),
            start.clone(),
            end.clone(),
            step.clone(),
        ]);
        let mut exprs: Vec<DfExpr> = frame.columns.iter().map(|(n, _)| column(n)).collect();
        exprs.push(bin.alias(BIN));
        let mut columns = frame.columns.clone();
        columns.push((BIN.to_string(), KqlType::Long));
        let builder = frame
            .builder
            .project(exprs)
            .and_then(|b| b.filter(column(BIN).is_not_null()))
            .map_err(|e| self.engine_error(e, span))?;
        let binned = Frame { builder, columns };

        // The groups, the aggregations and their names.
        let (group_exprs, by_columns) = self.named_items(&series.by, &binned)?;
        let mut taken = by_columns.clone();
        let mut planned: Vec<(String, SeriesAggregate, Typed)> = Vec::new();
        for (index, aggregate) in series.aggregates.iter().enumerate() {
            if let Some(first) = aggregate.item.names.first() {
                return Err(self.semantic(
                    "make-series makes one column per aggregation: (A, B) = … cannot name it",
                    first.span,
                ));
            }
            let planned_aggregate = self.series_aggregate(&aggregate.item.expr, index, &binned)?;
            let name = self.aggregate_name(
                aggregate.item.name.as_ref(),
                &planned_aggregate.default_name,
                &taken,
            )?;
            taken.push((name.clone(), KqlType::Dynamic));
            let default = match &aggregate.default {
                Some(default) => {
                    let typed = self.expr(default, &Frame::empty())?;
                    coerced_default(typed, planned_aggregate.ty)
                }
                None => zero(planned_aggregate.ty),
            };
            planned.push((name, planned_aggregate, default));
        }
        if taken.iter().any(|(n, _)| n == axis_name) {
            return Err(self.semantic(
                format!("the column '{axis_name}' is defined twice (it is the axis)"),
                series.axis.span,
            ));
        }

        // Aggregate by groups and bin.
        let mut keys = group_exprs;
        keys.push(column(BIN));
        let raw: Vec<DfExpr> = planned
            .iter()
            .enumerate()
            .map(|(k, (_, aggregate, _))| aggregate.expr.clone().alias(format!("__raw{k}")))
            .collect();
        let mut finished: Vec<DfExpr> = by_columns.iter().map(|(n, _)| column(n)).collect();
        finished.push(column(BIN));
        for (k, (_, aggregate, _)) in planned.iter().enumerate() {
            let value = finish(column(&format!("__raw{k}")), &aggregate.finish);
            finished.push(value.alias(format!("__v{k}")));
        }
        let per_bin = binned
            .builder
            .aggregate(keys, raw)
            .and_then(|b| b.project(finished))
            .map_err(|e| self.engine_error(e, span))?;

        // Per group: each aggregation's {bin, value} pairs, the first and last bin, the rows.
        let groups: Vec<DfExpr> = by_columns.iter().map(|(n, _)| column(n)).collect();
        let mut gathered: Vec<DfExpr> = (0..planned.len())
            .map(|k| {
                let pair = named_struct(vec![
                    lit("b"),
                    column(BIN),
                    lit("v"),
                    column(&format!("__v{k}")),
                ]);
                agg::array_agg(pair).alias(format!("__list{k}"))
            })
            .collect();
        gathered.push(agg::min(column(BIN)).alias("__low"));
        gathered.push(agg::max(column(BIN)).alias("__high"));
        gathered.push(agg::count(lit(1i64)).alias("__rows"));
        let per_group = per_bin
            .clone()
            .aggregate(groups, gathered.clone())
            .map_err(|e| self.engine_error(e, span))?;
        let per_group = if by_columns.is_empty() {
            // Without groups the aggregation gives one row even over no rows: the row of
            // defaults of kind=nonempty, or none.
            if series.nonempty {
                per_group
            } else {
                per_group
                    .filter(column("__rows").gt(lit(0i64)))
                    .map_err(|e| self.engine_error(e, span))?
            }
        } else if series.nonempty {
            self.default_row(per_group, per_bin, gathered, &by_columns, span)?
        } else {
            per_group
        };

        // Without `from` or `to`, the whole input's first and last bins bound every series.
        let bounded = inclusive || (layout.has_start && layout.has_end);
        let (plan, low, high) = if !bounded {
            let first = WindowFunction::new(min_udaf(), vec![column("__low")]);
            let last = WindowFunction::new(max_udaf(), vec![column("__high")]);
            let builder = per_group
                .window(vec![
                    DfExpr::from(first).alias("__first"),
                    DfExpr::from(last).alias("__last"),
                ])
                .map_err(|e| self.engine_error(e, span))?;
            (builder, column("__first"), column("__last"))
        } else {
            let none = typed_null(&DataType::Int64);
            (per_group, none.clone(), none)
        };

        // The series and the axis.
        let mut exprs: Vec<DfExpr> = by_columns.iter().map(|(n, _)| column(n)).collect();
        let mut columns = by_columns;
        for (k, (name, aggregate, default)) in planned.into_iter().enumerate() {
            let part = SeriesPart::Values {
                value: aggregate.ty,
                default: default.ty,
            };
            let values = Arc::new(SeriesUdf::udf(part, layout)).call(vec![
                column(&format!("__list{k}")),
                start.clone(),
                end.clone(),
                step.clone(),
                low.clone(),
                high.clone(),
                default.expr,
            ]);
            exprs.push(values.alias(name.as_str()));
            columns.push((name, KqlType::Dynamic));
        }
        let axis_values = Arc::new(SeriesUdf::udf(SeriesPart::Axis, layout))
            .call(vec![start, end, step, low, high]);
        exprs.push(axis_values.alias(axis_name.as_str()));
        columns.push((axis_name.clone(), KqlType::Dynamic));
        let builder = plan
            .project(exprs)
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }

    /// `from`, `to` (or range's bounds): scalars, planned without the table's columns.
    fn series_constant(&mut self, bound: Option<&Expr>) -> Result<Option<Typed>, QueryError> {
        bound.map(|b| self.expr(b, &Frame::empty())).transpose()
    }

    /// The axis' arithmetic and output type, after checking the bounds and step fit the axis:
    /// a datetime axis takes datetime bounds and a timespan step, a timespan axis timespans, a
    /// numeric axis numbers.
    fn series_axis(
        &self,
        axis: &Typed,
        axis_span: Span,
        bounds: [(Option<&Expr>, Option<&Typed>); 2],
        step: (&Expr, &Typed),
        inclusive: bool,
    ) -> Result<SeriesAxis, QueryError> {
        let (bound_type, step_type, what) = match axis.ty {
            KqlType::DateTime => (Some(KqlType::DateTime), Some(KqlType::Timespan), "datetime"),
            KqlType::Timespan => (Some(KqlType::Timespan), Some(KqlType::Timespan), "timespan"),
            ty if is_numeric(ty) => (None, None, "number"),
            ty => {
                return Err(self.semantic(
                    format!(
                        "make-series' axis must be a datetime, timespan or number, this is {}",
                        ty.with_article()
                    ),
                    axis_span,
                ));
            }
        };
        let fits = |ty: KqlType, wanted: Option<KqlType>| match wanted {
            Some(wanted) => ty == wanted,
            None => is_numeric(ty),
        };
        for (expr, typed) in bounds.iter().filter_map(|(e, t)| Some(((*e)?, (*t)?))) {
            if !fits(typed.ty, bound_type) {
                return Err(self.semantic(
                    format!(
                        "make-series' bounds must be of the axis' type ({what}), this is {}",
                        typed.ty.with_article()
                    ),
                    expr.span,
                ));
            }
        }
        if !fits(step.1.ty, step_type) {
            let wanted = if bound_type.is_some() {
                "a timespan"
            } else {
                "a number"
            };
            return Err(self.semantic(
                format!(
                    "make-series' step must be {wanted}, this is {}",
                    step.1.ty.with_article()
                ),
                step.0.span,
            ));
        }
        let is_real = |ty: KqlType| matches!(ty, KqlType::Real | KqlType::Decimal);
        let real = is_real(axis.ty)
            || is_real(step.1.ty)
            || bounds.iter().any(|(_, t)| t.is_some_and(|t| is_real(t.ty)));
        let ty = match axis.ty {
            KqlType::DateTime | KqlType::Timespan => axis.ty,
            _ if real => KqlType::Real,
            _ => KqlType::Long,
        };
        Ok(SeriesAxis {
            ty,
            real,
            inclusive,
            has_start: bounds[0].0.is_some(),
            has_end: bounds[1].0.is_some(),
        })
    }

    /// With `kind=nonempty` and groups: the groups' rows, or when the input has none, one row
    /// of defaults (null groups, no values).
    fn default_row(
        &self,
        per_group: LogicalPlanBuilder,
        per_bin: LogicalPlanBuilder,
        gathered: Vec<DfExpr>,
        by_columns: &[(String, KqlType)],
        span: Span,
    ) -> Result<LogicalPlanBuilder, QueryError> {
        let schema = per_group.schema().clone();
        let mut exprs = Vec::with_capacity(schema.fields().len());
        for field in schema.fields() {
            let name = field.name();
            if by_columns.iter().any(|(n, _)| n == name) {
                exprs.push(typed_null(field.data_type()).alias(name.as_str()));
            } else {
                exprs.push(column(name));
            }
        }
        let empty = per_bin
            .aggregate(Vec::<DfExpr>::new(), gathered)
            .and_then(|b| b.filter(column("__rows").eq(lit(0i64))))
            .and_then(|b| b.project(exprs))
            .and_then(|b| b.build())
            .map_err(|e| self.engine_error(e, span))?;
        per_group
            .union(empty)
            .map_err(|e| self.engine_error(e, span))
    }

    /// One aggregation of make-series: a call of one of [`SERIES_AGGREGATES`], or a constant
    /// (`other = -1`), which is its value in each bin with rows.
    fn series_aggregate(
        &mut self,
        expr: &Expr,
        index: usize,
        frame: &Frame,
    ) -> Result<SeriesAggregate, QueryError> {
        let call = match &expr.kind {
            ExprKind::Call { name, args } if SERIES_AGGREGATES.contains(&name.name.as_str()) => {
                Some((name, args))
            }
            ExprKind::Call { name, .. } if crate::kql::language::is_aggregate(&name.name) => {
                return Err(self.unsupported(
                    format!(
                        "the aggregate '{}' is not supported by make-series in the local engine yet",
                        name.name
                    ),
                    name.span,
                ));
            }
            _ => None,
        };
        let Some((name, args)) = call else {
            let value = self.expr(expr, &Frame::empty()).map_err(|_| {
                self.semantic(
                    "make-series takes aggregations such as count() or avg(X), or constants",
                    expr.span,
                )
            })?;
            return Ok(SeriesAggregate {
                expr: agg::first_value(value.expr, vec![]),
                finish: Finish::None,
                ty: value.ty,
                default_name: format!("Column{}", index + 1),
            });
        };
        let function = name.name.as_str();
        let span = expr.span;
        let column_of = |n: usize| match args.get(n).map(|a| &a.kind) {
            Some(ExprKind::Column(c)) => c.clone(),
            _ => String::new(),
        };
        let mut default_name = format!("{function}_{}", column_of(0));
        let conditional = function.ends_with("if") && function != "countif";
        let (expr, finish, ty) = match function.trim_end_matches("if") {
            "count" => {
                let counted = if function == "countif" {
                    self.arity(function, args, 1, 1, span)?;
                    default_name = "countif_".to_string();
                    let condition = self.condition(&args[0], frame)?;
                    self.only_if(agg::count(lit(1i64)), Some(condition), span)?
                } else {
                    self.arity(function, args, 0, 1, span)?;
                    if let Some(arg) = args.first() {
                        // Checked, but count(X) counts every row (as summarize's does).
                        self.expr(arg, frame)?;
                    }
                    agg::count(lit(1i64))
                };
                (counted, Finish::None, KqlType::Long)
            }
            "dcount" => {
                let extra = usize::from(conditional);
                self.arity(function, args, 1 + extra, 2 + extra, span)?;
                let value = self.expr(&args[0], frame)?;
                let condition = self.series_condition(conditional, args, 1, frame)?;
                let counted = self.only_if(agg::count_distinct(value.expr), condition, span)?;
                (counted, Finish::None, KqlType::Long)
            }
            "sum" | "avg" | "min" | "max" => {
                let base = function.trim_end_matches("if");
                self.arity(
                    function,
                    args,
                    1 + usize::from(conditional),
                    1 + usize::from(conditional),
                    span,
                )?;
                let value = self.expr(&args[0], frame)?;
                let ordered = matches!(base, "min" | "max") && value.ty == KqlType::DateTime;
                if !is_numeric(value.ty) && value.ty != KqlType::Timespan && !ordered {
                    return Err(self.semantic(
                        format!(
                            "{function}() in make-series needs a number or a timespan, this is {}",
                            value.ty.with_article()
                        ),
                        args[0].span,
                    ));
                }
                let condition = self.series_condition(conditional, args, 1, frame)?;
                let ty = value.ty;
                let (aggregate, finish, ty) = match base {
                    "sum" => {
                        let ty = if ty == KqlType::Int {
                            KqlType::Long
                        } else {
                            ty
                        };
                        (agg::sum(value.expr), Finish::Zero(ty), ty)
                    }
                    "avg" if ty == KqlType::Timespan => (
                        agg::avg(value.expr),
                        Finish::RoundToTicks,
                        KqlType::Timespan,
                    ),
                    "avg" => (agg::avg(value.expr), Finish::None, KqlType::Real),
                    "min" => (agg::min(value.expr), Finish::None, ty),
                    _ => (agg::max(value.expr), Finish::None, ty),
                };
                (self.only_if(aggregate, condition, span)?, finish, ty)
            }
            "stdev" | "stdevp" | "variance" | "variancep" => {
                let base = function.trim_end_matches("if");
                let extra = usize::from(conditional);
                self.arity(function, args, 1 + extra, 1 + extra, span)?;
                let value = self.series_number(function, &args[0], frame)?;
                let condition = self.series_condition(conditional, args, 1, frame)?;
                let aggregate = match base {
                    "stdev" => agg::stddev(value),
                    "stdevp" => agg::stddev_pop(value),
                    "variance" => agg::var_sample(value),
                    _ => agg::var_pop(value),
                };
                let aggregate = self.only_if(aggregate, condition, span)?;
                (aggregate, Finish::Zero(KqlType::Real), KqlType::Real)
            }
            "covariance" | "covariancep" => {
                let extra = usize::from(conditional);
                self.arity(function, args, 2 + extra, 2 + extra, span)?;
                let x = self.series_number(function, &args[0], frame)?;
                let y = self.series_number(function, &args[1], frame)?;
                let condition = self.series_condition(conditional, args, 2, frame)?;
                let aggregate = if function.starts_with("covariancep") {
                    agg::covar_pop(x, y)
                } else {
                    agg::covar_samp(x, y)
                };
                default_name = format!("{function}_{}_{}", column_of(0), column_of(1));
                let aggregate = self.only_if(aggregate, condition, span)?;
                (aggregate, Finish::Zero(KqlType::Real), KqlType::Real)
            }
            "percentile" => {
                self.arity(function, args, 2, 2, span)?;
                let value = self.expr(&args[0], frame)?;
                if !is_numeric(value.ty)
                    && !matches!(value.ty, KqlType::DateTime | KqlType::Timespan)
                {
                    return Err(self.semantic(
                        format!(
                            "percentile() needs a number, datetime or timespan, this is {}",
                            value.ty.with_article()
                        ),
                        args[0].span,
                    ));
                }
                let percent = match self.expr(&args[1], &Frame::empty())?.literal {
                    Some(Literal::Long(n)) => n as f64,
                    Some(Literal::Int(n)) => f64::from(n),
                    Some(Literal::Real(x)) => x,
                    _ => f64::NAN,
                };
                if !(0.0..=100.0).contains(&percent) {
                    return Err(self.semantic(
                        "percentile() takes a constant percentile from 0 to 100",
                        args[1].span,
                    ));
                }
                let real = matches!(value.ty, KqlType::Real | KqlType::Decimal);
                let ty = match value.ty {
                    KqlType::Int => KqlType::Long,
                    KqlType::Decimal => KqlType::Real,
                    ty => ty,
                };
                let arrow = if real {
                    DataType::Float64
                } else {
                    DataType::Int64
                };
                let values = cast(value.expr.clone(), arrow);
                let gathered =
                    self.only_if(agg::array_agg(values), Some(value.expr.is_not_null()), span)?;
                let shown = if percent.fract() == 0.0 {
                    format!("{percent:.0}")
                } else {
                    percent.to_string().replace('.', "_")
                };
                default_name = format!("percentile_{}_{shown}", column_of(0));
                (gathered, Finish::Percentile { percent, real }, ty)
            }
            _ => {
                // take_any, any: a value that is there when one is.
                self.arity(function, args, 1, 1, span)?;
                let value = self.expr(&args[0], frame)?;
                let present = value.expr.clone().is_not_null();
                let aggregate =
                    self.only_if(agg::first_value(value.expr, vec![]), Some(present), span)?;
                if function == "take_any" && !column_of(0).is_empty() {
                    default_name = column_of(0);
                }
                (aggregate, Finish::None, value.ty)
            }
        };
        Ok(SeriesAggregate {
            expr,
            finish,
            ty,
            default_name,
        })
    }

    /// The predicate of an `…if` aggregation (argument `at`), when it is one.
    fn series_condition(
        &mut self,
        conditional: bool,
        args: &[Expr],
        at: usize,
        frame: &Frame,
    ) -> Result<Option<DfExpr>, QueryError> {
        if !conditional {
            return Ok(None);
        }
        match args.get(at) {
            Some(condition) => Ok(Some(self.condition(condition, frame)?)),
            None => Ok(None),
        }
    }

    /// A numeric argument, as a real.
    fn series_number(
        &mut self,
        function: &str,
        arg: &Expr,
        frame: &Frame,
    ) -> Result<DfExpr, QueryError> {
        let value = self.expr(arg, frame)?;
        if !is_numeric(value.ty) {
            return Err(self.semantic(
                format!(
                    "{function}() needs a number, this is {}",
                    value.ty.with_article()
                ),
                arg.span,
            ));
        }
        Ok(cast(value.expr, DataType::Float64))
    }

    /// The aggregate over the rows where `condition` holds.
    fn only_if(
        &self,
        aggregate: DfExpr,
        condition: Option<DfExpr>,
        span: Span,
    ) -> Result<DfExpr, QueryError> {
        match condition {
            None => Ok(aggregate),
            Some(condition) => aggregate
                .filter(condition)
                .build()
                .map_err(|e| self.engine_error(e, span)),
        }
    }
}

/// A null of an Arrow type.
fn typed_null(data_type: &DataType) -> DfExpr {
    lit(ScalarValue::try_from(data_type).unwrap_or(ScalarValue::Null))
}

/// The default of bins without rows when none is given: 0 of the aggregation's type (a
/// datetime has no 0: null).
fn zero(ty: KqlType) -> Typed {
    match ty {
        KqlType::Real | KqlType::Decimal => Typed::new(lit(0.0f64), KqlType::Real),
        KqlType::Timespan => Typed::new(lit(0i64), KqlType::Timespan),
        KqlType::DateTime => Typed::new(typed_null(&DataType::Int64), KqlType::DateTime),
        _ => Typed::new(lit(0i64), KqlType::Long),
    }
}

/// A whole default of a real series is a real (`avg(X) default=1` gives `1.0`).
fn coerced_default(default: Typed, ty: KqlType) -> Typed {
    if matches!(ty, KqlType::Real | KqlType::Decimal)
        && matches!(default.ty, KqlType::Int | KqlType::Long)
    {
        return Typed::new(cast(default.expr, DataType::Float64), KqlType::Real);
    }
    default
}

/// The expression that makes an aggregate's value KQL's.
fn finish(value: DfExpr, finish: &Finish) -> DfExpr {
    match finish {
        Finish::None => value,
        Finish::Zero(KqlType::Real | KqlType::Decimal) => f::coalesce(vec![value, lit(0.0f64)]),
        Finish::Zero(_) => f::coalesce(vec![value, lit(0i64)]),
        Finish::RoundToTicks => cast(f::round(vec![value]), DataType::Int64),
        Finish::Percentile { percent, real } => {
            Arc::new(NearestRankUdf::udf(*percent, *real)).call(vec![value])
        }
    }
}
