// SPDX-License-Identifier: GPL-3.0-or-later
//! Files only the kiosk's user may read, replaced atomically.
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
pub(crate) fn write(path: &Path, content: &[u8]) -> io::Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let mut temporary_name = name.to_os_string();
    temporary_name.push(format!(".{}.tmp", std::process::id()));
    let temporary = folder.join(temporary_name);
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
