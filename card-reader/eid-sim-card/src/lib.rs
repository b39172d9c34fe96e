// SPDX-License-Identifier: GPL-3.0-or-later
//! An independent simulated German eID card (nPA) whose cryptography is
//! OpenPACE's (Debian `libeac3`/`libeac-dev`), for testing the reader side
//! against code we did not write.
//!
//! The card shares no protocol code with the reader crate `eid`: its APDU
//! parsing, BER-TLV, secure messaging framing and access rules are written
//! here, and every cryptographic step (PACE generic mapping, key
//! derivation, authentication tokens, CV certificate and TA signature
//! verification, Chip Authentication, AES secure messaging) is a call into
//! OpenPACE through [`ffi`]. A mistake mirrored on both sides therefore
//! cannot pass the end-to-end tests.
//!
//! # Pieces
//!
//! - [`personalise`]: card production with `cvc-create` and `openssl`.
//! - [`card::SimCard`]: the card, raw command APDU in, raw response out.
//! - [`vpcd::VirtualCard`]: the card in Debian's `vsmartcard-vpcd` virtual
//!   reader, so pcscd and any PC/SC client see it like a real card.
//! - the `eid-sim-card` binary: `eid-sim-card --port 35963 --card-dir DIR/card --holder FILE.toml`
//!   (or `--personalise DIR` to make a fresh card first); the holder file
//!   format is `holder.example.toml` next to this crate's `Cargo.toml`.
//!
//! # Files made by [`personalise::personalise`]
//!
//! ```text
//! DIR/card/card_access.der      EF.CardAccess (PACE, CA, CA domain parameters, TA infos)
//! DIR/card/card_security.der    EF.CardSecurity, CMS SignedData by the document signer
//!                               (also the RestrictedIdentificationInfo, key ID 2)
//! DIR/card/chip_auth.pkcs8      the card's static Chip Authentication key (DER PKCS#8)
//! DIR/card/restricted_id.pkcs8  the card's Restricted Identification key (DER PKCS#8)
//! DIR/card/cvca.cvcert          the CVCA certificate the card trusts
//! DIR/terminal/cvca.cvcert      CVCA certificate, CHR DETESTEID00001
//! DIR/terminal/dv.cvcert        DV certificate, CHR DETESTDVEID0001
//! DIR/terminal/terminal.cvcert  authentication terminal certificate, CHR DETESTKIOSK00001
//! DIR/terminal/terminal.pkcs8   the terminal's private key (DER PKCS#8, written by cvc-create)
//! DIR/trust/csca.der            the test CSCA (X.509 DER), passive authentication trust anchor
//! DIR/sector/sector.der         the test sector's public key (SubjectPublicKeyInfo DER)
//! DIR/sector/blocklist.txt      its block list: empty, issued today, next update in 7 days
//! DIR/pki/                      private keys of CVCA, DV, CSCA, document signer and sector
//! ```
//!
//! [`personalise::sector_identifier`] computes the card's identifier in the
//! sector with `openssl` alone (as the sector's operator would, for its
//! block list), and [`personalise::write_block_list`] writes a list.
//!
//! All keys are brainpoolP256r1, all signatures ECDSA-SHA-256
//! (id-TA-ECDSA-SHA-256). Every CV certificate grants reading DG1 to DG21,
//! PIN management and Restricted Identification; the effective rights are further limited by the
//! CHAT the terminal sends in PACE.
//!
//! # The card's behaviour
//!
//! - MF with EF.DIR (FID 2F00, SFI 1E, always readable: the eSign CIA,
//!   ePass, eID and eSign application templates), EF.CardAccess (FID 011C,
//!   SFI 1C, always readable) and
//!   EF.CardSecurity (FID 011D, SFI 1D, after PACE and TA); the eID
//!   application (AID `E8 07 04 00 7F 00 07 03 02`) with DG1 to DG10, DG13
//!   (if the holder has a birth name) and DG17 as SFI/FID `01xx`.
//! - PACE with CAN, PIN or PUK; the PIN has 3 attempts: MSE:Set AT answers
//!   `63C2` with two left, `63C1` when suspended (PACE with the CAN first,
//!   then the PIN inside that channel), `63C0` when blocked (unblock after
//!   PACE with the PUK: `00 2C 03 03`), `6283` when the eID function is
//!   deactivated. A wrong password fails the last GENERAL AUTHENTICATE
//!   with `6300`. MSE:Set AT without data (which ends a PACE context)
//!   answers `6700`. [`card::Quirk`] makes the card behave as some cards in
//!   the field do, for tests of the terminal's tolerance.
//! - After PACE every command must be in AES secure messaging; a bad MAC
//!   or SSC answers `6988` and ends the session.
//! - TA version 2 against the trusted CVCA; the effective CHAT is the
//!   PACE CHAT intersected with every certificate's CHAT; data groups
//!   outside it answer `6982`; an unknown authority answers `6A88`, a
//!   certificate whose signature does not verify `6300`.
//! - CA version 2 with the committed ephemeral key; new keys afterwards.
//! - VERIFY `00 20 80 00` with `06 id-DateOfExpiry` after CA (TR-03110-3
//!   B.11.7): `9000` when the holder's date of expiry is not before the
//!   date in the auxiliary data that TA's verified signature covered
//!   (OpenPACE's `TA_STEP6_verify` checks it with the auxiliary data),
//!   `6300` when it is; `6982` before CA; `6A88` for any other OID or
//!   without a signed date.
//! - Restricted Identification after CA (TR-03110-3 B.4): MSE:Set AT `41 A4`
//!   with `80 id-RI-ECDH-SHA-256, 84 02`, then GENERAL AUTHENTICATE
//!   `7C { A0 { 06 OID, 86 PK_sector } }` answers `7C { 81 I }`, computed by
//!   OpenPACE's `RI_STEP2_compute_identifier` with the card's RI key; `6985`
//!   before CA, `6982` without the RI right in the effective CHAT.
//! - `00 2C 02 03 <PIN>` after PACE with the PIN changes it (also the
//!   5-digit transport PIN to a 6-digit PIN).
//! - A plain (unprotected) command ends secure messaging, as does a warm
//!   [`card::SimCard::reset`]; counters and the PIN survive both.
//!
//! # Where it differs from a real German ID card, and why
//!
//! | Here | A real card | Source |
//! |---|---|---|
//! | EF.DIR as the BSI's card information file (`npa.xml`) matches it; behind the ePass and eSign AIDs nothing (`6A82`) | the ePass (ICAO LDS) and eSign applications | BSI CIF for the nPA; OpenSC's `opensc-tool` recognises the card by it |
//! | MSE:Set AT without data: `6700` | `6700` | observed with an independent eID client (#11); earlier `6A88` here |
//! | a failed PACE: `6300` without a count | `63Cx` or `6300` | TR-03110-3 B.1 allows both; the terminal bounds the count itself |
//! | MRZ as PACE password: `6A88` | the MRZ opens the ePass application | no travel document on this card |
//! | auxiliary data verification only for the date of expiry; age and community ID: `6A88` | all three (TR-03110-3 A.6.5) | the terminal only checks validity |
//! | RI does not compare the sector key with the terminal certificate's sector extension (`authorizedOnly` is FALSE) | with `authorizedOnly`, only the sector keys the terminal certificate names | `cvc-create` writes no sector extension; the terminal's RI is the same either way |
//! | no RestrictedIdentificationDomainParameterInfo in EF.CardAccess; RI is brainpoolP256r1 | announced in EF.CardAccess (TR-03110-3 A.1.1.6) | the terminal takes the key ID from the signed EF.CardSecurity |
//! | the chip key's x-coordinate padded to 32 bytes in CA | always 32 bytes | OpenPACE's `Comp()` drops leading zeros (TR-03111 3.1.3 requires fixed length); worked around in [`ffi`] |
//! | every key brainpoolP256r1, every signature ECDSA-SHA-256 | DS certificates on other curves and hashes too | enough for the protocol; passive authentication's other algorithms are tested with `openssl`-made certificates in `eid` |
//! | ATR `3B 85 01 80 73 00 00 40 ..` (T=1, extended length) | a longer ATR with the card's historical bytes | extended length must be announced; the rest is the chip vendor's |
//!
//! # In the virtual reader
//!
//! [`vpcd::VirtualCard::insert`] connects to vpcd (a connection is a card
//! in the reader), serves APDUs from a thread and can vanish after a given
//! number of commands ([`vpcd::VirtualCard::pull_after`]). Through vpcd a
//! card that vanishes mid-command shows up in `SCardTransmit` as an empty
//! answer (no status word) rather than an error, and a card inserted
//! before pcscd's reader thread noticed the previous one leave is never
//! powered up: wait for the reader's removal event before re-inserting.

mod apdu;
pub mod card;
pub mod ffi;
pub mod holder;
pub mod personalise;
mod tlv;
pub mod vpcd;

use std::path::PathBuf;

pub use card::{Quirk, Secrets, SimCard};
pub use holder::{Address, CardHolder};
pub use vpcd::VirtualCard;

/// Why the card could not be made, loaded or served.
#[derive(Debug, thiserror::Error)]
pub enum SimCardError {
    /// A Debian tool failed or is missing.
    #[error("{program} failed ({detail}); install the Debian package {package}")]
    Tool {
        /// The program.
        program: &'static str,
        /// The Debian package that provides it.
        package: &'static str,
        /// Its error output.
        detail: String,
    },
    /// A file could not be read or written.
    #[error("cannot access {path}: {source}; personalise the card first")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A card file is not what personalisation writes.
    #[error("{0} is malformed; personalise the card again")]
    BadFile(PathBuf),
    /// OpenPACE refused the card's files or keys.
    #[error("{0}; is libeac3 installed and the card directory complete?")]
    OpenPace(#[from] ffi::OpenPaceError),
    /// PIN, CAN or PUK do not have the required form.
    #[error("invalid card secrets: {0}")]
    InvalidSecrets(&'static str),
    /// The holder file is not valid.
    #[error("holder file {path}: {detail}")]
    Holder {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The virtual reader could not be reached.
    #[error("cannot connect to vpcd on 127.0.0.1:{port}: {source}; is pcscd with vsmartcard-vpcd running?")]
    Vpcd {
        /// The port.
        port: u16,
        /// The cause.
        source: std::io::Error,
    },
}
