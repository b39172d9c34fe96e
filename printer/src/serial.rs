// SPDX-License-Identifier: GPL-3.0-or-later
//! An ESC/POS receipt printer on a serial line (RS-232, or USB presenting a tty such as `/dev/ttyACM0`).
//!
//! Flow of one receipt: open the port if it is not open, ask `DLE EOT 1/2/4` (real-time status), send the job
//! in chunks no larger than the printer's input buffer, and after every chunk ask the paper sensor again. The
//! printer answers a real-time request only after it has received the bytes before it, so waiting for that
//! answer also paces us to the printer (no buffer overrun even without hardware flow control) and catches the
//! paper running out mid-receipt. Any I/O error closes the port; the next call opens it again, so a printer
//! that was unplugged and came back prints the next receipt.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serialport::{ClearBuffer, SerialPort};

use crate::escpos::{
    PrinterProfile, PrinterStatus, STATUS_OFFLINE_CAUSE, STATUS_PAPER, STATUS_PRINTER, encode_receipt,
};
use crate::receipt::Receipt;
use crate::receipt_printer::{PrintError, PrintOutcome, PrinterHealth, ReceiptPrinter};

/// Hardware or software handshake on the serial line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowControl {
    /// No handshake (USB printers, and tests over a pseudo-terminal).
    None,
    /// RTS/CTS hardware handshake: the printer drops CTS while its buffer is full.
    RtsCts,
    /// XON/XOFF software handshake. Safe with binary raster data because it only governs what the printer
    /// sends us, and ESC/POS status bytes are always even (bit 0 = 0), so never XON (0x11) or XOFF (0x13).
    XonXoff,
}

/// Configuration of a serial receipt printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialConfig {
    /// Device path, preferably a stable name such as `/dev/serial/by-id/usb-…`.
    pub path: PathBuf,
    /// Line speed, e.g. 115200 or 9600 (must match the printer's DIP switches / setup).
    pub baud: u32,
    /// Handshake.
    pub flow_control: FlowControl,
    /// What the printer model can do.
    pub profile: PrinterProfile,
    /// Bytes sent before waiting for the printer to acknowledge via a status reply; keep it at or below the
    /// printer's receive buffer (4 KiB on common models).
    pub chunk_bytes: usize,
    /// How long to wait for a status reply, on top of the time the preceding chunk needs on the line.
    pub status_timeout: Duration,
    /// How long one write may block (e.g. while CTS is low) before the printer counts as not answering.
    pub write_timeout: Duration,
}

impl SerialConfig {
    /// A configuration with common defaults: no flow control, 4 KiB chunks, 2 s status and 5 s write timeouts.
    pub fn new(path: impl Into<PathBuf>, baud: u32, profile: PrinterProfile) -> Self {
        Self {
            path: path.into(),
            baud,
            flow_control: FlowControl::None,
            profile,
            chunk_bytes: 4096,
            status_timeout: Duration::from_secs(2),
            write_timeout: Duration::from_secs(5),
        }
    }

    /// Time the line needs for `bytes` bytes at this baud rate (8N1: 10 bits per byte).
    pub fn wire_time(&self, bytes: usize) -> Duration {
        Duration::from_micros(bytes as u64 * 10 * 1_000_000 / u64::from(self.baud.max(1)))
    }
}

/// A receipt printer speaking ESC/POS over a serial port.
pub struct SerialPrinter {
    config: SerialConfig,
    port: Option<Box<dyn SerialPort>>,
    health: PrinterHealth,
}

impl std::fmt::Debug for SerialPrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialPrinter")
            .field("config", &self.config)
            .field("open", &self.port.is_some())
            .field("health", &self.health)
            .finish()
    }
}

impl SerialPrinter {
    /// Creates the printer; the port is opened lazily on first use, so a missing printer at start-up is a
    /// health fault, not a start-up failure.
    pub fn new(config: SerialConfig) -> Self {
        Self { config, port: None, health: PrinterHealth::default() }
    }

    /// The configuration in use.
    pub fn config(&self) -> &SerialConfig {
        &self.config
    }

    fn open(&mut self) -> Result<&mut Box<dyn SerialPort>, PrintError> {
        let port = match self.port.take() {
            Some(port) => port,
            None => {
                let flow = match self.config.flow_control {
                    FlowControl::None => serialport::FlowControl::None,
                    FlowControl::RtsCts => serialport::FlowControl::Hardware,
                    FlowControl::XonXoff => serialport::FlowControl::Software,
                };
                let path = self.config.path.to_string_lossy().into_owned();
                let port = serialport::new(path, self.config.baud)
                    .flow_control(flow)
                    .timeout(self.config.write_timeout)
                    .open()
                    .map_err(|source| PrintError::NotConnected { path: self.config.path.clone(), source })?;
                tracing::info!(path = %self.config.path.display(), baud = self.config.baud, "printer port opened");
                port
            }
        };
        Ok(self.port.insert(port))
    }

    fn write_all(&mut self, mut bytes: &[u8], during: &'static str) -> Result<(), PrintError> {
        let path = self.config.path.clone();
        let timeout = self.config.write_timeout;
        let port = self.open()?;
        port.set_timeout(timeout).map_err(|e| disconnected(&path, during, e.into()))?;
        while !bytes.is_empty() {
            match port.write(bytes) {
                Ok(0) => {
                    return Err(PrintError::NoResponse { path, during, timeout_ms: millis(timeout) });
                }
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    return Err(PrintError::NoResponse { path, during, timeout_ms: millis(timeout) });
                }
                Err(e) => return Err(disconnected(&path, during, e)),
            }
        }
        Ok(())
    }

    /// Sends the three `DLE EOT` requests and reads the three reply bytes. `extra_wait` covers the time the
    /// bytes sent just before need on the line.
    fn query(&mut self, extra_wait: Duration, during: &'static str) -> Result<PrinterStatus, PrintError> {
        let path = self.config.path.clone();
        let timeout = self.config.status_timeout + extra_wait;
        {
            let port = self.open()?;
            port.clear(ClearBuffer::Input).map_err(|e| disconnected(&path, during, e.into()))?;
        }
        let mut request = Vec::with_capacity(9);
        request.extend_from_slice(&STATUS_PRINTER);
        request.extend_from_slice(&STATUS_OFFLINE_CAUSE);
        request.extend_from_slice(&STATUS_PAPER);
        self.write_all(&request, during)?;

        let port = self.open()?;
        let deadline = Instant::now() + timeout;
        let mut reply = [0u8; 3];
        let mut got = 0;
        while got < reply.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(PrintError::NoResponse { path, during, timeout_ms: millis(timeout) });
            }
            port.set_timeout(left).map_err(|e| disconnected(&path, during, e.into()))?;
            match port.read(&mut reply[got..]) {
                Ok(0) => return Err(disconnected(&path, during, std::io::ErrorKind::UnexpectedEof.into())),
                Ok(n) => got += n,
                Err(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted) => {}
                Err(e) => return Err(disconnected(&path, during, e)),
            }
        }
        PrinterStatus::from_replies(reply[0], reply[1], reply[2])
            .ok_or(PrintError::BadStatus { path, reply: reply.to_vec() })
    }

    /// A status query that survives a printer replugged while the port was idle: if the port was already open
    /// and fails with an I/O error, it points at a device that went away, so reopen once and ask again.
    /// (Nothing has been printed at that point, so repeating is safe.)
    fn query_fresh(&mut self, during: &'static str) -> Result<PrinterStatus, PrintError> {
        let was_open = self.port.is_some();
        match self.query(Duration::ZERO, during) {
            Err(PrintError::Disconnected { .. }) if was_open => {
                tracing::info!(path = %self.config.path.display(), "printer port went stale; reopening");
                self.port = None;
                self.query(Duration::ZERO, during)
            }
            result => result,
        }
    }

    fn print_job(&mut self, job: &[Vec<u8>], total: usize) -> Result<PrinterStatus, PrintError> {
        let before = self.query_fresh("status check before printing")?;
        self.health.status = Some(before);
        if !before.ready() {
            return Err(PrintError::NotReady(before));
        }
        let limit = self.config.chunk_bytes.max(64);
        let mut sent = 0;
        let mut last = before;
        let mut commands = job.iter().peekable();
        while commands.peek().is_some() {
            // Whole commands only, up to the chunk limit (one oversized command goes alone).
            let mut chunk: Vec<u8> = Vec::with_capacity(limit);
            while let Some(next) = commands.peek() {
                if !chunk.is_empty() && chunk.len() + next.len() > limit {
                    break;
                }
                chunk.extend_from_slice(next);
                commands.next();
            }
            self.write_all(&chunk, "sending the receipt")?;
            sent += chunk.len();
            last = self.query(self.config.wire_time(chunk.len()), "paper check while printing")?;
            self.health.status = Some(last);
            if last.paper_out || !last.online {
                return Err(if last.paper_out {
                    PrintError::PaperOut { bytes_sent: sent, bytes_total: total, status: last }
                } else {
                    PrintError::NotReady(last)
                });
            }
        }
        Ok(last)
    }

    fn settle<T>(&mut self, result: Result<T, PrintError>) -> Result<T, PrintError> {
        match &result {
            Ok(_) => self.health.fault = None,
            Err(error) => {
                tracing::warn!(%error, "receipt printer fault");
                self.health.record_fault(error);
                if matches!(
                    error,
                    PrintError::Disconnected { .. } | PrintError::NoResponse { .. } | PrintError::BadStatus { .. }
                ) {
                    // Start from a fresh port next time: the device may come back under the same path.
                    self.port = None;
                }
            }
        }
        result
    }
}

impl ReceiptPrinter for SerialPrinter {
    fn status(&mut self) -> Result<PrinterStatus, PrintError> {
        let result = self.query_fresh("status request");
        if let Ok(status) = &result {
            self.health.status = Some(*status);
        }
        self.settle(result)
    }

    fn print(&mut self, receipt: &Receipt) -> Result<PrintOutcome, PrintError> {
        let job = encode_receipt(receipt, &self.config.profile);
        let total: usize = job.iter().map(Vec::len).sum();
        let result = self.print_job(&job, total);
        let outcome = self.settle(result)?;
        self.health.receipts_printed += 1;
        tracing::info!(bytes = total, status = %outcome, "receipt printed");
        Ok(PrintOutcome { bytes_sent: total, status_after: outcome, saved_to: None })
    }

    fn health(&self) -> PrinterHealth {
        self.health.clone()
    }
}

fn disconnected(path: &std::path::Path, during: &'static str, source: std::io::Error) -> PrintError {
    PrintError::Disconnected { path: path.to_path_buf(), during, source }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
