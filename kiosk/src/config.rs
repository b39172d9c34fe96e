// SPDX-License-Identifier: GPL-3.0-or-later
//! The terminal's configuration: its settings, its catalogue and the texts
//! Rust puts together. The defaults are compiled in from `kiosk/config/`;
//! each file of the same name in a `--config DIR` replaces its default.

use anyhow::{Context, Result};
use serde::Deserialize;
use session::{CardItem, Catalogue, Lang, Localized, Timeouts};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const DEFAULT_TERMINAL: &str = include_str!("../../session/config/terminal.toml");
const DEFAULT_CATALOGUE: &str = include_str!("../../session/config/catalogue.toml");
const DEFAULT_TEXTS: &str = include_str!("../../session/config/texts.toml");

/// The demo card lives beside the default configuration in the source tree.
/// It is deliberately not compiled in: the specimen identity must not sit in
/// the kiosk's memory before a card is inserted or after it is removed.
pub fn default_demo_card() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo-card.toml")
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct TimeoutSeconds {
    idle_seconds: u64,
    warning_seconds: u64,
    take_card_seconds: u64,
    notice_seconds: u64,
}

/// `terminal.toml`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Terminal {
    /// Shown in the header and printed on receipts.
    pub municipality: String,
    /// This terminal's id, printed on receipts.
    pub terminal_id: String,
    /// Base of the status URL in the receipt's QR code.
    pub status_url: String,
    /// Paper width of the receipt printer.
    pub paper_width_mm: u32,
    timeouts: TimeoutSeconds,
}

impl Terminal {
    /// The session timeouts.
    pub fn timeouts(&self) -> Timeouts {
        let t = &self.timeouts;
        Timeouts {
            idle_ms: t.idle_seconds * 1000,
            warning_ms: t.warning_seconds * 1000,
            take_card_ms: t.take_card_seconds * 1000,
            notice_ms: t.notice_seconds * 1000,
        }
    }

    /// The status URL of a request, as its receipt's QR code carries it:
    /// the configured base and the tracking number without separators.
    pub fn status_url_for(&self, tracking: &str) -> String {
        let compact: String = tracking.chars().filter(|c| *c != '-').collect();
        format!("{}{compact}", self.status_url)
    }

    /// The printer's paper.
    pub fn paper(&self) -> printer::PaperWidth {
        if self.paper_width_mm == 58 { printer::PaperWidth::Mm58 } else { printer::PaperWidth::Mm80 }
    }
}

/// `texts.toml`: texts that Rust puts together.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Texts {
    card_items: BTreeMap<String, Localized>,
    receipt: BTreeMap<String, Localized>,
}

impl Texts {
    /// The name of a card item, as citizens read it.
    pub fn card_item(&self, item: CardItem, lang: &Lang) -> String {
        self.card_items.get(item.key()).map_or_else(|| item.key().to_owned(), |t| t.get(lang).to_owned())
    }

    /// Several card items, comma-separated.
    pub fn card_items(&self, items: &[CardItem], lang: &Lang) -> String {
        items.iter().map(|&i| self.card_item(i, lang)).collect::<Vec<_>>().join(", ")
    }

    /// A receipt label.
    pub fn receipt(&self, key: &str, lang: &Lang) -> String {
        self.receipt.get(key).map_or_else(|| key.to_owned(), |t| t.get(lang).to_owned())
    }
}

/// Everything configured.
pub struct Config {
    /// Terminal settings.
    pub terminal: Terminal,
    /// The service catalogue.
    pub catalogue: Catalogue,
    /// Rust-side texts.
    pub texts: Texts,
}

impl Config {
    /// Reads the configuration: each file found in `dir` replaces its
    /// compiled-in default.
    pub fn load(dir: Option<&Path>) -> Result<Config> {
        let read = |name: &str, default: &str| -> Result<String> {
            let Some(path) = dir.map(|dir| dir.join(name)) else { return Ok(default.to_owned()) };
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(text),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(default.to_owned()),
                Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
            }
        };
        let terminal =
            toml::from_str(&read("terminal.toml", DEFAULT_TERMINAL)?).context("terminal.toml is not valid")?;
        let catalogue = Catalogue::from_toml(&read("catalogue.toml", DEFAULT_CATALOGUE)?)?;
        let texts: Texts = toml::from_str(&read("texts.toml", DEFAULT_TEXTS)?).context("texts.toml is not valid")?;
        for item in CardItem::ALL {
            anyhow::ensure!(
                texts.card_items.contains_key(item.key()),
                "texts.toml lacks a name for card item `{}`",
                item.key()
            );
        }
        Ok(Config { terminal, catalogue, texts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_in_defaults_load_and_name_every_card_item_in_both_languages() {
        let config = Config::load(None).unwrap();
        assert_eq!(config.terminal.timeouts().idle_ms, 90_000);
        for item in CardItem::ALL {
            assert_ne!(config.texts.card_item(item, &Lang::english()), item.key());
            assert_ne!(config.texts.card_item(item, &Lang::german()), config.texts.card_item(item, &Lang::english()));
        }
    }

    #[test]
    fn demo_card_is_not_compiled_in() {
        for text in [DEFAULT_TERMINAL, DEFAULT_CATALOGUE, DEFAULT_TEXTS] {
            assert!(!text.contains("Mustermann"));
        }
        assert!(default_demo_card().exists());
    }
}
