// SPDX-License-Identifier: GPL-3.0-or-later
//! PACE passwords (ICAO Doc 9303-11 9.7.3, BSI TR-03110-2 3.3): MRZ, CAN,
//! PIN and PUK, and their encoding `f(π)` before the key derivation.
//!
//! Passwords are zeroized on drop and never appear in `Debug` output.

use sha1::{Digest, Sha1};
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Why a password was refused before it reached the card.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PasswordError {
    /// A CAN, PIN or PUK must consist of ASCII digits only.
    #[error("the {kind} may contain digits only")]
    NotDigits {
        /// Which password kind was given.
        kind: &'static str,
    },
    /// The length does not match the password kind: CAN 6, PIN 6 (transport
    /// PIN 5), PUK 10 digits (TR-03110-2 3.3).
    #[error("the {kind} must have {expected} digits")]
    WrongLength {
        /// Which password kind was given.
        kind: &'static str,
        /// The required number of digits.
        expected: &'static str,
    },
    /// An MRZ field contains characters outside `0-9`, `A-Z` and `<`, or has the wrong length.
    #[error("MRZ field {field} is malformed")]
    BadMrzField {
        /// The offending field.
        field: &'static str,
    },
}

/// The password reference in MSE:Set AT tag `83` (TR-03110-3 D.3.3 Table 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordKind {
    /// Machine readable zone, reference 1.
    Mrz = 1,
    /// Card access number, reference 2.
    Can = 2,
    /// eID PIN (also the 5-digit transport PIN), reference 3.
    Pin = 3,
    /// PIN unblocking key, reference 4.
    Puk = 4,
}

/// A PACE password.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Password {
    #[zeroize(skip)]
    kind: PasswordKind,
    secret: Vec<u8>,
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Password({:?}, <redacted>)", self.kind)
    }
}

fn digits(
    kind: &'static str,
    value: &str,
    lengths: &[usize],
    expected: &'static str,
) -> Result<Vec<u8>, PasswordError> {
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PasswordError::NotDigits { kind });
    }
    if !lengths.contains(&value.len()) {
        return Err(PasswordError::WrongLength { kind, expected });
    }
    // ISO/IEC 8859-1 encoding (9303-11 9.7.3 Table 14): digits are ASCII.
    Ok(value.as_bytes().to_vec())
}

impl Password {
    /// The 6-digit card access number printed on the card.
    pub fn can(can: &str) -> Result<Self, PasswordError> {
        Ok(Self { kind: PasswordKind::Can, secret: digits("CAN", can, &[6], "6")? })
    }

    /// The citizen's 6-digit eID PIN, or the 5-digit transport PIN.
    pub fn pin(pin: &str) -> Result<Self, PasswordError> {
        Ok(Self { kind: PasswordKind::Pin, secret: digits("PIN", pin, &[5, 6], "5 or 6")? })
    }

    /// The 10-digit PUK from the PIN letter.
    pub fn puk(puk: &str) -> Result<Self, PasswordError> {
        Ok(Self { kind: PasswordKind::Puk, secret: digits("PUK", puk, &[10], "10")? })
    }

    /// The MRZ password: `SHA-1(document number || check digit || date of
    /// birth || check digit || date of expiry || check digit)`
    /// (9303-11 9.7.3, Table 14; check digits per ICAO Doc 9303-3 4.9).
    /// Dates are `YYMMDD`; the document number is padded with `<` to 9 characters.
    pub fn mrz(document_number: &str, date_of_birth: &str, date_of_expiry: &str) -> Result<Self, PasswordError> {
        let mut info = Zeroizing::new(String::new());
        let mut doc = document_number.to_string();
        if doc.len() > 9 {
            return Err(PasswordError::BadMrzField { field: "document number" });
        }
        while doc.len() < 9 {
            doc.push('<');
        }
        for (field, value, len) in [
            ("document number", doc.as_str(), 9),
            ("date of birth", date_of_birth, 6),
            ("date of expiry", date_of_expiry, 6),
        ] {
            if value.len() != len {
                return Err(PasswordError::BadMrzField { field });
            }
            let check = check_digit(value).ok_or(PasswordError::BadMrzField { field })?;
            info.push_str(value);
            info.push(char::from(b'0' + check));
        }
        doc.zeroize();
        Ok(Self { kind: PasswordKind::Mrz, secret: Sha1::digest(info.as_bytes()).to_vec() })
    }

    /// Which password this is.
    pub fn kind(&self) -> PasswordKind {
        self.kind
    }

    /// `f(π)`, the input of `K_π = KDF_π(f(π))`.
    pub(crate) fn encoded(&self) -> &[u8] {
        &self.secret
    }
}

/// ICAO Doc 9303-3 4.9 check digit: weights 7, 3, 1; `<` counts 0, letters 10 to 35.
pub fn check_digit(field: &str) -> Option<u8> {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let mut sum = 0u32;
    for (i, c) in field.bytes().enumerate() {
        let value = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            b'<' => 0,
            _ => return None,
        };
        sum += value * WEIGHTS[i % 3];
    }
    Some((sum % 10) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::hex;

    #[test]
    fn mrz_password_reproduces_icao_9303_11_g1_key_seed() {
        // ICAO Doc 9303-11 G.1: document T22000129, born 640812, expires 101031.
        let pw = Password::mrz("T22000129", "640812", "101031").unwrap();
        assert_eq!(pw.encoded(), hex("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD"));
        assert_eq!(pw.kind(), PasswordKind::Mrz);
    }

    #[test]
    fn check_digits_follow_9303_3_examples() {
        assert_eq!(check_digit("T22000129"), Some(3));
        assert_eq!(check_digit("640812"), Some(5));
        assert_eq!(check_digit("101031"), Some(8));
        assert_eq!(check_digit("L898902C<"), Some(3));
        assert_eq!(check_digit("a"), None);
    }

    #[test]
    fn pin_can_and_puk_lengths_are_enforced() {
        assert!(Password::pin("123456").is_ok());
        assert!(Password::pin("12345").is_ok());
        assert_eq!(Password::pin("1234"), Err(PasswordError::WrongLength { kind: "PIN", expected: "5 or 6" }));
        assert_eq!(Password::pin("12a456"), Err(PasswordError::NotDigits { kind: "PIN" }));
        assert!(Password::can("123456").is_ok());
        assert!(Password::can("12345").is_err());
        assert!(Password::puk("0123456789").is_ok());
        assert!(Password::puk("012345678").is_err());
    }

    #[test]
    fn debug_output_never_shows_the_pin() {
        let shown = format!("{:?}", Password::pin("918273").unwrap());
        assert!(!shown.contains("918273"));
        assert!(shown.contains("redacted"));
    }
}
