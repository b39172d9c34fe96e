// SPDX-License-Identifier: GPL-3.0-or-later
//! Identification inside a request: the card, the PIN, the CAN.

mod common;

use common::{Harness, erika};
use session::{CardData, CardError, CardItem, Effect, Event, Fault, IdentifyStep, Screen};

#[test]
fn identification_waits_for_a_card_then_asks_for_the_pin() {
    let mut h = Harness::new();
    h.send(Event::Start);
    h.send(Event::ChooseService("dog-registration".into()));
    h.send(Event::Agree);
    assert_eq!(h.screen(), Screen::Identify);
    assert!(matches!(h.identify_step(), Some(IdentifyStep::InsertCard)));
    h.send(Event::PinDigit('1'));
    assert_eq!(h.pin_len(), 0, "no PIN pad before a card is in");
    h.send(Event::CardInserted);
    assert!(matches!(h.identify_step(), Some(IdentifyStep::EnterSecret { error: None, .. })));
}

#[test]
fn pin_pad_accepts_six_digits_and_hands_the_pin_over_once() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    for d in "1234567".chars() {
        h.send(Event::PinDigit(d));
    }
    assert_eq!(h.pin_len(), 6);
    h.send(Event::PinErase);
    assert!(h.send(Event::PinConfirm).is_empty(), "five digits are not enough");
    h.send(Event::PinDigit('6'));
    let effects = h.send(Event::PinConfirm);
    match effects.as_slice() {
        [Effect::ReadCard { pin, can, items }] => {
            assert_eq!(pin.expose(), "123456");
            assert!(can.is_none());
            assert_eq!(items, &[CardItem::GivenNames, CardItem::FamilyNames, CardItem::PlaceOfResidence]);
            assert!(!format!("{pin:?}").contains("123456"), "Debug never shows the PIN");
        }
        other => panic!("expected one card read, got {other:?}"),
    }
    assert_eq!(h.pin_len(), 0, "the session no longer holds the PIN");
    assert!(!h.session.holds_personal_data());
    assert!(matches!(h.identify_step(), Some(IdentifyStep::Confirmed)));
}

#[test]
fn wrong_pin_asks_again_and_shows_attempts_left() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    h.type_pin("111111");
    h.send(Event::CardRead(Err(CardError::WrongPin { attempts_left: 2 })));
    assert!(matches!(
        h.identify_step(),
        Some(IdentifyStep::EnterSecret { error: Some(CardError::WrongPin { attempts_left: 2 }), can: None, .. })
    ));
    assert_eq!(h.pin_len(), 0);
}

#[test]
fn suspended_pin_asks_for_the_can_then_the_pin_and_sends_both() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    h.type_pin("111111");
    h.send(Event::CardRead(Err(CardError::PinSuspended)));
    assert!(matches!(h.identify_step(), Some(IdentifyStep::EnterCan { error: Some(CardError::PinSuspended), .. })));
    for d in "654321".chars() {
        h.send(Event::PinDigit(d));
    }
    assert_eq!(h.pin_len(), 6);
    h.send(Event::PinConfirm);
    assert!(matches!(h.identify_step(), Some(IdentifyStep::EnterSecret { error: None, .. })));
    let effects = h.type_pin("123456");
    match effects.as_slice() {
        [Effect::ReadCard { pin, can: Some(can), .. }] => {
            assert_eq!((pin.expose(), can.expose()), ("123456", "654321"));
        }
        other => panic!("expected a read with CAN, got {other:?}"),
    }
}

#[test]
fn a_wrong_pin_after_the_can_asks_for_the_can_again() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    h.type_pin("111111");
    h.send(Event::CardRead(Err(CardError::PinSuspended)));
    h.type_pin("500540");
    h.type_pin("222222");
    h.send(Event::CardRead(Err(CardError::WrongCan)));
    assert!(matches!(h.identify_step(), Some(IdentifyStep::EnterCan { error: Some(CardError::WrongCan), .. })));
}

#[test]
fn blocked_pin_and_deactivated_card_end_in_a_failure_with_retry() {
    let unreadable = CardError::Unreadable(Fault::new(std::io::Error::other("6A82")));
    for error in [CardError::PinBlocked, CardError::Deactivated, unreadable] {
        let mut h = Harness::new();
        h.reach_pin_pad("bulky-waste");
        h.type_pin("123456");
        h.send(Event::CardRead(Err(error.clone())));
        assert!(matches!(h.identify_step(), Some(IdentifyStep::Failed(e)) if *e == error));
        h.send(Event::RetryIdentify);
        assert!(matches!(h.identify_step(), Some(IdentifyStep::EnterSecret { error: None, .. })));
    }
}

#[test]
fn an_expired_card_ends_in_a_failure_on_the_identify_screen() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    h.type_pin("123456");
    h.send(Event::CardRead(Err(CardError::Expired)));
    assert!(matches!(h.identify_step(), Some(IdentifyStep::Failed(CardError::Expired))));
    assert_eq!(h.screen(), Screen::Identify);
}

#[test]
fn a_revoked_card_ends_in_a_failure_on_the_identify_screen() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    h.type_pin("123456");
    h.send(Event::CardRead(Err(CardError::Revoked)));
    assert!(matches!(h.identify_step(), Some(IdentifyStep::Failed(CardError::Revoked))));
    assert_eq!(h.screen(), Screen::Identify);
}

#[test]
fn back_from_the_pin_pad_forgets_the_digits() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    h.send(Event::PinDigit('1'));
    assert!(h.session.holds_personal_data());
    h.send(Event::Back);
    assert_eq!(h.screen(), Screen::ServiceInfo);
    assert!(!h.session.holds_personal_data());
}

#[test]
fn the_card_data_is_cut_to_the_declared_items_even_if_the_reader_returns_more() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    h.type_pin("123456");
    h.send(Event::CardRead(Ok(CardData { identity: erika() })));
    let rows = h.form_rows();
    assert!(rows.iter().all(|r| !r.value.contains("BERLIN")), "the place of birth was not asked for");
}
