// SPDX-License-Identifier: GPL-3.0-or-later
//! Tracking numbers: what a citizen types at any terminal to follow a request.
//!
//! Twelve characters in three groups (`K7Q4-9XM2-T5HB`) from a 31-character
//! alphabet without look-alikes (no 0/O, 1/I or U/V), the last one a check
//! character: the weighted sum of all twelve values (weights 2…12 for the
//! payload, 1 for the check) is 0 modulo 31. Because 31 is prime and the
//! weights are distinct and non-zero, every single mistyped character and
//! every swap of two neighbours is caught at the keypad instead of asking
//! the portal.

use rand::Rng;
use std::fmt;

/// The characters of codes typed at the terminal: digits and capitals
/// without 0, 1, I, O and U, which are easily confused or spell words.
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKLMNPQRSTVWXYZ";
const LEN: usize = TrackingNumber::LEN;
/// Characters per group when a number is shown or read aloud.
const GROUP: usize = 4;

/// A request's tracking number, always well-formed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TrackingNumber(String);

impl TrackingNumber {
    /// How many characters a tracking number has, check character included.
    pub const LEN: usize = 12;

    /// A fresh random number (54 bits of randomness plus the check character).
    pub fn generate(rng: &mut impl Rng) -> Self {
        let mut chars: Vec<u8> = (0..LEN - 1).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())]).collect();
        chars.push(check_char(&chars));
        TrackingNumber(chars.into_iter().map(char::from).collect())
    }

    /// Reads what a citizen typed: case, spaces and dashes do not matter.
    /// `None` if it is not a valid tracking number (wrong length, a character
    /// outside the alphabet, or a failed check character).
    pub fn parse(typed: &str) -> Option<Self> {
        let compact: Vec<u8> = typed
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| c.to_ascii_uppercase() as u32)
            .map(|c| u8::try_from(c).unwrap_or(0))
            .collect();
        if compact.len() != LEN || !compact.iter().all(|c| ALPHABET.contains(c)) {
            return None;
        }
        (check_char(&compact[..LEN - 1]) == compact[LEN - 1])
            .then(|| TrackingNumber(compact.into_iter().map(char::from).collect()))
    }

    /// The twelve characters without separators, as sent to the portal.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingNumber {
    /// Grouped for reading aloud and typing: `K7Q4-9XM2-T5HB`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&grouped(&self.0))
    }
}

/// What a citizen has typed so far on the tracking-number keypad: at most
/// [`TrackingNumber::LEN`] letters and digits, upper case. Whether it is a
/// tracking number is decided by [`TrackingInput::parse`], when the citizen
/// asks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackingInput(String);

impl TrackingInput {
    /// Adds a typed key; ignores anything but letters and digits, and keys
    /// beyond the length of a tracking number.
    pub fn push(&mut self, key: char) {
        let key = key.to_ascii_uppercase();
        if key.is_ascii_alphanumeric() && self.0.len() < LEN {
            self.0.push(key);
        }
    }

    /// Removes the last key.
    pub fn pop(&mut self) {
        self.0.pop();
    }

    /// The keys typed, without separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether as many keys are typed as a tracking number has.
    pub fn is_complete(&self) -> bool {
        self.0.len() == LEN
    }

    /// The keys typed, grouped as on the receipt (`K7Q4-9X`).
    pub fn grouped(&self) -> String {
        grouped(&self.0)
    }

    /// The tracking number typed, if it is one.
    pub fn parse(&self) -> Option<TrackingNumber> {
        TrackingNumber::parse(&self.0)
    }
}

/// `K7Q49XM2T5HB` as `K7Q4-9XM2-T5HB`; a shorter input as far as it goes.
fn grouped(compact: &str) -> String {
    let groups: Vec<&str> = compact.as_bytes().chunks(GROUP).filter_map(|g| std::str::from_utf8(g).ok()).collect();
    groups.join("-")
}

impl fmt::Debug for TrackingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrackingNumber({self})")
    }
}

/// The position of `c` in [`ALPHABET`] (0 for a character outside it).
pub fn value(c: u8) -> usize {
    ALPHABET.iter().position(|&a| a == c).unwrap_or(0)
}

/// The check character over `payload` (characters of [`ALPHABET`]): the one
/// that makes `sum((i + 2) * value_i) + check` divisible by 31, so that a
/// code with one character mistyped, or two neighbours swapped, is refused.
/// The tracking number and the enrolment code use it.
pub fn check_char(payload: &[u8]) -> u8 {
    let n = ALPHABET.len();
    let sum: usize = payload.iter().enumerate().map(|(i, &c)| (i + 2) * value(c)).sum();
    ALPHABET[(n - sum % n) % n]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn generated_numbers_parse_back_in_any_spelling() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let number = TrackingNumber::generate(&mut rng);
            let shown = number.to_string();
            assert_eq!(shown.len(), 14);
            assert_eq!(TrackingNumber::parse(&shown), Some(number.clone()));
            assert_eq!(TrackingNumber::parse(&shown.to_lowercase().replace('-', " ")), Some(number));
        }
    }

    #[test]
    fn any_single_typo_is_caught() {
        let number = TrackingNumber::generate(&mut StdRng::seed_from_u64(1));
        for pos in 0..LEN {
            for &c in ALPHABET {
                let mut typed = number.as_str().as_bytes().to_vec();
                if typed[pos] == c {
                    continue;
                }
                typed[pos] = c;
                assert_eq!(TrackingNumber::parse(std::str::from_utf8(&typed).unwrap()), None);
            }
        }
    }

    #[test]
    fn swapped_neighbours_are_caught() {
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..50 {
            let number = TrackingNumber::generate(&mut rng);
            for pos in 0..LEN - 1 {
                let mut typed = number.as_str().as_bytes().to_vec();
                if typed[pos] == typed[pos + 1] {
                    continue;
                }
                typed.swap(pos, pos + 1);
                assert_eq!(TrackingNumber::parse(std::str::from_utf8(&typed).unwrap()), None, "{number}");
            }
        }
    }

    #[test]
    fn typed_input_takes_letters_and_digits_up_to_the_length_and_groups_them() {
        let mut typed = TrackingInput::default();
        for key in "k7q4-9xm2 t5hbZZ".chars() {
            typed.push(key);
        }
        assert_eq!(typed.as_str(), "K7Q49XM2T5HB");
        assert!(typed.is_complete());
        typed.pop();
        typed.pop();
        assert_eq!(typed.grouped(), "K7Q4-9XM2-T5");
        assert!(!typed.is_complete());
        assert_eq!(typed.parse(), None);
    }

    #[test]
    fn look_alike_characters_and_wrong_lengths_are_refused() {
        assert_eq!(TrackingNumber::parse("O0I1-2345-6789"), None);
        assert_eq!(TrackingNumber::parse("UUUU-UUUU-UUUU"), None);
        assert_eq!(TrackingNumber::parse("ABCD"), None);
        assert_eq!(TrackingNumber::parse("ÄBCD-EFGH-JKLM"), None);
    }
}
