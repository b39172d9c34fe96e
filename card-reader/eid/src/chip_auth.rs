// SPDX-License-Identifier: GPL-3.0-or-later
//! Chip Authentication version 2 (BSI TR-03110-2 3.4, TR-03110-3 B.11.2).
//!
//! Runs inside the PACE channel right after Terminal Authentication, with
//! the ephemeral key TA announced. The card proves it owns the static key
//! from `EF.CardSecurity` and both sides switch to fresh session keys:
//!
//! ```text
//! MSE:Set AT (80 CA OID, [84 key ID])          → 9000              ExpectSetAt
//! General Authenticate 7C { 80 PK_CA,PCD }      → 7C { 81 r, 82 T } ExpectToken
//! ```
//!
//! `K = x(SK_CA,PCD · PK_PICC)`, `K_enc = KDF(K, r, 1)`, `K_mac = KDF(K, r, 2)`
//! and `T = MAC(K_mac, 7F49 { 06 OID, 86 PK_CA,PCD })` (TR-03110-3 A.4.3).
//! After success every further APDU uses the returned channel with SSC 0.

use bp256::r1::ProjectivePoint;
use thiserror::Error;
use zeroize::Zeroizing;

use crate::apdu::{CommandApdu, MAX_SHORT, ResponseApdu, Status};
use crate::card_access::{ChipAuthenticationInfo, ObjectIdentifier};
use crate::crypto::{self, Cipher, CryptoError, KDF_ENC, KDF_MAC};
use crate::passive_auth::VerifiedCardSecurity;
use crate::secure_messaging::{SecureMessaging, SmError};
use crate::terminal_auth::EphemeralCaKey;
use crate::tlv::{self, TlvError};

/// Length of the nonce `r_PICC` in the CA response.
const NONCE_LEN: usize = 8;

/// Why Chip Authentication failed. Every variant means the card could not
/// prove it is genuine: do not trust any data read from it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CaError {
    /// The ChipAuthenticationInfo names a variant other than ECDH with AES.
    #[error("unsupported Chip Authentication protocol {0}")]
    UnsupportedProtocol(ObjectIdentifier),
    /// The verified `EF.CardSecurity` holds no chip key with the requested key ID.
    #[error("EF.CardSecurity holds no signed Chip Authentication key for this key ID")]
    NoSignedChipKey,
    /// The card's static key is not a valid brainpoolP256r1 point.
    #[error("card's static Chip Authentication key is invalid")]
    InvalidChipKey,
    /// The card's token does not verify: it does not hold the private key.
    #[error("card failed to prove possession of its Chip Authentication key")]
    TokenInvalid,
    /// The response lacks the nonce or token, or they have the wrong length.
    #[error("Chip Authentication response is malformed")]
    MalformedResponse,
    /// A status word other than `9000`.
    #[error("unexpected status {sw:04X} during {step}")]
    UnexpectedStatus {
        /// Which command.
        step: &'static str,
        /// The status word.
        sw: u16,
    },
    /// Not valid TLV.
    #[error("response is not valid TLV: {0}")]
    Tlv(#[from] TlvError),
    /// A primitive failed.
    #[error("cryptographic failure: {0}")]
    Crypto(#[from] CryptoError),
    /// The new channel could not be set up.
    #[error("secure messaging: {0}")]
    SecureMessaging(#[from] SmError),
}

/// Starts Chip Authentication with the static key from a passively
/// authenticated `EF.CardSecurity` ([`crate::passive_auth`]), the key ID
/// chosen by `info`. This is the binding of TR-03110-2 3.4: a card passing
/// it holds the private key to a public key the issuing state signed.
pub fn start_verified(
    info: &ChipAuthenticationInfo,
    card_security: &VerifiedCardSecurity,
    ephemeral: EphemeralCaKey,
) -> Result<(ExpectSetAt, CommandApdu), CaError> {
    let key = card_security.chip_key(info.key_id).ok_or(CaError::NoSignedChipKey)?;
    start(info, &key.public_key, ephemeral)
}

/// Starts Chip Authentication with the card's static public key
/// (uncompressed) and the ephemeral key from TA. Prefer [`start_verified`]:
/// a key not taken from a verified `EF.CardSecurity` proves nothing.
pub fn start(
    info: &ChipAuthenticationInfo,
    chip_static_public_key: &[u8],
    ephemeral: EphemeralCaKey,
) -> Result<(ExpectSetAt, CommandApdu), CaError> {
    let cipher = info.cipher.ok_or_else(|| CaError::UnsupportedProtocol(info.protocol.clone()))?;
    crypto::point_from_uncompressed(chip_static_public_key).map_err(|_| CaError::InvalidChipKey)?;
    let mut data = tlv::encode(0x80, &info.protocol.0);
    if let Some(key_id) = info.key_id {
        let bytes = key_id.to_be_bytes();
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(3);
        tlv::encode_into(0x84, &bytes[start..], &mut data);
    }
    Ok((
        ExpectSetAt { cipher, oid_der: info.protocol.to_der(), chip_key: chip_static_public_key.to_vec(), ephemeral },
        CommandApdu::new(0x00, 0x22, 0x41, 0xA4).with_data(data),
    ))
}

/// Waiting for the answer to MSE:Set AT.
pub struct ExpectSetAt {
    cipher: Cipher,
    oid_der: Vec<u8>,
    chip_key: Vec<u8>,
    ephemeral: EphemeralCaKey,
}

impl ExpectSetAt {
    /// Sends the terminal's ephemeral public key.
    pub fn handle(self, response: &ResponseApdu) -> Result<(ExpectToken, CommandApdu), CaError> {
        if response.sw.meaning() != Status::Success {
            return Err(CaError::UnexpectedStatus { step: "MSE:Set AT", sw: response.sw.0 });
        }
        let command = CommandApdu::new(0x00, 0x86, 0x00, 0x00)
            .with_data(tlv::encode(0x7C, &tlv::encode(0x80, self.ephemeral.public_key())))
            .with_le(MAX_SHORT);
        Ok((ExpectToken { inner: self }, command))
    }
}

/// Waiting for the nonce and the card's token.
pub struct ExpectToken {
    inner: ExpectSetAt,
}

impl ExpectToken {
    /// Derives the new session keys and verifies the card's token.
    pub fn handle(self, response: &ResponseApdu) -> Result<SecureMessaging, CaError> {
        if response.sw.meaning() != Status::Success {
            return Err(CaError::UnexpectedStatus { step: "General Authenticate", sw: response.sw.0 });
        }
        let s = self.inner;
        let outer = tlv::parse_single(&response.data)?.expect_tag(0x7C)?;
        let parts = outer.children()?;
        let nonce = tlv::find(&parts, 0x81).map(|t| t.value).ok_or(CaError::MalformedResponse)?;
        let token = tlv::find(&parts, 0x82).map(|t| t.value).ok_or(CaError::MalformedResponse)?;
        if nonce.len() != NONCE_LEN || token.len() != crypto::MAC_LEN {
            return Err(CaError::MalformedResponse);
        }
        let chip_point = crypto::point_from_uncompressed(&s.chip_key).map_err(|_| CaError::InvalidChipKey)?;
        let shared = (ProjectivePoint::from(chip_point) * **s.ephemeral.secret).to_affine();
        let shared = Zeroizing::new(crypto::point_to_uncompressed(&shared)?);
        let k = &shared[1..33];
        let k_enc = crypto::kdf_with_nonce(k, nonce, KDF_ENC, s.cipher);
        let k_mac = crypto::kdf_with_nonce(k, nonce, KDF_MAC, s.cipher);
        let mut key_object = s.oid_der.clone();
        tlv::encode_into(0x86, s.ephemeral.public_key(), &mut key_object);
        let expected = crypto::cmac8(&k_mac, &tlv::encode(0x7F49, &key_object))?;
        if !crypto::ct_eq(&expected, token) {
            return Err(CaError::TokenInvalid);
        }
        Ok(SecureMessaging::new(s.cipher, &k_enc, &k_mac)?)
    }
}
