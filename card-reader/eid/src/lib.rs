// SPDX-License-Identifier: GPL-3.0-or-later
//! Sans-I/O core of the German eID (nPA) protocols.
//!
//! # Model
//!
//! Nothing in this crate talks to a card reader. Every protocol is a chain of
//! state types; each state holds exactly what it needs, the previous step
//! returned the [`apdu::CommandApdu`] to send, and the state's one `handle`
//! method consumes the card's [`apdu::ResponseApdu`] and returns the next
//! state (with the next command) or a typed error. Because `handle` takes
//! the state by value, a step can be neither repeated nor skipped. A PC/SC
//! transport, a simulated card and the tests are all just feeders of the
//! same core, the way rustls keeps TLS free of sockets.
//!
//! Errors are data: every failure is a variant of a documented enum that
//! says what happened and what the caller should do. Malformed card input
//! is never a panic (the parsers have fuzz targets in `fuzz/`).
//!
//! Randomness is the one outside input the protocols need; it enters
//! through [`crypto::Randomness`] ([`crypto::OsRandomness`] in production),
//! which is how the tests replay the ICAO worked example byte for byte.
//!
//! # A citizen session
//!
//! 1. Read `EF.CardAccess`, parse it with [`card_access::CardAccess`] and
//!    pick the PACE variant with [`card_access::CardAccess::select_pace`].
//! 2. Build the [`chat::Chat`] from the data items the service declared,
//!    intersected with the terminal certificate's rights, and show
//!    [`chat::Chat::data_items`] to the citizen.
//! 3. Run [`pace`] with the PIN ([`password::Password`]); map its
//!    [`pace::PaceError`] to the retry/suspended/blocked/deactivated messages.
//! 4. Inside that [`secure_messaging::SecureMessaging`] channel run
//!    [`terminal_auth`] with the [`cvc::TerminalChain`], read `EF.CardSecurity`
//!    and check it with [`passive_auth`], then run [`chip_auth`] with the
//!    signed chip key to get the fresh channel. TA carries today's date
//!    from [`document_validity::auxiliary_data`].
//! 5. Ask the card with [`document_validity`] whether it is still valid on
//!    the date TA signed (its auxiliary data), get its sector-specific
//!    identifier with [`restricted_identification`] for the block list, then
//!    read the data groups and feed them to [`identity::Identity`].
//!
//! # Layers
//!
//! - [`tlv`], [`apdu`]: BER-TLV and ISO/IEC 7816-4 APDUs with typed status words.
//! - [`card_access`]: SecurityInfos of `EF.CardAccess` (BSI TR-03110-3 A.1).
//! - [`crypto`]: KDF, AES-CBC/CMAC, brainpoolP256r1 (TR-03110-3 A.2.3).
//! - [`password`]: MRZ, CAN, PIN and PUK (ICAO Doc 9303-11 9.7.3).
//! - [`pace`]: PACE generic mapping over ECDH (ICAO Doc 9303-11 4.4).
//! - [`pace_on_reader`]: PACE run by a PIN pad reader, EstablishPACEChannel (PC/SC part 10 amendment 1, TR-03119 D.3).
//! - [`secure_messaging`]: AES secure messaging (ICAO Doc 9303-11 9.8).
//! - [`cvc`]: card-verifiable certificates and chain checks (TR-03110-3 C.1).
//! - [`chat`]: the authentication terminal CHAT (TR-03110-4 2.2.3.2).
//! - [`terminal_auth`], [`chip_auth`]: EAC version 2 (TR-03110-3 B.11).
//! - [`document_validity`]: the card checks its date of expiry against the signed date (TR-03110-3 B.11.7).
//! - [`passive_auth`]: the CMS signature of `EF.CardSecurity` against CSCAs.
//! - [`signature`]: ECDSA on every eID curve (named or explicit parameters), RSA PKCS #1 v1.5 and PSS.
//! - [`files`]: selecting the eID application and reading data groups in chunks.
//! - [`pin_management`]: change the PIN, replace the transport PIN, unblock with the PUK.
//! - [`restricted_identification`]: the card's sector-specific identifier, for the block list (TR-03110-3 B.4).
//! - [`identity`]: the data groups as a typed, zeroized identity.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod apdu;
pub mod card_access;
pub mod chat;
pub mod chip_auth;
pub mod crypto;
pub mod cv_request;
pub mod cvc;
pub mod document_validity;
pub mod files;
pub mod identity;
pub mod pace;
pub mod pace_on_reader;
pub mod passive_auth;
pub mod password;
pub mod pin_management;
pub mod restricted_identification;
pub mod secure_messaging;
pub mod signature;
pub mod terminal_auth;
pub mod tlv;

#[cfg(test)]
pub(crate) mod test_support;
