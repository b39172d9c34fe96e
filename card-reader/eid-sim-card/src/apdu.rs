// SPDX-License-Identifier: GPL-3.0-or-later
//! Command APDUs as the card receives them (ISO/IEC 7816-4 5.1: cases 1 to
//! 4, short and extended length) and the status words it answers with.

use zeroize::Zeroize;

/// Status words used by the card (ISO/IEC 7816-4 5.6, TR-03110-3 B.8).
pub(crate) mod sw {
    pub const OK: u16 = 0x9000;
    pub const END_OF_FILE: u16 = 0x6282;
    pub const DEACTIVATED: u16 = 0x6283;
    pub const AUTH_FAILED: u16 = 0x6300;
    pub const WRONG_LENGTH: u16 = 0x6700;
    pub const SM_NOT_SUPPORTED: u16 = 0x6882;
    pub const SECURITY_NOT_SATISFIED: u16 = 0x6982;
    pub const BLOCKED: u16 = 0x6983;
    pub const CONDITIONS: u16 = 0x6985;
    pub const NO_CURRENT_EF: u16 = 0x6986;
    pub const SM_MISSING: u16 = 0x6987;
    pub const SM_INCORRECT: u16 = 0x6988;
    pub const WRONG_DATA: u16 = 0x6A80;
    pub const FILE_NOT_FOUND: u16 = 0x6A82;
    pub const WRONG_P1P2: u16 = 0x6A86;
    pub const REF_NOT_FOUND: u16 = 0x6A88;
    pub const WRONG_OFFSET: u16 = 0x6B00;
    pub const INS_NOT_SUPPORTED: u16 = 0x6D00;
    pub const CLA_NOT_SUPPORTED: u16 = 0x6E00;

    /// `63Cx`: `x` attempts left.
    pub const fn retries(n: u8) -> u16 {
        0x63C0 | (n as u16 & 0x0F)
    }
}

/// A parsed command; the data is wiped when dropped (it may hold a PIN).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Command {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    /// Ne: `None` when absent, 256 for short `00`, 65536 for extended `0000`.
    pub le: Option<usize>,
}

impl Drop for Command {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl Command {
    /// Parses the bytes of one command APDU, or returns `6700`.
    pub fn parse(bytes: &[u8]) -> Result<Command, u16> {
        let Some((&[cla, ins, p1, p2], body)) = bytes.split_first_chunk::<4>() else {
            return Err(sw::WRONG_LENGTH);
        };
        let short_le = |b: u8| if b == 0 { 256 } else { usize::from(b) };
        let long = |hi: u8, lo: u8| usize::from(u16::from_be_bytes([hi, lo]));
        let long_le = |hi: u8, lo: u8| if long(hi, lo) == 0 { 65_536 } else { long(hi, lo) };
        let (data, le) = match body {
            [] => (&[][..], None),
            [le] => (&[][..], Some(short_le(*le))),
            [0, hi, lo] => (&[][..], Some(long_le(*hi, *lo))),
            [lc, rest @ ..] if *lc != 0 => {
                let lc = usize::from(*lc);
                match rest.len() {
                    n if n == lc => (rest, None),
                    n if n == lc + 1 => (&rest[..lc], Some(short_le(rest[lc]))),
                    _ => return Err(sw::WRONG_LENGTH),
                }
            }
            [0, hi, lo, rest @ ..] if long(*hi, *lo) != 0 => {
                let lc = long(*hi, *lo);
                match rest.len() {
                    n if n == lc => (rest, None),
                    n if n == lc + 2 => (&rest[..lc], Some(long_le(rest[lc], rest[lc + 1]))),
                    _ => return Err(sw::WRONG_LENGTH),
                }
            }
            _ => return Err(sw::WRONG_LENGTH),
        };
        Ok(Command { cla, ins, p1, p2, data: data.to_vec(), le })
    }
}

/// A response: data and status word; the data is wiped when dropped (it
/// may hold personal data).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Response {
    pub data: Vec<u8>,
    pub sw: u16,
}

impl Drop for Response {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl Response {
    pub fn status(sw: u16) -> Self {
        Response { data: Vec::new(), sw }
    }

    pub fn ok(data: Vec<u8>) -> Self {
        Response { data, sw: sw::OK }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.data.clone();
        out.extend_from_slice(&self.sw.to_be_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_cases_short_and_extended_parse() {
        let c = Command::parse(&[0, 0xB0, 0x9C, 0, 0]).unwrap();
        assert_eq!((c.le, c.data.len()), (Some(256), 0));
        let c = Command::parse(&[0, 0xA4, 2, 0x0C, 2, 0x01, 0x1C]).unwrap();
        assert_eq!((c.le, c.data.as_slice()), (None, &[0x01u8, 0x1C][..]));
        let c = Command::parse(&[0, 0x86, 0, 0, 2, 0x7C, 0, 0]).unwrap();
        assert_eq!(c.le, Some(256));
        let c = Command::parse(&[0, 0xB0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(c.le, Some(65_536));
        let mut ext = vec![0, 0x2A, 0, 0xBE, 0, 0x01, 0x2C];
        ext.extend([7u8; 300]);
        ext.extend([0, 0]);
        let c = Command::parse(&ext).unwrap();
        assert_eq!((c.data.len(), c.le), (300, Some(65_536)));
    }

    #[test]
    fn inconsistent_lengths_are_6700() {
        for bad in [&[0u8, 0xA4, 0][..], &[0, 0xA4, 2, 0x0C, 3, 1], &[0, 0xA4, 0, 0, 0, 0], &[0, 1, 2, 3, 0, 0, 5, 1]] {
            assert_eq!(Command::parse(bad), Err(sw::WRONG_LENGTH));
        }
    }
}
