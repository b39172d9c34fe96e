// SPDX-License-Identifier: GPL-3.0-or-later
//! `kiosk-scripted appliance-session --config DIR`: the product's terminal,
//! built from `DIR` exactly as `kiosk run` builds it, driven through a
//! request and a status check by the scripted citizen. `kiosk-demo bench`
//! measures its memory; it links the product and the touches, and none of
//! demo mode's simulated card or local portal.

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "kiosk-scripted", version, about = "The product's terminal, driven by the scripted citizen")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Builds the terminal from the configuration directory and drives it
    /// through a request and a status check.
    ApplianceSession {
        /// The configuration directory, as for `kiosk run`.
        #[arg(long, value_name = "DIR")]
        config: PathBuf,
    },
}

fn main() -> Result<()> {
    kiosk::init_logging();
    match Cli::parse().command {
        Command::ApplianceSession { config } => kiosk_demo::bench::appliance::session(&config),
    }
}
