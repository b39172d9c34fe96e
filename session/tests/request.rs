// SPDX-License-Identifier: GPL-3.0-or-later
//! The request journey: information, form, booking, review, sending, receipt.

mod common;

use common::{Harness, slots};
use session::journey::RequestStep;
use session::{
    CardItem, Delivered, Effect, Event, Fault, Lang, PrintState, Screen, SubmitFailure, TrackingNumber,
    TransparencyEntry, format_cents,
};

fn fault(what: &str) -> Fault {
    Fault::new(std::io::Error::other(what.to_owned()))
}

#[test]
fn start_leads_to_the_catalogue_and_a_tile_to_its_information() {
    let mut h = Harness::new();
    assert_eq!(h.screen(), Screen::Welcome);
    h.send(Event::Start);
    assert_eq!(h.screen(), Screen::Catalogue);
    h.send(Event::ChooseService("bulky-waste".into()));
    assert_eq!(h.screen(), Screen::ServiceInfo);
    assert_eq!(h.request().unwrap().service().id, "bulky-waste");
    h.send(Event::Back);
    assert_eq!(h.screen(), Screen::Catalogue);
    h.send(Event::ChooseService("no-such-service".into()));
    assert_eq!(h.screen(), Screen::Catalogue);
}

#[test]
fn card_read_prefills_the_form_with_only_the_declared_items() {
    let mut h = Harness::new();
    h.reach_form("bulky-waste");
    let rows = h.form_rows();
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
        h.request().unwrap().transparency_log(),
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
    let focus = match h.request().unwrap().step() {
        RequestStep::Form(applicant) => applicant.focus(),
        other => panic!("expected the form, got {other:?}"),
    };
    assert_eq!(focus, 1, "focus moves to the first field in error");
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
    let request = h.request().unwrap();
    assert_eq!(format_cents(request.fee_cents(), &Lang::german()), "45,00 €");
    let RequestStep::Review(review) = request.step() else { panic!("expected the review") };
    assert_eq!(review.slot().unwrap().describe(&Lang::german()), "Donnerstag, 26. November 2026");
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
    h.send(Event::SlotsLoaded(Err(fault("portal unreachable"))));
    let calendar = |h: &Harness| match h.request().unwrap().step() {
        RequestStep::Booking(_, calendar) => (calendar.slots().map(Result::is_ok), calendar.chosen_index()),
        other => panic!("expected the booking, got {other:?}"),
    };
    assert_eq!(calendar(&h), (Some(false), None));
    let effects = h.send(Event::RetrySlots);
    assert!(matches!(effects.as_slice(), [Effect::LoadSlots { .. }]));
    h.send(Event::SlotsLoaded(Ok(slots())));
    h.send(Event::BookingDone);
    assert_eq!(h.screen(), Screen::Booking);
    h.send(Event::ChooseSlot(9));
    assert_eq!(calendar(&h), (Some(true), None));
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
    assert!(
        matches!(
            h.request().unwrap().transparency_log().last(),
            Some(TransparencyEntry::Handover { to, delivered: Delivered::Queued, .. })
                if to.get(&Lang::german()) == "Abfallwirtschaftsbetrieb Musterstadt"
        ),
        "on its way, not yet sent"
    );
    h.send(Event::Submitted(Ok(Delivered::Sent)));
    assert!(
        matches!(
            h.request().unwrap().transparency_log().last(),
            Some(TransparencyEntry::Handover { delivered: Delivered::Sent, .. })
        ),
        "sent once the portal has it"
    );
    assert!(!h.session.holds_personal_data(), "identity and form left with the stored request");
}

#[test]
fn queued_request_gets_a_queued_receipt_and_is_printed() {
    let mut h = Harness::new();
    h.reach_review();
    h.send(Event::SetConsent(true));
    h.send(Event::Send);
    let effects = h.send(Event::Submitted(Ok(Delivered::Queued)));
    let receipt = match effects.as_slice() {
        [Effect::Print { receipt, lang }] => {
            assert_eq!(lang, &Lang::german(), "printed in the citizen's language");
            receipt.clone()
        }
        other => panic!("expected a print, got {other:?}"),
    };
    assert_eq!(receipt.delivered, Delivered::Queued);
    assert!(
        matches!(
            h.request().unwrap().transparency_log().last(),
            Some(TransparencyEntry::Handover { delivered: Delivered::Queued, .. })
        ),
        "queued, the log says the data will be sent, not that it was"
    );
    assert_eq!(format_cents(receipt.fee_cents, &Lang::german()), "45,00 €");
    assert_eq!(receipt.items_sent, vec![CardItem::GivenNames, CardItem::FamilyNames, CardItem::PlaceOfResidence]);
    assert_eq!(h.screen(), Screen::Receipt);
    let shown = |h: &Harness| match h.request().unwrap().step() {
        RequestStep::Receipt(shown) => (shown.view().clone(), shown.print_state()),
        other => panic!("expected the receipt, got {other:?}"),
    };
    assert_eq!(shown(&h).1, PrintState::Printing);
    h.send(Event::Printed(Err(fault("paper out"))));
    assert_eq!(shown(&h), (receipt, PrintState::Failed), "the receipt stays on screen");
}

#[test]
fn request_that_cannot_be_stored_returns_to_review_with_its_data_and_no_receipt() {
    let mut h = Harness::new();
    h.reach_review();
    h.send(Event::SetConsent(true));
    h.send(Event::Send);
    h.send(Event::Submitted(Err(SubmitFailure::NotStored(fault("disk full")))));
    assert_eq!(h.screen(), Screen::Review);
    let RequestStep::Review(review) = h.request().unwrap().step() else { panic!("expected the review") };
    assert!(review.failure().is_some(), "the citizen is told");
    assert!(
        !matches!(h.request().unwrap().transparency_log().last(), Some(TransparencyEntry::Handover { .. })),
        "nothing claims it was sent"
    );
    assert!(h.form_rows().iter().any(|r| r.from_card && &*r.value == "MUSTERMANN"), "nothing typed is lost");
    let effects = h.send(Event::Send);
    let [Effect::Submit(draft)] = effects.as_slice() else { panic!("a second try sends again: {effects:?}") };
    let data: serde_json::Value = serde_json::from_str(&draft.data).unwrap();
    assert_eq!(data["applicant"]["familyNames"], "MUSTERMANN", "the second try sends the whole request");
    assert_eq!(data["fields"]["volume"], 3);
}

#[test]
fn switching_language_keeps_everything_entered() {
    let mut h = Harness::new();
    h.reach_form("citizens-office-appointment");
    h.send(Event::Choose { field: 0, option: 2 });
    assert_eq!(&*h.form_rows()[2].value, "Ummeldung");
    h.send(Event::SetLanguage(Lang::english()));
    let rows = h.form_rows();
    assert_eq!(&*rows[2].value, "Change of address");
    assert_eq!(rows[2].label, "Your concern");
    assert_eq!(&*rows[0].value, "ERIKA");
    assert_eq!(h.screen(), Screen::Form);
    h.send(Event::Cancel);
    assert_eq!(h.session.lang(), &Lang::german(), "the next citizen starts in German");
}

#[test]
fn back_from_the_review_keeps_the_chosen_date_and_back_from_the_booking_keeps_the_form() {
    let mut h = Harness::new();
    h.reach_review();
    h.send(Event::Back);
    assert_eq!(h.screen(), Screen::Booking);
    let RequestStep::Booking(_, calendar) = h.request().unwrap().step() else { panic!("expected the booking") };
    assert_eq!(calendar.chosen_index(), Some(1));
    h.send(Event::Back);
    assert_eq!(h.screen(), Screen::Form);
    assert!(h.form_rows().iter().any(|r| &*r.value == "Sofa, zwei Stühle"));
}
