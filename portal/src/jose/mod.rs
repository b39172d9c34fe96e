// SPDX-License-Identifier: GPL-3.0-or-later
//! The JOSE subset FIT-Connect uses (RFC 7515/7516/7517/7518), written for exactly that subset:
//!
//! - [`jwk`]: RSA keys as JSON Web Keys, checked for the algorithm and operation they are used
//!   for (FIT-Connect: `RSA-OAEP-256` + `wrapKey` for encryption, `PS512` + `verify` for signed
//!   events; RSA 4096).
//! - [`jwe`]: JWE compact serialisation with `alg` RSA-OAEP-256 and `enc` A256GCM (RFC 7516
//!   section 7.1, RFC 7518 sections 4.3 and 5.3).
//! - [`jws`]: JWS compact serialisation with `alg` PS512 (RFC 7515 section 7.1, RFC 7518
//!   section 3.5), used for Security Event Tokens (RFC 8417).
//!
//! Anything outside this subset (other algorithms, JSON serialisation, `zip`, `crit`) is refused
//! rather than half-supported.

pub mod jwe;
pub mod jwk;
pub mod jws;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Why a JOSE object was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoseError {
    /// The compact serialisation does not have the expected number of parts or is not base64url.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// Which object (JWE, JWS, JWK).
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The header names an algorithm or feature outside the supported subset.
    #[error("unsupported {parameter} {value:?} (only {expected} is accepted)")]
    Unsupported {
        /// Header or key parameter (`alg`, `enc`, `kty`, `zip`, `crit`).
        parameter: &'static str,
        /// The value found.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// A key may not be used for this purpose (`alg` or `key_ops` do not allow it) or is too weak.
    #[error("key {kid:?} is not usable: {reason}")]
    UnusableKey {
        /// The key's id.
        kid: String,
        /// Why not.
        reason: String,
    },
    /// No key with this id is in the key set.
    #[error("no key with id {kid:?} in the key set")]
    UnknownKey {
        /// The key id from the header.
        kid: String,
    },
    /// Decryption failed (wrong key, or the ciphertext or its header was tampered with).
    #[error("decryption failed: wrong key or modified ciphertext")]
    Decryption,
    /// A signature did not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// Generating randomness, encrypting or signing failed inside the crypto library.
    #[error("cryptographic operation failed: {0}")]
    Operation(String),
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn unb64(what: &'static str, part: &str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD.decode(part).map_err(|e| JoseError::Malformed { what, reason: format!("invalid base64url: {e}") })
}
