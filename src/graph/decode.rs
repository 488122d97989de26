//! Decoding Microsoft Graph's advanced hunting answers: the `POST /security/runHuntingQuery` 200
//! body into one Arrow batch ([`decode_results`]), and Graph's error envelope ([`decode_error`]).
//!
//! Facts come from `GRAPH.md` (the contract), the Graph v1.0 `huntingQueryResults` resource page
//! (`schema`: a list of `{name, type}` with .NET type names; `results`: a list of
//! `huntingRowResult`, an open type keyed by column name) and field case F06.
//!
//! The body is read once, in order, with serde visitors writing straight into per-column buffers
//! (no `serde_json::Value` tree of the response): strings are copied from the body into the
//! column's UTF-8 buffer, numbers never pass through `f64` unless the column is a `real`, and
//! `dynamic` values are taken as raw JSON text. Buffers grow to the size they are projected to
//! reach from how much of the body has been read, so the finished columns are close to their
//! final size and no buffer is doubled past it. The common key order (`schema` before `results`)
//! is a single pass; `results` before `schema` is captured as raw text and decoded after it.
//! From 1 MB on, the rows are converted on a second thread while this one reads on (see "Two
//! threads" below); the answer, warnings and errors are the same as on one thread.
//!
//! Decisions where Graph's documentation says nothing:
//! - Repeated column names in the schema are made unique (`Name`, `Name1`, `Name2`…, skipping
//!   names the schema already uses) with one warning; in a row, the n-th occurrence of a repeated
//!   key fills the n-th column of that name. A key repeated beyond that is ignored (counted).
//! - A value that does not fit its column's type (`"abc"` or `1.5` in an `Int64`, an `Int32` out
//!   of range, an object in a `DateTime`) becomes a null cell; each such column gets one warning
//!   with the count and the first offending value (shortened).
//! - `dynamic` cells hold compact JSON text: a JSON value keeps its own text with the whitespace
//!   outside strings removed (numbers are not rewritten); a string holding JSON is replaced by
//!   that JSON, compacted; any other string stays a JSON string (`"text"`, escaped as serde_json
//!   writes it). A JSON `null`, or a string holding `null`, is a null cell.
//! - Keys outside the schema are ignored and reported once (count and an example key).
//! - Lone UTF-16 surrogates in `\u` escapes (which Windows strings can carry, and which serde_json
//!   refuses) are replaced with U+FFFD in a second attempt on a copy of the body, with a warning,
//!   rather than losing the whole answer (inside `dynamic` strings they become U+FFFD directly).
//! - Nesting: `dynamic` values are skipped over as raw text without recursion, so any depth is
//!   kept; an object or list in another column is built as a small `serde_json::Value`, and
//!   serde_json refuses more than 128 levels there (the whole body is then an error).

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender};

use datafusion::arrow::array::builder::{BooleanBufferBuilder, NullBufferBuilder};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray,
};
use datafusion::arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::kql::time;
use crate::results::read::{Scalar, as_bool, as_long, as_real, datetime_ticks};
use crate::results::safe::shorten_escaped;
use crate::results::{KqlType, ResultSet, RunFacts, kql_field};

/// The most rows one `runHuntingQuery` answer holds (GRAPH.md, "Quotas"): a result with this many
/// rows was probably cut, so [`decode_results`] marks it `truncated`.
pub const GRAPH_ROW_CAP: usize = 100_000;

/// How many characters of body text a message or warning quotes (bodies are hostile and huge).
const QUOTE_CHARS: usize = 40;
/// No error message is longer than this many characters.
const MESSAGE_CHARS: usize = 240;
/// The most cells (rows × columns) one answer may have: far beyond Graph's 100,000 rows of
/// hunting tables, but it stops a hostile body of many `{}` rows under a huge schema from asking
/// for more memory than any machine has.
const MAX_CELLS: usize = 1_000_000_000;
/// Per-column warnings (bad values, unknown types) beyond this many are summed up in one line.
const WARNING_LIST_CAP: usize = 10;
/// Bodies from this size on are decoded by two threads (see `read_pipelined`); below it, a
/// second thread costs more than it saves.
const PIPELINE_FROM: usize = 1 << 20;
/// Cells per batch handed from the reading to the converting thread: small, because batches
/// are memory on top of the result (about 24 bytes a cell), large enough that handing one over
/// costs little next to converting it.
const BATCH_CELLS: usize = 4096;
/// Batches waiting for the converting thread; the reader blocks beyond this, so memory stays
/// bounded whichever thread is faster.
const QUEUED_BATCHES: usize = 2;
/// The UTF-8 byte order mark, which some HTTP stacks put before a JSON body.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a `runHuntingQuery` body could not be read. `line` and `column` are 1-based positions in
/// the body as serde_json counts them (column in bytes; column 0 means before the first byte);
/// both are 0 when the problem has no place in the body. `message` quotes at most about 40
/// characters of the body.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "response body: {}", self.message)
        } else {
            write!(
                f,
                "response body line {}, column {}: {}",
                self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for DecodeError {}

/// Decodes a `runHuntingQuery` 200 body (`{"schema": [{"name", "type"}…], "results": [{…}…]}`,
/// keys in either casing, in any order) into a [`ResultSet`] of one batch: columns in schema
/// order, typed by the schema's .NET type names (also KQL names) as `KqlType` maps them, a missing
/// key or `null` a null cell. `RunFacts` carries `row_count`, `truncated` (at least
/// [`GRAPH_ROW_CAP`] rows), `backend` (the given label) and the warnings; `elapsed` is left zero
/// for the caller. See the module documentation for how odd values are treated.
///
/// Errors: the body is not JSON (empty, cut short, an HTML page), has no `schema` list or no
/// `results` list, a schema entry has no name, or a row is not an object. Never panics.
pub fn decode_results(body: &[u8], backend: &str) -> Result<ResultSet, DecodeError> {
    decode_results_with(body, backend, PIPELINE_FROM)
}

/// [`decode_results`], with the rows converted on a second thread when the body has at least
/// `pipeline_from` bytes (a parameter so tests can run both paths on the same small bodies).
fn decode_results_with(
    body: &[u8],
    backend: &str,
    pipeline_from: usize,
) -> Result<ResultSet, DecodeError> {
    match decode_body(body, backend, pipeline_from) {
        // serde_json's words for a `\u` escape that is half of a UTF-16 pair; our own messages
        // never contain them.
        Err(error)
            if error.message.contains("surrogate") || error.message.contains("hex escape") =>
        {
            let Some((repaired, count)) = replace_lone_surrogates(body) else {
                return Err(error);
            };
            let mut result = decode_body(&repaired, backend, pipeline_from)?;
            result.facts.warnings.push(format!(
                "{count} lone UTF-16 surrogate escape{} in strings {} replaced with U+FFFD",
                plural(count),
                if count == 1 { "was" } else { "were" }
            ));
            Ok(result)
        }
        other => other,
    }
}

/// One attempt at [`decode_results`].
fn decode_body(body: &[u8], backend: &str, pipeline_from: usize) -> Result<ResultSet, DecodeError> {
    let failure = Cell::new(None);
    let decoded = read_body(body, backend, pipeline_from, &failure);
    match failure.get() {
        None => decoded,
        // The converting thread hit an error (out of memory, a column past 2 GiB): read again
        // on one thread, which reports it exactly as ever (with its place in the body).
        Some(Failure::Error) => read_body(body, backend, usize::MAX, &failure),
        Some(Failure::Panic) => Err(DecodeError {
            message: "hunt failed while converting the response (an internal error); the \
                      answer was not read"
                .to_string(),
            line: 0,
            column: 0,
        }),
    }
}

/// One reading of the body; a failure of the pipeline's converting thread is put in `failure`.
fn read_body(
    body: &[u8],
    backend: &str,
    pipeline_from: usize,
    failure: &Cell<Option<Failure>>,
) -> Result<ResultSet, DecodeError> {
    let (input, shift) = match body.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len()),
        None => (body, 0),
    };
    let place = Place { input, shift };
    // One UTF-8 check of the whole body: read from a `&[u8]`, serde_json would check every
    // string on its own, which costs more.
    let text = match std::str::from_utf8(input) {
        Ok(text) => text,
        Err(e) => return Err(place.not_utf8(e.valid_up_to())),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let top = TopSeed {
        progress: Progress::over(input),
        pipeline_from,
        failure,
    }
    .deserialize(&mut de)
    .and_then(|top| de.end().map(|()| top))
    .map_err(|e| place.error(&e, 0))?;
    let table = match top.results {
        Results::Decoded(table) => *table,
        Results::Raw(raw) => decode_late(raw, &top.specs, &place, pipeline_from, failure)?,
    };
    table.into_result(backend)
}

/// The `results` that came before `schema`: decoded now that the columns are known.
fn decode_late(
    raw: &RawValue,
    specs: &[Spec],
    place: &Place<'_>,
    pipeline_from: usize,
    failure: &Cell<Option<Failure>>,
) -> Result<Table, DecodeError> {
    let text = raw.get();
    // The raw text is a slice of the input, so its address gives its offset (for positions).
    let offset = (text.as_ptr() as usize).saturating_sub(place.input.as_ptr() as usize);
    let mut de = serde_json::Deserializer::from_str(text);
    ResultsSeed {
        specs,
        progress: Progress::over(text.as_bytes()),
        pipeline_from,
        failure,
    }
    .deserialize(&mut de)
    .and_then(|table| de.end().map(|()| table))
    .map_err(|e| place.error(&e, offset))
}

// ---------------------------------------------------------------------------------------------
// Errors and their places
// ---------------------------------------------------------------------------------------------

/// The body being read, to turn serde_json errors into [`DecodeError`]s with body positions.
struct Place<'b> {
    /// The body after any byte order mark.
    input: &'b [u8],
    /// Bytes skipped before `input` on line 1 (the byte order mark).
    shift: usize,
}

impl Place<'_> {
    /// `error` happened while reading the part of `input` that starts at byte `offset`.
    fn error(&self, error: &serde_json::Error, offset: usize) -> DecodeError {
        let (line, column) = self.position(error.line(), error.column(), offset);
        let full = error.to_string();
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        let bare = full.strip_suffix(&suffix).unwrap_or(&full);
        let first = self.input.iter().find(|b| !b.is_ascii_whitespace());
        let message = match error.classify() {
            serde_json::error::Category::Eof if first.is_none() => {
                "the response body is empty".to_string()
            }
            serde_json::error::Category::Eof => {
                format!("the response body ends before its JSON does (cut off in transit?): {bare}")
            }
            _ if bare.contains("recursion limit") => format!(
                "the response nests JSON more than 128 levels deep, more than hunt reads: {bare}"
            ),
            serde_json::error::Category::Syntax if first == Some(&b'<') => format!(
                "the response body is not JSON but looks like an HTML or XML page ({})",
                preview(self.input)
            ),
            serde_json::error::Category::Syntax => {
                format!("the response body is not valid JSON: {bare}")
            }
            serde_json::error::Category::Data | serde_json::error::Category::Io => bare.to_string(),
        };
        DecodeError {
            message: shorten(&message, MESSAGE_CHARS),
            line,
            column,
        }
    }

    /// The body has a byte that is not UTF-8 at `offset`.
    fn not_utf8(&self, offset: usize) -> DecodeError {
        let (line, column) = self.line_column(offset);
        let (line, column) = self.shifted(line, column + 1);
        DecodeError {
            message: "the response body is not UTF-8 text (JSON must be)".to_string(),
            line,
            column,
        }
    }

    /// The line (from 1) of byte `offset` of the input, and the bytes before it on its line.
    fn line_column(&self, offset: usize) -> (usize, usize) {
        let before = self.input.get(..offset).unwrap_or(self.input);
        let newlines = before.iter().filter(|b| **b == b'\n').count();
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        (1 + newlines, before.len() - line_start)
    }

    /// A position in the input → a position in the body (the byte order mark is on line 1).
    fn shifted(&self, line: usize, column: usize) -> (usize, usize) {
        if line == 1 {
            (line, column + self.shift)
        } else {
            (line, column)
        }
    }

    /// A position reported inside the part starting at `offset` → a position in the body.
    fn position(&self, line: usize, column: usize, offset: usize) -> (usize, usize) {
        if line == 0 {
            return (0, 0);
        }
        let (base_line, base_column) = self.line_column(offset);
        if line == 1 {
            self.shifted(base_line, base_column + column)
        } else {
            self.shifted(base_line + line - 1, column)
        }
    }
}

/// The start of a body for a message: at most [`QUOTE_CHARS`] characters, escaped, quoted.
fn preview(input: &[u8]) -> String {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    let rest = input.get(start..).unwrap_or_default();
    // Four bytes per character at most: enough bytes for the characters quoted, and a marker.
    let head = rest.get(..QUOTE_CHARS * 4 + 1).unwrap_or(rest);
    quote(&String::from_utf8_lossy(head))
}

/// Body text for a message or warning: `'…'` with at most [`QUOTE_CHARS`] characters, control
/// characters and quotes escaped, `…` when cut.
fn quote(text: &str) -> String {
    format!("'{}'", shorten_escaped(text, QUOTE_CHARS))
}

/// `text` cut to `limit` characters (a last guard on message length).
fn shorten(text: &str, limit: usize) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(limit).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

// ---------------------------------------------------------------------------------------------
// The top-level object
// ---------------------------------------------------------------------------------------------

/// A schema entry as Graph wrote it.
#[derive(Debug, Clone)]
struct Spec {
    name: String,
    /// `None` when the entry has no type (or `null`).
    type_name: Option<String>,
}

enum Results<'de> {
    Decoded(Box<Table>),
    Raw(&'de RawValue),
}

struct Top<'de> {
    specs: Vec<Spec>,
    results: Results<'de>,
}

struct TopSeed<'f> {
    progress: Progress,
    pipeline_from: usize,
    failure: &'f Cell<Option<Failure>>,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = Top<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Top<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = Top<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with `schema` and `results` (Graph's huntingQueryResults)")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Top<'de>, E> {
        Err(E::custom(
            "the response body is a JSON string, not an object with `schema` and `results`",
        ))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top<'de>, A::Error> {
        let mut specs: Option<Vec<Spec>> = None;
        let mut results: Option<Results<'de>> = None;
        while let Some(field) = map.next_key_seed(FieldSeed(&["schema", "results"]))? {
            match field {
                Some(0) => {
                    if specs.is_some() {
                        return Err(de::Error::custom("the response has more than one `schema`"));
                    }
                    specs = Some(map.next_value_seed(SchemaSeed)?);
                }
                Some(_) => {
                    if results.is_some() {
                        return Err(de::Error::custom(
                            "the response has more than one `results`",
                        ));
                    }
                    results = Some(match &specs {
                        // The common order: rows go straight into the columns.
                        Some(specs) => {
                            Results::Decoded(Box::new(map.next_value_seed(ResultsSeed {
                                specs,
                                progress: self.progress,
                                pipeline_from: self.pipeline_from,
                                failure: self.failure,
                            })?))
                        }
                        None => Results::Raw(map.next_value::<&'de RawValue>()?),
                    });
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(specs) = specs else {
            return Err(de::Error::custom(
                "the response has no `schema` list: not a runHuntingQuery result",
            ));
        };
        let Some(results) = results else {
            return Err(de::Error::custom(
                "the response has no `results` list: not a runHuntingQuery result",
            ));
        };
        Ok(Top { specs, results })
    }
}

/// Reads an object key and says which of `names` it is (ASCII case-insensitively, so `schema`
/// and `Schema` both match), `None` for any other key.
struct FieldSeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self
            .0
            .iter()
            .position(|name| name.eq_ignore_ascii_case(key)))
    }
}

// ---------------------------------------------------------------------------------------------
// The schema
// ---------------------------------------------------------------------------------------------

struct SchemaSeed;

impl<'de> DeserializeSeed<'de> for SchemaSeed {
    type Value = Vec<Spec>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Spec>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SchemaSeed {
    type Value = Vec<Spec>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`schema` to be a list of {name, type} objects")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Vec<Spec>, E> {
        Err(E::custom(
            "`schema` is a string, not a list of {name, type}",
        ))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Spec>, A::Error> {
        let mut specs = Vec::new();
        while let Some(spec) = seq.next_element_seed(SpecSeed {
            position: specs.len() + 1,
        })? {
            specs.push(spec);
        }
        Ok(specs)
    }
}

/// One schema entry; `position` counts from 1 (for messages).
struct SpecSeed {
    position: usize,
}

impl<'de> DeserializeSeed<'de> for SpecSeed {
    type Value = Spec;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Spec, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SpecSeed {
    type Value = Spec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "schema entry {} to be a {{name, type}} object",
            self.position
        )
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Spec, E> {
        Err(E::custom(format!(
            "schema entry {} is a string, not a {{name, type}} object",
            self.position
        )))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Spec, A::Error> {
        let mut name = None;
        let mut type_name = None;
        while let Some(field) = map.next_key_seed(FieldSeed(&["name", "type"]))? {
            match field {
                Some(0) => name = map.next_value_seed(TextSeed("a column name"))?,
                Some(_) => type_name = map.next_value_seed(TextSeed("a type name"))?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match name {
            Some(name) => Ok(Spec { name, type_name }),
            None => Err(de::Error::custom(format!(
                "schema entry {} has no name",
                self.position
            ))),
        }
    }
}

/// A string value (`null` → `None`); the text says what it should be, for messages.
struct TextSeed(&'static str);

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<String>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TextSeed {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (a string)", self.0)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Option<String>, E> {
        Ok(Some(value.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<String>, E> {
        Ok(None)
    }
}

/// Graph's .NET type name (or a KQL name) → the KQL type; `None` when unknown. Names are matched
/// ASCII case-insensitively, with or without `System.`.
fn graph_type(name: &str) -> Option<KqlType> {
    let lower = name.trim().to_ascii_lowercase();
    let bare = lower.strip_prefix("system.").unwrap_or(&lower);
    Some(match bare {
        "datetime" | "datetimeoffset" => KqlType::DateTime,
        "string" => KqlType::String,
        "int64" | "long" => KqlType::Long,
        "int32" | "int" | "int16" | "byte" => KqlType::Int,
        "double" | "single" | "real" | "float" => KqlType::Real,
        // Kusto's bool is an SByte in .NET.
        "boolean" | "bool" | "sbyte" => KqlType::Bool,
        "guid" => KqlType::Guid,
        "timespan" => KqlType::Timespan,
        "decimal" => KqlType::Decimal,
        "object" | "dynamic" => KqlType::Dynamic,
        other => return KqlType::from_kql_name(other),
    })
}

/// Unique display names: a repeated name becomes `Name1`, `Name2`… (skipping names the schema
/// already has). Adds one warning listing the renames.
fn unique_names(specs: &[Spec], warnings: &mut Vec<String>) -> Vec<String> {
    let original: HashSet<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    let mut taken: HashSet<String> = HashSet::with_capacity(specs.len());
    // The next suffix to try per repeated name, so many repeats stay linear.
    let mut next_suffix: HashMap<&str, usize> = HashMap::new();
    let mut renames = Vec::new();
    let mut names = Vec::with_capacity(specs.len());
    for spec in specs {
        let mut name = spec.name.clone();
        if taken.contains(&name) {
            let suffix = next_suffix.entry(spec.name.as_str()).or_insert(1);
            // Each try either succeeds or skips a name that is taken: the loop ends.
            loop {
                let candidate = format!("{}{}", spec.name, *suffix);
                *suffix += 1;
                if !taken.contains(&candidate) && !original.contains(candidate.as_str()) {
                    name = candidate;
                    break;
                }
            }
            renames.push(format!("{} → {}", quote(&spec.name), quote(&name)));
        }
        taken.insert(name.clone());
        names.push(name);
    }
    if !renames.is_empty() {
        let shown = renames.len().min(WARNING_LIST_CAP);
        let more = renames.len() - shown;
        warnings.push(format!(
            "the schema repeats column names; renamed {}{} (in each row the n-th key of a \
             repeated name fills the n-th column of that name)",
            renames[..shown].join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    names
}

// ---------------------------------------------------------------------------------------------
// Buffer sizing
// ---------------------------------------------------------------------------------------------

/// The projection needs this many bytes read…
const SAMPLE_BYTES: usize = 64 * 1024;
/// …and at least 1/SAMPLE_PART of the rows' bytes.
const SAMPLE_PART: usize = 64;
/// A buffer's first allocation (items).
const FIRST_CAPACITY: usize = 64;

/// How far the rows have been read, from the addresses of borrowed keys (which point into the
/// input): lets a buffer grow to the size it is projected to have at the end instead of doubling.
#[derive(Debug, Clone, Copy)]
struct Progress {
    start: usize,
    end: usize,
    /// Address of the first row key seen (0: none yet).
    first: usize,
    /// Address of the latest row key seen.
    now: usize,
}

impl Progress {
    fn over(input: &[u8]) -> Progress {
        let start = input.as_ptr() as usize;
        Progress {
            start,
            end: start.saturating_add(input.len()),
            first: 0,
            now: 0,
        }
    }

    #[inline]
    fn note(&mut self, key: &str) {
        let at = key.as_ptr() as usize;
        if at >= self.start && at < self.end {
            if self.first == 0 {
                self.first = at;
            }
            self.now = at;
        }
    }

    /// (read, total, remaining) bytes of the rows, once enough has been read to project.
    fn sample(&self) -> Option<(usize, usize, usize)> {
        if self.first == 0 {
            return None;
        }
        let done = self.now.saturating_sub(self.first);
        let total = self.end.saturating_sub(self.first);
        if done < SAMPLE_BYTES || done.saturating_mul(SAMPLE_PART) < total {
            return None;
        }
        Some((done, total, self.end.saturating_sub(self.now)))
    }

    /// `len` scaled to the whole input, plus 5 %, at most `bound`.
    fn project(&self, len: usize, bound: usize) -> Option<usize> {
        let (done, total, _) = self.sample()?;
        let projected = (len as u128 * total as u128 / done.max(1) as u128) * 21 / 20 + 16;
        Some(usize::try_from(projected).unwrap_or(usize::MAX).min(bound))
    }

    /// The projected final count of per-row items when `rows` are done. A row takes at least 2
    /// bytes (`{}`), which bounds the rows still to come.
    fn rows_target(&self, rows: usize) -> Option<usize> {
        let (_, _, remaining) = self.sample()?;
        self.project(rows, rows.saturating_add(remaining / 2 + 16))
    }

    /// The projected final size of a text buffer holding `bytes` now. Text comes from at least
    /// as many body bytes (escapes only shrink), which bounds the projection; the rare value that
    /// grows (`1E5` in a string column is written `100000.0`) still fits, past the projection.
    fn bytes_target(&self, bytes: usize) -> Option<usize> {
        let (_, _, remaining) = self.sample()?;
        self.project(bytes, bytes.saturating_add(remaining + 16))
    }
}

/// Makes room for `additional` more items: up to `target` (the projection) when known, at least
/// 1/8 more than now (so growth stays amortised), doubling while there is no projection yet.
fn make_room<T>(
    values: &mut Vec<T>,
    additional: usize,
    target: Option<usize>,
) -> Result<(), String> {
    let needed = values.len().saturating_add(additional);
    let capacity = values.capacity();
    if needed <= capacity {
        return Ok(());
    }
    let grown = match target {
        Some(target) => target.max(capacity + capacity / 8),
        None => capacity.saturating_mul(2).max(FIRST_CAPACITY),
    }
    .max(needed);
    if values.try_reserve_exact(grown - values.len()).is_ok() {
        return Ok(());
    }
    values
        .try_reserve(additional)
        .map_err(|_| "out of memory while decoding the response".to_string())
}

#[inline]
fn push_item<T>(values: &mut Vec<T>, value: T, progress: &Progress) -> Result<(), String> {
    if values.len() == values.capacity() {
        make_room(values, 1, progress.rows_target(values.len()))?;
    }
    values.push(value);
    Ok(())
}

/// Memory a finished buffer does not use is given back when it is more than 1/32 of it.
fn trim<T>(mut values: Vec<T>) -> Vec<T> {
    if values.capacity() - values.len() > values.len() / 32 + 64 {
        values.shrink_to_fit();
    }
    values
}

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

/// How a column's values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    Bool,
    Int,
    Long,
    Real,
    DateTime,
    Timespan,
    Guid,
    /// `String`, and types hunt does not know: strings as they are, anything else as JSON text.
    Text,
    Dynamic,
}

/// A column's values as Arrow will hold them.
enum Data {
    Bool(BooleanBufferBuilder),
    Int(Vec<i32>),
    /// `long`, `datetime` and `timespan` (100 ns ticks).
    Long(Vec<i64>),
    Real(Vec<f64>),
    /// UTF-8 bytes and the end offset of each value (after a leading 0).
    Text {
        offsets: Vec<i32>,
        bytes: Vec<u8>,
    },
}

impl Scalar<'_> {
    /// The value for a warning (strings quoted and shortened).
    fn example(self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::I64(v) => v.to_string(),
            Scalar::U64(v) => v.to_string(),
            Scalar::F64(v) => v.to_string(),
            Scalar::Str(s) => format!("\"{}\"", shorten_escaped(s, QUOTE_CHARS)),
        }
    }
}

struct Column {
    /// The name shown (unique).
    name: String,
    /// The type name as the schema gave it, for warnings.
    type_name: String,
    kql: KqlType,
    reader: Reader,
    data: Data,
    nulls: NullBufferBuilder,
    /// Cells so far (rows done, plus one if this row already filled it).
    len: usize,
    /// Values that did not fit the type (left null), and the first one.
    bad: usize,
    bad_example: Option<String>,
    /// Reused for unescaping strings in `dynamic` cells.
    scratch: String,
}

impl Column {
    /// A column of `kql` type (`String` for types hunt does not know).
    fn new(name: String, type_name: String, kql: KqlType) -> Column {
        let reader = match kql {
            KqlType::Bool => Reader::Bool,
            KqlType::Int => Reader::Int,
            KqlType::Long => Reader::Long,
            KqlType::Real | KqlType::Decimal => Reader::Real,
            KqlType::DateTime => Reader::DateTime,
            KqlType::Timespan => Reader::Timespan,
            KqlType::Guid => Reader::Guid,
            KqlType::String => Reader::Text,
            KqlType::Dynamic => Reader::Dynamic,
        };
        let data = match reader {
            Reader::Bool => Data::Bool(BooleanBufferBuilder::new(0)),
            Reader::Int => Data::Int(Vec::new()),
            Reader::Long | Reader::DateTime | Reader::Timespan => Data::Long(Vec::new()),
            Reader::Real => Data::Real(Vec::new()),
            Reader::Guid | Reader::Text | Reader::Dynamic => Data::Text {
                offsets: vec![0],
                bytes: Vec::new(),
            },
        };
        Column {
            name,
            type_name,
            kql,
            reader,
            data,
            nulls: NullBufferBuilder::new(0),
            len: 0,
            bad: 0,
            bad_example: None,
            scratch: String::new(),
        }
    }

    fn push_null(&mut self, progress: &Progress) -> Result<(), String> {
        match &mut self.data {
            Data::Bool(values) => values.append(false),
            Data::Int(values) => push_item(values, 0, progress)?,
            Data::Long(values) => push_item(values, 0, progress)?,
            Data::Real(values) => push_item(values, 0.0, progress)?,
            Data::Text { offsets, .. } => {
                let end = offsets.last().copied().unwrap_or(0);
                push_item(offsets, end, progress)?;
            }
        }
        self.nulls.append_null();
        self.len += 1;
        Ok(())
    }

    /// A value that does not fit the column: a null cell, counted.
    fn push_bad(
        &mut self,
        example: impl FnOnce() -> String,
        progress: &Progress,
    ) -> Result<(), String> {
        self.bad += 1;
        if self.bad_example.is_none() {
            self.bad_example = Some(example());
        }
        self.push_null(progress)
    }

    fn push_bool(&mut self, value: bool) {
        if let Data::Bool(values) = &mut self.data {
            values.append(value);
            self.nulls.append_non_null();
            self.len += 1;
        }
    }

    fn push_int(&mut self, value: i32, progress: &Progress) -> Result<(), String> {
        if let Data::Int(values) = &mut self.data {
            push_item(values, value, progress)?;
            self.nulls.append_non_null();
            self.len += 1;
        }
        Ok(())
    }

    fn push_long(&mut self, value: i64, progress: &Progress) -> Result<(), String> {
        if let Data::Long(values) = &mut self.data {
            push_item(values, value, progress)?;
            self.nulls.append_non_null();
            self.len += 1;
        }
        Ok(())
    }

    fn push_real(&mut self, value: f64, progress: &Progress) -> Result<(), String> {
        if let Data::Real(values) = &mut self.data {
            push_item(values, value, progress)?;
            self.nulls.append_non_null();
            self.len += 1;
        }
        Ok(())
    }

    /// Appends one text value that `write` puts into the column's bytes (after room is made for
    /// `size_hint` bytes). Errors when the column's text passes 2 GiB (Arrow's i32 offsets).
    fn push_text_with(
        &mut self,
        size_hint: usize,
        progress: &Progress,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), String> {
        let Data::Text { offsets, bytes } = &mut self.data else {
            return Ok(());
        };
        if bytes.capacity() - bytes.len() < size_hint {
            make_room(bytes, size_hint, progress.bytes_target(bytes.len()))?;
        }
        write(bytes);
        let Ok(end) = i32::try_from(bytes.len()) else {
            return Err(format!(
                "column {} holds more than 2 GiB of text, more than hunt can hold",
                quote(&self.name)
            ));
        };
        push_item(offsets, end, progress)?;
        self.nulls.append_non_null();
        self.len += 1;
        Ok(())
    }

    fn push_text(&mut self, text: &[u8], progress: &Progress) -> Result<(), String> {
        self.push_text_with(text.len(), progress, |bytes| bytes.extend_from_slice(text))
    }

    /// A JSON scalar, read the column's way.
    fn take(&mut self, value: Scalar<'_>, progress: &Progress) -> Result<(), String> {
        let reader = self.reader;
        let fitted = match reader {
            Reader::Bool => match as_bool(value) {
                Some(b) => {
                    self.push_bool(b);
                    true
                }
                None => false,
            },
            Reader::Int => match as_long(value).and_then(|v| i32::try_from(v).ok()) {
                Some(v) => self.push_int(v, progress).map(|()| true)?,
                None => false,
            },
            Reader::Long => match as_long(value) {
                Some(v) => self.push_long(v, progress).map(|()| true)?,
                None => false,
            },
            Reader::Real => match as_real(value) {
                Some(v) => self.push_real(v, progress).map(|()| true)?,
                None => false,
            },
            Reader::DateTime => match value {
                Scalar::Str(s) => match datetime_ticks(s) {
                    Some(ticks) => self.push_long(ticks, progress).map(|()| true)?,
                    None => false,
                },
                _ => false,
            },
            Reader::Timespan => match value {
                Scalar::Str(s) => match time::parse_timespan(s) {
                    Ok(ticks) => self.push_long(ticks, progress).map(|()| true)?,
                    Err(_) => false,
                },
                _ => false,
            },
            Reader::Guid => match value {
                Scalar::Str(s) => self.push_text(s.as_bytes(), progress).map(|()| true)?,
                _ => false,
            },
            Reader::Text => self.push_scalar_text(value, progress).map(|()| true)?,
            Reader::Dynamic => match value {
                Scalar::Str(s) => self.push_dynamic_string(s, progress).map(|()| true)?,
                other => self.push_scalar_text(other, progress).map(|()| true)?,
            },
        };
        if fitted {
            Ok(())
        } else {
            self.push_bad(|| value.example(), progress)
        }
    }

    /// A scalar as text: a string as it is, anything else as its JSON text.
    fn push_scalar_text(&mut self, value: Scalar<'_>, progress: &Progress) -> Result<(), String> {
        match value {
            Scalar::Str(s) => self.push_text(s.as_bytes(), progress),
            Scalar::Bool(b) => self.push_text(if b { b"true" } else { b"false" }, progress),
            // Writing into a Vec cannot fail; the results are ignored for that reason.
            Scalar::I64(v) => self.push_text_with(20, progress, |bytes| {
                let _ = write!(bytes, "{v}");
            }),
            Scalar::U64(v) => self.push_text_with(20, progress, |bytes| {
                let _ = write!(bytes, "{v}");
            }),
            Scalar::F64(v) => self.push_text_with(24, progress, |bytes| {
                let _ = serde_json::to_writer(bytes, &v);
            }),
        }
    }

    /// An object or list in a text column: its compact JSON text.
    fn push_json(&mut self, value: &serde_json::Value, progress: &Progress) -> Result<(), String> {
        // Written apart first, so the column's buffer grows by the exact size (not by doubling).
        let text = serde_json::to_vec(value).map_err(|e| e.to_string())?;
        self.push_text(&text, progress)
    }

    /// A `dynamic` cell from its raw JSON text (see the module documentation).
    fn push_dynamic(&mut self, raw: &str, progress: &Progress) -> Result<(), String> {
        match raw.as_bytes().first() {
            None | Some(b'n') => self.push_null(progress),
            Some(b'"') => {
                let Some(inner) = raw.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
                    return self.push_bad(|| quote(raw), progress);
                };
                if !inner.contains('\\') {
                    return self.push_dynamic_string(inner, progress);
                }
                // The column's scratch string is reused, so escaped strings cost no allocation.
                let mut content = std::mem::take(&mut self.scratch);
                content.clear();
                let pushed = if unescape_into(inner, &mut content) {
                    self.push_dynamic_string(&content, progress)
                } else {
                    self.push_bad(|| quote(raw), progress)
                };
                self.scratch = content;
                pushed
            }
            Some(_) => self.push_text_with(raw.len(), progress, |bytes| compact_json(raw, bytes)),
        }
    }

    /// A string in a `dynamic` column: the JSON it holds, or else the string as JSON.
    fn push_dynamic_string(&mut self, content: &str, progress: &Progress) -> Result<(), String> {
        match serde_json::from_str::<&RawValue>(content) {
            Ok(inner) if inner.get() == "null" => self.push_null(progress),
            Ok(inner) => {
                let inner = inner.get();
                self.push_text_with(inner.len(), progress, |bytes| compact_json(inner, bytes))
            }
            Err(_) => self.push_text_with(content.len() + 2, progress, |bytes| {
                let _ = serde_json::to_writer(bytes, content);
            }),
        }
    }

    /// The finished Arrow array (buffers handed over without copying).
    fn finish(mut self) -> Result<ArrayRef, ArrowError> {
        let nulls = self.nulls.finish();
        if nulls.as_ref().is_some_and(|n| n.len() != self.len) {
            return Err(ArrowError::InvalidArgumentError(format!(
                "column {} lost count of its nulls",
                quote(&self.name)
            )));
        }
        Ok(match self.data {
            Data::Bool(mut values) => {
                let values = values.finish();
                if values.len() != self.len {
                    return Err(ArrowError::InvalidArgumentError(format!(
                        "column {} lost count of its values",
                        quote(&self.name)
                    )));
                }
                Arc::new(BooleanArray::new(values, nulls))
            }
            Data::Int(values) => Arc::new(Int32Array::try_new(
                ScalarBuffer::from(trim(values)),
                nulls,
            )?),
            Data::Long(values) => Arc::new(Int64Array::try_new(
                ScalarBuffer::from(trim(values)),
                nulls,
            )?),
            Data::Real(values) => Arc::new(Float64Array::try_new(
                ScalarBuffer::from(trim(values)),
                nulls,
            )?),
            Data::Text { offsets, bytes } => {
                // Offsets start at 0 and only grow (each is the byte count after a value).
                let offsets = OffsetBuffer::new(ScalarBuffer::from(trim(offsets)));
                Arc::new(StringArray::try_new(
                    offsets,
                    Buffer::from_vec(trim(bytes)),
                    nulls,
                )?)
            }
        })
    }

    /// The warning for values that did not fit, if any.
    fn bad_warning(&self) -> Option<String> {
        (self.bad > 0).then(|| {
            format!(
                "column {} ({}): {} value{} did not fit the type and {} left empty (first: {})",
                quote(&self.name),
                shorten_escaped(&self.type_name, QUOTE_CHARS),
                self.bad,
                plural(self.bad),
                if self.bad == 1 { "was" } else { "were" },
                self.bad_example.as_deref().unwrap_or("?")
            )
        })
    }
}

/// Appends the content of a JSON string (`inner`: the text between its quotes, as RawValue
/// checked it) to `out`; false on a malformed escape. A `\u` escape that is half of a UTF-16 pair
/// becomes U+FFFD (serde_json lets them through in raw values).
fn unescape_into(inner: &str, out: &mut String) -> bool {
    let mut rest = inner;
    while let Some(at) = rest.find('\\') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let Some(after) = rest.get(at + 1..) else {
            return false;
        };
        let mut chars = after.chars();
        let plain = match chars.next() {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('/') => '/',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => {
                let Some(unit) = hex4(chars.as_str().as_bytes(), 0) else {
                    return false;
                };
                // Four ASCII hex digits: byte 4 is a character boundary.
                let mut tail = chars.as_str().get(4..).unwrap_or_default();
                let decoded = if (0xD800..0xDC00).contains(&unit) {
                    let low = tail
                        .strip_prefix("\\u")
                        .and_then(|t| hex4(t.as_bytes(), 0))
                        .filter(|low| (0xDC00..0xE000).contains(low));
                    match low {
                        Some(low) => {
                            tail = tail.get(6..).unwrap_or_default();
                            char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                        }
                        None => None,
                    }
                } else {
                    char::from_u32(unit)
                };
                out.push(decoded.unwrap_or(char::REPLACEMENT_CHARACTER));
                rest = tail;
                continue;
            }
            _ => return false,
        };
        out.push(plain);
        rest = chars.as_str();
    }
    out.push_str(rest);
    true
}

/// Appends valid JSON text without the whitespace outside strings. Only ASCII whitespace bytes
/// are dropped, so the output stays UTF-8.
fn compact_json(json: &str, out: &mut Vec<u8>) {
    let bytes = json.as_bytes();
    // Graph writes compact JSON: then the text is copied as it is.
    if !has_loose_whitespace(bytes) {
        out.extend_from_slice(bytes);
        return;
    }
    let mut in_string = false;
    let mut escaped = false;
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            out.extend_from_slice(bytes.get(run..i).unwrap_or_default());
            run = i + 1;
        }
    }
    out.extend_from_slice(bytes.get(run..).unwrap_or_default());
}

/// Whether valid JSON text may have whitespace outside its strings. Such whitespace lies between
/// two tokens, and of two neighbouring tokens one is always `{ } [ ] , :` (values never touch), so
/// it always has whitespace or one of those next to it: when no whitespace byte does, the text is
/// compact. A space inside a string next to `,` or `:` only costs a full pass.
fn has_loose_whitespace(bytes: &[u8]) -> bool {
    // JSON allows no byte at or below 0x20 but whitespace. Blocks checked without early exit
    // compile to wide compares; most values have no whitespace at all.
    let spaced = bytes
        .chunks(32)
        .any(|block| block.iter().fold(false, |seen, b| seen | (*b <= b' ')));
    let loose = |b: &u8| *b <= b' ' || matches!(b, b'{' | b'}' | b'[' | b']' | b',' | b':');
    spaced
        && bytes.iter().enumerate().any(|(i, b)| {
            *b <= b' '
                && (i == 0
                    || i + 1 == bytes.len()
                    || bytes.get(i - 1).is_some_and(loose)
                    || bytes.get(i + 1).is_some_and(loose))
        })
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

/// Which column each row key fills, and the counts kept on the way. Apart from the columns so
/// that the pipeline's reading thread can route keys while the other fills the columns.
#[derive(Default)]
struct Router {
    /// Each column's key (Graph's name).
    keys: Vec<String>,
    /// Whether another column has the same key.
    shared: Vec<bool>,
    /// Row key → the columns with that key, in schema order.
    index: HashMap<String, Vec<usize>>,
    /// The column the next key most likely names (rows usually follow schema order).
    expected: usize,
    rows: usize,
    /// Rows with at least one key (any key).
    nonempty_rows: usize,
    /// Keys that named a column.
    matched_keys: usize,
    unknown_keys: usize,
    unknown_example: Option<String>,
    repeated_keys: usize,
}

impl Router {
    fn new(specs: &[Spec]) -> Router {
        let mut index: HashMap<String, Vec<usize>> = HashMap::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            index.entry(spec.name.clone()).or_default().push(i);
        }
        let shared = specs
            .iter()
            .map(|spec| index.get(&spec.name).is_some_and(|list| list.len() > 1))
            .collect();
        Router {
            keys: specs.iter().map(|spec| spec.name.clone()).collect(),
            shared,
            index,
            ..Router::default()
        }
    }

    /// The column a row key fills, `None` when the key is not in the schema or its columns are
    /// already filled in this row (both counted). `free(i)`: column `i` has no value in this row.
    #[inline]
    fn slot(&mut self, key: &str, free: impl Fn(usize) -> bool) -> Option<usize> {
        let expected = self.expected;
        // The fast path: the key names the column after the previous one.
        if self.shared.get(expected) == Some(&false)
            && free(expected)
            && self.keys.get(expected).is_some_and(|k| k == key)
        {
            self.expected = expected + 1;
            self.matched_keys += 1;
            return Some(expected);
        }
        let Some(list) = self.index.get(key) else {
            self.unknown_keys += 1;
            if self.unknown_example.is_none() {
                self.unknown_example = Some(quote(key));
            }
            return None;
        };
        match list.iter().copied().find(|&i| free(i)) {
            Some(i) => {
                self.expected = i + 1;
                self.matched_keys += 1;
                Some(i)
            }
            None => {
                self.repeated_keys += 1;
                None
            }
        }
    }

    /// Refuses the row being closed when it takes the answer past [`MAX_CELLS`].
    fn check_cells(&self) -> Result<(), String> {
        let columns = self.keys.len();
        if self.rows.saturating_add(1).saturating_mul(columns) > MAX_CELLS {
            return Err(format!(
                "the answer has more than {MAX_CELLS} cells ({columns} columns), more than hunt \
                 holds"
            ));
        }
        Ok(())
    }

    fn close_row(&mut self, any_key: bool) {
        self.rows += 1;
        if any_key {
            self.nonempty_rows += 1;
        }
        self.expected = 0;
    }
}

/// The columns being filled and what was seen on the way.
struct Table {
    columns: Vec<Column>,
    router: Router,
    progress: Progress,
    /// Warnings from the schema.
    warnings: Vec<String>,
}

impl Table {
    fn new(specs: &[Spec], progress: Progress) -> Table {
        let mut warnings = Vec::new();
        let names = unique_names(specs, &mut warnings);
        let mut unknown_types = Vec::new();
        let mut columns = Vec::with_capacity(specs.len());
        for (spec, name) in specs.iter().zip(names) {
            let type_name = spec.type_name.clone().unwrap_or_default();
            let known = graph_type(&type_name);
            if known.is_none() {
                unknown_types.push(format!(
                    "column {} has type {}, which hunt does not know: its values are shown as \
                     text (their JSON)",
                    quote(&name),
                    if spec.type_name.is_some() {
                        quote(&type_name)
                    } else {
                        "(none)".to_string()
                    }
                ));
            }
            let kql = known.unwrap_or(KqlType::String);
            columns.push(Column::new(name, type_name, kql));
        }
        push_capped(
            &mut warnings,
            unknown_types,
            "columns have types hunt does not know",
        );
        Table {
            columns,
            router: Router::new(specs),
            progress,
            warnings,
        }
    }

    /// The column a row key fills (see `Router::slot`): a column is free while it has fewer
    /// cells than the rows closed.
    #[inline]
    fn slot(&mut self, key: &str) -> Option<usize> {
        let row = self.router.rows;
        let columns = &self.columns;
        self.router
            .slot(key, |i| columns.get(i).is_some_and(|c| c.len == row))
    }

    /// Closes a row: every column it did not name gets a null.
    fn end_row(&mut self, any_key: bool) -> Result<(), String> {
        self.router.check_cells()?;
        let row = self.router.rows;
        for column in &mut self.columns {
            if column.len == row {
                column.push_null(&self.progress)?;
            }
        }
        self.router.close_row(any_key);
        Ok(())
    }

    /// The schema's warnings, then those about the rows (F06's included).
    fn take_warnings(&mut self) -> Vec<String> {
        let mut warnings = std::mem::take(&mut self.warnings);
        let bad: Vec<String> = self
            .columns
            .iter()
            .filter_map(Column::bad_warning)
            .collect();
        push_capped(
            &mut warnings,
            bad,
            "columns had values that did not fit their type",
        );
        if self.router.unknown_keys > 0 {
            warnings.push(format!(
                "{} row key{} not in the schema {} ignored (e.g. {})",
                self.router.unknown_keys,
                plural(self.router.unknown_keys),
                if self.router.unknown_keys == 1 {
                    "was"
                } else {
                    "were"
                },
                self.router.unknown_example.as_deref().unwrap_or("?")
            ));
        }
        if self.router.repeated_keys > 0 {
            warnings.push(format!(
                "{} key{} repeated within a row {} ignored (the first value was kept)",
                self.router.repeated_keys,
                plural(self.router.repeated_keys),
                if self.router.repeated_keys == 1 {
                    "was"
                } else {
                    "were"
                },
            ));
        }
        let (rows, columns) = (self.router.rows, self.columns.len());
        if columns > 0 && rows > 0 && self.router.matched_keys == 0 {
            // F06 (msgraph-sdk-java #1495): `results: [{}, {}, …]` must not pass as empty rows.
            warnings.push(if self.router.nonempty_rows == 0 {
                format!(
                    "all {rows} row{} came back as empty objects ({{}}) although the schema \
                     lists {columns} columns: the service sent no values, so these rows are not \
                     data",
                    plural(rows),
                )
            } else {
                format!("no row named any of the schema's {columns} columns: every cell is empty")
            });
        }
        warnings
    }

    /// The finished result with its warnings.
    fn into_result(mut self, backend: &str) -> Result<ResultSet, DecodeError> {
        let rows = self.router.rows;
        let warnings = self.take_warnings();
        let build_error = |e: ArrowError| DecodeError {
            message: shorten(
                &format!("could not build the result table: {e}"),
                MESSAGE_CHARS,
            ),
            line: 0,
            column: 0,
        };
        let mut fields = Vec::with_capacity(self.columns.len());
        let mut types = Vec::with_capacity(self.columns.len());
        let mut arrays = Vec::with_capacity(self.columns.len());
        for column in self.columns {
            fields.push(kql_field(&column.name, column.kql));
            types.push(column.kql);
            arrays.push(column.finish().map_err(build_error)?);
        }
        let schema = Arc::new(Schema::new(fields));
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch = RecordBatch::try_new_with_options(schema.clone(), arrays, &options)
            .map_err(build_error)?;
        let facts = RunFacts {
            row_count: rows,
            truncated: rows >= GRAPH_ROW_CAP,
            backend: backend.to_string(),
            warnings,
            ..RunFacts::default()
        };
        ResultSet::new(schema, &[batch], types, facts).map_err(build_error)
    }
}

/// Adds `items`, at most [`WARNING_LIST_CAP`] of them, then one line for the rest.
fn push_capped(warnings: &mut Vec<String>, items: Vec<String>, rest: &str) {
    let count = items.len();
    warnings.extend(items.into_iter().take(WARNING_LIST_CAP));
    if count > WARNING_LIST_CAP {
        warnings.push(format!("{} more {rest}", count - WARNING_LIST_CAP));
    }
}

/// Where rows go: straight into a [`Table`] (one thread), or into a [`Feed`] of tokens for the
/// pipeline's converting thread. The row and key seeds below serve both, so the reading side
/// (messages, key routing, progress) is one piece of code.
trait RowSink<'de> {
    /// Rows closed so far.
    fn rows(&self) -> usize;
    /// A borrowed key (it points into the input): how far the rows have been read.
    fn note(&mut self, key: &str);
    /// The column a row key fills (see `Router::slot`).
    fn slot(&mut self, key: &str) -> Option<usize>;
    /// Reads the rest of one row object.
    fn read_row<A: MapAccess<'de>>(&mut self, map: A) -> Result<(), A::Error>;
}

impl<'de> RowSink<'de> for Table {
    fn rows(&self) -> usize {
        self.router.rows
    }

    #[inline]
    fn note(&mut self, key: &str) {
        self.progress.note(key);
    }

    #[inline]
    fn slot(&mut self, key: &str) -> Option<usize> {
        Table::slot(self, key)
    }

    fn read_row<A: MapAccess<'de>>(&mut self, mut map: A) -> Result<(), A::Error> {
        let mut any_key = false;
        while let Some(slot) = map.next_key_seed(KeySeed { sink: &mut *self })? {
            any_key = true;
            let Table {
                columns, progress, ..
            } = &mut *self;
            match slot.and_then(|i| columns.get_mut(i)) {
                Some(column) => map.next_value_seed(CellSeed { column, progress })?,
                None => map.next_value::<IgnoredAny>().map(|_| ())?,
            }
        }
        self.end_row(any_key).map_err(de::Error::custom)
    }
}

/// `results`: a list of row objects.
struct RowsSeed<'t, S> {
    sink: &'t mut S,
}

impl<'de, S: RowSink<'de>> DeserializeSeed<'de> for RowsSeed<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S: RowSink<'de>> Visitor<'de> for RowsSeed<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`results` to be a list of row objects")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(
            "`results` is a string, not a list of row objects",
        ))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(RowSeed {
                sink: &mut *self.sink,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// One row object.
struct RowSeed<'t, S> {
    sink: &'t mut S,
}

impl<'de, S: RowSink<'de>> DeserializeSeed<'de> for RowSeed<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S: RowSink<'de>> Visitor<'de> for RowSeed<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "row {} of `results` to be an object",
            self.sink.rows() + 1
        )
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(format!(
            "row {} of `results` is a string, not an object",
            self.sink.rows() + 1
        )))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.sink.read_row(map)
    }
}

/// A row key → the column it fills (see `Router::slot`).
struct KeySeed<'t, S> {
    sink: &'t mut S,
}

impl<'de, S: RowSink<'de>> DeserializeSeed<'de> for KeySeed<'_, S> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, S: RowSink<'de>> Visitor<'de> for KeySeed<'_, S> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a column name")
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Option<usize>, E> {
        // A key without escapes points into the body: it tells how far the rows have been read.
        self.sink.note(key);
        Ok(self.sink.slot(key))
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.sink.slot(key))
    }
}

/// One cell value into its column.
struct CellSeed<'a> {
    column: &'a mut Column,
    progress: &'a Progress,
}

impl<'de> DeserializeSeed<'de> for CellSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.column.reader == Reader::Dynamic {
            // The raw text, to keep objects and lists as JSON without building them.
            let raw = <&RawValue>::deserialize(deserializer)?;
            self.column
                .push_dynamic(raw.get(), self.progress)
                .map_err(de::Error::custom)
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for CellSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a value for column {}", quote(&self.column.name))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.column
            .take(Scalar::Bool(v), self.progress)
            .map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.column
            .take(Scalar::I64(v), self.progress)
            .map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.column
            .take(Scalar::U64(v), self.progress)
            .map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.column
            .take(Scalar::F64(v), self.progress)
            .map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.column
            .take(Scalar::Str(v), self.progress)
            .map_err(E::custom)
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.column.push_null(self.progress).map_err(E::custom)
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if matches!(self.column.reader, Reader::Text | Reader::Dynamic) {
            // Rare (an object in a string column): a small Value, written back compact.
            let value = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
            return self
                .column
                .push_json(&value, self.progress)
                .map_err(de::Error::custom);
        }
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.column
            .push_bad(|| "an object".to_string(), self.progress)
            .map_err(de::Error::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if matches!(self.column.reader, Reader::Text | Reader::Dynamic) {
            let value = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
            return self
                .column
                .push_json(&value, self.progress)
                .map_err(de::Error::custom);
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.column
            .push_bad(|| "a list".to_string(), self.progress)
            .map_err(de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Two threads
// ---------------------------------------------------------------------------------------------
//
// serde_json's scanning and the conversion into Arrow (datetimes, numbers, dynamic text, copying
// strings) each take about half of the time, so large bodies run them on two threads: this one
// reads the body and routes each cell to its column as a cheap token borrowed from the body; a
// scoped thread converts batches of tokens into the columns. Batches go over a bounded channel
// and come back empty over another, to be reused.

/// How the converting thread failed, for `decode_body`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// A conversion error (recovered by reading on one thread, which reports it with its place).
    Error,
    /// A bug: reported as an internal error, never re-run on the calling thread.
    Panic,
}

/// `results` into a finished [`Table`]: on this thread for small inputs, else by two threads.
struct ResultsSeed<'a> {
    specs: &'a [Spec],
    progress: Progress,
    pipeline_from: usize,
    failure: &'a Cell<Option<Failure>>,
}

impl<'de> DeserializeSeed<'de> for ResultsSeed<'_> {
    type Value = Table;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Table, D::Error> {
        let mut table = Table::new(self.specs, self.progress);
        let size = self.progress.end.saturating_sub(self.progress.start);
        if size < self.pipeline_from {
            RowsSeed { sink: &mut table }.deserialize(deserializer)?;
            return Ok(table);
        }
        read_pipelined(deserializer, table, self.failure)
    }
}

/// One cell as the reading thread saw it; the converting thread does the rest.
#[derive(Debug, Clone, Copy)]
enum Token<'de> {
    /// The row has no key for the column.
    Missing,
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    /// A string without escapes, borrowed from the body.
    Str(&'de str),
    /// A string with escapes, unescaped into the batch's `arena` (byte range).
    Escaped(usize, usize),
    /// A `dynamic` cell's raw JSON text.
    Raw(&'de str),
    /// An object or list in a text column, as compact JSON in the batch's `arena`.
    Json(usize, usize),
    /// An object or list where the column's type has no room for one ("an object", "a list").
    Bad(&'static str),
}

/// Rows of tokens, `columns` per row in schema order.
struct Batch<'de> {
    cells: Vec<Token<'de>>,
    /// Per row, how far the body had been read at its end (for buffer sizing).
    progress: Vec<Progress>,
    /// Text of `Escaped` and `Json` tokens.
    arena: String,
}

impl Batch<'_> {
    fn with_capacity(rows: usize, columns: usize) -> Self {
        Batch {
            cells: Vec::with_capacity(rows.saturating_mul(columns)),
            progress: Vec::with_capacity(rows),
            arena: String::new(),
        }
    }

    fn clear(&mut self) {
        self.cells.clear();
        self.progress.clear();
        self.arena.clear();
    }
}

/// The reading thread's side: routes keys, collects tokens, hands full batches over.
struct Feed<'de> {
    router: Router,
    readers: Vec<Reader>,
    /// Column names, for serde's "expected" messages.
    names: Vec<String>,
    progress: Progress,
    batch: Batch<'de>,
    batch_rows: usize,
    full: SyncSender<Batch<'de>>,
    empty: Receiver<Batch<'de>>,
}

impl<'de> Feed<'de> {
    /// Hands the batch to the converting thread (an error when that thread has stopped).
    fn flush(&mut self) -> Result<(), String> {
        if self.batch.progress.is_empty() {
            return Ok(());
        }
        let next = self
            .empty
            .try_recv()
            .unwrap_or_else(|_| Batch::with_capacity(self.batch_rows, self.readers.len()));
        let batch = std::mem::replace(&mut self.batch, next);
        self.full
            .send(batch)
            .map_err(|_| "the converting thread stopped".to_string())
    }
}

impl<'de> RowSink<'de> for Feed<'de> {
    fn rows(&self) -> usize {
        self.router.rows
    }

    #[inline]
    fn note(&mut self, key: &str) {
        self.progress.note(key);
    }

    /// A column is free while its cell in this row (the last `columns` cells) is `Missing`.
    #[inline]
    fn slot(&mut self, key: &str) -> Option<usize> {
        let cells = &self.batch.cells;
        let base = cells.len().saturating_sub(self.readers.len());
        self.router
            .slot(key, |i| matches!(cells.get(base + i), Some(Token::Missing)))
    }

    fn read_row<A: MapAccess<'de>>(&mut self, mut map: A) -> Result<(), A::Error> {
        let columns = self.readers.len();
        let base = self.batch.cells.len();
        self.batch
            .cells
            .resize(base.saturating_add(columns), Token::Missing);
        let mut any_key = false;
        while let Some(slot) = map.next_key_seed(KeySeed { sink: &mut *self })? {
            any_key = true;
            let (Some(i), Some(&reader)) = (slot, slot.and_then(|i| self.readers.get(i))) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let token = map.next_value_seed(TokenSeed {
                reader,
                name: self.names.get(i).map_or("", String::as_str),
                arena: &mut self.batch.arena,
            })?;
            if let Some(cell) = self.batch.cells.get_mut(base + i) {
                *cell = token;
            }
        }
        self.router.check_cells().map_err(de::Error::custom)?;
        self.batch.progress.push(self.progress);
        self.router.close_row(any_key);
        if self.batch.progress.len() >= self.batch_rows {
            self.flush().map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

/// Reads `results` with a second thread converting the rows (see above). When that thread fails,
/// `failure` says how, and the error returned here only stops the reading.
fn read_pipelined<'de, D: Deserializer<'de>>(
    deserializer: D,
    mut table: Table,
    failure: &Cell<Option<Failure>>,
) -> Result<Table, D::Error> {
    let router = std::mem::take(&mut table.router);
    let columns = table.columns.len();
    let batch_rows = (BATCH_CELLS / columns.max(1)).max(1);
    let (full, full_rx) = std::sync::mpsc::sync_channel(QUEUED_BATCHES);
    let (empty_tx, empty) = std::sync::mpsc::channel();
    let mut feed = Feed {
        router,
        readers: table.columns.iter().map(|c| c.reader).collect(),
        names: table.columns.iter().map(|c| c.name.clone()).collect(),
        progress: table.progress,
        batch: Batch::with_capacity(batch_rows, columns),
        batch_rows,
        full,
        empty,
    };
    std::thread::scope(|scope| {
        let converter = scope.spawn(move || {
            let converted = convert_batches(&mut table, &full_rx, &empty_tx);
            (table, converted)
        });
        let read = RowsSeed { sink: &mut feed }
            .deserialize(deserializer)
            .and_then(|()| feed.flush().map_err(de::Error::custom));
        let router = std::mem::take(&mut feed.router);
        // Dropping the sender lets the converting thread finish the queued batches and end.
        drop(feed);
        match converter.join() {
            Err(_) => {
                failure.set(Some(Failure::Panic));
                Err(de::Error::custom("the converting thread panicked"))
            }
            Ok((_, Err(message))) => {
                failure.set(Some(Failure::Error));
                Err(de::Error::custom(message))
            }
            Ok((mut table, Ok(()))) => {
                read?;
                table.router = router;
                Ok(table)
            }
        }
    })
}

/// The converting thread: batches into the columns until the reader hangs up. On an error it
/// returns at once, which drops the receiver, so the reader's next hand-over fails and it stops.
fn convert_batches<'de>(
    table: &mut Table,
    full: &Receiver<Batch<'de>>,
    empty: &Sender<Batch<'de>>,
) -> Result<(), String> {
    while let Ok(mut batch) = full.recv() {
        table.convert(&batch)?;
        batch.clear();
        // The reader may be gone already; the batch is then simply dropped.
        let _ = empty.send(batch);
    }
    Ok(())
}

impl Table {
    /// One batch of rows into the columns.
    fn convert(&mut self, batch: &Batch<'_>) -> Result<(), String> {
        let columns = self.columns.len();
        for (row, progress) in batch.progress.iter().enumerate() {
            self.progress = *progress;
            let start = row.saturating_mul(columns);
            let cells = batch
                .cells
                .get(start..start.saturating_add(columns))
                .ok_or("a batch of rows lost cells")?;
            for (column, &token) in self.columns.iter_mut().zip(cells) {
                #[cfg(test)]
                tests::fault(&column.name)?;
                column.take_token(token, &batch.arena, &self.progress)?;
            }
        }
        Ok(())
    }
}

impl Column {
    /// A token from the reading thread, converted as the one-thread path converts the value.
    fn take_token(
        &mut self,
        token: Token<'_>,
        arena: &str,
        progress: &Progress,
    ) -> Result<(), String> {
        let from_arena = |start: usize, end: usize| {
            arena
                .get(start..end)
                .ok_or_else(|| "a batch of rows lost text".to_string())
        };
        match token {
            Token::Missing | Token::Null => self.push_null(progress),
            Token::Bool(v) => self.take(Scalar::Bool(v), progress),
            Token::I64(v) => self.take(Scalar::I64(v), progress),
            Token::U64(v) => self.take(Scalar::U64(v), progress),
            Token::F64(v) => self.take(Scalar::F64(v), progress),
            Token::Str(s) => self.take(Scalar::Str(s), progress),
            Token::Escaped(start, end) => self.take(Scalar::Str(from_arena(start, end)?), progress),
            Token::Raw(raw) => self.push_dynamic(raw, progress),
            Token::Json(start, end) => self.push_text(from_arena(start, end)?.as_bytes(), progress),
            Token::Bad(what) => self.push_bad(|| what.to_string(), progress),
        }
    }
}

/// One cell value as a token (the reading thread's `CellSeed`).
struct TokenSeed<'a> {
    reader: Reader,
    name: &'a str,
    arena: &'a mut String,
}

impl TokenSeed<'_> {
    /// `text` into the arena: its byte range.
    fn stash(self, text: &str) -> (usize, usize) {
        let start = self.arena.len();
        self.arena.push_str(text);
        (start, self.arena.len())
    }
}

impl<'de> DeserializeSeed<'de> for TokenSeed<'_> {
    type Value = Token<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Token<'de>, D::Error> {
        if self.reader == Reader::Dynamic {
            let raw = <&'de RawValue>::deserialize(deserializer)?;
            Ok(Token::Raw(raw.get()))
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for TokenSeed<'_> {
    type Value = Token<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a value for column {}", quote(self.name))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Token<'de>, E> {
        Ok(Token::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Token<'de>, E> {
        Ok(Token::I64(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Token<'de>, E> {
        Ok(Token::U64(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Token<'de>, E> {
        Ok(Token::F64(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Token<'de>, E> {
        Ok(Token::Str(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Token<'de>, E> {
        let (start, end) = self.stash(v);
        Ok(Token::Escaped(start, end))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Token<'de>, E> {
        Ok(Token::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Token<'de>, E> {
        Ok(Token::Null)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Token<'de>, A::Error> {
        if matches!(self.reader, Reader::Text | Reader::Dynamic) {
            let value = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
            let text = serde_json::to_string(&value).map_err(de::Error::custom)?;
            let (start, end) = self.stash(&text);
            return Ok(Token::Json(start, end));
        }
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Token::Bad("an object"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Token<'de>, A::Error> {
        if matches!(self.reader, Reader::Text | Reader::Dynamic) {
            let value = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
            let text = serde_json::to_string(&value).map_err(de::Error::custom)?;
            let (start, end) = self.stash(&text);
            return Ok(Token::Json(start, end));
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Token::Bad("a list"))
    }
}

// ---------------------------------------------------------------------------------------------
// Lone surrogates
// ---------------------------------------------------------------------------------------------

/// The four hex digits at `at`, if there are.
fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = std::str::from_utf8(bytes.get(at..at + 4)?).ok()?;
    u32::from_str_radix(digits, 16).ok()
}

/// A copy of `body` with every `\uD800`–`\uDFFF` escape that is not half of a valid pair
/// replaced by `\uFFFD` (the same length, so positions do not move), and the count; `None` when
/// there was none.
fn replace_lone_surrogates(body: &[u8]) -> Option<(Vec<u8>, usize)> {
    const HIGH: std::ops::Range<u32> = 0xD800..0xDC00;
    const LOW: std::ops::Range<u32> = 0xDC00..0xE000;
    let mut out = body.to_vec();
    let mut count = 0;
    let mut in_string = false;
    let mut i = 0;
    while let Some(&b) = out.get(i) {
        if !in_string {
            in_string = b == b'"';
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = false;
                i += 1;
            }
            b'\\' if out.get(i + 1) == Some(&b'u') => {
                let lone = match hex4(&out, i + 2) {
                    Some(unit) if HIGH.contains(&unit) => {
                        let paired = out.get(i + 6) == Some(&b'\\')
                            && out.get(i + 7) == Some(&b'u')
                            && hex4(&out, i + 8).is_some_and(|n| LOW.contains(&n));
                        if paired {
                            i += 6;
                        }
                        !paired
                    }
                    Some(unit) => LOW.contains(&unit),
                    None => false,
                };
                if lone && let Some(escape) = out.get_mut(i..i + 6) {
                    escape.copy_from_slice(b"\\uFFFD");
                    count += 1;
                }
                i += 6;
            }
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    (count > 0).then_some((out, count))
}

// ---------------------------------------------------------------------------------------------
// The error envelope
// ---------------------------------------------------------------------------------------------

/// A Graph error answer: `{"error": {"code", "message", "innerError": {"request-id",
/// "client-request-id", "date", maybe another "innerError"}}}` (GRAPH.md, "Errors"; the legacy
/// 429 form is field case F07's). `code` and `message` are empty when absent (500/504
/// `UnknownError` answers can carry an empty message).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphError {
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
    /// The service's timestamp of the failure, as Graph wrote it.
    pub date: Option<String>,
}

/// How many nested `innerError` levels [`decode_error`] looks into.
const INNER_ERROR_LEVELS: usize = 8;

/// Reads Graph's error envelope. Keys match ASCII case-insensitively (`innerError` and
/// `innererror` both occur); each id is taken from the outermost level that has it, looking into
/// nested `innerError`s. The legacy form without `innerError` (`{"error": {"code": "429",
/// "message": "API calls quota exceeded! …", "target": "…"}}`) reads as code and message; a
/// non-string code is taken as its JSON text. An OAuth-style `{"error": "invalid_grant",
/// "error_description": "…"}` reads as code and message too. `None` when the body is not JSON or
/// has no `error`.
pub fn decode_error(body: &[u8]) -> Option<GraphError> {
    let body = body.strip_prefix(BOM).unwrap_or(body);
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let envelope = value.as_object()?;
    match field(envelope, "error")? {
        serde_json::Value::Object(error) => {
            let mut levels = vec![error];
            while levels.len() < INNER_ERROR_LEVELS {
                let inner = levels.last().and_then(|level| field(level, "innerError"));
                match inner {
                    Some(serde_json::Value::Object(inner)) => levels.push(inner),
                    _ => break,
                }
            }
            let pick = |key: &str| {
                levels
                    .iter()
                    .find_map(|level| field(level, key).and_then(text))
            };
            Some(GraphError {
                code: field(error, "code").and_then(text).unwrap_or_default(),
                message: field(error, "message").and_then(text).unwrap_or_default(),
                request_id: pick("request-id"),
                client_request_id: pick("client-request-id"),
                date: pick("date"),
            })
        }
        serde_json::Value::String(code) => Some(GraphError {
            code: code.clone(),
            message: field(envelope, "error_description")
                .and_then(text)
                .unwrap_or_default(),
            ..GraphError::default()
        }),
        _ => None,
    }
}

/// A key of a JSON object, exactly or else ASCII case-insensitively.
fn field<'v>(
    object: &'v serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<&'v serde_json::Value> {
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// A string as it is, a number or bool as its JSON text; `None` for null, objects and lists.
fn text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::export::write_json;
    use crate::results::kql_schema;
    use crate::results::read::fast_datetime;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Float64Type, Int32Type, Int64Type};

    fn decode(body: &str) -> ResultSet {
        decode_results(body.as_bytes(), "test").expect("the body decodes")
    }

    fn fail(body: &str) -> DecodeError {
        match decode_results(body.as_bytes(), "test") {
            Ok(result) => panic!(
                "decoded {} rows from {:?}",
                result.row_count(),
                shorten(body, 200)
            ),
            Err(error) => error,
        }
    }

    fn longs(result: &ResultSet, column: usize) -> Vec<Option<i64>> {
        result
            .column(column)
            .as_primitive::<Int64Type>()
            .iter()
            .collect()
    }

    fn texts(result: &ResultSet, column: usize) -> Vec<Option<String>> {
        result
            .column(column)
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    }

    fn body(schema: &str, rows: &str) -> String {
        format!("{{\"schema\":{schema},\"results\":{rows}}}")
    }

    const F06: &str = r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.security.huntingQueryResults",
   "schema":[{"name":"Timestamp","type":"DateTime"},{"name":"DeviceName","type":"String"},
             {"name":"HashBucket","type":"Int64"},{"name":"AdditionalFields","type":"String"},
             {"name":"Tags","type":"Object"}],
   "results":[
     {"Timestamp":"2024-03-26T09:39:50.7688641Z","DeviceName":"ws-01.contoso.example",
      "HashBucket":9007199254740993,"AdditionalFields":"{\"Command\":\"whoami\"}","Tags":{"a":[1,2]},
      "Unlisted":"x"},
     {"HashBucket":-9223372036854775808,"DeviceName":null,"Timestamp":"2024-03-26T09:39:49.4353788Z"}]}"#;

    /// Test-only faults in the converting thread, by column name.
    pub(super) fn fault(column: &str) -> Result<(), String> {
        match column {
            "fail in conversion" => Err("a conversion error".to_string()),
            "panic in conversion" => panic!("a conversion bug"),
            _ => Ok(()),
        }
    }

    /// Both paths on `body`: the same result (every cell, null, type and warning) or the same
    /// error.
    fn both_paths_agree(body: &str) -> Result<ResultSet, DecodeError> {
        let single = decode_results_with(body.as_bytes(), "test", usize::MAX);
        let piped = decode_results_with(body.as_bytes(), "test", 0);
        match (&single, &piped) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.batch(), b.batch(), "cells of {}", shorten(body, 200));
                assert_eq!(a.column_types(), b.column_types());
                assert_eq!(a.facts, b.facts, "facts of {}", shorten(body, 200));
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "error for {}", shorten(body, 200)),
            _ => panic!(
                "one path failed: {single:?} / {piped:?} for {}",
                shorten(body, 200)
            ),
        }
        piped
    }

    /// A body of `rows` rows touching every kind of cell: each type with good, bad, null and
    /// missing values, escapes, objects and lists, JSON in strings, repeated and unknown keys.
    fn varied_body(rows: usize) -> String {
        let schema = r#"[{"name":"t","type":"DateTime"},{"name":"s","type":"String"},
            {"name":"l","type":"Int64"},{"name":"i","type":"Int32"},{"name":"b","type":"Boolean"},
            {"name":"r","type":"Double"},{"name":"g","type":"Guid"},{"name":"d","type":"Object"},
            {"name":"ts","type":"TimeSpan"},{"name":"s","type":"String"},{"name":"u","type":"Odd"}]"#;
        let mut text = String::new();
        for n in 0..rows {
            if n > 0 {
                text.push(',');
            }
            let row = match n % 9 {
                0 => r#"{"t":"2024-03-26T09:39:50.7688641Z","s":"plain","l":9007199254740993,
                    "i":7,"b":true,"r":1.5,"g":"8c1e1a6f-1b3a-4c53-9f67-7b0c6c5d2e11",
                    "d":{"a": [1, 2]},"ts":"01:02:03","s":"second","u":{"x":1}}"#
                    .to_string(),
                1 => r#"{"s":"esc\"ape\u00e9\n","t":"2024-03-26T09:39:50+02:00","l":"-12",
                    "i":4294967296,"b":"FALSE","r":"NaN","d":"{\"k\": [1, \"v\"]}","x":1,
                    "ts":"1.00:00:00","u":[1,2]}"#
                    .to_string(),
                2 => r#"{"t":null,"s":null,"l":null,"i":null,"b":null,"r":null,"g":null,
                    "d":null,"ts":null,"u":null}"#
                    .to_string(),
                3 => r#"{}"#.to_string(),
                4 => r#"{"t":"yesterday","l":1.5,"i":"x","b":2,"r":true,"g":5,"d":"null",
                    "ts":"forever","s":{"o":[true]},"s":["l"],"s":3}"#
                    .to_string(),
                5 => r#"{"t":7,"l":{"o":1},"i":[1],"b":{},"r":[],"g":{"a":1},"d":[1, {"b" : 2}],
                    "ts":[],"u":"text","s":1E5}"#
                    .to_string(),
                6 => format!(
                    r#"{{"l":{},"i":-{},"d":"plain \"text\"","r":-0.0,"u":null,"s":"{}"}}"#,
                    i64::MIN,
                    n,
                    "é".repeat(n % 40)
                ),
                7 => r#"{"d":"\ud800 lone","s":"\ud83d\ude00","t":"2024-02-30T00:00:00Z"}"#
                    .to_string(),
                _ => format!(r#"{{"l":{n},"t":"0001-01-01T00:00:00Z","b":1,"d":{n}}}"#),
            };
            text.push_str(&row);
        }
        body(schema, &format!("[{text}]"))
    }

    #[test]
    fn the_pipeline_and_one_thread_decode_alike() {
        // Many batches (11 columns: 372 rows a batch), so batches are reused on the way.
        let result = both_paths_agree(&varied_body(3_000)).expect("decodes");
        assert_eq!(result.row_count(), 3_000);
        assert!(!result.facts.warnings.is_empty());
        // `results` before `schema` goes through the pipeline too.
        let varied = varied_body(500);
        let (head, rows) = varied.split_once(",\"results\":").expect("two parts");
        let schema = head.strip_prefix("{\"schema\":").expect("schema first");
        let late = format!(
            "{{\"results\":{},\"schema\":{schema}}}",
            rows.strip_suffix('}').expect("object")
        );
        both_paths_agree(&late).expect("decodes");
        // The small bodies of the other tests, and errors (with their places).
        let mut bodies = vec![
            F06.to_string(),
            body("[]", "[{},{\"a\":1}]"),
            body(r#"[{"name":"a","type":"Int64"}]"#, "[]"),
            body(r#"[{"name":"a","type":"Int64"}]"#, r#"[{"a":1},"row"]"#),
            body(r#"[{"name":"a","type":"Int64"}]"#, r#"[{"a":1},{"a":"#),
            body(r#"[{"name":"a","type":"String"}]"#, r#"[{"a":"\ud800"}]"#),
            body(r#"[{"name":"a","type":"Object"}]"#, r#"[{"a":{"b":}}]"#),
            format!("{{\"results\":[{{\"a\":1}},{{\"a\":]}},\"schema\":[]}}"),
            format!("{}]", varied_body(100)),
        ];
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        bodies.push(body(
            r#"[{"name":"a","type":"String"}]"#,
            &format!(r#"[{{"a":{deep}}}]"#),
        ));
        bodies.push(body(
            r#"[{"name":"a","type":"Object"}]"#,
            &format!(r#"[{{"a":{deep}}}]"#),
        ));
        for body in &bodies {
            let _ = both_paths_agree(body);
        }
    }

    #[test]
    fn a_failing_converting_thread_is_an_error_or_a_retry_never_a_crash() {
        let rows = r#"[{"a":1,"fail in conversion":"x"},{"a":2}]"#;
        let failing = body(
            r#"[{"name":"a","type":"Int64"},{"name":"fail in conversion","type":"String"}]"#,
            rows,
        );
        // A conversion error: read again on one thread, which has no such fault.
        let result = both_paths_agree(&failing).expect("decodes on retry");
        assert_eq!(longs(&result, 0), [Some(1), Some(2)]);
        // Many batches, so the reader is still going when the converter stops.
        let many = format!("[{}]", vec![r#"{"a":1}"#; 50_000].join(","));
        let panicking = body(
            r#"[{"name":"a","type":"Int64"},{"name":"panic in conversion","type":"String"}]"#,
            &many,
        );
        let error = decode_results_with(panicking.as_bytes(), "test", 0).expect_err("a bug");
        assert_eq!((error.line, error.column), (0, 0));
        assert!(error.message.contains("internal error"), "{error}");
    }

    #[test]
    fn f06_open_rows_keep_schema_order_exact_longs_and_string_versus_object() {
        let result = decode(F06);
        assert_eq!(result.row_count(), 2);
        assert_eq!(
            result.column_names(),
            [
                "Timestamp",
                "DeviceName",
                "HashBucket",
                "AdditionalFields",
                "Tags"
            ]
        );
        assert_eq!(
            result.column_types(),
            &[
                KqlType::DateTime,
                KqlType::String,
                KqlType::Long,
                KqlType::String,
                KqlType::Dynamic
            ]
        );
        assert_eq!(
            longs(&result, 0),
            [
                time::parse_datetime("2024-03-26T09:39:50.7688641Z").ok(),
                time::parse_datetime("2024-03-26T09:39:49.4353788Z").ok()
            ]
        );
        assert_eq!(
            result.cell_text(0, 0).as_deref(),
            Some("2024-03-26T09:39:50.7688641Z")
        );
        assert_eq!(
            texts(&result, 1),
            [Some("ws-01.contoso.example".to_string()), None]
        );
        assert_eq!(
            longs(&result, 2),
            [Some(9_007_199_254_740_993), Some(i64::MIN)]
        );
        assert_eq!(
            texts(&result, 3),
            [Some(r#"{"Command":"whoami"}"#.to_string()), None]
        );
        assert_eq!(
            texts(&result, 4),
            [Some(r#"{"a":[1,2]}"#.to_string()), None]
        );
        assert_eq!(
            result.facts.warnings,
            ["1 row key not in the schema was ignored (e.g. 'Unlisted')"]
        );
        assert_eq!(result.facts.row_count, 2);
        assert!(!result.facts.truncated);
        assert_eq!(result.facts.backend, "test");
        assert_eq!(result.facts.elapsed, std::time::Duration::ZERO);
    }

    #[test]
    fn rows_that_are_all_empty_objects_are_flagged() {
        // F06, msgraph-sdk-java #1495: ten `{}` rows under a DeviceProcessEvents schema.
        let schema =
            r#"[{"name":"Timestamp","type":"DateTime"},{"name":"FileName","type":"String"}]"#;
        let result = decode(&body(schema, "[{},{},{}]"));
        assert_eq!(result.row_count(), 3);
        assert_eq!(result.column(0).null_count(), 3);
        assert_eq!(result.facts.warnings.len(), 1);
        assert!(
            result.facts.warnings[0].starts_with("all 3 rows came back as empty objects ({})"),
            "{:?}",
            result.facts.warnings
        );
        // One row with a value is enough to make the others plain rows of nulls.
        let result = decode(&body(schema, r#"[{},{"FileName":"a.exe"},{}]"#));
        assert!(
            result.facts.warnings.is_empty(),
            "{:?}",
            result.facts.warnings
        );
        // Keys that never match the schema are flagged too.
        let result = decode(&body(schema, r#"[{"filename":"a.exe"}]"#));
        assert_eq!(
            result.facts.warnings,
            [
                "1 row key not in the schema was ignored (e.g. 'filename')",
                "no row named any of the schema's 2 columns: every cell is empty"
            ]
        );
        // No rows at all is an ordinary empty answer.
        assert!(decode(&body(schema, "[]")).facts.warnings.is_empty());
    }

    #[test]
    fn capitalised_keys_and_results_before_schema_read_the_same() {
        let reference = decode(F06);
        let capitalised = F06
            .replace("\"schema\"", "\"Schema\"")
            .replace("\"results\"", "\"Results\"")
            .replace("\"name\"", "\"Name\"")
            .replace("\"type\"", "\"Type\"");
        let (head, rows) = capitalised
            .split_once(",\n   \"Results\":")
            .expect("F06 shape");
        let (context, schema) = head.split_once(",\n   \"Schema\":").expect("F06 shape");
        let reordered = format!(
            "{context},\"Results\":{},\"Schema\":{schema}}}",
            rows.strip_suffix('}').expect("F06 ends with }")
        );
        for text in [capitalised.as_str(), reordered.as_str()] {
            let result = decode(text);
            assert_eq!(result.batch(), reference.batch(), "{text}");
            assert_eq!(result.facts.warnings, reference.facts.warnings);
        }
    }

    #[test]
    fn errors_in_late_results_point_into_the_body() {
        let text =
            "{\"results\":[{\"a\":1},\n  7],\"schema\":[{\"name\":\"a\",\"type\":\"Int64\"}]}";
        let error = fail(text);
        assert_eq!(
            error.message,
            "invalid type: integer `7`, expected row 2 of `results` to be an object"
        );
        assert_eq!((error.line, error.column), (2, 3));
        assert_eq!(
            error.to_string(),
            "response body line 2, column 3: invalid type: integer `7`, expected row 2 of \
             `results` to be an object"
        );
        let same_order =
            "{\"schema\":[{\"name\":\"a\",\"type\":\"Int64\"}],\"results\":[{\"a\":1},\n  7]}";
        assert_eq!((fail(same_order).line, fail(same_order).column), (2, 3));
    }

    #[test]
    fn type_names_read_dotnet_and_kql_names_in_any_case() {
        let names = [
            ("DateTime", KqlType::DateTime),
            ("String", KqlType::String),
            ("Int64", KqlType::Long),
            ("Long", KqlType::Long),
            ("Int32", KqlType::Int),
            ("Int", KqlType::Int),
            ("Int16", KqlType::Int),
            ("Byte", KqlType::Int),
            ("Double", KqlType::Real),
            ("Single", KqlType::Real),
            ("Boolean", KqlType::Bool),
            ("SByte", KqlType::Bool),
            ("Guid", KqlType::Guid),
            ("TimeSpan", KqlType::Timespan),
            ("Decimal", KqlType::Decimal),
            ("Object", KqlType::Dynamic),
            ("Dynamic", KqlType::Dynamic),
            ("string", KqlType::String),
            ("long", KqlType::Long),
            ("datetime", KqlType::DateTime),
            ("dynamic", KqlType::Dynamic),
            ("bool", KqlType::Bool),
            ("real", KqlType::Real),
            ("timespan", KqlType::Timespan),
            ("System.DateTime", KqlType::DateTime),
            ("INT64", KqlType::Long),
        ];
        let schema: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, (name, _))| format!("{{\"name\":\"c{i}\",\"type\":\"{name}\"}}"))
            .collect();
        let result = decode(&body(&format!("[{}]", schema.join(",")), "[]"));
        let expected: Vec<KqlType> = names.iter().map(|(_, t)| *t).collect();
        assert_eq!(result.column_types(), expected.as_slice());
        assert!(
            result.facts.warnings.is_empty(),
            "{:?}",
            result.facts.warnings
        );
        for (i, t) in expected.iter().enumerate() {
            assert_eq!(result.schema().field(i).data_type(), &t.arrow_type());
        }
    }

    #[test]
    fn unknown_types_are_text_of_the_json_with_one_warning() {
        let schema = r#"[{"name":"X","type":"Vector3"},{"name":"Y"}]"#;
        let rows = r#"[{"X":"plain","Y":1},{"X":{"a":[1, 2]},"Y":true},{"X":12345678901234567890,"Y":null},{"X":1.5}]"#;
        let result = decode(&body(schema, rows));
        assert_eq!(result.column_types(), &[KqlType::String, KqlType::String]);
        assert_eq!(
            texts(&result, 0),
            [
                Some("plain".to_string()),
                Some(r#"{"a":[1,2]}"#.to_string()),
                Some("12345678901234567890".to_string()),
                Some("1.5".to_string())
            ]
        );
        assert_eq!(
            texts(&result, 1),
            [Some("1".to_string()), Some("true".to_string()), None, None]
        );
        assert_eq!(
            result.facts.warnings,
            [
                "column 'X' has type 'Vector3', which hunt does not know: its values are shown \
                 as text (their JSON)",
                "column 'Y' has type (none), which hunt does not know: its values are shown as \
                 text (their JSON)"
            ]
        );
    }

    #[test]
    fn longs_are_exact_over_the_whole_range_and_never_pass_through_f64() {
        let schema = r#"[{"name":"n","type":"Int64"},{"name":"i","type":"Int32"}]"#;
        let rows = r#"[{"n":9223372036854775807,"i":2147483647},{"n":-9223372036854775808,"i":-2147483648},
            {"n":9007199254740993,"i":"42"},{"n":"-9007199254740993","i":1.0},{"n":1e3,"i":-0.0}]"#;
        let result = decode(&body(schema, rows));
        assert_eq!(
            longs(&result, 0),
            [
                Some(i64::MAX),
                Some(i64::MIN),
                Some(9_007_199_254_740_993),
                Some(-9_007_199_254_740_993),
                Some(1000)
            ]
        );
        let ints: Vec<Option<i32>> = result
            .column(1)
            .as_primitive::<Int32Type>()
            .iter()
            .collect();
        assert_eq!(
            ints,
            [Some(i32::MAX), Some(i32::MIN), Some(42), Some(1), Some(0)]
        );
        assert!(
            result.facts.warnings.is_empty(),
            "{:?}",
            result.facts.warnings
        );
    }

    #[test]
    fn values_that_do_not_fit_are_null_with_one_warning_per_column() {
        let schema = r#"[{"name":"n","type":"Int64"},{"name":"i","type":"Int32"},
            {"name":"t","type":"DateTime"},{"name":"b","type":"Boolean"},{"name":"g","type":"Guid"},
            {"name":"s","type":"String"}]"#;
        let rows = r#"[{"n":"abc","i":2147483648,"t":"yesterday","b":"yes","g":5,"s":"ok"},
            {"n":1.5,"i":{"x":1},"t":17,"b":2,"g":"d3b9","s":"ok"},
            {"n":9223372036854775808,"i":[1],"t":"2024-02-30T00:00:00Z","b":true,"g":null,"s":"ok"},
            {"n":7,"i":7,"t":"2024-02-29T00:00:00Z","b":"FALSE","g":"x","s":"ok"}]"#;
        let result = decode(&body(schema, rows));
        assert_eq!(result.row_count(), 4);
        assert_eq!(longs(&result, 0), [None, None, None, Some(7)]);
        let ints: Vec<Option<i32>> = result
            .column(1)
            .as_primitive::<Int32Type>()
            .iter()
            .collect();
        assert_eq!(ints, [None, None, None, Some(7)]);
        assert_eq!(
            longs(&result, 2),
            [None, None, None, time::parse_datetime("2024-02-29").ok()]
        );
        let bools: Vec<Option<bool>> = result.column(3).as_boolean().iter().collect();
        assert_eq!(bools, [None, None, Some(true), Some(false)]);
        assert_eq!(
            texts(&result, 4),
            [None, Some("d3b9".to_string()), None, Some("x".to_string())]
        );
        assert_eq!(
            result.facts.warnings,
            [
                "column 'n' (Int64): 3 values did not fit the type and were left empty (first: \"abc\")",
                "column 'i' (Int32): 3 values did not fit the type and were left empty (first: 2147483648)",
                "column 't' (DateTime): 3 values did not fit the type and were left empty (first: \"yesterday\")",
                "column 'b' (Boolean): 2 values did not fit the type and were left empty (first: \"yes\")",
                "column 'g' (Guid): 1 value did not fit the type and was left empty (first: 5)",
            ]
        );
    }

    #[test]
    fn booleans_reals_and_timespans_read_their_documented_forms() {
        let schema = r#"[{"name":"b","type":"Boolean"},{"name":"r","type":"Double"},
            {"name":"d","type":"Decimal"},{"name":"ts","type":"TimeSpan"}]"#;
        let rows = r#"[{"b":true,"r":1.5,"d":"2.25","ts":"01:00:00"},
            {"b":0,"r":"NaN","d":-3,"ts":"-1.02:03:04.5000001"},
            {"b":"True","r":"Infinity","d":18446744073709551615,"ts":"00:00:00.0000001"},
            {"b":1,"r":"-Infinity","ts":"-10675199.02:48:05.4775808"},
            {"b":"0","r":1e308,"ts":"not a span"}]"#;
        let result = decode(&body(schema, rows));
        let bools: Vec<Option<bool>> = result.column(0).as_boolean().iter().collect();
        assert_eq!(
            bools,
            [Some(true), Some(false), Some(true), Some(true), Some(false)]
        );
        let reals: Vec<f64> = result
            .column(1)
            .as_primitive::<Float64Type>()
            .values()
            .to_vec();
        assert_eq!(reals[0], 1.5);
        assert!(reals[1].is_nan());
        assert_eq!(reals[2], f64::INFINITY);
        assert_eq!(reals[3], f64::NEG_INFINITY);
        assert_eq!(reals[4], 1e308);
        let decimals: Vec<Option<f64>> = result
            .column(2)
            .as_primitive::<Float64Type>()
            .iter()
            .collect();
        assert_eq!(
            decimals,
            [
                Some(2.25),
                Some(-3.0),
                Some(18446744073709551615.0),
                None,
                None
            ]
        );
        assert_eq!(
            longs(&result, 3),
            [
                Some(time::TICKS_PER_HOUR),
                Some(
                    -(time::TICKS_PER_DAY
                        + 2 * time::TICKS_PER_HOUR
                        + 3 * time::TICKS_PER_MINUTE
                        + 4 * time::TICKS_PER_SECOND
                        + 5_000_001)
                ),
                Some(1),
                Some(i64::MIN),
                None
            ]
        );
        assert_eq!(
            result.facts.warnings,
            [
                "column 'ts' (TimeSpan): 1 value did not fit the type and was left empty (first: \"not a span\")"
            ]
        );
    }

    #[test]
    fn dynamic_cells_hold_compact_json_text() {
        let schema = r#"[{"name":"d","type":"Object"}]"#;
        let rows = r#"[{"d":{"a" : [1, 2.50, {"b": "x y"}], "c": null}},
            {"d":[ ]},
            {"d":"{\"Command\": \"whoami\", \"Args\": [1,2]}"},
            {"d":"not json"},
            {"d":"caf\u00e9 \"quoted\""},
            {"d":"12"},
            {"d":"null"},
            {"d":null},
            {"d":true},
            {"d":-12345678901234567890123},
            {"d":""},
            {}]"#;
        let result = decode(&body(schema, rows));
        assert_eq!(
            texts(&result, 0),
            [
                Some(r#"{"a":[1,2.50,{"b":"x y"}],"c":null}"#.to_string()),
                Some("[]".to_string()),
                Some(r#"{"Command":"whoami","Args":[1,2]}"#.to_string()),
                Some(r#""not json""#.to_string()),
                Some("\"café \\\"quoted\\\"\"".to_string()),
                Some("12".to_string()),
                None,
                None,
                Some("true".to_string()),
                Some("-12345678901234567890123".to_string()),
                Some(r#""""#.to_string()),
                None
            ]
        );
        // The grid shows a dynamic string as the string.
        assert_eq!(result.cell_text(3, 0).as_deref(), Some("not json"));
        assert!(
            result.facts.warnings.is_empty(),
            "{:?}",
            result.facts.warnings
        );
    }

    #[test]
    fn string_columns_keep_other_json_values_as_their_text() {
        let schema = r#"[{"name":"s","type":"String"}]"#;
        let rows = r#"[{"s":"tab\there \u00e9 \ud83d\ude00"},{"s":42},{"s":-1},{"s":0.5},{"s":false},
            {"s":{"k":[1,{"z":null}]}},{"s":["a", "b"]},{"s":""},{"s":null}]"#;
        let result = decode(&body(schema, rows));
        assert_eq!(
            texts(&result, 0),
            [
                Some("tab\there é 😀".to_string()),
                Some("42".to_string()),
                Some("-1".to_string()),
                Some("0.5".to_string()),
                Some("false".to_string()),
                Some(r#"{"k":[1,{"z":null}]}"#.to_string()),
                Some(r#"["a","b"]"#.to_string()),
                Some(String::new()),
                None
            ]
        );
        assert!(result.facts.warnings.is_empty());
    }

    #[test]
    fn repeated_column_names_become_unique_and_fill_in_key_order() {
        let schema = r#"[{"name":"A","type":"Int64"},{"name":"A","type":"String"},
            {"name":"A1","type":"Int64"},{"name":"A","type":"Int64"}]"#;
        let rows =
            r#"[{"A":1,"A":"two","A1":3,"A":4},{"A1":5,"A":6},{"A":7,"A":"8","A":9,"A":10}]"#;
        let result = decode(&body(schema, rows));
        assert_eq!(result.column_names(), ["A", "A2", "A1", "A3"]);
        assert_eq!(longs(&result, 0), [Some(1), Some(6), Some(7)]);
        assert_eq!(
            texts(&result, 1),
            [Some("two".to_string()), None, Some("8".to_string())]
        );
        assert_eq!(longs(&result, 2), [Some(3), Some(5), None]);
        assert_eq!(longs(&result, 3), [Some(4), None, Some(9)]);
        assert_eq!(
            result.facts.warnings,
            [
                "the schema repeats column names; renamed 'A' → 'A2', 'A' → 'A3' (in each row \
                 the n-th key of a repeated name fills the n-th column of that name)",
                "1 key repeated within a row was ignored (the first value was kept)"
            ]
        );
    }

    #[test]
    fn many_repeats_of_one_name_are_renamed_in_linear_time() {
        let entry = r#"{"name":"A","type":"Int64"}"#;
        let schema = format!("[{}]", vec![entry; 20_000].join(","));
        let result = decode(&body(&schema, r#"[{"A":1,"A":2}]"#));
        let names = result.column_names();
        assert_eq!(names.len(), 20_000);
        assert_eq!(names[..3], ["A", "A1", "A2"]);
        assert_eq!(names[19_999], "A19999");
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), 20_000);
        assert_eq!(longs(&result, 0), [Some(1)]);
        assert_eq!(longs(&result, 1), [Some(2)]);
        assert_eq!(longs(&result, 2), [None]);
        assert!(result.facts.warnings[0].ends_with(
            "and 19989 more (in each row the n-th key of a repeated name fills the n-th column \
             of that name)"
        ));
    }

    #[test]
    fn keys_out_of_schema_order_and_repeated_keys_are_handled() {
        let schema = r#"[{"name":"a","type":"Int64"},{"name":"b","type":"Int64"},{"name":"c","type":"Int64"}]"#;
        let rows = r#"[{"c":3,"a":1,"b":2},{"b":5,"b":6,"x":0,"y":0},{"a\u0062":7}]"#;
        let result = decode(&body(schema, rows));
        assert_eq!(longs(&result, 0), [Some(1), None, None]);
        assert_eq!(longs(&result, 1), [Some(2), Some(5), None]);
        assert_eq!(longs(&result, 2), [Some(3), None, None]);
        assert_eq!(
            result.facts.warnings,
            [
                "3 row keys not in the schema were ignored (e.g. 'x')",
                "1 key repeated within a row was ignored (the first value was kept)"
            ]
        );
    }

    #[test]
    fn the_datetime_fast_path_agrees_with_the_general_parser() {
        // Spread over the whole range, with odd fractions, so every month and leap rule is hit.
        let step = time::MAX_DATETIME_TICKS / 40_009;
        for k in 0..=40_009i64 {
            let ticks = (k * step + k * 7_919).min(time::MAX_DATETIME_TICKS);
            let text = time::format_datetime(ticks);
            assert_eq!(fast_datetime(text.as_bytes()), Some(ticks), "{text}");
        }
        let cases = [
            "2024-02-29T23:59:59.1Z",
            "2020-08-30T06:38:35.7664356Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.9999999Z",
            "1600-02-29T12:00:00.05Z",
            "1970-01-01T00:00:00.0000001Z",
        ];
        for text in cases {
            assert_eq!(
                fast_datetime(text.as_bytes()),
                time::parse_datetime(text).ok(),
                "{text}"
            );
        }
        assert_eq!(
            fast_datetime(b"2020-08-30T06:38:35.7664356Z"),
            Some(time::UNIX_EPOCH_TICKS + 15_987_695_157_664_356)
        );
        // Not the fast form: left to the general parser (which reads or refuses them).
        for text in [
            "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2024-03-26T09:39:50.76886412Z",
            "2024-03-26T09:39:50.Z",
            "2024-03-26T24:00:00Z",
            "2024-03-26 09:39:50Z",
            "2024-03-26T09:39:50+02:00",
            "0000-01-01T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-03-26T09:39:50",
            "2024-03-26T09:39:5aZ",
        ] {
            assert_eq!(fast_datetime(text.as_bytes()), None, "{text}");
        }
        assert_eq!(
            datetime_ticks("2024-03-26T11:39:50.76886412+02:00"),
            time::parse_datetime("2024-03-26T09:39:50.7688641Z").ok()
        );
        assert_eq!(datetime_ticks("2023-02-29T00:00:00Z"), None);
    }

    #[test]
    fn a_result_of_graphs_row_cap_is_marked_truncated() {
        let mut text = String::from(r#"{"schema":[{"name":"n","type":"Int32"}],"results":["#);
        for i in 0..GRAPH_ROW_CAP {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!("{{\"n\":{i}}}"));
        }
        text.push_str("]}");
        let result = decode(&text);
        assert_eq!(result.row_count(), GRAPH_ROW_CAP);
        assert!(result.facts.truncated);
        let last = result
            .column(0)
            .as_primitive::<Int32Type>()
            .value(GRAPH_ROW_CAP - 1);
        assert_eq!(last, 99_999);
        let fewer = decode(r#"{"schema":[{"name":"n","type":"Int32"}],"results":[{"n":1}]}"#);
        assert!(!fewer.facts.truncated);
    }

    #[test]
    fn a_schema_without_columns_keeps_its_row_count() {
        let result = decode(r#"{"schema":[],"results":[{},{}]}"#);
        assert_eq!((result.row_count(), result.column_count()), (2, 0));
        assert!(result.facts.warnings.is_empty());
    }

    /// Every KqlType with nulls, written by `write_json` (hunt's Graph-shaped export) and read back.
    #[test]
    fn write_json_round_trips_every_type() {
        let columns: Vec<(String, KqlType)> = [
            ("b", KqlType::Bool),
            ("dt", KqlType::DateTime),
            ("dyn", KqlType::Dynamic),
            ("g", KqlType::Guid),
            ("i", KqlType::Int),
            ("l", KqlType::Long),
            ("r", KqlType::Real),
            ("dec", KqlType::Decimal),
            ("s", KqlType::String),
            ("ts", KqlType::Timespan),
        ]
        .into_iter()
        .map(|(n, t)| (n.to_string(), t))
        .collect();
        let schema = kql_schema(&columns);
        let ticks = time::parse_datetime("2024-03-26T09:39:50.7688641Z").expect("a datetime");
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(BooleanArray::from(vec![
                Some(true),
                Some(false),
                None,
                Some(true),
                None,
            ])),
            Arc::new(Int64Array::from(vec![
                Some(ticks),
                Some(0),
                Some(time::MAX_DATETIME_TICKS),
                None,
                Some(ticks + 1),
            ])),
            Arc::new(StringArray::from(vec![
                Some(r#"{"k":[1,2,{"x":null}],"s":"é\"q"}"#),
                Some(r#""hello world""#),
                Some("[]"),
                None,
                Some("-1.5"),
            ])),
            Arc::new(StringArray::from(vec![
                Some("8c1e1a6f-1b3a-4c53-9f67-7b0c6c5d2e11"),
                None,
                Some(""),
                Some("00000000-0000-0000-0000-000000000000"),
                None,
            ])),
            Arc::new(Int32Array::from(vec![
                Some(i32::MIN),
                Some(i32::MAX),
                None,
                Some(0),
                Some(-1),
            ])),
            Arc::new(Int64Array::from(vec![
                Some(i64::MIN),
                Some(i64::MAX),
                Some(9_007_199_254_740_993),
                None,
                Some(0),
            ])),
            Arc::new(Float64Array::from(vec![
                Some(0.1),
                Some(f64::NAN),
                Some(f64::NEG_INFINITY),
                None,
                Some(1e300),
            ])),
            Arc::new(Float64Array::from(vec![
                Some(123.456),
                None,
                Some(-0.0),
                Some(5e-324),
                Some(2.0),
            ])),
            Arc::new(StringArray::from(vec![
                Some("a,b"),
                Some("evil\u{1b}[2J é \"q\" \\ 日本語 😀"),
                Some(""),
                None,
                Some("{\"not\":\"parsed\"}"),
            ])),
            Arc::new(Int64Array::from(vec![
                Some(i64::MIN),
                Some(0),
                Some(1),
                Some(26 * time::TICKS_PER_HOUR + time::TICKS_PER_SECOND / 2),
                None,
            ])),
        ];
        let batch = RecordBatch::try_new(schema.clone(), arrays).expect("a batch");
        let original =
            ResultSet::from_batches(schema, &[batch], RunFacts::default()).expect("a result");
        let mut json = Vec::new();
        write_json(&original, &mut json).expect("written");
        let decoded = decode_results(&json, "roundtrip").expect("read back");
        assert_eq!(decoded.schema(), original.schema());
        assert_eq!(decoded.column_types(), original.column_types());
        assert!(
            decoded.facts.warnings.is_empty(),
            "{:?}",
            decoded.facts.warnings
        );
        for c in 0..original.column_count() {
            let (left, right) = (original.column(c), decoded.column(c));
            if matches!(original.column_type(c), KqlType::Real | KqlType::Decimal) {
                // NaN is not equal to itself: compare bits and nulls.
                let bits = |a: &ArrayRef| -> Vec<Option<u64>> {
                    a.as_primitive::<Float64Type>()
                        .iter()
                        .map(|v| v.map(f64::to_bits))
                        .collect()
                };
                assert_eq!(bits(left), bits(right), "column {c}");
            } else {
                assert_eq!(left, right, "column {c}");
            }
            for row in 0..original.row_count() {
                assert_eq!(
                    decoded.cell_text(row, c),
                    original.cell_text(row, c),
                    "row {row} column {c}"
                );
            }
        }
    }

    #[test]
    fn broken_bodies_are_errors_with_places_and_short_messages() {
        let cases: [(&str, &str, (usize, usize)); 11] = [
            ("", "the response body is empty", (1, 0)),
            ("  \n ", "the response body is empty", (2, 1)),
            (
                "{}",
                "the response has no `schema` list: not a runHuntingQuery result",
                (1, 2),
            ),
            (
                "<!DOCTYPE html><html><body>Service Unavailable</body></html>",
                "the response body is not JSON but looks like an HTML or XML page \
                 ('<!DOCTYPE html><html><body>Service Unava…')",
                (1, 1),
            ),
            (
                "garbage",
                "the response body is not valid JSON: expected value",
                (1, 1),
            ),
            (
                r#"{"schema":[{"name":"a","type":"Int64"}],"results":[{"a":1},{"a":"#,
                "the response body ends before its JSON does (cut off in transit?): EOF while \
                 parsing a value",
                (1, 64),
            ),
            (
                r#"{"schema":{"name":"a"},"results":[]}"#,
                "invalid type: map, expected `schema` to be a list of {name, type} objects",
                (1, 11),
            ),
            (
                r#"{"schema":[{"type":"Int64"}],"results":[]}"#,
                "schema entry 1 has no name",
                (1, 27),
            ),
            (
                r#"{"schema":[],"results":{"a":1}}"#,
                "invalid type: map, expected `results` to be a list of row objects",
                (1, 24),
            ),
            (
                r#"{"schema":[],"results":[{},"row"]}"#,
                "row 2 of `results` is a string, not an object",
                (1, 32),
            ),
            (
                r#"{"schema":[]}"#,
                "the response has no `results` list: not a runHuntingQuery result",
                (1, 13),
            ),
        ];
        for (text, message, place) in cases {
            let error = fail(text);
            assert_eq!(error.message, message, "{text:?}");
            assert_eq!((error.line, error.column), place, "{text:?}");
        }
        assert_eq!(
            fail(r#"{"schema":[],"results":[],"schema":[]}"#).message,
            "the response has more than one `schema`"
        );
        assert_eq!(
            fail(r#"{"schema":[],"results":[]} trailing"#).message,
            "the response body is not valid JSON: trailing characters"
        );
        assert_eq!(
            fail(r#"["schema"]"#).message,
            "invalid type: sequence, expected a JSON object with `schema` and `results` \
             (Graph's huntingQueryResults)"
        );
    }

    #[test]
    fn hostile_bodies_never_panic_and_never_quote_much() {
        let long = "x".repeat(1_000_000);
        for text in [
            long.clone(),
            format!("<html>{long}"),
            format!(r#"{{"schema":[],"results":["{long}"]}}"#),
            format!(r#""{long}""#),
            format!(
                r#"{{"schema":[{{"name":"{long}","type":"Int64"}}],"results":[{{"{long}":"{long}"}}]}}"#
            ),
            format!(r#"{{"schema":"{long}","results":[]}}"#),
            r#"{"schema":[{"name":7}],"results":[]}"#.to_string(),
            "\u{0}\u{1b}[2J{".to_string(),
        ] {
            match decode_results(text.as_bytes(), "test") {
                Ok(result) => {
                    for warning in &result.facts.warnings {
                        assert!(warning.matches('x').count() <= 2 * QUOTE_CHARS, "{warning}");
                    }
                }
                Err(error) => {
                    assert!(
                        error.message.chars().count() <= MESSAGE_CHARS + 1,
                        "{error}"
                    );
                    assert!(error.message.matches('x').count() <= QUOTE_CHARS, "{error}");
                }
            }
        }
        let warned = decode(&format!(
            r#"{{"schema":[{{"name":"n","type":"Int64"}}],"results":[{{"n":"{long}"}}]}}"#
        ));
        assert_eq!(warned.facts.warnings.len(), 1);
        assert!(
            warned.facts.warnings[0].len() < 200,
            "{:?}",
            warned.facts.warnings
        );
        // Every cut and many byte changes of a real answer: an error or a result, never a panic.
        let f06 = F06.as_bytes();
        for end in 0..f06.len() {
            assert!(decode_results(&f06[..end], "test").is_err(), "cut at {end}");
        }
        for at in 0..f06.len() {
            for byte in [b'"', b'{', b']', b'\\', 0xff, b'0', b'-', b'n'] {
                let mut changed = f06.to_vec();
                changed[at] = byte;
                let _ = decode_results(&changed, "test");
            }
        }
        let _ = decode_results(&[0xff, 0xfe, 0x00], "test");
    }

    #[test]
    fn deep_nesting_is_kept_in_dynamic_cells_and_refused_past_128_levels_elsewhere() {
        let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let schema = r#"[{"name":"d","type":"Object"},{"name":"s","type":"String"}]"#;
        // Raw dynamic values are skipped over without recursion (serde_json's RawValue), so
        // depth costs no stack: kept as they are, also when they come inside a string.
        for depth in [100, 100_000] {
            let deep = nested(depth);
            let rows = format!(r#"[{{"d":{deep},"x":{deep}}},{{"d":"{deep}"}}]"#);
            let result = decode(&body(schema, &rows));
            assert_eq!(texts(&result, 0), [Some(deep.clone()), Some(deep.clone())]);
        }
        // A list in a string column is built as a small Value: serde_json stops at 128 levels.
        let shallow = decode(&body(schema, &format!(r#"[{{"s":{}}}]"#, nested(100))));
        assert_eq!(texts(&shallow, 1), [Some(nested(100))]);
        let error = fail(&body(schema, &format!(r#"[{{"s":{}}}]"#, nested(100_000))));
        assert!(
            error
                .message
                .starts_with("the response nests JSON more than 128 levels deep"),
            "{error}"
        );
        // 86 bytes before the list; the 126th `[` is level 129 (body, results and row are 3).
        assert_eq!((error.line, error.column), (1, 86 + 125));
    }

    #[test]
    fn lone_surrogates_are_replaced_instead_of_failing_the_answer() {
        let text = r#"{"schema":[{"name":"s","type":"String"}],"results":[{"s":"a\ud800b"},{"s":"\ud83d\ude00"},{"s":"\udc00\\ud800"}]}"#;
        let result = decode(text);
        assert_eq!(
            texts(&result, 0),
            [
                Some("a\u{fffd}b".to_string()),
                Some("😀".to_string()),
                Some("\u{fffd}\\ud800".to_string())
            ]
        );
        assert_eq!(
            result.facts.warnings,
            ["2 lone UTF-16 surrogate escapes in strings were replaced with U+FFFD"]
        );
        // Not a surrogate problem: the first error stands.
        assert!(
            fail(r#"{"schema":[],"results":["\u12"]}"#)
                .message
                .contains("escape")
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped_and_counted_in_positions() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(F06.as_bytes());
        let result = decode_results(&bytes, "test").expect("decodes");
        assert_eq!(result.row_count(), 2);
        let error = decode_results(b"\xEF\xBB\xBF{\"schema\":7", "test").expect_err("fails");
        assert_eq!((error.line, error.column), (1, 14));
    }

    #[test]
    fn buffers_grow_to_the_projected_final_size() {
        let body = vec![b' '; 10_000_000];
        let mut progress = Progress::over(&body);
        assert_eq!(progress.rows_target(100), None, "nothing read yet");
        let text = std::str::from_utf8(&body).expect("spaces");
        progress.note(&text[0..1]);
        progress.note(&text[100_000..100_001]);
        assert_eq!(
            progress.rows_target(100),
            None,
            "1 % read: too early to project"
        );
        progress.note(&text[1_000_000..1_000_001]);
        // 10 % read: 1,000 rows now project to 10,000 (+5 %, +16).
        assert_eq!(progress.rows_target(1_000), Some(10_516));
        assert_eq!(progress.bytes_target(50_000), Some(525_016));
        // Bounded by what the rest of the body can hold.
        assert_eq!(
            progress.bytes_target(5_000_000),
            Some(5_000_000 + 9_000_000 + 16)
        );
        let mut values: Vec<u64> = vec![0; 1_000];
        let target = progress.rows_target(values.len());
        make_room(&mut values, 1, target).expect("room");
        assert_eq!(values.capacity(), 10_516);
        // Without a projection: doubling.
        let mut small: Vec<u64> = vec![0; 100];
        make_room(&mut small, 1, None).expect("room");
        assert!(small.capacity() >= 200);
    }

    #[test]
    fn finished_buffers_hold_little_spare_room() {
        // 20,000 rows (about 2 MB) of varied text: the projection sizes the buffers.
        let mut text = String::from(
            r#"{"schema":[{"name":"s","type":"String"},{"name":"n","type":"Int64"}],"results":["#,
        );
        for i in 0..20_000 {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!(
                r#"{{"s":"{}","n":{i}}}"#,
                "command line ".repeat(5 + i % 7)
            ));
        }
        text.push_str("]}");
        let result = decode(&text);
        let strings = result.column(0).as_string::<i32>();
        let used = strings.value_data().len();
        let held = strings.to_data().buffers()[1].capacity();
        assert!(
            held >= used && held <= used + used / 16 + 64,
            "{used} used, {held} held"
        );
        assert_eq!(
            result.column(1).as_primitive::<Int64Type>().value(19_999),
            19_999
        );
    }

    #[test]
    fn escaped_strings_unescape_and_lone_surrogates_become_replacement_characters() {
        let mut out = String::new();
        assert!(unescape_into(
            r#"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"#,
            &mut out
        ));
        assert_eq!(out, "a\"b\\c/d\u{8}\u{c}\n\r\té😀");
        out.clear();
        assert!(unescape_into(r#"\ud800x\udc00\ud800\u0041"#, &mut out));
        assert_eq!(out, "\u{fffd}x\u{fffd}\u{fffd}A");
        for bad in [r#"\"#, r#"\x"#, r#"\u12"#, r#"\u12g4"#] {
            out.clear();
            assert!(!unescape_into(bad, &mut out), "{bad}");
        }
    }

    #[test]
    fn json_text_is_compacted_only_outside_strings() {
        let compact = |json: &str| {
            let mut out = Vec::new();
            compact_json(json, &mut out);
            String::from_utf8(out).expect("UTF-8")
        };
        assert_eq!(compact(r#"{"a":[1,"x y"]}"#), r#"{"a":[1,"x y"]}"#);
        assert_eq!(
            compact("{ \"a\" :\t[1 ,\r\n\"x, y\" ] }"),
            r#"{"a":[1,"x, y"]}"#
        );
        assert_eq!(compact(r#"["a \" ,b", "c"]"#), r#"["a \" ,b","c"]"#);
        assert_eq!(compact(r#""just text""#), r#""just text""#);
        assert!(!has_loose_whitespace(
            br#"{"k":"remote session","n":[1,2]}"#
        ));
        assert!(has_loose_whitespace(br#"{"k": 1}"#));
        assert!(
            has_loose_whitespace(br#"["a, b"]"#),
            "a harmless false alarm"
        );
    }

    #[test]
    fn a_body_that_is_not_utf8_is_refused_at_its_first_bad_byte() {
        let error = decode_results(b"{\"schema\":[],\n \"results\":[\"\xff\"]}", "test")
            .expect_err("not UTF-8");
        assert_eq!(
            error.message,
            "the response body is not UTF-8 text (JSON must be)"
        );
        assert_eq!((error.line, error.column), (2, 14));
    }

    #[test]
    fn graph_error_envelopes_give_code_message_and_ids() {
        let modern = br#"{"error":{"code":"BadRequest","message":"'project' operator: Failed to resolve scalar expression named 'x'","innerError":{"date":"2024-03-26T09:39:50","request-id":"r-1","client-request-id":"c-1"}}}"#;
        assert_eq!(
            decode_error(modern),
            Some(GraphError {
                code: "BadRequest".into(),
                message: "'project' operator: Failed to resolve scalar expression named 'x'".into(),
                request_id: Some("r-1".into()),
                client_request_id: Some("c-1".into()),
                date: Some("2024-03-26T09:39:50".into()),
            })
        );
        // Lower-case `innererror`, nested, ids at different levels: the outermost one wins.
        let nested = br#"{"error":{"code":"UnknownError","message":"","innererror":{"date":"d-1","innerError":{"request-id":"r-2","date":"d-2"}}}}"#;
        let error = decode_error(nested).expect("an envelope");
        assert_eq!(
            (error.code.as_str(), error.message.as_str()),
            ("UnknownError", "")
        );
        assert_eq!(error.request_id.as_deref(), Some("r-2"));
        assert_eq!(error.date.as_deref(), Some("d-1"));
        assert_eq!(error.client_request_id, None);
        let legacy = br#"{"error":{"code":"429","message":"API calls quota exceeded! maximum allowed 45 per 00:01:00","target":"00000000-0000-0000-0000-000000000000"}}"#;
        assert_eq!(
            decode_error(legacy),
            Some(GraphError {
                code: "429".into(),
                message: "API calls quota exceeded! maximum allowed 45 per 00:01:00".into(),
                ..GraphError::default()
            })
        );
        let numeric = decode_error(br#"{"Error":{"Code":429,"Message":"slow down"}}"#);
        assert_eq!(
            numeric.map(|e| (e.code, e.message)),
            Some(("429".into(), "slow down".into()))
        );
        let oauth = decode_error(
            br#"{"error":"invalid_grant","error_description":"AADSTS70008: expired"}"#,
        );
        assert_eq!(
            oauth.map(|e| (e.code, e.message)),
            Some(("invalid_grant".into(), "AADSTS70008: expired".into()))
        );
        assert_eq!(decode_error(b"<html>502 Bad Gateway</html>"), None);
        assert_eq!(decode_error(b""), None);
        assert_eq!(decode_error(br#"{"schema":[],"results":[]}"#), None);
        assert_eq!(decode_error(br#"{"error":null}"#), None);
        assert_eq!(decode_error(br#"{"error":{"code":"x""#), None);
    }
}
