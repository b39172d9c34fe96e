// SPDX-License-Identifier: GPL-3.0-or-later
//! The PIN service: change the ID card's PIN, replace the transport PIN from
//! the PIN letter by one's own, or unblock a blocked PIN with the PUK
//! (TR-03110-2 3.5, the eID PIN management). It talks only to the card and
//! reads no data.
//!
//! The card is opened with the task's secret through the identification
//! sub-journey; a change then asks for the new PIN twice. All secrets leave
//! in one [`Effect::ChangePin`] or [`Effect::UnblockPin`]. Only the confirmed
//! new PIN stays while the card works, because a suspended PIN makes the
//! card ask for the CAN and the current PIN again, and the citizen should not
//! have to choose the new one twice more.

use super::identify::{Credentials, Identification, IdentifyStep, Secret};
use super::{Context, Exit, Next};
use crate::{CardError, Effect, Event, Pin};

/// What the citizen does with the card's PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinTask {
    /// Replace the 6-digit PIN by a new one.
    Change,
    /// Replace the 5-digit transport PIN by a self-chosen 6-digit PIN.
    ReplaceTransportPin,
    /// Unblock a blocked PIN with the 10-digit PUK.
    Unblock,
}

impl PinTask {
    /// The secret the card is opened with for this task.
    pub fn secret(self) -> Secret {
        match self {
            PinTask::Change => Secret::Pin,
            PinTask::ReplaceTransportPin => Secret::TransportPin,
            PinTask::Unblock => Secret::Puk,
        }
    }
}

/// A new PIN has six digits (TR-03110-2 3.5.2).
pub const NEW_PIN_LEN: usize = 6;

/// Where the PIN service stands.
#[derive(Debug)]
pub enum PinService {
    /// Change, set or unblock?
    ChooseTask,
    /// Opening the card with the task's secret, or the card at work.
    Open {
        /// The task.
        task: PinTask,
        /// The card and its secret.
        identification: Identification,
        /// The new PIN, once confirmed.
        new_pin: Option<Pin>,
    },
    /// The new PIN.
    NewPin {
        /// The task.
        task: PinTask,
        /// The opened identification, waiting for the new PIN.
        identification: Identification,
        /// The secrets that open the card.
        credentials: Credentials,
        /// The digits typed so far.
        typed: Pin,
        /// Whether the previous two entries differed.
        mismatch: bool,
    },
    /// The new PIN once more.
    RepeatPin {
        /// The task.
        task: PinTask,
        /// The opened identification, waiting for the new PIN.
        identification: Identification,
        /// The secrets that open the card.
        credentials: Credentials,
        /// The new PIN as first typed.
        first: Pin,
        /// The digits typed so far.
        typed: Pin,
    },
    /// Done: the new PIN is set, or the PIN is unblocked.
    Done {
        /// The task done.
        task: PinTask,
    },
}

/// The PIN service's step as the citizen sees it, without the digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinStage {
    /// Change, set or unblock?
    ChooseTask,
    /// Waiting for a card.
    InsertCard,
    /// The CAN, after this problem if there was one.
    EnterCan(Option<CardError>),
    /// The task's secret, after this problem if there was one.
    EnterCurrent(Option<CardError>),
    /// The new PIN; whether the last two entries differed.
    EnterNew {
        /// The previous two entries differed.
        mismatch: bool,
    },
    /// The new PIN once more.
    RepeatNew,
    /// The card is working.
    Working,
    /// The task is done.
    Done,
    /// The card cannot be used now.
    Failed(CardError),
}

impl PinService {
    /// The step as the citizen sees it.
    pub fn stage(&self) -> PinStage {
        match self {
            PinService::ChooseTask => PinStage::ChooseTask,
            PinService::NewPin { mismatch, .. } => PinStage::EnterNew { mismatch: *mismatch },
            PinService::RepeatPin { .. } => PinStage::RepeatNew,
            PinService::Done { .. } => PinStage::Done,
            PinService::Open { identification, .. } => match identification.step() {
                IdentifyStep::InsertCard => PinStage::InsertCard,
                IdentifyStep::EnterCan { error, .. } => PinStage::EnterCan(error.clone()),
                IdentifyStep::EnterSecret { error, .. } | IdentifyStep::OnReader { error } => {
                    PinStage::EnterCurrent(error.clone())
                }
                IdentifyStep::Confirmed => PinStage::Working,
                IdentifyStep::Failed(error) => PinStage::Failed(error.clone()),
            },
        }
    }

    /// The task chosen, once there is one.
    pub fn task(&self) -> Option<PinTask> {
        match self {
            PinService::ChooseTask => None,
            PinService::Open { task, .. }
            | PinService::NewPin { task, .. }
            | PinService::RepeatPin { task, .. }
            | PinService::Done { task } => Some(*task),
        }
    }

    /// The identification, while the card is being opened or works.
    pub fn identification(&self) -> Option<&Identification> {
        match self {
            PinService::Open { identification, .. } => Some(identification),
            _ => None,
        }
    }

    /// Whether any digit of a secret is held.
    pub(crate) fn holds_secrets(&self) -> bool {
        match self {
            PinService::ChooseTask | PinService::Done { .. } => false,
            PinService::Open { identification, new_pin, .. } => identification.holds_secrets() || new_pin.is_some(),
            PinService::NewPin { .. } | PinService::RepeatPin { .. } => true,
        }
    }

    /// Whether the card is in use: from its insertion until the task is done.
    pub(crate) fn uses_card(&self) -> bool {
        match self {
            PinService::ChooseTask | PinService::Done { .. } => false,
            PinService::Open { identification, .. } => identification.uses_card(),
            PinService::NewPin { .. } | PinService::RepeatPin { .. } => true,
        }
    }

    /// Whether the card is working.
    pub(crate) fn terminal_busy(&self) -> bool {
        matches!(self, PinService::Open { identification, .. } if identification.confirmed())
    }

    pub(crate) fn card_inserted(&mut self) {
        if let PinService::Open { identification, .. } = self {
            identification.card_inserted();
        }
    }

    /// One event of this journey.
    pub(crate) fn handle(self, event: Event, ctx: &Context<'_>) -> Next<PinService> {
        let stay = |service| Next::Stay(service, Vec::new());
        match (self, event) {
            (PinService::ChooseTask, Event::ChoosePinTask(task)) => stay(PinService::open(task, ctx)),
            (PinService::ChooseTask, Event::Back) => Next::Leave(Exit::Catalogue),
            (PinService::Open { identification, .. }, Event::ChoosePinTask(task))
                if matches!(identification.step(), IdentifyStep::Failed(_)) =>
            {
                stay(PinService::open(task, ctx))
            }
            (PinService::Open { task, identification, new_pin }, event) => {
                Self::opening(task, identification, new_pin, event, ctx)
            }
            (PinService::NewPin { .. } | PinService::RepeatPin { .. }, Event::Back) => stay(PinService::ChooseTask),
            (PinService::NewPin { task, identification, credentials, mut typed, mismatch }, event) => match event {
                Event::PinConfirm if typed.len() == NEW_PIN_LEN => stay(PinService::RepeatPin {
                    task,
                    identification,
                    credentials,
                    first: typed,
                    typed: Pin::default(),
                }),
                event => {
                    pad(&mut typed, &event);
                    stay(PinService::NewPin { task, identification, credentials, typed, mismatch })
                }
            },
            (PinService::RepeatPin { task, identification, credentials, first, mut typed }, event) => match event {
                Event::PinConfirm if typed.len() == NEW_PIN_LEN => {
                    if typed.expose() == first.expose() {
                        Self::change(task, identification, credentials, first)
                    } else {
                        stay(PinService::NewPin {
                            task,
                            identification,
                            credentials,
                            typed: Pin::default(),
                            mismatch: true,
                        })
                    }
                }
                event => {
                    pad(&mut typed, &event);
                    stay(PinService::RepeatPin { task, identification, credentials, first, typed })
                }
            },
            (PinService::Done { .. }, Event::Finish) => Next::Leave(Exit::Done),
            (service, _) => stay(service),
        }
    }

    fn open(task: PinTask, ctx: &Context<'_>) -> PinService {
        PinService::Open { task, identification: Identification::new(task.secret(), ctx.card_present), new_pin: None }
    }

    /// The card is being opened: the identification's events, and the card's
    /// answer.
    fn opening(
        task: PinTask,
        mut identification: Identification,
        new_pin: Option<Pin>,
        event: Event,
        ctx: &Context<'_>,
    ) -> Next<PinService> {
        match event {
            Event::Back if !identification.confirmed() => Next::Stay(PinService::ChooseTask, Vec::new()),
            Event::PinChanged(result) if identification.confirmed() => match result {
                Ok(()) => Next::Stay(PinService::Done { task }, Vec::new()),
                Err(CardError::CardRemoved) => Next::Leave(Exit::CardRemoved),
                Err(error) => {
                    identification.refused(error, ctx.card_present);
                    // A failure ends this attempt: the new PIN goes too.
                    let failed = matches!(identification.step(), IdentifyStep::Failed(_));
                    let new_pin = new_pin.filter(|_| !failed);
                    Next::Stay(PinService::Open { task, identification, new_pin }, Vec::new())
                }
            },
            event => match identification.handle(&event, ctx.card_present) {
                Some(credentials) if task == PinTask::Unblock => Next::Stay(
                    PinService::Open { task, identification, new_pin: None },
                    vec![Effect::UnblockPin { puk: credentials.secret }],
                ),
                Some(credentials) => match new_pin {
                    Some(new_pin) => Self::change(task, identification, credentials, new_pin),
                    None => Next::Stay(
                        PinService::NewPin {
                            task,
                            identification,
                            credentials,
                            typed: Pin::default(),
                            mismatch: false,
                        },
                        Vec::new(),
                    ),
                },
                None => Next::Stay(PinService::Open { task, identification, new_pin }, Vec::new()),
            },
        }
    }

    /// Hands the secrets to the card; keeps the new PIN while it works.
    fn change(task: PinTask, identification: Identification, credentials: Credentials, new: Pin) -> Next<PinService> {
        let effect = Effect::ChangePin { current: credentials.secret, can: credentials.can, new: new.clone() };
        Next::Stay(PinService::Open { task, identification, new_pin: Some(new) }, vec![effect])
    }
}

/// A digit or erase on the new-PIN pad.
fn pad(typed: &mut Pin, event: &Event) {
    match event {
        Event::PinDigit(d) if typed.len() < NEW_PIN_LEN => typed.push(*d),
        Event::PinErase => typed.pop(),
        _ => {}
    }
}
