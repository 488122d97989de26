//! Records out of line-oriented files: JSON lines (with Defender's streaming-export envelope
//! unwrapped) and CSV/TSV rows, each with the line it starts on, read through gzip or zstd when
//! the file is compressed. Everything here is blocking I/O: it runs on the worker's blocking
//! threads, never on the UI thread.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde_json::{Map, Value};

use super::{Compression, DataFile};

/// The longest line (or CSV record) read; a longer one is a bad row, so a file without line
/// breaks cannot make hunt read gigabytes into one buffer.
pub(super) const MAX_LINE_BYTES: usize = 64 << 20;

/// A record that cannot be read, with the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BadRow {
    pub line: u64,
    pub message: String,
}

/// The file's bytes, decompressed, buffered.
pub(super) fn open(file: &DataFile) -> io::Result<Box<dyn BufRead + Send>> {
    open_path(&file.path, file.compression)
}

pub(super) fn open_path(
    path: &Path,
    compression: Compression,
) -> io::Result<Box<dyn BufRead + Send>> {
    let raw = File::open(path)?;
    const BUFFER: usize = 256 << 10;
    Ok(match compression {
        Compression::None => Box::new(BufReader::with_capacity(BUFFER, raw)),
        // Multi-member: `cat a.gz b.gz` and block-compressed exports are one stream.
        Compression::Gzip => Box::new(BufReader::with_capacity(
            BUFFER,
            flate2::read::MultiGzDecoder::new(BufReader::new(raw)),
        )),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            BUFFER,
            zstd::stream::read::Decoder::new(raw)?,
        )),
    })
}

/// Whether a record is one of Defender's streaming-API exports: `{"time", "tenantId",
/// "category": "AdvancedHunting-<Table>", "properties": {…}}` (Microsoft Defender XDR docs,
/// "Stream advanced hunting events to Azure Storage / Event Hubs"). Returns the table's name.
pub(super) fn defender_category(record: &Map<String, Value>) -> Option<&str> {
    let category = record.get("category")?.as_str()?;
    let table = category
        .get(..16)
        .filter(|p| p.eq_ignore_ascii_case("AdvancedHunting-"))
        .map(|_| &category[16..])?;
    matches!(record.get("properties"), Some(Value::Object(_))).then_some(table)
}

/// One record and the line it starts on, or why the line is no record.
pub(super) type Record = Result<(u64, Map<String, Value>), BadRow>;

/// JSON lines, one record a line; blank lines are skipped. A line `{"records": [ … ]}` (an
/// Event Hubs message as exported) gives each of its records; a Defender envelope gives its
/// `properties`.
pub(super) struct JsonRecords {
    reader: Box<dyn BufRead + Send>,
    line: u64,
    buffer: Vec<u8>,
    pending: std::vec::IntoIter<Value>,
    pending_line: u64,
}

impl JsonRecords {
    pub(super) fn new(reader: Box<dyn BufRead + Send>) -> JsonRecords {
        JsonRecords {
            reader,
            line: 0,
            buffer: Vec::new(),
            pending: Vec::new().into_iter(),
            pending_line: 0,
        }
    }

    /// The next record and its line; `None` at the end. An I/O error (a truncated gzip stream, a
    /// file that went away) is `Err` of the whole file, a bad line `Ok(Some(Err(…)))`.
    pub(super) fn next_record(&mut self) -> io::Result<Option<Record>> {
        loop {
            if let Some(value) = self.pending.next() {
                return Ok(Some(record_of(value, self.pending_line)));
            }
            match read_line(&mut self.reader, &mut self.buffer)? {
                Line::End => return Ok(None),
                Line::TooLong(lines) => {
                    self.line += 1;
                    let line = self.line;
                    self.line += lines;
                    return Ok(Some(Err(BadRow {
                        line,
                        message: format!("the line is longer than {} MiB", MAX_LINE_BYTES >> 20),
                    })));
                }
                Line::Read => {}
            }
            self.line += 1;
            let text = match std::str::from_utf8(&self.buffer) {
                Ok(text) => text.trim(),
                Err(e) => {
                    return Ok(Some(Err(BadRow {
                        line: self.line,
                        message: format!(
                            "the line is not UTF-8 text (byte {})",
                            e.valid_up_to() + 1
                        ),
                    })));
                }
            };
            // A UTF-8 byte order mark may open the first line.
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            if text.is_empty() {
                continue;
            }
            let value = match serde_json::from_str::<Value>(text) {
                Ok(value) => value,
                Err(e) => {
                    // `[`, `{…},` and `]` lines: an array written over several lines.
                    let hint = if text.starts_with('[') || text.ends_with(',') || text == "]" {
                        ARRAY_HINT
                    } else {
                        ""
                    };
                    return Ok(Some(Err(BadRow {
                        line: self.line,
                        message: format!(
                            "not JSON: {} (column {}){hint}",
                            json_problem(&e),
                            e.column()
                        ),
                    })));
                }
            };
            if let Value::Object(map) = &value
                && map.len() == 1
                && let Some(Value::Array(_)) = map.get("records")
            {
                let Value::Object(mut map) = value else {
                    continue;
                };
                if let Some(Value::Array(records)) = map.remove("records") {
                    self.pending = records.into_iter();
                    self.pending_line = self.line;
                }
                continue;
            }
            return Ok(Some(record_of(value, self.line)));
        }
    }
}

/// What a bad row that looks like part of a JSON array adds to its message: hunt reads JSON
/// lines (one record per line), and says how to get them from an array.
const ARRAY_HINT: &str = "; this looks like a JSON array: hunt reads JSON lines, one object per line (`jq -c '.[]' FILE > FILE.jsonl` writes them)";

/// serde_json's message without its " at line 1 column N" tail (the column is given apart).
fn json_problem(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// A JSON value as a record: an object (a Defender envelope's `properties`), else a bad row.
fn record_of(value: Value, line: u64) -> Record {
    match value {
        Value::Object(mut map) => {
            if defender_category(&map).is_some()
                && let Some(Value::Object(properties)) = map.remove("properties")
            {
                return Ok((line, properties));
            }
            Ok((line, map))
        }
        other => Err(BadRow {
            line,
            message: format!(
                "a record must be a JSON object, not {}",
                match other {
                    Value::Array(_) =>
                        "an array; hunt reads JSON lines, one object per line (`jq -c '.[]' FILE > FILE.jsonl` writes them)",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    Value::Bool(_) => "a boolean",
                    _ => "null",
                }
            ),
        }),
    }
}

enum Line {
    Read,
    End,
    /// A line past `MAX_LINE_BYTES`, skipped to its end; how many line breaks were passed
    /// beyond the first (none: the rest of the line was read up to its break).
    TooLong(u64),
}

/// One line into `buffer` (without its line break), at most `MAX_LINE_BYTES`.
fn read_line(reader: &mut Box<dyn BufRead + Send>, buffer: &mut Vec<u8>) -> io::Result<Line> {
    buffer.clear();
    let read = reader
        .by_ref()
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', buffer)?;
    if read == 0 {
        return Ok(Line::End);
    }
    if buffer.last() == Some(&b'\n') {
        buffer.pop();
        if buffer.last() == Some(&b'\r') {
            buffer.pop();
        }
        return Ok(Line::Read);
    }
    if buffer.len() <= MAX_LINE_BYTES {
        // The last line, without a break.
        return Ok(Line::Read);
    }
    // Skip the rest of the long line.
    buffer.clear();
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(Line::TooLong(0));
        }
        match memchr::memchr(b'\n', available) {
            Some(at) => {
                reader.consume(at + 1);
                return Ok(Line::TooLong(0));
            }
            None => {
                let n = available.len();
                reader.consume(n);
            }
        }
    }
}

/// A CSV or TSV reader over a file's bytes (RFC 4180 quoting; a header row; rows of other
/// lengths are read so that they can be reported, not refused by the reader).
pub(super) fn csv_reader<R: Read>(reader: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(reader)
}

/// The offsets of the `"` bytes a CSV reader has pulled, for [`Quotes::odd_before`]: the `csv`
/// crate reads a quote that is never closed to the end of the file (the rows after it become
/// one value) and `"y"z"` as `yz"`, without an error. A record of RFC 4180 always holds an even
/// number of them.
#[derive(Clone, Default)]
pub(super) struct Quotes(std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<u64>>>);

impl Quotes {
    /// `reader` with its quotes noted here as it is read.
    pub(super) fn tap<R: Read>(&self, reader: R) -> QuoteTap<R> {
        QuoteTap {
            inner: reader,
            offset: 0,
            quotes: self.clone(),
        }
    }

    /// Whether an odd number of quotes lie before byte `end` (those are then forgotten).
    pub(super) fn odd_before(&self, end: u64) -> bool {
        let Ok(mut quotes) = self.0.lock() else {
            return false;
        };
        let mut count = 0usize;
        while quotes.front().is_some_and(|&at| at < end) {
            quotes.pop_front();
            count += 1;
        }
        count % 2 == 1
    }
}

/// A reader that notes where its quotes are (see [`Quotes`]).
pub(super) struct QuoteTap<R> {
    inner: R,
    offset: u64,
    quotes: Quotes,
}

impl<R: Read> Read for QuoteTap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut quotes) = self.quotes.0.lock() {
            quotes.extend(memchr::memchr_iter(b'"', &buf[..n]).map(|i| self.offset + i as u64));
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// What a record with an odd number of quotes is told.
pub(super) const UNCLOSED_QUOTE: &str = "a quote is not closed or stands inside a value (RFC 4180: \
     a quoted value ends with \" and a quote inside it is written twice); an unclosed quote \
     takes in the rows after it";

/// A CSV file's header: its column names (a byte order mark removed).
pub(super) fn csv_header<R: Read>(reader: &mut csv::Reader<R>) -> Result<Vec<String>, String> {
    let header = reader.headers().map_err(|e| csv_problem(&e))?;
    Ok(header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = if i == 0 {
                name.strip_prefix('\u{feff}').unwrap_or(name)
            } else {
                name
            };
            name.trim().to_string()
        })
        .collect())
}

/// What the CSV reader found wrong, in words.
pub(super) fn csv_problem(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("field {} is not UTF-8 text", err.field() + 1)
        }
        csv::ErrorKind::Io(e) => format!("could not read: {e}"),
        _ => {
            let text = error.to_string();
            match text.find(": ") {
                Some(at) if text.starts_with("CSV") => text[at + 2..].to_string(),
                _ => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<Result<(u64, String), BadRow>> {
        let reader: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(text.as_bytes().to_vec()));
        let mut records = JsonRecords::new(reader);
        let mut out = Vec::new();
        while let Some(record) = records.next_record().unwrap() {
            out.push(record.map(|(line, map)| (line, Value::Object(map).to_string())));
        }
        out
    }

    #[test]
    fn lines_are_numbered_blank_lines_skipped_and_bad_lines_reported() {
        let found = records("{\"a\":1}\n\n  \n{\"a\":2}\r\n{oops\n[1]\n{\"a\":3}");
        assert_eq!(found[0], Ok((1, r#"{"a":1}"#.into())));
        assert_eq!(found[1], Ok((4, r#"{"a":2}"#.into())));
        let Err(bad) = &found[2] else {
            panic!("{found:?}")
        };
        assert_eq!(bad.line, 5);
        assert!(
            bad.message.starts_with("not JSON: key must be a string"),
            "{}",
            bad.message
        );
        let Err(bad) = &found[3] else {
            panic!("{found:?}")
        };
        assert_eq!(bad.line, 6);
        assert!(
            bad.message
                .starts_with("a record must be a JSON object, not an array; hunt reads JSON lines")
                && bad.message.contains("jq -c '.[]'"),
            "{}",
            bad.message
        );
        assert_eq!(found[4], Ok((7, r#"{"a":3}"#.into())));
        assert_eq!(found.len(), 5);
        assert!(!found[2].as_ref().unwrap_err().message.contains("jq"));
    }

    #[test]
    fn an_array_over_several_lines_is_named_as_one() {
        let found = records("[\n  {\"a\": 1},\n  {\"a\": 2}\n]\n");
        let messages: Vec<String> = found
            .iter()
            .filter_map(|r| {
                r.as_ref()
                    .err()
                    .map(|bad| format!("{}: {}", bad.line, bad.message))
            })
            .collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        for (message, line) in messages.iter().zip(["1:", "2:", "4:"]) {
            assert!(
                message.starts_with(line) && message.contains("this looks like a JSON array"),
                "{message}"
            );
        }
    }

    #[test]
    fn defender_envelopes_and_event_hub_batches_are_unwrapped() {
        let envelope = r#"{"time":"2024-01-01T00:00:00Z","tenantId":"t","operationName":"Publish","category":"AdvancedHunting-DeviceProcessEvents","properties":{"DeviceName":"pc1"}}"#;
        let batch = format!("{{\"records\":[{envelope},{envelope}]}}");
        let found = records(&format!("{envelope}\n{batch}\n"));
        assert_eq!(
            found,
            vec![
                Ok((1, r#"{"DeviceName":"pc1"}"#.into())),
                Ok((2, r#"{"DeviceName":"pc1"}"#.into())),
                Ok((2, r#"{"DeviceName":"pc1"}"#.into())),
            ]
        );
        let record: Map<String, Value> = serde_json::from_str(envelope).unwrap();
        assert_eq!(defender_category(&record), Some("DeviceProcessEvents"));
        let plain: Map<String, Value> =
            serde_json::from_str(r#"{"category":"Other","properties":{}}"#).unwrap();
        assert_eq!(defender_category(&plain), None);
    }

    #[test]
    fn invalid_utf8_is_a_bad_row_not_an_error() {
        let reader: Box<dyn BufRead + Send> =
            Box::new(io::Cursor::new(b"{\"a\":\"\xff\"}\n{\"a\":1}\n".to_vec()));
        let mut records = JsonRecords::new(reader);
        let first = records.next_record().unwrap().unwrap().unwrap_err();
        assert_eq!(first.line, 1);
        assert!(first.message.contains("not UTF-8"), "{}", first.message);
        assert!(records.next_record().unwrap().unwrap().is_ok());
    }
}
