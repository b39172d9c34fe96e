// SPDX-License-Identifier: GPL-3.0-or-later
//! What the queue keeps of a request once the portal has it (issue #16, part 4): the ciphertext
//! goes at once, from the database file and from its write-ahead log; a confirmed request's row
//! keeps what the status check reads until the configured retention, then goes too.

mod common;

use std::error::Error;
use std::path::Path;
use std::time::Duration;

use common::{bulky_waste, destination, eventually, local, tracking};
use portal::FitConnectPortal;
use portal::queue::{Queue, Step};
use portal::slots::BULKY_WASTE;

fn queue_files(dir: &Path) -> Vec<std::path::PathBuf> {
    ["queue.sqlite", "queue.sqlite-wal"].iter().map(|f| dir.join(f)).collect()
}

fn in_any(files: &[std::path::PathBuf], needle: &[u8]) -> bool {
    files.iter().any(|file| std::fs::read(file).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle)))
}

#[test]
fn the_ciphertext_leaves_the_queue_files_once_the_portal_has_the_request() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let setup = local(dir.path());
    let client = FitConnectPortal::start(setup.client.clone())?;
    client.prefetch_keys()?;
    let destination_id = destination(&setup, BULKY_WASTE);
    let restart = setup.portal_config.clone();
    drop(setup.portal);
    let number = tracking("BT-RETAIN-0001");
    assert!(client.enqueue(&bulky_waste(&number, &destination_id))?);

    // The queued ciphertext, as the queue holds it while the portal is down.
    let queued = Queue::open(&setup.client.queue_path, None)?.get(&number)?.ok_or("the request is queued")?;
    // The last characters of each JWE: the data's ciphertext and its authentication tag.
    let pieces: Vec<String> = [&queued.encrypted_metadata, &queued.encrypted_data]
        .iter()
        .map(|jwe| jwe[jwe.len().saturating_sub(48)..].to_owned())
        .collect();
    let files = queue_files(dir.path());
    assert!(pieces.iter().all(|piece| in_any(&files, piece.as_bytes())), "the ciphertext is in the queue");

    let _portal = local_portal::LocalPortal::start(restart)?;
    assert!(eventually(Duration::from_secs(30), || client.step(&number).ok().flatten() == Some(Step::Confirmed)));
    for piece in &pieces {
        assert!(!in_any(&files, piece.as_bytes()), "the ciphertext is still in a queue file");
    }
    // Within the retention, the row still answers a status check at this terminal.
    assert!(in_any(&files, number.as_bytes()));
    Ok(())
}

#[test]
fn a_confirmed_request_is_deleted_after_the_retention() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let mut setup = local(dir.path());
    setup.client.confirmed_retention = Duration::ZERO;
    let client = FitConnectPortal::start(setup.client.clone())?;
    let number = tracking("BT-RETAIN-0002");
    assert!(client.enqueue(&bulky_waste(&number, &destination(&setup, BULKY_WASTE)))?);
    assert!(eventually(Duration::from_secs(30), || client.step(&number).ok().flatten().is_none()), "the row went");
    assert_eq!(setup.portal.store().submitted_count(&number)?, 1, "it was delivered first");
    let files = queue_files(dir.path());
    assert!(eventually(Duration::from_secs(10), || !in_any(&files, number.as_bytes())), "the tracking number is gone");
    Ok(())
}
