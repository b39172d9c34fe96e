// SPDX-License-Identifier: GPL-3.0-or-later
//! PIN entry on the reader's keypad (#11 part 6), through pcscd and vpcd
//! against the OpenPACE card.
//!
//! No virtual reader in Debian offers PC/SC part 10's `FEATURE_EXECUTE_PACE`
//! (vpcd answers every `SCardControl` with `SCARD_E_UNSUPPORTED_FEATURE`, see
//! `a_reader_without_part_10_support_reports_no_features`). So
//! [`PinPadFirmware`] stands in for the firmware of a reader with a keypad,
//! at the seam where pcscd hands `SCardTransmit`/`SCardControl` to the
//! driver ([`ReaderDriver`]), over the real card behind pcscd:
//!
//! - `GET_FEATURE_REQUEST` announces `FEATURE_EXECUTE_PACE`;
//! - `EstablishPACEChannel` reads EF.CardAccess from the card and runs PACE
//!   with it (the terminal side from crate `eid`, the card's side
//!   OpenPACE's), with what the test's [`Keypad`] says the citizen does, and
//!   answers in the layout of PC/SC part 10 amendment 1 (TR-03119 D.3 result
//!   codes), parsed here with its own code, not `eid::pace_on_reader`;
//! - afterwards plain APDUs are protected with the PACE channel and APDUs
//!   already protected (CLA `0C`) pass unchanged, as after Chip
//!   Authentication; a card reset ends the channel.
//!
//! What only a real reader shows: its own result codes and timeouts, how it
//! treats a suspended PIN (PACE with the CAN, then the PIN inside that
//! channel, as the double does), whether it really passes the terminal's
//! protected APDUs on after Chip Authentication, and its display of the
//! CHAT and certificate description.

use super::{CAN, Issuer, PIN, insert, pin};
use crate::support::{Env, READER};
use card_reader::{CardReader, PinEntry};
use eid::apdu::{CommandApdu, ResponseApdu};
use eid::card_access::CardAccess;
use eid::chat::Chat;
use eid::files::{self, ReadNext};
use eid::pace::{self, PaceConfig, PaceOutcome};
use eid::password::Password;
use eid::secure_messaging::SecureMessaging;
use reader_pcsc::{GET_FEATURE_REQUEST_CODE, PcscError, PcscReader, ReaderDriver, SharedDriver};
use session::{CardError, CardItem};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The control code the double announces for `FEATURE_EXECUTE_PACE`.
const EXECUTE_PACE_CODE: u32 = 0x4233_0020;
/// TR-03119 D.3 result codes.
const ABORTED: u32 = 0xF020_0001;
const TIMEOUT: u32 = 0xF020_0002;
const UNEXPECTED_DATA: u32 = 0xD000_0002;
const CARD_NOT_SUPPORTED: u32 = 0xE000_0001;
const ITEMS: [CardItem; 3] = [CardItem::GivenNames, CardItem::FamilyNames, CardItem::PlaceOfResidence];

/// What the citizen does on the reader's keypad, in order.
#[derive(Debug, Clone, Copy)]
enum Keypad {
    Types(&'static str),
    Cancels,
    TimesOut,
}

/// One EstablishPACEChannel as the reader received it.
#[derive(Debug, Clone)]
struct Received {
    password_id: u8,
    chat: Vec<u8>,
    pin: Vec<u8>,
}

/// The firmware of a reader with a keypad; see the module documentation.
#[derive(Default)]
struct PinPadFirmware {
    keypad: VecDeque<Keypad>,
    channel: Option<SecureMessaging>,
    received: Vec<Received>,
    /// Every byte the terminal sent to the reader, for the PIN never to be in it.
    from_terminal: Vec<u8>,
}

impl PinPadFirmware {
    fn shared(keypad: &[Keypad]) -> Arc<Mutex<Self>> {
        Arc::new(Mutex::new(Self { keypad: keypad.iter().copied().collect(), ..Self::default() }))
    }

    /// One exchange with the card, inside the reader's PACE channel if one is open.
    fn exchange(&mut self, card: &pcsc::Card, command: &CommandApdu) -> ResponseApdu {
        let Some(channel) = self.channel.as_mut() else { return raw(card, command) };
        let protected = channel.protect(command).expect("the reader protects its command");
        channel.unprotect(&raw(card, &protected)).unwrap_or_else(|_| ResponseApdu::new(Vec::new(), 0x6988))
    }

    fn establish(&mut self, card: &pcsc::Card, input: &[u8]) -> Vec<u8> {
        let Some(received) = parse_input(input) else { return output(UNEXPECTED_DATA, 0, &[], None) };
        self.received.push(received.clone());
        let digits = match self.keypad.pop_front() {
            Some(Keypad::Types(digits)) => digits,
            Some(Keypad::Cancels) => return output(ABORTED, 0, &[], None),
            Some(Keypad::TimesOut) | None => return output(TIMEOUT, 0, &[], None),
        };
        let card_access = match self.read_card_access(card) {
            Ok(content) => content,
            Err(sw) => return output(0xF001_0000 | u32::from(sw), 0, &[], None),
        };
        let Some(info) = CardAccess::parse(&card_access).ok().and_then(|a| a.select_pace().cloned()) else {
            return output(CARD_NOT_SUPPORTED, 0, &card_access, None);
        };
        let password = match received.password_id {
            2 => Password::can(digits),
            3 => Password::pin(digits),
            _ => Password::puk(digits),
        }
        .expect("the keypad takes digits");
        let chat = (!received.chat.is_empty()).then(|| Chat::parse(&received.chat).expect("a CHAT"));
        let config = PaceConfig { info, password, chat, can_established: self.channel.is_some() };
        match self.pace(card, config) {
            Ok((set_at, outcome)) => {
                let id_icc = outcome.chip_ephemeral_public_key[1..33].to_vec();
                let eac = Eac {
                    car: outcome.car.clone().unwrap_or_default(),
                    previous: outcome.previous_car.clone(),
                    id_icc,
                };
                self.channel = Some(outcome.secure_messaging);
                output(0, set_at, &card_access, Some(eac))
            }
            Err((code, set_at)) => output(code, set_at, &card_access, None),
        }
    }

    fn read_card_access(&mut self, card: &pcsc::Card) -> Result<Vec<u8>, u16> {
        let (mut state, mut command) = files::read_by_sfi(0x1C, files::CHUNK);
        loop {
            let response = self.exchange(card, &command);
            let sw = response.sw.0;
            match state.handle(&response).map_err(|_| sw)? {
                ReadNext::More(next, next_command) => (state, command) = (next, next_command),
                ReadNext::Done(content) => return Ok(content.to_vec()),
            }
        }
    }

    /// The five PACE commands; a refusal is `F0xx` and the card's status
    /// word, per step: 2 MSE:Set AT, 3 to 6 General Authenticate.
    fn pace(&mut self, card: &pcsc::Card, config: PaceConfig) -> Result<(u16, PaceOutcome), (u32, u16)> {
        let mut rng = eid::crypto::OsRandomness;
        let refused = |step: u32, sw: u16| 0xF000_0000 | (step << 16) | u32::from(sw);
        let (state, command) = pace::start(config).map_err(|_| (CARD_NOT_SUPPORTED, 0))?;
        let response = self.exchange(card, &command);
        let set_at = response.sw.0;
        let (state, command) = state.handle(&response).map_err(|_| (refused(2, set_at), set_at))?;
        let response = self.exchange(card, &command);
        let (state, command) = state.handle(&response, &mut rng).map_err(|_| (refused(3, response.sw.0), set_at))?;
        let response = self.exchange(card, &command);
        let (state, command) = state.handle(&response, &mut rng).map_err(|_| (refused(4, response.sw.0), set_at))?;
        let response = self.exchange(card, &command);
        let (state, command) = state.handle(&response).map_err(|_| (refused(5, response.sw.0), set_at))?;
        let response = self.exchange(card, &command);
        let outcome = state.handle(&response).map_err(|_| (refused(6, response.sw.0), set_at))?;
        Ok((set_at, outcome))
    }
}

impl ReaderDriver for PinPadFirmware {
    fn transmit<'a>(
        &mut self,
        card: &pcsc::Card,
        command: &[u8],
        answer: &'a mut [u8],
    ) -> Result<&'a [u8], pcsc::Error> {
        self.from_terminal.extend_from_slice(command);
        let protected_by_terminal = command.first().is_some_and(|cla| cla & 0x0C == 0x0C);
        if self.channel.is_none() || protected_by_terminal {
            return card.transmit(command, answer);
        }
        let plain = parse_command(command).expect("the terminal sends well-formed APDUs");
        let bytes = self.exchange(card, &plain).to_bytes();
        answer[..bytes.len()].copy_from_slice(&bytes);
        Ok(&answer[..bytes.len()])
    }

    fn control<'a>(
        &mut self,
        card: &pcsc::Card,
        code: u32,
        input: &[u8],
        answer: &'a mut [u8],
    ) -> Result<&'a [u8], pcsc::Error> {
        self.from_terminal.extend_from_slice(input);
        let bytes = match code {
            GET_FEATURE_REQUEST_CODE => [&[0x20, 0x04][..], &EXECUTE_PACE_CODE.to_be_bytes()].concat(),
            EXECUTE_PACE_CODE => self.establish(card, input),
            _ => return Err(pcsc::Error::UnsupportedFeature),
        };
        answer[..bytes.len()].copy_from_slice(&bytes);
        Ok(&answer[..bytes.len()])
    }

    fn card_reset(&mut self) {
        self.channel = None;
    }
}

fn raw(card: &pcsc::Card, command: &CommandApdu) -> ResponseApdu {
    let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
    let bytes = command.to_bytes().expect("an encodable command");
    let answer = card.transmit(&bytes, &mut buf).expect("the card answers");
    ResponseApdu::from_bytes(answer).expect("a response APDU")
}

/// ISO/IEC 7816-3 12.1 command cases, short and extended.
fn parse_command(bytes: &[u8]) -> Option<CommandApdu> {
    let (header, body) = bytes.split_at_checked(4)?;
    let mut command = CommandApdu::new(header[0], header[1], header[2], header[3]);
    let le = |raw: usize, max: usize| if raw == 0 { max } else { raw };
    match body {
        [] => {}
        [ne] => command.le = Some(le(usize::from(*ne), 256)),
        [0, hi, lo] => command.le = Some(le(usize::from(u16::from_be_bytes([*hi, *lo])), 65536)),
        [0, hi, lo, rest @ ..] => {
            let nc = usize::from(u16::from_be_bytes([*hi, *lo]));
            command.data = rest.get(..nc)?.to_vec();
            match rest.get(nc..)? {
                [] => {}
                [hi, lo] => command.le = Some(le(usize::from(u16::from_be_bytes([*hi, *lo])), 65536)),
                _ => return None,
            }
        }
        [nc, rest @ ..] => {
            let nc = usize::from(*nc);
            command.data = rest.get(..nc)?.to_vec();
            match rest.get(nc..)? {
                [] => {}
                [ne] => command.le = Some(le(usize::from(*ne), 256)),
                _ => return None,
            }
        }
    }
    Some(command)
}

/// EstablishPACEChannel input (PC/SC part 10 amendment 1): bIdxFunction 02,
/// wLengthInputData, bPasswordID, bLengthCHAT CHAT, bLengthPIN PIN,
/// wLengthCertificateDescription CertificateDescription.
fn parse_input(input: &[u8]) -> Option<Received> {
    let (&[0x02, lo, hi], data) = input.split_first_chunk::<3>()? else { return None };
    (usize::from(u16::from_le_bytes([lo, hi])) == data.len()).then_some(())?;
    let (&password_id, rest) = data.split_first()?;
    let (&chat_len, rest) = rest.split_first()?;
    let (chat, rest) = rest.split_at_checked(usize::from(chat_len))?;
    let (&pin_len, rest) = rest.split_first()?;
    let (pin, rest) = rest.split_at_checked(usize::from(pin_len))?;
    let (&[lo, hi], description) = rest.split_first_chunk::<2>()?;
    (usize::from(u16::from_le_bytes([lo, hi])) == description.len()).then_some(())?;
    Some(Received { password_id, chat: chat.to_vec(), pin: pin.to_vec() })
}

struct Eac {
    car: Vec<u8>,
    previous: Option<Vec<u8>>,
    id_icc: Vec<u8>,
}

/// EstablishPACEChannel output: dwResult, wLengthOutputData, StatusMSESetAT,
/// wLengthCardAccess EF.CardAccess, then for EAC bLengthCARcurr CARcurr,
/// bLengthCARprev CARprev, wLengthIDicc IDicc.
fn output(result: u32, set_at: u16, card_access: &[u8], eac: Option<Eac>) -> Vec<u8> {
    let mut body = set_at.to_be_bytes().to_vec();
    body.extend_from_slice(&(card_access.len() as u16).to_le_bytes());
    body.extend_from_slice(card_access);
    if let Some(eac) = eac {
        body.push(eac.car.len() as u8);
        body.extend_from_slice(&eac.car);
        let previous = eac.previous.unwrap_or_default();
        body.push(previous.len() as u8);
        body.extend_from_slice(&previous);
        body.extend_from_slice(&(eac.id_icc.len() as u16).to_le_bytes());
        body.extend_from_slice(&eac.id_icc);
    }
    let mut out = result.to_le_bytes().to_vec();
    out.extend_from_slice(&(body.len() as u16).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn pad_reader(issuer: &Issuer, firmware: &Arc<Mutex<PinPadFirmware>>) -> PcscReader {
    let driver: SharedDriver = firmware.clone();
    PcscReader::named(READER, Arc::clone(&issuer.config)).with_driver(driver)
}

fn firmware(shared: &Arc<Mutex<PinPadFirmware>>) -> std::sync::MutexGuard<'_, PinPadFirmware> {
    shared.lock().expect("the firmware")
}

#[test]
fn a_right_pin_on_the_keypad_reads_the_data_and_the_pin_never_reaches_the_terminal() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let pad = PinPadFirmware::shared(&[Keypad::Types(PIN)]);
    let mut reader = pad_reader(&issuer, &pad);
    let _card = insert(&mut reader, issuer.card());
    assert_eq!(reader.pin_entry(), PinEntry::OnReader, "the reader announced FEATURE_EXECUTE_PACE");
    let data = reader.read_on_reader(false, &ITEMS).unwrap();
    assert_eq!(data.identity.given_names.as_deref(), Some("Erika Jürgen"));
    assert_eq!(data.identity.family_names.as_deref(), Some("Müller-Lüdenscheidt"));
    assert_eq!(data.identity.items(), ITEMS.to_vec(), "exactly the requested items");
    let pad = firmware(&pad);
    let [received] = pad.received.as_slice() else { panic!("one EstablishPACEChannel: {:?}", pad.received) };
    assert_eq!(received.password_id, 3, "PACE with the PIN");
    assert!(received.pin.is_empty(), "the terminal sent no PIN: the keypad asked");
    let chat = Chat::parse(&received.chat).expect("the CHAT of the service");
    let granted: Vec<u8> = chat.data_items().iter().map(|d| d.data_group()).collect();
    assert_eq!(granted, ITEMS.map(CardItem::data_group), "the CHAT asks for exactly the service's items");
    assert!(!pad.from_terminal.windows(PIN.len()).any(|w| w == PIN.as_bytes()), "the PIN never came from the terminal");
}

#[test]
fn a_wrong_pin_on_the_keypad_gives_the_attempts_left_and_costs_one() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let pad = PinPadFirmware::shared(&[Keypad::Types("000000")]);
    let mut reader = pad_reader(&issuer, &pad);
    let card = insert(&mut reader, issuer.card());
    assert_eq!(reader.read_on_reader(false, &ITEMS), Err(CardError::WrongPin { attempts_left: 2 }));
    assert_eq!(card.remove().pin_retries(), 2, "the card counted the wrong PIN");
}

#[test]
fn cancel_or_timeout_on_the_keypad_asks_nothing_of_the_card() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let pad = PinPadFirmware::shared(&[Keypad::Cancels, Keypad::TimesOut, Keypad::Types(PIN)]);
    let mut reader = pad_reader(&issuer, &pad);
    let card = insert(&mut reader, issuer.card());
    assert_eq!(reader.read_on_reader(false, &ITEMS), Err(CardError::EntryCancelled));
    assert_eq!(reader.read_on_reader(false, &ITEMS), Err(CardError::EntryCancelled));
    assert!(reader.read_on_reader(false, &ITEMS).is_ok(), "the citizen starts again and types the PIN");
    assert_eq!(card.remove().pin_retries(), 3, "no attempt was used");
}

#[test]
fn a_suspended_pin_is_resumed_with_the_can_and_the_pin_both_on_the_keypad() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let pad = PinPadFirmware::shared(&[
        Keypad::Types("000000"),
        Keypad::Types("000000"),
        Keypad::Types("111111"),
        Keypad::Types(CAN),
        Keypad::Types(PIN),
    ]);
    let mut reader = pad_reader(&issuer, &pad);
    let _card = insert(&mut reader, issuer.card());
    assert_eq!(reader.read_on_reader(false, &ITEMS), Err(CardError::WrongPin { attempts_left: 2 }));
    assert_eq!(reader.read_on_reader(false, &ITEMS), Err(CardError::PinSuspended));
    assert_eq!(reader.read_on_reader(true, &ITEMS), Err(CardError::WrongCan), "the keypad's first entry is the CAN");
    let data = reader.read_on_reader(true, &ITEMS).unwrap();
    assert_eq!(data.identity.given_names.as_deref(), Some("Erika Jürgen"));
    let ids: Vec<u8> = firmware(&pad).received.iter().map(|r| r.password_id).collect();
    assert_eq!(ids, [3, 3, 2, 2, 3], "PIN, PIN, CAN (wrong), CAN, PIN");
}

#[test]
fn a_reader_without_the_feature_keeps_the_pin_on_the_screen() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let mut reader = PcscReader::named(READER, Arc::clone(&issuer.config));
    let _card = insert(&mut reader, issuer.card());
    assert_eq!(reader.pin_entry(), PinEntry::OnScreen);
    let refused = reader.read_on_reader(false, &ITEMS).unwrap_err();
    let CardError::Reader(fault) = &refused else { panic!("{refused:?}") };
    assert!(matches!(fault.downcast_ref::<PcscError>(), Some(PcscError::NoPinPad)), "{fault:?}");
}

#[test]
fn the_terminals_own_pace_still_works_through_the_pin_pad_reader() {
    let _env = Env::start();
    let issuer = Issuer::new();
    let pad = PinPadFirmware::shared(&[]);
    let mut reader = pad_reader(&issuer, &pad);
    let _card = insert(&mut reader, issuer.card());
    let data = reader.read(&pin(PIN), None, &ITEMS).unwrap();
    assert_eq!(data.identity.given_names.as_deref(), Some("Erika Jürgen"));
    assert!(firmware(&pad).received.is_empty(), "the PIN service's way: PACE on the terminal");
}
