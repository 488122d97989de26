//! `top-nested` (top-nested-operator.md): a hierarchy of aggregations. Level i groups by the
//! values of levels 1…i, aggregates, keeps the top N groups within each group of the level
//! above (all when N is not given), and joins to the level above; the output has, per level,
//! the value column (named as its expression's column, or as written with `Name =`) and the
//! aggregate column (`aggregated_<value column>` unless named). Rows come sorted level by level,
//! greatest aggregate first (least with `asc`).

use datafusion::common::{Column, JoinType, NullEquality};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt, LogicalPlanBuilder, lit};

use super::{Frame, Planner, column};
use crate::backend::QueryError;
use crate::kql::Span;
use crate::kql::ast::{Expr, ExprKind, Ident, NamedExpr, TopNestedLevel};
use crate::results::KqlType;

fn key(level: usize) -> String {
    format!("__tn_key{level}")
}

fn aggregated(level: usize) -> String {
    format!("__tn_agg{level}")
}

fn named(name: String, expr: Expr) -> NamedExpr {
    NamedExpr {
        name: Some(Ident {
            name,
            span: expr.span,
        }),
        names: vec![],
        expr,
    }
}

impl Planner<'_> {
    pub(super) fn top_nested(
        &mut self,
        frame: Frame,
        levels: &[TopNestedLevel],
        span: Span,
    ) -> Result<Frame, QueryError> {
        if let Some(others) = levels.iter().find_map(|l| l.others.as_ref()) {
            return Err(self.unsupported(
                "top-nested … with others is not supported by the local engine yet",
                others.span,
            ));
        }
        // Each level's value as a hidden column of the input.
        let keys: Vec<NamedExpr> = levels
            .iter()
            .enumerate()
            .map(|(i, level)| named(key(i), level.of.expr.clone()))
            .collect();
        let base = self.extend(frame, &keys, span)?;
        let mut result: Option<Frame> = None;
        let mut out: Vec<(String, String, KqlType)> = Vec::new();
        for (i, level) in levels.iter().enumerate() {
            let by: Vec<NamedExpr> = (0..=i)
                .map(|k| {
                    named(
                        key(k),
                        Expr::new(ExprKind::Column(key(k)), level.of.expr.span),
                    )
                })
                .collect();
            let aggregate = named(aggregated(i), level.by.expr.clone());
            let grouped = self.summarize(base.clone(), &[aggregate], &by, span)?;
            let kept = self.top_of_level(grouped, i, level, span)?;
            // Output names: the value's, then the aggregate's.
            let value_name = match (&level.of.name, &level.of.expr.kind) {
                (Some(name), _) => name.name.clone(),
                (None, ExprKind::Column(c)) => c.clone(),
                (None, _) => format!("Column{}", i + 1),
            };
            let aggregate_name = match &level.by.name {
                Some(name) => name.name.clone(),
                None => format!("aggregated_{value_name}"),
            };
            let key_type = kept.column_type(&key(i)).unwrap_or(KqlType::String);
            let aggregate_type = kept.column_type(&aggregated(i)).unwrap_or(KqlType::Long);
            out.push((key(i), value_name, key_type));
            out.push((aggregated(i), aggregate_name, aggregate_type));
            result = Some(match result {
                None => kept,
                Some(above) => self.join_level(above, kept, i, span)?,
            });
        }
        let Some(result) = result else {
            return Err(self.semantic("top-nested needs at least one clause", span));
        };
        // Sorted level by level, then named as KQL names them.
        let mut sorts = Vec::new();
        for (i, level) in levels.iter().enumerate() {
            sorts.push(column(&aggregated(i)).sort(level.ascending, false));
            sorts.push(column(&key(i)).sort(true, true));
        }
        let mut seen: Vec<(String, KqlType)> = Vec::new();
        let mut exprs = Vec::new();
        for (hidden, name, ty) in &out {
            if seen.iter().any(|(n, _)| n == name) {
                return Err(self.semantic(format!("the column '{name}' is defined twice"), span));
            }
            exprs.push(column(hidden).alias(name.as_str()));
            seen.push((name.clone(), *ty));
        }
        let builder = result
            .builder
            .sort(sorts)
            .and_then(|b| b.project(exprs))
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame {
            builder,
            columns: seen,
        })
    }

    /// The top N groups of level `i` within each group of the level above.
    fn top_of_level(
        &self,
        grouped: Frame,
        i: usize,
        level: &TopNestedLevel,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let Some(count) = &level.count else {
            return Ok(grouped);
        };
        let limit = match self.literal_count(count) {
            Some(n) => n,
            None => {
                return Err(self.semantic(
                    "top-nested's number of values must be a constant whole number",
                    count.span,
                ));
            }
        };
        let parents: Vec<DfExpr> = (0..i).map(|k| column(&key(k))).collect();
        let rank = row_number()
            .partition_by(parents)
            .order_by(vec![column(&aggregated(i)).sort(level.ascending, false)])
            .build()
            .map_err(|e| self.engine_error(e, span))?;
        let plan = grouped
            .builder
            .build()
            .map_err(|e| self.engine_error(e, span))?;
        let before = plan.schema().fields().len();
        let plan = LogicalPlanBuilder::window_plan(plan, vec![rank])
            .map_err(|e| self.engine_error(e, span))?;
        let (qualifier, field) = plan.schema().qualified_field(before);
        let rank_column = DfExpr::Column(Column::from((qualifier, field)));
        let builder = LogicalPlanBuilder::from(plan)
            .filter(rank_column.lt_eq(lit(limit)))
            .and_then(|b| b.project(grouped.columns.iter().map(|(n, _)| column(n))))
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame {
            builder,
            columns: grouped.columns,
        })
    }

    /// A constant whole number of values (`top-nested 5 of …`).
    fn literal_count(&self, count: &Expr) -> Option<i64> {
        match &count.kind {
            ExprKind::Literal(crate::kql::ast::Literal::Long(n)) if *n >= 0 => Some(*n),
            ExprKind::Literal(crate::kql::ast::Literal::Int(n)) if *n >= 0 => Some(i64::from(*n)),
            _ => None,
        }
    }

    /// Level `i` joined to the levels above on their values (nulls match nulls: a null value is
    /// a group of its own).
    fn join_level(
        &self,
        above: Frame,
        level: Frame,
        i: usize,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let level_columns = level.columns.clone();
        let right = level
            .builder
            .alias("__tn_right")
            .and_then(|b| b.build())
            .map_err(|e| self.engine_error(e, span))?;
        let left_keys: Vec<Column> = (0..i)
            .map(|k| Column::new(Some("__tn_left"), key(k)))
            .collect();
        let right_keys: Vec<Column> = (0..i)
            .map(|k| Column::new(Some("__tn_right"), key(k)))
            .collect();
        let joined = above
            .builder
            .alias("__tn_left")
            .and_then(|b| {
                b.join_detailed(
                    right,
                    JoinType::Inner,
                    (left_keys, right_keys),
                    None,
                    NullEquality::NullEqualsNull,
                )
            })
            .map_err(|e| self.engine_error(e, span))?;
        let from =
            |side: &str, name: &str| DfExpr::Column(Column::new(Some(side.to_string()), name));
        let mut exprs: Vec<DfExpr> = above
            .columns
            .iter()
            .map(|(n, _)| from("__tn_left", n).alias(n.as_str()))
            .collect();
        let mut columns = above.columns.clone();
        for name in [key(i), aggregated(i)] {
            let ty = level_columns
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(KqlType::String, |(_, t)| *t);
            exprs.push(from("__tn_right", &name).alias(name.as_str()));
            columns.push((name, ty));
        }
        let builder = joined
            .project(exprs)
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }
}
