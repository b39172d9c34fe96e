// SPDX-License-Identifier: GPL-3.0-or-later
//! The citizen's data read from the eID data groups (BSI TR-03127 annex,
//! TR-03110-4 Table 4), parsed into a typed [`Identity`].
//!
//! Each data group is an application-tagged wrapper (`61` for DG1 up to
//! `71` for DG17) around one ASN.1 value: `PrintableString` (DG1, DG2),
//! `NumericString` `YYYYMMDD` (DG3, DG8; unknown parts are spaces),
//! `UTF8String` (names) or `GeneralPlace` (DG9, DG17):
//!
//! ```text
//! GeneralPlace ::= CHOICE {
//!     structuredPlace Place,                 -- SEQUENCE, tag 30
//!     freetextPlace   [1] UTF8String,        -- A1
//!     noPlaceInfo     [2] UTF8String }       -- A2
//! Place ::= SEQUENCE {
//!     street  [10] UTF8String OPTIONAL,      -- AA
//!     city    [11] UTF8String,               -- AB
//!     state   [12] UTF8String OPTIONAL,      -- AC
//!     country [13] PrintableString,          -- AD
//!     zipcode [14] PrintableString OPTIONAL }-- AE
//! ```
//!
//! All personal data is zeroized when dropped, has no `Display`, and its
//! `Debug` shows which data groups are there but not what they say, so it
//! cannot end up in a log line by accident.

use std::fmt;
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::chat::DataItem;
use crate::tlv::{self, Tlv, TlvError};

/// Why a data group could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum IdentityError {
    /// Not valid TLV.
    #[error("data group is not valid TLV: {0}")]
    Tlv(#[from] TlvError),
    /// The outer tag is not the one of the expected data group.
    #[error("data group {data_group} has outer tag {found:X}")]
    WrongDataGroup {
        /// The data group that was expected.
        data_group: u8,
        /// The tag found.
        found: u32,
    },
    /// A string is not valid UTF-8 or uses a string type not allowed here.
    #[error("data group {0} holds a malformed string")]
    BadString(u8),
    /// A date is not eight digits (or spaces for unknown parts).
    #[error("data group {0} holds a malformed date")]
    BadDate(u8),
    /// A place is neither structured, free text nor "no place info".
    #[error("data group {0} holds a malformed place")]
    BadPlace(u8),
}

/// A date from the card; parts unknown to the authority are `None`
/// (TR-03127: spaces in the `NumericString`).
#[derive(Clone, Copy, PartialEq, Eq, Zeroize)]
pub struct PartialDate {
    /// Year.
    pub year: Option<u16>,
    /// Month 1 to 12.
    pub month: Option<u8>,
    /// Day 1 to 31.
    pub day: Option<u8>,
}

/// A structured address (`Place`).
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Address {
    /// Street and house number.
    pub street: Option<String>,
    /// City.
    pub city: String,
    /// State or region.
    pub state: Option<String>,
    /// Country code (`D` for Germany).
    pub country: String,
    /// Postal code.
    pub zipcode: Option<String>,
}

/// A `GeneralPlace`.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub enum Place {
    /// A structured address.
    Structured(Address),
    /// A free-text place.
    FreeText(String),
    /// "No place of residence in Germany" and similar statements.
    NoPlaceInfo(String),
}

/// The data a service may read, each present only if requested and allowed.
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Identity {
    /// DG1, e.g. `ID` for the identity card.
    pub document_type: Option<String>,
    /// DG2, e.g. `D`.
    pub issuing_state: Option<String>,
    /// DG3.
    pub date_of_expiry: Option<PartialDate>,
    /// DG4.
    pub given_names: Option<String>,
    /// DG5.
    pub family_names: Option<String>,
    /// DG6.
    pub religious_artistic_name: Option<String>,
    /// DG8.
    pub date_of_birth: Option<PartialDate>,
    /// DG9.
    pub place_of_birth: Option<Place>,
    /// DG13.
    pub birth_name: Option<String>,
    /// DG17 (the first entry if several residences are stored).
    pub place_of_residence: Option<Place>,
}

impl fmt::Debug for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PartialDate(..)")
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Address(..)")
    }
}

impl fmt::Debug for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Place::Structured(_) => "Place::Structured(..)",
            Place::FreeText(_) => "Place::FreeText(..)",
            Place::NoPlaceInfo(_) => "Place::NoPlaceInfo(..)",
        })
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity").field("data_groups", &self.data_groups()).finish_non_exhaustive()
    }
}

impl Identity {
    /// The data groups this identity holds, in order.
    fn data_groups(&self) -> Vec<u8> {
        [
            (1, self.document_type.is_some()),
            (2, self.issuing_state.is_some()),
            (3, self.date_of_expiry.is_some()),
            (4, self.given_names.is_some()),
            (5, self.family_names.is_some()),
            (6, self.religious_artistic_name.is_some()),
            (8, self.date_of_birth.is_some()),
            (9, self.place_of_birth.is_some()),
            (13, self.birth_name.is_some()),
            (17, self.place_of_residence.is_some()),
        ]
        .into_iter()
        .filter_map(|(dg, present)| present.then_some(dg))
        .collect()
    }

    /// Parses one data group file's content and stores it in this identity.
    pub fn add_data_group(&mut self, item: DataItem, content: &[u8]) -> Result<(), IdentityError> {
        let dg = item.data_group();
        let outer = tlv::parse_single(content)?;
        let expected_tag = 0x60 + u32::from(dg);
        if outer.tag.0 != expected_tag {
            return Err(IdentityError::WrongDataGroup { data_group: dg, found: outer.tag.0 });
        }
        let inner = tlv::parse_single(outer.value)?;
        match item {
            DataItem::DocumentType => self.document_type = Some(string(dg, inner)?),
            DataItem::IssuingState => self.issuing_state = Some(string(dg, inner)?),
            DataItem::DateOfExpiry => self.date_of_expiry = Some(date(dg, inner)?),
            DataItem::GivenNames => self.given_names = Some(string(dg, inner)?),
            DataItem::FamilyNames => self.family_names = Some(string(dg, inner)?),
            DataItem::ReligiousArtisticName => self.religious_artistic_name = Some(string(dg, inner)?),
            DataItem::DateOfBirth => self.date_of_birth = Some(date(dg, inner)?),
            DataItem::PlaceOfBirth => self.place_of_birth = Some(place(dg, inner)?),
            DataItem::BirthName => self.birth_name = Some(string(dg, inner)?),
            DataItem::PlaceOfResidence => {
                // Several residences come as SET OF GeneralPlace (tag 31).
                let first = if inner.tag.0 == 0x31 {
                    *inner.children()?.first().ok_or(IdentityError::BadPlace(dg))?
                } else {
                    inner
                };
                self.place_of_residence = Some(place(dg, first)?);
            }
        }
        Ok(())
    }
}

/// UTF8String (0C), PrintableString (13), NumericString (12) or IA5String (16).
fn string(dg: u8, value: Tlv<'_>) -> Result<String, IdentityError> {
    match value.tag.0 {
        0x0C | 0x12 | 0x13 | 0x16 => String::from_utf8(value.value.to_vec()).map_err(|_| IdentityError::BadString(dg)),
        _ => Err(IdentityError::BadString(dg)),
    }
}

fn date(dg: u8, value: Tlv<'_>) -> Result<PartialDate, IdentityError> {
    if value.tag.0 != 0x12 || value.value.len() != 8 {
        return Err(IdentityError::BadDate(dg));
    }
    let part = |range: std::ops::Range<usize>| -> Result<Option<u16>, IdentityError> {
        let digits = &value.value[range];
        if digits.iter().all(|b| *b == b' ') {
            return Ok(None);
        }
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(IdentityError::BadDate(dg));
        }
        Ok(Some(digits.iter().fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'))))
    };
    let year = part(0..4)?;
    let month = part(4..6)?.map(|m| m as u8);
    let day = part(6..8)?.map(|d| d as u8);
    if month.is_some_and(|m| !(1..=12).contains(&m)) || day.is_some_and(|d| !(1..=31).contains(&d)) {
        return Err(IdentityError::BadDate(dg));
    }
    Ok(PartialDate { year, month, day })
}

fn place(dg: u8, value: Tlv<'_>) -> Result<Place, IdentityError> {
    let explicit_string = |t: Tlv<'_>| -> Result<String, IdentityError> { string(dg, tlv::parse_single(t.value)?) };
    match value.tag.0 {
        0x30 => {
            let fields = value.children()?;
            let get = |tag: u32| -> Result<Option<String>, IdentityError> {
                tlv::find(&fields, tag).map(explicit_string).transpose()
            };
            Ok(Place::Structured(Address {
                street: get(0xAA)?,
                city: get(0xAB)?.ok_or(IdentityError::BadPlace(dg))?,
                state: get(0xAC)?,
                country: get(0xAD)?.ok_or(IdentityError::BadPlace(dg))?,
                zipcode: get(0xAE)?,
            }))
        }
        0xA1 => Ok(Place::FreeText(explicit_string(value)?)),
        0xA2 => Ok(Place::NoPlaceInfo(explicit_string(value)?)),
        _ => Err(IdentityError::BadPlace(dg)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(tag: u32, inner: &[u8]) -> Vec<u8> {
        tlv::encode(tag, inner)
    }

    fn utf8(s: &str) -> Vec<u8> {
        tlv::encode(0x0C, s.as_bytes())
    }

    #[test]
    fn debug_output_names_the_data_groups_but_not_their_content() {
        let mut id = Identity::default();
        id.add_data_group(DataItem::GivenNames, &wrap(0x64, &utf8("Erika"))).unwrap();
        id.add_data_group(DataItem::DateOfBirth, &wrap(0x68, &tlv::encode(0x12, b"19640812"))).unwrap();
        let street = tlv::encode(0xAA, &utf8("Heidestraße 17"));
        let city = tlv::encode(0xAB, &utf8("Köln"));
        let country = tlv::encode(0xAD, &tlv::encode(0x13, b"D"));
        let place = tlv::encode(0x30, &[street, city, country].concat());
        id.add_data_group(DataItem::PlaceOfResidence, &wrap(0x71, &place)).unwrap();
        assert_eq!(format!("{id:?}"), "Identity { data_groups: [4, 8, 17], .. }");
        let fields = format!("{:?} {:?}", id.date_of_birth, id.place_of_residence);
        assert_eq!(fields, "Some(PartialDate(..)) Some(Place::Structured(..))");
    }

    #[test]
    fn names_with_umlauts_survive() {
        let mut id = Identity::default();
        id.add_data_group(DataItem::GivenNames, &wrap(0x64, &utf8("Jürgen Hans-Ölaf"))).unwrap();
        id.add_data_group(DataItem::FamilyNames, &wrap(0x65, &utf8("Müller-Lüdenscheidt"))).unwrap();
        id.add_data_group(DataItem::BirthName, &wrap(0x6D, &utf8("Gößweiner"))).unwrap();
        id.add_data_group(DataItem::ReligiousArtisticName, &wrap(0x66, &utf8("Schwester Ästhér"))).unwrap();
        assert_eq!(id.given_names.as_deref(), Some("Jürgen Hans-Ölaf"));
        assert_eq!(id.family_names.as_deref(), Some("Müller-Lüdenscheidt"));
        assert_eq!(id.birth_name.as_deref(), Some("Gößweiner"));
        assert_eq!(id.religious_artistic_name.as_deref(), Some("Schwester Ästhér"));
    }

    #[test]
    fn document_type_issuing_state_and_expiry_parse() {
        let mut id = Identity::default();
        id.add_data_group(DataItem::DocumentType, &wrap(0x61, &tlv::encode(0x13, b"ID"))).unwrap();
        id.add_data_group(DataItem::IssuingState, &wrap(0x62, &tlv::encode(0x13, b"D"))).unwrap();
        id.add_data_group(DataItem::DateOfExpiry, &wrap(0x63, &tlv::encode(0x12, b"20311031"))).unwrap();
        assert_eq!(id.document_type.as_deref(), Some("ID"));
        assert_eq!(id.issuing_state.as_deref(), Some("D"));
        assert_eq!(id.date_of_expiry, Some(PartialDate { year: Some(2031), month: Some(10), day: Some(31) }));
    }

    #[test]
    fn date_of_birth_with_unknown_day_and_month_keeps_the_year() {
        let mut id = Identity::default();
        id.add_data_group(DataItem::DateOfBirth, &wrap(0x68, &tlv::encode(0x12, b"1964    "))).unwrap();
        assert_eq!(id.date_of_birth, Some(PartialDate { year: Some(1964), month: None, day: None }));
        assert_eq!(
            id.add_data_group(DataItem::DateOfBirth, &wrap(0x68, &tlv::encode(0x12, b"19641332"))),
            Err(IdentityError::BadDate(8))
        );
        assert_eq!(
            id.add_data_group(DataItem::DateOfBirth, &wrap(0x68, &tlv::encode(0x12, b"1964081"))),
            Err(IdentityError::BadDate(8))
        );
    }

    fn structured_address() -> Vec<u8> {
        let mut place = Vec::new();
        tlv::encode_into(0xAA, &utf8("Heidestraße 17"), &mut place);
        tlv::encode_into(0xAB, &utf8("Köln"), &mut place);
        tlv::encode_into(0xAD, &tlv::encode(0x13, b"D"), &mut place);
        tlv::encode_into(0xAE, &tlv::encode(0x13, b"51147"), &mut place);
        tlv::encode(0x30, &place)
    }

    #[test]
    fn place_of_residence_is_a_structured_address() {
        let mut id = Identity::default();
        id.add_data_group(DataItem::PlaceOfResidence, &wrap(0x71, &structured_address())).unwrap();
        assert_eq!(
            id.place_of_residence,
            Some(Place::Structured(Address {
                street: Some("Heidestraße 17".into()),
                city: "Köln".into(),
                state: None,
                country: "D".into(),
                zipcode: Some("51147".into()),
            }))
        );
    }

    #[test]
    fn several_residences_yield_the_first() {
        let mut set = structured_address();
        set.extend(wrap(0xA1, &utf8("Zweitwohnsitz Ückermünde")));
        let mut id = Identity::default();
        id.add_data_group(DataItem::PlaceOfResidence, &wrap(0x71, &tlv::encode(0x31, &set))).unwrap();
        assert!(matches!(id.place_of_residence, Some(Place::Structured(ref a)) if a.city == "Köln"));
    }

    #[test]
    fn place_of_birth_free_text_and_no_place_info_parse() {
        let mut id = Identity::default();
        id.add_data_group(DataItem::PlaceOfBirth, &wrap(0x69, &wrap(0xA1, &utf8("Düsseldorf")))).unwrap();
        assert_eq!(id.place_of_birth, Some(Place::FreeText("Düsseldorf".into())));
        id.add_data_group(
            DataItem::PlaceOfResidence,
            &wrap(0x71, &wrap(0xA2, &utf8("keine Hauptwohnung in Deutschland"))),
        )
        .unwrap();
        assert_eq!(id.place_of_residence, Some(Place::NoPlaceInfo("keine Hauptwohnung in Deutschland".into())));
    }

    #[test]
    fn malformed_data_groups_are_typed_errors() {
        let mut id = Identity::default();
        assert_eq!(
            id.add_data_group(DataItem::GivenNames, &wrap(0x65, &utf8("Erika"))),
            Err(IdentityError::WrongDataGroup { data_group: 4, found: 0x65 })
        );
        assert_eq!(
            id.add_data_group(DataItem::GivenNames, &wrap(0x64, &tlv::encode(0x0C, &[0xC3, 0x28]))),
            Err(IdentityError::BadString(4))
        );
        assert_eq!(
            id.add_data_group(DataItem::GivenNames, &wrap(0x64, &tlv::encode(0x04, b"x"))),
            Err(IdentityError::BadString(4))
        );
        let no_city = tlv::encode(0x30, &wrap(0xAD, &tlv::encode(0x13, b"D")));
        assert_eq!(
            id.add_data_group(DataItem::PlaceOfResidence, &wrap(0x71, &no_city)),
            Err(IdentityError::BadPlace(17))
        );
        assert!(matches!(id.add_data_group(DataItem::GivenNames, &[0x64, 0x05, 0x0C]), Err(IdentityError::Tlv(_))));
        assert_eq!(id, Identity::default());
    }
}
