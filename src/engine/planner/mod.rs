//! KQL syntax tree → DataFusion `LogicalPlan`. Plans are built directly (not through SQL text):
//! DataFusion's SQL front end would lower-case names and split on dots, and KQL names are
//! case-sensitive and may hold anything in brackets. The planner tracks the KQL type of every
//! column next to the plan, so results keep `dynamic`, `guid`, `datetime` and `timespan` apart
//! from `string` and `long` (datetimes and timespans are i64 ticks in Arrow).
//!
//! This file plans tabular operators; `scalar` plans expressions and scalar functions,
//! `aggregate` the aggregation functions of `summarize`.

mod activity;
mod aggregate;
mod columns;
mod evaluate;
mod extremes;
mod functions;
mod graph;
mod graph_expr;
mod graph_match;
mod join;
mod make_series;
mod mv_apply;
mod mv_expand;
mod parse;
mod reduce;
mod scalar;
mod scan;
mod several;
mod sources;
mod subquery;
mod top_nested;
mod union;
mod user_functions;
mod window;

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::common::{Column, ScalarValue, TableReference};
use datafusion::datasource::provider_as_source;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::expr::Sort as SortExpr;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, ScalarUDF, lit};

use super::Catalog;
use super::udf::{
    CoalesceUdf, DynamicOp, DynamicUdf, KqlTextUdf, ParseTimeUdf, TermMatchUdf, TermMode,
};
use crate::backend::{ErrorKind, QueryError};
use crate::kql::Span;
use crate::kql::ast::{
    Expr, ExprKind, Ident, LetValue, Literal, LogicalOp, NamedExpr, NullsOrder, Operator,
    OperatorKind, Pipeline, Query, SortKey, SortOrder, Source, StringOpKind,
};
use crate::results::KqlType;
pub use evaluate::{Discoveries, Discovery, DiscoveryKind};

/// The KQL functions implemented as UDFs, made once per engine.
#[derive(Debug, Clone)]
pub struct Udfs {
    has: [Arc<ScalarUDF>; 6],
    parse_json: Arc<ScalarUDF>,
    get: Arc<ScalarUDF>,
    index: Arc<ScalarUDF>,
    to_text: Arc<ScalarUDF>,
    get_text: Arc<ScalarUDF>,
    array_length: Arc<ScalarUDF>,
    coalesce: Arc<ScalarUDF>,
    coalesce_text: Arc<ScalarUDF>,
    todatetime: Arc<ScalarUDF>,
    totimespan: Arc<ScalarUDF>,
    datetime_in_range: Arc<ScalarUDF>,
    bin: Arc<ScalarUDF>,
    /// Checked `+`, `-` and `*` on ticks (timespans): null where i64 would wrap.
    checked_add: Arc<ScalarUDF>,
    checked_sub: Arc<ScalarUDF>,
    checked_mul: Arc<ScalarUDF>,
}

impl Udfs {
    /// Every UDF the planner uses, made once.
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
            get_text: Arc::new(DynamicUdf::udf(DynamicOp::GetText)),
            array_length: Arc::new(DynamicUdf::udf(DynamicOp::ArrayLength)),
            coalesce: Arc::new(CoalesceUdf::udf(false)),
            coalesce_text: Arc::new(CoalesceUdf::udf(true)),
            todatetime: Arc::new(ParseTimeUdf::udf(KqlType::DateTime)),
            totimespan: Arc::new(ParseTimeUdf::udf(KqlType::Timespan)),
            datetime_in_range: Arc::new(super::udf::DatetimeInRangeUdf::udf()),
            bin: Arc::new(super::udf::BinUdf::udf()),
            checked_add: Arc::new(super::udf::CheckedTicksUdf::udf(super::udf::TickOp::Add)),
            checked_sub: Arc::new(super::udf::CheckedTicksUdf::udf(super::udf::TickOp::Sub)),
            checked_mul: Arc::new(super::udf::CheckedTicksUdf::udf(super::udf::TickOp::Mul)),
        }
    }

    /// `tostring` for values of type `ty`.
    fn text(&self, ty: KqlType) -> ScalarUDF {
        KqlTextUdf::udf(ty)
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
    /// The DataFusion plan.
    pub plan: LogicalPlan,
    /// Each output column's name and KQL type, in order.
    pub columns: Vec<(String, KqlType)>,
}

/// A time window (ticks, inclusive) applied to every table that has a `Timestamp` column
/// (Graph's `timespan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The first moment in the window, in ticks.
    pub start: i64,
    /// The last moment in the window, in ticks.
    pub end: i64,
}

/// Plans `query` (parsed from `source`) over `catalog`; `now` (ticks) is what `now()` and
/// `ago()` read, fixed once per query. Errors carry the position of the construct at fault.
pub fn plan_query(
    source: &str,
    query: &Query,
    catalog: &Catalog,
    udfs: &Udfs,
    now: i64,
    window: Option<Window>,
) -> Result<Planned, QueryError> {
    match plan_discovering(
        source,
        query,
        catalog,
        udfs,
        now,
        window,
        &Discoveries::new(),
    )? {
        Planning::Planned(planned) => Ok(planned),
        Planning::Discover(discovery) => Err(QueryError::at(
            ErrorKind::Unsupported,
            "this plugin's columns depend on the data; give its output schema (: (Name: type, …)) to plan it without running",
            Span::new(discovery.at, discovery.at),
            source,
        )),
    }
}

/// A plan, or what must be read from the data before the query can be planned.
#[derive(Debug)]
pub enum Planning {
    Planned(Planned),
    Discover(Discovery),
}

/// [`plan_query`] with the answers of earlier discoveries: when a plugin's columns depend on
/// data not read yet, the result is the [`Discovery`] to run (then plan again with its answer
/// added to `discoveries`).
pub fn plan_discovering(
    source: &str,
    query: &Query,
    catalog: &Catalog,
    udfs: &Udfs,
    now: i64,
    window: Option<Window>,
    discoveries: &Discoveries,
) -> Result<Planning, QueryError> {
    let mut planner = Planner {
        source,
        catalog,
        udfs,
        now,
        window,
        scalars: HashMap::new(),
        tabulars: HashMap::new(),
        unsupported: HashMap::new(),
        functions: HashMap::new(),
        parameters: HashMap::new(),
        call_depth: 0,
        discoveries,
        discovery: None,
        serialized: Default::default(),
    };
    let planned = plan_body(&mut planner, source, query);
    match (planned, planner.discovery.take()) {
        (_, Some(discovery)) => Ok(Planning::Discover(discovery)),
        (Ok(planned), None) => Ok(Planning::Planned(planned)),
        (Err(error), None) => Err(error),
    }
}

fn plan_body(planner: &mut Planner, source: &str, query: &Query) -> Result<Planned, QueryError> {
    for statement in &query.lets {
        planner.let_statement(&statement.name, &statement.value)?;
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

/// Output columns: each one's name and KQL type, in order.
type Columns = Vec<(String, KqlType)>;

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

/// A translated scalar expression with its KQL type (and the literal it came from, for fast
/// paths and constant arguments).
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

    fn is_null_literal(&self) -> bool {
        matches!(self.literal, Some(Literal::Null(_)))
    }
}

fn column(name: &str) -> DfExpr {
    DfExpr::Column(Column::new_unqualified(name))
}

/// A datetime or timespan constant: i64 ticks.
fn ticks_literal(ticks: i64) -> DfExpr {
    lit(ScalarValue::Int64(Some(ticks)))
}

/// The most terms of an `and`/`or` chain DataFusion sees at one level (see `BoolGroupUdf`).
const LOGICAL_GROUP: usize = 64;

/// `a and b and …` (or `or`) as a balanced tree, in groups of at most `LOGICAL_GROUP` terms
/// wrapped so DataFusion cannot flatten them into one long chain: a chain of any length stays
/// a few levels deep for every stage that walks expressions recursively. An empty list is the
/// operation's identity.
fn balanced(level: Vec<DfExpr>, op: LogicalOp) -> DfExpr {
    if level.len() <= LOGICAL_GROUP {
        return balanced_group(level, op);
    }
    let group = Arc::new(super::udf::BoolGroupUdf::udf());
    let mut level = level;
    while level.len() > LOGICAL_GROUP {
        let mut groups = Vec::with_capacity(level.len().div_ceil(LOGICAL_GROUP));
        let mut terms = level.into_iter().peekable();
        while terms.peek().is_some() {
            let chunk: Vec<DfExpr> = terms.by_ref().take(LOGICAL_GROUP).collect();
            groups.push(group.call(vec![balanced_group(chunk, op)]));
        }
        level = groups;
    }
    balanced_group(level, op)
}

fn balanced_group(mut level: Vec<DfExpr>, op: LogicalOp) -> DfExpr {
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut pairs = level.into_iter();
        while let Some(left) = pairs.next() {
            next.push(match pairs.next() {
                Some(right) if op == LogicalOp::And => left.and(right),
                Some(right) => left.or(right),
                None => left,
            });
        }
        level = next;
    }
    level.pop().unwrap_or(lit(op == LogicalOp::And))
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

/// Functions the language has but this engine does not run yet get their own message.
fn known_function_names() -> &'static std::collections::HashSet<String> {
    static NAMES: std::sync::OnceLock<std::collections::HashSet<String>> =
        std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        crate::kql::language::functions()
            .iter()
            .map(|f| f.name.clone())
            .collect()
    })
}

struct Planner<'a> {
    source: &'a str,
    catalog: &'a Catalog,
    udfs: &'a Udfs,
    /// `now()` in ticks, fixed once per query.
    now: i64,
    window: Option<Window>,
    scalars: HashMap<String, Typed>,
    tabulars: HashMap<String, Frame>,
    /// Names bound by lets the engine cannot run (functions, views) and what they are; an
    /// error only when the query uses them.
    unsupported: HashMap<String, String>,
    /// User-defined functions bound by let.
    functions: HashMap<String, Arc<user_functions::Defined>>,
    /// While a function's body is planned: its scalar parameters (read before columns).
    parameters: HashMap<String, Typed>,
    /// How many function bodies are being planned inside each other.
    call_depth: u32,
    /// What earlier discoveries found (plugins whose columns depend on the data).
    discoveries: &'a Discoveries,
    /// The discovery this plan needs, when it needs one.
    discovery: Option<Discovery>,
    /// The plans `serialize` made (`window::schema_key`): window functions may run on them.
    serialized: std::collections::HashSet<usize>,
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

    /// The KQL type a declaration names (a `datatable` or `scan` column, a typed `parse` or
    /// `parse-kv` column, `mv-expand … to typeof()`, a plugin's output schema). `decimal` is
    /// refused: Kusto's decimal is exact to 28 digits (scalar-data-types/decimal.md), and the
    /// engine would hold it as a real, silently rounding (`0.1 + 0.2 != 0.3`).
    fn declared_type(&self, type_name: &Ident) -> Result<KqlType, QueryError> {
        match KqlType::from_kql_name(&type_name.name) {
            Some(KqlType::Decimal) => Err(self.decimal_refused(type_name.span)),
            Some(ty) => Ok(ty),
            None => Err(self.semantic(
                format!("'{}' is not a scalar type", type_name.name.escape_debug()),
                type_name.span,
            )),
        }
    }

    /// The refusal of a `decimal` value (see `declared_type`).
    fn decimal_refused(&self, span: Span) -> QueryError {
        self.unsupported(
            "the 'decimal' type is not supported by the local engine yet: Kusto's decimal is \
             exact to 28 digits and a real is not (use real(…) for an approximate value)",
            span,
        )
    }

    fn engine_error(&self, error: datafusion::error::DataFusionError, span: Span) -> QueryError {
        self.semantic(super::clean_engine_message(&error), span)
    }

    /// The error for using a name bound by a let the engine cannot run, if `name` is one.
    fn unsupported_let(&self, name: &str, span: Span) -> Option<QueryError> {
        self.unsupported.get(name).map(|construct| {
            self.unsupported(
                format!("'{name}' is {construct}, which the local engine does not run yet"),
                span,
            )
        })
    }

    // ---- statements ----------------------------------------------------------------------------

    fn let_statement(&mut self, name: &Ident, value: &LetValue) -> Result<(), QueryError> {
        let name = name.name.clone();
        self.scalars.remove(&name);
        self.tabulars.remove(&name);
        self.unsupported.remove(&name);
        self.functions.remove(&name);
        match value {
            LetValue::Scalar(expr) => {
                // A let of a user function's call takes what the function returns.
                if let ExprKind::Call { name: callee, args } = &expr.kind
                    && let Some(called) =
                        self.call_user_function(callee, args, &Frame::empty(), expr.span)
                {
                    match called? {
                        user_functions::Called::Scalar(typed) => {
                            self.scalars.insert(name, typed);
                        }
                        user_functions::Called::Tabular(frame) => {
                            self.tabulars.insert(name, frame);
                        }
                    }
                    return Ok(());
                }
                // A let of a bare name that is a table or tabular let is itself tabular.
                if let ExprKind::Column(table) = &expr.kind
                    && (self.tabulars.contains_key(table) || self.catalog.get(table).is_some())
                {
                    let ident = Ident {
                        name: table.clone(),
                        span: expr.span,
                    };
                    let frame = self.table(&ident)?;
                    self.tabulars.insert(name, frame);
                    return Ok(());
                }
                let typed = self.expr(expr, &Frame::empty())?;
                self.scalars.insert(name, typed);
            }
            LetValue::Tabular(pipeline) => {
                let frame = self.pipeline(pipeline)?;
                self.tabulars.insert(name, frame);
            }
            LetValue::Unsupported(construct) => {
                self.unsupported.insert(name, construct.clone());
            }
            LetValue::Function(function) => {
                let defined = user_functions::Defined {
                    function: function.clone(),
                    scope: self.scope_here(),
                };
                self.functions.insert(name, Arc::new(defined));
            }
        }
        Ok(())
    }

    // ---- tabular -------------------------------------------------------------------------------

    fn pipeline(&mut self, pipeline: &Pipeline) -> Result<Frame, QueryError> {
        let mut frame = match &pipeline.source {
            Source::Table(ident) => self.table(ident)?,
            Source::Nested(inner) => self.pipeline(inner)?,
            Source::Print(items) => self.print(items, pipeline.span)?,
            Source::Call(call) => self.tabular_call(call)?,
            Source::Union(union) => self.union(None, union, pipeline.span)?,
            Source::Datatable { columns, values } => {
                self.datatable(columns, values, pipeline.span)?
            }
            Source::Range {
                column,
                from,
                to,
                step,
            } => self.range(column, from, to, step, pipeline.span)?,
            Source::Unsupported(construct, span) => {
                return Err(self.unsupported(
                    format!("{construct} is not supported by the local engine yet"),
                    *span,
                ));
            }
            Source::Error(span) => {
                return Err(self.error(ErrorKind::Syntax, "this is not a table", *span));
            }
        };
        let mut operators = pipeline.operators.iter();
        while let Some(operator) = operators.next() {
            frame = match &operator.kind {
                OperatorKind::Union(union) => {
                    let input = union::base_table(pipeline).unwrap_or_else(|| "union_arg0".into());
                    self.union(Some((input, frame)), union, operator.span)?
                }
                // The graph operators after it read its graph.
                OperatorKind::MakeGraph(make) => {
                    self.graph(frame, make, operator.span, &mut operators)?
                }
                _ => self.operator(frame, operator)?,
            };
        }
        Ok(frame)
    }

    /// `f(…)` where a table goes: a user-defined function returning a table.
    fn tabular_call(&mut self, call: &Expr) -> Result<Frame, QueryError> {
        let ExprKind::Call { name, args } = &call.kind else {
            return Err(self.error(ErrorKind::Syntax, "this is not a table", call.span));
        };
        match self.call_user_function(name, args, &Frame::empty(), call.span) {
            Some(Ok(user_functions::Called::Tabular(frame))) => Ok(frame),
            Some(Ok(user_functions::Called::Scalar(_))) => Err(self.semantic(
                format!("'{}' returns a scalar, not a table", name.name),
                name.span,
            )),
            Some(Err(error)) => Err(error),
            None if !crate::kql::analysis::is_known_function(&name.name) => Err(self.semantic(
                format!("unknown function '{}'", name.name.escape_debug()),
                name.span,
            )),
            None => Err(self.unsupported(
                format!(
                    "calling '{}' as a tabular function is not supported by the local engine yet",
                    name.name.escape_debug()
                ),
                call.span,
            )),
        }
    }

    /// `getschema` (getschema-operator.md): ColumnName, ColumnOrdinal, DataType (.NET's name)
    /// and ColumnType (KQL's) of each input column.
    fn getschema(&self, frame: &Frame, span: Span) -> Result<Frame, QueryError> {
        let columns = vec![
            ("ColumnName".to_string(), KqlType::String),
            ("ColumnOrdinal".to_string(), KqlType::Int),
            ("DataType".to_string(), KqlType::String),
            ("ColumnType".to_string(), KqlType::String),
        ];
        let rows: Vec<Vec<DfExpr>> = frame
            .columns
            .iter()
            .enumerate()
            .map(|(ordinal, (name, ty))| {
                let dotnet = match ty {
                    KqlType::Bool => "System.SByte",
                    KqlType::DateTime => "System.DateTime",
                    KqlType::Dynamic => "System.Object",
                    KqlType::Guid => "System.Guid",
                    KqlType::Int => "System.Int32",
                    KqlType::Long => "System.Int64",
                    KqlType::Real => "System.Double",
                    KqlType::Decimal => "System.Data.SqlTypes.SqlDecimal",
                    KqlType::String => "System.String",
                    KqlType::Timespan => "System.TimeSpan",
                };
                vec![
                    lit(name.as_str()),
                    lit(i32::try_from(ordinal).unwrap_or(i32::MAX)),
                    lit(dotnet),
                    lit(ty.kql_name()),
                ]
            })
            .collect();
        let builder = if rows.is_empty() {
            LogicalPlanBuilder::empty(true)
                .project(
                    columns
                        .iter()
                        .map(|(n, ty)| {
                            datafusion::logical_expr::cast(lit(ScalarValue::Null), ty.arrow_type())
                                .alias(n.as_str())
                        })
                        .collect::<Vec<_>>(),
                )
                .and_then(|b| b.limit(0, Some(0)))
        } else {
            LogicalPlanBuilder::values(rows).and_then(|b| {
                b.project(columns.iter().enumerate().map(|(i, (n, _))| {
                    datafusion::prelude::col(format!("column{}", i + 1)).alias(n.as_str())
                }))
            })
        }
        .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }

    /// `top-hitters N of Expr [by Sum]` (top-hitters-operator.md): the N values with the most
    /// rows (or the greatest sum), exactly; the count column is `approximate_count_Expr`, the
    /// sum's `approximate_sum_Sum`.
    fn top_hitters(
        &mut self,
        frame: Frame,
        count: &Expr,
        of: &Expr,
        by: Option<&Expr>,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let value_name = match &of.kind {
            ExprKind::Column(c) => c.clone(),
            _ => "Column1".to_string(),
        };
        let (aggregate, name) = match by {
            Some(sum) => {
                let summed = match &sum.kind {
                    ExprKind::Column(c) => c.clone(),
                    _ => String::new(),
                };
                (
                    call_expr("sum", vec![sum.clone()], sum.span),
                    format!("approximate_sum_{summed}"),
                )
            }
            None => (
                call_expr("count", vec![], span),
                format!("approximate_count_{value_name}"),
            ),
        };
        let item = |name: String, expr: Expr| NamedExpr {
            name: Some(Ident { name, span }),
            names: vec![],
            expr,
        };
        let summarized = self.summarize(
            frame,
            &[item(name.clone(), aggregate)],
            &[item(value_name, of.clone())],
            span,
        )?;
        let n = self.row_count(count)?;
        let key = crate::kql::ast::SortKey {
            expr: Expr::new(ExprKind::Column(name), span),
            order: Some(crate::kql::ast::SortOrder::Desc),
            nulls: None,
        };
        let sort = self.sort_key(&key, &summarized)?;
        self.with_plan(summarized, span, |b| {
            b.sort_with_limit(vec![sort], Some(n))?.limit(0, Some(n))
        })
    }

    /// `sample-distinct N of Column` (sample-distinct-operator.md): up to N of its distinct
    /// values, picked at random; one column named as the column (or `Column1`).
    fn sample_distinct(
        &mut self,
        frame: Frame,
        count: &Expr,
        of: &Expr,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let n = self.row_count(count)?;
        let item = NamedExpr {
            name: None,
            names: vec![],
            expr: of.clone(),
        };
        let (exprs, columns) = self.named_items(std::slice::from_ref(&item), &frame)?;
        let random = datafusion::functions::expr_fn::random();
        let builder = frame
            .builder
            .aggregate(exprs, Vec::<DfExpr>::new())
            .and_then(|b| b.sort_with_limit(vec![random.sort(true, false)], Some(n)))
            .and_then(|b| b.limit(0, Some(n)))
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }

    /// `T | invoke F(a, …)`: `F(T, a, …)` (invoke-operator.md). The input is bound to a name
    /// no query can write, for the call's first argument.
    fn invoke(&mut self, frame: Frame, call: &Expr) -> Result<Frame, QueryError> {
        let ExprKind::Call { name, args } = &call.kind else {
            return Err(self.semantic("invoke takes a function call", call.span));
        };
        const INPUT: &str = "$invoke input";
        let previous = self.tabulars.insert(INPUT.to_string(), frame);
        let mut with_input = vec![Expr::new(ExprKind::Column(INPUT.to_string()), name.span)];
        with_input.extend(args.iter().cloned());
        let invoked = Expr::new(
            ExprKind::Call {
                name: name.clone(),
                args: with_input,
            },
            call.span,
        );
        let result = self.tabular_call(&invoked);
        match previous {
            Some(previous) => self.tabulars.insert(INPUT.to_string(), previous),
            None => self.tabulars.remove(INPUT),
        };
        result
    }

    fn table(&mut self, ident: &Ident) -> Result<Frame, QueryError> {
        if let Some(frame) = self.tabulars.get(&ident.name) {
            return Ok(frame.clone());
        }
        // A view is named as a table is: its body is its table.
        if self
            .functions
            .get(&ident.name)
            .is_some_and(|f| f.function.view && f.function.parameters.is_empty())
        {
            return self.tabular_call(&call_expr(&ident.name, vec![], ident.span));
        }
        if let Some(error) = self.unsupported_let(&ident.name, ident.span) {
            return Err(error);
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
            } else {
                let names: Vec<String> = self.catalog.names().cloned().collect();
                if let Some(near) = crate::kql::analysis::suggest(&ident.name, &names) {
                    message.push_str(&format!("; did you mean '{near}'?"));
                }
            }
            return Err(self.semantic(message, ident.span));
        };
        let mut builder = LogicalPlanBuilder::scan(
            TableReference::bare(ident.name.as_str()),
            provider_as_source(table.provider.clone()),
            None,
        )
        .map_err(|e| self.engine_error(e, ident.span))?;
        // An earlier result (`$last`) already answered a query over its own window.
        if let Some(window) = self.window
            && !crate::kql::earlier::is_result_name(&ident.name)
            && table
                .columns
                .iter()
                .any(|(n, t)| n == "Timestamp" && *t == KqlType::DateTime)
        {
            let ts = column("Timestamp");
            let condition = ts
                .clone()
                .gt_eq(ticks_literal(window.start))
                .and(ts.lt_eq(ticks_literal(window.end)));
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
        match &operator.kind {
            OperatorKind::Where(condition) => self.where_(frame, condition, span),
            OperatorKind::Project(items) => self.project(frame, items, span),
            OperatorKind::Join(join) => self.join(frame, join, span),
            OperatorKind::MvExpand(expand) => self.mv_expand(frame, expand, span),
            OperatorKind::Parse(parse) => self.parse(frame, parse, span),
            OperatorKind::Invoke(call) => self.invoke(frame, call),
            OperatorKind::Serialize(items) => {
                // Marked as serialized (window functions may follow), then extended.
                let plan = frame
                    .builder
                    .build()
                    .map_err(|e| self.engine_error(e, span))?;
                self.serialized.insert(window::schema_key(&plan));
                let marked = Frame {
                    builder: LogicalPlanBuilder::from(plan),
                    columns: frame.columns,
                };
                self.extend(marked, items, span)
            }
            OperatorKind::TopNested(levels) => self.top_nested(frame, levels, span),
            OperatorKind::MvApply(apply) => self.mv_apply(frame, apply, span),
            OperatorKind::ParseKv(parse) => self.parse_kv(frame, parse, span),
            OperatorKind::ProjectByNames(specs) => self.project_by_names(frame, specs, span),
            OperatorKind::Evaluate(evaluate) => self.evaluate(frame, evaluate, span),
            OperatorKind::As(name) => {
                self.tabulars.insert(name.name.clone(), frame.clone());
                Ok(frame)
            }
            OperatorKind::Consume => {
                let builder = frame
                    .builder
                    .limit(0, Some(0))
                    .and_then(|b| b.project(Vec::<DfExpr>::new()))
                    .map_err(|e| self.engine_error(e, span))?;
                Ok(Frame {
                    builder,
                    columns: vec![],
                })
            }
            OperatorKind::GetSchema => self.getschema(&frame, span),
            OperatorKind::TopHitters { count, of, by } => {
                self.top_hitters(frame, count, of, by.as_ref(), span)
            }
            OperatorKind::Partition { column, operators } => {
                self.partition(frame, column, operators)
            }
            OperatorKind::Sample(count) => {
                // sample-operator.md: rows at random (the order is random too).
                let n = self.row_count(count)?;
                let random = datafusion::functions::expr_fn::random();
                self.with_plan(frame, span, |b| {
                    b.sort_with_limit(vec![random.sort(true, false)], Some(n))?
                        .limit(0, Some(n))
                })
            }
            OperatorKind::SampleDistinct { count, of } => {
                self.sample_distinct(frame, count, of, span)
            }
            OperatorKind::ProjectColumns { kind, items } => {
                self.project_columns(frame, *kind, items, span)
            }
            OperatorKind::MakeSeries(series) => self.make_series(frame, series, span),
            OperatorKind::Scan(scan) => self.scan(frame, scan, None, span),
            OperatorKind::Reduce(reduce) => self.reduce(frame, reduce, span),
            // (Planned in `pipeline`, which knows the input's table.)
            OperatorKind::Union(union) => {
                self.union(Some(("union_arg0".into(), frame)), union, span)
            }
            OperatorKind::Extend(items) => self.extend(frame, items, span),
            OperatorKind::ProjectRename(pairs) => self.project_rename(frame, pairs, span),
            OperatorKind::Take(count) => {
                let n = self.row_count(count)?;
                self.with_plan(frame, span, |b| b.limit(0, Some(n)))
            }
            OperatorKind::Sort(keys) => {
                let sorts = keys
                    .iter()
                    .map(|k| self.sort_key(k, &frame))
                    .collect::<Result<Vec<_>, _>>()?;
                self.with_plan(frame, span, |b| b.sort(sorts))
            }
            OperatorKind::Top { count, key } => {
                let n = self.row_count(count)?;
                let sort = self.sort_key(key, &frame)?;
                self.with_plan(frame, span, |b| {
                    b.sort_with_limit(vec![sort], Some(n))?.limit(0, Some(n))
                })
            }
            OperatorKind::Count => {
                let count = vec![agg::count(lit(1i64)).alias("Count")];
                let builder = frame
                    .builder
                    .aggregate(Vec::<DfExpr>::new(), count)
                    .map_err(|e| self.engine_error(e, span))?;
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
                    return self.with_plan(frame, span, |b| b.distinct());
                }
                self.summarize(frame, &[], items, span)
            }
            // A drawing hint for the user agent: the rows pass through unchanged (the engine
            // attaches the hint to the result; the parser keeps it last).
            OperatorKind::Render(_) => Ok(frame),
            OperatorKind::MakeGraph(_) => Err(self.unsupported(
                "make-graph inside a subquery of another operator is not supported by the local engine",
                span,
            )),
            OperatorKind::GraphMatch(_)
            | OperatorKind::GraphToTable(_)
            | OperatorKind::GraphMarkComponents { .. } => Err(self.graph_without_graph(operator)),
            OperatorKind::Unsupported(operator) => Err(self.unsupported(
                format!(
                    "the '{}' operator is not supported by the local engine yet",
                    operator.name
                ),
                operator.span,
            )),
            OperatorKind::Error => {
                Err(self.error(ErrorKind::Syntax, "this operator could not be read", span))
            }
        }
    }

    /// The frame with its plan changed by `change` and its columns as they were.
    fn with_plan(
        &self,
        frame: Frame,
        span: Span,
        change: impl FnOnce(LogicalPlanBuilder) -> datafusion::error::Result<LogicalPlanBuilder>,
    ) -> Result<Frame, QueryError> {
        let builder = change(frame.builder).map_err(|e| self.engine_error(e, span))?;
        Ok(Frame {
            builder,
            columns: frame.columns,
        })
    }

    fn where_(&mut self, frame: Frame, condition: &Expr, span: Span) -> Result<Frame, QueryError> {
        let typed = self.expr(condition, &frame)?;
        if typed.ty != KqlType::Bool {
            return Err(self.semantic(
                format!(
                    "'where' needs a true/false condition, this is {}",
                    typed.ty.with_article()
                ),
                condition.span,
            ));
        }
        let (builder, mut filters) = self.with_windows(frame.builder, vec![typed.expr], span)?;
        let windowed = builder.schema().fields().len() != frame.columns.len();
        let mut builder = builder
            .filter(filters.remove(0))
            .map_err(|e| self.engine_error(e, span))?;
        if windowed {
            // The window columns go again.
            builder = builder
                .project(frame.columns.iter().map(|(n, _)| column(n)))
                .map_err(|e| self.engine_error(e, span))?;
        }
        Ok(Frame {
            builder,
            columns: frame.columns,
        })
    }

    fn project(
        &mut self,
        frame: Frame,
        items: &[NamedExpr],
        span: Span,
    ) -> Result<Frame, QueryError> {
        let items = self.spread_items(items, &frame)?;
        let (exprs, columns) = self.named_items(&items, &frame)?;
        self.projected(frame, exprs, columns, span)
    }

    /// `Name = expr` items (or bare expressions) as aliased expressions and the columns they
    /// make, each name given once (`project`, `summarize … by`).
    fn named_items(
        &mut self,
        items: &[NamedExpr],
        frame: &Frame,
    ) -> Result<(Vec<DfExpr>, Columns), QueryError> {
        let mut exprs = Vec::with_capacity(items.len());
        let mut columns = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let typed = self.expr(&item.expr, frame)?;
            let name = self.output_name(item, index, &columns)?;
            exprs.push(typed.expr.alias(name.as_str()));
            columns.push((name, typed.ty));
        }
        Ok((exprs, columns))
    }

    /// The frame's plan projected to `exprs`, which make `columns`.
    fn projected(
        &self,
        frame: Frame,
        exprs: Vec<DfExpr>,
        columns: Vec<(String, KqlType)>,
        span: Span,
    ) -> Result<Frame, QueryError> {
        // DataFusion turns `x in (T)` into a join only inside a filter.
        if exprs.iter().any(|e| {
            datafusion::common::tree_node::TreeNode::exists(e, |e| {
                Ok(matches!(e, DfExpr::InSubquery(_)))
            })
            .unwrap_or(false)
        }) {
            return Err(self.unsupported(
                "`in (T)` with a table is supported by the local engine in where only, not as a value",
                span,
            ));
        }
        let (builder, exprs) = self.with_windows(frame.builder, exprs, span)?;
        let builder = builder
            .project(exprs)
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }

    fn project_rename(
        &self,
        frame: Frame,
        pairs: &[(Ident, Ident)],
        span: Span,
    ) -> Result<Frame, QueryError> {
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
        self.projected(frame, exprs, columns, span)
    }

    /// `extend`: each item in turn, so later items see earlier ones; a name that exists is
    /// replaced in place.
    fn extend(
        &mut self,
        frame: Frame,
        items: &[NamedExpr],
        span: Span,
    ) -> Result<Frame, QueryError> {
        let mut frame = frame;
        // Spread one item at a time: an item may read the columns of those before it.
        let mut index = 0;
        for original in items {
            for item in self.spread_items(std::slice::from_ref(original), &frame)? {
                frame = self.extend_one(frame, &item, index, span)?;
                index += 1;
            }
        }
        Ok(frame)
    }

    /// `frame` with the column of one `extend` item added, or replaced in place.
    fn extend_one(
        &mut self,
        frame: Frame,
        item: &NamedExpr,
        index: usize,
        span: Span,
    ) -> Result<Frame, QueryError> {
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
        self.projected(frame, exprs, columns, span)
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
        // KQL may take more forms than this engine does (indexof's start, length, occurrence).
        if crate::kql::language::functions_named(function).any(|f| f.accepts(args.len())) {
            return Err(self.unsupported(
                format!(
                    "the local engine runs {function}() with {expected} argument(s) only, not {}",
                    args.len()
                ),
                span,
            ));
        }
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
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            message.push_str(
                " (after a number, timespan units are d, h, m, s, ms, microsecond and tick)",
            );
        }
        if let Some((near, _)) = frame
            .columns
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            message.push_str(&format!(
                " (column names are case-sensitive: did you mean '{near}'?)"
            ));
        } else {
            let names: Vec<String> = frame.columns.iter().map(|(n, _)| n.clone()).collect();
            if let Some(near) = crate::kql::analysis::suggest(name, &names) {
                message.push_str(&format!("; did you mean '{near}'?"));
            }
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
        if let Some(first) = item.names.first() {
            return Err(self.unsupported(
                "naming several columns at once ((A, B) = …) is not supported by the local engine yet",
                first.span,
            ));
        }
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
                other => derived_name(other).unwrap_or_else(|| format!("Column{}", index + 1)),
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
            Some(Literal::Long(n)) if n >= 0 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
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
}

/// The name Kusto gives an unnamed expression that reads one column: a conversion keeps the
/// column's name (`tostring(ClientInfoString)`, as hunting queries rely on), a property path
/// joins its parts with `_` (`d.a.b` is `d_a_b`), and `dcount_hll(x)` is `dcount_hll_x`
/// (hll-merge-function.md's example), `percentile_tdigest(x, …)` `percentile_tdigest_x`. `None` for other expressions (`Column1`…).
pub(super) fn derived_name(expr: &ExprKind) -> Option<String> {
    match expr {
        ExprKind::Column(name) => Some(name.clone()),
        ExprKind::Member { target, key } => {
            derived_name(&target.kind).map(|base| format!("{base}_{key}"))
        }
        // merge-tdigest-function.md: `percentile_tdigest(merged, 100, typeof(long))` is
        // `percentile_tdigest_merged`.
        ExprKind::Call { name, args } if name.name == "percentile_tdigest" && !args.is_empty() => {
            derived_name(&args[0].kind).map(|inner| format!("percentile_tdigest_{inner}"))
        }
        // series_outliers(y) is named after its series (Kusto.Language's
        // ResultNameKind.FirstArgument for it).
        ExprKind::Call { name, args } if name.name == "series_outliers" => match args.first() {
            Some(Expr {
                kind: ExprKind::Column(series),
                ..
            }) => Some(series.clone()),
            _ => None,
        },
        ExprKind::Call { name, args } if args.len() == 1 => {
            let inner = derived_name(&args[0].kind)?;
            match name.name.as_str() {
                "tostring" | "toint" | "tolong" | "todouble" | "toreal" | "tobool"
                | "toboolean" | "todatetime" | "totimespan" | "todecimal" | "toguid"
                | "todynamic" | "toobject" | "parse_json" | "parsejson" => Some(inner),
                "dcount_hll" => Some(format!("dcount_hll_{inner}")),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A call the planner writes itself (`count()` for `top-hitters`, `pivot`, `mv-apply`'s
/// `count`), at `span`.
fn call_expr(name: &str, args: Vec<Expr>, span: Span) -> Expr {
    Expr::new(
        ExprKind::Call {
            name: Ident {
                name: name.to_string(),
                span,
            },
            args,
        },
        span,
    )
}
