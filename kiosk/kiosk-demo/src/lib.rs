// SPDX-License-Identifier: GPL-3.0-or-later
//! The Bürgerterminal's demo rig: demo mode (the simulated ID card, the
//! local FIT-Connect portal, the simulated printer), the scripted citizen
//! and the UI tests on it, and the benchmarks. None of this is part of the
//! product (`kiosk`); the binaries `kiosk-demo` and `kiosk-scripted` are
//! built from it.

pub mod bench;
pub mod demo;
pub mod demo_portal;
pub mod simulated_reader;
pub mod text_fit;
pub mod touch;
#[cfg(test)]
mod ui_tests;
pub mod walkthrough;
