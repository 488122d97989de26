//! From matches to rows (graph-match-operator.md, "Returns"): the values each match's
//! constraints and projection read ([`MatchColumn`]s) as a batch, the constraints that read
//! several variables applied to it, then the projection. The constraints on single elements are
//! evaluated once per graph over its nodes and edges and given to the matcher, which never
//! tries an element they exclude.
//!
//! `all()`, `any()` and `map()` over a variable length edge (all-graph-function.md,
//! any-graph-function.md, map-graph-function.md) evaluate their body once per edge (or node,
//! with `inner_nodes()`), then combine the values along each match's path: `all` of no
//! elements is true, `any` false, `map` an empty array. A null body counts as false.
//!
//! `graph-shortest-paths` (graph-shortest-paths-operator.md) is searched breadth-first from each
//! source node (`ShortestSearch`) when that is exact, its rows streamed out as they come; for
//! other patterns every match is listed and the shortest per pair kept (`ShortestMatches`).

use std::ops::Range;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Int64Array, StringArray, UInt32Array,
};
use datafusion::arrow::compute::{filter_record_batch, take};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::{DataFusionError, Result};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_expr_common::physical_expr::is_volatile;

use super::build::Graph;
use super::exec::Budget;
use super::matcher::{Allowed, MatchRows, Matcher, ShortestMatches, ShortestSearch};
use super::tables::batch;
use super::{DEGREE_IN, DEGREE_OUT, Fold, MatchSpec, MatchValue};
use crate::engine::functions::KqlValue;
use crate::results::{KqlType, field_kql_type, kql_field};

/// A compiled match spec.
pub type Compiled = MatchSpec<Arc<dyn PhysicalExpr>>;

/// The per-element values of one `all`/`any`/`map`.
enum Elements {
    /// The body's truth for each element.
    Truth(Vec<bool>),
    /// The body's value for each element, as JSON text.
    Json(Vec<String>),
}

/// What the rows of one graph's matches are made from.
pub struct MatchContext<'g> {
    graph: &'g Graph,
    spec: &'g Compiled,
    /// The nodes' properties, then their in- and out-degrees.
    nodes: RecordBatch,
    /// Per match column: its fold's per-element values.
    folds: Vec<Option<Elements>>,
    /// Each edge as a property bag (JSON text), when a column needs them.
    bags: Option<Vec<String>>,
    frame: SchemaRef,
    output: SchemaRef,
}

/// The value of `expr` for each row of `batch`.
fn evaluate(expr: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> Result<ArrayRef> {
    expr.evaluate(batch)?.into_array(batch.num_rows())
}

/// Which rows of `batch` meet the condition `expr` (null is not met).
fn mask(expr: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> Result<Vec<bool>> {
    let values = evaluate(expr, batch)?;
    let truth = values
        .as_any()
        .downcast_ref::<BooleanArray>()
        .ok_or_else(|| DataFusionError::Internal("a graph constraint is not a bool".into()))?;
    Ok((0..truth.len())
        .map(|i| truth.is_valid(i) && truth.value(i))
        .collect())
}

/// The nodes' properties with their degrees (the schema node expressions are planned over).
fn node_view(graph: &Graph) -> Result<RecordBatch> {
    let topology = &graph.topology;
    let degrees = |incoming: bool| -> ArrayRef {
        Arc::new(Int64Array::from_iter_values((0..topology.nodes()).map(
            |n| {
                let degree = if incoming {
                    topology.degree_in(n)
                } else {
                    topology.degree_out(n)
                };
                degree as i64
            },
        )))
    };
    let schema = graph.nodes.schema();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(kql_field(DEGREE_IN, KqlType::Long));
    fields.push(kql_field(DEGREE_OUT, KqlType::Long));
    let mut columns = graph.nodes.columns().to_vec();
    columns.push(degrees(true));
    columns.push(degrees(false));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(topology.nodes())),
    )?)
}

/// Row `row` of a column of type `ty` as JSON text.
fn json_text(array: &dyn Array, row: usize, ty: KqlType) -> String {
    KqlValue::from_cell(array, row, ty).to_json().to_string()
}

/// `[a,b,…]` of the texts of `elements`.
fn json_array(texts: &[String], elements: &[u32]) -> String {
    let mut out = String::from("[");
    for (at, &element) in elements.iter().enumerate() {
        if at > 0 {
            out.push(',');
        }
        out.push_str(&texts[element as usize]);
    }
    out.push(']');
    out
}

/// Each row of `batch` as a property bag, its columns' names and values.
fn bags(batch: &RecordBatch) -> Vec<String> {
    let schema = batch.schema();
    (0..batch.num_rows())
        .map(|row| {
            let bag: serde_json::Map<String, serde_json::Value> = schema
                .fields()
                .iter()
                .zip(batch.columns())
                .map(|(field, column)| {
                    let value = KqlValue::from_cell(column.as_ref(), row, field_kql_type(field));
                    (field.name().clone(), value.to_json())
                })
                .collect();
            serde_json::Value::Object(bag).to_string()
        })
        .collect()
}

impl<'g> MatchContext<'g> {
    /// The per-graph values of `spec`'s columns (kept in `budget`); rows go out as `output`.
    pub fn new(
        graph: &'g Graph,
        spec: &'g Compiled,
        output: SchemaRef,
        budget: &Budget,
    ) -> Result<Self> {
        let nodes = node_view(graph)?;
        let mut folds = Vec::with_capacity(spec.columns.len());
        let mut held = 0usize;
        for column in &spec.columns {
            let MatchValue::Fold {
                inner_nodes,
                fold,
                body,
                body_type,
                ..
            } = &column.value
            else {
                folds.push(None);
                continue;
            };
            let elements = if *inner_nodes { &nodes } else { &graph.edges };
            let values = match fold {
                Fold::All | Fold::Any => Elements::Truth(mask(body, elements)?),
                Fold::Map => {
                    let array = evaluate(body, elements)?;
                    let texts: Vec<String> = (0..array.len())
                        .map(|row| json_text(array.as_ref(), row, *body_type))
                        .collect();
                    held += texts.iter().map(|t| t.len() + 24).sum::<usize>();
                    Elements::Json(texts)
                }
            };
            budget.need(held)?;
            folds.push(Some(values));
        }
        let needs_bags = spec
            .columns
            .iter()
            .any(|c| matches!(c.value, MatchValue::Path { .. }));
        let bags = needs_bags.then(|| bags(&graph.edges));
        if let Some(bags) = &bags {
            held += bags.iter().map(|t| t.len() + 24).sum::<usize>();
            budget.need(held)?;
        }
        budget.keep(held)?;
        let frame = Arc::new(Schema::new(
            spec.columns
                .iter()
                .map(|c| Field::new(&c.name, c.ty.arrow_type(), true))
                .collect::<Vec<_>>(),
        ));
        Ok(MatchContext {
            graph,
            spec,
            nodes,
            folds,
            bags,
            frame,
            output,
        })
    }

    /// The elements each variable may take, from the single-element constraints.
    pub fn allowed(&self) -> Result<Allowed> {
        let over = |list: &[Option<Arc<dyn PhysicalExpr>>], batch: &RecordBatch| {
            list.iter()
                .map(|e| e.as_ref().map(|e| mask(e, batch)).transpose())
                .collect::<Result<Vec<_>>>()
        };
        Ok(Allowed {
            nodes: over(&self.spec.node_filters, &self.nodes)?,
            edges: over(&self.spec.edge_filters, &self.graph.edges)?,
            inner: over(&self.spec.inner_filters, &self.nodes)?,
        })
    }

    /// The bytes the JSON columns (paths, and folds written as JSON) of match `row` take.
    fn json_bytes(&self, rows: &MatchRows, row: usize) -> usize {
        let mut bytes = 0;
        for (at, column) in self.spec.columns.iter().enumerate() {
            let (texts, elements): (&[String], &[u32]) = match &column.value {
                MatchValue::Path { var } => {
                    (self.bags.as_deref().unwrap_or(&[]), rows.edges(row, *var))
                }
                MatchValue::Fold {
                    var, inner_nodes, ..
                } => match &self.folds[at] {
                    Some(Elements::Json(texts)) if *inner_nodes => {
                        (texts, rows.inner_nodes(row, *var))
                    }
                    Some(Elements::Json(texts)) => (texts, rows.edges(row, *var)),
                    _ => continue,
                },
                _ => continue,
            };
            let text: usize = elements
                .iter()
                .map(|&e| texts.get(e as usize).map_or(0, String::len))
                .sum();
            bytes += 2 + elements.len() + text;
        }
        bytes
    }

    /// `rows` in ranges whose JSON columns take at most [`CHUNK_BYTES`] (a row alone may take
    /// more), each within the budget: long paths of wide edges make megabytes a row, and a
    /// whole batch of them at once would not fit in memory.
    fn chunks(&self, rows: &MatchRows, budget: &Budget) -> Result<Vec<Range<usize>>> {
        let mut chunks = Vec::new();
        if rows.is_empty() {
            return Ok(chunks);
        }
        let (mut start, mut bytes) = (0, 0);
        for row in 0..rows.len() {
            let more = self.json_bytes(rows, row);
            if row > start && bytes + more > CHUNK_BYTES {
                budget.need(bytes)?;
                chunks.push(start..row);
                (start, bytes) = (row, 0);
            }
            bytes += more;
        }
        if start < rows.len() {
            budget.need(bytes)?;
            chunks.push(start..rows.len());
        }
        Ok(chunks)
    }

    /// The match columns of `rows` in `range`.
    pub fn frame(&self, rows: &MatchRows, range: Range<usize>) -> Result<RecordBatch> {
        let properties = self.graph.nodes.num_columns();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.spec.columns.len());
        for (at, column) in self.spec.columns.iter().enumerate() {
            let value: ArrayRef = match &column.value {
                MatchValue::NodeProperty { var, property } => take(
                    self.nodes.column(*property),
                    &node_indices(rows, *var, range.clone()),
                    None,
                )?,
                MatchValue::NodeDegree { var, incoming } => {
                    let degree = properties + usize::from(!incoming);
                    let nodes = node_indices(rows, *var, range.clone());
                    take(self.nodes.column(degree), &nodes, None)?
                }
                MatchValue::EdgeProperty { var, property } => {
                    let edges: UInt32Array = range
                        .clone()
                        .map(|row| rows.edges(row, *var).first().copied())
                        .collect();
                    take(self.graph.edges.column(*property), &edges, None)?
                }
                MatchValue::Fold {
                    var, inner_nodes, ..
                } => self.fold(at, rows, range.clone(), *var, *inner_nodes)?,
                MatchValue::Path { var } => {
                    let bags = self.bags.as_deref().unwrap_or(&[]);
                    Arc::new(StringArray::from_iter_values(
                        range
                            .clone()
                            .map(|row| json_array(bags, rows.edges(row, *var))),
                    ))
                }
            };
            columns.push(value);
        }
        batch(&self.frame, columns, range.len())
    }

    /// The values of the fold of column `at` along each match's path.
    fn fold(
        &self,
        at: usize,
        rows: &MatchRows,
        range: Range<usize>,
        var: usize,
        inner: bool,
    ) -> Result<ArrayRef> {
        let elements = |row: usize| {
            if inner {
                rows.inner_nodes(row, var)
            } else {
                rows.edges(row, var)
            }
        };
        let fold = match &self.spec.columns[at].value {
            MatchValue::Fold { fold, .. } => *fold,
            _ => Fold::Map,
        };
        Ok(match (&self.folds[at], fold) {
            (Some(Elements::Truth(truth)), Fold::All) => {
                Arc::new(BooleanArray::from_iter(range.clone().map(|row| {
                    Some(elements(row).iter().all(|&e| truth[e as usize]))
                })))
            }
            (Some(Elements::Truth(truth)), _) => {
                Arc::new(BooleanArray::from_iter(range.clone().map(|row| {
                    Some(elements(row).iter().any(|&e| truth[e as usize]))
                })))
            }
            (Some(Elements::Json(texts)), _) => Arc::new(StringArray::from_iter_values(
                range.map(|row| json_array(texts, elements(row))),
            )),
            (None, _) => {
                return Err(DataFusionError::Internal(
                    "a graph function's values are missing".into(),
                ));
            }
        })
    }

    /// Which matches of a frame meet the constraints that read several variables.
    pub fn keep(&self, frame: &RecordBatch) -> Result<Vec<bool>> {
        match &self.spec.residual {
            Some(residual) => mask(residual, frame),
            None => Ok(vec![true; frame.num_rows()]),
        }
    }

    /// The output rows of `rows` in `range`: the constraints applied, then the projection.
    pub fn output(&self, rows: &MatchRows, range: Range<usize>) -> Result<RecordBatch> {
        let frame = self.frame(rows, range)?;
        let frame = match &self.spec.residual {
            Some(_) => {
                let keep = BooleanArray::from(self.keep(&frame)?);
                filter_record_batch(&frame, &keep)?
            }
            None => frame,
        };
        let columns = self
            .spec
            .project
            .iter()
            .map(|e| evaluate(e, &frame))
            .collect::<Result<Vec<_>>>()?;
        batch(&self.output, columns, frame.num_rows())
    }
}

fn node_indices(rows: &MatchRows, var: usize, range: Range<usize>) -> UInt32Array {
    UInt32Array::from_iter_values(range.map(|row| rows.node(row, var)))
}

/// The most bytes of paths and folds as JSON built at once (see `MatchContext::chunks`).
const CHUNK_BYTES: usize = 16 << 20;

/// Runs a match spec on a graph: each batch of output rows goes to `emit`, which says whether
/// to go on. False when `emit` stopped it.
pub fn run_match(
    graph: &Graph,
    spec: &Compiled,
    output: &SchemaRef,
    budget: &Budget,
    batch_rows: usize,
    emit: &mut dyn FnMut(RecordBatch) -> bool,
) -> Result<bool> {
    let context = MatchContext::new(graph, spec, output.clone(), budget)?;
    let allowed = context.allowed()?;
    let mut rows = MatchRows::new(&spec.pattern);
    if let Some(shortest) = spec.shortest
        && reads_only_ends(spec, shortest.first, shortest.last)
        && let Some(mut search) = ShortestSearch::new(
            &graph.topology,
            &spec.pattern,
            &allowed,
            shortest.first,
            shortest.last,
            shortest.all,
            Box::new(|bytes| budget.need(bytes)),
        )
    {
        let mut flush = |rows: &MatchRows| -> Result<bool> {
            for range in context.chunks(rows, budget)? {
                let out = context.output(rows, range)?;
                if !emit_in_batches(out, batch_rows, emit)? {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        return search.run(&mut rows, batch_rows, &mut flush);
    }
    let check = Box::new(|bytes| budget.need(bytes));
    let mut matcher = Matcher::new(&graph.topology, &spec.pattern, &allowed, check)
        .ok_or_else(|| DataFusionError::Internal("the graph pattern is not connected".into()))?;
    let Some(shortest) = spec.shortest else {
        loop {
            rows.clear();
            let more = matcher.next_rows(&mut rows, batch_rows)?;
            for range in context.chunks(&rows, budget)? {
                let out = context.output(&rows, range)?;
                if out.num_rows() > 0 && !emit(out) {
                    return Ok(false);
                }
            }
            if !more {
                return Ok(true);
            }
        }
    };
    let mut keeper =
        ShortestMatches::new(&spec.pattern, shortest.first, shortest.last, shortest.all);
    loop {
        rows.clear();
        let more = matcher.next_rows(&mut rows, batch_rows)?;
        for range in context.chunks(&rows, budget)? {
            let start = range.start;
            let keep = context.keep(&context.frame(&rows, range)?)?;
            for (row, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
                keeper.offer(&rows, start + row);
            }
        }
        budget.need(keeper.bytes())?;
        if !more {
            break;
        }
    }
    drop(matcher);
    let kept = keeper.finish();
    for range in context.chunks(&kept, budget)? {
        let out = context.output(&kept, range)?;
        if !emit_in_batches(out, batch_rows, emit)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether the constraints that read several variables read only the end nodes `first` and
/// `last` (their properties and degrees) and give the same answer each time: then every match of
/// a pair meets them or none does, and the shortest of a pair are the shortest that meet them —
/// what [`ShortestSearch`] finds, the constraints applied to its rows.
fn reads_only_ends(spec: &Compiled, first: usize, last: usize) -> bool {
    let Some(residual) = &spec.residual else {
        return true;
    };
    !is_volatile(residual)
        && collect_columns(residual).iter().all(|column| {
            matches!(
                spec.columns.get(column.index()).map(|c| &c.value),
                Some(MatchValue::NodeProperty { var, .. } | MatchValue::NodeDegree { var, .. })
                    if *var == first || *var == last
            )
        })
}

/// Hands `batch` to `emit` in slices of at most `batch_rows` rows; false when `emit` stopped.
pub fn emit_in_batches(
    batch: RecordBatch,
    batch_rows: usize,
    emit: &mut dyn FnMut(RecordBatch) -> bool,
) -> Result<bool> {
    let mut at = 0;
    while at < batch.num_rows() {
        let length = batch_rows.max(1).min(batch.num_rows() - at);
        if !emit(batch.slice(at, length)) {
            return Ok(false);
        }
        at += length;
    }
    Ok(true)
}
