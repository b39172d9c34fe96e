// SPDX-License-Identifier: GPL-3.0-or-later
//! Reading the "extended Lc and Le" capability from an ATR.

/// Whether the ATR's historical bytes announce extended Lc/Le fields.
///
/// ISO/IEC 7816-3 8.2 gives the ATR layout (T0, then interface bytes as
/// announced by each TDi, then K historical bytes). When the historical
/// bytes start with category indicator `80`, compact-TLV objects follow
/// (ISO/IEC 7816-4 8.1.1); the third software function table of the card
/// capabilities object (tag `7`, length 3) has bit `0x40` for
/// "extended Lc and Le fields" (ISO/IEC 7816-4 8.1.1.2.7, table 87).
pub fn atr_allows_extended_length(atr: &[u8]) -> bool {
    historical_bytes(atr).is_some_and(card_capabilities_extended)
}

fn historical_bytes(atr: &[u8]) -> Option<&[u8]> {
    let t0 = *atr.get(1)?;
    let k = usize::from(t0 & 0x0F);
    let mut pos = 2;
    let mut y = t0 >> 4;
    loop {
        // TAi, TBi, TCi are present per bits 5, 6, 7 of Y; TDi per bit 8.
        pos += (y & 0x07).count_ones() as usize;
        if y & 0x08 == 0 {
            break;
        }
        let td = *atr.get(pos)?;
        pos += 1;
        y = td >> 4;
    }
    atr.get(pos..pos + k)
}

fn card_capabilities_extended(hist: &[u8]) -> bool {
    let Some((&0x80, mut rest)) = hist.split_first() else {
        return false;
    };
    while let Some((&head, tail)) = rest.split_first() {
        let (tag, len) = (head >> 4, usize::from(head & 0x0F));
        let Some(value) = tail.get(..len) else {
            return false;
        };
        if tag == 0x7 && len == 3 {
            return value[2] & 0x40 != 0;
        }
        rest = &tail[len..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_capabilities_with_extended_bit_allow_extended_length() {
        // 3B, T0 = 85 (TD1 follows, 5 historical bytes), TD1 = 01 (T=1), then 80 73 00 00 40, TCK.
        assert!(atr_allows_extended_length(&[0x3B, 0x85, 0x01, 0x80, 0x73, 0x00, 0x00, 0x40, 0xB7]));
    }

    #[test]
    fn card_capabilities_without_extended_bit_do_not() {
        assert!(!atr_allows_extended_length(&[0x3B, 0x85, 0x01, 0x80, 0x73, 0x00, 0x00, 0x00, 0xF7]));
    }

    #[test]
    fn interface_bytes_are_skipped_before_the_historical_bytes() {
        // T0 = F5: TA1 TB1 TC1 TD1; TD1 = 81: TD2; TD2 = 11: TA3, T=1; then 5 historical bytes.
        let atr = [0x3B, 0xF5, 0x11, 0x00, 0xFF, 0x81, 0x11, 0xFE, 0x80, 0x73, 0xC8, 0x21, 0x40, 0x00];
        assert!(atr_allows_extended_length(&atr));
    }

    #[test]
    fn truncated_or_foreign_atrs_do_not_allow_extended_length() {
        assert!(!atr_allows_extended_length(&[]));
        assert!(!atr_allows_extended_length(&[0x3B, 0x85, 0x01, 0x80, 0x73]));
        assert!(!atr_allows_extended_length(&[0x3B, 0x02, 0x00, 0x73]));
    }
}
