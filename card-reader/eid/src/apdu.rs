// SPDX-License-Identifier: GPL-3.0-or-later
//! Command and response APDUs (ISO/IEC 7816-4 clause 5) and the meaning of
//! the status words the eID card returns.
//!
//! A [`CommandApdu`] chooses short or extended length encoding on its own
//! (ISO/IEC 7816-4 5.1, cases 1 to 4S/4E); [`CommandApdu::chain`] splits long
//! data into a command chain (CLA bit 5, ISO/IEC 7816-4 5.4.1) for readers
//! that cannot carry extended APDUs.

use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Largest Nc or Ne an extended-length APDU can carry.
pub const MAX_EXTENDED: usize = 65_536;
/// Largest Nc or Ne a short APDU can carry.
pub const MAX_SHORT: usize = 256;

/// Why an APDU could not be encoded or decoded.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ApduError {
    /// The command data does not fit even an extended APDU (at most 65 535 bytes).
    #[error("command data of {0} bytes exceeds the extended-length limit of 65535")]
    DataTooLong(usize),
    /// Ne is zero or above 65 536; use `None` for "no response data expected".
    #[error("expected response length {0} is not between 1 and 65536")]
    InvalidLe(usize),
    /// A response shorter than the two status bytes. The reader or card
    /// dropped data; reset the card and start again.
    #[error("response of {0} byte(s) is shorter than the 2-byte status word")]
    ResponseTooShort(usize),
    /// The command chain chunk size was zero.
    #[error("command chaining needs a chunk size of at least 1 byte")]
    ZeroChunk,
}

/// A command APDU. Its data (which may be a PIN) is wiped when dropped.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct CommandApdu {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (Nc = `data.len()`).
    pub data: Vec<u8>,
    /// Expected response length Ne, `None` when no data is expected.
    /// `Some(256)` / `Some(65536)` mean "as much as possible".
    pub le: Option<usize>,
}

impl std::fmt::Debug for CommandApdu {
    /// Header and lengths only: the data may be a PIN.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CommandApdu({:02X} {:02X} {:02X} {:02X}, Nc={}, Ne={:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

impl CommandApdu {
    /// A command without data and without expected response (case 1).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self { cla, ins, p1, p2, data: Vec::new(), le: None }
    }

    /// Sets the command data.
    pub fn with_data(mut self, data: Vec<u8>) -> Self {
        self.data = data;
        self
    }

    /// Sets the expected response length Ne.
    pub fn with_le(mut self, le: usize) -> Self {
        self.le = Some(le);
        self
    }

    /// Whether this command needs extended length fields (ISO/IEC 7816-4 5.1).
    pub fn is_extended(&self) -> bool {
        self.data.len() > 255 || self.le.is_some_and(|le| le > MAX_SHORT)
    }

    /// Encodes the command, using short length fields when they suffice and
    /// extended ones otherwise.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ApduError> {
        let nc = self.data.len();
        if nc > MAX_EXTENDED - 1 {
            return Err(ApduError::DataTooLong(nc));
        }
        if let Some(le) = self.le
            && (le == 0 || le > MAX_EXTENDED)
        {
            return Err(ApduError::InvalidLe(le));
        }
        let mut out = Vec::with_capacity(nc + 9);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if self.is_extended() {
            // Extended: Lc = 00 hi lo; Le = hi lo (00 hi lo without data),
            // with 0000 standing for 65 536.
            if nc > 0 {
                out.push(0x00);
                out.extend_from_slice(&(nc as u16).to_be_bytes());
            }
            if let Some(le) = self.le {
                if nc == 0 {
                    out.push(0x00);
                }
                out.extend_from_slice(&((le % MAX_EXTENDED) as u16).to_be_bytes());
            }
        } else {
            if nc > 0 {
                out.push(nc as u8);
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                out.push((le % MAX_SHORT) as u8);
            }
            return Ok(out);
        }
        // Extended case: data goes between Lc and Le.
        if nc > 0 {
            let le_bytes = out.split_off(7);
            out.extend_from_slice(&self.data);
            out.extend_from_slice(&le_bytes);
        }
        Ok(out)
    }

    /// Splits the command into a chain of commands with at most `chunk`
    /// data bytes each; all but the last have the chaining bit `0x10` set in
    /// CLA and no Le (ISO/IEC 7816-4 5.4.1).
    pub fn chain(&self, chunk: usize) -> Result<Vec<CommandApdu>, ApduError> {
        if chunk == 0 {
            return Err(ApduError::ZeroChunk);
        }
        if self.data.len() <= chunk {
            return Ok(vec![self.clone()]);
        }
        let pieces: Vec<&[u8]> = self.data.chunks(chunk).collect();
        let last = pieces.len() - 1;
        Ok(pieces
            .into_iter()
            .enumerate()
            .map(|(i, piece)| CommandApdu {
                cla: if i == last { self.cla } else { self.cla | 0x10 },
                ins: self.ins,
                p1: self.p1,
                p2: self.p2,
                data: piece.to_vec(),
                le: if i == last { self.le } else { None },
            })
            .collect())
    }
}

/// A response APDU: data followed by the status word SW1-SW2. Its data
/// (which may be personal data) is wiped when dropped.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct ResponseApdu {
    /// Response data.
    pub data: Vec<u8>,
    /// Status word.
    #[zeroize(skip)]
    pub sw: StatusWord,
}

impl std::fmt::Debug for ResponseApdu {
    /// Status word and length only: the data may be personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ResponseApdu({} data bytes, SW={:04X})", self.data.len(), self.sw.0)
    }
}

impl ResponseApdu {
    /// Splits raw response bytes into data and status word.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ApduError> {
        if bytes.len() < 2 {
            return Err(ApduError::ResponseTooShort(bytes.len()));
        }
        let (data, sw) = bytes.split_at(bytes.len() - 2);
        Ok(Self { data: data.to_vec(), sw: StatusWord(u16::from_be_bytes([sw[0], sw[1]])) })
    }

    /// A response with the given data and status word.
    pub fn new(data: Vec<u8>, sw: u16) -> Self {
        Self { data, sw: StatusWord(sw) }
    }

    /// Takes the data out (the struct wipes only what it still holds).
    pub fn into_data(mut self) -> Vec<u8> {
        std::mem::take(&mut self.data)
    }

    /// Encodes data followed by the status word.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.data.clone();
        out.extend_from_slice(&self.sw.0.to_be_bytes());
        out
    }
}

/// The two status bytes SW1-SW2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `9000`: normal processing.
    pub const OK: StatusWord = StatusWord(0x9000);

    /// Whether the command completed normally.
    pub fn is_success(self) -> bool {
        self.0 == 0x9000
    }

    /// The typed meaning of this status word.
    pub fn meaning(self) -> Status {
        let [sw1, sw2] = self.0.to_be_bytes();
        match (sw1, sw2) {
            (0x90, 0x00) => Status::Success,
            (0x61, n) => Status::MoreData(n),
            (0x62, 0x82) => Status::EndOfFile,
            (0x62, 0x83) => Status::Deactivated,
            (0x63, 0x00) => Status::AuthenticationFailed,
            (0x63, n) if n & 0xF0 == 0xC0 => Status::RetriesLeft(n & 0x0F),
            (0x67, 0x00) => Status::WrongLength,
            (0x69, 0x82) => Status::SecurityStatusNotSatisfied,
            (0x69, 0x83) => Status::Blocked,
            (0x69, 0x84) => Status::ReferenceDataNotUsable,
            (0x69, 0x85) => Status::ConditionsNotSatisfied,
            (0x69, 0x87) => Status::SmDataObjectsMissing,
            (0x69, 0x88) => Status::SmDataObjectsIncorrect,
            (0x6A, 0x80) => Status::IncorrectData,
            (0x6A, 0x82) => Status::FileNotFound,
            (0x6A, 0x86) => Status::IncorrectP1P2,
            (0x6A, 0x88) => Status::ReferenceDataNotFound,
            (0x6B, 0x00) => Status::WrongOffset,
            (0x6C, n) => Status::WrongLe(n),
            (0x6D, 0x00) => Status::InstructionNotSupported,
            (0x6E, 0x00) => Status::ClassNotSupported,
            _ => Status::Other(self.0),
        }
    }
}

/// What a status word means for the eID protocols (ISO/IEC 7816-4 5.6,
/// BSI TR-03110-3 B.8 for the password-related codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// `9000`.
    Success,
    /// `61xx`: more response bytes available (GET RESPONSE).
    MoreData(u8),
    /// `6282`: end of file reached before Ne bytes were read.
    EndOfFile,
    /// `6283`: the selected file or password is deactivated (TR-03110-3
    /// B.8: the eID function is switched off).
    Deactivated,
    /// `6300`: authentication failed, no counter information.
    AuthenticationFailed,
    /// `63Cx`: verification failed or warned, `x` tries left (TR-03110-3
    /// B.8: `63C1` means suspended, `63C0` blocked).
    RetriesLeft(u8),
    /// `6700`: wrong length.
    WrongLength,
    /// `6982`: security status not satisfied.
    SecurityStatusNotSatisfied,
    /// `6983`: authentication method blocked.
    Blocked,
    /// `6984`: reference data not usable (password deactivated).
    ReferenceDataNotUsable,
    /// `6985`: conditions of use not satisfied.
    ConditionsNotSatisfied,
    /// `6987`: expected secure messaging data objects missing.
    SmDataObjectsMissing,
    /// `6988`: secure messaging data objects incorrect.
    SmDataObjectsIncorrect,
    /// `6A80`: incorrect parameters in the command data.
    IncorrectData,
    /// `6A82`: file or application not found.
    FileNotFound,
    /// `6A86`: incorrect P1-P2.
    IncorrectP1P2,
    /// `6A88`: referenced data not found.
    ReferenceDataNotFound,
    /// `6B00`: wrong offset.
    WrongOffset,
    /// `6Cxx`: wrong Le, `xx` is the exact length available.
    WrongLe(u8),
    /// `6D00`: instruction not supported.
    InstructionNotSupported,
    /// `6E00`: class not supported.
    ClassNotSupported,
    /// Any other status word.
    Other(u16),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_command_and_response_data() {
        let pin = CommandApdu::new(0x00, 0x2C, 0x02, 0x03).with_data(b"482913".to_vec());
        let shown = format!("{pin:?}");
        assert!(!shown.contains("52") && !shown.contains("482913"), "{shown}");
        assert_eq!(shown, "CommandApdu(00 2C 02 03, Nc=6, Ne=None)");
        let reply = ResponseApdu::new("Köln".as_bytes().to_vec(), 0x9000);
        assert_eq!(format!("{reply:?}"), "ResponseApdu(5 data bytes, SW=9000)");
    }

    #[test]
    fn case1_encodes_header_only() {
        let c = CommandApdu::new(0x00, 0xA4, 0x00, 0x0C);
        assert_eq!(c.to_bytes().unwrap(), vec![0x00, 0xA4, 0x00, 0x0C]);
    }

    #[test]
    fn case2_short_le_256_encodes_as_zero() {
        let c = CommandApdu::new(0x00, 0xB0, 0x00, 0x00).with_le(256);
        assert_eq!(c.to_bytes().unwrap(), vec![0x00, 0xB0, 0x00, 0x00, 0x00]);
        let c = CommandApdu::new(0x00, 0xB0, 0x00, 0x00).with_le(4);
        assert_eq!(c.to_bytes().unwrap(), vec![0x00, 0xB0, 0x00, 0x00, 0x04]);
    }

    #[test]
    fn case3_and_case4_short_encode_lc_data_le() {
        let c = CommandApdu::new(0x00, 0x22, 0xC1, 0xA4).with_data(vec![1, 2]);
        assert_eq!(c.to_bytes().unwrap(), vec![0x00, 0x22, 0xC1, 0xA4, 2, 1, 2]);
        let c = c.with_le(256);
        assert_eq!(c.to_bytes().unwrap(), vec![0x00, 0x22, 0xC1, 0xA4, 2, 1, 2, 0]);
    }

    #[test]
    fn case2_extended_encodes_three_byte_le() {
        let c = CommandApdu::new(0x00, 0xB0, 0x00, 0x00).with_le(65_536);
        assert_eq!(c.to_bytes().unwrap(), vec![0, 0xB0, 0, 0, 0, 0, 0]);
        let c = CommandApdu::new(0x00, 0xB0, 0x00, 0x00).with_le(257);
        assert_eq!(c.to_bytes().unwrap(), vec![0, 0xB0, 0, 0, 0, 1, 1]);
    }

    #[test]
    fn case3_and_case4_extended_put_data_between_lc_and_le() {
        let data = vec![0xEE; 300];
        let c = CommandApdu::new(0x00, 0x2A, 0x00, 0xBE).with_data(data.clone());
        let enc = c.to_bytes().unwrap();
        assert_eq!(&enc[..7], &[0x00, 0x2A, 0x00, 0xBE, 0x00, 0x01, 0x2C]);
        assert_eq!(&enc[7..], &data[..]);
        let enc = c.with_le(65_536).to_bytes().unwrap();
        assert_eq!(enc.len(), 7 + 300 + 2);
        assert_eq!(&enc[307..], &[0x00, 0x00]);
        assert_eq!(&enc[7..307], &data[..]);
    }

    #[test]
    fn short_data_with_long_le_switches_to_extended() {
        let c = CommandApdu::new(0x0C, 0xB0, 0x00, 0x00).with_data(vec![0xAA]).with_le(1000);
        assert!(c.is_extended());
        assert_eq!(c.to_bytes().unwrap(), vec![0x0C, 0xB0, 0, 0, 0, 0, 1, 0xAA, 0x03, 0xE8]);
    }

    #[test]
    fn oversized_data_and_invalid_le_are_rejected() {
        let c = CommandApdu::new(0, 0, 0, 0).with_data(vec![0; 65_536]);
        assert_eq!(c.to_bytes(), Err(ApduError::DataTooLong(65_536)));
        let c = CommandApdu::new(0, 0, 0, 0).with_le(0);
        assert_eq!(c.to_bytes(), Err(ApduError::InvalidLe(0)));
        let c = CommandApdu::new(0, 0, 0, 0).with_le(65_537);
        assert_eq!(c.to_bytes(), Err(ApduError::InvalidLe(65_537)));
    }

    #[test]
    fn chaining_sets_cla_bit_on_all_but_last_and_keeps_le_on_last() {
        let c = CommandApdu::new(0x00, 0x2A, 0x00, 0xBE).with_data((0u8..=9).collect()).with_le(256);
        let chain = c.chain(4).unwrap();
        assert_eq!(chain.len(), 3);
        assert_eq!(chain[0].cla, 0x10);
        assert_eq!(chain[1].cla, 0x10);
        assert_eq!(chain[2].cla, 0x00);
        assert_eq!(chain[0].le, None);
        assert_eq!(chain[2].le, Some(256));
        let joined: Vec<u8> = chain.iter().flat_map(|c| c.data.clone()).collect();
        assert_eq!(joined, c.data);
        assert_eq!(c.chain(10).unwrap(), vec![c.clone()]);
        assert_eq!(c.chain(0), Err(ApduError::ZeroChunk));
    }

    #[test]
    fn response_splits_data_and_status_word() {
        let r = ResponseApdu::from_bytes(&[0xDE, 0xAD, 0x90, 0x00]).unwrap();
        assert_eq!(r.data, vec![0xDE, 0xAD]);
        assert!(r.sw.is_success());
        assert_eq!(r.to_bytes(), vec![0xDE, 0xAD, 0x90, 0x00]);
        let r = ResponseApdu::from_bytes(&[0x6A, 0x82]).unwrap();
        assert!(r.data.is_empty());
        assert_eq!(r.sw.meaning(), Status::FileNotFound);
    }

    #[test]
    fn responses_shorter_than_status_word_are_rejected() {
        assert_eq!(ResponseApdu::from_bytes(&[]), Err(ApduError::ResponseTooShort(0)));
        assert_eq!(ResponseApdu::from_bytes(&[0x90]), Err(ApduError::ResponseTooShort(1)));
    }

    #[test]
    fn retry_counter_status_words_carry_the_count() {
        assert_eq!(StatusWord(0x63C2).meaning(), Status::RetriesLeft(2));
        assert_eq!(StatusWord(0x63C1).meaning(), Status::RetriesLeft(1));
        assert_eq!(StatusWord(0x63C0).meaning(), Status::RetriesLeft(0));
        assert_eq!(StatusWord(0x6300).meaning(), Status::AuthenticationFailed);
        assert_eq!(StatusWord(0x6310).meaning(), Status::Other(0x6310));
    }

    #[test]
    fn blocking_and_deactivation_status_words_are_distinct() {
        assert_eq!(StatusWord(0x6983).meaning(), Status::Blocked);
        assert_eq!(StatusWord(0x6984).meaning(), Status::ReferenceDataNotUsable);
        assert_eq!(StatusWord(0x6985).meaning(), Status::ConditionsNotSatisfied);
        assert_eq!(StatusWord(0x6283).meaning(), Status::Deactivated);
        assert_eq!(StatusWord(0x6987).meaning(), Status::SmDataObjectsMissing);
        assert_eq!(StatusWord(0x6988).meaning(), Status::SmDataObjectsIncorrect);
        assert_eq!(StatusWord(0x6C10).meaning(), Status::WrongLe(0x10));
        assert_eq!(StatusWord(0x6110).meaning(), Status::MoreData(0x10));
    }
}
