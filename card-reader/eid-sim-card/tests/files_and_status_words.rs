// SPDX-License-Identifier: GPL-3.0-or-later
//! The card's file system and ISO/IEC 7816-4 status words, driven with raw
//! APDUs (no secure messaging).

mod common;

use common::Fixture;

fn sw(response: &[u8]) -> u16 {
    u16::from_be_bytes([response[response.len() - 2], response[response.len() - 1]])
}

#[test]
fn card_access_is_readable_by_fid_and_sfi_with_offsets_and_extended_le() {
    let fixture = Fixture::new();
    let expected = std::fs::read(fixture.made.card_dir.join("card_access.der")).unwrap();
    let mut card = fixture.card();
    assert_eq!(card.transmit(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C]), [0x90, 0x00]);
    let head = card.transmit(&[0x00, 0xB0, 0x00, 0x00, 0x04]);
    assert_eq!((&head[..4], sw(&head)), (&expected[..4], 0x9000));
    let tail = card.transmit(&[0x00, 0xB0, 0x00, 0x04, 0x00]);
    assert_eq!((&tail[..tail.len() - 2], sw(&tail)), (&expected[4..], 0x6282));
    let by_sfi = card.transmit(&[0x00, 0xB0, 0x9C, 0x00, 0x00, 0x00, 0x00]);
    assert_eq!(&by_sfi[..by_sfi.len() - 2], expected.as_slice());
    let past_end = [0x00, 0xB0, 0x01, 0x00, 0x01];
    assert_eq!(sw(&card.transmit(&past_end)), 0x6B00);
}

#[test]
fn protected_files_need_pace_and_terminal_authentication() {
    let fixture = Fixture::new();
    let mut card = fixture.card();
    assert_eq!(sw(&card.transmit(&[0x00, 0xB0, 0x9D, 0x00, 0x00])), 0x6982);
    assert_eq!(
        card.transmit(&[0x00, 0xA4, 0x04, 0x0C, 0x09, 0xE8, 0x07, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x02]),
        [0x90, 0x00]
    );
    assert_eq!(sw(&card.transmit(&[0x00, 0xB0, 0x84, 0x00, 0x00])), 0x6982);
    assert_eq!(sw(&card.transmit(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x04])), 0x9000);
    assert_eq!(sw(&card.transmit(&[0x00, 0xB0, 0x00, 0x00, 0x00])), 0x6982);
}

#[test]
fn missing_files_selection_and_parameters_have_their_status_words() {
    let fixture = Fixture::new();
    let mut card = fixture.card();
    assert_eq!(sw(&card.transmit(&[0x00, 0xB0, 0x00, 0x00, 0x00])), 0x6986, "no current EF");
    assert_eq!(sw(&card.transmit(&[0x00, 0xA4, 0x04, 0x0C, 0x02, 0xA0, 0x00])), 0x6A82);
    assert_eq!(
        sw(&card.transmit(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x04])),
        0x6A82,
        "DG4 is in the eID application"
    );
    assert_eq!(sw(&card.transmit(&[0x00, 0xB0, 0x85, 0x00, 0x00])), 0x6A82);
    assert_eq!(sw(&card.transmit(&[0x00, 0xA4, 0x07, 0x0C, 0x02, 0x01, 0x1C])), 0x6A86);
    assert_eq!(sw(&card.transmit(&[0x00, 0x22, 0xC1, 0xA4, 0x03, 0x83, 0x01, 0x03])), 0x6A88, "no PACE OID");
    assert_eq!(sw(&card.transmit(&[0x00, 0x86, 0x00, 0x00, 0x02, 0x7C, 0x00, 0x00])), 0x6985, "GA without MSE");
    assert_eq!(sw(&card.transmit(&[0x00, 0x2C, 0x02, 0x03, 0x06, b'1', b'2', b'3', b'4', b'5', b'6'])), 0x6982);
    assert_eq!(sw(&card.transmit(&[0x00, 0x84, 0x00, 0x00, 0x08])), 0x6982, "GET CHALLENGE needs PACE");
}

#[test]
fn reset_forgets_the_selection_but_keeps_the_counter() {
    let fixture = Fixture::new();
    let mut card = fixture.card();
    assert_eq!(card.transmit(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C]), [0x90, 0x00]);
    card.reset();
    assert_eq!(sw(&card.transmit(&[0x00, 0xB0, 0x00, 0x00, 0x00])), 0x6986);
    assert_eq!(card.pin_retries(), 3);
    assert_eq!(card.atr()[0], 0x3B);
}

#[test]
fn malformed_secrets_and_missing_card_files_are_typed_errors() {
    let fixture = Fixture::new();
    let bad = eid_sim_card::Secrets { pin: "12a456".into(), can: "500540".into(), puk: "9876543210".into() };
    let refused = eid_sim_card::SimCard::new(&fixture.made.card_dir, eid_sim_card::CardHolder::erika(), bad);
    assert!(matches!(refused, Err(eid_sim_card::SimCardError::InvalidSecrets(_))));
    let secrets = eid_sim_card::Secrets { pin: "123456".into(), can: "500540".into(), puk: "9876543210".into() };
    let missing = eid_sim_card::SimCard::new(&fixture.path("nowhere"), eid_sim_card::CardHolder::erika(), secrets);
    assert!(matches!(missing, Err(eid_sim_card::SimCardError::Io { .. })));
}

/// EF.DIR as the BSI's card information file for the German ID card
/// (`npa.xml`) matches it: eID clients recognise the card by these 90 bytes
/// (`00 B0 00 00 5A`) before they start PACE.
const NPA_EF_DIR: &str = "61324F0FE828BD080FA000000167455349474E500F434941207A752044462E655369676E51\
                          00730C4F0AA000000167455349474E61094F07A0000002471001610B4F09E80704007F0007\
                          0302610C4F0AA000000167455349474E";

#[test]
fn ef_dir_lists_the_applications_of_a_german_id_card() {
    let expected: Vec<u8> =
        (0..NPA_EF_DIR.len()).step_by(2).map(|i| u8::from_str_radix(&NPA_EF_DIR[i..i + 2], 16).unwrap()).collect();
    let fixture = Fixture::new();
    let mut card = fixture.card();
    assert_eq!(card.transmit(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]), [0x90, 0x00]);
    assert_eq!(card.transmit(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x2F, 0x00]), [0x90, 0x00]);
    let by_fid = card.transmit(&[0x00, 0xB0, 0x00, 0x00, 0x5A]);
    assert_eq!((&by_fid[..by_fid.len() - 2], sw(&by_fid)), (expected.as_slice(), 0x9000));
    // By its short file identifier 1E, and readable before any PACE.
    let by_sfi = card.transmit(&[0x00, 0xB0, 0x9E, 0x00, 0x00]);
    assert_eq!((&by_sfi[..by_sfi.len() - 2], sw(&by_sfi)), (expected.as_slice(), 0x6282));
}

#[test]
fn mse_set_at_without_data_ends_pace_with_wrong_length_as_real_cards_answer() {
    let fixture = Fixture::new();
    let mut card = fixture.card();
    assert_eq!(card.transmit(&[0x00, 0x22, 0xC1, 0xA4]), [0x67, 0x00]);
}
