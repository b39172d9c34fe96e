// SPDX-License-Identifier: GPL-3.0-or-later
//! The terminal's configuration: its settings (`terminal.toml`), its service
//! catalogue (`catalogue.toml`) and the texts that are put together in code
//! (`texts.toml`: card item names, receipt labels).
//!
//! The defaults are compiled in from `session/config/`; in a configuration
//! directory (the appliance's `/etc/kiosk`), each file of the same name
//! replaces its default. Everything is checked when it is loaded, so that a
//! terminal with a broken file says so at start-up instead of showing a
//! citizen a key where a label belongs.

use crate::catalogue::{Catalogue, CatalogueError};
use crate::config_file::{ConfigFileError, read_text};
use crate::identity::CardItem;
use crate::machine::Timeouts;
use crate::text::{Lang, Localized};
use crate::tracking::TrackingNumber;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use thiserror::Error;

const DEFAULT_TERMINAL: &str = include_str!("../config/terminal.toml");
const DEFAULT_CATALOGUE: &str = include_str!("../config/catalogue.toml");
const DEFAULT_TEXTS: &str = include_str!("../config/texts.toml");

/// Why the configuration cannot be used. Each names the file and what to fix.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// A file exists but cannot be read.
    #[error(transparent)]
    Read(#[from] ConfigFileError),
    /// A setting is outside what the terminal can work with.
    #[error("{file}: `{key}` is {found}, but must be {allowed}; fix the file and restart the terminal")]
    OutOfRange {
        /// The file's name.
        file: &'static str,
        /// The setting.
        key: &'static str,
        /// What the file says.
        found: String,
        /// What it may be.
        allowed: String,
    },
    /// A file is not valid TOML or lacks a setting.
    #[error("{file} is not valid: {source}; fix the file and restart the terminal")]
    Syntax {
        /// The file's name.
        file: &'static str,
        /// What the parser found.
        source: toml::de::Error,
    },
    /// The catalogue cannot be used.
    #[error("catalogue.toml: {0}")]
    Catalogue(#[from] CatalogueError),
    /// `texts.toml` lacks the name of a card item.
    #[error("texts.toml lacks a name for the card item `{0}`; add it under [card-items]")]
    MissingCardItem(&'static str),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct TimeoutSeconds {
    idle_seconds: u64,
    warning_seconds: u64,
    take_card_seconds: u64,
    notice_seconds: u64,
}

/// `terminal.toml`: who runs the terminal, how it is named on receipts, and
/// how long it waits.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TerminalSettings {
    /// Shown in the header and printed on receipts.
    pub municipality: String,
    /// This terminal's id, printed on receipts.
    pub terminal_id: String,
    /// Base of the status URL in the receipt's QR code.
    status_url: String,
    /// Paper width of the receipt printer in millimetres (80 or 58).
    pub paper_width_mm: u32,
    /// About how many receipts one paper roll holds.
    pub receipts_per_roll: u32,
    timeouts: TimeoutSeconds,
}

/// A value in `lo..=hi`, or the error naming `key` of `terminal.toml`.
fn within(key: &'static str, value: u64, lo: u64, hi: u64) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&value) {
        return Ok(());
    }
    Err(ConfigError::OutOfRange {
        file: "terminal.toml",
        key,
        found: value.to_string(),
        allowed: format!("from {lo} to {hi}"),
    })
}

impl TerminalSettings {
    /// Checks every setting against what the terminal can work with.
    fn check(&self) -> Result<(), ConfigError> {
        let t = &self.timeouts;
        within("timeouts.idle-seconds", t.idle_seconds, 10, 3600)?;
        // The countdown is part of the idle time a citizen is given.
        within("timeouts.warning-seconds", t.warning_seconds, 5, t.idle_seconds)?;
        within("timeouts.take-card-seconds", t.take_card_seconds, 5, 600)?;
        within("timeouts.notice-seconds", t.notice_seconds, 1, 600)?;
        within("receipts-per-roll", u64::from(self.receipts_per_roll), 1, 100_000)?;
        if !matches!(self.paper_width_mm, 58 | 80) {
            return Err(ConfigError::OutOfRange {
                file: "terminal.toml",
                key: "paper-width-mm",
                found: self.paper_width_mm.to_string(),
                allowed: "58 or 80".into(),
            });
        }
        for (key, value) in [("municipality", &self.municipality), ("terminal-id", &self.terminal_id)] {
            if value.trim().is_empty() {
                return Err(ConfigError::OutOfRange {
                    file: "terminal.toml",
                    key,
                    found: "empty".into(),
                    allowed: "a name".into(),
                });
            }
        }
        if !is_https_url(&self.status_url) {
            return Err(ConfigError::OutOfRange {
                file: "terminal.toml",
                key: "status-url",
                found: format!("{:?}", self.status_url),
                allowed: "an https:// address with a host, ending where the tracking number follows".into(),
            });
        }
        Ok(())
    }

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

    /// The status page without a request: what the URL of every request
    /// starts with.
    pub fn status_url_base(&self) -> &str {
        &self.status_url
    }

    /// The status URL of a request, as its receipt's QR code carries it.
    pub fn status_url_for(&self, tracking: &TrackingNumber) -> String {
        format!("{}{}", self.status_url, tracking.as_str())
    }
}

/// A label of the printed receipt and of the review screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptLabel {
    /// The receipt's heading.
    Title,
    /// "Service".
    Service,
    /// Above the tracking number.
    Tracking,
    /// The booked date.
    Date,
    /// The fee.
    Fee,
    /// The delivery state.
    State,
    /// The state "sent".
    Sent,
    /// The state "queued".
    Queued,
    /// The recipient (the same words whether sent or queued).
    Recipient,
    /// The card items sent.
    CardData,
    /// The terminal's id.
    Terminal,
    /// The line at the bottom.
    Footer,
    /// "Assistance", when staff helped.
    Assisted,
    /// Staff helped and saw masked screens only.
    AssistedMasked,
    /// Staff helped and the citizen showed them these fields.
    AssistedShown,
    /// The heading of the staff's test print.
    TestPrint,
}

/// `[receipt]` in `texts.toml`: every label, each required.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct ReceiptLabels {
    title: Localized,
    service: Localized,
    tracking: Localized,
    date: Localized,
    fee: Localized,
    state: Localized,
    sent: Localized,
    queued: Localized,
    recipient: Localized,
    card_data: Localized,
    terminal: Localized,
    footer: Localized,
    assisted: Localized,
    assisted_masked: Localized,
    assisted_shown: Localized,
    test_print: Localized,
}

/// `texts.toml`: texts that are put together in code.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Texts {
    card_items: BTreeMap<CardItem, Localized>,
    receipt: ReceiptLabels,
}

impl Texts {
    /// The name of a card item, as citizens read it.
    pub fn card_item(&self, item: CardItem, lang: &Lang) -> &str {
        // Every item has a name: checked when the file was loaded.
        self.card_items.get(&item).map_or("", |name| name.get(lang))
    }

    /// Several card items, comma-separated.
    pub fn card_items(&self, items: &[CardItem], lang: &Lang) -> String {
        items.iter().map(|&i| self.card_item(i, lang)).collect::<Vec<_>>().join(", ")
    }

    /// A receipt label.
    pub fn receipt(&self, label: ReceiptLabel, lang: &Lang) -> &str {
        let r = &self.receipt;
        let text = match label {
            ReceiptLabel::Title => &r.title,
            ReceiptLabel::Service => &r.service,
            ReceiptLabel::Tracking => &r.tracking,
            ReceiptLabel::Date => &r.date,
            ReceiptLabel::Fee => &r.fee,
            ReceiptLabel::State => &r.state,
            ReceiptLabel::Sent => &r.sent,
            ReceiptLabel::Queued => &r.queued,
            ReceiptLabel::Recipient => &r.recipient,
            ReceiptLabel::CardData => &r.card_data,
            ReceiptLabel::Terminal => &r.terminal,
            ReceiptLabel::Footer => &r.footer,
            ReceiptLabel::Assisted => &r.assisted,
            ReceiptLabel::AssistedMasked => &r.assisted_masked,
            ReceiptLabel::AssistedShown => &r.assisted_shown,
            ReceiptLabel::TestPrint => &r.test_print,
        };
        text.get(lang)
    }
}

/// Everything configured.
#[derive(Debug)]
pub struct Config {
    /// The terminal's settings.
    pub terminal: TerminalSettings,
    /// The service catalogue.
    pub catalogue: Catalogue,
    /// Texts put together in code.
    pub texts: Texts,
}

impl Config {
    /// The compiled-in defaults.
    pub fn defaults() -> Result<Config, ConfigError> {
        Config::load(None)
    }

    /// Reads the configuration: each file found in `dir` replaces its
    /// compiled-in default. Every setting is checked.
    pub fn load(dir: Option<&Path>) -> Result<Config, ConfigError> {
        let read = |name: &str, default: &str| -> Result<String, ConfigError> {
            let Some(path) = dir.map(|dir| dir.join(name)) else { return Ok(default.to_owned()) };
            match read_text(&path) {
                Ok(text) => Ok(text.to_string()),
                Err(error) if error.is_missing() => Ok(default.to_owned()),
                Err(error) => Err(error.into()),
            }
        };
        let terminal: TerminalSettings = toml::from_str(&read("terminal.toml", DEFAULT_TERMINAL)?)
            .map_err(|source| ConfigError::Syntax { file: "terminal.toml", source })?;
        terminal.check()?;
        let catalogue = Catalogue::from_toml(&read("catalogue.toml", DEFAULT_CATALOGUE)?)?;
        let texts: Texts = toml::from_str(&read("texts.toml", DEFAULT_TEXTS)?)
            .map_err(|source| ConfigError::Syntax { file: "texts.toml", source })?;
        if let Some(item) = CardItem::ALL.into_iter().find(|item| !texts.card_items.contains_key(item)) {
            return Err(ConfigError::MissingCardItem(item.key()));
        }
        Ok(Config { terminal, catalogue, texts })
    }
}

/// Whether `url` is `https://host[:port]/path`: an address a phone's camera
/// can open from a QR code, and the terminal can reach over TLS.
pub fn is_https_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let name = host.rsplit_once(':').map_or(host, |(name, port)| if port.parse::<u16>().is_ok() { name } else { "" });
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !url.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(name: &str, text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(name), text).unwrap();
        dir
    }

    #[test]
    fn compiled_in_defaults_load_and_name_every_card_item_in_both_languages() {
        let config = Config::defaults().unwrap();
        assert_eq!(config.terminal.timeouts().idle_ms, 90_000);
        for item in CardItem::ALL {
            assert_ne!(config.texts.card_item(item, &Lang::english()), item.key());
            assert_ne!(config.texts.card_item(item, &Lang::german()), config.texts.card_item(item, &Lang::english()));
        }
    }

    #[test]
    fn every_card_item_name_and_receipt_label_exists_in_every_language() {
        let texts: toml::Table = toml::from_str(DEFAULT_TEXTS).unwrap();
        let mut seen = 0;
        let mut missing = Vec::new();
        for (section, entries) in &texts {
            for (key, value) in entries.as_table().unwrap() {
                let text: Localized = value.clone().try_into().unwrap();
                seen += 1;
                if let Some(lang) = text.missing() {
                    missing.push(format!("{section}.{key}: {}", lang.code()));
                }
            }
        }
        assert!(missing.is_empty(), "texts.toml lacks {missing:?}");
        assert_eq!(seen, CardItem::ALL.len() + 16, "the check saw every item and label");
    }

    #[test]
    fn the_status_url_carries_the_tracking_number_without_separators() {
        let config = Config::defaults().unwrap();
        let number = TrackingNumber::generate(&mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(5));
        let url = config.terminal.status_url_for(&number);
        assert!(url.ends_with(number.as_str()), "{url}");
        assert!(url.starts_with("https://"));
    }

    #[test]
    fn a_missing_receipt_label_is_refused_with_the_file_and_label_named() {
        let texts = DEFAULT_TEXTS.lines().filter(|l| !l.starts_with("recipient =")).collect::<Vec<_>>().join("\n");
        let dir = dir_with("texts.toml", &texts);
        let error = Config::load(Some(dir.path())).unwrap_err().to_string();
        assert!(error.contains("texts.toml") && error.contains("recipient"), "{error}");
    }

    #[test]
    fn a_missing_card_item_name_is_refused() {
        let texts = DEFAULT_TEXTS.lines().filter(|l| !l.starts_with("birth-name =")).collect::<Vec<_>>().join("\n");
        let dir = dir_with("texts.toml", &texts);
        let error = Config::load(Some(dir.path())).unwrap_err();
        assert!(matches!(error, ConfigError::MissingCardItem("birth-name")), "{error}");
    }

    #[test]
    fn a_file_in_the_directory_replaces_only_its_default() {
        let terminal = DEFAULT_TERMINAL.replace("BT-MUS-0001", "BT-MUS-0042");
        let dir = dir_with("terminal.toml", &terminal);
        let config = Config::load(Some(dir.path())).unwrap();
        assert_eq!(config.terminal.terminal_id, "BT-MUS-0042");
        assert!(config.catalogue.service("bulky-waste").is_some(), "the default catalogue stays");
    }

    fn terminal_with(from: &str, to: &str) -> Result<Config, ConfigError> {
        assert!(DEFAULT_TERMINAL.contains(from), "{from}");
        let dir = dir_with("terminal.toml", &DEFAULT_TERMINAL.replace(from, to));
        Config::load(Some(dir.path()))
    }

    #[test]
    fn settings_outside_their_range_are_refused_with_file_key_and_range_named() {
        for (from, to, key) in [
            ("idle-seconds = 90", "idle-seconds = 0", "timeouts.idle-seconds"),
            // 2^64 / 1000 + 1 seconds would wrap when turned into milliseconds.
            ("idle-seconds = 90", "idle-seconds = 18446744073709552", "timeouts.idle-seconds"),
            ("warning-seconds = 30", "warning-seconds = 120", "timeouts.warning-seconds"),
            ("take-card-seconds = 30", "take-card-seconds = 0", "timeouts.take-card-seconds"),
            ("paper-width-mm = 80", "paper-width-mm = 72", "paper-width-mm"),
            ("receipts-per-roll = 400", "receipts-per-roll = 0", "receipts-per-roll"),
            (
                "status-url = \"https://buergerterminal.musterstadt.example/status/\"",
                "status-url = \"x\"",
                "status-url",
            ),
            (
                "status-url = \"https://buergerterminal.musterstadt.example/status/\"",
                "status-url = \"http://buergerterminal.musterstadt.example/status/\"",
                "status-url",
            ),
            ("municipality = \"Stadt Musterstadt\"", "municipality = \" \"", "municipality"),
        ] {
            let error = terminal_with(from, to).unwrap_err();
            assert!(
                matches!(&error, ConfigError::OutOfRange { file: "terminal.toml", key: k, .. } if *k == key),
                "{to}: {error}"
            );
            let message = error.to_string();
            assert!(
                message.contains("terminal.toml") && message.contains(key) && message.contains("must be"),
                "{message}"
            );
        }
    }

    #[test]
    fn settings_at_the_edges_of_their_range_are_taken() {
        let config = terminal_with("warning-seconds = 30", "warning-seconds = 90").unwrap();
        assert_eq!(config.terminal.timeouts().warning_ms, 90_000, "the countdown may be the whole idle time");
        assert!(terminal_with("paper-width-mm = 80", "paper-width-mm = 58").is_ok());
        assert!(
            terminal_with(
                "status-url = \"https://buergerterminal.musterstadt.example/status/\"",
                "status-url = \"https://192.0.2.7:8443/s/\""
            )
            .is_ok()
        );
    }

    #[test]
    fn the_defaults_hold_no_personal_data() {
        for text in [DEFAULT_TERMINAL, DEFAULT_CATALOGUE, DEFAULT_TEXTS] {
            assert!(!text.contains("Mustermann"));
        }
    }
}
