// SPDX-License-Identifier: GPL-3.0-or-later
//! The built `appliance` binary as RAUC's pre-install handler: the checks
//! through `appliance rauc-pre-install` pointed at a directory laid out like
//! the handler's world, and the handler link that RAUC starts (by its path,
//! with one argument from the bundle, the mount point in the environment).

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

/// A mounted bundle's manifest and the running system's version file.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(bundle_version: &str, system_version: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("bundle")).unwrap();
        fs::write(
            dir.path().join("bundle/manifest.raucm"),
            format!(
                "[update]\ncompatible=buergerterminal-x86_64\nversion={bundle_version}\n\n[bundle]\nformat=verity\n"
            ),
        )
        .unwrap();
        fs::write(dir.path().join("version"), format!("{system_version}\n")).unwrap();
        Setup { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `appliance rauc-pre-install` on this directory, with RAUC's empty argument.
    fn run(&self) -> Output {
        Command::new(env!("CARGO_BIN_EXE_appliance"))
            .arg("rauc-pre-install")
            .env("RAUC_BUNDLE_MOUNT_POINT", self.path("bundle"))
            .env_remove("RUST_LOG")
            .arg("--system-version-file")
            .arg(self.path("version"))
            .arg("--allowance")
            .arg(self.path("allow-downgrade"))
            .arg("")
            .output()
            .unwrap()
    }

    /// The handler link, started the way RAUC 1.8 starts a handler.
    fn run_as_rauc_does(&self, handler_args: &str) -> Output {
        let link = self.path("rauc-pre-install");
        if !link.exists() {
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_appliance"), &link).unwrap();
        }
        Command::new(link)
            .env("RAUC_BUNDLE_MOUNT_POINT", self.path("bundle"))
            .env_remove("RUST_LOG")
            .arg(handler_args)
            .output()
            .unwrap()
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_newer_bundle_passes() {
    let output = Setup::new("2026.12.03.000000", "2026.12.02.001533").run();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("rauc-pre-install: bundle 2026.12.03.000000 is newer"), "{}", stderr(&output));
}

#[test]
fn an_older_bundle_is_refused_with_the_way_to_allow_it() {
    let setup = Setup::new("2026.11.01.000000", "2026.12.02.001533");
    let output = setup.run();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("rauc-pre-install: refused: the bundle's version 2026.11.01.000000"), "{message}");
    assert!(message.contains(&setup.path("allow-downgrade").display().to_string()), "{message}");
}

#[test]
fn an_allowed_downgrade_passes_once() {
    let setup = Setup::new("2026.11.01.000000", "2026.12.02.001533");
    fs::write(setup.path("allow-downgrade"), "2026.11.01.000000\n").unwrap();
    let output = setup.run();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("downgrade allowed by a maintainer"), "{}", stderr(&output));
    assert!(!setup.path("allow-downgrade").exists());
    assert_eq!(setup.run().status.code(), Some(1));
}

#[test]
fn the_handler_link_checks_against_the_images_paths() {
    // The host is no appliance: the built-in version file is not there, and
    // the link says so instead of letting the bundle through.
    let setup = Setup::new("2026.12.03.000000", "2026.12.02.001533");
    let output = setup.run_as_rauc_does("");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("rauc-pre-install: refused: cannot read /usr/lib/kiosk/version"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_bundles_handler_arguments_are_no_options() {
    let setup = Setup::new("2026.12.03.000000", "2026.12.02.001533");
    for args in ["--allowance=/tmp/elsewhere", "--help", "extra"] {
        let output = setup.run_as_rauc_does(args);
        assert_eq!(output.status.code(), Some(1), "{args}: {}", stderr(&output));
        assert!(stderr(&output).contains("refused: the bundle passes handler arguments"), "{}", stderr(&output));
    }
}

#[test]
fn without_a_bundle_mount_point_nothing_passes() {
    let setup = Setup::new("2026.12.03.000000", "2026.12.02.001533");
    setup.run_as_rauc_does("");
    let output =
        Command::new(setup.path("rauc-pre-install")).env_remove("RAUC_BUNDLE_MOUNT_POINT").arg("").output().unwrap();
    assert_eq!(output.status.code(), Some(2), "clap's usage error: {}", stderr(&output));
    assert!(stderr(&output).contains("--bundle-mount-point"), "{}", stderr(&output));
}
