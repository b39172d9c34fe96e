// SPDX-License-Identifier: GPL-3.0-or-later
//! The local portal's catalogue, read from the kiosk's service catalogue
//! (`session/config/catalogue.toml`), the single source of truth: the portal routes to the same
//! destinations, LeiKa ids and payload schemas the terminal sends, so the two cannot drift.

use std::collections::BTreeMap;

use portal::fitconnect::client::CatalogueEntry;
use serde::Deserialize;

use crate::LocalPortalError;

/// The demo municipality's catalogue, as the kiosk ships it.
pub const KIOSK_CATALOGUE: &str = include_str!("../../../session/config/catalogue.toml");

/// The kind of service the portal receives requests for; other kinds (the status check) never
/// reach a destination.
const REQUEST_KIND: &str = "request";

/// The few keys of the kiosk's catalogue the portal needs; everything else is the kiosk's.
#[derive(Deserialize)]
struct Catalogue {
    #[serde(default)]
    service: Vec<Service>,
}

#[derive(Deserialize)]
struct Service {
    id: String,
    kind: String,
    leika: Option<String>,
    data_schema: Option<String>,
    name: BTreeMap<String, String>,
    authority: Option<Authority>,
}

#[derive(Deserialize)]
struct Authority {
    destination: String,
}

fn invalid(id: &str, reason: &str) -> LocalPortalError {
    LocalPortalError::Catalogue(format!("service {id}: {reason}"))
}

/// Every service of kind `request` in the catalogue `text` (TOML, the kiosk's format), with its
/// German name, LeiKa id, destination and payload schema URI.
///
/// # Errors
/// [`LocalPortalError::Catalogue`] if `text` is not such a catalogue, or a request service lacks
/// a LeiKa id, a destination or a German name, or names a payload schema this build does not
/// know ([`portal::schemas::ALL`]).
pub fn request_services(text: &str) -> Result<Vec<CatalogueEntry>, LocalPortalError> {
    let catalogue: Catalogue = toml::from_str(text).map_err(|e| LocalPortalError::Catalogue(e.to_string()))?;
    catalogue
        .service
        .into_iter()
        .filter(|service| service.kind == REQUEST_KIND)
        .map(|service| {
            let id = service.id;
            let leika_id = service.leika.ok_or_else(|| invalid(&id, "no leika id"))?;
            if leika_id.len() != 14 || !leika_id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(&id, "the leika id is not 14 digits"));
            }
            let destination_id =
                service.authority.map(|a| a.destination).ok_or_else(|| invalid(&id, "no authority destination"))?;
            let data_schema_uri = service.data_schema.ok_or_else(|| invalid(&id, "no data_schema"))?;
            if portal::schemas::for_uri(&data_schema_uri).is_none_or(|schema| schema.service_id != id) {
                return Err(invalid(&id, &format!("no payload schema {data_schema_uri} for this service")));
            }
            let name = service.name.get("de").cloned().ok_or_else(|| invalid(&id, "no German name"))?;
            Ok(CatalogueEntry { service_id: id, name, leika_id, destination_id, data_schema_uri })
        })
        .collect()
}
