// SPDX-License-Identifier: GPL-3.0-or-later
//! The log names a request by its tracking tag, never by its tracking number (issue #16,
//! part 4): everything the FIT-Connect client logs while a request is queued, fails, is
//! delivered and confirmed is captured, as the journal would get it.

mod common;

use std::error::Error;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use common::{bulky_waste, destination, eventually, local, tracking};
use portal::FitConnectPortal;
use portal::queue::Step;
use portal::slots::BULKY_WASTE;

/// Everything logged, in one buffer.
#[derive(Clone, Default)]
struct Journal(Arc<Mutex<Vec<u8>>>);

impl Write for Journal {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Journal {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

#[test]
fn the_log_names_a_request_by_its_tag_only() -> Result<(), Box<dyn Error>> {
    let journal = Journal::default();
    let writer = journal.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )?;

    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let client = FitConnectPortal::start(setup.client.clone())?;
    client.prefetch_keys()?;
    let number = tracking("BT-JOURNAL-0001");
    // The portal fails for a while: the request is queued, its delivery fails and is retried.
    setup.portal.set_fault(local_portal::Fault::Status500);
    assert!(client.enqueue(&bulky_waste(&number, &destination(&setup, BULKY_WASTE)))?);
    assert!(eventually(Duration::from_secs(10), || journal.text().contains("delivery failed")));
    setup.portal.set_fault(local_portal::Fault::None);
    assert!(eventually(Duration::from_secs(30), || client.step(&number).ok().flatten() == Some(Step::Confirmed)));

    let text = journal.text();
    let tag = client.tag(&number);
    assert!(text.contains(&format!("request={tag}")), "the tag follows the request:\n{text}");
    assert!(!text.contains(&number), "the tracking number is in the log:\n{text}");
    Ok(())
}
