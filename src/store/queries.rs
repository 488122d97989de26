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
}
