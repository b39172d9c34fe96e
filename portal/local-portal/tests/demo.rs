// SPDX-License-Identifier: GPL-3.0-or-later
//! Demo mode starts the local portal on loopback by itself and submits through the real
//! client over mutual TLS; its keys survive a restart, its PKI is new each time.

use std::time::Duration;

use chrono::NaiveDate;
use local_portal::demo::DemoPortal;
use portal::schemas::BULKY_WASTE_SCHEMA;
use portal::slots::BULKY_WASTE;
use portal::{Delivery, DeliveryState, Portal, PortalError, Submission};
use zeroize::Zeroizing;

fn submission(tracking_number: &str) -> Submission {
    let data = r#"{"applicant":{"givenNames":"Demo","familyName":"Person","address":{"street":"Marktplatz 1","postalCode":"12345","city":"Musterstadt"}},"collection":{"slotId":"bulky-waste:express:2026-11-24","kind":"express","date":"2026-11-24","feeCents":4500},"items":[{"description":"Sessel","quantity":1}]}"#;
    Submission {
        tracking_number: tracking_number.to_owned(),
        service_id: BULKY_WASTE.to_owned(),
        leika_id: BULKY_WASTE_SCHEMA.leika_id.to_owned(),
        destination_id: local_portal::demo_catalogue()
            .iter()
            .find(|e| e.service_id == BULKY_WASTE)
            .map(|e| e.destination_id.clone())
            .unwrap_or_default(),
        data_schema_uri: BULKY_WASTE_SCHEMA.uri.to_owned(),
        data: Zeroizing::new(data.as_bytes().to_vec()),
        application_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
    }
}

#[test]
fn demo_portal_delivers_over_mutual_tls_and_restarts_with_its_keys() -> Result<(), PortalError> {
    let dir = tempfile::tempdir().map_err(|e| PortalError::Storage { reason: e.to_string() })?;
    let storage = |e: local_portal::LocalPortalError| PortalError::Storage { reason: e.to_string() };
    {
        let demo = DemoPortal::start(dir.path()).map_err(storage)?;
        assert!(demo.local().address().ip().is_loopback());
        assert_eq!(demo.submit(submission("DEMO-0001"))?, Delivery::Sent);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while demo.status("DEMO-0001")?.delivery != DeliveryState::Accepted {
            assert!(std::time::Instant::now() < deadline, "never accepted");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    assert!(dir.path().join("portal-encryption-key.pem").exists());
    let again = DemoPortal::start(dir.path()).map_err(storage)?;
    assert_eq!(again.submit(submission("DEMO-0002"))?, Delivery::Sent);
    assert_eq!(again.local().store().submitted_total().ok(), Some(2));
    Ok(())
}
