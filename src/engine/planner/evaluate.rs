//! `evaluate` plugins: `bag_unpack` (bag-unpack-plugin.md) and `pivot` (pivot-plugin.md). Their
//! output columns depend on the data — the property bags' slots, the pivot column's values —
//! unless an output schema is given: the planner then asks the engine to read them first (a
//! [`Discovery`]) and plans again with what it found. Other plugins are refused by name.

use std::collections::HashMap;

use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, lit};

use super::{Frame, Planner, column};
use crate::backend::QueryError;
use crate::engine::functions::{KqlValue, Param, Returns, RowFunction, RowUdf, json_as};
use crate::kql::Span;
use crate::kql::ast::{Evaluate, Expr, ExprKind, Ident, Literal, NamedExpr};
use crate::results::KqlType;

/// What a plugin needs to know before it can be planned: the plan to run, and what to take
/// from its one column.
#[derive(Debug)]
pub struct Discovery {
    /// Where the `evaluate` is (its byte offset), the key of the answer.
    pub at: usize,
    pub kind: DiscoveryKind,
    /// A plan with one column: the bags (JSON text) or the values.
    pub plan: LogicalPlan,
}

/// What to take from a discovery's column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoveryKind {
    /// The slots of the property bags, with the type their values share (else dynamic).
    BagSlots,
    /// The distinct values, as text, sorted.
    Values,
}

/// What discoveries found, by the `evaluate`'s offset: names and types.
pub type Discoveries = HashMap<usize, Vec<(String, KqlType)>>;

/// The slot `key` of a bag, as type `ty` (null when missing or not of it).
static BAG_SLOT: RowFunction = RowFunction {
    name: "bag_slot",
    params: &[Param::Dynamic, Param::Text, Param::Text],
    required: 3,
    variadic: false,
    returns: Returns::Always(KqlType::Dynamic),
    eval: |args| {
        let (Some(bag), Some(key)) = (args[0].as_bag(), args[1].as_str()) else {
            return Ok(KqlValue::Null);
        };
        Ok(json_as(bag.get(key), &args[2].to_text()))
    },
    volatile: false,
};

impl Planner<'_> {
    pub(super) fn evaluate(
        &mut self,
        frame: Frame,
        evaluate: &Evaluate,
        span: Span,
    ) -> Result<Frame, QueryError> {
        match evaluate.plugin.name.as_str() {
            "bag_unpack" => self.bag_unpack(frame, evaluate, span),
            "pivot" => self.pivot(frame, evaluate, span),
            other => Err(self.unsupported(
                format!("the '{other}' plugin is not supported by the local engine yet"),
                evaluate.plugin.span,
            )),
        }
    }

    /// The first argument as a column of `frame`: its name, type and position.
    fn column_argument(
        &self,
        args: &[Expr],
        frame: &Frame,
        expected: &str,
        span: Span,
    ) -> Result<(String, KqlType, Span), QueryError> {
        let Some(Expr {
            kind: ExprKind::Column(name),
            span: at,
            ..
        }) = args.first()
        else {
            return Err(self.semantic(expected, span));
        };
        let ty = self.require_column(
            frame,
            &Ident {
                name: name.clone(),
                span: *at,
            },
        )?;
        Ok((name.clone(), ty, *at))
    }

    /// The answer of a discovery, or the request for one (an error the caller never sees:
    /// `plan_query` turns it into a [`Discovery`]).
    fn discovered(
        &mut self,
        at: usize,
        kind: DiscoveryKind,
        value: DfExpr,
        frame: &Frame,
        span: Span,
    ) -> Result<Vec<(String, KqlType)>, QueryError> {
        if let Some(found) = self.discoveries.get(&at) {
            return Ok(found.clone());
        }
        let plan = frame
            .builder
            .clone()
            .project(vec![value.alias("__discover")])
            .and_then(|b| b.build())
            .map_err(|e| self.engine_error(e, span))?;
        self.discovery = Some(Discovery { at, kind, plan });
        Err(self.unsupported(
            "this plugin's columns depend on the data, which the local engine reads first",
            span,
        ))
    }

    /// `bag_unpack(Column [, Prefix [, Conflict [, Ignored]]]) [: (Name: type, …)]`: a column
    /// per slot of the bags (prefixed), the bag column removed.
    fn bag_unpack(
        &mut self,
        frame: Frame,
        evaluate: &Evaluate,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let args = &evaluate.args;
        let (bag_column, bag_type, bag_span) = self.column_argument(
            args,
            &frame,
            "bag_unpack's first argument is the column to unpack",
            span,
        )?;
        let bag_column = &bag_column;
        if bag_type != KqlType::Dynamic {
            return Err(self.semantic(
                format!(
                    "bag_unpack unpacks a dynamic column; '{bag_column}' is {}",
                    bag_type.with_article()
                ),
                bag_span,
            ));
        }
        let text = |planner: &mut Self, index: usize| -> Result<Option<String>, QueryError> {
            match args.get(index) {
                None => Ok(None),
                Some(arg) => match planner.expr(arg, &Frame::empty())?.literal {
                    Some(Literal::String(s)) => Ok(Some(s)),
                    _ => Err(planner.semantic("expected a constant string", arg.span)),
                },
            }
        };
        let prefix = text(self, 1)?.unwrap_or_default();
        let conflict = text(self, 2)?.unwrap_or_else(|| "error".into());
        let ignored: Vec<String> = match args.get(3) {
            None => vec![],
            Some(arg) => match self.expr(arg, &Frame::empty())?.literal {
                Some(Literal::Dynamic(json)) => serde_json::from_str::<Vec<String>>(&json)
                    .map_err(|_| {
                        self.semantic("the ignored properties are an array of names", arg.span)
                    })?,
                _ => {
                    return Err(
                        self.semantic("the ignored properties are a constant array", arg.span)
                    );
                }
            },
        };
        // (output name, slot, type)
        let slots: Vec<(String, String, KqlType)> = match &evaluate.schema {
            Some(schema) => {
                let mut slots = Vec::new();
                for (name, ty) in schema {
                    let ty = KqlType::from_kql_name(&ty.name).ok_or_else(|| {
                        self.semantic(format!("'{}' is not a KQL type", ty.name), ty.span)
                    })?;
                    let slot = name
                        .name
                        .strip_prefix(prefix.as_str())
                        .unwrap_or(&name.name);
                    slots.push((name.name.clone(), slot.to_string(), ty));
                }
                slots
            }
            None => self
                .discovered(
                    evaluate.plugin.span.start,
                    DiscoveryKind::BagSlots,
                    column(bag_column),
                    &frame,
                    span,
                )?
                .into_iter()
                .filter(|(slot, _)| !ignored.contains(slot))
                .map(|(slot, ty)| (format!("{prefix}{slot}"), slot, ty))
                .collect(),
        };
        let keep_input = evaluate.schema.is_none() || evaluate.schema_wildcard;
        let mut exprs = Vec::new();
        let mut columns: Vec<(String, KqlType)> = Vec::new();
        if keep_input {
            for (name, ty) in &frame.columns {
                if name == bag_column {
                    continue;
                }
                let replaced = slots.iter().any(|(out, _, _)| out == name);
                match (replaced, conflict.as_str()) {
                    (false, _) | (true, "keep_source") => {
                        exprs.push(column(name));
                        columns.push((name.clone(), *ty));
                    }
                    (true, "replace_source") => {}
                    (true, _) => {
                        return Err(self.semantic(
                            format!("bag_unpack makes a column '{name}', which the input has (columnsConflict='replace_source' or 'keep_source' decides)"),
                            span,
                        ));
                    }
                }
            }
        }
        for (out, slot, ty) in slots {
            if columns.iter().any(|(n, _)| *n == out) {
                continue;
            }
            let udf = RowUdf::udf(
                &BAG_SLOT,
                vec![KqlType::Dynamic, KqlType::String, KqlType::String],
                ty,
            );
            exprs.push(
                udf.call(vec![
                    column(bag_column),
                    lit(slot.as_str()),
                    lit(ty.kql_name()),
                ])
                .alias(out.as_str()),
            );
            columns.push((out, ty));
        }
        self.projected(frame, exprs, columns, span)
    }

    /// `pivot(Column [, Aggregation [, Columns…]])`: a row per value of the other (or given)
    /// columns, a column per value of Column holding the aggregation of its rows (`count()` by
    /// default).
    fn pivot(
        &mut self,
        frame: Frame,
        evaluate: &Evaluate,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let args = &evaluate.args;
        let (pivot_column, pivot_type, _) = self.column_argument(
            args,
            &frame,
            "pivot's first argument is the column to rotate",
            span,
        )?;
        let pivot_column = &pivot_column;
        let aggregation = args
            .get(1)
            .cloned()
            .unwrap_or_else(|| super::call_expr("count", vec![], span));
        let ExprKind::Call {
            name: aggregate_name,
            args: aggregate_args,
        } = &aggregation.kind
        else {
            return Err(self.semantic(
                "pivot's second argument is an aggregation such as sum(X)",
                aggregation.span,
            ));
        };
        let conditional = match aggregate_name.name.as_str() {
            "count" => "countif",
            "sum" => "sumif",
            "min" => "minif",
            "max" => "maxif",
            "avg" => "avgif",
            "dcount" => "dcountif",
            "take_any" | "any" => "take_anyif",
            "make_list" => "make_list_if",
            "make_set" => "make_set_if",
            "make_bag" => "make_bag_if",
            "stdev" => "stdevif",
            "variance" => "varianceif",
            other => {
                return Err(self.unsupported(
                    format!("pivot with {other}() is not supported by the local engine yet"),
                    aggregate_name.span,
                ));
            }
        };
        let aggregated: Vec<String> = aggregate_args
            .iter()
            .filter_map(|a| match &a.kind {
                ExprKind::Column(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        let groups: Vec<String> = if args.len() > 2 {
            args[2..]
                .iter()
                .map(|a| match &a.kind {
                    ExprKind::Column(c) => Ok(c.clone()),
                    _ => Err(self.semantic("pivot's columns are column names", a.span)),
                })
                .collect::<Result<_, _>>()?
        } else {
            frame
                .columns
                .iter()
                .map(|(n, _)| n.clone())
                .filter(|n| n != pivot_column && !aggregated.contains(n))
                .collect()
        };
        let values = self.discovered(
            evaluate.plugin.span.start,
            DiscoveryKind::Values,
            self.to_string_expr(super::Typed::new(column(pivot_column), pivot_type)),
            &frame,
            span,
        )?;
        let pivot_text = super::call_expr(
            "tostring",
            vec![Expr::new(ExprKind::Column(pivot_column.clone()), span)],
            span,
        );
        let mut items = Vec::new();
        for (value, _) in &values {
            let condition = Expr::new(
                ExprKind::Binary {
                    op: crate::kql::ast::BinaryOp::Eq,
                    left: Box::new(pivot_text.clone()),
                    right: Box::new(Expr::new(
                        ExprKind::Literal(Literal::String(value.clone())),
                        span,
                    )),
                },
                span,
            );
            let mut call_args = aggregate_args.clone();
            call_args.insert(call_args.len().min(1), condition);
            if aggregate_name.name == "count" {
                call_args = call_args.into_iter().take(1).collect();
            }
            items.push(NamedExpr {
                name: Some(Ident {
                    name: value.clone(),
                    span,
                }),
                names: vec![],
                expr: Expr::new(
                    ExprKind::Call {
                        name: Ident {
                            name: conditional.into(),
                            span: aggregate_name.span,
                        },
                        args: call_args,
                    },
                    span,
                ),
            });
        }
        let by: Vec<NamedExpr> = groups
            .iter()
            .map(|g| NamedExpr {
                name: None,
                names: vec![],
                expr: Expr::new(ExprKind::Column(g.clone()), span),
            })
            .collect();
        self.summarize(frame, &items, &by, span)
    }
}
