// SPDX-License-Identifier: GPL-3.0-or-later
//! Languages and texts that come from data (the catalogue) rather than from
//! the UI's own translations.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A UI language, by its ISO 639-1 code. German is the default and the
/// fallback for any text that lacks a translation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lang(String);

impl Lang {
    /// German, the terminal's default language.
    pub fn german() -> Self {
        Lang("de".into())
    }

    /// English.
    pub fn english() -> Self {
        Lang("en".into())
    }

    /// A language by its code, for example `"de"`.
    pub fn from_code(code: &str) -> Self {
        Lang(code.to_ascii_lowercase())
    }

    /// The ISO 639-1 code.
    pub fn code(&self) -> &str {
        &self.0
    }
}

impl Default for Lang {
    fn default() -> Self {
        Lang::german()
    }
}

/// A text in several languages, as written in the catalogue:
/// `{ de = "…", en = "…" }`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Localized(BTreeMap<String, String>);

impl Localized {
    /// The text in `lang`, falling back to German, then to any language.
    pub fn get(&self, lang: &Lang) -> &str {
        self.0
            .get(lang.code())
            .or_else(|| self.0.get("de"))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Whether the text exists in `lang` itself (no fallback).
    pub fn has(&self, lang: &Lang) -> bool {
        self.0.contains_key(lang.code())
    }
}

/// An amount in euro cents as a citizen reads it: `45,00 €` in German,
/// `€45.00` in English, and "free" as a word.
pub fn format_cents(cents: u32, lang: &Lang) -> String {
    let (euros, rest) = (cents / 100, cents % 100);
    match (cents, lang.code()) {
        (0, "de") => "kostenlos".into(),
        (0, _) => "free".into(),
        (_, "de") => format!("{euros},{rest:02} €"),
        _ => format!("€{euros}.{rest:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_translation_falls_back_to_german() {
        let text: Localized =
            toml::from_str::<BTreeMap<String, Localized>>("t = { de = \"Hallo\" }").unwrap().remove("t").unwrap();
        assert_eq!(text.get(&Lang::from_code("uk")), "Hallo");
        assert!(!text.has(&Lang::english()));
    }

    #[test]
    fn amounts_read_naturally_in_each_language() {
        assert_eq!(format_cents(4500, &Lang::german()), "45,00 €");
        assert_eq!(format_cents(4505, &Lang::english()), "€45.05");
        assert_eq!(format_cents(0, &Lang::german()), "kostenlos");
    }
}
