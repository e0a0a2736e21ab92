//! Every file patlint reads (the policy, secrets, CA bundles, facts) goes through here:
//! regular files only, each kind with a size cap, and each read bounded in time. A FIFO,
//! a device or a hung network mount must never block a run, and `/dev/zero` or a sparse
//! gigabyte must never fill memory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// What is read, with its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Policy,
    /// A token's secret, an Entra token, an access key id: a few KiB at most.
    Secret,
    CaBundle,
    Facts,
}

impl FileKind {
    pub const fn max_bytes(self) -> u64 {
        match self {
            FileKind::Policy => 16 * 1024 * 1024,
            FileKind::Secret => 64 * 1024,
            FileKind::CaBundle => 4 * 1024 * 1024,
            FileKind::Facts => 64 * 1024 * 1024,
        }
    }
}

/// The longest a read may take before patlint gives up on it (a hung network mount).
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a file could not be read. Holds nothing of the file's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("does not exist")]
    NotFound,
    #[error(
        "is not a regular file (a FIFO, a device or a directory); patlint reads only regular files"
    )]
    NotRegular,
    #[error("is larger than {} KiB, the most patlint reads for this kind of file", .0 / 1024)]
    TooLarge(u64),
    #[error("did not finish reading within {}s (a hung mount?)", READ_TIMEOUT.as_secs())]
    TimedOut,
    #[error("{0}")]
    Io(String),
}

/// A path the policy names (a secret file, a CA bundle) as the policy means it: a leading
/// `~/` is the home folder (`HOME`, else `USERPROFILE`), a relative path is taken from the
/// policy file's folder, whatever the working directory the run starts in.
pub fn policy_relative(written: &str, policy_folder: &Path) -> PathBuf {
    let home = || {
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var_os("USERPROFILE").filter(|h| !h.is_empty()))
            .map(PathBuf::from)
    };
    let in_home = written
        .strip_prefix("~/")
        .or_else(|| written.strip_prefix("~\\"));
    if let (Some(rest), Some(home)) = (in_home, home()) {
        return home.join(rest);
    }
    let path = Path::new(written);
    if path.is_absolute() {
        path.to_owned()
    } else {
        policy_folder.join(path)
    }
}

/// The folder of the policy file `--policy` named (empty: the working directory).
pub fn folder_of(policy: &str) -> PathBuf {
    Path::new(policy)
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}

/// Reads a whole regular file of `kind`, within its cap and [`READ_TIMEOUT`].
pub fn read(path: &Path, kind: FileKind) -> Result<Vec<u8>, FileError> {
    let path: PathBuf = path.to_owned();
    let (sender, receiver) = mpsc::channel();
    // A thread of its own, so that even a stat or open that never returns (a hung mount)
    // cannot hold the run: past the timeout it is abandoned, and exits with the process.
    std::thread::Builder::new()
        .name("patlint-read".into())
        .spawn(move || {
            let _ = sender.send(read_now(&path, kind.max_bytes()));
        })
        .map_err(|e| FileError::Io(format!("cannot start a reader: {e}")))?;
    receiver
        .recv_timeout(READ_TIMEOUT)
        .unwrap_or(Err(FileError::TimedOut))
}

fn read_now(path: &Path, max: u64) -> Result<Vec<u8>, FileError> {
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => FileError::NotFound,
        kind => FileError::Io(kind.to_string()),
    };
    // Checked before opening: opening a FIFO blocks until a writer comes.
    let metadata = std::fs::metadata(path).map_err(io)?;
    if !metadata.is_file() {
        return Err(FileError::NotRegular);
    }
    if metadata.len() > max {
        return Err(FileError::TooLarge(max));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    // And again on what was opened, in case the path changed in between.
    if !file.metadata().map_err(io)?.is_file() {
        return Err(FileError::NotRegular);
    }
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(FileError::TooLarge(max));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_within_their_cap_only() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("secret");
        std::fs::write(&small, "ghp_x").unwrap();
        assert_eq!(read(&small, FileKind::Secret).unwrap(), b"ghp_x");

        let sparse = dir.path().join("sparse");
        let file = std::fs::File::create(&sparse).unwrap();
        file.set_len(1024 * 1024 * 1024).unwrap();
        assert_eq!(
            read(&sparse, FileKind::Secret),
            Err(FileError::TooLarge(64 * 1024))
        );

        assert_eq!(
            read(dir.path(), FileKind::Secret),
            Err(FileError::NotRegular)
        );
        assert_eq!(
            read(Path::new("/dev/zero"), FileKind::Secret),
            Err(FileError::NotRegular)
        );
        assert_eq!(
            read(&dir.path().join("absent"), FileKind::Secret),
            Err(FileError::NotFound)
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        assert_eq!(read(&fifo, FileKind::Secret), Err(FileError::NotRegular));
    }
}
