// SPDX-License-Identifier: GPL-3.0-or-later
//! The enrolment itself: RFC 9483 4.1.1, "Enrolling an End Entity to a New
//! PKI", with MAC-based protection (RFC 9483 4.1.5).
//!
//! ```text
//! terminal                                   CA
//!   ir  (CertReqMsg, signature POP, PBM) ──►
//!                                        ◄── ip  (certificate, PBM)
//!   checks: protection, transactionID, recipNonce, status,
//!           key is ours, issued by the configured CA
//!   certConf (certHash, accepted|rejection) ──►
//!                                        ◄── pkiConf
//!   stores the certificate (only after pkiConf and all checks)
//! ```
//!
//! implicitConfirm is not requested: the CA learns that the terminal has
//! the certificate and accepted it, and a certificate the terminal refuses
//! is reported back as a rejection (RFC 9483 4.1.1, certConf with status
//! rejection) instead of staying silently valid.

use crate::answer::{Answer, BAD_MESSAGE_CHECK, Body};
use crate::code::EnrolmentCode;
use crate::device_key::{DeviceSigner, KeyError};
use crate::error::EnrolmentError;
use crate::issued::{self, CertificateStore};
use crate::protection::{self, ProtectionFault};
use crate::transport::{CaEndpoint, TransportFault};
use cmpv2::body::PkiBody;
use cmpv2::certified_key_pair::CertOrEncCert;
use cmpv2::header::{PkiHeader, Pvno};
use cmpv2::message::{PkiMessage, ProtectedPart};
use cmpv2::status::{CertStatus, PkiStatus, PkiStatusInfo};
use crmf::pop::{PopoSigningKey, ProofOfPossession};
use crmf::request::{CertReqMsg, CertRequest, CertTemplate};
use der::asn1::{BitString, GeneralizedTime, Int, OctetString, Utf8StringRef};
use der::{Decode, Encode, Tagged};
use sha2::Digest;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

/// What the terminal needs to know about its CA (later part of the
/// configuration bundle).
#[derive(Debug, Clone)]
pub struct CaConfig {
    /// The CA's CMP endpoint.
    pub endpoint: CaEndpoint,
    /// The CA certificate that must have issued the device certificate.
    pub ca_certificate: Certificate,
    /// The terminal's subject name for its certificate request.
    pub subject: Name,
}

/// Enrols the device key with the CA and stores the certificate. On any
/// error nothing is stored; the key stays for the next try.
pub fn enrol(
    config: &CaConfig,
    code: &EnrolmentCode,
    key: &dyn DeviceSigner,
    store: &CertificateStore,
) -> Result<Certificate, EnrolmentError> {
    let transaction_id: [u8; 16] = random()?;
    let ir_nonce: [u8; 16] = random()?;
    let public_key = key.public_key_info();
    let ir = initial_registration(config, code, key, &public_key, &transaction_id, &ir_nonce)?;
    let ip_der = exchange(config, &ir)?;
    let ip = receive(&ip_der, code, &transaction_id, &ir_nonce)?;
    let certificate = issued_certificate(&ip)?;
    let checked = issued::check(&certificate, &public_key, &config.ca_certificate);
    let ip_nonce = ip
        .header
        .sender_nonce
        .as_ref()
        .ok_or_else(|| EnrolmentError::Malformed("ip without senderNonce".into()))?
        .as_bytes();
    let confirmed = confirm(config, code, &transaction_id, ip_nonce, &certificate, checked.is_ok());
    // A refused certificate is the error to report, whether or not the CA
    // took note of the rejection.
    checked?;
    confirmed?;
    store.store(&certificate, &config.ca_certificate)?;
    Ok(certificate)
}

/// The ir: RFC 9483 4.1.1, subject and public key in the template, POP as
/// a signature over the DER of certReq (RFC 4211 4.1, poposkInput absent).
fn initial_registration(
    config: &CaConfig,
    code: &EnrolmentCode,
    key: &dyn DeviceSigner,
    public_key: &SubjectPublicKeyInfoOwned,
    transaction_id: &[u8],
    nonce: &[u8],
) -> Result<Vec<u8>, EnrolmentError> {
    let cert_request = CertRequest {
        cert_req_id: Int::new(&[0]).map_err(malformed)?,
        cert_template: CertTemplate {
            version: None,
            serial_number: None,
            signature: None,
            issuer: None,
            validity: None,
            subject: Some(config.subject.clone()),
            subject_public_key_info: Some(public_key.clone()),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: None,
        },
        controls: None,
    };
    let pop = key.sign(&cert_request.to_der().map_err(malformed)?)?;
    let request = CertReqMsg {
        cert_req: cert_request,
        popo: Some(ProofOfPossession::Signature(Box::new(PopoSigningKey {
            poposk_input: None,
            alg_id: key.signature_algorithm(),
            signature: BitString::from_bytes(&pop).map_err(malformed)?,
        }))),
        reg_info: None,
    };
    protect(code, header(config, code, transaction_id, nonce, None)?, PkiBody::Ir(vec![request]))
}

/// The certificate in an ip with the one accepted response (RFC 9483
/// 4.1.1), or why there is none.
fn issued_certificate(ip: &Answer<'_>) -> Result<Certificate, EnrolmentError> {
    let Body::Ip(rep) = ip.body().map_err(malformed)? else {
        return Err(unexpected(ip, "ip"));
    };
    let [response] = rep.response.as_slice() else {
        return Err(EnrolmentError::Malformed(format!("{} certificate responses for one request", rep.response.len())));
    };
    if response.cert_req_id.as_bytes() != [0] {
        return Err(EnrolmentError::Malformed("a response for another certReqId".into()));
    }
    match response.status.status {
        PkiStatus::Accepted | PkiStatus::GrantedWithMods => {}
        PkiStatus::Waiting => {
            return Err(EnrolmentError::Refused(format!(
                "{}; the CA wants the terminal to poll, which is not supported: ask the CA to issue directly",
                response.status.describe()
            )));
        }
        _ => return Err(EnrolmentError::Refused(response.status.describe())),
    }
    match response.certified_key_pair.as_ref().map(|pair| &pair.cert_or_enc_cert) {
        Some(CertOrEncCert::Certificate(certificate)) => Ok(certificate.as_ref().clone()),
        Some(CertOrEncCert::EncryptedCert(_)) => {
            Err(EnrolmentError::Malformed("an encrypted certificate, which is only for CA-generated keys".into()))
        }
        None => Err(EnrolmentError::Malformed("an accepted response without a certificate".into())),
    }
}

/// certConf and its pkiConf (RFC 9483 4.1.1): the hash of the certificate
/// with SHA-256, the hash of its signature algorithm (RFC 4210 5.3.18), and
/// whether the terminal accepts it.
fn confirm(
    config: &CaConfig,
    code: &EnrolmentCode,
    transaction_id: &[u8],
    ip_nonce: &[u8],
    certificate: &Certificate,
    accepted: bool,
) -> Result<(), EnrolmentError> {
    let cert_hash = sha2::Sha256::digest(certificate.to_der().map_err(malformed)?);
    let status_info = if accepted {
        PkiStatusInfo { status: PkiStatus::Accepted, status_string: None, fail_info: None }
    } else {
        let why = "the terminal refuses the certificate: not for its key or not from the configured CA";
        PkiStatusInfo {
            status: PkiStatus::Rejection,
            status_string: Some(vec![Utf8StringRef::new(why).map_err(malformed)?]),
            fail_info: None,
        }
    };
    let nonce: [u8; 16] = random()?;
    let body = PkiBody::CertConf(vec![CertStatus {
        cert_hash: OctetString::new(cert_hash.to_vec()).map_err(malformed)?,
        cert_req_id: Int::new(&[0]).map_err(malformed)?,
        status_info: Some(status_info),
    }]);
    let cert_conf = protect(code, header(config, code, transaction_id, &nonce, Some(ip_nonce))?, body)?;
    let pki_conf_der = exchange(config, &cert_conf)?;
    let pki_conf = receive(&pki_conf_der, code, transaction_id, &nonce)?;
    match pki_conf.body().map_err(malformed)? {
        Body::PkiConf => Ok(()),
        _ => Err(unexpected(&pki_conf, "pkiConf")),
    }
}

fn header<'a>(
    config: &CaConfig,
    code: &EnrolmentCode,
    transaction_id: &[u8],
    sender_nonce: &[u8],
    recip_nonce: Option<&[u8]>,
) -> Result<PkiHeader<'a>, EnrolmentError> {
    let salt: [u8; 16] = random()?;
    Ok(PkiHeader {
        pvno: Pvno::Cmp2000,
        // RFC 9483 3.1: with MAC-based protection the sender is the subject
        // the request asks for, senderKID the reference value.
        sender: GeneralName::DirectoryName(config.subject.clone()),
        recipient: GeneralName::DirectoryName(config.ca_certificate.tbs_certificate.subject.clone()),
        message_time: Some(GeneralizedTime::from_system_time(std::time::SystemTime::now()).map_err(malformed)?),
        protection_alg: Some(protection::new_protection_algorithm(salt).map_err(malformed)?),
        sender_kid: Some(OctetString::new(code.reference()).map_err(malformed)?),
        recip_kid: None,
        trans_id: Some(OctetString::new(transaction_id).map_err(malformed)?),
        sender_nonce: Some(OctetString::new(sender_nonce).map_err(malformed)?),
        recip_nonce: recip_nonce.map(OctetString::new).transpose().map_err(malformed)?,
        free_text: None,
        general_info: None,
    })
}

/// The DER of a PKIMessage with its PasswordBasedMac.
fn protect(code: &EnrolmentCode, header: PkiHeader<'_>, body: PkiBody<'_>) -> Result<Vec<u8>, EnrolmentError> {
    let part = ProtectedPart { header, body };
    let algorithm =
        part.header.protection_alg.clone().ok_or_else(|| EnrolmentError::Malformed("no protection".into()))?;
    let mac = protection::mac(&algorithm, code.secret(), &part.to_der().map_err(malformed)?)
        .map_err(|f| EnrolmentError::Malformed(format!("{f:?}")))?;
    PkiMessage {
        header: part.header,
        body: part.body,
        protection: Some(BitString::from_bytes(&mac).map_err(malformed)?),
        extra_certs: None,
    }
    .to_der()
    .map_err(malformed)
}

fn exchange(config: &CaConfig, message: &[u8]) -> Result<Vec<u8>, EnrolmentError> {
    config.endpoint.exchange(message).map_err(|fault| match fault {
        TransportFault::Unreachable(source) => {
            EnrolmentError::Unreachable { endpoint: config.endpoint.to_string(), source }
        }
        TransportFault::NotCmp(what) => EnrolmentError::Malformed(what),
    })
}

/// Reads an answer and checks what RFC 9483 3.5 asks of every message:
/// the transactionID, the recipNonce and the protection. An error message
/// whose protection does not verify is still reported, marked as such:
/// the CA cannot protect a refusal of a wrong code with that code.
fn receive<'a>(
    der: &'a [u8],
    code: &EnrolmentCode,
    transaction_id: &[u8],
    our_nonce: &[u8],
) -> Result<Answer<'a>, EnrolmentError> {
    let answer = Answer::from_der(der).map_err(malformed)?;
    let protected = match (&answer.header.protection_alg, &answer.protection) {
        (Some(algorithm), Some(protection)) => protection::verify(
            algorithm,
            code.secret(),
            &answer.protected_part().map_err(malformed)?,
            protection.raw_bytes(),
        ),
        _ => Err(ProtectionFault::Unsupported("an unprotected answer".into())),
    };
    if let Body::Error(content) = answer.body().map_err(malformed)? {
        let mut text = content.status.describe();
        if let Some(details) = &content.error_details {
            text.extend(details.iter().map(|d| format!(", \"{}\"", d.as_str())));
        }
        if protected.is_err() {
            text.push_str("; this refusal is not protected with the code, so it may not come from the CA");
        }
        return Err(if content.status.has_failure(BAD_MESSAGE_CHECK) || protected == Err(ProtectionFault::Mismatch) {
            EnrolmentError::WrongCode(text)
        } else {
            EnrolmentError::Refused(text)
        });
    }
    match protected {
        Ok(()) => {}
        // The CA answers a wrong code with an error, so an answer of any
        // other kind that does not verify was changed on the way or comes
        // from someone without the code.
        Err(ProtectionFault::Mismatch) => return Err(EnrolmentError::Unauthenticated),
        Err(ProtectionFault::Unsupported(what)) => return Err(EnrolmentError::Malformed(what)),
    }
    if answer.header.trans_id.as_ref().map(OctetString::as_bytes) != Some(transaction_id) {
        return Err(EnrolmentError::Malformed("an answer for another transaction".into()));
    }
    if answer.header.recip_nonce.as_ref().map(OctetString::as_bytes) != Some(our_nonce) {
        return Err(EnrolmentError::Malformed("an answer whose recipNonce is not our senderNonce (a replay?)".into()));
    }
    Ok(answer)
}

fn unexpected(answer: &Answer<'_>, expected: &str) -> EnrolmentError {
    EnrolmentError::Malformed(format!("body [{}] where {expected} was expected", answer.body.tag()))
}

/// transactionID, nonces and salts: 128 random bits (RFC 9483 3.1).
fn random<const N: usize>() -> Result<[u8; N], EnrolmentError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| KeyError::Randomness(e.to_string()))?;
    Ok(bytes)
}

fn malformed(error: der::Error) -> EnrolmentError {
    EnrolmentError::Malformed(error.to_string())
}
