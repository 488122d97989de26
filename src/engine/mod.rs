//! The embedded local backend: KQL syntax tree → DataFusion logical plan, KQL functions as UDFs,
//! and a catalog of tables (the lab data set, later the user's files).

pub mod lab;
mod lab_table;
pub mod planner;
pub mod time;
pub mod udf;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};
use tokio_util::sync::CancellationToken;

use crate::kql;
use crate::results::{KqlType, ResultSet, RunFacts, kql_schema};
use crate::worker::{Backend, BoxFuture, ErrorKind, QueryError, QueryRequest, TableInfo};
use planner::{Udfs, plan_query};

pub use lab::LabOptions;

/// One table the engine can query.
#[derive(Debug, Clone)]
pub struct CatalogTable {
    pub provider: Arc<dyn TableProvider>,
    pub columns: Vec<(String, KqlType)>,
}

/// The tables by name (case-sensitive, as in KQL).
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    tables: BTreeMap<String, CatalogTable>,
}

impl Catalog {
    pub fn get(&self, name: &str) -> Option<&CatalogTable> {
        self.tables.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.tables.keys()
    }

    /// Adds an in-memory table.
    pub fn insert_batch(
        &mut self,
        name: &str,
        columns: Vec<(String, KqlType)>,
        batch: RecordBatch,
    ) -> Result<(), DataFusionError> {
        let schema = kql_schema(&columns);
        let batch = if batch.schema() == schema {
            batch
        } else {
            RecordBatch::try_new(schema.clone(), batch.columns().to_vec())?
        };
        let provider = MemTable::try_new(schema, vec![vec![batch]])?;
        self.tables.insert(
            name.to_string(),
            CatalogTable {
                provider: Arc::new(provider),
                columns,
            },
        );
        Ok(())
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

    /// The lab data set.
    pub fn lab(options: &LabOptions) -> Result<Catalog, DataFusionError> {
        let mut catalog = Catalog::default();
        for (name, columns, batch) in lab::generate(options)? {
            catalog.insert_batch(&name, columns, batch)?;
        }
        Ok(catalog)
    }
}

/// The local engine: one DataFusion session reused for every query.
pub struct LocalEngine {
    context: SessionContext,
    catalog: Catalog,
    udfs: Udfs,
    label: String,
    /// What the data covers, for the status line when a query sets no window.
    data_window: Option<String>,
    /// A fixed "now" for `ago()`/`now()` (tests); the wall clock otherwise.
    fixed_now: Option<i64>,
}

impl LocalEngine {
    pub fn new(catalog: Catalog, label: &str) -> LocalEngine {
        // Two partitions match the machines hunt runs on; batches stay at DataFusion's default.
        let config = SessionConfig::new().with_target_partitions(
            std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(8),
        );
        LocalEngine {
            context: SessionContext::new_with_config(config),
            catalog,
            udfs: Udfs::new(),
            label: label.to_string(),
            data_window: None,
            fixed_now: None,
        }
    }

    /// The engine over a freshly generated lab data set.
    pub fn lab(options: &LabOptions) -> Result<LocalEngine, DataFusionError> {
        let mut engine = LocalEngine::new(Catalog::lab(options)?, "lab");
        engine.data_window = Some(format!("last {}d", lab::LAB_DAYS));
        Ok(engine)
    }

    /// Pins `now()` and `ago()` to a moment (deterministic tests).
    pub fn with_fixed_now(mut self, nanos: i64) -> LocalEngine {
        self.fixed_now = Some(nanos);
        self
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    fn now(&self) -> i64 {
        self.fixed_now
            .unwrap_or_else(|| chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0))
    }

    /// Parses and plans without running: every problem a query has before it touches data.
    pub fn check(&self, source: &str) -> Result<(), QueryError> {
        let query = parse_or_error(source)?;
        plan_query(source, &query, &self.catalog, &self.udfs, self.now(), None).map(|_| ())
    }

    pub async fn execute(&self, request: &QueryRequest) -> Result<ResultSet, QueryError> {
        let started = Instant::now();
        let source = request.query.as_str();
        let now = self.now();
        let window = match &request.timespan {
            Some(text) => Some(
                time::parse_timespan(text, now)
                    .map_err(|m| QueryError::new(ErrorKind::Semantic, m))?,
            ),
            None => None,
        };
        let query = parse_or_error(source)?;
        let planned = plan_query(source, &query, &self.catalog, &self.udfs, now, window)?;
        let frame = self
            .context
            .execute_logical_plan(planned.plan)
            .await
            .map_err(|e| execution_error(&e))?;
        let planned_schema = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await.map_err(|e| execution_error(&e))?;
        let schema = batches
            .first()
            .map(|b| b.schema())
            .unwrap_or(planned_schema);
        let types = if planned.columns.len() == schema.fields().len() {
            planned.columns.iter().map(|(_, t)| *t).collect()
        } else {
            schema
                .fields()
                .iter()
                .map(|f| crate::results::field_kql_type(f))
                .collect()
        };
        let facts = RunFacts {
            elapsed: started.elapsed(),
            row_count: 0,
            truncated: false,
            backend: self.label.clone(),
            window: window
                .map(|w| time::describe_window(&w, now))
                .or_else(|| self.data_window.clone()),
        };
        ResultSet::new(schema, &batches, types, facts).map_err(|e| {
            QueryError::new(
                ErrorKind::Execution,
                format!("could not assemble the result: {e}"),
            )
        })
    }
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
        self.catalog
            .tables
            .iter()
            .map(|(name, table)| TableInfo {
                name: name.clone(),
                columns: table.columns.clone(),
            })
            .collect()
    }
}

fn parse_or_error(source: &str) -> Result<kql::Query, QueryError> {
    let (query, diagnostics) = kql::parse(source);
    match diagnostics.first() {
        None => Ok(query),
        Some(first) => {
            let mut message = first.message.clone();
            if diagnostics.len() > 1 {
                message.push_str(&format!(
                    " (and {} more problem{})",
                    diagnostics.len() - 1,
                    if diagnostics.len() == 2 { "" } else { "s" }
                ));
            }
            Err(QueryError::at(
                ErrorKind::Syntax,
                message,
                first.span,
                source,
            ))
        }
    }
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
    format!("the local engine could not run this: {}", message.trim())
}
