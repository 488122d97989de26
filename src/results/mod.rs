//! The result model every backend returns, and what the UI, CLI and export do with it: typed cell
//! formatting, safe display of hostile text, sort and export. Nothing here knows where rows came
//! from.

pub mod export;
pub mod filter;
pub mod format;
pub mod frequency;
pub mod safe;
pub mod search;

use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{ArrayRef, UInt32Array};
use datafusion::arrow::compute::{SortColumn, SortOptions, concat_batches, lexsort_to_indices};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
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
}

/// A query's answer: one Arrow batch, the KQL type of each column, and the run facts.
#[derive(Debug, Clone)]
pub struct ResultSet {
    batch: RecordBatch,
    column_types: Vec<KqlType>,
    pub facts: RunFacts,
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
        })
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

    /// The row order that sorts by one column, typed (numbers as numbers, datetimes as time).
    /// Follows KQL: ascending puts nulls first, descending puts them last.
    pub fn sorted_order(&self, column: usize, descending: bool) -> Vec<u32> {
        let array = self.batch.column(column);
        let options = SortOptions {
            descending,
            nulls_first: !descending,
        };
        // The row position breaks ties, so equal values keep the order the query gave them.
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
            // A type Arrow cannot sort (nested data) falls back to its text.
            Err(_) => {
                let mut order: Vec<u32> = (0..self.row_count() as u32).collect();
                let texts: Vec<Option<String>> = (0..self.row_count())
                    .map(|r| self.cell_text(r, column))
                    .collect();
                order.sort_by(|a, b| {
                    let (x, y) = (&texts[*a as usize], &texts[*b as usize]);
                    let ordering = match (x, y) {
                        (None, None) => std::cmp::Ordering::Equal,
                        (None, Some(_)) => std::cmp::Ordering::Less,
                        (Some(_), None) => std::cmp::Ordering::Greater,
                        (Some(x), Some(y)) => x.cmp(y),
                    };
                    if descending {
                        ordering.reverse()
                    } else {
                        ordering
                    }
                });
                order
            }
        }
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
}
