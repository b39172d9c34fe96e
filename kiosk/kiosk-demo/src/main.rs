// SPDX-License-Identifier: GPL-3.0-or-later
//! `kiosk-demo`: the Bürgerterminal with a simulated ID card, a local
//! FIT-Connect portal and a simulated receipt printer, and the benchmarks.
//!
//! `kiosk-demo demo` opens a window if there is a display; otherwise a
//! scripted citizen walks through a request, a status check and a PIN
//! change and every screen is written as a PNG. `kiosk-demo bench` prints
//! the performance figures. None of this is part of the product (`kiosk`).

use anyhow::Result;
use clap::{Parser, Subcommand};
use kiosk_demo::{bench, demo, demo_portal};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "kiosk-demo", version, about = "The Bürgerterminal in demo mode, and its benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole terminal with a simulated ID card, portal and printer.
    Demo(demo::DemoArgs),
    /// Prints performance figures, one `name: value unit` per line.
    Bench,
    /// Renders the first frame and reports it on standard output (used by
    /// `bench` to time process start to first frame).
    #[command(hide = true)]
    FirstFrame,
    /// Measures the portal client and queue (used by `bench`).
    #[command(hide = true)]
    PortalFigures,
    /// Prints the session memory of a build that offers `appliance-session
    /// --config DIR` (as `kiosk-scripted` does), on the same seams as
    /// `bench` (to compare builds).
    #[command(hide = true)]
    ApplianceFigure {
        /// The build to measure.
        driver: PathBuf,
    },
    /// Runs demo mode's local FIT-Connect portal until standard input closes
    /// (demo mode starts it as a child process).
    #[command(hide = true)]
    LocalPortal {
        /// The portal's own directory (keys, PKI, store).
        dir: PathBuf,
    },
}

fn main() -> Result<()> {
    kiosk::init_logging();
    match Cli::parse().command {
        Command::Demo(args) => demo::run(args),
        Command::Bench => bench::run(),
        Command::FirstFrame => bench::first_frame(),
        Command::PortalFigures => bench::portal::figures(),
        Command::ApplianceFigure { driver } => {
            println!("appliance_session_pss_mib: {:.1} MiB", bench::appliance::session_pss_mib(&driver)?);
            Ok(())
        }
        Command::LocalPortal { dir } => demo_portal::serve(&dir),
    }
}
