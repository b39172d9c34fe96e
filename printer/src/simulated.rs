// SPDX-License-Identifier: GPL-3.0-or-later
//! Demo mode's printer: the same layout and rendering as a real printer, with the paper saved as PNG files.

use std::path::{Path, PathBuf};

use crate::escpos::PrinterStatus;
use crate::layout::{PaperWidth, render};
use crate::receipt::Receipt;
use crate::receipt_printer::{PrintError, PrintOutcome, PrinterHealth, ReceiptPrinter};

/// Writes every receipt as `receipt-<n>.png` into a directory, `n` counting up from 1 past existing files.
#[derive(Debug)]
pub struct SimulatedPrinter {
    dir: PathBuf,
    paper: PaperWidth,
    next: u64,
    health: PrinterHealth,
}

const READY: PrinterStatus = PrinterStatus { online: true, cover_open: false, paper_near_end: false, paper_out: false };

impl SimulatedPrinter {
    /// A simulated printer writing into `dir` (which must exist) on paper of the given width.
    pub fn new(dir: impl Into<PathBuf>, paper: PaperWidth) -> Self {
        Self { dir: dir.into(), paper, next: 1, health: PrinterHealth::default() }
    }

    /// The output directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn next_path(&mut self) -> PathBuf {
        loop {
            let path = self.dir.join(format!("receipt-{}.png", self.next));
            self.next += 1;
            if !path.exists() {
                return path;
            }
        }
    }
}

impl ReceiptPrinter for SimulatedPrinter {
    fn status(&mut self) -> Result<PrinterStatus, PrintError> {
        self.health.status = Some(READY);
        Ok(READY)
    }

    fn print(&mut self, receipt: &Receipt) -> Result<PrintOutcome, PrintError> {
        let png = render(receipt, self.paper).to_png();
        let path = self.next_path();
        if let Err(source) = std::fs::write(&path, png) {
            let error = PrintError::SaveFailed { path, source };
            self.health.record_fault(&error);
            return Err(error);
        }
        self.health.status = Some(READY);
        self.health.fault = None;
        self.health.receipts_printed += 1;
        Ok(PrintOutcome { bytes_sent: 0, status_after: READY, saved_to: Some(path) })
    }

    fn health(&self) -> PrinterHealth {
        self.health.clone()
    }
}
