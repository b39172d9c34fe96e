// SPDX-License-Identifier: GPL-3.0-or-later
//! `kiosk-demo bench`: performance figures, one `name: value unit` per
//! line. Run it from a release build
//! (`cargo run --release -p kiosk-demo -- bench`); a debug build prints the
//! same names with debug-build values.

pub mod appliance;
mod eid;
pub mod portal;

use crate::touch::Touchscreen;
use anyhow::{Context, Result, bail};
use kiosk::{Api, App};
use session::Config;
use slint::ComponentHandle;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FIRST_FRAME_RUNS: usize = 7;
const REPAINTS: usize = 200;

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
    // The product: the terminal as `kiosk run` builds it, on the real seams
    // (pcscd, a serial line, the portal over mutual TLS), the simulated card
    // and the portal outside the measured process.
    let driver = std::env::current_exe()?.with_file_name("kiosk-scripted");
    anyhow::ensure!(
        driver.exists(),
        "{} is missing: build both binaries with `cargo build --release -p kiosk-demo --bins` (`cargo run` builds only kiosk-demo)",
        driver.display()
    );
    println!("appliance_session_pss_mib: {:.1} MiB", appliance::session_pss_mib(&driver)?);
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
    eid::figures()
}

/// The child side of `first_frame_ms`: create the UI, render the welcome
/// screen once, say so.
pub fn first_frame() -> Result<()> {
    let mut screen = Touchscreen::install()?;
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
    let mut screen = Touchscreen::install()?;
    let paper = tempfile::tempdir()?;
    let config = Config::defaults()?;
    let printer = printer::SimulatedPrinter::new(paper.path(), kiosk::view::receipt::paper_width(&config.terminal));
    let portal = std::sync::Arc::new(::portal::SimulatedPortal::new());
    let (terminal, _card) = crate::demo::terminal(config, crate::demo::default_card_file(), portal, Box::new(printer))?;
    let app = terminal.borrow().app().clone_strong();
    screen.tap(&app, "Start")?;
    terminal.borrow_mut().pump();
    screen.render();
    let mut times: Vec<f64> = (0..REPAINTS).map(|_| screen.render().as_secs_f64() * 1000.0).collect();
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

pub(crate) fn pss_kib(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub(crate) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}
