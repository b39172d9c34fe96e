// SPDX-License-Identifier: GPL-3.0-or-later
//! BER-TLV as used by ISO/IEC 7816-4 (clause 5.2) and the eID data structures.
//!
//! The card speaks a restricted BER: tags of one to three bytes (ISO/IEC 8825-1
//! 8.1.2), definite lengths only (8.1.3), length fields of at most four bytes
//! after the initial `0x8N` byte. Anything else (indefinite length, reserved
//! `0xFF` length byte, five-byte lengths, values running past the input) is
//! rejected with a [`TlvError`] instead of being guessed at.

use thiserror::Error;

/// A BER tag, kept as its encoded bytes packed big-endian into a `u32`
/// (`0x7F49` for the two-byte tag `7F 49`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u32);

impl Tag {
    /// First byte of the encoded tag.
    fn first_byte(self) -> u8 {
        let bytes = self.0.to_be_bytes();
        bytes.iter().copied().find(|b| *b != 0).unwrap_or(0)
    }

    /// Whether the constructed bit (bit 6 of the first byte, ISO/IEC 8825-1
    /// 8.1.2.5) is set, i.e. the value is itself a sequence of TLVs.
    pub fn is_constructed(self) -> bool {
        self.first_byte() & 0x20 != 0
    }

    /// Appends the encoded tag bytes to `out`.
    pub fn encode_into(self, out: &mut Vec<u8>) {
        let bytes = self.0.to_be_bytes();
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(3);
        out.extend_from_slice(&bytes[start..]);
    }
}

/// Why a byte string is not acceptable BER-TLV.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TlvError {
    /// The input ended in the middle of a tag, length or value. The card sent
    /// a cut-off response; re-read the file or treat the card as faulty.
    #[error("TLV truncated: needed {needed} more byte(s) at offset {offset}")]
    Truncated {
        /// Offset at which the missing bytes should have started.
        offset: usize,
        /// How many bytes were missing.
        needed: usize,
    },
    /// Length byte `0x80`: indefinite length, which ISO/IEC 7816-4 5.2 forbids.
    #[error("indefinite length at offset {offset} is not allowed in card data")]
    IndefiniteLength {
        /// Offset of the length byte.
        offset: usize,
    },
    /// A length field longer than four bytes, or the reserved byte `0xFF`.
    #[error("length field at offset {offset} is longer than 4 bytes")]
    OverlongLength {
        /// Offset of the length byte.
        offset: usize,
    },
    /// A tag longer than three bytes, or a multi-byte tag with a redundant
    /// leading `0x80` (ISO/IEC 8825-1 8.1.2.4.2 c).
    #[error("malformed tag at offset {offset}")]
    MalformedTag {
        /// Offset of the first tag byte.
        offset: usize,
    },
    /// Bytes left over after the last TLV where none were expected.
    #[error("{count} unexpected trailing byte(s) after TLV data")]
    TrailingBytes {
        /// Number of left-over bytes.
        count: usize,
    },
    /// A required data object was missing from a constructed TLV.
    #[error("required data object with tag {tag:X} is missing")]
    Missing {
        /// The tag that was looked for.
        tag: u32,
    },
    /// A data object had a different tag than the structure requires.
    #[error("expected tag {expected:X}, found {found:X}")]
    UnexpectedTag {
        /// The tag the structure requires.
        expected: u32,
        /// The tag found in the data.
        found: u32,
    },
}

/// One parsed data object borrowing its value from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag.
    pub tag: Tag,
    /// The value bytes (for constructed tags: the encoded children).
    pub value: &'a [u8],
    /// The complete encoding (tag, length and value) of this object.
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Parses the value of a constructed object into its children.
    pub fn children(&self) -> Result<Vec<Tlv<'a>>, TlvError> {
        parse_all(self.value)
    }

    /// Fails with [`TlvError::UnexpectedTag`] unless this object has `tag`.
    pub fn expect_tag(self, tag: u32) -> Result<Self, TlvError> {
        if self.tag.0 == tag { Ok(self) } else { Err(TlvError::UnexpectedTag { expected: tag, found: self.tag.0 }) }
    }
}

/// Parses exactly one TLV at the start of `input` and returns it with the rest.
pub fn parse_one(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    parse_at(input, 0)
}

/// Parses `input` as exactly one TLV with no trailing bytes.
pub fn parse_single(input: &[u8]) -> Result<Tlv<'_>, TlvError> {
    let (tlv, rest) = parse_one(input)?;
    if rest.is_empty() { Ok(tlv) } else { Err(TlvError::TrailingBytes { count: rest.len() }) }
}

/// Parses a concatenation of TLVs that must use up all of `input`.
pub fn parse_all(input: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut out = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let offset = input.len() - rest.len();
        let (tlv, tail) = parse_at(rest, offset)?;
        out.push(tlv);
        rest = tail;
    }
    Ok(out)
}

/// Returns the first object with `tag` in `objects`.
pub fn find<'a>(objects: &[Tlv<'a>], tag: u32) -> Option<Tlv<'a>> {
    objects.iter().copied().find(|t| t.tag.0 == tag)
}

/// Returns the first object with `tag`, or [`TlvError::Missing`].
pub fn require<'a>(objects: &[Tlv<'a>], tag: u32) -> Result<Tlv<'a>, TlvError> {
    find(objects, tag).ok_or(TlvError::Missing { tag })
}

/// Decoded tag and length of a TLV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The tag.
    pub tag: Tag,
    /// Bytes taken by tag and length fields.
    pub header_len: usize,
    /// Length of the value.
    pub value_len: usize,
}

/// Decodes the tag and length at the start of `input` without requiring the
/// value to be present (for reading a file in chunks).
pub fn parse_header(input: &[u8]) -> Result<Header, TlvError> {
    header_at(input, 0)
}

fn header_at(input: &[u8], base: usize) -> Result<Header, TlvError> {
    let truncated = |at: usize, needed: usize| TlvError::Truncated { offset: base + at, needed };
    let first = *input.first().ok_or_else(|| truncated(0, 1))?;
    let mut tag = u32::from(first);
    let mut pos = 1;
    // ISO/IEC 8825-1 8.1.2.4: low five bits all set means more tag bytes
    // follow, each with bit 8 set except the last.
    if first & 0x1F == 0x1F {
        loop {
            let b = *input.get(pos).ok_or_else(|| truncated(pos, 1))?;
            if pos == 1 && b == 0x80 {
                return Err(TlvError::MalformedTag { offset: base });
            }
            tag = (tag << 8) | u32::from(b);
            pos += 1;
            if b & 0x80 == 0 {
                break;
            }
            if pos >= 3 {
                return Err(TlvError::MalformedTag { offset: base });
            }
        }
    }
    let len_offset = pos;
    let len_byte = *input.get(pos).ok_or_else(|| truncated(pos, 1))?;
    pos += 1;
    let value_len = match len_byte {
        0x00..=0x7F => usize::from(len_byte),
        0x80 => {
            return Err(TlvError::IndefiniteLength { offset: base + len_offset });
        }
        0x81..=0x84 => {
            let count = usize::from(len_byte & 0x7F);
            let field = input.get(pos..pos + count).ok_or_else(|| truncated(pos, pos + count - input.len()))?;
            pos += count;
            field.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
        }
        _ => {
            return Err(TlvError::OverlongLength { offset: base + len_offset });
        }
    };
    Ok(Header { tag: Tag(tag), header_len: pos, value_len })
}

fn parse_at(input: &[u8], base: usize) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let header = header_at(input, base)?;
    let pos = header.header_len;
    let available = input.len() - pos;
    if header.value_len > available {
        return Err(TlvError::Truncated { offset: base + pos, needed: header.value_len - available });
    }
    let end = pos + header.value_len;
    Ok((Tlv { tag: header.tag, value: &input[pos..end], raw: &input[..end] }, &input[end..]))
}

/// Appends the minimal definite-length encoding of `len` (ISO/IEC 8825-1 8.1.3).
pub fn encode_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(7);
        out.push(0x80 | (8 - start) as u8);
        out.extend_from_slice(&bytes[start..]);
    }
}

/// Appends one encoded TLV to `out`.
pub fn encode_into(tag: u32, value: &[u8], out: &mut Vec<u8>) {
    Tag(tag).encode_into(out);
    encode_length(value.len(), out);
    out.extend_from_slice(value);
}

/// Encodes one TLV into a fresh vector.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    encode_into(tag, value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_byte_tag_and_short_length_parse() {
        let (tlv, rest) = parse_one(&[0x80, 0x02, 0xAB, 0xCD, 0x99]).unwrap();
        assert_eq!(tlv.tag, Tag(0x80));
        assert_eq!(tlv.value, &[0xAB, 0xCD]);
        assert_eq!(tlv.raw, &[0x80, 0x02, 0xAB, 0xCD]);
        assert_eq!(rest, &[0x99]);
    }

    #[test]
    fn two_and_three_byte_tags_parse() {
        let (tlv, _) = parse_one(&[0x7F, 0x49, 0x01, 0x00]).unwrap();
        assert_eq!(tlv.tag, Tag(0x7F49));
        assert!(tlv.tag.is_constructed());
        let (tlv, _) = parse_one(&[0x5F, 0x81, 0x02, 0x00]).unwrap();
        assert_eq!(tlv.tag, Tag(0x5F8102));
        assert!(!tlv.tag.is_constructed());
    }

    #[test]
    fn four_byte_tag_is_rejected() {
        assert_eq!(parse_one(&[0x5F, 0x81, 0x82, 0x03, 0x00]), Err(TlvError::MalformedTag { offset: 0 }));
    }

    #[test]
    fn tag_with_redundant_leading_0x80_is_rejected() {
        assert_eq!(parse_one(&[0x5F, 0x80, 0x01, 0x00]), Err(TlvError::MalformedTag { offset: 0 }));
    }

    #[test]
    fn long_form_lengths_of_one_to_four_bytes_parse() {
        let value = vec![0x55; 300];
        for field in [vec![0x82, 0x01, 0x2C], vec![0x83, 0x00, 0x01, 0x2C], vec![0x84, 0x00, 0x00, 0x01, 0x2C]] {
            let mut data = vec![0x04];
            data.extend_from_slice(&field);
            data.extend_from_slice(&value);
            let tlv = parse_single(&data).unwrap();
            assert_eq!(tlv.value.len(), 300);
        }
        let tlv = parse_single(&[0x04, 0x81, 0x01, 0x42]).unwrap();
        assert_eq!(tlv.value, &[0x42]);
    }

    #[test]
    fn indefinite_length_is_rejected() {
        assert_eq!(parse_one(&[0x30, 0x80, 0x00, 0x00]), Err(TlvError::IndefiniteLength { offset: 1 }));
    }

    #[test]
    fn five_byte_length_field_is_rejected() {
        assert_eq!(parse_one(&[0x04, 0x85, 0, 0, 0, 0, 1, 0]), Err(TlvError::OverlongLength { offset: 1 }));
        assert_eq!(parse_one(&[0x04, 0xFF]), Err(TlvError::OverlongLength { offset: 1 }));
    }

    #[test]
    fn truncated_input_is_reported_with_offset() {
        assert_eq!(parse_one(&[]), Err(TlvError::Truncated { offset: 0, needed: 1 }));
        assert_eq!(parse_one(&[0x7F]), Err(TlvError::Truncated { offset: 1, needed: 1 }));
        assert_eq!(parse_one(&[0x04]), Err(TlvError::Truncated { offset: 1, needed: 1 }));
        assert_eq!(parse_one(&[0x04, 0x82, 0x01]), Err(TlvError::Truncated { offset: 2, needed: 1 }));
        assert_eq!(parse_one(&[0x04, 0x03, 0x01]), Err(TlvError::Truncated { offset: 2, needed: 2 }));
    }

    #[test]
    fn huge_declared_length_does_not_overflow() {
        assert!(matches!(
            parse_one(&[0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]),
            Err(TlvError::Truncated { offset: 6, .. })
        ));
    }

    #[test]
    fn parse_all_reports_offsets_relative_to_whole_input() {
        assert_eq!(parse_all(&[0x80, 0x00, 0x81, 0x05]), Err(TlvError::Truncated { offset: 4, needed: 5 }));
    }

    #[test]
    fn header_is_decoded_before_the_value_arrives() {
        assert_eq!(
            parse_header(&[0x71, 0x82, 0x01, 0x2C, 0xAA]),
            Ok(Header { tag: Tag(0x71), header_len: 4, value_len: 300 })
        );
        assert!(matches!(parse_header(&[0x71, 0x82, 0x01]), Err(TlvError::Truncated { .. })));
    }

    #[test]
    fn parse_single_rejects_trailing_bytes() {
        assert_eq!(parse_single(&[0x80, 0x00, 0x00]), Err(TlvError::TrailingBytes { count: 1 }));
    }

    #[test]
    fn children_of_constructed_object_parse() {
        let data = [0x7C, 0x06, 0x80, 0x01, 0xAA, 0x81, 0x01, 0xBB];
        let outer = parse_single(&data).unwrap();
        let kids = outer.children().unwrap();
        assert_eq!(kids.len(), 2);
        assert_eq!(require(&kids, 0x81).unwrap().value, &[0xBB]);
        assert_eq!(require(&kids, 0x82), Err(TlvError::Missing { tag: 0x82 }));
    }

    #[test]
    fn encoding_uses_minimal_lengths_and_round_trips() {
        for len in [0usize, 1, 127, 128, 255, 256, 65535, 65536] {
            let value = vec![0xA5; len];
            let enc = encode(0x5F20, &value);
            let expected_len_field = match len {
                0..=127 => 1,
                128..=255 => 2,
                256..=65535 => 3,
                _ => 4,
            };
            assert_eq!(enc.len(), 2 + expected_len_field + len);
            let tlv = parse_single(&enc).unwrap();
            assert_eq!(tlv.tag, Tag(0x5F20));
            assert_eq!(tlv.value, &value[..]);
        }
        assert_eq!(encode(0x80, &[1]), vec![0x80, 0x01, 0x01]);
        assert_eq!(encode(0x7F4C, &[]), vec![0x7F, 0x4C, 0x00]);
    }
}
