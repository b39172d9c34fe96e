// SPDX-License-Identifier: GPL-3.0-or-later
//! The German eID card on a PC/SC reader: [`card_reader::CardReader`] over
//! pcsc-lite.
//!
//! Events come from a [`ReaderWatch`]; every operation (read, PIN change,
//! unblock) connects exclusively, resets the card so it starts in a fresh
//! card session (no secure channel or selected file left from before), runs
//! [`EidReader`] over the [`Transport`], and resets the card again when done
//! so that no authenticated channel outlives the operation.
//!
//! A reader that announces `FEATURE_EXECUTE_PACE` takes the PIN for reading
//! on its own keypad ([`PinEntry::OnReader`]): `read_on_reader` sends
//! `EstablishPACEChannel` through `SCardControl` and the eID flow goes on
//! from the reader's output (see `card_reader::PinPadReader`).

use crate::{
    FEATURE_EXECUTE_PACE, Features, LengthMode, PcscError, Pcscd, ReaderWatch, SharedDriver, Transport, list_readers,
};
use card_reader::{
    ApduTransport, Authorisation, CardEvent, CardReader, EidReader, OperationStats, PinEntry, PinPadReader,
    TransportError,
};
use eid::apdu::{CommandApdu, ResponseApdu};
use session::{CardData, CardError, CardItem, Fault, Pin};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

impl ApduTransport for Transport {
    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        Transport::transmit(self, command).map_err(transport_error)
    }

    fn extended_length(&self) -> bool {
        Transport::extended_length(self)
    }
}

impl PinPadReader for Transport {
    fn establish_pace_channel(&mut self, input: &[u8]) -> Result<Vec<u8>, TransportError> {
        let code = self.execute_pace.ok_or_else(|| TransportError::Reader(Fault::new(PcscError::NoPinPad)))?;
        let output = self.control(code, input).map_err(|e| transport_error(PcscError::from_pcsc(e)))?;
        Ok(output.to_vec())
    }
}

/// The PC/SC error as the transport seam's: the card's own comings and
/// goings by name, everything else with the [`PcscError`] as its fault.
fn transport_error(e: PcscError) -> TransportError {
    match e {
        PcscError::CardRemoved => TransportError::CardRemoved,
        PcscError::NoCard => TransportError::NoCard,
        PcscError::CardReset => TransportError::CardReset,
        other @ (PcscError::Apdu(_) | PcscError::ChainRefused { .. }) => TransportError::Malformed(Fault::new(other)),
        other => TransportError::Reader(Fault::new(other)),
    }
}

fn connect_error(e: PcscError) -> CardError {
    match e {
        PcscError::NoCard => CardError::NoCard,
        PcscError::CardRemoved => CardError::CardRemoved,
        other => CardError::Reader(Fault::new(other)),
    }
}

/// A PC/SC reader with the German eID card. See the module documentation.
pub struct PcscReader {
    reader: String,
    watch: ReaderWatch,
    authorisation: Authorisation,
    length: LengthMode,
    driver: SharedDriver,
    features: Features,
    stats: OperationStats,
    /// When [`PcscReader::any`] last looked for a reader.
    looked_at: Option<Instant>,
}

/// How often a terminal without a reader looks for one.
const LOOK_FOR_READER: Duration = Duration::from_secs(1);

impl std::fmt::Debug for PcscReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscReader").field("reader", &self.reader).field("features", &self.features).finish()
    }
}

impl PcscReader {
    /// The reader named `reader` (as [`list_readers`] gives it). It need not
    /// be connected yet: its arrival is reported as [`CardEvent::ReaderBack`].
    /// Cards are authenticated with `authorisation` (an
    /// `Arc<card_reader::EidConfig>` converts into a fixed one).
    pub fn named(reader: &str, authorisation: impl Into<Authorisation>) -> Self {
        Self {
            reader: reader.to_owned(),
            watch: ReaderWatch::new(reader),
            authorisation: authorisation.into(),
            length: LengthMode::Auto,
            driver: Arc::new(Mutex::new(Pcscd)),
            features: Features::default(),
            stats: OperationStats::default(),
            looked_at: None,
        }
    }

    /// The first reader pcscd lists, now or, if there is none yet, as soon
    /// as one is plugged in (it is then reported as [`CardEvent::ReaderBack`]).
    /// An appliance configured without a reader name uses this, so that it
    /// starts, and shows its welcome screen, before the reader is there.
    pub fn any(authorisation: impl Into<Authorisation>) -> Self {
        let reader = list_readers().ok().and_then(|readers| readers.into_iter().next()).unwrap_or_default();
        Self::named(&reader, authorisation)
    }

    /// The first reader pcscd lists now.
    pub fn first(authorisation: impl Into<Authorisation>) -> Result<Self, PcscError> {
        let readers = list_readers()?;
        let reader = readers.first().ok_or(PcscError::NoReader)?;
        Ok(Self::named(reader, authorisation))
    }

    /// Forces short or extended APDUs instead of following the card's ATR.
    pub fn with_length_mode(mut self, length: LengthMode) -> Self {
        self.length = length;
        self
    }

    /// Sends through `driver` instead of straight to pcscd ([`Pcscd`]):
    /// what a reader's firmware does between `SCardTransmit` or
    /// `SCardControl` and the card, such as its own PACE.
    pub fn with_driver(mut self, driver: SharedDriver) -> Self {
        self.driver = driver;
        self
    }

    /// The reader's name.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// The PC/SC part 10 features of the reader, as seen when the last card
    /// was inserted (empty for readers without part 10 support).
    pub fn features(&self) -> &Features {
        &self.features
    }

    /// The eID authorisation cards are authenticated with.
    pub fn authorisation(&self) -> &Authorisation {
        &self.authorisation
    }

    /// Figures of the last operation: APDUs, bytes, PACE and total time.
    pub fn last_stats(&self) -> OperationStats {
        self.stats
    }

    /// Without a reader yet ([`PcscReader::any`]), looks for one at most
    /// once per `LOOK_FOR_READER` and otherwise waits out `timeout`.
    fn look_for_reader(&mut self, timeout: Duration) -> Option<CardEvent> {
        let due = self.looked_at.is_none_or(|at| at.elapsed() >= LOOK_FOR_READER);
        if due {
            self.looked_at = Some(Instant::now());
            if let Some(reader) = list_readers().ok().and_then(|readers| readers.into_iter().next()) {
                tracing::info!(%reader, "card reader found");
                self.watch = ReaderWatch::new(&reader);
                self.reader = reader;
                return Some(CardEvent::ReaderBack);
            }
        }
        std::thread::sleep(timeout.min(LOOK_FOR_READER));
        None
    }

    /// Connects, resets the card, runs `operation`, and resets the card again.
    fn operate<R>(
        &mut self,
        operation: impl FnOnce(&mut EidReader<&mut Transport>) -> Result<R, CardError>,
    ) -> Result<R, CardError> {
        if self.reader.is_empty() {
            return Err(CardError::Reader(Fault::new(PcscError::NoReader)));
        }
        let mut transport =
            Transport::connect_through(&self.reader, self.length, Arc::clone(&self.driver)).map_err(connect_error)?;
        transport.execute_pace = self.features.control_code(FEATURE_EXECUTE_PACE);
        transport.reset().map_err(connect_error)?;
        let mut eid = EidReader::new(&mut transport, self.authorisation.config());
        let result = operation(&mut eid);
        self.stats = eid.stats();
        if let Err(e) = transport.reset() {
            tracing::debug!(error = %e, "could not reset the card after the operation");
        }
        if let Err(e) = &result {
            tracing::info!(reader = %self.reader, error = %e, "eID operation failed");
        }
        result
    }

    /// Reads the features of the reader behind a newly inserted card.
    fn refresh_features(&mut self) {
        let connected = Transport::connect_through(&self.reader, self.length, Arc::clone(&self.driver));
        self.features = match connected.and_then(|t| crate::features(&t)) {
            Ok(features) => features,
            Err(e) => {
                tracing::debug!(reader = %self.reader, error = %e, "no PC/SC part 10 features");
                Features::default()
            }
        };
        tracing::info!(reader = %self.reader, pin_pad_pace = self.features.execute_pace(), "card reader features");
    }
}

impl CardReader for PcscReader {
    fn authorisation_valid_until(&self) -> Option<session::CardDate> {
        Some(self.authorisation.config().last_day())
    }

    fn next_event(&mut self, timeout: Duration) -> Option<CardEvent> {
        if let Some(change) = self.authorisation.poll() {
            return Some(change.into());
        }
        if self.reader.is_empty() {
            return self.look_for_reader(timeout);
        }
        let event = self.watch.next_event(timeout);
        if event == Some(CardEvent::Inserted) {
            self.refresh_features();
        }
        event
    }

    fn read(&mut self, pin: &Pin, can: Option<&Pin>, items: &[CardItem]) -> Result<CardData, CardError> {
        self.operate(|eid| eid.read(pin, can, items))
    }

    /// On the keypad when the reader announced `FEATURE_EXECUTE_PACE` with
    /// the card last inserted.
    fn pin_entry(&self) -> PinEntry {
        if self.features.execute_pace() { PinEntry::OnReader } else { PinEntry::OnScreen }
    }

    fn read_on_reader(&mut self, can_first: bool, items: &[CardItem]) -> Result<CardData, CardError> {
        if !self.features.execute_pace() {
            return Err(CardError::Reader(Fault::new(PcscError::NoPinPad)));
        }
        self.operate(|eid| eid.read_on_pin_pad(can_first, items))
    }

    fn change_pin(&mut self, current: &Pin, can: Option<&Pin>, new: &Pin) -> Result<(), CardError> {
        self.operate(|eid| eid.change_pin(current, can, new))
    }

    fn unblock_pin(&mut self, puk: &Pin) -> Result<(), CardError> {
        self.operate(|eid| eid.unblock_pin(puk))
    }
}
