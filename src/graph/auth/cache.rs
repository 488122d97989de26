//! The device-code sign-in's token cache: one JSON file (`{"version":1,"entries":[...]}`), one
//! entry per (authority, tenant, client id), readable by its owner only. A missing file is "not
//! signed in"; a damaged one is too, with a message that says so (never a panic, never its
//! content, which holds tokens).

use std::fmt;
use std::fs;
use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::graph::token::{AccessToken, Secret};

/// The cache format this hunt reads and writes.
pub(crate) const CACHE_VERSION: u64 = 1;

/// A token in the file: serialized as a plain string, never shown by `Debug`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Hidden(String);

impl Hidden {
    pub(crate) fn new(secret: &Secret) -> Hidden {
        Hidden(secret.expose().to_string())
    }

    pub(crate) fn secret(&self) -> Secret {
        Secret::new(self.0.clone())
    }
}

impl fmt::Debug for Hidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

/// Which sign-in an entry belongs to: the cloud (its tokens are for that cloud's Graph, even
/// through an authority override), the authority, the tenant and the application. Compared
/// without case (hosts, ids and domains are case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CacheKey {
    pub cloud: String,
    pub authority: String,
    pub tenant: String,
    pub client_id: String,
}

impl CacheKey {
    pub(crate) fn new(cloud: &str, authority: &str, tenant: &str, client_id: &str) -> CacheKey {
        CacheKey {
            cloud: cloud.trim().to_ascii_lowercase(),
            authority: authority.trim().trim_end_matches('/').to_ascii_lowercase(),
            tenant: tenant.trim().to_ascii_lowercase(),
            client_id: client_id.trim().to_ascii_lowercase(),
        }
    }

    fn of(entry: &CacheEntry) -> CacheKey {
        CacheKey::new(
            &entry.cloud,
            &entry.authority,
            &entry.tenant,
            &entry.client_id,
        )
    }

    fn matches(&self, entry: &CacheEntry) -> bool {
        *self == CacheKey::of(entry)
    }
}

/// One signed-in account's tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CacheEntry {
    /// `global`, `usgov`, ... (for people reading the file; the key is the authority).
    pub cloud: String,
    pub authority: String,
    /// The tenant as configured (`organizations`, a domain, an id).
    pub tenant: String,
    pub client_id: String,
    /// The signed-in user (`upn` or `preferred_username`), when the tokens say.
    #[serde(default)]
    pub account: Option<String>,
    /// The directory id (`tid`) the tokens were issued by.
    #[serde(default)]
    pub tenant_id: Option<String>,
    pub access_token: Hidden,
    /// Unix seconds.
    #[serde(default)]
    pub expires_at: Option<u64>,
    #[serde(default)]
    pub refresh_token: Option<Hidden>,
    /// Unix seconds of the last write (for people reading the file).
    #[serde(default)]
    pub saved_at: u64,
}

impl CacheEntry {
    pub(crate) fn access_token(&self) -> AccessToken {
        AccessToken {
            secret: self.access_token.secret(),
            // checked: an absurd number in the file must not overflow SystemTime (that panics).
            expires_at: self
                .expires_at
                .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs))),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    version: u64,
    #[serde(default)]
    entries: Vec<CacheEntry>,
}

/// Seconds since the Unix epoch (0 for a clock before it).
pub(crate) fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

/// All entries. `Err` says why the file cannot be used (damaged, another version, unreadable),
/// naming the file and never quoting it. A file others may read is made owner-only first.
pub(crate) fn read_entries(path: &Path) -> Result<Vec<CacheEntry>, String> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(format!(
                "the token cache {} cannot be read: {e}",
                path.display()
            ));
        }
    };
    restrict_mode(path);
    let damaged = |e: serde_json::Error| {
        format!(
            "the token cache {} is damaged (line {}, column {}); run `hunt login` to sign in again",
            path.display(),
            e.line(),
            e.column()
        )
    };
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(damaged)?;
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(CACHE_VERSION) => {}
        Some(other) => {
            return Err(format!(
                "the token cache {} has format version {other}, which this hunt does not read; run `hunt login` to sign in again",
                path.display()
            ));
        }
        None => {
            return Err(format!(
                "the token cache {} is damaged (no format version); run `hunt login` to sign in again",
                path.display()
            ));
        }
    }
    let file: CacheFile = serde_json::from_value(value).map_err(|_| {
        format!(
            "the token cache {} is damaged (an entry is not as expected); run `hunt login` to sign in again",
            path.display()
        )
    })?;
    Ok(file.entries)
}

/// The entry for `key`, if any.
pub(crate) fn find(path: &Path, key: &CacheKey) -> Result<Option<CacheEntry>, String> {
    Ok(read_entries(path)?.into_iter().find(|e| key.matches(e)))
}

/// Puts `entry` in the file in place of the one with its key, keeping the others (a damaged
/// file is replaced), and writes it atomically, owner-only.
pub(crate) fn store(path: &Path, entry: CacheEntry) -> io::Result<()> {
    let key = CacheKey::of(&entry);
    let mut entries = read_entries(path).unwrap_or_default();
    entries.retain(|e| !key.matches(e));
    entries.push(entry);
    let file = CacheFile {
        version: CACHE_VERSION,
        entries,
    };
    let text = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
    crate::store::write_private_atomic(path, &text)
}

/// Makes an existing file owner-only (someone may have copied it in with a wider mode).
fn restrict_mode(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
