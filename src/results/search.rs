//! Find in the grid: every cell whose displayed text (`format::cell_display`) contains a needle,
//! ignoring case, in the order the grid shows the rows.
//!
//! Speed comes from three things: text columns are searched in Arrow's own bytes (no string per
//! cell); other columns are formatted into one reused buffer; and a column is skipped whole when
//! the needle holds a character its text can never contain (a datetime's text is digits and
//! `-T:.Z`, so `powershell` cannot be in one).

use std::fmt::Write as _;

use datafusion::arrow::array::{Array, AsArray, StringArray};
use datafusion::arrow::datatypes::DataType;
use memchr::memmem;

use super::format::{Value, cell_value};
use super::{KqlType, ResultSet};
use crate::kql::time;

/// Every `(grid position, column)` whose displayed text contains `needle`, case-insensitively,
/// row-major in grid order. With `order` (a client-side sort: `order[position]` = source row)
/// positions follow it; without, position = source row. Entries of `order` past the last row are
/// skipped. An empty needle matches nothing.
///
/// Case folding: ASCII text is compared byte by byte with ASCII folding; text or a needle with
/// other characters is compared through `str::to_lowercase` (so `ÄRGER` finds `ärger`).
pub fn find(result: &ResultSet, needle: &str, order: Option<&[u32]>) -> Vec<(u32, u16)> {
    if needle.is_empty() {
        return Vec::new();
    }
    let needle_lower = needle.to_lowercase();
    let ascii_needle = needle_lower.is_ascii();
    let finder = memmem::Finder::new(needle_lower.as_bytes());
    let rows = result.row_count();
    // Columns past u16 cannot be reported; the grid never has that many.
    let columns: Vec<Column> = (0..result.column_count().min(usize::from(u16::MAX) + 1))
        .filter_map(|c| Column::new(result, c, &needle_lower))
        .collect();
    let mut scratch = Scratch::default();
    let mut matches = Vec::new();
    let positions = order.map_or(rows, <[u32]>::len);
    for position in 0..positions {
        let row = match order {
            Some(order) => order[position] as usize,
            None => position,
        };
        if row >= rows {
            continue;
        }
        for column in &columns {
            if column.matches(row, &finder, &needle_lower, ascii_needle, &mut scratch) {
                matches.push((position as u32, column.index));
            }
        }
    }
    matches
}

/// Buffers reused across cells.
#[derive(Default)]
struct Scratch {
    text: String,
    folded: Vec<u8>,
}

/// One searchable column: how its cells are read.
struct Column<'a> {
    index: u16,
    kql_type: KqlType,
    array: &'a dyn Array,
    /// Set for UTF-8 columns whose displayed text is the stored text.
    strings: Option<&'a StringArray>,
}

impl<'a> Column<'a> {
    /// `None` when no cell of the column can contain the needle.
    fn new(result: &'a ResultSet, index: usize, needle_lower: &str) -> Option<Column<'a>> {
        let kql_type = result.column_type(index);
        let array = result.column(index).as_ref();
        let alphabet: Option<&str> = match (kql_type, array.data_type()) {
            (_, DataType::Boolean) => Some("truefalse"),
            (KqlType::DateTime, _) => Some("0123456789-t:.z"),
            (KqlType::Timespan, _) => Some("0123456789-.:"),
            (_, DataType::Float16 | DataType::Float32 | DataType::Float64) => {
                // `format_real`: digits, sign, point, exponent, `NaN`, `Infinity`.
                Some("0123456789-+.enaify")
            }
            (
                _,
                DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32
                | DataType::UInt64,
            ) => Some("0123456789-"),
            _ => None,
        };
        if let Some(alphabet) = alphabet
            && !needle_lower.chars().all(|c| alphabet.contains(c))
        {
            return None;
        }
        let strings = match (kql_type, array.data_type()) {
            (KqlType::String | KqlType::Guid | KqlType::Dynamic, DataType::Utf8) => {
                Some(array.as_string::<i32>())
            }
            _ => None,
        };
        Some(Column {
            index: index as u16,
            kql_type,
            array,
            strings,
        })
    }

    fn matches(
        &self,
        row: usize,
        finder: &memmem::Finder,
        needle_lower: &str,
        ascii_needle: bool,
        scratch: &mut Scratch,
    ) -> bool {
        if self.array.is_null(row) {
            return false;
        }
        if let Some(strings) = self.strings {
            let text = strings.value(row);
            // A dynamic string shows unquoted and unescaped: read it as the grid does.
            if !(self.kql_type == KqlType::Dynamic && text.starts_with('"')) {
                return contains(
                    text,
                    finder,
                    needle_lower,
                    ascii_needle,
                    &mut scratch.folded,
                );
            }
        }
        scratch.text.clear();
        match cell_value(self.array, row, self.kql_type) {
            None => return false,
            Some(Value::Int(i)) => {
                let _ = write!(scratch.text, "{i}");
            }
            Some(Value::UInt(u)) => {
                let _ = write!(scratch.text, "{u}");
            }
            Some(Value::Bool(b)) => scratch.text.push_str(if b { "true" } else { "false" }),
            Some(Value::DateTime(ticks)) => scratch.text.push_str(&time::format_datetime(ticks)),
            Some(value) => scratch.text.push_str(&value.to_text(self.kql_type)),
        }
        contains(
            &scratch.text,
            finder,
            needle_lower,
            ascii_needle,
            &mut scratch.folded,
        )
    }
}

/// Whether `text` contains the (already lower-cased) needle, ignoring case.
fn contains(
    text: &str,
    finder: &memmem::Finder,
    needle_lower: &str,
    ascii_needle: bool,
    folded: &mut Vec<u8>,
) -> bool {
    if text.len() < needle_lower.len() && text.is_ascii() {
        return false;
    }
    if ascii_needle && text.is_ascii() {
        folded.clear();
        folded.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
        return finder.find(folded).is_some();
    }
    // Non-ASCII: Unicode lower case (it may change byte lengths, e.g. `İ` → `i̇`).
    text.to_lowercase().contains(needle_lower)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{RunFacts, kql_field};
    use datafusion::arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array};
    use datafusion::arrow::datatypes::Schema;
    use datafusion::arrow::record_batch::RecordBatch;
    use std::sync::Arc;

    fn sample() -> ResultSet {
        let ticks = time::parse_datetime("2024-03-26T09:39:50.7688641Z").unwrap();
        let schema = Arc::new(Schema::new(vec![
            kql_field("Cmd", KqlType::String),
            kql_field("N", KqlType::Long),
            kql_field("T", KqlType::DateTime),
            kql_field("D", KqlType::Dynamic),
            kql_field("R", KqlType::Real),
            kql_field("B", KqlType::Bool),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec![
                Some("PowerShell -enc 2024"),
                Some("Ärger über cmd.exe"),
                None,
            ])),
            Arc::new(Int64Array::from(vec![Some(2024), None, Some(-7)])),
            Arc::new(Int64Array::from(vec![Some(ticks), Some(ticks), None])),
            Arc::new(StringArray::from(vec![
                Some("{\"k\":\"POWERSHELL\"}"),
                Some("\"a\\\"quoted\\\"\""),
                Some("[1,2]"),
            ])),
            Arc::new(Float64Array::from(vec![1e20, f64::NAN, 0.5])),
            Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        ResultSet::from_batches(schema, &[batch], RunFacts::default()).unwrap()
    }

    #[test]
    fn finds_case_insensitively_in_grid_order() {
        let result = sample();
        assert_eq!(find(&result, "powershell", None), vec![(0, 0), (0, 3)]);
        assert_eq!(
            find(&result, "2024", None),
            vec![(0, 0), (0, 1), (0, 2), (1, 2)]
        );
        // Sorted view: position 0 shows row 2, position 2 shows row 0.
        assert_eq!(
            find(&result, "powershell", Some(&[2, 1, 0])),
            vec![(2, 0), (2, 3)]
        );
        assert_eq!(find(&result, "", None), vec![]);
        assert_eq!(find(&result, "no such text", None), vec![]);
        // Rows past the end in `order` are skipped, not a panic.
        assert_eq!(
            find(&result, "powershell", Some(&[9, 0])),
            vec![(1, 0), (1, 3)]
        );
    }

    #[test]
    fn non_ascii_folds_through_lowercase() {
        let result = sample();
        assert_eq!(find(&result, "ärger ÜBER", None), vec![(1, 0)]);
        assert_eq!(find(&result, "ÄRGER", None), vec![(1, 0)]);
    }

    #[test]
    fn matches_the_displayed_text_of_every_type() {
        let result = sample();
        // A dynamic string shows unquoted: `a"quoted"`.
        assert_eq!(find(&result, "a\"quoted\"", None), vec![(1, 3)]);
        assert_eq!(find(&result, "1e+20", None), vec![(0, 4)]);
        assert_eq!(find(&result, "nan", None), vec![(1, 4)]);
        assert_eq!(find(&result, "TRUE", None), vec![(0, 5)]);
        assert_eq!(find(&result, "-7", None), vec![(2, 1)]);
        assert_eq!(find(&result, "50.7688641z", None), vec![(0, 2), (1, 2)]);
        assert_eq!(find(&result, "[1,2]", None), vec![(2, 3)]);
    }
}
