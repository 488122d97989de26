//! Files: where they live, the config file, saved queries (the bundled library and the user's
//! own), the editor draft, and kept drafts (editor texts that were replaced, so none is lost).
//! Every write is atomic: a temporary file in the same folder, synced,
//! then renamed over the old one, so a crash never leaves half a file.

pub mod queries;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use queries::{Origin, SavedQuery, bundled_queries};

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

    pub fn user_queries_dir(&self) -> PathBuf {
        self.data_dir.join("queries")
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
    /// Graph: `global` (default), `usgov`, `dod` (`china` is refused: no advanced hunting API).
    pub cloud: Option<String>,
    /// Graph base URL instead of the cloud's (https; http only on loopback).
    pub endpoint: Option<String>,
    /// Graph API version: `v1.0` (default) or `beta`.
    pub api: Option<String>,
    /// Entra ID tenant (id or domain) to sign in to.
    pub tenant: Option<String>,
    /// Application (client) id to sign in with.
    pub client_id: Option<String>,
    /// Sign-in method: `auto` (default), `token`, `client-secret`, `certificate`,
    /// `device-code`, `azure-cli`.
    pub auth: Option<String>,
    /// The sign-in service's base URL instead of the cloud's (`AZURE_AUTHORITY_HOST` too).
    pub authority_host: Option<String>,
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

    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| format!("config file: {}", e.message()).replace('\n', " "))
    }
}

/// The store: config, drafts and saved queries.
#[derive(Debug)]
pub struct Store {
    pub paths: Paths,
}

impl Store {
    pub fn new(paths: Paths) -> Store {
        Store { paths }
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

    pub fn save_draft(&self, text: &str) -> io::Result<()> {
        write_atomic(&self.paths.draft_file(), text.as_bytes())
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
        store.save_draft("T | take 1").unwrap();
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
    fn config_errors_name_the_problem() {
        assert_eq!(
            Config::parse("backend = \"lab\"")
                .unwrap()
                .backend
                .as_deref(),
            Some("lab")
        );
        let error = Config::parse("colour = 3").unwrap_err();
        assert!(error.contains("colour"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Paths::in_folder(dir.path()));
        assert_eq!(store.load_config().unwrap(), Config::default());
    }
}
