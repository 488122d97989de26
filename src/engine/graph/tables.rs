//! `graph-to-table` (graph-to-table-operator.md): the nodes or the edges as a table, each row
//! an element's properties, with the node hash ids asked for first. A node's hash id is
//! `hash()` of its id (the page's ids are xxhash64 of the names' UTF-8, which is what
//! hash-function.md gives).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, UInt32Array};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::{DataFusionError, Result};

use super::build::Graph;
use crate::engine::functions::{self, KqlValue};
use crate::results::KqlType;

/// Each node's hash id (null for a null id).
pub fn node_hashes(graph: &Graph, id_type: KqlType) -> Result<Vec<Option<i64>>> {
    let hash = functions::lookup("hash")
        .ok_or_else(|| DataFusionError::Internal("hash() is missing".into()))?;
    (0..graph.ids.len())
        .map(|node| {
            let id = KqlValue::from_cell(graph.ids.as_ref(), node, id_type);
            match (hash.eval)(&[id]) {
                Ok(KqlValue::Long(h)) => Ok(Some(h)),
                Ok(_) => Ok(None),
                Err(message) => Err(DataFusionError::Execution(message)),
            }
        })
        .collect()
}

/// The nodes: the hash id column first when `node_id`, then the properties.
pub fn nodes(
    graph: &Graph,
    node_id: bool,
    id_type: KqlType,
    schema: &SchemaRef,
) -> Result<RecordBatch> {
    let mut columns: Vec<ArrayRef> = Vec::new();
    if node_id {
        columns.push(Arc::new(Int64Array::from(node_hashes(graph, id_type)?)));
    }
    columns.extend(graph.nodes.columns().iter().cloned());
    batch(schema, columns, graph.topology.nodes())
}

/// The edges: the hash id columns as `ids` lists them (true: the source's), then the
/// properties.
pub fn edges(
    graph: &Graph,
    ids: &[bool],
    id_type: KqlType,
    schema: &SchemaRef,
) -> Result<RecordBatch> {
    let mut columns: Vec<ArrayRef> = Vec::new();
    if !ids.is_empty() {
        let hashes = Int64Array::from(node_hashes(graph, id_type)?);
        for &source in ids {
            let ends: UInt32Array = (0..graph.topology.edges() as u32)
                .map(|edge| {
                    let (from, to) = graph.topology.ends(edge);
                    if source { from } else { to }
                })
                .collect();
            columns.push(take(&hashes, &ends, None)?);
        }
    }
    columns.extend(graph.edges.columns().iter().cloned());
    batch(schema, columns, graph.topology.edges())
}

/// A batch of `schema` from `columns` (cast where the Arrow types differ).
pub fn batch(schema: &SchemaRef, columns: Vec<ArrayRef>, rows: usize) -> Result<RecordBatch> {
    let columns = columns
        .into_iter()
        .zip(schema.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(column)
            } else {
                Ok(datafusion::arrow::compute::cast(
                    &column,
                    field.data_type(),
                )?)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )?)
}
