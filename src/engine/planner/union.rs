//! `union` (union-operator.md): rows of several tables, matched by column name. `kind=outer`
//! (the default) keeps every column of every leg, a leg lacking one giving nulls; `kind=inner`
//! only the columns all legs have. `withsource=Name` adds, first, a column naming each row's
//! leg; `isfuzzy=true` leaves out legs that name no table; `Device*` takes every table whose
//! name fits.

use datafusion::common::{Column, ScalarValue};
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlanBuilder, cast, lit};

use super::{Frame, Planner};
use crate::backend::{ErrorKind, QueryError};
use crate::kql::Span;
use crate::kql::ast::{Ident, Pipeline, Source, Union, UnionLeg};
use crate::results::KqlType;

impl Planner<'_> {
    /// The union of `first` (the input, when `| union` follows a pipeline) and the legs.
    pub(super) fn union(
        &mut self,
        first: Option<(String, Frame)>,
        union: &Union,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let inner = match union.kind.name.as_str() {
            "outer" => false,
            "inner" => true,
            other => {
                return Err(self.semantic(
                    format!(
                        "'{}' is not a kind of union (inner, outer)",
                        other.escape_debug()
                    ),
                    union.kind.span,
                ));
            }
        };
        let mut legs: Vec<(String, Frame)> = first.into_iter().collect();
        for (index, leg) in union.legs.iter().enumerate() {
            match leg {
                UnionLeg::Pattern(pattern) => {
                    let names = self.tables_matching(pattern);
                    if names.is_empty() && !union.fuzzy {
                        return Err(self.semantic(
                            format!("no table's name fits '{}'", pattern.name),
                            pattern.span,
                        ));
                    }
                    for name in names {
                        let frame = self.table(&Ident {
                            name: name.clone(),
                            span: pattern.span,
                        })?;
                        legs.push((name, frame));
                    }
                }
                UnionLeg::Pipeline(pipeline) => {
                    let name = leg_name(pipeline, index);
                    match self.pipeline(pipeline) {
                        Ok(frame) => legs.push((name, frame)),
                        // isfuzzy: a leg naming a table that does not exist is left out.
                        Err(e)
                            if union.fuzzy
                                && e.kind == ErrorKind::Semantic
                                && e.message.starts_with("unknown table") => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        if legs.is_empty() {
            return Err(self.semantic("no leg of this union names a table", span));
        }
        // The output's columns: in order of first appearance (outer), or those every leg has.
        let mut columns: Vec<(String, KqlType)> = Vec::new();
        for (_, frame) in &legs {
            for (name, ty) in &frame.columns {
                match columns.iter().find(|(n, _)| n == name) {
                    Some((_, seen)) if seen != ty => {
                        return Err(self.unsupported(
                            format!(
                                "the column '{name}' is {} in one leg and {} in another; the local engine does not split it by type yet",
                                seen.with_article(),
                                ty.with_article()
                            ),
                            span,
                        ));
                    }
                    Some(_) => {}
                    None => columns.push((name.clone(), *ty)),
                }
            }
        }
        if inner {
            columns.retain(|(name, _)| legs.iter().all(|(_, f)| f.column_type(name).is_some()));
        }
        let source = union.source_column.as_ref().map(|c| c.name.clone());
        if let Some(source) = &source
            && columns.iter().any(|(n, _)| n == source)
        {
            return Err(self.semantic(
                format!("the source column '{source}' is a column of a leg already"),
                span,
            ));
        }
        let mut plan: Option<LogicalPlanBuilder> = None;
        for (name, frame) in legs {
            let mut exprs: Vec<DfExpr> = Vec::with_capacity(columns.len() + 1);
            if let Some(source) = &source {
                exprs.push(lit(name.as_str()).alias(source.as_str()));
            }
            for (column, ty) in &columns {
                let value = match frame.column_type(column) {
                    Some(_) => cast(
                        DfExpr::Column(Column::from_name(column.clone())),
                        ty.arrow_type(),
                    ),
                    None => cast(lit(ScalarValue::Null), ty.arrow_type()),
                };
                exprs.push(value.alias(column.as_str()));
            }
            let leg = frame
                .builder
                .project(exprs)
                .and_then(|b| b.build())
                .map_err(|e| self.engine_error(e, span))?;
            plan = Some(match plan {
                None => LogicalPlanBuilder::from(leg),
                Some(so_far) => so_far.union(leg).map_err(|e| self.engine_error(e, span))?,
            });
        }
        let mut out_columns = Vec::with_capacity(columns.len() + 1);
        if let Some(source) = source {
            out_columns.push((source, KqlType::String));
        }
        out_columns.extend(columns);
        Ok(Frame {
            builder: plan.expect("at least one leg"),
            columns: out_columns,
        })
    }

    /// The catalog's tables whose names fit a `*` pattern, in name order.
    fn tables_matching(&self, pattern: &Ident) -> Vec<String> {
        let parts: Vec<&str> = pattern.name.split('*').collect();
        let fits = |name: &str| {
            let mut rest = name;
            for (i, part) in parts.iter().enumerate() {
                if i == 0 {
                    let Some(after) = rest.strip_prefix(part) else {
                        return false;
                    };
                    rest = after;
                } else if i == parts.len() - 1 {
                    return rest.ends_with(part);
                } else {
                    let Some(at) = rest.find(part) else {
                        return false;
                    };
                    rest = &rest[at + part.len()..];
                }
            }
            rest.is_empty()
        };
        let mut names: Vec<String> = self.catalog.names().filter(|n| fits(n)).cloned().collect();
        names.sort();
        names
    }
}

/// What `withsource` calls a leg: the table (or let) it reads, also through operators and
/// parentheses (union-operator.md: `(Command | where …)` is still "Command"), else
/// `union_argN` (N from 0).
fn leg_name(pipeline: &Pipeline, index: usize) -> String {
    base_table(pipeline).unwrap_or_else(|| format!("union_arg{index}"))
}

/// The table a pipeline reads from, when it reads one.
pub(super) fn base_table(pipeline: &Pipeline) -> Option<String> {
    match &pipeline.source {
        Source::Table(ident) => Some(ident.name.clone()),
        Source::Nested(inner) => base_table(inner),
        _ => None,
    }
}
