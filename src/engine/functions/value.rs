//! [`KqlValue`]: one value as a row function sees it, read from an Arrow cell of a known KQL
//! type, with KQL's conversions between kinds.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::Array;
use regex::Regex;
use serde_json::Value as Json;

use crate::kql::time;
use crate::results::KqlType;
use crate::results::format::{Value as Cell, cell_value};

/// One KQL value. `int` and `long` are both [`KqlValue::Long`]; `string` and `guid` are both
/// [`KqlValue::String`]; a `dynamic` is its JSON (a dynamic null is [`KqlValue::Null`]).
/// Datetimes are 100 ns ticks since 0001-01-01 UTC, timespans 100 ns ticks.
#[derive(Debug, Clone, PartialEq)]
pub enum KqlValue {
    Null,
    Bool(bool),
    Long(i64),
    Real(f64),
    DateTime(i64),
    Timespan(i64),
    String(String),
    Dynamic(Json),
}

impl KqlValue {
    /// Row `row` of `array`, whose KQL type is `ty`. A null string cell reads as `""`: KQL
    /// strings have no null.
    pub fn from_cell(array: &dyn Array, row: usize, ty: KqlType) -> KqlValue {
        let Some(cell) = cell_value(array, row, ty) else {
            return if ty == KqlType::String {
                KqlValue::String(String::new())
            } else {
                KqlValue::Null
            };
        };
        match (ty, cell) {
            (KqlType::Dynamic, Cell::Text(text)) => match serde_json::from_str(&text) {
                Ok(Json::Null) => KqlValue::Null,
                Ok(json) => KqlValue::Dynamic(json),
                Err(_) => KqlValue::Dynamic(Json::String(text)),
            },
            (_, Cell::Bool(b)) => KqlValue::Bool(b),
            (_, Cell::Int(n)) => KqlValue::Long(n),
            (_, Cell::UInt(n)) => i64::try_from(n).map_or(KqlValue::Real(n as f64), KqlValue::Long),
            (_, Cell::Float(f)) => KqlValue::Real(f),
            (_, Cell::DateTime(t)) => KqlValue::DateTime(t),
            (_, Cell::Timespan(t)) => KqlValue::Timespan(t),
            (_, Cell::Text(text)) => KqlValue::String(text),
        }
    }

    /// A dynamic value from JSON (JSON null is [`KqlValue::Null`]).
    pub fn dynamic(json: Json) -> KqlValue {
        if json.is_null() {
            KqlValue::Null
        } else {
            KqlValue::Dynamic(json)
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, KqlValue::Null)
    }

    /// KQL's text for the value, as `tostring()` gives it: `""` for null, dynamic strings
    /// without quotes, other dynamic values as compact JSON, datetimes as
    /// `2024-03-26T09:39:50.7688641Z`, timespans as `01:00:00`.
    pub fn to_text(&self) -> String {
        match self {
            KqlValue::Null => String::new(),
            KqlValue::Bool(b) => b.to_string(),
            KqlValue::Long(n) => n.to_string(),
            KqlValue::Real(f) => time::format_real(*f),
            KqlValue::DateTime(t) => time::format_datetime(*t),
            KqlValue::Timespan(t) => time::format_timespan(*t),
            KqlValue::String(s) => s.clone(),
            KqlValue::Dynamic(Json::String(s)) => s.clone(),
            KqlValue::Dynamic(json) => json.to_string(),
        }
    }

    /// The text of a string value, `None` for anything else (and for null).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            KqlValue::String(s) => Some(s),
            KqlValue::Dynamic(Json::String(s)) => Some(s),
            _ => None,
        }
    }

    /// The value as a whole number: longs, reals truncated toward zero, bools as 0/1, numeric
    /// dynamic values; `None` otherwise.
    pub fn as_long(&self) -> Option<i64> {
        match self {
            KqlValue::Long(n) => Some(*n),
            KqlValue::Real(f) if f.is_finite() && f.abs() < 9.2e18 => Some(f.trunc() as i64),
            KqlValue::Bool(b) => Some(i64::from(*b)),
            KqlValue::Dynamic(Json::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.abs() < 9.2e18).map(|f| f as i64)),
            KqlValue::Dynamic(Json::Bool(b)) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// The value as a real: numbers, numeric dynamic values; `None` otherwise.
    pub fn as_real(&self) -> Option<f64> {
        match self {
            KqlValue::Long(n) => Some(*n as f64),
            KqlValue::Real(f) => Some(*f),
            KqlValue::Bool(b) => Some(f64::from(u8::from(*b))),
            KqlValue::Dynamic(Json::Number(n)) => n.as_f64(),
            _ => None,
        }
    }

    /// The value as a bool: bools, numbers (non-zero), dynamic bools; `None` otherwise.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            KqlValue::Bool(b) => Some(*b),
            KqlValue::Long(n) => Some(*n != 0),
            KqlValue::Dynamic(Json::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    /// Datetime ticks, from a datetime (or a dynamic string holding one).
    pub fn as_datetime(&self) -> Option<i64> {
        match self {
            KqlValue::DateTime(t) => Some(*t),
            KqlValue::Dynamic(Json::String(s)) => time::parse_datetime(s).ok(),
            _ => None,
        }
    }

    /// Timespan ticks, from a timespan (or a dynamic string holding one).
    pub fn as_timespan(&self) -> Option<i64> {
        match self {
            KqlValue::Timespan(t) => Some(*t),
            KqlValue::Dynamic(Json::String(s)) => time::parse_timespan(s).ok(),
            _ => None,
        }
    }

    /// The value as JSON, as it would sit inside a dynamic value: numbers as numbers,
    /// datetimes and timespans as their KQL text, null as JSON null.
    pub fn to_json(&self) -> Json {
        match self {
            KqlValue::Null => Json::Null,
            KqlValue::Bool(b) => Json::Bool(*b),
            KqlValue::Long(n) => Json::from(*n),
            KqlValue::Real(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            KqlValue::DateTime(_) | KqlValue::Timespan(_) => Json::String(self.to_text()),
            KqlValue::String(s) => Json::String(s.clone()),
            KqlValue::Dynamic(json) => json.clone(),
        }
    }

    /// The array of a dynamic array value, `None` for anything else.
    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            KqlValue::Dynamic(Json::Array(items)) => Some(items),
            _ => None,
        }
    }

    /// The property bag of a dynamic value, `None` for anything else.
    pub fn as_bag(&self) -> Option<&serde_json::Map<String, Json>> {
        match self {
            KqlValue::Dynamic(Json::Object(bag)) => Some(bag),
            _ => None,
        }
    }
}

/// The compiled form of a regular expression, kept per thread (patterns are nearly always
/// constants, so each is compiled once per query); errors read as the regex crate words them.
/// KQL's regular expressions are RE2's, which the regex crate follows.
pub fn cached_regex(pattern: &str) -> Result<Arc<Regex>, String> {
    thread_local! {
        static CACHE: RefCell<HashMap<String, Arc<Regex>>> = RefCell::new(HashMap::new());
    }
    CACHE.with(|cache| {
        if let Some(regex) = cache.borrow().get(pattern) {
            return Ok(regex.clone());
        }
        let regex = Arc::new(
            Regex::new(&crate::kql::regex::to_rust_syntax(pattern))
                .map_err(|e| format!("invalid regular expression: {e}"))?,
        );
        let mut cache = cache.borrow_mut();
        if cache.len() >= 256 {
            cache.clear();
        }
        cache.insert(pattern.to_string(), regex.clone());
        Ok(regex)
    })
}
