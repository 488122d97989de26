//! Find in the grid: every cell whose displayed text (`format::cell_display`) contains a needle,
//! ignoring case, in the order the grid shows the rows.
//!
//! Speed comes from working a column at a time, in row order (cache-friendly whatever the grid's
//! sort), and from never making a string per cell: a text column's Arrow bytes are ASCII-folded
//! once and searched in one sweep; other columns are formatted into one reused buffer; and a
//! column is skipped whole when the needle holds a character its text can never contain (a
//! datetime's text is digits and `-T:.Z`, so `powershell` cannot be in one).

use std::fmt::Write as _;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::DataType;
use memchr::memmem;

use super::format::{Value, cell_value, push_datetime};
use super::{KqlType, ResultSet};

/// Every `(grid position, column)` whose displayed text contains `needle`, case-insensitively,
/// row-major in grid order. With `order` (a client-side sort: `order[position]` = source row)
/// positions follow it; without, position = source row. Entries of `order` past the last row are
/// skipped. An empty needle matches nothing.
///
/// Case folding is Unicode lower case (`str::to_lowercase`) of both sides, so `ÄRGER` finds
/// `ärger`; ASCII text is folded byte by byte, which gives the same answer faster.
pub fn find(result: &ResultSet, needle: &str, order: Option<&[u32]>) -> Vec<(u32, u16)> {
    if needle.is_empty() {
        return Vec::new();
    }
    let needle = Needle::new(needle);
    let rows = result.row_count();
    let mut scratch = Scratch::default();
    // Columns past u16 cannot be reported; the grid never has that many.
    let hits: Vec<(u16, Vec<bool>)> = (0..result.column_count().min(usize::from(u16::MAX) + 1))
        .filter_map(|c| {
            let hits = column_hits(result, c, &needle, &mut scratch)?;
            hits.contains(&true).then_some((c as u16, hits))
        })
        .collect();
    let mut matches = Vec::new();
    if hits.is_empty() {
        return matches;
    }
    let positions = order.map_or(rows, <[u32]>::len);
    for position in 0..positions {
        let row = match order {
            Some(order) => order[position] as usize,
            None => position,
        };
        if row >= rows {
            continue;
        }
        for (column, column_hits) in &hits {
            if column_hits[row] {
                matches.push((position as u32, *column));
            }
        }
    }
    matches
}

/// The needle, lower-cased, and its byte searcher.
struct Needle {
    lower: String,
    finder: memmem::Finder<'static>,
}

impl Needle {
    fn new(needle: &str) -> Needle {
        let lower = needle.to_lowercase();
        let finder = memmem::Finder::new(lower.as_bytes()).into_owned();
        Needle { lower, finder }
    }

    /// Whether `text` contains the needle, ignoring case.
    fn in_text(&self, text: &str, folded: &mut Vec<u8>) -> bool {
        if self.lower.is_ascii() && text.is_ascii() {
            folded.clear();
            folded.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
            return self.finder.find(folded).is_some();
        }
        // Unicode lower case may change lengths (`İ` → `i̇`).
        text.to_lowercase().contains(&self.lower)
    }
}

/// Buffers reused across cells and columns.
#[derive(Default)]
struct Scratch {
    text: String,
    folded: Vec<u8>,
}

/// The only characters outside ASCII whose lower case holds ASCII (`İ` → `i̇`, the Kelvin sign
/// → `k`): a text with one of them can match an ASCII needle its ASCII folding does not show.
const FOLDS_TO_ASCII: [char; 2] = ['\u{0130}', '\u{212A}'];

/// Which rows of column `index` contain the needle; `None` when none can.
fn column_hits(
    result: &ResultSet,
    index: usize,
    needle: &Needle,
    scratch: &mut Scratch,
) -> Option<Vec<bool>> {
    let kql_type = result.column_type(index);
    let array = result.column(index).as_ref();
    if !could_contain(kql_type, array.data_type(), &needle.lower) {
        return None;
    }
    match (kql_type, array.data_type()) {
        (KqlType::String | KqlType::Guid | KqlType::Dynamic, DataType::Utf8) => {
            let strings = array.as_string::<i32>();
            let offsets = strings.value_offsets();
            let base = offsets[0] as usize;
            let bytes = &strings.values()[base..offsets[strings.len()] as usize];
            let ends: Vec<usize> = offsets[1..].iter().map(|&o| o as usize - base).collect();
            let mut hits = bytes_hits(bytes, &ends, needle, scratch);
            for (row, hit) in hits.iter_mut().enumerate() {
                if strings.is_null(row) {
                    *hit = false;
                } else if kql_type == KqlType::Dynamic && strings.value(row).starts_with('"') {
                    // A dynamic string shows unquoted and unescaped: read it as the grid does.
                    let shown =
                        Value::Text(strings.value(row).to_string()).to_text(KqlType::Dynamic);
                    *hit = needle.in_text(&shown, &mut scratch.folded);
                }
            }
            Some(hits)
        }
        _ => {
            // Every cell's text laid end to end (nulls empty), then one sweep.
            let mut texts = std::mem::take(&mut scratch.text);
            texts.clear();
            let mut ends = Vec::with_capacity(array.len());
            for row in 0..array.len() {
                push_formatted(array, row, kql_type, &mut texts);
                ends.push(texts.len());
            }
            let hits = bytes_hits(texts.as_bytes(), &ends, needle, scratch);
            scratch.text = texts;
            Some(hits)
        }
    }
}

/// Whether a cell of this type can show text containing `needle` (lower-cased): its characters
/// must be ones the type's text uses, and signs must sit where the text puts them. A number is
/// `-` then digits; a datetime digits and `-T:.Z`; a timespan `-` then digits and `.:`; a real
/// digits, `.`, an exponent `E` with its sign, or `NaN` / `Infinity`.
/// (An out-of-range tick count reads `<datetime out of range: N ticks>`; no checked path makes
/// one, so such a cell is not searched for its words.)
fn could_contain(kql_type: KqlType, data_type: &DataType, needle: &str) -> bool {
    let only = |alphabet: &str| needle.chars().all(|c| alphabet.contains(c));
    // A sign only first, or (reals) right after the exponent's `e`.
    let signs_placed = |after_e: bool| {
        let bytes = needle.as_bytes();
        bytes.iter().enumerate().all(|(at, &b)| {
            !matches!(b, b'-' | b'+')
                || (b == b'-' && at == 0)
                || (after_e && (at == 0 || bytes[at - 1] == b'e'))
        })
    };
    match (kql_type, data_type) {
        (_, DataType::Boolean) => only("truefalse"),
        (KqlType::DateTime, _) => only("0123456789-t:.z"),
        (KqlType::Timespan, _) => only("0123456789-.:") && signs_placed(false),
        (_, DataType::Float16 | DataType::Float32 | DataType::Float64) => {
            only("0123456789-+.enaifty") && signs_placed(true)
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
        ) => only("0123456789-") && signs_placed(false),
        _ => true,
    }
}

/// Appends the text a non-text cell shows (nothing for null).
fn push_formatted(array: &dyn Array, row: usize, kql_type: KqlType, out: &mut String) {
    match cell_value(array, row, kql_type) {
        None => {}
        Some(Value::Int(i)) => {
            let _ = write!(out, "{i}");
        }
        Some(Value::UInt(u)) => {
            let _ = write!(out, "{u}");
        }
        Some(Value::Bool(b)) => out.push_str(if b { "true" } else { "false" }),
        Some(Value::DateTime(ticks)) => push_datetime(out, ticks),
        Some(value) => out.push_str(&value.to_text(kql_type)),
    }
}

/// Which cells of `bytes` contain the needle, cell `row` being `bytes[ends[row - 1]..ends[row]]`
/// (from 0 for the first). One ASCII-folded sweep finds every ASCII match; a needle outside ASCII
/// is looked for in the cells outside ASCII only, through Unicode lower case.
fn bytes_hits(bytes: &[u8], ends: &[usize], needle: &Needle, scratch: &mut Scratch) -> Vec<bool> {
    let rows = ends.len();
    let mut hits = vec![false; rows];
    let cell = |row: usize| {
        let start = if row == 0 { 0 } else { ends[row - 1] };
        // Cells are whole UTF-8 strings, so this never fails; an empty cell if it did.
        std::str::from_utf8(&bytes[start..ends[row]]).unwrap_or_default()
    };
    if !needle.lower.is_ascii() {
        // A needle outside ASCII can only be in a text outside ASCII.
        for (row, hit) in hits.iter_mut().enumerate() {
            let text = cell(row);
            *hit = !text.is_ascii() && text.to_lowercase().contains(&needle.lower);
        }
        return hits;
    }
    let folded = &mut scratch.folded;
    folded.clear();
    folded.extend(bytes.iter().map(u8::to_ascii_lowercase));
    let length = needle.lower.len();
    let mut from = 0;
    while from < folded.len()
        && let Some(at) = needle.finder.find(&folded[from..])
    {
        let start = from + at;
        // The cell holding `start`: the first whose end is past it.
        let row = ends.partition_point(|&end| end <= start);
        if row >= rows {
            break;
        }
        if start + length <= ends[row] {
            hits[row] = true;
            from = ends[row];
        } else {
            from = start + 1;
        }
    }
    // Cells with a character whose lower case is ASCII are read the slow, exact way (their
    // UTF-8 starts with 0xC4 or 0xE2).
    if bytes.iter().any(|&b| b == 0xC4 || b == 0xE2) {
        for (row, hit) in hits.iter_mut().enumerate() {
            let text = cell(row);
            if !*hit && text.contains(FOLDS_TO_ASCII) {
                *hit = text.to_lowercase().contains(&needle.lower);
            }
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{RunFacts, kql_field};
    use datafusion::arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::Schema;
    use datafusion::arrow::record_batch::RecordBatch;
    use std::sync::Arc;

    fn sample() -> ResultSet {
        let ticks = crate::kql::time::parse_datetime("2024-03-26T09:39:50.7688641Z").unwrap();
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

    #[test]
    fn only_two_characters_outside_ascii_lower_case_to_ascii() {
        let found: Vec<char> = (0x80..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|c| c.to_lowercase().any(|l| l.is_ascii()))
            .collect();
        assert_eq!(found, FOLDS_TO_ASCII);
    }

    #[test]
    fn ascii_needles_find_text_through_unicode_lower_case() {
        let schema = Arc::new(Schema::new(vec![kql_field("S", KqlType::String)]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(vec![
                Some("5 \u{212A}elvin"),
                Some("\u{0130}stanbul"),
                None,
                Some("kel"),
                Some("ab"),
                Some("cd"),
            ]))],
        )
        .unwrap();
        let result = ResultSet::from_batches(schema, &[batch], RunFacts::default()).unwrap();
        assert_eq!(find(&result, "kel", None), vec![(0, 0), (3, 0)]);
        assert_eq!(find(&result, "i\u{307}stan", None), vec![(1, 0)]);
        // A match never spans two cells.
        assert_eq!(find(&result, "bc", None), vec![]);
        assert_eq!(find(&result, "ab", Some(&[5, 4, 3])), vec![(1, 0)]);
    }

    #[test]
    fn types_that_cannot_show_the_needle_are_skipped() {
        use DataType::*;
        assert!(could_contain(KqlType::Long, &Int64, "-12"));
        assert!(!could_contain(KqlType::Long, &Int64, "1-2"));
        assert!(!could_contain(KqlType::Long, &Int64, "x"));
        assert!(could_contain(KqlType::Real, &Float64, "e-07"));
        assert!(could_contain(KqlType::Real, &Float64, "1e+20"));
        assert!(could_contain(KqlType::Real, &Float64, "-infinity"));
        assert!(!could_contain(KqlType::Real, &Float64, "2024-03"));
        assert!(could_contain(KqlType::DateTime, &Int64, "2024-03-2"));
        assert!(!could_contain(KqlType::Timespan, &Int64, "1-2"));
        assert!(could_contain(KqlType::String, &Utf8, "anything"));
    }

    /// `find` agrees with the plain definition (the displayed text, Unicode lower case,
    /// `contains`) on mixed data and needles.
    #[test]
    fn agrees_with_the_plain_definition() {
        use crate::results::format::cell_display;
        let texts = [
            Some("PowerShell -enc"),
            Some("\u{212A}elvin \u{0130}stanbul"),
            None,
            Some("Ärger über cmd.exe"),
            Some(""),
            Some("a\u{2026}b"),
            Some("ΣΊΣΥΦΟΣ"),
        ];
        let rows = texts.len();
        let schema = Arc::new(Schema::new(vec![
            kql_field("S", KqlType::String),
            kql_field("D", KqlType::Dynamic),
            kql_field("N", KqlType::Long),
            kql_field("R", KqlType::Real),
            kql_field("T", KqlType::Timespan),
            kql_field("W", KqlType::DateTime),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(texts.to_vec())),
            Arc::new(StringArray::from(vec![
                Some("\"K\\u0130\""),
                Some("{\"k\":-1}"),
                None,
                Some("[1e-7]"),
                Some("\"ärger\""),
                Some("null"),
                Some("2"),
            ])),
            Arc::new(Int64Array::from(vec![
                Some(-12),
                Some(2024),
                None,
                Some(i64::MIN),
                Some(0),
                Some(7),
                Some(-1),
            ])),
            Arc::new(Float64Array::from(vec![
                Some(1e-7),
                Some(-1e20),
                Some(f64::NAN),
                Some(f64::NEG_INFINITY),
                None,
                Some(0.5),
                Some(-0.0),
            ])),
            Arc::new(Int64Array::from(vec![
                Some(-36_000_000_001),
                Some(864_000_000_000),
                None,
                Some(1),
                Some(0),
                Some(-1),
                Some(5),
            ])),
            Arc::new(Int64Array::from(vec![
                Some(0),
                Some(crate::kql::time::MAX_DATETIME_TICKS),
                None,
                Some(638_470_127_907_688_641),
                Some(1),
                Some(2),
                Some(3),
            ])),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        let result = ResultSet::from_batches(schema, &[batch], RunFacts::default()).unwrap();
        let needles = [
            "k",
            "K",
            "i",
            "İ",
            "\u{307}",
            "ärger",
            "ÄR",
            "-1",
            "1-",
            "e-07",
            "E+20",
            "nan",
            "-inf",
            "1.00",
            ":00.0000001",
            "-01",
            "9999",
            "t00",
            "z",
            "…",
            "σ",
            "ς",
            "\"",
            "{",
            "exe",
            "null",
            "0",
            ".",
            "2",
        ];
        for needle in needles {
            let lower = needle.to_lowercase();
            let mut expected = Vec::new();
            for row in 0..rows {
                for column in 0..result.column_count() {
                    let shown = cell_display(
                        result.column(column).as_ref(),
                        row,
                        result.column_type(column),
                    );
                    if result.column(column).is_valid(row) && shown.to_lowercase().contains(&lower)
                    {
                        expected.push((row as u32, column as u16));
                    }
                }
            }
            assert_eq!(find(&result, needle, None), expected, "{needle:?}");
        }
    }
}
