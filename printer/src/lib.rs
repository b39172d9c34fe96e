// SPDX-License-Identifier: GPL-3.0-or-later
//! The Bürgerterminal's receipt printer.
//!
//! A citizen leaves with a paper receipt: proof that the request went in and the key to track it (issue 5).
//! The pipeline is:
//!
//! 1. The kiosk builds a [`Receipt`] in the session's language. It contains no personal data, by design
//!    (see [`receipt`]).
//! 2. [`layout`] lays it out for the paper width as 1-bit raster bands plus a QR code; [`render`] flattens
//!    that into one [`Raster`]: the image shown on screen, saved by demo mode and, with a raster profile,
//!    burnt by the printer dot for dot.
//! 3. [`escpos`] turns the layout into ESC/POS commands (sans-I/O): `GS v 0` raster bands, or the printer's
//!    own QR command where the [`PrinterProfile`] allows, or text in code page 858 ([`text_job`]), then feed
//!    and cut; and decodes `DLE EOT` status.
//! 4. A [`ReceiptPrinter`] delivers it: [`SerialPrinter`] over a serial line with timeouts, chunking, status
//!    checks and automatic reopening; [`SimulatedPrinter`] writes PNG files for demo mode.
//! 5. [`PrintWorker`] runs a printer on its own thread so printing never blocks the UI.
//!
//! With the `emulator` feature, the `emulator` module provides a printer emulator on a real pseudo-terminal for tests,
//! and `bench` the figures measured through it. The product never enables it.
#![forbid(unsafe_code)]

#[cfg(feature = "emulator")]
pub mod bench;
pub mod codepage;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod escpos;
pub mod layout;
pub mod raster;
pub mod receipt;
mod receipt_printer;
mod serial;
mod simulated;
pub mod text_job;
pub mod worker;

pub use escpos::{PrinterProfile, PrinterStatus};
pub use layout::{PaperWidth, render};
pub use raster::Raster;
pub use receipt::Receipt;
pub use receipt_printer::{PrintError, PrintOutcome, PrinterHealth, ReceiptPrinter};
pub use serial::{FlowControl, SerialConfig, SerialPrinter};
pub use simulated::SimulatedPrinter;
pub use worker::{PrintTicket, PrintWorker, TicketError};
