// SPDX-License-Identifier: GPL-3.0-or-later
//! The seam between the kiosk and a receipt printer: the [`ReceiptPrinter`] trait, what a print
//! achieved and why it failed.

use std::path::PathBuf;

use crate::escpos::PrinterStatus;
use crate::receipt::Receipt;

/// A device that puts a [`Receipt`] on paper.
///
/// # Contract
///
/// * **Bounded time.** Every method returns within the implementation's configured timeouts (seconds, never
///   indefinitely), whatever the hardware does: an unplugged cable, a printer that stopped answering or a full
///   buffer ends in an error, not a hang. The kiosk calls these methods from a worker thread so the UI never
///   waits on paper; it is still never left without an answer.
/// * **`status`** asks the device for its condition now. `Ok` means the device answered; whether a receipt can
///   be printed is [`PrinterStatus::ready`]. `Err` means it could not be asked (not connected, no answer).
/// * **`print`** checks the status first and refuses with [`PrintError::NotReady`] when the printer cannot
///   print. `Ok` means the whole receipt was handed over and the device reported no fault afterwards: the
///   citizen can take the paper. Any `Err` means the citizen may not have a complete receipt: the kiosk shows
///   the receipt on screen (see [`crate::render`]) and tells the citizen what happened.
/// * **Recovery is automatic.** After an error the next call tries again from scratch (for a serial printer:
///   reopens the port), so a printer that was unplugged and plugged back in prints the next receipt.
/// * **`health`** is cheap and never touches the device: it reports what the last call learnt, for the staff
///   health page.
/// * **Privacy.** Implementations log no receipt content; the receipt holds no personal data anyway.
pub trait ReceiptPrinter: Send {
    /// Asks the printer for its condition (`DLE EOT` real-time status on ESC/POS printers).
    fn status(&mut self) -> Result<PrinterStatus, PrintError>;

    /// Prints one receipt, cut off at the end.
    fn print(&mut self, receipt: &Receipt) -> Result<PrintOutcome, PrintError>;

    /// The last known condition and fault, for the staff health status.
    fn health(&self) -> PrinterHealth;
}

/// What a successful print did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintOutcome {
    /// Bytes of printer commands sent (0 for the simulated printer).
    pub bytes_sent: usize,
    /// The printer's condition right after printing (e.g. paper near end: tell staff).
    pub status_after: PrinterStatus,
    /// Where the simulated printer saved the paper as PNG; `None` for real printers.
    pub saved_to: Option<PathBuf>,
}

/// The printer's last known condition, for staff. Holds no receipt content.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrinterHealth {
    /// The last status the printer reported, if it ever answered.
    pub status: Option<PrinterStatus>,
    /// The last fault as a sentence for staff (what happened and what to do); `None` once a print or status
    /// query succeeds again.
    pub fault: Option<String>,
    /// Receipts printed completely since start.
    pub receipts_printed: u64,
}

impl PrinterHealth {
    /// Whether staff need to act: a fault, or the paper roll is nearly used up.
    pub fn needs_attention(&self) -> bool {
        self.fault.is_some() || self.status.is_some_and(|s| s.paper_near_end || !s.ready())
    }

    pub(crate) fn record_fault(&mut self, error: &PrintError) {
        if let PrintError::NotReady(status) | PrintError::PaperOut { status, .. } = error {
            self.status = Some(*status);
        }
        self.fault = Some(error.to_string());
    }
}

/// Why a receipt could not be printed or the printer not be asked.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The serial device could not be opened: unplugged, switched off, wrong path or no permission.
    #[error(
        "printer port {path} cannot be opened ({source}); check the cable, the power and the configured device path"
    )]
    NotConnected {
        /// Configured device path.
        path: PathBuf,
        /// What the operating system said.
        source: serialport::Error,
    },
    /// Writing to or reading from the port failed: the device went away while in use. The port is closed and
    /// reopened on the next call.
    #[error("printer on {path} disappeared during {during} ({source}); it is reopened on the next receipt")]
    Disconnected {
        /// Configured device path.
        path: PathBuf,
        /// What we were doing.
        during: &'static str,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The printer did not answer within the configured time.
    #[error(
        "printer on {path} did not answer during {during} within {timeout_ms} ms; is it switched on and is the baud rate right?"
    )]
    NoResponse {
        /// Configured device path.
        path: PathBuf,
        /// What we were waiting for.
        during: &'static str,
        /// How long we waited.
        timeout_ms: u64,
    },
    /// Something answered the status request, but not with ESC/POS status bytes.
    #[error(
        "device on {path} answered the status request with {reply:02x?}, not an ESC/POS status; check baud rate and device path"
    )]
    BadStatus {
        /// Configured device path.
        path: PathBuf,
        /// The bytes received.
        reply: Vec<u8>,
    },
    /// The printer answered but cannot print now (nothing was sent).
    #[error("printer cannot print: {0}; close the cover or load paper")]
    NotReady(PrinterStatus),
    /// Paper ran out while the receipt was printing: the citizen holds an incomplete receipt.
    #[error("paper ran out mid-receipt after {bytes_sent} of {bytes_total} bytes; load a new roll")]
    PaperOut {
        /// Bytes sent before the printer reported paper end.
        bytes_sent: usize,
        /// Size of the whole job.
        bytes_total: usize,
        /// The status reporting it.
        status: PrinterStatus,
    },
    /// The simulated printer could not save the paper image.
    #[error("simulated printer cannot write {path}: {source}; check that the output directory exists and is writable")]
    SaveFailed {
        /// The file we tried to write.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}
