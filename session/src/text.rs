// SPDX-License-Identifier: GPL-3.0-or-later
//! Languages and texts that come from data (the catalogue) rather than from
//! the UI's own translations.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A language the terminal speaks. German is the default and the language
/// of anything printed where the printer's fonts lack a script.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lang {
    /// German.
    #[default]
    German,
    /// English, the UI's source language.
    English,
    /// Turkish.
    Turkish,
    /// Arabic, written right to left.
    Arabic,
    /// Ukrainian.
    Ukrainian,
    /// Russian.
    Russian,
    /// Leichte Sprache: German in the rules of BITV 2.0 Anlage 2 Teil 2,
    /// a language of its own on the terminal.
    EasyGerman,
}

impl Lang {
    /// Every language, in the order the welcome screen offers them.
    pub const ALL: [Lang; 7] =
        [Lang::German, Lang::EasyGerman, Lang::English, Lang::Turkish, Lang::Arabic, Lang::Ukrainian, Lang::Russian];

    /// German, the terminal's default language.
    pub fn german() -> Self {
        Lang::German
    }

    /// English.
    pub fn english() -> Self {
        Lang::English
    }

    /// A language by its code (see [`Lang::code`]), if the terminal speaks it.
    pub fn from_code(code: &str) -> Option<Self> {
        Lang::ALL.into_iter().find(|lang| lang.code().eq_ignore_ascii_case(code))
    }

    /// The BCP 47 tag, which also names the language's folder of UI
    /// translations and its key in the catalogue. Leichte Sprache has no
    /// ISO 639 code of its own, so it is German with the private-use subtag
    /// `x-ls` (RFC 5646 2.2.7): software that does not know the subtag
    /// still reads it as German (decimal comma, German plural rule).
    pub fn code(self) -> &'static str {
        match self {
            Lang::German => "de",
            Lang::English => "en",
            Lang::Turkish => "tr",
            Lang::Arabic => "ar",
            Lang::Ukrainian => "uk",
            Lang::Russian => "ru",
            Lang::EasyGerman => "de-x-ls",
        }
    }

    /// The language's name in itself, as its speakers look for it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::German => "Deutsch",
            Lang::English => "English",
            Lang::Turkish => "Türkçe",
            Lang::Arabic => "العربية",
            Lang::Ukrainian => "Українська",
            Lang::Russian => "Русский",
            Lang::EasyGerman => "Leichte Sprache",
        }
    }

    /// Whether the language is written right to left.
    pub fn right_to_left(self) -> bool {
        self == Lang::Arabic
    }
}

/// A text in several languages, as written in the catalogue:
/// `{ de = "…", en = "…", … }`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Localized(BTreeMap<String, String>);

impl Localized {
    /// The text in `lang`, falling back to German, then to any language.
    /// Loading checks that every language is there ([`Localized::missing`]).
    pub fn get(&self, lang: &Lang) -> &str {
        self.0
            .get(lang.code())
            .or_else(|| self.0.get(Lang::German.code()))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Whether the text exists in `lang` itself (no fallback).
    pub fn has(&self, lang: &Lang) -> bool {
        self.0.get(lang.code()).is_some_and(|text| !text.trim().is_empty())
    }

    /// The first language the text is missing or empty in, if any.
    pub fn missing(&self) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| !self.has(lang))
    }
}

/// An amount in euro cents as a citizen reads it in `lang` (CLDR's currency
/// patterns), and "free" as a word. Digits are the European ones in every
/// language, Arabic too: they are what the receipt and the euro prices in
/// the town hall show.
pub fn format_cents(cents: u32, lang: &Lang) -> String {
    let (euros, rest) = (cents / 100, cents % 100);
    if cents == 0 {
        return match lang {
            Lang::German | Lang::EasyGerman => "kostenlos",
            Lang::English => "free",
            Lang::Turkish => "ücretsiz",
            Lang::Arabic => "مجانًا",
            Lang::Ukrainian => "безкоштовно",
            Lang::Russian => "бесплатно",
        }
        .into();
    }
    match lang {
        Lang::English => format!("€{euros}.{rest:02}"),
        Lang::Turkish => format!("€{euros},{rest:02}"),
        // The amount in a left-to-right isolate (Unicode UAX #9 2.7), so the
        // euro sign stays after the number inside Arabic text.
        Lang::Arabic => format!("\u{2066}{euros},{rest:02} €\u{2069}"),
        Lang::German | Lang::EasyGerman | Lang::Ukrainian | Lang::Russian => format!("{euros},{rest:02} €"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_translation_falls_back_to_german_and_is_named() {
        let text: Localized =
            toml::from_str::<BTreeMap<String, Localized>>("t = { de = \"Hallo\" }").unwrap().remove("t").unwrap();
        assert_eq!(text.get(&Lang::Ukrainian), "Hallo");
        assert!(!text.has(&Lang::english()));
        assert_eq!(text.missing(), Some(Lang::EasyGerman));
    }

    #[test]
    fn every_language_has_its_own_code_and_is_found_by_it() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("DE-X-LS"), Some(Lang::EasyGerman));
        assert_eq!(Lang::from_code("fr"), None);
        assert!(Lang::Arabic.right_to_left() && !Lang::Russian.right_to_left());
    }

    #[test]
    fn amounts_read_naturally_in_each_language() {
        assert_eq!(format_cents(4500, &Lang::german()), "45,00 €");
        assert_eq!(format_cents(4505, &Lang::english()), "€45.05");
        assert_eq!(format_cents(4500, &Lang::Turkish), "€45,00");
        assert_eq!(format_cents(4500, &Lang::Russian), "45,00 €");
        assert_eq!(format_cents(4500, &Lang::Arabic), "\u{2066}45,00 €\u{2069}");
        assert_eq!(format_cents(0, &Lang::german()), "kostenlos");
        assert_eq!(format_cents(0, &Lang::Ukrainian), "безкоштовно");
    }
}
