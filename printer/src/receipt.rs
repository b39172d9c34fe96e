// SPDX-License-Identifier: GPL-3.0-or-later
//! What goes on the paper: the [`Receipt`] the kiosk hands over.
//!
//! Privacy rule (issue 5): a receipt left on the counter must not expose anyone. The caller therefore never
//! puts a name, an address, a date of birth or any other personal data into a `Receipt`; the tracking number,
//! the service and the *kinds* of card data that were transmitted ("Name, Anschrift → Bürgeramt") are enough
//! for the citizen to follow up. This crate prints exactly what it is given and logs none of it.

/// A receipt whose text is already in the citizen's language, or in German where the printer lacks that
/// language's letters ([`Receipt::printable`]); this crate translates nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Issuing authority, e.g. "Stadt Musterstadt".
    pub municipality: String,
    /// Heading, e.g. "Eingangsbestätigung" / "Confirmation of receipt".
    pub title: String,
    /// The service requested, e.g. "Sperrmüllabholung".
    pub service: String,
    /// Date and time of submission, already formatted, e.g. "22.11.2026, 14:05".
    pub issued_at: String,
    /// Label above the tracking number, e.g. "Vorgangsnummer".
    pub tracking_label: String,
    /// The tracking number, printed in large type, e.g. "BT7K-4Q9X-M2".
    pub tracking_number: String,
    /// Payload of the QR code: the configured status base URL plus the tracking number.
    pub status_url: String,
    /// Label/value lines: booked slot, fee, delivery state ("Gesendet" / "In Warteschlange, wird automatisch
    /// gesendet"), which card data went to which authority, terminal id.
    pub details: Vec<(String, String)>,
    /// Optional closing text in small type.
    pub footer: Option<String>,
}

impl Receipt {
    /// Whether the printer can print every character of this receipt: its
    /// raster fonts are ISO 8859-15 (Latin-9) and its text mode is code page
    /// 858, so German, English and Leichte Sprache print, while Turkish (ğ,
    /// ş, ı), Cyrillic and Arabic do not. Typographic characters with a
    /// Latin-9 look-alike (dashes, quotes) count as printable.
    pub fn printable(&self) -> bool {
        let texts = [&self.municipality, &self.title, &self.service, &self.issued_at, &self.tracking_label]
            .into_iter()
            .chain([&self.tracking_number])
            .chain(self.details.iter().flat_map(|(label, value)| [label, value]))
            .chain(&self.footer);
        texts.into_iter().all(|text| {
            crate::layout::latin9(text).chars().all(|c| {
                let latin9 = matches!(c, ' '..='~' | '\u{a0}'..='\u{ff}' | '€' | 'Š' | 'š' | 'Ž' | 'ž' | 'Œ' | 'œ' | 'Ÿ')
                    && !matches!(c, '¤' | '¦' | '¨' | '´' | '¸' | '¼' | '½' | '¾');
                (latin9 && crate::codepage::encode_char(c) != b'?') || c == '?'
            })
        })
    }
}

#[cfg(test)]
mod printable_tests {
    use super::Receipt;

    fn receipt(service: &str) -> Receipt {
        Receipt {
            municipality: "Stadt Musterstadt".into(),
            title: "Eingangsbestätigung".into(),
            service: service.into(),
            issued_at: "22.11.2026, 14:05".into(),
            tracking_label: "Vorgangsnummer".into(),
            tracking_number: "BT7K-4Q9X-M2".into(),
            status_url: "https://example.invalid/status/BT7K4Q9XM2".into(),
            details: vec![("Gebühr".into(), "45,00 €".into())],
            footer: Some("Den Stand sehen Sie über den QR-Code – „jederzeit“.".into()),
        }
    }

    #[test]
    fn german_english_and_leichte_sprache_print_and_other_scripts_do_not() {
        assert!(receipt("Sperrmüllabholung").printable());
        assert!(receipt("Sperr-Müll abholen").printable());
        assert!(receipt("Bulky-waste pickup").printable());
        assert!(!receipt("Hacimli atık toplama").printable(), "Turkish dotless i");
        assert!(!receipt("Вывоз крупногабаритного мусора").printable());
        assert!(!receipt("جمع النفايات الكبيرة").printable());
    }
}
