//! The result model every backend returns, and what the UI, CLI and export do with it: typed cell
//! formatting, safe display of hostile text, sort and export. Nothing here knows where rows came
//! from.

pub mod chart;
pub mod export;
pub mod filter;
pub mod format;
pub mod frequency;
pub mod history;
pub mod read;
pub mod render;
pub mod safe;
pub mod search;

pub use render::{RenderHint, Visualization};

use std::sync::Arc;
use std::time::Duration;

use std::cmp::Ordering;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray, UInt32Array};
use datafusion::arrow::compute::{SortColumn, SortOptions, concat_batches, lexsort_to_indices};
use datafusion::arrow::datatypes::{
    DataType, Field, Float64Type, Int32Type, Int64Type, Schema, SchemaRef,
};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;

/// The KQL scalar types. Arrow carries the values; this says what they mean (a `dynamic` and a
/// `string` are both UTF-8 in Arrow, a `guid` too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KqlType {
    Bool,
    DateTime,
    Dynamic,
    Guid,
    Int,
    Long,
    Real,
    Decimal,
    String,
    Timespan,
}

impl KqlType {
    /// Reads the type names of the advanced hunting schema (`string`, `datetime`, `long`, …).
    pub fn from_kql_name(name: &str) -> Option<KqlType> {
        Some(match name {
            "bool" | "boolean" => KqlType::Bool,
            "datetime" | "date" => KqlType::DateTime,
            "dynamic" => KqlType::Dynamic,
            "guid" | "uuid" | "uniqueid" => KqlType::Guid,
            "int" | "int32" => KqlType::Int,
            "long" | "int64" => KqlType::Long,
            "real" | "double" => KqlType::Real,
            "decimal" => KqlType::Decimal,
            "string" => KqlType::String,
            "timespan" | "time" => KqlType::Timespan,
            _ => return None,
        })
    }

    /// The name with its article, for messages: `an int`, `a string`.
    pub fn with_article(self) -> &'static str {
        match self {
            KqlType::Bool => "a bool",
            KqlType::DateTime => "a datetime",
            KqlType::Dynamic => "a dynamic",
            KqlType::Guid => "a guid",
            KqlType::Int => "an int",
            KqlType::Long => "a long",
            KqlType::Real => "a real",
            KqlType::Decimal => "a decimal",
            KqlType::String => "a string",
            KqlType::Timespan => "a timespan",
        }
    }

    pub fn kql_name(self) -> &'static str {
        match self {
            KqlType::Bool => "bool",
            KqlType::DateTime => "datetime",
            KqlType::Dynamic => "dynamic",
            KqlType::Guid => "guid",
            KqlType::Int => "int",
            KqlType::Long => "long",
            KqlType::Real => "real",
            KqlType::Decimal => "decimal",
            KqlType::String => "string",
            KqlType::Timespan => "timespan",
        }
    }

    /// The .NET type names Microsoft Graph uses in a response schema.
    pub fn graph_name(self) -> &'static str {
        match self {
            KqlType::Bool => "Boolean",
            KqlType::DateTime => "DateTime",
            KqlType::Dynamic => "Object",
            KqlType::Guid => "Guid",
            KqlType::Int => "Int32",
            KqlType::Long => "Int64",
            KqlType::Real => "Double",
            KqlType::Decimal => "Decimal",
            KqlType::String => "String",
            KqlType::Timespan => "TimeSpan",
        }
    }

    /// How the type is held in Arrow. `datetime` and `timespan` are i64 counts of 100 ns ticks,
    /// as in Kusto (datetime: since 0001-01-01; see `kql::time`): Arrow's nanosecond types cover
    /// only 1677–2262 and drop the year-1601 dates FILETIME conversions produce. The KQL type
    /// travels in field metadata (`kql_field`), so an i64 column still reads as a datetime.
    /// Decimal is held as a double: advanced hunting has no decimal columns.
    pub fn arrow_type(self) -> DataType {
        match self {
            KqlType::Bool => DataType::Boolean,
            KqlType::DateTime | KqlType::Timespan | KqlType::Long => DataType::Int64,
            KqlType::Dynamic | KqlType::Guid | KqlType::String => DataType::Utf8,
            KqlType::Int => DataType::Int32,
            KqlType::Real | KqlType::Decimal => DataType::Float64,
        }
    }

    /// The best KQL reading of an Arrow type, for columns whose KQL type nobody recorded (user
    /// files).
    pub fn from_arrow(data_type: &DataType) -> KqlType {
        match data_type {
            DataType::Boolean => KqlType::Bool,
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::UInt8
            | DataType::UInt16 => KqlType::Int,
            DataType::Int64 | DataType::UInt32 | DataType::UInt64 => KqlType::Long,
            DataType::Float16 | DataType::Float32 | DataType::Float64 => KqlType::Real,
            DataType::Decimal32(..)
            | DataType::Decimal64(..)
            | DataType::Decimal128(..)
            | DataType::Decimal256(..) => KqlType::Decimal,
            DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => KqlType::DateTime,
            DataType::Duration(_)
            | DataType::Time32(_)
            | DataType::Time64(_)
            | DataType::Interval(_) => KqlType::Timespan,
            DataType::List(_)
            | DataType::LargeList(_)
            | DataType::FixedSizeList(..)
            | DataType::Struct(_)
            | DataType::Map(..) => KqlType::Dynamic,
            _ => KqlType::String,
        }
    }
}

/// Field metadata key under which the KQL type travels with an Arrow field.
pub const KQL_TYPE_METADATA: &str = "kql_type";

/// An Arrow field that remembers its KQL type.
pub fn kql_field(name: &str, kql_type: KqlType) -> Field {
    Field::new(name, kql_type.arrow_type(), true).with_metadata(
        [(
            KQL_TYPE_METADATA.to_string(),
            kql_type.kql_name().to_string(),
        )]
        .into(),
    )
}

/// An Arrow schema for columns with KQL types.
pub fn kql_schema(columns: &[(String, KqlType)]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, t)| kql_field(n, *t))
            .collect::<Vec<_>>(),
    ))
}

/// The KQL type of a field: its metadata when present, else read from the Arrow type.
pub fn field_kql_type(field: &Field) -> KqlType {
    field
        .metadata()
        .get(KQL_TYPE_METADATA)
        .and_then(|name| KqlType::from_kql_name(name))
        .unwrap_or_else(|| KqlType::from_arrow(field.data_type()))
}

/// Facts about how a result was produced, shown in the status line and CLI.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFacts {
    pub elapsed: Duration,
    /// The rows the backend returned (after any backend limit).
    pub row_count: usize,
    /// The backend cut the result at its row limit (Graph returns at most 100,000 rows; the
    /// local engine stops at its configured `row_limit`): more rows matched than are here.
    pub truncated: bool,
    /// `lab`, `files`, `graph`…
    pub backend: String,
    /// The time window the query ran over, as the user would say it (`last 30d`).
    pub window: Option<String>,
    /// Things the user should know about this answer that are not errors (a Graph response
    /// with keys outside its schema, rows that came back empty).
    pub warnings: Vec<String>,
    /// The earlier results a local query ran on, as the status line names them
    /// (`$last (graph result, 1,234 rows)`, see `history::describe`); `None` when the query
    /// named none.
    pub ran_on: Option<String>,
}

/// A query's answer: one Arrow batch, the KQL type of each column, and the run facts.
#[derive(Debug, Clone)]
pub struct ResultSet {
    batch: RecordBatch,
    column_types: Vec<KqlType>,
    pub facts: RunFacts,
    /// How the query asked for the result to be drawn (`| render …`), if it did.
    render: Option<RenderHint>,
}

impl ResultSet {
    /// Joins the backend's batches into one (the grid and sort index rows directly).
    pub fn new(
        schema: SchemaRef,
        batches: &[RecordBatch],
        column_types: Vec<KqlType>,
        facts: RunFacts,
    ) -> Result<ResultSet, ArrowError> {
        if column_types.len() != schema.fields().len() {
            return Err(ArrowError::SchemaError(format!(
                "{} column types for {} columns",
                column_types.len(),
                schema.fields().len()
            )));
        }
        // One batch (a decoded Graph response) is taken as it is: concatenating would copy it
        // and hold two copies at the peak.
        let batch = match batches {
            [only] if only.schema() == schema => only.clone(),
            _ => concat_batches(&schema, batches)?,
        };
        let mut facts = facts;
        facts.row_count = batch.num_rows();
        Ok(ResultSet {
            batch,
            column_types,
            facts,
            render: None,
        })
    }

    /// The result with the query's render hint (the rows are unchanged).
    pub fn with_render(mut self, hint: RenderHint) -> ResultSet {
        self.render = Some(hint);
        self
    }

    /// How the query asked for the result to be drawn: `None` when it ended without `render`.
    pub fn render(&self) -> Option<&RenderHint> {
        self.render.as_ref()
    }

    /// Column types from field metadata (or the Arrow types).
    pub fn from_batches(
        schema: SchemaRef,
        batches: &[RecordBatch],
        facts: RunFacts,
    ) -> Result<ResultSet, ArrowError> {
        let types = schema.fields().iter().map(|f| field_kql_type(f)).collect();
        ResultSet::new(schema, batches, types, facts)
    }

    pub fn schema(&self) -> SchemaRef {
        self.batch.schema()
    }

    pub fn batch(&self) -> &RecordBatch {
        &self.batch
    }

    pub fn row_count(&self) -> usize {
        self.batch.num_rows()
    }

    pub fn column_count(&self) -> usize {
        self.batch.num_columns()
    }

    pub fn column_name(&self, index: usize) -> String {
        self.batch.schema().field(index).name().clone()
    }

    pub fn column_names(&self) -> Vec<String> {
        self.batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    pub fn column_type(&self, index: usize) -> KqlType {
        self.column_types[index]
    }

    pub fn column_types(&self) -> &[KqlType] {
        &self.column_types
    }

    pub fn column(&self, index: usize) -> &ArrayRef {
        self.batch.column(index)
    }

    /// The raw text of one cell (the form export and the inspector use), `None` for null.
    pub fn cell_text(&self, row: usize, column: usize) -> Option<String> {
        format::cell_text(
            self.batch.column(column).as_ref(),
            row,
            self.column_types[column],
        )
    }

    /// The row order that sorts by one column, typed: `order[position]` = source row. Follows
    /// KQL's sort operator (sort-operator.md): ascending puts nulls first, descending puts them
    /// last, and a real NaN is grouped with the nulls. Equal values keep the order the query
    /// gave them, in both directions (a stable sort).
    ///
    /// - numbers numerically, datetimes and timespans by their ticks, bools false < true;
    /// - strings and guids by their UTF-8 bytes (ordinal, case-sensitive);
    /// - `dynamic` (not a KQL sort key; the grid's own rule, field case F09): JSON `null` with
    ///   the nulls, then numbers numerically, then strings by their text, then any other JSON
    ///   (bools, arrays, objects) by its JSON text; descending reverses that order;
    /// - any other Arrow type through Arrow's sort, or its text when Arrow cannot sort it.
    ///
    /// A column index out of range gives the query order.
    pub fn sorted_order(&self, column: usize, descending: bool) -> Vec<u32> {
        if column >= self.column_count() {
            return (0..self.row_count() as u32).collect();
        }
        let array = self.batch.column(column).as_ref();
        match (self.column_types[column], array.data_type()) {
            (KqlType::Dynamic, DataType::Utf8) => {
                let keys: Vec<Option<DynamicKey>> = array
                    .as_string::<i32>()
                    .iter()
                    .map(|v| v.and_then(DynamicKey::read))
                    .collect();
                stable_order(
                    array.len(),
                    descending,
                    |r| keys[r].is_none(),
                    |a, b| match (&keys[a], &keys[b]) {
                        (Some(x), Some(y)) => x.cmp(y),
                        _ => Ordering::Equal,
                    },
                )
            }
            (_, DataType::Utf8) => string_order(array.as_string::<i32>(), descending),
            (_, DataType::Int64) => {
                let values = array.as_primitive::<Int64Type>().values();
                stable_order(
                    array.len(),
                    descending,
                    |r| array.is_null(r),
                    |a, b| values[a].cmp(&values[b]),
                )
            }
            (_, DataType::Int32) => {
                let values = array.as_primitive::<Int32Type>().values();
                stable_order(
                    array.len(),
                    descending,
                    |r| array.is_null(r),
                    |a, b| values[a].cmp(&values[b]),
                )
            }
            (_, DataType::Float64) => {
                let values = array.as_primitive::<Float64Type>().values();
                stable_order(
                    array.len(),
                    descending,
                    |r| array.is_null(r) || values[r].is_nan(),
                    |a, b| values[a].total_cmp(&values[b]),
                )
            }
            (_, DataType::Boolean) => {
                let values = array.as_boolean();
                stable_order(
                    array.len(),
                    descending,
                    |r| values.is_null(r),
                    |a, b| values.value(a).cmp(&values.value(b)),
                )
            }
            _ => self.arrow_sorted_order(column, descending),
        }
    }

    /// Arrow's sort for the other Arrow types (files' narrow integers, timestamps …), the row
    /// position breaking ties; nested data Arrow cannot sort goes by its text.
    fn arrow_sorted_order(&self, column: usize, descending: bool) -> Vec<u32> {
        let array = self.batch.column(column);
        let options = SortOptions {
            descending,
            nulls_first: !descending,
        };
        let positions: ArrayRef =
            Arc::new(UInt32Array::from_iter_values(0..self.row_count() as u32));
        let keys = [
            SortColumn {
                values: array.clone(),
                options: Some(options),
            },
            SortColumn {
                values: positions,
                options: None,
            },
        ];
        match lexsort_to_indices(&keys, None) {
            Ok(indices) => indices.values().to_vec(),
            Err(_) => {
                let texts: Vec<Option<String>> = (0..self.row_count())
                    .map(|r| self.cell_text(r, column))
                    .collect();
                stable_order(
                    texts.len(),
                    descending,
                    |r| texts[r].is_none(),
                    |a, b| texts[a].cmp(&texts[b]),
                )
            }
        }
    }
}

/// A string column's order by UTF-8 bytes (see [`ResultSet::sorted_order`]). Each row is sorted as
/// (its first 8 bytes as a number, its bytes, its row): most comparisons end on the number,
/// without touching the strings, and the row makes the unstable sort give the stable order.
fn string_order(strings: &StringArray, descending: bool) -> Vec<u32> {
    let mut nulls = Vec::new();
    let mut keyed: Vec<(u64, &[u8], u32)> = Vec::with_capacity(strings.len());
    for row in 0..strings.len() {
        if strings.is_null(row) {
            nulls.push(row as u32);
            continue;
        }
        let bytes = strings.value(row).as_bytes();
        let mut head = [0u8; 8];
        let n = bytes.len().min(8);
        head[..n].copy_from_slice(&bytes[..n]);
        // Big-endian: numbers order as the bytes do (a shorter string pads with zeros and ties
        // on the number with its zero-padded peers; the bytes then decide).
        keyed.push((u64::from_be_bytes(head), bytes, row as u32));
    }
    if descending {
        keyed.sort_unstable_by(|a, b| (b.0, b.1).cmp(&(a.0, a.1)).then(a.2.cmp(&b.2)));
    } else {
        keyed.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    }
    let values = keyed.into_iter().map(|(_, _, row)| row);
    if descending {
        values.chain(nulls).collect()
    } else {
        nulls.into_iter().chain(values).collect()
    }
}

/// The rows `0..len` sorted stably by `cmp`, nulls first ascending and last descending.
fn stable_order(
    len: usize,
    descending: bool,
    is_null: impl Fn(usize) -> bool,
    cmp: impl Fn(usize, usize) -> Ordering,
) -> Vec<u32> {
    let (mut nulls, mut values): (Vec<u32>, Vec<u32>) =
        (0..len as u32).partition(|&r| is_null(r as usize));
    // Equal values are ordered by row, so the (faster) unstable sort gives the stable order:
    // equal values keep the query's order in both directions.
    if descending {
        values.sort_unstable_by(|&a, &b| cmp(b as usize, a as usize).then(a.cmp(&b)));
        values.append(&mut nulls);
        values
    } else {
        values.sort_unstable_by(|&a, &b| cmp(a as usize, b as usize).then(a.cmp(&b)));
        nulls.append(&mut values);
        nulls
    }
}

/// How a dynamic value sorts in the grid (see [`ResultSet::sorted_order`]): the variants are in
/// sort order, so the derived ordering ranks numbers before strings before other JSON.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum DynamicKey {
    Number(f64),
    String(String),
    Other(String),
}

impl DynamicKey {
    /// `None` for JSON `null`: it sorts with the nulls.
    fn read(json: &str) -> Option<DynamicKey> {
        let text = json.trim();
        match text.as_bytes().first() {
            Some(b'-' | b'0'..=b'9') => match text.parse::<f64>() {
                Ok(number) if number.is_finite() => Some(DynamicKey::Number(number)),
                _ => Some(DynamicKey::Other(text.to_string())),
            },
            Some(b'"') => Some(match serde_json::from_str::<String>(text) {
                Ok(string) => DynamicKey::String(string),
                Err(_) => DynamicKey::Other(text.to_string()),
            }),
            _ if text == "null" => None,
            _ => Some(DynamicKey::Other(text.to_string())),
        }
    }

    fn cmp(&self, other: &DynamicKey) -> Ordering {
        // Finite numbers only, so the partial order is total here.
        self.partial_cmp(other).unwrap_or(Ordering::Equal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};

    fn facts() -> RunFacts {
        RunFacts {
            elapsed: Duration::ZERO,
            row_count: 0,
            truncated: false,
            backend: "test".into(),
            window: None,
            warnings: Vec::new(),
            ran_on: None,
        }
    }

    #[test]
    fn sort_is_typed_and_places_nulls_like_kql() {
        let schema = Arc::new(Schema::new(vec![
            kql_field("n", KqlType::Long),
            kql_field("s", KqlType::String),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![Some(10), None, Some(9), Some(100)])),
                Arc::new(StringArray::from(vec!["b", "a", "c", "A"])),
            ],
        )
        .unwrap();
        let result = ResultSet::from_batches(schema, &[batch], facts()).unwrap();
        assert_eq!(
            result.sorted_order(0, false),
            vec![1, 2, 0, 3],
            "nulls first, 9 < 10 < 100"
        );
        assert_eq!(result.sorted_order(0, true), vec![3, 0, 2, 1], "nulls last");
        assert_eq!(result.sorted_order(1, false), vec![3, 1, 0, 2]);
        assert_eq!(result.column_types(), &[KqlType::Long, KqlType::String]);
        assert_eq!(result.facts.row_count, 4);
    }

    #[test]
    fn sort_keeps_the_query_order_of_equal_values() {
        let schema = Arc::new(Schema::new(vec![kql_field("n", KqlType::Long)]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int64Array::from(vec![1, 0, 1, 0, 1]))],
        )
        .unwrap();
        let result = ResultSet::from_batches(schema, &[batch], facts()).unwrap();
        assert_eq!(result.sorted_order(0, false), vec![1, 3, 0, 2, 4]);
        assert_eq!(result.sorted_order(0, true), vec![0, 2, 4, 1, 3]);
    }

    #[test]
    fn kql_types_round_trip_through_field_metadata() {
        for t in [
            KqlType::Dynamic,
            KqlType::Guid,
            KqlType::Timespan,
            KqlType::DateTime,
        ] {
            assert_eq!(field_kql_type(&kql_field("x", t)), t);
        }
        assert_eq!(
            field_kql_type(&Field::new("x", DataType::Int16, true)),
            KqlType::Int
        );
    }

    fn result(fields: Vec<Field>, columns: Vec<ArrayRef>) -> ResultSet {
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        ResultSet::from_batches(schema, &[batch], facts()).unwrap()
    }

    /// Field case F09: typed sort, KQL's null placement, 7th-digit datetimes.
    #[test]
    fn f09_sorts_by_type_with_kql_null_placement() {
        let t = |s: &str| crate::kql::time::parse_datetime(s).unwrap();
        let result = result(
            vec![
                kql_field("FileName", KqlType::String),
                kql_field("FileSize", KqlType::Long),
                kql_field("Timestamp", KqlType::DateTime),
            ],
            vec![
                Arc::new(StringArray::from(vec!["a.exe", "b.exe", "c.exe", "d.exe"])),
                Arc::new(Int64Array::from(vec![Some(9), Some(10), None, Some(100)])),
                Arc::new(Int64Array::from(vec![
                    Some(t("2024-03-26T09:39:50.7688641Z")),
                    Some(t("2024-03-26T09:39:50.7688640Z")),
                    None,
                    Some(t("2024-03-26T09:39:50.7688642Z")),
                ])),
            ],
        );
        let names = |order: Vec<u32>| -> String {
            order
                .iter()
                .map(|&r| result.cell_text(r as usize, 0).unwrap()[..1].to_string())
                .collect()
        };
        assert_eq!(names(result.sorted_order(1, true)), "dbac");
        assert_eq!(names(result.sorted_order(1, false)), "cabd");
        assert_eq!(names(result.sorted_order(2, false)), "cbad");
        assert_eq!(names(result.sorted_order(2, true)), "dabc");
        // Out of range: the query order, not a panic.
        assert_eq!(result.sorted_order(7, false), vec![0, 1, 2, 3]);
    }

    #[test]
    fn reals_group_nan_with_nulls_and_bools_sort_false_first() {
        use datafusion::arrow::array::{BooleanArray, Float64Array};
        let result = result(
            vec![kql_field("R", KqlType::Real), kql_field("B", KqlType::Bool)],
            vec![
                Arc::new(Float64Array::from(vec![
                    Some(2.0),
                    Some(f64::NAN),
                    None,
                    Some(-1.0),
                    Some(f64::INFINITY),
                ])),
                Arc::new(BooleanArray::from(vec![
                    Some(true),
                    None,
                    Some(false),
                    Some(true),
                    Some(false),
                ])),
            ],
        );
        assert_eq!(result.sorted_order(0, false), vec![1, 2, 3, 0, 4]);
        assert_eq!(result.sorted_order(0, true), vec![4, 0, 3, 1, 2]);
        assert_eq!(result.sorted_order(1, false), vec![1, 2, 4, 0, 3]);
        assert_eq!(result.sorted_order(1, true), vec![0, 3, 2, 4, 1]);
    }

    /// The grid's rule for dynamic columns: nulls (and JSON null), numbers numerically,
    /// strings, then other JSON by its text; stable.
    #[test]
    fn dynamic_columns_sort_nulls_numbers_strings_then_json() {
        let values = vec![
            Some("\"b\""),     // 0 string
            Some("10"),        // 1 number
            None,              // 2 null
            Some("{\"a\":1}"), // 3 object
            Some("9.5"),       // 4 number
            Some("null"),      // 5 JSON null
            Some("\"a\""),     // 6 string
            Some("[1]"),       // 7 array
            Some("-3"),        // 8 number
            Some("true"),      // 9 bool
            Some("10"),        // 10 number equal to 1
        ];
        let result = result(
            vec![kql_field("D", KqlType::Dynamic)],
            vec![Arc::new(StringArray::from(values))],
        );
        assert_eq!(
            result.sorted_order(0, false),
            vec![2, 5, 8, 4, 1, 10, 6, 0, 7, 9, 3]
        );
        assert_eq!(
            result.sorted_order(0, true),
            vec![3, 9, 7, 0, 6, 1, 10, 4, 8, 2, 5]
        );
    }

    /// The string sort equals a plain stable sort by bytes, prefixes and ties included.
    #[test]
    fn string_sort_matches_a_plain_stable_sort() {
        let values = vec![
            Some("abcdefghX"),
            Some("abcdefgh"),
            None,
            Some("abc"),
            Some("abc\0"),
            Some("b"),
            Some("abcdefghX"),
            Some(""),
            None,
            Some("Ärger"),
            Some("abcdefgh\u{1}"),
            Some("abc"),
        ];
        let result = result(
            vec![kql_field("S", KqlType::String)],
            vec![Arc::new(StringArray::from(values.clone()))],
        );
        for descending in [false, true] {
            let mut expected: Vec<u32> = (0..values.len() as u32).collect();
            expected.sort_by(|&a, &b| {
                let (x, y) = (values[a as usize], values[b as usize]);
                match (x, y) {
                    (None, None) => Ordering::Equal,
                    (None, _) => {
                        if descending {
                            Ordering::Greater
                        } else {
                            Ordering::Less
                        }
                    }
                    (_, None) => {
                        if descending {
                            Ordering::Less
                        } else {
                            Ordering::Greater
                        }
                    }
                    (Some(x), Some(y)) if descending => y.as_bytes().cmp(x.as_bytes()),
                    (Some(x), Some(y)) => x.as_bytes().cmp(y.as_bytes()),
                }
            });
            assert_eq!(result.sorted_order(0, descending), expected, "{descending}");
        }
    }
}
