// SPDX-License-Identifier: GPL-3.0-or-later
//! What personalisation produces, checked by Debian's own tools:
//! `openssl cms -verify` for EF.CardSecurity and `cvc-print` (package
//! `openpace`) for the CV certificate chains.

use std::path::Path;
use std::process::{Command, Output};

use eid_sim_card::personalise::{CVCA_CHR, DV_CHR, TERMINAL_CHR, foreign_terminal_chain, personalise};

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (Debian packages openssl, openpace): {e}"))
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn csca_pem(dir: &Path, csca_der: &Path) -> std::path::PathBuf {
    let pem = dir.join("csca.pem");
    assert!(run("openssl", &["x509", "-inform", "DER", "-in", s(csca_der), "-out", s(&pem)]).status.success());
    pem
}

#[test]
fn card_security_verifies_with_openssl_cms_against_the_test_csca_and_carries_the_chip_key() {
    let dir = tempfile::tempdir().unwrap();
    let made = personalise(dir.path()).unwrap();
    let pem = csca_pem(dir.path(), &made.csca);
    let content = dir.path().join("content.der");
    let card_security = made.card_dir.join("card_security.der");
    let verify = run(
        "openssl",
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            s(&card_security),
            "-CAfile",
            s(&pem),
            "-binary",
            "-out",
            s(&content),
        ],
    );
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));

    // eContentType id-SecurityObject (TR-03110-3 A.1.2.2).
    let print = run("openssl", &["cms", "-cmsout", "-print", "-inform", "DER", "-in", s(&card_security)]);
    assert!(String::from_utf8_lossy(&print.stdout).contains("0.4.0.127.0.7.3.2.1"));

    // The signed content holds the public half of the card's CA key.
    let public = run(
        "openssl",
        &["pkey", "-inform", "DER", "-in", s(&made.card_dir.join("chip_auth.pkcs8")), "-pubout", "-outform", "DER"],
    );
    let point = &public.stdout[public.stdout.len() - 65..];
    assert_eq!(point[0], 0x04);
    let signed = std::fs::read(&content).unwrap();
    assert!(signed.windows(65).any(|w| w == point), "ChipAuthenticationPublicKeyInfo carries the CA key");

    // And EF.CardAccess's infos are among the signed ones.
    let card_access = std::fs::read(made.card_dir.join("card_access.der")).unwrap();
    assert_eq!(card_access[0], 0x31);
    assert!(signed.len() > card_access.len());
}

#[test]
fn card_security_does_not_verify_against_another_csca() {
    let dir = tempfile::tempdir().unwrap();
    let made = personalise(&dir.path().join("one")).unwrap();
    let other = personalise(&dir.path().join("two")).unwrap();
    let pem = csca_pem(dir.path(), &other.csca);
    let verify = run(
        "openssl",
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            s(&made.card_dir.join("card_security.der")),
            "-CAfile",
            s(&pem),
            "-binary",
            "-out",
            "/dev/null",
        ],
    );
    assert!(!verify.status.success());
}

/// `cvc-print` with the issuers in a trusted directory named by CHR.
fn cvc_print(terminal_dir: &Path, trusted: &[(&str, &str)], cert: &str) -> String {
    let cvc_dir = terminal_dir.join("trusted");
    std::fs::create_dir_all(&cvc_dir).unwrap();
    for (chr, file) in trusted {
        std::fs::copy(terminal_dir.join(file), cvc_dir.join(chr)).unwrap();
    }
    let out = run(
        "cvc-print",
        &[&format!("--cvc={}", terminal_dir.join(cert).display()), &format!("--cvc-dir={}", cvc_dir.display())],
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn cvc_print_verifies_the_terminal_chain_and_shows_its_rights() {
    let dir = tempfile::tempdir().unwrap();
    let made = personalise(dir.path()).unwrap();
    let printed = cvc_print(&made.terminal_dir, &[(CVCA_CHR, "cvca.cvcert"), (DV_CHR, "dv.cvcert")], "terminal.cvcert");
    assert!(printed.contains(&format!("CAR: {DV_CHR}")), "{printed}");
    assert!(printed.contains(&format!("CHR: {TERMINAL_CHR}")), "{printed}");
    assert!(printed.contains("Authentication terminal"), "{printed}");
    assert!(printed.contains("PIN Management"), "{printed}");
    assert!(printed.contains("Read DG 4 (Given Names)"), "{printed}");
    assert!(printed.contains("Read DG 21"), "{printed}");
    assert!(printed.contains("Terminal certificate"), "{printed}");
    assert!(printed.contains("certificate verified"), "{printed}");
    assert!(!printed.contains("not verified"), "{printed}");
    let dv = cvc_print(&made.terminal_dir, &[(CVCA_CHR, "cvca.cvcert")], "dv.cvcert");
    assert!(dv.contains(&format!("CAR: {CVCA_CHR}")) && dv.contains("certificate verified"), "{dv}");
    // The card trusts exactly the terminal side's CVCA.
    assert_eq!(
        std::fs::read(made.card_dir.join("cvca.cvcert")).unwrap(),
        std::fs::read(made.terminal_dir.join("cvca.cvcert")).unwrap()
    );
    assert!(made.terminal_dir.join("terminal.pkcs8").is_file());
}

#[test]
fn foreign_chain_does_not_verify_under_the_cards_cvca() {
    let dir = tempfile::tempdir().unwrap();
    let made = personalise(&dir.path().join("card")).unwrap();
    let foreign = dir.path().join("foreign");
    foreign_terminal_chain(&foreign).unwrap();
    let own = cvc_print(&foreign, &[("DEFOREIGNCA00001", "cvca.cvcert")], "dv.cvcert");
    assert!(own.contains("certificate verified"), "{own}");
    // The foreign DV presented under the card's CVCA name does not verify.
    std::fs::copy(made.terminal_dir.join("cvca.cvcert"), foreign.join("card-cvca.cvcert")).unwrap();
    let crossed = cvc_print(&foreign, &[("DEFOREIGNCA00001", "card-cvca.cvcert")], "dv.cvcert");
    assert!(crossed.contains("not verified"), "{crossed}");
}
