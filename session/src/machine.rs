// SPDX-License-Identifier: GPL-3.0-or-later
//! The citizen session: one explicit state machine for a whole visit.
//!
//! Every screen is a [`Screen`]; every input is an [`Event`]; every piece of
//! work the machine needs done outside itself is an [`Effect`]. All
//! transitions, the idle timeout with its warning, and the wipe live in this
//! file. The kiosk calls [`Session::handle`] for each event and
//! [`Session::tick`] regularly, passing its clock's time; it never changes the
//! state any other way.
//!
//! Wipe: a session ends by finishing, cancelling, timing out or the card
//! being pulled. Each way goes through [`Session::wipe`], which drops all
//! personal data (zeroized on drop) and emits [`Effect::Wiped`] so that the
//! kiosk clears whatever it shows.

use crate::{Fault, Millis};
use crate::catalogue::{Booking, Catalogue, ServiceKind, ServiceSpec};
use crate::form::{FormField, FormState};
use crate::identity::{CardData, CardItem, Identity};
use crate::{CardError, Pin};
use crate::slot::{Slot, SlotKind};
use crate::text::{Lang, format_cents};
use crate::tracking::TrackingNumber;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

/// How long the terminal waits for the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Without a touch for this long, the warning with a countdown appears.
    pub idle_ms: u64,
    /// The countdown: without a touch for this long after the warning, the
    /// session is wiped.
    pub warning_ms: u64,
    /// How long "please take your card" waits before the session ends anyway.
    pub take_card_ms: u64,
    /// How long a notice on the welcome screen stays.
    pub notice_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { idle_ms: 90_000, warning_ms: 30_000, take_card_ms: 30_000, notice_ms: 15_000 }
    }
}

/// The screen the citizen sees.
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

/// What the citizen does with the card's PIN (TR-03110-2 3.5, the eID PIN
/// management of the ID card).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinTask {
    /// Replace the 6-digit PIN by a new one.
    Change,
    /// Replace the 5-digit transport PIN from the PIN letter by a self-chosen
    /// 6-digit PIN.
    ReplaceTransportPin,
    /// Unblock a blocked PIN with the 10-digit PUK from the PIN letter.
    Unblock,
}

impl PinTask {
    /// How many digits the secret the card is opened with has.
    pub fn current_len(self) -> usize {
        match self {
            PinTask::Change => 6,
            PinTask::ReplaceTransportPin => 5,
            PinTask::Unblock => 10,
        }
    }
}

/// Where the PIN service is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinStep {
    /// Change, set or unblock?
    ChooseTask,
    /// Waiting for a card.
    InsertCard,
    /// The card access number, before the last attempt of a suspended PIN.
    EnterCan {
        /// What went wrong with the previous attempt, if anything.
        error: Option<CardError>,
    },
    /// The PIN, transport PIN or PUK the card is opened with.
    EnterCurrent {
        /// What went wrong with the previous attempt, if anything.
        error: Option<CardError>,
    },
    /// The new 6-digit PIN.
    EnterNew {
        /// Whether the previous two entries differed.
        mismatch: bool,
    },
    /// The new PIN once more.
    RepeatNew,
    /// The card is working.
    Working,
    /// Done: the new PIN is set, or the PIN is unblocked.
    Done,
    /// The card cannot be used now.
    Failed(CardError),
}

/// Where the identification screen is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentifyStep {
    /// Waiting for a card.
    InsertCard,
    /// PIN pad for the 6-digit PIN; `error` says why it is asked again.
    EnterPin {
        /// What went wrong with the previous attempt, if anything.
        error: Option<CardError>,
    },
    /// PIN pad for the card access number, before the last PIN attempt.
    EnterCan {
        /// What went wrong with the previous attempt, if anything.
        error: Option<CardError>,
    },
    /// The reader is working.
    Reading,
    /// The card cannot be used now; the citizen may go back or try again.
    Failed(CardError),
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WipeReason {
    /// The citizen finished (took the card or left the last screen).
    Finished,
    /// The citizen cancelled.
    Cancelled,
    /// Nobody touched the screen after the warning.
    TimedOut,
    /// The card was pulled out before the request was handed over.
    CardRemoved,
}

/// A message for the next citizen's welcome screen about how the last
/// session ended (never anything personal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The last session ended; its data was deleted.
    Ended(WipeReason),
}

/// One line of the citizen-visible transparency log.
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
        /// Names of the service's own fields sent.
        fields: Vec<String>,
        /// The authority.
        to: String,
    },
}

/// How the portal took a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Delivered to the portal.
    Sent,
    /// Stored (encrypted) on the terminal, sent automatically later.
    Queued,
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

/// An input to the session.
// A card read carries the identity inline; events are moved once from the
// hardware thread into the machine, so their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Event {
    /// "Start" on the welcome screen.
    Start,
    /// Switch the language; nothing entered is lost.
    SetLanguage(Lang),
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
    /// The card was taken out of the reader.
    CardRemoved,
    /// A digit on the PIN pad.
    PinDigit(char),
    /// Delete on the PIN pad.
    PinErase,
    /// OK on the PIN pad.
    PinConfirm,
    /// "Try again" after a card failure.
    RetryIdentify,
    /// The card reader finished.
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
    /// The portal's calendar answered (`Err` in plain words for maintainers).
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
    /// The printer finished (`Err` in plain words for maintainers).
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
}

impl Event {
    /// Whether this event is the answer to an [`Effect`] (every effect but
    /// [`Effect::Wiped`] is answered by exactly one such event).
    pub fn is_answer(&self) -> bool {
        matches!(
            self,
            Event::CardRead(_)
                | Event::SlotsLoaded(_)
                | Event::Submitted(_)
                | Event::Printed(_)
                | Event::StatusLoaded(_)
                | Event::PinChanged(_)
        )
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
    /// FIT-Connect destination id.
    pub destination: String,
    /// JSON Schema the data follows.
    pub data_schema: String,
    /// The request as JSON: personal data.
    pub data: Zeroizing<String>,
}

/// Everything the receipt shows, already in the session's language and free
/// of personal data (a receipt left on the counter must not expose anyone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptView {
    /// The session's language.
    pub lang: Lang,
    /// Service name.
    pub service: String,
    /// Tracking number, grouped.
    pub tracking: String,
    /// Sent or queued.
    pub delivered: Delivered,
    /// The booked date, described.
    pub slot: Option<String>,
    /// The fee, in words.
    pub fee: String,
    /// The authority the request went to.
    pub authority: String,
    /// The card items that went there.
    pub items_sent: Vec<CardItem>,
}

/// Something the session needs done outside itself. The kiosk carries it out
/// and reports back with the matching [`Event`].
#[derive(Debug)]
pub enum Effect {
    /// Read `items` from the card with `pin` (and `can` first, if the PIN is
    /// suspended). Answer: [`Event::CardRead`].
    ReadCard {
        /// The PIN; dropped (zeroized) once used.
        pin: Pin,
        /// The card access number, only when the PIN is suspended.
        can: Option<Pin>,
        /// Exactly the items the service declared.
        items: Vec<CardItem>,
    },
    /// Load bookable dates. Answer: [`Event::SlotsLoaded`].
    LoadSlots {
        /// Catalogue id.
        service_id: String,
        /// Which calendar.
        booking: Booking,
    },
    /// Hand a request to the portal. Answer: [`Event::Submitted`].
    Submit(Box<SubmissionDraft>),
    /// Print the receipt. Answer: [`Event::Printed`].
    Print(ReceiptView),
    /// Open the card with `current` (after `can` if the PIN is suspended)
    /// and set the PIN `new`. Answer: [`Event::PinChanged`].
    ChangePin {
        /// The PIN or transport PIN; dropped (zeroized) once used.
        current: Pin,
        /// The card access number, only when the PIN is suspended.
        can: Option<Pin>,
        /// The new 6-digit PIN; dropped (zeroized) once used.
        new: Pin,
    },
    /// Open the card with the PUK and unblock the PIN. Answer:
    /// [`Event::PinChanged`].
    UnblockPin {
        /// The PUK; dropped (zeroized) once used.
        puk: Pin,
    },
    /// Ask the portal for a request's state. Answer: [`Event::StatusLoaded`].
    CheckStatus(TrackingNumber),
    /// The session ended and its data is gone: clear everything shown.
    Wiped(WipeReason),
}

/// State of the printer for the receipt screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintState {
    /// Printing.
    Printing,
    /// Printed: take the receipt.
    Printed,
    /// Could not print: the receipt is on screen.
    Failed,
}

/// Everything that belongs to one citizen. Dropped as a whole on wipe.
#[derive(Default)]
struct Visit {
    service: Option<String>,
    identity: Option<Identity>,
    form: Option<FormState>,
    pin: Pin,
    can: Pin,
    pin_suspended: bool,
    step: Option<IdentifyStep>,
    pin_task: Option<PinTask>,
    pin_step: Option<PinStep>,
    new_pin: Pin,
    new_pin_repeat: Pin,
    new_pin_confirmed: bool,
    slots: Option<Result<Vec<Slot>, Fault>>,
    chosen_slot: Option<usize>,
    consent: bool,
    submit_error: Option<SubmitFailure>,
    receipt: Option<ReceiptView>,
    print: Option<PrintState>,
    status_input: String,
    status: Option<(TrackingNumber, StatusOutcome)>,
    status_input_invalid: bool,
    log: Vec<TransparencyEntry>,
}

/// The citizen session. See the module documentation.
pub struct Session {
    catalogue: Catalogue,
    timeouts: Timeouts,
    rng: StdRng,
    screen: Screen,
    lang: Lang,
    card_present: bool,
    last_touch: Millis,
    warning_since: Option<Millis>,
    screen_since: Millis,
    notice: Option<(Notice, Millis)>,
    visit: Visit,
}

impl Session {
    /// A new session on the welcome screen. `seed` seeds the tracking-number
    /// generator: the kiosk passes fresh OS randomness, tests a constant.
    pub fn new(catalogue: Catalogue, timeouts: Timeouts, seed: [u8; 32]) -> Self {
        Session {
            catalogue,
            timeouts,
            rng: StdRng::from_seed(seed),
            screen: Screen::Welcome,
            lang: Lang::default(),
            card_present: false,
            last_touch: Millis(0),
            warning_since: None,
            screen_since: Millis(0),
            notice: None,
            visit: Visit::default(),
        }
    }

    /// Handles one event at time `now` and returns the work to be done.
    pub fn handle(&mut self, now: Millis, event: Event) -> Vec<Effect> {
        if is_touch(&event) {
            self.last_touch = now;
            self.warning_since = None;
        }
        let before = self.screen;
        let effects = self.transition(now, event);
        if self.screen != before {
            self.screen_since = now;
            self.last_touch = now;
        }
        effects
    }

    /// Lets time pass: shows the idle warning, wipes after the countdown,
    /// ends "take your card" and clears old notices.
    pub fn tick(&mut self, now: Millis) -> Vec<Effect> {
        if let Some((_, since)) = self.notice
            && now.since(since) >= self.timeouts.notice_ms
        {
            self.notice = None;
        }
        match self.screen {
            Screen::Welcome => {
                if self.lang != Lang::default() && now.since(self.last_touch) >= self.timeouts.idle_ms {
                    self.lang = Lang::default();
                }
                Vec::new()
            }
            Screen::TakeCard if now.since(self.screen_since) >= self.timeouts.take_card_ms => {
                self.wipe(now, WipeReason::Finished)
            }
            screen if is_busy(screen, &self.visit) => Vec::new(),
            _ => match self.warning_since {
                Some(since) if now.since(since) >= self.timeouts.warning_ms => self.wipe(now, WipeReason::TimedOut),
                Some(_) => Vec::new(),
                None => {
                    if now.since(self.last_touch) >= self.timeouts.idle_ms {
                        self.warning_since = Some(now);
                    }
                    Vec::new()
                }
            },
        }
    }

    fn transition(&mut self, now: Millis, event: Event) -> Vec<Effect> {
        use Screen as S;
        match (self.screen, event) {
            (_, Event::SetLanguage(lang)) => {
                self.lang = lang;
                self.refresh_receipt_language();
                Vec::new()
            }
            (_, Event::StillHere) => Vec::new(),
            (_, Event::CardInserted) => {
                self.card_present = true;
                if self.screen == S::Identify && self.visit.step == Some(IdentifyStep::InsertCard) {
                    self.visit.step = Some(self.pin_step(None));
                }
                if self.screen == S::PinService && self.visit.pin_step == Some(PinStep::InsertCard) {
                    self.visit.pin_step = Some(self.pin_entry_step(None));
                }
                Vec::new()
            }
            (_, Event::CardRemoved) => self.card_removed(now),
            (S::Welcome, Event::Start) => {
                self.notice = None;
                self.go(S::Catalogue)
            }
            (S::Welcome, _) => Vec::new(),
            (_, Event::Cancel) => self.wipe(now, WipeReason::Cancelled),

            (S::Catalogue, Event::ChooseService(id)) => match self.catalogue.service(&id).map(|s| s.kind) {
                Some(ServiceKind::Request) => {
                    self.visit.service = Some(id);
                    self.go(S::ServiceInfo)
                }
                Some(ServiceKind::StatusCheck) => {
                    self.visit.service = Some(id);
                    self.go(S::StatusEntry)
                }
                Some(ServiceKind::PinChange) => {
                    self.visit.service = Some(id);
                    self.visit.pin_step = Some(PinStep::ChooseTask);
                    self.go(S::PinService)
                }
                None => Vec::new(),
            },
            (S::Catalogue, Event::Back) => self.wipe(now, WipeReason::Cancelled),

            (S::ServiceInfo, Event::Agree) => {
                self.visit.step = Some(if self.card_present { self.pin_step(None) } else { IdentifyStep::InsertCard });
                self.go(S::Identify)
            }
            (S::ServiceInfo, Event::Back) => {
                self.visit.service = None;
                self.go(S::Catalogue)
            }

            (S::Identify, event) => self.identify(now, event),
            (S::PinService, event) => self.pin_service(now, event),

            (S::Form, Event::FocusField(i)) => {
                self.with_form(|form, _| form.set_focus(i));
                Vec::new()
            }
            (S::Form, Event::Type(c)) => {
                self.with_form(|form, service| form.type_char(service, c));
                Vec::new()
            }
            (S::Form, Event::Erase) => {
                self.with_form(|form, _| form.erase());
                Vec::new()
            }
            (S::Form, Event::Choose { field, option }) => {
                self.with_form(|form, service| form.choose(service, field, option));
                Vec::new()
            }
            (S::Form, Event::FormDone) => {
                let Some(ok) = self.with_form(|form, service| form.submit(service).is_ok()) else {
                    return Vec::new();
                };
                match (ok, self.service().map(|s| (s.booking, s.id.clone()))) {
                    (true, Some((Booking::None, _))) => self.go(S::Review),
                    (true, Some((booking, service_id))) => {
                        self.screen = S::Booking;
                        self.load_slots(service_id, booking)
                    }
                    _ => Vec::new(),
                }
            }

            (S::Booking, Event::SlotsLoaded(result)) => {
                self.visit.slots = Some(result);
                self.visit.chosen_slot = None;
                Vec::new()
            }
            (S::Booking, Event::ChooseSlot(i)) => {
                if matches!(&self.visit.slots, Some(Ok(slots)) if i < slots.len()) {
                    self.visit.chosen_slot = Some(i);
                }
                Vec::new()
            }
            (S::Booking, Event::RetrySlots) => match self.service().map(|s| (s.booking, s.id.clone())) {
                Some((booking, id)) => self.load_slots(id, booking),
                None => Vec::new(),
            },
            (S::Booking, Event::BookingDone) if self.visit.chosen_slot.is_some() => self.go(S::Review),
            (S::Booking, Event::Back) => self.go(S::Form),

            (S::Review, Event::SetConsent(on)) => {
                self.visit.consent = on;
                Vec::new()
            }
            (S::Review, Event::Send) if self.visit.consent => self.send(now),
            (S::Review, Event::Back) => {
                let needs_booking = self.service().is_some_and(|s| s.booking != Booking::None);
                self.go(if needs_booking { S::Booking } else { S::Form })
            }

            (S::Sending, Event::Submitted(Ok(delivered))) => {
                let Some(receipt) = self.visit.receipt.as_mut() else { return Vec::new() };
                receipt.delivered = delivered;
                let receipt = receipt.clone();
                self.visit.print = Some(PrintState::Printing);
                self.screen = S::Receipt;
                vec![Effect::Print(receipt)]
            }
            (S::Sending, Event::Submitted(Err(failure))) => {
                // Nothing was stored, so nothing was sent: the citizen keeps
                // the review screen and its data and is told plainly.
                self.visit.receipt = None;
                self.visit.submit_error = Some(failure);
                self.go(S::Review)
            }

            (S::Receipt, Event::Printed(result)) => {
                self.visit.print = Some(if result.is_ok() { PrintState::Printed } else { PrintState::Failed });
                Vec::new()
            }
            (S::Receipt, Event::Finish) => {
                if self.card_present {
                    self.go(S::TakeCard)
                } else {
                    self.wipe(now, WipeReason::Finished)
                }
            }

            (S::StatusEntry, Event::StatusType(c)) => {
                let c = c.to_ascii_uppercase();
                if c.is_ascii_alphanumeric() && self.visit.status_input.len() < 12 {
                    self.visit.status_input.push(c);
                }
                self.visit.status_input_invalid = false;
                Vec::new()
            }
            (S::StatusEntry, Event::StatusErase) => {
                self.visit.status_input.pop();
                self.visit.status_input_invalid = false;
                Vec::new()
            }
            (S::StatusEntry, Event::StatusCheck) => match TrackingNumber::parse(&self.visit.status_input) {
                Some(number) => {
                    self.visit.status = None;
                    self.screen = S::StatusResult;
                    vec![Effect::CheckStatus(number)]
                }
                None => {
                    self.visit.status_input_invalid = true;
                    Vec::new()
                }
            },
            (S::StatusEntry, Event::Back) => {
                self.visit.status_input.clear();
                self.go(S::Catalogue)
            }
            (S::StatusResult, Event::StatusLoaded(outcome)) => {
                if let Some(number) = TrackingNumber::parse(&self.visit.status_input) {
                    self.visit.status = Some((number, outcome));
                }
                Vec::new()
            }
            (S::StatusResult, Event::Back) => {
                self.visit.status = None;
                self.go(S::StatusEntry)
            }
            (S::StatusResult, Event::Finish) => self.wipe(now, WipeReason::Finished),

            _ => Vec::new(),
        }
    }

    fn identify(&mut self, now: Millis, event: Event) -> Vec<Effect> {
        let step = self.visit.step.clone().unwrap_or(IdentifyStep::InsertCard);
        match (step, event) {
            (IdentifyStep::EnterPin { .. }, Event::PinDigit(d)) if self.visit.pin.len() < 6 => {
                self.visit.pin.push(d);
                Vec::new()
            }
            (IdentifyStep::EnterCan { .. }, Event::PinDigit(d)) if self.visit.can.len() < 6 => {
                self.visit.can.push(d);
                Vec::new()
            }
            (IdentifyStep::EnterPin { .. }, Event::PinErase) => {
                self.visit.pin.pop();
                Vec::new()
            }
            (IdentifyStep::EnterCan { .. }, Event::PinErase) => {
                self.visit.can.pop();
                Vec::new()
            }
            (IdentifyStep::EnterCan { .. }, Event::PinConfirm) if self.visit.can.len() == 6 => {
                self.visit.step = Some(IdentifyStep::EnterPin { error: None });
                Vec::new()
            }
            (IdentifyStep::EnterPin { .. }, Event::PinConfirm) if self.visit.pin.len() == 6 => {
                let items = self.service().map(|s| s.card_data.clone()).unwrap_or_default();
                let pin = std::mem::take(&mut self.visit.pin);
                let can = self.visit.pin_suspended.then(|| std::mem::take(&mut self.visit.can));
                self.visit.step = Some(IdentifyStep::Reading);
                vec![Effect::ReadCard { pin, can, items }]
            }
            (IdentifyStep::Reading, Event::CardRead(result)) => self.card_read(now, result),
            (IdentifyStep::Failed(_), Event::RetryIdentify) => {
                self.visit.step = Some(if self.card_present { self.pin_step(None) } else { IdentifyStep::InsertCard });
                Vec::new()
            }
            (IdentifyStep::Reading, _) => Vec::new(),
            (_, Event::Back) => {
                self.visit.pin = Pin::default();
                self.visit.can = Pin::default();
                self.visit.step = None;
                self.go(Screen::ServiceInfo)
            }
            _ => Vec::new(),
        }
    }

    /// The PIN service: choose the task, then the secrets, then one card
    /// operation. Secrets are cleared from the visit as soon as they are
    /// handed to the reader, and on every way back.
    fn pin_service(&mut self, now: Millis, event: Event) -> Vec<Effect> {
        let step = self.visit.pin_step.clone().unwrap_or(PinStep::ChooseTask);
        let task = self.visit.pin_task.unwrap_or(PinTask::Change);
        match (step, event) {
            (PinStep::ChooseTask | PinStep::Failed(_), Event::ChoosePinTask(task)) => {
                self.clear_pin_secrets();
                self.visit.pin_task = Some(task);
                self.visit.pin_step =
                    Some(if self.card_present { self.pin_entry_step(None) } else { PinStep::InsertCard });
                Vec::new()
            }
            (PinStep::ChooseTask, Event::Back) => {
                self.visit.service = None;
                self.visit.pin_step = None;
                self.go(Screen::Catalogue)
            }
            (PinStep::Working, Event::PinChanged(result)) => self.pin_changed(now, result),
            (PinStep::Working, _) => Vec::new(),
            (PinStep::Done, Event::Finish) => {
                if self.card_present {
                    self.go(Screen::TakeCard)
                } else {
                    self.wipe(now, WipeReason::Finished)
                }
            }
            (PinStep::Failed(_), Event::RetryIdentify) => {
                self.visit.pin_step =
                    Some(if self.card_present { self.pin_entry_step(None) } else { PinStep::InsertCard });
                Vec::new()
            }
            (_, Event::Back) => {
                self.clear_pin_secrets();
                self.visit.pin_step = Some(PinStep::ChooseTask);
                Vec::new()
            }
            (step, Event::PinDigit(d)) => {
                if let Some((pad, len)) = self.pin_pad(&step, task)
                    && pad.len() < len
                {
                    pad.push(d);
                }
                Vec::new()
            }
            (step, Event::PinErase) => {
                if let Some((pad, _)) = self.pin_pad(&step, task) {
                    pad.pop();
                }
                Vec::new()
            }
            (step, Event::PinConfirm) => self.pin_confirm(step, task),
            _ => Vec::new(),
        }
    }

    /// The pad the current step types into, and how many digits it takes.
    fn pin_pad(&mut self, step: &PinStep, task: PinTask) -> Option<(&mut Pin, usize)> {
        match step {
            PinStep::EnterCan { .. } => Some((&mut self.visit.can, 6)),
            PinStep::EnterCurrent { .. } => Some((&mut self.visit.pin, task.current_len())),
            PinStep::EnterNew { .. } => Some((&mut self.visit.new_pin, 6)),
            PinStep::RepeatNew => Some((&mut self.visit.new_pin_repeat, 6)),
            _ => None,
        }
    }

    fn pin_confirm(&mut self, step: PinStep, task: PinTask) -> Vec<Effect> {
        let v = &mut self.visit;
        match step {
            PinStep::EnterCan { .. } if v.can.len() == 6 => {
                v.pin_step = Some(PinStep::EnterCurrent { error: None });
                Vec::new()
            }
            PinStep::EnterCurrent { .. } if v.pin.len() == task.current_len() => {
                if task == PinTask::Unblock {
                    v.pin_step = Some(PinStep::Working);
                    return vec![Effect::UnblockPin { puk: std::mem::take(&mut v.pin) }];
                }
                if v.new_pin_confirmed {
                    return self.start_pin_change();
                }
                v.pin_step = Some(PinStep::EnterNew { mismatch: false });
                Vec::new()
            }
            PinStep::EnterNew { .. } if v.new_pin.len() == 6 => {
                v.pin_step = Some(PinStep::RepeatNew);
                Vec::new()
            }
            PinStep::RepeatNew if v.new_pin_repeat.len() == 6 => {
                if v.new_pin.expose() == v.new_pin_repeat.expose() {
                    v.new_pin_confirmed = true;
                    v.new_pin_repeat = Pin::default();
                    self.start_pin_change()
                } else {
                    v.new_pin = Pin::default();
                    v.new_pin_repeat = Pin::default();
                    v.pin_step = Some(PinStep::EnterNew { mismatch: true });
                    Vec::new()
                }
            }
            _ => Vec::new(),
        }
    }

    fn start_pin_change(&mut self) -> Vec<Effect> {
        let v = &mut self.visit;
        let current = std::mem::take(&mut v.pin);
        let can = v.pin_suspended.then(|| std::mem::take(&mut v.can));
        // The new PIN stays only while the card might ask for the CAN first.
        let new = v.new_pin.clone();
        v.pin_step = Some(PinStep::Working);
        vec![Effect::ChangePin { current, can, new }]
    }

    fn pin_changed(&mut self, now: Millis, result: Result<(), CardError>) -> Vec<Effect> {
        match result {
            Ok(()) => {
                self.clear_pin_secrets();
                self.visit.pin_suspended = false;
                self.visit.pin_step = Some(PinStep::Done);
                Vec::new()
            }
            Err(CardError::PinSuspended) => {
                self.visit.pin_suspended = true;
                self.visit.pin_step = Some(PinStep::EnterCan { error: Some(CardError::PinSuspended) });
                Vec::new()
            }
            Err(error @ (CardError::WrongPin { .. } | CardError::WrongCan | CardError::WrongPuk)) => {
                self.visit.pin_step = Some(self.pin_entry_step(Some(error)));
                Vec::new()
            }
            Err(CardError::CardRemoved) => self.card_removed(now),
            Err(error) => {
                self.clear_pin_secrets();
                self.visit.pin_step = Some(PinStep::Failed(error));
                Vec::new()
            }
        }
    }

    /// The first pad of the PIN service: the CAN when a suspended PIN is
    /// to be used (TR-03110-2 3.5.1), else the PIN, transport PIN or PUK.
    fn pin_entry_step(&self, error: Option<CardError>) -> PinStep {
        let uses_pin = self.visit.pin_task != Some(PinTask::Unblock);
        if uses_pin && self.visit.pin_suspended && self.visit.can.len() < 6 {
            PinStep::EnterCan { error }
        } else {
            PinStep::EnterCurrent { error }
        }
    }

    fn clear_pin_secrets(&mut self) {
        let v = &mut self.visit;
        v.pin = Pin::default();
        v.can = Pin::default();
        v.new_pin = Pin::default();
        v.new_pin_repeat = Pin::default();
        v.new_pin_confirmed = false;
    }

    fn card_read(&mut self, now: Millis, result: Result<CardData, CardError>) -> Vec<Effect> {
        match result {
            Ok(data) => {
                let Some(service) = self.service() else { return Vec::new() };
                let items = service.card_data.clone();
                let form = FormState::new(service);
                // Keep only what the service declared, even if a reader
                // returned more.
                self.visit.identity = Some(data.identity.restricted_to(&items));
                self.visit.form = Some(form);
                self.visit.pin_suspended = false;
                self.visit.log.push(TransparencyEntry::Read { at: now, items });
                self.visit.step = None;
                self.go(Screen::Form)
            }
            Err(CardError::PinSuspended) => {
                self.visit.pin_suspended = true;
                self.visit.step = Some(IdentifyStep::EnterCan { error: Some(CardError::PinSuspended) });
                Vec::new()
            }
            Err(error @ (CardError::WrongPin { .. } | CardError::WrongCan)) => {
                self.visit.step = Some(self.pin_step(Some(error)));
                Vec::new()
            }
            Err(CardError::CardRemoved) => self.card_removed(now),
            Err(error) => {
                self.visit.step = Some(IdentifyStep::Failed(error));
                Vec::new()
            }
        }
    }

    fn pin_step(&self, error: Option<CardError>) -> IdentifyStep {
        if self.visit.pin_suspended && self.visit.can.len() < 6 {
            IdentifyStep::EnterCan { error }
        } else {
            IdentifyStep::EnterPin { error }
        }
    }

    fn card_removed(&mut self, now: Millis) -> Vec<Effect> {
        self.card_present = false;
        match self.screen {
            // Before the card is used, and after the request was handed over,
            // pulling the card ends nothing: nothing personal is held then.
            Screen::Welcome
            | Screen::Catalogue
            | Screen::ServiceInfo
            | Screen::StatusEntry
            | Screen::StatusResult
            | Screen::Sending
            | Screen::Receipt => Vec::new(),
            Screen::TakeCard => self.wipe(now, WipeReason::Finished),
            Screen::Identify if self.visit.step == Some(IdentifyStep::InsertCard) => Vec::new(),
            Screen::PinService
                if matches!(self.visit.pin_step, None | Some(PinStep::ChooseTask | PinStep::InsertCard)) =>
            {
                Vec::new()
            }
            Screen::PinService if self.visit.pin_step == Some(PinStep::Done) => self.wipe(now, WipeReason::Finished),
            Screen::Identify | Screen::PinService | Screen::Form | Screen::Booking | Screen::Review => {
                self.wipe(now, WipeReason::CardRemoved)
            }
        }
    }

    fn load_slots(&mut self, service_id: String, booking: Booking) -> Vec<Effect> {
        self.visit.slots = None;
        self.visit.chosen_slot = None;
        vec![Effect::LoadSlots { service_id, booking }]
    }

    fn send(&mut self, now: Millis) -> Vec<Effect> {
        let Some(service) = self.service().cloned() else { return Vec::new() };
        let Some(authority) = service.authority.clone() else { return Vec::new() };
        let tracking = TrackingNumber::generate(&mut self.rng);
        let slot = self.chosen_slot().cloned();
        let data = self.payload(&service, &tracking, slot.as_ref());
        let fee = service.fee_cents + slot.as_ref().map_or(0, |s| s.fee_cents);
        let fields = service.fields.iter().map(|f| f.id.clone()).collect();
        let to = authority.name.get(&self.lang).to_owned();
        self.visit.log.push(TransparencyEntry::Sent { at: now, items: service.card_data.clone(), fields, to });
        self.visit.receipt = Some(ReceiptView {
            lang: self.lang.clone(),
            service: service.name.get(&self.lang).into(),
            tracking: tracking.to_string(),
            delivered: Delivered::Queued,
            slot: slot.as_ref().map(|s| s.describe(&self.lang)),
            fee: format_cents(fee, &self.lang),
            authority: authority.name.get(&self.lang).into(),
            items_sent: service.card_data.clone(),
        });
        self.visit.submit_error = None;
        // Once handed over, the terminal keeps nothing personal: the identity
        // and the form values go with the request.
        self.visit.identity = None;
        self.visit.form = None;
        self.screen = Screen::Sending;
        vec![Effect::Submit(Box::new(SubmissionDraft {
            tracking,
            service_id: service.id.clone(),
            leika: service.leika.clone(),
            destination: authority.destination.clone(),
            data_schema: service.data_schema.clone(),
            data,
        }))]
    }

    /// The request's data as JSON: the card items the service declared, the
    /// service's fields and the booking.
    fn payload(&self, service: &ServiceSpec, tracking: &TrackingNumber, slot: Option<&Slot>) -> Zeroizing<String> {
        let mut applicant = Map::new();
        if let Some(identity) = &self.visit.identity {
            for &item in &service.card_data {
                let value = match (item, &identity.place_of_residence) {
                    (CardItem::PlaceOfResidence, Some(a)) => json!({
                        "street": a.street, "postalCode": a.postal_code, "city": a.city, "country": a.country,
                    }),
                    (CardItem::DateOfBirth | CardItem::DateOfExpiry, _) => {
                        identity.date(item).map(|d| Value::String(d.iso())).unwrap_or(Value::Null)
                    }
                    _ => identity.display(item).map(|v| Value::String(v.to_string())).unwrap_or(Value::Null),
                };
                applicant.insert(camel(item.key()), value);
            }
        }
        let mut fields = Map::new();
        if let Some(form) = &self.visit.form {
            for (i, spec) in service.fields.iter().enumerate() {
                let raw = form.value(i).unwrap_or("").trim();
                let value = match spec.kind {
                    crate::catalogue::FieldKind::Number => raw.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
                    _ if raw.is_empty() => Value::Null,
                    _ => Value::String(raw.to_owned()),
                };
                fields.insert(spec.id.clone(), value);
            }
        }
        let booking = slot.map(|s| {
            let (y, m, d) = s.date;
            json!({
                "slotId": s.id,
                "kind": match s.kind { SlotKind::Standard => "standard", SlotKind::Express => "express", SlotKind::Appointment => "appointment" },
                "date": format!("{y:04}-{m:02}-{d:02}"),
                "feeCents": s.fee_cents,
            })
        });
        let mut body = json!({
            "service": service.id,
            "trackingNumber": tracking.as_str(),
            "applicant": applicant,
            "fields": fields,
        });
        if let (Some(booking), Some(map)) = (booking, body.as_object_mut()) {
            map.insert("booking".into(), booking);
        }
        Zeroizing::new(body.to_string())
    }

    /// Ends the session: drops every piece of personal data (zeroized on
    /// drop), returns to the welcome screen and tells the kiosk to clear
    /// what it shows.
    pub fn wipe(&mut self, now: Millis, reason: WipeReason) -> Vec<Effect> {
        self.visit = Visit::default();
        self.lang = Lang::default();
        self.screen = Screen::Welcome;
        self.screen_since = now;
        self.last_touch = now;
        self.warning_since = None;
        self.notice = (reason != WipeReason::Finished).then_some((Notice::Ended(reason), now));
        vec![Effect::Wiped(reason)]
    }

    fn go(&mut self, screen: Screen) -> Vec<Effect> {
        self.screen = screen;
        Vec::new()
    }

    fn with_form<R>(&mut self, f: impl FnOnce(&mut FormState, &ServiceSpec) -> R) -> Option<R> {
        let id = self.visit.service.as_deref()?;
        let service = self.catalogue.service(id)?;
        let form = self.visit.form.as_mut()?;
        Some(f(form, service))
    }

    fn refresh_receipt_language(&mut self) {
        let Some(old) = self.visit.receipt.take() else { return };
        let Some(service) = self.service().cloned() else { return };
        let slot = self.chosen_slot().map(|s| s.describe(&self.lang));
        let fee = service.fee_cents + self.chosen_slot().map_or(0, |s| s.fee_cents);
        self.visit.receipt = Some(ReceiptView {
            lang: self.lang.clone(),
            service: service.name.get(&self.lang).into(),
            slot,
            fee: format_cents(fee, &self.lang),
            authority: service.authority.as_ref().map(|a| a.name.get(&self.lang).to_owned()).unwrap_or_default(),
            ..old
        });
    }

    // ----- what the UI reads -----

    /// The current screen.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The session's language.
    pub fn lang(&self) -> &Lang {
        &self.lang
    }

    /// The catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The chosen service.
    pub fn service(&self) -> Option<&ServiceSpec> {
        self.catalogue.service(self.visit.service.as_deref()?)
    }

    /// Whether a card is in the reader.
    pub fn card_present(&self) -> bool {
        self.card_present
    }

    /// Where identification stands.
    pub fn identify_step(&self) -> Option<&IdentifyStep> {
        self.visit.step.as_ref()
    }

    /// How many digits are on the PIN pad (the digits themselves are never
    /// shown).
    pub fn pin_len(&self) -> usize {
        let v = &self.visit;
        match (self.screen, &v.step, &v.pin_step) {
            (Screen::Identify, Some(IdentifyStep::EnterCan { .. }), _) => v.can.len(),
            (Screen::PinService, _, Some(PinStep::EnterCan { .. })) => v.can.len(),
            (Screen::PinService, _, Some(PinStep::EnterNew { .. })) => v.new_pin.len(),
            (Screen::PinService, _, Some(PinStep::RepeatNew)) => v.new_pin_repeat.len(),
            _ => v.pin.len(),
        }
    }

    /// How many digits the PIN pad wants now.
    pub fn pin_needed(&self) -> usize {
        match (&self.visit.pin_step, self.visit.pin_task) {
            (Some(PinStep::EnterCurrent { .. }), Some(task)) => task.current_len(),
            _ => 6,
        }
    }

    /// Where the PIN service is.
    pub fn pin_service_step(&self) -> Option<&PinStep> {
        self.visit.pin_step.as_ref()
    }

    /// What the citizen chose to do with the PIN.
    pub fn pin_task(&self) -> Option<PinTask> {
        self.visit.pin_task
    }

    /// The form rows: card data first (read-only), then the service's fields.
    pub fn form_rows(&self) -> Vec<FormField> {
        match (self.service(), &self.visit.identity, &self.visit.form) {
            (Some(service), Some(identity), Some(form)) => form.rows(service, identity, &self.lang),
            _ => Vec::new(),
        }
    }

    /// The form field the keyboard types into (index among the service's
    /// own fields).
    pub fn form_focus(&self) -> usize {
        self.visit.form.as_ref().map_or(0, FormState::focus)
    }

    /// The calendar: `None` while loading.
    pub fn slots(&self) -> Option<&Result<Vec<Slot>, Fault>> {
        self.visit.slots.as_ref()
    }

    /// The chosen slot's index.
    pub fn chosen_slot_index(&self) -> Option<usize> {
        self.visit.chosen_slot
    }

    fn chosen_slot(&self) -> Option<&Slot> {
        match &self.visit.slots {
            Some(Ok(slots)) => slots.get(self.visit.chosen_slot?),
            _ => None,
        }
    }

    /// The chosen slot, described in the session's language.
    pub fn chosen_slot_text(&self) -> Option<String> {
        self.chosen_slot().map(|s| s.describe(&self.lang))
    }

    /// The total fee (service plus slot), in words.
    pub fn total_fee(&self) -> String {
        let base = self.service().map_or(0, |s| s.fee_cents);
        format_cents(base + self.chosen_slot().map_or(0, |s| s.fee_cents), &self.lang)
    }

    /// Whether the consent box is ticked.
    pub fn consent(&self) -> bool {
        self.visit.consent
    }

    /// Why the last send failed, if it did.
    pub fn submit_error(&self) -> Option<&SubmitFailure> {
        self.visit.submit_error.as_ref()
    }

    /// The receipt, once the request was handed over.
    pub fn receipt(&self) -> Option<&ReceiptView> {
        self.visit.receipt.as_ref()
    }

    /// The printer's progress on the receipt screen.
    pub fn print_state(&self) -> Option<&PrintState> {
        self.visit.print.as_ref()
    }

    /// What is typed on the tracking-number keypad.
    pub fn status_input(&self) -> &str {
        &self.visit.status_input
    }

    /// Whether the typed tracking number was refused as malformed.
    pub fn status_input_invalid(&self) -> bool {
        self.visit.status_input_invalid
    }

    /// The status check's result: `None` while asking.
    pub fn status(&self) -> Option<&(TrackingNumber, StatusOutcome)> {
        self.visit.status.as_ref()
    }

    /// The citizen-visible transparency log of this session.
    pub fn transparency_log(&self) -> &[TransparencyEntry] {
        &self.visit.log
    }

    /// Seconds left before the idle wipe, while the warning is shown.
    pub fn warning_seconds_left(&self, now: Millis) -> Option<u64> {
        self.warning_since.map(|since| self.timeouts.warning_ms.saturating_sub(now.since(since)).div_ceil(1000))
    }

    /// The notice for the welcome screen about how the last session ended.
    pub fn notice(&self) -> Option<Notice> {
        self.notice.map(|(notice, _)| notice)
    }

    /// Whether any personal data is held right now (identity, form values or
    /// digits on the PIN pad). For tests and the health report.
    pub fn holds_personal_data(&self) -> bool {
        self.visit.identity.is_some()
            || self.visit.form.is_some()
            || !self.visit.pin.is_empty()
            || !self.visit.can.is_empty()
            || !self.visit.new_pin.is_empty()
            || !self.visit.new_pin_repeat.is_empty()
    }
}

/// Events that come from the citizen's hand, which keep the session alive.
fn is_touch(event: &Event) -> bool {
    !event.is_answer() && !matches!(event, Event::CardInserted | Event::CardRemoved)
}

/// While the terminal itself is working, the citizen is not idle.
fn is_busy(screen: Screen, visit: &Visit) -> bool {
    match screen {
        Screen::Sending => true,
        Screen::Identify => visit.step == Some(IdentifyStep::Reading),
        Screen::PinService => visit.pin_step == Some(PinStep::Working),
        Screen::Booking => visit.slots.is_none(),
        Screen::StatusResult => visit.status.is_none(),
        _ => false,
    }
}

/// `given-names` → `givenNames`.
fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        match (c, upper) {
            ('-', _) => upper = true,
            (c, true) => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            (c, false) => out.push(c),
        }
    }
    out
}
