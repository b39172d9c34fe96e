// SPDX-License-Identifier: GPL-3.0-or-later
//! Downgrade refusal: RAUC's pre-install handler (`[handlers] pre-install=`
//! in image/rootfs/etc/rauc/system.conf), `appliance rauc-pre-install`.
//!
//! RAUC installs any bundle the keyring signed, old ones too, so someone
//! holding an old signed bundle with a known hole could bring it on a stick.
//! RAUC runs its pre-install handler for every install, whoever asked for it
//! (the stick today, D-Bus from a fleet unit later), after it has checked the
//! signature and mounted the bundle and before it writes a slot; a handler
//! that fails stops the install (RAUC docs, "Custom Handlers"). This one
//! compares the bundle's version with the running system's and refuses an
//! older bundle unless a maintainer has allowed exactly that version.
//!
//! The bundle's version comes from the manifest in the mounted bundle: RAUC
//! 1.8 gives handlers the mount point (`RAUC_BUNDLE_MOUNT_POINT`), not the
//! version (RAUC docs, "Custom Handlers (Interface)"; `prepare_environment`
//! in RAUC 1.8's src/install.c), and a verity bundle's payload is covered by
//! the signature through the dm-verity root hash in the signed manifest
//! (RAUC docs, "Bundle formats"). The running system's version is a file the
//! build writes into the read-only, verity-checked root.

use std::cmp::Ordering;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where the build puts the running system's version (image/build.sh).
pub const SYSTEM_VERSION_FILE: &str = "/usr/lib/kiosk/version";

/// The maintainer's allowance for one downgrade (docs/SECURITY.md,
/// "Services"): a regular file holding exactly the version that may be
/// installed although it is older, on one line. Only root can write the
/// directory (tmpfiles.d, mode 0700), so neither the kiosk nor a stick can
/// put it there. It is deleted when it is used, before RAUC writes the slot.
pub const ALLOWANCE_FILE: &str = "/var/lib/kiosk-update/allow-downgrade";

/// The longest version accepted, in bytes; the build's are 17 long.
const MAX_VERSION_LEN: usize = 64;

/// The largest manifest read; the build's are a few hundred bytes.
const MAX_MANIFEST_LEN: u64 = 64 * 1024;

/// A version of the terminal's software: decimal numbers separated by dots,
/// compared number by number from the left, where a missing number counts as
/// 0 (`2026.12` and `2026.12.0` are the same version). The build's versions
/// are the UTC time of the build, `YYYY.MM.DD.HHMMSS` (image/build.sh), so a
/// later build is a greater version.
#[derive(Debug, Clone)]
pub struct Version {
    // Boxed slices, not String and Vec: a DowngradeError carries up to
    // three versions and stays small enough to return by value.
    text: Box<str>,
    numbers: Box<[u64]>,
}

impl Version {
    /// The numbers without trailing zeros: equal versions have equal ones,
    /// and comparing them from the left orders versions as zero-padding would.
    fn significant(&self) -> &[u64] {
        let end = self.numbers.iter().rposition(|&n| n != 0).map_or(0, |i| i + 1);
        &self.numbers[..end]
    }
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(VersionError::Empty);
        }
        if text.len() > MAX_VERSION_LEN {
            return Err(VersionError::TooLong { len: text.len(), max: MAX_VERSION_LEN });
        }
        let numbers = text
            .split('.')
            .map(|part| {
                // u64::from_str takes a leading '+'; a version does not.
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(VersionError::NotANumber { version: text.to_owned(), part: part.to_owned() });
                }
                part.parse().map_err(|_| VersionError::TooLarge { version: text.to_owned(), part: part.to_owned() })
            })
            .collect::<Result<_, _>>()?;
        Ok(Version { text: text.into(), numbers })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.significant() == other.significant()
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.significant().cmp(other.significant())
    }
}

/// Why a text is not a [`Version`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VersionError {
    /// Nothing at all.
    #[error("the version is empty")]
    Empty,
    /// Longer than any version the build makes.
    #[error("the version is {len} bytes long, more than {max}")]
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A part between dots that is not a decimal number (or is empty).
    #[error("{version:?} is not a version: {part:?} is not a decimal number (versions are numbers separated by dots)")]
    NotANumber {
        /// The whole text.
        version: String,
        /// The offending part.
        part: String,
    },
    /// A number too large to compare.
    #[error("{version:?} is not a version: {part} is too large")]
    TooLarge {
        /// The whole text.
        version: String,
        /// The offending part.
        part: String,
    },
}

/// What the check decided for a bundle it lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The bundle is newer than the running system.
    Newer,
    /// The same version again (a repair of the other slot).
    Same,
    /// Older, and the maintainer allowed exactly this version; the
    /// allowance is used up.
    AllowedDowngrade,
}

/// Why a bundle is refused or the check could not be made; either way RAUC
/// does not install it.
#[derive(Debug, thiserror::Error)]
pub enum DowngradeError {
    /// Older than the running system, and no allowance.
    #[error(
        "refused: the bundle's version {bundle} is older than the running system's {system}; to allow this one \
         downgrade, a maintainer puts {bundle} into {}",
        allowance.display()
    )]
    Refused {
        /// The bundle's version.
        bundle: Version,
        /// The running system's.
        system: Version,
        /// Where an allowance would be.
        allowance: PathBuf,
    },
    /// Older, and the allowance names another version.
    #[error(
        "refused: the bundle's version {bundle} is older than the running system's {system}, and {} allows {allowed}, \
         not {bundle}",
        allowance.display()
    )]
    OtherVersionAllowed {
        /// The bundle's version.
        bundle: Version,
        /// The running system's.
        system: Version,
        /// The version the allowance names.
        allowed: Version,
        /// The allowance file.
        allowance: PathBuf,
    },
    /// The manifest has no `[update] version`.
    #[error("refused: the bundle's manifest {} has no version ([update] version=); every bundle of this terminal carries one (image/make-bundle.sh)", manifest.display())]
    NoBundleVersion {
        /// The manifest.
        manifest: PathBuf,
    },
    /// The manifest's version is malformed.
    #[error("refused: the bundle's manifest {}: {source}", manifest.display())]
    BundleVersion {
        /// The manifest.
        manifest: PathBuf,
        /// What is wrong with it.
        source: VersionError,
    },
    /// The running system's version file is malformed.
    #[error("refused: the running system's version in {}: {source}; this root was not built by image/build.sh", path.display())]
    SystemVersion {
        /// The version file.
        path: PathBuf,
        /// What is wrong with it.
        source: VersionError,
    },
    /// The allowance does not hold a version.
    #[error("refused: the downgrade allowance {}: {source}; it must hold the one version allowed", path.display())]
    AllowanceVersion {
        /// The allowance file.
        path: PathBuf,
        /// What is wrong with it.
        source: VersionError,
    },
    /// A file that should be a small regular file is not.
    #[error("refused: {} is not a regular file of at most {limit} bytes", path.display())]
    NotASmallFile {
        /// The file.
        path: PathBuf,
        /// Its size limit.
        limit: u64,
    },
    /// A file could not be read.
    #[error("refused: cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The used allowance could not be deleted.
    #[error("refused: cannot delete the downgrade allowance {} once used: {source}; it must not allow a second install", path.display())]
    ConsumeAllowance {
        /// The allowance file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

/// Reads a regular file of at most `limit` bytes as UTF-8 text; `None` if
/// it does not exist. A symbolic link counts as not a regular file.
fn read_small_file(path: &Path, limit: u64) -> Result<Option<String>, DowngradeError> {
    let read = |source| DowngradeError::Read { path: path.to_owned(), source };
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read(e)),
        Ok(meta) if !meta.file_type().is_file() || meta.len() > limit => {
            return Err(DowngradeError::NotASmallFile { path: path.to_owned(), limit });
        }
        Ok(_) => {}
    }
    let mut text = String::new();
    fs::File::open(path).and_then(|file| file.take(limit + 1).read_to_string(&mut text)).map_err(read)?;
    if text.len() as u64 > limit {
        return Err(DowngradeError::NotASmallFile { path: path.to_owned(), limit });
    }
    Ok(Some(text))
}

/// A one-line file's line: the text without its final newline.
fn one_line(text: &str) -> &str {
    text.strip_suffix('\n').unwrap_or(text)
}

/// The running system's version, from `path` (normally [`SYSTEM_VERSION_FILE`]).
pub fn system_version(path: &Path) -> Result<Version, DowngradeError> {
    let text = read_small_file(path, MAX_VERSION_LEN as u64 + 1)?.ok_or_else(|| DowngradeError::Read {
        path: path.to_owned(),
        source: io::Error::from(io::ErrorKind::NotFound),
    })?;
    one_line(&text).parse().map_err(|source| DowngradeError::SystemVersion { path: path.to_owned(), source })
}

/// The `version` key of the `[update]` group of a RAUC manifest, a GLib key
/// file (RAUC docs, "Manifest"): `#` starts a comment line, `[name]` a group,
/// `key=value` with blanks around either side ignored; a key given twice
/// counts with its last value, as in GLib's key files.
pub fn bundle_version(manifest: &Path) -> Result<Version, DowngradeError> {
    let text = read_small_file(manifest, MAX_MANIFEST_LEN)?.ok_or_else(|| DowngradeError::Read {
        path: manifest.to_owned(),
        source: io::Error::from(io::ErrorKind::NotFound),
    })?;
    let mut group = "";
    let mut version = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            group = name;
        } else if let Some((key, value)) = line.split_once('=')
            && group == "update"
            && key.trim() == "version"
        {
            version = Some(value.trim());
        }
    }
    let version = version.ok_or_else(|| DowngradeError::NoBundleVersion { manifest: manifest.to_owned() })?;
    version.parse().map_err(|source| DowngradeError::BundleVersion { manifest: manifest.to_owned(), source })
}

/// Decides about a bundle of version `bundle` on a system of version
/// `system`: newer and same pass; older passes only if the allowance file
/// `allowance` holds exactly the bundle's version, and the allowance is then
/// deleted.
pub fn check(bundle: &Version, system: &Version, allowance: &Path) -> Result<Verdict, DowngradeError> {
    match bundle.cmp(system) {
        Ordering::Greater => return Ok(Verdict::Newer),
        Ordering::Equal => return Ok(Verdict::Same),
        Ordering::Less => {}
    }
    let refused =
        || DowngradeError::Refused { bundle: bundle.clone(), system: system.clone(), allowance: allowance.to_owned() };
    let text = read_small_file(allowance, MAX_VERSION_LEN as u64 + 1)?.ok_or_else(refused)?;
    let allowed: Version = one_line(&text)
        .parse()
        .map_err(|source| DowngradeError::AllowanceVersion { path: allowance.to_owned(), source })?;
    // The exact text, not just an equal version: the maintainer names the
    // bundle as it is labelled.
    if allowed.text != bundle.text {
        return Err(DowngradeError::OtherVersionAllowed {
            bundle: bundle.clone(),
            system: system.clone(),
            allowed,
            allowance: allowance.to_owned(),
        });
    }
    fs::remove_file(allowance)
        .map_err(|source| DowngradeError::ConsumeAllowance { path: allowance.to_owned(), source })?;
    Ok(Verdict::AllowedDowngrade)
}

/// One run of the pre-install handler.
#[derive(Debug, Clone)]
pub struct PreInstall {
    /// Where RAUC mounted the bundle (`RAUC_BUNDLE_MOUNT_POINT`).
    pub bundle_mount_point: PathBuf,
    /// The running system's version file.
    pub system_version_file: PathBuf,
    /// The downgrade allowance.
    pub allowance: PathBuf,
}

/// What a run found and decided.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The bundle's version.
    pub bundle: Version,
    /// The running system's.
    pub system: Version,
    /// The decision.
    pub verdict: Verdict,
}

impl PreInstall {
    /// Reads both versions and decides; an error means RAUC must not
    /// install the bundle.
    pub fn run(&self) -> Result<Checked, DowngradeError> {
        let bundle = bundle_version(&self.bundle_mount_point.join("manifest.raucm"))?;
        let system = system_version(&self.system_version_file)?;
        let verdict = check(&bundle, &system, &self.allowance)?;
        Ok(Checked { bundle, system, verdict })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    #[test]
    fn versions_compare_number_by_number() {
        // The build's scheme: a later build is greater, also where the text
        // would sort otherwise (10 > 9).
        assert!(v("2026.12.02.001533") > v("2026.12.01.235959"));
        assert!(v("2026.10.01.000000") > v("2026.9.30.235959"));
        assert!(v("2027.01.01.000000") > v("2026.12.31.235959"));
        assert!(v("10") > v("9"));
        // Missing numbers count as 0; leading zeros do not matter.
        assert_eq!(v("2026.12"), v("2026.12.0.0"));
        assert_eq!(v("2026.01"), v("2026.1"));
        assert!(v("1.2") < v("1.2.1"));
        assert!(v("1.2.0.1") > v("1.2"));
        assert!(v("0") == v("0.0"));
        assert!(v("1") > v("0.999"));
        assert_eq!(v("2026.01.02").to_string(), "2026.01.02");
    }

    #[test]
    fn malformed_versions_are_refused_with_the_reason() {
        assert_eq!("".parse::<Version>().unwrap_err(), VersionError::Empty);
        for (text, part) in [("1..2", ""), ("1.2.", ""), (".1", ""), ("+1", "+1"), ("1.-2", "-2"), ("v1", "v1")] {
            assert_eq!(
                text.parse::<Version>().unwrap_err(),
                VersionError::NotANumber { version: text.into(), part: part.into() },
                "{text:?}"
            );
        }
        for text in ["1 .2", " 1", "1\n", "2026.12.02.0015 33", "1,2"] {
            assert!(matches!(text.parse::<Version>(), Err(VersionError::NotANumber { .. })), "{text:?}");
        }
        assert!(matches!("1.18446744073709551616".parse::<Version>(), Err(VersionError::TooLarge { .. })));
        assert!("18446744073709551615".parse::<Version>().is_ok());
        let long = "1.".repeat(40) + "1";
        assert!(matches!(long.parse::<Version>(), Err(VersionError::TooLong { .. })));
    }

    /// A manifest as image/make-bundle.sh writes it.
    fn manifest(dir: &Path, update_section: &str) -> PathBuf {
        let path = dir.join("manifest.raucm");
        fs::write(
            &path,
            format!(
                "[update]\ncompatible=buergerterminal-x86_64\n{update_section}\n[bundle]\nformat=verity\n\n\
                 [image.rootfs]\nfilename=root.squashfs\n\n[image.verity]\nfilename=verity.img\n"
            ),
        )
        .unwrap();
        path
    }

    #[test]
    fn the_bundle_version_is_the_manifests_update_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = manifest(dir.path(), "version=2026.12.02.001533");
        assert_eq!(bundle_version(&path).unwrap().to_string(), "2026.12.02.001533");
        // Blanks around the key and the value, comments, the last of two.
        fs::write(
            &path,
            "# made by hand\n[update]\n  version = 1.0 \n[image.rootfs]\nversion=9\n[update]\nversion=1.1\n",
        )
        .unwrap();
        assert_eq!(bundle_version(&path).unwrap().to_string(), "1.1");
    }

    #[test]
    fn a_manifest_without_a_usable_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = manifest(dir.path(), "description=no version");
        assert!(matches!(bundle_version(&path), Err(DowngradeError::NoBundleVersion { .. })));
        // A version in another group does not count.
        fs::write(&path, "[update]\ncompatible=x\n[meta.build]\nversion=2026.1\n").unwrap();
        assert!(matches!(bundle_version(&path), Err(DowngradeError::NoBundleVersion { .. })));
        manifest(dir.path(), "version=2026-12-02");
        let err = bundle_version(&path).unwrap_err();
        assert!(matches!(err, DowngradeError::BundleVersion { .. }));
        assert!(err.to_string().contains("manifest.raucm"), "{err}");
        assert!(matches!(bundle_version(&dir.path().join("missing")), Err(DowngradeError::Read { .. })));
        fs::write(&path, vec![b'#'; MAX_MANIFEST_LEN as usize + 1]).unwrap();
        assert!(matches!(bundle_version(&path), Err(DowngradeError::NotASmallFile { .. })));
    }

    #[test]
    fn the_system_version_is_the_line_in_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("version");
        fs::write(&path, "2026.12.02.001533\n").unwrap();
        assert_eq!(system_version(&path).unwrap(), v("2026.12.02.001533"));
        fs::write(&path, "2026.12.02.001533\n\n").unwrap();
        assert!(matches!(system_version(&path), Err(DowngradeError::SystemVersion { .. })));
        assert!(matches!(system_version(&dir.path().join("missing")), Err(DowngradeError::Read { .. })));
    }

    #[test]
    fn newer_and_same_pass_and_leave_an_allowance_alone() {
        let dir = tempfile::tempdir().unwrap();
        let allowance = dir.path().join("allow-downgrade");
        fs::write(&allowance, "2026.01.01.000000\n").unwrap();
        assert_eq!(check(&v("2026.12.03"), &v("2026.12.02"), &allowance).unwrap(), Verdict::Newer);
        assert_eq!(check(&v("2026.12.02.0"), &v("2026.12.02"), &allowance).unwrap(), Verdict::Same);
        assert!(allowance.exists());
    }

    #[test]
    fn older_is_refused_without_an_allowance() {
        let dir = tempfile::tempdir().unwrap();
        let allowance = dir.path().join("allow-downgrade");
        let err = check(&v("2026.12.01.120000"), &v("2026.12.02.001533"), &allowance).unwrap_err();
        assert!(matches!(err, DowngradeError::Refused { .. }));
        let message = err.to_string();
        assert!(message.starts_with("refused: "), "{message}");
        assert!(message.contains("2026.12.01.120000") && message.contains("2026.12.02.001533"), "{message}");
        assert!(message.contains(&allowance.display().to_string()), "{message}");
    }

    #[test]
    fn an_allowance_for_exactly_this_version_is_used_once() {
        let dir = tempfile::tempdir().unwrap();
        let allowance = dir.path().join("allow-downgrade");
        fs::write(&allowance, "2026.12.01.120000\n").unwrap();
        let (old, running) = (v("2026.12.01.120000"), v("2026.12.02.001533"));
        assert_eq!(check(&old, &running, &allowance).unwrap(), Verdict::AllowedDowngrade);
        assert!(!allowance.exists(), "the allowance is used up");
        assert!(matches!(check(&old, &running, &allowance), Err(DowngradeError::Refused { .. })));
        // Without the final newline too.
        fs::write(&allowance, "2026.12.01.120000").unwrap();
        assert_eq!(check(&old, &running, &allowance).unwrap(), Verdict::AllowedDowngrade);
    }

    #[test]
    fn an_allowance_for_another_version_refuses_and_stays() {
        let dir = tempfile::tempdir().unwrap();
        let allowance = dir.path().join("allow-downgrade");
        let running = v("2026.12.02.001533");
        // Another version, and the same version spelt differently: the
        // allowance names the bundle exactly.
        for allowed in ["2026.11.30.000000\n", "2026.12.1.120000\n"] {
            fs::write(&allowance, allowed).unwrap();
            let err = check(&v("2026.12.01.120000"), &running, &allowance).unwrap_err();
            assert!(matches!(err, DowngradeError::OtherVersionAllowed { .. }), "{err}");
            assert!(allowance.exists());
        }
    }

    #[test]
    fn a_malformed_allowance_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let allowance = dir.path().join("allow-downgrade");
        let (old, running) = (v("1.0"), v("2.0"));
        for text in ["", "yes\n", "1.0\n\n", " 1.0\n"] {
            fs::write(&allowance, text).unwrap();
            assert!(
                matches!(check(&old, &running, &allowance), Err(DowngradeError::AllowanceVersion { .. })),
                "{text:?}"
            );
        }
        fs::write(&allowance, "1.".repeat(200)).unwrap();
        assert!(matches!(check(&old, &running, &allowance), Err(DowngradeError::NotASmallFile { .. })));
        // A link to a file holding the version is not an allowance.
        fs::remove_file(&allowance).unwrap();
        let target = dir.path().join("elsewhere");
        fs::write(&target, "1.0\n").unwrap();
        std::os::unix::fs::symlink(&target, &allowance).unwrap();
        assert!(matches!(check(&old, &running, &allowance), Err(DowngradeError::NotASmallFile { .. })));
        assert!(target.exists());
        fs::remove_file(&allowance).unwrap();
        fs::create_dir(&allowance).unwrap();
        assert!(matches!(check(&old, &running, &allowance), Err(DowngradeError::NotASmallFile { .. })));
    }

    #[test]
    fn an_allowance_that_cannot_be_deleted_refuses() {
        // procfs deletes nothing, not even for root: a file there can be read
        // as an allowance but not used up.
        let allowance = Path::new("/proc/sys/kernel/pid_max");
        let text = fs::read_to_string(allowance).unwrap();
        let bundle = v(one_line(&text));
        let system = v(&format!("{bundle}.1"));
        let err = check(&bundle, &system, allowance).unwrap_err();
        assert!(matches!(err, DowngradeError::ConsumeAllowance { .. }), "{err}");
        assert!(err.to_string().contains("must not allow a second install"), "{err}");
    }

    #[test]
    fn a_run_reads_the_mounted_manifest_and_the_system_version() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("bundle");
        fs::create_dir(&bundle).unwrap();
        manifest(&bundle, "version=2026.12.01.120000");
        let system_version_file = dir.path().join("version");
        fs::write(&system_version_file, "2026.12.02.001533\n").unwrap();
        let run = PreInstall {
            bundle_mount_point: bundle.clone(),
            system_version_file: system_version_file.clone(),
            allowance: dir.path().join("allow-downgrade"),
        };
        assert!(matches!(run.run(), Err(DowngradeError::Refused { .. })));
        manifest(&bundle, "version=2026.12.03.000000");
        let checked = run.run().unwrap();
        assert_eq!((checked.verdict, checked.bundle.to_string()), (Verdict::Newer, "2026.12.03.000000".into()));
    }
}
