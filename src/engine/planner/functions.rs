//! Scalar function calls: time (`ago`, `now`, `bin`), conversions (`tostring`, `tolong`,
//! `todatetime` …), conditionals (`iff`, `case`, `coalesce`), strings and dynamic values.
//! Each family is a method of its own; `call` only dispatches.

use std::ops::Not;

use datafusion::arrow::datatypes::DataType;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{
    Expr as DfExpr, Operator as DfOp, binary_expr, cast, lit, try_cast, when,
};

use super::aggregate::AGGREGATES;
use super::scalar::{json_literal, regex_check};
use super::{Frame, Planner, Typed, balanced, is_numeric, is_textual, ticks_literal};
use crate::backend::QueryError;
use crate::kql::Span;
use crate::kql::ast::{Expr, ExprKind, Ident, Literal, LogicalOp, StringOpKind};
use crate::kql::time;
use crate::results::KqlType;

impl Planner<'_> {
    pub(super) fn call(
        &mut self,
        name: &Ident,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        // Deprecated spellings Kusto still runs (each function's page names its aliases).
        let function = match name.name.as_str() {
            "parsejson" => "parse_json",
            "notempty" => "isnotempty",
            "notnull" => "isnotnull",
            "array_iif" => "array_iff",
            "pack_dictionary" => "bag_pack",
            "merge_tdigest" => "tdigest_merge",
            "parseurl" => "parse_url",
            "parseurlquery" => "parse_urlquery",
            "to_utf8" => "unicode_codepoints_from_string",
            other => other,
        };
        // A function bound by let shadows a built-in one of the same name.
        if let Some(called) = self.call_user_function(name, args, frame, span) {
            return match called? {
                super::user_functions::Called::Scalar(typed) => Ok(typed),
                super::user_functions::Called::Tabular(_) => Err(self.semantic(
                    format!("'{function}' returns a table, not a value"),
                    name.span,
                )),
            };
        }
        match function {
            "ago" | "now" | "bin" | "floor" => self.time_function(function, args, span, frame),
            "tostring" | "toint" | "tolong" | "todouble" | "toreal" | "tobool" | "toboolean"
            | "todatetime" | "totimespan" => self.conversion(function, args, span, frame),
            "iff" | "iif" | "case" | "coalesce" => self.conditional(function, args, span, frame),
            "isempty" | "isnotempty" | "isnull" | "isnotnull" | "not" | "isnan" => {
                self.predicate(function, args, span, frame)
            }
            "tolower"
            | "toupper"
            | "strlen"
            | "strcat"
            | "substring"
            | "indexof"
            | "replace_string"
            | "replace_regex"
            | "replace"
            | "unicode_codepoints_to_string" => self.string_function(function, args, span, frame),
            "pack_array" | "make_array" | "parse_json" | "todynamic" | "toobject"
            | "array_length" => self.dynamic_function(function, args, span, frame),
            "extract" | "split" | "countof" => self.text_udf(function, args, span, frame),
            "toscalar" => self.toscalar(args, span, frame),
            "column_names_of" => self.column_names_of(args, span, frame),
            "pack_all" => self.pack_all(args, span, frame),
            "estimate_data_size" => self.estimate_data_size(args, span, frame),
            "assert" => self.assert(args, span, frame),
            _ if super::window::WINDOW_FUNCTIONS.contains(&function) => {
                self.window_function(function, args, span, frame)
            }
            // geo-info-from-ip-address-function.md: the answer comes from Microsoft's IP
            // location data, which is not available offline.
            "geo_info_from_ip_address" => Err(self.unsupported(
                "the function 'geo_info_from_ip_address' needs Microsoft's IP location data, which the local engine does not have",
                name.span,
            )),
            "has_any" | "has_all" | "has_any_cs" | "has_all_cs" => {
                self.has_terms(function, args, span, frame)
            }
            _ if super::several::several_series(function).is_some() => {
                let columns = super::several::several_series(function)
                    .map(|(_, parts)| parts.join(", "))
                    .unwrap_or_default();
                Err(self.unsupported(
                    format!(
                        "{function}() gives several columns ({columns}): the local engine runs it alone as an item of extend, project or print, its columns named after the series or by ({columns}) = …"
                    ),
                    name.span,
                ))
            }
            // A column of a series function spread by `several` (a name no query can write).
            _ if function.contains('#') => self.series_part(name, args, span, frame),
            _ if crate::engine::functions::lookup(function).is_some() => {
                self.row_function(function, args, span, frame)
            }
            _ => {
                if AGGREGATES.contains(&function)
                    || matches!(
                        function,
                        "arg_max" | "arg_min" | "percentile" | "percentiles"
                    )
                {
                    // Kusto refuses this too: an error in the query, not a gap of the engine.
                    return Err(self.semantic(
                        format!("the aggregate '{function}' can only be used in summarize"),
                        name.span,
                    ));
                }
                if !crate::kql::analysis::is_known_function(function)
                    && self.unsupported_let(function, name.span).is_none()
                {
                    let known = crate::kql::analysis::known_function_names();
                    let mut message = format!("unknown function '{function}'");
                    if let Some(near) = crate::kql::analysis::suggest(function, &known) {
                        message.push_str(&format!("; did you mean '{near}'?"));
                    }
                    return Err(self.semantic(message, name.span));
                }
                let message = if matches!(function, "toscalar" | "materialize" | "table" | "view") {
                    format!("'{function}()' is not supported by the local engine yet")
                } else if let Some(error) = self.unsupported_let(function, name.span) {
                    return Err(error);
                } else {
                    // Known to KQL or advanced hunting (checked above), not to this engine.
                    format!("the function '{function}' is not supported by the local engine yet")
                };
                Err(self.unsupported(message, name.span))
            }
        }
    }

    /// A function of `engine::functions`: arguments planned and checked against its
    /// parameters, then one row UDF for these argument types.
    fn row_function(
        &mut self,
        function: &str,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        use crate::engine::functions::lookup;
        let Some(definition) = lookup(function) else {
            return Err(self.unsupported(
                format!("the function '{function}' is not supported by the local engine yet"),
                span,
            ));
        };
        match function {
            "series_seasonal" => self.refuse_period_detection(function, args, 1, span)?,
            "series_decompose_forecast" => self.refuse_period_detection(function, args, 2, span)?,
            _ => {}
        }
        if matches!(function, "array_sort_asc" | "array_sort_desc")
            && self.sorts_several_arrays(args, frame)?
        {
            return Err(self.unsupported(
                format!(
                    "{function}() of several arrays gives one column per array: the local engine runs it alone as an item of print, extend or project, or indexed ({function}(a, b)[1])"
                ),
                span,
            ));
        }
        self.row_call(definition, args, span, frame)
    }

    /// Column `k` of a series function that gives several columns, called as
    /// `<function>#k` (see `several`): the function's row UDF indexed by `k`.
    fn series_part(
        &mut self,
        name: &Ident,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        let parsed = name.name.split_once('#').and_then(|(function, k)| {
            let (definition, parts) = super::several::several_series(function)?;
            let k: usize = k.parse().ok().filter(|k| *k < parts.len())?;
            Some((function, definition, k))
        });
        let Some((function, definition, k)) = parsed else {
            return Err(self.semantic(format!("unknown function '{}'", name.name), name.span));
        };
        let seasonality = if function == "series_decompose" { 1 } else { 2 };
        self.refuse_period_detection(function, args, seasonality, name.span)?;
        let whole = self.row_call(definition, args, span, frame)?;
        Ok(Typed::new(
            self.udfs.index.call(vec![whole.expr, lit(k.to_string())]),
            KqlType::Dynamic,
        ))
    }

    /// Refuses a series function whose seasonality (argument `index`) is omitted or the
    /// constant -1: Kusto then detects the period, which the local engine cannot reproduce
    /// ([`crate::engine::functions::undetected`]). A seasonality computed from the data is
    /// checked when the query runs.
    fn refuse_period_detection(
        &mut self,
        function: &str,
        args: &[Expr],
        index: usize,
        span: Span,
    ) -> Result<(), QueryError> {
        let at = match args.get(index) {
            None => span,
            Some(arg) if self.constant_long(arg) == Some(-1) => arg.span,
            Some(_) => return Ok(()),
        };
        Err(self.unsupported(crate::engine::functions::undetected(function), at))
    }

    /// The value of a constant whole number (`-1`, `int(3)`, a let-bound literal); `None` for
    /// anything else.
    fn constant_long(&mut self, expr: &Expr) -> Option<i64> {
        match &expr.kind {
            ExprKind::Unary {
                op: crate::kql::ast::UnaryOp::Neg,
                operand,
            } => self.constant_long(operand).map(i64::wrapping_neg),
            ExprKind::Literal(_) | ExprKind::Column(_) => {
                match self.expr(expr, &Frame::empty()).ok()?.literal? {
                    Literal::Long(n) => Some(n),
                    Literal::Int(n) => Some(i64::from(n)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// A call of the row function `definition`: arguments planned and checked against its
    /// parameters, then one row UDF for these argument types.
    pub(super) fn row_call(
        &mut self,
        definition: &'static crate::engine::functions::RowFunction,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        use crate::engine::functions::{Param, RowUdf};
        let function = definition.name;
        self.arity(
            function,
            args,
            definition.required,
            definition.max_args(),
            span,
        )?;
        let mut exprs = Vec::with_capacity(args.len());
        // What the row function reads (a `typeof(T)` argument as T's name, a string), and
        // what the types are checked against (for `typeof(T)`, T).
        let mut read_as = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for (index, arg) in args.iter().enumerate() {
            if definition.param(index) == Param::Type {
                let named = type_argument(arg).ok_or_else(|| {
                    self.semantic(
                        format!("argument {} of {function}() must be typeof(T)", index + 1),
                        arg.span,
                    )
                })?;
                exprs.push(lit(named.kql_name()));
                read_as.push(KqlType::String);
                types.push(named);
                continue;
            }
            let typed = self.expr(arg, frame)?;
            exprs.push(typed.expr);
            read_as.push(typed.ty);
            types.push(typed.ty);
        }
        let result = definition
            .check(&types)
            .map_err(|(index, message)| self.semantic(message, args[index].span))?;
        let udf = RowUdf::udf(definition, read_as, result);
        Ok(Typed::new(udf.call(exprs), result))
    }

    /// `pack_all([ignore_null_empty])` (pack-all-function.md): a bag of the row's columns,
    /// `bag_pack("Name", Name, …)`; with `true`, null and empty values are left out.
    fn pack_all(&mut self, args: &[Expr], span: Span, frame: &Frame) -> Result<Typed, QueryError> {
        self.arity("pack_all", args, 0, 1, span)?;
        let skip_missing = match args.first() {
            None => false,
            Some(arg) => match self.expr(arg, &Frame::empty())?.literal {
                Some(Literal::Bool(b)) => b,
                _ => {
                    return Err(self.semantic("pack_all()'s argument is a constant bool", arg.span));
                }
            },
        };
        if frame.columns.is_empty() {
            return self.literal(&Literal::Dynamic("{}".into()), span);
        }
        let mut pairs = Vec::with_capacity(frame.columns.len() * 2);
        for (name, _) in &frame.columns {
            pairs.push(Expr::new(
                ExprKind::Literal(Literal::String(name.clone())),
                span,
            ));
            pairs.push(Expr::new(ExprKind::Column(name.clone()), span));
        }
        let bag = self.row_function("bag_pack", &pairs, span, frame)?;
        if !skip_missing {
            return Ok(bag);
        }
        // Null and empty values out.
        Ok(Typed::new(
            crate::engine::functions::RowUdf::udf(
                &DROP_EMPTY,
                vec![KqlType::Dynamic],
                KqlType::Dynamic,
            )
            .call(vec![bag.expr]),
            KqlType::Dynamic,
        ))
    }

    /// `estimate_data_size(*)` or `estimate_data_size(a, b, …)` (estimate-data-size-function.md):
    /// each row's estimated size in bytes of those columns (`*`: all of the row's), a long; the
    /// sizes by type are `engine::udf_size`'s.
    fn estimate_data_size(
        &mut self,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        if args.is_empty() {
            return Err(self.semantic(
                "estimate_data_size() takes one or more columns, or * for all of them",
                span,
            ));
        }
        let mut exprs = Vec::new();
        let mut types = Vec::new();
        for arg in args {
            if matches!(arg.kind, ExprKind::Star) {
                for (name, ty) in &frame.columns {
                    exprs.push(super::column(name));
                    types.push(*ty);
                }
                continue;
            }
            let typed = self.expr(arg, frame)?;
            exprs.push(typed.expr);
            types.push(typed.ty);
        }
        if exprs.is_empty() {
            // `*` of a row without columns.
            return Ok(Typed::new(lit(0i64), KqlType::Long));
        }
        let udf = crate::engine::udf_size::EstimateSizeUdf::udf(types);
        Ok(Typed::new(udf.call(exprs), KqlType::Long))
    }

    /// `assert(condition, message)` (assert-function.md): the condition must be known when the
    /// query is planned; true gives true, false fails the query with the message.
    fn assert(&mut self, args: &[Expr], span: Span, frame: &Frame) -> Result<Typed, QueryError> {
        use datafusion::common::ToDFSchema;
        use datafusion::logical_expr::simplify::SimplifyContext;
        use datafusion::optimizer::simplify_expressions::ExprSimplifier;
        self.arity("assert", args, 2, 2, span)?;
        let condition = self.condition(&args[0], frame)?;
        let message = self.expr(&args[1], frame)?;
        let Some(message) = message.literal_string().map(str::to_string) else {
            return Err(self.semantic("assert()'s message must be a constant string", args[1].span));
        };
        let schema = datafusion::arrow::datatypes::Schema::empty()
            .to_dfschema_ref()
            .map_err(|e| self.engine_error(e, span))?;
        let simplifier =
            ExprSimplifier::new(SimplifyContext::builder().with_schema(schema).build());
        match simplifier.simplify(condition) {
            Ok(DfExpr::Literal(datafusion::common::ScalarValue::Boolean(Some(true)), _)) => {
                Ok(Typed::new(lit(true), KqlType::Bool))
            }
            Ok(DfExpr::Literal(datafusion::common::ScalarValue::Boolean(_), _)) => Err(self
                .semantic(
                    format!("assert() has failed with message: '{message}'"),
                    span,
                )),
            _ => Err(self.semantic(
                "assert()'s condition must be known before the query runs (a constant)",
                args[0].span,
            )),
        }
    }

    /// `ago(span)`, `now([offset])`, `bin(value, size)` (and its alias `floor`).
    fn time_function(
        &mut self,
        function: &str,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        match function {
            "ago" | "now" => {
                let (min, offset_sign) = if function == "ago" { (1, -1) } else { (0, 1) };
                self.arity(function, args, min, 1, span)?;
                let offset = match args.first() {
                    Some(arg) => self.constant_timespan(arg)?,
                    None => 0,
                };
                let moment = offset
                    .checked_mul(offset_sign)
                    .and_then(|o| self.now.checked_add(o))
                    .filter(|t| time::is_valid_datetime(*t))
                    .ok_or_else(|| {
                        self.semantic(
                            format!("{function}() lands outside the years 1 to 9999"),
                            span,
                        )
                    })?;
                let mut typed = Typed::new(ticks_literal(moment), KqlType::DateTime);
                typed.literal = Some(Literal::Datetime(moment));
                Ok(typed)
            }
            _ => {
                self.arity(function, args, 2, 2, span)?;
                let value = self.expr(&args[0], frame)?;
                let size = self.expr(&args[1], frame)?;
                self.bin(value, size, span)
            }
        }
    }

    fn constant_timespan(&mut self, expr: &Expr) -> Result<i64, QueryError> {
        let typed = self.expr(expr, &Frame::empty())?;
        match typed.literal {
            Some(Literal::Timespan(ticks)) => Ok(ticks),
            _ => Err(self.semantic("expected a timespan such as 7d or 1h", expr.span)),
        }
    }

    /// `bin(value, size)`: the multiple of `size` at or below `value` (bin-function.md);
    /// datetimes count from 1970-01-01, as Kusto's do. Whole numbers and ticks are binned in
    /// integer arithmetic (exact over all 64 bits); a size that is not positive gives null.
    fn bin(&self, value: Typed, size: Typed, span: Span) -> Result<Typed, QueryError> {
        let null = |ty: KqlType| -> Result<Typed, QueryError> {
            let null = datafusion::common::ScalarValue::try_from(&ty.arrow_type())
                .unwrap_or(datafusion::common::ScalarValue::Null);
            Ok(Typed::new(lit(null), ty))
        };
        match (value.ty, size.ty) {
            (KqlType::DateTime | KqlType::Timespan, KqlType::Timespan) => {
                // A size computed from constants (`let bin = window / 2.0`) is a constant too.
                let folded = match size.literal {
                    Some(Literal::Timespan(ticks)) => Some(ticks),
                    _ => match constant_value(size.expr.clone()) {
                        Some(datafusion::common::ScalarValue::Int64(Some(ticks))) => Some(ticks),
                        _ => None,
                    },
                };
                let Some(ticks) = folded else {
                    return Err(self.semantic(
                        "bin() of a datetime or timespan needs a constant timespan such as 1h",
                        span,
                    ));
                };
                if ticks <= 0 {
                    return null(value.ty);
                }
                let origin = if value.ty == KqlType::DateTime {
                    time::UNIX_EPOCH_TICKS
                } else {
                    0
                };
                let floored = self.udfs.bin.call(vec![
                    value.expr,
                    ticks_literal(ticks),
                    ticks_literal(origin),
                ]);
                if value.ty == KqlType::Timespan {
                    return Ok(Typed::new(floored, value.ty));
                }
                // Bins before year 1 (a huge size) are no datetime.
                let checked = self.udfs.datetime_in_range.call(vec![floored]);
                Ok(Typed::new(checked, KqlType::DateTime))
            }
            (v, s) if is_numeric(v) && is_numeric(s) => {
                let non_positive = matches!(size.literal, Some(Literal::Long(n)) if n <= 0)
                    || matches!(size.literal, Some(Literal::Int(n)) if n <= 0)
                    || matches!(size.literal, Some(Literal::Real(n)) if n <= 0.0 || n.is_nan());
                let real = matches!(v, KqlType::Real | KqlType::Decimal)
                    || matches!(s, KqlType::Real | KqlType::Decimal);
                if non_positive {
                    return null(if real { KqlType::Real } else { KqlType::Long });
                }
                if !real {
                    let long = |e: DfExpr| cast(e, DataType::Int64);
                    let floored = self.udfs.bin.call(vec![
                        long(value.expr),
                        long(size.expr),
                        ticks_literal(0),
                    ]);
                    return Ok(Typed::new(floored, KqlType::Long));
                }
                let as_real = |e: DfExpr| cast(e, DataType::Float64);
                let floored = binary_expr(
                    f::floor(binary_expr(
                        as_real(value.expr),
                        DfOp::Divide,
                        as_real(size.expr.clone()),
                    )),
                    DfOp::Multiply,
                    as_real(size.expr),
                );
                Ok(Typed::new(floored, KqlType::Real))
            }
            (v, s) => Err(self.semantic(
                format!(
                    "bin() cannot round {} by {}",
                    v.with_article(),
                    s.with_article()
                ),
                span,
            )),
        }
    }

    /// `tostring` and the `to<type>` conversions. Datetimes and timespans convert to numbers as
    /// their ticks (100 ns; datetimes since 0001-01-01), as Kusto's do; a failed conversion is
    /// null (tolong-function.md and its siblings).
    fn conversion(
        &mut self,
        function: &str,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        self.arity(function, args, 1, 1, span)?;
        let value = self.expr(&args[0], frame)?;
        let target = match function {
            "tostring" => return Ok(Typed::new(self.to_string_expr(value), KqlType::String)),
            "toint" => KqlType::Int,
            "tolong" => KqlType::Long,
            "todouble" | "toreal" => KqlType::Real,
            "tobool" | "toboolean" => KqlType::Bool,
            "todatetime" => KqlType::DateTime,
            _ => KqlType::Timespan,
        };
        if value.ty == target {
            return Ok(value);
        }
        let text = match value.ty {
            KqlType::Dynamic => Some(self.dynamic_text(value.expr.clone())),
            KqlType::String | KqlType::Guid => Some(value.expr.clone()),
            _ => None,
        };
        let converted = match (target, text) {
            (KqlType::DateTime, Some(text)) => self.udfs.todatetime.call(vec![text]),
            (KqlType::Timespan, Some(text)) => self.udfs.totimespan.call(vec![text]),
            (KqlType::DateTime | KqlType::Timespan, None) => {
                return Err(self.unsupported(
                    format!(
                        "{function}() of {} is not supported by the local engine yet",
                        value.ty.with_article()
                    ),
                    span,
                ));
            }
            (_, Some(text)) => try_cast(text, target.arrow_type()),
            // Ticks are already i64: tolong() is the value, the others convert it.
            (_, None) => try_cast(value.expr, target.arrow_type()),
        };
        Ok(Typed::new(converted, target))
    }

    /// `iff`/`iif`, `case` and `coalesce`. The branches' types must agree; numbers widen to the
    /// widest of them (int < long < real) and null literals take the others' type. `coalesce`
    /// skips empty strings as well as nulls (coalesce-function.md).
    fn conditional(
        &mut self,
        function: &str,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        let (conditions, values): (Vec<usize>, Vec<usize>) = match function {
            "iff" | "iif" => {
                self.arity(function, args, 3, 3, span)?;
                (vec![0], vec![1, 2])
            }
            "case" => {
                if args.len() < 3 || args.len().is_multiple_of(2) {
                    return Err(self.semantic(
                        "case() takes condition/value pairs and a final else value",
                        span,
                    ));
                }
                let pairs = args.len() / 2;
                (
                    (0..pairs).map(|p| p * 2).collect(),
                    (0..pairs)
                        .map(|p| p * 2 + 1)
                        .chain([args.len() - 1])
                        .collect(),
                )
            }
            _ => {
                if args.is_empty() {
                    return Err(self.semantic("coalesce() needs at least one argument", span));
                }
                (Vec::new(), (0..args.len()).collect())
            }
        };
        let conditions = conditions
            .iter()
            .map(|&i| self.condition(&args[i], frame))
            .collect::<Result<Vec<_>, _>>()?;
        let values = values
            .iter()
            .map(|&i| self.expr(&args[i], frame))
            .collect::<Result<Vec<_>, _>>()?;
        let ty = self.common_type(function, &values, span)?;
        let mut values: Vec<DfExpr> = values
            .into_iter()
            .map(|v| {
                if v.ty == ty || v.is_null_literal() && ty == KqlType::Dynamic {
                    v.expr
                } else if ty == KqlType::Dynamic {
                    to_dynamic(v)
                } else if v.ty == KqlType::Dynamic {
                    // A dynamic string reads as the string (tostring).
                    self.to_string_expr(v)
                } else {
                    cast(v.expr, ty.arrow_type())
                }
            })
            .collect();
        if function == "coalesce" {
            let udf = if ty == KqlType::String {
                &self.udfs.coalesce_text
            } else {
                &self.udfs.coalesce
            };
            return Ok(Typed::new(udf.call(values), ty));
        }
        let otherwise = values
            .pop()
            .unwrap_or(lit(datafusion::common::ScalarValue::Null));
        let mut branches = conditions.into_iter().zip(values);
        let Some((first_condition, first_value)) = branches.next() else {
            return Err(self.semantic(format!("{function}() needs a condition"), span));
        };
        let mut builder = when(first_condition, first_value);
        for (condition, value) in branches {
            builder = builder.when(condition, value);
        }
        let case = builder
            .otherwise(otherwise)
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Typed::new(case, ty))
    }

    /// The one type a set of branches has: the same type, or numbers widened; null literals
    /// adapt. Anything else is an error naming the types.
    fn common_type(
        &self,
        function: &str,
        values: &[Typed],
        span: Span,
    ) -> Result<KqlType, QueryError> {
        let typed: Vec<KqlType> = values
            .iter()
            .filter(|v| !v.is_null_literal())
            .map(|v| v.ty)
            .collect();
        let Some(&first) = typed.first() else {
            return Ok(values.first().map_or(KqlType::String, |v| v.ty));
        };
        if typed.iter().all(|t| *t == first) {
            return Ok(first);
        }
        if typed.iter().all(|t| is_numeric(*t)) {
            let widest = if typed
                .iter()
                .any(|t| matches!(t, KqlType::Real | KqlType::Decimal))
            {
                KqlType::Real
            } else if typed.contains(&KqlType::Long) {
                KqlType::Long
            } else {
                KqlType::Int
            };
            return Ok(widest);
        }
        if typed.iter().all(|t| is_textual(*t)) {
            return Ok(KqlType::String);
        }
        // A dynamic value among strings is a string: published hunting queries write
        // `iff(…, parse_url(u).Host, u)` and go on to union the result with string columns of
        // the same name, which Kusto would otherwise split by type. Among other scalars, the
        // scalars become dynamic values.
        if typed.contains(&KqlType::Dynamic) {
            if typed
                .iter()
                .all(|t| *t == KqlType::Dynamic || is_textual(*t))
            {
                return Ok(KqlType::String);
            }
            return Ok(KqlType::Dynamic);
        }
        let names: Vec<&str> = typed.iter().map(|t| t.kql_name()).collect();
        Err(self.semantic(
            format!(
                "{function}()'s values must have one type, these are {}",
                names.join(", ")
            ),
            span,
        ))
    }

    fn predicate(
        &mut self,
        function: &str,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        self.arity(function, args, 1, 1, span)?;
        if function == "not" {
            return Ok(Typed::new(
                self.condition(&args[0], frame)?.not(),
                KqlType::Bool,
            ));
        }
        let value = self.expr(&args[0], frame)?;
        if function == "isnan" {
            // isnan-function.md: true only for a real NaN; a null gives null, like KQL.
            if !is_numeric(value.ty) {
                return Err(self.semantic("isnan() needs a number", args[0].span));
            }
            return Ok(Typed::new(
                f::isnan(cast(value.expr, DataType::Float64)),
                KqlType::Bool,
            ));
        }
        let missing = match function {
            "isempty" | "isnotempty" if is_textual(value.ty) || value.ty == KqlType::Dynamic => {
                value.expr.clone().is_null().or(value.expr.eq(lit("")))
            }
            // A string is never null: a missing one is "" (isnull-function.md).
            _ if value.ty == KqlType::String => lit(false),
            _ => value.expr.is_null(),
        };
        Ok(Typed::new(
            if function.starts_with("isnot") {
                missing.not()
            } else {
                missing
            },
            KqlType::Bool,
        ))
    }

    fn string_function(
        &mut self,
        function: &str,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        let text_arg = |planner: &mut Self, i: usize| planner.text_argument(&args[i], frame);
        let expr = match function {
            "tolower" | "toupper" => {
                self.arity(function, args, 1, 1, span)?;
                let text = text_arg(self, 0)?;
                if function == "tolower" {
                    f::lower(text.expr)
                } else {
                    f::upper(text.expr)
                }
            }
            "strlen" => {
                self.arity(function, args, 1, 1, span)?;
                let text = text_arg(self, 0)?;
                let length = cast(f::character_length(text.expr), DataType::Int64);
                return Ok(Typed::new(length, KqlType::Long));
            }
            "unicode_codepoints_to_string" => {
                let constant = args.iter().all(|a| {
                    matches!(
                        a.kind,
                        ExprKind::Literal(Literal::Long(_) | Literal::Int(_))
                    )
                });
                // Constants are folded here (hunt writes them for characters a literal cannot
                // hold); other arguments go to the row function of its old name, make_string.
                return if constant {
                    self.codepoints_to_string(args, span)
                } else {
                    self.row_function("make_string", args, span, frame)
                };
            }
            "strcat" => {
                if args.is_empty() {
                    return Err(self.semantic("strcat() needs at least one argument", span));
                }
                let mut parts = Vec::new();
                for arg in args {
                    let value = self.expr(arg, frame)?;
                    parts.push(self.to_string_expr(value));
                }
                f::concat(parts)
            }
            // A negative start counts from the end (substring-function.md), which DataFusion's
            // substring does not do: the row function does.
            "substring" => return self.row_function(function, args, span, frame),
            "indexof" => {
                if args.len() > 2 {
                    return self.row_function(function, args, span, frame);
                }
                self.arity(function, args, 2, 2, span)?;
                let (text, needle) = (text_arg(self, 0)?, text_arg(self, 1)?);
                let position = cast(f::strpos(text.expr, needle.expr), DataType::Int64);
                return Ok(Typed::new(
                    binary_expr(position, DfOp::Minus, lit(1i64)),
                    KqlType::Long,
                ));
            }
            "replace_string" => {
                self.arity(function, args, 3, 3, span)?;
                let (text, lookup, rewrite) =
                    (text_arg(self, 0)?, text_arg(self, 1)?, text_arg(self, 2)?);
                f::replace(text.expr, lookup.expr, rewrite.expr)
            }
            _ => return self.replace_regex(function, args, span, frame),
        };
        Ok(Typed::new(expr, KqlType::String))
    }

    /// `pack_array(a, b, …)` of values that are not all constants: one dynamic array per row,
    /// each value as it sits in a dynamic value (pack-array-function.md).
    fn pack_array_of_values(
        &mut self,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        use crate::engine::functions::{KqlValue, Param, Returns, RowFunction, RowUdf};
        static PACK_ARRAY: RowFunction = RowFunction {
            name: "pack_array",
            params: &[Param::Any],
            required: 1,
            variadic: true,
            returns: Returns::Always(KqlType::Dynamic),
            eval: |args| {
                Ok(KqlValue::Dynamic(serde_json::Value::Array(
                    args.iter().map(KqlValue::to_json).collect(),
                )))
            },
            volatile: false,
        };
        self.arity("pack_array", args, 1, PACK_ARRAY.max_args(), span)?;
        let mut exprs = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for arg in args {
            let typed = self.expr(arg, frame)?;
            exprs.push(typed.expr);
            types.push(typed.ty);
        }
        let udf = RowUdf::udf(&PACK_ARRAY, types, KqlType::Dynamic);
        Ok(Typed::new(udf.call(exprs), KqlType::Dynamic))
    }

    /// `unicode_codepoints_to_string(13, 10)` (unicode-codepoints-to-string-function.md): the
    /// text of the given code points. The local engine takes constant integer arguments only,
    /// the form hunt itself writes for characters a string literal cannot escape.
    fn codepoints_to_string(&mut self, args: &[Expr], span: Span) -> Result<Typed, QueryError> {
        if args.is_empty() {
            return Err(self.semantic(
                "unicode_codepoints_to_string() needs at least one code point",
                span,
            ));
        }
        let mut text = String::new();
        for arg in args {
            let point = match &arg.kind {
                ExprKind::Literal(Literal::Long(v)) => Some(*v),
                ExprKind::Literal(Literal::Int(v)) => Some(i64::from(*v)),
                _ => None,
            };
            let Some(point) = point else {
                return Err(self.unsupported(
                    "the local engine runs unicode_codepoints_to_string() with constant code points only",
                    arg.span,
                ));
            };
            match u32::try_from(point).ok().and_then(char::from_u32) {
                Some(ch) => text.push(ch),
                None => {
                    return Err(
                        self.semantic(format!("{point} is not a Unicode code point"), arg.span)
                    );
                }
            }
        }
        Ok(Typed::new(lit(text), KqlType::String))
    }

    /// `replace_regex(text, regex, rewrite)` and the deprecated `replace(regex, rewrite, text)`.
    fn replace_regex(
        &mut self,
        function: &str,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        self.arity(function, args, 3, 3, span)?;
        let (text_at, pattern_at, rewrite_at) = if function == "replace" {
            (2, 0, 1)
        } else {
            (0, 1, 2)
        };
        let text = self.text_argument(&args[text_at], frame)?;
        let pattern = self.expr(&args[pattern_at], frame)?;
        if let Some(p) = pattern.literal_string()
            && let Err(e) = regex_check(p)
        {
            return Err(self.semantic(
                format!("invalid regular expression: {e}"),
                args[pattern_at].span,
            ));
        }
        let pattern = match pattern.literal_string() {
            Some(p) => lit(crate::kql::regex::to_rust_syntax(p).into_owned()),
            None => pattern.expr,
        };
        let rewrite = self.expr(&args[rewrite_at], frame)?;
        // KQL writes capture groups as \1; the regex engine as ${1}.
        let rewrite = match rewrite.literal_string() {
            Some(r) => lit(kql_rewrite_to_regex(r)),
            None => rewrite.expr,
        };
        Ok(Typed::new(
            f::regexp_replace(text.expr, pattern, rewrite, Some(lit("g"))),
            KqlType::String,
        ))
    }

    fn dynamic_function(
        &mut self,
        function: &str,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        match function {
            "pack_array" | "make_array" => {
                // A list of constants is a dynamic literal (typically a let used with `in`).
                let mut items = Vec::new();
                for item in args {
                    items.push(match &item.kind {
                        ExprKind::Literal(Literal::String(s)) => {
                            serde_json::Value::String(s.clone())
                        }
                        ExprKind::Literal(Literal::Long(v)) => serde_json::Value::from(*v),
                        ExprKind::Literal(Literal::Real(v)) => serde_json::Value::from(*v),
                        ExprKind::Literal(Literal::Bool(v)) => serde_json::Value::Bool(*v),
                        _ => return self.pack_array_of_values(args, span, frame),
                    });
                }
                self.literal(
                    &Literal::Dynamic(serde_json::Value::Array(items).to_string()),
                    span,
                )
            }
            "array_length" => {
                self.arity(function, args, 1, 1, span)?;
                let value = self.expr(&args[0], frame)?;
                Ok(Typed::new(
                    self.udfs.array_length.call(vec![value.expr]),
                    KqlType::Long,
                ))
            }
            _ => {
                self.arity(function, args, 1, 1, span)?;
                let value = self.expr(&args[0], frame)?;
                Ok(match value.ty {
                    KqlType::Dynamic => value,
                    KqlType::String | KqlType::Guid => Typed::new(
                        self.udfs.parse_json.call(vec![value.expr]),
                        KqlType::Dynamic,
                    ),
                    // A number or bool's KQL text is its JSON too.
                    ty if is_numeric(ty) || ty == KqlType::Bool => {
                        Typed::new(self.to_string_expr(value), KqlType::Dynamic)
                    }
                    other => {
                        return Err(self.unsupported(
                            format!(
                                "{function}() of {} is not supported by the local engine yet",
                                other.with_article()
                            ),
                            span,
                        ));
                    }
                })
            }
        }
    }

    /// `has_any`/`has_all` (and `_cs`): term matching against each term, combined.
    fn has_terms(
        &mut self,
        function: &str,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        if args.len() < 2 {
            return Err(self.semantic(
                format!("{function} needs a value and at least one term"),
                span,
            ));
        }
        let value = self.text_argument(&args[0], frame)?;
        let mut terms = Vec::new();
        for term_expr in &args[1..] {
            let term = self.expr(term_expr, frame)?;
            match &term.literal {
                Some(Literal::Dynamic(json)) => {
                    if let Ok(serde_json::Value::Array(items)) =
                        serde_json::from_str::<serde_json::Value>(json)
                    {
                        terms.extend(items.iter().map(json_literal));
                    }
                }
                _ => terms.push(self.as_text(term, term_expr.span)?),
            }
        }
        let case_sensitive = function.ends_with("_cs");
        let any = function.starts_with("has_any");
        // Constant terms (the usual IOC list): one pass over each row.
        let constants: Option<Vec<String>> = terms
            .iter()
            .map(|t| t.literal_string().map(str::to_string))
            .collect();
        if let Some(needles) = constants {
            let udf = std::sync::Arc::new(crate::engine::udf::TermSetUdf::udf(
                &needles,
                !any,
                case_sensitive,
            ));
            return Ok(Typed::new(udf.call(vec![value.expr]), KqlType::Bool));
        }
        let udf = self.udfs.term(StringOpKind::Has, case_sensitive).clone();
        let matches = terms
            .into_iter()
            .map(|t| udf.call(vec![value.expr.clone(), self.to_string_expr(t)]))
            .collect();
        let op = if any { LogicalOp::Or } else { LogicalOp::And };
        Ok(Typed::new(balanced(matches, op), KqlType::Bool))
    }
}

/// `\\1` group references (KQL) as `${1}` (the regex engine); a literal `$` stays literal.
fn kql_rewrite_to_regex(rewrite: &str) -> String {
    let mut out = String::with_capacity(rewrite.len());
    let mut chars = rewrite.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' if chars.peek().is_some_and(char::is_ascii_digit) => {
                let digit = chars.next().unwrap_or('0');
                out.push_str(&format!("${{{digit}}}"));
            }
            '$' => out.push_str("$$"),
            _ => out.push(ch),
        }
    }
    out
}

impl Planner<'_> {
    /// An argument that a text function reads as text (dynamic values by their text).
    fn text_argument(&mut self, arg: &Expr, frame: &Frame) -> Result<Typed, QueryError> {
        let value = self.expr(arg, frame)?;
        self.as_text(value, arg.span)
    }

    /// `extract(regex, group, text)`, `split(text, delimiter[, index])`,
    /// `countof(text, search[, kind])` (their pages; `engine::udf_text`).
    fn text_udf(
        &mut self,
        function: &str,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        use crate::engine::udf_text::{TextOp, TextUdf};
        let text = |planner: &mut Self, i: usize| -> Result<DfExpr, QueryError> {
            Ok(planner.text_argument(&args[i], frame)?.expr)
        };
        match function {
            "extract" => {
                self.arity(function, args, 3, 4, span)?;
                if let Some(kind) = args.get(3) {
                    let is_string = matches!(&kind.kind, ExprKind::Call { name, args }
                        if name.name == "typeof"
                            && matches!(args.first().map(|a| &a.kind), Some(ExprKind::Column(t)) if t == "string"));
                    if !is_string {
                        return Err(self.unsupported(
                            "extract(…, typeof(T)) converting to a type other than string is not supported by the local engine yet",
                            kind.span,
                        ));
                    }
                }
                let regex = text(self, 0)?;
                let group = self.expr(&args[1], frame)?;
                if !matches!(group.ty, KqlType::Int | KqlType::Long) {
                    return Err(
                        self.semantic("extract()'s capture group is a whole number", args[1].span)
                    );
                }
                let source = text(self, 2)?;
                let udf = TextUdf::udf(TextOp::Extract, 3);
                Ok(Typed::new(
                    udf.call(vec![regex, group.expr, source]),
                    KqlType::String,
                ))
            }
            "split" => {
                self.arity(function, args, 2, 3, span)?;
                let mut parts = vec![text(self, 0)?, text(self, 1)?];
                if args.len() == 3 {
                    let index = self.expr(&args[2], frame)?;
                    if !matches!(index.ty, KqlType::Int | KqlType::Long) {
                        return Err(
                            self.semantic("split()'s index is a whole number", args[2].span)
                        );
                    }
                    parts.push(index.expr);
                }
                let udf = TextUdf::udf(TextOp::Split, parts.len());
                Ok(Typed::new(udf.call(parts), KqlType::Dynamic))
            }
            _ => {
                self.arity(function, args, 2, 3, span)?;
                let mut parts = vec![text(self, 0)?, text(self, 1)?];
                if let Some(kind) = args.get(2) {
                    match self.expr(kind, frame)?.literal {
                        Some(Literal::String(k)) if k == "normal" => {}
                        Some(Literal::String(k)) if k == "regex" => parts.push(lit("regex")),
                        _ => {
                            return Err(
                                self.semantic("countof()'s kind is 'normal' or 'regex'", kind.span)
                            );
                        }
                    }
                }
                let udf = TextUdf::udf(TextOp::Countof, parts.len());
                Ok(Typed::new(udf.call(parts), KqlType::Long))
            }
        }
    }
}

/// A scalar as a dynamic value: a string becomes a JSON string (not parsed), numbers JSON
/// numbers, datetimes and timespans their text.
fn to_dynamic(value: Typed) -> DfExpr {
    use crate::engine::functions::{KqlValue, Param, Returns, RowFunction, RowUdf};
    static TO_DYNAMIC: RowFunction = RowFunction {
        name: "to_dynamic",
        params: &[Param::Any],
        required: 1,
        variadic: false,
        returns: Returns::Always(KqlType::Dynamic),
        eval: |args| Ok(KqlValue::dynamic(args[0].to_json())),
        volatile: false,
    };
    RowUdf::udf(&TO_DYNAMIC, vec![value.ty], KqlType::Dynamic).call(vec![value.expr])
}

/// The type `typeof(T)` names (`typeof(long)`), if `expr` is such a call.
fn type_argument(expr: &Expr) -> Option<KqlType> {
    match &expr.kind {
        ExprKind::Call { name, args } if name.name == "typeof" => match args.as_slice() {
            [
                Expr {
                    kind: ExprKind::Column(t),
                    ..
                },
            ] => KqlType::from_kql_name(t),
            _ => None,
        },
        _ => None,
    }
}

/// The value of an expression that reads no column (constants and operators on them), found
/// by DataFusion's simplifier; `None` when it reads data or does not fold.
pub(super) fn constant_value(expr: DfExpr) -> Option<datafusion::common::ScalarValue> {
    use datafusion::common::ToDFSchema;
    use datafusion::logical_expr::simplify::SimplifyContext;
    use datafusion::optimizer::simplify_expressions::ExprSimplifier;
    let schema = datafusion::arrow::datatypes::Schema::empty()
        .to_dfschema_ref()
        .ok()?;
    let simplifier = ExprSimplifier::new(SimplifyContext::builder().with_schema(schema).build());
    match simplifier.simplify(expr).ok()? {
        DfExpr::Literal(value, _) => Some(value),
        _ => None,
    }
}

/// A bag without its null and empty-string values (`pack_all(true)`).
static DROP_EMPTY: crate::engine::functions::RowFunction = crate::engine::functions::RowFunction {
    name: "bag_drop_empty",
    params: &[crate::engine::functions::Param::Dynamic],
    required: 1,
    variadic: false,
    returns: crate::engine::functions::Returns::Always(KqlType::Dynamic),
    eval: |args| {
        use crate::engine::functions::KqlValue;
        let Some(bag) = args[0].as_bag() else {
            return Ok(args[0].clone());
        };
        let kept: serde_json::Map<String, serde_json::Value> = bag
            .iter()
            .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(KqlValue::Dynamic(serde_json::Value::Object(kept)))
    },
    volatile: false,
};
