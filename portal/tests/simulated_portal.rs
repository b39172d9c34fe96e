// SPDX-License-Identifier: GPL-3.0-or-later
//! The simulated portal's behaviour, as demo mode and the kiosk's UI tests rely on it.

use chrono::NaiveDate;
use portal::schemas::BULKY_WASTE_SCHEMA;
use portal::slots::{BULKY_WASTE, CITIZENS_OFFICE_APPOINTMENT};
use portal::{Delivery, DeliveryState, Portal, PortalError, SimulatedPortal, SlotKind, Submission};
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

fn submission(tracking_number: &str, data: &str) -> Submission {
    Submission {
        tracking_number: tracking_number.to_owned(),
        service_id: BULKY_WASTE.to_owned(),
        leika_id: "99003012000000".to_owned(),
        service_name: "Sperrmüllabholung".to_owned(),
        destination_id: "6c2b9f0e-5b1d-4c3e-9a51-0d2f7c1e8a41".to_owned(),
        data_schema_uri: BULKY_WASTE_SCHEMA.uri.to_owned(),
        data: Zeroizing::new(data.as_bytes().to_vec()),
        application_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
    }
}

#[test]
fn submit_records_only_size_and_hash_and_answers_sent() -> Result<(), PortalError> {
    let portal = SimulatedPortal::new();
    let data = r#"{"service":"bulky-waste","trackingNumber":"QY4YEAJ8W342","applicant":{"givenNames":"ERIKA","familyNames":"MUSTERMANN","placeOfResidence":{"street":"HEIDESTRASSE 17","postalCode":"51147","city":"KÖLN","country":"D"}},"fields":{"items":"Sofa","volume":2,"phone":null},"booking":{"slotId":"bulky-waste:standard:2026-12-07","kind":"standard","date":"2026-12-07","feeCents":0}}"#;
    assert_eq!(portal.submit(submission("BT-0001", data))?, Delivery::Sent);
    let record = portal.record("BT-0001").ok_or(PortalError::NotFound { tracking_number: "BT-0001".into() })?;
    assert_eq!(record.service_id, BULKY_WASTE);
    assert_eq!(record.payload_len, data.len());
    assert_eq!(record.payload_sha512.as_slice(), Sha512::digest(data.as_bytes()).as_slice());
    assert!(record.delivered);
    assert!(!format!("{record:?}").contains("MUSTERMANN"));
    Ok(())
}

#[test]
fn submission_debug_output_withholds_the_payload() {
    let shown = format!("{:?}", submission("BT-0002", r#"{"name":"Erika Mustermann"}"#));
    assert!(!shown.contains("Mustermann"), "{shown}");
    assert!(shown.contains("27 bytes withheld"), "{shown}");
}

#[test]
fn payload_that_is_not_a_json_object_is_refused_and_not_recorded() {
    let portal = SimulatedPortal::new();
    for bad in ["", "[1,2]", "{\"name\": ", "{\"a\":1} trailing", "\"Erika\""] {
        let result = portal.submit(submission("BT-0003", bad));
        assert!(matches!(result, Err(PortalError::InvalidPayload { .. })), "{bad:?}: {result:?}");
        if let Err(e) = result {
            assert!(!e.to_string().contains("Erika"), "{e}");
        }
    }
    assert_eq!(portal.submission_count(), 0);
}

#[test]
fn offline_portal_queues_until_it_comes_back() -> Result<(), PortalError> {
    let portal = SimulatedPortal::offline();
    assert_eq!(portal.submit(submission("BT-0004", "{}"))?, Delivery::Queued);
    assert_eq!(portal.status("BT-0004")?.delivery, DeliveryState::Queued);
    portal.set_offline(false);
    assert_eq!(portal.status("BT-0004")?.delivery, DeliveryState::Received);
    assert_eq!(portal.submit(submission("BT-0005", "{}"))?, Delivery::Sent);
    Ok(())
}

#[test]
fn status_of_unknown_tracking_number_is_not_found() {
    let portal = SimulatedPortal::new();
    assert_eq!(portal.status("BT-9999"), Err(PortalError::NotFound { tracking_number: "BT-9999".into() }));
}

#[test]
fn scripted_progression_advances_per_query_and_stays_at_the_end() -> Result<(), PortalError> {
    let portal = SimulatedPortal::new().with_progression(vec![
        (DeliveryState::Received, None),
        (DeliveryState::Accepted, Some("collection scheduled".into())),
    ]);
    portal.submit(submission("BT-0006", "{}"))?;
    let first = portal.status("BT-0006")?;
    assert_eq!((first.delivery, first.processing), (DeliveryState::Received, None));
    for _ in 0..2 {
        let later = portal.status("BT-0006")?;
        assert_eq!(later.delivery, DeliveryState::Accepted);
        assert_eq!(later.processing.as_deref(), Some("collection scheduled"));
        assert_eq!(later.service_id.as_deref(), Some(BULKY_WASTE));
    }
    Ok(())
}

#[test]
fn slots_come_from_the_demo_calendar_through_a_shared_handle() -> Result<(), PortalError> {
    let portal: std::sync::Arc<dyn Portal> = std::sync::Arc::new(SimulatedPortal::new());
    let from = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
    let bulky = portal.slots(BULKY_WASTE, from, 30)?;
    assert!(bulky.iter().any(|s| s.kind == SlotKind::Express && s.fee_cents > 0));
    assert!(bulky.iter().any(|s| s.kind == SlotKind::Standard && s.fee_cents == 0));
    let appointments = portal.slots(CITIZENS_OFFICE_APPOINTMENT, from, 7)?;
    assert!(appointments.iter().all(|s| s.kind == SlotKind::Appointment && s.time.is_some()));
    assert!(matches!(portal.slots("unknown", from, 7), Err(PortalError::UnknownService { .. })));
    Ok(())
}
