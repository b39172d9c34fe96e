// SPDX-License-Identifier: GPL-3.0-or-later
//! Demo mode's portal: the local FIT-Connect portal in a child process of its
//! own (`kiosk-demo local-portal DIR`), and in the kiosk only what an appliance has
//! too: the FIT-Connect client with its queue, talking to it over mutual TLS
//! on loopback. The portal's keys, PKI and store stay in the child's
//! directory, outside the kiosk's data directory and memory.

use anyhow::{Context, Result, bail};
use portal::FitConnectPortal;
use portal::fitconnect::FitConnectConfig;
use portal::tls::TlsMaterial;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CA: &str = "portal-ca.pem";
const DEVICE_CERT: &str = "device-cert.pem";
const DEVICE_KEY: &str = "device-key.pem";
const CLIENT_SECRET: &str = "client-secret.txt";
const ADMINISTRATION_PKI_ROOT: &str = "administration-pki-root.pem";
/// RSA-4096 key generation on the first start takes seconds.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The child side: runs the local portal for `dir` until standard input
/// closes (the kiosk ended), after writing what a terminal needs to trust it.
pub fn serve(dir: &Path) -> Result<()> {
    let keys = local_portal::demo::load_or_generate_keys(dir)?;
    let setup = local_portal::demo::start_local(dir, keys)?;
    write_private(&dir.join(CA), setup.ca_pem.as_bytes())?;
    write_private(&dir.join(DEVICE_CERT), &setup.client.tls.client_cert_pem)?;
    write_private(&dir.join(DEVICE_KEY), &setup.client.tls.client_key_pem)?;
    write_private(&dir.join(CLIENT_SECRET), setup.client.client_secret.as_bytes())?;
    write_private(&dir.join(ADMINISTRATION_PKI_ROOT), setup.administration_pki_pem.as_bytes())?;
    println!("ready {}", setup.client.api_base_url);
    let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
    drop(setup);
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::io::Write::write_all(&mut file, bytes)?;
    Ok(())
}

/// The local portal child process; it ends when this is dropped.
pub struct ChildPortal {
    child: Child,
}

/// How a terminal reaches a running local portal: its address, and the
/// files in the portal's directory that a terminal is provisioned with.
pub struct PortalAccess {
    /// The Submission API's base URL on loopback.
    pub base_url: String,
    /// The pinned CA (PEM).
    pub ca_file: PathBuf,
    /// The terminal's device certificate for mutual TLS (PEM).
    pub device_cert_file: PathBuf,
    /// Its key (PEM).
    pub device_key_file: PathBuf,
    /// The OAuth client secret.
    pub client_secret_file: PathBuf,
    /// The root of the test administration PKI that certifies the
    /// destinations' key (PEM).
    pub administration_pki_root_file: PathBuf,
}

impl PortalAccess {
    /// Where the portal serves the test administration PKI's CRLs.
    pub fn crl_urls(&self) -> Vec<String> {
        local_portal::demo::crl_urls(&self.base_url)
    }
}

impl ChildPortal {
    /// Starts `kiosk-demo local-portal portal_dir` and waits until it serves.
    /// Keep the `ChildPortal` as long as the portal is used.
    pub fn spawn(portal_dir: &Path) -> Result<(ChildPortal, PortalAccess)> {
        std::fs::create_dir_all(portal_dir).with_context(|| format!("cannot create {}", portal_dir.display()))?;
        let mut child = Command::new(std::env::current_exe()?)
            .arg("local-portal")
            .arg(portal_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot start the local portal")?;
        let stdout = child.stdout.take().context("the local portal has no output")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(START_TIMEOUT).unwrap_or_default();
        let Some(base) = line.trim().strip_prefix("ready ") else {
            let _ = child.kill();
            bail!("the local portal did not start (it said {line:?}); see its messages above");
        };
        let access = PortalAccess {
            base_url: base.to_owned(),
            ca_file: portal_dir.join(CA),
            device_cert_file: portal_dir.join(DEVICE_CERT),
            device_key_file: portal_dir.join(DEVICE_KEY),
            client_secret_file: portal_dir.join(CLIENT_SECRET),
            administration_pki_root_file: portal_dir.join(ADMINISTRATION_PKI_ROOT),
        };
        Ok((ChildPortal { child }, access))
    }

    /// Starts the local portal in `portal_dir`, and a FIT-Connect client for
    /// it whose queue is in `data_dir`. Keep the `ChildPortal` as long as the
    /// client is used.
    pub fn start(portal_dir: &Path, data_dir: &Path) -> Result<(FitConnectPortal, ChildPortal)> {
        let (guard, access) = ChildPortal::spawn(portal_dir)?;
        let read = |path: &Path| std::fs::read(path).with_context(|| format!("cannot read {}", path.display()));
        let tls = TlsMaterial {
            ca_pem: read(&access.ca_file)?,
            client_cert_pem: read(&access.device_cert_file)?,
            client_key_pem: zeroize::Zeroizing::new(read(&access.device_key_file)?),
        };
        let secret = zeroize::Zeroizing::new(String::from_utf8(read(&access.client_secret_file)?)?);
        let root = String::from_utf8(read(&access.administration_pki_root_file)?)?;
        let base = access.base_url;
        let mut config = FitConnectConfig::new(
            base.clone(),
            format!("{base}/token"),
            local_portal::demo::DEMO_CLIENT_ID,
            secret.as_str().to_owned(),
            tls,
            local_portal::demo::key_trust(&base, &root),
            data_dir.join("queue.sqlite"),
        );
        config.destinations =
            local_portal::demo_catalogue()?.into_iter().map(|entry| (entry.service_id, entry.destination_id)).collect();
        let client = FitConnectPortal::start(config)?;
        client.prefetch_keys()?;
        Ok((client, guard))
    }
}

impl Drop for ChildPortal {
    fn drop(&mut self) {
        // Closing its standard input ends the portal; wait so no orphan is left.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}
