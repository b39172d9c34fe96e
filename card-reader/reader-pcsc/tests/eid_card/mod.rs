// SPDX-License-Identifier: GPL-3.0-or-later
//! The citizen's flows through pcscd and the vpcd reader against
//! `eid-sim-card`, the simulated eID card whose cryptography is OpenPACE's.
//! Every test personalises a fresh card (CVCA, DV, terminal, CSCA, document
//! signer) with Debian's `cvc-create` and `openssl`.

mod pin_pad;

use super::support::{Env, READER};
use card_reader::renewal;
use card_reader::{Authorisation, CardEvent, CardReader, EidConfig, EidFault};
use eid::passive_auth::PaError;
use eid::terminal_auth::TaError;
use eid_sim_card::personalise::{
    dv_answer, foreign_terminal_chain, iso_date_in, personalise, sector_identifier, write_block_list,
};
use eid_sim_card::{CardHolder, Quirk, Secrets, SimCard, VirtualCard};
use reader_pcsc::{PcscError, PcscReader};
use session::{CardDate, CardError, CardItem, Fault, Pin};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const VPCD_PORT: u16 = 35963;
const PIN: &str = "123456";
const CAN: &str = "500540";
const PUK: &str = "9876543210";
const WAIT: Duration = Duration::from_secs(10);
/// What a registration service reads.
const ITEMS: [CardItem; 6] = [
    CardItem::GivenNames,
    CardItem::FamilyNames,
    CardItem::DateOfBirth,
    CardItem::PlaceOfBirth,
    CardItem::BirthName,
    CardItem::PlaceOfResidence,
];

fn pin(digits: &str) -> Pin {
    let mut pin = Pin::default();
    digits.chars().for_each(|d| pin.push(d));
    pin
}

/// A personalised card factory and the terminal configuration that goes with it.
struct Issuer {
    dir: tempfile::TempDir,
    config: Arc<EidConfig>,
}

impl Issuer {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        personalise(dir.path()).unwrap();
        let config = Arc::new(EidConfig::load(dir.path()).unwrap());
        Self { dir, config }
    }

    fn card_with_pin(&self, pin: &str) -> SimCard {
        let secrets = Secrets { pin: pin.into(), can: CAN.into(), puk: PUK.into() };
        SimCard::new(&self.dir.path().join("card"), CardHolder::erika(), secrets).unwrap()
    }

    fn card(&self) -> SimCard {
        self.card_with_pin(PIN)
    }
}

/// Puts `card` into the vpcd reader and waits until `reader` reports it.
fn insert(reader: &mut PcscReader, card: SimCard) -> VirtualCard {
    let inserted = VirtualCard::insert(VPCD_PORT, card).unwrap();
    expect_event(reader, CardEvent::Inserted);
    inserted
}

/// Waits for `expected`, skipping nothing: any other event fails the test.
fn expect_event(reader: &mut PcscReader, expected: CardEvent) {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Some(event) = reader.next_event(Duration::from_millis(200)) {
            assert_eq!(event, expected);
            return;
        }
    }
    panic!("no {expected:?} within {WAIT:?}");
}

/// The step of the eID flow that failed.
fn cause(fault: &Fault) -> &EidFault {
    fault.downcast_ref::<EidFault>().unwrap_or_else(|| panic!("not an EidFault: {fault:?}"))
}

fn reader(issuer: &Issuer) -> PcscReader {
    PcscReader::named(READER, Arc::clone(&issuer.config))
}

#[test]
fn right_pin_reads_the_identity_and_umlauts_survive() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let mut reader = reader(&issuer);
    let _card = insert(&mut reader, issuer.card());
    let data = reader.read(&pin(PIN), None, &ITEMS).unwrap();
    let id = &data.identity;
    assert_eq!(id.given_names.as_deref(), Some("Erika Jürgen"));
    assert_eq!(id.family_names.as_deref(), Some("Müller-Lüdenscheidt"));
    assert_eq!(id.date_of_birth, Some(CardDate::new(1964, 8, 12)));
    assert_eq!(id.place_of_birth.as_deref(), Some("Düsseldorf"));
    assert_eq!(id.birth_name.as_deref(), Some("Gößweiner"));
    let address = id.place_of_residence.as_ref().unwrap();
    assert_eq!((address.street.as_str(), address.postal_code.as_str()), ("Heidestraße 17", "51147"));
    assert_eq!((address.city.as_str(), address.country.as_str()), ("Köln", "D"));
    assert_eq!(id.items(), ITEMS.to_vec(), "exactly the requested items");
    assert_eq!(id.document_type, None, "not requested, not read");
}

/// TR-03110-3 B.11 and ISO/IEC 7816-4: EF.CardAccess, PACE (5), TA (7),
/// EF.CardSecurity, CA (2), the SELECT of the eID application, the VERIFY of
/// the card's validity (B.11.7) and Restricted Identification for the block
/// list (MSE:Set AT and GENERAL AUTHENTICATE, B.4): three more than before
/// the terminal checked expiry and revocation, 20 APDUs, then one READ
/// BINARY per data group, when every file comes in one.
const MINIMUM_APDUS: usize = 20;

#[test]
fn with_extended_length_a_read_takes_the_protocols_minimum_of_apdus() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let mut reader = reader(&issuer);
    let card = insert(&mut reader, issuer.card());
    reader.read(&pin(PIN), None, &ITEMS).unwrap();
    assert_eq!(reader.last_stats().apdus, MINIMUM_APDUS + ITEMS.len(), "{:?}", reader.last_stats());
    drop(card);
    expect_event(&mut reader, CardEvent::Removed);

    // Short APDUs only: EF.CardSecurity comes in chunks of 223 bytes.
    let mut short = reader_pcsc::PcscReader::named(READER, Arc::clone(&issuer.config))
        .with_length_mode(reader_pcsc::LengthMode::Short);
    let _card = insert(&mut short, issuer.card());
    short.read(&pin(PIN), None, &ITEMS).unwrap();
    assert!(short.last_stats().apdus > MINIMUM_APDUS + ITEMS.len(), "{:?}", short.last_stats());
}

#[test]
fn wrong_pin_decrements_the_retry_counter() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let mut reader = reader(&issuer);
    let card = insert(&mut reader, issuer.card());
    assert_eq!(reader.read(&pin("000000"), None, &ITEMS), Err(CardError::WrongPin { attempts_left: 2 }));
    assert_eq!(card.remove().pin_retries(), 2);
}

#[test]
fn a_card_that_hides_its_retry_counter_is_never_said_to_have_three_attempts_after_a_wrong_pin() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let mut reader = reader(&issuer);
    let mut quirky = issuer.card();
    quirky.set_quirk(Some(Quirk::HidesTheRetryCounter));
    let card = insert(&mut reader, quirky);
    let items = [CardItem::GivenNames];
    // MSE:Set AT said 9000 (three left) and PACE failed with 6300: two left.
    assert_eq!(reader.read(&pin("000000"), None, &items), Err(CardError::WrongPin { attempts_left: 2 }));
    // The card says 9000 again with two left, so the reader can only bound
    // the count by two; the session lowers it to one (its own test).
    assert_eq!(reader.read(&pin("000000"), None, &items), Err(CardError::WrongPin { attempts_left: 2 }));
    // The card does announce the suspended PIN, and the CAN opens it.
    assert_eq!(reader.read(&pin(PIN), None, &items), Err(CardError::PinSuspended));
    assert!(reader.read(&pin(PIN), Some(&pin(CAN)), &items).is_ok());
    assert_eq!(card.remove().pin_retries(), 3);
}

#[test]
fn the_third_attempt_requires_the_can_first() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let mut reader = reader(&issuer);
    let _card = insert(&mut reader, issuer.card());
    let items = [CardItem::GivenNames];
    assert_eq!(reader.read(&pin("000000"), None, &items), Err(CardError::WrongPin { attempts_left: 2 }));
    assert_eq!(reader.read(&pin("000000"), None, &items), Err(CardError::PinSuspended));
    assert_eq!(reader.read(&pin(PIN), None, &items), Err(CardError::PinSuspended));
    assert_eq!(reader.read(&pin(PIN), Some(&pin("111111")), &items), Err(CardError::WrongCan));
    let data = reader.read(&pin(PIN), Some(&pin(CAN)), &items).unwrap();
    assert_eq!(data.identity.given_names.as_deref(), Some("Erika Jürgen"));
    assert_eq!(reader.read(&pin("000000"), None, &items), Err(CardError::WrongPin { attempts_left: 2 }), "reset to 3");
}

#[test]
fn a_blocked_pin_is_unblocked_with_the_puk() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let mut reader = reader(&issuer);
    let _card = insert(&mut reader, issuer.card());
    let items = [CardItem::FamilyNames];
    reader.read(&pin("000000"), None, &items).unwrap_err();
    reader.read(&pin("000000"), None, &items).unwrap_err();
    assert_eq!(reader.read(&pin("000000"), Some(&pin(CAN)), &items), Err(CardError::PinBlocked));
    assert_eq!(reader.read(&pin(PIN), Some(&pin(CAN)), &items), Err(CardError::PinBlocked));
    assert_eq!(reader.unblock_pin(&pin("0000000000")), Err(CardError::WrongPuk));
    reader.unblock_pin(&pin(PUK)).unwrap();
    let data = reader.read(&pin(PIN), None, &items).unwrap();
    assert_eq!(data.identity.family_names.as_deref(), Some("Müller-Lüdenscheidt"));
}

#[test]
fn the_transport_pin_is_replaced_and_the_new_pin_is_required_afterwards() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let mut reader = reader(&issuer);
    let _card = insert(&mut reader, issuer.card_with_pin("54321"));
    reader.change_pin(&pin("54321"), None, &pin("246810")).unwrap();
    let items = [CardItem::GivenNames];
    assert_eq!(reader.read(&pin("54321"), None, &items), Err(CardError::WrongPin { attempts_left: 2 }));
    assert!(reader.read(&pin("246810"), None, &items).is_ok());
}

#[test]
fn a_changed_pin_is_required_afterwards() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let mut reader = reader(&issuer);
    let _card = insert(&mut reader, issuer.card());
    assert_eq!(reader.change_pin(&pin("999999"), None, &pin("135790")), Err(CardError::WrongPin { attempts_left: 2 }));
    reader.change_pin(&pin(PIN), None, &pin("135790")).unwrap();
    let items = [CardItem::GivenNames];
    assert_eq!(reader.read(&pin(PIN), None, &items), Err(CardError::WrongPin { attempts_left: 2 }));
    assert!(reader.read(&pin("135790"), None, &items).is_ok());
}

/// Pulls the card after `answered(reader)` APDUs of a read: a clear error
/// within the deadline, and the next attempt with the card back works.
fn pulled_after(answered: impl FnOnce(&mut PcscReader) -> usize) {
    let _env = Env::start();
    let issuer = Issuer::new();
    let mut reader = reader(&issuer);
    let card = insert(&mut reader, issuer.card());
    card.pull_after(answered(&mut reader));
    let started = Instant::now();
    assert_eq!(reader.read(&pin(PIN), None, &ITEMS), Err(CardError::CardRemoved));
    assert!(started.elapsed() < WAIT, "took {:?}", started.elapsed());
    let card = card.wait();
    expect_event(&mut reader, CardEvent::Removed);
    let _card = insert(&mut reader, card);
    assert!(reader.read(&pin(PIN), None, &ITEMS).is_ok());
}

#[test]
fn a_card_pulled_during_pace_gives_card_removed_and_the_next_attempt_works() {
    // EF.CardAccess, MSE:Set AT, the nonce: the card leaves at the mapping step.
    pulled_after(|_| 3);
}

#[test]
fn a_card_pulled_while_reading_data_groups_gives_card_removed_and_the_next_attempt_works() {
    // A whole read first, to count its APDUs; the second read loses the
    // card two APDUs before its end, inside the last data group.
    pulled_after(|reader| {
        reader.read(&pin(PIN), None, &ITEMS).unwrap();
        reader.last_stats().apdus - 2
    });
}

#[test]
fn a_deactivated_eid_function_is_reported() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let mut reader = reader(&issuer);
    let mut card = issuer.card();
    card.set_eid_deactivated(true);
    let _card = insert(&mut reader, card);
    assert_eq!(reader.read(&pin(PIN), None, &ITEMS), Err(CardError::Deactivated));
}

#[test]
fn an_expired_card_is_refused_and_a_valid_one_passes() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let mut reader = reader(&issuer);
    let mut holder = CardHolder::erika();
    holder.date_of_expiry = "20200101".into();
    let secrets = Secrets { pin: PIN.into(), can: CAN.into(), puk: PUK.into() };
    let expired = SimCard::new(&issuer.dir.path().join("card"), holder, secrets).unwrap();
    let card = insert(&mut reader, expired);
    assert_eq!(reader.read(&pin(PIN), None, &ITEMS), Err(CardError::Expired));
    drop(card);
    expect_event(&mut reader, CardEvent::Removed);
    let _card = insert(&mut reader, issuer.card());
    assert!(reader.read(&pin(PIN), None, &ITEMS).is_ok(), "a card valid until 2031 is read");
}

/// The issuer's terminal configuration with a block list of `identifiers`,
/// issued `issued` and due `next_update` days from today.
fn config_with_block_list(issuer: &Issuer, identifiers: &[String], issued: i64, next_update: i64) -> Arc<EidConfig> {
    write_block_list(issuer.dir.path(), &iso_date_in(issued), &iso_date_in(next_update), identifiers).unwrap();
    Arc::new(EidConfig::load(issuer.dir.path()).unwrap())
}

#[test]
fn a_card_on_the_sector_block_list_is_refused_and_one_not_on_it_passes() {
    let _env = Env::start();
    let issuer = Issuer::new();
    // The sector's operator computes the card's identifier with openssl
    // from the card's RI public key; the card derives it with OpenPACE.
    let revoked = sector_identifier(issuer.dir.path()).unwrap();
    let mut reader = PcscReader::named(READER, config_with_block_list(&issuer, &[revoked], 0, 7));
    let card = insert(&mut reader, issuer.card());
    assert_eq!(reader.read(&pin(PIN), None, &ITEMS), Err(CardError::Revoked));
    drop(card);
    expect_event(&mut reader, CardEvent::Removed);

    let other = "ab".repeat(32);
    let mut reader = PcscReader::named(READER, config_with_block_list(&issuer, &[other], 0, 7));
    let _card = insert(&mut reader, issuer.card());
    assert!(reader.read(&pin(PIN), None, &ITEMS).is_ok(), "a card the list does not name is read");
}

#[test]
fn a_stale_block_list_is_reported_and_still_blocks() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let revoked = sector_identifier(issuer.dir.path()).unwrap();
    let config = config_with_block_list(&issuer, &[revoked], -14, -7);
    let stale = config.stale_lists();
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert!(stale[0].path.ends_with("sector/blocklist.txt"), "{stale:?}");
    assert_eq!(stale[0].dates.next_update.map(|d| d.to_string()), Some(iso_date_in(-7)));
    let mut reader = PcscReader::named(READER, config);
    let _card = insert(&mut reader, issuer.card());
    assert_eq!(reader.read(&pin(PIN), None, &ITEMS), Err(CardError::Revoked));
}

#[test]
fn a_terminal_chain_not_ending_at_the_cards_cvca_is_refused() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let foreign = tempfile::tempdir().unwrap();
    foreign_terminal_chain(&foreign.path().join("terminal")).unwrap();
    copy_trust_list(issuer.dir.path(), foreign.path());
    let mut reader = PcscReader::named(READER, Arc::new(EidConfig::load(foreign.path()).unwrap()));
    let _card = insert(&mut reader, issuer.card());
    let err = reader.read(&pin(PIN), None, &ITEMS).unwrap_err();
    assert!(
        matches!(&err, CardError::TerminalRefused(fault)
            if matches!(cause(fault), EidFault::TerminalAuthentication(TaError::UnknownAuthority(car)) if car.contains("DEFOREIGN"))),
        "{err:?}"
    );
}

/// Copies the CSCA trust list and the sector's key and block list.
fn copy_trust_list(from: &Path, to: &Path) {
    for (dir, file) in [("trust", "csca.der"), ("sector", "sector.der"), ("sector", "blocklist.txt")] {
        std::fs::create_dir_all(to.join(dir)).unwrap();
        std::fs::copy(from.join(dir).join(file), to.join(dir).join(file)).unwrap();
    }
}

#[test]
fn passive_authentication_against_another_csca_is_not_genuine() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let other = Issuer::new();
    let mixed = tempfile::tempdir().unwrap();
    let terminal = mixed.path().join("terminal");
    std::fs::create_dir_all(&terminal).unwrap();
    for file in ["cvca.cvcert", "dv.cvcert", "terminal.cvcert", "terminal.pkcs8"] {
        std::fs::copy(issuer.dir.path().join("terminal").join(file), terminal.join(file)).unwrap();
    }
    copy_trust_list(other.dir.path(), mixed.path());
    let mut reader = PcscReader::named(READER, Arc::new(EidConfig::load(mixed.path()).unwrap()));
    let _card = insert(&mut reader, issuer.card());
    let err = reader.read(&pin(PIN), None, &ITEMS).unwrap_err();
    // Both test CSCAs bear the same name: the other one is found as the
    // issuer, and its key does not verify the document signer certificate.
    assert!(
        matches!(&err, CardError::NotGenuine(fault)
            if matches!(cause(fault), EidFault::PassiveAuthentication(PaError::BadCertificateSignature))),
        "{err:?}"
    );
}

#[test]
fn stopping_pcscd_gives_reader_gone_and_restarting_it_gives_reader_back() {
    let mut env = Env::start();
    let issuer = Issuer::new();
    let mut reader = reader(&issuer);
    let card = insert(&mut reader, issuer.card());
    env.stop_pcscd();
    expect_event(&mut reader, CardEvent::Removed);
    expect_event(&mut reader, CardEvent::ReaderGone);
    let without_pcscd = reader.read(&pin(PIN), None, &ITEMS);
    assert!(
        matches!(&without_pcscd, Err(CardError::Reader(fault)) if matches!(fault.downcast_ref(), Some(PcscError::NoService(_)))),
        "{without_pcscd:?}"
    );
    let card = card.wait();
    env.start_pcscd();
    expect_event(&mut reader, CardEvent::ReaderBack);
    let _card = insert(&mut reader, card);
    assert!(reader.read(&pin(PIN), None, &[CardItem::GivenNames]).is_ok());
}

#[test]
fn a_whole_read_reports_its_times_and_apdu_figures() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let mut reader = reader(&issuer);
    let _card = insert(&mut reader, issuer.card());
    reader.read(&pin(PIN), None, &ITEMS).unwrap();
    let stats = reader.last_stats();
    println!("{stats:?}");
    assert!(!stats.pace.is_zero() && stats.pace < stats.total, "{stats:?}");
    // The protocol's minimum for a read (TR-03110-3 B.11): EF.CardAccess 1,
    // PACE 5, TA 7, EF.CardSecurity 1, CA 2, SELECT 1, VERIFY of the
    // validity 1, RI 2, one per data group.
    assert!(stats.apdus >= MINIMUM_APDUS + ITEMS.len(), "{stats:?}");
    assert!(stats.apdu_bytes > 2000, "{stats:?}");
}

#[test]
fn a_terminal_started_without_a_reader_takes_the_first_one_that_appears() {
    let mut env = Env::start();
    let issuer = Issuer::new();
    env.stop_pcscd();
    let mut reader = PcscReader::any(Arc::clone(&issuer.config));
    assert_eq!(reader.reader(), "", "no reader yet");
    assert_eq!(reader.next_event(Duration::from_millis(50)), None);
    let without_reader = reader.read(&pin(PIN), None, &ITEMS);
    assert!(
        matches!(&without_reader, Err(CardError::Reader(fault)) if matches!(fault.downcast_ref(), Some(PcscError::NoReader))),
        "{without_reader:?}"
    );
    env.start_pcscd();
    expect_event(&mut reader, CardEvent::ReaderBack);
    assert_eq!(reader.reader(), READER, "the first reader pcscd lists");
    let _card = insert(&mut reader, issuer.card());
    assert!(reader.read(&pin(PIN), None, &[CardItem::GivenNames]).is_ok());
}

#[test]
fn a_renewal_installed_while_the_terminal_runs_is_used_from_the_next_card_on() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let dir = issuer.dir.path();
    let mut reader = PcscReader::named(READER, Authorisation::load(dir).unwrap());
    let card = insert(&mut reader, issuer.card());
    reader.read(&pin(PIN), None, &[CardItem::GivenNames]).unwrap();
    drop(card);
    expect_event(&mut reader, CardEvent::Removed);

    let request = renewal::request(dir).unwrap();
    let work = tempfile::tempdir().unwrap();
    let answer = dv_answer(&dir.join("pki/dv.pkcs8"), &std::fs::read(&request.path).unwrap(), work.path()).unwrap();
    renewal::install(dir, &answer, None).unwrap();

    // The next look for events picks the new files up; the card accepts the
    // new certificate in Terminal Authentication, and the old key is gone.
    let _card = insert(&mut reader, issuer.card());
    assert_eq!(reader.authorisation().config().chain().terminal.chr, request.chr);
    let data = reader.read(&pin(PIN), None, &[CardItem::GivenNames]).unwrap();
    assert_eq!(data.identity.given_names.as_deref(), Some("Erika Jürgen"));
}
