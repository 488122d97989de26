//! Distinct text groups of Parquet files counted on the files' dictionary codes (issue 10:
//! `summarize dcount(x) by y`, `make_set(x) by y`, `distinct x, y` over exports at DuckDB's
//! speed).
//!
//! A Parquet writer stores a text column with few distinct values (file names, accounts,
//! devices) as a dictionary page per row group and one small integer code per row. DataFusion's
//! group-by decodes every row's text and hashes and compares it, which is most of the time such a
//! query takes. Where the first, partial step of a group-by has no aggregates (what
//! `SingleDistinctToGroupBy` makes of a distinct aggregate, and what `distinct` is) and groups one
//! or two text columns straight from a Parquet scan with no filter, [`DistinctOnDictionaries`]
//! replaces it with [`DictionaryDistinctExec`]: it reads those columns as dictionaries, turns each
//! dictionary into numbers once per row group, and keeps the distinct pairs of numbers. The final
//! step of the group-by above is unchanged, so the answer is the same; a partial step may hand on
//! its groups whenever it likes, which bounds the memory this one holds.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray, StringViewBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::CachedParquetFileReaderFactory;
use datafusion::datasource::physical_plan::{
    FileScanConfig, ParquetFileReaderFactory, ParquetSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use datafusion::parquet::arrow::async_reader::AsyncFileReader;
use datafusion::parquet::arrow::{ParquetRecordBatchStreamBuilder, ProjectionMask};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use futures::StreamExt;
use tokio::sync::mpsc::Sender;

use crate::engine::cooperative::{GuardExec, QueryStop};

/// The most text columns grouped on codes: two numbers fill one `u64` key.
const MOST_COLUMNS: usize = 2;

/// The name of the view UDF a Parquet table's text column is grouped through
/// (`KqlTextUdf::view_udf`: nulls become `""`).
const VIEW_TEXT: &str = "kql_tostring_string_view";

/// The physical optimizer rule; see the module's documentation. Placed before
/// `YieldAfterMultipliers`, so the new scan gets its `GuardExec` like any other leaf.
#[derive(Debug, Default)]
pub struct DistinctOnDictionaries;

impl PhysicalOptimizerRule for DistinctOnDictionaries {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| match distinct_on_codes(&node) {
            Some(replaced) => Ok(Transformed::yes(replaced)),
            None => Ok(Transformed::no(node)),
        })
        .map(|transformed| transformed.data)
    }

    fn name(&self) -> &str {
        "distinct_on_dictionaries"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The [`DictionaryDistinctExec`] that can stand for `node`: a partial group-by with no
/// aggregates, no grouping sets and no limit, over one or two Parquet text columns that a filterless
/// scan hands on through [`VIEW_TEXT`].
fn distinct_on_codes(node: &Arc<dyn ExecutionPlan>) -> Option<Arc<dyn ExecutionPlan>> {
    let aggregate = node.downcast_ref::<AggregateExec>()?;
    let groups = aggregate.group_expr();
    let plain = matches!(aggregate.mode(), AggregateMode::Partial)
        && aggregate.aggr_expr().is_empty()
        && aggregate.limit_options().is_none()
        && groups.is_single()
        && (1..=MOST_COLUMNS).contains(&groups.expr().len());
    if !plain {
        return None;
    }
    let mut input = aggregate.input();
    if let Some(guard) = input.downcast_ref::<GuardExec>() {
        input = guard.input();
    }
    let scan = input.downcast_ref::<DataSourceExec>()?;
    let config = scan.data_source().downcast_ref::<FileScanConfig>()?;
    let source = config.file_source();
    source.downcast_ref::<ParquetSource>()?;
    let unfiltered = source.filter().is_none()
        && config.limit.is_none()
        && config.table_partition_cols().is_empty();
    if !unfiltered {
        return None;
    }
    let projection: Vec<_> = source.projection()?.iter().collect();
    let mut columns = Vec::new();
    for (expr, _) in groups.expr() {
        let at = expr.downcast_ref::<Column>()?.index();
        let function = projection
            .get(at)?
            .expr
            .downcast_ref::<ScalarFunctionExpr>()?;
        let [arg] = function.args() else {
            return None;
        };
        let column = arg.downcast_ref::<Column>()?;
        let field = config.file_schema().fields().get(column.index())?;
        let text = function.name() == VIEW_TEXT && field.data_type() == &DataType::Utf8View;
        if !text {
            return None;
        }
        columns.push(field.name().clone());
    }
    let files: Vec<Vec<PartitionedFile>> = config
        .file_groups
        .iter()
        .map(|group| group.files().to_vec())
        .collect();
    Some(Arc::new(DictionaryDistinctExec::new(
        config.object_store_url.clone(),
        files,
        columns,
        aggregate.schema(),
    )))
}

/// The distinct combinations of one or two text columns of Parquet files, as the partial step of
/// a group-by hands them on: column `i` of the output is `columns[i]`'s text (`Utf8View`, null as
/// `""`), each combination at most once per output partition, except that under memory pressure a
/// partition hands on what it has and starts over (the final step merges them).
///
/// One output partition per group of files, each reading the row groups whose first page lies in
/// its files' byte ranges (as DataFusion's scan divides them).
///
/// Errors: a file that cannot be read or decoded (the Parquet reader's message), and a cancelled
/// query.
#[derive(Debug)]
pub struct DictionaryDistinctExec {
    store: ObjectStoreUrl,
    files: Vec<Vec<PartitionedFile>>,
    columns: Vec<String>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl DictionaryDistinctExec {
    /// `schema` has one `Utf8View` field per name in `columns`.
    pub fn new(
        store: ObjectStoreUrl,
        files: Vec<Vec<PartitionedFile>>,
        columns: Vec<String>,
        schema: SchemaRef,
    ) -> DictionaryDistinctExec {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(files.len().max(1)),
            EmissionType::Final,
            Boundedness::Bounded,
        );
        DictionaryDistinctExec {
            store,
            files,
            columns,
            schema,
            properties: Arc::new(properties),
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }
}

impl DisplayAs for DictionaryDistinctExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DictionaryDistinctExec: columns=[{}], file_groups={}",
            self.columns.join(", "),
            self.files.len()
        )
    }
}

impl ExecutionPlan for DictionaryDistinctExec {
    fn name(&self) -> &str {
        "DictionaryDistinctExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError::Internal(
                "DictionaryDistinctExec takes no inputs".to_string(),
            ))
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        // The footers come from (and go to) the session's cache, which DataFusion's own scans
        // of these files use too.
        let runtime = context.runtime_env();
        let readers = CachedParquetFileReaderFactory::new(
            runtime.object_store(&self.store)?,
            runtime.cache_manager.get_file_metadata_cache(),
        );
        // It can give its memory back at any time (by handing on its groups): a spilling
        // consumer, whose share the pool keeps fair beside the final step's.
        let reservation = MemoryConsumer::new(format!("DictionaryDistinctExec[{partition}]"))
            .with_can_spill(true)
            .register(context.memory_pool());
        let mut builder = RecordBatchReceiverStreamBuilder::new(self.schema.clone(), 2);
        let part = Part {
            partition,
            metrics: self.metrics.clone(),
            files: self.files.get(partition).cloned().unwrap_or_default(),
            columns: self.columns.clone(),
            schema: self.schema.clone(),
            batch_rows: context.session_config().batch_size().max(1),
            stop: context.session_config().get_extension::<QueryStop>(),
            tx: builder.tx(),
        };
        builder.spawn(part.run(readers, reservation));
        Ok(builder.build())
    }
}

/// One output partition's work.
struct Part {
    partition: usize,
    metrics: ExecutionPlanMetricsSet,
    files: Vec<PartitionedFile>,
    columns: Vec<String>,
    schema: SchemaRef,
    batch_rows: usize,
    stop: Option<Arc<QueryStop>>,
    tx: Sender<Result<RecordBatch>>,
}

impl Part {
    async fn run(
        self,
        readers: CachedParquetFileReaderFactory,
        reservation: MemoryReservation,
    ) -> Result<()> {
        let mut groups = Groups::new(self.columns.len());
        for file in &self.files {
            // Said as a file's other read errors are (files::DATA_ERROR), with its path.
            let read_error = |e: &dyn std::fmt::Display| {
                DataFusionError::Execution(format!(
                    "{}/{}: {e}",
                    super::DATA_ERROR,
                    file.object_meta.location
                ))
            };
            let mut reader: Box<dyn AsyncFileReader> =
                readers.create_reader(self.partition, file.clone(), None, &self.metrics)?;
            let found = ArrowReaderMetadata::load_async(&mut reader, ArrowReaderOptions::new())
                .await
                .map_err(|e| read_error(&e))?;
            let (hint, read) =
                dictionary_hint(found.schema(), &self.columns).map_err(|e| read_error(&e))?;
            let metadata = ArrowReaderMetadata::try_new(
                found.metadata().clone(),
                ArrowReaderOptions::new().with_schema(hint),
            )
            .map_err(|e| read_error(&e))?;
            let row_groups: Vec<usize> = metadata
                .metadata()
                .row_groups()
                .iter()
                .enumerate()
                .filter(|(_, group)| {
                    let first = group.column(0);
                    let offset = first
                        .dictionary_page_offset()
                        .unwrap_or(first.data_page_offset());
                    file.range
                        .as_ref()
                        .is_none_or(|range| range.contains(offset))
                })
                .map(|(at, _)| at)
                .collect();
            if row_groups.is_empty() {
                continue;
            }
            let mask = ProjectionMask::roots(
                metadata.metadata().file_metadata().schema_descr(),
                read.iter().copied(),
            );
            let mut batches = ParquetRecordBatchStreamBuilder::new_with_metadata(reader, metadata)
                .with_row_groups(row_groups)
                .with_projection(mask)
                .with_batch_size(self.batch_rows)
                .build()
                .map_err(|e| read_error(&e))?;
            // The projected batch holds the columns in file order.
            let mut sorted = read.clone();
            sorted.sort_unstable();
            sorted.dedup();
            let positions: Vec<usize> = read
                .iter()
                .map(|at| sorted.iter().position(|s| s == at).unwrap_or(0))
                .collect();
            while let Some(batch) = batches.next().await {
                let batch = batch.map_err(|e| read_error(&e))?;
                if self.stop.as_ref().is_some_and(|s| s.stopped()) {
                    return Err(DataFusionError::Execution(
                        "the query was cancelled".to_string(),
                    ));
                }
                let columns: Vec<&ArrayRef> =
                    positions.iter().map(|at| batch.column(*at)).collect();
                groups.add(&columns)?;
                if reservation.try_resize(groups.size()).is_err() {
                    // Hand on what is held and start over: the final step merges.
                    if !self.send(&mut groups).await? {
                        return Ok(());
                    }
                    reservation.free();
                }
                tokio::task::consume_budget().await;
            }
        }
        self.send(&mut groups).await?;
        Ok(())
    }

    /// Sends the groups held as batches and empties them; false when nobody reads any more.
    async fn send(&self, groups: &mut Groups) -> Result<bool> {
        for batch in groups.take(&self.schema, self.batch_rows)? {
            if self.tx.send(Ok(batch)).await.is_err() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The file's schema with `columns` read as `Dictionary(Int32, Utf8)`, and their indexes.
fn dictionary_hint(
    file: &SchemaRef,
    columns: &[String],
) -> std::result::Result<(SchemaRef, Vec<usize>), String> {
    let mut read = Vec::new();
    for name in columns {
        let (at, _) = file.column_with_name(name).ok_or_else(|| {
            format!("no column '{name}' (the file changed since the table was opened)")
        })?;
        read.push(at);
    }
    let fields: Vec<Field> = file
        .fields()
        .iter()
        .enumerate()
        .map(|(at, field)| {
            let field = field.as_ref().clone();
            if read.contains(&at) {
                field.with_data_type(DataType::Dictionary(
                    Box::new(DataType::Int32),
                    Box::new(DataType::Utf8),
                ))
            } else {
                field
            }
        })
        .collect();
    Ok((
        Arc::new(Schema::new_with_metadata(fields, file.metadata().clone())),
        read,
    ))
}

/// The texts seen in one column, each numbered once.
#[derive(Default)]
struct Texts {
    numbers: HashMap<Arc<str>, u32>,
    texts: Vec<Arc<str>>,
    bytes: usize,
    /// The dictionary the last batch came with and its numbers. Holding the dictionary keeps
    /// its buffers alive, so a later dictionary at the same addresses is the same one (a freed
    /// one's memory could otherwise be reused for different text).
    last: Option<(StringArray, Vec<u32>)>,
}

impl Texts {
    fn number(&mut self, text: &str) -> Result<u32> {
        if let Some(number) = self.numbers.get(text) {
            return Ok(*number);
        }
        let number = u32::try_from(self.texts.len())
            .map_err(|_| DataFusionError::Execution("too many distinct values".to_string()))?;
        let text: Arc<str> = Arc::from(text);
        self.bytes += text.len() + 64;
        self.numbers.insert(text.clone(), number);
        self.texts.push(text);
        Ok(number)
    }

    /// The number of each row's text (null as `""`) in `column`, a dictionary of `Utf8`.
    fn numbers_of(&mut self, column: &ArrayRef, out: &mut Vec<u32>) -> Result<()> {
        let dictionary = column.as_dictionary_opt::<Int32Type>().ok_or_else(|| {
            DataFusionError::Internal(format!(
                "a dictionary was expected, not {}",
                column.data_type()
            ))
        })?;
        let values: &StringArray = dictionary.values().as_string_opt::<i32>().ok_or_else(|| {
            DataFusionError::Internal("a dictionary of text was expected".to_string())
        })?;
        let same = |seen: &StringArray| {
            seen.len() == values.len()
                && seen.offsets().inner().inner().as_ptr()
                    == values.offsets().inner().inner().as_ptr()
                && seen.values().as_ptr() == values.values().as_ptr()
                && seen.nulls() == values.nulls()
        };
        let codes = match self.last.take() {
            Some((seen, codes)) if same(&seen) => codes,
            _ => {
                let mut codes = Vec::with_capacity(values.len());
                for at in 0..values.len() {
                    let text = if values.is_null(at) {
                        ""
                    } else {
                        values.value(at)
                    };
                    codes.push(self.number(text)?);
                }
                codes
            }
        };
        let empty = self.number("")?;
        out.clear();
        let keys = dictionary.keys();
        if keys.null_count() == 0 {
            if keys
                .values()
                .iter()
                .any(|key| *key < 0 || *key as usize >= codes.len())
            {
                return Err(DataFusionError::Internal(
                    "a dictionary key beyond its values".to_string(),
                ));
            }
            out.extend(keys.values().iter().map(|key| codes[*key as usize]));
        } else {
            // A null row's key may be anything: every row is looked up, then nulls made "".
            let mut beyond = false;
            out.extend(keys.values().iter().map(|key| {
                codes.get(*key as usize).copied().unwrap_or_else(|| {
                    beyond = true;
                    empty
                })
            }));
            let valid = keys.nulls().map(|n| n.inner());
            if let Some(valid) = valid {
                for (word_at, word) in valid.bit_chunks().iter_padded().enumerate() {
                    let mut nulls = !word;
                    while nulls != 0 {
                        let row = word_at * 64 + nulls.trailing_zeros() as usize;
                        nulls &= nulls - 1;
                        if let Some(number) = out.get_mut(row) {
                            *number = empty;
                        }
                    }
                }
            }
            let beyond_valid = beyond
                && keys
                    .iter()
                    .any(|key| key.is_some_and(|key| key < 0 || key as usize >= codes.len()));
            if beyond_valid {
                return Err(DataFusionError::Internal(
                    "a dictionary key beyond its values".to_string(),
                ));
            }
        }
        self.last = Some((values.clone(), codes));
        Ok(())
    }
}

/// The most cells of [`Seen`]'s grid (2 MiB of bits); past it, a hash set.
const GRID_CELLS: usize = 1 << 24;

/// The pairs of text numbers `(a, b)` seen (`b` is 0 with one column): a grid of bits while
/// the numbers are few (a cell per pair, set with no hashing), a hash set of `a << 32 | b` when
/// the grid would pass [`GRID_CELLS`].
enum Seen {
    Grid {
        bits: Vec<u64>,
        /// Cells per `a`; `b < width`.
        width: usize,
        /// `a < height`.
        height: usize,
    },
    Hashed(HashSet<u64, BuildHasherDefault<Mix>>),
}

impl Default for Seen {
    fn default() -> Seen {
        Seen::Grid {
            bits: Vec::new(),
            width: 0,
            height: 0,
        }
    }
}

impl Seen {
    fn key(a: u32, b: u32) -> u64 {
        (u64::from(a) << 32) | u64::from(b)
    }

    /// Makes room for every `a < heights` and `b < widths`.
    fn reserve(&mut self, heights: usize, widths: usize) {
        let (height, width) = match self {
            Seen::Grid { height, width, .. } => (*height, *width),
            Seen::Hashed(_) => return,
        };
        if heights <= height && widths <= width {
            return;
        }
        let pairs = self.pairs();
        let (new_height, new_width) = (
            heights.next_power_of_two().max(height),
            widths.next_power_of_two().max(width),
        );
        *self = match new_height.checked_mul(new_width) {
            Some(cells) if cells <= GRID_CELLS => Seen::Grid {
                bits: vec![0; cells.div_ceil(64)],
                width: new_width,
                height: new_height,
            },
            _ => Seen::Hashed(HashSet::default()),
        };
        for (a, b) in pairs {
            self.insert(a, b);
        }
    }

    /// Notes `(a, b)`, which [`Seen::reserve`] made room for.
    #[inline]
    fn insert(&mut self, a: u32, b: u32) {
        match self {
            Seen::Grid { bits, width, .. } => {
                let cell = a as usize * *width + b as usize;
                if let Some(word) = bits.get_mut(cell / 64) {
                    *word |= 1 << (cell % 64);
                }
            }
            Seen::Hashed(set) => {
                set.insert(Seen::key(a, b));
            }
        }
    }

    /// Notes the pairs `(first[i], second[i])` (`(first[i], 0)` without `second`), which
    /// [`Seen::reserve`] made room for.
    fn insert_all(&mut self, first: &[u32], second: Option<&[u32]>) {
        match second {
            Some(second) => self.insert_rows(first.iter().copied().zip(second.iter().copied())),
            None => self.insert_rows(first.iter().map(|a| (*a, 0))),
        }
    }

    fn insert_rows(&mut self, rows: impl Iterator<Item = (u32, u32)>) {
        match self {
            Seen::Grid { bits, width, .. } => {
                for (a, b) in rows {
                    let cell = a as usize * *width + b as usize;
                    if let Some(word) = bits.get_mut(cell / 64) {
                        *word |= 1 << (cell % 64);
                    }
                }
            }
            Seen::Hashed(set) => {
                // Neighbouring rows often repeat a pair: skip those without hashing.
                let mut last = None;
                for (a, b) in rows {
                    let key = Seen::key(a, b);
                    if last != Some(key) {
                        set.insert(key);
                        last = Some(key);
                    }
                }
            }
        }
    }

    fn pairs(&self) -> Vec<(u32, u32)> {
        match self {
            Seen::Grid { bits, width, .. } => {
                let mut pairs = Vec::new();
                for (at, word) in bits.iter().enumerate() {
                    let mut rest = *word;
                    while rest != 0 {
                        let cell = at * 64 + rest.trailing_zeros() as usize;
                        rest &= rest - 1;
                        pairs.push(((cell / width) as u32, (cell % width) as u32));
                    }
                }
                pairs
            }
            Seen::Hashed(set) => set
                .iter()
                .map(|key| ((key >> 32) as u32, *key as u32))
                .collect(),
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Seen::Grid { bits, .. } => bits.len() * 8,
            Seen::Hashed(set) => set.capacity() * 9,
        }
    }
}

/// The distinct combinations seen of one or two columns' texts.
struct Groups {
    columns: Vec<Texts>,
    seen: Seen,
    numbers: Vec<Vec<u32>>,
}

impl Groups {
    fn new(width: usize) -> Groups {
        Groups {
            columns: (0..width).map(|_| Texts::default()).collect(),
            seen: Seen::default(),
            numbers: vec![Vec::new(); width],
        }
    }

    fn add(&mut self, columns: &[&ArrayRef]) -> Result<()> {
        for ((texts, column), numbers) in
            self.columns.iter_mut().zip(columns).zip(&mut self.numbers)
        {
            texts.numbers_of(column, numbers)?;
        }
        let counted = |at: usize| self.columns.get(at).map_or(1, |c| c.texts.len());
        self.seen.reserve(counted(0), counted(1));
        match self.numbers.as_slice() {
            [first] => self.seen.insert_all(first, None),
            [first, second] => self.seen.insert_all(first, Some(second)),
            _ => {
                return Err(DataFusionError::Internal(format!(
                    "DictionaryDistinctExec groups 1 or 2 columns, not {}",
                    self.numbers.len()
                )));
            }
        }
        Ok(())
    }

    /// Bytes held, roughly.
    fn size(&self) -> usize {
        let texts: usize = self
            .columns
            .iter()
            .map(|c| {
                c.bytes
                    + c.last.as_ref().map_or(0, |(seen, codes)| {
                        seen.get_buffer_memory_size() + codes.capacity() * 4
                    })
            })
            .sum();
        texts + self.seen.bytes() + self.numbers.iter().map(|n| n.capacity() * 4).sum::<usize>()
    }

    /// The combinations as batches of at most `rows` rows; the groups are empty afterwards.
    fn take(&mut self, schema: &SchemaRef, rows: usize) -> Result<Vec<RecordBatch>> {
        let pairs = std::mem::take(&mut self.seen).pairs();
        let mut batches = Vec::new();
        for chunk in pairs.chunks(rows) {
            let mut arrays: Vec<ArrayRef> = Vec::new();
            for (at, texts) in self.columns.iter().enumerate() {
                let mut builder = StringViewBuilder::with_capacity(chunk.len());
                for (a, b) in chunk {
                    let number = if at == 0 { *a } else { *b };
                    let text = texts.texts.get(number as usize).ok_or_else(|| {
                        DataFusionError::Internal("a group number beyond its texts".to_string())
                    })?;
                    builder.append_value(text);
                }
                arrays.push(Arc::new(builder.finish()));
            }
            batches.push(RecordBatch::try_new(schema.clone(), arrays)?);
        }
        for texts in &mut self.columns {
            *texts = Texts::default();
        }
        Ok(batches)
    }
}

/// A hasher for the `u64` group keys: SplitMix64's finaliser, whose high bits (which the hash
/// table's probing uses) depend on every bit of the key.
#[derive(Default)]
struct Mix(u64);

impl Hasher for Mix {
    fn finish(&self) -> u64 {
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8) | u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{DictionaryArray, Int32Array};

    fn coded(keys: Vec<Option<i32>>, values: &ArrayRef) -> ArrayRef {
        Arc::new(
            DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys), values.clone()).unwrap(),
        )
    }

    fn rows(groups: &mut Groups) -> Vec<(String, String)> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Utf8View, false),
            Field::new("b", DataType::Utf8View, false),
        ]));
        let mut out = Vec::new();
        for batch in groups.take(&schema, 2).unwrap() {
            assert!(batch.num_rows() <= 2);
            let (a, b) = (
                batch.column(0).as_string_view(),
                batch.column(1).as_string_view(),
            );
            for row in 0..batch.num_rows() {
                out.push((a.value(row).to_string(), b.value(row).to_string()));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn pairs_of_codes_are_the_distinct_pairs_of_texts() {
        let first: ArrayRef = Arc::new(StringArray::from(vec![
            Some("cmd.exe"),
            Some("a-name-longer-than-twelve"),
        ]));
        let other: ArrayRef = Arc::new(StringArray::from(vec![
            Some("a-name-longer-than-twelve"),
            None,
            Some(""),
        ]));
        let accounts: ArrayRef = Arc::new(StringArray::from(vec!["alice", "bob"]));
        let mut groups = Groups::new(2);
        // The same dictionary twice, then another that numbers the same text differently; a null
        // key and a null value are both "".
        groups
            .add(&[
                &coded(vec![Some(0), Some(1), Some(0)], &first),
                &coded(vec![Some(0), Some(0), Some(0)], &accounts),
            ])
            .unwrap();
        groups
            .add(&[
                &coded(vec![Some(1), None], &first),
                &coded(vec![Some(0), Some(1)], &accounts),
            ])
            .unwrap();
        // A dictionary of the same length as the last, its texts the other way round.
        let swapped: ArrayRef = Arc::new(StringArray::from(vec![
            Some("a-name-longer-than-twelve"),
            Some("cmd.exe"),
        ]));
        groups
            .add(&[
                &coded(vec![Some(1)], &swapped),
                &coded(vec![Some(1)], &accounts),
            ])
            .unwrap();
        groups
            .add(&[
                &coded(vec![Some(0), Some(1), Some(2)], &other),
                &coded(vec![Some(1), Some(1), Some(1)], &accounts),
            ])
            .unwrap();
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            rows(&mut groups),
            vec![
                pair("", "bob"),
                pair("a-name-longer-than-twelve", "alice"),
                pair("a-name-longer-than-twelve", "bob"),
                pair("cmd.exe", "alice"),
                pair("cmd.exe", "bob"),
            ]
        );
        // Taken groups are gone, and so are the numbers: a fresh start after handing them on.
        assert!(groups.size() < 1024, "{}", groups.size());
        groups
            .add(&[
                &coded(vec![Some(1)], &first),
                &coded(vec![Some(1)], &accounts),
            ])
            .unwrap();
        assert_eq!(
            rows(&mut groups),
            vec![pair("a-name-longer-than-twelve", "bob")]
        );
    }

    #[test]
    fn the_grid_of_pairs_becomes_a_hash_set_when_it_would_grow_too_big() {
        let mut seen = Seen::default();
        seen.reserve(3, 5);
        seen.insert(2, 4);
        seen.insert(0, 0);
        seen.reserve(100, 5);
        seen.insert(99, 1);
        assert!(matches!(seen, Seen::Grid { .. }));
        seen.reserve(1 << 13, 1 << 12);
        assert!(matches!(seen, Seen::Hashed(_)));
        seen.insert(8000, 4000);
        let mut pairs = seen.pairs();
        pairs.sort_unstable();
        assert_eq!(pairs, vec![(0, 0), (2, 4), (99, 1), (8000, 4000)]);
    }

    #[test]
    fn only_dictionaries_of_text_are_grouped() {
        let mut groups = Groups::new(1);
        let plain: ArrayRef = Arc::new(StringArray::from(vec!["x"]));
        assert!(groups.add(&[&plain]).is_err());
    }
}
