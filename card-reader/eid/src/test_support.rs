// SPDX-License-Identifier: GPL-3.0-or-later
//! Helpers shared by the unit tests.

/// Decodes hex, ignoring whitespace; panics on bad input (tests only).
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len().is_multiple_of(2), "odd number of hex digits in {s:?}");
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).expect("ASCII hex");
            u8::from_str_radix(text, 16).expect("hex digit")
        })
        .collect()
}
