//! The terminal console: app state and update (`app`), drawing (`ui`), highlighting and theme.
//! This module never does I/O or waits on work: queries, drafts and exports go to the worker.

pub mod app;
pub mod highlight;
pub mod theme;
pub mod ui;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ratatui::crossterm::event::{
    self, DisableBracketedPaste, EnableBracketedPaste, Event as TermEvent,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::{Terminal, backend::CrosstermBackend};

use crate::engine::{LabOptions, LocalEngine};
use crate::results::safe::sanitize;
use crate::store::{Paths, Store, bundled_queries};
use crate::worker;
use app::{App, STARTER_QUERY, Tone};
use theme::Theme;

/// How long the loop waits for a key before it looks at the worker again.
const POLL: Duration = Duration::from_millis(50);

/// Opens the console on the lab data; returns the exit code.
pub fn run(file: Option<PathBuf>, scale: u32) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("hunt: could not start the worker runtime: {e}");
            return 1;
        }
    };
    let store = Paths::discover().map(|paths| Arc::new(Store::new(paths)));
    let mut warnings = Vec::new();
    let text = match &file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("hunt: {}: {e}", sanitize(&path.display().to_string()).text);
                return 2;
            }
        },
        None => store
            .as_ref()
            .and_then(|s| s.load_draft())
            .unwrap_or_else(|| STARTER_QUERY.to_string()),
    };
    let mut queries = bundled_queries();
    if let Some(store) = &store {
        if let Err(message) = store.load_config() {
            warnings.push(message);
        }
        queries.extend(store.user_queries());
    }
    let engine = match LocalEngine::lab(&LabOptions::ending_now(scale)) {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("hunt: could not build the lab data: {e}");
            return 1;
        }
    };
    let handle = worker::spawn(runtime.handle(), Arc::new(engine), store);
    let mut app = App::new(
        handle,
        queries,
        &text,
        "lab",
        "last 30d",
        Theme::default_for_terminal(),
    );
    if let Some(warning) = warnings.pop() {
        app.message = Some((warning, Tone::Error));
    }
    let outcome = with_terminal(|terminal| event_loop(terminal, &mut app));
    // Let the worker finish writing the draft.
    runtime.shutdown_timeout(Duration::from_secs(2));
    match outcome {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("hunt: terminal error: {e}");
            1
        }
    }
}

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
}

/// Sets the terminal up, runs `body`, and restores the terminal however `body` ends (a panic
/// included: the hook restores it before the message is printed).
fn with_terminal(
    body: impl FnOnce(&mut Terminal<CrosstermBackend<io::Stdout>>) -> io::Result<()>,
) -> io::Result<()> {
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
    let previous_hook = std::panic::take_hook();
    let ui_thread = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        // A panic on a worker thread is reported as a failed query; printing it here would
        // scribble over the screen.
        if std::thread::current().id() == ui_thread {
            restore_terminal();
            previous_hook(info);
        }
    }));
    let outcome = Terminal::new(CrosstermBackend::new(io::stdout()))
        .and_then(|mut terminal| body(&mut terminal));
    restore_terminal();
    outcome
}

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<io::Stdout>>,
    app: &mut App,
) -> io::Result<()> {
    while !app.quit {
        terminal.draw(|frame| ui::draw(frame, app))?;
        if event::poll(POLL)? {
            match event::read()? {
                TermEvent::Key(key) => app.handle_key(key),
                TermEvent::Paste(text) => app.paste(&text),
                _ => {}
            }
        }
        app.poll_worker();
        app.tick();
    }
    Ok(())
}
