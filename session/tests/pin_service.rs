// SPDX-License-Identifier: GPL-3.0-or-later
//! The PIN service: change the PIN, replace the transport PIN, unblock with the PUK.

mod common;

use common::Harness;
use session::journey::{PinService, PinStage as Step};
use session::{CardError, Effect, Event, Millis, PinTask, Screen, WipeReason};

impl Harness {
    /// Welcome → catalogue → PIN service, card inserted, task chosen.
    fn reach_pin_service(&mut self, task: PinTask) {
        self.send(Event::CardInserted);
        self.send(Event::Start);
        self.send(Event::ChooseService("id-card-pin".into()));
        assert_eq!(self.screen(), Screen::PinService);
        assert_eq!(self.pin_step(), Step::ChooseTask);
        self.send(Event::ChoosePinTask(task));
        assert_eq!(self.pin_step(), Step::EnterCurrent(None));
    }

    fn pin_step(&self) -> Step {
        self.pin_service().expect("in the PIN service").stage()
    }

    /// Digits on the pad now, and how many it wants.
    fn pad(&self) -> (usize, usize) {
        match self.pin_service().expect("in the PIN service") {
            PinService::Open { identification, .. } => (identification.digits_typed(), identification.digits_needed()),
            PinService::NewPin { typed, .. } | PinService::RepeatPin { typed, .. } => (typed.len(), 6),
            _ => (0, 6),
        }
    }
}

fn digits(effect: &Effect) -> (String, Option<String>, String) {
    match effect {
        Effect::ChangePin { current, can, new } => {
            (current.expose().into(), can.as_ref().map(|c| c.expose().into()), new.expose().into())
        }
        Effect::UnblockPin { puk } => (puk.expose().into(), None, String::new()),
        other => panic!("not a PIN effect: {other:?}"),
    }
}

#[test]
fn pin_change_asks_current_then_new_twice_and_hands_all_over_once() {
    let mut h = Harness::new();
    h.reach_pin_service(PinTask::Change);
    assert!(h.type_pin("12345").is_empty(), "five digits are not a PIN");
    assert_eq!(h.pad().1, 6);
    assert!(h.type_pin("6").is_empty());
    assert_eq!(h.pin_step(), Step::EnterNew { mismatch: false });
    assert!(h.type_pin("654321").is_empty());
    assert_eq!(h.pin_step(), Step::RepeatNew);
    let effects = h.type_pin("654321");
    assert_eq!(effects.len(), 1);
    assert_eq!(digits(&effects[0]), ("123456".into(), None, "654321".into()));
    assert_eq!(h.pin_step(), Step::Working);
    assert!(h.send(Event::PinDigit('1')).is_empty(), "no typing while the card works");
    h.send(Event::PinChanged(Ok(())));
    assert_eq!(h.pin_step(), Step::Done);
    assert!(!h.session.holds_personal_data(), "no secret is kept after the change");
    h.send(Event::Finish);
    assert_eq!(h.screen(), Screen::TakeCard);
    assert!(matches!(h.send(Event::CardRemoved).as_slice(), [Effect::Wiped(WipeReason::Finished)]));
}

#[test]
fn two_different_new_pins_ask_for_the_new_pin_again() {
    let mut h = Harness::new();
    h.reach_pin_service(PinTask::Change);
    h.type_pin("123456");
    h.type_pin("654321");
    assert!(h.type_pin("654320").is_empty());
    assert_eq!(h.pin_step(), Step::EnterNew { mismatch: true });
    assert_eq!(h.pad().0, 0, "both new entries are cleared");
    h.type_pin("111222");
    let effects = h.type_pin("111222");
    assert_eq!(digits(&effects[0]), ("123456".into(), None, "111222".into()));
}

#[test]
fn transport_pin_takes_five_digits_then_a_new_six_digit_pin() {
    let mut h = Harness::new();
    h.reach_pin_service(PinTask::ReplaceTransportPin);
    assert_eq!(h.pad().1, 5);
    for d in "123456".chars() {
        h.send(Event::PinDigit(d));
    }
    assert_eq!(h.pad().0, 5, "the pad stops at five digits");
    h.send(Event::PinConfirm);
    assert_eq!(h.pin_step(), Step::EnterNew { mismatch: false });
    h.type_pin("246810");
    let effects = h.type_pin("246810");
    assert_eq!(digits(&effects[0]), ("12345".into(), None, "246810".into()));
}

#[test]
fn unblock_takes_the_ten_digit_puk_and_asks_for_no_new_pin() {
    let mut h = Harness::new();
    h.reach_pin_service(PinTask::Unblock);
    assert_eq!(h.pad().1, 10);
    let effects = h.type_pin("9876543210");
    assert_eq!(digits(&effects[0]), ("9876543210".into(), None, String::new()));
    h.send(Event::PinChanged(Err(CardError::WrongPuk)));
    assert_eq!(h.pin_step(), Step::EnterCurrent(Some(CardError::WrongPuk)));
    h.type_pin("9876543210");
    h.send(Event::PinChanged(Ok(())));
    assert_eq!(h.pin_step(), Step::Done);
}

#[test]
fn wrong_current_pin_asks_again_and_suspended_pin_asks_for_the_can_keeping_the_new_pin() {
    let mut h = Harness::new();
    h.reach_pin_service(PinTask::Change);
    h.type_pin("000000");
    h.type_pin("654321");
    h.type_pin("654321");
    h.send(Event::PinChanged(Err(CardError::WrongPin { attempts_left: 2 })));
    assert_eq!(h.pin_step(), Step::EnterCurrent(Some(CardError::WrongPin { attempts_left: 2 })));
    let effects = h.type_pin("000001");
    assert_eq!(digits(&effects[0]), ("000001".into(), None, "654321".into()), "the confirmed new PIN is kept");
    h.send(Event::PinChanged(Err(CardError::PinSuspended)));
    assert_eq!(h.pin_step(), Step::EnterCan(Some(CardError::PinSuspended)));
    h.type_pin("500540");
    assert_eq!(h.pin_step(), Step::EnterCurrent(None));
    let effects = h.type_pin("123456");
    assert_eq!(digits(&effects[0]), ("123456".into(), Some("500540".into()), "654321".into()));
}

#[test]
fn blocked_pin_fails_and_offers_the_puk_path() {
    let mut h = Harness::new();
    h.reach_pin_service(PinTask::Change);
    h.type_pin("123456");
    h.type_pin("654321");
    h.type_pin("654321");
    h.send(Event::PinChanged(Err(CardError::PinBlocked)));
    assert_eq!(h.pin_step(), Step::Failed(CardError::PinBlocked));
    assert!(!h.session.holds_personal_data());
    h.send(Event::ChoosePinTask(PinTask::Unblock));
    assert_eq!(h.pin_step(), Step::EnterCurrent(None));
    assert_eq!(h.pad().1, 10);
}

#[test]
fn pin_service_waits_for_a_card_and_pulling_it_mid_entry_wipes() {
    let mut h = Harness::new();
    h.send(Event::Start);
    h.send(Event::ChooseService("id-card-pin".into()));
    h.send(Event::ChoosePinTask(PinTask::Change));
    assert_eq!(h.pin_step(), Step::InsertCard);
    h.send(Event::CardInserted);
    assert_eq!(h.pin_step(), Step::EnterCurrent(None));
    h.send(Event::PinDigit('1'));
    assert!(h.session.holds_personal_data());
    assert!(matches!(h.send(Event::CardRemoved).as_slice(), [Effect::Wiped(WipeReason::CardRemoved)]));
    assert_eq!(h.screen(), Screen::Welcome);
    assert!(!h.session.holds_personal_data());
}

#[test]
fn back_in_the_pin_service_forgets_every_digit() {
    let mut h = Harness::new();
    h.reach_pin_service(PinTask::Change);
    h.type_pin("123456");
    h.send(Event::PinDigit('9'));
    h.send(Event::Back);
    assert_eq!(h.pin_step(), Step::ChooseTask);
    assert!(!h.session.holds_personal_data());
    h.send(Event::Back);
    assert_eq!(h.screen(), Screen::Catalogue);
}

#[test]
fn no_timeout_while_the_card_changes_the_pin_but_one_after() {
    let mut h = Harness::new();
    h.reach_pin_service(PinTask::Unblock);
    h.type_pin("9876543210");
    let start = h.now;
    assert!(h.tick(start + 200_000).is_empty(), "the card is working");
    h.session.handle(Millis(start + 200_000), Event::PinChanged(Ok(())));
    h.tick(start + 200_000 + 60_000);
    let effects = h.tick(start + 200_000 + 80_000);
    assert!(matches!(effects.as_slice(), [Effect::Wiped(WipeReason::TimedOut)]));
}
