// SPDX-License-Identifier: GPL-3.0-or-later
//! Figures for `kiosk bench`: durable enqueue latency and delivery throughput to a local portal
//! on loopback over mutual TLS, and the memory of the process doing it.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use portal::slots::BULKY_WASTE;
use portal::{FitConnectPortal, Submission};
use zeroize::Zeroizing;

use crate::demo::start_local;
use crate::{LocalPortal, LocalPortalError, PortalKeys, demo_catalogue};

/// What the benchmark measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchFigures {
    /// Requests measured.
    pub requests: usize,
    /// Median time of a durable enqueue (JSON check, metadata, two JWEs, SQLite commit with
    /// `synchronous=FULL`), in milliseconds.
    pub queue_submit_ms_p50: f64,
    /// 99th percentile of the same, in milliseconds.
    pub queue_submit_ms_p99: f64,
    /// Requests handed over per second by the delivery worker after an outage (create + submit
    /// over mutual TLS, each step recorded durably; the portal decrypts, validates and signs
    /// events for each).
    pub portal_deliveries_per_s: f64,
    /// Resident memory of this process (client, worker and local portal) after the run, KiB.
    pub worker_rss_kib: u64,
    /// Peak resident memory of this process, KiB.
    pub worker_peak_rss_kib: u64,
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|value| value.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// The receipt alphabet of tracking numbers.
const TRACKING_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTVWXYZ";

/// The `i`-th benchmark tracking number: `BENCH` and `i` in seven base-31 digits of the
/// receipt alphabet, so every request is valid and distinct.
fn bench_tracking_number(i: usize) -> String {
    let mut digits = [TRACKING_ALPHABET[0]; 7];
    let mut rest = i;
    for digit in digits.iter_mut().rev() {
        *digit = TRACKING_ALPHABET[rest % TRACKING_ALPHABET.len()];
        rest /= TRACKING_ALPHABET.len();
    }
    format!("BENCH{}", String::from_utf8_lossy(&digits))
}

/// Runs the benchmark in `dir` (which should be empty) with `requests` requests.
///
/// While the portal is stopped, `requests` bulky-waste requests are enqueued and each enqueue
/// timed; then the portal starts again and the time until the worker has handed every request
/// over gives the delivery rate.
///
/// # Errors
/// [`LocalPortalError`] if the portal cannot start, [`LocalPortalError::Client`] if the client
/// fails, [`LocalPortalError::Storage`] if the portal's store does not hold every request once.
pub fn run(dir: &Path, keys: PortalKeys, requests: usize) -> Result<BenchFigures, LocalPortalError> {
    let setup = start_local(dir, keys)?;
    let mut client_config = setup.client.clone();
    client_config.backoff.initial = Duration::from_millis(50);
    client_config.backoff.max = Duration::from_millis(200);
    let client = FitConnectPortal::start(client_config)?;
    client.prefetch_keys()?;
    let service = demo_catalogue()?
        .into_iter()
        .find(|entry| entry.service_id == BULKY_WASTE)
        .ok_or_else(|| LocalPortalError::Catalogue(format!("no service {BULKY_WASTE}")))?;
    let restart = setup.portal_config.clone();
    drop(setup.portal);

    let mut latencies = Vec::with_capacity(requests);
    for i in 0..requests {
        let tracking_number = bench_tracking_number(i);
        let data = serde_json::json!({
            "service": BULKY_WASTE,
            "trackingNumber": tracking_number,
            "applicant": {
                "givenNames": "BENCH",
                "familyNames": format!("PERSON {i}"),
                "placeOfResidence": { "street": "TESTSTRASSE 1", "postalCode": "12345", "city": "TESTSTADT", "country": "D" }
            },
            "fields": { "items": "Sofa", "volume": 1, "phone": null },
            "booking": { "slotId": "bulky-waste:standard:2026-12-07", "kind": "standard", "date": "2026-12-07", "feeCents": 0 }
        });
        let submission = Submission {
            tracking_number,
            service_id: BULKY_WASTE.to_owned(),
            leika_id: service.leika_id.clone(),
            service_name: service.name.clone(),
            destination_id: service.destination_id.clone(),
            data_schema_uri: service.data_schema_uri.clone(),
            data: Zeroizing::new(data.to_string().into_bytes()),
            application_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
        };
        let started = Instant::now();
        client.enqueue(&submission)?;
        latencies.push(started.elapsed());
    }
    latencies.sort();

    let portal = LocalPortal::start(restart)?;
    let started = Instant::now();
    let drained = client.wait_until_handed_over(
        Duration::from_secs(60) + Duration::from_millis(500) * u32::try_from(requests).unwrap_or(u32::MAX),
    )?;
    let elapsed = started.elapsed();
    let delivered = portal.store().submitted_total()?;
    if !drained || delivered != requests as u64 {
        return Err(LocalPortalError::Storage(format!("{delivered} of {requests} requests delivered")));
    }
    Ok(BenchFigures {
        requests,
        queue_submit_ms_p50: percentile(&latencies, 0.50),
        queue_submit_ms_p99: percentile(&latencies, 0.99),
        portal_deliveries_per_s: requests as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
        worker_rss_kib: status_kib("VmRSS:"),
        worker_peak_rss_kib: status_kib("VmHWM:"),
    })
}
