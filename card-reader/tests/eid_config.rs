// SPDX-License-Identifier: GPL-3.0-or-later
//! Loading the terminal's eID configuration from the layout that
//! `eid-sim-card`'s personalisation (made with `cvc-create` and `openssl`)
//! writes, and refusing inconsistent ones with an error naming the problem.

use card_reader::{EidConfig, EidConfigError};
use eid_sim_card::personalise::{foreign_terminal_chain, personalise, restricted_terminal_chain};
use session::CardItem;
use session::config_file::ConfigFileError;
use std::path::Path;

fn personalised() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    personalise(dir.path()).unwrap();
    dir
}

fn replace(dir: &Path, file: &str, from: &Path) {
    std::fs::copy(from.join(file), dir.join("terminal").join(file)).unwrap();
}

#[test]
fn a_personalised_terminal_loads_and_may_read_every_item() {
    let dir = personalised();
    let config = EidConfig::load(dir.path()).unwrap();
    assert_eq!(config.granted_items(), CardItem::ALL.to_vec());
    assert_eq!(config.chain().terminal.car, config.chain().dv.chr);
}

#[test]
fn a_private_key_of_another_terminal_is_refused() {
    let dir = personalised();
    let foreign = tempfile::tempdir().unwrap();
    foreign_terminal_chain(foreign.path()).unwrap();
    replace(dir.path(), "terminal.pkcs8", foreign.path());
    assert!(matches!(EidConfig::load(dir.path()), Err(EidConfigError::KeyMismatch)));
}

#[test]
fn a_dv_certificate_of_another_cvca_breaks_the_chain() {
    let dir = personalised();
    let foreign = tempfile::tempdir().unwrap();
    foreign_terminal_chain(foreign.path()).unwrap();
    replace(dir.path(), "dv.cvcert", foreign.path());
    let err = EidConfig::load(dir.path()).unwrap_err();
    assert!(matches!(err, EidConfigError::Chain(_)), "{err}");
}

#[test]
fn a_missing_or_broken_trust_list_is_refused_naming_the_place() {
    let dir = personalised();
    std::fs::write(dir.path().join("trust/csca.der"), b"not a certificate").unwrap();
    let err = EidConfig::load(dir.path()).unwrap_err();
    assert!(matches!(&err, EidConfigError::TrustAnchor { path, .. } if path.ends_with("trust/csca.der")), "{err}");
    std::fs::remove_file(dir.path().join("trust/csca.der")).unwrap();
    assert!(matches!(EidConfig::load(dir.path()), Err(EidConfigError::NoTrustAnchor(_))));
}

#[test]
fn a_certificate_file_that_is_not_a_cv_certificate_is_named() {
    let dir = personalised();
    std::fs::write(dir.path().join("terminal/terminal.cvcert"), [0x7F, 0x21, 0x05, 0x00]).unwrap();
    let err = EidConfig::load(dir.path()).unwrap_err();
    assert!(matches!(&err, EidConfigError::Certificate { path, .. } if path.ends_with("terminal.cvcert")), "{err}");
}

fn mkfifo(path: &Path) {
    std::fs::remove_file(path).unwrap();
    assert!(std::process::Command::new("mkfifo").arg(path).status().unwrap().success());
}

#[test]
fn a_fifo_in_the_eid_directory_is_refused_at_once_instead_of_hanging_the_start() {
    for file in ["terminal/dv.cvcert", "terminal/terminal.pkcs8", "trust/csca.der"] {
        let dir = personalised();
        let path = dir.path().join(file);
        mkfifo(&path);
        let started = std::time::Instant::now();
        let err = EidConfig::load(dir.path()).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{file}: loading blocked");
        assert!(
            matches!(&err, EidConfigError::File(ConfigFileError::NotAFile { path: p, kind: "FIFO" }) if *p == path),
            "{file}: {err}"
        );
    }
}

#[test]
fn a_file_far_larger_than_a_certificate_is_refused() {
    let dir = personalised();
    std::fs::write(dir.path().join("terminal/terminal.cvcert"), vec![0x7f; 1 << 20]).unwrap();
    let err = EidConfig::load(dir.path()).unwrap_err();
    assert!(matches!(err, EidConfigError::File(ConfigFileError::TooLarge { .. })), "{err}");
}

#[test]
fn an_expired_authorisation_is_told_apart_from_a_broken_one() {
    let dir = personalised();
    let valid = EidConfig::load(dir.path()).unwrap();
    assert!(valid.valid_until() >= valid.chain().terminal.effective);
    let expired = tempfile::tempdir().unwrap();
    eid_sim_card::personalise::expired_terminal_chain(dir.path(), expired.path()).unwrap();
    for file in ["dv.cvcert", "terminal.cvcert", "terminal.pkcs8"] {
        replace(dir.path(), file, expired.path());
    }
    let err = EidConfig::load(dir.path()).unwrap_err();
    assert!(err.is_outside_validity(), "{err}");
    let other = tempfile::tempdir().unwrap();
    foreign_terminal_chain(other.path()).unwrap();
    replace(dir.path(), "dv.cvcert", other.path());
    let err = EidConfig::load(dir.path()).unwrap_err();
    assert!(!err.is_outside_validity(), "a chain of another CVCA needs a repair, not a renewal: {err}");
}

#[test]
fn a_missing_sector_key_or_a_broken_block_list_is_refused_naming_the_file() {
    let dir = personalised();
    std::fs::write(dir.path().join("sector/blocklist.txt"), "issued: 2026-12-02\nnot an identifier\n").unwrap();
    let err = EidConfig::load(dir.path()).unwrap_err();
    assert!(matches!(&err, EidConfigError::BlockList { path, .. } if path.ends_with("sector/blocklist.txt")), "{err}");
    std::fs::remove_file(dir.path().join("sector/sector.der")).unwrap();
    let err = EidConfig::load(dir.path()).unwrap_err();
    assert!(matches!(&err, EidConfigError::File(_)), "{err}");
    assert!(err.to_string().contains("sector.der"), "{err}");
}

#[test]
fn a_terminal_chain_without_restricted_identification_is_refused() {
    let dir = personalised();
    let restricted = tempfile::tempdir().unwrap();
    restricted_terminal_chain(dir.path(), restricted.path(), &[4]).unwrap();
    for file in ["dv.cvcert", "terminal.cvcert", "terminal.pkcs8"] {
        replace(dir.path(), file, restricted.path());
    }
    let err = EidConfig::load(dir.path()).unwrap_err();
    assert!(matches!(err, EidConfigError::NoRestrictedIdentification), "{err}");
}
