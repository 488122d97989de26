//! `summarize` and its aggregation functions, with KQL's column names and defaults
//! (summarize-operator.md): group keys first, then aggregates; `count_`, `dcount_X`, `set_X`,
//! `list_X`; a default name already taken gets `1`, `2`… appended (`set_y1`); over no rows,
//! `count`/`countif`/`dcount`/`sum` give 0 and `make_set`/`make_list` give `[]`.

use std::sync::Arc;

use datafusion::common::Column;
use datafusion::functions::core::expr_fn::{get_field, named_struct};
use datafusion::functions::expr_fn as f;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::expr::NullTreatment;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt, cast, lit};

use super::{Frame, Planner, column, is_numeric, known_function_names};
use crate::backend::QueryError;
use crate::engine::udf::ListToJsonUdf;
use crate::engine::udf_aggregate::{BuildSchemaUdf, MergeBagsUdf, PercentileUdf};
use crate::engine::udf_pick::{Pick, PickRowUdaf};
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
    "dcountif",
    "sumif",
    "avgif",
    "minif",
    "maxif",
    "stdev",
    "stdevp",
    "variance",
    "variancep",
    "stdevif",
    "varianceif",
    "make_bag",
    "make_bag_if",
    "make_dictionary",
    "make_set_if",
    "make_list_if",
    "make_list_with_nulls",
    "percentile",
    "take_anyif",
    "anyif",
    "count_distinct",
    "binary_all_and",
    "binary_all_or",
    "binary_all_xor",
    "hll",
    "hll_if",
    "hll_merge",
    "tdigest",
    "buildschema",
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
#[derive(Clone)]
enum Finish {
    None,
    /// A list → a dynamic array's JSON (and `[]` for no values).
    List {
        item: KqlType,
        set: bool,
        max: usize,
        /// Nulls kept (`make_list_with_nulls`).
        nulls: bool,
    },
    /// SQL's null over no values → KQL's 0 (`sum`).
    ZeroIfNull,
    /// A mean of ticks → whole ticks (`avg` of a timespan).
    RoundToTicks,
    /// SQL's null over no (or one) values → 0.0 (`stdev`, `variance`: the summarize page's
    /// defaults).
    ZeroRealIfNull,
    /// A list → the nearest-rank percentile `p` of its values, of type `ty` (of `{v, w}`
    /// pairs when `weighted`).
    Percentile {
        p: f64,
        ty: KqlType,
        weighted: bool,
    },
    /// A list → several percentiles as a dynamic array (`percentiles_array`).
    Percentiles {
        ps: Vec<f64>,
        ty: KqlType,
        weighted: bool,
    },
    /// A list → a dynamic array's JSON, sets spread and made distinct (hll sketches), or null
    /// for no values.
    SketchOrNull {
        item: KqlType,
        set: bool,
        max: usize,
    },
    /// A list of property bags → one bag (`make_bag`), at most `max` keys.
    Bag {
        max: usize,
    },
    /// SQL's null over no values → KQL's NaN (`avg` of numbers: 0/0).
    NanIfNull,
    /// A list of dynamic values → their schema (`buildschema`).
    Schema,
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
const MULTI_COLUMN: &[&str] = &[
    "arg_max",
    "arg_min",
    "argmax",
    "argmin",
    "percentiles",
    "percentilesw",
];

impl Planner<'_> {
    pub(super) fn summarize(
        &mut self,
        frame: Frame,
        aggregates: &[NamedExpr],
        by: &[NamedExpr],
        span: Span,
    ) -> Result<Frame, QueryError> {
        let by: Vec<NamedExpr> = by.iter().map(named_group).collect();
        let frame = self.narrowed_to_extremes(frame, aggregates, &by, span)?;
        let (group_exprs, by_columns) = self.named_items(&by, &frame)?;
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
        // Aggregates keep their own names where those are unique: DataFusion's optimizer rules
        // match bare aggregate calls (SingleDistinctToGroupBy turns a lone `dcount(X) by K`
        // into a group by K, X, which is several times faster), not aliased ones.
        let unique = hidden_aggs
            .iter()
            .map(|(expr, _, _)| expr.schema_name().to_string())
            .collect::<std::collections::HashSet<_>>()
            .len()
            == hidden_aggs.len();
        let aggregate_exprs: Vec<DfExpr> = hidden_aggs
            .iter()
            .enumerate()
            .map(|(n, (expr, _, _))| {
                if unique {
                    expr.clone()
                } else {
                    expr.clone().alias(format!("__raw{n}"))
                }
            })
            .collect();
        let group_count = group_exprs.len();
        let builder = frame
            .builder
            .aggregate(group_exprs, aggregate_exprs)
            .map_err(|e| self.engine_error(e, span))?;
        // The aggregates' columns, by the names the aggregate gave them.
        let raw: Vec<DfExpr> = builder.schema().fields()[group_count..]
            .iter()
            .map(|field| DfExpr::Column(Column::from_name(field.name().clone())))
            .collect();
        // Step 1: by columns, and each hidden aggregate made KQL's (lists as JSON, …).
        let mut step: Vec<DfExpr> = by_columns.iter().map(|(n, _)| column(n)).collect();
        let mut step_columns = by_columns.clone();
        for (n, (_, ty, finish)) in hidden_aggs.iter().enumerate() {
            // Another name than the aggregate's: DataFusion's projection push-down gets two
            // fields of one name otherwise.
            step.push(finished(raw[n].clone(), finish.clone()).alias(hidden(n)));
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
                "percentiles" | "percentiles_array" | "percentilesw" | "percentilesw_array"
                | "percentilew" => {
                    return self.percentiles(item, name, args, frame, hidden_aggs, taken);
                }
                "take_any" | "any"
                    if args.len() > 1
                        || matches!(args.first().map(|a| &a.kind), Some(ExprKind::Star)) =>
                {
                    return self.take_any_columns(item, args, frame, hidden_aggs, taken);
                }
                function if is_aggregate(function) || !is_known_scalar(function) => {
                    let planned = self.aggregate(&item.expr, frame)?;
                    let name =
                        self.aggregate_name(item.name.as_ref(), &planned.default_name, taken)?;
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
        // The greatest key's row; a null key only where the group has no other (nulls last).
        let pick = if function == "arg_min" {
            Pick::Min
        } else {
            Pick::Max
        };
        let picked = PickRowUdaf::udaf(pick).call(vec![key.expr, named_struct(struct_args)]);
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

    /// `percentiles(X, p1, p2, …)`: a column per percentile, `percentile_X_p`; and
    /// `percentiles_array(X, p1, … | dynamic([…]))`: one dynamic array, `percentiles_X`
    /// (percentiles-aggregation-function.md). One list of the values serves every percentile.
    /// The weighted forms (percentilesw-aggregation-function.md) take the weight (a long)
    /// second: `percentilew(X, W, p)`, `percentilesw(X, W, p1, …)`,
    /// `percentilesw_array(X, W, …)`; their list holds `{v, w}` pairs.
    fn percentiles(
        &mut self,
        item: &NamedExpr,
        name: &Ident,
        args: &[Expr],
        frame: &Frame,
        hidden_aggs: &mut Vec<(DfExpr, KqlType, Finish)>,
        taken: &[(String, KqlType)],
    ) -> Result<Outputs, QueryError> {
        let function = name.name.as_str();
        let weighted = function.starts_with("percentilew") || function.starts_with("percentilesw");
        let array = function.ends_with("_array");
        let first_percent = if weighted { 2 } else { 1 };
        if args.len() <= first_percent {
            return Err(self.semantic(
                format!("{function}() needs the values and at least one percentile"),
                item.expr.span,
            ));
        }
        if function == "percentilew" && args.len() != 3 {
            return Err(self.semantic(
                "percentilew() takes the values, their weight and one percentile",
                item.expr.span,
            ));
        }
        let value = self.percentile_value(&args[0], frame)?;
        let suffix = match &args[0].kind {
            ExprKind::Column(c) => c.clone(),
            _ => String::new(),
        };
        let mut ps = Vec::new();
        for arg in &args[first_percent..] {
            match self.expr(arg, &Frame::empty())?.literal {
                Some(Literal::Dynamic(json)) if array => {
                    let items: Vec<serde_json::Value> =
                        serde_json::from_str(&json).unwrap_or_default();
                    for p in items {
                        match p.as_f64() {
                            Some(p) if (0.0..=100.0).contains(&p) => ps.push(p),
                            _ => {
                                return Err(self.semantic(
                                    "a percentile is a constant from 0 to 100",
                                    arg.span,
                                ));
                            }
                        }
                    }
                }
                _ => ps.push(self.percent(arg)?),
            }
        }
        let list = if weighted {
            let weight = self.expr(&args[1], frame)?;
            if !matches!(weight.ty, KqlType::Int | KqlType::Long) {
                return Err(self.semantic(
                    format!(
                        "{function}()'s weight must be an int or long, this is {}",
                        weight.ty.with_article()
                    ),
                    args[1].span,
                ));
            }
            agg::array_agg(named_struct(vec![
                lit("v"),
                value.expr.clone(),
                lit("w"),
                cast(weight.expr, datafusion::arrow::datatypes::DataType::Int64),
            ]))
        } else {
            agg::array_agg(value.expr.clone())
        };
        if array {
            hidden_aggs.push((
                list,
                KqlType::Dynamic,
                Finish::Percentiles {
                    ps,
                    ty: value.ty,
                    weighted,
                },
            ));
            let column_name = match &item.name {
                Some(ident) => ident.name.clone(),
                None => unique_name(&format!("percentiles_{suffix}"), taken),
            };
            return Ok(Outputs {
                columns: vec![(
                    column_name,
                    KqlType::Dynamic,
                    OutputExpr::Hidden(hidden_aggs.len() - 1),
                )],
            });
        }
        let mut names: Vec<(String, KqlType)> = taken.to_vec();
        let mut columns = Vec::new();
        for p in ps {
            hidden_aggs.push((
                list.clone(),
                value.ty,
                Finish::Percentile {
                    p,
                    ty: value.ty,
                    weighted,
                },
            ));
            let column_name = match (&item.name, columns.is_empty()) {
                (Some(ident), true) => ident.name.clone(),
                _ => unique_name(&format!("percentile_{suffix}_{}", percent_name(p)), &names),
            };
            names.push((column_name.clone(), value.ty));
            columns.push((
                column_name,
                value.ty,
                OutputExpr::Hidden(hidden_aggs.len() - 1),
            ));
        }
        Ok(Outputs { columns })
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
            PickRowUdaf::udaf(Pick::First).call(vec![named_struct(struct_args)]),
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
                let (df, ty, finish) =
                    self.total_or_mean(function, function == "sum", value, args[0].span)?;
                plain(df, ty, finish)
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
            "dcountif" | "sumif" | "avgif" | "minif" | "maxif" | "stdevif" | "varianceif"
            | "take_anyif" | "anyif" => {
                self.conditional_aggregate(function, args, &suffix, frame, expr.span)?
            }
            "stdev" | "stdevp" | "variance" | "variancep" => {
                self.arity(function, args, 1, 1, expr.span)?;
                let value = self.numeric_argument(function, &args[0], frame)?;
                plain(
                    spread(function, value.expr),
                    KqlType::Real,
                    Finish::ZeroRealIfNull,
                )
            }
            "count_distinct" => {
                self.arity(function, args, 1, 1, expr.span)?;
                let value = self.expr(&args[0], frame)?;
                plain(agg::count_distinct(value.expr), KqlType::Long, Finish::None)
            }
            "binary_all_and" | "binary_all_or" | "binary_all_xor" => {
                self.arity(function, args, 1, 1, expr.span)?;
                let value = self.expr(&args[0], frame)?;
                if !matches!(value.ty, KqlType::Long | KqlType::Int) {
                    return Err(self.semantic(
                        format!(
                            "{function}() needs a long, this is {}",
                            value.ty.with_article()
                        ),
                        args[0].span,
                    ));
                }
                let long = cast(value.expr, datafusion::arrow::datatypes::DataType::Int64);
                let df = match function {
                    "binary_all_and" => agg::bit_and(long),
                    "binary_all_or" => agg::bit_or(long),
                    _ => agg::bit_xor(long),
                };
                plain(df, KqlType::Long, Finish::None)
            }
            "make_bag" | "make_bag_if" | "make_dictionary" => {
                self.make_bag(function, args, &suffix, frame, expr.span)?
            }
            "make_set_if" | "make_list_if" => {
                self.arity(function, args, 2, 3, expr.span)?;
                let condition = self.condition(&args[1], frame)?;
                let mut rest = vec![args[0].clone()];
                rest.extend(args.get(2).cloned());
                let base = function.trim_end_matches("_if");
                let mut planned = self.make_collection(base, &rest, &suffix, frame, expr.span)?;
                planned.expr = add_filter(planned.expr, condition)
                    .map_err(|e| self.engine_error(e, expr.span))?;
                planned
            }
            "make_list_with_nulls" => {
                self.arity(function, args, 1, 1, expr.span)?;
                let value = self.expr(&args[0], frame)?;
                Aggregate {
                    expr: agg::array_agg(value.expr),
                    ty: KqlType::Dynamic,
                    default_name: format!("list_{suffix}"),
                    finish: Finish::List {
                        item: value.ty,
                        set: false,
                        max: MAX_SET_SIZE,
                        nulls: true,
                    },
                }
            }
            // hll-aggregation-function.md: the local engine's sketch is the exact set of values,
            // which dcount_hll counts and hll_merge unites; null over no values.
            "hll" | "hll_if" | "hll_merge" => {
                let (min, max) = if function == "hll_if" { (2, 3) } else { (1, 2) };
                self.arity(function, args, min, max, expr.span)?;
                let value = self.expr(&args[0], frame)?;
                let mut list = agg::array_agg(value.expr.clone());
                if function != "hll_merge" && value.ty != KqlType::Dynamic {
                    list = list
                        .distinct()
                        .build()
                        .map_err(|e| self.engine_error(e, expr.span))?;
                }
                list = add_filter(list, value.expr.is_not_null())
                    .map_err(|e| self.engine_error(e, expr.span))?;
                if function == "hll_if" {
                    let condition = self.condition(&args[1], frame)?;
                    list =
                        add_filter(list, condition).map_err(|e| self.engine_error(e, expr.span))?;
                }
                Aggregate {
                    expr: list,
                    ty: KqlType::Dynamic,
                    default_name: format!("{function}_{suffix}"),
                    finish: Finish::SketchOrNull {
                        item: value.ty,
                        set: true,
                        max: MAX_SET_SIZE,
                    },
                }
            }
            // tdigest-aggregation-function.md: the local engine's digest is the exact list of
            // [value, weight] pairs, which percentile_tdigest reads.
            // buildschema-aggregation-function.md: the schema that admits every value. Named
            // after the column a conversion reads (summarize-operator.md's
            // `buildschema(todynamic(tostring(x)))` is `schema_x`).
            "buildschema" => {
                self.arity(function, args, 1, 1, expr.span)?;
                let value = self.expr(&args[0], frame)?;
                if value.ty != KqlType::Dynamic {
                    return Err(self.semantic(
                        format!(
                            "buildschema() reads dynamic values, this is {} (parse_json() reads JSON text)",
                            value.ty.with_article()
                        ),
                        args[0].span,
                    ));
                }
                let column = super::derived_name(&args[0].kind).unwrap_or_default();
                Aggregate {
                    expr: agg::array_agg(value.expr),
                    ty: KqlType::Dynamic,
                    default_name: format!("schema_{column}"),
                    finish: Finish::Schema,
                }
            }
            "tdigest" => {
                self.arity(function, args, 1, 2, expr.span)?;
                let value = self.numeric_argument(function, &args[0], frame)?;
                let weight = match args.get(1) {
                    Some(w) => cast(
                        self.numeric_argument(function, w, frame)?.expr,
                        datafusion::arrow::datatypes::DataType::Float64,
                    ),
                    None => lit(1.0f64),
                };
                let pair = datafusion::functions_nested::expr_fn::make_array(vec![
                    cast(
                        value.expr.clone(),
                        datafusion::arrow::datatypes::DataType::Float64,
                    ),
                    weight,
                ]);
                let list = add_filter(agg::array_agg(pair), value.expr.is_not_null())
                    .map_err(|e| self.engine_error(e, expr.span))?;
                Aggregate {
                    expr: list,
                    ty: KqlType::Dynamic,
                    default_name: format!("tdigest_{suffix}"),
                    finish: Finish::SketchOrNull {
                        item: KqlType::Dynamic,
                        set: false,
                        max: MAX_SET_SIZE,
                    },
                }
            }
            "percentile" => {
                self.arity(function, args, 2, 2, expr.span)?;
                let value = self.percentile_value(&args[0], frame)?;
                let p = self.percent(&args[1])?;
                Aggregate {
                    expr: agg::array_agg(value.expr.clone()),
                    ty: value.ty,
                    default_name: format!("percentile_{suffix}_{}", percent_name(p)),
                    finish: Finish::Percentile {
                        p,
                        ty: value.ty,
                        weighted: false,
                    },
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
            // IGNORE NULLS rather than a filter: a lone distinct aggregate without a filter is
            // planned as a group by K, X under a plain list aggregate (SingleDistinctToGroupBy),
            // several times faster than a set per group.
            base.distinct()
                .null_treatment(NullTreatment::IgnoreNulls)
                .build()
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
                nulls: false,
            },
        })
    }
}

/// `name`, or `name1`, `name2`… when a column of that name exists (KQL's default names).
pub(super) fn unique_name(name: &str, columns: &[(String, KqlType)]) -> String {
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
        Finish::List {
            item,
            set,
            max,
            nulls,
        } => {
            let udf = if nulls {
                Arc::new(ListToJsonUdf::with_nulls(item, max))
            } else {
                Arc::new(ListToJsonUdf::udf(item, set, max))
            };
            udf.call(vec![value])
        }
        Finish::ZeroIfNull => f::coalesce(vec![value, lit(0i64)]),
        Finish::RoundToTicks => cast(f::round(vec![value]), DataType::Int64),
        Finish::NanIfNull => f::coalesce(vec![value, lit(f64::NAN)]),
        Finish::Schema => Arc::new(BuildSchemaUdf::udf()).call(vec![value]),
        Finish::ZeroRealIfNull => f::coalesce(vec![cast(value, DataType::Float64), lit(0.0f64)]),
        Finish::Percentile {
            p,
            ty,
            weighted: false,
        } => Arc::new(PercentileUdf::udf(p, ty)).call(vec![value]),
        Finish::Percentiles {
            ps,
            ty,
            weighted: false,
        } => Arc::new(PercentileUdf::array_udf(&ps, ty)).call(vec![value]),
        Finish::Percentile {
            p,
            ty,
            weighted: true,
        } => Arc::new(PercentileUdf::weighted_udf(&[p], ty, false)).call(vec![value]),
        Finish::Percentiles {
            ps,
            ty,
            weighted: true,
        } => Arc::new(PercentileUdf::weighted_udf(&ps, ty, true)).call(vec![value]),
        Finish::Bag { max } => Arc::new(MergeBagsUdf::udf(max)).call(vec![value]),
        Finish::SketchOrNull { item, set, max } => {
            let json = Arc::new(ListToJsonUdf::udf(item, set, max)).call(vec![value]);
            f::nullif(json, lit("[]"))
        }
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
    if let ExprKind::Call { name, .. } = &expr.kind
        && is_aggregate(&name.name)
    {
        found.push(expr.clone());
        return Expr::new(ExprKind::Column(hidden(first + found.len() - 1)), expr.span);
    }
    // Depth is bounded where the expression was read (`ast::MAX_EXPR_DEPTH`).
    let lifted = expr.try_map_children(&mut |child| {
        Ok::<_, std::convert::Infallible>(lift_aggregates(child, first, found))
    });
    match lifted {
        Ok(lifted) => lifted,
        Err(never) => match never {},
    }
}

/// `stdev` (sample), `stdevp` (population), `variance`, `variancep` of reals.
fn spread(function: &str, value: DfExpr) -> DfExpr {
    let real = cast(value, datafusion::arrow::datatypes::DataType::Float64);
    match function {
        "stdev" | "stdevif" => agg::stddev(real),
        "stdevp" => agg::stddev_pop(real),
        "variancep" => agg::var_pop(real),
        _ => agg::var_sample(real),
    }
}

/// `aggregate` with a FILTER clause added (ANDed with one it has).
fn add_filter(aggregate: DfExpr, condition: DfExpr) -> datafusion::error::Result<DfExpr> {
    use datafusion::logical_expr::expr::AggregateFunction;
    match aggregate {
        DfExpr::AggregateFunction(AggregateFunction { func, params }) => {
            let filter = match params.filter {
                Some(existing) => existing.and(condition),
                None => condition,
            };
            Ok(DfExpr::AggregateFunction(AggregateFunction {
                func,
                params: datafusion::logical_expr::expr::AggregateFunctionParams {
                    filter: Some(Box::new(filter)),
                    ..params
                },
            }))
        }
        other => Ok(other),
    }
}

/// A percentile's part of a column name: `95`, `99_5` (the percentiles page's examples).
fn percent_name(p: f64) -> String {
    crate::kql::time::format_real(p).replace(['.', '-'], "_")
}

impl Planner<'_> {
    /// An aggregate's output name: the one written (once only), else its default name made
    /// unique among `taken` (summarize-operator.md).
    pub(super) fn aggregate_name(
        &self,
        written: Option<&Ident>,
        default: &str,
        taken: &[(String, KqlType)],
    ) -> Result<String, QueryError> {
        match written {
            Some(ident) if taken.iter().any(|(n, _)| *n == ident.name) => Err(self.semantic(
                format!("the column '{}' is defined twice", ident.name),
                ident.span,
            )),
            Some(ident) => Ok(ident.name.clone()),
            None => Ok(unique_name(default, taken)),
        }
    }

    /// `sum` (`total`) or `avg` of numbers or timespans: a sum of ints is a long, nothing summed
    /// is 0; an average is a real (NaN of nothing), of timespans a timespan in whole ticks.
    fn total_or_mean(
        &self,
        function: &str,
        total: bool,
        value: super::Typed,
        span: Span,
    ) -> Result<(DfExpr, KqlType, Finish), QueryError> {
        if !is_numeric(value.ty) && value.ty != KqlType::Timespan {
            return Err(self.semantic(
                format!(
                    "{function}() needs a number or a timespan, this is {}",
                    value.ty.with_article()
                ),
                span,
            ));
        }
        Ok(match (total, value.ty) {
            (true, KqlType::Int) => (agg::sum(value.expr), KqlType::Long, Finish::ZeroIfNull),
            (true, ty) => (agg::sum(value.expr), ty, Finish::ZeroIfNull),
            (false, KqlType::Timespan) => (
                agg::avg(value.expr),
                KqlType::Timespan,
                Finish::RoundToTicks,
            ),
            (false, _) => (agg::avg(value.expr), KqlType::Real, Finish::NanIfNull),
        })
    }

    /// A number (or timespan) argument of an aggregate, as a real-valued aggregate needs.
    fn numeric_argument(
        &mut self,
        function: &str,
        arg: &Expr,
        frame: &Frame,
    ) -> Result<super::Typed, QueryError> {
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
        Ok(value)
    }

    /// The values of a percentile: numbers, datetimes or timespans.
    fn percentile_value(&mut self, arg: &Expr, frame: &Frame) -> Result<super::Typed, QueryError> {
        let value = self.expr(arg, frame)?;
        if !is_numeric(value.ty) && !matches!(value.ty, KqlType::DateTime | KqlType::Timespan) {
            return Err(self.semantic(
                format!(
                    "percentiles need numbers, datetimes or timespans, this is {}",
                    value.ty.with_article()
                ),
                arg.span,
            ));
        }
        Ok(value)
    }

    /// A constant percentage, 0 to 100.
    fn percent(&mut self, arg: &Expr) -> Result<f64, QueryError> {
        let p = match self.expr(arg, &Frame::empty())?.literal {
            Some(Literal::Long(n)) => n as f64,
            Some(Literal::Int(n)) => f64::from(n),
            Some(Literal::Real(r)) => r,
            _ => f64::NAN,
        };
        if !(0.0..=100.0).contains(&p) {
            return Err(self.semantic("a percentile is a constant from 0 to 100", arg.span));
        }
        Ok(p)
    }

    /// `dcountif(X, If)`, `sumif`, `avgif`, `minif`, `maxif`, `stdevif`, `varianceif`,
    /// `take_anyif`: the aggregate over the rows where `If` holds, named `dcountif_X`, ….
    fn conditional_aggregate(
        &mut self,
        function: &str,
        args: &[Expr],
        suffix: &str,
        frame: &Frame,
        span: Span,
    ) -> Result<Aggregate, QueryError> {
        let max = if function == "dcountif" { 3 } else { 2 };
        self.arity(function, args, 2, max, span)?;
        let value = self.expr(&args[0], frame)?;
        let condition = self.condition(&args[1], frame)?;
        let (expr, ty, finish) = match function {
            "dcountif" => (agg::count_distinct(value.expr), KqlType::Long, Finish::None),
            "sumif" | "avgif" => {
                self.total_or_mean(function, function == "sumif", value, args[0].span)?
            }
            "minif" => (agg::min(value.expr), value.ty, Finish::None),
            "maxif" => (agg::max(value.expr), value.ty, Finish::None),
            "stdevif" | "varianceif" => {
                if !is_numeric(value.ty) {
                    return Err(self.semantic(
                        format!(
                            "{function}() needs a number, this is {}",
                            value.ty.with_article()
                        ),
                        args[0].span,
                    ));
                }
                (
                    spread(function, value.expr),
                    KqlType::Real,
                    Finish::ZeroRealIfNull,
                )
            }
            _ => {
                let present = value.expr.clone().is_not_null();
                let any = agg::first_value(value.expr, vec![]);
                let any = add_filter(any, present).map_err(|e| self.engine_error(e, span))?;
                (any, value.ty, Finish::None)
            }
        };
        let expr = add_filter(expr, condition).map_err(|e| self.engine_error(e, span))?;
        Ok(Aggregate {
            expr,
            ty,
            default_name: format!("{function}_{suffix}"),
            finish,
        })
    }

    /// `make_bag(Bag [, MaxSize])`, `make_bag_if(Bag, If [, MaxSize])` and the deprecated
    /// `make_dictionary`: one property bag of every row's (make-bag-aggregation-function.md).
    fn make_bag(
        &mut self,
        function: &str,
        args: &[Expr],
        suffix: &str,
        frame: &Frame,
        span: Span,
    ) -> Result<Aggregate, QueryError> {
        let conditional = function == "make_bag_if";
        let (min, max) = if conditional { (2, 3) } else { (1, 2) };
        self.arity(function, args, min, max, span)?;
        let value = self.expr(&args[0], frame)?;
        if value.ty != KqlType::Dynamic {
            return Err(self.semantic(
                format!(
                    "{function}() takes property bags (dynamic), this is {}",
                    value.ty.with_article()
                ),
                args[0].span,
            ));
        }
        let limit_at = if conditional { 2 } else { 1 };
        let max_keys = match args.get(limit_at) {
            None => MAX_SET_SIZE,
            Some(limit) => match self.expr(limit, &Frame::empty())?.literal {
                Some(Literal::Long(n)) if n > 0 => {
                    usize::try_from(n).map_or(MAX_SET_SIZE, |n| n.min(MAX_SET_SIZE))
                }
                Some(Literal::Int(n)) if n > 0 => {
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
        let mut expr = agg::array_agg(value.expr.clone());
        expr =
            add_filter(expr, value.expr.is_not_null()).map_err(|e| self.engine_error(e, span))?;
        if conditional {
            let condition = self.condition(&args[1], frame)?;
            expr = add_filter(expr, condition).map_err(|e| self.engine_error(e, span))?;
        }
        Ok(Aggregate {
            expr,
            ty: KqlType::Dynamic,
            default_name: format!("bag_{suffix}"),
            finish: Finish::Bag { max: max_keys },
        })
    }
}

/// A group key as summarize names it: unnamed, a function of one column and constants is named
/// after the column (`bin(Timestamp, 1h)` and `format_datetime(Timestamp, 'y-M-d')` are
/// `Timestamp`, as hunting queries that go on to use `Timestamp` expect).
fn named_group(item: &NamedExpr) -> NamedExpr {
    let mut item = item.clone();
    // `bin(Name = Column, 5m)`: the argument's name names the group (hunting queries write it).
    if item.name.is_none()
        && let ExprKind::Call { name, args } = &item.expr.kind
        && let Some(Expr {
            kind:
                ExprKind::NamedArg {
                    name: arg_name,
                    value,
                },
            ..
        }) = args.first()
        && matches!(name.name.as_str(), "bin" | "floor" | "bin_at")
    {
        let mut args = args.clone();
        args[0] = value.as_ref().clone();
        item.name = Some(arg_name.clone());
        item.expr = Expr::new(
            ExprKind::Call {
                name: name.clone(),
                args,
            },
            item.expr.span,
        );
        return item;
    }
    if item.name.is_none()
        && item.names.is_empty()
        && let ExprKind::Call { args, .. } = &item.expr.kind
        && let Some((first, rest)) = args.split_first()
        && let ExprKind::Column(column) = &first.kind
        && rest.iter().all(|a| matches!(a.kind, ExprKind::Literal(_)))
    {
        item.name = Some(Ident {
            name: column.clone(),
            span: first.span,
        });
    }
    item
}

#[cfg(test)]
mod tests {
    use crate::backend::QueryRequest;
    use crate::engine::{Catalog, LocalEngine};

    /// A lone `dcount(X)` or `make_set(X)` by K is planned as a group by K, X under a plain
    /// aggregate (DataFusion's SingleDistinctToGroupBy), not as a set per group; the answer is
    /// the same, nulls left out.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lone_distinct_aggregate_becomes_a_group_by() {
        let engine = LocalEngine::new(Catalog::default(), "test");
        let table = "datatable(K: string, X: long) ['a', 1, 'a', 1, 'a', 2, 'b', long(null), 'b', 3, 'a', long(null)]";
        // A set's order is not defined (make-set-aggregation-function.md): sorted to compare.
        for (summarize, then, expected) in [
            ("dcount(X)", "", vec!["a,2", "b,1"]),
            (
                "S = make_set(X)",
                "| extend S = array_sort_asc(S)",
                vec!["a,\"[1,2]\"", "b,[3]"],
            ),
        ] {
            let query = format!("{table} | summarize {summarize} by K");
            let plan = engine
                .physical_plan_text(&QueryRequest::new(&query))
                .await
                .unwrap();
            assert!(!plan.contains("DISTINCT"), "{query}\n{plan}");
            let result = engine
                .execute(&QueryRequest::new(format!("{query} {then}")))
                .await
                .unwrap();
            let mut csv = Vec::new();
            crate::results::export::write_csv(&result, &mut csv).unwrap();
            let csv = String::from_utf8(csv).unwrap();
            let mut rows: Vec<&str> = csv.lines().skip(1).collect();
            rows.sort_unstable();
            assert_eq!(rows, expected, "{query}");
        }
    }
}
