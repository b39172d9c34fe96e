// SPDX-License-Identifier: GPL-3.0-or-later
//! The Certificate Holder Authorization Template of an authentication
//! terminal (BSI TR-03110-4 2.2.3.2, TR-03110-3 C.1.5) and data minimisation.
//!
//! A CHAT is `7F4C { 06 id-AT, 53 <5-byte bit mask> }`. A service declares
//! the [`DataItem`]s it needs; [`Chat::for_data_items`] turns exactly those
//! into read rights, and [`Chat::intersect`] limits them to what the terminal
//! certificate allows. The same list, via [`Chat::data_items`], is what the
//! citizen sees before entering the PIN.

use thiserror::Error;

use crate::card_access::ObjectIdentifier;
use crate::tlv::{self, TlvError};

/// `id-AT` = 0.4.0.127.0.7.3.1.2.2 (TR-03110-4 2.2.3.2).
const ID_AT: [u8; 9] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x02, 0x02];
/// Bit 8 of the mask is "read DG1"; DG*n* is bit 7 + *n* (TR-03110-4 Table 4).
const READ_DG_BASE: u32 = 7;
/// Bit 2: Restricted Identification (TR-03110-4 2.2.3.2).
const RESTRICTED_IDENTIFICATION: u64 = 1 << 2;
/// Mask of the two role bits 39 and 38.
const ROLE_SHIFT: u32 = 38;
const MASK_BITS: u64 = (1 << 40) - 1;

/// Why a CHAT could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ChatError {
    /// Not valid TLV.
    #[error("CHAT is not valid TLV: {0}")]
    Tlv(#[from] TlvError),
    /// The terminal type is not an authentication terminal (`id-AT`);
    /// inspection and signature terminals are not used by this kiosk.
    #[error("CHAT is for terminal type {0}, not an authentication terminal")]
    NotAuthenticationTerminal(ObjectIdentifier),
    /// The bit mask is not 5 bytes long.
    #[error("authentication terminal CHAT mask has {0} bytes; expected 5")]
    BadMaskLength(usize),
}

/// The role encoded in the two most significant CHAT bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `11`: country verifying CA.
    Cvca,
    /// `10`: document verifier, official domestic.
    DvOfficialDomestic,
    /// `01`: document verifier, non-official or foreign.
    DvNonOfficial,
    /// `00`: terminal.
    Terminal,
}

/// A data item a service can ask for, with the data group it lives in
/// (TR-03127 / TR-03110-4 Table 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataItem {
    /// DG1 document type.
    DocumentType,
    /// DG2 issuing state.
    IssuingState,
    /// DG3 date of expiry.
    DateOfExpiry,
    /// DG4 given names.
    GivenNames,
    /// DG5 family names.
    FamilyNames,
    /// DG6 religious or artistic name.
    ReligiousArtisticName,
    /// DG8 date of birth.
    DateOfBirth,
    /// DG9 place of birth.
    PlaceOfBirth,
    /// DG13 birth name.
    BirthName,
    /// DG17 place of residence.
    PlaceOfResidence,
}

impl DataItem {
    /// All items, in data group order.
    pub const ALL: [DataItem; 10] = [
        DataItem::DocumentType,
        DataItem::IssuingState,
        DataItem::DateOfExpiry,
        DataItem::GivenNames,
        DataItem::FamilyNames,
        DataItem::ReligiousArtisticName,
        DataItem::DateOfBirth,
        DataItem::PlaceOfBirth,
        DataItem::BirthName,
        DataItem::PlaceOfResidence,
    ];

    /// The data group number.
    pub fn data_group(self) -> u8 {
        match self {
            DataItem::DocumentType => 1,
            DataItem::IssuingState => 2,
            DataItem::DateOfExpiry => 3,
            DataItem::GivenNames => 4,
            DataItem::FamilyNames => 5,
            DataItem::ReligiousArtisticName => 6,
            DataItem::DateOfBirth => 8,
            DataItem::PlaceOfBirth => 9,
            DataItem::BirthName => 13,
            DataItem::PlaceOfResidence => 17,
        }
    }

    /// The short EF identifier of the data group file (TR-03127: SFI = DG number).
    pub fn short_file_id(self) -> u8 {
        self.data_group()
    }

    fn bit(self) -> u64 {
        1 << (READ_DG_BASE + u32::from(self.data_group()))
    }
}

/// An authentication terminal CHAT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chat {
    mask: u64,
}

impl Chat {
    /// A terminal CHAT that reads exactly `items` and nothing else.
    pub fn for_data_items(items: &[DataItem]) -> Self {
        Self { mask: items.iter().fold(0, |m, i| m | i.bit()) }
    }

    /// A CHAT from its 5-byte mask.
    pub fn from_mask(bytes: &[u8]) -> Result<Self, ChatError> {
        if bytes.len() != 5 {
            return Err(ChatError::BadMaskLength(bytes.len()));
        }
        Ok(Self { mask: bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)) })
    }

    /// Parses an encoded CHAT (`7F4C { 06 id-AT, 53 mask }`).
    pub fn parse(encoded: &[u8]) -> Result<Self, ChatError> {
        let outer = tlv::parse_single(encoded)?.expect_tag(0x7F4C)?;
        Self::parse_value(outer.value)
    }

    /// Parses the value of a CHAT data object (its two children).
    pub(crate) fn parse_value(value: &[u8]) -> Result<Self, ChatError> {
        let children = tlv::parse_all(value)?;
        let oid = tlv::require(&children, 0x06)?;
        if oid.value != ID_AT {
            return Err(ChatError::NotAuthenticationTerminal(ObjectIdentifier(oid.value.to_vec())));
        }
        Self::from_mask(tlv::require(&children, 0x53)?.value)
    }

    /// The 5-byte mask.
    pub fn mask(&self) -> [u8; 5] {
        let bytes = (self.mask & MASK_BITS).to_be_bytes();
        [bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]]
    }

    /// The encoded CHAT for MSE:Set AT.
    pub fn to_der(&self) -> Vec<u8> {
        let mut body = tlv::encode(0x06, &ID_AT);
        tlv::encode_into(0x53, &self.mask(), &mut body);
        tlv::encode(0x7F4C, &body)
    }

    /// The role bits.
    pub fn role(&self) -> Role {
        match (self.mask >> ROLE_SHIFT) & 0b11 {
            0b11 => Role::Cvca,
            0b10 => Role::DvOfficialDomestic,
            0b01 => Role::DvNonOfficial,
            _ => Role::Terminal,
        }
    }

    /// This CHAT with the Restricted Identification right added.
    pub fn with_restricted_identification(self) -> Self {
        Self { mask: self.mask | RESTRICTED_IDENTIFICATION }
    }

    /// Whether Restricted Identification is allowed.
    pub fn allows_restricted_identification(&self) -> bool {
        self.mask & RESTRICTED_IDENTIFICATION != 0
    }

    /// Whether reading `item` is allowed.
    pub fn allows(&self, item: DataItem) -> bool {
        self.mask & item.bit() != 0
    }

    /// The data items this CHAT may read, in data group order.
    pub fn data_items(&self) -> Vec<DataItem> {
        DataItem::ALL.into_iter().filter(|i| self.allows(*i)).collect()
    }

    /// The rights both CHATs grant, with this CHAT's role (TR-03110-3 2.7:
    /// the effective authorization is the intersection along the chain).
    pub fn intersect(&self, other: &Chat) -> Chat {
        let role = self.mask & (0b11 << ROLE_SHIFT);
        let rights = self.mask & other.mask & !(0b11 << ROLE_SHIFT);
        Chat { mask: role | rights }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::hex;

    #[test]
    fn service_needing_name_and_address_requests_exactly_those_groups() {
        let chat = Chat::for_data_items(&[DataItem::GivenNames, DataItem::FamilyNames, DataItem::PlaceOfResidence]);
        // DG4 = bit 11, DG5 = bit 12, DG17 = bit 24.
        assert_eq!(chat.mask(), [0x00, 0x01, 0x00, 0x18, 0x00]);
        assert_eq!(chat.role(), Role::Terminal);
        assert_eq!(chat.data_items(), vec![DataItem::GivenNames, DataItem::FamilyNames, DataItem::PlaceOfResidence]);
        assert!(!chat.allows(DataItem::DateOfBirth));
    }

    #[test]
    fn encoding_matches_tr_03110_4_layout() {
        let chat = Chat::for_data_items(&[DataItem::DocumentType]);
        assert_eq!(chat.to_der(), hex("7F4C12 060904007F00070301 0202 53050000000100"));
        assert_eq!(Chat::parse(&chat.to_der()).unwrap(), chat);
    }

    #[test]
    fn restricted_identification_is_bit_2_of_the_mask() {
        let chat = Chat::for_data_items(&[DataItem::DocumentType]).with_restricted_identification();
        assert_eq!(chat.mask(), [0x00, 0x00, 0x00, 0x01, 0x04]);
        assert!(chat.allows_restricted_identification());
        let without = Chat::for_data_items(&[DataItem::DocumentType]);
        assert!(!chat.intersect(&without).allows_restricted_identification());
    }

    #[test]
    fn intersection_with_terminal_certificate_drops_unauthorised_items() {
        let wanted = Chat::for_data_items(&[DataItem::GivenNames, DataItem::DateOfBirth]);
        let certificate = Chat::for_data_items(&[DataItem::GivenNames, DataItem::FamilyNames]);
        assert_eq!(wanted.intersect(&certificate).data_items(), vec![DataItem::GivenNames]);
    }

    #[test]
    fn role_bits_are_decoded() {
        assert_eq!(Chat::from_mask(&[0xC0, 0, 0, 0, 0]).unwrap().role(), Role::Cvca);
        assert_eq!(Chat::from_mask(&[0x80, 0, 0, 0, 0]).unwrap().role(), Role::DvOfficialDomestic);
        assert_eq!(Chat::from_mask(&[0x40, 0, 0, 0, 0]).unwrap().role(), Role::DvNonOfficial);
    }

    #[test]
    fn other_terminal_types_and_bad_masks_are_rejected() {
        // id-IS (inspection system) 0.4.0.127.0.7.3.1.2.1 with a 1-byte mask.
        assert_eq!(
            Chat::parse(&hex("7F4C0E 060904007F00070301 0201 530103")),
            Err(ChatError::NotAuthenticationTerminal(ObjectIdentifier(vec![4, 0, 0x7F, 0, 7, 3, 1, 2, 1])))
        );
        assert_eq!(Chat::from_mask(&[0; 4]), Err(ChatError::BadMaskLength(4)));
        assert!(matches!(Chat::parse(&hex("7F4C05 0603")), Err(ChatError::Tlv(_))));
    }
}
