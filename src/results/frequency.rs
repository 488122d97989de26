//! Value frequencies of one column (the grid's "what is in this column" view): each distinct
//! value with its count. Values are counted on the raw Arrow data (string bytes, integers, the
//! bits of a double) and only the distinct ones are formatted, so 100,000 rows cost one pass.

use std::cmp::Ordering;
use std::collections::hash_map::Entry;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};

use super::format::{Value, cell_value, push_datetime};
use super::{KqlType, ResultSet};

/// A fast, non-cryptographic hash: the keys are the result's own values, counted once.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

fn new_map<K, V>() -> HashMap<K, V> {
    HashMap::with_hasher(foldhash::fast::RandomState::default())
}

/// The distinct values of a column and how often each occurs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frequencies {
    /// `(value, count)`: the value's raw KQL text (`format::cell_text`, the form export uses),
    /// `None` for null. Sorted by count, highest first; equal counts by value ascending (numbers,
    /// datetimes and timespans by their value, text by its characters), null last.
    pub values: Vec<(Option<String>, u64)>,
    /// The rows counted: the result's row count.
    pub total: u64,
}

/// Counts the values of `column`. A column index out of range gives no values and a total of 0.
pub fn frequencies(result: &ResultSet, column: usize) -> Frequencies {
    if column >= result.column_count() {
        return Frequencies::default();
    }
    let array = result.column(column).as_ref();
    let kql_type = result.column_type(column);
    let mut entries = match array.data_type() {
        DataType::Utf8 => count_strings(array, kql_type),
        DataType::Boolean => {
            let bools = array.as_boolean();
            let (mut yes, mut no) = (0u64, 0u64);
            for value in bools.iter().flatten() {
                if value { yes += 1 } else { no += 1 }
            }
            [(true, yes), (false, no)]
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(|(b, n)| Item {
                    key: Key::Int(i64::from(b)),
                    text: b.to_string(),
                    count: n,
                })
                .collect()
        }
        DataType::Int8 => count_ints(array, kql_type, |r| {
            i64::from(array.as_primitive::<Int8Type>().value(r))
        }),
        DataType::Int16 => count_ints(array, kql_type, |r| {
            i64::from(array.as_primitive::<Int16Type>().value(r))
        }),
        DataType::Int32 => count_ints(array, kql_type, |r| {
            i64::from(array.as_primitive::<Int32Type>().value(r))
        }),
        DataType::Int64 => {
            let values = array.as_primitive::<Int64Type>().values();
            count_ints(array, kql_type, |r| values[r])
        }
        DataType::UInt8 => count_ints(array, kql_type, |r| {
            i64::from(array.as_primitive::<UInt8Type>().value(r))
        }),
        DataType::UInt16 => count_ints(array, kql_type, |r| {
            i64::from(array.as_primitive::<UInt16Type>().value(r))
        }),
        DataType::UInt32 => count_ints(array, kql_type, |r| {
            i64::from(array.as_primitive::<UInt32Type>().value(r))
        }),
        DataType::UInt64 => count_by_row(array, kql_type, |r| {
            array.as_primitive::<UInt64Type>().value(r)
        }),
        DataType::Float32 => count_by_row(array, kql_type, |r| {
            real_bits(f64::from(array.as_primitive::<Float32Type>().value(r)))
        }),
        DataType::Float64 => {
            let values = array.as_primitive::<Float64Type>().values();
            count_by_row(array, kql_type, |r| real_bits(values[r]))
        }
        // Anything else (timestamps from files, nested data): through its text.
        _ => count_texts(array, kql_type),
    };
    // Dynamic values that differ but read the same (`1` and `"1"`, spacing) are one value.
    // (Other columns' distinct keys have distinct texts.)
    if kql_type == KqlType::Dynamic {
        merge_equal_texts(&mut entries);
    }
    // Distinct values never tie on (count, value), so an unstable sort is exact.
    entries.sort_unstable_by(|a, b| b.count.cmp(&a.count).then_with(|| a.cmp_value(b)));
    let mut values: Vec<(Option<String>, u64)> = entries
        .into_iter()
        .map(|e| (Some(e.text), e.count))
        .collect();
    let nulls = array.null_count() as u64;
    if nulls > 0 {
        // Nulls sit after every value with the same count (and the list stays sorted by count).
        let at = values.partition_point(|(_, count)| *count >= nulls);
        values.insert(at, (None, nulls));
    }
    Frequencies {
        values,
        total: result.row_count() as u64,
    }
}

/// The order of equal counts: by value, typed (text by the item's own text).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Key {
    Int(i64),
    Float(f64),
    Text,
}

impl Key {
    fn rank(&self) -> u8 {
        match self {
            Key::Int(_) => 0,
            Key::Float(_) => 1,
            Key::Text => 2,
        }
    }
}

/// One distinct value.
#[derive(Debug)]
struct Item {
    key: Key,
    text: String,
    count: u64,
}

impl Item {
    fn cmp_value(&self, other: &Item) -> Ordering {
        match (self.key, other.key) {
            (Key::Int(a), Key::Int(b)) => a.cmp(&b),
            (Key::Float(a), Key::Float(b)) => a.total_cmp(&b),
            (Key::Text, Key::Text) => self.text.cmp(&other.text),
            // One column has one kind of key; a mix (never made) orders by kind.
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

/// Every NaN as one bit pattern, so NaNs count as one value.
fn real_bits(value: f64) -> u64 {
    if value.is_nan() {
        f64::NAN.to_bits()
    } else {
        value.to_bits()
    }
}

fn text_of(array: &dyn Array, row: usize, kql_type: KqlType) -> String {
    match (kql_type, array.data_type()) {
        // The common wide case (timestamps are mostly distinct): no format! per value.
        (KqlType::DateTime, DataType::Int64) if array.is_valid(row) => {
            let mut text = String::with_capacity(28);
            push_datetime(&mut text, array.as_primitive::<Int64Type>().value(row));
            text
        }
        _ => cell_value(array, row, kql_type)
            .map(|v| v.to_text(kql_type))
            .unwrap_or_default(),
    }
}

/// UTF-8 columns: counted by their bytes, without a string per row.
fn count_strings(array: &dyn Array, kql_type: KqlType) -> Vec<Item> {
    let strings = array.as_string::<i32>();
    let mut counts: HashMap<&str, (usize, u64)> = new_map();
    for row in 0..strings.len() {
        if strings.is_null(row) {
            continue;
        }
        match counts.entry(strings.value(row)) {
            Entry::Occupied(mut e) => e.get_mut().1 += 1,
            Entry::Vacant(e) => {
                e.insert((row, 1));
            }
        }
    }
    counts
        .into_iter()
        .map(|(raw, (row, count))| Item {
            key: Key::Text,
            // Only a dynamic value's text differs from its stored text.
            text: if kql_type == KqlType::Dynamic {
                text_of(array, row, kql_type)
            } else {
                raw.to_string()
            },
            count,
        })
        .collect()
}

/// Integer columns (and datetimes and timespans, held as ticks): keyed by the number.
fn count_ints(array: &dyn Array, kql_type: KqlType, value: impl Fn(usize) -> i64) -> Vec<Item> {
    let mut counts: HashMap<i64, (usize, u64)> = new_map();
    for row in 0..array.len() {
        if array.is_null(row) {
            continue;
        }
        counts.entry(value(row)).or_insert((row, 0)).1 += 1;
    }
    counts
        .into_iter()
        .map(|(number, (row, count))| Item {
            key: Key::Int(number),
            text: text_of(array, row, kql_type),
            count,
        })
        .collect()
}

/// Columns keyed by a 64-bit pattern (doubles by their bits, u64s): ordered by the value read
/// back as a double.
fn count_by_row(array: &dyn Array, kql_type: KqlType, key: impl Fn(usize) -> u64) -> Vec<Item> {
    let mut counts: HashMap<u64, (usize, u64)> = new_map();
    for row in 0..array.len() {
        if array.is_null(row) {
            continue;
        }
        counts.entry(key(row)).or_insert((row, 0)).1 += 1;
    }
    counts
        .into_values()
        .map(|(row, count)| {
            let sort = match cell_value(array, row, kql_type) {
                Some(Value::Float(f)) => Key::Float(f),
                Some(Value::UInt(u)) => Key::Float(u as f64),
                _ => Key::Float(0.0),
            };
            Item {
                key: sort,
                text: text_of(array, row, kql_type),
                count,
            }
        })
        .collect()
}

/// Any other Arrow type: keyed by its text.
fn count_texts(array: &dyn Array, kql_type: KqlType) -> Vec<Item> {
    let mut counts: HashMap<String, u64> = new_map();
    for row in 0..array.len() {
        if array.is_null(row) {
            continue;
        }
        *counts.entry(text_of(array, row, kql_type)).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .map(|(text, count)| Item {
            key: Key::Text,
            text,
            count,
        })
        .collect()
}

/// Sums entries whose texts are equal, keeping the first key.
fn merge_equal_texts(entries: &mut Vec<Item>) {
    let mut seen: HashMap<String, usize> = new_map();
    let mut merged: Vec<Item> = Vec::with_capacity(entries.len());
    for entry in entries.drain(..) {
        match seen.get(&entry.text) {
            Some(&at) => merged[at].count += entry.count,
            None => {
                seen.insert(entry.text.clone(), merged.len());
                merged.push(entry);
            }
        }
    }
    *entries = merged;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{RunFacts, kql_field};
    use datafusion::arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::Schema;
    use datafusion::arrow::record_batch::RecordBatch;
    use std::sync::Arc;

    fn one(kql_type: KqlType, column: ArrayRef) -> ResultSet {
        let schema = Arc::new(Schema::new(vec![kql_field("c", kql_type)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![column]).unwrap();
        ResultSet::from_batches(schema, &[batch], RunFacts::default()).unwrap()
    }

    fn pairs(f: &Frequencies) -> Vec<(Option<&str>, u64)> {
        f.values.iter().map(|(v, n)| (v.as_deref(), *n)).collect()
    }

    #[test]
    fn strings_by_count_then_value_with_nulls_last() {
        let result = one(
            KqlType::String,
            Arc::new(StringArray::from(vec![
                Some("b"),
                None,
                Some("a"),
                Some("b"),
                Some("c"),
                None,
                Some("a"),
                Some("b"),
            ])),
        );
        let f = frequencies(&result, 0);
        assert_eq!(
            pairs(&f),
            vec![(Some("b"), 3), (Some("a"), 2), (None, 2), (Some("c"), 1)]
        );
        assert_eq!(f.total, 8);
    }

    #[test]
    fn numbers_tie_break_numerically_and_datetimes_read_as_text() {
        let result = one(
            KqlType::Long,
            Arc::new(Int64Array::from(vec![10, 9, 100, 9])),
        );
        assert_eq!(
            pairs(&frequencies(&result, 0)),
            vec![(Some("9"), 2), (Some("10"), 1), (Some("100"), 1)]
        );
        let ticks = crate::kql::time::parse_datetime("2024-03-26T09:39:50.7688641Z").unwrap();
        let result = one(
            KqlType::DateTime,
            Arc::new(Int64Array::from(vec![Some(ticks), None, Some(ticks + 1)])),
        );
        assert_eq!(
            pairs(&frequencies(&result, 0)),
            vec![
                (Some("2024-03-26T09:39:50.7688641Z"), 1),
                (Some("2024-03-26T09:39:50.7688642Z"), 1),
                (None, 1)
            ]
        );
    }

    #[test]
    fn reals_bools_and_dynamic_values_merge_by_their_text() {
        let nan2 = f64::from_bits(f64::NAN.to_bits() | 1);
        let result = one(
            KqlType::Real,
            Arc::new(Float64Array::from(vec![f64::NAN, nan2, 1.5, -1.0])),
        );
        assert_eq!(
            pairs(&frequencies(&result, 0)),
            vec![(Some("NaN"), 2), (Some("-1"), 1), (Some("1.5"), 1)]
        );
        let result = one(
            KqlType::Bool,
            Arc::new(BooleanArray::from(vec![
                Some(true),
                Some(false),
                Some(true),
                None,
            ])),
        );
        assert_eq!(
            pairs(&frequencies(&result, 0)),
            vec![(Some("true"), 2), (Some("false"), 1), (None, 1)]
        );
        let result = one(
            KqlType::Dynamic,
            Arc::new(StringArray::from(vec!["1", "\"1\"", "{\"a\":1}"])),
        );
        assert_eq!(
            pairs(&frequencies(&result, 0)),
            vec![(Some("1"), 2), (Some("{\"a\":1}"), 1)]
        );
    }

    #[test]
    fn a_missing_column_is_empty() {
        let result = one(KqlType::Long, Arc::new(Int64Array::from(vec![1])));
        assert_eq!(frequencies(&result, 3), Frequencies::default());
    }
}
