// SPDX-License-Identifier: GPL-3.0-or-later
//! The status check: a tracking number typed at the keypad, the portal's answer.

mod common;

use common::Harness;
use session::journey::StatusCheck;
use session::{Effect, Event, RequestState, Screen, StatusOutcome, TrackingNumber, WipeReason};

fn typed(h: &Harness) -> String {
    h.status_check().map(|c| c.typed().as_str().to_owned()).unwrap_or_default()
}

fn invalid(h: &Harness) -> bool {
    matches!(h.status_check(), Some(StatusCheck::Entry { invalid: true, .. }))
}

#[test]
fn status_check_needs_no_card_and_checks_the_typed_number() {
    let mut h = Harness::new();
    h.send(Event::Start);
    h.send(Event::ChooseService("status".into()));
    assert_eq!(h.screen(), Screen::StatusEntry);
    for c in "abcd-efgh-jklm".chars() {
        h.send(Event::StatusType(c));
    }
    assert_eq!(typed(&h), "ABCDEFGHJKLM");
    assert!(h.send(Event::StatusCheck).is_empty());
    assert!(invalid(&h), "a wrong check character is caught at the keypad");
    h.send(Event::StatusErase);
    assert!(!invalid(&h));

    let number = TrackingNumber::generate(&mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(3));
    for _ in 0..TrackingNumber::LEN {
        h.send(Event::StatusErase);
    }
    for c in number.to_string().chars() {
        h.send(Event::StatusType(c));
    }
    let effects = h.send(Event::StatusCheck);
    assert!(matches!(effects.as_slice(), [Effect::CheckStatus(n)] if *n == number));
    assert_eq!(h.screen(), Screen::StatusResult);
    let found = StatusOutcome::Found { state: RequestState::Accepted, processing: None, service_id: None };
    h.send(Event::StatusLoaded(found.clone()));
    assert!(matches!(
        h.status_check(),
        Some(StatusCheck::Result { number: n, outcome: Some(o), .. }) if *n == number && *o == found
    ));
    let effects = h.send(Event::Finish);
    assert!(matches!(effects.as_slice(), [Effect::Wiped(WipeReason::Finished)]));
    assert_eq!(typed(&h), "");
}

#[test]
fn back_from_the_result_keeps_the_number_to_correct_it() {
    let mut h = Harness::new();
    h.send(Event::Start);
    h.send(Event::ChooseService("status".into()));
    let number = TrackingNumber::generate(&mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(4));
    for c in number.as_str().chars() {
        h.send(Event::StatusType(c));
    }
    h.send(Event::StatusCheck);
    h.send(Event::StatusLoaded(StatusOutcome::NotFound));
    h.send(Event::Back);
    assert_eq!(h.screen(), Screen::StatusEntry);
    assert_eq!(typed(&h), number.as_str());
    h.send(Event::Back);
    assert_eq!(h.screen(), Screen::Catalogue);
}

#[test]
fn no_timeout_while_the_portal_is_asked() {
    let mut h = Harness::new();
    h.send(Event::Start);
    h.send(Event::ChooseService("status".into()));
    let number = TrackingNumber::generate(&mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(5));
    for c in number.as_str().chars() {
        h.send(Event::StatusType(c));
    }
    h.send(Event::StatusCheck);
    let start = h.now;
    assert!(h.tick(start + 10 * common::TIMEOUTS.idle_ms).is_empty());
    assert_eq!(h.screen(), Screen::StatusResult);
}
