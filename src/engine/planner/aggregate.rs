//! `summarize` and its aggregation functions, with KQL's column names and defaults
//! (summarize-operator.md): group keys first, then aggregates; `count_`, `dcount_X`, `set_X`,
//! `list_X`; a default name already taken gets `1`, `2`… appended (`set_y1`); over no rows,
//! `count`/`countif`/`dcount`/`sum` give 0 and `make_set`/`make_list` give `[]`.

use std::sync::Arc;

use datafusion::functions::expr_fn as f;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt, cast, lit};

use super::{Frame, Planner, column, is_numeric, known_function_names};
use crate::backend::QueryError;
use crate::engine::udf::ListToJsonUdf;
use crate::kql::Span;
use crate::kql::ast::{Expr, ExprKind, Literal, NamedExpr};
use crate::results::KqlType;

/// The aggregation functions the local engine runs (and so knows by name anywhere).
pub(super) const AGGREGATES: &[&str] = &[
    "count",
    "countif",
    "dcount",
    "sum",
    "avg",
    "min",
    "max",
    "make_set",
    "make_list",
    "makeset",
    "makelist",
    "take_any",
    "any",
];

/// The default and largest size of `make_set`/`make_list` (make-set-aggregation-function.md).
const MAX_SET_SIZE: usize = 1_048_576;
/// The deprecated `makeset`/`makelist` stop at 128 values unless told otherwise.
const LEGACY_SET_SIZE: usize = 128;

/// One planned aggregate: the DataFusion aggregate, its KQL type, its default name, and what
/// to do with the aggregate's value afterwards.
struct Aggregate {
    expr: DfExpr,
    ty: KqlType,
    default_name: String,
    finish: Finish,
}

/// The step after aggregating that makes DataFusion's value KQL's.
#[derive(Clone, Copy)]
enum Finish {
    None,
    /// A list → a dynamic array's JSON (and `[]` for no values).
    List {
        item: KqlType,
        set: bool,
        max: usize,
    },
    /// SQL's null over no values → KQL's 0 (`sum`).
    ZeroIfNull,
    /// A mean of ticks → whole ticks (`avg` of a timespan).
    RoundToTicks,
    /// SQL's null over no values → KQL's NaN (`avg` of numbers: 0/0).
    NanIfNull,
}

impl Planner<'_> {
    pub(super) fn summarize(
        &mut self,
        frame: Frame,
        aggregates: &[NamedExpr],
        by: &[NamedExpr],
        span: Span,
    ) -> Result<Frame, QueryError> {
        let (group_exprs, mut columns) = self.named_items(by, &frame)?;
        let mut aggregate_exprs = Vec::new();
        let mut finishes = Vec::new();
        for item in aggregates {
            if let Some(first) = item.names.first() {
                return Err(self.unsupported(
                    "naming several columns at once ((A, B) = …) is not supported by the local engine yet",
                    first.span,
                ));
            }
            let planned = self.aggregate(&item.expr, &frame)?;
            let name = match &item.name {
                Some(ident) => {
                    if columns.iter().any(|(n, _)| *n == ident.name) {
                        return Err(self.semantic(
                            format!("the column '{}' is defined twice", ident.name),
                            ident.span,
                        ));
                    }
                    ident.name.clone()
                }
                None => unique_name(&planned.default_name, &columns),
            };
            aggregate_exprs.push(planned.expr.alias(name.as_str()));
            finishes.push((columns.len(), planned.finish));
            columns.push((name, planned.ty));
        }
        let mut builder = frame
            .builder
            .aggregate(group_exprs, aggregate_exprs)
            .map_err(|e| self.engine_error(e, span))?;
        if finishes.iter().any(|(_, f)| !matches!(f, Finish::None)) {
            let mut exprs: Vec<DfExpr> = columns.iter().map(|(n, _)| column(n)).collect();
            for (at, finish) in finishes {
                let name = columns[at].0.as_str();
                exprs[at] = finished(column(name), finish).alias(name);
            }
            builder = builder
                .project(exprs)
                .map_err(|e| self.engine_error(e, span))?;
        }
        Ok(Frame { builder, columns })
    }

    /// Plans one aggregation function call.
    fn aggregate(&mut self, expr: &Expr, frame: &Frame) -> Result<Aggregate, QueryError> {
        let ExprKind::Call { name, args } = &expr.kind else {
            return Err(self.semantic(
                "expected an aggregate function such as count(), dcount(X) or make_set(X)",
                expr.span,
            ));
        };
        let function = name.name.as_str();
        let suffix = match args.first().map(|a| &a.kind) {
            Some(ExprKind::Column(col)) => col.clone(),
            _ => String::new(),
        };
        let plain = |expr, ty, finish| Aggregate {
            expr,
            ty,
            default_name: format!("{function}_{suffix}"),
            finish,
        };
        Ok(match function {
            "count" => {
                self.arity(function, args, 0, 1, expr.span)?;
                if let Some(arg) = args.first() {
                    // Checked for errors, but `count(X)` counts every row, nulls included
                    // (summarize-operator.md: "count includes null values").
                    self.expr(arg, frame)?;
                }
                plain(agg::count(lit(1i64)), KqlType::Long, Finish::None)
            }
            "countif" => {
                self.arity(function, args, 1, 1, expr.span)?;
                let condition = self.condition(&args[0], frame)?;
                let counted = agg::count(lit(1i64))
                    .filter(condition)
                    .build()
                    .map_err(|e| self.engine_error(e, expr.span))?;
                Aggregate {
                    expr: counted,
                    ty: KqlType::Long,
                    default_name: "countif_".to_string(),
                    finish: Finish::None,
                }
            }
            "dcount" => {
                self.arity(function, args, 1, 2, expr.span)?;
                let value = self.expr(&args[0], frame)?;
                plain(agg::count_distinct(value.expr), KqlType::Long, Finish::None)
            }
            "sum" | "avg" => {
                self.arity(function, args, 1, 1, expr.span)?;
                let value = self.expr(&args[0], frame)?;
                if !is_numeric(value.ty) && value.ty != KqlType::Timespan {
                    return Err(self.semantic(
                        format!(
                            "{function}() needs a number or a timespan, this is {}",
                            value.ty.with_article()
                        ),
                        args[0].span,
                    ));
                }
                match (function, value.ty) {
                    ("sum", KqlType::Int) => {
                        plain(agg::sum(value.expr), KqlType::Long, Finish::ZeroIfNull)
                    }
                    ("sum", ty) => plain(agg::sum(value.expr), ty, Finish::ZeroIfNull),
                    (_, KqlType::Timespan) => plain(
                        agg::avg(value.expr),
                        KqlType::Timespan,
                        Finish::RoundToTicks,
                    ),
                    _ => plain(agg::avg(value.expr), KqlType::Real, Finish::NanIfNull),
                }
            }
            "min" | "max" => {
                self.arity(function, args, 1, 1, expr.span)?;
                let value = self.expr(&args[0], frame)?;
                let df = if function == "min" {
                    agg::min(value.expr)
                } else {
                    agg::max(value.expr)
                };
                plain(df, value.ty, Finish::None)
            }
            "make_set" | "makeset" | "make_list" | "makelist" => {
                self.make_collection(function, args, &suffix, frame, expr.span)?
            }
            "take_any" | "any" => {
                if args.len() != 1 || matches!(args[0].kind, ExprKind::Star) {
                    return Err(self.unsupported(
                        format!("{function}() of several columns or * is not supported by the local engine yet"),
                        expr.span,
                    ));
                }
                let value = self.expr(&args[0], frame)?;
                // It returns a value that is there when one is (take-any-aggregation-function.md).
                let present = if value.ty == KqlType::String {
                    value
                        .expr
                        .clone()
                        .is_not_null()
                        .and(value.expr.clone().not_eq(lit("")))
                } else {
                    value.expr.clone().is_not_null()
                };
                let any = agg::first_value(value.expr, vec![])
                    .filter(present)
                    .build()
                    .map_err(|e| self.engine_error(e, expr.span))?;
                // `take_any(State)` is named `State`; the deprecated `any(State)` `any_State`.
                let default_name = if function == "take_any" && !suffix.is_empty() {
                    suffix.clone()
                } else {
                    format!("{function}_{suffix}")
                };
                Aggregate {
                    expr: any,
                    ty: value.ty,
                    default_name,
                    finish: Finish::None,
                }
            }
            _ => {
                let message = if known_function_names().contains(function) {
                    format!("the aggregate '{function}' is not supported by the local engine yet")
                } else if self.unsupported_let(function, name.span).is_some() {
                    format!(
                        "'{function}' is a user-defined function, which the local engine does not run yet"
                    )
                } else {
                    format!("unknown aggregate function '{function}'")
                };
                return Err(self.unsupported(message, name.span));
            }
        })
    }

    /// `make_set(X [, MaxSize])`, `make_list(…)` and the deprecated `makeset`/`makelist`.
    fn make_collection(
        &mut self,
        function: &str,
        args: &[Expr],
        suffix: &str,
        frame: &Frame,
        span: Span,
    ) -> Result<Aggregate, QueryError> {
        self.arity(function, args, 1, 2, span)?;
        let value = self.expr(&args[0], frame)?;
        let legacy = !function.contains('_');
        let max = match args.get(1) {
            None if legacy => LEGACY_SET_SIZE,
            None => MAX_SET_SIZE,
            Some(limit) => match self.expr(limit, &Frame::empty())?.literal {
                Some(Literal::Long(n)) if n > 0 => {
                    usize::try_from(n).map_or(MAX_SET_SIZE, |n| n.min(MAX_SET_SIZE))
                }
                _ => {
                    return Err(self.semantic(
                        format!("{function}()'s size limit must be a positive whole number"),
                        limit.span,
                    ));
                }
            },
        };
        let set = function.contains("set");
        // Dynamic arrays are spread into a set after aggregating, so the distinct values are
        // found there; other values can be made distinct by the aggregate itself.
        let base = agg::array_agg(value.expr.clone());
        let built = if set && value.ty != KqlType::Dynamic {
            base.distinct().filter(value.expr.is_not_null()).build()
        } else {
            base.filter(value.expr.is_not_null()).build()
        };
        Ok(Aggregate {
            expr: built.map_err(|e| self.engine_error(e, span))?,
            ty: KqlType::Dynamic,
            // make_set(X) is `set_X` and make_list(X) `list_X` (the summarize page's examples).
            default_name: format!("{}_{suffix}", if set { "set" } else { "list" }),
            finish: Finish::List {
                item: value.ty,
                set,
                max,
            },
        })
    }
}

/// `name`, or `name1`, `name2`… when a column of that name exists (KQL's default names).
fn unique_name(name: &str, columns: &[(String, KqlType)]) -> String {
    let taken = |candidate: &str| columns.iter().any(|(n, _)| n == candidate);
    if !taken(name) {
        return name.to_string();
    }
    (1..)
        .map(|n| format!("{name}{n}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| name.to_string())
}

/// The expression that applies `finish` to an aggregate's value.
fn finished(value: DfExpr, finish: Finish) -> DfExpr {
    use datafusion::arrow::datatypes::DataType;
    match finish {
        Finish::None => value,
        Finish::List { item, set, max } => {
            let udf = Arc::new(ListToJsonUdf::udf(item, set, max));
            udf.call(vec![value])
        }
        Finish::ZeroIfNull => f::coalesce(vec![value, lit(0i64)]),
        Finish::RoundToTicks => cast(f::round(vec![value]), DataType::Int64),
        Finish::NanIfNull => f::coalesce(vec![value, lit(f64::NAN)]),
    }
}
