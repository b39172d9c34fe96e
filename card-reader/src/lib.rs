// SPDX-License-Identifier: GPL-3.0-or-later
//! The card-reader seam of the Bürgerterminal.
//!
//! The session asks for two things of a card reader: tell me when a card
//! comes and goes, and read these items from the card with this PIN. That is
//! the [`CardReader`] trait.
//!
//! Behind it, one code path speaks to the German eID card: [`EidReader`]
//! drives the sans-I/O protocol core (crate `eid`: PACE, Terminal
//! Authentication, passive authentication, Chip Authentication, data groups,
//! PIN management) over an [`ApduTransport`], with the terminal's
//! certificates, key and CSCA trust list from an [`EidConfig`]. The PC/SC
//! reader (crate `reader-pcsc`) is one transport; demo mode's simulated
//! reader (crate `kiosk-demo`) is another, leading in-process into the
//! OpenPACE-based simulated card of crate `eid-sim-card`, so the demo
//! identifies exactly as a real terminal does.

mod authorisation;
mod block_list;
mod eid_config;
mod eid_fault;
mod eid_reader;
mod pin_pad;
pub mod renewal;

pub use authorisation::{Authorisation, AuthorisationChange};
pub use block_list::{BlockList, BlockListError};
pub use eid_config::{EidConfig, EidConfigError, RENEW_AHEAD_DAYS};
pub use eid_fault::EidFault;
pub use eid_reader::{ApduTransport, EidReader, EidSession, OperationStats, TransportError};
pub use pin_pad::PinPadReader;
pub use session::PinEntry;

use session::{CardData, CardDate, CardError, CardItem, Fault, Pin};
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
    /// The terminal's eID authorisation expired ([`Authorisation::poll`]).
    AuthorisationLapsed,
    /// A renewed authorisation replaced the expired one.
    AuthorisationRenewed,
}

impl From<AuthorisationChange> for CardEvent {
    fn from(change: AuthorisationChange) -> Self {
        match change {
            AuthorisationChange::Lapsed => CardEvent::AuthorisationLapsed,
            AuthorisationChange::Renewed => CardEvent::AuthorisationRenewed,
        }
    }
}

/// A card reader as the session needs it.
///
/// Contract:
/// - [`CardReader::next_event`] blocks for at most `timeout` and returns the
///   next change at the reader, or `None` if nothing changed. A card that is
///   already present when the reader is first asked is reported as
///   [`CardEvent::Inserted`]. A reader that authenticates with an
///   [`Authorisation`] polls it there and reports its expiry and renewal.
/// - [`CardReader::read`] authenticates with the citizen's PIN (after the CAN
///   if the PIN is suspended) and returns exactly `items`, nothing else. It
///   never logs or keeps the PIN. Its errors are the card's own answers
///   ([`CardError::WrongPin`] with the attempts left, [`CardError::PinSuspended`],
///   [`CardError::PinBlocked`], [`CardError::Deactivated`], [`CardError::Expired`],
///   [`CardError::Revoked`]) or the fault that
///   stopped it ([`CardError::CardRemoved`], [`CardError::Unreadable`],
///   [`CardError::Reader`]); it returns within the reader's own timeouts.
/// - [`CardReader::change_pin`] authenticates with `current` (the 6-digit PIN
///   or the 5-digit transport PIN; after the CAN if the PIN is suspended) and
///   sets `new` (6 digits). [`CardReader::unblock_pin`] authenticates with the
///   PUK and resets the PIN's retry counter; the PIN itself stays as it was.
///   Both fail like `read` does, plus [`CardError::WrongPuk`].
/// - [`CardReader::pin_entry`] says where the citizen types the PIN for
///   [`CardReader::read`]: on the screen (the reader gets it as a [`Pin`]),
///   or on the reader's own keypad ([`PinEntry::OnReader`], a reader that
///   runs PACE itself), and then the session calls
///   [`CardReader::read_on_reader`] and never holds the PIN. The secrets of
///   the PIN service are typed on the screen on every reader.
/// - A technical fault ([`CardError::Unreadable`], [`CardError::NotGenuine`],
///   [`CardError::TerminalRefused`], [`CardError::Reader`]) carries the
///   reader's typed error as its [`session::Fault`]; for [`EidReader`] that
///   is an [`EidFault`].
pub trait CardReader: Send {
    /// The next event at the reader, waiting at most `timeout`.
    fn next_event(&mut self, timeout: Duration) -> Option<CardEvent>;

    /// Reads `items` from the card, authenticating with `pin` (and `can`).
    fn read(&mut self, pin: &Pin, can: Option<&Pin>, items: &[CardItem]) -> Result<CardData, CardError>;

    /// Where the citizen types the PIN for reading: on the screen unless the
    /// reader runs PACE itself.
    fn pin_entry(&self) -> PinEntry {
        PinEntry::OnScreen
    }

    /// Reads `items` with the PIN typed on the reader's keypad (the CAN
    /// first, also on the keypad, when `can_first`). Fails like `read`, plus
    /// [`CardError::EntryCancelled`]; a reader whose [`CardReader::pin_entry`]
    /// is on the screen refuses with [`EidFault::NoPinPad`].
    fn read_on_reader(&mut self, _can_first: bool, _items: &[CardItem]) -> Result<CardData, CardError> {
        Err(CardError::Reader(Fault::new(EidFault::NoPinPad)))
    }

    /// Replaces the PIN (or the transport PIN) `current` by `new`.
    fn change_pin(&mut self, current: &Pin, can: Option<&Pin>, new: &Pin) -> Result<(), CardError>;

    /// Unblocks a blocked PIN with the PUK.
    fn unblock_pin(&mut self, puk: &Pin) -> Result<(), CardError>;

    /// The last day the eID authorisation the reader authenticates with is
    /// valid (TR-03110-3 C.1.5), for the staff's health page; `None` while
    /// the reader has none loaded.
    fn authorisation_valid_until(&self) -> Option<CardDate> {
        None
    }
}
