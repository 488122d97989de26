//! Files: where they live, the config file, saved queries (the bundled library and the user's
//! own), the editor draft, kept drafts (editor texts that were replaced, so none is lost) and the
//! query history.
//! Every write is atomic: a temporary file in the same folder, synced,
//! then renamed over the old one, so a crash never leaves half a file.

pub mod history;
pub mod queries;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use history::{DEFAULT_HISTORY_SIZE, HISTORY_FOLDER, HistoryEntry, RunStatus};
pub use queries::{Origin, SavedQuery, bundled_queries, safe_file_stem, with_title};

/// Where hunt keeps its files. `HUNT_HOME` puts everything under one folder (tests, portable use);
/// otherwise the platform's config, data and cache folders.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
    /// Files that can be recreated, such as the device-code sign-in's token cache.
    pub cache_dir: PathBuf,
}

impl Paths {
    pub fn discover() -> Option<Paths> {
        if let Some(home) = std::env::var_os("HUNT_HOME").filter(|h| !h.is_empty()) {
            let home = PathBuf::from(home);
            return Some(Paths {
                config_file: home.join("config.toml"),
                data_dir: home.join("data"),
                cache_dir: home.join("cache"),
            });
        }
        let dirs = directories::ProjectDirs::from("", "", "hunt")?;
        Some(Paths {
            config_file: dirs.config_dir().join("config.toml"),
            data_dir: dirs.data_dir().to_path_buf(),
            cache_dir: dirs.cache_dir().to_path_buf(),
        })
    }

    pub fn in_folder(folder: &Path) -> Paths {
        Paths {
            config_file: folder.join("config.toml"),
            data_dir: folder.join("data"),
            cache_dir: folder.join("cache"),
        }
    }

    /// The device-code sign-in's token cache (`tokens.json`, owner-only).
    pub fn token_cache_file(&self) -> PathBuf {
        self.cache_dir.join("tokens.json")
    }

    pub fn draft_file(&self) -> PathBuf {
        self.data_dir.join("draft.kql")
    }

    /// Where a tab's draft is kept: slot 0 is `draft.kql` (the first tab), n is `tab-n.kql`.
    pub fn tab_draft_file(&self, slot: u32) -> PathBuf {
        match slot {
            0 => self.draft_file(),
            n => self.data_dir.join(format!("tab-{n}.kql")),
        }
    }

    pub fn user_queries_dir(&self) -> PathBuf {
        self.data_dir.join("queries")
    }

    /// The query history (`history.jsonl`: one run a line, JSON, oldest first).
    pub fn history_file(&self) -> PathBuf {
        self.data_dir.join("history.jsonl")
    }

    /// Editor texts that were replaced (by loading a query or opening a file), kept so they can
    /// be reopened from the sidebar's Drafts folder.
    pub fn kept_drafts_dir(&self) -> PathBuf {
        self.data_dir.join("drafts")
    }
}

/// How many replaced editor texts the Drafts folder keeps (the oldest go first).
pub const KEPT_DRAFTS: usize = 30;

/// The sidebar folder that lists kept drafts.
pub const DRAFTS_FOLDER: &str = "Drafts";

/// The config file (`config.toml`). Every field is optional.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `lab` (default) or `graph`.
    pub backend: Option<String>,
    /// Theme name from `themes/`.
    pub theme: Option<String>,
    /// The most rows a local query returns (default 100,000, as Defender's); more are cut and
    /// the result is marked truncated.
    pub row_limit: Option<usize>,
    /// The memory the local engine's queries may take: `8GiB`, `512MiB`, `50%` (of physical
    /// memory; the default is half). Sorts and aggregations spill past it.
    pub memory_limit: Option<String>,
    /// Graph: `global` (default), `usgov`, `dod` (`china` is refused: no advanced hunting API).
    pub cloud: Option<String>,
    /// Graph base URL instead of the cloud's (https; http only on loopback).
    pub endpoint: Option<String>,
    /// Graph API version: `v1.0` (default) or `beta`.
    pub api: Option<String>,
    /// How many runs the query history keeps (default 500; 0 keeps none).
    pub history_size: Option<usize>,
    /// Entra ID tenant (id or domain) to sign in to.
    pub tenant: Option<String>,
    /// Application (client) id to sign in with.
    pub client_id: Option<String>,
    /// Sign-in method: `auto` (default), `token`, `client-secret`, `certificate`,
    /// `device-code`, `azure-cli`.
    pub auth: Option<String>,
    /// The sign-in service's base URL instead of the cloud's (`AZURE_AUTHORITY_HOST` too).
    pub authority_host: Option<String>,
    /// The time window the console starts with, as Graph's `timespan` (ISO 8601 duration or
    /// `start/end` interval): `PT1H`, `P1D`, `P7D`, `P30D` (the default).
    pub window: Option<String>,
    /// Key bindings: `action = "key"` (`run = "ctrl+e"`); the actions are listed in the README.
    pub keys: Option<std::collections::BTreeMap<String, String>>,
}

impl Config {
    /// The Graph keys, as choices the command line can override.
    pub fn graph_choices(&self) -> crate::graph::GraphChoices {
        crate::graph::GraphChoices {
            cloud: self.cloud.clone(),
            endpoint: self.endpoint.clone(),
            api: self.api.clone(),
            tenant: self.tenant.clone(),
            client_id: self.client_id.clone(),
            auth: self.auth.clone(),
            authority_host: self.authority_host.clone(),
        }
    }

    /// Reads the config file's text. An error says where: `line L, column C: …` (1-based).
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map(|span| {
                    let at = crate::kql::line_col(text, span.start.min(text.len()));
                    format!("line {}, column {}: ", at.line, at.col)
                })
                .unwrap_or_default();
            format!("{place}{}", e.message()).replace('\n', " ")
        })
    }
}

/// The sidebar folder of the user's own saved queries.
pub const USER_FOLDER: &str = "My queries";

/// The store: config, drafts, saved queries and the history.
#[derive(Debug)]
pub struct Store {
    pub paths: Paths,
    /// How many runs the history keeps (the config file's `history_size`).
    pub history_size: usize,
}

impl Store {
    pub fn new(paths: Paths) -> Store {
        Store {
            paths,
            history_size: DEFAULT_HISTORY_SIZE,
        }
    }

    /// The same store keeping `size` runs of history.
    pub fn with_history_size(self, size: usize) -> Store {
        Store {
            history_size: size,
            ..self
        }
    }

    /// Everything of the store the sidebar lists, in its order: the user's queries, the kept
    /// drafts (newest first), the history (newest first). Reads files: call it before the
    /// console opens, never while it draws.
    pub fn listed_queries(&self) -> Vec<SavedQuery> {
        let now = chrono::Utc::now();
        let mut queries = self.user_queries();
        queries.extend(self.kept_drafts());
        queries.extend(self.history().iter().map(|e| e.as_saved_query(now)));
        queries
    }

    /// The history, newest first, at most `history_size` runs. Lines of the file that are not
    /// entries are skipped.
    pub fn history(&self) -> Vec<HistoryEntry> {
        let mut entries = history::load(&self.paths.history_file());
        entries.truncate(self.history_size);
        entries
    }

    /// Adds a run to the history and forgets the oldest beyond `history_size` (one atomic
    /// rewrite of the file).
    pub fn record_history(&self, entry: HistoryEntry) -> io::Result<()> {
        history::update(&self.paths.history_file(), self.history_size, |entries| {
            entries.push(entry)
        })
    }

    /// Removes one run from the history (the newest equal to `entry`); none is fine.
    pub fn delete_history(&self, entry: &HistoryEntry) -> io::Result<()> {
        history::update(&self.paths.history_file(), self.history_size, |entries| {
            if let Some(at) = entries.iter().rposition(|e| e == entry) {
                entries.remove(at);
            }
        })
    }

    /// Saves a new query in the user's folder: `folder` (one level; empty for the top) and a
    /// file name made safe from `name`, with a ` (2)`, ` (3)`… suffix when that file exists.
    /// The file is `text` with `// title: NAME` as its header's title. Returns the query as the
    /// sidebar lists it.
    pub fn save_query(&self, name: &str, folder: &str, text: &str) -> io::Result<SavedQuery> {
        let dir = self.user_folder_dir(folder);
        let path = unique_path(&dir, &safe_file_stem(name), None);
        self.write_query(&path, name, text)
    }

    /// Writes over a saved query of the user's (Ctrl+S on a query loaded from, or saved to,
    /// the user's folder), with `name` as its title.
    pub fn overwrite_query(&self, path: &Path, name: &str, text: &str) -> io::Result<SavedQuery> {
        self.check_user_path(path)?;
        self.write_query(path, name, text)
    }

    /// Renames (and perhaps moves) a saved query of the user's: written under the new name and
    /// folder (a suffix when taken), then the old file removed. Returns the query as listed.
    pub fn rename_query(&self, from: &Path, name: &str, folder: &str) -> io::Result<SavedQuery> {
        self.check_user_path(from)?;
        let text = fs::read_to_string(from)?;
        let dir = self.user_folder_dir(folder);
        let path = unique_path(&dir, &safe_file_stem(name), Some(from));
        let saved = self.write_query(&path, name, &text)?;
        if path != from {
            fs::remove_file(from)?;
            self.remove_if_empty_folder(from);
        }
        Ok(saved)
    }

    /// Deletes a saved query of the user's.
    pub fn delete_query(&self, path: &Path) -> io::Result<()> {
        self.check_user_path(path)?;
        fs::remove_file(path)?;
        self.remove_if_empty_folder(path);
        Ok(())
    }

    /// A user's folder left empty by a move or delete goes too (the sidebar lists folders from
    /// the files, so an empty one would come back as nothing). The queries folder itself stays;
    /// a folder that still holds anything is left alone (`remove_dir` refuses it).
    fn remove_if_empty_folder(&self, file: &Path) {
        if let Some(folder) = file.parent()
            && folder != self.paths.user_queries_dir()
        {
            let _ = fs::remove_dir(folder);
        }
    }

    fn write_query(&self, path: &Path, name: &str, text: &str) -> io::Result<SavedQuery> {
        let text = with_title(text, name);
        write_atomic(path, text.as_bytes())?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(SavedQuery::parse(
            &self.user_folder_label(path),
            &stem,
            &text,
            Origin::User(path.to_path_buf()),
        ))
    }

    fn user_folder_dir(&self, folder: &str) -> PathBuf {
        let root = self.paths.user_queries_dir();
        match folder.trim() {
            "" => root,
            folder => root.join(safe_file_stem(folder)),
        }
    }

    /// The sidebar folder of a file in the user's folder (`My queries` or `My queries / Sub`),
    /// as `queries::load_folder` names it.
    fn user_folder_label(&self, path: &Path) -> String {
        let root = self.paths.user_queries_dir();
        match path.parent().and_then(|p| p.strip_prefix(&root).ok()) {
            Some(sub) if !sub.as_os_str().is_empty() => {
                format!("{USER_FOLDER} / {}", sub.to_string_lossy())
            }
            _ => USER_FOLDER.to_string(),
        }
    }

    /// Refuses paths outside the user's queries folder (or deeper than one level): the UI only
    /// sends paths it listed from there, and nothing else may be written or removed.
    fn check_user_path(&self, path: &Path) -> io::Result<()> {
        let root = self.paths.user_queries_dir();
        let inside = path.extension().is_some_and(|e| e == "kql")
            && path.strip_prefix(&root).is_ok_and(|rel| {
                let parts: Vec<_> = rel.components().collect();
                (1..=2).contains(&parts.len())
                    && parts
                        .iter()
                        .all(|c| matches!(c, std::path::Component::Normal(_)))
            });
        if inside {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{} is not one of your saved queries", path.display()),
            ))
        }
    }

    /// Reads the config file; a missing file is the default config, a broken one an error that
    /// names the file and the problem.
    pub fn load_config(&self) -> Result<Config, String> {
        match fs::read_to_string(&self.paths.config_file) {
            Ok(text) => Config::parse(&text)
                .map_err(|e| format!("{}: {e}", self.paths.config_file.display())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(format!("{}: {e}", self.paths.config_file.display())),
        }
    }

    pub fn load_draft(&self) -> Option<String> {
        fs::read_to_string(self.paths.draft_file())
            .ok()
            .filter(|t| !t.trim().is_empty())
    }

    /// Keeps a tab's text: slot 0 (the first tab) in `draft.kql`, slot n in `tab-n.kql`, both
    /// in the data folder, written atomically.
    pub fn save_draft(&self, slot: u32, text: &str) -> io::Result<()> {
        write_atomic(&self.paths.tab_draft_file(slot), text.as_bytes())
    }

    /// Forgets a closed tab's draft (a missing file is fine).
    pub fn drop_draft(&self, slot: u32) -> io::Result<()> {
        match fs::remove_file(self.paths.tab_draft_file(slot)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The drafts of the tabs after the first (`tab-n.kql`), by slot; blank ones are skipped.
    pub fn tab_drafts(&self) -> Vec<(u32, String)> {
        let Ok(entries) = fs::read_dir(&self.paths.data_dir) else {
            return Vec::new();
        };
        let mut drafts: Vec<(u32, String)> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let slot: u32 = name
                    .strip_prefix("tab-")?
                    .strip_suffix(".kql")?
                    .parse()
                    .ok()?;
                let text = fs::read_to_string(entry.path()).ok()?;
                (slot > 0 && !text.trim().is_empty()).then_some((slot, text))
            })
            .collect();
        drafts.sort_by_key(|(slot, _)| *slot);
        drafts
    }

    /// The user's saved queries (`*.kql` under the data folder's `queries/`, one folder level).
    pub fn user_queries(&self) -> Vec<SavedQuery> {
        queries::load_folder(&self.paths.user_queries_dir(), "My queries")
    }

    /// Keeps an editor text that is being replaced, as a new file in the drafts folder, and
    /// forgets the oldest beyond `KEPT_DRAFTS`.
    pub fn keep_draft(&self, text: &str) -> io::Result<()> {
        let now = chrono::Utc::now();
        // Sorts by time; the nanoseconds and the sequence keep names unique.
        let stem = format!(
            "{}-{:09}-{}",
            now.format("%Y%m%d-%H%M%S"),
            now.timestamp_subsec_nanos(),
            next_sequence()
        );
        write_atomic(
            &self.paths.kept_drafts_dir().join(format!("{stem}.kql")),
            text.as_bytes(),
        )?;
        let files = self.kept_draft_files()?;
        for old in &files[..files.len().saturating_sub(KEPT_DRAFTS)] {
            let _ = fs::remove_file(old);
        }
        Ok(())
    }

    /// The kept drafts, newest first.
    pub fn kept_drafts(&self) -> Vec<SavedQuery> {
        let files = self.kept_draft_files().unwrap_or_default();
        files
            .into_iter()
            .rev()
            .filter_map(|path| {
                let text = fs::read_to_string(&path).ok()?;
                let stem = path.file_stem()?.to_string_lossy().into_owned();
                Some(kept_draft(&text, &stem, queries::Origin::Draft))
            })
            .collect()
    }

    /// The kept drafts' files, oldest first (their names sort by time).
    fn kept_draft_files(&self) -> io::Result<Vec<PathBuf>> {
        let mut files: Vec<PathBuf> = fs::read_dir(self.paths.kept_drafts_dir())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "kql"))
            .collect();
        files.sort();
        Ok(files)
    }
}

/// `dir/stem.kql`, or `dir/stem (2).kql`, `(3)`… when taken by another file than `own`.
fn unique_path(dir: &Path, stem: &str, own: Option<&Path>) -> PathBuf {
    let mut path = dir.join(format!("{stem}.kql"));
    let mut n = 2;
    while path.exists() && Some(path.as_path()) != own {
        path = dir.join(format!("{stem} ({n}).kql"));
        n += 1;
    }
    path
}

/// A kept draft as the sidebar lists it: titled by its first line of KQL and when it was kept.
pub fn kept_draft(text: &str, stem: &str, origin: queries::Origin) -> SavedQuery {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//"))
        .unwrap_or("(empty)");
    let first: String = first.chars().take(40).collect();
    // The stem starts `YYYYMMDD-HHMMSS`: show `MM-DD HH:MM`.
    let when = match (
        stem.get(4..6),
        stem.get(6..8),
        stem.get(9..11),
        stem.get(11..13),
    ) {
        (Some(mo), Some(d), Some(h), Some(mi)) => format!("{mo}-{d} {h}:{mi} "),
        _ => String::new(),
    };
    SavedQuery {
        folder: DRAFTS_FOLDER.to_string(),
        title: format!("{when}{first}"),
        description: String::new(),
        tags: Vec::new(),
        mitre: Vec::new(),
        text: text.to_string(),
        origin,
    }
}

/// A number no other write of this process has, for unique temporary and draft file names.
fn next_sequence() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Writes a whole file atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Writes a file atomically through a writer callback (exports stream into it).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>,
) -> io::Result<()> {
    let (folder, temp) = temp_beside(path)?;
    fs::create_dir_all(&folder)?;
    let outcome = (|| {
        let file = fs::File::create(&temp)?;
        let mut buffered = io::BufWriter::new(file);
        write(&mut buffered)?;
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if outcome.is_err() {
        let _ = fs::remove_file(&temp);
    }
    outcome
}

/// The folder of `path` and a temporary file name beside it, unique per write, not just per
/// process: two writes of one file at once (or two hunt processes) never share a temporary file.
fn temp_beside(path: &Path) -> io::Result<(PathBuf, PathBuf)> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let temp = folder.join(format!(
        ".{}.{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        next_sequence()
    ));
    Ok((folder, temp))
}

/// Writes a whole file atomically that only its owner may read (tokens): the temporary file is
/// created with mode 0600 before any byte is written, so the content is never readable by others,
/// not even for a moment; the folder is created with mode 0700 when it is missing. On other
/// systems than Unix the write is atomic only.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (folder, temp) = temp_beside(path)?;
    create_private_dir_all(&folder)?;
    let outcome = (|| {
        let mut options = fs::OpenOptions::new();
        // create_new: never reuse (or follow a link planted at) the temporary name.
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temp)?;
        #[cfg(unix)]
        {
            // The umask can only remove bits; this makes sure no wider mode slipped through.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if outcome.is_err() {
        let _ = fs::remove_file(&temp);
    }
    outcome
}

/// Creates a folder and its missing parents, those it creates with mode 0700 on Unix.
fn create_private_dir_all(folder: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_the_last_query_out_of_a_folder_removes_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Paths::in_folder(dir.path()));
        let saved = store.save_query("One", "Triage", "T | take 1").unwrap();
        let Origin::User(path) = &saved.origin else {
            panic!("a user query")
        };
        let triage = store.paths.user_queries_dir().join("Triage");
        assert!(triage.is_dir());
        store.rename_query(path, "One", "Lateral").unwrap();
        assert!(!triage.exists(), "the emptied folder is gone");
        let moved = store
            .paths
            .user_queries_dir()
            .join("Lateral")
            .join("One.kql");
        store.delete_query(&moved).unwrap();
        assert!(!moved.parent().unwrap().exists());
        assert!(store.paths.user_queries_dir().is_dir(), "the root stays");
    }

    #[test]
    fn a_broken_config_says_the_line_and_column() {
        let error = Config::parse("backend = \"lab\"\nrow_limit = \"many\"\n").unwrap_err();
        assert!(error.starts_with("line 2, column 13: "), "{error}");
        let error = Config::parse("colour = 1").unwrap_err();
        assert!(
            error.contains("line 1") && error.contains("colour"),
            "{error}"
        );
        let config = Config::parse("window = \"P7D\"\n[keys]\nrun = \"ctrl+e\"\n").unwrap();
        assert_eq!(config.window.as_deref(), Some("P7D"));
        assert_eq!(config.keys.unwrap()["run"], "ctrl+e");
    }

    #[cfg(unix)]
    #[test]
    fn private_writes_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new").join("tokens.json");
        write_private_atomic(&path, b"{}").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("new")), 0o700);
        // Replacing a file that was world-readable leaves an owner-only one.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_private_atomic(&path, b"{\"a\":1}").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"a\":1}");
    }

    #[test]
    fn drafts_round_trip_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Paths::in_folder(dir.path()));
        assert_eq!(store.load_draft(), None);
        store.save_draft(0, "T | take 1").unwrap();
        assert_eq!(store.load_draft().as_deref(), Some("T | take 1"));
        let leftovers: Vec<_> = fs::read_dir(&store.paths.data_dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn simultaneous_writes_of_one_file_never_share_a_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("draft.kql");
        let writers: Vec<_> = (0..8)
            .map(|n| {
                let path = path.clone();
                std::thread::spawn(move || {
                    (0..50)
                        .map(|i| write_atomic(&path, format!("{n}-{i}").repeat(500).as_bytes()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for writer in writers {
            for outcome in writer.join().unwrap() {
                outcome.expect("every write lands");
            }
        }
        let text = fs::read_to_string(&path).unwrap();
        let piece = &text[..text.len() / 500];
        assert_eq!(text, piece.repeat(500), "one whole write, not a mix");
    }

    #[test]
    fn kept_drafts_are_listed_newest_first_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Paths::in_folder(dir.path()));
        for n in 0..(KEPT_DRAFTS + 5) {
            store.keep_draft(&format!("// note\nT | take {n}")).unwrap();
        }
        let kept = store.kept_drafts();
        assert_eq!(kept.len(), KEPT_DRAFTS);
        assert_eq!(
            kept[0].text,
            format!("// note\nT | take {}", KEPT_DRAFTS + 4)
        );
        assert!(
            kept[0]
                .title
                .ends_with(&format!("T | take {}", KEPT_DRAFTS + 4))
        );
        assert_eq!(kept[0].folder, DRAFTS_FOLDER);
    }

    #[test]
    fn saved_queries_get_safe_unique_names_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Paths::in_folder(dir.path()));
        let root = store.paths.user_queries_dir();
        let first = store.save_query("Beacons", "Triage", "T | take 1").unwrap();
        assert_eq!(first.origin, Origin::User(root.join("Triage/Beacons.kql")));
        assert_eq!(first.folder, "My queries / Triage");
        let second = store.save_query("Beacons", "Triage", "T | take 2").unwrap();
        assert_eq!(
            second.origin,
            Origin::User(root.join("Triage/Beacons (2).kql"))
        );
        let hostile = store.save_query("../../escape", "../up", "T").unwrap();
        let Origin::User(path) = &hostile.origin else {
            panic!("a user query")
        };
        assert!(path.starts_with(&root), "{}", path.display());
        assert_eq!(
            hostile.title, "../../escape",
            "the name is kept as the title"
        );
        let listed = store.user_queries();
        assert_eq!(listed.len(), 3);
        assert!(
            listed
                .iter()
                .any(|q| q.title == "Beacons" && q.body() == "T | take 1")
        );
        // Overwrite keeps the file; rename moves it; delete removes it.
        let Origin::User(first_path) = first.origin.clone() else {
            unreachable!()
        };
        store
            .overwrite_query(&first_path, "Beacons", "T | take 9")
            .unwrap();
        assert_eq!(
            fs::read_to_string(&first_path).unwrap(),
            "// title: Beacons\nT | take 9"
        );
        let renamed = store.rename_query(&first_path, "Renamed", "").unwrap();
        assert!(!first_path.exists());
        assert_eq!(renamed.folder, "My queries");
        assert_eq!(renamed.title, "Renamed");
        assert!(renamed.text.ends_with("T | take 9"));
        let Origin::User(renamed_path) = renamed.origin else {
            unreachable!()
        };
        // Renaming to its own name keeps its file.
        let same = store.rename_query(&renamed_path, "Renamed", "").unwrap();
        assert_eq!(same.origin, Origin::User(renamed_path.clone()));
        store.delete_query(&renamed_path).unwrap();
        assert!(!renamed_path.exists());
        // Nothing outside the user's folder is written or removed.
        let outside = dir.path().join("config.toml");
        fs::write(&outside, "x").unwrap();
        assert!(store.delete_query(&outside).is_err());
        assert!(store.overwrite_query(&outside, "x", "y").is_err());
        assert!(store.delete_query(&root.join("../config.toml")).is_err());
        assert_eq!(fs::read_to_string(&outside).unwrap(), "x");
    }

    #[test]
    fn the_history_is_bounded_by_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Paths::in_folder(dir.path())).with_history_size(2);
        let entry = |n: usize| HistoryEntry {
            query: format!("T | take {n}"),
            backend: "lab".into(),
            window: "last 30d".into(),
            started: "2026-11-29T18:00:00Z".into(),
            rows: n,
            duration_ms: 1,
            status: RunStatus::Ok,
            truncated: false,
        };
        for n in 0..3 {
            store.record_history(entry(n)).unwrap();
        }
        assert_eq!(store.history(), [entry(2), entry(1)]);
        store.delete_history(&entry(2)).unwrap();
        assert_eq!(store.history(), [entry(1)]);
        let listed = store.listed_queries();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].folder, HISTORY_FOLDER);
    }

    #[test]
    fn config_errors_name_the_problem() {
        assert_eq!(
            Config::parse("backend = \"lab\"")
                .unwrap()
                .backend
                .as_deref(),
            Some("lab")
        );
        assert_eq!(
            Config::parse("history_size = 20").unwrap().history_size,
            Some(20)
        );
        assert!(Config::parse("history_size = -1").is_err());
        let error = Config::parse("colour = 3").unwrap_err();
        assert!(error.contains("colour"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Paths::in_folder(dir.path()));
        assert_eq!(store.load_config().unwrap(), Config::default());
    }
}
