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
        // A name with several types gives a column per type, `Name_type` (union-operator.md,
        // "Source columns types mismatch"), numbered when that name is taken.
        let mut seen: Vec<(String, KqlType)> = Vec::new();
        for (_, frame) in &legs {
            for (name, ty) in &frame.columns {
                if !seen.iter().any(|(n, t)| n == name && t == ty) {
                    seen.push((name.clone(), *ty));
                }
            }
        }
        let types_of = |name: &str| seen.iter().filter(|(n, _)| n == name).count();
        let plain: Vec<String> = seen
            .iter()
            .filter(|(n, _)| types_of(n) == 1)
            .map(|(n, _)| n.clone())
            .collect();
        // (output name, source column, type)
        let mut entries: Vec<(String, String, KqlType)> = Vec::new();
        for (name, ty) in &seen {
            let out = if types_of(name) == 1 {
                name.clone()
            } else {
                let base = format!("{name}_{}", ty.kql_name());
                let taken = |candidate: &str| {
                    plain.iter().any(|p| p == candidate)
                        || entries.iter().any(|(o, _, _)| o == candidate)
                };
                let mut out = base.clone();
                let mut n = 1;
                while taken(&out) {
                    out = format!("{base}{n}");
                    n += 1;
                }
                out
            };
            entries.push((out, name.clone(), *ty));
        }
        if inner {
            entries
                .retain(|(_, name, ty)| legs.iter().all(|(_, f)| f.column_type(name) == Some(*ty)));
        }
        let columns: Vec<(String, KqlType)> =
            entries.iter().map(|(o, _, t)| (o.clone(), *t)).collect();
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
            for (out, column, ty) in &entries {
                let value = match frame.column_type(column) {
                    Some(leg_type) if leg_type == *ty => cast(
                        DfExpr::Column(Column::from_name(column.clone())),
                        ty.arrow_type(),
                    ),
                    _ => cast(lit(ScalarValue::Null), ty.arrow_type()),
                };
                exprs.push(value.alias(out.as_str()));
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
