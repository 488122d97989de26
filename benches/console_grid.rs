//! The results grid with big answers (a plain harness: `cargo bench --bench console_grid`).
//!
//! What it measures, on the real `App` and `ui::draw`:
//! - one frame (200×50, grid focused, the cursor moving down a row per frame: key, draw) at
//!   10,000, 100,000 and 1,000,000 rows × 30 columns — it should stay flat in the row count,
//!   because a frame formats only the rows on screen (target ≤ 2 ms at 100,000 rows);
//! - the bytes a scroll step writes to a terminal at 200×50 (ratatui's crossterm backend into a
//!   byte counter: only the cells that changed are sent) beside a full redraw of the same frame.
//!   Fewer bytes is what matters on a slow SSH link.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::RecordBatch;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use tokio_util::sync::CancellationToken;

use hunt::backend::{Backend, BoxFuture, QueryError, QueryRequest, TableInfo};
use hunt::results::{KqlType, ResultSet, RunFacts, kql_field};
use hunt::tui::app::{App, Focus};
use hunt::tui::theme::Theme;
use hunt::tui::ui;

const COLUMNS: usize = 30;

/// A backend that never runs anything: the bench puts results in the grid itself.
struct Idle;

impl Backend for Idle {
    fn name(&self) -> String {
        "bench".into()
    }

    fn run(
        &self,
        _request: QueryRequest,
        _cancel: CancellationToken,
    ) -> BoxFuture<'_, Result<ResultSet, QueryError>> {
        Box::pin(async { Err(QueryError::new(hunt::backend::ErrorKind::Execution, "idle")) })
    }

    fn tables(&self) -> Vec<TableInfo> {
        Vec::new()
    }
}

/// `rows` × 30 columns shaped like DeviceProcessEvents: datetimes, longs, file names, long
/// command lines, JSON text.
fn result(rows: usize) -> ResultSet {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let base = 638_000_000_000_000_000i64;
    for column in 0..COLUMNS {
        match column % 5 {
            0 => {
                fields.push(kql_field(&format!("Timestamp{column}"), KqlType::DateTime));
                arrays.push(Arc::new(Int64Array::from_iter_values(
                    (0..rows).map(|r| base + (r as i64 * 7_919 % 1_000_003) * 10_000_000),
                )));
            }
            1 => {
                fields.push(kql_field(&format!("ProcessId{column}"), KqlType::Long));
                arrays.push(Arc::new(Int64Array::from_iter_values(
                    (0..rows).map(|r| (r as i64 * 104_729) % 65_536),
                )));
            }
            2 => {
                fields.push(kql_field(&format!("FileName{column}"), KqlType::String));
                arrays.push(Arc::new(StringArray::from_iter_values(
                    (0..rows).map(|r| format!("proc{}.exe", r % 997)),
                )));
            }
            3 => {
                fields.push(kql_field(
                    &format!("ProcessCommandLine{column}"),
                    KqlType::String,
                ));
                arrays.push(Arc::new(StringArray::from_iter_values((0..rows).map(|r| {
                    format!(
                        "powershell.exe -NoProfile -ExecutionPolicy Bypass -EncodedCommand {:x}{:x}",
                        r * 31,
                        r * 17
                    )
                }))));
            }
            _ => {
                fields.push(kql_field(
                    &format!("AdditionalFields{column}"),
                    KqlType::Dynamic,
                ));
                arrays.push(Arc::new(StringArray::from_iter_values(
                    (0..rows).map(|r| format!("{{\"Count\":{r},\"User\":\"u{}\"}}", r % 50)),
                )));
            }
        }
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).expect("a batch");
    ResultSet::from_batches(schema, &[batch], RunFacts::default()).expect("a result")
}

fn app_with(runtime: &tokio::runtime::Runtime, rows: usize) -> App {
    let handle = hunt::worker::spawn(runtime.handle(), Arc::new(Idle), None);
    let mut app = App::new(
        handle,
        Vec::new(),
        "DeviceProcessEvents\n| take 1000000",
        "bench",
        "last 30d",
        Theme::bundled(true),
    );
    app.grid
        .set(Arc::new(result(rows)), "DeviceProcessEvents".into());
    app.focus = Focus::Grid;
    app
}

fn down(app: &mut App) {
    app.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE));
}

fn quantile(samples: &[Duration], q: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Counts what the terminal backend writes (shared, so the bench can read it while the
/// backend owns the writer).
#[derive(Default, Clone)]
struct Counter(Arc<AtomicUsize>);

impl Counter {
    fn bytes(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.fetch_add(buf.len(), Ordering::Relaxed);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "{:<34} {:>6} {:>9} {:>9} {:>9}",
        "frame 200×50 (key j + draw)", "frames", "p50 ms", "p99 ms", "max ms"
    );
    for rows in [10_000, 100_000, 1_000_000] {
        let mut app = app_with(&runtime, rows);
        let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("a test terminal");
        // Warm up: the first frames learn column widths.
        for _ in 0..20 {
            down(&mut app);
            terminal.draw(|f| ui::draw(f, &mut app)).expect("a frame");
        }
        let mut samples = Vec::new();
        for _ in 0..500 {
            let started = Instant::now();
            down(&mut app);
            terminal.draw(|f| ui::draw(f, &mut app)).expect("a frame");
            samples.push(started.elapsed());
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{:<34} {:>6} {:>9.3} {:>9.3} {:>9.3}",
            format!("{rows} rows × {COLUMNS} columns"),
            samples.len(),
            ms(quantile(&samples, 0.5)),
            ms(quantile(&samples, 0.99)),
            ms(quantile(&samples, 1.0))
        );
    }

    // Bytes on the wire: a scroll step against a full redraw, 200×50.
    let mut app = app_with(&runtime, 100_000);
    let area = Rect::new(0, 0, 200, 50);
    let counter = Counter::default();
    let mut terminal = Terminal::with_options(
        CrosstermBackend::new(counter.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(area),
        },
    )
    .expect("a counting terminal");
    for _ in 0..5 {
        down(&mut app);
        terminal.draw(|f| ui::draw(f, &mut app)).expect("a frame");
    }
    let mut steps = Vec::new();
    for _ in 0..100 {
        let before = counter.bytes();
        down(&mut app);
        terminal.draw(|f| ui::draw(f, &mut app)).expect("a frame");
        steps.push(counter.bytes() - before);
    }
    // A page down: every row changes.
    let before = counter.bytes();
    app.handle_key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE));
    terminal.draw(|f| ui::draw(f, &mut app)).expect("a frame");
    let page = counter.bytes() - before;
    // A full redraw of the same screen: the first frame of a fresh terminal sends every cell.
    let fresh = Counter::default();
    let mut terminal = Terminal::with_options(
        CrosstermBackend::new(fresh.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(area),
        },
    )
    .expect("a counting terminal");
    terminal.draw(|f| ui::draw(f, &mut app)).expect("a frame");
    let full = fresh.bytes();
    steps.sort();
    println!(
        "bytes to the terminal at 200×50: scroll one row (cursor in view) median {} max {}; page down {}; full redraw {}",
        steps[steps.len() / 2],
        steps[steps.len() - 1],
        page,
        full
    );
}
