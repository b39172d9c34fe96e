// SPDX-License-Identifier: GPL-3.0-or-later
//! PACE run by the card reader: the `EstablishPACEChannel` command of a
//! reader with `FEATURE_EXECUTE_PACE` (PC/SC part 10 amendment 1, 2.6.16;
//! BSI TR-03119 D.3). The citizen types the secret on the reader's own
//! keypad; it never reaches the terminal.
//!
//! Input (the data of `SCardControl` with the feature's control code; every
//! multi-byte length little-endian, as everywhere in part 10):
//!
//! ```text
//! bIdxFunction 02 | wLengthInputData
//!   | bPasswordID | bLengthCHAT CHAT | bLengthPIN PIN (empty: the keypad asks)
//!   | wLengthCertificateDescription CertificateDescription
//! ```
//!
//! Output:
//!
//! ```text
//! dwResult | wLengthOutputData
//!   | StatusMSESetAT (SW1 SW2) | wLengthCardAccess EF.CardAccess
//!   [ | bLengthCARcurr CARcurr | bLengthCARprev CARprev | wLengthIDicc IDicc ]
//! ```
//!
//! The bracketed part comes when a CHAT was given (Extended Access Control
//! follows); readers may also send it with zero lengths. After a successful
//! run the reader keeps the PACE channel and does its secure messaging
//! itself: the terminal sends plain APDUs, which the reader protects, until
//! it sends one that is already protected (CLA `0C`, ISO/IEC 7816-4 5.4.2),
//! as after Chip Authentication, which the reader passes on unchanged. The
//! terminal therefore needs from PACE only what the output carries: `IDicc`
//! (the x-coordinate of the chip's ephemeral PACE key, `ID_PICC` of
//! TR-03110-3 B.11.6) and the CAR for Terminal Authentication.

use thiserror::Error;
use zeroize::Zeroizing;

/// `bIdxFunction` of EstablishPACEChannel.
const ESTABLISH_PACE_CHANNEL: u8 = 0x02;

/// Why an EstablishPACEChannel input could not be built or an output not read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PaceOnReaderError {
    /// A field is longer than its length field can say.
    #[error("{0} is too long for EstablishPACEChannel")]
    TooLong(&'static str),
    /// The output ends inside the named field.
    #[error("EstablishPACEChannel output ends inside {0}")]
    Truncated(&'static str),
    /// `wLengthOutputData` does not match the bytes that follow.
    #[error("EstablishPACEChannel announces {announced} output bytes but carries {actual}")]
    LengthMismatch {
        /// What the reader announced.
        announced: usize,
        /// What followed.
        actual: usize,
    },
    /// Bytes left over after the last field.
    #[error("EstablishPACEChannel output has {0} trailing bytes")]
    Trailing(usize),
}

/// The secret PACE runs with (TR-03110-3 Table 10, `bPasswordID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordId {
    /// Card access number.
    Can = 2,
    /// eID PIN (or transport PIN).
    Pin = 3,
    /// PIN unblocking key.
    Puk = 4,
}

/// The input of EstablishPACEChannel. There is no field for the secret's
/// digits: the terminal only ever lets the reader's keypad ask for it, so
/// `bLengthPIN` is always 0.
#[derive(Debug, Clone, Copy)]
pub struct EstablishPaceChannel<'a> {
    /// Which secret the keypad asks for.
    pub password: PasswordId,
    /// The encoded CHAT (`7F4C ...`) when Extended Access Control follows.
    pub chat: Option<&'a [u8]>,
    /// The terminal's certificate description (TR-03110-4 2.2.6), shown by
    /// readers with a display; empty when there is none.
    pub certificate_description: &'a [u8],
}

impl EstablishPaceChannel<'_> {
    /// The bytes to send with the `FEATURE_EXECUTE_PACE` control code.
    pub fn to_bytes(&self) -> Result<Vec<u8>, PaceOnReaderError> {
        let chat = self.chat.unwrap_or_default();
        let chat_len = u8::try_from(chat.len()).map_err(|_| PaceOnReaderError::TooLong("CHAT"))?;
        let description_len = u16::try_from(self.certificate_description.len())
            .map_err(|_| PaceOnReaderError::TooLong("certificate description"))?;
        let input_len = 1 + 1 + chat.len() + 1 + 2 + self.certificate_description.len();
        let input_len = u16::try_from(input_len).map_err(|_| PaceOnReaderError::TooLong("input data"))?;
        let mut out = Vec::with_capacity(3 + usize::from(input_len));
        out.push(ESTABLISH_PACE_CHANNEL);
        out.extend_from_slice(&input_len.to_le_bytes());
        out.push(self.password as u8);
        out.push(chat_len);
        out.extend_from_slice(chat);
        out.push(0);
        out.extend_from_slice(&description_len.to_le_bytes());
        out.extend_from_slice(self.certificate_description);
        Ok(out)
    }
}

/// The step of PACE at which the card said no (TR-03119 D.3, the `F0xx`
/// result codes that carry the card's status word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderPaceStep {
    /// SELECT of `EF.CardAccess` (`F000`).
    SelectCardAccess,
    /// READ BINARY of `EF.CardAccess` (`F001`).
    ReadCardAccess,
    /// MSE:Set AT (`F002`).
    SetAt,
    /// General Authenticate, encrypted nonce (`F003`).
    EncryptedNonce,
    /// General Authenticate, mapping (`F004`).
    Mapping,
    /// General Authenticate, key agreement (`F005`).
    KeyAgreement,
    /// General Authenticate, mutual authentication (`F006`): where a wrong
    /// secret shows, with `63Cx` (x attempts left).
    MutualAuthentication,
}

/// What `dwResult` says (TR-03119 D.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderPaceResult {
    /// `00000000`: the channel is established.
    Established,
    /// `F0xxSW1SW2`: the card answered `sw` at `step`.
    CardRefused {
        /// Which command the card refused.
        step: ReaderPaceStep,
        /// The card's status word.
        sw: u16,
    },
    /// `F0100001`: the reader lost the card during PACE.
    CommunicationAbort,
    /// `F0100002`: no card in the reader.
    NoCard,
    /// `F0200001`: the citizen pressed cancel on the keypad.
    Cancelled,
    /// `F0200002`: the citizen typed nothing in time.
    Timeout,
    /// Any other code: the reader refused the input (`D000000x`), could not
    /// use the card's answers (`E000000x`) or failed otherwise.
    Reader(u32),
}

impl ReaderPaceResult {
    /// Interprets `dwResult`.
    pub fn from_code(code: u32) -> Self {
        let step = match code >> 16 {
            0xF000 => Some(ReaderPaceStep::SelectCardAccess),
            0xF001 => Some(ReaderPaceStep::ReadCardAccess),
            0xF002 => Some(ReaderPaceStep::SetAt),
            0xF003 => Some(ReaderPaceStep::EncryptedNonce),
            0xF004 => Some(ReaderPaceStep::Mapping),
            0xF005 => Some(ReaderPaceStep::KeyAgreement),
            0xF006 => Some(ReaderPaceStep::MutualAuthentication),
            _ => None,
        };
        match (code, step) {
            (0, _) => Self::Established,
            (0xF010_0001, _) => Self::CommunicationAbort,
            (0xF010_0002, _) => Self::NoCard,
            (0xF020_0001, _) => Self::Cancelled,
            (0xF020_0002, _) => Self::Timeout,
            (_, Some(step)) => Self::CardRefused { step, sw: (code & 0xFFFF) as u16 },
            (other, None) => Self::Reader(other),
        }
    }

    /// `dwResult` for this result, as a reader sends it.
    pub fn code(self) -> u32 {
        match self {
            Self::Established => 0,
            Self::CommunicationAbort => 0xF010_0001,
            Self::NoCard => 0xF010_0002,
            Self::Cancelled => 0xF020_0001,
            Self::Timeout => 0xF020_0002,
            Self::CardRefused { step, sw } => (0xF000 + step as u32) << 16 | u32::from(sw),
            Self::Reader(code) => code,
        }
    }
}

/// What the reader answers to EstablishPACEChannel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceChannel {
    /// `dwResult`.
    pub result: ReaderPaceResult,
    /// The card's status word to MSE:Set AT (e.g. `63C2`: two attempts left).
    pub mse_set_at_status: u16,
    /// `EF.CardAccess` as the reader read it.
    pub card_access: Zeroizing<Vec<u8>>,
    /// Most recent CVCA reference the card trusts, when EAC follows.
    pub car: Option<Vec<u8>>,
    /// Previous CVCA reference, when EAC follows and the card has one.
    pub previous_car: Option<Vec<u8>>,
    /// `IDicc`: the x-coordinate of the chip's ephemeral PACE key, for
    /// Terminal Authentication.
    pub id_icc: Option<Vec<u8>>,
}

/// Reads a field of `len` bytes at `pos`.
fn field<'a>(bytes: &'a [u8], pos: &mut usize, len: usize, name: &'static str) -> Result<&'a [u8], PaceOnReaderError> {
    let value = bytes.get(*pos..*pos + len).ok_or(PaceOnReaderError::Truncated(name))?;
    *pos += len;
    Ok(value)
}

fn u16_le(bytes: &[u8], pos: &mut usize, name: &'static str) -> Result<usize, PaceOnReaderError> {
    let value = field(bytes, pos, 2, name)?;
    Ok(usize::from(u16::from_le_bytes([value[0], value[1]])))
}

impl PaceChannel {
    /// Parses the reader's output. A refusal (`dwResult` not 0) may come
    /// with only the result and `wLengthOutputData`, or also with the
    /// status of MSE:Set AT and what was read before the failure.
    pub fn parse(bytes: &[u8]) -> Result<Self, PaceOnReaderError> {
        let mut pos = 0;
        let code = field(bytes, &mut pos, 4, "dwResult")?;
        let result = ReaderPaceResult::from_code(u32::from_le_bytes([code[0], code[1], code[2], code[3]]));
        let announced = u16_le(bytes, &mut pos, "wLengthOutputData")?;
        let actual = bytes.len() - pos;
        if announced != actual {
            return Err(PaceOnReaderError::LengthMismatch { announced, actual });
        }
        let mut channel = PaceChannel {
            result,
            mse_set_at_status: 0,
            card_access: Zeroizing::new(Vec::new()),
            car: None,
            previous_car: None,
            id_icc: None,
        };
        if pos == bytes.len() && result != ReaderPaceResult::Established {
            return Ok(channel);
        }
        let status = field(bytes, &mut pos, 2, "StatusMSESetAT")?;
        channel.mse_set_at_status = u16::from_be_bytes([status[0], status[1]]);
        let len = u16_le(bytes, &mut pos, "wLengthCardAccess")?;
        channel.card_access = Zeroizing::new(field(bytes, &mut pos, len, "EF.CardAccess")?.to_vec());
        if pos == bytes.len() {
            return Ok(channel);
        }
        let present = |v: &[u8]| (!v.is_empty()).then(|| v.to_vec());
        let len = usize::from(field(bytes, &mut pos, 1, "bLengthCARcurr")?[0]);
        channel.car = present(field(bytes, &mut pos, len, "CARcurr")?);
        let len = usize::from(field(bytes, &mut pos, 1, "bLengthCARprev")?[0]);
        channel.previous_car = present(field(bytes, &mut pos, len, "CARprev")?);
        let len = u16_le(bytes, &mut pos, "wLengthIDicc")?;
        channel.id_icc = present(field(bytes, &mut pos, len, "IDicc")?);
        match bytes.len() - pos {
            0 => Ok(channel),
            n => Err(PaceOnReaderError::Trailing(n)),
        }
    }

    /// The output as a reader sends it (the inverse of [`PaceChannel::parse`]
    /// for outputs with the EAC part).
    pub fn to_bytes(&self) -> Result<Vec<u8>, PaceOnReaderError> {
        let mut body = self.mse_set_at_status.to_be_bytes().to_vec();
        let long = |len: usize, name| u16::try_from(len).map_err(|_| PaceOnReaderError::TooLong(name));
        let short = |len: usize, name| u8::try_from(len).map_err(|_| PaceOnReaderError::TooLong(name));
        body.extend_from_slice(&long(self.card_access.len(), "EF.CardAccess")?.to_le_bytes());
        body.extend_from_slice(&self.card_access);
        let car = self.car.as_deref().unwrap_or_default();
        body.push(short(car.len(), "CARcurr")?);
        body.extend_from_slice(car);
        let previous = self.previous_car.as_deref().unwrap_or_default();
        body.push(short(previous.len(), "CARprev")?);
        body.extend_from_slice(previous);
        let id_icc = self.id_icc.as_deref().unwrap_or_default();
        body.extend_from_slice(&long(id_icc.len(), "IDicc")?.to_le_bytes());
        body.extend_from_slice(id_icc);
        let mut out = self.result.code().to_le_bytes().to_vec();
        out.extend_from_slice(&long(body.len(), "output data")?.to_le_bytes());
        out.extend_from_slice(&body);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_pad_input_carries_the_chat_and_an_empty_pin() {
        let chat = [0x7F, 0x4C, 0x03, 0x06, 0x01, 0x00];
        let input = EstablishPaceChannel {
            password: PasswordId::Pin,
            chat: Some(&chat),
            certificate_description: &[0xAA, 0xBB],
        };
        let expected = [
            0x02, // bIdxFunction: EstablishPACEChannel
            0x0D, 0x00, // wLengthInputData: 13, little-endian
            0x03, // bPasswordID: PIN
            0x06, 0x7F, 0x4C, 0x03, 0x06, 0x01, 0x00, // bLengthCHAT, CHAT
            0x00, // bLengthPIN 0: the reader's keypad asks
            0x02, 0x00, 0xAA, 0xBB, // wLengthCertificateDescription, description
        ];
        assert_eq!(input.to_bytes().unwrap(), expected);
    }

    #[test]
    fn pace_without_eac_has_an_empty_chat() {
        let input = EstablishPaceChannel { password: PasswordId::Puk, chat: None, certificate_description: &[] };
        assert_eq!(input.to_bytes().unwrap(), [0x02, 0x05, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00]);
    }

    #[test]
    fn an_overlong_chat_is_refused() {
        let chat = [0u8; 256];
        let input = EstablishPaceChannel { password: PasswordId::Pin, chat: Some(&chat), certificate_description: &[] };
        assert_eq!(input.to_bytes().err(), Some(PaceOnReaderError::TooLong("CHAT")));
    }

    fn eac_output() -> Vec<u8> {
        let mut out = vec![0x00, 0x00, 0x00, 0x00]; // dwResult: success
        let body = [
            &[0x63, 0xC2][..],               // MSE:Set AT said: two attempts left
            &[0x03, 0x00, 0x31, 0x01, 0x00], // EF.CardAccess, 3 bytes
            &[0x03, b'C', b'A', b'1'],       // CARcurr
            &[0x00],                         // no CARprev
            &[0x02, 0x00, 0x12, 0x34],       // IDicc
        ]
        .concat();
        out.extend_from_slice(&(body.len() as u16).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    #[test]
    fn an_eac_output_yields_status_card_access_car_and_id_icc() {
        let channel = PaceChannel::parse(&eac_output()).unwrap();
        assert_eq!(channel.result, ReaderPaceResult::Established);
        assert_eq!(channel.mse_set_at_status, 0x63C2);
        assert_eq!(channel.card_access.as_slice(), [0x31, 0x01, 0x00]);
        assert_eq!(channel.car.as_deref(), Some(&b"CA1"[..]));
        assert_eq!(channel.previous_car, None);
        assert_eq!(channel.id_icc.as_deref(), Some(&[0x12, 0x34][..]));
        assert_eq!(channel.to_bytes().unwrap(), eac_output());
    }

    #[test]
    fn a_pace_only_output_ends_after_ef_card_access() {
        let output = [0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x90, 0x00, 0x01, 0x00, 0x31];
        let channel = PaceChannel::parse(&output).unwrap();
        assert_eq!((channel.mse_set_at_status, channel.card_access.as_slice()), (0x9000, &[0x31][..]));
        assert_eq!((channel.car, channel.id_icc), (None, None));
    }

    #[test]
    fn result_codes_name_the_step_and_the_cards_status_word() {
        // dwResult F00663C2 little-endian: the mutual authentication got 63C2.
        let output = [0xC2, 0x63, 0x06, 0xF0, 0x00, 0x00];
        let channel = PaceChannel::parse(&output).unwrap();
        assert_eq!(
            channel.result,
            ReaderPaceResult::CardRefused { step: ReaderPaceStep::MutualAuthentication, sw: 0x63C2 }
        );
        assert_eq!(ReaderPaceResult::from_code(0xF020_0001), ReaderPaceResult::Cancelled);
        assert_eq!(ReaderPaceResult::from_code(0xF020_0002), ReaderPaceResult::Timeout);
        assert_eq!(ReaderPaceResult::from_code(0xF010_0002), ReaderPaceResult::NoCard);
        assert_eq!(ReaderPaceResult::from_code(0xF010_0001), ReaderPaceResult::CommunicationAbort);
        assert_eq!(
            ReaderPaceResult::from_code(0xF002_6283),
            ReaderPaceResult::CardRefused { step: ReaderPaceStep::SetAt, sw: 0x6283 }
        );
        assert_eq!(ReaderPaceResult::from_code(0xE000_0003), ReaderPaceResult::Reader(0xE000_0003));
        for code in [0, 0xF006_63C2, 0xF020_0001, 0xF020_0002, 0xF010_0001, 0xF010_0002, 0xF000_6A82, 0xD000_0001] {
            assert_eq!(ReaderPaceResult::from_code(code).code(), code);
        }
    }

    #[test]
    fn malformed_outputs_are_typed_errors() {
        let output = eac_output();
        assert_eq!(PaceChannel::parse(&output[..3]), Err(PaceOnReaderError::Truncated("dwResult")));
        assert!(matches!(
            PaceChannel::parse(&output[..output.len() - 1]),
            Err(PaceOnReaderError::LengthMismatch { .. })
        ));
        let mut short_id = output.clone();
        short_id[4] -= 1;
        short_id.pop();
        assert_eq!(PaceChannel::parse(&short_id), Err(PaceOnReaderError::Truncated("IDicc")));
        let mut trailing = output.clone();
        trailing[4] += 1;
        trailing.push(0xFF);
        assert_eq!(PaceChannel::parse(&trailing), Err(PaceOnReaderError::Trailing(1)));
        // A success must carry at least the status and EF.CardAccess.
        assert_eq!(PaceChannel::parse(&[0, 0, 0, 0, 0, 0]), Err(PaceOnReaderError::Truncated("StatusMSESetAT")));
    }
}
