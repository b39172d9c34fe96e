// SPDX-License-Identifier: GPL-3.0-or-later
//! Document validity verification: the card compares its own date of
//! expiry with the date the terminal signed in Terminal Authentication
//! (BSI TR-03110-2 3.8, TR-03110-3 A.6.5 and B.11.7).
//!
//! ```text
//! TA's MSE:Set AT carries 67 { 73 { 06 id-DateOfExpiry, 53 "YYYYMMDD" } }  (auxiliary data,
//!                                                                           covered by the TA signature)
//! after Chip Authentication, inside its channel:
//! VERIFY 00 20 80 00, data 06 id-DateOfExpiry → 9000 valid on that date, 6300 expired
//! ```
//!
//! The card answers for the date the terminal authenticated, not for a date
//! the terminal could change afterwards; without Chip Authentication the
//! answer could come from anywhere, so the command belongs in CA's channel.
//! No data group is read for this and no CHAT right is needed
//! (TR-03110-4 2.2.3.2 lists none for document validity).

use thiserror::Error;

use crate::apdu::{CommandApdu, ResponseApdu, Status};
use crate::cvc::CvcDate;
use crate::tlv;

/// `id-DateOfExpiry` = 0.4.0.127.0.7.3.1.4.2 (TR-03110-3 A.6.5.2), content octets.
pub const ID_DATE_OF_EXPIRY: [u8; 9] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x04, 0x02];

/// Tag of `AuthenticatedAuxiliaryData`, `[APPLICATION 7]` (TR-03110-3 A.6.5).
const AUXILIARY_DATA: u32 = 0x67;
/// Tag of one `AuxDataTemplate` / discretionary data template, `[APPLICATION 19]`.
const AUX_DATA_TEMPLATE: u32 = 0x73;
/// Tag of the date inside a template, `[APPLICATION 19]` primitive (TR-03110-3 A.6.5.2).
const DATE: u32 = 0x53;

/// What the card said about its validity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// `9000`: the card's date of expiry is not before the signed date.
    Valid,
    /// `6300`: the card expired before the signed date.
    Expired,
}

/// Why the card could not answer the validity question.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ValidityError {
    /// `6A88` (or `6A80`): the card holds no date of expiry for this OID, or
    /// Terminal Authentication carried no auxiliary data for it.
    #[error("the card has no date of expiry to verify, or TA carried no date (status {0:04X})")]
    NotAvailable(u16),
    /// `6982`: VERIFY came outside Chip Authentication's channel.
    #[error("the card refused the validity check before Chip Authentication")]
    SecurityStatusNotSatisfied,
    /// Any other status word.
    #[error("unexpected status {0:04X} to VERIFY")]
    UnexpectedStatus(u16),
}

/// `AuthenticatedAuxiliaryData` asking for the validity on `date`, to go
/// into [`crate::terminal_auth::TaConfig::auxiliary_data`].
pub fn auxiliary_data(date: CvcDate) -> Vec<u8> {
    let digits = format!("{:04}{:02}{:02}", date.year, date.month, date.day);
    let mut template = tlv::encode(0x06, &ID_DATE_OF_EXPIRY);
    tlv::encode_into(DATE, digits.as_bytes(), &mut template);
    tlv::encode(AUXILIARY_DATA, &tlv::encode(AUX_DATA_TEMPLATE, &template))
}

/// VERIFY with `id-DateOfExpiry` (TR-03110-3 B.11.7): send it through Chip
/// Authentication's channel.
pub fn verify() -> CommandApdu {
    CommandApdu::new(0x00, 0x20, 0x80, 0x00).with_data(tlv::encode(0x06, &ID_DATE_OF_EXPIRY))
}

/// Interprets the (unprotected) answer to [`verify`].
pub fn check_response(response: &ResponseApdu) -> Result<Validity, ValidityError> {
    match response.sw.meaning() {
        Status::Success => Ok(Validity::Valid),
        Status::AuthenticationFailed => Ok(Validity::Expired),
        Status::SecurityStatusNotSatisfied => Err(ValidityError::SecurityStatusNotSatisfied),
        Status::ReferenceDataNotFound | Status::IncorrectData => Err(ValidityError::NotAvailable(response.sw.0)),
        _ => Err(ValidityError::UnexpectedStatus(response.sw.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oid_is_id_date_of_expiry_under_id_auxiliary_data() {
        // 0.4.0.127.0.7.3.1.4.2: first octet 0*40+4, then 127 0 7 3 1 4 2 (X.690 8.19).
        assert_eq!(ID_DATE_OF_EXPIRY, [4, 0, 127, 0, 7, 3, 1, 4, 2]);
    }

    #[test]
    fn auxiliary_data_is_one_template_with_the_oid_and_the_date_as_eight_digits() {
        let aux = auxiliary_data(CvcDate { year: 2026, month: 12, day: 2 });
        let expected = [
            &[0x67, 0x17, 0x73, 0x15][..],
            &[0x06, 0x09, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x04, 0x02],
            &[0x53, 0x08],
            b"20261202",
        ]
        .concat();
        assert_eq!(aux, expected);
    }

    #[test]
    fn verify_is_case_3_with_p1_80_and_the_oid() {
        let bytes = verify().to_bytes().unwrap();
        assert_eq!(bytes, [&[0x00, 0x20, 0x80, 0x00, 0x0B, 0x06, 0x09][..], &ID_DATE_OF_EXPIRY].concat());
    }

    #[test]
    fn status_words_tell_valid_from_expired() {
        assert_eq!(check_response(&ResponseApdu::new(vec![], 0x9000)), Ok(Validity::Valid));
        assert_eq!(check_response(&ResponseApdu::new(vec![], 0x6300)), Ok(Validity::Expired));
        assert_eq!(check_response(&ResponseApdu::new(vec![], 0x6982)), Err(ValidityError::SecurityStatusNotSatisfied));
        assert_eq!(check_response(&ResponseApdu::new(vec![], 0x6A88)), Err(ValidityError::NotAvailable(0x6A88)));
        assert_eq!(check_response(&ResponseApdu::new(vec![], 0x6F00)), Err(ValidityError::UnexpectedStatus(0x6F00)));
    }
}
