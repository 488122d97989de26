//! The functions behind `mv-expand` (mv-expand-operator.md): a dynamic value's top-level
//! elements as a list to unnest, and the cast-only conversion of `to typeof(T)`.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder,
    StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::udf::{text_arg, text_at};
use crate::kql::time;
use crate::results::KqlType;

/// `(dynamic, limit)` → the list of records one input row expands to (each a JSON text):
/// an array's elements, a property bag's entries (single-entry bags, or `[key, value]` arrays
/// with `kind=array`), one null for null, nothing for an empty array or bag, and a plain value
/// as itself. At most `limit` items.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ExpandUdf {
    bag_as_array: bool,
    signature: Signature,
}

impl ExpandUdf {
    pub fn udf(bag_as_array: bool) -> ScalarUDF {
        ScalarUDF::from(ExpandUdf {
            bag_as_array,
            signature: Signature::any(2, Volatility::Immutable),
        })
    }
}

/// The items of one value, as JSON texts (`None`: a null record).
pub fn expand_items(text: Option<&str>, bag_as_array: bool, limit: usize) -> Vec<Option<String>> {
    let Some(text) = text else {
        return vec![None];
    };
    let value = serde_json::from_str::<serde_json::Value>(text)
        .unwrap_or_else(|_| serde_json::Value::String(text.to_string()));
    let items: Vec<Option<String>> = match value {
        serde_json::Value::Null => vec![None],
        serde_json::Value::Array(items) => items
            .into_iter()
            .take(limit)
            .map(|v| (!v.is_null()).then(|| v.to_string()))
            .collect(),
        serde_json::Value::Object(map) => map
            .into_iter()
            .take(limit)
            .map(|(key, value)| {
                Some(if bag_as_array {
                    serde_json::Value::Array(vec![serde_json::Value::String(key), value])
                        .to_string()
                } else {
                    let mut one = serde_json::Map::new();
                    one.insert(key, value);
                    serde_json::Value::Object(one).to_string()
                })
            })
            .collect(),
        other => vec![Some(other.to_string())],
    };
    items
}

impl ScalarUDFImpl for ExpandUdf {
    fn name(&self) -> &str {
        if self.bag_as_array {
            "kql_mv_expand_array"
        } else {
            "kql_mv_expand"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new(
            "item",
            DataType::Utf8,
            true,
        ))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let input = text_arg(&args.args[0])?;
        let limit = match &args.args[1] {
            ColumnarValue::Scalar(ScalarValue::Int64(Some(n))) => usize::try_from(*n).unwrap_or(0),
            _ => usize::MAX,
        };
        let mut out = ListBuilder::new(StringBuilder::new());
        for row in 0..rows {
            for item in expand_items(text_at(&input, row), self.bag_as_array, limit) {
                match item {
                    Some(text) => out.values().append_value(text),
                    None => out.values().append_null(),
                }
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish()) as ArrayRef))
    }
}

/// `to typeof(T)`: an element of type T keeps its value, any other becomes null ("cast-only,
/// no parsing or type conversion"; datetimes and timespans, held in JSON as text, are read).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CastUdf {
    target: KqlType,
    signature: Signature,
}

impl CastUdf {
    pub fn udf(target: KqlType) -> ScalarUDF {
        ScalarUDF::from(CastUdf {
            target,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }
}

impl ScalarUDFImpl for CastUdf {
    fn name(&self) -> &str {
        match self.target {
            KqlType::Bool => "kql_cast_bool",
            KqlType::DateTime => "kql_cast_datetime",
            KqlType::Dynamic => "kql_cast_dynamic",
            KqlType::Guid => "kql_cast_guid",
            KqlType::Int => "kql_cast_int",
            KqlType::Long => "kql_cast_long",
            KqlType::Real | KqlType::Decimal => "kql_cast_real",
            KqlType::String => "kql_cast_string",
            KqlType::Timespan => "kql_cast_timespan",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.target.arrow_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let input = text_arg(&args.args[0])?;
        let value = |row: usize| {
            text_at(&input, row).and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        };
        let array: ArrayRef = match self.target {
            KqlType::Bool => {
                let mut b = BooleanBuilder::with_capacity(rows);
                (0..rows).for_each(|r| b.append_option(value(r).and_then(|v| v.as_bool())));
                Arc::new(b.finish())
            }
            KqlType::Long | KqlType::DateTime | KqlType::Timespan => {
                let mut b = Int64Builder::with_capacity(rows);
                for r in 0..rows {
                    let v = value(r);
                    b.append_option(match self.target {
                        KqlType::Long => v.and_then(|v| v.as_i64()),
                        KqlType::DateTime => v
                            .as_ref()
                            .and_then(|v| v.as_str())
                            .and_then(|s| time::parse_datetime(s).ok()),
                        _ => v
                            .as_ref()
                            .and_then(|v| v.as_str())
                            .and_then(|s| time::parse_timespan(s).ok()),
                    });
                }
                Arc::new(b.finish())
            }
            KqlType::Int => {
                let mut b = Int32Builder::with_capacity(rows);
                (0..rows).for_each(|r| {
                    b.append_option(
                        value(r)
                            .and_then(|v| v.as_i64())
                            .and_then(|v| i32::try_from(v).ok()),
                    )
                });
                Arc::new(b.finish())
            }
            KqlType::Real | KqlType::Decimal => {
                let mut b = Float64Builder::with_capacity(rows);
                (0..rows).for_each(|r| b.append_option(value(r).and_then(|v| v.as_f64())));
                Arc::new(b.finish())
            }
            KqlType::String | KqlType::Guid => {
                let mut b = StringBuilder::with_capacity(rows, rows * 8);
                for r in 0..rows {
                    b.append_option(value(r).and_then(|v| v.as_str().map(str::to_string)));
                }
                Arc::new(b.finish())
            }
            KqlType::Dynamic => {
                let mut b = StringBuilder::with_capacity(rows, rows * 8);
                (0..rows).for_each(|r| b.append_option(text_at(&input, r)));
                Arc::new(b.finish())
            }
        };
        Ok(ColumnarValue::Array(array))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_expand_as_the_operator_page_says() {
        let items = |t: Option<&str>, a: bool| expand_items(t, a, usize::MAX);
        assert_eq!(
            items(Some("[1,\"a\",null]"), false),
            [Some("1".into()), Some("\"a\"".into()), None]
        );
        assert_eq!(items(Some("[]"), false), Vec::<Option<String>>::new());
        assert_eq!(items(Some("{}"), false), Vec::<Option<String>>::new());
        assert_eq!(items(None, false), [None]);
        assert_eq!(items(Some("null"), false), [None]);
        assert_eq!(items(Some("{\"a\":1}"), false), [Some("{\"a\":1}".into())]);
        assert_eq!(items(Some("{\"a\":1}"), true), [Some("[\"a\",1]".into())]);
        assert_eq!(items(Some("5"), false), [Some("5".into())]);
        assert_eq!(expand_items(Some("[1,2,3]"), false, 2).len(), 2);
    }
}
