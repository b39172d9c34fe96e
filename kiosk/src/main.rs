// SPDX-License-Identifier: GPL-3.0-or-later
//! `kiosk run`: the Bürgerterminal on its hardware, as `kiosk.service`
//! starts it; `kiosk out-of-service`: what the terminal shows when it cannot
//! run at all.

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "kiosk", version, about = "The Bürgerterminal: a self-service terminal for citizens")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The terminal on real hardware: the ID card through pcscd, the receipt
    /// printer on its serial line, requests to the configured portal.
    Run {
        /// The configuration directory: appliance.toml, and terminal.toml,
        /// catalogue.toml and texts.toml where they replace the defaults.
        #[arg(long, value_name = "DIR", default_value = "/etc/kiosk")]
        config: PathBuf,
    },
    /// Makes the CV certificate request for the terminal's next eID
    /// authorisation (TR-03110-3 C.2), signed with the current key, for the
    /// document verifier.
    EidRequest {
        /// The configuration directory (its appliance.toml names the eID directory).
        #[arg(long, value_name = "DIR", default_value = "/etc/kiosk")]
        config: PathBuf,
    },
    /// Installs the document verifier's answer to the waiting request, after
    /// checking it against the chain and the waiting key.
    EidInstall {
        /// The configuration directory (its appliance.toml names the eID directory).
        #[arg(long, value_name = "DIR", default_value = "/etc/kiosk")]
        config: PathBuf,
        /// The new terminal certificate.
        certificate: PathBuf,
        /// The DV's new certificate, if the DV sent one.
        #[arg(long, value_name = "FILE")]
        dv: Option<PathBuf>,
    },
    /// Only "out of service" on the display, and why, for a terminal that
    /// cannot run at all; reads no configuration and no state.
    OutOfService {
        /// Why the terminal cannot run.
        #[arg(long, value_enum)]
        reason: kiosk::view::SetupProblem,
    },
}

fn main() -> Result<()> {
    kiosk::init_logging();
    match Cli::parse().command {
        Command::Run { config } => kiosk::appliance::run(&config),
        Command::OutOfService { reason } => kiosk::appliance::out_of_service(reason),
        Command::EidRequest { config } => kiosk::appliance::eid_request(&config),
        Command::EidInstall { config, certificate, dv } => {
            kiosk::appliance::eid_install(&config, &certificate, dv.as_deref())
        }
    }
}
