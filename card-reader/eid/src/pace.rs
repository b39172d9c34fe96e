// SPDX-License-Identifier: GPL-3.0-or-later
//! PACE with generic mapping over ECDH on brainpoolP256r1 (ICAO Doc 9303-11
//! 4.4 and 4.4.3.3.1, BSI TR-03110-2 3.2, TR-03110-3 A.3 and B.1).
//!
//! The protocol is five command/response pairs, one state type each:
//!
//! | state                  | command sent                         | response consumed      |
//! |------------------------|--------------------------------------|------------------------|
//! | [`ExpectSetAt`]        | MSE:Set AT (`80` OID, `83` password, `7F4C` CHAT) | status only |
//! | [`ExpectNonce`]        | General Authenticate `7C 00`         | `7C { 80 z }`          |
//! | [`ExpectMappingKey`]   | GA `7C { 81 PK_map,PCD }`            | `7C { 82 PK_map,PICC }`|
//! | [`ExpectAgreementKey`] | GA `7C { 83 PK_PCD }`                | `7C { 84 PK_PICC }`    |
//! | [`ExpectChipToken`]    | GA `7C { 85 T_PCD }` (last, no chaining) | `7C { 86 T_PICC [87 CAR] [88 CAR'] }` |
//!
//! Each `handle` consumes the state, so a step can neither be repeated nor
//! skipped. The result is a [`PaceOutcome`] holding the fresh
//! [`SecureMessaging`] channel.
//!
//! Retry counters are reported exactly as the card states them
//! (TR-03110-3 B.8, TR-03110-2 3.5.1): on MSE:Set AT `63C2` is a warning
//! (two attempts left, PACE goes on), `63C1` means the PIN is suspended and
//! the next attempt needs the CAN first, `63C0`/`6983` mean blocked (unblock
//! with the PUK), `6283`/`6984` mean the eID function is deactivated.
//! A failed PIN attempt is never reported with more tries left than MSE:Set
//! AT said before it, minus one: some cards answer `6300` without a count,
//! or report the count from before the attempt.

use bp256::r1::{AffinePoint, NonZeroScalar, ProjectivePoint};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::apdu::{CommandApdu, MAX_SHORT, ResponseApdu, Status};
use crate::card_access::{BRAINPOOL_P256R1, ObjectIdentifier, PaceInfo, PaceProtocol};
use crate::chat::Chat;
use crate::crypto::{self, Cipher, CryptoError, KDF_ENC, KDF_MAC, KDF_PI, MAC_LEN, Randomness};
use crate::password::{Password, PasswordKind};
use crate::secure_messaging::{SecureMessaging, SmError};
use crate::tlv::{self, TlvError};

/// The protocol step a failure happened in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaceStep {
    /// MSE:Set AT.
    SetAt,
    /// General Authenticate, encrypted nonce.
    Nonce,
    /// General Authenticate, mapping.
    Mapping,
    /// General Authenticate, key agreement.
    KeyAgreement,
    /// General Authenticate, mutual authentication.
    MutualAuthentication,
}

/// Why PACE failed. The password variants are what the kiosk turns into
/// plain-language messages for the citizen.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PaceError {
    /// The card rejected the password. `retries_left` is the counter the card
    /// reported (`63Cx`), `None` when it only said `6300`. With 1 left the PIN
    /// is now suspended: the next try needs the CAN first.
    #[error("wrong password; {retries_left:?} attempt(s) left")]
    WrongPassword {
        /// Attempts left as reported by the card.
        retries_left: Option<u8>,
    },
    /// `63C1` on MSE:Set AT with the PIN: the PIN is suspended. Run PACE with
    /// the CAN first, then try the PIN once more inside that channel
    /// (TR-03110-2 3.5.1), setting [`PaceConfig::can_established`].
    #[error("PIN suspended: enter the CAN first, then the PIN")]
    PinSuspended,
    /// `63C0` or `6983`: the password is blocked. A blocked PIN is unblocked
    /// with the PUK; a blocked PUK cannot be recovered at the terminal.
    #[error("{0:?} blocked")]
    Blocked(PasswordKind),
    /// `6283` or `6984`: the eID function (or the referenced password) is
    /// deactivated; the citizen must have it activated at the citizens' office.
    #[error("eID function deactivated")]
    Deactivated,
    /// `6985` on MSE:Set AT: conditions of use not satisfied (e.g. PUK used
    /// when the PIN is not blocked, or a CHAT the card refuses).
    #[error("card refused the request: conditions of use not satisfied")]
    ConditionsNotSatisfied,
    /// Any other status word at a step.
    #[error("unexpected status {sw:04X} at {step:?}")]
    UnexpectedStatus {
        /// The step.
        step: PaceStep,
        /// The status word.
        sw: u16,
    },
    /// The card's authentication token did not verify: the card does not
    /// know the same password, or someone is in the middle. Abort.
    #[error("the card's authentication token is invalid")]
    ChipTokenInvalid,
    /// The card sent its own ephemeral public key back as its answer
    /// (9303-11 4.4.3.3.3 requires the keys to differ).
    #[error("card reused the terminal's ephemeral public key")]
    ReflectedKey,
    /// The response does not contain the required data object.
    #[error("response at {step:?} lacks data object {tag:X}")]
    MissingDataObject {
        /// The step.
        step: PaceStep,
        /// The expected tag.
        tag: u32,
    },
    /// The response is not valid TLV.
    #[error("response is not valid TLV: {0}")]
    Tlv(#[from] TlvError),
    /// The encrypted nonce has the wrong length.
    #[error("encrypted nonce of {0} bytes; expected one AES block")]
    BadNonce(usize),
    /// A key from the card is not on the curve, or a result is the identity.
    #[error("cryptographic check failed: {0}")]
    Crypto(#[from] CryptoError),
    /// The card offered a PACE variant this crate does not implement.
    #[error("unsupported PACE protocol {0}")]
    UnsupportedProtocol(ObjectIdentifier),
    /// Secure messaging set-up failed.
    #[error("secure messaging: {0}")]
    SecureMessaging(#[from] SmError),
}

/// A warning the card gave on MSE:Set AT while PACE went on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordWarning {
    /// `63C2`: the PIN has two attempts left; tell the citizen.
    RetriesLeft(u8),
    /// `63C1` accepted because the CAN channel is established: this is the last PIN attempt.
    ResumedAfterCan,
}

/// What PACE needs to start.
#[derive(Debug)]
pub struct PaceConfig {
    /// The PACEInfo chosen from EF.CardAccess.
    pub info: PaceInfo,
    /// The password.
    pub password: Password,
    /// The CHAT for EAC (only the data the service needs, see
    /// [`crate::chat`]); `None` for PACE alone (PIN management).
    pub chat: Option<Chat>,
    /// Set when this PACE runs inside a channel already established with
    /// the CAN, which is how a suspended PIN is resumed (TR-03110-2 3.5.1).
    pub can_established: bool,
}

/// The result of a successful PACE run.
#[derive(Debug)]
pub struct PaceOutcome {
    /// The new secure channel (SSC 0).
    pub secure_messaging: SecureMessaging,
    /// The card's ephemeral public key (uncompressed point). Its
    /// compression, the x-coordinate, is `ID_PICC` for Terminal
    /// Authentication (TR-03110-3 B.11.1 and A.2.2.3).
    pub chip_ephemeral_public_key: Vec<u8>,
    /// Most recent CVCA reference the card trusts (tag `87`), if sent.
    pub car: Option<Vec<u8>>,
    /// Previous CVCA reference (tag `88`), if sent.
    pub previous_car: Option<Vec<u8>>,
    /// A warning the card gave on MSE:Set AT.
    pub warning: Option<PasswordWarning>,
}

struct Context {
    cipher: Cipher,
    oid: ObjectIdentifier,
    password_kind: PasswordKind,
    k_pi: Zeroizing<Vec<u8>>,
    warning: Option<PasswordWarning>,
}

/// The PIN's retry counter when MSE:Set AT gives no warning (TR-03110-2 3.5.1).
const PIN_ATTEMPTS: u8 = 3;

impl Context {
    /// A wrong PIN costs one attempt (TR-03110-2 3.5.1), so after it at most
    /// one less is left than MSE:Set AT reported before it: `9000` means all
    /// three, `63C2` two, `63C1` (after the CAN) one. The card's own count is
    /// taken when it is lower; when the last attempt failed, the PIN is
    /// blocked. Other passwords (CAN, PUK) have no such counter.
    fn after_wrong_pin(&self, error: PaceError) -> PaceError {
        let PaceError::WrongPassword { retries_left } = error else { return error };
        if self.password_kind != PasswordKind::Pin {
            return error;
        }
        let before = match self.warning {
            None => PIN_ATTEMPTS,
            Some(PasswordWarning::RetriesLeft(n)) => n,
            Some(PasswordWarning::ResumedAfterCan) => 1,
        };
        let at_most = before.saturating_sub(1);
        match retries_left.map_or(at_most, |n| n.min(at_most)) {
            0 => PaceError::Blocked(PasswordKind::Pin),
            n => PaceError::WrongPassword { retries_left: Some(n) },
        }
    }
}

/// General Authenticate: `7C` wrapper, chaining bit except on the last step
/// (TR-03110-3 B.1, B.11.2).
fn general_authenticate(last: bool, inner_tag: u32, value: &[u8]) -> CommandApdu {
    let inner = if inner_tag == 0 { Vec::new() } else { tlv::encode(inner_tag, value) };
    CommandApdu::new(if last { 0x00 } else { 0x10 }, 0x86, 0x00, 0x00)
        .with_data(tlv::encode(0x7C, &inner))
        .with_le(MAX_SHORT)
}

/// Maps the status word of a General Authenticate step.
fn check_ga_status(step: PaceStep, response: &ResponseApdu, kind: PasswordKind) -> Result<(), PaceError> {
    match response.sw.meaning() {
        Status::Success => Ok(()),
        Status::RetriesLeft(n) if step == PaceStep::MutualAuthentication => {
            if n == 0 {
                Err(PaceError::Blocked(kind))
            } else {
                Err(PaceError::WrongPassword { retries_left: Some(n) })
            }
        }
        Status::AuthenticationFailed if step == PaceStep::MutualAuthentication => {
            Err(PaceError::WrongPassword { retries_left: None })
        }
        Status::Blocked => Err(PaceError::Blocked(kind)),
        Status::Deactivated | Status::ReferenceDataNotUsable => Err(PaceError::Deactivated),
        _ => Err(PaceError::UnexpectedStatus { step, sw: response.sw.0 }),
    }
}

/// Extracts the value of `tag` from a `7C` dynamic authentication data response.
fn dynamic_data(step: PaceStep, response: &ResponseApdu, tag: u32) -> Result<Vec<u8>, PaceError> {
    let outer = tlv::parse_single(&response.data)?.expect_tag(0x7C)?;
    let inner = outer.children()?;
    tlv::find(&inner, tag).map(|t| t.value.to_vec()).ok_or(PaceError::MissingDataObject { step, tag })
}

/// The public key data object for the authentication token: `7F49 { 06 OID,
/// 86 point }` (TR-03110-3 D.3.3 and A.2.4.2, ICAO Doc 9303-11 4.4.3.4).
fn token_input(oid: &ObjectIdentifier, point: &[u8]) -> Vec<u8> {
    let mut body = oid.to_der();
    tlv::encode_into(0x86, point, &mut body);
    tlv::encode(0x7F49, &body)
}

/// Starts PACE: returns the first state and the MSE:Set AT command to send.
pub fn start(config: PaceConfig) -> Result<(ExpectSetAt, CommandApdu), PaceError> {
    let cipher = match (&config.info.protocol, config.info.parameter_id) {
        (PaceProtocol::EcdhGenericMapping(c), Some(BRAINPOOL_P256R1)) => *c,
        (protocol, _) => return Err(PaceError::UnsupportedProtocol(protocol.oid())),
    };
    let oid = config.info.protocol.oid();
    // Tag 80 carries the OID content bytes (TR-03110-3 B.11.1, Table 20).
    let mut data = tlv::encode(0x80, &oid.0);
    tlv::encode_into(0x83, &[config.password.kind() as u8], &mut data);
    if let Some(chat) = &config.chat {
        data.extend_from_slice(&chat.to_der());
    }
    let command = CommandApdu::new(0x00, 0x22, 0xC1, 0xA4).with_data(data);
    let k_pi = crypto::kdf(config.password.encoded(), KDF_PI, cipher);
    Ok((
        ExpectSetAt {
            ctx: Context { cipher, oid, password_kind: config.password.kind(), k_pi, warning: None },
            can_established: config.can_established,
        },
        command,
    ))
}

/// Waiting for the answer to MSE:Set AT.
pub struct ExpectSetAt {
    ctx: Context,
    can_established: bool,
}

impl ExpectSetAt {
    /// Interprets the status word and sends the request for the encrypted nonce.
    pub fn handle(mut self, response: &ResponseApdu) -> Result<(ExpectNonce, CommandApdu), PaceError> {
        let kind = self.ctx.password_kind;
        match response.sw.meaning() {
            Status::Success => {}
            Status::RetriesLeft(0) | Status::Blocked => return Err(PaceError::Blocked(kind)),
            Status::RetriesLeft(1) if kind == PasswordKind::Pin => {
                if !self.can_established {
                    return Err(PaceError::PinSuspended);
                }
                self.ctx.warning = Some(PasswordWarning::ResumedAfterCan);
            }
            Status::RetriesLeft(n) => self.ctx.warning = Some(PasswordWarning::RetriesLeft(n)),
            Status::Deactivated | Status::ReferenceDataNotUsable => return Err(PaceError::Deactivated),
            Status::ConditionsNotSatisfied => return Err(PaceError::ConditionsNotSatisfied),
            _ => {
                return Err(PaceError::UnexpectedStatus { step: PaceStep::SetAt, sw: response.sw.0 });
            }
        }
        Ok((ExpectNonce { ctx: self.ctx }, general_authenticate(false, 0, &[])))
    }
}

/// Waiting for the encrypted nonce `z`.
pub struct ExpectNonce {
    ctx: Context,
}

impl ExpectNonce {
    /// Decrypts `s = D(K_π, z)` (9303-11 4.4.3.3, CBC with zero IV) and sends
    /// the terminal's mapping key.
    pub fn handle(
        self,
        response: &ResponseApdu,
        rng: &mut dyn Randomness,
    ) -> Result<(ExpectMappingKey, CommandApdu), PaceError> {
        check_ga_status(PaceStep::Nonce, response, self.ctx.password_kind)?;
        let z = dynamic_data(PaceStep::Nonce, response, 0x80)?;
        if z.len() != crypto::BLOCK {
            return Err(PaceError::BadNonce(z.len()));
        }
        let key = crypto::AesKey::new(&self.ctx.k_pi)?;
        let nonce = key.cbc_decrypt(&[0u8; crypto::BLOCK], &z)?;
        let map_key = Zeroizing::new(crypto::random_scalar(rng)?);
        let map_public = (ProjectivePoint::GENERATOR * **map_key).to_affine();
        let command = general_authenticate(false, 0x81, &crypto::point_to_uncompressed(&map_public)?);
        Ok((ExpectMappingKey { ctx: self.ctx, nonce, map_key, map_public }, command))
    }
}

/// Waiting for the card's mapping key.
pub struct ExpectMappingKey {
    ctx: Context,
    nonce: Zeroizing<Vec<u8>>,
    map_key: Zeroizing<NonZeroScalar>,
    map_public: AffinePoint,
}

impl ExpectMappingKey {
    /// Computes the mapped generator `G~ = s·G + H` with `H = SK_map,PCD ·
    /// PK_map,PICC` (9303-11 4.4.3.3.1) and sends the ephemeral key on `G~`.
    pub fn handle(
        self,
        response: &ResponseApdu,
        rng: &mut dyn Randomness,
    ) -> Result<(ExpectAgreementKey, CommandApdu), PaceError> {
        check_ga_status(PaceStep::Mapping, response, self.ctx.password_kind)?;
        let chip_map = crypto::point_from_uncompressed(&dynamic_data(PaceStep::Mapping, response, 0x82)?)?;
        if chip_map == self.map_public {
            return Err(PaceError::ReflectedKey);
        }
        let h = ProjectivePoint::from(chip_map) * **self.map_key;
        if bool::from(h.to_affine().is_identity()) {
            return Err(CryptoError::PointAtInfinity.into());
        }
        let s = crypto::scalar_from_be(&self.nonce)?;
        let generator = (ProjectivePoint::GENERATOR * *s + h).to_affine();
        if bool::from(generator.is_identity()) {
            return Err(CryptoError::PointAtInfinity.into());
        }
        let key = Zeroizing::new(crypto::random_scalar(rng)?);
        let public = crypto::point_to_uncompressed(&(ProjectivePoint::from(generator) * **key).to_affine())?;
        let command = general_authenticate(false, 0x83, &public);
        Ok((ExpectAgreementKey { ctx: self.ctx, generator, key, public }, command))
    }
}

/// Waiting for the card's ephemeral key on the mapped generator.
pub struct ExpectAgreementKey {
    ctx: Context,
    generator: AffinePoint,
    key: Zeroizing<NonZeroScalar>,
    public: Vec<u8>,
}

impl ExpectAgreementKey {
    /// The mapped generator `G~` (uncompressed), e.g. to compare with a worked example.
    pub fn mapped_generator(&self) -> Result<Vec<u8>, PaceError> {
        Ok(crypto::point_to_uncompressed(&self.generator)?)
    }

    /// Agrees on `K = x(SK_PCD · PK_PICC)`, derives `K_enc`/`K_mac` and sends
    /// the terminal's token `T_PCD = MAC(K_mac, PK_PICC)` (9303-11 4.4.3.4).
    pub fn handle(self, response: &ResponseApdu) -> Result<(ExpectChipToken, CommandApdu), PaceError> {
        check_ga_status(PaceStep::KeyAgreement, response, self.ctx.password_kind)?;
        let chip_public = dynamic_data(PaceStep::KeyAgreement, response, 0x84)?;
        let chip_point = crypto::point_from_uncompressed(&chip_public)?;
        if chip_public == self.public {
            return Err(PaceError::ReflectedKey);
        }
        let shared = (ProjectivePoint::from(chip_point) * **self.key).to_affine();
        let shared_bytes = Zeroizing::new(crypto::point_to_uncompressed(&shared)?);
        let secret = &shared_bytes[1..33];
        let k_enc = crypto::kdf(secret, KDF_ENC, self.ctx.cipher);
        let k_mac = crypto::kdf(secret, KDF_MAC, self.ctx.cipher);
        let t_pcd = crypto::cmac8(&k_mac, &token_input(&self.ctx.oid, &chip_public))?;
        let expected_t_picc = crypto::cmac8(&k_mac, &token_input(&self.ctx.oid, &self.public))?;
        Ok((
            ExpectChipToken { ctx: self.ctx, k_enc, k_mac, chip_public, expected_t_picc },
            general_authenticate(true, 0x85, &t_pcd),
        ))
    }
}

/// Waiting for the card's authentication token.
pub struct ExpectChipToken {
    ctx: Context,
    k_enc: Zeroizing<Vec<u8>>,
    k_mac: Zeroizing<Vec<u8>>,
    chip_public: Vec<u8>,
    expected_t_picc: [u8; MAC_LEN],
}

impl ExpectChipToken {
    /// Checks `T_PICC` and opens the secure channel.
    pub fn handle(self, response: &ResponseApdu) -> Result<PaceOutcome, PaceError> {
        check_ga_status(PaceStep::MutualAuthentication, response, self.ctx.password_kind)
            .map_err(|e| self.ctx.after_wrong_pin(e))?;
        let step = PaceStep::MutualAuthentication;
        let t_picc = dynamic_data(step, response, 0x86)?;
        if !crypto::ct_eq(&t_picc, &self.expected_t_picc) {
            return Err(PaceError::ChipTokenInvalid);
        }
        let outer = tlv::parse_single(&response.data)?;
        let inner = outer.children()?;
        Ok(PaceOutcome {
            secure_messaging: SecureMessaging::new(self.ctx.cipher, &self.k_enc, &self.k_mac)?,
            chip_ephemeral_public_key: self.chip_public,
            car: tlv::find(&inner, 0x87).map(|t| t.value.to_vec()),
            previous_car: tlv::find(&inner, 0x88).map(|t| t.value.to_vec()),
            warning: self.ctx.warning,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secure_messaging::CardSideSecureMessaging;
    use crate::test_support::hex;

    // ICAO Doc 9303 part 11 (8th edition, 2021), appendix G.1 "ECDH based
    // example": PACE-ECDH-GM-AES-128 on brainpoolP256r1 with the MRZ of
    // document T22000129 (born 1964-08-12, expiring 2010-10-31).
    const Z: &str = "95A3A016522EE98D01E76CB6B98B42C3";
    const MAP_SK_PCD: &str = "7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99";
    const MAP_PK_PCD: &str = "04 7ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E
                                 544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D";
    const MAP_PK_PICC: &str = "04 824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57
                                  30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54";
    const MAPPED_G: &str = "04 8CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2
                               8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522";
    const SK_PCD: &str = "A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595";
    const PK_PCD: &str = "04 2DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C
                             3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462";
    const PK_PICC: &str = "04 9E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB
                              7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094";
    const K_ENC: &str = "F5F0E35C0D7161EE6724EE513A0D9A7F";
    const K_MAC: &str = "FE251C7858B356B24514B3BD5F4297D1";
    const T_PCD: &str = "C2B0BD78D94BA866";
    const T_PICC: &str = "3ABB9674BCE93C08";

    /// Hands out the example's ephemeral private keys in protocol order.
    struct PublishedKeys(Vec<Vec<u8>>);

    impl Randomness for PublishedKeys {
        fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
            if self.0.is_empty() {
                return Err(CryptoError::Randomness);
            }
            buf.copy_from_slice(&self.0.remove(0));
            Ok(())
        }
    }

    fn g1_keys() -> PublishedKeys {
        PublishedKeys(vec![hex(MAP_SK_PCD), hex(SK_PCD)])
    }

    fn g1_info() -> PaceInfo {
        PaceInfo {
            protocol: PaceProtocol::EcdhGenericMapping(Cipher::Aes128),
            version: 2,
            parameter_id: Some(BRAINPOOL_P256R1),
        }
    }

    fn config(password: Password) -> PaceConfig {
        PaceConfig { info: g1_info(), password, chat: None, can_established: false }
    }

    fn g1_config() -> PaceConfig {
        config(Password::mrz("T22000129", "640812", "101031").unwrap())
    }

    fn ok(data: Vec<u8>) -> ResponseApdu {
        ResponseApdu::new(data, 0x9000)
    }

    fn dyn_data(tag: u32, value: &str) -> Vec<u8> {
        tlv::encode(0x7C, &tlv::encode(tag, &hex(value)))
    }

    fn bytes(command: &CommandApdu) -> Vec<u8> {
        command.to_bytes().unwrap()
    }

    /// Runs the example up to the state that expects the chip's token.
    fn run_to_chip_token() -> (ExpectChipToken, CommandApdu) {
        let mut rng = g1_keys();
        let (state, _) = start(g1_config()).unwrap();
        let (state, _) = state.handle(&ok(vec![])).unwrap();
        let (state, _) = state.handle(&ok(dyn_data(0x80, Z)), &mut rng).unwrap();
        let (state, _) = state.handle(&ok(dyn_data(0x82, MAP_PK_PICC)), &mut rng).unwrap();
        state.handle(&ok(dyn_data(0x84, PK_PICC))).unwrap()
    }

    #[test]
    fn icao_9303_11_g1_worked_example_is_reproduced_byte_for_byte() {
        let mut rng = g1_keys();
        let (state, cmd) = start(g1_config()).unwrap();
        // MSE:Set AT with id-PACE-ECDH-GM-AES-CBC-CMAC-128 and password reference MRZ.
        assert_eq!(bytes(&cmd), hex("0022C1A40F800A04007F00070202040202830101"));

        let (state, cmd) = state.handle(&ok(vec![])).unwrap();
        assert_eq!(bytes(&cmd), hex("10860000027C0000"));

        let (state, cmd) = state.handle(&ok(dyn_data(0x80, Z)), &mut rng).unwrap();
        let mut expected = hex("10860000457C438141");
        expected.extend(hex(MAP_PK_PCD));
        expected.push(0x00);
        assert_eq!(bytes(&cmd), expected);

        let (state, cmd) = state.handle(&ok(dyn_data(0x82, MAP_PK_PICC)), &mut rng).unwrap();
        assert_eq!(state.mapped_generator().unwrap(), hex(MAPPED_G));
        let mut expected = hex("10860000457C438341");
        expected.extend(hex(PK_PCD));
        expected.push(0x00);
        assert_eq!(bytes(&cmd), expected);

        let (state, cmd) = state.handle(&ok(dyn_data(0x84, PK_PICC))).unwrap();
        assert_eq!(*state.k_enc, hex(K_ENC));
        assert_eq!(*state.k_mac, hex(K_MAC));
        let mut expected = hex("008600000C7C0A8508");
        expected.extend(hex(T_PCD));
        expected.push(0x00);
        assert_eq!(bytes(&cmd), expected);

        let outcome = state.handle(&ok(dyn_data(0x86, T_PICC))).unwrap();
        assert_eq!(outcome.chip_ephemeral_public_key, hex(PK_PICC));
        assert_eq!(outcome.warning, None);
        assert_eq!(outcome.car, None);

        // The channel speaks with the published session keys from SSC 0.
        let mut terminal = outcome.secure_messaging;
        assert_eq!(terminal.ssc(), 0);
        let mut card = CardSideSecureMessaging::new(Cipher::Aes128, &hex(K_ENC), &hex(K_MAC)).unwrap();
        let select = CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(vec![0x01, 0x1C]);
        assert_eq!(card.unwrap_command(&terminal.protect(&select).unwrap()).unwrap(), select);
    }

    #[test]
    fn nonce_decrypts_to_published_value() {
        let pw = Password::mrz("T22000129", "640812", "101031").unwrap();
        let k_pi = crypto::kdf(pw.encoded(), KDF_PI, Cipher::Aes128);
        assert_eq!(*k_pi, hex("89DED1B26624EC1E634C1989302849DD"));
        let s = crypto::AesKey::new(&k_pi).unwrap().cbc_decrypt(&[0; 16], &hex(Z)).unwrap();
        assert_eq!(*s, hex("3F00C4D39D153F2B2A214A078D899B22"));
    }

    #[test]
    fn chip_token_and_certification_authority_references_are_returned() {
        let (state, _) = run_to_chip_token();
        let mut body = tlv::encode(0x86, &hex(T_PICC));
        tlv::encode_into(0x87, b"DECVCAeID00102", &mut body);
        tlv::encode_into(0x88, b"DECVCAeID00101", &mut body);
        let outcome = state.handle(&ok(tlv::encode(0x7C, &body))).unwrap();
        assert_eq!(outcome.car.as_deref(), Some(&b"DECVCAeID00102"[..]));
        assert_eq!(outcome.previous_car.as_deref(), Some(&b"DECVCAeID00101"[..]));
    }

    #[test]
    fn forged_chip_token_is_rejected() {
        let (state, _) = run_to_chip_token();
        let result = state.handle(&ok(dyn_data(0x86, "3ABB9674BCE93C09")));
        assert_eq!(result.err(), Some(PaceError::ChipTokenInvalid));
    }

    #[test]
    fn wrong_pin_reports_the_retry_counter_from_the_card() {
        for (sw, expected) in [
            (0x63C2, PaceError::WrongPassword { retries_left: Some(2) }),
            (0x63C1, PaceError::WrongPassword { retries_left: Some(1) }),
            (0x6300, PaceError::WrongPassword { retries_left: None }),
            (0x63C0, PaceError::Blocked(PasswordKind::Mrz)),
        ] {
            let (state, _) = run_to_chip_token();
            assert_eq!(state.handle(&ResponseApdu::new(vec![], sw)).err(), Some(expected));
        }
    }

    /// PACE with the PIN up to the chip's token, MSE:Set AT answered with `set_at`.
    fn pin_run_to_chip_token(set_at: u16, can_established: bool) -> ExpectChipToken {
        let mut rng = g1_keys();
        let mut cfg = config(Password::pin("123456").unwrap());
        cfg.can_established = can_established;
        let (state, _) = start(cfg).unwrap();
        let (state, _) = state.handle(&ResponseApdu::new(vec![], set_at)).unwrap();
        let (state, _) = state.handle(&ok(dyn_data(0x80, Z)), &mut rng).unwrap();
        let (state, _) = state.handle(&ok(dyn_data(0x82, MAP_PK_PICC)), &mut rng).unwrap();
        state.handle(&ok(dyn_data(0x84, PK_PICC))).unwrap().0
    }

    #[test]
    fn a_wrong_pin_never_leaves_more_attempts_than_before_it_minus_one() {
        for (set_at, can, failed, expected) in [
            // All three before: a card that says only 6300, or still 63C3, leaves two.
            (0x9000, false, 0x6300, PaceError::WrongPassword { retries_left: Some(2) }),
            (0x9000, false, 0x63C3, PaceError::WrongPassword { retries_left: Some(2) }),
            (0x9000, false, 0x63C2, PaceError::WrongPassword { retries_left: Some(2) }),
            // Two before: one left (the PIN is now suspended).
            (0x63C2, false, 0x6300, PaceError::WrongPassword { retries_left: Some(1) }),
            (0x63C2, false, 0x63C2, PaceError::WrongPassword { retries_left: Some(1) }),
            // The last attempt, after the CAN: blocked, whatever the card says.
            (0x63C1, true, 0x6300, PaceError::Blocked(PasswordKind::Pin)),
            (0x63C1, true, 0x63C1, PaceError::Blocked(PasswordKind::Pin)),
        ] {
            let state = pin_run_to_chip_token(set_at, can);
            assert_eq!(
                state.handle(&ResponseApdu::new(vec![], failed)).err(),
                Some(expected.clone()),
                "Set AT {set_at:04X}, then {failed:04X}"
            );
        }
    }

    fn set_at_result(password: Password, sw: u16, can_established: bool) -> Result<Option<PasswordWarning>, PaceError> {
        let mut cfg = config(password);
        cfg.can_established = can_established;
        let (state, _) = start(cfg)?;
        let (state, _) = state.handle(&ResponseApdu::new(vec![], sw))?;
        Ok(state.ctx.warning)
    }

    #[test]
    fn two_attempts_left_on_set_at_is_a_warning_and_pace_goes_on() {
        let pin = Password::pin("123456").unwrap();
        assert_eq!(set_at_result(pin, 0x63C2, false), Ok(Some(PasswordWarning::RetriesLeft(2))));
    }

    #[test]
    fn suspended_pin_needs_can_first() {
        let pin = || Password::pin("123456").unwrap();
        assert_eq!(set_at_result(pin(), 0x63C1, false), Err(PaceError::PinSuspended));
        assert_eq!(set_at_result(pin(), 0x63C1, true), Ok(Some(PasswordWarning::ResumedAfterCan)));
    }

    #[test]
    fn blocked_pin_is_reported_for_63c0_and_6983() {
        let pin = || Password::pin("123456").unwrap();
        assert_eq!(set_at_result(pin(), 0x63C0, false), Err(PaceError::Blocked(PasswordKind::Pin)));
        assert_eq!(set_at_result(pin(), 0x6983, false), Err(PaceError::Blocked(PasswordKind::Pin)));
    }

    #[test]
    fn deactivated_eid_function_is_reported_for_6283_and_6984() {
        let pin = || Password::pin("123456").unwrap();
        assert_eq!(set_at_result(pin(), 0x6283, false), Err(PaceError::Deactivated));
        assert_eq!(set_at_result(pin(), 0x6984, false), Err(PaceError::Deactivated));
        assert_eq!(set_at_result(pin(), 0x6985, false), Err(PaceError::ConditionsNotSatisfied));
        assert_eq!(
            set_at_result(pin(), 0x6A80, false),
            Err(PaceError::UnexpectedStatus { step: PaceStep::SetAt, sw: 0x6A80 })
        );
    }

    #[test]
    fn set_at_carries_password_reference_and_chat() {
        let mut cfg = config(Password::can("123456").unwrap());
        let chat = Chat::for_data_items(&[crate::chat::DataItem::GivenNames]);
        cfg.chat = Some(chat);
        let (_, cmd) = start(cfg).unwrap();
        let data = &cmd.data;
        assert_eq!(&data[12..15], &[0x83, 0x01, 0x02]);
        assert_eq!(&data[15..], &chat.to_der()[..]);
    }

    #[test]
    fn unsupported_protocols_are_refused_before_talking_to_the_card() {
        let mut cfg = g1_config();
        cfg.info.parameter_id = Some(12);
        assert!(matches!(start(cfg), Err(PaceError::UnsupportedProtocol(_))));
    }

    #[test]
    fn malformed_card_answers_are_typed_errors() {
        let mut rng = g1_keys();
        let (state, _) = start(g1_config()).unwrap();
        let (state, _) = state.handle(&ok(vec![])).unwrap();
        assert!(matches!(
            state.handle(&ok(hex("7C12 8010 95A3")), &mut rng),
            Err(PaceError::Tlv(TlvError::Truncated { .. }))
        ));

        let (state, _) = start(g1_config()).unwrap();
        let (state, _) = state.handle(&ok(vec![])).unwrap();
        assert_eq!(
            state.handle(&ok(dyn_data(0x81, Z)), &mut g1_keys()).err(),
            Some(PaceError::MissingDataObject { step: PaceStep::Nonce, tag: 0x80 })
        );

        let (state, _) = start(g1_config()).unwrap();
        let (state, _) = state.handle(&ok(vec![])).unwrap();
        assert_eq!(state.handle(&ok(dyn_data(0x80, "95A3")), &mut g1_keys()).err(), Some(PaceError::BadNonce(2)));

        let (state, _) = start(g1_config()).unwrap();
        let (state, _) = state.handle(&ok(vec![])).unwrap();
        assert_eq!(
            state.handle(&ResponseApdu::new(vec![], 0x6A80), &mut g1_keys()).err(),
            Some(PaceError::UnexpectedStatus { step: PaceStep::Nonce, sw: 0x6A80 })
        );
    }

    #[test]
    fn chip_keys_off_the_curve_or_reflected_are_rejected() {
        let mut rng = g1_keys();
        let (state, _) = start(g1_config()).unwrap();
        let (state, _) = state.handle(&ok(vec![])).unwrap();
        let (state, _) = state.handle(&ok(dyn_data(0x80, Z)), &mut rng).unwrap();
        let mut off_curve = hex(MAP_PK_PICC);
        off_curve[64] ^= 1;
        let reply = ok(tlv::encode(0x7C, &tlv::encode(0x82, &off_curve)));
        assert_eq!(state.handle(&reply, &mut rng).err(), Some(PaceError::Crypto(CryptoError::InvalidPoint)));

        let mut rng = g1_keys();
        let (state, _) = start(g1_config()).unwrap();
        let (state, _) = state.handle(&ok(vec![])).unwrap();
        let (state, _) = state.handle(&ok(dyn_data(0x80, Z)), &mut rng).unwrap();
        assert_eq!(state.handle(&ok(dyn_data(0x82, MAP_PK_PCD)), &mut rng).err(), Some(PaceError::ReflectedKey));
    }
}
