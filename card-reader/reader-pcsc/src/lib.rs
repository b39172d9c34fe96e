// SPDX-License-Identifier: GPL-3.0-or-later
//! PC/SC transport of the Bürgerterminal card reader.
//!
//! [`PcscReader`] is the German eID card on a PC/SC reader as the session
//! needs it ([`card_reader::CardReader`]): it runs [`card_reader::EidReader`]
//! over the parts below.
//!
//! Three parts sit on top of pcsc-lite (through the `pcsc` crate):
//! - [`Transport`]: an exclusive connection to one reader that sends
//!   [`eid::apdu::CommandApdu`]s, as extended-length APDUs when the card
//!   says it takes them (ATR card capabilities, ISO/IEC 7816-4 8.1.1.2.7)
//!   and as command chains (ISO/IEC 7816-4 5.4.1) otherwise;
//! - [`ReaderWatch`]: `SCardGetStatusChange` on the reader and on the
//!   `\\?PnP?\Notification` pseudo-reader, turned into
//!   [`card_reader::CardEvent`]s;
//! - [`Features`]: the PC/SC part 10 feature list (`GET_FEATURE_REQUEST`),
//!   which tells whether a PIN pad reader can run PACE or verify a PIN
//!   itself. When the reader announces `FEATURE_EXECUTE_PACE`,
//!   [`PcscReader`] has it run PACE with the PIN typed on its keypad
//!   (`EstablishPACEChannel`, PC/SC part 10 amendment 1) and goes on with
//!   Terminal and Chip Authentication from the reader's output; the PIN
//!   service's secrets are still typed on the screen;
//! - [`ReaderDriver`]: `SCardTransmit` and `SCardControl` as pcscd hands
//!   them to the reader's driver; [`Pcscd`] on a terminal.

mod atr;
mod driver;
mod error;
mod features;
mod pcsc_reader;
mod transport;
mod watch;

pub use atr::atr_allows_extended_length;
pub use driver::{Pcscd, ReaderDriver};
pub use error::PcscError;
pub use features::{FEATURE_EXECUTE_PACE, FEATURE_VERIFY_PIN_DIRECT, Features, GET_FEATURE_REQUEST_CODE, features};
pub use pcsc_reader::PcscReader;
pub use transport::{LengthMode, SharedDriver, Transport};
pub use watch::ReaderWatch;

/// Names of the readers pcscd offers now (empty if it offers none).
pub fn list_readers() -> Result<Vec<String>, PcscError> {
    let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(PcscError::from_pcsc)?;
    match ctx.list_readers_owned() {
        Ok(names) => Ok(names.into_iter().map(|n| n.to_string_lossy().into_owned()).collect()),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(PcscError::from_pcsc(e)),
    }
}
