//! `hunt serve`: Microsoft Graph's `runHuntingQuery` contract answered by a local backend (the
//! lab data by default), so a team can practise, and the Graph client is tested end to end on
//! loopback. Request, response and error envelope follow GRAPH.md; the bearer token, when one is
//! set, is compared in constant time, and a bind beyond loopback is refused without one.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::backend::{Backend, ErrorKind, QueryError, QueryRequest};
use crate::graph::token::Secret;
use crate::results::export::write_graph_response;

/// The address `hunt serve` listens on when `--bind` is not given.
pub const DEFAULT_BIND: &str = "127.0.0.1:7878";

/// The largest request body read (a query is text; this is far above any real one).
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Refuses to listen beyond loopback without a token: anyone who can reach the port could
/// otherwise query the data.
pub fn check_bind(addr: &SocketAddr, token: Option<&Secret>) -> Result<(), String> {
    if token.is_some_and(|t| t.expose().trim().is_empty()) {
        return Err("--token is empty: give the token clients must send".into());
    }
    if addr.ip().is_loopback() || token.is_some() {
        Ok(())
    } else {
        Err(format!(
            "refusing to listen on {addr} without a token: anyone who reaches it could query the data; add --token (or bind 127.0.0.1)"
        ))
    }
}

/// What the server shares between connections.
struct Shared {
    backend: Arc<dyn Backend>,
    /// SHA-256 of the expected bearer token: comparing digests in constant time also hides the
    /// token's length.
    token_digest: Option<[u8; 32]>,
    /// Log lines (one per request; never a header, token or query text) go here.
    log: Box<dyn Fn(String) + Send + Sync>,
}

/// Answers requests on `listener` until `shutdown` is cancelled. Each connection and each query
/// runs on its own task; a client that disconnects cancels its query.
pub async fn serve(
    listener: TcpListener,
    backend: Arc<dyn Backend>,
    token: Option<Secret>,
    log: Box<dyn Fn(String) + Send + Sync>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let shared = Arc::new(Shared {
        backend,
        token_digest: token.map(|t| digest(t.expose())),
        log,
    });
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // A failed accept (too many open files, a reset) does not stop the server.
                Err(e) => {
                    (shared.log)(format!("accept failed: {e}"));
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let shared = shared.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle(&shared, request, peer).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = shutdown.cancelled() => {}
            }
        });
    }
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// The body Graph takes; the metadata names the parameters in lowercase, Microsoft's samples
/// send `Query`/`Timespan`: both are read.
#[derive(Deserialize)]
struct HuntingRequest {
    #[serde(alias = "Query")]
    query: Option<String>,
    #[serde(alias = "Timespan")]
    timespan: Option<String>,
}

async fn handle(
    shared: &Shared,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = request
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 100)
        .map(str::to_string);
    let ids = Ids {
        request_id,
        client_request_id,
    };
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let (response, note) = answer(shared, request, &ids).await;
    let status = response.status().as_u16();
    (shared.log)(format!(
        "{peer} {method} {} {status} {note} {} ms",
        crate::results::safe::sanitize(&path)
            .text
            .chars()
            .take(200)
            .collect::<String>(),
        started.elapsed().as_millis()
    ));
    with_ids(response, &ids)
}

struct Ids {
    request_id: String,
    client_request_id: Option<String>,
}

/// The response, and a short note for the log line (`12 rows`, the error code).
async fn answer(
    shared: &Shared,
    request: Request<Incoming>,
    ids: &Ids,
) -> (Response<Full<Bytes>>, String) {
    let path = request
        .uri()
        .path()
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let version = match path.as_str() {
        "/v1.0/security/runhuntingquery" => "v1.0",
        "/beta/security/runhuntingquery" => "beta",
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                "hunt serve answers POST /v1.0/security/runHuntingQuery (or /beta/…) only",
                ids,
            );
        }
    };
    if request.method() != Method::POST {
        let (mut response, note) = error(
            StatusCode::METHOD_NOT_ALLOWED,
            "BadRequest",
            "runHuntingQuery takes POST",
            ids,
        );
        response
            .headers_mut()
            .insert("allow", HeaderValue::from_static("POST"));
        return (response, note);
    }
    if let Some(expected) = &shared.token_digest {
        let given = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            });
        let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) else {
            return error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Access token is empty.",
                ids,
            );
        };
        if !bool::from(digest(given).ct_eq(expected)) {
            return error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Access token validation failure.",
                ids,
            );
        }
    }
    // A stated length over the limit is refused before any byte is read.
    let stated = request
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if stated.is_some_and(|n| n > MAX_REQUEST_BYTES as u64) {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BadRequest",
            &format!("the request body is over {MAX_REQUEST_BYTES} bytes"),
            ids,
        );
    }
    let body = match Limited::new(request.into_body(), MAX_REQUEST_BYTES)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "BadRequest",
                &format!("the request body is over {MAX_REQUEST_BYTES} bytes"),
                ids,
            );
        }
    };
    let parsed: HuntingRequest = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("the request body is not the runHuntingQuery JSON: {e}"),
                ids,
            );
        }
    };
    let Some(query) = parsed.query.filter(|q| !q.trim().is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the request has no query",
            ids,
        );
    };
    let run = shared.backend.run(
        QueryRequest {
            query,
            timespan: parsed.timespan,
        },
        CancellationToken::new(),
    );
    let result = match run.await {
        Ok(result) => result,
        Err(e) => {
            let (status, code) = error_status(&e);
            return error(status, code, &e.to_string(), ids);
        }
    };
    let context = format!(
        "https://graph.microsoft.com/{version}/$metadata#microsoft.graph.security.huntingQueryResults"
    );
    let rows = result.row_count();
    // Encoding 100,000 rows takes a while: off the async threads.
    let encoded = tokio::task::spawn_blocking(move || {
        let mut body = Vec::new();
        write_graph_response(&result, Some(&context), &mut body).map(|()| body)
    })
    .await;
    match encoded {
        Ok(Ok(body)) => {
            let mut response = Response::new(Full::new(Bytes::from(body)));
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            (response, format!("{rows} rows"))
        }
        _ => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UnknownError",
            "the result could not be encoded",
            ids,
        ),
    }
}

/// The HTTP status and Graph error code for a failed query.
fn error_status(error: &QueryError) -> (StatusCode, &'static str) {
    match error.kind {
        ErrorKind::Syntax | ErrorKind::Semantic | ErrorKind::Unsupported | ErrorKind::Execution => {
            (StatusCode::BAD_REQUEST, "BadRequest")
        }
        ErrorKind::Auth => (StatusCode::FORBIDDEN, "Forbidden"),
        ErrorKind::Throttled => (StatusCode::TOO_MANY_REQUESTS, "TooManyRequests"),
        ErrorKind::Network => (StatusCode::INTERNAL_SERVER_ERROR, "UnknownError"),
    }
}

/// Graph's error envelope: `{"error": {"code", "message", "innerError": {"date", "request-id",
/// "client-request-id"}}}`.
fn error(
    status: StatusCode,
    code: &str,
    message: &str,
    ids: &Ids,
) -> (Response<Full<Bytes>>, String) {
    let mut inner = serde_json::json!({
        "date": crate::kql::time::format_datetime(crate::kql::time::now())
            .split('.')
            .next()
            .unwrap_or_default(),
        "request-id": ids.request_id,
    });
    if let Some(client) = &ids.client_request_id {
        inner["client-request-id"] = serde_json::Value::String(client.clone());
    }
    let body =
        serde_json::json!({"error": {"code": code, "message": message, "innerError": inner}});
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert("www-authenticate", HeaderValue::from_static("Bearer"));
    }
    (response, code.to_string())
}

fn with_ids(mut response: Response<Full<Bytes>>, ids: &Ids) -> Response<Full<Bytes>> {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&ids.request_id) {
        headers.insert("request-id", value);
    }
    if let Some(value) = ids
        .client_request_id
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        headers.insert("client-request-id", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_loopback_binds_need_a_token() {
        let lan: SocketAddr = "0.0.0.0:7878".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:7878".parse().unwrap();
        let local6: SocketAddr = "[::1]:7878".parse().unwrap();
        assert!(check_bind(&local, None).is_ok());
        assert!(check_bind(&local6, None).is_ok());
        assert!(check_bind(&lan, None).unwrap_err().contains("--token"));
        assert!(check_bind(&lan, Some(&Secret::new("t"))).is_ok());
        assert!(
            check_bind(&local, Some(&Secret::new(" ")))
                .unwrap_err()
                .contains("empty")
        );
    }
}
