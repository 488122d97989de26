//! The row function behind `parse` and `parse-where` (parse-operator.md): one regular expression
//! made from the pattern, run once per row, giving every extracted column at once as the fields
//! of a struct (the planner then takes each field out as a column).

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    StructArray,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use regex::Regex;

use super::udf::{text_arg, text_at};
use crate::kql::time;
use crate::results::KqlType;

/// `parse`'s row function: (text) → struct of the pattern's columns. The struct is null where
/// the text does not match (and, unless `relaxed`, where a column's text is not of its type).
#[derive(Debug)]
pub struct ParseUdf {
    regex: Regex,
    /// Each column's name (also the name of its capture group, `c0`, `c1`, … by position) and
    /// type.
    columns: Vec<(String, KqlType)>,
    relaxed: bool,
    signature: Signature,
}

impl PartialEq for ParseUdf {
    fn eq(&self, other: &ParseUdf) -> bool {
        self.regex.as_str() == other.regex.as_str()
            && self.columns == other.columns
            && self.relaxed == other.relaxed
    }
}

impl Eq for ParseUdf {}

impl std::hash::Hash for ParseUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.regex.as_str().hash(state);
        self.columns.hash(state);
        self.relaxed.hash(state);
    }
}

impl ParseUdf {
    /// `regex` has one named group `c{i}` per column `i` of `columns`.
    pub fn udf(regex: Regex, columns: Vec<(String, KqlType)>, relaxed: bool) -> ScalarUDF {
        ScalarUDF::from(ParseUdf {
            regex,
            columns,
            relaxed,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }

    fn fields(&self) -> Fields {
        // Fields are named as the groups are: column names may repeat.
        self.columns
            .iter()
            .enumerate()
            .map(|(index, (_, ty))| Field::new(format!("c{index}"), ty.arrow_type(), true))
            .collect()
    }
}

/// A captured text read as `ty`; `None` when it is not a value of that type.
pub fn convert(text: &str, ty: KqlType) -> Option<Parsed> {
    Some(match ty {
        KqlType::String | KqlType::Guid => Parsed::Text(text.to_string()),
        KqlType::Dynamic => Parsed::Text(
            serde_json::from_str::<serde_json::Value>(text)
                .unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
                .to_string(),
        ),
        KqlType::Int | KqlType::Long => Parsed::Long(text.trim().parse().ok()?),
        KqlType::Real | KqlType::Decimal => Parsed::Real(text.trim().parse().ok()?),
        KqlType::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Parsed::Bool(true),
            "false" | "0" => Parsed::Bool(false),
            _ => return None,
        },
        KqlType::DateTime => Parsed::Long(time::parse_datetime(text.trim()).ok()?),
        KqlType::Timespan => Parsed::Long(time::parse_timespan(text.trim()).ok()?),
    })
}

/// A converted value, as Arrow holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Text(String),
    Long(i64),
    Real(f64),
    Bool(bool),
}

enum Column {
    Text(StringBuilder),
    Int(Int32Builder),
    Long(Int64Builder),
    Real(Float64Builder),
    Bool(BooleanBuilder),
}

impl Column {
    fn new(ty: KqlType, rows: usize) -> Column {
        match ty.arrow_type() {
            DataType::Int32 => Column::Int(Int32Builder::with_capacity(rows)),
            DataType::Int64 => Column::Long(Int64Builder::with_capacity(rows)),
            DataType::Float64 => Column::Real(Float64Builder::with_capacity(rows)),
            DataType::Boolean => Column::Bool(BooleanBuilder::with_capacity(rows)),
            _ => Column::Text(StringBuilder::with_capacity(rows, rows * 8)),
        }
    }

    fn push(&mut self, value: Option<Parsed>) {
        match (self, value) {
            (Column::Text(b), Some(Parsed::Text(s))) => b.append_value(s),
            (Column::Int(b), Some(Parsed::Long(n))) => b.append_option(i32::try_from(n).ok()),
            (Column::Long(b), Some(Parsed::Long(n))) => b.append_value(n),
            (Column::Real(b), Some(Parsed::Real(f))) => b.append_value(f),
            (Column::Bool(b), Some(Parsed::Bool(v))) => b.append_value(v),
            (Column::Text(b), _) => b.append_null(),
            (Column::Int(b), _) => b.append_null(),
            (Column::Long(b), _) => b.append_null(),
            (Column::Real(b), _) => b.append_null(),
            (Column::Bool(b), _) => b.append_null(),
        }
    }

    fn finish(self) -> ArrayRef {
        match self {
            Column::Text(mut b) => Arc::new(b.finish()),
            Column::Int(mut b) => Arc::new(b.finish()),
            Column::Long(mut b) => Arc::new(b.finish()),
            Column::Real(mut b) => Arc::new(b.finish()),
            Column::Bool(mut b) => Arc::new(b.finish()),
        }
    }
}

impl ScalarUDFImpl for ParseUdf {
    fn name(&self) -> &str {
        "kql_parse"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(self.fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let text = text_arg(&args.args[0])?;
        let mut columns: Vec<Column> = self
            .columns
            .iter()
            .map(|(_, ty)| Column::new(*ty, rows))
            .collect();
        let mut valid = Vec::with_capacity(rows);
        let mut values: Vec<Option<Parsed>> = Vec::with_capacity(columns.len());
        for row in 0..rows {
            values.clear();
            let captures = self.regex.captures(text_at(&text, row).unwrap_or(""));
            let mut ok = captures.is_some();
            if let Some(captures) = &captures {
                for (index, (_, ty)) in self.columns.iter().enumerate() {
                    let found = captures.name(&format!("c{index}")).map(|m| m.as_str());
                    let value = found.and_then(|t| convert(t, *ty));
                    ok &= value.is_some() || self.relaxed || found.is_none();
                    values.push(value);
                }
            }
            valid.push(ok);
            for (index, column) in columns.iter_mut().enumerate() {
                column.push(if ok {
                    values.get(index).cloned().flatten()
                } else {
                    None
                });
            }
        }
        let arrays: Vec<ArrayRef> = columns.into_iter().map(Column::finish).collect();
        let array = StructArray::try_new(self.fields(), arrays, Some(NullBuffer::from(valid)))?;
        Ok(ColumnarValue::Array(Arc::new(array)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_text_reads_as_its_type() {
        assert_eq!(convert(" 27", KqlType::Long), Some(Parsed::Long(27)));
        assert_eq!(convert("x", KqlType::Long), None);
        assert_eq!(convert("1.5", KqlType::Real), Some(Parsed::Real(1.5)));
        assert_eq!(convert("True", KqlType::Bool), Some(Parsed::Bool(true)));
        assert_eq!(
            convert("{\"a\":1}", KqlType::Dynamic),
            Some(Parsed::Text("{\"a\":1}".into()))
        );
        assert_eq!(
            convert("abc", KqlType::Dynamic),
            Some(Parsed::Text("\"abc\"".into()))
        );
        let when = convert("02/17/2016 08:40:01", KqlType::DateTime);
        assert_eq!(
            when.map(|p| match p {
                Parsed::Long(t) => time::format_datetime(t),
                _ => String::new(),
            })
            .as_deref(),
            Some("2016-02-17T08:40:01.0000000Z")
        );
    }
}
