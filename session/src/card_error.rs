// SPDX-License-Identifier: GPL-3.0-or-later
//! Why the card could not do what the session asked.

use crate::Fault;
use thiserror::Error;

/// Why the card could not be used, as the card and reader report it. The UI
/// turns each variant into a plain-language message; the variants that stand
/// for a technical fault carry it as a [`Fault`] (the reader's typed error)
/// for the maintainers' log.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CardError {
    /// The PIN was wrong; the card allows this many more attempts.
    #[error("wrong PIN, {attempts_left} attempt(s) left")]
    WrongPin {
        /// Attempts left before the PIN is suspended or blocked.
        attempts_left: u8,
    },
    /// Two wrong PINs: the third attempt needs the CAN first (TR-03110-2 3.5.1).
    #[error("PIN suspended: enter the card access number (CAN) before the last attempt")]
    PinSuspended,
    /// The CAN typed to resume a suspended PIN was wrong.
    #[error("wrong card access number (CAN)")]
    WrongCan,
    /// Three wrong PINs: only the PUK unblocks it.
    #[error("PIN blocked: unblock it with the PUK from the PIN letter")]
    PinBlocked,
    /// The PUK typed to unblock the PIN was wrong.
    #[error("wrong PUK")]
    WrongPuk,
    /// The eID function of this card is switched off.
    #[error("the online ID function of this card is not activated")]
    Deactivated,
    /// The card itself confirmed that its date of expiry lies before today,
    /// the date the terminal signed (TR-03110-3 B.11.7). An expired card's
    /// eID function is not used for identification (TR-03127).
    #[error("the ID card has expired")]
    Expired,
    /// The card is on its sector's block list (reported lost, stolen or
    /// otherwise revoked, TR-03127 4.4): it is not used.
    #[error("the ID card is revoked")]
    Revoked,
    /// The citizen cancelled the PIN entry on the card reader's keypad, or
    /// typed nothing in time (TR-03119 D.3, results `F0200001`/`F0200002`).
    /// The card was not asked and no attempt was used.
    #[error("the PIN entry on the card reader was cancelled or timed out")]
    EntryCancelled,
    /// The card was removed during the operation.
    #[error("the card was removed during the operation")]
    CardRemoved,
    /// There is no card in the reader.
    #[error("no card in the reader")]
    NoCard,
    /// The card did not answer as an eID card does.
    #[error("the card could not be read: {0}")]
    Unreadable(#[source] Fault),
    /// The card could not prove that it is a genuine ID card (passive or chip
    /// authentication failed), so nothing it says is used.
    #[error("the card is not a genuine ID card: {0}")]
    NotGenuine(#[source] Fault),
    /// The card refused this terminal's authorisation (its certificates do
    /// not chain to the card's root, or have expired): the terminal needs
    /// maintenance, not the citizen.
    #[error("the card refused the terminal's certificate: {0}")]
    TerminalRefused(#[source] Fault),
    /// The reader itself failed or disappeared.
    #[error("the card reader is not available: {0}")]
    Reader(#[source] Fault),
}
