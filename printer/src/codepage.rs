// SPDX-License-Identifier: GPL-3.0-or-later
//! Code page 858 (DOS Latin-1 with the euro sign), the printer character table used for text-mode receipts.
//!
//! CP858 is CP850 with 0xD5 changed from dotless ı to €; on Epson-compatible printers it is selected with
//! `ESC t 19` (ESC/POS "ESC t", table "Page 19 [PC858: Euro]"). It carries every German letter.

/// `ESC t n` parameter selecting CP858.
pub const ESC_T_CP858: u8 = 19;

/// Characters 0x80–0xFF of code page 858 (IBM CP858 code chart).
const HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', 'ø', '£', 'Ø', '×', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '®', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', 'Á', 'Â', 'À', '©', '╣', '║', '╗', '╝', '¢', '¥', '┐', //
    '└', '┴', '┬', '├', '─', '┼', 'ã', 'Ã', '╚', '╔', '╩', '╦', '╠', '═', '╬', '¤', //
    'ð', 'Ð', 'Ê', 'Ë', 'È', '€', 'Í', 'Î', 'Ï', '┘', '┌', '█', '▄', '¦', 'Ì', '▀', //
    'Ó', 'ß', 'Ô', 'Ò', 'õ', 'Õ', 'µ', 'þ', 'Þ', 'Ú', 'Û', 'Ù', 'ý', 'Ý', '¯', '´', //
    '\u{ad}', '±', '‗', '¾', '¶', '§', '÷', '¸', '°', '¨', '·', '¹', '³', '²', '■', '\u{a0}',
];

/// The CP858 byte for `c`; `b'?'` for characters the code page lacks and for control characters.
pub fn encode_char(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        _ => HIGH.iter().position(|&h| h == c).map_or(b'?', |i| 0x80 + i as u8),
    }
}

/// Encodes a line of text (no control characters survive).
pub fn encode(text: &str) -> Vec<u8> {
    text.chars().map(encode_char).collect()
}

/// The character a CP858 byte stands for; `None` for control bytes below 0x20 and 0x7F.
pub fn decode_byte(b: u8) -> Option<char> {
    match b {
        0x20..=0x7e => Some(b as char),
        0x80..=0xff => Some(HIGH[usize::from(b - 0x80)]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_letters_and_euro_have_their_cp858_codes() {
        assert_eq!(encode("äöüÄÖÜß€"), [0x84, 0x94, 0x81, 0x8e, 0x99, 0x9a, 0xe1, 0xd5]);
    }

    #[test]
    fn every_byte_from_0x20_decodes_and_encodes_back() {
        for b in (0x20..=0x7e).chain(0x80..=0xff) {
            let c = decode_byte(b).expect("printable");
            assert_eq!(encode_char(c), b, "{b:#04x} {c}");
        }
        assert_eq!(encode_char('\n'), b'?');
        assert_eq!(encode_char('→'), b'?');
    }
}
