//! One column of a file table as it is read: a value from a JSON record or a CSV cell becomes an
//! Arrow value of the column's KQL type (`KqlType::arrow_type`), or a message saying why it cannot.
//!
//! The readings follow what Kusto's ingestion does with JSON and CSV (docs: "Data formats
//! supported for ingestion", "JSON mapping"): a JSON string is the text of a `string` column;
//! numbers and booleans in a `string` column are their JSON text; objects and arrays in a
//! `dynamic` column stay JSON; a string holding a JSON object or array in a `dynamic` column is
//! that JSON (Defender's `AdditionalFields` arrives either way); a `datetime` is ISO 8601 text.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
};
use serde_json::Value;

use crate::kql::time;
use crate::results::KqlType;
use crate::results::read::{Scalar, as_bool, as_long, as_real, datetime_ticks};
use crate::results::safe::shorten_escaped;

/// The longest text a value is quoted with in a message.
const QUOTE_CHARS: usize = 60;

/// A column being filled.
pub(super) struct CellBuilder {
    kql: KqlType,
    values: Values,
}

enum Values {
    Bool(BooleanBuilder),
    Int(Int32Builder),
    /// `long`, `datetime` and `timespan` (100 ns ticks).
    Long(Int64Builder),
    Real(Float64Builder),
    /// `string`, `guid` and `dynamic` (compact JSON text).
    Text(StringBuilder),
}

impl CellBuilder {
    pub(super) fn new(kql: KqlType, capacity: usize) -> CellBuilder {
        let values = match kql {
            KqlType::Bool => Values::Bool(BooleanBuilder::with_capacity(capacity)),
            KqlType::Int => Values::Int(Int32Builder::with_capacity(capacity)),
            KqlType::Long | KqlType::DateTime | KqlType::Timespan => {
                Values::Long(Int64Builder::with_capacity(capacity))
            }
            KqlType::Real | KqlType::Decimal => {
                Values::Real(Float64Builder::with_capacity(capacity))
            }
            KqlType::String | KqlType::Guid | KqlType::Dynamic => {
                Values::Text(StringBuilder::with_capacity(capacity, capacity * 16))
            }
        };
        CellBuilder { kql, values }
    }

    /// A missing value: `""` in a `string` column (KQL strings have no null), null elsewhere.
    pub(super) fn push_missing(&mut self) {
        match &mut self.values {
            Values::Text(b) if self.kql == KqlType::String => b.append_value(""),
            Values::Text(b) => b.append_null(),
            Values::Bool(b) => b.append_null(),
            Values::Int(b) => b.append_null(),
            Values::Long(b) => b.append_null(),
            Values::Real(b) => b.append_null(),
        }
    }

    /// The finished column; the builder is left empty for the next batch.
    pub(super) fn finish(&mut self) -> ArrayRef {
        match &mut self.values {
            Values::Bool(b) => Arc::new(b.finish()),
            Values::Int(b) => Arc::new(b.finish()),
            Values::Long(b) => Arc::new(b.finish()),
            Values::Real(b) => Arc::new(b.finish()),
            Values::Text(b) => Arc::new(b.finish()),
        }
    }

    /// Appends a converted value (`convert_json`, `convert_text`) of this column's type.
    pub(super) fn push(&mut self, cell: Cell<'_>) {
        match (&mut self.values, cell) {
            (_, Cell::Missing) => self.push_missing(),
            (Values::Bool(b), Cell::Bool(v)) => b.append_value(v),
            (Values::Int(b), Cell::Int(v)) => b.append_value(v),
            (Values::Long(b), Cell::Long(v)) => b.append_value(v),
            (Values::Real(b), Cell::Real(v)) => b.append_value(v),
            (Values::Text(b), Cell::Text(v)) => b.append_value(v),
            // A value converted for another type (a caller's slip): missing, never a wrong value.
            _ => self.push_missing(),
        }
    }

    pub(super) fn kql(&self) -> KqlType {
        self.kql
    }
}

/// One value converted for a column, before it is appended: a row is converted whole first, so
/// a bad value leaves no half row behind.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell<'a> {
    Missing,
    Bool(bool),
    Int(i32),
    /// `long`, `datetime`, `timespan` (ticks).
    Long(i64),
    Real(f64),
    Text(std::borrow::Cow<'a, str>),
}

/// One JSON value for a column of type `kql` (`None`: the record has no such key). `Err` says
/// why the value does not fit.
pub(super) fn convert_json(kql: KqlType, value: Option<&Value>) -> Result<Cell<'_>, String> {
    use std::borrow::Cow;
    let value = match value {
        None | Some(Value::Null) => return Ok(Cell::Missing),
        Some(value) => value,
    };
    Ok(match (kql, value) {
        (KqlType::Dynamic, Value::String(text)) => Cell::Text(Cow::Owned(dynamic_from_text(text))),
        (KqlType::Dynamic, other) => Cell::Text(Cow::Owned(other.to_string())),
        (KqlType::String | KqlType::Guid, Value::String(text)) => Cell::Text(Cow::Borrowed(text)),
        (KqlType::String, other) => Cell::Text(Cow::Owned(other.to_string())),
        (_, Value::String(text)) => return convert_text(kql, text),
        (KqlType::Bool, Value::Bool(v)) => Cell::Bool(*v),
        (_, Value::Number(n)) => convert_number(kql, n)?,
        (_, other) => return Err(not_a(&other.to_string(), kql)),
    })
}

fn convert_number(kql: KqlType, n: &serde_json::Number) -> Result<Cell<'static>, String> {
    // As serde_json read it: integers never through f64.
    let scalar = match (n.as_i64(), n.as_u64()) {
        (Some(v), _) => Scalar::I64(v),
        (None, Some(v)) => Scalar::U64(v),
        _ => Scalar::F64(n.as_f64().unwrap_or(f64::NAN)),
    };
    let cell = match kql {
        KqlType::Real | KqlType::Decimal => as_real(scalar).map(Cell::Real),
        KqlType::Long => as_long(scalar).map(Cell::Long),
        KqlType::Int => as_long(scalar)
            .and_then(|v| i32::try_from(v).ok())
            .map(Cell::Int),
        KqlType::Bool => as_bool(scalar).map(Cell::Bool),
        _ => None,
    };
    cell.ok_or_else(|| not_a(&n.to_string(), kql))
}

/// One value given as text (a CSV cell, or a JSON string in a column that is not text) for a
/// column of type `kql`. Empty text is a missing value.
pub(super) fn convert_text(kql: KqlType, text: &str) -> Result<Cell<'_>, String> {
    use std::borrow::Cow;
    if text.is_empty() {
        return Ok(Cell::Missing);
    }
    let cell = match kql {
        KqlType::String | KqlType::Guid => Some(Cell::Text(Cow::Borrowed(text))),
        KqlType::Dynamic => Some(Cell::Text(Cow::Owned(dynamic_from_text(text)))),
        KqlType::Bool => as_bool(Scalar::Str(text.trim())).map(Cell::Bool),
        KqlType::Int => as_long(Scalar::Str(text.trim()))
            .and_then(|v| i32::try_from(v).ok())
            .map(Cell::Int),
        KqlType::Real | KqlType::Decimal => parse_real(text).map(Cell::Real),
        KqlType::DateTime => datetime_ticks(text).map(Cell::Long),
        KqlType::Timespan => time::parse_timespan(text.trim()).ok().map(Cell::Long),
        KqlType::Long => as_long(Scalar::Str(text.trim())).map(Cell::Long),
    };
    cell.ok_or_else(|| not_a(text, kql))
}

/// A `dynamic` value from text: a JSON object or array as that JSON (compacted), anything else
/// as a JSON string.
pub(super) fn dynamic_from_text(text: &str) -> String {
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(json) = serde_json::from_str::<Value>(text)
    {
        return json.to_string();
    }
    Value::String(text.to_string()).to_string()
}

/// A real number; `NaN`, `Infinity`, `-Infinity` as Kusto writes them.
pub(super) fn parse_real(text: &str) -> Option<f64> {
    match text.trim() {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        other => other.parse::<f64>().ok().filter(|v| v.is_finite()),
    }
}

/// Whether text reads as an ISO 8601 instant (`2024-01-31`, `2024-01-31T10:00:00Z`, …): what
/// inference takes for a `datetime` column. Looser forms stay strings.
pub(super) fn looks_like_datetime(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit)
        && (bytes.len() == 10 || matches!(bytes[10], b'T' | b' '))
        && datetime_ticks(text).is_some()
}

/// "`"abc"` is not a datetime", the value quoted and shortened.
fn not_a(text: &str, kql: KqlType) -> String {
    format!("{} is not {}", quote(text), kql.with_article())
}

/// Text for a message: quoted, control characters escaped, cut at `QUOTE_CHARS` characters.
pub(super) fn quote(text: &str) -> String {
    format!("\"{}\"", shorten_escaped(text, QUOTE_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Float64Type, Int32Type, Int64Type};
    use serde_json::json;

    impl CellBuilder {
        fn push_json(&mut self, value: Option<&Value>) -> Result<(), String> {
            let cell = convert_json(self.kql, value)?;
            self.push(cell);
            Ok(())
        }

        fn push_text(&mut self, text: &str) -> Result<(), String> {
            let cell = convert_text(self.kql, text)?;
            self.push(cell);
            Ok(())
        }
    }

    fn texts(builder: &mut CellBuilder) -> Vec<Option<String>> {
        let array = builder.finish();
        let array = array.as_string::<i32>();
        (0..array.len())
            .map(|i| array.is_valid(i).then(|| array.value(i).to_string()))
            .collect()
    }

    #[test]
    fn strings_never_null_and_take_json_text_of_other_values() {
        let mut b = CellBuilder::new(KqlType::String, 4);
        b.push_json(Some(&json!("a"))).unwrap();
        b.push_json(None).unwrap();
        b.push_json(Some(&json!(12))).unwrap();
        b.push_json(Some(&json!({"k": [1, true]}))).unwrap();
        assert_eq!(
            texts(&mut b),
            [Some("a"), Some(""), Some("12"), Some(r#"{"k":[1,true]}"#)]
                .map(|s| s.map(String::from))
        );
    }

    #[test]
    fn dynamic_keeps_json_and_reads_json_held_in_strings() {
        let mut b = CellBuilder::new(KqlType::Dynamic, 4);
        b.push_json(Some(&json!({"a": 1}))).unwrap();
        b.push_json(Some(&json!("{\"b\": [2]}"))).unwrap();
        b.push_json(Some(&json!("plain"))).unwrap();
        b.push_json(Some(&Value::Null)).unwrap();
        b.push_text("[1, 2]").unwrap();
        b.push_text("{not json").unwrap();
        assert_eq!(
            texts(&mut b),
            [
                Some(r#"{"a":1}"#),
                Some(r#"{"b":[2]}"#),
                Some(r#""plain""#),
                None,
                Some("[1,2]"),
                Some(r#""{not json""#)
            ]
            .map(|s| s.map(String::from))
        );
    }

    #[test]
    fn datetimes_are_ticks_and_bad_text_is_refused_with_the_value() {
        let mut b = CellBuilder::new(KqlType::DateTime, 2);
        b.push_json(Some(&json!("2024-01-31T10:00:00.1234567Z")))
            .unwrap();
        let error = b.push_json(Some(&json!("yesterday"))).unwrap_err();
        assert_eq!(error, r#""yesterday" is not a datetime"#);
        let error = b.push_json(Some(&json!(5))).unwrap_err();
        assert_eq!(error, r#""5" is not a datetime"#);
        let array = b.finish();
        let ticks = array.as_primitive::<Int64Type>();
        assert_eq!(ticks.len(), 1);
        assert_eq!(
            time::format_datetime(ticks.value(0)),
            "2024-01-31T10:00:00.1234567Z"
        );
    }

    #[test]
    fn numbers_fit_their_type_or_are_refused() {
        let mut long = CellBuilder::new(KqlType::Long, 3);
        long.push_json(Some(&json!(9007199254740993_i64))).unwrap();
        long.push_json(Some(&json!("42"))).unwrap();
        long.push_json(Some(&json!(3.0))).unwrap();
        assert!(long.push_json(Some(&json!(3.5))).is_err());
        assert!(long.push_json(Some(&json!(u64::MAX))).is_err());
        // A float past 2^53 may not be the integer written: refused, not rounded.
        assert!(long.push_json(Some(&json!(1e17))).is_err());
        let array = long.finish();
        let values: Vec<i64> = array.as_primitive::<Int64Type>().values().to_vec();
        assert_eq!(values, [9007199254740993, 42, 3]);

        let mut int = CellBuilder::new(KqlType::Int, 2);
        int.push_text("-7").unwrap();
        assert!(int.push_json(Some(&json!(3_000_000_000_i64))).is_err());
        assert_eq!(int.finish().as_primitive::<Int32Type>().value(0), -7);

        let mut real = CellBuilder::new(KqlType::Real, 2);
        real.push_text("NaN").unwrap();
        real.push_json(Some(&json!(1.5))).unwrap();
        let array = real.finish();
        let reals = array.as_primitive::<Float64Type>();
        assert!(reals.value(0).is_nan());
        assert_eq!(reals.value(1), 1.5);
    }

    #[test]
    fn bools_take_words_and_digits() {
        let mut b = CellBuilder::new(KqlType::Bool, 4);
        b.push_text("True").unwrap();
        b.push_text("0").unwrap();
        b.push_json(Some(&json!(true))).unwrap();
        assert!(b.push_text("yes").is_err());
        let array = b.finish();
        let bools = array.as_boolean();
        assert_eq!(
            (0..3).map(|i| bools.value(i)).collect::<Vec<_>>(),
            [true, false, true]
        );
    }

    #[test]
    fn inference_takes_only_iso_dates_as_datetimes() {
        assert!(looks_like_datetime("2024-01-31T10:00:00Z"));
        assert!(looks_like_datetime("2024-01-31"));
        assert!(looks_like_datetime("2024-01-31 10:00:00"));
        assert!(!looks_like_datetime("2024-13-31T10:00:00Z"));
        assert!(!looks_like_datetime("Jan 31, 2024"));
        assert!(!looks_like_datetime("20240131"));
    }

    #[test]
    fn quotes_are_escaped_and_short() {
        assert_eq!(quote("a\u{1b}[2J"), r#""a\u{1b}[2J""#);
        assert_eq!(quote(&"x".repeat(100)).chars().count(), 63);
    }
}
