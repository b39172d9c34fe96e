// SPDX-License-Identifier: GPL-3.0-or-later
//! Printing off the UI thread: a [`PrintWorker`] owns the printer on its own thread.
//!
//! The UI submits a receipt and gets a [`PrintTicket`] back at once; it polls the ticket (e.g. on a UI timer)
//! and meanwhile shows "printing…". Because every [`ReceiptPrinter`] call is bounded in time (see the trait's
//! contract), each ticket resolves.

use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::receipt::Receipt;
use crate::receipt_printer::{PrintError, PrintOutcome, PrinterHealth, ReceiptPrinter};

type Job = (Receipt, Sender<Result<PrintOutcome, PrintError>>);

/// Runs a [`ReceiptPrinter`] on a background thread, one receipt at a time, in submission order.
pub struct PrintWorker {
    jobs: Option<Sender<Job>>,
    health: Arc<Mutex<PrinterHealth>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for PrintWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrintWorker").finish_non_exhaustive()
    }
}

/// Why a ticket has no result.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TicketError {
    /// The worker thread ended before answering (it panicked or was shut down).
    #[error("the print worker stopped before finishing this receipt; show the receipt on screen")]
    WorkerGone,
}

/// The pending result of one submitted receipt.
#[derive(Debug)]
pub struct PrintTicket {
    result: Receiver<Result<PrintOutcome, PrintError>>,
}

impl PrintTicket {
    /// Non-blocking: `None` while the receipt is still printing.
    pub fn poll(&self) -> Option<Result<Result<PrintOutcome, PrintError>, TicketError>> {
        match self.result.try_recv() {
            Ok(result) => Some(Ok(result)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(TicketError::WorkerGone)),
        }
    }

    /// Blocks until the result arrives or `timeout` passes (`None`): for worker-side code and tests, not the UI.
    pub fn wait(&self, timeout: std::time::Duration) -> Option<Result<Result<PrintOutcome, PrintError>, TicketError>> {
        match self.result.recv_timeout(timeout) {
            Ok(result) => Some(Ok(result)),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => Some(Err(TicketError::WorkerGone)),
        }
    }
}

impl PrintWorker {
    /// Moves `printer` onto a new thread named `receipt-printer`.
    pub fn spawn(printer: Box<dyn ReceiptPrinter>) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let health = Arc::new(Mutex::new(printer.health()));
        let shared = Arc::clone(&health);
        let thread = std::thread::Builder::new().name("receipt-printer".into()).spawn(move || {
            let mut printer = printer;
            for (receipt, reply) in queue {
                let result = printer.print(&receipt);
                if let Ok(mut h) = shared.lock() {
                    *h = printer.health();
                }
                // The UI may have stopped waiting; that is fine.
                let _ = reply.send(result);
            }
        })?;
        Ok(Self { jobs: Some(jobs), health, thread: Some(thread) })
    }

    /// Queues a receipt; returns immediately.
    pub fn submit(&self, receipt: Receipt) -> PrintTicket {
        let (reply, result) = mpsc::channel();
        if let Some(jobs) = &self.jobs {
            // If the worker is gone the reply sender is dropped with the job and the ticket says so.
            let _ = jobs.send((receipt, reply));
        }
        PrintTicket { result }
    }

    /// The printer's health as of the last finished receipt; never waits for the printer.
    pub fn health(&self) -> PrinterHealth {
        self.health.lock().map(|h| h.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }
}

impl Drop for PrintWorker {
    fn drop(&mut self) {
        // Closing the queue ends the thread after the receipt in hand (bounded by the printer's timeouts).
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
