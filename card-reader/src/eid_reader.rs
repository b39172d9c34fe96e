// SPDX-License-Identifier: GPL-3.0-or-later
//! The citizen's flows on the German eID card, driven over any APDU
//! transport: the one code path for the PC/SC reader and the simulated card.
//!
//! [`EidReader`] feeds the sans-I/O core of crate `eid` with responses from
//! an [`ApduTransport`] and turns its results into what the session knows
//! ([`session::CardData`], [`session::CardError`]). Reading the identity is
//! (TR-03110-2 3, TR-03110-3 B.11):
//!
//! 1. read `EF.CardAccess` (SFI `1C`) and choose the PACE variant;
//! 2. PACE with the PIN and a CHAT asking exactly for the service's items,
//!    limited to what the terminal certificate grants (data minimisation,
//!    TR-03110-4 2.2.3.2); a suspended PIN is resumed by PACE with the CAN
//!    first and PACE with the PIN inside that channel (TR-03110-2 3.5.1);
//! 3. Terminal Authentication with the configured chain and key;
//! 4. read `EF.CardSecurity` (SFI `1D`) and check it against the CSCA trust
//!    list (passive authentication);
//! 5. Chip Authentication with the static key from that verified file, which
//!    binds the data that follows to a card the issuing state signed;
//! 6. select the eID application and ask the card whether it is still valid
//!    today: the date went into Terminal Authentication as signed auxiliary
//!    data, VERIFY goes through the new channel (TR-03110-3 B.11.7); an
//!    expired card is refused as [`CardError::Expired`];
//! 7. Restricted Identification with the sector's public key, and the card's
//!    sector-specific identifier against the sector's block list
//!    (TR-03110-2 3.6, TR-03127 4.4); a revoked card is refused as
//!    [`CardError::Revoked`]. The identifier is personal data: it is
//!    compared and dropped, never logged or kept;
//! 8. read the data groups through that channel.
//!
//! A failure the session has a word for (wrong PIN, suspended, blocked,
//! deactivated, expired, revoked, card removed) is that [`CardError`]
//! variant; any other
//! carries an [`EidFault`] naming the failed step, with the `eid` core's
//! typed error as its source.
//!
//! The PIN goes only into the `eid` core's zeroizing `Password`; no error,
//! log line or statistic carries a secret or personal data.

use eid::apdu::{CommandApdu, ResponseApdu};
use eid::card_access::{CardAccess, ChipAuthenticationInfo, PaceInfo};
use eid::chat::{Chat, DataItem};
use eid::chip_auth::{self, CaError};
use eid::crypto::OsRandomness;
use eid::document_validity::{self, Validity};
use eid::files::{self, ReadError, ReadNext};
use eid::identity::{self as eid_identity, Place};
use eid::pace::{self, PaceConfig, PaceError, PaceOutcome};
use eid::passive_auth::{self, VerifiedCardSecurity};
use eid::password::{Password, PasswordKind};
use eid::pin_management::{self, PinManagementError};
use eid::restricted_identification::{self, RiError};
use eid::secure_messaging::{SecureMessaging, SmError};
use eid::terminal_auth::{self, AckNext, EphemeralCaKey, TaConfig, TaError};
use session::{Address, CardData, CardDate, CardError, CardItem, Fault, Identity, Pin};
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::eid_config::{EidConfig, today};
use crate::eid_fault::EidFault;

/// Short file identifier of `EF.CardAccess` (TR-03110-3 A.1.2.1).
const SFI_CARD_ACCESS: u8 = 0x1C;
/// Short file identifier of `EF.CardSecurity` (TR-03110-3 A.1.2.2).
const SFI_CARD_SECURITY: u8 = 0x1D;

/// Why an APDU could not be exchanged. The card's own refusals are status
/// words in a [`ResponseApdu`], not transport errors.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    /// The card left the reader during the exchange.
    #[error("the card was removed")]
    CardRemoved,
    /// No card is in the reader.
    #[error("no card in the reader")]
    NoCard,
    /// The card was reset by someone else: everything it had set up is gone.
    #[error("the card was reset during the operation; start the operation again")]
    CardReset,
    /// The reader (or the service behind it) is gone or failed; the fault is
    /// the transport's own error.
    #[error("the reader failed: {0}")]
    Reader(#[source] Fault),
    /// The command could not be sent as it is, or the answer was not a
    /// response APDU (e.g. shorter than a status word); the fault is the
    /// transport's own error.
    #[error("the command or the card's answer is malformed: {0}")]
    Malformed(#[source] Fault),
}

/// Sends command APDUs to one card and returns its answers.
///
/// Implementations carry the command as it is (extended length or command
/// chaining is theirs to choose) and report a vanished card or reader as a
/// [`TransportError`] rather than hanging. Secure messaging happens above
/// this seam, so a transport only ever sees protected bytes after PACE.
pub trait ApduTransport {
    /// Sends `command` and returns the card's response.
    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError>;

    /// Whether card and reader take extended-length APDUs, so that a whole
    /// file can be asked for in one READ BINARY. Without it (the default)
    /// files are read in short chunks, which every reader takes.
    fn extended_length(&self) -> bool {
        false
    }
}

impl<T: ApduTransport + ?Sized> ApduTransport for &mut T {
    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, TransportError> {
        (**self).transmit(command)
    }

    fn extended_length(&self) -> bool {
        (**self).extended_length()
    }
}

/// Figures of the last operation, for the benchmark and maintainers' logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OperationStats {
    /// Command APDUs handed to the transport (a command the transport splits
    /// into a chain counts once).
    pub apdus: usize,
    /// Bytes of those commands and their responses as encoded on the wire
    /// (after secure messaging), status words included.
    pub apdu_bytes: usize,
    /// Time spent in PACE (all runs of it, CAN included).
    pub pace: Duration,
    /// Time of the whole operation.
    pub total: Duration,
}

/// The eID flows over one transport. See the module documentation.
pub struct EidReader<T> {
    pub(crate) transport: T,
    pub(crate) config: Arc<EidConfig>,
    pub(crate) stats: OperationStats,
}

impl<T: std::fmt::Debug> std::fmt::Debug for EidReader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EidReader").field("transport", &self.transport).field("stats", &self.stats).finish()
    }
}

/// An authenticated eID session: PACE, Terminal, passive and Chip
/// Authentication done, the eID application selected. Items are read
/// through the Chip Authentication channel.
pub struct EidSession<'r, T> {
    pub(crate) reader: &'r mut EidReader<T>,
    pub(crate) channel: SecureMessaging,
    pub(crate) identity: eid_identity::Identity,
    pub(crate) started: Instant,
}

/// What went wrong in one PACE run: the card's refusal (to be interpreted
/// with the password in mind) or a fault that ends the operation.
enum PaceFailure {
    Refused(PaceError),
    Fault(CardError),
}

impl From<CardError> for PaceFailure {
    fn from(e: CardError) -> Self {
        Self::Fault(e)
    }
}

impl From<PaceError> for PaceFailure {
    fn from(e: PaceError) -> Self {
        Self::Refused(e)
    }
}

impl<T: ApduTransport> EidReader<T> {
    /// Drives the card behind `transport` with the terminal's `config`.
    /// The card should be freshly reset (no secure channel left over).
    pub fn new(transport: T, config: Arc<EidConfig>) -> Self {
        Self { transport, config, stats: OperationStats::default() }
    }

    /// Figures of the last operation (also of a failed one, up to the failure).
    pub fn stats(&self) -> OperationStats {
        self.stats
    }

    /// Reads exactly `items`: authenticates (see [`EidReader::authenticate`])
    /// and reads each item's data group. An item the card does not hold
    /// (e.g. no birth name) stays empty.
    pub fn read(&mut self, pin: &Pin, can: Option<&Pin>, items: &[CardItem]) -> Result<CardData, CardError> {
        let mut session = self.authenticate(pin, can, items)?;
        for item in items {
            session.read_item(*item)?;
        }
        Ok(session.finish())
    }

    /// Runs PACE (with CAN first if the PIN is suspended and `can` is
    /// given), Terminal Authentication, passive authentication and Chip
    /// Authentication, requesting read access to exactly `items`.
    pub fn authenticate(
        &mut self,
        pin: &Pin,
        can: Option<&Pin>,
        items: &[CardItem],
    ) -> Result<EidSession<'_, T>, CardError> {
        let started = Instant::now();
        self.stats = OperationStats::default();
        let result = self.authenticate_inner(pin, can, items);
        self.stats.total = started.elapsed();
        let channel = result?;
        Ok(EidSession { reader: self, channel, identity: eid_identity::Identity::default(), started })
    }

    fn authenticate_inner(
        &mut self,
        pin: &Pin,
        can: Option<&Pin>,
        items: &[CardItem],
    ) -> Result<SecureMessaging, CardError> {
        let chat = self.chat_for(items)?;
        let (pace_info, ca_info) = self.card_access()?;
        let password = password(Password::pin(pin.expose()))?;
        let mut outcome = self.pace_with_pin(&pace_info, password, can, Some(chat))?;
        tracing::debug!(car = ?outcome.car.as_deref().map(String::from_utf8_lossy), "PACE established");
        let chip_key = std::mem::take(&mut outcome.chip_ephemeral_public_key);
        self.after_pace(Some(&mut outcome.secure_messaging), &chip_key, &ca_info)
    }

    /// The CHAT asking for exactly `items`, refused before PACE if the
    /// terminal's certificate does not grant one of them.
    pub(crate) fn chat_for(&self, items: &[CardItem]) -> Result<Chat, CardError> {
        let wanted: Vec<DataItem> = items.iter().map(|i| data_item(*i)).collect();
        // The RI right is asked for on every read: the block list check needs it.
        let chat = Chat::for_data_items(&wanted)
            .with_restricted_identification()
            .intersect(&self.config.chain().effective_chat);
        if let Some(refused) = wanted.iter().find(|i| !chat.allows(**i)) {
            return Err(terminal_refused(EidFault::NotGranted { data_group: refused.data_group() }));
        }
        Ok(chat)
    }

    /// Terminal Authentication, passive authentication, Chip Authentication
    /// and the eID application, after PACE: through `pace_channel`, or with
    /// `None` when the reader ran PACE and protects these commands itself.
    /// Returns the Chip Authentication channel, which is the terminal's.
    pub(crate) fn after_pace(
        &mut self,
        mut pace_channel: Option<&mut SecureMessaging>,
        chip_pace_key: &[u8],
        ca_info: &ChipAuthenticationInfo,
    ) -> Result<SecureMessaging, CardError> {
        let ephemeral = self.terminal_authentication(pace_channel.as_deref_mut(), chip_pace_key)?;
        let card_security = self.card_security(pace_channel.as_deref_mut())?;
        let mut channel = self.chip_authentication(pace_channel, ca_info, &card_security, ephemeral)?;
        let response = self.send(Some(&mut channel), &files::select_eid_application())?;
        if !response.sw.is_success() {
            return Err(unreadable(EidFault::SelectEidApplication { sw: response.sw.0 }));
        }
        let response = self.send(Some(&mut channel), &document_validity::verify())?;
        match document_validity::check_response(&response) {
            Ok(Validity::Valid) => {}
            Ok(Validity::Expired) => return Err(CardError::Expired),
            Err(e) => return Err(unreadable(EidFault::DocumentValidity(e))),
        }
        self.check_block_list(&mut channel, &card_security)?;
        Ok(channel)
    }

    /// Replaces the PIN (or the 5-digit transport PIN) `current` by `new`:
    /// PACE with `current` (after the CAN if suspended), then RESET RETRY
    /// COUNTER with the new PIN (TR-03110-3 B.11.8). An expired card may
    /// change its PIN: that identifies nobody (TR-03127 restricts the eID
    /// function's use for identification), so no validity check is run.
    pub fn change_pin(&mut self, current: &Pin, can: Option<&Pin>, new: &Pin) -> Result<(), CardError> {
        self.timed(|reader| {
            let command = pin_management::change_pin(new.expose()).map_err(pin_management_error)?;
            let (pace_info, _) = reader.card_access()?;
            let password = password(Password::pin(current.expose()))?;
            let mut outcome = reader.pace_with_pin(&pace_info, password, can, None)?;
            let response = reader.send(Some(&mut outcome.secure_messaging), &command)?;
            pin_management::check_response(&response).map_err(pin_management_error)
        })
    }

    /// Resets the PIN's retry counter after PACE with the PUK
    /// (TR-03110-3 B.11.8, `00 2C 03 03`). The PIN itself is unchanged.
    pub fn unblock_pin(&mut self, puk: &Pin) -> Result<(), CardError> {
        self.timed(|reader| {
            let (pace_info, _) = reader.card_access()?;
            let password = password(Password::puk(puk.expose()))?;
            let mut outcome = match reader.pace(None, &pace_info, password, None, false) {
                Ok(outcome) => outcome,
                Err(PaceFailure::Fault(e)) => return Err(e),
                Err(PaceFailure::Refused(e)) => return Err(puk_refusal(e)),
            };
            let response = reader.send(Some(&mut outcome.secure_messaging), &pin_management::unblock_pin())?;
            pin_management::check_response(&response).map_err(pin_management_error)
        })
    }

    fn timed<R>(&mut self, operation: impl FnOnce(&mut Self) -> Result<R, CardError>) -> Result<R, CardError> {
        let started = Instant::now();
        self.stats = OperationStats::default();
        let result = operation(self);
        self.stats.total = started.elapsed();
        result
    }

    /// One exchange, through `channel` when one is open.
    fn send(
        &mut self,
        channel: Option<&mut SecureMessaging>,
        command: &CommandApdu,
    ) -> Result<ResponseApdu, CardError> {
        let Some(channel) = channel else {
            return self.transmit(command);
        };
        let protected = channel.protect(command).map_err(sm_error)?;
        let response = self.transmit(&protected)?;
        match channel.unprotect(&response) {
            Ok(plain) => Ok(plain),
            // A card answering an ordinary error in plain has closed the
            // channel; the status still tells what happened (ICAO 9303-11
            // 9.8.6.1). SM errors (6987, 6988) end the operation.
            Err(SmError::Unprotected(sw)) if !matches!(sw, 0x6987 | 0x6988) => Ok(ResponseApdu::new(Vec::new(), sw)),
            Err(e) => Err(sm_error(e)),
        }
    }

    fn transmit(&mut self, command: &CommandApdu) -> Result<ResponseApdu, CardError> {
        let encoded_len = command.to_bytes().map(|b| Zeroizing::new(b).len()).unwrap_or_default();
        let response = self.transport.transmit(command).map_err(transport_error)?;
        self.stats.apdus += 1;
        self.stats.apdu_bytes += encoded_len + response.data.len() + 2;
        Ok(response)
    }

    /// Reads a whole elementary file by short file identifier.
    fn read_file(
        &mut self,
        mut channel: Option<&mut SecureMessaging>,
        sfi: u8,
    ) -> Result<Result<Zeroizing<Vec<u8>>, ReadError>, CardError> {
        let chunk = if self.transport.extended_length() { files::EXTENDED_CHUNK } else { files::CHUNK };
        let (mut state, mut command) = files::read_by_sfi(sfi, chunk);
        loop {
            let response = self.send(channel.as_deref_mut(), &command)?;
            match state.handle(&response) {
                Ok(ReadNext::More(next, next_command)) => {
                    state = next;
                    command = next_command;
                }
                Ok(ReadNext::Done(content)) => return Ok(Ok(content)),
                Err(e) => return Ok(Err(e)),
            }
        }
    }

    /// `EF.CardAccess`: the PACE variant and the Chip Authentication info.
    fn card_access(&mut self) -> Result<(PaceInfo, ChipAuthenticationInfo), CardError> {
        let content = self.read_file(None, SFI_CARD_ACCESS)?.map_err(|e| unreadable(EidFault::ReadCardAccess(e)))?;
        parse_card_access(&content)
    }

    /// One PACE run, inside `channel` if given.
    fn pace(
        &mut self,
        mut channel: Option<&mut SecureMessaging>,
        info: &PaceInfo,
        password: Password,
        chat: Option<Chat>,
        can_established: bool,
    ) -> Result<PaceOutcome, PaceFailure> {
        let started = Instant::now();
        let mut rng = OsRandomness;
        let result = (|| {
            let config = PaceConfig { info: info.clone(), password, chat, can_established };
            let (state, command) = pace::start(config)?;
            let response = self.send(channel.as_deref_mut(), &command)?;
            let (state, command) = state.handle(&response)?;
            let response = self.send(channel.as_deref_mut(), &command)?;
            let (state, command) = state.handle(&response, &mut rng)?;
            let response = self.send(channel.as_deref_mut(), &command)?;
            let (state, command) = state.handle(&response, &mut rng)?;
            let response = self.send(channel.as_deref_mut(), &command)?;
            let (state, command) = state.handle(&response)?;
            let response = self.send(channel, &command)?;
            Ok(state.handle(&response)?)
        })();
        self.stats.pace += started.elapsed();
        result
    }

    /// PACE with the PIN; when the card says the PIN is suspended and a CAN
    /// is given, PACE with the CAN first and the PIN inside that channel
    /// (TR-03110-2 3.5.1).
    fn pace_with_pin(
        &mut self,
        info: &PaceInfo,
        pin: Password,
        can: Option<&Pin>,
        chat: Option<Chat>,
    ) -> Result<PaceOutcome, CardError> {
        let first_try = pin.clone();
        match self.pace(None, info, first_try, chat, false) {
            Ok(outcome) => return Ok(outcome),
            Err(PaceFailure::Fault(e)) => return Err(e),
            Err(PaceFailure::Refused(PaceError::PinSuspended)) => {}
            Err(PaceFailure::Refused(e)) => return Err(Self::pin_refusal(e)),
        }
        let Some(can) = can else { return Err(CardError::PinSuspended) };
        let can = password(Password::can(can.expose()))?;
        let mut can_channel = match self.pace(None, info, can, None, false) {
            Ok(outcome) => outcome.secure_messaging,
            Err(PaceFailure::Fault(e)) => return Err(e),
            Err(PaceFailure::Refused(PaceError::WrongPassword { .. } | PaceError::ChipTokenInvalid)) => {
                return Err(CardError::WrongCan);
            }
            Err(PaceFailure::Refused(e)) => return Err(refusal(e)),
        };
        match self.pace(Some(&mut can_channel), info, pin, chat, true) {
            Ok(outcome) => Ok(outcome),
            Err(PaceFailure::Fault(e)) => Err(e),
            Err(PaceFailure::Refused(e)) => Err(Self::pin_refusal(e)),
        }
    }

    /// What a refused PIN means for the citizen. `eid`'s PACE always
    /// counts a wrong PIN's attempts left (bounded by what MSE:Set AT said
    /// before it), so no further APDU is needed to ask for them.
    fn pin_refusal(error: PaceError) -> CardError {
        match error {
            PaceError::WrongPassword { retries_left: Some(0) } => CardError::PinBlocked,
            PaceError::WrongPassword { retries_left: Some(1) } => CardError::PinSuspended,
            PaceError::WrongPassword { retries_left: Some(n) } => CardError::WrongPin { attempts_left: n },
            PaceError::WrongPassword { retries_left: None } => unreadable(EidFault::Pace(error)),
            other => refusal(other),
        }
    }

    /// Terminal Authentication inside the PACE channel (`None`: the
    /// reader's); returns the ephemeral key the card now expects for Chip
    /// Authentication. `chip_pace_key` is the chip's ephemeral PACE key or,
    /// from a PIN pad reader, its x-coordinate `IDicc`.
    fn terminal_authentication(
        &mut self,
        mut channel: Option<&mut SecureMessaging>,
        chip_pace_key: &[u8],
    ) -> Result<EphemeralCaKey, CardError> {
        let config = Arc::clone(&self.config);
        let ta = TaConfig {
            chain: config.chain(),
            signer: config.key(),
            chip_pace_public_key: chip_pace_key,
            // Today's date, signed here, is what the card checks its date of
            // expiry against after Chip Authentication (TR-03110-3 A.6.5).
            auxiliary_data: Some(document_validity::auxiliary_data(today())),
        };
        let (mut state, mut command) = terminal_auth::start(ta, &mut OsRandomness).map_err(ta_error)?;
        let challenge = loop {
            let response = self.send(channel.as_deref_mut(), &command)?;
            match state.handle(&response).map_err(ta_error)? {
                AckNext::More(next, next_command) => {
                    state = next;
                    command = next_command;
                }
                AckNext::Challenge(next, next_command) => {
                    command = next_command;
                    break next;
                }
            }
        };
        let response = self.send(channel.as_deref_mut(), &command)?;
        let (state, command) = challenge.handle(&response, config.key()).map_err(ta_error)?;
        let response = self.send(channel, &command)?;
        state.handle(&response).map_err(ta_error)
    }

    /// Reads `EF.CardSecurity` and checks its signature chain.
    fn card_security(&mut self, channel: Option<&mut SecureMessaging>) -> Result<VerifiedCardSecurity, CardError> {
        let content = self.read_file(channel, SFI_CARD_SECURITY)?.map_err(|e| match e {
            ReadError::AccessDenied => terminal_refused(EidFault::CardSecurityWithheld),
            other => unreadable(EidFault::ReadCardSecurity(other)),
        })?;
        passive_auth::verify_card_security(&content, self.config.trust(), today())
            .map_err(|e| not_genuine(EidFault::PassiveAuthentication(e)))
    }

    /// Restricted Identification with the card's signed RI key and the
    /// sector's public key, then the identifier against the block list.
    fn check_block_list(
        &mut self,
        channel: &mut SecureMessaging,
        card_security: &VerifiedCardSecurity,
    ) -> Result<(), CardError> {
        let config = Arc::clone(&self.config);
        let key = restricted_identification::ri_key(card_security.security_infos()).map_err(ri_error)?;
        let (state, command) = restricted_identification::start(key, config.sector_key());
        let response = self.send(Some(channel), &command)?;
        let (state, command) = state.handle(&response).map_err(ri_error)?;
        let response = self.send(Some(channel), &command)?;
        let identifier = state.handle(&response).map_err(ri_error)?;
        if config.block_list().blocks(&identifier) { Err(CardError::Revoked) } else { Ok(()) }
    }

    /// Chip Authentication with the signed static key; returns the fresh channel.
    fn chip_authentication(
        &mut self,
        mut channel: Option<&mut SecureMessaging>,
        info: &ChipAuthenticationInfo,
        card_security: &VerifiedCardSecurity,
        ephemeral: EphemeralCaKey,
    ) -> Result<SecureMessaging, CardError> {
        let (state, command) = chip_auth::start_verified(info, card_security, ephemeral).map_err(ca_error)?;
        let response = self.send(channel.as_deref_mut(), &command)?;
        let (state, command) = state.handle(&response).map_err(ca_error)?;
        let response = self.send(channel, &command)?;
        state.handle(&response).map_err(ca_error)
    }
}

impl<T: ApduTransport> EidSession<'_, T> {
    /// Reads one item's data group. A data group the card does not hold is
    /// left empty; one the effective CHAT does not grant is refused by the
    /// card and reported as [`CardError::TerminalRefused`].
    pub fn read_item(&mut self, item: CardItem) -> Result<(), CardError> {
        let data_item = data_item(item);
        let result = self.reader.read_file(Some(&mut self.channel), data_item.short_file_id());
        self.reader.stats.total = self.started.elapsed();
        let data_group = data_item.data_group();
        match result? {
            Ok(content) => self
                .identity
                .add_data_group(data_item, &content)
                .map_err(|source| unreadable(EidFault::DataGroup { data_group, source })),
            Err(ReadError::FileNotFound) => Ok(()),
            Err(ReadError::AccessDenied) => Err(terminal_refused(EidFault::DataGroupRefused { data_group })),
            Err(source) => Err(unreadable(EidFault::ReadDataGroup { data_group, source })),
        }
    }

    /// The items read so far.
    pub fn finish(self) -> CardData {
        self.reader.stats.total = self.started.elapsed();
        CardData { identity: session_identity(&self.identity) }
    }
}

/// The PACE variant and the Chip Authentication info of `EF.CardAccess`,
/// as read from the card or as a PIN pad reader hands it over.
pub(crate) fn parse_card_access(content: &[u8]) -> Result<(PaceInfo, ChipAuthenticationInfo), CardError> {
    let access = CardAccess::parse(content).map_err(|e| unreadable(EidFault::CardAccess(e)))?;
    let pace_info = access.select_pace().cloned().ok_or_else(|| unreadable(EidFault::NoSupportedPace))?;
    Ok((pace_info, chip_authentication_info(&access)?))
}

/// The Chip Authentication version 2 the terminal requires (TR-03110-3 A.1.1.2).
pub(crate) fn chip_authentication_info(access: &CardAccess) -> Result<ChipAuthenticationInfo, CardError> {
    access
        .chip_authentication_infos()
        .find(|i| i.version == 2 && i.cipher.is_some())
        .cloned()
        .ok_or_else(|| unreadable(EidFault::NoChipAuthentication))
}

/// The data group of a session item (TR-03110-4 Table 4).
pub(crate) fn data_item(item: CardItem) -> DataItem {
    match item {
        CardItem::DocumentType => DataItem::DocumentType,
        CardItem::IssuingState => DataItem::IssuingState,
        CardItem::DateOfExpiry => DataItem::DateOfExpiry,
        CardItem::GivenNames => DataItem::GivenNames,
        CardItem::FamilyNames => DataItem::FamilyNames,
        CardItem::ArtisticName => DataItem::ReligiousArtisticName,
        CardItem::DateOfBirth => DataItem::DateOfBirth,
        CardItem::PlaceOfBirth => DataItem::PlaceOfBirth,
        CardItem::BirthName => DataItem::BirthName,
        CardItem::PlaceOfResidence => DataItem::PlaceOfResidence,
    }
}

/// A date as the card stores it: each part may be unknown (TR-03127), on
/// both sides of the seam.
fn card_date(date: &eid_identity::PartialDate) -> CardDate {
    CardDate { year: date.year, month: date.month, day: date.day }
}

fn place_text(place: &Place) -> String {
    match place {
        Place::Structured(address) => address.city.clone(),
        Place::FreeText(text) | Place::NoPlaceInfo(text) => text.clone(),
    }
}

fn residence(place: &Place) -> Address {
    match place {
        Place::Structured(a) => Address {
            street: a.street.clone().unwrap_or_default(),
            postal_code: a.zipcode.clone().unwrap_or_default(),
            city: a.city.clone(),
            country: a.country.clone(),
        },
        // Free text (or "no place of residence in Germany") has no fields:
        // it is shown whole, in the street line.
        Place::FreeText(text) | Place::NoPlaceInfo(text) => {
            Address { street: text.clone(), postal_code: String::new(), city: String::new(), country: String::new() }
        }
    }
}

fn session_identity(card: &eid_identity::Identity) -> Identity {
    Identity {
        document_type: card.document_type.clone(),
        issuing_state: card.issuing_state.clone(),
        date_of_expiry: card.date_of_expiry.as_ref().map(card_date),
        given_names: card.given_names.clone(),
        family_names: card.family_names.clone(),
        artistic_name: card.religious_artistic_name.clone(),
        date_of_birth: card.date_of_birth.as_ref().map(card_date),
        place_of_birth: card.place_of_birth.as_ref().map(place_text),
        birth_name: card.birth_name.clone(),
        place_of_residence: card.place_of_residence.as_ref().map(residence),
    }
}

pub(crate) fn unreadable(fault: EidFault) -> CardError {
    CardError::Unreadable(Fault::new(fault))
}

pub(crate) fn not_genuine(fault: EidFault) -> CardError {
    CardError::NotGenuine(Fault::new(fault))
}

pub(crate) fn terminal_refused(fault: EidFault) -> CardError {
    CardError::TerminalRefused(Fault::new(fault))
}

/// A secret of the wrong shape never reaches the card (and costs no
/// attempt). The session's PIN pad enforces the lengths, so this is a
/// caller's mistake, reported without the digits.
fn password(result: Result<Password, eid::password::PasswordError>) -> Result<Password, CardError> {
    result.map_err(|e| unreadable(EidFault::Secret(e)))
}

pub(crate) fn transport_error(e: TransportError) -> CardError {
    match e {
        TransportError::CardRemoved => CardError::CardRemoved,
        TransportError::NoCard => CardError::NoCard,
        e @ TransportError::Reader(_) => CardError::Reader(Fault::new(EidFault::Transport(e))),
        e @ (TransportError::CardReset | TransportError::Malformed(_)) => unreadable(EidFault::Transport(e)),
    }
}

fn sm_error(e: SmError) -> CardError {
    unreadable(EidFault::SecureMessaging(e))
}

/// A PACE refusal that does not depend on which password was used.
pub(crate) fn refusal(e: PaceError) -> CardError {
    match e {
        PaceError::PinSuspended => CardError::PinSuspended,
        PaceError::Blocked(PasswordKind::Puk) => CardError::WrongPuk,
        PaceError::Blocked(_) => CardError::PinBlocked,
        PaceError::Deactivated => CardError::Deactivated,
        // The card refuses this terminal's request (e.g. its CHAT), not the citizen's password.
        PaceError::ConditionsNotSatisfied => terminal_refused(EidFault::Pace(e)),
        PaceError::ChipTokenInvalid | PaceError::ReflectedKey | PaceError::Crypto(_) => not_genuine(EidFault::Pace(e)),
        other => unreadable(EidFault::Pace(other)),
    }
}

fn puk_refusal(e: PaceError) -> CardError {
    match e {
        PaceError::WrongPassword { .. } => CardError::WrongPuk,
        other => refusal(other),
    }
}

fn ta_error(e: TaError) -> CardError {
    match e {
        TaError::UnknownAuthority(_) | TaError::CertificateRejected { .. } | TaError::SignatureRejected(_) => {
            terminal_refused(EidFault::TerminalAuthentication(e))
        }
        other => unreadable(EidFault::TerminalAuthentication(other)),
    }
}

fn ri_error(e: RiError) -> CardError {
    match e {
        RiError::NotAuthorised => terminal_refused(EidFault::RestrictedIdentification(e)),
        other => unreadable(EidFault::RestrictedIdentification(other)),
    }
}

fn ca_error(e: CaError) -> CardError {
    not_genuine(EidFault::ChipAuthentication(e))
}

fn pin_management_error(e: PinManagementError) -> CardError {
    match e {
        PinManagementError::InvalidNewPin(shape) => unreadable(EidFault::Secret(shape)),
        PinManagementError::Deactivated => CardError::Deactivated,
        other => unreadable(EidFault::PinManagement(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_keep_unknown_parts_unknown() {
        let full = eid_identity::PartialDate { year: Some(1964), month: Some(8), day: Some(12) };
        assert_eq!(card_date(&full), CardDate::new(1964, 8, 12));
        let year_only = eid_identity::PartialDate { year: Some(1964), month: None, day: None };
        assert_eq!(card_date(&year_only), CardDate { year: Some(1964), month: None, day: None });
    }

    #[test]
    fn structured_residence_keeps_every_field() {
        let place = Place::Structured(eid_identity::Address {
            street: Some("Heidestraße 17".into()),
            city: "Köln".into(),
            state: None,
            country: "D".into(),
            zipcode: Some("51147".into()),
        });
        let address = residence(&place);
        assert_eq!((address.street.as_str(), address.postal_code.as_str()), ("Heidestraße 17", "51147"));
        assert_eq!((address.city.as_str(), address.country.as_str()), ("Köln", "D"));
    }

    #[test]
    fn every_card_item_maps_to_its_data_group() {
        for item in CardItem::ALL {
            assert_eq!(data_item(item).data_group(), item.data_group());
        }
    }
}
