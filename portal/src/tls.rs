// SPDX-License-Identifier: GPL-3.0-or-later
//! TLS to the portal: TLS 1.3 only, the portal's CA pinned (no system roots), host name checked
//! by rustls' WebPKI verifier, and the device's client certificate presented.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use crate::PortalError;
use crate::error::{PemDefect, Shared, TlsFailure};

/// The PEM material the terminal authenticates with and trusts.
#[derive(Clone)]
pub struct TlsMaterial {
    /// The portal CA certificate(s), PEM. Only these are trusted.
    pub ca_pem: Vec<u8>,
    /// The device certificate chain, PEM (leaf first).
    pub client_cert_pem: Vec<u8>,
    /// The device's private key, PEM (PKCS#8, SEC1 or PKCS#1).
    pub client_key_pem: zeroize::Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("ca_pem", &format_args!("<{} bytes>", self.ca_pem.len()))
            .field("client_cert_pem", &format_args!("<{} bytes>", self.client_cert_pem.len()))
            .field("client_key_pem", &"<withheld>")
            .finish()
    }
}

fn tls_error(cause: TlsFailure) -> PortalError {
    PortalError::Tls { cause }
}

/// Parses all certificates in a PEM bundle.
///
/// # Errors
/// [`PortalError::Tls`] if the PEM is malformed or holds no certificate.
pub fn certificates_from_pem(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, PortalError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(TlsFailure::CertificatePem { what: what.to_owned(), defect: PemDefect::of(&e) }))?;
    if certs.is_empty() {
        return Err(tls_error(TlsFailure::NoCertificate { what: what.to_owned() }));
    }
    Ok(certs)
}

/// Parses a private key from PEM.
///
/// # Errors
/// [`PortalError::Tls`] if no key can be read.
pub fn private_key_from_pem(pem: &[u8], what: &str) -> Result<PrivateKeyDer<'static>, PortalError> {
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| tls_error(TlsFailure::PrivateKeyPem { what: what.to_owned(), defect: PemDefect::of(&e) }))
}

/// The ring provider with TLS 1.3 as the only protocol version.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the client configuration from `material`.
///
/// # Errors
/// [`PortalError::Tls`] if a certificate or the key cannot be used.
pub fn client_config(material: &TlsMaterial) -> Result<Arc<ClientConfig>, PortalError> {
    let mut roots = RootCertStore::empty();
    for ca in certificates_from_pem(&material.ca_pem, "the portal CA")? {
        roots.add(ca).map_err(|e| tls_error(TlsFailure::UnusableCa(Shared::new(e))))?;
    }
    let chain = certificates_from_pem(&material.client_cert_pem, "the device certificate")?;
    let key = private_key_from_pem(&material.client_key_pem, "the device key")?;
    let config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| tls_error(TlsFailure::ProtocolVersion(Shared::new(e))))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| tls_error(TlsFailure::DeviceIdentity(Shared::new(e))))?;
    Ok(Arc::new(config))
}
