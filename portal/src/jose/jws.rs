// SPDX-License-Identifier: GPL-3.0-or-later
//! JWS compact serialisation with PS512 (RFC 7515 section 7.1, RFC 7518 section 3.5:
//! RSASSA-PSS with SHA-512, MGF1-SHA-512 and a 64-byte salt).

use rand_core::OsRng;
use rsa::pss::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;
use sha2::Sha512;

use super::jwk::{Jwks, KeyUse};
use super::{JoseError, b64, unb64};

const ALG: &str = "PS512";

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// Signs `payload` (already serialised JSON) with PS512.
///
/// # Errors
/// [`JoseError::Operation`] if signing fails.
pub fn sign(payload: &[u8], key: &RsaPrivateKey, kid: &str, typ: &str) -> Result<String, JoseError> {
    sign_with(payload, kid, typ, |signing_input| {
        SigningKey::<Sha512>::new(key.clone())
            .try_sign_with_rng(&mut OsRng, signing_input)
            .map(|signature| signature.to_bytes().to_vec())
            .map_err(|e| JoseError::Operation(e.to_string()))
    })
}

/// Builds a PS512 JWS whose signature over the signing input comes from `signer` (for keys held
/// by another implementation, e.g. a faster one or a hardware module). `signer` must produce
/// an RSASSA-PSS signature with SHA-512, MGF1-SHA-512 and a 64-byte salt.
///
/// # Errors
/// Whatever `signer` returns.
pub fn sign_with(
    payload: &[u8],
    kid: &str,
    typ: &str,
    signer: impl FnOnce(&[u8]) -> Result<Vec<u8>, JoseError>,
) -> Result<String, JoseError> {
    let header = serde_json::json!({ "alg": ALG, "kid": kid, "typ": typ });
    let signing_input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload));
    let signature = signer(signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", b64(&signature)))
}

/// A verified JWS: its `typ` header and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The `typ` header, if present (SETs carry `secevent+jwt`).
    pub typ: Option<String>,
    /// The payload bytes.
    pub payload: Vec<u8>,
}

/// Verifies a compact JWS against the key named by its `kid` in `jwks`.
///
/// # Errors
/// [`JoseError::Malformed`], [`JoseError::Unsupported`] (not PS512, `crit`),
/// [`JoseError::UnknownKey`], [`JoseError::UnusableKey`] (key not for `verify` with PS512),
/// [`JoseError::BadSignature`].
pub fn verify(token: &str, jwks: &Jwks) -> Result<Verified, JoseError> {
    let (signing_input, signature_b64) =
        token.rsplit_once('.').ok_or(JoseError::Malformed { what: "JWS", reason: "no signature part".to_owned() })?;
    let (header_b64, payload_b64) = signing_input
        .split_once('.')
        .ok_or(JoseError::Malformed { what: "JWS", reason: "compact serialisation has 3 parts".to_owned() })?;
    if payload_b64.contains('.') {
        return Err(JoseError::Malformed { what: "JWS", reason: "compact serialisation has 3 parts".to_owned() });
    }
    let header: Header = serde_json::from_slice(&unb64("JWS", header_b64)?)
        .map_err(|e| JoseError::Malformed { what: "JWS", reason: format!("header is not the expected JSON: {e}") })?;
    if header.alg != ALG {
        return Err(JoseError::Unsupported { parameter: "alg", value: header.alg, expected: ALG });
    }
    if let Some(crit) = header.crit {
        return Err(JoseError::Unsupported {
            parameter: "crit",
            value: crit.to_string(),
            expected: "no critical extensions",
        });
    }
    let kid = header.kid.ok_or(JoseError::Malformed { what: "JWS", reason: "header has no kid".to_owned() })?;
    let key: RsaPublicKey = jwks.key_for(&kid, KeyUse::Verify)?;
    let signature =
        Signature::try_from(unb64("JWS", signature_b64)?.as_slice()).map_err(|_| JoseError::BadSignature)?;
    VerifyingKey::<Sha512>::new(key)
        .verify(signing_input.as_bytes(), &signature)
        .map_err(|_| JoseError::BadSignature)?;
    Ok(Verified { typ: header.typ, payload: unb64("JWS", payload_b64)? })
}
