// SPDX-License-Identifier: GPL-3.0-or-later
//! The eID figures: a whole read through pcscd into the OpenPACE simulated
//! card on a vpcd reader, PACE, Terminal and Chip Authentication and the
//! data groups of the service that reads the most.
//!
//! The protocol fixes a minimum number of APDUs for reading `n` data
//! groups (BSI TR-03110-3 B.11, ISO/IEC 7816-4), assuming every file fits
//! one READ BINARY and no command needs chaining:
//!
//! | step                         | APDUs                                              |
//! |------------------------------|----------------------------------------------------|
//! | EF.CardAccess                | 1 READ BINARY by SFI                               |
//! | PACE                         | MSE:Set AT + 4 GENERAL AUTHENTICATE = 5            |
//! | Terminal Authentication      | 2 × (MSE:Set DST + PSO:Verify Certificate) + MSE:Set AT + GET CHALLENGE + EXTERNAL AUTHENTICATE = 7 |
//! | EF.CardSecurity              | 1 READ BINARY by SFI                               |
//! | Chip Authentication          | MSE:Set AT + GENERAL AUTHENTICATE = 2              |
//! | eID application              | 1 SELECT                                           |
//! | document validity            | 1 VERIFY with id-DateOfExpiry (TR-03110-3 B.11.7)  |
//! | revocation (block list)      | Restricted Identification: MSE:Set AT + GENERAL AUTHENTICATE = 2 |
//! | data groups                  | 1 READ BINARY by SFI each (it selects the file too)|
//!
//! that is `20 + n` ([`minimum_apdus`]). With extended length (the card's
//! ATR announces it, and pcscd and vpcd carry it) every file comes in one
//! READ BINARY and a read takes exactly that. With short APDUs only
//! (`apdus_per_read_short`), files are read in chunks of
//! `eid::files::CHUNK` bytes so that protected answers fit, which costs
//! EF.CardSecurity (about 1 KiB) four to five more.

use super::median;
use anyhow::{Context, Result, bail};
use card_reader::{CardEvent, CardReader, EidConfig};
use reader_pcsc::{LengthMode, PcscReader};
use session::{CardError, CardItem, Config, Pin};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const EID_READS: usize = 7;
/// The second vpcd reader and its port: the first is the tests'.
pub(super) const EID_READER: &str = "Virtual PCD 00 01";
pub(super) const EID_VPCD_PORT: u16 = 35964;
const PCSCD_SOCKET: &str = "/run/pcscd/pcscd.comm";

/// A whole eID read through pcscd: the OpenPACE simulated card on the vpcd
/// reader, PACE, Terminal and Chip Authentication and the data groups of the
/// service that reads the most. Starts pcscd if none runs (as root).
pub(super) fn figures() -> Result<()> {
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
            read_when_inserted(EID_READER, Arc::clone(&eid), LengthMode::Auto, &pin, &service.card_data, PCSCD_WAIT)
                .map_err(|e| anyhow::anyhow!("the eID read failed: {e}"))?,
        );
    }
    let short =
        read_when_inserted(EID_READER, Arc::clone(&eid), LengthMode::Short, &pin, &service.card_data, PCSCD_WAIT)
            .map_err(|e| anyhow::anyhow!("the eID read with short APDUs failed: {e}"))?;
    let pace = median(&runs.iter().map(|r| r.pace_ms).collect::<Vec<_>>());
    let read = median(&runs.iter().map(|r| r.eac_read_ms).collect::<Vec<_>>());
    let last = runs.last().context("no eID read")?;
    println!("eid_service: {} ({} data groups)", service.id, service.card_data.len());
    println!("pace_ms: {pace:.1} ms");
    println!("eac_read_ms: {read:.1} ms");
    println!("apdus_per_read: {} APDUs", last.apdus_per_read);
    println!("apdus_per_read_short: {} APDUs (no extended length)", short.apdus_per_read);
    println!("apdus_minimum: {} APDUs", last.minimum_apdus);
    println!("apdu_bytes_per_read: {} bytes", last.apdu_bytes_per_read);
    Ok(())
}

const PCSCD_WAIT: Duration = Duration::from_secs(10);

/// A pcscd started for the benchmark (stopped when dropped), or none if one
/// already runs.
pub(super) struct Pcscd(Option<std::process::Child>);

impl Pcscd {
    pub(super) fn ensure() -> Result<Pcscd> {
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

/// APDUs before the data groups: see the module documentation.
const FIXED_APDUS: usize = 20;

/// The least APDUs a read of `data_groups` data groups can take.
fn minimum_apdus(data_groups: usize) -> usize {
    FIXED_APDUS + data_groups
}

/// The figures of one read.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ReadFigures {
    /// Time spent in PACE, in milliseconds.
    pace_ms: f64,
    /// PACE, Terminal, passive and Chip Authentication and reading every
    /// requested data group, in milliseconds.
    eac_read_ms: f64,
    /// Command APDUs of the read.
    apdus_per_read: usize,
    /// Bytes of commands and responses of the read (status words included).
    apdu_bytes_per_read: usize,
    /// [`minimum_apdus`] for the same data groups.
    minimum_apdus: usize,
}

/// Reads `items` with `pin` through `reader` (a card must be in it) and
/// returns the figures.
fn read(reader: &mut PcscReader, pin: &Pin, items: &[CardItem]) -> Result<ReadFigures, CardError> {
    reader.read(pin, None, items)?;
    let stats = reader.last_stats();
    Ok(ReadFigures {
        pace_ms: stats.pace.as_secs_f64() * 1000.0,
        eac_read_ms: stats.total.as_secs_f64() * 1000.0,
        apdus_per_read: stats.apdus,
        apdu_bytes_per_read: stats.apdu_bytes,
        minimum_apdus: minimum_apdus(items.len()),
    })
}

/// Waits up to `wait` for a card in the reader named `reader` (pcscd must
/// run and the card be inserted, e.g. `eid_sim_card::VirtualCard` on the
/// vpcd reader) and reads from it.
fn read_when_inserted(
    reader: &str,
    config: Arc<EidConfig>,
    length: LengthMode,
    pin: &Pin,
    items: &[CardItem],
    wait: Duration,
) -> Result<ReadFigures, CardError> {
    let mut reader = PcscReader::named(reader, config).with_length_mode(length);
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(CardError::NoCard);
        }
        if reader.next_event(left) == Some(CardEvent::Inserted) {
            break;
        }
    }
    read(&mut reader, pin, items)
}
