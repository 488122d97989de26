//! `parse` and `parse-where` (parse-operator.md, parse-where-operator.md): the pattern becomes
//! one regular expression, anchored at both ends, with a named group per column:
//!
//! - `kind=simple` (the default) and `relaxed`: string constants match as written, `*` and
//!   string-like columns match lazily (`.*?`), so a column ends at the first following
//!   delimiter; `int`/`long` and `real` columns match a number. Simple is strict: a row whose
//!   text does not match, or where any column is not of its type, gets nulls in every column;
//!   relaxed nulls only the column that is not of its type.
//! - `kind=regex`: string constants are regular expressions; `*` and string-like columns are
//!   greedy (`.*`) as the page's examples show, and `flags=` (RE2's `U`, `i`, `m`, `s`)
//!   applies to the whole expression.
//!
//! The text is `tostring` of the expression. Extracted columns replace input columns of the
//! same name; `parse-where` keeps only the rows that match.

use regex::Regex;

use super::{Frame, Planner, column};
use crate::backend::QueryError;
use crate::engine::udf_parse::ParseUdf;
use crate::kql::Span;
use crate::kql::ast::{Parse, ParseKind, ParsePart};
use crate::results::KqlType;
use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::Expr as DfExpr;

/// The regular expression of a pattern whose columns have `types`, in order.
fn pattern_regex(parse: &Parse, types: &[KqlType]) -> String {
    let regex_kind = parse.kind == ParseKind::Regex;
    let mut source = String::from("^(?:");
    let mut column = 0;
    for part in &parse.pattern {
        match part {
            ParsePart::Text(text) if regex_kind => {
                source.push_str("(?:");
                source.push_str(&crate::kql::regex::to_rust_syntax(text));
                source.push(')');
            }
            ParsePart::Text(text) => source.push_str(&regex::escape(text)),
            ParsePart::Star => source.push_str(if regex_kind { ".*" } else { ".*?" }),
            ParsePart::Column { .. } => {
                let ty = types[column];
                let body = match ty {
                    _ if parse.kind == ParseKind::Relaxed => ".*?",
                    KqlType::Int | KqlType::Long => r"-?\d+",
                    KqlType::Real | KqlType::Decimal => r"-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?",
                    _ if regex_kind => ".*",
                    _ => ".*?",
                };
                source.push_str(&format!("(?P<c{column}>{body})"));
                column += 1;
            }
        }
    }
    source.push_str(")$");
    source
}

impl Planner<'_> {
    pub(super) fn parse(
        &mut self,
        frame: Frame,
        parse: &Parse,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let mut columns: Vec<(String, KqlType)> = Vec::new();
        for part in &parse.pattern {
            if let ParsePart::Column { name, ty } = part {
                let kql_type = match ty {
                    None => KqlType::String,
                    Some(ty) => KqlType::from_kql_name(&ty.name).ok_or_else(|| {
                        self.semantic(format!("'{}' is not a KQL type", ty.name), ty.span)
                    })?,
                };
                // A name given twice: the later one wins, as a later extend would.
                columns.retain(|(existing, _)| *existing != name.name);
                columns.push((name.name.clone(), kql_type));
            }
        }
        if columns.is_empty() {
            return Err(self.semantic("the pattern of parse names no column to extract", span));
        }
        let types: Vec<KqlType> = parse
            .pattern
            .iter()
            .filter_map(|part| match part {
                ParsePart::Column { ty, .. } => Some(
                    ty.as_ref()
                        .and_then(|t| KqlType::from_kql_name(&t.name))
                        .unwrap_or(KqlType::String),
                ),
                _ => None,
            })
            .collect();
        let mut source = pattern_regex(parse, &types);
        if let Some(flags) = &parse.flags {
            if parse.kind != ParseKind::Regex {
                return Err(self.semantic("flags= goes with kind=regex", flags.span));
            }
            if !flags
                .name
                .chars()
                .all(|c| matches!(c, 'U' | 'i' | 'm' | 's'))
            {
                return Err(self.semantic(
                    format!("'{}' is not a set of regex flags (U, i, m, s)", flags.name),
                    flags.span,
                ));
            }
            source = format!("(?{}){source}", flags.name);
        }
        let regex = Regex::new(&source).map_err(|e| {
            self.semantic(
                format!("the pattern is not a valid regular expression: {e}"),
                span,
            )
        })?;
        // Group c{i} is the i-th column of the pattern; a repeated name keeps its last group.
        let mut group_columns: Vec<(String, KqlType)> = Vec::new();
        for part in &parse.pattern {
            if let ParsePart::Column { name, .. } = part {
                let ty = types[group_columns.len()];
                group_columns.push((name.name.clone(), ty));
            }
        }
        let text = self.expr(&parse.source, &frame)?;
        let text = self.to_string_expr(text);
        let udf = ParseUdf::udf(
            regex,
            group_columns.clone(),
            parse.kind == ParseKind::Relaxed,
        );
        let parsed = udf.call(vec![text]);
        // The struct once, then its fields: the regex runs once per row.
        let hidden = "__kql_parse";
        let mut exprs: Vec<DfExpr> = frame.columns.iter().map(|(n, _)| column(n)).collect();
        exprs.push(parsed.alias(hidden));
        let builder = frame
            .builder
            .project(exprs)
            .map_err(|e| self.engine_error(e, span))?;
        let builder = if parse.filter {
            builder
                .filter(column(hidden).is_not_null())
                .map_err(|e| self.engine_error(e, span))?
        } else {
            builder
        };
        let field = |index: usize| get_field(column(hidden), format!("c{index}").as_str());
        let last_group = |name: &str| group_columns.iter().rposition(|(n, _)| n == name);
        // Extracted columns replace input columns of the same name in place, as extend does.
        let mut out_exprs = Vec::new();
        let mut out_columns = Vec::new();
        for (name, ty) in &frame.columns {
            match columns.iter().find(|(n, _)| n == name) {
                Some((_, new_ty)) => {
                    let index = last_group(name).unwrap_or_default();
                    out_exprs.push(field(index).alias(name.as_str()));
                    out_columns.push((name.clone(), *new_ty));
                }
                None => {
                    out_exprs.push(column(name));
                    out_columns.push((name.clone(), *ty));
                }
            }
        }
        for (name, ty) in &columns {
            if !frame.columns.iter().any(|(n, _)| n == name) {
                let index = last_group(name).unwrap_or_default();
                out_exprs.push(field(index).alias(name.as_str()));
                out_columns.push((name.clone(), *ty));
            }
        }
        let builder = builder
            .project(out_exprs)
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame {
            builder,
            columns: out_columns,
        })
    }
}
