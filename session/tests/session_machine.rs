// SPDX-License-Identifier: GPL-3.0-or-later
//! The citizen session, transition by transition, with an injected clock.

use session::{
    Address, CardData, CardDate, CardError, CardItem, Catalogue, Delivered, Fault, Effect, Event, IdentifyStep, Identity, Lang, Millis,
    Notice, PinStep, PinTask, PrintState, RequestState, Screen, Session, Slot, SlotKind, StatusOutcome, SubmitFailure,
    Timeouts, TrackingNumber, TransparencyEntry, WipeReason,
};

const TIMEOUTS: Timeouts = Timeouts { idle_ms: 60_000, warning_ms: 20_000, take_card_ms: 30_000, notice_ms: 10_000 };

struct Harness {
    session: Session,
    now: u64,
}

impl Harness {
    fn new() -> Self {
        let catalogue = Catalogue::from_toml(include_str!("../config/catalogue.toml")).unwrap();
        Harness { session: Session::new(catalogue, TIMEOUTS, [7; 32]), now: 0 }
    }

    fn at(&mut self, ms: u64) -> &mut Self {
        self.now = ms;
        self
    }

    fn send(&mut self, event: Event) -> Vec<Effect> {
        self.now += 100;
        self.session.handle(Millis(self.now), event)
    }

    fn tick(&mut self, ms: u64) -> Vec<Effect> {
        self.now = ms;
        self.session.tick(Millis(ms))
    }

    fn screen(&self) -> Screen {
        self.session.screen()
    }

    /// Welcome → catalogue → service info → identify, card already inserted.
    fn reach_pin_pad(&mut self, service: &str) {
        self.send(Event::CardInserted);
        self.send(Event::Start);
        self.send(Event::ChooseService(service.into()));
        self.send(Event::Agree);
        assert_eq!(self.session.identify_step(), Some(&IdentifyStep::EnterPin { error: None }));
    }

    fn type_pin(&mut self, digits: &str) -> Vec<Effect> {
        for d in digits.chars() {
            self.send(Event::PinDigit(d));
        }
        self.send(Event::PinConfirm)
    }

    /// Up to the form with Erika's data read from the card.
    fn reach_form(&mut self, service: &str) {
        self.reach_pin_pad(service);
        let effects = self.type_pin("123456");
        assert!(matches!(effects.as_slice(), [Effect::ReadCard { .. }]));
        self.send(Event::CardRead(Ok(CardData { identity: erika() })));
        assert_eq!(self.screen(), Screen::Form);
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(Event::Type(c));
        }
    }

    /// Up to the review screen of a bulky-waste request with an express slot.
    fn reach_review(&mut self) {
        self.reach_form("bulky-waste");
        self.type_text("Sofa, zwei Stühle");
        self.send(Event::FocusField(1));
        self.type_text("3");
        let effects = self.send(Event::FormDone);
        assert!(matches!(effects.as_slice(), [Effect::LoadSlots { .. }]));
        self.send(Event::SlotsLoaded(Ok(slots())));
        self.send(Event::ChooseSlot(1));
        self.send(Event::BookingDone);
        assert_eq!(self.screen(), Screen::Review);
    }
}

fn erika() -> Identity {
    Identity {
        document_type: Some("ID".into()),
        given_names: Some("ERIKA".into()),
        family_names: Some("MUSTERMANN".into()),
        date_of_birth: Some(CardDate::new(1964, 8, 12)),
        place_of_birth: Some("BERLIN".into()),
        place_of_residence: Some(Address {
            street: "HEIDESTRASSE 17".into(),
            postal_code: "51147".into(),
            city: "KÖLN".into(),
            country: "D".into(),
        }),
        issuing_state: None,
        date_of_expiry: None,
        artistic_name: None,
        birth_name: None,
    }
}

fn slots() -> Vec<Slot> {
    vec![
        Slot {
            id: "std-1".into(),
            date: (2026, 12, 7),
            weekday: 0,
            time: None,
            kind: SlotKind::Standard,
            fee_cents: 0,
        },
        Slot {
            id: "exp-1".into(),
            date: (2026, 11, 26),
            weekday: 3,
            time: None,
            kind: SlotKind::Express,
            fee_cents: 4500,
        },
    ]
}

#[test]
fn start_leads_to_the_catalogue_and_a_tile_to_its_information() {
    let mut h = Harness::new();
    assert_eq!(h.screen(), Screen::Welcome);
    h.send(Event::Start);
    assert_eq!(h.screen(), Screen::Catalogue);
    h.send(Event::ChooseService("bulky-waste".into()));
    assert_eq!(h.screen(), Screen::ServiceInfo);
    assert_eq!(h.session.service().unwrap().id, "bulky-waste");
    h.send(Event::Back);
    assert_eq!(h.screen(), Screen::Catalogue);
    h.send(Event::ChooseService("no-such-service".into()));
    assert_eq!(h.screen(), Screen::Catalogue);
}

#[test]
fn identification_waits_for_a_card_then_asks_for_the_pin() {
    let mut h = Harness::new();
    h.send(Event::Start);
    h.send(Event::ChooseService("dog-registration".into()));
    h.send(Event::Agree);
    assert_eq!(h.screen(), Screen::Identify);
    assert_eq!(h.session.identify_step(), Some(&IdentifyStep::InsertCard));
    h.send(Event::PinDigit('1'));
    assert_eq!(h.session.pin_len(), 0, "no PIN pad before a card is in");
    h.send(Event::CardInserted);
    assert_eq!(h.session.identify_step(), Some(&IdentifyStep::EnterPin { error: None }));
}

#[test]
fn pin_pad_accepts_six_digits_and_hands_the_pin_over_once() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    for d in "1234567".chars() {
        h.send(Event::PinDigit(d));
    }
    assert_eq!(h.session.pin_len(), 6);
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
    assert_eq!(h.session.pin_len(), 0, "the session no longer holds the PIN");
    assert!(!h.session.holds_personal_data());
    assert_eq!(h.session.identify_step(), Some(&IdentifyStep::Reading));
}

#[test]
fn wrong_pin_asks_again_and_shows_attempts_left() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    h.type_pin("111111");
    h.send(Event::CardRead(Err(CardError::WrongPin { attempts_left: 2 })));
    assert_eq!(
        h.session.identify_step(),
        Some(&IdentifyStep::EnterPin { error: Some(CardError::WrongPin { attempts_left: 2 }) })
    );
    assert_eq!(h.session.pin_len(), 0);
}

#[test]
fn suspended_pin_asks_for_the_can_then_the_pin_and_sends_both() {
    let mut h = Harness::new();
    h.reach_pin_pad("bulky-waste");
    h.type_pin("111111");
    h.send(Event::CardRead(Err(CardError::PinSuspended)));
    assert_eq!(h.session.identify_step(), Some(&IdentifyStep::EnterCan { error: Some(CardError::PinSuspended) }));
    for d in "654321".chars() {
        h.send(Event::PinDigit(d));
    }
    assert_eq!(h.session.pin_len(), 6);
    h.send(Event::PinConfirm);
    assert_eq!(h.session.identify_step(), Some(&IdentifyStep::EnterPin { error: None }));
    let effects = h.type_pin("123456");
    match effects.as_slice() {
        [Effect::ReadCard { pin, can: Some(can), .. }] => {
            assert_eq!((pin.expose(), can.expose()), ("123456", "654321"));
        }
        other => panic!("expected a read with CAN, got {other:?}"),
    }
}

#[test]
fn blocked_pin_and_deactivated_card_end_in_a_failure_with_retry() {
    for error in [CardError::PinBlocked, CardError::Deactivated, CardError::Unreadable(Fault::new(std::io::Error::other("6A82")))] {
        let mut h = Harness::new();
        h.reach_pin_pad("bulky-waste");
        h.type_pin("123456");
        h.send(Event::CardRead(Err(error.clone())));
        assert_eq!(h.session.identify_step(), Some(&IdentifyStep::Failed(error)));
        h.send(Event::RetryIdentify);
        assert_eq!(h.session.identify_step(), Some(&IdentifyStep::EnterPin { error: None }));
    }
}

#[test]
fn card_read_prefills_the_form_with_only_the_declared_items() {
    let mut h = Harness::new();
    h.reach_form("bulky-waste");
    let rows = h.session.form_rows();
    let card_rows: Vec<_> = rows.iter().filter(|r| r.from_card).map(|r| (r.id.as_str(), r.value.to_string())).collect();
    assert_eq!(
        card_rows,
        vec![
            ("given-names", "ERIKA".to_string()),
            ("family-names", "MUSTERMANN".to_string()),
            ("place-of-residence", "HEIDESTRASSE 17, 51147 KÖLN".to_string()),
        ]
    );
    assert!(rows.iter().all(|r| r.id != "date-of-birth"), "bulky waste does not need the date of birth");
    assert!(matches!(
        h.session.transparency_log(),
        [TransparencyEntry::Read { items, .. }] if items.len() == 3
    ));
}

#[test]
fn form_refuses_to_continue_until_valid_and_keyboard_types_into_the_focus() {
    let mut h = Harness::new();
    h.reach_form("dog-registration");
    h.type_text("Bello");
    assert!(h.send(Event::FormDone).is_empty());
    assert_eq!(h.screen(), Screen::Form);
    assert_eq!(h.session.form_focus(), 1, "focus moves to the first field in error");
    h.type_text("Dackel");
    h.send(Event::FocusField(2));
    h.type_text("27609810000123");
    h.send(Event::FormDone);
    assert_eq!(h.screen(), Screen::Form, "14 digits are not a microchip number");
    h.type_text("4");
    h.send(Event::FormDone);
    assert_eq!(h.screen(), Screen::Review, "no booking for dog registration");
    h.send(Event::SetConsent(true));
    let effects = h.send(Event::Send);
    let [Effect::Submit(draft)] = effects.as_slice() else { panic!("expected a submit, got {effects:?}") };
    let data: serde_json::Value = serde_json::from_str(&draft.data).unwrap();
    assert_eq!(data["applicant"]["dateOfBirth"], "1964-08-12", "dates go to machines in ISO 8601");
    assert_eq!(data["fields"]["microchip"], "276098100001234");
    assert!(data.get("booking").is_none());
}

#[test]
fn bulky_waste_books_a_slot_and_reviews_the_fee() {
    let mut h = Harness::new();
    h.reach_review();
    assert_eq!(h.session.total_fee(), "45,00 €");
    assert_eq!(h.session.chosen_slot_text().unwrap(), "Donnerstag, 26. November 2026");
}

#[test]
fn booking_cannot_continue_without_a_slot_and_can_retry_a_failed_calendar() {
    let mut h = Harness::new();
    h.reach_form("bulky-waste");
    h.type_text("Schrank");
    h.send(Event::FocusField(1));
    h.type_text("2");
    h.send(Event::FormDone);
    assert_eq!(h.screen(), Screen::Booking);
    h.send(Event::SlotsLoaded(Err(Fault::new(std::io::Error::other("portal unreachable")))));
    assert!(matches!(h.session.slots(), Some(Err(_))));
    let effects = h.send(Event::RetrySlots);
    assert!(matches!(effects.as_slice(), [Effect::LoadSlots { .. }]));
    h.send(Event::SlotsLoaded(Ok(slots())));
    h.send(Event::BookingDone);
    assert_eq!(h.screen(), Screen::Booking);
    h.send(Event::ChooseSlot(9));
    assert_eq!(h.session.chosen_slot_index(), None);
}

#[test]
fn send_needs_consent_and_hands_over_everything_personal() {
    let mut h = Harness::new();
    h.reach_review();
    assert!(h.send(Event::Send).is_empty(), "no consent, no send");
    h.send(Event::SetConsent(true));
    let effects = h.send(Event::Send);
    let draft = match effects.as_slice() {
        [Effect::Submit(draft)] => draft,
        other => panic!("expected a submit, got {other:?}"),
    };
    let data: serde_json::Value = serde_json::from_str(&draft.data).unwrap();
    assert_eq!(data["applicant"]["familyNames"], "MUSTERMANN");
    assert_eq!(data["applicant"]["placeOfResidence"]["city"], "KÖLN");
    assert_eq!(data["fields"]["volume"], 3);
    assert_eq!(data["fields"]["phone"], serde_json::Value::Null, "optional and left empty");
    assert_eq!(data["booking"]["kind"], "express");
    assert_eq!(data["trackingNumber"], draft.tracking.as_str());
    assert!(TrackingNumber::parse(draft.tracking.as_str()).is_some());
    assert_eq!(draft.destination, "6c2b9f0e-5b1d-4c3e-9a51-0d2f7c1e8a41");
    assert_eq!(h.screen(), Screen::Sending);
    assert!(!h.session.holds_personal_data(), "identity and form left with the request");
    assert!(
        matches!(h.session.transparency_log().last(), Some(TransparencyEntry::Sent { to, .. }) if to == "Abfallwirtschaftsbetrieb Musterstadt")
    );
}

#[test]
fn queued_request_gets_a_queued_receipt_and_is_printed() {
    let mut h = Harness::new();
    h.reach_review();
    h.send(Event::SetConsent(true));
    h.send(Event::Send);
    let effects = h.send(Event::Submitted(Ok(Delivered::Queued)));
    let receipt = match effects.as_slice() {
        [Effect::Print(receipt)] => receipt.clone(),
        other => panic!("expected a print, got {other:?}"),
    };
    assert_eq!(receipt.delivered, Delivered::Queued);
    assert_eq!(receipt.fee, "45,00 €");
    assert_eq!(h.screen(), Screen::Receipt);
    assert_eq!(h.session.print_state(), Some(&PrintState::Printing));
    h.send(Event::Printed(Err(Fault::new(std::io::Error::other("paper out")))));
    assert_eq!(h.session.print_state(), Some(&PrintState::Failed));
    assert_eq!(h.session.receipt(), Some(&receipt), "the receipt stays on screen");
}

#[test]
fn request_that_cannot_be_stored_returns_to_review_without_a_receipt() {
    let mut h = Harness::new();
    h.reach_review();
    h.send(Event::SetConsent(true));
    h.send(Event::Send);
    h.send(Event::Submitted(Err(SubmitFailure::NotStored(Fault::new(std::io::Error::other("disk full"))))));
    assert_eq!(h.screen(), Screen::Review);
    assert!(h.session.receipt().is_none(), "no receipt claims success");
    assert!(h.session.submit_error().is_some());
}

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
    assert!(h.session.receipt().is_none());
    assert!(h.session.transparency_log().is_empty());
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
    assert!(h.session.form_rows().is_empty());
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
fn switching_language_keeps_everything_entered() {
    let mut h = Harness::new();
    h.reach_form("citizens-office-appointment");
    h.send(Event::Choose { field: 0, option: 2 });
    assert_eq!(&*h.session.form_rows()[2].value, "Ummeldung");
    h.send(Event::SetLanguage(Lang::english()));
    let rows = h.session.form_rows();
    assert_eq!(&*rows[2].value, "Change of address");
    assert_eq!(rows[2].label, "Your concern");
    assert_eq!(&*rows[0].value, "ERIKA");
    assert_eq!(h.screen(), Screen::Form);
    h.send(Event::Cancel);
    assert_eq!(h.session.lang(), &Lang::german(), "the next citizen starts in German");
}

#[test]
fn language_returns_to_german_when_the_welcome_screen_is_left_alone() {
    let mut h = Harness::new();
    h.send(Event::SetLanguage(Lang::english()));
    h.tick(h.now + TIMEOUTS.idle_ms);
    assert_eq!(h.session.lang(), &Lang::german());
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
    assert_eq!(h.session.status_input(), "ABCDEFGHJKLM");
    assert!(h.send(Event::StatusCheck).is_empty());
    assert!(h.session.status_input_invalid(), "a wrong check character is caught at the keypad");
    h.send(Event::StatusErase);
    assert!(!h.session.status_input_invalid());

    let number = TrackingNumber::generate(&mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(3));
    for _ in 0..12 {
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
    assert_eq!(h.session.status(), Some(&(number, found)));
    let effects = h.send(Event::Finish);
    assert!(matches!(effects.as_slice(), [Effect::Wiped(WipeReason::Finished)]));
    assert_eq!(h.session.status_input(), "");
}

impl Harness {
    /// Welcome → catalogue → PIN service, card inserted, task chosen.
    fn reach_pin_service(&mut self, task: PinTask) {
        self.send(Event::CardInserted);
        self.send(Event::Start);
        self.send(Event::ChooseService("id-card-pin".into()));
        assert_eq!(self.screen(), Screen::PinService);
        assert_eq!(self.session.pin_service_step(), Some(&PinStep::ChooseTask));
        self.send(Event::ChoosePinTask(task));
        assert_eq!(self.session.pin_service_step(), Some(&PinStep::EnterCurrent { error: None }));
    }

    fn pin_step(&self) -> Option<&PinStep> {
        self.session.pin_service_step()
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
    assert_eq!(h.session.pin_needed(), 6);
    assert!(h.type_pin("6").is_empty());
    assert_eq!(h.pin_step(), Some(&PinStep::EnterNew { mismatch: false }));
    assert!(h.type_pin("654321").is_empty());
    assert_eq!(h.pin_step(), Some(&PinStep::RepeatNew));
    let effects = h.type_pin("654321");
    assert_eq!(effects.len(), 1);
    assert_eq!(digits(&effects[0]), ("123456".into(), None, "654321".into()));
    assert_eq!(h.pin_step(), Some(&PinStep::Working));
    assert!(h.send(Event::PinDigit('1')).is_empty(), "no typing while the card works");
    h.send(Event::PinChanged(Ok(())));
    assert_eq!(h.pin_step(), Some(&PinStep::Done));
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
    assert_eq!(h.pin_step(), Some(&PinStep::EnterNew { mismatch: true }));
    assert_eq!(h.session.pin_len(), 0, "both new entries are cleared");
    h.type_pin("111222");
    let effects = h.type_pin("111222");
    assert_eq!(digits(&effects[0]), ("123456".into(), None, "111222".into()));
}

#[test]
fn transport_pin_takes_five_digits_then_a_new_six_digit_pin() {
    let mut h = Harness::new();
    h.reach_pin_service(PinTask::ReplaceTransportPin);
    assert_eq!(h.session.pin_needed(), 5);
    for d in "123456".chars() {
        h.send(Event::PinDigit(d));
    }
    assert_eq!(h.session.pin_len(), 5, "the pad stops at five digits");
    h.send(Event::PinConfirm);
    assert_eq!(h.pin_step(), Some(&PinStep::EnterNew { mismatch: false }));
    h.type_pin("246810");
    let effects = h.type_pin("246810");
    assert_eq!(digits(&effects[0]), ("12345".into(), None, "246810".into()));
}

#[test]
fn unblock_takes_the_ten_digit_puk_and_asks_for_no_new_pin() {
    let mut h = Harness::new();
    h.reach_pin_service(PinTask::Unblock);
    assert_eq!(h.session.pin_needed(), 10);
    let effects = h.type_pin("9876543210");
    assert_eq!(digits(&effects[0]), ("9876543210".into(), None, String::new()));
    h.send(Event::PinChanged(Err(CardError::WrongPuk)));
    assert_eq!(h.pin_step(), Some(&PinStep::EnterCurrent { error: Some(CardError::WrongPuk) }));
    h.type_pin("9876543210");
    h.send(Event::PinChanged(Ok(())));
    assert_eq!(h.pin_step(), Some(&PinStep::Done));
}

#[test]
fn wrong_current_pin_asks_again_and_suspended_pin_asks_for_the_can_keeping_the_new_pin() {
    let mut h = Harness::new();
    h.reach_pin_service(PinTask::Change);
    h.type_pin("000000");
    h.type_pin("654321");
    h.type_pin("654321");
    h.send(Event::PinChanged(Err(CardError::WrongPin { attempts_left: 2 })));
    assert_eq!(h.pin_step(), Some(&PinStep::EnterCurrent { error: Some(CardError::WrongPin { attempts_left: 2 }) }));
    let effects = h.type_pin("000001");
    assert_eq!(digits(&effects[0]), ("000001".into(), None, "654321".into()), "the confirmed new PIN is kept");
    h.send(Event::PinChanged(Err(CardError::PinSuspended)));
    assert_eq!(h.pin_step(), Some(&PinStep::EnterCan { error: Some(CardError::PinSuspended) }));
    h.type_pin("500540");
    assert_eq!(h.pin_step(), Some(&PinStep::EnterCurrent { error: None }));
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
    assert_eq!(h.pin_step(), Some(&PinStep::Failed(CardError::PinBlocked)));
    assert!(!h.session.holds_personal_data());
    h.send(Event::ChoosePinTask(PinTask::Unblock));
    assert_eq!(h.pin_step(), Some(&PinStep::EnterCurrent { error: None }));
    assert_eq!(h.session.pin_needed(), 10);
}

#[test]
fn pin_service_waits_for_a_card_and_pulling_it_mid_entry_wipes() {
    let mut h = Harness::new();
    h.send(Event::Start);
    h.send(Event::ChooseService("id-card-pin".into()));
    h.send(Event::ChoosePinTask(PinTask::Change));
    assert_eq!(h.pin_step(), Some(&PinStep::InsertCard));
    h.send(Event::CardInserted);
    assert_eq!(h.pin_step(), Some(&PinStep::EnterCurrent { error: None }));
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
    assert_eq!(h.pin_step(), Some(&PinStep::ChooseTask));
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
