// SPDX-License-Identifier: GPL-3.0-or-later
//! Every service's form data has its own JSON Schema, and the metadata the terminal builds is
//! valid against the published metadata schema (`portal/specs/`).

use chrono::NaiveDate;
use portal::Submission;
use portal::fitconnect::metadata::{self, sha512_hex};
use portal::schemas::{self, BULKY_WASTE_SCHEMA, CITIZENS_OFFICE_APPOINTMENT_SCHEMA, DOG_REGISTRATION_SCHEMA};
use serde_json::{Value, json};
use zeroize::Zeroizing;

/// FITKO's metadata schema 1.0.0, as published (see `portal/specs/README.md`).
const METADATA_SCHEMA: &str = include_str!("../specs/metadata.schema.v1.0.0.json");

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
        "service": "bulky-waste",
        "trackingNumber": "QY4YEAJ8W342",
        "applicant": {
            "givenNames": "ERIKA",
            "familyNames": "MUSTERMANN",
            "placeOfResidence": { "street": "HEIDESTRASSE 17", "postalCode": "51147", "city": "KÖLN", "country": "D" }
        },
        "fields": { "items": "Sofa, 2 Stühle, Matratze", "volume": 3, "phone": "+49 221 123/456-7" },
        "booking": { "slotId": "bulky-waste:express:2026-11-24", "kind": "express", "date": "2026-11-24", "feeCents": 4500 }
    })
}

fn dog_registration_payload() -> Value {
    json!({
        "service": "dog-registration",
        "trackingNumber": "7HKM2PQRSTVW",
        "applicant": {
            "givenNames": "ERIKA",
            "familyNames": "MUSTERMANN",
            "dateOfBirth": "1964-08-12",
            "placeOfResidence": { "street": "HEIDESTRASSE 17", "postalCode": "51147", "city": "KÖLN", "country": "D" }
        },
        "fields": { "dog-name": "Bello", "breed": "Dackel", "microchip": "276098106543210" }
    })
}

fn appointment_payload() -> Value {
    json!({
        "service": "citizens-office-appointment",
        "trackingNumber": "ABCDEFGH2345",
        "applicant": { "givenNames": "ERIKA", "familyNames": "MUSTERMANN" },
        "fields": { "concern": "id-card" },
        "booking": { "slotId": "citizens-office-appointment:2026-11-24T08:30", "kind": "appointment", "date": "2026-11-24", "feeCents": 0 }
    })
}

fn without(mut value: Value, pointer: &str, key: &str) -> Value {
    if let Some(object) = value.pointer_mut(pointer).and_then(Value::as_object_mut) {
        object.remove(key);
    }
    value
}

fn with(mut value: Value, pointer: &str, replacement: Value) -> Value {
    match value.pointer_mut(pointer) {
        Some(slot) => *slot = replacement,
        None => panic!("{pointer} is not in the example"),
    }
    value
}

fn with_new(mut value: Value, pointer: &str, key: &str, added: Value) -> Value {
    match value.pointer_mut(pointer).and_then(Value::as_object_mut) {
        Some(object) => object.insert(key.to_owned(), added),
        None => panic!("{pointer} is not an object in the example"),
    };
    value
}

fn assert_refused(validator: &jsonschema::Validator, cases: Vec<(&str, Value)>) {
    for (what, payload) in cases {
        assert!(!validator.is_valid(&payload), "{what} passed: {payload}");
    }
}

/// Every object in `schema` (an object schema or nested in one) refuses undeclared keys.
fn assert_closed(schema: &Value, at: &str) {
    if let Some(object) = schema.as_object() {
        if object.get("type") == Some(&json!("object")) {
            assert_eq!(object.get("additionalProperties"), Some(&json!(false)), "{at} is open");
        }
        for (key, nested) in object {
            assert_closed(nested, &format!("{at}/{key}"));
        }
    }
}

#[test]
fn every_payload_schema_is_a_valid_2020_12_schema_with_its_uri_as_id_and_no_open_object() {
    for schema in schemas::ALL {
        let value = parse(schema.json);
        assert!(jsonschema::meta::is_valid(&value), "{}", schema.uri);
        assert_eq!(value["$id"], schema.uri);
        assert_eq!(value["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(
            schema.uri,
            format!("https://schema.buergerterminal.invalid/{}/1.0.0/schema.json", schema.service_id)
        );
        assert_eq!(schemas::for_service(schema.service_id).map(|s| s.uri), Some(schema.uri));
        assert_eq!(schemas::for_uri(schema.uri).map(|s| s.service_id), Some(schema.service_id));
        assert_eq!(value["properties"]["service"]["const"], schema.service_id);
        assert_closed(&value, schema.uri);
    }
    assert_eq!(schemas::ALL.len(), 3);
}

#[test]
fn bulky_waste_payload_is_valid_and_violations_are_caught() {
    let validator = validator(&parse(BULKY_WASTE_SCHEMA.json));
    let valid = bulky_waste_payload();
    assert!(validator.is_valid(&valid));
    assert!(validator.is_valid(&with(valid.clone(), "/fields/phone", Value::Null)), "phone is optional (null)");
    assert!(validator.is_valid(&without(valid.clone(), "/fields", "phone")), "phone may be left out");
    assert!(validator.is_valid(&with(valid.clone(), "/booking/kind", json!("standard"))));
    assert_refused(
        &validator,
        vec![
            ("a volume of 9", with(valid.clone(), "/fields/volume", json!(9))),
            ("a volume of 0", with(valid.clone(), "/fields/volume", json!(0))),
            ("a volume as text", with(valid.clone(), "/fields/volume", json!("3"))),
            ("no items", with(valid.clone(), "/fields/items", json!(""))),
            ("121 characters of items", with(valid.clone(), "/fields/items", json!("x".repeat(121)))),
            ("a phone with letters", with(valid.clone(), "/fields/phone", json!("call me"))),
            ("an unknown field", with_new(valid.clone(), "/fields", "email", json!("erika@example.org"))),
            ("an undeclared card item", with_new(valid.clone(), "/applicant", "dateOfBirth", json!("1964-08-12"))),
            ("a missing applicant item", without(valid.clone(), "/applicant", "familyNames")),
            ("an incomplete address", without(valid.clone(), "/applicant/placeOfResidence", "city")),
            ("an appointment booking", with(valid.clone(), "/booking/kind", json!("appointment"))),
            ("no booking", without(valid.clone(), "", "booking")),
            ("a date in German notation", with(valid.clone(), "/booking/date", json!("24.11.2026"))),
            ("another service", with(valid.clone(), "/service", json!("dog-registration"))),
            ("a tracking number with an O", with(valid.clone(), "/trackingNumber", json!("QY4YEAJ8W34O"))),
            ("a short tracking number", with(valid.clone(), "/trackingNumber", json!("QY4YEAJ8W34"))),
            ("an unknown top-level key", with_new(valid, "", "pin", json!("123456"))),
        ],
    );
}

#[test]
fn dog_registration_payload_is_valid_and_violations_are_caught() {
    let validator = validator(&parse(DOG_REGISTRATION_SCHEMA.json));
    let valid = dog_registration_payload();
    assert!(validator.is_valid(&valid));
    assert!(
        validator.is_valid(&with(valid.clone(), "/applicant/dateOfBirth", json!("1964-  -  "))),
        "the card may leave month and day of birth unknown"
    );
    assert_refused(
        &validator,
        vec![
            ("a 14-digit microchip", with(valid.clone(), "/fields/microchip", json!("27609810654321"))),
            ("a 16-digit microchip", with(valid.clone(), "/fields/microchip", json!("2760981065432100"))),
            ("a microchip with a letter", with(valid.clone(), "/fields/microchip", json!("27609810654321A"))),
            ("a microchip as a number", with(valid.clone(), "/fields/microchip", json!(276_098_106_543_210_u64))),
            ("no breed", without(valid.clone(), "/fields", "breed")),
            ("a 41-character dog name", with(valid.clone(), "/fields/dog-name", json!("B".repeat(41)))),
            ("a missing date of birth", without(valid.clone(), "/applicant", "dateOfBirth")),
            ("a date of birth in German notation", with(valid.clone(), "/applicant/dateOfBirth", json!("12.08.1964"))),
            ("an unknown field", with_new(valid.clone(), "/fields", "colour", json!("brown"))),
            ("a booking", with_new(valid, "", "booking", bulky_waste_payload()["booking"].clone())),
        ],
    );
}

#[test]
fn appointment_payload_is_valid_and_violations_are_caught() {
    let validator = validator(&parse(CITIZENS_OFFICE_APPOINTMENT_SCHEMA.json));
    let valid = appointment_payload();
    assert!(validator.is_valid(&valid));
    assert_refused(
        &validator,
        vec![
            ("no concern", without(valid.clone(), "/fields", "concern")),
            ("an unknown concern", with(valid.clone(), "/fields/concern", json!("certificate-of-conduct"))),
            ("a missing given name", without(valid.clone(), "/applicant", "givenNames")),
            ("an undeclared address", with_new(valid.clone(), "/applicant", "placeOfResidence", json!({}))),
            ("an express booking", with(valid.clone(), "/booking/kind", json!("express"))),
            ("a negative fee", with(valid.clone(), "/booking/feeCents", json!(-1))),
            ("no booking", without(valid, "", "booking")),
        ],
    );
}

#[test]
fn metadata_is_valid_against_the_published_schema_and_hashes_the_data() {
    let validator = validator(&parse(METADATA_SCHEMA));
    let data = bulky_waste_payload().to_string();
    let submission = Submission {
        tracking_number: "QY4YEAJ8W342".to_owned(),
        service_id: BULKY_WASTE_SCHEMA.service_id.to_owned(),
        leika_id: "99003012000000".to_owned(),
        service_name: "Sperrmüllabholung".to_owned(),
        destination_id: "6c2b9f0e-5b1d-4c3e-9a51-0d2f7c1e8a41".to_owned(),
        data_schema_uri: BULKY_WASTE_SCHEMA.uri.to_owned(),
        data: Zeroizing::new(data.clone().into_bytes()),
        application_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
    };
    let built = metadata::build(&submission);
    let errors: Vec<String> = validator.iter_errors(&built).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(built["contentStructure"]["data"]["hash"]["content"], sha512_hex(data.as_bytes()));
    assert_eq!(built["additionalReferenceInfo"]["senderReference"], "QY4YEAJ8W342");
    assert_eq!(built["additionalReferenceInfo"]["applicationDate"], "2026-11-23");
    assert_eq!(built["publicServiceType"]["identifier"], "urn:de:fim:leika:leistung:99003012000000");
    assert_eq!(built["publicServiceType"]["name"], "Sperrmüllabholung");
    assert!(!built.to_string().contains("MUSTERMANN"), "metadata carries no personal data");

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
