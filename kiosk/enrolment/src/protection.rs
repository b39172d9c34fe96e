// SPDX-License-Identifier: GPL-3.0-or-later
//! PasswordBasedMac protection of CMP messages (RFC 4210 5.1.3.1, profiled
//! by RFC 9483 4.1.5 and its algorithms by RFC 9481 6.1.1).
//!
//! The MAC key is the one-way function iterated over `secret || salt`
//! (`iterationCount` applications in all, the first over the concatenation),
//! and the MAC is computed with it over the DER of `ProtectedPart`
//! (`SEQUENCE { header, body }`, RFC 4210 5.1.3).
//!
//! Our messages use SHA-256 and HMAC-SHA-256 with a fresh 16-byte salt. The
//! CA's answers are checked with the parameters they name, as RFC 4210
//! requires, restricted to SHA-256 as the one-way function and HMAC-SHA-256
//! or HMAC-SHA-1 as the MAC: OpenSSL 3.0's CMP server protects its answers
//! with HMAC-SHA-1 (`hmac-sha1`, 1.3.6.1.5.5.8.1.2, the MAC RFC 4210 names),
//! which is still a sound MAC. The iteration count of an answer is bounded
//! so that a forged answer cannot make the terminal hash for minutes.

use cmpv2::parameter::PbmParameter;
use der::asn1::{Any, OctetString};
use der::{Decode, Encode};
use hmac::{KeyInit, Mac};
use sha2::Digest;
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier};
use zeroize::Zeroizing;

/// id-PasswordBasedMac (RFC 4210 5.1.3.1).
pub(crate) const ID_PASSWORD_BASED_MAC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113533.7.66.13");
/// id-sha256 (RFC 5754 2.2).
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// id-hmacWithSHA256 (RFC 4231 3.1, RFC 9481 6.1.1).
const ID_HMAC_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.9");
/// hMAC-SHA1 (RFC 2404, the MAC of RFC 4210 5.1.3.1).
const ID_HMAC_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.8.1.2");

/// Iterations for our own messages: RFC 4210 asks for at least 100 and
/// OpenSSL accepts up to 100 000.
const OWN_ITERATIONS: u64 = 10_000;
/// The most iterations an answer may ask us to compute.
const MAX_ITERATIONS: u64 = 100_000;

/// Why a message's protection could not be computed or checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProtectionFault {
    /// Not PasswordBasedMac, or parameters we do not accept.
    Unsupported(String),
    /// The MAC does not match: another secret, or a changed message.
    Mismatch,
}

/// The MAC algorithm of a PasswordBasedMac.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MacAlgorithm {
    HmacSha256,
    HmacSha1,
}

/// The PBM parameters for a message of ours, with a fresh salt.
pub(crate) fn new_protection_algorithm(salt: [u8; 16]) -> Result<AlgorithmIdentifierOwned, der::Error> {
    let parameter = PbmParameter {
        salt: OctetString::new(salt.to_vec())?,
        owf: AlgorithmIdentifierOwned { oid: ID_SHA256, parameters: None },
        iteration_count: OWN_ITERATIONS,
        mac: AlgorithmIdentifierOwned { oid: ID_HMAC_WITH_SHA256, parameters: None },
    };
    Ok(AlgorithmIdentifierOwned { oid: ID_PASSWORD_BASED_MAC, parameters: Some(Any::from_der(&parameter.to_der()?)?) })
}

/// The MAC over `protected_part` under `algorithm` (a PasswordBasedMac
/// identifier), keyed by `secret`.
pub(crate) fn mac(
    algorithm: &AlgorithmIdentifierOwned,
    secret: &[u8],
    protected_part: &[u8],
) -> Result<Vec<u8>, ProtectionFault> {
    if algorithm.oid != ID_PASSWORD_BASED_MAC {
        return Err(ProtectionFault::Unsupported(format!("protection {} instead of PasswordBasedMac", algorithm.oid)));
    }
    let parameters = algorithm
        .parameters
        .as_ref()
        .ok_or_else(|| ProtectionFault::Unsupported("PasswordBasedMac without parameters".into()))?;
    let parameter: PbmParameter =
        parameters.decode_as().map_err(|e| ProtectionFault::Unsupported(format!("unreadable PBMParameter: {e}")))?;
    if parameter.owf.oid != ID_SHA256 {
        return Err(ProtectionFault::Unsupported(format!("one-way function {}", parameter.owf.oid)));
    }
    let mac = match parameter.mac.oid {
        oid if oid == ID_HMAC_WITH_SHA256 => MacAlgorithm::HmacSha256,
        oid if oid == ID_HMAC_SHA1 => MacAlgorithm::HmacSha1,
        oid => return Err(ProtectionFault::Unsupported(format!("MAC {oid}"))),
    };
    if !(1..=MAX_ITERATIONS).contains(&parameter.iteration_count) {
        return Err(ProtectionFault::Unsupported(format!("iteration count {}", parameter.iteration_count)));
    }
    let key = base_key(secret, parameter.salt.as_bytes(), parameter.iteration_count);
    Ok(compute_mac(mac, key.as_ref(), protected_part))
}

/// Checks `protection` against the MAC over `protected_part`, in constant
/// time.
pub(crate) fn verify(
    algorithm: &AlgorithmIdentifierOwned,
    secret: &[u8],
    protected_part: &[u8],
    protection: &[u8],
) -> Result<(), ProtectionFault> {
    let expected = mac(algorithm, secret, protected_part)?;
    let same_length = expected.len() == protection.len();
    let difference = expected.iter().zip(protection).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if same_length && difference == 0 { Ok(()) } else { Err(ProtectionFault::Mismatch) }
}

/// BASEKEY = SHA-256^iterations(secret || salt) (RFC 4210 5.1.3.1).
pub(crate) fn base_key(secret: &[u8], salt: &[u8], iterations: u64) -> Zeroizing<[u8; 32]> {
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&sha2::Sha256::new().chain_update(secret).chain_update(salt).finalize());
    for _ in 1..iterations {
        let next = sha2::Sha256::digest(key.as_ref());
        key.copy_from_slice(&next);
    }
    key
}

pub(crate) fn compute_mac(algorithm: MacAlgorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    match algorithm {
        MacAlgorithm::HmacSha256 => {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        MacAlgorithm::HmacSha1 => {
            let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes a key of any length");
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// The same derivation by Python's hashlib/hmac, an implementation we
    /// did not write.
    fn python_pbm(secret: &str, salt_hex: &str, iterations: u64, digest: &str, data_hex: &str) -> String {
        let script = format!(
            "import hashlib, hmac\n\
             k = hashlib.sha256(b'{secret}' + bytes.fromhex('{salt_hex}')).digest()\n\
             for _ in range({iterations} - 1):\n    k = hashlib.sha256(k).digest()\n\
             print(hmac.new(k, bytes.fromhex('{data_hex}'), hashlib.{digest}).hexdigest())\n"
        );
        let out = Command::new("python3").arg("-c").arg(script).output().expect("python3 runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8").trim().to_string()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn the_mac_key_derivation_matches_python_for_both_macs() {
        let salt = [0x5a; 16];
        let data = b"\x30\x03\x02\x01\x02 protected part";
        for (mac, digest) in [(MacAlgorithm::HmacSha256, "sha256"), (MacAlgorithm::HmacSha1, "sha1")] {
            for iterations in [1, 2, 500] {
                let key = base_key(b"9XM2T5HB3C8", &salt, iterations);
                let ours = hex(&compute_mac(mac, key.as_ref(), data));
                assert_eq!(ours, python_pbm("9XM2T5HB3C8", &hex(&salt), iterations, digest, &hex(data)));
            }
        }
    }

    #[test]
    fn our_protection_verifies_and_a_changed_message_or_secret_does_not() {
        let algorithm = new_protection_algorithm([7; 16]).expect("encodes");
        let tag = mac(&algorithm, b"secret", b"message").expect("supported");
        assert_eq!(tag.len(), 32);
        assert_eq!(verify(&algorithm, b"secret", b"message", &tag), Ok(()));
        assert_eq!(verify(&algorithm, b"secret", b"messagE", &tag), Err(ProtectionFault::Mismatch));
        assert_eq!(verify(&algorithm, b"Secret", b"message", &tag), Err(ProtectionFault::Mismatch));
    }

    #[test]
    fn signature_protection_is_not_accepted_as_a_mac() {
        let algorithm = AlgorithmIdentifierOwned { oid: crate::device_key::ECDSA_WITH_SHA256, parameters: None };
        assert!(matches!(mac(&algorithm, b"s", b"m"), Err(ProtectionFault::Unsupported(_))));
    }
}
