// SPDX-License-Identifier: GPL-3.0-or-later
//! Restricted Identification (BSI TR-03110-2 3.6, TR-03110-3 B.4 and
//! B.11.6): the card derives the identifier it has in the terminal's
//! sector, `I = H(x(SK_ID · PK_sector))`, without giving away anything
//! that links it across sectors. Revoked cards are recognised by that
//! identifier on the sector's block list (TR-03127 4.4).
//!
//! Runs inside Chip Authentication's channel, and needs the RI right in the
//! effective CHAT (bit 2, TR-03110-4 2.2.3.2):
//!
//! ```text
//! MSE:Set AT 00 22 41 A4 (80 id-RI-ECDH-SHA-256, 84 RI key ID)  → 9000           ExpectSetAt
//! General Authenticate 7C { A0 { 06 OID, 86 PK_sector } }         → 7C { 81 I }    ExpectIdentifier
//! ```
//!
//! The RI key ID comes from the RestrictedIdentificationInfo the issuing
//! state signed into `EF.CardSecurity` (TR-03110-3 A.1.1.6).

use thiserror::Error;
use zeroize::Zeroizing;

use crate::apdu::{CommandApdu, MAX_SHORT, ResponseApdu, Status};
use crate::card_access::{self, CardAccess, SecurityInfo};
use crate::crypto;
use crate::tlv::{self, TlvError};

/// `id-RI-ECDH-SHA-256` = 0.4.0.127.0.7.2.2.5.2.3 (TR-03110-3 A.1.1.6).
pub const ID_RI_ECDH_SHA_256: [u8; 10] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x05, 0x02, 0x03];
/// `id-ecPublicKey` 1.2.840.10045.2.1 (RFC 5480).
const ID_EC_PUBLIC_KEY: [u8; 7] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
/// `brainpoolP256r1` 1.3.36.3.3.2.8.1.1.7 (RFC 5639).
const BRAINPOOL_P256R1: [u8; 9] = [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07];
/// SHA-256 output: the length of a sector-specific identifier.
pub const IDENTIFIER_LEN: usize = 32;

/// Why Restricted Identification failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RiError {
    /// The signed `EF.CardSecurity` announces no RI with ECDH and SHA-256.
    #[error("EF.CardSecurity announces no Restricted Identification with ECDH and SHA-256")]
    NotOffered,
    /// The sector public key is not a brainpoolP256r1 SubjectPublicKeyInfo.
    #[error("the sector public key is not a brainpoolP256r1 public key")]
    BadSectorKey,
    /// `6982`: the effective CHAT lacks the RI right (the terminal
    /// certificate must grant it).
    #[error("the card refused Restricted Identification: the terminal is not authorised for it")]
    NotAuthorised,
    /// Any other status word.
    #[error("unexpected status {sw:04X} during {step}")]
    UnexpectedStatus {
        /// Which command.
        step: &'static str,
        /// The status word.
        sw: u16,
    },
    /// The answer holds no identifier of 32 bytes.
    #[error("the Restricted Identification answer is malformed")]
    MalformedResponse,
    /// Not valid TLV.
    #[error("not valid TLV: {0}")]
    Tlv(#[from] TlvError),
}

/// The card's RI key, as `EF.CardSecurity` announces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RiKey {
    /// The private key reference for MSE:Set AT (`84`).
    pub key_id: u32,
    /// Whether the card checks the sector key against the terminal
    /// certificate (`authorizedOnly`).
    pub authorized_only: bool,
}

/// The RI key for ECDH with SHA-256 in the signed SecurityInfos:
/// `RestrictedIdentificationInfo ::= SEQUENCE { protocol, params SEQUENCE
/// { version INTEGER (1), keyId INTEGER, authorizedOnly BOOLEAN }, maxKeyLen
/// INTEGER OPTIONAL }` (TR-03110-3 A.1.1.6).
pub fn ri_key(infos: &CardAccess) -> Result<RiKey, RiError> {
    infos
        .infos
        .iter()
        .find_map(|info| match info {
            SecurityInfo::Unknown { protocol, raw } if protocol.0 == ID_RI_ECDH_SHA_256 => parse_ri_info(raw),
            _ => None,
        })
        .ok_or(RiError::NotOffered)
}

fn parse_ri_info(raw: &[u8]) -> Option<RiKey> {
    let fields = tlv::parse_single(raw).ok()?.children().ok()?;
    let params = fields.get(1).filter(|p| p.tag.0 == 0x30)?.children().ok()?;
    match params.as_slice() {
        [version, key_id, authorized_only, ..]
            if version.tag.0 == 0x02 && key_id.tag.0 == 0x02 && authorized_only.tag.0 == 0x01 =>
        {
            (card_access::parse_uint(version.value)? == 1).then_some(())?;
            Some(RiKey {
                key_id: card_access::parse_uint(key_id.value)?,
                authorized_only: authorized_only.value.first().is_some_and(|b| *b != 0),
            })
        }
        _ => None,
    }
}

/// The sector's public key, from the terminal's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectorKey {
    /// The uncompressed brainpoolP256r1 point.
    point: Vec<u8>,
}

impl SectorKey {
    /// Reads a DER `SubjectPublicKeyInfo` with `id-ecPublicKey` on
    /// brainpoolP256r1 (what `openssl pkey -pubout -outform DER` writes).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, RiError> {
        let bad = || RiError::BadSectorKey;
        let parts = tlv::parse_single(der).map_err(|_| bad())?.expect_tag(0x30).map_err(|_| bad())?.children()?;
        let [algorithm, key] = parts.as_slice() else { return Err(bad()) };
        let algorithm = algorithm.children().map_err(|_| bad())?;
        let named = matches!(algorithm.as_slice(), [oid, curve]
            if oid.tag.0 == 0x06 && oid.value == ID_EC_PUBLIC_KEY && curve.tag.0 == 0x06 && curve.value == BRAINPOOL_P256R1);
        match (named, key.tag.0, key.value) {
            (true, 0x03, [0x00, point @ ..]) if crypto::point_from_uncompressed(point).is_ok() => {
                Ok(Self { point: point.to_vec() })
            }
            _ => Err(bad()),
        }
    }

    /// The uncompressed point.
    pub fn point(&self) -> &[u8] {
        &self.point
    }
}

/// The card's identifier in this sector. Personal data: compare it and
/// drop it; its `Debug` shows nothing, and it is wiped on drop.
pub struct SectorIdentifier(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for SectorIdentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SectorIdentifier(..)")
    }
}

impl SectorIdentifier {
    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Starts RI with the card's key `key` for `sector`: MSE:Set AT.
pub fn start(key: RiKey, sector: &SectorKey) -> (ExpectSetAt, CommandApdu) {
    let mut data = tlv::encode(0x80, &ID_RI_ECDH_SHA_256);
    let id = key.key_id.to_be_bytes();
    let first = id.iter().position(|b| *b != 0).unwrap_or(3);
    tlv::encode_into(0x84, &id[first..], &mut data);
    (ExpectSetAt { sector: sector.clone() }, CommandApdu::new(0x00, 0x22, 0x41, 0xA4).with_data(data))
}

/// Waiting for the answer to MSE:Set AT.
pub struct ExpectSetAt {
    sector: SectorKey,
}

impl ExpectSetAt {
    /// Sends the sector public key (`A0`, a public key data object of
    /// TR-03110-3 D.3.3 with the protocol OID and the point `86`).
    pub fn handle(self, response: &ResponseApdu) -> Result<(ExpectIdentifier, CommandApdu), RiError> {
        status(response, "MSE:Set AT")?;
        let mut key = tlv::encode(0x06, &ID_RI_ECDH_SHA_256);
        tlv::encode_into(0x86, &self.sector.point, &mut key);
        let command = CommandApdu::new(0x00, 0x86, 0x00, 0x00)
            .with_data(tlv::encode(0x7C, &tlv::encode(0xA0, &key)))
            .with_le(MAX_SHORT);
        Ok((ExpectIdentifier, command))
    }
}

/// Waiting for the sector-specific identifier.
pub struct ExpectIdentifier;

impl ExpectIdentifier {
    /// The identifier `81` from `7C { 81 I }`.
    pub fn handle(self, response: &ResponseApdu) -> Result<SectorIdentifier, RiError> {
        status(response, "General Authenticate")?;
        let outer = tlv::parse_single(&response.data)?.expect_tag(0x7C)?;
        let parts = outer.children()?;
        match tlv::find(&parts, 0x81) {
            Some(id) if id.value.len() == IDENTIFIER_LEN => Ok(SectorIdentifier(Zeroizing::new(id.value.to_vec()))),
            _ => Err(RiError::MalformedResponse),
        }
    }
}

fn status(response: &ResponseApdu, step: &'static str) -> Result<(), RiError> {
    match response.sw.meaning() {
        Status::Success => Ok(()),
        Status::SecurityStatusNotSatisfied => Err(RiError::NotAuthorised),
        _ => Err(RiError::UnexpectedStatus { step, sw: response.sw.0 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card_access::ObjectIdentifier;

    /// The generator of brainpoolP256r1 (RFC 5639 3.4), a valid point.
    fn generator() -> Vec<u8> {
        let x = "8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262";
        let y = "547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997";
        let hex = |s: &str| (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect();
        [vec![0x04], hex(x), hex(y)].concat()
    }

    fn spki(point: &[u8]) -> Vec<u8> {
        let mut algorithm = tlv::encode(0x06, &ID_EC_PUBLIC_KEY);
        tlv::encode_into(0x06, &BRAINPOOL_P256R1, &mut algorithm);
        let mut bits = vec![0x00];
        bits.extend_from_slice(point);
        let mut body = tlv::encode(0x30, &algorithm);
        tlv::encode_into(0x03, &bits, &mut body);
        tlv::encode(0x30, &body)
    }

    #[test]
    fn mse_set_at_names_the_protocol_and_the_key_id() {
        let sector = SectorKey::from_spki_der(&spki(&generator())).unwrap();
        let (_, command) = start(RiKey { key_id: 2, authorized_only: false }, &sector);
        let expected =
            [&[0x00, 0x22, 0x41, 0xA4, 0x0F, 0x80, 0x0A][..], &ID_RI_ECDH_SHA_256, &[0x84, 0x01, 0x02]].concat();
        assert_eq!(command.to_bytes().unwrap(), expected);
    }

    #[test]
    fn general_authenticate_carries_the_sector_key_as_a_public_key_data_object() {
        let point = generator();
        let sector = SectorKey::from_spki_der(&spki(&point)).unwrap();
        let (state, _) = start(RiKey { key_id: 1, authorized_only: false }, &sector);
        let (_, command) = state.handle(&ResponseApdu::new(vec![], 0x9000)).unwrap();
        // 7C 51 { A0 4F { 06 0A OID, 86 41 point } }, Le 00.
        let data = [&[0x7C, 0x51, 0xA0, 0x4F, 0x06, 0x0A][..], &ID_RI_ECDH_SHA_256, &[0x86, 0x41], &point].concat();
        let expected = [&[0x00, 0x86, 0x00, 0x00, 0x53][..], &data, &[0x00]].concat();
        assert_eq!(command.to_bytes().unwrap(), expected);
    }

    #[test]
    fn the_identifier_is_the_32_bytes_of_tag_81() {
        let mut answer = vec![0x7C, 0x22, 0x81, 0x20];
        answer.extend([0xAB; 32]);
        let id = ExpectIdentifier.handle(&ResponseApdu::new(answer, 0x9000)).unwrap();
        assert_eq!(id.as_bytes(), &[0xAB; 32]);
        assert_eq!(format!("{id:?}"), "SectorIdentifier(..)");
        let short = [0x7C, 0x04, 0x81, 0x02, 0x01, 0x02].to_vec();
        assert!(matches!(ExpectIdentifier.handle(&ResponseApdu::new(short, 0x9000)), Err(RiError::MalformedResponse)));
        assert!(matches!(ExpectIdentifier.handle(&ResponseApdu::new(vec![], 0x6982)), Err(RiError::NotAuthorised)));
    }

    #[test]
    fn the_ri_key_id_comes_from_the_restricted_identification_info() {
        // SEQUENCE { OID, SEQUENCE { INTEGER 1, INTEGER 2, BOOLEAN FALSE } }
        let params = [0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x01, 0x01, 0x00];
        let mut body = tlv::encode(0x06, &ID_RI_ECDH_SHA_256);
        body.extend_from_slice(&params);
        let raw = tlv::encode(0x30, &body);
        let infos = CardAccess {
            infos: vec![SecurityInfo::Unknown { protocol: ObjectIdentifier(ID_RI_ECDH_SHA_256.to_vec()), raw }],
        };
        assert_eq!(ri_key(&infos), Ok(RiKey { key_id: 2, authorized_only: false }));
        assert_eq!(ri_key(&CardAccess { infos: vec![] }), Err(RiError::NotOffered));
    }

    #[test]
    fn a_sector_key_off_the_curve_or_on_another_curve_is_refused() {
        let mut off = generator();
        off[64] ^= 1;
        assert_eq!(SectorKey::from_spki_der(&spki(&off)), Err(RiError::BadSectorKey));
        let mut p256 = spki(&generator());
        let at = p256.windows(BRAINPOOL_P256R1.len()).position(|w| w == BRAINPOOL_P256R1).unwrap();
        p256[at + 8] = 0x05;
        assert_eq!(SectorKey::from_spki_der(&p256), Err(RiError::BadSectorKey));
    }
}
