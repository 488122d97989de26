//! `evaluate` plugins: `bag_unpack` (bag-unpack-plugin.md), `pivot` (pivot-plugin.md),
//! `rows_near` (rows-near-plugin.md), `ipv4_lookup` (ipv4-lookup-plugin.md),
//! `geo_polygon_lookup` and `geo_line_lookup` (geo-polygon-lookup-plugin.md,
//! geo-line-lookup-plugin.md), `dcount_intersect` (dcount-intersect-plugin.md), `narrow`
//! (narrow-plugin.md), and the user-analytics plugins (planned in `activity`). The first two's output columns depend on the
//! data — the property bags' slots, the pivot column's values —
//! unless an output schema is given: the planner then asks the engine to read them first (a
//! [`Discovery`]) and plans again with what it found. Other plugins are refused by name.

use std::collections::HashMap;

use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, lit};

use super::aggregate::unique_name;
use super::{Frame, Planner, column};
use crate::backend::QueryError;
use crate::engine::functions::{KqlValue, Param, Returns, RowFunction, RowUdf, json_as};
use crate::kql::Span;
use crate::kql::ast::{Evaluate, Expr, ExprKind, Ident, Literal, NamedExpr};
use crate::results::KqlType;

/// What a plugin needs to know before it can be planned: the plan to run, and what to take
/// from its one column.
#[derive(Debug)]
pub struct Discovery {
    /// Where the `evaluate` is (its byte offset), the key of the answer.
    pub at: usize,
    pub kind: DiscoveryKind,
    /// A plan with one column: the bags (JSON text) or the values.
    pub plan: LogicalPlan,
}

/// What to take from a discovery's column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoveryKind {
    /// The slots of the property bags, with the type their values share (else dynamic).
    BagSlots,
    /// The distinct values, as text, sorted.
    Values,
}

/// What discoveries found, by the `evaluate`'s offset: names and types.
pub type Discoveries = HashMap<usize, Vec<(String, KqlType)>>;

/// The slot `key` of a bag, as type `ty` (null when missing or not of it).
static BAG_SLOT: RowFunction = RowFunction {
    name: "bag_slot",
    params: &[Param::Dynamic, Param::Text, Param::Text],
    required: 3,
    variadic: false,
    returns: Returns::Always(KqlType::Dynamic),
    eval: |args| {
        let (Some(bag), Some(key)) = (args[0].as_bag(), args[1].as_str()) else {
            return Ok(KqlValue::Null);
        };
        Ok(json_as(bag.get(key), &args[2].to_text()))
    },
    volatile: false,
};

/// The number of distinct values in the first `k + 1` hll sketches' intersection, for the
/// sketch arguments then `k`: the local engine's `hll()` sketch is the exact set of values
/// (a dynamic array), so the count is exact; a null sketch is the empty set.
static INTERSECTION_COUNT: RowFunction = RowFunction {
    name: "dcount_intersect",
    params: &[Param::Dynamic],
    required: 1,
    variadic: true,
    returns: Returns::Always(KqlType::Long),
    eval: |args| {
        let Some((count, sketches)) = args.split_last() else {
            return Ok(KqlValue::Null);
        };
        let Some(k) = count.as_long().and_then(|k| usize::try_from(k).ok()) else {
            return Ok(KqlValue::Null);
        };
        let set = |value: &KqlValue| -> std::collections::HashSet<String> {
            value
                .as_array()
                .map(|items| items.iter().map(|item| item.to_string()).collect())
                .unwrap_or_default()
        };
        let Some(first) = sketches.first() else {
            return Ok(KqlValue::Long(0));
        };
        let mut common = set(first);
        for sketch in sketches.iter().skip(1).take(k) {
            let other = set(sketch);
            common.retain(|item| other.contains(item));
        }
        Ok(KqlValue::Long(
            i64::try_from(common.len()).unwrap_or(i64::MAX),
        ))
    },
    volatile: false,
};

impl Planner<'_> {
    pub(super) fn evaluate(
        &mut self,
        frame: Frame,
        evaluate: &Evaluate,
        span: Span,
    ) -> Result<Frame, QueryError> {
        match evaluate.plugin.name.as_str() {
            "bag_unpack" => self.bag_unpack(frame, evaluate, span),
            "pivot" => self.pivot(frame, evaluate, span),
            "rows_near" => self.rows_near(frame, evaluate, span),
            "ipv4_lookup" => self.ipv4_lookup(frame, evaluate, span),
            "dcount_intersect" => self.dcount_intersect(frame, evaluate, span),
            "narrow" => self.narrow(frame, evaluate, span),
            "geo_polygon_lookup" | "geo_line_lookup" => self.geo_lookup(frame, evaluate, span),
            "active_users_count"
            | "activity_counts_metrics"
            | "activity_engagement"
            | "activity_metrics"
            | "new_activity_metrics"
            | "sliding_window_counts" => self.activity(frame, evaluate, span),
            other => Err(self.unsupported(
                format!("the '{other}' plugin is not supported by the local engine yet"),
                evaluate.plugin.span,
            )),
        }
    }

    /// `rows_near(Condition, NumRows [, RowsAfter])` (rows-near-plugin.md): the rows of a
    /// serialized input within `NumRows` rows before, or `RowsAfter` (else `NumRows`) rows
    /// after, a row where `Condition` is true; the columns unchanged.
    fn rows_near(
        &mut self,
        frame: Frame,
        evaluate: &Evaluate,
        span: Span,
    ) -> Result<Frame, QueryError> {
        use datafusion::common::ScalarValue;
        use datafusion::logical_expr::expr::WindowFunction;
        use datafusion::logical_expr::{
            ExprFunctionExt, WindowFrame, WindowFrameBound, WindowFrameUnits,
            WindowFunctionDefinition,
        };
        let args = &evaluate.args;
        if !(2..=3).contains(&args.len()) {
            return Err(self.semantic(
                "rows_near takes a condition, a number of rows and optionally the rows after",
                span,
            ));
        }
        let condition = self.condition(&args[0], &frame)?;
        let mut count = |index: usize| -> Result<Option<u64>, QueryError> {
            let Some(arg) = args.get(index) else {
                return Ok(None);
            };
            match self.expr(arg, &Frame::empty())?.literal {
                Some(Literal::Long(n)) if n >= 0 => Ok(u64::try_from(n).ok()),
                Some(Literal::Int(n)) if n >= 0 => Ok(u64::try_from(n).ok()),
                _ => Err(self.semantic(
                    "rows_near's numbers of rows are constant whole numbers, 0 or more",
                    arg.span,
                )),
            }
        };
        let before = count(1)?.unwrap_or(0);
        let after = count(2)?.unwrap_or(before);
        // How many rows in the frame meet the condition: a sum slides (bool_or does not).
        let hit = datafusion::logical_expr::when(condition, lit(1i64))
            .otherwise(lit(0i64))
            .map_err(|e| self.engine_error(e, span))?;
        let DfExpr::AggregateFunction(any) = datafusion::functions_aggregate::expr_fn::sum(hit)
        else {
            return Err(self.semantic("rows_near could not plan its condition", span));
        };
        let near = DfExpr::from(WindowFunction::new(
            WindowFunctionDefinition::AggregateUDF(any.func),
            any.params.args,
        ))
        .window_frame(WindowFrame::new_bounds(
            WindowFrameUnits::Rows,
            // Row r is near a match m when m - before ≤ r ≤ m + after: m lies from `after`
            // rows before r to `before` rows after it.
            WindowFrameBound::Preceding(ScalarValue::UInt64(Some(after))),
            WindowFrameBound::Following(ScalarValue::UInt64(Some(before))),
        ))
        .build()
        .map_err(|e| self.engine_error(e, span))?;
        let flag = "__rows_near";
        let kept = frame.columns.clone();
        let mut exprs: Vec<DfExpr> = kept.iter().map(|(name, _)| column(name)).collect();
        exprs.push(near.gt(lit(0i64)).alias(flag));
        let mut columns = kept.clone();
        columns.push((flag.to_string(), KqlType::Bool));
        let flagged = self.projected(frame, exprs, columns, span)?;
        let builder = flagged
            .builder
            .filter(column(flag))
            .and_then(|b| b.project(kept.iter().map(|(name, _)| column(name))))
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame {
            builder,
            columns: kept,
        })
    }

    /// `ipv4_lookup(LookupTable, SourceIPv4Key, IPv4LookupKey [, ExtraKey…] [, return_unmatched])`
    /// (ipv4-lookup-plugin.md): each input row joined with the lookup rows whose key matches
    /// its address as `ipv4_is_match` compares them (IP-prefix notation on either side), and
    /// whose extra key columns are equal; with `return_unmatched` true, unmatched input rows
    /// are kept with nulls. The columns are the input's, then the lookup table's without the
    /// extra keys (as the `lookup` operator gives them).
    fn ipv4_lookup(
        &mut self,
        frame: Frame,
        evaluate: &Evaluate,
        span: Span,
    ) -> Result<Frame, QueryError> {
        use datafusion::common::Column;
        let args = &evaluate.args;
        if args.len() < 3 {
            return Err(self.semantic(
                "ipv4_lookup takes the lookup table, the input's address column and the lookup table's",
                span,
            ));
        }
        let Some(lookup) = self.tabular_operand(&args[0], &frame) else {
            return Err(self.semantic(
                "ipv4_lookup's first argument is the lookup table",
                args[0].span,
            ));
        };
        let lookup = lookup?;
        let (source_key, source_ty) = self.plugin_column(&args[1], &frame, "input")?;
        let (lookup_key, lookup_ty) = self.plugin_column(&args[2], &lookup, "lookup table")?;
        for (ty, arg) in [(source_ty, &args[1]), (lookup_ty, &args[2])] {
            if ty != KqlType::String {
                return Err(self.semantic(
                    format!(
                        "ipv4_lookup matches IPv4 addresses written as strings, this is {}",
                        ty.with_article()
                    ),
                    arg.span,
                ));
            }
        }
        let mut rest = &args[3..];
        let mut return_unmatched = false;
        if let Some(last) = rest.last()
            && !matches!(last.kind, ExprKind::Column(_))
        {
            match self.expr(last, &Frame::empty())?.literal {
                Some(Literal::Bool(b)) => return_unmatched = b,
                _ => {
                    return Err(self.semantic(
                        "ipv4_lookup's last argument is a column or the constant return_unmatched bool",
                        last.span,
                    ));
                }
            }
            rest = &rest[..rest.len() - 1];
        }
        let mut extra = Vec::new();
        for arg in rest {
            let (name, left_ty) = self.plugin_column(arg, &frame, "input")?;
            let (_, right_ty) = self.plugin_column(arg, &lookup, "lookup table")?;
            if left_ty != right_ty {
                return Err(self.semantic(
                    format!("the extra key '{name}' has different types in the input and the lookup table"),
                    arg.span,
                ));
            }
            extra.push(name);
        }
        let Some(is_match) = crate::engine::functions::lookup("ipv4_is_match") else {
            return Err(self.semantic("ipv4_is_match is missing", span));
        };
        let side = |qualifier: &str, name: &str| {
            DfExpr::Column(Column::new(Some(qualifier.to_string()), name))
        };
        let matches = RowUdf::udf(
            is_match,
            vec![KqlType::String, KqlType::String],
            KqlType::Bool,
        )
        .call(vec![
            side("__left", &source_key),
            side("__right", &lookup_key),
        ]);
        self.lookup_join(frame, &lookup, &extra, matches, return_unmatched, &[], span)
    }

    /// `frame` joined with `lookup` where `matches` (over the columns of `__left` and
    /// `__right`) holds and the `extra` key columns are equal; with `return_unmatched`, the
    /// input rows without a match too (nulls for the lookup's columns). The columns are the
    /// input's, then the lookup table's except `extra` and `hidden` (a name the input has
    /// takes a suffix, as join's right side does): the lookup plugins' output.
    #[allow(clippy::too_many_arguments)]
    fn lookup_join(
        &mut self,
        frame: Frame,
        lookup: &Frame,
        extra: &[String],
        matches: DfExpr,
        return_unmatched: bool,
        hidden: &[String],
        span: Span,
    ) -> Result<Frame, QueryError> {
        use datafusion::common::{Column, JoinType};
        let side = |qualifier: &str, name: &str| {
            DfExpr::Column(Column::new(Some(qualifier.to_string()), name))
        };
        let engine = |this: &Self, e| this.engine_error(e, span);
        let right_plan = lookup
            .builder
            .clone()
            .alias("__right")
            .and_then(|b| b.build())
            .map_err(|e| engine(self, e))?;
        let left_keys: Vec<Column> = extra
            .iter()
            .map(|n| Column::new(Some("__left"), n.clone()))
            .collect();
        let right_keys: Vec<Column> = extra
            .iter()
            .map(|n| Column::new(Some("__right"), n.clone()))
            .collect();
        let join_type = if return_unmatched {
            JoinType::Left
        } else {
            JoinType::Inner
        };
        let joined = frame
            .builder
            .clone()
            .alias("__left")
            .and_then(|b| {
                b.join(
                    right_plan,
                    join_type,
                    (left_keys, right_keys),
                    Some(matches),
                )
            })
            .map_err(|e| engine(self, e))?;
        let mut exprs = Vec::new();
        let mut columns: Vec<(String, KqlType)> = Vec::new();
        for (name, ty) in &frame.columns {
            exprs.push(side("__left", name).alias(name.as_str()));
            columns.push((name.clone(), *ty));
        }
        for (name, ty) in &lookup.columns {
            if extra.contains(name) || hidden.contains(name) {
                continue;
            }
            let out = unique_name(name, &columns);
            exprs.push(side("__right", name).alias(out.as_str()));
            columns.push((out, *ty));
        }
        let builder = joined.project(exprs).map_err(|e| engine(self, e))?;
        Ok(Frame { builder, columns })
    }

    /// `geo_polygon_lookup(LookupTable, LookupPolygonKey, SourceLongitude, SourceLatitude
    /// [, radius] [, return_unmatched] [, lookup_area_radius] [, return_lookup_key])`
    /// (geo-polygon-lookup-plugin.md): each location joined with the polygons that contain it
    /// (`geo_point_in_polygon`), or with a radius those within it (`geo_distance_point_to_polygon`
    /// ≤ radius, meters); `geo_line_lookup(…, SourceLatitude, Radius, …)` (geo-line-lookup-plugin.md)
    /// with the lines within `Radius` meters (`geo_distance_point_to_line`). The optional
    /// arguments come in order or by name; `lookup_area_radius` only tunes Kusto's search and is
    /// read and left aside; the key column is in the output only with `return_lookup_key`.
    fn geo_lookup(
        &mut self,
        frame: Frame,
        evaluate: &Evaluate,
        span: Span,
    ) -> Result<Frame, QueryError> {
        use datafusion::common::Column;
        let plugin = evaluate.plugin.name.as_str();
        let lines = plugin == "geo_line_lookup";
        let args = &evaluate.args;
        // In this order after the four required arguments (geo_line_lookup's radius is required).
        let optional: &[&str] = &[
            "radius",
            "return_unmatched",
            "lookup_area_radius",
            "return_lookup_key",
        ];
        let positional: Vec<&Expr> = args
            .iter()
            .take_while(|a| !matches!(a.kind, ExprKind::NamedArg { .. }))
            .collect();
        if positional.len() < 4 || positional.len() > 4 + optional.len() {
            return Err(self.semantic(
                format!("{plugin} takes the lookup table, its key column, the longitude and latitude columns, then {}", optional.join(", ")),
                span,
            ));
        }
        let mut given: HashMap<&str, &Expr> = HashMap::new();
        for (name, arg) in optional.iter().zip(&positional[4..]) {
            given.insert(name, arg);
        }
        for arg in &args[positional.len()..] {
            let ExprKind::NamedArg { name, value } = &arg.kind else {
                return Err(self.semantic("an argument in order after a named one", arg.span));
            };
            let Some(known) = optional.iter().find(|o| **o == name.name) else {
                return Err(self.semantic(
                    format!(
                        "{plugin} has no argument '{}' (it takes {})",
                        name.name,
                        optional.join(", ")
                    ),
                    name.span,
                ));
            };
            if given.insert(known, value).is_some() {
                return Err(self.semantic(format!("'{}' is given twice", name.name), name.span));
            }
        }
        let constant = |planner: &mut Self, name: &str| -> Result<Option<Literal>, QueryError> {
            match given.get(name) {
                None => Ok(None),
                Some(arg) => match planner.expr(arg, &Frame::empty())?.literal {
                    Some(literal) => Ok(Some(literal)),
                    None => {
                        Err(planner.semantic(format!("{plugin}'s {name} is a constant"), arg.span))
                    }
                },
            }
        };
        let radius = match constant(self, "radius")? {
            None => None,
            Some(Literal::Long(n)) => Some(n as f64),
            Some(Literal::Int(n)) => Some(f64::from(n)),
            Some(Literal::Real(r)) if r.is_finite() && r >= 0.0 => Some(r),
            Some(_) => {
                return Err(self.semantic(
                    format!("{plugin}'s radius is a number of meters, 0 or more"),
                    span,
                ));
            }
        };
        if lines && radius.is_none() {
            return Err(self.semantic("geo_line_lookup needs the radius, in meters", span));
        }
        let flag = |planner: &mut Self, name: &str| -> Result<bool, QueryError> {
            match constant(planner, name)? {
                None => Ok(false),
                Some(Literal::Bool(b)) => Ok(b),
                Some(_) => {
                    Err(planner.semantic(format!("{plugin}'s {name} is a constant bool"), span))
                }
            }
        };
        let return_unmatched = flag(self, "return_unmatched")?;
        let return_lookup_key = flag(self, "return_lookup_key")?;
        match constant(self, "lookup_area_radius")? {
            None | Some(Literal::Long(_) | Literal::Int(_) | Literal::Real(_)) => {}
            Some(_) => {
                return Err(self.semantic(
                    format!("{plugin}'s lookup_area_radius is a number of meters"),
                    span,
                ));
            }
        }
        let Some(lookup) = self.tabular_operand(positional[0], &frame) else {
            return Err(self.semantic(
                format!("{plugin}'s first argument is the lookup table"),
                positional[0].span,
            ));
        };
        let lookup = lookup?;
        let (key, key_ty) = self.plugin_column(positional[1], &lookup, "lookup table")?;
        if key_ty != KqlType::Dynamic {
            return Err(self.semantic(
                format!(
                    "{plugin}'s key is a dynamic GeoJSON column, this is {}",
                    key_ty.with_article()
                ),
                positional[1].span,
            ));
        }
        let (longitude, lng_ty) = self.plugin_column(positional[2], &frame, "input")?;
        let (latitude, lat_ty) = self.plugin_column(positional[3], &frame, "input")?;
        for (ty, arg) in [(lng_ty, positional[2]), (lat_ty, positional[3])] {
            if !is_number(ty) {
                return Err(self.semantic(
                    format!(
                        "{plugin} reads longitudes and latitudes as numbers, this is {}",
                        ty.with_article()
                    ),
                    arg.span,
                ));
            }
        }
        let side = |qualifier: &str, name: &str| {
            DfExpr::Column(Column::new(Some(qualifier.to_string()), name))
        };
        let function = match (lines, radius.is_some()) {
            (true, _) => "geo_distance_point_to_line",
            (false, true) => "geo_distance_point_to_polygon",
            (false, false) => "geo_point_in_polygon",
        };
        let Some(definition) = crate::engine::functions::lookup(function) else {
            return Err(self.semantic(format!("{function} is missing"), span));
        };
        let result = if radius.is_some() {
            KqlType::Real
        } else {
            KqlType::Bool
        };
        let call =
            RowUdf::udf(definition, vec![lng_ty, lat_ty, KqlType::Dynamic], result).call(vec![
                side("__left", &longitude),
                side("__left", &latitude),
                side("__right", &key),
            ]);
        let matches = match radius {
            Some(radius) => call.lt_eq(lit(radius)),
            None => call,
        };
        let hidden = if return_lookup_key { vec![] } else { vec![key] };
        self.lookup_join(
            frame,
            &lookup,
            &[],
            matches,
            return_unmatched,
            &hidden,
            span,
        )
    }

    /// `dcount_intersect(hll_1, hll_2 [, hll_3, …])` (dcount-intersect-plugin.md): the input's
    /// columns, then `s0` … `s{n-1}`: the distinct counts of S1, S1 ∩ S2, …, S1 ∩ … ∩ Sn.
    fn dcount_intersect(
        &mut self,
        frame: Frame,
        evaluate: &Evaluate,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let args = &evaluate.args;
        if !(2..=16).contains(&args.len()) {
            return Err(self.semantic("dcount_intersect takes 2 to 16 hll() sketches", span));
        }
        let mut sketches = Vec::with_capacity(args.len() + 1);
        for arg in args {
            let typed = self.expr(arg, &frame)?;
            if typed.ty != KqlType::Dynamic {
                return Err(self.semantic(
                    format!(
                        "dcount_intersect takes hll() sketches (dynamic), this is {}",
                        typed.ty.with_article()
                    ),
                    arg.span,
                ));
            }
            sketches.push(typed.expr);
        }
        let mut exprs: Vec<DfExpr> = frame.columns.iter().map(|(n, _)| column(n)).collect();
        let mut columns = frame.columns.clone();
        let mut types = vec![KqlType::Dynamic; sketches.len()];
        types.push(KqlType::Long);
        for k in 0..args.len() {
            let name = format!("s{k}");
            if columns.iter().any(|(n, _)| *n == name) {
                return Err(self.semantic(
                    format!("dcount_intersect makes a column '{name}', which the input has"),
                    span,
                ));
            }
            let mut call = sketches.clone();
            call.push(lit(i64::try_from(k).unwrap_or(i64::MAX)));
            let udf = RowUdf::udf(&INTERSECTION_COUNT, types.clone(), KqlType::Long);
            exprs.push(udf.call(call).alias(name.as_str()));
            columns.push((name, KqlType::Long));
        }
        self.projected(frame, exprs, columns, span)
    }

    /// `narrow()` (narrow-plugin.md): the input "unpivoted" into one row per cell, `Row` (long,
    /// the input row's number from 0, in the input's order: a sort's when it is serialized),
    /// `Column` (the column's name;
    /// the page's "column type" is its name, as its example shows) and `Value` (the cell as
    /// `tostring()` writes it: a null cell is empty), the input's rows in order and each row's
    /// cells in the input's column order.
    fn narrow(
        &mut self,
        frame: Frame,
        evaluate: &Evaluate,
        span: Span,
    ) -> Result<Frame, QueryError> {
        use datafusion::common::{Column, UnnestOptions};
        use datafusion::functions_nested::expr_fn::make_array;
        use datafusion::functions_window::expr_fn::row_number;
        if let Some(arg) = evaluate.args.first() {
            return Err(self.semantic("narrow takes no arguments", arg.span));
        }
        if evaluate.schema.is_some() {
            return Err(self.unsupported(
                "narrow with an output schema is not supported by the local engine yet",
                evaluate.plugin.span,
            ));
        }
        if frame.columns.is_empty() {
            return Err(self.semantic("narrow needs a table with columns", span));
        }
        let row = unique_name("__narrow_row", &frame.columns);
        let (names, values) = ("__narrow_names", "__narrow_values");
        let input = frame.columns.clone();
        // Numbered in the rows' order: the last sort's, if any (DataFusion may otherwise drop
        // a sort that nothing after it needs).
        let plan = frame
            .builder
            .clone()
            .build()
            .map_err(|e| self.engine_error(e, span))?;
        let order = super::window::serialized_order(&plan, &self.serialized).unwrap_or_default();
        let number = match row_number() {
            DfExpr::WindowFunction(function) if !order.is_empty() => {
                let mut function = function.as_ref().clone();
                function.params.order_by = order;
                DfExpr::from(function)
            }
            other => other,
        };
        let numbered = self.with_window_column(frame, number, &row, KqlType::Long, span)?;
        let texts: Vec<DfExpr> = input
            .iter()
            .map(|(name, ty)| {
                datafusion::logical_expr::cast(
                    self.to_string_expr(super::Typed::new(column(name), *ty)),
                    KqlType::String.arrow_type(),
                )
            })
            .collect();
        let labels: Vec<DfExpr> = input
            .iter()
            .map(|(name, _)| {
                datafusion::logical_expr::cast(lit(name.as_str()), KqlType::String.arrow_type())
            })
            .collect();
        let builder = numbered
            .builder
            .project(vec![
                (column(&row) - lit(1i64)).alias("Row"),
                make_array(labels).alias(names),
                make_array(texts).alias(values),
            ])
            .and_then(|b| {
                b.unnest_columns_with_options(
                    vec![Column::from_name(names), Column::from_name(values)],
                    UnnestOptions::default(),
                )
            })
            .and_then(|b| {
                b.project(vec![
                    column("Row"),
                    column(names).alias("Column"),
                    column(values).alias("Value"),
                ])
            })
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame {
            builder,
            columns: vec![
                ("Row".to_string(), KqlType::Long),
                ("Column".to_string(), KqlType::String),
                ("Value".to_string(), KqlType::String),
            ],
        })
    }

    /// A plugin argument that names a column of `side` (`which` says of what, for the message):
    /// its name and type.
    fn plugin_column(
        &self,
        arg: &Expr,
        side: &Frame,
        which: &str,
    ) -> Result<(String, KqlType), QueryError> {
        let expected = format!("expected a column of the {which}");
        let (name, ty, _) =
            self.column_argument(std::slice::from_ref(arg), side, &expected, arg.span)?;
        Ok((name, ty))
    }

    /// The first argument as a column of `frame`: its name, type and position.
    fn column_argument(
        &self,
        args: &[Expr],
        frame: &Frame,
        expected: &str,
        span: Span,
    ) -> Result<(String, KqlType, Span), QueryError> {
        let Some(Expr {
            kind: ExprKind::Column(name),
            span: at,
            ..
        }) = args.first()
        else {
            return Err(self.semantic(expected, span));
        };
        let ty = self.require_column(
            frame,
            &Ident {
                name: name.clone(),
                span: *at,
            },
        )?;
        Ok((name.clone(), ty, *at))
    }

    /// The answer of a discovery, or the request for one (an error the caller never sees:
    /// `plan_query` turns it into a [`Discovery`]).
    fn discovered(
        &mut self,
        at: usize,
        kind: DiscoveryKind,
        value: DfExpr,
        frame: &Frame,
        span: Span,
    ) -> Result<Vec<(String, KqlType)>, QueryError> {
        if let Some(found) = self.discoveries.get(&at) {
            return Ok(found.clone());
        }
        let plan = frame
            .builder
            .clone()
            .project(vec![value.alias("__discover")])
            .and_then(|b| b.build())
            .map_err(|e| self.engine_error(e, span))?;
        self.discovery = Some(Discovery { at, kind, plan });
        Err(self.unsupported(
            "this plugin's columns depend on the data, which the local engine reads first",
            span,
        ))
    }

    /// `bag_unpack(Column [, Prefix [, Conflict [, Ignored]]]) [: (Name: type, …)]`: a column
    /// per slot of the bags (prefixed), the bag column removed.
    fn bag_unpack(
        &mut self,
        frame: Frame,
        evaluate: &Evaluate,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let args = &evaluate.args;
        let (bag_column, bag_type, bag_span) = self.column_argument(
            args,
            &frame,
            "bag_unpack's first argument is the column to unpack",
            span,
        )?;
        let bag_column = &bag_column;
        if bag_type != KqlType::Dynamic {
            return Err(self.semantic(
                format!(
                    "bag_unpack unpacks a dynamic column; '{bag_column}' is {}",
                    bag_type.with_article()
                ),
                bag_span,
            ));
        }
        let text = |planner: &mut Self, index: usize| -> Result<Option<String>, QueryError> {
            match args.get(index) {
                None => Ok(None),
                Some(arg) => match planner.expr(arg, &Frame::empty())?.literal {
                    Some(Literal::String(s)) => Ok(Some(s)),
                    _ => Err(planner.semantic("expected a constant string", arg.span)),
                },
            }
        };
        let prefix = text(self, 1)?.unwrap_or_default();
        let conflict = text(self, 2)?.unwrap_or_else(|| "error".into());
        let ignored: Vec<String> = match args.get(3) {
            None => vec![],
            Some(arg) => match self.expr(arg, &Frame::empty())?.literal {
                Some(Literal::Dynamic(json)) => serde_json::from_str::<Vec<String>>(&json)
                    .map_err(|_| {
                        self.semantic("the ignored properties are an array of names", arg.span)
                    })?,
                _ => {
                    return Err(
                        self.semantic("the ignored properties are a constant array", arg.span)
                    );
                }
            },
        };
        // (output name, slot, type)
        let slots: Vec<(String, String, KqlType)> = match &evaluate.schema {
            Some(schema) => {
                let mut slots = Vec::new();
                for (name, ty) in schema {
                    let ty = self.declared_type(ty)?;
                    let slot = name
                        .name
                        .strip_prefix(prefix.as_str())
                        .unwrap_or(&name.name);
                    slots.push((name.name.clone(), slot.to_string(), ty));
                }
                slots
            }
            None => self
                .discovered(
                    evaluate.plugin.span.start,
                    DiscoveryKind::BagSlots,
                    column(bag_column),
                    &frame,
                    span,
                )?
                .into_iter()
                .filter(|(slot, _)| !ignored.contains(slot))
                .map(|(slot, ty)| (format!("{prefix}{slot}"), slot, ty))
                .collect(),
        };
        let keep_input = evaluate.schema.is_none() || evaluate.schema_wildcard;
        let mut exprs = Vec::new();
        let mut columns: Vec<(String, KqlType)> = Vec::new();
        if keep_input {
            for (name, ty) in &frame.columns {
                if name == bag_column {
                    continue;
                }
                let replaced = slots.iter().any(|(out, _, _)| out == name);
                match (replaced, conflict.as_str()) {
                    (false, _) | (true, "keep_source") => {
                        exprs.push(column(name));
                        columns.push((name.clone(), *ty));
                    }
                    (true, "replace_source") => {}
                    (true, _) => {
                        return Err(self.semantic(
                            format!("bag_unpack makes a column '{name}', which the input has (columnsConflict='replace_source' or 'keep_source' decides)"),
                            span,
                        ));
                    }
                }
            }
        }
        for (out, slot, ty) in slots {
            if columns.iter().any(|(n, _)| *n == out) {
                continue;
            }
            let udf = RowUdf::udf(
                &BAG_SLOT,
                vec![KqlType::Dynamic, KqlType::String, KqlType::String],
                ty,
            );
            exprs.push(
                udf.call(vec![
                    column(bag_column),
                    lit(slot.as_str()),
                    lit(ty.kql_name()),
                ])
                .alias(out.as_str()),
            );
            columns.push((out, ty));
        }
        self.projected(frame, exprs, columns, span)
    }

    /// `pivot(Column [, Aggregation [, Columns…]])`: a row per value of the other (or given)
    /// columns, a column per value of Column holding the aggregation of its rows (`count()` by
    /// default).
    fn pivot(
        &mut self,
        frame: Frame,
        evaluate: &Evaluate,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let args = &evaluate.args;
        let (pivot_column, pivot_type, _) = self.column_argument(
            args,
            &frame,
            "pivot's first argument is the column to rotate",
            span,
        )?;
        let pivot_column = &pivot_column;
        let aggregation = args
            .get(1)
            .cloned()
            .unwrap_or_else(|| super::call_expr("count", vec![], span));
        let ExprKind::Call {
            name: aggregate_name,
            args: aggregate_args,
        } = &aggregation.kind
        else {
            return Err(self.semantic(
                "pivot's second argument is an aggregation such as sum(X)",
                aggregation.span,
            ));
        };
        let conditional = match aggregate_name.name.as_str() {
            "count" => "countif",
            "sum" => "sumif",
            "min" => "minif",
            "max" => "maxif",
            "avg" => "avgif",
            "dcount" => "dcountif",
            "take_any" | "any" => "take_anyif",
            "make_list" => "make_list_if",
            "make_set" => "make_set_if",
            "make_bag" => "make_bag_if",
            "stdev" => "stdevif",
            "variance" => "varianceif",
            other => {
                return Err(self.unsupported(
                    format!("pivot with {other}() is not supported by the local engine yet"),
                    aggregate_name.span,
                ));
            }
        };
        let aggregated: Vec<String> = aggregate_args
            .iter()
            .filter_map(|a| match &a.kind {
                ExprKind::Column(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        let groups: Vec<String> = if args.len() > 2 {
            args[2..]
                .iter()
                .map(|a| match &a.kind {
                    ExprKind::Column(c) => Ok(c.clone()),
                    _ => Err(self.semantic("pivot's columns are column names", a.span)),
                })
                .collect::<Result<_, _>>()?
        } else {
            frame
                .columns
                .iter()
                .map(|(n, _)| n.clone())
                .filter(|n| n != pivot_column && !aggregated.contains(n))
                .collect()
        };
        let values = self.discovered(
            evaluate.plugin.span.start,
            DiscoveryKind::Values,
            self.to_string_expr(super::Typed::new(column(pivot_column), pivot_type)),
            &frame,
            span,
        )?;
        let pivot_text = super::call_expr(
            "tostring",
            vec![Expr::new(ExprKind::Column(pivot_column.clone()), span)],
            span,
        );
        let mut items = Vec::new();
        for (value, _) in &values {
            let condition = Expr::new(
                ExprKind::Binary {
                    op: crate::kql::ast::BinaryOp::Eq,
                    left: Box::new(pivot_text.clone()),
                    right: Box::new(Expr::new(
                        ExprKind::Literal(Literal::String(value.clone())),
                        span,
                    )),
                },
                span,
            );
            let mut call_args = aggregate_args.clone();
            call_args.insert(call_args.len().min(1), condition);
            if aggregate_name.name == "count" {
                call_args = call_args.into_iter().take(1).collect();
            }
            items.push(NamedExpr {
                name: Some(Ident {
                    name: value.clone(),
                    span,
                }),
                names: vec![],
                expr: Expr::new(
                    ExprKind::Call {
                        name: Ident {
                            name: conditional.into(),
                            span: aggregate_name.span,
                        },
                        args: call_args,
                    },
                    span,
                ),
            });
        }
        let by: Vec<NamedExpr> = groups
            .iter()
            .map(|g| NamedExpr {
                name: None,
                names: vec![],
                expr: Expr::new(ExprKind::Column(g.clone()), span),
            })
            .collect();
        self.summarize(frame, &items, &by, span)
    }
}

/// Whether a column of `ty` holds numbers (a longitude, a latitude).
fn is_number(ty: KqlType) -> bool {
    matches!(
        ty,
        KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal
    )
}
