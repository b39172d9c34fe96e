// SPDX-License-Identifier: GPL-3.0-or-later
//! The citizen-visible transparency log: which data was read from the card,
//! when, and where it went. It names items, never their values.

use crate::text::Localized;
use crate::{CardItem, Delivered, Millis};

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
    /// These items were handed over for this authority: sent to it, or
    /// queued on the terminal to be sent.
    Handover {
        /// Kiosk clock time of the hand-over.
        at: Millis,
        /// The card items handed over.
        items: Vec<CardItem>,
        /// Ids of the service's own fields handed over.
        fields: Vec<String>,
        /// The authority.
        to: Localized,
        /// Whether the portal has them: until it has confirmed, they
        /// are only on their way ("will be sent to").
        delivered: Delivered,
    },
}
