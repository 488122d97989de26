//! Signing in to Microsoft Entra ID for Microsoft Graph (GRAPH.md, "Signing in"): which token
//! provider to use (`select_provider`), the providers themselves, the device-code sign-in behind
//! `hunt login` (`device_code_login`), and forgetting it (`logout`).
//!
//! Which parts use the oauth2 crate: the token requests (client credentials with a secret or a
//! certificate assertion, refresh, the device-code request and its polling) are oauth2's, over our
//! own reqwest 0.13 client. The certificate assertion (jsonwebtoken), the token cache and the Azure
//! CLI are hunt's own.
//!
//! Secrets (tokens, refresh tokens, client secrets, assertions) travel as `Secret` and never
//! appear in an error, a log line or `Debug` output.

mod azcli;
mod cache;
mod cert;
mod oauth;
mod providers;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use oauth2::{
    DeviceAuthorizationResponse, DeviceAuthorizationUrl, ExtraDeviceAuthorizationFields,
    HttpRequest, HttpResponse, Scope,
};
use serde::{Deserialize, Serialize};

pub use azcli::{AZ_TIMEOUT, AzureCli};
pub use cert::{ASSERTION_LIFETIME_SECS, ASSERTION_TYPE, CertificateCredential};
pub use providers::{
    CachedSignIn, ClientCertificate, ClientSecret, SIGN_IN_EXPIRED, STATIC_TOKEN_REFUSED,
    StaticToken,
};

use self::cache::{CacheEntry, Hidden, unix_seconds};
/// An error and its causes on one line; the Graph client describes transport failures with it too.
pub(crate) use self::oauth::error_chain;
use self::oauth::{Failure, HttpError, Issued, check_tenant, clean, tenant_url, token_client};
use crate::backend::BoxFuture;
use crate::graph::cloud::{Cloud, check_endpoint};
use crate::graph::token::{AuthError, Secret, TokenProvider, claims};

/// The public client `hunt login` uses when no client id is configured: Microsoft Graph Command
/// Line Tools, Microsoft's own multi-tenant app for signing in to Graph from a terminal. Admins
/// who prefer their own app registration set its id (`client_id`): it needs "Allow public client
/// flows" turned on and the delegated Microsoft Graph permission `ThreatHunting.Read.All`.
pub const DEVICE_CODE_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

/// The tenant `hunt login` signs in to when none is configured: whichever work or school
/// directory the account belongs to.
pub const DEVICE_CODE_TENANT: &str = "organizations";

// The environment variables hunt reads; the AZURE_* ones are named as the Azure SDKs name them.

/// A bearer token for Microsoft Graph, used as is.
pub const HUNT_TOKEN: &str = "HUNT_TOKEN";
/// The tenant (directory) id or domain of the application.
pub const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
/// The application (client) id.
pub const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
/// The application's client secret.
pub const AZURE_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
/// A PEM or PKCS#12 file with the application's certificate and private key.
pub const AZURE_CLIENT_CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
/// The password of a PKCS#12 certificate file.
pub const AZURE_CLIENT_CERTIFICATE_PASSWORD: &str = "AZURE_CLIENT_CERTIFICATE_PASSWORD";
/// Another sign-in host (`https://...`); the caller resolves it into `AuthSettings::authority_host`.
pub const AZURE_AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";

/// How hunt signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// A bearer token in `HUNT_TOKEN`.
    Token,
    /// Client credentials with `AZURE_CLIENT_SECRET`.
    ClientSecret,
    /// Client credentials with the certificate at `AZURE_CLIENT_CERTIFICATE_PATH`.
    Certificate,
    /// The tokens of `hunt login` (device code).
    DeviceCode,
    /// `az account get-access-token`.
    AzureCli,
}

impl AuthMethod {
    /// Reads `token`, `client-secret`, `certificate`, `device-code` or `azure-cli`.
    pub fn parse(name: &str) -> Result<AuthMethod, String> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "token" => Ok(AuthMethod::Token),
            "client-secret" | "secret" => Ok(AuthMethod::ClientSecret),
            "certificate" | "client-certificate" => Ok(AuthMethod::Certificate),
            "device-code" | "devicecode" => Ok(AuthMethod::DeviceCode),
            "azure-cli" | "az" => Ok(AuthMethod::AzureCli),
            other => Err(format!(
                "unknown sign-in method '{}': use token, client-secret, certificate, device-code or azure-cli",
                clean(other, 40)
            )),
        }
    }

    /// The name `parse` reads (`device-code`).
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::Token => "token",
            AuthMethod::ClientSecret => "client-secret",
            AuthMethod::Certificate => "certificate",
            AuthMethod::DeviceCode => "device-code",
            AuthMethod::AzureCli => "azure-cli",
        }
    }
}

impl std::fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the sign-in needs from config, flags and the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthSettings {
    pub cloud: Cloud,
    /// `https://login.microsoftonline.com` or an override (`AZURE_AUTHORITY_HOST`, config),
    /// resolved by the caller; checked again here with `check_endpoint`.
    pub authority_host: String,
    /// A tenant id or domain; else `AZURE_TENANT_ID` (see `with_env`); the device code defaults
    /// to `organizations`.
    pub tenant: Option<String>,
    /// An application (client) id; else `AZURE_CLIENT_ID`; the device code defaults to
    /// `DEVICE_CODE_CLIENT_ID`.
    pub client_id: Option<String>,
    /// `None`: the automatic order (see `select_provider`).
    pub method: Option<AuthMethod>,
    /// The device-code token cache (`Paths::token_cache_file`, `<cache_dir>/tokens.json`).
    pub cache_file: Option<PathBuf>,
    /// The Azure CLI: `az` on PATH, or a path.
    pub az_program: PathBuf,
}

impl AuthSettings {
    /// The defaults for `cloud`: its authority host, no tenant or client id, the automatic
    /// order, no token cache, `az`.
    pub fn new(cloud: Cloud) -> AuthSettings {
        AuthSettings {
            cloud,
            authority_host: cloud.authority_host(),
            tenant: None,
            client_id: None,
            method: None,
            cache_file: None,
            az_program: PathBuf::from("az"),
        }
    }

    /// The settings with `tenant` and `client_id` taken from `AZURE_TENANT_ID` and
    /// `AZURE_CLIENT_ID` where they are unset. `select_provider` does this itself; `hunt login`
    /// calls it before `device_code_login` so both find the same cache entry.
    pub fn with_env(&self, env: &dyn Fn(&str) -> Option<String>) -> AuthSettings {
        let mut out = self.clone();
        out.tenant = given(self.tenant.clone()).or_else(|| given(env(AZURE_TENANT_ID)));
        out.client_id = given(self.client_id.clone()).or_else(|| given(env(AZURE_CLIENT_ID)));
        out
    }

    /// The tenant the device code signs in to.
    fn device_tenant(&self) -> String {
        given(self.tenant.clone()).unwrap_or_else(|| DEVICE_CODE_TENANT.to_string())
    }

    /// The application the device code signs in with.
    fn device_client_id(&self) -> String {
        given(self.client_id.clone()).unwrap_or_else(|| DEVICE_CODE_CLIENT_ID.to_string())
    }

    /// The checked authority host, without a trailing slash.
    fn authority(&self) -> Result<String, AuthError> {
        check_endpoint(&self.authority_host)
            .map_err(|e| AuthError::new(format!("sign-in authority: {e}")))
    }
}

/// A value that is set and not blank, trimmed.
fn given(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// How to sign in, for the error when no way was found.
const HOW_TO_SIGN_IN: &str = "not signed in to Microsoft Graph; sign in one of these ways:
  - `hunt login`: sign in as yourself with a device code (works over SSH)
  - HUNT_TOKEN: an access token for Microsoft Graph
  - AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH, with AZURE_CLIENT_CERTIFICATE_PASSWORD for a protected .pfx): an application
  - `az login`: the Azure CLI's sign-in";

/// Chooses the token provider.
///
/// With `settings.method` set, that method or an error naming what it lacks (the environment
/// variable, the `hunt login`, the `az` program). Otherwise the first that applies of:
/// 1. `HUNT_TOKEN` (a static token);
/// 2. a tenant and client id (settings or `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`) with
///    `AZURE_CLIENT_SECRET`, else with `AZURE_CLIENT_CERTIFICATE_PATH` (and
///    `AZURE_CLIENT_CERTIFICATE_PASSWORD`);
/// 3. a cached `hunt login` for this cloud, authority, tenant and client id;
/// 4. the Azure CLI, when `az_program` is on PATH (from `env("PATH")`) or is an existing path;
/// 5. else an error that lists the ways to sign in (and why the token cache was not usable, if
///    it was not).
///
/// `env` reads an environment variable (tests pass their own). Nothing is sent over the network
/// here; a certificate file is read and checked.
pub fn select_provider(
    settings: &AuthSettings,
    env: &dyn Fn(&str) -> Option<String>,
    http: reqwest::Client,
) -> Result<Arc<dyn TokenProvider>, AuthError> {
    let settings = settings.with_env(env);
    let authority = settings.authority()?;
    let var = |name: &str| given(env(name));
    let missing = |method: AuthMethod, names: &[&str]| {
        AuthError::new(format!(
            "sign-in method '{method}' needs {} (not set)",
            names.join(", ")
        ))
    };
    let app_ids = |method: AuthMethod, third: &str| -> Result<(String, String), AuthError> {
        let mut lacking = Vec::new();
        if settings.tenant.is_none() {
            lacking.push(AZURE_TENANT_ID);
        }
        if settings.client_id.is_none() {
            lacking.push(AZURE_CLIENT_ID);
        }
        if var(third).is_none() {
            lacking.push(third);
        }
        match (&settings.tenant, &settings.client_id) {
            (Some(tenant), Some(client)) if lacking.is_empty() => {
                Ok((tenant.clone(), client.clone()))
            }
            _ => Err(missing(method, &lacking)),
        }
    };
    let static_token = |token: String| -> Arc<dyn TokenProvider> {
        Arc::new(StaticToken::new(Secret::new(token)))
    };
    let client_secret = |tenant: &str, client: &str| -> Result<Arc<dyn TokenProvider>, AuthError> {
        let secret = Secret::new(var(AZURE_CLIENT_SECRET).unwrap_or_default());
        Ok(Arc::new(ClientSecret::new(
            http.clone(),
            &authority,
            tenant,
            client,
            secret,
            settings.cloud,
        )?))
    };
    let certificate = |tenant: &str, client: &str| -> Result<Arc<dyn TokenProvider>, AuthError> {
        let path = PathBuf::from(var(AZURE_CLIENT_CERTIFICATE_PATH).unwrap_or_default());
        let password = env(AZURE_CLIENT_CERTIFICATE_PASSWORD).map(Secret::new);
        let credential = CertificateCredential::load(&path, password.as_ref())?;
        Ok(Arc::new(ClientCertificate::new(
            http.clone(),
            &authority,
            tenant,
            client,
            credential,
            settings.cloud,
        )?))
    };
    let cached = || -> Result<Arc<dyn TokenProvider>, AuthError> {
        let cache_file = settings.cache_file.as_deref().ok_or_else(|| {
            AuthError::new("not signed in: there is no place for the token cache (set HUNT_HOME)")
        })?;
        Ok(Arc::new(CachedSignIn::open(
            http.clone(),
            cache_file,
            settings.cloud,
            &authority,
            &settings.device_tenant(),
            &settings.device_client_id(),
        )?))
    };
    let az = || {
        azcli::find_program(&settings.az_program, env("PATH").as_deref()).map(|program| {
            Arc::new(AzureCli::new(
                program,
                settings.tenant.clone(),
                settings.cloud,
            )) as Arc<dyn TokenProvider>
        })
    };

    match settings.method {
        Some(AuthMethod::Token) => var(HUNT_TOKEN)
            .map(static_token)
            .ok_or_else(|| missing(AuthMethod::Token, &[HUNT_TOKEN])),
        Some(AuthMethod::ClientSecret) => {
            let (tenant, client) = app_ids(AuthMethod::ClientSecret, AZURE_CLIENT_SECRET)?;
            client_secret(&tenant, &client)
        }
        Some(AuthMethod::Certificate) => {
            let (tenant, client) = app_ids(AuthMethod::Certificate, AZURE_CLIENT_CERTIFICATE_PATH)?;
            certificate(&tenant, &client)
        }
        Some(AuthMethod::DeviceCode) => cached(),
        Some(AuthMethod::AzureCli) => az().ok_or_else(|| {
            AuthError::new(format!(
                "the Azure CLI ({}) is not installed or not on PATH: install it and run `az login`, or sign in another way",
                settings.az_program.display()
            ))
        }),
        None => {
            if let Some(token) = var(HUNT_TOKEN) {
                return Ok(static_token(token));
            }
            if let (Some(tenant), Some(client)) = (&settings.tenant, &settings.client_id) {
                if var(AZURE_CLIENT_SECRET).is_some() {
                    return client_secret(tenant, client);
                }
                if var(AZURE_CLIENT_CERTIFICATE_PATH).is_some() {
                    return certificate(tenant, client);
                }
            }
            let cache_problem = match cached() {
                Ok(provider) => return Ok(provider),
                // "Not signed in" is the ordinary case; anything else is worth saying.
                Err(e) if e.message.starts_with("not signed in") => None,
                Err(e) => Some(e.message),
            };
            if let Some(provider) = az() {
                return Ok(provider);
            }
            Err(AuthError::new(match cache_problem {
                Some(problem) => format!("{HOW_TO_SIGN_IN}\n({problem})"),
                None => HOW_TO_SIGN_IN.to_string(),
            }))
        }
    }
}

/// What `hunt login` reports after signing in.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginOutcome {
    /// The signed-in user (`upn`/`preferred_username`), when the token says.
    pub account: Option<String>,
    /// The directory (tenant) id the token was issued by.
    pub tenant: Option<String>,
    /// When the access token expires (it is renewed with the refresh token after that).
    pub expires_at: Option<SystemTime>,
}

/// The device authorization reply's field beyond RFC 8628 that Microsoft adds: `message`, the
/// instructions with the code and the URL.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct MsDeviceFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

impl ExtraDeviceAuthorizationFields for MsDeviceFields {}

/// After this many failed polls in a row (no answer at all), `hunt login` stops instead of
/// waiting out the code's 15 minutes.
const MAX_TRANSPORT_FAILURES: u32 = 5;

/// The longest polling interval the device authorization reply may ask for.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(300);

/// The longest wait between polls after failures (oauth2 doubles the interval on each one).
const MAX_POLL_BACKOFF: Duration = Duration::from_secs(60);

/// Signs a person in with the device authorization grant and stores the tokens in
/// `settings.cache_file` (owner-only, atomically), keyed by cloud, authority, tenant and client
/// id.
///
/// `POST {authority}/{tenant}/oauth2/v2.0/devicecode` (client id, the delegated scopes:
/// `ThreatHunting.Read.All` on the cloud's Graph host and `offline_access`), then `show` gets
/// Microsoft's `message` (the URL and the code to enter; composed from `verification_uri` and
/// `user_code` if absent), then `POST .../token` with
/// `grant_type=urn:ietf:params:oauth:grant-type:device_code` is polled: `authorization_pending`
/// waits `interval` seconds (via `sleep`), `slow_down` adds 5 s to it for good. Errors:
/// `authorization_declined`/`access_denied` ("sign-in was declined"), `expired_token` (the code
/// lapsed), `bad_verification_code`, the application not allowing public client flows, the
/// service unreachable. Tenant and client id are `settings`' own (call `with_env` first), else
/// `organizations` and `DEVICE_CODE_CLIENT_ID`.
///
/// Polling uses the oauth2 crate's device flow (RFC 8628), which handles Microsoft's replies:
/// `verification_uri`, the extra `message`, and `authorization_declined` as a final error.
/// Facts: Microsoft identity platform, "OAuth 2.0 device authorization grant".
pub async fn device_code_login<S, F>(
    settings: &AuthSettings,
    http: reqwest::Client,
    show: &(dyn Fn(&str) + Sync),
    sleep: S,
) -> Result<LoginOutcome, AuthError>
where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let cache_file = settings
        .cache_file
        .clone()
        .ok_or_else(|| AuthError::new("there is no place for the token cache (set HUNT_HOME)"))?;
    let authority = settings.authority()?;
    let tenant = check_tenant(&settings.device_tenant())?;
    let client_id = settings.device_client_id();
    let token_url = tenant_url(&authority, &tenant, "token");
    let device_url = DeviceAuthorizationUrl::new(tenant_url(&authority, &tenant, "devicecode"))
        .map_err(|e| AuthError::new(format!("device code URL: {e}")))?;
    let client = token_client(&client_id, &token_url)?.set_device_authorization_url(device_url);

    // Counts failed exchanges in a row; after too many, `give_up` ends the wait.
    let failures = Arc::new(Mutex::new((0u32, String::new())));
    let give_up = Arc::new(tokio::sync::Notify::new());
    let http_fn = {
        let failures = failures.clone();
        let give_up = give_up.clone();
        move |request: HttpRequest| -> BoxFuture<'static, Result<HttpResponse, HttpError>> {
            let http = http.clone();
            let failures = failures.clone();
            let give_up = give_up.clone();
            Box::pin(async move {
                let outcome = oauth::send(&http, request).await;
                if let Ok(mut count) = failures.lock() {
                    match &outcome {
                        Ok(_) => *count = (0, String::new()),
                        Err(e) => {
                            *count = (count.0 + 1, e.0.clone());
                            if count.0 >= MAX_TRANSPORT_FAILURES {
                                give_up.notify_one();
                            }
                        }
                    }
                }
                outcome
            })
        }
    };

    let details: DeviceAuthorizationResponse<MsDeviceFields> = client
        .exchange_device_code()
        .add_scopes(settings.cloud.delegated_scopes().into_iter().map(Scope::new))
        .request_async(&http_fn)
        .await
        .map_err(|e| {
            let failure = Failure::from_oauth(e, &[]);
            let hint = match failure.code() {
                Some("invalid_client" | "unauthorized_client") => format!(
                    " (the application {client_id} needs \"Allow public client flows\" in its Entra ID registration)"
                ),
                _ => String::new(),
            };
            let unreachable = matches!(failure, Failure::Transport(_));
            let message = format!("could not start the device code sign-in: {failure}{hint}");
            if unreachable {
                AuthError::unreachable(message)
            } else {
                AuthError::new(message)
            }
        })?;
    // oauth2 adds 5 s to the interval on each slow_down without a bound; an absurd interval
    // (Microsoft says 5) would overflow it.
    if details.interval() > MAX_POLL_INTERVAL {
        return Err(AuthError::new(format!(
            "the sign-in service asked to wait {} s between polls, more than hunt accepts",
            details.interval().as_secs()
        )));
    }
    let message = details
        .extra_fields()
        .message
        .as_deref()
        .map(|m| clean(m, 600))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| {
            format!(
                "To sign in, open {} and enter the code {}",
                clean(details.verification_uri().as_str(), 200),
                clean(details.user_code().secret(), 40)
            )
        });
    show(&message);

    let poll = client
        .exchange_device_access_token(&details)
        .set_max_backoff_interval(MAX_POLL_BACKOFF)
        .request_async(&http_fn, sleep, None);
    let reply = tokio::select! {
        reply = poll => reply,
        () = give_up.notified() => {
            let last = failures.lock().map(|f| f.1.clone()).unwrap_or_default();
            return Err(AuthError::unreachable(format!(
                "sign-in stopped: the sign-in service could not be reached ({last})"
            )));
        }
    };
    let reply = reply.map_err(|e| {
        let failure = Failure::from_oauth(e, &[details.device_code().secret()]);
        AuthError::new(match failure.code() {
            Some("authorization_declined" | "access_denied") => "sign-in was declined".to_string(),
            Some("expired_token") => {
                "the code expired before sign-in finished: run `hunt login` again".to_string()
            }
            Some("bad_verification_code") => {
                "the sign-in service did not recognise the device code (bad_verification_code): run `hunt login` again".to_string()
            }
            _ => format!("sign-in failed: {failure}"),
        })
    })?;

    let now = SystemTime::now();
    let issued = Issued::from_reply(&reply, now)
        .map_err(|e| AuthError::new(format!("sign-in failed: {e}")))?;
    let said = issued
        .id_token
        .as_ref()
        .and_then(|t| claims(t.expose()))
        .or_else(|| claims(issued.access.secret.expose()));
    let account = said.as_ref().and_then(|c| c.user.clone());
    let tenant_id = said.as_ref().and_then(|c| c.tenant.clone());
    let entry = CacheEntry {
        cloud: settings.cloud.name().to_string(),
        authority: authority.clone(),
        tenant: tenant.clone(),
        client_id: client_id.clone(),
        account: account.clone(),
        tenant_id: tenant_id.clone(),
        access_token: Hidden::new(&issued.access.secret),
        expires_at: issued.access.expires_at.map(unix_seconds),
        refresh_token: issued.refresh.as_ref().map(Hidden::new),
        saved_at: unix_seconds(now),
    };
    cache::store(&cache_file, entry).map_err(|e| {
        AuthError::new(format!(
            "signed in, but the tokens could not be saved to {}: {e}",
            cache_file.display()
        ))
    })?;
    Ok(LoginOutcome {
        account,
        tenant: tenant_id,
        expires_at: issued.access.expires_at,
    })
}

/// Forgets every device-code sign-in: removes the token cache file. `Ok(true)` when there was
/// one, `Ok(false)` when there was nothing to remove.
pub fn logout(cache_file: &Path) -> std::io::Result<bool> {
    match std::fs::remove_file(cache_file) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}
