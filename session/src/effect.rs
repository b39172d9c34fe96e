// SPDX-License-Identifier: GPL-3.0-or-later
//! The work the session needs done outside itself. The kiosk carries out
//! each effect and answers with the matching [`Event`](crate::Event).

use crate::assist::AuditEntry;
use crate::catalogue::Booking;
use crate::machine::WipeReason;
use crate::receipt::ReceiptView;
use crate::text::Lang;
use crate::{CardItem, Pin, TrackingNumber};
use zeroize::Zeroizing;

/// Something the session needs done outside itself.
#[derive(Debug)]
pub enum Effect {
    /// Read `items` from the card with `pin` (and `can` first, if the PIN is
    /// suspended). Answer: [`Event::CardRead`](crate::Event::CardRead).
    ReadCard {
        /// The PIN; dropped (zeroized) once used.
        pin: Pin,
        /// The card access number, only when the PIN is suspended.
        can: Option<Pin>,
        /// Exactly the items the service declared.
        items: Vec<CardItem>,
    },
    /// Read `items` from the card with the PIN typed on the card reader's
    /// keypad (PACE on the reader): the session holds no PIN. With
    /// `can_first`, the suspended PIN is resumed with the CAN, also typed on
    /// the keypad. Answer: [`Event::CardRead`](crate::Event::CardRead).
    ReadCardOnReader {
        /// The PIN is suspended: the keypad asks for the CAN first.
        can_first: bool,
        /// Exactly the items the service declared.
        items: Vec<CardItem>,
    },
    /// Load bookable dates. Answer: [`Event::SlotsLoaded`](crate::Event::SlotsLoaded).
    LoadSlots {
        /// Catalogue id.
        service_id: String,
        /// Which calendar.
        booking: Booking,
    },
    /// Hand a request to the portal. Answer: [`Event::Submitted`](crate::Event::Submitted).
    Submit(Box<SubmissionDraft>),
    /// Print the receipt in `lang`. Answer: [`Event::Printed`](crate::Event::Printed).
    Print {
        /// What the receipt shows.
        receipt: ReceiptView,
        /// The citizen's language.
        lang: Lang,
    },
    /// Open the card with `current` (after `can` if the PIN is suspended)
    /// and set the PIN `new`. Answer: [`Event::PinChanged`](crate::Event::PinChanged).
    ChangePin {
        /// The PIN or transport PIN; dropped (zeroized) once used.
        current: Pin,
        /// The card access number, only when the PIN is suspended.
        can: Option<Pin>,
        /// The new 6-digit PIN; dropped (zeroized) once used.
        new: Pin,
    },
    /// Open the card with the PUK and unblock the PIN. Answer:
    /// [`Event::PinChanged`](crate::Event::PinChanged).
    UnblockPin {
        /// The PUK; dropped (zeroized) once used.
        puk: Pin,
    },
    /// Ask the portal for a request's state. Answer: [`Event::StatusLoaded`](crate::Event::StatusLoaded).
    CheckStatus(TrackingNumber),
    /// The session ended and its data is gone: clear everything shown.
    Wiped(WipeReason),
    /// Write this line to the staff audit in the journal.
    Audit(AuditEntry),
    /// The paper roll was refilled: start the paper estimate afresh.
    PaperRefilled,
    /// Print a test receipt. Answer: [`Event::TestPrinted`](crate::Event::TestPrinted).
    TestPrint,
}

impl Effect {
    /// Whether an [`Event`](crate::Event) answers this effect (see
    /// [`Event::is_answer`](crate::Event::is_answer)).
    pub fn is_answered(&self) -> bool {
        !matches!(self, Effect::Wiped(_) | Effect::Audit(_) | Effect::PaperRefilled)
    }
}

/// A request ready for the portal. Holds personal data: zeroized on drop.
#[derive(Debug)]
pub struct SubmissionDraft {
    /// The terminal's tracking number (sender reference).
    pub tracking: TrackingNumber,
    /// Catalogue id of the service.
    pub service_id: String,
    /// LeiKa key.
    pub leika: String,
    /// The service's German name, the destination's language: the submission's
    /// `ServiceType.name`.
    pub service_name: String,
    /// FIT-Connect destination id.
    pub destination: String,
    /// JSON Schema the data follows.
    pub data_schema: String,
    /// The request as JSON: personal data.
    pub data: Zeroizing<String>,
}
