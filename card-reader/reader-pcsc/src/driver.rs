// SPDX-License-Identifier: GPL-3.0-or-later
//! The reader's side of a connected card: `SCardTransmit` and
//! `SCardControl`, which pcscd hands on to the reader's driver
//! (`IFDHTransmitToICC`, `IFDHControl`; PC/SC part 3, pcsc-lite's IFD
//! handler API).
//!
//! [`Transport`](crate::Transport) sends everything through a
//! [`ReaderDriver`]. On a terminal that is [`Pcscd`], straight to pcscd and
//! the real driver. A PIN pad reader's PACE lives behind this seam: after
//! `EstablishPACEChannel` (an `SCardControl`) the reader's firmware protects
//! the plain APDUs that follow (PC/SC part 10 amendment 1), which a test
//! can stand in for at exactly this place, over the real card.

/// What pcscd offers for one connected card.
pub trait ReaderDriver: Send {
    /// `SCardTransmit`: sends `command` and writes the answer into `answer`.
    fn transmit<'a>(
        &mut self,
        card: &pcsc::Card,
        command: &[u8],
        answer: &'a mut [u8],
    ) -> Result<&'a [u8], pcsc::Error>;

    /// `SCardControl` with `code` and `input`; writes the answer into `answer`.
    fn control<'a>(
        &mut self,
        card: &pcsc::Card,
        code: u32,
        input: &[u8],
        answer: &'a mut [u8],
    ) -> Result<&'a [u8], pcsc::Error>;

    /// The card was reset (`SCardReconnect` with `SCARD_RESET_CARD`), which
    /// pcscd reports to the driver by powering the card up again
    /// (`IFDHPowerICC`): a channel the reader held is gone.
    fn card_reset(&mut self) {}
}

/// Straight to pcscd and the reader's own driver.
#[derive(Debug, Default, Clone, Copy)]
pub struct Pcscd;

impl ReaderDriver for Pcscd {
    fn transmit<'a>(
        &mut self,
        card: &pcsc::Card,
        command: &[u8],
        answer: &'a mut [u8],
    ) -> Result<&'a [u8], pcsc::Error> {
        card.transmit(command, answer)
    }

    fn control<'a>(
        &mut self,
        card: &pcsc::Card,
        code: u32,
        input: &[u8],
        answer: &'a mut [u8],
    ) -> Result<&'a [u8], pcsc::Error> {
        card.control(code as _, input, answer)
    }
}
