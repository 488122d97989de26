//! Writing a `ResultSet` out: CSV, Graph-shaped JSON, JSON lines, Parquet, and a plain text table
//! for terminals. Exports keep raw values; only the text table is sanitised for display.

use std::io::{self, Write};

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, TimestampNanosecondBuilder};

use datafusion::arrow::datatypes::{DataType, Int64Type, Schema, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;

use super::format::{cell_display, cell_text, push_cell_json};
use super::safe::{display_width, fit, sanitize};
use super::{KqlType, ResultSet};
use crate::kql::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Table,
    Csv,
    /// CSV with cells that a spreadsheet would read as a formula prefixed by `'` (F10's opt-in
    /// mode; see `write_csv_with`).
    CsvSpreadsheetSafe,
    Json,
    Jsonl,
    Parquet,
}

impl ExportFormat {
    pub fn from_name(name: &str) -> Option<ExportFormat> {
        Some(match name.to_ascii_lowercase().as_str() {
            "table" => ExportFormat::Table,
            "csv" => ExportFormat::Csv,
            "json" => ExportFormat::Json,
            "jsonl" | "ndjson" => ExportFormat::Jsonl,
            "parquet" => ExportFormat::Parquet,
            _ => return None,
        })
    }
}

pub fn write(
    result: &ResultSet,
    format: ExportFormat,
    out: &mut (dyn Write + Send),
) -> io::Result<()> {
    match format {
        ExportFormat::Table => write_table(result, out, 60),
        ExportFormat::Csv => write_csv(result, out),
        ExportFormat::CsvSpreadsheetSafe => write_csv_with(result, out, true),
        ExportFormat::Json => write_json(result, out),
        ExportFormat::Jsonl => write_jsonl(result, out),
        ExportFormat::Parquet => write_parquet(result, out),
    }
}

/// One CSV field (RFC 4180 §2.5–2.7): enclosed in double quotes when it holds `"`, `,`, CR or LF
/// (or starts or ends with a space, which some readers trim), each inner `"` doubled; otherwise as
/// it is.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The text spreadsheet-safe mode writes: a leading `'` before a formula character.
fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A cell's CSV text: the raw KQL text, with dynamic values other than strings as compact JSON
/// (one field however the backend spaced it; a dynamic string is its text, as `tostring`).
fn csv_text(result: &ResultSet, row: usize, column: usize) -> Option<String> {
    let text = result.cell_text(row, column)?;
    if result.column_type(column) != KqlType::Dynamic {
        return Some(text);
    }
    let raw = result.column(column);
    let is_json_string = raw
        .as_string_opt::<i32>()
        .is_some_and(|strings| strings.value(row).trim_start().starts_with('"'));
    if is_json_string {
        return Some(text);
    }
    Some(
        serde_json::from_str::<serde_json::Value>(&text)
            .map(|json| json.to_string())
            .unwrap_or(text),
    )
}

/// RFC 4180 CSV with a header row; nulls are empty fields; values are written exactly as they
/// are (see [`write_csv_with`]).
pub fn write_csv(result: &ResultSet, out: &mut dyn Write) -> io::Result<()> {
    write_csv_with(result, out, false)
}

/// CSV per RFC 4180: a header row, then one record per row; a field holding `"`, `,`, CR or LF
/// is enclosed in double quotes with inner quotes doubled, so embedded line breaks stay inside
/// their record. Records end with LF (RFC 4180 readers, Python's `csv` and spreadsheets accept
/// it). Nulls are empty fields; dynamic values are compact JSON.
///
/// By default no value is altered. With `spreadsheet_safe` (opt-in), a value or column name
/// starting with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'` so a spreadsheet shows it as
/// text instead of running it as a formula (OWASP "CSV Injection"); those values then differ
/// from the data, and the caller should say so (the CLI prints a note on stderr: a comment line
/// inside the file would not be CSV).
pub fn write_csv_with(
    result: &ResultSet,
    out: &mut dyn Write,
    spreadsheet_safe_mode: bool,
) -> io::Result<()> {
    let field = |text: &str| -> String {
        if spreadsheet_safe_mode {
            csv_field(&spreadsheet_safe(text))
        } else {
            csv_field(text)
        }
    };
    let header: Vec<String> = result.column_names().iter().map(|n| field(n)).collect();
    writeln!(out, "{}", header.join(","))?;
    let mut line = String::new();
    for row in 0..result.row_count() {
        line.clear();
        for column in 0..result.column_count() {
            if column > 0 {
                line.push(',');
            }
            if let Some(text) = csv_text(result, row, column) {
                line.push_str(&field(&text));
            }
        }
        // A record of one empty field would be an empty line, which CSV readers skip: quote it.
        if line.is_empty() && result.column_count() == 1 {
            line.push_str("\"\"");
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Each column's name as a JSON string followed by `:`, the first after `{`, the others after
/// `,`: what every row object starts its members with.
fn member_prefixes(result: &ResultSet) -> Vec<Vec<u8>> {
    (0..result.column_count())
        .map(|column| {
            let mut prefix = vec![if column == 0 { b'{' } else { b',' }];
            // Writing into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut prefix, &result.column_name(column));
            prefix.push(b':');
            prefix
        })
        .collect()
}

/// Appends row `row` as a JSON object, members in column order (Graph's `results` items).
fn push_row_object(out: &mut Vec<u8>, result: &ResultSet, prefixes: &[Vec<u8>], row: usize) {
    if prefixes.is_empty() {
        out.push(b'{');
    }
    for (column, prefix) in prefixes.iter().enumerate() {
        out.extend_from_slice(prefix);
        push_cell_json(
            out,
            result.column(column).as_ref(),
            row,
            result.column_type(column),
        );
    }
    out.push(b'}');
}

/// Rows are gathered in a buffer of about this many bytes between writes.
const WRITE_CHUNK: usize = 1 << 16;

/// Writes each row through `each` (which appends its text to the buffer) in chunks.
fn write_rows(
    result: &ResultSet,
    out: &mut dyn Write,
    mut each: impl FnMut(&mut Vec<u8>, usize),
) -> io::Result<()> {
    let mut buffer = Vec::with_capacity(WRITE_CHUNK * 2);
    for row in 0..result.row_count() {
        each(&mut buffer, row);
        if buffer.len() >= WRITE_CHUNK {
            out.write_all(&buffer)?;
            buffer.clear();
        }
    }
    out.write_all(&buffer)
}

/// Exactly Graph's response shape: `{"schema": [{"name", "type"}], "results": [{...}]}`.
pub fn write_json(result: &ResultSet, out: &mut dyn Write) -> io::Result<()> {
    write_graph_response(result, None, out)
}

/// Graph's `huntingQueryResults` body, with `@odata.context` first when `context` is given (as
/// `hunt serve` answers): `{"@odata.context": …, "schema": […], "results": […]}`.
pub fn write_graph_response(
    result: &ResultSet,
    context: Option<&str>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let schema: Vec<serde_json::Value> = (0..result.column_count())
        .map(|c| serde_json::json!({"name": result.column_name(c), "type": result.column_type(c).graph_name()}))
        .collect();
    write!(out, "{{")?;
    if let Some(context) = context {
        write!(out, "\"@odata.context\":")?;
        serde_json::to_writer(&mut *out, context)?;
        write!(out, ",")?;
    }
    write!(out, "\"schema\":")?;
    serde_json::to_writer(&mut *out, &schema)?;
    write!(out, ",\"results\":[")?;
    let prefixes = member_prefixes(result);
    write_rows(result, out, |buffer, row| {
        if row > 0 {
            buffer.push(b',');
        }
        push_row_object(buffer, result, &prefixes, row);
    })?;
    writeln!(out, "]}}")
}

/// One JSON object a line, as in Graph's `results`.
pub fn write_jsonl(result: &ResultSet, out: &mut dyn Write) -> io::Result<()> {
    let prefixes = member_prefixes(result);
    write_rows(result, out, |buffer, row| {
        push_row_object(buffer, result, &prefixes, row);
        buffer.push(b'\n');
    })
}

/// Parquet with the KQL types in the field metadata. Datetime columns are written as Parquet
/// timestamps (nanoseconds, UTC) so other tools read them as times; a datetime outside what that
/// type holds (1677–2262) is an error naming the column. Timespans stay i64 ticks.
pub fn write_parquet(result: &ResultSet, out: &mut (dyn Write + Send)) -> io::Result<()> {
    ParquetParts::new(out, result)?.finish()?;
    Ok(())
}

/// One Parquet file written part by part (`write_parquet`'s form: datetimes as nanosecond
/// timestamps, KQL types in the field metadata): each part's rows follow the ones before, and
/// the writer cuts row groups as one `write_parquet` of all the rows would. Only the row group
/// being filled is held in memory (encoded), so a table larger than memory can be written.
/// Every part must have the first part's columns; another shape is an error.
pub struct ParquetParts<W: Write + Send> {
    writer: ArrowWriter<W>,
}

impl<W: Write + Send> ParquetParts<W> {
    /// Starts the file on `out` with the first part's columns and rows.
    pub fn new(out: W, first: &ResultSet) -> io::Result<ParquetParts<W>> {
        let batch = parquet_batch(first)?;
        let writer = ArrowWriter::try_new(out, batch.schema(), None).map_err(io::Error::other)?;
        let mut parts = ParquetParts { writer };
        parts.write_batch(&batch)?;
        Ok(parts)
    }

    /// Appends the next part's rows.
    pub fn write(&mut self, part: &ResultSet) -> io::Result<()> {
        let batch = parquet_batch(part)?;
        self.write_batch(&batch)
    }

    fn write_batch(&mut self, batch: &RecordBatch) -> io::Result<()> {
        self.writer.write(batch).map_err(io::Error::other)
    }

    /// Writes the last row group and the footer; gives back the output.
    pub fn finish(self) -> io::Result<W> {
        self.writer.into_inner().map_err(io::Error::other)
    }
}

fn parquet_batch(result: &ResultSet) -> io::Result<RecordBatch> {
    let schema = result.schema();
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (index, field) in schema.fields().iter().enumerate() {
        let column = result.column(index);
        if result.column_type(index) != KqlType::DateTime || column.data_type() != &DataType::Int64
        {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
            continue;
        }
        let mut nanos = TimestampNanosecondBuilder::with_capacity(column.len());
        for ticks in column.as_primitive::<Int64Type>() {
            match ticks.map(time::unix_nanos_from_ticks) {
                None => nanos.append_null(),
                Some(Some(value)) => nanos.append_value(value),
                Some(None) => {
                    return Err(io::Error::other(format!(
                        "column '{}' holds a datetime Parquet's nanosecond timestamps cannot \
                         (before 1677 or after 2262); export it as CSV or JSON",
                        field.name()
                    )));
                }
            }
        }
        let data_type = DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
        fields.push(field.as_ref().clone().with_data_type(data_type.clone()));
        columns.push(Arc::new(nanos.finish().with_data_type(data_type)) as ArrayRef);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(io::Error::other)
}

/// An aligned text table with every value sanitised (UX.md's hostile-text rules), columns cut at
/// `max_width` display columns.
pub fn write_table(result: &ResultSet, out: &mut dyn Write, max_width: usize) -> io::Result<()> {
    let columns = result.column_count();
    let mut cells: Vec<Vec<String>> = Vec::with_capacity(result.row_count() + 1);
    cells.push(
        result
            .column_names()
            .iter()
            .map(|n| sanitize(n).flagged())
            .collect(),
    );
    for row in 0..result.row_count() {
        cells.push(
            (0..columns)
                .map(|c| {
                    sanitize(&cell_display(
                        result.column(c).as_ref(),
                        row,
                        result.column_type(c),
                    ))
                    .flagged()
                })
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            cells
                .iter()
                .map(|r| display_width(&r[c]))
                .max()
                .unwrap_or(0)
                .min(max_width)
        })
        .collect();
    for (index, row) in cells.iter().enumerate() {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let text = fit(cell, widths[c]);
            line.push_str(&text);
            if c + 1 < columns {
                line.push_str(&" ".repeat(widths[c] - display_width(&text) + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
        if index == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
            writeln!(out, "{}", rule.join("  "))?;
        }
    }
    Ok(())
}

/// Raw text of a row as a JSON object (for copy).
pub fn row_json(result: &ResultSet, row: usize) -> String {
    let mut out = Vec::new();
    push_row_object(&mut out, result, &member_prefixes(result), row);
    // Only serde_json's escaped text and UTF-8 cells went in.
    String::from_utf8_lossy(&out).into_owned()
}

/// A cell's raw text (for copy).
pub fn cell_raw(result: &ResultSet, row: usize, column: usize) -> String {
    cell_text(
        result.column(column).as_ref(),
        row,
        result.column_type(column),
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{RunFacts, kql_field};
    use datafusion::arrow::array::{Int64Array, StringArray};
    use std::time::Duration;

    fn sample() -> ResultSet {
        let schema = Arc::new(Schema::new(vec![
            kql_field("Name", KqlType::String),
            kql_field("N", KqlType::Long),
            kql_field("D", KqlType::Dynamic),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["a,b", "evil\u{1b}[2J"])),
                Arc::new(Int64Array::from(vec![Some(1), None])),
                Arc::new(StringArray::from(vec!["{\"k\":1}", "[]"])),
            ],
        )
        .unwrap();
        let facts = RunFacts {
            elapsed: Duration::ZERO,
            row_count: 0,
            truncated: false,
            backend: "test".into(),
            window: None,
            warnings: Vec::new(),
            ran_on: None,
        };
        ResultSet::from_batches(schema, &[batch], facts).unwrap()
    }

    fn render(f: impl FnOnce(&ResultSet, &mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&sample(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_and_keeps_raw_values() {
        let csv = render(|r, o| write_csv(r, o));
        assert_eq!(
            csv,
            "Name,N,D\n\"a,b\",1,\"{\"\"k\"\":1}\"\nevil\u{1b}[2J,,[]\n"
        );
    }

    #[test]
    fn json_has_graph_shape() {
        let json: serde_json::Value =
            serde_json::from_str(&render(|r, o| write_json(r, o))).unwrap();
        assert_eq!(
            json["schema"][1],
            serde_json::json!({"name": "N", "type": "Int64"})
        );
        assert_eq!(json["schema"][2]["type"], "Object");
        assert_eq!(
            json["results"][0],
            serde_json::json!({"Name": "a,b", "N": 1, "D": {"k": 1}})
        );
        assert_eq!(json["results"][1]["N"], serde_json::Value::Null);
    }

    /// Each row as `serde_json` writes a map of `cell_json` values: the shape the fast writer
    /// must give byte for byte.
    fn rows_through_values(result: &ResultSet) -> String {
        let mut text = String::new();
        for row in 0..result.row_count() {
            let mut object = serde_json::Map::new();
            for column in 0..result.column_count() {
                object.insert(
                    result.column_name(column),
                    super::super::format::cell_json(
                        result.column(column).as_ref(),
                        row,
                        result.column_type(column),
                    ),
                );
            }
            text.push_str(&serde_json::to_string(&object).unwrap());
            text.push('\n');
        }
        text
    }

    #[test]
    fn json_lines_are_what_serde_json_writes_of_the_values() {
        use datafusion::arrow::array::{
            BooleanArray, Float64Array, Int32Array, StringViewArray, TimestampMicrosecondArray,
        };
        let columns: Vec<(&str, KqlType, ArrayRef)> = vec![
            (
                "Text \"q\"",
                KqlType::String,
                Arc::new(StringArray::from(vec![
                    Some("tab\there \"quoted\" \\ é 😀 \u{1b}[2J \u{0}"),
                    None,
                    Some(""),
                ])),
            ),
            (
                "View",
                KqlType::String,
                Arc::new(StringViewArray::from(vec![
                    Some("a long enough view text"),
                    Some("x"),
                    None,
                ])),
            ),
            (
                "When",
                KqlType::DateTime,
                Arc::new(Int64Array::from(vec![
                    Some(638_000_000_001_234_567),
                    None,
                    Some(-5),
                ])),
            ),
            (
                "Stamp",
                KqlType::DateTime,
                Arc::new(TimestampMicrosecondArray::from(vec![
                    Some(1_700_000_000_123_456),
                    None,
                    Some(0),
                ])),
            ),
            (
                "Span",
                KqlType::Timespan,
                Arc::new(Int64Array::from(vec![Some(-36_000_000_001), Some(0), None])),
            ),
            (
                "Long",
                KqlType::Long,
                Arc::new(Int64Array::from(vec![Some(i64::MIN), Some(-1), None])),
            ),
            (
                "Int",
                KqlType::Int,
                Arc::new(Int32Array::from(vec![Some(7), None, Some(i32::MAX)])),
            ),
            (
                "Real",
                KqlType::Real,
                Arc::new(Float64Array::from(vec![
                    Some(1.0),
                    Some(f64::NAN),
                    Some(-2.5e-300),
                ])),
            ),
            (
                "Bool",
                KqlType::Bool,
                Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
            ),
            (
                "Dyn",
                KqlType::Dynamic,
                Arc::new(StringArray::from(vec![
                    Some("{ \"k\" : [1, 2.50] }"),
                    Some("\"s\""),
                    Some("not json"),
                ])),
            ),
        ];
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(n, t, c)| {
                    let typed = kql_field(n, *t);
                    datafusion::arrow::datatypes::Field::new(*n, c.data_type().clone(), true)
                        .with_metadata(typed.metadata().clone())
                })
                .collect::<Vec<_>>(),
        ));
        let batch = RecordBatch::try_new(
            schema.clone(),
            columns.into_iter().map(|(_, _, c)| c).collect(),
        )
        .unwrap();
        let facts = sample().facts.clone();
        let result = ResultSet::from_batches(schema, &[batch], facts).unwrap();
        let mut out = Vec::new();
        write_jsonl(&result, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            rows_through_values(&result)
        );
        let mut json = Vec::new();
        write_json(&result, &mut json).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let lines: Vec<serde_json::Value> = rows_through_values(&result)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(json["results"], serde_json::Value::Array(lines));
    }

    #[test]
    fn table_output_is_sanitised() {
        let table = render(|r, o| write_table(r, o, 60));
        assert!(!table.contains('\u{1b}'));
        assert!(table.contains("evil␛[2J"));
        assert_eq!(table.lines().count(), 4);
        // A direction-changing character is shown and the cell flagged, as the grid does.
        let schema = Arc::new(Schema::new(vec![kql_field("File", KqlType::String)]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(vec![
                "b\u{202e}exe.txt",
                "plain",
            ]))],
        )
        .unwrap();
        let result = ResultSet::from_batches(schema, &[batch], sample().facts.clone()).unwrap();
        let mut out = Vec::new();
        write_table(&result, &mut out, 60).unwrap();
        let table = String::from_utf8(out).unwrap();
        assert!(!table.contains('\u{202e}'), "{table}");
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[2].starts_with("⚠ b"), "{table}");
        assert_eq!(lines[3], "plain", "{table}");
    }

    #[test]
    fn parquet_round_trips() {
        let mut out = Vec::new();
        write_parquet(&sample(), &mut out).unwrap();
        assert_eq!(&out[..4], b"PAR1");
    }

    /// A small RFC 4180 reader (§2.5–2.7): quoted fields may hold commas, quotes (doubled) and
    /// line breaks; records end with LF or CRLF outside quotes.
    fn read_rfc4180(text: &str) -> Vec<Vec<String>> {
        let mut records = Vec::new();
        let mut record = Vec::new();
        let mut field = String::new();
        let mut chars = text.chars().peekable();
        let mut quoted = false;
        while let Some(ch) = chars.next() {
            match (quoted, ch) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (true, ch) => field.push(ch),
                (false, '"') if field.is_empty() => quoted = true,
                (false, ',') => record.push(std::mem::take(&mut field)),
                (false, '\r') if chars.peek() == Some(&'\n') => {}
                (false, '\n') => {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                (false, ch) => field.push(ch),
            }
        }
        assert!(!quoted, "unterminated quoted field");
        assert!(
            field.is_empty() && record.is_empty(),
            "last record without a line end"
        );
        records
    }

    /// Field case F10's input.
    fn f10() -> ResultSet {
        let schema = Arc::new(Schema::new(vec![
            kql_field("ProcessCommandLine", KqlType::String),
            kql_field("Tags", KqlType::Dynamic),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(F10_VALUES.to_vec())),
                // As a backend might hand it over: spaced JSON.
                Arc::new(StringArray::from(vec!["{ \"a\": [1, 2] }"; 5])),
            ],
        )
        .unwrap();
        ResultSet::from_batches(schema, &[batch], RunFacts::default()).unwrap()
    }

    const F10_VALUES: [&str; 5] = [
        "powershell -c \"Get-Process | ? {$_.Name -eq 'x'}\", done",
        "cmd /c echo line1\r\necho line2",
        "=cmd|' /C calc'!A0",
        "{\"Command\":\"whoami\",\"Count\":2}",
        "-enc SQBFAFgA",
    ];

    #[test]
    fn f10_csv_reads_back_exactly_with_an_rfc4180_reader() {
        let mut out = Vec::new();
        write_csv(&f10(), &mut out).unwrap();
        let csv = String::from_utf8(out).unwrap();
        assert_eq!(
            csv,
            "ProcessCommandLine,Tags\n\
             \"powershell -c \"\"Get-Process | ? {$_.Name -eq 'x'}\"\", done\",\"{\"\"a\"\":[1,2]}\"\n\
             \"cmd /c echo line1\r\necho line2\",\"{\"\"a\"\":[1,2]}\"\n\
             =cmd|' /C calc'!A0,\"{\"\"a\"\":[1,2]}\"\n\
             \"{\"\"Command\"\":\"\"whoami\"\",\"\"Count\"\":2}\",\"{\"\"a\"\":[1,2]}\"\n\
             -enc SQBFAFgA,\"{\"\"a\"\":[1,2]}\"\n"
        );
        let records = read_rfc4180(&csv);
        assert_eq!(records.len(), 6, "a header and 5 records");
        assert_eq!(records[0], ["ProcessCommandLine", "Tags"]);
        for (record, value) in records[1..].iter().zip(F10_VALUES) {
            assert_eq!(record[0], value, "the default output alters nothing");
            assert_eq!(record[1], "{\"a\":[1,2]}", "dynamic as compact JSON");
        }
    }

    #[test]
    fn an_empty_value_alone_on_its_row_stays_a_record() {
        let schema = Arc::new(Schema::new(vec![kql_field("x", KqlType::String)]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(vec![
                Some("a"),
                Some(""),
                None,
                Some("b"),
            ]))],
        )
        .unwrap();
        let result = ResultSet::from_batches(schema, &[batch], RunFacts::default()).unwrap();
        let mut out = Vec::new();
        write_csv(&result, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "x\na\n\"\"\n\"\"\nb\n"
        );
        // The csv crate, like Python's, skips empty lines.
        let rows: Vec<String> = csv::Reader::from_reader(out.as_slice())
            .records()
            .map(|r| r.unwrap()[0].to_string())
            .collect();
        assert_eq!(rows, ["a", "", "", "b"]);
    }

    #[test]
    fn spreadsheet_safe_csv_prefixes_formula_starts_only() {
        let mut out = Vec::new();
        write_csv_with(&f10(), &mut out, true).unwrap();
        let records = read_rfc4180(&String::from_utf8(out).unwrap());
        let first: Vec<&str> = records[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            first,
            [
                F10_VALUES[0],
                F10_VALUES[1],
                "'=cmd|' /C calc'!A0",
                F10_VALUES[3],
                "'-enc SQBFAFgA"
            ]
        );
        for start in ["+1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(spreadsheet_safe(start), format!("'{start}"));
        }
        assert_eq!(spreadsheet_safe("plain"), "plain");
        assert_eq!(csv_field(&spreadsheet_safe("\rx")), "\"'\rx\"");
    }
}
