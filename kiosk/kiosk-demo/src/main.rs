// SPDX-License-Identifier: GPL-3.0-or-later
//! `kiosk-demo`: the Bürgerterminal with a simulated ID card, a local
//! FIT-Connect portal and a simulated receipt printer, and the benchmarks.
//!
//! `kiosk-demo demo` opens a window if there is a display; otherwise a
//! scripted citizen walks through a request, a status check and a PIN
//! change and every screen is written as a PNG. `kiosk-demo bench` prints
//! the performance figures. None of this is part of the product (`kiosk`).

mod bench;
mod demo;
mod demo_portal;
mod simulated_reader;
mod touch;
#[cfg(test)]
mod ui_tests;
mod walkthrough;

use anyhow::Result;
use clap::{Parser, Subcommand};
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
        Command::LocalPortal { dir } => demo_portal::serve(&dir),
    }
}
