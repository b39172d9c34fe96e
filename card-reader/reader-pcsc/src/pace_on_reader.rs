// SPDX-License-Identifier: GPL-3.0-or-later
//! PACE run by a PIN pad reader: `EstablishPACEChannel` through the
//! `FEATURE_EXECUTE_PACE` control code (PC/SC Part 10 Amendment 1, BSI
//! TR-03119 D.3). The citizen types the secret on the reader; it never
//! reaches the terminal.
//!
//! Command (all multi-byte lengths little-endian, as everywhere in part 10):
//!
//! ```text
//! bIdxFunction 02 | wLengthInputData | bPasswordID | bLengthCHAT CHAT
//!                 | bLengthPIN PIN (empty: PIN pad) | wLengthCertificateDescription CertificateDescription
//! ```
//!
//! Response:
//!
//! ```text
//! dwResult | wLengthOutputData | StatusMSESetAT (SW1 SW2) | wLengthCardAccess EF.CardAccess
//!          [ | bLengthCARcurr CARcurr | bLengthCARprev CARprev | wLengthIDicc IDicc ]
//! ```
//!
//! The bracketed part is present when a CHAT was given (EAC follows).
//! Only the byte layout is tested here: the vpcd reader used in the tests
//! has no PIN pad.

use crate::PcscError;
use zeroize::Zeroizing;

/// `bIdxFunction` of EstablishPACEChannel.
const ESTABLISH_PACE_CHANNEL: u8 = 0x02;

/// Why the reader's answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaceOnReaderError {
    /// A field is longer than its length field can say.
    #[error("{0} is too long for EstablishPACEChannel")]
    TooLong(&'static str),
    /// The answer ends inside the named field.
    #[error("EstablishPACEChannel answer ends inside {0}")]
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
    #[error("EstablishPACEChannel answer has {0} trailing bytes")]
    Trailing(usize),
}

/// The secret PACE runs with (TR-03110-3 Table 10 references).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordId {
    /// Card access number.
    Can = 2,
    /// eID PIN (or transport PIN).
    Pin = 3,
    /// PIN unblocking key.
    Puk = 4,
}

/// The input of EstablishPACEChannel.
pub struct EstablishPaceChannel<'a> {
    /// Which secret.
    pub password: PasswordId,
    /// The encoded CHAT (`7F4C ...`), when EAC follows.
    pub chat: Option<&'a [u8]>,
    /// The secret, when typed on the terminal; `None` lets the reader's PIN pad ask.
    pub secret: Option<&'a [u8]>,
    /// The terminal's certificate description (TR-03110-4 2.2.6), shown by
    /// readers with a display; empty when there is none.
    pub certificate_description: &'a [u8],
}

impl EstablishPaceChannel<'_> {
    /// The bytes to send with the `FEATURE_EXECUTE_PACE` control code. They
    /// hold the secret if one is given, so they are wiped when dropped.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, PaceOnReaderError> {
        let chat = self.chat.unwrap_or_default();
        let secret = self.secret.unwrap_or_default();
        let chat_len = u8::try_from(chat.len()).map_err(|_| PaceOnReaderError::TooLong("CHAT"))?;
        let secret_len = u8::try_from(secret.len()).map_err(|_| PaceOnReaderError::TooLong("PIN"))?;
        let description_len = u16::try_from(self.certificate_description.len())
            .map_err(|_| PaceOnReaderError::TooLong("certificate description"))?;
        let input_len = 1 + 1 + chat.len() + 1 + secret.len() + 2 + self.certificate_description.len();
        let input_len = u16::try_from(input_len).map_err(|_| PaceOnReaderError::TooLong("input data"))?;
        let mut out = Zeroizing::new(Vec::with_capacity(3 + usize::from(input_len)));
        out.push(ESTABLISH_PACE_CHANNEL);
        out.extend_from_slice(&input_len.to_le_bytes());
        out.push(self.password as u8);
        out.push(chat_len);
        out.extend_from_slice(chat);
        out.push(secret_len);
        out.extend_from_slice(secret);
        out.extend_from_slice(&description_len.to_le_bytes());
        out.extend_from_slice(self.certificate_description);
        Ok(out)
    }
}

/// What the reader answers to EstablishPACEChannel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceChannel {
    /// `dwResult`: 0 on success, else the reader's or card's error code (TR-03119 D.3).
    pub result: u32,
    /// The card's status word to MSE:Set AT (e.g. `63C2`: two PIN attempts left).
    pub mse_set_at_status: u16,
    /// EF.CardAccess as the reader read it.
    pub card_access: Vec<u8>,
    /// Most recent CVCA reference the card trusts, when EAC follows.
    pub car: Option<Vec<u8>>,
    /// Previous CVCA reference, when EAC follows and the card has one.
    pub previous_car: Option<Vec<u8>>,
    /// `ID_ICC`: the card's compressed ephemeral PACE key, for Terminal Authentication.
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
    /// Parses the reader's answer.
    pub fn parse(bytes: &[u8]) -> Result<Self, PaceOnReaderError> {
        let mut pos = 0;
        let result = field(bytes, &mut pos, 4, "dwResult")?;
        let result = u32::from_le_bytes([result[0], result[1], result[2], result[3]]);
        let announced = u16_le(bytes, &mut pos, "wLengthOutputData")?;
        let actual = bytes.len() - pos;
        if announced != actual {
            return Err(PaceOnReaderError::LengthMismatch { announced, actual });
        }
        let status = field(bytes, &mut pos, 2, "StatusMSESetAT")?;
        let mse_set_at_status = u16::from_be_bytes([status[0], status[1]]);
        let len = u16_le(bytes, &mut pos, "wLengthCardAccess")?;
        let card_access = field(bytes, &mut pos, len, "EF.CardAccess")?.to_vec();
        let mut channel =
            PaceChannel { result, mse_set_at_status, card_access, car: None, previous_car: None, id_icc: None };
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
}

/// Runs EstablishPACEChannel on the reader behind `card` with the control
/// code of `FEATURE_EXECUTE_PACE` (from [`crate::Features::control_code`]).
pub fn establish_pace_channel(
    card: &pcsc::Card,
    control_code: u32,
    input: &EstablishPaceChannel<'_>,
) -> Result<PaceChannel, PcscError> {
    let command = input.to_bytes().map_err(PcscError::PaceOnReader)?;
    let mut answer = Zeroizing::new(vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED]);
    let answer = card.control(control_code as _, &command, &mut answer).map_err(PcscError::from_pcsc)?;
    PaceChannel::parse(answer).map_err(PcscError::PaceOnReader)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_pad_input_carries_the_chat_and_no_secret() {
        let chat = [0x7F, 0x4C, 0x03, 0x06, 0x01, 0x00];
        let input = EstablishPaceChannel {
            password: PasswordId::Pin,
            chat: Some(&chat),
            secret: None,
            certificate_description: &[0xAA, 0xBB],
        };
        let expected = [
            0x02, // EstablishPACEChannel
            0x0D, 0x00, // 13 input bytes, little-endian
            0x03, // PIN
            0x06, 0x7F, 0x4C, 0x03, 0x06, 0x01, 0x00, // CHAT
            0x00, // no PIN: the reader's pad asks
            0x02, 0x00, 0xAA, 0xBB, // certificate description
        ];
        assert_eq!(input.to_bytes().unwrap().as_slice(), expected);
    }

    #[test]
    fn can_typed_on_the_terminal_goes_in_the_pin_field() {
        let input = EstablishPaceChannel {
            password: PasswordId::Can,
            chat: None,
            secret: Some(b"500540"),
            certificate_description: &[],
        };
        let expected = [0x02, 0x0B, 0x00, 0x02, 0x00, 0x06, b'5', b'0', b'0', b'5', b'4', b'0', 0x00, 0x00];
        assert_eq!(input.to_bytes().unwrap().as_slice(), expected);
    }

    #[test]
    fn an_overlong_chat_is_refused() {
        let chat = [0u8; 256];
        let input = EstablishPaceChannel {
            password: PasswordId::Pin,
            chat: Some(&chat),
            secret: None,
            certificate_description: &[],
        };
        assert_eq!(input.to_bytes().err(), Some(PaceOnReaderError::TooLong("CHAT")));
    }

    fn eac_answer() -> Vec<u8> {
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
    fn an_eac_answer_yields_status_card_access_car_and_id_icc() {
        let channel = PaceChannel::parse(&eac_answer()).unwrap();
        assert_eq!(channel.result, 0);
        assert_eq!(channel.mse_set_at_status, 0x63C2);
        assert_eq!(channel.card_access, [0x31, 0x01, 0x00]);
        assert_eq!(channel.car.as_deref(), Some(&b"CA1"[..]));
        assert_eq!(channel.previous_car, None);
        assert_eq!(channel.id_icc.as_deref(), Some(&[0x12, 0x34][..]));
    }

    #[test]
    fn a_pace_only_answer_ends_after_ef_card_access() {
        let answer = [0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x90, 0x00, 0x01, 0x00, 0x31];
        let channel = PaceChannel::parse(&answer).unwrap();
        assert_eq!((channel.mse_set_at_status, channel.card_access.as_slice()), (0x9000, &[0x31][..]));
        assert_eq!((channel.car, channel.id_icc), (None, None));
    }

    #[test]
    fn malformed_answers_are_typed_errors() {
        let answer = eac_answer();
        assert_eq!(PaceChannel::parse(&answer[..3]), Err(PaceOnReaderError::Truncated("dwResult")));
        assert!(matches!(
            PaceChannel::parse(&answer[..answer.len() - 1]),
            Err(PaceOnReaderError::LengthMismatch { .. })
        ));
        let mut short_id = answer.clone();
        short_id[4] -= 1;
        short_id.pop();
        assert_eq!(PaceChannel::parse(&short_id), Err(PaceOnReaderError::Truncated("IDicc")));
        let mut trailing = answer;
        trailing[4] += 1;
        trailing.push(0xFF);
        assert_eq!(PaceChannel::parse(&trailing), Err(PaceOnReaderError::Trailing(1)));
    }
}
