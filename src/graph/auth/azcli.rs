//! Tokens from the Azure CLI's own sign-in (`az login`): hunt runs
//! `az account get-access-token --scope https://{graph-host}/.default -o json [--tenant T]` and
//! reads `accessToken` and the expiry from its JSON. az's stdout holds the token, so it is never
//! shown; its stderr is, cleaned and shortened, when it fails. Facts: Azure CLI reference,
//! `az account get-access-token` (newer versions give `expires_on`, POSIX seconds; all give
//! `expiresOn`, local time).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use tokio::sync::Mutex;

use super::oauth::clean;
use crate::backend::BoxFuture;
use crate::graph::cloud::Cloud;
use crate::graph::token::{AccessToken, AuthError, Secret, TokenProvider};

/// How long az may take (it may refresh its own tokens over the network).
pub const AZ_TIMEOUT: Duration = Duration::from_secs(60);

/// The Azure CLI as a token provider.
#[derive(Debug)]
pub struct AzureCli {
    program: PathBuf,
    tenant: Option<String>,
    scope: String,
    timeout: Duration,
    held: Mutex<Option<AccessToken>>,
}

/// The part of az's JSON hunt reads. No `Debug`: it holds the token.
#[derive(Deserialize)]
struct AzReply {
    #[serde(rename = "accessToken")]
    access_token: String,
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
    #[serde(default, rename = "expiresOn")]
    expires_on_local: Option<String>,
}

impl AzureCli {
    /// `program` is `az` (looked up on PATH when run) or a path to it; `tenant` adds
    /// `--tenant`.
    pub fn new(program: PathBuf, tenant: Option<String>, cloud: Cloud) -> AzureCli {
        AzureCli {
            program,
            tenant: tenant.filter(|t| !t.trim().is_empty()),
            scope: cloud.app_scope(),
            timeout: AZ_TIMEOUT,
            held: Mutex::new(None),
        }
    }

    /// The same with another limit on how long az may run.
    pub fn with_timeout(mut self, timeout: Duration) -> AzureCli {
        self.timeout = timeout;
        self
    }

    async fn fetch(&self) -> Result<AccessToken, AuthError> {
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(["account", "get-access-token", "--scope", &self.scope])
            .args(["-o", "json"]);
        if let Some(tenant) = &self.tenant {
            command.args(["--tenant", tenant]);
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // A timed-out az is killed when its future is dropped.
            .kill_on_drop(true);
        let name = self.program.display();
        let output = match tokio::time::timeout(self.timeout, command.output()).await {
            Err(_) => {
                let limit = if self.timeout.subsec_millis() == 0 {
                    format!("{} s", self.timeout.as_secs())
                } else {
                    format!("{} ms", self.timeout.as_millis())
                };
                return Err(AuthError::new(format!(
                    "`{name} account get-access-token` did not finish within {limit}"
                )));
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(AuthError::new(format!(
                    "the Azure CLI ({name}) is not installed or not on PATH: install it and run `az login`, or sign in another way (`hunt login`)"
                )));
            }
            Ok(Err(e)) => {
                return Err(AuthError::new(format!("could not run {name}: {e}")));
            }
            Ok(Ok(output)) => output,
        };
        if !output.status.success() {
            let stderr = clean(&String::from_utf8_lossy(&output.stderr), 400);
            let status = match output.status.code() {
                Some(code) => format!("exit status {code}"),
                None => "killed by a signal".to_string(),
            };
            return Err(AuthError::new(if stderr.is_empty() {
                format!("`{name} account get-access-token` failed ({status}); run `az login`")
            } else {
                format!("`{name} account get-access-token` failed ({status}): {stderr}")
            }));
        }
        let reply: AzReply = serde_json::from_slice(&output.stdout).map_err(|_| {
            AuthError::new(format!(
                "`{name} account get-access-token` printed something other than the token JSON expected"
            ))
        })?;
        let secret = Secret::new(reply.access_token.trim());
        if secret.expose().is_empty() {
            return Err(AuthError::new(format!(
                "`{name} account get-access-token` gave an empty token"
            )));
        }
        let mut token = AccessToken::from_jwt(secret);
        if let Some(at) = reply
            .expires_on
            .as_ref()
            .and_then(unix_expiry)
            .or_else(|| reply.expires_on_local.as_deref().and_then(local_expiry))
        {
            token.expires_at = Some(at);
        }
        Ok(token)
    }
}

/// `expires_on`: Unix seconds, as a number or a string of digits.
fn unix_expiry(value: &serde_json::Value) -> Option<SystemTime> {
    let secs = match value {
        serde_json::Value::Number(n) => n.as_u64()?,
        serde_json::Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// `expiresOn`: local time, `YYYY-MM-DD HH:MM:SS.ffffff`.
fn local_expiry(text: &str) -> Option<SystemTime> {
    use chrono::TimeZone as _;
    let naive = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f").ok()?;
    let local = chrono::Local.from_local_datetime(&naive).earliest()?;
    Some(SystemTime::from(local))
}

impl TokenProvider for AzureCli {
    fn describe(&self) -> String {
        match &self.tenant {
            Some(tenant) => format!("the Azure CLI's sign-in (az, tenant {tenant})"),
            None => "the Azure CLI's sign-in (az)".into(),
        }
    }

    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        Box::pin(async move {
            let mut held = self.held.lock().await;
            if !force_refresh
                && let Some(token) = held.as_ref().filter(|t| t.is_fresh(SystemTime::now()))
            {
                return Ok(token.clone());
            }
            let token = self.fetch().await?;
            *held = Some(token.clone());
            Ok(token)
        })
    }
}

/// Where `program` is: itself when it names a path (has a folder part) and exists, else the first
/// match in the `PATH` value given.
pub(crate) fn find_program(program: &Path, path_var: Option<&str>) -> Option<PathBuf> {
    let has_folder = program.parent().is_some_and(|p| !p.as_os_str().is_empty());
    if has_folder || program.is_absolute() {
        return program.is_file().then(|| program.to_path_buf());
    }
    let path_var = path_var?;
    std::env::split_paths(path_var)
        .filter(|dir| !dir.as_os_str().is_empty())
        .flat_map(|dir| {
            let plain = dir.join(program);
            // Windows installs az as az.cmd.
            let windows = cfg!(windows).then(|| dir.join(program).with_extension("cmd"));
            std::iter::once(plain).chain(windows)
        })
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}
