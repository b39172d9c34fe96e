// SPDX-License-Identifier: GPL-3.0-or-later
//! The portal figures, measured in a child process that holds only the
//! FIT-Connect client, its worker and the local portal (no UI).

use anyhow::Result;

const PORTAL_REQUESTS: usize = 200;

/// The child side of the portal figures: durable enqueue times, deliveries
/// per second end to end over mutual TLS on loopback, and the memory of the
/// process that does it.
pub fn figures() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("buergerterminal-bench-portal-{}", std::process::id()));
    let keys = local_portal::demo::load_or_generate_keys(&dir.join("keys"))?;
    let portal = local_portal::bench::run(&dir.join("run"), keys, PORTAL_REQUESTS)?;
    std::fs::remove_dir_all(&dir).ok();
    println!("queue_submit_ms_p50: {:.2} ms", portal.queue_submit_ms_p50);
    println!("queue_submit_ms_p99: {:.2} ms", portal.queue_submit_ms_p99);
    println!("portal_deliveries_per_s: {:.1} 1/s", portal.portal_deliveries_per_s);
    println!("portal_worker_and_local_portal_peak_rss_mib: {:.1} MiB", portal.worker_peak_rss_kib as f64 / 1024.0);
    Ok(())
}
