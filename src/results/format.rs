//! Typed cell formatting: the raw text of a value (for export, copy and the inspector), the
//! grid's shorter form, and JSON values in Graph's shape.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use super::KqlType;

/// The value of one cell as a string; `None` for null.
pub fn cell_text(array: &dyn Array, row: usize, kql_type: KqlType) -> Option<String> {
    cell_value(array, row).map(|value| value.to_text(kql_type))
}

/// The grid's form: like the raw text, but datetimes to the millisecond with a space.
pub fn cell_display(array: &dyn Array, row: usize, kql_type: KqlType) -> String {
    match cell_value(array, row) {
        None => String::new(),
        Some(Value::Timestamp(nanos)) => format_datetime_short(nanos),
        Some(value) => value.to_text(kql_type),
    }
}

/// The cell as Graph would send it: datetimes as ISO 8601 strings with 7 fractional digits,
/// dynamic values as JSON, numbers as numbers.
pub fn cell_json(array: &dyn Array, row: usize, kql_type: KqlType) -> serde_json::Value {
    use serde_json::Value as J;
    let Some(value) = cell_value(array, row) else {
        return J::Null;
    };
    match value {
        Value::Bool(b) => J::Bool(b),
        Value::Int(i) => J::from(i),
        Value::UInt(u) => J::from(u),
        Value::Float(f) if f.is_finite() => J::from(f),
        Value::Float(f) => J::String(format_real(f)),
        Value::Text(text) if kql_type == KqlType::Dynamic => {
            serde_json::from_str(&text).unwrap_or(J::String(text))
        }
        other => J::String(other.to_text(kql_type)),
    }
}

/// One cell read out of Arrow.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// Nanoseconds since 1970-01-01 UTC.
    Timestamp(i64),
    /// Nanoseconds.
    Duration(i64),
    Text(String),
}

impl Value {
    pub fn to_text(&self, kql_type: KqlType) -> String {
        match self {
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::UInt(u) => u.to_string(),
            Value::Float(f) => format_real(*f),
            Value::Timestamp(nanos) => format_datetime(*nanos),
            Value::Duration(nanos) => format_timespan(*nanos),
            // A dynamic string reads as the string (as `tostring()` gives it), other dynamic
            // values as their JSON.
            Value::Text(text) if kql_type == KqlType::Dynamic && text.starts_with('"') => {
                serde_json::from_str::<String>(text).unwrap_or_else(|_| text.clone())
            }
            Value::Text(text) => text.clone(),
        }
    }
}

pub fn cell_value(array: &dyn Array, row: usize) -> Option<Value> {
    if row >= array.len() || array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Int8 => Value::Int(array.as_primitive::<Int8Type>().value(row).into()),
        DataType::Int16 => Value::Int(array.as_primitive::<Int16Type>().value(row).into()),
        DataType::Int32 => Value::Int(array.as_primitive::<Int32Type>().value(row).into()),
        DataType::Int64 => Value::Int(array.as_primitive::<Int64Type>().value(row)),
        DataType::UInt8 => Value::UInt(array.as_primitive::<UInt8Type>().value(row).into()),
        DataType::UInt16 => Value::UInt(array.as_primitive::<UInt16Type>().value(row).into()),
        DataType::UInt32 => Value::UInt(array.as_primitive::<UInt32Type>().value(row).into()),
        DataType::UInt64 => Value::UInt(array.as_primitive::<UInt64Type>().value(row)),
        DataType::Float32 => Value::Float(array.as_primitive::<Float32Type>().value(row).into()),
        DataType::Float64 => Value::Float(array.as_primitive::<Float64Type>().value(row)),
        DataType::Utf8 => Value::Text(array.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 => Value::Text(array.as_string::<i64>().value(row).to_string()),
        DataType::Utf8View => Value::Text(array.as_string_view().value(row).to_string()),
        DataType::Timestamp(unit, _) => Value::Timestamp(time_nanos(array, row, unit)),
        DataType::Duration(unit) => Value::Duration(time_nanos(array, row, unit)),
        _ => {
            let options = FormatOptions::default();
            match ArrayFormatter::try_new(array, &options) {
                Ok(formatter) => Value::Text(formatter.value(row).to_string()),
                Err(_) => Value::Text(format!("<{}>", array.data_type())),
            }
        }
    })
}

/// A timestamp or duration cell in nanoseconds. Every timestamp and duration array holds one
/// i64 per row in its first buffer, in its unit.
fn time_nanos(array: &dyn Array, row: usize, unit: &TimeUnit) -> i64 {
    let per_unit = match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    };
    array.to_data().buffer::<i64>(0)[row].saturating_mul(per_unit)
}

/// KQL's real formatting: the shortest text that reads back as the same number.
pub fn format_real(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value.is_infinite() {
        if value > 0.0 {
            "Infinity".to_string()
        } else {
            "-Infinity".to_string()
        }
    } else {
        value.to_string()
    }
}

fn split_nanos(nanos: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    let seconds = nanos.div_euclid(1_000_000_000);
    let sub = nanos.rem_euclid(1_000_000_000) as u32;
    chrono::DateTime::from_timestamp(seconds, sub)
}

/// ISO 8601 UTC with 7 fractional digits (KQL's 100 ns precision), as Graph sends datetimes.
pub fn format_datetime(nanos: i64) -> String {
    match split_nanos(nanos) {
        Some(dt) => format!(
            "{}.{:07}Z",
            dt.format("%Y-%m-%dT%H:%M:%S"),
            dt.timestamp_subsec_nanos() / 100
        ),
        None => nanos.to_string(),
    }
}

/// `2020-08-30 06:38:35.766`, the grid's form.
pub fn format_datetime_short(nanos: i64) -> String {
    match split_nanos(nanos) {
        Some(dt) => dt.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        None => nanos.to_string(),
    }
}

pub use crate::kql::format_timespan;

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        DurationNanosecondArray, Float64Array, StringArray, TimestampNanosecondArray,
    };

    #[test]
    fn datetimes_have_seven_fraction_digits() {
        let nanos = 1_598_769_515_766_435_600; // 2020-08-30T06:38:35.7664356Z
        assert_eq!(format_datetime(nanos), "2020-08-30T06:38:35.7664356Z");
        assert_eq!(format_datetime_short(nanos), "2020-08-30 06:38:35.766");
        assert_eq!(format_datetime(-1), "1969-12-31T23:59:59.9999999Z");
    }

    #[test]
    fn every_time_unit_reads_as_nanoseconds_even_in_slices() {
        use datafusion::arrow::array::{DurationSecondArray, TimestampMillisecondArray};
        let millis = TimestampMillisecondArray::from(vec![1_000, 2_000, 3_000]).slice(1, 2);
        assert_eq!(
            cell_value(&millis, 0),
            Some(Value::Timestamp(2_000_000_000))
        );
        let seconds = DurationSecondArray::from(vec![Some(5), None, Some(7)]).slice(1, 2);
        assert_eq!(cell_value(&seconds, 0), None);
        assert_eq!(
            cell_value(&seconds, 1),
            Some(Value::Duration(7_000_000_000))
        );
    }

    #[test]
    fn timespans_read_like_kql() {
        assert_eq!(format_timespan(90 * 60 * 1_000_000_000), "01:30:00");
        assert_eq!(
            format_timespan(2 * 86_400 * 1_000_000_000 + 1_500_000_000),
            "2.00:00:01.5000000"
        );
        assert_eq!(format_timespan(-1_000_000_000), "-00:00:01");
    }

    #[test]
    fn json_cells_follow_graph() {
        let ts = TimestampNanosecondArray::from(vec![Some(0), None]);
        assert_eq!(
            cell_json(&ts, 0, KqlType::DateTime),
            serde_json::json!("1970-01-01T00:00:00.0000000Z")
        );
        assert_eq!(
            cell_json(&ts, 1, KqlType::DateTime),
            serde_json::Value::Null
        );
        let dynamic = StringArray::from(vec!["{\"a\":[1,2]}", "not json"]);
        assert_eq!(
            cell_json(&dynamic, 0, KqlType::Dynamic),
            serde_json::json!({"a": [1, 2]})
        );
        assert_eq!(
            cell_json(&dynamic, 1, KqlType::Dynamic),
            serde_json::json!("not json")
        );
        let reals = Float64Array::from(vec![1.5, f64::NAN]);
        assert_eq!(cell_json(&reals, 0, KqlType::Real), serde_json::json!(1.5));
        assert_eq!(
            cell_json(&reals, 1, KqlType::Real),
            serde_json::json!("NaN")
        );
        assert_eq!(
            cell_text(&StringArray::from(vec!["\"a\\\"b\""]), 0, KqlType::Dynamic).unwrap(),
            "a\"b"
        );
        let spans = DurationNanosecondArray::from(vec![3_600_000_000_000]);
        assert_eq!(cell_text(&spans, 0, KqlType::Timespan).unwrap(), "01:00:00");
    }
}
