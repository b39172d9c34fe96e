// SPDX-License-Identifier: GPL-3.0-or-later
//! The terminal's devices: the card reader, the portal and the receipt
//! printer, each worked off the UI thread. The session's effects go in, its
//! answers come back as session events through one channel. Nothing here
//! decides anything: it translates between the session's vocabulary and
//! each seam's, and keeps each seam's error typed ([`session::Fault`]).

use card_reader::{CardEvent, CardReader};
use chrono::{Datelike, Local, Timelike};
use portal::{Delivery, DeliveryState, Portal, PortalError, SlotOffer, Submission};
use printer::{PrintWorker, Receipt, ReceiptPrinter};
use session::{
    Booking, CardDate, CardError, CardItem, Delivered, Event, Fault, Pin, RequestState, Slot, SlotKind, StatusOutcome,
    SubmissionDraft, SubmitFailure, TrackingNumber,
};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How many days of the calendar the booking screen offers.
const CALENDAR_DAYS: u32 = 28;
/// How long the UI waits for the printer before showing the receipt on screen.
const PRINT_TIMEOUT: Duration = Duration::from_secs(60);

/// A failure of the terminal's own plumbing around a device.
#[derive(Debug, thiserror::Error)]
pub enum DeviceFault {
    /// The thread that talks to the card reader has ended.
    #[error("the card reader's thread has stopped; restart the terminal")]
    CardThreadStopped,
    /// The printer took longer than the terminal waits.
    #[error("the receipt printer did not finish within {0:?}; check its paper and cable")]
    PrintTimedOut(Duration),
}

enum CardCommand {
    Read { pin: Pin, can: Option<Pin>, items: Vec<CardItem> },
    ReadOnReader { can_first: bool, items: Vec<CardItem> },
    ChangePin { current: Pin, can: Option<Pin>, new: Pin },
    UnblockPin { puk: Pin },
}

/// How the devices stand, for the staff's health page.
#[derive(Debug, Clone)]
pub struct Health {
    /// Whether the card reader is there (`None`: it has not said yet).
    pub reader_present: Option<bool>,
    /// The last day of the eID authorisation the reader uses (`None`: none
    /// loaded yet).
    pub eid_valid_until: Option<CardDate>,
    /// The printer's last status and fault.
    pub printer: printer::PrinterHealth,
    /// The store-and-forward queue, if the portal has one.
    pub queue: Option<portal::QueueHealth>,
}

/// The three devices and the channel their answers come back on.
pub struct Devices {
    card: Sender<CardCommand>,
    reader_present: Arc<Mutex<Option<bool>>>,
    eid_valid_until: Arc<Mutex<Option<CardDate>>>,
    portal: Arc<dyn Portal>,
    printer: PrintWorker,
    events: Sender<Event>,
    inbox: Receiver<Event>,
}

impl Devices {
    /// Starts the card thread and the print worker.
    pub fn start(
        reader: Box<dyn CardReader>,
        portal: Arc<dyn Portal>,
        printer: Box<dyn ReceiptPrinter>,
    ) -> std::io::Result<Devices> {
        let (events, inbox) = channel();
        let (card, commands) = channel();
        let card_events = events.clone();
        let reader_present = Arc::new(Mutex::new(None));
        let present = Arc::clone(&reader_present);
        let eid_valid_until = Arc::new(Mutex::new(None));
        let valid_until = Arc::clone(&eid_valid_until);
        thread::Builder::new()
            .name("card".into())
            .spawn(move || card_thread(reader, &commands, &card_events, &present, &valid_until))?;
        let printer = PrintWorker::spawn(printer)?;
        Ok(Devices { card, reader_present, eid_valid_until, portal, printer, events, inbox })
    }

    /// How the devices stand now. Asks no device: it reports what the
    /// devices last said, and the queue's local state.
    pub fn health(&self) -> Health {
        Health {
            reader_present: *self.reader_present.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
            eid_valid_until: *self.eid_valid_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
            printer: self.printer.health(),
            queue: self.portal.queue_health(),
        }
    }

    /// Answers and reader events that have arrived, for the UI thread to
    /// feed to the session.
    pub fn arrived(&self) -> impl Iterator<Item = Event> + '_ {
        self.inbox.try_iter()
    }

    /// Waits up to `timeout` for the next answer or reader event.
    pub fn next(&self, timeout: Duration) -> Option<Event> {
        self.inbox.recv_timeout(timeout).ok()
    }

    /// Reads `items` from the card; answers [`Event::CardRead`].
    pub fn read_card(&self, pin: Pin, can: Option<Pin>, items: Vec<CardItem>) {
        self.to_card(CardCommand::Read { pin, can, items }, |e| Event::CardRead(Err(e)));
    }

    /// Reads `items` with the PIN typed on the reader's keypad; answers [`Event::CardRead`].
    pub fn read_card_on_reader(&self, can_first: bool, items: Vec<CardItem>) {
        self.to_card(CardCommand::ReadOnReader { can_first, items }, |e| Event::CardRead(Err(e)));
    }

    /// Sets a new PIN; answers [`Event::PinChanged`].
    pub fn change_pin(&self, current: Pin, can: Option<Pin>, new: Pin) {
        self.to_card(CardCommand::ChangePin { current, can, new }, |e| Event::PinChanged(Err(e)));
    }

    /// Unblocks the PIN with the PUK; answers [`Event::PinChanged`].
    pub fn unblock_pin(&self, puk: Pin) {
        self.to_card(CardCommand::UnblockPin { puk }, |e| Event::PinChanged(Err(e)));
    }

    /// Asks the portal's calendar; answers [`Event::SlotsLoaded`].
    pub fn load_slots(&self, service_id: String, booking: Booking) {
        let portal = Arc::clone(&self.portal);
        self.in_background("slots", move || Event::SlotsLoaded(load_slots(&*portal, &service_id, booking)));
    }

    /// Hands a request to the portal; answers [`Event::Submitted`].
    pub fn submit(&self, draft: SubmissionDraft) {
        let portal = Arc::clone(&self.portal);
        self.in_background("submit", move || Event::Submitted(submit(&*portal, draft)));
    }

    /// Asks the portal how a request stands; answers [`Event::StatusLoaded`].
    pub fn check_status(&self, number: TrackingNumber) {
        let portal = Arc::clone(&self.portal);
        self.in_background("status", move || Event::StatusLoaded(status(&*portal, &number)));
    }

    /// Prints a receipt; the answer arrives as [`Event::Printed`].
    pub fn print(&self, paper: Receipt) {
        self.print_answering(paper, Event::Printed);
    }

    /// Prints the staff's test receipt; the answer arrives as
    /// [`Event::TestPrinted`].
    pub fn test_print(&self, paper: Receipt) {
        self.print_answering(paper, Event::TestPrinted);
    }

    fn print_answering(&self, paper: Receipt, answer: fn(Result<(), Fault>) -> Event) {
        let ticket = self.printer.submit(paper);
        self.in_background("print", move || {
            let result = match ticket.wait(PRINT_TIMEOUT) {
                Some(Ok(Ok(_))) => Ok(()),
                Some(Ok(Err(error))) => Err(Fault::new(error)),
                Some(Err(error)) => Err(Fault::new(error)),
                None => Err(Fault::new(DeviceFault::PrintTimedOut(PRINT_TIMEOUT))),
            };
            if let Err(fault) = &result {
                // For maintenance staff (journald); the citizen sees the receipt on screen.
                tracing::warn!(%fault, "receipt printer fault");
            }
            answer(result)
        });
    }

    fn to_card(&self, command: CardCommand, failed: fn(CardError) -> Event) {
        if self.card.send(command).is_err() {
            self.reply(failed(CardError::Reader(Fault::new(DeviceFault::CardThreadStopped))));
        }
    }

    fn reply(&self, event: Event) {
        // The receiver lives as long as the terminal; a send can fail only
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

/// The one thread that talks to the reader: card operations one at a time,
/// reader events in between. Secrets are dropped (zeroized) right after the
/// card has used them; logs carry the outcome, never a secret or a value.
fn card_thread(
    mut reader: Box<dyn CardReader>,
    commands: &Receiver<CardCommand>,
    events: &Sender<Event>,
    reader_present: &Mutex<Option<bool>>,
    eid_valid_until: &Mutex<Option<CardDate>>,
) {
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
            Ok(CardCommand::ReadOnReader { can_first, items }) => {
                let result = reader.read_on_reader(can_first, &items);
                match &result {
                    Ok(data) => {
                        tracing::info!(items = ?data.identity.items(), "card data read, PIN on the reader's keypad")
                    }
                    Err(error) => tracing::info!(%error, "card read failed, PIN on the reader's keypad"),
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
        let happened = reader.next_event(Duration::from_millis(30));
        *eid_valid_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = reader.authorisation_valid_until();
        if let Some(present) = match happened {
            Some(CardEvent::ReaderGone) => Some(false),
            Some(CardEvent::ReaderBack | CardEvent::Inserted | CardEvent::Removed) => Some(true),
            Some(CardEvent::AuthorisationLapsed | CardEvent::AuthorisationRenewed) | None => None,
        } {
            *reader_present.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(present);
        }
        if happened == Some(CardEvent::Inserted) && events.send(Event::ReaderPinEntry(reader.pin_entry())).is_err() {
            return;
        }
        let event = match happened {
            Some(CardEvent::Inserted) => Event::CardInserted,
            Some(CardEvent::Removed | CardEvent::ReaderGone) => Event::CardRemoved,
            Some(CardEvent::AuthorisationLapsed) => Event::AuthorisationLapsed,
            Some(CardEvent::AuthorisationRenewed) => Event::AuthorisationRenewed,
            Some(CardEvent::ReaderBack) | None => continue,
        };
        if events.send(event).is_err() {
            return;
        }
    }
}

fn load_slots(portal: &dyn Portal, service_id: &str, booking: Booking) -> Result<Vec<Slot>, Fault> {
    let today = Local::now().date_naive();
    match portal.slots(service_id, today, CALENDAR_DAYS) {
        Ok(offers) => Ok(offers.iter().filter(|o| booking_offers(booking, o)).map(slot).collect()),
        Err(error) => {
            tracing::warn!(%error, service_id, "calendar not available");
            Err(Fault::new(error))
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
        service_name: draft.service_name.clone(),
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
            Err(SubmitFailure::NotStored(Fault::new(error)))
        }
    }
}

fn status(portal: &dyn Portal, tracking: &TrackingNumber) -> StatusOutcome {
    match portal.status(tracking.as_str()) {
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
