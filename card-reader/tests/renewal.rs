// SPDX-License-Identifier: GPL-3.0-or-later
//! Renewing the terminal's eID authorisation against OpenPACE's tools:
//! `cvc-print` reads the request back and checks its inner signature,
//! `cvc-create` answers it as the document verifier would, `openssl` reads
//! the new key and checks the outer signature. The answer is installed
//! only when it is right, and the authorisation in force never breaks.

use card_reader::renewal::{self, RenewalError};
use card_reader::{Authorisation, EidConfig};
use eid::cv_request::CvRequest;
use eid::tlv;
use eid_sim_card::personalise::{dv_answer, foreign_terminal_chain, personalise};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn personalised() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    personalise(dir.path()).unwrap();
    dir
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// The CV certificate request inside the authentication (`67 { 7F21 .. }`):
/// Debian's OpenPACE 1.1.2 reads plain requests only (its `cvc-print`
/// passes a zero length when decoding an authenticated one).
fn inner_request(der: &[u8]) -> Vec<u8> {
    let top = tlv::parse_single(der).unwrap().expect_tag(0x67).unwrap();
    tlv::require(&top.children().unwrap(), 0x7F21).unwrap().raw.to_vec()
}

/// The DV's answer to the waiting request, made by `cvc-create`.
fn answer(dir: &Path, work: &Path) -> Vec<u8> {
    let request = std::fs::read(dir.join("renewal/request.cvreq")).unwrap();
    dv_answer(&dir.join("pki/dv.pkcs8"), &request, work).unwrap()
}

/// Every file of the authorisation in force.
fn in_force(dir: &Path) -> Vec<Vec<u8>> {
    ["cvca.cvcert", "dv.cvcert", "terminal.cvcert", "terminal.pkcs8"]
        .map(|name| std::fs::read(dir.join("terminal").join(name)).unwrap())
        .to_vec()
}

#[test]
fn the_request_is_read_back_by_cvc_print_and_its_key_by_openssl() {
    let dir = personalised();
    let request = renewal::request(dir.path()).unwrap();
    assert_eq!(request.chr, "DETESTKIOSK00002");
    assert!(request.authenticated);
    let work = tempfile::tempdir().unwrap();
    let plain = work.path().join("request.cvreq");
    std::fs::write(&plain, inner_request(&std::fs::read(&request.path).unwrap())).unwrap();
    let printed = run("cvc-print", &[&format!("--csr={}", s(&plain))]);
    assert!(printed.contains("CAR: DETESTDVEID0001"), "{printed}");
    assert!(printed.contains("CHR: DETESTKIOSK00002"), "{printed}");
    assert!(printed.contains("certificate request verified"), "{printed}");

    let key = dir.path().join("renewal/terminal.pkcs8");
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let spki = Command::new("openssl")
        .args(["ec", "-inform", "DER", "-in", &s(&key), "-pubout", "-outform", "DER"])
        .output()
        .unwrap();
    assert!(spki.status.success(), "{}", String::from_utf8_lossy(&spki.stderr));
    let parsed = CvRequest::parse(&std::fs::read(&request.path).unwrap()).unwrap();
    assert!(spki.stdout.ends_with(&parsed.public_key), "openssl reads the same public key");
    assert_eq!(parsed.outer_car.as_deref(), Some("DETESTKIOSK00001"));
}

#[test]
fn the_outer_signature_verifies_with_openssl_under_the_current_key() {
    let dir = personalised();
    let request = std::fs::read(renewal::request(dir.path()).unwrap().path).unwrap();
    let top = tlv::parse_single(&request).unwrap();
    let parts = top.children().unwrap();
    let work = tempfile::tempdir().unwrap();
    // TR-03110-3 C.2.4: over the request and the CAR data objects.
    let signed = work.path().join("signed");
    std::fs::write(&signed, [parts[0].raw, parts[1].raw].concat()).unwrap();
    // Plain r || s (TR-03111 5.2.1) as the DER ECDSA-Sig-Value openssl reads.
    let integer = |bytes: &[u8]| {
        let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
        let value = if trimmed[0] & 0x80 != 0 { [&[0u8][..], &trimmed].concat() } else { trimmed };
        tlv::encode(0x02, &value)
    };
    let (r, s_) = parts[2].value.split_at(32);
    let signature = work.path().join("signature");
    std::fs::write(&signature, tlv::encode(0x30, &[integer(r), integer(s_)].concat())).unwrap();
    let public = work.path().join("current.pem");
    run(
        "openssl",
        &[
            "ec",
            "-inform",
            "DER",
            "-in",
            &s(&dir.path().join("terminal/terminal.pkcs8")),
            "-pubout",
            "-out",
            &s(&public),
        ],
    );
    let verified =
        run("openssl", &["dgst", "-sha256", "-verify", &s(&public), "-signature", &s(&signature), &s(&signed)]);
    assert!(verified.contains("Verified OK"), "{verified}");
}

#[test]
fn the_dvs_answer_is_installed_and_replaces_the_old_key() {
    let dir = personalised();
    let old = in_force(dir.path());
    renewal::request(dir.path()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let installed = renewal::install(dir.path(), &answer(dir.path(), work.path()), None).unwrap();
    assert_eq!(installed.chr, "DETESTKIOSK00002");
    let config = EidConfig::load(dir.path()).unwrap();
    assert_eq!(config.chain().terminal.chr, "DETESTKIOSK00002");
    assert_eq!(config.valid_until(), installed.valid_until);
    let now = in_force(dir.path());
    assert_eq!(now[..2], old[..2], "CVCA and DV stay");
    assert_ne!(now[3], old[3], "the old key is gone");
    assert!(!dir.path().join("renewal").exists() && !dir.path().join("terminal.next").exists());
    let mode = std::fs::metadata(dir.path().join("terminal/terminal.pkcs8")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_certificate_for_another_key_changes_nothing() {
    let dir = personalised();
    renewal::request(dir.path()).unwrap();
    let before = in_force(dir.path());
    // The current certificate is a valid one of this DV, but for the old key.
    let error = renewal::install(dir.path(), &before[2], None).unwrap_err();
    assert!(matches!(&error, RenewalError::WrongKey { chr } if chr == "DETESTKIOSK00001"), "{error}");
    assert_eq!(in_force(dir.path()), before);
    assert!(dir.path().join("renewal/terminal.pkcs8").exists(), "the request still waits");
}

#[test]
fn an_answer_from_another_dv_breaks_no_chain_in_force() {
    let dir = personalised();
    renewal::request(dir.path()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let answer = answer(dir.path(), work.path());
    let before = in_force(dir.path());
    let foreign = tempfile::tempdir().unwrap();
    foreign_terminal_chain(foreign.path()).unwrap();
    let foreign_dv = std::fs::read(foreign.path().join("dv.cvcert")).unwrap();
    let error = renewal::install(dir.path(), &answer, Some(&foreign_dv)).unwrap_err();
    assert!(matches!(error, RenewalError::Chain(_)), "{error}");
    assert_eq!(in_force(dir.path()), before);
}

#[test]
fn installing_without_a_request_says_so() {
    let dir = personalised();
    let before = in_force(dir.path());
    let error = renewal::install(dir.path(), &before[2], None).unwrap_err();
    assert!(matches!(error, RenewalError::NoRequest(_)), "{error}");
}

#[test]
fn what_a_power_cut_left_is_removed_and_the_authorisation_in_force_loads() {
    let dir = personalised();
    renewal::request(dir.path()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let answer = answer(dir.path(), work.path());
    // A cut while the next authorisation was being written.
    let stray = dir.path().join("terminal.next");
    std::fs::create_dir(&stray).unwrap();
    std::fs::write(stray.join("terminal.cvcert"), &answer[..answer.len() / 2]).unwrap();
    assert_eq!(EidConfig::load(dir.path()).unwrap().chain().terminal.chr, "DETESTKIOSK00001");
    renewal::install(dir.path(), &answer, None).unwrap();
    assert_eq!(EidConfig::load(dir.path()).unwrap().chain().terminal.chr, "DETESTKIOSK00002");
}

#[test]
fn a_watching_authorisation_picks_up_the_renewal_without_a_restart() {
    let dir = personalised();
    let mut authorisation = Authorisation::load(dir.path()).unwrap();
    assert_eq!(authorisation.poll(), None);
    let before = authorisation.config();
    renewal::request(dir.path()).unwrap();
    let work = tempfile::tempdir().unwrap();
    renewal::install(dir.path(), &answer(dir.path(), work.path()), None).unwrap();
    assert_eq!(authorisation.poll(), None, "it was valid before and is valid now");
    assert_eq!(before.chain().terminal.chr, "DETESTKIOSK00001");
    assert_eq!(authorisation.config().chain().terminal.chr, "DETESTKIOSK00002");
    assert!(!authorisation.lapsed());
}

#[test]
fn a_broken_renewal_on_disk_keeps_the_authorisation_in_force() {
    let dir = personalised();
    let mut authorisation = Authorisation::load(dir.path()).unwrap();
    std::fs::write(dir.path().join("terminal/terminal.cvcert"), b"not a certificate").unwrap();
    assert_eq!(authorisation.poll(), None);
    assert_eq!(authorisation.config().chain().terminal.chr, "DETESTKIOSK00001");
}
