//! Typed cell formatting: the KQL text of a value (for the grid, export, copy and the
//! inspector: one text everywhere, so values that differ in the 7th fraction digit look
//! different), and JSON values in Graph's shape. The text of datetimes, timespans and
//! reals comes from `kql::time`, the same functions `tostring()` uses in the engine.

use std::io::Write as _;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use super::KqlType;
use crate::kql::time;

/// The value of one cell as KQL text (what `tostring()` gives, and what export, copy and the
/// inspector use); `None` for null.
pub fn cell_text(array: &dyn Array, row: usize, kql_type: KqlType) -> Option<String> {
    cell_value(array, row, kql_type).map(|value| value.to_text(kql_type))
}

/// `1234567` → `1,234,567`.
pub fn group_digits(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The grid's and the text table's form: the KQL text, and nothing for null.
pub fn cell_display(array: &dyn Array, row: usize, kql_type: KqlType) -> String {
    cell_text(array, row, kql_type).unwrap_or_default()
}

/// The cell as Graph would send it: datetimes as ISO 8601 strings with 7 fractional digits,
/// timespans as KQL text, dynamic values as JSON, numbers as numbers.
pub fn cell_json(array: &dyn Array, row: usize, kql_type: KqlType) -> serde_json::Value {
    use serde_json::Value as J;
    let Some(value) = cell_value(array, row, kql_type) else {
        return J::Null;
    };
    match value {
        Value::Bool(b) => J::Bool(b),
        Value::Int(i) => J::from(i),
        Value::UInt(u) => J::from(u),
        Value::Float(f) if f.is_finite() => J::from(f),
        Value::Text(text) if kql_type == KqlType::Dynamic => {
            serde_json::from_str(&text).unwrap_or(J::String(text))
        }
        other => J::String(other.to_text(kql_type)),
    }
}

/// Appends to `out` the JSON text of one cell: exactly `serde_json::to_writer(cell_json(…))`,
/// without building a `serde_json::Value` (or a `String`) for text, integer and datetime cells —
/// `hunt run --format jsonl|json` writes millions of them.
pub fn push_cell_json(out: &mut Vec<u8>, array: &dyn Array, row: usize, kql_type: KqlType) {
    if row >= array.len() || array.is_null(row) {
        out.extend_from_slice(b"null");
        return;
    }
    let text = match array.data_type() {
        _ if kql_type == KqlType::Dynamic => None,
        DataType::Utf8 => Some(array.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => Some(array.as_string::<i64>().value(row)),
        DataType::Utf8View => Some(array.as_string_view().value(row)),
        _ => None,
    };
    // Writing into a Vec cannot fail.
    if let Some(text) = text {
        let _ = serde_json::to_writer(&mut *out, text);
        return;
    }
    match array.data_type() {
        DataType::Int64 if kql_type == KqlType::DateTime => {
            let mut text = String::with_capacity(28);
            push_datetime(&mut text, array.as_primitive::<Int64Type>().value(row));
            let _ = serde_json::to_writer(&mut *out, &text);
        }
        DataType::Int64 if kql_type != KqlType::Timespan => {
            let _ = write!(out, "{}", array.as_primitive::<Int64Type>().value(row));
        }
        DataType::Int32 => {
            let _ = write!(out, "{}", array.as_primitive::<Int32Type>().value(row));
        }
        _ => {
            let _ = serde_json::to_writer(&mut *out, &cell_json(array, row, kql_type));
        }
    }
}

/// One cell read out of Arrow, in KQL's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// 100 ns ticks since 0001-01-01 UTC (`kql::time`).
    DateTime(i64),
    /// 100 ns ticks.
    Timespan(i64),
    Text(String),
}

impl Value {
    /// KQL's text for the value: the one conversion behind `tostring()`, `strcat()`, the grid,
    /// CSV and JSON, so they never disagree.
    pub fn to_text(&self, kql_type: KqlType) -> String {
        match self {
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::UInt(u) => u.to_string(),
            Value::Float(f) => time::format_real(*f),
            Value::DateTime(ticks) => time::format_datetime(*ticks),
            Value::Timespan(ticks) => time::format_timespan(*ticks),
            // A dynamic string reads as the string (as `tostring()` gives it), other dynamic
            // values as their JSON.
            Value::Text(text) if kql_type == KqlType::Dynamic && text.starts_with('"') => {
                serde_json::from_str::<String>(text).unwrap_or_else(|_| text.clone())
            }
            Value::Text(text) => text.clone(),
        }
    }
}

/// One cell; `None` for null (or a row past the end). Datetimes and timespans are held as i64
/// ticks, so `kql_type` says how to read an integer column; Arrow timestamp and duration
/// columns (from files) are read as ticks too.
pub fn cell_value(array: &dyn Array, row: usize, kql_type: KqlType) -> Option<Value> {
    if row >= array.len() || array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        DataType::Int64 if kql_type == KqlType::DateTime => {
            Value::DateTime(array.as_primitive::<Int64Type>().value(row))
        }
        DataType::Int64 if kql_type == KqlType::Timespan => {
            Value::Timespan(array.as_primitive::<Int64Type>().value(row))
        }
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
        DataType::Timestamp(unit, _) => {
            match time::ticks_from_unix_nanos(time_nanos(array, row, unit)) {
                Some(ticks) => Value::DateTime(ticks),
                None => return None,
            }
        }
        DataType::Duration(unit) => {
            Value::Timespan(time_nanos(array, row, unit).div_euclid(NANOS_PER_TICK))
        }
        _ => {
            let options = FormatOptions::default();
            match ArrayFormatter::try_new(array, &options) {
                Ok(formatter) => Value::Text(formatter.value(row).to_string()),
                Err(_) => Value::Text(format!("<{}>", array.data_type())),
            }
        }
    })
}

const NANOS_PER_TICK: i64 = 100;

/// Appends the text of a datetime (ticks since 0001-01-01) to `out`: exactly
/// `kql::time::format_datetime`'s `2024-03-26T09:39:50.7688641Z`, without allocating, for the
/// grid's search and frequencies (which format 100,000s of cells). Ticks outside years 1–9999
/// are left to `format_datetime`.
pub fn push_datetime(out: &mut String, ticks: i64) {
    if !(0..=time::MAX_DATETIME_TICKS).contains(&ticks) {
        out.push_str(&time::format_datetime(ticks));
        return;
    }
    let days = ticks / time::TICKS_PER_DAY;
    let in_day = ticks % time::TICKS_PER_DAY;
    // The proleptic Gregorian calendar from a day count, shifted so that eras of 400 years
    // start on 0000-03-01 (leap days fall at the end of a shifted year).
    let shifted = days + 306; // 0000-03-01 to 0001-01-01 is 306 days
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let seconds = in_day / time::TICKS_PER_SECOND;
    let fraction = in_day % time::TICKS_PER_SECOND;
    let mut text = *b"0000-00-00T00:00:00.0000000Z";
    let mut digits = |at: usize, width: usize, value: i64| {
        let mut value = value;
        for slot in text[at..at + width].iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    digits(0, 4, year);
    digits(5, 2, month);
    digits(8, 2, day);
    digits(11, 2, seconds / 3600);
    digits(14, 2, seconds / 60 % 60);
    digits(17, 2, seconds % 60);
    digits(20, 7, fraction);
    // Only ASCII digits and separators were written.
    out.push_str(std::str::from_utf8(&text).unwrap_or_default());
}

/// A timestamp or duration cell in nanoseconds (saturating: beyond ±292 years from 1970 the
/// value is clamped, and `ticks_from_unix_nanos` then reads it as out of range). Every timestamp
/// and duration array holds one i64 per row in its first buffer, in its unit.
fn time_nanos(array: &dyn Array, row: usize, unit: &TimeUnit) -> i64 {
    let per_unit = match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    };
    // `buffer` already skips the array's offset, so slices read right.
    let data = array.to_data();
    data.buffer::<i64>(0)
        .get(row)
        .map_or(0, |v| v.saturating_mul(per_unit))
}

pub use crate::kql::time::{format_datetime, format_real, format_timespan};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::time::{TICKS_PER_HOUR, TICKS_PER_SECOND, UNIX_EPOCH_TICKS};
    use datafusion::arrow::array::{
        BooleanArray, DurationNanosecondArray, Float64Array, Int64Array, StringArray,
        TimestampNanosecondArray,
    };

    /// 2020-08-30T06:38:35.7664356Z in ticks.
    const TICKS: i64 = UNIX_EPOCH_TICKS + 15_987_695_157_664_356;

    #[test]
    fn datetimes_have_seven_fraction_digits() {
        assert_eq!(format_datetime(TICKS), "2020-08-30T06:38:35.7664356Z");
        assert_eq!(
            format_datetime(UNIX_EPOCH_TICKS - 1),
            "1969-12-31T23:59:59.9999999Z"
        );
    }

    #[test]
    fn tick_columns_read_by_their_kql_type() {
        let ticks = Int64Array::from(vec![Some(TICKS), None, Some(0)]);
        assert_eq!(
            cell_text(&ticks, 0, KqlType::DateTime).unwrap(),
            "2020-08-30T06:38:35.7664356Z"
        );
        assert_eq!(cell_text(&ticks, 1, KqlType::DateTime), None);
        assert_eq!(
            cell_text(&ticks, 2, KqlType::DateTime).unwrap(),
            "0001-01-01T00:00:00.0000000Z"
        );
        assert_eq!(cell_text(&ticks, 2, KqlType::Long).unwrap(), "0");
        let spans = Int64Array::from(vec![
            TICKS_PER_HOUR,
            26 * TICKS_PER_HOUR + TICKS_PER_SECOND / 2,
        ]);
        assert_eq!(cell_text(&spans, 0, KqlType::Timespan).unwrap(), "01:00:00");
        assert_eq!(
            cell_text(&spans, 1, KqlType::Timespan).unwrap(),
            "1.02:00:00.5000000"
        );
        assert_eq!(
            cell_json(&spans, 0, KqlType::Timespan),
            serde_json::json!("01:00:00")
        );
    }

    #[test]
    fn every_time_unit_reads_as_ticks_even_in_slices() {
        use datafusion::arrow::array::{DurationSecondArray, TimestampMillisecondArray};
        let millis = TimestampMillisecondArray::from(vec![1_000, 2_000, 3_000]).slice(1, 2);
        assert_eq!(
            cell_value(&millis, 0, KqlType::DateTime),
            Some(Value::DateTime(UNIX_EPOCH_TICKS + 2 * TICKS_PER_SECOND))
        );
        let seconds = DurationSecondArray::from(vec![Some(5), None, Some(7)]).slice(1, 2);
        assert_eq!(cell_value(&seconds, 0, KqlType::Timespan), None);
        assert_eq!(
            cell_value(&seconds, 1, KqlType::Timespan),
            Some(Value::Timespan(7 * TICKS_PER_SECOND))
        );
        let nanos = TimestampNanosecondArray::from(vec![-1]);
        assert_eq!(
            cell_text(&nanos, 0, KqlType::DateTime).unwrap(),
            "1969-12-31T23:59:59.9999999Z"
        );
        let spans = DurationNanosecondArray::from(vec![3_600_000_000_000]);
        assert_eq!(cell_text(&spans, 0, KqlType::Timespan).unwrap(), "01:00:00");
    }

    #[test]
    fn reals_and_bools_read_like_kql() {
        let reals = Float64Array::from(vec![1.0, 1.5, 1e20, f64::NAN]);
        let texts: Vec<String> = (0..4)
            .map(|r| cell_text(&reals, r, KqlType::Real).unwrap())
            .collect();
        assert_eq!(texts, ["1", "1.5", "1E+20", "NaN"]);
        assert_eq!(
            cell_text(&BooleanArray::from(vec![true]), 0, KqlType::Bool).unwrap(),
            "true"
        );
    }

    #[test]
    fn json_cells_follow_graph() {
        let ts = Int64Array::from(vec![Some(UNIX_EPOCH_TICKS), None]);
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
    }

    #[test]
    fn push_datetime_writes_what_format_datetime_does() {
        let mut ticks: Vec<i64> = vec![
            0,
            1,
            time::MAX_DATETIME_TICKS,
            time::MAX_DATETIME_TICKS + 1,
            -1,
            UNIX_EPOCH_TICKS - 1,
            TICKS,
        ];
        for date in [
            "1600-02-29T23:59:59.9999999Z",
            "1900-02-28T00:00:00Z",
            "1900-03-01T00:00:00Z",
            "2000-02-29T12:00:00Z",
            "2024-02-29T09:39:50.7688641Z",
            "2024-12-31T23:59:59.9999999Z",
            "9999-12-31T00:00:00Z",
        ] {
            ticks.push(time::parse_datetime(date).unwrap());
        }
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ticks.push((state >> 2) as i64 % (time::MAX_DATETIME_TICKS + 1));
        }
        let mut out = String::new();
        for t in ticks {
            out.clear();
            push_datetime(&mut out, t);
            assert_eq!(out, format_datetime(t), "{t}");
        }
    }
}
