// SPDX-License-Identifier: GPL-3.0-or-later
//! The card holder's data and its encoding as eID data groups (BSI
//! TR-03110-4 Table 4 / TR-03127 annex): each data group is an
//! application-tagged object (`61` for DG1 up to `75` for DG21) around one
//! ASN.1 value.

use serde::Deserialize;
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::tlv;

/// A structured address (`Place` of TR-03110-4: street `AA`, city `AB`,
/// country `AD`, zip code `AE`).
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Address {
    /// Street and house number.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip: String,
    /// Country code, `D` for Germany.
    pub country: String,
}

/// The personal data on the card. Dates are `YYYYMMDD`; strings are UTF-8
/// (umlauts survive). Wiped when dropped; its `Debug` shows none of it.
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct CardHolder {
    /// DG1, `ID` for the identity card.
    pub document_type: String,
    /// DG2, `D`.
    pub issuing_state: String,
    /// DG3.
    pub date_of_expiry: String,
    /// DG4.
    pub given_names: String,
    /// DG5.
    pub family_names: String,
    /// DG6, may be empty (then DG6 holds an empty string).
    #[serde(default)]
    pub religious_artistic_name: String,
    /// DG8.
    pub date_of_birth: String,
    /// DG9, as free text.
    pub place_of_birth: String,
    /// DG13, when the card holds one.
    #[serde(default)]
    pub birth_name: Option<String>,
    /// DG17.
    pub place_of_residence: Address,
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Address(..)")
    }
}

impl fmt::Debug for CardHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardHolder(..)")
    }
}

impl CardHolder {
    /// A test identity with umlauts in names and address.
    pub fn erika() -> Self {
        CardHolder {
            document_type: "ID".into(),
            issuing_state: "D".into(),
            date_of_expiry: "20311031".into(),
            given_names: "Erika Jürgen".into(),
            family_names: "Müller-Lüdenscheidt".into(),
            religious_artistic_name: String::new(),
            date_of_birth: "19640812".into(),
            place_of_birth: "Düsseldorf".into(),
            birth_name: Some("Gößweiner".into()),
            place_of_residence: Address {
                street: "Heidestraße 17".into(),
                city: "Köln".into(),
                zip: "51147".into(),
                country: "D".into(),
            },
        }
    }

    /// The content of data group `dg`, or `None` when the card has no such file.
    pub(crate) fn data_group(&self, dg: u8) -> Option<Vec<u8>> {
        let utf8 = |s: &str| tlv::encode(0x0C, s.as_bytes());
        let printable = |s: &str| tlv::encode(0x13, s.as_bytes());
        // Dates are NumericString YYYYMMDD (TR-03110-4: Date).
        let date = |s: &str| tlv::encode(0x12, s.as_bytes());
        let inner = match dg {
            1 => printable(&self.document_type),
            2 => printable(&self.issuing_state),
            3 => date(&self.date_of_expiry),
            4 => utf8(&self.given_names),
            5 => utf8(&self.family_names),
            6 => utf8(&self.religious_artistic_name),
            // DG7 academic title: none.
            7 => utf8(""),
            8 => date(&self.date_of_birth),
            // GeneralPlace: freetextPlace [1] UTF8String.
            9 => tlv::encode(0xA1, &utf8(&self.place_of_birth)),
            // DG10 nationality.
            10 => printable(&self.issuing_state),
            13 => utf8(self.birth_name.as_deref()?),
            17 => {
                let a = &self.place_of_residence;
                let mut place = Vec::new();
                tlv::put(0xAA, &utf8(&a.street), &mut place);
                tlv::put(0xAB, &utf8(&a.city), &mut place);
                tlv::put(0xAD, &printable(&a.country), &mut place);
                tlv::put(0xAE, &printable(&a.zip), &mut place);
                tlv::encode(0x30, &place)
            }
            _ => return None,
        };
        Some(tlv::encode(0x60 + u32::from(dg), &inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_shows_no_personal_data() {
        let holder = CardHolder::erika();
        assert_eq!(format!("{holder:?} {:?}", holder.place_of_residence), "CardHolder(..) Address(..)");
    }

    #[test]
    fn document_type_is_a_printable_string_in_tag_61() {
        assert_eq!(CardHolder::erika().data_group(1).unwrap(), vec![0x61, 0x04, 0x13, 0x02, b'I', b'D']);
    }

    #[test]
    fn names_are_utf8_strings_and_absent_groups_are_none() {
        let dg4 = CardHolder::erika().data_group(4).unwrap();
        assert_eq!(&dg4[..2], &[0x64, 2 + "Erika Jürgen".len() as u8]);
        assert_eq!(&dg4[4..], "Erika Jürgen".as_bytes());
        assert_eq!(CardHolder::erika().data_group(11), None);
        let mut no_birth_name = CardHolder::erika();
        no_birth_name.birth_name = None;
        assert_eq!(no_birth_name.data_group(13), None);
    }
}
