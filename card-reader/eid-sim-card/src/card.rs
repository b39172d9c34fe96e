// SPDX-License-Identifier: GPL-3.0-or-later
//! The simulated card: an APDU in, an APDU out, never a panic.
//!
//! The command set and its order follow BSI TR-03110-3 appendix B (PACE
//! B.1, TA B.2/B.11.4-5, CA B.3/B.11.6, RESET RETRY COUNTER B.11.8) and
//! ICAO Doc 9303-11 9.8 for secure messaging. Every cryptographic step is
//! OpenPACE's ([`crate::ffi`]); this module only frames and decides.

use std::path::Path;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::SimCardError;
use crate::apdu::{Command, Response, sw};
use crate::ffi::{ChipAuthentication, EacContext, SecretKind};
use crate::holder::CardHolder;
use crate::personalise::{CA_KEY_ID, CA_OID, PACE_OID, RI_KEY_ID, RI_OID, TA_ECDSA_SHA256_OID, read};
use crate::tlv;

/// AID of the eID application (TR-03110-4 / TR-03127).
pub const EID_AID: [u8; 9] = [0xE8, 0x07, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x02];
/// `id-AT`: 0.4.0.127.0.7.3.1.2.2, the authentication terminal CHAT type.
const ID_AT: [u8; 9] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x02, 0x02];
/// `id-DateOfExpiry`: 0.4.0.127.0.7.3.1.4.2 (TR-03110-3 A.6.5.2).
const ID_DATE_OF_EXPIRY: [u8; 9] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x04, 0x02];
/// A fresh PIN has three attempts (TR-03110-2 3.5.1).
const PIN_ATTEMPTS: u8 = 3;
/// Read access to DG*n* is bit 7 + *n* of the CHAT (TR-03110-4 2.2.3.2, Table 4).
const READ_DG_BASE: u32 = 7;
/// The Restricted Identification right of a CHAT (bit 2, TR-03110-4 2.2.3.2).
const RESTRICTED_IDENTIFICATION: u64 = 1 << 2;
/// The two role bits of a CHAT (bits 39 and 38).
const ROLE_MASK: u64 = 0b11 << 38;
/// All 40 bits of an authentication terminal CHAT.
const CHAT_BITS: u64 = (1 << 40) - 1;

/// The card's passwords. Wiped when dropped; its `Debug` shows none of them.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Secrets {
    /// Six digits, or five digits: then it is still the transport PIN.
    pub pin: String,
    /// The six-digit card access number.
    pub can: String,
    /// The ten-digit PIN unblocking key.
    pub puk: String,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(..)")
    }
}

impl Secrets {
    fn check(&self) -> Result<(), SimCardError> {
        let digits = |s: &str, lens: &[usize]| lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(&self.pin, &[5, 6]) {
            return Err(SimCardError::InvalidSecrets("the PIN must be 6 digits (or 5: transport PIN)"));
        }
        if !digits(&self.can, &[6]) {
            return Err(SimCardError::InvalidSecrets("the CAN must be 6 digits"));
        }
        if !digits(&self.puk, &[10]) {
            return Err(SimCardError::InvalidSecrets("the PUK must be 10 digits"));
        }
        Ok(())
    }
}

/// The files and keys of one personalised card (see [`crate::personalise`]).
struct Personal {
    card_access: Vec<u8>,
    card_security: Vec<u8>,
    cvca: Vec<u8>,
    cvca_chr: Vec<u8>,
    cvca_chat: u64,
    chip_key: Zeroizing<Vec<u8>>,
    ri_key: Zeroizing<Vec<u8>>,
}

/// The selected dedicated file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Df {
    Master,
    Eid,
}

/// An elementary file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ef {
    Dir,
    CardAccess,
    CardSecurity,
    DataGroup(u8),
}

/// The applications' AIDs of a German ID card (TR-03110-4 A.1, ICAO Doc
/// 9303-10 4.1 for ePass, the eSign application of TR-03117).
const EPASS_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];
const ESIGN_AID: [u8; 10] = [0xA0, 0x00, 0x00, 0x01, 0x67, 0x45, 0x53, 0x49, 0x47, 0x4E];
/// The eSign application's cryptographic information application (CIA,
/// ISO/IEC 7816-15): its AID, label and discretionary data as in the BSI's
/// card information file for the nPA, which eID clients match.
const ESIGN_CIA_AID: [u8; 15] =
    [0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xA0, 0x00, 0x00, 0x01, 0x67, 0x45, 0x53, 0x49, 0x47, 0x4E];
const ESIGN_CIA_LABEL: &[u8] = b"CIA zu DF.eSign";

/// EF.DIR (ISO/IEC 7816-4 8.2.1.1, FID 2F00, SFI 1E): one application
/// template (`61`: `4F` AID, `50` label, `51` path, `73` discretionary data)
/// per application, in the order of a real card.
fn ef_dir() -> Vec<u8> {
    let template = |aid: &[u8], extra: &[u8]| {
        let mut value = Vec::new();
        tlv::put(0x4F, aid, &mut value);
        value.extend_from_slice(extra);
        let mut out = Vec::new();
        tlv::put(0x61, &value, &mut out);
        out
    };
    let mut cia = Vec::new();
    tlv::put(0x50, ESIGN_CIA_LABEL, &mut cia);
    tlv::put(0x51, &[], &mut cia);
    let mut discretionary = Vec::new();
    tlv::put(0x4F, &ESIGN_AID, &mut discretionary);
    tlv::put(0x73, &discretionary, &mut cia);
    [template(&ESIGN_CIA_AID, &cia), template(&EPASS_AID, &[]), template(&EID_AID, &[]), template(&ESIGN_AID, &[])]
        .concat()
}

/// Ways a card in the field differs from the specification, switched on
/// for tests of the terminal's tolerance ([`SimCard::set_quirk`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quirk {
    /// MSE:Set AT answers `9000` while the PIN has two attempts left,
    /// instead of the warning `63C2` (a failed PACE says only `6300` on
    /// this card anyway, as the specification allows).
    HidesTheRetryCounter,
}

/// What PACE is waiting for (TR-03110-3 B.1: MSE:Set AT, then four GENERAL
/// AUTHENTICATE steps).
enum Pace {
    Idle,
    /// After MSE:Set AT; `refuse` is the status GA step 1 answers instead
    /// of a nonce (password blocked or suspended).
    Ready {
        kind: SecretKind,
        chat: Option<u64>,
        refuse: Option<u16>,
    },
    NonceSent {
        eac: EacContext,
        kind: SecretKind,
        chat: Option<u64>,
    },
    Mapped {
        eac: EacContext,
        kind: SecretKind,
        chat: Option<u64>,
    },
    Agreed {
        eac: EacContext,
        kind: SecretKind,
        chat: Option<u64>,
        card_key: Vec<u8>,
        terminal_key: Vec<u8>,
    },
}

/// Terminal Authentication progress within a session (TR-03110-3 B.11.4).
#[derive(Default)]
struct Ta {
    /// Holder reference of the current trust point (CVCA, then each
    /// certificate verified).
    trust_chr: Vec<u8>,
    /// MSE:Set DST named the current trust point.
    dst_ok: bool,
    /// The CHATs of the certificates verified so far.
    chats: Vec<u64>,
    /// Holder reference of a verified terminal certificate.
    terminal_chr: Option<Vec<u8>>,
    /// From MSE:Set AT: the compressed ephemeral CA key and auxiliary data.
    set_at: Option<(Vec<u8>, Option<Vec<u8>>)>,
    challenge_sent: bool,
    /// The effective CHAT once EXTERNAL AUTHENTICATE succeeded.
    effective: Option<u64>,
    /// The auxiliary data (`67`) the verified TA signature covered: only
    /// this is checked by VERIFY, never a later MSE:Set AT's.
    authenticated_aux: Option<Vec<u8>>,
}

/// A secure messaging session opened by PACE.
struct Session {
    eac: EacContext,
    kind: SecretKind,
    chat: Option<u64>,
    /// The card's ephemeral PACE public key (`ID_PICC` is its compression).
    card_pace_key: Vec<u8>,
    ta: Ta,
    ca_ready: bool,
    /// Chip Authentication succeeded: this session runs on its keys.
    ca_done: bool,
    /// MSE:Set AT chose Restricted Identification for the next GENERAL AUTHENTICATE.
    ri_ready: bool,
}

/// What to do after the response to a command has been wrapped.
enum After {
    Nothing,
    Install(Box<Session>),
    UseCaKeys,
}

/// The simulated German eID card.
pub struct SimCard {
    personal: Personal,
    holder: CardHolder,
    secrets: Secrets,
    pin_retries: u8,
    deactivated: bool,
    quirk: Option<Quirk>,
    atr: Vec<u8>,
    df: Df,
    ef: Option<Ef>,
    pace: Pace,
    session: Option<Session>,
    chained: Option<(u8, Vec<u8>)>,
}

/// The ATR: T=1, historical bytes `80 73 00 00 40` (compact TLV card
/// capabilities with "extended Lc and Le fields" set, ISO/IEC 7816-4 8.1.1.2.7).
fn make_atr() -> Vec<u8> {
    let mut atr = vec![0x3B, 0x85, 0x01, 0x80, 0x73, 0x00, 0x00, 0x40];
    let tck = atr[1..].iter().fold(0u8, |x, b| x ^ b);
    atr.push(tck);
    atr
}

/// Parses a CV certificate body (`7F4E`): returns (CAR, CHR, CHAT mask).
fn certificate_fields(body: &[u8]) -> Option<(Vec<u8>, Vec<u8>, u64)> {
    let parts = tlv::read_all(body)?;
    let car = tlv::find(&parts, 0x42)?.to_vec();
    let chr = tlv::find(&parts, 0x5F20)?.to_vec();
    let chat = chat_mask(tlv::find(&parts, 0x7F4C)?)?;
    Some((car, chr, chat))
}

/// The 40-bit mask of an authentication terminal CHAT value (`06 id-AT, 53 mask`).
fn chat_mask(value: &[u8]) -> Option<u64> {
    let parts = tlv::read_all(value)?;
    if tlv::find(&parts, 0x06)? != ID_AT {
        return None;
    }
    match tlv::find(&parts, 0x53)? {
        mask @ [_, _, _, _, _] => Some(mask.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))),
        _ => None,
    }
}

/// ISO/IEC 9797-1 padding method 2 to the AES block size.
fn pad(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    out.push(0x80);
    while !out.len().is_multiple_of(16) {
        out.push(0);
    }
    out
}

fn unpad(data: &[u8]) -> Option<&[u8]> {
    let end = data.iter().rposition(|b| *b != 0)?;
    (data[end] == 0x80).then(|| &data[..end])
}

impl SimCard {
    /// Loads a card personalised by [`crate::personalise::personalise`]
    /// from `card_dir` (`DIR/card`) with the holder's data and passwords.
    pub fn new(card_dir: &Path, holder: CardHolder, secrets: Secrets) -> Result<Self, SimCardError> {
        secrets.check()?;
        let cvca = read(&card_dir.join("cvca.cvcert"))?;
        let bad_cvca = || SimCardError::BadFile(card_dir.join("cvca.cvcert"));
        let (cert, _) = tlv::read(&cvca).ok_or_else(bad_cvca)?;
        let body = tlv::read_all(cert.value).and_then(|p| tlv::find(&p, 0x7F4E)).ok_or_else(bad_cvca)?;
        let (_, cvca_chr, cvca_chat) = certificate_fields(body).ok_or_else(bad_cvca)?;
        let personal = Personal {
            card_access: read(&card_dir.join("card_access.der"))?,
            card_security: read(&card_dir.join("card_security.der"))?,
            cvca,
            cvca_chr,
            cvca_chat,
            chip_key: Zeroizing::new(read(&card_dir.join("chip_auth.pkcs8"))?),
            ri_key: Zeroizing::new(read(&card_dir.join("restricted_id.pkcs8"))?),
        };
        // Fail now, not at the first PACE, if OpenPACE cannot use the files.
        EacContext::new(&personal.card_access, &personal.cvca, &personal.chip_key)?
            .init_restricted_identification(&personal.ri_key)?;
        Ok(SimCard {
            personal,
            holder,
            secrets,
            pin_retries: PIN_ATTEMPTS,
            deactivated: false,
            quirk: None,
            atr: make_atr(),
            df: Df::Master,
            ef: None,
            pace: Pace::Idle,
            session: None,
            chained: None,
        })
    }

    /// The answer to reset; it announces extended length support.
    pub fn atr(&self) -> &[u8] {
        &self.atr
    }

    /// A warm reset: ends secure messaging, forgets the selection and all
    /// PACE, TA and CA state; the retry counter and the PIN stay.
    pub fn reset(&mut self) {
        self.df = Df::Master;
        self.ef = None;
        self.pace = Pace::Idle;
        self.session = None;
        self.chained = None;
    }

    /// Switches the eID function off (`true`) or on.
    pub fn set_eid_deactivated(&mut self, yes: bool) {
        self.deactivated = yes;
    }

    /// Makes the card behave as some cards in the field do (`None`: as
    /// specified).
    pub fn set_quirk(&mut self, quirk: Option<Quirk>) {
        self.quirk = quirk;
    }

    /// The PIN's retry counter: 3 fresh, 1 suspended, 0 blocked.
    pub fn pin_retries(&self) -> u8 {
        self.pin_retries
    }

    /// Processes one command APDU and returns the response APDU.
    pub fn transmit(&mut self, command: &[u8]) -> Vec<u8> {
        let command = match Command::parse(command) {
            Ok(c) => c,
            Err(status) => return Response::status(status).to_bytes(),
        };
        if command.cla & 0xE0 != 0 {
            return Response::status(sw::CLA_NOT_SUPPORTED).to_bytes();
        }
        match command.cla & 0x0C {
            0x00 => {
                // A plain command ends secure messaging (ICAO Doc 9303-11 9.8.1).
                self.session = None;
                let (response, after) = self.process(command);
                self.apply(after);
                response.to_bytes()
            }
            0x0C => self.transmit_secured(&command),
            _ => Response::status(sw::SM_NOT_SUPPORTED).to_bytes(),
        }
    }

    fn transmit_secured(&mut self, command: &Command) -> Vec<u8> {
        let Some(session) = self.session.as_mut() else {
            return Response::status(sw::SM_INCORRECT).to_bytes();
        };
        let plain = match unwrap_command(&mut session.eac, command) {
            Ok(plain) => plain,
            Err(status) => {
                // An SM error ends the session; the answer is plain (9303-11 9.8.4).
                self.session = None;
                return Response::status(status).to_bytes();
            }
        };
        let (response, after) = self.process(plain);
        let wrapped = match self.session.as_mut().map(|s| wrap_response(&mut s.eac, &response)) {
            Some(Ok(bytes)) => bytes,
            Some(Err(_)) | None => {
                self.session = None;
                return Response::status(sw::SM_INCORRECT).to_bytes();
            }
        };
        self.apply(after);
        wrapped
    }

    fn apply(&mut self, after: After) {
        match after {
            After::Nothing => {}
            After::Install(session) => self.session = Some(*session),
            After::UseCaKeys => {
                if let Some(session) = self.session.as_mut() {
                    if session.eac.use_ca_keys().is_err() {
                        self.session = None;
                    } else {
                        session.ca_done = true;
                    }
                }
            }
        }
    }

    fn process(&mut self, mut command: Command) -> (Response, After) {
        // Command chaining (ISO/IEC 7816-4 5.1.1.1) for everything but
        // GENERAL AUTHENTICATE, whose chained steps are separate (TR-03110-3 B.1).
        if command.ins != 0x86 {
            if command.cla & 0x10 != 0 {
                let buffer = match self.chained.take() {
                    Some((ins, mut data)) if ins == command.ins => {
                        data.extend_from_slice(&command.data);
                        data
                    }
                    _ => command.data.clone(),
                };
                self.chained = Some((command.ins, buffer));
                return (Response::status(sw::OK), After::Nothing);
            }
            if let Some((ins, mut data)) = self.chained.take()
                && ins == command.ins
            {
                data.extend_from_slice(&command.data);
                command.data.zeroize();
                command.data = data;
            }
        }
        let nothing = |r: Response| (r, After::Nothing);
        match (command.ins, command.p1, command.p2) {
            (0xA4, ..) => nothing(self.select(&command)),
            (0xB0, ..) => nothing(self.read_binary(&command)),
            (0x22, 0xC1, 0xA4) => nothing(self.pace_set_at(&command)),
            (0x86, 0x00, 0x00) => self.general_authenticate(&command),
            (0x22, 0x81, 0xB6) => nothing(self.ta_set_dst(&command)),
            (0x2A, 0x00, 0xBE) => nothing(self.ta_verify_certificate(&command)),
            (0x22, 0x81, 0xA4) => nothing(self.ta_set_at(&command)),
            (0x84, 0x00, 0x00) => nothing(self.ta_get_challenge()),
            (0x82, 0x00, 0x00) => nothing(self.ta_external_authenticate(&command)),
            (0x22, 0x41, 0xA4) => nothing(self.ca_set_at(&command)),
            (0x2C, ..) => nothing(self.reset_retry_counter(&command)),
            (0x20, 0x80, 0x00) => nothing(self.verify_auxiliary_data(&command)),
            (0x22 | 0x86 | 0x2A | 0x84 | 0x82, ..) => nothing(Response::status(sw::WRONG_P1P2)),
            _ => nothing(Response::status(sw::INS_NOT_SUPPORTED)),
        }
    }

    // ---- files -----------------------------------------------------------

    fn select(&mut self, c: &Command) -> Response {
        match c.p1 {
            0x04 if c.data == EID_AID => {
                self.df = Df::Eid;
                self.ef = None;
                Response::status(sw::OK)
            }
            0x04 => Response::status(sw::FILE_NOT_FOUND),
            0x00 if c.data.is_empty() || c.data == [0x3F, 0x00] => {
                self.df = Df::Master;
                self.ef = None;
                Response::status(sw::OK)
            }
            0x00 | 0x02 | 0x08 | 0x09 => {
                let [hi, lo] = c.data[..] else {
                    return Response::status(sw::WRONG_DATA);
                };
                let ef = match (hi, lo) {
                    (0x2F, 0x00) if self.df == Df::Master => Some(Ef::Dir),
                    (0x01, 0x1C) => Some(Ef::CardAccess),
                    (0x01, 0x1D) => Some(Ef::CardSecurity),
                    (0x01, dg @ 0x01..=0x15) if self.df == Df::Eid => {
                        self.holder.data_group(dg).map(|_| Ef::DataGroup(dg))
                    }
                    _ => None,
                };
                match ef {
                    Some(ef) => {
                        self.ef = Some(ef);
                        Response::status(sw::OK)
                    }
                    None => Response::status(sw::FILE_NOT_FOUND),
                }
            }
            _ => Response::status(sw::WRONG_P1P2),
        }
    }

    fn read_binary(&mut self, c: &Command) -> Response {
        let Some(le) = c.le else {
            return Response::status(sw::WRONG_LENGTH);
        };
        let (ef, offset) = if c.p1 & 0x80 != 0 {
            // P1 = 100xxxxx: short EF identifier, P2 the offset (ISO/IEC 7816-4 11.2.2).
            let ef = match c.p1 & 0x1F {
                0x1E if self.df == Df::Master => Ef::Dir,
                0x1C => Ef::CardAccess,
                0x1D => Ef::CardSecurity,
                dg @ 0x01..=0x15 if self.df == Df::Eid && self.holder.data_group(dg).is_some() => Ef::DataGroup(dg),
                _ => return Response::status(sw::FILE_NOT_FOUND),
            };
            self.ef = Some(ef);
            (ef, usize::from(c.p2))
        } else {
            let Some(ef) = self.ef else {
                return Response::status(sw::NO_CURRENT_EF);
            };
            (ef, usize::from(u16::from_be_bytes([c.p1 & 0x7F, c.p2])))
        };
        if let Err(status) = self.may_read(ef) {
            return Response::status(status);
        }
        let content = match ef {
            Ef::Dir => Zeroizing::new(ef_dir()),
            Ef::CardAccess => Zeroizing::new(self.personal.card_access.clone()),
            Ef::CardSecurity => Zeroizing::new(self.personal.card_security.clone()),
            Ef::DataGroup(dg) => Zeroizing::new(self.holder.data_group(dg).unwrap_or_default()),
        };
        if offset > content.len() {
            return Response::status(sw::WRONG_OFFSET);
        }
        let end = content.len().min(offset.saturating_add(le));
        let data = content[offset..end].to_vec();
        // Fewer than Ne bytes before the end of the file: 6282 (ISO/IEC 7816-4 11.2.3).
        let status = if data.len() < le { sw::END_OF_FILE } else { sw::OK };
        Response { data, sw: status }
    }

    /// Access conditions: EF.DIR and EF.CardAccess always; EF.CardSecurity after PACE
    /// and TA (TR-03110-3 A.1.2.2); a data group when the effective CHAT
    /// grants reading it (TR-03110-4 2.2.3.2).
    fn may_read(&self, ef: Ef) -> Result<(), u16> {
        let effective = self.session.as_ref().and_then(|s| s.ta.effective);
        match (ef, effective) {
            (Ef::Dir | Ef::CardAccess, _) => Ok(()),
            (_, None) => Err(sw::SECURITY_NOT_SATISFIED),
            (Ef::CardSecurity, Some(_)) => Ok(()),
            (Ef::DataGroup(dg), Some(chat)) if chat & (1 << (READ_DG_BASE + u32::from(dg))) != 0 => Ok(()),
            (Ef::DataGroup(_), Some(_)) => Err(sw::SECURITY_NOT_SATISFIED),
        }
    }

    // ---- PACE ------------------------------------------------------------

    /// MSE:Set AT for PACE (TR-03110-3 B.11.1): `80` protocol, `83` password
    /// reference, `7F4C` CHAT.
    fn pace_set_at(&mut self, c: &Command) -> Response {
        self.pace = Pace::Idle;
        // No data ends the PACE context; real cards answer `6700` to it.
        if c.data.is_empty() {
            return Response::status(sw::WRONG_LENGTH);
        }
        let Some(objects) = tlv::read_all(&c.data) else {
            return Response::status(sw::WRONG_DATA);
        };
        if tlv::find(&objects, 0x80) != Some(&PACE_OID[..]) {
            return Response::status(sw::REF_NOT_FOUND);
        }
        let kind = match tlv::find(&objects, 0x83) {
            Some([0x02]) => SecretKind::Can,
            Some([0x03]) => SecretKind::Pin,
            Some([0x04]) => SecretKind::Puk,
            // MRZ (01) is for travel documents; this card has none.
            Some([0x01]) => return Response::status(sw::REF_NOT_FOUND),
            _ => return Response::status(sw::WRONG_DATA),
        };
        let chat = match objects.iter().find(|t| t.tag == 0x7F4C) {
            None => None,
            Some(t) => match chat_mask(t.value) {
                Some(mask) => Some(mask),
                None => return Response::status(sw::WRONG_DATA),
            },
        };
        let ready = |refuse| Pace::Ready { kind, chat, refuse };
        if kind != SecretKind::Pin {
            self.pace = ready(None);
            return Response::status(sw::OK);
        }
        // TR-03110-2 3.5.1 / TR-03110-3 B.8: the PIN's state is announced on MSE:Set AT.
        if self.deactivated {
            self.pace = ready(None);
            return Response::status(sw::DEACTIVATED);
        }
        let can_session = self.session.as_ref().is_some_and(|s| s.kind == SecretKind::Can);
        let (refuse, status) = match self.pin_retries {
            0 => (Some(sw::BLOCKED), sw::retries(0)),
            // Suspended: the last attempt needs a PACE with the CAN first.
            1 if !can_session => (Some(sw::CONDITIONS), sw::retries(1)),
            2 if self.quirk == Some(Quirk::HidesTheRetryCounter) => (None, sw::OK),
            n if n < PIN_ATTEMPTS => (None, sw::retries(n)),
            _ => (None, sw::OK),
        };
        self.pace = ready(refuse);
        Response::status(status)
    }

    fn general_authenticate(&mut self, c: &Command) -> (Response, After) {
        let Some((outer, [])) = tlv::read(&c.data) else {
            return (Response::status(sw::WRONG_DATA), After::Nothing);
        };
        let Some(objects) = (outer.tag == 0x7C).then(|| tlv::read_all(outer.value)).flatten() else {
            return (Response::status(sw::WRONG_DATA), After::Nothing);
        };
        if matches!(self.pace, Pace::Idle) && self.session.as_ref().is_some_and(|s| s.ri_ready) {
            return (self.ri_general_authenticate(&objects), After::Nothing);
        }
        if matches!(self.pace, Pace::Idle) {
            let response = self.ca_general_authenticate(&objects);
            // New keys only after a successful CA; this answer still goes
            // out under the PACE keys (TR-03110-3 B.3).
            let after = if response.sw == sw::OK { After::UseCaKeys } else { After::Nothing };
            return (response, after);
        }
        match self.pace_step(&objects) {
            Ok((data, after)) => (Response::ok(tlv::encode(0x7C, &data)), after),
            Err(status) => {
                self.pace = Pace::Idle;
                (Response::status(status), After::Nothing)
            }
        }
    }

    fn password(&self, kind: SecretKind) -> &[u8] {
        match kind {
            SecretKind::Can => self.secrets.can.as_bytes(),
            SecretKind::Pin => self.secrets.pin.as_bytes(),
            SecretKind::Puk => self.secrets.puk.as_bytes(),
        }
    }

    /// One GENERAL AUTHENTICATE step of PACE (ICAO Doc 9303-11 4.4.4,
    /// TR-03110-3 B.11.2). Returns the dynamic authentication data.
    fn pace_step(&mut self, objects: &[tlv::Tlv<'_>]) -> Result<(Vec<u8>, After), u16> {
        let internal = |_| sw::CONDITIONS;
        match std::mem::replace(&mut self.pace, Pace::Idle) {
            Pace::Idle => Err(sw::CONDITIONS),
            Pace::Ready { refuse: Some(status), .. } => Err(status),
            Pace::Ready { kind, chat, refuse: None } => {
                if !objects.is_empty() {
                    return Err(sw::WRONG_DATA);
                }
                let mut eac = EacContext::new(&self.personal.card_access, &self.personal.cvca, &self.personal.chip_key)
                    .map_err(internal)?;
                eac.init_restricted_identification(&self.personal.ri_key).map_err(internal)?;
                let z = eac.pace_encrypted_nonce(self.password(kind), kind).map_err(internal)?;
                self.pace = Pace::NonceSent { eac, kind, chat };
                Ok((tlv::encode(0x80, &z), After::Nothing))
            }
            Pace::NonceSent { eac, kind, chat } => {
                let terminal = tlv::find(objects, 0x81).ok_or(sw::WRONG_DATA)?;
                let own = eac.pace_map(terminal).map_err(|_| sw::WRONG_DATA)?;
                self.pace = Pace::Mapped { eac, kind, chat };
                Ok((tlv::encode(0x82, &own), After::Nothing))
            }
            Pace::Mapped { mut eac, kind, chat } => {
                let terminal = tlv::find(objects, 0x83).ok_or(sw::WRONG_DATA)?;
                let own = eac.pace_agree(terminal).map_err(|_| sw::WRONG_DATA)?;
                // The two ephemeral keys must differ (9303-11 4.4.3.3.3).
                if own == terminal {
                    return Err(sw::WRONG_DATA);
                }
                self.pace = Pace::Agreed { eac, kind, chat, card_key: own.clone(), terminal_key: terminal.to_vec() };
                Ok((tlv::encode(0x84, &own), After::Nothing))
            }
            Pace::Agreed { mut eac, kind, chat, card_key, terminal_key } => {
                let terminal_token = tlv::find(objects, 0x85).ok_or(sw::WRONG_DATA)?;
                let Some(token) = eac.pace_tokens(&terminal_key, terminal_token).map_err(internal)? else {
                    // Wrong password: the PIN's counter goes down (TR-03110-2 3.5.1).
                    if kind == SecretKind::Pin {
                        self.pin_retries = self.pin_retries.saturating_sub(1);
                    }
                    return Err(sw::AUTH_FAILED);
                };
                if kind == SecretKind::Pin {
                    self.pin_retries = PIN_ATTEMPTS;
                }
                eac.use_pace_keys().map_err(internal)?;
                let mut data = tlv::encode(0x86, &token);
                if chat.is_some() {
                    // The CVCA the card trusts (TR-03110-3 B.11.2, tag 87).
                    tlv::put(0x87, &self.personal.cvca_chr, &mut data);
                }
                let ta = Ta { trust_chr: self.personal.cvca_chr.clone(), ..Ta::default() };
                let session = Session {
                    eac,
                    kind,
                    chat,
                    card_pace_key: card_key,
                    ta,
                    ca_ready: false,
                    ca_done: false,
                    ri_ready: false,
                };
                Ok((data, After::Install(Box::new(session))))
            }
        }
    }

    // ---- Terminal Authentication ----------------------------------------

    fn ta(&mut self) -> Result<&mut Session, u16> {
        self.session.as_mut().ok_or(sw::SECURITY_NOT_SATISFIED)
    }

    /// MSE:Set DST (TR-03110-3 B.11.4): `83` names the public key to verify
    /// the next certificate with; unknown → `6A88`.
    fn ta_set_dst(&mut self, c: &Command) -> Response {
        let session = match self.ta() {
            Ok(s) => s,
            Err(status) => return Response::status(status),
        };
        let car = tlv::read_all(&c.data).and_then(|o| tlv::find(&o, 0x83).map(<[u8]>::to_vec));
        match car {
            None => Response::status(sw::WRONG_DATA),
            Some(car) if car == session.ta.trust_chr => {
                session.ta.dst_ok = true;
                Response::status(sw::OK)
            }
            Some(_) => {
                session.ta.dst_ok = false;
                Response::status(sw::REF_NOT_FOUND)
            }
        }
    }

    /// PSO:Verify Certificate (TR-03110-3 B.11.4): body `7F4E` and signature
    /// `5F37`, verified by OpenPACE against the current trust point.
    fn ta_verify_certificate(&mut self, c: &Command) -> Response {
        let session = match self.ta() {
            Ok(s) => s,
            Err(status) => return Response::status(status),
        };
        if !std::mem::take(&mut session.ta.dst_ok) {
            return Response::status(sw::CONDITIONS);
        }
        let Some(objects) = tlv::read_all(&c.data) else {
            return Response::status(sw::WRONG_DATA);
        };
        let (Some(body), Some(_)) = (tlv::find(&objects, 0x7F4E), tlv::find(&objects, 0x5F37)) else {
            return Response::status(sw::WRONG_DATA);
        };
        let Some((car, chr, chat)) = certificate_fields(body) else {
            return Response::status(sw::WRONG_DATA);
        };
        if car != session.ta.trust_chr {
            return Response::status(sw::REF_NOT_FOUND);
        }
        if !session.eac.import_certificate(&tlv::encode(0x7F21, &c.data)) {
            return Response::status(sw::AUTH_FAILED);
        }
        session.ta.chats.push(chat);
        if chat & ROLE_MASK == 0 {
            session.ta.terminal_chr = Some(chr.clone());
        }
        session.ta.trust_chr = chr;
        Response::status(sw::OK)
    }

    /// MSE:Set AT for TA (TR-03110-3 B.11.5): `80` id-TA-ECDSA-SHA-256, `83`
    /// the terminal's CHR, `91` Comp(ephemeral CA key), `67` auxiliary data.
    fn ta_set_at(&mut self, c: &Command) -> Response {
        let session = match self.ta() {
            Ok(s) => s,
            Err(status) => return Response::status(status),
        };
        let Some(objects) = tlv::read_all(&c.data) else {
            return Response::status(sw::WRONG_DATA);
        };
        if tlv::find(&objects, 0x80) != Some(&TA_ECDSA_SHA256_OID[..]) {
            return Response::status(sw::REF_NOT_FOUND);
        }
        if session.ta.terminal_chr.is_none() || tlv::find(&objects, 0x83) != session.ta.terminal_chr.as_deref() {
            return Response::status(sw::REF_NOT_FOUND);
        }
        let Some(key) = tlv::find(&objects, 0x91) else {
            return Response::status(sw::WRONG_DATA);
        };
        let aux = objects.iter().find(|t| t.tag == 0x67).map(|t| t.raw.to_vec());
        session.ta.set_at = Some((key.to_vec(), aux));
        session.ta.challenge_sent = false;
        Response::status(sw::OK)
    }

    /// GET CHALLENGE: `r_PICC` from OpenPACE (TA step 4).
    fn ta_get_challenge(&mut self) -> Response {
        let session = match self.ta() {
            Ok(s) => s,
            Err(status) => return Response::status(status),
        };
        if session.ta.set_at.is_none() {
            return Response::status(sw::CONDITIONS);
        }
        match session.eac.ta_nonce() {
            Ok(nonce) => {
                session.ta.challenge_sent = true;
                Response::ok(nonce)
            }
            Err(_) => Response::status(sw::CONDITIONS),
        }
    }

    /// EXTERNAL AUTHENTICATE (TR-03110-3 B.11.5): OpenPACE checks the
    /// signature; the effective CHAT is the intersection of the PACE CHAT
    /// and every certificate's CHAT (TR-03110-3 2.7).
    fn ta_external_authenticate(&mut self, c: &Command) -> Response {
        let cvca_chat = self.personal.cvca_chat;
        let session = match self.ta() {
            Ok(s) => s,
            Err(status) => return Response::status(status),
        };
        let (Some((key, aux)), true) = (session.ta.set_at.as_ref(), session.ta.challenge_sent) else {
            return Response::status(sw::CONDITIONS);
        };
        session.ta.challenge_sent = false;
        match session.eac.ta_verify(key, &session.card_pace_key, aux.as_deref(), &c.data) {
            Ok(true) => {
                let chain = session.ta.chats.iter().fold(cvca_chat, |acc, c| acc & c);
                let rights = chain & session.chat.unwrap_or(CHAT_BITS) & !ROLE_MASK;
                session.ta.effective = Some(rights);
                session.ta.authenticated_aux = aux.clone();
                Response::status(sw::OK)
            }
            Ok(false) | Err(_) => Response::status(sw::AUTH_FAILED),
        }
    }

    // ---- Chip Authentication --------------------------------------------

    /// MSE:Set AT for CA (TR-03110-3 B.11.6): `80` protocol, `84` key id;
    /// with the RI protocol in `80`, Restricted Identification ([`ri_set_at`]).
    fn ca_set_at(&mut self, c: &Command) -> Response {
        let session = match self.ta() {
            Ok(s) => s,
            Err(status) => return Response::status(status),
        };
        if session.ta.effective.is_none() {
            return Response::status(sw::CONDITIONS);
        }
        let Some(objects) = tlv::read_all(&c.data) else {
            return Response::status(sw::WRONG_DATA);
        };
        session.ri_ready = false;
        if tlv::find(&objects, 0x80) == Some(&RI_OID[..]) {
            return ri_set_at(session, &objects);
        }
        if tlv::find(&objects, 0x80) != Some(&CA_OID[..]) {
            return Response::status(sw::REF_NOT_FOUND);
        }
        match tlv::find(&objects, 0x84) {
            None | Some([CA_KEY_ID]) => {
                session.ca_ready = true;
                Response::status(sw::OK)
            }
            Some(_) => Response::status(sw::REF_NOT_FOUND),
        }
    }

    /// GENERAL AUTHENTICATE for CA: `80` the terminal's ephemeral key, which
    /// must be the one TA committed to; answers `81` nonce and `82` token.
    fn ca_general_authenticate(&mut self, objects: &[tlv::Tlv<'_>]) -> Response {
        // Neither PACE nor CA was set up with MSE:Set AT.
        let Some(session) = self.session.as_mut().filter(|s| s.ca_ready) else {
            return Response::status(sw::CONDITIONS);
        };
        session.ca_ready = false;
        let (Some(key), Some((committed, _))) = (tlv::find(objects, 0x80), session.ta.set_at.as_ref()) else {
            return Response::status(sw::WRONG_DATA);
        };
        match session.eac.chip_authenticate(committed, key) {
            Ok(Some(ChipAuthentication { nonce, token })) => {
                let mut data = tlv::encode(0x81, &nonce);
                tlv::put(0x82, &token, &mut data);
                Response::ok(tlv::encode(0x7C, &data))
            }
            Ok(None) | Err(_) => Response::status(sw::WRONG_DATA),
        }
    }

    // ---- Restricted Identification ----------------------------------------

    /// GENERAL AUTHENTICATE for RI (TR-03110-3 B.11.6): `A0` the sector's
    /// public key (`06` OID, `86` point); answers `7C { 81 I }` with the
    /// identifier OpenPACE derives from the card's RI key.
    fn ri_general_authenticate(&mut self, objects: &[tlv::Tlv<'_>]) -> Response {
        let Some(session) = self.session.as_mut() else {
            return Response::status(sw::CONDITIONS);
        };
        session.ri_ready = false;
        let Some(key) = tlv::find(objects, 0xA0).and_then(tlv::read_all) else {
            return Response::status(sw::WRONG_DATA);
        };
        let Some(point) = tlv::find(&key, 0x86) else {
            return Response::status(sw::WRONG_DATA);
        };
        match session.eac.restricted_identifier(point) {
            Ok(identifier) => Response::ok(tlv::encode(0x7C, &tlv::encode(0x81, &identifier))),
            Err(_) => Response::status(sw::WRONG_DATA),
        }
    }

    // ---- Auxiliary data verification -------------------------------------

    /// VERIFY with an auxiliary data OID (TR-03110-3 B.11.7), only in Chip
    /// Authentication's channel: `id-DateOfExpiry` answers `9000` when the
    /// holder's date of expiry is not before the date TA's signature
    /// covered, `6300` when it is. Any other OID, or no signed date: `6A88`.
    fn verify_auxiliary_data(&self, c: &Command) -> Response {
        let Some(session) = self.session.as_ref().filter(|s| s.ca_done) else {
            return Response::status(sw::SECURITY_NOT_SATISFIED);
        };
        let oid = match tlv::read_all(&c.data).as_deref() {
            Some([only]) if only.tag == 0x06 => only.value,
            _ => return Response::status(sw::WRONG_DATA),
        };
        if oid != ID_DATE_OF_EXPIRY {
            return Response::status(sw::REF_NOT_FOUND);
        }
        let Some(date) = session.ta.authenticated_aux.as_deref().and_then(|aux| signed_date(aux, oid)) else {
            return Response::status(sw::REF_NOT_FOUND);
        };
        let expiry = self.holder.date_of_expiry.as_bytes();
        if !is_date(expiry) {
            return Response::status(sw::REF_NOT_FOUND);
        }
        // Both are YYYYMMDD digits, so their byte order is the calendar's.
        if expiry >= date { Response::status(sw::OK) } else { Response::status(sw::AUTH_FAILED) }
    }

    // ---- PIN management --------------------------------------------------

    /// RESET RETRY COUNTER (TR-03110-3 B.11.8): `00 2C 02 03 <new PIN>`
    /// after PACE with the PIN changes it; `00 2C 03 03` after PACE with
    /// the PUK resets the PIN's counter.
    fn reset_retry_counter(&mut self, c: &Command) -> Response {
        let kind = self.session.as_ref().map(|s| s.kind);
        match (c.p1, c.p2, kind) {
            (0x02, 0x03, Some(SecretKind::Pin)) => {
                if c.data.len() != 6 || !c.data.iter().all(u8::is_ascii_digit) {
                    return Response::status(sw::WRONG_DATA);
                }
                self.secrets.pin.zeroize();
                self.secrets.pin = c.data.iter().map(|b| char::from(*b)).collect();
                self.pin_retries = PIN_ATTEMPTS;
                Response::status(sw::OK)
            }
            (0x03, 0x03, Some(SecretKind::Puk)) => {
                self.pin_retries = PIN_ATTEMPTS;
                Response::status(sw::OK)
            }
            (0x02 | 0x03, 0x03, _) => Response::status(sw::SECURITY_NOT_SATISFIED),
            _ => Response::status(sw::WRONG_P1P2),
        }
    }
}

/// MSE:Set AT for RI (TR-03110-3 B.11.6): only after Chip Authentication
/// and with the RI right in the effective CHAT (TR-03110-2 3.6); `84` names
/// the card's RI key.
fn ri_set_at(session: &mut Session, objects: &[tlv::Tlv<'_>]) -> Response {
    if !session.ca_done {
        return Response::status(sw::CONDITIONS);
    }
    if session.ta.effective.is_none_or(|chat| chat & RESTRICTED_IDENTIFICATION == 0) {
        return Response::status(sw::SECURITY_NOT_SATISFIED);
    }
    match tlv::find(objects, 0x84) {
        Some([RI_KEY_ID]) => {
            session.ri_ready = true;
            Response::status(sw::OK)
        }
        _ => Response::status(sw::REF_NOT_FOUND),
    }
}

/// The date for `oid` in `AuthenticatedAuxiliaryData` (TR-03110-3 A.6.5):
/// `67 { 73 { 06 oid, 53 YYYYMMDD } ... }`.
fn signed_date<'a>(aux: &'a [u8], oid: &[u8]) -> Option<&'a [u8]> {
    let (outer, []) = tlv::read(aux)? else { return None };
    if outer.tag != 0x67 {
        return None;
    }
    tlv::read_all(outer.value)?.iter().filter(|t| t.tag == 0x73).find_map(|template| {
        let parts = tlv::read_all(template.value)?;
        (tlv::find(&parts, 0x06)? == oid).then(|| tlv::find(&parts, 0x53)).flatten().filter(|d| is_date(d))
    })
}

fn is_date(digits: &[u8]) -> bool {
    digits.len() == 8 && digits.iter().all(u8::is_ascii_digit)
}

/// Checks and opens a secured command (ICAO Doc 9303-11 9.8.6.1): `87`
/// padding indicator and cryptogram, `97` Ne, `8E` the MAC over `SSC ||
/// pad(header) || pad(87 || 97)`.
fn unwrap_command(eac: &mut EacContext, c: &Command) -> Result<Command, u16> {
    eac.increment_ssc().map_err(|_| sw::SM_INCORRECT)?;
    let objects = tlv::read_all(&c.data).ok_or(sw::SM_INCORRECT)?;
    let mut protected = Vec::new();
    let mut cryptogram = None;
    let mut le = None;
    let mut mac = None;
    for object in &objects {
        match object.tag {
            0x87 if cryptogram.is_none() && le.is_none() && mac.is_none() => {
                cryptogram = Some(object.value);
                protected.extend_from_slice(object.raw);
            }
            0x97 if le.is_none() && mac.is_none() => {
                le = Some(match object.value {
                    [0] => 256,
                    [n] => usize::from(*n),
                    [0, 0] => 65_536,
                    [hi, lo] => usize::from(u16::from_be_bytes([*hi, *lo])),
                    _ => return Err(sw::SM_INCORRECT),
                });
                protected.extend_from_slice(object.raw);
            }
            0x8E if mac.is_none() => mac = Some(object.value),
            _ => return Err(sw::SM_INCORRECT),
        }
    }
    let mac = mac.ok_or(sw::SM_MISSING)?;
    // N = pad(SSC || pad(header) || DOs): with no DOs the padding still
    // adds a block `80 00 .. 00` (ISO/IEC 9797-1 method 2 always pads).
    let mut input = pad(&[c.cla, c.ins, c.p1, c.p2]);
    input.extend_from_slice(&pad(&protected));
    if !eac.verify_mac(&input, mac).map_err(|_| sw::SM_INCORRECT)? {
        return Err(sw::SM_INCORRECT);
    }
    let data = match cryptogram {
        None => Vec::new(),
        Some([0x01, cipher @ ..]) if !cipher.is_empty() && cipher.len().is_multiple_of(16) => {
            let padded = eac.decrypt(cipher).map_err(|_| sw::SM_INCORRECT)?;
            unpad(&padded).ok_or(sw::SM_INCORRECT)?.to_vec()
        }
        Some(_) => return Err(sw::SM_INCORRECT),
    };
    Ok(Command { cla: c.cla & !0x0C, ins: c.ins, p1: c.p1, p2: c.p2, data, le })
}

/// Protects a response (ICAO Doc 9303-11 9.8.6.2): `87` cryptogram, `99`
/// status word, `8E` MAC over `SSC || pad(87 || 99)`, then `9000`.
fn wrap_response(eac: &mut EacContext, r: &Response) -> Result<Vec<u8>, crate::ffi::OpenPaceError> {
    eac.increment_ssc()?;
    let mut protected = Vec::new();
    if !r.data.is_empty() {
        let mut value = vec![0x01];
        value.extend(eac.encrypt(&pad(&r.data))?);
        tlv::put(0x87, &value, &mut protected);
    }
    tlv::put(0x99, &r.sw.to_be_bytes(), &mut protected);
    let mac = eac.mac(&pad(&protected))?;
    let mut out = protected;
    tlv::put(0x8E, &mac, &mut out);
    out.extend_from_slice(&sw::OK.to_be_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_shows_no_secret() {
        let secrets = Secrets { pin: "123456".into(), can: "500540".into(), puk: "9876543210".into() };
        assert_eq!(format!("{secrets:?}"), "Secrets(..)");
    }

    #[test]
    fn atr_check_byte_makes_the_xor_zero() {
        let atr = make_atr();
        assert_eq!(atr[1..].iter().fold(0u8, |x, b| x ^ b), 0);
        assert_eq!(&atr[3..8], &[0x80, 0x73, 0x00, 0x00, 0x40]);
    }

    #[test]
    fn padding_round_trips_and_rejects_garbage() {
        assert_eq!(pad(&[]).len(), 16);
        assert_eq!(pad(&[1; 16]).len(), 32);
        assert_eq!(unpad(&pad(&[1, 2, 3])), Some(&[1u8, 2, 3][..]));
        assert_eq!(unpad(&[0; 16]), None);
        assert_eq!(unpad(&[1; 16]), None);
    }

    #[test]
    fn the_signed_date_is_found_by_its_oid_in_the_auxiliary_data() {
        let mut age = tlv::encode(0x06, &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x04, 0x01]);
        tlv::put(0x53, b"20080101", &mut age);
        let mut validity = tlv::encode(0x06, &ID_DATE_OF_EXPIRY);
        tlv::put(0x53, b"20261202", &mut validity);
        let templates = [tlv::encode(0x73, &age), tlv::encode(0x73, &validity)].concat();
        let aux = tlv::encode(0x67, &templates);
        assert_eq!(signed_date(&aux, &ID_DATE_OF_EXPIRY), Some(&b"20261202"[..]));
        assert_eq!(signed_date(&tlv::encode(0x67, &tlv::encode(0x73, &age)), &ID_DATE_OF_EXPIRY), None);
        assert_eq!(signed_date(&tlv::encode(0x68, &templates), &ID_DATE_OF_EXPIRY), None, "not tag 67");
        let mut short = tlv::encode(0x06, &ID_DATE_OF_EXPIRY);
        tlv::put(0x53, b"261202", &mut short);
        assert_eq!(signed_date(&tlv::encode(0x67, &tlv::encode(0x73, &short)), &ID_DATE_OF_EXPIRY), None);
    }

    #[test]
    fn chat_masks_need_the_authentication_terminal_type() {
        let mut value = tlv::encode(0x06, &ID_AT);
        tlv::put(0x53, &[0x00, 0x00, 0x00, 0x01, 0x10], &mut value);
        assert_eq!(chat_mask(&value), Some(0x110));
        let mut other = tlv::encode(0x06, &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x02, 0x01]);
        tlv::put(0x53, &[0; 5], &mut other);
        assert_eq!(chat_mask(&other), None);
    }
}
