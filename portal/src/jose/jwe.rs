// SPDX-License-Identifier: GPL-3.0-or-later
//! JWE compact serialisation, RSA-OAEP-256 key wrapping with A256GCM content encryption.
//!
//! RFC 7516 section 5.1 (encryption) and 5.2 (decryption); the protected header, base64url
//! encoded, is the additional authenticated data (step 14). RFC 7518 section 4.3: RSAES-OAEP
//! with SHA-256 and MGF1-SHA-256; section 5.3: AES-GCM with a 256-bit key, a 96-bit IV and a
//! 128-bit tag.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use rand_core::{OsRng, RngCore};
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{JoseError, b64, unb64};

const ALG: &str = "RSA-OAEP-256";
const ENC: &str = "A256GCM";

/// The protected header fields this implementation reads.
#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    enc: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    zip: Option<String>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// Encrypts `plaintext` to `key` (the destination's `wrapKey` key with id `kid`).
///
/// `content_type` goes into the `cty` header (e.g. `application/json`).
///
/// # Errors
/// [`JoseError::Operation`] if the key wrapping or the encryption fails.
pub fn encrypt(plaintext: &[u8], key: &RsaPublicKey, kid: &str, content_type: &str) -> Result<String, JoseError> {
    let header = serde_json::json!({ "alg": ALG, "enc": ENC, "kid": kid, "cty": content_type });
    let header_b64 = b64(header.to_string().as_bytes());

    let mut cek = Zeroizing::new([0u8; 32]);
    OsRng.try_fill_bytes(cek.as_mut_slice()).map_err(|e| JoseError::Operation(e.to_string()))?;
    let mut iv = [0u8; 12];
    OsRng.try_fill_bytes(&mut iv).map_err(|e| JoseError::Operation(e.to_string()))?;

    let encrypted_key = key
        .encrypt(&mut OsRng, Oaep::new::<Sha256>(), cek.as_slice())
        .map_err(|e| JoseError::Operation(e.to_string()))?;
    let cipher = Aes256Gcm::new_from_slice(cek.as_slice()).map_err(|e| JoseError::Operation(e.to_string()))?;
    // Encrypted in place: the buffer holds the plaintext only until this call returns.
    let mut buffer = plaintext.to_vec();
    let tag = cipher
        .encrypt_in_place_detached(Nonce::from_slice(&iv), header_b64.as_bytes(), &mut buffer)
        .map_err(|_| JoseError::Operation("AES-GCM encryption failed".to_owned()))?;

    Ok(format!("{header_b64}.{}.{}.{}.{}", b64(&encrypted_key), b64(&iv), b64(&buffer), b64(tag.as_slice())))
}

/// The key id named in a JWE's protected header, without decrypting.
///
/// # Errors
/// [`JoseError::Malformed`] if the header cannot be read.
pub fn key_id(jwe: &str) -> Result<Option<String>, JoseError> {
    let header_b64 = jwe.split('.').next().unwrap_or_default();
    Ok(parse_header(header_b64)?.kid)
}

fn parse_header(header_b64: &str) -> Result<Header, JoseError> {
    serde_json::from_slice(&unb64("JWE", header_b64)?).map_err(|e| JoseError::Malformed {
        what: "JWE",
        reason: format!("protected header is not the expected JSON: {e}"),
    })
}

/// Decrypts a compact JWE with the destination's private key.
///
/// # Errors
/// [`JoseError::Malformed`] for a wrong shape, [`JoseError::Unsupported`] for another `alg`,
/// `enc`, any `zip` or `crit`, [`JoseError::Decryption`] for a wrong key or modified content.
pub fn decrypt(jwe: &str, key: &RsaPrivateKey) -> Result<Zeroizing<Vec<u8>>, JoseError> {
    let parts: Vec<&str> = jwe.split('.').collect();
    let [header_b64, encrypted_key, iv, ciphertext, tag] = parts.as_slice() else {
        return Err(JoseError::Malformed {
            what: "JWE",
            reason: format!("{} parts, compact serialisation has 5", parts.len()),
        });
    };
    let header = parse_header(header_b64)?;
    if header.alg != ALG {
        return Err(JoseError::Unsupported { parameter: "alg", value: header.alg, expected: ALG });
    }
    if header.enc != ENC {
        return Err(JoseError::Unsupported { parameter: "enc", value: header.enc, expected: ENC });
    }
    if let Some(zip) = header.zip {
        return Err(JoseError::Unsupported { parameter: "zip", value: zip, expected: "no compression" });
    }
    if let Some(crit) = header.crit {
        return Err(JoseError::Unsupported {
            parameter: "crit",
            value: crit.to_string(),
            expected: "no critical extensions",
        });
    }
    let iv = unb64("JWE", iv)?;
    let tag = unb64("JWE", tag)?;
    if iv.len() != 12 || tag.len() != 16 {
        return Err(JoseError::Malformed {
            what: "JWE",
            reason: format!("IV of {} and tag of {} bytes, A256GCM uses 12 and 16", iv.len(), tag.len()),
        });
    }
    let cek = Zeroizing::new(
        key.decrypt(Oaep::new::<Sha256>(), &unb64("JWE", encrypted_key)?).map_err(|_| JoseError::Decryption)?,
    );
    let cipher = Aes256Gcm::new_from_slice(&cek).map_err(|_| JoseError::Decryption)?;
    let mut buffer = Zeroizing::new(unb64("JWE", ciphertext)?);
    cipher
        .decrypt_in_place_detached(Nonce::from_slice(&iv), header_b64.as_bytes(), &mut buffer, Tag::from_slice(&tag))
        .map_err(|_| JoseError::Decryption)?;
    Ok(buffer)
}
