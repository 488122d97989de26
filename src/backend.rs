//! The contract between the worker and the places queries run: what a query asks for
//! (`QueryRequest`), how it fails (`QueryError`), and the `Backend` trait that the local engine
//! implements (and Microsoft Graph, Log Analytics and Azure Data Explorer will). The worker and
//! every backend depend on this module; it depends on nothing above `results`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::kql::{LineCol, Span, line_col};
use crate::results::{KqlType, ResultSet};

/// A boxed, sendable future (the trait's methods return one so that it stays object safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a backend is asked to run.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest {
    /// The KQL text, exactly as the user wrote it.
    pub query: String,
    /// ISO 8601 duration or interval (`P30D`, `start/end`), as Graph's `timespan` takes it;
    /// `None` means the backend's default window.
    pub timespan: Option<String>,
}

impl QueryRequest {
    /// A request for `query` over the backend's default time window.
    pub fn new(query: impl Into<String>) -> Self {
        QueryRequest {
            query: query.into(),
            timespan: None,
        }
    }
}

/// The kind of a failure; it decides the CLI exit code (CLI.md) and how the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not valid KQL.
    Syntax,
    /// Valid KQL that names something that does not exist or mixes types.
    Semantic,
    /// It failed while running.
    Execution,
    /// Valid KQL that this backend cannot run (the message names the construct).
    Unsupported,
    /// Sign-in or permission.
    Auth,
    /// The service asked us to wait.
    Throttled,
    /// The network or the service failed.
    Network,
}

/// Why a query failed, with where in the text when there is a place.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryError {
    pub kind: ErrorKind,
    pub message: String,
    /// Byte range in the query text.
    pub span: Option<Span>,
    /// The span's start as 1-based line and column (characters).
    pub position: Option<LineCol>,
    /// For `Throttled`: how long the service asked us to wait before the next call.
    pub retry_after: Option<std::time::Duration>,
}

impl QueryError {
    /// An error with no position in the query text.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        QueryError {
            kind,
            message: message.into(),
            span: None,
            position: None,
            retry_after: None,
        }
    }

    /// A throttling error: the service asked for `retry_after` before the next call.
    pub fn throttled(message: impl Into<String>, retry_after: Option<std::time::Duration>) -> Self {
        QueryError {
            retry_after,
            ..QueryError::new(ErrorKind::Throttled, message)
        }
    }

    /// An error at `span` of `source`.
    pub fn at(kind: ErrorKind, message: impl Into<String>, span: Span, source: &str) -> Self {
        QueryError {
            kind,
            message: message.into(),
            span: Some(span),
            position: Some(line_col(source, span.start)),
            retry_after: None,
        }
    }

    /// The CLI exit code for this error (CLI.md): 1 query, 3 auth, 4 throttled, 5 network.
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
    pub columns: Vec<(String, KqlType)>,
}

impl TableInfo {
    /// The table as the language tools hold it (`kql::analysis`, completion): columns with
    /// their KQL type names (`string`, `datetime` …).
    pub fn schema_table(self) -> crate::kql::completion::SchemaTable {
        crate::kql::completion::SchemaTable {
            name: self.name,
            columns: self
                .columns
                .into_iter()
                .map(|(column, kql_type)| (column, kql_type.kql_name().to_string()))
                .collect(),
        }
    }
}

/// A place queries run: the local engine (`engine::LocalEngine`) and Microsoft Graph
/// (`graph::client::GraphBackend`).
pub trait Backend: Send + Sync {
    /// Short name for the status line (`lab`, `files`, `graph · contoso`).
    fn name(&self) -> String;

    /// Runs one query. Dropping the future, or cancelling `cancel`, stops it.
    fn run(
        &self,
        request: QueryRequest,
        cancel: CancellationToken,
    ) -> BoxFuture<'_, Result<ResultSet, QueryError>>;

    /// Runs one query and reports waits worth telling the user about (`waiting for the call
    /// quota: 12 s`) through `progress`. Backends with nothing to report keep this default.
    fn run_with_progress(
        &self,
        request: QueryRequest,
        cancel: CancellationToken,
        progress: Progress,
    ) -> BoxFuture<'_, Result<ResultSet, QueryError>> {
        let _ = progress;
        self.run(request, cancel)
    }

    /// The tables and their columns, for completion.
    fn tables(&self) -> Vec<TableInfo>;

    /// The backend itself, for the worker to recognise the local engine: a query over earlier
    /// results (`$last`) runs beside the local engine's own tables. `None` (the default) for
    /// backends whose tables are elsewhere (Graph).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
}

/// Reports how far a backend's start-up has come (`building the lab data: 12 of 62 tables`).
pub type Progress = Arc<dyn Fn(String) + Send + Sync>;

/// Builds a backend. It runs on the worker (a blocking thread), never on the UI thread, so a
/// backend that takes seconds to start (the lab at a large scale, a big folder of files) never
/// delays the console's first frame. `Err` is a message for the status line.
pub type BackendFactory =
    Box<dyn FnOnce(Progress) -> Result<Arc<dyn Backend>, String> + Send + 'static>;

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
