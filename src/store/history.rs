//! Query history: every query the console ran, with the facts of the run, kept as JSON Lines
//! (`history.jsonl` in the data folder, one entry a line, oldest first) and bounded to the newest
//! `history_size` entries.
//!
//! Each record rewrites the whole (bounded, so small) file with `write_atomic` on the worker's
//! ordered writer, rather than appending: bounding needs a rewrite anyway, an append can leave a
//! torn line after a crash, and a rewrite reads the file afresh, so entries another hunt process
//! added meanwhile are kept too. Reading is forgiving: a line that is not an entry (torn,
//! hand-edited, another program's file) is skipped and the other entries are still read; a
//! non-empty file with no entry at all is moved aside (`history.jsonl.unreadable`) before the
//! first rewrite, so a foreign file is never destroyed.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::queries::{Origin, SavedQuery};
use super::write_atomic;

/// How many runs the history keeps when the config file does not say (`history_size`).
pub const DEFAULT_HISTORY_SIZE: usize = 500;

/// The sidebar folder that lists the history.
pub const HISTORY_FOLDER: &str = "History";

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "message")]
pub enum RunStatus {
    Ok,
    /// The first line of the error message.
    Failed(String),
    Cancelled,
}

/// One run of a query, as the history keeps it (one JSON object a line in the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The query text that ran, exactly.
    pub query: String,
    /// The backend's name (`lab`, `graph · global`, …).
    pub backend: String,
    /// The time window, as the status line says it (`last 30d`).
    pub window: String,
    /// When the run started: UTC, RFC 3339 (`2026-11-29T18:49:03.120Z`).
    pub started: String,
    /// Rows returned (0 when the run failed or was cancelled).
    pub rows: usize,
    /// How long the run took, in milliseconds.
    pub duration_ms: u64,
    #[serde(flatten)]
    pub status: RunStatus,
    /// The backend cut the result at its row limit.
    #[serde(default)]
    pub truncated: bool,
}

impl HistoryEntry {
    /// The entry as the sidebar and Ctrl+O list it: in the History folder, titled by when it
    /// ran (`HH:MM` on `now`'s day, else `MM-DD`), how it ended (`✓rows`, `✗`, `⊘`) and the
    /// query's first line of KQL. The title is raw text: the sidebar sanitizes it.
    pub fn as_saved_query(&self, now: DateTime<Utc>) -> SavedQuery {
        let started = DateTime::parse_from_rfc3339(&self.started)
            .ok()
            .map(|t| t.with_timezone(&Utc));
        let when = match started {
            Some(t) if t.date_naive() == now.date_naive() => t.format("%H:%M ").to_string(),
            Some(t) => t.format("%m-%d ").to_string(),
            None => String::new(),
        };
        let outcome = match &self.status {
            RunStatus::Ok => format!("✓{}{} ", self.rows, if self.truncated { "+" } else { "" }),
            RunStatus::Failed(_) => "✗ ".to_string(),
            RunStatus::Cancelled => "⊘ ".to_string(),
        };
        let description = format!(
            "{} · {} · {} · {} · {} ms{}",
            started.map_or_else(
                || self.started.clone(),
                |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
            ),
            self.backend,
            self.window,
            match &self.status {
                RunStatus::Ok => format!("{} rows", self.rows),
                RunStatus::Failed(message) => format!("failed: {message}"),
                RunStatus::Cancelled => "cancelled".to_string(),
            },
            self.duration_ms,
            if self.truncated { " · truncated" } else { "" },
        );
        SavedQuery {
            folder: HISTORY_FOLDER.to_string(),
            title: format!("{when}{outcome}{}", first_line(&self.query)),
            description,
            tags: Vec::new(),
            mitre: Vec::new(),
            text: self.query.clone(),
            origin: Origin::History(Box::new(self.clone())),
        }
    }
}

/// The first line of KQL (not blank, not a comment), with runs of white space made one space,
/// at most 60 characters; `(empty)` when there is none.
pub fn first_line(text: &str) -> String {
    let line = crate::kql::first_meaningful_line(text.lines()).unwrap_or("(empty)");
    line.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(60)
        .collect()
}

/// The entries of a history file's bytes, oldest first; lines that are not entries are skipped.
pub fn parse_history(bytes: &[u8]) -> Vec<HistoryEntry> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect()
}

/// The history file's text for `entries` (oldest first): the newest `bound` of them, one JSON
/// object a line.
pub fn render_history(entries: &[HistoryEntry], bound: usize) -> String {
    let keep = &entries[entries.len().saturating_sub(bound)..];
    let mut text = String::new();
    for entry in keep {
        // Serializing plain strings and numbers cannot fail; a failure would only drop the entry.
        if let Ok(line) = serde_json::to_string(entry) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

/// The history file's entries, newest first (missing or unreadable file: none).
pub fn load(path: &Path) -> Vec<HistoryEntry> {
    let mut entries = fs::read(path)
        .map(|b| parse_history(&b))
        .unwrap_or_default();
    entries.reverse();
    entries
}

/// Changes the history file: reads it afresh, lets `change` edit the entries (oldest first),
/// and writes the newest `bound` back atomically.
pub fn update(
    path: &Path,
    bound: usize,
    change: impl FnOnce(&mut Vec<HistoryEntry>),
) -> io::Result<()> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut entries = parse_history(&bytes);
    if entries.is_empty() && !bytes.iter().all(u8::is_ascii_whitespace) {
        // Not a history file (or wholly corrupt): keep it aside rather than write over it.
        fs::rename(path, unreadable_path(path))?;
    }
    change(&mut entries);
    write_atomic(path, render_history(&entries, bound).as_bytes())
}

fn unreadable_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".unreadable");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> HistoryEntry {
        HistoryEntry {
            query: format!("// note\nDeviceInfo\n| take {n}"),
            backend: "lab".into(),
            window: "last 30d".into(),
            started: format!("2026-11-29T18:{:02}:00.000Z", n % 60),
            rows: n,
            duration_ms: 14,
            status: RunStatus::Ok,
            truncated: false,
        }
    }

    #[test]
    fn entries_round_trip_and_read_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        for n in 0..3 {
            update(&path, 10, |e| e.push(entry(n))).unwrap();
        }
        let mut failed = entry(3);
        failed.status = RunStatus::Failed("syntax error".into());
        update(&path, 10, |e| e.push(failed.clone())).unwrap();
        let read = load(&path);
        assert_eq!(read.len(), 4);
        assert_eq!(read[0], failed);
        assert_eq!(read[3], entry(0));
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.lines()
                .last()
                .unwrap()
                .contains(r#""status":"failed","message":"syntax error""#),
            "{text}"
        );
    }

    #[test]
    fn the_history_keeps_only_the_newest_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        for n in 0..8 {
            update(&path, 5, |e| e.push(entry(n))).unwrap();
        }
        let read = load(&path);
        assert_eq!(
            read.iter().map(|e| e.rows).collect::<Vec<_>>(),
            [7, 6, 5, 4, 3]
        );
        assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 5);
        update(&path, 0, |e| e.push(entry(9))).unwrap();
        assert!(load(&path).is_empty(), "a bound of 0 keeps nothing");
    }

    #[test]
    fn corrupt_lines_are_skipped_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        let good = |n| serde_json::to_string(&entry(n)).unwrap();
        let mut bytes = format!("{}\n{{\"query\": \"torn\n", good(1)).into_bytes();
        bytes.extend_from_slice(b"\xff\xfe not utf-8\n[1,2]\n\n");
        bytes.extend_from_slice(format!("{}\n{}", good(2), &good(3)[..20]).as_bytes());
        fs::write(&path, &bytes).unwrap();
        let read = load(&path);
        assert_eq!(read, [entry(2), entry(1)]);
        update(&path, 10, |e| e.push(entry(4))).unwrap();
        assert_eq!(load(&path), [entry(4), entry(2), entry(1)]);
        assert!(!unreadable_path(&path).exists());
    }

    #[test]
    fn a_foreign_file_is_moved_aside_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        fs::write(&path, "my notes, not a history\n").unwrap();
        assert!(load(&path).is_empty());
        update(&path, 10, |e| e.push(entry(1))).unwrap();
        assert_eq!(load(&path), [entry(1)]);
        assert_eq!(
            fs::read_to_string(unreadable_path(&path)).unwrap(),
            "my notes, not a history\n"
        );
    }

    #[test]
    fn entries_are_labelled_by_time_outcome_and_first_line() {
        let now = DateTime::parse_from_rfc3339("2026-11-29T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let query = entry(2).as_saved_query(now);
        assert_eq!(query.title, "18:02 ✓2 DeviceInfo");
        assert_eq!(query.folder, HISTORY_FOLDER);
        assert!(
            query.description.contains("2 rows"),
            "{}",
            query.description
        );
        let mut old = entry(3);
        old.started = "2026-10-01T08:00:00Z".into();
        old.status = RunStatus::Cancelled;
        old.query = "  T   |\ttake 1 ".into();
        assert_eq!(old.as_saved_query(now).title, "10-01 ⊘ T | take 1");
        let mut bad = entry(4);
        bad.started = "yesterday".into();
        bad.status = RunStatus::Failed("x".into());
        assert_eq!(bad.as_saved_query(now).title, "✗ DeviceInfo");
    }
}
