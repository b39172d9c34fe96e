// SPDX-License-Identifier: GPL-3.0-or-later
//! The one-time enrolment code a maintainer types on the terminal.
//!
//! Sixteen characters in four groups (`K7Q4-9XM2-T5HB-3C8L`) from the
//! tracking number's 31-character alphabet without look-alikes (no 0/O, 1/I
//! or U/V), so the same touch keypad serves both:
//!
//! - the first group (4 characters) is the **reference**: the CA's handle
//!   for the shared secret, sent as `senderKID` (RFC 9483 4.1.5, "the
//!   reference value"). It is not secret;
//! - the next 11 characters are the **secret**, the PasswordBasedMac
//!   password (RFC 4210 5.1.3.1), about 54 bits. Offline guessing against a
//!   captured request also pays for the 10 000 SHA-256 iterations of the
//!   key derivation, and the code is worthless once the CA has used it;
//! - the last character is the check character over the fifteen before it,
//!   as for tracking numbers (`session::tracking`): the weighted sum of all
//!   sixteen values (weights 2…16 for the payload, 1 for the check) is 0
//!   modulo 31. 31 is prime and the weights are distinct and non-zero
//!   modulo 31, so every single mistyped character and every swap of two
//!   neighbours is caught at the keypad instead of costing a round trip and
//!   the CA's failed-attempt counter.
//!
//! Both travel as their upper-case ASCII characters: the CA's registration
//! tool that hands out the code stores the reference and the secret as
//! text.

use session::tracking::{ALPHABET, check_char};
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const REFERENCE_LEN: usize = 4;
const SECRET_LEN: usize = 11;
const LEN: usize = EnrolmentCode::LEN;
const GROUP: usize = 4;

/// Why a typed enrolment code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Too few or too many characters.
    #[error("an enrolment code has 16 characters, {0} were typed: type the whole code as the CA issued it")]
    Length(usize),
    /// A character outside the alphabet (which has no 0, 1, I, O, U).
    #[error("the enrolment code contains a character it cannot have (codes have no 0, 1, I, O or U): check the code")]
    Character,
    /// The check character does not fit: a typing mistake.
    #[error("the enrolment code's check character does not match: a character is mistyped, check the code")]
    Check,
}

/// A well-formed enrolment code. The secret is wiped when the code is
/// dropped, and neither `Debug` nor anything else prints it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct EnrolmentCode {
    chars: [u8; LEN],
}

impl EnrolmentCode {
    /// Characters in a code, check character included.
    pub const LEN: usize = 16;

    /// Reads what a maintainer typed: case, spaces and dashes do not matter.
    pub fn parse(typed: &str) -> Result<Self, CodeError> {
        let compact: Zeroizing<Vec<u8>> = Zeroizing::new(
            typed
                .chars()
                .filter(|c| !matches!(c, '-' | ' '))
                .map(|c| u8::try_from(u32::from(c.to_ascii_uppercase())).unwrap_or(0))
                .collect(),
        );
        if compact.len() != LEN {
            return Err(CodeError::Length(compact.len()));
        }
        if !compact.iter().all(|c| ALPHABET.contains(c)) {
            return Err(CodeError::Character);
        }
        if check_char(&compact[..LEN - 1]) != compact[LEN - 1] {
            return Err(CodeError::Check);
        }
        let mut chars = [0u8; LEN];
        chars.copy_from_slice(&compact);
        Ok(EnrolmentCode { chars })
    }

    /// The reference (`senderKID`, RFC 9483 4.1.5): the first group.
    pub fn reference(&self) -> &[u8] {
        &self.chars[..REFERENCE_LEN]
    }

    /// The shared secret, the PasswordBasedMac password.
    pub(crate) fn secret(&self) -> &[u8] {
        &self.chars[REFERENCE_LEN..REFERENCE_LEN + SECRET_LEN]
    }
}

impl fmt::Debug for EnrolmentCode {
    /// The reference only: it names the code for the CA's operator without
    /// revealing it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reference = std::str::from_utf8(self.reference()).unwrap_or("?");
        write!(f, "EnrolmentCode({reference}-…)")
    }
}

/// Grouped for display on the CA side and in tests: `K7Q4-9XM2-T5HB-3C8L`.
/// Only the CA's tool (and tests) make codes; the terminal only parses them.
pub fn format_code(reference: &str, secret: &str) -> Option<String> {
    let payload: Vec<u8> = reference.bytes().chain(secret.bytes()).collect();
    if reference.len() != REFERENCE_LEN || secret.len() != SECRET_LEN || !payload.iter().all(|c| ALPHABET.contains(c)) {
        return None;
    }
    let mut chars = payload;
    chars.push(check_char(&chars));
    let groups: Vec<&str> = chars.chunks(GROUP).filter_map(|g| std::str::from_utf8(g).ok()).collect();
    Some(groups.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use session::tracking::value;

    fn valid() -> String {
        format_code("K7Q4", "9XM2T5HB3C8").expect("valid payload")
    }

    #[test]
    fn a_formatted_code_parses_in_any_spelling_and_splits_into_reference_and_secret() {
        let shown = valid();
        assert_eq!(shown.len(), 19);
        for spelling in [shown.clone(), shown.to_lowercase(), shown.replace('-', " "), shown.replace('-', "")] {
            let code = EnrolmentCode::parse(&spelling).expect("valid code");
            assert_eq!(code.reference(), b"K7Q4");
            assert_eq!(code.secret(), b"9XM2T5HB3C8");
        }
    }

    #[test]
    fn the_documented_example_is_a_valid_code() {
        assert_eq!(valid(), "K7Q4-9XM2-T5HB-3C8L");
    }

    #[test]
    fn the_check_character_makes_the_weighted_sum_divisible_by_31() {
        let code = EnrolmentCode::parse(&valid()).expect("valid code");
        let sum: usize = code.chars[..LEN - 1].iter().enumerate().map(|(i, &c)| (i + 2) * value(c)).sum::<usize>()
            + value(code.chars[LEN - 1]);
        assert_eq!(sum % 31, 0);
    }

    #[test]
    fn every_single_mistyped_character_is_caught() {
        let good: Vec<u8> = valid().bytes().filter(|&c| c != b'-').collect();
        for position in 0..LEN {
            for &other in ALPHABET.iter().filter(|&&a| a != good[position]) {
                let mut typed = good.clone();
                typed[position] = other;
                let typed = String::from_utf8(typed).expect("ascii");
                assert_eq!(EnrolmentCode::parse(&typed), Err(CodeError::Check), "{position} {other}");
            }
        }
    }

    #[test]
    fn every_swap_of_two_different_neighbours_is_caught() {
        let good: Vec<u8> = valid().bytes().filter(|&c| c != b'-').collect();
        for position in 0..LEN - 1 {
            if good[position] == good[position + 1] {
                continue;
            }
            let mut typed = good.clone();
            typed.swap(position, position + 1);
            let typed = String::from_utf8(typed).expect("ascii");
            assert_eq!(EnrolmentCode::parse(&typed), Err(CodeError::Check), "{position}");
        }
    }

    #[test]
    fn wrong_lengths_and_look_alike_characters_are_refused_with_their_own_error() {
        assert_eq!(EnrolmentCode::parse("K7Q4-9XM2"), Err(CodeError::Length(8)));
        assert_eq!(EnrolmentCode::parse(&format!("{}2", valid())), Err(CodeError::Length(17)));
        let with_zero = valid().replacen('K', "0", 1);
        assert_eq!(EnrolmentCode::parse(&with_zero), Err(CodeError::Character));
        assert_eq!(EnrolmentCode::parse("K7Q4-9XM2-T5HB-3C8Ä"), Err(CodeError::Character));
    }

    #[test]
    fn debug_shows_the_reference_and_never_the_secret() {
        let code = EnrolmentCode::parse(&valid()).expect("valid code");
        let shown = format!("{code:?}");
        assert_eq!(shown, "EnrolmentCode(K7Q4-…)");
        assert!(!shown.contains("9XM2"));
    }
}
