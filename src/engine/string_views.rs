//! Grouping on Parquet text as it was scanned (issue 10: `summarize … by` text columns of
//! exported files at DuckDB's speed).
//!
//! A Parquet table scans its text columns as `Utf8View` (values point into the decoded pages)
//! and its view converts each to KQL's `Utf8` string with `kql_tostring_string`. A group-by over
//! such a column spends most of its time copying the text out of the views and then hashing and
//! comparing whole strings. Kept as views, the copy is gone and DataFusion's group-by compares
//! their inline prefixes first. This rule does that where it is invisible: for an `Aggregate`
//! whose input projection converts a view column that the aggregate only groups by, the
//! projection keeps it a view (nulls still become `""`, with [`KqlTextUdf::view_udf`]) and a
//! projection above the aggregate converts the few group rows to `Utf8`. Everything above sees
//! the same names and types as before.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, DFSchemaRef, Result, ScalarValue};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::utils::{conjunction, split_conjunction_owned};
use datafusion::logical_expr::{
    Aggregate, Expr, ExprSchemable, Filter, LogicalPlan, Projection, SubqueryAlias, cast, lit,
};
use datafusion::optimizer::analyzer::type_coercion::TypeCoercionRewriter;
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use super::udf::KqlTextUdf;

/// The optimizer rule; placed after DataFusion's `SingleDistinctToGroupBy`, so it sees the
/// group-by that rule makes of a distinct aggregate.
#[derive(Debug, Default)]
pub struct GroupOnStringViews;

/// The argument `x` of `kql_tostring_string(x)` when `x` is a `Utf8View` (in `schema`).
fn viewed_text<'a>(expr: &'a Expr, schema: &DFSchema) -> Option<&'a Expr> {
    let Expr::ScalarFunction(ScalarFunction { func, args }) = expr else {
        return None;
    };
    let text = func.inner().downcast_ref::<KqlTextUdf>()?;
    let [arg] = args.as_slice() else {
        return None;
    };
    let typed = arg.get_type(schema).ok()?;
    (text.is_string_to_text() && typed == DataType::Utf8View).then_some(arg)
}

/// [`viewed_text`] of a projected expression, under its alias.
fn converted_view<'a>(expr: &'a Expr, projection: &Projection) -> Option<&'a Expr> {
    let inner = match expr {
        Expr::Alias(alias) => alias.expr.as_ref(),
        other => other,
    };
    viewed_text(inner, projection.input.schema())
}

impl OptimizerRule for GroupOnStringViews {
    fn name(&self) -> &str {
        "group_on_string_views"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Aggregate(aggregate) = &plan else {
            return Ok(Transformed::no(plan));
        };
        // A table's view comes under the table's name: the projection may sit below an alias.
        let (alias, projection) = match aggregate.input.as_ref() {
            LogicalPlan::Projection(projection) => (None, projection),
            LogicalPlan::SubqueryAlias(alias) => match alias.input.as_ref() {
                LogicalPlan::Projection(projection) => (Some(&alias.alias), projection),
                _ => return Ok(Transformed::no(plan)),
            },
            _ => return Ok(Transformed::no(plan)),
        };
        // Columns an aggregate function reads keep their type: its answer must not change.
        let mut read_by_aggregates = HashSet::new();
        for expr in &aggregate.aggr_expr {
            read_by_aggregates.extend(expr.column_refs().into_iter().cloned());
        }
        // Positions agree between the projection and the alias over it.
        let input_schema = aggregate.input.schema().as_ref();
        let mut viewed = HashSet::new();
        for group in &aggregate.group_expr {
            // `SingleDistinctToGroupBy` names its keys: `FileName AS group_alias_0`.
            let mut key = group;
            while let Expr::Alias(alias) = key {
                key = alias.expr.as_ref();
            }
            let Expr::Column(column) = key else {
                continue;
            };
            if read_by_aggregates.contains(column) {
                continue;
            }
            let Ok(at) = input_schema.index_of_column(column) else {
                continue;
            };
            if converted_view(&projection.expr[at], projection).is_some() {
                viewed.insert(at);
            }
        }
        if viewed.is_empty() {
            return Ok(Transformed::no(plan));
        }
        let exprs = projection
            .expr
            .iter()
            .enumerate()
            .map(|(at, expr)| match converted_view(expr, projection) {
                Some(arg) if viewed.contains(&at) => {
                    let (qualifier, field) = projection.schema.qualified_field(at);
                    KqlTextUdf::view_udf()
                        .call(vec![arg.clone()])
                        .alias_qualified(qualifier.cloned(), field.name())
                }
                _ => expr.clone(),
            })
            .collect();
        let mut input =
            LogicalPlan::Projection(Projection::try_new(exprs, projection.input.clone())?);
        if let Some(alias) = alias {
            input =
                LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(Arc::new(input), alias.clone())?);
        }
        let grouped = Aggregate::try_new(
            Arc::new(input),
            aggregate.group_expr.clone(),
            aggregate.aggr_expr.clone(),
        )?;
        // Back to `Utf8` above: one row a group.
        let before = aggregate.schema.clone();
        let after = grouped.schema.clone();
        let outputs = before
            .iter()
            .zip(after.iter())
            .map(|((qualifier, was), (_, now))| {
                let column = Expr::Column(Column::new(qualifier.cloned(), now.name()));
                if was.data_type() == now.data_type() {
                    column
                } else {
                    cast(column, was.data_type().clone())
                        .alias_qualified(qualifier.cloned(), was.name())
                }
            })
            .collect();
        let back = Projection::try_new(outputs, Arc::new(LogicalPlan::Aggregate(grouped)))?;
        Ok(Transformed::yes(LogicalPlan::Projection(back)))
    }
}

/// Text conditions read Parquet text as scanned: `kql_tostring_string(v)` (a copy of every
/// value, to make nulls `""`) is dropped from a condition or value that answers the same for a
/// null as for `""`, so a filter decodes and copies only the rows that pass.
///
/// Which ones: a filter's conjunct (or a scan's pushed filter) that keeps a null row exactly when
/// it keeps a `""` one, and a projected value equal for both, found by evaluating the rewritten
/// expression with the column set to each (`has`, `contains`, `==` a non-empty text, a member
/// of `parse_json` qualify; `isempty` does not). Only expressions made of functions known to read
/// views are touched. `kql_tostring_string(x) IS NOT NULL` is always true and goes.
#[derive(Debug, Default)]
pub struct FilterOnStringViews;

impl OptimizerRule for FilterOnStringViews {
    fn name(&self) -> &str {
        "filter_on_string_views"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        if let Some(rewritten) = rewrite_conditions(&plan, |conditions, schema| {
            conditions_on_views(conditions.into_iter(), schema)
        })? {
            return Ok(Transformed::yes(rewritten));
        }
        match &plan {
            LogicalPlan::Projection(projection) => {
                let schema = projection.input.schema().clone();
                let mut changed = false;
                let mut exprs = Vec::with_capacity(projection.expr.len());
                for expr in &projection.expr {
                    let (inner, alias) = match expr {
                        Expr::Alias(alias) => (alias.expr.as_ref(), Some(alias)),
                        other => (other, None),
                    };
                    match value_on_views(inner, &schema)? {
                        Some(rewritten) => {
                            changed = true;
                            exprs.push(match alias {
                                Some(alias) => rewritten
                                    .alias_qualified(alias.relation.clone(), alias.name.clone()),
                                None => rewritten.alias(inner.schema_name().to_string()),
                            });
                        }
                        None => exprs.push(expr.clone()),
                    }
                }
                if !changed {
                    return Ok(Transformed::no(plan));
                }
                Ok(Transformed::yes(LogicalPlan::Projection(
                    Projection::try_new(exprs, projection.input.clone())?,
                )))
            }
            _ => Ok(Transformed::no(plan)),
        }
    }
}

/// A filter's predicate, or a scan's pushed filters, with its conditions (the conjuncts that
/// must all hold) rewritten by `conjuncts`, which is given them and the schema they read and
/// answers the new list, or `None` when it changed nothing. `None` for other plans and when
/// nothing changed. Used by the rules that make conditions read what a file holds.
pub(crate) fn rewrite_conditions(
    plan: &LogicalPlan,
    conjuncts: impl Fn(Vec<Expr>, &DFSchemaRef) -> Result<Option<Vec<Expr>>>,
) -> Result<Option<LogicalPlan>> {
    match plan {
        LogicalPlan::Filter(filter) => {
            let conditions = split_conjunction_owned(filter.predicate.clone());
            let Some(conditions) = conjuncts(conditions, filter.input.schema())? else {
                return Ok(None);
            };
            let predicate = conjunction(conditions).unwrap_or_else(|| lit(true));
            Ok(Some(LogicalPlan::Filter(Filter::try_new(
                predicate,
                filter.input.clone(),
            )?)))
        }
        LogicalPlan::TableScan(scan) if !scan.filters.is_empty() => {
            // The pushed filters read the table's own columns, under its name.
            let schema = Arc::new(DFSchema::try_from_qualified_schema(
                scan.table_name.clone(),
                &scan.source.schema(),
            )?);
            let conditions = scan
                .filters
                .iter()
                .flat_map(|filter| split_conjunction_owned(filter.clone()))
                .collect();
            let Some(filters) = conjuncts(conditions, &schema)? else {
                return Ok(None);
            };
            let mut scan = scan.clone();
            scan.filters = filters;
            Ok(Some(LogicalPlan::TableScan(scan)))
        }
        _ => Ok(None),
    }
}

/// The conditions with those that can read views rewritten; `None` when none changed.
fn conditions_on_views(
    conditions: impl Iterator<Item = Expr>,
    schema: &DFSchemaRef,
) -> Result<Option<Vec<Expr>>> {
    let mut changed = false;
    let mut out = Vec::new();
    for condition in conditions {
        // A KQL string conversion is never null.
        if let Expr::IsNotNull(inner) = &condition
            && text_of_view(inner, schema).is_some()
        {
            changed = true;
            continue;
        }
        match on_views(&condition, schema, Keep::Truth)? {
            Some(rewritten) => {
                changed = true;
                out.push(rewritten);
            }
            None => out.push(condition),
        }
    }
    Ok(changed.then_some(out))
}

/// A projected value rewritten to read views, when its type and its answer for null and `""`
/// stay the same.
fn value_on_views(expr: &Expr, schema: &DFSchemaRef) -> Result<Option<Expr>> {
    let Some(rewritten) = on_views(expr, schema, Keep::Value)? else {
        return Ok(None);
    };
    let same_type = expr.get_type(schema)? == rewritten.get_type(schema)?;
    Ok(same_type.then_some(rewritten))
}

/// What must not change when a null takes the place of `""`.
#[derive(Clone, Copy, PartialEq)]
enum Keep {
    /// Whether a filter keeps the row (null and false both drop it).
    Truth,
    /// The value itself.
    Value,
}

/// The column `v` of `kql_tostring_string(v)` when `v` is a `Utf8View` column.
fn text_of_view<'a>(expr: &'a Expr, schema: &DFSchema) -> Option<&'a Column> {
    match viewed_text(expr, schema)? {
        Expr::Column(column) => Some(column),
        _ => None,
    }
}

/// Whether every function of `expr` reads `Utf8View` text as it reads `Utf8`, and as fast.
/// (DataFusion's `lower` of views is not: it costs `=~` more than the copy it saves.)
fn reads_views(expr: &Expr) -> bool {
    !expr
        .exists(|e| {
            Ok(match e {
                Expr::Column(_)
                | Expr::Literal(..)
                | Expr::BinaryExpr(_)
                | Expr::Like(_)
                | Expr::Not(_)
                | Expr::IsNull(_)
                | Expr::IsNotNull(_)
                | Expr::IsTrue(_)
                | Expr::IsFalse(_)
                | Expr::IsNotTrue(_)
                | Expr::IsNotFalse(_)
                | Expr::InList(_)
                | Expr::Between(_) => false,
                Expr::ScalarFunction(ScalarFunction { func, .. }) => {
                    let inner = func.inner();
                    !(inner.is::<KqlTextUdf>()
                        || inner.is::<super::udf::TermMatchUdf>()
                        || inner.is::<super::udf::TermSetUdf>()
                        || inner.is::<super::udf::ContainsUdf>()
                        || inner.is::<super::udf::DynamicUdf>())
                }
                _ => true,
            })
        })
        .unwrap_or(false)
}

/// `expr` with `kql_tostring_string(v)` replaced by `v`, when it has one column, reads views
/// and answers a null `v` as it answers `""` (per `keep`).
fn on_views(expr: &Expr, schema: &DFSchemaRef, keep: Keep) -> Result<Option<Expr>> {
    let columns = expr.column_refs();
    if columns.len() != 1 || !reads_views(expr) {
        return Ok(None);
    }
    let rewritten = expr.clone().transform_up(|e| {
        Ok(match text_of_view(&e, schema) {
            Some(column) => Transformed::yes(Expr::Column(column.clone())),
            None => Transformed::no(e),
        })
    })?;
    if !rewritten.transformed {
        return Ok(None);
    }
    // Literals compared with the column become views too.
    let rewritten = rewritten
        .data
        .rewrite(&mut TypeCoercionRewriter::new(schema))?
        .data;
    let at = |value: Option<&str>| -> Result<Expr> {
        let folded = rewritten.clone().transform_up(|e| {
            Ok(match e {
                Expr::Column(_) => Transformed::yes(Expr::Literal(
                    ScalarValue::Utf8View(value.map(str::to_string)),
                    None,
                )),
                other => Transformed::no(other),
            })
        })?;
        ExprSimplifier::new(SimplifyContext::default()).simplify(folded.data)
    };
    let (empty, null) = (at(Some(""))?, at(None)?);
    let same = match keep {
        Keep::Truth => matches!((truth(&empty), truth(&null)), (Some(a), Some(b)) if a == b),
        Keep::Value => {
            matches!((&empty, &null), (Expr::Literal(a, _), Expr::Literal(b, _)) if a == b)
        }
    };
    Ok(same.then_some(rewritten))
}

/// Whether a folded condition keeps a row; `None` when it did not fold to a constant.
fn truth(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::Literal(ScalarValue::Boolean(value), _) => Some(value.unwrap_or(false)),
        Expr::Literal(value, _) if value.is_null() => Some(false),
        _ => None,
    }
}
