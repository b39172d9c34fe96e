// SPDX-License-Identifier: GPL-3.0-or-later
//! Every parser facing card data, fed every truncation and every single-byte
//! corruption of a valid input: results must be typed errors (never panics),
//! and cut-off input must always be rejected.

use eid::apdu::ResponseApdu;
use eid::card_access::CardAccess;
use eid::chat::{Chat, DataItem};
use eid::crypto::Cipher;
use eid::identity::Identity;
use eid::secure_messaging::{CardSideSecureMessaging, SecureMessaging};
use eid::tlv;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn card_access() -> Vec<u8> {
    let body = hex("300D 0608 04007F0007020202 020102
         3012 060A 04007F00070202030202 020102 020141
         3012 060A 04007F00070202040202 020102 02010D
         301C 0609 04007F000702020302 300C 0607 04007F00070102 02010D 020141");
    tlv::encode(0x31, &body)
}

fn residence() -> Vec<u8> {
    let mut place = tlv::encode(0xAA, &tlv::encode(0x0C, "Heidestraße 17".as_bytes()));
    tlv::encode_into(0xAB, &tlv::encode(0x0C, "Köln".as_bytes()), &mut place);
    tlv::encode_into(0xAD, &tlv::encode(0x13, b"D"), &mut place);
    tlv::encode(0x71, &tlv::encode(0x30, &place))
}

/// All single-byte corruptions: each byte replaced by 0x00, 0x80 and 0xFF
/// (where that changes it) and with its lowest bit flipped.
fn corruptions(valid: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..valid.len() {
        for value in [0x00, 0x80, 0xFF, valid[i] ^ 0x01] {
            if value == valid[i] {
                continue;
            }
            let mut v = valid.to_vec();
            v[i] = value;
            out.push(v);
        }
    }
    out
}

#[test]
fn every_truncated_card_access_is_rejected_and_corruptions_do_not_panic() {
    let valid = card_access();
    assert_eq!(CardAccess::parse(&valid).unwrap().infos.len(), 4);
    for len in 0..valid.len() {
        assert!(CardAccess::parse(&valid[..len]).is_err(), "truncated to {len} bytes was accepted");
    }
    let accepted = corruptions(&valid).iter().filter(|c| CardAccess::parse(c).is_ok()).count();
    assert!(accepted < corruptions(&valid).len());
}

#[test]
fn every_truncated_data_group_is_rejected() {
    let valid = residence();
    Identity::default().add_data_group(DataItem::PlaceOfResidence, &valid).unwrap();
    for len in 0..valid.len() {
        let mut id = Identity::default();
        assert!(id.add_data_group(DataItem::PlaceOfResidence, &valid[..len]).is_err());
    }
    for item in DataItem::ALL {
        for c in corruptions(&valid) {
            let _ = Identity::default().add_data_group(item, &c);
        }
    }
}

#[test]
fn every_truncated_chat_is_rejected() {
    let valid = Chat::for_data_items(&[DataItem::GivenNames, DataItem::PlaceOfResidence]).to_der();
    for len in 0..valid.len() {
        assert!(Chat::parse(&valid[..len]).is_err());
    }
    for c in corruptions(&valid) {
        let _ = Chat::parse(&c);
    }
}

#[test]
fn corrupted_protected_responses_never_verify() {
    let k_enc = [0x11u8; 16];
    let k_mac = [0x22u8; 16];
    let read = eid::apdu::CommandApdu::new(0x00, 0xB0, 0x91, 0x00).with_le(256);
    let mut card = CardSideSecureMessaging::new(Cipher::Aes128, &k_enc, &k_mac).unwrap();
    let mut terminal = SecureMessaging::new(Cipher::Aes128, &k_enc, &k_mac).unwrap();
    card.unwrap_command(&terminal.protect(&read).unwrap()).unwrap();
    let valid = card.wrap_response(&ResponseApdu::new(residence(), 0x9000)).unwrap().into_data();
    for c in corruptions(&valid).into_iter().chain((0..valid.len()).map(|l| valid[..l].to_vec())) {
        // A fresh channel at the same counter for every attempt.
        let mut t = SecureMessaging::new(Cipher::Aes128, &k_enc, &k_mac).unwrap();
        t.protect(&read).unwrap();
        assert!(t.unprotect(&ResponseApdu::new(c.clone(), 0x9000)).is_err(), "accepted {c:02X?}");
    }
    assert_eq!(terminal.unprotect(&ResponseApdu::new(valid, 0x9000)).unwrap().data, residence());
}
