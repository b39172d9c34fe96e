// SPDX-License-Identifier: GPL-3.0-or-later
//! A throw-away PKI for demo mode and tests: a CA, the portal's server certificate and device
//! (client) certificates, generated at run time (ECDSA P-256) and never stored in the repository.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};

use crate::LocalPortalError;

/// A certificate with its private key, both PEM.
#[derive(Clone)]
pub struct Identity {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key (PKCS#8), PEM.
    pub key_pem: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").field("key_pem", &"<withheld>").finish_non_exhaustive()
    }
}

/// How long a generated certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From 2020 to 2100.
    Current,
    /// Expired: valid only during 2020.
    Expired,
}

/// A certificate authority that signs server and device certificates.
pub struct TestCa {
    /// The CA certificate, PEM (what the terminal pins and the portal trusts for devices).
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

fn pki_error(e: rcgen::Error) -> LocalPortalError {
    LocalPortalError::Pki(e.to_string())
}

impl TestCa {
    /// A new CA named `name`.
    ///
    /// # Errors
    /// [`LocalPortalError::Pki`] if key generation or signing fails.
    pub fn generate(name: &str) -> Result<Self, LocalPortalError> {
        let key = KeyPair::generate().map_err(pki_error)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(pki_error)?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).map_err(pki_error)?;
        Ok(Self { cert_pem: cert.pem(), issuer: Issuer::new(params, key) })
    }

    fn issue(
        &self,
        names: &[&str],
        usage: ExtendedKeyUsagePurpose,
        validity: Validity,
    ) -> Result<Identity, LocalPortalError> {
        let key = KeyPair::generate().map_err(pki_error)?;
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).map_err(pki_error)?;
        params.distinguished_name.push(DnType::CommonName, names.first().copied().unwrap_or("device"));
        params.extended_key_usages = vec![usage];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let (not_before, not_after) = match validity {
            Validity::Current => (date_time_ymd(2020, 1, 1), date_time_ymd(2100, 1, 1)),
            Validity::Expired => (date_time_ymd(2020, 1, 1), date_time_ymd(2021, 1, 1)),
        };
        params.not_before = not_before;
        params.not_after = not_after;
        let cert = params.signed_by(&key, &self.issuer).map_err(pki_error)?;
        Ok(Identity { cert_pem: cert.pem(), key_pem: zeroize::Zeroizing::new(key.serialize_pem()) })
    }

    /// A TLS server certificate for `names` (DNS names or IP addresses).
    ///
    /// # Errors
    /// [`LocalPortalError::Pki`] if key generation or signing fails.
    pub fn issue_server(&self, names: &[&str], validity: Validity) -> Result<Identity, LocalPortalError> {
        self.issue(names, ExtendedKeyUsagePurpose::ServerAuth, validity)
    }

    /// A device (TLS client) certificate with common name `device`.
    ///
    /// # Errors
    /// [`LocalPortalError::Pki`] if key generation or signing fails.
    pub fn issue_device(&self, device: &str) -> Result<Identity, LocalPortalError> {
        self.issue(&[device], ExtendedKeyUsagePurpose::ClientAuth, Validity::Current)
    }
}
