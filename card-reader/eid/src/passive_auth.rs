// SPDX-License-Identifier: GPL-3.0-or-later
//! Passive authentication of `EF.CardSecurity` (BSI TR-03110-3 A.1.2 and
//! 3.4, ICAO Doc 9303-11 5.1 and 9303-12): the SecurityInfos holding the
//! card's static Chip Authentication key are signed by a document signer
//! (CMS SignedData, RFC 5652), whose X.509 certificate must be issued by a
//! country signing CA (CSCA) from the configured trust list.
//!
//! Only a [`VerifiedCardSecurity`] can hand out the chip key that
//! [`crate::chip_auth::start_verified`] uses, so a successful Chip
//! Authentication proves the card holds a key the issuing state signed: a
//! fake card cannot feed a fake identity.
//!
//! Checks, in order: content type `id-SecurityObject`; the one SignerInfo's
//! `messageDigest` attribute equals the hash of the SecurityInfos and its
//! `contentType` attribute matches (RFC 5652 5.4, 11.1); the signature over
//! the DER `SET OF` signed attributes verifies with the document signer key;
//! the document signer certificate names a trusted CSCA as issuer, its
//! signature verifies with that CSCA's key, and it is valid on the day
//! checked. The signatures are those of [`crate::signature`]: ECDSA on the
//! Brainpool and NIST curves with named or explicit parameters, RSA with
//! PKCS #1 v1.5 or PSS, SHA-224 to SHA-512.

use thiserror::Error;

use crate::card_access::{CardAccess, CardAccessError, ChipAuthenticationPublicKeyInfo, ObjectIdentifier};
use crate::cvc::CvcDate;
use crate::signature::{Hash, PublicKey, SignatureAlgorithm};
use crate::tlv::{self, Tlv, TlvError};

const ID_SIGNED_DATA: [u8; 9] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
/// `id-SecurityObject` = 0.4.0.127.0.7.3.2.1 (TR-03110-3 A.1.2.2).
const ID_SECURITY_OBJECT: [u8; 8] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x02, 0x01];
/// `id-icao-cscaMasterList` = 2.23.136.1.1.2 (ICAO Doc 9303-12 9).
const ID_CSCA_MASTER_LIST: [u8; 6] = [0x67, 0x81, 0x08, 0x01, 0x01, 0x02];
const ID_CONTENT_TYPE: [u8; 9] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03];
const ID_MESSAGE_DIGEST: [u8; 9] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04];

/// Why `EF.CardSecurity` is not authentic (or could not be checked).
/// Every variant means: do not use this card's data.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PaError {
    /// Not valid DER.
    #[error("EF.CardSecurity is not valid DER: {0}")]
    Tlv(#[from] TlvError),
    /// Not a CMS SignedData with one SignerInfo and signed attributes.
    #[error("EF.CardSecurity is not a CMS SignedData of the expected shape")]
    MalformedSignedData,
    /// The encapsulated content is not `id-SecurityObject`, or the
    /// `contentType` attribute names another type.
    #[error("signed content is not a security object")]
    WrongContentType,
    /// The `messageDigest` attribute does not match the SecurityInfos.
    #[error("SecurityInfos do not match the signed digest")]
    DigestMismatch,
    /// A digest, signature or key algorithm, or a named curve, that eID
    /// documents may not use (the OID is the one that is not supported).
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(ObjectIdentifier),
    /// A key's explicit elliptic-curve domain parameters are those of no
    /// curve eID documents may use.
    #[error("the key's explicit curve parameters match no curve eID documents use")]
    UnknownDomainParameters,
    /// An RSA key outside the sizes eID documents use.
    #[error(
        "an RSA key of {modulus_bits} bits with a {exponent_bits}-bit exponent; eID documents use 2048 to 8192 bits and a small odd exponent"
    )]
    RsaKeySize {
        /// The modulus's length.
        modulus_bits: u64,
        /// The public exponent's length.
        exponent_bits: u64,
    },
    /// The document signer certificate named by the SignerInfo is not included.
    #[error("document signer certificate is missing")]
    SignerCertificateMissing,
    /// A certificate is not a parsable X.509 certificate.
    #[error("malformed X.509 certificate")]
    MalformedCertificate,
    /// The document signer's signature over the signed attributes is invalid.
    #[error("document signer signature is invalid")]
    BadSignature,
    /// No CSCA in the trust list issued the document signer certificate.
    #[error("document signer was not issued by a trusted CSCA")]
    UntrustedSigner,
    /// The CSCA's signature on the document signer certificate is invalid.
    #[error("document signer certificate signature is invalid")]
    BadCertificateSignature,
    /// The document signer certificate is not valid on the checked date:
    /// expired, or not yet valid.
    #[error("document signer certificate is valid from {not_before} to {not_after}, not on {on}")]
    SignerCertificateNotValid {
        /// The date checked.
        on: CvcDate,
        /// The certificate's first day.
        not_before: CvcDate,
        /// The certificate's last day.
        not_after: CvcDate,
    },
    /// The certificate is on its issuer's revocation list.
    #[error("certificate {serial} of {issuer} is revoked")]
    Revoked {
        /// Its serial number, hex.
        serial: String,
        /// Its issuer (the issuing CSCA's name).
        issuer: String,
    },
    /// A CRL or Master List is not of the expected shape.
    #[error("malformed {0}")]
    MalformedList(&'static str),
    /// No CSCA in the trust list issued this CRL, or its signature does not
    /// verify with any CSCA of that name.
    #[error("the CRL of {0} is not signed by a trusted CSCA")]
    UntrustedCrl(String),
    /// The SecurityInfos inside are malformed.
    #[error("signed SecurityInfos: {0}")]
    SecurityInfos(#[from] CardAccessError),
}

/// The country signing CAs a terminal trusts, and their revocation lists.
///
/// Its anchors are the CSCA certificates configured one by one; a CSCA
/// Master List (ICAO Doc 9303-12 9) adds every CSCA it lists once its
/// signer was issued by a CSCA already trusted; a CRL (RFC 5280 5) counts
/// once it verifies with the key of the CSCA that issued it.
#[derive(Clone, Debug, Default)]
pub struct TrustList {
    cscas: Vec<Certificate>,
    crls: Vec<Crl>,
}

/// What a CRL says about itself, for the maintainer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrlDates {
    /// The issuing CSCA, as text (`C=DE, O=…, CN=…`).
    pub issuer: String,
    /// When it was issued.
    pub this_update: CvcDate,
    /// When the next one is due; past that day the list is stale.
    pub next_update: Option<CvcDate>,
    /// How many certificates it revokes.
    pub revoked: usize,
}

impl TrustList {
    /// A trust list from DER X.509 CSCA certificates.
    pub fn from_der_certificates<'a>(certificates: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, PaError> {
        let cscas = certificates.into_iter().map(Certificate::parse).collect::<Result<_, _>>()?;
        Ok(Self { cscas, crls: Vec::new() })
    }

    /// Adds the CSCAs of a CSCA Master List: a CMS SignedData of content
    /// type `id-icao-cscaMasterList` holding `CscaMasterList ::= SEQUENCE {
    /// version INTEGER, certList SET OF Certificate }`, whose signer's
    /// certificate must have been issued by a CSCA of this list, be valid
    /// `today` and not revoked. Returns how many CSCAs were new.
    pub fn add_master_list(&mut self, der: &[u8], today: CvcDate) -> Result<usize, PaError> {
        let (content, signer) = open_signed_data(der, &ID_CSCA_MASTER_LIST)?;
        self.check_issued(&signer, today)?;
        let malformed = || PaError::MalformedList("CSCA Master List");
        let list = tlv::parse_single(content)?.expect_tag(0x30)?.children()?;
        let [version, certificates] = list.as_slice() else { return Err(malformed()) };
        if version.tag.0 != 0x02 || version.value != [0x00] || certificates.tag.0 != 0x31 {
            return Err(malformed());
        }
        let mut added = 0;
        for certificate in certificates.children()? {
            let csca = Certificate::parse(certificate.raw)?;
            if !self.cscas.iter().any(|known| known.tbs == csca.tbs) {
                self.cscas.push(csca);
                added += 1;
            }
        }
        Ok(added)
    }

    /// Adds a CRL (DER `CertificateList`, RFC 5280 5.1) once its signature
    /// verifies with a CSCA of this list that bears its issuer's name.
    pub fn add_crl(&mut self, der: &[u8]) -> Result<CrlDates, PaError> {
        let crl = Crl::parse(der)?;
        let issued = self.cscas.iter().filter(|c| c.subject == crl.issuer).try_fold(false, |found, csca| {
            Ok::<_, PaError>(
                found || verifies(&csca.public_key, &crl.signature_algorithm, None, &crl.tbs, &crl.signature)?,
            )
        })?;
        if !issued {
            return Err(PaError::UntrustedCrl(name_text(&crl.issuer)));
        }
        let dates = CrlDates {
            issuer: name_text(&crl.issuer),
            this_update: crl.this_update,
            next_update: crl.next_update,
            revoked: crl.revoked.len(),
        };
        self.crls.push(crl);
        Ok(dates)
    }

    /// Number of CSCAs.
    pub fn len(&self) -> usize {
        self.cscas.len()
    }

    /// Whether the list is empty (nothing can then be verified).
    pub fn is_empty(&self) -> bool {
        self.cscas.is_empty()
    }

    /// That a CSCA of this list issued `certificate` (its signature verifies
    /// with one of the CSCAs of its issuer's name, as after a key rollover
    /// there may be several), that it is valid `today`, and that neither it
    /// nor that CSCA is on a CRL of this list.
    fn check_issued(&self, certificate: &Certificate, today: CvcDate) -> Result<(), PaError> {
        let mut candidates = self.cscas.iter().filter(|c| c.subject == certificate.issuer).peekable();
        if candidates.peek().is_none() {
            return Err(PaError::UntrustedSigner);
        }
        let mut issuer = None;
        for csca in candidates {
            if verifies(
                &csca.public_key,
                &certificate.signature_algorithm,
                None,
                &certificate.tbs,
                &certificate.signature,
            )? {
                issuer = Some(csca);
                break;
            }
        }
        let csca = issuer.ok_or(PaError::BadCertificateSignature)?;
        if today < certificate.not_before || certificate.not_after < today {
            return Err(PaError::SignerCertificateNotValid {
                on: today,
                not_before: certificate.not_before,
                not_after: certificate.not_after,
            });
        }
        self.not_revoked(certificate)?;
        self.not_revoked(csca)
    }

    fn not_revoked(&self, certificate: &Certificate) -> Result<(), PaError> {
        let revoked = self
            .crls
            .iter()
            .filter(|crl| crl.issuer == certificate.issuer)
            .any(|crl| crl.revoked.contains(&certificate.serial));
        if revoked {
            let serial = certificate.serial.iter().map(|b| format!("{b:02X}")).collect();
            return Err(PaError::Revoked { serial, issuer: name_text(&certificate.issuer) });
        }
        Ok(())
    }
}

/// A CRL whose structure was read (RFC 5280 5.1); [`TrustList::add_crl`]
/// checks its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Crl {
    tbs: Vec<u8>,
    signature_algorithm: Vec<u8>,
    signature: Vec<u8>,
    issuer: Vec<u8>,
    this_update: CvcDate,
    next_update: Option<CvcDate>,
    /// The revoked certificates' serial numbers (INTEGER contents).
    revoked: Vec<Vec<u8>>,
}

impl Crl {
    fn parse(der: &[u8]) -> Result<Self, PaError> {
        let bad = || PaError::MalformedList("CRL");
        let parts = tlv::parse_single(der)?.expect_tag(0x30)?.children()?;
        let [tbs, algorithm, signature] = parts.as_slice() else { return Err(bad()) };
        let fields = tbs.children()?;
        // version (v2 = 1) is optional, then signature, issuer, thisUpdate.
        let fields = match fields.first() {
            Some(version) if version.tag.0 == 0x02 => &fields[1..],
            _ => &fields[..],
        };
        let [_, issuer, this_update, rest @ ..] = fields else { return Err(bad()) };
        let (next_update, rest) = match rest {
            [next, rest @ ..] if matches!(next.tag.0, 0x17 | 0x18) => (Some(x509_time(next).ok_or_else(bad)?), rest),
            _ => (None, rest),
        };
        let mut revoked = Vec::new();
        if let Some(list) = rest.first().filter(|t| t.tag.0 == 0x30) {
            for entry in list.children()? {
                let entry = entry.children()?;
                match entry.first() {
                    Some(serial) if serial.tag.0 == 0x02 => revoked.push(serial.value.to_vec()),
                    _ => return Err(bad()),
                }
            }
        }
        Ok(Self {
            tbs: tbs.raw.to_vec(),
            signature_algorithm: algorithm.raw.to_vec(),
            signature: bit_string(signature).ok_or_else(bad)?.to_vec(),
            issuer: issuer.raw.to_vec(),
            this_update: x509_time(this_update).ok_or_else(bad)?,
            next_update,
            revoked,
        })
    }
}

/// A distinguished name as text: its country, organisation and common name
/// attributes (RFC 4514 order reversed for reading), enough for a log line.
fn name_text(name: &[u8]) -> String {
    let attributes = tlv::parse_single(name)
        .and_then(|n| n.children())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|rdn| rdn.children().ok()?.into_iter().next()?.children().ok())
        .filter_map(|pair| {
            let [oid, value, ..] = pair.as_slice() else { return None };
            let key = match oid.value {
                [0x55, 0x04, 0x03] => "CN",
                [0x55, 0x04, 0x05] => "serialNumber",
                [0x55, 0x04, 0x06] => "C",
                [0x55, 0x04, 0x0A] => "O",
                [0x55, 0x04, 0x0B] => "OU",
                _ => return None,
            };
            Some(format!("{key}={}", String::from_utf8_lossy(value.value)))
        })
        .collect::<Vec<_>>();
    if attributes.is_empty() { "an unnamed issuer".into() } else { attributes.join(", ") }
}

/// `EF.CardSecurity` whose signature chain was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCardSecurity {
    infos: CardAccess,
}

impl VerifiedCardSecurity {
    /// The signed SecurityInfos.
    pub fn security_infos(&self) -> &CardAccess {
        &self.infos
    }

    /// The signed static Chip Authentication key with `key_id` (or the only one).
    pub fn chip_key(&self, key_id: Option<u32>) -> Option<&ChipAuthenticationPublicKeyInfo> {
        self.infos.chip_authentication_public_key(key_id)
    }
}

/// The parts of an X.509 certificate passive authentication needs (RFC 5280 4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Certificate {
    tbs: Vec<u8>,
    /// The DER AlgorithmIdentifier, read when the signature is checked.
    signature_algorithm: Vec<u8>,
    signature: Vec<u8>,
    serial: Vec<u8>,
    issuer: Vec<u8>,
    subject: Vec<u8>,
    not_before: CvcDate,
    not_after: CvcDate,
    /// The subject's key, or why it cannot be used: a trust list may hold a
    /// CSCA with a key of another kind, which matters only if it signed.
    public_key: Result<PublicKey, PaError>,
}

impl Certificate {
    fn parse(der: &[u8]) -> Result<Self, PaError> {
        let bad = || PaError::MalformedCertificate;
        let parts = tlv::parse_single(der)?.expect_tag(0x30)?.children()?;
        let [tbs, algorithm, signature, ..] = parts.as_slice() else {
            return Err(bad());
        };
        let fields = tbs.children()?;
        // An explicit [0] version comes first in v2/v3 certificates.
        let fields = match fields.first() {
            Some(first) if first.tag.0 == 0xA0 => &fields[1..],
            _ => &fields[..],
        };
        let [serial, _, issuer, validity, subject, spki, ..] = fields else {
            return Err(bad());
        };
        let times = validity.children()?;
        let [not_before, not_after, ..] = times.as_slice() else {
            return Err(bad());
        };
        Ok(Self {
            tbs: tbs.raw.to_vec(),
            signature_algorithm: algorithm.raw.to_vec(),
            signature: bit_string(signature).ok_or_else(bad)?.to_vec(),
            serial: serial.value.to_vec(),
            issuer: issuer.raw.to_vec(),
            subject: subject.raw.to_vec(),
            not_before: x509_time(not_before).ok_or_else(bad)?,
            not_after: x509_time(not_after).ok_or_else(bad)?,
            public_key: PublicKey::parse(spki),
        })
    }
}

fn algorithm_oid(algorithm: &Tlv<'_>) -> Result<Vec<u8>, PaError> {
    let parts = algorithm.children()?;
    match parts.first() {
        Some(oid) if oid.tag.0 == 0x06 => Ok(oid.value.to_vec()),
        _ => Err(PaError::MalformedSignedData),
    }
}

/// BIT STRING content without the unused-bits byte (which must be 0).
fn bit_string<'a>(t: &Tlv<'a>) -> Option<&'a [u8]> {
    match (t.tag.0, t.value) {
        (0x03, [0x00, rest @ ..]) => Some(rest),
        _ => None,
    }
}

/// UTCTime `YYMMDDhhmmssZ` (RFC 5280 4.1.2.5.1: 50 to 99 mean 19xx) or GeneralizedTime `YYYYMMDD...`.
fn x509_time(t: &Tlv<'_>) -> Option<CvcDate> {
    let digits = |s: &[u8]| -> Option<u16> {
        s.iter().try_fold(0u16, |acc, b| b.is_ascii_digit().then(|| acc * 10 + u16::from(b - b'0')))
    };
    let (year, rest) = match t.tag.0 {
        0x17 if t.value.len() >= 6 => {
            let yy = digits(&t.value[..2])?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &t.value[2..])
        }
        0x18 if t.value.len() >= 8 => (digits(&t.value[..4])?, &t.value[4..]),
        _ => return None,
    };
    Some(CvcDate {
        year,
        month: u8::try_from(digits(rest.get(..2)?)?).ok()?,
        day: u8::try_from(digits(rest.get(2..4)?)?).ok()?,
    })
}

/// Whether `signature` signs `message` with `key` under the DER
/// AlgorithmIdentifier `algorithm` (with `digest`, a SignerInfo's digest
/// algorithm, see [`SignatureAlgorithm::parse`]).
fn verifies(
    key: &Result<PublicKey, PaError>,
    algorithm: &[u8],
    digest: Option<Hash>,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, PaError> {
    let algorithm = SignatureAlgorithm::parse(&tlv::parse_single(algorithm)?, digest)?;
    Ok(key.clone()?.verifies(algorithm, message, signature))
}

/// Verifies `EF.CardSecurity` against `trust` on `today` and returns its SecurityInfos.
pub fn verify_card_security(der: &[u8], trust: &TrustList, today: CvcDate) -> Result<VerifiedCardSecurity, PaError> {
    let (content, signer) = open_signed_data(der, &ID_SECURITY_OBJECT)?;
    trust.check_issued(&signer, today)?;
    Ok(VerifiedCardSecurity { infos: CardAccess::parse(content)? })
}

/// Opens a CMS SignedData (RFC 5652 5) with one SignerInfo and signed
/// attributes: the content must be of `content_type` (and the
/// `contentType` attribute say so), match the `messageDigest` attribute,
/// and the signature over the attributes verify with the key of the
/// signer's certificate, which is included. Returns the content and that
/// certificate, whose issuer is for the caller to check.
fn open_signed_data<'a>(der: &'a [u8], content_type: &[u8]) -> Result<(&'a [u8], Certificate), PaError> {
    let malformed = || PaError::MalformedSignedData;
    let content_info = tlv::parse_single(der)?.expect_tag(0x30)?.children()?;
    let [oid, explicit, ..] = content_info.as_slice() else {
        return Err(malformed());
    };
    if oid.value != ID_SIGNED_DATA || explicit.tag.0 != 0xA0 {
        return Err(malformed());
    }
    let signed_data = tlv::parse_single(explicit.value)?.expect_tag(0x30)?.children()?;
    let encap = signed_data.get(2).ok_or_else(malformed)?.children()?;
    let [encap_type, wrapped, ..] = encap.as_slice() else {
        return Err(malformed());
    };
    if encap_type.value != content_type {
        return Err(PaError::WrongContentType);
    }
    let content = tlv::parse_single(wrapped.value)?.expect_tag(0x04)?.value;
    let certificates =
        signed_data.iter().find(|t| t.tag.0 == 0xA0).map(|t| t.children()).transpose()?.unwrap_or_default();
    let signer_infos = signed_data.iter().rev().find(|t| t.tag.0 == 0x31).ok_or_else(malformed)?.children()?;
    let [signer_info] = signer_infos.as_slice() else {
        return Err(malformed());
    };
    let fields = signer_info.children()?;
    let [_, sid, digest_algorithm, signed_attrs, signature_algorithm, signature, ..] = fields.as_slice() else {
        return Err(malformed());
    };
    if signed_attrs.tag.0 != 0xA0 || signature.tag.0 != 0x04 {
        return Err(malformed());
    }

    // RFC 5652 5.4: messageDigest and contentType attributes.
    let digest_oid = algorithm_oid(digest_algorithm)?;
    let hash = Hash::from_oid(&digest_oid).ok_or(PaError::UnsupportedAlgorithm(ObjectIdentifier(digest_oid)))?;
    let mut digest_ok = false;
    let mut type_ok = false;
    for attribute in signed_attrs.children()? {
        let parts = attribute.children()?;
        let [attr_type, values, ..] = parts.as_slice() else {
            return Err(malformed());
        };
        let value = tlv::parse_single(values.value)?;
        if attr_type.value == ID_MESSAGE_DIGEST {
            digest_ok = value.tag.0 == 0x04 && value.value == hash.digest(content);
        } else if attr_type.value == ID_CONTENT_TYPE {
            type_ok = value.value == content_type;
        }
    }
    if !type_ok {
        return Err(PaError::WrongContentType);
    }
    if !digest_ok {
        return Err(PaError::DigestMismatch);
    }

    // The signer: issuerAndSerialNumber (RFC 5652 5.3).
    let sid_parts = sid.children()?;
    let [sid_issuer, sid_serial, ..] = sid_parts.as_slice() else {
        return Err(malformed());
    };
    let signer = certificates
        .iter()
        .map(|c| Certificate::parse(c.raw))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .find(|c| c.issuer == sid_issuer.raw && c.serial == sid_serial.value)
        .ok_or(PaError::SignerCertificateMissing)?;
    // The signature covers the DER of the attributes as SET OF (RFC 5652 5.4).
    let mut signed_bytes = signed_attrs.raw.to_vec();
    signed_bytes[0] = 0x31;
    if !verifies(&signer.public_key, signature_algorithm.raw, Some(hash), &signed_bytes, signature.value)? {
        return Err(PaError::BadSignature);
    }

    Ok((content, signer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_and_generalized_times_decode_with_the_rfc_5280_century_rule() {
        let utc = tlv::encode(0x17, b"491231235959Z");
        assert_eq!(x509_time(&tlv::parse_single(&utc).unwrap()), Some(CvcDate { year: 2049, month: 12, day: 31 }));
        let utc = tlv::encode(0x17, b"500101000000Z");
        assert_eq!(x509_time(&tlv::parse_single(&utc).unwrap()).map(|d| d.year), Some(1950));
        let general = tlv::encode(0x18, b"20510704120000Z");
        assert_eq!(x509_time(&tlv::parse_single(&general).unwrap()), Some(CvcDate { year: 2051, month: 7, day: 4 }));
        let garbage = tlv::encode(0x17, b"49AB31235959Z");
        assert_eq!(x509_time(&tlv::parse_single(&garbage).unwrap()), None);
    }

    #[test]
    fn non_signed_data_is_rejected() {
        let not_cms = tlv::encode(0x30, &tlv::encode(0x06, &ID_SECURITY_OBJECT));
        assert_eq!(
            verify_card_security(&not_cms, &TrustList::default(), CvcDate { year: 2027, month: 1, day: 1 }),
            Err(PaError::MalformedSignedData)
        );
    }
}
