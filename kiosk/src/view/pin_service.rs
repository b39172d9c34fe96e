// SPDX-License-Identifier: GPL-3.0-or-later
//! The PIN service: its step, the task, and whether the two new PINs differed.

use crate::{Api, PinStepId, PinTaskId};
use session::journey::NEW_PIN_LEN;
use session::{IdentifyStep, PinService, PinTask};

/// Writes the PIN service shown, or clears it.
pub(super) fn show(api: &Api<'_>, service: Option<&PinService>) {
    let step = match service {
        None | Some(PinService::ChooseTask) => PinStepId::ChooseTask,
        Some(PinService::NewPin { .. }) => PinStepId::EnterNew,
        Some(PinService::RepeatPin { .. }) => PinStepId::RepeatNew,
        Some(PinService::Done { .. }) => PinStepId::Done,
        Some(PinService::Open { identification, .. }) => match identification.step() {
            IdentifyStep::InsertCard => PinStepId::InsertCard,
            IdentifyStep::EnterCan { .. } => PinStepId::EnterCan,
            IdentifyStep::EnterSecret { .. } => PinStepId::EnterCurrent,
            IdentifyStep::Confirmed => PinStepId::Working,
            IdentifyStep::Failed(_) => PinStepId::Failed,
        },
    };
    api.set_pin_step(step);
    api.set_pin_mismatch(matches!(service, Some(PinService::NewPin { mismatch: true, .. })));
    api.set_pin_task(match service.and_then(PinService::task) {
        Some(PinTask::Change) | None => PinTaskId::Change,
        Some(PinTask::ReplaceTransportPin) => PinTaskId::Transport,
        Some(PinTask::Unblock) => PinTaskId::Unblock,
    });
}

/// The new-PIN pad: digits typed and wanted, while the new PIN is typed.
pub(super) fn new_pin_pad(service: &PinService) -> Option<(usize, usize)> {
    match service {
        PinService::NewPin { typed, .. } | PinService::RepeatPin { typed, .. } => Some((typed.len(), NEW_PIN_LEN)),
        _ => None,
    }
}
