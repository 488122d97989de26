//! What every OAuth 2.0 exchange with Microsoft Entra ID shares: the endpoint URLs, the oauth2
//! crate's client typed for Microsoft's token replies, our reqwest 0.13 client adapted to oauth2's
//! `AsyncHttpClient`, and turning failures into messages that never hold a secret.
//! Endpoints: Microsoft identity platform, "OAuth 2.0 client credentials flow" and "OAuth 2.0
//! device authorization grant" (`https://{login-host}/{tenant}/oauth2/v2.0/{token,devicecode}`).

use std::fmt;
use std::time::{Duration, SystemTime};

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    EndpointNotSet, EndpointSet, ErrorResponseType, HttpRequest, HttpResponse, RequestTokenError,
    StandardErrorResponse, StandardRevocableToken, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};

use crate::backend::BoxFuture;
use crate::graph::token::{AccessToken, AuthError, Secret};

/// The most of a sign-in service reply hunt reads (token replies are a few kilobytes).
const MAX_REPLY_BYTES: usize = 1024 * 1024;

/// Token reply fields beyond RFC 6749's that hunt uses: the ID token (only when `openid` was
/// asked for, which hunt does not; read when present for the account name).
#[derive(Clone, Default, Deserialize, Serialize)]
pub(crate) struct MsTokenFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl fmt::Debug for MsTokenFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MsTokenFields(redacted)")
    }
}

impl oauth2::ExtraTokenFields for MsTokenFields {}

pub(crate) type MsTokenResponse = StandardTokenResponse<MsTokenFields, BasicTokenType>;

/// oauth2's client with Microsoft's token reply; `D`/`T`: whether the device-code and token
/// endpoints are set.
pub(crate) type MsClient<D, T> = oauth2::Client<
    BasicErrorResponse,
    MsTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    D,
    EndpointNotSet,
    EndpointNotSet,
    T,
>;

/// Checks a tenant (a directory id, a domain such as `contoso.onmicrosoft.com`, or `organizations`,
/// `common`), which becomes part of a URL path: only letters, digits, `-`, `.` and `_`.
pub(crate) fn check_tenant(tenant: &str) -> Result<String, AuthError> {
    let tenant = tenant.trim();
    let ok = !tenant.is_empty()
        && tenant.len() <= 256
        && !tenant.starts_with('.')
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if ok {
        Ok(tenant.to_string())
    } else {
        Err(AuthError::new(format!(
            "tenant '{}' is not a tenant id or domain name",
            clean(tenant, 80)
        )))
    }
}

/// `{authority}/{tenant}/oauth2/v2.0/{leaf}` (`leaf`: `token` or `devicecode`).
pub(crate) fn tenant_url(authority: &str, tenant: &str, leaf: &str) -> String {
    format!(
        "{}/{tenant}/oauth2/v2.0/{leaf}",
        authority.trim_end_matches('/')
    )
}

/// oauth2's client for one application at one token URL; the client id travels in the body
/// (Microsoft's documented form), never as HTTP Basic.
pub(crate) fn token_client(
    client_id: &str,
    token_url: &str,
) -> Result<MsClient<EndpointNotSet, EndpointSet>, AuthError> {
    let url = oauth2::TokenUrl::new(token_url.to_string())
        .map_err(|e| AuthError::new(format!("token URL '{token_url}': {e}")))?;
    Ok(MsClient::new(oauth2::ClientId::new(client_id.to_string()))
        .set_auth_type(oauth2::AuthType::RequestBody)
        .set_token_uri(url))
}

/// A failed HTTP exchange (no reply): connection, TLS, timeout, or a reply too large.
#[derive(Debug)]
pub(crate) struct HttpError(pub String);

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

/// Our reqwest client as oauth2's `AsyncHttpClient` (oauth2 5 implements that trait for any
/// `Fn(HttpRequest) -> Future<Output = Result<HttpResponse, E>>`; its own reqwest support is for
/// reqwest 0.12, which hunt does not build).
pub(crate) fn transport(
    http: reqwest::Client,
) -> impl Fn(HttpRequest) -> BoxFuture<'static, Result<HttpResponse, HttpError>> + Send + Sync {
    move |request| {
        let http = http.clone();
        Box::pin(async move { send(&http, request).await })
    }
}

/// Sends one request and reads the whole reply (at most `MAX_REPLY_BYTES`).
pub(crate) async fn send(
    http: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    let request = reqwest::Request::try_from(request)
        .map_err(|e| HttpError(format!("could not build the request: {}", error_chain(&e))))?;
    let host = request.url().host_str().unwrap_or_default().to_string();
    let mut response = http.execute(request).await.map_err(|e| {
        HttpError(if e.is_timeout() {
            format!("{host} did not answer in time")
        } else {
            format!("could not reach {host}: {}", error_chain(&e))
        })
    })?;
    let mut reply = oauth2::http::Response::builder().status(response.status().as_u16());
    // oauth2 checks the content type of a successful reply; nothing else is needed.
    if let Some(kind) = response.headers().get(reqwest::header::CONTENT_TYPE) {
        reply = reply.header(oauth2::http::header::CONTENT_TYPE, kind.as_bytes());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        HttpError(format!(
            "reading the reply from {host}: {}",
            error_chain(&e)
        ))
    })? {
        if body.len() + chunk.len() > MAX_REPLY_BYTES {
            return Err(HttpError(format!("the reply from {host} is too large")));
        }
        body.extend_from_slice(&chunk);
    }
    reply
        .body(body)
        .map_err(|e| HttpError(format!("the reply from {host}: {e}")))
}

/// An error and its causes on one line (`could not connect: Connection refused`), shortened.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    clean(&text, 300)
}

/// What went wrong in an exchange with the sign-in service, without any secret: the reply's
/// body is never kept (a success that failed to parse holds tokens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The service answered with an OAuth error (`invalid_grant`) and the first line of its
    /// description (`AADSTS70000: ...`).
    Service {
        code: String,
        detail: Option<String>,
    },
    /// No answer: network, TLS, timeout.
    Transport(String),
    /// An answer that is not the JSON expected (`where` names the field when known).
    Unreadable(String),
    /// oauth2's own complaints (an empty reply, a wrong content type).
    Other(String),
}

impl Failure {
    /// The failure from oauth2's error; `secrets` are cut out of any text the service echoed.
    pub(crate) fn from_oauth<T>(
        error: RequestTokenError<HttpError, StandardErrorResponse<T>>,
        secrets: &[&str],
    ) -> Failure
    where
        T: ErrorResponseType + AsRef<str> + fmt::Display + 'static,
    {
        match error {
            RequestTokenError::ServerResponse(reply) => Failure::Service {
                code: clean(&redact(reply.error().as_ref(), secrets), 80),
                detail: reply
                    .error_description()
                    .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
                    .map(|d| clean(&redact(d, secrets), 300)),
            },
            RequestTokenError::Request(e) => Failure::Transport(redact(&e.0, secrets)),
            RequestTokenError::Parse(e, _body) => {
                let at = e.path().to_string();
                Failure::Unreadable(if at.is_empty() || at == "." {
                    "the reply is not the JSON expected".into()
                } else {
                    format!("the reply is not the JSON expected (at {})", clean(&at, 60))
                })
            }
            RequestTokenError::Other(text) => Failure::Other(clean(&redact(&text, secrets), 200)),
        }
    }

    /// The OAuth error code, when the service gave one.
    pub(crate) fn code(&self) -> Option<&str> {
        match self {
            Failure::Service { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Service { code, detail } => match detail {
                Some(detail) => write!(f, "{code}: {detail}"),
                None => f.write_str(code),
            },
            Failure::Transport(text) | Failure::Unreadable(text) | Failure::Other(text) => {
                f.write_str(text)
            }
        }
    }
}

/// A token reply as hunt keeps it.
pub(crate) struct Issued {
    pub access: AccessToken,
    pub refresh: Option<Secret>,
    pub id_token: Option<Secret>,
}

impl Issued {
    /// Reads oauth2's reply; `expires_in` (seconds) counts from `now`, else the token's own
    /// `exp` claim. An empty access token is refused.
    pub(crate) fn from_reply(reply: &MsTokenResponse, now: SystemTime) -> Result<Issued, String> {
        let secret = Secret::new(reply.access_token().secret().trim());
        if secret.expose().is_empty() {
            return Err("the reply holds no access token".into());
        }
        let mut access = AccessToken::from_jwt(secret);
        if let Some(lifetime) = reply.expires_in() {
            access.expires_at = now.checked_add(lifetime.min(Duration::from_secs(366 * 86_400)));
        }
        Ok(Issued {
            access,
            refresh: reply
                .refresh_token()
                .map(|r| Secret::new(r.secret().trim()))
                .filter(|r| !r.expose().is_empty()),
            id_token: reply
                .extra_fields()
                .id_token
                .as_deref()
                .map(Secret::new)
                .filter(|t| !t.expose().is_empty()),
        })
    }
}

/// Text from outside (a service, a program's stderr) made safe to show: control characters
/// (terminal escapes) become spaces, runs of space collapse, and at most `max` characters stay.
pub(crate) fn clean(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut space = false;
    for c in text.trim().chars() {
        let c = if c.is_control() { ' ' } else { c };
        if c == ' ' {
            if space {
                continue;
            }
            space = true;
        } else {
            space = false;
        }
        if count == max {
            out.push('…');
            break;
        }
        out.push(c);
        count += 1;
    }
    out.trim_end().to_string()
}

/// Cuts each of `secrets` out of `text` (a service that echoes a credential back must not get it
/// printed). Secrets shorter than 8 characters are left alone: they would match ordinary words.
pub(crate) fn redact(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_string();
    for secret in secrets {
        if secret.len() >= 8 {
            text = text.replace(secret, "(redacted)");
        }
    }
    text
}
