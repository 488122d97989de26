//! Tabular expressions used as values: `x in (T)` / `x !in (T)` / `in~` (in-operator.md: the
//! first column of T is the set) and `toscalar(T)` (toscalar-function.md: the first column of
//! the first row; null for no rows). Both become DataFusion subqueries, which its optimizer
//! turns into joins, so T runs once, not once per row.

use std::sync::Arc;

use datafusion::common::Spans;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::expr::InSubquery;
use datafusion::logical_expr::{Expr as DfExpr, Subquery};

use super::user_functions::Called;
use super::{Frame, Planner, Typed, column, is_textual};
use crate::backend::QueryError;
use crate::kql::Span;
use crate::kql::ast::{Expr, ExprKind, Ident};
use crate::results::KqlType;

impl Planner<'_> {
    /// The table `expr` stands for, when it is tabular: `(T | …)`, or a bare name that is a
    /// table or tabular let rather than a column or scalar of the row.
    pub(super) fn tabular_operand(
        &mut self,
        expr: &Expr,
        frame: &Frame,
    ) -> Option<Result<Frame, QueryError>> {
        match &expr.kind {
            ExprKind::Tabular(pipeline) => Some(self.pipeline(pipeline)),
            ExprKind::Column(name)
                if frame.column_type(name).is_none()
                    && !self.parameters.contains_key(name)
                    && !self.scalars.contains_key(name)
                    && (self.tabulars.contains_key(name) || self.catalog.get(name).is_some()) =>
            {
                Some(self.table(&Ident {
                    name: name.clone(),
                    span: expr.span,
                }))
            }
            _ => None,
        }
    }

    /// The first column of `table` as a one-column plan, made comparable as `typed` values are
    /// (dynamic as text, lower-cased for `in~`), nulls left out; and that column's type.
    fn first_column(
        &self,
        table: Frame,
        case_insensitive: bool,
        span: Span,
    ) -> Result<(Arc<datafusion::logical_expr::LogicalPlan>, KqlType), QueryError> {
        let Some((name, ty)) = table.columns.first().cloned() else {
            return Err(self.semantic("the table has no columns", span));
        };
        let mut value = self.comparable_text(Typed::new(column(&name), ty)).expr;
        if case_insensitive {
            value = f::lower(value);
        }
        let plan = table
            .builder
            .project(vec![value.alias("__kql_value")])
            .and_then(|b| b.filter(column("__kql_value").is_not_null()))
            .and_then(|b| b.build())
            .map_err(|e| self.engine_error(e, span))?;
        Ok((Arc::new(plan), ty))
    }

    /// `value [!]in[~] (T)`.
    pub(super) fn in_table(
        &mut self,
        value: Typed,
        table: Frame,
        negated: bool,
        case_insensitive: bool,
        span: Span,
    ) -> Result<Typed, QueryError> {
        let (plan, ty) = self.first_column(table, case_insensitive, span)?;
        if value.ty != KqlType::Dynamic {
            self.check_comparable(&value, &Typed::new(column("__kql_value"), ty), span)?;
        }
        let mut lhs = self.comparable_text(value);
        // A missing string is "": `!in` keeps it (NOT IN over null would drop it).
        if negated && is_textual(lhs.ty) {
            lhs.expr = self.udfs.text(KqlType::String).call(vec![lhs.expr]);
        }
        if case_insensitive {
            lhs.expr = f::lower(lhs.expr);
        }
        let subquery = Subquery {
            subquery: plan,
            outer_ref_columns: vec![],
            spans: Spans::new(),
        };
        Ok(Typed::new(
            DfExpr::InSubquery(InSubquery::new(Box::new(lhs.expr), subquery, negated)),
            KqlType::Bool,
        ))
    }

    /// What an argument stands for: a table (`(T | …)`, a table or tabular let, a call of a
    /// user function that returns a table) or a value (anything else, planned as such).
    fn table_or_value(&mut self, arg: &Expr, frame: &Frame) -> Result<Called, QueryError> {
        if let Some(table) = self.tabular_operand(arg, frame) {
            return Ok(Called::Tabular(table?));
        }
        if let ExprKind::Call { name, args } = &arg.kind
            && let Some(called) = self.call_user_function(name, args, frame, arg.span)
        {
            return called;
        }
        Ok(Called::Scalar(self.expr(arg, frame)?))
    }

    /// `column_names_of(T)` (column-names-of-function.md): T's column names, a dynamic array
    /// known when the query is planned.
    pub(super) fn column_names_of(
        &mut self,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        self.arity("column_names_of", args, 1, 1, span)?;
        let Called::Tabular(table) = self.table_or_value(&args[0], frame)? else {
            return Err(self.semantic("column_names_of() takes a table", args[0].span));
        };
        let names: Vec<&str> = table.columns.iter().map(|(n, _)| n.as_str()).collect();
        let json = serde_json::to_string(&names).unwrap_or_else(|_| "[]".into());
        self.literal(&crate::kql::ast::Literal::Dynamic(json), span)
    }

    /// `toscalar(T)`: the first column of T's first row, run once for the query.
    pub(super) fn toscalar(
        &mut self,
        args: &[Expr],
        span: Span,
        frame: &Frame,
    ) -> Result<Typed, QueryError> {
        self.arity("toscalar", args, 1, 1, span)?;
        let table = match self.table_or_value(&args[0], frame)? {
            Called::Tabular(table) => table,
            // A scalar is its own value.
            Called::Scalar(value) => return Ok(value),
        };
        let Some((name, ty)) = table.columns.first().cloned() else {
            return Err(self.semantic("toscalar() of a table with no columns", span));
        };
        let plan = table
            .builder
            .project(vec![column(&name)])
            .and_then(|b| b.limit(0, Some(1)))
            .and_then(|b| b.build())
            .map_err(|e| self.engine_error(e, span))?;
        let subquery = Subquery {
            subquery: Arc::new(plan),
            outer_ref_columns: vec![],
            spans: Spans::new(),
        };
        Ok(Typed::new(DfExpr::ScalarSubquery(subquery), ty))
    }
}
