// SPDX-License-Identifier: GPL-3.0-or-later
//! AES secure messaging checked against an implementation we did not write:
//! every expected byte (IV, cryptogram, CMAC) is computed by the `openssl`
//! command-line tool (Debian package `openssl`) from the ICAO Doc 9303-11
//! 9.8 recipe, using the session keys of the 9303-11 G.1 worked example.
//! ICAO publishes a worked secure messaging example only for 3DES
//! (appendix D.4), so this is our AES reference.

use std::path::Path;
use std::process::Command;

use eid::apdu::{CommandApdu, ResponseApdu, StatusWord};
use eid::crypto::Cipher;
use eid::secure_messaging::{SecureMessaging, SmError};

const K_ENC: &str = "F5F0E35C0D7161EE6724EE513A0D9A7F";
const K_MAC: &str = "FE251C7858B356B24514B3BD5F4297D1";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn openssl(dir: &Path, args: &[&str], input: &[u8]) -> Vec<u8> {
    let file = dir.join("input.bin");
    std::fs::write(&file, input).unwrap();
    // Options must precede the positional MAC algorithm name.
    let file_arg = file.to_str().unwrap();
    let mut all: Vec<&str> = vec![args[0], "-in", file_arg];
    all.extend_from_slice(&args[1..]);
    let out = Command::new("openssl").args(&all).output().expect("openssl (Debian package openssl) must be installed");
    assert!(out.status.success(), "openssl {all:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn aes_ecb(dir: &Path, key: &str, block: &[u8]) -> Vec<u8> {
    openssl(dir, &["enc", "-aes-128-ecb", "-nopad", "-K", key], block)
}

fn aes_cbc(dir: &Path, key: &str, iv: &[u8], data: &[u8]) -> Vec<u8> {
    openssl(dir, &["enc", "-aes-128-cbc", "-nopad", "-K", key, "-iv", &to_hex(iv)], data)
}

fn cmac8(dir: &Path, key: &str, data: &[u8]) -> Vec<u8> {
    let mac_key = format!("hexkey:{key}");
    let out = openssl(dir, &["mac", "-cipher", "AES-128-CBC", "-macopt", &mac_key, "CMAC"], data);
    hex(String::from_utf8(out).unwrap().trim())[..8].to_vec()
}

fn pad(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    out.push(0x80);
    while !out.len().is_multiple_of(16) {
        out.push(0);
    }
    out
}

fn ssc(n: u8) -> Vec<u8> {
    let mut s = vec![0u8; 16];
    s[15] = n;
    s
}

#[test]
fn protected_select_matches_openssl_computation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut sm = SecureMessaging::new(Cipher::Aes128, &hex(K_ENC), &hex(K_MAC)).unwrap();
    // SELECT EF.CardSecurity (011D) by file identifier, no response data.
    let select = CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(vec![0x01, 0x1D]);
    let wrapped = sm.protect(&select).unwrap().to_bytes().unwrap();

    let iv = aes_ecb(d, K_ENC, &ssc(1));
    let mut do87 = vec![0x87, 0x11, 0x01];
    do87.extend(aes_cbc(d, K_ENC, &iv, &pad(&[0x01, 0x1D])));
    let mut mac_input = ssc(1);
    mac_input.extend(pad(&[0x0C, 0xA4, 0x02, 0x0C]));
    mac_input.extend(&do87);
    let mac = cmac8(d, K_MAC, &pad(&mac_input));

    let mut expected = vec![0x0C, 0xA4, 0x02, 0x0C, 0x1D];
    expected.extend(&do87);
    expected.extend([0x8E, 0x08]);
    expected.extend(&mac);
    expected.push(0x00);
    assert_eq!(to_hex(&wrapped), to_hex(&expected));
}

#[test]
fn protected_read_binary_with_le_matches_openssl_computation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut sm = SecureMessaging::new(Cipher::Aes128, &hex(K_ENC), &hex(K_MAC)).unwrap();
    let read = CommandApdu::new(0x00, 0xB0, 0x84, 0x00).with_le(256);
    let wrapped = sm.protect(&read).unwrap().to_bytes().unwrap();

    let mut mac_input = ssc(1);
    mac_input.extend(pad(&[0x0C, 0xB0, 0x84, 0x00]));
    mac_input.extend([0x97, 0x01, 0x00]);
    let mac = cmac8(d, K_MAC, &pad(&mac_input));
    let mut expected = vec![0x0C, 0xB0, 0x84, 0x00, 0x0D, 0x97, 0x01, 0x00, 0x8E, 0x08];
    expected.extend(&mac);
    expected.push(0x00);
    assert_eq!(to_hex(&wrapped), to_hex(&expected));
}

/// A response wrapped by openssl's primitives, as a card would send it for SSC 2.
fn card_response(d: &Path, plain: &[u8], sw: [u8; 2]) -> Vec<u8> {
    let iv = aes_ecb(d, K_ENC, &ssc(2));
    let cryptogram = aes_cbc(d, K_ENC, &iv, &pad(plain));
    let mut objects = vec![0x87, (cryptogram.len() + 1) as u8, 0x01];
    objects.extend(cryptogram);
    objects.extend([0x99, 0x02, sw[0], sw[1]]);
    let mut mac_input = ssc(2);
    mac_input.extend(&objects);
    let mac = cmac8(d, K_MAC, &pad(&mac_input));
    objects.extend([0x8E, 0x08]);
    objects.extend(mac);
    objects
}

#[test]
fn response_wrapped_by_openssl_is_verified_and_decrypted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut sm = SecureMessaging::new(Cipher::Aes128, &hex(K_ENC), &hex(K_MAC)).unwrap();
    sm.protect(&CommandApdu::new(0x00, 0xB0, 0x91, 0x00).with_le(256)).unwrap();
    let plain = "71 Köln Heidestraße".as_bytes();
    let response = ResponseApdu::new(card_response(d, plain, [0x90, 0x00]), 0x9000);
    let unwrapped = sm.unprotect(&response).unwrap();
    assert_eq!(unwrapped.data, plain);
    assert_eq!(unwrapped.sw, StatusWord::OK);
}

#[test]
fn response_for_another_counter_value_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut sm = SecureMessaging::new(Cipher::Aes128, &hex(K_ENC), &hex(K_MAC)).unwrap();
    // Two exchanges: the response made for SSC 2 now arrives when SSC 4 is due.
    sm.protect(&CommandApdu::new(0x00, 0xB0, 0x91, 0x00).with_le(256)).unwrap();
    let first = ResponseApdu::new(card_response(d, b"abc", [0x90, 0x00]), 0x9000);
    sm.unprotect(&first).unwrap();
    sm.protect(&CommandApdu::new(0x00, 0xB0, 0x91, 0x00).with_le(256)).unwrap();
    assert_eq!(sm.unprotect(&first), Err(SmError::BadMac));
}
