//! Command-line parsing and wiring (CLI.md). Logic lives in the modules; this file only connects
//! them and maps outcomes to exit codes: 0 success, 1 query failed, 2 usage, 3 auth, 4 throttled,
//! 5 network.

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::backend::{Backend, BackendFactory, Progress, QueryError, QueryRequest};
use crate::engine::{Catalog, LabOptions, LocalEngine};
use crate::graph::token::TokenProvider as _;
use crate::graph::{GraphChoices, GraphSettings};
use crate::results::export::{self, ExportFormat};
use crate::results::safe::sanitize;
use crate::results::{ResultSet, RunFacts};
use crate::store::{Config, Paths, Store, bundled_queries};
use crate::tui::app::{App, BackendOption, OpenFile, STARTER_QUERY, Tone};
use crate::tui::theme::Theme;
use crate::worker;

#[derive(Debug, Parser)]
#[command(name = "hunt", version, about = "A terminal console for threat hunting with KQL", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// A .kql file to open in the editor (Ctrl+S writes it back).
    file: Option<PathBuf>,
    /// Size of the lab data set (1 = a small company's month; at most 1000, or 100000 for
    /// `hunt lab export`, which writes it in parts).
    #[arg(long, default_value_t = 1, global = true, value_parser = clap::value_parser!(u32).range(1..=MAX_EXPORT_SCALE))]
    scale: u32,
    /// Pins the lab to a moment (ISO 8601, e.g. 2025-01-31T00:00:00Z): its 30 days end there,
    /// and `now()`, `ago()` and relative time windows count from it. Default: the wall clock.
    #[arg(long = "lab-now", global = true, value_name = "DATETIME", value_parser = parse_lab_now)]
    lab_now: Option<i64>,
    /// The most rows a local query returns (default: `row_limit` in the config file, else
    /// 100000); more are cut and the result is marked truncated.
    #[arg(long, global = true, value_parser = clap::value_parser!(u64).range(1..))]
    row_limit: Option<u64>,
    /// Your own files as tables for the local engine, instead of the lab (repeatable): files or
    /// folders of JSON lines, CSV/TSV or Parquet (.gz/.zst too) and Defender streaming exports.
    /// A file is a table named by the file; a folder inside a given folder, a table named by the
    /// folder; a Defender export, a table named by its category.
    #[arg(long = "data", global = true, value_name = "PATH")]
    data: Vec<PathBuf>,
    /// The memory the local engine's queries may take: 8GiB, 512MiB, 50% (of physical memory).
    /// Aggregations and sorts spill to temporary files past it; other queries fail with a
    /// message. Default: `memory_limit` in the config file, else half of physical memory.
    #[arg(long = "memory-limit", global = true, value_name = "SIZE", value_parser = crate::engine::memory::parse_size)]
    memory_limit: Option<usize>,
    /// With --data: skip rows that cannot be read (counted, and said with the result) instead of
    /// failing the query at the first one.
    #[arg(long = "skip-bad-rows", global = true)]
    skip_bad_rows: bool,
    /// The console's colours: dark (default), light or high-contrast (default: `theme` in the
    /// config file, else dark).
    #[arg(long)]
    theme: Option<String>,
    #[command(flatten)]
    graph: GraphFlags,
}

/// Where queries run and how Graph is reached; each overrides the config file's key.
#[derive(Debug, Clone, Default, clap::Args)]
struct GraphFlags {
    /// Where queries run: lab (the built-in data) or graph (Defender XDR through Microsoft
    /// Graph). Default: `backend` in the config file, else lab.
    #[arg(long, value_enum)]
    backend: Option<BackendChoice>,
    /// Microsoft cloud: global, usgov (GCC High), dod (china has no advanced hunting API).
    #[arg(long)]
    cloud: Option<String>,
    /// Graph base URL instead of the cloud's (https; http only on loopback, e.g. hunt serve).
    #[arg(long)]
    endpoint: Option<String>,
    /// Graph API version: v1.0 (default) or beta.
    #[arg(long)]
    api: Option<String>,
    /// Entra ID tenant (id or domain) to sign in to.
    #[arg(long)]
    tenant: Option<String>,
    /// Application (client) id to sign in with.
    #[arg(long = "client-id")]
    client_id: Option<String>,
    /// Sign-in method: auto, token, client-secret, certificate, device-code, azure-cli.
    #[arg(long)]
    auth: Option<String>,
}

impl GraphFlags {
    /// These flags over `outer`'s (`hunt --cloud usgov run --endpoint …` takes both).
    fn over(self, outer: &GraphFlags) -> GraphFlags {
        let outer = outer.clone();
        GraphFlags {
            backend: self.backend.or(outer.backend),
            cloud: self.cloud.or(outer.cloud),
            endpoint: self.endpoint.or(outer.endpoint),
            api: self.api.or(outer.api),
            tenant: self.tenant.or(outer.tenant),
            client_id: self.client_id.or(outer.client_id),
            auth: self.auth.or(outer.auth),
        }
    }

    fn choices(&self) -> GraphChoices {
        GraphChoices {
            cloud: self.cloud.clone(),
            endpoint: self.endpoint.clone(),
            api: self.api.clone(),
            tenant: self.tenant.clone(),
            client_id: self.client_id.clone(),
            auth: self.auth.clone(),
            authority_host: None,
        }
    }
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
        /// CSV for spreadsheets: values starting with =, +, -, @, TAB or CR get a leading '
        /// so they are not run as formulas (the values then differ; a note says so on
        /// stderr). Implies --format csv.
        #[arg(long = "csv-safe")]
        csv_safe: bool,
        /// ISO 8601 time window, e.g. P7D or 2024-02-01T00:00:00Z/2024-02-15T00:00:00Z.
        #[arg(long)]
        timespan: Option<String>,
        /// A saved result to query again as the table $last: the JSON `hunt run --format
        /// json` prints (Graph's runHuntingQuery answer). Repeatable: the last one given is
        /// $last (= $1), the one before $2, and so on. The query then runs on the local
        /// engine, beside the lab's tables (with --backend graph: the inputs alone, no Graph
        /// call). A file that cannot be read exits 2; one that is not such JSON exits 1.
        #[arg(long = "input", value_name = "FILE.json")]
        input: Vec<PathBuf>,
        #[command(flatten)]
        graph: GraphFlags,
    },
    /// Lint queries: every query of every file (standard input when none), as
    /// FILE:LINE:COL: error|warning: message; exits 1 when any error is found. Syntax errors
    /// are errors; unknown tables, columns and functions are warnings (with a suggestion), errors
    /// where the local engine rejects them too.
    Check {
        /// Files or directories (searched for .kql, .csl, .kusto, .md, .markdown, .yaml, .yml);
        /// `-` is standard input. A .kql file holds queries separated by blank lines (the
        /// editor's layout); Markdown its ```kql / ```kusto fences; YAML its `query:` values.
        files: Vec<PathBuf>,
        /// The tables to check against: the advanced hunting schema (empty tables) or the
        /// lab's tables; with --data, the tables of those files.
        #[arg(long, value_enum, default_value_t = SchemaChoice::AdvancedHunting)]
        schema: SchemaChoice,
    },
    /// Format queries in the house style (one operator per line after `|`, consistent
    /// spacing, comments kept): .kql files in place, or standard input to standard output.
    /// A query with a syntax error is reported as FILE:LINE:COL: error: message and left as it
    /// is (exit 1).
    Fmt {
        /// .kql/.csl/.kusto files (queries separated by blank lines) or directories of them;
        /// none or `-`: standard input to standard output. Markdown and YAML are not formatted.
        files: Vec<PathBuf>,
        /// Change nothing: print FILE: would reformat for each file that is not formatted,
        /// and exit 1 if any.
        #[arg(long)]
        check: bool,
    },
    /// Sign in to Microsoft Graph with a device code (works over SSH: open the URL anywhere).
    Login {
        #[command(flatten)]
        graph: GraphFlags,
    },
    /// Forget the cached sign-in tokens.
    Logout {
        #[command(flatten)]
        graph: GraphFlags,
    },
    /// Show who or what the Graph token belongs to (never the token itself).
    Whoami {
        #[command(flatten)]
        graph: GraphFlags,
    },
    /// Answer Graph's runHuntingQuery contract from the local engine (the lab data, or your
    /// files with --data).
    Serve {
        /// Address to listen on; anything beyond loopback needs --token.
        #[arg(long, default_value = crate::graph::serve::DEFAULT_BIND)]
        bind: String,
        /// The bearer token clients must send (also HUNT_SERVE_TOKEN); none = no check.
        #[arg(long)]
        token: Option<String>,
    },
    /// The built-in lab data set.
    Lab {
        #[command(subcommand)]
        command: LabCommand,
    },
}

/// The largest `--scale` of the in-memory lab: it holds every table whole (scale 50 is about
/// 700 MB).
const MAX_LAB_SCALE: u32 = 1000;
/// The largest `--scale` of `hunt lab export`, which holds only a part of each table at once
/// (`EXPORT_PART_ROWS`); scale 2400 is about 10 million process events.
const MAX_EXPORT_SCALE: i64 = 100_000;
/// The rows of a table `hunt lab export` gathers before writing them out.
const EXPORT_PART_ROWS: usize = 131_072;

#[derive(Debug, Subcommand)]
enum LabCommand {
    /// Write every lab table to DIR, one file per table (DIR/DeviceProcessEvents.parquet, …).
    ///
    /// The tables are generated and written in parts, so memory stays bounded at any --scale
    /// (up to 100000 here; 1000 elsewhere): a file holds exactly the rows of the in-memory lab
    /// of the same --scale and --lab-now, in the same order.
    Export {
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = FileFormat::Parquet)]
        format: FileFormat,
        /// Only these tables (comma-separated names, e.g.
        /// DeviceProcessEvents,DeviceNetworkEvents); default every table.
        #[arg(long, value_delimiter = ',', value_name = "TABLES")]
        tables: Option<Vec<String>>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputFormat {
    Table,
    Csv,
    Json,
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SchemaChoice {
    /// Every advanced hunting table, empty.
    AdvancedHunting,
    /// The lab data set's tables.
    Lab,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FileFormat {
    Parquet,
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendChoice {
    /// The built-in lab data set on the local engine.
    Lab,
    /// Microsoft Defender XDR advanced hunting through Microsoft Graph.
    Graph,
}

impl BackendChoice {
    fn parse(name: &str) -> Result<BackendChoice, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "lab" => Ok(BackendChoice::Lab),
            "graph" => Ok(BackendChoice::Graph),
            other => Err(format!("unknown backend '{other}': use lab or graph")),
        }
    }
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
    let good_config = config.as_ref().and_then(|c| c.as_ref().ok()).cloned();
    // The Graph flags of the subcommand, over those given before it.
    let flags = match &cli.command {
        Some(
            Command::Run { graph, .. }
            | Command::Login { graph }
            | Command::Logout { graph }
            | Command::Whoami { graph },
        ) => graph.clone().over(&cli.graph),
        _ => cli.graph.clone(),
    };
    // Graph flags with the lab as the backend: the console says how to use them.
    let graph_flags_given = flags.choices() != crate::graph::GraphChoices::default();
    let config_choices = good_config
        .as_ref()
        .map(Config::graph_choices)
        .unwrap_or_default();
    let choices = flags.choices().or(config_choices);
    let backend = match flags.backend {
        Some(choice) => Ok(choice),
        None => match good_config.as_ref().and_then(|c| c.backend.as_deref()) {
            Some(name) => {
                BackendChoice::parse(name).map_err(|e| format!("{}: {e}", config_name(&store)))
            }
            None => Ok(BackendChoice::Lab),
        },
    };
    let cache_file = store.as_ref().map(|s| s.paths.token_cache_file());
    let config_label = config_name(&store);
    let graph = move || {
        GraphSettings::resolve(&choices, &env_var, cache_file.clone()).map_err(|message| {
            // Say where a bad value came from when no flag gave it.
            match GraphSettings::resolve(&flags.choices(), &env_var, None) {
                Ok(_) => format!("{config_label}: {message}"),
                Err(_) => message,
            }
        })
    };
    let command = cli.command;
    let memory_limit = match (
        cli.memory_limit,
        good_config.as_ref().and_then(|c| c.memory_limit.as_deref()),
    ) {
        (Some(bytes), _) => Some(bytes),
        (None, Some(text)) => match crate::engine::memory::parse_size(text) {
            Ok(bytes) => Some(bytes),
            Err(message) => {
                return fail(
                    2,
                    &format!("{}: memory_limit: {message}", config_name(&store)),
                );
            }
        },
        (None, None) => None,
    };
    let lab = LabChoice {
        scale: cli.scale,
        now: cli.lab_now,
        data: cli.data,
        skip_bad_rows: cli.skip_bad_rows,
        memory_limit,
    };
    if lab.skip_bad_rows && lab.data.is_empty() {
        return fail(2, "--skip-bad-rows applies to --data files only");
    }
    if lab.scale > MAX_LAB_SCALE && !matches!(command, Some(Command::Lab { .. })) {
        return fail(
            2,
            &format!(
                "--scale: the in-memory lab goes up to {MAX_LAB_SCALE}; larger scales are for \
                 hunt lab export, which writes the lab in parts (then query it with --data)"
            ),
        );
    }
    // A broken config file stops headless commands (a script must not run on half a config);
    // the console opens and says what is wrong.
    if command.is_some()
        && let Some(Err(message)) = &config
    {
        return fail(2, message);
    }
    match command {
        None => {
            let backend = match backend {
                Ok(backend) => backend,
                Err(message) => return fail(2, &message),
            };
            let chosen = match backend {
                BackendChoice::Lab => None,
                BackendChoice::Graph => match graph() {
                    Ok(settings) => Some(settings),
                    Err(message) => return fail(2, &message),
                },
            };
            // The backend picker offers Graph when it is configured and a credential is at hand
            // (HUNT_TOKEN, an app's secret or certificate, a cached sign-in, the Azure CLI).
            let offered = match &chosen {
                Some(settings) => Some(settings.clone()),
                None => graph().ok().filter(signed_in),
            };
            let theme = cli
                .theme
                .or_else(|| good_config.as_ref().and_then(|c| c.theme.clone()));
            let mut notes = Vec::new();
            if chosen.is_none() && graph_flags_given {
                notes.push(
                    "Graph options were given, but the backend is the lab: F7 switches to Graph (or start with --backend graph)"
                        .to_string(),
                );
            }
            console(
                cli.file, lab, row_limit, chosen, offered, store, config, theme, notes,
            )
        }
        Some(Command::Run {
            query,
            file,
            format,
            csv_safe,
            timespan,
            input,
            graph: _,
        }) => {
            let backend = match backend {
                Ok(backend) => backend,
                Err(message) => return fail(2, &message),
            };
            let text = match read_query(query, file) {
                Ok(text) => text,
                Err(message) => return fail(2, &message),
            };
            let format = match (format, csv_safe) {
                (Some(format), _) => format,
                (None, true) => OutputFormat::Csv,
                (None, false) if io::stdout().is_terminal() => OutputFormat::Table,
                (None, false) => OutputFormat::Csv,
            };
            if csv_safe && !matches!(format, OutputFormat::Csv) {
                return fail(2, "--csv-safe applies to --format csv only");
            }
            // A bad window is a usage error, found before any work: the forms are Graph's
            // (`P7D`, `start/end`, `P30D/end`, `start/P30D`, a start), for every backend.
            let now = crate::kql::time::now();
            if let Some(window) = &timespan
                && let Err(message) = crate::engine::time_window::parse_timespan(window, now)
            {
                return fail(2, &format!("--timespan: {message}"));
            }
            let target = match backend {
                BackendChoice::Lab => Target::Lab(lab),
                BackendChoice::Graph if !lab.data.is_empty() => {
                    return fail(
                        2,
                        "--data is for the local engine: use --backend lab (the default) to query your files",
                    );
                }
                BackendChoice::Graph => match graph() {
                    Ok(settings) => Target::Graph(Box::new(settings)),
                    Err(message) => return fail(2, &message),
                },
            };
            run_query(&text, format, csv_safe, timespan, target, row_limit, &input)
        }
        Some(Command::Check { files, schema }) => check(&files, schema, lab),
        Some(Command::Fmt { files, check }) => fmt(&files, check),
        Some(Command::Lab {
            command:
                LabCommand::Export {
                    dir,
                    format,
                    tables,
                },
        }) => lab_export(&dir, format, tables.as_deref(), lab),
        Some(Command::Login { .. }) => match graph() {
            Ok(settings) => login(&settings),
            Err(message) => fail(2, &message),
        },
        Some(Command::Logout { .. }) => match graph() {
            Ok(settings) => logout(&settings),
            Err(message) => fail(2, &message),
        },
        Some(Command::Whoami { .. }) => match graph() {
            Ok(settings) => whoami(&settings),
            Err(message) => fail(2, &message),
        },
        Some(Command::Serve { bind, token }) => {
            let token = token.or_else(|| env_var("HUNT_SERVE_TOKEN"));
            serve(&bind, token, lab, row_limit)
        }
    }
}

/// The process environment, as the Graph settings read it (an empty value counts as unset).
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Where `hunt run` sends its query.
enum Target {
    Lab(LabChoice),
    Graph(Box<GraphSettings>),
}

/// The local data a command builds: the lab (its scale, and the moment it ends: `--lab-now`,
/// Unix nanoseconds; the wall clock when the lab is built otherwise), or the user's files when
/// `--data` names any.
#[derive(Debug, Clone)]
struct LabChoice {
    scale: u32,
    now: Option<i64>,
    data: Vec<PathBuf>,
    skip_bad_rows: bool,
    /// `--memory-limit` or the config file's; the engine's default otherwise.
    memory_limit: Option<usize>,
}

impl LabChoice {
    /// The exit code when [`LabChoice::engine`] fails: files given with `--data` that cannot be
    /// opened are the command's input, a usage error (2); the lab failing to build is 1.
    fn failure_code(&self) -> i32 {
        if self.data.is_empty() { 1 } else { 2 }
    }

    fn options(&self) -> LabOptions {
        let mut options = LabOptions::ending_now(self.scale);
        if let Some(now) = self.now {
            options.end_nanos = now;
        }
        options
    }

    /// The lab engine, or the files' with `--data`; with `--lab-now`, its `now()` (and so
    /// `ago()` and relative windows) too.
    fn engine(&self, progress: &dyn Fn(String)) -> Result<LocalEngine, String> {
        let engine = if self.data.is_empty() {
            LocalEngine::lab_with_progress(&self.options(), progress)
                .map_err(|e| format!("could not build the lab data: {e}"))?
        } else {
            progress("opening your files".to_string());
            let options = crate::engine::files::DataOptions {
                skip_bad_rows: self.skip_bad_rows,
            };
            let (engine, notes) = LocalEngine::files(&self.data, &options)?;
            progress(format!(
                "{} table{} from your files",
                notes.len(),
                if notes.len() == 1 { "" } else { "s" }
            ));
            engine
        };
        let engine = match self.memory_limit {
            Some(bytes) => engine.with_memory_limit(bytes),
            None => engine,
        };
        Ok(match self.now {
            Some(now) => engine.with_fixed_now(now),
            None => engine,
        })
    }
}

/// `--lab-now`: an instant as KQL reads `datetime()` text, in Unix nanoseconds.
fn parse_lab_now(text: &str) -> Result<i64, String> {
    let ticks = crate::kql::time::parse_datetime(text)?;
    crate::kql::time::unix_nanos_from_ticks(ticks)
        .ok_or_else(|| format!("'{text}' is outside the years 1678 to 2261"))
}

/// The console: everything it needs is gathered here (files, config, the worker with the backend
/// starting on it: the lab building, or Graph signing in), then `tui::run` draws until the user
/// quits.
/// Whether Graph could sign in without asking the user (no network is used to find out).
fn signed_in(settings: &GraphSettings) -> bool {
    let Ok(http) = crate::graph::http::http_client(Duration::from_secs(30)) else {
        return false;
    };
    crate::graph::auth::select_provider(&settings.auth, &env_var, http).is_ok()
}

/// What the console calls Graph before it has signed in: its cloud, or the endpoint when it is
/// not the cloud's own (`hunt serve`, a proxy), so a test server never passes for production.
fn graph_label(settings: &GraphSettings) -> String {
    format!(
        "graph · {}",
        crate::graph::cloud::place(settings.cloud, &settings.endpoint)
    )
}

/// The lab as a backend factory (it builds on the worker).
fn lab_factory(lab: LabChoice, row_limit: usize) -> BackendFactory {
    Box::new(move |progress: Progress| {
        lab.engine(&*progress)
            .map(|engine| Arc::new(engine.with_row_limit(row_limit)) as Arc<dyn Backend>)
    })
}

/// Graph as a backend factory: signing in happens on the worker.
fn graph_factory(settings: GraphSettings, handle: tokio::runtime::Handle) -> BackendFactory {
    Box::new(move |progress: Progress| {
        progress("signing in to Microsoft Graph".into());
        // The factory runs on a blocking thread of the worker: waiting here is fine.
        handle
            .block_on(crate::graph::connect(&settings, &env_var, schema_tables()))
            .map(|backend| Arc::new(backend) as Arc<dyn Backend>)
            .map_err(|e| e.message)
    })
}

#[allow(clippy::too_many_arguments)]
fn console(
    file: Option<PathBuf>,
    lab: LabChoice,
    row_limit: usize,
    graph: Option<GraphSettings>,
    offered: Option<GraphSettings>,
    store: Option<Arc<Store>>,
    config: Option<Result<Config, String>>,
    theme: Option<String>,
    notes: Vec<String>,
) -> i32 {
    let start = match start_text(file.as_deref(), store.as_deref()) {
        Ok(start) => start,
        Err(message) => return fail(2, &message),
    };
    let mut warnings = start.warnings;
    warnings.extend(notes);
    let history_size = match &config {
        Some(Ok(config)) => config.history_size,
        _ => None,
    }
    .unwrap_or(crate::store::DEFAULT_HISTORY_SIZE);
    // The store as the worker writes through it: the history bounded as configured.
    let store =
        store.map(|s| Arc::new(Store::new(s.paths.clone()).with_history_size(history_size)));
    let mut queries = bundled_queries();
    if let Some(store) = &store {
        queries.extend(store.listed_queries());
    }
    if let Some(Err(message)) = &config {
        warnings.push(format!(
            "{message} (the console opened with the default settings)"
        ));
    }
    let config_for_console = config;
    let store_for_names = store.clone();
    // An unknown theme name is said in the status line; the console opens with the default.
    let (theme, theme_warning) = Theme::for_terminal(theme.as_deref());
    warnings.extend(theme_warning);
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return fail(1, &format!("could not start the worker runtime: {e}")),
    };
    let local_label = if lab.data.is_empty() { "lab" } else { "files" };
    let (factory, label): (BackendFactory, String) = match graph {
        None => (lab_factory(lab.clone(), row_limit), local_label.into()),
        Some(settings) => {
            let label = graph_label(&settings);
            (graph_factory(settings, runtime.handle().clone()), label)
        }
    };
    let mut backends = vec![BackendOption {
        label: local_label.into(),
        make: Arc::new(move || lab_factory(lab.clone(), row_limit)),
    }];
    if let Some(settings) = offered {
        let handle = runtime.handle().clone();
        backends.push(BackendOption {
            label: graph_label(&settings),
            make: Arc::new(move || graph_factory(settings.clone(), handle.clone())),
        });
    }
    let handle = worker::spawn_starting(runtime.handle(), factory, store);
    // The user's files have no default window: every row counts until one is chosen (F6).
    let unwindowed = if local_label == "files" && label == "files" {
        "no time window"
    } else {
        "last 30d"
    };
    let mut app = App::new(handle, queries, &start.text, &label, unwindowed, theme);
    app.sidebar.history_size = history_size;
    app.backends = backends;
    if let Some(store) = &store_for_names {
        app.restore_tabs(store.tab_drafts());
    }
    if let Some(Ok(config)) = &config_for_console {
        if let Some(window) = &config.window
            && let Err(e) = app.set_window(Some(window.clone()))
        {
            warnings.push(format!("{}: window: {e}", config_name(&store_for_names)));
        }
        if let Some(keys) = &config.keys {
            match crate::tui::keymap::KeyMap::from_table(keys) {
                Ok(keymap) => app.keymap = keymap,
                Err(e) => warnings.push(format!("{}: {e}", config_name(&store_for_names))),
            }
        }
    }
    match start.file {
        Some(file) => app.open_file(file),
        // The built-in starter query needs no keeping when it is replaced unchanged.
        None if start.text == STARTER_QUERY => app.mark_stored(),
        None => {}
    }
    if !warnings.is_empty() {
        // One to a line: the status line shows the first, F2 all of them.
        app.message = Some((warnings.join("\n"), Tone::Error));
    }
    // A dropped SSH session (SIGHUP) or a polite kill (SIGTERM) ends the console as Ctrl+Q
    // does, so the drafts of the last second are written too.
    runtime.spawn(async {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut hangup), Ok(mut terminate)) = (
            signal(SignalKind::hangup()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        tokio::select! {
            _ = hangup.recv() => {}
            _ = terminate.recv() => {}
        }
        crate::tui::request_quit();
    });
    let outcome = crate::tui::run(&mut app);
    // The last draft was sent at quit: let it land before the process ends.
    let flushed = app.flush_writes(Duration::from_secs(5));
    // Every write has landed (flushed above): nothing on the worker is worth waiting for.
    runtime.shutdown_background();
    match outcome {
        Err(e) => fail(1, &format!("terminal error: {e}")),
        Ok(()) if !flushed => fail(1, "the draft could not be written in time"),
        Ok(()) => 0,
    }
}

/// The advanced hunting schema's tables, for completion against Graph.
fn schema_tables() -> Vec<crate::backend::TableInfo> {
    Catalog::schema_only()
        .map(|catalog| catalog.table_infos())
        .unwrap_or_default()
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

/// Prints `hunt: message` on stderr and returns `code`. Each line of the message is made safe
/// on its own, so hunt's own several-line messages keep their line breaks while a service's text
/// still cannot reach the terminal raw.
fn fail(code: i32, message: &str) -> i32 {
    let lines: Vec<String> = message.lines().map(|l| sanitize(l).text).collect();
    eprintln!("hunt: {}", lines.join("\n"));
    code
}

/// How messages name the config file: its path when known.
fn config_name(store: &Option<Arc<Store>>) -> String {
    match store {
        Some(store) => format!("{} (config file)", store.paths.config_file.display()),
        None => "config file".to_string(),
    }
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
/// `csv_safe` writes spreadsheet-safe CSV (`export::write_csv_with`).
fn write_result(result: &ResultSet, format: ExportFormat, csv_safe: bool) -> io::Result<()> {
    let write = |out: &mut (dyn Write + Send)| match format {
        ExportFormat::Csv if csv_safe => export::write_csv_with(result, out, true),
        _ => export::write(result, format, out),
    };
    if format == ExportFormat::Table || !io::stdout().is_terminal() {
        let mut out = io::BufWriter::new(io::stdout());
        write(&mut out)?;
        return out.flush();
    }
    let mut bytes = Vec::new();
    write(&mut bytes)?;
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
    csv_safe: bool,
    timespan: Option<String>,
    target: Target,
    row_limit: usize,
    inputs: &[PathBuf],
) -> i32 {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return fail(1, &format!("could not start the runtime: {e}")),
    };
    let request = QueryRequest {
        query: text.to_string(),
        timespan,
    };
    let outcome: Result<ResultSet, QueryError> = if !inputs.is_empty()
        || crate::kql::earlier::names_results(text)
    {
        match run_on_inputs(&runtime, &request, inputs, target, row_limit) {
            Ok(outcome) => outcome,
            Err((code, message)) => return fail(code, &message),
        }
    } else {
        match target {
            Target::Lab(lab) => match lab.engine(&|_| {}) {
                Ok(engine) => runtime.block_on(engine.with_row_limit(row_limit).execute(&request)),
                Err(message) => return fail(lab.failure_code(), &message),
            },
            Target::Graph(settings) => runtime.block_on(async {
                let backend = crate::graph::connect(&settings, &env_var, Vec::new()).await?;
                backend
                    .run(request, tokio_util::sync::CancellationToken::new())
                    .await
            }),
        }
    };
    let result = match outcome {
        Ok(result) => result,
        Err(error) => return fail(error.exit_code(), &error.to_string()),
    };
    for warning in &result.facts.warnings {
        eprintln!("hunt: warning: {}", sanitize(warning).text);
    }
    let format = match format {
        OutputFormat::Table => ExportFormat::Table,
        OutputFormat::Csv => ExportFormat::Csv,
        OutputFormat::Json => ExportFormat::Json,
        OutputFormat::Jsonl => ExportFormat::Jsonl,
    };
    let written = write_result(&result, format, csv_safe);
    if csv_safe {
        eprintln!(
            "hunt: spreadsheet-safe CSV: values starting with =, +, -, @, TAB or CR were written \
             with a leading ' (they differ from the data; omit --csv-safe for exact values)"
        );
    }
    if result.facts.truncated {
        let advice = if result.facts.backend.starts_with("graph") {
            "Graph returns at most 100,000 rows: narrow the query or the time range"
        } else {
            "raise --row-limit or narrow the query"
        };
        eprintln!(
            "hunt: the result was truncated: these are the first {} rows of more ({advice})",
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

/// The label of a result read with `--input` (`$last (input result, 12 rows)`).
const INPUT_LABEL: &str = "input";

/// `hunt run --input FILE.json …`, or a query that names an earlier result: the saved results
/// (oldest first as given, so the last is `$last`) run on the local engine, beside the lab's
/// tables when the target is the lab, alone for Graph (no call is made). `Err` is an exit code
/// and message for a file that cannot be read (2) or is not a saved result (1), or a lab that
/// cannot be built (1).
fn run_on_inputs(
    runtime: &tokio::runtime::Runtime,
    request: &QueryRequest,
    inputs: &[PathBuf],
    target: Target,
    row_limit: usize,
) -> Result<Result<ResultSet, QueryError>, (i32, String)> {
    let mut history = crate::results::history::ResultHistory::new();
    if inputs.len() > crate::results::history::KEPT_RESULTS {
        return Err((
            2,
            format!(
                "--input: at most {} files ($1 … ${})",
                crate::results::history::KEPT_RESULTS,
                crate::results::history::KEPT_RESULTS
            ),
        ));
    }
    for path in inputs {
        let result = read_saved_result(path)?;
        for warning in &result.facts.warnings {
            eprintln!(
                "hunt: warning: {}: {}",
                sanitize(&path.display().to_string()).text,
                sanitize(warning).text
            );
        }
        history.push(Arc::new(result));
    }
    let base = match target {
        Target::Lab(lab) => Some(
            lab.engine(&|_| {})
                .map_err(|message| (lab.failure_code(), message))?
                .with_row_limit(row_limit),
        ),
        Target::Graph(_) => None,
    };
    let context = "hunt run has one per --input FILE.json; the last given is $last";
    Ok(runtime.block_on(crate::engine::earlier::run_on_results(
        base.as_ref(),
        &history,
        request,
        context,
    )))
}

/// One `--input` file as a result: read whole, then decoded by the Graph decoder (which reads
/// the bytes in one pass, never as a `serde_json::Value` tree). Errors name the file: (2, …)
/// when it cannot be read, (1, …) when it is not a saved result (not JSON, cut short, no
/// `schema` or `results` list).
fn read_saved_result(path: &Path) -> Result<ResultSet, (i32, String)> {
    let name = path.display().to_string();
    let body = std::fs::read(path).map_err(|e| (2, format!("--input {name}: {e}")))?;
    crate::graph::decode::decode_results(&body, INPUT_LABEL).map_err(|e| {
        let place = if e.line == 0 {
            String::new()
        } else {
            format!(" (line {}, column {})", e.line, e.column)
        };
        (
            1,
            format!(
                "--input {name}: not a saved result (the JSON hunt run --format json prints){place}: {}",
                e.message
            ),
        )
    })
}

/// `hunt login`: the device-code flow. The code and URL go to stderr, so they show over SSH
/// even when stdout is redirected; the tokens go to the cache file (0600).
fn login(settings: &GraphSettings) -> i32 {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return fail(1, &format!("could not start the runtime: {e}")),
    };
    let http = match crate::graph::http::http_client(crate::graph::SIGN_IN_TIMEOUT) {
        Ok(http) => http,
        Err(message) => return fail(5, &message),
    };
    let show = |message: &str| eprintln!("{}", sanitize(message).text);
    let outcome = runtime.block_on(crate::graph::auth::device_code_login(
        &settings.auth,
        http,
        &show,
        tokio::time::sleep,
    ));
    match outcome {
        Ok(outcome) => {
            let who = outcome.account.unwrap_or_else(|| "signed in".into());
            let tenant = outcome
                .tenant
                .map(|t| format!(" (tenant {t})"))
                .unwrap_or_default();
            eprintln!(
                "{}{tenant}: tokens cached for `hunt --backend graph`",
                sanitize(&who).text
            );
            0
        }
        Err(error) => fail(error.exit_code(), &error.message),
    }
}

/// `hunt logout`: forgets the cached device-code sign-in.
fn logout(settings: &GraphSettings) -> i32 {
    let Some(cache) = &settings.auth.cache_file else {
        return fail(
            1,
            "no cache folder is known on this system: nothing to forget",
        );
    };
    match crate::graph::auth::logout(cache) {
        Ok(true) => {
            eprintln!("signed out: the cached tokens are gone");
            0
        }
        Ok(false) => {
            eprintln!("no cached sign-in to forget");
            0
        }
        Err(e) => fail(1, &format!("{}: {e}", cache.display())),
    }
}

/// `hunt whoami`: what the token says about itself (tenant, user or app, audience, permissions,
/// expiry), read from its claims. The token itself is never printed.
fn whoami(settings: &GraphSettings) -> i32 {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return fail(1, &format!("could not start the runtime: {e}")),
    };
    // A token given in HUNT_TOKEN is read as it is, expired or not: whoami explains tokens.
    let given = env_var(crate::graph::auth::HUNT_TOKEN).filter(|_| {
        matches!(
            settings.auth.method,
            None | Some(crate::graph::auth::AuthMethod::Token)
        )
    });
    let outcome = runtime.block_on(async {
        if let Some(token) = given {
            let provider =
                crate::graph::auth::StaticToken::new(crate::graph::token::Secret::new(token));
            return Ok((provider.describe(), provider.given().clone()));
        }
        let http = crate::graph::http::http_client(crate::graph::SIGN_IN_TIMEOUT)
            .map_err(crate::graph::token::AuthError::unreachable)?;
        let provider = crate::graph::auth::select_provider(&settings.auth, &env_var, http)?;
        let token = provider.token(false).await?;
        Ok::<_, crate::graph::token::AuthError>((provider.describe(), token))
    });
    let (provider, token) = match outcome {
        Ok(found) => found,
        Err(error) => return fail(error.exit_code(), &error.message),
    };
    for (key, value) in whoami_lines(&provider, settings, &token) {
        println!("{key:<9} {}", sanitize(&value).text);
    }
    0
}

/// The lines `hunt whoami` prints, as (label, value).
fn whoami_lines(
    provider: &str,
    settings: &GraphSettings,
    token: &crate::graph::token::AccessToken,
) -> Vec<(&'static str, String)> {
    let mut lines = vec![
        ("sign-in", provider.to_string()),
        ("cloud", settings.cloud.to_string()),
    ];
    let Some(claims) = crate::graph::token::claims(token.secret.expose()) else {
        lines.push(("token", "not a JWT: its claims cannot be shown".into()));
        return lines;
    };
    let none = || "-".to_string();
    lines.push(("tenant", claims.tenant.clone().unwrap_or_else(none)));
    match (&claims.user, &claims.app) {
        (Some(user), app) => {
            lines.push(("user", user.clone()));
            lines.push(("app", app.clone().unwrap_or_else(none)));
        }
        (None, app) => lines.push((
            "app",
            format!(
                "{}{}",
                app.clone().unwrap_or_else(none),
                claims
                    .app_id
                    .as_ref()
                    .filter(|id| Some(*id) != app.as_ref())
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default()
            ),
        )),
    }
    let audience = claims.audience.clone().unwrap_or_else(none);
    lines.push((
        "audience",
        if claims.is_for_graph() {
            audience
        } else {
            format!("{audience} (NOT Microsoft Graph: runHuntingQuery will refuse this token)")
        },
    ));
    lines.push(("scopes", join_or_dash(&claims.scopes)));
    lines.push(("roles", join_or_dash(&claims.roles)));
    let hunting = if claims.has_hunting_permission() {
        "yes (ThreatHunting.Read.All)".to_string()
    } else {
        "NO: ThreatHunting.Read.All is missing, runHuntingQuery will answer 403".to_string()
    };
    lines.push(("hunting", hunting));
    let expires = match claims.expires_at.or(token.expires_at) {
        Some(at) => describe_expiry(at),
        None => none(),
    };
    lines.push(("expires", expires));
    lines
}

fn join_or_dash(items: &[String]) -> String {
    if items.is_empty() {
        "-".into()
    } else {
        items.join(" ")
    }
}

fn describe_expiry(at: std::time::SystemTime) -> String {
    let text = crate::graph::token::format_instant(at).unwrap_or_default();
    match at.duration_since(std::time::SystemTime::now()) {
        Ok(left) => format!("{text} (in {} min)", left.as_secs() / 60),
        Err(_) => format!("{text} (expired)"),
    }
}

/// `hunt serve`: the lab engine behind Graph's contract until the process is stopped.
fn serve(bind: &str, token: Option<String>, lab: LabChoice, row_limit: usize) -> i32 {
    // `localhost:7878` as well as `127.0.0.1:7878`: names resolve (the first address is used).
    let resolved = std::net::ToSocketAddrs::to_socket_addrs(bind)
        .ok()
        .and_then(|mut a| a.next());
    let Some(addr) = resolved else {
        return fail(
            2,
            &format!("--bind '{bind}': expected ADDRESS:PORT, e.g. 127.0.0.1:7878"),
        );
    };
    let token = token.map(crate::graph::token::Secret::new);
    if let Err(message) = crate::graph::serve::check_bind(&addr, token.as_ref()) {
        return fail(2, &message);
    }
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return fail(1, &format!("could not start the runtime: {e}")),
    };
    let engine = match lab.engine(&|_| {}) {
        Ok(engine) => engine.with_row_limit(row_limit),
        Err(message) => return fail(lab.failure_code(), &message),
    };
    let listener = match runtime.block_on(tokio::net::TcpListener::bind(addr)) {
        Ok(listener) => listener,
        Err(e) => return fail(1, &format!("cannot listen on {addr}: {e}")),
    };
    let bound = listener.local_addr().unwrap_or(addr);
    let local = bound.to_string();
    let data = if lab.data.is_empty() {
        format!("the lab data (scale {})", lab.scale)
    } else {
        match engine.catalog().names().count() {
            1 => "1 table of your files".to_string(),
            n => format!("{n} tables of your files"),
        }
    };
    eprintln!(
        "hunt serve: {data} on http://{local}/v1.0/security/runHuntingQuery; {}",
        if token.is_some() {
            "clients must send the bearer token"
        } else {
            "no token checked (loopback only)"
        }
    );
    // The client sends http only to loopback: suggest the loopback address for a wildcard bind.
    let reach = if addr.ip().is_unspecified() {
        format!("127.0.0.1:{}", bound.port())
    } else {
        local.clone()
    };
    let token_hint = if token.is_some() {
        "<the token>"
    } else {
        "any"
    };
    eprintln!("  try: HUNT_TOKEN={token_hint} hunt --backend graph --endpoint http://{reach}");
    // The server outlives its terminal (nohup, a closed pipe): a log line that cannot be written
    // is dropped, never a panic in the request's task.
    let log: Box<dyn Fn(String) + Send + Sync> = Box::new(|line| {
        let _ = writeln!(io::stderr(), "{}", sanitize(&line).text);
    });
    let served = runtime.block_on(crate::graph::serve::serve(
        listener,
        Arc::new(engine),
        token,
        log,
        tokio_util::sync::CancellationToken::new(),
    ));
    match served {
        Ok(()) => 0,
        Err(e) => fail(1, &format!("serve stopped: {e}")),
    }
}

/// `hunt check`: every query of every file, linted like a CI linter would (eslint, ruff): each
/// problem on stdout as `FILE:LINE:COL: severity: message`, positions in the file. A file that
/// cannot be read is reported on stderr and the others are still checked; the exit code is 2
/// then, else 1 when any error was found, else 0 (warnings alone pass).
fn check(files: &[PathBuf], schema: SchemaChoice, lab: LabChoice) -> i32 {
    // `--data` names the tables the queries will run on: check against those.
    let schema = if lab.data.is_empty() {
        schema
    } else {
        SchemaChoice::Lab
    };
    let engine = match schema {
        SchemaChoice::AdvancedHunting => match Catalog::schema_only() {
            Ok(catalog) => LocalEngine::new(catalog, "check"),
            Err(e) => return fail(1, &format!("could not build the table catalog: {e}")),
        },
        SchemaChoice::Lab => match lab.engine(&|_| {}) {
            Ok(engine) => engine,
            Err(message) => return fail(lab.failure_code(), &message),
        },
    };
    // The analysis checks names against the same tables the engine has.
    let tables: Vec<_> = engine
        .catalog()
        .table_infos()
        .into_iter()
        .map(crate::backend::TableInfo::schema_table)
        .collect();
    let schema = crate::kql::analysis::Schema::new(&tables);
    let mut unreadable = false;
    let mut failed = false;
    let mut inputs = Vec::new();
    if files.is_empty() {
        inputs.push(PathBuf::from("-"));
    }
    for path in files {
        unreadable |= !collect_check_files(path, &mut inputs);
    }
    let mut out = io::stdout().lock();
    for path in inputs {
        let name = path.display().to_string();
        let text = match read_input(&path) {
            Ok(text) => text,
            Err(message) => {
                unreadable = true;
                fail(2, &message);
                continue;
            }
        };
        let kind = crate::kql::sources::SourceKind::from_path(&name);
        for query in crate::kql::sources::queries(kind, &text) {
            for finding in findings(&engine, &schema, &query) {
                failed |= finding.severity == Severity::Error;
                let written = writeln!(
                    out,
                    "{}:{}:{}: {}: {}",
                    sanitize(&name).text,
                    finding.line,
                    finding.col,
                    finding.severity.label(),
                    sanitize(&finding.message).text
                );
                // A closed pipe (`| head`) ends the output, not the verdict.
                if let Err(e) = written
                    && e.kind() != io::ErrorKind::BrokenPipe
                {
                    return fail(2, &format!("writing the findings: {e}"));
                }
            }
        }
    }
    if unreadable { 2 } else { i32::from(failed) }
}

/// `hunt fmt`: formats each file (or standard input) block by block, see
/// `kql::format::format_kql_file`. Exit 0 when everything is (now) formatted, 1 when a query has
/// a syntax error or, with `--check`, a file would change, 2 when a file cannot be read or
/// written or is not a .kql file.
fn fmt(files: &[PathBuf], check: bool) -> i32 {
    let mut inputs = Vec::new();
    let mut trouble = false;
    if files.is_empty() {
        inputs.push(PathBuf::from("-"));
    }
    for path in files {
        if path.as_os_str() != "-" && path.is_dir() {
            let mut found = Vec::new();
            trouble |= !collect_check_files(path, &mut found);
            inputs.extend(found.into_iter().filter(|p| {
                crate::kql::sources::SourceKind::from_path(&p.to_string_lossy())
                    == crate::kql::sources::SourceKind::Kql
            }));
        } else {
            inputs.push(path.clone());
        }
    }
    let mut failed = false;
    for path in inputs {
        let name = path.display().to_string();
        let stdin = name == "-";
        if !stdin
            && crate::kql::sources::SourceKind::from_path(&name)
                != crate::kql::sources::SourceKind::Kql
        {
            trouble = true;
            fail(
                2,
                &format!(
                    "{name}: hunt fmt formats .kql files only; the queries of Markdown and YAML files are left as they are"
                ),
            );
            continue;
        }
        let text = match read_input(&path) {
            Ok(text) => text,
            Err(message) => {
                trouble = true;
                fail(2, &message);
                continue;
            }
        };
        let formatted = match crate::kql::format::format_kql_file(&text) {
            Ok(formatted) if text.contains("\r\n") => formatted.replace('\n', "\r\n"),
            Ok(formatted) => formatted,
            Err(crate::kql::format::FormatError::Syntax {
                position,
                diagnostic,
            }) => {
                failed = true;
                eprintln!(
                    "{}:{}:{}: error: {}",
                    sanitize(&name).text,
                    position.line,
                    position.col,
                    sanitize(&diagnostic.message).text
                );
                if stdin && !check {
                    // Standard output still gets the text, unchanged.
                    print!("{text}");
                }
                continue;
            }
            Err(e) => {
                failed = true;
                eprintln!(
                    "{}: error: {}",
                    sanitize(&name).text,
                    sanitize(&e.to_string()).text
                );
                if stdin && !check {
                    print!("{text}");
                }
                continue;
            }
        };
        if check {
            if formatted != text {
                failed = true;
                println!("{}: would reformat", sanitize(&name).text);
            }
        } else if stdin {
            print!("{formatted}");
        } else if formatted != text
            && let Err(e) = write_atomically(&path, &formatted)
        {
            trouble = true;
            fail(2, &format!("{name}: {e}"));
        }
    }
    if trouble { 2 } else { i32::from(failed) }
}

/// Replaces a file's contents by writing a temporary file beside it (with the file's
/// permissions) and renaming it over the file, so the file is never half written.
fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let permissions = std::fs::metadata(path)?.permissions();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map_or_else(|| "query".to_string(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{file_name}.hunt-fmt-{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::set_permissions(&temp, permissions)?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// `path` itself, or the query files under it when it is a directory (sorted; hidden entries
/// such as `.git` and symbolic links to directories are passed over). A folder that cannot be
/// read is reported here; returns whether every one could be.
fn collect_check_files(path: &Path, into: &mut Vec<PathBuf>) -> bool {
    if path.as_os_str() == "-" || !path.is_dir() {
        into.push(path.to_path_buf());
        return true;
    }
    let entries = std::fs::read_dir(path).and_then(|entries| entries.collect::<Result<_, _>>());
    let mut entries: Vec<std::fs::DirEntry> = match entries {
        Ok(entries) => entries,
        Err(e) => {
            fail(2, &format!("{}: {e}", path.display()));
            return false;
        }
    };
    entries.sort_by_key(std::fs::DirEntry::file_name);
    let mut all_read = true;
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        if file_type.is_dir() {
            all_read &= collect_check_files(&entry.path(), into);
        } else if crate::kql::sources::SourceKind::is_query_file(&name) && !entry.path().is_dir() {
            into.push(entry.path());
        }
    }
    all_read
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Severity {
    Error,
    Warning,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem in a file: where (1-based, the file's line and character column), how bad, what.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Finding {
    line: usize,
    col: usize,
    severity: Severity,
    message: String,
}

/// The text of a `hunt check`/`hunt fmt` input: a file, or standard input for `-`; the error
/// names which.
fn read_input(path: &std::path::Path) -> Result<String, String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        return io::stdin()
            .read_to_string(&mut text)
            .map(|_| text)
            .map_err(|e| format!("standard input: {e}"));
    }
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The problems of one query, positioned in its file, in order: every syntax error of the
/// syntax tree (errors); the analysis' unknown tables, columns and functions (warnings); and,
/// when the syntax is clean, the local engine's verdict as before (an error, or a warning when
/// the engine merely lacks a feature Defender has). When the engine reports an error where the
/// analysis already warned the same, one finding remains: the engine's severity with the
/// analysis' message (which may add a suggestion).
fn findings(
    engine: &LocalEngine,
    schema: &crate::kql::analysis::Schema,
    query: &crate::kql::sources::QueryText,
) -> Vec<Finding> {
    let text = &query.text;
    let parse = crate::kql::syntax::parse(text);
    let at = |offset: usize| query.file_position(crate::kql::line_col(text, offset));
    let mut out: Vec<(usize, Finding)> = Vec::new();
    for error in &parse.errors {
        let position = at(error.span.start);
        out.push((
            error.span.start,
            Finding {
                line: position.line,
                col: position.col,
                severity: Severity::Error,
                message: error.message.clone(),
            },
        ));
    }
    for finding in crate::kql::analysis::analyse(&parse.syntax(), schema) {
        let position = at(finding.span.start);
        // The analysis reports a column only where every column flowing in is known: Defender
        // would refuse the query, whatever the local engine could run. A table may be one the
        // shipped schema lags behind (a beta table) and stays a warning.
        let severity = match finding.severity {
            crate::kql::analysis::Severity::Error => Severity::Error,
            _ if finding.message.starts_with("unknown column") => Severity::Error,
            crate::kql::analysis::Severity::Warning => Severity::Warning,
        };
        out.push((
            finding.span.start,
            Finding {
                line: position.line,
                col: position.col,
                severity,
                message: finding.message,
            },
        ));
    }
    // An earlier result (`$last`) exists only in the console and `hunt run --input`: the
    // analysis has said so, and the engine cannot know its columns here.
    if parse.errors.is_empty()
        && !crate::kql::earlier::names_results(text)
        && let Err(error) = engine.check(text)
    {
        // Valid KQL the local engine cannot run is no error in the query (Defender runs it).
        let severity = if error.kind == crate::backend::ErrorKind::Unsupported {
            Severity::Warning
        } else {
            Severity::Error
        };
        let position = error
            .position
            .unwrap_or(crate::kql::LineCol { line: 1, col: 1 });
        let offset = offset_of(text, position);
        let position = query.file_position(position);
        // The same verdict as the analysis' (`unknown column 'X'`): one finding, the engine's
        // severity with the analysis' suggestion.
        // (Their suggestions are worded apart — `; did you mean` and `(column names are
        // case-sensitive: …)` — so the verdicts are compared without them.)
        let verdict = |message: &str| {
            message
                .split([';', '('])
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let same = out.iter_mut().find(|(start, finding)| {
            *start == offset && verdict(&finding.message) == verdict(&error.message)
        });
        if let Some((_, finding)) = same {
            finding.severity = severity;
            return sorted(out);
        }
        out.push((
            offset,
            Finding {
                line: position.line,
                col: position.col,
                severity,
                message: error.message,
            },
        ));
    }
    sorted(out)
}

fn sorted(mut findings: Vec<(usize, Finding)>) -> Vec<Finding> {
    findings.sort_by_key(|(start, _)| *start);
    findings.into_iter().map(|(_, finding)| finding).collect()
}

/// The byte offset of a 1-based line and character column in `text` (clamped to its end).
fn offset_of(text: &str, position: crate::kql::LineCol) -> usize {
    let mut line_start = 0;
    for _ in 1..position.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    text[line_start..]
        .char_indices()
        .nth(position.col.saturating_sub(1))
        .map_or(text.len(), |(i, _)| line_start + i)
}

/// `hunt lab export`: the lab's tables (or `only` these) generated in parts
/// (`lab::generate_in_parts`) and written part by part, each to a temporary file beside its
/// own name, renamed when the table is complete; on an error no partial file is left.
fn lab_export(
    dir: &std::path::Path,
    format: FileFormat,
    only: Option<&[String]>,
    lab: LabChoice,
) -> i32 {
    if let Some(only) = only {
        let known = crate::engine::lab::lab_tables();
        if let Some(unknown) = only
            .iter()
            .find(|name| !known.iter().any(|(n, _)| n == *name))
        {
            return fail(
                2,
                &format!(
                    "--tables: '{unknown}' is no lab table (hunt lab export writes them all without --tables)"
                ),
            );
        }
    }
    if let Err(e) = std::fs::create_dir_all(dir) {
        return fail(1, &format!("{}: {e}", dir.display()));
    }
    let mut files: std::collections::BTreeMap<String, ExportFile> = Default::default();
    let interactive = io::stderr().is_terminal();
    let progress = |message: String| {
        if interactive {
            eprint!("\r{message}\x1b[K");
        }
    };
    let generated = crate::engine::lab::generate_in_parts(
        &lab.options(),
        only,
        EXPORT_PART_ROWS,
        &mut |name, columns, batch| {
            let facts = RunFacts {
                elapsed: std::time::Duration::ZERO,
                row_count: 0,
                truncated: false,
                backend: "lab".into(),
                window: None,
                warnings: Vec::new(),
                ran_on: None,
            };
            let types = columns.iter().map(|(_, t)| *t).collect();
            let part = ResultSet::new(batch.schema(), &[batch], types, facts)
                .map_err(|e| format!("{name}: {e}"))?;
            match files.get_mut(name) {
                Some(file) => file.write(&part),
                None => {
                    let file = ExportFile::create(dir, name, format, &part)?;
                    files.insert(name.to_string(), file);
                    Ok(())
                }
            }
        },
        &progress,
    );
    if interactive {
        eprint!("\r\x1b[K");
    }
    let mut total = 0;
    let mut outcome = generated;
    let mut open = files.into_values();
    if outcome.is_ok() {
        for file in open.by_ref() {
            total += file.rows;
            if let Err(e) = file.finish() {
                outcome = Err(e);
                break;
            }
        }
    }
    for file in open {
        file.abandon();
    }
    match outcome {
        Ok(()) => {
            eprintln!("wrote {total} rows to {}", dir.display());
            0
        }
        Err(message) => fail(1, &message),
    }
}

/// One table of `hunt lab export` being written, under a temporary name until it is complete.
struct ExportFile {
    path: PathBuf,
    temp: PathBuf,
    out: ExportOut,
    rows: usize,
}

enum ExportOut {
    // Boxed: the Parquet writer is far larger than a buffered file.
    Parquet(Box<export::ParquetParts<io::BufWriter<std::fs::File>>>),
    Jsonl(io::BufWriter<std::fs::File>),
}

impl ExportFile {
    /// Starts `DIR/NAME.parquet` (or `.jsonl`) with the table's first part.
    fn create(
        dir: &Path,
        name: &str,
        format: FileFormat,
        first: &ResultSet,
    ) -> Result<ExportFile, String> {
        let extension = match format {
            FileFormat::Parquet => "parquet",
            FileFormat::Jsonl => "jsonl",
        };
        let path = dir.join(format!("{name}.{extension}"));
        let temp = dir.join(format!(
            ".{name}.{extension}.{}.partial",
            std::process::id()
        ));
        let failed = |e: io::Error| format!("{}: {e}", path.display());
        let file = std::fs::File::create(&temp).map_err(failed)?;
        let out = io::BufWriter::new(file);
        let started = match format {
            FileFormat::Parquet => export::ParquetParts::new(out, first)
                .map(|parts| ExportOut::Parquet(Box::new(parts))),
            FileFormat::Jsonl => {
                let mut out = out;
                export::write_jsonl(first, &mut out).map(|()| ExportOut::Jsonl(out))
            }
        };
        match started {
            Ok(out) => Ok(ExportFile {
                path,
                temp,
                out,
                rows: first.row_count(),
            }),
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                Err(failed(e))
            }
        }
    }

    fn write(&mut self, part: &ResultSet) -> Result<(), String> {
        let written = match &mut self.out {
            ExportOut::Parquet(parts) => parts.write(part),
            ExportOut::Jsonl(out) => export::write_jsonl(part, out),
        };
        self.rows += part.row_count();
        written.map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// Ends the file, syncs it and gives it its name.
    fn finish(self) -> Result<(), String> {
        let (path, temp) = (self.path, self.temp);
        let done = (|| {
            let out = match self.out {
                ExportOut::Parquet(parts) => parts.finish()?,
                ExportOut::Jsonl(out) => out,
            };
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&temp, &path)
        })();
        done.map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            format!("{}: {e}", path.display())
        })
    }

    /// Drops an unfinished file (another table failed).
    fn abandon(self) {
        drop(self.out);
        let _ = std::fs::remove_file(&self.temp);
    }
}
