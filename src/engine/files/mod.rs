//! The user's own files as tables (`--data PATH`): JSON lines, CSV/TSV and Parquet, plain or
//! compressed with gzip or zstd, and Defender's streaming-API exports.
//!
//! Opening reads no more than it must: the names and sizes of the files, the first records of
//! one file per table to learn the columns (or the Parquet footers), the CSV headers. The rows are
//! read when a query scans the table, where they lie (see `lines` and `parquet`).
//!
//! Table names: a file given or found directly in a given folder is a table named by the file
//! (`DeviceProcessEvents.jsonl.gz` → `DeviceProcessEvents`); a folder inside a given folder is
//! one table named by that folder, with every data file beneath it; a given folder whose files
//! all sit in partition folders (`y=2024/m=01/…`, Azure storage's layout) is a table named by
//! that folder. A Defender export is named by its records' category
//! (`AdvancedHunting-DeviceProcessEvents` → `DeviceProcessEvents`) and a storage container
//! `insights-logs-advancedhunting-<table>` by its table. Names of advanced hunting tables take the
//! schema's spelling, and their columns its types.

pub mod cells;
pub(crate) mod dictionary_groups;
mod lines;
mod parquet;
mod records;
pub(crate) mod time_bounds;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

pub use lines::SkippedRows;

use super::{Catalog, CatalogTable};
use crate::results::KqlType;
use cells::looks_like_datetime;
use lines::{LineFormat, LineTable};
use records::JsonRecords;

/// How many records of a table are read to learn its columns when no schema names them.
pub const SAMPLE_RECORDS: usize = 1000;

/// How deep folders are searched for data files.
const MAX_DEPTH: usize = 32;

/// How a file's bytes are compressed (by its name's last extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// What a file holds (by its extension under any compression one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `.json`, `.jsonl`, `.ndjson`: one JSON object a line.
    JsonLines,
    /// `.csv` (comma) or `.tsv` (tab), with a header row.
    Csv { delimiter: u8 },
    /// `.parquet`.
    Parquet,
}

impl FileKind {
    fn describe(self) -> &'static str {
        match self {
            FileKind::JsonLines => "JSON lines",
            FileKind::Csv { delimiter: b'\t' } => "TSV",
            FileKind::Csv { .. } => "CSV",
            FileKind::Parquet => "Parquet",
        }
    }
}

/// One data file of a table.
#[derive(Debug, Clone)]
pub struct DataFile {
    pub path: PathBuf,
    pub kind: FileKind,
    pub compression: Compression,
    /// Bytes on disk (for spreading files over partitions).
    pub size: u64,
}

/// Choices for reading the user's files.
#[derive(Debug, Clone, Copy, Default)]
pub struct DataOptions {
    /// Skip rows that cannot be read (and count them) instead of failing the query.
    pub skip_bad_rows: bool,
}

/// The advanced hunting tables by lower-case name: their spelling and columns.
type KnownTables = BTreeMap<String, (String, Vec<(String, KqlType)>)>;

/// What opening found: the tables, and what the user should know about them.
#[derive(Debug)]
pub struct Opened {
    pub catalog: Catalog,
    /// One line each: a table's name, files, and how its columns were typed; columns left out.
    pub notes: Vec<String>,
}

/// Opens the files and folders as tables.
///
/// Errors (one message, naming the path): a path that does not exist or cannot be read, a file
/// whose extension hunt does not read, a folder with no data files, a table whose files mix
/// formats, CSV files of one table with different headers, Parquet files of one table with
/// different column types, a table with no records whose columns no schema gives.
pub fn open(paths: &[PathBuf], options: &DataOptions) -> Result<Opened, String> {
    if paths.is_empty() {
        return Err("no data files given".to_string());
    }
    let known: KnownTables = super::lab::schema_tables()
        .into_iter()
        .map(|(name, columns)| (name.to_ascii_lowercase(), (name, columns)))
        .collect();
    let mut tables: BTreeMap<String, Vec<DataFile>> = BTreeMap::new();
    for path in paths {
        for (name, file) in discover(path)? {
            let name = match known_name(&name, &known) {
                Some(known) => known,
                None => name,
            };
            tables.entry(name).or_default().push(file);
        }
    }
    let mut catalog = Catalog::default();
    let mut notes = Vec::new();
    for (name, files) in tables {
        let schema = known
            .get(&name.to_ascii_lowercase())
            .map(|(_, c)| c.as_slice());
        let kind = files[0].kind;
        if let Some(other) = files.iter().find(|f| f.kind != kind) {
            return Err(format!(
                "table '{name}' mixes {} ({}) and {} ({}) files; give them as separate tables",
                kind.describe(),
                files[0].path.display(),
                other.kind.describe(),
                other.path.display()
            ));
        }
        let (table, note) = match kind.line_format() {
            Some(format) => line_table(&name, files, format, schema, options)?,
            None => parquet::table(&name, &files, schema)?,
        };
        notes.push(note);
        catalog.insert_table(&name, table);
    }
    Ok(Opened { catalog, notes })
}

/// The schema's spelling of a table name: exact or in another case, or the table of an Azure
/// storage container `insights-logs-advancedhunting-<table>`.
fn known_name(name: &str, known: &KnownTables) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let lower = lower
        .strip_prefix("insights-logs-advancedhunting-")
        .unwrap_or(&lower);
    known.get(lower).map(|(name, _)| name.clone())
}

/// The kind and compression of a file by its name, and the name without those extensions.
pub fn file_kind(path: &Path) -> Option<(FileKind, Compression, String)> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let (rest, compression) = if let Some(rest) = strip_ext(&lower, &["gz", "gzip"]) {
        (rest, Compression::Gzip)
    } else if let Some(rest) = strip_ext(&lower, &["zst", "zstd"]) {
        (rest, Compression::Zstd)
    } else {
        (lower.as_str(), Compression::None)
    };
    let (stem_len, kind) = if let Some(stem) = strip_ext(rest, &["jsonl", "ndjson", "json"]) {
        (stem.len(), FileKind::JsonLines)
    } else if let Some(stem) = strip_ext(rest, &["csv"]) {
        (stem.len(), FileKind::Csv { delimiter: b',' })
    } else if let Some(stem) = strip_ext(rest, &["tsv", "tab"]) {
        (stem.len(), FileKind::Csv { delimiter: b'\t' })
    } else if let Some(stem) = strip_ext(rest, &["parquet", "parq"]) {
        (stem.len(), FileKind::Parquet)
    } else {
        return None;
    };
    if kind == FileKind::Parquet && compression != Compression::None {
        // Parquet compresses inside the file; a compressed Parquet file cannot be scanned.
        return None;
    }
    // ASCII lower-casing keeps byte offsets, so the stem is cut from the original name.
    Some((kind, compression, name[..stem_len].to_string()))
}

fn strip_ext<'a>(name: &'a str, extensions: &[&str]) -> Option<&'a str> {
    extensions.iter().find_map(|ext| {
        name.strip_suffix(ext)
            .and_then(|rest| rest.strip_suffix('.'))
            .filter(|stem| !stem.is_empty())
    })
}

/// How an error in a file's data begins (the data is at fault, not the query):
/// `clean_engine_message` passes it on as it is.
pub const DATA_ERROR: &str = "could not read the data: ";

const READABLE: &str =
    ".json, .jsonl, .ndjson, .csv, .tsv or .parquet, all but .parquet optionally .gz or .zst";

/// The data files of one given path, each with the name of its table.
fn discover(path: &Path) -> Result<Vec<(String, DataFile)>, String> {
    let shown = path.display();
    let metadata = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{shown}: no such file or folder"),
        _ => format!("{shown}: {e}"),
    })?;
    if metadata.is_file() {
        let Some((kind, compression, stem)) = file_kind(path) else {
            return Err(format!(
                "{shown}: not a kind of file hunt reads (it reads {READABLE})"
            ));
        };
        let file = DataFile {
            path: path.to_path_buf(),
            kind,
            compression,
            size: metadata.len(),
        };
        let name = defender_table(&file)?.unwrap_or(stem);
        return Ok(vec![(name, file)]);
    }
    let mut found = Vec::new();
    walk(path, 0, &mut found)?;
    if found.is_empty() {
        return Err(format!(
            "{shown}: no data files in this folder (hunt reads {READABLE})"
        ));
    }
    let own_name = std::fs::canonicalize(path)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "data".to_string());
    let mut tables = Vec::with_capacity(found.len());
    for (file, stem) in found {
        let relative = file.path.strip_prefix(path).unwrap_or(&file.path);
        let first_folder = relative
            .parent()
            .and_then(|p| p.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned());
        let by_place = match first_folder {
            None => stem,
            Some(folder) if !folder.contains('=') => folder,
            Some(_) => own_name.clone(),
        };
        let name = defender_table(&file)?.unwrap_or(by_place);
        tables.push((name, file));
    }
    Ok(tables)
}

/// Data files under `folder` (sorted by path), with their stems. Names starting with `.` or `_`
/// (hidden files, `_SUCCESS` markers) are passed over, and so are links to folders (a loop).
fn walk(folder: &Path, depth: usize, found: &mut Vec<(DataFile, String)>) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{}: folders nest more than {MAX_DEPTH} deep",
            folder.display()
        ));
    }
    let entries = std::fs::read_dir(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let mut entries: Vec<_> = entries
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", folder.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(['.', '_']) {
            continue;
        }
        let path = entry.path();
        let file_type = entry
            .file_type()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if file_type.is_dir() {
            walk(&path, depth + 1, found)?;
            continue;
        }
        let metadata = match std::fs::metadata(&path) {
            Ok(metadata) if metadata.is_file() => metadata,
            // A link to a folder, a dangling link, a socket: not data.
            _ => continue,
        };
        if let Some((kind, compression, stem)) = file_kind(&path) {
            found.push((
                DataFile {
                    path,
                    kind,
                    compression,
                    size: metadata.len(),
                },
                stem,
            ));
        }
    }
    Ok(())
}

/// The table a Defender streaming export names in its first record's category, if the file is
/// one (JSON lines only; the first 100 lines are looked at).
fn defender_table(file: &DataFile) -> Result<Option<String>, String> {
    if file.kind != FileKind::JsonLines {
        return Ok(None);
    }
    let reader = records::open(file).map_err(|e| format!("{}: {e}", file.path.display()))?;
    let mut lines = std::io::BufRead::lines(reader);
    for _ in 0..100 {
        let line = match lines.next() {
            None => return Ok(None),
            Some(Ok(line)) => line,
            // Bad bytes are reported when the rows are read.
            Some(Err(_)) => return Ok(None),
        };
        if line.trim().is_empty() {
            continue;
        }
        let Ok(Value::Object(mut record)) = serde_json::from_str::<Value>(&line) else {
            return Ok(None);
        };
        if let Some(Value::Array(records)) = record.get_mut("records")
            && let Some(Value::Object(first)) = records.first()
        {
            return Ok(records::defender_category(first).map(str::to_string));
        }
        return Ok(records::defender_category(&record).map(str::to_string));
    }
    Ok(None)
}

/// A JSON-lines or CSV table: its columns (the schema's, then any others the first records
/// hold, typed by their values), checked headers, and a note for the user.
fn line_table(
    name: &str,
    files: Vec<DataFile>,
    format: LineFormat,
    schema: Option<&[(String, KqlType)]>,
    options: &DataOptions,
) -> Result<(CatalogTable, String), String> {
    let (columns, inferred) = match format {
        LineFormat::Json => json_columns(&files, schema)?,
        LineFormat::Csv { delimiter } => csv_columns(&files, delimiter, schema)?,
    };
    if columns.is_empty() {
        return Err(format!(
            "table '{name}': its files hold no records, so its columns are unknown ({})",
            files[0].path.display()
        ));
    }
    let typed = match schema {
        Some(_) => Typed::Schema(inferred),
        None => Typed::Values,
    };
    let note = describe(name, &files, &columns, typed);
    let table = LineTable::new(
        name.to_string(),
        columns.clone(),
        files,
        format,
        options.skip_bad_rows,
    );
    Ok((
        CatalogTable {
            provider: Arc::new(table),
            columns,
        },
        note,
    ))
}

/// How a table's columns got their types, for its note.
enum Typed {
    /// The advanced hunting schema's, and this many more by the first records' values.
    Schema(usize),
    /// By the values of the first records.
    Values,
    /// The files' own column types (Parquet).
    Files,
}

/// "DeviceProcessEvents: 3 JSON lines files, 45 columns, typed by the advanced hunting schema".
fn describe(name: &str, files: &[DataFile], columns: &[(String, KqlType)], typed: Typed) -> String {
    let typed = match typed {
        Typed::Schema(0) => "typed by the advanced hunting schema".to_string(),
        Typed::Schema(n) => {
            format!("typed by the advanced hunting schema, {n} more by their values")
        }
        Typed::Values => format!("typed by the values of the first {SAMPLE_RECORDS} records"),
        Typed::Files => "typed by the files' column types".to_string(),
    };
    format!(
        "{name}: {} {} file{}, {} columns, {typed}",
        files.len(),
        files[0].kind.describe(),
        if files.len() == 1 { "" } else { "s" },
        columns.len()
    )
}

/// A column's type as the sample shows it so far.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Seen {
    Nothing,
    Type(KqlType),
}

impl Seen {
    /// Two readings of one column: equal types stay, long and real make real, anything with a
    /// dynamic makes dynamic, other mixes make string (every value reads as a string).
    fn and(self, ty: KqlType) -> Seen {
        Seen::Type(match self {
            Seen::Nothing => ty,
            Seen::Type(seen) if seen == ty => ty,
            Seen::Type(KqlType::Long | KqlType::Real)
                if matches!(ty, KqlType::Long | KqlType::Real) =>
            {
                KqlType::Real
            }
            Seen::Type(KqlType::Dynamic) => KqlType::Dynamic,
            Seen::Type(_) if ty == KqlType::Dynamic => KqlType::Dynamic,
            Seen::Type(_) => KqlType::String,
        })
    }

    fn or_string(self) -> KqlType {
        match self {
            Seen::Nothing => KqlType::String,
            Seen::Type(ty) => ty,
        }
    }
}

/// The type a JSON value suggests (`None` for null).
fn json_type(value: &Value) -> Option<KqlType> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(_) => KqlType::Bool,
        Value::Number(n) if n.is_i64() => KqlType::Long,
        Value::Number(_) => KqlType::Real,
        Value::String(s) if looks_like_datetime(s) => KqlType::DateTime,
        Value::String(_) => KqlType::String,
        Value::Array(_) | Value::Object(_) => KqlType::Dynamic,
    })
}

/// Whether digits are written as a code rather than a number: a leading zero (`007`, `00.5`),
/// a leading `+`, or more digits than a long holds (an identifier). Read as numbers they would
/// lose what the file says (`007` would be 7).
fn digits_as_code(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let b = unsigned.as_bytes();
    text.starts_with('+')
        || (b.len() > 1 && b[0] == b'0' && b[1].is_ascii_digit())
        || (!b.is_empty() && b.iter().all(u8::is_ascii_digit) && text.parse::<i64>().is_err())
}

/// The type a CSV cell suggests (`None` for an empty cell).
fn text_type(text: &str) -> Option<KqlType> {
    if text.is_empty() {
        return None;
    }
    Some(if digits_as_code(text) {
        KqlType::String
    } else if text.parse::<i64>().is_ok() {
        KqlType::Long
    } else if text.parse::<f64>().is_ok_and(f64::is_finite)
        && text.contains(|c: char| c.is_ascii_digit())
    {
        KqlType::Real
    } else if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") {
        KqlType::Bool
    } else if looks_like_datetime(text) {
        KqlType::DateTime
    } else if text.starts_with(['{', '[']) && serde_json::from_str::<Value>(text).is_ok() {
        KqlType::Dynamic
    } else {
        KqlType::String
    })
}

/// A JSON table's columns: the schema's, then the keys of the first records the schema does not
/// name (in the order first seen), typed by their values; and how many were typed that way.
fn json_columns(
    files: &[DataFile],
    schema: Option<&[(String, KqlType)]>,
) -> Result<(Vec<(String, KqlType)>, usize), String> {
    let mut seen: Vec<(String, Seen)> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut sampled = 0;
    let mut first_bad: Option<String> = None;
    'files: for file in files {
        let reader = records::open(file).map_err(|e| format!("{}: {e}", file.path.display()))?;
        let mut records = JsonRecords::new(reader);
        while sampled < SAMPLE_RECORDS {
            let record = match records.next_record() {
                Ok(Some(record)) => record,
                Ok(None) => continue 'files,
                Err(e) => return Err(format!("{}: {e}", file.path.display())),
            };
            // A bad line is reported when the rows are read (or below, if no line is good).
            let (_, map) = match record {
                Ok(record) => record,
                Err(bad) => {
                    first_bad.get_or_insert_with(|| {
                        format!("{}:{}: {}", file.path.display(), bad.line, bad.message)
                    });
                    continue;
                }
            };
            sampled += 1;
            for (key, value) in &map {
                let at = *index.entry(key.clone()).or_insert_with(|| {
                    seen.push((key.clone(), Seen::Nothing));
                    seen.len() - 1
                });
                if let Some(ty) = json_type(value) {
                    seen[at].1 = seen[at].1.and(ty);
                }
            }
        }
        break;
    }
    if seen.is_empty()
        && schema.is_none()
        && let Some(bad) = first_bad
    {
        return Err(format!("no record could be read ({bad})"));
    }
    Ok(with_schema(seen, schema))
}

/// The schema's columns, then the others as seen; how many came from the sample.
fn with_schema(
    seen: Vec<(String, Seen)>,
    schema: Option<&[(String, KqlType)]>,
) -> (Vec<(String, KqlType)>, usize) {
    let Some(schema) = schema else {
        let inferred = seen.len();
        let columns = seen.into_iter().map(|(n, s)| (n, s.or_string())).collect();
        return (columns, inferred);
    };
    let mut columns: Vec<(String, KqlType)> = schema.to_vec();
    let mut inferred = 0;
    for (name, s) in seen {
        if !schema.iter().any(|(n, _)| *n == name) {
            columns.push((name, s.or_string()));
            inferred += 1;
        }
    }
    (columns, inferred)
}

/// A CSV table's columns: the header (the same in every file), typed by the schema where it
/// names the column, else by the first rows' values.
fn csv_columns(
    files: &[DataFile],
    delimiter: u8,
    schema: Option<&[(String, KqlType)]>,
) -> Result<(Vec<(String, KqlType)>, usize), String> {
    let mut header: Option<(Vec<String>, &Path)> = None;
    let mut seen: Vec<Seen> = Vec::new();
    let mut sampled = 0;
    for file in files {
        let reader = records::open(file).map_err(|e| format!("{}: {e}", file.path.display()))?;
        let mut csv = records::csv_reader(reader, delimiter);
        let names =
            records::csv_header(&mut csv).map_err(|m| format!("{}:1: {m}", file.path.display()))?;
        if names.iter().all(String::is_empty) {
            continue; // An empty file.
        }
        match &header {
            Some((first, first_path)) if *first != names => {
                let at = first
                    .iter()
                    .zip(&names)
                    .position(|(a, b)| a != b)
                    .unwrap_or(first.len().min(names.len()));
                return Err(format!(
                    "{}: its header differs from {}'s at column {} ({} against {}); files of one table need one header",
                    file.path.display(),
                    first_path.display(),
                    at + 1,
                    names.get(at).map_or("nothing".into(), |n| cells::quote(n)),
                    first.get(at).map_or("nothing".into(), |n| cells::quote(n)),
                ));
            }
            Some(_) => continue,
            None => {
                if let Some(duplicate) = names
                    .iter()
                    .enumerate()
                    .find(|(i, n)| names[..*i].contains(n))
                    .map(|(_, n)| n)
                {
                    return Err(format!(
                        "{}:1: the header names column {} twice",
                        file.path.display(),
                        cells::quote(duplicate)
                    ));
                }
                seen = vec![Seen::Nothing; names.len()];
                let mut record = csv::StringRecord::new();
                while sampled < SAMPLE_RECORDS {
                    match csv.read_record(&mut record) {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(_) => continue,
                    }
                    sampled += 1;
                    for (at, text) in record.iter().enumerate().take(seen.len()) {
                        if let Some(ty) = text_type(text) {
                            seen[at] = seen[at].and(ty);
                        }
                    }
                }
                header = Some((names, &file.path));
            }
        }
    }
    let Some((names, _)) = header else {
        return Ok((Vec::new(), 0));
    };
    let mut inferred = 0;
    let columns = names
        .into_iter()
        .zip(seen)
        .map(|(name, s)| {
            let known = schema.and_then(|c| c.iter().find(|(n, _)| *n == name).map(|(_, t)| *t));
            let ty = known.unwrap_or_else(|| {
                inferred += 1;
                s.or_string()
            });
            (name, ty)
        })
        .collect();
    Ok((columns, inferred))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_kinds_come_from_extensions_under_compression() {
        let kind = |name: &str| file_kind(Path::new(name));
        assert_eq!(
            kind("DeviceProcessEvents.jsonl.gz"),
            Some((
                FileKind::JsonLines,
                Compression::Gzip,
                "DeviceProcessEvents".into()
            ))
        );
        assert_eq!(
            kind("a.b.CSV.ZST"),
            Some((
                FileKind::Csv { delimiter: b',' },
                Compression::Zstd,
                "a.b".into()
            ))
        );
        assert_eq!(
            kind("x.tsv"),
            Some((
                FileKind::Csv { delimiter: b'\t' },
                Compression::None,
                "x".into()
            ))
        );
        assert_eq!(kind("PT1H.json").map(|k| k.2), Some("PT1H".into()));
        assert_eq!(kind("t.parquet").map(|k| k.0), Some(FileKind::Parquet));
        assert_eq!(kind("t.parquet.gz"), None);
        assert_eq!(kind("notes.txt"), None);
        assert_eq!(kind(".json"), None);
    }

    #[test]
    fn inference_merges_readings() {
        assert_eq!(
            Seen::Nothing
                .and(KqlType::Long)
                .and(KqlType::Real)
                .or_string(),
            KqlType::Real
        );
        assert_eq!(
            Seen::Nothing
                .and(KqlType::Long)
                .and(KqlType::String)
                .or_string(),
            KqlType::String
        );
        assert_eq!(
            Seen::Nothing
                .and(KqlType::DateTime)
                .and(KqlType::Dynamic)
                .or_string(),
            KqlType::Dynamic
        );
        assert_eq!(Seen::Nothing.or_string(), KqlType::String);
        assert_eq!(text_type("12"), Some(KqlType::Long));
        assert_eq!(text_type("0"), Some(KqlType::Long));
        assert_eq!(text_type("-0.5"), Some(KqlType::Real));
        // Codes keep what the file says: leading zeros, a plus, more digits than a long.
        for code in ["007", "-007", "00.5", "+5", "12345678901234567890123"] {
            assert_eq!(text_type(code), Some(KqlType::String), "{code}");
        }
        assert_eq!(text_type("1.5e3"), Some(KqlType::Real));
        assert_eq!(text_type("inf"), Some(KqlType::String));
        assert_eq!(text_type("FALSE"), Some(KqlType::Bool));
        assert_eq!(text_type("2024-01-01T00:00:00Z"), Some(KqlType::DateTime));
        assert_eq!(text_type("{\"a\":1}"), Some(KqlType::Dynamic));
        assert_eq!(text_type("[oops"), Some(KqlType::String));
        assert_eq!(text_type(""), None);
    }

    #[test]
    fn container_names_map_to_schema_tables() {
        let known: KnownTables = [(
            "deviceprocessevents".to_string(),
            ("DeviceProcessEvents".to_string(), vec![]),
        )]
        .into();
        assert_eq!(
            known_name("insights-logs-advancedhunting-deviceprocessevents", &known).as_deref(),
            Some("DeviceProcessEvents")
        );
        assert_eq!(
            known_name("deviceprocessevents", &known).as_deref(),
            Some("DeviceProcessEvents")
        );
        assert_eq!(known_name("MyTable", &known), None);
    }
}
