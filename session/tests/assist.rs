// SPDX-License-Identifier: GPL-3.0-or-later
//! Help from staff: the help call, the staff code, the citizen's consent,
//! assist mode and what stays hidden, the staff's tasks, and the audit.

mod common;

use common::{Harness, TIMEOUTS, maintainer_seed, staff_seed};
use session::assist::{AuditAction, AuditEntry, OutOfServiceReason, TestPrint};
use session::staff_code::StaffCodeError;
use session::{
    Delivered, Effect, Event, Fault, IdentifyStep, Millis, Screen, Staff, StaffAction, StaffLevel, WipeReason,
};

/// A wall-clock time for the staff codes.
const NOW: u64 = 1_790_000_000;

impl Harness {
    /// The hidden gesture and `code` on the staff pad, confirmed at `time`.
    fn unlock_with(&mut self, code: &str, time: u64) -> Vec<Effect> {
        self.send(Event::StaffGesture);
        for d in code.chars() {
            self.send(Event::StaffCodeDigit(d));
        }
        self.send(Event::StaffCodeConfirm { unix_time: time })
    }

    /// A staff member joins the citizen's session and the citizen agrees.
    fn assist(&mut self) {
        self.unlock_with(&staff_seed().code_at(NOW), NOW);
        assert!(matches!(self.session.help().staff, Staff::AwaitingConsent { level: StaffLevel::Staff }));
        self.send(Event::AssistConsent(true));
        assert!(self.session.help().staff.assistance().is_some());
    }

    fn masks(&self, id: &str) -> bool {
        self.session.help().staff.assistance().expect("assist mode").masks(id)
    }
}

fn audits(effects: &[Effect]) -> Vec<&AuditEntry> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Audit(entry) => Some(entry),
            _ => None,
        })
        .collect()
}

#[test]
fn the_right_code_unlocks_and_the_citizen_is_asked_first() {
    let mut h = Harness::with_staff();
    h.reach_form("bulky-waste");
    let effects = h.unlock_with(&staff_seed().code_at(NOW), NOW);
    assert_eq!(audits(&effects), [&AuditEntry { level: Some(StaffLevel::Staff), action: AuditAction::Unlocked }]);
    assert!(h.session.help().staff.assistance().is_none(), "nothing is masked-and-assisted before the citizen agrees");
    let effects = h.send(Event::AssistConsent(true));
    assert_eq!(audits(&effects)[0].action, AuditAction::ConsentGiven);
    assert!(h.masks("family-names") && h.masks("items"));
    assert_eq!(h.screen(), Screen::Form, "the citizen's session goes on untouched");
}

#[test]
fn a_maintainer_code_unlocks_at_maintainer_level() {
    let mut h = Harness::with_staff();
    h.reach_form("bulky-waste");
    h.unlock_with(&maintainer_seed().code_at(NOW), NOW);
    assert!(matches!(h.session.help().staff, Staff::AwaitingConsent { level: StaffLevel::Maintainer }));
}

#[test]
fn a_citizen_who_declines_is_not_helped() {
    let mut h = Harness::with_staff();
    h.reach_form("bulky-waste");
    h.unlock_with(&staff_seed().code_at(NOW), NOW);
    let effects = h.send(Event::AssistConsent(false));
    assert_eq!(audits(&effects)[0].action, AuditAction::ConsentRefused);
    assert!(matches!(h.session.help().staff, Staff::Away));
    assert!(h.send(Event::Staff(StaffAction::Back)).is_empty(), "no staff action without a staff member");
    assert_eq!(h.screen(), Screen::Form);
}

#[test]
fn wrong_and_replayed_codes_are_refused_and_guessing_is_slowed_down() {
    let mut h = Harness::with_staff();
    h.reach_form("bulky-waste");
    let right = staff_seed().code_at(NOW);
    h.unlock_with(&right, NOW);
    h.send(Event::AssistConsent(true));
    h.send(Event::Staff(StaffAction::EndAssistance));
    let effects = h.unlock_with(&right, NOW + 3);
    assert_eq!(audits(&effects)[0].action, AuditAction::Refused(StaffCodeError::Replayed));
    assert!(matches!(h.session.help().staff, Staff::Unlocking { error: Some(StaffCodeError::Replayed), .. }));
    h.send(Event::StaffCodeCancel);
    for _ in 0..3 {
        h.unlock_with("000000", NOW + 60);
        h.send(Event::StaffCodeCancel);
    }
    let effects = h.unlock_with(&staff_seed().code_at(NOW + 60), NOW + 60);
    assert!(matches!(audits(&effects)[0].action, AuditAction::Refused(StaffCodeError::LockedOut { .. })));
    h.send(Event::Cancel);
    let effects = h.unlock_with(&staff_seed().code_at(NOW + 60), NOW + 60);
    assert!(
        matches!(audits(&effects)[0].action, AuditAction::Refused(StaffCodeError::LockedOut { .. })),
        "ending the session does not reset the lockout"
    );
}

#[test]
fn the_code_pad_takes_six_digits_and_never_audits_the_code() {
    let mut h = Harness::with_staff();
    h.send(Event::StaffGesture);
    for d in "12345678".chars() {
        h.send(Event::StaffCodeDigit(d));
    }
    assert!(matches!(&h.session.help().staff, Staff::Unlocking { typed, .. } if typed.len() == 6));
    let effects = h.send(Event::StaffCodeConfirm { unix_time: NOW });
    assert!(!format!("{effects:?}").contains("123456"), "{effects:?}");
}

#[test]
fn assist_mode_masks_on_every_step_until_the_citizen_shows_one_field() {
    let mut h = Harness::with_staff();
    h.reach_form("bulky-waste");
    h.assist();
    h.type_text("Sofa");
    h.send(Event::FocusField(1));
    h.type_text("2");
    let effects = h.send(Event::Unmask("items".into()));
    assert_eq!(audits(&effects)[0].action, AuditAction::Unmasked("items".into()));
    assert!(!format!("{effects:?}").contains("Sofa"), "the audit names the field, not its value");
    assert!(!h.masks("items") && h.masks("volume") && h.masks("family-names"));
    h.send(Event::FormDone);
    h.send(Event::SlotsLoaded(Ok(common::slots())));
    assert_eq!(h.screen(), Screen::Booking);
    assert!(h.masks("family-names"), "the masking holds on the next screen");
    h.send(Event::ChooseSlot(0));
    h.send(Event::BookingDone);
    assert_eq!(h.screen(), Screen::Review);
    assert!(h.masks("place-of-residence") && !h.masks("items"));
}

#[test]
fn the_pin_pad_stays_the_citizens_while_staff_look_away() {
    let mut h = Harness::with_staff();
    h.send(Event::CardInserted);
    h.send(Event::Start);
    h.send(Event::ChooseService("bulky-waste".into()));
    h.send(Event::Agree);
    h.assist();
    assert!(matches!(h.identify_step(), Some(IdentifyStep::EnterSecret { .. })));
    let effects = h.type_pin("123456");
    assert!(matches!(effects.as_slice(), [Effect::ReadCard { pin, .. }] if pin.expose() == "123456"));
    assert!(h.session.help().staff.assistance().is_some(), "assistance goes on after the PIN");
}

#[test]
fn staff_navigate_on_the_citizens_behalf_and_every_action_is_audited() {
    let mut h = Harness::with_staff();
    h.reach_form("dog-registration");
    h.assist();
    let effects = h.send(Event::Staff(StaffAction::Forward));
    assert_eq!(h.screen(), Screen::Form, "forward checks the form: empty fields stay");
    assert_eq!(
        audits(&effects)[0],
        &AuditEntry { level: Some(StaffLevel::Staff), action: AuditAction::Acted(StaffAction::Forward) }
    );
    h.send(Event::Staff(StaffAction::SetLanguage(session::Lang::english())));
    assert_eq!(h.session.lang(), &session::Lang::english());
    h.send(Event::Staff(StaffAction::ToggleLargeText));
    assert!(h.session.accessibility().large_text);
    let effects = h.send(Event::Staff(StaffAction::EndSession));
    assert!(effects.iter().any(|e| matches!(e, Effect::Wiped(WipeReason::Cancelled))));
    assert!(matches!(h.session.help().staff, Staff::Away));
    assert!(!h.session.holds_personal_data());
}

#[test]
fn more_time_postpones_the_idle_warning_by_one_idle_period() {
    let mut h = Harness::with_staff();
    h.reach_form("bulky-waste");
    h.assist();
    let at = h.now;
    h.send(Event::Staff(StaffAction::ExtendTime));
    assert!(h.tick(at + TIMEOUTS.idle_ms + 1_000).is_empty());
    assert_eq!(h.session.warning_seconds_left(Millis(h.now)), None);
    h.tick(at + 2 * TIMEOUTS.idle_ms + 1_000);
    assert!(h.session.warning_seconds_left(Millis(h.now)).is_some());
}

#[test]
fn the_assistance_ends_by_staff_or_by_the_citizen() {
    let mut h = Harness::with_staff();
    h.reach_form("bulky-waste");
    h.assist();
    let effects = h.send(Event::CitizenEndsAssist);
    assert_eq!(audits(&effects)[0].action, AuditAction::EndedByCitizen);
    assert!(matches!(h.session.help().staff, Staff::Away));
    assert_eq!(h.screen(), Screen::Form);
    h.unlock_with(&staff_seed().code_at(NOW + 30), NOW + 30);
    h.send(Event::AssistConsent(true));
    h.send(Event::Staff(StaffAction::EndAssistance));
    assert!(matches!(h.session.help().staff, Staff::Away));
}

#[test]
fn the_wipe_ends_the_assistance_and_forgets_what_was_shown() {
    let mut h = Harness::with_staff();
    h.reach_form("bulky-waste");
    h.assist();
    h.send(Event::Unmask("family-names".into()));
    h.send(Event::CardRemoved);
    assert_eq!(h.screen(), Screen::Welcome);
    assert!(matches!(h.session.help().staff, Staff::Away));
    assert!(h.session.help().assisted.is_none());
}

#[test]
fn the_help_call_survives_a_screen_change_and_ends_when_help_comes() {
    let mut h = Harness::with_staff();
    h.send(Event::Start);
    h.send(Event::CallHelp);
    assert!(h.session.help().help_called);
    h.send(Event::ChooseService("bulky-waste".into()));
    assert!(h.session.help().help_called, "the call stays while the citizen goes on");
    h.send(Event::CallHelp);
    assert!(!h.session.help().help_called, "pressing again cancels it");
    h.send(Event::CallHelp);
    h.assist();
    assert!(!h.session.help().help_called);
}

#[test]
fn the_receipt_says_that_staff_helped_and_what_they_saw() {
    let mut h = Harness::with_staff();
    h.reach_review();
    h.assist();
    h.send(Event::Unmask("volume".into()));
    h.send(Event::SetConsent(true));
    h.send(Event::Send);
    let effects = h.send(Event::Submitted(Ok(Delivered::Sent)));
    let [Effect::Print { receipt, .. }] = effects.as_slice() else { panic!("expected a print: {effects:?}") };
    assert_eq!(receipt.assisted.as_ref().map(|s| s.iter().cloned().collect::<Vec<_>>()), Some(vec!["volume".into()]));
}

#[test]
fn without_a_citizen_staff_go_to_their_tasks_and_can_take_the_terminal_out_of_service() {
    let mut h = Harness::with_staff();
    h.unlock_with(&staff_seed().code_at(NOW), NOW);
    assert!(matches!(h.session.help().staff, Staff::Tasks { level: StaffLevel::Staff }));
    let effects = h.send(Event::Staff(StaffAction::TestPrint));
    assert!(effects.iter().any(|e| matches!(e, Effect::TestPrint)));
    h.send(Event::TestPrinted(Err(Fault::new(std::io::Error::other("paper out")))));
    assert!(matches!(h.session.help().test_print, Some(TestPrint::Failed(_))));
    let effects = h.send(Event::Staff(StaffAction::PaperRefilled));
    assert!(effects.iter().any(|e| matches!(e, Effect::PaperRefilled)));
    h.send(Event::Staff(StaffAction::OutOfService(OutOfServiceReason::NoPaper)));
    h.send(Event::Staff(StaffAction::CloseTasks));
    assert!(matches!(h.session.help().staff, Staff::Away));
    h.send(Event::Start);
    assert_eq!(h.screen(), Screen::Welcome, "out of service: no citizen starts");
    assert_eq!(h.session.out_of_service(), Some(OutOfServiceReason::NoPaper));
    h.unlock_with(&staff_seed().code_at(NOW + 30), NOW + 30);
    h.send(Event::Staff(StaffAction::BackInService));
    h.send(Event::Staff(StaffAction::CloseTasks));
    h.send(Event::Start);
    assert_eq!(h.screen(), Screen::Catalogue);
}

#[test]
fn a_staff_page_left_open_on_the_welcome_screen_closes_by_itself() {
    let mut h = Harness::with_staff();
    h.unlock_with(&staff_seed().code_at(NOW), NOW);
    h.tick(h.now + TIMEOUTS.idle_ms);
    assert!(matches!(h.session.help().staff, Staff::Away));
}

#[test]
fn a_terminal_without_seeds_accepts_no_code() {
    let mut h = Harness::new();
    let effects = h.unlock_with("123456", NOW);
    assert_eq!(audits(&effects)[0].action, AuditAction::Refused(StaffCodeError::NotConfigured));
}

#[test]
fn staff_back_in_service_does_not_lift_a_lapsed_eid_authorisation() {
    let mut h = Harness::with_staff();
    h.send(Event::AuthorisationLapsed);
    h.unlock_with(&staff_seed().code_at(NOW), NOW);
    assert!(matches!(h.session.help().staff, Staff::Tasks { level: StaffLevel::Staff }));
    h.send(Event::Staff(StaffAction::OutOfService(OutOfServiceReason::Maintenance)));
    assert_eq!(h.session.out_of_service(), Some(OutOfServiceReason::Maintenance));
    h.send(Event::Staff(StaffAction::BackInService));
    assert_eq!(h.session.out_of_service(), Some(OutOfServiceReason::EidAuthorisation));
    h.send(Event::AuthorisationRenewed);
    assert_eq!(h.session.out_of_service(), None);
}
