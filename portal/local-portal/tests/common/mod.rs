// SPDX-License-Identifier: GPL-3.0-or-later
//! Shared test fixtures: portal keys generated once per test binary, a local portal with a
//! fresh PKI in a temporary directory, and citizens' requests.

#![allow(dead_code)]

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use local_portal::PortalKeys;
use local_portal::demo::{LocalSetup, start_local};
use portal::fitconnect::Backoff;
use portal::http::Limits;
use portal::schemas::{BULKY_WASTE_SCHEMA, CITIZENS_OFFICE_APPOINTMENT_SCHEMA};
use portal::{FitConnectConfig, Submission};
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

pub const CITIZEN_NAME: &str = "Mustermann-Gabler";

/// A valid bulky-waste request.
pub fn bulky_waste(tracking_number: &str, destination_id: &str) -> Submission {
    let data = format!(
        r#"{{"applicant":{{"givenNames":"Erika","familyName":"{CITIZEN_NAME}","address":{{"street":"Heidestraße 17","postalCode":"51147","city":"Köln"}}}},"collection":{{"slotId":"bulky-waste:standard:2026-12-07","kind":"standard","date":"2026-12-07","feeCents":0}},"items":[{{"description":"Sofa","quantity":1}},{{"description":"Schrank","quantity":2}}]}}"#
    );
    Submission {
        tracking_number: tracking_number.to_owned(),
        service_id: BULKY_WASTE_SCHEMA.service_id.to_owned(),
        leika_id: BULKY_WASTE_SCHEMA.leika_id.to_owned(),
        destination_id: destination_id.to_owned(),
        data_schema_uri: BULKY_WASTE_SCHEMA.uri.to_owned(),
        data: Zeroizing::new(data.into_bytes()),
        application_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
    }
}

/// An appointment request whose data violates its schema (no concern given).
pub fn invalid_appointment(tracking_number: &str, destination_id: &str) -> Submission {
    let data = r#"{"applicant":{"givenNames":"Erika","familyName":"Mustermann"},"appointment":{"slotId":"x","date":"2026-11-24","start":"08:00","end":"08:30"}}"#;
    Submission {
        tracking_number: tracking_number.to_owned(),
        service_id: CITIZENS_OFFICE_APPOINTMENT_SCHEMA.service_id.to_owned(),
        leika_id: CITIZENS_OFFICE_APPOINTMENT_SCHEMA.leika_id.to_owned(),
        destination_id: destination_id.to_owned(),
        data_schema_uri: CITIZENS_OFFICE_APPOINTMENT_SCHEMA.uri.to_owned(),
        data: Zeroizing::new(data.as_bytes().to_vec()),
        application_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
    }
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
