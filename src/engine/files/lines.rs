//! A table over JSON-lines or CSV/TSV files, scanned where they lie: each scan streams the files
//! of one partition through the decoder on a blocking thread, building only the columns the query
//! reads, in batches of the session's batch size. Nothing is loaded whole; a dropped query stops
//! the reading at its next batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use serde_json::{Map, Value};

use super::cells::{Cell, CellBuilder, convert_json, convert_text};
use super::records::{self, BadRow, JsonRecords};
use super::{DataFile, FileKind};
use crate::results::{KqlType, kql_schema};

/// Rows skipped as bad by the queries of one session (`--skip-bad-rows`): the engine puts a
/// fresh counter in each query's session config and reports it after the run.
#[derive(Debug, Default)]
pub struct SkippedRows(AtomicU64);

impl SkippedRows {
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
}

/// How the files of a line table are read.
#[derive(Debug, Clone)]
pub(super) enum LineFormat {
    Json,
    /// CSV or TSV; the column of each header position (every file has the same header).
    Csv {
        delimiter: u8,
    },
}

/// A table over JSON-lines or CSV files.
#[derive(Debug)]
pub(super) struct LineTable {
    name: String,
    columns: Vec<(String, KqlType)>,
    schema: SchemaRef,
    files: Vec<DataFile>,
    format: LineFormat,
    skip_bad_rows: bool,
}

impl LineTable {
    pub(super) fn new(
        name: String,
        columns: Vec<(String, KqlType)>,
        files: Vec<DataFile>,
        format: LineFormat,
        skip_bad_rows: bool,
    ) -> LineTable {
        LineTable {
            name,
            schema: kql_schema(&columns),
            columns,
            files,
            format,
            skip_bad_rows,
        }
    }

    /// The files split into at most `partitions` groups of about equal size (largest first).
    fn partition_files(&self, partitions: usize) -> Vec<Vec<DataFile>> {
        let partitions = partitions.clamp(1, self.files.len().max(1));
        let mut files = self.files.clone();
        files.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
        let mut groups: Vec<(u64, Vec<DataFile>)> = vec![(0, Vec::new()); partitions];
        for file in files {
            if let Some(lightest) = groups.iter_mut().min_by_key(|(size, _)| *size) {
                lightest.0 += file.size;
                lightest.1.push(file);
            }
        }
        groups.into_iter().map(|(_, files)| files).collect()
    }
}

#[async_trait]
impl TableProvider for LineTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let wanted: Vec<usize> = match projection {
            Some(projection) => projection.clone(),
            None => (0..self.columns.len()).collect(),
        };
        let columns: Vec<(String, KqlType)> =
            wanted.iter().map(|&i| self.columns[i].clone()).collect();
        let schema = kql_schema(&columns);
        let partitions = self
            .partition_files(state.config().target_partitions())
            .into_iter()
            .map(|files| {
                Arc::new(FilePartition {
                    table: self.name.clone(),
                    schema: schema.clone(),
                    columns: columns.clone(),
                    positions: wanted.clone(),
                    files,
                    format: self.format.clone(),
                    skip_bad_rows: self.skip_bad_rows,
                    limit,
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        Ok(Arc::new(StreamingTableExec::try_new(
            schema,
            partitions,
            None,
            Vec::new(),
            false,
            limit,
        )?))
    }
}

/// The files one partition reads, in order.
#[derive(Debug)]
struct FilePartition {
    table: String,
    schema: SchemaRef,
    /// The columns built, by name and type.
    columns: Vec<(String, KqlType)>,
    /// Each built column's position in the table (a CSV header position).
    positions: Vec<usize>,
    files: Vec<DataFile>,
    format: LineFormat,
    skip_bad_rows: bool,
    limit: Option<usize>,
}

impl PartitionStream for FilePartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let mut builder = RecordBatchReceiverStreamBuilder::new(self.schema.clone(), 2);
        let tx = builder.tx();
        let skipped = ctx.session_config().get_extension::<SkippedRows>();
        let mut reader = BatchReader {
            table: self.table.clone(),
            schema: self.schema.clone(),
            builders: self
                .columns
                .iter()
                .map(|(_, t)| CellBuilder::new(*t, 0))
                .collect(),
            names: self.columns.iter().map(|(n, _)| n.clone()).collect(),
            positions: self.positions.clone(),
            batch_rows: ctx.session_config().batch_size().max(1),
            rows: 0,
            left: self.limit.unwrap_or(usize::MAX),
            skip_bad_rows: self.skip_bad_rows,
            skipped: 0,
        };
        let files = self.files.clone();
        let format = self.format.clone();
        builder.spawn_blocking(move || {
            let outcome = (|| {
                for file in &files {
                    let go_on = match format {
                        LineFormat::Json => reader.json_file(file, &tx)?,
                        LineFormat::Csv { delimiter } => reader.csv_file(file, delimiter, &tx)?,
                    };
                    if !go_on {
                        return Ok(());
                    }
                }
                reader.flush(&tx).map(|_| ())
            })();
            if let Some(skipped) = &skipped {
                skipped.add(reader.skipped);
            }
            outcome
        });
        builder.build()
    }
}

/// Rows into batches for one partition.
struct BatchReader {
    table: String,
    schema: SchemaRef,
    builders: Vec<CellBuilder>,
    names: Vec<String>,
    positions: Vec<usize>,
    batch_rows: usize,
    /// Rows in the builders now.
    rows: usize,
    /// Rows still wanted (a `take` pushed into the scan).
    left: usize,
    skip_bad_rows: bool,
    skipped: u64,
}

type Sender = tokio::sync::mpsc::Sender<Result<RecordBatch>>;

impl BatchReader {
    /// Reads one JSON-lines file; `Ok(false)` when the query wants no more rows.
    fn json_file(&mut self, file: &DataFile, tx: &Sender) -> Result<bool> {
        let reader = records::open(file).map_err(|e| self.file_error(file, &e.to_string()))?;
        let mut records = JsonRecords::new(reader);
        loop {
            let record = match records.next_record() {
                Ok(Some(record)) => record,
                Ok(None) => return Ok(true),
                Err(e) => return Err(self.file_error(file, &e.to_string())),
            };
            let outcome = match record {
                Ok((line, map)) => self
                    .json_row(&map)
                    .map_err(|message| BadRow { line, message }),
                Err(bad) => Err(bad),
            };
            if let Err(bad) = outcome {
                self.bad_row(file, bad)?;
                continue;
            }
            if !self.row_done(tx)? {
                return Ok(false);
            }
        }
    }

    /// Converts one record's cells, then appends them (a bad value appends nothing).
    fn json_row(&mut self, map: &Map<String, Value>) -> std::result::Result<(), String> {
        let mut cells: Vec<Cell<'_>> = Vec::with_capacity(self.names.len());
        for (name, builder) in self.names.iter().zip(&self.builders) {
            let cell = convert_json(builder.kql(), map.get(name))
                .map_err(|m| format!("column '{name}': {m}"))?;
            cells.push(cell);
        }
        for (builder, cell) in self.builders.iter_mut().zip(cells) {
            builder.push(cell);
        }
        Ok(())
    }

    /// Reads one CSV file (its header was checked when the table was opened).
    fn csv_file(&mut self, file: &DataFile, delimiter: u8, tx: &Sender) -> Result<bool> {
        let reader = records::open(file).map_err(|e| self.file_error(file, &e.to_string()))?;
        let quotes = records::Quotes::default();
        let mut csv = records::csv_reader(quotes.tap(reader), delimiter);
        let width = records::csv_header(&mut csv)
            .map_err(|m| self.file_error(file, &m))?
            .len();
        if quotes.odd_before(csv.position().byte()) {
            let message = format!("1: the header: {}", records::UNCLOSED_QUOTE);
            return Err(self.file_error(file, &message));
        }
        let mut record = csv::StringRecord::new();
        loop {
            let line = csv.position().line();
            match csv.read_record(&mut record) {
                Ok(false) => return Ok(true),
                Ok(true) => {
                    // Counting the record's quotes also forgets them.
                    if quotes.odd_before(csv.position().byte()) {
                        let line = record.position().map_or(line, |p| p.line());
                        let message = records::UNCLOSED_QUOTE.to_string();
                        self.bad_row(file, BadRow { line, message })?;
                        continue;
                    }
                }
                Err(e) => {
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        return Err(self.file_error(file, &records::csv_problem(&e)));
                    }
                    // The record's quotes are behind it now.
                    quotes.odd_before(csv.position().byte());
                    let line = e.position().map_or(line, |p| p.line());
                    self.bad_row(
                        file,
                        BadRow {
                            line,
                            message: records::csv_problem(&e),
                        },
                    )?;
                    continue;
                }
            }
            let line = record.position().map_or(line, |p| p.line());
            // A blank line in a CSV file is no row.
            if record.len() == 1 && record.get(0).is_some_and(str::is_empty) && width > 1 {
                continue;
            }
            if record.len() != width {
                let message = format!("the row has {} fields, the header {width}", record.len());
                self.bad_row(file, BadRow { line, message })?;
                continue;
            }
            if let Err(message) = self.csv_row(&record) {
                self.bad_row(file, BadRow { line, message })?;
                continue;
            }
            if !self.row_done(tx)? {
                return Ok(false);
            }
        }
    }

    fn csv_row(&mut self, record: &csv::StringRecord) -> std::result::Result<(), String> {
        let mut cells: Vec<Cell<'_>> = Vec::with_capacity(self.names.len());
        for ((name, builder), &position) in
            self.names.iter().zip(&self.builders).zip(&self.positions)
        {
            let text = record.get(position).unwrap_or("");
            let cell =
                convert_text(builder.kql(), text).map_err(|m| format!("column '{name}': {m}"))?;
            cells.push(cell);
        }
        for (builder, cell) in self.builders.iter_mut().zip(cells) {
            builder.push(cell);
        }
        Ok(())
    }

    /// A row was appended: sends a full batch; `Ok(false)` when the query wants no more rows or
    /// has gone away.
    fn row_done(&mut self, tx: &Sender) -> Result<bool> {
        self.rows += 1;
        self.left = self.left.saturating_sub(1);
        if (self.rows >= self.batch_rows || self.left == 0) && !self.flush(tx)? {
            return Ok(false);
        }
        Ok(self.left > 0)
    }

    /// Sends the rows built so far; `Ok(false)` when the receiver is gone (the query stopped).
    fn flush(&mut self, tx: &Sender) -> Result<bool> {
        if self.rows == 0 {
            return Ok(true);
        }
        let rows = std::mem::take(&mut self.rows);
        let columns = self.builders.iter_mut().map(CellBuilder::finish).collect();
        // A query that reads no column (`count`) still needs the row count.
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
        Ok(tx.blocking_send(Ok(batch)).is_ok())
    }

    /// A bad row: counted when skipping, else the query's error naming the file and line.
    fn bad_row(&mut self, file: &DataFile, bad: BadRow) -> Result<()> {
        if self.skip_bad_rows {
            self.skipped += 1;
            return Ok(());
        }
        Err(DataFusionError::Execution(format!(
            "{}{}:{}: {} (table '{}'; --skip-bad-rows skips such rows and counts them)",
            super::DATA_ERROR,
            file.path.display(),
            bad.line,
            bad.message,
            self.table
        )))
    }

    fn file_error(&self, file: &DataFile, message: &str) -> DataFusionError {
        DataFusionError::Execution(format!(
            "{}{}: {message} (table '{}')",
            super::DATA_ERROR,
            file.path.display(),
            self.table
        ))
    }
}

impl FileKind {
    /// The line format of a JSON or CSV file kind.
    pub(super) fn line_format(self) -> Option<LineFormat> {
        match self {
            FileKind::JsonLines => Some(LineFormat::Json),
            FileKind::Csv { delimiter } => Some(LineFormat::Csv { delimiter }),
            FileKind::Parquet => None,
        }
    }
}
