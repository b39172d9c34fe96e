// SPDX-License-Identifier: GPL-3.0-or-later
//! The terminal's requests travel through the FIT-Connect client to the local portal over
//! mutual TLS: encrypted, validated against the published contract, confirmed by signed events.

mod common;

use std::error::Error;
use std::time::Duration;

use chrono::NaiveDate;
use common::{bulky_waste, destination, dog_registration, eventually, invalid_appointment, local, tracking};
use portal::schemas::DOG_REGISTRATION;
use portal::slots::{BULKY_WASTE, CITIZENS_OFFICE_APPOINTMENT};
use portal::{Delivery, DeliveryState, FitConnectPortal, Portal, PortalError, SlotKind};

#[test]
fn submission_is_sent_over_mutual_tls_and_confirmed_by_signed_events() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let client = FitConnectPortal::start(setup.client.clone())?;
    client.prefetch_keys()?;

    let destination_id = destination(&setup, BULKY_WASTE);
    assert_eq!(client.submit(bulky_waste(&tracking("BT-E2E-0001"), &destination_id))?, Delivery::Sent);
    assert_eq!(setup.portal.store().submitted_count(&tracking("BT-E2E-0001")).ok(), Some(1));

    // The worker reads the verified event log: submit-submission, then accept-submission.
    assert!(eventually(Duration::from_secs(10), || {
        client.status(&tracking("BT-E2E-0001")).is_ok_and(|s| s.delivery == DeliveryState::Accepted)
    }));
    let status = client.status(&tracking("BT-E2E-0001"))?;
    assert_eq!(status.service_id.as_deref(), Some(BULKY_WASTE));
    assert!(eventually(Duration::from_secs(10), || client.health().is_ok_and(|h| h.depth == 0 && h.unconfirmed == 0)));
    Ok(())
}

#[test]
fn status_is_found_from_another_terminal_by_tracking_number() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let first = FitConnectPortal::start(setup.client.clone())?;
    assert_eq!(first.submit(bulky_waste(&tracking("BT-E2E-0002"), &destination(&setup, BULKY_WASTE)))?, Delivery::Sent);

    let mut other_terminal = setup.client.clone();
    other_terminal.queue_path = dir.path().join("other-terminal.sqlite");
    let second = FitConnectPortal::start(other_terminal)?;
    let status = second.status(&tracking("BT-E2E-0002"))?;
    assert_eq!(status.delivery, DeliveryState::Accepted);
    assert_eq!(status.service_id.as_deref(), Some(BULKY_WASTE));
    assert_eq!(
        second.status(&tracking("BT-E2E-9999")),
        Err(PortalError::NotFound { tracking_number: tracking("BT-E2E-9999") })
    );
    Ok(())
}

#[test]
fn data_violating_its_schema_is_delivered_and_then_rejected_by_the_authority() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let client = FitConnectPortal::start(setup.client.clone())?;
    let destination_id = destination(&setup, CITIZENS_OFFICE_APPOINTMENT);
    assert_eq!(client.submit(invalid_appointment(&tracking("BT-E2E-0003"), &destination_id))?, Delivery::Sent);
    assert_eq!(client.status(&tracking("BT-E2E-0003"))?.delivery, DeliveryState::Rejected);
    Ok(())
}

#[test]
fn dog_registration_without_a_booking_is_accepted_by_the_tax_office() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let client = FitConnectPortal::start(setup.client.clone())?;
    let destination_id = destination(&setup, DOG_REGISTRATION);
    assert_eq!(destination_id, common::service(DOG_REGISTRATION).destination_id);
    assert_ne!(destination_id, destination(&setup, BULKY_WASTE), "each authority has its own destination");
    let tracking_number = tracking("BT-E2E-DOG");
    assert_eq!(client.submit(dog_registration(&tracking_number, &destination_id))?, Delivery::Sent);
    assert!(eventually(Duration::from_secs(10), || {
        client.status(&tracking_number).is_ok_and(|s| s.delivery == DeliveryState::Accepted)
    }));
    Ok(())
}

#[test]
fn data_whose_tracking_number_is_not_the_sender_reference_is_rejected() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let client = FitConnectPortal::start(setup.client.clone())?;
    let mut submission = bulky_waste(&tracking("BT-E2E-IN-DATA"), &destination(&setup, BULKY_WASTE));
    submission.tracking_number = tracking("BT-E2E-ON-RECEIPT");
    assert_eq!(client.submit(submission)?, Delivery::Sent);
    assert_eq!(client.status(&tracking("BT-E2E-ON-RECEIPT"))?.delivery, DeliveryState::Rejected);
    Ok(())
}

#[test]
fn calendar_and_catalogue_come_from_the_extension() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let client = FitConnectPortal::start(setup.client.clone())?;
    let from = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
    let remote = client.slots(BULKY_WASTE, from, 30)?;
    assert_eq!(remote, portal::slots::demo_calendar(BULKY_WASTE, from, 30)?);
    assert!(remote.iter().any(|s| s.kind == SlotKind::Express));
    let appointments = client.slots(CITIZENS_OFFICE_APPOINTMENT, from, 7)?;
    assert_eq!(appointments, portal::slots::demo_calendar(CITIZENS_OFFICE_APPOINTMENT, from, 7)?);
    assert!(matches!(client.slots("dog-licence", from, 7), Err(PortalError::UnknownService { .. })));
    let catalogue = client.catalogue()?;
    assert_eq!(Ok(catalogue), local_portal::demo_catalogue().map_err(|e| e.to_string()));
    Ok(())
}

#[test]
fn resubmitting_a_tracking_number_delivers_it_only_once() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let client = FitConnectPortal::start(setup.client.clone())?;
    let destination_id = destination(&setup, BULKY_WASTE);
    assert_eq!(client.submit(bulky_waste(&tracking("BT-E2E-0004"), &destination_id))?, Delivery::Sent);
    assert_eq!(client.submit(bulky_waste(&tracking("BT-E2E-0004"), &destination_id))?, Delivery::Sent);
    assert!(eventually(Duration::from_secs(10), || client.health().is_ok_and(|h| h.unconfirmed == 0)));
    assert_eq!(setup.portal.store().submitted_count(&tracking("BT-E2E-0004")).ok(), Some(1));
    Ok(())
}

fn file_contains(path: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read(path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
}

#[test]
fn neither_the_queue_nor_the_portal_store_holds_the_citizens_data_in_clear() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let client = FitConnectPortal::start(setup.client.clone())?;
    client.prefetch_keys()?;
    let destination_id = destination(&setup, BULKY_WASTE);
    let restart = setup.portal_config.clone();
    drop(setup.portal);
    assert_eq!(client.submit(bulky_waste(&tracking("BT-E2E-0005"), &destination_id))?, Delivery::Queued);

    // Queued (portal down): the request is on disk, encrypted only.
    let name = common::CITIZEN_NAME.as_bytes();
    let queue_files: Vec<_> = ["queue.sqlite", "queue.sqlite-wal"].iter().map(|f| dir.path().join(f)).collect();
    assert!(queue_files.iter().any(|f| file_contains(f, tracking("BT-E2E-0005").as_bytes())), "the request is stored");
    for file in &queue_files {
        assert!(!file_contains(file, name), "{} holds the citizen's name", file.display());
    }

    let portal = local_portal::LocalPortal::start(restart)?;
    assert!(client.wait_until_handed_over(Duration::from_secs(20))?);
    assert_eq!(portal.store().submitted_count(&tracking("BT-E2E-0005")).ok(), Some(1));
    for file in ["local-portal.sqlite", "local-portal.sqlite-wal"] {
        assert!(!file_contains(&dir.path().join(file), name), "{file} holds the citizen's name");
    }
    Ok(())
}
