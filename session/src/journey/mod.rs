// SPDX-License-Identifier: GPL-3.0-or-later
//! The journeys a citizen can take at the terminal, one value per visit.
//!
//! A [`Journey`] owns exactly the data its step needs: the request's
//! applicant exists only between the card read and the portal's receipt,
//! the PIN pad's digits only on the pad, the typed tracking number only in
//! the status check. Combinations that mean nothing (a PIN screen without a
//! card, a form without its identity) cannot be written. The screen the
//! citizen sees is derived from the journey ([`Journey::screen`]), so the two
//! cannot disagree, and going back to [`Journey::Welcome`] drops, and so
//! zeroizes, everything the visit held.
//!
//! Each journey module handles its own events and says, through [`Next`],
//! whether it stays (in a new state, with work for the kiosk) or ends; the
//! session machine ([`crate::Session`]) does the rest: dispatch, the idle
//! timing, what a pulled card means, and the wipe.

mod identify;
mod pin_service;
mod request;
mod status_check;

pub use identify::{CAN_LEN, Credentials, Identification, IdentifyStep, Secret};
pub use pin_service::{NEW_PIN_LEN, PinService, PinStage, PinTask};
pub use request::{Applicant, Calendar, PrintState, Receipt, Request, RequestStep, Review, Sending};
pub use status_check::StatusCheck;

use crate::text::Lang;
use crate::{Effect, Millis, PinEntry};
use rand::rngs::StdRng;
use std::collections::BTreeSet;

/// One citizen's visit.
// There is one journey per session, moved from state to state, never kept
// in numbers: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Default)]
pub enum Journey {
    /// Start button and language choice.
    #[default]
    Welcome,
    /// The one-stop-shop catalogue.
    Catalogue,
    /// A request to an authority.
    Request(Request),
    /// Changing, setting or unblocking the card's PIN.
    PinService(PinService),
    /// Looking up a request by its tracking number.
    StatusCheck(StatusCheck),
    /// "Please take your card."
    TakeCard,
}

/// The screen the citizen sees, derived from the journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Start button and language choice.
    Welcome,
    /// The one-stop-shop catalogue.
    Catalogue,
    /// What a service needs, costs, reads from the card and where it goes.
    ServiceInfo,
    /// Insert card, PIN pad, reading.
    Identify,
    /// The form: card data plus the service's fields.
    Form,
    /// Choosing a date.
    Booking,
    /// Review everything and consent.
    Review,
    /// Handing the request to the portal.
    Sending,
    /// Tracking number, QR code, printing.
    Receipt,
    /// "Please take your card."
    TakeCard,
    /// Typing a tracking number.
    StatusEntry,
    /// The state of a request.
    StatusResult,
    /// Changing, setting or unblocking the card's PIN.
    PinService,
}

/// What the card means to a journey right now, for the session's
/// card-removed policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardUse {
    /// The journey does not need the card (yet, or any more).
    Unused,
    /// The journey is using the card: pulling it ends the session.
    InUse,
    /// The journey is over and waits for the card to be taken.
    Done,
}

/// What a journey's step needs from the session around it.
pub(crate) struct Context<'a> {
    /// The kiosk clock's time of the event.
    pub now: Millis,
    /// The session's language.
    pub lang: &'a Lang,
    /// Whether a card is in the reader.
    pub card_present: bool,
    /// Where the reader lets the citizen type the PIN.
    pub pin_entry: PinEntry,
    /// The tracking-number generator.
    pub rng: &'a mut StdRng,
    /// Once staff helped: the fields the citizen showed them.
    pub assisted: Option<&'a BTreeSet<String>>,
}

/// A journey's answer to an event.
pub(crate) enum Next<J> {
    /// The journey goes on in this state; the kiosk does this work.
    Stay(J, Vec<Effect>),
    /// The journey ends.
    Leave(Exit),
}

/// How a journey ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// The citizen went back to the catalogue.
    Catalogue,
    /// The journey is complete: the card is to be taken, if one is in.
    Done,
    /// The card answered that it was pulled out.
    CardRemoved,
}

impl Journey {
    /// The screen showing this journey.
    pub fn screen(&self) -> Screen {
        match self {
            Journey::Welcome => Screen::Welcome,
            Journey::Catalogue => Screen::Catalogue,
            Journey::TakeCard => Screen::TakeCard,
            Journey::PinService(_) => Screen::PinService,
            Journey::StatusCheck(StatusCheck::Entry { .. }) => Screen::StatusEntry,
            Journey::StatusCheck(StatusCheck::Result { .. }) => Screen::StatusResult,
            Journey::Request(request) => match request.step() {
                RequestStep::Information => Screen::ServiceInfo,
                RequestStep::Identify(_) => Screen::Identify,
                RequestStep::Form(_) => Screen::Form,
                RequestStep::Booking(..) => Screen::Booking,
                RequestStep::Review(_) => Screen::Review,
                RequestStep::Sending(_) => Screen::Sending,
                RequestStep::Receipt(_) => Screen::Receipt,
            },
        }
    }

    /// The request, if the citizen is making one.
    pub fn request(&self) -> Option<&Request> {
        match self {
            Journey::Request(request) => Some(request),
            _ => None,
        }
    }

    /// The PIN service, if the citizen is in it.
    pub fn pin_service(&self) -> Option<&PinService> {
        match self {
            Journey::PinService(service) => Some(service),
            _ => None,
        }
    }

    /// The status check, if the citizen is in it.
    pub fn status_check(&self) -> Option<&StatusCheck> {
        match self {
            Journey::StatusCheck(check) => Some(check),
            _ => None,
        }
    }

    /// The identification, while a request or the PIN service opens the card.
    pub fn identification(&self) -> Option<&Identification> {
        match self {
            Journey::Request(request) => request.identification(),
            Journey::PinService(service) => service.identification(),
            _ => None,
        }
    }

    /// Whether the citizen's data or a secret is held.
    pub(crate) fn holds_personal_data(&self) -> bool {
        match self {
            Journey::Request(request) => request.holds_personal_data(),
            Journey::PinService(service) => service.holds_secrets(),
            Journey::Welcome | Journey::Catalogue | Journey::StatusCheck(_) | Journey::TakeCard => false,
        }
    }

    /// Whether the terminal itself is working, so the citizen is not idle.
    pub(crate) fn terminal_busy(&self) -> bool {
        match self {
            Journey::Request(request) => request.terminal_busy(),
            Journey::PinService(service) => service.terminal_busy(),
            Journey::StatusCheck(check) => check.terminal_busy(),
            Journey::Welcome | Journey::Catalogue | Journey::TakeCard => false,
        }
    }

    /// What the card means to this journey now.
    pub(crate) fn card_use(&self) -> CardUse {
        let in_use = |yes: bool| if yes { CardUse::InUse } else { CardUse::Unused };
        match self {
            Journey::Request(request) => in_use(request.uses_card()),
            Journey::PinService(PinService::Done { .. }) | Journey::TakeCard => CardUse::Done,
            Journey::PinService(service) => in_use(service.uses_card()),
            Journey::Welcome | Journey::Catalogue | Journey::StatusCheck(_) => CardUse::Unused,
        }
    }

    /// Whether the journey has still to open the card with the eID
    /// protocols: choosing a service, reading about it, identifying, or any
    /// step of the PIN service before it is done.
    pub(crate) fn needs_eid(&self) -> bool {
        match self {
            Journey::Catalogue => true,
            Journey::Request(_) => matches!(self.screen(), Screen::ServiceInfo | Screen::Identify),
            Journey::PinService(PinService::Done { .. }) => false,
            Journey::PinService(_) => true,
            Journey::Welcome | Journey::StatusCheck(_) | Journey::TakeCard => false,
        }
    }

    /// A card arrived in the reader.
    pub(crate) fn card_inserted(&mut self) {
        match self {
            Journey::Request(request) => request.card_inserted(),
            Journey::PinService(service) => service.card_inserted(),
            _ => {}
        }
    }
}
