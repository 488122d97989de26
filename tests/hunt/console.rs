//! The console on ratatui's TestBackend, driven by keys, with a real worker: over the lab engine,
//! and over test backends that hold a query open (to cancel it) or return hostile text.

use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::StringArray;
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::RecordBatch;
use ratatui::crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::{Terminal, backend::TestBackend};
use tokio_util::sync::CancellationToken;

use hunt::backend::{Backend, BoxFuture, QueryError, QueryRequest, TableInfo};
use hunt::engine::{LabOptions, LocalEngine};
use hunt::results::{KqlType, ResultSet, RunFacts, kql_field};
use hunt::store::bundled_queries;
use hunt::tui::app::{App, BackendState, Focus, STARTER_QUERY};
use hunt::tui::input::Rejoiner;
use hunt::tui::theme::Theme;
use hunt::tui::ui;
use hunt::worker::{self, Command, Event};

use super::engine::{END, runtime};

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub fn lab_app() -> App {
    let engine = LocalEngine::lab(&LabOptions {
        scale: 1,
        seed: 0x4855_4E54,
        end_nanos: END,
    })
    .unwrap()
    .with_fixed_now(END);
    let handle = worker::spawn(runtime().handle(), Arc::new(engine), None);
    ready(App::new(
        handle,
        bundled_queries(),
        STARTER_QUERY,
        "lab",
        "last 30d",
        Theme::bundled(false),
    ))
}

/// Polls until the worker says the backend is ready (it starts on the worker).
pub fn ready(mut app: App) -> App {
    let started = Instant::now();
    while app.backend_state != BackendState::Ready {
        app.poll_worker();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the backend did not start: {:?}",
            app.backend_state
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    app
}

/// The next event that is not about the backend starting.
fn next_job_event(handle: &mut worker::WorkerHandle) -> Option<Event> {
    loop {
        match runtime().block_on(handle.next_event()) {
            Some(
                Event::BackendProgress { .. }
                | Event::BackendReady { .. }
                | Event::BackendFailed { .. },
            ) => continue,
            other => return other,
        }
    }
}

/// Polls until a client-side sort the worker computes has arrived.
pub fn wait_sorted(app: &mut App) {
    let started = Instant::now();
    while app.grid.sorting.is_some() {
        app.poll_worker();
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no sort came back"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

pub fn wait(app: &mut App) {
    let started = Instant::now();
    while app.is_running() {
        app.poll_worker();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the query did not finish"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn screen(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui::draw(frame, app)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..height {
        for x in 0..width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

#[test]
fn runs_the_starter_query_and_shows_the_grid_at_80_by_24() {
    let mut app = lab_app();
    app.handle_key(key(KeyCode::F(5)));
    assert!(app.is_running());
    wait(&mut app);
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("Results · 2 rows"), "{text}");
    assert!(text.contains("Timestamp"), "{text}");
    assert!(text.contains("conhost.exe"), "{text}");
    assert!(text.contains("powershell.exe"), "{text}");
    assert!(text.contains("Query · lab"), "{text}");
    assert!(text.contains("Queries"), "{text}");
    assert!(
        text.lines()
            .last()
            .unwrap()
            .contains("lab · last 30d · 2 rows"),
        "{text}"
    );
}

#[test]
fn a_saved_query_loads_and_runs_from_the_sidebar() {
    let mut app = lab_app();
    app.handle_key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT));
    assert_eq!(app.focus, Focus::Sidebar);
    let position = app.sidebar.rows().iter().position(|row| matches!(row, hunt::tui::app::SidebarRow::Query(i) if app.sidebar.queries[*i].title.starts_with("LSASS"))).unwrap();
    for _ in 0..position {
        app.handle_key(key(KeyCode::Down));
    }
    app.handle_key(key(KeyCode::Char('r')));
    wait(&mut app);
    assert!(app.text().contains("comsvcs.dll"));
    let text = screen(&mut app, 120, 30);
    assert!(text.contains("Results · 1 row "), "{text}");
    assert!(text.contains("rundll32.exe"), "{text}");
}

#[test]
fn the_grid_sorts_by_the_column_under_the_cursor() {
    let mut app = lab_app();
    app.set_text("DeviceInfo | distinct DeviceName, OSBuild");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    app.handle_key(key(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Grid);
    app.handle_key(key(KeyCode::Right));
    app.handle_key(key(KeyCode::Char('S')));
    assert!(
        screen(&mut app, 100, 30).contains("sorting ▼ OSBuild…"),
        "the sort runs on the worker and shows as pending"
    );
    wait_sorted(&mut app);
    let result = app.grid.result.clone().unwrap();
    let builds: Vec<i64> = (0..result.row_count())
        .map(|p| {
            result
                .cell_text(app.grid.source_row(p), 1)
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(builds.windows(2).all(|w| w[0] >= w[1]), "{builds:?}");
    assert!(screen(&mut app, 100, 30).contains("OSBuild ▼"));
    app.handle_key(key(KeyCode::Char('s')));
    wait_sorted(&mut app);
    let first = result.cell_text(app.grid.source_row(0), 1).unwrap();
    assert_eq!(first, "20348");
}

#[test]
fn errors_show_under_the_editor_with_line_and_column() {
    let mut app = lab_app();
    app.set_text("DeviceProcessEvents\n| where Filename == \"x\"");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    let text = screen(&mut app, 100, 24);
    assert!(text.contains("2:9: unknown column 'Filename'"), "{text}");
    assert!(text.contains("query failed"), "{text}");
}

#[test]
fn the_block_under_the_cursor_is_what_runs() {
    let mut app = lab_app();
    app.set_text("DeviceInfo | take 1\n\nDeviceProcessEvents\n| where Foo == 1");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    assert!(app.error.is_none(), "the first block ran: {:?}", app.error);
    for _ in 0..3 {
        app.handle_key(key(KeyCode::Down));
    }
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    let error = app.error.clone().expect("the second block failed");
    assert_eq!(
        (error.row, error.col_start),
        (3, 8),
        "positions are in the buffer, not the block"
    );
}

/// Holds every query open until it is cancelled; answers "fast" queries at once.
struct HoldingBackend;

fn one_column(name: &str, values: Vec<&str>) -> ResultSet {
    let schema = Arc::new(Schema::new(vec![kql_field(name, KqlType::String)]));
    let batch =
        RecordBatch::try_new(schema.clone(), vec![Arc::new(StringArray::from(values))]).unwrap();
    let facts = RunFacts {
        elapsed: Duration::from_millis(3),
        row_count: 0,
        truncated: false,
        backend: "test".into(),
        window: None,
        warnings: Vec::new(),
        ran_on: None,
    };
    ResultSet::from_batches(schema, &[batch], facts).unwrap()
}

impl Backend for HoldingBackend {
    fn name(&self) -> String {
        "test".into()
    }

    fn run(
        &self,
        request: QueryRequest,
        cancel: CancellationToken,
    ) -> BoxFuture<'_, Result<ResultSet, QueryError>> {
        Box::pin(async move {
            if request.query.contains("fast") {
                return Ok(one_column("Answer", vec!["fast"]));
            }
            if request.query.contains("panic") {
                panic!("a backend bug");
            }
            if request.query.contains("hostile") {
                return Ok(one_column(
                    "Subject",
                    vec![
                        "pay\u{1b}]0;owned\u{7}now\u{1b}[2J",
                        "invoice\u{202E}fdp.exe",
                        "two\nlines\tand tab",
                    ],
                ));
            }
            cancel.cancelled().await;
            Err(QueryError::new(
                hunt::backend::ErrorKind::Execution,
                "stopped",
            ))
        })
    }

    fn tables(&self) -> Vec<TableInfo> {
        Vec::new()
    }
}

/// A console over `backend` (no saved queries, no store) once the backend is ready.
pub fn app_over(backend: Arc<dyn Backend>, text: &str) -> App {
    let handle = worker::spawn(runtime().handle(), backend, None);
    ready(App::new(
        handle,
        Vec::new(),
        text,
        "test",
        "last 30d",
        Theme::bundled(false),
    ))
}

pub fn test_app() -> App {
    app_over(Arc::new(HoldingBackend), "slow")
}

/// Types `text` key by key (a line break is Enter).
fn type_keys(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle_key(key(if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        }));
    }
}

/// The first Esc cancels, even with the completion list open (a trial found it only closed it).
#[test]
fn escape_cancels_a_running_query_with_the_completion_list_open() {
    let mut app = test_app();
    app.handle_key(key(KeyCode::F(5)));
    type_keys(&mut app, "\n| whe");
    app.handle_key(ctrl(' '));
    assert!(
        app.completion.is_some(),
        "the list opens while the query runs"
    );
    app.handle_key(key(KeyCode::Esc));
    assert!(app.completion.is_none());
    assert!(screen(&mut app, 80, 24).contains("cancelling…"));
    wait(&mut app);
}

/// F5 closes the completion list, which would otherwise cover the run's error line (a trial).
#[test]
fn running_closes_the_completion_list() {
    let mut app = test_app();
    type_keys(&mut app, "\n| whe");
    app.handle_key(ctrl(' '));
    assert!(app.completion.is_some(), "the list is open");
    app.handle_key(key(KeyCode::F(5)));
    assert!(app.completion.is_none());
    // The test backend holds this query until it is cancelled.
    app.handle_key(key(KeyCode::Esc));
    wait(&mut app);
}

#[test]
fn escape_cancels_a_running_query() {
    let mut app = test_app();
    app.handle_key(key(KeyCode::F(5)));
    assert!(
        screen(&mut app, 80, 24)
            .lines()
            .last()
            .unwrap()
            .contains("running")
    );
    app.handle_key(key(KeyCode::Esc));
    assert!(screen(&mut app, 80, 24).contains("cancelling…"));
    wait(&mut app);
    assert!(
        screen(&mut app, 80, 24)
            .lines()
            .last()
            .unwrap()
            .ends_with("test · last 30d · cancelled")
    );
    // Ctrl+C does the same, from the grid too; with nothing running it is no cancel.
    app.handle_key(key(KeyCode::F(5)));
    app.focus = Focus::Grid;
    app.handle_key(ctrl('c'));
    assert!(screen(&mut app, 80, 24).contains("cancelling…"));
    wait(&mut app);
    app.handle_key(ctrl('c'));
    assert!(!screen(&mut app, 80, 24).contains("cancelling…"));
}

#[test]
fn events_of_a_replaced_query_are_dropped() {
    let mut app = test_app();
    app.handle_key(key(KeyCode::F(5)));
    app.set_text("fast");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    // The first query's cancellation arrives too, and must not overwrite the second's result.
    std::thread::sleep(Duration::from_millis(50));
    app.poll_worker();
    assert_eq!(app.message, None);
    assert_eq!(
        app.grid.result.as_ref().unwrap().cell_text(0, 0).as_deref(),
        Some("fast")
    );
}

#[test]
fn hostile_cells_never_reach_the_terminal_raw() {
    let mut app = test_app();
    app.set_text("hostile");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    let text = screen(&mut app, 100, 24);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    assert!(text.contains("pay␛]0;owned␇now␛[2J"), "{text}");
    assert!(text.contains("⚠ invoice⟨U+202E⟩fdp.exe"), "{text}");
    assert!(text.contains("two↵lines→and tab"), "{text}");
    // The raw value is kept for export.
    assert_eq!(
        app.grid.result.as_ref().unwrap().cell_text(1, 0).as_deref(),
        Some("invoice\u{202E}fdp.exe")
    );
}

#[test]
fn a_backend_panic_becomes_an_error_not_a_hang() {
    let mut app = test_app();
    app.set_text("panic");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    let error = app.error.clone().expect("the crash is reported");
    assert!(
        error
            .message
            .contains("internal error: the backend crashed on this query (a backend bug)"),
        "{}",
        error.message
    );
    // The worker keeps serving queries.
    app.set_text("fast");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    assert!(app.error.is_none());
}

#[test]
fn the_inspector_shows_whole_values_and_both_forms_of_hostile_text() {
    let mut app = test_app();
    app.set_text("hostile");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    app.handle_key(key(KeyCode::Tab));
    app.handle_key(key(KeyCode::Down));
    app.handle_key(key(KeyCode::Enter));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("Record 2/3"), "{text}");
    assert!(text.contains("invoice⟨U+202E⟩fdp.exe"), "{text}");
    assert!(
        text.contains("invoice\\u{202e}fdp.exe"),
        "the escaped form: {text}"
    );
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
    app.handle_key(key(KeyCode::Right));
    assert!(screen(&mut app, 80, 24).contains("Record 3/3"));
    app.handle_key(key(KeyCode::Esc));
    assert!(app.inspector.is_none());
    assert_eq!(app.grid.row, 2, "the grid follows the inspector");
}

#[test]
fn the_inspector_wraps_long_command_lines() {
    let mut app = lab_app();
    app.set_text("DeviceProcessEvents | where ProcessCommandLine has \"EncodedCommand\" and AccountName == \"dwhitfield\" | project ProcessCommandLine");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    app.handle_key(key(KeyCode::Tab));
    app.handle_key(key(KeyCode::Enter));
    let text = screen(&mut app, 80, 24);
    let command = app.grid.result.as_ref().unwrap().cell_text(0, 0).unwrap();
    assert!(command.len() > 200);
    // The popup's inner area starts at column 3; values are indented by two more.
    let rows: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
    let header = rows
        .iter()
        .position(|r| {
            r.iter()
                .collect::<String>()
                .contains("ProcessCommandLine  string")
        })
        .unwrap();
    let shown: String = rows[header + 1..]
        .iter()
        .map(|r| r[5..77].iter().collect::<String>().trim_end().to_string())
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(shown, command, "{text}");
}

#[test]
fn tiny_terminals_do_not_break_drawing() {
    let mut app = test_app();
    app.set_text("hostile\nsecond line\nthird");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    for (width, height) in [(1, 1), (5, 2), (12, 4), (20, 6), (30, 8), (80, 3)] {
        for state in 0..3 {
            app.focus = [Focus::Editor, Focus::Grid, Focus::Sidebar][state];
            app.help = state == 2;
            app.inspector = (state == 1).then_some(hunt::tui::app::Inspector {
                position: 0,
                scroll: 5,
            });
            screen(&mut app, width, height);
        }
    }
}

#[test]
fn the_worker_cancel_path_reports_cancelled() {
    let mut handle = worker::spawn(runtime().handle(), Arc::new(HoldingBackend), None);
    assert!(handle.send(Command::Run {
        id: 7,
        request: QueryRequest::new("slow"),
        earlier: Default::default(),
    }));
    let started = next_job_event(&mut handle);
    assert!(
        matches!(started, Some(Event::Started { id: 7 })),
        "{started:?}"
    );
    assert!(handle.send(Command::Cancel { id: 7 }));
    let outcome = next_job_event(&mut handle);
    assert!(
        matches!(outcome, Some(Event::Cancelled { id: 7 })),
        "{outcome:?}"
    );
}

#[test]
fn the_worker_exports_a_result_atomically() {
    let mut handle = worker::spawn(runtime().handle(), Arc::new(HoldingBackend), None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/rows.csv");
    let result = Arc::new(one_column("Answer", vec!["a,b", "c"]));
    assert!(handle.send(Command::Export {
        result,
        format: hunt::results::export::ExportFormat::Csv,
        path: path.clone(),
        overwrite: false,
    }));
    let event = next_job_event(&mut handle);
    assert!(
        matches!(event, Some(Event::Exported { rows: 2, .. })),
        "{event:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "Answer\n\"a,b\"\nc\n"
    );
    let blocked = dir.path().join("out/rows.csv/inside");
    assert!(handle.send(Command::Export {
        result: Arc::new(one_column("A", vec![])),
        format: hunt::results::export::ExportFormat::Json,
        path: blocked,
        overwrite: false,
    }));
    let event = next_job_event(&mut handle);
    assert!(
        matches!(event, Some(Event::ExportFailed { .. })),
        "{event:?}"
    );
    // An existing file is kept unless the export says to replace it.
    let again = Arc::new(one_column("Answer", vec!["new"]));
    assert!(handle.send(Command::Export {
        result: again.clone(),
        format: hunt::results::export::ExportFormat::Csv,
        path: path.clone(),
        overwrite: false,
    }));
    let event = next_job_event(&mut handle);
    assert!(
        matches!(event, Some(Event::ExportExists { .. })),
        "{event:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "Answer\n\"a,b\"\nc\n"
    );
    assert!(handle.send(Command::Export {
        result: again,
        format: hunt::results::export::ExportFormat::Csv,
        path: path.clone(),
        overwrite: true,
    }));
    let event = next_job_event(&mut handle);
    assert!(matches!(event, Some(Event::Exported { .. })), "{event:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "Answer\nnew\n");
}

#[test]
fn quitting_keeps_the_editor_text_as_a_draft() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, store) = worker_with_store(dir.path());
    let mut app = App::new(
        handle,
        Vec::new(),
        "DeviceInfo\n| take 3",
        "test",
        "last 30d",
        Theme::bundled(false),
    );
    app.handle_key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL));
    assert!(app.quit);
    let started = Instant::now();
    while store.load_draft().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the worker did not write the draft"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(store.load_draft().as_deref(), Some("DeviceInfo\n| take 3"));
}

#[test]
fn help_lists_the_keys_and_any_key_closes_it() {
    let mut app = test_app();
    app.handle_key(key(KeyCode::F(1)));
    let mut text = screen(&mut app, 80, 24);
    assert!(text.contains("scroll · any other key closes"), "{text}");
    // Every binding, whole, at 80×24: the list scrolls.
    for _ in 0..hunt::tui::ui::HELP.len() {
        app.handle_key(key(KeyCode::Down));
        text.push_str(&screen(&mut app, 80, 24));
    }
    assert!(app.help, "scrolling keeps help open");
    for (keys, what) in hunt::tui::ui::HELP {
        assert!(
            text.contains(keys) && text.contains(what),
            "{keys} / {what}:\n{text}"
        );
    }
    app.handle_key(key(KeyCode::Char('x')));
    assert!(!app.help);
    assert_eq!(app.text(), "slow", "the closing key is not typed");
}

pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// A worker over `HoldingBackend` with a store in `dir`.
fn worker_with_store(dir: &std::path::Path) -> (worker::WorkerHandle, Arc<hunt::store::Store>) {
    let store = Arc::new(hunt::store::Store::new(hunt::store::Paths::in_folder(dir)));
    let handle = worker::spawn(
        runtime().handle(),
        Arc::new(HoldingBackend),
        Some(store.clone()),
    );
    (handle, store)
}

/// A test app over `HoldingBackend` with a store in `dir`.
fn app_with_store(dir: &std::path::Path, text: &str) -> (App, Arc<hunt::store::Store>) {
    let (handle, store) = worker_with_store(dir);
    let app = App::new(
        handle,
        bundled_queries(),
        text,
        "test",
        "last 30d",
        Theme::bundled(false),
    );
    (ready(app), store)
}

#[test]
fn loading_a_saved_query_keeps_the_text_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, store) = app_with_store(dir.path(), "my unsaved hunt\n| take 5");
    app.handle_key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT));
    let first_query = app
        .sidebar
        .rows()
        .iter()
        .position(|row| matches!(row, hunt::tui::app::SidebarRow::Query(_)))
        .unwrap();
    for _ in 0..first_query {
        app.handle_key(key(KeyCode::Down));
    }
    app.handle_key(key(KeyCode::Enter));
    assert!(!app.text().contains("my unsaved hunt"));
    // Listed at once under Drafts, and written to disk by the worker.
    let kept = app
        .sidebar
        .queries
        .iter()
        .find(|q| q.folder == "Drafts")
        .expect("a Drafts folder");
    assert!(kept.text.contains("my unsaved hunt"));
    assert!(kept.title.contains("my unsaved hunt"), "{}", kept.title);
    assert!(app.flush_writes(Duration::from_secs(30)));
    let on_disk = store.kept_drafts();
    assert_eq!(on_disk.len(), 1);
    assert_eq!(on_disk[0].text, "my unsaved hunt\n| take 5");
    // One undo brings the text back; one redo loads the query again.
    let loaded = app.text();
    app.handle_key(ctrl('z'));
    assert_eq!(app.text(), "my unsaved hunt\n| take 5");
    app.handle_key(ctrl('y'));
    assert_eq!(app.text(), loaded);
}

#[test]
fn a_file_from_the_command_line_is_named_and_saved_with_ctrl_s() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("beacon-hunt.kql");
    std::fs::write(&path, "DeviceInfo").unwrap();
    let (mut app, _) = app_with_store(dir.path(), "DeviceInfo");
    app.open_file(hunt::tui::app::OpenFile::new(path.clone(), "DeviceInfo"));
    let text = screen(&mut app, 100, 24);
    assert!(text.contains("beacon-hunt.kql · test"), "{text}");
    app.handle_key(key(KeyCode::End));
    for c in " | take 1".chars() {
        app.handle_key(key(KeyCode::Char(c)));
    }
    app.handle_key(ctrl('s'));
    assert!(app.flush_writes(Duration::from_secs(30)));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "DeviceInfo | take 1"
    );
    let started = Instant::now();
    while !app
        .message
        .as_ref()
        .is_some_and(|(m, _)| m.starts_with("saved"))
    {
        app.poll_worker();
        assert!(started.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn the_first_frame_does_not_wait_for_the_backend() {
    let (release, released) = std::sync::mpsc::channel::<()>();
    let factory: hunt::backend::BackendFactory = Box::new(move |progress| {
        progress("building the lab data: day 3 of 31".to_string());
        let _ = released.recv();
        Ok(Arc::new(HoldingBackend) as Arc<dyn Backend>)
    });
    let handle = worker::spawn_starting(runtime().handle(), factory, None);
    let mut app = App::new(
        handle,
        Vec::new(),
        "fast",
        "lab",
        "last 30d",
        Theme::bundled(false),
    );
    let started = Instant::now();
    while app.backend_state == BackendState::Starting("starting".into()) {
        app.poll_worker();
        assert!(started.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(2));
    }
    let text = screen(&mut app, 100, 24);
    assert!(
        text.lines()
            .last()
            .unwrap()
            .contains("building the lab data: day 3 of 31"),
        "{text}"
    );
    // A query sent meanwhile waits for the backend, then runs.
    app.handle_key(key(KeyCode::F(5)));
    let text = screen(&mut app, 100, 24);
    assert!(text.lines().last().unwrap().contains("waiting"), "{text}");
    release.send(()).unwrap();
    wait(&mut app);
    assert_eq!(app.backend_state, BackendState::Ready);
    assert!(screen(&mut app, 100, 24).contains("Results · 1 row"));
}

#[test]
fn the_inspector_reuses_its_lines_between_frames() {
    let mut app = test_app();
    app.set_text("hostile");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    app.handle_key(KeyEvent::new(KeyCode::Char('3'), KeyModifiers::ALT));
    app.handle_key(key(KeyCode::Enter));
    screen(&mut app, 80, 24);
    let first = app.inspector_cache.as_ref().unwrap().lines.as_ptr();
    screen(&mut app, 80, 24);
    assert_eq!(
        app.inspector_cache.as_ref().unwrap().lines.as_ptr(),
        first,
        "the same lines, not made again"
    );
    app.handle_key(key(KeyCode::Right));
    screen(&mut app, 80, 24);
    assert_eq!(app.inspector_cache.as_ref().unwrap().position, 1);
    screen(&mut app, 60, 24);
    assert_eq!(app.inspector_cache.as_ref().unwrap().width, 54);
}

#[test]
fn the_editor_highlights_only_what_is_on_screen() {
    let mut app = test_app();
    let big: Vec<String> = (0..100_000)
        .map(|i| format!("| where FileName == \"f{i}.exe\" // note {i}"))
        .collect();
    app.set_text(&format!("DeviceProcessEvents\n{}", big.join("\n")));
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("DeviceProcessEvents"));
    let known = app.highlighter.known_rows();
    assert!(
        known > 0 && known <= 30,
        "{known} rows highlighted for one screen"
    );
    // Typing on the first line re-highlights from there only as far as the screen goes.
    app.handle_key(key(KeyCode::Char('x')));
    screen(&mut app, 100, 30);
    assert!(app.highlighter.known_rows() <= 30);
}

#[test]
fn draft_saves_land_in_order_and_the_last_wins() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, store) = worker_with_store(dir.path());
    for n in 0..300 {
        // Sizes vary so that a late small write could not hide behind an early big one.
        let text = format!("draft {n} {}", "x".repeat((n * 7919) % 5000));
        assert!(handle.send(Command::SaveDraft { slot: 0, text }));
    }
    assert!(handle.flush(Duration::from_secs(60)));
    let last = format!("draft 299 {}", "x".repeat((299 * 7919) % 5000));
    assert_eq!(store.load_draft().as_deref(), Some(last.as_str()));
    let leftovers = std::fs::read_dir(&store.paths.data_dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn opening_a_file_keeps_the_draft_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let store = hunt::store::Store::new(hunt::store::Paths::in_folder(dir.path()));
    store.save_draft(0, "my unsaved hunt").unwrap();
    let path = dir.path().join("q.kql");
    std::fs::write(&path, "DeviceInfo\r\n| take 1\r\n").unwrap();
    let start = hunt::cli::start_text(Some(&path), Some(&store)).unwrap();
    assert_eq!(start.text, "DeviceInfo\r\n| take 1\r\n");
    assert_eq!(store.kept_drafts()[0].text, "my unsaved hunt");
    // A file that does not exist yet is a new, empty query; Ctrl+S makes it.
    let new = dir.path().join("new.kql");
    let start = hunt::cli::start_text(Some(&new), Some(&store)).unwrap();
    assert_eq!(start.text, "");
    assert!(start.warnings[0].contains("is new"), "{:?}", start.warnings);
    // A folder is not a query file: a usage error.
    assert!(hunt::cli::start_text(Some(dir.path()), Some(&store)).is_err());
    let start = hunt::cli::start_text(None, Some(&store)).unwrap();
    assert_eq!(start.text, "my unsaved hunt");
}

#[test]
fn ctrl_s_keeps_the_files_line_endings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crlf.kql");
    std::fs::write(&path, "DeviceInfo\r\n| take 3\r\n").unwrap();
    let store = hunt::store::Store::new(hunt::store::Paths::in_folder(dir.path()));
    let start = hunt::cli::start_text(Some(&path), Some(&store)).unwrap();
    let (mut app, _) = app_with_store(dir.path(), &start.text);
    app.open_file(start.file.unwrap());
    app.handle_key(key(KeyCode::End));
    app.handle_key(key(KeyCode::Char('0')));
    app.handle_key(ctrl('s'));
    assert!(app.flush_writes(Duration::from_secs(30)));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "DeviceInfo0\r\n| take 3\r\n"
    );
}

#[test]
fn the_results_title_keeps_the_sort_when_the_result_is_cut() {
    let engine = LocalEngine::lab(&LabOptions {
        scale: 1,
        seed: 0x4855_4E54,
        end_nanos: END,
    })
    .unwrap()
    .with_fixed_now(END)
    .with_row_limit(50);
    let handle = worker::spawn(runtime().handle(), Arc::new(engine), None);
    let mut app = ready(App::new(
        handle,
        Vec::new(),
        "DeviceProcessEvents | project ProcessId",
        "lab",
        "last 30d",
        Theme::bundled(false),
    ));
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    app.handle_key(KeyEvent::new(KeyCode::Char('3'), KeyModifiers::ALT));
    app.handle_key(key(KeyCode::Char('s')));
    wait_sorted(&mut app);
    let text = screen(&mut app, 80, 24);
    let title = text.lines().find(|l| l.contains("Results")).unwrap();
    assert!(title.contains("TRUNCATED"), "{title}");
    assert!(title.contains("▲ ProcessId"), "{title}");
    assert!(text.lines().last().unwrap().contains("truncated"), "{text}");
}

#[test]
fn the_editor_shows_hidden_characters() {
    let mut app = test_app();
    app.set_text("T | where Subject == \"evil\u{202E}gpj.exe\u{200B}\"");
    let text = screen(&mut app, 100, 24);
    assert!(text.contains("evil⟨U+202E⟩gpj.exe⟨U+200B⟩"), "{text}");
    assert!(!text.contains('\u{202E}'));
}

#[test]
fn the_grid_shows_datetimes_to_the_tick() {
    let mut app = lab_app();
    app.set_text(
        "DeviceInfo | take 1 | project a = datetime(2024-03-26T09:39:50.7688640Z), b = datetime(2024-03-26T09:39:50.7688641Z)",
    );
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    let text = screen(&mut app, 120, 30);
    assert!(
        text.contains("2024-03-26T09:39:50.7688640Z")
            && text.contains("2024-03-26T09:39:50.7688641Z"),
        "values that differ in the 7th digit look different:\n{text}"
    );
}

/// A result with typed columns: Name (string), Size (long, one null), When (datetime), and a
/// long command line, `rows` rows.
fn typed_result(rows: usize) -> ResultSet {
    use datafusion::arrow::array::Int64Array;
    let schema = Arc::new(Schema::new(vec![
        kql_field("Name", KqlType::String),
        kql_field("Size", KqlType::Long),
        kql_field("When", KqlType::DateTime),
        kql_field("CommandLine", KqlType::String),
    ]));
    let names: Vec<String> = (0..rows).map(|i| format!("file{i}.exe")).collect();
    let sizes: Vec<Option<i64>> = (0..rows)
        .map(|i| (i != 1).then_some(i as i64 * 10))
        .collect();
    // 2024-03-26T09:39:50Z in ticks, a second apart.
    let base = hunt::kql::time::parse_datetime("2024-03-26T09:39:50Z").unwrap();
    let whens: Vec<i64> = (0..rows).map(|i| base + i as i64 * 10_000_000).collect();
    let lines: Vec<String> = (0..rows)
        .map(|i| {
            format!(
                "powershell.exe -NoProfile -Command \"Get-Item C:\\\\Temp\\\\{i}\" {}",
                "x".repeat(120)
            )
        })
        .collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(names)),
            Arc::new(Int64Array::from(sizes)),
            Arc::new(Int64Array::from(whens)),
            Arc::new(StringArray::from(lines)),
        ],
    )
    .unwrap();
    ResultSet::from_batches(schema, &[batch], RunFacts::default()).unwrap()
}

struct TypedBackend;

impl Backend for TypedBackend {
    fn name(&self) -> String {
        "test".into()
    }

    fn run(
        &self,
        request: QueryRequest,
        _cancel: CancellationToken,
    ) -> BoxFuture<'_, Result<ResultSet, QueryError>> {
        Box::pin(async move {
            if request.query.contains("broken") {
                return Err(QueryError::new(
                    hunt::backend::ErrorKind::Semantic,
                    "the query is broken",
                ));
            }
            Ok(typed_result(30))
        })
    }

    fn tables(&self) -> Vec<TableInfo> {
        Vec::new()
    }
}

/// A console over `TypedBackend` that has run `Files` and has the grid focused.
pub fn typed_app() -> App {
    let mut app = app_over(Arc::new(TypedBackend), "Files\n| take 30");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    app.handle_key(KeyEvent::new(KeyCode::Char('3'), KeyModifiers::ALT));
    app
}

/// Polls the worker until `done` holds.
pub fn wait_for(app: &mut App, what: &str, done: impl Fn(&App) -> bool) {
    let started = Instant::now();
    while !done(app) {
        app.poll_worker();
        assert!(started.elapsed() < Duration::from_secs(30), "{what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

pub fn type_text(app: &mut App, text: &str) {
    for ch in text.chars() {
        app.handle_key(key(KeyCode::Char(ch)));
    }
}

#[test]
fn search_finds_every_matching_cell_and_n_moves_between_them() {
    let mut app = typed_app();
    app.handle_key(key(KeyCode::Char('/')));
    type_text(&mut app, "FILE2");
    wait_for(&mut app, "search", |a| {
        a.grid.search.as_ref().is_some_and(|s| s.pending.is_none())
    });
    // file2.exe, file20.exe … file29.exe: 11 names, case-insensitive.
    let matches = app.grid.search.as_ref().unwrap().matches.clone();
    assert_eq!(matches.len(), 11, "{matches:?}");
    assert!(matches.iter().all(|(_, column)| *column == 0));
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("/FILE2"), "{text}");
    assert!(text.contains("match 1/11"), "{text}");
    app.handle_key(key(KeyCode::Enter));
    assert!(app.prompt.is_none());
    assert_eq!(app.grid.row, 2, "Enter keeps the first match");
    app.handle_key(key(KeyCode::Char('n')));
    assert_eq!(app.grid.row, 20);
    app.handle_key(key(KeyCode::Char('n')));
    assert_eq!(app.grid.row, 21);
    app.handle_key(key(KeyCode::Char('N')));
    app.handle_key(key(KeyCode::Char('N')));
    assert_eq!(app.grid.row, 2);
    // A sort re-finds the matches in the new order.
    app.handle_key(key(KeyCode::Char('S')));
    wait_sorted(&mut app);
    wait_for(&mut app, "search after sort", |a| {
        a.grid.search.as_ref().is_some_and(|s| s.pending.is_none())
    });
    let first = app.grid.search.as_ref().unwrap().matches[0];
    // Descending text order: file9 … file3, then file29.
    assert_eq!(first, (7, 0));
    app.handle_key(key(KeyCode::Esc));
    assert!(app.grid.search.is_none());
}

/// In a real terminal the worker answers between keystrokes: each answer while typing must
/// move to the first match from where the search started (the cell under the cursor included),
/// not on from the match the previous answer moved to.
#[test]
fn typing_a_search_slowly_lands_on_the_first_match_from_where_it_started() {
    let mut app = typed_app();
    app.handle_key(key(KeyCode::Char('/')));
    for ch in "FILE2".chars() {
        app.handle_key(key(KeyCode::Char(ch)));
        wait_for(&mut app, "search", |a| {
            a.grid.search.as_ref().is_some_and(|s| s.pending.is_none())
        });
    }
    assert_eq!(app.grid.row, 2, "file2.exe, the first match from the top");
    assert!(screen(&mut app, 100, 30).contains("match 1/11"));
    // The cursor's own cell is a match too: "FILE" matches row 0, where the search starts.
    app.handle_key(key(KeyCode::Esc));
    app.handle_key(key(KeyCode::Char('g')));
    app.handle_key(key(KeyCode::Char('/')));
    for ch in "FILE".chars() {
        app.handle_key(key(KeyCode::Char(ch)));
        wait_for(&mut app, "search", |a| {
            a.grid.search.as_ref().is_some_and(|s| s.pending.is_none())
        });
    }
    assert_eq!(app.grid.row, 0);
    assert_eq!(app.grid.column, 0);
    assert!(screen(&mut app, 100, 30).contains("match 1/"));
}

#[test]
fn equals_and_bang_add_a_quoted_where_line_to_the_query() {
    let mut app = typed_app();
    // The command line holds quotes and backslashes.
    app.grid.column = 3;
    app.handle_key(key(KeyCode::Char('=')));
    let text = app.text();
    let added = text.lines().last().unwrap();
    assert!(
        added.starts_with("| where CommandLine == ")
            && added.contains("\\\"Get-Item C:\\\\\\\\Temp"),
        "{text}"
    );
    // The line parses as KQL.
    let (_, diagnostics) = hunt::kql::parse(&text);
    assert!(diagnostics.is_empty(), "{text}: {diagnostics:?}");
    // A null long: isnull, negated with !.
    app.grid.column = 1;
    app.grid.row = 1;
    app.handle_key(key(KeyCode::Char('!')));
    assert_eq!(
        app.text().lines().last().unwrap(),
        "| where isnotnull(Size)"
    );
    assert!(app.error.is_none());
}

#[test]
fn frequencies_count_the_column_and_enter_filters_on_a_value() {
    let mut app = typed_app();
    app.grid.column = 1;
    app.handle_key(key(KeyCode::Char('f')));
    wait_for(&mut app, "frequencies", |a| {
        matches!(
            &a.popup,
            Some(hunt::tui::popup::Popup::Frequencies { data: Some(_), .. })
        )
    });
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("30 distinct"), "{text}");
    assert!(text.contains("3.33%"), "{text}");
    // The null is counted too, after the values (same count).
    app.handle_key(key(KeyCode::End));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("(null)"), "{text}");
    app.handle_key(key(KeyCode::Home));
    app.handle_key(key(KeyCode::Down));
    app.handle_key(key(KeyCode::Enter));
    wait_for(&mut app, "the filter line", |a| {
        a.text().lines().count() == 3
    });
    assert_eq!(app.text().lines().last().unwrap(), "| where Size == 20");
}

#[test]
fn columns_can_be_hidden_widened_and_the_wide_column_uses_the_room() {
    let mut app = typed_app();
    let text = screen(&mut app, 200, 30);
    // The command line is not cut at a fixed 40 cells when the pane has room.
    let row = text.lines().find(|l| l.contains("file0.exe")).unwrap();
    assert!(row.contains(&"x".repeat(60)), "{row}");
    assert!(text.contains("When (UTC)"), "{text}");
    // Hide Size with the chooser.
    app.handle_key(key(KeyCode::Char('c')));
    app.handle_key(key(KeyCode::Down));
    app.handle_key(key(KeyCode::Char(' ')));
    app.handle_key(key(KeyCode::Esc));
    let text = screen(&mut app, 200, 30);
    let header = text.lines().find(|l| l.contains("Name")).unwrap();
    assert!(!header.contains("Size"), "{header}");
    assert!(text.contains("1 hidden"), "{text}");
    // The cursor skips the hidden column.
    app.handle_key(key(KeyCode::Right));
    assert_eq!(app.grid.column, 2);
    // w widens the cursor's column.
    let before = app.grid.set_widths[2];
    app.handle_key(key(KeyCode::Char('w')));
    assert!(app.grid.set_widths[2] > before);
}

#[test]
fn a_failed_run_marks_the_rows_as_the_previous_querys_and_an_edit_clears_the_error() {
    let mut app = typed_app();
    app.set_text("broken");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("PREVIOUS QUERY"), "{text}");
    assert!(text.contains("the query is broken"), "{text}");
    app.handle_key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT));
    app.handle_key(key(KeyCode::Char('x')));
    assert!(app.error.is_none());
    let text = screen(&mut app, 100, 30);
    assert!(!text.contains("the query is broken"), "{text}");
}

#[test]
fn y_copies_the_raw_cell_by_osc52_and_only_on_request() {
    let mut app = typed_app();
    assert!(app.terminal_output.is_none());
    app.multiplexer = hunt::tui::clipboard::Multiplexer::None;
    app.handle_key(key(KeyCode::Char('y')));
    let bytes = app.terminal_output.take().expect("an OSC 52 sequence");
    assert_eq!(bytes, b"\x1b]52;c;ZmlsZTAuZXhl\x07".to_vec(), "file0.exe");
    app.handle_key(key(KeyCode::Char('Y')));
    let bytes = String::from_utf8(app.terminal_output.take().unwrap()).unwrap();
    use base64::Engine as _;
    let payload = bytes
        .strip_prefix("\x1b]52;c;")
        .and_then(|b| b.strip_suffix('\x07'))
        .unwrap();
    let json = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .unwrap();
    let row: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(row["Name"], "file0.exe");
    assert_eq!(row["Size"], 0);
}

#[test]
fn e_exports_every_row_to_the_typed_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = typed_app();
    app.handle_key(key(KeyCode::Char('e')));
    // Replace the suggested name.
    app.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    let path = dir.path().join("out.jsonl");
    type_text(&mut app, path.to_str().unwrap());
    app.handle_key(key(KeyCode::Enter));
    wait_for(&mut app, "the export", |a| {
        a.message
            .as_ref()
            .is_some_and(|(m, _)| m.starts_with("exported"))
    });
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written.lines().count(), 30);
    // Tab turns on spreadsheet-safe CSV, and the message says so.
    app.handle_key(key(KeyCode::Char('e')));
    app.handle_key(key(KeyCode::Tab));
    app.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    let csv = dir.path().join("out.csv");
    type_text(&mut app, csv.to_str().unwrap());
    let text = screen(&mut app, 120, 30);
    assert!(text.contains("spreadsheet-safe CSV ON"), "{text}");
    app.handle_key(key(KeyCode::Enter));
    wait_for(&mut app, "the csv export", |a| {
        a.message
            .as_ref()
            .is_some_and(|(m, _)| m.starts_with("exported"))
    });
    assert!(
        app.message.as_ref().unwrap().0.contains("spreadsheet-safe"),
        "{:?}",
        app.message
    );
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 31);
    // The same path again: asked first; n keeps the file, y replaces it.
    for answer in ['n', 'y'] {
        app.handle_key(key(KeyCode::Char('e')));
        app.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        type_text(&mut app, path.to_str().unwrap());
        app.handle_key(key(KeyCode::Enter));
        wait_for(&mut app, "the question", |a| {
            a.prompt
                .as_ref()
                .is_some_and(|p| p.kind == hunt::tui::prompt::PromptKind::Overwrite)
        });
        let text = screen(&mut app, 100, 24);
        assert!(text.contains("replace it? (y/N)"), "{text}");
        app.handle_key(key(KeyCode::Char(answer)));
        if answer == 'n' {
            assert!(
                app.message.as_ref().unwrap().0.contains("kept"),
                "{:?}",
                app.message
            );
        } else {
            wait_for(&mut app, "the replacing export", |a| {
                a.message
                    .as_ref()
                    .is_some_and(|(m, _)| m.starts_with("exported"))
            });
        }
    }
}

#[test]
fn editor_keys_a_portal_user_expects() {
    let mut app = test_app();
    app.set_text("A\n| take 1");
    app.focus = Focus::Editor;
    // Ctrl+/ comments the line out and back.
    app.handle_key(ctrl('/'));
    assert_eq!(app.text(), "// A\n| take 1");
    app.handle_key(ctrl('_'));
    assert_eq!(app.text(), "A\n| take 1");
    // Ctrl+D duplicates the line.
    app.handle_key(ctrl('d'));
    assert_eq!(app.text(), "A\nA\n| take 1");
    // Ctrl+Z undoes, Ctrl+Shift+Z redoes.
    app.handle_key(ctrl('z'));
    assert_eq!(app.text(), "A\n| take 1");
    app.handle_key(KeyEvent::new(
        KeyCode::Char('Z'),
        KeyModifiers::CONTROL | KeyModifiers::SHIFT,
    ));
    assert_eq!(app.text(), "A\nA\n| take 1");
    // Ctrl+End, Ctrl+Home.
    app.handle_key(KeyEvent::new(KeyCode::End, KeyModifiers::CONTROL));
    assert_eq!(app.editor.cursor().0, 2);
    app.handle_key(KeyEvent::new(KeyCode::Home, KeyModifiers::CONTROL));
    assert_eq!(app.editor.cursor().0, 0);
    // Ctrl+A selects everything: typing replaces it.
    app.handle_key(ctrl('a'));
    app.handle_key(key(KeyCode::Char('T')));
    assert_eq!(app.text(), "T");
}

#[test]
fn alt_shift_f_formats_the_block_under_the_cursor_only() {
    let mut app = test_app();
    app.set_text("A|take 1\n\n// second\nB|where x==1|take 2\n\nC|take 3");
    app.focus = Focus::Editor;
    // Down to the second block's last line.
    for _ in 0..3 {
        app.handle_key(key(KeyCode::Down));
    }
    app.handle_key(KeyEvent::new(
        KeyCode::Char('F'),
        KeyModifiers::ALT | KeyModifiers::SHIFT,
    ));
    assert_eq!(
        app.text(),
        "A|take 1\n\n// second\nB\n| where x == 1\n| take 2\n\nC|take 3"
    );
    assert_eq!(app.editor.cursor().0, 3);
    // One undo step brings the block back.
    app.handle_key(ctrl('z'));
    assert_eq!(
        app.text(),
        "A|take 1\n\n// second\nB|where x==1|take 2\n\nC|take 3"
    );
    // A block with a syntax error is left as it is; the status line says where the error is.
    app.set_text("A|take 1\n\nB\n| where x ==");
    for _ in 0..3 {
        app.handle_key(key(KeyCode::Down));
    }
    app.handle_key(KeyEvent::new(KeyCode::Char('F'), KeyModifiers::ALT));
    assert_eq!(app.text(), "A|take 1\n\nB\n| where x ==");
    let text = screen(&mut app, 100, 24);
    assert!(text.contains("not formatted: 4:"), "{text}");
}

#[test]
fn the_time_window_picker_sets_the_window_the_query_runs_over() {
    let mut app = test_app();
    app.handle_key(key(KeyCode::F(6)));
    let text = screen(&mut app, 80, 24);
    assert!(
        text.contains("last 7d") && text.contains("custom"),
        "{text}"
    );
    // 30d is current; up twice is 24h.
    app.handle_key(key(KeyCode::Up));
    app.handle_key(key(KeyCode::Up));
    app.handle_key(key(KeyCode::Enter));
    assert_eq!(app.timespan.as_deref(), Some("P1D"));
    assert_eq!(app.window, "last 1d");
    let text = screen(&mut app, 80, 24);
    assert!(text.lines().last().unwrap().contains("last 1d"), "{text}");
    // Custom: a bad one is refused with the prompt still open.
    app.handle_key(key(KeyCode::F(6)));
    app.handle_key(key(KeyCode::End));
    app.handle_key(key(KeyCode::Enter));
    app.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    type_text(&mut app, "banana");
    app.handle_key(key(KeyCode::Enter));
    assert!(app.prompt.is_some());
    // The refusal is said on the prompt's own line (the status line is the prompt).
    let text = screen(&mut app, 100, 24);
    let last = text.lines().last().unwrap();
    assert!(
        last.contains("banana") && last.contains("not an ISO 8601"),
        "{last}"
    );
    app.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    type_text(&mut app, "2024-01-01T00:00:00Z/2024-01-08T00:00:00Z");
    app.handle_key(key(KeyCode::Enter));
    assert!(app.prompt.is_none());
    assert_eq!(
        app.timespan.as_deref(),
        Some("2024-01-01T00:00:00Z/2024-01-08T00:00:00Z")
    );
    // The picker marks the custom window as the current one, and says what it is.
    app.handle_key(key(KeyCode::F(6)));
    let text = screen(&mut app, 80, 24);
    assert!(
        text.contains("• custom: 2024-01-01 00:00 – 2024-01-08 00:00"),
        "{text}"
    );
}

#[test]
fn zoom_and_resize_change_the_layout() {
    let mut app = typed_app();
    app.handle_key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::ALT));
    let text = screen(&mut app, 80, 24);
    assert!(!text.contains("Queries"), "{text}");
    assert_eq!(app.areas.grid.width, 80);
    app.handle_key(key(KeyCode::F(11)));
    screen(&mut app, 80, 24);
    let before = app.areas.sidebar.width;
    app.handle_key(KeyEvent::new(KeyCode::Right, KeyModifiers::ALT));
    screen(&mut app, 80, 24);
    assert_eq!(app.areas.sidebar.width, before + 2);
}

#[test]
fn the_mouse_focuses_panes_selects_cells_and_scrolls() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = typed_app();
    app.focus = Focus::Editor;
    screen(&mut app, 120, 30);
    let drawn = app.grid.drawn.clone();
    let (column, x, _) = drawn.columns[2];
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x + 1,
        row: drawn.body.y + 3,
        modifiers: KeyModifiers::NONE,
    };
    app.handle_mouse(click);
    assert_eq!(app.focus, Focus::Grid);
    assert_eq!((app.grid.row, app.grid.column), (3, column));
    app.handle_mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        ..click
    });
    assert_eq!(app.grid.row, 6);
    // A click in the sidebar selects the row under it.
    let (body, top) = app.sidebar.drawn;
    assert_eq!(top, 0);
    app.handle_mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: body.x + 2,
        row: body.y + 1,
        modifiers: KeyModifiers::NONE,
    });
    assert_eq!(app.focus, Focus::Sidebar);
    assert_eq!(app.sidebar.selected, 1);
}

#[test]
fn a_query_ending_in_render_shows_a_chart_and_v_shows_the_table() {
    let mut app = lab_app();
    app.set_text(
        "DeviceProcessEvents\n| summarize count() by bin(Timestamp, 1d)\n| render timechart with (title='Processes per day')",
    );
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    // The chart is computed on the worker and follows the result.
    let started = Instant::now();
    while app.chart.is_none() {
        app.poll_worker();
        assert!(started.elapsed() < Duration::from_secs(30), "no chart came");
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(app.show_chart, "a chart is shown when it arrives");
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("Chart · v table"), "{text}");
    assert!(
        text.contains("Processes per day · timechart · count_ by Timestamp"),
        "{text}"
    );
    assert!(text.contains("■ count_"), "{text}");
    assert!(
        text.contains("2026-01-15 UTC"),
        "the time axis ends with its zone: {text}"
    );
    assert!(
        text.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)),
        "Braille line: {text}"
    );
    app.handle_key(KeyEvent::new(KeyCode::Char('3'), KeyModifiers::ALT));
    app.handle_key(key(KeyCode::Char('v')));
    assert!(!app.show_chart);
    let text = screen(&mut app, 80, 24);
    assert!(!text.contains("Chart · v table"), "{text}");
    assert!(text.contains("Results · "), "{text}");
    assert!(
        text.contains("count_") && text.contains("Timestamp"),
        "{text}"
    );
    app.handle_key(key(KeyCode::Char('v')));
    assert!(app.show_chart, "v toggles back");
    // A query without render has no chart; v says how to get one.
    app.set_text("DeviceInfo | take 1");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    assert!(app.chart.is_none() && !app.show_chart);
    app.handle_key(key(KeyCode::Char('v')));
    assert!(!app.show_chart);
    assert!(screen(&mut app, 80, 24).contains("no chart: end the query with"));
}

#[test]
fn a_result_that_cannot_be_charted_says_why_in_the_pane() {
    let mut app = lab_app();
    app.set_text("DeviceInfo | distinct DeviceName | render timechart");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    let started = Instant::now();
    while app.chart.is_none() {
        app.poll_worker();
        assert!(started.elapsed() < Duration::from_secs(30), "no chart came");
        std::thread::sleep(Duration::from_millis(2));
    }
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("needs a datetime column"), "{text}");
    assert!(text.contains("v shows the table"), "{text}");
}

// ---- saved queries and history ---------------------------------------------------------------

/// A test app over `HoldingBackend` listing what the store in `dir` holds (the user's queries,
/// kept drafts, the history), as the CLI builds it: a new session over the same files.
fn app_over_store(dir: &std::path::Path, text: &str) -> (App, Arc<hunt::store::Store>) {
    let (handle, store) = worker_with_store(dir);
    let mut queries = bundled_queries();
    queries.extend(store.listed_queries());
    let app = App::new(
        handle,
        queries,
        text,
        "test",
        "last 30d",
        Theme::bundled(false),
    );
    (ready(app), store)
}

/// Polls the worker until the status message starts with `prefix`.
fn wait_message(app: &mut App, prefix: &str) {
    let started = Instant::now();
    while !app
        .message
        .as_ref()
        .is_some_and(|(m, _)| m.starts_with(prefix))
    {
        app.poll_worker();
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no message {prefix:?}: {:?}",
            app.message
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Focuses the sidebar and moves the selection to the first query `pick` accepts.
fn select(app: &mut App, pick: impl Fn(&hunt::store::SavedQuery) -> bool) {
    use hunt::tui::app::SidebarRow;
    app.handle_key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT));
    app.handle_key(key(KeyCode::Home));
    let position = app
        .sidebar
        .rows()
        .iter()
        .position(|row| matches!(row, SidebarRow::Query(i) if pick(&app.sidebar.queries[*i])))
        .expect("the query is listed");
    for _ in 0..position {
        app.handle_key(key(KeyCode::Down));
    }
    assert_eq!(app.sidebar.selected, position);
}

/// The History folder's titles, top first.
fn history_titles(app: &App) -> Vec<String> {
    app.sidebar
        .queries
        .iter()
        .filter(|q| q.folder == hunt::store::HISTORY_FOLDER)
        .map(|q| q.title.clone())
        .collect()
}

/// Closes every bundled folder, so that the rest of the sidebar is on screen.
fn close_bundled_folders(app: &mut App) {
    let folders: Vec<String> = bundled_queries().into_iter().map(|q| q.folder).collect();
    app.handle_key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT));
    let mut row = 0;
    while row < app.sidebar.rows().len() {
        if let hunt::tui::app::SidebarRow::Folder { name, open: true } = &app.sidebar.rows()[row]
            && folders.contains(name)
        {
            app.sidebar.selected = row;
            app.handle_key(key(KeyCode::Left));
        }
        row += 1;
    }
}

#[test]
fn a_run_replaced_by_another_is_kept_in_the_history_as_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _store) = app_with_store(dir.path(), "slow\n| take 2");
    app.handle_key(key(KeyCode::F(5)));
    assert!(app.is_running());
    app.set_text("fast | take 1");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    let titles = history_titles(&app);
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(titles[0].ends_with("✓1 fast | take 1"), "{titles:?}");
    assert!(titles[1].ends_with("⊘ slow"), "{titles:?}");
}

#[test]
fn every_run_is_kept_in_the_history_across_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, store) = app_with_store(dir.path(), "fast | take 1");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    app.set_text("slow\n| take 2");
    app.handle_key(key(KeyCode::F(5)));
    app.handle_key(key(KeyCode::Esc));
    wait(&mut app);
    app.set_text("panic now");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    // Newest first, listed at once.
    let titles = history_titles(&app);
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert!(titles[0].ends_with("✗ panic now"), "{titles:?}");
    assert!(titles[1].ends_with("⊘ slow"), "{titles:?}");
    assert!(titles[2].ends_with("✓1 fast | take 1"), "{titles:?}");
    close_bundled_folders(&mut app);
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("⟲ History"), "{text}");
    assert!(text.contains("✓1 fast | take 1"), "{text}");
    // Written by the worker, with the facts of each run.
    assert!(app.flush_writes(Duration::from_secs(30)));
    let history = store.history();
    assert_eq!(history.len(), 3);
    assert_eq!(history[2].query, "fast | take 1");
    assert_eq!(history[2].rows, 1);
    assert_eq!(history[2].backend, "test");
    assert_eq!(history[2].window, "last 30d");
    assert_eq!(history[2].status, hunt::store::RunStatus::Ok);
    assert_eq!(history[1].status, hunt::store::RunStatus::Cancelled);
    assert!(
        matches!(&history[0].status, hunt::store::RunStatus::Failed(m) if m.contains("a backend bug")),
        "{:?}",
        history[0].status
    );
    assert!(chrono::DateTime::parse_from_rfc3339(&history[0].started).is_ok());
    // A new session over the same files lists them in the same order.
    drop(app);
    let (reopened, _) = app_over_store(dir.path(), "");
    assert_eq!(history_titles(&reopened), titles);
}

#[test]
fn history_entries_load_with_enter_and_rerun_with_r() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut first, _) = app_with_store(dir.path(), "fast | take 1");
        first.handle_key(key(KeyCode::F(5)));
        wait(&mut first);
        assert!(first.flush_writes(Duration::from_secs(30)));
    }
    let (mut app, store) = app_over_store(dir.path(), "my own text");
    let is_run = |q: &hunt::store::SavedQuery| q.folder == hunt::store::HISTORY_FOLDER;
    select(&mut app, is_run);
    app.handle_key(key(KeyCode::Enter));
    assert_eq!(app.text(), "fast | take 1");
    assert_eq!(app.focus, Focus::Editor);
    // The text it replaced is kept as a draft.
    assert!(
        app.sidebar
            .queries
            .iter()
            .any(|q| q.folder == "Drafts" && q.text == "my own text")
    );
    select(&mut app, is_run);
    app.handle_key(key(KeyCode::Char('r')));
    assert!(app.is_running());
    wait(&mut app);
    assert_eq!(app.grid.rows(), 1);
    assert_eq!(history_titles(&app).len(), 2);
    assert!(app.flush_writes(Duration::from_secs(30)));
    assert_eq!(store.history().len(), 2);
}

#[test]
fn ctrl_s_names_a_new_query_then_saves_over_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, store) = app_with_store(dir.path(), "DeviceInfo | take 3");
    app.handle_key(ctrl('s'));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains(" Save query "), "{text}");
    assert!(text.contains("Esc cancels"), "{text}");
    // No name, no save.
    app.handle_key(key(KeyCode::Enter));
    assert!(app.sidebar.popup.is_some());
    type_text(&mut app, "Beacon hunt");
    app.handle_key(key(KeyCode::Tab));
    type_text(&mut app, "Triage");
    app.handle_key(key(KeyCode::Enter));
    assert!(app.sidebar.popup.is_none());
    assert!(app.flush_writes(Duration::from_secs(30)));
    wait_message(&mut app, "saved Beacon hunt");
    let path = store
        .paths
        .user_queries_dir()
        .join("Triage/Beacon hunt.kql");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "// title: Beacon hunt\nDeviceInfo | take 3"
    );
    let saved = store.user_queries();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].title, "Beacon hunt");
    assert_eq!(saved[0].folder, "My queries / Triage");
    assert_eq!(saved[0].body(), "DeviceInfo | take 3");
    assert!(app.sidebar.queries.contains(&saved[0]), "listed");
    // The next Ctrl+S writes over it, without asking.
    app.handle_key(key(KeyCode::End));
    type_text(&mut app, " | take 4");
    app.message = None;
    app.handle_key(ctrl('s'));
    assert!(app.sidebar.popup.is_none());
    assert!(app.flush_writes(Duration::from_secs(30)));
    wait_message(&mut app, "saved Beacon hunt");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "// title: Beacon hunt\nDeviceInfo | take 3 | take 4"
    );
    assert_eq!(store.user_queries().len(), 1);
    // Esc in the prompt saves nothing.
    app.sidebar.saved_as = None;
    app.handle_key(ctrl('s'));
    type_text(&mut app, "Other");
    app.handle_key(key(KeyCode::Esc));
    assert!(app.sidebar.popup.is_none());
    assert!(app.flush_writes(Duration::from_secs(30)));
    assert_eq!(store.user_queries().len(), 1);
}

#[test]
fn n_makes_a_new_empty_query_and_keeps_the_text_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, store) = app_with_store(dir.path(), "unsaved work");
    app.handle_key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT));
    app.handle_key(key(KeyCode::Char('n')));
    assert!(screen(&mut app, 80, 24).contains(" New query "));
    type_text(&mut app, "Fresh");
    app.handle_key(key(KeyCode::Enter));
    assert_eq!(app.text(), "// title: Fresh\n");
    assert_eq!(app.focus, Focus::Editor);
    assert!(app.flush_writes(Duration::from_secs(30)));
    wait_message(&mut app, "saved Fresh");
    assert_eq!(store.kept_drafts()[0].text, "unsaved work");
    let path = store.paths.user_queries_dir().join("Fresh.kql");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "// title: Fresh\n");
    type_text(&mut app, "DeviceInfo");
    app.handle_key(ctrl('s'));
    assert!(app.flush_writes(Duration::from_secs(30)));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "// title: Fresh\nDeviceInfo"
    );
}

#[test]
fn rename_and_delete_ask_first_and_bundled_queries_are_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let seed = hunt::store::Store::new(hunt::store::Paths::in_folder(dir.path()));
    seed.save_query("Old name", "", "DeviceInfo").unwrap();
    let old_path = seed.paths.user_queries_dir().join("Old name.kql");
    let (mut app, store) = app_over_store(dir.path(), "fast");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);

    // Bundled: refused, with a reason.
    select(&mut app, |q| q.origin == hunt::store::Origin::Bundled);
    app.handle_key(key(KeyCode::Char('d')));
    assert!(app.sidebar.popup.is_none());
    assert!(app.message.as_ref().unwrap().0.contains("read-only"));
    app.handle_key(key(KeyCode::Char('R')));
    assert!(app.sidebar.popup.is_none());
    assert!(app.message.as_ref().unwrap().0.contains("read-only"));

    // Rename.
    select(&mut app, |q| q.title == "Old name");
    app.handle_key(key(KeyCode::Char('R')));
    assert!(screen(&mut app, 80, 24).contains(" Rename query "));
    for _ in 0.."Old name".len() {
        app.handle_key(key(KeyCode::Backspace));
    }
    type_text(&mut app, "New name");
    app.handle_key(key(KeyCode::Enter));
    assert!(app.flush_writes(Duration::from_secs(30)));
    wait_message(&mut app, "renamed to New name");
    let new_path = store.paths.user_queries_dir().join("New name.kql");
    assert!(!old_path.exists());
    assert_eq!(
        std::fs::read_to_string(&new_path).unwrap(),
        "// title: New name\nDeviceInfo"
    );
    let mine: Vec<_> = app
        .sidebar
        .queries
        .iter()
        .filter(|q| q.folder == "My queries")
        .map(|q| q.title.clone())
        .collect();
    assert_eq!(mine, ["New name"]);
    assert_eq!(
        app.sidebar
            .selected_query()
            .map(|i| app.sidebar.queries[i].title.clone()),
        Some("New name".to_string()),
        "the renamed query stays selected"
    );

    // Delete: `n` at the confirmation keeps it; `y` deletes.
    app.handle_key(key(KeyCode::Char('d')));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("Delete New name?"), "{text}");
    app.handle_key(key(KeyCode::Char('n')));
    assert!(app.sidebar.popup.is_none());
    assert!(app.flush_writes(Duration::from_secs(30)));
    assert!(new_path.exists());
    assert!(app.sidebar.queries.iter().any(|q| q.title == "New name"));
    app.handle_key(key(KeyCode::Char('d')));
    app.handle_key(key(KeyCode::Char('y')));
    assert!(!app.sidebar.queries.iter().any(|q| q.title == "New name"));
    assert!(app.flush_writes(Duration::from_secs(30)));
    assert!(!new_path.exists());

    // A history entry is deleted the same way.
    select(&mut app, |q| q.folder == hunt::store::HISTORY_FOLDER);
    app.handle_key(key(KeyCode::Char('d')));
    app.handle_key(key(KeyCode::Esc));
    assert_eq!(history_titles(&app).len(), 1, "Esc keeps it");
    app.handle_key(key(KeyCode::Char('d')));
    app.handle_key(key(KeyCode::Char('y')));
    assert!(history_titles(&app).is_empty());
    assert!(app.flush_writes(Duration::from_secs(30)));
    assert!(store.history().is_empty());
}

#[test]
fn ctrl_o_finds_a_bundled_query_by_a_subsequence() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app_with_store(dir.path(), "fast");
    app.handle_key(ctrl('o'));
    type_text(&mut app, "lsmdmp");
    let text = screen(&mut app, 80, 24);
    assert!(text.contains(" Open a saved query "), "{text}");
    assert!(text.contains("LSASS memory dumped"), "{text}");
    // Arrows move, and Enter loads the selected match.
    app.handle_key(key(KeyCode::Down));
    app.handle_key(key(KeyCode::Up));
    app.handle_key(key(KeyCode::Enter));
    assert!(app.sidebar.popup.is_none());
    assert!(app.text().contains("comsvcs.dll"), "{}", app.text());
    // Esc closes without loading.
    app.handle_key(ctrl('o'));
    type_text(&mut app, "cradle");
    app.handle_key(key(KeyCode::Esc));
    assert!(app.sidebar.popup.is_none());
    assert!(app.text().contains("comsvcs.dll"));
    // Nothing matches: Enter loads nothing.
    app.handle_key(ctrl('o'));
    type_text(&mut app, "zzzzq");
    assert!(screen(&mut app, 80, 24).contains("no match"));
    app.handle_key(key(KeyCode::Enter));
    assert!(app.text().contains("comsvcs.dll"));
    // A run that ends while the popup is open moves the list under it: Enter still loads the
    // match shown.
    app.set_text("fast | take 1");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    app.set_text("fast | take 2");
    app.handle_key(key(KeyCode::F(5)));
    app.handle_key(ctrl('o'));
    type_text(&mut app, "take1");
    wait(&mut app);
    assert_eq!(history_titles(&app).len(), 2);
    app.handle_key(key(KeyCode::Enter));
    assert_eq!(app.text(), "fast | take 1");
}

#[test]
fn the_sidebar_filter_narrows_the_list_until_esc() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = app_with_store(dir.path(), "fast");
    app.handle_key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT));
    let all = app.sidebar.rows().len();
    app.handle_key(key(KeyCode::Char('/')));
    type_text(&mut app, "COMSVCS");
    // Matches the text too, ignoring case: one folder, one query.
    assert_eq!(app.sidebar.rows().len(), 2);
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("/COMSVCS"), "{text}");
    app.handle_key(key(KeyCode::Enter));
    assert_eq!(app.sidebar.rows().len(), 2, "Enter keeps the filter");
    app.handle_key(key(KeyCode::Enter));
    assert!(
        app.text().contains("comsvcs.dll"),
        "Enter then loads the match"
    );
    app.handle_key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT));
    app.handle_key(key(KeyCode::Esc));
    assert!(app.sidebar.filter.is_none(), "Esc clears it");
    // Every row again, and Drafts (folder and entry) with the text the load replaced.
    assert_eq!(app.sidebar.rows().len(), all + 2);
}

#[test]
fn hostile_query_names_and_history_text_show_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let seed = hunt::store::Store::new(hunt::store::Paths::in_folder(dir.path()));
    seed.save_query("evil\u{1b}[2J\u{202E}name", "", "DeviceInfo")
        .unwrap();
    let (mut app, _) = app_over_store(dir.path(), "fast\u{1b}]0;x\u{7}");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    close_bundled_folders(&mut app);
    let text = screen(&mut app, 100, 30);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202E}') && !text.contains('\u{7}'));
    assert!(text.contains("evil␛[2J⟨U+202E⟩name"), "{text}");
    assert!(text.contains("fast␛]0;x␇"), "{text}");
    // And in the popups.
    select(&mut app, |q| q.title.starts_with("evil"));
    app.handle_key(key(KeyCode::Char('d')));
    let text = screen(&mut app, 80, 24);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202E}'));
    assert!(text.contains("Delete evil␛[2J⟨U+202E⟩name?"), "{text}");
    app.handle_key(key(KeyCode::Esc));
    app.handle_key(ctrl('o'));
    type_text(&mut app, "evil");
    let text = screen(&mut app, 80, 24);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202E}'));
    assert!(text.contains("evil␛[2J⟨U+202E⟩name"), "{text}");
}

#[test]
fn popups_draw_at_any_size() {
    let (mut app, _) = app_with_store(tempfile::tempdir().unwrap().path(), "fast");
    for open in [ctrl('o'), ctrl('s')] {
        app.handle_key(open);
        for (w, h) in [(80, 24), (20, 5), (1, 1), (0, 0), (200, 60)] {
            screen(&mut app, w, h);
        }
        app.handle_key(key(KeyCode::Esc));
    }
}

// ---- tabs, key bindings, backend picker ------------------------------------------------------

pub fn alt(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT)
}

#[test]
fn tabs_keep_their_own_text_results_and_drafts() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, store) = {
        let store = Arc::new(hunt::store::Store::new(hunt::store::Paths::in_folder(
            dir.path(),
        )));
        let handle = worker::spawn(
            runtime().handle(),
            Arc::new(TypedBackend),
            Some(store.clone()),
        );
        (handle, store)
    };
    let mut app = ready(App::new(
        handle,
        Vec::new(),
        "Files\n| take 30",
        "test",
        "last 30d",
        Theme::bundled(false),
    ));
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    assert_eq!(app.grid.rows(), 30);
    // A second tab: its own text, no result yet.
    app.handle_key(alt('n'));
    assert_eq!(app.tab_count(), 2);
    assert_eq!(app.text(), "");
    assert!(app.grid.result.is_none());
    type_text(&mut app, "broken");
    let text = screen(&mut app, 120, 30);
    assert!(
        text.contains("1 Files") && text.contains("[2 broken]"),
        "{text}"
    );
    // Run in tab 2, switch back before it ends: the failure lands on tab 2, not tab 1.
    app.handle_key(key(KeyCode::F(5)));
    app.handle_key(alt(','));
    assert_eq!(app.text(), "Files\n| take 30");
    let started = Instant::now();
    while app.tabs[1].text() != "broken" || app.tab_labels()[1].2 {
        app.poll_worker();
        assert!(started.elapsed() < Duration::from_secs(30), "tab 2's run");
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(app.error.is_none(), "tab 1 shows no error");
    assert_eq!(app.grid.rows(), 30, "tab 1 keeps its rows");
    app.handle_key(alt('.'));
    assert_eq!(app.text(), "broken");
    assert!(app.error.is_some(), "tab 2 has its error");
    // Every tab's text is on disk (tab 2 was kept when it was left; Ctrl+Q keeps the active).
    app.handle_key(ctrl('q'));
    assert!(app.flush_writes(Duration::from_secs(30)));
    assert_eq!(store.load_draft().as_deref(), Some("Files\n| take 30"));
    assert_eq!(store.tab_drafts(), vec![(1, "broken".to_string())]);
}

#[test]
fn closing_a_tab_keeps_its_text_under_drafts_and_restoring_reopens_tabs() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, store) = app_with_store(dir.path(), "first");
    app.handle_key(alt('n'));
    type_text(&mut app, "second tab query");
    app.handle_key(alt('n'));
    type_text(&mut app, "third");
    assert_eq!(app.tab_count(), 3);
    // Close the third: its text is kept, the second becomes active.
    app.handle_key(alt('w'));
    assert_eq!(app.tab_count(), 2);
    assert_eq!(app.text(), "second tab query");
    assert!(
        app.sidebar.queries.iter().any(|q| q.text.contains("third")),
        "kept under Drafts"
    );
    app.handle_key(ctrl('q'));
    assert!(app.flush_writes(Duration::from_secs(30)));
    // A new session reopens the second tab from its draft.
    let (mut again, _) = app_with_store(dir.path(), "first");
    again.restore_tabs(store.tab_drafts());
    assert_eq!(again.tab_count(), 2);
    again.handle_key(alt('.'));
    assert_eq!(again.text(), "second tab query");
    // The last tab cannot be closed.
    let (mut single, _) = app_with_store(tempfile::tempdir().unwrap().path(), "x");
    single.handle_key(alt('w'));
    assert_eq!(single.tab_count(), 1);
}

#[test]
fn config_bindings_remap_actions_and_show_in_help() {
    let mut app = typed_app();
    let table: std::collections::BTreeMap<String, String> = [
        ("run".to_string(), "ctrl+e".to_string()),
        ("search".to_string(), "ctrl+f".to_string()),
    ]
    .into_iter()
    .collect();
    app.keymap = hunt::tui::keymap::KeyMap::from_table(&table).unwrap();
    // Ctrl+F in the grid opens the search.
    app.handle_key(ctrl('f'));
    assert!(app.prompt_is_search());
    app.handle_key(key(KeyCode::Esc));
    // Ctrl+E runs.
    app.handle_key(ctrl('e'));
    assert!(app.is_running());
    wait(&mut app);
    app.handle_key(key(KeyCode::F(1)));
    let text = screen(&mut app, 100, 40);
    assert!(
        text.contains("Ctrl+e") && text.contains("your binding"),
        "{text}"
    );
}

#[test]
fn the_backend_picker_switches_the_backend_on_the_worker() {
    let mut app = test_app();
    app.backends = vec![
        hunt::tui::app::BackendOption {
            label: "test".into(),
            make: Arc::new(|| Box::new(|_| Ok(Arc::new(HoldingBackend) as Arc<dyn Backend>))),
        },
        hunt::tui::app::BackendOption {
            label: "typed".into(),
            make: Arc::new(|| Box::new(|_| Ok(Arc::new(TypedBackend) as Arc<dyn Backend>))),
        },
    ];
    app.handle_key(key(KeyCode::F(7)));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("Backend") && text.contains("typed"), "{text}");
    app.handle_key(key(KeyCode::Down));
    app.handle_key(key(KeyCode::Enter));
    let app = ready(app);
    let mut app = app;
    app.set_text("anything");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    assert_eq!(app.grid.rows(), 30, "the typed backend answered");
}

#[test]
fn a_wide_terminal_shows_long_command_lines_whole() {
    let mut app = typed_app();
    let text = screen(&mut app, 300, 80);
    // The generated command lines are about 170 characters: at 300×80 the grid has room for
    // them whole, and uses it.
    let row = text.lines().find(|l| l.contains("file0.exe")).unwrap();
    let whole = format!(
        "powershell.exe -NoProfile -Command \"Get-Item C:\\\\Temp\\\\0\" {}",
        "x".repeat(120)
    );
    assert!(row.contains(&whole), "{row}");
    // And the page is as tall as the screen allows.
    assert!(app.grid.page >= 40, "{}", app.grid.page);
}

#[test]
fn enter_before_the_search_answers_still_lands_on_the_first_match() {
    let mut app = typed_app();
    app.handle_key(key(KeyCode::Char('/')));
    type_text(&mut app, "file2");
    // Enter at once, before the worker has answered.
    app.handle_key(key(KeyCode::Enter));
    wait_for(&mut app, "search", |a| {
        a.grid.search.as_ref().is_some_and(|s| s.pending.is_none())
    });
    assert_eq!(app.grid.row, 2);
    // Esc clears the search and says nothing stale.
    app.handle_key(key(KeyCode::Esc));
    assert!(app.grid.search.is_none());
}

#[test]
fn a_filter_goes_before_a_closing_render() {
    let mut app = typed_app();
    app.set_text("Files | take 30 | render columnchart");
    app.handle_key(key(KeyCode::Char('=')));
    assert_eq!(
        app.text(),
        "Files | take 30\n| where Name == \"file0.exe\"\n| render columnchart"
    );
    app.set_text("Files\n| take 30\n| render columnchart with (title='x')");
    app.handle_key(key(KeyCode::Char('!')));
    assert_eq!(
        app.text(),
        "Files\n| take 30\n| where Name != \"file0.exe\"\n| render columnchart with (title='x')"
    );
    let (_, diagnostics) = hunt::kql::parse(&app.text());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
}

#[test]
fn the_editor_scrolls_back_to_the_start_when_the_cursor_allows() {
    let mut app = test_app();
    app.set_text(&format!(
        "T | project {}\n| take 1",
        "LongColumnName, ".repeat(10)
    ));
    app.focus = Focus::Editor;
    app.handle_key(key(KeyCode::End));
    let text = screen(&mut app, 80, 24);
    assert!(
        app.editor_left > 0,
        "scrolled to the end of the long line:\n{text}"
    );
    app.handle_key(key(KeyCode::Down));
    let text = screen(&mut app, 80, 24);
    assert_eq!(app.editor_left, 0, "{text}");
    assert!(text.contains("│T | project LongColumnName"), "{text}");
    assert!(text.contains("│| take 1"), "{text}");
}

#[test]
fn combining_marks_in_the_editor_sit_on_their_letter() {
    let mut app = test_app();
    app.set_text("T | where Name == \"Pe\u{301}rez\" and x == \"\u{301}\"");
    app.focus = Focus::Editor;
    let text = screen(&mut app, 80, 24);
    // é is one cell, as is a mark on a quote: marks sit on the character before them.
    assert!(text.contains("\"Pe\u{301}rez\""), "{text}");
    assert!(text.contains("== \"\u{301}\""), "{text}");
    assert!(!text.contains('◌'), "{text}");
    // The cursor after the word counts é as one cell.
    app.handle_key(key(KeyCode::End));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| ui::draw(frame, &mut app)).unwrap();
    let cursor = terminal.get_cursor_position().unwrap();
    let line_start = app.areas.editor.x + 1;
    assert_eq!(
        cursor.x - line_start,
        "T | where Name == \"Pérez\" and x == \"\"".chars().count() as u16
    );
}

#[test]
fn ctrl_space_completes_tables_operators_and_columns_from_the_schema() {
    let mut app = lab_app();
    assert!(
        app.schema
            .tables()
            .iter()
            .any(|t| t.name == "DeviceProcessEvents"),
        "the backend's tables arrive with it"
    );
    app.set_text("");
    app.focus = Focus::Editor;
    let ctrl_space = KeyEvent::new(KeyCode::Char(' '), KeyModifiers::CONTROL);
    // A table at the start.
    type_text(&mut app, "Device");
    app.handle_key(ctrl_space);
    let completion = app.completion.clone().expect("a list");
    assert!(completion.items.len() > 1, "{:?}", completion.items);
    let text = screen(&mut app, 100, 30);
    assert!(
        text.contains("DeviceEvents") && text.contains(" table"),
        "{text}"
    );
    let at = completion
        .items
        .iter()
        .position(|c| c.text == "DeviceProcessEvents")
        .unwrap();
    for _ in 0..at {
        app.handle_key(key(KeyCode::Down));
    }
    app.handle_key(key(KeyCode::Enter));
    assert_eq!(app.text(), "DeviceProcessEvents");
    // One operator fits: put in at once.
    type_text(&mut app, " | summ");
    app.handle_key(ctrl_space);
    assert!(app.completion.is_none());
    assert_eq!(app.text(), "DeviceProcessEvents | summarize");
    // Columns of the table, narrowed as one types on.
    type_text(&mut app, " c = count() by Fi");
    app.handle_key(ctrl_space);
    let first = app.completion.as_ref().unwrap().items[0].clone();
    assert_eq!(first.text, "FileName");
    assert_eq!(first.detail, "string", "the column's type");
    type_text(&mut app, "leS");
    let items = &app.completion.as_ref().unwrap().items;
    // Names that start with the word first, then names holding its letters in order.
    assert!(
        items[0].text.to_lowercase().starts_with("files"),
        "{items:?}"
    );
    assert!(
        items.iter().all(|c| {
            let mut letters = c
                .text
                .to_lowercase()
                .chars()
                .collect::<Vec<_>>()
                .into_iter();
            "files".chars().all(|w| letters.any(|t| t == w))
        }),
        "{items:?}"
    );
    app.handle_key(key(KeyCode::Esc));
    assert!(app.completion.is_none());
    assert_eq!(
        app.text(),
        "DeviceProcessEvents | summarize c = count() by FileS"
    );
}

#[test]
fn completion_takes_tab_and_never_reaches_across_lines() {
    let mut app = lab_app();
    app.set_text("// x\n\nDeviceInfo | take 1");
    app.focus = Focus::Editor;
    let ctrl_space = KeyEvent::new(KeyCode::Char(' '), KeyModifiers::CONTROL);
    // On the blank line after a comment: a new query starts there, so tables, and nothing of
    // the comment's word.
    app.handle_key(key(KeyCode::Down));
    app.handle_key(key(KeyCode::Home));
    app.handle_key(ctrl_space);
    let items = app.completion.clone().expect("a list").items;
    assert_eq!(
        items[0].kind,
        hunt::kql::completion::Kind::Table,
        "{items:?}"
    );
    // Tab accepts (it does not move the focus).
    app.handle_key(key(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Editor);
    assert!(app.completion.is_none());
    let lines: Vec<String> = app.text().lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], "// x");
    assert_eq!(lines[1], items[0].text);
    assert_eq!(lines[2], "DeviceInfo | take 1");
    // Inside a comment: nothing to complete.
    app.handle_key(KeyEvent::new(KeyCode::Home, KeyModifiers::CONTROL));
    app.handle_key(key(KeyCode::End));
    app.handle_key(ctrl_space);
    assert!(app.completion.is_none());
    assert_eq!(app.text().lines().next(), Some("// x"));
}

#[test]
fn a_message_of_several_lines_shows_its_first_and_f2_shows_all() {
    let mut app = test_app();
    app.message = Some((
        "config.toml: line 2, column 14: invalid string\nunknown theme 'solarized'".into(),
        hunt::tui::app::Tone::Error,
    ));
    let text = screen(&mut app, 120, 24);
    let status = text.lines().last().unwrap();
    assert!(status.contains("invalid string (+1 more: F2)"), "{status}");
    app.handle_key(key(KeyCode::F(2)));
    let text = screen(&mut app, 120, 24);
    assert!(
        text.contains("column 14: invalid string") && text.contains("unknown theme 'solarized'"),
        "{text}"
    );
}

/// Ticks (which sends the block to be checked once typing pauses) and reads the worker's
/// answers until `done`.
fn wait_live(app: &mut App, what: &str, done: impl Fn(&App) -> bool) {
    let started = Instant::now();
    loop {
        app.tick();
        app.poll_worker();
        if done(app) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn live_diagnostics_underline_while_typing_and_clear_when_fixed() {
    let mut app = test_app();
    app.set_text("");
    app.focus = Focus::Editor;
    type_text(&mut app, "T | where a ==");
    wait_live(&mut app, "the check of the block", |app| {
        !app.live.is_empty()
    });
    let mark = app.live[0].clone();
    assert_eq!(
        (mark.row, mark.warning),
        (0, false),
        "an error on the first line: {mark:?}"
    );
    assert!(
        mark.message
            .starts_with("1:15: expected an expression, found the end of the query"),
        "{mark:?}"
    );
    let text = screen(&mut app, 80, 24);
    assert!(
        text.contains("1:15: expected an expression"),
        "the message stands under the editor:\n{text}"
    );
    type_text(&mut app, " 1");
    wait_live(&mut app, "the check after the fix", |app| {
        app.live.is_empty()
    });
    // Whatever the next block holds, the cursor's block is what is checked.
    app.set_text("T | where a ==\n\nT | take 1");
    app.editor.move_cursor(tui_textarea::CursorMove::Jump(0, 3));
    wait_live(&mut app, "the first block's check", |app| {
        !app.live.is_empty()
    });
    app.editor.move_cursor(tui_textarea::CursorMove::Jump(2, 3));
    wait_live(&mut app, "the second block's check", |app| {
        app.live_checked_rows() == (2, 2) && app.live.is_empty()
    });
}

#[test]
fn signature_help_follows_the_call_and_f3_describes() {
    let mut app = test_app();
    app.set_text("");
    app.focus = Focus::Editor;
    type_text(&mut app, "print bin(Timestamp,");
    let hint = app
        .hint
        .clone()
        .expect("signature help opens at '(' and ','");
    assert!(hint.signature && hint.text.starts_with("bin("), "{hint:?}");
    let active = &hint.text[hint.active.clone().expect("a current parameter")];
    assert!(active.starts_with("roundTo"), "{hint:?}");
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("bin(value"), "drawn by the cursor:\n{text}");
    type_text(&mut app, " 1h)");
    assert!(app.hint.is_none(), "closed once the call is closed");
    app.handle_key(key(KeyCode::Home));
    app.handle_key(key(KeyCode::F(3)));
    let hint = app.hint.clone().expect("F3 describes print");
    assert!(
        hint.text.starts_with("print (tabular operator)"),
        "{hint:?}"
    );
    app.handle_key(key(KeyCode::Esc));
    assert!(app.hint.is_none());
}

#[test]
fn unknown_tables_and_columns_are_warnings_with_a_suggestion() {
    let mut app = lab_app();
    app.set_text("");
    app.focus = Focus::Editor;
    type_text(&mut app, "DeviceProcessEvent | where FileNam == 'x'");
    wait_live(&mut app, "the warning", |app| !app.live.is_empty());
    let mark = app.live[0].clone();
    assert!(mark.warning, "{mark:?}");
    assert!(
        mark.message.contains("did you mean 'DeviceProcessEvents'"),
        "{mark:?}"
    );
    app.set_text("");
    type_text(&mut app, "DeviceProcessEvents | where FileNam == 'x'");
    wait_live(&mut app, "the column warning", |app| {
        app.live
            .first()
            .is_some_and(|m| m.message.contains("did you mean 'FileName'"))
    });
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("did you mean 'FileName'"), "{text}");
}

#[test]
fn completion_opens_as_a_name_is_typed_and_enter_still_ends_the_line() {
    let mut app = lab_app();
    app.set_text("");
    app.focus = Focus::Editor;
    type_text(&mut app, "DeviceProcessEvents | ");
    let items = app
        .completion
        .clone()
        .expect("the operators after '| '")
        .items;
    assert!(items.iter().any(|c| c.text == "where"), "{items:?}");
    type_text(&mut app, "wh");
    let completion = app.completion.clone().expect("narrowed as typed");
    assert!(completion.auto);
    assert_eq!(completion.items[0].text, "where");
    // Enter ends the line (the list opened by itself); Tab would have taken the candidate.
    app.handle_key(key(KeyCode::Enter));
    assert!(app.completion.is_none());
    assert_eq!(app.text(), "DeviceProcessEvents | wh\n");
    app.handle_key(key(KeyCode::Backspace));
    app.handle_key(key(KeyCode::Backspace));
    app.handle_key(key(KeyCode::Backspace));
    type_text(&mut app, "wh");
    assert!(app.completion.is_some());
    app.handle_key(key(KeyCode::Tab));
    assert_eq!(app.text(), "DeviceProcessEvents | where");
    // A command key while the list is open is the command, never typed into the text.
    type_text(&mut app, " F");
    assert!(app.completion.is_some());
    app.handle_key(alt('n'));
    assert_eq!(app.tab_count(), 2);
    assert_eq!(app.text(), "");
}

#[test]
fn inside_a_string_compared_with_a_column_completion_offers_its_values_from_the_last_result() {
    let mut app = lab_app();
    app.set_text("DeviceProcessEvents | take 200");
    app.focus = Focus::Editor;
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    assert!(app.grid.result.is_some());
    app.set_text("DeviceProcessEvents | where FileName == \"");
    app.editor.move_cursor(tui_textarea::CursorMove::End);
    let ctrl_space = KeyEvent::new(KeyCode::Char(' '), KeyModifiers::CONTROL);
    app.handle_key(ctrl_space);
    wait_for(&mut app, "the column's values", |app| {
        app.completion.is_some()
    });
    let completion = app.completion.clone().unwrap();
    let first = completion.items[0].clone();
    assert_eq!(first.kind, hunt::kql::completion::Kind::Value, "{first:?}");
    assert!(first.detail.ends_with("rows"), "{first:?}");
    app.handle_key(key(KeyCode::Enter));
    assert_eq!(
        app.text(),
        format!("DeviceProcessEvents | where FileName == \"{}\"", first.text),
        "the value goes in with its closing quote"
    );
    // A column the last result lacks says so.
    app.set_text("DeviceProcessEvents | where NoSuchColumn == 'x");
    app.editor.move_cursor(tui_textarea::CursorMove::End);
    app.handle_key(ctrl_space);
    assert!(app.completion.is_none());
    let (message, _) = app.message.clone().expect("a message");
    assert!(
        message.contains("not a column of the last result"),
        "{message}"
    );
}

#[test]
fn undo_and_redo_take_whole_edits_however_they_interleave() {
    let mut app = test_app();
    app.set_text("");
    app.focus = Focus::Editor;
    type_text(&mut app, "DeviceInfo | take 1 | project DeviceName");
    app.handle_key(key(KeyCode::Esc));
    let one_line = app.text();
    let alt_shift_f = KeyEvent::new(KeyCode::Char('F'), KeyModifiers::ALT | KeyModifiers::SHIFT);
    app.handle_key(alt_shift_f);
    let formatted = app.text();
    assert_ne!(formatted, one_line);
    // Undo the format, then a typed character; redo both: the format comes back whole (it
    // came back as an empty editor: redo replayed only the format's first step, the clear).
    app.handle_key(ctrl('z'));
    assert_eq!(app.text(), one_line);
    app.handle_key(ctrl('z'));
    assert_eq!(app.text(), one_line[..one_line.len() - 1]);
    app.handle_key(ctrl('y'));
    assert_eq!(app.text(), one_line);
    app.handle_key(ctrl('y'));
    assert_eq!(app.text(), formatted);
    app.handle_key(ctrl('z'));
    assert_eq!(app.text(), one_line);
    // A completion is one edit too (the word typed and the name put in).
    app.set_text("DeviceInfo | where touppe");
    app.editor.move_cursor(tui_textarea::CursorMove::End);
    app.handle_key(key(KeyCode::Esc));
    app.handle_key(KeyEvent::new(KeyCode::Char(' '), KeyModifiers::CONTROL));
    if app.completion.is_some() {
        app.handle_key(key(KeyCode::Tab));
    }
    let completed = app.text();
    assert_eq!(completed, "DeviceInfo | where toupper(");
    app.handle_key(ctrl('z'));
    assert_eq!(app.text(), "DeviceInfo | where touppe");
    app.handle_key(ctrl('y'));
    assert_eq!(app.text(), completed);
}

#[test]
fn a_line_longer_than_65535_characters_is_replaced_and_selected_whole() {
    let mut app = test_app();
    app.focus = Focus::Editor;
    let long = format!("print s = \"{}\"", "a".repeat(70_000));
    app.set_text(&long);
    assert_eq!(app.text(), long);
    // Loading another query replaces all of it (a tail past column 65,535 stayed before).
    app.set_text("DeviceInfo | take 1");
    assert_eq!(app.text(), "DeviceInfo | take 1");
    app.set_text(&long);
    app.handle_key(ctrl('a'));
    app.handle_key(key(KeyCode::Delete));
    type_text(&mut app, "abc");
    assert_eq!(app.text(), "abc");
    app.handle_key(key(KeyCode::Esc));
    app.handle_key(ctrl('z'));
    assert_eq!(app.text(), "ab");
}

/// Graph's answer the fake serves to every call: three sign-ins, one device name missing, all
/// long before any window the console sets.
const GRAPH_SIGN_INS: &str = r#"{"schema":[{"name":"Timestamp","type":"DateTime"},{"name":"DeviceName","type":"String"},{"name":"Logons","type":"Int64"}],"results":[{"Timestamp":"2020-01-01T00:00:00Z","DeviceName":"ws-1","Logons":5},{"Timestamp":"2020-01-02T00:00:00Z","DeviceName":"ws-2","Logons":1},{"Timestamp":"2020-01-03T00:00:00Z","DeviceName":null,"Logons":7}]}"#;

#[test]
fn earlier_results_are_queried_locally_on_a_graph_console() {
    use super::fake_graph::{Fake, Reply};
    use super::graph::{TestTokens, backend_at};
    let fake = Fake::always(runtime(), Reply::json(200, GRAPH_SIGN_INS));
    let backend = backend_at(&fake.url, TestTokens::new("t"));
    let handle = worker::spawn(runtime().handle(), Arc::new(backend), None);
    let mut app = ready(App::new(
        handle,
        Vec::new(),
        "IdentityLogonEvents | take 3",
        "graph · contoso",
        "last 30d",
        Theme::bundled(false),
    ));
    // Before any result, `$last` is named and explained, not an unknown table.
    let before = worker::live_diagnostics("$last | take 1", &app.schema);
    assert_eq!(before.len(), 1, "{before:?}");
    assert!(before[0].warning);
    assert!(
        before[0].message.contains("there is none here"),
        "{before:?}"
    );

    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    assert_eq!(fake.requests().len(), 1);
    assert_eq!(app.earlier.len(), 1);

    // The result is a table now: its columns are known to the live check.
    assert!(worker::live_diagnostics("$last | where Logons > 1", &app.schema).is_empty());
    let unknown = worker::live_diagnostics("$last | where Nope > 1", &app.schema);
    assert!(
        unknown.iter().any(|d| d.message.contains("'Nope'")),
        "{unknown:?}"
    );

    // A query over `$last` runs locally: no second Graph call, even with a window the rows
    // are far outside; the status line says where it ran.
    app.set_window(Some("P1D".into())).unwrap();
    app.set_text("$last | where Logons > 1 | project DeviceName, Logons");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    assert_eq!(fake.requests().len(), 1, "no Graph call for $last");
    let result = app.grid.result.clone().expect("a result");
    assert_eq!(result.row_count(), 2);
    // Graph's missing device name reads as KQL's empty string.
    assert_eq!(result.cell_text(1, 0), Some(String::new()));
    let shown = screen(&mut app, 160, 30);
    assert!(
        shown.contains("local · on $last (graph result, 3 rows) · last 1d · 2 rows"),
        "{shown}"
    );

    // The local result is the new `$last`; Graph's is `$2` now.
    assert_eq!(app.earlier.len(), 2);
    app.set_text("$2 | union $last | summarize Logons = sum(Logons)");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    assert_eq!(fake.requests().len(), 1);
    let result = app.grid.result.clone().expect("a result");
    assert_eq!(result.cell_text(0, 0), Some("25".to_string()));
    let shown = screen(&mut app, 160, 30);
    assert!(
        shown.contains("on $2 (graph result, 3 rows), $last (local result, 2 rows)"),
        "{shown}"
    );

    // A number past the kept results is an error that names it and says how many there are.
    app.set_text("$4 | count");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    assert_eq!(fake.requests().len(), 1);
    let shown = screen(&mut app, 160, 30);
    assert!(
        shown.contains("'$4' names the 4th newest result, but there are only 3"),
        "{shown}"
    );

    // Any other query still goes to Graph.
    app.set_text("IdentityLogonEvents | take 3");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    assert_eq!(fake.requests().len(), 2);
    assert_eq!(app.earlier.len(), 4);
}

#[test]
fn the_console_keeps_only_the_newest_results() {
    let mut app = lab_app();
    for n in 1..=(hunt::results::history::KEPT_RESULTS + 2) {
        app.set_text(&format!("print n = {n}"));
        app.handle_key(key(KeyCode::F(5)));
        wait(&mut app);
    }
    let kept = hunt::results::history::KEPT_RESULTS;
    assert_eq!(app.earlier.len(), kept);
    // `$N` is the oldest kept: the (kept + 2)-th run was the newest, so the third run.
    app.set_text(&format!("${kept} | project n"));
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    let result = app.grid.result.clone().expect("a result");
    assert_eq!(result.cell_text(0, 0), Some("3".to_string()));
    // The lab's tables are there beside the results on a local console.
    app.set_text("$last | extend Devices = toscalar(DeviceInfo | count) | project n, Devices");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    let result = app.grid.result.clone().expect("a result");
    assert_eq!(result.cell_text(0, 0), Some("3".to_string()));
    assert!(result.cell_text(0, 1).is_some_and(|d| d != "0"));
}

/// What crossterm 0.29 reads from `ESC ESC` and the rest of a key's sequence arriving in one
/// read (tmux forwards Esc and a key pressed within its escape-time so): Esc, then each byte
/// after the second ESC as a character of its own (Shift on capitals), every event but the
/// last with more input behind it. Checked against crossterm with `tmux send-keys -H`.
fn escape_glued_to(rest: &str) -> Vec<(TermEvent, bool)> {
    let mut events = vec![(TermEvent::Key(key(KeyCode::Esc)), true)];
    let count = rest.chars().count();
    for (i, c) in rest.chars().enumerate() {
        let modifiers = if c.is_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        events.push((
            TermEvent::Key(KeyEvent::new(KeyCode::Char(c), modifiers)),
            i + 1 < count,
        ));
    }
    events
}

/// Feeds terminal events to the app as the console's loop does: through a `Rejoiner`.
fn feed(app: &mut App, events: Vec<(TermEvent, bool)>) {
    let mut rejoiner = Rejoiner::default();
    for (event, followed) in events {
        for event in rejoiner.push(event, followed) {
            app.handle_terminal_event(event);
        }
    }
    for event in rejoiner.flush() {
        app.handle_terminal_event(event);
    }
}

/// A trial typed `[15~` and `[A` into the editor: Esc then F5 (or an arrow) arriving together.
#[test]
fn a_key_glued_to_escape_is_the_key_not_text() {
    let mut app = lab_app();
    let before = app.text();
    feed(&mut app, escape_glued_to("[15~"));
    assert_eq!(app.text(), before);
    assert!(app.is_running(), "F5 runs the query");
    wait(&mut app);
    app.handle_key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT));
    app.handle_key(key(KeyCode::Down));
    app.handle_key(key(KeyCode::Down));
    let row = app.editor.cursor().0;
    feed(&mut app, escape_glued_to("[A"));
    assert_eq!(app.editor.cursor().0, row - 1, "Up moves the cursor up");
    // Esc then Ctrl+End as tmux sends them (`ESC ESC [ 1 ; 5 F`).
    feed(&mut app, escape_glued_to("[1;5F"));
    assert_eq!(app.text(), before);
}

/// Esc glued to the next key still cancels the running query, once, and the key still acts.
#[test]
fn escape_glued_to_a_key_cancels_and_the_key_acts() {
    let mut app = test_app();
    app.handle_key(key(KeyCode::Home));
    app.handle_key(key(KeyCode::F(5)));
    assert!(app.is_running());
    let before = app.text();
    feed(&mut app, escape_glued_to("[C"));
    assert!(screen(&mut app, 80, 24).contains("cancelling…"));
    assert_eq!(app.text(), before);
    assert_eq!(app.editor.cursor(), (0, 1), "Right moves the cursor");
    wait(&mut app);
    assert!(
        screen(&mut app, 80, 24)
            .lines()
            .last()
            .unwrap()
            .ends_with("test · last 30d · cancelled")
    );
}
