//! Secrets: where they come from, and a type that cannot print them.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::files::{self, FileError, FileKind};

/// Shorter values are refused as secrets.
pub const MIN_SECRET_CHARS: usize = 4;

/// Where a token's secret is read from. Holds no secret itself, so it may be printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    File(SecretFile),
    /// The credentials of a named profile of a host's own configuration, which the
    /// host's SDK reads itself: patlint holds no secret for it.
    Profile(String),
}

/// A file holding a secret: as the policy wrote it, and where it is read from (a leading
/// `~/` is the home folder; a relative path is taken from the policy file's folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFile {
    pub written: String,
    pub path: PathBuf,
}

impl SecretFile {
    /// `written`, as a policy in `policy_folder` means it.
    pub fn in_folder(written: &str, policy_folder: &Path) -> Self {
        SecretFile {
            written: written.to_owned(),
            path: crate::files::policy_relative(written, policy_folder),
        }
    }

    /// Where the file was looked for, as an absolute path when the working directory is
    /// known: what a user needs to find it.
    pub fn looked_for(&self) -> String {
        std::path::absolute(&self.path)
            .unwrap_or_else(|_| self.path.clone())
            .display()
            .to_string()
    }
}

impl SecretSource {
    /// A file read from exactly `path`.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        SecretSource::File(SecretFile {
            written: path.display().to_string(),
            path,
        })
    }
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(name) => write!(f, "environment variable `{name}`"),
            SecretSource::File(file) => write!(f, "file `{}`", file.written),
            SecretSource::Profile(name) => write!(f, "profile `{name}`"),
        }
    }
}

/// Why a secret could not be read. Never contains any part of the secret.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("{0} is not set")]
    Missing(SecretSource),
    /// A secret file that is not there, and where it was looked for.
    #[error("file `{}` does not exist (looked for {}{})", .0.written, .0.looked_for(), if std::path::Path::new(&.0.written).is_absolute() { "" } else { "; a relative path is read from the policy file's folder, `~/` from the home folder" })]
    NoFile(SecretFile),
    #[error("{0} is empty")]
    Empty(SecretSource),
    #[error("{source_} could not be read: {reason}")]
    Unreadable {
        source_: SecretSource,
        reason: String,
    },
}

impl SecretSource {
    /// Reads the secret, trimming the surrounding whitespace that files and `echo` add.
    pub fn read(&self) -> Result<Secret, SecretError> {
        let raw = match self {
            SecretSource::Env(name) => match std::env::var(name) {
                Ok(value) => value,
                Err(std::env::VarError::NotPresent) => {
                    return Err(SecretError::Missing(self.clone()));
                }
                // The value is not echoed: it may be the secret with a stray byte.
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(SecretError::Unreadable {
                        source_: self.clone(),
                        reason: "its value is not valid UTF-8".into(),
                    });
                }
            },
            SecretSource::Profile(_) => return Ok(Secret(String::new())),
            SecretSource::File(file) => match files::read(&file.path, FileKind::Secret) {
                Ok(bytes) => String::from_utf8(bytes).map_err(|_| SecretError::Unreadable {
                    source_: self.clone(),
                    reason: "its content is not valid UTF-8".into(),
                })?,
                Err(FileError::NotFound) => return Err(SecretError::NoFile(file.clone())),
                Err(e) => {
                    return Err(SecretError::Unreadable {
                        source_: self.clone(),
                        reason: e.to_string(),
                    });
                }
            },
        };
        // A byte-order mark (some Windows editors write one) is not part of the secret.
        let trimmed = raw.trim_start_matches('\u{feff}').trim();
        if trimmed.is_empty() {
            return Err(SecretError::Empty(self.clone()));
        }
        if trimmed.chars().count() < MIN_SECRET_CHARS {
            return Err(SecretError::Unreadable {
                source_: self.clone(),
                reason: format!(
                    "it holds fewer than {MIN_SECRET_CHARS} characters, which is no credential (and could not be kept out of reports: scrubbing it would blank ordinary words)"
                ),
            });
        }
        Ok(Secret(trimmed.to_owned()))
    }
}

/// A credential. It has no `Display`, its `Debug` is redacted, and the only way to the
/// value is [`Secret::expose`], which the host clients call to build an auth header.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The well-known, non-secret prefix of a token (`ghp_`, `glpat-`, ...), used to
    /// tell token kinds apart. Returns `None` when the token has no such prefix.
    pub fn prefix_matching<'a>(&self, prefixes: &[&'a str]) -> Option<&'a str> {
        prefixes.iter().copied().find(|p| self.0.starts_with(p))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("ghp_canary0000000000000000000000000000");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert!(!format!("{:?}", Some(&s)).contains("canary"));
    }

    #[test]
    fn file_secret_is_trimmed_and_errors_name_only_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pat");
        std::fs::write(&path, "ghp_canary\n").unwrap();
        let secret = SecretSource::file(&path).read().unwrap();
        assert_eq!(secret.expose(), "ghp_canary");

        std::fs::write(&path, "  \n").unwrap();
        let err = SecretSource::file(&path).read().unwrap_err();
        assert!(matches!(err, SecretError::Empty(_)));

        let missing = SecretSource::Env("PATLINT_TEST_SURELY_UNSET_VAR".into())
            .read()
            .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "environment variable `PATLINT_TEST_SURELY_UNSET_VAR` is not set"
        );
    }
}
