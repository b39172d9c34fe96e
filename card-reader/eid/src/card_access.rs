// SPDX-License-Identifier: GPL-3.0-or-later
//! The SecurityInfos of `EF.CardAccess` (BSI TR-03110-3 A.1.1, ICAO Doc
//! 9303-11 9.2): which PACE, Chip Authentication and Terminal Authentication
//! variants the card supports, with which domain parameters.
//!
//! `EF.CardAccess` is DER: `SecurityInfos ::= SET OF SecurityInfo`, each a
//! `SEQUENCE { protocol OBJECT IDENTIFIER, requiredData ANY, optionalData ANY
//! OPTIONAL }`. Infos this crate does not understand are kept as opaque bytes
//! so that nothing the card says is silently dropped.

use std::fmt;

use thiserror::Error;

use crate::crypto::Cipher;
use crate::tlv::{self, Tlv, TlvError};

/// DER tags used here (ITU-T X.690 8.3, 8.9, 8.12, 8.19).
const TAG_INTEGER: u32 = 0x02;
const TAG_OID: u32 = 0x06;
const TAG_SEQUENCE: u32 = 0x30;
const TAG_SET: u32 = 0x31;

/// The BSI arc `bsi-de protocols smartcard` = 0.4.0.127.0.7.2.2 (TR-03110-3 A.1.1).
const SMARTCARD_ARC: [u8; 7] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02];
/// `id-TA` = smartcard 2.
const ID_TA: u8 = 2;
/// `id-CA` = smartcard 3.
const ID_CA: u8 = 3;
/// `id-PACE` = smartcard 4.
const ID_PACE: u8 = 4;
/// `standardizedDomainParameters` = 0.4.0.127.0.7.1.2 (TR-03110-3 A.2.1.1).
const STANDARDIZED_DOMAIN_PARAMETERS: [u8; 7] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x01, 0x02];

/// `id-PK` = smartcard 1 (ChipAuthenticationPublicKeyInfo, TR-03110-3 A.1.1.2).
const ID_PK: u8 = 1;
/// `id-signedData` = 1.2.840.113549.1.7.2 (RFC 5652 5.1).
const ID_SIGNED_DATA: [u8; 9] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];

/// Standardized domain parameter ID of brainpoolP256r1 (TR-03110-3 Table 4).
pub const BRAINPOOL_P256R1: u32 = 13;

/// Why `EF.CardAccess` could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CardAccessError {
    /// The bytes are not valid TLV. Re-read the file; if it persists the card is faulty.
    #[error("EF.CardAccess is not valid DER: {0}")]
    Tlv(#[from] TlvError),
    /// The outer object is not a `SET`.
    #[error("EF.CardAccess does not start with a SET (found tag {0:X})")]
    NotASet(u32),
    /// A SecurityInfo is not a `SEQUENCE` starting with an OID.
    #[error("SecurityInfo number {index} is not a SEQUENCE starting with an OID")]
    MalformedInfo {
        /// Position of the offending info in the set.
        index: usize,
    },
    /// `EF.CardSecurity` is not a CMS SignedData with encapsulated SecurityInfos.
    #[error("EF.CardSecurity is not a CMS SignedData holding SecurityInfos")]
    NotSignedData,
    /// An INTEGER field is negative, empty or too large for this protocol.
    #[error("SecurityInfo number {index} has an invalid INTEGER field")]
    BadInteger {
        /// Position of the offending info in the set.
        index: usize,
    },
}

/// An object identifier kept as its DER content bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ObjectIdentifier(pub Vec<u8>);

impl ObjectIdentifier {
    /// An OID below the BSI smartcard arc (0.4.0.127.0.7.2.2.`rest`).
    pub fn smartcard(rest: &[u8]) -> Self {
        let mut v = SMARTCARD_ARC.to_vec();
        v.extend_from_slice(rest);
        Self(v)
    }

    /// The arcs following 0.4.0.127.0.7.2.2, if the OID lies below it.
    fn smartcard_suffix(&self) -> Option<&[u8]> {
        self.0.strip_prefix(&SMARTCARD_ARC[..])
    }

    /// The DER encoding including tag and length.
    pub fn to_der(&self) -> Vec<u8> {
        tlv::encode(TAG_OID, &self.0)
    }
}

impl fmt::Display for ObjectIdentifier {
    /// Dotted decimal notation (X.690 8.19).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut arcs: Vec<u64> = Vec::new();
        let mut acc: u64 = 0;
        for b in &self.0 {
            acc = (acc << 7) | u64::from(b & 0x7F);
            if b & 0x80 == 0 {
                if arcs.is_empty() {
                    let first = (acc / 40).min(2);
                    arcs.push(first);
                    arcs.push(acc - first * 40);
                } else {
                    arcs.push(acc);
                }
                acc = 0;
            }
        }
        let text: Vec<String> = arcs.iter().map(u64::to_string).collect();
        write!(f, "{}", text.join("."))
    }
}

impl fmt::Debug for ObjectIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectIdentifier({self})")
    }
}

/// The PACE variant named by a PACEInfo OID (TR-03110-3 A.1.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaceProtocol {
    /// `id-PACE-ECDH-GM-AES-CBC-CMAC-{128,192,256}`: the variant this crate implements.
    EcdhGenericMapping(Cipher),
    /// Any other PACE variant (DH, integrated or chip authentication mapping, 3DES).
    Unsupported(ObjectIdentifier),
}

impl PaceProtocol {
    /// The protocol OID as sent in MSE:Set AT tag `80`.
    pub fn oid(&self) -> ObjectIdentifier {
        match self {
            PaceProtocol::EcdhGenericMapping(c) => ObjectIdentifier::smartcard(&[ID_PACE, 2, c.oid_suffix()]),
            PaceProtocol::Unsupported(oid) => oid.clone(),
        }
    }
}

/// `PACEInfo` (TR-03110-3 A.1.1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaceInfo {
    /// The PACE variant.
    pub protocol: PaceProtocol,
    /// Protocol version; 2 for the German eID card.
    pub version: u32,
    /// Standardized domain parameter ID, e.g. [`BRAINPOOL_P256R1`].
    pub parameter_id: Option<u32>,
}

/// `ChipAuthenticationInfo` (TR-03110-3 A.1.1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipAuthenticationInfo {
    /// `id-CA-ECDH-AES-CBC-CMAC-*` or another CA variant.
    pub protocol: ObjectIdentifier,
    /// The cipher for the fresh secure messaging, when the OID names an ECDH/AES variant.
    pub cipher: Option<Cipher>,
    /// Protocol version (2 or 3).
    pub version: u32,
    /// Which chip key this info belongs to, when the card has several.
    pub key_id: Option<u32>,
}

/// `ChipAuthenticationDomainParameterInfo` (TR-03110-3 A.1.1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipAuthenticationDomainParameterInfo {
    /// `id-CA-ECDH` or `id-CA-DH`.
    pub protocol: ObjectIdentifier,
    /// Standardized domain parameter ID, when the parameters are standardized.
    pub parameter_id: Option<u32>,
    /// Which chip key this info belongs to.
    pub key_id: Option<u32>,
}

/// `ChipAuthenticationPublicKeyInfo` (TR-03110-3 A.1.1.2), found in
/// `EF.CardSecurity`: the card's static key for Chip Authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipAuthenticationPublicKeyInfo {
    /// `id-PK-ECDH` or `id-PK-DH`.
    pub protocol: ObjectIdentifier,
    /// Standardized domain parameter ID, when the key names one.
    pub parameter_id: Option<u32>,
    /// The public key (for ECDH an uncompressed point).
    pub public_key: Vec<u8>,
    /// Which chip key this is; matches [`ChipAuthenticationInfo::key_id`].
    pub key_id: Option<u32>,
}

/// `TerminalAuthenticationInfo` (TR-03110-3 A.1.1.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminalAuthenticationInfo {
    /// Protocol version (2 for EAC2).
    pub version: u32,
}

/// One SecurityInfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecurityInfo {
    /// A PACEInfo.
    Pace(PaceInfo),
    /// A ChipAuthenticationInfo.
    ChipAuthentication(ChipAuthenticationInfo),
    /// A ChipAuthenticationDomainParameterInfo.
    ChipAuthenticationDomainParameters(ChipAuthenticationDomainParameterInfo),
    /// A TerminalAuthenticationInfo.
    TerminalAuthentication(TerminalAuthenticationInfo),
    /// A ChipAuthenticationPublicKeyInfo (in `EF.CardSecurity`).
    ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo),
    /// Anything else (PACEDomainParameterInfo, CardInfoLocator, proprietary infos).
    Unknown {
        /// The protocol OID.
        protocol: ObjectIdentifier,
        /// The complete DER encoding of the info.
        raw: Vec<u8>,
    },
}

/// The parsed content of `EF.CardAccess`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardAccess {
    /// All SecurityInfos in card order.
    pub infos: Vec<SecurityInfo>,
}

impl CardAccess {
    /// Parses the DER content of `EF.CardAccess`.
    pub fn parse(der: &[u8]) -> Result<Self, CardAccessError> {
        let set = tlv::parse_single(der)?;
        if set.tag.0 != TAG_SET {
            return Err(CardAccessError::NotASet(set.tag.0));
        }
        let infos = set
            .children()?
            .into_iter()
            .enumerate()
            .map(|(index, info)| parse_info(index, info))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { infos })
    }

    /// The SecurityInfos inside `EF.CardSecurity` (a CMS SignedData, RFC 5652
    /// 5.1, whose encapsulated content is DER SecurityInfos).
    ///
    /// The CMS signature is **not** checked here: passive authentication
    /// against the country signing CA trust list is a separate step, and a
    /// key taken from an unchecked `EF.CardSecurity` proves nothing.
    pub fn parse_card_security_unverified(der: &[u8]) -> Result<Self, CardAccessError> {
        let not_signed = || CardAccessError::NotSignedData;
        let content_info = tlv::parse_single(der)?.expect_tag(TAG_SEQUENCE)?.children()?;
        let (oid, wrapper) = match content_info.as_slice() {
            [oid, wrapper, ..] if oid.tag.0 == TAG_OID && wrapper.tag.0 == 0xA0 => (oid, wrapper),
            _ => return Err(not_signed()),
        };
        if oid.value != ID_SIGNED_DATA {
            return Err(not_signed());
        }
        let signed_data = tlv::parse_single(wrapper.value)?.expect_tag(TAG_SEQUENCE)?.children()?;
        // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo, ... }
        let encap = signed_data.get(2).filter(|t| t.tag.0 == TAG_SEQUENCE).ok_or_else(not_signed)?;
        let encap = encap.children()?;
        let explicit = encap.get(1).filter(|t| t.tag.0 == 0xA0).ok_or_else(not_signed)?;
        let octets = tlv::parse_single(explicit.value)?.expect_tag(0x04)?;
        Self::parse(octets.value)
    }

    /// The static Chip Authentication key with the given key ID (or the
    /// only one, when `key_id` is `None`).
    pub fn chip_authentication_public_key(&self, key_id: Option<u32>) -> Option<&ChipAuthenticationPublicKeyInfo> {
        self.infos.iter().find_map(|i| match i {
            SecurityInfo::ChipAuthenticationPublicKey(k) if key_id.is_none() || k.key_id == key_id => Some(k),
            _ => None,
        })
    }

    /// All PACEInfos.
    pub fn pace_infos(&self) -> impl Iterator<Item = &PaceInfo> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::Pace(p) => Some(p),
            _ => None,
        })
    }

    /// The PACE variant to use: ECDH generic mapping on brainpoolP256r1,
    /// strongest cipher first. `None` when the card offers nothing this
    /// crate implements.
    pub fn select_pace(&self) -> Option<&PaceInfo> {
        self.pace_infos()
            .filter(|p| p.parameter_id == Some(BRAINPOOL_P256R1))
            .filter_map(|p| match p.protocol {
                PaceProtocol::EcdhGenericMapping(c) => Some((c.key_len(), p)),
                PaceProtocol::Unsupported(_) => None,
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, p)| p)
    }

    /// All ChipAuthenticationInfos.
    pub fn chip_authentication_infos(&self) -> impl Iterator<Item = &ChipAuthenticationInfo> {
        self.infos.iter().filter_map(|i| match i {
            SecurityInfo::ChipAuthentication(c) => Some(c),
            _ => None,
        })
    }
}

fn parse_info(index: usize, info: Tlv<'_>) -> Result<SecurityInfo, CardAccessError> {
    let malformed = CardAccessError::MalformedInfo { index };
    if info.tag.0 != TAG_SEQUENCE {
        return Err(malformed);
    }
    let fields = info.children()?;
    let oid_tlv = fields.first().ok_or(malformed.clone())?;
    if oid_tlv.tag.0 != TAG_OID || oid_tlv.value.is_empty() {
        return Err(malformed);
    }
    let protocol = ObjectIdentifier(oid_tlv.value.to_vec());
    let rest = &fields[1..];
    let int = |pos: usize| -> Result<Option<u32>, CardAccessError> {
        match rest.get(pos) {
            None => Ok(None),
            Some(t) if t.tag.0 == TAG_INTEGER => {
                parse_uint(t.value).map(Some).ok_or(CardAccessError::BadInteger { index })
            }
            Some(_) => Err(CardAccessError::MalformedInfo { index }),
        }
    };
    let unknown = || SecurityInfo::Unknown { protocol: protocol.clone(), raw: info.raw.to_vec() };
    let Some(suffix) = protocol.smartcard_suffix() else {
        return Ok(unknown());
    };
    let parsed = match suffix {
        // id-PACE-*-* with version: a PACEInfo. Two arcs only is a
        // PACEDomainParameterInfo, kept opaque.
        [ID_PACE, _, _] => {
            let version = int(0)?.ok_or(CardAccessError::MalformedInfo { index })?;
            let pace = match suffix {
                [_, 2, c] => Cipher::from_oid_suffix(*c)
                    .map(PaceProtocol::EcdhGenericMapping)
                    .unwrap_or_else(|| PaceProtocol::Unsupported(protocol.clone())),
                _ => PaceProtocol::Unsupported(protocol.clone()),
            };
            SecurityInfo::Pace(PaceInfo { protocol: pace, version, parameter_id: int(1)? })
        }
        [ID_CA, kind, c] => SecurityInfo::ChipAuthentication(ChipAuthenticationInfo {
            cipher: if *kind == 2 { Cipher::from_oid_suffix(*c) } else { None },
            protocol: protocol.clone(),
            version: int(0)?.ok_or(CardAccessError::MalformedInfo { index })?,
            key_id: int(1)?,
        }),
        [ID_CA, _] => {
            let params = rest.first().ok_or(CardAccessError::MalformedInfo { index })?;
            SecurityInfo::ChipAuthenticationDomainParameters(ChipAuthenticationDomainParameterInfo {
                protocol: protocol.clone(),
                parameter_id: standardized_parameter_id(index, params)?,
                key_id: int(1)?,
            })
        }
        [ID_PK, _] => {
            let spki = rest.first().ok_or(CardAccessError::MalformedInfo { index })?;
            let (parameter_id, public_key) = parse_public_key_info(index, spki)?;
            SecurityInfo::ChipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo {
                protocol: protocol.clone(),
                parameter_id,
                public_key,
                key_id: int(1)?,
            })
        }
        [ID_TA] => SecurityInfo::TerminalAuthentication(TerminalAuthenticationInfo {
            version: int(0)?.ok_or(CardAccessError::MalformedInfo { index })?,
        }),
        _ => unknown(),
    };
    Ok(parsed)
}

/// `SubjectPublicKeyInfo { AlgorithmIdentifier, BIT STRING }` of a chip
/// key: the standardized parameter ID (if named) and the key bytes.
fn parse_public_key_info(index: usize, spki: &Tlv<'_>) -> Result<(Option<u32>, Vec<u8>), CardAccessError> {
    let malformed = CardAccessError::MalformedInfo { index };
    if spki.tag.0 != TAG_SEQUENCE {
        return Err(malformed);
    }
    let parts = spki.children()?;
    let [algorithm, key, ..] = parts.as_slice() else {
        return Err(malformed);
    };
    let parameter_id = standardized_parameter_id(index, algorithm)?;
    // BIT STRING: first content byte is the number of unused bits, 0 here.
    match (key.tag.0, key.value) {
        (0x03, [0x00, point @ ..]) if !point.is_empty() => Ok((parameter_id, point.to_vec())),
        _ => Err(malformed),
    }
}

/// The parameter ID of an `AlgorithmIdentifier { standardizedDomainParameters, INTEGER }`,
/// `None` for explicit domain parameters.
fn standardized_parameter_id(index: usize, algorithm: &Tlv<'_>) -> Result<Option<u32>, CardAccessError> {
    if algorithm.tag.0 != TAG_SEQUENCE {
        return Err(CardAccessError::MalformedInfo { index });
    }
    let parts = algorithm.children()?;
    match parts.as_slice() {
        [oid, id, ..] if oid.tag.0 == TAG_OID && oid.value == STANDARDIZED_DOMAIN_PARAMETERS => {
            if id.tag.0 != TAG_INTEGER {
                return Err(CardAccessError::MalformedInfo { index });
            }
            parse_uint(id.value).map(Some).ok_or(CardAccessError::BadInteger { index })
        }
        [oid, ..] if oid.tag.0 == TAG_OID => Ok(None),
        _ => Err(CardAccessError::MalformedInfo { index }),
    }
}

/// A non-negative DER INTEGER that fits `u32` (X.690 8.3).
pub(crate) fn parse_uint(value: &[u8]) -> Option<u32> {
    let (first, _) = value.split_first()?;
    if first & 0x80 != 0 {
        return None;
    }
    let digits = if *first == 0 && value.len() > 1 { &value[1..] } else { value };
    if digits.len() > 4 {
        return None;
    }
    Some(digits.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        crate::test_support::hex(s)
    }

    /// An EF.CardAccess shaped like the one of a German ID card issued
    /// since 2010 (five SecurityInfos), written byte by byte:
    fn german_id_card_access() -> Vec<u8> {
        let infos = [
            // TerminalAuthenticationInfo: SEQUENCE(13) { OID(8) id-TA
            // 0.4.0.127.0.7.2.2.2, INTEGER version 2 }
            "300D 0608 04007F0007020202 020102",
            // ChipAuthenticationInfo: SEQUENCE(18) { OID(10)
            // id-CA-ECDH-AES-CBC-CMAC-128 0.4.0.127.0.7.2.2.3.2.2,
            // INTEGER version 2, INTEGER keyId 65 }
            "3012 060A 04007F00070202030202 020102 020141",
            // PACEInfo: SEQUENCE(18) { OID(10) id-PACE-ECDH-GM-AES-CBC-CMAC-128
            // 0.4.0.127.0.7.2.2.4.2.2, INTEGER version 2, INTEGER parameterId 13 }
            "3012 060A 04007F00070202040202 020102 02010D",
            // ChipAuthenticationDomainParameterInfo: SEQUENCE(28) { OID(9)
            // id-CA-ECDH 0.4.0.127.0.7.2.2.3.2, AlgorithmIdentifier SEQUENCE(12)
            // { OID(7) standardizedDomainParameters 0.4.0.127.0.7.1.2,
            // INTEGER 13 }, INTEGER keyId 65 }
            "301C 0609 04007F000702020302 300C 0607 04007F00070102 02010D 020141",
            // CardInfoLocator: SEQUENCE(19) { OID(8) id-CI 0.4.0.127.0.7.2.2.6,
            // IA5String(7) "npa.xml" }, not interpreted
            "3013 0608 04007F0007020206 1607 6E70612E786D6C",
        ];
        let body: Vec<u8> = infos.iter().flat_map(|i| hex(i)).collect();
        tlv::encode(TAG_SET, &body)
    }

    #[test]
    fn german_id_card_access_parses_into_typed_infos() {
        let ca = CardAccess::parse(&german_id_card_access()).unwrap();
        assert_eq!(ca.infos.len(), 5);
        assert_eq!(ca.infos[0], SecurityInfo::TerminalAuthentication(TerminalAuthenticationInfo { version: 2 }));
        assert_eq!(
            ca.infos[1],
            SecurityInfo::ChipAuthentication(ChipAuthenticationInfo {
                protocol: ObjectIdentifier::smartcard(&[3, 2, 2]),
                cipher: Some(Cipher::Aes128),
                version: 2,
                key_id: Some(65),
            })
        );
        assert_eq!(
            ca.infos[2],
            SecurityInfo::Pace(PaceInfo {
                protocol: PaceProtocol::EcdhGenericMapping(Cipher::Aes128),
                version: 2,
                parameter_id: Some(BRAINPOOL_P256R1),
            })
        );
        assert_eq!(
            ca.infos[3],
            SecurityInfo::ChipAuthenticationDomainParameters(ChipAuthenticationDomainParameterInfo {
                protocol: ObjectIdentifier::smartcard(&[3, 2]),
                parameter_id: Some(13),
                key_id: Some(65),
            })
        );
        match &ca.infos[4] {
            SecurityInfo::Unknown { protocol, raw } => {
                assert_eq!(protocol.to_string(), "0.4.0.127.0.7.2.2.6");
                assert_eq!(raw.len(), 21);
            }
            other => panic!("expected an opaque info, got {other:?}"),
        }
        assert_eq!(ca.chip_authentication_infos().count(), 1);
    }

    #[test]
    fn pace_selection_prefers_strongest_supported_cipher_on_brainpool() {
        let infos = [
            // ECDH-GM AES-128 on brainpoolP256r1
            "3012 060A 04007F00070202040202 020102 02010D",
            // ECDH-GM AES-256 on brainpoolP256r1
            "3012 060A 04007F00070202040204 020102 02010D",
            // ECDH-GM AES-256 on another curve (parameter 12): not selected
            "3012 060A 04007F00070202040204 020102 02010C",
            // ECDH-IM AES-256 (integrated mapping): unsupported
            "3012 060A 04007F00070202040404 020102 02010D",
        ];
        let body: Vec<u8> = infos.iter().flat_map(|i| hex(i)).collect();
        let ca = CardAccess::parse(&tlv::encode(TAG_SET, &body)).unwrap();
        let chosen = ca.select_pace().unwrap();
        assert_eq!(chosen.protocol, PaceProtocol::EcdhGenericMapping(Cipher::Aes256));
        assert_eq!(chosen.protocol.oid().to_string(), "0.4.0.127.0.7.2.2.4.2.4");
        assert!(matches!(ca.infos[3], SecurityInfo::Pace(PaceInfo { protocol: PaceProtocol::Unsupported(_), .. })));
    }

    #[test]
    fn card_without_supported_pace_selects_nothing() {
        let body = hex("3012 060A 04007F00070202040102 020102 020100");
        let ca = CardAccess::parse(&tlv::encode(TAG_SET, &body)).unwrap();
        assert_eq!(ca.select_pace(), None);
    }

    #[test]
    fn non_set_outer_object_is_rejected() {
        assert_eq!(CardAccess::parse(&hex("3000")), Err(CardAccessError::NotASet(0x30)));
    }

    #[test]
    fn info_without_oid_is_rejected() {
        let body = hex("3003 020102");
        assert_eq!(CardAccess::parse(&tlv::encode(TAG_SET, &body)), Err(CardAccessError::MalformedInfo { index: 0 }));
        let body = hex("0400");
        assert_eq!(CardAccess::parse(&tlv::encode(TAG_SET, &body)), Err(CardAccessError::MalformedInfo { index: 0 }));
    }

    #[test]
    fn negative_or_oversized_version_is_rejected() {
        let body = hex("3012 060A 04007F00070202040202 0201FF 02010D");
        assert_eq!(CardAccess::parse(&tlv::encode(TAG_SET, &body)), Err(CardAccessError::BadInteger { index: 0 }));
        let body = hex("3016 060A 04007F00070202040202 020501FFFFFFFF 02010D");
        assert_eq!(CardAccess::parse(&tlv::encode(TAG_SET, &body)), Err(CardAccessError::BadInteger { index: 0 }));
    }

    #[test]
    fn pace_info_without_version_is_rejected() {
        let body = hex("300C 060A 04007F00070202040202");
        assert_eq!(CardAccess::parse(&tlv::encode(TAG_SET, &body)), Err(CardAccessError::MalformedInfo { index: 0 }));
    }

    #[test]
    fn truncated_card_access_is_a_tlv_error() {
        let mut der = german_id_card_access();
        der.truncate(der.len() - 3);
        assert!(matches!(CardAccess::parse(&der), Err(CardAccessError::Tlv(TlvError::Truncated { .. }))));
    }

    /// A ChipAuthenticationPublicKeyInfo shaped like the German card's:
    /// SEQUENCE { OID id-PK-ECDH 0.4.0.127.0.7.2.2.1.2, SubjectPublicKeyInfo
    /// SEQUENCE { AlgorithmIdentifier SEQUENCE { standardizedDomainParameters,
    /// INTEGER 13 }, BIT STRING (0 unused bits) point }, INTEGER keyId 65 }.
    fn chip_key_info(point: &[u8]) -> Vec<u8> {
        let mut bits = vec![0x00];
        bits.extend_from_slice(point);
        let mut spki = tlv::encode(TAG_SEQUENCE, &hex("0607 04007F00070102 02010D"));
        tlv::encode_into(0x03, &bits, &mut spki);
        let mut info = tlv::encode(TAG_OID, &hex("04007F000702020102"));
        tlv::encode_into(TAG_SEQUENCE, &spki, &mut info);
        info.extend(hex("020141"));
        tlv::encode(TAG_SEQUENCE, &info)
    }

    /// A minimal CMS SignedData around SecurityInfos (RFC 5652 5.1): version,
    /// empty digestAlgorithms, encapContentInfo with id-SecurityObject, empty signerInfos.
    fn card_security(security_infos: &[u8]) -> Vec<u8> {
        let mut encap = tlv::encode(TAG_OID, &hex("04007F0007030201"));
        tlv::encode_into(0xA0, &tlv::encode(0x04, security_infos), &mut encap);
        let mut signed = hex("020103 3100");
        tlv::encode_into(TAG_SEQUENCE, &encap, &mut signed);
        signed.extend(hex("3100"));
        let mut content_info = tlv::encode(TAG_OID, &ID_SIGNED_DATA);
        tlv::encode_into(0xA0, &tlv::encode(TAG_SEQUENCE, &signed), &mut content_info);
        tlv::encode(TAG_SEQUENCE, &content_info)
    }

    #[test]
    fn chip_key_is_found_in_card_security() {
        let point = [0x04u8; 65];
        let infos = tlv::encode(TAG_SET, &chip_key_info(&point));
        let parsed = CardAccess::parse_card_security_unverified(&card_security(&infos)).unwrap();
        let key = parsed.chip_authentication_public_key(Some(65)).unwrap();
        assert_eq!(key.public_key, point.to_vec());
        assert_eq!(key.parameter_id, Some(BRAINPOOL_P256R1));
        assert_eq!(key.protocol.to_string(), "0.4.0.127.0.7.2.2.1.2");
        assert!(parsed.chip_authentication_public_key(Some(66)).is_none());
    }

    #[test]
    fn card_security_that_is_not_signed_data_is_rejected() {
        assert_eq!(
            CardAccess::parse_card_security_unverified(&german_id_card_access()),
            Err(CardAccessError::Tlv(TlvError::UnexpectedTag { expected: 0x30, found: 0x31 }))
        );
        let wrong_type = tlv::encode(TAG_SEQUENCE, &hex("0609 2A864886F70D010701 A000"));
        assert_eq!(CardAccess::parse_card_security_unverified(&wrong_type), Err(CardAccessError::NotSignedData));
    }

    #[test]
    fn integers_with_leading_zero_parse() {
        assert_eq!(parse_uint(&[0x00, 0x80]), Some(128));
        assert_eq!(parse_uint(&[0x00, 0xFF, 0xFF, 0xFF, 0xFF]), Some(u32::MAX));
        assert_eq!(parse_uint(&[]), None);
    }
}
