//! The async task runner between the UI and the backends. The UI sends `Command`s and polls
//! `Event`s without ever blocking; every query has an id and a cancellation token, and the UI
//! drops events whose id is not the query it is waiting for.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::kql::{LineCol, Span, line_col};
use crate::results::ResultSet;
use crate::results::export::{self, ExportFormat};
use crate::store::Store;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a backend is asked to run.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest {
    pub query: String,
    /// ISO 8601 duration or interval (`P30D`, `start/end`); `None` means the backend's default.
    pub timespan: Option<String>,
}

impl QueryRequest {
    pub fn new(query: impl Into<String>) -> Self {
        QueryRequest {
            query: query.into(),
            timespan: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ErrorKind {
    /// The text is not valid KQL.
    Syntax,
    /// Valid KQL that names something that does not exist or mixes types.
    Semantic,
    /// It failed while running.
    Execution,
    Unsupported,
    Auth,
    Throttled,
    Network,
}

/// Why a query failed, with where in the text when there is a place.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryError {
    pub kind: ErrorKind,
    pub message: String,
    pub span: Option<Span>,
    pub position: Option<LineCol>,
}

impl QueryError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        QueryError {
            kind,
            message: message.into(),
            span: None,
            position: None,
        }
    }

    pub fn at(kind: ErrorKind, message: impl Into<String>, span: Span, source: &str) -> Self {
        QueryError {
            kind,
            message: message.into(),
            span: Some(span),
            position: Some(line_col(source, span.start)),
        }
    }

    /// The CLI exit code for this error (CLI.md).
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Syntax
            | ErrorKind::Semantic
            | ErrorKind::Execution
            | ErrorKind::Unsupported => 1,
            ErrorKind::Auth => 3,
            ErrorKind::Throttled => 4,
            ErrorKind::Network => 5,
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(position) => write!(f, "{position}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for QueryError {}

/// A table a backend offers, for completion and the schema browser.
#[derive(Debug, Clone, PartialEq)]
pub struct TableInfo {
    pub name: String,
    pub columns: Vec<(String, crate::results::KqlType)>,
}

/// A place queries run. The local engine is one; Microsoft Graph will be another.
pub trait Backend: Send + Sync {
    /// Short name for the status line (`lab`, `files`, `graph · contoso`).
    fn name(&self) -> String;

    fn run(
        &self,
        request: QueryRequest,
        cancel: CancellationToken,
    ) -> BoxFuture<'_, Result<ResultSet, QueryError>>;

    fn tables(&self) -> Vec<TableInfo>;
}

pub type QueryId = u64;

#[derive(Debug)]
pub enum Command {
    Run {
        id: QueryId,
        request: QueryRequest,
    },
    Cancel {
        id: QueryId,
    },
    Export {
        result: Arc<ResultSet>,
        format: ExportFormat,
        path: PathBuf,
    },
    SaveDraft {
        text: String,
    },
}

#[derive(Debug)]
pub enum Event {
    Started { id: QueryId },
    Finished { id: QueryId, result: Arc<ResultSet> },
    Failed { id: QueryId, error: QueryError },
    Cancelled { id: QueryId },
    Exported { path: PathBuf, rows: usize },
    ExportFailed { path: PathBuf, message: String },
    StoreFailed { message: String },
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
}

/// Starts the worker on a tokio runtime.
pub fn spawn(
    runtime: &tokio::runtime::Handle,
    backend: Arc<dyn Backend>,
    store: Option<Arc<Store>>,
) -> WorkerHandle {
    let (command_tx, command_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    runtime.spawn(run_loop(backend, store, command_rx, event_tx));
    WorkerHandle {
        commands: command_tx,
        events: event_rx,
    }
}

async fn run_loop(
    backend: Arc<dyn Backend>,
    store: Option<Arc<Store>>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
) {
    let running: Arc<std::sync::Mutex<HashMap<QueryId, CancellationToken>>> = Arc::default();
    while let Some(command) = commands.recv().await {
        match command {
            Command::Run { id, request } => {
                let token = CancellationToken::new();
                lock(&running).insert(id, token.clone());
                let (backend, events, running) = (backend.clone(), events.clone(), running.clone());
                tokio::spawn(async move {
                    let _ = events.send(Event::Started { id });
                    // The query runs in a task of its own so that a panic inside a backend
                    // becomes an error event instead of a query that never ends.
                    let job_token = token.clone();
                    let job = tokio::spawn(async move { backend.run(request, job_token).await });
                    let abort = job.abort_handle();
                    let event = tokio::select! {
                        biased;
                        _ = token.cancelled() => {
                            abort.abort();
                            Event::Cancelled { id }
                        }
                        joined = job => match joined {
                            _ if token.is_cancelled() => Event::Cancelled { id },
                            Ok(Ok(result)) => Event::Finished { id, result: Arc::new(result) },
                            Ok(Err(error)) => Event::Failed { id, error },
                            Err(join_error) => Event::Failed { id, error: crashed(join_error) },
                        },
                    };
                    lock(&running).remove(&id);
                    let _ = events.send(event);
                });
            }
            Command::Cancel { id } => {
                if let Some(token) = lock(&running).get(&id) {
                    token.cancel();
                }
            }
            Command::Export {
                result,
                format,
                path,
            } => {
                let events = events.clone();
                tokio::task::spawn_blocking(move || {
                    let event = match export_to(&result, format, &path) {
                        Ok(()) => Event::Exported {
                            rows: result.row_count(),
                            path,
                        },
                        Err(error) => Event::ExportFailed {
                            message: error.to_string(),
                            path,
                        },
                    };
                    let _ = events.send(event);
                });
            }
            Command::SaveDraft { text } => {
                if let Some(store) = store.clone() {
                    let events = events.clone();
                    tokio::task::spawn_blocking(move || {
                        if let Err(error) = store.save_draft(&text) {
                            let _ = events.send(Event::StoreFailed {
                                message: format!("could not keep the draft: {error}"),
                            });
                        }
                    });
                }
            }
        }
    }
}

/// The error for a backend task that panicked (or was torn down), with the panic's message.
fn crashed(error: tokio::task::JoinError) -> QueryError {
    let detail = match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string()),
        Err(_) => "the task was stopped".to_string(),
    };
    QueryError::new(
        ErrorKind::Execution,
        format!("internal error: the backend crashed on this query ({detail})"),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_positions_and_exit_codes() {
        let source = "T\n| where x";
        let error = QueryError::at(
            ErrorKind::Semantic,
            "unknown column 'x'",
            Span::new(10, 11),
            source,
        );
        assert_eq!(error.to_string(), "2:9: unknown column 'x'");
        assert_eq!(error.exit_code(), 1);
        assert_eq!(QueryError::new(ErrorKind::Auth, "sign in").exit_code(), 3);
        assert_eq!(
            QueryError::new(ErrorKind::Throttled, "later").exit_code(),
            4
        );
        assert_eq!(QueryError::new(ErrorKind::Network, "down").exit_code(), 5);
        assert_eq!(
            QueryError::new(ErrorKind::Network, "down").to_string(),
            "down"
        );
    }
}
