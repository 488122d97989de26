//! Scalar expressions: literals, columns, operators (comparisons, arithmetic on numbers,
//! datetimes and timespans, the string operators, `in`, `between`), dynamic member access.
//! Scalar function calls are planned in `functions`.
//!
//! KQL facts implemented here: `==` is case-sensitive and `=~` not; a comparison with null is
//! false but `!=` is true; a missing string is `""`, so negated string operators keep rows whose
//! string is missing (datatypes-string-operators.md); `timespan / timespan` is a real and
//! `timespan * n`, `timespan / n` are timespans (scalar-data-types/timespan.md).

use std::ops::Not;

use datafusion::arrow::datatypes::DataType;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{
    Expr as DfExpr, Operator as DfOp, binary_expr, cast, in_list, lit, try_cast,
};

use super::{Frame, Planner, Typed, balanced, column, is_numeric, is_textual, ticks_literal};
use crate::backend::{ErrorKind, QueryError};
use crate::kql::Span;
use crate::kql::ast::{
    BinaryOp, Expr, ExprKind, Literal, LogicalOp, StringOp, StringOpKind, UnaryOp,
};
use crate::results::KqlType;

impl Planner<'_> {
    pub(super) fn condition(&mut self, expr: &Expr, frame: &Frame) -> Result<DfExpr, QueryError> {
        let typed = self.expr(expr, frame)?;
        if typed.ty != KqlType::Bool {
            return Err(self.semantic(
                format!(
                    "expected a true/false condition, this is {}",
                    typed.ty.with_article()
                ),
                expr.span,
            ));
        }
        Ok(typed.expr)
    }

    pub(super) fn expr(&mut self, expr: &Expr, frame: &Frame) -> Result<Typed, QueryError> {
        match &expr.kind {
            ExprKind::Literal(literal) => self.literal(literal, expr.span),
            ExprKind::Column(name) => self.name(name, expr.span, frame),
            ExprKind::Star => Err(self.semantic("'*' is not allowed here", expr.span)),
            ExprKind::Error => Err(self.error(
                ErrorKind::Syntax,
                "this expression could not be read",
                expr.span,
            )),
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                let typed = self.expr(operand, frame)?;
                if !is_numeric(typed.ty) && typed.ty != KqlType::Timespan {
                    return Err(self.semantic(
                        format!("cannot negate {}", typed.ty.with_article()),
                        expr.span,
                    ));
                }
                Ok(Typed::new(DfExpr::Negative(Box::new(typed.expr)), typed.ty))
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                let condition = self.condition(operand, frame)?;
                Ok(Typed::new(condition.not(), KqlType::Bool))
            }
            ExprKind::Logical { op, operands } => self.logical(*op, operands, frame),
            ExprKind::Binary { op, left, right } => self.binary(*op, left, right, expr.span, frame),
            ExprKind::In {
                value,
                list,
                negated,
                case_insensitive,
            } => self.in_list(value, list, *negated, *case_insensitive, frame),
            ExprKind::Between {
                value,
                low,
                high,
                negated,
            } => {
                let value = self.expr(value, frame)?;
                let low = self.expr(low, frame)?;
                let mut high = self.expr(high, frame)?;
                // `datetime between (start .. 1d)` means start .. start + 1d.
                if value.ty == KqlType::DateTime && high.ty == KqlType::Timespan {
                    high = Typed::new(
                        binary_expr(low.expr.clone(), DfOp::Plus, high.expr),
                        KqlType::DateTime,
                    );
                }
                let between = if *negated {
                    value.expr.not_between(low.expr, high.expr)
                } else {
                    value.expr.between(low.expr, high.expr)
                };
                Ok(Typed::new(between, KqlType::Bool))
            }
            ExprKind::Member { target, key } => {
                let target = without_parse_json(self.dynamic_target(target, frame)?);
                Ok(Typed::new(
                    self.udfs.get.call(vec![target, lit(key.as_str())]),
                    KqlType::Dynamic,
                ))
            }
            ExprKind::Index { target, index } => {
                let target = match self.several_arrays_call(target, frame)? {
                    Some((definition, args)) => {
                        self.row_call(definition, args, target.span, frame)?.expr
                    }
                    None => without_parse_json(self.dynamic_target(target, frame)?),
                };
                let index = self.expr(index, frame)?;
                let (udf, key) = if index.ty == KqlType::String {
                    (&self.udfs.get, index.expr)
                } else {
                    (&self.udfs.index, cast(index.expr, DataType::Utf8))
                };
                Ok(Typed::new(udf.call(vec![target, key]), KqlType::Dynamic))
            }
            ExprKind::Call { name, args } => self.call(name, args, expr.span, frame),
            ExprKind::Tabular(_) => Err(self.unsupported(
                "a tabular expression used as a value (toscalar(…), in (T | …)) is not supported by the local engine yet",
                expr.span,
            )),
            ExprKind::NamedArg { name, .. } => Err(self.unsupported(
                format!(
                    "named arguments ({} = …) are not supported by the local engine yet",
                    name.name
                ),
                name.span,
            )),
        }
    }

    /// A bare name: a column, a scalar let, or (wrongly here) a table.
    fn name(&self, name: &str, span: Span, frame: &Frame) -> Result<Typed, QueryError> {
        // In a function's body its parameters come first.
        if let Some(typed) = self.parameters.get(name) {
            return Ok(typed.clone());
        }
        if let Some(ty) = frame.column_type(name) {
            return Ok(Typed::new(column(name), ty));
        }
        if let Some(typed) = self.scalars.get(name) {
            return Ok(typed.clone());
        }
        if let Some(error) = self.unsupported_let(name, span) {
            return Err(error);
        }
        if self.tabulars.contains_key(name) || self.catalog.get(name).is_some() {
            return Err(self.unsupported(
                format!("'{name}' is a table: using a table inside an expression (such as `in ({name})`) is not supported yet"),
                span,
            ));
        }
        Err(self.unknown_column(frame, name, span))
    }

    /// `a and b and …`: a balanced tree, so a chain of thousands of terms stays shallow for
    /// DataFusion (which walks expressions recursively).
    fn logical(
        &mut self,
        op: LogicalOp,
        operands: &[Expr],
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        // An IOC list written as `C == "a" or C == "b" or …` (or with `has`, or as
        // `C != "a" and C != "b" …`) is one set lookup.
        if let Some((value, needles, has)) = one_column_alternatives(op, operands) {
            return match has {
                None if op == LogicalOp::And => {
                    // `!=` is true against null, `!in` is not (for strings null is "", which
                    // `in_list` already reads so).
                    let not_in = self.in_list(value, &needles, true, false, frame)?;
                    let value = self.expr(value, frame)?;
                    if is_textual(value.ty) {
                        return Ok(not_in);
                    }
                    Ok(Typed::new(
                        value.expr.is_null().or(not_in.expr),
                        KqlType::Bool,
                    ))
                }
                None => self.in_list(value, &needles, false, false, frame),
                Some(case_sensitive) => {
                    let name = if case_sensitive {
                        "has_any_cs"
                    } else {
                        "has_any"
                    };
                    let args: Vec<Expr> = std::iter::once(value.clone()).chain(needles).collect();
                    self.call(
                        &crate::kql::ast::Ident {
                            name: name.to_string(),
                            span: value.span,
                        },
                        &args,
                        value.span,
                        frame,
                    )
                }
            };
        }
        let conditions = operands
            .iter()
            .map(|operand| self.condition(operand, frame))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Typed::new(balanced(conditions, op), KqlType::Bool))
    }

    fn in_list(
        &mut self,
        value: &Expr,
        list: &[Expr],
        negated: bool,
        case_insensitive: bool,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        let value = self.expr(value, frame)?;
        if let [item] = list
            && let Some(table) = self.tabular_operand(item, frame)
        {
            return self.in_table(value, table?, negated, case_insensitive, item.span);
        }
        let mut items = Vec::new();
        for item in list {
            let typed = self.expr(item, frame)?;
            // A dynamic array literal (often a let) expands into its elements.
            if let Some(Literal::Dynamic(json)) = &typed.literal
                && let Ok(serde_json::Value::Array(elements)) =
                    serde_json::from_str::<serde_json::Value>(json)
            {
                items.extend(elements.iter().map(json_literal));
                continue;
            }
            if value.ty != KqlType::Dynamic {
                self.check_comparable(&value, &typed, item.span)?;
            }
            items.push(typed);
        }
        let mut lhs = self.comparable_text(value);
        // A missing string is "": `!in` keeps it (NOT IN over null would drop it).
        if negated && is_textual(lhs.ty) {
            lhs.expr = self.udfs.text(KqlType::String).call(vec![lhs.expr]);
        }
        let mut rhs: Vec<DfExpr> = items
            .into_iter()
            .map(|t| self.comparable_text(t).expr)
            .collect();
        if case_insensitive {
            lhs = Typed::new(f::lower(lhs.expr), KqlType::String);
            rhs = rhs.into_iter().map(f::lower).collect();
        }
        Ok(Typed::new(in_list(lhs.expr, rhs, negated), KqlType::Bool))
    }

    /// The JSON text a member access reads: `parse_json(x).a` reads `x` directly (the access
    /// parses anyway), strings are read as JSON too.
    fn dynamic_target(&mut self, target: &Expr, frame: &Frame) -> Result<DfExpr, QueryError> {
        if let ExprKind::Call { name, args } = &target.kind
            && matches!(name.name.as_str(), "parse_json" | "todynamic" | "toobject")
            && args.len() == 1
        {
            let inner = self.expr(&args[0], frame)?;
            if is_textual(inner.ty) || inner.ty == KqlType::Dynamic {
                return Ok(inner.expr);
            }
        }
        let typed = self.expr(target, frame)?;
        match typed.ty {
            KqlType::Dynamic | KqlType::String => Ok(typed.expr),
            other => Err(self.semantic(
                format!(
                    "only dynamic values have properties, this is {}",
                    other.with_article()
                ),
                target.span,
            )),
        }
    }

    /// Dynamic values compare by their value: `d.a == "x"` compares the string inside.
    pub(super) fn comparable_text(&self, typed: Typed) -> Typed {
        if typed.ty == KqlType::Dynamic && typed.literal.is_none() {
            Typed::new(self.dynamic_text(typed.expr), KqlType::String)
        } else {
            typed
        }
    }

    pub(super) fn literal(&self, literal: &Literal, span: Span) -> Result<Typed, QueryError> {
        let (expr, ty) = match literal {
            Literal::String(s) => (lit(s.as_str()), KqlType::String),
            Literal::Guid(s) => (lit(s.as_str()), KqlType::Guid),
            Literal::Int(v) => (lit(*v), KqlType::Int),
            Literal::Long(v) => (lit(*v), KqlType::Long),
            Literal::Real(v) => (lit(*v), KqlType::Real),
            Literal::Bool(v) => (lit(*v), KqlType::Bool),
            Literal::Timespan(ticks) => (ticks_literal(*ticks), KqlType::Timespan),
            Literal::Datetime(ticks) => (ticks_literal(*ticks), KqlType::DateTime),
            Literal::Null(type_name) => {
                let ty = KqlType::from_kql_name(type_name).unwrap_or(KqlType::String);
                let null = datafusion::common::ScalarValue::try_from(&ty.arrow_type())
                    .unwrap_or(datafusion::common::ScalarValue::Utf8(None));
                (lit(null), ty)
            }
            Literal::Decimal(_) => return Err(self.decimal_refused(span)),
            Literal::Dynamic(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) => (lit(value.to_string()), KqlType::Dynamic),
                Err(e) => {
                    return Err(
                        self.semantic(format!("dynamic(...) holds invalid JSON: {e}"), span)
                    );
                }
            },
        };
        Ok(Typed {
            expr,
            ty,
            literal: Some(literal.clone()),
        })
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        let l = self.expr(left, frame)?;
        let r = self.expr(right, frame)?;
        if let BinaryOp::Str(string_op) = op {
            return self.string_op(string_op, l, r, left.span, right.span);
        }
        let (l, r) = self.align_for_comparison(l, r);
        match op {
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => self.comparison(op, l, r, span),
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                self.arithmetic(op, l, r, span)
            }
            BinaryOp::Str(_) => unreachable!("string operators are handled above"),
        }
    }

    fn comparison(
        &self,
        op: BinaryOp,
        l: Typed,
        r: Typed,
        span: Span,
    ) -> Result<Typed, QueryError> {
        self.check_comparable(&l, &r, span)?;
        // An empty string equals a missing one: KQL strings have no null.
        let empty = |t: &Typed| t.literal_string() == Some("");
        if matches!(op, BinaryOp::Eq | BinaryOp::NotEq) && (empty(&l) || empty(&r)) {
            let other = if empty(&l) { &r } else { &l };
            let is_empty = other
                .expr
                .clone()
                .is_null()
                .or(other.expr.clone().eq(lit("")));
            let result = if op == BinaryOp::Eq {
                is_empty
            } else {
                is_empty.not()
            };
            return Ok(Typed::new(result, KqlType::Bool));
        }
        if matches!(op, BinaryOp::Eq | BinaryOp::NotEq) {
            return Ok(Typed::new(null_aware_equality(op, l, r), KqlType::Bool));
        }
        let df_op = match op {
            BinaryOp::Lt => DfOp::Lt,
            BinaryOp::Le => DfOp::LtEq,
            BinaryOp::Gt => DfOp::Gt,
            _ => DfOp::GtEq,
        };
        Ok(Typed::new(
            binary_expr(l.expr, df_op, r.expr),
            KqlType::Bool,
        ))
    }

    /// `+ - * / %` on numbers, datetimes and timespans (datetime-timespan-arithmetic.md).
    /// Datetimes and timespans are i64 ticks, so most of this is integer arithmetic; the
    /// operations whose KQL result is a real, or a timespan scaled by a real, go through f64.
    fn arithmetic(
        &self,
        op: BinaryOp,
        l: Typed,
        r: Typed,
        span: Span,
    ) -> Result<Typed, QueryError> {
        use KqlType::{DateTime, Int, Long, Real, Timespan};
        let refuse = || {
            self.semantic(
                format!(
                    "cannot apply '{}' to {} and {}",
                    op_symbol(op),
                    l.ty.kql_name(),
                    r.ty.kql_name()
                ),
                span,
            )
        };
        let df_op = match op {
            BinaryOp::Add => DfOp::Plus,
            BinaryOp::Sub => DfOp::Minus,
            BinaryOp::Mul => DfOp::Multiply,
            BinaryOp::Div => DfOp::Divide,
            _ => DfOp::Modulo,
        };
        let real = |e: DfExpr| cast(e, DataType::Float64);
        // A scaled timespan that does not fit (or a division by zero) is null, not an error.
        let whole_ticks = |e: DfExpr| try_cast(f::round(vec![e]), DataType::Int64);
        let long = |e: DfExpr| cast(e, DataType::Int64);
        let checked = |op: BinaryOp, a: DfExpr, b: DfExpr| {
            let udf = match op {
                BinaryOp::Add => &self.udfs.checked_add,
                BinaryOp::Sub => &self.udfs.checked_sub,
                _ => &self.udfs.checked_mul,
            };
            udf.call(vec![a, b])
        };
        let ty = match (op, l.ty, r.ty) {
            (_, a, b) if is_numeric(a) && is_numeric(b) => {
                if a == Real || b == Real || a == KqlType::Decimal || b == KqlType::Decimal {
                    Real
                } else if a == Long || b == Long {
                    Long
                } else {
                    Int
                }
            }
            (BinaryOp::Sub, DateTime, DateTime) => {
                return Ok(Typed::new(checked(op, l.expr, r.expr), Timespan));
            }
            (BinaryOp::Add | BinaryOp::Sub, DateTime, Timespan)
            | (BinaryOp::Add, Timespan, DateTime) => {
                // Past year 9999 (or wrapped) there is no datetime: null.
                let moved = checked(op, l.expr, r.expr);
                let in_range = self.udfs.datetime_in_range.call(vec![moved]);
                return Ok(Typed::new(in_range, DateTime));
            }
            (BinaryOp::Add | BinaryOp::Sub, Timespan, Timespan) => {
                return Ok(Typed::new(checked(op, l.expr, r.expr), Timespan));
            }
            (BinaryOp::Mod, Timespan, Timespan) => Timespan,
            (BinaryOp::Div, Timespan, Timespan) => {
                return Ok(Typed::new(
                    binary_expr(real(l.expr), DfOp::Divide, real(r.expr)),
                    Real,
                ));
            }
            // By a whole number, exactly (FILETIME values `* 1tick` need all 64 bits).
            (BinaryOp::Mul, Timespan, Int | Long) | (BinaryOp::Mul, Int | Long, Timespan) => {
                return Ok(Typed::new(
                    checked(op, long(l.expr), long(r.expr)),
                    Timespan,
                ));
            }
            (BinaryOp::Mul, Timespan, n) | (BinaryOp::Mul, n, Timespan) if is_numeric(n) => {
                let product = binary_expr(real(l.expr), DfOp::Multiply, real(r.expr));
                return Ok(Typed::new(whole_ticks(product), Timespan));
            }
            (BinaryOp::Div, Timespan, n) if is_numeric(n) => {
                let quotient = binary_expr(real(l.expr), DfOp::Divide, real(r.expr));
                return Ok(Typed::new(whole_ticks(quotient), Timespan));
            }
            _ => return Err(refuse()),
        };
        // A whole number divided by zero is null (the reading of Kusto's integer
        // arithmetic); reals divide to ±∞ or NaN.
        let divisor = if matches!(op, BinaryOp::Div | BinaryOp::Mod) && matches!(ty, Int | Long) {
            let zero = cast(lit(0i64), r.ty.arrow_type());
            f::nullif(r.expr, zero)
        } else {
            r.expr
        };
        if op == BinaryOp::Mod {
            return Ok(Typed::new(non_negative_modulo(l.expr, divisor), ty));
        }
        Ok(Typed::new(binary_expr(l.expr, df_op, divisor), ty))
    }

    /// Dynamic values compared with plain values are read as that kind of value; a bool
    /// compares with a number as 0/1.
    fn align_for_comparison(&self, l: Typed, r: Typed) -> (Typed, Typed) {
        let read_as = |d: Typed, other: KqlType| -> Typed {
            let text = self.dynamic_text(d.expr);
            match other {
                KqlType::String | KqlType::Guid | KqlType::Dynamic => {
                    Typed::new(text, KqlType::String)
                }
                KqlType::DateTime => {
                    Typed::new(self.udfs.todatetime.call(vec![text]), KqlType::DateTime)
                }
                KqlType::Timespan => {
                    Typed::new(self.udfs.totimespan.call(vec![text]), KqlType::Timespan)
                }
                KqlType::Bool | KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal => {
                    Typed::new(try_cast(text, other.arrow_type()), other)
                }
            }
        };
        let as_number = |t: Typed| Typed::new(cast(t.expr, DataType::Int64), KqlType::Long);
        match (l.ty, r.ty) {
            (KqlType::Bool, other) if is_numeric(other) => (as_number(l), r),
            (other, KqlType::Bool) if is_numeric(other) => (l, as_number(r)),
            (KqlType::Dynamic, KqlType::Dynamic) => (l, r),
            (KqlType::Dynamic, other) => (read_as(l, other), r),
            (other, KqlType::Dynamic) => (l, read_as(r, other)),
            _ => (l, r),
        }
    }

    pub(super) fn check_comparable(
        &self,
        l: &Typed,
        r: &Typed,
        span: Span,
    ) -> Result<(), QueryError> {
        let class = |t: KqlType| match t {
            KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal => 0,
            KqlType::String | KqlType::Guid | KqlType::Dynamic => 1,
            KqlType::DateTime => 2,
            KqlType::Timespan => 3,
            KqlType::Bool => 4,
        };
        if class(l.ty) != class(r.ty) && !l.is_null_literal() && !r.is_null_literal() {
            return Err(self.semantic(
                format!(
                    "cannot compare {} with {}",
                    l.ty.with_article(),
                    r.ty.with_article()
                ),
                span,
            ));
        }
        Ok(())
    }

    fn string_op(
        &self,
        op: StringOp,
        l: Typed,
        r: Typed,
        left_span: Span,
        right_span: Span,
    ) -> Result<Typed, QueryError> {
        let mut l = self.as_text(l, left_span)?;
        let r = self.as_text(r, right_span)?;
        // A missing string is "" in KQL: a negated operator keeps the row (NOT over SQL's null
        // would drop it).
        if op.negated {
            l.expr = self.udfs.text(KqlType::String).call(vec![l.expr]);
        }
        let needle = r.literal_string().map(str::to_string);
        let ci = !op.case_sensitive;
        let like = |pattern: String| -> DfExpr {
            DfExpr::Like(datafusion::logical_expr::expr::Like::new(
                op.negated,
                Box::new(l.expr.clone()),
                Box::new(lit(pattern)),
                Some('\\'),
                ci,
            ))
        };
        let negate = |e: DfExpr| if op.negated { e.not() } else { e };
        let expr = match op.kind {
            StringOpKind::Equals => {
                let a = f::lower(l.expr.clone());
                let b = match &needle {
                    Some(n) => lit(n.to_lowercase()),
                    None => f::lower(r.expr.clone()),
                };
                if op.negated {
                    binary_expr(a, DfOp::IsDistinctFrom, b)
                } else {
                    a.eq(b)
                }
            }
            StringOpKind::Contains | StringOpKind::StartsWith | StringOpKind::EndsWith => {
                match &needle {
                    Some(n) if ci && op.kind == StringOpKind::Contains => {
                        let udf = crate::engine::udf::ContainsUdf::udf(n)
                            .map_err(|e| self.semantic(e.to_string(), right_span))?;
                        negate(udf.call(vec![l.expr.clone()]))
                    }
                    Some(n) => {
                        let e = like_escape(n);
                        like(match op.kind {
                            StringOpKind::Contains => format!("%{e}%"),
                            StringOpKind::StartsWith => format!("{e}%"),
                            _ => format!("%{e}"),
                        })
                    }
                    None => {
                        let (a, b) = if ci {
                            (f::lower(l.expr.clone()), f::lower(r.expr.clone()))
                        } else {
                            (l.expr.clone(), r.expr.clone())
                        };
                        negate(match op.kind {
                            StringOpKind::Contains => f::strpos(a, b).gt(lit(0i64)),
                            StringOpKind::StartsWith => f::starts_with(a, b),
                            _ => f::ends_with(a, b),
                        })
                    }
                }
            }
            StringOpKind::Has | StringOpKind::HasPrefix | StringOpKind::HasSuffix => negate(
                self.udfs
                    .term(op.kind, op.case_sensitive)
                    .call(vec![l.expr.clone(), r.expr.clone()]),
            ),
            StringOpKind::MatchesRegex => {
                if let Some(pattern) = &needle
                    && let Err(e) = regex_check(pattern)
                {
                    return Err(
                        self.semantic(format!("invalid regular expression: {e}"), right_span)
                    );
                }
                // RE2's syntax in the regex crate's (octal escapes, \Q…\E).
                let pattern = match &needle {
                    Some(p) => lit(crate::kql::regex::to_rust_syntax(p).into_owned()),
                    None => r.expr.clone(),
                };
                negate(f::regexp_like(l.expr.clone(), pattern, None))
            }
        };
        Ok(Typed::new(expr, KqlType::Bool))
    }

    /// String operators work on text; other scalars are read as their KQL text.
    pub(super) fn as_text(&self, typed: Typed, span: Span) -> Result<Typed, QueryError> {
        match typed.ty {
            KqlType::String | KqlType::Guid => Ok(typed),
            KqlType::Dynamic => Ok(self.comparable_text(typed)),
            KqlType::Long | KqlType::Int | KqlType::Real | KqlType::Bool => {
                let literal = typed
                    .literal
                    .as_ref()
                    .and_then(|l| literal_text(l, typed.ty));
                let mut text = Typed::new(
                    self.udfs.text(typed.ty).call(vec![typed.expr]),
                    KqlType::String,
                );
                text.literal = literal.map(Literal::String);
                Ok(text)
            }
            other => Err(self.semantic(
                format!(
                    "string operators need text, this is {}",
                    other.with_article()
                ),
                span,
            )),
        }
    }

    /// KQL's text for any value (`tostring`): `""` for null, datetimes as
    /// `2024-03-26T09:39:50.7688641Z`, timespans as `01:00:00`, reals as `1` (not `1.0`),
    /// dynamic strings without their quotes.
    pub(super) fn to_string_expr(&self, typed: Typed) -> DfExpr {
        match typed.ty {
            // Dynamic strings lose their quotes; other dynamic values read as JSON.
            KqlType::Dynamic => self.dynamic_text(typed.expr),
            ty => self.udfs.text(ty).call(vec![typed.expr]),
        }
    }

    /// `tostring()` of a dynamic value; of `d.key`, one call that reads the member's text.
    pub(super) fn dynamic_text(&self, dynamic: DfExpr) -> DfExpr {
        match dynamic {
            DfExpr::ScalarFunction(call)
                if call.func.name() == "kql_dynamic_get" && call.args.len() == 2 =>
            {
                self.udfs.get_text.call(call.args)
            }
            other => self.udfs.to_text.call(vec![other]),
        }
    }
}

/// `C == l1 or C == l2 or …` (every operand comparing one column with a literal), the same
/// with `has` / `has_cs` and string literals, or `C != l1 and C != l2 and …`: the column, the
/// literals, and for `has` whether it is case-sensitive. `None` for anything else, including
/// short chains (not worth it).
fn one_column_alternatives(
    logical: LogicalOp,
    operands: &[Expr],
) -> Option<(&Expr, Vec<Expr>, Option<bool>)> {
    if operands.len() < 4 {
        return None;
    }
    let (first_op, column, _) = column_and_literal(&operands[0])?;
    let has = match (logical, first_op) {
        (LogicalOp::Or, BinaryOp::Eq) | (LogicalOp::And, BinaryOp::NotEq) => None,
        (
            LogicalOp::Or,
            BinaryOp::Str(StringOp {
                kind: StringOpKind::Has,
                negated: false,
                case_sensitive,
            }),
        ) => Some(case_sensitive),
        _ => return None,
    };
    let mut needles = Vec::with_capacity(operands.len());
    for operand in operands {
        let (op, this_column, literal) = column_and_literal(operand)?;
        let same = matches!((&this_column.kind, &column.kind), (ExprKind::Column(a), ExprKind::Column(b)) if a == b);
        let string = matches!(literal.kind, ExprKind::Literal(Literal::String(_)));
        if op != first_op || !same || (has.is_some() && !string) {
            return None;
        }
        needles.push(literal.clone());
    }
    Some((column, needles, has))
}

/// A comparison of a column with a literal (either side for `==`): (operator, column, literal).
fn column_and_literal(operand: &Expr) -> Option<(BinaryOp, &Expr, &Expr)> {
    let ExprKind::Binary { op, left, right } = &operand.kind else {
        return None;
    };
    match (&left.kind, &right.kind) {
        (ExprKind::Column(_), ExprKind::Literal(_)) => Some((*op, left, right)),
        (ExprKind::Literal(_), ExprKind::Column(_))
            if matches!(op, BinaryOp::Eq | BinaryOp::NotEq) =>
        {
            Some((*op, right, left))
        }
        _ => None,
    }
}

fn op_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        _ => "?",
    }
}

/// A number or bool literal's KQL text (for string operators on constants), through the one
/// conversion the engine and the results share; a null is `""`.
fn literal_text(literal: &Literal, ty: KqlType) -> Option<String> {
    use crate::results::format::Value;
    let value = match literal {
        Literal::Int(v) => Value::Int((*v).into()),
        Literal::Long(v) => Value::Int(*v),
        Literal::Real(v) => Value::Float(*v),
        Literal::Bool(v) => Value::Bool(*v),
        Literal::Null(_) => return Some(String::new()),
        _ => return None,
    };
    Some(value.to_text(ty))
}

/// A JSON array element as a typed literal (for `in (dynamic([...]))` and `has_any`).
pub(super) fn json_literal(value: &serde_json::Value) -> Typed {
    let (literal, expr, ty) = match value {
        serde_json::Value::String(s) => {
            (Literal::String(s.clone()), lit(s.as_str()), KqlType::String)
        }
        serde_json::Value::Bool(b) => (Literal::Bool(*b), lit(*b), KqlType::Bool),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => (Literal::Long(i), lit(i), KqlType::Long),
            None => {
                let r = n.as_f64().unwrap_or(f64::NAN);
                (Literal::Real(r), lit(r), KqlType::Real)
            }
        },
        other => {
            let text = other.to_string();
            (Literal::String(text.clone()), lit(text), KqlType::String)
        }
    };
    Typed {
        expr,
        ty,
        literal: Some(literal),
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Checks a regular expression up front so that the error points at the pattern.
pub(super) fn regex_check(pattern: &str) -> Result<(), String> {
    regex_syntax::Parser::new()
        .parse(&crate::kql::regex::to_rust_syntax(pattern))
        .map(|_| ())
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
}

/// `==` and `!=` as null-values.md defines them: two nulls give null; a null and a value give
/// false (`==`) or true (`!=`); otherwise the values compare. Against a non-null literal that
/// is SQL's `IS [NOT] DISTINCT FROM`; in general a CASE keeps the two-nulls rule.
fn null_aware_equality(op: BinaryOp, l: Typed, r: Typed) -> DfExpr {
    let df_op = if op == BinaryOp::Eq {
        DfOp::IsNotDistinctFrom
    } else {
        DfOp::IsDistinctFrom
    };
    let non_null_literal = |t: &Typed| {
        t.literal
            .as_ref()
            .is_some_and(|l| !matches!(l, Literal::Null(_)))
    };
    if non_null_literal(&l) || non_null_literal(&r) {
        return binary_expr(l.expr, df_op, r.expr);
    }
    let both_null = l.expr.clone().is_null().and(r.expr.clone().is_null());
    datafusion::logical_expr::when(
        both_null,
        lit(datafusion::common::ScalarValue::Boolean(None)),
    )
    .otherwise(binary_expr(l.expr, df_op, r.expr))
    .unwrap_or_else(|_| lit(datafusion::common::ScalarValue::Boolean(None)))
}

/// `N % D` as numerical-operators.md defines it: always 0 <= N % D < abs(D) (Euclidean, where
/// SQL's remainder takes the sign of N: -14 % 12 is 10, not -2).
fn non_negative_modulo(n: DfExpr, d: DfExpr) -> DfExpr {
    let remainder = binary_expr(n, DfOp::Modulo, d.clone());
    let zero = lit(0i64);
    datafusion::logical_expr::when(
        remainder.clone().lt(cast(zero, DataType::Int64)),
        binary_expr(remainder.clone(), DfOp::Plus, f::abs(d)),
    )
    .otherwise(remainder.clone())
    .unwrap_or(remainder)
}

/// `parse_json(x).key` reads `x` once: the member and index functions read JSON text as
/// `parse_json` does (text that is not JSON is no object or array, so the member is null either
/// way), so the parse in between, which writes the whole value out again, is skipped.
fn without_parse_json(target: DfExpr) -> DfExpr {
    match target {
        DfExpr::ScalarFunction(call)
            if call.func.name() == "kql_parse_json" && call.args.len() == 1 =>
        {
            call.args
                .into_iter()
                .next()
                .unwrap_or_else(|| lit(datafusion::common::ScalarValue::Utf8(None)))
        }
        other => other,
    }
}
