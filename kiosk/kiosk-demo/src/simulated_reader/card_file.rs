// SPDX-License-Identifier: GPL-3.0-or-later
//! The simulated card's file: holder data as the card stores it, and the
//! PIN, CAN and PUK its PIN letter would hold. Zeroized on drop.

use card_reader::EidConfigError;
use eid_sim_card::{CardHolder, Secrets, SimCard, SimCardError};
use serde::Deserialize;
use session::Pin;
use std::path::{Path, PathBuf};
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Why a card file could not be used.
#[derive(Debug, Error)]
pub enum CardFileError {
    /// The file could not be read.
    #[error("cannot read the simulated card file {path}: {source}; check the demo configuration")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a card file.
    #[error("the simulated card file {path} is not valid: {source}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Why.
        source: toml::de::Error,
    },
    /// A date in the file is not `YYYYMMDD`.
    #[error("the simulated card file {path} is not valid: {field} must be YYYYMMDD, a space for each unknown digit")]
    Date {
        /// The file.
        path: PathBuf,
        /// The key of the date, e.g. `date-of-birth`.
        field: &'static str,
    },
    /// The simulated card could not be produced or loaded (are the Debian
    /// packages `openpace`, `openssl` and `libeac3` installed?).
    #[error("cannot produce the simulated card: {0}")]
    Card(#[from] SimCardError),
    /// The terminal side of the personalisation could not be loaded.
    #[error("cannot load the simulated terminal configuration: {0}")]
    Config(#[from] EidConfigError),
}

/// The contents of a simulated card: its secrets, whether its eID function
/// is on, and the holder's data. Zeroized on drop.
///
/// The format (TOML, keys in kebab case):
///
/// ```toml
/// pin = "123456"
/// can = "500540"
/// puk = "9876543210"
/// eid-enabled = true
///
/// [identity]                # every item optional
/// document-type = "ID"
/// issuing-state = "D"
/// date-of-expiry = "20311031"
/// given-names = "Erika"
/// family-names = "Mustermann"
/// artistic-name = ""
/// date-of-birth = "19640812"
/// place-of-birth = "Berlin"
/// birth-name = "Gabler"
///
/// [identity.place-of-residence]
/// street = "Heidestraße 17"
/// postal-code = "51147"
/// city = "Köln"
/// country = "D"
/// ```
#[derive(Clone, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(rename_all = "kebab-case")]
pub struct CardFile {
    pin: String,
    can: String,
    puk: String,
    eid_enabled: bool,
    identity: CardHolderFile,
}

/// The `[identity]` table of a card file: the holder's data as the card
/// stores it. Dates are `YYYYMMDD` as in the card's `NumericString`, with a
/// space for each digit the issuing authority left unknown (TR-03127).
#[derive(Clone, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(rename_all = "kebab-case")]
struct CardHolderFile {
    document_type: Option<String>,
    issuing_state: Option<String>,
    date_of_expiry: Option<String>,
    given_names: Option<String>,
    family_names: Option<String>,
    artistic_name: Option<String>,
    date_of_birth: Option<String>,
    place_of_birth: Option<String>,
    birth_name: Option<String>,
    place_of_residence: Option<AddressFile>,
}

/// The `[identity.place-of-residence]` table of a card file.
#[derive(Clone, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(rename_all = "kebab-case")]
struct AddressFile {
    street: String,
    postal_code: String,
    city: String,
    country: String,
}

impl CardHolderFile {
    /// The first date that is not `YYYYMMDD`, by its key.
    fn malformed_date(&self) -> Option<&'static str> {
        let well_formed = |date: &str| date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit() || b == b' ');
        [("date-of-expiry", &self.date_of_expiry), ("date-of-birth", &self.date_of_birth)]
            .into_iter()
            .find(|(_, date)| date.as_deref().is_some_and(|d| !well_formed(d)))
            .map(|(key, _)| key)
    }

    /// The holder as the simulated card stores it; an item the file leaves
    /// out is empty on the card.
    fn card_holder(&self) -> CardHolder {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let address = self.place_of_residence.as_ref();
        let field = |f: fn(&AddressFile) -> &String| address.map(|a| f(a).clone()).unwrap_or_default();
        CardHolder {
            document_type: text(&self.document_type),
            issuing_state: text(&self.issuing_state),
            date_of_expiry: text(&self.date_of_expiry),
            given_names: text(&self.given_names),
            family_names: text(&self.family_names),
            religious_artistic_name: text(&self.artistic_name),
            date_of_birth: text(&self.date_of_birth),
            place_of_birth: text(&self.place_of_birth),
            birth_name: self.birth_name.clone(),
            place_of_residence: eid_sim_card::Address {
                street: field(|a| &a.street),
                city: field(|a| &a.city),
                zip: field(|a| &a.postal_code),
                country: field(|a| &a.country),
            },
        }
    }
}

impl CardFile {
    /// Puts the PIN the citizen chose in place of the letter's.
    pub(super) fn set_pin(&mut self, pin: &str) {
        self.pin.zeroize();
        self.pin = pin.to_owned();
    }

    /// Whether the card's PIN is `pin`.
    pub(super) fn pin_is(&self, pin: &str) -> bool {
        self.pin == pin
    }

    /// Reads a card file (TOML).
    pub fn load(path: &Path) -> Result<Self, CardFileError> {
        let text = Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| CardFileError::Read { path: path.into(), source })?,
        );
        let file: CardFile =
            toml::from_str(&text).map_err(|source| CardFileError::Syntax { path: path.into(), source })?;
        match file.identity.malformed_date() {
            Some(field) => Err(CardFileError::Date { path: path.into(), field }),
            None => Ok(file),
        }
    }

    /// The PIN, as the citizen knows it from the PIN letter (for the scripted
    /// citizen of the headless demo).
    pub fn pin(&self) -> Pin {
        digits(&self.pin)
    }

    /// The card this file describes, personalised in `card_dir`.
    pub(super) fn make_card(&self, card_dir: &Path) -> Result<SimCard, SimCardError> {
        let secrets = Secrets { pin: self.pin.clone(), can: self.can.clone(), puk: self.puk.clone() };
        let mut card = SimCard::new(card_dir, self.identity.card_holder(), secrets)?;
        card.set_eid_deactivated(!self.eid_enabled);
        Ok(card)
    }
}

pub(super) fn digits(text: &str) -> Pin {
    let mut pin = Pin::default();
    text.chars().for_each(|d| pin.push(d));
    pin
}
