// SPDX-License-Identifier: GPL-3.0-or-later
//! The JSON Schemas (2020-12) of each service's request payload (`portal/schemas/`), compiled
//! in so the terminal and the local portal always agree on them.
//!
//! Every payload has the same envelope, built by the terminal's session:
//!
//! ```json
//! { "service": "bulky-waste", "trackingNumber": "QY4YEAJ8W342",
//!   "applicant": { "givenNames": "…", "familyNames": "…", "placeOfResidence": { … } },
//!   "fields": { "items": "Sofa", "volume": 2, "phone": null },
//!   "booking": { "slotId": "…", "kind": "standard", "date": "2026-12-07", "feeCents": 0 } }
//! ```
//!
//! `applicant` holds exactly the eID items the service declares in the catalogue (`card_data`,
//! in camelCase), `fields` its form fields by id, and `booking` is present only for services
//! booked in a calendar. Each schema says `additionalProperties: false` at every level, so data
//! a service did not declare is refused rather than passed on (data minimisation).
//!
//! LeiKa ids and destinations are not here: they belong to the municipality's catalogue
//! (`session/config/catalogue.toml`), which names a schema by its URI.

/// Catalogue id of dog registration.
pub const DOG_REGISTRATION: &str = "dog-registration";

/// A service's payload schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadSchema {
    /// Catalogue id of the service (the payload's `service`).
    pub service_id: &'static str,
    /// The schema's `$id`, the catalogue's `data_schema`, sent as `schemaUri` in the metadata.
    pub uri: &'static str,
    /// The schema document.
    pub json: &'static str,
}

/// Bulky-waste collection: items, volume, optional phone; a standard or express booking.
pub const BULKY_WASTE_SCHEMA: PayloadSchema = PayloadSchema {
    service_id: crate::slots::BULKY_WASTE,
    uri: "https://schema.buergerterminal.invalid/bulky-waste/1.0.0/schema.json",
    json: include_str!("../schemas/bulky-waste.schema.json"),
};

/// Dog registration: the dog's name, breed and microchip; no booking.
pub const DOG_REGISTRATION_SCHEMA: PayloadSchema = PayloadSchema {
    service_id: DOG_REGISTRATION,
    uri: "https://schema.buergerterminal.invalid/dog-registration/1.0.0/schema.json",
    json: include_str!("../schemas/dog-registration.schema.json"),
};

/// Citizens' office appointment: the concern; an appointment booking.
pub const CITIZENS_OFFICE_APPOINTMENT_SCHEMA: PayloadSchema = PayloadSchema {
    service_id: crate::slots::CITIZENS_OFFICE_APPOINTMENT,
    uri: "https://schema.buergerterminal.invalid/citizens-office-appointment/1.0.0/schema.json",
    json: include_str!("../schemas/citizens-office-appointment.schema.json"),
};

/// All payload schemas.
pub const ALL: &[PayloadSchema] = &[BULKY_WASTE_SCHEMA, DOG_REGISTRATION_SCHEMA, CITIZENS_OFFICE_APPOINTMENT_SCHEMA];

/// The schema of `service_id`.
pub fn for_service(service_id: &str) -> Option<&'static PayloadSchema> {
    ALL.iter().find(|s| s.service_id == service_id)
}

/// The schema with `$id` `uri`.
pub fn for_uri(uri: &str) -> Option<&'static PayloadSchema> {
    ALL.iter().find(|s| s.uri == uri)
}
