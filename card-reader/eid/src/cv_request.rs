// SPDX-License-Identifier: GPL-3.0-or-later
//! CV certificate requests (BSI TR-03110-3 C.2): how a terminal asks its
//! document verifier for its next authorisation.
//!
//! ```text
//! [67 authentication]                       (C.2.4, where a current key exists)
//!   7F21 CV certificate request
//!     7F4E body
//!       5F29 profile identifier (0)
//!       [42 CAR]                            the DV the request is meant for (C.2.2)
//!       7F49 public key { 06 id-TA-ECDSA-SHA-256, 81..87 domain parameters, 86 point }
//!       5F20 CHR                            the holder reference asked for
//!     5F37 inner signature                  by the new key, over the body (proof of possession)
//!   [42 CAR]                                the current certificate's CHR
//!   [5F37 outer signature]                  by the current key, over 7F21 || 42
//! ```
//!
//! The public key carries the full domain parameters (C.2.3): the document
//! verifier reconstructs the key from the request alone to check the inner
//! signature. Keys and signatures are brainpoolP256r1 with SHA-256, the
//! German eID PKI's scheme, as in [`crate::cvc`].

use bp256::BrainpoolP256r1;
use ecdsa::signature::hazmat::PrehashVerifier;
use ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::terminal_auth::{TaError, TerminalKey, TerminalSigner};
use crate::tlv::{self, TlvError};

/// `id-TA-ECDSA-SHA-256` = 0.4.0.127.0.7.2.2.2.2.3 (TR-03110-3 A.2.1.1).
const ID_TA_ECDSA_SHA_256: [u8; 10] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02, 0x02, 0x03];

/// The domain parameters of brainpoolP256r1 (RFC 5639 3.4) as public key
/// data objects 81 (p), 82 (a), 83 (b), 84 (G), 85 (n), 87 (h)
/// (TR-03110-3 D.3.1).
mod brainpool_p256r1 {
    pub const P: [u8; 32] = hex32("A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377");
    pub const A: [u8; 32] = hex32("7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9");
    pub const B: [u8; 32] = hex32("26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6");
    pub const GX: [u8; 32] = hex32("8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262");
    pub const GY: [u8; 32] = hex32("547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997");
    pub const N: [u8; 32] = hex32("A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7");
    pub const H: [u8; 1] = [0x01];

    const fn hex32(text: &str) -> [u8; 32] {
        let digits = text.as_bytes();
        let mut out = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            out[i] = nibble(digits[2 * i]) << 4 | nibble(digits[2 * i + 1]);
            i += 1;
        }
        out
    }

    const fn nibble(digit: u8) -> u8 {
        match digit {
            b'0'..=b'9' => digit - b'0',
            b'A'..=b'F' => digit - b'A' + 10,
            _ => panic!("not an upper-case hex digit"),
        }
    }
}

/// Why a request could not be made or read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CvRequestError {
    /// Not valid TLV, or a required data object is missing.
    #[error("certificate request is not valid TLV: {0}")]
    Tlv(#[from] TlvError),
    /// A holder reference is not 2 country letters, at most 9 mnemonic
    /// characters and a 5-character sequence number (TR-03110-3 A.6.1).
    #[error("{0:?} is not a certificate holder reference (country, mnemonic, 5-character sequence number)")]
    BadReference(String),
    /// The sequence number cannot be counted on (not five digits, or 99999).
    #[error("the sequence number of {0:?} cannot be incremented; ask the document verifier for a new holder mnemonic")]
    SequenceExhausted(String),
    /// The request's key is not a brainpoolP256r1 ECDSA-SHA-256 key.
    #[error("the request's public key is not brainpoolP256r1 with ECDSA-SHA-256")]
    UnsupportedKey,
    /// The inner signature does not verify with the request's own key.
    #[error("the request's inner signature does not verify with its public key")]
    BadInnerSignature,
    /// Signing failed.
    #[error(transparent)]
    Signing(#[from] TaError),
}

/// A parsed CV certificate request, inner signature verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CvRequest {
    /// The holder reference asked for.
    pub chr: String,
    /// The document verifier the request is meant for, if named.
    pub car: Option<String>,
    /// The new public key, uncompressed.
    pub public_key: Vec<u8>,
    /// The current certificate's CHR, if the request is authenticated
    /// (its outer signature is the document verifier's to check, with the
    /// certificate it issued).
    pub outer_car: Option<String>,
}

/// Makes the request for `chr`, addressed to the document verifier `car`,
/// for the new key `key` (inner signature, C.2.1), and, when `current` is
/// given (the current certificate's CHR and key), authenticates it with
/// the outer signature (C.2.4).
pub fn request(
    key: &TerminalKey,
    chr: &str,
    car: Option<&str>,
    current: Option<(&str, &dyn TerminalSigner)>,
) -> Result<Vec<u8>, CvRequestError> {
    check_reference(chr)?;
    let mut body = Vec::new();
    tlv::encode_into(0x5F29, &[0x00], &mut body);
    if let Some(car) = car {
        tlv::encode_into(0x42, car.as_bytes(), &mut body);
    }
    tlv::encode_into(0x7F49, &public_key_object(&key.public_key()), &mut body);
    tlv::encode_into(0x5F20, chr.as_bytes(), &mut body);
    let body = tlv::encode(0x7F4E, &body);
    let mut inner = body.clone();
    tlv::encode_into(0x5F37, &key.sign(&body)?, &mut inner);
    let inner = tlv::encode(0x7F21, &inner);
    let Some((outer_car, signer)) = current else { return Ok(inner) };
    check_reference(outer_car)?;
    let mut signed = inner;
    tlv::encode_into(0x42, outer_car.as_bytes(), &mut signed);
    let outer_signature = signer.sign(&signed)?;
    tlv::encode_into(0x5F37, &outer_signature, &mut signed);
    Ok(tlv::encode(0x67, &signed))
}

/// The public key data object's value with the full domain parameters.
fn public_key_object(point: &[u8]) -> Vec<u8> {
    use brainpool_p256r1::{A, B, GX, GY, H, N, P};
    let mut generator = vec![0x04];
    generator.extend_from_slice(&GX);
    generator.extend_from_slice(&GY);
    let mut out = Vec::new();
    tlv::encode_into(0x06, &ID_TA_ECDSA_SHA_256, &mut out);
    for (tag, value) in [(0x81, &P[..]), (0x82, &A), (0x83, &B), (0x84, &generator), (0x85, &N), (0x86, point)] {
        tlv::encode_into(tag, value, &mut out);
    }
    tlv::encode_into(0x87, &H, &mut out);
    out
}

/// Checks the shape of a holder reference (TR-03110-3 A.6.1).
fn check_reference(reference: &str) -> Result<(), CvRequestError> {
    let bad = || CvRequestError::BadReference(reference.to_string());
    let chars: Vec<char> = reference.chars().collect();
    if !(7..=16).contains(&chars.len()) || !chars[..2].iter().all(char::is_ascii_uppercase) {
        return Err(bad());
    }
    if !chars.iter().all(|c| c.is_ascii_alphanumeric()) {
        return Err(bad());
    }
    Ok(())
}

/// The holder reference that follows `chr`: the same country and mnemonic,
/// the numeric sequence number plus one (A.6.1.1: the sequence number
/// identifies the key; a renewal uses a new key and so a new number).
pub fn next_reference(chr: &str) -> Result<String, CvRequestError> {
    check_reference(chr)?;
    let (stem, sequence) = chr.split_at(chr.len() - 5);
    let number: u32 = sequence
        .parse()
        .ok()
        .filter(|_| sequence.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| CvRequestError::SequenceExhausted(chr.to_string()))?;
    if number >= 99_999 {
        return Err(CvRequestError::SequenceExhausted(chr.to_string()));
    }
    Ok(format!("{stem}{:05}", number + 1))
}

impl CvRequest {
    /// Parses a request (authenticated or not) and verifies its inner
    /// signature.
    pub fn parse(der: &[u8]) -> Result<Self, CvRequestError> {
        let top = tlv::parse_single(der)?;
        let (inner, outer_car) = if top.tag.0 == 0x67 {
            let parts = top.children()?;
            let inner = tlv::require(&parts, 0x7F21)?;
            tlv::require(&parts, 0x5F37)?;
            (inner, Some(text(tlv::require(&parts, 0x42)?.value)))
        } else {
            (top.expect_tag(0x7F21)?, None)
        };
        let parts = inner.children()?;
        let body = tlv::require(&parts, 0x7F4E)?;
        let signature = tlv::require(&parts, 0x5F37)?;
        let fields = body.children()?;
        let key = tlv::require(&fields, 0x7F49)?.children()?;
        if tlv::require(&key, 0x06)?.value != ID_TA_ECDSA_SHA_256
            || tlv::find(&key, 0x81).is_some_and(|p| p.value != brainpool_p256r1::P)
        {
            return Err(CvRequestError::UnsupportedKey);
        }
        let public_key = tlv::require(&key, 0x86)?.value.to_vec();
        let verifying = VerifyingKey::<BrainpoolP256r1>::from_sec1_bytes(&public_key)
            .map_err(|_| CvRequestError::UnsupportedKey)?;
        let signature =
            Signature::<BrainpoolP256r1>::from_slice(signature.value).map_err(|_| CvRequestError::BadInnerSignature)?;
        verifying
            .verify_prehash(&Sha256::digest(body.raw), &signature)
            .map_err(|_| CvRequestError::BadInnerSignature)?;
        Ok(Self {
            chr: text(tlv::require(&fields, 0x5F20)?.value),
            car: tlv::find(&fields, 0x42).map(|car| text(car.value)),
            public_key,
            outer_car,
        })
    }
}

fn text(value: &[u8]) -> String {
    // References are ISO/IEC 8859-1 (TR-03110-3 A.6.1); Latin-1 maps 1:1 to Unicode.
    value.iter().map(|b| char::from(*b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::OsRandomness;
    use bp256::r1::ProjectivePoint;
    use elliptic_curve::Curve;
    use elliptic_curve::sec1::ToSec1Point;
    use num_bigint::BigUint;

    fn key() -> TerminalKey {
        TerminalKey::generate(&mut OsRandomness).unwrap()
    }

    #[test]
    fn domain_parameters_are_brainpool_p256r1() {
        use brainpool_p256r1::{A, B, GX, GY, N, P};
        let generator = ProjectivePoint::GENERATOR.to_affine().to_sec1_point(false);
        assert_eq!(&generator.as_bytes()[1..33], GX);
        assert_eq!(&generator.as_bytes()[33..], GY);
        assert_eq!(BrainpoolP256r1::ORDER.to_be_bytes().as_slice(), N);
        // G lies on y² = x³ + ax + b over F_p, so a and b are the curve's.
        let [p, a, b, x, y] = [P, A, B, GX, GY].map(|v| BigUint::from_bytes_be(&v));
        assert_eq!(y.modpow(&2u8.into(), &p), (x.modpow(&3u8.into(), &p) + a * &x + b) % &p);
    }

    #[test]
    fn request_layout_follows_tr_03110_3_c2() {
        let new = key();
        let der = request(&new, "DETESTKIOSK00002", Some("DETESTDVEID0001"), None).unwrap();
        let top = tlv::parse_single(&der).unwrap().expect_tag(0x7F21).unwrap();
        let parts = top.children().unwrap();
        assert_eq!(parts.iter().map(|p| p.tag.0).collect::<Vec<_>>(), [0x7F4E, 0x5F37]);
        let fields = parts[0].children().unwrap();
        assert_eq!(fields.iter().map(|f| f.tag.0).collect::<Vec<_>>(), [0x5F29, 0x42, 0x7F49, 0x5F20]);
        let key_parts = fields[2].children().unwrap();
        assert_eq!(
            key_parts.iter().map(|f| f.tag.0).collect::<Vec<_>>(),
            [0x06, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87]
        );
        assert_eq!(parts[1].value.len(), 64, "plain r || s (TR-03111 5.2.1)");
        let parsed = CvRequest::parse(&der).unwrap();
        assert_eq!(parsed.chr, "DETESTKIOSK00002");
        assert_eq!(parsed.car.as_deref(), Some("DETESTDVEID0001"));
        assert_eq!(parsed.public_key, new.public_key());
        assert_eq!(parsed.outer_car, None);
    }

    #[test]
    fn authenticated_request_is_signed_by_the_current_key_over_request_and_car() {
        let (new, current) = (key(), key());
        let der = request(&new, "DETESTKIOSK00002", None, Some(("DETESTKIOSK00001", &current))).unwrap();
        let top = tlv::parse_single(&der).unwrap().expect_tag(0x67).unwrap();
        let parts = top.children().unwrap();
        assert_eq!(parts.iter().map(|p| p.tag.0).collect::<Vec<_>>(), [0x7F21, 0x42, 0x5F37]);
        let signed: Vec<u8> = [parts[0].raw, parts[1].raw].concat();
        let verifying = VerifyingKey::<BrainpoolP256r1>::from_sec1_bytes(&current.public_key()).unwrap();
        let signature = Signature::<BrainpoolP256r1>::from_slice(parts[2].value).unwrap();
        verifying.verify_prehash(&Sha256::digest(&signed), &signature).unwrap();
        assert_eq!(CvRequest::parse(&der).unwrap().outer_car.as_deref(), Some("DETESTKIOSK00001"));
    }

    #[test]
    fn a_request_with_a_changed_key_fails_its_inner_signature() {
        let new = key();
        let der = request(&new, "DETESTKIOSK00002", None, None).unwrap();
        let at = der.windows(65).position(|w| w == new.public_key()).unwrap();
        let mut forged = der.clone();
        forged[at..at + 65].copy_from_slice(&key().public_key());
        assert_eq!(CvRequest::parse(&forged), Err(CvRequestError::BadInnerSignature));
    }

    #[test]
    fn next_reference_counts_the_sequence_number() {
        assert_eq!(next_reference("DETESTKIOSK00001").unwrap(), "DETESTKIOSK00002");
        assert_eq!(next_reference("DEKIOSK00099").unwrap(), "DEKIOSK00100");
        assert!(matches!(next_reference("DETESTKIOSK99999"), Err(CvRequestError::SequenceExhausted(_))));
        assert!(matches!(next_reference("DETESTKIOSKA0001"), Err(CvRequestError::SequenceExhausted(_))));
        assert!(matches!(next_reference("de1"), Err(CvRequestError::BadReference(_))));
    }
}
