// SPDX-License-Identifier: GPL-3.0-or-later
//! What goes on the paper: the [`Receipt`] the kiosk hands over.
//!
//! Privacy rule (issue 5): a receipt left on the counter must not expose anyone. The caller therefore never
//! puts a name, an address, a date of birth or any other personal data into a `Receipt`; the tracking number,
//! the service and the *kinds* of card data that were transmitted ("Name, Anschrift → Bürgeramt") are enough
//! for the citizen to follow up. This crate prints exactly what it is given and logs none of it.

/// A receipt whose text is already in the session's language (German or English); this crate translates nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Issuing authority, e.g. "Stadt Musterstadt".
    pub municipality: String,
    /// Heading, e.g. "Eingangsbestätigung" / "Confirmation of receipt".
    pub title: String,
    /// The service requested, e.g. "Sperrmüllabholung".
    pub service: String,
    /// Date and time of submission, already formatted, e.g. "22.11.2026, 14:05".
    pub issued_at: String,
    /// Label above the tracking number, e.g. "Vorgangsnummer".
    pub tracking_label: String,
    /// The tracking number, printed in large type, e.g. "BT7K-4Q9X-M2".
    pub tracking_number: String,
    /// Payload of the QR code: the configured status base URL plus the tracking number.
    pub status_url: String,
    /// Label/value lines: booked slot, fee, delivery state ("Gesendet" / "In Warteschlange, wird automatisch
    /// gesendet"), which card data went to which authority, terminal id.
    pub details: Vec<(String, String)>,
    /// Optional closing text in small type.
    pub footer: Option<String>,
}
