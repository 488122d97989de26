//! `summarize` and its aggregation functions, with KQL's column names and defaults
//! (summarize-operator.md): group keys first, then aggregates; `count_`, `dcount_X`, `set_X`,
//! `list_X`; a default name already taken gets `1`, `2`… appended (`set_y1`); over no rows,
//! `count`/`countif`/`dcount`/`sum` give 0 and `make_set`/`make_list` give `[]`.

use std::sync::Arc;

use datafusion::functions::core::expr_fn::{get_field, named_struct};
use datafusion::functions::expr_fn as f;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt, cast, lit};

use super::{Frame, Planner, column, is_numeric, known_function_names};
use crate::backend::QueryError;
use crate::engine::udf::ListToJsonUdf;
use crate::kql::Span;
use crate::kql::ast::{Expr, ExprKind, Ident, Literal, NamedExpr};
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

/// What one summarize item gives: hidden aggregates (`__agg{n}`, already finished after the
/// aggregation step) and the output columns computed from them.
struct Outputs {
    columns: Vec<(String, KqlType, OutputExpr)>,
}

/// How an output column is read after aggregating.
enum OutputExpr {
    /// The hidden aggregate's value as it is.
    Hidden(usize),
    /// Field `c{field}` of a hidden aggregate's struct (`arg_max`, `take_any` of columns).
    Field(usize, usize),
    /// A scalar expression over hidden aggregates (`tostring(make_set(X))`), planned against
    /// the frame after aggregating.
    Scalar(Expr),
}

/// The name of hidden aggregate `n`.
fn hidden(n: usize) -> String {
    format!("__agg{n}")
}

/// Whether `name` is an aggregation function of KQL (planned here, or refused by name).
fn is_aggregate(name: &str) -> bool {
    AGGREGATES.contains(&name)
        || MULTI_COLUMN.contains(&name)
        || crate::kql::language::is_aggregate(name)
}

/// Aggregates that give several columns.
const MULTI_COLUMN: &[&str] = &["arg_max", "arg_min", "argmax", "argmin"];

impl Planner<'_> {
    pub(super) fn summarize(
        &mut self,
        frame: Frame,
        aggregates: &[NamedExpr],
        by: &[NamedExpr],
        span: Span,
    ) -> Result<Frame, QueryError> {
        let (group_exprs, by_columns) = self.named_items(by, &frame)?;
        let mut columns = by_columns.clone();
        let mut hidden_aggs: Vec<(DfExpr, KqlType, Finish)> = Vec::new();
        let mut outputs: Vec<(String, KqlType, OutputExpr)> = Vec::new();
        for (index, item) in aggregates.iter().enumerate() {
            let mut planned =
                self.summarize_item(item, index, &frame, &mut hidden_aggs, &columns)?;
            // `(A, B) = arg_max(X, Y)`: the names, in order, of the columns it gives.
            if !item.names.is_empty() {
                if item.names.len() != planned.columns.len() {
                    return Err(self.semantic(
                        format!(
                            "{} names for {} columns",
                            item.names.len(),
                            planned.columns.len()
                        ),
                        item.names[0].span,
                    ));
                }
                for (ident, (name, _, _)) in item.names.iter().zip(planned.columns.iter_mut()) {
                    if columns.iter().any(|(n, _)| *n == ident.name) {
                        return Err(self.semantic(
                            format!("the column '{}' is defined twice", ident.name),
                            ident.span,
                        ));
                    }
                    *name = ident.name.clone();
                }
            }
            for (name, ty, expr) in planned.columns {
                columns.push((name.clone(), ty));
                outputs.push((name, ty, expr));
            }
        }
        let aggregate_exprs: Vec<DfExpr> = hidden_aggs
            .iter()
            .enumerate()
            .map(|(n, (expr, _, _))| expr.clone().alias(format!("__raw{n}")))
            .collect();
        let builder = frame
            .builder
            .aggregate(group_exprs, aggregate_exprs)
            .map_err(|e| self.engine_error(e, span))?;
        // Step 1: by columns, and each hidden aggregate made KQL's (lists as JSON, …).
        let mut step: Vec<DfExpr> = by_columns.iter().map(|(n, _)| column(n)).collect();
        let mut step_columns = by_columns.clone();
        for (n, (_, ty, finish)) in hidden_aggs.iter().enumerate() {
            // Another name than the aggregate's: DataFusion's projection push-down gets two
            // fields of one name otherwise.
            step.push(finished(column(&format!("__raw{n}")), *finish).alias(hidden(n)));
            step_columns.push((hidden(n), *ty));
        }
        let builder = builder
            .project(step)
            .map_err(|e| self.engine_error(e, span))?;
        let after = Frame {
            builder,
            columns: step_columns,
        };
        // Step 2: the output columns.
        let mut exprs: Vec<DfExpr> = by_columns.iter().map(|(n, _)| column(n)).collect();
        for (name, _, output) in &outputs {
            let expr = match output {
                OutputExpr::Hidden(n) => column(&hidden(*n)),
                OutputExpr::Field(n, field) => {
                    get_field(column(&hidden(*n)), format!("c{field}").as_str())
                }
                OutputExpr::Scalar(expr) => self.expr(expr, &after)?.expr,
            };
            exprs.push(expr.alias(name.as_str()));
        }
        let builder = after
            .builder
            .project(exprs)
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }

    /// One item of summarize: a call of an aggregate, or a scalar expression over aggregates.
    fn summarize_item(
        &mut self,
        item: &NamedExpr,
        index: usize,
        frame: &Frame,
        hidden_aggs: &mut Vec<(DfExpr, KqlType, Finish)>,
        taken: &[(String, KqlType)],
    ) -> Result<Outputs, QueryError> {
        if let ExprKind::Call { name, args } = &item.expr.kind {
            match name.name.as_str() {
                "arg_max" | "arg_min" | "argmax" | "argmin" => {
                    return self.arg_extreme(item, name, args, frame, hidden_aggs, taken);
                }
                "take_any" | "any"
                    if args.len() > 1
                        || matches!(args.first().map(|a| &a.kind), Some(ExprKind::Star)) =>
                {
                    return self.take_any_columns(item, args, frame, hidden_aggs, taken);
                }
                function if is_aggregate(function) || !is_known_scalar(function) => {
                    let planned = self.aggregate(&item.expr, frame)?;
                    let name = match &item.name {
                        Some(ident) => {
                            if taken.iter().any(|(n, _)| *n == ident.name) {
                                return Err(self.semantic(
                                    format!("the column '{}' is defined twice", ident.name),
                                    ident.span,
                                ));
                            }
                            ident.name.clone()
                        }
                        None => unique_name(&planned.default_name, taken),
                    };
                    hidden_aggs.push((planned.expr, planned.ty, planned.finish));
                    return Ok(Outputs {
                        columns: vec![(
                            name,
                            planned.ty,
                            OutputExpr::Hidden(hidden_aggs.len() - 1),
                        )],
                    });
                }
                _ => {}
            }
        }
        // A scalar expression over aggregates: each aggregate call becomes a hidden column.
        let mut found = Vec::new();
        let rewritten = lift_aggregates(&item.expr, hidden_aggs.len(), &mut found);
        if found.is_empty() {
            return Err(self.semantic(
                "expected an aggregate function such as count(), dcount(X) or make_set(X)",
                item.expr.span,
            ));
        }
        let mut default_name = None;
        for call in &found {
            if let ExprKind::Call { name, .. } = &call.kind
                && MULTI_COLUMN.contains(&name.name.as_str())
            {
                return Err(self.semantic(
                    format!(
                        "{}() gives several columns and cannot stand inside an expression",
                        name.name
                    ),
                    call.span,
                ));
            }
            let planned = self.aggregate(call, frame)?;
            default_name.get_or_insert(planned.default_name.clone());
            hidden_aggs.push((planned.expr, planned.ty, planned.finish));
        }
        // Its type: planned against the frame after aggregating (by columns aside, only the
        // hidden aggregates are visible, so the expression can name nothing else).
        let mut after_columns: Vec<(String, KqlType)> = Vec::new();
        for (n, (_, ty, _)) in hidden_aggs.iter().enumerate() {
            after_columns.push((hidden(n), *ty));
        }
        let probe = Frame {
            builder: datafusion::logical_expr::LogicalPlanBuilder::empty(false),
            columns: after_columns,
        };
        let ty = self.expr(&rewritten, &probe)?.ty;
        // Unnamed, an expression over one aggregate is named as the aggregate would be
        // (`tostring(make_set(X))` is `set_X`, as hunting queries rely on).
        let name = match (&item.name, found.len(), default_name) {
            (None, 1, Some(default)) => unique_name(&default, taken),
            _ => self.output_name(item, index, taken)?,
        };
        Ok(Outputs {
            columns: vec![(name, ty, OutputExpr::Scalar(rewritten))],
        })
    }

    /// `arg_max(ExprToMaximize, * | Expr, …)` and `arg_min` (arg-max-aggregation-function.md):
    /// the values of one row per group — the row whose expression is greatest (least), nulls
    /// last — taken together as one struct so they come from the same row. The expression's
    /// column is named as its column (or the item's name), `*` adds every input column not
    /// already in the output.
    fn arg_extreme(
        &mut self,
        item: &NamedExpr,
        name: &Ident,
        args: &[Expr],
        frame: &Frame,
        hidden_aggs: &mut Vec<(DfExpr, KqlType, Finish)>,
        taken: &[(String, KqlType)],
    ) -> Result<Outputs, QueryError> {
        // `argmax`/`argmin` are the deprecated spellings (arg-max-aggregation-function.md).
        let function = match name.name.as_str() {
            "argmax" => "arg_max",
            "argmin" => "arg_min",
            other => other,
        };
        if args.len() < 2 {
            return Err(self.semantic(
                format!(
                    "{function}() needs the expression and what to return: {function}(Timestamp, *)"
                ),
                item.expr.span,
            ));
        }
        let key = self.expr(&args[0], frame)?;
        if key.ty == KqlType::Dynamic {
            return Err(self.semantic(
                format!("{function}() cannot order by a dynamic value"),
                args[0].span,
            ));
        }
        let mut names: Vec<(String, KqlType)> = taken.to_vec();
        let key_name = match (&item.name, &args[0].kind) {
            (Some(ident), _) => ident.name.clone(),
            (None, ExprKind::Column(column)) => column.clone(),
            (None, _) => format!("{}_", if function == "arg_max" { "max" } else { "min" }),
        };
        let key_name = unique_name(&key_name, &names);
        names.push((key_name.clone(), key.ty));
        let mut fields: Vec<(String, DfExpr, KqlType)> = vec![(key_name, key.expr.clone(), key.ty)];
        for arg in &args[1..] {
            match &arg.kind {
                ExprKind::Star => {
                    for (column_name, ty) in &frame.columns {
                        let source = match &args[0].kind {
                            ExprKind::Column(c) => Some(c.as_str()),
                            _ => None,
                        };
                        if names.iter().any(|(n, _)| n == column_name)
                            || source == Some(column_name)
                        {
                            continue;
                        }
                        names.push((column_name.clone(), *ty));
                        fields.push((column_name.clone(), column(column_name), *ty));
                    }
                }
                ExprKind::NamedArg { name, value } => {
                    let typed = self.expr(value, frame)?;
                    let out = unique_name(&name.name, &names);
                    names.push((out.clone(), typed.ty));
                    fields.push((out, typed.expr, typed.ty));
                }
                _ => {
                    let typed = self.expr(arg, frame)?;
                    let base = match &arg.kind {
                        ExprKind::Column(c) => c.clone(),
                        _ => format!("Column{}", fields.len()),
                    };
                    let out = unique_name(&base, &names);
                    names.push((out.clone(), typed.ty));
                    fields.push((out, typed.expr, typed.ty));
                }
            }
        }
        let mut struct_args = Vec::with_capacity(fields.len() * 2);
        for (n, (_, expr, _)) in fields.iter().enumerate() {
            struct_args.push(lit(format!("c{n}")));
            struct_args.push(expr.clone());
        }
        let order = key.expr.sort(function == "arg_min", false);
        let picked = agg::first_value(named_struct(struct_args), vec![order]);
        hidden_aggs.push((picked, KqlType::Dynamic, Finish::None));
        let n = hidden_aggs.len() - 1;
        Ok(Outputs {
            columns: fields
                .into_iter()
                .enumerate()
                .map(|(field, (name, _, ty))| (name, ty, OutputExpr::Field(n, field)))
                .collect(),
        })
    }

    /// `take_any(A, B, …)` and `take_any(*)`: the values of one row, any row, taken together
    /// (take-any-aggregation-function.md); each column keeps its name.
    fn take_any_columns(
        &mut self,
        item: &NamedExpr,
        args: &[Expr],
        frame: &Frame,
        hidden_aggs: &mut Vec<(DfExpr, KqlType, Finish)>,
        taken: &[(String, KqlType)],
    ) -> Result<Outputs, QueryError> {
        if item.name.is_some() && args.len() > 1 {
            return Err(self.semantic(
                "take_any() of several columns gives several columns: it cannot take one name",
                item.expr.span,
            ));
        }
        let mut names: Vec<(String, KqlType)> = taken.to_vec();
        let mut fields: Vec<(String, DfExpr, KqlType)> = Vec::new();
        for arg in args {
            if let ExprKind::Star = arg.kind {
                for (column_name, ty) in &frame.columns {
                    if names.iter().any(|(n, _)| n == column_name) {
                        continue;
                    }
                    names.push((column_name.clone(), *ty));
                    fields.push((column_name.clone(), column(column_name), *ty));
                }
                continue;
            }
            let typed = self.expr(arg, frame)?;
            let base = match &arg.kind {
                ExprKind::Column(c) => c.clone(),
                _ => format!("Column{}", fields.len() + 1),
            };
            let out = unique_name(&base, &names);
            names.push((out.clone(), typed.ty));
            fields.push((out, typed.expr, typed.ty));
        }
        let mut struct_args = Vec::with_capacity(fields.len() * 2);
        for (n, (_, expr, _)) in fields.iter().enumerate() {
            struct_args.push(lit(format!("c{n}")));
            struct_args.push(expr.clone());
        }
        hidden_aggs.push((
            agg::first_value(named_struct(struct_args), vec![]),
            KqlType::Dynamic,
            Finish::None,
        ));
        let n = hidden_aggs.len() - 1;
        Ok(Outputs {
            columns: fields
                .into_iter()
                .enumerate()
                .map(|(field, (name, _, ty))| (name, ty, OutputExpr::Field(n, field)))
                .collect(),
        })
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

/// Whether `name` is a scalar function (so `summarize tostring(…)` is an expression, not an
/// aggregate).
fn is_known_scalar(name: &str) -> bool {
    !is_aggregate(name)
        && (known_function_names().contains(name) || crate::kql::analysis::is_known_function(name))
}

/// `expr` with each aggregate call replaced by a reference to hidden aggregate `first + k`
/// (k counting the calls found, which are pushed to `found`).
fn lift_aggregates(expr: &Expr, first: usize, found: &mut Vec<Expr>) -> Expr {
    let mut lift = |e: &Expr| Box::new(lift_aggregates(e, first, found));
    let kind = match &expr.kind {
        ExprKind::Call { name, .. } if is_aggregate(&name.name) => {
            found.push(expr.clone());
            return Expr::new(ExprKind::Column(hidden(first + found.len() - 1)), expr.span);
        }
        ExprKind::Call { name, args } => ExprKind::Call {
            name: name.clone(),
            args: args
                .iter()
                .map(|a| lift_aggregates(a, first, found))
                .collect(),
        },
        ExprKind::Binary { op, left, right } => {
            let left = lift(left);
            ExprKind::Binary {
                op: *op,
                left,
                right: Box::new(lift_aggregates(right, first, found)),
            }
        }
        ExprKind::Logical { op, operands } => ExprKind::Logical {
            op: *op,
            operands: operands
                .iter()
                .map(|a| lift_aggregates(a, first, found))
                .collect(),
        },
        ExprKind::Unary { op, operand } => ExprKind::Unary {
            op: *op,
            operand: lift(operand),
        },
        ExprKind::In {
            value,
            list,
            negated,
            case_insensitive,
        } => ExprKind::In {
            value: Box::new(lift_aggregates(value, first, found)),
            list: list
                .iter()
                .map(|a| lift_aggregates(a, first, found))
                .collect(),
            negated: *negated,
            case_insensitive: *case_insensitive,
        },
        ExprKind::Between {
            value,
            low,
            high,
            negated,
        } => ExprKind::Between {
            value: Box::new(lift_aggregates(value, first, found)),
            low: Box::new(lift_aggregates(low, first, found)),
            high: Box::new(lift_aggregates(high, first, found)),
            negated: *negated,
        },
        ExprKind::Member { target, key } => ExprKind::Member {
            target: lift(target),
            key: key.clone(),
        },
        ExprKind::Index { target, index } => {
            let target = lift(target);
            ExprKind::Index {
                target,
                index: Box::new(lift_aggregates(index, first, found)),
            }
        }
        ExprKind::NamedArg { name, value } => ExprKind::NamedArg {
            name: name.clone(),
            value: lift(value),
        },
        other => other.clone(),
    };
    // Depth is bounded where the expression was read (`ast::MAX_EXPR_DEPTH`).
    Expr::new(kind, expr.span)
}
