// SPDX-License-Identifier: GPL-3.0-or-later
//! The UI-free core of the Bürgerterminal.
//!
//! # Model
//!
//! A citizen's visit is one [`Session`]: an explicit state machine that
//! performs no I/O. The kiosk feeds it [`Event`]s (taps, card events, results
//! of outside work) together with the current time from its clock, and
//! carries out the [`Effect`]s it asks for (read the card, fetch slots,
//! submit, print). Tests drive the same machine with a fake clock, so no test
//! sleeps.
//!
//! The session holds one [`Journey`]: the welcome screen, the catalogue, a
//! [`Request`] to an authority, the [`PinService`], a [`StatusCheck`], or
//! "take your card". Each journey is a module of its own that owns its state
//! and handles its events ([`journey`]); the card, PIN and CAN are one
//! sub-journey, [`Identification`], that the request and the PIN service
//! share. The machine ([`Session`]) keeps only what spans journeys: the
//! dispatch, the idle timing, the card-removed policy and the wipe. The
//! citizen's [`Accessibility`] settings (language, large text, contrast) are
//! session state too, reset by the wipe, and so is the [`Help`] from staff
//! ([`assist`]): the help call, the staff member unlocked with a staff code
//! ([`staff_code`]), the citizen's consent and what assist mode masks.
//!
//! Everything a service needs (texts, card data, fields, fee, booking and
//! destination authority) comes from the [`Catalogue`], which is data; the
//! terminal's [`Config`] (settings, catalogue, texts) is loaded and checked
//! here, with the defaults in `session/config/`.
//!
//! # Privacy
//!
//! Personal data lives only inside the journey: the identity read from the
//! card ([`Identity`]), the form values and the secrets ([`Pin`]). All of
//! them are zeroized when dropped, and the journey drops them at the
//! earliest moment: the secrets when they are handed to the card reader, the
//! identity and form values when the portal has stored the request, and
//! everything when the session ends for any reason (finished, cancelled,
//! timed out, card pulled).

mod accessibility;
pub mod assist;
mod card_error;
mod catalogue;
mod config;
pub mod config_file;
mod effect;
mod event;
mod fault;
mod form;
mod identity;
pub mod journey;
mod machine;
mod payload;
mod pin;
mod pin_entry;
pub mod private_file;
mod receipt;
mod slot;
pub mod staff_code;
mod text;
pub mod tracking;
mod transparency;

pub use accessibility::Accessibility;
pub use assist::{Help, Staff, StaffAction};
pub use card_error::CardError;
pub use catalogue::{
    Authority, Booking, Catalogue, CatalogueError, ChoiceOption, FieldKind, FieldSpec, ServiceKind, ServiceSpec,
};
pub use config::{Config, ConfigError, ReceiptLabel, TerminalSettings, Texts, is_https_url};
pub use effect::{Effect, SubmissionDraft};
pub use event::{Event, RequestState, StatusOutcome, SubmitFailure};
pub use fault::Fault;
pub use form::{FieldError, FormField, FormState};
pub use identity::{Address, CardData, CardDate, CardItem, Identity};
pub use journey::{
    Identification, IdentifyStep, Journey, PinService, PinTask, PrintState, Request, RequestStep, Screen, Secret,
    StatusCheck,
};
pub use machine::{Notice, Session, Timeouts, WipeReason};
pub use pin::Pin;
pub use pin_entry::PinEntry;
pub use receipt::{Delivered, ReceiptView};
pub use slot::{Slot, SlotKind};
pub use staff_code::{Seed, StaffLevel, StaffSeeds};
pub use text::{Lang, Localized, format_cents};
pub use tracking::{TrackingInput, TrackingNumber};
pub use transparency::TransparencyEntry;

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
