// SPDX-License-Identifier: GPL-3.0-or-later
//! A request to an authority: what the service needs and where it goes, the
//! card, the form prefilled from it, a date where the service books one, the
//! review with the citizen's consent, sending, and the receipt.
//!
//! The citizen's data lives in [`Applicant`] from the moment the card is read
//! until the portal has stored the request; the steps pass it on by value, so
//! no step can hold it by accident, and the receipt step holds nothing
//! personal.

use super::identify::Identification;
use super::{Context, Exit, Next};
use crate::catalogue::{Authority, Booking, ServiceSpec};
use crate::form::{FormField, FormState};
use crate::identity::Identity;
use crate::payload::request_data;
use crate::receipt::ReceiptView;
use crate::transparency::TransparencyEntry;
use crate::{
    CardData, CardError, Delivered, Effect, Event, Fault, Slot, SubmissionDraft, SubmitFailure, TrackingNumber,
};

/// One request, from the service information to the receipt.
#[derive(Debug)]
pub struct Request {
    service: ServiceSpec,
    log: Vec<TransparencyEntry>,
    step: RequestStep,
}

/// Where the request stands.
// One step per request, moved from step to step: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum RequestStep {
    /// What the service needs, costs, reads from the card and where it goes.
    Information,
    /// The card and the PIN.
    Identify(Identification),
    /// The form: card data plus the service's own fields.
    Form(Applicant),
    /// Choosing a date.
    Booking(Applicant, Calendar),
    /// Everything to be sent, and the consent.
    Review(Review),
    /// The portal is storing the request.
    Sending(Sending),
    /// The tracking number, and the printer at work.
    Receipt(Receipt),
}

/// The citizen's data: what the card said and what they typed. Zeroized on
/// drop.
#[derive(Debug)]
pub struct Applicant {
    identity: Identity,
    form: FormState,
}

impl Applicant {
    /// The form rows: card data first (read-only), then the service's fields.
    pub fn rows(&self, service: &ServiceSpec, lang: &crate::Lang) -> Vec<FormField> {
        self.form.rows(service, &self.identity, lang)
    }

    /// The field the keyboard types into.
    pub fn focus(&self) -> usize {
        self.form.focus()
    }
}

/// The dates the portal offers, and the one chosen.
#[derive(Debug)]
pub struct Calendar {
    slots: Option<Result<Vec<Slot>, Fault>>,
    chosen: Option<usize>,
}

impl Calendar {
    fn loading() -> Self {
        Calendar { slots: None, chosen: None }
    }

    /// The offered dates: `None` while loading.
    pub fn slots(&self) -> Option<&Result<Vec<Slot>, Fault>> {
        self.slots.as_ref()
    }

    /// The index of the chosen date.
    pub fn chosen_index(&self) -> Option<usize> {
        self.chosen
    }

    /// The chosen date.
    pub fn chosen(&self) -> Option<&Slot> {
        match &self.slots {
            Some(Ok(slots)) => slots.get(self.chosen?),
            _ => None,
        }
    }
}

/// The review: everything that will be sent, and whether the citizen agreed.
#[derive(Debug)]
pub struct Review {
    applicant: Applicant,
    calendar: Option<Calendar>,
    consent: bool,
    failure: Option<SubmitFailure>,
}

impl Review {
    /// The citizen's data.
    pub fn applicant(&self) -> &Applicant {
        &self.applicant
    }

    /// The chosen date, where the service books one.
    pub fn slot(&self) -> Option<&Slot> {
        self.calendar.as_ref().and_then(Calendar::chosen)
    }

    /// Whether the consent box is ticked.
    pub fn consent(&self) -> bool {
        self.consent
    }

    /// Why the last attempt to send failed, if it did.
    pub fn failure(&self) -> Option<&SubmitFailure> {
        self.failure.as_ref()
    }
}

/// Sending: the request is with the portal, the review waits in case it
/// cannot even be stored (then nothing was sent and the citizen may retry).
#[derive(Debug)]
pub struct Sending {
    review: Review,
    receipt: ReceiptView,
}

/// The receipt screen: nothing personal is left.
#[derive(Debug)]
pub struct Receipt {
    view: ReceiptView,
    print: PrintState,
}

impl Receipt {
    /// What the receipt shows.
    pub fn view(&self) -> &ReceiptView {
        &self.view
    }

    /// The printer's progress.
    pub fn print_state(&self) -> PrintState {
        self.print
    }
}

/// The printer's progress on the receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintState {
    /// Printing.
    Printing,
    /// Printed: take the receipt.
    Printed,
    /// Could not print: the receipt is on screen.
    Failed,
}

impl Request {
    /// A request for `service`, starting with its information.
    pub(crate) fn new(service: ServiceSpec) -> Self {
        Request { service, log: Vec::new(), step: RequestStep::Information }
    }

    /// The service requested.
    pub fn service(&self) -> &ServiceSpec {
        &self.service
    }

    /// Where the request stands.
    pub fn step(&self) -> &RequestStep {
        &self.step
    }

    /// The citizen-visible transparency log: what was read from the card and
    /// where it went.
    pub fn transparency_log(&self) -> &[TransparencyEntry] {
        &self.log
    }

    /// The identification, while the request identifies the citizen.
    pub fn identification(&self) -> Option<&Identification> {
        match &self.step {
            RequestStep::Identify(identification) => Some(identification),
            _ => None,
        }
    }

    /// The citizen's data, from the card read until the request is handed over.
    pub fn applicant(&self) -> Option<&Applicant> {
        match &self.step {
            RequestStep::Form(applicant) | RequestStep::Booking(applicant, _) => Some(applicant),
            RequestStep::Review(review) => Some(&review.applicant),
            _ => None,
        }
    }

    /// The calendar, while a date is chosen.
    pub fn calendar(&self) -> Option<&Calendar> {
        match &self.step {
            RequestStep::Booking(_, calendar) => Some(calendar),
            _ => None,
        }
    }

    /// The receipt, once the request is handed over.
    pub fn receipt(&self) -> Option<&Receipt> {
        match &self.step {
            RequestStep::Receipt(receipt) => Some(receipt),
            _ => None,
        }
    }

    /// The total fee in cents: the service's plus the chosen date's.
    pub fn fee_cents(&self) -> u32 {
        let slot = match &self.step {
            RequestStep::Booking(_, calendar) => calendar.chosen(),
            RequestStep::Review(review) => review.slot(),
            _ => None,
        };
        self.service.fee_cents + slot.map_or(0, |s| s.fee_cents)
    }

    /// Whether the citizen's data or a secret is held.
    pub(crate) fn holds_personal_data(&self) -> bool {
        match &self.step {
            RequestStep::Information | RequestStep::Receipt(_) => false,
            RequestStep::Identify(identification) => identification.holds_secrets(),
            RequestStep::Form(_) | RequestStep::Booking(..) | RequestStep::Review(_) | RequestStep::Sending(_) => true,
        }
    }

    /// Whether the card is in use: from identification to the review. Once
    /// the request is handed over, the card is no longer needed.
    pub(crate) fn uses_card(&self) -> bool {
        match &self.step {
            RequestStep::Identify(identification) => identification.uses_card(),
            RequestStep::Form(_) | RequestStep::Booking(..) | RequestStep::Review(_) => true,
            RequestStep::Information | RequestStep::Sending(_) | RequestStep::Receipt(_) => false,
        }
    }

    /// Whether the terminal itself is working, so the citizen is not idle.
    pub(crate) fn terminal_busy(&self) -> bool {
        match &self.step {
            RequestStep::Identify(identification) => identification.confirmed(),
            RequestStep::Booking(_, calendar) => calendar.slots.is_none(),
            RequestStep::Sending(_) => true,
            _ => false,
        }
    }

    pub(crate) fn card_inserted(&mut self) {
        if let RequestStep::Identify(identification) = &mut self.step {
            identification.card_inserted();
        }
    }

    /// One event of this journey.
    pub(crate) fn handle(mut self, event: Event, ctx: &mut Context<'_>) -> Next<Request> {
        let step = std::mem::replace(&mut self.step, RequestStep::Information);
        let (step, effects) = match (step, event) {
            (RequestStep::Information, Event::Agree) => {
                (RequestStep::Identify(Identification::with_pin(ctx.pin_entry, ctx.card_present)), Vec::new())
            }
            (RequestStep::Information, Event::Back) => return Next::Leave(Exit::Catalogue),

            (RequestStep::Identify(identification), event) => return self.identify(identification, event, ctx),

            (RequestStep::Form(mut applicant), event) => match event {
                Event::FocusField(i) => {
                    applicant.form.set_focus(i);
                    (RequestStep::Form(applicant), Vec::new())
                }
                Event::Type(c) => {
                    applicant.form.type_char(&self.service, c);
                    (RequestStep::Form(applicant), Vec::new())
                }
                Event::Erase => {
                    applicant.form.erase();
                    (RequestStep::Form(applicant), Vec::new())
                }
                Event::Choose { field, option } => {
                    applicant.form.choose(&self.service, field, option);
                    (RequestStep::Form(applicant), Vec::new())
                }
                Event::FormDone => match (applicant.form.submit(&self.service), self.service.booking) {
                    (Err(_), _) => (RequestStep::Form(applicant), Vec::new()),
                    (Ok(()), Booking::None) => (RequestStep::Review(Review::of(applicant, None)), Vec::new()),
                    (Ok(()), booking) => {
                        (RequestStep::Booking(applicant, Calendar::loading()), vec![self.load_slots(booking)])
                    }
                },
                _ => (RequestStep::Form(applicant), Vec::new()),
            },

            (RequestStep::Booking(applicant, mut calendar), event) => match event {
                Event::SlotsLoaded(result) => {
                    calendar = Calendar { slots: Some(result), chosen: None };
                    (RequestStep::Booking(applicant, calendar), Vec::new())
                }
                Event::ChooseSlot(i) => {
                    if matches!(&calendar.slots, Some(Ok(slots)) if i < slots.len()) {
                        calendar.chosen = Some(i);
                    }
                    (RequestStep::Booking(applicant, calendar), Vec::new())
                }
                Event::RetrySlots => {
                    (RequestStep::Booking(applicant, Calendar::loading()), vec![self.load_slots(self.service.booking)])
                }
                Event::BookingDone if calendar.chosen.is_some() => {
                    (RequestStep::Review(Review::of(applicant, Some(calendar))), Vec::new())
                }
                Event::Back => (RequestStep::Form(applicant), Vec::new()),
                _ => (RequestStep::Booking(applicant, calendar), Vec::new()),
            },

            (RequestStep::Review(mut review), event) => match event {
                Event::SetConsent(on) => {
                    review.consent = on;
                    (RequestStep::Review(review), Vec::new())
                }
                Event::Send if review.consent => match self.service.authority.clone() {
                    Some(authority) => {
                        let (sending, draft) = self.send(review, authority, ctx);
                        (RequestStep::Sending(sending), vec![Effect::Submit(Box::new(draft))])
                    }
                    // The catalogue refuses a request service without an
                    // authority when it is loaded.
                    None => (RequestStep::Review(review), Vec::new()),
                },
                Event::Back => match review.calendar {
                    Some(calendar) => (RequestStep::Booking(review.applicant, calendar), Vec::new()),
                    None => (RequestStep::Form(review.applicant), Vec::new()),
                },
                _ => (RequestStep::Review(review), Vec::new()),
            },

            (RequestStep::Sending(sending), Event::Submitted(result)) => match result {
                Ok(delivered) => {
                    // Stored (or sent): the terminal keeps nothing personal
                    // from here on; the review and its data are dropped.
                    let view = ReceiptView { delivered, ..sending.receipt };
                    if let Some(TransparencyEntry::Handover { delivered: logged, .. }) = self.log.last_mut() {
                        *logged = delivered;
                    }
                    let print = Effect::Print { receipt: view.clone(), lang: *ctx.lang };
                    (RequestStep::Receipt(Receipt { view, print: PrintState::Printing }), vec![print])
                }
                Err(failure) => {
                    // Nothing was stored, so nothing was sent: the citizen
                    // keeps the review with their data and is told plainly.
                    let mut review = sending.review;
                    if matches!(self.log.last(), Some(TransparencyEntry::Handover { .. })) {
                        self.log.pop();
                    }
                    review.failure = Some(failure);
                    (RequestStep::Review(review), Vec::new())
                }
            },

            (RequestStep::Receipt(mut receipt), event) => match event {
                Event::Printed(result) => {
                    receipt.print = if result.is_ok() { PrintState::Printed } else { PrintState::Failed };
                    (RequestStep::Receipt(receipt), Vec::new())
                }
                Event::Finish => return Next::Leave(Exit::Done),
                _ => (RequestStep::Receipt(receipt), Vec::new()),
            },

            (step, _) => (step, Vec::new()),
        };
        self.step = step;
        Next::Stay(self, effects)
    }

    fn identify(mut self, mut identification: Identification, event: Event, ctx: &mut Context<'_>) -> Next<Request> {
        let effects = match event {
            Event::Back if !identification.confirmed() => {
                self.step = RequestStep::Information;
                return Next::Stay(self, Vec::new());
            }
            Event::CardRead(result) if identification.confirmed() => match result {
                Ok(data) => {
                    self.step = self.card_read(data, ctx);
                    return Next::Stay(self, Vec::new());
                }
                Err(CardError::CardRemoved) => return Next::Leave(Exit::CardRemoved),
                Err(error) => {
                    identification.refused(error, ctx.card_present);
                    Vec::new()
                }
            },
            event => match identification.start_on_reader(&event) {
                Some(can_first) => vec![Effect::ReadCardOnReader { can_first, items: self.service.card_data.clone() }],
                None => match identification.handle(&event, ctx.card_present) {
                    Some(credentials) => vec![Effect::ReadCard {
                        pin: credentials.secret,
                        can: credentials.can,
                        items: self.service.card_data.clone(),
                    }],
                    None => Vec::new(),
                },
            },
        };
        self.step = RequestStep::Identify(identification);
        Next::Stay(self, effects)
    }

    /// The card's data arrived: keep only what the service declared, even if
    /// a reader returned more, and record the read for the citizen.
    fn card_read(&mut self, data: CardData, ctx: &Context<'_>) -> RequestStep {
        let items = self.service.card_data.clone();
        let identity = data.identity.restricted_to(&items);
        self.log.push(TransparencyEntry::Read { at: ctx.now, items });
        RequestStep::Form(Applicant { identity, form: FormState::new(&self.service) })
    }

    fn load_slots(&self, booking: Booking) -> Effect {
        Effect::LoadSlots { service_id: self.service.id.clone(), booking }
    }

    /// Builds the request and its receipt; the review waits until the portal
    /// has stored it.
    fn send(&mut self, mut review: Review, authority: Authority, ctx: &mut Context<'_>) -> (Sending, SubmissionDraft) {
        let service = &self.service;
        let tracking = TrackingNumber::generate(ctx.rng);
        let slot = review.slot().cloned();
        let data = request_data(service, &tracking, &review.applicant.identity, &review.applicant.form, slot.as_ref());
        self.log.push(TransparencyEntry::Handover {
            at: ctx.now,
            items: service.card_data.clone(),
            fields: service.fields.iter().map(|f| f.id.clone()).collect(),
            to: authority.name.clone(),
            delivered: Delivered::Queued,
        });
        review.failure = None;
        let receipt = ReceiptView {
            service_id: service.id.clone(),
            service: service.name.clone(),
            tracking: tracking.clone(),
            issued_at: ctx.now,
            delivered: Delivered::Queued,
            fee_cents: service.fee_cents + slot.as_ref().map_or(0, |s| s.fee_cents),
            slot,
            authority: authority.name.clone(),
            items_sent: service.card_data.clone(),
            assisted: ctx.assisted.cloned(),
        };
        let draft = SubmissionDraft {
            tracking,
            service_id: service.id.clone(),
            leika: service.leika.clone(),
            service_name: service.name.get(&crate::Lang::german()).to_owned(),
            destination: authority.destination,
            data_schema: service.data_schema.clone(),
            data,
        };
        (Sending { review, receipt }, draft)
    }
}

impl Review {
    fn of(applicant: Applicant, calendar: Option<Calendar>) -> Self {
        Review { applicant, calendar, consent: false, failure: None }
    }
}
