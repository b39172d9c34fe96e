// SPDX-License-Identifier: GPL-3.0-or-later
//! `kiosk bench`: performance figures, one `name: value unit` per line.
//! Run it from a release build (`cargo run --release -p kiosk -- bench`);
//! a debug build prints the same names with debug-build values.

use crate::config::Config;
use crate::controller::Kiosk;
use crate::headless::Screen;
use crate::walkthrough::Walkthrough;
use crate::{Api, App};
use anyhow::{Context, Result, bail};
use slint::ComponentHandle;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FIRST_FRAME_RUNS: usize = 7;
const REPAINTS: usize = 200;
const PORTAL_REQUESTS: usize = 200;
const EID_READS: usize = 7;
/// The second vpcd reader and its port: the first is the tests'.
const EID_READER: &str = "Virtual PCD 00 01";
const EID_VPCD_PORT: u16 = 35964;
const PCSCD_SOCKET: &str = "/run/pcscd/pcscd.comm";

/// Prints every figure.
pub fn run() -> Result<()> {
    println!("build: {}", if cfg!(debug_assertions) { "debug" } else { "release" });
    let first = median(&(0..FIRST_FRAME_RUNS).map(|_| time_first_frame()).collect::<Result<Vec<_>>>()?);
    println!("first_frame_ms: {first:.1} ms");
    let (median_ms, p99_ms) = repaint_catalogue()?;
    println!("frame_render_ms_median: {median_ms:.2} ms");
    println!("frame_render_ms_p99: {p99_ms:.2} ms");
    // The demo as it runs: the kiosk with the FIT-Connect client and its
    // queue (the local portal is a process of its own and not counted).
    println!("session_pss_mib: {:.1} MiB", session_pss_mib("local")?);
    // The same with the in-process simulated portal: what the client costs.
    println!("session_pss_mib_simulated_portal: {:.1} MiB", session_pss_mib("simulated")?);
    let mut receipt = printer::bench::figures(20);
    for baud in [115_200, 9600] {
        receipt.extend(printer::bench::line_figures(baud)?);
    }
    for figure in receipt {
        println!("{}: {:.1} {}", figure.name, figure.value, figure.unit);
    }
    // The queue and delivery figures come from a child process that holds
    // only the client, its worker and the local portal (no UI).
    let output = Command::new(std::env::current_exe()?).arg("portal-figures").stderr(Stdio::null()).output()?;
    if !output.status.success() {
        bail!("the portal benchmark failed ({})", output.status);
    }
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eid_figures()
}

/// A whole eID read through pcscd: the OpenPACE simulated card on the vpcd
/// reader, PACE, Terminal and Chip Authentication and the data groups of the
/// service that reads the most. Starts pcscd if none runs (as root).
fn eid_figures() -> Result<()> {
    let config = Config::load(None)?;
    let service =
        config.catalogue.services().iter().max_by_key(|s| s.card_data.len()).context("the catalogue has no service")?;
    let dir = tempfile::tempdir()?;
    eid_sim_card::personalise::personalise(dir.path()).context("cannot personalise the simulated card")?;
    let eid = std::sync::Arc::new(card_reader::EidConfig::load(dir.path())?);
    let _pcscd = Pcscd::ensure()?;
    let secrets = eid_sim_card::Secrets { pin: "123456".into(), can: "500540".into(), puk: "9876543210".into() };
    let card = eid_sim_card::SimCard::new(&dir.path().join("card"), eid_sim_card::CardHolder::erika(), secrets)?;
    let _card = eid_sim_card::VirtualCard::insert(EID_VPCD_PORT, card).context("cannot reach the vpcd reader")?;
    let mut pin = session::Pin::default();
    "123456".chars().for_each(|d| pin.push(d));
    let mut runs = Vec::new();
    for _ in 0..EID_READS {
        runs.push(
            reader_pcsc::bench::bench(EID_READER, std::sync::Arc::clone(&eid), &pin, &service.card_data, PCSCD_WAIT)
                .map_err(|e| anyhow::anyhow!("the eID read failed: {e}"))?,
        );
    }
    let pace = median(&runs.iter().map(|r| r.pace_ms).collect::<Vec<_>>());
    let read = median(&runs.iter().map(|r| r.eac_read_ms).collect::<Vec<_>>());
    let last = runs.last().context("no eID read")?;
    println!("eid_service: {} ({} data groups)", service.id, service.card_data.len());
    println!("pace_ms: {pace:.1} ms");
    println!("eac_read_ms: {read:.1} ms");
    println!("apdus_per_read: {} APDUs", last.apdus_per_read);
    println!("apdus_minimum: {} APDUs", last.minimum_apdus);
    println!("apdu_bytes_per_read: {} bytes", last.apdu_bytes_per_read);
    Ok(())
}

const PCSCD_WAIT: Duration = Duration::from_secs(10);

/// A pcscd started for the benchmark (stopped when dropped), or none if one
/// already runs.
struct Pcscd(Option<std::process::Child>);

impl Pcscd {
    fn ensure() -> Result<Pcscd> {
        if std::os::unix::net::UnixStream::connect(PCSCD_SOCKET).is_ok() {
            return Ok(Pcscd(None));
        }
        let child = Command::new("pcscd")
            .args(["-f", "-a"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start pcscd (Debian package pcscd, run as root)")?;
        let guard = Pcscd(Some(child));
        let deadline = Instant::now() + PCSCD_WAIT;
        while reader_pcsc::list_readers().map_or(true, |r| !r.iter().any(|r| r == EID_READER)) {
            if Instant::now() > deadline {
                bail!("pcscd offers no reader {EID_READER:?} (Debian package vsmartcard-vpcd)");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(guard)
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The child side of the portal figures: durable enqueue times, deliveries
/// per second end to end over mutual TLS on loopback, and the memory of the
/// process that does it.
pub fn portal_figures() -> Result<()> {
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

/// The child side of `first_frame_ms`: create the UI, render the welcome
/// screen once, say so.
pub fn first_frame() -> Result<()> {
    let mut screen = Screen::install()?;
    let app = App::new()?;
    app.global::<Api>().set_municipality("Stadt Musterstadt".into());
    screen.render();
    println!("first frame");
    Ok(())
}

/// Process start to first rendered frame, timed from outside the process.
fn time_first_frame() -> Result<f64> {
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe()?)
        .arg("first-frame")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start the kiosk for timing")?;
    let stdout = child.stdout.take().context("no output from the kiosk")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let elapsed = started.elapsed();
    child.wait()?;
    if line.trim() != "first frame" {
        bail!("the kiosk did not render a first frame: {line:?}");
    }
    Ok(elapsed.as_secs_f64() * 1000.0)
}

/// Full repaints of the catalogue screen at 1920×1080, software renderer,
/// one thread.
fn repaint_catalogue() -> Result<(f64, f64)> {
    let (kiosk, mut walk) = demo_kiosk(None)?;
    let app = kiosk.borrow().app.clone_strong();
    walk.screen_mut().tap(&app, "Start")?;
    kiosk.borrow_mut().pump();
    walk.screen_mut().render();
    let mut times: Vec<f64> = (0..REPAINTS).map(|_| walk.screen_mut().render().as_secs_f64() * 1000.0).collect();
    times.sort_by(f64::total_cmp);
    let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
    Ok((median(&times), p99))
}

/// Peak proportional set size of the kiosk during the scripted session, in
/// a child process sampled from here.
fn session_pss_mib(portal: &str) -> Result<f64> {
    let dir = std::env::temp_dir().join(format!("buergerterminal-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut child = Command::new(std::env::current_exe()?)
        .args(["demo", "--headless", "--portal", portal, "--data-dir"])
        .arg(&dir)
        .arg("--screenshots")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let mut peak_kib = 0u64;
    let status = loop {
        if let Some(kib) = pss_kib(child.id()) {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    std::fs::remove_dir_all(&dir).ok();
    if !status.success() {
        bail!("the scripted session failed ({status})");
    }
    Ok(peak_kib as f64 / 1024.0)
}

fn pss_kib(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn demo_kiosk(dir: Option<std::path::PathBuf>) -> Result<(std::rc::Rc<std::cell::RefCell<Kiosk>>, Walkthrough)> {
    let screen = Screen::install()?;
    let printer_dir = std::env::temp_dir().join(format!("buergerterminal-bench-paper-{}", std::process::id()));
    std::fs::create_dir_all(&printer_dir)?;
    let config = Config::load(None)?;
    let printer = printer::SimulatedPrinter::new(&printer_dir, config.terminal.paper());
    let portal = std::sync::Arc::new(portal::SimulatedPortal::new());
    let kiosk = crate::kiosk_with(config, crate::config::default_demo_card(), portal, Box::new(printer))?;
    let walk = Walkthrough::new(std::rc::Rc::clone(&kiosk), screen, dir, printer_dir);
    Ok((kiosk, walk))
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}
