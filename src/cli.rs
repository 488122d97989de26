//! Command-line parsing and wiring (CLI.md). Logic lives in the modules; this file only connects
//! them and maps outcomes to exit codes: 0 success, 1 query failed, 2 usage, 3 auth, 4 throttled,
//! 5 network.

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::backend::{Backend, BackendFactory, Progress, QueryRequest};
use crate::engine::{Catalog, LabOptions, LocalEngine};
use crate::results::export::{self, ExportFormat};
use crate::results::safe::sanitize;
use crate::results::{ResultSet, RunFacts};
use crate::store::{Config, Paths, Store, bundled_queries};
use crate::tui::app::{App, OpenFile, STARTER_QUERY, Tone};
use crate::tui::theme::Theme;
use crate::worker;

#[derive(Debug, Parser)]
#[command(name = "hunt", version, about = "A terminal console for threat hunting with KQL", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// A .kql file to open in the editor (Ctrl+S writes it back).
    file: Option<PathBuf>,
    /// Size of the lab data set (1 = a small company's month).
    #[arg(long, default_value_t = 1, global = true, value_parser = clap::value_parser!(u32).range(1..=1000))]
    scale: u32,
    /// The most rows a local query returns (default: `row_limit` in the config file, else
    /// 100000); more are cut and the result is marked truncated.
    #[arg(long, global = true, value_parser = clap::value_parser!(u64).range(1..))]
    row_limit: Option<u64>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one query without the UI and print the result.
    Run {
        /// The KQL text (or use -f FILE, or standard input).
        query: Option<String>,
        /// Read the query from a file.
        #[arg(short = 'f', long = "file")]
        file: Option<PathBuf>,
        /// Output format; default: table on a terminal, csv otherwise.
        #[arg(long, value_enum)]
        format: Option<OutputFormat>,
        /// Where to run it.
        #[arg(long, value_enum, default_value_t = BackendChoice::Lab)]
        backend: BackendChoice,
        /// ISO 8601 time window, e.g. P7D or 2024-02-01T00:00:00Z/2024-02-15T00:00:00Z.
        #[arg(long)]
        timespan: Option<String>,
    },
    /// Parse and validate queries (standard input when no file); prints FILE:LINE:COL: message.
    Check { files: Vec<PathBuf> },
    /// The built-in lab data set.
    Lab {
        #[command(subcommand)]
        command: LabCommand,
    },
}

#[derive(Debug, Subcommand)]
enum LabCommand {
    /// Write every lab table to DIR, one file per table.
    Export {
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = FileFormat::Parquet)]
        format: FileFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputFormat {
    Table,
    Csv,
    Json,
    Jsonl,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FileFormat {
    Parquet,
    Jsonl,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum BackendChoice {
    /// The built-in lab data set on the local engine.
    Lab,
}

/// Runs the program; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { 2 } else { 0 };
        }
    };
    let store = Paths::discover().map(|paths| Arc::new(Store::new(paths)));
    let config = store.as_ref().map(|s| s.load_config());
    let row_limit = cli
        .row_limit
        .and_then(|n| usize::try_from(n).ok())
        .or_else(|| config.as_ref()?.as_ref().ok()?.row_limit)
        .unwrap_or(crate::engine::DEFAULT_ROW_LIMIT);
    match cli.command {
        None => console(cli.file, cli.scale, row_limit, store, config),
        Some(Command::Run {
            query,
            file,
            format,
            backend: BackendChoice::Lab,
            timespan,
        }) => {
            if let Some(Err(message)) = &config {
                return fail(2, message);
            }
            let text = match read_query(query, file) {
                Ok(text) => text,
                Err(message) => return fail(2, &message),
            };
            // A bad window is a usage error, found before any work.
            let now = crate::kql::time::now();
            if let Some(window) = &timespan
                && let Err(message) = crate::engine::time_window::parse_timespan(window, now)
            {
                return fail(2, &format!("--timespan: {message}"));
            }
            let format = format.unwrap_or(if io::stdout().is_terminal() {
                OutputFormat::Table
            } else {
                OutputFormat::Csv
            });
            run_query(&text, format, timespan, cli.scale, row_limit)
        }
        Some(Command::Check { files }) => check(&files),
        Some(Command::Lab {
            command: LabCommand::Export { dir, format },
        }) => lab_export(&dir, format, cli.scale),
    }
}

/// The console: everything it needs is gathered here (files, config, the worker with the lab
/// building on it), then `tui::run` draws until the user quits.
fn console(
    file: Option<PathBuf>,
    scale: u32,
    row_limit: usize,
    store: Option<Arc<Store>>,
    config: Option<Result<Config, String>>,
) -> i32 {
    let start = match start_text(file.as_deref(), store.as_deref()) {
        Ok(start) => start,
        Err(message) => return fail(2, &message),
    };
    let mut warnings = start.warnings;
    let mut queries = bundled_queries();
    if let Some(store) = &store {
        queries.extend(store.user_queries());
        queries.extend(store.kept_drafts());
    }
    if let Some(Err(message)) = config {
        warnings.push(message);
    }
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return fail(1, &format!("could not start the worker runtime: {e}")),
    };
    let factory: BackendFactory = Box::new(move |progress: Progress| {
        LocalEngine::lab_with_progress(&LabOptions::ending_now(scale), &*progress)
            .map(|engine| Arc::new(engine.with_row_limit(row_limit)) as Arc<dyn Backend>)
            .map_err(|e| format!("could not build the lab data: {e}"))
    });
    let handle = worker::spawn_starting(runtime.handle(), factory, store);
    let mut app = App::new(
        handle,
        queries,
        &start.text,
        "lab",
        "last 30d",
        Theme::default_for_terminal(),
    );
    match start.file {
        Some(file) => app.open_file(file),
        // The built-in starter query needs no keeping when it is replaced unchanged.
        None if start.text == STARTER_QUERY => app.mark_stored(),
        None => {}
    }
    if let Some(warning) = warnings.pop() {
        app.message = Some((warning, Tone::Error));
    }
    let outcome = crate::tui::run(&mut app);
    // The last draft was sent at quit: let it land before the process ends.
    let flushed = app.flush_writes(Duration::from_secs(5));
    runtime.shutdown_timeout(Duration::from_secs(1));
    match outcome {
        Err(e) => fail(1, &format!("terminal error: {e}")),
        Ok(()) if !flushed => fail(1, "the draft could not be written in time"),
        Ok(()) => 0,
    }
}

/// What the console's editor starts with.
#[derive(Debug, PartialEq)]
pub struct StartText {
    pub text: String,
    /// The file given on the command line, when there was one.
    pub file: Option<OpenFile>,
    /// Problems worth showing in the status line.
    pub warnings: Vec<String>,
}

/// The editor's first text: the file given on the command line (a new, empty one when it does
/// not exist yet), else the draft, else the starter query. Opening a file replaces the draft,
/// so a draft that differs from the file is kept first (Drafts in the sidebar): no text is lost.
/// `Err` (a usage error) when the file exists but cannot be read as text.
pub fn start_text(file: Option<&Path>, store: Option<&Store>) -> Result<StartText, String> {
    let draft = store.and_then(|s| s.load_draft());
    let Some(path) = file else {
        return Ok(StartText {
            text: draft.unwrap_or_else(|| STARTER_QUERY.to_string()),
            file: None,
            warnings: Vec::new(),
        });
    };
    let mut warnings = Vec::new();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            warnings.push(format!("{} is new: Ctrl+S creates it", path.display()));
            String::new()
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    if let (Some(store), Some(draft)) = (store, &draft)
        && draft.trim() != text.trim()
        && let Err(e) = store.keep_draft(draft)
    {
        warnings.push(format!("could not keep the previous draft: {e}"));
    }
    Ok(StartText {
        file: Some(OpenFile::new(path.to_path_buf(), &text)),
        text,
        warnings,
    })
}

fn fail(code: i32, message: &str) -> i32 {
    eprintln!("hunt: {}", sanitize(message).text);
    code
}

fn read_query(query: Option<String>, file: Option<PathBuf>) -> Result<String, String> {
    let text = match (query, file) {
        (Some(_), Some(_)) => {
            return Err("give the query as an argument or with -f, not both".into());
        }
        (Some(query), None) => query,
        (None, Some(path)) => {
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?
        }
        (None, None) => {
            if io::stdin().is_terminal() {
                return Err(
                    "no query: give one as an argument, with -f FILE, or on standard input".into(),
                );
            }
            let mut text = String::new();
            io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("standard input: {e}"))?;
            text
        }
    };
    if text.trim().is_empty() {
        return Err("no query: the text is empty".into());
    }
    Ok(text)
}

/// Prints a result on stdout. On a terminal every format follows the hostile-text rules (no
/// control, escape or direction-changing character reaches it raw); into a pipe or file the
/// values are written exactly.
fn write_result(result: &ResultSet, format: ExportFormat) -> io::Result<()> {
    if format == ExportFormat::Table || !io::stdout().is_terminal() {
        let mut out = io::BufWriter::new(io::stdout());
        export::write(result, format, &mut out)?;
        return out.flush();
    }
    let mut bytes = Vec::new();
    export::write(result, format, &mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut out = io::BufWriter::new(io::stdout().lock());
    for line in text.lines() {
        writeln!(out, "{}", sanitize(line).text)?;
    }
    out.flush()
}

/// The tokio runtime for the worker. Its threads get a large stack: planning and running a
/// query walks expression trees recursively (bounded by `kql::ast::MAX_EXPR_DEPTH`), and
/// DataFusion's own recursion guard needs room to work.
pub fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(WORKER_STACK)
        .enable_all()
        .build()
}

/// 16 MiB: address space, not memory; only what a deep query touches is used.
pub const WORKER_STACK: usize = 16 * 1024 * 1024;

fn run_query(
    text: &str,
    format: OutputFormat,
    timespan: Option<String>,
    scale: u32,
    row_limit: usize,
) -> i32 {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return fail(1, &format!("could not start the runtime: {e}")),
    };
    let engine = match LocalEngine::lab(&LabOptions::ending_now(scale)) {
        Ok(engine) => engine.with_row_limit(row_limit),
        Err(e) => return fail(1, &format!("could not build the lab data: {e}")),
    };
    let request = QueryRequest {
        query: text.to_string(),
        timespan,
    };
    let result = match runtime.block_on(engine.execute(&request)) {
        Ok(result) => result,
        Err(error) => return fail(error.exit_code(), &error.to_string()),
    };
    let format = match format {
        OutputFormat::Table => ExportFormat::Table,
        OutputFormat::Csv => ExportFormat::Csv,
        OutputFormat::Json => ExportFormat::Json,
        OutputFormat::Jsonl => ExportFormat::Jsonl,
    };
    let written = write_result(&result, format);
    if result.facts.truncated {
        eprintln!(
            "hunt: the result was truncated: these are the first {} rows of more (raise --row-limit or narrow the query)",
            result.row_count()
        );
    }
    match written {
        Ok(()) => 0,
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => fail(1, &format!("writing the result: {e}")),
    }
}

fn check(files: &[PathBuf]) -> i32 {
    let catalog = match Catalog::schema_only() {
        Ok(catalog) => catalog,
        Err(e) => return fail(1, &format!("could not build the table catalog: {e}")),
    };
    let engine = LocalEngine::new(catalog, "check");
    let mut inputs = Vec::new();
    if files.is_empty() {
        let mut text = String::new();
        if let Err(e) = io::stdin().read_to_string(&mut text) {
            return fail(2, &format!("standard input: {e}"));
        }
        inputs.push(("-".to_string(), text));
    }
    for path in files {
        match std::fs::read_to_string(path) {
            Ok(text) => inputs.push((path.display().to_string(), text)),
            Err(e) => return fail(2, &format!("{}: {e}", path.display())),
        }
    }
    let mut failed = false;
    for (name, text) in inputs {
        let Err(error) = engine.check(&text) else {
            continue;
        };
        // Valid KQL the local engine cannot run is no error in the query (Defender runs it).
        let note = if error.kind == crate::backend::ErrorKind::Unsupported {
            "warning: "
        } else {
            failed = true;
            ""
        };
        let position = error.position.map(|p| format!("{p}: ")).unwrap_or_default();
        println!(
            "{}:{position}{note}{}",
            sanitize(&name).text,
            sanitize(&error.message).text
        );
    }
    i32::from(failed)
}

fn lab_export(dir: &std::path::Path, format: FileFormat, scale: u32) -> i32 {
    let tables = match crate::engine::lab::generate(&LabOptions::ending_now(scale)) {
        Ok(tables) => tables,
        Err(e) => return fail(1, &format!("could not build the lab data: {e}")),
    };
    let (extension, format) = match format {
        FileFormat::Parquet => ("parquet", ExportFormat::Parquet),
        FileFormat::Jsonl => ("jsonl", ExportFormat::Jsonl),
    };
    let mut total = 0;
    for (name, columns, batch) in tables {
        let facts = RunFacts {
            elapsed: std::time::Duration::ZERO,
            row_count: 0,
            truncated: false,
            backend: "lab".into(),
            window: None,
            warnings: Vec::new(),
        };
        let types = columns.iter().map(|(_, t)| *t).collect();
        let result = match ResultSet::new(batch.schema(), &[batch], types, facts) {
            Ok(result) => Arc::new(result),
            Err(e) => return fail(1, &format!("{name}: {e}")),
        };
        let path = dir.join(format!("{name}.{extension}"));
        if let Err(e) =
            crate::store::write_atomic_with(&path, |file| export::write(&result, format, file))
        {
            return fail(1, &format!("{}: {e}", path.display()));
        }
        total += result.row_count();
    }
    eprintln!("wrote {total} rows to {}", dir.display());
    0
}
