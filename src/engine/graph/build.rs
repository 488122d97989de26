//! `make-graph` (make-graph-operator.md): each row of the edges is an edge whose properties are
//! the row's columns; each row of a node table is a node whose properties are its columns; a
//! node id the edges name without a node row is a node with no properties but its id. A node id
//! in two tables is one node, its properties merged (the first table's value where both have
//! one: the page says one is chosen arbitrarily).
//!
//! Nodes are numbered in the order their ids are first seen: the node tables' rows in order,
//! then each edge's source and target, edge by edge (graph-mark-components-operator.md lists
//! the nodes of a graph of edges alone in that order). Ids are compared by value (Arrow's row format, so any
//! id type works); the planner has made all id columns one type.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, new_null_array};
use datafusion::arrow::compute::{cast, interleave};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::arrow::row::{RowConverter, Rows, SortField};
use datafusion::common::{DataFusionError, Result};

use super::exec::Budget;
use super::matcher::Topology;
use super::{GraphSpec, PropertySource};
use crate::results::kql_field;

/// A graph in memory: its nodes' properties and ids, its edges, and its shape.
#[derive(Debug, Clone)]
pub struct Graph {
    /// One row per node: its properties (possibly no columns).
    pub nodes: RecordBatch,
    /// Each node's id.
    pub ids: ArrayRef,
    /// One row per edge: its properties.
    pub edges: RecordBatch,
    /// Each edge's ends and each node's edges.
    pub topology: Topology,
}

/// No row: a node that has no row in a table.
const NONE: u32 = u32::MAX;

/// Rows between two checks of the budget.
const CHECK_ROWS: usize = 65_536;

/// The nodes as their ids are first seen: a number for each distinct id, where it was first
/// seen (input array and row), and the row each node table has for it.
struct NodeIndex {
    converter: RowConverter,
    numbers: HashMap<Box<[u8]>, u32>,
    origins: Vec<(usize, usize)>,
    table_rows: Vec<Vec<u32>>,
    key_bytes: usize,
}

impl NodeIndex {
    fn new(id_type: &datafusion::arrow::datatypes::DataType, tables: usize) -> Result<NodeIndex> {
        Ok(NodeIndex {
            converter: RowConverter::new(vec![SortField::new(id_type.clone())])?,
            numbers: HashMap::new(),
            origins: Vec::new(),
            table_rows: vec![Vec::new(); tables],
            key_bytes: 0,
        })
    }

    fn bytes(&self) -> usize {
        self.key_bytes
            + self.numbers.len() * 40
            + self.origins.len() * 16
            + self.table_rows.iter().map(|t| t.len() * 4).sum::<usize>()
    }

    /// The rows (Arrow's row format) of an id column.
    fn rows(&self, ids: &ArrayRef) -> Result<Rows> {
        Ok(self.converter.convert_columns(std::slice::from_ref(ids))?)
    }

    /// The number of the id in row `row` of `rows` (input array `array`), numbered now when
    /// it is new.
    fn number(&mut self, rows: &Rows, row: usize, array: usize) -> Result<u32> {
        let key = rows.row(row);
        if let Some(&number) = self.numbers.get(key.as_ref()) {
            return Ok(number);
        }
        let number = u32::try_from(self.origins.len())
            .ok()
            .filter(|&n| n != NONE)
            .ok_or_else(|| {
                DataFusionError::Execution(
                    "the graph has more nodes than the local engine holds (4 billion)".into(),
                )
            })?;
        self.key_bytes += key.as_ref().len();
        self.numbers.insert(key.as_ref().into(), number);
        self.origins.push((array, row));
        Ok(number)
    }

    /// Numbers the ids of node table `table` (input array `table` too), keeping the first row
    /// of each id.
    fn number_table(&mut self, ids: &ArrayRef, table: usize, budget: &Budget) -> Result<()> {
        let rows = self.rows(ids)?;
        for row in 0..rows.num_rows() {
            if row % CHECK_ROWS == 0 {
                budget.need(self.bytes() + rows.size())?;
            }
            let number = self.number(&rows, row, table)? as usize;
            let rows_of = &mut self.table_rows[table];
            if rows_of.len() <= number {
                rows_of.resize(number + 1, NONE);
            }
            if rows_of[number] == NONE {
                rows_of[number] = row as u32;
            }
        }
        Ok(())
    }

    /// Numbers the edges' ends, each edge's source then its target (input arrays `at` and
    /// `at + 1`): the nodes of each edge, in edge order.
    fn number_edges(
        &mut self,
        sources: &ArrayRef,
        targets: &ArrayRef,
        at: usize,
        budget: &Budget,
    ) -> Result<(Vec<u32>, Vec<u32>)> {
        let (source_rows, target_rows) = (self.rows(sources)?, self.rows(targets)?);
        let edges = source_rows.num_rows();
        let (mut from, mut to) = (Vec::with_capacity(edges), Vec::with_capacity(edges));
        for row in 0..edges {
            if row % CHECK_ROWS == 0 {
                budget.need(self.bytes() + source_rows.size() + target_rows.size() + row * 8)?;
            }
            from.push(self.number(&source_rows, row, at)?);
            to.push(self.number(&target_rows, row, at + 1)?);
        }
        Ok((from, to))
    }
}

/// Builds the graph of `spec` from the edges and the node tables (each one batch).
pub fn build(
    spec: &GraphSpec,
    edges: RecordBatch,
    tables: &[RecordBatch],
    budget: &Budget,
) -> Result<Graph> {
    if edges.num_rows() >= NONE as usize {
        return Err(DataFusionError::Execution(
            "the graph has more edges than the local engine holds (4 billion)".into(),
        ));
    }
    let source = edges.column(spec.source).clone();
    let id_type = source.data_type().clone();
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(tables.len() + 2);
    for (table, batch) in spec.node_tables.iter().zip(tables) {
        arrays.push(cast(batch.column(table.id), &id_type)?);
    }
    arrays.push(source);
    arrays.push(cast(edges.column(spec.target), &id_type)?);
    let mut index = NodeIndex::new(&id_type, tables.len())?;
    for (at, ids) in arrays.iter().enumerate().take(tables.len()) {
        index.number_table(ids, at, budget)?;
    }
    let at = tables.len();
    let (sources, targets) = index.number_edges(&arrays[at], &arrays[at + 1], at, budget)?;
    budget.need(index.bytes() + sources.len() * 8)?;
    let nodes = index.origins.len();
    let sources_ref: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
    let ids = interleave(&sources_ref, &index.origins)?;
    for rows in &mut index.table_rows {
        rows.resize(nodes, NONE);
    }
    let properties = node_properties(spec, tables, &ids, &index.table_rows)?;
    let topology = Topology::new(nodes, sources, targets).ok_or_else(|| {
        DataFusionError::Internal("the graph's edges name nodes it does not have".into())
    })?;
    Ok(Graph {
        nodes: properties,
        ids,
        edges,
        topology,
    })
}

/// The nodes' property columns, as `spec` says where each comes from.
fn node_properties(
    spec: &GraphSpec,
    tables: &[RecordBatch],
    ids: &ArrayRef,
    table_rows: &[Vec<u32>],
) -> Result<RecordBatch> {
    let mut fields = Vec::with_capacity(spec.node_properties.len());
    let mut columns = Vec::with_capacity(spec.node_properties.len());
    for property in &spec.node_properties {
        let data_type = property.ty.arrow_type();
        let column = match &property.source {
            PropertySource::Id => cast(ids, &data_type)?,
            PropertySource::Tables(sources) => {
                from_tables(tables, sources, table_rows, &data_type, ids.len())?
            }
        };
        fields.push(kql_field(&property.name, property.ty));
        columns.push(column);
    }
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(ids.len())),
    )?)
}

/// One property from the node tables that have it: for each node, the first such table's
/// value where it has a row, else null.
fn from_tables(
    tables: &[RecordBatch],
    sources: &[Option<usize>],
    table_rows: &[Vec<u32>],
    data_type: &datafusion::arrow::datatypes::DataType,
    nodes: usize,
) -> Result<ArrayRef> {
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let mut which: Vec<(usize, usize)> = Vec::new();
    for (table, column) in sources.iter().enumerate() {
        if let (Some(column), Some(batch)) = (column, tables.get(table)) {
            arrays.push(cast(batch.column(*column), data_type)?);
            which.push((table, arrays.len() - 1));
        }
    }
    let null = arrays.len();
    arrays.push(new_null_array(data_type, 1));
    let picks: Vec<(usize, usize)> = (0..nodes)
        .map(|node| {
            which
                .iter()
                .find_map(|&(table, array)| {
                    let row = table_rows[table][node];
                    (row != NONE).then_some((array, row as usize))
                })
                .unwrap_or((null, 0))
        })
        .collect();
    let refs: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
    Ok(interleave(&refs, &picks)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::graph::{NodeProperty, NodeTable};
    use crate::results::KqlType;
    use datafusion::arrow::array::{Int64Array, StringArray};

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    fn strings(values: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    fn texts(array: &ArrayRef) -> Vec<Option<String>> {
        let strings = cast(array, &datafusion::arrow::datatypes::DataType::Utf8).unwrap();
        let strings = strings.as_any().downcast_ref::<StringArray>().unwrap();
        (0..strings.len())
            .map(|i| strings.is_valid(i).then(|| strings.value(i).to_string()))
            .collect()
    }

    #[test]
    fn nodes_come_from_tables_first_then_from_the_edges() {
        let edges = batch(vec![
            ("src", strings(&["Alice", "Mallory", "Bob"])),
            ("dst", strings(&["Bob", "Alice", "Trent"])),
        ]);
        let people = batch(vec![
            ("name", strings(&["Bob", "Alice", "Bob"])),
            (
                "age",
                Arc::new(Int64Array::from(vec![31, 23, 99])) as ArrayRef,
            ),
        ]);
        let spec = GraphSpec {
            edge_columns: vec![
                ("src".into(), KqlType::String),
                ("dst".into(), KqlType::String),
            ],
            source: 0,
            target: 1,
            node_tables: vec![NodeTable {
                columns: vec![
                    ("name".into(), KqlType::String),
                    ("age".into(), KqlType::Long),
                ],
                id: 0,
            }],
            node_properties: vec![
                NodeProperty {
                    name: "name".into(),
                    ty: KqlType::String,
                    source: PropertySource::Id,
                },
                NodeProperty {
                    name: "age".into(),
                    ty: KqlType::Long,
                    source: PropertySource::Tables(vec![Some(1)]),
                },
            ],
        };
        let graph = build(&spec, edges, &[people], &Budget::unlimited()).unwrap();
        let some = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();
        assert_eq!(
            texts(&graph.ids),
            some(&["Bob", "Alice", "Mallory", "Trent"])
        );
        assert_eq!(
            texts(graph.nodes.column(0)),
            some(&["Bob", "Alice", "Mallory", "Trent"])
        );
        // The first row of a duplicated id wins; nodes without a row have no age.
        assert_eq!(
            texts(graph.nodes.column(1)),
            vec![Some("31".into()), Some("23".into()), None, None]
        );
        assert_eq!(graph.topology.ends(1), (2, 1));
        assert_eq!(graph.topology.degree_in(0), 1);
        assert_eq!(graph.topology.degree_out(2), 1);
    }

    #[test]
    fn a_graph_of_edges_alone_has_nodes_without_properties_numbered_edge_by_edge() {
        let edges = batch(vec![
            ("a", Arc::new(Int64Array::from(vec![5, 7, 6])) as ArrayRef),
            ("b", Arc::new(Int64Array::from(vec![6, 8, 5])) as ArrayRef),
        ]);
        let spec = GraphSpec {
            edge_columns: vec![("a".into(), KqlType::Long), ("b".into(), KqlType::Long)],
            source: 0,
            target: 1,
            node_tables: vec![],
            node_properties: vec![],
        };
        let graph = build(&spec, edges, &[], &Budget::unlimited()).unwrap();
        assert_eq!(graph.nodes.num_rows(), 4);
        assert_eq!(graph.nodes.num_columns(), 0);
        assert_eq!(graph.topology.edges(), 3);
        // Each edge's source, then its target.
        assert_eq!(
            texts(&graph.ids),
            ["5", "6", "7", "8"].map(|s| Some(s.to_string())).to_vec()
        );
    }
}
