// SPDX-License-Identifier: GPL-3.0-or-later
//! Identification with the PIN typed on the card reader's keypad (PACE on
//! the reader, PC/SC part 10 amendment 1): the session never holds a PIN.

mod common;

use common::{Harness, erika};
use session::{CardData, CardError, Effect, Event, IdentifyStep, PinEntry, Screen};

/// Welcome → identify, with a reader that runs PACE itself.
fn reach_keypad(h: &mut Harness) {
    h.send(Event::ReaderPinEntry(PinEntry::OnReader));
    h.send(Event::CardInserted);
    h.send(Event::Start);
    h.send(Event::ChooseService("bulky-waste".into()));
    h.send(Event::Agree);
    assert_eq!(h.screen(), Screen::Identify);
    assert!(matches!(h.identify_step(), Some(IdentifyStep::OnReader { error: None })));
    assert!(h.request().and_then(|r| r.identification()).is_some_and(|i| i.pin_on_reader()));
}

#[test]
fn a_reader_with_pace_asks_for_the_pin_on_its_keypad_and_the_session_holds_none() {
    let mut h = Harness::new();
    reach_keypad(&mut h);
    for d in "123456".chars() {
        assert!(h.send(Event::PinDigit(d)).is_empty());
    }
    assert_eq!(h.pin_len(), 0, "no digit typed on the screen is taken");
    let identification = h.request().and_then(|r| r.identification()).expect("identifying");
    assert!(!identification.holds_secrets(), "the keypad step holds no secret");
    assert!(!h.session.holds_personal_data());
    let effects = h.send(Event::PinConfirm);
    match effects.as_slice() {
        [Effect::ReadCardOnReader { can_first, items }] => {
            assert!(!can_first);
            assert!(!items.is_empty());
        }
        other => panic!("expected one read on the reader, got {other:?}"),
    }
    assert!(!format!("{effects:?}").contains("123456"), "no effect carries a PIN");
    assert!(matches!(h.identify_step(), Some(IdentifyStep::Confirmed)));
    h.send(Event::CardRead(Ok(CardData { identity: erika() })));
    assert_eq!(h.screen(), Screen::Form);
}

#[test]
fn a_wrong_pin_on_the_keypad_asks_again_on_the_keypad_with_the_attempts_left() {
    let mut h = Harness::new();
    reach_keypad(&mut h);
    h.send(Event::PinConfirm);
    h.send(Event::CardRead(Err(CardError::WrongPin { attempts_left: 2 })));
    assert!(matches!(
        h.identify_step(),
        Some(IdentifyStep::OnReader { error: Some(CardError::WrongPin { attempts_left: 2 }) })
    ));
    let effects = h.send(Event::PinConfirm);
    assert!(matches!(effects.as_slice(), [Effect::ReadCardOnReader { can_first: false, .. }]));
}

#[test]
fn a_suspended_pin_has_the_keypad_ask_for_the_can_first() {
    let mut h = Harness::new();
    reach_keypad(&mut h);
    h.send(Event::PinConfirm);
    h.send(Event::CardRead(Err(CardError::PinSuspended)));
    assert!(matches!(h.identify_step(), Some(IdentifyStep::OnReader { error: Some(CardError::PinSuspended) })));
    let effects = h.send(Event::PinConfirm);
    assert!(matches!(effects.as_slice(), [Effect::ReadCardOnReader { can_first: true, .. }]));
}

#[test]
fn cancelling_on_the_keypad_lets_the_citizen_start_again() {
    let mut h = Harness::new();
    reach_keypad(&mut h);
    h.send(Event::PinConfirm);
    h.send(Event::CardRead(Err(CardError::EntryCancelled)));
    assert!(matches!(h.identify_step(), Some(IdentifyStep::OnReader { error: Some(CardError::EntryCancelled) })));
    assert!(matches!(h.send(Event::PinConfirm).as_slice(), [Effect::ReadCardOnReader { .. }]));
}

#[test]
fn a_reader_without_pace_keeps_the_pin_pad_on_the_screen() {
    let mut h = Harness::new();
    h.send(Event::ReaderPinEntry(PinEntry::OnScreen));
    h.reach_pin_pad("bulky-waste");
    assert!(matches!(h.type_pin("123456").as_slice(), [Effect::ReadCard { .. }]));
}
