// SPDX-License-Identifier: GPL-3.0-or-later
//! `EidReader` against the OpenPACE-based simulated card in-process, with
//! faults injected into the card's answers: every malformed answer becomes a
//! typed error, never a panic, and a card whose signed data was altered is
//! not trusted.

use card_reader::{ApduTransport, EidConfig, EidFault, EidReader, TransportError};
use eid::apdu::{ApduError, CommandApdu, ResponseApdu};
use eid::document_validity::ValidityError;
use eid::files::ReadError;
use eid::pace::{PaceError, PaceStep};
use eid::passive_auth::PaError;
use eid::restricted_identification::RiError;
use eid::secure_messaging::SmError;
use eid_sim_card::personalise::personalise;
use eid_sim_card::{CardHolder, Secrets, SimCard};
use session::{CardError, CardItem, Fault, Pin};
use std::path::Path;
use std::sync::Arc;

fn pin(digits: &str) -> Pin {
    let mut pin = Pin::default();
    digits.chars().for_each(|d| pin.push(d));
    pin
}

/// How a test alters the card's answer to the `n`-th command (0-based).
type Injector = Box<dyn FnMut(usize, &CommandApdu, Vec<u8>) -> Vec<u8>>;

/// The simulated card, reached directly, with a fault injector in between.
struct FaultyLine {
    card: SimCard,
    sent: usize,
    inject: Injector,
}

impl ApduTransport for FaultyLine {
    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        let bytes = command.to_bytes().map_err(|e| TransportError::Malformed(Fault::new(e)))?;
        let answer = (self.inject)(self.sent, command, self.card.transmit(&bytes));
        self.sent += 1;
        ResponseApdu::from_bytes(&answer).map_err(|e| TransportError::Malformed(Fault::new(e)))
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    config: Arc<EidConfig>,
    card: SimCard,
}

fn setup_with(tamper: impl FnOnce(&Path)) -> Setup {
    setup_of(CardHolder::erika(), tamper)
}

fn setup_of(holder: CardHolder, tamper: impl FnOnce(&Path)) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    personalise(dir.path()).unwrap();
    tamper(&dir.path().join("card"));
    let config = Arc::new(EidConfig::load(dir.path()).unwrap());
    let secrets = Secrets { pin: "123456".into(), can: "500540".into(), puk: "9876543210".into() };
    let card = SimCard::new(&dir.path().join("card"), holder, secrets).unwrap();
    Setup { _dir: dir, config, card }
}

fn setup() -> Setup {
    setup_with(|_| {})
}

fn reader(
    setup: Setup,
    inject: impl FnMut(usize, &CommandApdu, Vec<u8>) -> Vec<u8> + 'static,
) -> EidReader<FaultyLine> {
    EidReader::new(FaultyLine { card: setup.card, sent: 0, inject: Box::new(inject) }, setup.config)
}

const ITEMS: [CardItem; 2] = [CardItem::GivenNames, CardItem::PlaceOfResidence];

/// The step that failed, for an error whose fault is the reader's.
fn cause(fault: &Fault) -> &EidFault {
    fault.downcast_ref::<EidFault>().unwrap_or_else(|| panic!("not an EidFault: {fault:?}"))
}

/// Asserts that `result` is [`CardError::Unreadable`] for the cause `expected` accepts.
fn unreadable(result: Result<impl std::fmt::Debug, CardError>, expected: impl FnOnce(&EidFault) -> bool) {
    match result {
        Err(CardError::Unreadable(fault)) => assert!(expected(cause(&fault)), "unexpected cause: {fault:?}"),
        other => panic!("expected Unreadable, got {other:?}"),
    }
}

#[test]
fn an_untouched_line_reads_the_identity() {
    let mut reader = reader(setup(), |_, _, answer| answer);
    let data = reader.read(&pin("123456"), None, &ITEMS).unwrap();
    assert_eq!(data.identity.given_names.as_deref(), Some("Erika Jürgen"));
    assert_eq!(data.identity.place_of_residence.as_ref().unwrap().city, "Köln");
    let stats = reader.stats();
    // EF.CardAccess 1, PACE 5, TA 7, EF.CardSecurity 1, CA 2, SELECT 1,
    // VERIFY of the validity 1, RI 2 (TR-03110-3 B.11, B.4), one per data group.
    assert!(stats.apdus >= 20 + ITEMS.len(), "{stats:?}");
    assert!(stats.pace < stats.total, "{stats:?}");
}

#[test]
fn an_expired_card_is_refused_before_any_data_group_is_read() {
    let mut holder = CardHolder::erika();
    holder.date_of_expiry = "20200101".into();
    let reads_after_verify = std::rc::Rc::new(std::cell::Cell::new(0));
    let (counter, mut verified) = (std::rc::Rc::clone(&reads_after_verify), false);
    // The header of a protected command is in clear: INS 20 is VERIFY, B0 READ BINARY.
    let mut reader = reader(setup_of(holder, |_| {}), move |_, command, answer| {
        verified |= command.ins == 0x20;
        if verified && command.ins == 0xB0 {
            counter.set(counter.get() + 1);
        }
        answer
    });
    assert_eq!(reader.read(&pin("123456"), None, &ITEMS).unwrap_err(), CardError::Expired);
    assert_eq!(reads_after_verify.get(), 0);
}

#[test]
fn a_card_that_cannot_answer_the_validity_check_is_not_read() {
    let mut reader = reader(setup(), |_, command, answer| if command.ins == 0x20 { vec![0x6A, 0x88] } else { answer });
    unreadable(reader.read(&pin("123456"), None, &ITEMS), |cause| {
        matches!(cause, EidFault::DocumentValidity(ValidityError::NotAvailable(0x6A88)))
    });
}

#[test]
fn a_card_refusing_restricted_identification_is_the_terminals_problem_and_is_not_read() {
    // The second MSE:Set AT with P1P2 41 A4 (after Chip Authentication's) is RI's.
    let mut set_at_41 = 0;
    let mut reader = reader(setup(), move |_, command, answer| {
        if (command.ins, command.p1) == (0x22, 0x41) {
            set_at_41 += 1;
            if set_at_41 == 2 {
                return vec![0x69, 0x82];
            }
        }
        answer
    });
    match reader.read(&pin("123456"), None, &ITEMS) {
        Err(CardError::TerminalRefused(fault)) => {
            assert!(matches!(cause(&fault), EidFault::RestrictedIdentification(RiError::NotAuthorised)), "{fault:?}")
        }
        other => panic!("expected TerminalRefused, got {other:?}"),
    }
}

#[test]
fn a_response_shorter_than_a_status_word_is_a_typed_error() {
    let mut reader = reader(setup(), |n, _, answer| if n == 2 { vec![0x90] } else { answer });
    unreadable(reader.read(&pin("123456"), None, &ITEMS), |cause| {
        matches!(cause, EidFault::Transport(TransportError::Malformed(apdu))
            if apdu.downcast_ref() == Some(&ApduError::ResponseTooShort(1)))
    });
}

#[test]
fn a_wrong_status_word_during_pace_is_a_typed_error() {
    // Command 1 is PACE's MSE:Set AT (after the EF.CardAccess read).
    let mut reader = reader(setup(), |n, _, answer| if n == 1 { vec![0x6A, 0x80] } else { answer });
    unreadable(reader.read(&pin("123456"), None, &ITEMS), |cause| {
        matches!(cause, EidFault::Pace(PaceError::UnexpectedStatus { step: PaceStep::SetAt, sw: 0x6A80 }))
    });
}

#[test]
fn a_bad_tlv_length_in_a_pace_answer_is_a_typed_error() {
    let mut reader = reader(setup(), |n, _, mut answer| {
        if n == 2 {
            // 7C len 80 len ...: announce more bytes than there are.
            answer[1] = 0x7F;
        }
        answer
    });
    unreadable(reader.read(&pin("123456"), None, &ITEMS), |cause| matches!(cause, EidFault::Pace(PaceError::Tlv(_))));
}

#[test]
fn a_truncated_ef_card_access_is_a_typed_error() {
    let mut reader = reader(setup(), |n, _, answer| {
        // The card claims the file ends (6282) twelve bytes early.
        if n == 0 { [&answer[..answer.len() - 12], &[0x62, 0x82]].concat() } else { answer }
    });
    unreadable(
        reader.read(&pin("123456"), None, &ITEMS),
        |cause| matches!(cause, EidFault::ReadCardAccess(ReadError::ShortFile { got, announced }) if got < announced),
    );
}

/// The first command after PACE is protected; its answer's MAC is the last
/// 8 bytes before the status word.
fn flip_mac_of_answer(target: usize) -> impl FnMut(usize, &CommandApdu, Vec<u8>) -> Vec<u8> {
    move |n, _, mut answer| {
        if n == target {
            let at = answer.len() - 3;
            answer[at] ^= 0x01;
        }
        answer
    }
}

#[test]
fn a_bad_mac_on_a_protected_answer_is_a_typed_error() {
    // 0: EF.CardAccess, 1-5: PACE, 6: MSE:Set DST of TA, the first protected command.
    let mut reader = reader(setup(), flip_mac_of_answer(6));
    unreadable(reader.read(&pin("123456"), None, &ITEMS), |cause| {
        matches!(cause, EidFault::SecureMessaging(SmError::BadMac))
    });
}

#[test]
fn a_replayed_answer_with_the_wrong_send_sequence_counter_is_a_typed_error() {
    let mut previous = Vec::new();
    let mut reader = reader(setup(), move |n, _, answer| {
        // Answer command 7 with the (valid, but older) answer to command 6.
        let replay = if n == 7 { previous.clone() } else { answer.clone() };
        previous = answer;
        replay
    });
    unreadable(reader.read(&pin("123456"), None, &ITEMS), |cause| {
        matches!(cause, EidFault::SecureMessaging(SmError::BadMac))
    });
}

#[test]
fn a_card_whose_signed_security_object_was_altered_is_not_genuine() {
    let setup = setup_with(|card_dir| {
        let path = card_dir.join("card_security.der");
        let mut der = std::fs::read(&path).unwrap();
        // Alter the PACEInfo inside the signed SecurityInfos (id-PACE = 0.4.0.127.0.7.2.2.4).
        let pace = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04];
        let at = der.windows(pace.len()).position(|w| w == pace).unwrap() + pace.len() + 1;
        der[at] ^= 0x01;
        std::fs::write(&path, der).unwrap();
    });
    let mut reader = reader(setup, |_, _, answer| answer);
    let err = reader.read(&pin("123456"), None, &ITEMS).unwrap_err();
    assert!(
        matches!(&err, CardError::NotGenuine(fault)
            if matches!(cause(fault), EidFault::PassiveAuthentication(PaError::DigestMismatch))),
        "{err:?}"
    );
}

#[test]
fn a_data_group_the_chat_did_not_grant_is_refused_by_the_card() {
    let mut reader = reader(setup(), |_, _, answer| answer);
    let mut session = reader.authenticate(&pin("123456"), None, &[CardItem::GivenNames]).unwrap();
    session.read_item(CardItem::GivenNames).unwrap();
    let err = session.read_item(CardItem::DateOfBirth).unwrap_err();
    assert!(
        matches!(&err, CardError::TerminalRefused(fault)
            if cause(fault) == &EidFault::DataGroupRefused { data_group: 8 }),
        "{err:?}"
    );
}

/// The error's message and the messages of its whole `source()` chain.
fn messages(err: &CardError) -> Vec<String> {
    std::iter::successors(Some(err as &dyn std::error::Error), |e| e.source()).map(ToString::to_string).collect()
}

#[test]
fn the_maintainers_message_says_what_failed_and_what_to_do() {
    let mut reader = reader(setup(), flip_mac_of_answer(6));
    let err = reader.read(&pin("123456"), None, &ITEMS).unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("the card could not be read: secure messaging with the card failed"), "{message}");
    assert!(message.contains("response MAC does not verify"), "{message}");
    assert!(message.contains("take the card out and try again"), "{message}");
    assert_eq!(messages(&err).last().map(String::as_str), Some(SmError::BadMac.to_string().as_str()));
}

#[test]
fn no_error_detail_carries_the_pin() {
    let mut reader = reader(setup(), |_, _, answer| answer);
    for attempt in ["482913", "482913"] {
        let err = reader.read(&pin(attempt), None, &ITEMS).unwrap_err();
        assert!(!format!("{err:?} {err}").contains(attempt), "{err:?}");
        assert!(messages(&err).iter().all(|m| !m.contains(attempt)), "{:?}", messages(&err));
    }
}

/// Writes `DIR/trust/csca.crl`: a CRL of the personalised test CSCA made
/// with `openssl ca -gencrl`, revoking the certificates `revoke` (PEM files
/// in `DIR/pki`), next due at `next_update` (`YYYYMMDDHHMMSSZ`).
fn install_crl(card_dir: &Path, revoke: &[&str], next_update: &str) {
    let dir = card_dir.parent().unwrap();
    let pki = dir.join("pki");
    let arg = |name: &str| pki.join(name).display().to_string();
    std::fs::write(pki.join("index.txt"), "").unwrap();
    std::fs::write(pki.join("crlnumber"), "01\n").unwrap();
    let config = format!(
        "[ca]\ndefault_ca = csca\n[csca]\ndatabase = {}\ncrlnumber = {}\ndefault_md = sha256\n",
        arg("index.txt"),
        arg("crlnumber")
    );
    std::fs::write(pki.join("ca.cnf"), config).unwrap();
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl").args(args).output().expect("run openssl");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let ca = ["ca", "-config", &arg("ca.cnf"), "-keyfile", &arg("csca.key"), "-cert", &arg("csca.pem")];
    for name in revoke {
        openssl(&[&ca[..], &["-revoke", &arg(&format!("{name}.pem"))]].concat());
    }
    let last = "20250101000000Z";
    openssl(
        &[&ca[..], &["-gencrl", "-crl_lastupdate", last, "-crl_nextupdate", next_update, "-out", &arg("crl.pem")]]
            .concat(),
    );
    let crl = dir.join("trust/csca.crl").display().to_string();
    openssl(&["crl", "-in", &arg("crl.pem"), "-outform", "DER", "-out", &crl]);
}

#[test]
fn a_card_whose_document_signer_is_revoked_is_not_genuine() {
    let setup = setup_with(|card_dir| install_crl(card_dir, &["ds"], "20991231000000Z"));
    assert!(setup.config.stale_lists().is_empty());
    let mut reader = reader(setup, |_, _, answer| answer);
    let err = reader.read(&pin("123456"), None, &ITEMS).unwrap_err();
    assert!(
        matches!(&err, CardError::NotGenuine(fault)
            if matches!(cause(fault), EidFault::PassiveAuthentication(PaError::Revoked { .. }))),
        "{err:?}"
    );
}

#[test]
fn a_stale_revocation_list_is_used_and_reported() {
    let setup = setup_with(|card_dir| install_crl(card_dir, &[], "20250201000000Z"));
    let stale = setup.config.stale_lists().to_vec();
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert!(stale[0].path.ends_with("trust/csca.crl"));
    assert_eq!(stale[0].dates.next_update.map(|d| d.to_string()).as_deref(), Some("2025-02-01"));
    let mut reader = reader(setup, |_, _, answer| answer);
    assert!(reader.read(&pin("123456"), None, &ITEMS).is_ok(), "a stale list does not stop the terminal");
}

#[test]
fn a_revocation_list_no_trusted_csca_signed_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    personalise(dir.path()).unwrap();
    install_crl(&dir.path().join("card"), &[], "20991231000000Z");
    // The same CRL from another CSCA of the same name would not verify; a
    // changed byte in its signed part does not either.
    let path = dir.path().join("trust/csca.crl");
    let mut der = std::fs::read(&path).unwrap();
    let at = der.len() / 3;
    der[at] ^= 0x01;
    std::fs::write(&path, der).unwrap();
    let err = EidConfig::load(dir.path()).unwrap_err();
    assert!(matches!(&err, card_reader::EidConfigError::Crl { path, .. } if path.ends_with("trust/csca.crl")), "{err}");
}
