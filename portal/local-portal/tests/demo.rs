// SPDX-License-Identifier: GPL-3.0-or-later
//! Demo mode starts the local portal on loopback by itself and submits through the real
//! client over mutual TLS; its keys survive a restart, its PKI is new each time.

use std::error::Error;
use std::time::Duration;

use chrono::NaiveDate;
use local_portal::demo::DemoPortal;
use portal::slots::BULKY_WASTE;
use portal::{Delivery, DeliveryState, Portal, Submission};
use serde_json::json;
use zeroize::Zeroizing;

fn submission(tracking_number: &str) -> Submission {
    let data = json!({
        "service": BULKY_WASTE,
        "trackingNumber": tracking_number,
        "applicant": {
            "givenNames": "DEMO",
            "familyNames": "PERSON",
            "placeOfResidence": { "street": "MARKTPLATZ 1", "postalCode": "12345", "city": "MUSTERSTADT", "country": "D" }
        },
        "fields": { "items": "Sessel", "volume": 1, "phone": "0221 123456" },
        "booking": { "slotId": "bulky-waste:express:2026-11-24", "kind": "express", "date": "2026-11-24", "feeCents": 4500 }
    });
    let service = match local_portal::demo_catalogue() {
        Ok(catalogue) => catalogue.into_iter().find(|e| e.service_id == BULKY_WASTE),
        Err(e) => panic!("{e}"),
    };
    let Some(service) = service else { panic!("the catalogue has no {BULKY_WASTE}") };
    Submission {
        tracking_number: tracking_number.to_owned(),
        service_id: service.service_id,
        leika_id: service.leika_id,
        service_name: service.name,
        destination_id: service.destination_id,
        data_schema_uri: service.data_schema_uri,
        data: Zeroizing::new(data.to_string().into_bytes()),
        application_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
    }
}

#[test]
fn demo_portal_delivers_over_mutual_tls_and_restarts_with_its_keys() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    {
        let demo = DemoPortal::start(dir.path())?;
        assert!(demo.local().address().ip().is_loopback());
        assert_eq!(demo.submit(submission("DEMQPRJ2345A"))?, Delivery::Sent);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while demo.status("DEMQPRJ2345A")?.delivery != DeliveryState::Accepted {
            assert!(std::time::Instant::now() < deadline, "never accepted");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    assert!(dir.path().join("portal-encryption-key.pem").exists());
    let again = DemoPortal::start(dir.path())?;
    assert_eq!(again.submit(submission("DEMQPRJ2345B"))?, Delivery::Sent);
    assert_eq!(again.local().store().submitted_total().ok(), Some(2));
    Ok(())
}
