// SPDX-License-Identifier: GPL-3.0-or-later
//! What the receipt says.

use crate::text::Localized;
use crate::{CardItem, Millis, Slot, TrackingNumber};
use std::collections::BTreeSet;

/// Everything the receipt shows, free of personal data: a receipt left on
/// the counter must not expose anyone. Texts stay in every language; the
/// kiosk words the receipt in the citizen's language when it shows or
/// prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptView {
    /// The service's catalogue id.
    pub service_id: String,
    /// The service's name.
    pub service: Localized,
    /// The tracking number.
    pub tracking: TrackingNumber,
    /// When the request was handed over, on the kiosk's clock.
    pub issued_at: Millis,
    /// Sent or queued.
    pub delivered: Delivered,
    /// The booked date, where the service books one.
    pub slot: Option<Slot>,
    /// The total fee in euro cents.
    pub fee_cents: u32,
    /// The authority the request went to.
    pub authority: Localized,
    /// The card items that went there.
    pub items_sent: Vec<CardItem>,
    /// Whether staff helped, and which fields the citizen showed them
    /// (ids; none: the helper saw masked screens only).
    pub assisted: Option<BTreeSet<String>>,
}

/// How the portal took a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Delivered to the portal.
    Sent,
    /// Stored (encrypted) on the terminal, sent automatically later.
    Queued,
}
