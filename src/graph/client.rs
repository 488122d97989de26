//! The Graph client: `POST {endpoint}/{v1.0|beta}/security/runHuntingQuery` with a bearer token,
//! paced to 45 calls a rolling minute, its answers decoded on a blocking thread, and every
//! failure turned into a `QueryError` a hunter can act on. Facts: GRAPH.md (request, errors,
//! quotas), field case F07 (throttling and empty 5xx envelopes), RFC 9110 §10.2.3 (Retry-After).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use tokio_util::sync::CancellationToken;

use crate::backend::{
    Backend, BoxFuture, ErrorKind, Progress, QueryError, QueryRequest, TableInfo,
};
use crate::graph::cloud::Cloud;
use crate::graph::decode::{self, GraphError};
use crate::graph::token::{AuthError, HUNTING_PERMISSION, TokenProvider, claims};
use crate::results::{RenderHint, ResultSet};

/// Graph API version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    /// Reads `v1.0` (also `v1`) or `beta`.
    pub fn parse(text: &str) -> Result<ApiVersion, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "v1.0" | "v1" | "1.0" => Ok(ApiVersion::V1),
            "beta" => Ok(ApiVersion::Beta),
            other => Err(format!(
                "unknown Graph API version '{other}': use v1.0 or beta"
            )),
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

/// The service stops a query after 3 minutes; the client waits a little longer (GRAPH.md).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(4 * 60);

/// Calls a process may send in any rolling minute (GRAPH.md, "Quotas").
pub const CALLS_PER_MINUTE: usize = 45;

/// The largest response body read. 100,000 wide rows stay well under it; a server that sends
/// more is broken or hostile.
pub const MAX_RESPONSE_BYTES: usize = 1 << 30;

/// Where and how the client talks to Graph.
#[derive(Debug, Clone)]
pub struct GraphOptions {
    pub cloud: Cloud,
    /// Base URL without the version (`https://graph.microsoft.com`, or `hunt serve`'s
    /// `http://127.0.0.1:PORT`), already checked by `cloud::check_endpoint`.
    pub endpoint: String,
    pub api: ApiVersion,
    /// What the status line calls the tenant (`contoso.onmicrosoft.com`, or its id).
    pub tenant_label: String,
}

impl GraphOptions {
    /// The default endpoint of `cloud`, v1.0.
    pub fn for_cloud(cloud: Cloud, tenant_label: impl Into<String>) -> GraphOptions {
        GraphOptions {
            cloud,
            endpoint: cloud.graph_base(),
            api: ApiVersion::V1,
            tenant_label: tenant_label.into(),
        }
    }

    /// The runHuntingQuery URL. An endpoint that already ends in a version keeps it.
    pub fn url(&self) -> String {
        let base = self.endpoint.trim_end_matches('/');
        if base.ends_with("/v1.0") || base.ends_with("/beta") {
            format!("{base}/security/runHuntingQuery")
        } else {
            format!("{base}/{}/security/runHuntingQuery", self.api.path())
        }
    }
}

/// Microsoft Defender XDR advanced hunting through Graph, as a `Backend`.
pub struct GraphBackend {
    options: GraphOptions,
    http: reqwest::Client,
    tokens: Arc<dyn TokenProvider>,
    pacer: Pacer,
    /// After a 429, no call goes out before this (throttled calls count against the quota, so
    /// sending early only prolongs the block; F07).
    blocked_until: Mutex<Option<Instant>>,
    tables: Vec<TableInfo>,
}

impl GraphBackend {
    /// `http` should carry no timeout of its own shorter than `REQUEST_TIMEOUT`; `tables` is
    /// the advanced hunting schema, for completion.
    pub fn new(
        options: GraphOptions,
        http: reqwest::Client,
        tokens: Arc<dyn TokenProvider>,
        tables: Vec<TableInfo>,
    ) -> GraphBackend {
        GraphBackend {
            options,
            http,
            tokens,
            pacer: Pacer::new(CALLS_PER_MINUTE, Duration::from_secs(60)),
            blocked_until: Mutex::new(None),
            tables,
        }
    }

    /// Which token provider signs the calls (for `whoami` and messages).
    pub fn token_provider(&self) -> &Arc<dyn TokenProvider> {
        &self.tokens
    }

    async fn call(
        &self,
        request: QueryRequest,
        progress: Progress,
    ) -> Result<ResultSet, QueryError> {
        let started = Instant::now();
        if let Some(left) = self.still_blocked() {
            return Err(QueryError::throttled(
                format!(
                    "Graph is still throttling this tenant: wait {} s before the next query (sending earlier prolongs the block)",
                    left.as_secs_f64().ceil() as u64
                ),
                Some(left),
            ));
        }
        let mut body = serde_json::json!({ "query": request.query });
        if let Some(timespan) = &request.timespan {
            body["timespan"] = serde_json::Value::String(timespan.clone());
        }
        let body = body.to_string();
        let mut refreshed = false;
        loop {
            let token = self.tokens.token(refreshed).await.map_err(auth_error)?;
            self.pacer.acquire(&progress).await;
            let client_request_id = uuid::Uuid::new_v4().to_string();
            let response = self
                .http
                .post(self.options.url())
                .header(AUTHORIZATION, format!("Bearer {}", token.secret.expose()))
                .header(CONTENT_TYPE, "application/json; charset=utf-8")
                .header(ACCEPT, "application/json")
                .header("client-request-id", &client_request_id)
                .header("return-client-request-id", "true")
                .timeout(REQUEST_TIMEOUT)
                .body(body.clone())
                .send()
                .await
                .map_err(|e| network_error(&e, &self.options))?;
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = read_body(response, &self.options).await?;
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                // The token may have been revoked or lapsed early: one new one, one more try.
                refreshed = true;
                continue;
            }
            if !status.is_success() {
                let retry_after = retry_after(&headers, SystemTime::now());
                let failure = Failure {
                    status,
                    body: &bytes,
                    client_request_id: &client_request_id,
                    retry_after,
                    token: token.secret.expose(),
                    provider: &self.tokens.describe(),
                };
                let error = failure.into_error();
                if let Some(wait) = error.retry_after {
                    *lock(&self.blocked_until) = Some(Instant::now() + wait);
                }
                return Err(error);
            }
            let label = self.name();
            let mut result = tokio::task::spawn_blocking(move || decode::decode_results(&bytes, &label))
                .await
                .map_err(|e| {
                    QueryError::new(ErrorKind::Network, format!("decoding the response stopped: {e}"))
                })?
                .map_err(|e| {
                    QueryError::new(
                        ErrorKind::Network,
                        format!("Graph's answer could not be read ({e}); client-request-id {client_request_id}"),
                    )
                })?;
            result.facts.elapsed = started.elapsed();
            result.facts.window = Some(describe_timespan(
                request.timespan.as_deref(),
                crate::kql::time::now(),
            ));
            let (warnings, hint) = read_locally(&request.query);
            result.facts.warnings.extend(warnings);
            // The service ran the text as written; how to draw the answer is read here.
            if let Some(hint) = hint {
                result = result.with_render(hint);
            }
            return Ok(result);
        }
    }

    fn still_blocked(&self) -> Option<Duration> {
        let mut blocked = lock(&self.blocked_until);
        let left = blocked.and_then(|until| until.checked_duration_since(Instant::now()));
        if left.is_none() {
            *blocked = None;
        }
        left.filter(|l| !l.is_zero())
    }
}

impl Backend for GraphBackend {
    /// `graph · <tenant> · <cloud>`, or, with an endpoint that is not the cloud's own,
    /// `graph · <tenant> · <endpoint host>`: the status line must never suggest a production
    /// tenant when the requests go elsewhere (`hunt serve`, a proxy).
    fn name(&self) -> String {
        let place = super::cloud::place(self.options.cloud, &self.options.endpoint);
        format!("graph · {} · {place}", self.options.tenant_label)
    }

    fn run(
        &self,
        request: QueryRequest,
        cancel: CancellationToken,
    ) -> BoxFuture<'_, Result<ResultSet, QueryError>> {
        self.run_with_progress(request, cancel, Arc::new(|_| {}))
    }

    fn run_with_progress(
        &self,
        request: QueryRequest,
        cancel: CancellationToken,
        progress: Progress,
    ) -> BoxFuture<'_, Result<ResultSet, QueryError>> {
        Box::pin(async move {
            tokio::select! {
                // Dropping the call aborts the HTTP request.
                _ = cancel.cancelled() => Err(QueryError::new(ErrorKind::Execution, "cancelled")),
                outcome = self.call(request, progress) => outcome,
            }
        })
    }

    fn tables(&self) -> Vec<TableInfo> {
        self.tables.clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The window as the status line says it, in the words the local engine uses for the same
/// `timespan` (`last 7d`, `2024-02-01 00:00 – 2024-02-15 00:00`): Graph's default is the last
/// 30 days. Text the window reader does not know is shown as it was sent.
fn describe_timespan(timespan: Option<&str>, now: i64) -> String {
    use crate::engine::time_window::{describe_window, parse_timespan};
    match timespan {
        None => "last 30d".to_string(),
        Some(text) => parse_timespan(text, now)
            .map(|window| describe_window(&window, now))
            .unwrap_or_else(|_| text.trim().to_string()),
    }
}

/// What hunt's parser reads in the query that was sent: its syntax diagnostics, as warnings
/// only (Microsoft's parser decides for this backend, and the query was sent exactly as
/// typed), and the render hint when the query ends with `render`.
fn read_locally(query: &str) -> (Vec<String>, Option<RenderHint>) {
    let (tree, diagnostics) = crate::kql::parse(query);
    let warnings = diagnostics
        .iter()
        .take(3)
        .map(|d| {
            let at = crate::kql::line_col(query, d.span.start);
            format!("hunt's parser (not Defender's) says {at}: {}", d.message)
        })
        .collect();
    (warnings, RenderHint::of_query(&tree))
}

fn auth_error(error: AuthError) -> QueryError {
    QueryError::new(ErrorKind::Auth, error.message)
}

async fn read_body(
    mut response: reqwest::Response,
    options: &GraphOptions,
) -> Result<Vec<u8>, QueryError> {
    let mut bytes = Vec::with_capacity(
        response
            .content_length()
            // What the server claims is a hint, not a promise: never reserve more than 128 MiB
            // on its word.
            .map_or(0, |n| n.min(128 << 20) as usize),
    );
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(QueryError::new(
                        ErrorKind::Network,
                        format!(
                            "Graph's answer is larger than {} MiB: stopped reading",
                            MAX_RESPONSE_BYTES >> 20
                        ),
                    ));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(bytes),
            Err(e) => return Err(network_error(&e, options)),
        }
    }
}

/// A transport failure as the user can act on it. reqwest's text names the URL (no secret is
/// in it) and the cause.
fn network_error(error: &reqwest::Error, options: &GraphOptions) -> QueryError {
    let host = reqwest::Url::parse(&options.endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| options.endpoint.clone());
    let what = if error.is_timeout() {
        format!(
            "no answer from {host} within {} minutes (the service stops a query after 3): narrow the time range or the tables",
            REQUEST_TIMEOUT.as_secs() / 60
        )
    } else if error.is_connect() {
        let chain = crate::graph::auth::error_chain(error);
        // rustls reading plain HTTP: the usual cause is https:// to an http server.
        let hint = if chain.contains("InvalidContentType") || chain.contains("corrupt message") {
            " (is the server plain http? on loopback, use an http:// endpoint)"
        } else {
            ""
        };
        format!("could not connect to {host}: {chain}{hint}")
    } else if error.is_body() || error.is_decode() {
        format!(
            "the connection to {host} broke before the whole answer arrived: {}",
            crate::graph::auth::error_chain(error)
        )
    } else {
        format!(
            "the request to {host} failed: {}",
            crate::graph::auth::error_chain(error)
        )
    };
    QueryError::new(ErrorKind::Network, what)
}

/// A non-2xx answer and what is needed to explain it.
struct Failure<'a> {
    status: StatusCode,
    body: &'a [u8],
    client_request_id: &'a str,
    retry_after: Option<Duration>,
    /// Read for its claims only (403), never shown.
    token: &'a str,
    provider: &'a str,
}

impl Failure<'_> {
    fn into_error(self) -> QueryError {
        let envelope = decode::decode_error(self.body);
        let ids = ids_text(envelope.as_ref(), self.client_request_id);
        let service = envelope
            .as_ref()
            .map(|e| e.message.trim().to_string())
            .filter(|m| !m.is_empty());
        let code = envelope
            .as_ref()
            .map(|e| e.code.clone())
            .unwrap_or_default();
        let status = self.status.as_u16();
        match status {
            400 => QueryError::new(
                ErrorKind::Semantic,
                format!(
                    "{} ({ids})",
                    service.unwrap_or_else(|| format!(
                        "Graph refused the query (400 {code}) without a message"
                    ))
                ),
            ),
            401 => QueryError::new(
                ErrorKind::Auth,
                format!(
                    "Graph refused the token twice (401{}): sign in again with `hunt login` (signed in with {}) ({ids})",
                    service.map(|m| format!(": {m}")).unwrap_or_default(),
                    self.provider
                ),
            ),
            403 => QueryError::new(
                ErrorKind::Auth,
                format!(
                    "{} ({ids})",
                    forbidden_reason(self.token, service.as_deref())
                ),
            ),
            429 => {
                let wait = self.retry_after.unwrap_or(DEFAULT_THROTTLE_WAIT);
                let when = if self.retry_after.is_some() {
                    format!("retry in {} s", wait.as_secs_f64().ceil() as u64)
                } else {
                    format!("no Retry-After given: wait at least {} s", wait.as_secs())
                };
                let service =
                    service.unwrap_or_else(|| "the tenant's call or CPU quota is spent".into());
                QueryError::throttled(
                    format!(
                        "throttled by Graph (429{}): {}; {when}. Calls that come early count against the quota and prolong the block ({ids})",
                        code_text(&code, status),
                        service.trim_end_matches('.')
                    ),
                    Some(wait),
                )
            }
            500..=599 => {
                let explanation = match (status, service) {
                    (_, Some(message)) => message,
                    // Not Graph's envelope: a gateway or proxy answered.
                    _ if envelope.is_none() && !self.body.is_empty() => {
                        format!("it sent {}", describe_body(self.body))
                    }
                    (504, None) => "probably too expensive: the query ran past the service's 3-minute limit; narrow the time range or the tables".into(),
                    (_, None) => "probably too expensive, or a fault in the service: narrow the time range or the tables, or try again later".into(),
                };
                QueryError::new(
                    ErrorKind::Network,
                    format!(
                        "Graph failed ({status}{}): {explanation} ({ids})",
                        code_text(&code, status)
                    ),
                )
            }
            _ => QueryError::new(
                ErrorKind::Network,
                format!(
                    "Graph answered HTTP {status}: {} ({ids})",
                    service.unwrap_or_else(|| describe_body(self.body))
                ),
            ),
        }
    }
}

/// ` CODE` after the status in a message, unless it says nothing more (`429 429`).
fn code_text(code: &str, status: u16) -> String {
    if code.is_empty() || code == status.to_string() {
        String::new()
    } else {
        format!(" {code}")
    }
}

/// With no `Retry-After`, wait this long (F07: the first retry no sooner than 5 s).
pub const DEFAULT_THROTTLE_WAIT: Duration = Duration::from_secs(5);

/// The ids and date support needs, as one text.
fn ids_text(envelope: Option<&GraphError>, client_request_id: &str) -> String {
    let mut parts = Vec::new();
    if let Some(id) = envelope.and_then(|e| e.request_id.as_deref()) {
        parts.push(format!("request-id {id}"));
    }
    let client = envelope
        .and_then(|e| e.client_request_id.as_deref())
        .unwrap_or(client_request_id);
    parts.push(format!("client-request-id {client}"));
    if let Some(date) = envelope.and_then(|e| e.date.as_deref()) {
        parts.push(format!("date {date}"));
    }
    parts.join(", ")
}

/// What a body that is not Graph's error envelope looks like, briefly.
fn describe_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(2048)]);
    let lower = text.to_ascii_lowercase();
    if body.is_empty() {
        "an empty body".into()
    } else if lower.contains("<html") || lower.contains("<!doctype") {
        "an HTML page (a proxy or gateway answered, not Graph)".into()
    } else {
        let first: String = text.chars().filter(|c| !c.is_control()).take(80).collect();
        format!("a body that is not Graph's error JSON: {first}")
    }
}

/// Why a 403 happened, read from the token's claims: the missing permission or the wrong
/// audience; otherwise Conditional Access or a role the service wants.
fn forbidden_reason(token: &str, service: Option<&str>) -> String {
    let service = service
        .map(|m| format!(" Graph says: {m}"))
        .unwrap_or_default();
    let Some(claims) = claims(token) else {
        return format!(
            "Graph refused the call (403): the token lacks {HUNTING_PERMISSION}, or Conditional Access blocked it.{service}"
        );
    };
    if !claims.is_for_graph() {
        return format!(
            "Graph refused the call (403): the token is for '{}', not Microsoft Graph: get a token for https://graph.microsoft.com.{service}",
            claims.audience.unwrap_or_default()
        );
    }
    if !claims.has_hunting_permission() {
        let held: Vec<&String> = claims.scopes.iter().chain(&claims.roles).collect();
        let held = if held.is_empty() {
            "none".to_string()
        } else {
            held.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        return format!(
            "Graph refused the call (403): the token lacks {HUNTING_PERMISSION} (it has: {held}); an administrator must grant it to the app {}.{service}",
            claims.app.unwrap_or_default()
        );
    }
    format!(
        "Graph refused the call (403) although the token has {HUNTING_PERMISSION}: Conditional Access, or a Defender role the account lacks.{service}"
    )
}

/// `Retry-After` as seconds (fractional accepted: Graph sends `2.128`) or an HTTP date; a
/// negative or unreadable value counts as absent. Never read as milliseconds (F07).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let at = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(at.timestamp()).ok()?);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// At most `limit` calls in any rolling `window`; a call over it waits and says so.
struct Pacer {
    limit: usize,
    window: Duration,
    sent: Mutex<VecDeque<Instant>>,
}

impl Pacer {
    fn new(limit: usize, window: Duration) -> Pacer {
        Pacer {
            limit,
            window,
            sent: Mutex::new(VecDeque::new()),
        }
    }

    /// How long until a call may go out; records the call when it may go now.
    fn try_acquire(&self, now: Instant) -> Option<Duration> {
        let mut sent = lock(&self.sent);
        while sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            sent.pop_front();
        }
        if sent.len() < self.limit {
            sent.push_back(now);
            return None;
        }
        sent.front()
            .map(|oldest| (*oldest + self.window).saturating_duration_since(now))
    }

    async fn acquire(&self, progress: &Progress) {
        while let Some(wait) = self.try_acquire(Instant::now()) {
            progress(format!(
                "waiting for the call quota ({} a minute): {} s",
                self.limit,
                wait.as_secs_f64().ceil() as u64
            ));
            tokio::time::sleep(wait.min(Duration::from_secs(1))).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_fractions_and_dates() {
        let mut headers = HeaderMap::new();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        headers.insert(RETRY_AFTER, "0.249".parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_millis(249)));
        headers.insert(RETRY_AFTER, "2.128".parse().unwrap());
        assert_eq!(
            retry_after(&headers, now),
            Some(Duration::from_millis(2128))
        );
        headers.insert(RETRY_AFTER, "120".parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(120)));
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        headers.insert(
            RETRY_AFTER,
            "Tue, 14 Nov 2023 22:13:50 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));
        headers.insert(RETRY_AFTER, "-3".parse().unwrap());
        assert_eq!(retry_after(&headers, now), None);
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn the_pacer_allows_45_calls_a_rolling_minute() {
        let pacer = Pacer::new(45, Duration::from_secs(60));
        let start = Instant::now();
        for i in 0..45 {
            assert_eq!(pacer.try_acquire(start + Duration::from_millis(i)), None);
        }
        let wait = pacer.try_acquire(start + Duration::from_secs(10)).unwrap();
        assert_eq!(wait, Duration::from_secs(50));
        // The first call leaves the window a minute after it went out.
        assert_eq!(pacer.try_acquire(start + Duration::from_secs(60)), None);
        assert!(pacer.try_acquire(start + Duration::from_secs(60)).is_some());
    }

    #[test]
    fn urls_and_windows() {
        let mut options = GraphOptions::for_cloud(Cloud::UsGov, "t");
        assert_eq!(
            options.url(),
            "https://graph.microsoft.us/v1.0/security/runHuntingQuery"
        );
        options.api = ApiVersion::Beta;
        options.endpoint = "http://127.0.0.1:9/".into();
        assert_eq!(
            options.url(),
            "http://127.0.0.1:9/beta/security/runHuntingQuery"
        );
        options.endpoint = "https://graph.example/v1.0".into();
        assert_eq!(
            options.url(),
            "https://graph.example/v1.0/security/runHuntingQuery"
        );
        let now = crate::kql::time::parse_datetime("2024-03-01T12:00:00Z").unwrap();
        assert_eq!(describe_timespan(None, now), "last 30d");
        assert_eq!(describe_timespan(Some("P7D"), now), "last 7d");
        assert_eq!(describe_timespan(Some("PT12H"), now), "last 12h");
        assert_eq!(
            describe_timespan(Some("2024-01-01T00:00:00Z/2024-01-02T00:00:00Z"), now),
            "2024-01-01 00:00 – 2024-01-02 00:00"
        );
        assert_eq!(describe_timespan(Some("P1M"), now), "P1M");
    }

    #[test]
    fn forbidden_names_the_missing_permission() {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let token = format!(
            "{}.{}.x",
            b64("{}"),
            b64(
                r#"{"aud":"https://graph.microsoft.com","scp":"User.Read","app_displayname":"hunt-app"}"#
            )
        );
        let reason = forbidden_reason(&token, None);
        assert!(
            reason.contains("lacks ThreatHunting.Read.All (it has: User.Read)"),
            "{reason}"
        );
        assert!(!reason.contains(&token));
        let wrong = format!(
            "{}.{}.x",
            b64("{}"),
            b64(r#"{"aud":"https://management.azure.com"}"#)
        );
        assert!(forbidden_reason(&wrong, None).contains("not Microsoft Graph"));
    }
}
