// SPDX-License-Identifier: GPL-3.0-or-later
//! The JSON Schemas of each service's form data (`portal/schemas/`), compiled in so the
//! terminal and the local portal always agree on them.

use crate::slots::{BULKY_WASTE, CITIZENS_OFFICE_APPOINTMENT};

/// A service's payload schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadSchema {
    /// Catalogue id of the service.
    pub service_id: &'static str,
    /// LeiKa id of the service.
    pub leika_id: &'static str,
    /// The schema's `$id`, sent as `schemaUri` in the metadata.
    pub uri: &'static str,
    /// The schema document.
    pub json: &'static str,
}

/// Bulky-waste collection. The LeiKa ids here are placeholders until the municipality's
/// catalogue names the real ones.
pub const BULKY_WASTE_SCHEMA: PayloadSchema = PayloadSchema {
    service_id: BULKY_WASTE,
    leika_id: "99003012000000",
    uri: "https://schema.buergerterminal.invalid/bulky-waste/1.0.0/schema.json",
    json: include_str!("../schemas/bulky-waste.schema.json"),
};

/// Citizens' office appointment.
pub const CITIZENS_OFFICE_APPOINTMENT_SCHEMA: PayloadSchema = PayloadSchema {
    service_id: CITIZENS_OFFICE_APPOINTMENT,
    leika_id: "99102013000000",
    uri: "https://schema.buergerterminal.invalid/citizens-office-appointment/1.0.0/schema.json",
    json: include_str!("../schemas/citizens-office-appointment.schema.json"),
};

/// All payload schemas.
pub const ALL: &[PayloadSchema] = &[BULKY_WASTE_SCHEMA, CITIZENS_OFFICE_APPOINTMENT_SCHEMA];

/// The schema of `service_id`.
pub fn for_service(service_id: &str) -> Option<&'static PayloadSchema> {
    ALL.iter().find(|s| s.service_id == service_id)
}

/// The schema with `$id` `uri`.
pub fn for_uri(uri: &str) -> Option<&'static PayloadSchema> {
    ALL.iter().find(|s| s.uri == uri)
}
