// SPDX-License-Identifier: GPL-3.0-or-later
//! Faults and bad input: whatever the portal or the network does, nothing is lost, the citizen
//! gets a queued receipt, and every request reaches the portal exactly once when it recovers.
//! Untrusted TLS peers are refused with a clear error; a full queue is reported before the
//! citizen leaves.

mod common;

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use common::{bulky_waste, destination, eventually, local, tracking};
use local_portal::pki::{TestCa, Validity};
use local_portal::{Fault, LocalPortal, LocalPortalConfig};
use portal::error::TlsFailure;
use portal::http::{BaseUrl, HttpsClient, Limits};
use portal::slots::BULKY_WASTE;
use portal::tls::TlsMaterial;
use portal::{Delivery, FitConnectPortal, Portal, PortalError};
use rustls::{AlertDescription, CertificateError};

fn start(config: LocalPortalConfig) -> LocalPortal {
    match LocalPortal::start(config) {
        Ok(portal) => portal,
        Err(e) => panic!("cannot start the local portal: {e}"),
    }
}

/// Submits while the portal shows `fault`: the receipt says queued; once the fault is gone the
/// request is delivered exactly once.
fn queued_during_fault_then_delivered_once(fault: Fault, tracking_number: &str) -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let client = FitConnectPortal::start(setup.client.clone())?;
    client.prefetch_keys()?;
    setup.portal.set_fault(fault);

    let submission = bulky_waste(tracking_number, &destination(&setup, BULKY_WASTE));
    assert_eq!(client.submit(submission)?, Delivery::Queued, "{fault:?}");
    let health = client.health()?;
    assert_eq!(health.depth, 1, "{fault:?}");
    assert!(health.oldest_age.is_some());
    assert!(eventually(Duration::from_secs(10), || client.health().is_ok_and(|h| h.last_error.is_some())), "{fault:?}");

    setup.portal.set_fault(Fault::None);
    assert!(client.wait_until_handed_over(Duration::from_secs(20))?, "{fault:?}");
    assert!(eventually(Duration::from_secs(10), || client.health().is_ok_and(|h| h.unconfirmed == 0)));
    assert_eq!(setup.portal.store().submitted_count(tracking_number).ok(), Some(1), "{fault:?}");
    assert_eq!(setup.portal.store().submitted_total().ok(), Some(1), "{fault:?}");
    Ok(())
}

#[test]
fn portal_answering_500_leaves_the_request_queued_until_it_recovers() -> Result<(), Box<dyn Error>> {
    queued_during_fault_then_delivered_once(Fault::Status500, &tracking("BT-F-500"))
}

#[test]
fn portal_slower_than_the_timeout_leaves_the_request_queued() -> Result<(), Box<dyn Error>> {
    queued_during_fault_then_delivered_once(Fault::Slow(Duration::from_secs(4)), &tracking("BT-F-SLOW"))
}

#[test]
fn portal_answering_invalid_json_leaves_the_request_queued() -> Result<(), Box<dyn Error>> {
    queued_during_fault_then_delivered_once(Fault::InvalidJson, &tracking("BT-F-JSON"))
}

#[test]
fn portal_answering_the_wrong_content_type_leaves_the_request_queued() -> Result<(), Box<dyn Error>> {
    queued_during_fault_then_delivered_once(Fault::WrongContentType, &tracking("BT-F-CTYPE"))
}

#[test]
fn portal_sending_an_endless_body_leaves_the_request_queued() -> Result<(), Box<dyn Error>> {
    queued_during_fault_then_delivered_once(Fault::EndlessBody, &tracking("BT-F-ENDLESS"))
}

#[test]
fn portal_down_queues_requests_and_delivers_them_when_it_is_back() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let client = FitConnectPortal::start(setup.client.clone())?;
    client.prefetch_keys()?;
    let destination_id = destination(&setup, BULKY_WASTE);
    let restart = setup.portal_config.clone();
    drop(setup.portal);

    assert_eq!(client.submit(bulky_waste(&tracking("BT-F-DOWN"), &destination_id))?, Delivery::Queued);
    assert!(eventually(Duration::from_secs(10), || {
        client.health().is_ok_and(|h| h.last_error.as_deref().is_some_and(|e| e.contains("cannot be reached")))
    }));

    let portal = start(restart);
    assert!(client.wait_until_handed_over(Duration::from_secs(20))?);
    assert_eq!(portal.store().submitted_count(&tracking("BT-F-DOWN")).ok(), Some(1));
    Ok(())
}

#[test]
fn a_thousand_requests_queued_during_an_outage_are_all_delivered_once() -> Result<(), Box<dyn Error>> {
    const COUNT: usize = 1000;
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let client = FitConnectPortal::start(setup.client.clone())?;
    client.prefetch_keys()?;
    let destination_id = destination(&setup, BULKY_WASTE);
    let restart = setup.portal_config.clone();
    drop(setup.portal);

    for i in 0..COUNT {
        assert!(client.enqueue(&bulky_waste(&tracking(&format!("BT-K-{i:04}")), &destination_id))?);
    }
    assert_eq!(client.health()?.depth, COUNT as u64);

    let portal = start(restart);
    assert!(client.wait_until_handed_over(Duration::from_secs(300))?, "{:?}", client.health());
    assert_eq!(portal.store().submitted_total().ok(), Some(COUNT as u64));
    assert_eq!(portal.store().duplicate_tracking_numbers().ok(), Some(0));
    Ok(())
}

#[test]
fn full_queue_refuses_the_request_before_the_citizen_leaves() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let mut config = setup.client.clone();
    config.queue_max_bytes = Some(96 * 1024);
    let client = FitConnectPortal::start(config)?;
    client.prefetch_keys()?;
    let destination_id = destination(&setup, BULKY_WASTE);
    drop(setup.portal);

    let mut refused = None;
    for i in 0..200 {
        let tracking_number = tracking(&format!("BT-FULL-{i:03}"));
        match client.enqueue(&bulky_waste(&tracking_number, &destination_id)) {
            Ok(inserted) => assert!(inserted),
            Err(error) => {
                refused = Some((tracking_number, error));
                break;
            }
        }
    }
    let Some((tracking_number, error)) = refused else {
        panic!("a queue capped at 96 KiB accepted 200 requests");
    };
    assert!(matches!(error, PortalError::Storage { .. }), "{error:?}");
    assert!(error.to_string().contains("tell the citizen"), "{error}");
    assert_eq!(client.step(&tracking_number)?, None, "nothing half-stored");
    // Through the Portal trait the same refusal reaches the kiosk as an error, never a receipt.
    let result = client.submit(bulky_waste(&tracking("BT-FULL-LAST"), &destination_id));
    assert!(matches!(result, Err(PortalError::Storage { .. })), "{result:?}");
    Ok(())
}

/// Asserts that the connection was refused in the handshake with the rustls error `expected`
/// describes.
fn expect_tls_refusal(
    result: Result<impl std::fmt::Debug, PortalError>,
    expected: &str,
    is_expected: impl Fn(&rustls::Error) -> bool,
) {
    match result {
        Err(PortalError::Tls { cause: TlsFailure::Connection(error) }) => {
            assert!(is_expected(&error), "{error} is not {expected}");
        }
        other => panic!("expected a TLS refusal ({expected}), got {other:?}"),
    }
}

#[test]
fn portal_certificate_from_another_ca_is_refused() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let stranger = TestCa::generate("Some other CA")?;
    let mut config = setup.client.clone();
    config.tls.ca_pem = stranger.cert_pem.into_bytes();
    let client = FitConnectPortal::start(config)?;
    expect_tls_refusal(client.catalogue(), "UnknownIssuer", |e| {
        matches!(e, rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer))
    });
    Ok(())
}

#[test]
fn portal_certificate_for_another_host_name_is_refused() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let ca = TestCa::generate("Portal CA")?;
    let server = ca.issue_server(&["portal.buergerterminal.invalid"], Validity::Current)?;
    let device = ca.issue_device("terminal")?;
    let mut portal_config = setup.portal_config.clone();
    portal_config.listen = "127.0.0.1:0".parse()?;
    portal_config.server_cert_pem = server.cert_pem;
    portal_config.server_key_pem = server.key_pem;
    portal_config.client_ca_pem = ca.cert_pem.clone();
    portal_config.db_path = dir.path().join("other.sqlite");
    let portal = start(portal_config);

    let mut config = setup.client.clone();
    config.api_base_url = format!("https://localhost:{}", portal.address().port());
    config.token_url = format!("{}/token", config.api_base_url);
    config.tls = TlsMaterial {
        ca_pem: ca.cert_pem.into_bytes(),
        client_cert_pem: device.cert_pem.into_bytes(),
        client_key_pem: zeroize::Zeroizing::new(device.key_pem.as_bytes().to_vec()),
    };
    config.queue_path = dir.path().join("other-queue.sqlite");
    let client = FitConnectPortal::start(config)?;
    expect_tls_refusal(client.catalogue(), "not valid for name", |e| {
        matches!(
            e,
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            )
        )
    });
    Ok(())
}

#[test]
fn expired_portal_certificate_is_refused() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let ca = TestCa::generate("Portal CA")?;
    let server = ca.issue_server(&["localhost"], Validity::Expired)?;
    let device = ca.issue_device("terminal")?;
    let mut portal_config = setup.portal_config.clone();
    portal_config.listen = "127.0.0.1:0".parse()?;
    portal_config.server_cert_pem = server.cert_pem;
    portal_config.server_key_pem = server.key_pem;
    portal_config.client_ca_pem = ca.cert_pem.clone();
    portal_config.db_path = dir.path().join("expired.sqlite");
    let portal = start(portal_config);

    let mut config = setup.client.clone();
    config.api_base_url = format!("https://localhost:{}", portal.address().port());
    config.token_url = format!("{}/token", config.api_base_url);
    config.tls = TlsMaterial {
        ca_pem: ca.cert_pem.into_bytes(),
        client_cert_pem: device.cert_pem.into_bytes(),
        client_key_pem: zeroize::Zeroizing::new(device.key_pem.as_bytes().to_vec()),
    };
    config.queue_path = dir.path().join("expired-queue.sqlite");
    let client = FitConnectPortal::start(config)?;
    expect_tls_refusal(client.catalogue(), "expired", |e| {
        matches!(
            e,
            rustls::Error::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. })
        )
    });
    Ok(())
}

#[test]
fn device_certificate_from_an_untrusted_ca_is_refused_by_the_portal() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let stranger = TestCa::generate("Stranger CA")?;
    let device = stranger.issue_device("rogue")?;
    let mut config = setup.client.clone();
    config.tls.client_cert_pem = device.cert_pem.into_bytes();
    config.tls.client_key_pem = zeroize::Zeroizing::new(device.key_pem.as_bytes().to_vec());
    let client = FitConnectPortal::start(config)?;
    expect_tls_refusal(client.catalogue(), "an alert", |e| matches!(e, rustls::Error::AlertReceived(_)));
    Ok(())
}

#[test]
fn connection_without_a_client_certificate_is_refused_by_the_portal() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let mut roots = rustls::RootCertStore::empty();
    for ca in portal::tls::certificates_from_pem(setup.ca_pem.as_bytes(), "CA")? {
        roots.add(ca)?;
    }
    let tls = rustls::ClientConfig::builder_with_provider(portal::tls::provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let http = HttpsClient::new(Arc::new(tls), Limits::default());
    let base = BaseUrl::parse(&setup.client.api_base_url)?;
    let result = http.request("reading the JWKS", "GET", &base, "/.well-known/jwks.json", &[], None);
    expect_tls_refusal(result, "CertificateRequired", |e| {
        matches!(e, rustls::Error::AlertReceived(AlertDescription::CertificateRequired))
    });
    Ok(())
}
