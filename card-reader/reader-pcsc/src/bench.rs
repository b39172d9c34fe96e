// SPDX-License-Identifier: GPL-3.0-or-later
//! Figures of one whole eID read through pcscd, for `kiosk bench`.
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
//! | data groups                  | 1 READ BINARY by SFI each (it selects the file too)|
//!
//! that is `17 + n` ([`minimum_apdus`]). Ours is higher by the extra READ
//! BINARY chunks: files are read in chunks of `eid::files::CHUNK` bytes so
//! that protected answers fit short APDUs on every reader, which costs
//! EF.CardSecurity (about 1 KiB) four to five more.
//!
//! This module uses only the public API of `reader-pcsc`, `card-reader` and
//! `session`, so that it can live in a crate of its own.

use crate::PcscReader;
use card_reader::{CardEvent, CardReader, EidConfig};
use session::{CardError, CardItem, Pin};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// APDUs before the data groups: see the module documentation.
const FIXED_APDUS: usize = 17;

/// The least APDUs a read of `data_groups` data groups can take.
pub fn minimum_apdus(data_groups: usize) -> usize {
    FIXED_APDUS + data_groups
}

/// The figures of one read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchFigures {
    /// Time spent in PACE, in milliseconds.
    pub pace_ms: f64,
    /// PACE, Terminal, passive and Chip Authentication and reading every
    /// requested data group, in milliseconds.
    pub eac_read_ms: f64,
    /// Command APDUs of the read.
    pub apdus_per_read: usize,
    /// Bytes of commands and responses of the read (status words included).
    pub apdu_bytes_per_read: usize,
    /// [`minimum_apdus`] for the same data groups.
    pub minimum_apdus: usize,
}

/// Reads `items` with `pin` through `reader` (a card must be in it) and
/// returns the figures.
pub fn run(reader: &mut PcscReader, pin: &Pin, items: &[CardItem]) -> Result<BenchFigures, CardError> {
    reader.read(pin, None, items)?;
    let stats = reader.last_stats();
    Ok(BenchFigures {
        pace_ms: stats.pace.as_secs_f64() * 1000.0,
        eac_read_ms: stats.total.as_secs_f64() * 1000.0,
        apdus_per_read: stats.apdus,
        apdu_bytes_per_read: stats.apdu_bytes,
        minimum_apdus: minimum_apdus(items.len()),
    })
}

/// Waits up to `wait` for a card in the reader named `reader` (pcscd must
/// run and the card be inserted, e.g. `eid_sim_card::VirtualCard` on the
/// vpcd reader) and runs [`run`] on it.
pub fn bench(
    reader: &str,
    config: Arc<EidConfig>,
    pin: &Pin,
    items: &[CardItem],
    wait: Duration,
) -> Result<BenchFigures, CardError> {
    let mut reader = PcscReader::named(reader, config);
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
    run(&mut reader, pin, items)
}
