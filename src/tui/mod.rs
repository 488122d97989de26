//! The terminal console: app state and update (`app`), drawing (`ui`), the sidebar of queries and
//! its popups (`sidebar`), highlighting and theme.
//! While the console runs, this module never does I/O or waits on work: queries, sorts, drafts,
//! saves and exports go to the worker. (Only `App::flush_writes`, which the CLI calls once the
//! console has closed, waits.)

pub mod app;
pub mod chart;
pub mod clipboard;
pub mod grid;
pub mod highlight;
pub mod input;
pub mod keymap;
pub mod popup;
pub mod prompt;
pub mod sidebar;
pub mod tabs;
pub mod theme;
pub mod ui;

use std::io;
use std::time::Duration;

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use ratatui::crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event as TermEvent,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::{Terminal, backend::CrosstermBackend};

use app::App;

/// Set when the process is told to end (SIGHUP from a dropped SSH session, SIGTERM): the loop
/// keeps every tab's text and quits as Ctrl+Q would.
static QUIT_REQUESTED: AtomicBool = AtomicBool::new(false);

/// Asks the running console to keep its drafts and quit (safe from any thread).
pub fn request_quit() {
    QUIT_REQUESTED.store(true, Ordering::SeqCst);
}

/// How long the loop waits for a key before it looks at the worker again.
const POLL: Duration = Duration::from_millis(50);

/// Runs the console on a terminal until the user quits: sets the terminal up, draws and feeds
/// keys to `app`, and restores the terminal however it ends. The caller (`cli`) builds the app
/// and its worker, and flushes the worker's writes afterwards.
pub fn run(app: &mut App) -> std::io::Result<()> {
    let outcome = with_terminal(|terminal| event_loop(terminal, app));
    // However the loop ended (a terminal error too), every tab's text is kept.
    app.save_all_drafts();
    outcome
}

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
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
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        EnableMouseCapture
    )?;
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

/// One terminal event, and whether the next one had already arrived when it was read.
type Input = io::Result<(TermEvent, bool)>;

/// Reads terminal events on a thread of their own and hands them over. crossterm's reader spins
/// without end once the terminal hangs up (its read loop takes end-of-file as "more to come"),
/// so it must never run on the thread that keeps the user's text: the loop below notices the
/// hang-up and leaves, and the process ends (with this thread) once the drafts are written.
fn spawn_input() -> io::Result<mpsc::Receiver<Input>> {
    let (events, input) = mpsc::sync_channel(256);
    std::thread::Builder::new()
        .name("terminal-input".into())
        .spawn(move || {
            loop {
                let event = event::read();
                // Whether the next event is there already (parsed from the same read, or its
                // bytes waiting): only then can it be the rest of a key crossterm split
                // (`input::Rejoiner`).
                let followed = event.is_ok() && event::poll(Duration::ZERO).unwrap_or(false);
                let failed = event.is_err();
                if events.send(event.map(|e| (e, followed))).is_err() || failed {
                    return;
                }
            }
        })?;
    Ok(input)
}

/// Whether the terminal is still there: its size can be read (the ioctl fails with EIO once
/// the terminal has hung up, e.g. an SSH session that dropped).
fn terminal_alive() -> bool {
    ratatui::crossterm::terminal::window_size().is_ok()
}

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<io::Stdout>>,
    app: &mut App,
) -> io::Result<()> {
    let input = spawn_input()?;
    let mut rejoiner = input::Rejoiner::default();
    while !app.quit {
        if QUIT_REQUESTED.load(Ordering::SeqCst) || !terminal_alive() {
            app.save_all_drafts();
            break;
        }
        terminal.draw(|frame| ui::draw(frame, app))?;
        // An OSC 52 copy the user asked for goes out after the frame, whole.
        if let Some(bytes) = app.terminal_output.take() {
            let out = terminal.backend_mut();
            out.write_all(&bytes)?;
            out.flush()?;
        }
        match input.recv_timeout(POLL) {
            Ok(event) => {
                let (event, followed) = event?;
                for event in rejoiner.push(event, followed) {
                    app.handle_terminal_event(event);
                }
            }
            // Input paused: characters held as a possible key sequence were typed.
            Err(mpsc::RecvTimeoutError::Timeout) => {
                for event in rejoiner.flush() {
                    app.handle_terminal_event(event);
                }
            }
            // The reader stopped: it sent its error first, so this is only reached if it
            // could not start reading at all.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                app.save_all_drafts();
                break;
            }
        }
        app.poll_worker();
        app.tick();
    }
    Ok(())
}
