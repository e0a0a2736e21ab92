//! Where the policy file is, for formats that point into a repository: relative to the
//! repository root (`GITHUB_WORKSPACE` when set, else the git top level above the policy),
//! whatever the current directory and however `--policy` was spelled; absolute when the
//! policy lies outside any repository.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The policy's place, computed once per path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPlace {
    /// The repository root, when the policy is inside one.
    pub root: Option<PathBuf>,
    /// The path below `root` with `/` (when there is a root), else the absolute path.
    pub path: String,
}

impl PolicyPlace {
    /// For SARIF: the percent-encoded URI, relative to `%SRCROOT%` when there is a root,
    /// else an absolute `file://` URI.
    pub fn uri(&self) -> String {
        match &self.root {
            None if self.path.starts_with('/') => format!("file://{}", encode(&self.path)),
            _ => encode(&self.path),
        }
    }

    /// `%SRCROOT%`'s URI (a directory: ends in `/`).
    pub fn root_uri(&self) -> Option<String> {
        let root = self.root.as_ref()?.to_string_lossy().replace('\\', "/");
        let root = root.trim_end_matches('/');
        Some(format!("file://{}/", encode(root)))
    }
}

/// Where the policy at `spelled` (as given on the command line) is.
pub fn place(spelled: &str) -> PolicyPlace {
    static PLACES: OnceLock<Mutex<HashMap<String, PolicyPlace>>> = OnceLock::new();
    let mut places = PLACES
        .get_or_init(Default::default)
        .lock()
        .expect("never poisoned");
    places
        .entry(spelled.to_owned())
        .or_insert_with(|| compute(spelled))
        .clone()
}

fn compute(spelled: &str) -> PolicyPlace {
    let given = Path::new(spelled);
    let Ok(absolute) = std::fs::canonicalize(given) else {
        // Not a file (a test's in-memory name): as given, with `/`, without `./`.
        let text = spelled.replace('\\', "/");
        return PolicyPlace {
            root: None,
            path: text.strip_prefix("./").unwrap_or(&text).to_owned(),
        };
    };
    let root = workspace()
        .filter(|w| absolute.starts_with(w))
        .or_else(|| git_top_level(&absolute));
    match root.and_then(|r| Some((absolute.strip_prefix(&r).ok()?.to_path_buf(), r))) {
        Some((relative, root)) => PolicyPlace {
            root: Some(root),
            path: relative.to_string_lossy().replace('\\', "/"),
        },
        None => PolicyPlace {
            root: None,
            path: absolute.to_string_lossy().replace('\\', "/"),
        },
    }
}

/// `GITHUB_WORKSPACE`, resolved (the checkout may be reached through a symlink).
fn workspace() -> Option<PathBuf> {
    let workspace = std::env::var_os("GITHUB_WORKSPACE").filter(|w| !w.is_empty())?;
    std::fs::canonicalize(workspace).ok()
}

/// The nearest directory above `file` with a `.git` (a directory, or a worktree's file).
fn git_top_level(file: &Path) -> Option<PathBuf> {
    file.ancestors()
        .skip(1)
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Percent-encodes what a URI path may not hold as is (RFC 3986: unreserved characters
/// and `/` stay).
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            encode("sp dir/my policy#1%.toml"),
            "sp%20dir/my%20policy%231%25.toml"
        );
        assert_eq!(encode("ü.toml"), "%C3%BC.toml");
    }
}
