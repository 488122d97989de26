//! `estimate_data_size(columns)` (estimate-data-size-function.md): the estimated size in bytes
//! of the given values of each row, by their KQL types.
//!
//! The page's example counts a long as 8 bytes and a 10-character string as 10;
//! estimate-table-size.md adds that an int is 4 bytes, a long or datetime 8, and that empty
//! columns count (so a fixed-size value counts its size even when null). The other sizes are
//! the values' natural widths: bool 1, real and timespan 8, guid and decimal 16. A string counts
//! its UTF-8 bytes (null or empty: 0). The page says a dynamic value is larger than the same
//! text as a string "because its internal representation is more complex"; here it counts its
//! JSON text plus 8 bytes for each value in it (itself, each element of an array, each slot's
//! value of a bag), null 0. The local engine's `hll()` sketch is the exact set of values (a
//! dynamic array), so its size is that array's, not the ~1 MiB of Kusto's sketch at accuracy 4
//! (using-hll-tdigest.md).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::results::KqlType;

/// The size a value of a fixed-size type counts, null or not; `None` for strings and dynamic
/// values, whose size is their content's.
pub fn fixed_size(ty: KqlType) -> Option<i64> {
    match ty {
        KqlType::Bool => Some(1),
        KqlType::Int => Some(4),
        KqlType::Long | KqlType::Real | KqlType::DateTime | KqlType::Timespan => Some(8),
        KqlType::Guid | KqlType::Decimal => Some(16),
        KqlType::String | KqlType::Dynamic => None,
    }
}

/// Bytes a dynamic value's node counts beyond its text.
const NODE_BYTES: i64 = 8;

/// The estimated size of a dynamic value given as its JSON text (null: 0).
pub fn dynamic_size(text: &str) -> i64 {
    let length = i64::try_from(text.len()).unwrap_or(i64::MAX);
    let nodes = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Null) => return 0,
        Ok(value) => count_nodes(&value),
        // Text that is not JSON (too deep, or a plain string kept as is) is one value.
        Err(_) => 1,
    };
    length.saturating_add(NODE_BYTES.saturating_mul(nodes))
}

/// How many values `value` holds, itself included (iteratively: no recursion on data).
fn count_nodes(value: &serde_json::Value) -> i64 {
    let mut stack = vec![value];
    let mut nodes = 0i64;
    while let Some(next) = stack.pop() {
        nodes = nodes.saturating_add(1);
        match next {
            serde_json::Value::Array(items) => stack.extend(items),
            serde_json::Value::Object(slots) => stack.extend(slots.values()),
            _ => {}
        }
    }
    nodes
}

/// `estimate_data_size(a, b, …)` over arguments of the KQL types `types`: a long per row.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct EstimateSizeUdf {
    types: Vec<KqlType>,
    signature: Signature,
}

impl EstimateSizeUdf {
    /// The function for arguments of these types (at least one).
    pub fn udf(types: Vec<KqlType>) -> ScalarUDF {
        let signature = Signature::any(types.len().max(1), Volatility::Immutable);
        ScalarUDF::from(EstimateSizeUdf { types, signature })
    }
}

/// Each row's size of one argument, added to `sizes`.
fn add_sizes(sizes: &mut [i64], value: &ColumnarValue, ty: KqlType) -> Result<()> {
    if let Some(width) = fixed_size(ty) {
        for size in sizes.iter_mut() {
            *size = size.saturating_add(width);
        }
        return Ok(());
    }
    let text_size = |text: &str| match ty {
        KqlType::Dynamic => dynamic_size(text),
        _ => i64::try_from(text.len()).unwrap_or(i64::MAX),
    };
    match value {
        ColumnarValue::Scalar(scalar) => {
            let size = match scalar {
                ScalarValue::Utf8(Some(s))
                | ScalarValue::LargeUtf8(Some(s))
                | ScalarValue::Utf8View(Some(s)) => text_size(s),
                _ => 0,
            };
            for each in sizes.iter_mut() {
                *each = each.saturating_add(size);
            }
        }
        ColumnarValue::Array(array) => {
            let texts: ArrayRef = cast(array, &DataType::Utf8)?;
            let texts = texts.as_string::<i32>();
            for (row, size) in sizes.iter_mut().enumerate() {
                if !texts.is_null(row) {
                    *size = size.saturating_add(text_size(texts.value(row)));
                }
            }
        }
    }
    Ok(())
}

impl ScalarUDFImpl for EstimateSizeUdf {
    fn name(&self) -> &str {
        "estimate_data_size"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if args.args.len() != self.types.len() {
            return exec_err!(
                "estimate_data_size takes {} arguments, got {}",
                self.types.len(),
                args.args.len()
            );
        }
        let mut sizes = vec![0i64; args.number_rows];
        for (value, ty) in args.args.iter().zip(&self.types) {
            add_sizes(&mut sizes, value, *ty)?;
        }
        Ok(ColumnarValue::Array(Arc::new(Int64Array::from(sizes))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{BooleanArray, Int32Array, StringArray};
    use datafusion::arrow::datatypes::Field;

    fn sizes(columns: Vec<(ArrayRef, KqlType)>) -> Vec<i64> {
        let rows = columns.first().map_or(0, |(a, _)| a.len());
        let types: Vec<KqlType> = columns.iter().map(|(_, t)| *t).collect();
        let udf = EstimateSizeUdf {
            types: types.clone(),
            signature: Signature::any(types.len(), Volatility::Immutable),
        };
        let arg_fields = columns
            .iter()
            .map(|(a, _)| Arc::new(Field::new("a", a.data_type().clone(), true)))
            .collect();
        let result = udf
            .invoke_with_args(ScalarFunctionArgs {
                args: columns
                    .into_iter()
                    .map(|(a, _)| ColumnarValue::Array(a))
                    .collect(),
                arg_fields,
                number_rows: rows,
                return_field: Arc::new(Field::new("r", DataType::Int64, true)),
                config_options: Arc::new(Default::default()),
            })
            .unwrap();
        let ColumnarValue::Array(array) = result else {
            panic!("not an array")
        };
        array
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
            .values()
            .to_vec()
    }

    /// estimate-data-size-function.md: a long (8) and a 10-character string (10) are 18.
    #[test]
    fn the_pages_long_and_string() {
        let x: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
        let text: ArrayRef = Arc::new(StringArray::from(vec!["1234567890", "1234567890"]));
        assert_eq!(
            sizes(vec![(x, KqlType::Long), (text, KqlType::String)]),
            [18, 18]
        );
    }

    /// estimate-table-size.md: int 4, long and datetime 8; the rest by their widths; a null of
    /// a fixed-size type counts its size, a null or empty string nothing.
    #[test]
    fn sizes_by_type() {
        assert_eq!(fixed_size(KqlType::Int), Some(4));
        assert_eq!(fixed_size(KqlType::Long), Some(8));
        assert_eq!(fixed_size(KqlType::DateTime), Some(8));
        assert_eq!(fixed_size(KqlType::Timespan), Some(8));
        assert_eq!(fixed_size(KqlType::Real), Some(8));
        assert_eq!(fixed_size(KqlType::Bool), Some(1));
        assert_eq!(fixed_size(KqlType::Guid), Some(16));
        assert_eq!(fixed_size(KqlType::Decimal), Some(16));
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None]));
        let flags: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), None]));
        let texts: ArrayRef = Arc::new(StringArray::from(vec![Some("héllo"), None]));
        assert_eq!(
            sizes(vec![
                (ints, KqlType::Int),
                (flags, KqlType::Bool),
                (texts, KqlType::String)
            ]),
            // "héllo" is 6 bytes of UTF-8.
            [4 + 1 + 6, 4 + 1]
        );
    }

    /// The page: `dynamic({"a":"bcd"})` is larger than the string '{"a":"bcd"}' (11).
    #[test]
    fn a_dynamic_value_is_larger_than_its_text() {
        let text = r#"{"a":"bcd"}"#;
        let as_string: ArrayRef = Arc::new(StringArray::from(vec![text]));
        let as_dynamic: ArrayRef = Arc::new(StringArray::from(vec![text]));
        assert_eq!(sizes(vec![(as_string, KqlType::String)]), [11]);
        // The bag and its slot's value: two values.
        assert_eq!(sizes(vec![(as_dynamic, KqlType::Dynamic)]), [11 + 16]);
        assert_eq!(dynamic_size("[1,[2,3]]"), 9 + 8 * 5);
        assert_eq!(dynamic_size("null"), 0);
        // Too deep for the JSON reader: one value, no recursion.
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(dynamic_size(&deep), 20_000 + 8);
    }
}
