// SPDX-License-Identifier: GPL-3.0-or-later
//! The card's own small BER-TLV reader and writer (ISO/IEC 7816-4 5.2,
//! X.690 8.1): tags of up to three bytes, definite lengths up to 65535.
//! Written for the card; it shares no code with the reader side.

/// One data object: its tag (the tag bytes as a number) and value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// Tag, e.g. `0x7F4C`.
    pub tag: u32,
    /// Value bytes.
    pub value: &'a [u8],
    /// The whole encoding (tag, length and value).
    pub raw: &'a [u8],
}

/// Reads one data object from the start of `input`; returns it and the rest.
/// `None` on any malformation (truncated, indefinite or overlong length).
pub fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let first = *input.first()?;
    let mut pos = 1;
    let mut tag = u32::from(first);
    if first & 0x1F == 0x1F {
        loop {
            let b = *input.get(pos)?;
            pos += 1;
            tag = (tag << 8) | u32::from(b);
            if b & 0x80 == 0 {
                break;
            }
            if pos >= 3 {
                return None;
            }
        }
    }
    let l0 = *input.get(pos)?;
    pos += 1;
    let len = match l0 {
        0..=0x7F => usize::from(l0),
        0x81 => {
            let l = usize::from(*input.get(pos)?);
            pos += 1;
            l
        }
        0x82 => {
            let l = usize::from(u16::from_be_bytes([*input.get(pos)?, *input.get(pos + 1)?]));
            pos += 2;
            l
        }
        _ => return None,
    };
    let end = pos.checked_add(len)?;
    let value = input.get(pos..end)?;
    Some((Tlv { tag, value, raw: &input[..end] }, &input[end..]))
}

/// Reads a sequence of data objects filling `input` exactly.
pub fn read_all(mut input: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (tlv, rest) = read(input)?;
        out.push(tlv);
        input = rest;
    }
    Some(out)
}

/// The value of the first object with `tag`.
pub fn find<'a>(objects: &[Tlv<'a>], tag: u32) -> Option<&'a [u8]> {
    objects.iter().find(|t| t.tag == tag).map(|t| t.value)
}

/// Appends the encoding of `tag` and `value` to `out`.
pub fn put(tag: u32, value: &[u8], out: &mut Vec<u8>) {
    let tag_bytes = tag.to_be_bytes();
    let skip = tag_bytes.iter().take(3).take_while(|b| **b == 0).count();
    out.extend_from_slice(&tag_bytes[skip..]);
    match value.len() {
        n @ 0..=0x7F => out.push(n as u8),
        n @ 0x80..=0xFF => out.extend_from_slice(&[0x81, n as u8]),
        n => {
            let [hi, lo] = (n.min(0xFFFF) as u16).to_be_bytes();
            out.extend_from_slice(&[0x82, hi, lo]);
        }
    }
    out.extend_from_slice(value);
}

/// The encoding of one object.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 4);
    put(tag, value, &mut out);
    out
}

/// A DER INTEGER of a small non-negative number.
pub fn integer(n: u32) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take(3).take_while(|b| **b == 0).count();
    let mut content = Vec::new();
    if bytes[skip] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(&bytes[skip..]);
    encode(0x02, &content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_byte_tags_and_long_lengths_round_trip() {
        let value = vec![0xAB; 300];
        let encoded = encode(0x7F4E, &value);
        assert_eq!(&encoded[..5], &[0x7F, 0x4E, 0x82, 0x01, 0x2C]);
        let (tlv, rest) = read(&encoded).unwrap();
        assert_eq!((tlv.tag, tlv.value.len(), rest.len()), (0x7F4E, 300, 0));
        assert_eq!(encode(0x5F37, &[1; 0x90])[..4], [0x5F, 0x37, 0x81, 0x90]);
    }

    #[test]
    fn malformed_input_is_none() {
        assert_eq!(read(&[]), None);
        assert_eq!(read(&[0x80]), None);
        assert_eq!(read(&[0x80, 0x05, 1, 2]), None);
        assert_eq!(read(&[0x80, 0x83, 0, 0, 1, 0]), None);
        assert_eq!(read(&[0x7F, 0xFF, 0xFF, 0x01, 0x00]), None);
        assert_eq!(read_all(&[0x80, 0x01, 0x00, 0x81]), None);
    }

    #[test]
    fn integers_are_minimal_and_positive() {
        assert_eq!(integer(2), vec![0x02, 0x01, 0x02]);
        assert_eq!(integer(0x80), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(integer(0), vec![0x02, 0x01, 0x00]);
    }
}
