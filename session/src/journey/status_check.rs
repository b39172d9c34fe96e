// SPDX-License-Identifier: GPL-3.0-or-later
//! The status check: the citizen types the tracking number from a receipt
//! and the terminal asks the portal how the request stands. It needs no
//! card. The number's check character catches a mistyped number at the
//! keypad, before the portal is asked.

use super::{Exit, Next};
use crate::{Effect, Event, StatusOutcome, TrackingInput, TrackingNumber};

/// Where the status check stands.
#[derive(Debug)]
pub enum StatusCheck {
    /// Typing the tracking number.
    Entry {
        /// What is typed.
        typed: TrackingInput,
        /// Whether the typed number was refused as not a tracking number.
        invalid: bool,
    },
    /// The portal's answer about one request.
    Result {
        /// What was typed (kept for going back to correct it).
        typed: TrackingInput,
        /// The number asked about.
        number: TrackingNumber,
        /// The answer: `None` while asking.
        outcome: Option<StatusOutcome>,
    },
}

impl StatusCheck {
    /// A fresh keypad.
    pub(crate) fn new() -> Self {
        StatusCheck::Entry { typed: TrackingInput::default(), invalid: false }
    }

    /// What is typed on the keypad.
    pub fn typed(&self) -> &TrackingInput {
        match self {
            StatusCheck::Entry { typed, .. } | StatusCheck::Result { typed, .. } => typed,
        }
    }

    /// Whether the portal is being asked.
    pub(crate) fn terminal_busy(&self) -> bool {
        matches!(self, StatusCheck::Result { outcome: None, .. })
    }

    /// One event of this journey.
    pub(crate) fn handle(self, event: Event) -> Next<StatusCheck> {
        let stay = |check| Next::Stay(check, Vec::new());
        match (self, event) {
            (StatusCheck::Entry { mut typed, .. }, Event::StatusType(key)) => {
                typed.push(key);
                stay(StatusCheck::Entry { typed, invalid: false })
            }
            (StatusCheck::Entry { mut typed, .. }, Event::StatusErase) => {
                typed.pop();
                stay(StatusCheck::Entry { typed, invalid: false })
            }
            (StatusCheck::Entry { typed, .. }, Event::StatusCheck) => match typed.parse() {
                Some(number) => Next::Stay(
                    StatusCheck::Result { typed, number: number.clone(), outcome: None },
                    vec![Effect::CheckStatus(number)],
                ),
                None => stay(StatusCheck::Entry { typed, invalid: true }),
            },
            (StatusCheck::Entry { .. }, Event::Back) => Next::Leave(Exit::Catalogue),
            (StatusCheck::Result { typed, number, .. }, Event::StatusLoaded(outcome)) => {
                stay(StatusCheck::Result { typed, number, outcome: Some(outcome) })
            }
            (StatusCheck::Result { typed, .. }, Event::Back) => stay(StatusCheck::Entry { typed, invalid: false }),
            (StatusCheck::Result { .. }, Event::Finish) => Next::Leave(Exit::Done),
            (check, _) => stay(check),
        }
    }
}
