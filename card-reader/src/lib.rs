// SPDX-License-Identifier: GPL-3.0-or-later
//! The card-reader seam of the Bürgerterminal.
//!
//! The session asks for two things of a card reader: tell me when a card
//! comes and goes, and read these items from the card with this PIN. That is
//! the [`CardReader`] trait. The PC/SC implementation (pcscd, PACE, Terminal
//! and Chip Authentication) plugs in behind it; demo mode and the UI tests use
//! [`SimulatedReader`], which holds the specimen card and behaves like a real
//! one towards the session: retry counter, suspended and blocked PIN, CAN,
//! deactivated eID function, card removal.

mod simulated;

pub use simulated::{CardFile, CardFileError, SimulatedCardSlot, SimulatedReader};

use session::{CardData, CardError, CardItem, Pin};
use std::time::Duration;

/// What happens at the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardEvent {
    /// A card was inserted.
    Inserted,
    /// The card was removed: the session wipes.
    Removed,
    /// The reader disappeared (unplugged).
    ReaderGone,
    /// The reader is back.
    ReaderBack,
}

/// A card reader as the session needs it.
///
/// Contract:
/// - [`CardReader::next_event`] blocks for at most `timeout` and returns the
///   next change at the reader, or `None` if nothing changed. A card that is
///   already present when the reader is first asked is reported as
///   [`CardEvent::Inserted`].
/// - [`CardReader::read`] authenticates with the citizen's PIN (after the CAN
///   if the PIN is suspended) and returns exactly `items`, nothing else. It
///   never logs or keeps the PIN. Its errors are the card's own answers
///   ([`CardError::WrongPin`] with the attempts left, [`CardError::PinSuspended`],
///   [`CardError::PinBlocked`], [`CardError::Deactivated`]) or the fault that
///   stopped it ([`CardError::CardRemoved`], [`CardError::Unreadable`],
///   [`CardError::Reader`]); it returns within the reader's own timeouts.
pub trait CardReader: Send {
    /// The next event at the reader, waiting at most `timeout`.
    fn next_event(&mut self, timeout: Duration) -> Option<CardEvent>;

    /// Reads `items` from the card, authenticating with `pin` (and `can`).
    fn read(&mut self, pin: &Pin, can: Option<&Pin>, items: &[CardItem]) -> Result<CardData, CardError>;
}
