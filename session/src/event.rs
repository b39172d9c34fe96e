// SPDX-License-Identifier: GPL-3.0-or-later
//! What happens to the session: the citizen's taps, the card reader, and
//! the answers to the work the session asked for.

use crate::assist::StaffAction;
use crate::journey::PinTask;
use crate::receipt::Delivered;
use crate::text::Lang;
use crate::{CardData, CardError, Fault, PinEntry, Slot};

/// An input to the session.
// A card read carries the identity inline; events are moved once from the
// kiosk into the machine, so their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Event {
    /// "Start" on the welcome screen.
    Start,
    /// Switch the language; nothing entered is lost.
    SetLanguage(Lang),
    /// The large-text switch.
    ToggleLargeText,
    /// The high-contrast switch.
    ToggleContrast,
    /// A catalogue tile.
    ChooseService(String),
    /// "Continue" on the service information.
    Agree,
    /// "Back".
    Back,
    /// "Cancel": ends the session.
    Cancel,
    /// "I am still here" on the idle warning (any touch does the same).
    StillHere,
    /// A card was put into the reader.
    CardInserted,
    /// Where the reader lets the citizen type the PIN; sent before
    /// [`Event::CardInserted`], as a reader's features are known once it
    /// holds a card.
    ReaderPinEntry(PinEntry),
    /// The card was taken out of the reader.
    CardRemoved,
    /// The terminal's eID authorisation ended while it ran (its CV
    /// certificates expired): no card can be read until it is renewed.
    AuthorisationLapsed,
    /// A renewed eID authorisation is in force.
    AuthorisationRenewed,
    /// A digit on the PIN pad.
    PinDigit(char),
    /// Delete on the PIN pad.
    PinErase,
    /// OK on the PIN pad.
    PinConfirm,
    /// "Try again" after a card failure.
    RetryIdentify,
    /// The card reader finished reading.
    CardRead(Result<CardData, CardError>),
    /// A tap on a form field.
    FocusField(usize),
    /// A key of the on-screen keyboard.
    Type(char),
    /// Backspace on the on-screen keyboard.
    Erase,
    /// An option of a choice field (field index among the service's fields).
    Choose {
        /// The field.
        field: usize,
        /// The option.
        option: usize,
    },
    /// "Continue" on the form.
    FormDone,
    /// The portal's calendar answered.
    SlotsLoaded(Result<Vec<Slot>, Fault>),
    /// A slot was tapped.
    ChooseSlot(usize),
    /// "Try again" when the calendar could not be loaded.
    RetrySlots,
    /// "Continue" on the booking screen.
    BookingDone,
    /// The consent box.
    SetConsent(bool),
    /// "Send".
    Send,
    /// The portal (or the queue) took the request, or could not.
    Submitted(Result<Delivered, SubmitFailure>),
    /// The printer finished.
    Printed(Result<(), Fault>),
    /// "Done" on the receipt or the status result.
    Finish,
    /// A key on the tracking-number keypad.
    StatusType(char),
    /// Backspace on the tracking-number keypad.
    StatusErase,
    /// "Check status".
    StatusCheck,
    /// The portal answered the status check.
    StatusLoaded(StatusOutcome),
    /// What the citizen wants to do with the PIN.
    ChoosePinTask(PinTask),
    /// The card finished changing or unblocking the PIN.
    PinChanged(Result<(), CardError>),
    /// "Get help" (again: the call is cancelled).
    CallHelp,
    /// The hidden staff gesture: opens the staff code pad.
    StaffGesture,
    /// A digit on the staff code pad.
    StaffCodeDigit(char),
    /// Delete on the staff code pad.
    StaffCodeErase,
    /// Closes the staff code pad.
    StaffCodeCancel,
    /// OK on the staff code pad, at this wall-clock time (seconds since
    /// 1970): the code is a time-based one-time password.
    StaffCodeConfirm {
        /// Seconds since 1970.
        unix_time: u64,
    },
    /// The citizen's answer to a staff member who wants to help.
    AssistConsent(bool),
    /// The citizen ends the assistance.
    CitizenEndsAssist,
    /// The citizen shows the helper the field with this id (a card item key
    /// or one of the service's field ids).
    Unmask(String),
    /// A staff member's action.
    Staff(StaffAction),
    /// The printer finished the staff's test print.
    TestPrinted(Result<(), Fault>),
}

impl Event {
    /// Whether this event is the answer to an [`Effect`](crate::Effect)
    /// (every effect that [`is_answered`](crate::Effect::is_answered) is
    /// answered by exactly one such event).
    pub fn is_answer(&self) -> bool {
        matches!(
            self,
            Event::CardRead(_)
                | Event::SlotsLoaded(_)
                | Event::Submitted(_)
                | Event::Printed(_)
                | Event::StatusLoaded(_)
                | Event::PinChanged(_)
                | Event::TestPrinted(_)
        )
    }

    /// Whether this event is about help from staff: the help call, the
    /// staff code, the consent, assist mode and the staff's tasks.
    pub fn is_help(&self) -> bool {
        matches!(
            self,
            Event::CallHelp
                | Event::StaffGesture
                | Event::StaffCodeDigit(_)
                | Event::StaffCodeErase
                | Event::StaffCodeCancel
                | Event::StaffCodeConfirm { .. }
                | Event::AssistConsent(_)
                | Event::CitizenEndsAssist
                | Event::Unmask(_)
                | Event::Staff(_)
                | Event::TestPrinted(_)
        )
    }

    /// Whether this event comes from the citizen's hand, which keeps the
    /// session alive.
    pub(crate) fn is_touch(&self) -> bool {
        !self.is_answer()
            && !matches!(
                self,
                Event::CardInserted
                    | Event::CardRemoved
                    | Event::ReaderPinEntry(_)
                    | Event::AuthorisationLapsed
                    | Event::AuthorisationRenewed
            )
    }
}

/// Why a request could not be handed over at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitFailure {
    /// It could not even be stored for later (for example the disk is full).
    NotStored(Fault),
}

/// A request's state, as the portal's verified event log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    /// Still on the terminal, waiting to be sent.
    Queued,
    /// Sent to the portal.
    Sent,
    /// Received by the authority.
    Received,
    /// Accepted by the authority.
    Accepted,
    /// Rejected by the authority.
    Rejected,
}

/// What the status check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusOutcome {
    /// The request and its state.
    Found {
        /// Delivery state.
        state: RequestState,
        /// Processing state in the authority's words, if it gives one.
        processing: Option<String>,
        /// The service, if known.
        service_id: Option<String>,
    },
    /// No request with this number.
    NotFound,
    /// The portal could not be asked now.
    Unavailable,
}
