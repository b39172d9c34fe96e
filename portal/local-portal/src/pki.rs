// SPDX-License-Identifier: GPL-3.0-or-later
//! Throw-away PKIs for demo mode and tests, generated at run time (ECDSA P-256) and never stored
//! in the repository: [`TestCa`], the CA of the portal's TLS server certificate and the device
//! (client) certificates, and [`TestAdministrationPki`], a stand-in for the administration PKI
//! (Verwaltungs-PKI) that certifies the destinations' encryption keys.

use std::collections::BTreeMap;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, SerialNumber, date_time_ymd,
};
use rsa::RsaPrivateKey;
use rsa::pkcs8::EncodePrivateKey;

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

/// File name under which the portal serves the root's CRL (`/pki/root.crl`).
pub const ROOT_CRL: &str = "root.crl";
/// File name under which the portal serves the encryption CA's CRL (`/pki/encryption-ca.crl`).
pub const ENCRYPTION_CA_CRL: &str = "encryption-ca.crl";

/// A stand-in for the administration PKI: a root, an intermediate CA that issues the
/// destinations' encryption certificates (key usage `keyEncipherment`), and an empty CRL of
/// each, as a terminal checks a destination key ([`portal::pki`]). Demo mode uses it; the tests
/// make theirs with the openssl command line, independently of this code.
pub struct TestAdministrationPki {
    /// The root certificate, PEM: the terminal's trust anchor for destination keys.
    pub root_pem: String,
    root: Issuer<'static, KeyPair>,
    encryption_ca_der: Vec<u8>,
    encryption_ca: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for TestAdministrationPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestAdministrationPki").finish_non_exhaustive()
    }
}

fn ca_params(name: &str, constraints: BasicConstraints) -> Result<CertificateParams, LocalPortalError> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(pki_error)?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(constraints);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2100, 1, 1);
    Ok(params)
}

impl TestAdministrationPki {
    /// A new root and encryption CA.
    ///
    /// # Errors
    /// [`LocalPortalError::Pki`] if key generation or signing fails.
    pub fn generate() -> Result<Self, LocalPortalError> {
        let root_key = KeyPair::generate().map_err(pki_error)?;
        let root_params = ca_params("Bürgerterminal demo administration PKI root", BasicConstraints::Unconstrained)?;
        let root_pem = root_params.self_signed(&root_key).map_err(pki_error)?.pem();
        let root = Issuer::new(root_params, root_key);
        let ca_key = KeyPair::generate().map_err(pki_error)?;
        let ca_params = ca_params("Bürgerterminal demo encryption CA", BasicConstraints::Constrained(0))?;
        let encryption_ca_der = ca_params.signed_by(&ca_key, &root).map_err(pki_error)?.der().to_vec();
        Ok(Self { root_pem, root, encryption_ca_der, encryption_ca: Issuer::new(ca_params, ca_key) })
    }

    /// The `x5c` of an encryption certificate for `key` (leaf with common name `kid`, then the
    /// encryption CA; DER each), valid as `validity` says.
    ///
    /// # Errors
    /// [`LocalPortalError::Pki`] if the key cannot be read or signing fails.
    pub fn certify_encryption_key(
        &self,
        key: &RsaPrivateKey,
        kid: &str,
        validity: Validity,
    ) -> Result<Vec<Vec<u8>>, LocalPortalError> {
        let der = key.to_pkcs8_der().map_err(|e| LocalPortalError::Pki(e.to_string()))?;
        let key_pair = KeyPair::from_pkcs8_der_and_sign_algo(
            &rustls::pki_types::PrivatePkcs8KeyDer::from(der.as_bytes()),
            &rcgen::PKCS_RSA_SHA256,
        )
        .map_err(pki_error)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(pki_error)?;
        params.distinguished_name.push(DnType::CommonName, kid);
        params.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
        let (not_before, not_after) = match validity {
            Validity::Current => (date_time_ymd(2020, 1, 1), date_time_ymd(2100, 1, 1)),
            Validity::Expired => (date_time_ymd(2020, 1, 1), date_time_ymd(2021, 1, 1)),
        };
        params.not_before = not_before;
        params.not_after = not_after;
        let leaf = params.signed_by(&key_pair, &self.encryption_ca).map_err(pki_error)?;
        Ok(vec![leaf.der().to_vec(), self.encryption_ca_der.clone()])
    }

    /// The CRLs, DER, by the file name the portal serves them under: [`ROOT_CRL`] and
    /// [`ENCRYPTION_CA_CRL`], both revoking nothing and current until 2100.
    ///
    /// # Errors
    /// [`LocalPortalError::Pki`] if signing fails.
    pub fn crls(&self) -> Result<BTreeMap<String, Vec<u8>>, LocalPortalError> {
        let params = CertificateRevocationListParams {
            this_update: date_time_ymd(2020, 1, 1),
            next_update: date_time_ymd(2100, 1, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: Vec::new(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let mut crls = BTreeMap::new();
        for (name, issuer) in [(ROOT_CRL, &self.root), (ENCRYPTION_CA_CRL, &self.encryption_ca)] {
            crls.insert(name.to_owned(), params.signed_by(issuer).map_err(pki_error)?.der().to_vec());
        }
        Ok(crls)
    }
}
