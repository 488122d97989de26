//! `scan` (scan-operator.md): a state machine over the serialized rows. Each row is checked
//! against the steps from the last to the first:
//!
//! - check 1: when the previous step's state is active and the row meets the step's condition
//!   (read with that state), that state moves to this step, the row (extended by the step's
//!   assignments) is added to it, and it is output;
//! - check 2 (when check 1 did not match): when this step's state is active, or this is the
//!   first step, and the row meets the condition (read with this step's state), the row,
//!   extended, replaces this step's values in its state and is output (`output=all`); on the
//!   first step with no active state it begins a new sequence, whose match id is one more.
//!
//! A step's output is a row with the input's columns, then the declared ones (their defaults
//! unless assigned), then the match id. `StepName.Column` reads a state: the values of the last
//! row that matched that step in the sequence (a declared column's default, or null, when there
//! is none).
//!
//! The conditions and assignments are planned as DataFusion expressions over the row and the
//! state (each state value a column `__scan_<step>_<column>`); one window function
//! ([`ScanUdwf`]) runs the machine over the rows in order and gives each row the list of rows it
//! outputs (as structs of the declared values and the match id), which an unnest spreads.
//! `output=last` is refused. The rows are read in the order they come (a sort before the
//! scan gives it), as after `serialize`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, ListArray, StructArray, new_empty_array};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{Column, DFSchema, Result as DfResult, ScalarValue, UnnestOptions};
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    Expr as DfExpr, LogicalPlanBuilder, PartitionEvaluator, Signature, Volatility, WindowUDF,
    WindowUDFImpl,
};
use datafusion::physical_expr::PhysicalExpr;

use super::{Frame, Planner, column};
use crate::backend::QueryError;
use crate::kql::Span;
use crate::kql::ast::{Expr, ExprKind, Scan};
use crate::results::KqlType;

/// The name of the state column holding `column`'s value in step `step`'s record.
fn state_column(step: usize, column: &str) -> String {
    format!("__scan_{step}_{column}")
}

/// `expr` with each `Step.Column` (a step of `steps`) read as its state column.
fn with_state_columns(expr: &Expr, steps: &[String], depth: usize) -> Option<Expr> {
    // Deep expressions are refused by the parser long before this; guard anyway.
    if depth > 256 {
        return None;
    }
    if let ExprKind::Member { target, key } = &expr.kind
        && let ExprKind::Column(step) = &target.kind
        && let Some(index) = steps.iter().position(|s| s == step)
    {
        return Some(Expr::new(
            ExprKind::Column(state_column(index, key)),
            expr.span,
        ));
    }
    expr.try_map_children(&mut |child| with_state_columns(child, steps, depth + 1).ok_or(()))
        .ok()
}

/// Whether a planned expression holds what a row-at-a-time evaluation cannot run: a window
/// function, an aggregate or a subquery.
pub(super) fn needs_more_than_a_row(expr: &DfExpr) -> bool {
    datafusion::common::tree_node::TreeNode::exists(expr, |e| {
        Ok(matches!(
            e,
            DfExpr::WindowFunction(_)
                | DfExpr::AggregateFunction(_)
                | DfExpr::InSubquery(_)
                | DfExpr::ScalarSubquery(_)
                | DfExpr::Exists(_)
        ))
    })
    .unwrap_or(true)
}

impl Planner<'_> {
    /// `scan` over `frame`; inside `partition by Key (…)` (`partition` is the key), one machine
    /// per value of the key.
    pub(super) fn scan(
        &mut self,
        frame: Frame,
        scan: &Scan,
        partition: Option<&str>,
        span: Span,
    ) -> Result<Frame, QueryError> {
        let input = frame.columns.clone();
        // The declared columns, their types and defaults.
        let mut declared: Vec<(String, KqlType, ScalarValue)> = Vec::new();
        for (name, type_name, default) in &scan.declared {
            let ty = self.declared_type(type_name)?;
            if input.iter().any(|(n, _)| *n == name.name)
                || declared.iter().any(|(n, _, _)| *n == name.name)
            {
                return Err(self.semantic(
                    format!("scan declares '{}', which is already a column", name.name),
                    name.span,
                ));
            }
            let null =
                ScalarValue::try_from(&ty.arrow_type()).map_err(|e| self.engine_error(e, span))?;
            let value = match default {
                None => null,
                Some(default) => {
                    let typed = self.expr(default, &Frame::empty())?;
                    let compatible =
                        typed.ty == ty || (super::is_numeric(typed.ty) && super::is_numeric(ty));
                    match (&typed.expr, compatible) {
                        (DfExpr::Literal(value, _), true) => value
                            .cast_to(&ty.arrow_type())
                            .map_err(|e| self.engine_error(e, default.span))?,
                        (_, false) => {
                            return Err(self.semantic(
                                format!(
                                    "the default of '{}' must be {}, this is {}",
                                    name.name,
                                    ty.with_article(),
                                    typed.ty.with_article()
                                ),
                                default.span,
                            ));
                        }
                        _ => {
                            return Err(self.semantic(
                                "a declared column's default is a constant",
                                default.span,
                            ));
                        }
                    }
                }
            };
            declared.push((name.name.clone(), ty, value));
        }
        let mut steps: Vec<String> = Vec::new();
        for step in &scan.steps {
            if steps.contains(&step.name.name) {
                return Err(self.semantic(
                    format!("the step name '{}' is used twice", step.name.name),
                    step.name.span,
                ));
            }
            steps.push(step.name.name.clone());
        }
        if let Some(id) = &scan.match_id
            && (input.iter().any(|(n, _)| *n == id.name)
                || declared.iter().any(|(n, _, _)| *n == id.name))
        {
            return Err(self.semantic(
                format!("the match id column '{}' is already a column", id.name),
                id.span,
            ));
        }
        // What a condition or assignment sees: the row (input and declared columns), then
        // each step's state.
        let record: Vec<(String, KqlType)> = input
            .iter()
            .cloned()
            .chain(declared.iter().map(|(n, t, _)| (n.clone(), *t)))
            .collect();
        let mut environment = record.clone();
        for k in 0..steps.len() {
            for (name, ty) in &record {
                environment.push((state_column(k, name), *ty));
            }
        }
        let probe = Frame {
            builder: LogicalPlanBuilder::empty(false),
            columns: environment.clone(),
        };
        let mut planned_steps = Vec::with_capacity(scan.steps.len());
        for step in &scan.steps {
            let output = match step.output.as_ref().map(|o| o.name.as_str()) {
                None | Some("all") => true,
                Some("none") => false,
                Some("last") => {
                    return Err(self.unsupported(
                        "scan's output=last is not supported by the local engine yet",
                        step.output.as_ref().map_or(step.name.span, |o| o.span),
                    ));
                }
                Some(other) => {
                    return Err(self.semantic(
                        format!(
                            "a step's output is all, last or none, not '{}'",
                            other.escape_debug()
                        ),
                        step.output.as_ref().map_or(step.name.span, |o| o.span),
                    ));
                }
            };
            let rewrite = |planner: &Self, e: &Expr| {
                with_state_columns(e, &steps, 0)
                    .ok_or_else(|| planner.semantic("this expression is nested too deeply", e.span))
            };
            let condition = rewrite(self, &step.condition)?;
            let condition = self.condition(&condition, &probe)?;
            if needs_more_than_a_row(&condition) {
                return Err(self.unsupported(
                    "window functions, aggregates and subqueries in a scan step are not supported by the local engine",
                    step.condition.span,
                ));
            }
            let mut assignments = Vec::with_capacity(step.assignments.len());
            for assignment in &step.assignments {
                let Some(target) = &assignment.name else {
                    return Err(self.semantic(
                        "a step assigns declared columns: Column = Value",
                        assignment.expr.span,
                    ));
                };
                let Some(index) = declared.iter().position(|(n, _, _)| *n == target.name) else {
                    return Err(self.semantic(
                        format!("'{}' is not a declared column of this scan", target.name),
                        target.span,
                    ));
                };
                let ty = declared[index].1;
                let value = rewrite(self, &assignment.expr)?;
                let typed = self.expr(&value, &probe)?;
                if typed.ty != ty && !(super::is_numeric(typed.ty) && super::is_numeric(ty)) {
                    return Err(self.semantic(
                        format!(
                            "'{}' is {}, this value is {}",
                            target.name,
                            ty.with_article(),
                            typed.ty.with_article()
                        ),
                        assignment.expr.span,
                    ));
                }
                if needs_more_than_a_row(&typed.expr) {
                    return Err(self.unsupported(
                        "window functions, aggregates and subqueries in a scan step are not supported by the local engine",
                        assignment.expr.span,
                    ));
                }
                assignments.push((
                    index,
                    datafusion::logical_expr::cast(typed.expr, ty.arrow_type()),
                ));
            }
            planned_steps.push(ScanStep {
                output,
                condition,
                assignments,
            });
        }
        let udwf = ScanUdwf {
            input: input
                .iter()
                .map(|(n, t)| (n.clone(), t.arrow_type()))
                .collect(),
            declared: declared
                .iter()
                .map(|(n, t, d)| (n.clone(), t.arrow_type(), d.clone()))
                .collect(),
            environment: {
                // Only the columns some step reads: each evaluation builds a row of them.
                let mut read = std::collections::HashSet::new();
                for step in &planned_steps {
                    for expr in std::iter::once(&step.condition)
                        .chain(step.assignments.iter().map(|(_, e)| e))
                    {
                        for reference in expr.column_refs() {
                            read.insert(reference.name.clone());
                        }
                    }
                }
                environment
                    .iter()
                    .enumerate()
                    .filter(|(_, (n, _))| read.contains(n))
                    .map(|(at, (n, t))| (n.clone(), t.arrow_type(), at))
                    .collect()
            },
            steps: planned_steps,
            signature: Signature::any(input.len(), Volatility::Immutable),
        };
        let mut machine = WindowFunction::new(
            datafusion::logical_expr::WindowFunctionDefinition::WindowUDF(Arc::new(
                WindowUDF::from(udwf),
            )),
            input.iter().map(|(n, _)| column(n)).collect(),
        );
        if let Some(key) = partition {
            machine.params.partition_by = vec![column(key)];
        }
        let machine = DfExpr::from(machine);
        // scan reads the rows in the order they come, as `serialize` does (its page's
        // cumulative sums run over `range` with no sort): a sort below gives that order.
        let plan = frame
            .builder
            .build()
            .map_err(|e| self.engine_error(e, span))?;
        self.serialized.insert(super::window::schema_key(&plan));
        let frame = Frame {
            builder: LogicalPlanBuilder::from(plan),
            columns: frame.columns,
        };
        let list = "__scan";
        let mut exprs: Vec<DfExpr> = input.iter().map(|(n, _)| column(n)).collect();
        exprs.push(machine.alias(list));
        let mut columns = input.clone();
        columns.push((list.to_string(), KqlType::Dynamic));
        let scanned = self.projected(frame, exprs, columns, span)?;
        let builder = scanned
            .builder
            .unnest_columns_with_options(vec![Column::from_name(list)], UnnestOptions::default())
            .map_err(|e| self.engine_error(e, span))?;
        let field =
            |name: &str| datafusion::functions::core::expr_fn::get_field(column(list), name);
        let mut exprs: Vec<DfExpr> = input.iter().map(|(n, _)| column(n)).collect();
        let mut columns = input.clone();
        for (index, (name, ty, _)) in declared.iter().enumerate() {
            exprs.push(field(&format!("d{index}")).alias(name.as_str()));
            columns.push((name.clone(), *ty));
        }
        if let Some(id) = &scan.match_id {
            exprs.push(field("m").alias(id.name.as_str()));
            columns.push((id.name.clone(), KqlType::Long));
        }
        let builder = builder
            .project(exprs)
            .map_err(|e| self.engine_error(e, span))?;
        Ok(Frame { builder, columns })
    }
}

/// One planned step: whether it outputs its rows, its condition and its assignments (the
/// declared column's index and the value), over the environment's columns.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ScanStep {
    output: bool,
    condition: DfExpr,
    assignments: Vec<(usize, DfExpr)>,
}

/// The scan machine as a window function over the input's columns; each row's value is the
/// list of rows it outputs, each a struct of the declared values (`d0`, `d1`, …) and the match
/// id (`m`).
#[derive(Debug, PartialEq, Eq, Hash)]
struct ScanUdwf {
    input: Vec<(String, DataType)>,
    declared: Vec<(String, DataType, ScalarValue)>,
    /// The columns the steps read: name, type, and position among the row's columns and then
    /// each step's state columns.
    environment: Vec<(String, DataType, usize)>,
    steps: Vec<ScanStep>,
    signature: Signature,
}

impl ScanUdwf {
    fn output_fields(&self) -> Fields {
        self.declared
            .iter()
            .enumerate()
            .map(|(i, (_, ty, _))| Field::new(format!("d{i}"), ty.clone(), true))
            .chain(std::iter::once(Field::new("m", DataType::Int64, true)))
            .collect()
    }
}

impl WindowUDFImpl for ScanUdwf {
    fn name(&self) -> &str {
        "kql_scan"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn partition_evaluator(
        &self,
        _: PartitionEvaluatorArgs,
    ) -> DfResult<Box<dyn PartitionEvaluator>> {
        let schema = Schema::new(
            self.environment
                .iter()
                .map(|(n, t, _)| Field::new(n, t.clone(), true))
                .collect::<Vec<_>>(),
        );
        let df_schema = DFSchema::try_from(schema.clone())?;
        let context = datafusion::prelude::SessionContext::new();
        let mut steps = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let condition = context.create_physical_expr(step.condition.clone(), &df_schema)?;
            let assignments = step
                .assignments
                .iter()
                .map(|(i, e)| Ok((*i, context.create_physical_expr(e.clone(), &df_schema)?)))
                .collect::<DfResult<Vec<_>>>()?;
            steps.push(CompiledStep {
                output: step.output,
                condition,
                assignments,
            });
        }
        let nulls = self
            .input
            .iter()
            .map(|(_, t)| ScalarValue::try_from(t))
            .collect::<DfResult<Vec<_>>>()?;
        Ok(Box::new(ScanEvaluator {
            schema: Arc::new(schema),
            read: self.environment.iter().map(|(_, _, at)| *at).collect(),
            steps,
            input_nulls: nulls,
            defaults: self.declared.iter().map(|(_, _, d)| d.clone()).collect(),
            fields: self.output_fields(),
        }))
    }

    fn field(&self, args: WindowUDFFieldArgs) -> DfResult<FieldRef> {
        let item = Field::new("item", DataType::Struct(self.output_fields()), true);
        Ok(Arc::new(Field::new(
            args.name(),
            DataType::List(Arc::new(item)),
            true,
        )))
    }
}

#[derive(Debug)]
struct CompiledStep {
    output: bool,
    condition: Arc<dyn PhysicalExpr>,
    assignments: Vec<(usize, Arc<dyn PhysicalExpr>)>,
}

/// A step's state: the row that matched each step so far (input and declared values), and the
/// sequence's match id.
#[derive(Debug, Clone)]
struct State {
    records: Vec<Vec<ScalarValue>>,
    match_id: i64,
}

#[derive(Debug)]
struct ScanEvaluator {
    schema: Arc<Schema>,
    /// The positions (among the row's columns, then each step's state columns) of the
    /// columns in `schema`.
    read: Vec<usize>,
    steps: Vec<CompiledStep>,
    input_nulls: Vec<ScalarValue>,
    defaults: Vec<ScalarValue>,
    fields: Fields,
}

impl ScanEvaluator {
    /// The one-row batch a step reads: of the row, then every step's state values (a declared
    /// column's default, or null, where the state has no row for that step), the columns some
    /// step reads.
    fn environment(&self, row: &[ScalarValue], state: Option<&State>) -> DfResult<RecordBatch> {
        let width = row.len();
        let mut arrays = Vec::with_capacity(self.read.len());
        for &at in &self.read {
            let value = if at < width {
                &row[at]
            } else {
                let (k, column) = ((at - width) / width, (at - width) % width);
                match state.and_then(|s| s.records.get(k)) {
                    Some(record) => &record[column],
                    None if column < self.input_nulls.len() => &self.input_nulls[column],
                    None => &self.defaults[column - self.input_nulls.len()],
                }
            };
            arrays.push(value.to_array_of_size(1)?);
        }
        let options =
            datafusion::arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(1));
        Ok(RecordBatch::try_new_with_options(
            self.schema.clone(),
            arrays,
            &options,
        )?)
    }

    /// Whether step `k`'s condition holds for `row` with `state`.
    fn meets(&self, k: usize, row: &[ScalarValue], state: Option<&State>) -> DfResult<bool> {
        let batch = self.environment(row, state)?;
        let value = self.steps[k].condition.evaluate(&batch)?.into_array(1)?;
        Ok(matches!(
            ScalarValue::try_from_array(&value, 0)?,
            ScalarValue::Boolean(Some(true))
        ))
    }

    /// `row` extended by step `k`'s assignments, read with `state`.
    fn extended(
        &self,
        k: usize,
        row: &[ScalarValue],
        state: Option<&State>,
    ) -> DfResult<Vec<ScalarValue>> {
        let batch = self.environment(row, state)?;
        let mut out = row.to_vec();
        let declared_at = self.input_nulls.len();
        for (index, expr) in &self.steps[k].assignments {
            let value = expr.evaluate(&batch)?.into_array(1)?;
            out[declared_at + index] = ScalarValue::try_from_array(&value, 0)?;
        }
        Ok(out)
    }
}

impl PartitionEvaluator for ScanEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], rows: usize) -> DfResult<ArrayRef> {
        let n = self.steps.len();
        let declared_at = self.input_nulls.len();
        let mut states: Vec<Option<State>> = vec![None; n];
        let mut last_id: i64 = -1;
        // Every output row's declared values and match id, and where each input row's begin.
        let mut outputs: Vec<(Vec<ScalarValue>, i64)> = Vec::new();
        let mut offsets: Vec<i32> = Vec::with_capacity(rows + 1);
        offsets.push(0);
        for i in 0..rows {
            let mut row = Vec::with_capacity(declared_at + self.defaults.len());
            for array in values {
                row.push(ScalarValue::try_from_array(array, i)?);
            }
            row.extend(self.defaults.iter().cloned());
            for k in (0..n).rev() {
                // Check 1: the previous step's sequence moves on to this step.
                if k > 0
                    && let Some(previous) = states[k - 1].as_ref()
                    && self.meets(k, &row, Some(previous))?
                {
                    let mut state = states[k - 1].take().unwrap_or(State {
                        records: Vec::new(),
                        match_id: last_id,
                    });
                    let extended = self.extended(k, &row, Some(&state))?;
                    if self.steps[k].output {
                        outputs.push((extended[declared_at..].to_vec(), state.match_id));
                    }
                    state.records.truncate(k);
                    state.records.push(extended);
                    states[k] = Some(state);
                    continue;
                }
                // Check 2: this step's sequence (or, on the first step, a new one) takes the row.
                if (states[k].is_some() || k == 0) && self.meets(k, &row, states[k].as_ref())? {
                    let extended = self.extended(k, &row, states[k].as_ref())?;
                    let state = match states[k].take() {
                        Some(mut state) => {
                            state.records.truncate(k);
                            state.records.push(extended.clone());
                            state
                        }
                        None => {
                            last_id = last_id.saturating_add(1);
                            State {
                                records: vec![extended.clone()],
                                match_id: last_id,
                            }
                        }
                    };
                    if self.steps[k].output {
                        outputs.push((extended[declared_at..].to_vec(), state.match_id));
                    }
                    states[k] = Some(state);
                }
            }
            let end = i32::try_from(outputs.len()).map_err(|_| {
                datafusion::error::DataFusionError::Execution(
                    "scan: more output rows than one batch holds".to_string(),
                )
            })?;
            offsets.push(end);
        }
        // The struct of every output row, then one list per input row.
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.fields.len());
        for (index, field) in self.fields.iter().enumerate() {
            let array = if outputs.is_empty() {
                new_empty_array(field.data_type())
            } else if index < self.defaults.len() {
                ScalarValue::iter_to_array(outputs.iter().map(|(d, _)| d[index].clone()))?
            } else {
                ScalarValue::iter_to_array(
                    outputs.iter().map(|(_, m)| ScalarValue::Int64(Some(*m))),
                )?
            };
            // A null-typed default (no value seen) still has the declared type.
            let array = if array.data_type() == field.data_type() {
                array
            } else {
                datafusion::arrow::compute::cast(&array, field.data_type())?
            };
            columns.push(array);
        }
        let structs = StructArray::try_new(self.fields.clone(), columns, None)?;
        let item = Arc::new(Field::new(
            "item",
            DataType::Struct(self.fields.clone()),
            true,
        ));
        let list = ListArray::try_new(
            item,
            OffsetBuffer::new(offsets.into()),
            Arc::new(structs),
            None,
        )?;
        Ok(Arc::new(list))
    }
}
