// SPDX-License-Identifier: GPL-3.0-or-later
//! Reader and card events from `SCardGetStatusChange`.

use card_reader::CardEvent;
use pcsc::{Context, ReaderState, Scope, State};
use std::collections::VecDeque;
use std::ffi::CString;
use std::time::{Duration, Instant};

/// How often to retry reaching pcscd while it is not running: pcscd cannot
/// notify anyone while it is down, so this is the one place that polls.
const SERVICE_RETRY: Duration = Duration::from_millis(100);

/// Watches one reader and turns what pcscd reports into [`CardEvent`]s.
///
/// It waits in `SCardGetStatusChange` on the reader and on the
/// `\\?PnP?\Notification` pseudo-reader (so plugging or unplugging readers
/// wakes it up), never longer than the caller's timeout. A card already in
/// the reader at the first call is reported as [`CardEvent::Inserted`]; a
/// reader (or pcscd) that is missing is reported as [`CardEvent::ReaderGone`]
/// (after [`CardEvent::Removed`] if a card was in it) and its return as
/// [`CardEvent::ReaderBack`].
pub struct ReaderWatch {
    reader: CString,
    ctx: Option<Context>,
    /// `[PnP]` or `[PnP, reader]` while the reader is listed.
    states: Vec<ReaderState>,
    reader_present: bool,
    card_present: bool,
    pending: VecDeque<CardEvent>,
}

impl std::fmt::Debug for ReaderWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderWatch")
            .field("reader", &self.reader)
            .field("reader_present", &self.reader_present)
            .field("card_present", &self.card_present)
            .finish()
    }
}

impl ReaderWatch {
    /// Watches the reader named `reader` (as [`crate::list_readers`] gives it).
    ///
    /// Nothing is contacted yet: a missing pcscd or reader shows up as
    /// [`CardEvent::ReaderGone`] from [`ReaderWatch::next_event`].
    pub fn new(reader: &str) -> Self {
        // A name with an interior NUL cannot be a reader; it is never listed.
        let reader = CString::new(reader).unwrap_or_default();
        Self {
            reader,
            ctx: None,
            states: Vec::new(),
            reader_present: true,
            card_present: false,
            pending: VecDeque::new(),
        }
    }

    /// The next change at the reader, waiting at most `timeout`; `None` if
    /// nothing changed in that time.
    pub fn next_event(&mut self, timeout: Duration) -> Option<CardEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(event) = self.pending.pop_front() {
                tracing::debug!(?event, "reader event");
                return Some(event);
            }
            let now = Instant::now();
            self.observe(deadline.saturating_duration_since(now));
            if self.pending.is_empty() && Instant::now() >= deadline {
                return None;
            }
        }
    }

    /// Waits up to `wait` for a change and records what it sees.
    fn observe(&mut self, wait: Duration) {
        let Some(ctx) = self.context() else {
            self.record(false, false);
            std::thread::sleep(wait.min(SERVICE_RETRY));
            return;
        };
        let listed = match reader_listed(&ctx, &self.reader) {
            Ok(listed) => listed,
            Err(()) => return self.lose_service(),
        };
        if !listed {
            self.states.truncate(1);
        } else if self.states.len() == 1 {
            self.states.push(ReaderState::new(self.reader.clone(), State::UNAWARE));
        }
        match ctx.get_status_change(wait, &mut self.states) {
            Ok(()) => self.states.iter_mut().for_each(ReaderState::sync_current_state),
            Err(pcsc::Error::Timeout) => {}
            // The reader vanished between listing and waiting: list again.
            Err(pcsc::Error::UnknownReader) => self.states.truncate(1),
            Err(e) => {
                tracing::info!(error = %e, "lost pcscd");
                return self.lose_service();
            }
        }
        let listed = match reader_listed(&ctx, &self.reader) {
            Ok(listed) => listed,
            Err(()) => return self.lose_service(),
        };
        let card = listed
            && self.states.get(1).is_some_and(|s| {
                let state = s.event_state();
                state.contains(State::PRESENT) && !state.intersects(State::UNKNOWN | State::UNAVAILABLE)
            });
        self.record(listed, card);
    }

    fn context(&mut self) -> Option<Context> {
        if self.ctx.is_none() {
            let ctx = Context::establish(Scope::User).ok()?;
            self.states = vec![ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE)];
            self.ctx = Some(ctx);
        }
        self.ctx.clone()
    }

    fn lose_service(&mut self) {
        self.ctx = None;
        self.states.clear();
        self.record(false, false);
    }

    /// Queues the events that lead from the last known state to this one.
    fn record(&mut self, reader: bool, card: bool) {
        if self.reader_present && !reader {
            if self.card_present {
                self.pending.push_back(CardEvent::Removed);
            }
            self.pending.push_back(CardEvent::ReaderGone);
        } else if !self.reader_present && reader {
            self.pending.push_back(CardEvent::ReaderBack);
        }
        if reader && card != self.card_present {
            self.pending.push_back(if card { CardEvent::Inserted } else { CardEvent::Removed });
        }
        self.reader_present = reader;
        self.card_present = reader && card;
    }
}

/// Whether pcscd lists `reader`; `Err` when pcscd cannot be asked.
fn reader_listed(ctx: &Context, reader: &CString) -> Result<bool, ()> {
    match ctx.list_readers_owned() {
        Ok(names) => Ok(names.iter().any(|n| n == reader)),
        Err(pcsc::Error::NoReadersAvailable) => Ok(false),
        Err(_) => Err(()),
    }
}
