// SPDX-License-Identifier: GPL-3.0-or-later
//! The card in Debian's `vsmartcard-vpcd` virtual reader.
//!
//! pcscd with the vpcd driver listens on TCP (127.0.0.1:35963 for reader
//! "Virtual PCD 00 00"); a connection is a card in the reader. Every message
//! either way is a two-byte big-endian length and a payload. One-byte
//! payloads from the reader are control messages: `0` power off, `1` power
//! on, `2` reset, `4` send the ATR; anything else is a command APDU, which
//! the card answers with its response APDU.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use crate::SimCardError;
use crate::card::SimCard;

/// No limit on the commands a card answers.
const UNLIMITED: usize = usize::MAX;

/// A [`SimCard`] served to vpcd from a background thread.
pub struct VirtualCard {
    stream: TcpStream,
    thread: Option<JoinHandle<SimCard>>,
    remaining: Arc<AtomicUsize>,
}

impl VirtualCard {
    /// Connects to vpcd on `127.0.0.1:port`: the card is now in the reader.
    pub fn insert(port: u16, card: SimCard) -> Result<Self, SimCardError> {
        let vpcd = |source| SimCardError::Vpcd { port, source };
        let stream = TcpStream::connect(("127.0.0.1", port)).map_err(vpcd)?;
        stream.set_nodelay(true).map_err(vpcd)?;
        let reader = stream.try_clone().map_err(vpcd)?;
        let remaining = Arc::new(AtomicUsize::new(UNLIMITED));
        let counter = remaining.clone();
        let thread = std::thread::Builder::new()
            .name("eid-sim-card".into())
            .spawn(move || serve(reader, card, &counter))
            .map_err(vpcd)?;
        Ok(VirtualCard { stream, thread: Some(thread), remaining })
    }

    /// Disconnects (the card is pulled) and returns the card with its
    /// counters and PIN as they are now.
    pub fn remove(mut self) -> SimCard {
        let _ = self.stream.shutdown(Shutdown::Both);
        self.join()
    }

    /// Waits until vpcd closes the connection (or the card vanished after
    /// [`Self::pull_after`]) and returns the card.
    pub fn wait(mut self) -> SimCard {
        self.join()
    }

    /// The card answers `n_commands` more APDUs and then vanishes from the
    /// reader without answering the next one, like a card pulled mid-operation.
    pub fn pull_after(&self, n_commands: usize) {
        self.remaining.store(n_commands, Ordering::SeqCst);
    }

    fn join(&mut self) -> SimCard {
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(card)) => card,
            // The serving thread cannot panic (SimCard::transmit never
            // does); should it, the panic is passed on unchanged.
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => unreachable_card(),
        }
    }
}

/// `join` runs once: `remove` and `wait` take `self`, and `Drop` runs after.
fn unreachable_card() -> ! {
    std::panic::resume_unwind(Box::new("VirtualCard joined twice"))
}

impl Drop for VirtualCard {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = self.stream.shutdown(Shutdown::Both);
            let _ = thread.join();
        }
    }
}

fn serve(mut stream: TcpStream, mut card: SimCard, remaining: &AtomicUsize) -> SimCard {
    loop {
        crate::ffi::quick_ack(&stream);
        let mut len = [0u8; 2];
        if stream.read_exact(&mut len).is_err() {
            return card;
        }
        crate::ffi::quick_ack(&stream);
        let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if stream.read_exact(&mut payload).is_err() {
            return card;
        }
        let answer = match payload.as_slice() {
            [0] | [1] | [2] => {
                card.reset();
                continue;
            }
            [4] => card.atr().to_vec(),
            [_] => continue,
            apdu => {
                let left = remaining.load(Ordering::SeqCst);
                if left == 0 {
                    let _ = stream.shutdown(Shutdown::Both);
                    return card;
                }
                if left != UNLIMITED {
                    remaining.store(left - 1, Ordering::SeqCst);
                }
                card.transmit(apdu)
            }
        };
        let Ok(n) = u16::try_from(answer.len()) else {
            return card;
        };
        let mut message = n.to_be_bytes().to_vec();
        message.extend_from_slice(&answer);
        if stream.write_all(&message).is_err() {
            return card;
        }
    }
}
