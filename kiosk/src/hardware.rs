// SPDX-License-Identifier: GPL-3.0-or-later
//! Carries out the session's effects on the hardware seams (card reader,
//! portal, printer), each off the UI thread, and reports back as session
//! events through one channel. Nothing here decides anything: it translates
//! between the session's vocabulary and each seam's.

use crate::config::Config;
use card_reader::{CardEvent, CardReader};
use chrono::{Datelike, Local, Timelike};
use portal::{Delivery, DeliveryState, Portal, PortalError, SlotOffer, Submission};
use printer::{PrintWorker, Receipt, ReceiptPrinter};
use session::{
    Booking, CardItem, Delivered, Effect, Event, Lang, Pin, ReceiptView, RequestState, Slot, SlotKind, StatusOutcome,
    SubmissionDraft, SubmitFailure,
};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;
use std::time::Duration;

/// How many days of the calendar the booking screen offers.
const CALENDAR_DAYS: u32 = 28;
/// How long the UI waits for the printer before showing the receipt on screen.
const PRINT_TIMEOUT: Duration = Duration::from_secs(60);

enum CardCommand {
    Read { pin: Pin, can: Option<Pin>, items: Vec<CardItem> },
    ChangePin { current: Pin, can: Option<Pin>, new: Pin },
    UnblockPin { puk: Pin },
}

/// The three seams and the channel their answers come back on.
pub struct Hardware {
    card: Sender<CardCommand>,
    portal: Arc<dyn Portal>,
    printer: PrintWorker,
    events: Sender<Event>,
    /// Answers and reader events, for the UI thread to feed to the session.
    pub inbox: Receiver<Event>,
}

impl Hardware {
    /// Starts the card thread and the print worker.
    pub fn start(
        reader: Box<dyn CardReader>,
        portal: Arc<dyn Portal>,
        printer: Box<dyn ReceiptPrinter>,
    ) -> anyhow::Result<Hardware> {
        let (events, inbox) = channel();
        let (card, commands) = channel();
        let card_events = events.clone();
        thread::Builder::new().name("card".into()).spawn(move || card_thread(reader, &commands, &card_events))?;
        let printer = PrintWorker::spawn(printer)?;
        Ok(Hardware { card, portal, printer, events, inbox })
    }

    /// Starts the work for one effect; its answer arrives in [`Hardware::inbox`].
    /// [`Effect::Wiped`] needs no hardware and is ignored here.
    pub fn perform(&self, effect: Effect, config: &Config) {
        match effect {
            Effect::ReadCard { pin, can, items } => {
                if self.card.send(CardCommand::Read { pin, can, items }).is_err() {
                    self.reply(Event::CardRead(Err(card_thread_stopped())));
                }
            }
            Effect::ChangePin { current, can, new } => {
                if self.card.send(CardCommand::ChangePin { current, can, new }).is_err() {
                    self.reply(Event::PinChanged(Err(card_thread_stopped())));
                }
            }
            Effect::UnblockPin { puk } => {
                if self.card.send(CardCommand::UnblockPin { puk }).is_err() {
                    self.reply(Event::PinChanged(Err(card_thread_stopped())));
                }
            }
            Effect::LoadSlots { service_id, booking } => {
                let portal = Arc::clone(&self.portal);
                self.in_background("slots", move || Event::SlotsLoaded(load_slots(&*portal, &service_id, booking)));
            }
            Effect::Submit(draft) => {
                let portal = Arc::clone(&self.portal);
                self.in_background("submit", move || Event::Submitted(submit(&*portal, *draft)));
            }
            Effect::CheckStatus(number) => {
                let portal = Arc::clone(&self.portal);
                self.in_background("status", move || Event::StatusLoaded(status(&*portal, number.as_str())));
            }
            Effect::Print(view) => {
                let ticket = self.printer.submit(printed_receipt(&view, config));
                self.in_background("print", move || {
                    let result = match ticket.wait(PRINT_TIMEOUT) {
                        Some(Ok(Ok(_))) => Ok(()),
                        Some(Ok(Err(error))) => Err(error.to_string()),
                        Some(Err(error)) => Err(error.to_string()),
                        None => Err("the printer did not finish in time".into()),
                    };
                    if let Err(fault) = &result {
                        // For maintenance staff (journald); the citizen sees the receipt on screen.
                        tracing::warn!(%fault, "receipt printer fault; receipt shown on screen");
                    }
                    Event::Printed(result)
                });
            }
            Effect::Wiped(_) => {}
        }
    }

    fn reply(&self, event: Event) {
        // The receiver lives as long as the kiosk; a send can fail only
        // while it shuts down, when the answer no longer matters.
        let _ = self.events.send(event);
    }

    fn in_background(&self, name: &str, work: impl FnOnce() -> Event + Send + 'static) {
        let events = self.events.clone();
        let spawned = thread::Builder::new().name(name.into()).spawn(move || {
            let _ = events.send(work());
        });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start a worker thread");
        }
    }
}

fn card_thread_stopped() -> session::CardError {
    session::CardError::Reader("the card thread stopped".into())
}

/// The one thread that talks to the reader: card operations one at a time,
/// reader events in between. Secrets are dropped (zeroized) right after the
/// card has used them; logs carry the outcome, never a secret or a value.
fn card_thread(mut reader: Box<dyn CardReader>, commands: &Receiver<CardCommand>, events: &Sender<Event>) {
    loop {
        let answer = match commands.try_recv() {
            Ok(CardCommand::Read { pin, can, items }) => {
                let result = reader.read(&pin, can.as_ref(), &items);
                drop((pin, can));
                match &result {
                    Ok(data) => tracing::info!(items = ?data.identity.items(), "card data read"),
                    Err(error) => tracing::info!(%error, "card read failed"),
                }
                Some(Event::CardRead(result))
            }
            Ok(CardCommand::ChangePin { current, can, new }) => {
                let result = reader.change_pin(&current, can.as_ref(), &new);
                drop((current, can, new));
                match &result {
                    Ok(()) => tracing::info!("card PIN changed"),
                    Err(error) => tracing::info!(%error, "PIN change failed"),
                }
                Some(Event::PinChanged(result))
            }
            Ok(CardCommand::UnblockPin { puk }) => {
                let result = reader.unblock_pin(&puk);
                drop(puk);
                match &result {
                    Ok(()) => tracing::info!("card PIN unblocked"),
                    Err(error) => tracing::info!(%error, "PIN unblock failed"),
                }
                Some(Event::PinChanged(result))
            }
            Err(std::sync::mpsc::TryRecvError::Disconnected) => return,
            Err(std::sync::mpsc::TryRecvError::Empty) => None,
        };
        if let Some(answer) = answer
            && events.send(answer).is_err()
        {
            return;
        }
        let event = match reader.next_event(Duration::from_millis(30)) {
            Some(CardEvent::Inserted) => Event::CardInserted,
            Some(CardEvent::Removed | CardEvent::ReaderGone) => Event::CardRemoved,
            Some(CardEvent::ReaderBack) | None => continue,
        };
        if events.send(event).is_err() {
            return;
        }
    }
}

fn load_slots(portal: &dyn Portal, service_id: &str, booking: Booking) -> Result<Vec<Slot>, String> {
    let today = Local::now().date_naive();
    match portal.slots(service_id, today, CALENDAR_DAYS) {
        Ok(offers) => Ok(offers.iter().filter(|o| booking_offers(booking, o)).map(slot).collect()),
        Err(error) => {
            tracing::warn!(%error, service_id, "calendar not available");
            Err(error.to_string())
        }
    }
}

fn booking_offers(booking: Booking, offer: &SlotOffer) -> bool {
    match booking {
        Booking::BulkyWaste => matches!(offer.kind, portal::SlotKind::Standard | portal::SlotKind::Express),
        Booking::Appointment => offer.kind == portal::SlotKind::Appointment,
        Booking::None => false,
    }
}

fn slot(offer: &SlotOffer) -> Slot {
    Slot {
        id: offer.id.clone(),
        date: (offer.date.year(), offer.date.month(), offer.date.day()),
        weekday: offer.date.weekday().num_days_from_monday(),
        time: offer.time.map(|(a, b)| ((a.hour(), a.minute()), (b.hour(), b.minute()))),
        kind: match offer.kind {
            portal::SlotKind::Standard => SlotKind::Standard,
            portal::SlotKind::Express => SlotKind::Express,
            portal::SlotKind::Appointment => SlotKind::Appointment,
        },
        fee_cents: offer.fee_cents,
    }
}

fn submit(portal: &dyn Portal, draft: SubmissionDraft) -> Result<Delivered, SubmitFailure> {
    let submission = Submission {
        tracking_number: draft.tracking.as_str().to_owned(),
        service_id: draft.service_id.clone(),
        leika_id: draft.leika.clone(),
        destination_id: draft.destination.clone(),
        data_schema_uri: draft.data_schema.clone(),
        data: zeroize::Zeroizing::new(draft.data.as_bytes().to_vec()),
        application_date: Local::now().date_naive(),
    };
    drop(draft);
    match portal.submit(submission) {
        Ok(Delivery::Sent) => Ok(Delivered::Sent),
        Ok(Delivery::Queued) => Ok(Delivered::Queued),
        Err(error) => {
            tracing::error!(%error, "request could not be stored");
            Err(SubmitFailure::NotStored(error.to_string()))
        }
    }
}

fn status(portal: &dyn Portal, tracking_number: &str) -> StatusOutcome {
    match portal.status(tracking_number) {
        Ok(status) => StatusOutcome::Found {
            state: match status.delivery {
                DeliveryState::Queued => RequestState::Queued,
                DeliveryState::Sent => RequestState::Sent,
                DeliveryState::Received => RequestState::Received,
                DeliveryState::Accepted => RequestState::Accepted,
                DeliveryState::Rejected => RequestState::Rejected,
            },
            processing: status.processing,
            service_id: status.service_id,
        },
        Err(PortalError::NotFound { .. }) => StatusOutcome::NotFound,
        Err(error) => {
            tracing::warn!(%error, "status check failed");
            StatusOutcome::Unavailable
        }
    }
}

/// The paper receipt for a session's receipt view: in the session's
/// language, with no personal data (only the names of the card items sent).
pub fn printed_receipt(view: &ReceiptView, config: &Config) -> Receipt {
    let lang: &Lang = &view.lang;
    let label = |key: &str| config.texts.receipt(key, lang);
    let mut details = Vec::new();
    if let Some(slot) = &view.slot {
        details.push((label("date"), slot.clone()));
    }
    details.push((label("fee"), view.fee.clone()));
    details.push((label("state"), label(if view.delivered == Delivered::Sent { "sent" } else { "queued" })));
    details.push((label("sent-to"), view.authority.clone()));
    if !view.items_sent.is_empty() {
        details.push((label("card-data"), config.texts.card_items(&view.items_sent, lang)));
    }
    details.push((label("terminal"), config.terminal.terminal_id.clone()));
    Receipt {
        municipality: config.terminal.municipality.clone(),
        logo: None,
        title: label("title"),
        service: view.service.clone(),
        issued_at: Local::now().format("%d.%m.%Y, %H:%M").to_string(),
        tracking_label: label("tracking"),
        tracking_number: view.tracking.clone(),
        status_url: config.terminal.status_url_for(&view.tracking),
        details,
        footer: Some(label("footer")),
    }
}
