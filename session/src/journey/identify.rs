// SPDX-License-Identifier: GPL-3.0-or-later
//! Identification: the card in the reader, then the secret that opens it (the
//! PIN, the transport PIN or the PUK), with the card access number (CAN)
//! first when the card has suspended the PIN.
//!
//! Both journeys that use the card go through this one sub-journey: a request
//! opens the card with the PIN to read the citizen's data, the PIN service
//! opens it with the secret its task needs. Each step holds exactly the
//! digits it collects; once the secret is confirmed, the digits leave in
//! [`Credentials`] and the step holds nothing.
//!
//! When the reader runs PACE itself ([`PinEntry::OnReader`]), the PIN is
//! typed on the reader's keypad and never reaches the session: the step
//! [`IdentifyStep::OnReader`] holds no digits and "Start" hands over no
//! secret, only whether the keypad asks for the CAN first.

use crate::{CardError, Event, Pin, PinEntry};

/// The secret the card is opened with (TR-03110-2 3.5, the PACE passwords).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// The citizen's 6-digit eID PIN.
    Pin,
    /// The 5-digit transport PIN from the PIN letter, replaced on first use.
    TransportPin,
    /// The 10-digit PUK from the PIN letter, which unblocks a blocked PIN.
    Puk,
}

impl Secret {
    /// How many digits it has.
    pub fn digits(self) -> usize {
        match self {
            Secret::Pin => 6,
            Secret::TransportPin => 5,
            Secret::Puk => 10,
        }
    }

    /// Whether a suspended PIN asks for the CAN before this secret: the PIN
    /// and the transport PIN share the PIN's retry counter, the PUK has its
    /// own (TR-03110-2 3.5.1).
    fn follows_can(self) -> bool {
        self != Secret::Puk
    }
}

/// The card access number printed on the card has six digits.
pub const CAN_LEN: usize = 6;

/// Where identification stands. Each step holds what it collects.
#[derive(Debug, Clone)]
pub enum IdentifyStep {
    /// Waiting for a card.
    InsertCard,
    /// The PIN is suspended: the CAN first.
    EnterCan {
        /// The digits typed so far.
        can: Pin,
        /// Why it is asked (again), if it is.
        error: Option<CardError>,
    },
    /// The secret itself.
    EnterSecret {
        /// The digits typed so far.
        secret: Pin,
        /// The CAN, confirmed, when the PIN is suspended.
        can: Option<Pin>,
        /// Why it is asked again, if it is.
        error: Option<CardError>,
    },
    /// The reader's keypad takes the PIN (and the CAN first when the PIN is
    /// suspended); the citizen taps "Start" when ready. Nothing is held.
    OnReader {
        /// Why it is asked again, if it is.
        error: Option<CardError>,
    },
    /// The secrets are confirmed and handed over: the card works with them
    /// (a PIN change asks for the new PIN first). With the PIN on the
    /// reader, the reader's keypad is asking for it now.
    Confirmed,
    /// The card cannot be used now; the citizen may try again or go back.
    Failed(CardError),
}

/// The secrets that open the card, handed over once to the reader, which
/// drops them (zeroized) after use.
#[derive(Debug)]
pub struct Credentials {
    /// The PIN, transport PIN or PUK.
    pub secret: Pin,
    /// The card access number, when the PIN is suspended.
    pub can: Option<Pin>,
}

/// The identification sub-journey. See the module documentation.
#[derive(Debug, Clone)]
pub struct Identification {
    secret: Secret,
    suspended: bool,
    /// The PIN is typed on the reader's keypad.
    on_reader: bool,
    /// The PIN attempts left as last told to the citizen.
    attempts_left: Option<u8>,
    step: IdentifyStep,
}

impl Identification {
    /// Identification with `secret`; asks for a card unless one is in.
    pub(crate) fn new(secret: Secret, card_present: bool) -> Self {
        let mut identification = Identification {
            secret,
            suspended: false,
            on_reader: false,
            attempts_left: None,
            step: IdentifyStep::InsertCard,
        };
        identification.start(card_present, None);
        identification
    }

    /// Identification with the PIN, typed where the reader lets the citizen
    /// type it.
    pub(crate) fn with_pin(entry: PinEntry, card_present: bool) -> Self {
        let mut identification = Self::new(Secret::Pin, false);
        identification.on_reader = entry == PinEntry::OnReader;
        identification.start(card_present, None);
        identification
    }

    /// Whether the PIN is typed on the reader's keypad, so the session never holds it.
    pub fn pin_on_reader(&self) -> bool {
        self.on_reader
    }

    /// Whether the reader's keypad asks for the CAN before the PIN.
    pub fn can_first(&self) -> bool {
        self.suspended
    }

    /// "Start" on [`IdentifyStep::OnReader`]: the reader's keypad takes
    /// over. Returns whether it asks for the CAN first, or `None` if the
    /// event does not start it.
    pub(crate) fn start_on_reader(&mut self, event: &Event) -> Option<bool> {
        match (&self.step, event) {
            (IdentifyStep::OnReader { .. }, Event::PinConfirm) => {
                self.step = IdentifyStep::Confirmed;
                Some(self.suspended)
            }
            _ => None,
        }
    }

    /// The secret this identification asks for.
    pub fn secret(&self) -> Secret {
        self.secret
    }

    /// The current step.
    pub fn step(&self) -> &IdentifyStep {
        &self.step
    }

    /// How many digits are on the pad (the digits themselves are never shown).
    pub fn digits_typed(&self) -> usize {
        match &self.step {
            IdentifyStep::EnterCan { can, .. } => can.len(),
            IdentifyStep::EnterSecret { secret, .. } => secret.len(),
            _ => 0,
        }
    }

    /// How many digits the pad wants.
    pub fn digits_needed(&self) -> usize {
        match self.step {
            IdentifyStep::EnterCan { .. } => CAN_LEN,
            _ => self.secret.digits(),
        }
    }

    /// Whether any digit of a secret is held.
    pub fn holds_secrets(&self) -> bool {
        match &self.step {
            IdentifyStep::EnterCan { can, .. } => !can.is_empty(),
            IdentifyStep::EnterSecret { secret, can, .. } => !secret.is_empty() || can.is_some(),
            _ => false,
        }
    }

    /// Whether the card is in use: anything but waiting for it.
    pub(crate) fn uses_card(&self) -> bool {
        !matches!(self.step, IdentifyStep::InsertCard)
    }

    /// Whether the secrets are confirmed and handed over.
    pub(crate) fn confirmed(&self) -> bool {
        matches!(self.step, IdentifyStep::Confirmed)
    }

    /// A card arrived: a waiting identification asks for the first secret.
    pub(crate) fn card_inserted(&mut self) {
        if matches!(self.step, IdentifyStep::InsertCard) {
            self.start(true, None);
        }
    }

    /// The first pad: the CAN when a suspended PIN is to be used, else the
    /// secret; or the card, if none is in.
    fn start(&mut self, card_present: bool, error: Option<CardError>) {
        self.step = if !card_present {
            IdentifyStep::InsertCard
        } else if self.on_reader {
            IdentifyStep::OnReader { error }
        } else if self.suspended && self.secret.follows_can() {
            IdentifyStep::EnterCan { can: Pin::default(), error }
        } else {
            IdentifyStep::EnterSecret { secret: Pin::default(), can: None, error }
        };
    }

    /// A tap on the pad, or "try again". Returns the credentials once the
    /// secret is confirmed.
    pub(crate) fn handle(&mut self, event: &Event, card_present: bool) -> Option<Credentials> {
        let needed = self.digits_needed();
        match (&mut self.step, event) {
            (
                IdentifyStep::EnterCan { can: pad, .. } | IdentifyStep::EnterSecret { secret: pad, .. },
                Event::PinDigit(d),
            ) => {
                if pad.len() < needed {
                    pad.push(*d);
                }
                None
            }
            (
                IdentifyStep::EnterCan { can: pad, .. } | IdentifyStep::EnterSecret { secret: pad, .. },
                Event::PinErase,
            ) => {
                pad.pop();
                None
            }
            (IdentifyStep::EnterCan { can, .. }, Event::PinConfirm) if can.len() == needed => {
                let can = std::mem::take(can);
                self.step = IdentifyStep::EnterSecret { secret: Pin::default(), can: Some(can), error: None };
                None
            }
            (IdentifyStep::EnterSecret { secret, can, .. }, Event::PinConfirm) if secret.len() == needed => {
                let credentials = Credentials { secret: std::mem::take(secret), can: can.take() };
                self.step = IdentifyStep::Confirmed;
                Some(credentials)
            }
            (IdentifyStep::Failed(_), Event::RetryIdentify) => {
                self.start(card_present, None);
                None
            }
            _ => None,
        }
    }

    /// The card refused or failed. A wrong secret asks again (after the CAN
    /// if the PIN is now suspended), a suspended PIN asks for the CAN, and
    /// anything else is a failure the citizen can only retry or leave.
    pub(crate) fn refused(&mut self, error: CardError, card_present: bool) {
        match error {
            CardError::PinSuspended if self.secret.follows_can() => {
                self.suspended = true;
                self.start(card_present, Some(error));
            }
            CardError::WrongPin { attempts_left } => {
                // Every wrong PIN costs an attempt (TR-03110-2 3.5.1): never
                // more are left than one less than the citizen was last told,
                // whatever a card reports after a fresh MSE:Set AT.
                let attempts_left =
                    self.attempts_left.map_or(attempts_left, |last| attempts_left.min(last.saturating_sub(1)).max(1));
                self.attempts_left = Some(attempts_left);
                self.start(card_present, Some(CardError::WrongPin { attempts_left }));
            }
            CardError::WrongCan | CardError::WrongPuk | CardError::EntryCancelled => {
                self.start(card_present, Some(error));
            }
            other => self.step = IdentifyStep::Failed(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn told(identification: &Identification) -> Option<CardError> {
        match identification.step() {
            IdentifyStep::EnterSecret { error, .. } => error.clone(),
            other => panic!("the PIN pad again, not {other:?}"),
        }
    }

    #[test]
    fn a_second_wrong_pin_never_shows_as_many_attempts_as_the_first() {
        let mut identification = Identification::new(Secret::Pin, true);
        identification.refused(CardError::WrongPin { attempts_left: 2 }, true);
        assert_eq!(told(&identification), Some(CardError::WrongPin { attempts_left: 2 }));
        // A card that reports its full counter again after a wrong PIN.
        identification.refused(CardError::WrongPin { attempts_left: 2 }, true);
        assert_eq!(told(&identification), Some(CardError::WrongPin { attempts_left: 1 }));
        identification.refused(CardError::WrongPin { attempts_left: 3 }, true);
        assert_eq!(told(&identification), Some(CardError::WrongPin { attempts_left: 1 }));
    }

    fn type_digits(identification: &mut Identification, digits: &str) -> Option<Credentials> {
        for d in digits.chars() {
            identification.handle(&Event::PinDigit(d), true);
        }
        identification.handle(&Event::PinConfirm, true)
    }

    #[test]
    fn the_pad_takes_as_many_digits_as_the_secret_has() {
        for (secret, digits) in [(Secret::Pin, 6), (Secret::TransportPin, 5), (Secret::Puk, 10)] {
            let mut identification = Identification::new(secret, true);
            for _ in 0..12 {
                identification.handle(&Event::PinDigit('7'), true);
            }
            assert_eq!(identification.digits_typed(), digits);
            let credentials = identification.handle(&Event::PinConfirm, true).expect("confirmed");
            assert_eq!(credentials.secret.len(), digits);
            assert!(credentials.can.is_none());
            assert!(!identification.holds_secrets(), "the digits left with the credentials");
        }
    }

    #[test]
    fn a_suspended_pin_asks_for_the_can_first_and_hands_both_over() {
        let mut identification = Identification::new(Secret::Pin, true);
        type_digits(&mut identification, "111111");
        identification.refused(CardError::PinSuspended, true);
        assert!(matches!(identification.step(), IdentifyStep::EnterCan { error: Some(CardError::PinSuspended), .. }));
        assert_eq!(identification.digits_needed(), CAN_LEN);
        assert!(type_digits(&mut identification, "500540").is_none());
        let credentials = type_digits(&mut identification, "123456").expect("confirmed");
        assert_eq!(credentials.can.as_ref().map(Pin::expose), Some("500540"));
    }

    #[test]
    fn the_puk_is_never_preceded_by_the_can() {
        let mut identification = Identification::new(Secret::Puk, true);
        type_digits(&mut identification, "0000000000");
        identification.refused(CardError::PinSuspended, true);
        assert!(matches!(identification.step(), IdentifyStep::Failed(CardError::PinSuspended)));
    }

    #[test]
    fn without_a_card_it_waits_and_a_card_opens_the_pad() {
        let mut identification = Identification::new(Secret::Pin, false);
        identification.handle(&Event::PinDigit('1'), false);
        assert!(matches!(identification.step(), IdentifyStep::InsertCard));
        assert!(!identification.uses_card());
        identification.card_inserted();
        assert!(matches!(identification.step(), IdentifyStep::EnterSecret { error: None, .. }));
    }
}
