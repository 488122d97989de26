//! Parquet files as a table: DataFusion's listing table scans them (projection, row-group
//! pruning and filter push-down), under a view that gives each column the Arrow type hunt holds
//! its KQL type in (`KqlType::arrow_type`): timestamps become 100 ns ticks, small integers `int`,
//! text `Utf8` with `""` for null strings. The view is inlined into each query's plan, so filters
//! on the columns still reach the scan.

use std::fs::File;
use std::sync::Arc;

use datafusion::arrow::array::{AsArray, Int64Array};
use datafusion::arrow::compute::kernels::arity::unary;
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::view::ViewTable;
use datafusion::common::{Result as DfResult, ScalarValue};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlanBuilder, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility, cast, ident, lit,
};
use datafusion::parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};

use super::{DataFile, Typed, describe};
use crate::engine::CatalogTable;
use crate::kql::time::{TICKS_PER_DAY, TICKS_PER_MILLISECOND, UNIX_EPOCH_TICKS};
use crate::results::{KQL_TYPE_METADATA, KqlType};

/// The Parquet files of one table as a catalog table, and a note for the user.
///
/// Errors: a file whose footer cannot be read (not Parquet, truncated), files whose columns
/// differ in name or type (named, with both files).
pub(super) fn table(
    name: &str,
    files: &[DataFile],
    schema: Option<&[(String, KqlType)]>,
) -> Result<(CatalogTable, String), String> {
    let mut first: Option<SchemaRef> = None;
    for file in files {
        let found = file_schema(file)?;
        match &first {
            None => first = Some(found),
            Some(first_schema) => check_same(first_schema, &found, &files[0], file)?,
        }
    }
    let Some(file_schema) = first else {
        return Err(format!("table '{name}': no files"));
    };
    let mut columns = Vec::new();
    let mut exprs = Vec::new();
    let mut left_out = Vec::new();
    for field in scan_schema(&file_schema).fields() {
        let known = schema.and_then(|s| s.iter().find(|(n, _)| n == field.name()).map(|(_, t)| *t));
        match column_expr(field, known) {
            Some((kql, expr)) => {
                exprs.push(expr.alias(field.name()));
                columns.push((field.name().clone(), kql));
            }
            None => left_out.push(format!("{} ({})", field.name(), field.data_type())),
        }
    }
    let urls = files
        .iter()
        .map(|file| {
            let absolute = std::path::absolute(&file.path)
                .map_err(|e| format!("{}: {e}", file.path.display()))?;
            let text = absolute
                .to_str()
                .ok_or_else(|| format!("{}: the path is not UTF-8", file.path.display()))?;
            ListingTableUrl::parse(text).map_err(|e| format!("{}: {e}", file.path.display()))
        })
        .collect::<Result<Vec<_>, String>>()?;
    // Every name is a file given by path: no extension filter.
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension("");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(scan_schema(&file_schema));
    let engine_error = |e: datafusion::error::DataFusionError| format!("table '{name}': {e}");
    let listing = ListingTable::try_new(config).map_err(engine_error)?;
    let plan = LogicalPlanBuilder::scan(name, provider_as_source(Arc::new(listing)), None)
        .and_then(|b| b.project(exprs))
        .and_then(|b| b.build())
        .map_err(engine_error)?;
    let mut note = describe(name, files, &columns, Typed::Files);
    if !left_out.is_empty() {
        note.push_str(&format!(
            "; left out (types hunt cannot read yet): {}",
            left_out.join(", ")
        ));
    }
    Ok((
        CatalogTable {
            provider: Arc::new(ViewTable::new(plan, None)),
            columns,
        },
        note,
    ))
}

/// The Arrow schema a Parquet file's footer gives.
fn file_schema(file: &DataFile) -> Result<SchemaRef, String> {
    let shown = file.path.display();
    let handle = File::open(&file.path).map_err(|e| format!("{shown}: {e}"))?;
    let metadata = ArrowReaderMetadata::load(&handle, ArrowReaderOptions::new())
        .map_err(|e| format!("{shown}: not a readable Parquet file ({e})"))?;
    Ok(metadata.schema().clone())
}

/// The schema the scan reads the files in: text columns as `Utf8View`, whose values point into
/// the decoded pages rather than being copied. A group-by over them compares the views' inline
/// prefixes (`string_views::GroupOnStringViews` keeps them views there); elsewhere the table's
/// view converts them to `Utf8`, at about the cost of reading `Utf8` directly.
fn scan_schema(file_schema: &Schema) -> SchemaRef {
    let fields = file_schema
        .fields()
        .iter()
        .map(|field| match field.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 => {
                Arc::new(field.as_ref().clone().with_data_type(DataType::Utf8View))
            }
            _ => field.clone(),
        });
    Arc::new(Schema::new_with_metadata(
        fields.collect::<Vec<_>>(),
        file_schema.metadata().clone(),
    ))
}

/// Files of one table must have the same columns with the same types.
fn check_same(
    first: &Schema,
    other: &Schema,
    first_file: &DataFile,
    file: &DataFile,
) -> Result<(), String> {
    let describe = |field: Option<&Arc<Field>>| match field {
        Some(field) => format!("'{}' ({})", field.name(), field.data_type()),
        None => "no column".to_string(),
    };
    let width = first.fields().len().max(other.fields().len());
    for at in 0..width {
        let (a, b) = (first.fields().get(at), other.fields().get(at));
        let same = match (a, b) {
            (Some(a), Some(b)) => a.name() == b.name() && a.data_type() == b.data_type(),
            _ => false,
        };
        if !same {
            return Err(format!(
                "{}: column {} is {} where {} has {}; files of one table need the same columns",
                file.path.display(),
                at + 1,
                describe(b),
                first_file.path.display(),
                describe(a)
            ));
        }
    }
    Ok(())
}

/// How one Parquet column reads as KQL: its type (the file's own `kql_type` note, else the
/// advanced hunting schema's, else the Arrow type's) and the expression that converts it; `None`
/// for types hunt cannot read yet (binary, lists, structs, maps).
fn column_expr(field: &Field, known: Option<KqlType>) -> Option<(KqlType, Expr)> {
    let column = ident(field.name());
    let noted = field
        .metadata()
        .get(KQL_TYPE_METADATA)
        .and_then(|n| KqlType::from_kql_name(n));
    let ticks = |column: Expr, unit: &TimeUnit, epoch: i64| {
        ScalarUDF::from(TicksUdf::new(*unit, epoch)).call(vec![column])
    };
    Some(match field.data_type() {
        DataType::Timestamp(unit, _) => (KqlType::DateTime, ticks(column, unit, UNIX_EPOCH_TICKS)),
        DataType::Date32 => (
            KqlType::DateTime,
            cast(column, DataType::Int64) * lit(TICKS_PER_DAY) + lit(UNIX_EPOCH_TICKS),
        ),
        DataType::Date64 => (
            KqlType::DateTime,
            cast(column, DataType::Int64) * lit(TICKS_PER_MILLISECOND) + lit(UNIX_EPOCH_TICKS),
        ),
        DataType::Duration(unit) => (KqlType::Timespan, ticks(column, unit, 0)),
        DataType::Boolean => (KqlType::Bool, column),
        DataType::Int64 => {
            // hunt's own exports note datetimes and timespans held as ticks.
            // Only hunt's own note says a long holds ticks (others may hold Unix time).
            let kql = match noted {
                Some(t @ (KqlType::DateTime | KqlType::Timespan)) => t,
                _ => KqlType::Long,
            };
            (kql, column)
        }
        DataType::Int32 => (KqlType::Int, column),
        DataType::Int8 | DataType::Int16 | DataType::UInt8 | DataType::UInt16 => {
            (KqlType::Int, cast(column, DataType::Int32))
        }
        // A value past i64::MAX fails the query (a cast error naming it) rather than read as
        // null or wrapped.
        DataType::UInt32 | DataType::UInt64 => (KqlType::Long, cast(column, DataType::Int64)),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            (KqlType::Real, cast(column, DataType::Float64))
        }
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => (KqlType::Real, cast(column, DataType::Float64)),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => {
            if let DataType::Dictionary(_, value) = field.data_type()
                && !matches!(
                    **value,
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                )
            {
                return None;
            }
            let kql = match noted.or(known) {
                Some(t @ (KqlType::Dynamic | KqlType::Guid)) => t,
                _ => KqlType::String,
            };
            // KQL strings have no null: `kql_tostring_string` makes them "" as it converts.
            let expr = if kql == KqlType::String {
                crate::engine::udf::KqlTextUdf::udf(KqlType::String).call(vec![column])
            } else {
                cast(column, DataType::Utf8)
            };
            (kql, expr)
        }
        DataType::Null => (KqlType::String, lit("")),
        _ => return None,
    })
}

/// How many ticks (100 ns) one value of a coarser unit is; `None` for nanoseconds, 100 of which
/// make a tick (floored by `TicksUdf`).
pub(crate) fn ticks_per(unit: TimeUnit) -> Option<i64> {
    match unit {
        TimeUnit::Nanosecond => None,
        TimeUnit::Microsecond => Some(10),
        TimeUnit::Millisecond => Some(TICKS_PER_MILLISECOND),
        TimeUnit::Second => Some(10_000_000),
    }
}

/// A Parquet timestamp or duration as KQL ticks (100 ns): `kql_ticks_<unit>(column)`, an
/// `Int64` array. Nanoseconds are floored to ticks (a time never moves later) and cannot
/// overflow; coarser units that overflow the tick range (beyond about 29,000 years) become null,
/// as a KQL datetime out of range does. One pass without overflow checks where none can fail:
/// the checked arithmetic of `CAST(x AS Int64) / 100 + epoch` was a fifth of a query that reads
/// every timestamp.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct TicksUdf {
    name: String,
    unit: TimeUnit,
    epoch: i64,
    signature: Signature,
}

impl TicksUdf {
    fn new(unit: TimeUnit, epoch: i64) -> TicksUdf {
        let unit_name = match unit {
            TimeUnit::Second => "s",
            TimeUnit::Millisecond => "ms",
            TimeUnit::Microsecond => "us",
            TimeUnit::Nanosecond => "ns",
        };
        let kind = if epoch == 0 { "duration" } else { "timestamp" };
        TicksUdf {
            name: format!("kql_ticks_of_{kind}_{unit_name}"),
            unit,
            epoch,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }

    /// The file's unit, and the ticks added (the Unix epoch's for a timestamp, 0 for a
    /// duration).
    pub(crate) fn unit_and_epoch(&self) -> (TimeUnit, i64) {
        (self.unit, self.epoch)
    }

    fn convert(&self, values: &Int64Array) -> Int64Array {
        let epoch = self.epoch;
        match ticks_per(self.unit) {
            // |i64::MIN / 100| + the epoch stays far inside i64.
            None => unary(values, |v| v.div_euclid(100) + epoch),
            Some(per) => values.unary_opt(|v| v.checked_mul(per)?.checked_add(epoch)),
        }
    }
}

impl ScalarUDFImpl for TicksUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let array = args.args[0].to_array(args.number_rows)?;
        // Timestamps and durations of any unit are i64 underneath: a cast reinterprets.
        let raw = datafusion::arrow::compute::cast(&array, &DataType::Int64)?;
        let ticks = self.convert(raw.as_primitive::<Int64Type>());
        if scalar {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &ticks, 0,
            )?));
        }
        Ok(ColumnarValue::Array(Arc::new(ticks)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Array;

    #[test]
    fn parquet_times_become_ticks() {
        let values = Int64Array::from(vec![Some(-150), Some(0), None, Some(i64::MAX)]);
        let nanos = TicksUdf::new(TimeUnit::Nanosecond, UNIX_EPOCH_TICKS).convert(&values);
        // -150 ns is 1.5 ticks before the epoch: floored, not rounded toward it.
        assert_eq!(nanos.value(0), UNIX_EPOCH_TICKS - 2);
        assert_eq!(nanos.value(1), UNIX_EPOCH_TICKS);
        assert!(nanos.is_null(2));
        assert_eq!(nanos.value(3), i64::MAX / 100 + UNIX_EPOCH_TICKS);
        let seconds = TicksUdf::new(TimeUnit::Second, UNIX_EPOCH_TICKS).convert(&values);
        assert_eq!(seconds.value(0), UNIX_EPOCH_TICKS - 1_500_000_000);
        // Past the tick range: null, not an error and not a wrapped value.
        assert!(seconds.is_null(3));
        let millis = TicksUdf::new(TimeUnit::Millisecond, 0).convert(&values);
        assert_eq!(millis.value(0), -1_500_000);
        let micros = TicksUdf::new(TimeUnit::Microsecond, 0).convert(&values);
        assert_eq!(micros.value(0), -1500);
    }
}
