// SPDX-License-Identifier: GPL-3.0-or-later
//! Terminal Authentication version 2 (BSI TR-03110-2 3.3, TR-03110-3 B.11).
//!
//! Runs inside the PACE channel: the caller wraps every command with its
//! [`crate::secure_messaging::SecureMessaging`] and hands the unwrapped
//! response to `handle`.
//!
//! ```text
//! MSE:Set DST (83 CAR of DV cert)        → 9000   ┐ ExpectAck
//! PSO:Verify Certificate (DV)             → 9000   │
//! MSE:Set DST (83 CAR of terminal cert)  → 9000   │
//! PSO:Verify Certificate (terminal)       → 9000   │
//! MSE:Set AT (80 TA OID, 83 CHR, [67 aux], 91 Comp(PK_CA,PCD)) → 9000 ┘
//! GET CHALLENGE                           → r_PICC (8 bytes)   ExpectChallenge
//! EXTERNAL AUTHENTICATE (signature)       → 9000               ExpectAuthentication
//! ```
//!
//! The signature covers `ID_PICC || r_PICC || Comp(PK_CA,PCD) || aux`
//! (TR-03110-3 B.11.6), where `ID_PICC` is the compressed PACE ephemeral key
//! of the card and `PK_CA,PCD` the terminal's ephemeral Chip Authentication
//! key, generated here and handed on to [`crate::chip_auth`].

use std::collections::VecDeque;

use bp256::BrainpoolP256r1;
use bp256::r1::{NonZeroScalar, ProjectivePoint};
use ecdsa::SigningKey;
use ecdsa::signature::hazmat::PrehashSigner;
use sha2::{Digest, Sha256};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::apdu::{CommandApdu, ResponseApdu, Status};
use crate::crypto::{self, CryptoError, Randomness};
use crate::cvc::{Cvc, SignatureHash, TerminalChain};
use crate::tlv::{self, TlvError};

/// `id-TA-ECDSA-SHA-256` = 0.4.0.127.0.7.2.2.2.2.3 (TR-03110-3 A.2.1.1).
const ID_TA_ECDSA_SHA_256: [u8; 10] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02, 0x02, 0x03];
/// Length of r_PICC (TR-03110-3 B.11.5).
const CHALLENGE_LEN: usize = 8;

/// Why Terminal Authentication failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TaError {
    /// `6A88` on MSE:Set DST: the card does not know the CVCA or DV named.
    /// The terminal needs a link certificate or a DV certificate for the
    /// CVCA the card trusts.
    #[error("card does not know certification authority {0}")]
    UnknownAuthority(String),
    /// The card rejected a certificate (bad signature, expired for the card's date).
    #[error("card rejected certificate {chr} with status {sw:04X}")]
    CertificateRejected {
        /// The certificate holder.
        chr: String,
        /// The status word.
        sw: u16,
    },
    /// The card rejected the terminal's signature.
    #[error("card rejected the terminal signature with status {0:04X}")]
    SignatureRejected(u16),
    /// Any other status word.
    #[error("unexpected status {sw:04X} during {step}")]
    UnexpectedStatus {
        /// Which command.
        step: &'static str,
        /// The status word.
        sw: u16,
    },
    /// The challenge is not 8 bytes.
    #[error("challenge of {0} bytes; expected 8")]
    BadChallenge(usize),
    /// The terminal certificate uses a scheme other than ECDSA with SHA-256.
    #[error("terminal certificate scheme {0:?} is not supported for signing")]
    UnsupportedScheme(SignatureHash),
    /// The configured terminal key is neither an RFC 5915 `ECPrivateKey` nor
    /// unencrypted PKCS#8, or its scalar is out of range for brainpoolP256r1.
    #[error("terminal private key is not a valid brainpoolP256r1 key")]
    InvalidTerminalKey,
    /// The signer (software key or HSM) failed to sign.
    #[error("the terminal key failed to sign")]
    SigningFailed,
    /// A primitive failed.
    #[error("cryptographic failure: {0}")]
    Crypto(#[from] CryptoError),
    /// A key file is not valid DER.
    #[error("key is not valid DER: {0}")]
    Tlv(#[from] TlvError),
}

/// The seam to the terminal's private key: a software key
/// ([`TerminalKey`]) or a hardware security module.
pub trait TerminalSigner {
    /// Signs `message` with ECDSA-SHA-256 and returns the plain `r || s`
    /// encoding (BSI TR-03111 5.2.1).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, TaError>;
}

/// A brainpoolP256r1 terminal key held in memory (zeroized on drop).
pub struct TerminalKey {
    key: SigningKey<BrainpoolP256r1>,
}

impl std::fmt::Debug for TerminalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TerminalKey(<redacted>)")
    }
}

impl TerminalKey {
    /// A key from its 32-byte big-endian private scalar.
    pub fn from_scalar(bytes: &[u8]) -> Result<Self, TaError> {
        SigningKey::from_slice(bytes).map(|key| Self { key }).map_err(|_| TaError::InvalidTerminalKey)
    }

    /// A key from DER: either an RFC 5915 `ECPrivateKey` (what `openssl
    /// genpkey -outform DER` writes for EC keys) or an unencrypted PKCS#8
    /// `PrivateKeyInfo` wrapping one (RFC 5208).
    pub fn from_der(der: &[u8]) -> Result<Self, TaError> {
        let fields = tlv::parse_single(der)?.expect_tag(0x30)?.children()?;
        match fields.as_slice() {
            // ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, ... }
            [version, private_key, ..] if version.value == [1] && private_key.tag.0 == 0x04 => {
                Self::from_scalar(private_key.value)
            }
            // PrivateKeyInfo ::= SEQUENCE { version 0, algorithm, privateKey OCTET STRING { ECPrivateKey } }
            [version, _, wrapped, ..] if version.value == [0] && wrapped.tag.0 == 0x04 => Self::from_der(wrapped.value),
            _ => Err(TaError::InvalidTerminalKey),
        }
    }

    /// A fresh key, for the terminal's next certificate (TR-03110-3 C.2).
    pub fn generate(rng: &mut dyn Randomness) -> Result<Self, TaError> {
        Ok(Self { key: SigningKey::from(crypto::random_scalar(rng)?) })
    }

    /// The key as an RFC 5915 `ECPrivateKey` with the named curve
    /// brainpoolP256r1 (RFC 5639 4.1) and the public key, which
    /// [`TerminalKey::from_der`] and `openssl ec -inform DER` read back.
    pub fn to_der(&self) -> Zeroizing<Vec<u8>> {
        /// 1.3.36.3.3.2.8.1.1.7
        const BRAINPOOL_P256R1: [u8; 9] = [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07];
        let scalar = Zeroizing::new(self.key.to_bytes());
        let mut fields = Zeroizing::new(Vec::with_capacity(121));
        tlv::encode_into(0x02, &[0x01], &mut fields);
        tlv::encode_into(0x04, scalar.as_slice(), &mut fields);
        tlv::encode_into(0xA0, &tlv::encode(0x06, &BRAINPOOL_P256R1), &mut fields);
        let mut bits = vec![0x00];
        bits.extend_from_slice(&self.public_key());
        tlv::encode_into(0xA1, &tlv::encode(0x03, &bits), &mut fields);
        Zeroizing::new(tlv::encode(0x30, &fields))
    }

    /// The public key, uncompressed, to compare with the terminal certificate.
    pub fn public_key(&self) -> Vec<u8> {
        self.key.verifying_key().to_sec1_point(false).as_bytes().to_vec()
    }
}

impl TerminalSigner for TerminalKey {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, TaError> {
        let digest = Sha256::digest(message);
        let signature: ecdsa::Signature<BrainpoolP256r1> =
            self.key.sign_prehash(&digest).map_err(|_| TaError::SigningFailed)?;
        Ok(signature.to_bytes().to_vec())
    }
}

/// The terminal's ephemeral Chip Authentication key pair, chosen before
/// Terminal Authentication because the card binds TA to it.
pub struct EphemeralCaKey {
    pub(crate) secret: Zeroizing<NonZeroScalar>,
    /// Uncompressed public key (always 65 bytes).
    public: Vec<u8>,
}

impl std::fmt::Debug for EphemeralCaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EphemeralCaKey").field("public", &self.public).finish_non_exhaustive()
    }
}

impl EphemeralCaKey {
    /// Draws a fresh key pair on brainpoolP256r1.
    pub fn generate(rng: &mut dyn Randomness) -> Result<Self, CryptoError> {
        let secret = Zeroizing::new(crypto::random_scalar(rng)?);
        let public = crypto::point_to_uncompressed(&(ProjectivePoint::GENERATOR * **secret).to_affine())?;
        Ok(Self { secret, public })
    }

    /// The uncompressed public key.
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// `Comp(PK)`: the x-coordinate (TR-03110-3 A.2.2.3).
    pub fn compressed(&self) -> &[u8] {
        &self.public[1..33]
    }
}

/// `ID_PICC`, the x-coordinate of a brainpoolP256r1 point (TR-03110-3 A.2.2.3).
const ID_PICC_LEN: usize = 32;

/// What Terminal Authentication needs.
pub struct TaConfig<'a> {
    /// The verified DV and terminal certificates.
    pub chain: &'a TerminalChain,
    /// The terminal's private key.
    pub signer: &'a dyn TerminalSigner,
    /// The card's PACE ephemeral public key ([`crate::pace::PaceOutcome::chip_ephemeral_public_key`]),
    /// or its x-coordinate alone as a PIN pad reader reports it
    /// ([`crate::pace_on_reader::PaceChannel::id_icc`]).
    pub chip_pace_public_key: &'a [u8],
    /// Encoded auxiliary data (`67 { ... }`, e.g. age verification), if any.
    pub auxiliary_data: Option<Vec<u8>>,
}

/// Starts Terminal Authentication; returns the first state and command.
pub fn start(config: TaConfig<'_>, rng: &mut dyn Randomness) -> Result<(ExpectAck, CommandApdu), TaError> {
    let terminal = &config.chain.terminal;
    if terminal.hash != SignatureHash::Sha256 {
        return Err(TaError::UnsupportedScheme(terminal.hash));
    }
    let id_picc = match config.chip_pace_public_key {
        // IDicc as a PIN pad reader reports it after its PACE: already the
        // x-coordinate (PC/SC part 10 amendment 1, EstablishPACEChannel output).
        x if x.len() == ID_PICC_LEN => x.to_vec(),
        key => crypto::point_from_uncompressed(key).map(|_| key[1..=ID_PICC_LEN].to_vec())?,
    };
    let ca_key = EphemeralCaKey::generate(rng)?;
    let dv = &config.chain.dv;
    let set_dst = |car: &str| CommandApdu::new(0x00, 0x22, 0x81, 0xB6).with_data(tlv::encode(0x83, &latin1(car)));
    let verify = |cert: &Cvc| CommandApdu::new(0x00, 0x2A, 0x00, 0xBE).with_data(cert.body_and_signature());
    let mut set_at = tlv::encode(0x80, &ID_TA_ECDSA_SHA_256);
    tlv::encode_into(0x83, &latin1(&terminal.chr), &mut set_at);
    if let Some(aux) = &config.auxiliary_data {
        set_at.extend_from_slice(aux);
    }
    tlv::encode_into(0x91, ca_key.compressed(), &mut set_at);
    let pending = VecDeque::from([
        (Step::VerifyCertificate(dv.chr.clone()), verify(dv)),
        (Step::SetDst(terminal.car.clone()), set_dst(&terminal.car)),
        (Step::VerifyCertificate(terminal.chr.clone()), verify(terminal)),
        (Step::SetAt, CommandApdu::new(0x00, 0x22, 0x81, 0xA4).with_data(set_at)),
    ]);
    let mut signed_suffix = ca_key.compressed().to_vec();
    if let Some(aux) = &config.auxiliary_data {
        signed_suffix.extend_from_slice(aux);
    }
    Ok((ExpectAck { step: Step::SetDst(dv.car.clone()), pending, id_picc, signed_suffix, ca_key }, set_dst(&dv.car)))
}

fn latin1(text: &str) -> Vec<u8> {
    // CHR/CAR characters come from ISO/IEC 8859-1 certificates, so each fits a byte.
    text.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    SetDst(String),
    VerifyCertificate(String),
    SetAt,
}

/// Waiting for `9000` to one of the set-up commands.
pub struct ExpectAck {
    step: Step,
    pending: VecDeque<(Step, CommandApdu)>,
    id_picc: Vec<u8>,
    signed_suffix: Vec<u8>,
    ca_key: EphemeralCaKey,
}

/// The next state after a set-up command.
pub enum AckNext {
    /// More set-up commands follow.
    More(ExpectAck, CommandApdu),
    /// GET CHALLENGE was sent.
    Challenge(ExpectChallenge, CommandApdu),
}

impl ExpectAck {
    /// Checks the status of the current set-up command and sends the next
    /// one; after MSE:Set AT that is GET CHALLENGE.
    pub fn handle(mut self, response: &ResponseApdu) -> Result<AckNext, TaError> {
        let sw = response.sw.0;
        match (&self.step, response.sw.meaning()) {
            (_, Status::Success) => {}
            (Step::SetDst(car), Status::ReferenceDataNotFound) => return Err(TaError::UnknownAuthority(car.clone())),
            (Step::SetDst(_), _) => return Err(TaError::UnexpectedStatus { step: "MSE:Set DST", sw }),
            (Step::VerifyCertificate(chr), _) => return Err(TaError::CertificateRejected { chr: chr.clone(), sw }),
            (Step::SetAt, _) => return Err(TaError::UnexpectedStatus { step: "MSE:Set AT", sw }),
        }
        match self.pending.pop_front() {
            Some((step, command)) => {
                self.step = step;
                Ok(AckNext::More(self, command))
            }
            None => Ok(AckNext::Challenge(
                ExpectChallenge { id_picc: self.id_picc, signed_suffix: self.signed_suffix, ca_key: self.ca_key },
                CommandApdu::new(0x00, 0x84, 0x00, 0x00).with_le(CHALLENGE_LEN),
            )),
        }
    }
}

/// Waiting for the card's challenge `r_PICC`.
pub struct ExpectChallenge {
    id_picc: Vec<u8>,
    signed_suffix: Vec<u8>,
    ca_key: EphemeralCaKey,
}

impl ExpectChallenge {
    /// Signs `ID_PICC || r_PICC || Comp(PK_CA,PCD) || aux` and sends EXTERNAL AUTHENTICATE.
    pub fn handle(
        self,
        response: &ResponseApdu,
        signer: &dyn TerminalSigner,
    ) -> Result<(ExpectAuthentication, CommandApdu), TaError> {
        if !response.sw.is_success() {
            return Err(TaError::UnexpectedStatus { step: "GET CHALLENGE", sw: response.sw.0 });
        }
        if response.data.len() != CHALLENGE_LEN {
            return Err(TaError::BadChallenge(response.data.len()));
        }
        let mut message = self.id_picc.clone();
        message.extend_from_slice(&response.data);
        message.extend_from_slice(&self.signed_suffix);
        let signature = signer.sign(&message)?;
        let command = CommandApdu::new(0x00, 0x82, 0x00, 0x00).with_data(signature);
        Ok((ExpectAuthentication { ca_key: self.ca_key }, command))
    }
}

/// Waiting for the result of EXTERNAL AUTHENTICATE.
pub struct ExpectAuthentication {
    ca_key: EphemeralCaKey,
}

impl ExpectAuthentication {
    /// On `9000` the card has granted the effective CHAT; returns the
    /// ephemeral key for Chip Authentication.
    pub fn handle(self, response: &ResponseApdu) -> Result<EphemeralCaKey, TaError> {
        match response.sw.meaning() {
            Status::Success => Ok(self.ca_key),
            _ => Err(TaError::SignatureRejected(response.sw.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::OsRandomness;

    #[test]
    fn a_generated_key_reads_back_from_its_der() {
        let key = TerminalKey::generate(&mut OsRandomness).unwrap();
        let again = TerminalKey::from_der(&key.to_der()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert_ne!(TerminalKey::generate(&mut OsRandomness).unwrap().public_key(), key.public_key());
    }
}
