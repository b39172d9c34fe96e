// SPDX-License-Identifier: GPL-3.0-or-later
//! Exclusive APDU transport to one card.

use crate::{PcscError, Pcscd, ReaderDriver, atr::atr_allows_extended_length};
use eid::apdu::{CommandApdu, MAX_SHORT, ResponseApdu};
use pcsc::{Card, Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};
use std::ffi::CString;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use zeroize::Zeroizing;

/// How long a reader that gave no answer may take to report the card gone.
const REMOVAL_GRACE: Duration = Duration::from_secs(2);

/// How long APDUs are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LengthMode {
    /// Extended length if the card's ATR announces it, chaining otherwise.
    #[default]
    Auto,
    /// Always extended length (the card is known to take it, e.g. from EF.ATR).
    Extended,
    /// Never extended length: long data goes as a command chain.
    Short,
}

/// An exclusive connection to the card in one reader.
///
/// While it lives no other program can talk to the card (`SCARD_SHARE_EXCLUSIVE`).
pub struct Transport {
    card: Card,
    ctx: Context,
    reader: String,
    extended: bool,
    driver: SharedDriver,
    /// The control code of `FEATURE_EXECUTE_PACE`, when the reader's PACE is used.
    pub(crate) execute_pace: Option<u32>,
}

/// The driver a [`Transport`] sends through, shared with the
/// [`PcscReader`](crate::PcscReader) that opens transports.
pub type SharedDriver = Arc<Mutex<dyn ReaderDriver>>;

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").field("reader", &self.reader).field("extended", &self.extended).finish()
    }
}

impl Transport {
    /// Connects exclusively to the card in `reader`.
    pub fn connect(reader: &str, mode: LengthMode) -> Result<Self, PcscError> {
        Self::connect_through(reader, mode, Arc::new(Mutex::new(Pcscd)))
    }

    /// Connects exclusively to the card in `reader`, sending through `driver`.
    pub fn connect_through(reader: &str, mode: LengthMode, driver: SharedDriver) -> Result<Self, PcscError> {
        let ctx = Context::establish(Scope::User).map_err(PcscError::from_pcsc)?;
        let name = CString::new(reader).map_err(|_| PcscError::UnknownReader(reader.to_owned()))?;
        let card = ctx.connect(&name, ShareMode::Exclusive, Protocols::ANY).map_err(|e| match e {
            pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable => PcscError::UnknownReader(reader.to_owned()),
            other => PcscError::from_pcsc(other),
        })?;
        let status = card.status2_owned().map_err(PcscError::from_pcsc)?;
        let extended = match mode {
            LengthMode::Auto => atr_allows_extended_length(status.atr()),
            LengthMode::Extended => true,
            LengthMode::Short => false,
        };
        tracing::debug!(reader, extended, "connected exclusively");
        Ok(Self { card, ctx, reader: reader.to_owned(), extended, driver, execute_pace: None })
    }

    fn driver(&self) -> MutexGuard<'_, dyn ReaderDriver + 'static> {
        self.driver.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `SCardControl` with `code` (PC/SC part 10). The answer may hold what
    /// a reader read from the card, so it is wiped when dropped.
    pub fn control(&self, code: u32, input: &[u8]) -> Result<Zeroizing<Vec<u8>>, pcsc::Error> {
        let mut buf = Zeroizing::new(vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED]);
        let answer = self.driver().control(&self.card, code, input, &mut buf)?;
        Ok(Zeroizing::new(answer.to_vec()))
    }

    /// Whether long commands go as extended-length APDUs (else as chains).
    pub fn extended_length(&self) -> bool {
        self.extended
    }

    /// Sends `command` and returns the card's answer.
    ///
    /// Commands that need extended length go as one extended APDU when
    /// [`Transport::extended_length`] holds; otherwise their data is split
    /// into a command chain of short APDUs (ISO/IEC 7816-4 5.4.1) and Ne is
    /// capped at 256. A removed card gives [`PcscError::CardRemoved`]; a card
    /// reset by someone else gives [`PcscError::CardReset`] after the
    /// transport has reconnected, so the next call works again.
    pub fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, PcscError> {
        if self.extended || !command.is_extended() {
            return self.transmit_one(command);
        }
        let mut short = command.clone();
        short.le = short.le.map(|le| le.min(MAX_SHORT));
        let parts = short.chain(255)?;
        let Some((final_part, leading)) = parts.split_last() else {
            return self.transmit_one(&short);
        };
        for (i, part) in leading.iter().enumerate() {
            let answer = self.transmit_one(part)?;
            if !answer.sw.is_success() {
                return Err(PcscError::ChainRefused { part: i + 1, sw: answer.sw.0 });
            }
        }
        self.transmit_one(final_part)
    }

    fn transmit_one(&mut self, command: &CommandApdu) -> Result<ResponseApdu, PcscError> {
        // Both buffers may hold a PIN or personal data: wiped when dropped.
        let bytes = Zeroizing::new(command.to_bytes()?);
        let mut buf = Zeroizing::new(vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED]);
        let result = self.driver().transmit(&self.card, &bytes, &mut buf).map(ResponseApdu::from_bytes);
        match result {
            Ok(Err(short)) if self.card_left() => {
                tracing::info!(reader = %self.reader, error = %short, "card removed during transmit");
                Err(PcscError::CardRemoved)
            }
            Ok(parsed) => parsed.map_err(PcscError::from),
            Err(pcsc::Error::ResetCard) => {
                tracing::info!(reader = %self.reader, "card was reset; reconnecting");
                self.reconnect(Disposition::LeaveCard)?;
                Err(PcscError::CardReset)
            }
            Err(e @ (pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard)) => Err(PcscError::from_pcsc(e)),
            Err(e) if self.card_left() => {
                tracing::info!(reader = %self.reader, error = %e, "card removed during transmit");
                Err(PcscError::CardRemoved)
            }
            Err(e) => Err(PcscError::from_pcsc(e)),
        }
    }

    /// Whether the card left the reader, waiting at most [`REMOVAL_GRACE`]
    /// for pcscd to notice. Some reader drivers (vpcd among them) answer a
    /// transmit to a vanished card with an empty response instead of an error.
    fn card_left(&self) -> bool {
        let Ok(name) = CString::new(self.reader.as_str()) else {
            return true;
        };
        let mut states = [ReaderState::new(name, State::PRESENT)];
        let gone = |s: State| s.intersects(State::EMPTY | State::UNKNOWN | State::UNAVAILABLE);
        match self.ctx.get_status_change(Duration::ZERO, &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) if gone(states[0].event_state()) => return true,
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(_) => return true,
        }
        states[0].sync_current_state();
        match self.ctx.get_status_change(REMOVAL_GRACE, &mut states) {
            Ok(()) => gone(states[0].event_state()),
            Err(pcsc::Error::Timeout) => false,
            Err(_) => true,
        }
    }

    /// Resets the card (warm reset) and reconnects exclusively. Everything
    /// the card had set up (selected file, secure messaging) is gone.
    pub fn reset(&mut self) -> Result<(), PcscError> {
        self.reconnect(Disposition::ResetCard)
    }

    fn reconnect(&mut self, disposition: Disposition) -> Result<(), PcscError> {
        self.card.reconnect(ShareMode::Exclusive, Protocols::ANY, disposition).map_err(PcscError::from_pcsc)?;
        if disposition == Disposition::ResetCard {
            self.driver().card_reset();
        }
        Ok(())
    }
}
