// SPDX-License-Identifier: GPL-3.0-or-later
//! Cryptographic building blocks shared by PACE, secure messaging and Chip
//! Authentication: the key derivation function (BSI TR-03110-3 A.2.3, ICAO
//! Doc 9303-11 9.7.1), AES in CBC mode and AES-CMAC (9303-11 9.8.6),
//! the brainpoolP256r1 group (RFC 5639 3.4) and the randomness seam.

use aes::{Aes128, Aes192, Aes256};
use bp256::r1::{AffinePoint, NonZeroScalar};
use cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use cmac::{Cmac, Mac};
use elliptic_curve::sec1::{FromSec1Point, ToSec1Point};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use thiserror::Error;
use zeroize::Zeroizing;

/// AES block size in bytes.
pub const BLOCK: usize = 16;

/// Length of the truncated MACs and authentication tokens for AES
/// (ICAO Doc 9303-11 9.8.6.2, TR-03110-3 A.2.4.2).
pub const MAC_LEN: usize = 8;

/// Failures of the cryptographic primitives.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CryptoError {
    /// A key has a length other than 16, 24 or 32 bytes.
    #[error("AES key of {0} bytes; expected 16, 24 or 32")]
    KeyLength(usize),
    /// Data to encrypt or decrypt is not a whole number of AES blocks.
    #[error("data of {0} bytes is not a multiple of the 16-byte AES block")]
    NotBlockAligned(usize),
    /// A public key is not an uncompressed point on brainpoolP256r1 or is the
    /// point at infinity. The card sent a bad key: abort the protocol.
    #[error("public key is not a valid brainpoolP256r1 point")]
    InvalidPoint,
    /// A scalar is zero, not below the group order, or longer than 32 bytes.
    #[error("scalar is out of range for brainpoolP256r1")]
    InvalidScalar,
    /// A result point came out as the point at infinity, which TR-03110-3
    /// A.3.4.1 (mapping) and A.3.4.2 (key agreement) require to abort on.
    #[error("elliptic curve operation produced the point at infinity")]
    PointAtInfinity,
    /// The operating system random source failed.
    #[error("operating system random number generator failed")]
    Randomness,
    /// ISO/IEC 9797-1 padding (method 2) is missing or malformed.
    #[error("message padding is malformed")]
    BadPadding,
}

/// The block cipher of a protocol, named by the last arc of its OID
/// (TR-03110-3 A.1.1.1: `...-AES-CBC-CMAC-128` is 2, `-192` is 3, `-256` is 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cipher {
    /// AES with a 128-bit key.
    Aes128,
    /// AES with a 192-bit key.
    Aes192,
    /// AES with a 256-bit key.
    Aes256,
}

impl Cipher {
    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Cipher::Aes128 => 16,
            Cipher::Aes192 => 24,
            Cipher::Aes256 => 32,
        }
    }

    /// The last OID arc naming this cipher.
    pub fn oid_suffix(self) -> u8 {
        match self {
            Cipher::Aes128 => 2,
            Cipher::Aes192 => 3,
            Cipher::Aes256 => 4,
        }
    }

    /// The cipher named by the last OID arc, if it is an AES variant.
    pub fn from_oid_suffix(arc: u8) -> Option<Self> {
        match arc {
            2 => Some(Cipher::Aes128),
            3 => Some(Cipher::Aes192),
            4 => Some(Cipher::Aes256),
            _ => None,
        }
    }
}

/// KDF counter for the encryption key (TR-03110-3 A.2.3.1).
pub const KDF_ENC: u32 = 1;
/// KDF counter for the MAC key.
pub const KDF_MAC: u32 = 2;
/// KDF counter for the PACE password key K_pi.
pub const KDF_PI: u32 = 3;

/// `KDF(K, c) = H(K || c)` truncated to the key length, with SHA-1 for
/// AES-128 and SHA-256 for AES-192/256 (TR-03110-3 A.2.3.2, ICAO Doc
/// 9303-11 9.7.1.1).
pub fn kdf(secret: &[u8], counter: u32, cipher: Cipher) -> Zeroizing<Vec<u8>> {
    kdf_with_nonce(secret, &[], counter, cipher)
}

/// `KDF(K, r, c) = H(K || r || c)`, the variant with a nonce used by Chip
/// Authentication (TR-03110-3 A.2.3.2, A.4.3.1).
pub fn kdf_with_nonce(secret: &[u8], nonce: &[u8], counter: u32, cipher: Cipher) -> Zeroizing<Vec<u8>> {
    let counter = counter.to_be_bytes();
    let mut digest = match cipher {
        Cipher::Aes128 => Zeroizing::new(
            Sha1::new().chain_update(secret).chain_update(nonce).chain_update(counter).finalize().to_vec(),
        ),
        Cipher::Aes192 | Cipher::Aes256 => Zeroizing::new(
            Sha256::new().chain_update(secret).chain_update(nonce).chain_update(counter).finalize().to_vec(),
        ),
    };
    digest.truncate(cipher.key_len());
    digest
}

/// An expanded AES key of any of the three sizes.
#[derive(Clone)]
pub(crate) enum AesKey {
    A128(Aes128),
    A192(Aes192),
    A256(Aes256),
}

impl AesKey {
    pub(crate) fn new(key: &[u8]) -> Result<Self, CryptoError> {
        let err = |_| CryptoError::KeyLength(key.len());
        match key.len() {
            16 => Aes128::new_from_slice(key).map(AesKey::A128).map_err(err),
            24 => Aes192::new_from_slice(key).map(AesKey::A192).map_err(err),
            32 => Aes256::new_from_slice(key).map(AesKey::A256).map_err(err),
            n => Err(CryptoError::KeyLength(n)),
        }
    }

    pub(crate) fn encrypt_block(&self, block: &mut [u8; BLOCK]) {
        let mut b = Array::from(*block);
        match self {
            AesKey::A128(c) => c.encrypt_block(&mut b),
            AesKey::A192(c) => c.encrypt_block(&mut b),
            AesKey::A256(c) => c.encrypt_block(&mut b),
        }
        block.copy_from_slice(&b);
    }

    fn decrypt_block(&self, block: &mut [u8; BLOCK]) {
        let mut b = Array::from(*block);
        match self {
            AesKey::A128(c) => c.decrypt_block(&mut b),
            AesKey::A192(c) => c.decrypt_block(&mut b),
            AesKey::A256(c) => c.decrypt_block(&mut b),
        }
        block.copy_from_slice(&b);
    }

    /// AES-CBC encryption of block-aligned data (NIST SP 800-38A 6.2).
    pub(crate) fn cbc_encrypt(&self, iv: &[u8; BLOCK], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if !data.len().is_multiple_of(BLOCK) {
            return Err(CryptoError::NotBlockAligned(data.len()));
        }
        let mut chain = *iv;
        let mut out = Vec::with_capacity(data.len());
        for chunk in data.chunks_exact(BLOCK) {
            for (c, d) in chain.iter_mut().zip(chunk) {
                *c ^= d;
            }
            self.encrypt_block(&mut chain);
            out.extend_from_slice(&chain);
        }
        Ok(out)
    }

    /// AES-CBC decryption of block-aligned data.
    pub(crate) fn cbc_decrypt(&self, iv: &[u8; BLOCK], data: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if !data.len().is_multiple_of(BLOCK) {
            return Err(CryptoError::NotBlockAligned(data.len()));
        }
        let mut prev = *iv;
        let mut out = Zeroizing::new(Vec::with_capacity(data.len()));
        for chunk in data.chunks_exact(BLOCK) {
            let mut block = [0u8; BLOCK];
            block.copy_from_slice(chunk);
            let cipher_block = block;
            self.decrypt_block(&mut block);
            for (b, p) in block.iter_mut().zip(prev) {
                *b ^= p;
            }
            out.extend_from_slice(&block);
            prev = cipher_block;
        }
        Ok(out)
    }
}

/// AES-CMAC (NIST SP 800-38B) over `data`, truncated to [`MAC_LEN`] bytes.
pub fn cmac8(key: &[u8], data: &[u8]) -> Result<[u8; MAC_LEN], CryptoError> {
    fn run<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Result<[u8; MAC_LEN], CryptoError> {
        let mut mac = <M as KeyInit>::new_from_slice(key).map_err(|_| CryptoError::KeyLength(key.len()))?;
        mac.update(data);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        Ok(out)
    }
    match key.len() {
        16 => run::<Cmac<Aes128>>(key, data),
        24 => run::<Cmac<Aes192>>(key, data),
        32 => run::<Cmac<Aes256>>(key, data),
        n => Err(CryptoError::KeyLength(n)),
    }
}

/// Constant-time comparison of two MACs or tokens.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// ISO/IEC 9797-1 padding method 2: append `80` and zeros up to a whole block
/// (ICAO Doc 9303-11 9.8.6.1).
pub fn pad(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + BLOCK);
    out.extend_from_slice(data);
    out.push(0x80);
    while !out.len().is_multiple_of(BLOCK) {
        out.push(0x00);
    }
    out
}

/// Removes ISO/IEC 9797-1 padding method 2.
pub fn unpad(data: &[u8]) -> Result<&[u8], CryptoError> {
    let end = data.iter().rposition(|b| *b != 0x00).ok_or(CryptoError::BadPadding)?;
    if data[end] != 0x80 || data.len() - end > BLOCK {
        return Err(CryptoError::BadPadding);
    }
    Ok(&data[..end])
}

/// Source of randomness for ephemeral keys and challenges.
///
/// This is the one seam where the sans-I/O core needs the outside world.
/// Production uses [`OsRandomness`]; the worked-example tests feed the
/// published ephemeral keys through their own implementation.
pub trait Randomness {
    /// Fills `buf` with uniformly random bytes.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError>;
}

/// Randomness from the operating system (`getrandom(2)`).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandomness;

impl Randomness for OsRandomness {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        getrandom::fill(buf).map_err(|_| CryptoError::Randomness)
    }
}

/// Draws a private key in [1, n-1] by rejection sampling (BSI TR-03111 4.1.1).
pub(crate) fn random_scalar(rng: &mut dyn Randomness) -> Result<NonZeroScalar, CryptoError> {
    // The chance that 32 random bytes are >= n is below 2^-128 per attempt
    // for brainpoolP256r1, so a handful of attempts is plenty.
    for _ in 0..16 {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill(bytes.as_mut_slice())?;
        let repr = Array::from(*bytes);
        if let Some(s) = Option::<NonZeroScalar>::from(NonZeroScalar::from_repr(repr)) {
            return Ok(s);
        }
    }
    Err(CryptoError::Randomness)
}

/// A scalar from big-endian bytes (at most 32), rejecting 0 and values >= n.
pub(crate) fn scalar_from_be(bytes: &[u8]) -> Result<NonZeroScalar, CryptoError> {
    if bytes.len() > 32 {
        return Err(CryptoError::InvalidScalar);
    }
    let mut buf = Zeroizing::new([0u8; 32]);
    buf[32 - bytes.len()..].copy_from_slice(bytes);
    Option::<NonZeroScalar>::from(NonZeroScalar::from_repr(Array::from(*buf))).ok_or(CryptoError::InvalidScalar)
}

/// Parses an uncompressed SEC1 point (`04 || X || Y`, BSI TR-03111 3.2.1)
/// and checks it lies on brainpoolP256r1 and is not the identity.
pub fn point_from_uncompressed(bytes: &[u8]) -> Result<AffinePoint, CryptoError> {
    if bytes.len() != 65 || bytes[0] != 0x04 {
        return Err(CryptoError::InvalidPoint);
    }
    AffinePoint::from_sec1_bytes(bytes).map_err(|_| CryptoError::InvalidPoint)
}

/// Uncompressed SEC1 encoding of a point (65 bytes).
pub fn point_to_uncompressed(point: &AffinePoint) -> Result<Vec<u8>, CryptoError> {
    let encoded = point.to_sec1_point(false);
    let bytes = encoded.as_bytes();
    if bytes.len() != 65 {
        return Err(CryptoError::PointAtInfinity);
    }
    Ok(bytes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::hex;

    #[test]
    fn kdf_reproduces_icao_9303_11_g1_session_keys() {
        // ICAO Doc 9303-11 (8th ed.) G.1: shared secret and derived keys.
        let k = hex("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925");
        assert_eq!(*kdf(&k, KDF_ENC, Cipher::Aes128), hex("F5F0E35C0D7161EE6724EE513A0D9A7F"));
        assert_eq!(*kdf(&k, KDF_MAC, Cipher::Aes128), hex("FE251C7858B356B24514B3BD5F4297D1"));
    }

    #[test]
    fn kdf_for_aes_192_is_a_prefix_of_aes_256() {
        let k = [0x42u8; 32];
        let k192 = kdf(&k, KDF_ENC, Cipher::Aes192);
        let k256 = kdf(&k, KDF_ENC, Cipher::Aes256);
        assert_eq!(k192.len(), 24);
        assert_eq!(k256.len(), 32);
        assert_eq!(&k256[..24], &k192[..]);
    }

    #[test]
    fn cbc_round_trips_and_rejects_unaligned_data() {
        let key = AesKey::new(&[7u8; 16]).unwrap();
        let iv = [9u8; 16];
        let data = pad(b"Gemeinde M\xc3\xbcnster");
        let enc = key.cbc_encrypt(&iv, &data).unwrap();
        assert_ne!(enc, data);
        assert_eq!(*key.cbc_decrypt(&iv, &enc).unwrap(), data);
        assert_eq!(key.cbc_encrypt(&iv, &[0; 15]), Err(CryptoError::NotBlockAligned(15)));
        assert!(matches!(AesKey::new(&[0; 17]), Err(CryptoError::KeyLength(17))));
    }

    #[test]
    fn cmac_matches_nist_sp_800_38b_example() {
        // NIST SP 800-38B D.1, AES-128 example 2 (16-byte message), first 8 bytes.
        let key = hex("2B7E151628AED2A6ABF7158809CF4F3C");
        let msg = hex("6BC1BEE22E409F96E93D7E117393172A");
        assert_eq!(cmac8(&key, &msg).unwrap().to_vec(), hex("070A16B46B4D4144"));
    }

    #[test]
    fn padding_round_trips_and_rejects_garbage() {
        assert_eq!(pad(&[]).len(), 16);
        assert_eq!(pad(&[1; 16]).len(), 32);
        assert_eq!(unpad(&pad(&[1, 2, 3])).unwrap(), &[1, 2, 3]);
        assert_eq!(unpad(&[0u8; 16]), Err(CryptoError::BadPadding));
        assert_eq!(unpad(&[1u8; 16]), Err(CryptoError::BadPadding));
    }

    #[test]
    fn points_off_the_curve_and_wrong_encodings_are_rejected() {
        let mut p = vec![0x04];
        p.extend_from_slice(&[1u8; 64]);
        assert_eq!(point_from_uncompressed(&p), Err(CryptoError::InvalidPoint));
        assert_eq!(point_from_uncompressed(&[0x00]), Err(CryptoError::InvalidPoint));
        assert_eq!(point_from_uncompressed(&[0x04; 33]), Err(CryptoError::InvalidPoint));
    }

    #[test]
    fn scalars_outside_one_to_n_minus_one_are_rejected() {
        assert!(scalar_from_be(&[0u8; 32]).is_err());
        assert!(scalar_from_be(&[0xFFu8; 32]).is_err());
        assert!(scalar_from_be(&[1u8]).is_ok());
        assert!(scalar_from_be(&[1u8; 33]).is_err());
    }
}
