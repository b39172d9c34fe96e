// SPDX-License-Identifier: GPL-3.0-or-later
//! The maintenance stick, `appliance update-from-stick` (kiosk-update.service):
//! a stick labelled KIOSKUPDATE with `update.raucb` is installed into the
//! other slot with RAUC, then the terminal reboots into it.
//!
//! Nothing about the stick is trusted here: RAUC checks the bundle's
//! signature against its keyring and the pre-install handler its version
//! ([`crate::downgrade`]). A stick left in is not installed twice: the
//! SHA-256 of the bundle last installed is kept in the unit's state directory
//! (`installed`, the hex digest on one line) and a bundle with that digest is
//! skipped.

use sha2::{Digest as _, Sha256};
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// RAUC's command-line client; `install` asks rauc.service over D-Bus.
pub const RAUC: &str = "/usr/bin/rauc";

/// systemd's client; `reboot` asks for an orderly reboot.
pub const SYSTEMCTL: &str = "/usr/bin/systemctl";

/// The state directory's file with the digest of the bundle last installed.
const INSTALLED: &str = "installed";

/// The SHA-256 digest of a bundle, in lower-case hex (as `sha256sum` prints it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleDigest(String);

impl fmt::Display for BundleDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What became of the stick's bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This bundle was installed before; nothing done.
    AlreadyInstalled(BundleDigest),
    /// RAUC installed it into the other slot; the terminal should reboot.
    Installed(BundleDigest),
}

/// Why the stick's bundle was not installed, or the reboot not asked for.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// No bundle at the expected place.
    #[error("no {} on the stick: a maintenance stick holds the signed bundle as update.raucb", path.display())]
    NoBundle {
        /// Where the bundle should be.
        path: PathBuf,
    },
    /// The bundle could not be read for its digest.
    #[error("cannot read the bundle {}: {source}", path.display())]
    ReadBundle {
        /// The bundle.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The record of the last install could not be read.
    #[error("cannot read {}: {source}", path.display())]
    ReadRecord {
        /// The record.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The install could not be recorded. The slot is written, but without
    /// the record the stick would be installed again after the reboot, so
    /// there is no reboot.
    #[error(
        "the bundle is installed into the other slot, but cannot be recorded in {}: {source}; not rebooting, so that \
         the stick is not installed again: remove the stick, then restart the terminal",
        path.display()
    )]
    Record {
        /// The record.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A program could not be started.
    #[error("cannot run {program}: {source}")]
    Run {
        /// The program.
        program: &'static str,
        /// The error.
        source: io::Error,
    },
    /// RAUC did not install the bundle.
    #[error("rauc install failed ({status}): the bundle is not installed; rauc.service's journal says why")]
    Install {
        /// rauc's exit status.
        status: ExitStatus,
    },
    /// systemd did not take the reboot.
    #[error("systemctl reboot failed ({status}): the update is installed and is booted with the next restart")]
    Reboot {
        /// systemctl's exit status.
        status: ExitStatus,
    },
}

/// The SHA-256 of the file at `path`.
pub fn bundle_digest(path: &Path) -> Result<BundleDigest, UpdateError> {
    let error = |source| UpdateError::ReadBundle { path: path.to_owned(), source };
    let mut file = fs::File::open(path).map_err(error)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(error(e)),
        }
    }
    let hex = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(BundleDigest(hex))
}

/// The digest recorded in `state_dir` by the last install, if any.
pub fn installed_digest(state_dir: &Path) -> Result<Option<BundleDigest>, UpdateError> {
    let path = state_dir.join(INSTALLED);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(Some(BundleDigest(text.trim_end().to_owned()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(UpdateError::ReadRecord { path, source }),
    }
}

/// Records `digest` as installed in `state_dir`: written to a new file,
/// flushed and renamed over the old one, so that a power cut leaves one of
/// the two whole.
pub fn record_installed(state_dir: &Path, digest: &BundleDigest) -> Result<(), UpdateError> {
    let path = state_dir.join(INSTALLED);
    let new = state_dir.join(format!("{INSTALLED}.new"));
    let write = || -> io::Result<()> {
        let mut file = fs::File::create(&new)?;
        writeln!(file, "{digest}")?;
        file.sync_all()?;
        fs::rename(&new, &path)?;
        fs::File::open(state_dir)?.sync_all()
    };
    write().map_err(|source| UpdateError::Record { path, source })
}

/// Installs the bundle at `bundle` unless the record in `state_dir` says it
/// was installed before; records it once RAUC has installed it.
pub fn update_from_stick(bundle: &Path, state_dir: &Path) -> Result<Outcome, UpdateError> {
    if !bundle.is_file() {
        return Err(UpdateError::NoBundle { path: bundle.to_owned() });
    }
    let digest = bundle_digest(bundle)?;
    if installed_digest(state_dir)?.as_ref() == Some(&digest) {
        return Ok(Outcome::AlreadyInstalled(digest));
    }
    tracing::info!(target: "kiosk-update", "installing {} ({digest})", bundle.display());
    let status = Command::new(RAUC)
        .arg("install")
        .arg(bundle)
        .status()
        .map_err(|source| UpdateError::Run { program: RAUC, source })?;
    if !status.success() {
        return Err(UpdateError::Install { status });
    }
    record_installed(state_dir, &digest)?;
    Ok(Outcome::Installed(digest))
}

/// Asks systemd for an orderly reboot (into the slot RAUC made primary).
pub fn reboot() -> Result<(), UpdateError> {
    let status = Command::new(SYSTEMCTL)
        .arg("reboot")
        .status()
        .map_err(|source| UpdateError::Run { program: SYSTEMCTL, source })?;
    if status.success() { Ok(()) } else { Err(UpdateError::Reboot { status }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_the_one_sha256sum_prints() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("update.raucb");
        // More than one read buffer, not a multiple of it.
        let content: Vec<u8> = (0..200_001u32).map(|i| (i * 7 % 251) as u8).collect();
        fs::write(&bundle, &content).unwrap();
        let output = Command::new("sha256sum").arg(&bundle).output().unwrap();
        assert!(output.status.success());
        let expected = String::from_utf8(output.stdout).unwrap().split(' ').next().unwrap().to_owned();
        assert_eq!(bundle_digest(&bundle).unwrap().to_string(), expected);
    }

    #[test]
    fn the_record_holds_the_last_installed_digest() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(installed_digest(dir.path()).unwrap(), None);
        let first = BundleDigest("ab".repeat(32));
        record_installed(dir.path(), &first).unwrap();
        assert_eq!(fs::read_to_string(dir.path().join("installed")).unwrap(), format!("{first}\n"));
        assert_eq!(installed_digest(dir.path()).unwrap(), Some(first));
        let second = BundleDigest("cd".repeat(32));
        record_installed(dir.path(), &second).unwrap();
        assert_eq!(installed_digest(dir.path()).unwrap(), Some(second));
        assert!(!dir.path().join("installed.new").exists());
    }

    #[test]
    fn a_record_that_cannot_be_written_says_not_to_reboot() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-state-directory");
        let err = record_installed(&missing, &BundleDigest("00".repeat(32))).unwrap_err();
        assert!(matches!(err, UpdateError::Record { .. }));
        assert!(err.to_string().contains("not rebooting"), "{err}");
    }

    #[test]
    fn a_stick_installed_before_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("update.raucb");
        fs::write(&bundle, b"a bundle").unwrap();
        let state = dir.path().join("state");
        fs::create_dir(&state).unwrap();
        // The format the shell script before this program wrote, too.
        let digest = bundle_digest(&bundle).unwrap();
        fs::write(state.join("installed"), format!("{digest}\n")).unwrap();
        assert_eq!(update_from_stick(&bundle, &state).unwrap(), Outcome::AlreadyInstalled(digest));
    }

    #[test]
    fn a_stick_without_the_bundle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = update_from_stick(&dir.path().join("update.raucb"), dir.path()).unwrap_err();
        assert!(matches!(err, UpdateError::NoBundle { .. }));
        assert!(err.to_string().contains("update.raucb"), "{err}");
        // A directory by that name is no bundle either.
        fs::create_dir(dir.path().join("update.raucb")).unwrap();
        assert!(matches!(
            update_from_stick(&dir.path().join("update.raucb"), dir.path()),
            Err(UpdateError::NoBundle { .. })
        ));
    }
}
