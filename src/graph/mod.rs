//! The Microsoft Graph backend: advanced hunting through `POST /security/runHuntingQuery`
//! (GRAPH.md). Clouds and endpoints (`cloud`), bearer tokens and their providers (`token`,
//! `auth`), the response decoder (`decode`), the client that implements `Backend` (`client`),
//! and `hunt serve`, the same contract answered by a local backend (`serve`).
//! Nothing here knows about the terminal.

pub mod auth;
pub mod client;
pub mod cloud;
pub mod decode;
pub mod http;
pub mod serve;
pub mod token;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::backend::{ErrorKind, QueryError, TableInfo};
use auth::{AuthMethod, AuthSettings};
use client::{ApiVersion, GraphBackend, GraphOptions};
use cloud::{Cloud, check_endpoint};
use token::TokenProvider;

/// What the user chose for Graph, flags over the config file; `None` = not said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphChoices {
    pub cloud: Option<String>,
    pub endpoint: Option<String>,
    pub api: Option<String>,
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub auth: Option<String>,
    pub authority_host: Option<String>,
}

impl GraphChoices {
    /// `self`'s values, else `fallback`'s (flags over the config file).
    pub fn or(self, fallback: GraphChoices) -> GraphChoices {
        GraphChoices {
            cloud: self.cloud.or(fallback.cloud),
            endpoint: self.endpoint.or(fallback.endpoint),
            api: self.api.or(fallback.api),
            tenant: self.tenant.or(fallback.tenant),
            client_id: self.client_id.or(fallback.client_id),
            auth: self.auth.or(fallback.auth),
            authority_host: self.authority_host.or(fallback.authority_host),
        }
    }
}

/// Everything needed to reach Graph and sign in, checked.
#[derive(Debug, Clone)]
pub struct GraphSettings {
    pub cloud: Cloud,
    /// Base URL (`https://graph.microsoft.com` or `--endpoint`).
    pub endpoint: String,
    pub api: ApiVersion,
    pub auth: AuthSettings,
}

impl GraphSettings {
    /// Checks the choices: a known cloud that offers advanced hunting (China does not), an
    /// endpoint and authority host that are https (http only on loopback), a known API version
    /// and sign-in method. `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `AZURE_AUTHORITY_HOST` fill
    /// what neither flags nor config said. `Err` is a usage error's message.
    pub fn resolve(
        choices: &GraphChoices,
        env: &dyn Fn(&str) -> Option<String>,
        cache_file: Option<PathBuf>,
    ) -> Result<GraphSettings, String> {
        let cloud = match &choices.cloud {
            Some(name) => Cloud::parse(name)?,
            None => Cloud::Global,
        };
        cloud.check_hunting()?;
        let endpoint = match &choices.endpoint {
            Some(url) => check_endpoint(url)?,
            None => cloud.graph_base(),
        };
        let api = match &choices.api {
            Some(text) => ApiVersion::parse(text)?,
            None => ApiVersion::V1,
        };
        let authority_host = match choices
            .authority_host
            .clone()
            .or_else(|| env("AZURE_AUTHORITY_HOST").filter(|h| !h.trim().is_empty()))
        {
            Some(url) => check_endpoint(&url).map_err(|e| format!("authority host: {e}"))?,
            None => cloud.authority_host(),
        };
        let method = match &choices.auth {
            Some(text) if text.trim().eq_ignore_ascii_case("auto") => None,
            Some(text) => {
                Some(AuthMethod::parse(text).map_err(|e| format!("{e} (or auto, the default)"))?)
            }
            None => None,
        };
        // Tenant and client id from flags or config, else the Azure SDKs' variables (the same
        // reading `select_provider` does, so login, whoami and queries agree).
        let auth = AuthSettings {
            authority_host,
            tenant: choices.tenant.clone(),
            client_id: choices.client_id.clone(),
            method,
            cache_file,
            ..AuthSettings::new(cloud)
        }
        .with_env(env);
        Ok(GraphSettings {
            cloud,
            endpoint,
            api,
            auth,
        })
    }
}

/// The timeout for sign-in calls (token endpoints answer in seconds).
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(60);

/// Chooses the token provider, gets a first token (so a missing sign-in is reported before the
/// first query), and returns the backend. The status line's tenant is the configured tenant,
/// else the token's `tid`. `Err`: the sign-in failure (never a secret), of kind `Auth`, or
/// `Network` when the sign-in service could not be reached.
pub async fn connect(
    settings: &GraphSettings,
    env: &dyn Fn(&str) -> Option<String>,
    tables: Vec<TableInfo>,
) -> Result<GraphBackend, QueryError> {
    let network = |message: String| QueryError::new(ErrorKind::Network, message);
    let sign_in_error = |e: token::AuthError| {
        let kind = if e.unreachable {
            ErrorKind::Network
        } else {
            ErrorKind::Auth
        };
        QueryError::new(kind, e.message)
    };
    let http = http::http_client(client::REQUEST_TIMEOUT).map_err(network)?;
    let sign_in = http::http_client(SIGN_IN_TIMEOUT).map_err(network)?;
    let tokens: Arc<dyn TokenProvider> =
        auth::select_provider(&settings.auth, env, sign_in).map_err(sign_in_error)?;
    let token = tokens.token(false).await.map_err(sign_in_error)?;
    let tenant_label = settings
        .auth
        .tenant
        .clone()
        .filter(|t| !matches!(t.as_str(), "organizations" | "common"))
        .or_else(|| token::claims(token.secret.expose()).and_then(|c| c.tenant))
        .unwrap_or_else(|| "default tenant".to_string());
    let options = GraphOptions {
        cloud: settings.cloud,
        endpoint: settings.endpoint.clone(),
        api: settings.api,
        tenant_label,
    };
    Ok(GraphBackend::new(options, http, tokens, tables))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn settings_take_flags_then_config_then_the_environment() {
        let none = GraphChoices::default();
        let settings = GraphSettings::resolve(&none, &env(&[]), None).unwrap();
        assert_eq!(settings.endpoint, "https://graph.microsoft.com");
        assert_eq!(
            settings.auth.authority_host,
            "https://login.microsoftonline.com"
        );
        assert_eq!(settings.api, ApiVersion::V1);
        assert!(settings.auth.tenant.is_none() && settings.auth.method.is_none());

        let azure = env(&[
            ("AZURE_TENANT_ID", "tenant-from-env"),
            ("AZURE_CLIENT_ID", "client-from-env"),
            ("AZURE_AUTHORITY_HOST", "http://127.0.0.1:9"),
        ]);
        let flags = GraphChoices {
            cloud: Some("usgov".into()),
            tenant: Some("contoso.example".into()),
            auth: Some("AUTO".into()),
            api: Some("beta".into()),
            ..GraphChoices::default()
        };
        let config = GraphChoices {
            tenant: Some("from-config".into()),
            endpoint: Some("http://localhost:7878/".into()),
            ..GraphChoices::default()
        };
        let settings = GraphSettings::resolve(&flags.or(config), &azure, None).unwrap();
        assert_eq!(settings.cloud, Cloud::UsGov);
        assert_eq!(settings.endpoint, "http://localhost:7878");
        assert_eq!(settings.api, ApiVersion::Beta);
        assert_eq!(settings.auth.tenant.as_deref(), Some("contoso.example"));
        assert_eq!(settings.auth.client_id.as_deref(), Some("client-from-env"));
        assert_eq!(settings.auth.authority_host, "http://127.0.0.1:9");
        assert!(
            settings.auth.method.is_none(),
            "auto is the automatic order"
        );
    }

    #[test]
    fn bad_choices_are_refused_with_a_reason() {
        let refused =
            |choices: GraphChoices| GraphSettings::resolve(&choices, &env(&[]), None).unwrap_err();
        let china = refused(GraphChoices {
            cloud: Some("china".into()),
            ..GraphChoices::default()
        });
        assert!(china.contains("not offered"), "{china}");
        let plain = refused(GraphChoices {
            endpoint: Some("http://192.0.2.1".into()),
            ..GraphChoices::default()
        });
        assert!(plain.contains("only on loopback"), "{plain}");
        let method = refused(GraphChoices {
            auth: Some("magic".into()),
            ..GraphChoices::default()
        });
        assert!(method.contains("or auto"), "{method}");
        let api = refused(GraphChoices {
            api: Some("v2".into()),
            ..GraphChoices::default()
        });
        assert!(api.contains("v1.0 or beta"), "{api}");
    }
}
