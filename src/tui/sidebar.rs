//! The sidebar of queries (the bundled library, the user's own, kept drafts, the history) and the
//! popups that manage them: the filter line (`/`), save and new (name, folder), rename, delete
//! with confirmation, and Ctrl+O's fuzzy open. Like the rest of `tui`, nothing here does I/O:
//! files are written by the worker, and what the worker saved comes back as an event.
//!
//! Saved-query names and history text are attacker-controlled where they reach the screen (a
//! shared query file, a pasted query): every one goes through `results::safe` when drawn.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthChar;

use super::app::{App, Focus, Tone};
use crate::results::RunFacts;
use crate::results::safe::{display_width, fit, sanitize};
use crate::store::queries::header_name;
use crate::store::{
    DRAFTS_FOLDER, HISTORY_FOLDER, HistoryEntry, Origin, RunStatus, SavedQuery, USER_FOLDER,
    with_title,
};
use crate::worker::Command;

/// The longest name or folder the prompt takes, in characters.
const MAX_NAME_CHARS: usize = 120;

/// One row of the sidebar: a folder, or a query (an index into `Sidebar::queries`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SidebarRow {
    Folder { name: String, open: bool },
    Query(usize),
}

/// The filter line at the top of the sidebar: queries whose name, folder or text contains it
/// (ignoring case) are listed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub text: String,
    /// Keys type into the filter (after `/`, until Enter or Esc).
    pub editing: bool,
}

/// What a name prompt is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptPurpose {
    /// Ctrl+S: save the editor text as a new query of the user's.
    Save,
    /// `n`: a new, empty query of the user's, loaded into the editor.
    New,
    /// `R`: rename this query of the user's (its file).
    Rename(PathBuf),
}

/// The name-and-folder popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub purpose: PromptPurpose,
    pub name: String,
    /// One folder level under "My queries"; empty for the top.
    pub folder: String,
    /// 0: name, 1: folder.
    pub field: usize,
    /// Why Enter did not save (no name yet).
    pub problem: Option<String>,
}

/// Ctrl+O: the saved queries whose folder and title match `pattern` as a subsequence, best first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuzzyOpen {
    pub pattern: String,
    /// Indexes into `Sidebar::queries`, best match first (history entries last).
    pub matches: Vec<usize>,
    /// Position in `matches`.
    pub selected: usize,
}

/// A popup over the screen; it takes every key (but Ctrl+Q) while it is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    Prompt(Prompt),
    /// Asks before deleting this query (of the user's) or history entry: `y` deletes.
    Confirm(SavedQuery),
    Open(FuzzyOpen),
}

/// The user's saved query the editor holds: Ctrl+S writes over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedAs {
    pub name: String,
    /// Its file; `None` while the worker is still saving it for the first time.
    pub path: Option<PathBuf>,
}

/// What a selected row was, to find it again after the list changes.
#[derive(Debug, Clone, PartialEq)]
enum RowKey {
    Folder(String),
    Query(SavedQuery),
}

/// The sidebar's state: the listed queries, which folders are closed, the selection, the
/// filter line, an open popup, and the user's query the editor holds.
pub struct Sidebar {
    /// Every listed query in sidebar order: bundled folders, the user's, Drafts, History
    /// (drafts and history newest first).
    pub queries: Vec<SavedQuery>,
    closed: HashSet<String>,
    /// The selected row (of `rows()`).
    pub selected: usize,
    pub filter: Option<Filter>,
    pub popup: Option<Popup>,
    pub saved_as: Option<SavedAs>,
    /// How many history entries the list keeps (the config file's `history_size`).
    pub history_size: usize,
    /// Where the last frame drew the rows and which row came first, for the mouse.
    pub drawn: (Rect, usize),
}

impl Sidebar {
    /// A sidebar listing `queries` (in sidebar order), every folder open, the first row selected.
    pub fn new(queries: Vec<SavedQuery>) -> Sidebar {
        Sidebar {
            queries,
            closed: HashSet::new(),
            selected: 0,
            filter: None,
            popup: None,
            saved_as: None,
            history_size: crate::store::DEFAULT_HISTORY_SIZE,
            drawn: (Rect::default(), 0),
        }
    }

    /// The visible rows: each folder, then its queries unless it is closed. With a filter, only
    /// the matching queries and their folders, all open.
    pub fn rows(&self) -> Vec<SidebarRow> {
        let needle = self
            .filter
            .as_ref()
            .map(|f| f.text.to_lowercase())
            .filter(|t| !t.is_empty());
        let mut rows = Vec::new();
        let mut current: Option<&str> = None;
        for (index, query) in self.queries.iter().enumerate() {
            if let Some(needle) = &needle
                && !matches_filter(query, needle)
            {
                continue;
            }
            let open = needle.is_some() || !self.closed.contains(&query.folder);
            if current != Some(query.folder.as_str()) {
                current = Some(query.folder.as_str());
                rows.push(SidebarRow::Folder {
                    name: query.folder.clone(),
                    open,
                });
            }
            if open {
                rows.push(SidebarRow::Query(index));
            }
        }
        rows
    }

    /// The selected query's index in `queries`, when a query row is selected.
    pub fn selected_query(&self) -> Option<usize> {
        let rows = self.rows();
        match rows.get(self.selected.min(rows.len().saturating_sub(1))) {
            Some(SidebarRow::Query(index)) => Some(*index),
            _ => None,
        }
    }

    /// Lists a kept draft at the top of Drafts (before History).
    pub fn insert_draft(&mut self, draft: SavedQuery) {
        let at = self
            .queries
            .iter()
            .position(|q| q.folder == DRAFTS_FOLDER || matches!(q.origin, Origin::History(_)))
            .unwrap_or(self.queries.len());
        self.keeping_selection(|s| s.queries.insert(at, draft));
    }

    /// Lists a run at the top of History and forgets the oldest beyond `history_size`.
    pub fn insert_history(&mut self, run: SavedQuery) {
        let bound = self.history_size;
        self.keeping_selection(|s| {
            let at = s
                .queries
                .iter()
                .position(|q| matches!(q.origin, Origin::History(_)))
                .unwrap_or(s.queries.len());
            s.queries.insert(at, run);
            let mut seen = 0;
            s.queries.retain(|q| {
                if matches!(q.origin, Origin::History(_)) {
                    seen += 1;
                    seen <= bound
                } else {
                    true
                }
            });
        });
    }

    /// Lists a query the worker saved among the user's (sorted by folder, then title), in place
    /// of the one at `replaced` (a rename or overwrite) and of any listed with the same file.
    /// Returns its index.
    pub fn upsert_user(&mut self, query: SavedQuery, replaced: Option<&Path>) -> usize {
        let path = match &query.origin {
            Origin::User(path) => Some(path.clone()),
            _ => None,
        };
        self.keeping_selection(|s| {
            s.queries.retain(|q| match &q.origin {
                Origin::User(p) => Some(p) != path.as_ref() && Some(p.as_path()) != replaced,
                _ => true,
            });
            let key = (&query.folder, &query.title);
            let at = s
                .queries
                .iter()
                .position(|q| match &q.origin {
                    Origin::Bundled => false,
                    Origin::User(_) => (&q.folder, &q.title) > key,
                    _ => true,
                })
                .unwrap_or(s.queries.len());
            s.queries.insert(at, query.clone());
        });
        self.queries.iter().position(|q| *q == query).unwrap_or(0)
    }

    /// Selects the row of query `index` when it is visible.
    pub fn select_query(&mut self, index: usize) {
        if let Some(row) = self
            .rows()
            .iter()
            .position(|r| *r == SidebarRow::Query(index))
        {
            self.selected = row;
        }
    }

    /// Runs `change` on the list and keeps the same row selected (found again by what it was).
    fn keeping_selection(&mut self, change: impl FnOnce(&mut Sidebar)) {
        let rows = self.rows();
        let key = rows.get(self.selected).map(|row| match row {
            SidebarRow::Folder { name, .. } => RowKey::Folder(name.clone()),
            SidebarRow::Query(index) => RowKey::Query(self.queries[*index].clone()),
        });
        change(self);
        // Ctrl+O's matches are indexes into the list: a run that ends while it is open shifts them.
        if let Some(Popup::Open(open)) = &self.popup {
            let matches = fuzzy_matches(&self.queries, &open.pattern);
            if let Some(Popup::Open(open)) = &mut self.popup {
                open.selected = open.selected.min(matches.len().saturating_sub(1));
                open.matches = matches;
            }
        }
        let Some(key) = key else {
            return;
        };
        let found = self.rows().iter().position(|row| match (row, &key) {
            (SidebarRow::Folder { name, .. }, RowKey::Folder(wanted)) => name == wanted,
            (SidebarRow::Query(index), RowKey::Query(wanted)) => self.queries[*index] == *wanted,
            _ => false,
        });
        if let Some(row) = found {
            self.selected = row;
        }
    }
}

fn matches_filter(query: &SavedQuery, needle: &str) -> bool {
    query.title.to_lowercase().contains(needle)
        || query.folder.to_lowercase().contains(needle)
        || query.text.to_lowercase().contains(needle)
}

/// How well `pattern` matches `candidate` as a subsequence (ignoring case), higher is better;
/// `None` when it does not. Each matched character scores, more when it follows the previous
/// match (consecutive) or starts a word; a longer candidate scores a little less.
pub fn fuzzy_score(pattern: &str, candidate: &str) -> Option<i64> {
    let pattern: Vec<char> = pattern
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let original: Vec<char> = candidate.chars().collect();
    let lower: Vec<char> = original
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    if pattern.is_empty() {
        return Some(0);
    }
    let word_start = |j: usize| {
        j == 0
            || !original[j - 1].is_alphanumeric()
            || (original[j - 1].is_lowercase() && original[j].is_uppercase())
    };
    const NONE: i64 = i64::MIN / 4;
    // best[j]: the best score with the pattern so far matched, its last character at j.
    let mut best: Vec<i64> = vec![NONE; lower.len()];
    for (i, p) in pattern.iter().enumerate() {
        let mut next = vec![NONE; lower.len()];
        // The best of `best[..j-1]`: an earlier match with a gap.
        let mut before = NONE;
        for j in 0..lower.len() {
            if j >= 2 {
                before = before.max(best[j - 2]);
            }
            if lower[j] != *p {
                continue;
            }
            let bonus = 1 + if word_start(j) { 8 } else { 0 };
            let score = if i == 0 {
                bonus
            } else {
                let consecutive = if j >= 1 && best[j - 1] > NONE {
                    best[j - 1] + 6
                } else {
                    NONE
                };
                let gap = if before > NONE { before } else { NONE };
                let prior = consecutive.max(gap);
                if prior == NONE {
                    continue;
                }
                prior + bonus
            };
            next[j] = score;
        }
        best = next;
    }
    let top = best.into_iter().max().filter(|s| *s > NONE)?;
    Some(top - (lower.len() as i64) / 8)
}

/// The queries matching `pattern`, best first; history entries after all others, and equal
/// scores in list order.
pub fn fuzzy_matches(queries: &[SavedQuery], pattern: &str) -> Vec<usize> {
    let mut scored: Vec<(bool, i64, usize)> = queries
        .iter()
        .enumerate()
        .filter_map(|(index, q)| {
            let score = fuzzy_score(pattern, &format!("{} / {}", q.folder, q.title))?;
            Some((matches!(q.origin, Origin::History(_)), -score, index))
        })
        .collect();
    scored.sort();
    scored.into_iter().map(|(_, _, index)| index).collect()
}

/// The part of a sidebar folder after "My queries / " (the folder field of a prompt).
fn user_subfolder(folder: &str) -> String {
    folder
        .strip_prefix(USER_FOLDER)
        .and_then(|rest| rest.strip_prefix(" / "))
        .unwrap_or_default()
        .to_string()
}

fn plain(key: &KeyEvent) -> bool {
    !key.modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

impl App {
    /// Keys while the sidebar has focus.
    pub(super) fn sidebar_key(&mut self, key: KeyEvent) {
        if self.sidebar.filter.as_ref().is_some_and(|f| f.editing) {
            return self.filter_key(key);
        }
        match key.code {
            KeyCode::Char('?') => return self.help = true,
            KeyCode::Char('/') => {
                let text = self.sidebar.filter.take().unwrap_or_default().text;
                self.sidebar.filter = Some(Filter {
                    text,
                    editing: true,
                });
                return;
            }
            KeyCode::Esc if self.sidebar.filter.is_some() => {
                self.sidebar.keeping_selection(|s| s.filter = None);
                return;
            }
            KeyCode::Char('n') => {
                let folder = self
                    .sidebar
                    .selected_query()
                    .map(|i| user_subfolder(&self.sidebar.queries[i].folder))
                    .unwrap_or_default();
                return self.prompt(PromptPurpose::New, String::new(), folder);
            }
            KeyCode::Char('R') => return self.rename_selected(),
            KeyCode::Char('d') | KeyCode::Delete => return self.confirm_delete(),
            _ => {}
        }
        let rows = self.sidebar.rows();
        if rows.is_empty() {
            return;
        }
        let selected = self.sidebar.selected.min(rows.len() - 1);
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.sidebar.selected = selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.sidebar.selected = (selected + 1).min(rows.len() - 1)
            }
            KeyCode::Home | KeyCode::Char('g') => self.sidebar.selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.sidebar.selected = rows.len() - 1,
            KeyCode::Enter
            | KeyCode::Char('r')
            | KeyCode::Left
            | KeyCode::Right
            | KeyCode::Char(' ') => match &rows[selected] {
                SidebarRow::Folder { name, open } => {
                    let toggle = match key.code {
                        KeyCode::Left => *open,
                        KeyCode::Right => !*open,
                        _ => true,
                    };
                    // A filter shows every folder open; opening and closing waits for it to go.
                    if toggle && self.sidebar.filter.is_none() && !self.sidebar.closed.remove(name)
                    {
                        self.sidebar.closed.insert(name.clone());
                    }
                }
                SidebarRow::Query(index)
                    if matches!(key.code, KeyCode::Enter | KeyCode::Char('r')) =>
                {
                    self.load_query(*index, key.code == KeyCode::Char('r'));
                }
                SidebarRow::Query(_) => {}
            },
            _ => {}
        }
    }

    /// Keys while the filter line is being typed.
    fn filter_key(&mut self, key: KeyEvent) {
        let Some(filter) = self.sidebar.filter.as_mut() else {
            return;
        };
        match key.code {
            KeyCode::Esc => {
                self.sidebar.keeping_selection(|s| s.filter = None);
                return;
            }
            KeyCode::Enter => {
                filter.editing = false;
                if filter.text.is_empty() {
                    self.sidebar.filter = None;
                }
                return;
            }
            KeyCode::Up | KeyCode::Down => {
                let last = self.sidebar.rows().len().saturating_sub(1);
                let at = self.sidebar.selected.min(last);
                self.sidebar.selected = if key.code == KeyCode::Up {
                    at.saturating_sub(1)
                } else {
                    (at + 1).min(last)
                };
                return;
            }
            KeyCode::Backspace => {
                filter.text.pop();
            }
            KeyCode::Char(c) if plain(&key) && filter.text.chars().count() < MAX_NAME_CHARS => {
                filter.text.push(c)
            }
            _ => return,
        }
        // The first match is selected, so Enter, Enter loads it.
        let rows = self.sidebar.rows();
        self.sidebar.selected = rows
            .iter()
            .position(|r| matches!(r, SidebarRow::Query(_)))
            .unwrap_or(0);
    }

    /// Loads a listed query into the editor (the text it replaces is kept as a draft), and runs
    /// it when `run`. Ctrl+S then writes over it when it is one of the user's.
    fn load_query(&mut self, index: usize, run: bool) {
        let Some(query) = self.sidebar.queries.get(index).cloned() else {
            return;
        };
        self.set_text(&query.text);
        self.sidebar.saved_as = match &query.origin {
            Origin::User(path) => Some(SavedAs {
                name: query.title.clone(),
                path: Some(path.clone()),
            }),
            _ => None,
        };
        if run {
            self.run_query();
        } else {
            self.focus = Focus::Editor;
        }
    }

    fn prompt(&mut self, purpose: PromptPurpose, name: String, folder: String) {
        self.sidebar.popup = Some(Popup::Prompt(Prompt {
            purpose,
            name,
            folder,
            field: 0,
            problem: None,
        }));
    }

    fn rename_selected(&mut self) {
        let Some(query) = self
            .sidebar
            .selected_query()
            .map(|i| &self.sidebar.queries[i])
        else {
            self.message = Some(("select a query to rename".into(), Tone::Info));
            return;
        };
        match &query.origin {
            Origin::User(path) => {
                let (path, name) = (path.clone(), query.title.clone());
                let folder = user_subfolder(&query.folder);
                self.prompt(PromptPurpose::Rename(path), name, folder);
            }
            Origin::Bundled => {
                self.message = Some((
                    "bundled queries are read-only: load it and save a copy with Ctrl+S".into(),
                    Tone::Info,
                ))
            }
            Origin::Draft | Origin::History(_) => {
                self.message = Some((
                    "only your saved queries have names: load it and save it with Ctrl+S".into(),
                    Tone::Info,
                ))
            }
        }
    }

    fn confirm_delete(&mut self) {
        let Some(query) = self
            .sidebar
            .selected_query()
            .map(|i| &self.sidebar.queries[i])
        else {
            self.message = Some(("select a query to delete".into(), Tone::Info));
            return;
        };
        match &query.origin {
            Origin::User(_) | Origin::History(_) => {
                self.sidebar.popup = Some(Popup::Confirm(query.clone()));
            }
            Origin::Bundled => {
                self.message = Some(("bundled queries are read-only".into(), Tone::Info))
            }
            Origin::Draft => {
                self.message = Some((
                    "kept drafts go by themselves (the newest 30 stay)".into(),
                    Tone::Info,
                ))
            }
        }
    }

    /// Ctrl+S when the editor holds no file from the command line: writes over the user's saved
    /// query the editor holds, or asks for a name and folder for a new one.
    pub(super) fn save_query(&mut self) {
        match &self.sidebar.saved_as {
            Some(SavedAs {
                name,
                path: Some(path),
            }) => {
                let command = Command::SaveQuery {
                    name: name.clone(),
                    folder: String::new(),
                    text: self.text(),
                    path: Some(path.clone()),
                };
                self.worker.send(command);
                self.mark_stored();
            }
            Some(SavedAs { name, path: None }) => {
                self.message = Some((format!("still saving {name}…"), Tone::Info));
            }
            None => self.prompt(PromptPurpose::Save, String::new(), String::new()),
        }
    }

    /// Ctrl+O: the fuzzy-open popup over every listed query.
    pub(super) fn open_fuzzy(&mut self) {
        self.sidebar.popup = Some(Popup::Open(FuzzyOpen {
            pattern: String::new(),
            matches: fuzzy_matches(&self.sidebar.queries, ""),
            selected: 0,
        }));
    }

    /// Keys while a popup is open: all go to it.
    pub(super) fn sidebar_popup_key(&mut self, key: KeyEvent) {
        let Some(popup) = self.sidebar.popup.take() else {
            return;
        };
        self.sidebar.popup = match popup {
            Popup::Prompt(prompt) => self.sidebar_prompt_key(prompt, key),
            Popup::Confirm(query) => {
                if matches!(key.code, KeyCode::Char('y' | 'Y')) {
                    self.delete(&query);
                } else {
                    self.message = Some((format!("kept {}", query.title), Tone::Info));
                }
                None
            }
            Popup::Open(open) => self.open_key(open, key),
        };
    }

    /// Pasted text goes into the popup's field (a name, a pattern) while one is open; line
    /// breaks become spaces.
    pub(super) fn popup_paste(&mut self, text: &str) {
        let text = header_name(text);
        match &mut self.sidebar.popup {
            Some(Popup::Prompt(prompt)) => {
                let field = if prompt.field == 0 {
                    &mut prompt.name
                } else {
                    &mut prompt.folder
                };
                let room = MAX_NAME_CHARS.saturating_sub(field.chars().count());
                field.extend(text.chars().take(room));
            }
            Some(Popup::Open(open)) => {
                open.pattern.extend(text.chars().take(MAX_NAME_CHARS));
                open.matches = fuzzy_matches(&self.sidebar.queries, &open.pattern);
                open.selected = 0;
            }
            _ => {}
        }
    }

    fn sidebar_prompt_key(&mut self, mut prompt: Prompt, key: KeyEvent) -> Option<Popup> {
        match key.code {
            KeyCode::Esc => {
                self.message = Some(("not saved".into(), Tone::Info));
                return None;
            }
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                prompt.field = 1 - prompt.field.min(1)
            }
            KeyCode::Enter => return self.submit(prompt),
            KeyCode::Backspace => {
                if prompt.field == 0 {
                    prompt.name.pop();
                } else {
                    prompt.folder.pop();
                }
            }
            KeyCode::Char(c) if plain(&key) => {
                let field = if prompt.field == 0 {
                    &mut prompt.name
                } else {
                    &mut prompt.folder
                };
                if field.chars().count() < MAX_NAME_CHARS {
                    field.push(c);
                }
                prompt.problem = None;
            }
            _ => {}
        }
        Some(Popup::Prompt(prompt))
    }

    /// Enter in the name prompt: sends the save, new or rename to the worker.
    fn submit(&mut self, mut prompt: Prompt) -> Option<Popup> {
        let name = header_name(&prompt.name);
        if name.is_empty() {
            prompt.problem = Some("type a name".into());
            return Some(Popup::Prompt(prompt));
        }
        let folder = header_name(&prompt.folder);
        match prompt.purpose {
            PromptPurpose::Save => {
                self.worker.send(Command::SaveQuery {
                    name: name.clone(),
                    folder,
                    text: self.text(),
                    path: None,
                });
                self.mark_stored();
            }
            PromptPurpose::New => {
                // A new query starts empty (the editor text it replaces is kept as a draft);
                // saving the editor text is what Ctrl+S does.
                let text = with_title("", &name);
                self.set_text(&text);
                self.editor.move_cursor(tui_textarea::CursorMove::Bottom);
                self.focus = Focus::Editor;
                self.worker.send(Command::SaveQuery {
                    name: name.clone(),
                    folder,
                    text,
                    path: None,
                });
            }
            PromptPurpose::Rename(path) => {
                self.worker
                    .send(Command::RenameQuery { path, name, folder });
                return None;
            }
        }
        self.message = Some((format!("saving {name}…"), Tone::Info));
        self.sidebar.saved_as = Some(SavedAs { name, path: None });
        None
    }

    fn delete(&mut self, query: &SavedQuery) {
        let command = match &query.origin {
            Origin::User(path) => {
                if self
                    .sidebar
                    .saved_as
                    .as_ref()
                    .is_some_and(|s| s.path.as_ref() == Some(path))
                {
                    self.sidebar.saved_as = None;
                }
                Command::DeleteQuery { path: path.clone() }
            }
            Origin::History(entry) => Command::DeleteHistory {
                entry: (**entry).clone(),
            },
            Origin::Bundled | Origin::Draft => return,
        };
        self.sidebar.keeping_selection(|s| {
            if let Some(at) = s.queries.iter().position(|q| q == query) {
                s.queries.remove(at);
            }
        });
        self.worker.send(command);
        self.message = Some((format!("deleted {}", query.title), Tone::Info));
    }

    fn open_key(&mut self, mut open: FuzzyOpen, key: KeyEvent) -> Option<Popup> {
        let last = open.matches.len().saturating_sub(1);
        match key.code {
            KeyCode::Esc => return None,
            KeyCode::Enter => {
                if let Some(index) = open.matches.get(open.selected).copied() {
                    self.load_query(index, false);
                    self.sidebar.select_query(index);
                }
                return None;
            }
            KeyCode::Up => open.selected = open.selected.saturating_sub(1),
            KeyCode::Down => open.selected = (open.selected + 1).min(last),
            KeyCode::PageUp => open.selected = open.selected.saturating_sub(10),
            KeyCode::PageDown => open.selected = (open.selected + 10).min(last),
            KeyCode::Backspace => {
                open.pattern.pop();
                open.matches = fuzzy_matches(&self.sidebar.queries, &open.pattern);
                open.selected = 0;
            }
            KeyCode::Char(c) if plain(&key) && open.pattern.chars().count() < MAX_NAME_CHARS => {
                open.pattern.push(c);
                open.matches = fuzzy_matches(&self.sidebar.queries, &open.pattern);
                open.selected = 0;
            }
            _ => {}
        }
        Some(Popup::Open(open))
    }

    /// Adds the run that just ended to the history: listed at once at the top of History, and
    /// written by the worker. `started` is when it was sent; `facts` the result's, when it
    /// finished.
    pub(super) fn record_history(
        &mut self,
        query: String,
        started: Instant,
        status: RunStatus,
        facts: Option<&RunFacts>,
    ) {
        if self.sidebar.history_size == 0 || query.trim().is_empty() {
            return;
        }
        let elapsed = facts.map_or_else(|| started.elapsed(), |f| f.elapsed);
        let now = chrono::Utc::now();
        let began = now - chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let entry = HistoryEntry {
            query,
            backend: self.backend.clone(),
            window: self.window.clone(),
            started: began.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            rows: facts.map_or(0, |f| f.row_count),
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            status,
            truncated: facts.is_some_and(|f| f.truncated),
        };
        self.sidebar.insert_history(entry.as_saved_query(now));
        self.worker.send(Command::RecordHistory { entry });
    }

    /// The worker saved (or renamed) a query of the user's: list it, and let Ctrl+S write over
    /// it when it is the one the editor holds.
    pub(super) fn query_saved(&mut self, query: SavedQuery, replaced: Option<PathBuf>) {
        let Origin::User(path) = query.origin.clone() else {
            return;
        };
        let title = query.title.clone();
        let index = self.sidebar.upsert_user(query, replaced.as_deref());
        let renamed = replaced.as_ref().is_some_and(|r| *r != path);
        if renamed {
            self.sidebar.select_query(index);
        }
        if let Some(saved_as) = &mut self.sidebar.saved_as {
            let ours = match (&saved_as.path, &replaced) {
                // The first new save that lands is the one waited for (saves land in order).
                (None, None) => true,
                (Some(own), Some(replaced)) => own == replaced,
                _ => false,
            };
            if ours {
                *saved_as = SavedAs {
                    name: title.clone(),
                    path: Some(path),
                };
            }
        }
        self.message = Some((
            if renamed {
                format!("renamed to {title}")
            } else {
                format!("saved {title}")
            },
            Tone::Info,
        ));
    }

    /// A file write failed: a save still waited for is given up (Ctrl+S asks again).
    pub(super) fn store_failed(&mut self) {
        if self
            .sidebar
            .saved_as
            .as_ref()
            .is_some_and(|s| s.path.is_none())
        {
            self.sidebar.saved_as = None;
        }
    }
}

// ---- drawing ----------------------------------------------------------------------------------

/// How a folder's name is shown (History with its mark, as UX.md draws it).
fn folder_label(name: &str) -> String {
    if name == HISTORY_FOLDER {
        format!("⟲ {HISTORY_FOLDER}")
    } else {
        sanitize(name).text
    }
}

/// Draws the sidebar in `area`: the filter line when there is one, then the rows around the
/// selection; every name made safe and cut to the width.
pub fn draw_sidebar(frame: &mut Frame, app: &mut App, area: Rect) {
    let focused = app.focus == Focus::Sidebar;
    let block = super::ui::pane(app, " Queries ".into(), focused);
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    if let Some(filter) = &app.sidebar.filter
        && inner.height > 0
    {
        let cursor = if filter.editing && focused { "▏" } else { "" };
        let text = format!("/{}{cursor}", sanitize(&filter.text).text);
        let line = Line::from(Span::styled(fit_tail(&text, width), app.theme.ui("focus")));
        frame.render_widget(Paragraph::new(line), Rect { height: 1, ..inner });
        inner.y += 1;
        inner.height -= 1;
    }
    app.sidebar.drawn = (Rect::default(), 0);
    let rows = app.sidebar.rows();
    if rows.is_empty() {
        let empty = if app.sidebar.filter.is_some() {
            "no match"
        } else {
            "no saved queries"
        };
        frame.render_widget(Paragraph::new(fit(empty, width)), inner);
        return;
    }
    let selected = app.sidebar.selected.min(rows.len() - 1);
    let height = inner.height as usize;
    let top = selected.saturating_sub(height.saturating_sub(1));
    app.sidebar.drawn = (inner, top);
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(index, row)| {
            let (text, style) = match row {
                SidebarRow::Folder { name, open } => (
                    format!("{} {}", if *open { "▾" } else { "▸" }, folder_label(name)),
                    app.theme.ui("header"),
                ),
                SidebarRow::Query(i) => (
                    format!("  {}", sanitize(&app.sidebar.queries[*i].title).text),
                    Style::default(),
                ),
            };
            let style = if index == selected && focused {
                app.theme.selected()
            } else {
                style
            };
            Line::from(Span::styled(fit(&text, width), style))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The end of `text` in at most `width` columns, starting with `…` when cut (a field being typed
/// shows its end).
fn fit_tail(text: &str, width: usize) -> String {
    if display_width(text) <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut kept = Vec::new();
    let mut used = 0;
    for ch in text.chars().rev() {
        let w = ch.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        kept.push(ch);
        used += w;
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

/// Draws the open popup, if any, over everything else.
pub fn draw_popup(frame: &mut Frame, app: &App, area: Rect) {
    let Some(popup) = &app.sidebar.popup else {
        return;
    };
    let (title, height) = match popup {
        Popup::Prompt(prompt) => (
            match prompt.purpose {
                PromptPurpose::Save => " Save query ",
                PromptPurpose::New => " New query ",
                PromptPurpose::Rename(_) => " Rename query ",
            },
            6,
        ),
        Popup::Confirm(_) => (" Delete ", 4),
        Popup::Open(_) => (" Open a saved query ", 18),
    };
    let rect = super::popup::centred(area, 72.min(area.width.saturating_sub(4)).max(20), height);
    let inner = super::popup::frame_popup(frame, app, rect, title.to_string());
    let width = inner.width as usize;
    let hint = app.theme.ui("status");
    let lines: Vec<Line> = match popup {
        Popup::Prompt(prompt) => {
            let field = |label: &str, value: &str, active: bool, placeholder: &str| {
                let label = format!(" {label:<7} ");
                let room = width.saturating_sub(display_width(&label));
                let shown = if value.is_empty() && !active {
                    Span::styled(fit(placeholder, room), hint)
                } else {
                    let cursor = if active { "▏" } else { "" };
                    Span::raw(fit_tail(&format!("{}{cursor}", sanitize(value).text), room))
                };
                let label_style = if active {
                    app.theme.ui("focus")
                } else {
                    app.theme.ui("header")
                };
                Line::from(vec![Span::styled(fit(&label, width), label_style), shown])
            };
            vec![
                field("name", &prompt.name, prompt.field == 0, ""),
                field(
                    "folder",
                    &prompt.folder,
                    prompt.field == 1,
                    "(optional, under My queries)",
                ),
                match &prompt.problem {
                    Some(problem) => Line::from(Span::styled(
                        fit(&format!(" {problem}"), width),
                        app.theme.ui("error"),
                    )),
                    None => Line::default(),
                },
                Line::from(Span::styled(
                    fit(" Tab next field · Enter saves · Esc cancels", width),
                    hint,
                )),
            ]
        }
        Popup::Confirm(query) => vec![
            Line::from(fit(
                &format!(" Delete {}?", sanitize(&query.title).text),
                width,
            )),
            Line::from(Span::styled(
                fit(" y deletes · any other key keeps it", width),
                hint,
            )),
        ],
        Popup::Open(open) => {
            let mut lines = vec![Line::from(vec![
                Span::styled("> ", app.theme.ui("focus")),
                Span::raw(fit_tail(
                    &format!("{}▏", sanitize(&open.pattern).text),
                    width.saturating_sub(2),
                )),
            ])];
            let room = (inner.height as usize).saturating_sub(2);
            let top = open.selected.saturating_sub(room.saturating_sub(1));
            for (position, index) in open.matches.iter().enumerate().skip(top).take(room) {
                let Some(query) = app.sidebar.queries.get(*index) else {
                    continue;
                };
                let text = format!(
                    " {} / {}",
                    folder_label(&query.folder),
                    sanitize(&query.title).text
                );
                let style = if position == open.selected {
                    app.theme.selected()
                } else {
                    Style::default()
                };
                lines.push(Line::from(Span::styled(fit(&text, width), style)));
            }
            if open.matches.is_empty() {
                lines.push(Line::from(Span::styled(" no match", hint)));
            }
            while lines.len() + 1 < inner.height as usize {
                lines.push(Line::default());
            }
            lines.push(Line::from(Span::styled(
                fit(
                    &format!(
                        " {} of {} · ↑/↓ Enter loads · Esc closes",
                        open.matches.len(),
                        app.sidebar.queries.len()
                    ),
                    width,
                ),
                hint,
            )));
            lines
        }
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(folder: &str, title: &str) -> SavedQuery {
        SavedQuery {
            folder: folder.into(),
            title: title.into(),
            description: String::new(),
            tags: Vec::new(),
            mitre: Vec::new(),
            text: String::new(),
            origin: Origin::Bundled,
        }
    }

    #[test]
    fn fuzzy_scores_prefer_consecutive_and_word_starts() {
        assert_eq!(fuzzy_score("xyz", "abc"), None);
        assert_eq!(fuzzy_score("ba", "ab"), None, "order matters");
        assert!(fuzzy_score("lsass", "LSASS memory dumped").is_some());
        assert!(fuzzy_score("lsmd", "LSASS memory dumped").is_some());
        // Consecutive beats scattered; word starts beat the middle of words.
        assert!(fuzzy_score("pow", "PowerShell") > fuzzy_score("pow", "paoaw"));
        assert!(
            fuzzy_score("ep", "Encoded PowerShell") > fuzzy_score("ep", "deep sleep"),
            "word starts"
        );
        assert!(fuzzy_score("ps", "PsExec") > fuzzy_score("ps", "lapses"));
        assert_eq!(fuzzy_score("", "anything"), Some(0));
    }

    #[test]
    fn fuzzy_matches_rank_and_put_history_last() {
        let mut history = query(HISTORY_FOLDER, "powershell run");
        history.origin = Origin::History(Box::new(HistoryEntry {
            query: String::new(),
            backend: String::new(),
            window: String::new(),
            started: String::new(),
            rows: 0,
            duration_ms: 0,
            status: RunStatus::Ok,
            truncated: false,
        }));
        let queries = vec![
            history,
            query("Execution", "Download cradles"),
            query("Execution", "Encoded PowerShell"),
            query("Lateral", "Pipe sessions"),
        ];
        assert_eq!(fuzzy_matches(&queries, "powsh"), [2, 0]);
        assert_eq!(fuzzy_matches(&queries, "ps").last(), Some(&0));
    }

    #[test]
    fn the_list_keeps_its_order_and_selection() {
        let mut sidebar = Sidebar::new(vec![query("Execution", "A"), query("Execution", "B")]);
        sidebar.selected = 2;
        let mut draft = query(DRAFTS_FOLDER, "kept");
        draft.origin = Origin::Draft;
        sidebar.insert_draft(draft);
        let mut mine = query("My queries", "Mine");
        mine.origin = Origin::User(PathBuf::from("/q/Mine.kql"));
        let at = sidebar.upsert_user(mine.clone(), None);
        assert_eq!(at, 2, "after the bundled, before Drafts");
        let folders: Vec<_> = sidebar
            .rows()
            .into_iter()
            .filter_map(|r| match r {
                SidebarRow::Folder { name, .. } => Some(name),
                _ => None,
            })
            .collect();
        assert_eq!(folders, ["Execution", "My queries", DRAFTS_FOLDER]);
        assert_eq!(sidebar.selected_query(), Some(1), "B stays selected");
        let mut renamed = mine.clone();
        renamed.title = "Zed".into();
        renamed.origin = Origin::User(PathBuf::from("/q/Zed.kql"));
        sidebar.upsert_user(renamed, Some(Path::new("/q/Mine.kql")));
        assert_eq!(
            sidebar
                .queries
                .iter()
                .filter(|q| q.folder == "My queries")
                .count(),
            1
        );
        sidebar.filter = Some(Filter {
            text: "zE".into(),
            editing: false,
        });
        assert_eq!(sidebar.rows().len(), 2);
    }

    #[test]
    fn tails_fit_their_width() {
        assert_eq!(fit_tail("abcdef", 4), "…def");
        assert_eq!(fit_tail("abc", 4), "abc");
        assert_eq!(fit_tail("abc", 0), "");
    }
}
