// SPDX-License-Identifier: GPL-3.0-or-later
//! The whole EAC2 sequence through the sans-I/O core: PACE (ICAO 9303-11
//! G.1 keys), Terminal Authentication with a CV chain made by `cvc-create`,
//! and Chip Authentication, all commands travelling through the PACE secure
//! channel. The card's side is played by this test; the terminal signature
//! is checked by `openssl dgst -verify`, not by our own code.

use std::path::Path;

use bp256::r1::{NonZeroScalar, ProjectivePoint};
use eid::apdu::{CommandApdu, ResponseApdu};
use eid::card_access::{BRAINPOOL_P256R1, ChipAuthenticationInfo, ObjectIdentifier, PaceInfo, PaceProtocol};
use eid::chat::DataItem;
use eid::chip_auth::{self, CaError};
use eid::crypto::{self, Cipher, CryptoError, KDF_ENC, KDF_MAC, Randomness};
use eid::cvc::{CvcDate, TerminalChain};
use eid::files::{self, ReadNext};
use eid::identity::Identity;
use eid::pace::{self, PaceConfig};
use eid::password::Password;
use eid::secure_messaging::{CardSideSecureMessaging, SecureMessaging};
use eid::terminal_auth::{self, AckNext, TaConfig, TaError, TerminalKey};
use eid::tlv;
use elliptic_curve::sec1::ToSec1Point;

mod common;
use common::{parse, run, standard_chain};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The ICAO 9303-11 G.1 ephemeral keys, then fixed bytes for later keys.
struct Script(Vec<Vec<u8>>);

impl Randomness for Script {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        if self.0.is_empty() {
            return Err(CryptoError::Randomness);
        }
        buf.copy_from_slice(&self.0.remove(0));
        Ok(())
    }
}

/// Runs PACE G.1 and returns the terminal channel, the card channel and the card's PACE key.
fn pace_g1() -> (SecureMessaging, CardSideSecureMessaging, Vec<u8>) {
    let mut rng = Script(vec![
        hex("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99"),
        hex("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595"),
    ]);
    let config = PaceConfig {
        info: PaceInfo {
            protocol: PaceProtocol::EcdhGenericMapping(Cipher::Aes128),
            version: 2,
            parameter_id: Some(BRAINPOOL_P256R1),
        },
        password: Password::mrz("T22000129", "640812", "101031").unwrap(),
        chat: None,
        can_established: false,
    };
    let ok = |tag: u32, v: &str| ResponseApdu::new(tlv::encode(0x7C, &tlv::encode(tag, &hex(v))), 0x9000);
    let (s, _) = pace::start(config).unwrap();
    let (s, _) = s.handle(&ResponseApdu::new(vec![], 0x9000)).unwrap();
    let (s, _) = s.handle(&ok(0x80, "95A3A016522EE98D01E76CB6B98B42C3"), &mut rng).unwrap();
    let (s, _) = s
        .handle(
            &ok(0x82, "04 824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57 30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"),
            &mut rng,
        )
        .unwrap();
    let chip_pace_key = "04 9E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB 7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094";
    let (s, _) = s.handle(&ok(0x84, chip_pace_key)).unwrap();
    let outcome = s.handle(&ok(0x86, "3ABB9674BCE93C08")).unwrap();
    let card = CardSideSecureMessaging::new(
        Cipher::Aes128,
        &hex("F5F0E35C0D7161EE6724EE513A0D9A7F"),
        &hex("FE251C7858B356B24514B3BD5F4297D1"),
    )
    .unwrap();
    (outcome.secure_messaging, card, hex(chip_pace_key))
}

/// One round trip through the PACE channel: returns the plain command the card saw.
fn exchange(
    terminal: &mut SecureMessaging,
    card: &mut CardSideSecureMessaging,
    command: &CommandApdu,
    answer: impl FnOnce(&CommandApdu) -> ResponseApdu,
) -> (CommandApdu, ResponseApdu) {
    let wire = terminal.protect(command).unwrap();
    let seen = card.unwrap_command(&wire).unwrap();
    let reply = card.wrap_response(&answer(&seen)).unwrap();
    (seen, terminal.unprotect(&reply).unwrap())
}

/// brainpoolP256r1 SubjectPublicKeyInfo DER (RFC 5480 with the RFC 5639 curve OID).
fn spki_der(point: &[u8]) -> Vec<u8> {
    let mut algorithm = tlv::encode(0x06, &hex("2A8648CE3D0201"));
    tlv::encode_into(0x06, &hex("2B2403030208010107"), &mut algorithm);
    let mut body = tlv::encode(0x30, &algorithm);
    let mut bits = vec![0x00];
    bits.extend_from_slice(point);
    tlv::encode_into(0x03, &bits, &mut body);
    tlv::encode(0x30, &body)
}

/// Plain r || s to DER `ECDSA-Sig-Value` (RFC 3279 2.2.3).
fn signature_der(plain: &[u8]) -> Vec<u8> {
    let integer = |v: &[u8]| {
        let trimmed: Vec<u8> = v.iter().copied().skip_while(|b| *b == 0).collect();
        let mut content = if trimmed.first().is_some_and(|b| b & 0x80 != 0) { vec![0] } else { vec![] };
        content.extend(trimmed);
        tlv::encode(0x02, &content)
    };
    let mut body = integer(&plain[..32]);
    body.extend(integer(&plain[32..]));
    tlv::encode(0x30, &body)
}

fn openssl_verifies(dir: &Path, public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    std::fs::write(dir.join("pub.der"), spki_der(public_key)).unwrap();
    std::fs::write(dir.join("msg.bin"), message).unwrap();
    std::fs::write(dir.join("sig.der"), signature_der(signature)).unwrap();
    let status = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-keyform", "DER", "-verify"])
        .arg(dir.join("pub.der"))
        .arg("-signature")
        .arg(dir.join("sig.der"))
        .arg(dir.join("msg.bin"))
        .output()
        .expect("openssl must be installed");
    status.status.success()
}

fn ca_info() -> ChipAuthenticationInfo {
    ChipAuthenticationInfo {
        protocol: ObjectIdentifier::smartcard(&[3, 2, 2]),
        cipher: Some(Cipher::Aes128),
        version: 2,
        key_id: Some(65),
    }
}

#[test]
fn terminal_key_from_openssl_matches_certificate_made_by_cvc_create() {
    let chain = standard_chain();
    let key = TerminalKey::from_der(&std::fs::read(chain.pki.path("terminal.der")).unwrap()).unwrap();
    assert_eq!(key.public_key(), parse(&chain.terminal).public_key);
    // The same key wrapped in PKCS#8 by openssl.
    let der = chain.pki.path("terminal.der");
    let pkcs8 = chain.pki.path("terminal.p8");
    run(
        "openssl",
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-inform",
            "DER",
            "-outform",
            "DER",
            "-in",
            der.to_str().unwrap(),
            "-out",
            pkcs8.to_str().unwrap(),
        ],
    );
    let wrapped = TerminalKey::from_der(&std::fs::read(&pkcs8).unwrap()).unwrap();
    assert_eq!(wrapped.public_key(), key.public_key());
    assert!(TerminalKey::from_der(&[0x30, 0x00]).is_err());
}

#[test]
fn pace_then_terminal_and_chip_authentication_yield_a_fresh_channel() {
    let chain = standard_chain();
    let today = CvcDate { year: 2027, month: 3, day: 1 };
    let verified = TerminalChain::verify(&parse(&chain.cvca), parse(&chain.dv), parse(&chain.terminal), today).unwrap();
    let key = TerminalKey::from_der(&std::fs::read(chain.pki.path("terminal.der")).unwrap()).unwrap();
    let (mut terminal, mut card, chip_pace_key) = pace_g1();

    // Terminal Authentication.
    let ca_ephemeral_secret = [0x5Au8; 32];
    let mut rng = Script(vec![ca_ephemeral_secret.to_vec()]);
    let config =
        TaConfig { chain: &verified, signer: &key, chip_pace_public_key: &chip_pace_key, auxiliary_data: None };
    let (mut state, mut command) = terminal_auth::start(config, &mut rng).unwrap();
    let mut seen_commands = Vec::new();
    let challenge_state = loop {
        let (seen, response) = exchange(&mut terminal, &mut card, &command, |_| ResponseApdu::new(vec![], 0x9000));
        seen_commands.push(seen);
        match state.handle(&response).unwrap() {
            AckNext::More(next, cmd) => {
                state = next;
                command = cmd;
            }
            AckNext::Challenge(next, cmd) => {
                command = cmd;
                break next;
            }
        }
    };
    // Set DST(DV CAR), Verify(DV), Set DST(terminal CAR), Verify(terminal), Set AT.
    assert_eq!(seen_commands.len(), 5);
    assert_eq!(seen_commands[0].data, tlv::encode(0x83, b"DETESTCVCA00001"));
    assert_eq!(seen_commands[2].data, tlv::encode(0x83, b"DETESTDVKOM0001"));
    assert_eq!((seen_commands[1].ins, seen_commands[1].p2), (0x2A, 0xBE));
    assert_eq!(seen_commands[3].data, parse(&chain.terminal).body_and_signature());
    let set_at = tlv::parse_all(&seen_commands[4].data).unwrap();
    assert_eq!(set_at[0].value, hex("04007F00070202020203"));
    assert_eq!(set_at[1].value, b"DEKIOSKMS000001");
    let ca_public =
        (ProjectivePoint::GENERATOR * *NonZeroScalar::try_from(&ca_ephemeral_secret[..]).unwrap()).to_affine();
    let ca_public = ca_public.to_sec1_point(false).as_bytes().to_vec();
    assert_eq!(set_at[2].value, &ca_public[1..33]);

    let r_picc = hex("0102030405060708");
    let (seen, response) = exchange(&mut terminal, &mut card, &command, |_| ResponseApdu::new(r_picc.clone(), 0x9000));
    assert_eq!((seen.ins, seen.le), (0x84, Some(8)));
    let (state, command) = challenge_state.handle(&response, &key).unwrap();
    let (seen, response) = exchange(&mut terminal, &mut card, &command, |_| ResponseApdu::new(vec![], 0x9000));
    let mut signed = chip_pace_key[1..33].to_vec();
    signed.extend(&r_picc);
    signed.extend(&ca_public[1..33]);
    let dir = tempfile::tempdir().unwrap();
    assert!(openssl_verifies(dir.path(), &parse(&chain.terminal).public_key, &signed, &seen.data));
    signed[40] ^= 1;
    assert!(!openssl_verifies(dir.path(), &parse(&chain.terminal).public_key, &signed, &seen.data));
    let ephemeral = state.handle(&response).unwrap();
    assert_eq!(ephemeral.public_key(), ca_public);

    // Chip Authentication, the card holding a static key pair.
    let chip_secret = NonZeroScalar::try_from(&[0x33u8; 32][..]).unwrap();
    let chip_public = (ProjectivePoint::GENERATOR * *chip_secret).to_affine().to_sec1_point(false).as_bytes().to_vec();
    let (state, command) = chip_auth::start(&ca_info(), &chip_public, ephemeral).unwrap();
    let (seen, response) = exchange(&mut terminal, &mut card, &command, |_| ResponseApdu::new(vec![], 0x9000));
    assert_eq!(seen.data, hex("800A04007F00070202030202 840141"));
    let (state, command) = state.handle(&response).unwrap();
    let nonce = hex("A1A2A3A4A5A6A7A8");
    let mut card_keys = None;
    let (seen, response) = exchange(&mut terminal, &mut card, &command, |seen| {
        let outer = tlv::parse_single(&seen.data).unwrap();
        let terminal_key = tlv::require(&outer.children().unwrap(), 0x80).unwrap().value.to_vec();
        let point = crypto::point_from_uncompressed(&terminal_key).unwrap();
        let shared = (ProjectivePoint::from(point) * *chip_secret).to_affine().to_sec1_point(false);
        let k = &shared.as_bytes()[1..33];
        let k_enc = crypto::kdf_with_nonce(k, &nonce, KDF_ENC, Cipher::Aes128);
        let k_mac = crypto::kdf_with_nonce(k, &nonce, KDF_MAC, Cipher::Aes128);
        let mut key_object = ObjectIdentifier::smartcard(&[3, 2, 2]).to_der();
        tlv::encode_into(0x86, &terminal_key, &mut key_object);
        let token = crypto::cmac8(&k_mac, &tlv::encode(0x7F49, &key_object)).unwrap();
        card_keys = Some((k_enc.to_vec(), k_mac.to_vec()));
        let mut body = tlv::encode(0x81, &nonce);
        tlv::encode_into(0x82, &token, &mut body);
        ResponseApdu::new(tlv::encode(0x7C, &body), 0x9000)
    });
    assert_eq!(seen.ins, 0x86);
    let mut fresh = state.handle(&response).unwrap();
    assert_eq!(fresh.ssc(), 0);

    // The new channel talks to a card side holding the card's derived keys.
    let (k_enc, k_mac) = card_keys.unwrap();
    let mut card_fresh = CardSideSecureMessaging::new(Cipher::Aes128, &k_enc, &k_mac).unwrap();
    let read = CommandApdu::new(0x00, 0xB0, 0x84, 0x00).with_le(256);
    let wire = fresh.protect(&read).unwrap();
    assert_eq!(card_fresh.unwrap_command(&wire).unwrap(), read);
    // The PACE channel's keys do not verify commands of the new channel.
    assert!(card.unwrap_command(&wire).is_err());
    let reply = card_fresh.wrap_response(&ResponseApdu::new(b"ID".to_vec(), 0x9000)).unwrap();
    assert_eq!(fresh.unprotect(&reply).unwrap().data, b"ID");

    // Read DG4 through the new channel and parse it into the identity.
    let dg4 = tlv::encode(0x64, &tlv::encode(0x0C, "Jürgen Ölaf".as_bytes()));
    let (reader, command) = files::read_by_sfi(DataItem::GivenNames.short_file_id(), files::CHUNK);
    let (seen, response) = exchange(&mut fresh, &mut card_fresh, &command, |_| ResponseApdu::new(dg4.clone(), 0x9000));
    assert_eq!((seen.p1, seen.p2), (0x84, 0x00));
    let ReadNext::Done(content) = reader.handle(&response).unwrap() else {
        panic!("DG4 fits one chunk");
    };
    let mut identity = Identity::default();
    identity.add_data_group(DataItem::GivenNames, &content).unwrap();
    assert_eq!(identity.given_names.as_deref(), Some("Jürgen Ölaf"));
}

#[test]
fn card_that_cannot_prove_its_static_key_fails_chip_authentication() {
    let mut rng = Script(vec![[0x5Au8; 32].to_vec()]);
    let ephemeral = terminal_auth::EphemeralCaKey::generate(&mut rng).unwrap();
    let claimed = (ProjectivePoint::GENERATOR * *NonZeroScalar::try_from(&[0x33u8; 32][..]).unwrap())
        .to_affine()
        .to_sec1_point(false)
        .as_bytes()
        .to_vec();
    let (state, _) = chip_auth::start(&ca_info(), &claimed, ephemeral).unwrap();
    let (state, _) = state.handle(&ResponseApdu::new(vec![], 0x9000)).unwrap();
    let mut body = tlv::encode(0x81, &[0u8; 8]);
    tlv::encode_into(0x82, &[0u8; 8], &mut body);
    assert_eq!(state.handle(&ResponseApdu::new(tlv::encode(0x7C, &body), 0x9000)).err(), Some(CaError::TokenInvalid));
}

#[test]
fn card_refusing_the_dv_authority_is_reported() {
    let chain = standard_chain();
    let today = CvcDate { year: 2027, month: 3, day: 1 };
    let verified = TerminalChain::verify(&parse(&chain.cvca), parse(&chain.dv), parse(&chain.terminal), today).unwrap();
    let key = TerminalKey::from_der(&std::fs::read(chain.pki.path("terminal.der")).unwrap()).unwrap();
    let (_, _, chip_pace_key) = pace_g1();
    let mut rng = Script(vec![[0x5Au8; 32].to_vec()]);
    let config =
        TaConfig { chain: &verified, signer: &key, chip_pace_public_key: &chip_pace_key, auxiliary_data: None };
    let (state, _) = terminal_auth::start(config, &mut rng).unwrap();
    assert_eq!(
        state.handle(&ResponseApdu::new(vec![], 0x6A88)).err(),
        Some(TaError::UnknownAuthority("DETESTCVCA00001".into()))
    );
}
