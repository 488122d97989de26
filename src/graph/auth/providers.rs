//! The token providers that talk OAuth 2.0 (or nothing at all): a static token, client
//! credentials with a secret or a certificate, and the cached device-code sign-in. Each keeps
//! its current token and hands it out while it is fresh (`AccessToken::is_fresh`), getting a new
//! one when it is not or when the caller says the last one was refused.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use oauth2::{RefreshToken, Scope};
use tokio::sync::Mutex;

use super::cache::{self, CacheEntry, CacheKey, Hidden, unix_seconds};
use super::cert::{ASSERTION_TYPE, CertificateCredential};
use super::oauth::{Failure, Issued, check_tenant, tenant_url, token_client, transport};
use crate::backend::BoxFuture;
use crate::graph::cloud::Cloud;
use crate::graph::token::{AccessToken, AuthError, Secret, TokenProvider, claims};

/// Hands out the held token while it is fresh, else the one `fetch` gets (then held). The lock
/// is held across the fetch, so callers at the same moment share one refresh.
async fn held_or<F, Fut>(
    held: &Mutex<Option<AccessToken>>,
    force_refresh: bool,
    fetch: F,
) -> Result<AccessToken, AuthError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<AccessToken, AuthError>>,
{
    let mut held = held.lock().await;
    if !force_refresh && let Some(token) = held.as_ref().filter(|t| t.is_fresh(SystemTime::now())) {
        return Ok(token.clone());
    }
    let token = fetch().await?;
    *held = Some(token.clone());
    Ok(token)
}

/// A token given as is (`HUNT_TOKEN`). It cannot be renewed: once refused or expired, the user
/// sets a new one.
#[derive(Debug)]
pub struct StaticToken {
    token: AccessToken,
}

/// Why a static token stopped working.
pub const STATIC_TOKEN_REFUSED: &str = "Graph refused the token in HUNT_TOKEN (401): set a new one";

impl StaticToken {
    /// The token (a leading `Bearer ` is dropped); its expiry is the JWT's `exp` when it is one.
    pub fn new(secret: Secret) -> StaticToken {
        let text = secret.expose().trim();
        let text = match text.get(..7) {
            Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => text[7..].trim(),
            _ => text,
        };
        StaticToken {
            token: AccessToken::from_jwt(Secret::new(text)),
        }
    }

    /// The token as given, expired or not (`hunt whoami` explains it either way).
    pub fn given(&self) -> &AccessToken {
        &self.token
    }
}

impl TokenProvider for StaticToken {
    fn describe(&self) -> String {
        "the token in HUNT_TOKEN".into()
    }

    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(async move {
            // Its own `exp` says so: no call is made with a token known to be dead.
            if let Some(at) = self.token.expires_at.filter(|at| *at <= SystemTime::now()) {
                let at = crate::graph::token::format_instant(at)
                    .map(|t| format!(" at {t}"))
                    .unwrap_or_default();
                return Err(AuthError::new(format!(
                    "the token in HUNT_TOKEN expired{at}: set a new one (`hunt whoami` shows its claims)"
                )));
            }
            if force_refresh {
                return Err(AuthError::new(STATIC_TOKEN_REFUSED));
            }
            Ok(self.token.clone())
        })
    }
}

/// Where an application signs in: its tenant's token URL and the scope it asks for
/// (`https://{graph-host}/.default`: the application permissions granted to it).
#[derive(Debug, Clone)]
struct AppEndpoint {
    tenant: String,
    client_id: String,
    token_url: String,
    scope: String,
}

impl AppEndpoint {
    fn new(
        authority_host: &str,
        tenant: &str,
        client_id: &str,
        cloud: Cloud,
    ) -> Result<AppEndpoint, AuthError> {
        let tenant = check_tenant(tenant)?;
        let client_id = client_id.trim().to_string();
        if client_id.is_empty() {
            return Err(AuthError::new("the application (client) id is empty"));
        }
        Ok(AppEndpoint {
            token_url: tenant_url(authority_host, &tenant, "token"),
            tenant,
            client_id,
            scope: cloud.app_scope(),
        })
    }

    /// The message for a failed client credentials request.
    fn failure(&self, failure: Failure) -> AuthError {
        let message = format!(
            "sign-in as application {} in tenant {} failed: {failure}",
            self.client_id, self.tenant
        );
        match failure {
            Failure::Transport(_) => AuthError::unreachable(message),
            _ => AuthError::new(message),
        }
    }

    fn issued(&self, reply: &super::oauth::MsTokenResponse) -> Result<AccessToken, AuthError> {
        Issued::from_reply(reply, SystemTime::now())
            .map(|issued| issued.access)
            .map_err(|e| self.failure(Failure::Unreadable(e)))
    }
}

/// Client credentials with a client secret (`AZURE_CLIENT_SECRET`): `POST
/// {authority}/{tenant}/oauth2/v2.0/token` with `grant_type=client_credentials`, `client_id`,
/// `client_secret`, `scope`. Facts: Microsoft identity platform, "OAuth 2.0 client credentials
/// flow".
#[derive(Debug)]
pub struct ClientSecret {
    http: reqwest::Client,
    app: AppEndpoint,
    secret: Secret,
    held: Mutex<Option<AccessToken>>,
}

impl ClientSecret {
    /// Errors: a tenant that is not an id or domain, an empty client id.
    pub fn new(
        http: reqwest::Client,
        authority_host: &str,
        tenant: &str,
        client_id: &str,
        secret: Secret,
        cloud: Cloud,
    ) -> Result<ClientSecret, AuthError> {
        Ok(ClientSecret {
            http,
            app: AppEndpoint::new(authority_host, tenant, client_id, cloud)?,
            secret,
            held: Mutex::new(None),
        })
    }

    async fn fetch(&self) -> Result<AccessToken, AuthError> {
        let client = token_client(&self.app.client_id, &self.app.token_url)?
            .set_client_secret(oauth2::ClientSecret::new(self.secret.expose().to_string()));
        let http = transport(self.http.clone());
        let reply = client
            .exchange_client_credentials()
            .add_scope(Scope::new(self.app.scope.clone()))
            .request_async(&http)
            .await
            .map_err(|e| {
                self.app
                    .failure(Failure::from_oauth(e, &[self.secret.expose()]))
            })?;
        self.app.issued(&reply)
    }
}

impl TokenProvider for ClientSecret {
    fn describe(&self) -> String {
        format!(
            "application {} in tenant {} (client secret)",
            self.app.client_id, self.app.tenant
        )
    }

    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(held_or(&self.held, force_refresh, || self.fetch()))
    }
}

/// Client credentials with a certificate (`AZURE_CLIENT_CERTIFICATE_PATH`): the same request as
/// with a secret, but authenticated by `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
/// and `client_assertion`, a JWT signed with the certificate's key, made fresh for each request.
/// Facts: Microsoft identity platform, "Certificate credentials".
#[derive(Debug)]
pub struct ClientCertificate {
    http: reqwest::Client,
    app: AppEndpoint,
    credential: CertificateCredential,
    held: Mutex<Option<AccessToken>>,
}

impl ClientCertificate {
    /// Errors: a tenant that is not an id or domain, an empty client id.
    pub fn new(
        http: reqwest::Client,
        authority_host: &str,
        tenant: &str,
        client_id: &str,
        credential: CertificateCredential,
        cloud: Cloud,
    ) -> Result<ClientCertificate, AuthError> {
        Ok(ClientCertificate {
            http,
            app: AppEndpoint::new(authority_host, tenant, client_id, cloud)?,
            credential,
            held: Mutex::new(None),
        })
    }

    async fn fetch(&self) -> Result<AccessToken, AuthError> {
        let assertion = self.credential.assertion(
            &self.app.client_id,
            &self.app.token_url,
            SystemTime::now(),
        )?;
        let client = token_client(&self.app.client_id, &self.app.token_url)?;
        let http = transport(self.http.clone());
        let reply = client
            .exchange_client_credentials()
            .add_scope(Scope::new(self.app.scope.clone()))
            .add_extra_param("client_assertion_type", ASSERTION_TYPE)
            .add_extra_param("client_assertion", assertion.expose().to_string())
            .request_async(&http)
            .await
            .map_err(|e| {
                self.app
                    .failure(Failure::from_oauth(e, &[assertion.expose()]))
            })?;
        self.app.issued(&reply)
    }
}

impl TokenProvider for ClientCertificate {
    fn describe(&self) -> String {
        format!(
            "application {} in tenant {} (certificate {}, SHA-256 {}…)",
            self.app.client_id,
            self.app.tenant,
            self.credential.path().display(),
            self.credential.thumbprint().get(..16).unwrap_or_default()
        )
    }

    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(held_or(&self.held, force_refresh, || self.fetch()))
    }
}

/// Says how to sign in again after a refresh the service refused.
pub const SIGN_IN_EXPIRED: &str = "your sign-in has expired: run `hunt login`";

/// The tokens of an earlier `hunt login` (device code), from the token cache: the access token
/// while it is fresh, then the refresh token (`grant_type=refresh_token`, the same delegated
/// scopes). Refresh tokens rotate, so the newest one returned is stored at once (atomically,
/// owner-only). Facts: Microsoft identity platform, "OAuth 2.0 authorization code flow",
/// "Refresh the access token".
#[derive(Debug)]
pub struct CachedSignIn {
    http: reqwest::Client,
    cache_file: PathBuf,
    key: CacheKey,
    cloud: Cloud,
    authority: String,
    tenant: String,
    client_id: String,
    token_url: String,
    account: Option<String>,
    tenant_id: Option<String>,
    state: Mutex<SignInState>,
}

#[derive(Debug, Default)]
struct SignInState {
    token: Option<AccessToken>,
    /// A refreshed entry the cache file could not take (a full disk): used for the next refresh
    /// instead of the file's older one, and written again then.
    unsaved: Option<CacheEntry>,
}

impl CachedSignIn {
    /// Opens the cached sign-in for (`authority_host`, `tenant`, `client_id`). Errors: not
    /// signed in (no entry), or the cache cannot be used (the message says why; it is then
    /// treated as not signed in).
    pub fn open(
        http: reqwest::Client,
        cache_file: &Path,
        cloud: Cloud,
        authority_host: &str,
        tenant: &str,
        client_id: &str,
    ) -> Result<CachedSignIn, AuthError> {
        let tenant = check_tenant(tenant)?;
        let key = CacheKey::new(cloud.name(), authority_host, &tenant, client_id);
        let entry = cache::find(cache_file, &key)
            .map_err(AuthError::new)?
            .ok_or_else(|| {
                AuthError::new(format!(
                    "not signed in (no device-code sign-in for tenant {tenant} and application {}): run `hunt login`",
                    client_id.trim()
                ))
            })?;
        Ok(CachedSignIn {
            http,
            cache_file: cache_file.to_path_buf(),
            key,
            cloud,
            authority: authority_host.trim_end_matches('/').to_string(),
            token_url: tenant_url(authority_host, &tenant, "token"),
            tenant,
            client_id: client_id.trim().to_string(),
            account: entry.account.clone(),
            tenant_id: entry.tenant_id.clone(),
            state: Mutex::new(SignInState::default()),
        })
    }

    async fn refresh(
        &self,
        state: &mut SignInState,
        force_refresh: bool,
    ) -> Result<AccessToken, AuthError> {
        // The file is read again each time: another hunt may have refreshed (and rotated the
        // refresh token) since this one started.
        let entry = match state.unsaved.clone() {
            Some(entry) => entry,
            None => cache::find(&self.cache_file, &self.key)
                .map_err(AuthError::new)?
                .ok_or_else(|| AuthError::new("not signed in: run `hunt login`"))?,
        };
        let now = SystemTime::now();
        let on_disk = entry.access_token();
        let refused = state.token.as_ref().map(|t| &t.secret);
        if on_disk.is_fresh(now) && !(force_refresh && refused == Some(&on_disk.secret)) {
            return Ok(on_disk);
        }
        let Some(refresh) = entry.refresh_token.as_ref().map(Hidden::secret) else {
            return Err(AuthError::new(SIGN_IN_EXPIRED));
        };
        let client = token_client(&self.client_id, &self.token_url)?;
        let http = transport(self.http.clone());
        let reply = client
            .exchange_refresh_token(&RefreshToken::new(refresh.expose().to_string()))
            .add_scopes(self.cloud.delegated_scopes().into_iter().map(Scope::new))
            .request_async(&http)
            .await
            .map_err(|e| refresh_failure(Failure::from_oauth(e, &[refresh.expose()])))?;
        let issued =
            Issued::from_reply(&reply, now).map_err(|e| refresh_failure(Failure::Unreadable(e)))?;
        let said = issued
            .id_token
            .as_ref()
            .and_then(|t| claims(t.expose()))
            .or_else(|| claims(issued.access.secret.expose()));
        let updated = CacheEntry {
            access_token: Hidden::new(&issued.access.secret),
            expires_at: issued.access.expires_at.map(unix_seconds),
            // The service may not return a new one; then the old one stays good.
            refresh_token: Some(Hidden::new(issued.refresh.as_ref().unwrap_or(&refresh))),
            account: said
                .as_ref()
                .and_then(|c| c.user.clone())
                .or(entry.account.clone()),
            tenant_id: said
                .as_ref()
                .and_then(|c| c.tenant.clone())
                .or(entry.tenant_id.clone()),
            saved_at: unix_seconds(now),
            ..entry
        };
        state.unsaved = match cache::store(&self.cache_file, updated.clone()) {
            Ok(()) => None,
            Err(_) => Some(updated),
        };
        Ok(issued.access)
    }
}

/// The message for a refresh that failed.
fn refresh_failure(failure: Failure) -> AuthError {
    let unreachable = matches!(failure, Failure::Transport(_));
    let message = match &failure {
        Failure::Service { code, .. }
            if code == "temporarily_unavailable" || code == "server_error" =>
        {
            format!("the sign-in service is not available right now ({failure}); try again")
        }
        Failure::Service { .. } => format!("{SIGN_IN_EXPIRED} ({failure})"),
        Failure::Transport(_) => format!("could not renew your sign-in: {failure}"),
        Failure::Unreadable(_) | Failure::Other(_) => {
            format!("could not renew your sign-in: the sign-in service's reply: {failure}")
        }
    };
    if unreachable {
        AuthError::unreachable(message)
    } else {
        AuthError::new(message)
    }
}

impl TokenProvider for CachedSignIn {
    fn describe(&self) -> String {
        let mut text = String::from("device-code sign-in (cached)");
        if let Some(account) = &self.account {
            text.push_str(&format!(" as {account}"));
        }
        text.push_str(&format!(
            " in tenant {}",
            self.tenant_id.as_deref().unwrap_or(&self.tenant)
        ));
        if self.authority != self.cloud.authority_host() {
            text.push_str(&format!(" via {}", self.authority));
        }
        text
    }

    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(async move {
            let mut state = self.state.lock().await;
            if !force_refresh
                && let Some(token) = state
                    .token
                    .as_ref()
                    .filter(|t| t.is_fresh(SystemTime::now()))
            {
                return Ok(token.clone());
            }
            let token = self.refresh(&mut state, force_refresh).await?;
            state.token = Some(token.clone());
            Ok(token)
        })
    }
}
