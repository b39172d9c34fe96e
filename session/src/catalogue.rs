// SPDX-License-Identifier: GPL-3.0-or-later
//! The one-stop-shop catalogue: every service the terminal offers, as data.

use crate::identity::CardItem;
use crate::text::{Lang, Localized};
use serde::Deserialize;
use std::collections::HashSet;
use thiserror::Error;

/// What went wrong reading a catalogue. Maintainers see these at start-up.
#[derive(Debug, Error)]
pub enum CatalogueError {
    /// The file is not valid TOML or does not have the catalogue's shape.
    #[error("the service catalogue is not valid: {0}; fix the file and restart the terminal")]
    Syntax(#[from] toml::de::Error),
    /// Two services share an id.
    #[error("the service catalogue lists the service id `{0}` twice; give each service its own id")]
    DuplicateService(String),
    /// A service that sends requests has no destination authority.
    #[error(
        "the service `{0}` sends requests but names no authority; add `authority = {{ name = …, destination = … }}`"
    )]
    MissingAuthority(String),
    /// A field declaration cannot work (for example a choice without options).
    #[error("the field `{field}` of service `{service}` is not usable: {problem}")]
    BadField {
        /// The service id.
        service: String,
        /// The field id.
        field: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The catalogue offers nothing.
    #[error("the service catalogue is empty; add at least one [[service]]")]
    Empty,
}

/// All services of one terminal, in the order the catalogue screen shows them.
#[derive(Debug, Clone, Deserialize)]
pub struct Catalogue {
    #[serde(rename = "service")]
    services: Vec<ServiceSpec>,
}

/// What kind of visit a service is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    /// A request: identify with the card, fill in a form, submit.
    Request,
    /// Look up the state of an earlier request by its tracking number.
    StatusCheck,
    /// Change, set (replacing the transport PIN) or unblock the ID card's
    /// PIN: talks only to the card, reads no data.
    PinChange,
}

/// Whether a service needs a date, and from which calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Booking {
    /// No date needed.
    None,
    /// The bulky-waste capacity calendar (standard and express pickups).
    BulkyWaste,
    /// Free appointment slots.
    Appointment,
}

/// The authority a service's requests go to.
#[derive(Debug, Clone, Deserialize)]
pub struct Authority {
    /// Its name as citizens know it.
    pub name: Localized,
    /// Its FIT-Connect destination id.
    pub destination: String,
}

/// One service of the catalogue.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceSpec {
    /// Stable identifier, for example `bulky-waste`.
    pub id: String,
    /// Request or status check.
    pub kind: ServiceKind,
    /// LeiKa service key (Leistungskatalog), sent in the submission metadata.
    #[serde(default)]
    pub leika: String,
    /// Whether a date must be booked.
    pub booking: Booking,
    /// Base fee in euro cents (an express slot may add its own).
    pub fee_cents: u32,
    /// The JSON Schema the request's data follows.
    #[serde(default)]
    pub data_schema: String,
    /// Exactly the data read from the ID card for this service.
    pub card_data: Vec<CardItem>,
    /// Name on the catalogue tile.
    pub name: Localized,
    /// One sentence on what the service does.
    pub summary: Localized,
    /// What the citizen needs to have with them.
    pub needs: Localized,
    /// The fee in words.
    pub fee_text: Localized,
    /// Where the request goes (requests only).
    #[serde(default)]
    pub authority: Option<Authority>,
    /// The service's own form fields, in order.
    #[serde(default, rename = "field")]
    pub fields: Vec<FieldSpec>,
}

/// What a form field accepts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldKind {
    /// Free text.
    Text,
    /// A whole number between `min` and `max`.
    Number,
    /// Exactly `length` digits (for example a microchip number).
    Digits,
    /// A phone number: digits, spaces, `+`, `/` and `-`.
    Phone,
    /// One of `options`.
    Choice,
}

/// One option of a choice field.
#[derive(Debug, Clone, Deserialize)]
pub struct ChoiceOption {
    /// Value sent to the authority.
    pub id: String,
    /// What the citizen reads.
    pub label: Localized,
}

/// A form field a service declares.
#[derive(Debug, Clone, Deserialize)]
pub struct FieldSpec {
    /// Key in the submitted data.
    pub id: String,
    /// What it accepts.
    pub kind: FieldKind,
    /// Whether it must be filled in.
    #[serde(default)]
    pub required: bool,
    /// Longest accepted input, in characters.
    #[serde(default)]
    pub max_len: Option<usize>,
    /// Exact number of digits (`digits` fields).
    #[serde(default)]
    pub length: Option<usize>,
    /// Smallest accepted number (`number` fields).
    #[serde(default)]
    pub min: Option<i64>,
    /// Largest accepted number (`number` fields).
    #[serde(default)]
    pub max: Option<i64>,
    /// Label above the field.
    pub label: Localized,
    /// Example or help shown under the field.
    #[serde(default)]
    pub hint: Localized,
    /// The options of a `choice` field.
    #[serde(default)]
    pub options: Vec<ChoiceOption>,
}

impl FieldSpec {
    /// The longest input the on-screen keyboard lets the citizen type.
    pub fn input_limit(&self) -> usize {
        match self.kind {
            FieldKind::Digits => self.length.unwrap_or(32),
            FieldKind::Number => 6,
            FieldKind::Choice => 0,
            FieldKind::Text | FieldKind::Phone => self.max_len.unwrap_or(200),
        }
    }

    /// The label of the option with id `value`, if this is a choice field.
    pub fn option_label(&self, value: &str, lang: &Lang) -> Option<String> {
        self.options.iter().find(|o| o.id == value).map(|o| o.label.get(lang).to_owned())
    }
}

impl Catalogue {
    /// Reads and checks a catalogue written in TOML.
    pub fn from_toml(text: &str) -> Result<Self, CatalogueError> {
        let catalogue: Catalogue = toml::from_str(text)?;
        catalogue.check()?;
        Ok(catalogue)
    }

    fn check(&self) -> Result<(), CatalogueError> {
        if self.services.is_empty() {
            return Err(CatalogueError::Empty);
        }
        let mut ids = HashSet::new();
        for service in &self.services {
            if !ids.insert(service.id.as_str()) {
                return Err(CatalogueError::DuplicateService(service.id.clone()));
            }
            if service.kind == ServiceKind::Request && service.authority.is_none() {
                return Err(CatalogueError::MissingAuthority(service.id.clone()));
            }
            for field in &service.fields {
                let problem = match field.kind {
                    _ if field.max_len == Some(0) => Some("`max_len` must be at least 1"),
                    FieldKind::Choice if field.options.is_empty() => Some("a choice needs options"),
                    FieldKind::Digits if field.length.is_none_or(|n| n == 0) => {
                        Some("a digits field needs a `length` of at least 1")
                    }
                    FieldKind::Number if field.min.zip(field.max).is_some_and(|(lo, hi)| lo > hi) => {
                        Some("`min` is larger than `max`")
                    }
                    _ => None,
                };
                if let Some(problem) = problem {
                    return Err(CatalogueError::BadField {
                        service: service.id.clone(),
                        field: field.id.clone(),
                        problem,
                    });
                }
            }
        }
        Ok(())
    }

    /// All services, in catalogue order.
    pub fn services(&self) -> &[ServiceSpec] {
        &self.services
    }

    /// The service with `id`.
    pub fn service(&self, id: &str) -> Option<&ServiceSpec> {
        self.services.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = include_str!("../config/catalogue.toml");

    #[test]
    fn demo_catalogue_offers_the_four_required_services() {
        let catalogue = Catalogue::from_toml(DEMO).unwrap();
        let ids: Vec<_> = catalogue.services().iter().map(|s| s.id.as_str()).collect();
        for id in ["bulky-waste", "dog-registration", "citizens-office-appointment", "status"] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
        }
        let bulky = catalogue.service("bulky-waste").unwrap();
        assert_eq!(bulky.booking, Booking::BulkyWaste);
        assert_eq!(bulky.card_data, vec![CardItem::GivenNames, CardItem::FamilyNames, CardItem::PlaceOfResidence]);
        assert_eq!(bulky.name.get(&Lang::english()), "Bulky-waste pickup");
    }

    /// Every text of a service that a citizen reads, with where it is.
    fn texts(service: &ServiceSpec) -> Vec<(String, &Localized)> {
        let id = &service.id;
        let mut texts = vec![
            (format!("{id}.name"), &service.name),
            (format!("{id}.summary"), &service.summary),
            (format!("{id}.needs"), &service.needs),
            (format!("{id}.fee_text"), &service.fee_text),
        ];
        texts.extend(service.authority.iter().map(|a| (format!("{id}.authority"), &a.name)));
        for field in &service.fields {
            texts.push((format!("{id}.{}.label", field.id), &field.label));
            if field.hint != Localized::default() {
                texts.push((format!("{id}.{}.hint", field.id), &field.hint));
            }
            texts.extend(field.options.iter().map(|o| (format!("{id}.{}.{}", field.id, o.id), &o.label)));
        }
        texts
    }

    #[test]
    fn every_demo_text_exists_in_every_language() {
        let catalogue = Catalogue::from_toml(DEMO).unwrap();
        let missing: Vec<_> = catalogue
            .services()
            .iter()
            .flat_map(texts)
            .filter_map(|(place, text)| text.missing().map(|lang| (place, lang.code())))
            .collect();
        assert!(missing.is_empty(), "catalogue texts missing or empty: {missing:?}");
        let counted = catalogue.services().iter().flat_map(texts).count();
        assert!(counted >= 35, "the check saw every text ({counted})");
    }

    #[test]
    fn duplicate_service_ids_are_refused() {
        let twice = format!(
            "{DEMO}\n[[service]]\nid = \"status\"\nkind = \"status-check\"\nbooking = \"none\"\nfee_cents = 0\ncard_data = []\nname = {{ de = \"x\" }}\nsummary = {{ de = \"x\" }}\nneeds = {{ de = \"x\" }}\nfee_text = {{ de = \"x\" }}\n"
        );
        assert!(matches!(Catalogue::from_toml(&twice), Err(CatalogueError::DuplicateService(id)) if id == "status"));
    }

    #[test]
    fn unknown_card_data_item_is_a_syntax_error() {
        let bad = DEMO.replace("\"place-of-residence\"]", "\"fingerprint\"]");
        assert!(matches!(Catalogue::from_toml(&bad), Err(CatalogueError::Syntax(_))));
    }

    #[test]
    fn a_field_that_takes_no_character_is_refused() {
        let bad = DEMO.replacen("max_len = ", "max_len = 0 #", 1);
        assert!(bad != DEMO, "the demo catalogue has a max_len to change");
        let error = Catalogue::from_toml(&bad).unwrap_err();
        assert!(matches!(&error, CatalogueError::BadField { problem, .. } if problem.contains("max_len")), "{error}");
    }

    #[test]
    fn request_without_authority_is_refused() {
        let bad: String = DEMO
            .lines()
            .filter(|line| !(line.starts_with("authority = ") && line.contains("Steueramt Musterstadt")))
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(bad.len() < DEMO.len(), "the demo catalogue has the tax office's line to remove");
        assert!(
            matches!(Catalogue::from_toml(&bad), Err(CatalogueError::MissingAuthority(id)) if id == "dog-registration")
        );
    }
}
