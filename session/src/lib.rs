// SPDX-License-Identifier: GPL-3.0-or-later
//! The UI-free core of the Bürgerterminal.
//!
//! # Model
//!
//! A citizen's visit is one [`Session`]: an explicit state machine that knows
//! every screen, every transition, the idle timeout and the wipe. It performs
//! no I/O. The kiosk feeds it [`Event`]s (taps, card events, results of
//! hardware work) together with the current time from its clock, and carries
//! out the [`Effect`]s it asks for (read the card, fetch slots, submit, print).
//! Tests drive the same machine with a fake clock, so no test sleeps.
//!
//! Everything a service needs (texts, card data, fields, fee, booking and
//! destination authority) comes from the [`Catalogue`], which is data.
//!
//! # Privacy
//!
//! Personal data lives only inside the session: the identity read from the
//! card ([`Identity`]), the form values and the PIN ([`Pin`]). All of them are
//! zeroized when dropped, and the machine drops them at the earliest moment:
//! the PIN when it is handed to the card reader, the identity and form values
//! when the request is handed to the portal, and everything when the session
//! ends for any reason (finished, cancelled, timed out, card pulled).

mod card_error;
mod catalogue;
mod fault;
mod form;
mod identity;
mod machine;
mod pin;
mod slot;
mod text;
mod tracking;

pub use catalogue::{
    Authority, Booking, Catalogue, CatalogueError, ChoiceOption, FieldKind, FieldSpec, ServiceKind, ServiceSpec,
};
pub use form::{FieldError, FormField, FormState};
pub use card_error::CardError;
pub use fault::Fault;
pub use identity::{Address, CardData, CardDate, CardItem, Identity};
pub use pin::Pin;
pub use machine::{
    Delivered, Effect, Event, IdentifyStep, Notice, PinStep, PinTask, PrintState, ReceiptView, RequestState, Screen,
    Session, StatusOutcome, SubmissionDraft, SubmitFailure, Timeouts, TransparencyEntry, WipeReason,
};
pub use slot::{Slot, SlotKind};
pub use text::{Lang, Localized, format_cents};
pub use tracking::TrackingNumber;

/// A point on the kiosk's monotonic clock, in milliseconds since an arbitrary
/// start. The kiosk passes real time; tests pass whatever they like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Millis(pub u64);

impl Millis {
    /// Milliseconds elapsed since `earlier` (zero if the clock went backwards).
    pub fn since(self, earlier: Millis) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}
