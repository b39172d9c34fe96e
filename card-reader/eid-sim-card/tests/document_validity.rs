// SPDX-License-Identifier: GPL-3.0-or-later
//! Document validity verification on the OpenPACE card, driven by the `eid`
//! core (TR-03110-3 A.6.5, B.11.7): the date the terminal signs in TA's
//! auxiliary data, VERIFY after Chip Authentication.

mod common;

use common::{Fixture, PIN, Terminal, today};
use eid::chat::DataItem;
use eid::cvc::CvcDate;
use eid::document_validity::{self, ID_DATE_OF_EXPIRY, Validity};
use eid::password::Password;
use eid::tlv;
use eid_sim_card::CardHolder;
use eid_sim_card::personalise::TERMINAL_CHR;

fn holder_expiring(date: &str) -> CardHolder {
    let mut holder = CardHolder::erika();
    holder.date_of_expiry = date.into();
    holder
}

/// The card's answer to VERIFY after EAC with `signed` as the date in TA.
fn validity_on(fixture: &Fixture, holder: CardHolder, signed: Option<CvcDate>) -> u16 {
    let mut card = fixture.card_of(holder, PIN);
    let mut terminal = Terminal::new(&mut card);
    terminal.auxiliary_data = signed.map(document_validity::auxiliary_data);
    terminal.eac(fixture, Password::pin(PIN).unwrap(), &[DataItem::GivenNames]);
    terminal.send(&document_validity::verify()).unwrap().sw.0
}

#[test]
fn a_card_valid_today_answers_9000_and_an_expired_one_6300() {
    let fixture = Fixture::new();
    let valid = validity_on(&fixture, holder_expiring("20311031"), Some(today()));
    assert_eq!(document_validity::check_response(&eid::apdu::ResponseApdu::new(vec![], valid)), Ok(Validity::Valid));
    assert_eq!(validity_on(&fixture, holder_expiring("20200101"), Some(today())), 0x6300);
}

#[test]
fn the_card_compares_with_the_signed_date_day_by_day() {
    let fixture = Fixture::new();
    let day = |d| Some(CvcDate { year: 2030, month: 6, day: d });
    assert_eq!(validity_on(&fixture, holder_expiring("20300615"), day(15)), 0x9000, "valid on its last day");
    assert_eq!(validity_on(&fixture, holder_expiring("20300615"), day(16)), 0x6300, "expired the day after");
}

#[test]
fn without_a_signed_date_the_card_has_nothing_to_verify() {
    let fixture = Fixture::new();
    assert_eq!(validity_on(&fixture, CardHolder::erika(), None), 0x6A88);
}

#[test]
fn verify_before_chip_authentication_is_refused() {
    let fixture = Fixture::new();
    let mut card = fixture.card();
    let mut terminal = Terminal::new(&mut card);
    terminal.auxiliary_data = Some(document_validity::auxiliary_data(today()));
    let outcome = terminal.pace(Password::pin(PIN).unwrap(), None, false).unwrap();
    terminal.terminal_authentication(&fixture.made.terminal_dir, &outcome.chip_ephemeral_public_key).unwrap();
    assert_eq!(terminal.send(&document_validity::verify()).unwrap().sw.0, 0x6982);
}

/// A date slipped in by a later MSE:Set AT was covered by no signature, so
/// the card keeps answering for the date Terminal Authentication signed.
#[test]
fn a_date_set_after_terminal_authentication_is_not_believed() {
    let fixture = Fixture::new();
    let mut card = fixture.card_of(holder_expiring("20200101"), PIN);
    let mut terminal = Terminal::new(&mut card);
    terminal.auxiliary_data = Some(document_validity::auxiliary_data(today()));
    terminal.eac(&fixture, Password::pin(PIN).unwrap(), &[DataItem::GivenNames]);
    let mut set_at = tlv::encode(0x80, &[0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02, 0x02, 0x03]);
    tlv::encode_into(0x83, TERMINAL_CHR.as_bytes(), &mut set_at);
    set_at.extend(document_validity::auxiliary_data(CvcDate { year: 2019, month: 1, day: 1 }));
    tlv::encode_into(0x91, &[0x11; 32], &mut set_at);
    let answer = terminal.send(&eid::apdu::CommandApdu::new(0x00, 0x22, 0x81, 0xA4).with_data(set_at)).unwrap();
    assert_eq!(answer.sw.0, 0x9000, "the card takes a new MSE:Set AT");
    assert_eq!(terminal.send(&document_validity::verify()).unwrap().sw.0, 0x6300);
}

#[test]
fn an_unknown_auxiliary_data_oid_answers_6a88() {
    let fixture = Fixture::new();
    let mut card = fixture.card();
    let mut terminal = Terminal::new(&mut card);
    terminal.auxiliary_data = Some(document_validity::auxiliary_data(today()));
    terminal.eac(&fixture, Password::pin(PIN).unwrap(), &[DataItem::GivenNames]);
    // id-DateOfBirth (age verification), which this card does not implement.
    let mut oid = ID_DATE_OF_EXPIRY;
    oid[8] = 0x01;
    let verify = eid::apdu::CommandApdu::new(0x00, 0x20, 0x80, 0x00).with_data(tlv::encode(0x06, &oid));
    assert_eq!(terminal.send(&verify).unwrap().sw.0, 0x6A88);
}
