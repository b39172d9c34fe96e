// SPDX-License-Identifier: GPL-3.0-or-later
//! What an ID card can tell the terminal, and the secrets the citizen types.

use serde::Deserialize;
use std::fmt;
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// One item of data on the German ID card that a service may ask for.
///
/// Each maps to one data group of the eID application (BSI TR-03110-4,
/// TR-03127); the card releases only the items the terminal's CHAT requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardItem {
    /// DG1, document type.
    DocumentType,
    /// DG2, issuing state.
    IssuingState,
    /// DG3, date of expiry.
    DateOfExpiry,
    /// DG4, given names.
    GivenNames,
    /// DG5, family names.
    FamilyNames,
    /// DG6, religious or artistic name.
    ArtisticName,
    /// DG8, date of birth.
    DateOfBirth,
    /// DG9, place of birth.
    PlaceOfBirth,
    /// DG13, birth name.
    BirthName,
    /// DG17, place of residence (address).
    PlaceOfResidence,
}

impl CardItem {
    /// Every item, in data-group order.
    pub const ALL: [CardItem; 10] = [
        CardItem::DocumentType,
        CardItem::IssuingState,
        CardItem::DateOfExpiry,
        CardItem::GivenNames,
        CardItem::FamilyNames,
        CardItem::ArtisticName,
        CardItem::DateOfBirth,
        CardItem::PlaceOfBirth,
        CardItem::BirthName,
        CardItem::PlaceOfResidence,
    ];

    /// The eID data group holding this item.
    pub fn data_group(self) -> u8 {
        match self {
            CardItem::DocumentType => 1,
            CardItem::IssuingState => 2,
            CardItem::DateOfExpiry => 3,
            CardItem::GivenNames => 4,
            CardItem::FamilyNames => 5,
            CardItem::ArtisticName => 6,
            CardItem::DateOfBirth => 8,
            CardItem::PlaceOfBirth => 9,
            CardItem::BirthName => 13,
            CardItem::PlaceOfResidence => 17,
        }
    }

    /// Stable key, as written in the catalogue (`given-names`).
    pub fn key(self) -> &'static str {
        match self {
            CardItem::DocumentType => "document-type",
            CardItem::IssuingState => "issuing-state",
            CardItem::DateOfExpiry => "date-of-expiry",
            CardItem::GivenNames => "given-names",
            CardItem::FamilyNames => "family-names",
            CardItem::ArtisticName => "artistic-name",
            CardItem::DateOfBirth => "date-of-birth",
            CardItem::PlaceOfBirth => "place-of-birth",
            CardItem::BirthName => "birth-name",
            CardItem::PlaceOfResidence => "place-of-residence",
        }
    }

    /// The item by its catalogue key.
    pub fn from_key(key: &str) -> Option<CardItem> {
        CardItem::ALL.into_iter().find(|item| item.key() == key)
    }
}

/// A postal address as the card stores it (DG17).
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Address {
    /// Street and house number.
    pub street: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// Country (ISO 3166-1 alpha-1 code as on the card, `D` for Germany).
    pub country: String,
}

/// The citizen's identity as read from the card: only the items a service
/// asked for are present. Zeroized on drop; never logged (its `Debug` shows
/// which items are present, not their values).
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Identity {
    /// DG1, for example `ID`.
    pub document_type: Option<String>,
    /// DG2, for example `D`.
    pub issuing_state: Option<String>,
    /// DG3, `YYYYMMDD`.
    pub date_of_expiry: Option<String>,
    /// DG4.
    pub given_names: Option<String>,
    /// DG5.
    pub family_names: Option<String>,
    /// DG6.
    pub artistic_name: Option<String>,
    /// DG8, `YYYYMMDD` (parts may be unknown on the card).
    pub date_of_birth: Option<String>,
    /// DG9.
    pub place_of_birth: Option<String>,
    /// DG13.
    pub birth_name: Option<String>,
    /// DG17.
    pub place_of_residence: Option<Address>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity").field("items", &self.items()).finish_non_exhaustive()
    }
}

impl Identity {
    /// Which items this identity holds.
    pub fn items(&self) -> Vec<CardItem> {
        CardItem::ALL.into_iter().filter(|item| self.has(*item)).collect()
    }

    fn has(&self, item: CardItem) -> bool {
        match item {
            CardItem::PlaceOfResidence => self.place_of_residence.is_some(),
            other => self.text(other).is_some(),
        }
    }

    fn text(&self, item: CardItem) -> Option<&String> {
        match item {
            CardItem::DocumentType => self.document_type.as_ref(),
            CardItem::IssuingState => self.issuing_state.as_ref(),
            CardItem::DateOfExpiry => self.date_of_expiry.as_ref(),
            CardItem::GivenNames => self.given_names.as_ref(),
            CardItem::FamilyNames => self.family_names.as_ref(),
            CardItem::ArtisticName => self.artistic_name.as_ref(),
            CardItem::DateOfBirth => self.date_of_birth.as_ref(),
            CardItem::PlaceOfBirth => self.place_of_birth.as_ref(),
            CardItem::BirthName => self.birth_name.as_ref(),
            CardItem::PlaceOfResidence => None,
        }
    }

    /// The item as one line of text for display and submission
    /// (dates as `DD.MM.YYYY`, the address as `street, postcode city`).
    pub fn display(&self, item: CardItem) -> Option<Zeroizing<String>> {
        match item {
            CardItem::PlaceOfResidence => self
                .place_of_residence
                .as_ref()
                .map(|a| Zeroizing::new(format!("{}, {} {}", a.street, a.postal_code, a.city))),
            CardItem::DateOfBirth | CardItem::DateOfExpiry => self.text(item).map(|d| Zeroizing::new(card_date(d))),
            other => self.text(other).map(|t| Zeroizing::new(t.clone())),
        }
    }

    /// A date item (`date-of-birth`, `date-of-expiry`) as `YYYY-MM-DD`, for
    /// machines; parts the card leaves unknown stay spaces.
    pub fn iso_date(&self, item: CardItem) -> Option<String> {
        let date = self.text(item)?;
        match (date.get(0..4), date.get(4..6), date.get(6..8)) {
            (Some(y), Some(m), Some(d)) if date.len() == 8 => Some(format!("{y}-{m}-{d}")),
            _ => None,
        }
    }

    /// A copy holding only `items`: what a service asked for and no more.
    pub fn restricted_to(&self, items: &[CardItem]) -> Identity {
        let keep = |item: CardItem, value: &Option<String>| value.clone().filter(|_| items.contains(&item));
        Identity {
            document_type: keep(CardItem::DocumentType, &self.document_type),
            issuing_state: keep(CardItem::IssuingState, &self.issuing_state),
            date_of_expiry: keep(CardItem::DateOfExpiry, &self.date_of_expiry),
            given_names: keep(CardItem::GivenNames, &self.given_names),
            family_names: keep(CardItem::FamilyNames, &self.family_names),
            artistic_name: keep(CardItem::ArtisticName, &self.artistic_name),
            date_of_birth: keep(CardItem::DateOfBirth, &self.date_of_birth),
            place_of_birth: keep(CardItem::PlaceOfBirth, &self.place_of_birth),
            birth_name: keep(CardItem::BirthName, &self.birth_name),
            place_of_residence: self.place_of_residence.clone().filter(|_| items.contains(&CardItem::PlaceOfResidence)),
        }
    }
}

/// `YYYYMMDD` as `DD.MM.YYYY`; the card writes unknown parts as spaces, which
/// are kept as they are.
fn card_date(date: &str) -> String {
    match (date.get(0..4), date.get(4..6), date.get(6..8)) {
        (Some(y), Some(m), Some(d)) if date.len() == 8 => format!("{d}.{m}.{y}"),
        _ => date.to_owned(),
    }
}

/// A secret the citizen types on the PIN pad: the 6-digit eID PIN, the
/// 5-digit transport PIN, the 6-digit CAN or the 10-digit PUK.
///
/// Never displayed (the UI gets only [`Pin::len`]), never logged (`Debug`
/// prints a mask), never stored, and zeroized on drop.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct Pin(String);

impl Pin {
    /// The longest secret the pad accepts (a PUK).
    pub const MAX_LEN: usize = 10;

    /// Appends a digit; ignores anything else and input beyond `MAX_LEN`.
    pub fn push(&mut self, digit: char) {
        if digit.is_ascii_digit() && self.0.len() < Self::MAX_LEN {
            self.0.push(digit);
        }
    }

    /// Removes the last digit.
    pub fn pop(&mut self) {
        self.0.pop();
    }

    /// Number of digits typed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing has been typed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The digits, for the card reader only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin(<{} digits>)", self.0.len())
    }
}

/// What a successful card read yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardData {
    /// The identity, restricted to the requested items.
    pub identity: Identity,
}

/// Why reading the card failed, as the card and reader report it. The UI
/// turns each into a plain-language message; maintainers get the detail.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CardError {
    /// The PIN was wrong; the card allows this many more attempts.
    #[error("wrong PIN, {attempts_left} attempt(s) left")]
    WrongPin {
        /// Attempts left before the PIN is suspended or blocked.
        attempts_left: u8,
    },
    /// Two wrong PINs: the third attempt needs the CAN first (TR-03110-2 3.5.1).
    #[error("PIN suspended: enter the card access number (CAN) before the last attempt")]
    PinSuspended,
    /// The CAN typed to resume a suspended PIN was wrong.
    #[error("wrong card access number (CAN)")]
    WrongCan,
    /// Three wrong PINs: only the PUK unblocks it.
    #[error("PIN blocked: unblock it with the PUK from the PIN letter")]
    PinBlocked,
    /// The PUK typed to unblock the PIN was wrong.
    #[error("wrong PUK")]
    WrongPuk,
    /// The eID function of this card is switched off.
    #[error("the online ID function of this card is not activated")]
    Deactivated,
    /// The card was removed during the operation.
    #[error("the card was removed during the operation")]
    CardRemoved,
    /// There is no card in the reader.
    #[error("no card in the reader")]
    NoCard,
    /// The card did not answer as an eID card does.
    #[error("the card could not be read: {0}")]
    Unreadable(String),
    /// The card could not prove that it is a genuine ID card (passive or chip
    /// authentication failed), so nothing it says is used.
    #[error("the card is not a genuine ID card: {0}")]
    NotGenuine(String),
    /// The card refused this terminal's authorisation (its certificates do
    /// not chain to the card's root, or have expired): the terminal needs
    /// maintenance, not the citizen.
    #[error("the card refused the terminal's certificate: {0}")]
    TerminalRefused(String),
    /// The reader itself failed or disappeared.
    #[error("the card reader is not available: {0}")]
    Reader(String),
}
