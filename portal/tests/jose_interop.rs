// SPDX-License-Identifier: GPL-3.0-or-later
//! Our JWE (RSA-OAEP-256 + A256GCM) and JWS (PS512) against an independent implementation:
//! Python's `jwcrypto` (Debian package `python3-jwcrypto`), in both directions.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use portal::jose::jwk::{Jwks, KeyUse, RsaJwk};
use portal::jose::{JoseError, jwe, jws};
use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};

/// The interop helper: `decrypt KEY FILE`, `encrypt KEY FILE`, `verify KEY FILE`, `sign KEY FILE`.
const HELPER: &str = r#"
import json, sys
from jwcrypto import jwe, jwk, jws
mode, key_path, file_path = sys.argv[1:4]
key = jwk.JWK.from_pem(open(key_path, "rb").read())
data = open(file_path, "rb").read()
if mode == "decrypt":
    token = jwe.JWE()
    token.deserialize(data.decode(), key=key)
    sys.stdout.buffer.write(token.payload)
elif mode == "encrypt":
    header = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "interop"}
    token = jwe.JWE(data, protected=json.dumps(header))
    token.add_recipient(key)
    sys.stdout.write(token.serialize(compact=True))
elif mode == "verify":
    token = jws.JWS()
    token.deserialize(data.decode())
    token.verify(key, alg="PS512")
    sys.stdout.buffer.write(token.payload)
elif mode == "sign":
    token = jws.JWS(data)
    token.add_signature(key, None, json.dumps({"alg": "PS512", "kid": "interop", "typ": "secevent+jwt"}))
    sys.stdout.write(token.serialize(compact=True))
"#;

fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| match RsaPrivateKey::new(&mut rand_core::OsRng, 4096) {
        Ok(key) => key,
        Err(e) => panic!("RSA key generation failed: {e}"),
    })
}

fn python(dir: &Path, mode: &str, input: &[u8]) -> Vec<u8> {
    let helper = dir.join("helper.py");
    let key_path = dir.join("key.pem");
    let input_path = dir.join(format!("{mode}.in"));
    let pem = match key().to_pkcs8_pem(LineEnding::LF) {
        Ok(pem) => pem,
        Err(e) => panic!("cannot encode the key: {e}"),
    };
    for (path, bytes) in [(&helper, HELPER.as_bytes()), (&key_path, pem.as_bytes()), (&input_path, input)] {
        if let Err(e) = std::fs::write(path, bytes) {
            panic!("cannot write {}: {e}", path.display());
        }
    }
    // Debian's interpreter, where Debian's python3-jwcrypto is installed (a python3 earlier in
    // PATH, e.g. from pyenv, would not see it).
    let output = match Command::new("/usr/bin/python3").arg(&helper).arg(mode).arg(&key_path).arg(&input_path).output()
    {
        Ok(output) => output,
        Err(e) => panic!("/usr/bin/python3 is required (Debian: python3, python3-jwcrypto): {e}"),
    };
    assert!(output.status.success(), "jwcrypto {mode} failed: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

fn tmp() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("no temporary directory: {e}"),
    }
}

#[test]
fn jwcrypto_decrypts_our_jwe() -> Result<(), JoseError> {
    let dir = tmp();
    let plaintext = "{\"familyName\":\"Müller-Lüdenscheidt\"}".as_bytes();
    let token = jwe::encrypt(plaintext, &key().to_public_key(), "interop", "application/json")?;
    assert_eq!(python(dir.path(), "decrypt", token.as_bytes()), plaintext);
    Ok(())
}

#[test]
fn we_decrypt_the_jwe_of_jwcrypto() -> Result<(), JoseError> {
    let dir = tmp();
    let plaintext = br#"{"items":[{"description":"Sofa","quantity":1}]}"#;
    let token = String::from_utf8(python(dir.path(), "encrypt", plaintext)).unwrap_or_default();
    assert_eq!(jwe::decrypt(&token, key())?.as_slice(), plaintext);
    assert_eq!(jwe::key_id(&token)?, Some("interop".to_owned()));
    Ok(())
}

#[test]
fn jwcrypto_verifies_our_ps512_signature() -> Result<(), JoseError> {
    let dir = tmp();
    let payload = br#"{"iss":"portal","sub":"submission:1"}"#;
    let token = jws::sign(payload, key(), "interop", "secevent+jwt")?;
    assert_eq!(python(dir.path(), "verify", token.as_bytes()), payload);
    Ok(())
}

#[test]
fn we_verify_the_ps512_signature_of_jwcrypto() -> Result<(), JoseError> {
    let dir = tmp();
    let payload = br#"{"iss":"portal","sub":"submission:2"}"#;
    let token = String::from_utf8(python(dir.path(), "sign", payload)).unwrap_or_default();
    let jwks =
        Jwks { keys: vec![RsaJwk::from_public_key(&key().to_public_key(), "interop", KeyUse::Verify, Vec::new())] };
    let verified = jws::verify(&token, &jwks)?;
    assert_eq!(verified.payload, payload);
    assert_eq!(verified.typ.as_deref(), Some("secevent+jwt"));
    Ok(())
}

#[test]
fn tampered_jwe_is_refused() -> Result<(), JoseError> {
    let token = jwe::encrypt(b"{}", &key().to_public_key(), "k", "application/json")?;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    // Flip the first ciphertext character to another base64url character.
    let flipped = if parts[3].starts_with('A') { "B" } else { "A" };
    parts[3].replace_range(0..1, flipped);
    assert_eq!(jwe::decrypt(&parts.join("."), key()), Err(JoseError::Decryption));
    // A changed protected header breaks the authentication tag (it is the AAD).
    let mut header_swapped: Vec<String> = token.split('.').map(str::to_owned).collect();
    header_swapped[0] = portal_b64(r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"other"}"#);
    assert_eq!(jwe::decrypt(&header_swapped.join("."), key()), Err(JoseError::Decryption));
    Ok(())
}

fn portal_b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[test]
fn jwe_with_another_algorithm_is_refused_before_decrypting() -> Result<(), JoseError> {
    let token = jwe::encrypt(b"{}", &key().to_public_key(), "k", "application/json")?;
    let rest = token.split_once('.').map(|(_, rest)| rest).unwrap_or_default();
    let forged = format!("{}.{rest}", portal_b64(r#"{"alg":"RSA1_5","enc":"A256GCM"}"#));
    assert!(matches!(jwe::decrypt(&forged, key()), Err(JoseError::Unsupported { parameter: "alg", .. })));
    Ok(())
}

#[test]
fn signature_by_another_key_or_algorithm_is_refused() -> Result<(), JoseError> {
    let token = jws::sign(b"{}", key(), "interop", "secevent+jwt")?;
    let wrong_use =
        Jwks { keys: vec![RsaJwk::from_public_key(&key().to_public_key(), "interop", KeyUse::WrapKey, Vec::new())] };
    assert!(matches!(jws::verify(&token, &wrong_use), Err(JoseError::UnusableKey { .. })));
    let unknown =
        Jwks { keys: vec![RsaJwk::from_public_key(&key().to_public_key(), "other", KeyUse::Verify, Vec::new())] };
    assert!(matches!(jws::verify(&token, &unknown), Err(JoseError::UnknownKey { .. })));
    let (header, rest) = token.split_once('.').unwrap_or_default();
    assert!(!header.is_empty());
    let none_alg = format!("{}.{rest}", portal_b64(r#"{"alg":"none","kid":"interop"}"#));
    let right =
        Jwks { keys: vec![RsaJwk::from_public_key(&key().to_public_key(), "interop", KeyUse::Verify, Vec::new())] };
    assert!(matches!(jws::verify(&none_alg, &right), Err(JoseError::Unsupported { parameter: "alg", .. })));
    let mut bad_signature = token.clone();
    bad_signature.truncate(token.len() - 4);
    bad_signature.push_str("AAAA");
    assert_eq!(jws::verify(&bad_signature, &right), Err(JoseError::BadSignature));
    Ok(())
}

#[test]
fn small_or_mislabelled_keys_are_refused_for_encryption() -> Result<(), JoseError> {
    let small = RsaPrivateKey::new(&mut rand_core::OsRng, 1024).map_err(|e| JoseError::Operation(e.to_string()))?;
    let jwk = RsaJwk::from_public_key(&small.to_public_key(), "small", KeyUse::WrapKey, Vec::new());
    assert!(matches!(jwk.public_key_for(KeyUse::WrapKey), Err(JoseError::UnusableKey { .. })));
    let mut mislabelled = RsaJwk::from_public_key(&key().to_public_key(), "k", KeyUse::WrapKey, Vec::new());
    mislabelled.key_ops = vec!["encrypt".to_owned()];
    assert!(matches!(mislabelled.public_key_for(KeyUse::WrapKey), Err(JoseError::UnusableKey { .. })));
    mislabelled.key_ops = vec!["wrapKey".to_owned()];
    mislabelled.alg = "RSA-OAEP".to_owned();
    assert!(matches!(mislabelled.public_key_for(KeyUse::WrapKey), Err(JoseError::UnusableKey { .. })));
    mislabelled.alg = "RSA-OAEP-256".to_owned();
    assert!(mislabelled.public_key_for(KeyUse::WrapKey).is_ok());
    Ok(())
}
