// SPDX-License-Identifier: GPL-3.0-or-later
//! The simulated eID card of demo mode.
//!
//! It behaves towards the session like a real German ID card: three PIN
//! attempts, the PIN suspended after the second wrong one (the third attempt
//! needs the CAN, TR-03110-2 3.5.1), blocked after the third, a switchable
//! eID function, and it releases only the items asked for. Its data is read
//! from a card file when the card is inserted and dropped (zeroized) when it
//! is removed. It does not speak APDUs; the PC/SC path does.

use crate::{CardEvent, CardReader};
use serde::Deserialize;
use session::{CardData, CardError, CardItem, Identity, Pin};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Why a card file could not be used.
#[derive(Debug, Error)]
pub enum CardFileError {
    /// The file could not be read.
    #[error("cannot read the simulated card file {path}: {source}; check the demo configuration")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a card file.
    #[error("the simulated card file {path} is not valid: {source}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Why.
        source: toml::de::Error,
    },
}

/// The contents of a simulated card. Zeroized on drop.
#[derive(Clone, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(rename_all = "kebab-case")]
pub struct CardFile {
    pin: String,
    can: String,
    puk: String,
    eid_enabled: bool,
    identity: Identity,
}

impl CardFile {
    /// Reads a card file (TOML).
    pub fn load(path: &Path) -> Result<Self, CardFileError> {
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| CardFileError::Read { path: path.into(), source })?,
        );
        toml::from_str(&text).map_err(|source| CardFileError::Syntax { path: path.into(), source })
    }

    /// The PIN, as the citizen knows it from the PIN letter (for the scripted
    /// citizen of the headless demo).
    pub fn pin(&self) -> Pin {
        let mut pin = Pin::default();
        self.pin.chars().for_each(|d| pin.push(d));
        pin
    }

    /// The card access number printed on the card.
    pub fn can(&self) -> Pin {
        let mut can = Pin::default();
        self.can.chars().for_each(|d| can.push(d));
        can
    }
}

#[derive(Default)]
struct SlotState {
    path: Option<PathBuf>,
    card: Option<CardFile>,
    retries: u8,
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
        let card = CardFile::load(path)?;
        let mut state = self.lock();
        if state.path.as_deref() != Some(path) {
            state.retries = 3;
            state.path = Some(path.into());
        }
        state.card = Some(card);
        self.notify(state, CardEvent::Inserted);
        Ok(())
    }

    /// Removes the card; its data is dropped and zeroized.
    pub fn remove(&self) {
        let mut state = self.lock();
        if state.card.take().is_some() {
            self.notify(state, CardEvent::Removed);
        }
    }

    /// Unplugs the reader (the card goes with it).
    pub fn unplug_reader(&self) {
        let mut state = self.lock();
        state.card = None;
        state.reader_present = false;
        self.notify(state, CardEvent::ReaderGone);
    }

    /// Plugs the reader back in.
    pub fn plug_reader(&self) {
        let mut state = self.lock();
        state.reader_present = true;
        self.notify(state, CardEvent::ReaderBack);
    }

    /// Makes the next read fail as if the card were pulled mid-operation.
    pub fn pull_during_next_read(&self) {
        self.lock().pull_during_next_read = true;
    }

    /// How long a read takes (the real protocol takes about two seconds).
    pub fn set_read_delay(&self, delay: Duration) {
        self.lock().read_delay = delay;
    }

    /// Switches the card's eID function on or off.
    pub fn set_eid_enabled(&self, enabled: bool) {
        if let Some(card) = self.lock().card.as_mut() {
            card.eid_enabled = enabled;
        }
    }

    /// Whether a card is in the reader.
    pub fn has_card(&self) -> bool {
        self.lock().card.is_some()
    }
}

/// A reader holding a simulated card. See the module documentation.
pub struct SimulatedReader {
    slot: SimulatedCardSlot,
}

impl SimulatedReader {
    /// An empty reader and the slot to put cards into.
    pub fn new() -> (Self, SimulatedCardSlot) {
        let state = SlotState { retries: 3, reader_present: true, ..SlotState::default() };
        let slot = SimulatedCardSlot { state: Arc::new((Mutex::new(state), Condvar::new())) };
        (SimulatedReader { slot: slot.clone() }, slot)
    }
}

impl CardReader for SimulatedReader {
    fn next_event(&mut self, timeout: Duration) -> Option<CardEvent> {
        let (lock, changed) = &*self.slot.state;
        let state = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (mut state, _) = changed
            .wait_timeout_while(state, timeout, |s| s.pending.is_empty())
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (!state.pending.is_empty()).then(|| state.pending.remove(0))
    }

    fn read(&mut self, pin: &Pin, can: Option<&Pin>, items: &[CardItem]) -> Result<CardData, CardError> {
        let delay = self.slot.lock().read_delay;
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let mut state = self.slot.lock();
        if !state.reader_present {
            return Err(CardError::Reader("the simulated reader is unplugged".into()));
        }
        if std::mem::take(&mut state.pull_during_next_read) {
            state.card = None;
            self.slot.notify(state, CardEvent::Removed);
            return Err(CardError::CardRemoved);
        }
        let retries = state.retries;
        let Some(card) = state.card.as_ref() else { return Err(CardError::NoCard) };
        if !card.eid_enabled {
            return Err(CardError::Deactivated);
        }
        let pin_ok = pin.expose() == card.pin;
        let can_ok = can.is_some_and(|c| c.expose() == card.can);
        let identity = card.identity.restricted_to(items);
        match retries {
            0 => Err(CardError::PinBlocked),
            1 if can.is_none() => Err(CardError::PinSuspended),
            1 if !can_ok => Err(CardError::WrongCan),
            _ if pin_ok => {
                state.retries = 3;
                Ok(CardData { identity })
            }
            _ => {
                state.retries -= 1;
                Err(match state.retries {
                    0 => CardError::PinBlocked,
                    1 => CardError::PinSuspended,
                    left => CardError::WrongPin { attempts_left: left },
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_card() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../kiosk/config/demo-card.toml")
    }

    fn pin(digits: &str) -> Pin {
        let mut pin = Pin::default();
        digits.chars().for_each(|d| pin.push(d));
        pin
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
        assert_eq!(data.identity.place_of_residence.as_ref().unwrap().street, "Heidestraße 17");
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
    fn removal_and_reader_unplug_are_reported_and_reads_fail_clearly() {
        let (mut reader, slot) = inserted();
        slot.remove();
        assert_eq!(reader.next_event(Duration::ZERO), Some(CardEvent::Removed));
        assert_eq!(reader.read(&pin("123456"), None, &[]), Err(CardError::NoCard));
        slot.unplug_reader();
        assert_eq!(reader.next_event(Duration::ZERO), Some(CardEvent::ReaderGone));
        assert!(matches!(reader.read(&pin("123456"), None, &[]), Err(CardError::Reader(_))));
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
    fn a_broken_card_file_is_a_clear_error() {
        let (_reader, slot) = SimulatedReader::new();
        let err = slot.insert(Path::new("/nonexistent/card.toml")).unwrap_err();
        assert!(err.to_string().contains("cannot read the simulated card file"));
    }
}
