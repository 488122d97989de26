//! Drawing: sidebar, editor, grid, status line and the help overlay. Only the grid rows on screen
//! are formatted, and every piece of text from a result goes through `results::safe` first.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Position, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use unicode_width::UnicodeWidthChar;

use super::app::{App, BackendState, ErrorMark, Focus, InspectorCache, PaneAreas, Tone};
use super::highlight::LINES_PER_FRAME;
use super::prompt::PromptKind;
use super::sidebar::{draw_popup, draw_sidebar};
use crate::results::KqlType;
use crate::results::format::format_real;
use crate::results::safe::{display_width, fit, sanitize};

const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

pub fn draw(frame: &mut Frame, app: &mut App) {
    let area = frame.area();
    let [main, status] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    app.areas = PaneAreas::default();
    match app.layout.zoomed {
        Some(Focus::Sidebar) => app.areas.sidebar = main,
        Some(Focus::Editor) => app.areas.editor = main,
        Some(Focus::Grid) => app.areas.grid = main,
        None => {
            let sidebar_width = match app.layout.sidebar {
                Some(width) => width.min(main.width.saturating_sub(20)),
                None if main.width >= 100 => 30,
                None => (main.width / 4).max(16),
            };
            let [sidebar, right] =
                Layout::horizontal([Constraint::Length(sidebar_width), Constraint::Min(20)])
                    .areas(main);
            let editor_height =
                ((right.height as u32 * app.layout.editor_percent as u32 / 100) as u16).max(5);
            let [editor, grid] = Layout::default()
                .direction(Direction::Vertical)
                .constraints([Constraint::Length(editor_height), Constraint::Min(3)])
                .areas(right);
            app.areas = PaneAreas {
                sidebar,
                editor,
                grid,
            };
        }
    }
    let areas = app.areas;
    if !areas.sidebar.is_empty() {
        draw_sidebar(frame, app, areas.sidebar);
    }
    if !areas.editor.is_empty() {
        draw_editor(frame, app, areas.editor);
    }
    if !areas.grid.is_empty() {
        super::grid::draw_grid(frame, app, areas.grid);
    }
    draw_status(frame, app, status);
    if app.inspector.is_some() {
        draw_inspector(frame, app, area);
    }
    if app.focus == Focus::Editor {
        super::popup::draw_hint(frame, app, area);
        super::popup::draw_completion(frame, app, area);
    }
    super::popup::draw(frame, app, area);
    draw_popup(frame, app, area);
    if app.help {
        draw_help(frame, app, area);
    }
}

/// The most lines an error under the editor takes.
pub const ERROR_LINES: usize = 4;

/// An error message as the lines under the editor show it: each of its own lines made safe
/// (hostile text from a service is shown, never obeyed), wrapped to `width`, at most
/// `ERROR_LINES` (and `room`) lines; a cut last line ends with `…`.
fn error_lines(message: &str, width: usize, room: usize) -> Vec<String> {
    let limit = ERROR_LINES.min(room).max(1);
    let mut lines: Vec<String> = message
        .lines()
        .flat_map(|line| wrap_words(&sanitize(line).text, width))
        .collect();
    if lines.len() > limit {
        lines.truncate(limit);
        if let Some(last) = lines.last_mut() {
            // The rest is one key away. The hint goes at the end of the last line, which is
            // cut to make room for it.
            const MORE: &str = "… F2 shows all";
            let room = width.saturating_sub(display_width(MORE));
            let kept: String = fit(last, room).trim_end_matches('…').to_string();
            *last = fit(&format!("{kept}{MORE}"), width);
        }
    }
    lines
}

/// Wraps prose into lines of at most `width` display columns, breaking after a space where
/// there is one in the line (a word longer than the line is cut where it must be).
pub(crate) fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut rest = text;
    while display_width(rest) > width {
        // The longest prefix that fits, then back to its last space.
        let mut end = 0;
        let mut used = 0;
        for (at, ch) in rest.char_indices() {
            let w = ch.width().unwrap_or(0);
            if used + w > width {
                break;
            }
            used += w;
            end = at + ch.len_utf8();
        }
        let cut = match rest[..end].rfind(' ') {
            Some(space) if space > 0 => space + 1,
            _ => end.max(rest.chars().next().map_or(1, char::len_utf8)),
        };
        lines.push(rest[..cut].trim_end().to_string());
        // The space a line breaks at is not carried to the next one.
        rest = rest[cut..].trim_start_matches(' ');
    }
    lines.push(rest.to_string());
    lines
}

/// Cuts text into pieces of at most `width` display columns (never splitting a character).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut used = 0;
    for ch in text.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > width.max(1) && used > 0 {
            lines.push(String::new());
            used = 0;
        }
        lines.last_mut().expect("starts with one line").push(ch);
        used += w;
    }
    lines
}

/// The lines the inspector shows for one record: each column's name and type, then its value
/// (dynamic values as indented JSON), wrapped; suspicious values also in escaped form.
pub fn inspector_lines(app: &App, position: usize, width: usize) -> Vec<Line<'static>> {
    let Some(result) = app.grid.result.as_ref() else {
        return Vec::new();
    };
    let row = app.grid.source_row(position);
    let name_style = app.theme.ui("header").add_modifier(Modifier::BOLD);
    let mut lines = Vec::new();
    for column in 0..result.column_count() {
        let kql_type = result.column_type(column);
        lines.push(Line::from(vec![
            Span::styled(sanitize(&result.column_name(column)).text, name_style),
            Span::styled(format!("  {}", kql_type.kql_name()), app.theme.ui("status")),
        ]));
        let raw = result.cell_text(row, column);
        let text = match (&raw, kql_type) {
            (None, _) => None,
            (Some(text), KqlType::Dynamic) => Some(
                serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .filter(|v| v.is_object() || v.is_array())
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or_else(|| text.clone()),
            ),
            (Some(text), _) => Some(text.clone()),
        };
        match text {
            None => lines.push(Line::from(Span::styled("  (null)", app.theme.ui("status")))),
            Some(text) => {
                let mut suspicious = false;
                for source_line in text.split('\n') {
                    let safe = sanitize(source_line);
                    suspicious |= safe.suspicious;
                    for piece in wrap(&safe.text, width.saturating_sub(2)) {
                        lines.push(Line::from(format!("  {piece}")));
                    }
                }
                if suspicious {
                    let escaped = sanitize(&text.escape_debug().to_string()).text;
                    lines.push(Line::from(Span::styled(
                        "  ⚠ hidden or direction-changing characters; escaped:",
                        app.theme.ui("suspicious"),
                    )));
                    for piece in wrap(&escaped, width.saturating_sub(4)) {
                        lines.push(Line::from(Span::styled(
                            format!("    {piece}"),
                            app.theme.ui("suspicious"),
                        )));
                    }
                }
            }
        }
    }
    lines
}

fn draw_inspector(frame: &mut Frame, app: &mut App, area: Rect) {
    let Some(inspector) = app.inspector else {
        return;
    };
    let popup = Rect {
        x: area.x + 2.min(area.width / 10),
        y: area.y + 1.min(area.height / 10),
        width: area.width.saturating_sub(2 * 2.min(area.width / 10)),
        height: area.height.saturating_sub(2 * 1.min(area.height / 10)),
    };
    let title = format!(
        " Record {}/{} · ←/→ other records · Esc closes ",
        inspector.position + 1,
        app.grid.rows()
    );
    let inner = super::popup::frame_popup(frame, app, popup, title);
    let width = inner.width as usize;
    let Some(result) = app.grid.result.clone() else {
        return;
    };
    let generation = app.grid.generation;
    let cached = app.inspector_cache.as_ref().is_some_and(|c| {
        Arc::ptr_eq(&c.result, &result)
            && c.position == inspector.position
            && c.generation == generation
            && c.width == width
    });
    if !cached {
        app.inspector_cache = Some(InspectorCache {
            lines: inspector_lines(app, inspector.position, width),
            result,
            position: inspector.position,
            generation,
            width,
        });
    }
    let lines = app
        .inspector_cache
        .as_ref()
        .map_or(&[][..], |c| c.lines.as_slice());
    let last_top = lines.len().saturating_sub(inner.height as usize);
    let top = inspector.scroll.min(last_top);
    if let Some(open) = &mut app.inspector {
        open.scroll = top;
    }
    let visible: Vec<Line> = lines
        .iter()
        .skip(top)
        .take(inner.height as usize)
        .cloned()
        .collect();
    frame.render_widget(Paragraph::new(visible), inner);
}

pub(crate) fn pane(app: &App, title: String, focused: bool) -> Block<'static> {
    let border = if focused {
        app.theme.ui("focus").add_modifier(Modifier::BOLD)
    } else {
        app.theme.ui("border")
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(title, border))
}

/// Editor text is the user's own, but pasted text can carry control, direction-changing and
/// invisible characters: show them (as the grid does), never pass them to the terminal.
fn visible_char(ch: char) -> String {
    if ch.is_ascii_graphic() || ch == ' ' {
        return ch.to_string();
    }
    sanitize(&ch.to_string()).text
}

/// A combining mark or variation selector drawn on the character before it (`e` + U+0301 is
/// one cell, `é`), rather than on a dotted circle of its own. Invisible and direction-changing
/// characters never join: they are shown as markers.
pub(crate) fn joins_previous(ch: char) -> bool {
    !ch.is_ascii()
        && ch.width() == Some(0)
        && !ch.is_control()
        && !crate::results::safe::is_deceptive(ch)
}

/// The cells a character of the editor's text takes on screen: its visible form's width, and
/// none for a mark that joins the character before it (`first`: nothing before it on screen).
pub(crate) fn editor_char_width(ch: char, first: bool) -> usize {
    if !first && joins_previous(ch) {
        0
    } else {
        display_width(&visible_char(ch))
    }
}

/// The tabs as the editor's title shows them: `1 DeviceProcessEvents  [2 DeviceInfo]▶ `, the
/// active one in brackets, a running one marked `▶`; labels shorten to fit `width` cells.
fn tab_strip(app: &App, width: usize) -> String {
    let labels = app.tab_labels();
    let each = (width / labels.len().max(1)).saturating_sub(5).clamp(4, 24);
    let mut strip = String::new();
    for (index, (label, active, running)) in labels.iter().enumerate() {
        let label = fit(&sanitize(label).text, each);
        let mark = if *running { "▶" } else { "" };
        if *active {
            strip.push_str(&format!("[{} {label}]{mark} ", index + 1));
        } else {
            strip.push_str(&format!("{} {label}{mark} ", index + 1));
        }
    }
    fit(&strip, width)
}

fn draw_editor(frame: &mut Frame, app: &mut App, area: Rect) {
    let focused = app.focus == Focus::Editor;
    let title = match &app.file {
        _ if app.tab_count() > 1 => format!(
            " {}· {} ",
            tab_strip(app, (area.width as usize).saturating_sub(16)),
            sanitize(&app.backend).text
        ),
        Some(file) => format!(
            " {} · {} ",
            sanitize(&file.path.display().to_string()).text,
            sanitize(&app.backend).text
        ),
        None => format!(" Query · {} ", sanitize(&app.backend).text),
    };
    let block = pane(app, title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The error wraps onto as many lines as it needs, up to ERROR_LINES and never more than
    // half the pane: Defender's messages and request ids are long, and all of them matter.
    // Without a run's error, the live diagnostic of the cursor's line (or the block's first)
    // takes one line under the text.
    let cursor_row = app.editor.cursor().0;
    let live_note = match &app.error {
        Some(_) => None,
        None => app
            .live
            .iter()
            .find(|m| m.row == cursor_row)
            .or(app.live.first()),
    };
    let error_lines = match (&app.error, live_note) {
        (Some(mark), _) => error_lines(
            &mark.message,
            inner.width as usize,
            (inner.height / 2).max(1) as usize,
        ),
        (None, Some(mark)) => error_lines(&mark.message, inner.width as usize, 1),
        (None, None) => Vec::new(),
    };
    let note_style = match live_note {
        Some(mark) if mark.warning => app.theme.ui("warning"),
        _ => app.theme.ui("error"),
    };
    let error_height = (error_lines.len() as u16).min(inner.height.saturating_sub(1));
    let [text_area, error_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(error_height)]).areas(inner);
    let (height, width) = (text_area.height as usize, text_area.width as usize);
    let (cursor_row, cursor_col) = (app.editor.cursor().0, app.editor.cursor().1);
    // Keep the cursor on screen.
    if cursor_row < app.editor_top {
        app.editor_top = cursor_row;
    } else if height > 0 && cursor_row >= app.editor_top + height {
        app.editor_top = cursor_row + 1 - height;
    }
    if width > 1 && cursor_col + 1 < width {
        // Lines are read from their start whenever the cursor allows it (a short line after
        // a long one, or a wider window, must not stay scrolled sideways).
        app.editor_left = 0;
    } else if cursor_col < app.editor_left {
        app.editor_left = cursor_col;
    } else if width > 1 && cursor_col >= app.editor_left + width - 1 {
        app.editor_left = cursor_col + 2 - width;
    }
    let (top, left) = (app.editor_top, app.editor_left);
    let selection = app.editor.selection_range();
    // The run's error, else what the live check found, underlined.
    let marks: Vec<ErrorMark> = match &app.error {
        Some(mark) => vec![mark.clone()],
        None => app
            .live
            .iter()
            .filter(|m| m.row >= top && m.row < top + height)
            .cloned()
            .collect(),
    };
    let theme = app.theme.clone();
    let mark_style = |mark: &ErrorMark| {
        theme
            .ui(if mark.warning { "warning" } else { "error" })
            .add_modifier(Modifier::UNDERLINED)
    };
    let visible = app
        .highlighter
        .visible(app.editor.lines(), top..top + height, LINES_PER_FRAME);
    let mut lines = Vec::with_capacity(height);
    for (row, pieces) in visible.iter().enumerate().map(|(i, p)| (top + i, p)) {
        let mut spans = Vec::new();
        let mut col = 0usize;
        let mut used = 0usize;
        'pieces: for piece in pieces {
            let base = theme.syntax(piece.role);
            for ch in piece.text.chars() {
                let this = col;
                col += 1;
                if this < left {
                    continue;
                }
                // A combining mark goes into the cell of the character it marks (ratatui draws
                // nothing for a zero-width piece on its own).
                if joins_previous(ch)
                    && let Some(last) = spans.last_mut()
                {
                    let last: &mut Span = last;
                    last.content.to_mut().push(ch);
                    continue;
                }
                let shown = visible_char(ch);
                let w = display_width(&shown);
                if used + w > width {
                    break 'pieces;
                }
                used += w;
                let mut style = base;
                if let Some(((r1, c1), (r2, c2))) = selection
                    && (row, this) >= (r1, c1)
                    && (row, this) < (r2, c2)
                {
                    style = theme.selected();
                }
                if let Some(mark) = marks
                    .iter()
                    .find(|m| m.row == row && this >= m.col_start && this < m.col_end)
                {
                    style = style.patch(mark_style(mark));
                }
                spans.push(Span::styled(shown, style));
            }
        }
        // An error at the end of a line (a missing token) still gets a visible mark.
        if let Some(mark) = marks.iter().find(|m| m.row == row && m.col_start >= col)
            && used < width
        {
            spans.push(Span::styled("␣", mark_style(mark)));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), text_area);
    if !error_lines.is_empty() {
        let lines: Vec<Line> = error_lines
            .into_iter()
            .map(|text| Line::from(Span::styled(text, note_style)))
            .collect();
        frame.render_widget(Paragraph::new(lines), error_area);
    }
    if focused && !app.help {
        let line = app
            .editor
            .lines()
            .get(cursor_row)
            .map(String::as_str)
            .unwrap_or("");
        let before: usize = line
            .chars()
            .skip(left)
            .take(cursor_col.saturating_sub(left))
            .enumerate()
            .map(|(i, c)| editor_char_width(c, i == 0))
            .sum();
        let x = text_area.x + (before as u16).min(text_area.width.saturating_sub(1));
        let y = text_area.y + (cursor_row - top) as u16;
        frame.set_cursor_position(Position::new(x, y));
        app.cursor_at = Some(Position::new(x, y));
    }
}

pub(crate) fn pad(text: &str, width: usize) -> String {
    let w = display_width(text);
    if w >= width {
        text.to_string()
    } else {
        format!("{text}{}", " ".repeat(width - w))
    }
}

pub fn format_elapsed(elapsed: std::time::Duration) -> String {
    let ms = elapsed.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        format!("{} ms", ms.round() as u64)
    } else {
        format!("{} s", format_real((ms / 100.0).round() / 10.0))
    }
}

/// How long the service still wants us to wait after a 429, when it does.
fn throttled_for(app: &App) -> Option<std::time::Duration> {
    app.throttled_until
        .and_then(|until| until.checked_duration_since(std::time::Instant::now()))
        .filter(|left| !left.is_zero())
}

fn draw_status(frame: &mut Frame, app: &mut App, area: Rect) {
    // A prompt other than the grid's search is typed on the status line.
    if let Some(prompt) = app.prompt.as_ref().filter(|p| p.kind != PromptKind::Search) {
        let label = prompt.kind.label();
        // A hint is shown when the text leaves room for it, the long one first.
        let width = area.width as usize;
        let text_room = width.saturating_sub(display_width(label) + 1);
        let (mut text, mut cursor) = prompt.input.view(text_room);
        let mut hint = String::new();
        // A refusal is said where the user is looking, before any hint.
        // The text is on the line already: the reason is what follows its quoted copy.
        let refusal = prompt.error.as_ref().map(|e| {
            let reason = match e.strip_prefix('\'') {
                Some(rest) => rest.split_once("' ").map_or(e.as_str(), |(_, why)| why),
                None => e.as_str(),
            };
            sanitize(reason).text
        });
        let hint_style = if refusal.is_some() {
            app.theme.ui("error")
        } else {
            app.theme.ui("status")
        };
        let candidates: Vec<String> = match refusal {
            Some(error) => {
                // The room left after the text (and a gap of two).
                let room = text_room.saturating_sub(display_width(&text) + 3);
                vec![fit(&error, room.max(8))]
            }
            None => prompt.hints().into_iter().flatten().collect(),
        };
        for candidate in candidates {
            let room = text_room.saturating_sub(display_width(&candidate) + 2);
            if display_width(&text) <= room {
                (text, cursor) = prompt.input.view(room);
                hint = candidate;
                break;
            }
        }
        let gap = width
            .saturating_sub(display_width(label) + display_width(&text) + display_width(&hint));
        let line = Line::from(vec![
            Span::styled(label, app.theme.ui("header")),
            Span::raw(text),
            Span::raw(" ".repeat(gap)),
            Span::styled(hint, hint_style),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        let x = area.x
            + (display_width(label) + cursor).min(area.width.saturating_sub(1) as usize) as u16;
        frame.set_cursor_position(Position::new(x, area.y));
        return;
    }
    let hints = "F5 run  Esc cancel  Tab pane  F1 help  ^Q quit";
    let spinner =
        |since: std::time::Duration| SPINNER[(since.as_millis() / 100) as usize % SPINNER.len()];
    let starting = match &app.backend_state {
        BackendState::Starting(progress) => Some(sanitize(progress).text),
        _ => None,
    };
    let throttled = throttled_for(app);
    let state = match (&app.running, &app.message) {
        (Some(running), _) if running.cancelling => "cancelling…".to_string(),
        (Some(running), _) => {
            let elapsed = running.started.elapsed();
            match (&starting, &running.progress) {
                (Some(progress), _) => format!("{} waiting: {progress}", spinner(elapsed)),
                (None, Some(progress)) => {
                    format!("{} {}", spinner(elapsed), sanitize(progress).text)
                }
                (None, None) => {
                    format!("{} running {}", spinner(elapsed), format_elapsed(elapsed))
                }
            }
        }
        (None, _) if throttled.is_some() => format!(
            "throttled: retry in {} s",
            throttled.unwrap_or_default().as_secs_f64().ceil() as u64
        ),
        // A message of several lines shows its first; F2 shows them all.
        (None, Some((message, _))) => {
            let mut lines = message.lines();
            let first = sanitize(lines.next().unwrap_or("")).text;
            match lines.count() {
                0 => first,
                more => format!("{first} (+{more} more: F2)"),
            }
        }
        (None, None) if starting.is_some() => format!(
            "{} {}",
            spinner(app.opened.elapsed()),
            starting.unwrap_or_default()
        ),
        (None, None) => match &app.last_run {
            Some(facts) => format!(
                "{} row{} · {}{}{}",
                facts.row_count,
                if facts.row_count == 1 { "" } else { "s" },
                format_elapsed(facts.elapsed),
                if facts.truncated { " · truncated" } else { "" },
                match facts.warnings.first() {
                    Some(warning) => format!(" · warning: {}", sanitize(warning).text),
                    None => String::new(),
                }
            ),
            None => "ready".into(),
        },
    };
    let tone = match &app.message {
        Some((_, Tone::Error)) if app.running.is_none() => app.theme.ui("error"),
        _ => app.theme.ui("status"),
    };
    // A result computed over earlier results says so where the backend is named.
    let backend = match app.last_run.as_ref() {
        Some(facts) if app.running.is_none() => match &facts.ran_on {
            Some(on) => format!("{} · on {on}", facts.backend),
            None => app.backend.clone(),
        },
        _ => app.backend.clone(),
    };
    let right = format!(
        "{} · {} · {}",
        sanitize(&backend).text,
        sanitize(&app.window).text,
        state
    );
    let width = area.width as usize;
    let right = fit(&right, width);
    let room = width.saturating_sub(display_width(&right) + 1);
    let left = fit(hints, room);
    let gap = width.saturating_sub(display_width(&left) + display_width(&right));
    let line = Line::from(vec![
        Span::styled(left, app.theme.ui("status")),
        Span::raw(" ".repeat(gap)),
        Span::styled(right, tone),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// The help overlay: keys and what they do, short enough to fit 80 columns whole. It scrolls
/// (↑/↓, PgUp/PgDn) where the screen is shorter than the list.
pub const HELP: &[(&str, &str)] = &[
    ("F5, Ctrl+R, Ctrl+Enter", "run the query block or selection"),
    ("Esc, Ctrl+C", "cancel the running query"),
    ("Tab, Shift+Tab, Alt+1/2/3", "queries / editor / results"),
    ("F1, ? (outside the editor)", "this help"),
    ("F2", "the whole error, or status message"),
    ("F6, Ctrl+T", "time window (1h, 24h, 7d, 30d, custom)"),
    ("F7", "backend (the lab; Graph when signed in)"),
    ("Alt+Z, F11", "zoom the pane to the whole screen / back"),
    (
        "Alt+←/→, Alt+↑/↓",
        "narrow/widen the sidebar; resize the editor",
    ),
    ("Alt+N / Alt+W", "new tab / close it (text kept in Drafts)"),
    ("Alt+. / Alt+, Ctrl+PgDn/PgUp", "next / previous tab"),
    ("Ctrl+Q", "quit (every tab's text stays as its draft)"),
    ("Ctrl+S", "save: the file or query opened, else name it"),
    ("Ctrl+O", "fuzzy-open a saved query"),
    (
        "editor: Ctrl+Z / Ctrl+Y",
        "undo / redo (Ctrl+Shift+Z, Ctrl+U too)",
    ),
    ("editor: Ctrl+Space", "complete tables, columns, functions…"),
    (
        "editor: ( or , in a call",
        "the function's signature (Esc closes)",
    ),
    ("editor: F3", "describe the function or operator"),
    ("editor: Ctrl+A", "select all"),
    ("editor: Ctrl+Home / Ctrl+End", "start / end of the text"),
    ("editor: Ctrl+/", "comment / uncomment the lines"),
    ("editor: Ctrl+D", "duplicate the line"),
    ("editor: Alt+Shift+F", "format the query block"),
    ("results: arrows, hjkl", "move (the mouse: click, wheel)"),
    ("results: PgUp/PgDn, g/G", "page, first / last row"),
    ("results: Home/End", "first / last column"),
    ("results: s / S", "sort ascending / descending"),
    ("results: Enter", "inspect the record (←/→ next)"),
    (
        "results: / n N, Esc",
        "search all cells, next / previous, clear",
    ),
    ("results: = / !", "add | where Col == / != the cell's value"),
    ("results: f", "value frequencies (Enter filters on one)"),
    (
        "results: c / w W / p",
        "columns shown / wider, narrower / pin first",
    ),
    ("results: y / Y", "copy the cell / the row as JSON (OSC 52)"),
    ("results: e", "export all rows (.csv .json .jsonl .parquet)"),
    ("results: v", "chart / table (a query ending in render)"),
    ("queries: Enter / r", "load / load and run (history too)"),
    ("queries: ←/→", "close / open a folder"),
    ("queries: /", "filter (Enter keeps it, Esc clears)"),
    ("queries: n / R / d", "new / rename / delete (asks first)"),
];

fn draw_help(frame: &mut Frame, app: &mut App, area: Rect) {
    // The config file's bindings first, then the defaults (which keep working).
    let mut entries: Vec<(String, String)> = app
        .keymap
        .help_lines()
        .into_iter()
        .map(|(keys, what)| (sanitize(&keys).text, format!("{what} (your binding)")))
        .collect();
    entries.extend(HELP.iter().map(|(k, w)| (k.to_string(), w.to_string())));
    let width = area.width.saturating_sub(4).min(96);
    // The status line stays visible below it.
    let height = (entries.len() as u16 + 2).min(area.height.saturating_sub(1));
    let popup = super::popup::centred(area, width, height);
    let scrolls = entries.len() + 2 > height as usize;
    let title = if scrolls {
        " Keys · ↑/↓ PgUp/PgDn scroll · any other key closes "
    } else {
        " Keys · any key closes "
    };
    let inner = super::popup::frame_popup(frame, app, popup, title.to_string());
    let height = inner.height as usize;
    let top = app.help_scroll.min(entries.len().saturating_sub(height));
    app.help_scroll = top;
    let key_width = entries
        .iter()
        .map(|(k, _)| display_width(k))
        .max()
        .unwrap_or(0)
        + 2;
    let mut lines: Vec<Line> = entries
        .iter()
        .skip(top)
        .take(height)
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(pad(keys, key_width), app.theme.ui("header")),
                Span::raw(fit(what, (inner.width as usize).saturating_sub(key_width))),
            ])
        })
        .collect();
    // More below: the last line says so (and the list scrolls one further to show it).
    if top + height < entries.len()
        && let Some(last) = lines.last_mut()
    {
        *last = Line::from(Span::styled(
            format!("↓ {} more: ↓ / PgDn", entries.len() - top - height + 1),
            app.theme.ui("status"),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_wraps_at_spaces() {
        assert_eq!(
            wrap_words("one two three four", 9),
            vec!["one two", "three", "four"]
        );
        assert_eq!(wrap_words("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap_words("", 4), vec![""]);
        assert_eq!(
            wrap_words("日本語 テキスト", 6),
            vec!["日本語", "テキス", "ト"]
        );
    }

    #[test]
    fn a_cut_error_says_f2_shows_all() {
        let lines = error_lines(&"word ".repeat(100), 40, 10);
        assert_eq!(lines.len(), ERROR_LINES);
        assert!(
            lines[ERROR_LINES - 1].ends_with("… F2 shows all"),
            "{lines:?}"
        );
        assert!(lines.iter().all(|l| display_width(l) <= 40));
    }
}
