// SPDX-License-Identifier: GPL-3.0-or-later
//! Help from staff: the help call, the staff code pad, the consent, assist
//! mode and the staff page with the devices' health. Shows no value of the
//! citizen's: the masking itself is in the views of the journeys, which ask
//! [`masked`] for each value they show.

use crate::devices::Health;
use crate::{
    Api, DeviceHealth, OutOfServiceId, PrinterStateId, ReaderStateId, StaffCodeProblem, StaffStepId, TestPrintId,
};
use session::assist::{OutOfServiceReason, TestPrint};
use session::staff_code::StaffCodeError;
use session::{CardDate, Session, Staff, StaffLevel};

/// What a masked value reads.
pub(super) const MASK: &str = "•••";

/// Whether the value of the field `id` is hidden from a helper now.
pub(super) fn masked(session: &Session, id: &str) -> bool {
    session.help().staff.assistance().is_some_and(|a| a.masks(id))
}

/// The devices' health for the staff page, and the receipts left on the
/// roll by the paper estimate.
pub struct StaffView<'a> {
    /// How the devices stand.
    pub health: &'a Health,
    /// Receipts left by the estimate since the last refill.
    pub receipts_left: u32,
}

/// Writes the help and staff state. `tasks` is given while the staff page
/// is open.
pub(super) fn show(api: &Api<'_>, session: &Session, tasks: Option<&StaffView<'_>>) {
    let help = session.help();
    api.set_help_called(help.help_called);
    let (step, problem) = match &help.staff {
        Staff::Away => (StaffStepId::Away, None),
        Staff::Unlocking { error, .. } => (StaffStepId::Unlocking, error.as_ref()),
        Staff::AwaitingConsent { .. } => (StaffStepId::AwaitingConsent, None),
        Staff::Assisting(_) => (StaffStepId::Assisting, None),
        Staff::Tasks { .. } => (StaffStepId::Tasks, None),
    };
    api.set_staff_step(step);
    api.set_staff_maintainer(help.staff.level() == Some(StaffLevel::Maintainer));
    api.set_staff_code_length(match &help.staff {
        Staff::Unlocking { typed, .. } => i32::try_from(typed.len()).unwrap_or(0),
        _ => 0,
    });
    api.set_staff_code_problem(match problem {
        None => StaffCodeProblem::None,
        Some(StaffCodeError::Wrong) => StaffCodeProblem::Wrong,
        Some(StaffCodeError::Replayed) => StaffCodeProblem::Replayed,
        Some(StaffCodeError::LockedOut { .. }) => StaffCodeProblem::LockedOut,
        Some(StaffCodeError::NotConfigured) => StaffCodeProblem::NotConfigured,
    });
    api.set_staff_lockout_seconds(match problem {
        Some(StaffCodeError::LockedOut { seconds }) => i32::try_from(*seconds).unwrap_or(i32::MAX),
        _ => 0,
    });
    api.set_tasks_open(help.staff.tasks_open());
    api.set_test_print(match help.test_print {
        None => TestPrintId::None,
        Some(TestPrint::Printing) => TestPrintId::Printing,
        Some(TestPrint::Printed) => TestPrintId::Printed,
        Some(TestPrint::Failed(_)) => TestPrintId::Failed,
    });
    api.set_staff_out_of_service(match session.out_of_service() {
        None => OutOfServiceId::None,
        Some(OutOfServiceReason::Maintenance) => OutOfServiceId::Maintenance,
        Some(OutOfServiceReason::NoPaper) => OutOfServiceId::NoPaper,
        Some(OutOfServiceReason::Fault) => OutOfServiceId::Fault,
        Some(OutOfServiceReason::EidAuthorisation) => OutOfServiceId::EidAuthorisation,
    });
    api.set_health(tasks.map_or_else(DeviceHealth::default, device_health));
}

fn device_health(tasks: &StaffView<'_>) -> DeviceHealth {
    let health = tasks.health;
    let faulty = health.printer.fault.is_some();
    let printer = match &health.printer.status {
        None if faulty => PrinterStateId::Fault,
        None => PrinterStateId::Unknown,
        Some(status) if status.paper_out => PrinterStateId::NoPaper,
        Some(status) if status.cover_open => PrinterStateId::CoverOpen,
        Some(status) if faulty || !status.ready() => PrinterStateId::Fault,
        Some(status) if status.paper_near_end => PrinterStateId::PaperLow,
        Some(_) => PrinterStateId::Ready,
    };
    let queue = health.queue.as_ref();
    DeviceHealth {
        reader: match health.reader_present {
            None => ReaderStateId::Unknown,
            Some(true) => ReaderStateId::Present,
            Some(false) => ReaderStateId::Missing,
        },
        printer,
        receipts_left: i32::try_from(tasks.receipts_left).unwrap_or(i32::MAX),
        queue_known: queue.is_some(),
        queue_depth: queue.map_or(0, |q| i32::try_from(q.depth).unwrap_or(i32::MAX)),
        queue_oldest_minutes: queue
            .and_then(|q| q.oldest_age)
            .map_or(0, |age| i32::try_from(age.as_secs() / 60).unwrap_or(i32::MAX)),
        portal_failing: queue.is_some_and(|q| q.last_error.is_some()),
        eid_valid_until: health.eid_valid_until.map(iso_date).unwrap_or_default().into(),
        eid_renew_now: health.eid_valid_until.is_some_and(renew_now),
    }
}

/// `2027-12-31`: the date as maintainers and the DV write it.
fn iso_date(date: CardDate) -> String {
    format!("{:04}-{:02}-{:02}", date.year.unwrap_or(0), date.month.unwrap_or(0), date.day.unwrap_or(0))
}

/// Whether the authorisation ends within the days the journal warns of
/// ([`card_reader::RENEW_AHEAD_DAYS`]).
fn renew_now(last_day: CardDate) -> bool {
    let (Some(year), Some(month), Some(day)) = (last_day.year, last_day.month, last_day.day) else { return true };
    let Some(last) = chrono::NaiveDate::from_ymd_opt(i32::from(year), u32::from(month), u32::from(day)) else {
        return true;
    };
    (last - chrono::Local::now().date_naive()).num_days() <= card_reader::RENEW_AHEAD_DAYS as i64
}
