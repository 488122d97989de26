//! Functions that give several columns: `array_sort_asc(a1, …, aN)` and `array_sort_desc`
//! of several arrays (array-sort-asc-function.md) give one column per array, `a1_sorted` …
//! (or the names of `(x, y) = …`); `series_decompose(y)` gives
//! `series_decompose_y_baseline`, `_seasonal`, `_trend` and `_residual`
//! (series-decompose-function.md) and `series_decompose_anomalies(y)`
//! `series_decompose_anomalies_y_ad_flag`, `_ad_score` and `_baseline`
//! (series-decompose-anomalies-function.md's example names the first), or the names of
//! `(a, b, …) = …`. Standing alone as an item of `print`, `extend` or `project`, such a call is
//! spread over its columns here; an array sort indexed (`array_sort_asc(a, b)[1]`, as the page's
//! third example does) is the array of the N results. Anywhere else it is refused.
//!
//! A series function's column `k` is planned as a call of `<function>#k` (a name the parser
//! never makes, so a query cannot write it): the function's row UDF, indexed by `k`.

use super::{Frame, Planner};
use crate::backend::QueryError;
use crate::engine::functions::{
    ARRAY_SORT_ASC_SEVERAL, ARRAY_SORT_DESC_SEVERAL, DECOMPOSE_ANOMALIES_COLUMNS,
    DECOMPOSE_COLUMNS, RowFunction, SERIES_DECOMPOSE, SERIES_DECOMPOSE_ANOMALIES,
};
use crate::kql::ast::{Expr, ExprKind, Ident, Literal, NamedExpr};
use crate::results::KqlType;

impl Planner<'_> {
    /// Whether `array_sort_asc/desc(args)` sorts several arrays: its second argument is an
    /// array, not the `nulls_last` bool.
    pub(super) fn sorts_several_arrays(
        &mut self,
        args: &[Expr],
        frame: &Frame,
    ) -> Result<bool, QueryError> {
        match args.get(1) {
            Some(second) => Ok(self.expr(second, frame)?.ty == KqlType::Dynamic),
            None => Ok(false),
        }
    }

    /// The row function that sorts several arrays together, when `expr` is such a call.
    pub(super) fn several_arrays_call<'e>(
        &mut self,
        expr: &'e Expr,
        frame: &Frame,
    ) -> Result<Option<(&'static RowFunction, &'e [Expr])>, QueryError> {
        let ExprKind::Call { name, args } = &expr.kind else {
            return Ok(None);
        };
        let definition = match name.name.as_str() {
            "array_sort_asc" => &ARRAY_SORT_ASC_SEVERAL,
            "array_sort_desc" => &ARRAY_SORT_DESC_SEVERAL,
            _ => return Ok(None),
        };
        // A let function of the same name shadows the built-in one.
        if self.functions.contains_key(&name.name) || !self.sorts_several_arrays(args, frame)? {
            return Ok(None);
        }
        Ok(Some((definition, args)))
    }

    /// The row function of a series function that gives several columns, and its columns'
    /// names, when `expr` calls one (a let function of the same name shadows it).
    pub(super) fn several_series_call(
        &self,
        expr: &Expr,
    ) -> Option<(&'static RowFunction, &'static [&'static str])> {
        let ExprKind::Call { name, .. } = &expr.kind else {
            return None;
        };
        if self.functions.contains_key(&name.name) {
            return None;
        }
        several_series(&name.name)
    }

    /// A series function's call spread over its columns: item `k` calls `<function>#k`, named
    /// by `(a, b, …) = …` or `<function>_<series column>_<column>`.
    fn spread_series(
        &self,
        item: &NamedExpr,
        parts: &[&str],
        spread: &mut Vec<NamedExpr>,
    ) -> Result<(), QueryError> {
        let ExprKind::Call { name, args } = &item.expr.kind else {
            return Ok(());
        };
        let function = name.name.as_str();
        let names: Vec<Ident> = if !item.names.is_empty() {
            if item.names.len() != parts.len() {
                return Err(self.semantic(
                    format!(
                        "{} names for the {} columns {function}() gives ({})",
                        item.names.len(),
                        parts.len(),
                        parts.join(", ")
                    ),
                    item.names[0].span,
                ));
            }
            item.names.clone()
        } else if let Some(single) = &item.name {
            return Err(self.unsupported(
                format!(
                    "{function}() gives {} columns ({}): name them all, ({}) = …, or leave them to be named after the series",
                    parts.len(),
                    parts.join(", "),
                    parts.join(", ")
                ),
                single.span,
            ));
        } else {
            let Some(Expr {
                kind: ExprKind::Column(series),
                ..
            }) = args.first()
            else {
                let at = args.first().map_or(name.span, |a| a.span);
                return Err(self.unsupported(
                    format!(
                        "the local engine names the columns of {function}() after a series column only: name them, ({}) = …",
                        parts.join(", ")
                    ),
                    at,
                ));
            };
            parts
                .iter()
                .map(|part| Ident {
                    name: format!("{function}_{series}_{part}"),
                    span: item.expr.span,
                })
                .collect()
        };
        for (k, column) in names.into_iter().enumerate() {
            spread.push(NamedExpr {
                name: Some(column),
                names: Vec::new(),
                expr: Expr::new(
                    ExprKind::Call {
                        name: Ident {
                            name: format!("{function}#{k}"),
                            span: name.span,
                        },
                        args: args.clone(),
                    },
                    item.expr.span,
                ),
            });
        }
        Ok(())
    }

    /// `items` with each call that gives several columns spread over them: for an array sort,
    /// item `k` is the call indexed by `k`, named by `(x, y) = …` or `<argument>_sorted`; for a
    /// series function see [`Planner::spread_series`].
    pub(super) fn spread_items(
        &mut self,
        items: &[NamedExpr],
        frame: &Frame,
    ) -> Result<Vec<NamedExpr>, QueryError> {
        let mut spread = Vec::with_capacity(items.len());
        for item in items {
            if let Some((_, parts)) = self.several_series_call(&item.expr) {
                self.spread_series(item, parts, &mut spread)?;
                continue;
            }
            let Some((_, args)) = self.several_arrays_call(&item.expr, frame)? else {
                spread.push(item.clone());
                continue;
            };
            let nulls_last_given = match args.last() {
                Some(last) => self.expr(last, frame)?.ty == KqlType::Bool,
                None => false,
            };
            let arrays = &args[..args.len() - usize::from(nulls_last_given)];
            let names: Vec<Ident> = if !item.names.is_empty() {
                if item.names.len() != arrays.len() {
                    return Err(self.semantic(
                        format!(
                            "{} names for the {} columns this call gives",
                            item.names.len(),
                            arrays.len()
                        ),
                        item.names[0].span,
                    ));
                }
                item.names.clone()
            } else if let Some(name) = &item.name {
                return Err(self.semantic(
                    format!(
                        "this call gives {} columns: name them all, ({}) = …",
                        arrays.len(),
                        (1..=arrays.len())
                            .map(|k| format!("{}{k}", name.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    name.span,
                ));
            } else {
                let mut names = Vec::with_capacity(arrays.len());
                for array in arrays {
                    let ExprKind::Column(argument) = &array.kind else {
                        return Err(self.unsupported(
                            "the local engine names the columns of a sort of several arrays after the arrays' names only: name them, (a, b) = …",
                            array.span,
                        ));
                    };
                    names.push(Ident {
                        name: format!("{argument}_sorted"),
                        span: array.span,
                    });
                }
                names
            };
            for (k, name) in names.into_iter().enumerate() {
                let index = Expr::new(
                    ExprKind::Literal(Literal::Long(i64::try_from(k).unwrap_or(i64::MAX))),
                    item.expr.span,
                );
                spread.push(NamedExpr {
                    name: Some(name),
                    names: Vec::new(),
                    expr: Expr::new(
                        ExprKind::Index {
                            target: Box::new(item.expr.clone()),
                            index: Box::new(index),
                        },
                        item.expr.span,
                    ),
                });
            }
        }
        Ok(spread)
    }
}

/// The row function and column names of a series function that gives several columns.
pub(super) fn several_series(
    function: &str,
) -> Option<(&'static RowFunction, &'static [&'static str])> {
    match function {
        "series_decompose" => Some((&SERIES_DECOMPOSE, DECOMPOSE_COLUMNS)),
        "series_decompose_anomalies" => {
            Some((&SERIES_DECOMPOSE_ANOMALIES, DECOMPOSE_ANOMALIES_COLUMNS))
        }
        _ => None,
    }
}
