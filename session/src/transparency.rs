// SPDX-License-Identifier: GPL-3.0-or-later
//! The citizen-visible transparency log: which data was read from the card,
//! when, and where it went. It names items, never their values.

use crate::text::Localized;
use crate::{CardItem, Millis};

/// One line of the transparency log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransparencyEntry {
    /// These items were read from the card.
    Read {
        /// Kiosk clock time of the read.
        at: Millis,
        /// The items read.
        items: Vec<CardItem>,
    },
    /// These items were sent to this authority.
    Sent {
        /// Kiosk clock time of the hand-over.
        at: Millis,
        /// The card items sent.
        items: Vec<CardItem>,
        /// Ids of the service's own fields sent.
        fields: Vec<String>,
        /// The authority.
        to: Localized,
    },
}
