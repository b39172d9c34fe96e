// SPDX-License-Identifier: GPL-3.0-or-later
//! PIN management commands (BSI TR-03110-3 B.11.8 RESET RETRY COUNTER,
//! TR-03110-2 3.5): change the PIN, replace the transport PIN, unblock with
//! the PUK.
//!
//! Each is one command sent through the secure channel of a PACE run with
//! the right password:
//!
//! | citizen wants to            | PACE with       | then send                    |
//! |-----------------------------|-----------------|------------------------------|
//! | change the 6-digit PIN      | current PIN     | [`change_pin`] (`00 2C 02 03`) |
//! | replace the transport PIN   | 5-digit transport PIN | [`change_pin`]         |
//! | unblock a blocked PIN       | PUK             | [`unblock_pin`] (`00 2C 03 03`) |

use thiserror::Error;

use crate::apdu::{CommandApdu, ResponseApdu, Status};
use crate::password::PasswordError;

/// `P2` of RESET RETRY COUNTER naming the PIN (TR-03110-3 Table 10, reference 3).
const PIN_REFERENCE: u8 = 0x03;

/// Why a PIN management command failed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PinManagementError {
    /// The new PIN is not six digits.
    #[error("new PIN refused: {0}")]
    InvalidNewPin(#[from] PasswordError),
    /// `6982`: the channel was not opened with the password this command needs.
    #[error("the card needs PACE with the right password first")]
    NotAuthorised,
    /// `6985`: e.g. unblocking a PIN that is not blocked.
    #[error("conditions of use not satisfied")]
    ConditionsNotSatisfied,
    /// `6283`/`6984`: the eID function is deactivated.
    #[error("eID function deactivated")]
    Deactivated,
    /// Any other status word.
    #[error("unexpected status {0:04X}")]
    UnexpectedStatus(u16),
}

/// RESET RETRY COUNTER with a new 6-digit PIN. The command data is the PIN
/// itself: send it only through secure messaging. [`CommandApdu`] wipes its
/// data when dropped.
pub fn change_pin(new_pin: &str) -> Result<CommandApdu, PinManagementError> {
    if !new_pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PasswordError::NotDigits { kind: "PIN" }.into());
    }
    if new_pin.len() != 6 {
        return Err(PasswordError::WrongLength { kind: "PIN", expected: "6" }.into());
    }
    Ok(CommandApdu::new(0x00, 0x2C, 0x02, PIN_REFERENCE).with_data(new_pin.as_bytes().to_vec()))
}

/// RESET RETRY COUNTER without data: after PACE with the PUK this resets
/// the PIN's retry counter to 3.
pub fn unblock_pin() -> CommandApdu {
    CommandApdu::new(0x00, 0x2C, 0x03, PIN_REFERENCE)
}

/// Interprets the (unprotected) response to either command.
pub fn check_response(response: &ResponseApdu) -> Result<(), PinManagementError> {
    match response.sw.meaning() {
        Status::Success => Ok(()),
        Status::SecurityStatusNotSatisfied => Err(PinManagementError::NotAuthorised),
        Status::ConditionsNotSatisfied => Err(PinManagementError::ConditionsNotSatisfied),
        Status::Deactivated | Status::ReferenceDataNotUsable => Err(PinManagementError::Deactivated),
        _ => Err(PinManagementError::UnexpectedStatus(response.sw.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_pin_carries_the_new_pin_as_iso_8859_1_digits() {
        let cmd = change_pin("482913").unwrap();
        assert_eq!(cmd.to_bytes().unwrap(), vec![0x00, 0x2C, 0x02, 0x03, 0x06, b'4', b'8', b'2', b'9', b'1', b'3']);
    }

    #[test]
    fn new_pin_must_be_six_digits() {
        assert!(matches!(change_pin("12345"), Err(PinManagementError::InvalidNewPin(_))));
        assert!(matches!(change_pin("12a456"), Err(PinManagementError::InvalidNewPin(_))));
    }

    #[test]
    fn unblock_has_no_data() {
        assert_eq!(unblock_pin().to_bytes().unwrap(), vec![0x00, 0x2C, 0x03, 0x03]);
    }

    #[test]
    fn status_words_map_to_typed_results() {
        assert_eq!(check_response(&ResponseApdu::new(vec![], 0x9000)), Ok(()));
        assert_eq!(check_response(&ResponseApdu::new(vec![], 0x6982)), Err(PinManagementError::NotAuthorised));
        assert_eq!(check_response(&ResponseApdu::new(vec![], 0x6985)), Err(PinManagementError::ConditionsNotSatisfied));
        assert_eq!(check_response(&ResponseApdu::new(vec![], 0x6283)), Err(PinManagementError::Deactivated));
        assert_eq!(
            check_response(&ResponseApdu::new(vec![], 0x6A80)),
            Err(PinManagementError::UnexpectedStatus(0x6A80))
        );
    }
}
