//! `reduce [kind=source] by Expr [with threshold=T, characters=C]` (reduce-operator.md): the
//! input, with the value to reduce as its last column, planned as one table source
//! (`engine::reduce::ReduceSource`), which clusters the whole input at run time.

use std::sync::Arc;

use datafusion::common::TableReference;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::LogicalPlanBuilder;

use super::aggregate::unique_name;
use super::{Frame, Planner, column};
use crate::backend::QueryError;
use crate::engine::reduce::{ReduceSource, ReduceSpec, Separators};
use crate::kql::Span;
use crate::kql::ast::{Literal, Reduce};
use crate::results::KqlType;

/// The threshold when none is given (reduce-operator.md).
const DEFAULT_THRESHOLD: f64 = 0.1;

impl Planner<'_> {
    pub(super) fn reduce(
        &mut self,
        frame: Frame,
        reduce: &Reduce,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let source = match &reduce.kind {
            None => false,
            Some(kind) if kind.name == "source" => true,
            Some(kind) => {
                return Err(self.semantic(
                    format!(
                        "reduce's kind is source, not '{}'",
                        kind.name.escape_debug()
                    ),
                    kind.span,
                ));
            }
        };
        let threshold = match &reduce.threshold {
            None => DEFAULT_THRESHOLD,
            Some(expr) => {
                let value = match self.expr(expr, &Frame::empty())?.literal {
                    Some(Literal::Real(r)) => Some(r),
                    Some(Literal::Long(n)) => Some(n as f64),
                    Some(Literal::Int(n)) => Some(f64::from(n)),
                    _ => None,
                };
                match value {
                    Some(t) if (0.0..=1.0).contains(&t) => t,
                    _ => {
                        return Err(self.semantic(
                            "reduce's threshold is a constant number from 0 to 1",
                            expr.span,
                        ));
                    }
                }
            }
        };
        let separators = match &reduce.characters {
            None => Separators::Default,
            Some(expr) => match self.expr(expr, &Frame::empty())?.literal {
                Some(Literal::String(chars)) => Separators::Given(chars.chars().collect()),
                _ => {
                    return Err(self.semantic(
                        "reduce's characters is a constant string (the separators)",
                        expr.span,
                    ));
                }
            },
        };
        let value = self.expr(&reduce.by, &frame)?;
        if value.ty != KqlType::String {
            return Err(self.semantic(
                format!(
                    "reduce by needs a string, this is {} (tostring() converts it)",
                    value.ty.with_article()
                ),
                reduce.by.span,
            ));
        }
        let mut exprs = Vec::new();
        let mut input_columns = Vec::new();
        let columns: Vec<(String, KqlType)> = if source {
            if frame.column_type("Pattern").is_some() {
                return Err(self.unsupported(
                    "reduce kind=source over a table that already has a Pattern column is not supported by the local engine (rename it first)",
                    span,
                ));
            }
            for (name, ty) in &frame.columns {
                exprs.push(column(name));
                input_columns.push((name.clone(), *ty));
            }
            let mut columns = frame.columns.clone();
            columns.push(("Pattern".to_string(), KqlType::String));
            columns
        } else {
            vec![
                ("Pattern".to_string(), KqlType::String),
                ("Count".to_string(), KqlType::Long),
                ("Representative".to_string(), KqlType::String),
            ]
        };
        // The value last, under a name no input column has.
        let value_name = unique_name("$reduce_value", &input_columns);
        exprs.push(value.expr.alias(value_name.as_str()));
        input_columns.push((value_name, KqlType::String));
        let input = self.projected(frame, exprs, input_columns, span)?;
        let plan = input
            .builder
            .build()
            .map_err(|e| self.engine_error(e, span))?;
        let spec = ReduceSpec {
            threshold,
            separators,
            source,
        };
        let table = ReduceSource::new(plan, spec, &columns);
        let builder = LogicalPlanBuilder::scan(
            TableReference::bare("reduce"),
            provider_as_source(Arc::new(table)),
            None,
        )
        .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }
}
