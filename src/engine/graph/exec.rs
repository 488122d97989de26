//! The graph operators as a table source DataFusion plans like any other: [`GraphSource`]
//! holds the inputs' logical plans and the [`GraphProgram`]; when scanned it plans the inputs
//! and compiles the program's expressions in the query's session, and its one partition reads
//! every input into memory, builds the graph and runs the program on a blocking thread, handing
//! batches on through a bounded channel — so a `take` after a `graph-match` stops the matching
//! once it has its rows.
//!
//! Everything held is reserved in the query's memory pool (the engine's limit: past it the
//! query fails with the engine's "needed more memory" message), and the query's stop flag is
//! checked between batches of input and every 1024 moves of the matcher.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, UInt32Array};
use datafusion::arrow::compute::{cast, concat_batches, take_record_batch};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DFSchema, DataFusionError, Result};
use datafusion::datasource::TableType;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::{ExecutionPlan, execute_stream};
use futures::StreamExt;

use super::build::{Graph, build};
use super::components::mark_components;
use super::rows::{emit_in_batches, run_match};
use super::{Columns, DEGREE_IN, DEGREE_OUT, GraphOutput, GraphProgram, GraphStep, Scope};
use crate::engine::cooperative::QueryStop;
use crate::results::{KqlType, kql_schema};

/// The memory a graph holds and the query's stop flag: every phase says what it needs.
pub struct Budget {
    reservation: Option<MemoryReservation>,
    stop: Option<Arc<QueryStop>>,
    /// Whether nobody reads the rows any more (a `take` after the graph has its rows).
    unread: Option<Box<dyn Fn() -> bool + Send + Sync>>,
    kept: AtomicUsize,
}

impl Budget {
    /// A budget in the query's memory pool, stopped by its stop flag.
    pub fn of(context: &TaskContext) -> Budget {
        Budget::named(context, "make-graph")
    }

    /// [`Budget::of`] for another operator that holds a whole table (`reduce`): `name` is what
    /// the memory pool reports as the consumer.
    pub fn named(context: &TaskContext, name: &str) -> Budget {
        Budget {
            reservation: Some(MemoryConsumer::new(name).register(context.memory_pool())),
            stop: context.session_config().get_extension::<QueryStop>(),
            unread: None,
            kept: AtomicUsize::new(0),
        }
    }

    /// No limit and no stop flag (tests).
    #[cfg(test)]
    pub fn unlimited() -> Budget {
        Budget {
            reservation: None,
            stop: None,
            unread: None,
            kept: AtomicUsize::new(0),
        }
    }

    /// Stops the work too when `unread` says nobody reads its rows any more.
    pub fn read_by(mut self, unread: impl Fn() -> bool + Send + Sync + 'static) -> Budget {
        self.unread = Some(Box::new(unread));
        self
    }

    /// Fails when the query was cancelled or its rows are no longer read, or when what is kept
    /// and `working` more bytes do not fit in the memory pool (DataFusion's "resources
    /// exhausted").
    pub fn need(&self, working: usize) -> Result<()> {
        if self.stop.as_ref().is_some_and(|s| s.stopped()) {
            return Err(DataFusionError::Execution(
                "the query was cancelled".to_string(),
            ));
        }
        if self.unread.as_ref().is_some_and(|unread| unread()) {
            return Err(DataFusionError::Execution(
                "the graph's rows are no longer read".to_string(),
            ));
        }
        let total = self.kept.load(Ordering::Relaxed).saturating_add(working);
        if let Some(reservation) = &self.reservation
            && total > reservation.size()
        {
            reservation.try_grow(total - reservation.size())?;
        }
        Ok(())
    }

    /// [`Budget::need`], then counts `bytes` as held from now on.
    pub fn keep(&self, bytes: usize) -> Result<()> {
        self.need(bytes)?;
        self.kept.fetch_add(bytes, Ordering::Relaxed);
        Ok(())
    }

    /// What is held now, in bytes.
    pub fn kept(&self) -> usize {
        self.kept.load(Ordering::Relaxed)
    }

    /// Back to holding `kept` bytes (what one partition's graph held is freed).
    pub fn release_to(&self, kept: usize) {
        self.kept.store(kept, Ordering::Relaxed);
        if let Some(reservation) = &self.reservation {
            reservation.resize(kept);
        }
    }
}

/// `make-graph` and the graph operators after it, as a table.
#[derive(Debug)]
pub struct GraphSource {
    /// The edges, then each node table.
    inputs: Vec<LogicalPlan>,
    program: Arc<GraphProgram<Expr>>,
    schema: SchemaRef,
}

impl GraphSource {
    /// A source running `program` over `inputs` (the edges, then each node table).
    pub fn new(inputs: Vec<LogicalPlan>, program: GraphProgram<Expr>) -> GraphSource {
        let schema = kql_schema(&program.columns);
        GraphSource {
            inputs,
            program: Arc::new(program),
            schema,
        }
    }
}

/// A DataFusion schema of `columns` (every one nullable).
fn df_schema(columns: &Columns) -> Result<DFSchema> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, ty)| Field::new(name, ty.arrow_type(), true))
        .collect();
    DFSchema::try_from(Schema::new(fields))
}

/// The program with its expressions compiled in `state`, each over its scope's schema.
fn compile(
    program: &GraphProgram<Expr>,
    state: &dyn Session,
) -> Result<GraphProgram<Arc<dyn PhysicalExpr>>> {
    let output = match &program.output {
        GraphOutput::Nodes { node_id } => GraphOutput::Nodes { node_id: *node_id },
        GraphOutput::Edges { ids } => GraphOutput::Edges { ids: ids.clone() },
        GraphOutput::Match(spec) => {
            let mut nodes = program.node_columns();
            nodes.push((DEGREE_IN.to_string(), KqlType::Long));
            nodes.push((DEGREE_OUT.to_string(), KqlType::Long));
            let nodes = df_schema(&nodes)?;
            let edges = df_schema(&program.graph.edge_columns)?;
            let matches = df_schema(
                &spec
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), c.ty))
                    .collect(),
            )?;
            GraphOutput::Match(Box::new(spec.try_map(&mut |expr, scope| {
                let schema = match scope {
                    Scope::Node => &nodes,
                    Scope::Edge => &edges,
                    Scope::Match => &matches,
                };
                state.create_physical_expr(expr.clone(), schema)
            })?))
        }
    };
    Ok(GraphProgram {
        graph: program.graph.clone(),
        steps: program.steps.clone(),
        output,
        partition: program.partition.clone(),
        columns: program.columns.clone(),
    })
}

#[async_trait]
impl TableProvider for GraphSource {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let mut inputs = Vec::with_capacity(self.inputs.len());
        for plan in &self.inputs {
            inputs.push(state.create_physical_plan(plan).await?);
        }
        let partition = GraphPartition {
            schema: self.schema.clone(),
            inputs,
            program: Arc::new(compile(&self.program, state)?),
        };
        Ok(Arc::new(StreamingTableExec::try_new(
            self.schema.clone(),
            vec![Arc::new(partition)],
            projection,
            Vec::new(),
            false,
            limit,
        )?))
    }
}

/// The one partition of a graph source.
#[derive(Debug)]
struct GraphPartition {
    schema: SchemaRef,
    inputs: Vec<Arc<dyn ExecutionPlan>>,
    program: Arc<GraphProgram<Arc<dyn PhysicalExpr>>>,
}

impl PartitionStream for GraphPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, context: Arc<TaskContext>) -> SendableRecordBatchStream {
        let mut builder = RecordBatchReceiverStreamBuilder::new(self.schema.clone(), 2);
        let tx = builder.tx();
        let inputs = self.inputs.clone();
        let program = self.program.clone();
        let schema = self.schema.clone();
        let reader = tx.clone();
        builder.spawn(async move {
            let budget = Budget::of(&context).read_by(move || reader.is_closed());
            let tables = read_inputs(&inputs, &context, &budget).await?;
            let batch_rows = context.session_config().batch_size().max(1);
            let work = move || {
                let mut emit = |batch: RecordBatch| tx.blocking_send(Ok(batch)).is_ok();
                run(&program, tables, &budget, &schema, batch_rows, &mut emit).map(|_| ())
            };
            tokio::task::spawn_blocking(work).await.map_err(|error| {
                DataFusionError::Execution(format!("the graph operators failed: {error}"))
            })?
        });
        builder.build()
    }
}

/// Each input whole, as one batch (its size kept in the budget).
async fn read_inputs(
    inputs: &[Arc<dyn ExecutionPlan>],
    context: &Arc<TaskContext>,
    budget: &Budget,
) -> Result<Vec<RecordBatch>> {
    let mut tables = Vec::with_capacity(inputs.len());
    for input in inputs {
        let mut stream = execute_stream(input.clone(), context.clone())?;
        let mut batches = Vec::new();
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            budget.keep(batch.get_array_memory_size())?;
            batches.push(batch);
        }
        tables.push(concat_batches(&input.schema(), &batches)?);
    }
    Ok(tables)
}

/// Runs the program over its inputs (edges, then node tables), a graph per partition; false
/// when `emit` stopped it.
fn run(
    program: &GraphProgram<Arc<dyn PhysicalExpr>>,
    inputs: Vec<RecordBatch>,
    budget: &Budget,
    schema: &SchemaRef,
    batch_rows: usize,
    emit: &mut dyn FnMut(RecordBatch) -> bool,
) -> Result<bool> {
    let parts = match &program.partition {
        None => vec![inputs],
        Some(partition) => {
            let mut columns = vec![partition.edges];
            columns.extend(&partition.node_tables);
            let parts = split(&inputs, &columns)?;
            drop(inputs);
            // The partitions are copies of the inputs.
            budget.keep(
                parts
                    .iter()
                    .flatten()
                    .map(RecordBatch::get_array_memory_size)
                    .sum(),
            )?;
            parts
        }
    };
    for mut part in parts {
        if part.is_empty() {
            continue;
        }
        let edges = part.remove(0);
        let held = budget.kept();
        let go_on = run_graph(program, edges, &part, budget, schema, batch_rows, emit)?;
        budget.release_to(held);
        if !go_on {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Builds one graph, runs the steps and the output on it; false when `emit` stopped it.
fn run_graph(
    program: &GraphProgram<Arc<dyn PhysicalExpr>>,
    edges: RecordBatch,
    tables: &[RecordBatch],
    budget: &Budget,
    schema: &SchemaRef,
    batch_rows: usize,
    emit: &mut dyn FnMut(RecordBatch) -> bool,
) -> Result<bool> {
    let mut graph = build(&program.graph, edges, tables, budget)?;
    budget.keep(graph_bytes(&graph))?;
    for step in &program.steps {
        match step {
            GraphStep::MarkComponents { strong, name } => {
                mark_components(&mut graph, *strong, name)?
            }
        }
    }
    run_output(program, &graph, budget, schema, batch_rows, emit)
}

fn graph_bytes(graph: &Graph) -> usize {
    graph.nodes.get_array_memory_size() + graph.ids.get_array_memory_size() + graph.topology.bytes()
}

/// The program's table of one graph, handed to `emit`.
fn run_output(
    program: &GraphProgram<Arc<dyn PhysicalExpr>>,
    graph: &Graph,
    budget: &Budget,
    schema: &SchemaRef,
    batch_rows: usize,
    emit: &mut dyn FnMut(RecordBatch) -> bool,
) -> Result<bool> {
    let id_type = program
        .graph
        .edge_columns
        .get(program.graph.source)
        .map_or(KqlType::String, |(_, ty)| *ty);
    match &program.output {
        GraphOutput::Nodes { node_id } => {
            let nodes = super::tables::nodes(graph, *node_id, id_type, schema)?;
            emit_in_batches(nodes, batch_rows, emit)
        }
        GraphOutput::Edges { ids } => {
            let edges = super::tables::edges(graph, ids, id_type, schema)?;
            emit_in_batches(edges, batch_rows, emit)
        }
        GraphOutput::Match(spec) => run_match(graph, spec, schema, budget, batch_rows, emit),
    }
}

/// `partitioned-by`: the inputs split by the value of each one's partition column (`columns`,
/// one per input), partitions in the order their values first appear (the edges first).
fn split(inputs: &[RecordBatch], columns: &[usize]) -> Result<Vec<Vec<RecordBatch>>> {
    let Some(first) = inputs.first() else {
        return Ok(Vec::new());
    };
    let key_type = first.column(columns[0]).data_type().clone();
    let converter = RowConverter::new(vec![SortField::new(key_type.clone())])?;
    let mut partitions: std::collections::HashMap<Box<[u8]>, usize> = Default::default();
    // Per partition, per input: the rows.
    let mut rows: Vec<Vec<Vec<u32>>> = Vec::new();
    for (input, (batch, &column)) in inputs.iter().zip(columns).enumerate() {
        let keys: ArrayRef = cast(batch.column(column), &key_type)?;
        let converted = converter.convert_columns(&[keys])?;
        for row in 0..converted.num_rows() {
            let key = converted.row(row);
            let at = match partitions.get(key.as_ref()) {
                Some(&at) => at,
                None => {
                    partitions.insert(key.as_ref().into(), rows.len());
                    rows.push(vec![Vec::new(); inputs.len()]);
                    rows.len() - 1
                }
            };
            rows[at][input].push(row as u32);
        }
    }
    rows.into_iter()
        .map(|per_input| {
            per_input
                .into_iter()
                .zip(inputs)
                .map(|(indices, batch)| Ok(take_record_batch(batch, &UInt32Array::from(indices))?))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::execution::memory_pool::{GreedyMemoryPool, MemoryPool};

    #[test]
    fn the_budget_stops_on_cancel_on_unread_rows_and_past_the_pool() {
        let pool: Arc<dyn MemoryPool> = Arc::new(GreedyMemoryPool::new(1000));
        let stop = Arc::new(QueryStop::default());
        let budget = Budget {
            reservation: Some(MemoryConsumer::new("test").register(&pool)),
            stop: Some(stop.clone()),
            unread: None,
            kept: AtomicUsize::new(0),
        };
        budget.keep(400).unwrap();
        budget.need(600).unwrap();
        let past = budget.need(601).unwrap_err();
        assert!(
            matches!(past.find_root(), DataFusionError::ResourcesExhausted(_)),
            "{past}"
        );
        stop.stop();
        let cancelled = budget.need(0).unwrap_err();
        assert!(cancelled.to_string().contains("cancelled"), "{cancelled}");
        let unread = Budget::unlimited().read_by(|| true).need(0).unwrap_err();
        assert!(unread.to_string().contains("no longer read"), "{unread}");
        Budget::unlimited().need(usize::MAX).unwrap();
    }
}
