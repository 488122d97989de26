//! KQL syntax tree → DataFusion `LogicalPlan`. Plans are built directly (not through SQL text):
//! DataFusion's SQL front end would lower-case names and split on dots, and KQL names are
//! case-sensitive and may hold anything in brackets. The planner tracks the KQL type of every
//! column next to the plan, so results keep `dynamic`, `guid` and `timespan` apart from `string`.

use std::collections::HashMap;
use std::ops::Not;
use std::sync::Arc;

use datafusion::common::{Column, ScalarValue, TableReference};
use datafusion::datasource::provider_as_source;
use datafusion::functions::expr_fn as f;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::expr::Sort as SortExpr;
use datafusion::logical_expr::{
    Expr as DfExpr, ExprFunctionExt, LogicalPlan, LogicalPlanBuilder, Operator as DfOp, ScalarUDF,
    binary_expr, cast, in_list, lit, try_cast, when,
};

use super::Catalog;
use super::udf::{DynamicOp, DynamicUdf, ListToJsonUdf, TermMatchUdf, TermMode};
use crate::kql::Span;
use crate::kql::ast::{
    BinaryOp, Expr, ExprKind, Ident, LetValue, Literal, NamedExpr, NullsOrder, Operator,
    OperatorKind, Pipeline, Query, SortKey, SortOrder, Source, StringOp, StringOpKind, UnaryOp,
};
use crate::results::KqlType;
use crate::worker::{ErrorKind, QueryError};

/// The KQL functions implemented as UDFs, made once per engine.
#[derive(Debug)]
pub struct Udfs {
    has: [Arc<ScalarUDF>; 6],
    parse_json: Arc<ScalarUDF>,
    get: Arc<ScalarUDF>,
    index: Arc<ScalarUDF>,
    to_text: Arc<ScalarUDF>,
    array_length: Arc<ScalarUDF>,
    list_to_json: Arc<ScalarUDF>,
}

impl Udfs {
    pub fn new() -> Udfs {
        let term = |mode, cs| Arc::new(TermMatchUdf::udf(mode, cs));
        Udfs {
            has: [
                term(TermMode::Whole, false),
                term(TermMode::Whole, true),
                term(TermMode::Prefix, false),
                term(TermMode::Prefix, true),
                term(TermMode::Suffix, false),
                term(TermMode::Suffix, true),
            ],
            parse_json: Arc::new(DynamicUdf::udf(DynamicOp::Parse)),
            get: Arc::new(DynamicUdf::udf(DynamicOp::Get)),
            index: Arc::new(DynamicUdf::udf(DynamicOp::Index)),
            to_text: Arc::new(DynamicUdf::udf(DynamicOp::ToText)),
            array_length: Arc::new(DynamicUdf::udf(DynamicOp::ArrayLength)),
            list_to_json: Arc::new(ListToJsonUdf::udf()),
        }
    }

    fn term(&self, kind: StringOpKind, case_sensitive: bool) -> &Arc<ScalarUDF> {
        let base = match kind {
            StringOpKind::HasPrefix => 2,
            StringOpKind::HasSuffix => 4,
            _ => 0,
        };
        &self.has[base + usize::from(case_sensitive)]
    }
}

impl Default for Udfs {
    fn default() -> Self {
        Udfs::new()
    }
}

/// A planned query: the plan and the KQL name and type of each output column.
#[derive(Debug)]
pub struct Planned {
    pub plan: LogicalPlan,
    pub columns: Vec<(String, KqlType)>,
}

/// A time window applied to every table that has a `Timestamp` column (Graph's `timespan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start_nanos: i64,
    pub end_nanos: i64,
}

pub fn plan_query(
    source: &str,
    query: &Query,
    catalog: &Catalog,
    udfs: &Udfs,
    now_nanos: i64,
    window: Option<Window>,
) -> Result<Planned, QueryError> {
    let mut planner = Planner {
        source,
        catalog,
        udfs,
        now_nanos,
        window,
        scalars: HashMap::new(),
        tabulars: HashMap::new(),
    };
    for statement in &query.lets {
        match &statement.value {
            LetValue::Scalar(expr) => {
                // A let of a bare name that is a table or tabular let is itself tabular.
                if let ExprKind::Column(name) = &expr.kind
                    && (planner.tabulars.contains_key(name) || catalog.get(name).is_some())
                {
                    let pipeline = Pipeline {
                        source: Source::Table(Ident {
                            name: name.clone(),
                            span: expr.span,
                        }),
                        operators: Vec::new(),
                        span: expr.span,
                    };
                    let frame = planner.pipeline(&pipeline)?;
                    planner.tabulars.insert(statement.name.name.clone(), frame);
                    continue;
                }
                let typed = planner.expr(expr, &Frame::empty())?;
                planner.tabulars.remove(&statement.name.name);
                planner.scalars.insert(statement.name.name.clone(), typed);
            }
            LetValue::Tabular(pipeline) => {
                let frame = planner.pipeline(pipeline)?;
                planner.scalars.remove(&statement.name.name);
                planner.tabulars.insert(statement.name.name.clone(), frame);
            }
        }
    }
    let Some(body) = &query.body else {
        return Err(QueryError::at(
            ErrorKind::Syntax,
            "the query has no tabular expression",
            Span::new(source.len(), source.len()),
            source,
        ));
    };
    let frame = planner.pipeline(body)?;
    let plan = frame
        .builder
        .build()
        .map_err(|e| planner.engine_error(e, body.span))?;
    Ok(Planned {
        plan,
        columns: frame.columns,
    })
}

#[derive(Clone)]
struct Frame {
    builder: LogicalPlanBuilder,
    columns: Vec<(String, KqlType)>,
}

impl Frame {
    fn empty() -> Frame {
        Frame {
            builder: LogicalPlanBuilder::empty(true),
            columns: Vec::new(),
        }
    }

    fn column_type(&self, name: &str) -> Option<KqlType> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| *t)
    }
}

/// A translated scalar expression with its KQL type (and the literal it came from, for fast paths).
#[derive(Debug, Clone)]
struct Typed {
    expr: DfExpr,
    ty: KqlType,
    literal: Option<Literal>,
}

impl Typed {
    fn new(expr: DfExpr, ty: KqlType) -> Typed {
        Typed {
            expr,
            ty,
            literal: None,
        }
    }

    fn literal_string(&self) -> Option<&str> {
        match &self.literal {
            Some(Literal::String(s)) => Some(s),
            _ => None,
        }
    }
}

fn column(name: &str) -> DfExpr {
    DfExpr::Column(Column::new_unqualified(name))
}

fn timestamp_literal(nanos: i64) -> DfExpr {
    lit(ScalarValue::TimestampNanosecond(Some(nanos), None))
}

fn is_numeric(ty: KqlType) -> bool {
    matches!(
        ty,
        KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal
    )
}

fn is_textual(ty: KqlType) -> bool {
    matches!(ty, KqlType::String | KqlType::Guid)
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Functions the language has but this engine does not run yet get their own message.
fn known_function_names() -> &'static std::collections::HashSet<String> {
    static NAMES: std::sync::OnceLock<std::collections::HashSet<String>> =
        std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let text = include_str!("../kql/functions.txt");
        text.lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    })
}

struct Planner<'a> {
    source: &'a str,
    catalog: &'a Catalog,
    udfs: &'a Udfs,
    now_nanos: i64,
    window: Option<Window>,
    scalars: HashMap<String, Typed>,
    tabulars: HashMap<String, Frame>,
}

impl Planner<'_> {
    fn error(&self, kind: ErrorKind, message: impl Into<String>, span: Span) -> QueryError {
        QueryError::at(kind, message, span, self.source)
    }

    fn semantic(&self, message: impl Into<String>, span: Span) -> QueryError {
        self.error(ErrorKind::Semantic, message, span)
    }

    fn unsupported(&self, message: impl Into<String>, span: Span) -> QueryError {
        self.error(ErrorKind::Unsupported, message, span)
    }

    fn engine_error(&self, error: datafusion::error::DataFusionError, span: Span) -> QueryError {
        self.semantic(super::clean_engine_message(&error), span)
    }

    // ---- tabular -------------------------------------------------------------------------------

    fn pipeline(&mut self, pipeline: &Pipeline) -> Result<Frame, QueryError> {
        let mut frame = match &pipeline.source {
            Source::Table(ident) => self.table(ident)?,
            Source::Nested(inner) => self.pipeline(inner)?,
            Source::Error(span) => {
                return Err(self.error(ErrorKind::Syntax, "this is not a table", *span));
            }
        };
        for operator in &pipeline.operators {
            frame = self.operator(frame, operator)?;
        }
        Ok(frame)
    }

    fn table(&self, ident: &Ident) -> Result<Frame, QueryError> {
        if let Some(frame) = self.tabulars.get(&ident.name) {
            return Ok(frame.clone());
        }
        let Some(table) = self.catalog.get(&ident.name) else {
            let mut message = format!("unknown table '{}'", ident.name);
            if let Some(near) = self
                .catalog
                .names()
                .find(|n| n.eq_ignore_ascii_case(&ident.name))
            {
                message.push_str(&format!(
                    " (table names are case-sensitive: did you mean '{near}'?)"
                ));
            } else if self.scalars.contains_key(&ident.name) {
                message = format!("'{}' is a scalar, not a table", ident.name);
            }
            return Err(self.semantic(message, ident.span));
        };
        let mut builder = LogicalPlanBuilder::scan(
            TableReference::bare(ident.name.as_str()),
            provider_as_source(table.provider.clone()),
            None,
        )
        .map_err(|e| self.engine_error(e, ident.span))?;
        if let Some(window) = self.window
            && table
                .columns
                .iter()
                .any(|(n, t)| n == "Timestamp" && *t == KqlType::DateTime)
        {
            let ts = column("Timestamp");
            let condition = ts
                .clone()
                .gt_eq(timestamp_literal(window.start_nanos))
                .and(ts.lt_eq(timestamp_literal(window.end_nanos)));
            builder = builder
                .filter(condition)
                .map_err(|e| self.engine_error(e, ident.span))?;
        }
        Ok(Frame {
            builder,
            columns: table.columns.clone(),
        })
    }

    fn operator(&mut self, frame: Frame, operator: &Operator) -> Result<Frame, QueryError> {
        let span = operator.span;
        let wrap = |planner: &Self, result: datafusion::error::Result<LogicalPlanBuilder>| {
            result.map_err(|e| planner.engine_error(e, span))
        };
        match &operator.kind {
            OperatorKind::Where(condition) => {
                let typed = self.expr(condition, &frame)?;
                if typed.ty != KqlType::Bool {
                    return Err(self.semantic(
                        format!(
                            "'where' needs a true/false condition, this is a {}",
                            typed.ty.kql_name()
                        ),
                        condition.span,
                    ));
                }
                let builder = wrap(self, frame.builder.filter(typed.expr))?;
                Ok(Frame {
                    builder,
                    columns: frame.columns,
                })
            }
            OperatorKind::Project(items) => {
                let mut exprs = Vec::new();
                let mut columns = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    let typed = self.expr(&item.expr, &frame)?;
                    let name = self.output_name(item, index, &columns)?;
                    exprs.push(typed.expr.alias(name.as_str()));
                    columns.push((name, typed.ty));
                }
                let builder = wrap(self, frame.builder.project(exprs))?;
                Ok(Frame { builder, columns })
            }
            OperatorKind::Extend(items) => {
                let mut frame = frame;
                for (index, item) in items.iter().enumerate() {
                    let typed = self.expr(&item.expr, &frame)?;
                    let name = self.output_name(item, index, &[])?;
                    let mut exprs: Vec<DfExpr> = Vec::with_capacity(frame.columns.len() + 1);
                    let mut columns = Vec::with_capacity(frame.columns.len() + 1);
                    let mut replaced = false;
                    for (existing, ty) in &frame.columns {
                        if *existing == name {
                            exprs.push(typed.expr.clone().alias(name.as_str()));
                            columns.push((name.clone(), typed.ty));
                            replaced = true;
                        } else {
                            exprs.push(column(existing));
                            columns.push((existing.clone(), *ty));
                        }
                    }
                    if !replaced {
                        exprs.push(typed.expr.alias(name.as_str()));
                        columns.push((name, typed.ty));
                    }
                    let builder = wrap(self, frame.builder.project(exprs))?;
                    frame = Frame { builder, columns };
                }
                Ok(frame)
            }
            OperatorKind::ProjectAway(names) => {
                for name in names {
                    self.require_column(&frame, name)?;
                }
                let keep: Vec<(String, KqlType)> = frame
                    .columns
                    .iter()
                    .filter(|(n, _)| !names.iter().any(|i| &i.name == n))
                    .cloned()
                    .collect();
                let builder = wrap(
                    self,
                    frame.builder.project(keep.iter().map(|(n, _)| column(n))),
                )?;
                Ok(Frame {
                    builder,
                    columns: keep,
                })
            }
            OperatorKind::ProjectRename(pairs) => {
                for (_, old) in pairs {
                    self.require_column(&frame, old)?;
                }
                let mut exprs = Vec::new();
                let mut columns = Vec::new();
                for (name, ty) in &frame.columns {
                    let new_name = pairs
                        .iter()
                        .find(|(_, old)| &old.name == name)
                        .map(|(new, _)| new.name.clone())
                        .unwrap_or(name.clone());
                    exprs.push(column(name).alias(new_name.as_str()));
                    columns.push((new_name, *ty));
                }
                let builder = wrap(self, frame.builder.project(exprs))?;
                Ok(Frame { builder, columns })
            }
            OperatorKind::Take(count) => {
                let n = self.row_count(count)?;
                let builder = wrap(self, frame.builder.limit(0, Some(n)))?;
                Ok(Frame {
                    builder,
                    columns: frame.columns,
                })
            }
            OperatorKind::Sort(keys) => {
                let sorts = keys
                    .iter()
                    .map(|k| self.sort_key(k, &frame))
                    .collect::<Result<Vec<_>, _>>()?;
                let builder = wrap(self, frame.builder.sort(sorts))?;
                Ok(Frame {
                    builder,
                    columns: frame.columns,
                })
            }
            OperatorKind::Top { count, key } => {
                let n = self.row_count(count)?;
                let sort = self.sort_key(key, &frame)?;
                let builder = wrap(self, frame.builder.sort_with_limit(vec![sort], Some(n)))?;
                let builder = wrap(self, builder.limit(0, Some(n)))?;
                Ok(Frame {
                    builder,
                    columns: frame.columns,
                })
            }
            OperatorKind::Count => {
                let builder = wrap(
                    self,
                    frame.builder.aggregate(
                        Vec::<DfExpr>::new(),
                        vec![agg::count(lit(1i64)).alias("Count")],
                    ),
                )?;
                Ok(Frame {
                    builder,
                    columns: vec![("Count".to_string(), KqlType::Long)],
                })
            }
            OperatorKind::Summarize { aggregates, by } => {
                self.summarize(frame, aggregates, by, span)
            }
            OperatorKind::Distinct(items) => {
                if items.iter().any(|i| matches!(i.expr.kind, ExprKind::Star)) {
                    let builder = wrap(self, frame.builder.distinct())?;
                    return Ok(Frame {
                        builder,
                        columns: frame.columns,
                    });
                }
                self.summarize(frame, &[], items, span)
            }
            OperatorKind::Error => {
                Err(self.error(ErrorKind::Syntax, "this operator could not be read", span))
            }
        }
    }

    /// Checks a function's argument count; the message names the function and what it takes.
    fn arity(
        &self,
        function: &str,
        args: &[Expr],
        min: usize,
        max: usize,
        span: Span,
    ) -> Result<(), QueryError> {
        if (min..=max).contains(&args.len()) {
            return Ok(());
        }
        let expected = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        Err(self.semantic(
            format!(
                "{function}() takes {expected} argument(s), got {}",
                args.len()
            ),
            span,
        ))
    }

    fn require_column(&self, frame: &Frame, name: &Ident) -> Result<KqlType, QueryError> {
        frame
            .column_type(&name.name)
            .ok_or_else(|| self.unknown_column(frame, &name.name, name.span))
    }

    fn unknown_column(&self, frame: &Frame, name: &str, span: Span) -> QueryError {
        let mut message = format!("unknown column '{name}'");
        if let Some((near, _)) = frame
            .columns
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            message.push_str(&format!(
                " (column names are case-sensitive: did you mean '{near}'?)"
            ));
        }
        self.semantic(message, span)
    }

    /// The output name of `Name = expr` or a bare expression: a column keeps its name, a call on a
    /// column like `bin(Timestamp, 1h)` takes the column's, anything else is `ColumnN`.
    fn output_name(
        &self,
        item: &NamedExpr,
        index: usize,
        taken: &[(String, KqlType)],
    ) -> Result<String, QueryError> {
        let name = match &item.name {
            Some(ident) => ident.name.clone(),
            None => match &item.expr.kind {
                ExprKind::Column(name) => name.clone(),
                ExprKind::Call { name, args }
                    if matches!(name.name.as_str(), "bin" | "floor" | "bin_at") =>
                {
                    match args.first().map(|a| &a.kind) {
                        Some(ExprKind::Column(col)) => col.clone(),
                        _ => format!("Column{}", index + 1),
                    }
                }
                _ => format!("Column{}", index + 1),
            },
        };
        if taken.iter().any(|(n, _)| *n == name) {
            let span = item.name.as_ref().map_or(item.expr.span, |i| i.span);
            return Err(self.semantic(format!("the column '{name}' is defined twice"), span));
        }
        Ok(name)
    }

    fn row_count(&mut self, count: &Expr) -> Result<usize, QueryError> {
        let typed = self.expr(count, &Frame::empty())?;
        match typed.literal {
            Some(Literal::Long(n)) if n >= 0 => Ok(n as usize),
            _ => Err(self.semantic("expected a non-negative whole number of rows", count.span)),
        }
    }

    fn sort_key(&mut self, key: &SortKey, frame: &Frame) -> Result<SortExpr, QueryError> {
        let typed = self.expr(&key.expr, frame)?;
        let ascending = key.order == Some(SortOrder::Asc);
        // KQL: ascending puts nulls first, descending puts them last, unless told otherwise.
        let nulls_first = match key.nulls {
            Some(NullsOrder::First) => true,
            Some(NullsOrder::Last) => false,
            None => ascending,
        };
        Ok(SortExpr::new(typed.expr, ascending, nulls_first))
    }

    fn summarize(
        &mut self,
        frame: Frame,
        aggregates: &[NamedExpr],
        by: &[NamedExpr],
        span: Span,
    ) -> Result<Frame, QueryError> {
        let mut columns: Vec<(String, KqlType)> = Vec::new();
        let mut group_exprs = Vec::new();
        for (index, item) in by.iter().enumerate() {
            let typed = self.expr(&item.expr, &frame)?;
            let name = self.output_name(item, index, &columns)?;
            group_exprs.push(typed.expr.alias(name.as_str()));
            columns.push((name, typed.ty));
        }
        let mut aggregate_exprs = Vec::new();
        let mut lists = Vec::new();
        for item in aggregates {
            let (expr, ty, default_name, is_list) = self.aggregate(&item.expr, &frame)?;
            let name = item.name.as_ref().map_or(default_name, |i| i.name.clone());
            if columns.iter().any(|(n, _)| *n == name) {
                return Err(self.semantic(
                    format!("the column '{name}' is defined twice"),
                    item.expr.span,
                ));
            }
            if is_list {
                lists.push(name.clone());
            }
            aggregate_exprs.push(expr.alias(name.as_str()));
            columns.push((name, ty));
        }
        let mut builder = frame
            .builder
            .aggregate(group_exprs, aggregate_exprs)
            .map_err(|e| self.engine_error(e, span))?;
        if !lists.is_empty() {
            let exprs: Vec<DfExpr> = columns
                .iter()
                .map(|(name, _)| {
                    if lists.contains(name) {
                        self.udfs
                            .list_to_json
                            .call(vec![column(name)])
                            .alias(name.as_str())
                    } else {
                        column(name)
                    }
                })
                .collect();
            builder = builder
                .project(exprs)
                .map_err(|e| self.engine_error(e, span))?;
        }
        Ok(Frame { builder, columns })
    }

    /// An aggregate call: (expression, type, default output name, yields a list to turn into JSON).
    fn aggregate(
        &mut self,
        expr: &Expr,
        frame: &Frame,
    ) -> Result<(DfExpr, KqlType, String, bool), QueryError> {
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
        let default_name = format!("{function}_{suffix}");
        let result = match function {
            "count" => {
                if args.len() > 1 {
                    return Err(self.semantic("count() takes at most one argument", expr.span));
                }
                let counted = match args.first() {
                    Some(arg) => self.expr(arg, frame)?.expr,
                    None => lit(1i64),
                };
                // `count()` is `count_`, `count(X)` is `count_X`.
                (agg::count(counted), KqlType::Long, default_name, false)
            }
            "countif" => {
                self.arity(function, args, 1, 1, expr.span)?;
                let condition = self.condition(&args[0], frame)?;
                (
                    agg::sum(
                        when(condition, lit(1i64))
                            .otherwise(lit(0i64))
                            .map_err(|e| self.engine_error(e, expr.span))?,
                    ),
                    KqlType::Long,
                    "countif_".to_string(),
                    false,
                )
            }
            "dcount" => {
                if args.is_empty() || args.len() > 2 {
                    return Err(self.semantic(
                        "dcount() takes the expression (and an optional accuracy)",
                        expr.span,
                    ));
                }
                let value = self.expr(&args[0], frame)?;
                (
                    agg::count_distinct(value.expr),
                    KqlType::Long,
                    default_name,
                    false,
                )
            }
            "sum" | "avg" | "min" | "max" => {
                self.arity(function, args, 1, 1, expr.span)?;
                let value = self.expr(&args[0], frame)?;
                let numeric_only = matches!(function, "sum" | "avg");
                if numeric_only && !is_numeric(value.ty) && value.ty != KqlType::Timespan {
                    return Err(self.semantic(
                        format!(
                            "{function}() needs a number, this is a {}",
                            value.ty.kql_name()
                        ),
                        args[0].span,
                    ));
                }
                let (df, ty) = match function {
                    "sum" => (
                        agg::sum(value.expr),
                        if value.ty == KqlType::Int {
                            KqlType::Long
                        } else {
                            value.ty
                        },
                    ),
                    "avg" => (agg::avg(value.expr), KqlType::Real),
                    "min" => (agg::min(value.expr), value.ty),
                    _ => (agg::max(value.expr), value.ty),
                };
                (df, ty, default_name, false)
            }
            "make_set" | "makeset" | "make_list" | "makelist" => {
                if args.is_empty() || args.len() > 2 {
                    return Err(self.semantic(
                        format!("{function}() takes the expression (and an optional size limit)"),
                        expr.span,
                    ));
                }
                let value = self.expr(&args[0], frame)?;
                let distinct = function.contains("set");
                let base = agg::array_agg(value.expr.clone());
                let built = if distinct {
                    base.distinct().filter(value.expr.is_not_null()).build()
                } else {
                    base.filter(value.expr.is_not_null()).build()
                };
                // The deprecated spellings keep their own default names (`set_X`, `list_X`).
                let canonical = match function {
                    "makeset" => "set",
                    "makelist" => "list",
                    _ if distinct => "make_set",
                    _ => "make_list",
                };
                (
                    built.map_err(|e| self.engine_error(e, expr.span))?,
                    KqlType::Dynamic,
                    format!("{canonical}_{suffix}"),
                    true,
                )
            }
            "take_any" | "any" | "anyif" => {
                self.arity(function, args, 1, 1, expr.span)?;
                let value = self.expr(&args[0], frame)?;
                (
                    agg::first_value(value.expr, vec![]),
                    value.ty,
                    default_name,
                    false,
                )
            }
            _ => {
                let message = if known_function_names().contains(function) {
                    format!("the aggregate '{function}' is not supported by the local engine yet")
                } else {
                    format!("unknown aggregate function '{function}'")
                };
                return Err(self.unsupported(message, name.span));
            }
        };
        Ok(result)
    }

    // ---- scalar ----------------------------------------------------------------------------------

    fn condition(&mut self, expr: &Expr, frame: &Frame) -> Result<DfExpr, QueryError> {
        let typed = self.expr(expr, frame)?;
        if typed.ty != KqlType::Bool {
            return Err(self.semantic(
                format!(
                    "expected a true/false condition, this is a {}",
                    typed.ty.kql_name()
                ),
                expr.span,
            ));
        }
        Ok(typed.expr)
    }

    fn expr(&mut self, expr: &Expr, frame: &Frame) -> Result<Typed, QueryError> {
        match &expr.kind {
            ExprKind::Literal(literal) => self.literal(literal, expr.span),
            ExprKind::Column(name) => {
                if let Some(ty) = frame.column_type(name) {
                    return Ok(Typed::new(column(name), ty));
                }
                if let Some(typed) = self.scalars.get(name) {
                    return Ok(typed.clone());
                }
                if self.tabulars.contains_key(name) || self.catalog.get(name).is_some() {
                    return Err(self.unsupported(
                        format!("'{name}' is a table: using a table inside an expression (such as `in ({name})`) is not supported yet"),
                        expr.span,
                    ));
                }
                Err(self.unknown_column(frame, name, expr.span))
            }
            ExprKind::Star => Err(self.semantic("'*' is not allowed here", expr.span)),
            ExprKind::Error => Err(self.error(
                ErrorKind::Syntax,
                "this expression could not be read",
                expr.span,
            )),
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                let typed = self.expr(operand, frame)?;
                if !is_numeric(typed.ty) && typed.ty != KqlType::Timespan {
                    return Err(self.semantic(
                        format!("cannot negate a {}", typed.ty.kql_name()),
                        expr.span,
                    ));
                }
                Ok(Typed::new(DfExpr::Negative(Box::new(typed.expr)), typed.ty))
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                let condition = self.condition(operand, frame)?;
                Ok(Typed::new(condition.not(), KqlType::Bool))
            }
            ExprKind::Binary { op, left, right } => self.binary(*op, left, right, expr.span, frame),
            ExprKind::In {
                value,
                list,
                negated,
                case_insensitive,
            } => {
                let value = self.expr(value, frame)?;
                let mut items = Vec::new();
                for item in list {
                    let typed = self.expr(item, frame)?;
                    // A dynamic array literal (often a let) expands into its elements.
                    if let Some(Literal::Dynamic(json)) = &typed.literal
                        && let Ok(serde_json::Value::Array(elements)) =
                            serde_json::from_str::<serde_json::Value>(json)
                    {
                        for element in elements {
                            items.push(json_literal(&element));
                        }
                        continue;
                    }
                    items.push(typed);
                }
                let mut lhs = self.comparable_text(value);
                let mut rhs: Vec<DfExpr> = items
                    .into_iter()
                    .map(|t| self.comparable_text(t).expr)
                    .collect();
                if *case_insensitive {
                    lhs = Typed::new(f::lower(lhs.expr), KqlType::String);
                    rhs = rhs.into_iter().map(f::lower).collect();
                }
                Ok(Typed::new(in_list(lhs.expr, rhs, *negated), KqlType::Bool))
            }
            ExprKind::Between {
                value,
                low,
                high,
                negated,
            } => {
                let value = self.expr(value, frame)?;
                let low = self.expr(low, frame)?;
                let mut high = self.expr(high, frame)?;
                // `datetime between (start .. 1d)` means start .. start + 1d.
                if value.ty == KqlType::DateTime && high.ty == KqlType::Timespan {
                    high = Typed::new(
                        binary_expr(low.expr.clone(), DfOp::Plus, high.expr),
                        KqlType::DateTime,
                    );
                }
                let between = if *negated {
                    value.expr.not_between(low.expr, high.expr)
                } else {
                    value.expr.between(low.expr, high.expr)
                };
                Ok(Typed::new(between, KqlType::Bool))
            }
            ExprKind::Member { target, key } => {
                let target = self.dynamic_target(target, frame)?;
                Ok(Typed::new(
                    self.udfs.get.call(vec![target, lit(key.as_str())]),
                    KqlType::Dynamic,
                ))
            }
            ExprKind::Index { target, index } => {
                let target = self.dynamic_target(target, frame)?;
                let index = self.expr(index, frame)?;
                let key = if index.ty == KqlType::String {
                    index.expr
                } else {
                    cast(index.expr, datafusion::arrow::datatypes::DataType::Utf8)
                };
                let udf = if index.ty == KqlType::String {
                    &self.udfs.get
                } else {
                    &self.udfs.index
                };
                Ok(Typed::new(udf.call(vec![target, key]), KqlType::Dynamic))
            }
            ExprKind::Call { name, args } => self.call(name, args, expr.span, frame),
        }
    }

    /// The JSON text a member access reads: `parse_json(x).a` reads `x` directly (the access
    /// parses anyway), strings are read as JSON too.
    fn dynamic_target(&mut self, target: &Expr, frame: &Frame) -> Result<DfExpr, QueryError> {
        if let ExprKind::Call { name, args } = &target.kind
            && matches!(name.name.as_str(), "parse_json" | "todynamic" | "toobject")
            && args.len() == 1
        {
            let inner = self.expr(&args[0], frame)?;
            if is_textual(inner.ty) || inner.ty == KqlType::Dynamic {
                return Ok(inner.expr);
            }
        }
        let typed = self.expr(target, frame)?;
        match typed.ty {
            KqlType::Dynamic | KqlType::String => Ok(typed.expr),
            other => Err(self.semantic(
                format!(
                    "only dynamic values have properties, this is a {}",
                    other.kql_name()
                ),
                target.span,
            )),
        }
    }

    /// Dynamic values compare by their value: `d.a == "x"` compares the string inside.
    fn comparable_text(&self, typed: Typed) -> Typed {
        if typed.ty == KqlType::Dynamic && typed.literal.is_none() {
            Typed::new(self.udfs.to_text.call(vec![typed.expr]), KqlType::String)
        } else {
            typed
        }
    }

    fn literal(&self, literal: &Literal, span: Span) -> Result<Typed, QueryError> {
        let (expr, ty) = match literal {
            Literal::String(s) => (lit(s.as_str()), KqlType::String),
            Literal::Long(v) => (lit(*v), KqlType::Long),
            Literal::Real(v) => (lit(*v), KqlType::Real),
            Literal::Bool(v) => (lit(*v), KqlType::Bool),
            Literal::Timespan(ticks) => (
                lit(ScalarValue::DurationNanosecond(Some(
                    ticks.saturating_mul(100),
                ))),
                KqlType::Timespan,
            ),
            Literal::Datetime(text) => match super::time::parse_datetime(text) {
                Some(nanos) => (timestamp_literal(nanos), KqlType::DateTime),
                None => {
                    return Err(self.semantic(
                        format!(
                            "'{}' is not a date and time KQL can read",
                            text.escape_debug()
                        ),
                        span,
                    ));
                }
            },
            Literal::Null(type_name) => {
                let ty = KqlType::from_kql_name(type_name).unwrap_or(KqlType::String);
                let null =
                    ScalarValue::try_from(&ty.arrow_type()).unwrap_or(ScalarValue::Utf8(None));
                (lit(null), ty)
            }
            Literal::Dynamic(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) => (lit(value.to_string()), KqlType::Dynamic),
                Err(e) => {
                    return Err(
                        self.semantic(format!("dynamic(...) holds invalid JSON: {e}"), span)
                    );
                }
            },
        };
        Ok(Typed {
            expr,
            ty,
            literal: Some(literal.clone()),
        })
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        if let BinaryOp::And | BinaryOp::Or = op {
            let (l, r) = (self.condition(left, frame)?, self.condition(right, frame)?);
            return Ok(Typed::new(
                if op == BinaryOp::And {
                    l.and(r)
                } else {
                    l.or(r)
                },
                KqlType::Bool,
            ));
        }
        let l = self.expr(left, frame)?;
        let r = self.expr(right, frame)?;
        if let BinaryOp::Str(string_op) = op {
            return self.string_op(string_op, l, r, left.span, right.span);
        }
        let (l, r) = self.align_for_comparison(l, r);
        let comparison = |df_op: DfOp| -> Result<Typed, QueryError> {
            Ok(Typed::new(
                binary_expr(l.expr.clone(), df_op, r.expr.clone()),
                KqlType::Bool,
            ))
        };
        match op {
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                self.check_comparable(&l, &r, span)?;
                // An empty string equals a missing one: KQL strings have no null.
                let empty = |t: &Typed| t.literal_string() == Some("");
                if matches!(op, BinaryOp::Eq | BinaryOp::NotEq) && (empty(&l) || empty(&r)) {
                    let other = if empty(&l) { &r } else { &l };
                    let is_empty = other
                        .expr
                        .clone()
                        .is_null()
                        .or(other.expr.clone().eq(lit("")));
                    return Ok(Typed::new(
                        if op == BinaryOp::Eq {
                            is_empty
                        } else {
                            is_empty.not()
                        },
                        KqlType::Bool,
                    ));
                }
                match op {
                    BinaryOp::Eq => comparison(DfOp::Eq),
                    // KQL: a comparison with null is false, but `!=` with null is true.
                    BinaryOp::NotEq => comparison(DfOp::IsDistinctFrom),
                    BinaryOp::Lt => comparison(DfOp::Lt),
                    BinaryOp::Le => comparison(DfOp::LtEq),
                    BinaryOp::Gt => comparison(DfOp::Gt),
                    _ => comparison(DfOp::GtEq),
                }
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                let ty = self.arithmetic_type(op, l.ty, r.ty).ok_or_else(|| {
                    self.semantic(
                        format!(
                            "cannot apply '{}' to {} and {}",
                            op_symbol(op),
                            l.ty.kql_name(),
                            r.ty.kql_name()
                        ),
                        span,
                    )
                })?;
                let df_op = match op {
                    BinaryOp::Add => DfOp::Plus,
                    BinaryOp::Sub => DfOp::Minus,
                    BinaryOp::Mul => DfOp::Multiply,
                    BinaryOp::Div => DfOp::Divide,
                    _ => DfOp::Modulo,
                };
                Ok(Typed::new(binary_expr(l.expr, df_op, r.expr), ty))
            }
            BinaryOp::And | BinaryOp::Or | BinaryOp::Str(_) => unreachable!("handled above"),
        }
    }

    /// Dynamic values compared with plain values are read as that kind of value.
    fn align_for_comparison(&self, l: Typed, r: Typed) -> (Typed, Typed) {
        let read_as = |d: Typed, other: KqlType| -> Typed {
            let text = self.udfs.to_text.call(vec![d.expr]);
            match other {
                KqlType::String | KqlType::Guid => Typed::new(text, KqlType::String),
                KqlType::Bool
                | KqlType::Int
                | KqlType::Long
                | KqlType::Real
                | KqlType::Decimal
                | KqlType::DateTime
                | KqlType::Timespan => Typed::new(try_cast(text, other.arrow_type()), other),
                KqlType::Dynamic => Typed::new(text, KqlType::String),
            }
        };
        // KQL compares a bool with a number as 0/1.
        let as_number = |t: Typed| {
            Typed::new(
                cast(t.expr, datafusion::arrow::datatypes::DataType::Int64),
                KqlType::Long,
            )
        };
        match (l.ty, r.ty) {
            (KqlType::Bool, other) if is_numeric(other) => return (as_number(l), r),
            (other, KqlType::Bool) if is_numeric(other) => return (l, as_number(r)),
            _ => {}
        }
        match (l.ty, r.ty) {
            (KqlType::Dynamic, KqlType::Dynamic) => (l, r),
            (KqlType::Dynamic, other) => (read_as(l, other), r),
            (other, KqlType::Dynamic) => {
                let ty = other;
                (l, read_as(r, ty))
            }
            _ => (l, r),
        }
    }

    fn check_comparable(&self, l: &Typed, r: &Typed, span: Span) -> Result<(), QueryError> {
        let class = |t: KqlType| match t {
            KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal => 0,
            KqlType::String | KqlType::Guid | KqlType::Dynamic => 1,
            KqlType::DateTime => 2,
            KqlType::Timespan => 3,
            KqlType::Bool => 4,
        };
        let null_literal = |t: &Typed| matches!(t.literal, Some(Literal::Null(_)));
        if class(l.ty) != class(r.ty) && !null_literal(l) && !null_literal(r) {
            return Err(self.semantic(
                format!(
                    "cannot compare a {} with a {}",
                    l.ty.kql_name(),
                    r.ty.kql_name()
                ),
                span,
            ));
        }
        Ok(())
    }

    fn arithmetic_type(&self, op: BinaryOp, l: KqlType, r: KqlType) -> Option<KqlType> {
        use KqlType::*;
        Some(match (op, l, r) {
            (_, Real, x) | (_, x, Real) if is_numeric(x) => Real,
            (_, Long, x) | (_, x, Long) if is_numeric(x) => Long,
            (_, Int, Int) => Int,
            (BinaryOp::Sub, DateTime, DateTime) => Timespan,
            (BinaryOp::Add | BinaryOp::Sub, DateTime, Timespan) => DateTime,
            (BinaryOp::Add, Timespan, DateTime) => DateTime,
            (BinaryOp::Add | BinaryOp::Sub, Timespan, Timespan) => Timespan,
            (BinaryOp::Mul, Timespan, x) | (BinaryOp::Mul, x, Timespan) if is_numeric(x) => {
                Timespan
            }
            (BinaryOp::Div, Timespan, x) if is_numeric(x) => Timespan,
            _ => return None,
        })
    }

    fn string_op(
        &self,
        op: StringOp,
        l: Typed,
        r: Typed,
        left_span: Span,
        right_span: Span,
    ) -> Result<Typed, QueryError> {
        let l = self.as_text(l, left_span)?;
        let r = self.as_text(r, right_span)?;
        let needle = r.literal_string().map(str::to_string);
        let ci = !op.case_sensitive;
        let like = |pattern: String| -> DfExpr {
            DfExpr::Like(datafusion::logical_expr::expr::Like::new(
                op.negated,
                Box::new(l.expr.clone()),
                Box::new(lit(pattern)),
                Some('\\'),
                ci,
            ))
        };
        let negate = |e: DfExpr| if op.negated { e.not() } else { e };
        let expr = match op.kind {
            StringOpKind::Equals => {
                let (a, b) = (
                    f::lower(l.expr.clone()),
                    match &needle {
                        Some(n) => lit(n.to_lowercase()),
                        None => f::lower(r.expr.clone()),
                    },
                );
                if op.negated {
                    binary_expr(a, DfOp::IsDistinctFrom, b)
                } else {
                    a.eq(b)
                }
            }
            StringOpKind::Contains | StringOpKind::StartsWith | StringOpKind::EndsWith => {
                match &needle {
                    Some(n) => {
                        let e = like_escape(n);
                        like(match op.kind {
                            StringOpKind::Contains => format!("%{e}%"),
                            StringOpKind::StartsWith => format!("{e}%"),
                            _ => format!("%{e}"),
                        })
                    }
                    None => {
                        let (a, b) = if ci {
                            (f::lower(l.expr.clone()), f::lower(r.expr.clone()))
                        } else {
                            (l.expr.clone(), r.expr.clone())
                        };
                        negate(match op.kind {
                            StringOpKind::Contains => f::strpos(a, b).gt(lit(0i64)),
                            StringOpKind::StartsWith => f::starts_with(a, b),
                            _ => f::ends_with(a, b),
                        })
                    }
                }
            }
            StringOpKind::Has | StringOpKind::HasPrefix | StringOpKind::HasSuffix => negate(
                self.udfs
                    .term(op.kind, op.case_sensitive)
                    .call(vec![l.expr.clone(), r.expr.clone()]),
            ),
            StringOpKind::MatchesRegex => {
                if let Some(pattern) = &needle
                    && let Err(e) = regex_check(pattern)
                {
                    return Err(
                        self.semantic(format!("invalid regular expression: {e}"), right_span)
                    );
                }
                negate(f::regexp_like(l.expr.clone(), r.expr.clone(), None))
            }
        };
        Ok(Typed::new(expr, KqlType::Bool))
    }

    /// String operators work on text; other scalars are read as their text.
    fn as_text(&self, typed: Typed, span: Span) -> Result<Typed, QueryError> {
        match typed.ty {
            KqlType::String | KqlType::Guid => Ok(typed),
            KqlType::Dynamic => Ok(self.comparable_text(typed)),
            KqlType::Long | KqlType::Int | KqlType::Real | KqlType::Bool => {
                let literal = typed.literal.clone();
                let mut text = Typed::new(
                    cast(typed.expr, datafusion::arrow::datatypes::DataType::Utf8),
                    KqlType::String,
                );
                text.literal = literal.map(|l| Literal::String(literal_text(&l)));
                Ok(text)
            }
            other => Err(self.semantic(
                format!("string operators need text, this is a {}", other.kql_name()),
                span,
            )),
        }
    }

    fn call(
        &mut self,
        name: &Ident,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        let function = name.name.as_str();
        let arg = |planner: &mut Self, i: usize| planner.expr(&args[i], frame);
        let result = match function {
            "ago" => {
                self.arity(function, args, 1, 1, span)?;
                let offset = self.constant_timespan(&args[0])?;
                let nanos = self.now_nanos.saturating_sub(offset);
                let mut typed = Typed::new(timestamp_literal(nanos), KqlType::DateTime);
                typed.literal = Some(Literal::Datetime(crate::results::format::format_datetime(
                    nanos,
                )));
                typed
            }
            "now" => {
                self.arity(function, args, 0, 1, span)?;
                let offset = if args.is_empty() {
                    0
                } else {
                    self.constant_timespan(&args[0])?
                };
                Typed::new(
                    timestamp_literal(self.now_nanos.saturating_add(offset)),
                    KqlType::DateTime,
                )
            }
            "tolower" | "toupper" => {
                self.arity(function, args, 1, 1, span)?;
                let value = arg(self, 0)?;
                let text = self.as_text(value, args[0].span)?;
                Typed::new(
                    if function == "tolower" {
                        f::lower(text.expr)
                    } else {
                        f::upper(text.expr)
                    },
                    KqlType::String,
                )
            }
            "strlen" => {
                self.arity(function, args, 1, 1, span)?;
                let value = arg(self, 0)?;
                let text = self.as_text(value, args[0].span)?;
                Typed::new(
                    cast(
                        f::character_length(text.expr),
                        datafusion::arrow::datatypes::DataType::Int64,
                    ),
                    KqlType::Long,
                )
            }
            "strcat" => {
                if args.is_empty() {
                    return Err(self.semantic("strcat() needs at least one argument", span));
                }
                let mut parts = Vec::new();
                for i in 0..args.len() {
                    let value = arg(self, i)?;
                    parts.push(self.to_string_expr(value));
                }
                Typed::new(f::concat(parts), KqlType::String)
            }
            "tostring" => {
                self.arity(function, args, 1, 1, span)?;
                let value = arg(self, 0)?;
                Typed::new(self.to_string_expr(value), KqlType::String)
            }
            "toint" | "tolong" | "todouble" | "toreal" | "tobool" | "toboolean" | "todatetime"
            | "totimespan" => {
                self.arity(function, args, 1, 1, span)?;
                let ty = match function {
                    "toint" => KqlType::Int,
                    "tolong" => KqlType::Long,
                    "todouble" | "toreal" => KqlType::Real,
                    "tobool" | "toboolean" => KqlType::Bool,
                    "todatetime" => KqlType::DateTime,
                    _ => KqlType::Timespan,
                };
                let value = arg(self, 0)?;
                let source = if value.ty == KqlType::Dynamic {
                    self.udfs.to_text.call(vec![value.expr])
                } else {
                    value.expr
                };
                Typed::new(try_cast(source, ty.arrow_type()), ty)
            }
            "isempty" | "isnotempty" => {
                self.arity(function, args, 1, 1, span)?;
                let value = arg(self, 0)?;
                let empty = if is_textual(value.ty) || value.ty == KqlType::Dynamic {
                    value.expr.clone().is_null().or(value.expr.eq(lit("")))
                } else {
                    value.expr.is_null()
                };
                Typed::new(
                    if function == "isempty" {
                        empty
                    } else {
                        empty.not()
                    },
                    KqlType::Bool,
                )
            }
            "isnull" | "isnotnull" => {
                self.arity(function, args, 1, 1, span)?;
                let value = arg(self, 0)?;
                Typed::new(
                    if function == "isnull" {
                        value.expr.is_null()
                    } else {
                        value.expr.is_not_null()
                    },
                    KqlType::Bool,
                )
            }
            "not" => {
                self.arity(function, args, 1, 1, span)?;
                Typed::new(self.condition(&args[0], frame)?.not(), KqlType::Bool)
            }
            "iff" | "iif" => {
                self.arity(function, args, 3, 3, span)?;
                let condition = self.condition(&args[0], frame)?;
                let (then, otherwise) = (arg(self, 1)?, arg(self, 2)?);
                let ty = then.ty;
                let case = when(condition, then.expr)
                    .otherwise(otherwise.expr)
                    .map_err(|e| self.engine_error(e, span))?;
                Typed::new(case, ty)
            }
            "case" => {
                if args.len() < 3 || args.len().is_multiple_of(2) {
                    return Err(self.semantic(
                        "case() takes condition/value pairs and a final else value",
                        span,
                    ));
                }
                let mut builder =
                    None::<datafusion::logical_expr::conditional_expressions::CaseBuilder>;
                let mut ty = KqlType::String;
                for pair in 0..args.len() / 2 {
                    let condition = self.condition(&args[pair * 2], frame)?;
                    let value = arg(self, pair * 2 + 1)?;
                    ty = value.ty;
                    builder = Some(match builder {
                        None => when(condition, value.expr),
                        Some(mut b) => b.when(condition, value.expr),
                    });
                }
                let otherwise = arg(self, args.len() - 1)?;
                let mut builder = builder.expect("case() has at least one pair");
                Typed::new(
                    builder
                        .otherwise(otherwise.expr)
                        .map_err(|e| self.engine_error(e, span))?,
                    ty,
                )
            }
            "coalesce" => {
                if args.is_empty() {
                    return Err(self.semantic("coalesce() needs at least one argument", span));
                }
                let mut values = Vec::new();
                let mut ty = KqlType::String;
                for i in 0..args.len() {
                    let value = arg(self, i)?;
                    ty = value.ty;
                    values.push(value.expr);
                }
                Typed::new(f::coalesce(values), ty)
            }
            "bin" | "floor" => {
                self.arity(function, args, 2, 2, span)?;
                let value = arg(self, 0)?;
                let size = arg(self, 1)?;
                self.bin(value, size, span)?
            }
            "substring" => {
                self.arity(function, args, 2, 3, span)?;
                let value = arg(self, 0)?;
                let text = self.as_text(value, args[0].span)?;
                let start = arg(self, 1)?;
                // KQL counts from 0, DataFusion from 1.
                let from = binary_expr(
                    cast(start.expr, datafusion::arrow::datatypes::DataType::Int64),
                    DfOp::Plus,
                    lit(1i64),
                );
                let expr = if args.len() == 3 {
                    let length = arg(self, 2)?;
                    f::substring(
                        text.expr,
                        from,
                        cast(length.expr, datafusion::arrow::datatypes::DataType::Int64),
                    )
                } else {
                    f::substr(text.expr, from)
                };
                Typed::new(expr, KqlType::String)
            }
            "indexof" => {
                self.arity(function, args, 2, 2, span)?;
                let (value, needle) = (arg(self, 0)?, arg(self, 1)?);
                let (value, needle) = (
                    self.as_text(value, args[0].span)?,
                    self.as_text(needle, args[1].span)?,
                );
                Typed::new(
                    binary_expr(
                        cast(
                            f::strpos(value.expr, needle.expr),
                            datafusion::arrow::datatypes::DataType::Int64,
                        ),
                        DfOp::Minus,
                        lit(1i64),
                    ),
                    KqlType::Long,
                )
            }
            "replace_string" => {
                self.arity(function, args, 3, 3, span)?;
                let (text, lookup, rewrite) = (arg(self, 0)?, arg(self, 1)?, arg(self, 2)?);
                Typed::new(
                    f::replace(text.expr, lookup.expr, rewrite.expr),
                    KqlType::String,
                )
            }
            "replace_regex" | "replace" => {
                self.arity(function, args, 3, 3, span)?;
                // `replace(regex, rewrite, text)` is the deprecated order.
                let (text_at, pattern_at, rewrite_at) = if function == "replace" {
                    (2, 0, 1)
                } else {
                    (0, 1, 2)
                };
                let text = arg(self, text_at)?;
                let text = self.as_text(text, args[text_at].span)?;
                let pattern = arg(self, pattern_at)?;
                if let Some(p) = pattern.literal_string()
                    && let Err(e) = regex_check(p)
                {
                    return Err(self.semantic(
                        format!("invalid regular expression: {e}"),
                        args[pattern_at].span,
                    ));
                }
                let rewrite = arg(self, rewrite_at)?;
                // KQL writes capture groups as \1; the regex engine as ${1}.
                let rewrite = match rewrite.literal_string() {
                    Some(r) => lit(kql_rewrite_to_regex(r)),
                    None => rewrite.expr,
                };
                Typed::new(
                    f::regexp_replace(text.expr, pattern.expr, rewrite, Some(lit("g"))),
                    KqlType::String,
                )
            }
            "pack_array" | "make_array" => {
                // A list of constants is a dynamic literal (typically a let used with `in`).
                let mut items = Vec::new();
                for item in args {
                    match &item.kind {
                        ExprKind::Literal(Literal::String(s)) => items.push(serde_json::Value::String(s.clone())),
                        ExprKind::Literal(Literal::Long(v)) => items.push(serde_json::Value::from(*v)),
                        ExprKind::Literal(Literal::Real(v)) => items.push(serde_json::Value::from(*v)),
                        ExprKind::Literal(Literal::Bool(v)) => items.push(serde_json::Value::Bool(*v)),
                        _ => return Err(self.unsupported("pack_array() of non-constant values is not supported by the local engine yet", item.span)),
                    }
                }
                self.literal(
                    &Literal::Dynamic(serde_json::Value::Array(items).to_string()),
                    span,
                )?
            }
            "parse_json" | "todynamic" | "toobject" => {
                self.arity(function, args, 1, 1, span)?;
                let value = arg(self, 0)?;
                match value.ty {
                    KqlType::Dynamic => value,
                    KqlType::String | KqlType::Guid => Typed::new(
                        self.udfs.parse_json.call(vec![value.expr]),
                        KqlType::Dynamic,
                    ),
                    other => Typed::new(
                        cast(value.expr, datafusion::arrow::datatypes::DataType::Utf8),
                        if other == KqlType::String {
                            KqlType::String
                        } else {
                            KqlType::Dynamic
                        },
                    ),
                }
            }
            "array_length" => {
                self.arity(function, args, 1, 1, span)?;
                let value = arg(self, 0)?;
                Typed::new(self.udfs.array_length.call(vec![value.expr]), KqlType::Long)
            }
            "has_any" | "has_all" | "has_any_cs" | "has_all_cs" => {
                if args.len() < 2 {
                    return Err(self.semantic(
                        format!("{function} needs a value and at least one term"),
                        span,
                    ));
                }
                let value = arg(self, 0)?;
                let value = self.as_text(value, args[0].span)?;
                let mut terms = Vec::new();
                for (i, term_expr) in args.iter().enumerate().skip(1) {
                    let term = arg(self, i)?;
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
                let udf = self.udfs.term(StringOpKind::Has, case_sensitive);
                let any = function.starts_with("has_any");
                let combined = terms
                    .into_iter()
                    .map(|t| udf.call(vec![value.expr.clone(), self.to_string_expr(t)]))
                    .reduce(|a, b| if any { a.or(b) } else { a.and(b) })
                    .unwrap_or(lit(!any));
                Typed::new(combined, KqlType::Bool)
            }
            _ => {
                let aggregate_names = [
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
                    "arg_max",
                    "arg_min",
                    "percentile",
                    "percentiles",
                ];
                let message = if aggregate_names.contains(&function) {
                    format!("the aggregate '{function}' can only be used in summarize")
                } else if known_function_names().contains(function) {
                    format!("the function '{function}' is not supported by the local engine yet")
                } else {
                    format!("unknown function '{function}'")
                };
                return Err(self.unsupported(message, name.span));
            }
        };
        Ok(result)
    }

    fn to_string_expr(&self, typed: Typed) -> DfExpr {
        match typed.ty {
            KqlType::String | KqlType::Guid => f::coalesce(vec![typed.expr, lit("")]),
            KqlType::Dynamic => self.udfs.to_text.call(vec![typed.expr]),
            _ => f::coalesce(vec![
                cast(typed.expr, datafusion::arrow::datatypes::DataType::Utf8),
                lit(""),
            ]),
        }
    }

    fn constant_timespan(&mut self, expr: &Expr) -> Result<i64, QueryError> {
        let typed = self.expr(expr, &Frame::empty())?;
        match typed.literal {
            Some(Literal::Timespan(ticks)) => Ok(ticks.saturating_mul(100)),
            _ => Err(self.semantic("expected a timespan such as 7d or 1h", expr.span)),
        }
    }

    fn bin(&self, value: Typed, size: Typed, span: Span) -> Result<Typed, QueryError> {
        match (value.ty, size.ty) {
            (KqlType::DateTime, KqlType::Timespan) => {
                let Some(Literal::Timespan(ticks)) = size.literal else {
                    return Err(self.semantic(
                        "bin() on a datetime needs a constant timespan such as 1h",
                        span,
                    ));
                };
                if ticks <= 0 {
                    return Err(self.semantic("bin() needs a positive size", span));
                }
                let interval = lit(ScalarValue::new_interval_mdn(
                    0,
                    0,
                    ticks.saturating_mul(100),
                ));
                Ok(Typed::new(
                    f::date_bin(interval, value.expr, timestamp_literal(0)),
                    KqlType::DateTime,
                ))
            }
            (v, s) if is_numeric(v) && is_numeric(s) => {
                if matches!(size.literal, Some(Literal::Long(n)) if n <= 0)
                    || matches!(size.literal, Some(Literal::Real(n)) if n <= 0.0)
                {
                    return Err(self.semantic("bin() needs a positive size", span));
                }
                let real = v == KqlType::Real || s == KqlType::Real;
                let as_real = |e: DfExpr| cast(e, datafusion::arrow::datatypes::DataType::Float64);
                let floored = binary_expr(
                    f::floor(binary_expr(
                        as_real(value.expr),
                        DfOp::Divide,
                        as_real(size.expr.clone()),
                    )),
                    DfOp::Multiply,
                    as_real(size.expr),
                );
                if real {
                    Ok(Typed::new(floored, KqlType::Real))
                } else {
                    Ok(Typed::new(
                        cast(floored, datafusion::arrow::datatypes::DataType::Int64),
                        KqlType::Long,
                    ))
                }
            }
            (KqlType::Timespan, KqlType::Timespan) => Err(self.unsupported(
                "bin() of a timespan is not supported by the local engine yet",
                span,
            )),
            (v, s) => Err(self.semantic(
                format!(
                    "bin() cannot round a {} by a {}",
                    v.kql_name(),
                    s.kql_name()
                ),
                span,
            )),
        }
    }
}

fn op_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        _ => "?",
    }
}

fn literal_text(literal: &Literal) -> String {
    match literal {
        Literal::String(s) => s.clone(),
        Literal::Long(v) => v.to_string(),
        Literal::Real(v) => crate::results::format::format_real(*v),
        Literal::Bool(v) => v.to_string(),
        Literal::Timespan(v) => crate::results::format::format_timespan(v.saturating_mul(100)),
        Literal::Datetime(s) | Literal::Dynamic(s) => s.clone(),
        Literal::Null(_) => String::new(),
    }
}

/// A JSON array element as a typed literal (for `in (dynamic([...]))` and `has_any`).
fn json_literal(value: &serde_json::Value) -> Typed {
    let literal = match value {
        serde_json::Value::String(s) => Literal::String(s.clone()),
        serde_json::Value::Bool(b) => Literal::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Literal::Long(i),
            None => Literal::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        other => Literal::String(other.to_string()),
    };
    let (expr, ty) = match &literal {
        Literal::String(s) => (lit(s.as_str()), KqlType::String),
        Literal::Bool(b) => (lit(*b), KqlType::Bool),
        Literal::Long(i) => (lit(*i), KqlType::Long),
        Literal::Real(r) => (lit(*r), KqlType::Real),
        _ => unreachable!("json_literal makes only these"),
    };
    Typed {
        expr,
        ty,
        literal: Some(literal),
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

/// Checks a regular expression up front so that the error points at the pattern.
fn regex_check(pattern: &str) -> Result<(), String> {
    regex_syntax::Parser::new()
        .parse(pattern)
        .map(|_| ())
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
}
