// SPDX-License-Identifier: GPL-3.0-or-later
//! The delivery worker is killed with SIGKILL at every checkpoint of every step, in a child
//! process; after a restart on the same queue, the request is at the portal exactly once.
//!
//! The child is this test binary itself, running the ignored test `child_worker_process` with
//! its instructions in environment variables.

mod common;

use std::error::Error;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use common::{bulky_waste, destination, local};
use portal::fitconnect::KeyTrust;
use portal::fitconnect::worker::{Checkpoint, Observer};
use portal::queue::Step;
use portal::slots::BULKY_WASTE;
use portal::tls::TlsMaterial;
use portal::{FitConnectConfig, FitConnectPortal};
use serde_json::json;

const CONFIG_VAR: &str = "PORTAL_KILL_TEST_CONFIG";
const REACHED: &str = "CHECKPOINT-REACHED";

fn step_name(step: Step) -> &'static str {
    match step {
        Step::Queued => "queued",
        Step::Created => "created",
        Step::Submitted => "submitted",
        Step::Confirmed => "confirmed",
    }
}

fn checkpoint_name(checkpoint: Checkpoint<'_>) -> String {
    match checkpoint {
        Checkpoint::BeforeRequest { step, .. } => format!("before-request:{}", step_name(step)),
        Checkpoint::AfterResponse { step, .. } => format!("after-response:{}", step_name(step)),
        Checkpoint::Recorded { step, .. } => format!("recorded:{}", step_name(step)),
    }
}

/// Runs only as a child of the kill tests: delivers one request and stops dead (parks) at the
/// checkpoint it was told, after announcing it on stdout.
#[test]
#[ignore = "child process of the kill tests"]
fn child_worker_process() -> Result<(), Box<dyn Error>> {
    let path = std::env::var(CONFIG_VAR).map_err(|_| format!("{CONFIG_VAR} unset"))?;
    let text = std::fs::read_to_string(&path)?;
    let spec: serde_json::Value = serde_json::from_str(&text)?;
    let field = |name: &str| spec[name].as_str().unwrap_or_default().to_owned();
    let mut config = FitConnectConfig::new(
        field("api_base_url"),
        field("token_url"),
        field("client_id"),
        field("client_secret"),
        TlsMaterial {
            ca_pem: field("ca_pem").into_bytes(),
            client_cert_pem: field("client_cert_pem").into_bytes(),
            client_key_pem: zeroize::Zeroizing::new(field("client_key_pem").into_bytes()),
        },
        KeyTrust {
            anchors_pem: field("anchors_pem").into_bytes(),
            crl_urls: spec["crl_urls"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|url| url.as_str().map(str::to_owned))
                .collect(),
            max_key_age: Duration::from_secs(3600),
        },
        field("queue_path"),
    );
    common::fast(&mut config);
    let stop_at = field("stop_at");
    let observer: Observer = Arc::new(move |checkpoint: Checkpoint<'_>| {
        if checkpoint_name(checkpoint) == stop_at {
            println!("{REACHED}");
            loop {
                std::thread::park();
            }
        }
    });
    let client = FitConnectPortal::start_observed(config, Some(observer))?;
    client.enqueue(&bulky_waste(&field("tracking_number"), &field("destination_id")))?;
    // The parent kills this process at the checkpoint; reaching the end means it never came.
    std::thread::sleep(Duration::from_secs(60));
    Err("the checkpoint was never reached".into())
}

fn killed_at_then_delivered_exactly_once(stop_at: &str) -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let tracking_number = common::tracking(&format!("BT-KILL-{stop_at}"));
    let config = &setup.client;
    let spec = json!({
        "api_base_url": config.api_base_url,
        "token_url": config.token_url,
        "client_id": config.client_id,
        "client_secret": config.client_secret.as_str(),
        "ca_pem": String::from_utf8_lossy(&config.tls.ca_pem),
        "client_cert_pem": String::from_utf8_lossy(&config.tls.client_cert_pem),
        "client_key_pem": String::from_utf8_lossy(&config.tls.client_key_pem),
        "anchors_pem": String::from_utf8_lossy(&config.key_trust.anchors_pem),
        "crl_urls": config.key_trust.crl_urls,
        "queue_path": config.queue_path,
        "stop_at": stop_at,
        "tracking_number": tracking_number,
        "destination_id": destination(&setup, BULKY_WASTE),
    });
    let spec_path = dir.path().join("child.json");
    std::fs::write(&spec_path, spec.to_string())?;

    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .args(["--ignored", "--exact", "child_worker_process", "--nocapture", "--test-threads=1"])
        .env(CONFIG_VAR, &spec_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take();
    let (sender, receiver) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        if let Some(stdout) = stdout {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains(REACHED) {
                    let _sent = sender.send(());
                }
            }
        }
    });
    let reached = receiver.recv_timeout(Duration::from_secs(60));
    // SIGKILL: no destructor, no flush, no goodbye.
    let killed = child.kill();
    let _status = child.wait();
    let _joined = reader.join();
    assert!(reached.is_ok(), "the child never reached {stop_at}");
    assert!(killed.is_ok());

    let restarted = FitConnectPortal::start(setup.client.clone())?;
    assert!(restarted.wait_until_handed_over(Duration::from_secs(30))?, "{stop_at}: {:?}", restarted.health());
    assert!(common::eventually(Duration::from_secs(30), || { restarted.health().is_ok_and(|h| h.unconfirmed == 0) }));
    assert_eq!(restarted.step(&tracking_number)?, Some(Step::Confirmed), "{stop_at}");
    assert_eq!(setup.portal.store().submitted_count(&tracking_number).ok(), Some(1), "{stop_at}");
    assert_eq!(setup.portal.store().submitted_total().ok(), Some(1), "{stop_at}");
    Ok(())
}

#[test]
fn killed_before_create_request_delivers_exactly_once() -> Result<(), Box<dyn Error>> {
    killed_at_then_delivered_exactly_once("before-request:created")
}

#[test]
fn killed_after_create_response_delivers_exactly_once() -> Result<(), Box<dyn Error>> {
    killed_at_then_delivered_exactly_once("after-response:created")
}

#[test]
fn killed_after_create_recorded_delivers_exactly_once() -> Result<(), Box<dyn Error>> {
    killed_at_then_delivered_exactly_once("recorded:created")
}

#[test]
fn killed_before_submit_request_delivers_exactly_once() -> Result<(), Box<dyn Error>> {
    killed_at_then_delivered_exactly_once("before-request:submitted")
}

#[test]
fn killed_after_submit_response_delivers_exactly_once() -> Result<(), Box<dyn Error>> {
    killed_at_then_delivered_exactly_once("after-response:submitted")
}

#[test]
fn killed_after_submit_recorded_delivers_exactly_once() -> Result<(), Box<dyn Error>> {
    killed_at_then_delivered_exactly_once("recorded:submitted")
}

#[test]
fn killed_before_confirm_request_delivers_exactly_once() -> Result<(), Box<dyn Error>> {
    killed_at_then_delivered_exactly_once("before-request:confirmed")
}

#[test]
fn killed_after_confirm_response_delivers_exactly_once() -> Result<(), Box<dyn Error>> {
    killed_at_then_delivered_exactly_once("after-response:confirmed")
}

#[test]
fn killed_after_confirm_recorded_stays_delivered_exactly_once() -> Result<(), Box<dyn Error>> {
    killed_at_then_delivered_exactly_once("recorded:confirmed")
}
