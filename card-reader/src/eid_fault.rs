// SPDX-License-Identifier: GPL-3.0-or-later
//! Which step of an eID operation failed, and the `eid` core's typed error
//! that says why.

use crate::eid_reader::TransportError;
use eid::card_access::CardAccessError;
use eid::chip_auth::CaError;
use eid::document_validity::ValidityError;
use eid::files::ReadError;
use eid::identity::IdentityError;
use eid::pace::PaceError;
use eid::pace_on_reader::{PaceOnReaderError, ReaderPaceResult, ReaderPaceStep};
use eid::passive_auth::PaError;
use eid::password::PasswordError;
use eid::pin_management::PinManagementError;
use eid::restricted_identification::RiError;
use eid::secure_messaging::SmError;
use eid::terminal_auth::TaError;
use thiserror::Error;

/// The technical cause of a failed eID operation of [`crate::EidReader`].
///
/// It travels to the session as the [`session::Fault`] inside
/// [`session::CardError::Unreadable`], [`session::CardError::NotGenuine`],
/// [`session::CardError::TerminalRefused`] or [`session::CardError::Reader`]:
/// the session acts on that variant, maintainers read this one. Each variant
/// names the step that failed (TR-03110-2 3) and carries the `eid` core's own
/// error as its `source()` where there is one.
///
/// No variant holds a secret or personal data: the `eid` errors carry status
/// words, tags, lengths, OIDs and certificate references only, and the
/// transport's errors no APDU content.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EidFault {
    /// A command did not reach the card or its answer did not come back.
    #[error("the exchange with the card failed: {0}")]
    Transport(#[source] TransportError),
    /// `EF.CardAccess` (SFI `1C`, TR-03110-3 A.1.2.1) could not be read.
    #[error("cannot read EF.CardAccess: {0}; take the card out and insert it again, or try another card")]
    ReadCardAccess(#[source] ReadError),
    /// `EF.CardAccess` is not a set of SecurityInfos (TR-03110-3 A.1).
    #[error("EF.CardAccess is malformed: {0}; the card is damaged or not a German ID card")]
    CardAccess(#[source] CardAccessError),
    /// `EF.CardAccess` announces no PACE variant the `eid` core implements.
    #[error("the card offers no PACE variant this terminal implements; it is not an ID card this terminal can read")]
    NoSupportedPace,
    /// `EF.CardAccess` announces no Chip Authentication version 2 with a
    /// cipher (TR-03110-3 A.1.1.2), which the terminal requires.
    #[error("the card offers no Chip Authentication version 2; it is not an ID card this terminal can read")]
    NoChipAuthentication,
    /// A PIN, CAN or PUK of the wrong shape: it was not sent to the card and
    /// cost no attempt. The session's on-screen PIN pad enforces the lengths,
    /// so this is a fault of the terminal's software.
    #[error("{0}; the secret was not sent to the card (the on-screen PIN pad should not have accepted it)")]
    Secret(#[source] PasswordError),
    /// PACE failed for a reason other than a wrong, suspended or blocked
    /// password or a deactivated card (ICAO 9303-11 4.4, TR-03110-3 B.1).
    #[error("PACE failed: {0}; {advice}", advice = pace_advice(.0))]
    Pace(#[source] PaceError),
    /// MSE:Set AT, asked for the PIN's retry counter after a bare `6300`,
    /// answered a status word TR-03110-3 B.8 does not define for it.
    #[error("the card reported its PIN retry counter with status {sw:04X}; take the card out and try again")]
    PinCounter {
        /// The card's status word.
        sw: u16,
    },
    /// Protecting a command or checking a protected answer failed (ICAO
    /// 9303-11 9.8); the secure channel is gone.
    #[error("secure messaging with the card failed: {0}; take the card out and try again")]
    SecureMessaging(#[source] SmError),
    /// Terminal Authentication version 2 failed (TR-03110-3 B.2).
    #[error("Terminal Authentication failed: {0}; {advice}", advice = ta_advice(.0))]
    TerminalAuthentication(#[source] TaError),
    /// The service asks for a data group that the terminal's certificate
    /// chain does not grant (TR-03110-4 2.2.3.2), so PACE was not started.
    #[error(
        "the terminal certificate does not grant reading data group {data_group}; \
         get a terminal certificate that grants it, or remove the item from the service"
    )]
    NotGranted {
        /// The data group asked for.
        data_group: u8,
    },
    /// After Terminal Authentication the card still refused `EF.CardSecurity`
    /// (SFI `1D`), which it releases to every authenticated terminal
    /// (TR-03110-3 A.1.2.2).
    #[error(
        "the card did not release EF.CardSecurity after Terminal Authentication; \
         check the terminal's certificate chain"
    )]
    CardSecurityWithheld,
    /// `EF.CardSecurity` could not be read.
    #[error("cannot read EF.CardSecurity: {0}; take the card out and try again")]
    ReadCardSecurity(#[source] ReadError),
    /// `EF.CardSecurity` does not verify against the CSCA trust list
    /// (passive authentication, TR-03110-3 A.1.2.2).
    #[error(
        "passive authentication of EF.CardSecurity failed: {0}; do not accept the card \
         (or, if the issuing state's CSCA is missing, install it in the trust list)"
    )]
    PassiveAuthentication(#[source] PaError),
    /// Chip Authentication version 2 with the signed static key failed
    /// (TR-03110-3 B.3): the card did not prove that it holds that key.
    #[error("Chip Authentication failed: {0}; do not accept the card")]
    ChipAuthentication(#[source] CaError),
    /// The card refused to select the eID application.
    #[error("selecting the eID application gave status {sw:04X}; the card has no usable eID application")]
    SelectEidApplication {
        /// The card's status word.
        sw: u16,
    },
    /// The card could not answer whether it is still valid (VERIFY with
    /// `id-DateOfExpiry`, TR-03110-3 B.11.7). An expired card is
    /// [`session::CardError::Expired`], not this.
    #[error("the card could not verify its date of expiry: {0}; take the card out and try again")]
    DocumentValidity(#[source] ValidityError),
    /// Restricted Identification, which the block list check needs,
    /// failed (TR-03110-3 B.4). A card on the block list is
    /// [`session::CardError::Revoked`], not this.
    #[error("Restricted Identification failed: {0}; {advice}", advice = ri_advice(.0))]
    RestrictedIdentification(#[source] RiError),
    /// A data group could not be read.
    #[error("cannot read data group {data_group}: {source}; take the card out and try again")]
    ReadDataGroup {
        /// The data group.
        data_group: u8,
        /// Why.
        #[source]
        source: ReadError,
    },
    /// The card refused a data group (`6982`): the effective CHAT of this
    /// session does not grant it (TR-03110-4 2.2.3.2). The terminal asked in
    /// PACE for less than it now reads.
    #[error(
        "the card refused reading data group {data_group}: it was not requested in PACE; \
         request every item when authenticating"
    )]
    DataGroupRefused {
        /// The data group.
        data_group: u8,
    },
    /// A data group's content is not what TR-03110-4 Table 4 defines.
    #[error("data group {data_group} is malformed: {source}; the card is damaged")]
    DataGroup {
        /// The data group.
        data_group: u8,
        /// Why.
        #[source]
        source: IdentityError,
    },
    /// The card refused changing or unblocking the PIN (TR-03110-3 B.11.8).
    #[error("PIN management failed: {0}; take the card out and try again")]
    PinManagement(#[source] PinManagementError),
    /// The PIN pad reader's EstablishPACEChannel could not be encoded, or
    /// its output is malformed (PC/SC part 10 amendment 1).
    #[error("PACE on the card reader: {0}; check the reader's firmware, or configure it without its PIN pad")]
    PinPadOutput(#[source] PaceOnReaderError),
    /// The reader established PACE for Extended Access Control but sent no
    /// `IDicc`, which Terminal Authentication signs (TR-03110-3 B.11.6).
    #[error("the card reader's PACE output has no IDicc; Terminal Authentication cannot follow")]
    PinPadOutputWithoutIdIcc,
    /// The reader's PACE failed with a result that is neither the card's
    /// answer nor the citizen's (TR-03119 D.3).
    #[error("the card reader's PACE failed with result {code:08X}; take the card out and try again", code = .0.code())]
    PinPad(ReaderPaceResult),
    /// The card refused a step of the reader's PACE for a reason the
    /// citizen cannot mend (TR-03119 D.3, `F0xx` results).
    #[error("the card refused {step:?} of the reader's PACE with status {sw:04X}; take the card out and try again")]
    PinPadRefused {
        /// The step of PACE.
        step: ReaderPaceStep,
        /// The card's status word.
        sw: u16,
    },
    /// The session asked for the PIN on the reader's keypad, but this
    /// reader has none that runs PACE.
    #[error("this card reader cannot take the PIN on its keypad; the PIN is typed on the screen")]
    NoPinPad,
}

/// What to do about a PACE failure: a refused request is the terminal's
/// business, a failed proof makes the card suspect, the rest is worth
/// another try.
fn pace_advice(error: &PaceError) -> &'static str {
    match error {
        PaceError::ConditionsNotSatisfied => "the card refuses what the terminal asks for; check the service's items",
        PaceError::ChipTokenInvalid | PaceError::ReflectedKey | PaceError::Crypto(_) => {
            "the card did not prove it knows the password; do not accept the card"
        }
        _ => "take the card out and try again",
    }
}

/// What to do about a Restricted Identification failure: a refusal is the
/// terminal certificate's, a card without RI is no German ID card.
fn ri_advice(error: &RiError) -> &'static str {
    match error {
        RiError::NotAuthorised => {
            "the terminal certificate must grant Restricted Identification; renew it at the document verifier"
        }
        RiError::NotOffered => {
            "the card offers no Restricted Identification; it is not an ID card this terminal can check"
        }
        _ => "take the card out and try again",
    }
}

/// What to do about a Terminal Authentication failure: a refused
/// certificate or signature needs new terminal credentials.
fn ta_advice(error: &TaError) -> &'static str {
    match error {
        TaError::UnknownAuthority(_) | TaError::CertificateRejected { .. } | TaError::SignatureRejected(_) => {
            "the terminal needs certificates the card accepts; renew them at the document verifier"
        }
        TaError::UnsupportedScheme(_) | TaError::InvalidTerminalKey | TaError::SigningFailed => {
            "check the terminal's key and certificates in the eID configuration"
        }
        _ => "take the card out and try again",
    }
}
