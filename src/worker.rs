//! The async task runner between the UI and the backends. The UI sends `Command`s and polls
//! `Event`s without ever blocking; every query has an id and a cancellation token, and the UI
//! drops events whose id is not the one it is waiting for.
//!
//! Work that could stall a frame happens here: building the backend (the lab at a large scale),
//! running queries, sorting results, and every file write (drafts, saved files and queries, the
//! history, exports). File writes go through one ordered writer, so two draft saves close
//! together land in order and the latest always wins, and a flush at quit covers them all.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::backend::{Backend, BackendFactory, ErrorKind, Progress, QueryError, QueryRequest};
use crate::results::ResultSet;
use crate::results::chart::ChartData;
use crate::results::export::{self, ExportFormat};
use crate::results::frequency::{Frequencies, frequencies};
use crate::results::history::ResultHistory;
use crate::store::{HistoryEntry, SavedQuery, Store};

pub type QueryId = u64;

/// A backend factory as a command carries it (a closure has no `Debug`).
pub struct Builder(pub BackendFactory);

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Builder(..)")
    }
}

/// One problem the editor marks while the user types: where (bytes in the checked text), how
/// bad, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveDiagnostic {
    pub span: crate::kql::Span,
    /// A warning (an unknown name) rather than an error (the text cannot be parsed).
    pub warning: bool,
    pub message: String,
}

/// The editor's diagnostics of one query block, in text order: the syntax tree's errors and
/// the typed reading's (`kql::parse`), then — when the text parses — unknown tables, columns
/// and functions against the backend's schema (`kql::analysis`) as warnings.
pub fn live_diagnostics(text: &str, schema: &crate::kql::analysis::Schema) -> Vec<LiveDiagnostic> {
    let tree = crate::kql::syntax::parse(text);
    let (_, errors) = crate::kql::lower::lower(&tree);
    let mut found: Vec<LiveDiagnostic> = errors
        .into_iter()
        .map(|d| LiveDiagnostic {
            span: d.span,
            warning: false,
            message: d.message,
        })
        .collect();
    if found.is_empty() {
        let root = tree.syntax();
        found.extend(
            crate::kql::analysis::analyse(&root, schema)
                .into_iter()
                .map(|f| LiveDiagnostic {
                    span: f.span,
                    warning: f.severity == crate::kql::analysis::Severity::Warning,
                    message: f.message,
                }),
        );
    }
    found
}

#[derive(Debug)]
pub enum Command {
    /// Check the query block the cursor is in; answered by `Event::Diagnosed` with the same
    /// generation (the UI keeps only the newest).
    Diagnose {
        generation: u64,
        text: String,
        /// The active backend's tables, for unknown-name warnings.
        schema: Arc<crate::kql::analysis::Schema>,
    },
    /// Run a query (it waits for the backend when that is still starting). A query that names
    /// earlier results (`$last`, `$2`; `kql::earlier`) runs on the local engine over
    /// `earlier` instead, whatever the backend (no Graph call).
    Run {
        id: QueryId,
        request: QueryRequest,
        /// The console's kept results, newest first (`Arc`s: cheap to send).
        earlier: ResultHistory,
    },
    Cancel {
        id: QueryId,
    },
    /// Build another backend and send the queries that follow to it (the console's backend
    /// picker); answered like the first one, by `BackendProgress` / `BackendReady` /
    /// `BackendFailed`.
    SwitchBackend {
        factory: Builder,
    },
    /// Compute the row order that sorts `result` by one column; answered by `Event::Sorted`.
    Sort {
        id: QueryId,
        result: Arc<ResultSet>,
        column: usize,
        descending: bool,
    },
    /// Find every cell of `result` whose shown text holds `needle` (case-insensitive), in the
    /// grid's row order; answered by `Event::Searched`.
    Search {
        id: QueryId,
        result: Arc<ResultSet>,
        order: Option<Arc<Vec<u32>>>,
        needle: String,
    },
    /// Count each distinct value of one column; answered by `Event::Frequencies`.
    Frequencies {
        id: QueryId,
        result: Arc<ResultSet>,
        column: usize,
    },
    /// Build the `| where` line that keeps (or, `negate`, drops) the rows whose cell in `column`
    /// reads `value` (`None`: null), from the first such row; answered by `Event::Filter`.
    ValueFilter {
        id: QueryId,
        result: Arc<ResultSet>,
        column: usize,
        value: Option<String>,
        negate: bool,
    },
    /// Write every row of a result to a file. An existing file is kept (answered by
    /// `Event::ExportExists`) unless `overwrite`.
    Export {
        result: Arc<ResultSet>,
        format: ExportFormat,
        path: PathBuf,
        overwrite: bool,
    },
    /// Keep the editor text as the draft (the latest of several close together wins).
    SaveDraft {
        /// The tab's draft slot (0: `draft.kql`, n: `tab-n.kql`).
        slot: u32,
        text: String,
    },
    /// Forget a closed tab's draft.
    DropDraft {
        slot: u32,
    },
    /// Keep text the editor is about to replace, as a draft the user can reopen.
    KeepDraft {
        text: String,
    },
    /// Write the editor text to a query file (Ctrl+S on a file opened from the command line).
    SaveFile {
        path: PathBuf,
        text: String,
    },
    /// Add a run to the history file (bounded by the store's `history_size`).
    RecordHistory {
        entry: HistoryEntry,
    },
    /// Remove a run from the history file.
    DeleteHistory {
        entry: HistoryEntry,
    },
    /// Save the editor text as one of the user's queries, titled `name`: over the file `path`
    /// when given (a query loaded from or saved to the user's folder), else as a new file in
    /// `folder` (one level; empty for the top). Answered by `Event::QuerySaved`.
    SaveQuery {
        name: String,
        folder: String,
        text: String,
        path: Option<PathBuf>,
    },
    /// Rename (and perhaps move) one of the user's saved queries. Answered by
    /// `Event::QuerySaved` with `replaced: Some(path)`.
    RenameQuery {
        path: PathBuf,
        name: String,
        folder: String,
    },
    /// Delete one of the user's saved queries.
    DeleteQuery {
        path: PathBuf,
    },
    /// Answered (on `done`) once every file write sent before it has landed.
    Flush {
        done: std::sync::mpsc::Sender<()>,
    },
}

#[derive(Debug)]
pub enum Event {
    Diagnosed {
        generation: u64,
        diagnostics: Vec<LiveDiagnostic>,
    },
    /// The backend is still starting; the message says how far it has come.
    BackendProgress {
        message: String,
    },
    BackendReady {
        name: String,
        /// The backend's tables and their columns (for completion).
        tables: Vec<crate::backend::TableInfo>,
    },
    BackendFailed {
        message: String,
    },
    Started {
        id: QueryId,
    },
    /// The query is waiting on something the user should see (the call quota).
    Progress {
        id: QueryId,
        message: String,
    },
    Finished {
        id: QueryId,
        result: Arc<ResultSet>,
    },
    Failed {
        id: QueryId,
        error: QueryError,
    },
    /// The chart of a result whose query ended in `render` (not `render table`), sent right
    /// after that query's `Finished`: the data to draw, or why it cannot be drawn.
    Charted {
        id: QueryId,
        chart: Result<Arc<ChartData>, String>,
    },
    Cancelled {
        id: QueryId,
    },
    Sorted {
        id: QueryId,
        column: usize,
        descending: bool,
        order: Vec<u32>,
    },
    /// Every matching cell as (grid position, column), row-major.
    Searched {
        id: QueryId,
        matches: Vec<(u32, u16)>,
    },
    Frequencies {
        id: QueryId,
        column: usize,
        frequencies: Arc<Frequencies>,
    },
    /// The `| where` line a `ValueFilter` asked for (`None`: no row holds the value).
    Filter {
        id: QueryId,
        clause: Option<String>,
    },
    Exported {
        path: PathBuf,
        rows: usize,
    },
    ExportFailed {
        path: PathBuf,
        message: String,
    },
    /// The export's file exists: the console asks before sending it again with `overwrite`.
    ExportExists {
        result: Arc<ResultSet>,
        format: ExportFormat,
        path: PathBuf,
    },
    FileSaved {
        path: PathBuf,
    },
    /// A user's query was saved (or renamed): as the sidebar lists it, and the file it replaces
    /// in the list (`None` for a new file).
    QuerySaved {
        query: SavedQuery,
        replaced: Option<PathBuf>,
    },
    StoreFailed {
        message: String,
    },
}

/// The UI's end of the worker.
pub struct WorkerHandle {
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedReceiver<Event>,
}

impl WorkerHandle {
    /// Sends a command; returns false when the worker has stopped.
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    /// The next event if one is waiting. Never blocks.
    pub fn try_event(&mut self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// Waits for the next event (tests and the CLI; never the UI thread).
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Waits until every file write sent so far has landed, at most `limit`. For quitting, after
    /// the terminal is restored; returns false when the writes did not finish in time.
    pub fn flush(&self, limit: Duration) -> bool {
        let (done, finished) = std::sync::mpsc::channel();
        if !self.send(Command::Flush { done }) {
            return false;
        }
        finished.recv_timeout(limit).is_ok()
    }
}

/// The backend as the worker sees it while it starts.
#[derive(Clone)]
enum Readiness {
    Starting,
    Ready(Arc<dyn Backend>),
    Failed(String),
}

/// Starts the worker over a backend that is ready now.
pub fn spawn(
    runtime: &tokio::runtime::Handle,
    backend: Arc<dyn Backend>,
    store: Option<Arc<Store>>,
) -> WorkerHandle {
    spawn_starting(runtime, Box::new(move |_| Ok(backend)), store)
}

/// Starts the worker and builds the backend on it: the caller gets its handle at once, and
/// progress, readiness or failure arrive as events. Queries sent meanwhile wait for the backend.
pub fn spawn_starting(
    runtime: &tokio::runtime::Handle,
    factory: BackendFactory,
    store: Option<Arc<Store>>,
) -> WorkerHandle {
    let (command_tx, command_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let (write_tx, write_rx) = mpsc::unbounded_channel();
    let (state_tx, state_rx) = watch::channel(Readiness::Starting);
    let state_tx = Arc::new(state_tx);
    runtime.spawn(start_backend(factory, state_tx.clone(), event_tx.clone()));
    runtime.spawn(write_loop(store, write_rx, event_tx.clone()));
    runtime.spawn(run_loop(
        (state_tx, state_rx),
        command_rx,
        event_tx,
        write_tx,
    ));
    WorkerHandle {
        commands: command_tx,
        events: event_rx,
    }
}

async fn start_backend(
    factory: BackendFactory,
    state: Arc<watch::Sender<Readiness>>,
    events: mpsc::UnboundedSender<Event>,
) {
    let progress_events = events.clone();
    let progress: Progress = Arc::new(move |message| {
        let _ = progress_events.send(Event::BackendProgress { message });
    });
    let built = tokio::task::spawn_blocking(move || factory(progress)).await;
    let (next, event) = match built {
        Ok(Ok(backend)) => {
            let name = backend.name();
            let tables = backend.tables();
            (
                Readiness::Ready(backend),
                Event::BackendReady { name, tables },
            )
        }
        Ok(Err(message)) => (
            Readiness::Failed(message.clone()),
            Event::BackendFailed { message },
        ),
        Err(join_error) => {
            let message = format!("the backend could not start: {}", panic_detail(join_error));
            (
                Readiness::Failed(message.clone()),
                Event::BackendFailed { message },
            )
        }
    };
    let _ = state.send(next);
    let _ = events.send(event);
}

async fn run_loop(
    (state_tx, state): (Arc<watch::Sender<Readiness>>, watch::Receiver<Readiness>),
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
    writes: mpsc::UnboundedSender<Write>,
) {
    let running: Arc<std::sync::Mutex<HashMap<QueryId, CancellationToken>>> = Arc::default();
    while let Some(command) = commands.recv().await {
        match command {
            Command::SwitchBackend { factory } => {
                // Queries still running keep the backend they started on.
                let _ = state_tx.send(Readiness::Starting);
                tokio::spawn(start_backend(factory.0, state_tx.clone(), events.clone()));
            }
            Command::Run {
                id,
                request,
                earlier,
            } => {
                let token = CancellationToken::new();
                lock(&running).insert(id, token.clone());
                let progress_events = events.clone();
                let progress: Progress = Arc::new(move |message| {
                    let _ = progress_events.send(Event::Progress { id, message });
                });
                let job = run_query(state.clone(), request, earlier, token.clone(), progress);
                let (events, running) = (events.clone(), running.clone());
                tokio::spawn(async move {
                    let _ = events.send(Event::Started { id });
                    let event = supervise(id, job, token).await;
                    lock(&running).remove(&id);
                    let chart_of = match &event {
                        Event::Finished { result, .. } => result
                            .render()
                            .filter(|hint| hint.visualization.is_chart())
                            .map(|_| result.clone()),
                        _ => None,
                    };
                    let _ = events.send(event);
                    if let Some(result) = chart_of {
                        let _ = events.send(chart(id, result).await);
                    }
                });
            }
            Command::Cancel { id } => {
                if let Some(token) = lock(&running).get(&id) {
                    token.cancel();
                }
            }
            Command::Sort {
                id,
                result,
                column,
                descending,
            } => {
                let events = events.clone();
                tokio::task::spawn_blocking(move || {
                    let order = result.sorted_order(column, descending);
                    let _ = events.send(Event::Sorted {
                        id,
                        column,
                        descending,
                        order,
                    });
                });
            }
            Command::Diagnose {
                generation,
                text,
                schema,
            } => {
                let events = events.clone();
                tokio::task::spawn_blocking(move || {
                    let diagnostics = live_diagnostics(&text, &schema);
                    let _ = events.send(Event::Diagnosed {
                        generation,
                        diagnostics,
                    });
                });
            }
            Command::Search {
                id,
                result,
                order,
                needle,
            } => {
                let events = events.clone();
                tokio::task::spawn_blocking(move || {
                    let matches = crate::results::search::find(
                        &result,
                        &needle,
                        order.as_deref().map(|o| &o[..]),
                    );
                    let _ = events.send(Event::Searched { id, matches });
                });
            }
            Command::Frequencies { id, result, column } => {
                let events = events.clone();
                tokio::task::spawn_blocking(move || {
                    let frequencies = Arc::new(frequencies(&result, column));
                    let _ = events.send(Event::Frequencies {
                        id,
                        column,
                        frequencies,
                    });
                });
            }
            Command::ValueFilter {
                id,
                result,
                column,
                value,
                negate,
            } => {
                let events = events.clone();
                tokio::task::spawn_blocking(move || {
                    let clause = (0..result.row_count())
                        .find(|row| result.cell_text(*row, column) == value)
                        .map(|row| {
                            crate::results::filter::where_clause(&result, row, column, negate)
                        });
                    let _ = events.send(Event::Filter { id, clause });
                });
            }
            Command::Export {
                result,
                format,
                path,
                overwrite,
            } => {
                let _ = writes.send(Write::Export(result, format, path, overwrite));
            }
            Command::DropDraft { slot } => {
                let _ = writes.send(Write::DropDraft(slot));
            }
            Command::SaveDraft { slot, text } => {
                let _ = writes.send(Write::Draft(slot, text));
            }
            Command::KeepDraft { text } => {
                let _ = writes.send(Write::Keep(text));
            }
            Command::SaveFile { path, text } => {
                let _ = writes.send(Write::File(path, text));
            }
            Command::RecordHistory { entry } => {
                let _ = writes.send(Write::History(entry));
            }
            Command::DeleteHistory { entry } => {
                let _ = writes.send(Write::ForgetHistory(entry));
            }
            Command::SaveQuery {
                name,
                folder,
                text,
                path,
            } => {
                let _ = writes.send(Write::Query {
                    name,
                    folder,
                    text,
                    path,
                });
            }
            Command::RenameQuery { path, name, folder } => {
                let _ = writes.send(Write::Rename { path, name, folder });
            }
            Command::DeleteQuery { path } => {
                let _ = writes.send(Write::Delete(path));
            }
            Command::Flush { done } => {
                let _ = writes.send(Write::Flush(done));
            }
        }
    }
}

/// Where a console query that names an earlier result that is not kept learns where results
/// come from.
fn kept_results_note() -> String {
    format!(
        "the console keeps its last {} results",
        crate::results::history::KEPT_RESULTS
    )
}

/// A query once the backend is ready: it waits while the backend starts. One that names
/// earlier results runs on the local engine over them: beside the local engine's tables when
/// that is the backend, else alone (even when the backend failed to start).
async fn run_query(
    mut state: watch::Receiver<Readiness>,
    request: QueryRequest,
    earlier: ResultHistory,
    cancel: CancellationToken,
    progress: Progress,
) -> Result<ResultSet, QueryError> {
    let ready = state
        .wait_for(|s| !matches!(s, Readiness::Starting))
        .await
        .map(|s| s.clone());
    if crate::kql::earlier::names_results(&request.query) {
        let backend = match &ready {
            Ok(Readiness::Ready(backend)) => Some(backend.clone()),
            _ => None,
        };
        let local = backend
            .as_deref()
            .and_then(|b| b.as_any())
            .and_then(|any| any.downcast_ref::<crate::engine::LocalEngine>());
        return crate::engine::earlier::run_on_results(
            local,
            &earlier,
            &request,
            &kept_results_note(),
        )
        .await;
    }
    let backend = match ready {
        Ok(Readiness::Ready(backend)) => backend,
        Ok(Readiness::Failed(message)) => {
            return Err(QueryError::new(ErrorKind::Execution, message));
        }
        _ => {
            return Err(QueryError::new(
                ErrorKind::Execution,
                "the backend stopped before it was ready",
            ));
        }
    };
    backend.run_with_progress(request, cancel, progress).await
}

/// Runs a query in a task of its own, so that a panic inside a backend becomes an error event
/// instead of a query that never ends, and cancelling stops it at once.
async fn supervise(
    id: QueryId,
    job: impl std::future::Future<Output = Result<ResultSet, QueryError>> + Send + 'static,
    token: CancellationToken,
) -> Event {
    let job = tokio::spawn(job);
    let abort = job.abort_handle();
    tokio::select! {
        biased;
        _ = token.cancelled() => {
            abort.abort();
            Event::Cancelled { id }
        }
        joined = job => match joined {
            _ if token.is_cancelled() => Event::Cancelled { id },
            Ok(Ok(result)) => Event::Finished { id, result: Arc::new(result) },
            Ok(Err(error)) => Event::Failed { id, error },
            Err(join_error) => Event::Failed {
                id,
                error: QueryError::new(
                    ErrorKind::Execution,
                    format!(
                        "internal error: the backend crashed on this query ({})",
                        panic_detail(join_error)
                    ),
                ),
            },
        },
    }
}

/// The chart a finished result's render hint asks for, computed off the UI thread (a result
/// may have 100,000 rows). A panic while computing it is reported as the chart's error.
async fn chart(id: QueryId, result: Arc<ResultSet>) -> Event {
    let computed = tokio::task::spawn_blocking(move || {
        let hint = result
            .render()
            .ok_or_else(|| "the result has no render hint".to_string())?;
        ChartData::from_result(&result, hint).map(Arc::new)
    })
    .await;
    let chart = match computed {
        Ok(chart) => chart,
        Err(join_error) => Err(format!(
            "internal error: the chart could not be computed ({})",
            panic_detail(join_error)
        )),
    };
    Event::Charted { id, chart }
}

/// A file write, done in the order sent.
#[derive(Debug)]
enum Write {
    Draft(u32, String),
    DropDraft(u32),
    Keep(String),
    File(PathBuf, String),
    Export(Arc<ResultSet>, ExportFormat, PathBuf, bool),
    History(HistoryEntry),
    ForgetHistory(HistoryEntry),
    Query {
        name: String,
        folder: String,
        text: String,
        path: Option<PathBuf>,
    },
    Rename {
        path: PathBuf,
        name: String,
        folder: String,
    },
    Delete(PathBuf),
    /// Answered once every write sent before it has landed.
    Flush(std::sync::mpsc::Sender<()>),
}

/// The one writer of files: writes happen one at a time in the order they were sent, and of
/// several draft saves waiting at once only the newest is written.
async fn write_loop(
    store: Option<Arc<Store>>,
    mut writes: mpsc::UnboundedReceiver<Write>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut next = None;
    loop {
        let write = match next.take() {
            Some(write) => write,
            None => match writes.recv().await {
                Some(write) => write,
                None => return,
            },
        };
        let write = match write {
            Write::Draft(slot, mut text) => {
                // Skip to the newest draft of the same tab, but stop at anything else so order
                // is kept.
                while let Ok(following) = writes.try_recv() {
                    match following {
                        Write::Draft(same, newer) if same == slot => text = newer,
                        other => {
                            next = Some(other);
                            break;
                        }
                    }
                }
                Write::Draft(slot, text)
            }
            other => other,
        };
        if let Write::Flush(done) = write {
            let _ = done.send(());
            continue;
        }
        let store = store.clone();
        let outcome = tokio::task::spawn_blocking(move || perform(store.as_deref(), write)).await;
        let event = match outcome {
            Ok(event) => event,
            Err(join_error) => Some(Event::StoreFailed {
                message: format!("a file write failed: {}", panic_detail(join_error)),
            }),
        };
        if let Some(event) = event {
            let _ = events.send(event);
        }
    }
}

/// Performs one write; the event to report, if any.
fn perform(store: Option<&Store>, write: Write) -> Option<Event> {
    match write {
        Write::DropDraft(slot) => store?.drop_draft(slot).err().map(|e| Event::StoreFailed {
            message: format!("could not remove a closed tab's draft: {e}"),
        }),
        Write::Draft(slot, text) => {
            store?
                .save_draft(slot, &text)
                .err()
                .map(|e| Event::StoreFailed {
                    message: format!("could not keep the draft: {e}"),
                })
        }
        Write::Keep(text) => store?.keep_draft(&text).err().map(|e| Event::StoreFailed {
            message: format!("could not keep the replaced text as a draft: {e}"),
        }),
        Write::File(path, text) => {
            // Through a symlink to the file it names, which stays a link.
            let target = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            Some(match crate::store::write_atomic(&target, text.as_bytes()) {
                Ok(()) => Event::FileSaved { path },
                Err(e) => Event::StoreFailed {
                    message: format!("could not save {}: {e}", path.display()),
                },
            })
        }
        // Asked again before a file is replaced (checked here: the UI does no file I/O).
        Write::Export(result, format, path, false) if path.exists() => Some(Event::ExportExists {
            result,
            format,
            path,
        }),
        Write::Export(result, format, path, _) => Some(match export_to(&result, format, &path) {
            Ok(()) => Event::Exported {
                rows: result.row_count(),
                path,
            },
            Err(error) => Event::ExportFailed {
                message: error.to_string(),
                path,
            },
        }),
        Write::History(entry) => store?
            .record_history(entry)
            .err()
            .map(|e| Event::StoreFailed {
                message: format!("could not add the run to the history: {e}"),
            }),
        Write::ForgetHistory(entry) => {
            store?
                .delete_history(&entry)
                .err()
                .map(|e| Event::StoreFailed {
                    message: format!("could not remove the run from the history: {e}"),
                })
        }
        Write::Query {
            name,
            folder,
            text,
            path,
        } => Some(match store {
            None => no_store(&name),
            Some(store) => {
                let saved = match &path {
                    Some(path) => store.overwrite_query(path, &name, &text),
                    None => store.save_query(&name, &folder, &text),
                };
                match saved {
                    Ok(query) => Event::QuerySaved {
                        query,
                        replaced: path,
                    },
                    Err(e) => Event::StoreFailed {
                        message: format!("could not save {name}: {e}"),
                    },
                }
            }
        }),
        Write::Rename { path, name, folder } => Some(match store {
            None => no_store(&name),
            Some(store) => match store.rename_query(&path, &name, &folder) {
                Ok(query) => Event::QuerySaved {
                    query,
                    replaced: Some(path),
                },
                Err(e) => Event::StoreFailed {
                    message: format!("could not rename to {name}: {e}"),
                },
            },
        }),
        Write::Delete(path) => store?
            .delete_query(&path)
            .err()
            .map(|e| Event::StoreFailed {
                message: format!("could not delete {}: {e}", path.display()),
            }),
        Write::Flush(_) => None,
    }
}

/// The answer to a save when hunt has no data folder (no home directory).
fn no_store(name: &str) -> Event {
    Event::StoreFailed {
        message: format!("could not save {name}: hunt has no data folder (set HUNT_HOME)"),
    }
}

/// A panicked task's message, or why the task stopped.
fn panic_detail(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string()),
        Err(_) => "the task was stopped".to_string(),
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn export_to(
    result: &ResultSet,
    format: ExportFormat,
    path: &std::path::Path,
) -> std::io::Result<()> {
    crate::store::write_atomic_with(path, |file| export::write(result, format, file))
}
