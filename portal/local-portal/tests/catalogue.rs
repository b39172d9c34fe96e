// SPDX-License-Identifier: GPL-3.0-or-later
//! The local portal's catalogue is the kiosk's (`session/config/catalogue.toml`): same services,
//! LeiKa ids, destinations and schema URIs, and each payload schema describes exactly the card
//! items and form fields the kiosk's catalogue declares for its service.

use local_portal::LocalPortalError;
use local_portal::catalogue::{KIOSK_CATALOGUE, request_services};
use portal::schemas;
use serde_json::Value;

fn kiosk_catalogue() -> toml::Table {
    match toml::from_str(KIOSK_CATALOGUE) {
        Ok(table) => table,
        Err(e) => panic!("the kiosk's catalogue is not TOML: {e}"),
    }
}

fn kiosk_services() -> Vec<toml::Table> {
    let catalogue = kiosk_catalogue();
    let services = catalogue.get("service").and_then(toml::Value::as_array).cloned().unwrap_or_default();
    services.into_iter().filter_map(|s| s.as_table().cloned()).collect()
}

fn text<'a>(table: &'a toml::Table, key: &str) -> &'a str {
    table.get(key).and_then(toml::Value::as_str).unwrap_or_default()
}

/// `given-names` → `givenNames`, as the kiosk names card items in the payload.
fn camel(key: &str) -> String {
    let mut parts = key.split('-');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

fn keys(schema: &Value, pointer: &str) -> Vec<String> {
    let mut keys: Vec<String> =
        schema.pointer(pointer).and_then(Value::as_object).map(|o| o.keys().cloned().collect()).unwrap_or_default();
    keys.sort();
    keys
}

fn strings(value: Option<&Value>) -> Vec<String> {
    let mut list: Vec<String> =
        value.and_then(Value::as_array).into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect();
    list.sort();
    list
}

#[test]
fn demo_catalogue_holds_every_request_service_of_the_kiosk_with_its_ids() -> Result<(), LocalPortalError> {
    let catalogue = local_portal::demo_catalogue()?;
    let ids: Vec<&str> = catalogue.iter().map(|e| e.service_id.as_str()).collect();
    assert_eq!(ids, ["bulky-waste", "dog-registration", "citizens-office-appointment"], "status is no request");
    let leika: Vec<&str> = catalogue.iter().map(|e| e.leika_id.as_str()).collect();
    assert_eq!(leika, ["99003012000000", "99108007001000", "99102013000000"]);
    for (entry, service) in catalogue.iter().zip(kiosk_services()) {
        assert_eq!(entry.service_id, text(&service, "id"));
        let authority = service.get("authority").and_then(toml::Value::as_table).cloned().unwrap_or_default();
        assert_eq!(entry.destination_id, text(&authority, "destination"));
        assert_eq!(entry.data_schema_uri, text(&service, "data_schema"));
        assert_eq!(schemas::for_uri(&entry.data_schema_uri).map(|s| s.service_id), Some(entry.service_id.as_str()));
        let name = service.get("name").and_then(toml::Value::as_table).cloned().unwrap_or_default();
        assert_eq!(entry.name, text(&name, "de"));
    }
    Ok(())
}

#[test]
fn every_payload_schema_asks_for_exactly_the_card_items_and_fields_the_kiosk_declares() {
    let mut checked = 0;
    for service in kiosk_services().iter().filter(|s| text(s, "kind") == "request") {
        let id = text(service, "id");
        let Some(schema) = schemas::for_service(id) else { panic!("no payload schema for {id}") };
        let schema: Value = match serde_json::from_str(schema.json) {
            Ok(value) => value,
            Err(e) => panic!("{id}: {e}"),
        };
        let declared = |key: &str| service.get(key).and_then(toml::Value::as_array).cloned().unwrap_or_default();
        let mut card: Vec<String> = declared("card_data").iter().filter_map(|v| v.as_str().map(camel)).collect();
        card.sort();
        assert_eq!(keys(&schema, "/properties/applicant/properties"), card, "{id}: applicant");
        assert_eq!(strings(schema.pointer("/properties/applicant/required")), card, "{id}: all card items required");

        let fields = declared("field");
        let field = |f: &toml::Value| f.get("id").and_then(toml::Value::as_str).unwrap_or_default().to_owned();
        let mut ids: Vec<String> = fields.iter().map(field).collect();
        ids.sort();
        assert_eq!(keys(&schema, "/properties/fields/properties"), ids, "{id}: fields");
        let mut required: Vec<String> = fields
            .iter()
            .filter(|f| f.get("required").and_then(toml::Value::as_bool) == Some(true))
            .map(field)
            .collect();
        required.sort();
        assert_eq!(strings(schema.pointer("/properties/fields/required")), required, "{id}: required fields");

        let booked = text(service, "booking") != "none";
        assert_eq!(schema.pointer("/properties/booking").is_some(), booked, "{id}: booking");
        checked += 1;
    }
    assert_eq!(checked, schemas::ALL.len());
}

#[test]
fn a_request_service_without_a_leika_id_or_with_an_unknown_schema_is_refused() {
    let good = r#"
        [[service]]
        id = "dog-registration"
        kind = "request"
        leika = "99108007001000"
        data_schema = "https://schema.buergerterminal.invalid/dog-registration/1.0.0/schema.json"
        name = { de = "Hundeanmeldung" }
        authority = { destination = "0f9e4c2a-7d3b-4e61-8c5f-2b1a9d7e6c30" }

        [[service]]
        id = "status"
        kind = "status-check"
        name = { de = "Stand meines Antrags" }
    "#;
    assert!(matches!(request_services(good).as_deref(), Ok([entry]) if entry.service_id == "dog-registration"));
    let broken = [
        ("no leika id", good.replace("leika = \"99108007001000\"", "")),
        ("a 13-digit leika id", good.replace("99108007001000", "9910800700100")),
        ("an unknown schema", good.replace("dog-registration/1.0.0", "dog-registration/2.0.0")),
        ("another service's schema", good.replace("dog-registration/1.0.0", "bulky-waste/1.0.0")),
        ("no destination", good.replace("authority = { destination = \"0f9e4c2a-7d3b-4e61-8c5f-2b1a9d7e6c30\" }", "")),
        ("not TOML", good.replace("[[service]]", "[[service")),
    ];
    for (what, text) in broken {
        assert!(matches!(request_services(&text), Err(LocalPortalError::Catalogue(_))), "{what} was accepted");
    }
}
