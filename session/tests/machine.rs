// SPDX-License-Identifier: GPL-3.0-or-later
//! What spans journeys: how a session ends (finished, cancelled, timed out,
//! card pulled), the idle warning, and the citizen's settings.

mod common;

use common::{Harness, TIMEOUTS, erika};
use session::assist::OutOfServiceReason;
use session::{CardData, Delivered, Effect, Event, Lang, Millis, Notice, Screen, WipeReason};

#[test]
fn finishing_asks_to_take_the_card_and_removing_it_wipes() {
    let mut h = Harness::new();
    h.reach_review();
    h.send(Event::SetConsent(true));
    h.send(Event::Send);
    h.send(Event::Submitted(Ok(Delivered::Sent)));
    h.send(Event::Printed(Ok(())));
    h.send(Event::Finish);
    assert_eq!(h.screen(), Screen::TakeCard);
    let effects = h.send(Event::CardRemoved);
    assert!(matches!(effects.as_slice(), [Effect::Wiped(WipeReason::Finished)]));
    assert_eq!(h.screen(), Screen::Welcome);
    assert!(h.request().is_none(), "the receipt and the transparency log went with the journey");
    assert_eq!(h.session.notice(), None);
}

#[test]
fn take_card_screen_ends_the_session_after_its_timeout() {
    let mut h = Harness::new();
    h.reach_review();
    h.send(Event::SetConsent(true));
    h.send(Event::Send);
    h.send(Event::Submitted(Ok(Delivered::Sent)));
    h.send(Event::Finish);
    let since = h.now;
    assert!(h.tick(since + TIMEOUTS.take_card_ms - 1).is_empty());
    assert!(matches!(h.tick(since + TIMEOUTS.take_card_ms).as_slice(), [Effect::Wiped(WipeReason::Finished)]));
}

#[test]
fn card_pulled_during_the_form_wipes_everything() {
    let mut h = Harness::new();
    h.reach_form("bulky-waste");
    h.type_text("Sofa");
    assert!(h.session.holds_personal_data());
    let effects = h.send(Event::CardRemoved);
    assert!(matches!(effects.as_slice(), [Effect::Wiped(WipeReason::CardRemoved)]));
    assert_eq!(h.screen(), Screen::Welcome);
    assert!(!h.session.holds_personal_data());
    assert!(h.form_rows().is_empty());
    assert_eq!(h.session.notice(), Some(Notice::Ended(WipeReason::CardRemoved)));
}

#[test]
fn card_pulled_while_reading_wipes_and_the_late_answer_is_ignored() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    h.type_pin("123456");
    h.send(Event::CardRemoved);
    assert_eq!(h.screen(), Screen::Welcome);
    h.send(Event::CardRead(Ok(CardData { identity: erika() })));
    assert_eq!(h.screen(), Screen::Welcome);
    assert!(!h.session.holds_personal_data(), "a late card answer after the wipe is dropped");
}

#[test]
fn a_card_that_answers_removed_wipes_like_a_pulled_card() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    h.type_pin("123456");
    let effects = h.send(Event::CardRead(Err(session::CardError::CardRemoved)));
    assert!(matches!(effects.as_slice(), [Effect::Wiped(WipeReason::CardRemoved)]));
    assert!(!h.session.card_present());
}

#[test]
fn card_pulled_after_sending_keeps_the_receipt() {
    let mut h = Harness::new();
    h.reach_review();
    h.send(Event::SetConsent(true));
    h.send(Event::Send);
    h.send(Event::CardRemoved);
    h.send(Event::Submitted(Ok(Delivered::Sent)));
    assert_eq!(h.screen(), Screen::Receipt);
    let effects = h.send(Event::Finish);
    assert!(matches!(effects.as_slice(), [Effect::Wiped(WipeReason::Finished)]), "no card left to take");
}

#[test]
fn card_pulled_before_it_is_used_ends_nothing() {
    let mut h = Harness::new();
    h.send(Event::CardInserted);
    h.send(Event::Start);
    h.send(Event::ChooseService("bulky-waste".into()));
    assert!(h.send(Event::CardRemoved).is_empty());
    assert_eq!(h.screen(), Screen::ServiceInfo);
}

#[test]
fn cancel_wipes_from_any_screen() {
    let mut h = Harness::new();
    h.reach_form("dog-registration");
    h.type_text("Bello");
    let effects = h.send(Event::Cancel);
    assert!(matches!(effects.as_slice(), [Effect::Wiped(WipeReason::Cancelled)]));
    assert_eq!(h.screen(), Screen::Welcome);
    assert!(!h.session.holds_personal_data());
}

#[test]
fn idle_shows_a_warning_with_countdown_then_wipes() {
    let mut h = Harness::new();
    h.reach_form("bulky-waste");
    let last_touch = h.now;
    assert!(h.tick(last_touch + TIMEOUTS.idle_ms - 1).is_empty());
    assert_eq!(h.session.warning_seconds_left(Millis(h.now)), None);
    h.tick(last_touch + TIMEOUTS.idle_ms);
    assert_eq!(h.session.warning_seconds_left(Millis(h.now)), Some(20));
    assert_eq!(h.session.warning_seconds_left(Millis(h.now + 5_500)), Some(15));
    let warned = h.now;
    assert!(h.tick(warned + TIMEOUTS.warning_ms - 1).is_empty());
    let effects = h.tick(warned + TIMEOUTS.warning_ms);
    assert!(matches!(effects.as_slice(), [Effect::Wiped(WipeReason::TimedOut)]));
    assert_eq!(h.screen(), Screen::Welcome);
    assert!(!h.session.holds_personal_data());
    assert_eq!(h.session.notice(), Some(Notice::Ended(WipeReason::TimedOut)));
    h.tick(h.now + TIMEOUTS.notice_ms);
    assert_eq!(h.session.notice(), None, "the notice goes away by itself");
}

#[test]
fn a_touch_during_the_warning_keeps_the_session() {
    let mut h = Harness::new();
    h.reach_form("bulky-waste");
    let start = h.now;
    h.tick(start + TIMEOUTS.idle_ms);
    assert!(h.session.warning_seconds_left(Millis(h.now)).is_some());
    h.at(start + TIMEOUTS.idle_ms + 1_000).send(Event::StillHere);
    assert_eq!(h.session.warning_seconds_left(Millis(h.now)), None);
    assert!(h.tick(start + TIMEOUTS.idle_ms + TIMEOUTS.warning_ms + 1).is_empty());
    assert_eq!(h.screen(), Screen::Form);
}

#[test]
fn no_timeout_while_the_terminal_itself_is_busy() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    h.type_pin("123456");
    let start = h.now;
    assert!(h.tick(start + 10 * TIMEOUTS.idle_ms).is_empty());
    assert_eq!(h.session.warning_seconds_left(Millis(h.now)), None);
    h.send(Event::CardRead(Ok(CardData { identity: erika() })));
    assert_eq!(h.screen(), Screen::Form);
}

#[test]
fn language_returns_to_german_when_the_welcome_screen_is_left_alone() {
    let mut h = Harness::new();
    h.send(Event::SetLanguage(Lang::english()));
    h.tick(h.now + TIMEOUTS.idle_ms);
    assert_eq!(h.session.lang(), &Lang::german());
}

#[test]
fn display_settings_are_the_citizens_and_go_with_the_wipe() {
    let mut h = Harness::new();
    h.reach_form("bulky-waste");
    h.send(Event::ToggleLargeText);
    h.send(Event::ToggleContrast);
    h.send(Event::SetLanguage(Lang::english()));
    let settings = h.session.accessibility();
    assert!(settings.large_text && settings.high_contrast);
    assert_eq!(h.screen(), Screen::Form, "switching changes nothing else");
    h.send(Event::Cancel);
    assert_eq!(h.session.accessibility(), &session::Accessibility::default());
}

#[test]
fn a_display_switch_counts_as_a_touch() {
    let mut h = Harness::new();
    h.reach_form("bulky-waste");
    let start = h.now;
    h.at(start + TIMEOUTS.idle_ms - 1_000).send(Event::ToggleLargeText);
    assert!(h.tick(start + TIMEOUTS.idle_ms + 500).is_empty());
    assert_eq!(h.session.warning_seconds_left(Millis(h.now)), None);
}

#[test]
fn a_lapsed_authorisation_ends_a_session_before_the_pin_and_keeps_the_terminal_out_of_service() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    let effects = h.send(Event::AuthorisationLapsed);
    assert!(matches!(effects.as_slice(), [Effect::Wiped(WipeReason::OutOfService)]), "{effects:?}");
    assert_eq!(h.screen(), Screen::Welcome);
    assert!(!h.session.holds_personal_data());
    assert_eq!(h.session.out_of_service(), Some(OutOfServiceReason::EidAuthorisation));
    h.send(Event::Start);
    assert_eq!(h.screen(), Screen::Welcome, "no citizen starts towards a PIN entry TA would refuse");
    h.send(Event::AuthorisationRenewed);
    assert_eq!(h.session.out_of_service(), None);
    h.send(Event::Start);
    assert_eq!(h.screen(), Screen::Catalogue);
}

#[test]
fn a_lapsed_authorisation_lets_a_citizen_whose_card_was_read_finish() {
    let mut h = Harness::new();
    h.reach_form("bulky-waste");
    assert!(h.send(Event::AuthorisationLapsed).is_empty());
    assert_eq!(h.screen(), Screen::Form);
    assert!(h.session.holds_personal_data(), "the form goes on");
    assert_eq!(h.session.out_of_service(), Some(OutOfServiceReason::EidAuthorisation));
}
