// SPDX-License-Identifier: GPL-3.0-or-later
//! Shared test fixtures: portal keys generated once per test binary, a local portal with a
//! fresh PKI in a temporary directory, and citizens' requests in the kiosk's payload shape.

#![allow(dead_code)]

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use local_portal::PortalKeys;
use local_portal::demo::{LocalSetup, start_local};
use portal::fitconnect::Backoff;
use portal::fitconnect::client::CatalogueEntry;
use portal::http::Limits;
use portal::schemas::DOG_REGISTRATION;
use portal::slots::{BULKY_WASTE, CITIZENS_OFFICE_APPOINTMENT};
use portal::{FitConnectConfig, Submission};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// RSA 4096 generation takes seconds in a debug build: once per test binary.
pub fn keys() -> PortalKeys {
    static KEYS: OnceLock<PortalKeys> = OnceLock::new();
    KEYS.get_or_init(|| match PortalKeys::generate() {
        Ok(keys) => keys,
        Err(e) => panic!("cannot generate the portal keys: {e}"),
    })
    .clone()
}

/// A local portal in `dir`, with a client configuration tuned for tests (short waits).
pub fn local(dir: &Path) -> LocalSetup {
    let mut setup = match start_local(dir, keys()) {
        Ok(setup) => setup,
        Err(e) => panic!("cannot start the local portal: {e}"),
    };
    fast(&mut setup.client);
    setup
}

/// Short timeouts and backoff, so fault tests finish quickly.
pub fn fast(config: &mut FitConnectConfig) {
    config.limits = Limits {
        connect: Duration::from_millis(1000),
        io: Duration::from_millis(1500),
        total: Duration::from_millis(2500),
        max_body: 256 * 1024,
    };
    config.submit_wait = Duration::from_secs(5);
    config.backoff = Backoff { initial: Duration::from_millis(50), max: Duration::from_millis(400) };
    config.confirm_interval = Duration::from_millis(100);
}

pub const CITIZEN_NAME: &str = "MUSTERMANN-GABLER";

/// The alphabet of tracking numbers (no 0, 1, I, O, U: nothing to misread on a receipt).
const TRACKING_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTVWXYZ";

/// A valid tracking number (12 characters of the receipt alphabet) derived from `label`, so
/// each test names its requests readably and still sends what a terminal sends.
pub fn tracking(label: &str) -> String {
    let digest = Sha256::digest(label.as_bytes());
    digest.iter().take(12).map(|b| char::from(TRACKING_ALPHABET[usize::from(*b) % TRACKING_ALPHABET.len()])).collect()
}

/// The catalogue entry of `service_id`, from the kiosk's catalogue.
pub fn service(service_id: &str) -> CatalogueEntry {
    match local_portal::demo_catalogue() {
        Ok(catalogue) => match catalogue.into_iter().find(|e| e.service_id == service_id) {
            Some(entry) => entry,
            None => panic!("the catalogue has no service {service_id}"),
        },
        Err(e) => panic!("{e}"),
    }
}

fn submission(tracking_number: &str, destination_id: &str, service_id: &str, data: &Value) -> Submission {
    let entry = service(service_id);
    Submission {
        tracking_number: tracking_number.to_owned(),
        service_id: entry.service_id,
        leika_id: entry.leika_id,
        service_name: entry.name,
        destination_id: destination_id.to_owned(),
        data_schema_uri: entry.data_schema_uri,
        data: Zeroizing::new(data.to_string().into_bytes()),
        application_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
    }
}

/// A valid bulky-waste request, as the kiosk builds it.
pub fn bulky_waste(tracking_number: &str, destination_id: &str) -> Submission {
    let data = json!({
        "service": BULKY_WASTE,
        "trackingNumber": tracking_number,
        "applicant": {
            "givenNames": "ERIKA",
            "familyNames": CITIZEN_NAME,
            "placeOfResidence": { "street": "HEIDESTRASSE 17", "postalCode": "51147", "city": "KÖLN", "country": "D" }
        },
        "fields": { "items": "Sofa, Schrank", "volume": 3, "phone": null },
        "booking": { "slotId": "bulky-waste:standard:2026-12-07", "kind": "standard", "date": "2026-12-07", "feeCents": 0 }
    });
    submission(tracking_number, destination_id, BULKY_WASTE, &data)
}

/// A valid dog registration (no booking).
pub fn dog_registration(tracking_number: &str, destination_id: &str) -> Submission {
    let data = json!({
        "service": DOG_REGISTRATION,
        "trackingNumber": tracking_number,
        "applicant": {
            "givenNames": "ERIKA",
            "familyNames": CITIZEN_NAME,
            "dateOfBirth": "1964-08-12",
            "placeOfResidence": { "street": "HEIDESTRASSE 17", "postalCode": "51147", "city": "KÖLN", "country": "D" }
        },
        "fields": { "dog-name": "Bello", "breed": "Dackel", "microchip": "276098106543210" }
    });
    submission(tracking_number, destination_id, DOG_REGISTRATION, &data)
}

/// An appointment request whose data violates its schema (no concern given).
pub fn invalid_appointment(tracking_number: &str, destination_id: &str) -> Submission {
    let data = json!({
        "service": CITIZENS_OFFICE_APPOINTMENT,
        "trackingNumber": tracking_number,
        "applicant": { "givenNames": "ERIKA", "familyNames": "MUSTERMANN" },
        "fields": {},
        "booking": { "slotId": "citizens-office-appointment:2026-11-24T08:00", "kind": "appointment", "date": "2026-11-24", "feeCents": 0 }
    });
    submission(tracking_number, destination_id, CITIZENS_OFFICE_APPOINTMENT, &data)
}

/// Destination of a service in the setup's configuration.
pub fn destination(setup: &LocalSetup, service_id: &str) -> String {
    setup.client.destinations.get(service_id).cloned().unwrap_or_default()
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
pub fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
