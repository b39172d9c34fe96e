// SPDX-License-Identifier: GPL-3.0-or-later
//! Every flow of the PC/SC layer through a real pcscd (`pcscd -f -a`) with
//! Debian's `vsmartcard-vpcd` reader driver and a simulated card that speaks
//! the vpcd protocol over TCP on 127.0.0.1; the eID flows (module
//! `eid_card`) with the OpenPACE-based simulated eID card on the same
//! reader. One test binary, so one lock serialises every use of pcscd.

mod eid_card;
mod support;

use card_reader::CardEvent;
use eid::apdu::{CommandApdu, Status};
use reader_pcsc::{LengthMode, PcscError, ReaderWatch, Transport, features, list_readers};
use std::time::{Duration, Instant};
use support::{ATR_EXTENDED, ATR_SHORT, Env, READER, TestCard};

const WAIT: Duration = Duration::from_secs(10);

fn select(fid: u16) -> CommandApdu {
    CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(fid.to_be_bytes().to_vec())
}

fn read_binary(offset: u16, le: usize) -> CommandApdu {
    CommandApdu::new(0x00, 0xB0, (offset >> 8) as u8, offset as u8).with_le(le)
}

fn long_command() -> CommandApdu {
    CommandApdu::new(0x00, support::INS_COUNT, 0x00, 0x00).with_data((0..300u16).map(|i| i as u8).collect())
}

/// Waits for `expected`, failing on any other event or after [`WAIT`].
fn expect_event(watch: &mut ReaderWatch, expected: CardEvent) {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Some(event) = watch.next_event(Duration::from_millis(500)) {
            assert_eq!(event, expected);
            return;
        }
    }
    panic!("no {expected:?} event within {WAIT:?}");
}

fn connect_when_card_ready(mode: LengthMode) -> Transport {
    let deadline = Instant::now() + WAIT;
    loop {
        match Transport::connect(READER, mode) {
            Ok(t) => return t,
            Err(e) if Instant::now() < deadline => drop(e),
            Err(e) => panic!("could not connect within {WAIT:?}: {e}"),
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_virtual_readers_are_listed() {
    let _env = Env::start();
    let readers = list_readers().unwrap();
    assert!(readers.iter().any(|r| r == READER), "{readers:?}");
    assert!(readers.iter().any(|r| r == "Virtual PCD 00 01"), "{readers:?}");
}

#[test]
fn inserting_and_removing_a_card_gives_inserted_and_removed() {
    let _env = Env::start();
    let mut watch = ReaderWatch::new(READER);
    assert_eq!(watch.next_event(Duration::from_millis(300)), None, "no card yet, no event");
    let card = TestCard::insert(ATR_EXTENDED);
    expect_event(&mut watch, CardEvent::Inserted);
    card.remove();
    expect_event(&mut watch, CardEvent::Removed);
}

#[test]
fn a_card_already_present_is_reported_as_inserted() {
    let _env = Env::start();
    let _card = TestCard::insert(ATR_EXTENDED);
    drop(connect_when_card_ready(LengthMode::Auto));
    let mut watch = ReaderWatch::new(READER);
    assert_eq!(watch.next_event(WAIT), Some(CardEvent::Inserted));
}

#[test]
fn the_transport_is_exclusive_and_reads_a_file_with_offsets() {
    let _env = Env::start();
    let _card = TestCard::insert(ATR_EXTENDED);
    let mut t = connect_when_card_ready(LengthMode::Auto);
    assert!(matches!(Transport::connect(READER, LengthMode::Auto), Err(PcscError::Busy)));

    assert!(t.transmit(&select(0x0101)).unwrap().sw.is_success());
    let head = t.transmit(&read_binary(0, 4)).unwrap();
    assert_eq!((head.data.as_slice(), head.sw.meaning()), (&support::FILE_0101[..4], Status::Success));
    let tail = t.transmit(&read_binary(250, 256)).unwrap();
    assert_eq!(tail.data, support::FILE_0101[250..]);
    assert_eq!(t.transmit(&select(0x0BAD)).unwrap().sw.meaning(), Status::FileNotFound);
    drop(t);
    drop(connect_when_card_ready(LengthMode::Auto));
}

#[test]
fn a_300_byte_command_goes_as_one_extended_apdu_when_the_atr_announces_extended_length() {
    let _env = Env::start();
    let card = TestCard::insert(ATR_EXTENDED);
    let mut t = connect_when_card_ready(LengthMode::Auto);
    assert!(t.extended_length());
    let answer = t.transmit(&long_command()).unwrap();
    assert_eq!(answer.data, 300u16.to_be_bytes());
    let sent = card.commands_with_ins(support::INS_COUNT);
    assert_eq!(sent.len(), 1);
    assert_eq!(&sent[0][..7], &[0x00, support::INS_COUNT, 0, 0, 0x00, 0x01, 0x2C]);
    assert_eq!(sent[0].len(), 7 + 300);
}

#[test]
fn a_300_byte_command_goes_as_a_chain_when_the_atr_does_not() {
    let _env = Env::start();
    let card = TestCard::insert(ATR_SHORT);
    let mut t = connect_when_card_ready(LengthMode::Auto);
    assert!(!t.extended_length());
    let answer = t.transmit(&long_command()).unwrap();
    assert_eq!(answer.data, 300u16.to_be_bytes());
    let sent = card.commands_with_ins(support::INS_COUNT);
    let shape: Vec<(u8, usize)> = sent.iter().map(|apdu| (apdu[0], apdu.len())).collect();
    assert_eq!(shape, vec![(0x10, 5 + 255), (0x00, 5 + 45)]);
}

#[test]
fn forcing_short_length_chains_even_when_the_card_takes_extended_length() {
    let _env = Env::start();
    let card = TestCard::insert(ATR_EXTENDED);
    let mut t = connect_when_card_ready(LengthMode::Short);
    assert_eq!(t.transmit(&long_command()).unwrap().data, 300u16.to_be_bytes());
    assert_eq!(card.commands_with_ins(support::INS_COUNT).len(), 2);
}

#[test]
fn removing_the_card_mid_operation_gives_card_removed_and_the_next_attempt_works() {
    let _env = Env::start();
    let card = TestCard::insert(ATR_EXTENDED);
    let mut t = connect_when_card_ready(LengthMode::Auto);
    let started = Instant::now();
    let err = t.transmit(&CommandApdu::new(0x00, support::INS_VANISH, 0, 0)).unwrap_err();
    assert!(matches!(err, PcscError::CardRemoved), "{err:?}");
    assert!(started.elapsed() < WAIT, "took {:?}", started.elapsed());
    card.remove();
    drop(t);

    let _card = TestCard::insert(ATR_EXTENDED);
    let mut t = connect_when_card_ready(LengthMode::Auto);
    assert!(t.transmit(&select(0x0101)).unwrap().sw.is_success());
}

#[test]
fn after_a_card_reset_the_selected_file_is_gone_and_the_transport_keeps_working() {
    let _env = Env::start();
    let card = TestCard::insert(ATR_EXTENDED);
    let mut t = connect_when_card_ready(LengthMode::Auto);
    assert!(t.transmit(&select(0x0101)).unwrap().sw.is_success());
    let resets_before = card.resets();
    t.reset().unwrap();
    assert!(card.resets() > resets_before, "the card saw no reset");
    assert_eq!(t.transmit(&read_binary(0, 4)).unwrap().sw.meaning(), Status::Other(0x6986));
    assert!(t.transmit(&select(0x0101)).unwrap().sw.is_success());
    assert_eq!(t.transmit(&read_binary(0, 4)).unwrap().data, support::FILE_0101[..4]);
}

#[test]
fn a_reader_without_part_10_support_reports_no_features() {
    let _env = Env::start();
    let _card = TestCard::insert(ATR_EXTENDED);
    let t = connect_when_card_ready(LengthMode::Auto);
    // vpcd implements no IFDHControl codes: pcscd answers SCARD_E_UNSUPPORTED_FEATURE.
    let answer = features(&t);
    assert!(matches!(answer, Err(PcscError::NoFeatures(pcsc::Error::UnsupportedFeature))), "{answer:?}");
}

#[test]
fn stopping_pcscd_gives_reader_gone_and_restarting_it_gives_reader_back() {
    let mut env = Env::start();
    let card = TestCard::insert(ATR_EXTENDED);
    let mut watch = ReaderWatch::new(READER);
    expect_event(&mut watch, CardEvent::Inserted);
    env.stop_pcscd();
    expect_event(&mut watch, CardEvent::Removed);
    expect_event(&mut watch, CardEvent::ReaderGone);
    card.remove();
    env.start_pcscd();
    expect_event(&mut watch, CardEvent::ReaderBack);
    let _card = TestCard::insert(ATR_EXTENDED);
    expect_event(&mut watch, CardEvent::Inserted);
}
