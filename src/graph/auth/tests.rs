//! Sign-in tests, all against a scripted fake sign-in service on 127.0.0.1 (it answers each
//! path with the next scripted reply and records the form it received), a fake `az` script, and
//! a throwaway test key and certificate under `tests/data/auth-*`. Secrets in these tests are
//! distinctive strings whose absence from every message and `Debug` output is checked.
//!
//! The fixtures are a throwaway RSA 2048 key and a self-signed certificate (CN
//! hunt-test-certificate), generated once with OpenSSL 3:
//! `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem`,
//! `openssl req -new -x509 -key key.pem -subj /CN=hunt-test-certificate -days 36500 -sha256 -out cert.pem`;
//! `auth-cert.pem` = cert + PKCS#8 key, `auth-cert-pkcs1.pem` = PKCS#1 key
//! (`openssl rsa -traditional`) + cert, `auth-cert.p12` = `openssl pkcs12 -export` with password
//! `hunt-test`, `auth-public.pem` = `openssl pkey -pubout`, `auth-cert.der` = the certificate's
//! DER, `auth-ec.pem` = a P-256 certificate and key (to be refused: not RSA).

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::cache::{self, CacheEntry, CacheKey, Hidden};
use super::*;
use crate::graph::token::{AccessToken, TokenProvider};

// ---------------------------------------------------------------------------------------------
// The fake sign-in service.

#[derive(Debug, Clone)]
struct Received {
    path: String,
    form: Vec<(String, String)>,
}

impl Received {
    fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Status 0 in a script drops the connection without an answer (a network failure).
type Script = Vec<(&'static str, u16, Value)>;

struct FakeIdp {
    base: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeIdp {
    async fn start(script: Script) -> FakeIdp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut replies: HashMap<String, VecDeque<(u16, String)>> = HashMap::new();
        for (path, status, body) in script {
            replies
                .entry(path.to_string())
                .or_default()
                .push_back((status, body.to_string()));
        }
        let replies = Arc::new(Mutex::new(replies));
        let received = Arc::new(Mutex::new(Vec::new()));
        let seen = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let replies = replies.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let replies = replies.clone();
                        let seen = seen.clone();
                        answer(request, replies, seen)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeIdp { base, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

type Replies = Arc<Mutex<HashMap<String, VecDeque<(u16, String)>>>>;

async fn answer(
    request: hyper::Request<hyper::body::Incoming>,
    replies: Replies,
    seen: Arc<Mutex<Vec<Received>>>,
) -> Result<hyper::Response<Full<Bytes>>, Box<dyn std::error::Error + Send + Sync>> {
    let path = request.uri().path().to_string();
    let body = request.into_body().collect().await?.to_bytes();
    let form = oauth2::url::form_urlencoded::parse(&body)
        .into_owned()
        .collect();
    seen.lock().unwrap().push(Received {
        path: path.clone(),
        form,
    });
    let next = replies
        .lock()
        .unwrap()
        .get_mut(&path)
        .and_then(|q| q.pop_front());
    let (status, text) = next.unwrap_or((
        500,
        r#"{"error":"server_error","error_description":"no scripted reply"}"#.into(),
    ));
    if status == 0 {
        return Err("dropped".into());
    }
    Ok(hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(Full::new(Bytes::from(text)))?)
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn http() -> reqwest::Client {
    crate::graph::http::http_client(Duration::from_secs(10)).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An unsigned JWT with these claims (tokens are only read, never verified, by hunt).
fn jwt(claims: Value) -> String {
    format!(
        "{}.{}.c2lnbmF0dXJl",
        b64(br#"{"alg":"RS256","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes())
    )
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A user's access token, good for an hour, with a distinctive marker inside.
fn user_token(marker: &str) -> String {
    jwt(json!({
        "upn": "ana@contoso.example",
        "tid": "11111111-2222-3333-4444-555555555555",
        "aud": "https://graph.microsoft.com",
        "scp": "ThreatHunting.Read.All",
        "exp": unix_now() + 3600,
        "marker": marker,
    }))
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn settings(authority: &str, dir: &Path) -> AuthSettings {
    AuthSettings {
        authority_host: authority.to_string(),
        cache_file: Some(dir.join("cache").join("tokens.json")),
        az_program: dir.join("no-az-here"),
        ..AuthSettings::new(Cloud::Global)
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn cache_text(settings: &AuthSettings) -> String {
    std::fs::read_to_string(settings.cache_file.as_ref().unwrap()).unwrap()
}

/// Runs `hunt login` against a script; returns the outcome, the sleeps asked for and what was
/// shown.
async fn login(
    settings: &AuthSettings,
) -> (Result<LoginOutcome, AuthError>, Vec<Duration>, Vec<String>) {
    let sleeps = Arc::new(Mutex::new(Vec::new()));
    let shown = Arc::new(Mutex::new(Vec::new()));
    let show = {
        let shown = shown.clone();
        move |text: &str| shown.lock().unwrap().push(text.to_string())
    };
    let sleep = {
        let sleeps = sleeps.clone();
        // Records the wait and does not really wait.
        move |d: Duration| {
            sleeps.lock().unwrap().push(d);
            std::future::ready(())
        }
    };
    let outcome = device_code_login(settings, http(), &show, sleep).await;
    let sleeps = sleeps.lock().unwrap().clone();
    let shown = shown.lock().unwrap().clone();
    (outcome, sleeps, shown)
}

const DEVICE_PATH: &str = "/organizations/oauth2/v2.0/devicecode";
const TOKEN_PATH: &str = "/organizations/oauth2/v2.0/token";
const DEVICE_CODE: &str = "DEVICE-CODE-do-not-print-7f3a9c";

fn device_reply() -> Value {
    json!({
        "device_code": DEVICE_CODE,
        "user_code": "HUNT2TEST",
        "verification_uri": "https://microsoft.com/devicelogin",
        "expires_in": 900,
        "interval": 5,
        "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code HUNT2TEST to authenticate.",
    })
}

fn pending() -> Value {
    json!({
        "error": "authorization_pending",
        "error_description": "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.\r\nTrace ID: 0000\r\nCorrelation ID: 0000",
        "error_codes": [70016],
    })
}

/// Writes a cache entry for the default device-code key of `settings`.
fn seed_cache(settings: &AuthSettings, access: &str, expires_at: u64, refresh: Option<&str>) {
    let entry = CacheEntry {
        cloud: "global".into(),
        authority: settings.authority_host.clone(),
        tenant: DEVICE_CODE_TENANT.into(),
        client_id: DEVICE_CODE_CLIENT_ID.into(),
        account: Some("ana@contoso.example".into()),
        tenant_id: Some("11111111-2222-3333-4444-555555555555".into()),
        access_token: Hidden::new(&Secret::new(access)),
        expires_at: Some(expires_at),
        refresh_token: refresh.map(|r| Hidden::new(&Secret::new(r))),
        saved_at: unix_now(),
    };
    cache::store(settings.cache_file.as_ref().unwrap(), entry).unwrap();
}

/// Fake `az` programs, written once before any is run: a script being written while another
/// test forks would make exec fail with "text file busy".
fn fake_az() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let temp = std::env::temp_dir();
        // Folders of earlier runs whose process is gone (statics are never dropped to clean up).
        for old in std::fs::read_dir(&temp).into_iter().flatten().flatten() {
            let name = old.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("hunt-auth-fake-az-")
                && Path::new("/proc/self").exists()
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(old.path());
            }
        }
        let dir = temp.join(format!("hunt-auth-fake-az-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let scripts = [
            (
                "az-ok",
                r#"printf '%s ' "$@" > "$0.args"
printf '{"accessToken": "AZ-TOKEN-do-not-print-41d2", "expiresOn": "2099-01-01 00:00:00.000000", "expires_on": 4070908800, "subscription": "sub", "tenant": "t", "tokenType": "Bearer"}'"#,
            ),
            (
                "az-local-time",
                r#"printf '{"accessToken": "AZ-TOKEN-do-not-print-41d2", "expiresOn": "2099-06-01 12:30:00.123456"}'"#,
            ),
            (
                "az-string-expiry",
                r#"printf '{"accessToken": "AZ-TOKEN-do-not-print-41d2", "expires_on": "4070908800"}'"#,
            ),
            (
                "az-fails",
                r#"printf '{"accessToken": "AZ-LEAK-do-not-print-99e1"}'
printf 'ERROR: \033[31mAADSTS70043: The refresh token has expired.\033[0m\nPlease run '"'"'az login'"'"' to setup account.\n' >&2
exit 1"#,
            ),
            ("az-garbage", r#"printf 'AZ-LEAK-do-not-print-99e1 is not json'"#),
            ("az", r#"printf '{"accessToken": "AZ-TOKEN-do-not-print-41d2"}'"#),
            // `exec`, so the process killed at the timeout is the one that waits.
            ("az-hangs", "exec sleep 30"),
        ];
        for (name, body) in scripts {
            let path = dir.join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        dir
    })
}

/// Asserts that none of `secrets` shows in `text`.
fn assert_hidden(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "a secret was printed: {secret} in {text}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Device code.

#[tokio::test]
async fn device_code_polls_through_pending_and_slow_down_then_stores_tokens() {
    let access = user_token("ACCESS-do-not-print-1");
    let fake = FakeIdp::start(vec![
        (DEVICE_PATH, 200, device_reply()),
        (TOKEN_PATH, 400, pending()),
        (TOKEN_PATH, 400, json!({"error": "slow_down"})),
        (
            TOKEN_PATH,
            200,
            json!({
                "token_type": "Bearer",
                "scope": "https://graph.microsoft.com/ThreatHunting.Read.All",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": access,
                "refresh_token": "REFRESH-do-not-print-first",
            }),
        ),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(&fake.base, dir.path());
    let (outcome, sleeps, shown) = login(&settings).await;
    let outcome = outcome.unwrap();

    // interval, then interval + 5 s after slow_down.
    assert_eq!(sleeps, [Duration::from_secs(5), Duration::from_secs(10)]);
    assert_eq!(shown.len(), 1);
    assert!(shown[0].contains("HUNT2TEST") && shown[0].contains("microsoft.com/devicelogin"));
    assert_eq!(outcome.account.as_deref(), Some("ana@contoso.example"));
    assert_eq!(
        outcome.tenant.as_deref(),
        Some("11111111-2222-3333-4444-555555555555")
    );
    let left = outcome
        .expires_at
        .unwrap()
        .duration_since(SystemTime::now())
        .unwrap();
    assert!(left > Duration::from_secs(3500) && left <= Duration::from_secs(3599));

    let received = fake.received();
    assert_eq!(received.len(), 4);
    assert_eq!(received[0].path, DEVICE_PATH);
    assert_eq!(received[0].field("client_id"), Some(DEVICE_CODE_CLIENT_ID));
    assert_eq!(
        received[0].field("scope"),
        Some("https://graph.microsoft.com/ThreatHunting.Read.All offline_access")
    );
    for poll in &received[1..] {
        assert_eq!(poll.path, TOKEN_PATH);
        assert_eq!(
            poll.field("grant_type"),
            Some("urn:ietf:params:oauth:grant-type:device_code")
        );
        assert_eq!(poll.field("device_code"), Some(DEVICE_CODE));
        assert_eq!(poll.field("client_id"), Some(DEVICE_CODE_CLIENT_ID));
    }

    let cache_file = settings.cache_file.clone().unwrap();
    #[cfg(unix)]
    {
        assert_eq!(mode(&cache_file), 0o600);
        assert_eq!(mode(cache_file.parent().unwrap()), 0o700);
    }
    let stored: Value = serde_json::from_str(&cache_text(&settings)).unwrap();
    assert_eq!(stored["version"], 1);
    assert_eq!(
        stored["entries"][0]["refresh_token"],
        "REFRESH-do-not-print-first"
    );
    assert_eq!(stored["entries"][0]["tenant"], "organizations");

    // The cached sign-in is found and its fresh token used without asking the service.
    let provider = select_provider(&settings, &env_of(&[]), http()).unwrap();
    assert!(
        provider.describe().contains("ana@contoso.example"),
        "{}",
        provider.describe()
    );
    assert_eq!(provider.token(false).await.unwrap().secret.expose(), access);
    assert_eq!(fake.received().len(), 4);
}

#[tokio::test]
async fn device_code_stops_when_declined_expired_or_not_recognised() {
    let cases = [
        ("authorization_declined", "sign-in was declined"),
        ("access_denied", "sign-in was declined"),
        (
            "expired_token",
            "the code expired before sign-in finished: run `hunt login` again",
        ),
        ("bad_verification_code", "did not recognise the device code"),
        ("invalid_grant", "sign-in failed: invalid_grant"),
    ];
    for (code, expected) in cases {
        let fake = FakeIdp::start(vec![
            (DEVICE_PATH, 200, device_reply()),
            (TOKEN_PATH, 400, pending()),
            (
                TOKEN_PATH,
                400,
                json!({"error": code, "error_description": format!("AADSTS0: {code} for {DEVICE_CODE}")}),
            ),
        ])
        .await;
        let dir = tempfile::tempdir().unwrap();
        let settings = settings(&fake.base, dir.path());
        let (outcome, sleeps, _) = login(&settings).await;
        let error = outcome.unwrap_err();
        assert!(error.message.contains(expected), "{code}: {error}");
        assert_hidden(&error.message, &[DEVICE_CODE]);
        assert_eq!(sleeps, [Duration::from_secs(5)], "{code}");
        assert!(!settings.cache_file.unwrap().exists(), "{code}");
    }
}

#[tokio::test]
async fn device_code_refused_at_start_names_public_client_flows() {
    let fake = FakeIdp::start(vec![(
        "/contoso.example/oauth2/v2.0/devicecode",
        400,
        json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.\r\nTrace ID: 1",
        }),
    )])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(&fake.base, dir.path());
    settings.tenant = Some("contoso.example".into());
    settings.client_id = Some("my-own-app".into());
    let (outcome, sleeps, shown) = login(&settings).await;
    let error = outcome.unwrap_err().message;
    assert!(error.contains("AADSTS7000218"), "{error}");
    assert!(error.contains("Allow public client flows"), "{error}");
    assert!(!error.contains("Trace ID"), "only the first line: {error}");
    assert!(sleeps.is_empty() && shown.is_empty());
    let received = fake.received();
    assert_eq!(received[0].path, "/contoso.example/oauth2/v2.0/devicecode");
    assert_eq!(received[0].field("client_id"), Some("my-own-app"));
}

#[tokio::test]
async fn device_code_refuses_an_absurd_polling_interval() {
    let mut reply = device_reply();
    reply["interval"] = json!(u64::MAX);
    let fake = FakeIdp::start(vec![
        (DEVICE_PATH, 200, reply),
        (TOKEN_PATH, 400, json!({"error": "slow_down"})),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (outcome, sleeps, _) = login(&settings(&fake.base, dir.path())).await;
    assert!(
        outcome
            .unwrap_err()
            .message
            .contains("more than hunt accepts")
    );
    assert!(sleeps.is_empty());
}

#[tokio::test]
async fn device_code_stops_when_the_service_cannot_be_reached() {
    let fake = FakeIdp::start(vec![
        (DEVICE_PATH, 200, device_reply()),
        (TOKEN_PATH, 0, Value::Null),
        (TOKEN_PATH, 0, Value::Null),
        (TOKEN_PATH, 0, Value::Null),
        (TOKEN_PATH, 0, Value::Null),
        (TOKEN_PATH, 0, Value::Null),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(&fake.base, dir.path());
    let (outcome, sleeps, _) = login(&settings).await;
    let error = outcome.unwrap_err().message;
    assert!(error.contains("could not be reached"), "{error}");
    // oauth2 backs off, doubling the wait up to the limit.
    assert_eq!(
        sleeps[..4],
        [10, 20, 40, 60].map(Duration::from_secs),
        "{sleeps:?}"
    );

    // No answer at all when starting: said at once.
    let settings = AuthSettings {
        authority_host: "http://127.0.0.1:9".into(),
        ..settings
    };
    let (outcome, sleeps, _) = login(&settings).await;
    let error = outcome.unwrap_err().message;
    assert!(
        error.starts_with("could not start the device code sign-in: could not reach 127.0.0.1"),
        "{error}"
    );
    assert!(sleeps.is_empty());
}

// ---------------------------------------------------------------------------------------------
// The cached sign-in.

#[tokio::test]
async fn cached_sign_in_refreshes_and_stores_the_rotated_refresh_token() {
    let second = user_token("ACCESS-do-not-print-2");
    let third = user_token("ACCESS-do-not-print-3");
    let fake = FakeIdp::start(vec![
        (
            TOKEN_PATH,
            200,
            json!({"token_type": "Bearer", "expires_in": 3600, "access_token": second, "refresh_token": "REFRESH-do-not-print-new"}),
        ),
        (
            TOKEN_PATH,
            200,
            json!({"token_type": "Bearer", "expires_in": 3600, "access_token": third, "refresh_token": "REFRESH-do-not-print-newer"}),
        ),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(&fake.base, dir.path());
    // An access token that expired a minute ago.
    seed_cache(
        &settings,
        "ACCESS-do-not-print-old",
        unix_now() - 60,
        Some("REFRESH-do-not-print-old"),
    );
    let cache_file = settings.cache_file.clone().unwrap();
    let provider = CachedSignIn::open(
        http(),
        &cache_file,
        Cloud::Global,
        &fake.base,
        DEVICE_CODE_TENANT,
        DEVICE_CODE_CLIENT_ID,
    )
    .unwrap();

    assert_eq!(provider.token(false).await.unwrap().secret.expose(), second);
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].field("grant_type"), Some("refresh_token"));
    assert_eq!(
        received[0].field("refresh_token"),
        Some("REFRESH-do-not-print-old")
    );
    assert_eq!(received[0].field("client_id"), Some(DEVICE_CODE_CLIENT_ID));
    assert_eq!(
        received[0].field("scope"),
        Some("https://graph.microsoft.com/ThreatHunting.Read.All offline_access")
    );
    let text = cache_text(&settings);
    assert!(text.contains("REFRESH-do-not-print-new") && !text.contains("-old"));
    #[cfg(unix)]
    assert_eq!(mode(&cache_file), 0o600);

    // Fresh now: no request.
    assert_eq!(provider.token(false).await.unwrap().secret.expose(), second);
    assert_eq!(fake.received().len(), 1);

    // Refused by Graph (a 401): refreshed with the newest refresh token, the next one stored.
    assert_eq!(provider.token(true).await.unwrap().secret.expose(), third);
    let received = fake.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[1].field("refresh_token"),
        Some("REFRESH-do-not-print-new")
    );
    assert!(cache_text(&settings).contains("REFRESH-do-not-print-newer"));
    assert_hidden(
        &format!("{provider:?} {}", provider.describe()),
        &["do-not-print"],
    );
}

#[tokio::test]
async fn a_refused_refresh_says_to_sign_in_again_without_the_token() {
    let fake = FakeIdp::start(vec![
        (
            TOKEN_PATH,
            400,
            json!({
                "error": "invalid_grant",
                "error_description": "AADSTS700082: The refresh token REFRESH-do-not-print-old has expired due to inactivity.\r\nTrace ID: 2",
            }),
        ),
        (
            TOKEN_PATH,
            503,
            json!({"error": "temporarily_unavailable", "error_description": "AADSTS90033: try later"}),
        ),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(&fake.base, dir.path());
    seed_cache(
        &settings,
        "ACCESS-do-not-print-old",
        unix_now() - 60,
        Some("REFRESH-do-not-print-old"),
    );
    let provider = select_provider(&settings, &env_of(&[]), http()).unwrap();
    let error = provider.token(false).await.unwrap_err().message;
    assert!(error.starts_with(SIGN_IN_EXPIRED), "{error}");
    assert!(error.contains("invalid_grant") && error.contains("AADSTS700082"));
    assert_hidden(&error, &["do-not-print"]);

    let error = provider.token(false).await.unwrap_err().message;
    assert!(error.contains("not available right now"), "{error}");
    assert!(cache_text(&settings).contains("REFRESH-do-not-print-old"));

    // No refresh token at all: sign in again.
    seed_cache(&settings, "ACCESS-do-not-print-old", unix_now() - 60, None);
    let error = provider.token(false).await.unwrap_err().message;
    assert_eq!(error, SIGN_IN_EXPIRED);
}

#[tokio::test]
async fn a_damaged_or_foreign_cache_is_not_signed_in_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings("https://login.microsoftonline.com", dir.path());
    let cache_file = settings.cache_file.clone().unwrap();
    std::fs::create_dir_all(cache_file.parent().unwrap()).unwrap();
    let cases = [
        (
            "{\"version\":1,\"entries\":[{\"access_token\":\"ACCESS-do-not-print-x\"",
            "damaged (line",
        ),
        (
            "{\"version\":1,\"entries\":[{\"access_token\":\"ACCESS-do-not-print-x\"}]}",
            "an entry is not as expected",
        ),
        ("{\"version\":7,\"entries\":[]}", "format version 7"),
        ("[1,2,3]", "no format version"),
        ("\u{0}\u{1}binary", "damaged"),
    ];
    for (text, reason) in cases {
        std::fs::write(&cache_file, text).unwrap();
        let error = select_provider(&settings, &env_of(&[]), http())
            .err()
            .unwrap()
            .message;
        assert!(
            error.starts_with("not signed in to Microsoft Graph"),
            "{error}"
        );
        assert!(error.contains(reason), "{reason}: {error}");
        assert_hidden(&error, &["do-not-print"]);
        let explicit = AuthSettings {
            method: Some(AuthMethod::DeviceCode),
            ..settings.clone()
        };
        let error = select_provider(&explicit, &env_of(&[]), http())
            .err()
            .unwrap()
            .message;
        assert!(error.contains(reason), "{reason}: {error}");
    }
    // A sign-in replaces the damaged file.
    cache::store(
        &cache_file,
        CacheEntry {
            cloud: "global".into(),
            authority: "https://login.microsoftonline.com".into(),
            tenant: "organizations".into(),
            client_id: DEVICE_CODE_CLIENT_ID.into(),
            account: None,
            tenant_id: None,
            access_token: Hidden::new(&Secret::new("a")),
            expires_at: None,
            refresh_token: None,
            saved_at: 0,
        },
    )
    .unwrap();
    let key = CacheKey::new(
        "Global",
        "HTTPS://login.microsoftonline.com/",
        "Organizations",
        &DEVICE_CODE_CLIENT_ID.to_uppercase(),
    );
    assert!(cache::find(&cache_file, &key).unwrap().is_some());
}

#[cfg(unix)]
#[test]
fn a_cache_others_can_read_is_made_private_when_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    std::fs::write(&path, r#"{"version":1,"entries":[]}"#).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(cache::read_entries(&path).unwrap().is_empty());
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn logout_removes_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    assert!(!logout(&path).unwrap());
    std::fs::write(&path, "{}").unwrap();
    assert!(logout(&path).unwrap());
    assert!(!path.exists());
    assert!(!logout(&path).unwrap());
}

// ---------------------------------------------------------------------------------------------
// Client credentials.

const SECRET: &str = "CLIENT-SECRET-do-not-print-5b8e";

#[tokio::test]
async fn client_secret_sends_the_documented_form() {
    let path = "/tenant-1/oauth2/v2.0/token";
    let fake = FakeIdp::start(vec![
        (
            path,
            200,
            json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "APP-TOKEN-do-not-print-1"}),
        ),
        (
            path,
            200,
            json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "APP-TOKEN-do-not-print-2"}),
        ),
        (
            path,
            401,
            json!({"error": "invalid_client", "error_description": format!("AADSTS7000215: Invalid client secret provided: {SECRET}.\r\nTrace ID: 3")}),
        ),
    ])
    .await;
    let provider = ClientSecret::new(
        http(),
        &fake.base,
        "tenant-1",
        "app-1",
        Secret::new(SECRET),
        Cloud::Global,
    )
    .unwrap();
    assert_eq!(
        provider.describe(),
        "application app-1 in tenant tenant-1 (client secret)"
    );
    let token = provider.token(false).await.unwrap();
    assert_eq!(token.secret.expose(), "APP-TOKEN-do-not-print-1");
    assert!(token.is_fresh(SystemTime::now()));
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, path);
    let mut form = received[0].form.clone();
    form.sort();
    assert_eq!(
        form,
        [
            ("client_id", "app-1"),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );

    // Held while fresh; renewed when refused.
    provider.token(false).await.unwrap();
    assert_eq!(fake.received().len(), 1);
    let token = provider.token(true).await.unwrap();
    assert_eq!(token.secret.expose(), "APP-TOKEN-do-not-print-2");

    // A refused secret: the service's words, never the secret (even if echoed).
    let error = provider.token(true).await.unwrap_err().message;
    assert!(
        error.starts_with(
            "sign-in as application app-1 in tenant tenant-1 failed: invalid_client: AADSTS7000215"
        ),
        "{error}"
    );
    assert_hidden(&error, &[SECRET]);
    assert_hidden(&format!("{provider:?}"), &[SECRET, "APP-TOKEN"]);
}

#[tokio::test]
async fn a_reply_that_is_not_a_token_is_reported_without_its_content() {
    let path = "/tenant-1/oauth2/v2.0/token";
    let fake = FakeIdp::start(vec![
        // A success without the token type: the body (which holds a token) must not be shown.
        (
            path,
            200,
            json!({"access_token": "APP-TOKEN-do-not-print-1", "expires_in": 3599}),
        ),
        (
            path,
            200,
            json!({"token_type": "Bearer", "access_token": "  "}),
        ),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let env = env_of(&[
        (AZURE_TENANT_ID, "tenant-1"),
        (AZURE_CLIENT_ID, "app-1"),
        (AZURE_CLIENT_SECRET, SECRET),
    ]);
    let provider = select_provider(&settings(&fake.base, dir.path()), &env, http()).unwrap();
    let error = provider.token(false).await.unwrap_err().message;
    assert!(error.contains("not the JSON expected"), "{error}");
    assert_hidden(&error, &["do-not-print"]);
    let error = provider.token(false).await.unwrap_err().message;
    assert!(error.contains("no access token"), "{error}");
}

#[test]
fn certificate_files_load_from_pem_either_order_and_pkcs12() {
    let der = std::fs::read(fixture("auth-cert.der")).unwrap();
    let expected = b64(&Sha256::digest(&der));
    let password = Secret::new("hunt-test");
    for (name, password) in [
        ("auth-cert.pem", None),
        ("auth-cert-pkcs1.pem", None),
        ("auth-cert.p12", Some(&password)),
    ] {
        let credential = CertificateCredential::load(&fixture(name), password)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(credential.x5t_s256(), expected, "{name}");
        let shown = format!("{credential:?}");
        assert!(shown.contains(name) && !shown.contains("MII"), "{shown}");
    }
}

#[test]
fn certificate_problems_are_named_without_key_material() {
    let dir = tempfile::tempdir().unwrap();
    let pem = std::fs::read_to_string(fixture("auth-cert.pem")).unwrap();
    let split = pem.find("-----BEGIN PRIVATE KEY").unwrap();
    let (cert_only, key_only) = pem.split_at(split);
    let ec = std::fs::read_to_string(fixture("auth-ec.pem")).unwrap();
    let ec_cert = &ec[..ec.find("-----BEGIN PRIVATE KEY").unwrap()];
    let encrypted = format!(
        "{cert_only}-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n"
    );
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let wrong = Secret::new("not-the-password");
    let cases: Vec<(PathBuf, Option<&Secret>, &str)> = vec![
        (dir.path().join("missing.pem"), None, "does not exist"),
        (
            write("cert-only.pem", cert_only),
            None,
            "holds no private key",
        ),
        (
            write("key-only.pem", key_only),
            None,
            "holds no certificate",
        ),
        (fixture("auth-cert.p12"), Some(&wrong), "wrong password"),
        (
            fixture("auth-cert.p12"),
            None,
            "needs a password: set AZURE_CLIENT_CERTIFICATE_PASSWORD",
        ),
        (fixture("auth-ec.pem"), None, "need RSA"),
        (
            write("mismatch.pem", &format!("{ec_cert}{key_only}")),
            None,
            "does not belong to the certificate",
        ),
        (write("encrypted.pem", &encrypted), None, "encrypted"),
        (
            write("garbage.bin", "hello"),
            None,
            "neither a PEM file nor a PKCS#12",
        ),
        (
            write("truncated.pem", &pem[..pem.len() - 40]),
            None,
            "no END line",
        ),
        (
            write("der.p12", "\u{30}\u{82}\u{1}"),
            None,
            "not a PKCS#12 archive",
        ),
    ];
    for (path, password, expected) in cases {
        let error = CertificateCredential::load(&path, password)
            .err()
            .unwrap_or_else(|| panic!("{} loaded", path.display()))
            .message;
        assert!(error.contains(expected), "{}: {error}", path.display());
        assert!(!error.contains("MII"), "key material in: {error}");
        assert_hidden(&error, &["not-the-password"]);
    }
}

#[tokio::test]
async fn certificate_assertion_is_signed_fresh_and_well_formed() {
    let path = "/tenant-1/oauth2/v2.0/token";
    let der = std::fs::read(fixture("auth-cert.der")).unwrap();
    let x5t = b64(&Sha256::digest(&der));
    let public = std::fs::read(fixture("auth-public.pem")).unwrap();
    for (file, password) in [("auth-cert.pem", ""), ("auth-cert.p12", "hunt-test")] {
        let fake = FakeIdp::start(vec![
            (
                path,
                200,
                json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "APP-TOKEN-do-not-print-1"}),
            ),
            (
                path,
                200,
                json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "APP-TOKEN-do-not-print-2"}),
            ),
            (
                path,
                400,
                json!({"error": "invalid_client", "error_description": "AADSTS700027: Client assertion failed signature validation."}),
            ),
        ])
        .await;
        let password = Some(Secret::new(password)).filter(|p| !p.expose().is_empty());
        let credential = CertificateCredential::load(&fixture(file), password.as_ref()).unwrap();
        let provider = ClientCertificate::new(
            http(),
            &fake.base,
            "tenant-1",
            "app-1",
            credential,
            Cloud::Global,
        )
        .unwrap();
        assert!(
            provider.describe().contains("certificate"),
            "{}",
            provider.describe()
        );
        let before = unix_now();
        provider.token(false).await.unwrap();
        provider.token(true).await.unwrap();
        let error = provider.token(true).await.unwrap_err().message;
        assert!(error.contains("AADSTS700027"), "{error}");

        let token_url = format!("{}{path}", fake.base);
        let received = fake.received();
        let mut ids = Vec::new();
        for request in &received {
            assert_eq!(request.field("grant_type"), Some("client_credentials"));
            assert_eq!(request.field("client_id"), Some("app-1"));
            assert_eq!(
                request.field("scope"),
                Some("https://graph.microsoft.com/.default")
            );
            assert_eq!(
                request.field("client_assertion_type"),
                Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            );
            assert_eq!(request.field("client_secret"), None);
            let assertion = request.field("client_assertion").unwrap();
            assert_hidden(&error, &[assertion]);
            assert_hidden(&format!("{provider:?}"), &[assertion, "APP-TOKEN"]);

            let header = jsonwebtoken::decode_header(assertion).unwrap();
            assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
            assert_eq!(header.typ.as_deref(), Some("JWT"));
            assert_eq!(header.x5t_s256.as_deref(), Some(x5t.as_str()));
            let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
            validation.set_audience(&[&token_url]);
            validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
            validation.validate_nbf = true;
            let key = jsonwebtoken::DecodingKey::from_rsa_pem(&public).unwrap();
            let claims = jsonwebtoken::decode::<Value>(assertion, &key, &validation)
                .unwrap()
                .claims;
            assert_eq!(claims["aud"], token_url.as_str());
            assert_eq!(claims["iss"], "app-1");
            assert_eq!(claims["sub"], "app-1");
            let (iat, nbf, exp) = (
                claims["iat"].as_u64().unwrap(),
                claims["nbf"].as_u64().unwrap(),
                claims["exp"].as_u64().unwrap(),
            );
            assert_eq!(iat, nbf);
            assert!(iat >= before && iat <= unix_now());
            assert!(exp > iat && exp - iat <= 600, "{exp} - {iat}");
            let jti = claims["jti"].as_str().unwrap().to_string();
            assert!(uuid::Uuid::parse_str(&jti).is_ok(), "{jti}");
            ids.push(jti);
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 3, "a fresh assertion per request");
    }
}

// ---------------------------------------------------------------------------------------------
// The Azure CLI.

#[cfg(unix)]
#[tokio::test]
async fn azure_cli_token_and_expiry_are_read() {
    let dir = fake_az();
    let az = AzureCli::new(dir.join("az-ok"), Some("contoso".into()), Cloud::UsGov);
    let token = az.token(false).await.unwrap();
    assert_eq!(token.secret.expose(), "AZ-TOKEN-do-not-print-41d2");
    assert_eq!(
        token.expires_at,
        Some(UNIX_EPOCH + Duration::from_secs(4_070_908_800))
    );
    let args = std::fs::read_to_string(dir.join("az-ok.args")).unwrap();
    assert_eq!(
        args.trim(),
        "account get-access-token --scope https://graph.microsoft.us/.default -o json --tenant contoso"
    );
    assert_hidden(&format!("{az:?} {}", az.describe()), &["do-not-print"]);

    let string = AzureCli::new(dir.join("az-string-expiry"), None, Cloud::Global);
    assert_eq!(
        string.token(false).await.unwrap().expires_at,
        Some(UNIX_EPOCH + Duration::from_secs(4_070_908_800))
    );
    // Local time: within a day of the instant whatever this machine's time zone.
    let local = AzureCli::new(dir.join("az-local-time"), None, Cloud::Global);
    let at = local.token(false).await.unwrap().expires_at.unwrap();
    let utc = UNIX_EPOCH + Duration::from_secs(4_084_014_600);
    let apart = at
        .duration_since(utc)
        .or_else(|_| utc.duration_since(at))
        .unwrap();
    assert!(apart <= Duration::from_secs(86_400), "{apart:?}");
}

#[cfg(unix)]
#[tokio::test]
async fn azure_cli_failures_show_stderr_never_stdout() {
    let dir = fake_az();
    let error = AzureCli::new(dir.join("az-fails"), None, Cloud::Global)
        .token(false)
        .await
        .unwrap_err()
        .message;
    assert!(error.contains("exit status 1"), "{error}");
    assert!(
        error.contains("AADSTS70043") && error.contains("Please run 'az login'"),
        "{error}"
    );
    assert!(
        !error.contains('\u{1b}') && !error.contains('\n'),
        "{error:?}"
    );
    assert_hidden(&error, &["AZ-LEAK"]);

    let error = AzureCli::new(dir.join("az-garbage"), None, Cloud::Global)
        .token(false)
        .await
        .unwrap_err()
        .message;
    assert!(error.contains("other than the token JSON"), "{error}");
    assert_hidden(&error, &["AZ-LEAK"]);

    let error = AzureCli::new(dir.join("not-installed"), None, Cloud::Global)
        .token(false)
        .await
        .unwrap_err()
        .message;
    assert!(error.contains("not installed"), "{error}");
}

#[cfg(unix)]
#[tokio::test]
async fn azure_cli_that_hangs_is_stopped() {
    let az = AzureCli::new(fake_az().join("az-hangs"), None, Cloud::Global)
        .with_timeout(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let error = az.token(false).await.unwrap_err().message;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(error.contains("did not finish within 300 ms"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// Selection.

#[cfg(unix)]
#[tokio::test]
async fn providers_are_chosen_in_the_documented_order() {
    let dir = tempfile::tempdir().unwrap();
    let base = settings("https://login.microsoftonline.com", dir.path());
    let cert = fixture("auth-cert.pem");
    let cert = cert.to_str().unwrap();
    let describe = |settings: &AuthSettings, vars: &[(&str, &str)]| {
        select_provider(settings, &env_of(vars), http())
            .map(|p| p.describe())
            .map_err(|e| e.message)
    };
    let app = [
        (AZURE_TENANT_ID, "tenant-1"),
        (AZURE_CLIENT_ID, "app-1"),
        (AZURE_CLIENT_SECRET, SECRET),
        (AZURE_CLIENT_CERTIFICATE_PATH, cert),
    ];

    // 1. HUNT_TOKEN first of all.
    let mut vars = app.to_vec();
    vars.push((HUNT_TOKEN, "Bearer STATIC-do-not-print"));
    assert_eq!(describe(&base, &vars).unwrap(), "the token in HUNT_TOKEN");
    // 2. An application: the secret before the certificate.
    assert!(describe(&base, &app).unwrap().ends_with("(client secret)"));
    assert!(
        describe(
            &base,
            &app[..2].iter().copied().chain([app[3]]).collect::<Vec<_>>()
        )
        .unwrap()
        .contains("(certificate")
    );
    // ...only with both ids.
    let no_tenant = [app[1], app[2]];
    let error = describe(&base, &no_tenant).unwrap_err();
    assert!(
        error.starts_with("not signed in to Microsoft Graph"),
        "{error}"
    );
    // The tenant may come from the settings instead.
    let with_tenant = AuthSettings {
        tenant: Some("tenant-9".into()),
        ..base.clone()
    };
    assert!(
        describe(&with_tenant, &no_tenant)
            .unwrap()
            .contains("tenant-9")
    );

    // 4. The Azure CLI when az is on PATH.
    let az_dir = fake_az().to_str().unwrap().to_string();
    let on_path = AuthSettings {
        az_program: PathBuf::from("az"),
        ..base.clone()
    };
    assert!(
        describe(&on_path, &[("PATH", &az_dir)])
            .unwrap()
            .contains("Azure CLI")
    );
    assert!(describe(&on_path, &[("PATH", "/nonexistent")]).is_err());
    // 3. ... but a cached `hunt login` before it.
    seed_cache(
        &base,
        "ACCESS-do-not-print",
        unix_now() + 3600,
        Some("REFRESH-do-not-print"),
    );
    assert!(
        describe(&on_path, &[("PATH", &az_dir)])
            .unwrap()
            .starts_with("device-code sign-in (cached) as ana@contoso.example")
    );
    // A cached sign-in for another application or tenant is not this one.
    let other = AuthSettings {
        client_id: Some("another-app".into()),
        ..base.clone()
    };
    assert!(describe(&other, &[]).is_err());
    let other_cloud = AuthSettings {
        cloud: Cloud::UsGov,
        ..base.clone()
    };
    assert!(describe(&other_cloud, &[]).is_err());
    std::fs::remove_file(base.cache_file.as_ref().unwrap()).unwrap();

    // 5. Nothing: how to sign in.
    let error = describe(&base, &[]).unwrap_err();
    for way in [
        "hunt login",
        "HUNT_TOKEN",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "az login",
    ] {
        assert!(error.contains(way), "{way}: {error}");
    }
}

#[tokio::test]
async fn an_explicit_method_names_what_it_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let base = settings("https://login.microsoftonline.com", dir.path());
    let with = |method| AuthSettings {
        method: Some(method),
        ..base.clone()
    };
    let error = |method, vars: &[(&str, &str)]| {
        select_provider(&with(method), &env_of(vars), http())
            .err()
            .map(|e| e.message)
            .unwrap_or_default()
    };
    assert_eq!(
        error(AuthMethod::Token, &[]),
        "sign-in method 'token' needs HUNT_TOKEN (not set)"
    );
    assert_eq!(
        error(AuthMethod::ClientSecret, &[(AZURE_CLIENT_ID, "app-1")]),
        "sign-in method 'client-secret' needs AZURE_TENANT_ID, AZURE_CLIENT_SECRET (not set)"
    );
    assert_eq!(
        error(
            AuthMethod::Certificate,
            &[(AZURE_TENANT_ID, "t"), (AZURE_CLIENT_ID, "a")]
        ),
        "sign-in method 'certificate' needs AZURE_CLIENT_CERTIFICATE_PATH (not set)"
    );
    assert!(error(AuthMethod::DeviceCode, &[]).contains("run `hunt login`"));
    assert!(error(AuthMethod::AzureCli, &[("PATH", "/nonexistent")]).contains("not installed"));
    // An explicit method is used even when another would come first.
    let chosen = select_provider(
        &with(AuthMethod::ClientSecret),
        &env_of(&[
            (HUNT_TOKEN, "x"),
            (AZURE_TENANT_ID, "t"),
            (AZURE_CLIENT_ID, "a"),
            (AZURE_CLIENT_SECRET, SECRET),
        ]),
        http(),
    )
    .unwrap();
    assert!(chosen.describe().ends_with("(client secret)"));

    // Checked inputs.
    let plain_http = AuthSettings {
        authority_host: "http://login.example".into(),
        ..base.clone()
    };
    assert!(
        select_provider(&plain_http, &env_of(&[(HUNT_TOKEN, "x")]), http())
            .err()
            .unwrap()
            .message
            .contains("plain http")
    );
    let bad_tenant = [
        (AZURE_TENANT_ID, "../evil"),
        (AZURE_CLIENT_ID, "a"),
        (AZURE_CLIENT_SECRET, SECRET),
    ];
    assert!(
        select_provider(&base, &env_of(&bad_tenant), http())
            .err()
            .unwrap()
            .message
            .contains("is not a tenant id or domain")
    );
}

#[tokio::test]
async fn a_static_token_cannot_be_renewed() {
    let token = StaticToken::new(Secret::new("  Bearer STATIC-do-not-print  "));
    assert_eq!(
        token.token(false).await.unwrap().secret.expose(),
        "STATIC-do-not-print"
    );
    assert_eq!(
        token.token(true).await.unwrap_err().message,
        STATIC_TOKEN_REFUSED
    );
    let expired = StaticToken::new(Secret::new(jwt(json!({"exp": 1_700_000_000}))));
    assert_eq!(
        expired.token(false).await.unwrap_err().message,
        "the token in HUNT_TOKEN expired at 2023-11-14 22:13:20Z: set a new one (`hunt whoami` shows its claims)"
    );
    let soon = jwt(json!({"exp": unix_now() + 60}));
    let soon_token = StaticToken::new(Secret::new(soon.clone()));
    // Within the refresh margin but not expired: still handed out (nothing better exists).
    assert_eq!(soon_token.token(false).await.unwrap().secret.expose(), soon);
    assert_hidden(
        &format!("{token:?} {}", token.describe()),
        &["do-not-print"],
    );
    // An absurd expiry is no expiry, not a panic.
    let absurd = jwt(json!({"exp": u64::MAX}));
    let absurd_token = StaticToken::new(Secret::new(absurd.clone()));
    assert_eq!(
        absurd_token.token(false).await.unwrap().secret.expose(),
        absurd
    );
}

#[tokio::test]
async fn an_absurd_cached_expiry_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings("https://login.microsoftonline.com", dir.path());
    seed_cache(&settings, "ACCESS-do-not-print", u64::MAX, None);
    let provider = select_provider(&settings, &env_of(&[]), http()).unwrap();
    let token = provider.token(false).await.unwrap();
    assert_eq!(token.secret.expose(), "ACCESS-do-not-print");
    assert_eq!(token.expires_at, None);
}

#[test]
fn methods_and_tenants_are_read_carefully() {
    assert_eq!(AuthMethod::parse("Device-Code"), Ok(AuthMethod::DeviceCode));
    assert_eq!(AuthMethod::parse("azure_cli"), Ok(AuthMethod::AzureCli));
    for method in [
        AuthMethod::Token,
        AuthMethod::ClientSecret,
        AuthMethod::Certificate,
        AuthMethod::DeviceCode,
        AuthMethod::AzureCli,
    ] {
        assert_eq!(AuthMethod::parse(method.name()), Ok(method));
    }
    assert!(
        AuthMethod::parse("kerberos")
            .unwrap_err()
            .contains("device-code")
    );
    for good in [
        "organizations",
        "contoso.onmicrosoft.com",
        "11111111-2222-3333-4444-555555555555",
    ] {
        assert!(oauth::check_tenant(good).is_ok(), "{good}");
    }
    for bad in ["", "../x", "a/b", "a?b", ".hidden", "t\u{1b}[31m"] {
        let error = oauth::check_tenant(bad).unwrap_err().message;
        assert!(!error.contains('\u{1b}'), "{error:?}");
    }
    assert_eq!(oauth::clean("a\u{1b}[2J\r\n  b", 100), "a [2J b");
    assert_eq!(oauth::clean("abcdef", 3), "abc…");
    assert_eq!(
        oauth::redact("token abcdefgh1234 echoed", &["abcdefgh1234"]),
        "token (redacted) echoed"
    );
}

#[test]
fn held_tokens_never_print() {
    let entry = CacheEntry {
        cloud: "global".into(),
        authority: "https://login.microsoftonline.com".into(),
        tenant: "organizations".into(),
        client_id: DEVICE_CODE_CLIENT_ID.into(),
        account: None,
        tenant_id: None,
        access_token: Hidden::new(&Secret::new("ACCESS-do-not-print")),
        expires_at: None,
        refresh_token: Some(Hidden::new(&Secret::new("REFRESH-do-not-print"))),
        saved_at: 0,
    };
    assert_hidden(&format!("{entry:?}"), &["do-not-print"]);
    let token = AccessToken {
        secret: Secret::new("ACCESS-do-not-print"),
        expires_at: None,
    };
    assert_hidden(&format!("{token:?}"), &["do-not-print"]);
}
