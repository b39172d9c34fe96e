// SPDX-License-Identifier: GPL-3.0-or-later
//! Selecting the eID application and reading elementary files in chunks
//! (ISO/IEC 7816-4 11.2.3 READ BINARY, BSI TR-03110-3 B.2 / TR-03127).
//!
//! A data group is read by short file identifier first (`P1 = 80 | SFI`),
//! which also selects it, then by offset until the length announced in its
//! TLV header is complete. Without extended length, chunks are small
//! enough that the protected response still fits a short APDU (223 plain
//! bytes pad to 224, plus DO`87`, DO`99` and DO`8E` stays under 256); with
//! it, one READ BINARY asks for up to [`EXTENDED_CHUNK`] bytes, so that
//! EF.CardSecurity comes in one APDU. A card that answers fewer bytes than
//! asked for is read on from where it stopped.

use thiserror::Error;
use zeroize::Zeroizing;

use crate::apdu::{CommandApdu, ResponseApdu, Status};
use crate::tlv::{self, TlvError};

/// AID of the eID application (TR-03110-3 / TR-03127: E8 07 04 00 7F 00 07 03 02).
pub const EID_AID: [u8; 9] = [0xE8, 0x07, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x02];
/// Largest chunk read at a time with short APDUs.
pub const CHUNK: usize = 223;
/// Largest chunk read at a time with extended length (ISO/IEC 7816-4 5.1):
/// EF.CardSecurity, the largest file of an eID card, is 1 to 3 KiB.
pub const EXTENDED_CHUNK: usize = 4096;
/// Largest offset READ BINARY with even INS can address (15 bits).
const MAX_OFFSET: usize = 0x7FFF;

/// Why a file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ReadError {
    /// `6A82`: the card has no such file (e.g. no DG17 on a card without address).
    #[error("file not found on the card")]
    FileNotFound,
    /// `6982`: the effective CHAT does not allow reading this file.
    #[error("access to the file is not granted")]
    AccessDenied,
    /// Any other status word.
    #[error("unexpected status {0:04X} while reading")]
    UnexpectedStatus(u16),
    /// The file does not start with a valid TLV header.
    #[error("file content is not valid TLV: {0}")]
    Tlv(#[from] TlvError),
    /// The card ended the file before the announced length.
    #[error("file ended after {got} of {announced} bytes")]
    ShortFile {
        /// Bytes received.
        got: usize,
        /// Bytes announced by the TLV header.
        announced: usize,
    },
    /// The file is larger than READ BINARY with offsets can address.
    #[error("file of {0} bytes is too large to read")]
    TooLarge(usize),
}

/// SELECT the eID application by AID, no response data (P2 = 0C).
pub fn select_eid_application() -> CommandApdu {
    CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(EID_AID.to_vec())
}

/// Starts reading the file with short file identifier `sfi` (1 to 30) in
/// chunks of `chunk` bytes at most ([`CHUNK`], or [`EXTENDED_CHUNK`] when
/// card and reader take extended length).
pub fn read_by_sfi(sfi: u8, chunk: usize) -> (ExpectChunk, CommandApdu) {
    let command = CommandApdu::new(0x00, 0xB0, 0x80 | (sfi & 0x1F), 0x00).with_le(chunk);
    (ExpectChunk { content: Zeroizing::new(Vec::new()), chunk }, command)
}

/// The next step of a file read.
pub enum ReadNext {
    /// Send the command and feed the answer to the state.
    More(ExpectChunk, CommandApdu),
    /// The complete file (zeroized on drop).
    Done(Zeroizing<Vec<u8>>),
}

/// Waiting for a READ BINARY answer.
pub struct ExpectChunk {
    content: Zeroizing<Vec<u8>>,
    chunk: usize,
}

/// Total file length from the TLV header at the start of `content`, once
/// enough bytes are there to know it.
fn announced_length(content: &[u8]) -> Result<Option<usize>, ReadError> {
    match tlv::parse_header(content) {
        Ok(h) => Ok(Some(h.header_len + h.value_len)),
        Err(TlvError::Truncated { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl ExpectChunk {
    /// Appends the chunk and asks for the next one, or returns the file.
    pub fn handle(mut self, response: &ResponseApdu) -> Result<ReadNext, ReadError> {
        let eof = match response.sw.meaning() {
            Status::Success => false,
            Status::EndOfFile => true,
            Status::FileNotFound => return Err(ReadError::FileNotFound),
            Status::SecurityStatusNotSatisfied => return Err(ReadError::AccessDenied),
            _ => return Err(ReadError::UnexpectedStatus(response.sw.0)),
        };
        self.content.extend_from_slice(&response.data);
        let announced = announced_length(&self.content)?;
        let got = self.content.len();
        match announced {
            Some(total) if got >= total => {
                self.content.truncate(total);
                Ok(ReadNext::Done(self.content))
            }
            Some(total) if eof || response.data.is_empty() => Err(ReadError::ShortFile { got, announced: total }),
            None if eof || response.data.is_empty() => Err(ReadError::ShortFile { got, announced: got + 1 }),
            _ => {
                if got > MAX_OFFSET {
                    return Err(ReadError::TooLarge(announced.unwrap_or(got)));
                }
                let remaining = announced.map_or(self.chunk, |total| (total - got).min(self.chunk));
                let [hi, lo] = (got as u16).to_be_bytes();
                Ok(ReadNext::More(self, CommandApdu::new(0x00, 0xB0, hi, lo).with_le(remaining)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves `file` like a card would, in chunks of `CHUNK` asked for.
    fn read_all(file: &[u8], sfi: u8) -> (Result<Vec<u8>, ReadError>, Vec<CommandApdu>) {
        read_all_with(file, sfi, CHUNK, usize::MAX)
    }

    /// Serves `file` like a card would that answers `limit` bytes per READ
    /// BINARY at most, to a read in chunks of `chunk`.
    fn read_all_with(
        file: &[u8],
        sfi: u8,
        chunk: usize,
        limit: usize,
    ) -> (Result<Vec<u8>, ReadError>, Vec<CommandApdu>) {
        let (mut state, mut command) = read_by_sfi(sfi, chunk);
        let mut sent = Vec::new();
        loop {
            let offset =
                if command.p1 & 0x80 != 0 { 0 } else { usize::from(u16::from_be_bytes([command.p1, command.p2])) };
            let le = command.le.unwrap_or(0).min(limit);
            let end = (offset + le).min(file.len());
            let chunk = file.get(offset..end).unwrap_or(&[]).to_vec();
            let sw = if end - offset.min(end) < le { 0x6282 } else { 0x9000 };
            sent.push(command.clone());
            match state.handle(&ResponseApdu::new(chunk, sw)) {
                Ok(ReadNext::More(next, cmd)) => {
                    state = next;
                    command = cmd;
                }
                Ok(ReadNext::Done(content)) => return (Ok(content.to_vec()), sent),
                Err(e) => return (Err(e), sent),
            }
        }
    }

    #[test]
    fn select_names_the_eid_application() {
        assert_eq!(
            select_eid_application().to_bytes().unwrap(),
            vec![0x00, 0xA4, 0x04, 0x0C, 0x09, 0xE8, 0x07, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x02]
        );
    }

    #[test]
    fn small_file_is_read_with_one_command_by_short_file_identifier() {
        let file = tlv::encode(0x64, &tlv::encode(0x0C, "Jürgen".as_bytes()));
        let (content, sent) = read_all(&file, 4);
        assert_eq!(content.unwrap(), file);
        assert_eq!(sent.len(), 1);
        assert_eq!((sent[0].p1, sent[0].p2, sent[0].le), (0x84, 0x00, Some(CHUNK)));
    }

    #[test]
    fn large_file_is_read_in_chunks_by_offset() {
        let file = tlv::encode(0x71, &vec![0x42; 600]);
        let (content, sent) = read_all(&file, 17);
        assert_eq!(content.unwrap(), file);
        assert_eq!(sent.len(), 3);
        assert_eq!((sent[1].p1, sent[1].p2), (0x00, CHUNK as u8));
        assert_eq!(sent[2].le, Some(file.len() - 2 * CHUNK));
    }

    #[test]
    fn with_extended_length_a_large_file_comes_in_one_command() {
        let file = tlv::encode(0x30, &vec![0x42; 1500]);
        let (content, sent) = read_all_with(&file, 0x1D, EXTENDED_CHUNK, usize::MAX);
        assert_eq!(content.unwrap(), file);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].le, Some(EXTENDED_CHUNK));
    }

    #[test]
    fn a_card_that_answers_less_than_asked_is_read_on_from_where_it_stopped() {
        let file = tlv::encode(0x30, &vec![0x42; 1500]);
        let (content, sent) = read_all_with(&file, 0x1D, EXTENDED_CHUNK, 1024);
        assert_eq!(content.unwrap(), file);
        assert_eq!(sent.len(), 2);
        assert_eq!((sent[1].p1, sent[1].p2, sent[1].le), (0x04, 0x00, Some(file.len() - 1024)));
    }

    #[test]
    fn file_ending_before_announced_length_is_short() {
        let mut file = tlv::encode(0x71, &vec![0x42; 300]);
        file.truncate(250);
        let (content, _) = read_all(&file, 17);
        assert_eq!(content, Err(ReadError::ShortFile { got: 250, announced: 304 }));
    }

    #[test]
    fn missing_file_and_denied_access_are_reported() {
        let (state, _) = read_by_sfi(17, CHUNK);
        assert!(matches!(state.handle(&ResponseApdu::new(vec![], 0x6A82)), Err(ReadError::FileNotFound)));
        let (state, _) = read_by_sfi(17, CHUNK);
        assert!(matches!(state.handle(&ResponseApdu::new(vec![], 0x6982)), Err(ReadError::AccessDenied)));
        let (state, _) = read_by_sfi(17, CHUNK);
        assert!(matches!(
            state.handle(&ResponseApdu::new(vec![0x71, 0x80], 0x9000)),
            Err(ReadError::Tlv(TlvError::IndefiniteLength { .. }))
        ));
    }
}
