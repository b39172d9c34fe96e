// SPDX-License-Identifier: GPL-3.0-or-later
//! The PIN service: its step, the task, and whether the two new PINs differed.

use crate::{Api, PinStepId, PinTaskId};
use session::journey::NEW_PIN_LEN;
use session::journey::PinStage;
use session::{PinService, PinTask};

/// Writes the PIN service shown, or clears it.
pub(super) fn show(api: &Api<'_>, service: Option<&PinService>) {
    let stage = service.map_or(PinStage::ChooseTask, PinService::stage);
    api.set_pin_step(match stage {
        PinStage::ChooseTask => PinStepId::ChooseTask,
        PinStage::InsertCard => PinStepId::InsertCard,
        PinStage::EnterCan(_) => PinStepId::EnterCan,
        PinStage::EnterCurrent(_) => PinStepId::EnterCurrent,
        PinStage::EnterNew { .. } => PinStepId::EnterNew,
        PinStage::RepeatNew => PinStepId::RepeatNew,
        PinStage::Working => PinStepId::Working,
        PinStage::Done => PinStepId::Done,
        PinStage::Failed(_) => PinStepId::Failed,
    });
    api.set_pin_mismatch(stage == PinStage::EnterNew { mismatch: true });
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
