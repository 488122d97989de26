//! `summarize arg_max(X, *) by K` over Parquet files in two passes, so that only the picked
//! rows' other columns are decoded (late materialisation).
//!
//! One pass keeps every column of every row it may pick: at 10 million rows of
//! DeviceProcessEvents that decodes 70 columns of text to return 30 rows. Two passes instead:
//! 1. `summarize M = max(X) by K`, which reads two columns;
//! 2. the input joined to it on `K` and `X == M`, nulls equal to nulls. The small side of the
//!    join becomes a dynamic filter in the Parquet scan, which decodes `K` and `X` first and the
//!    other columns only for the rows that pass.
//!
//! The usual `arg_max` then runs over the rows left: for each group they are exactly its rows
//! whose `X` is the group's maximum, or all its rows when every `X` is null (Kusto then returns
//! one of them: arg-max-aggregation-function.md, "null handling"), so it returns what it would
//! over the whole input. Ties are picked among as before (Kusto picks any of them).
//!
//! Taken only where it is surely the same answer and surely cheaper: a lone `arg_max`/`arg_min`
//! of a column whose equality is exact (integers, datetime, timespan), grouped by plain columns
//! of such types, over an input that reads Parquet tables through scans, filters and
//! projections of non-volatile expressions — an input that returns the same rows when it runs
//! again. (JSON lines and CSV would be parsed twice; memory tables gain nothing.)

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, JoinType, NullEquality};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingTable;
use datafusion::datasource::source_as_provider;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, Operator, binary_expr};

use super::{Frame, Planner, column};
use crate::backend::QueryError;
use crate::kql::Span;
use crate::kql::ast::{ExprKind, NamedExpr};
use crate::results::KqlType;

/// Columns whose `==` is the identity of values (no NaN, no -0.0, no text normalisation).
fn exact(ty: KqlType) -> bool {
    matches!(
        ty,
        KqlType::Int | KqlType::Long | KqlType::DateTime | KqlType::Timespan
    )
}

fn exact_key(ty: KqlType) -> bool {
    exact(ty) || matches!(ty, KqlType::String | KqlType::Guid | KqlType::Bool)
}

/// The column a summarize item or group is, when it is a bare column (named as itself).
fn bare_column(item: &NamedExpr) -> Option<&str> {
    match &item.expr.kind {
        ExprKind::Column(name)
            if item.names.is_empty() && item.name.as_ref().is_none_or(|n| n.name == *name) =>
        {
            Some(name)
        }
        _ => None,
    }
}

impl Planner<'_> {
    /// `frame` narrowed to the rows a lone `arg_max`/`arg_min` in `aggregates` may pick, when
    /// the two-pass plan of this module applies; `frame` itself otherwise.
    pub(super) fn narrowed_to_extremes(
        &self,
        frame: Frame,
        aggregates: &[NamedExpr],
        by: &[NamedExpr],
        span: Span,
    ) -> Result<Frame, QueryError> {
        let Some((extreme, maximum)) = self.lone_extreme(aggregates, &frame) else {
            return Ok(frame);
        };
        let keys: Option<Vec<&str>> = by
            .iter()
            .map(|item| {
                bare_column(item).filter(|name| frame.column_type(name).is_some_and(exact_key))
            })
            .collect();
        let Some(keys) = keys.filter(|k| !k.is_empty()) else {
            return Ok(frame);
        };
        if !Self::rereads_parquet(frame.builder.plan()) {
            return Ok(frame);
        }
        let engine = |e| self.engine_error(e, span);
        // Pass 1: each group's extreme, under names of its own.
        let small_key = |n: usize| format!("__ext_k{n}");
        let bound = if maximum {
            agg::max(column(extreme))
        } else {
            agg::min(column(extreme))
        };
        let mut small_columns: Vec<DfExpr> = keys
            .iter()
            .enumerate()
            .map(|(n, k)| column(k).alias(small_key(n)))
            .collect();
        small_columns.push(column("__ext_bound"));
        let small = frame
            .builder
            .clone()
            .aggregate(keys.iter().map(|k| column(k)), [bound.alias("__ext_bound")])
            .and_then(|b| b.project(small_columns))
            .and_then(|b| b.alias("__ext_small"))
            .map_err(engine)?;
        // Pass 2: the rows at their group's extreme. The small side is the join's build side,
        // whose keys become the scan's dynamic filter.
        let rows = frame
            .builder
            .clone()
            .alias("__ext_rows")
            .and_then(|b| b.build())
            .map_err(engine)?;
        // The join's only key is X, so the scan's dynamic filter reads one integer column;
        // the group keys are the join's filter, nulls equal to nulls as groups are.
        let on = (
            vec![Column::new(Some("__ext_small"), "__ext_bound")],
            vec![Column::new(Some("__ext_rows"), extreme)],
        );
        let same_group = keys
            .iter()
            .enumerate()
            .map(|(n, k)| {
                binary_expr(
                    DfExpr::Column(Column::new(Some("__ext_small"), small_key(n))),
                    Operator::IsNotDistinctFrom,
                    DfExpr::Column(Column::new(Some("__ext_rows"), *k)),
                )
            })
            .reduce(DfExpr::and);
        let columns: Vec<DfExpr> = frame
            .columns
            .iter()
            .map(|(name, _)| {
                DfExpr::Column(Column::new(Some("__ext_rows"), name)).alias(name.as_str())
            })
            .collect();
        let builder = small
            .join_detailed(
                rows,
                JoinType::Inner,
                on,
                same_group,
                NullEquality::NullEqualsNull,
            )
            .and_then(|b| b.project(columns))
            .map_err(engine)?;
        Ok(Frame {
            builder,
            columns: frame.columns,
        })
    }

    /// `(X, true)` for a lone `arg_max(X, …)`, `(X, false)` for `arg_min`, X a column of an
    /// exact type.
    fn lone_extreme<'a>(
        &self,
        aggregates: &'a [NamedExpr],
        frame: &Frame,
    ) -> Option<(&'a str, bool)> {
        let [item] = aggregates else {
            return None;
        };
        let ExprKind::Call { name, args } = &item.expr.kind else {
            return None;
        };
        let maximum = match name.name.as_str() {
            "arg_max" | "argmax" => true,
            "arg_min" | "argmin" => false,
            _ => return None,
        };
        let ExprKind::Column(extreme) = &args.first()?.kind else {
            return None;
        };
        (args.len() >= 2 && frame.column_type(extreme).is_some_and(exact))
            .then_some((extreme.as_str(), maximum))
    }

    /// Whether `plan` only scans Parquet listing tables (the user's Parquet files), filters and projects, with no
    /// volatile expression: running it twice reads the same rows.
    fn rereads_parquet(plan: &LogicalPlan) -> bool {
        let mut parquet = true;
        let walked = plan.apply(|node| {
            let fine = match node {
                LogicalPlan::TableScan(scan) => source_as_provider(&scan.source)
                    .ok()
                    .and_then(|provider| {
                        provider
                            .downcast_ref::<ListingTable>()
                            .map(|t| t.options().format.is::<ParquetFormat>())
                    })
                    .unwrap_or(false),
                LogicalPlan::Filter(_)
                | LogicalPlan::Projection(_)
                | LogicalPlan::SubqueryAlias(_) => {
                    node.expressions().iter().all(|e| !e.is_volatile())
                }
                _ => false,
            };
            parquet &= fine;
            Ok(if fine {
                TreeNodeRecursion::Continue
            } else {
                TreeNodeRecursion::Stop
            })
        });
        walked.is_ok() && parquet
    }
}
