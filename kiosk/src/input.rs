// SPDX-License-Identifier: GPL-3.0-or-later
//! The taps of citizens and staff: every callback of the UI's `Api` becomes
//! one session event (or, in demo mode, a move of the simulated card).

use crate::terminal::Terminal;
use crate::{Api, PinTaskId, StaffActionId};
use session::assist::OutOfServiceReason;
use session::{Event, Lang, PinTask, StaffAction};
use slint::ComponentHandle;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

/// Connects every UI callback to the terminal.
pub(crate) fn connect(terminal: &Rc<RefCell<Terminal>>) {
    let app = terminal.borrow().app().clone_strong();
    let api = app.global::<Api>();
    let sender = |terminal: &Rc<RefCell<Terminal>>| {
        let weak = Rc::downgrade(terminal);
        move |event: Event| {
            if let Some(terminal) = weak.upgrade() {
                match terminal.try_borrow_mut() {
                    Ok(mut terminal) => terminal.handle(event),
                    Err(_) => tracing::error!("a tap arrived while the terminal was busy; ignored"),
                }
            }
        }
    };
    macro_rules! on {
        ($setter:ident, $event:expr) => {{
            let send = sender(terminal);
            api.$setter(move || send($event));
        }};
    }
    on!(on_start, Event::Start);
    on!(on_agree, Event::Agree);
    on!(on_back, Event::Back);
    on!(on_cancel, Event::Cancel);
    on!(on_still_here, Event::StillHere);
    on!(on_toggle_large_text, Event::ToggleLargeText);
    on!(on_toggle_contrast, Event::ToggleContrast);
    on!(on_pin_erase, Event::PinErase);
    on!(on_pin_confirm, Event::PinConfirm);
    on!(on_retry_identify, Event::RetryIdentify);
    on!(on_erase, Event::Erase);
    on!(on_form_done, Event::FormDone);
    on!(on_retry_slots, Event::RetrySlots);
    on!(on_booking_done, Event::BookingDone);
    on!(on_send, Event::Send);
    on!(on_finish, Event::Finish);
    on!(on_status_erase, Event::StatusErase);
    on!(on_status_check, Event::StatusCheck);
    on!(on_call_help, Event::CallHelp);
    on!(on_staff_gesture, Event::StaffGesture);
    on!(on_staff_code_erase, Event::StaffCodeErase);
    on!(on_staff_code_cancel, Event::StaffCodeCancel);
    on!(on_citizen_ends_assist, Event::CitizenEndsAssist);

    let send = sender(terminal);
    api.on_set_language(move |code| {
        if let Some(lang) = Lang::from_code(&code) {
            send(Event::SetLanguage(lang));
        }
    });
    let send = sender(terminal);
    api.on_staff_set_language(move |code| {
        if let Some(lang) = Lang::from_code(&code) {
            send(Event::Staff(StaffAction::SetLanguage(lang)));
        }
    });
    let send = sender(terminal);
    api.on_choose_service(move |id| send(Event::ChooseService(id.into())));
    let send = sender(terminal);
    api.on_pin_digit(move |d| d.chars().for_each(|c| send(Event::PinDigit(c))));
    let send = sender(terminal);
    api.on_focus_field(move |i| send(Event::FocusField(usize::try_from(i).unwrap_or(usize::MAX))));
    let send = sender(terminal);
    api.on_type_text(move |t| t.chars().for_each(|c| send(Event::Type(c))));
    let send = sender(terminal);
    api.on_choose(move |field, option| {
        if let (Ok(field), Ok(option)) = (usize::try_from(field), usize::try_from(option)) {
            send(Event::Choose { field, option });
        }
    });
    let send = sender(terminal);
    api.on_choose_slot(move |i| send(Event::ChooseSlot(usize::try_from(i).unwrap_or(usize::MAX))));
    let send = sender(terminal);
    api.on_set_consent(move |on| send(Event::SetConsent(on)));
    let send = sender(terminal);
    api.on_choose_pin_task(move |task| {
        send(Event::ChoosePinTask(match task {
            PinTaskId::Change => PinTask::Change,
            PinTaskId::Transport => PinTask::ReplaceTransportPin,
            PinTaskId::Unblock => PinTask::Unblock,
        }));
    });
    let send = sender(terminal);
    api.on_status_type(move |t| t.chars().for_each(|c| send(Event::StatusType(c))));
    let send = sender(terminal);
    api.on_staff_code_digit(move |d| d.chars().for_each(|c| send(Event::StaffCodeDigit(c))));
    let send = sender(terminal);
    // The staff code is a time-based one-time password: it is checked
    // against the wall clock.
    api.on_staff_code_confirm(move || {
        let unix_time = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
        send(Event::StaffCodeConfirm { unix_time });
    });
    let send = sender(terminal);
    api.on_assist_consent(move |agreed| send(Event::AssistConsent(agreed)));
    let send = sender(terminal);
    api.on_unmask(move |id| send(Event::Unmask(id.into())));
    let send = sender(terminal);
    api.on_staff_action(move |action| send(Event::Staff(staff_action(action))));

    let weak = Rc::downgrade(terminal);
    api.on_demo_insert_card(move || with_demo_card(&weak, |card| card.insert()));
    let weak = Rc::downgrade(terminal);
    api.on_demo_remove_card(move || with_demo_card(&weak, |card| card.remove()));
}

fn staff_action(action: StaffActionId) -> StaffAction {
    match action {
        StaffActionId::Back => StaffAction::Back,
        StaffActionId::Forward => StaffAction::Forward,
        StaffActionId::ExtendTime => StaffAction::ExtendTime,
        StaffActionId::EndSession => StaffAction::EndSession,
        StaffActionId::EndAssistance => StaffAction::EndAssistance,
        StaffActionId::OpenTasks => StaffAction::OpenTasks,
        StaffActionId::CloseTasks => StaffAction::CloseTasks,
        StaffActionId::PaperRefilled => StaffAction::PaperRefilled,
        StaffActionId::TestPrint => StaffAction::TestPrint,
        StaffActionId::LargeText => StaffAction::ToggleLargeText,
        StaffActionId::Contrast => StaffAction::ToggleContrast,
        StaffActionId::OutOfServiceMaintenance => StaffAction::OutOfService(OutOfServiceReason::Maintenance),
        StaffActionId::OutOfServicePaper => StaffAction::OutOfService(OutOfServiceReason::NoPaper),
        StaffActionId::OutOfServiceFault => StaffAction::OutOfService(OutOfServiceReason::Fault),
        StaffActionId::BackInService => StaffAction::BackInService,
    }
}

fn with_demo_card(weak: &Weak<RefCell<Terminal>>, act: impl FnOnce(&dyn crate::terminal::DemoCard)) {
    if let Some(terminal) = weak.upgrade()
        && let Ok(terminal) = terminal.try_borrow()
        && let Some(card) = terminal.demo_card()
    {
        act(card);
    }
}
