// SPDX-License-Identifier: GPL-3.0-or-later
//! The Bürgerterminal kiosk: the product that runs on the terminal
//! (`kiosk run`, started by `kiosk.service`).
//!
//! A [`Terminal`] joins the Slint UI (`ui/*.slint`), the citizen session
//! (crate `session`) and the [`devices`] (card reader, portal, printer):
//! [`input`] turns the UI's callbacks into session events, the session's
//! effects go to the devices, and [`view`] is the one writer of the UI.
//! [`appliance`] builds the terminal from `/etc/kiosk` and runs it on the
//! display (or in memory), speaking sd_notify to systemd ([`sd_notify`]).
//!
//! Demo mode, the scripted walk-through and the benchmarks are a separate
//! crate (`kiosk-demo`), so the product carries no simulated card, local
//! portal or test rig.

pub mod appliance;
pub mod devices;
mod input;
pub mod input_guard;
pub mod screen;
pub mod sd_notify;
pub mod terminal;
pub mod view;

/// The code generated from `ui/*.slint`.
mod ui {
    #![allow(missing_docs, clippy::all, clippy::pedantic, clippy::todo)]
    slint::include_modules!();
}
pub use terminal::{DemoCard, Terminal};
pub use ui::*;

/// Every byte a process with the kiosk frees is zeroed first, so that a
/// citizen's data cannot linger in freed heap memory after the session is
/// wiped (the session zeroizes its own data explicitly; this catches the
/// copies that libraries and the UI make). It is part of the library, so
/// every binary that runs a terminal has it.
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> = zeroizing_alloc::ZeroAlloc(std::alloc::System);

/// Logs go to standard error; under systemd that is the journal, which adds
/// its own timestamps. Logs never carry personal data.
pub fn init_logging() {
    let under_journal = std::env::var_os("JOURNAL_STREAM").is_some();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if under_journal {
        builder.without_time().with_ansi(false).init();
    } else {
        builder.init();
    }
}
