// SPDX-License-Identifier: GPL-3.0-or-later
//! Errors of the PC/SC layer.

use thiserror::Error;

/// What went wrong talking to pcscd, the reader or the card.
#[derive(Debug, Error)]
pub enum PcscError {
    /// pcscd is not running or stopped; start it (`pcscd`) and try again.
    #[error("the PC/SC service (pcscd) is not available: {0}")]
    NoService(pcsc::Error),
    /// The named reader is not connected; plug it in or pick another reader.
    #[error("reader {0:?} is not connected")]
    UnknownReader(String),
    /// pcscd lists no reader at all; plug one in.
    #[error("no card reader is connected")]
    NoReader,
    /// No card in the reader; ask the citizen to insert the card.
    #[error("no card in the reader")]
    NoCard,
    /// The card was removed during the operation; the session must wipe its
    /// state and start again once a card is inserted.
    #[error("the card was removed during the operation")]
    CardRemoved,
    /// The card was reset by someone else; the transport reconnected, but
    /// everything the card had set up (selected files, secure messaging)
    /// is gone: start the operation again.
    #[error("the card was reset; reconnected, start the operation again")]
    CardReset,
    /// Another program holds the card; close it and try again.
    #[error("the card is in use by another program")]
    Busy,
    /// The APDU could not be encoded or the response was malformed.
    #[error("bad APDU: {0}")]
    Apdu(#[from] eid::apdu::ApduError),
    /// A part of a command chain was refused; the card's status word is given.
    #[error("the card refused part {part} of a command chain with status {sw:04X}")]
    ChainRefused {
        /// 1-based index of the refused part.
        part: usize,
        /// The card's status word.
        sw: u16,
    },
    /// The reader does not answer `GET_FEATURE_REQUEST` (no PC/SC part 10 support).
    #[error("the reader does not support PC/SC part 10 feature requests: {0}")]
    NoFeatures(pcsc::Error),
    /// The feature list is malformed at the given byte offset.
    #[error("malformed PC/SC part 10 feature list at byte {0}")]
    BadFeatureList(usize),
    /// PACE on the reader was asked of a reader that announces no
    /// `FEATURE_EXECUTE_PACE` (PC/SC part 10 amendment 1).
    #[error("the reader does not run PACE itself (no FEATURE_EXECUTE_PACE)")]
    NoPinPad,
    /// Any other PC/SC failure, with pcsc-lite's own description.
    #[error("PC/SC error: {0}")]
    Pcsc(pcsc::Error),
}

impl PcscError {
    /// Maps a pcsc-lite error onto the typed error the caller acts on.
    pub(crate) fn from_pcsc(e: pcsc::Error) -> Self {
        match e {
            pcsc::Error::NoService | pcsc::Error::ServiceStopped | pcsc::Error::NoReadersAvailable => {
                Self::NoService(e)
            }
            pcsc::Error::RemovedCard => Self::CardRemoved,
            pcsc::Error::NoSmartcard => Self::NoCard,
            pcsc::Error::ResetCard => Self::CardReset,
            pcsc::Error::SharingViolation => Self::Busy,
            other => Self::Pcsc(other),
        }
    }
}
