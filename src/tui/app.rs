//! The console's state and how keys and worker events change it. Nothing here does I/O or waits:
//! work goes to the worker as `Command`s and comes back as `Event`s.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::text::Line;
use tui_textarea::TextArea;

use super::highlight::Highlighter;
use super::theme::Theme;
use crate::backend::{QueryError, QueryRequest};
use crate::kql::line_col;
use crate::results::{ResultSet, RunFacts};
use crate::store::{RunStatus, SavedQuery, kept_draft};
use crate::worker::{Command, Event, QueryId, WorkerHandle};

/// The query the editor starts with on a first run (Microsoft's own example).
pub const STARTER_QUERY: &str = "DeviceProcessEvents\n| where InitiatingProcessFileName =~ \"powershell.exe\"\n| project Timestamp, FileName, InitiatingProcessFileName\n| order by Timestamp desc\n| limit 2\n";

/// How long an edit waits before the draft is written (the worker writes it).
const DRAFT_DELAY: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Sidebar,
    Editor,
    Grid,
}

/// The panes in Tab order (and Alt+1/2/3).
const PANES: [Focus; 3] = [Focus::Sidebar, Focus::Editor, Focus::Grid];

pub use super::sidebar::{Sidebar, SidebarRow};

/// The results grid: the result, the client-side sort as a row order, and the cursor.
#[derive(Default)]
pub struct Grid {
    pub result: Option<Arc<ResultSet>>,
    /// Row order after a client-side sort; `None` shows rows as the query returned them.
    pub order: Option<Vec<u32>>,
    pub sort: Option<(usize, bool)>,
    /// A sort the worker is computing: its id, column and direction (shown as pending).
    pub sorting: Option<(QueryId, usize, bool)>,
    /// Counts changes of the row order, so caches keyed by grid position know they are stale.
    pub generation: u64,
    pub row: usize,
    pub column: usize,
    /// First visible row and column.
    pub top: usize,
    pub left: usize,
    /// Rows that fit on screen, learned when drawing.
    pub page: usize,
}

impl Grid {
    pub fn set(&mut self, result: Arc<ResultSet>) {
        *self = Grid {
            result: Some(result),
            page: self.page,
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

    /// Shows a sort the worker finished, unless the result changed or another sort was asked
    /// for meanwhile.
    fn sorted(&mut self, id: QueryId, column: usize, descending: bool, order: Vec<u32>) {
        if self.sorting.map(|(pending, ..)| pending) != Some(id) {
            return;
        }
        self.sorting = None;
        self.order = Some(order);
        self.sort = Some((column, descending));
        self.generation += 1;
        self.row = 0;
        self.top = 0;
    }

    fn move_by(&mut self, rows: isize, columns: isize) {
        let (row_count, column_count) = (self.rows(), self.columns());
        if row_count > 0 {
            self.row = (self.row as isize + rows).clamp(0, row_count as isize - 1) as usize;
        }
        if column_count > 0 {
            self.column =
                (self.column as isize + columns).clamp(0, column_count as isize - 1) as usize;
        }
    }
}

/// The record inspector over the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspector {
    /// The grid position (after any client-side sort) of the record shown.
    pub position: usize,
    /// First line shown.
    pub scroll: usize,
}

/// A running query: its id, when it started, and whether Esc was pressed.
#[derive(Debug, Clone)]
pub struct Running {
    pub id: QueryId,
    pub started: Instant,
    pub cancelling: bool,
    /// What the query waits on, when the backend said (`waiting for the call quota: 12 s`).
    pub progress: Option<String>,
}

/// Where a failed query's error points in the editor buffer (0-based, in characters).
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorMark {
    pub message: String,
    pub row: usize,
    pub col_start: usize,
    pub col_end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Error,
}

/// A query file opened from the command line, and how its lines ended, so that Ctrl+S writes
/// it back as it was (line endings, final newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFile {
    pub path: PathBuf,
    pub crlf: bool,
    pub final_newline: bool,
}

impl OpenFile {
    /// `text` as read from `path` (empty for a file still to be made).
    pub fn new(path: PathBuf, text: &str) -> OpenFile {
        OpenFile {
            path,
            crlf: text.contains("\r\n"),
            final_newline: text.ends_with('\n'),
        }
    }

    /// The editor's text as this file writes it.
    fn layout(&self, text: &str) -> String {
        let mut out = if self.crlf {
            text.replace('\n', "\r\n")
        } else {
            text.to_string()
        };
        if self.final_newline && !text.is_empty() {
            out.push_str(if self.crlf { "\r\n" } else { "\n" });
        }
        out
    }
}

/// Whether the last editor change was a whole-buffer replacement, or its undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replace {
    Done,
    Undone,
}

/// Inspector lines for one record of one result at one width.
pub struct InspectorCache {
    /// The result the lines were made from.
    pub result: Arc<ResultSet>,
    /// The grid position of the record, in the row order of `generation`.
    pub position: usize,
    pub generation: u64,
    /// The width the lines were wrapped to, in terminal cells.
    pub width: usize,
    pub lines: Vec<Line<'static>>,
}

/// Where the backend is: the console draws at once and the lab (or a Graph sign-in) may still
/// be starting on the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendState {
    Starting(String),
    Ready,
    Failed(String),
}

pub struct App {
    pub focus: Focus,
    pub editor: TextArea<'static>,
    /// First visible editor line and column, kept so the cursor stays on screen.
    pub editor_top: usize,
    pub editor_left: usize,
    /// Syntax colours, computed per visible line and kept between frames.
    pub highlighter: Highlighter,
    /// The file the editor text came from (`hunt FILE.kql`); Ctrl+S writes it back.
    pub file: Option<OpenFile>,
    /// The text as it was last loaded from, or saved to, a file or the library: replacing it
    /// unchanged loses nothing, so it is not kept as a draft.
    stored_text: Option<String>,
    /// The last edit replaced the whole buffer (up to two undo steps in the editor: clear,
    /// insert), or undid such a replacement; one Ctrl+Z/Ctrl+Y takes or redoes them all.
    replaced: Option<(Replace, u8)>,
    pub sidebar: Sidebar,
    pub grid: Grid,
    pub running: Option<Running>,
    pub message: Option<(String, Tone)>,
    pub error: Option<ErrorMark>,
    /// The service throttled us until then: the status line counts down to it.
    pub throttled_until: Option<Instant>,
    pub last_run: Option<RunFacts>,
    pub help: bool,
    /// The record inspector: the grid position it shows and how far it is scrolled.
    pub inspector: Option<Inspector>,
    /// The inspector's lines for one record at one width, kept so frames do not re-parse and
    /// re-indent dynamic values.
    pub inspector_cache: Option<InspectorCache>,
    /// The backend: starting (with progress), ready, or failed to start.
    pub backend_state: BackendState,
    /// When the console opened (the start-up spinner turns from it).
    pub opened: Instant,
    pub quit: bool,
    pub backend: String,
    pub window: String,
    pub theme: Theme,
    pub(super) worker: WorkerHandle,
    next_id: QueryId,
    /// The last query's text and where it starts in the buffer (row, column), to place its errors.
    last_query: (String, (usize, usize)),
    draft_changed: Option<Instant>,
}

impl App {
    pub fn new(
        worker: WorkerHandle,
        queries: Vec<SavedQuery>,
        text: &str,
        backend: &str,
        window: &str,
        theme: Theme,
    ) -> App {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut editor = TextArea::new(if lines.is_empty() {
            vec![String::new()]
        } else {
            lines
        });
        editor.set_max_histories(200);
        App {
            focus: Focus::Editor,
            editor,
            editor_top: 0,
            editor_left: 0,
            highlighter: Highlighter::new(),
            file: None,
            stored_text: None,
            replaced: None,
            sidebar: Sidebar::new(queries),
            grid: Grid::default(),
            running: None,
            message: None,
            error: None,
            throttled_until: None,
            last_run: None,
            help: false,
            inspector: None,
            inspector_cache: None,
            backend_state: BackendState::Starting("starting".into()),
            opened: Instant::now(),
            quit: false,
            backend: backend.to_string(),
            window: window.to_string(),
            theme,
            worker,
            next_id: 1,
            last_query: (String::new(), (0, 0)),
            draft_changed: None,
        }
    }

    pub fn text(&self) -> String {
        self.editor.lines().join("\n")
    }

    /// Replaces the whole editor text (a saved query, a kept draft). Nothing is lost: the text
    /// it replaces is kept as a draft (listed under Drafts in the sidebar, written by the
    /// worker), and one Ctrl+Z brings it back.
    pub fn set_text(&mut self, text: &str) {
        let current = self.text();
        if current == text {
            return;
        }
        if !current.trim().is_empty() && self.stored_text.as_ref() != Some(&current) {
            self.keep_draft(current.clone());
        }
        // Clearing and inserting are two steps of the editor's history; undo takes both.
        let steps = u8::from(!current.is_empty()) + u8::from(!text.is_empty());
        self.editor.select_all();
        self.editor
            .insert_str(text.replace("\r\n", "\n").replace('\r', "\n"));
        self.editor.move_cursor(tui_textarea::CursorMove::Top);
        self.editor.move_cursor(tui_textarea::CursorMove::Head);
        self.editor_top = 0;
        self.editor_left = 0;
        self.error = None;
        self.edited(0);
        self.replaced = (steps > 0).then_some((Replace::Done, steps));
        // What was loaded is stored (a saved query, a kept draft).
        self.stored_text = Some(self.text());
    }

    /// The editor's text is stored elsewhere as it is (the built-in starter query): replacing
    /// it unchanged keeps no draft.
    pub fn mark_stored(&mut self) {
        self.stored_text = Some(self.text());
    }

    /// Edits `file` (whose text is in the editor): named in the title, written back by Ctrl+S.
    pub fn open_file(&mut self, file: OpenFile) {
        self.stored_text = Some(self.text());
        self.file = Some(file);
    }

    /// Keeps `text` as a draft: listed at once under Drafts, written to disk by the worker.
    fn keep_draft(&mut self, text: String) {
        let stem = chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string();
        let kept = kept_draft(&text, &stem, crate::store::Origin::Draft);
        self.sidebar.insert_draft(kept);
        self.worker.send(Command::KeepDraft { text });
    }

    /// Pasted text goes into the editor whatever pane has focus (it is almost always a query).
    pub fn paste(&mut self, text: &str) {
        if self.sidebar.popup.is_some() {
            return self.popup_paste(text);
        }
        self.focus = Focus::Editor;
        let before = self.change_row();
        if self
            .editor
            .insert_str(text.replace("\r\n", "\n").replace('\r', "\n"))
        {
            self.edited(before);
            self.replaced = None;
        }
    }

    /// The first row an edit at the cursor can change: a selection it replaces may start above.
    fn change_row(&self) -> usize {
        let cursor = self.editor.cursor().0;
        match self.editor.selection_range() {
            Some(((start, _), _)) => start.min(cursor),
            None => cursor,
        }
    }

    /// After a change at `row` or below: colours from there on are stale, and the draft is due.
    fn edited(&mut self, row: usize) {
        self.highlighter.invalidate_from(row);
        self.draft_changed = Some(Instant::now());
    }

    /// Undo (`redo = false`) or redo one step, a whole-buffer replacement counting as one.
    fn undo_redo(&mut self, redo: bool) {
        let steps = match self.replaced {
            Some((Replace::Done, steps)) if !redo => {
                self.replaced = Some((Replace::Undone, steps));
                steps
            }
            Some((Replace::Undone, steps)) if redo => {
                self.replaced = Some((Replace::Done, steps));
                steps
            }
            _ => {
                self.replaced = None;
                1
            }
        };
        let mut changed = false;
        for _ in 0..steps {
            changed |= if redo {
                self.editor.redo()
            } else {
                self.editor.undo()
            };
        }
        if changed {
            self.highlighter.invalidate_all();
            self.draft_changed = Some(Instant::now());
        }
    }

    /// Ctrl+S: writes the editor text back to the file it was opened from, or over the user's
    /// saved query it was loaded from; else asks for a name and folder (`sidebar`).
    fn save(&mut self) {
        match &self.file {
            Some(file) if self.sidebar.saved_as.is_none() => {
                let text = self.text();
                let command = Command::SaveFile {
                    path: file.path.clone(),
                    text: file.layout(&text),
                };
                self.stored_text = Some(text);
                self.worker.send(command);
            }
            _ => self.save_query(),
        }
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    // ---- running queries -----------------------------------------------------------------------

    /// The text to run: the selection, or the blank-line separated block under the cursor, with
    /// where it starts in the buffer.
    pub fn query_under_cursor(&self) -> (String, (usize, usize)) {
        let lines = self.editor.lines();
        if let Some(((r1, c1), (r2, c2))) = self.editor.selection_range() {
            let mut text = String::new();
            for (row, line) in lines.iter().enumerate().take(r2 + 1).skip(r1) {
                let chars: Vec<char> = line.chars().collect();
                let start = if row == r1 { c1.min(chars.len()) } else { 0 };
                let end = if row == r2 {
                    c2.min(chars.len())
                } else {
                    chars.len()
                };
                text.extend(&chars[start..end.max(start)]);
                if row != r2 {
                    text.push('\n');
                }
            }
            return (text, (r1, c1));
        }
        let mut row = self.editor.cursor().0.min(lines.len().saturating_sub(1));
        // On a blank line, run the block above it.
        while row > 0 && lines[row].trim().is_empty() {
            row -= 1;
        }
        let mut start = row;
        while start > 0 && !lines[start - 1].trim().is_empty() {
            start -= 1;
        }
        let mut end = row;
        while end + 1 < lines.len() && !lines[end + 1].trim().is_empty() {
            end += 1;
        }
        (lines[start..=end].join("\n"), (start, 0))
    }

    pub fn run_query(&mut self) {
        let (text, origin) = self.query_under_cursor();
        if let Some(running) = self.running.take() {
            self.worker.send(Command::Cancel { id: running.id });
        }
        let id = self.next_id;
        self.next_id += 1;
        self.last_query = (text.clone(), origin);
        self.error = None;
        self.message = None;
        if self.worker.send(Command::Run {
            id,
            request: QueryRequest::new(text),
        }) {
            self.running = Some(Running {
                id,
                started: Instant::now(),
                cancelling: false,
                progress: None,
            });
        } else {
            self.message = Some(("the worker has stopped; restart hunt".into(), Tone::Error));
        }
    }

    pub fn cancel(&mut self) {
        if let Some(running) = &mut self.running
            && !running.cancelling
        {
            running.cancelling = true;
            self.worker.send(Command::Cancel { id: running.id });
        }
    }

    /// Takes every waiting worker event; returns whether anything changed.
    pub fn poll_worker(&mut self) -> bool {
        let mut changed = false;
        while let Some(event) = self.worker.try_event() {
            self.handle_event(event);
            changed = true;
        }
        changed
    }

    fn is_current(&self, id: QueryId) -> bool {
        self.running.as_ref().is_some_and(|r| r.id == id)
    }

    pub fn handle_event(&mut self, event: Event) {
        match event {
            Event::Started { .. } => {}
            Event::Progress { id, message } => {
                if let Some(running) = self.running.as_mut().filter(|r| r.id == id) {
                    running.progress = Some(message);
                }
            }
            Event::Finished { id, result } if self.is_current(id) => {
                self.record_run(RunStatus::Ok, Some(&result.facts));
                self.running = None;
                self.last_run = Some(result.facts.clone());
                self.inspector = None;
                self.inspector_cache = None;
                self.grid.set(result);
                if self.focus == Focus::Sidebar {
                    self.focus = Focus::Grid;
                }
            }
            Event::Failed { id, error } if self.is_current(id) => {
                let first = error.message.lines().next().unwrap_or_default();
                self.record_run(RunStatus::Failed(first.to_string()), None);
                self.running = None;
                self.show_error(&error);
            }
            Event::Cancelled { id } if self.is_current(id) => {
                self.record_run(RunStatus::Cancelled, None);
                self.running = None;
                self.message = Some(("cancelled".into(), Tone::Info));
            }
            // Events for queries that were replaced or cancelled are stale.
            Event::Finished { .. } | Event::Failed { .. } | Event::Cancelled { .. } => {}
            Event::Exported { path, rows } => {
                self.message = Some((
                    format!("exported {rows} rows to {}", path.display()),
                    Tone::Info,
                ))
            }
            Event::ExportFailed { path, message } => {
                self.message = Some((
                    format!("export to {} failed: {message}", path.display()),
                    Tone::Error,
                ))
            }
            Event::StoreFailed { message } => {
                self.store_failed();
                self.message = Some((message, Tone::Error))
            }
            Event::QuerySaved { query, replaced } => self.query_saved(query, replaced),
            Event::FileSaved { path } => {
                self.message = Some((format!("saved {}", path.display()), Tone::Info))
            }
            Event::Sorted {
                id,
                column,
                descending,
                order,
            } => {
                // The inspector stays on the record it shows, wherever the sort puts it.
                let inspected = self.inspector.map(|i| self.grid.source_row(i.position));
                self.grid.sorted(id, column, descending, order);
                if let (Some(inspector), Some(row)) = (&mut self.inspector, inspected) {
                    inspector.position = self.grid.position_of(row);
                    self.grid.row = inspector.position;
                }
            }
            Event::BackendProgress { message } => {
                self.backend_state = BackendState::Starting(message)
            }
            Event::BackendReady { name } => {
                self.backend = name;
                self.backend_state = BackendState::Ready;
            }
            Event::BackendFailed { message } => {
                self.backend_state = BackendState::Failed(message.clone());
                self.message = Some((message, Tone::Error));
            }
        }
    }

    /// Adds the current run, which just ended, to the history (`sidebar`).
    fn record_run(&mut self, status: RunStatus, facts: Option<&RunFacts>) {
        if let Some(started) = self.running.as_ref().map(|r| r.started) {
            self.record_history(self.last_query.0.clone(), started, status, facts);
        }
    }

    /// Asks the worker to sort the grid by the column under the cursor; the grid shows the
    /// sort as pending until the order arrives.
    fn request_sort(&mut self, descending: bool) {
        let Some(result) = self.grid.result.clone() else {
            return;
        };
        let column = self.grid.column;
        if column >= result.column_count() {
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        if self.worker.send(Command::Sort {
            id,
            result,
            column,
            descending,
        }) {
            self.grid.sorting = Some((id, column, descending));
        }
    }

    fn show_error(&mut self, error: &QueryError) {
        self.message = Some(("query failed".into(), Tone::Error));
        if let Some(wait) = error.retry_after {
            self.throttled_until = Some(Instant::now() + wait);
        }
        let (text, origin) = &self.last_query;
        let (row, col_start, col_end) = match error.span {
            Some(span) => {
                let start = line_col(text, span.start);
                let end = line_col(text, span.end.max(span.start));
                let row = origin.0 + start.line - 1;
                let shift = if start.line == 1 { origin.1 } else { 0 };
                let col_start = shift + start.col - 1;
                let col_end = if end.line == start.line {
                    shift + end.col - 1
                } else {
                    usize::MAX
                };
                (row, col_start, col_end.max(col_start + 1))
            }
            None => (usize::MAX, 0, 0),
        };
        let message = match error.position {
            Some(_) if row != usize::MAX => {
                format!("{}:{}: {}", row + 1, col_start + 1, error.message)
            }
            _ => error.message.clone(),
        };
        self.error = Some(ErrorMark {
            message,
            row,
            col_start,
            col_end,
        });
    }

    /// Writes the draft once edits have settled (through the worker).
    pub fn tick(&mut self) {
        if let Some(changed) = self.draft_changed
            && changed.elapsed() >= DRAFT_DELAY
        {
            self.save_draft();
        }
        // The countdown ends with word that sending is fine again (the error text stays above).
        if self
            .throttled_until
            .is_some_and(|until| Instant::now() >= until)
        {
            self.throttled_until = None;
            if self.running.is_none() {
                self.message = Some((
                    "the throttle wait is over: F5 sends again".into(),
                    Tone::Info,
                ));
            }
        }
    }

    /// Waits (at most `limit`) until the worker has written every file sent so far: the last
    /// draft above all. For after the terminal is restored at quit.
    pub fn flush_writes(&self, limit: Duration) -> bool {
        self.worker.flush(limit)
    }

    pub fn save_draft(&mut self) {
        self.draft_changed = None;
        self.worker.send(Command::SaveDraft { text: self.text() });
    }

    // ---- keys ------------------------------------------------------------------------------------

    pub fn handle_key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        // A popup (save, delete, Ctrl+O) takes every key but quitting.
        if self.sidebar.popup.is_some() && !(ctrl && key.code == KeyCode::Char('q')) {
            return self.popup_key(key);
        }
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let runs = matches!(key.code, KeyCode::F(5))
            || (ctrl && matches!(key.code, KeyCode::Char('r' | 'q') | KeyCode::Enter));
        // Esc, and Ctrl+C as a terminal user expects, stop a running query from anywhere.
        let cancels = self.running.is_some()
            && (key.code == KeyCode::Esc || (ctrl && key.code == KeyCode::Char('c')));
        if self.inspector.is_some() && !runs && !cancels {
            return self.inspector_key(key);
        }
        // Keys that work everywhere.
        match key.code {
            KeyCode::Char('q') if ctrl => {
                self.save_draft();
                self.quit = true;
                return;
            }
            KeyCode::F(5) => return self.run_query(),
            KeyCode::Char('r') if ctrl => return self.run_query(),
            KeyCode::Enter if ctrl => return self.run_query(),
            KeyCode::F(1) => {
                self.help = !self.help;
                return;
            }
            KeyCode::Esc if self.help => {
                self.help = false;
                return;
            }
            _ if cancels => return self.cancel(),
            KeyCode::Tab => return self.cycle_focus(1),
            KeyCode::BackTab => return self.cycle_focus(PANES.len() - 1),
            KeyCode::Char(digit @ '1'..='3') if alt => {
                self.focus = PANES[digit as usize - '1' as usize];
                return;
            }
            KeyCode::Char('s') if ctrl => return self.save(),
            KeyCode::Char('o') if ctrl => return self.open_fuzzy(),
            _ => {}
        }
        if self.help {
            // Any other key closes help without acting.
            self.help = false;
            return;
        }
        match self.focus {
            Focus::Editor => self.editor_key(key),
            Focus::Grid => self.grid_key(key),
            Focus::Sidebar => self.sidebar_key(key),
        }
    }

    fn editor_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            // Undo as the portal and most editors have it, and the editor's own Ctrl+U.
            KeyCode::Char('z' | 'u') if ctrl => self.undo_redo(false),
            KeyCode::Char('y') if ctrl => self.undo_redo(true),
            _ => {
                let before = self.change_row();
                if self.editor.input(key) {
                    let after = self.editor.cursor().0;
                    self.edited(before.min(after));
                    self.replaced = None;
                }
            }
        }
    }

    /// Moves focus `step` panes on, in the order of `PANES`.
    fn cycle_focus(&mut self, step: usize) {
        let at = PANES.iter().position(|p| *p == self.focus).unwrap_or(0);
        self.focus = PANES[(at + step) % PANES.len()];
    }

    fn grid_key(&mut self, key: KeyEvent) {
        let page = self.grid.page.max(1) as isize;
        match key.code {
            KeyCode::Char('?') => self.help = true,
            KeyCode::Up | KeyCode::Char('k') => self.grid.move_by(-1, 0),
            KeyCode::Down | KeyCode::Char('j') => self.grid.move_by(1, 0),
            KeyCode::Left | KeyCode::Char('h') => self.grid.move_by(0, -1),
            KeyCode::Right | KeyCode::Char('l') => self.grid.move_by(0, 1),
            KeyCode::PageUp => self.grid.move_by(-page, 0),
            KeyCode::PageDown => self.grid.move_by(page, 0),
            KeyCode::Home => self.grid.column = 0,
            KeyCode::End => self.grid.column = self.grid.columns().saturating_sub(1),
            KeyCode::Char('g') => self.grid.row = 0,
            KeyCode::Char('G') => self.grid.row = self.grid.rows().saturating_sub(1),
            KeyCode::Char('s') => self.request_sort(false),
            KeyCode::Char('S') => self.request_sort(true),
            KeyCode::Enter if self.grid.rows() > 0 => {
                self.inspector = Some(Inspector {
                    position: self.grid.row,
                    scroll: 0,
                })
            }
            _ => {}
        }
    }

    fn inspector_key(&mut self, key: KeyEvent) {
        let Some(inspector) = &mut self.inspector else {
            return;
        };
        let page = self.grid.page.max(1);
        match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => self.inspector = None,
            KeyCode::Up | KeyCode::Char('k') => {
                inspector.scroll = inspector.scroll.saturating_sub(1)
            }
            KeyCode::Down | KeyCode::Char('j') => inspector.scroll += 1,
            KeyCode::PageUp => inspector.scroll = inspector.scroll.saturating_sub(page),
            KeyCode::PageDown | KeyCode::Char(' ') => inspector.scroll += page,
            KeyCode::Home | KeyCode::Char('g') => inspector.scroll = 0,
            // The neighbouring records, without closing.
            KeyCode::Left | KeyCode::Char('h') if inspector.position > 0 => {
                *inspector = Inspector {
                    position: inspector.position - 1,
                    scroll: 0,
                };
                self.grid.row = inspector.position;
            }
            KeyCode::Right | KeyCode::Char('l') if inspector.position + 1 < self.grid.rows() => {
                *inspector = Inspector {
                    position: inspector.position + 1,
                    scroll: 0,
                };
                self.grid.row = inspector.position;
            }
            _ => {}
        }
    }
}
