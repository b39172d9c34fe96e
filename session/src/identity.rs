// SPDX-License-Identifier: GPL-3.0-or-later
//! What an ID card can tell the terminal.

use serde::Deserialize;
use std::fmt;
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
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
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

/// A date as the card stores it (DG3, DG8): the issuing authority may leave
/// the month or the day unknown (TR-03127), so each part is optional.
#[derive(Clone, Copy, Default, PartialEq, Eq, Zeroize)]
pub struct CardDate {
    /// The year.
    pub year: Option<u16>,
    /// The month, 1 to 12.
    pub month: Option<u8>,
    /// The day, 1 to 31.
    pub day: Option<u8>,
}

impl CardDate {
    /// A date whose parts are all known.
    pub fn new(year: u16, month: u8, day: u8) -> Self {
        CardDate { year: Some(year), month: Some(month), day: Some(day) }
    }

    /// For machines: `YYYY-MM-DD`, an unknown part as spaces (the request
    /// schemas' format).
    pub fn iso(&self) -> String {
        let (y, m, d) = self.parts();
        format!("{y}-{m}-{d}")
    }

    /// For citizens: `DD.MM.YYYY`, an unknown part as spaces.
    pub fn display(&self) -> String {
        let (y, m, d) = self.parts();
        format!("{d}.{m}.{y}")
    }

    fn parts(&self) -> (String, String, String) {
        (
            self.year.map_or_else(|| " ".repeat(4), |y| format!("{y:04}")),
            self.month.map_or_else(|| " ".repeat(2), |m| format!("{m:02}")),
            self.day.map_or_else(|| " ".repeat(2), |d| format!("{d:02}")),
        )
    }
}

impl fmt::Debug for CardDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardDate(..)")
    }
}

/// The citizen's identity as read from the card: only the items a service
/// asked for are present. Zeroized on drop; never logged (its `Debug` shows
/// which items are present, not their values).
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Identity {
    /// DG1, for example `ID`.
    pub document_type: Option<String>,
    /// DG2, for example `D`.
    pub issuing_state: Option<String>,
    /// DG3.
    pub date_of_expiry: Option<CardDate>,
    /// DG4.
    pub given_names: Option<String>,
    /// DG5.
    pub family_names: Option<String>,
    /// DG6.
    pub artistic_name: Option<String>,
    /// DG8.
    pub date_of_birth: Option<CardDate>,
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
            CardItem::DateOfExpiry | CardItem::DateOfBirth => self.date(item).is_some(),
            other => self.text(other).is_some(),
        }
    }

    fn text(&self, item: CardItem) -> Option<&String> {
        match item {
            CardItem::DocumentType => self.document_type.as_ref(),
            CardItem::IssuingState => self.issuing_state.as_ref(),
            CardItem::GivenNames => self.given_names.as_ref(),
            CardItem::FamilyNames => self.family_names.as_ref(),
            CardItem::ArtisticName => self.artistic_name.as_ref(),
            CardItem::PlaceOfBirth => self.place_of_birth.as_ref(),
            CardItem::BirthName => self.birth_name.as_ref(),
            CardItem::DateOfExpiry | CardItem::DateOfBirth | CardItem::PlaceOfResidence => None,
        }
    }

    /// A date item (`date-of-birth`, `date-of-expiry`); `None` for any other
    /// item or if the card holds none.
    pub fn date(&self, item: CardItem) -> Option<&CardDate> {
        match item {
            CardItem::DateOfExpiry => self.date_of_expiry.as_ref(),
            CardItem::DateOfBirth => self.date_of_birth.as_ref(),
            _ => None,
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
            CardItem::DateOfBirth | CardItem::DateOfExpiry => self.date(item).map(|d| Zeroizing::new(d.display())),
            other => self.text(other).map(|t| Zeroizing::new(t.clone())),
        }
    }

    /// A copy holding only `items`: what a service asked for and no more.
    pub fn restricted_to(&self, items: &[CardItem]) -> Identity {
        fn keep<T: Clone>(items: &[CardItem], item: CardItem, value: &Option<T>) -> Option<T> {
            value.clone().filter(|_| items.contains(&item))
        }
        Identity {
            document_type: keep(items, CardItem::DocumentType, &self.document_type),
            issuing_state: keep(items, CardItem::IssuingState, &self.issuing_state),
            date_of_expiry: keep(items, CardItem::DateOfExpiry, &self.date_of_expiry),
            given_names: keep(items, CardItem::GivenNames, &self.given_names),
            family_names: keep(items, CardItem::FamilyNames, &self.family_names),
            artistic_name: keep(items, CardItem::ArtisticName, &self.artistic_name),
            date_of_birth: keep(items, CardItem::DateOfBirth, &self.date_of_birth),
            place_of_birth: keep(items, CardItem::PlaceOfBirth, &self.place_of_birth),
            birth_name: keep(items, CardItem::BirthName, &self.birth_name),
            place_of_residence: keep(items, CardItem::PlaceOfResidence, &self.place_of_residence),
        }
    }
}

/// What a successful card read yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardData {
    /// The identity, restricted to the requested items.
    pub identity: Identity,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_naturally_and_keep_unknown_parts_as_spaces() {
        let full = CardDate::new(1964, 8, 12);
        assert_eq!((full.display().as_str(), full.iso().as_str()), ("12.08.1964", "1964-08-12"));
        let year_only = CardDate { year: Some(1964), month: None, day: None };
        assert_eq!((year_only.display().as_str(), year_only.iso().as_str()), ("  .  .1964", "1964-  -  "));
        assert_eq!(format!("{full:?}"), "CardDate(..)", "Debug never shows a date of birth");
    }

    #[test]
    fn a_restricted_identity_keeps_only_the_items_asked_for() {
        let mut identity = Identity::default();
        identity.given_names = Some("ERIKA".into());
        identity.date_of_birth = Some(CardDate::new(1964, 8, 12));
        identity.place_of_birth = Some("BERLIN".into());
        let kept = identity.restricted_to(&[CardItem::GivenNames, CardItem::DateOfBirth]);
        assert_eq!(kept.items(), vec![CardItem::GivenNames, CardItem::DateOfBirth]);
        assert_eq!(kept.display(CardItem::DateOfBirth).as_deref().map(String::as_str), Some("12.08.1964"));
    }
}
