//! Writing a `ResultSet` out: CSV, Graph-shaped JSON, JSON lines, Parquet, and a plain text table
//! for terminals. Exports keep raw values; only the text table is sanitised for display.

use std::io::{self, Write};

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, TimestampNanosecondBuilder};
use datafusion::arrow::datatypes::{DataType, Int64Type, Schema, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;

use super::format::{cell_display, cell_json, cell_text};
use super::safe::{display_width, fit, sanitize};
use super::{KqlType, ResultSet};
use crate::kql::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Table,
    Csv,
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
        ExportFormat::Json => write_json(result, out),
        ExportFormat::Jsonl => write_jsonl(result, out),
        ExportFormat::Parquet => write_parquet(result, out),
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// RFC 4180 CSV with a header row; nulls are empty fields.
pub fn write_csv(result: &ResultSet, out: &mut dyn Write) -> io::Result<()> {
    let header: Vec<String> = result.column_names().iter().map(|n| csv_field(n)).collect();
    writeln!(out, "{}", header.join(","))?;
    for row in 0..result.row_count() {
        let fields: Vec<String> = (0..result.column_count())
            .map(|c| {
                result
                    .cell_text(row, c)
                    .map(|t| csv_field(&t))
                    .unwrap_or_default()
            })
            .collect();
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

fn row_object(result: &ResultSet, row: usize) -> serde_json::Map<String, serde_json::Value> {
    let mut object = serde_json::Map::new();
    for column in 0..result.column_count() {
        object.insert(
            result.column_name(column),
            cell_json(
                result.column(column).as_ref(),
                row,
                result.column_type(column),
            ),
        );
    }
    object
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
    for row in 0..result.row_count() {
        if row > 0 {
            write!(out, ",")?;
        }
        serde_json::to_writer(&mut *out, &row_object(result, row))?;
    }
    writeln!(out, "]}}")
}

pub fn write_jsonl(result: &ResultSet, out: &mut dyn Write) -> io::Result<()> {
    for row in 0..result.row_count() {
        serde_json::to_writer(&mut *out, &row_object(result, row))?;
        writeln!(out)?;
    }
    Ok(())
}

/// Parquet with the KQL types in the field metadata. Datetime columns are written as Parquet
/// timestamps (nanoseconds, UTC) so other tools read them as times; a datetime outside what that
/// type holds (1677–2262) is an error naming the column. Timespans stay i64 ticks.
pub fn write_parquet(result: &ResultSet, out: &mut (dyn Write + Send)) -> io::Result<()> {
    let batch = parquet_batch(result)?;
    let mut writer = ArrowWriter::try_new(out, batch.schema(), None).map_err(io::Error::other)?;
    writer.write(&batch).map_err(io::Error::other)?;
    writer.close().map_err(io::Error::other)?;
    Ok(())
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
            .map(|n| sanitize(n).text)
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
                    .text
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
    serde_json::Value::Object(row_object(result, row)).to_string()
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

    #[test]
    fn table_output_is_sanitised() {
        let table = render(|r, o| write_table(r, o, 60));
        assert!(!table.contains('\u{1b}'));
        assert!(table.contains("evil␛[2J"));
        assert_eq!(table.lines().count(), 4);
    }

    #[test]
    fn parquet_round_trips() {
        let mut out = Vec::new();
        write_parquet(&sample(), &mut out).unwrap();
        assert_eq!(&out[..4], b"PAR1");
    }
}
