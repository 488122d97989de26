//! Popups over the screen: the column chooser, the time window picker and the whole text of a
//! long error. Each fits 80×24 and scrolls when its list is longer than the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use std::sync::Arc;

use super::app::App;
use super::ui::{pad, wrap_words};
use crate::results::frequency::Frequencies;
use crate::results::safe::{display_width, fit, sanitize};
use crate::worker::QueryId;

/// The time windows the picker offers, as Graph's `timespan` (ISO 8601) and as the status line
/// says them; the last entry opens a prompt for any duration or interval.
pub const WINDOWS: &[(&str, &str)] = &[
    ("PT1H", "last 1h"),
    ("P1D", "last 24h"),
    ("P7D", "last 7d"),
    ("P30D", "last 30d"),
    ("", "custom…"),
];

/// An open popup and where its cursor is.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    /// Choose the grid's visible columns (Space shows/hides, `a` shows all).
    Columns { selected: usize },
    /// Pick the time window queries run over.
    Window { selected: usize },
    /// Pick the backend queries run on.
    Backend { selected: usize },
    /// The whole text of the last error (or, without one, of the status message), wrapped and
    /// scrollable.
    Message { scroll: usize },
    /// Value frequencies of one column (computed by the worker; `data` is `None` until then).
    Frequencies {
        column: usize,
        pending: Option<QueryId>,
        data: Option<Arc<Frequencies>>,
        selected: usize,
    },
}

/// A centred rectangle of at most `width` × `height` inside `area`.
pub fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// The first line to show so that line `selected` is visible in `height` lines.
pub fn scroll_to(selected: usize, top: usize, height: usize) -> usize {
    if selected < top {
        selected
    } else if height > 0 && selected >= top + height {
        selected + 1 - height
    } else {
        top
    }
}

/// Clears `area` and draws a popup's border and title there; returns the inside.
pub(crate) fn frame_popup(frame: &mut Frame, app: &App, area: Rect, title: String) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, app.theme.ui("focus")))
        .border_style(app.theme.ui("focus"));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

pub fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let Some(popup) = app.popup.clone() else {
        return;
    };
    match popup {
        Popup::Columns { selected } => draw_columns(frame, app, area, selected),
        Popup::Window { selected } => draw_windows(frame, app, area, selected),
        Popup::Backend { selected } => draw_backends(frame, app, area, selected),
        Popup::Message { scroll } => draw_message(frame, app, area, scroll),
        Popup::Frequencies {
            column,
            data,
            selected,
            ..
        } => draw_frequencies(frame, app, area, column, data.as_deref(), selected),
    }
}

fn draw_columns(frame: &mut Frame, app: &App, area: Rect, selected: usize) {
    let Some(result) = app.grid.result.clone() else {
        return;
    };
    let count = result.column_count();
    let rect = centred(area, 60, count as u16 + 2);
    let inner = frame_popup(
        frame,
        app,
        rect,
        " Columns · Space show/hide · a all · Esc ".into(),
    );
    let height = inner.height as usize;
    let top = scroll_to(selected, 0, height);
    let lines: Vec<Line> = (top..count.min(top + height))
        .map(|column| {
            let shown = !app.grid.hidden.get(column).copied().unwrap_or(false);
            let text = format!(
                "[{}] {}  {}",
                if shown { "x" } else { " " },
                sanitize(&result.column_name(column)).text,
                result.column_type(column).kql_name()
            );
            let text = pad(&fit(&text, inner.width as usize), inner.width as usize);
            let style = if column == selected {
                app.theme.selected()
            } else {
                ratatui::style::Style::default()
            };
            Line::from(Span::styled(text, style))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A list of choices with the current one marked `•` and the selected one highlighted.
fn draw_choices(
    frame: &mut Frame,
    app: &App,
    area: Rect,
    title: &str,
    choices: &[(String, bool)],
    selected: usize,
) {
    let widest = choices
        .iter()
        .map(|(label, _)| display_width(&sanitize(label).text))
        .max()
        .unwrap_or(0);
    let rect = centred(area, (widest + 4).max(40) as u16, choices.len() as u16 + 2);
    let inner = frame_popup(frame, app, rect, title.to_string());
    let width = inner.width as usize;
    let lines: Vec<Line> = choices
        .iter()
        .enumerate()
        .map(|(index, (label, current))| {
            let text = format!(
                "{} {}",
                if *current { "•" } else { " " },
                sanitize(label).text
            );
            let style = if index == selected {
                app.theme.selected()
            } else {
                ratatui::style::Style::default()
            };
            Line::from(Span::styled(pad(&fit(&text, width), width), style))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_windows(frame: &mut Frame, app: &App, area: Rect, selected: usize) {
    let choices: Vec<(String, bool)> = WINDOWS
        .iter()
        .map(|(timespan, label)| {
            let preset = WINDOWS
                .iter()
                .any(|(t, _)| Some(*t) == app.timespan.as_deref());
            let current = match app.timespan.as_deref() {
                None => *timespan == "P30D",
                // A custom window marks "custom…" and says what it is.
                Some(_) if timespan.is_empty() && !preset => {
                    return (format!("custom: {}", app.window), true);
                }
                Some(chosen) => chosen == *timespan,
            };
            (label.to_string(), current)
        })
        .collect();
    draw_choices(frame, app, area, " Time window ", &choices, selected);
}

fn draw_backends(frame: &mut Frame, app: &App, area: Rect, selected: usize) {
    let choices: Vec<(String, bool)> = app
        .backends
        .iter()
        .map(|option| {
            let current = app.backend == option.label
                || app.backend.split(' ').next() == option.label.split(' ').next();
            (option.label.clone(), current)
        })
        .collect();
    draw_choices(
        frame,
        app,
        area,
        " Backend · Enter switches ",
        &choices,
        selected,
    );
}

/// The whole error, each line made safe and wrapped; returns nothing to draw without an error.
fn draw_message(frame: &mut Frame, app: &mut App, area: Rect, scroll: usize) {
    // The last error, or else the status line's message (cut there at a narrow width).
    let (text, title) = match (&app.error, &app.message) {
        (Some(mark), _) => (mark.message.clone(), " Error · ↑/↓ scroll · Esc closes "),
        (None, Some((message, _))) => (message.clone(), " Message · ↑/↓ scroll · Esc closes "),
        (None, None) => {
            app.popup = None;
            return;
        }
    };
    let rect = centred(area, area.width.saturating_sub(4).max(20), area.height);
    let inner = frame_popup(frame, app, rect, title.into());
    let lines: Vec<String> = text
        .lines()
        .flat_map(|line| wrap_words(&sanitize(line).text, inner.width as usize))
        .collect();
    let height = inner.height as usize;
    let top = scroll.min(lines.len().saturating_sub(height));
    if let Some(Popup::Message { scroll }) = &mut app.popup {
        *scroll = top;
    }
    let shown: Vec<Line> = lines
        .into_iter()
        .skip(top)
        .take(height)
        .map(|text| {
            Line::from(Span::styled(
                text,
                app.theme.ui("error").add_modifier(Modifier::BOLD),
            ))
        })
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

/// The value frequencies of a column: value, count, share and a bar, most frequent first.
fn draw_frequencies(
    frame: &mut Frame,
    app: &App,
    area: Rect,
    column: usize,
    data: Option<&Frequencies>,
    selected: usize,
) {
    let Some(result) = app.grid.result.clone() else {
        return;
    };
    if column >= result.column_count() {
        return;
    }
    let name = sanitize(&result.column_name(column)).text;
    let rows = data.map_or(1, |d| d.values.len().max(1));
    let rect = centred(area, 76, rows as u16 + 3);
    let title = match data {
        Some(d) => format!(
            " {} · {} distinct · Enter/= keep · ! drop · Esc ",
            fit(&name, 24),
            super::grid::group_digits(d.values.len())
        ),
        None => format!(" {} · counting… ", fit(&name, 40)),
    };
    let inner = frame_popup(frame, app, rect, title);
    let Some(data) = data else {
        return;
    };
    let width = inner.width as usize;
    let count_width = super::grid::group_digits(data.values.first().map_or(0, |v| v.1) as usize)
        .len()
        .max(5);
    // value │ count │ share │ bar
    let bar_width = 10.min(width / 6);
    let value_width = width.saturating_sub(count_width + 8 + bar_width + 3).max(4);
    let header = format!(
        "{} {:>count_width$} {:>7} ",
        pad("value", value_width),
        "count",
        "share"
    );
    let mut lines = vec![Line::from(Span::styled(
        fit(&header, width),
        app.theme.ui("header").add_modifier(Modifier::BOLD),
    ))];
    let height = (inner.height as usize).saturating_sub(1);
    let top = scroll_to(selected, 0, height);
    let total = data.total.max(1) as f64;
    for (index, (value, count)) in data.values.iter().enumerate().skip(top).take(height) {
        let (shown, style) = match value {
            None => ("(null)".to_string(), app.theme.ui("status")),
            Some(text) => {
                let safe = sanitize(text);
                let style = if safe.suspicious {
                    app.theme.ui("suspicious").add_modifier(Modifier::BOLD)
                } else {
                    ratatui::style::Style::default()
                };
                (
                    if safe.suspicious {
                        format!("⚠ {}", safe.text)
                    } else {
                        safe.text
                    },
                    style,
                )
            }
        };
        let share = *count as f64 / total;
        let filled = (share * bar_width as f64).round() as usize;
        let bar = format!(
            "{}{}",
            "█".repeat(filled),
            " ".repeat(bar_width - filled.min(bar_width))
        );
        let text = format!(
            "{} {:>count_width$} {:>6.2}% {bar}",
            pad(&fit(&shown, value_width), value_width),
            super::grid::group_digits(*count as usize),
            share * 100.0
        );
        let style = if index == selected {
            app.theme.selected()
        } else {
            style
        };
        let text = fit(&text, width);
        let padding = width.saturating_sub(display_width(&text));
        lines.push(Line::from(Span::styled(
            format!("{text}{}", " ".repeat(padding)),
            style,
        )));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The completion list under the editor's cursor (above it when there is no room below): each
/// candidate with its kind and, for a column, its type and table.
/// The signature or description box, above the cursor's line when there is room (the
/// completion list opens below it), else below.
pub fn draw_hint(frame: &mut Frame, app: &App, area: Rect) {
    let (Some(hint), Some(cursor)) = (&app.hint, app.cursor_at) else {
        return;
    };
    let lines: Vec<&str> = hint.text.lines().take(12).collect();
    let width = lines
        .iter()
        .map(|l| display_width(&sanitize(l).text))
        .max()
        .unwrap_or(1)
        .saturating_add(2)
        .clamp(10, area.width.max(10) as usize) as u16;
    let height = lines.len() as u16 + 2;
    let y = if cursor.y >= area.y + height {
        cursor.y - height
    } else {
        cursor.y + 1
    };
    let x = cursor.x.min((area.x + area.width).saturating_sub(width));
    let rect = Rect {
        x,
        y,
        width: width.min(area.width),
        height: height.min((area.y + area.height).saturating_sub(y)),
    };
    let title = if hint.signature {
        " signature · Esc "
    } else {
        " F3 · Esc "
    };
    let inner = frame_popup(frame, app, rect, title.into());
    let room = inner.width as usize;
    let shown: Vec<Line> = lines
        .iter()
        .enumerate()
        .map(|(index, line)| match (&hint.active, index) {
            (Some(range), 0) if line.get(range.clone()).is_some() => {
                let bold = app.theme.selected().add_modifier(Modifier::BOLD);
                Line::from(vec![
                    Span::raw(fit(&sanitize(&line[..range.start]).text, room)),
                    Span::styled(sanitize(&line[range.clone()]).text, bold),
                    Span::raw(sanitize(&line[range.end..]).text),
                ])
            }
            _ => Line::from(fit(&sanitize(line).text, room)),
        })
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

pub fn draw_completion(frame: &mut Frame, app: &App, area: Rect) {
    let (Some(completion), Some(cursor)) = (&app.completion, app.cursor_at) else {
        return;
    };
    let shown = completion.items.len().min(8);
    // The last line inside the box tells the selected column's type and table.
    let height = shown as u16 + 3;
    let width = completion
        .items
        .iter()
        .map(|c| display_width(&sanitize(&c.text).text) + c.kind.label().len() + 3)
        .max()
        .unwrap_or(20)
        .clamp(20, 60) as u16;
    let below = cursor.y + 1;
    let y = if below + height <= area.y + area.height {
        below
    } else {
        cursor.y.saturating_sub(height)
    };
    let x = cursor.x.min((area.x + area.width).saturating_sub(width));
    let rect = Rect {
        x,
        y,
        width: width.min(area.width),
        height: height.min(area.height),
    };
    // A list that opened by itself takes Tab only (Enter ends the line) until it is used.
    let keys = if completion.auto { "Tab" } else { "Enter/Tab" };
    let title = format!(
        " {}/{} · {keys} · Esc ",
        completion.selected + 1,
        completion.items.len()
    );
    let boxed = frame_popup(frame, app, rect, title);
    let inner = Rect {
        height: boxed.height.saturating_sub(1),
        ..boxed
    };
    let top = scroll_to(completion.selected, 0, inner.height as usize);
    let lines: Vec<Line> = completion
        .items
        .iter()
        .enumerate()
        .skip(top)
        .take(inner.height as usize)
        .map(|(index, item)| {
            let room = (inner.width as usize).saturating_sub(item.kind.label().len() + 1);
            let name = pad(&fit(&sanitize(&item.text).text, room), room);
            let style = if index == completion.selected {
                app.theme.selected()
            } else {
                ratatui::style::Style::default()
            };
            Line::from(vec![
                Span::styled(name, style),
                Span::styled(format!(" {}", item.kind.label()), app.theme.ui("status")),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    // The selected candidate's detail (a column's type and table) on the box's last line.
    if let Some(item) = completion.items.get(completion.selected)
        && boxed.height > 1
    {
        let detail = Rect {
            y: boxed.y + boxed.height - 1,
            height: 1,
            ..boxed
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                fit(&sanitize(&item.detail).text, detail.width as usize),
                app.theme.ui("status"),
            )),
            detail,
        );
    }
}
