// SPDX-License-Identifier: GPL-3.0-or-later
//! The product's session memory: the terminal exactly as `kiosk run` builds
//! it from its configuration directory (the card through pcscd, the receipt
//! printer on a serial line, the FIT-Connect portal over mutual TLS), driven
//! through a request and a status check by the scripted citizen.
//!
//! Everything the terminal talks to lives outside the measured process: the
//! OpenPACE card sits in this process on pcscd's vpcd reader, the printer
//! emulator on a pseudo-terminal here too, and the local portal in a child
//! of its own. The measured process (`kiosk-scripted appliance-session`) holds
//! the product's terminal and the touches, and asks for the card to be put
//! on the reader and taken off by printing `put-card` and `take-card`.

use super::eid::{EID_READER, EID_VPCD_PORT, Pcscd};
use super::pss_kib;
use crate::demo_portal::ChildPortal;
use crate::touch::Touchscreen;
use crate::walkthrough::{CardInHand, Walkthrough};
use anyhow::{Context, Result, bail};
use eid_sim_card::{CardHolder, Secrets, SimCard, VirtualCard};
use kiosk::App;
use session::Pin;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The PIN of the card the harness puts on the reader.
const PIN: &str = "123456";
const PUT: &str = "put-card";
const TAKE: &str = "take-card";
const DONE: &str = "session done";

/// The child side: the product's terminal from `config_dir`, driven through
/// a request and a status check.
pub fn session(config_dir: &Path) -> Result<()> {
    let screen = Touchscreen::install()?;
    let app = App::new().context("cannot create the kiosk UI")?;
    let terminal = kiosk::appliance::terminal(app, config_dir)?;
    let outcome = Walkthrough::new(terminal, CardOnTheReader, screen, None, None).run_request_and_status_check()?;
    println!("{DONE} after {} taps", outcome.taps);
    Ok(())
}

/// The card, in the hand of the harness that started this process.
struct CardOnTheReader;

impl CardOnTheReader {
    fn ask(what: &str) -> Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{what}")?;
        Ok(out.flush()?)
    }
}

impl CardInHand for CardOnTheReader {
    fn put(&self) -> Result<()> {
        Self::ask(PUT)
    }

    fn take(&self) {
        if let Err(error) = Self::ask(TAKE) {
            tracing::error!(%error, "cannot ask for the card to be taken");
        }
    }

    fn pin(&self) -> Result<Pin> {
        let mut pin = Pin::default();
        PIN.chars().for_each(|d| pin.push(d));
        Ok(pin)
    }
}

/// Peak proportional set size of `driver appliance-session` through the
/// scripted session, in MiB. `driver` is `kiosk-scripted`, or another build that
/// offers the same subcommand (to compare builds).
pub fn session_pss_mib(driver: &Path) -> Result<f64> {
    let dir = tempfile::tempdir()?;
    let eid_dir = dir.path().join("eid");
    let personalisation = eid_sim_card::personalise::personalise(&eid_dir).context("cannot personalise the card")?;
    let _pcscd = Pcscd::ensure()?;
    let printer = printer::emulator::Emulator::start(printer::PaperWidth::Mm80)?;
    let (_portal, access) = ChildPortal::spawn(&dir.path().join("portal"))?;
    let config = dir.path().join("etc");
    let state = dir.path().join("state");
    std::fs::create_dir_all(&config)?;
    std::fs::create_dir_all(&state)?;
    let client_id = dir.path().join("client-id");
    std::fs::write(&client_id, local_portal::demo::DEMO_CLIENT_ID)?;
    let appliance = format!(
        "[reader]\nname = {reader:?}\neid-dir = {eid:?}\n\n\
         [printer]\ndevice = {device:?}\nbaud = 115200\n\n\
         [portal]\napi-url = {api:?}\ntoken-url = {token:?}\nclient-id-file = {id:?}\n\
         client-secret-file = {secret:?}\nca-file = {ca:?}\nclient-certificate-file = {cert:?}\nclient-key-file = {key:?}\n\
         administration-pki-root-file = {root:?}\ncrl-urls = {crls:?}\n",
        reader = EID_READER,
        eid = eid_dir,
        device = printer.device_path(),
        api = access.base_url,
        token = format!("{}/token", access.base_url),
        id = client_id,
        secret = access.client_secret_file,
        ca = access.ca_file,
        cert = access.device_cert_file,
        key = access.device_key_file,
        root = access.administration_pki_root_file,
        crls = access.crl_urls(),
    );
    std::fs::write(config.join("appliance.toml"), appliance)?;

    let mut child = Command::new(driver)
        .arg("appliance-session")
        .arg("--config")
        .arg(&config)
        .env("STATE_DIRECTORY", &state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", driver.display()))?;
    let stdout = child.stdout.take().context("the driver has no output")?;
    let (lines, said) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let mut card = None;
    let mut done = false;
    let mut peak_kib = 0u64;
    let status = loop {
        if let Some(kib) = pss_kib(child.id()) {
            peak_kib = peak_kib.max(kib);
        }
        while let Ok(line) = said.try_recv() {
            match line.as_str() {
                PUT => {
                    let secrets = Secrets { pin: PIN.into(), can: "500540".into(), puk: "9876543210".into() };
                    let sim = SimCard::new(&personalisation.card_dir, CardHolder::erika(), secrets)?;
                    card = Some(VirtualCard::insert(EID_VPCD_PORT, sim).context("cannot reach the vpcd reader")?);
                }
                TAKE => card = None,
                other => done |= other.starts_with(DONE),
            }
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    drop(card);
    if !status.success() || !done {
        bail!("the scripted session through the product's terminal failed ({status})");
    }
    Ok(peak_kib as f64 / 1024.0)
}
