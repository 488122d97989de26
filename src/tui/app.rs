//! The console's state and how keys and worker events change it. Nothing here does I/O or waits:
//! work goes to the worker as `Command`s and comes back as `Event`s.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent,
    MouseEventKind,
};
use ratatui::text::{Line, Span};
use tui_textarea::TextArea;

use super::clipboard::{self, Multiplexer};
use super::grid::Grid;
use super::highlight::Highlighter;
use super::popup::{Popup, WINDOWS};
use super::prompt::{LineOutcome, Prompt, PromptKind};
use super::theme::Theme;
use crate::backend::{QueryError, QueryRequest, TableInfo};
use crate::kql::completion::Candidate;
use crate::kql::line_col;
use crate::kql::sources::block_rows;
use crate::results::chart::ChartData;
use crate::results::history::ResultHistory;
use crate::results::{ResultSet, RunFacts};
use crate::store::{RunStatus, SavedQuery, kept_draft};
use crate::worker::{Command, Event, QueryId, WorkerHandle};

/// The query the editor starts with on a first run (Microsoft's own example).
pub const STARTER_QUERY: &str = "DeviceProcessEvents\n| where InitiatingProcessFileName =~ \"powershell.exe\"\n| project Timestamp, FileName, InitiatingProcessFileName\n| order by Timestamp desc\n| limit 2\n";

/// How long an edit waits before the draft is written (the worker writes it).
const DRAFT_DELAY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Sidebar,
    Editor,
    Grid,
}

/// The panes in Tab order (and Alt+1/2/3).
const PANES: [Focus; 3] = [Focus::Sidebar, Focus::Editor, Focus::Grid];

pub use super::sidebar::{Sidebar, SidebarRow};

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
    /// A warning (an unknown name) rather than an error.
    pub warning: bool,
}

impl ErrorMark {
    /// The mark of `span` (bytes of `text`), `text` starting at `origin` (row, column) of the
    /// buffer. A span over several lines marks the rest of its first line; `None` when there is
    /// no span.
    fn of(
        text: &str,
        origin: (usize, usize),
        span: Option<crate::kql::Span>,
    ) -> (usize, usize, usize) {
        match span {
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
        }
    }
}

/// How many recently accepted completions are remembered for ranking.
const MAX_RECENT_COMPLETIONS: usize = 50;

/// How long typing must pause before the block is checked again.
const LIVE_DELAY: Duration = Duration::from_millis(120);

/// The most live diagnostics kept for one block (a pasted wall of garbage makes thousands).
const MAX_LIVE_MARKS: usize = 100;

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

/// How many steps of the editor's own history each of our edits took, so that Ctrl+Z undoes
/// an edit whole (a loaded query or a format is clear-and-insert, a completion delete-and-insert)
/// and Ctrl+Y redoes it whole, however undo and redo are interleaved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct EditGroups {
    undo: Vec<u8>,
    redo: Vec<u8>,
}

impl EditGroups {
    /// A new edit of `steps` history steps (none: nothing changed); it ends what redo could do.
    pub(super) fn record(&mut self, steps: u8, max_histories: usize) {
        if steps == 0 {
            return;
        }
        self.undo.push(steps);
        self.redo.clear();
        // The editor forgets its oldest steps past its limit: so do we.
        let mut total: usize = self.undo.iter().map(|&s| usize::from(s)).sum();
        while total > max_histories && !self.undo.is_empty() {
            total -= usize::from(self.undo.remove(0));
        }
    }

    /// The steps of the edit to undo (1 when we know of none: the editor's own history).
    fn take_undo(&mut self) -> u8 {
        let steps = self.undo.pop().unwrap_or(1);
        self.redo.push(steps);
        steps
    }

    /// The steps of the edit to redo.
    fn take_redo(&mut self) -> u8 {
        let steps = self.redo.pop().unwrap_or(1);
        self.undo.push(steps);
        steps
    }
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

/// The open completion popup: the candidates for the word at the cursor and the one chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub items: Vec<Candidate>,
    pub selected: usize,
    /// Opened by typing, not Ctrl+Space: Enter then ends the line as usual (Tab takes the
    /// candidate), so a list that pops up never swallows a line break.
    pub auto: bool,
    /// For values from the last result: how many characters before the cursor the candidate
    /// replaces (what was typed inside the quotes); `None`: the word at the cursor.
    pub replaces: Option<usize>,
}

/// Values of a column asked from the worker for completion inside a string literal.
#[derive(Debug, Clone)]
pub(super) struct PendingValues {
    id: QueryId,
    slot: crate::kql::completion::ValueSlot,
}

/// How many of a column's values completion offers (the most frequent first).
const MAX_VALUE_CANDIDATES: usize = 200;

/// A box by the cursor: the signature of the call being typed (its current parameter
/// highlighted), or F3's description of the function or operator under the cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    /// One line or several.
    pub text: String,
    /// The current parameter: a byte range of the first line.
    pub active: Option<std::ops::Range<usize>>,
    /// A signature follows the cursor through the call; a description closes on the next key.
    pub signature: bool,
}

/// The largest query block signature help reads on a keystroke (parsing it takes about a
/// millisecond per 50 KB; past this the help stays closed rather than slow typing).
const MAX_HINT_BLOCK: usize = 64 * 1024;

/// A backend the picker (F7) offers: its name and how to build it (on the worker).
#[derive(Clone)]
pub struct BackendOption {
    pub label: String,
    pub make: Arc<dyn Fn() -> crate::backend::BackendFactory + Send + Sync>,
}

/// How the screen is split: the sidebar's width and the editor's share of the right side (both
/// changed with Alt+arrows), and the pane zoomed to the whole screen (Alt+Z), if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaneLayout {
    /// Sidebar width in cells; `None` sizes it from the terminal (0 hides it).
    pub sidebar: Option<u16>,
    /// The editor's share of the right-hand side, in percent.
    pub editor_percent: u16,
    pub zoomed: Option<Focus>,
}

impl Default for PaneLayout {
    fn default() -> Self {
        PaneLayout {
            sidebar: None,
            editor_percent: 40,
            zoomed: None,
        }
    }
}

/// Where each pane was drawn (empty when not drawn).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaneAreas {
    pub sidebar: ratatui::layout::Rect,
    pub editor: ratatui::layout::Rect,
    pub grid: ratatui::layout::Rect,
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
    pub(super) stored_text: Option<String>,
    /// The editor-history steps of each edit, for whole-edit undo and redo.
    pub(super) groups: EditGroups,
    pub sidebar: Sidebar,
    pub grid: Grid,
    pub running: Option<Running>,
    pub message: Option<(String, Tone)>,
    pub error: Option<ErrorMark>,
    /// The service throttled us until then: the status line counts down to it.
    pub throttled_until: Option<Instant>,
    pub last_run: Option<RunFacts>,
    pub help: bool,
    /// How far the help overlay is scrolled (lines).
    pub help_scroll: usize,
    /// The record inspector: the grid position it shows and how far it is scrolled.
    pub inspector: Option<Inspector>,
    /// The inspector's lines for one record at one width, kept so frames do not re-parse and
    /// re-indent dynamic values.
    pub inspector_cache: Option<InspectorCache>,
    /// The backend: starting (with progress), ready, or failed to start.
    pub backend_state: BackendState,
    /// The chart of the result in the grid (its query ended in `render`), as the worker
    /// computed it, or why it cannot be drawn; with the id of the query it belongs to.
    pub chart: Option<(QueryId, Result<Arc<ChartData>, String>)>,
    /// The results pane shows the chart instead of the rows (`v` toggles; on when one arrives).
    pub show_chart: bool,
    /// The query whose result is in the grid (its chart follows it).
    pub(super) shown_id: Option<QueryId>,
    /// When the console opened (the start-up spinner turns from it).
    pub opened: Instant,
    pub quit: bool,
    pub backend: String,
    pub window: String,
    /// What `window` says when no window is chosen: the backend's own default (`last 30d` for
    /// Graph and the lab, whose data covers 30 days), `no time window` for the user's files.
    pub unwindowed: String,
    pub theme: Theme,
    /// The time window queries run over, as Graph's `timespan` (`P7D`, `start/end`); `None`
    /// is the backend's default (the last 30 days). `window` says it in words.
    pub timespan: Option<String>,
    /// The one-line prompt that has the keys (search, export path, custom window).
    pub prompt: Option<Prompt>,
    /// The popup over the screen (column chooser, time window picker, whole error).
    pub popup: Option<Popup>,
    /// Bytes for the terminal itself (an OSC 52 copy), written by the event loop after the
    /// next frame; only a key press puts anything here.
    pub terminal_output: Option<Vec<u8>>,
    pub multiplexer: Multiplexer,
    /// Pane sizes and the zoomed pane.
    pub layout: PaneLayout,
    /// The config file's key bindings.
    pub keymap: super::keymap::KeyMap,
    /// Every query tab in display order; the active one's entry is a placeholder while its
    /// state lives in this struct's own fields (see `tabs`).
    pub tabs: Vec<super::tabs::Tab>,
    pub active_tab: usize,
    /// The active tab's draft slot.
    pub tab_slot: u32,
    /// An export waiting for the y/N answer to replacing its file.
    pending_export: Option<(
        Arc<ResultSet>,
        crate::results::export::ExportFormat,
        PathBuf,
    )>,
    /// Exports under way in spreadsheet-safe CSV, so their end can say so.
    safe_exports: HashSet<PathBuf>,
    /// The backend's tables and the kept results (`$last`, `$1` …), for completion and the
    /// live check (shared with the worker).
    pub schema: Arc<crate::kql::analysis::Schema>,
    /// The backend's own tables, as it reported them when it became ready.
    backend_tables: Vec<crate::kql::completion::SchemaTable>,
    /// Every result that arrived, in any tab, from any backend, newest first (bounded): a query
    /// naming `$last`, `$2` … runs on the local engine over them.
    pub earlier: ResultHistory,
    /// What completion put in lately, newest first (ranked first next time).
    recent_completions: Vec<String>,
    /// Values of a column asked for completion inside a string, until they arrive.
    pub(super) pending_values: Option<PendingValues>,
    /// The completion popup (Ctrl+Space), while it is open.
    pub completion: Option<Completion>,
    /// The signature or description box by the cursor, while it is open.
    pub hint: Option<Hint>,
    /// Where the editor's cursor was drawn (for the completion popup).
    pub cursor_at: Option<ratatui::layout::Position>,
    /// The backends the picker offers (the CLI fills it: the lab, and Graph when signed in).
    pub backends: Vec<BackendOption>,
    /// Where the last frame put each pane, for the mouse.
    pub areas: PaneAreas,
    /// The `ValueFilter` job whose `| where` line is awaited (frequencies' Enter).
    pub(super) pending_filter: Option<QueryId>,
    /// The grid cell (position, column) the cursor was on when the search prompt opened: each
    /// answer while typing moves to the first match from there.
    search_origin: (usize, usize),
    pub(super) worker: WorkerHandle,
    pub(super) next_id: QueryId,
    /// The last query's text and where it starts in the buffer (row, column), to place its errors.
    pub(super) last_query: (String, (usize, usize)),
    pub(super) draft_changed: Option<Instant>,
    /// What the syntax tree says of the query block under the cursor, checked on the worker
    /// while the user types.
    pub live: Vec<ErrorMark>,
    /// When the text last changed and the block is due to be checked again.
    live_due: Option<Instant>,
    /// The newest check asked for; older answers are dropped.
    live_generation: u64,
    /// The rows of the block last checked: moving the cursor out of them checks the new block.
    live_rows: (usize, usize),
    /// The text of that block as it was sent (the answer's spans are in it).
    live_text: String,
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
        // The first tab's state: what any new tab starts with (`Tab::new`), held in the fields.
        let super::tabs::Tab {
            slot: tab_slot,
            editor,
            editor_top,
            editor_left,
            highlighter,
            file,
            stored_text,
            groups,
            grid,
            running,
            error,
            last_run,
            inspector,
            inspector_cache,
            chart,
            show_chart,
            shown_id,
            pending_filter,
            last_query,
            draft_changed,
            saved_as: _,
        } = super::tabs::Tab::new(0, text);
        App {
            focus: Focus::Editor,
            editor,
            editor_top,
            editor_left,
            highlighter,
            file,
            stored_text,
            groups,
            sidebar: Sidebar::new(queries),
            grid,
            running,
            message: None,
            error,
            throttled_until: None,
            last_run,
            help: false,
            help_scroll: 0,
            inspector,
            inspector_cache,
            backend_state: BackendState::Starting("starting".into()),
            chart,
            show_chart,
            shown_id,
            opened: Instant::now(),
            quit: false,
            backend: backend.to_string(),
            window: window.to_string(),
            unwindowed: window.to_string(),
            theme,
            timespan: None,
            prompt: None,
            popup: None,
            terminal_output: None,
            multiplexer: Multiplexer::detect(),
            layout: PaneLayout::default(),
            keymap: super::keymap::KeyMap::default(),
            tabs: vec![super::tabs::Tab::new(0, "")],
            active_tab: 0,
            tab_slot,
            backends: Vec::new(),
            schema: Arc::new(crate::kql::analysis::Schema::new(&[])),
            backend_tables: Vec::new(),
            earlier: ResultHistory::new(),
            recent_completions: Vec::new(),
            pending_values: None,
            completion: None,
            hint: None,
            cursor_at: None,
            safe_exports: HashSet::new(),
            pending_export: None,
            areas: PaneAreas::default(),
            pending_filter,
            search_origin: (0, 0),
            worker,
            next_id: 1,
            last_query,
            draft_changed,
            live: Vec::new(),
            live_due: None,
            live_generation: 0,
            live_rows: (usize::MAX, usize::MAX),
            live_text: String::new(),
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
        select_everything(&mut self.editor);
        self.editor
            .insert_str(text.replace("\r\n", "\n").replace('\r', "\n"));
        self.editor.move_cursor(tui_textarea::CursorMove::Top);
        self.editor.move_cursor(tui_textarea::CursorMove::Head);
        self.editor_top = 0;
        self.editor_left = 0;
        self.error = None;
        self.edited(0);
        self.groups.record(steps, self.editor.max_histories());
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
    pub(super) fn keep_draft(&mut self, text: String) {
        let stem = chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string();
        let kept = kept_draft(&text, &stem, crate::store::Origin::Draft);
        self.sidebar.insert_draft(kept);
        self.worker.send(Command::KeepDraft { text });
    }

    /// Pasted text goes into the editor whatever pane has focus (it is almost always a query).
    fn paste_into_editor(&mut self, text: &str) {
        self.focus = Focus::Editor;
        let before = self.change_row();
        if self
            .editor
            .insert_str(text.replace("\r\n", "\n").replace('\r', "\n"))
        {
            self.edited(before);
            self.groups.record(1, self.editor.max_histories());
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
        // The last run's error described the text as it was (its underline would now point
        // at the wrong characters).
        if self.error.take().is_some() && matches!(self.popup, Some(Popup::Message { .. })) {
            self.popup = None;
        }
        self.draft_changed = Some(Instant::now());
        self.live_due = Some(Instant::now());
    }

    /// Undo (`redo = false`) or redo one step, a whole-buffer replacement counting as one.
    fn undo_redo(&mut self, redo: bool) {
        let steps = if redo {
            self.groups.take_redo()
        } else {
            self.groups.take_undo()
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
            self.live_due = Some(Instant::now());
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

    /// The schema the language tools check against: the backend's tables, then the kept
    /// results as `$last`, `$1` … `$N`. The block under the cursor is checked again.
    fn refresh_schema(&mut self) {
        let mut tables = self.backend_tables.clone();
        tables.extend(
            self.earlier
                .tables()
                .into_iter()
                .map(|(name, columns)| TableInfo { name, columns }.schema_table()),
        );
        self.schema = Arc::new(crate::kql::analysis::Schema::new(&tables));
        self.live_rows = (usize::MAX, usize::MAX);
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
        let (start, end) = block_rows(lines, row);
        (lines[start..=end].join("\n"), (start, 0))
    }

    pub fn run_query(&mut self) {
        // An open completion list would cover the run's status and error line.
        self.completion = None;
        let (text, origin) = self.query_under_cursor();
        // A run replaced by this one is cancelled, and History says so (its own Cancelled
        // event arrives too late to count).
        if self.running.is_some() {
            self.record_run(RunStatus::Cancelled, None);
        }
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
            request: QueryRequest {
                query: text,
                timespan: self.timespan.clone(),
            },
            earlier: self.earlier.clone(),
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
        // An event about a query of another tab is applied to that tab.
        let Some(event) = self.route_to_tab(event) else {
            return;
        };
        match event {
            Event::Started { .. } => {}
            Event::Progress { id, message } => {
                if let Some(running) = self.running.as_mut().filter(|r| r.id == id) {
                    running.progress = Some(message);
                }
            }
            Event::Finished { id, result } if self.is_current(id) => {
                self.record_run(RunStatus::Ok, Some(&result.facts));
                self.earlier.push(result.clone());
                self.refresh_schema();
                self.running = None;
                self.last_run = Some(result.facts.clone());
                self.inspector = None;
                self.inspector_cache = None;
                let source = crate::kql::first_meaningful_line(self.last_query.0.lines())
                    .unwrap_or("")
                    .to_string();
                self.grid.set(result, source);
                if self.prompt_is_search() {
                    self.prompt = None;
                }
                self.chart = None;
                self.show_chart = false;
                self.shown_id = Some(id);
                if self.focus == Focus::Sidebar {
                    self.focus = Focus::Grid;
                }
            }
            Event::Failed { id, error } if self.is_current(id) => {
                let first = error.message.lines().next().unwrap_or_default();
                self.record_run(RunStatus::Failed(first.to_string()), None);
                self.running = None;
                // The rows on screen answer an earlier query: say so rather than clear them.
                self.grid.stale = self.grid.result.is_some();
                self.show_error(&error);
            }
            Event::Cancelled { id } if self.is_current(id) => {
                self.record_run(RunStatus::Cancelled, None);
                self.running = None;
                self.message = Some(("cancelled".into(), Tone::Info));
            }
            Event::Charted { id, chart } if self.shown_id == Some(id) => {
                self.chart = Some((id, chart));
                self.show_chart = true;
            }
            // Events for queries that were replaced or cancelled are stale.
            Event::Finished { .. }
            | Event::Failed { .. }
            | Event::Cancelled { .. }
            | Event::Charted { .. } => {}
            Event::Exported { path, rows } => {
                let safe = self.safe_exports.remove(&path);
                self.message = Some((
                    format!(
                        "exported {rows} rows to {}{}",
                        path.display(),
                        if safe {
                            " (spreadsheet-safe: formula-like cells start with ')"
                        } else {
                            ""
                        }
                    ),
                    Tone::Info,
                ))
            }
            Event::ExportExists {
                result,
                format,
                path,
            } => {
                let shown = path.display().to_string();
                self.pending_export = Some((result, format, path));
                self.open_prompt(PromptKind::Overwrite, "");
                self.message = Some((format!("{shown} exists"), Tone::Info));
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
                let generation = self.grid.generation;
                self.grid.sorted(id, column, descending, order);
                if let (Some(inspector), Some(row)) = (&mut self.inspector, inspected) {
                    inspector.position = self.grid.position_of(row);
                    self.grid.row = inspector.position;
                }
                // Matches are grid positions: a new row order needs them found again.
                if self.grid.generation != generation
                    && let Some(needle) = self.grid.search.as_ref().map(|s| s.needle.clone())
                {
                    self.start_search(needle);
                }
            }
            Event::Diagnosed {
                generation,
                diagnostics,
            } => {
                if generation == self.live_generation {
                    self.show_live(diagnostics);
                }
            }
            Event::Searched { id, matches } => {
                if let Some(search) = &mut self.grid.search
                    && search.pending == Some(id)
                {
                    search.pending = None;
                    search.matches = Arc::new(matches);
                    search.current = None;
                    // A typed search moves to the first match from where it started (the cell
                    // there included), as a pager does: however many answers arrive between
                    // keystrokes, or whether Enter came first, the same match. A search found
                    // again after a sort goes on from the cursor.
                    match search.from {
                        Some(origin) => {
                            self.grid.jump_to_match_from(origin);
                        }
                        None => {
                            self.grid.jump_to_match(true);
                        }
                    }
                }
            }
            Event::Frequencies {
                id,
                column,
                frequencies,
            } => {
                if let Some(pending) = self.pending_values.take_if(|p| p.id == id) {
                    self.show_values(pending.slot, &frequencies);
                } else if let Some(Popup::Frequencies {
                    pending,
                    data,
                    column: shown,
                    ..
                }) = &mut self.popup
                    && *pending == Some(id)
                    && *shown == column
                {
                    *pending = None;
                    *data = Some(frequencies);
                }
            }
            Event::Filter { id, clause } => {
                if self.pending_filter == Some(id) {
                    self.pending_filter = None;
                    match clause {
                        Some(clause) => self.append_clause(&clause),
                        None => {
                            self.message =
                                Some(("no row holds that value any more".into(), Tone::Error))
                        }
                    }
                }
            }
            Event::BackendProgress { message } => {
                self.backend_state = BackendState::Starting(message)
            }
            Event::BackendReady { name, tables } => {
                self.backend_tables = tables.into_iter().map(TableInfo::schema_table).collect();
                self.refresh_schema();
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
        let (row, col_start, col_end) = ErrorMark::of(text, *origin, error.span);
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
            warning: false,
        });
    }

    /// Writes the draft once edits have settled (through the worker).
    pub fn tick(&mut self) {
        self.check_live();
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

    /// Sends the block under the cursor to be checked once typing has paused, or at once when
    /// the cursor has moved to another block.
    fn check_live(&mut self) {
        let row = self.editor.cursor().0;
        let moved = row < self.live_rows.0 || row > self.live_rows.1;
        let due = self.live_due.is_some_and(|at| at.elapsed() >= LIVE_DELAY);
        if !(moved || due) {
            return;
        }
        self.live_due = None;
        let lines = self.editor.lines();
        if lines.is_empty() {
            return;
        }
        let row = row.min(lines.len() - 1);
        let (start, end) = block_rows(lines, row);
        let text = lines[start..=end].join("\n");
        self.live_generation += 1;
        self.live_rows = (start, end);
        self.live_text = text.clone();
        self.worker.send(Command::Diagnose {
            generation: self.live_generation,
            text,
            schema: self.schema.clone(),
        });
    }

    /// Marks what the check of the block found, placed in the text that was checked.
    fn show_live(&mut self, diagnostics: Vec<crate::worker::LiveDiagnostic>) {
        let (text, start) = (&self.live_text, self.live_rows.0);
        self.live = diagnostics
            .into_iter()
            .take(MAX_LIVE_MARKS)
            .map(|d| {
                let (row, col_start, col_end) = ErrorMark::of(text, (start, 0), Some(d.span));
                let at = line_col(text, d.span.start);
                ErrorMark {
                    message: format!("{}:{}: {}", start + at.line, at.col, d.message),
                    row,
                    col_start,
                    col_end,
                    warning: d.warning,
                }
            })
            .collect();
    }

    /// The rows of the block the live marks were last asked for.
    pub fn live_checked_rows(&self) -> (usize, usize) {
        self.live_rows
    }

    /// Forgets the live marks (another tab's text is shown) and checks again at once.
    pub(super) fn reset_live(&mut self) {
        self.live.clear();
        self.live_rows = (usize::MAX, usize::MAX);
        self.live_due = None;
    }

    /// Waits (at most `limit`) until the worker has written every file sent so far: the last
    /// draft above all. For after the terminal is restored at quit.
    pub fn flush_writes(&self, limit: Duration) -> bool {
        self.worker.flush(limit)
    }

    /// Keeps every tab's text as its draft (at quit).
    pub fn save_all_drafts(&mut self) {
        self.save_draft();
        for (index, tab) in self.tabs.iter().enumerate() {
            if index != self.active_tab {
                self.worker.send(Command::SaveDraft {
                    slot: tab.slot,
                    text: tab.text(),
                });
            }
        }
    }

    pub fn save_draft(&mut self) {
        self.draft_changed = None;
        self.worker.send(Command::SaveDraft {
            slot: self.tab_slot,
            text: self.text(),
        });
    }

    // ---- keys ------------------------------------------------------------------------------------

    /// Acts on one terminal event: a key, a paste or a mouse event (others are ignored).
    pub fn handle_terminal_event(&mut self, event: TermEvent) {
        match event {
            TermEvent::Key(key) => self.handle_key(key),
            TermEvent::Paste(text) => self.paste(&text),
            TermEvent::Mouse(mouse) => self.handle_mouse(mouse),
            _ => {}
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        // Typing into a prompt or popup is text, not bindings.
        let key = if self.prompt.is_none() && self.sidebar.popup.is_none() {
            self.keymap.translate(key, self.focus)
        } else {
            key
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        // A popup (save, delete, Ctrl+O) takes every key but quitting.
        if self.sidebar.popup.is_some() && !(ctrl && key.code == KeyCode::Char('q')) {
            return self.sidebar_popup_key(key);
        }
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        if self.prompt.is_some() {
            return self.prompt_key(key);
        }
        let runs = matches!(key.code, KeyCode::F(5))
            || (ctrl && matches!(key.code, KeyCode::Char('r' | 'q') | KeyCode::Enter));
        // Esc, and Ctrl+C as a terminal user expects, stop a running query from anywhere: the
        // first Esc, even with the completion list open (it closes too).
        let cancels = self.running.is_some()
            && (key.code == KeyCode::Esc || (ctrl && key.code == KeyCode::Char('c')));
        if cancels {
            self.completion = None;
        }
        // The completion popup has its keys first (Tab and Esc included); one it does not
        // take closes it and goes on as usual.
        if self.completion.is_some()
            && self.focus == Focus::Editor
            && !runs
            && self.completion_key(key)
        {
            return;
        }
        if self.popup.is_some() && !runs && !cancels {
            return self.popup_key(key);
        }
        if self.inspector.is_some() && !runs && !cancels {
            return self.inspector_key(key);
        }
        // Keys that work everywhere.
        match key.code {
            KeyCode::Char('q') if ctrl => {
                self.save_all_drafts();
                self.quit = true;
                return;
            }
            KeyCode::F(5) => return self.run_query(),
            KeyCode::Char('r') if ctrl => return self.run_query(),
            KeyCode::Enter if ctrl => return self.run_query(),
            KeyCode::F(1) => {
                self.help = !self.help;
                self.help_scroll = 0;
                return;
            }
            _ if cancels => return self.cancel(),
            _ if self.help => return self.help_key(key),
            KeyCode::Tab => return self.cycle_focus(1),
            KeyCode::BackTab => return self.cycle_focus(PANES.len() - 1),
            KeyCode::Char(digit @ '1'..='3') if alt => {
                return self.set_focus(PANES[digit as usize - '1' as usize]);
            }
            KeyCode::Char('s') if ctrl => return self.save(),
            KeyCode::F(2) => return self.show_whole_error(),
            KeyCode::F(6) => return self.open_window_picker(),
            KeyCode::F(7) => return self.open_backend_picker(),
            KeyCode::Char('t') if ctrl => return self.open_window_picker(),
            KeyCode::F(11) => return self.toggle_zoom(),
            KeyCode::Char('z') if alt => return self.toggle_zoom(),
            KeyCode::Left if alt => return self.resize_sidebar(-2),
            KeyCode::Right if alt => return self.resize_sidebar(2),
            KeyCode::Up if alt => return self.resize_editor(-5),
            KeyCode::Down if alt => return self.resize_editor(5),
            KeyCode::Char('o') if ctrl => return self.open_fuzzy(),
            KeyCode::Char('n') if alt => return self.new_tab(""),
            KeyCode::Char('w') if alt => return self.close_tab(),
            KeyCode::Char('.') if alt => return self.cycle_tab(1),
            KeyCode::Char(',') if alt => return self.cycle_tab(-1),
            KeyCode::PageDown if ctrl => return self.cycle_tab(1),
            KeyCode::PageUp if ctrl => return self.cycle_tab(-1),
            _ => {}
        }
        match self.focus {
            Focus::Editor => self.editor_key(key),
            Focus::Grid => self.grid_key(key),
            Focus::Sidebar => self.sidebar_key(key),
        }
    }

    /// Help scrolls with the arrows and pages; any other key closes it without acting.
    fn help_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => {
                self.help_scroll = self.help_scroll.saturating_sub(1)
            }
            KeyCode::Down | KeyCode::Char('j') => self.help_scroll += 1,
            KeyCode::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
            KeyCode::PageDown | KeyCode::Char(' ') => self.help_scroll += 10,
            _ => self.help = false,
        }
    }

    fn set_focus(&mut self, focus: Focus) {
        self.focus = focus;
        self.completion = None;
        // A zoomed screen shows the pane that has the keys.
        if self.layout.zoomed.is_some() {
            self.layout.zoomed = Some(focus);
        }
    }

    /// Zooms the focused pane to the whole screen, or back.
    fn toggle_zoom(&mut self) {
        self.layout.zoomed = match self.layout.zoomed {
            Some(_) => None,
            None => Some(self.focus),
        };
    }

    fn resize_sidebar(&mut self, step: i32) {
        let current = self
            .layout
            .sidebar
            .unwrap_or(self.areas.sidebar.width.max(16));
        self.layout.sidebar = Some((current as i32 + step).clamp(0, 120) as u16);
    }

    fn resize_editor(&mut self, step: i32) {
        self.layout.editor_percent =
            (self.layout.editor_percent as i32 + step).clamp(10, 90) as u16;
    }

    fn show_whole_error(&mut self) {
        if self.error.is_some() || self.message.is_some() {
            self.popup = Some(Popup::Message { scroll: 0 });
        } else {
            self.message = Some(("no error or message to show".into(), Tone::Info));
        }
    }

    fn open_window_picker(&mut self) {
        let selected = WINDOWS
            .iter()
            .position(|(t, _)| Some(*t) == self.timespan.as_deref())
            .unwrap_or(3);
        self.popup = Some(Popup::Window { selected });
    }

    fn open_backend_picker(&mut self) {
        if self.backends.len() < 2 {
            self.message = Some((
                "only the lab here: for Defender, sign in first (`hunt login`, or HUNT_TOKEN, or an app's AZURE_* settings) and start hunt again".into(),
                Tone::Info,
            ));
            return;
        }
        let selected = self
            .backends
            .iter()
            .position(|b| {
                self.backend
                    .starts_with(b.label.split(' ').next().unwrap_or(""))
            })
            .unwrap_or(0);
        self.popup = Some(Popup::Backend { selected });
    }

    /// Switches to the picker's backend `index`: the worker builds it; queries sent meanwhile
    /// wait for it, and queries already running finish on the old one.
    fn switch_backend(&mut self, index: usize) {
        let Some(option) = self.backends.get(index).cloned() else {
            return;
        };
        let factory = (option.make)();
        if self.worker.send(Command::SwitchBackend {
            factory: crate::worker::Builder(factory),
        }) {
            self.backend = option.label.clone();
            self.backend_state = BackendState::Starting(format!("starting {}", option.label));
            self.message = None;
        }
    }

    /// Sets the time window from Graph's `timespan` form (checked first); `None` is the default.
    pub fn set_window(&mut self, timespan: Option<String>) -> Result<(), String> {
        let now = crate::kql::time::now();
        let label = match &timespan {
            Some(text) => {
                let window = crate::engine::time_window::parse_timespan(text, now)?;
                crate::engine::time_window::describe_window(&window, now)
            }
            None => self.unwindowed.clone(),
        };
        self.timespan = timespan;
        self.window = label;
        Ok(())
    }

    fn editor_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        match key.code {
            KeyCode::Esc if self.hint.is_some() => {
                self.hint = None;
                return;
            }
            KeyCode::F(3) => return self.describe(),
            // Ctrl+Space; some terminals send it as Ctrl+@ (NUL).
            KeyCode::Char(' ' | '@') if ctrl => self.open_completion(true),
            KeyCode::Char('z' | 'Z') if ctrl && shift => self.undo_redo(true),
            // Undo as the portal and most editors have it, and the editor's own Ctrl+U.
            KeyCode::Char('z' | 'u') if ctrl => self.undo_redo(false),
            KeyCode::Char('y') if ctrl => self.undo_redo(true),
            KeyCode::Char('a') if ctrl => select_everything(&mut self.editor),
            KeyCode::Home if ctrl => {
                self.editor.cancel_selection();
                self.editor.move_cursor(tui_textarea::CursorMove::Top);
                self.editor.move_cursor(tui_textarea::CursorMove::Head);
            }
            KeyCode::End if ctrl => {
                self.editor.cancel_selection();
                self.editor.move_cursor(tui_textarea::CursorMove::Bottom);
                self.editor.move_cursor(tui_textarea::CursorMove::End);
            }
            // Terminals send Ctrl+/ as Ctrl+_ (0x1f), which crossterm reads as Ctrl+7.
            KeyCode::Char('/' | '_' | '7') if ctrl => self.toggle_comment(),
            KeyCode::Char('d') if ctrl => self.duplicate_line(),
            // Alt+Shift+F (VS Code's "Format Document"); terminals report the letter upper-case,
            // or lower-case with Shift (the kitty protocol).
            KeyCode::Char('F') if key.modifiers.contains(KeyModifiers::ALT) => self.format_block(),
            KeyCode::Char('f') if key.modifiers.contains(KeyModifiers::ALT) && shift => {
                self.format_block()
            }
            _ => {
                self.editor_input(key);
                self.complete_as_typed(key);
            }
        }
        self.follow_signature(key);
    }

    /// Opens the completion list by itself while a name is typed (its first letter, or the
    /// operator after `| `), as the portal's editor does; not inside comments or strings (the
    /// candidates are empty there) and not in blocks too long to read on a keystroke.
    fn complete_as_typed(&mut self, key: KeyEvent) {
        let KeyCode::Char(ch) = key.code else {
            return;
        };
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return;
        }
        let (before, block) = self.text_before_cursor();
        if block.len() > MAX_HINT_BLOCK {
            return;
        }
        let word = &before[crate::kql::completion::word_start(&before)..];
        let starts_name =
            (ch.is_alphabetic() || ch == '_' || ch == '$') && word.chars().count() == 1;
        let after_pipe = ch == ' ' && before.trim_end().ends_with('|');
        if starts_name || after_pipe {
            self.open_completion(false);
        }
    }

    /// Opens signature help when `(` or `,` is typed in a call, and keeps it up to date (or
    /// closes it) while the cursor stays in one; a description closes on any key.
    fn follow_signature(&mut self, key: KeyEvent) {
        let opens = matches!(key.code, KeyCode::Char('(' | ','));
        match &self.hint {
            Some(hint) if !hint.signature => self.hint = None,
            None if !opens => return,
            _ => {}
        }
        let (before, block) = self.text_before_cursor();
        if block.len() > MAX_HINT_BLOCK {
            self.hint = None;
            return;
        }
        self.hint = crate::kql::signature::signature_help(&block, before.len()).map(|help| Hint {
            text: help.text,
            active: help.active,
            signature: true,
        });
    }

    /// F3: what the function, aggregate, plugin or tabular operator under the cursor is.
    fn describe(&mut self) {
        let (before, block) = self.text_before_cursor();
        let found = (block.len() <= MAX_HINT_BLOCK)
            .then(|| crate::kql::signature::describe_at(&block, before.len()))
            .flatten();
        match found {
            Some(text) => {
                self.hint = Some(Hint {
                    text,
                    active: None,
                    signature: false,
                })
            }
            None => {
                self.hint = None;
                self.message = Some((
                    "F3 describes a function or an operator: put the cursor on its name".into(),
                    Tone::Info,
                ));
            }
        }
    }

    /// The text of the query block under the cursor up to the cursor, and the whole block.
    fn text_before_cursor(&self) -> (String, String) {
        // The block of non-blank lines around the cursor's line (from the cursor's line down
        // when that line is blank: a new query starts there).
        let lines = self.editor.lines();
        let (row, col) = (self.editor.cursor().0, self.editor.cursor().1);
        let row = row.min(lines.len().saturating_sub(1));
        let (start, end) = block_rows(lines, row);
        let mut before = lines[start..row].join("\n");
        if row > start {
            before.push('\n');
        }
        before.extend(lines[row].chars().take(col));
        (before, lines[start..=end].join("\n"))
    }

    /// Ctrl+Space: the candidates for the word at the cursor. One candidate is put in at once
    /// (when `explicit`); several open the popup; none says so.
    fn open_completion(&mut self, explicit: bool) {
        let (before, block) = self.text_before_cursor();
        let items = crate::kql::completion::candidates(
            &block,
            before.len(),
            &self.schema,
            &self.recent_completions,
        );
        match items.len() {
            0 if explicit => {
                self.completion = None;
                if !self.ask_values(&block, before.len()) {
                    self.message = Some(("nothing to complete here".into(), Tone::Info));
                }
            }
            0 => self.completion = None,
            1 if explicit => {
                self.completion = None;
                self.accept_completion(&items[0], None);
            }
            _ => {
                let (selected, auto) = self.completion.as_ref().map_or((0, !explicit), |c| {
                    (c.selected.min(items.len() - 1), c.auto && !explicit)
                });
                self.completion = Some(Completion {
                    items,
                    selected,
                    auto,
                    replaces: None,
                });
                // A note of an earlier action ("nothing to complete here") is stale now.
                if matches!(self.message, Some((_, Tone::Info))) {
                    self.message = None;
                }
            }
        }
    }

    /// Inside a string compared with a column: asks the worker for that column's values in the
    /// last result (they arrive as `Event::Frequencies`). False when there is no such slot.
    fn ask_values(&mut self, block: &str, offset: usize) -> bool {
        let Some(slot) = crate::kql::completion::value_slot(block, offset) else {
            return false;
        };
        let column = self.grid.result.as_ref().and_then(|result| {
            (0..result.column_count())
                .find(|&c| result.column_name(c) == slot.column)
                .map(|c| (result.clone(), c))
        });
        let Some((result, column)) = column else {
            self.message = Some((
                format!(
                    "no values to offer: '{}' is not a column of the last result",
                    slot.column
                ),
                Tone::Info,
            ));
            return true;
        };
        let id = self.next_id;
        self.next_id += 1;
        if self
            .worker
            .send(Command::Frequencies { id, result, column })
        {
            self.pending_values = Some(PendingValues { id, slot });
        }
        true
    }

    /// The column's values arrived: the ones holding what was typed, most frequent first.
    fn show_values(
        &mut self,
        slot: crate::kql::completion::ValueSlot,
        values: &crate::results::frequency::Frequencies,
    ) {
        let typed = slot.typed.to_lowercase();
        let mut items: Vec<(bool, Candidate)> = values
            .values
            .iter()
            .filter_map(|(value, count)| {
                let value = value.as_ref()?;
                let lower = value.to_lowercase();
                if !lower.contains(&typed) {
                    return None;
                }
                Some((
                    !lower.starts_with(&typed),
                    Candidate {
                        text: value.clone(),
                        insert: slot.insertion(value),
                        kind: crate::kql::completion::Kind::Value,
                        detail: format!("{count} rows"),
                    },
                ))
            })
            .take(MAX_VALUE_CANDIDATES * 4)
            .collect();
        // Values that start with what was typed first; the sort is stable (by count within).
        items.sort_by_key(|(later, _)| *later);
        let items: Vec<Candidate> = items
            .into_iter()
            .map(|(_, c)| c)
            .take(MAX_VALUE_CANDIDATES)
            .collect();
        if items.is_empty() {
            self.message = Some((
                format!(
                    "no value of '{}' in the last result holds that",
                    slot.column
                ),
                Tone::Info,
            ));
            return;
        }
        self.completion = Some(Completion {
            items,
            selected: 0,
            auto: false,
            replaces: Some(slot.typed.chars().count()),
        });
    }

    /// Replaces the word at the cursor (or the `replaces` characters before it) with the
    /// candidate (quoted as it needs), remembers it as recently used, and opens signature help
    /// after a function's `(`.
    fn accept_completion(&mut self, chosen: &Candidate, replaces: Option<usize>) {
        let text = chosen.insert.as_str();
        self.recent_completions.retain(|r| *r != chosen.text);
        self.recent_completions.insert(0, chosen.text.clone());
        self.recent_completions.truncate(MAX_RECENT_COMPLETIONS);
        let (before, _) = self.text_before_cursor();
        let start = crate::kql::completion::word_start(&before);
        let (row, col) = (self.editor.cursor().0, self.editor.cursor().1);
        // The word never reaches past the start of the cursor's line.
        let typed = replaces
            .unwrap_or_else(|| before[start..].chars().count())
            .min(col);
        self.editor.cancel_selection();
        self.editor.move_cursor(tui_textarea::CursorMove::Jump(
            row.min(u16::MAX as usize) as u16,
            col.saturating_sub(typed).min(u16::MAX as usize) as u16,
        ));
        let deleted = self.editor.delete_str(typed);
        let inserted = self.editor.insert_str(text);
        self.groups.record(
            u8::from(deleted) + u8::from(inserted),
            self.editor.max_histories(),
        );
        self.edited(row);
        if text.ends_with('(') {
            self.follow_signature(KeyEvent::new(KeyCode::Char('('), KeyModifiers::NONE));
        }
    }

    /// A key while the completion popup is open; returns whether it was the popup's.
    fn completion_key(&mut self, key: KeyEvent) -> bool {
        let Some(completion) = self.completion.as_mut() else {
            return false;
        };
        let count = completion.items.len();
        // Once the list is used, Enter takes the chosen candidate, as the title says.
        if matches!(
            key.code,
            KeyCode::Up | KeyCode::Down | KeyCode::PageUp | KeyCode::PageDown
        ) {
            completion.auto = false;
        }
        match key.code {
            KeyCode::Up => completion.selected = completion.selected.saturating_sub(1),
            KeyCode::Down => completion.selected = (completion.selected + 1).min(count - 1),
            KeyCode::PageUp => completion.selected = completion.selected.saturating_sub(8),
            KeyCode::PageDown => completion.selected = (completion.selected + 8).min(count - 1),
            KeyCode::Enter if completion.auto => {
                self.completion = None;
                return false;
            }
            KeyCode::Enter | KeyCode::Tab => {
                let chosen = completion.items[completion.selected].clone();
                let replaces = completion.replaces;
                self.completion = None;
                self.accept_completion(&chosen, replaces);
            }
            KeyCode::Esc => self.completion = None,
            // Typing goes on into the text and narrows the list; anything else closes it.
            // (Alt+letter is a command, Alt+N a new tab: never typed into the text.)
            KeyCode::Char(ch)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                    && (ch.is_alphanumeric() || ch == '_' || ch == '-') =>
            {
                self.editor_input(key);
                self.open_completion(false);
            }
            KeyCode::Backspace => {
                self.editor_input(key);
                self.open_completion(false);
            }
            _ => {
                self.completion = None;
                return false;
            }
        }
        true
    }

    /// A key for the editor's own handling (typing, moving), with the bookkeeping of an edit.
    fn editor_input(&mut self, key: KeyEvent) {
        let before = self.change_row();
        if self.editor.input(key) {
            let after = self.editor.cursor().0;
            self.edited(before.min(after));
            self.groups.record(1, self.editor.max_histories());
        }
    }

    /// The rows a line-wise command works on: the selection's, or the cursor's.
    fn selected_rows(&self) -> (usize, usize) {
        match self.editor.selection_range() {
            // A selection that ends at the start of a line does not take that line.
            Some(((r1, _), (r2, c2))) if r2 > r1 && c2 == 0 => (r1, r2 - 1),
            Some(((r1, _), (r2, _))) => (r1, r2),
            None => (self.editor.cursor().0, self.editor.cursor().0),
        }
    }

    /// Ctrl+/: comments the selected lines out with `// `, or, when every one of them is a
    /// comment already, takes the marks away. One undo step.
    fn toggle_comment(&mut self) {
        let (first, last) = self.selected_rows();
        let mut lines: Vec<String> = self.editor.lines().to_vec();
        let last = last.min(lines.len().saturating_sub(1));
        let chosen = first..=last;
        let all_comments = lines[chosen.clone()]
            .iter()
            .filter(|l| !l.trim().is_empty())
            .all(|l| l.trim_start().starts_with("//"));
        for line in &mut lines[chosen] {
            if all_comments {
                let indent = line.len() - line.trim_start().len();
                let rest = &line[indent..];
                let rest = rest
                    .strip_prefix("// ")
                    .or_else(|| rest.strip_prefix("//"))
                    .unwrap_or(rest);
                *line = format!("{}{rest}", &line[..indent]);
            } else if !line.trim().is_empty() {
                line.insert_str(0, "// ");
            }
        }
        let cursor = self.editor.cursor();
        self.replace_buffer(&lines.join("\n"), (cursor.0, cursor.1));
        self.edited(first);
    }

    /// Alt+Shift+F: formats the query block under the cursor (`kql::format`), replacing just
    /// that block's lines as one undo step. A block with a syntax error is left as it is and
    /// the error shown in the status line, at its line and column in the editor.
    fn format_block(&mut self) {
        let lines: Vec<String> = self.editor.lines().to_vec();
        let (row, col) = (self.editor.cursor().0, self.editor.cursor().1);
        let row = row.min(lines.len().saturating_sub(1));
        if lines.get(row).is_none_or(|l| l.trim().is_empty()) {
            self.message = Some((
                "no query block under the cursor to format".into(),
                Tone::Info,
            ));
            return;
        }
        let (start, end) = block_rows(&lines, row);
        let block = lines[start..=end].join("\n");
        let formatted = match crate::kql::format::format(&block) {
            Ok(formatted) => formatted,
            Err(crate::kql::format::FormatError::Syntax {
                position,
                diagnostic,
            }) => {
                self.message = Some((
                    format!(
                        "not formatted: {}:{}: {}",
                        position.line + start,
                        position.col,
                        diagnostic.message
                    ),
                    Tone::Error,
                ));
                return;
            }
            Err(e) => {
                self.message = Some((format!("not formatted: {e}"), Tone::Error));
                return;
            }
        };
        if formatted == block {
            self.message = Some(("the query is formatted already".into(), Tone::Info));
            return;
        }
        let new_block: Vec<&str> = formatted.lines().collect();
        let mut text: Vec<&str> = lines[..start].iter().map(String::as_str).collect();
        text.extend(&new_block);
        text.extend(lines[end + 1..].iter().map(String::as_str));
        // The cursor stays on its line of the block (or the block's last line), clamped.
        let new_row = start + (row - start).min(new_block.len().saturating_sub(1));
        let new_col = col.min(new_block[new_row - start].chars().count());
        self.replace_buffer(&text.join("\n"), (new_row, new_col));
        self.edited(start);
        self.message = Some(("formatted the query (Ctrl+Z undoes)".into(), Tone::Info));
    }

    /// Ctrl+D: a copy of the cursor's line below it, the cursor moving onto the copy.
    fn duplicate_line(&mut self) {
        let tui_textarea::DataCursor(row, col) = self.editor.cursor();
        let Some(line) = self.editor.lines().get(row).cloned() else {
            return;
        };
        self.editor.cancel_selection();
        self.editor.move_cursor(tui_textarea::CursorMove::End);
        self.editor.insert_str(format!("\n{line}"));
        self.editor.move_cursor(tui_textarea::CursorMove::Jump(
            (row + 1).min(u16::MAX as usize) as u16,
            col.min(u16::MAX as usize) as u16,
        ));
        self.groups.record(1, self.editor.max_histories());
        self.edited(row);
    }

    /// Replaces the whole buffer with `text` as one undo step (the editor's select-all and
    /// insert, undone together) and puts the cursor back at `cursor`.
    fn replace_buffer(&mut self, text: &str, cursor: (usize, usize)) {
        let steps = u8::from(!self.text().is_empty()) + u8::from(!text.is_empty());
        select_everything(&mut self.editor);
        self.editor.insert_str(text);
        self.editor.move_cursor(tui_textarea::CursorMove::Jump(
            cursor.0.min(u16::MAX as usize) as u16,
            cursor.1.min(u16::MAX as usize) as u16,
        ));
        self.groups.record(steps, self.editor.max_histories());
    }

    /// Moves focus `step` panes on, in the order of `PANES`.
    fn cycle_focus(&mut self, step: usize) {
        let at = PANES.iter().position(|p| *p == self.focus).unwrap_or(0);
        self.set_focus(PANES[(at + step) % PANES.len()]);
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
            KeyCode::Home => self.grid.column_edge(false),
            KeyCode::End => self.grid.column_edge(true),
            KeyCode::Char('g') => self.grid.row = 0,
            KeyCode::Char('G') => self.grid.row = self.grid.rows().saturating_sub(1),
            KeyCode::Char('s') => self.request_sort(false),
            KeyCode::Char('S') => self.request_sort(true),
            KeyCode::Char('v') => self.toggle_chart(),
            KeyCode::Enter if self.grid.rows() > 0 => {
                self.inspector = Some(Inspector {
                    position: self.grid.row,
                    scroll: 0,
                })
            }
            KeyCode::Char('/') if self.grid.result.is_some() => {
                let needle = self
                    .grid
                    .search
                    .as_ref()
                    .map(|s| s.needle.clone())
                    .unwrap_or_default();
                self.search_origin = (self.grid.row, self.grid.column);
                self.open_prompt(PromptKind::Search, &needle);
            }
            KeyCode::Char('n') => self.next_match(true),
            KeyCode::Char('N') => self.next_match(false),
            KeyCode::Esc if self.grid.search.is_some() => {
                self.grid.search = None;
                // "no matches" and the like were about the search.
                self.message = None;
            }
            KeyCode::Char('c') if self.grid.columns() > 0 => {
                self.popup = Some(Popup::Columns {
                    selected: self.grid.column,
                })
            }
            KeyCode::Char('w') => self.grid.resize_column(super::grid::WIDTH_STEP as isize),
            KeyCode::Char('W') => self.grid.resize_column(-(super::grid::WIDTH_STEP as isize)),
            KeyCode::Char('p') => {
                self.grid.pinned = !self.grid.pinned;
                self.message = Some((
                    if self.grid.pinned {
                        "the first column stays in place"
                    } else {
                        "the first column scrolls"
                    }
                    .into(),
                    Tone::Info,
                ));
            }
            KeyCode::Char('=') => self.filter_on_cell(false),
            KeyCode::Char('!') => self.filter_on_cell(true),
            KeyCode::Char('f') if self.grid.columns() > 0 => self.open_frequencies(),
            KeyCode::Char('y') => self.copy(false),
            KeyCode::Char('Y') => self.copy(true),
            KeyCode::Char('e') if self.grid.result.is_some() => {
                let name = format!("hunt-{}.csv", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
                // The name is a suggestion: a path typed over it replaces it.
                self.open_prompt_with(
                    PromptKind::Export,
                    super::prompt::LineInput::suggested(&name),
                );
            }
            _ => {}
        }
    }

    /// `=` / `!`: appends `| where Col == value` (or `!=`) for the cell under the cursor to the
    /// query block the cursor is in.
    fn filter_on_cell(&mut self, negate: bool) {
        let Some(result) = self.grid.result.clone() else {
            return;
        };
        if self.grid.rows() == 0 || self.grid.column >= result.column_count() {
            return;
        }
        let row = self.grid.source_row(self.grid.row);
        let clause = crate::results::filter::where_clause(&result, row, self.grid.column, negate);
        self.append_clause(&clause);
    }

    /// The frequencies popup's Enter: the worker finds a row holding `value` and builds the
    /// line from it (typed as the cell is).
    fn filter_on_value(&mut self, column: usize, value: Option<String>, negate: bool) {
        let Some(result) = self.grid.result.clone() else {
            return;
        };
        let id = self.next_id;
        self.next_id += 1;
        if self.worker.send(Command::ValueFilter {
            id,
            result,
            column,
            value,
            negate,
        }) {
            self.pending_filter = Some(id);
        }
    }

    /// Adds a `| where …` line at the end of the query block under the cursor (before a
    /// closing `render`, which must stay last), and says F5 runs it.
    fn append_clause(&mut self, clause: &str) {
        let (text, (start_row, start_col)) = self.query_under_cursor();
        // A closing `render` must stay last (wherever it is on its line): the line goes in
        // front of its `|`.
        let (query, _) = crate::kql::parse(&text);
        let render_pipe = query
            .body
            .as_ref()
            .and_then(|body| body.operators.last())
            .filter(|op| matches!(op.kind, crate::kql::ast::OperatorKind::Render(_)))
            .map(|op| {
                let before = text[..op.span.start.min(text.len())].trim_end();
                match before.strip_suffix('|') {
                    Some(rest) => rest.len(),
                    None => op.span.start,
                }
            });
        self.editor.cancel_selection();
        let changed_row = match render_pipe {
            Some(offset) => {
                let at = line_col(&text, offset);
                let row = start_row + at.line - 1;
                let col = if at.line == 1 { start_col } else { 0 } + at.col - 1;
                self.editor.move_cursor(tui_textarea::CursorMove::Jump(
                    row.min(u16::MAX as usize) as u16,
                    col.min(u16::MAX as usize) as u16,
                ));
                // The filter goes on a line of its own, where it can be seen: `… | top 6 by n
                // | render x` becomes `… | top 6 by n`, `| where …`, `| render x`.
                if col == 0 {
                    self.editor.insert_str(format!("{clause}\n"));
                } else {
                    let line = self.editor.lines()[row].clone();
                    let spaces = line
                        .chars()
                        .take(col)
                        .collect::<Vec<_>>()
                        .iter()
                        .rev()
                        .take_while(|c| **c == ' ')
                        .count();
                    // The spaces before the `|` would end the line: they go.
                    for _ in 0..spaces {
                        self.editor.delete_char();
                    }
                    self.editor.insert_str(format!("\n{clause}\n"));
                }
                row
            }
            None => {
                let end = (start_row + text.split('\n').count().saturating_sub(1))
                    .min(self.editor.lines().len().saturating_sub(1));
                self.editor.move_cursor(tui_textarea::CursorMove::Jump(
                    end.min(u16::MAX as usize) as u16,
                    0,
                ));
                self.editor.move_cursor(tui_textarea::CursorMove::End);
                self.editor.insert_str(format!("\n{clause}"));
                end
            }
        };
        self.groups.record(1, self.editor.max_histories());
        self.edited(changed_row);
        self.message = Some((format!("added `{clause}`: F5 runs it"), Tone::Info));
    }

    /// `f`: asks the worker for the value frequencies of the cursor's column.
    fn open_frequencies(&mut self) {
        let Some(result) = self.grid.result.clone() else {
            return;
        };
        let column = self.grid.column;
        let id = self.next_id;
        self.next_id += 1;
        if self
            .worker
            .send(Command::Frequencies { id, result, column })
        {
            self.popup = Some(Popup::Frequencies {
                column,
                pending: Some(id),
                data: None,
                selected: 0,
            });
        }
    }

    fn open_prompt(&mut self, kind: PromptKind, text: &str) {
        self.open_prompt_with(kind, super::prompt::LineInput::new(text));
    }

    fn open_prompt_with(&mut self, kind: PromptKind, input: super::prompt::LineInput) {
        self.prompt = Some(Prompt {
            kind,
            input,
            spreadsheet_safe: false,
            error: None,
        });
    }

    /// Whether the search prompt is open (the grid draws it on its last line).
    pub fn prompt_is_search(&self) -> bool {
        matches!(
            self.prompt,
            Some(Prompt {
                kind: PromptKind::Search,
                ..
            })
        )
    }

    fn prompt_key(&mut self, key: KeyEvent) {
        let Some(prompt) = self.prompt.as_mut() else {
            return;
        };
        if prompt.kind == PromptKind::Overwrite {
            self.prompt = None;
            let pending = self.pending_export.take();
            match (key.code, pending) {
                (KeyCode::Char('y' | 'Y'), Some((result, format, path))) => {
                    self.message = Some((format!("exporting to {}…", path.display()), Tone::Info));
                    self.worker.send(Command::Export {
                        result,
                        format,
                        path,
                        overwrite: true,
                    });
                }
                (_, Some((_, _, path))) => {
                    self.safe_exports.remove(&path);
                    self.message = Some(("the file is kept; nothing exported".into(), Tone::Info));
                }
                (_, None) => {}
            }
            return;
        }
        if prompt.kind == PromptKind::Export && key.code == KeyCode::Tab {
            prompt.spreadsheet_safe = !prompt.spreadsheet_safe;
            return;
        }
        let outcome = prompt.input.key(key);
        if outcome == LineOutcome::Edited {
            prompt.error = None;
        }
        let kind = prompt.kind;
        let spreadsheet_safe = prompt.spreadsheet_safe;
        let text = prompt.input.text();
        match (kind, outcome) {
            (_, LineOutcome::Unchanged) => {}
            (PromptKind::Search, LineOutcome::Edited) => self.start_search(text),
            (PromptKind::Search, LineOutcome::Submit) => {
                self.prompt = None;
                // Enter keeps the match the typing landed on (n goes on from there).
                if text.is_empty() {
                    self.grid.search = None;
                }
            }
            (PromptKind::Search, LineOutcome::Cancel) => {
                self.prompt = None;
                self.grid.search = None;
            }
            (_, LineOutcome::Edited) => {}
            (_, LineOutcome::Cancel) => self.prompt = None,
            (PromptKind::Export, LineOutcome::Submit) => {
                self.prompt = None;
                self.export(&text, spreadsheet_safe);
            }
            // Answered by its first key, above.
            (PromptKind::Overwrite, LineOutcome::Submit) => {}
            (PromptKind::Window, LineOutcome::Submit) => {
                let text = text.trim().to_string();
                match self.set_window((!text.is_empty()).then_some(text)) {
                    Ok(()) => {
                        self.prompt = None;
                        self.message = Some((format!("time window: {}", self.window), Tone::Info));
                    }
                    // The prompt stays open with the text and says why, so it can be fixed.
                    Err(e) => {
                        if let Some(prompt) = &mut self.prompt {
                            prompt.error = Some(e);
                        }
                    }
                }
            }
        }
    }

    /// Pasted text goes to an open prompt, or else into the editor.
    pub fn paste(&mut self, text: &str) {
        if self.sidebar.popup.is_some() {
            return self.popup_paste(text);
        }
        if let Some(prompt) = &mut self.prompt {
            prompt.input.paste(text);
            if prompt.kind == PromptKind::Search {
                let needle = prompt.input.text();
                self.start_search(needle);
            }
            return;
        }
        self.paste_into_editor(text);
    }

    /// Asks the worker for every cell that holds `needle`; the grid shows the search as
    /// pending until the matches arrive.
    /// `from`: the cell a typed search lands from (its first match at or after it); `None` for
    /// a search found again after a sort, which goes on from the cursor.
    fn start_search(&mut self, needle: String) {
        let from = self.prompt_is_search().then_some(self.search_origin);
        self.start_search_from(needle, from);
    }

    fn start_search_from(&mut self, needle: String, from: Option<(usize, usize)>) {
        let Some(result) = self.grid.result.clone() else {
            return;
        };
        if needle.is_empty() {
            self.grid.search = None;
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        let order = self.grid.order.clone();
        if self.worker.send(Command::Search {
            id,
            result,
            order,
            needle: needle.clone(),
        }) {
            self.grid.search = Some(super::grid::Search {
                needle,
                pending: Some(id),
                matches: Arc::new(Vec::new()),
                current: None,
                from,
            });
        }
    }

    fn next_match(&mut self, forward: bool) {
        match &self.grid.search {
            None => {
                self.message = Some(("/ starts a search".into(), Tone::Info));
            }
            Some(search) if search.pending.is_some() => {}
            Some(_) => {
                if !self.grid.jump_to_match(forward) {
                    self.message = Some(("no matches".into(), Tone::Info));
                }
            }
        }
    }

    /// The line under the grid while searching: the prompt (or the search text) and how many
    /// cells match.
    pub fn search_line(&self, width: usize) -> Line<'static> {
        let label = "/";
        let (text, cursor) = match &self.prompt {
            Some(prompt) if prompt.kind == PromptKind::Search => {
                let (text, cursor) = prompt.input.view(width.saturating_sub(24).max(8));
                (text, Some(cursor))
            }
            _ => (
                self.grid
                    .search
                    .as_ref()
                    .map(|s| crate::results::safe::sanitize(&s.needle).text)
                    .unwrap_or_default(),
                None,
            ),
        };
        let count = match &self.grid.search {
            None => String::new(),
            Some(search) if search.pending.is_some() => "  searching…".into(),
            Some(search) if search.matches.is_empty() => "  no matches".into(),
            Some(search) => match search.current {
                Some(index) => format!(
                    "  match {}/{} · n/N",
                    index + 1,
                    super::grid::group_digits(search.matches.len())
                ),
                None => format!(
                    "  {} matches · n/N",
                    super::grid::group_digits(search.matches.len())
                ),
            },
        };
        let _ = cursor;
        Line::from(vec![
            Span::styled(label, self.theme.ui("header")),
            Span::raw(text),
            Span::styled(count, self.theme.ui("status")),
        ])
    }

    /// `y` / `Y`: the cell's raw value, or the row as JSON, to the terminal's clipboard.
    fn copy(&mut self, row: bool) {
        let Some(result) = self.grid.result.clone() else {
            return;
        };
        if self.grid.rows() == 0 || self.grid.column >= result.column_count() {
            return;
        }
        let source = self.grid.source_row(self.grid.row);
        let (text, what) = if row {
            (crate::results::export::row_json(&result, source), "row")
        } else {
            match result.cell_text(source, self.grid.column) {
                Some(text) => (text, "cell"),
                None => {
                    self.message = Some(("the cell is null: nothing copied".into(), Tone::Info));
                    return;
                }
            }
        };
        match clipboard::osc52(&text, self.multiplexer) {
            Ok(bytes) => {
                self.terminal_output = Some(bytes);
                // What the terminal (or tmux) needs for the copy to land.
                let needs = match self.multiplexer {
                    Multiplexer::Tmux => "tmux needs `set -g set-clipboard on`",
                    Multiplexer::Screen => "screen passes it to the terminal, which must allow it",
                    Multiplexer::None => "the terminal must allow it",
                };
                self.message = Some((
                    format!(
                        "copied the {what} ({} bytes) by OSC 52; {needs}",
                        text.len()
                    ),
                    Tone::Info,
                ));
            }
            Err(clipboard::CopyError::TooLarge(size)) => {
                self.message = Some((
                    format!(
                        "the {what} is {size} bytes, over the {} the clipboard takes; e exports it",
                        clipboard::MAX_COPY_BYTES
                    ),
                    Tone::Error,
                ));
            }
        }
    }

    /// Sends every row of the result to a file; the format comes from the extension.
    fn export(&mut self, typed: &str, spreadsheet_safe: bool) {
        let Some(result) = self.grid.result.clone() else {
            return;
        };
        let typed = typed.trim();
        let path = match typed.strip_prefix("~/") {
            Some(rest) => match std::env::var_os("HOME") {
                Some(home) => PathBuf::from(home).join(rest),
                None => PathBuf::from(typed),
            },
            None => PathBuf::from(typed),
        };
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let format = match crate::results::export::ExportFormat::from_name(&extension) {
            Some(crate::results::export::ExportFormat::Csv) if spreadsheet_safe => {
                Some(crate::results::export::ExportFormat::CsvSpreadsheetSafe)
            }
            Some(crate::results::export::ExportFormat::Table) => None,
            other => other,
        };
        let Some(format) = format else {
            self.message = Some((
                "the file name must end in .csv, .json, .jsonl or .parquet".into(),
                Tone::Error,
            ));
            return;
        };
        if format == crate::results::export::ExportFormat::CsvSpreadsheetSafe {
            self.safe_exports.insert(path.clone());
        }
        let note = if format == crate::results::export::ExportFormat::CsvSpreadsheetSafe {
            " (spreadsheet-safe: cells starting with = + - @ tab or CR get a leading ')"
        } else {
            ""
        };
        self.message = Some((
            format!("exporting to {}{note}…", path.display()),
            Tone::Info,
        ));
        self.worker.send(Command::Export {
            result,
            format,
            path,
            overwrite: false,
        });
    }

    fn popup_key(&mut self, key: KeyEvent) {
        let Some(popup) = self.popup.clone() else {
            return;
        };
        let closes = matches!(key.code, KeyCode::Esc | KeyCode::Char('q'));
        match popup {
            Popup::Columns { selected } => {
                let count = self.grid.columns();
                match key.code {
                    _ if closes || key.code == KeyCode::Char('c') => {
                        self.popup = None;
                        self.grid.settle_cursor();
                    }
                    KeyCode::Up | KeyCode::Char('k') => {
                        self.popup = Some(Popup::Columns {
                            selected: selected.saturating_sub(1),
                        })
                    }
                    KeyCode::Down | KeyCode::Char('j') => {
                        self.popup = Some(Popup::Columns {
                            selected: (selected + 1).min(count.saturating_sub(1)),
                        })
                    }
                    KeyCode::Char(' ') | KeyCode::Enter => {
                        let shown = self.grid.hidden.iter().filter(|h| !**h).count();
                        if let Some(hidden) = self.grid.hidden.get_mut(selected) {
                            if !*hidden && shown == 1 {
                                self.message = Some(("one column stays shown".into(), Tone::Info));
                            } else {
                                *hidden = !*hidden;
                            }
                        }
                    }
                    KeyCode::Char('a') => self.grid.hidden.iter_mut().for_each(|h| *h = false),
                    _ => {}
                }
            }
            Popup::Window { selected } => match key.code {
                _ if closes => self.popup = None,
                KeyCode::Up | KeyCode::Char('k') => {
                    self.popup = Some(Popup::Window {
                        selected: selected.saturating_sub(1),
                    })
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    self.popup = Some(Popup::Window {
                        selected: (selected + 1).min(WINDOWS.len() - 1),
                    })
                }
                KeyCode::Home | KeyCode::Char('g') => {
                    self.popup = Some(Popup::Window { selected: 0 })
                }
                KeyCode::End | KeyCode::Char('G') => {
                    self.popup = Some(Popup::Window {
                        selected: WINDOWS.len() - 1,
                    })
                }
                KeyCode::Enter => {
                    self.popup = None;
                    let (timespan, _) = WINDOWS[selected.min(WINDOWS.len() - 1)];
                    if timespan.is_empty() {
                        let current = self.timespan.clone().unwrap_or_default();
                        self.open_prompt(PromptKind::Window, &current);
                    } else if let Err(e) = self.set_window(Some(timespan.to_string())) {
                        self.message = Some((e, Tone::Error));
                    } else {
                        self.message = Some((format!("time window: {}", self.window), Tone::Info));
                    }
                }
                _ => {}
            },
            Popup::Frequencies {
                column,
                pending,
                data,
                selected,
            } => {
                let count = data.as_ref().map_or(0, |d| d.values.len());
                let page = self.grid.page.max(1);
                let selected = match key.code {
                    _ if closes || key.code == KeyCode::Char('f') => {
                        self.popup = None;
                        return;
                    }
                    KeyCode::Enter | KeyCode::Char('=' | '!') => {
                        if let Some(data) = &data
                            && let Some((value, _)) = data.values.get(selected)
                        {
                            self.filter_on_value(
                                column,
                                value.clone(),
                                key.code == KeyCode::Char('!'),
                            );
                            self.popup = None;
                        }
                        return;
                    }
                    KeyCode::Up | KeyCode::Char('k') => selected.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => selected + 1,
                    KeyCode::PageUp => selected.saturating_sub(page),
                    KeyCode::PageDown => selected + page,
                    KeyCode::Home | KeyCode::Char('g') => 0,
                    KeyCode::End | KeyCode::Char('G') => count,
                    _ => selected,
                };
                self.popup = Some(Popup::Frequencies {
                    column,
                    pending,
                    data,
                    selected: selected.min(count.saturating_sub(1)),
                });
            }
            Popup::Backend { selected } => match key.code {
                _ if closes => self.popup = None,
                KeyCode::Up | KeyCode::Char('k') => {
                    self.popup = Some(Popup::Backend {
                        selected: selected.saturating_sub(1),
                    })
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    self.popup = Some(Popup::Backend {
                        selected: (selected + 1).min(self.backends.len().saturating_sub(1)),
                    })
                }
                KeyCode::Enter => {
                    self.popup = None;
                    self.switch_backend(selected);
                }
                _ => {}
            },
            Popup::Message { scroll } => {
                let scroll = match key.code {
                    _ if closes || matches!(key.code, KeyCode::Enter | KeyCode::F(2)) => {
                        self.popup = None;
                        return;
                    }
                    KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => scroll + 1,
                    KeyCode::PageUp => scroll.saturating_sub(10),
                    KeyCode::PageDown | KeyCode::Char(' ') => scroll + 10,
                    _ => scroll,
                };
                self.popup = Some(Popup::Message { scroll });
            }
        }
    }

    /// A mouse event: a click focuses the pane under it (and in the grid selects the cell, in
    /// the editor places the cursor); the wheel scrolls the pane under the pointer.
    pub fn handle_mouse(&mut self, mouse: MouseEvent) {
        if self.prompt.is_some() || self.popup.is_some() || self.help || self.inspector.is_some() {
            return;
        }
        let at = ratatui::layout::Position::new(mouse.column, mouse.row);
        let pane = [
            (Focus::Sidebar, self.areas.sidebar),
            (Focus::Editor, self.areas.editor),
            (Focus::Grid, self.areas.grid),
        ]
        .into_iter()
        .find(|(_, area)| area.contains(at))
        .map(|(pane, _)| pane);
        let Some(pane) = pane else {
            return;
        };
        match mouse.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let step: isize = if mouse.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                match pane {
                    Focus::Grid => {
                        self.grid.move_by(step, 0);
                    }
                    Focus::Editor => {
                        let direction = if step > 0 {
                            tui_textarea::CursorMove::Down
                        } else {
                            tui_textarea::CursorMove::Up
                        };
                        for _ in 0..3 {
                            self.editor.move_cursor(direction);
                        }
                    }
                    Focus::Sidebar => {
                        let rows = self.sidebar.rows().len();
                        self.sidebar.selected = (self.sidebar.selected as isize + step)
                            .clamp(0, rows.saturating_sub(1) as isize)
                            as usize;
                    }
                }
            }
            MouseEventKind::Down(MouseButton::Left) => {
                self.set_focus(pane);
                match pane {
                    Focus::Grid => self.click_grid(at),
                    Focus::Editor => self.click_editor(at),
                    Focus::Sidebar => {
                        let (body, top) = self.sidebar.drawn;
                        if body.contains(at) {
                            let row = top + (at.y - body.y) as usize;
                            if row < self.sidebar.rows().len() {
                                self.sidebar.selected = row;
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn click_grid(&mut self, at: ratatui::layout::Position) {
        let drawn = self.grid.drawn.clone();
        if !drawn.body.contains(at) {
            return;
        }
        let row = self.grid.top + (at.y - drawn.body.y) as usize;
        if row < self.grid.rows() {
            self.grid.row = row;
        }
        if let Some((column, ..)) = drawn
            .columns
            .iter()
            .find(|(_, x, width)| at.x >= *x && at.x < x.saturating_add(*width + 1))
        {
            self.grid.column = *column;
        }
    }

    fn click_editor(&mut self, at: ratatui::layout::Position) {
        let area = self.areas.editor;
        // Inside the border.
        if at.y <= area.y || at.x <= area.x {
            return;
        }
        let row = self.editor_top + (at.y - area.y - 1) as usize;
        let Some(line) = self.editor.lines().get(row) else {
            return;
        };
        let target = (at.x - area.x - 1) as usize;
        let mut used = 0;
        let mut col = self.editor_left;
        for (i, ch) in line.chars().skip(self.editor_left).enumerate() {
            let w = super::ui::editor_char_width(ch, i == 0);

            if used + w > target {
                break;
            }
            used += w;
            col += 1;
        }
        self.editor.cancel_selection();
        self.editor.move_cursor(tui_textarea::CursorMove::Jump(
            row.min(u16::MAX as usize) as u16,
            col.min(u16::MAX as usize) as u16,
        ));
    }

    /// `v`: the chart or the rows, when the result has a chart (its query ended in `render`).
    fn toggle_chart(&mut self) {
        if self.chart.is_some() {
            self.show_chart = !self.show_chart;
        } else if self.grid.result.is_some() {
            self.message = Some((
                "no chart: end the query with | render timechart (or columnchart, piechart …)"
                    .into(),
                Tone::Info,
            ));
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

/// Selects the whole text. The editor's own `select_all` jumps to row and column `u16::MAX`, so
/// past 65,535 lines, or on a last line longer than 65,535 characters, it left the rest out (a
/// loaded query or a format then kept a tail of the old text, and Ctrl+A, Delete left one).
fn select_everything(editor: &mut TextArea<'static>) {
    editor.cancel_selection();
    editor.move_cursor(tui_textarea::CursorMove::Top);
    editor.move_cursor(tui_textarea::CursorMove::Head);
    editor.start_selection();
    editor.move_cursor(tui_textarea::CursorMove::Bottom);
    editor.move_cursor(tui_textarea::CursorMove::End);
}
