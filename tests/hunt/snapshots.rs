//! Snapshots of every screen and popup of the console on ratatui's `TestBackend`, at 80×24 (a
//! jump host's default) and 200×50. The text of each cell is kept; a change to the layout shows
//! up as a diff to review (`cargo insta review`, or `INSTA_UPDATE=always cargo test` and
//! `git diff`). Results come from test backends with fixed answers, so nothing on screen
//! depends on time or the machine.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use hunt::tui::app::App;

use super::console::{alt, ctrl, key, screen, test_app, type_text, typed_app, wait, wait_for};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

/// Snapshots `app` at both sizes under `name`.
fn snap(name: &str, app: &mut App) {
    for (width, height) in SIZES {
        let text = clockless(&screen(app, width, height));
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), text);
    }
}

/// The screen with the wall clock taken out: the history and drafts label entries with the
/// time they were made (`19:08`, `11-29 19:08`), which becomes `hh:mm` / `MM-DD`.
fn clockless(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let digit = |i: usize| chars.get(i).is_some_and(|c| c.is_ascii_digit());
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let at = |offset: usize, ch: char| chars.get(i + offset) == Some(&ch);
        // A clock, not the time of a datetime value (`T09:39:50`).
        let after_t = i > 0 && chars[i - 1] == 'T';
        if !after_t
            && digit(i)
            && digit(i + 1)
            && at(2, ':')
            && digit(i + 3)
            && digit(i + 4)
            && !digit(i + 5)
            && !at(5, ':')
        {
            out.push_str("hh:mm");
            i += 5;
        } else if digit(i)
            && digit(i + 1)
            && at(2, '-')
            && digit(i + 3)
            && digit(i + 4)
            && at(5, ' ')
        {
            out.push_str("MM-DD");
            i += 5;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn the_first_screen() {
    let mut app = test_app();
    snap("first_screen", &mut app);
}

#[test]
fn a_result_in_the_grid() {
    let mut app = typed_app();
    snap("result", &mut app);
}

#[test]
fn a_sorted_result_with_a_search() {
    let mut app = typed_app();
    app.handle_key(key(KeyCode::Char('S')));
    super::console::wait_sorted(&mut app);
    app.handle_key(key(KeyCode::Char('/')));
    type_text(&mut app, "file1");
    wait_for(&mut app, "search", |a| {
        a.grid.search.as_ref().is_some_and(|s| s.pending.is_none())
    });
    snap("sorted_search", &mut app);
}

#[test]
fn the_help_overlay() {
    let mut app = test_app();
    app.handle_key(key(KeyCode::F(1)));
    snap("help", &mut app);
}

#[test]
fn the_record_inspector() {
    let mut app = typed_app();
    app.handle_key(key(KeyCode::Enter));
    snap("inspector", &mut app);
}

#[test]
fn the_frequencies_popup() {
    let mut app = typed_app();
    app.handle_key(key(KeyCode::Char('f')));
    wait_for(&mut app, "frequencies", |a| {
        matches!(
            &a.popup,
            Some(hunt::tui::popup::Popup::Frequencies { data: Some(_), .. })
        )
    });
    snap("frequencies", &mut app);
}

#[test]
fn the_column_chooser() {
    let mut app = typed_app();
    app.handle_key(key(KeyCode::Char('c')));
    app.handle_key(key(KeyCode::Char(' ')));
    snap("columns", &mut app);
}

#[test]
fn the_time_window_picker() {
    let mut app = test_app();
    app.handle_key(key(KeyCode::F(6)));
    snap("window_picker", &mut app);
}

#[test]
fn the_export_prompt() {
    let mut app = typed_app();
    app.handle_key(key(KeyCode::Char('e')));
    app.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    type_text(&mut app, "/tmp/out.csv");
    snap("export_prompt", &mut app);
}

#[test]
fn an_error_under_the_editor_and_whole() {
    let mut app = typed_app();
    app.set_text("broken");
    app.handle_key(key(KeyCode::F(5)));
    wait(&mut app);
    snap("error", &mut app);
    app.handle_key(key(KeyCode::F(2)));
    snap("error_whole", &mut app);
}

#[test]
fn tabs_and_a_zoomed_pane() {
    let mut app = typed_app();
    app.handle_key(alt('n'));
    type_text(&mut app, "DeviceInfo | take 3");
    snap("tabs", &mut app);
    app.handle_key(alt(','));
    app.handle_key(KeyEvent::new(KeyCode::Char('3'), KeyModifiers::ALT));
    app.handle_key(key(KeyCode::F(11)));
    snap("zoomed_grid", &mut app);
}

#[test]
fn the_save_and_open_popups() {
    let mut app = test_app();
    app.handle_key(ctrl('s'));
    snap("save_as", &mut app);
    app.handle_key(key(KeyCode::Esc));
    app.handle_key(ctrl('o'));
    snap("fuzzy_open", &mut app);
}
