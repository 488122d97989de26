//! `reduce` (reduce-operator.md): groups strings by similarity, after Risto Vaarandi's SLCT
//! ("A Data Clustering Algorithm for Mining Patterns From Event Logs", 2003), which the page
//! names as the basis of Kusto's operator.
//!
//! The rules, from the page where it says them and from SLCT where it is silent:
//!
//! - **Terms.** A value is cut into tokens: maximal runs of term characters, and each separator
//!   character alone. Without `characters=` the separators are every character that is not a
//!   letter or digit (Unicode's alphanumerics), so `San Bernard` is `San`, ` `, `Bernard`; with
//!   `characters=` they are exactly the characters given, so `fooZ1` with `"Z"` is `foo`, `Z`,
//!   `1`. A token's position is its index in the value.
//! - **Frequent tokens** (SLCT's first pass): a (token, position) pair is frequent when more than
//!   `threshold × rows` values have it — strictly more: the page's `fooZ1 … fooZ10` (ten values
//!   of one term each, threshold 0.1) are all `others`, so a support of 1 out of 10 is not
//!   enough. A null value is the empty string (KQL strings have no null); it has no tokens.
//! - **Candidates** (SLCT's second pass): a value's candidate is its number of tokens and its
//!   frequent tokens with their positions; a value whose frequent tokens are all separators has
//!   none (SLCT's words are the terms; the separators only split them).
//! - **Clusters**: the candidates that more than `threshold × rows` values have (the same bar as
//!   the terms', as in SLCT). Each is a row: `Pattern`, `Count` (its values) and
//!   `Representative` (its first value in the input's order). Values in no cluster make one last
//!   row `others` with their count and an empty representative (the page's example); it is left
//!   out when there are none. Clusters come most values first, ties in the order their first
//!   value came. SLCT's optional refinements (aggregated support, word-class heuristics) are not
//!   applied: the page does not ask for them.
//! - **Pattern**: the candidate's tokens, a frequent one as written, any other as `*`; a run of
//!   `*` is one `*` (it stands for any text, the page says). Without `characters=` the
//!   separators stay as written (the page's `San *`, `* -on- *`); with `characters=` a separator
//!   next to a `*` is part of what the `*` stands for and is not written (the page's `foo*` for
//!   `fooZ1` with `"Z"`, `MachineLearning*` for `MachineLearningX4` with `"X"`). Either way the
//!   pattern matches every value of its cluster.
//! - **`kind=source`** appends `Pattern` to each input row instead: its cluster's pattern, or
//!   `others`.
//!
//! The page's two `MachineLearningX<digit>` examples follow no such rules: at threshold 0.001
//! it shows one `MachineLearning*` row, where each digit (in a tenth of the rows) is frequent
//! and SLCT makes a cluster per digit; at 0.9 it shows nine rows, all `MachineLearning*`, where
//! only `MachineLearning` and `X` are frequent and SLCT makes one. Its prose, too, says a larger
//! threshold makes more groups — the reverse of a support threshold. The engine follows SLCT.
//!
//! The input is read whole into memory (its size reserved in the query's memory pool, as the
//! graph operators do); the counts and candidates are reserved as they grow, and the query's
//! stop flag is checked every [`CHECK_EVERY`] values.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, Int64Builder, StringArray, StringBuilder};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::{ExecutionPlan, execute_stream};
use futures::StreamExt;

use super::graph::Budget;
use crate::results::{KqlType, kql_schema};

/// How often (in values) the clustering reserves what it grew by and checks the stop flag.
pub const CHECK_EVERY: usize = 1024;

/// The pattern of the values in no cluster (reduce-operator.md's `others` row).
pub const OTHERS: &str = "others";

/// What separates terms.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Separators {
    /// Every character that is not a letter or digit (the page's default).
    Default,
    /// Exactly these characters (`with characters = "…"`).
    Given(Vec<char>),
}

impl Separators {
    fn separates(&self, c: char) -> bool {
        match self {
            Separators::Default => !c.is_alphanumeric(),
            Separators::Given(chars) => chars.contains(&c),
        }
    }
}

/// One token of a value: its text and whether it is a separator.
type Token<'a> = (&'a str, bool);

/// `value` cut into tokens (terms and single separators), into `out` (cleared first).
fn tokenize<'a>(value: &'a str, separators: &Separators, out: &mut Vec<Token<'a>>) {
    out.clear();
    let mut term_start = None;
    for (at, c) in value.char_indices() {
        if separators.separates(c) {
            if let Some(start) = term_start.take() {
                out.push((&value[start..at], false));
            }
            out.push((&value[at..at + c.len_utf8()], true));
        } else if term_start.is_none() {
            term_start = Some(at);
        }
    }
    if let Some(start) = term_start {
        out.push((&value[start..], false));
    }
}

/// One cluster of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Its frequent tokens as written, the others as `*`.
    pub pattern: String,
    /// How many values it holds.
    pub count: usize,
    /// The index of its first value (the representative).
    pub first: usize,
}

/// The outcome of [`cluster`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clusters {
    /// Most values first; ties in the order their first value came.
    pub clusters: Vec<Cluster>,
    /// How many values are in no cluster.
    pub others: usize,
    /// Per value, its cluster (an index in `clusters`), `None` for `others`; empty unless asked
    /// for (`kind=source`).
    pub of_value: Vec<Option<u32>>,
}

/// A (position, token) pair's entry in the first pass: how many values have it.
const NOT_FREQUENT: u32 = u32::MAX;

/// What one entry of a hash map costs, roughly: the key, the value and the table's overhead.
fn entry_bytes<K, V>() -> usize {
    std::mem::size_of::<K>() + std::mem::size_of::<V>() + 16
}

/// A candidate of the second pass.
struct Candidate {
    count: usize,
    first: usize,
    /// Whether one of its frequent tokens is a term (not a separator).
    has_term: bool,
}

/// Clusters `values` by SLCT's rules (the module's comment): `threshold` is the fraction of the
/// values a token or candidate must exceed, `separators` cut the terms, `per_value` asks for
/// each value's cluster. `keep(bytes)` is told of memory held from then on (and fails the
/// clustering when the query was stopped or the memory pool is full); it is called every
/// [`CHECK_EVERY`] values, with 0 when nothing grew.
pub fn cluster(
    values: &[&str],
    threshold: f64,
    separators: &Separators,
    per_value: bool,
    keep: &mut dyn FnMut(usize) -> Result<()>,
) -> Result<Clusters> {
    let bar = threshold * values.len() as f64;
    let position = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
    let mut tokens: Vec<Token> = Vec::new();
    let mut pending = 0usize;
    let mut tokens_capacity = 0usize;
    let mut grown = |tokens: &Vec<Token>, pending: &mut usize| {
        if tokens.capacity() > tokens_capacity {
            *pending += (tokens.capacity() - tokens_capacity) * std::mem::size_of::<Token>();
            tokens_capacity = tokens.capacity();
        }
    };

    // First pass: how many values have each (position, token).
    let mut counts: HashMap<(u32, &str), u32> = HashMap::new();
    let count_entry = entry_bytes::<(u32, &str), u32>();
    for (index, value) in values.iter().enumerate() {
        if index % CHECK_EVERY == 0 {
            keep(std::mem::take(&mut pending))?;
        }
        tokenize(value, separators, &mut tokens);
        grown(&tokens, &mut pending);
        for (at, (text, _)) in tokens.iter().enumerate() {
            let entry = counts.entry((position(at), text)).or_insert_with(|| {
                pending += count_entry;
                0
            });
            *entry = entry.saturating_add(1);
        }
    }
    // The frequent pairs get ids; the others are marked.
    let mut next_id = 0u32;
    for count in counts.values_mut() {
        if f64::from(*count) > bar {
            *count = next_id;
            next_id = next_id
                .checked_add(1)
                .filter(|&id| id != NOT_FREQUENT)
                .ok_or_else(|| {
                    DataFusionError::Execution("reduce: too many frequent terms".into())
                })?;
        } else {
            *count = NOT_FREQUENT;
        }
    }
    let ids = counts;

    // Second pass: each value's candidate — its token count, then its frequent tokens' ids.
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut by_key: HashMap<Vec<u32>, u32> = HashMap::new();
    let candidate_entry = entry_bytes::<Vec<u32>, u32>() + std::mem::size_of::<Candidate>();
    let mut of_value: Vec<u32> = Vec::new();
    if per_value {
        of_value.reserve_exact(values.len());
        pending += values.len() * std::mem::size_of::<u32>();
    }
    let mut key: Vec<u32> = Vec::new();
    for (index, value) in values.iter().enumerate() {
        if index % CHECK_EVERY == 0 {
            keep(std::mem::take(&mut pending))?;
        }
        tokenize(value, separators, &mut tokens);
        key.clear();
        key.push(position(tokens.len()));
        let mut has_term = false;
        for (at, (text, separator)) in tokens.iter().enumerate() {
            let id = ids.get(&(position(at), *text)).copied();
            if let Some(id) = id.filter(|&id| id != NOT_FREQUENT) {
                key.push(id);
                has_term |= !separator;
            }
        }
        if !has_term {
            if per_value {
                of_value.push(NOT_FREQUENT);
            }
            continue;
        }
        let at = match by_key.get(&key) {
            Some(&at) => at,
            None => {
                let at = u32::try_from(candidates.len()).map_err(|_| {
                    DataFusionError::Execution("reduce: too many candidate patterns".into())
                })?;
                pending += candidate_entry + key.len() * std::mem::size_of::<u32>();
                by_key.insert(key.clone(), at);
                candidates.push(Candidate {
                    count: 0,
                    first: index,
                    has_term,
                });
                at
            }
        };
        candidates[at as usize].count += 1;
        if per_value {
            of_value.push(at);
        }
    }
    keep(std::mem::take(&mut pending))?;
    drop(by_key);

    // The candidates with enough values are the clusters.
    let mut chosen: Vec<u32> = (0..candidates.len())
        .filter(|&at| {
            let candidate = &candidates[at];
            candidate.has_term && candidate.count as f64 > bar
        })
        .filter_map(|at| u32::try_from(at).ok())
        .collect();
    chosen.sort_by_key(|&at| {
        let candidate = &candidates[at as usize];
        (std::cmp::Reverse(candidate.count), candidate.first)
    });
    let mut clusters = Vec::with_capacity(chosen.len());
    for (made, &at) in chosen.iter().enumerate() {
        if made % CHECK_EVERY == 0 {
            keep(0)?;
        }
        let candidate = &candidates[at as usize];
        let representative = values[candidate.first];
        tokenize(representative, separators, &mut tokens);
        let frequent: Vec<bool> = tokens
            .iter()
            .enumerate()
            .map(|(at, (text, _))| {
                ids.get(&(position(at), *text))
                    .is_some_and(|&id| id != NOT_FREQUENT)
            })
            .collect();
        clusters.push(Cluster {
            pattern: pattern(&tokens, &frequent, separators),
            count: candidate.count,
            first: candidate.first,
        });
    }
    let clustered: usize = clusters.iter().map(|c| c.count).sum();
    let of_value = if per_value {
        // Candidate index → cluster index.
        let mut cluster_of = vec![None; candidates.len()];
        for (made, &at) in chosen.iter().enumerate() {
            cluster_of[at as usize] = u32::try_from(made).ok();
        }
        of_value
            .into_iter()
            .map(|at| cluster_of.get(at as usize).copied().flatten())
            .collect()
    } else {
        Vec::new()
    };
    Ok(Clusters {
        clusters,
        others: values.len() - clustered,
        of_value,
    })
}

/// A cluster's pattern from its representative's tokens and which are frequent (the module's
/// comment says how separators are written).
fn pattern(tokens: &[Token], frequent: &[bool], separators: &Separators) -> String {
    let wild = |at: usize| !frequent.get(at).copied().unwrap_or(false);
    let mut out = String::new();
    let mut last_wild = false;
    for (at, (text, separator)) in tokens.iter().enumerate() {
        if wild(at) {
            if !last_wild {
                out.push('*');
            }
            last_wild = true;
            continue;
        }
        let beside_wild = (at > 0 && wild(at - 1)) || (at + 1 < tokens.len() && wild(at + 1));
        if *separator && beside_wild && matches!(separators, Separators::Given(_)) {
            continue;
        }
        out.push_str(text);
        last_wild = false;
    }
    out
}

/// What `reduce` computes: its parameters, checked by the planner.
#[derive(Debug, Clone, PartialEq)]
pub struct ReduceSpec {
    /// The fraction of the rows a token or pattern must exceed (0 to 1).
    pub threshold: f64,
    pub separators: Separators,
    /// `kind=source`: the input's columns (all but the last of the input plan, which is the
    /// value) with `Pattern` appended, instead of a row per cluster.
    pub source: bool,
}

/// `reduce` as a table source: its input's logical plan (the input's columns when
/// `kind=source`, then the value to reduce, a string, last) and the spec. Its one partition
/// reads the whole input and clusters on a blocking thread.
#[derive(Debug)]
pub struct ReduceSource {
    input: LogicalPlan,
    spec: ReduceSpec,
    schema: SchemaRef,
}

impl ReduceSource {
    /// The output's columns are `columns` (`Pattern`, `Count`, `Representative`, or the
    /// input's with `Pattern`).
    pub fn new(input: LogicalPlan, spec: ReduceSpec, columns: &[(String, KqlType)]) -> Self {
        ReduceSource {
            input,
            spec,
            schema: kql_schema(columns),
        }
    }
}

#[async_trait]
impl TableProvider for ReduceSource {
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
        let partition = ReducePartition {
            schema: self.schema.clone(),
            input: state.create_physical_plan(&self.input).await?,
            spec: Arc::new(self.spec.clone()),
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

#[derive(Debug)]
struct ReducePartition {
    schema: SchemaRef,
    input: Arc<dyn ExecutionPlan>,
    spec: Arc<ReduceSpec>,
}

impl PartitionStream for ReducePartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, context: Arc<TaskContext>) -> SendableRecordBatchStream {
        let mut builder = RecordBatchReceiverStreamBuilder::new(self.schema.clone(), 2);
        let tx = builder.tx();
        let input = self.input.clone();
        let spec = self.spec.clone();
        let schema = self.schema.clone();
        let reader = tx.clone();
        builder.spawn(async move {
            let budget = Budget::named(&context, "reduce").read_by(move || reader.is_closed());
            let mut stream = execute_stream(input.clone(), context.clone())?;
            let mut batches = Vec::new();
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                budget.keep(batch.get_array_memory_size())?;
                batches.push(batch);
            }
            let table = concat_batches(&input.schema(), &batches)?;
            drop(batches);
            let batch_rows = context.session_config().batch_size().max(1);
            let work = move || {
                let mut emit = |batch: RecordBatch| tx.blocking_send(Ok(batch)).is_ok();
                run(&spec, &table, &budget, &schema, batch_rows, &mut emit)
            };
            tokio::task::spawn_blocking(work)
                .await
                .map_err(|error| DataFusionError::Execution(format!("reduce failed: {error}")))?
        });
        builder.build()
    }
}

/// Clusters the input's last column and hands the output to `emit` in batches of `batch_rows`
/// (stopping when `emit` says nobody reads them).
fn run(
    spec: &ReduceSpec,
    table: &RecordBatch,
    budget: &Budget,
    schema: &SchemaRef,
    batch_rows: usize,
    emit: &mut dyn FnMut(RecordBatch) -> bool,
) -> Result<()> {
    let Some(last) = table.num_columns().checked_sub(1) else {
        return Err(DataFusionError::Internal(
            "reduce's input has no value column".into(),
        ));
    };
    let texts = cast(table.column(last), &DataType::Utf8)?;
    let Some(texts) = texts.as_any().downcast_ref::<StringArray>() else {
        return Err(DataFusionError::Internal(
            "reduce's value is not text".into(),
        ));
    };
    budget.keep(texts.len() * std::mem::size_of::<&str>())?;
    let values: Vec<&str> = (0..texts.len())
        .map(|row| {
            if texts.is_null(row) {
                ""
            } else {
                texts.value(row)
            }
        })
        .collect();
    let clusters = cluster(
        &values,
        spec.threshold,
        &spec.separators,
        spec.source,
        &mut |bytes| budget.keep(bytes),
    )?;
    if spec.source {
        return emit_source(table, &clusters, schema, batch_rows, budget, emit);
    }
    let rows = clusters.clusters.len() + usize::from(clusters.others > 0);
    let mut at = 0;
    while at < rows {
        budget.need(0)?;
        let length = batch_rows.min(rows - at);
        let mut patterns = StringBuilder::new();
        let mut counts = Int64Builder::with_capacity(length);
        let mut representatives = StringBuilder::new();
        for row in at..at + length {
            match clusters.clusters.get(row) {
                Some(found) => {
                    patterns.append_value(&found.pattern);
                    counts.append_value(i64::try_from(found.count).unwrap_or(i64::MAX));
                    representatives.append_value(values[found.first]);
                }
                None => {
                    patterns.append_value(OTHERS);
                    counts.append_value(i64::try_from(clusters.others).unwrap_or(i64::MAX));
                    representatives.append_value("");
                }
            }
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(patterns.finish()),
            Arc::new(counts.finish()),
            Arc::new(representatives.finish()),
        ];
        if !emit(RecordBatch::try_new(schema.clone(), columns)?) {
            return Ok(());
        }
        at += length;
    }
    Ok(())
}

/// `kind=source`: the input rows with their pattern, in batches.
fn emit_source(
    table: &RecordBatch,
    clusters: &Clusters,
    schema: &SchemaRef,
    batch_rows: usize,
    budget: &Budget,
    emit: &mut dyn FnMut(RecordBatch) -> bool,
) -> Result<()> {
    let kept = schema.fields().len().saturating_sub(1);
    let mut at = 0;
    while at < table.num_rows() {
        budget.need(0)?;
        let length = batch_rows.min(table.num_rows() - at);
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(kept + 1);
        for (index, field) in schema.fields().iter().take(kept).enumerate() {
            let column = table.column(index).slice(at, length);
            columns.push(if column.data_type() == field.data_type() {
                column
            } else {
                cast(&column, field.data_type())?
            });
        }
        let mut patterns = StringBuilder::new();
        for row in at..at + length {
            let found = clusters
                .of_value
                .get(row)
                .copied()
                .flatten()
                .and_then(|c| clusters.clusters.get(c as usize));
            patterns.append_value(found.map_or(OTHERS, |c| c.pattern.as_str()));
        }
        columns.push(Arc::new(patterns.finish()));
        if !emit(RecordBatch::try_new(schema.clone(), columns)?) {
            return Ok(());
        }
        at += length;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_cluster(values: &[&str], threshold: f64, separators: &Separators) -> Clusters {
        cluster(values, threshold, separators, true, &mut |_| Ok(())).unwrap()
    }

    /// (pattern, count, representative) rows as the operator prints them, `others` last.
    fn rows(
        values: &[&str],
        threshold: f64,
        separators: &Separators,
    ) -> Vec<(String, usize, String)> {
        let found = run_cluster(values, threshold, separators);
        let mut out: Vec<(String, usize, String)> = found
            .clusters
            .iter()
            .map(|c| (c.pattern.clone(), c.count, values[c.first].to_string()))
            .collect();
        if found.others > 0 {
            out.push((OTHERS.to_string(), found.others, String::new()));
        }
        out
    }

    fn row(pattern: &str, count: usize, representative: &str) -> (String, usize, String) {
        (pattern.to_string(), count, representative.to_string())
    }

    fn given(chars: &str) -> Separators {
        Separators::Given(chars.chars().collect())
    }

    #[test]
    fn tokens_are_terms_and_single_separators() {
        let mut out = Vec::new();
        tokenize("One -on- One", &Separators::Default, &mut out);
        let texts: Vec<&str> = out.iter().map(|(t, _)| *t).collect();
        assert_eq!(texts, ["One", " ", "-", "on", "-", " ", "One"]);
        tokenize("fooZ1", &given("Z"), &mut out);
        assert_eq!(out, [("foo", false), ("Z", true), ("1", false)]);
        tokenize("fooZ1", &Separators::Default, &mut out);
        assert_eq!(out, [("fooZ1", false)]);
        // Letters of any script are term characters; a separator may be several bytes.
        tokenize("Zürich→Genève", &Separators::Default, &mut out);
        assert_eq!(out, [("Zürich", false), ("→", true), ("Genève", false)]);
        tokenize("", &Separators::Default, &mut out);
        assert!(out.is_empty());
    }

    /// reduce-operator.md: `range x from 1 to 10 step 1 | project str = strcat("foo", "Z",
    /// tostring(x)) | reduce by str [with characters="Z"]`.
    #[test]
    fn the_pages_foo_z_examples() {
        let values: Vec<String> = (1..=10).map(|x| format!("fooZ{x}")).collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        assert_eq!(
            rows(&values, 0.1, &Separators::Default),
            [row("others", 10, "")]
        );
        assert_eq!(rows(&values, 0.1, &given("Z")), [row("foo*", 10, "fooZ1")]);
    }

    /// The page's MachineLearningX<digit> values with characters="X": each digit in a tenth of
    /// the rows is not frequent (not more than a tenth), so one pattern holds them all.
    #[test]
    fn machine_learning_with_x_separators() {
        let values: Vec<String> = (0..1000)
            .map(|i| format!("MachineLearningX{}", i % 10))
            .collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        assert_eq!(
            rows(&values, 0.1, &given("X")),
            [row("MachineLearning*", 1000, "MachineLearningX0")]
        );
        // At 0.9 (the page's second example) the digits are not frequent either.
        assert_eq!(
            rows(&values, 0.9, &given("X")),
            [row("MachineLearning*", 1000, "MachineLearningX0")]
        );
        // At 0.001 every digit is frequent: a cluster per digit, written whole.
        let small = rows(&values, 0.001, &given("X"));
        assert_eq!(small.len(), 10);
        assert_eq!(small[0], row("MachineLearningX0", 100, "MachineLearningX0"));
    }

    /// The page's `reduce by city` rows: default separators stay in the pattern.
    #[test]
    fn default_separators_are_written() {
        let mut values = vec![
            "San Bernard",
            "San Diego",
            "San Jose",
            "Saint Lucy",
            "Saint Paul",
        ];
        values.extend([
            "Saint Kitts",
            "One -on- One",
            "Two -on- Two",
            "Three -on- Three",
        ]);
        values.extend(["Moscow"; 3]);
        let found = rows(&values, 0.1, &Separators::Default);
        assert_eq!(
            found,
            [
                row("San *", 3, "San Bernard"),
                row("Saint *", 3, "Saint Lucy"),
                row("* -on- *", 3, "One -on- One"),
                row("Moscow", 3, "Moscow"),
            ]
        );
    }

    #[test]
    fn support_must_exceed_the_threshold() {
        // Two of four values share "a": 2 > 0.4 × 4 but not > 0.5 × 4.
        let values = ["a x", "a y", "b z", "c w"];
        assert_eq!(
            rows(&values, 0.4, &Separators::Default),
            [row("a *", 2, "a x"), row("others", 2, "")]
        );
        assert_eq!(
            rows(&values, 0.5, &Separators::Default),
            [row("others", 4, "")]
        );
        // Threshold 0: every value is its own pattern; 1: nothing is frequent.
        assert_eq!(
            rows(&["b", "a", "b"], 0.0, &Separators::Default),
            [row("b", 2, "b"), row("a", 1, "a")]
        );
        assert_eq!(
            rows(&["b", "b"], 1.0, &Separators::Default),
            [row("others", 2, "")]
        );
    }

    #[test]
    fn ties_come_in_the_order_of_their_first_value() {
        let values = ["q 1", "p 2", "q 3", "p 4"];
        assert_eq!(
            rows(&values, 0.3, &Separators::Default),
            [row("q *", 2, "q 1"), row("p *", 2, "p 2")]
        );
    }

    #[test]
    fn the_number_of_terms_is_part_of_a_pattern() {
        let values = ["a 1", "a 2", "a 3 4", "a 5 6"];
        assert_eq!(
            rows(&values, 0.3, &Separators::Default),
            [row("a *", 2, "a 1"), row("a * *", 2, "a 3 4")]
        );
    }

    #[test]
    fn empty_input_and_empty_values() {
        let found = run_cluster(&[], 0.1, &Separators::Default);
        assert!(found.clusters.is_empty());
        assert_eq!(found.others, 0);
        // Empty values (nulls read as empty) have no terms: others.
        assert_eq!(
            rows(&["", "", "x"], 0.1, &Separators::Default),
            [row("x", 1, "x"), row("others", 2, "")]
        );
        // Values whose only frequent tokens are separators are others too.
        assert_eq!(
            rows(&["a b", "c d", "e f"], 0.5, &Separators::Default),
            [row("others", 3, "")]
        );
    }

    #[test]
    fn given_separators_next_to_a_wildcard_are_not_written() {
        let values = ["fooZ1Zbar", "fooZ2Zbar", "fooZZ3", "fooZZ4"];
        assert_eq!(
            rows(&values, 0.3, &given("Z")),
            [row("foo*bar", 2, "fooZ1Zbar"), row("fooZ*", 2, "fooZZ3")]
        );
        // Runs of wildcards are one.
        assert_eq!(
            rows(&["kZ1Z2", "kZ3Z4"], 0.6, &given("Z")),
            [row("k*", 2, "kZ1Z2")]
        );
    }

    #[test]
    fn each_value_knows_its_cluster_for_kind_source() {
        let values = ["a 1", "b", "a 2"];
        let found = run_cluster(&values, 0.4, &Separators::Default);
        assert_eq!(found.clusters[0].pattern, "a *");
        assert_eq!(found.of_value, [Some(0), None, Some(0)]);
        let without = cluster(&values, 0.4, &Separators::Default, false, &mut |_| Ok(())).unwrap();
        assert!(without.of_value.is_empty());
    }

    #[test]
    fn the_budget_is_told_and_can_stop_it() {
        let values: Vec<String> = (0..5000).map(|i| format!("v {i}")).collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let mut told = 0usize;
        let mut calls = 0usize;
        cluster(&values, 0.1, &Separators::Default, true, &mut |bytes| {
            told += bytes;
            calls += 1;
            Ok(())
        })
        .unwrap();
        // 5000 distinct (position, term) pairs at least, checked every 1024 values.
        assert!(told > 5000 * 16, "{told}");
        assert!(calls >= 10, "{calls}");
        let stopped = cluster(&values, 0.1, &Separators::Default, false, &mut |_| {
            Err(DataFusionError::Execution("the query was cancelled".into()))
        });
        assert!(stopped.is_err());
    }
}
