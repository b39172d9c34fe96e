// SPDX-License-Identifier: GPL-3.0-or-later
//! The simulated eID card of demo mode.
//!
//! Demo mode identifies through the same code path as a real reader: every
//! `read`, `change_pin` and `unblock_pin` runs [`EidReader`] (PACE, Terminal
//! Authentication, passive authentication, Chip Authentication, reading the
//! data groups) over an in-process transport into an [`eid_sim_card::SimCard`],
//! a simulated card whose cryptography is OpenPACE's. The card is built from
//! a card file (holder data, PIN, CAN, PUK) and a personalisation (CV chain,
//! CSCA, card keys) that is produced once with Debian's `cvc-create` and
//! `openssl`, in a temporary directory that is removed as soon as it is
//! loaded (shared by the readers of the process).
//!
//! The simulated card lives in the kiosk's memory, so it is dropped, and its
//! holder data and secrets wiped, when it is taken out. Like a physical
//! card it keeps a PIN the citizen changed: putting the same card file back
//! in gives the card with that PIN (and a fresh retry counter); once the PIN
//! is changed back to the file's, nothing of it is kept. What the terminal
//! read from the card belongs to the session and is wiped there.

mod card_file;

pub use card_file::{CardFile, CardFileError};

use card_reader::{ApduTransport, CardEvent, CardReader, EidConfig, EidReader, TransportError};
use eid::apdu::{CommandApdu, ResponseApdu};
use eid_sim_card::{SimCard, SimCardError};
use session::{CardData, CardError, CardItem, Fault, Pin};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;
use thiserror::Error;
use zeroize::Zeroizing;

/// Why the simulated reader could not serve an operation: the fault inside
/// [`CardError::Reader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SimulatedReaderError {
    /// The demo controls unplugged the reader.
    #[error("the simulated reader is unplugged; plug it back in with the demo controls")]
    Unplugged,
}

/// A personalisation: the card's files (`DIR/card`, name and content) and
/// the terminal configuration that goes with them. The files are kept in
/// memory: the temporary personalisation is gone from disk as soon as it is
/// loaded, so no process leaves it behind.
struct Personalisation {
    card_files: Vec<(std::ffi::OsString, Zeroizing<Vec<u8>>)>,
    config: Arc<EidConfig>,
}

fn temporary_dir() -> Result<tempfile::TempDir, SimCardError> {
    tempfile::Builder::new()
        .prefix("buergerterminal-sim-card-")
        .tempdir()
        .map_err(|source| SimCardError::Io { path: std::env::temp_dir(), source })
}

impl Personalisation {
    /// A card of this personalisation with `file`'s holder and secrets.
    fn card(&self, file: &CardFile) -> Result<SimCard, CardFileError> {
        let dir = temporary_dir()?;
        for (name, content) in &self.card_files {
            let path = dir.path().join(name);
            std::fs::write(&path, content.as_slice()).map_err(|source| SimCardError::Io { path, source })?;
        }
        Ok(file.make_card(dir.path())?)
    }

    /// The process's personalisation, made on first use in a temporary
    /// directory that is removed once loaded, and shared while any reader
    /// holds it.
    fn shared() -> Result<Arc<Self>, CardFileError> {
        static SHARED: Mutex<Weak<Personalisation>> = Mutex::new(Weak::new());
        let mut shared = SHARED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(existing) = shared.upgrade() {
            return Ok(existing);
        }
        let dir = temporary_dir()?;
        eid_sim_card::personalise::personalise(dir.path())?;
        let config = EidConfig::load(dir.path())?;
        let card_dir = dir.path().join("card");
        let io = |source| SimCardError::Io { path: card_dir.clone(), source };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&card_dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let content = Zeroizing::new(std::fs::read(&path).map_err(io)?);
            files.push((path.file_name().unwrap_or_default().to_owned(), content));
        }
        let made = Arc::new(Self { card_files: files, config: Arc::new(config) });
        *shared = Arc::downgrade(&made);
        Ok(made)
    }
}

#[derive(Default)]
struct SlotState {
    personalisation: Option<Arc<Personalisation>>,
    inserted: Option<SimCard>,
    /// The card file of the inserted card.
    inserted_path: Option<PathBuf>,
    /// A PIN changed away from its card file's, for that card file.
    changed_pin: Option<(PathBuf, Zeroizing<String>)>,
    reader_present: bool,
    pending: Vec<CardEvent>,
    pull_during_next_read: bool,
    read_delay: Duration,
}

/// The simulated reader's card slot: demo controls and tests insert and
/// remove the card through it while the kiosk holds the reader.
#[derive(Clone)]
pub struct SimulatedCardSlot {
    state: Arc<(Mutex<SlotState>, Condvar)>,
}

impl SimulatedCardSlot {
    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.state.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn notify(&self, mut state: MutexGuard<'_, SlotState>, event: CardEvent) {
        state.pending.push(event);
        drop(state);
        self.state.1.notify_all();
    }

    /// Inserts the card described by the card file at `path`.
    pub fn insert(&self, path: &Path) -> Result<(), CardFileError> {
        let mut file = CardFile::load(path)?;
        let mut state = self.lock();
        if let Some((changed_for, pin)) = &state.changed_pin
            && changed_for == path
        {
            file.set_pin(pin);
        }
        let personalisation = match &state.personalisation {
            Some(p) => Arc::clone(p),
            None => {
                let p = Personalisation::shared()?;
                state.personalisation = Some(Arc::clone(&p));
                p
            }
        };
        state.inserted = Some(personalisation.card(&file)?);
        state.inserted_path = Some(path.into());
        self.notify(state, CardEvent::Inserted);
        Ok(())
    }

    /// Removes the card; its data is dropped and wiped.
    pub fn remove(&self) {
        let mut state = self.lock();
        if state.inserted.take().is_some() {
            self.notify(state, CardEvent::Removed);
        }
    }

    #[cfg(test)]
    /// Unplugs the reader (the card goes with it).
    pub fn unplug_reader(&self) {
        let mut state = self.lock();
        state.inserted = None;
        state.reader_present = false;
        self.notify(state, CardEvent::ReaderGone);
    }

    #[cfg(test)]
    /// Plugs the reader back in.
    pub fn plug_reader(&self) {
        let mut state = self.lock();
        state.reader_present = true;
        self.notify(state, CardEvent::ReaderBack);
    }

    #[cfg(test)]
    /// Makes the next operation fail as if the card were pulled in the
    /// middle of it: the card leaves during PACE.
    pub fn pull_during_next_read(&self) {
        self.lock().pull_during_next_read = true;
    }

    /// How long a read takes at least (the real protocol takes about two
    /// seconds on a physical card; the simulated one is faster).
    pub fn set_read_delay(&self, delay: Duration) {
        self.lock().read_delay = delay;
    }

    #[cfg(test)]
    /// Switches the card's eID function on or off.
    pub fn set_eid_enabled(&self, enabled: bool) {
        if let Some(card) = self.lock().inserted.as_mut() {
            card.set_eid_deactivated(!enabled);
        }
    }

    #[cfg(test)]
    /// Whether a card is in the reader.
    pub fn has_card(&self) -> bool {
        self.lock().inserted.is_some()
    }
}

/// How many APDUs a card pulled "during the next read" still answers: the
/// EF.CardAccess read and the first PACE steps, so it leaves mid-PACE.
const PULL_AFTER_APDUS: usize = 3;

/// The in-process transport into the card in the slot.
struct SlotTransport<'s> {
    slot: &'s SimulatedCardSlot,
    pull_after: Option<usize>,
}

impl ApduTransport for SlotTransport<'_> {
    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        let bytes = Zeroizing::new(command.to_bytes().map_err(|e| TransportError::Malformed(Fault::new(e)))?);
        let mut state = self.slot.lock();
        if !state.reader_present {
            return Err(TransportError::Reader(Fault::new(SimulatedReaderError::Unplugged)));
        }
        if let Some(left) = self.pull_after.as_mut() {
            if *left == 0 {
                if state.inserted.take().is_some() {
                    self.slot.notify(state, CardEvent::Removed);
                }
                return Err(TransportError::CardRemoved);
            }
            *left -= 1;
        }
        let Some(card) = state.inserted.as_mut() else { return Err(TransportError::CardRemoved) };
        let answer = Zeroizing::new(card.transmit(&bytes));
        ResponseApdu::from_bytes(&answer).map_err(|e| TransportError::Malformed(Fault::new(e)))
    }

    /// The simulated card takes extended length, as its ATR says, and
    /// nothing sits between it and the terminal.
    fn extended_length(&self) -> bool {
        true
    }
}

/// A reader holding a simulated card. See the module documentation.
pub struct SimulatedReader {
    slot: SimulatedCardSlot,
}

impl SimulatedReader {
    /// An empty reader and the slot to put cards into. The card is
    /// personalised into a temporary directory when first inserted.
    pub fn new() -> (Self, SimulatedCardSlot) {
        Self::with_state(SlotState::default())
    }

    fn with_state(state: SlotState) -> (Self, SimulatedCardSlot) {
        let state = SlotState { reader_present: true, ..state };
        let slot = SimulatedCardSlot { state: Arc::new((Mutex::new(state), Condvar::new())) };
        (SimulatedReader { slot: slot.clone() }, slot)
    }

    /// Runs `operation` with an [`EidReader`] on the card in the slot,
    /// freshly reset like a card that was just connected to.
    fn with_card<R>(
        &mut self,
        operation: impl FnOnce(&mut EidReader<SlotTransport<'_>>) -> Result<R, CardError>,
    ) -> Result<R, CardError> {
        let delay = self.slot.lock().read_delay;
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let (config, pull) = {
            let mut state = self.slot.lock();
            if !state.reader_present {
                return Err(CardError::Reader(Fault::new(SimulatedReaderError::Unplugged)));
            }
            let config = state.personalisation.as_ref().map(|p| Arc::clone(&p.config));
            let pull = std::mem::take(&mut state.pull_during_next_read);
            match (state.inserted.as_mut(), config) {
                (Some(card), Some(config)) => {
                    card.reset();
                    (config, pull)
                }
                _ => return Err(CardError::NoCard),
            }
        };
        let transport = SlotTransport { slot: &self.slot, pull_after: pull.then_some(PULL_AFTER_APDUS) };
        operation(&mut EidReader::new(transport, config))
    }
}

impl CardReader for SimulatedReader {
    fn authorisation_valid_until(&self) -> Option<session::CardDate> {
        Some(self.slot.lock().personalisation.as_ref()?.config.last_day())
    }

    fn next_event(&mut self, timeout: Duration) -> Option<CardEvent> {
        let (lock, changed) = &*self.slot.state;
        let state = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (mut state, _) = changed
            .wait_timeout_while(state, timeout, |s| s.pending.is_empty())
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (!state.pending.is_empty()).then(|| state.pending.remove(0))
    }

    fn read(&mut self, pin: &Pin, can: Option<&Pin>, items: &[CardItem]) -> Result<CardData, CardError> {
        self.with_card(|reader| reader.read(pin, can, items))
    }

    fn change_pin(&mut self, current: &Pin, can: Option<&Pin>, new: &Pin) -> Result<(), CardError> {
        self.with_card(|reader| reader.change_pin(current, can, new))?;
        let mut state = self.slot.lock();
        let Some(path) = state.inserted_path.clone() else { return Ok(()) };
        // Remember the new PIN only while it differs from the file's, so the
        // demo's own PIN does not stay in memory once it is set back.
        let back_to_file = CardFile::load(&path).is_ok_and(|file| file.pin_is(new.expose()));
        state.changed_pin = (!back_to_file).then(|| (path, Zeroizing::new(new.expose().to_owned())));
        Ok(())
    }

    fn unblock_pin(&mut self, puk: &Pin) -> Result<(), CardError> {
        self.with_card(|reader| reader.unblock_pin(puk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use session::CardDate;

    fn demo_card() -> PathBuf {
        crate::demo::default_card_file()
    }

    fn pin(digits: &str) -> Pin {
        super::card_file::digits(digits)
    }

    fn inserted() -> (SimulatedReader, SimulatedCardSlot) {
        let (mut reader, slot) = SimulatedReader::new();
        slot.insert(&demo_card()).unwrap();
        assert_eq!(reader.next_event(Duration::ZERO), Some(CardEvent::Inserted));
        (reader, slot)
    }

    #[test]
    fn right_pin_reads_exactly_the_requested_items_with_umlauts() {
        let (mut reader, _slot) = inserted();
        let data = reader.read(&pin("123456"), None, &[CardItem::FamilyNames, CardItem::PlaceOfResidence]).unwrap();
        assert_eq!(data.identity.family_names.as_deref(), Some("Mustermann"));
        let address = data.identity.place_of_residence.as_ref().unwrap();
        assert_eq!((address.street.as_str(), address.city.as_str()), ("Heidestraße 17", "Köln"));
        assert_eq!(data.identity.given_names, None, "not requested, not released");
        assert_eq!(data.identity.items(), vec![CardItem::FamilyNames, CardItem::PlaceOfResidence]);
    }

    #[test]
    fn wrong_pin_decrements_retry_counter_then_suspends_then_blocks() {
        let (mut reader, _slot) = inserted();
        let items = [CardItem::GivenNames];
        assert_eq!(reader.read(&pin("000000"), None, &items), Err(CardError::WrongPin { attempts_left: 2 }));
        assert_eq!(reader.read(&pin("000000"), None, &items), Err(CardError::PinSuspended));
        assert_eq!(reader.read(&pin("123456"), None, &items), Err(CardError::PinSuspended), "CAN first");
        assert_eq!(reader.read(&pin("123456"), Some(&pin("111111")), &items), Err(CardError::WrongCan));
        assert_eq!(reader.read(&pin("000000"), Some(&pin("500540")), &items), Err(CardError::PinBlocked));
        assert_eq!(reader.read(&pin("123456"), Some(&pin("500540")), &items), Err(CardError::PinBlocked));
    }

    #[test]
    fn can_then_right_pin_resumes_a_suspended_pin() {
        let (mut reader, _slot) = inserted();
        let items = [CardItem::GivenNames];
        reader.read(&pin("000000"), None, &items).unwrap_err();
        reader.read(&pin("000000"), None, &items).unwrap_err();
        assert!(reader.read(&pin("123456"), Some(&pin("500540")), &items).is_ok());
        assert_eq!(reader.read(&pin("000000"), None, &items), Err(CardError::WrongPin { attempts_left: 2 }));
    }

    #[test]
    fn blocked_pin_is_unblocked_with_the_puk_and_the_old_pin_works_again() {
        let (mut reader, _slot) = inserted();
        let items = [CardItem::GivenNames];
        reader.read(&pin("000000"), None, &items).unwrap_err();
        reader.read(&pin("000000"), None, &items).unwrap_err();
        assert_eq!(reader.read(&pin("000000"), Some(&pin("500540")), &items), Err(CardError::PinBlocked));
        assert_eq!(reader.unblock_pin(&pin("1111111111")), Err(CardError::WrongPuk));
        reader.unblock_pin(&pin("9876543210")).unwrap();
        assert_eq!(reader.read(&pin("123456"), None, &items).unwrap().identity.given_names.as_deref(), Some("Erika"));
    }

    #[test]
    fn a_changed_pin_is_required_afterwards_also_after_reinserting_the_card() {
        let (mut reader, slot) = inserted();
        reader.change_pin(&pin("123456"), None, &pin("654321")).unwrap();
        slot.remove();
        slot.insert(&demo_card()).unwrap();
        let items = [CardItem::GivenNames];
        assert_eq!(reader.read(&pin("123456"), None, &items), Err(CardError::WrongPin { attempts_left: 2 }));
        assert!(reader.read(&pin("654321"), None, &items).is_ok());
    }

    #[test]
    fn removal_and_reader_unplug_are_reported_and_reads_fail_clearly() {
        let (mut reader, slot) = inserted();
        slot.remove();
        assert_eq!(reader.next_event(Duration::ZERO), Some(CardEvent::Removed));
        assert_eq!(reader.read(&pin("123456"), None, &[]), Err(CardError::NoCard));
        slot.unplug_reader();
        assert_eq!(reader.next_event(Duration::ZERO), Some(CardEvent::ReaderGone));
        let unplugged = reader.read(&pin("123456"), None, &[]);
        assert!(
            matches!(&unplugged, Err(CardError::Reader(fault)) if fault.downcast_ref() == Some(&SimulatedReaderError::Unplugged)),
            "{unplugged:?}"
        );
        slot.plug_reader();
        assert_eq!(reader.next_event(Duration::ZERO), Some(CardEvent::ReaderBack));
        assert_eq!(reader.next_event(Duration::from_millis(10)), None);
    }

    #[test]
    fn card_pulled_mid_read_gives_a_clear_error_and_the_next_attempt_works() {
        let (mut reader, slot) = inserted();
        slot.pull_during_next_read();
        assert_eq!(reader.read(&pin("123456"), None, &[CardItem::GivenNames]), Err(CardError::CardRemoved));
        assert_eq!(reader.next_event(Duration::ZERO), Some(CardEvent::Removed));
        slot.insert(&demo_card()).unwrap();
        assert!(reader.read(&pin("123456"), None, &[CardItem::GivenNames]).is_ok());
    }

    #[test]
    fn deactivated_eid_function_is_reported() {
        let (mut reader, slot) = inserted();
        slot.set_eid_enabled(false);
        assert_eq!(reader.read(&pin("123456"), None, &[CardItem::GivenNames]), Err(CardError::Deactivated));
    }

    #[test]
    fn the_card_files_dates_reach_the_session_as_dates() {
        let (mut reader, _slot) = inserted();
        let data = reader.read(&pin("123456"), None, &[CardItem::DateOfExpiry, CardItem::DateOfBirth]).unwrap();
        assert_eq!(data.identity.date_of_expiry, Some(CardDate::new(2031, 10, 31)));
        assert_eq!(data.identity.date_of_birth, Some(CardDate::new(1964, 8, 12)));
    }

    /// The demo card file with its date of birth replaced by `date`.
    fn card_born_on(dir: &Path, date: &str) -> PathBuf {
        let path = dir.join("card.toml");
        let text = std::fs::read_to_string(demo_card()).unwrap();
        assert!(text.contains("\"19640812\""), "the demo card's date of birth moved");
        std::fs::write(&path, text.replace("\"19640812\"", &format!("\"{date}\""))).unwrap();
        path
    }

    #[test]
    fn a_date_with_unknown_month_and_day_reaches_the_session_with_only_the_year() {
        let dir = tempfile::tempdir().unwrap();
        let (mut reader, slot) = SimulatedReader::new();
        slot.insert(&card_born_on(dir.path(), "1964    ")).unwrap();
        let data = reader.read(&pin("123456"), None, &[CardItem::DateOfBirth]).unwrap();
        assert_eq!(data.identity.date_of_birth, Some(CardDate { year: Some(1964), month: None, day: None }));
    }

    #[test]
    fn a_date_that_is_not_yyyymmdd_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = CardFile::load(&card_born_on(dir.path(), "12.08.1964")).err().unwrap();
        assert!(matches!(&err, CardFileError::Date { field: "date-of-birth", .. }), "{err}");
        assert!(err.to_string().contains("YYYYMMDD"), "{err}");
    }

    /// Issue #11 part 5: this card went through the whole flow to a receipt.
    #[test]
    fn a_card_file_whose_date_of_expiry_is_past_is_refused_as_expired() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("card.toml");
        let text = std::fs::read_to_string(demo_card()).unwrap();
        assert!(text.contains("date-of-expiry = \"20311031\""), "the demo card's date of expiry moved");
        std::fs::write(&path, text.replace("date-of-expiry = \"20311031\"", "date-of-expiry = \"20200101\"")).unwrap();
        let (mut reader, slot) = SimulatedReader::new();
        slot.insert(&path).unwrap();
        assert_eq!(reader.read(&pin("123456"), None, &[CardItem::GivenNames]), Err(CardError::Expired));
    }

    #[test]
    fn a_broken_card_file_is_a_clear_error() {
        let (_reader, slot) = SimulatedReader::new();
        let err = slot.insert(Path::new("/nonexistent/card.toml")).unwrap_err();
        assert!(err.to_string().contains("cannot read the simulated card file"));
    }
}
