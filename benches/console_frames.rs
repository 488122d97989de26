//! Does the console keep drawing while a big Graph answer downloads and decodes? (A plain
//! harness: `cargo bench --bench console_frames`.)
//!
//! What it measures: a loopback server answers `runHuntingQuery` with a generated 100,000-row,
//! 20-column response (~100 MB). The console (the real `App`, worker and `GraphBackend`) sends the
//! query, and until the result is in the grid the UI thread does what `tui::run` does each turn —
//! handle a keystroke (typing into the editor), poll the worker, draw a 160×48 frame (ratatui's
//! `TestBackend`) — and times each turn. It prints the turns' median, 99th percentile and
//! maximum beside the same numbers with no query running, and the 16.7 ms budget of a frame at
//! 60 Hz. The download and the decode run on the worker, so the turns should stay far below it.

#[path = "common/response.rs"]
mod response;
#[path = "common/rng.rs"]
mod rng;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::{Terminal, backend::TestBackend};

use hunt::graph::client::{GraphBackend, GraphOptions};
use hunt::graph::cloud::Cloud;
use hunt::tui::app::App;
use hunt::tui::theme::Theme;
use hunt::tui::ui;

/// Answers every request on `listener` with `body` (the request itself is read and ignored).
fn serve_forever(listener: TcpListener, body: Arc<Vec<u8>>) {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let body = body.clone();
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut buffer = [0u8; 8192];
                // Headers, then the small JSON body: read until the client pauses.
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                // In 64 KiB pieces, as a network would deliver it.
                for piece in body.chunks(64 * 1024) {
                    if stream.write_all(piece).is_err() {
                        return;
                    }
                }
            });
        }
    });
}

struct Turns(Vec<Duration>);

impl Turns {
    fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        sorted[((sorted.len() - 1) as f64 * q).round() as usize]
    }

    fn row(&self, label: &str) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{label:<34} {:>6} {:>9.2} {:>9.2} {:>9.2}",
            self.0.len(),
            ms(self.quantile(0.5)),
            ms(self.quantile(0.99)),
            ms(self.quantile(1.0))
        );
    }
}

/// One turn of the console loop: a keystroke, the worker's events, a frame.
fn turn(app: &mut App, terminal: &mut Terminal<TestBackend>, c: char) -> Duration {
    let started = Instant::now();
    app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    app.poll_worker();
    app.tick();
    terminal
        .draw(|frame| ui::draw(frame, app))
        .expect("a frame draws");
    started.elapsed()
}

fn main() {
    let rows = response::ROWS;
    let body = Arc::new(response::generate());
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    serve_forever(listener, body.clone());

    let runtime = hunt::cli::runtime().expect("the worker runtime");
    let mut options = GraphOptions::for_cloud(Cloud::Global, "bench");
    options.endpoint = url;
    let http = hunt::graph::http::http_client(Duration::from_secs(300)).expect("a client");
    let tokens = Arc::new(hunt::graph::auth::StaticToken::new(
        hunt::graph::token::Secret::new("bench-token"),
    ));
    let backend = GraphBackend::new(options, http, tokens, Vec::new());
    let handle = hunt::worker::spawn(runtime.handle(), Arc::new(backend), None);
    let mut app = App::new(
        handle,
        Vec::new(),
        "DeviceProcessEvents\n| take 100000\n// ",
        "graph",
        "last 30d",
        Theme::bundled(false),
    );
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("a test terminal");
    let letters = ['a', 'b', 'c', 'd'];

    // The baseline: the same turns with nothing running.
    let idle = Turns(
        (0..300)
            .map(|i| turn(&mut app, &mut terminal, letters[i % 4]))
            .collect(),
    );
    // F5 runs the block under the cursor: the query and the comment being typed.
    app.handle_key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE));
    let started = Instant::now();
    let mut busy = Vec::new();
    let mut i = 0;
    while app.is_running() {
        busy.push(turn(&mut app, &mut terminal, letters[i % 4]));
        i += 1;
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the answer did not arrive"
        );
    }
    let total = started.elapsed();
    let rows_in_grid = app.grid.result.as_ref().map_or(0, |r| r.row_count());
    assert_eq!(
        rows_in_grid, rows,
        "the answer reached the grid ({:?})",
        app.error
    );
    let busy = Turns(busy);
    println!(
        "response: {rows} rows, {:.1} MB; download + decode took {:.2} s on the worker",
        body.len() as f64 / 1e6,
        total.as_secs_f64()
    );
    println!(
        "{:<34} {:>6} {:>9} {:>9} {:>9}",
        "UI turn (key + poll + draw)", "turns", "p50 ms", "p99 ms", "max ms"
    );
    idle.row("idle");
    busy.row("while downloading and decoding");
    println!("budget: one frame at 60 Hz = 16.7 ms");
}
