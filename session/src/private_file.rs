// SPDX-License-Identifier: GPL-3.0-or-later
//! Files only the kiosk's user may read (keys, certificates), replaced
//! atomically.
//!
//! The content goes to a temporary file created with mode 0600 in the same
//! folder, is fsynced, then renamed over the target and the folder fsynced:
//! a power cut leaves either the old file or the new one, never a torn one
//! and never a moment in which the key is readable by others.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Writes `content` to `path` (mode 0600), replacing it atomically.
pub fn write(path: &Path, content: &[u8]) -> io::Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let mut temporary_name = name.to_os_string();
    temporary_name.push(format!(".{}.tmp", std::process::id()));
    let temporary = folder.join(temporary_name);
    // A temporary file of this name is a leftover of ours from a power cut
    // (process ids repeat across boots); it never held a finished file.
    let _ = fs::remove_file(&temporary);
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temporary)?;
        file.write_all(content)?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        File::open(folder)?.sync_all()
    })();
    if written.is_err() {
        // The temporary file is ours and incomplete; the target is untouched.
        let _ = fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_file_is_replaced_whole_with_mode_0600_even_over_a_leftover_temporary_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("device.pem");
        fs::write(&path, b"old").expect("written");
        let leftover = dir.path().join(format!("device.pem.{}.tmp", std::process::id()));
        fs::write(&leftover, b"torn").expect("written");

        write(&path, b"new").expect("replaced");

        assert_eq!(fs::read(&path).expect("read"), b"new");
        assert_eq!(fs::metadata(&path).expect("metadata").permissions().mode() & 0o777, 0o600);
        assert!(!leftover.exists());
    }

    #[test]
    fn a_write_into_a_missing_folder_fails_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("missing-folder").join("device.pem");
        assert!(write(&path, b"new").is_err());
        assert_eq!(fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
