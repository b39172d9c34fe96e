// SPDX-License-Identifier: GPL-3.0-or-later
//! Where the citizen types the PIN: on the terminal's screen, or on the
//! card reader's own keypad when the reader runs PACE itself (PC/SC part 10
//! amendment 1, `FEATURE_EXECUTE_PACE`), so that the PIN never reaches the
//! terminal.

/// Where the citizen types the PIN that opens the card for reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PinEntry {
    /// On the terminal's screen; the session hands the PIN to the reader.
    #[default]
    OnScreen,
    /// On the reader's keypad; the session never holds the PIN.
    OnReader,
}
