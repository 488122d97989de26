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
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, Result};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    Aggregate, Expr, ExprSchemable, LogicalPlan, Projection, SubqueryAlias, cast,
};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use super::udf::KqlTextUdf;

/// The optimizer rule; appended after DataFusion's own, so it sees aggregates as
/// `SingleDistinctToGroupBy` and projection push-down left them.
#[derive(Debug, Default)]
pub struct GroupOnStringViews;

/// The argument of `kql_tostring_string(x)` (under an alias) when `x` is a `Utf8View`.
fn converted_view<'a>(expr: &'a Expr, projection: &Projection) -> Option<&'a Expr> {
    let inner = match expr {
        Expr::Alias(alias) => alias.expr.as_ref(),
        other => other,
    };
    let Expr::ScalarFunction(ScalarFunction { func, args }) = inner else {
        return None;
    };
    let text = func.inner().downcast_ref::<KqlTextUdf>()?;
    if !text.is_string_to_text() || args.len() != 1 {
        return None;
    }
    let typed = args[0].get_type(projection.input.schema()).ok()?;
    (typed == DataType::Utf8View).then_some(&args[0])
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
