//! Query tabs: several queries open at once, each with its own editor text, undo history,
//! results and draft. The active tab's state lives in `App`'s own fields, so every pane draws
//! and edits it directly; the other tabs wait in `App::tabs` and are swapped in when chosen.
//! Worker events for a background tab's query are applied to that tab (swapped in for the
//! moment), so a query keeps running when its tab is left.

use std::sync::Arc;
use std::time::Instant;

use tui_textarea::TextArea;

use super::app::{App, EditGroups, ErrorMark, Inspector, InspectorCache, Running, Tone};
use super::grid::Grid;
use super::highlight::Highlighter;
use super::sidebar::SavedAs;
use crate::results::RunFacts;
use crate::results::chart::ChartData;
use crate::worker::{Command, Event, QueryId};

/// The most tabs open at once (each keeps its result in memory).
pub const MAX_TABS: usize = 9;

/// A tab that is not the active one: everything `App` holds per tab.
pub struct Tab {
    /// Which draft file keeps its text (0 is `draft.kql`, n is `tab-n.kql`).
    pub slot: u32,
    pub(super) editor: TextArea<'static>,
    pub(super) editor_top: usize,
    pub(super) editor_left: usize,
    pub(super) highlighter: Highlighter,
    pub(super) file: Option<super::app::OpenFile>,
    pub(super) stored_text: Option<String>,
    pub(super) groups: EditGroups,
    pub(super) grid: Grid,
    pub(super) running: Option<Running>,
    pub(super) error: Option<ErrorMark>,
    pub(super) last_run: Option<RunFacts>,
    pub(super) inspector: Option<Inspector>,
    pub(super) inspector_cache: Option<InspectorCache>,
    pub(super) chart: Option<(QueryId, Result<Arc<ChartData>, String>)>,
    pub(super) show_chart: bool,
    pub(super) shown_id: Option<QueryId>,
    pub(super) pending_filter: Option<QueryId>,
    pub(super) last_query: (String, (usize, usize)),
    pub(super) draft_changed: Option<Instant>,
    pub(super) saved_as: Option<SavedAs>,
}

impl Tab {
    /// An empty tab keeping its draft in `slot`.
    pub fn new(slot: u32, text: &str) -> Tab {
        Tab {
            slot,
            editor: new_editor(text),
            editor_top: 0,
            editor_left: 0,
            highlighter: Highlighter::new(),
            file: None,
            stored_text: None,
            groups: EditGroups::default(),
            grid: Grid::default(),
            running: None,
            error: None,
            last_run: None,
            inspector: None,
            inspector_cache: None,
            chart: None,
            show_chart: false,
            shown_id: None,
            pending_filter: None,
            last_query: (String::new(), (0, 0)),
            draft_changed: None,
            saved_as: None,
        }
    }

    /// The tab's text.
    pub fn text(&self) -> String {
        self.editor.lines().join("\n")
    }

    /// Whether a worker event with this id is about this tab.
    fn owns(&self, id: QueryId) -> bool {
        self.running.as_ref().is_some_and(|r| r.id == id)
            || self.grid.sorting.is_some_and(|(sorting, ..)| sorting == id)
            || self
                .grid
                .search
                .as_ref()
                .is_some_and(|s| s.pending == Some(id))
            || self.pending_filter == Some(id)
            || self.shown_id == Some(id)
    }
}

/// An editor holding `text`, keeping 200 undo steps.
pub(super) fn new_editor(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut editor = TextArea::new(if lines.is_empty() {
        vec![String::new()]
    } else {
        lines
    });
    editor.set_max_histories(200);
    editor
}

/// The id a worker event is about, for the events that belong to one tab.
fn event_id(event: &Event) -> Option<QueryId> {
    match event {
        Event::Started { id }
        | Event::Progress { id, .. }
        | Event::Finished { id, .. }
        | Event::Failed { id, .. }
        | Event::Cancelled { id }
        | Event::Sorted { id, .. }
        | Event::Searched { id, .. }
        | Event::Filter { id, .. }
        | Event::Charted { id, .. } => Some(*id),
        _ => None,
    }
}

impl App {
    /// Exchanges the active tab's state with `tab`'s.
    fn swap_tab(&mut self, tab: &mut Tab) {
        use std::mem::swap;
        swap(&mut self.tab_slot, &mut tab.slot);
        swap(&mut self.editor, &mut tab.editor);
        swap(&mut self.editor_top, &mut tab.editor_top);
        swap(&mut self.editor_left, &mut tab.editor_left);
        swap(&mut self.highlighter, &mut tab.highlighter);
        swap(&mut self.file, &mut tab.file);
        swap(&mut self.stored_text, &mut tab.stored_text);
        swap(&mut self.groups, &mut tab.groups);
        swap(&mut self.grid, &mut tab.grid);
        swap(&mut self.running, &mut tab.running);
        swap(&mut self.error, &mut tab.error);
        swap(&mut self.last_run, &mut tab.last_run);
        swap(&mut self.inspector, &mut tab.inspector);
        swap(&mut self.inspector_cache, &mut tab.inspector_cache);
        swap(&mut self.chart, &mut tab.chart);
        swap(&mut self.show_chart, &mut tab.show_chart);
        swap(&mut self.shown_id, &mut tab.shown_id);
        swap(&mut self.pending_filter, &mut tab.pending_filter);
        swap(&mut self.last_query, &mut tab.last_query);
        swap(&mut self.draft_changed, &mut tab.draft_changed);
        swap(&mut self.sidebar.saved_as, &mut tab.saved_as);
    }

    /// How many tabs are open.
    pub fn tab_count(&self) -> usize {
        self.tabs.len()
    }

    /// Puts the active tab's state into its place in `tabs` and loads tab `position`'s.
    fn switch_state(&mut self, position: usize) {
        let mut tabs = std::mem::take(&mut self.tabs);
        let active = self.active_tab;
        self.swap_tab(&mut tabs[active]);
        self.swap_tab(&mut tabs[position]);
        self.tabs = tabs;
        self.active_tab = position;
        self.reset_live();
        self.pending_values = None;
    }

    /// Applies a worker event to the tab it belongs to: a background tab is swapped in for the
    /// moment. Returns the event when it belongs to the active tab (or to no tab).
    pub(super) fn route_to_tab(&mut self, event: Event) -> Option<Event> {
        let Some(id) = event_id(&event) else {
            return Some(event);
        };
        let active = self.active_tab;
        let Some(position) = self
            .tabs
            .iter()
            .enumerate()
            .position(|(i, t)| i != active && t.owns(id))
        else {
            return Some(event);
        };
        self.switch_state(position);
        // Handled as if this tab were active, without moving the user's focus or message.
        let focus = self.focus;
        let message = self.message.clone();
        self.handle_event(event);
        self.focus = focus;
        self.message = message;
        self.switch_state(active);
        None
    }

    /// Opens a new tab holding `text` after the others and makes it active.
    pub fn new_tab(&mut self, text: &str) {
        if self.tab_count() >= MAX_TABS {
            self.message = Some((
                format!("at most {MAX_TABS} tabs: Alt+W closes one"),
                Tone::Info,
            ));
            return;
        }
        let slot = self.free_slot();
        self.tabs.push(Tab::new(slot, text));
        self.select_tab(self.tabs.len() - 1);
        self.focus = super::app::Focus::Editor;
    }

    /// The lowest draft slot no open tab uses.
    fn free_slot(&self) -> u32 {
        let active = self.active_tab;
        let used: Vec<u32> = std::iter::once(self.tab_slot)
            .chain(
                self.tabs
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != active)
                    .map(|(_, t)| t.slot),
            )
            .collect();
        (0..).find(|s| !used.contains(s)).unwrap_or(0)
    }

    /// The tab list in display order: (label, whether it is active, whether it is running).
    /// A label is the file's name, or the first line of the query that says something.
    pub fn tab_labels(&self) -> Vec<(String, bool, bool)> {
        fn label(file: &Option<super::app::OpenFile>, lines: &[String]) -> String {
            if let Some(file) = file {
                return file
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
            }
            // Only the lines up to the first meaningful one are read (a draw must stay cheap).
            crate::kql::first_meaningful_line(lines.iter().map(String::as_str))
                .unwrap_or("untitled")
                .to_string()
        }
        self.tabs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if i == self.active_tab {
                    (
                        label(&self.file, self.editor.lines()),
                        true,
                        self.running.is_some(),
                    )
                } else {
                    (label(&t.file, t.editor.lines()), false, t.running.is_some())
                }
            })
            .collect()
    }

    /// Makes the tab at display position `position` active.
    pub fn select_tab(&mut self, position: usize) {
        if position == self.active_tab || position >= self.tab_count() {
            return;
        }
        // The leaving tab's text is kept now: it will not be edited while it waits.
        if self.draft_changed.is_some() {
            self.save_draft();
        }
        // Prompts and popups are about the tab on screen.
        self.prompt = None;
        self.popup = None;
        self.completion = None;
        self.switch_state(position);
    }

    /// Moves to the tab `step` places on (negative: back), wrapping around.
    pub fn cycle_tab(&mut self, step: isize) {
        let count = self.tab_count() as isize;
        if count < 2 {
            return;
        }
        let target = (self.active_tab as isize + step).rem_euclid(count) as usize;
        self.select_tab(target);
    }

    /// Closes the active tab. Its query is cancelled; text that is not stored elsewhere is
    /// kept under Drafts first, so closing never loses a query.
    pub fn close_tab(&mut self) {
        if self.tab_count() < 2 {
            self.message = Some(("the last tab stays open".into(), Tone::Info));
            return;
        }
        self.cancel();
        let text = self.text();
        let kept = !text.trim().is_empty() && self.stored_text.as_ref() != Some(&text);
        if kept {
            self.keep_draft(text);
        }
        self.worker.send(Command::DropDraft {
            slot: self.tab_slot,
        });
        self.draft_changed = None;
        self.prompt = None;
        self.popup = None;
        // The tab after it (or before it, at the end) takes its place; the closed tab's state
        // goes with the placeholder that is dropped.
        let closing = self.active_tab;
        let next = if closing + 1 < self.tab_count() {
            closing + 1
        } else {
            closing - 1
        };
        self.switch_state(next);
        self.tabs.remove(closing);
        self.active_tab = if next > closing { next - 1 } else { next };
        self.message = Some((
            if kept {
                "tab closed; its text is kept under Drafts".into()
            } else {
                "tab closed".into()
            },
            Tone::Info,
        ));
    }

    /// Reopens the tabs a previous session left (their drafts), after the first one.
    pub fn restore_tabs(&mut self, drafts: Vec<(u32, String)>) {
        for (slot, text) in drafts {
            if self.tab_count() >= MAX_TABS || slot == self.tab_slot {
                continue;
            }
            self.tabs.push(Tab::new(slot, &text));
        }
    }
}
