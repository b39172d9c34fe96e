// SPDX-License-Identifier: GPL-3.0-or-later
//! The checks an issued certificate passes before the terminal keeps it,
//! and the file it is kept in.
//!
//! RFC 9483 4.1.1 leaves it to the end entity to check the new certificate
//! before confirming it. The terminal checks that it certifies the device
//! key (the CA may not swap keys) and that the configured CA certificate
//! issued it: the issuer name is the CA's subject and the CA's key verifies
//! the signature. Only ECDSA with SHA-256 over P-256 is verified, the
//! algorithm of the terminal's own key; a CA with another key is refused
//! with a message that names its algorithm. The CA must issue directly;
//! chains through intermediate CAs from `extraCerts` are not followed, and
//! `caPubs` is not taken as a trust anchor: the anchor is the configured CA
//! certificate, which is what the stored chain ends with.

use crate::device_key::{ECDSA_WITH_SHA256, ID_EC_PUBLIC_KEY, SECP256R1};
use crate::error::EnrolmentError;
use der::{Encode, EncodePem};
use ecdsa::signature::Verifier;
use session::private_file;
use spki::SubjectPublicKeyInfoOwned;
use std::path::{Path, PathBuf};
use x509_cert::Certificate;

/// Checks that `certificate` certifies `device_key` and that `ca` issued it.
pub(crate) fn check(
    certificate: &Certificate,
    device_key: &SubjectPublicKeyInfoOwned,
    ca: &Certificate,
) -> Result<(), EnrolmentError> {
    if &certificate.tbs_certificate.subject_public_key_info != device_key {
        return Err(EnrolmentError::CertificateForAnotherKey);
    }
    if certificate.tbs_certificate.issuer != ca.tbs_certificate.subject {
        return Err(EnrolmentError::NotFromConfiguredCa(format!(
            "issuer {} instead of {}",
            certificate.tbs_certificate.issuer, ca.tbs_certificate.subject
        )));
    }
    verify_signature(certificate, &ca.tbs_certificate.subject_public_key_info)
}

fn verify_signature(certificate: &Certificate, issuer_key: &SubjectPublicKeyInfoOwned) -> Result<(), EnrolmentError> {
    let refused = |why: &str| EnrolmentError::NotFromConfiguredCa(why.to_string());
    if certificate.signature_algorithm.oid != ECDSA_WITH_SHA256
        || certificate.tbs_certificate.signature.oid != ECDSA_WITH_SHA256
    {
        return Err(refused(&format!(
            "signature algorithm {} is not verified here, only ECDSA with SHA-256",
            certificate.signature_algorithm.oid
        )));
    }
    let curve = issuer_key.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<spki::ObjectIdentifier>().ok());
    if issuer_key.algorithm.oid != ID_EC_PUBLIC_KEY || curve != Some(SECP256R1) {
        return Err(refused(&format!("CA key algorithm {} is not P-256", issuer_key.algorithm.oid)));
    }
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(issuer_key.subject_public_key.raw_bytes())
        .map_err(|_| refused("the CA certificate's key is not a P-256 point"))?;
    let signature = certificate
        .signature
        .as_bytes()
        .and_then(|der| p256::ecdsa::Signature::from_der(der).ok())
        .ok_or_else(|| refused("the signature is not an ECDSA signature"))?;
    let tbs = certificate.tbs_certificate.to_der().map_err(|e| EnrolmentError::Malformed(e.to_string()))?;
    key.verify(&tbs, &signature).map_err(|_| refused("the CA's key does not verify the certificate's signature"))
}

/// Where the terminal keeps its certificate: one PEM file of mode 0600, the
/// device certificate first and the configured CA certificate after it, as
/// TLS client stacks read a chain.
#[derive(Debug, Clone)]
pub struct CertificateStore {
    path: PathBuf,
}

impl CertificateStore {
    /// The store in `path`.
    pub fn new(path: &Path) -> Self {
        CertificateStore { path: path.to_path_buf() }
    }

    /// The certificate file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the file atomically with `certificate` and `ca`.
    pub(crate) fn store(&self, certificate: &Certificate, ca: &Certificate) -> Result<(), EnrolmentError> {
        let mut pem = String::new();
        for cert in [certificate, ca] {
            pem.push_str(&cert.to_pem(der::pem::LineEnding::LF).map_err(|e| EnrolmentError::Malformed(e.to_string()))?);
        }
        private_file::write(&self.path, pem.as_bytes())
            .map_err(|source| EnrolmentError::Store { path: self.path.clone(), source })
    }
}
