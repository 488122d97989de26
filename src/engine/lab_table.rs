//! Column builders for the lab generator: a row is a list of (column, value) pairs; columns a
//! row does not mention get the value Defender leaves there (empty text, null number).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;

use crate::kql::time;
use crate::results::{KqlType, kql_schema};

/// One value of a generated row.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    S(String),
    L(i64),
    B(bool),
    /// A datetime, as nanoseconds since 1970 (the generator's clock; stored as ticks).
    T(i64),
    /// A dynamic value (JSON).
    J(serde_json::Value),
    Null,
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::S(s.to_string())
    }
}

impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::S(s)
    }
}

impl From<&String> for Val {
    fn from(s: &String) -> Val {
        Val::S(s.clone())
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::L(v)
    }
}

impl From<bool> for Val {
    fn from(v: bool) -> Val {
        Val::B(v)
    }
}

impl From<serde_json::Value> for Val {
    fn from(v: serde_json::Value) -> Val {
        Val::J(v)
    }
}

pub type Row = Vec<(&'static str, Val)>;

/// A finished table: name, columns with KQL types, and the rows.
pub type GeneratedTable = (String, Vec<(String, KqlType)>, RecordBatch);

enum Column {
    Text(StringBuilder),
    Long(Int64Builder),
    Int(Int32Builder),
    Real(Float64Builder),
    Bool(BooleanBuilder),
    /// Datetime and timespan columns: 100 ns ticks (`kql::time`).
    Ticks(Int64Builder),
}

/// FNV-1a for the column index: every value of every generated row is placed by its column's
/// name, and the default (DoS-resistant) hasher made that a good part of the lab's build time.
#[derive(Default)]
struct NameHasher(u64);

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub struct TableBuilder {
    pub name: String,
    pub columns: Vec<(String, KqlType)>,
    index: HashMap<String, usize, BuildHasherDefault<NameHasher>>,
    /// By position in the last rows: the name's (address, length) and its column.
    hints: Vec<((usize, usize), Option<usize>)>,
    builders: Vec<Column>,
    slots: Vec<Option<Val>>,
    /// (Timestamp, TimeGenerated) when the table has both: a row that sets no `TimeGenerated`
    /// gets its `Timestamp` there (Sentinel's copies of the tables carry the same value).
    time_generated: Option<(usize, usize)>,
    /// Rows pushed since the builder was made or last taken.
    rows: usize,
}

impl TableBuilder {
    pub fn new(name: &str, columns: Vec<(String, KqlType)>) -> TableBuilder {
        let index = columns
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), i))
            .collect();
        let builders = columns
            .iter()
            .map(|(_, t)| match t {
                KqlType::String | KqlType::Guid | KqlType::Dynamic => {
                    Column::Text(StringBuilder::new())
                }
                KqlType::Long => Column::Long(Int64Builder::new()),
                KqlType::Int => Column::Int(Int32Builder::new()),
                KqlType::Real | KqlType::Decimal => Column::Real(Float64Builder::new()),
                KqlType::Bool => Column::Bool(BooleanBuilder::new()),
                KqlType::DateTime | KqlType::Timespan => Column::Ticks(Int64Builder::new()),
            })
            .collect();
        let slots = vec![None; columns.len()];
        let position = |name: &str| columns.iter().position(|(n, _)| n == name);
        let time_generated = position("Timestamp").zip(position("TimeGenerated"));
        TableBuilder {
            time_generated,
            hints: Vec::new(),
            name: name.to_string(),
            columns,
            index,
            builders,
            slots,
            rows: 0,
        }
    }

    /// The rows pushed since the builder was made or last taken (`take`).
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when no row was pushed since the builder was made or last taken.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends a row. Names the table does not have are ignored, so one helper can fill the
    /// columns that many Device* tables share.
    pub fn push(&mut self, row: Row) {
        for (position, (name, value)) in row.into_iter().enumerate() {
            // The helpers build their rows in a fixed order from `&'static str` names: the
            // column the same name (the same address) had at this position last time is the
            // answer, without hashing it again.
            let key = (name.as_ptr() as usize, name.len());
            let column = match self.hints.get(position) {
                Some(&(hint, column)) if hint == key => column,
                _ => {
                    let column = self.index.get(name).copied();
                    if position < self.hints.len() {
                        self.hints[position] = (key, column);
                    } else if position == self.hints.len() {
                        self.hints.push((key, column));
                    }
                    column
                }
            };
            if let Some(i) = column {
                self.slots[i] = Some(value);
            }
        }
        if let Some((timestamp, generated)) = self.time_generated
            && self.slots[generated].is_none()
        {
            self.slots[generated] = self.slots[timestamp].clone();
        }
        self.rows += 1;
        for (i, builder) in self.builders.iter_mut().enumerate() {
            let value = self.slots[i].take();
            match builder {
                Column::Text(b) => match value {
                    Some(Val::S(s)) => b.append_value(s),
                    Some(Val::J(j)) => b.append_value(j.to_string()),
                    Some(Val::L(v)) => b.append_value(v.to_string()),
                    Some(Val::B(v)) => b.append_value(v.to_string()),
                    Some(Val::Null) if self.columns[i].1 == KqlType::Dynamic => b.append_null(),
                    // Defender's string columns are empty, not null, when there is nothing to say.
                    _ if self.columns[i].1 == KqlType::Dynamic => b.append_null(),
                    _ => b.append_value(""),
                },
                Column::Long(b) => match value {
                    Some(Val::L(v)) => b.append_value(v),
                    _ => b.append_null(),
                },
                Column::Int(b) => match value {
                    Some(Val::L(v)) => b.append_option(i32::try_from(v).ok()),
                    _ => b.append_null(),
                },
                Column::Real(b) => match value {
                    Some(Val::L(v)) => b.append_value(v as f64),
                    _ => b.append_null(),
                },
                Column::Bool(b) => match value {
                    Some(Val::B(v)) => b.append_value(v),
                    _ => b.append_null(),
                },
                Column::Ticks(b) => match value {
                    Some(Val::T(nanos)) => b.append_option(time::ticks_from_unix_nanos(nanos)),
                    Some(Val::L(nanos)) => b.append_value(nanos.div_euclid(100)),
                    _ => b.append_null(),
                },
            }
        }
    }

    /// The rows pushed so far as one batch, and the builder empty again for the next ones: a
    /// large export takes its tables part by part this way (`lab::generate_in_parts`).
    pub fn take(&mut self) -> Result<RecordBatch, ArrowError> {
        let schema = kql_schema(&self.columns);
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    Column::Text(b) => Arc::new(b.finish()),
                    Column::Long(b) => Arc::new(b.finish()),
                    Column::Int(b) => Arc::new(b.finish()),
                    Column::Real(b) => Arc::new(b.finish()),
                    Column::Bool(b) => Arc::new(b.finish()),
                    Column::Ticks(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.rows = 0;
        if arrays.is_empty() {
            Ok(RecordBatch::new_empty(schema))
        } else {
            RecordBatch::try_new(schema, arrays)
        }
    }

    pub fn finish(mut self) -> Result<GeneratedTable, ArrowError> {
        let batch = self.take()?;
        Ok((self.name, self.columns, batch))
    }
}
