//! `mv-expand` (mv-expand-operator.md): each element of a dynamic array or property bag its own
//! record, several columns expanded in parallel (the shorter padded with nulls), a null value one
//! record, an empty array none; `to typeof(T)` casts without converting; `with_itemindex` adds
//! the element's index last; `limit` caps the records of each input row (`mvexpand`: 128).

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, UnnestOptions};
use datafusion::functions::expr_fn::greatest;
use datafusion::functions_nested::expr_fn::{cardinality, range};
use datafusion::logical_expr::{Expr as DfExpr, cast, lit};

use super::{Frame, Planner};
use crate::backend::QueryError;
use crate::engine::udf_expand::{CastUdf, ExpandUdf};
use crate::kql::Span;
use crate::kql::ast::{ExprKind, MvExpand};
use crate::results::KqlType;

impl Planner<'_> {
    pub(super) fn mv_expand(
        &mut self,
        frame: Frame,
        expand: &MvExpand,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let limit = match &expand.limit {
            Some(limit) => i64::try_from(self.row_count(limit)?).unwrap_or(i64::MAX),
            None if expand.legacy => 128,
            None => 2_147_483_647,
        };
        let expander = Arc::new(ExpandUdf::udf(expand.bag_as_array));
        // The input's columns, then each expanded value's list.
        let mut exprs: Vec<DfExpr> = frame
            .columns
            .iter()
            .map(|(n, _)| DfExpr::Column(Column::from_name(n.clone())))
            .collect();
        let mut outputs: Vec<(String, KqlType, String)> = Vec::new();
        for (index, item) in expand.items.iter().enumerate() {
            let typed = self.expr(&item.expr, &frame)?;
            if typed.ty != KqlType::Dynamic {
                return Err(self.semantic(
                    format!(
                        "mv-expand expands a dynamic array or property bag; this is {}",
                        typed.ty.with_article()
                    ),
                    item.expr.span,
                ));
            }
            let name = match (&item.name, &item.expr.kind) {
                (Some(name), _) => name.name.clone(),
                (None, ExprKind::Column(column)) => column.clone(),
                // `mv-expand parse_json(Folders)`: the expanded values replace the column the
                // conversion reads, as hunting queries that go on to use `Folders.Path` expect.
                (None, expr) if converted_column(expr).is_some() => {
                    converted_column(expr).unwrap_or_default().to_string()
                }
                (None, _) => {
                    return Err(self.unsupported(
                        "mv-expand of an unnamed expression is not supported by the local engine yet (with a name, Name = …, it runs)",
                        item.expr.span,
                    ));
                }
            };
            let ty = match &item.to_type {
                None => KqlType::Dynamic,
                Some(type_name) => self.declared_type(type_name)?,
            };
            let list = format!("__mv{index}");
            exprs.push(
                expander
                    .call(vec![typed.expr, lit(limit)])
                    .alias(list.as_str()),
            );
            outputs.push((name, ty, list));
        }
        let lists: Vec<DfExpr> = outputs
            .iter()
            .map(|(_, _, l)| cardinality(DfExpr::Column(Column::from_name(l.clone()))))
            .collect();
        let mut unnested: Vec<Column> = outputs
            .iter()
            .map(|(_, _, l)| Column::from_name(l.clone()))
            .collect();
        let Frame {
            builder,
            columns: input,
        } = frame;
        let mut builder = builder
            .project(exprs)
            .map_err(|e| self.engine_error(e, span))?;
        if expand.item_index.is_some() {
            // The indexes, as long as the longest list (a second step: it reads the lists).
            let longest = if lists.len() == 1 {
                lists[0].clone()
            } else {
                greatest(lists)
            };
            let mut with_index: Vec<DfExpr> = input
                .iter()
                .map(|(n, _)| DfExpr::Column(Column::from_name(n.clone())))
                .chain(
                    outputs
                        .iter()
                        .map(|(_, _, l)| DfExpr::Column(Column::from_name(l.clone()))),
                )
                .collect();
            with_index.push(
                range(lit(0i64), cast(longest, DataType::Int64), lit(1i64)).alias("__mv_index"),
            );
            builder = builder
                .project(with_index)
                .map_err(|e| self.engine_error(e, span))?;
            unnested.push(Column::from_name("__mv_index"));
        }
        let builder = builder
            .unnest_columns_with_options(unnested, UnnestOptions::default())
            .map_err(|e| self.engine_error(e, span))?;
        // Expanded columns replace the input's of the same name, in place; new ones go last.
        let value = |ty: KqlType, list: &str| {
            let element = DfExpr::Column(Column::from_name(list));
            if ty == KqlType::Dynamic {
                element
            } else {
                CastUdf::udf(ty).call(vec![element])
            }
        };
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        for (name, ty) in &input {
            match outputs.iter().find(|(n, _, _)| n == name) {
                Some((_, out_ty, list)) => {
                    exprs.push(value(*out_ty, list).alias(name.as_str()));
                    columns.push((name.clone(), *out_ty));
                }
                None => {
                    exprs
                        .push(DfExpr::Column(Column::from_name(name.clone())).alias(name.as_str()));
                    columns.push((name.clone(), *ty));
                }
            }
        }
        for (name, ty, list) in &outputs {
            if !input.iter().any(|(c, _)| c == name) {
                if columns.iter().any(|(c, _)| c == name) {
                    return Err(
                        self.semantic(format!("the column '{name}' is expanded twice"), span)
                    );
                }
                exprs.push(value(*ty, list).alias(name.as_str()));
                columns.push((name.clone(), *ty));
            }
        }
        if let Some(index) = &expand.item_index {
            exprs.push(DfExpr::Column(Column::from_name("__mv_index")).alias(index.name.as_str()));
            columns.push((index.name.clone(), KqlType::Long));
        }
        let builder = builder
            .project(exprs)
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }
}

/// The column a dynamic conversion of one column reads (`parse_json(Folders)` → `Folders`).
fn converted_column(expr: &ExprKind) -> Option<&str> {
    match expr {
        ExprKind::Call { name, args }
            if matches!(
                name.name.as_str(),
                "parse_json" | "parsejson" | "todynamic" | "toobject"
            ) =>
        {
            match args.as_slice() {
                [arg] => match &arg.kind {
                    ExprKind::Column(column) => Some(column),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}
