// SPDX-License-Identifier: GPL-3.0-or-later
//! The sector's block list (Sperrliste, TR-03127 4.4 / TR-03110-2 3.6): the
//! sector-specific identifiers of revoked ID cards, checked after
//! Restricted Identification.
//!
//! The file is `DIR/sector/blocklist.txt`, UTF-8 text, one item a line
//! (blank lines and lines starting with `#` are ignored):
//!
//! ```text
//! issued: 2026-12-02
//! next-update: 2026-12-09
//! 5f0c…e1   (64 hex digits: a revoked card's SHA-256 sector-specific identifier)
//! ```
//!
//! This is the terminal's own plain format, not the CMS-signed BlackList of
//! TR-03129: the list is trusted because it arrives with the rest of the
//! terminal's configuration (the same channel as its private key), not by a
//! signature of its own.
//!
//! A list past its next update is still used, like a stale CRL (see
//! [`crate::EidConfig`]): it still blocks every card it names, and refusing
//! every citizen because an update is late would shut everyone out for what
//! is the maintainer's task. It is reported through
//! [`crate::EidConfig::stale_lists`] and warned about in the journal.

use eid::cvc::CvcDate;
use eid::restricted_identification::{IDENTIFIER_LEN, SectorIdentifier};
use std::collections::HashSet;
use thiserror::Error;

/// Why the block list could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BlockListError {
    /// The file is not UTF-8 text.
    #[error("the block list is not UTF-8 text")]
    NotText,
    /// A line is neither a date header nor 64 hex digits.
    #[error("line {0} of the block list is neither a date nor a 64-digit hex identifier")]
    BadLine(usize),
    /// A date is not `YYYY-MM-DD`.
    #[error("line {0} of the block list has a date that is not YYYY-MM-DD")]
    BadDate(usize),
    /// The `issued:` or `next-update:` line is missing or repeated.
    #[error("the block list needs exactly one `issued:` and one `next-update:` line")]
    MissingDates,
}

/// A parsed block list.
#[derive(Clone, PartialEq, Eq)]
pub struct BlockList {
    blocked: HashSet<[u8; IDENTIFIER_LEN]>,
    /// When the list was issued.
    pub issued: CvcDate,
    /// When the next list is due.
    pub next_update: CvcDate,
}

impl std::fmt::Debug for BlockList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockList")
            .field("entries", &self.blocked.len())
            .field("issued", &self.issued)
            .field("next_update", &self.next_update)
            .finish()
    }
}

impl BlockList {
    /// Parses the file's content (format in the module docs).
    pub fn parse(content: &[u8]) -> Result<Self, BlockListError> {
        let text = std::str::from_utf8(content).map_err(|_| BlockListError::NotText)?;
        let (mut issued, mut next_update, mut blocked) = (Vec::new(), Vec::new(), HashSet::new());
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(date) = line.strip_prefix("issued:") {
                issued.push(date_of(date.trim()).ok_or(BlockListError::BadDate(number))?);
            } else if let Some(date) = line.strip_prefix("next-update:") {
                next_update.push(date_of(date.trim()).ok_or(BlockListError::BadDate(number))?);
            } else {
                blocked.insert(identifier_of(line).ok_or(BlockListError::BadLine(number))?);
            }
        }
        match (issued.as_slice(), next_update.as_slice()) {
            ([issued], [next_update]) => Ok(Self { blocked, issued: *issued, next_update: *next_update }),
            _ => Err(BlockListError::MissingDates),
        }
    }

    /// Whether the card with `identifier` is revoked.
    pub fn blocks(&self, identifier: &SectorIdentifier) -> bool {
        <[u8; IDENTIFIER_LEN]>::try_from(identifier.as_bytes()).is_ok_and(|id| self.blocked.contains(&id))
    }

    /// How many cards the list blocks.
    pub fn len(&self) -> usize {
        self.blocked.len()
    }

    /// Whether the list blocks no card.
    pub fn is_empty(&self) -> bool {
        self.blocked.is_empty()
    }
}

fn date_of(text: &str) -> Option<CvcDate> {
    let mut parts = text.splitn(3, '-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let date = CvcDate { year: year.parse().ok()?, month: month.parse().ok()?, day: day.parse().ok()? };
    ((1..=12).contains(&date.month) && (1..=31).contains(&date.day)).then_some(date)
}

fn identifier_of(hex: &str) -> Option<[u8; IDENTIFIER_LEN]> {
    if hex.len() != 2 * IDENTIFIER_LEN || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; IDENTIFIER_LEN];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "# test sector\nissued: 2026-12-02\nnext-update: 2026-12-09\n\n\
        00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\n";

    #[test]
    fn the_list_has_its_dates_and_its_identifiers() {
        let list = BlockList::parse(LIST.as_bytes()).unwrap();
        assert_eq!(list.issued, CvcDate { year: 2026, month: 12, day: 2 });
        assert_eq!(list.next_update, CvcDate { year: 2026, month: 12, day: 9 });
        assert_eq!(list.len(), 1);
        assert!(!format!("{list:?}").contains("0011"), "no identifier in the debug output");
    }

    #[test]
    fn a_malformed_line_or_date_names_its_line() {
        let bad = LIST.replace("FF00", "FF0");
        assert_eq!(BlockList::parse(bad.as_bytes()), Err(BlockListError::BadLine(5)));
        let bad = LIST.replace("2026-12-09", "2026-13-09");
        assert_eq!(BlockList::parse(bad.as_bytes()), Err(BlockListError::BadDate(3)));
        let bad = LIST.replace("issued: 2026-12-02\n", "");
        assert_eq!(BlockList::parse(bad.as_bytes()), Err(BlockListError::MissingDates));
        assert_eq!(BlockList::parse(&[0xFF, 0xFE]), Err(BlockListError::NotText));
    }
}
