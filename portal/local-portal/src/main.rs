// SPDX-License-Identifier: GPL-3.0-or-later
//! `local-portal`: runs the local portal on loopback for demos and manual tests, or the portal
//! benchmark.
//!
//! ```text
//! local-portal serve DIR [PORT]     keys kept in DIR, new PKI each start; prints how to connect
//! local-portal bench DIR [REQUESTS] prints the benchmark figures
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use local_portal::demo::{load_or_generate_keys, start_local_on};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["serve", dir, rest @ ..] => serve(PathBuf::from(dir), rest.first().and_then(|p| p.parse().ok()).unwrap_or(0)),
        ["bench", dir, rest @ ..] => {
            bench(PathBuf::from(dir), rest.first().and_then(|n| n.parse().ok()).unwrap_or(200))
        }
        _ => {
            eprintln!("usage: local-portal serve DIR [PORT] | local-portal bench DIR [REQUESTS]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("local-portal: {error}");
            ExitCode::FAILURE
        }
    }
}

fn serve(dir: PathBuf, port: u16) -> Result<(), local_portal::LocalPortalError> {
    let keys = load_or_generate_keys(&dir)?;
    let setup = start_local_on(&dir, keys, SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    let write = |name: &str, text: &[u8]| {
        std::fs::write(dir.join(name), text).map_err(|e| local_portal::LocalPortalError::Storage(e.to_string()))
    };
    write("portal-ca.pem", setup.ca_pem.as_bytes())?;
    write("administration-pki-root.pem", setup.administration_pki_pem.as_bytes())?;
    write("device-cert.pem", &setup.client.tls.client_cert_pem)?;
    write("device-key.pem", &setup.client.tls.client_key_pem)?;
    write("client-secret.txt", setup.client.client_secret.as_bytes())?;
    println!("local portal on {}", setup.client.api_base_url);
    println!("token URL {}; client id {}", setup.client.token_url, setup.client.client_id);
    println!("CA, administration PKI root, device certificate, key and client secret written to {}", dir.display());
    println!("CRLs {}", setup.client.key_trust.crl_urls.join(" "));
    loop {
        std::thread::park();
    }
}

fn bench(dir: PathBuf, requests: usize) -> Result<(), local_portal::LocalPortalError> {
    let keys = load_or_generate_keys(&dir)?;
    let figures = local_portal::bench::run(&dir.join(format!("run-{}", std::process::id())), keys, requests)?;
    println!("requests                {}", figures.requests);
    println!("queue_submit_ms_p50     {:.2}", figures.queue_submit_ms_p50);
    println!("queue_submit_ms_p99     {:.2}", figures.queue_submit_ms_p99);
    println!("portal_deliveries_per_s {:.1}", figures.portal_deliveries_per_s);
    println!("worker_rss_kib          {}", figures.worker_rss_kib);
    println!("worker_peak_rss_kib     {}", figures.worker_peak_rss_kib);
    Ok(())
}
