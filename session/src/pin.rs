// SPDX-License-Identifier: GPL-3.0-or-later
//! The secrets a citizen types on the PIN pad.

use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret the citizen types on the PIN pad: the 6-digit eID PIN, the
/// 5-digit transport PIN, the 6-digit CAN or the 10-digit PUK.
///
/// Never displayed (the UI gets only [`Pin::len`]), never logged (`Debug`
/// prints a mask), never stored, and zeroized on drop.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct Pin(String);

impl Pin {
    /// The longest secret the pad accepts (a PUK).
    pub const MAX_LEN: usize = 10;

    /// Appends a digit; ignores anything else and input beyond `MAX_LEN`.
    pub fn push(&mut self, digit: char) {
        if digit.is_ascii_digit() && self.0.len() < Self::MAX_LEN {
            self.0.push(digit);
        }
    }

    /// Removes the last digit.
    pub fn pop(&mut self) {
        self.0.pop();
    }

    /// Number of digits typed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing has been typed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The digits, for the card reader only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin(<{} digits>)", self.0.len())
    }
}
