//! `mv-apply` (mv-apply-operator.md): each input record's arrays are expanded into a subtable
//! (as `mv-expand` expands them), the subquery runs on each subtable, and its rows come back
//! with the record's other columns. Planned as one query over all records: every record gets a
//! hidden number, the expansion keeps it, and the subquery's operators work per number —
//! `summarize` groups by it, `top`/`take` keep their rows within it — before the result is
//! joined back to the records on it. The subtable holds the expanded columns (and the item
//! index) with the record's other columns; an input column that the subquery's result names
//! again is replaced.

use datafusion::common::{Column, JoinType};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt, LogicalPlanBuilder, lit};

use super::{Frame, Planner, column};
use crate::backend::QueryError;
use crate::kql::Span;
use crate::kql::ast::{Expr, ExprKind, Ident, MvApply, NamedExpr, Operator, OperatorKind, SortKey};
use crate::results::KqlType;

/// The hidden record number.
const ROW: &str = "__apply_row";

/// Whether an item outputs the column `key` (named so, or the bare column).
fn names_column(item: &NamedExpr, key: &str) -> bool {
    match &item.name {
        Some(name) => name.name == key,
        None => matches!(&item.expr.kind, ExprKind::Column(c) if c == key),
    }
}

/// The key column as a `by`/`project` item.
fn key_item(key: &str, span: Span) -> NamedExpr {
    NamedExpr {
        name: Some(Ident {
            name: key.to_string(),
            span,
        }),
        names: vec![],
        expr: Expr::new(ExprKind::Column(key.to_string()), span),
    }
}

impl Planner<'_> {
    pub(super) fn mv_apply(
        &mut self,
        frame: Frame,
        apply: &MvApply,
        span: Span,
    ) -> Result<Frame, QueryError> {
        // Number the records.
        let numbered = self.with_window_column(frame, row_number(), ROW, KqlType::Long, span)?;
        let input_columns = numbered.columns.clone();
        let input = numbered.clone();
        // Expand. The subquery sees the record's columns too (mv-apply-operator.md's last
        // example reads one it did not expand); what it drops comes back in the join.
        for item in &apply.expand.items {
            if item.name.is_none() && !matches!(item.expr.kind, ExprKind::Column(_)) {
                return Err(self.unsupported(
                    "mv-apply of an unnamed expression is not supported by the local engine yet (with a name, Name = …, it runs)",
                    item.expr.span,
                ));
            }
        }
        let mut sub = self.mv_expand(numbered, &apply.expand, span)?;
        for operator in &apply.operators {
            sub = self.apply_operator(sub, operator, ROW)?;
        }
        if sub.column_type(ROW).is_none() {
            return Err(self.semantic(
                "the mv-apply subquery dropped the record it works on; keep its columns with project",
                span,
            ));
        }
        // An expanded column named by itself leaves the input (mv-apply-operator.md).
        let replaced: Vec<String> = apply
            .expand
            .items
            .iter()
            .filter_map(|item| match (&item.name, &item.expr.kind) {
                (None, ExprKind::Column(c)) => Some(c.clone()),
                _ => None,
            })
            .collect();
        let kept: Vec<(String, KqlType)> = input_columns
            .iter()
            .filter(|(n, _)| !replaced.contains(n))
            .cloned()
            .collect();
        self.join_back(input, &kept, sub, span)
    }

    /// `partition by Column (Operators)` (partition-operator.md): the operators run on each
    /// partition's rows, as mv-apply's run on each record's; the partition column is kept.
    pub(super) fn partition(
        &mut self,
        frame: Frame,
        key: &Ident,
        operators: &[Operator],
    ) -> Result<Frame, QueryError> {
        self.require_column(&frame, key)?;
        let names_key = |item: &NamedExpr| names_column(item, &key.name);
        // The subqueries' results are unioned as they are: the key is kept to run them per
        // value, and left out at the end unless the subquery itself outputs it.
        let mut visible = true;
        let mut planned = frame;
        for operator in operators {
            visible = match &operator.kind {
                OperatorKind::Summarize { by, .. } => by.iter().any(names_key),
                OperatorKind::Project(items) | OperatorKind::Distinct(items) => {
                    items.iter().any(names_key)
                }
                OperatorKind::Count => false,
                OperatorKind::ProjectColumns { kind, items } => {
                    let matched = items
                        .iter()
                        .any(|i| super::columns::wildcard_match(&i.pattern, &key.name));
                    match kind {
                        crate::kql::ast::ProjectKind::Away => visible && !matched,
                        crate::kql::ast::ProjectKind::Keep => visible && matched,
                        crate::kql::ast::ProjectKind::Reorder => visible,
                    }
                }
                _ => visible,
            };
            planned = self.apply_operator(planned, operator, &key.name)?;
        }
        if planned.column_type(&key.name).is_none() {
            return Err(self.semantic(
                "the partition subquery dropped the partition column",
                key.span,
            ));
        }
        if !visible {
            let keep: Vec<(String, KqlType)> = planned
                .columns
                .iter()
                .filter(|(n, _)| *n != key.name)
                .cloned()
                .collect();
            let exprs = keep.iter().map(|(n, _)| column(n)).collect();
            planned = self.projected(planned, exprs, keep, key.span)?;
        }
        Ok(planned)
    }

    /// One operator of a subquery run per value of `key` (mv-apply's record, partition's
    /// column).
    fn apply_operator(
        &mut self,
        frame: Frame,
        operator: &Operator,
        key: &str,
    ) -> Result<Frame, QueryError> {
        let span = operator.span;
        match &operator.kind {
            OperatorKind::Where(_)
            | OperatorKind::Extend(_)
            | OperatorKind::Parse(_)
            | OperatorKind::MvExpand(_)
            | OperatorKind::ProjectRename(_) => self.operator(frame, operator),
            OperatorKind::Project(items) => {
                let mut items = items.clone();
                if !items.iter().any(|item| names_column(item, key)) {
                    items.insert(0, key_item(key, span));
                }
                self.project(frame, &items, span)
            }
            OperatorKind::ProjectColumns { kind, items } => {
                let mut planned = self.project_columns(frame.clone(), *kind, items, span)?;
                if planned.column_type(key).is_none() {
                    // Keep the key whatever the patterns say.
                    let key_type = frame.column_type(key).unwrap_or(KqlType::Long);
                    let mut keep = vec![(key.to_string(), key_type)];
                    keep.extend(planned.columns.iter().cloned());
                    let exprs: Vec<DfExpr> = keep.iter().map(|(n, _)| column(n)).collect();
                    let mut with_row = frame;
                    with_row = self.projected(with_row, exprs, keep, span)?;
                    planned = with_row;
                }
                Ok(planned)
            }
            OperatorKind::Summarize { aggregates, by } => {
                let mut by = by.clone();
                if !by.iter().any(|item| names_column(item, key)) {
                    by.insert(0, key_item(key, span));
                }
                self.summarize(frame, aggregates, &by, span)
            }
            OperatorKind::Count => {
                let count = NamedExpr {
                    name: Some(Ident {
                        name: "Count".into(),
                        span,
                    }),
                    names: vec![],
                    expr: super::call_expr("count", vec![], span),
                };
                self.summarize(frame, &[count], &[key_item(key, span)], span)
            }
            OperatorKind::Distinct(items) => {
                let mut items = items.clone();
                if !items.iter().any(|item| names_column(item, key)) {
                    items.insert(0, key_item(key, span));
                }
                self.operator(
                    frame,
                    &Operator {
                        kind: OperatorKind::Distinct(items),
                        span,
                    },
                )
            }
            OperatorKind::Take(count) => {
                let n = self.row_count(count)?;
                self.first_per_record(frame, &[], n, key, span)
            }
            OperatorKind::Top {
                count,
                key: sort_key,
            } => {
                let n = self.row_count(count)?;
                self.first_per_record(frame, std::slice::from_ref(sort_key), n, key, span)
            }
            OperatorKind::Sort(keys) => {
                let mut sorts = vec![column(key).sort(true, false)];
                for sort_key in keys {
                    sorts.push(self.sort_key(sort_key, &frame)?);
                }
                self.with_plan(frame, span, |b| b.sort(sorts))
            }
            // One scan per value of the key (scan-operator.md's sessions per user).
            OperatorKind::Scan(scan) => self.scan(frame, scan, Some(key), span),
            other => Err(self.unsupported(
                format!(
                    "'{}' inside mv-apply or partition is not supported by the local engine yet",
                    other.name()
                ),
                span,
            )),
        }
    }

    /// The first `n` rows of each value of `key` (by `keys` when given).
    fn first_per_record(
        &mut self,
        frame: Frame,
        keys: &[SortKey],
        n: usize,
        key: &str,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let mut order = Vec::new();
        for key in keys {
            order.push(self.sort_key(key, &frame)?);
        }
        let partitioned = row_number().partition_by(vec![column(key)]);
        let rank = if order.is_empty() {
            partitioned.build()
        } else {
            partitioned.order_by(order.clone()).build()
        }
        .map_err(|e| self.engine_error(e, span))?;
        let columns = frame.columns.clone();
        let ranked = self.with_window_column(frame, rank, "__apply_rank", KqlType::Long, span)?;
        let limit = i64::try_from(n).unwrap_or(i64::MAX);
        let mut sorts = vec![column(key).sort(true, false)];
        sorts.extend(order);
        let builder = ranked
            .builder
            .filter(column("__apply_rank").lt_eq(lit(limit)))
            .and_then(|b| b.sort(sorts))
            .and_then(|b| b.project(columns.iter().map(|(n, _)| column(n))))
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }

    /// `frame` with the window expression `window` as the column `name`.
    pub(super) fn with_window_column(
        &self,
        frame: Frame,
        window: DfExpr,
        name: &str,
        ty: KqlType,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let plan = frame
            .builder
            .build()
            .map_err(|e| self.engine_error(e, span))?;
        let before = plan.schema().fields().len();
        let plan = LogicalPlanBuilder::window_plan(plan, vec![window])
            .map_err(|e| self.engine_error(e, span))?;
        let (qualifier, field) = plan.schema().qualified_field(before);
        let computed = DfExpr::Column(Column::from((qualifier, field)));
        let mut exprs: Vec<DfExpr> = frame.columns.iter().map(|(n, _)| column(n)).collect();
        exprs.push(datafusion::logical_expr::cast(computed, ty.arrow_type()).alias(name));
        let mut columns = frame.columns;
        columns.push((name.to_string(), ty));
        let builder = LogicalPlanBuilder::from(plan)
            .project(exprs)
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }

    /// The subquery's rows joined to their records: the records' columns first (but those the
    /// subquery names again), then the subquery's.
    fn join_back(
        &self,
        input: Frame,
        input_columns: &[(String, KqlType)],
        sub: Frame,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let right = sub
            .builder
            .alias("__apply_sub")
            .and_then(|b| b.build())
            .map_err(|e| self.engine_error(e, span))?;
        let joined = input
            .builder
            .alias("__apply_in")
            .and_then(|b| {
                b.join(
                    right,
                    JoinType::Inner,
                    (
                        vec![Column::new(Some("__apply_in"), ROW)],
                        vec![Column::new(Some("__apply_sub"), ROW)],
                    ),
                    None,
                )
            })
            .map_err(|e| self.engine_error(e, span))?;
        let from =
            |side: &str, name: &str| DfExpr::Column(Column::new(Some(side.to_string()), name));
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        for (name, ty) in input_columns {
            if name == ROW || sub.columns.iter().any(|(n, _)| n == name) {
                continue;
            }
            exprs.push(from("__apply_in", name).alias(name.as_str()));
            columns.push((name.clone(), *ty));
        }
        for (name, ty) in &sub.columns {
            if name == ROW {
                continue;
            }
            exprs.push(from("__apply_sub", name).alias(name.as_str()));
            columns.push((name.clone(), *ty));
        }
        let order = vec![from("__apply_in", ROW).sort(true, false)];
        let builder = joined
            .sort(order)
            .and_then(|b| b.project(exprs))
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }
}
