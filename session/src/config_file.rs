// SPDX-License-Identifier: GPL-3.0-or-later
//! Reading one configuration file safely: only a regular file, and only up
//! to a size that a configuration file can have. A FIFO, a device or a
//! directory where a file belongs is refused before it is opened (opening a
//! FIFO for reading blocks until someone writes to it, and would keep the
//! terminal from ever reporting ready); a file that grew beyond its limit
//! is refused instead of read into memory whole.

use std::io::Read;
use std::path::{Path, PathBuf};
use thiserror::Error;
use zeroize::Zeroizing;

/// The largest configuration text file read (TOML, PEM, base32 seeds).
pub const TEXT_LIMIT: u64 = 1 << 20;

/// Why a configuration file cannot be read.
#[derive(Debug, Error)]
pub enum ConfigFileError {
    /// The file is missing or cannot be read.
    #[error("cannot read {path}: {source}; check that it exists and its permissions")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// Something else than a regular file stands where the file belongs.
    #[error("{path} is not a regular file (a {kind}); put the file itself there")]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What stands there.
        kind: &'static str,
    },
    /// The file is larger than such a file can be.
    #[error("{path} is larger than {limit} bytes, more than such a file can hold; check that it is the right file")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// A text file is not UTF-8.
    #[error("{path} is not UTF-8 text")]
    NotText {
        /// The file.
        path: PathBuf,
    },
}

impl ConfigFileError {
    /// Whether the file is simply not there.
    pub fn is_missing(&self) -> bool {
        matches!(self, ConfigFileError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Reads the regular file at `path`, at most `limit` bytes. The bytes are
/// zeroized when dropped (keys and secrets are read this way too).
pub fn read_file(path: &Path, limit: u64) -> Result<Zeroizing<Vec<u8>>, ConfigFileError> {
    let read_error = |source| ConfigFileError::Read { path: path.into(), source };
    // Follow a link (a provisioned file may be one), but look before opening.
    let kind = std::fs::metadata(path).map_err(read_error)?.file_type();
    if !kind.is_file() {
        return Err(ConfigFileError::NotAFile { path: path.into(), kind: kind_name(&kind) });
    }
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(limit + 1).read_to_end(&mut bytes).map_err(read_error)?;
    if bytes.len() as u64 > limit {
        return Err(ConfigFileError::TooLarge { path: path.into(), limit });
    }
    Ok(bytes)
}

/// Reads the regular text file at `path`, at most [`TEXT_LIMIT`] bytes.
pub fn read_text(path: &Path) -> Result<Zeroizing<String>, ConfigFileError> {
    let bytes = read_file(path, TEXT_LIMIT)?;
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Zeroizing::new(text.to_owned())),
        Err(_) => Err(ConfigFileError::NotText { path: path.into() }),
    }
}

fn kind_name(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "directory"
    } else if kind.is_fifo() {
        "FIFO"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "device"
    } else {
        "special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_fifo_is_refused_at_once_instead_of_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("terminal.toml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
        assert!(made.success());
        let started = Instant::now();
        let error = read_text(&fifo).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1), "no read blocked");
        assert!(matches!(error, ConfigFileError::NotAFile { kind: "FIFO", .. }), "{error}");
        assert!(error.to_string().contains("terminal.toml"), "{error}");
    }

    #[test]
    fn a_directory_a_device_and_a_missing_file_each_say_what_they_are() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read_text(dir.path()), Err(ConfigFileError::NotAFile { kind: "directory", .. })));
        assert!(matches!(read_text(Path::new("/dev/zero")), Err(ConfigFileError::NotAFile { kind: "device", .. })));
        assert!(read_text(&dir.path().join("absent.toml")).unwrap_err().is_missing());
    }

    #[test]
    fn a_file_beyond_its_limit_is_refused_and_one_at_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(&path, vec![b'a'; 1025]).unwrap();
        assert!(matches!(read_file(&path, 1024), Err(ConfigFileError::TooLarge { limit: 1024, .. })));
        assert_eq!(read_file(&path, 1025).unwrap().len(), 1025);
    }
}
