// SPDX-License-Identifier: GPL-3.0-or-later
//! CV certificate chains made by OpenPACE's `cvc-create` (Debian package
//! `openpace`), read back by our parser and compared with what OpenPACE's
//! `cvc-print` says about the same files. Keys come from `openssl genpkey`.

use std::path::Path;

mod common;
use common::{Issue, new_key, parse, run, standard_chain};

use eid::chat::{Chat, DataItem, Role};
use eid::cvc::{Cvc, CvcDate, CvcError, TerminalChain};

/// What `cvc-print` reports about one certificate.
#[derive(Debug, Default)]
struct Printed {
    car: String,
    chr: String,
    effective: String,
    expiration: String,
    read_groups: Vec<u8>,
    role_line: String,
}

fn cvc_print(path: &Path) -> Printed {
    let text = run("cvc-print", &[&format!("--cvc={}", path.display())]);
    let mut printed = Printed::default();
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("CAR: ") {
            printed.car = v.to_string();
        } else if let Some(v) = line.strip_prefix("CHR: ") {
            printed.chr = v.to_string();
        } else if let Some(v) = line.strip_prefix("Effective Date: ") {
            printed.effective = v.to_string();
        } else if let Some(v) = line.strip_prefix("Expiration Date: ") {
            printed.expiration = v.to_string();
        } else if let Some(v) = line.strip_prefix("Read DG ") {
            let number = v.split_whitespace().next().unwrap();
            printed.read_groups.push(number.parse().unwrap());
        } else if line.ends_with("certificate") && !line.starts_with("Certificate") {
            printed.role_line = line.to_string();
        }
    }
    printed
}

fn iso(date: CvcDate) -> String {
    format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
}

fn groups(chat: &Chat) -> Vec<u8> {
    chat.data_items().iter().map(|i| i.data_group()).collect()
}

#[test]
fn parsed_fields_match_cvc_print_for_every_certificate_in_the_chain() {
    let chain = standard_chain();
    for (path, role_line, role) in [
        (&chain.cvca, "CVCA certificate", Role::Cvca),
        (&chain.dv, "DV certificate", Role::DvOfficialDomestic),
        (&chain.terminal, "Terminal certificate", Role::Terminal),
    ] {
        let ours = parse(path);
        let theirs = cvc_print(path);
        assert_eq!(ours.car, theirs.car);
        assert_eq!(ours.chr, theirs.chr);
        assert_eq!(iso(ours.effective), theirs.effective);
        assert_eq!(iso(ours.expiration), theirs.expiration);
        assert_eq!(groups(&ours.chat), theirs.read_groups);
        assert_eq!(theirs.role_line, role_line);
        assert_eq!(ours.chat.role(), role);
    }
    let cvca = parse(&chain.cvca);
    assert!(cvca.has_domain_parameters);
    assert_eq!(cvca.car, cvca.chr);
    assert!(!parse(&chain.terminal).has_domain_parameters);
    assert_eq!(parse(&chain.terminal).effective, CvcDate { year: 2026, month: 1, day: 5 });
}

#[test]
fn chain_verifies_and_effective_rights_are_the_intersection() {
    let chain = standard_chain();
    let today = CvcDate { year: 2027, month: 3, day: 1 };
    let verified = TerminalChain::verify(&parse(&chain.cvca), parse(&chain.dv), parse(&chain.terminal), today).unwrap();
    // The terminal certificate names DG2, but the DV above it lacks it.
    assert_eq!(
        verified.effective_chat.data_items(),
        vec![DataItem::GivenNames, DataItem::FamilyNames, DataItem::PlaceOfResidence]
    );
}

#[test]
fn expired_terminal_certificate_is_rejected() {
    let chain = standard_chain();
    let after_expiry = CvcDate { year: 2027, month: 7, day: 1 };
    assert_eq!(
        TerminalChain::verify(&parse(&chain.cvca), parse(&chain.dv), parse(&chain.terminal), after_expiry).err(),
        Some(CvcError::NotValid { chr: "DEKIOSKMS000001".into(), date: after_expiry })
    );
}

#[test]
fn chain_under_a_different_cvca_key_fails_signature_check() {
    let chain = standard_chain();
    // An impostor CVCA with the same name but its own key.
    let other_key = new_key(chain.pki.dir.path(), "impostor");
    let impostor = chain.pki.cvca("impostor", "DETESTCVCA00001", &other_key);
    let today = CvcDate { year: 2027, month: 3, day: 1 };
    assert_eq!(
        TerminalChain::verify(&parse(&impostor), parse(&chain.dv), parse(&chain.terminal), today).err(),
        Some(CvcError::BadSignature { chr: "DETESTDVKOM0001".into(), issuer: "DETESTCVCA00001".into() })
    );
}

#[test]
fn certificates_in_the_wrong_order_are_rejected() {
    let chain = standard_chain();
    let today = CvcDate { year: 2027, month: 3, day: 1 };
    assert!(matches!(
        TerminalChain::verify(&parse(&chain.cvca), parse(&chain.terminal), parse(&chain.dv), today),
        Err(CvcError::WrongRole { .. })
    ));
}

#[test]
fn tampered_certificate_body_fails_signature_check() {
    let chain = standard_chain();
    let mut der = std::fs::read(&chain.terminal).unwrap();
    // Move the effective date from 2026-01-05 to 2026-01-04.
    let pos = der.windows(3).position(|w| w == [0x5F, 0x25, 0x06]).unwrap() + 8;
    assert_eq!(der[pos], 5);
    der[pos] = 4;
    let tampered = Cvc::parse(&der).unwrap();
    assert!(matches!(tampered.verify_signed_by(&parse(&chain.dv)), Err(CvcError::BadSignature { .. })));
    parse(&chain.terminal).verify_signed_by(&parse(&chain.dv)).unwrap();
}

#[test]
fn chat_built_for_a_service_is_read_identically_by_openpace() {
    let chain = standard_chain();
    let dv_key = chain.pki.path("dv.der");
    let terminal_key = chain.pki.path("terminal.der");
    let wanted = Chat::for_data_items(&DataItem::ALL);
    let mask: String = wanted.mask().iter().map(|b| format!("{b:02X}")).collect();
    let chat_arg = format!("--chat={mask}");
    let cert = chain.pki.issue(Issue {
        name: "service",
        role: "terminal",
        chr: "DEKIOSKMS000002",
        signer_cert: &chain.dv,
        signer_key: &dv_key,
        key: &terminal_key,
        expires: "270630",
        rights: &[&chat_arg],
    });
    let printed = cvc_print(&cert);
    assert_eq!(printed.read_groups, vec![1, 2, 3, 4, 5, 6, 8, 9, 13, 17]);
    assert_eq!(parse(&cert).chat, wanted);
}

#[test]
fn openpace_and_our_check_agree_on_signature_validity() {
    let chain = standard_chain();
    // cvc-print looks trusted certificates up by CHR in --cvc-dir.
    let trust = chain.pki.path("trust");
    std::fs::create_dir(&trust).unwrap();
    std::fs::copy(&chain.cvca, trust.join("DETESTCVCA00001")).unwrap();
    std::fs::copy(&chain.dv, trust.join("DETESTDVKOM0001")).unwrap();
    let dir_arg = format!("--cvc-dir={}", trust.display());
    for (cert, issuer) in [(&chain.dv, &chain.cvca), (&chain.terminal, &chain.dv)] {
        let printed = run("cvc-print", &[&format!("--cvc={}", cert.display()), &dir_arg]);
        assert!(printed.contains("certificate verified"), "{printed}");
        parse(cert).verify_signed_by(&parse(issuer)).unwrap();
    }
}
