// SPDX-License-Identifier: GPL-3.0-or-later
//! `eid-sim-card`: puts a simulated eID card into vpcd's virtual reader.
//!
//! ```text
//! eid-sim-card [--port 35963] [--personalise DIR | --card-dir DIR/card] --holder FILE.toml
//! ```
//!
//! The holder file has the fields of `CardHolder` and a `[secrets]` table
//! with `pin`, `can` and `puk`. `--personalise DIR` first makes a fresh card
//! and terminal PKI in DIR (see the crate documentation for the layout).

use std::path::PathBuf;
use std::process::ExitCode;

use eid_sim_card::{CardHolder, Secrets, SimCard, SimCardError, VirtualCard, personalise};
use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

#[derive(Deserialize)]
struct HolderFile {
    #[serde(flatten)]
    holder: CardHolder,
    secrets: SecretsFile,
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
struct SecretsFile {
    pin: String,
    can: String,
    puk: String,
}

const USAGE: &str = "usage: eid-sim-card [--port 35963] [--personalise DIR | --card-dir DIR/card] --holder FILE.toml";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("eid-sim-card: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut port = 35963u16;
    let mut card_dir = None;
    let mut personalise_dir = None;
    let mut holder = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--port" => port = value()?.parse().map_err(|_| format!("--port needs a number\n{USAGE}"))?,
            "--card-dir" => card_dir = Some(PathBuf::from(value()?)),
            "--personalise" => personalise_dir = Some(PathBuf::from(value()?)),
            "--holder" => holder = Some(PathBuf::from(value()?)),
            _ => return Err(USAGE.to_string()),
        }
    }
    let holder_path = holder.ok_or_else(|| USAGE.to_string())?;
    let text =
        Zeroizing::new(std::fs::read_to_string(&holder_path).map_err(|e| format!("{}: {e}", holder_path.display()))?);
    let file: HolderFile = toml::from_str(&text)
        .map_err(|e| SimCardError::Holder { path: holder_path.clone(), detail: e.to_string() }.to_string())?;
    let card_dir = match (personalise_dir, card_dir) {
        (Some(dir), _) => personalise::personalise(&dir).map_err(|e| e.to_string())?.card_dir,
        (None, Some(dir)) => dir,
        (None, None) => return Err(USAGE.to_string()),
    };
    let secrets =
        Secrets { pin: file.secrets.pin.clone(), can: file.secrets.can.clone(), puk: file.secrets.puk.clone() };
    let card = SimCard::new(&card_dir, file.holder.clone(), secrets).map_err(|e| e.to_string())?;
    let inserted = VirtualCard::insert(port, card).map_err(|e| e.to_string())?;
    eprintln!("eid-sim-card: card inserted into vpcd on port {port}; stop with Ctrl-C");
    let card = inserted.wait();
    eprintln!("eid-sim-card: vpcd closed the connection (PIN retries left: {})", card.pin_retries());
    Ok(())
}
