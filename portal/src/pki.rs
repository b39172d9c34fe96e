// SPDX-License-Identifier: GPL-3.0-or-later
//! Destination keys checked against the administration PKI (Verwaltungs-PKI).
//!
//! FIT-Connect publishes a destination's public encryption key as a JWK whose `x5c` holds the
//! certificate the administration PKI issued for that key, leaf first, then the intermediates
//! (Submission API `components/schemas/JWK`; RFC 7517 section 4.7). That the portal's TLS
//! delivered the key says nothing: the portal operator is exactly who the end-to-end encryption
//! keeps out, so a sender checks the key against the PKI itself before encrypting anything to
//! it. [`AdministrationPki::verify`] checks:
//!
//! - the chain: from the leaf through the `x5c` intermediates to one of the configured roots,
//!   every certificate within its validity at the time of the check (RFC 5280 section 6,
//!   rustls-webpki's path building);
//! - revocation: every certificate of the chain against the PKI's CRLs (RFC 5280 sections 5
//!   and 6.3), each CRL before its `nextUpdate`. A certificate no CRL speaks for is refused, not
//!   assumed good. (The PKI's OCSP responders are not asked; its CRLs say the same.)
//! - key usage: the leaf allows `keyEncipherment` (RFC 5280 section 4.2.1.3), the usage of RSA
//!   key transport, which RSA-OAEP key wrapping is;
//! - the key: the JWK's `n` and `e` are the leaf certificate's key, and the JWK may wrap keys
//!   ([`RsaJwk::public_key_for`]: RSA-OAEP-256, `wrapKey`, RSA 4096).
//!
//! That the key's id is the destination's current `encryptionKid` is the client's part (it
//! asks the destination, see [`crate::fitconnect`]).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::RsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, TrustAnchor, UnixTime};
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, ExtendedKeyUsageValidator, KeyPurposeIdIter,
    OwnedCertRevocationList, RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};
use x509_cert::Certificate;
use x509_cert::der::Decode;
use x509_cert::der::oid::AssociatedOid;
use x509_cert::ext::pkix::KeyUsage;

use crate::PortalError;
use crate::error::{ConfigDefect, KeyTrustFailure, PemDefect};
use crate::jose::jwk::{KeyUse, RsaJwk};

/// The roots of the administration PKI: the only trust anchors of destination keys.
#[derive(Debug, Clone)]
pub struct AdministrationPki {
    anchors: Vec<TrustAnchor<'static>>,
}

/// A CRL as fetched, with where it came from (for messages).
#[derive(Debug, Clone)]
pub struct FetchedCrl {
    /// The URL it was fetched from.
    pub url: String,
    /// The CRL, DER.
    pub der: CertificateRevocationListDer<'static>,
}

/// The certificate's extended key usage is not restricted here: the administration PKI's
/// profile for encryption certificates names none that every issuer uses, and the key usage
/// (`keyEncipherment`, checked below) is what binds a key to encryption.
struct AnyPurpose;

impl ExtendedKeyUsageValidator for AnyPurpose {
    fn validate(&self, purposes: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        for purpose in purposes {
            purpose?;
        }
        Ok(())
    }
}

/// What a path validation error of rustls-webpki means for a destination key.
fn failure(error: webpki::Error) -> KeyTrustFailure {
    match error {
        // No issuer by name, or one by name whose key did not make the signature (a root or CA
        // of the same name that is not the configured one): either way no path to the anchor.
        webpki::Error::UnknownIssuer | webpki::Error::InvalidSignatureForPublicKey => KeyTrustFailure::NotUnderAnchor,
        webpki::Error::CertExpired { time, not_after } => {
            KeyTrustFailure::Expired { not_after: not_after.as_secs(), now: time.as_secs() }
        }
        webpki::Error::CertNotValidYet { time, not_before } => {
            KeyTrustFailure::NotYetValid { not_before: not_before.as_secs(), now: time.as_secs() }
        }
        webpki::Error::CertRevoked => KeyTrustFailure::Revoked,
        webpki::Error::UnknownRevocationStatus => KeyTrustFailure::RevocationUnknown,
        webpki::Error::CrlExpired { time, next_update } => {
            KeyTrustFailure::CrlExpired { next_update: next_update.as_secs(), now: time.as_secs() }
        }
        other => KeyTrustFailure::Invalid(other),
    }
}

impl AdministrationPki {
    /// The roots in `pem` (one or more certificates).
    ///
    /// # Errors
    /// [`PortalError::Config`] if the PEM is malformed, holds no certificate, or one cannot be a
    /// trust anchor.
    pub fn from_pem(pem: &[u8]) -> Result<Self, PortalError> {
        let config = |cause| PortalError::Config { cause };
        let certificates = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| config(ConfigDefect::TrustAnchorPem(PemDefect::of(&e))))?;
        if certificates.is_empty() {
            return Err(config(ConfigDefect::NoTrustAnchor));
        }
        let anchors = certificates
            .iter()
            .map(|certificate| webpki::anchor_from_trusted_cert(certificate).map(|anchor| anchor.to_owned()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| config(ConfigDefect::UnusableTrustAnchor(e)))?;
        Ok(Self { anchors })
    }

    /// Checks that `jwk` is a key the administration PKI certifies for encryption, at `now`,
    /// against `crls` (see the module documentation for what is checked).
    ///
    /// # Errors
    /// The first [`KeyTrustFailure`] found.
    pub fn verify(&self, jwk: &RsaJwk, crls: &[FetchedCrl], now: SystemTime) -> Result<(), KeyTrustFailure> {
        let key = jwk.public_key_for(KeyUse::WrapKey).map_err(KeyTrustFailure::Unusable)?;
        if jwk.x5c.is_empty() {
            return Err(KeyTrustFailure::NoCertificate);
        }
        let chain = jwk
            .x5c
            .iter()
            .enumerate()
            .map(|(index, text)| {
                STANDARD
                    .decode(text)
                    .map(CertificateDer::from)
                    .map_err(|_| KeyTrustFailure::CertificateEncoding { index })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (leaf_der, intermediates) = chain.split_first().ok_or(KeyTrustFailure::NoCertificate)?;
        let leaf = EndEntityCert::try_from(leaf_der).map_err(|_| KeyTrustFailure::CertificateEncoding { index: 0 })?;

        let lists = crls
            .iter()
            .map(|crl| {
                OwnedCertRevocationList::from_der(crl.der.as_ref())
                    .map(CertRevocationList::from)
                    .map_err(|cause| KeyTrustFailure::UnusableCrl { url: crl.url.clone(), cause })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let borrowed: Vec<&CertRevocationList<'_>> = lists.iter().collect();
        let revocation = RevocationOptionsBuilder::new(&borrowed)
            .map_err(|_| KeyTrustFailure::RevocationUnknown)?
            .with_depth(RevocationCheckDepth::Chain)
            .with_status_policy(UnknownStatusPolicy::Deny)
            .with_expiration_policy(ExpirationPolicy::Enforce)
            .build();
        let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        leaf.verify_for_usage(
            crate::tls::provider().signature_verification_algorithms.all,
            &self.anchors,
            intermediates,
            UnixTime::since_unix_epoch(since_epoch),
            AnyPurpose,
            Some(revocation),
            None,
        )
        .map_err(failure)?;

        let certificate =
            Certificate::from_der(leaf_der.as_ref()).map_err(|_| KeyTrustFailure::CertificateEncoding { index: 0 })?;
        let key_usage = certificate
            .tbs_certificate
            .extensions
            .iter()
            .flatten()
            .find(|extension| extension.extn_id == KeyUsage::OID)
            .map(|extension| KeyUsage::from_der(extension.extn_value.as_bytes()))
            .transpose()
            .map_err(|_| KeyTrustFailure::CertificateEncoding { index: 0 })?;
        if !key_usage.is_some_and(|usage| usage.key_encipherment()) {
            return Err(KeyTrustFailure::NoKeyEncipherment);
        }

        let certified = RsaPublicKey::from_public_key_der(leaf.subject_public_key_info().as_ref())
            .map_err(|_| KeyTrustFailure::KeyMismatch)?;
        if certified.n() != key.n() || certified.e() != key.e() {
            return Err(KeyTrustFailure::KeyMismatch);
        }
        Ok(())
    }
}

/// A CRL from what a distribution point served: DER (`application/pkix-crl`, RFC 2585 section
/// 4.2), or PEM as `openssl ca -gencrl` writes it.
pub fn crl_from_bytes(bytes: &[u8]) -> CertificateRevocationListDer<'static> {
    CertificateRevocationListDer::from_pem_slice(bytes)
        .unwrap_or_else(|_| CertificateRevocationListDer::from(bytes.to_vec()))
}
