//! The embedded local backend: KQL syntax tree → DataFusion logical plan, KQL functions as UDFs,
//! and a catalog of tables (the lab data set, later the user's files).

pub mod cooperative;
pub mod earlier;
pub mod files;
pub mod functions;
pub mod graph;
pub mod lab;
mod lab_table;
pub mod memory;
pub mod planner;
pub mod reduce;
mod string_views;
pub mod time_window;
pub mod udf;
pub mod udf_activity;
pub mod udf_aggregate;
pub mod udf_expand;
pub mod udf_parse;
pub mod udf_pick;
pub mod udf_series;
pub mod udf_size;
pub mod udf_text;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};
use tokio_util::sync::CancellationToken;

use crate::backend::{Backend, BoxFuture, ErrorKind, QueryError, QueryRequest, TableInfo};
use crate::kql;
use crate::kql::time;
use crate::results::{KqlType, RenderHint, ResultSet, RunFacts, kql_schema};
use planner::{Discoveries, DiscoveryKind, Planning, Udfs, plan_discovering};

/// How many plugins of one query may need to read the data before it is planned.
const MAX_DISCOVERIES: usize = 8;

/// The most columns a plugin makes from the data (bag slots, pivot values).
const MAX_DISCOVERED_COLUMNS: usize = 1024;

/// What a discovery's one column says: the bags' slots with the type their values share, or
/// the distinct non-empty values (sorted).
fn discovered(batches: &[RecordBatch], kind: DiscoveryKind) -> Vec<(String, KqlType)> {
    use datafusion::arrow::array::Array;
    let mut found: Vec<(String, Option<KqlType>)> = Vec::new();
    let mut values: std::collections::BTreeSet<String> = Default::default();
    for batch in batches {
        let column = batch.column(0);
        let texts = match datafusion::arrow::compute::cast(
            column,
            &datafusion::arrow::datatypes::DataType::Utf8,
        ) {
            Ok(texts) => texts,
            Err(_) => continue,
        };
        let Some(texts) = texts
            .as_any()
            .downcast_ref::<datafusion::arrow::array::StringArray>()
        else {
            continue;
        };
        for row in 0..texts.len() {
            if texts.is_null(row) {
                continue;
            }
            let text = texts.value(row);
            match kind {
                DiscoveryKind::Values => {
                    if !text.is_empty() && values.len() < MAX_DISCOVERED_COLUMNS {
                        values.insert(text.to_string());
                    }
                }
                DiscoveryKind::BagSlots => {
                    let Ok(serde_json::Value::Object(bag)) = serde_json::from_str(text) else {
                        continue;
                    };
                    for (key, value) in bag {
                        let ty = match value {
                            serde_json::Value::Null => continue,
                            serde_json::Value::Bool(_) => KqlType::Bool,
                            serde_json::Value::Number(n) if n.is_i64() => KqlType::Long,
                            serde_json::Value::Number(_) => KqlType::Real,
                            serde_json::Value::String(_) => KqlType::String,
                            _ => KqlType::Dynamic,
                        };
                        match found.iter().position(|(k, _)| *k == key) {
                            Some(at) if found[at].1 != Some(ty) => found[at].1 = None,
                            Some(_) => {}
                            None if found.len() < MAX_DISCOVERED_COLUMNS => {
                                found.push((key, Some(ty)))
                            }
                            None => {}
                        }
                    }
                }
            }
        }
    }
    match kind {
        DiscoveryKind::Values => values.into_iter().map(|v| (v, KqlType::String)).collect(),
        DiscoveryKind::BagSlots => found
            .into_iter()
            .map(|(key, ty)| (key, ty.unwrap_or(KqlType::Dynamic)))
            .collect(),
    }
}

pub use lab::LabOptions;

/// One table the engine can query.
#[derive(Debug, Clone)]
pub struct CatalogTable {
    pub provider: Arc<dyn TableProvider>,
    pub columns: Vec<(String, KqlType)>,
}

/// The rows of an in-memory table's batches (DataFusion's default batch size).
const MEMORY_BATCH_ROWS: usize = 8192;

/// The tables by name (case-sensitive, as in KQL).
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    tables: BTreeMap<String, CatalogTable>,
}

impl Catalog {
    /// Every table's name and columns, for completion (`Backend::tables`).
    pub fn table_infos(&self) -> Vec<TableInfo> {
        self.tables
            .iter()
            .map(|(name, table)| TableInfo {
                name: name.clone(),
                columns: table.columns.clone(),
            })
            .collect()
    }

    pub fn get(&self, name: &str) -> Option<&CatalogTable> {
        self.tables.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.tables.keys()
    }

    /// Adds an in-memory table. Null strings become empty strings on the way in: KQL's
    /// `string` has no null, and operators such as `!contains` must keep a row whose string is
    /// missing.
    pub fn insert_batch(
        &mut self,
        name: &str,
        columns: Vec<(String, KqlType)>,
        batch: RecordBatch,
    ) -> Result<(), DataFusionError> {
        let schema = kql_schema(&columns);
        let types: Vec<KqlType> = columns.iter().map(|(_, t)| *t).collect();
        let arrays = strings_as_empty(batch.columns(), &types)?;
        // The row count travels explicitly: a result may have no columns.
        let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        let batch = RecordBatch::try_new_with_options(schema.clone(), arrays, &options)?;
        // Slices (no copy) of a batch's size: every operator then works a batch at a time, so a
        // query yields between batches, and a cancelled one stops within one.
        let slices: Vec<RecordBatch> = (0..batch.num_rows())
            .step_by(MEMORY_BATCH_ROWS)
            .map(|start| batch.slice(start, MEMORY_BATCH_ROWS.min(batch.num_rows() - start)))
            .collect();
        let provider = MemTable::try_new(schema, vec![slices])?;
        self.tables.insert(
            name.to_string(),
            CatalogTable {
                provider: Arc::new(provider),
                columns,
            },
        );
        Ok(())
    }

    /// Adds (or replaces) a table.
    pub fn insert_table(&mut self, name: &str, table: CatalogTable) {
        self.tables.insert(name.to_string(), table);
    }

    /// Adds an earlier result as the table `name` (`$last`, `$2`): its columns with their KQL
    /// types, sharing the result's Arrow arrays (a column is copied only when it must change:
    /// an Arrow type other than the KQL type's, or null strings made empty). Errors when a
    /// column cannot be read as its KQL type.
    pub fn insert_result(&mut self, name: &str, result: &ResultSet) -> Result<(), DataFusionError> {
        let columns: Vec<(String, KqlType)> = result
            .column_names()
            .into_iter()
            .zip(result.column_types().iter().copied())
            .collect();
        let arrays = result
            .batch()
            .columns()
            .iter()
            .zip(&columns)
            .map(|(array, (_, ty))| {
                if array.data_type() == &ty.arrow_type() {
                    Ok(array.clone())
                } else {
                    datafusion::arrow::compute::cast(array, &ty.arrow_type())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let schema = kql_schema(&columns);
        let options = RecordBatchOptions::new().with_row_count(Some(result.row_count()));
        let batch = RecordBatch::try_new_with_options(schema, arrays, &options)?;
        self.insert_batch(name, columns, batch)
    }

    /// Every advanced hunting table, empty: enough to check queries against the schema.
    pub fn schema_only() -> Result<Catalog, DataFusionError> {
        let mut catalog = Catalog::default();
        for (name, columns) in lab::schema_tables() {
            let schema = kql_schema(&columns);
            catalog.insert_batch(&name, columns, RecordBatch::new_empty(schema))?;
        }
        Ok(catalog)
    }
}

/// The columns with every null of a `string` column (by `types`) made `""`: KQL's strings
/// have no null. Other columns, and string columns without nulls, are passed through.
fn strings_as_empty(
    columns: &[datafusion::arrow::array::ArrayRef],
    types: &[KqlType],
) -> Result<Vec<datafusion::arrow::array::ArrayRef>, DataFusionError> {
    use datafusion::arrow::array::{Array, StringArray};
    use datafusion::arrow::compute::{is_not_null, kernels::zip::zip};
    use datafusion::arrow::datatypes::DataType;
    columns
        .iter()
        .zip(types)
        .map(|(array, ty)| {
            if *ty != KqlType::String
                || array.data_type() != &DataType::Utf8
                || array.null_count() == 0
            {
                return Ok(array.clone());
            }
            let empty = StringArray::new_scalar("");
            Ok(zip(&is_not_null(array.as_ref())?, array, &empty)?)
        })
        .collect()
}

/// The default cap on the rows a local query returns: Defender's own (GRAPH.md).
pub const DEFAULT_ROW_LIMIT: usize = 100_000;

/// The local engine: one DataFusion session reused for every query. Cheap to clone (a query
/// runs on a clone, as a task of its own).
#[derive(Clone)]
pub struct LocalEngine {
    context: SessionContext,
    catalog: Arc<Catalog>,
    udfs: Arc<Udfs>,
    label: String,
    /// What the data covers, for the status line when a query sets no window.
    data_window: Option<String>,
    /// A fixed "now" for `ago()`/`now()` (tests), in ticks; the wall clock otherwise.
    fixed_now: Option<i64>,
    /// The most rows a query returns; more are cut and the result marked truncated.
    row_limit: usize,
    /// The memory queries may take (bytes), shared by all queries of this engine.
    memory_limit: usize,
}

/// Whether Parquet scans should evaluate the query's filters themselves (DataFusion's
/// `pushdown_filters`): decode a filter's columns, then the other columns only for the rows
/// that pass. That pays when a join or a top-k (`order by … | take N`) will filter the scan as it
/// runs (dynamic filters: `summarize arg_max` over Parquet is such a join, `planner::extremes`),
/// or when a filtered scan reads two or more columns besides its filter's. Otherwise it costs:
/// measured at 10.6 million rows, `where isnotempty(AdditionalFields) | extend … | summarize …`
/// took 0.74 s and 280 MB with it and 0.61 s and 73 MB without (the filter's column is the one
/// being read; the reader then holds whole column chunks).
fn parquet_pushdown_pays(plan: &datafusion::logical_expr::LogicalPlan) -> bool {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::LogicalPlan;
    let mut pays = false;
    let _ = plan.apply(|node| {
        pays = match node {
            LogicalPlan::Join(_) => true,
            LogicalPlan::Sort(sort) => sort.fetch.is_some(),
            LogicalPlan::TableScan(scan) if !scan.filters.is_empty() => {
                let mut filtered = std::collections::HashSet::new();
                for filter in &scan.filters {
                    filtered.extend(filter.column_refs().into_iter().map(|c| c.name.clone()));
                }
                let others = scan
                    .projected_schema
                    .fields()
                    .iter()
                    .filter(|f| !filtered.contains(f.name()))
                    .count();
                others >= 2
            }
            _ => false,
        };
        Ok(if pays {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    pays
}

impl LocalEngine {
    pub fn new(catalog: Catalog, label: &str) -> LocalEngine {
        // Two partitions match the machines hunt runs on; batches stay at DataFusion's default.
        let mut config = SessionConfig::new().with_target_partitions(
            std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(8),
        );
        // Where a query's Parquet scans evaluate their filters: see `parquet_pushdown_pays`.
        config.options_mut().execution.parquet.reorder_filters = true;
        let memory_limit = memory::default_limit();
        LocalEngine {
            context: context_with_limit(config, memory_limit),
            catalog: Arc::new(catalog),
            udfs: Arc::new(Udfs::new()),
            label: label.to_string(),
            data_window: None,
            fixed_now: None,
            row_limit: DEFAULT_ROW_LIMIT,
            memory_limit,
        }
    }

    /// Caps the memory queries take (bytes; see `memory`): sorts and aggregations spill to
    /// temporary files past it, other queries fail with a message. The default is half of
    /// physical memory.
    pub fn with_memory_limit(mut self, bytes: usize) -> LocalEngine {
        self.memory_limit = bytes.max(memory::MIN_BYTES);
        self.context = context_with_limit(self.context.copied_config(), self.memory_limit);
        self
    }

    pub fn memory_limit(&self) -> usize {
        self.memory_limit
    }

    /// A DataFusion error as the user reads it: passing the memory limit said plainly.
    fn engine_error(&self, error: &DataFusionError) -> QueryError {
        if matches!(error.find_root(), DataFusionError::ResourcesExhausted(_)) {
            return QueryError::new(
                ErrorKind::Execution,
                memory::exceeded_message(self.memory_limit),
            );
        }
        execution_error(error)
    }

    /// The engine over a freshly generated lab data set.
    pub fn lab(options: &LabOptions) -> Result<LocalEngine, DataFusionError> {
        LocalEngine::lab_with_progress(options, &|_| {})
    }

    /// The lab engine, reporting how far generation has come (`progress` gets short messages).
    pub fn lab_with_progress(
        options: &LabOptions,
        progress: &dyn Fn(String),
    ) -> Result<LocalEngine, DataFusionError> {
        let mut catalog = Catalog::default();
        for (name, columns, batch) in lab::generate_with_progress(options, progress)? {
            catalog.insert_batch(&name, columns, batch)?;
        }
        let mut engine = LocalEngine::new(catalog, "lab");
        engine.data_window = Some(format!("last {}d", lab::LAB_DAYS));
        Ok(engine)
    }

    /// The engine over the user's files and folders (`files::open` says how they become
    /// tables); also returns what the user should know about them (one note a table).
    pub fn files(
        paths: &[std::path::PathBuf],
        options: &files::DataOptions,
    ) -> Result<(LocalEngine, Vec<String>), String> {
        let opened = files::open(paths, options)?;
        Ok((LocalEngine::new(opened.catalog, "files"), opened.notes))
    }

    /// Pins `now()` and `ago()` to a moment given in nanoseconds since 1970 (deterministic tests).
    pub fn with_fixed_now(mut self, unix_nanos: i64) -> LocalEngine {
        self.fixed_now = time::ticks_from_unix_nanos(unix_nanos);
        self
    }

    /// Caps the rows a query returns (at least 1); the default is `DEFAULT_ROW_LIMIT`.
    pub fn with_row_limit(mut self, rows: usize) -> LocalEngine {
        self.row_limit = rows.max(1);
        self
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Now, in ticks.
    fn now(&self) -> i64 {
        self.fixed_now.unwrap_or_else(time::now)
    }

    /// Parses and plans without running: every problem a query has before it touches data
    /// (a plugin whose columns depend on the data is taken as fine).
    pub fn check(&self, source: &str) -> Result<(), QueryError> {
        let query = parse_or_error(source)?;
        plan_discovering(
            source,
            &query,
            &self.catalog,
            &self.udfs,
            self.now(),
            None,
            &Discoveries::new(),
        )
        .map(|_| ())
    }

    /// Plans `query`, running first what its plugins need to know of the data (at most
    /// [`MAX_DISCOVERIES`] times).
    async fn plan(
        &self,
        source: &str,
        query: &kql::ast::Query,
        now: i64,
        window: Option<planner::Window>,
    ) -> Result<planner::Planned, QueryError> {
        let mut discoveries = Discoveries::new();
        for _ in 0..=MAX_DISCOVERIES {
            let planning = plan_discovering(
                source,
                query,
                &self.catalog,
                &self.udfs,
                now,
                window,
                &discoveries,
            )?;
            let discovery = match planning {
                Planning::Planned(planned) => return Ok(planned),
                Planning::Discover(discovery) => discovery,
            };
            let frame = self
                .context
                .execute_logical_plan(discovery.plan)
                .await
                .map_err(|e| self.engine_error(&e))?;
            let batches = frame.collect().await.map_err(|e| self.engine_error(&e))?;
            discoveries.insert(discovery.at, discovered(&batches, discovery.kind));
        }
        Err(QueryError::new(
            ErrorKind::Unsupported,
            format!(
                "this query has more than {MAX_DISCOVERIES} plugins whose columns depend on the data"
            ),
        ))
    }

    /// Runs one query. It runs as a task of its own on the current tokio runtime, so it gets
    /// that runtime's thread stack (`cli::runtime` gives `cli::WORKER_STACK`) whatever thread
    /// awaits it, and a panic in it becomes an error. Dropping the future stops the query.
    pub async fn execute(&self, request: &QueryRequest) -> Result<ResultSet, QueryError> {
        let (engine, request) = (self.clone(), request.clone());
        let stop = Arc::new(cooperative::QueryStop::default());
        let flag = stop.clone();
        let task = tokio::spawn(async move { engine.execute_here(&request, flag).await });
        let _stop_when_dropped = AbortOnDrop(task.abort_handle(), stop);
        match task.await {
            Ok(outcome) => outcome,
            Err(error) => Err(QueryError::new(
                ErrorKind::Execution,
                format!("internal error: the local engine failed on this query ({error})"),
            )),
        }
    }

    /// The physical plan of a query, as DataFusion prints it (tests of the plan's shape).
    pub async fn physical_plan_text(&self, request: &QueryRequest) -> Result<String, QueryError> {
        let query = parse_or_error(&request.query)?;
        let planned = self.plan(&request.query, &query, self.now(), None).await?;
        let frame = self
            .context
            .execute_logical_plan(planned.plan)
            .await
            .map_err(|e| self.engine_error(&e))?;
        let plan = frame
            .create_physical_plan()
            .await
            .map_err(|e| self.engine_error(&e))?;
        Ok(datafusion::physical_plan::displayable(plan.as_ref())
            .indent(false)
            .to_string())
    }

    async fn execute_here(
        &self,
        request: &QueryRequest,
        stop: Arc<cooperative::QueryStop>,
    ) -> Result<ResultSet, QueryError> {
        let started = Instant::now();
        let source = request.query.as_str();
        let now = self.now();
        let window = match &request.timespan {
            Some(text) => Some(
                time_window::parse_timespan(text, now)
                    .map_err(|m| QueryError::new(ErrorKind::Semantic, m))?,
            ),
            None => None,
        };
        let query = parse_or_error(source)?;
        let planned = self.plan(source, &query, now, window).await?;
        // One row past the limit says whether there were more.
        let plan = datafusion::logical_expr::LogicalPlanBuilder::from(planned.plan)
            .limit(0, Some(self.row_limit.saturating_add(1)))
            .and_then(|b| b.build())
            .map_err(|e| self.engine_error(&e))?;
        // A session of its own counts the rows this query skips as bad (`--skip-bad-rows`).
        let skipped = Arc::new(files::SkippedRows::default());
        let mut state = self.context.state();
        // Decided on the plan optimised without push-down; execution optimises again under the
        // choice, since it changes what the optimizer may drop (an exact filter leaves the plan).
        let pushdown = state
            .optimize(&plan)
            .is_ok_and(|optimized| parquet_pushdown_pays(&optimized));
        state
            .config_mut()
            .options_mut()
            .execution
            .parquet
            .pushdown_filters = pushdown;
        state.config_mut().set_extension(skipped.clone());
        state.config_mut().set_extension(stop);
        let frame = SessionContext::new_with_state(state)
            .execute_logical_plan(plan)
            .await
            .map_err(|e| self.engine_error(&e))?;
        let planned_schema = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await.map_err(|e| self.engine_error(&e))?;
        let schema = batches
            .first()
            .map(|b| b.schema())
            .unwrap_or(planned_schema);
        let types: Vec<KqlType> = if planned.columns.len() == schema.fields().len() {
            planned.columns.iter().map(|(_, t)| *t).collect()
        } else {
            schema
                .fields()
                .iter()
                .map(|f| crate::results::field_kql_type(f))
                .collect()
        };
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        let truncated = rows > self.row_limit;
        let batches = if truncated {
            keep_rows(&batches, self.row_limit)
        } else {
            batches
        };
        let batches = strings_never_null(batches, &types).map_err(|e| self.engine_error(&e))?;
        let facts = RunFacts {
            elapsed: started.elapsed(),
            row_count: 0,
            truncated,
            backend: self.label.clone(),
            window: window
                .map(|w| time_window::describe_window(&w, now))
                .or_else(|| self.data_window.clone()),
            warnings: match skipped.count() {
                0 => Vec::new(),
                1 => vec!["1 bad row was skipped (--skip-bad-rows)".to_string()],
                n => vec![format!("{n} bad rows were skipped (--skip-bad-rows)")],
            },
            ran_on: None,
        };
        let result = ResultSet::new(schema, &batches, types, facts).map_err(|e| {
            QueryError::new(
                ErrorKind::Execution,
                format!("could not assemble the result: {e}"),
            )
        })?;
        // `render` changes no rows (the planner passed it through): its hint travels with them.
        Ok(match RenderHint::of_query(&query) {
            Some(hint) => result.with_render(hint),
            None => result,
        })
    }
}

/// The batches with every null in a `string` column made `""` (an aggregate over no values, a
/// function with nothing to return).
fn strings_never_null(
    batches: Vec<RecordBatch>,
    types: &[KqlType],
) -> Result<Vec<RecordBatch>, DataFusionError> {
    batches
        .into_iter()
        .map(|batch| {
            let columns = strings_as_empty(batch.columns(), types)?;
            Ok(RecordBatch::try_new(batch.schema(), columns)?)
        })
        .collect()
}

/// A session whose queries share a memory pool of `limit` bytes, spilling to the system's
/// temporary folder.
fn context_with_limit(config: SessionConfig, limit: usize) -> SessionContext {
    let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
        .with_memory_pool(memory::pool(limit))
        .build_arc();
    let builder = datafusion::execution::SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .with_optimizer_rules(optimizer_rules())
        .with_physical_optimizer_rule(Arc::new(files::dictionary_groups::DistinctOnDictionaries))
        .with_physical_optimizer_rule(Arc::new(cooperative::YieldAfterMultipliers));
    // Building a runtime with the default disk manager does not fail; if it ever does, the
    // engine still runs, without a limit.
    let builder = match runtime {
        Ok(runtime) => builder.with_runtime_env(runtime),
        Err(_) => builder,
    };
    SessionContext::new_with_state(builder.build())
}

/// DataFusion's optimizer rules with hunt's reading of Parquet text as views
/// (`string_views`) and of Parquet times as stored (`files::time_bounds`) placed where filters and distinct aggregates have taken their final
/// places but before common subexpressions are pulled out of them.
fn optimizer_rules() -> Vec<Arc<dyn datafusion::optimizer::OptimizerRule + Send + Sync>> {
    let mut rules = datafusion::optimizer::Optimizer::new().rules;
    let at = rules
        .iter()
        .position(|rule| rule.name() == "common_sub_expression_eliminate")
        .unwrap_or(rules.len());
    rules.insert(at, Arc::new(files::time_bounds::TimeBoundsOnFiles));
    rules.insert(at, Arc::new(string_views::FilterOnStringViews));
    rules.insert(at, Arc::new(string_views::GroupOnStringViews));
    rules
}

/// Aborts a task when dropped, and raises its query's stop flag (a cancelled query stops its
/// engine task too, and every operator of it at its next batch).
struct AbortOnDrop(tokio::task::AbortHandle, Arc<cooperative::QueryStop>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.1.stop();
        self.0.abort();
    }
}

/// The first `limit` rows of a result.
fn keep_rows(batches: &[RecordBatch], limit: usize) -> Vec<RecordBatch> {
    let mut left = limit;
    let mut kept = Vec::new();
    for batch in batches {
        if left == 0 {
            break;
        }
        let take = batch.num_rows().min(left);
        kept.push(batch.slice(0, take));
        left -= take;
    }
    kept
}

impl Backend for LocalEngine {
    fn name(&self) -> String {
        self.label.clone()
    }

    fn run(
        &self,
        request: QueryRequest,
        _cancel: CancellationToken,
    ) -> BoxFuture<'_, Result<ResultSet, QueryError>> {
        // Cancelling drops this future, which stops DataFusion's streams.
        Box::pin(async move { self.execute(&request).await })
    }

    fn tables(&self) -> Vec<TableInfo> {
        self.catalog.table_infos()
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// Reads a query for planning: the whole-language syntax tree and its typed view
/// (`kql::lower`); any diagnostic of either stops the query here.
fn parse_or_error(source: &str) -> Result<kql::Query, QueryError> {
    let (query, diagnostics) = kql::parse(source);
    match diagnostics.first() {
        None if query.body.is_none() && query.lets.is_empty() => Err(QueryError::at(
            ErrorKind::Semantic,
            "the query is empty",
            kql::Span::new(source.len(), source.len()),
            source,
        )),
        None => Ok(query),
        Some(_) => Err(syntax_error(&diagnostics, source)),
    }
}

/// The first diagnostic as a syntax error, saying how many more there are.
fn syntax_error(diagnostics: &[kql::Diagnostic], source: &str) -> QueryError {
    let first = &diagnostics[0];
    let mut message = first.message.clone();
    if diagnostics.len() > 1 {
        message.push_str(&format!(
            " (and {} more problem{})",
            diagnostics.len() - 1,
            if diagnostics.len() == 2 { "" } else { "s" }
        ));
    }
    QueryError::at(ErrorKind::Syntax, message, first.span, source)
}

fn execution_error(error: &DataFusionError) -> QueryError {
    QueryError::new(ErrorKind::Execution, clean_engine_message(error))
}

/// DataFusion's messages without its internal prefixes and advice meant for its developers.
pub fn clean_engine_message(error: &DataFusionError) -> String {
    let text = error.strip_backtrace();
    let mut message = text.as_str();
    for prefix in [
        "Error during planning: ",
        "Execution error: ",
        "Arrow error: ",
        "Schema error: ",
        "Internal error: ",
        "Optimizer rule",
    ] {
        if let Some(rest) = message.strip_prefix(prefix) {
            message = rest;
        }
    }
    let message = message
        .split("\nThis issue was likely caused by a bug")
        .next()
        .unwrap_or(message);
    // DataFusion names the fault, not where it is; say which kind of division it was.
    if message.contains("Divide by zero") {
        return "the local engine could not run this: a whole number was divided by zero (Kusto's documentation does not say what that gives; divide reals, e.g. 1.0 * x / y, to get ∞)".to_string();
    }
    let message = message.trim();
    // A file's bad rows and read errors say so themselves (files::lines).
    if let Some(at) = message.find(files::DATA_ERROR) {
        return message[at..].to_string();
    }
    format!("the local engine could not run this: {message}")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::{MemTable, provider_as_source};
    use datafusion::logical_expr::{LogicalPlanBuilder, col, lit};

    use super::parquet_pushdown_pays;

    /// A scan of columns a, b, c with `filter`, projecting `columns`.
    fn scan(columns: &[usize], filter: bool) -> LogicalPlanBuilder {
        let schema = Arc::new(Schema::new(
            ["a", "b", "c"]
                .map(|n| Field::new(n, DataType::Int64, true))
                .to_vec(),
        ));
        let table = MemTable::try_new(schema, vec![vec![]]).unwrap();
        let filters = if filter {
            vec![col("a").eq(lit(1i64))]
        } else {
            vec![]
        };
        LogicalPlanBuilder::scan_with_filters(
            "t",
            provider_as_source(Arc::new(table)),
            Some(columns.to_vec()),
            filters,
        )
        .unwrap()
    }

    #[test]
    fn filters_go_into_parquet_scans_where_they_save_decoding() {
        // Two columns besides the filter's: decode them only for the rows that pass.
        assert!(parquet_pushdown_pays(
            &scan(&[0, 1, 2], true).build().unwrap()
        ));
        // One column besides the filter's, or no filter: reading them all is cheaper.
        assert!(!parquet_pushdown_pays(
            &scan(&[0, 1], true).build().unwrap()
        ));
        assert!(!parquet_pushdown_pays(
            &scan(&[0, 1, 2], false).build().unwrap()
        ));
        // A top-k filters the scan as it runs; a plain sort or limit does not.
        let sorted = |fetch| {
            scan(&[0, 1], false)
                .sort_with_limit(vec![col("a").sort(false, true)], fetch)
                .unwrap()
                .build()
                .unwrap()
        };
        assert!(parquet_pushdown_pays(&sorted(Some(100))));
        assert!(!parquet_pushdown_pays(&sorted(None)));
        let limited = scan(&[0, 1], false).limit(0, Some(5)).unwrap();
        assert!(!parquet_pushdown_pays(&limited.build().unwrap()));
        // So does a join, through the filter its small side makes.
        let joined = scan(&[0, 1], false)
            .alias("l")
            .unwrap()
            .join_on(
                scan(&[0], false).alias("r").unwrap().build().unwrap(),
                datafusion::common::JoinType::Inner,
                vec![col("l.a").eq(col("r.a"))],
            )
            .unwrap();
        assert!(parquet_pushdown_pays(&joined.build().unwrap()));
    }
}
