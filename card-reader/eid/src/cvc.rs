// SPDX-License-Identifier: GPL-3.0-or-later
//! Card-verifiable certificates (BSI TR-03110-3 C.1) and the terminal's
//! certificate chain CVCA → DV → terminal (TR-03110-3 2.5).
//!
//! ```text
//! 7F21 CV certificate
//!   7F4E body
//!     5F29 profile identifier (0)
//!     42   certification authority reference (CAR)
//!     7F49 public key { 06 algorithm, [81..85 domain parameters], 86 point, [87 cofactor] }
//!     5F20 certificate holder reference (CHR)
//!     7F4C CHAT
//!     5F25 effective date, 5F24 expiration date (6 unpacked BCD digits YYMMDD)
//!     [65  extensions]
//!   5F37 signature (plain r || s, BSI TR-03111 5.2.1) over the encoded body
//! ```
//!
//! Only ECDSA on brainpoolP256r1 is implemented, which is what the German
//! eID PKI uses for its 256-bit generation.

use bp256::BrainpoolP256r1;
use ecdsa::signature::hazmat::PrehashVerifier;
use ecdsa::{Signature, VerifyingKey};
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use thiserror::Error;

use crate::card_access::ObjectIdentifier;
use crate::chat::{Chat, ChatError, Role};
use crate::tlv::{self, Tlv, TlvError};

/// `id-TA-ECDSA` = 0.4.0.127.0.7.2.2.2.2 (TR-03110-3 A.2.1.1); the last arc names the hash.
const ID_TA_ECDSA: [u8; 9] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02, 0x02];
/// The prime p of brainpoolP256r1 (RFC 5639 3.4), to recognise explicit domain parameters.
const BRAINPOOL_P256R1_P: [u8; 32] = [
    0xA9, 0xFB, 0x57, 0xDB, 0xA1, 0xEE, 0xA9, 0xBC, 0x3E, 0x66, 0x0A, 0x90, 0x9D, 0x83, 0x8D, 0x72, 0x6E, 0x3B, 0xF6,
    0x23, 0xD5, 0x26, 0x20, 0x28, 0x20, 0x13, 0x48, 0x1D, 0x1F, 0x6E, 0x53, 0x77,
];

/// Why a certificate could not be parsed or a chain does not hold.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CvcError {
    /// Not valid TLV.
    #[error("certificate is not valid TLV: {0}")]
    Tlv(#[from] TlvError),
    /// The CHAT inside the certificate is malformed or not for an authentication terminal.
    #[error("certificate CHAT: {0}")]
    Chat(#[from] ChatError),
    /// The profile identifier is not 0 (TR-03110-3 C.1.1).
    #[error("unsupported certificate profile identifier {0:?}")]
    UnsupportedProfile(Vec<u8>),
    /// A date is not six BCD digits forming a valid calendar date.
    #[error("malformed certificate date")]
    BadDate,
    /// The signature algorithm is not ECDSA (e.g. RSA) or uses an unknown hash.
    #[error("unsupported signature algorithm {0}")]
    UnsupportedAlgorithm(ObjectIdentifier),
    /// Explicit domain parameters other than brainpoolP256r1.
    #[error("domain parameters are not brainpoolP256r1")]
    UnsupportedCurve,
    /// The public key point is malformed or not on the curve.
    #[error("certificate public key is invalid")]
    BadPublicKey,
    /// The signature is not 64 bytes of r || s.
    #[error("signature encoding is invalid")]
    BadSignatureEncoding,
    /// The signature does not verify with the issuer's key.
    #[error("signature of {chr} does not verify with the key of {issuer}")]
    BadSignature {
        /// Holder of the certificate whose signature failed.
        chr: String,
        /// The issuer whose key was used.
        issuer: String,
    },
    /// A certificate's CAR does not name the certificate above it.
    #[error("{chr} was issued by {car}, not by {expected}")]
    WrongIssuer {
        /// The certificate holder.
        chr: String,
        /// Its CAR.
        car: String,
        /// The CHR of the certificate that should have issued it.
        expected: String,
    },
    /// A certificate has the wrong role for its position in the chain.
    #[error("{chr} has role {role:?} where the chain needs {expected:?}")]
    WrongRole {
        /// The certificate holder.
        chr: String,
        /// Its role.
        role: Role,
        /// The role needed.
        expected: &'static str,
    },
    /// A certificate is expired or not yet valid on the given date.
    #[error("{chr} is not valid on {date:?}")]
    NotValid {
        /// The certificate holder.
        chr: String,
        /// The date checked.
        date: CvcDate,
    },
}

/// A certificate date (TR-03110-3 D.2.1.3: 20YY-MM-DD).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CvcDate {
    /// Year, 2000 to 2099.
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day, 1 to 31.
    pub day: u8,
}

impl std::fmt::Display for CvcDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl CvcDate {
    /// Decodes six unpacked BCD digits `Y Y M M D D`.
    pub fn from_bcd(digits: &[u8]) -> Result<Self, CvcError> {
        let d: [u8; 6] = digits.try_into().map_err(|_| CvcError::BadDate)?;
        if d.iter().any(|x| *x > 9) {
            return Err(CvcError::BadDate);
        }
        let date = CvcDate { year: 2000 + u16::from(d[0] * 10 + d[1]), month: d[2] * 10 + d[3], day: d[4] * 10 + d[5] };
        if !(1..=12).contains(&date.month) || date.day == 0 || date.day > days_in_month(date.year, date.month) {
            return Err(CvcError::BadDate);
        }
        Ok(date)
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        // Years are 2000 to 2099, where every fourth year is a leap year.
        2 if year.is_multiple_of(4) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The hash of an `id-TA-ECDSA-*` scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureHash {
    /// SHA-1.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl SignatureHash {
    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            SignatureHash::Sha1 => Sha1::digest(data).to_vec(),
            SignatureHash::Sha224 => Sha224::digest(data).to_vec(),
            SignatureHash::Sha256 => Sha256::digest(data).to_vec(),
            SignatureHash::Sha384 => Sha384::digest(data).to_vec(),
            SignatureHash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// A parsed CV certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cvc {
    /// Certification authority reference (the issuer's CHR).
    pub car: String,
    /// Certificate holder reference.
    pub chr: String,
    /// The signature scheme of the holder's key.
    pub hash: SignatureHash,
    /// The holder's public key, uncompressed.
    pub public_key: Vec<u8>,
    /// Whether explicit domain parameters were included (CVCA certificates).
    pub has_domain_parameters: bool,
    /// The holder's authorisation.
    pub chat: Chat,
    /// First day of validity.
    pub effective: CvcDate,
    /// Last day of validity.
    pub expiration: CvcDate,
    /// Encoded certificate extensions (tag `65`), kept opaque.
    pub extensions: Option<Vec<u8>>,
    body: Vec<u8>,
    signature: Vec<u8>,
    raw: Vec<u8>,
}

fn text(value: &[u8]) -> String {
    // References are ISO/IEC 8859-1 (TR-03110-3 A.6.1); Latin-1 maps 1:1 to Unicode.
    value.iter().map(|b| char::from(*b)).collect()
}

impl Cvc {
    /// Parses a DER-encoded CV certificate.
    pub fn parse(der: &[u8]) -> Result<Self, CvcError> {
        let cert = tlv::parse_single(der)?.expect_tag(0x7F21)?;
        let parts = cert.children()?;
        let body = tlv::require(&parts, 0x7F4E)?;
        let signature = tlv::require(&parts, 0x5F37)?;
        let fields = body.children()?;
        let profile = tlv::require(&fields, 0x5F29)?;
        if profile.value != [0x00] {
            return Err(CvcError::UnsupportedProfile(profile.value.to_vec()));
        }
        let (hash, public_key, has_domain_parameters) = parse_public_key(tlv::require(&fields, 0x7F49)?)?;
        let chat = Chat::parse_value(tlv::require(&fields, 0x7F4C)?.value)?;
        Ok(Self {
            car: text(tlv::require(&fields, 0x42)?.value),
            chr: text(tlv::require(&fields, 0x5F20)?.value),
            hash,
            public_key,
            has_domain_parameters,
            chat,
            effective: CvcDate::from_bcd(tlv::require(&fields, 0x5F25)?.value)?,
            expiration: CvcDate::from_bcd(tlv::require(&fields, 0x5F24)?.value)?,
            extensions: tlv::find(&fields, 0x65).map(|t| t.raw.to_vec()),
            body: body.raw.to_vec(),
            signature: signature.value.to_vec(),
            raw: der.to_vec(),
        })
    }

    /// The complete encoded certificate (`7F21 ...`) as it was parsed.
    pub fn to_der(&self) -> &[u8] {
        &self.raw
    }

    /// Body followed by signature: the data of PSO:Verify Certificate
    /// (TR-03110-3 B.11.4).
    pub fn body_and_signature(&self) -> Vec<u8> {
        let mut out = self.body.clone();
        tlv::encode_into(0x5F37, &self.signature, &mut out);
        out
    }

    /// Verifies this certificate's signature with `issuer`'s public key.
    pub fn verify_signed_by(&self, issuer: &Cvc) -> Result<(), CvcError> {
        let key =
            VerifyingKey::<BrainpoolP256r1>::from_sec1_bytes(&issuer.public_key).map_err(|_| CvcError::BadPublicKey)?;
        let signature =
            Signature::<BrainpoolP256r1>::from_slice(&self.signature).map_err(|_| CvcError::BadSignatureEncoding)?;
        key.verify_prehash(&issuer.hash.digest(&self.body), &signature)
            .map_err(|_| CvcError::BadSignature { chr: self.chr.clone(), issuer: issuer.chr.clone() })
    }

    /// Whether `date` lies within the validity period.
    pub fn is_valid_on(&self, date: CvcDate) -> bool {
        self.effective <= date && date <= self.expiration
    }
}

fn parse_public_key(key: Tlv<'_>) -> Result<(SignatureHash, Vec<u8>, bool), CvcError> {
    let parts = key.children()?;
    let oid = tlv::require(&parts, 0x06)?.value;
    let hash = match oid.strip_prefix(&ID_TA_ECDSA[..]) {
        Some([1]) => SignatureHash::Sha1,
        Some([2]) => SignatureHash::Sha224,
        Some([3]) => SignatureHash::Sha256,
        Some([4]) => SignatureHash::Sha384,
        Some([5]) => SignatureHash::Sha512,
        _ => return Err(CvcError::UnsupportedAlgorithm(ObjectIdentifier(oid.to_vec()))),
    };
    let has_domain_parameters = match tlv::find(&parts, 0x81) {
        Some(p) if p.value == BRAINPOOL_P256R1_P => true,
        Some(_) => return Err(CvcError::UnsupportedCurve),
        None => false,
    };
    let point = tlv::require(&parts, 0x86)?.value;
    crate::crypto::point_from_uncompressed(point).map_err(|_| CvcError::BadPublicKey)?;
    Ok((hash, point.to_vec(), has_domain_parameters))
}

/// The terminal's certificate chain, checked against a trusted CVCA.
#[derive(Clone, Debug)]
pub struct TerminalChain {
    /// The document verifier certificate.
    pub dv: Cvc,
    /// The terminal certificate.
    pub terminal: Cvc,
    /// The rights the chain effectively grants (intersection of the CHATs).
    pub effective_chat: Chat,
}

impl TerminalChain {
    /// Checks `cvca → dv → terminal`: issuer references, roles, signatures
    /// (TR-03110-3 2.5) and validity of DV and terminal on `today`.
    pub fn verify(cvca: &Cvc, dv: Cvc, terminal: Cvc, today: CvcDate) -> Result<Self, CvcError> {
        if cvca.chat.role() != Role::Cvca {
            return Err(CvcError::WrongRole { chr: cvca.chr.clone(), role: cvca.chat.role(), expected: "CVCA" });
        }
        cvca.verify_signed_by(cvca)?;
        if !matches!(dv.chat.role(), Role::DvOfficialDomestic | Role::DvNonOfficial) {
            return Err(CvcError::WrongRole {
                chr: dv.chr.clone(),
                role: dv.chat.role(),
                expected: "document verifier",
            });
        }
        if terminal.chat.role() != Role::Terminal {
            return Err(CvcError::WrongRole {
                chr: terminal.chr.clone(),
                role: terminal.chat.role(),
                expected: "terminal",
            });
        }
        for (cert, issuer) in [(&dv, cvca), (&terminal, &dv)] {
            if cert.car != issuer.chr {
                return Err(CvcError::WrongIssuer {
                    chr: cert.chr.clone(),
                    car: cert.car.clone(),
                    expected: issuer.chr.clone(),
                });
            }
            cert.verify_signed_by(issuer)?;
            if !cert.is_valid_on(today) {
                return Err(CvcError::NotValid { chr: cert.chr.clone(), date: today });
            }
        }
        let effective_chat = terminal.chat.intersect(&dv.chat).intersect(&cvca.chat);
        Ok(Self { dv, terminal, effective_chat })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcd_dates_decode_and_reject_impossible_days() {
        assert_eq!(CvcDate::from_bcd(&[2, 8, 0, 2, 2, 9]).unwrap(), CvcDate { year: 2028, month: 2, day: 29 });
        assert_eq!(CvcDate::from_bcd(&[2, 7, 0, 2, 2, 9]), Err(CvcError::BadDate));
        assert_eq!(CvcDate::from_bcd(&[2, 7, 1, 3, 0, 1]), Err(CvcError::BadDate));
        assert_eq!(CvcDate::from_bcd(&[2, 7, 0, 1, 0, 0x0A]), Err(CvcError::BadDate));
        assert_eq!(CvcDate::from_bcd(&[2, 7, 0, 1, 0]), Err(CvcError::BadDate));
    }

    #[test]
    fn truncated_or_foreign_structures_are_rejected() {
        assert!(matches!(Cvc::parse(&[0x7F, 0x21, 0x05, 0x7F]), Err(CvcError::Tlv(_))));
        assert!(matches!(Cvc::parse(&[0x30, 0x00]), Err(CvcError::Tlv(TlvError::UnexpectedTag { .. }))));
        assert!(matches!(Cvc::parse(&[0x7F, 0x21, 0x00]), Err(CvcError::Tlv(TlvError::Missing { tag: 0x7F4E }))));
    }
}
