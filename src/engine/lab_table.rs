//! Column builders for the lab generator: a row is a list of (column, value) pairs; columns a
//! row does not mention get the value Defender leaves there (empty text, null number).

use std::collections::HashMap;
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

pub struct TableBuilder {
    pub name: String,
    pub columns: Vec<(String, KqlType)>,
    index: HashMap<String, usize>,
    builders: Vec<Column>,
    slots: Vec<Option<Val>>,
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
        TableBuilder {
            name: name.to_string(),
            columns,
            index,
            builders,
            slots,
        }
    }

    /// Appends a row. Names the table does not have are ignored, so one helper can fill the
    /// columns that many Device* tables share.
    pub fn push(&mut self, row: Row) {
        for (name, value) in row {
            if let Some(&i) = self.index.get(name) {
                self.slots[i] = Some(value);
            }
        }
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

    pub fn finish(self) -> Result<GeneratedTable, ArrowError> {
        let schema = kql_schema(&self.columns);
        let arrays: Vec<ArrayRef> = self
            .builders
            .into_iter()
            .map(|b| -> ArrayRef {
                match b {
                    Column::Text(mut b) => Arc::new(b.finish()),
                    Column::Long(mut b) => Arc::new(b.finish()),
                    Column::Int(mut b) => Arc::new(b.finish()),
                    Column::Real(mut b) => Arc::new(b.finish()),
                    Column::Bool(mut b) => Arc::new(b.finish()),
                    Column::Ticks(mut b) => Arc::new(b.finish()),
                }
            })
            .collect();
        let batch = if arrays.is_empty() {
            RecordBatch::new_empty(schema)
        } else {
            RecordBatch::try_new(schema, arrays)?
        };
        Ok((self.name, self.columns, batch))
    }
}
