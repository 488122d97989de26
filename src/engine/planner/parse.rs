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
                    Some(ty) => self.declared_type(ty)?,
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
        // Each output column is the last group of its name.
        let fields: Vec<(String, KqlType, usize)> = columns
            .iter()
            .map(|(name, ty)| {
                let index = group_columns.iter().rposition(|(n, _)| n == name);
                (name.clone(), *ty, index.unwrap_or_default())
            })
            .collect();
        self.with_struct_fields(frame, parsed, &fields, parse.filter, span)
    }

    /// `frame` with the fields `c{i}` of the struct `parsed` as the columns `fields` (name, type,
    /// i), computed once per row: a field replaces an input column of its name in place (as
    /// extend does), the others come last; with `matched_only`, rows whose struct is null go.
    fn with_struct_fields(
        &self,
        frame: Frame,
        parsed: DfExpr,
        fields: &[(String, KqlType, usize)],
        matched_only: bool,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let hidden = "__kql_struct";
        let mut exprs: Vec<DfExpr> = frame.columns.iter().map(|(n, _)| column(n)).collect();
        exprs.push(parsed.alias(hidden));
        let mut builder = frame
            .builder
            .project(exprs)
            .map_err(|e| self.engine_error(e, span))?;
        if matched_only {
            builder = builder
                .filter(column(hidden).is_not_null())
                .map_err(|e| self.engine_error(e, span))?;
        }
        let field = |index: usize| get_field(column(hidden), format!("c{index}").as_str());
        let mut out_exprs = Vec::new();
        let mut out_columns = Vec::new();
        for (name, ty) in &frame.columns {
            match fields.iter().find(|(n, _, _)| n == name) {
                Some((_, new_ty, index)) => {
                    out_exprs.push(field(*index).alias(name.as_str()));
                    out_columns.push((name.clone(), *new_ty));
                }
                None => {
                    out_exprs.push(column(name));
                    out_columns.push((name.clone(), *ty));
                }
            }
        }
        for (name, ty, index) in fields {
            if !frame.columns.iter().any(|(n, _)| n == name) {
                out_exprs.push(field(*index).alias(name.as_str()));
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

impl Planner<'_> {
    /// `parse-kv Expr as (Key: type, …) with (…)` (parse-kv-operator.md): the keys as new
    /// columns (replacing input columns of the same name), null where a key is missing.
    pub(super) fn parse_kv(
        &mut self,
        frame: Frame,
        parse: &crate::kql::ast::ParseKv,
        span: Span,
    ) -> Result<Frame, QueryError> {
        use crate::engine::udf_parse::{KvMode, KvQuoting, ParseKvUdf};
        let mut keys: Vec<(String, KqlType)> = Vec::new();
        for (name, ty) in &parse.keys {
            let kql_type = self.declared_type(ty)?;
            keys.push((name.name.clone(), kql_type));
        }
        let (mut pair, mut kv, mut greedy, mut regex_text) = (None, None, false, None);
        let mut quoting = KvQuoting::default();
        for (name, value) in &parse.properties {
            let typed = self.expr(value, &Frame::empty())?;
            let text = typed.literal_string().map(str::to_string);
            let constant = |planner: &Self| {
                text.clone().ok_or_else(|| {
                    planner.semantic(format!("{} takes a constant string", name.name), value.span)
                })
            };
            match name.name.as_str() {
                "pair_delimiter" => pair = Some(constant(self)?),
                "kv_delimiter" => kv = Some(constant(self)?),
                "regex" => regex_text = Some(constant(self)?),
                "greedy" => {
                    greedy = matches!(typed.literal, Some(crate::kql::ast::Literal::Bool(true)))
                }
                "quote" => {
                    let q: Vec<char> = constant(self)?.chars().collect();
                    match q.as_slice() {
                        [c] => quoting.quotes.push((*c, *c)),
                        [open, close] => quoting.quotes.push((*open, *close)),
                        _ => {
                            return Err(self.semantic(
                                "quote is one character, or two (opening and closing)",
                                value.span,
                            ));
                        }
                    }
                }
                "escape" => {
                    let e: Vec<char> = constant(self)?.chars().collect();
                    match e.as_slice() {
                        [c] => quoting.escapes.push(*c),
                        _ => return Err(self.semantic("escape is one character", value.span)),
                    }
                }
                other => {
                    return Err(self.semantic(
                        format!("'{other}' is not a property of parse-kv (pair_delimiter, kv_delimiter, quote, escape, greedy, regex)"),
                        name.span,
                    ));
                }
            }
        }
        let (mode, compiled) = match (pair, kv, regex_text) {
            (_, _, Some(pattern)) => {
                let compiled = Regex::new(&crate::kql::regex::to_rust_syntax(&pattern))
                    .map_err(|e| self.semantic(format!("invalid regular expression: {e}"), span))?;
                if compiled.captures_len() != 3 {
                    return Err(self.semantic(
                        "parse-kv's regex has exactly two capturing groups: the key and the value",
                        span,
                    ));
                }
                (KvMode::Regex(pattern), Some(compiled))
            }
            (Some(pair), Some(kv), None) => (KvMode::Delimited { pair, kv, greedy }, None),
            (None, None, None) => (KvMode::Loose, None),
            _ => {
                return Err(self.semantic(
                    "parse-kv takes both pair_delimiter and kv_delimiter, or neither",
                    span,
                ));
            }
        };
        let text = self.expr(&parse.source, &frame)?;
        let text = self.to_string_expr(text);
        let parsed = ParseKvUdf::udf(keys.clone(), mode, quoting, compiled).call(vec![text]);
        let fields: Vec<(String, KqlType, usize)> = keys
            .iter()
            .enumerate()
            .map(|(index, (name, ty))| (name.clone(), *ty, index))
            .collect();
        self.with_struct_fields(frame, parsed, &fields, false, span)
    }
}
