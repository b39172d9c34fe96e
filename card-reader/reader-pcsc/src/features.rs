// SPDX-License-Identifier: GPL-3.0-or-later
//! PC/SC part 10 reader features (PC/SC Workgroup, Interoperability
//! Specification for ICCs and Personal Computer Systems, Part 10, 2.2).

use crate::{PcscError, Transport};

/// Feature tag of `FEATURE_VERIFY_PIN_DIRECT` (part 10, 2.3).
pub const FEATURE_VERIFY_PIN_DIRECT: u8 = 0x06;
/// Feature tag of `FEATURE_EXECUTE_PACE` (part 10 amendment 1).
pub const FEATURE_EXECUTE_PACE: u8 = 0x20;

/// `CM_IOCTL_GET_FEATURE_REQUEST` is `SCARD_CTL_CODE(3400)` (part 10, 2.2).
pub const GET_FEATURE_REQUEST_CODE: u32 = pcsc::ctl_code(3400) as u32;

/// The features a reader announces, each with the control code to use it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    entries: Vec<(u8, u32)>,
}

impl Features {
    /// Parses the TLV list returned by `GET_FEATURE_REQUEST`: per feature a
    /// tag byte, a length byte of 4 and the control code as 4 bytes
    /// big-endian (part 10, 2.2).
    pub fn parse(bytes: &[u8]) -> Result<Self, PcscError> {
        let mut entries = Vec::new();
        let mut pos = 0;
        while pos < bytes.len() {
            let (Some(&tag), Some(&4)) = (bytes.get(pos), bytes.get(pos + 1)) else {
                return Err(PcscError::BadFeatureList(pos));
            };
            let Some(code) = bytes.get(pos + 2..pos + 6) else {
                return Err(PcscError::BadFeatureList(pos));
            };
            entries.push((tag, u32::from_be_bytes([code[0], code[1], code[2], code[3]])));
            pos += 6;
        }
        Ok(Self { entries })
    }

    /// The control code of feature `tag`, if the reader has it.
    pub fn control_code(&self, tag: u8) -> Option<u32> {
        self.entries.iter().find(|(t, _)| *t == tag).map(|(_, code)| *code)
    }

    /// Whether the reader runs PACE itself (`FEATURE_EXECUTE_PACE`).
    pub fn execute_pace(&self) -> bool {
        self.control_code(FEATURE_EXECUTE_PACE).is_some()
    }

    /// Whether the reader verifies a PIN on its own pad (`FEATURE_VERIFY_PIN_DIRECT`).
    pub fn verify_pin_direct(&self) -> bool {
        self.control_code(FEATURE_VERIFY_PIN_DIRECT).is_some()
    }

    /// All announced feature tags, in the reader's order.
    pub fn tags(&self) -> impl Iterator<Item = u8> + '_ {
        self.entries.iter().map(|(t, _)| *t)
    }
}

/// Asks the reader behind `transport` for its part 10 features.
///
/// A reader without part 10 support fails the control call; that is
/// reported as [`PcscError::NoFeatures`], so the caller can tell it from a
/// card or service that went away.
pub fn features(transport: &Transport) -> Result<Features, PcscError> {
    let answer = transport.control(GET_FEATURE_REQUEST_CODE, &[]).map_err(|e| match e {
        pcsc::Error::RemovedCard | pcsc::Error::ResetCard | pcsc::Error::NoService | pcsc::Error::ServiceStopped => {
            PcscError::from_pcsc(e)
        }
        other => PcscError::NoFeatures(other),
    })?;
    Features::parse(&answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_pad_reader_with_pace_announces_both_features() {
        let bytes = [
            0x06, 0x04, 0x42, 0x33, 0x00, 0x06, // FEATURE_VERIFY_PIN_DIRECT
            0x12, 0x04, 0x42, 0x33, 0x00, 0x12, // FEATURE_IFD_PIN_PROPERTIES
            0x20, 0x04, 0x42, 0x33, 0x00, 0x20, // FEATURE_EXECUTE_PACE
        ];
        let f = Features::parse(&bytes).unwrap();
        assert!(f.execute_pace());
        assert!(f.verify_pin_direct());
        assert_eq!(f.control_code(FEATURE_EXECUTE_PACE), Some(0x4233_0020));
        assert_eq!(f.tags().collect::<Vec<_>>(), vec![0x06, 0x12, 0x20]);
    }

    #[test]
    fn a_reader_without_pin_pad_has_neither_feature() {
        let f = Features::parse(&[0x12, 0x04, 0x42, 0x33, 0x00, 0x12]).unwrap();
        assert!(!f.execute_pace());
        assert!(!f.verify_pin_direct());
        assert_eq!(Features::parse(&[]).unwrap(), Features::default());
    }

    #[test]
    fn truncated_or_wrong_length_entries_are_rejected_with_their_offset() {
        assert!(matches!(
            Features::parse(&[0x06, 0x04, 0x42, 0x33, 0x00, 0x06, 0x20, 0x04, 0x42]),
            Err(PcscError::BadFeatureList(6))
        ));
        assert!(matches!(Features::parse(&[0x06, 0x02, 0x00, 0x01]), Err(PcscError::BadFeatureList(0))));
        assert!(matches!(Features::parse(&[0x06]), Err(PcscError::BadFeatureList(0))));
    }
}
