//! Saved queries: `.kql` files with a short comment header (title, description, tags, MITRE
//! technique), grouped by folder.

use std::fs;
use std::path::{Path, PathBuf};

/// The library shipped in `queries/`, embedded at build time: (path under `queries/`, text).
const BUNDLED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/bundled_queries.rs"));

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Bundled,
    User(PathBuf),
    /// A kept draft (an editor text that was replaced), written by the worker.
    Draft,
    /// A run from the history (its text is the query that ran).
    History(Box<super::history::HistoryEntry>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedQuery {
    /// The folder it is listed under (the tactic for bundled queries).
    pub folder: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub mitre: Vec<String>,
    /// The whole file text, header included (the header is KQL comments, so it runs as is).
    pub text: String,
    pub origin: Origin,
}

impl SavedQuery {
    /// Reads the `// key: value` header lines at the top of a query file.
    pub fn parse(folder: &str, file_stem: &str, text: &str, origin: Origin) -> SavedQuery {
        let mut query = SavedQuery {
            folder: folder.to_string(),
            title: file_stem.replace(['-', '_'], " "),
            description: String::new(),
            tags: Vec::new(),
            mitre: Vec::new(),
            text: text.to_string(),
            origin,
        };
        for line in text.lines() {
            let Some(comment) = line.trim().strip_prefix("//") else {
                break;
            };
            let Some((key, value)) = comment.split_once(':') else {
                continue;
            };
            let value = value.trim();
            let list = || {
                value
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            };
            match key.trim().to_ascii_lowercase().as_str() {
                "title" => query.title = value.to_string(),
                "description" => query.description = value.to_string(),
                "tags" => query.tags = list(),
                "mitre" => query.mitre = list(),
                _ => {}
            }
        }
        query
    }

    /// The query text without the header comments.
    pub fn body(&self) -> &str {
        let mut offset = 0;
        for line in self.text.split_inclusive('\n') {
            if line.trim().starts_with("//") || line.trim().is_empty() {
                offset += line.len();
            } else {
                break;
            }
        }
        &self.text[offset..]
    }
}

/// How long a file name made from a query name may be, in characters (file systems allow 255
/// bytes; this leaves room for a collision suffix, `.kql` and four-byte characters).
const MAX_STEM_CHARS: usize = 60;

/// A file (or folder) name made from a name the user typed, safe on every file system: path
/// separators, `:`, wildcard and quoting characters, control characters (NUL included) become
/// `_`; leading and trailing dots and spaces go (so `..` and hidden files cannot be made);
/// Windows device names (`CON`, `nul.txt`, `COM1`…) get a `_`; at most 60 characters; `query`
/// when nothing is left. The result never names a parent or another folder.
pub fn safe_file_stem(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            // A file name with a direction override or an invisible character reads differently
            // in `ls` than it is (an RTL override turns `invoice<U+202E>fdp.exe` around).
            c if crate::results::safe::is_deceptive(c) => '_',
            c => c,
        })
        .take(MAX_STEM_CHARS)
        .collect();
    let trimmed = replaced.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        return "query".to_string();
    }
    let device = trimmed
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_ascii_uppercase();
    let reserved = matches!(device.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((device.starts_with("COM") || device.starts_with("LPT"))
            && device.len() == 4
            && device.as_bytes()[3].is_ascii_digit());
    if reserved {
        format!("{trimmed}_")
    } else {
        trimmed.to_string()
    }
}

/// A query name as one header line holds it: line breaks become spaces, outer space trimmed.
pub fn header_name(name: &str) -> String {
    name.replace(['\n', '\r', '\u{2028}', '\u{2029}'], " ")
        .trim()
        .to_string()
}

/// `text` with `// title: NAME` as its header's title: title lines already in the leading
/// comment header are dropped (so the name given wins), the rest of the text is kept as is.
pub fn with_title(text: &str, name: &str) -> String {
    let mut out = format!("// title: {}\n", header_name(name));
    let mut in_header = true;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if in_header && !trimmed.starts_with("//") {
            in_header = false;
        }
        let is_title = in_header
            && trimmed
                .strip_prefix("//")
                .and_then(|c| c.split_once(':'))
                .is_some_and(|(key, _)| key.trim().eq_ignore_ascii_case("title"));
        if !is_title {
            out.push_str(line);
        }
    }
    out
}

fn split_path(path: &str) -> (String, String) {
    let (folder, file) = path.rsplit_once('/').unwrap_or(("", path));
    let stem = file.strip_suffix(".kql").unwrap_or(file);
    (folder.replace('/', " / "), stem.to_string())
}

/// The bundled library, sorted by folder then title.
pub fn bundled_queries() -> Vec<SavedQuery> {
    let mut queries: Vec<SavedQuery> = BUNDLED
        .iter()
        .map(|(path, text)| {
            let (folder, stem) = split_path(path);
            SavedQuery::parse(&folder, &stem, text, Origin::Bundled)
        })
        .collect();
    queries.sort_by(|a, b| (&a.folder, &a.title).cmp(&(&b.folder, &b.title)));
    queries
}

/// `*.kql` files in a folder and its direct subfolders; unreadable files are skipped.
pub fn load_folder(root: &Path, top_folder: &str) -> Vec<SavedQuery> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(root) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            let sub = format!("{top_folder} / {}", entry.file_name().to_string_lossy());
            if let Ok(inner) = fs::read_dir(&path) {
                for file in inner.flatten() {
                    read_query_file(&file.path(), &sub, &mut found);
                }
            }
        } else {
            read_query_file(&path, top_folder, &mut found);
        }
    }
    found.sort_by(|a, b| (&a.folder, &a.title).cmp(&(&b.folder, &b.title)));
    found
}

fn read_query_file(path: &Path, folder: &str, found: &mut Vec<SavedQuery>) {
    if path.extension().is_none_or(|e| e != "kql") {
        return;
    }
    if let Ok(text) = fs::read_to_string(path) {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        found.push(SavedQuery::parse(
            folder,
            &stem,
            &text,
            Origin::User(path.to_path_buf()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers() {
        let text = "// title: Encoded PowerShell\n// tags: powershell, execution\n// mitre: T1059.001\n\nDeviceProcessEvents\n| take 1\n";
        let query = SavedQuery::parse("Execution", "encoded", text, Origin::Bundled);
        assert_eq!(query.title, "Encoded PowerShell");
        assert_eq!(query.tags, ["powershell", "execution"]);
        assert_eq!(query.mitre, ["T1059.001"]);
        assert_eq!(query.body(), "DeviceProcessEvents\n| take 1\n");
    }

    #[test]
    fn the_bundled_library_is_embedded() {
        let queries = bundled_queries();
        assert!(queries.len() >= 5, "at least five bundled queries");
        assert!(
            queries
                .iter()
                .all(|q| !q.title.is_empty() && !q.body().trim().is_empty())
        );
    }

    #[test]
    fn user_folders_are_read() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("Triage")).unwrap();
        fs::write(dir.path().join("a.kql"), "T | take 1").unwrap();
        fs::write(dir.path().join("Triage/b.kql"), "// title: B\nT").unwrap();
        fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let found = load_folder(dir.path(), "My queries");
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].folder, "My queries / Triage");
        assert_eq!(found[1].title, "B");
    }

    #[test]
    fn file_names_from_query_names_stay_in_their_folder() {
        assert_eq!(safe_file_stem("Beacon hunt"), "Beacon hunt");
        assert_eq!(safe_file_stem("../x"), "_x");
        assert_eq!(safe_file_stem("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_file_stem("/abs/path"), "_abs_path");
        assert_eq!(
            safe_file_stem("invoice\u{202E}fdp.exe\u{200B}"),
            "invoice_fdp.exe_"
        );
        assert_eq!(safe_file_stem("a\\b:c"), "a_b_c");
        assert_eq!(safe_file_stem("nul\0byte"), "nul_byte");
        assert_eq!(safe_file_stem(".."), "query");
        assert_eq!(safe_file_stem(" . "), "query");
        assert_eq!(safe_file_stem(".hidden"), "hidden");
        assert_eq!(safe_file_stem("CON"), "CON_");
        assert_eq!(safe_file_stem("nul.txt"), "nul.txt_");
        assert_eq!(safe_file_stem("com7"), "com7_");
        assert_eq!(safe_file_stem("COMPUTER"), "COMPUTER");
        assert_eq!(safe_file_stem("esc\u{1b}[31m"), "esc_[31m");
        assert_eq!(safe_file_stem(&"é".repeat(300)).chars().count(), 60);
        for hostile in ["../x", "a/../../b", "..", "x/", "\0", "C:\\Windows"] {
            let stem = safe_file_stem(hostile);
            let path = Path::new("/q").join(format!("{stem}.kql"));
            assert_eq!(path.parent(), Some(Path::new("/q")), "{hostile}");
            assert!(!stem.contains('/') && !stem.contains('\0'));
        }
    }

    #[test]
    fn a_new_title_replaces_the_headers_title() {
        let text = "// title: Old\n// mitre: T1\nT | take 1\n// title: in the body\n";
        let titled = with_title(text, "New\nname");
        assert_eq!(
            titled,
            "// title: New name\n// mitre: T1\nT | take 1\n// title: in the body\n"
        );
        let query = SavedQuery::parse("My queries", "x", &titled, Origin::Bundled);
        assert_eq!(query.title, "New name");
        assert_eq!(with_title("", "Empty"), "// title: Empty\n");
        assert_eq!(with_title(&titled, "New name"), titled, "idempotent");
    }
}
