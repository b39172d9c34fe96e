// SPDX-License-Identifier: GPL-3.0-or-later
//! RSA JSON Web Keys (RFC 7517 section 4, RFC 7518 section 6.3) as the Submission API publishes
//! them (`components/schemas/JWK`: `kty` RSA, `alg`, `key_ops`, `kid`, `n`, `e`, `x5c`).

use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{JoseError, b64, unb64};

/// FIT-Connect uses RSA keys of 4096 bits; the Submission API's JWK schema requires `n` of at
/// least 683 base64url characters, which is 4096 bits.
pub const MIN_RSA_BITS: usize = 4096;

/// What a key is used for, with the `alg` and `key_ops` values that allow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    /// Encrypting a content key to the destination: `alg` RSA-OAEP-256, `key_ops` `wrapKey`.
    WrapKey,
    /// Verifying a PS512 signature: `alg` PS512, `key_ops` `verify`.
    Verify,
}

impl KeyUse {
    /// The `alg` a key for this use must carry.
    pub fn alg(self) -> &'static str {
        match self {
            KeyUse::WrapKey => "RSA-OAEP-256",
            KeyUse::Verify => "PS512",
        }
    }

    /// The `key_ops` entry a key for this use must carry.
    pub fn key_op(self) -> &'static str {
        match self {
            KeyUse::WrapKey => "wrapKey",
            KeyUse::Verify => "verify",
        }
    }
}

/// A public RSA key as a JWK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaJwk {
    /// Key type; only `RSA` is accepted.
    pub kty: String,
    /// Key id.
    pub kid: String,
    /// Intended algorithm.
    pub alg: String,
    /// Permitted operations.
    pub key_ops: Vec<String>,
    /// Modulus, base64url big-endian.
    pub n: String,
    /// Public exponent, base64url big-endian.
    pub e: String,
    /// Certificate chain (base64 DER, leaf first), as FIT-Connect publishes it; checked against
    /// the administration PKI by [`crate::pki::AdministrationPki::verify`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub x5c: Vec<String>,
}

/// A JSON Web Key Set (RFC 7517 section 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<RsaJwk>,
}

impl Jwks {
    /// The key with id `kid`, checked for `usage`.
    ///
    /// # Errors
    /// [`JoseError::UnknownKey`] if no key has that id; the errors of [`RsaJwk::public_key_for`].
    pub fn key_for(&self, kid: &str, usage: KeyUse) -> Result<RsaPublicKey, JoseError> {
        self.keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| JoseError::UnknownKey { kid: kid.to_owned() })?
            .public_key_for(usage)
    }
}

impl RsaJwk {
    /// Describes `key` as a JWK for `usage`.
    pub fn from_public_key(key: &RsaPublicKey, kid: &str, usage: KeyUse, x5c: Vec<String>) -> Self {
        Self {
            kty: "RSA".to_owned(),
            kid: kid.to_owned(),
            alg: usage.alg().to_owned(),
            key_ops: vec![usage.key_op().to_owned()],
            n: b64(&key.n().to_bytes_be()),
            e: b64(&key.e().to_bytes_be()),
            x5c,
        }
    }

    /// The JWK SHA-256 thumbprint (RFC 7638 section 3): SHA-256 over the required members
    /// `e`, `kty`, `n` in that order without whitespace, base64url. It names the key itself,
    /// whatever id the key is published under.
    pub fn thumbprint(&self) -> String {
        let text = |value: &str| serde_json::Value::from(value).to_string();
        let members = format!(r#"{{"e":{},"kty":{},"n":{}}}"#, text(&self.e), text(&self.kty), text(&self.n));
        b64(&Sha256::digest(members.as_bytes()))
    }

    /// The public key, after checking that it may be used for `usage`: `kty` is RSA, `alg` and
    /// `key_ops` allow the use, and the modulus has at least [`MIN_RSA_BITS`] bits.
    ///
    /// # Errors
    /// [`JoseError::Unsupported`] for a non-RSA key, [`JoseError::UnusableKey`] when `alg`,
    /// `key_ops` or the key size do not fit, [`JoseError::Malformed`] for bad base64url.
    pub fn public_key_for(&self, usage: KeyUse) -> Result<RsaPublicKey, JoseError> {
        if self.kty != "RSA" {
            return Err(JoseError::Unsupported { parameter: "kty", value: self.kty.clone(), expected: "RSA" });
        }
        let unusable = |reason: String| JoseError::UnusableKey { kid: self.kid.clone(), reason };
        if self.alg != usage.alg() {
            return Err(unusable(format!("alg is {:?}, {} is required", self.alg, usage.alg())));
        }
        if !self.key_ops.iter().any(|op| op == usage.key_op()) {
            return Err(unusable(format!("key_ops {:?} do not include {:?}", self.key_ops, usage.key_op())));
        }
        let n = BigUint::from_bytes_be(&unb64("JWK", &self.n)?);
        let e = BigUint::from_bytes_be(&unb64("JWK", &self.e)?);
        let key = RsaPublicKey::new(n, e).map_err(|e| unusable(e.to_string()))?;
        if key.size() * 8 < MIN_RSA_BITS {
            return Err(unusable(format!("{} bits, at least {MIN_RSA_BITS} are required", key.size() * 8)));
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thumbprint_is_rfc_7638s_example() {
        // RFC 7638 section 3.1: the example RSA key and its SHA-256 thumbprint.
        let jwk = RsaJwk {
            kty: "RSA".to_owned(),
            kid: "2011-04-29".to_owned(),
            alg: "RS256".to_owned(),
            key_ops: Vec::new(),
            n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".to_owned(),
            e: "AQAB".to_owned(),
            x5c: Vec::new(),
        };
        assert_eq!(jwk.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }
}
