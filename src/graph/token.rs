//! Access tokens: the secret type that never prints, the provider trait every sign-in flow
//! implements, and reading a token's claims (for `hunt whoami` and for explaining a 403).
//! Claims are read without verifying the signature: they only explain, they never authorise.
//! Claim names: Microsoft identity platform "Access token claims reference".

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;

use crate::backend::BoxFuture;

/// A secret (access token, refresh token, client secret, assertion). Its `Debug` and `Display`
/// never show the value; only `expose` does, at the one place it goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for an `Authorization` header or a token request body. Never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

/// A bearer token and when it stops working.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessToken {
    pub secret: Secret,
    /// `None` when nobody said (a static token that is not a JWT).
    pub expires_at: Option<SystemTime>,
}

/// How long before expiry a token is refreshed: a query that starts with a token that lapses
/// mid-flight would fail with 401.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

impl AccessToken {
    /// A token whose expiry comes from its own `exp` claim when it has one.
    pub fn from_jwt(secret: Secret) -> AccessToken {
        let expires_at = claims(secret.expose()).and_then(|c| c.expires_at);
        AccessToken { secret, expires_at }
    }

    /// Still good for at least `REFRESH_MARGIN` (a token with no known expiry counts as good).
    pub fn is_fresh(&self, now: SystemTime) -> bool {
        self.expires_at.is_none_or(|at| {
            at.duration_since(now)
                .is_ok_and(|left| left > REFRESH_MARGIN)
        })
    }
}

/// An instant as `YYYY-MM-DD HH:MM:SSZ` (UTC, whole seconds), as messages show token expiries;
/// `None` before 1970 or past what chrono holds.
pub fn format_instant(at: SystemTime) -> Option<String> {
    let secs = i64::try_from(at.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
    chrono::DateTime::from_timestamp(secs, 0).map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
}

/// A sign-in failure. The message is for the user and never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    pub message: String,
    /// The sign-in service could not be reached (network, TLS, timeout): a network failure
    /// (exit 5), not a refusal (exit 3).
    pub unreachable: bool,
}

impl AuthError {
    pub fn new(message: impl Into<String>) -> AuthError {
        AuthError {
            message: message.into(),
            unreachable: false,
        }
    }

    /// A failure to reach the sign-in service at all.
    pub fn unreachable(message: impl Into<String>) -> AuthError {
        AuthError {
            unreachable: true,
            ..AuthError::new(message)
        }
    }

    /// The CLI exit code (CLI.md): 5 when the service could not be reached, else 3.
    pub fn exit_code(&self) -> i32 {
        if self.unreachable { 5 } else { 3 }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AuthError {}

/// Where bearer tokens come from (a static token, client credentials, a cached device-code
/// sign-in, the Azure CLI). Implementations keep the current token and refresh it before it
/// expires.
pub trait TokenProvider: Send + Sync {
    /// What this provider is, for `hunt whoami` and messages (`device-code sign-in (cached)`).
    fn describe(&self) -> String;

    /// A token good for the next call. `force_refresh` is set after a 401: the cached token
    /// was refused, so get a new one if this provider can.
    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, AuthError>>;
}

/// What a token says about itself (JWT payload claims), decoded without verification.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims {
    /// `tid`: the tenant (directory) id.
    pub tenant: Option<String>,
    /// `upn`, `preferred_username` or `unique_name`: the signed-in user.
    pub user: Option<String>,
    /// `app_displayname`, else `appid`/`azp`: the application.
    pub app: Option<String>,
    /// `appid` or `azp`: the application (client) id.
    pub app_id: Option<String>,
    /// `aud`: who the token is for (`https://graph.microsoft.com` or its id).
    pub audience: Option<String>,
    /// `scp`, split: delegated permissions.
    pub scopes: Vec<String>,
    /// `roles`: application permissions.
    pub roles: Vec<String>,
    /// `exp`.
    pub expires_at: Option<SystemTime>,
}

/// The permission `runHuntingQuery` needs (delegated or application).
pub const HUNTING_PERMISSION: &str = "ThreatHunting.Read.All";

/// Graph's application id, which some tokens carry as `aud` instead of the URL.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

impl Claims {
    /// Whether the token carries `ThreatHunting.Read.All` as a scope or a role.
    pub fn has_hunting_permission(&self) -> bool {
        self.scopes
            .iter()
            .chain(&self.roles)
            .any(|p| p.eq_ignore_ascii_case(HUNTING_PERMISSION))
    }

    /// Whether the audience is Microsoft Graph (any cloud's host, or Graph's app id).
    pub fn is_for_graph(&self) -> bool {
        self.audience.as_deref().is_none_or(|aud| {
            let aud = aud.trim_end_matches('/');
            aud == GRAPH_APP_ID
                || aud.ends_with("graph.microsoft.com")
                || aud.ends_with("graph.microsoft.us")
                || aud.ends_with("chinacloudapi.cn")
        })
    }
}

/// Reads a JWT's payload (the middle part); `None` when the text is not a JWT.
pub fn claims(token: &str) -> Option<Claims> {
    let mut parts = token.trim().split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    parts.next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_string);
    let app_id = text("appid").or_else(|| text("azp"));
    Some(Claims {
        tenant: text("tid"),
        user: text("upn")
            .or_else(|| text("preferred_username"))
            .or_else(|| text("unique_name")),
        app: text("app_displayname").or_else(|| app_id.clone()),
        app_id,
        audience: text("aud"),
        scopes: text("scp")
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        roles: value
            .get("roles")
            .and_then(|r| r.as_array())
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        expires_at: value
            .get("exp")
            .and_then(|e| e.as_u64())
            // checked: an absurd `exp` must not overflow SystemTime (that panics).
            .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", b64(r#"{"alg":"none"}"#), b64(payload))
    }

    #[test]
    fn secrets_never_format() {
        let secret = Secret::new("eyJ-very-secret");
        assert!(!format!("{secret:?} {secret}").contains("very-secret"));
        let token = AccessToken {
            secret,
            expires_at: None,
        };
        assert!(!format!("{token:?}").contains("very-secret"));
    }

    #[test]
    fn claims_explain_a_token() {
        let token = jwt(
            r#"{"tid":"t-1","upn":"ana@contoso.example","aud":"https://graph.microsoft.com","scp":"User.Read ThreatHunting.Read.All","exp":2000000000,"appid":"app-1"}"#,
        );
        let claims = claims(&token).unwrap();
        assert_eq!(claims.tenant.as_deref(), Some("t-1"));
        assert_eq!(claims.user.as_deref(), Some("ana@contoso.example"));
        assert!(claims.has_hunting_permission());
        assert!(claims.is_for_graph());
        assert_eq!(
            claims.expires_at,
            Some(UNIX_EPOCH + Duration::from_secs(2_000_000_000))
        );
        let app = claims_of(r#"{"roles":["Mail.Read"],"aud":"https://management.azure.com"}"#);
        assert!(!app.has_hunting_permission());
        assert!(!app.is_for_graph());
        assert!(super::claims("not-a-jwt").is_none());
        let absurd = claims_of(r#"{"exp":18446744073709551615}"#);
        assert_eq!(absurd.expires_at, None);
    }

    fn claims_of(payload: &str) -> Claims {
        claims(&jwt(payload)).unwrap()
    }

    #[test]
    fn freshness_keeps_a_margin() {
        let now = SystemTime::now();
        let token = |secs| AccessToken {
            secret: Secret::new("x"),
            expires_at: Some(now + Duration::from_secs(secs)),
        };
        assert!(token(3600).is_fresh(now));
        assert!(!token(60).is_fresh(now));
    }
}
