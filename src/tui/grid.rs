//! The results grid: its state (result, client-side row order, cursor, hidden columns, widths,
//! search) and its drawing. Only the rows on screen are formatted; every piece of text from the
//! result goes through `results::safe` first (UX.md, "Hostile text").

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Focus};
use super::ui::{format_elapsed, pad, pane};
use crate::results::format::cell_display;
use crate::results::safe::{display_width, fit, sanitize};
use crate::results::{KqlType, ResultSet};
use crate::worker::QueryId;

/// Columns are never squeezed below this by the layout (the user may narrow one with `W`).
const MIN_COLUMN_WIDTH: usize = 3;
/// While columns compete for room, none is cut below this (unless the pane is narrower).
const FAIR_COLUMN_WIDTH: usize = 40;
/// One `w` / `W` step, in terminal cells.
pub const WIDTH_STEP: usize = 8;

/// A search over every cell of the result: the text, and the matches the worker found.
#[derive(Debug, Clone)]
pub struct Search {
    pub needle: String,
    /// The worker is still searching (its job id).
    pub pending: Option<QueryId>,
    /// Every match as (grid position, column), row-major in grid order.
    pub matches: Arc<Vec<(u32, u16)>>,
    /// The match the cursor was last moved to.
    pub current: Option<usize>,
    /// Where a typed search lands from: (grid position, column) of the cursor when the prompt
    /// opened. `None` for a search found again after a sort.
    pub from: Option<(usize, usize)>,
}

/// The results grid: the result, the client-side sort as a row order, the cursor, the columns
/// shown and their widths, and the search.
#[derive(Default)]
pub struct Grid {
    pub result: Option<Arc<ResultSet>>,
    /// Row order after a client-side sort; `None` shows rows as the query returned them.
    pub order: Option<Arc<Vec<u32>>>,
    pub sort: Option<(usize, bool)>,
    /// A sort the worker is computing: its id, column and direction (shown as pending).
    pub sorting: Option<(QueryId, usize, bool)>,
    /// Counts changes of the row order, so caches keyed by grid position know they are stale.
    pub generation: u64,
    pub row: usize,
    pub column: usize,
    /// First visible row and the first scrolled column.
    pub top: usize,
    pub left: usize,
    /// Rows that fit on screen, learned when drawing.
    pub page: usize,
    /// Columns hidden with the column chooser.
    pub hidden: Vec<bool>,
    /// Widths set with `w` / `W` (cells); `None` sizes the column from its content.
    pub set_widths: Vec<Option<usize>>,
    /// The widest content seen in each column so far (cells). Columns only grow as rows scroll
    /// by, so they do not jump about.
    pub seen_widths: Vec<usize>,
    /// Keep the first shown column in place while scrolling right.
    pub pinned: bool,
    /// The rows belong to an earlier query: the last run failed, and they are kept, marked.
    pub stale: bool,
    /// The query (its first line) the result came from, for the title.
    pub source: String,
    pub search: Option<Search>,
    /// Where the last frame drew the body: its first line and each column's x and width, so a
    /// mouse click can be mapped to a cell.
    pub drawn: Drawn,
}

/// The grid as last drawn (screen positions), for the mouse.
#[derive(Debug, Clone, Default)]
pub struct Drawn {
    pub body: Rect,
    pub columns: Vec<(usize, u16, u16)>,
}

impl Grid {
    /// Shows a new result (from the query `source`), keeping nothing of the last one's state
    /// but the page height and whether the first column is pinned.
    pub fn set(&mut self, result: Arc<ResultSet>, source: String) {
        let columns = result.column_count();
        *self = Grid {
            result: Some(result),
            page: self.page,
            pinned: self.pinned,
            hidden: vec![false; columns],
            set_widths: vec![None; columns],
            seen_widths: vec![0; columns],
            source,
            ..Grid::default()
        };
    }

    pub fn rows(&self) -> usize {
        self.result.as_ref().map_or(0, |r| r.row_count())
    }

    pub fn columns(&self) -> usize {
        self.result.as_ref().map_or(0, |r| r.column_count())
    }

    /// The result row shown at a grid position.
    pub fn source_row(&self, position: usize) -> usize {
        match &self.order {
            Some(order) => order.get(position).map_or(position, |r| *r as usize),
            None => position,
        }
    }

    /// The grid position showing result row `row`.
    pub fn position_of(&self, row: usize) -> usize {
        match &self.order {
            Some(order) => order.iter().position(|r| *r as usize == row).unwrap_or(0),
            None => row,
        }
    }

    fn is_hidden(&self, column: usize) -> bool {
        self.hidden.get(column).copied().unwrap_or(false)
    }

    /// The columns shown, in order.
    pub fn shown_columns(&self) -> Vec<usize> {
        (0..self.columns())
            .filter(|c| !self.is_hidden(*c))
            .collect()
    }

    /// Shows a sort the worker finished, unless the result changed or another sort was asked
    /// for meanwhile.
    pub fn sorted(&mut self, id: QueryId, column: usize, descending: bool, order: Vec<u32>) {
        if self.sorting.map(|(pending, ..)| pending) != Some(id) {
            return;
        }
        self.sorting = None;
        self.order = Some(Arc::new(order));
        self.sort = Some((column, descending));
        self.generation += 1;
        self.row = 0;
        self.top = 0;
    }

    /// Moves the cursor `rows` down and `columns` right (negative: up, left), skipping hidden
    /// columns and stopping at the edges.
    pub fn move_by(&mut self, rows: isize, columns: isize) {
        let row_count = self.rows();
        if row_count > 0 {
            self.row = (self.row as isize + rows).clamp(0, row_count as isize - 1) as usize;
        }
        let shown = self.shown_columns();
        if shown.is_empty() {
            return;
        }
        let at = shown
            .iter()
            .position(|c| *c >= self.column)
            .unwrap_or(shown.len() - 1);
        let to = (at as isize + columns).clamp(0, shown.len() as isize - 1) as usize;
        self.column = shown[to];
    }

    /// The first / last shown column.
    pub fn column_edge(&mut self, last: bool) {
        let shown = self.shown_columns();
        let edge = if last { shown.last() } else { shown.first() };
        if let Some(column) = edge {
            self.column = *column;
        }
    }

    /// Puts the cursor on a shown column (after the chooser hid the one it was on).
    pub fn settle_cursor(&mut self) {
        self.move_by(0, 0);
    }

    /// Widens (`step` > 0) or narrows the cursor's column by `step` cells.
    pub fn resize_column(&mut self, step: isize) {
        let column = self.column;
        let Some(width) = self.set_widths.get(column).copied() else {
            return;
        };
        let current = width.unwrap_or_else(|| self.natural_width(column).min(FAIR_COLUMN_WIDTH));
        let next = (current as isize + step).max(MIN_COLUMN_WIDTH as isize) as usize;
        self.set_widths[column] = Some(next);
    }

    /// The width a column's content asks for: its header (with room for a sort arrow and the
    /// UTC mark) or the widest cell seen so far.
    fn natural_width(&self, column: usize) -> usize {
        let Some(result) = &self.result else {
            return MIN_COLUMN_WIDTH;
        };
        let header = display_width(&header_text(result, column, None));
        header
            .max(self.seen_widths.get(column).copied().unwrap_or(0))
            .max(MIN_COLUMN_WIDTH)
    }

    /// The match list's index of the first match after (`forward`) / before the cursor,
    /// wrapping around.
    fn next_match(&self, forward: bool) -> Option<usize> {
        let search = self.search.as_ref()?;
        let matches = &search.matches;
        if matches.is_empty() {
            return None;
        }
        let here = (self.row as u32, self.column as u16);
        let index = if forward {
            let after = matches.partition_point(|m| *m <= here);
            if after == matches.len() { 0 } else { after }
        } else {
            let before = matches.partition_point(|m| *m < here);
            if before == 0 {
                matches.len() - 1
            } else {
                before - 1
            }
        };
        Some(index)
    }

    /// Moves the cursor to the next (`forward`) or previous match; returns whether there was one.
    pub fn jump_to_match(&mut self, forward: bool) -> bool {
        match self.next_match(forward) {
            Some(index) => self.move_to_match(index),
            None => false,
        }
    }

    /// Moves the cursor to the first match at or after `from` (grid position, column), wrapping
    /// around; returns whether there was one. Typing a search moves from where it started, so
    /// each answer that comes back between keystrokes lands on the same first match.
    pub fn jump_to_match_from(&mut self, from: (usize, usize)) -> bool {
        let Some(search) = self.search.as_ref() else {
            return false;
        };
        if search.matches.is_empty() {
            return false;
        }
        let from = (
            u32::try_from(from.0).unwrap_or(u32::MAX),
            u16::try_from(from.1).unwrap_or(u16::MAX),
        );
        let at = search.matches.partition_point(|m| *m < from);
        let index = if at == search.matches.len() { 0 } else { at };
        self.move_to_match(index)
    }

    fn move_to_match(&mut self, index: usize) -> bool {
        let Some(search) = self.search.as_mut() else {
            return false;
        };
        let Some(&(row, column)) = search.matches.get(index) else {
            return false;
        };
        search.current = Some(index);
        self.row = row as usize;
        self.column = column as usize;
        if self.is_hidden(self.column) {
            self.hidden[self.column] = false;
        }
        true
    }

    /// Whether the cell at (grid position, column) matches the search; `Some(true)` for the
    /// current match.
    fn match_at(&self, position: usize, column: usize) -> Option<bool> {
        let search = self.search.as_ref()?;
        let key = (position as u32, column as u16);
        let index = search.matches.binary_search(&key).ok()?;
        Some(search.current == Some(index))
    }

    /// Lays the shown columns out from `left` in `room` cells: widths from content, and when
    /// they do not all fit, the widest are cut to a common level (never below
    /// `FAIR_COLUMN_WIDTH`) so that a long command line uses the room the pane has instead of
    /// a fixed cap. A pinned first column stays in front. Returns (column, width, whether the
    /// pane's edge cut it) in draw order.
    fn layout(&self, left: usize, room: usize) -> Vec<(usize, usize, bool)> {
        let shown = self.shown_columns();
        let mut order: Vec<usize> = Vec::new();
        if self.pinned
            && let Some(first) = shown.first()
            && *first < left
        {
            order.push(*first);
        }
        order.extend(shown.iter().copied().filter(|c| *c >= left));
        let set = |c: usize| self.set_widths.get(c).copied().flatten();
        let wants: Vec<usize> = order
            .iter()
            .map(|c| set(*c).unwrap_or_else(|| self.natural_width(*c)))
            .collect();
        // The level that makes the columns fill the room exactly; wider ones are cut to it.
        let total: usize = wants.iter().map(|w| w + 1).sum();
        let level = if total <= room + 1 {
            usize::MAX
        } else {
            water_level(&wants, room).max(FAIR_COLUMN_WIDTH)
        };
        let mut columns = Vec::new();
        let mut used = 0usize;
        for (column, want) in order.iter().zip(&wants) {
            if used >= room {
                break;
            }
            let width = if set(*column).is_some() {
                *want
            } else {
                (*want).min(level)
            };
            let shown = width.min(room - used);
            columns.push((*column, shown, shown < width));
            used += shown + 1;
        }
        columns
    }

    /// The first scrolled column that shows the cursor's column whole (or as much of it as
    /// the pane can), starting from the current one.
    fn scroll_for_cursor(&self, room: usize) -> usize {
        let mut left = self.left.min(self.column);
        while left < self.column {
            let whole = self
                .layout(left, room)
                .iter()
                .any(|(c, _, cut)| *c == self.column && !cut);
            if whole {
                break;
            }
            left += 1;
        }
        left
    }
}

/// The largest cap `c` with Σ min(wantᵢ, c) + separators ≤ `room`.
fn water_level(wants: &[usize], room: usize) -> usize {
    let mut sorted = wants.to_vec();
    sorted.sort_unstable();
    let separators = sorted.len();
    let mut budget = room.saturating_sub(separators.saturating_sub(1));
    let mut remaining = sorted.len();
    for want in &sorted {
        if want * remaining <= budget {
            budget -= want;
            remaining -= 1;
        } else {
            return budget / remaining.max(1);
        }
    }
    usize::MAX
}

/// A column's header: its name (made safe), ` (UTC)` for datetimes, and the sort arrow.
fn header_text(result: &ResultSet, column: usize, sort: Option<(usize, bool)>) -> String {
    let mut name = sanitize(&result.column_name(column)).text;
    if result.column_type(column) == KqlType::DateTime {
        name.push_str(" (UTC)");
    }
    match sort {
        Some((sorted, descending)) if sorted == column => {
            name.push_str(if descending { " ▼" } else { " ▲" })
        }
        // Room for an arrow, so sorting does not change the width.
        _ => name.push_str("  "),
    }
    name
}

/// Draws the results pane: title, header and the rows on screen.
pub fn draw_grid(frame: &mut Frame, app: &mut App, area: Rect) {
    let focused = app.focus == Focus::Grid;
    let Some(result) = app.grid.result.clone() else {
        let block = pane(app, " Results ".into(), focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(
            Paragraph::new(Span::styled(
                "F5 runs the query under the cursor",
                app.theme.ui("status"),
            )),
            inner,
        );
        return;
    };
    // A chart (`| render …`) replaces the rows while `show_chart` is on; `v` toggles.
    let chart = app
        .chart
        .as_ref()
        .filter(|_| app.show_chart)
        .map(|(_, c)| c);
    let title = match chart {
        Some(_) => format!(
            " Chart · v table{}",
            grid_title(app, &result).trim_start_matches(" Results")
        ),
        None => grid_title(app, &result),
    };
    let block = pane(app, title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    app.grid.drawn = Drawn::default();
    match (chart, result.render()) {
        (Some(Ok(chart)), Some(hint)) => {
            return super::chart::draw_chart(frame, inner, chart, hint, &app.theme);
        }
        (Some(Err(message)), _) => {
            return super::chart::draw_chart_error(frame, inner, message, &app.theme);
        }
        _ => {}
    }
    if inner.height < 2 || inner.width < 4 {
        return;
    }
    let search_line = app.grid.search.is_some() || app.prompt_is_search();
    let body_height = inner.height as usize - 1 - usize::from(search_line && inner.height > 3);
    let page = body_height.max(1);
    let grid = &mut app.grid;
    grid.page = page;
    if grid.row < grid.top {
        grid.top = grid.row;
    } else if grid.row >= grid.top + page {
        grid.top = grid.row + 1 - page;
    }
    let visible_rows: Vec<usize> = (grid.top..(grid.top + page).min(result.row_count())).collect();
    let sources: Vec<usize> = visible_rows.iter().map(|r| grid.source_row(*r)).collect();
    // Format only the cells on screen, once each.
    let cells: Vec<Vec<Option<(String, bool)>>> = vec![vec![None; result.column_count()]; page];
    let mut cells = cells;
    let mut cell = |position: usize, column: usize| -> (String, bool) {
        cells[position][column]
            .get_or_insert_with(|| {
                let safe = sanitize(&cell_display(
                    result.column(column).as_ref(),
                    sources[position],
                    result.column_type(column),
                ));
                let suspicious = safe.suspicious;
                (safe.flagged(), suspicious)
            })
            .clone()
    };
    for column in grid.shown_columns() {
        let widest = (0..sources.len())
            .map(|p| display_width(&cell(p, column).0))
            .max()
            .unwrap_or(0);
        if let Some(seen) = grid.seen_widths.get_mut(column) {
            *seen = (*seen).max(widest);
        }
    }
    let room = inner.width as usize;
    grid.left = grid.scroll_for_cursor(room);
    let columns: Vec<(usize, usize)> = grid
        .layout(grid.left, room)
        .into_iter()
        .map(|(c, w, _)| (c, w))
        .collect();
    let theme = &app.theme;
    let header_style = theme.ui("header").add_modifier(Modifier::BOLD);
    let mut header = Vec::new();
    for (column, width) in &columns {
        let name = header_text(&result, *column, grid.sort);
        header.push(Span::styled(pad(&fit(&name, *width), *width), header_style));
        header.push(Span::raw(" "));
    }
    let mut lines = vec![Line::from(header)];
    let stale = grid.stale;
    for (position, row) in visible_rows.iter().enumerate() {
        let mut spans = Vec::new();
        for (column, width) in &columns {
            let (text, suspicious) = cell(position, *column);
            let mut style = if suspicious {
                theme.ui("suspicious").add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            };
            if stale {
                style = style.add_modifier(Modifier::DIM);
            }
            match grid.match_at(*row, *column) {
                Some(true) => style = theme.search(true),
                Some(false) => style = theme.search(false),
                None => {}
            }
            if *row == grid.row {
                style = if *column == grid.column && focused {
                    theme.selected().add_modifier(Modifier::BOLD)
                } else {
                    style.add_modifier(Modifier::BOLD)
                };
            }
            spans.push(Span::styled(pad(&fit(&text, *width), *width), style));
            spans.push(Span::raw(" "));
        }
        lines.push(Line::from(spans));
    }
    if result.row_count() == 0 {
        lines.push(Line::from(Span::styled("no rows", theme.ui("status"))));
    }
    let body = Rect {
        height: (page as u16 + 1).min(inner.height),
        ..inner
    };
    let mut x = inner.x;
    grid.drawn = Drawn {
        body: Rect {
            y: inner.y + 1,
            height: body.height.saturating_sub(1),
            ..inner
        },
        columns: columns
            .iter()
            .map(|(c, w)| {
                let at = x;
                x = x.saturating_add(*w as u16 + 1);
                (*c, at, *w as u16)
            })
            .collect(),
    };
    frame.render_widget(Paragraph::new(lines), body);
    if search_line && inner.height > 3 {
        let line_area = Rect {
            y: inner.y + inner.height - 1,
            height: 1,
            ..inner
        };
        let line = app.search_line(line_area.width as usize);
        frame.render_widget(Paragraph::new(line), line_area);
    }
}

/// The grid's title, most important first (it is cut at the pane's width): whether the rows
/// are an earlier query's or were cut, how many, the cursor's row, the sort (pending or done),
/// time, the query they came from, the cursor column and its type, hidden columns.
fn grid_title(app: &App, result: &ResultSet) -> String {
    let rows = result.row_count();
    let grid = &app.grid;
    let mut title = String::from(" Results ");
    if grid.stale {
        title.push_str("· PREVIOUS QUERY ");
    }
    if result.facts.truncated {
        title.push_str("· TRUNCATED ");
    }
    title.push_str(&format!(
        "· {} row{} ",
        group_digits(rows),
        if rows == 1 { "" } else { "s" }
    ));
    if rows > 0 {
        title.push_str(&format!("· row {} ", group_digits(grid.row + 1)));
    }
    let arrow = |descending: bool| if descending { "▼" } else { "▲" };
    if let Some((_, column, descending)) = grid.sorting {
        title.push_str(&format!(
            "· sorting {} {}… ",
            arrow(descending),
            sanitize(&result.column_name(column)).text
        ));
    } else if let Some((column, descending)) = grid.sort {
        title.push_str(&format!(
            "· {} {} ",
            arrow(descending),
            sanitize(&result.column_name(column)).text
        ));
    }
    if app.tab_count() > 1 {
        title.push_str(&format!("· tab {} ", app.active_tab + 1));
    }
    title.push_str(&format!("· {} ", format_elapsed(result.facts.elapsed)));
    if !grid.source.is_empty() {
        title.push_str(&format!("· {} ", fit(&sanitize(&grid.source).text, 24)));
    }
    if grid.column < result.column_count() {
        let column = grid.column;
        let kql_type = result.column_type(column);
        title.push_str(&format!(
            "· {}: {}{} ",
            sanitize(&result.column_name(column)).text,
            kql_type.kql_name(),
            if kql_type == KqlType::DateTime {
                " UTC"
            } else {
                ""
            }
        ));
    }
    let hidden = grid.hidden.iter().filter(|h| **h).count();
    if hidden > 0 {
        title.push_str(&format!("· {hidden} hidden "));
    }
    title
}

pub use crate::results::format::group_digits;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_water_level_fills_the_room() {
        // Two short columns and a long one in 150 cells: the long one takes what is left.
        let level = water_level(&[23, 12, 200], 150);
        assert_eq!(23 + 12 + level.min(200) + 2, 150);
        assert_eq!(water_level(&[10, 10], 100), usize::MAX);
        assert_eq!(water_level(&[100, 100], 51), 25);
    }

    #[test]
    fn digits_are_grouped() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
        assert_eq!(group_digits(1234567), "1,234,567");
    }
}
