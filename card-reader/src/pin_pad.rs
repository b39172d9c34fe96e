// SPDX-License-Identifier: GPL-3.0-or-later
//! Reading the card with the PIN typed on the reader's keypad: the reader
//! runs PACE itself (`EstablishPACEChannel`, PC/SC part 10 amendment 1;
//! BSI TR-03119 D.3), the PIN never reaches the terminal.
//!
//! After the reader's PACE the terminal goes on as after its own
//! (TR-03110-2 3): Terminal Authentication with `IDicc` and the CAR from the
//! reader's output, passive authentication, Chip Authentication and the
//! data groups. Up to Chip Authentication the terminal sends plain APDUs and
//! the reader protects them with its PACE channel; the channel that Chip
//! Authentication yields is the terminal's, and its protected APDUs pass the
//! reader unchanged (see `eid::pace_on_reader`).
//!
//! A suspended PIN is resumed as on the screen (TR-03110-2 3.5.1), but with
//! both secrets on the keypad: PACE with the CAN first, then PACE with the
//! PIN, which the reader runs inside the CAN's channel.

use eid::card_access::CardAccess;
use eid::pace_on_reader::{EstablishPaceChannel, PaceChannel, PasswordId, ReaderPaceResult, ReaderPaceStep};
use session::{CardData, CardError, CardItem, Fault};
use std::time::Instant;

use crate::eid_fault::EidFault;
use crate::eid_reader::{
    ApduTransport, EidReader, EidSession, TransportError, chip_authentication_info, refusal, transport_error,
    unreadable,
};

/// A reader that runs PACE itself, with the secret typed on its own keypad
/// (`FEATURE_EXECUTE_PACE`, PC/SC part 10 amendment 1).
pub trait PinPadReader: ApduTransport {
    /// Sends the encoded EstablishPACEChannel `input` with the feature's
    /// control code and returns the reader's output. This blocks while the
    /// citizen types on the keypad, up to the reader's own timeout.
    fn establish_pace_channel(&mut self, input: &[u8]) -> Result<Vec<u8>, TransportError>;
}

impl<T: PinPadReader + ?Sized> PinPadReader for &mut T {
    fn establish_pace_channel(&mut self, input: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).establish_pace_channel(input)
    }
}

/// The PIN's retry counter when MSE:Set AT gives no warning (TR-03110-2 3.5.1).
const PIN_ATTEMPTS: u8 = 3;

impl<T: PinPadReader> EidReader<T> {
    /// Reads exactly `items` with the PIN typed on the reader's keypad
    /// (after the CAN, also on the keypad, when `can_first`).
    pub fn read_on_pin_pad(&mut self, can_first: bool, items: &[CardItem]) -> Result<CardData, CardError> {
        let mut session = self.authenticate_on_pin_pad(can_first, items)?;
        for item in items {
            session.read_item(*item)?;
        }
        Ok(session.finish())
    }

    /// PACE on the reader, then Terminal, passive and Chip Authentication
    /// as in [`EidReader::authenticate`], requesting exactly `items`.
    pub fn authenticate_on_pin_pad(
        &mut self,
        can_first: bool,
        items: &[CardItem],
    ) -> Result<EidSession<'_, T>, CardError> {
        let started = Instant::now();
        self.stats = Default::default();
        let result = self.authenticate_on_pin_pad_inner(can_first, items);
        self.stats.total = started.elapsed();
        let channel = result?;
        Ok(EidSession { reader: self, channel, identity: Default::default(), started })
    }

    fn authenticate_on_pin_pad_inner(
        &mut self,
        can_first: bool,
        items: &[CardItem],
    ) -> Result<eid::secure_messaging::SecureMessaging, CardError> {
        let chat = self.chat_for(items)?.to_der();
        if can_first {
            let can = self.pace_on_reader(PasswordId::Can, None)?;
            if let Some(error) = refused(&can, PasswordId::Can) {
                return Err(error);
            }
        }
        let channel = self.pace_on_reader(PasswordId::Pin, Some(&chat))?;
        if let Some(error) = refused(&channel, PasswordId::Pin) {
            return Err(error);
        }
        let id_icc = channel.id_icc.as_deref().ok_or_else(|| unreadable(EidFault::PinPadOutputWithoutIdIcc))?;
        tracing::debug!(car = ?channel.car.as_deref().map(String::from_utf8_lossy), "PACE established by the reader");
        let access = CardAccess::parse(&channel.card_access).map_err(|e| unreadable(EidFault::CardAccess(e)))?;
        let ca_info = chip_authentication_info(&access)?;
        self.after_pace(None, id_icc, &ca_info)
    }

    /// One EstablishPACEChannel; the keypad asks for `password`.
    fn pace_on_reader(&mut self, password: PasswordId, chat: Option<&[u8]>) -> Result<PaceChannel, CardError> {
        let input = EstablishPaceChannel { password, chat, certificate_description: &[] }
            .to_bytes()
            .map_err(|e| unreadable(EidFault::PinPadOutput(e)))?;
        let started = Instant::now();
        let output = self.transport.establish_pace_channel(&input);
        self.stats.pace += started.elapsed();
        let output = output.map_err(transport_error)?;
        PaceChannel::parse(&output).map_err(|e| CardError::Reader(Fault::new(EidFault::PinPadOutput(e))))
    }
}

/// What a refused EstablishPACEChannel means for the citizen, or `None` if
/// the channel is established.
fn refused(channel: &PaceChannel, password: PasswordId) -> Option<CardError> {
    let set_at = channel.mse_set_at_status;
    let error = match channel.result {
        ReaderPaceResult::Established => return None,
        ReaderPaceResult::Cancelled | ReaderPaceResult::Timeout => CardError::EntryCancelled,
        ReaderPaceResult::NoCard => CardError::NoCard,
        ReaderPaceResult::CardRefused { step: ReaderPaceStep::MutualAuthentication, sw }
            if sw == 0x6300 || sw & 0xFFF0 == 0x63C0 =>
        {
            wrong_secret(password, set_at, sw)
        }
        ReaderPaceResult::CardRefused { step: ReaderPaceStep::SetAt, sw } => set_at_refusal(sw),
        // The reader may go on after a `63C1` warning and only fail later;
        // the warning itself says the PIN is suspended (TR-03110-2 3.5.1).
        _ if password == PasswordId::Pin && set_at == 0x63C1 => CardError::PinSuspended,
        ReaderPaceResult::CardRefused { step, sw } => unreadable(EidFault::PinPadRefused { step, sw }),
        ReaderPaceResult::CommunicationAbort => unreadable(EidFault::PinPad(channel.result)),
        ReaderPaceResult::Reader(_) => CardError::Reader(Fault::new(EidFault::PinPad(channel.result))),
    };
    Some(error)
}

/// A wrong secret on the keypad. For the PIN, at most one attempt less is
/// left than MSE:Set AT reported before it (`9000`: three, `63Cx`: x), and
/// fewer if the card says so (TR-03110-2 3.5.1, as [`eid::pace`] counts).
fn wrong_secret(password: PasswordId, set_at: u16, sw: u16) -> CardError {
    match password {
        PasswordId::Can => CardError::WrongCan,
        PasswordId::Puk => CardError::WrongPuk,
        PasswordId::Pin => {
            let before = if set_at & 0xFFF0 == 0x63C0 { (set_at & 0x000F) as u8 } else { PIN_ATTEMPTS };
            let at_most = before.saturating_sub(1);
            let card_says = (sw & 0xFFF0 == 0x63C0).then_some((sw & 0x000F) as u8);
            match card_says.map_or(at_most, |n| n.min(at_most)) {
                0 => CardError::PinBlocked,
                1 => CardError::PinSuspended,
                n => CardError::WrongPin { attempts_left: n },
            }
        }
    }
}

/// The card's refusal of MSE:Set AT, as for PACE on the terminal
/// (TR-03110-3 B.8: `63C1` suspended, `63C0`/`6983` blocked, `6283` deactivated).
fn set_at_refusal(sw: u16) -> CardError {
    match sw {
        0x63C1 => CardError::PinSuspended,
        0x63C0 | 0x6983 => CardError::PinBlocked,
        0x6283 => CardError::Deactivated,
        other => refusal(eid::pace::PaceError::UnexpectedStatus { step: eid::pace::PaceStep::SetAt, sw: other }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn channel(result: ReaderPaceResult, mse_set_at_status: u16) -> PaceChannel {
        PaceChannel {
            result,
            mse_set_at_status,
            card_access: Zeroizing::new(Vec::new()),
            car: None,
            previous_car: None,
            id_icc: None,
        }
    }

    fn mutual(sw: u16) -> ReaderPaceResult {
        ReaderPaceResult::CardRefused { step: ReaderPaceStep::MutualAuthentication, sw }
    }

    #[test]
    fn a_wrong_pin_on_the_keypad_counts_down_from_what_mse_set_at_said() {
        assert_eq!(
            refused(&channel(mutual(0x63C2), 0x9000), PasswordId::Pin),
            Some(CardError::WrongPin { attempts_left: 2 })
        );
        // A card that only says 6300: one less than before.
        assert_eq!(
            refused(&channel(mutual(0x6300), 0x9000), PasswordId::Pin),
            Some(CardError::WrongPin { attempts_left: 2 })
        );
        // A card that reports its full counter again is not believed.
        assert_eq!(refused(&channel(mutual(0x63C3), 0x63C2), PasswordId::Pin), Some(CardError::PinSuspended));
        assert_eq!(refused(&channel(mutual(0x63C0), 0x9000), PasswordId::Pin), Some(CardError::PinBlocked));
    }

    #[test]
    fn cancel_and_timeout_on_the_keypad_cost_no_attempt() {
        assert_eq!(
            refused(&channel(ReaderPaceResult::Cancelled, 0x9000), PasswordId::Pin),
            Some(CardError::EntryCancelled)
        );
        assert_eq!(refused(&channel(ReaderPaceResult::Timeout, 0), PasswordId::Pin), Some(CardError::EntryCancelled));
    }

    #[test]
    fn the_card_state_in_mse_set_at_is_the_citizens_message() {
        let set_at = |sw| ReaderPaceResult::CardRefused { step: ReaderPaceStep::SetAt, sw };
        assert_eq!(refused(&channel(set_at(0x6283), 0x6283), PasswordId::Pin), Some(CardError::Deactivated));
        assert_eq!(refused(&channel(set_at(0x63C0), 0x63C0), PasswordId::Pin), Some(CardError::PinBlocked));
        assert_eq!(
            refused(
                &channel(ReaderPaceResult::CardRefused { step: ReaderPaceStep::EncryptedNonce, sw: 0x6982 }, 0x63C1),
                PasswordId::Pin
            ),
            Some(CardError::PinSuspended)
        );
        assert_eq!(refused(&channel(mutual(0x63C1), 0x9000), PasswordId::Can), Some(CardError::WrongCan));
        assert_eq!(refused(&channel(ReaderPaceResult::Established, 0x63C2), PasswordId::Pin), None);
    }

    #[test]
    fn a_reader_fault_is_the_readers_not_the_citizens() {
        assert!(matches!(
            refused(&channel(ReaderPaceResult::Reader(0xD000_0001), 0), PasswordId::Pin),
            Some(CardError::Reader(_))
        ));
        assert!(matches!(
            refused(&channel(ReaderPaceResult::CommunicationAbort, 0), PasswordId::Pin),
            Some(CardError::Unreadable(_))
        ));
        assert_eq!(refused(&channel(ReaderPaceResult::NoCard, 0), PasswordId::Pin), Some(CardError::NoCard));
    }
}
