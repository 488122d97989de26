//! The Graph backend end to end on loopback: the real client (reqwest) against `hunt serve`
//! (in-process, over the lab engine) and against a scripted fake Graph (`fake_graph`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hunt::backend::{Backend, BoxFuture, ErrorKind, QueryError, QueryRequest};
use hunt::graph::client::{GraphBackend, GraphOptions};
use hunt::graph::cloud::Cloud;
use hunt::graph::serve;
use hunt::graph::token::{AccessToken, AuthError, Secret, TokenProvider};
use hunt::results::ResultSet;
use hunt::results::format::cell_text;
use tokio_util::sync::CancellationToken;

use super::engine::{engine, runtime};
use super::fake_graph::{Fake, Reply};

/// A token provider that counts its calls and records whether each asked for a refresh.
#[derive(Default)]
pub struct TestTokens {
    pub token: String,
    pub calls: Mutex<Vec<bool>>,
}

impl TestTokens {
    pub fn new(token: &str) -> Arc<TestTokens> {
        Arc::new(TestTokens {
            token: token.into(),
            calls: Mutex::default(),
        })
    }
}

impl TokenProvider for TestTokens {
    fn describe(&self) -> String {
        "test tokens".into()
    }

    fn token(&self, force_refresh: bool) -> BoxFuture<'_, Result<AccessToken, AuthError>> {
        self.calls.lock().unwrap().push(force_refresh);
        let token = AccessToken {
            secret: Secret::new(self.token.clone()),
            expires_at: None,
        };
        Box::pin(async move { Ok(token) })
    }
}

pub fn http() -> reqwest::Client {
    hunt::graph::http::http_client(Duration::from_secs(60)).expect("an HTTP client")
}

pub fn backend_at(url: &str, tokens: Arc<dyn TokenProvider>) -> GraphBackend {
    let mut options = GraphOptions::for_cloud(Cloud::Global, "contoso");
    options.endpoint = url.to_string();
    GraphBackend::new(options, http(), tokens, Vec::new())
}

pub fn run_on(backend: &GraphBackend, query: &str) -> Result<ResultSet, QueryError> {
    runtime().block_on(backend.run(QueryRequest::new(query), CancellationToken::new()))
}

/// `hunt serve` over the lab engine, in-process on a loopback port; returns its base URL.
pub fn start_serve(token: Option<&str>) -> String {
    let listener = runtime()
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let backend: Arc<dyn Backend> = Arc::new(engine().clone());
    runtime().spawn(serve::serve(
        listener,
        backend,
        token.map(Secret::new),
        Box::new(|_| {}),
        CancellationToken::new(),
    ));
    url
}

fn texts(result: &ResultSet) -> Vec<Vec<String>> {
    (0..result.row_count())
        .map(|row| {
            (0..result.column_count())
                .map(|c| {
                    cell_text(result.column(c), row, result.column_type(c)).unwrap_or_default()
                })
                .collect()
        })
        .collect()
}

fn header(result: &ResultSet) -> Vec<(String, String)> {
    (0..result.column_count())
        .map(|c| {
            (
                result.column_name(c).to_string(),
                result.column_type(c).kql_name().to_string(),
            )
        })
        .collect()
}

const QUERY: &str = "DeviceProcessEvents | where FileName =~ \"powershell.exe\" | project Timestamp, DeviceName, ProcessId, ProcessCommandLine, AdditionalFields | sort by Timestamp asc, ProcessId asc | take 20";

#[test]
fn serve_answers_what_the_local_engine_answers() {
    let url = start_serve(Some("practice-token"));
    let backend = backend_at(&url, TestTokens::new("practice-token"));
    let remote = run_on(&backend, QUERY).expect("the query runs through Graph's contract");
    let local = runtime()
        .block_on(engine().execute(&QueryRequest::new(QUERY)))
        .unwrap();
    assert!(remote.row_count() > 0);
    assert_eq!(header(&remote), header(&local));
    assert_eq!(texts(&remote), texts(&local));
    assert_eq!(remote.facts.window.as_deref(), Some("last 30d"));
    // The name says where the requests go: this is not Microsoft's Graph.
    assert_eq!(
        backend.name(),
        format!("graph · contoso · {}", url.trim_start_matches("http://"))
    );
    assert_eq!(
        hunt::graph::cloud::place(Cloud::Global, &Cloud::Global.graph_base()),
        "global"
    );
}

#[test]
fn serve_checks_the_bearer_token_and_speaks_the_error_envelope() {
    let url = start_serve(Some("practice-token"));
    let wrong = backend_at(&url, TestTokens::new("not-the-token"));
    let error = run_on(&wrong, "DeviceInfo | take 1").unwrap_err();
    assert_eq!(error.kind, ErrorKind::Auth);
    assert!(error.message.contains("401"), "{}", error.message);
    assert!(!error.message.contains("not-the-token"));

    let right = backend_at(&url, TestTokens::new("practice-token"));
    let error = run_on(&right, "DeviceInfo | where NoSuchColumn == 1").unwrap_err();
    assert_eq!(error.kind, ErrorKind::Semantic);
    assert!(error.message.contains("NoSuchColumn"), "{}", error.message);
    assert!(error.message.contains("request-id"), "{}", error.message);

    let client = http();
    let raw = runtime().block_on(async {
        let get = client
            .get(format!("{url}/v1.0/security/runHuntingQuery"))
            .bearer_auth("practice-token")
            .send()
            .await
            .unwrap();
        let missing = client
            .post(format!("{url}/v1.0/security/nothing"))
            .send()
            .await
            .unwrap();
        let capitalised = client
            .post(format!("{url}/beta/security/runHuntingQuery"))
            .bearer_auth("practice-token")
            .body(r#"{"Query": "DeviceInfo | count", "Timespan": "P7D"}"#)
            .send()
            .await
            .unwrap();
        let allow = get
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (
            get.status().as_u16(),
            missing.status().as_u16(),
            capitalised.status().as_u16(),
            capitalised.text().await.unwrap(),
            allow,
        )
    });
    assert_eq!((raw.0, raw.1, raw.2), (405, 404, 200), "{}", raw.3);
    assert_eq!(raw.4.as_deref(), Some("POST"), "405 says what is allowed");
    assert!(raw.3.starts_with("{\"@odata.context\":"), "{}", raw.3);
    assert!(
        raw.3
            .contains(r#""schema":[{"name":"Count","type":"Int64"}]"#),
        "{}",
        raw.3
    );
}

fn decoded(body: &str) -> Result<ResultSet, QueryError> {
    let fake = Fake::always(runtime(), Reply::json(200, body));
    run_on(&backend_at(&fake.url, TestTokens::new("t")), "T")
}

#[test]
fn both_key_casings_decode() {
    let lower = decoded(
        r#"{"schema":[{"name":"A","type":"String"},{"name":"N","type":"Int64"}],"results":[{"A":"x","N":9007199254740993}]}"#,
    )
    .unwrap();
    let upper = decoded(
        r#"{"Schema":[{"Name":"A","Type":"String"},{"Name":"N","Type":"Int64"}],"Results":[{"N":9007199254740993,"A":"x"}]}"#,
    )
    .unwrap();
    assert_eq!(texts(&lower), vec![vec!["x", "9007199254740993"]]);
    assert_eq!(texts(&upper), texts(&lower));
    assert_eq!(header(&upper), header(&lower));
}

#[test]
fn the_request_is_graphs() {
    let fake = Fake::always(runtime(), Reply::json(200, r#"{"schema":[],"results":[]}"#));
    let backend = backend_at(&fake.url, TestTokens::new("tok-123"));
    let query = "EmailEvents | where Subject has \"Рaypal\" // lookalike";
    let request = QueryRequest {
        query: query.into(),
        timespan: Some("P7D".into()),
    };
    runtime()
        .block_on(backend.run(request, CancellationToken::new()))
        .unwrap();
    let seen = &fake.requests()[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/v1.0/security/runHuntingQuery");
    assert_eq!(seen.headers["authorization"], "Bearer tok-123");
    assert_eq!(
        seen.headers["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(seen.headers["client-request-id"].len(), 36);
    let body: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(body["query"], query, "sent exactly as typed");
    assert_eq!(body["timespan"], "P7D");
}

#[test]
fn a_render_hint_is_read_locally_and_the_query_sent_as_typed() {
    let fake = Fake::always(runtime(), Reply::json(200, r#"{"schema":[],"results":[]}"#));
    let backend = backend_at(&fake.url, TestTokens::new("tok"));
    let query = "DeviceInfo | summarize count() by OSPlatform | render piechart with (title='OS')";
    let result = run_on(&backend, query).unwrap();
    let hint = result
        .render()
        .expect("the hint is read from the query text");
    assert_eq!(hint.visualization, hunt::results::Visualization::PieChart);
    assert_eq!(hint.title.as_deref(), Some("OS"));
    let body: serde_json::Value = serde_json::from_slice(&fake.requests()[0].body).unwrap();
    assert_eq!(
        body["query"], query,
        "sent exactly as typed, render included"
    );
    assert!(
        run_on(&backend, "DeviceInfo | take 1")
            .unwrap()
            .render()
            .is_none()
    );
}

fn failure(reply: Reply) -> (QueryError, Fake) {
    let fake = Fake::always(runtime(), reply);
    let error = run_on(&backend_at(&fake.url, TestTokens::new("t")), "T").unwrap_err();
    (error, fake)
}

const EMPTY_5XX: &str = r#"{"error":{"code":"UnknownError","message":"","innerError":{"date":"2026-01-01T00:00:00","request-id":"11111111-aaaa-bbbb-cccc-000000000001","client-request-id":"22222222-aaaa-bbbb-cccc-000000000002"}}}"#;

#[test]
fn every_error_class_gets_its_kind_and_a_message() {
    let (e, _) = failure(Reply::json(
        400,
        r#"{"error":{"code":"BadRequest","message":"'project' operator: Failed to resolve scalar expression named 'x'","innerError":{"request-id":"rq-400","date":"2026-01-01T00:00:00"}}}"#,
    ));
    assert_eq!(e.kind, ErrorKind::Semantic);
    assert_eq!(e.exit_code(), 1);
    assert!(
        e.message
            .starts_with("'project' operator: Failed to resolve scalar expression named 'x'"),
        "{}",
        e.message
    );
    assert!(e.message.contains("request-id rq-400"), "{}", e.message);

    let (e, _) = failure(Reply::json(504, EMPTY_5XX));
    assert_eq!((e.kind.clone(), e.exit_code()), (ErrorKind::Network, 5));
    assert!(e.message.contains("3-minute"), "{}", e.message);
    assert!(
        e.message.contains("11111111-aaaa-bbbb-cccc-000000000001"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("22222222-aaaa-bbbb-cccc-000000000002"),
        "{}",
        e.message
    );
    assert!(e.message.contains("2026-01-01T00:00:00"), "{}", e.message);

    let (e, _) = failure(Reply::json(500, EMPTY_5XX));
    assert_eq!(e.kind, ErrorKind::Network);
    assert!(
        e.message.contains("probably too expensive"),
        "{}",
        e.message
    );

    let (e, _) = failure(Reply::Full {
        status: 502,
        headers: vec![("content-type".into(), "text/html".into())],
        body: b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
    });
    assert_eq!(e.kind, ErrorKind::Network);
    assert!(e.message.contains("HTML page"), "{}", e.message);

    let (e, _) = failure(Reply::json(200, "<html>not json</html>"));
    assert_eq!(e.kind, ErrorKind::Network);
    assert!(e.message.contains("could not be read"), "{}", e.message);

    let body = r#"{"schema":[{"name":"A","type":"String"}],"results":[{"A":"one"},{"A":"two"}]}"#;
    let (e, _) = failure(Reply::CutShort {
        status: 200,
        body: body.as_bytes().to_vec(),
        sent: 40,
    });
    assert_eq!(e.kind, ErrorKind::Network);
    assert!(
        e.message.contains("broke before the whole answer"),
        "{}",
        e.message
    );
}

fn jwt(payload: &str) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"RS256","typ":"JWT"}"#),
        b64(payload)
    )
}

#[test]
fn a_403_names_the_missing_permission_from_the_token() {
    let token = jwt(
        r#"{"aud":"https://graph.microsoft.com","tid":"t","scp":"User.Read","app_displayname":"Hunting Console"}"#,
    );
    let fake = Fake::always(
        runtime(),
        Reply::json(
            403,
            r#"{"error":{"code":"Forbidden","message":"Missing role permissions on the request."}}"#,
        ),
    );
    let error = run_on(&backend_at(&fake.url, TestTokens::new(&token)), "T").unwrap_err();
    assert_eq!(
        (error.kind.clone(), error.exit_code()),
        (ErrorKind::Auth, 3)
    );
    assert!(
        error
            .message
            .contains("lacks ThreatHunting.Read.All (it has: User.Read)"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("Hunting Console"),
        "{}",
        error.message
    );
    assert!(!error.message.contains(&token));
}

#[test]
fn a_401_refreshes_the_token_once() {
    let ok = r#"{"schema":[{"name":"A","type":"Int32"}],"results":[{"A":1}]}"#;
    let unauthorized = r#"{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid."}}"#;
    let fake = Fake::sequence(
        runtime(),
        vec![Reply::json(401, unauthorized), Reply::json(200, ok)],
    );
    let tokens = TestTokens::new("t");
    let result = run_on(&backend_at(&fake.url, tokens.clone()), "T").unwrap();
    assert_eq!(texts(&result), vec![vec!["1"]]);
    assert_eq!(*tokens.calls.lock().unwrap(), vec![false, true]);

    let fake = Fake::always(runtime(), Reply::json(401, unauthorized));
    let tokens = TestTokens::new("t");
    let error = run_on(&backend_at(&fake.url, tokens.clone()), "T").unwrap_err();
    assert_eq!(error.kind, ErrorKind::Auth);
    assert!(error.message.contains("hunt login"), "{}", error.message);
    assert!(
        error.message.contains("Access token has expired"),
        "{}",
        error.message
    );
    assert_eq!(fake.requests().len(), 2, "one retry, no loop");
}

#[test]
fn throttling_reads_retry_after_and_holds_the_next_call() {
    let body = r#"{"error":{"code":"TooManyRequests","message":"Too many requests: the tenant's CPU quota is spent."}}"#;
    let fake = Fake::always(
        runtime(),
        Reply::json(429, body).with_header("retry-after", "0.249"),
    );
    let backend = backend_at(&fake.url, TestTokens::new("t"));
    let error = run_on(&backend, "T").unwrap_err();
    assert_eq!(
        (error.kind.clone(), error.exit_code()),
        (ErrorKind::Throttled, 4)
    );
    assert_eq!(error.retry_after, Some(Duration::from_millis(249)));
    assert!(
        error.message.contains("CPU quota is spent"),
        "{}",
        error.message
    );

    // An HTTP date: the wait is until then; a call before it is not sent at all.
    let later = SystemTime::now() + Duration::from_secs(120);
    let date = httpdate(later);
    let fake = Fake::always(
        runtime(),
        Reply::json(429, body).with_header("retry-after", &date),
    );
    let backend = backend_at(&fake.url, TestTokens::new("t"));
    let error = run_on(&backend, "T").unwrap_err();
    let wait = error.retry_after.expect("a wait");
    assert!(
        wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );
    let again = run_on(&backend, "T").unwrap_err();
    assert_eq!(again.kind, ErrorKind::Throttled);
    assert!(
        again.message.contains("still throttling"),
        "{}",
        again.message
    );
    assert_eq!(fake.requests().len(), 1, "the early call was never sent");

    // The legacy body with no Retry-After: at least 5 s, and the service's words verbatim.
    let legacy = r#"{"error":{"code":"429","message":"API calls quota exceeded! maximum allowed 45 per 00:01:00","target":"00000000-0000-0000-0000-000000000000"}}"#;
    let (error, _) = failure(Reply::json(429, legacy));
    assert_eq!(error.retry_after, Some(Duration::from_secs(5)));
    assert!(
        error
            .message
            .contains("API calls quota exceeded! maximum allowed 45 per 00:01:00"),
        "{}",
        error.message
    );
    assert!(!error.message.contains("429 429"), "{}", error.message);
}

fn httpdate(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

#[test]
fn a_slow_answer_is_abandoned_when_the_query_is_cancelled() {
    let fake = Fake::always(
        runtime(),
        Reply::Slow(
            Duration::from_secs(60),
            Box::new(Reply::json(200, r#"{"schema":[],"results":[]}"#)),
        ),
    );
    let backend = Arc::new(backend_at(&fake.url, TestTokens::new("t")));
    let cancel = CancellationToken::new();
    let (b, c) = (backend.clone(), cancel.clone());
    let run = runtime().spawn(async move { b.run(QueryRequest::new("T"), c).await });
    // Cancel once the request has reached the server.
    while fake.requests().is_empty() {
        std::thread::sleep(Duration::from_millis(10));
    }
    cancel.cancel();
    let outcome = runtime().block_on(run).unwrap();
    assert!(outcome.is_err());
    // The client closed the connection: the fake saw it go.
    while *fake.abandoned.lock().unwrap() == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A generated answer of `rows` rows: the shape of DeviceProcessEvents' common columns.
pub fn big_response(rows: usize) -> String {
    let mut body = String::from(
        r#"{"@odata.context":"x","schema":[{"name":"Timestamp","type":"DateTime"},{"name":"DeviceName","type":"String"},{"name":"ProcessId","type":"Int64"},{"name":"AdditionalFields","type":"Object"}],"results":["#,
    );
    for row in 0..rows {
        if row > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            r#"{{"Timestamp":"2026-01-{:02}T{:02}:{:02}:{:02}.{:07}Z","DeviceName":"ws-{:04}.contoso.example","ProcessId":{},"AdditionalFields":{{"n":{row}}}}}"#,
            row % 28 + 1,
            row % 24,
            row % 60,
            (row / 60) % 60,
            row,
            row % 5000,
            row as i64 * 7919,
        ));
    }
    body.push_str("]}");
    body
}

#[test]
fn a_100k_row_answer_decodes_and_is_marked_truncated() {
    let fake = Fake::always(runtime(), Reply::json(200, big_response(100_000)));
    let result = run_on(&backend_at(&fake.url, TestTokens::new("t")), "T").unwrap();
    assert_eq!(result.row_count(), 100_000);
    assert!(result.facts.truncated, "Graph's cap is 100,000 rows");
    let last = &texts(&result)[99_999];
    assert_eq!(last[1], "ws-4999.contoso.example");
    assert_eq!(last[2], (99_999i64 * 7919).to_string());
    assert_eq!(last[3], r#"{"n":99999}"#);
}

#[test]
fn pacing_counts_calls() {
    // 45 quick calls pass without a wait message; the pacer's arithmetic is unit-tested in
    // `graph::client` (a 46th call would wait for the rolling minute).
    let fake = Fake::always(runtime(), Reply::json(200, r#"{"schema":[],"results":[]}"#));
    let backend = backend_at(&fake.url, TestTokens::new("t"));
    let waits = Arc::new(AtomicUsize::new(0));
    for _ in 0..45 {
        let w = waits.clone();
        runtime()
            .block_on(backend.run_with_progress(
                QueryRequest::new("T"),
                CancellationToken::new(),
                Arc::new(move |_| {
                    w.fetch_add(1, Ordering::SeqCst);
                }),
            ))
            .unwrap();
    }
    assert_eq!(waits.load(Ordering::SeqCst), 0);
    let w = waits.clone();
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    let backend = Arc::new(backend);
    let b = backend.clone();
    let waiting = runtime().spawn(async move {
        b.run_with_progress(
            QueryRequest::new("T"),
            c,
            Arc::new(move |_| {
                w.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .await
    });
    while waits.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    cancel.cancel();
    assert!(runtime().block_on(waiting).unwrap().is_err());
    assert_eq!(fake.requests().len(), 45, "the 46th call never went out");
}

/// The hunt binary with a clean environment for Graph: no Azure variables from the caller, a
/// private HUNT_HOME, and `HUNT_TOKEN` when given.
fn hunt_cli(args: &[&str], token: Option<&str>) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    let mut command = clean_command(args, home.path());
    if let Some(token) = token {
        command.env("HUNT_TOKEN", token);
    }
    command.output().expect("hunt runs")
}

/// `hunt ARGS` under `home`, with none of the caller's sign-in variables.
fn clean_command(args: &[&str], home: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_hunt"));
    command.args(args).env("HUNT_HOME", home);
    for name in [
        "HUNT_TOKEN",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        "AZURE_AUTHORITY_HOST",
    ] {
        command.env_remove(name);
    }
    command
}

fn out(output: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const SECRET: &str = "practice-token-3f9c1e77";

#[test]
fn hunt_run_against_serve_round_trips_json() {
    let url = start_serve(Some(SECRET));
    let output = hunt_cli(
        &[
            "run",
            QUERY,
            "--backend",
            "graph",
            "--endpoint",
            &url,
            "--format",
            "json",
        ],
        Some(SECRET),
    );
    let (stdout, stderr) = out(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let decoded = hunt::graph::decode::decode_results(stdout.as_bytes(), "again").unwrap();
    let local = runtime()
        .block_on(engine().execute(&QueryRequest::new(QUERY)))
        .unwrap();
    assert_eq!(header(&decoded), header(&local));
    assert_eq!(texts(&decoded), texts(&local));
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));

    let output = hunt_cli(
        &[
            "run",
            "DeviceInfo | summarize n = count() by OSPlatform | sort by OSPlatform asc",
            "--backend",
            "graph",
            "--endpoint",
            &url,
            "--format",
            "csv",
        ],
        Some(SECRET),
    );
    assert_eq!(
        out(&output).0,
        "OSPlatform,n\nWindows11,7\nWindowsServer2022,3\n"
            .replace(",7", &format!(",{}", count_of("Windows11")))
            .replace(",3", &format!(",{}", count_of("WindowsServer2022")))
    );
}

fn count_of(platform: &str) -> i64 {
    let result = runtime()
        .block_on(engine().execute(&QueryRequest::new(format!(
            "DeviceInfo | where OSPlatform == \"{platform}\" | count"
        ))))
        .unwrap();
    super::engine::single_long(&result)
}

#[test]
fn hunt_run_exit_codes_follow_the_error_class_and_never_show_the_token() {
    let cases = [
        (
            Reply::json(
                400,
                r#"{"error":{"code":"BadRequest","message":"Syntax error near 'wher'"}}"#,
            ),
            1,
            "Syntax error near 'wher'",
        ),
        (
            Reply::json(403, r#"{"error":{"code":"Forbidden","message":"denied"}}"#),
            3,
            "403",
        ),
        (
            Reply::json(
                429,
                r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#,
            )
            .with_header("retry-after", "2.128"),
            4,
            "retry in 3 s",
        ),
        (Reply::json(504, EMPTY_5XX), 5, "3-minute"),
        (
            Reply::json(
                401,
                r#"{"error":{"code":"InvalidAuthenticationToken","message":"expired"}}"#,
            ),
            3,
            "HUNT_TOKEN",
        ),
    ];
    for (reply, code, needle) in cases {
        let fake = Fake::always(runtime(), reply);
        let output = hunt_cli(
            &[
                "run",
                "DeviceInfo | take 1",
                "--backend",
                "graph",
                "--endpoint",
                &fake.url,
            ],
            Some(SECRET),
        );
        let (stdout, stderr) = out(&output);
        assert_eq!(output.status.code(), Some(code), "{stderr}");
        assert!(stderr.contains(needle), "{needle}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(!stderr.contains(SECRET), "{stderr}");
        assert_eq!(
            fake.requests()[0].headers["authorization"],
            format!("Bearer {SECRET}")
        );
    }
    // Not signed in at all: an auth failure that says how to sign in.
    let output = hunt_cli(
        &[
            "run",
            "T",
            "--backend",
            "graph",
            "--auth",
            "token",
            "--endpoint",
            "http://127.0.0.1:9",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(3), "{}", out(&output).1);
    assert!(out(&output).1.contains("HUNT_TOKEN"), "{}", out(&output).1);
}

#[test]
fn usage_errors_for_clouds_endpoints_and_binds() {
    let china = hunt_cli(
        &["run", "T", "--backend", "graph", "--cloud", "china"],
        Some(SECRET),
    );
    assert_eq!(china.status.code(), Some(2));
    assert!(
        out(&china).1.contains("not offered in the China cloud"),
        "{}",
        out(&china).1
    );
    let plain = hunt_cli(
        &[
            "run",
            "T",
            "--backend",
            "graph",
            "--endpoint",
            "http://10.1.2.3:80",
        ],
        Some(SECRET),
    );
    assert_eq!(plain.status.code(), Some(2));
    assert!(
        out(&plain).1.contains("only on loopback"),
        "{}",
        out(&plain).1
    );
    let open = hunt_cli(&["serve", "--bind", "0.0.0.0:0"], None);
    assert_eq!(open.status.code(), Some(2));
    assert!(out(&open).1.contains("--token"), "{}", out(&open).1);
}

#[test]
fn whoami_reads_the_claims_and_never_prints_the_token() {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let token = jwt(&format!(
        r#"{{"aud":"https://graph.microsoft.com","tid":"72f988bf-0000-0000-0000-000000000001","upn":"ana@contoso.example","app_displayname":"Hunting Console","scp":"ThreatHunting.Read.All User.Read","exp":{exp}}}"#
    ));
    let output = hunt_cli(&["whoami"], Some(&token));
    let (stdout, stderr) = out(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    for needle in [
        "72f988bf-0000-0000-0000-000000000001",
        "ana@contoso.example",
        "https://graph.microsoft.com",
        "ThreatHunting.Read.All User.Read",
        "yes (ThreatHunting.Read.All)",
        "(in 59 min)",
    ] {
        assert!(stdout.contains(needle), "{needle}: {stdout}");
    }
    assert!(!stdout.contains(&token) && !stderr.contains(&token));
    let parts: Vec<&str> = token.split('.').collect();
    assert!(!stdout.contains(parts[1]), "not even the payload");
}

fn graph_app(backend: GraphBackend, text: &str) -> hunt::tui::app::App {
    let handle = hunt::worker::spawn(runtime().handle(), Arc::new(backend), None);
    super::console::ready(hunt::tui::app::App::new(
        handle,
        Vec::new(),
        text,
        "graph · global",
        "last 30d",
        hunt::tui::theme::Theme::bundled(false),
    ))
}

#[test]
fn the_console_runs_on_graph_and_says_where() {
    use ratatui::crossterm::event::KeyCode;
    let url = start_serve(Some(SECRET));
    let mut app = graph_app(
        backend_at(&url, TestTokens::new(SECRET)),
        "DeviceInfo | summarize Devices = count()",
    );
    app.handle_key(super::console::key(KeyCode::F(5)));
    super::console::wait(&mut app);
    let screen = super::console::screen(&mut app, 120, 30);
    // The status line names the tenant and where the requests go (here `hunt serve`).
    let place = url.trim_start_matches("http://");
    assert!(
        screen.contains(&format!("graph · contoso · {place} · last 30d · 1 row")),
        "{screen}"
    );
    assert!(screen.contains("Devices"), "{screen}");
}

#[test]
fn the_console_counts_down_a_throttle_and_keeps_the_query() {
    use ratatui::crossterm::event::KeyCode;
    let fake = Fake::always(
        runtime(),
        Reply::json(
            429,
            r#"{"error":{"code":"TooManyRequests","message":"CPU quota spent"}}"#,
        )
        .with_header("retry-after", "30"),
    );
    let query = "DeviceEvents | take 10";
    let mut app = graph_app(backend_at(&fake.url, TestTokens::new("t")), query);
    app.handle_key(super::console::key(KeyCode::F(5)));
    super::console::wait(&mut app);
    let screen = super::console::screen(&mut app, 140, 30);
    assert!(
        screen.contains("throttled: retry in 30 s") || screen.contains("throttled: retry in 29 s"),
        "{screen}"
    );
    assert!(screen.contains("CPU quota spent"), "{screen}");
    assert!(screen.contains(query), "the query text stays: {screen}");
    // When the wait is over the status line says so (here: the wait is moved to the past).
    app.throttled_until = Some(std::time::Instant::now());
    app.tick();
    let screen = super::console::screen(&mut app, 140, 30);
    assert!(
        screen.contains("the throttle wait is over: F5 sends again"),
        "{screen}"
    );
}

#[test]
fn login_whoami_and_logout_through_a_fake_sign_in_service() {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let access = jwt(&format!(
        r#"{{"aud":"https://graph.microsoft.com","tid":"tenant-guid-1","upn":"ana@contoso.example","scp":"ThreatHunting.Read.All","exp":{exp}}}"#
    ));
    let token_reply = format!(
        r#"{{"token_type":"Bearer","scope":"https://graph.microsoft.com/ThreatHunting.Read.All","expires_in":3600,"access_token":"{access}","refresh_token":"refresh-secret-0001"}}"#
    );
    let sign_in = Fake::start(
        runtime(),
        Arc::new(move |_, seen| {
            if seen.path.ends_with("/oauth2/v2.0/devicecode") {
                Reply::json(
                    200,
                    r#"{"device_code":"device-secret-9","user_code":"HUNT-1234","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":1,"message":"To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code HUNT-1234 to authenticate."}"#,
                )
            } else {
                Reply::json(200, token_reply.clone())
            }
        }),
    );
    let home = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let mut command = clean_command(args, home.path());
        command
            .env("AZURE_AUTHORITY_HOST", &sign_in.url)
            .env("PATH", "/nonexistent");
        command.output().unwrap()
    };
    let login = cli(&[
        "login",
        "--tenant",
        "contoso.example",
        "--client-id",
        "app-1",
    ]);
    let (stdout, stderr) = out(&login);
    assert_eq!(login.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("HUNT-1234"), "the code is shown: {stderr}");
    assert!(stderr.contains("ana@contoso.example"), "{stderr}");
    let requests = sign_in.requests();
    assert!(
        requests[0]
            .path
            .starts_with("/contoso.example/oauth2/v2.0/devicecode"),
        "{:?}",
        requests[0].path
    );
    let cache = home.path().join("cache").join("tokens.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let who = cli(&[
        "whoami",
        "--tenant",
        "contoso.example",
        "--client-id",
        "app-1",
    ]);
    let (who_out, who_err) = out(&who);
    assert_eq!(who.status.code(), Some(0), "{who_err}");
    assert!(
        who_out.contains("ana@contoso.example") && who_out.contains("tenant-guid-1"),
        "{who_out}"
    );
    for text in [&stdout, &stderr, &who_out, &who_err] {
        assert!(
            !text.contains(&access)
                && !text.contains("refresh-secret-0001")
                && !text.contains("device-secret-9")
        );
    }

    let logout = cli(&["logout"]);
    assert_eq!(logout.status.code(), Some(0));
    assert!(!cache.exists());
    let again = cli(&[
        "whoami",
        "--tenant",
        "contoso.example",
        "--client-id",
        "app-1",
        "--auth",
        "device-code",
    ]);
    assert_eq!(again.status.code(), Some(3), "{}", out(&again).1);
    assert!(out(&again).1.contains("hunt login"), "{}", out(&again).1);
}

#[test]
fn sign_in_advice_keeps_its_lines_and_bad_windows_are_usage_errors() {
    let home = tempfile::tempdir().unwrap();
    let output = clean_command(&["whoami"], home.path())
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let (_, stderr) = out(&output);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.lines().count() >= 4, "one option a line: {stderr}");
    assert!(
        stderr.contains("hunt login") && !stderr.contains('↵'),
        "{stderr}"
    );

    let fake = Fake::always(runtime(), Reply::json(200, r#"{"schema":[],"results":[]}"#));
    let output = hunt_cli(
        &[
            "run",
            "T",
            "--backend",
            "graph",
            "--endpoint",
            &fake.url,
            "--timespan",
            "7d",
        ],
        Some(SECRET),
    );
    assert_eq!(output.status.code(), Some(2), "{}", out(&output).1);
    assert!(out(&output).1.contains("--timespan"), "{}", out(&output).1);
    assert!(fake.requests().is_empty(), "nothing was sent");
}

#[test]
fn whoami_explains_expired_and_foreign_tokens() {
    let expired = jwt(
        r#"{"aud":"https://management.azure.com","tid":"t-9","upn":"bo@contoso.example","scp":"User.Read","exp":1700000000}"#,
    );
    let output = hunt_cli(&["whoami"], Some(&expired));
    let (stdout, stderr) = out(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("2023-11-14 22:13:20Z (expired)"),
        "{stdout}"
    );
    assert!(stdout.contains("NOT Microsoft Graph"), "{stdout}");
    assert!(stdout.contains("bo@contoso.example"), "{stdout}");
    // `hunt run` says it expired, and sends nothing.
    let fake = Fake::always(runtime(), Reply::json(200, r#"{"schema":[],"results":[]}"#));
    let run = hunt_cli(
        &["run", "T", "--backend", "graph", "--endpoint", &fake.url],
        Some(&expired),
    );
    assert_eq!(run.status.code(), Some(3));
    assert!(
        out(&run).1.contains("expired at 2023-11-14 22:13:20Z"),
        "{}",
        out(&run).1
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn a_bad_graph_value_in_the_config_file_names_the_file() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "backend = \"graph\"\ncloud = \"mars\"\n",
    )
    .unwrap();
    let output = clean_command(&["run", "T"], home.path()).output().unwrap();
    let (_, stderr) = out(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("config.toml (config file): unknown cloud 'mars'"),
        "{stderr}"
    );
    // A flag that fixes it wins.
    let fixed = clean_command(&["run", "T", "--cloud", "china"], home.path())
        .output()
        .unwrap();
    assert!(
        out(&fixed).1.contains("not offered in the China cloud"),
        "{}",
        out(&fixed).1
    );
    assert!(!out(&fixed).1.contains("config file"), "{}", out(&fixed).1);
}

#[test]
fn serve_refuses_an_empty_token_and_an_oversized_body_at_once() {
    let home = tempfile::tempdir().unwrap();
    let output = clean_command(&["serve", "--token", ""], home.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", out(&output).1);
    assert!(out(&output).1.contains("empty"), "{}", out(&output).1);

    let url = start_serve(None);
    let address = url.trim_start_matches("http://").to_string();
    let reply = runtime().block_on(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"POST /v1.0/security/runHuntingQuery HTTP/1.1\r\nhost: x\r\ncontent-length: 2000000\r\n\r\n{}")
            .await
            .unwrap();
        let mut reply = vec![0u8; 1024];
        // A deadline against a hang, not a speed check: the old code waited for the body.
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut reply))
            .await
            .expect("an answer before the body arrives")
            .unwrap();
        String::from_utf8_lossy(&reply[..n]).into_owned()
    });
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
}

#[test]
fn long_errors_wrap_under_the_editor() {
    use ratatui::crossterm::event::KeyCode;
    let message = "Query could not be parsed at 'whre' on line [2,3]. Token: whre. Line: 2, Position: 3. Did you mean 'where'? The query text is kept exactly as it was sent to the service.";
    let fake = Fake::always(
        runtime(),
        Reply::json(
            400,
            format!(
                r#"{{"error":{{"code":"BadRequest","message":"{message}","innerError":{{"request-id":"rq-0123456789abcdef"}}}}}}"#
            ),
        ),
    );
    let mut app = graph_app(
        backend_at(&fake.url, TestTokens::new("t")),
        "DeviceInfo\n| whre x",
    );
    app.handle_key(super::console::key(KeyCode::F(5)));
    super::console::wait(&mut app);
    let screen = super::console::screen(&mut app, 100, 30);
    assert!(
        screen.contains("rq-0123456789abcdef"),
        "the request id is shown: {screen}"
    );
    assert!(screen.contains("Did you mean"), "{screen}");
    // At 80×24 the message is cut, says so, and F2 shows it whole.
    let small = super::console::screen(&mut app, 80, 24);
    assert!(small.contains("… F2 shows all"), "{small}");
    app.handle_key(super::console::key(KeyCode::F(2)));
    let whole = super::console::screen(&mut app, 80, 24);
    assert!(
        whole.contains("rq-0123456789abcdef") && whole.contains("kept exactly as it"),
        "{whole}"
    );
}

#[test]
fn an_unreachable_sign_in_service_is_a_network_failure() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let home = tempfile::tempdir().unwrap();
    let login = clean_command(&["login", "--tenant", "contoso.example"], home.path())
        .env("AZURE_AUTHORITY_HOST", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(login.status.code(), Some(5), "{}", out(&login).1);
    assert!(
        out(&login).1.contains("could not reach 127.0.0.1"),
        "{}",
        out(&login).1
    );

    let run = clean_command(
        &[
            "run",
            "T",
            "--backend",
            "graph",
            "--endpoint",
            "http://127.0.0.1:9",
        ],
        home.path(),
    )
    .env("AZURE_AUTHORITY_HOST", "http://127.0.0.1:9")
    .env("AZURE_TENANT_ID", "contoso.example")
    .env("AZURE_CLIENT_ID", "app-1")
    .env("AZURE_CLIENT_SECRET", "client-secret-77")
    .output()
    .unwrap();
    let (stdout, stderr) = out(&run);
    assert_eq!(run.status.code(), Some(5), "{stderr}");
    assert!(!stdout.contains("client-secret-77") && !stderr.contains("client-secret-77"));
}
