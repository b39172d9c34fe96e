// SPDX-License-Identifier: GPL-3.0-or-later
//! The CA's answers as the terminal reads them.
//!
//! The `cmpv2` crate's `PKIFailureInfo` maps the named bits of RFC 4210
//! 5.2.3 onto the wrong positions and refuses any bit from `badPOP` (9)
//! on, so a refusal such as `transactionIdInUse` would not even decode. The
//! parts of an answer that carry a status are therefore read here, with
//! `failInfo` as the plain BIT STRING it is; the rest (header, certified
//! key pair, certificates) are `cmpv2`'s and `x509-cert`'s types.

use cmpv2::certified_key_pair::CertifiedKeyPair;
use cmpv2::header::PkiHeader;
use cmpv2::status::PkiStatus;
use der::asn1::{AnyRef, BitString, Int, OctetString, Utf8StringRef};
use der::{Decode, Encode, Header, Length, Sequence, Tag, Tagged};
use x509_cert::Certificate;

/// A PKIMessage (RFC 4210 5.1) with its body still encoded.
#[derive(Clone, Debug, Sequence)]
pub(crate) struct Answer<'a> {
    pub header: PkiHeader<'a>,
    pub body: AnyRef<'a>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub protection: Option<BitString>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub extra_certs: Option<Vec<Certificate>>,
}

/// PKIStatusInfo (RFC 4210 5.2.3).
#[derive(Clone, Debug, Sequence)]
pub(crate) struct StatusInfo<'a> {
    pub status: PkiStatus,
    pub status_string: Option<Vec<Utf8StringRef<'a>>>,
    pub fail_info: Option<BitString>,
}

/// ErrorMsgContent (RFC 4210 5.3.21).
#[derive(Clone, Debug, Sequence)]
pub(crate) struct ErrorContent<'a> {
    pub status: StatusInfo<'a>,
    pub error_code: Option<Int>,
    pub error_details: Option<Vec<Utf8StringRef<'a>>>,
}

/// CertRepMessage (RFC 4210 5.3.4).
#[derive(Clone, Debug, Sequence)]
pub(crate) struct CertRep<'a> {
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub ca_pubs: Option<Vec<Certificate>>,
    pub response: Vec<CertResponse<'a>>,
}

/// CertResponse (RFC 4210 5.3.4).
#[derive(Clone, Debug, Sequence)]
pub(crate) struct CertResponse<'a> {
    pub cert_req_id: Int,
    pub status: StatusInfo<'a>,
    pub certified_key_pair: Option<CertifiedKeyPair>,
    pub rsp_info: Option<OctetString>,
}

/// The body kinds the terminal expects (RFC 4210 5.1.2 tags).
#[derive(Debug)]
pub(crate) enum Body<'a> {
    Ip(CertRep<'a>),
    PkiConf,
    Error(ErrorContent<'a>),
    Other,
}

/// Failure bits worth telling apart (RFC 4210 5.2.3 / RFC 9483 3.6.4).
pub(crate) const BAD_MESSAGE_CHECK: usize = 1;
const FAIL_INFO_NAMES: [&str; 27] = [
    "badAlg",
    "badMessageCheck",
    "badRequest",
    "badTime",
    "badCertId",
    "badDataFormat",
    "wrongAuthority",
    "incorrectData",
    "missingTimeStamp",
    "badPOP",
    "certRevoked",
    "certConfirmed",
    "wrongIntegrity",
    "badRecipientNonce",
    "timeNotAvailable",
    "unacceptedPolicy",
    "unacceptedExtension",
    "addInfoNotAvailable",
    "badSenderNonce",
    "badCertTemplate",
    "signerNotTrusted",
    "transactionIdInUse",
    "unsupportedVersion",
    "notAuthorized",
    "systemUnavail",
    "systemFailure",
    "duplicateCertReq",
];

impl<'a> Answer<'a> {
    /// The body, decoded by its tag.
    pub fn body(&self) -> der::Result<Body<'a>> {
        let tag = self.body.tag();
        let number = match tag {
            Tag::ContextSpecific { number, constructed: true } => number.value(),
            _ => {
                return Err(der::Error::new(
                    der::ErrorKind::TagUnexpected { expected: None, actual: tag },
                    Length::ZERO,
                ));
            }
        };
        let inner = self.body.value();
        Ok(match number {
            1 => Body::Ip(CertRep::from_der(inner)?),
            19 => Body::PkiConf,
            23 => Body::Error(ErrorContent::from_der(inner)?),
            _ => Body::Other,
        })
    }

    /// The DER of ProtectedPart (RFC 4210 5.1.3): header and body exactly as
    /// received.
    pub fn protected_part(&self) -> der::Result<Vec<u8>> {
        let mut content = self.header.to_der()?;
        content.extend(self.body.to_der()?);
        let mut part = Header::new(Tag::Sequence, Length::try_from(content.len())?)?.to_der()?;
        part.extend(content);
        Ok(part)
    }
}

impl StatusInfo<'_> {
    /// The CA's words and failure bits, for the maintainer and the journal.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("status {:?}", self.status)];
        if let Some(texts) = &self.status_string {
            parts.extend(texts.iter().map(|t| format!("\"{}\"", t.as_str())));
        }
        let failures: Vec<&str> =
            (0..FAIL_INFO_NAMES.len()).filter(|&bit| self.has_failure(bit)).map(|bit| FAIL_INFO_NAMES[bit]).collect();
        if !failures.is_empty() {
            parts.push(failures.join(", "));
        }
        parts.join(", ")
    }

    /// Whether the named bit `bit` (0 = badAlg) is set in failInfo.
    pub fn has_failure(&self, bit: usize) -> bool {
        self.fail_info.as_ref().is_some_and(|bits| bits.bits().nth(bit).unwrap_or(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PKIStatusInfo { rejection, { "used" }, failInfo transactionIdInUse },
    /// encoded by hand: bit 21 is bit 5 of the third octet (mask 0x04),
    /// with 2 unused bits.
    const TRANSACTION_ID_IN_USE: &[u8] = &[
        0x30, 0x11, 0x02, 0x01, 0x02, 0x30, 0x06, 0x0c, 0x04, b'u', b's', b'e', b'd', 0x03, 0x04, 0x02, 0x00, 0x00,
        0x04,
    ];

    #[test]
    fn fail_info_bits_are_named_by_their_rfc_4210_position() {
        let status = StatusInfo::from_der(TRANSACTION_ID_IN_USE).expect("decodes");
        assert_eq!(status.status, PkiStatus::Rejection);
        assert!(status.has_failure(21));
        assert!(!status.has_failure(BAD_MESSAGE_CHECK));
        assert_eq!(status.describe(), "status Rejection, \"used\", transactionIdInUse");
    }

    #[test]
    fn the_cmpv2_status_type_cannot_read_a_high_fail_info_bit_which_is_why_we_read_our_own() {
        assert!(cmpv2::status::PkiStatusInfo::from_der(TRANSACTION_ID_IN_USE).is_err());
    }
}
