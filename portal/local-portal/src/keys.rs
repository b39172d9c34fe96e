// SPDX-License-Identifier: GPL-3.0-or-later
//! The portal's RSA keys: the destination's encryption key (RSA-OAEP-256, `wrapKey`) and the
//! portal's event signing key (PS512, `verify`), both RSA 4096 as FIT-Connect uses them. The
//! encryption key's certificate comes from the administration PKI ([`crate::pki`]); the signing
//! key, which terminals trust through the portal's TLS, carries a self-signed one.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portal::jose::jwk::{Jwks, KeyUse, MIN_RSA_BITS, RsaJwk};
use rsa::RsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use std::sync::Arc;

use crate::LocalPortalError;

/// Key id of the destination's encryption key.
pub const ENCRYPTION_KID: &str = "local-portal-encryption-1";
/// Key id of the portal's event signing key.
pub const SIGNING_KID: &str = "local-portal-signing-1";

/// The portal's private keys.
#[derive(Clone)]
pub struct PortalKeys {
    /// Decrypts what terminals encrypt to the destination.
    pub encryption: RsaPrivateKey,
    /// Signs the Security Event Tokens of the event log.
    pub signing: RsaPrivateKey,
    /// The signing key loaded into ring, whose RSA is several times faster than the pure-Rust
    /// one: every submission costs two signatures.
    signer: Arc<ring::rsa::KeyPair>,
}

impl std::fmt::Debug for PortalKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalKeys").finish_non_exhaustive()
    }
}

fn key_error(e: impl std::fmt::Display) -> LocalPortalError {
    LocalPortalError::Keys(e.to_string())
}

impl PortalKeys {
    /// Two fresh RSA 4096 keys. Takes seconds (much longer in an unoptimised build): generate
    /// once and keep them, see [`PortalKeys::to_pem`].
    ///
    /// # Errors
    /// [`LocalPortalError::Keys`] if generation fails.
    pub fn generate() -> Result<Self, LocalPortalError> {
        let mut rng = rand_core::OsRng;
        Self::from_keys(
            RsaPrivateKey::new(&mut rng, MIN_RSA_BITS).map_err(key_error)?,
            RsaPrivateKey::new(&mut rng, MIN_RSA_BITS).map_err(key_error)?,
        )
    }

    fn from_keys(encryption: RsaPrivateKey, signing: RsaPrivateKey) -> Result<Self, LocalPortalError> {
        let der = signing.to_pkcs8_der().map_err(key_error)?;
        let signer = ring::rsa::KeyPair::from_pkcs8(der.as_bytes()).map_err(key_error)?;
        Ok(Self { encryption, signing, signer: Arc::new(signer) })
    }

    /// A PS512 signature over `message` with the signing key (RFC 7518 section 3.5).
    ///
    /// # Errors
    /// [`portal::jose::JoseError::Operation`] if ring fails.
    pub fn sign_ps512(&self, message: &[u8]) -> Result<Vec<u8>, portal::jose::JoseError> {
        let mut signature = vec![0u8; self.signer.public().modulus_len()];
        self.signer
            .sign(&ring::signature::RSA_PSS_SHA512, &ring::rand::SystemRandom::new(), message, &mut signature)
            .map_err(|_| portal::jose::JoseError::Operation("PS512 signing failed".to_owned()))?;
        Ok(signature)
    }

    /// Both keys as PKCS#8 PEM (encryption key first).
    ///
    /// # Errors
    /// [`LocalPortalError::Keys`] if encoding fails.
    pub fn to_pem(&self) -> Result<(zeroize::Zeroizing<String>, zeroize::Zeroizing<String>), LocalPortalError> {
        Ok((
            self.encryption.to_pkcs8_pem(LineEnding::LF).map_err(key_error)?,
            self.signing.to_pkcs8_pem(LineEnding::LF).map_err(key_error)?,
        ))
    }

    /// Keys from PKCS#8 PEM, as written by [`PortalKeys::to_pem`].
    ///
    /// # Errors
    /// [`LocalPortalError::Keys`] if a key cannot be read or is smaller than RSA 4096.
    pub fn from_pem(encryption: &str, signing: &str) -> Result<Self, LocalPortalError> {
        let keys = Self::from_keys(
            RsaPrivateKey::from_pkcs8_pem(encryption).map_err(key_error)?,
            RsaPrivateKey::from_pkcs8_pem(signing).map_err(key_error)?,
        )?;
        for key in [&keys.encryption, &keys.signing] {
            if key.size() * 8 < MIN_RSA_BITS {
                return Err(key_error(format!("RSA keys must have at least {MIN_RSA_BITS} bits")));
            }
        }
        Ok(keys)
    }

    /// The portal's JWKS (its event signing key).
    ///
    /// # Errors
    /// [`LocalPortalError::Keys`] if the certificate cannot be made.
    pub fn jwks(&self) -> Result<Jwks, LocalPortalError> {
        Ok(Jwks { keys: vec![jwk_with_certificate(&self.signing, SIGNING_KID, KeyUse::Verify)?] })
    }
}

/// A destination's public encryption key as the Submission API publishes it: the JWK of `key`
/// with id `kid`, and `x5c` its certificate chain (DER each, leaf first).
pub fn encryption_jwk(key: &RsaPrivateKey, kid: &str, x5c: &[Vec<u8>]) -> RsaJwk {
    RsaJwk::from_public_key(
        &key.to_public_key(),
        kid,
        KeyUse::WrapKey,
        x5c.iter().map(|certificate| STANDARD.encode(certificate)).collect(),
    )
}

fn jwk_with_certificate(key: &RsaPrivateKey, kid: &str, usage: KeyUse) -> Result<RsaJwk, LocalPortalError> {
    let der = key.to_pkcs8_der().map_err(key_error)?;
    let key_pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
        &rustls::pki_types::PrivatePkcs8KeyDer::from(der.as_bytes()),
        &rcgen::PKCS_RSA_SHA256,
    )
    .map_err(key_error)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(key_error)?;
    params.distinguished_name.push(rcgen::DnType::CommonName, kid);
    let cert = params.self_signed(&key_pair).map_err(key_error)?;
    Ok(RsaJwk::from_public_key(&key.to_public_key(), kid, usage, vec![STANDARD.encode(cert.der())]))
}
