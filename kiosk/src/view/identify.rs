// SPDX-License-Identifier: GPL-3.0-or-later
//! Identification, for a request and for the PIN service: the step, the
//! card's problem in the UI's words, and the PIN pad, which shows how many
//! digits are typed and never which. With the PIN on the card reader's
//! keypad there is no PIN pad on the screen: it tells the citizen to use
//! the reader's keys.

use super::int;
use crate::{Api, CardProblem, IdentifyStepId};
use session::{CardError, Identification, IdentifyStep};

/// Writes the identification shown, or clears it. `pad` is the number of
/// digits typed and wanted on the PIN pad.
pub(super) fn show(api: &Api<'_>, identification: Option<&Identification>, (typed, needed): (usize, usize)) {
    let (step, problem) = match identification.map(Identification::step) {
        None | Some(IdentifyStep::InsertCard) => (IdentifyStepId::InsertCard, None),
        Some(IdentifyStep::EnterCan { error, .. }) => (IdentifyStepId::EnterCan, error.as_ref()),
        Some(IdentifyStep::EnterSecret { error, .. }) => (IdentifyStepId::EnterPin, error.as_ref()),
        Some(IdentifyStep::OnReader { error }) => (IdentifyStepId::OnReader, error.as_ref()),
        Some(IdentifyStep::Confirmed) if identification.is_some_and(Identification::pin_on_reader) => {
            (IdentifyStepId::TypingOnReader, None)
        }
        Some(IdentifyStep::Confirmed) => (IdentifyStepId::Reading, None),
        Some(IdentifyStep::Failed(error)) => (IdentifyStepId::Failed, Some(error)),
    };
    api.set_identify_step(step);
    api.set_attempts_left(match problem {
        Some(CardError::WrongPin { attempts_left }) => i32::from(*attempts_left),
        _ => 0,
    });
    api.set_card_problem(problem.map_or(CardProblem::None, card_problem));
    api.set_keypad_can_first(identification.is_some_and(Identification::can_first));
    api.set_pin_length(int(typed));
    api.set_pin_needed(int(needed));
}

/// The card's answer in the UI's words; the detail of maintainers' faults
/// stays in the log.
fn card_problem(error: &CardError) -> CardProblem {
    match error {
        CardError::WrongPin { .. } => CardProblem::WrongPin,
        CardError::PinSuspended => CardProblem::PinSuspended,
        CardError::WrongCan => CardProblem::WrongCan,
        CardError::PinBlocked => CardProblem::PinBlocked,
        CardError::WrongPuk => CardProblem::WrongPuk,
        CardError::Deactivated => CardProblem::Deactivated,
        CardError::Expired => CardProblem::Expired,
        CardError::Revoked => CardProblem::Revoked,
        CardError::CardRemoved => CardProblem::CardRemoved,
        CardError::NoCard => CardProblem::NoCard,
        CardError::EntryCancelled => CardProblem::EntryCancelled,
        CardError::Unreadable(_) => CardProblem::Unreadable,
        CardError::NotGenuine(_) => CardProblem::NotGenuine,
        CardError::TerminalRefused(_) | CardError::Reader(_) => CardProblem::Reader,
    }
}
