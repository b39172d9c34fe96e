// SPDX-License-Identifier: GPL-3.0-or-later
//! Every service's form data has its own JSON Schema, and the metadata the terminal builds is
//! valid against the published metadata schema (`../shared/specs/`, beside the workspace).

use std::path::PathBuf;

use chrono::NaiveDate;
use portal::Submission;
use portal::fitconnect::metadata::{self, sha512_hex};
use portal::schemas::{self, BULKY_WASTE_SCHEMA, CITIZENS_OFFICE_APPOINTMENT_SCHEMA};
use serde_json::{Value, json};
use zeroize::Zeroizing;

fn specs_dir() -> PathBuf {
    // The workspace root is this crate's parent; shared/ lies beside the workspace.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs")
}

fn validator(schema: &Value) -> jsonschema::Validator {
    match jsonschema::options().should_validate_formats(true).build(schema) {
        Ok(validator) => validator,
        Err(e) => panic!("schema does not compile: {e}"),
    }
}

fn parse(text: &str) -> Value {
    match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => panic!("not JSON: {e}"),
    }
}

fn bulky_waste_payload() -> Value {
    json!({
        "applicant": {
            "givenNames": "Erika",
            "familyName": "Mustermann",
            "address": { "street": "Heidestraße 17", "postalCode": "51147", "city": "Köln" }
        },
        "collection": { "slotId": "bulky-waste:express:2026-11-24", "kind": "express", "date": "2026-11-24", "feeCents": 4500 },
        "items": [{ "description": "Sofa", "quantity": 1 }],
        "contact": { "phone": "+49 221 123456", "email": "erika@example.org" }
    })
}

fn appointment_payload() -> Value {
    json!({
        "applicant": { "givenNames": "Erika", "familyName": "Mustermann", "dateOfBirth": "1964-08-12" },
        "appointment": { "slotId": "citizens-office-appointment:2026-11-24T08:30", "date": "2026-11-24", "start": "08:30", "end": "09:00" },
        "concern": "id-card"
    })
}

#[test]
fn every_payload_schema_is_a_valid_2020_12_schema_with_its_uri_as_id() {
    for schema in schemas::ALL {
        let value = parse(schema.json);
        assert!(jsonschema::meta::is_valid(&value), "{}", schema.uri);
        assert_eq!(value["$id"], schema.uri);
        assert_eq!(schemas::for_service(schema.service_id).map(|s| s.uri), Some(schema.uri));
        assert_eq!(schemas::for_uri(schema.uri).map(|s| s.service_id), Some(schema.service_id));
        assert_eq!(schema.leika_id.len(), 14, "{}", schema.service_id);
    }
}

#[test]
fn bulky_waste_payload_is_valid_and_violations_are_caught() {
    let validator = validator(&parse(BULKY_WASTE_SCHEMA.json));
    assert!(validator.is_valid(&bulky_waste_payload()));

    let mut no_items = bulky_waste_payload();
    no_items["items"] = json!([]);
    let mut bad_postcode = bulky_waste_payload();
    bad_postcode["applicant"]["address"]["postalCode"] = json!("5114");
    let mut unknown_kind = bulky_waste_payload();
    unknown_kind["collection"]["kind"] = json!("overnight");
    let mut extra_field = bulky_waste_payload();
    extra_field["applicant"]["pin"] = json!("123456");
    let mut bad_date = bulky_waste_payload();
    bad_date["collection"]["date"] = json!("24.11.2026");
    for (what, payload) in [
        ("no items", no_items),
        ("bad postcode", bad_postcode),
        ("unknown kind", unknown_kind),
        ("extra field", extra_field),
        ("bad date", bad_date),
    ] {
        assert!(!validator.is_valid(&payload), "{what} passed");
    }
}

#[test]
fn appointment_payload_is_valid_and_violations_are_caught() {
    let validator = validator(&parse(CITIZENS_OFFICE_APPOINTMENT_SCHEMA.json));
    assert!(validator.is_valid(&appointment_payload()));
    let mut no_concern = appointment_payload();
    if let Some(object) = no_concern.as_object_mut() {
        object.remove("concern");
    }
    let mut bad_time = appointment_payload();
    bad_time["appointment"]["start"] = json!("8:30");
    assert!(!validator.is_valid(&no_concern));
    assert!(!validator.is_valid(&bad_time));
}

#[test]
fn metadata_is_valid_against_the_published_schema_and_hashes_the_data() {
    let path = specs_dir().join("metadata.schema.v1.0.0.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => panic!("{} must lie beside the workspace: {e}", path.display()),
    };
    let validator = validator(&parse(&text));
    let data = bulky_waste_payload().to_string();
    let submission = Submission {
        tracking_number: "BT-2026-000123".to_owned(),
        service_id: BULKY_WASTE_SCHEMA.service_id.to_owned(),
        leika_id: BULKY_WASTE_SCHEMA.leika_id.to_owned(),
        destination_id: "5d0c5d3c-51c8-4c1a-9e63-0f5f2c4d6a01".to_owned(),
        data_schema_uri: BULKY_WASTE_SCHEMA.uri.to_owned(),
        data: Zeroizing::new(data.clone().into_bytes()),
        application_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
    };
    let built = metadata::build(&submission);
    let errors: Vec<String> = validator.iter_errors(&built).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(built["contentStructure"]["data"]["hash"]["content"], sha512_hex(data.as_bytes()));
    assert_eq!(built["additionalReferenceInfo"]["senderReference"], "BT-2026-000123");
    assert_eq!(built["additionalReferenceInfo"]["applicationDate"], "2026-11-23");
    assert_eq!(built["publicServiceType"]["identifier"], "urn:de:fim:leika:leistung:99003012000000");
    assert!(!built.to_string().contains("Mustermann"), "metadata carries no personal data");

    let mut broken = built.clone();
    broken["contentStructure"]["data"]["hash"]["content"] = json!("not-a-hash");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sha512_of_the_empty_string_matches_fips_180_4() {
    // FIPS 180-4 / NIST example: SHA-512("").
    assert_eq!(
        sha512_hex(b""),
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
    );
}
